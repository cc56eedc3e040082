"""The phases of ingest.build.build, each on a small Source with hand-written expectations
(the phases the end-to-end ingest tests did not pin down on their own)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from desktop.domain import tables
from desktop.ingest import build as b


def source(kind: str, columns: dict, n: int, **kw) -> b.Source:
    cols = {k: (pd.Series(v, dtype=object) if isinstance(v, list) else v) for k, v in columns.items()}
    return b.Source(kind=kind, columns=cols, names={k: k for k in columns},
                    rows=np.arange(2, n + 2), **kw)


def usage(n: int, **over) -> dict:
    cols = {"date": [f"2026-01-0{i + 1}" for i in range(n)], "vendor": ["OpenAI"] * n,
            "cost": ["1.00"] * n}
    cols.update(over)
    return cols


def test_totals_rows_need_a_label_and_a_missing_or_labelled_required_value():
    # row 2: label, vendor blank -> total; row 3: label in the vendor -> total;
    # row 4: label seen but every required value is data -> kept
    cols = usage(3, vendor=["", "Total", "OpenAI"], team=["Total", "", "Total Rewards"])
    src = source("usage", cols, 3, totals=np.array([True, True, True]))
    got = b.totals_rows(src, tables.SPECS["usage"], src.columns)
    assert got.tolist() == [True, True, False]


def test_file_conventions_warn_when_numbers_could_be_read_either_way():
    src = source("usage", usage(2, cost=["1.234", "2.500"]), 2)
    warnings: list[str] = []
    decimal, order = b.file_conventions(src, tables.SPECS["usage"], src.columns,
                                        np.ones(2, bool), src.rows, warnings)
    assert decimal == "."
    assert len(warnings) == 1 and "could be read either way" in warnings[0]
    # a mapping profile's decimal decides, without a warning
    src = source("usage", usage(2, cost=["1.234", "2.500"]), 2, decimal=",")
    warnings = []
    decimal, _ = b.file_conventions(src, tables.SPECS["usage"], src.columns,
                                    np.ones(2, bool), src.rows, warnings)
    assert (decimal, warnings) == (",", [])


def test_reject_rows_budget_month_and_dimension():
    cols = {"allocation": ["a", "b", "c"], "month": ["2026-01", "January-ish", "2026-03"],
            "budget": ["10", "10", "10"], "dimension": ["Cost Centre", "team", "planet"],
            "value": ["x", "y", "z"]}
    built = b.build(source("budgets", cols, 3))
    assert [(e.row, e.column) for e in built.errors] == [(3, "month"), (4, "dimension")]
    assert built.frame["dimension"].tolist() == ["cost_center"]
    assert (built.rows_read, built.rows_imported, built.rows_rejected) == (3, 1, 2)


def test_reject_rows_period_end_before_start_and_one_of():
    cols = {"contract_id": ["C1", "C2"], "vendor": ["OpenAI", "OpenAI"],
            "period_start": ["2026-01-01", "2026-06-01"], "period_end": ["2026-12-31", "2026-05-31"],
            "commitment": ["100", "100"], "currency": ["USD", "USD"]}
    built = b.build(source("commitments", cols, 2))
    assert [(e.row, e.column, e.message) for e in built.errors] == [
        (3, "period_end", "period_end is before period_start")]
    rate = {"vendor": ["OpenAI", "OpenAI"], "model": ["gpt", ""], "meter": ["", ""],
            "contracted_price": ["0.5", "0.5"]}
    built = b.build(source("rate_card", rate, 2))
    assert [(e.row, e.column) for e in built.errors] == [(3, "model/meter")]


def test_a_money_cell_naming_another_currency_than_the_column_is_rejected():
    built = b.build(source("usage", usage(2, cost=["€5", "$5"], currency=["EUR", "EUR"]), 2))
    assert [(e.row, e.column) for e in built.errors] == [(3, "cost")]
    assert built.frame["currency"].tolist() == ["EUR"]


def test_duplicate_rows_are_the_later_copies_among_good_rows():
    raw = pd.DataFrame({"a": ["x", "y", "x", "x"], "b": ["1", "2", "1", "1"]})
    src = source("usage", usage(4), 4, raw=raw)
    good = np.array([True, True, False, True])  # row 4 (position 2) was rejected
    assert b.duplicate_rows(src, good, src.rows, {}) == [5]


def test_report_lists_at_most_max_issues_and_says_how_many(monkeypatch):
    monkeypatch.setattr(b, "MAX_ISSUES", 2)
    built = b.build(source("usage", usage(3, cost=["x", "y", "z"]), 3))
    assert len(built.errors) == 2
    assert "3 problems found; the first 2 are listed" in built.warnings
    assert (built.rows_read, built.rows_imported, built.rows_rejected, built.totals_excluded) == (3, 0, 3, 0)
