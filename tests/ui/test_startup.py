"""Start-up (issue 16 point 4): the last workspace reopens (remembered the moment it is opened,
so also after a killed app); with none, the start page offers the demo, a new workspace and an
import with the templates; the demo says "Sample data" in the title and a banner; As-of shows no
made-up date while the first figures load."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop import config
from desktop.store import Workspace
from tests.ui.conftest import close_window

ROOT = Path(__file__).resolve().parents[2]


def _first(app_module, qtbot, argv=()):
    win = app_module.start_window(app_module.parse_args(list(argv)))
    qtbot.addWidget(win)
    return win


def _wait(qtbot, win):
    qtbot.waitUntil(lambda: win.session.analysis is not None, timeout=60000)


def test_the_first_run_shows_the_start_page_and_builds_nothing(qtbot, home, app_module):
    from desktop.ui.start import StartWindow

    start = _first(app_module, qtbot)
    assert isinstance(start, StartWindow)
    assert [b.text() for b in (start.demo_button, start.new_button, start.import_button)] == [
        "Open the demo", "Create a workspace…", "Import files…"]
    assert start.templates_button.isEnabled()
    assert not config.demo_workspace_path().exists()  # nothing built until the analyst picks


def test_the_demo_from_the_start_page_says_sample_data(qtbot, home, app_module):
    start = _first(app_module, qtbot)
    win = app_module._start_chosen(start, "demo")
    qtbot.addWidget(win)
    assert "Sample data" in win.windowTitle()
    assert win.sample_banner.isVisibleTo(win) and "Sample data" in win.sample_label.text()
    _wait(qtbot, win)
    assert "Sample data" in win.windowTitle()  # and it stays when the figures land
    assert not start.isVisible()
    assert config.load_preferences()["last_workspace"] == str(config.demo_workspace_path())


def test_a_workspace_of_ones_own_carries_no_sample_label(qtbot, home, app_module):
    path = home / "Team.commitdesk"
    Workspace.open(path, create=True).close()
    win = _first(app_module, qtbot, ["--workspace", str(path)])
    assert "Sample data" not in win.windowTitle()
    assert not win.sample_banner.isVisibleTo(win)


def test_restart_reopens_the_last_workspace(qtbot, home, app_module):
    path = home / "Team.commitdesk"
    Workspace.open(path, create=True).close()
    rc = app_module.main(["--workspace", str(path), "--quit-after-ms", "0"])
    _drop_log_handler()
    assert rc == 0
    win = _first(app_module, qtbot)  # started again, no arguments
    assert win.session.workspace.path == path.absolute()
    # the preference off: the start page instead
    prefs = config.load_preferences()
    prefs["open_last_workspace"] = False
    config.save_preferences(prefs)
    close_window(win)
    from desktop.ui.start import StartWindow

    assert isinstance(_first(app_module, qtbot), StartWindow)


def test_a_killed_app_reopens_the_workspace_it_had_open(qtbot, home, app_module):
    path = home / "Killed.commitdesk"
    Workspace.open(path, create=True).close()
    env = dict(os.environ, COMMITDESK_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-m", "desktop", "--workspace", str(path)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the running app has remembered it
            prefs = json.loads(config.preferences_path().read_text()) if config.preferences_path().exists() else {}
            if prefs.get("last_workspace") == str(path.absolute()):
                break
            assert proc.poll() is None, "the app ended by itself"
            time.sleep(0.1)
        else:
            pytest.fail("the app never remembered the workspace it opened")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    win = _first(app_module, qtbot)
    assert win.session.workspace.path == path.absolute()
    assert not win.session.workspace.readonly  # the dead app's lock was taken over


def test_a_last_workspace_that_cannot_open_leads_to_the_start_page_saying_why(qtbot, home, app_module):
    from desktop.ui.start import StartWindow

    bad = home / "Broken.commitdesk"
    bad.write_bytes(b"not a workspace at all" * 10)
    prefs = config.load_preferences()
    prefs["last_workspace"] = str(bad)
    config.save_preferences(prefs)
    start = _first(app_module, qtbot)
    assert isinstance(start, StartWindow)
    assert "Broken.commitdesk" in start.reason.text() and start.reason.isVisibleTo(start)


def test_create_and_import_from_the_start_page(qtbot, home, app_module, monkeypatch):
    from desktop.ui.main_window import MainWindow

    asked = []
    monkeypatch.setattr(MainWindow, "import_dialog", lambda self, files=None: asked.append(self))
    start = _first(app_module, qtbot)
    target = home / "Mine.commitdesk"
    win = app_module._start_chosen(start, f"import:{target}")
    qtbot.addWidget(win)
    assert target.exists() and win.session.workspace.path == target.absolute()
    qtbot.waitUntil(lambda: asked == [win], timeout=10000)  # the import wizard is offered at once
    assert config.load_preferences()["last_workspace"] == str(target.absolute())


def test_the_templates_are_saved_where_the_analyst_says(tmp_path):
    from desktop.ui.start import save_templates

    out = save_templates(tmp_path / "templates")
    names = sorted(p.name for p in out)
    assert "usage.xlsx" in names and "commitments.csv" in names and "README.md" in names
    assert len([n for n in names if n.endswith(".xlsx")]) == 7 == len([n for n in names if n.endswith(".csv")])
    (tmp_path / "templates" / "usage.csv").write_text("mine")
    save_templates(tmp_path / "templates")  # an analyst's file is never overwritten
    assert (tmp_path / "templates" / "usage.csv").read_text() == "mine"


def test_as_of_shows_no_made_up_date_while_the_first_figures_load(qtbot, demo_path, app_module):
    ws = Workspace.open(demo_path)
    win = app_module.build_window(ws)
    qtbot.addWidget(win)
    win.show()
    assert win.session.analysis is None
    assert win.as_of.text().strip() == ""  # not 2000-01-01
    _wait(qtbot, win)
    assert win.as_of.text() == win.session.analysis.as_of.isoformat()


def _drop_log_handler() -> None:
    import logging

    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_commitdesk", False):
            root.removeHandler(h)
            h.close()
