"""The numpy table model: sorting and filtering as a permutation, exact money display."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from PySide6.QtCore import QCoreApplication, Qt

from desktop.ui.models.table import SOURCE_ROW_ROLE, Col, ColumnTableModel


def _model(qtbot=None):
    m = ColumnTableModel()
    m.set_columns([
        Col.text("Team", ["Search", "support", None, "Growth", "Search"]),
        Col.micros("Cost", [1_234_565_000, 5_000, -2_500_000, 999_995_000, 0]),
        Col.money("Budget", [Decimal("10.00"), None, Decimal("-3.50"), Decimal("1234567.891"), Decimal("0")]),
        Col.num("Share", [0.5, None, 0.25, 0.125, 0.0], kind="pct"),
        Col.date("Day", ["2026-01-03", "2026-01-01", None, "2026-01-02", "2026-01-05"]),
    ])
    return m


def cell(m, r, c, role=Qt.ItemDataRole.DisplayRole):
    return m.data(m.index(r, c), role)


def test_display_is_exact_and_aligned():
    m = _model()
    assert [cell(m, r, 0) for r in range(5)] == ["Search", "support", "", "Growth", "Search"]
    # micros rounded half-up to cents with integer arithmetic
    assert [cell(m, r, 1) for r in range(5)] == ["1,234.57", "0.01", "-2.50", "1,000.00", "0.00"]
    assert [cell(m, r, 2) for r in range(5)] == ["10.00", "—", "-3.50", "1,234,567.89", "0.00"]
    assert cell(m, 1, 3) == "—" and cell(m, 0, 3) == "50.0%"
    assert cell(m, 2, 4) == "" and cell(m, 0, 4) == "2026-01-03"
    assert cell(m, 0, 1, Qt.ItemDataRole.TextAlignmentRole) & int(Qt.AlignmentFlag.AlignRight)


def test_sort_is_a_permutation_over_source_rows():
    m = _model()
    m.sort(1, Qt.SortOrder.AscendingOrder)
    assert [cell(m, r, 1) for r in range(5)] == ["-2.50", "0.00", "0.01", "1,000.00", "1,234.57"]
    assert [cell(m, r, 0, SOURCE_ROW_ROLE) for r in range(5)] == [2, 4, 1, 3, 0]
    m.sort(0, Qt.SortOrder.AscendingOrder)  # text: case-insensitive, empty first
    assert [cell(m, r, 0) for r in range(5)] == ["", "Growth", "Search", "Search", "support"]
    m.sort(4, Qt.SortOrder.DescendingOrder)
    assert cell(m, 0, 4) == "2026-01-05"


def test_filters_combine_and_keep_the_sort():
    m = _model()
    m.sort(1, Qt.SortOrder.DescendingOrder)
    m.set_text_filter("sea")
    assert m.rowCount() == 2
    assert [cell(m, r, 1) for r in range(2)] == ["1,234.57", "0.00"]
    m.set_filter("positive", m.col("Cost").values > 0)
    assert m.rowCount() == 1 and m.source_row(0) == 0
    m.set_text_filter("")
    m.set_filter("positive", None)
    assert m.rowCount() == 5
    assert m.view_rows([3]).tolist() == [1]  # descending by cost: row 3 (1,000.00) is second


def test_a_million_rows(qtbot):
    n = 1_000_000
    rng = np.random.default_rng(1)
    df = pd.DataFrame({
        "team": pd.Series(rng.choice(["Search", "Support", "Growth"], n)).astype("string"),
        "cost": rng.integers(0, 10**9, n, dtype=np.int64),
    })
    m = ColumnTableModel()
    m.set_columns([Col.text("Team", df["team"]), Col.micros("Cost", df["cost"].to_numpy())])
    with qtbot.waitSignal(m.filterApplied, timeout=60000):  # 1M rows: sorted in the worker
        m.sort(1, Qt.SortOrder.DescendingOrder)
    top = df["cost"].to_numpy().max()
    assert cell(m, 0, 1, SOURCE_ROW_ROLE) == int(np.argmax(df["cost"].to_numpy()))
    assert cell(m, 0, 1) == f"{(Decimal(int(top)) / 10**6).quantize(Decimal('0.01'), 'ROUND_HALF_UP'):,}"
    with qtbot.waitSignal(m.filterApplied, timeout=60000):
        m.set_text_filter("growth")
    assert m.rowCount() == int((df["team"] == "Growth").sum())
    # a viewport of cells
    cells = [cell(m, r, c) for r in range(100_000, 100_040) for c in range(2)]
    assert all(isinstance(x, str) and x for x in cells)


# ---------------------------------------------------------------------------------------------
# big tables: filters and sorts in the worker


def _big_model(n: int = 150_000):
    rng = np.random.default_rng(3)
    teams = np.array(["Search", "Support", "Growth", "Data"], dtype=object)
    team = teams[rng.integers(0, 4, n)]
    m = ColumnTableModel()
    m.set_columns([Col.text("Team", pd.Series(team)), Col.ints("Row", np.arange(n))])
    return m, team


def test_a_big_table_filters_off_the_gui_thread_while_the_gui_ticks(qtbot, monkeypatch):
    """The filter's work runs in a worker thread; the GUI thread stays free meanwhile (its timer
    fires while the filter is still running: the filter waits for that tick, which it could never
    see if it ran on the GUI thread) and the table shows the filtered rows when they are ready."""
    import threading

    from PySide6.QtCore import QTimer

    from desktop.ui.models import table

    m, team = _big_model()
    assert m.total_rows >= m.async_rows
    gui = threading.get_ident()
    ticked = threading.Event()
    seen: list[tuple[int, bool]] = []
    real = table.view_order

    def spy(*args, **kw):
        ticked.clear()
        seen.append((threading.get_ident(), ticked.wait(20)))
        return real(*args, **kw)

    monkeypatch.setattr(table, "view_order", spy)
    timer = QTimer()
    timer.timeout.connect(ticked.set)
    timer.start(5)
    try:
        with qtbot.waitSignal(m.filterApplied, timeout=60000):
            m.set_text_filter("sup")
            assert m.filter_busy and m.rowCount() == len(team)  # returned at once, rows not swapped yet
    finally:
        timer.stop()
    assert seen and all(t != gui and tick for t, tick in seen)
    assert m.rowCount() == int((team == "Support").sum())
    assert {m.data(m.index(r, 0)) for r in range(0, m.rowCount(), 997)} == {"Support"}


def test_typing_fast_cancels_the_previous_filter(qtbot, monkeypatch):
    """A keystroke while the previous filter still runs: the previous run is told to stop and its
    rows never land; the table shows the last text's rows only."""
    import threading

    from desktop.ui.models import table

    m, team = _big_model()
    release = threading.Event()
    calls: list = []
    real = table.view_order

    def spy(cols, filters, text, sort, order=None, progress=None):
        calls.append((text, progress))
        if text == "s":
            release.wait(20)  # still running when the next key comes
        return real(cols, filters, text, sort, order, progress)

    monkeypatch.setattr(table, "view_order", spy)
    landed: list[int] = []
    m.filterApplied.connect(lambda: landed.append(m.rowCount()))
    m.set_text_filter("s")
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=20000)
    with qtbot.waitSignal(m.filterApplied, timeout=60000):
        m.set_text_filter("su")
        release.set()
    assert m.runner.wait(20000)
    QCoreApplication.processEvents()
    assert calls[0][0] == "s" and calls[0][1].cancelled
    assert landed == [int((team == "Support").sum())]


def test_view_order_filters_a_cached_sort_order_like_a_fresh_sort():
    """Filtering the full sorted order (reused from the previous call) gives the same rows in the
    same order as sorting the filtered rows: ties keep source order ascending, reversed when
    descending. Hand-made: values 3 1 2 1 3 over rows 0..4."""
    from desktop.ui.models.table import view_order

    cols = [Col.ints("v", [3, 1, 2, 1, 3]), Col.text("t", ["a", "b", "a", "a", "b"])]
    up = (0, Qt.SortOrder.AscendingOrder)
    perm, order = view_order(cols, {}, "", up)
    assert perm.tolist() == [1, 3, 2, 0, 4] and order.tolist() == [1, 3, 2, 0, 4]
    keep = {"odd": np.array([False, True, False, True, True])}
    assert view_order(cols, keep, "", up, order)[0].tolist() == [1, 3, 4]
    assert view_order(cols, {}, "a", up, order)[0].tolist() == [3, 2, 0]
    down = (0, Qt.SortOrder.DescendingOrder)
    perm, order = view_order(cols, {}, "", down)
    assert perm.tolist() == [4, 0, 2, 3, 1]
    assert view_order(cols, {}, "b", down, order)[0].tolist() == [4, 1]
    assert view_order(cols, keep, "", None)[0].tolist() == [1, 3, 4]
