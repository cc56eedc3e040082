"""The paged Usage model: rows read page by page from the workspace's Parquet, off the GUI
thread; sort, text filter and column filters pushed down to DuckDB; copy/export rows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractTableModel, QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

sys.path.append(str(Path(__file__).resolve().parents[1] / "store"))

from store_helpers import store
from test_parquet_usage import messy_usage

from desktop.store import Workspace
from desktop.store.usage_db import Filter
from desktop.ui.models import paged
from desktop.ui.models.table import RAW_ROLE


@pytest.fixture
def rows(tmp_path):
    ws = Workspace.open(tmp_path / "p.commitdesk", create=True)
    u = messy_usage(1_000, 11, "a.csv")
    store(ws, "usage", u, "a.csv")
    yield ws.usage_rows, u
    ws.close()


def test_pages_load_off_the_gui_thread_and_only_what_is_asked(qtbot, rows):
    src, u = rows
    m = paged.PagedUsageModel(src)
    with qtbot.waitSignal(m.countChanged, timeout=60000):
        pass
    assert m.rowCount() == 1_000 and m.columnCount() == len(paged.COLUMNS)
    row_col = [c for c, _, _ in paged.COLUMNS].index("_row")
    assert m.data(m.index(450, row_col)) is None  # not loaded yet: asked for
    with qtbot.waitSignal(m.pageLoaded, timeout=60000):
        pass
    stored = u.sort_values("date", kind="stable")  # unsorted: the rows as stored, by date
    assert m.data(m.index(450, row_col)) == str(stored["_row"].iloc[450]) and m.is_loaded(450) and not m.is_loaded(0)
    cost_col = [c for c, _, _ in paged.COLUMNS].index("cost")
    assert m.data(m.index(450, cost_col), RAW_ROLE) * 10**6 == int(stored["cost"].iloc[450])
    m.shutdown()


def test_sort_and_filters_are_pushed_down(qtbot, rows):
    src, u = rows
    m = paged.PagedUsageModel(src)
    m.wait_ready()
    cost_col = [c for c, _, _ in paged.COLUMNS].index("cost")
    m.sort(cost_col, Qt.SortOrder.DescendingOrder)
    m.wait_rows(0, 3)
    assert [m.data(m.index(i, cost_col), RAW_ROLE) * 10**6 for i in range(3)] == sorted(u["cost"], reverse=True)[:3]
    m.set_filters([Filter("team", "=", "Search")])
    m.wait_ready()
    assert m.rowCount() == int((u["team"] == "Search").sum())
    m.set_text_filter("support")
    m.wait_ready()
    assert m.rowCount() == 0  # team Search AND a text matching support
    m.set_filters([])
    m.wait_ready()
    assert m.rowCount() == int(u["team"].str.contains("Support").fillna(False).sum())
    header, body = m.to_rows()
    assert header[0] == "Date" and len(body) == m.rowCount()
    m.shutdown()


def test_usage_page_lists_daily_rows_counts_source_rows_and_pages_them(qtbot, home):
    from desktop.ui.pages.usage import UsagePage
    from tests.ui.conftest import close_window, open_window

    path = home / "rolled.commitdesk"
    u = messy_usage(3_000, 12, "a.csv")
    with Workspace.open(path, create=True) as ws:
        store(ws, "usage", u, "a.csv")
    win = open_window(qtbot, path)
    try:
        win.session.navigate("usage", {})
        page = next(w for w in win.findChildren(UsagePage))
        qtbot.waitUntil(lambda: page._df is not None and page.sources.model is not None, timeout=60000)
        df = page._df
        assert len(df) < 3_000 and int(df["source_rows"].sum()) == 3_000
        assert "source_rows" in [c.key for c in page.model.columns]
        qtbot.waitUntil(lambda: "3,000 of" in page.count.text() or "all 3,000 rows" in page.count.text(),
                        timeout=60000)
        qtbot.waitUntil(lambda: page.sources.model.rowCount() == 3_000, timeout=60000)  # every file row, paged
        page.table.selectRow(0)
        want = int(df["source_rows"].iloc[page.model.source_row(0)])
        qtbot.waitUntil(lambda: page.sources.model.rowCount() == want, timeout=60000)
        assert "Source rows of" in page.sources.label.text()
    finally:
        close_window(win)


# --- many chunks, sort computed once with cancel, and the windowed view ---------------------------

COLS = [c for c, _, _ in paged.COLUMNS]


@pytest.fixture
def chunked(tmp_path, monkeypatch):
    """Two batches in Parquet chunks of 500 rows, row groups of ~120 rows."""
    import pandas as pd
    import pyarrow.parquet as pq

    from desktop.store import parquet

    monkeypatch.setattr(parquet, "CHUNK_ROWS", 500)
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 120)
    ws = Workspace.open(tmp_path / "c.commitdesk", create=True)
    store(ws, "usage", messy_usage(1_700, 31, "a.csv"), "a.csv")
    store(ws, "usage", messy_usage(900, 32, "b.csv"), "b.csv")
    files = ws.usage_rows.files()
    assert len(files) == 4 + 2
    full = pd.concat([pq.read_table(str(f), columns=["_file", "_row", "cost"]).to_pandas() for f in files],
                     ignore_index=True)
    yield ws.usage_rows, full
    ws.close()


def shown(m, first: int, n: int) -> list[tuple[str, int, int]]:
    """(file, row, cost micros) of rows first..first+n as the model gives them."""
    f, r, c = COLS.index("_file"), COLS.index("_row"), COLS.index("cost")
    return [(m.data(m.index(i, f)), int(m.data(m.index(i, r))), int(m.data(m.index(i, c), RAW_ROLE) * 10**6))
            for i in range(first, min(first + n, m.rowCount()))]


def expected(full, first: int, n: int) -> list[tuple[str, int, int]]:
    part = full.iloc[first:first + n]
    return list(zip(part["_file"].astype(str), part["_row"].astype(int), part["cost"].astype(int), strict=True))


def test_model_rows_equal_a_full_read_across_chunks_row_groups_and_batches(qtbot, chunked):
    src, full = chunked
    m = paged.PagedUsageModel(src)
    m.wait_ready()
    assert m.rowCount() == len(full) == 2_600
    for first in (0, 119, 120, 499, 500, 1_650, 1_699, 1_700, 2_580):
        m.wait_rows(first, 45)
        assert shown(m, first, 45) == expected(full, first, 45)
    m.shutdown()


def test_sorted_model_rows_equal_a_full_sort(qtbot, chunked):
    src, full = chunked
    m = paged.PagedUsageModel(src)
    m.wait_ready()
    m.sort(COLS.index("cost"), Qt.SortOrder.DescendingOrder)
    assert m.busy
    m.wait_ready()
    assert m.rowCount() == 2_600 and not m.busy
    want = full.sort_values(["cost", "_file", "_row"], ascending=[False, True, True], kind="stable")
    for first in (0, 199, 200, 1_333, 2_590):
        m.wait_rows(first, 30)
        assert shown(m, first, 30) == expected(want, first, 30)
    header, body = m.to_rows(limit=250)  # export follows the sort, from the rows computed once
    assert [int(b[COLS.index("_row")]) for b in body] == want["_row"].astype(int).tolist()[:250]
    m.clear_sort()
    m.wait_ready()
    m.wait_rows(1_699, 2)
    assert shown(m, 1_699, 2) == expected(full, 1_699, 2)
    m.shutdown()


def test_a_long_sort_shows_placeholders_and_cancel_brings_the_rows_back(qtbot, chunked, monkeypatch):
    import threading


    src, full = chunked
    m = paged.PagedUsageModel(src)
    m.wait_ready()
    m.wait_rows(0, 10)
    assert shown(m, 0, 10) == expected(full, 0, 10)
    started = threading.Event()

    def slow(columns, *, progress=None, **_):  # a sort that runs until it is cancelled
        started.set()
        for _ in range(3000):
            progress.step(0.5, "sorting rows")  # raises Cancelled once cancelled
            threading.Event().wait(0.01)
        raise AssertionError("the sort was never cancelled")

    monkeypatch.setattr(src, "materialize", slow)
    busy = []
    m.queryBusy.connect(busy.append)
    m.sort(COLS.index("quantity"), Qt.SortOrder.AscendingOrder)
    assert started.wait(30) and m.busy and m.order == [("quantity", False)]
    assert m.rowCount() == 2_600  # the same rows: their count stays
    assert m.data(m.index(0, COLS.index("_row"))) is None  # placeholders while it runs
    with qtbot.waitSignal(m.queryCancelled, timeout=30000):
        m.cancel()
    assert not m.busy and m.order == [] and busy == [True, False]
    m.wait_rows(0, 10)
    assert shown(m, 0, 10) == expected(full, 0, 10)  # the rows as they were
    m.shutdown()


def test_a_failed_sort_keeps_the_order_shown(qtbot, chunked, monkeypatch):
    src, full = chunked
    m = paged.PagedUsageModel(src)
    m.wait_ready()

    def broken(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(src, "materialize", broken)
    with qtbot.waitSignal(m.failed, timeout=30000) as got:
        m.sort(COLS.index("cost"), Qt.SortOrder.AscendingOrder)
    assert "disk full" in got.args[0] and m.order == [] and not m.busy
    m.wait_rows(500, 3)
    assert shown(m, 500, 3) == expected(full, 500, 3)
    m.shutdown()


class _Huge(QAbstractTableModel):
    """Rows beyond what a Qt view can hold (2^31 pixels): 300 million."""

    def __init__(self, n: int = 300_000_000):
        super().__init__()
        self.n = n
        self.sorted_by = None

    def rowCount(self, parent=None):
        return self.n

    def columnCount(self, parent=None):
        return 2

    def value(self, row, col, role=0):
        return f"r{row}c{col}" if role == 0 else None

    def headerData(self, section, orientation, role=0):
        if role != 0:
            return None
        return f"{section + 1:,}" if orientation == Qt.Orientation.Vertical else f"C{section}"

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        self.sorted_by = (column, order)


def test_windowed_table_shows_any_number_of_rows_through_a_window(qtbot):
    from desktop.ui.source_rows import WindowedTable

    huge = _Huge()
    t = WindowedTable()
    qtbot.addWidget(t)
    t.view.verticalHeader().setDefaultSectionSize(22)
    t.set_model(huge)
    t.resize(800, 600)
    t.show()
    qtbot.waitExposed(t)
    win = t.view.model()
    fit = t.rows_fitting()
    # the Qt view holds only the rows on screen (a view of 3*10^8 rows overflows its int pixels)
    assert win.rowCount() == fit < 60
    assert t.scroll.maximum() == huge.n - fit + 1
    t.scroll_to(123_456_789)
    assert win.top == 123_456_789 and t.scroll.value() == 123_456_789
    assert win.data(win.index(0, 1)) == "r123456789c1" and win.headerData(0, Qt.Orientation.Vertical) == "123,456,790"
    t.scroll_to(huge.n)  # the end: the last row is on screen
    assert win.global_row(win.rowCount() - 1) == huge.n - 1
    assert win.headerData(win.rowCount() - 1, Qt.Orientation.Vertical) == "300,000,000"
    t.view.viewport().repaint()  # paints (a view of every row would paint all 3*10^8 headers)
    t.scroll_to(1_000)
    pos = QPointF(t.view.viewport().rect().center())
    wheel = QWheelEvent(pos, QPointF(t.view.viewport().mapToGlobal(pos.toPoint())), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(t.view.viewport(), wheel)
    assert win.top == 1_003  # one notch down: three rows
    t.view.setFocus()
    t.view.setCurrentIndex(win.index(0, 0))
    qtbot.keyClick(t.view, Qt.Key.Key_PageDown)
    assert win.top == 1_003 + fit - 1 and t.view.verticalScrollBar().value() == 0
    qtbot.keyClick(t.view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    assert win.global_row(win.rowCount() - 1) == huge.n - 1
    t.view.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert huge.sorted_by == (1, Qt.SortOrder.DescendingOrder)  # sorting is the whole model's


def test_source_rows_panel_scrolls_to_the_rows_of_the_workspace(qtbot, chunked):
    from desktop.ui.source_rows import SourceRowsPanel

    src, full = chunked
    panel = SourceRowsPanel()
    qtbot.addWidget(panel)
    panel.set_rows(src)
    panel.resize(900, 500)
    panel.show()
    m = panel.model
    assert panel.view.horizontalHeader().sortIndicatorSection() == -1 and m.order == []  # stored order
    m.wait_ready()
    assert "2,600" in panel.label.text()
    win = panel.view.model()
    panel.table.scroll_to(1_690)
    m.wait_rows(win.top, win.rowCount())
    f, r = COLS.index("_file"), COLS.index("_row")
    got = [(win.data(win.index(i, f)), int(win.data(win.index(i, r)))) for i in range(win.rowCount())]
    assert got == [(a, b) for a, b, _ in expected(full, 1_690, win.rowCount())]
    panel.view.horizontalHeader().setSortIndicator(COLS.index("cost"), Qt.SortOrder.DescendingOrder)
    assert m.order == [("cost", True)]  # a click on the header sorts every row, off the GUI thread
    m.wait_ready()
    assert not panel.cancel_btn.isVisible()
    panel.shutdown()


def test_a_cancelled_filter_brings_back_the_rows_and_their_count(qtbot, chunked, monkeypatch):
    import threading

    src, full = chunked
    m = paged.PagedUsageModel(src)
    m.wait_ready()

    def slow(columns, *, progress=None, **_):
        for _ in range(3000):
            progress.step(0.5, "filtering rows")
            threading.Event().wait(0.01)
        raise AssertionError("the filter was never cancelled")

    monkeypatch.setattr(src, "materialize", slow)
    m.set_text_filter("search")
    assert m.rowCount() == 0 and m.busy  # a filter: nothing counted yet
    counts = []
    m.countChanged.connect(counts.append)
    with qtbot.waitSignal(m.queryCancelled, timeout=30000):
        m.cancel()
    assert m.rowCount() == 2_600 and counts == [2_600] and m.query["text"] == ""
    m.wait_rows(1_700, 3)
    assert shown(m, 1_700, 3) == expected(full, 1_700, 3)
    m.shutdown()


def test_usage_page_pages_the_workspace_rows_before_any_analysis(qtbot, tmp_path):
    """At 10^8 rows the analysis takes minutes: the file rows are there from the page's start."""
    from desktop.ui.pages.usage import UsagePage
    from desktop.ui.session import Session

    ws = Workspace.open(tmp_path / "early.commitdesk", create=True)
    store(ws, "usage", messy_usage(1_200, 13, "a.csv"), "a.csv")
    session = Session(ws)
    try:
        page = UsagePage(session)
        qtbot.addWidget(page)
        assert session.analysis is None and page._df is None  # nothing computed
        assert page.sources.model is not None and page.sources._rows is ws.usage_rows
        page.sources.model.wait_ready()
        assert page.sources.model.rowCount() == 1_200
        page.sources.shutdown()
    finally:
        ws.close()
