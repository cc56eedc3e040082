"""The Usage page's toolbar filter on a big table: the match runs in the table model's worker,
typing cancels the filter in flight, the GUI keeps ticking, and the table and the breakdown
show the rows when they are ready. The demo (25k rows) stands in for 1M rows by lowering the
row count from which the model filters in its worker."""

from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QTimer

from desktop.ui.models import table
from desktop.ui.models.table import ColumnTableModel
from tests.ui.conftest import close_window, open_window


def test_usage_filter_runs_in_a_worker_and_typing_cancels(qtbot, demo_path, monkeypatch):
    monkeypatch.setattr(ColumnTableModel, "async_rows", 1_000)
    win = open_window(qtbot, demo_path)
    try:
        usage = win.page_by_key["usage"]
        win.navigate("usage", {})
        qtbot.waitUntil(lambda: not usage.model.filter_busy and not usage.summary_runner.busy
                        and not usage.chart.runner.busy, timeout=60000)
        gui = threading.get_ident()
        ticked = threading.Event()
        runs: list[tuple[str, int, bool, object]] = []
        real = table.view_order

        def spy(cols, filters, text, sort, order=None, progress=None):
            if cols is not usage.model.columns:  # another table (the breakdown's)
                return real(cols, filters, text, sort, order, progress)
            ticked.clear()
            runs.append((text, threading.get_ident(), ticked.wait(20), progress))
            return real(cols, filters, text, sort, order, progress)

        monkeypatch.setattr(table, "view_order", spy)
        timer = QTimer()
        timer.timeout.connect(ticked.set)
        timer.start(5)
        try:
            win.filter.setFocus()
            qtbot.keyClicks(win.filter, "sonnet")  # six keystrokes, each a new filter
            qtbot.waitUntil(lambda: not usage.model.filter_busy and not usage.summary_runner.busy, timeout=60000)
        finally:
            timer.stop()
        # (two pool threads: runs may enter the filter in any order)
        assert {t for t, *_ in runs} <= {"s", "so", "son", "sonn", "sonne", "sonnet"}
        assert all(tid != gui and tick for _t, tid, tick, _p in runs)
        # every run but the last keystroke's was overtaken by the next keystroke and told to stop
        assert [t for t, _tid, _tick, p in runs if not p.cancelled] == ["sonnet"]
        df = usage._df
        text_cols = [c.key for c in usage.model.columns if c.kind == "text"]
        expect = np.zeros(len(df), dtype=bool)
        for c in text_cols:
            expect |= df[c].astype("string").str.casefold().str.contains("sonnet", regex=False).fillna(False) \
                .to_numpy(bool)
        rows = usage.model.visible_source_rows()
        assert len(rows) == int(expect.sum()) > 0
        assert set(rows.tolist()) == set(np.flatnonzero(expect).tolist())
        # the breakdown and the count line describe the filtered rows
        total = int(df["cost"].to_numpy(np.int64)[expect].sum())
        assert f"{len(rows):,} of {len(df):,} rows" in usage.count.text()
        bd = usage.breakdown.table_model
        assert sum(int(bd.col("Cost").values[i]) for i in range(bd.total_rows)) == total
    finally:
        close_window(win)
