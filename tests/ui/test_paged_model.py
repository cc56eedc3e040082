"""The paged Usage model: rows read page by page from the workspace's Parquet, off the GUI
thread; sort, text filter and column filters pushed down to DuckDB; copy/export rows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

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
