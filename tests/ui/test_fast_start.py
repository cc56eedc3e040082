"""Start-up to figures (issue 19 point 4): pages are built when first shown; the Overview's last
figures are kept in the workspace and painted at once, marked as refreshing, while the workspace
opens in the background; the fresh figures replace them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from PySide6.QtWidgets import QMessageBox

from desktop import config
from desktop.store import Workspace
from desktop.store.figures import load_figures
from tests.ui.conftest import close_window, open_window

ROOT = Path(__file__).resolve().parents[2]


def _saved(qtbot, path: Path) -> dict:
    """Open the workspace once, as the app does, so its figures are computed and kept."""
    win = open_window(qtbot, path)
    qtbot.waitUntil(lambda: not win.session.analysis_runner.busy, timeout=60000)
    shown = win.page_by_key["overview"].t_commit.value.text()
    close_window(win)
    with Workspace.open(path, readonly=True) as ws:
        saved = load_figures(ws)
    assert saved is not None and saved["tiles"]["commit"][0] == shown
    return saved


def test_pages_are_built_when_first_shown(window):
    from desktop.ui.main_window import PAGES, page_class

    assert [p.key for p in window.built_pages()] == ["overview"]
    window.show_page(2)
    assert [p.key for p in window.built_pages()] == ["overview", "usage"]
    usage = window.page_by_key["usage"]
    assert usage.isVisible() and usage.model.total_rows > 0  # refreshed with the figures already there
    assert window.banners["usage"].kind is None
    for key, title, _module, _cls in PAGES:  # the list names each page as the page calls itself
        cls = page_class(key)
        assert (cls.key, cls.title) == (key, title)
    assert len(window.pages) == len(PAGES) and [p.key for p in window.pages] == [k for k, *_ in PAGES]


def test_last_figures_paint_at_once_marked_then_replaced(qtbot, demo_path, app_module):
    saved = _saved(qtbot, demo_path)
    win = app_module.start_window(app_module.parse_args(["--workspace", str(demo_path)]), fast=True)
    qtbot.addWidget(win)
    win.show()
    s = win.session
    overview = win.page_by_key["overview"]
    # before the workspace is open: the last figures, said to be the last ones, nothing to act on
    assert s.opening and s.analysis is None
    assert overview.showing_saved and overview.t_commit.value.text() == saved["tiles"]["commit"][0]
    assert overview.headline.text() == saved["headline"]
    assert win.banners["overview"].kind == "busy" and "last ones computed" in win.banners["overview"].text()
    assert "refreshing" in win.windowTitle() and "Sample data" in win.windowTitle()
    assert not win.a_import.isEnabled() and not win.nav.isEnabled() and not win.toolbar.isEnabled()
    qtbot.waitUntil(lambda: s.analysis is not None, timeout=60000)
    assert isinstance(s.workspace, Workspace) and not s.opening
    assert not overview.showing_saved and win.banners["overview"].kind is None
    assert overview.t_commit.value.text() == saved["tiles"]["commit"][0]  # same data, same figure
    assert win.a_import.isEnabled() and win.nav.isEnabled() and win.toolbar.isEnabled()
    assert "refreshing" not in win.windowTitle()
    assert config.load_preferences()["last_workspace"] == str(demo_path.absolute())


def test_a_workspace_without_saved_figures_starts_as_before(qtbot, home, app_module):
    path = home / "Team.commitdesk"
    Workspace.open(path, create=True).close()
    win = app_module.start_window(app_module.parse_args(["--workspace", str(path)]), fast=True)
    qtbot.addWidget(win)
    assert isinstance(win.session.workspace, Workspace)  # opened first, as always


def test_a_workspace_in_use_is_offered_read_only(qtbot, demo_path, app_module, monkeypatch):
    _saved(qtbot, demo_path)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    holder = Workspace.open(demo_path)  # another CommitDesk has it open
    try:
        win = app_module.start_window(app_module.parse_args(["--workspace", str(demo_path)]), fast=True)
        qtbot.addWidget(win)
        win.show()
        qtbot.waitUntil(lambda: win.session.analysis is not None, timeout=60000)
        assert asked and win.session.workspace.readonly
    finally:
        holder.close()


def test_a_late_built_page_prepares_off_the_gui_thread(qtbot, window, monkeypatch):
    from desktop.ui.pages import usage as usage_page
    from desktop.ui.pages.base import Page

    threads = []
    real = usage_page.prepare

    def spy(a):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(a)

    monkeypatch.setattr(usage_page.UsagePage, "preparer", staticmethod(spy))
    monkeypatch.setattr(Page, "prepare_async_rows", 1)  # the demo's rows count as many
    window.show_page(2)
    page = window.page_by_key["usage"]
    qtbot.waitUntil(lambda: page.model.total_rows > 0, timeout=60000)
    assert threads == [False]  # prepared in the page's worker, not on the GUI thread


def test_the_first_figures_paint_before_pandas_and_pyqtgraph_load(qtbot, demo_path, home):
    _saved(qtbot, demo_path)
    probe = r"""
import json, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication(sys.argv[:1])
class P(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() == QEvent.Type.Paint and isinstance(obj, QLabel) and obj.objectName() == "tileValue" \
                and obj.text() not in ("", "\u2014"):
            print(json.dumps([m for m in ("pandas", "pyqtgraph", "desktop.domain.analysis", "desktop.store.workspace")
                              if m in sys.modules]), flush=True)
            import os
            os._exit(0)
        return False
p = P()
app.installEventFilter(p)
QTimer.singleShot(120000, lambda: __import__("os")._exit(3))
from desktop.app import main
main(["--workspace", sys.argv[1], "--quit-after-ms", "120000"])
"""
    env = dict(os.environ, COMMITDESK_HOME=str(home), QT_QPA_PLATFORM="offscreen",
               XDG_CONFIG_HOME=str(home / "xdg"), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", probe, str(demo_path)], capture_output=True, text=True, env=env,
                         cwd=ROOT, timeout=180)
    lines = [x for x in out.stdout.splitlines() if x.startswith("[")]
    assert lines, out.stderr[-800:]
    assert json.loads(lines[0]) == []


def test_a_hidden_page_is_prepared_when_shown_not_with_every_recompute(qtbot, window):
    s = window.session
    window.show_page(2)  # Usage built and shown
    usage = window.page_by_key["usage"]
    qtbot.waitUntil(lambda: usage.model.total_rows > 0, timeout=60000)
    n = s.computations
    s.recompute("a test")
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    assert "usage" in s.prepared and "overview" in s.prepared  # on screen: prepared with the figures
    window.show_page(0)
    n = s.computations
    s.recompute("another test")
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    assert "usage" not in s.prepared and "overview" in s.prepared  # hidden: not part of the recompute
    window.show_page(2)  # shown again: prepared then (here at once: the demo's rows are few)
    assert usage.analysis is s.analysis and usage.model.total_rows == len(s.analysis.usage)
