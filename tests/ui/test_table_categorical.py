"""A dictionary-encoded text column in the table model (issue 19): the model keeps the
Categorical's own one-byte codes (no second, int32 array of codes per column) and shows exactly
the text the same column as plain strings shows: blanks and nulls, after a sort and a filter."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt

from desktop.domain import tables
from desktop.ui.models.table import Col, ColumnTableModel

VALUES = ["Search", None, "", "search", "Support", "Support", None, "Data Platform", "", "Growth",
          "SEARCH", "Research"]


def _models(qtbot):
    cat = tables.text_column(pd.Series(VALUES, dtype="string"))
    # a category no row uses (rows filtered away before the table shows them)
    cat = cat.cat.add_categories(["Gone"])
    assert tables.is_dictionary(cat)
    plain = pd.Series(VALUES, dtype="string")
    cost = np.arange(len(VALUES), dtype=np.int64) * 1_000_000
    models = []
    for s in (cat, plain):
        m = ColumnTableModel()
        m.set_columns([Col.text("Team", s, key="team"), Col.micros("Cost", cost, key="cost")])
        models.append(m)
    return models[0], models[1], cat


def _shown(m) -> list[tuple[str, str]]:
    return [(m.data(m.index(r, 0)), m.data(m.index(r, 1))) for r in range(m.rowCount())]


def test_the_column_keeps_the_categorical_codes(qtbot):
    m, _plain, cat = _models(qtbot)
    col = m.col("team")
    assert col.values.dtype == np.int8
    assert "Gone" not in list(col.uniques)  # only values some row has
    full = tables.text_column(pd.Series(VALUES, dtype="string"))
    shared = Col.text("Team", full)
    assert np.shares_memory(shared.values, full.array.codes)  # no copy when every category is used


def test_same_text_as_plain_strings_blanks_nulls_sort_and_filter(qtbot):
    m, plain, _cat = _models(qtbot)
    assert _shown(m) == _shown(plain)
    assert [m.data(m.index(r, 0)) for r in (1, 2)] == ["", ""]  # a null and a blank both show empty
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        m.sort(0, order)
        plain.sort(0, order)
        assert _shown(m) == _shown(plain)
    asc = ColumnTableModel()
    asc.set_columns([m.col("team")])
    asc.sort(0, Qt.SortOrder.AscendingOrder)
    # nulls first, then casefolded, case variants as written
    assert [asc.data(asc.index(r, 0)) for r in range(asc.rowCount())] == [
        "", "", "", "", "Data Platform", "Growth", "Research", "SEARCH", "Search", "search", "Support", "Support"]
    for model in (m, plain):
        model.set_text_filter("sea")
    assert _shown(m) == _shown(plain) and len(_shown(m)) == 4  # Search, search, SEARCH, Research
    for model in (m, plain):
        model.set_text_filter("")
        model.set_filter("team", model.col("team").equals("support"))
    assert _shown(m) == _shown(plain)
    assert sorted(_shown(m)) == [("Support", "4.00"), ("Support", "5.00")]
    assert m.col("team").value(1) is None and plain.col("team").value(1) is None
    assert m.col("team").value(2) == "" == plain.col("team").value(2)


def test_calendar_dates_read_without_pandas_equal_the_pandas_reading():
    from datetime import date, datetime

    for values in ([date(2026, 1, 1), None, date(2025, 12, 31)], [None], [], [date(2026, 2, 28)]):
        got = Col.date("Start", values).values
        want = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype="datetime64[ns]")
        assert got.dtype == want.dtype and got.tolist() == want.tolist()
    mixed = [date(2026, 1, 1), datetime(2026, 1, 2, 12, 30), "2026-01-03"]  # not only dates: pandas reads them
    assert Col.date("Start", mixed).values.tolist() == pd.to_datetime(pd.Series(mixed, dtype=object)).to_numpy(
        dtype="datetime64[ns]").tolist()
    assert Col.date("Start", [date(2026, 1, 1), None]).display(1) == ""
    far = [date(2026, 1, 1), date(9999, 12, 31)]  # beyond nanoseconds: blank, as pandas reads it
    assert Col.date("End", far).values.tolist() == pd.to_datetime(pd.Series(far, dtype=object), errors="coerce").to_numpy(
        dtype="datetime64[ns]").tolist()
