"""The application shell: start and quit, the excepthook, and a GUI that keeps turning while a
large import runs in the background."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from desktop import config


def test_main_opens_the_demo_workspace_and_quits_cleanly(qtbot, home):
    from desktop import app as desktop_app

    old = sys.excepthook
    app = QApplication.instance()
    style, sheet, pal = app.style().name(), app.styleSheet(), app.palette()
    try:
        rc = desktop_app.main(["--demo", "--quit-after-ms", "300"])
    finally:
        sys.excepthook = old
        app.setStyleSheet(sheet)  # leave the shared QApplication as the other tests know it
        app.setStyle(style)
        app.setPalette(pal)
        _drop_log_handler()
    assert rc == 0
    demo = config.demo_workspace_path()
    assert demo.exists()
    assert demo in config.recent_workspaces()
    assert config.load_preferences()["last_workspace"] == str(demo)
    assert not desktop_app._windows


def _drop_log_handler() -> None:
    import logging

    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_commitdesk", False):
            root.removeHandler(h)
            h.close()


def test_uncaught_exceptions_are_logged_and_shown(qtbot, home):
    from desktop import app as desktop_app

    log = desktop_app.setup_logging()
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError as exc:
        desktop_app.excepthook(type(exc), exc, exc.__traceback__)
    for h in __import__("logging").getLogger().handlers:
        h.flush()
    assert "boom in a slot" in log.read_text(encoding="utf-8")
    dlg = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "uncaughtErrorDialog")
    assert "RuntimeError: boom in a slot" in dlg.details.toPlainText()
    assert "Traceback" in dlg.details.toPlainText()
    dlg.close()
    _drop_log_handler()


def _big_usage_csv(path, n: int) -> None:
    rng = np.random.default_rng(7)
    days = pd.date_range("2026-01-01", "2026-11-15", freq="D").strftime("%Y-%m-%d").to_numpy()
    df = pd.DataFrame({
        "date": days[rng.integers(0, len(days), n)],
        "vendor": rng.choice(["OpenAI", "Anthropic"], n),
        "model": rng.choice(["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"], n),
        "team": rng.choice(["Search", "Support", "Growth", "Research"], n),
        "cost": (rng.integers(1, 500_000, n) / 100).round(2),
        "currency": "USD",
        "commit_eligible": "false",
    })
    df.to_csv(path, index=False)


def test_the_event_loop_keeps_turning_during_a_large_import(qtbot, window, tmp_path):
    src = tmp_path / "big-usage.csv"
    _big_usage_csv(src, 200_000)
    ticks = {"all": 0, "reading": 0, "importing": 0}
    timer = QTimer()
    timer.setInterval(5)

    def tick():
        ticks["all"] += 1
        wiz = window.wizard
        if wiz is not None and wiz.reader.busy:
            ticks["reading"] += 1
        if wiz is not None and wiz.committer.busy:
            ticks["importing"] += 1

    timer.timeout.connect(tick)
    timer.start()
    try:
        window.import_dialog([str(src)])
        wiz = window.wizard
        qtbot.waitUntil(lambda: wiz.ready, timeout=120000)
        assert wiz.files[0].result.report.rows_imported == 200_000
        assert wiz.files[0].overlaps  # the demo's usage on those days: answered before importing
        wiz.overlap.choose("keep")
        with qtbot.waitSignal(wiz.imported, timeout=120000):
            wiz.commit()
    finally:
        timer.stop()
    # the GUI thread ran its timer many times while the worker parsed and stored the file
    assert ticks["reading"] >= 3, ticks
    assert ticks["importing"] >= 1, ticks
    qtbot.waitUntil(lambda: not window.session.analysis_runner.busy, timeout=120000)


def test_cancelling_an_import_stores_nothing(qtbot, window, tmp_path):
    src = tmp_path / "big-usage-2.csv"
    _big_usage_csv(src, 150_000)
    ws = window.session.workspace
    before = [b.id for b in ws.batches()]
    window.import_dialog([str(src)])
    wiz = window.wizard
    qtbot.waitUntil(lambda: wiz.ready, timeout=120000)
    wiz.overlap.choose("keep")  # it overlaps the demo's usage: answered, so Import starts
    with qtbot.waitSignal(wiz.committer.cancelled, timeout=30000):
        wiz.commit()
        wiz.cancel()
    qtbot.waitUntil(lambda: not wiz.committer._runs, timeout=60000)
    assert [b.id for b in ws.batches()] == before
    assert not wiz.files[0].imported
    assert "cancelled" in wiz.status.text()
    assert ws.integrity_check() == ["ok"]


def test_an_empty_workspace_opens_on_every_page(qtbot, home):
    from desktop.store import Workspace
    from tests.ui.conftest import close_window, open_window

    path = home / "Empty.commitdesk"
    Workspace.open(path, create=True).close()
    win = open_window(qtbot, path)
    try:
        for i in range(len(win.pages)):
            win.show_page(i)
            win.pages[i].ensure_fresh()
        assert win.page_by_key["overview"].t_commit.value.text() == "0.00"
        assert win.page_by_key["usage"].model.total_rows == 0
        assert "No usage rows" in win.page_by_key["usage"].count.text()
    finally:
        close_window(win)
