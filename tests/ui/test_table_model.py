"""The numpy table model: sorting and filtering as a permutation, exact money display."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt

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
    m.sort(1, Qt.SortOrder.DescendingOrder)
    top = df["cost"].to_numpy().max()
    assert cell(m, 0, 1, SOURCE_ROW_ROLE) == int(np.argmax(df["cost"].to_numpy()))
    assert cell(m, 0, 1) == f"{(Decimal(int(top)) / 10**6).quantize(Decimal('0.01'), 'ROUND_HALF_UP'):,}"
    m.set_text_filter("growth")
    assert m.rowCount() == int((df["team"] == "Growth").sum())
    # a viewport of cells
    cells = [cell(m, r, c) for r in range(100_000, 100_040) for c in range(2)]
    assert all(isinstance(x, str) and x for x in cells)
