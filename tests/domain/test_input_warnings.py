"""Warnings and refusals that keep a typo or a silent miss from reaching the figures."""

from datetime import date

import pandas as pd
import pytest

from desktop.domain import tables
from desktop.domain.analysis import as_of_warnings, build_analysis, unknown_contract_warnings
from desktop.domain.budgets import month_bounds
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.results import ImportIssue, ImportReport


def usage(rows, file="u.csv"):
    df = pd.DataFrame(rows, columns=["date", "vendor", "cost", "contract_id"])
    df["date"] = pd.to_datetime(df["date"])
    df["_file"] = file
    df["_row"] = range(2, len(df) + 2)
    return tables.conform(df, "usage")


def commitments(rows):
    df = pd.DataFrame(rows, columns=["contract_id", "vendor", "period_start", "period_end", "commitment"])
    df["period_start"] = pd.to_datetime(df["period_start"])
    df["period_end"] = pd.to_datetime(df["period_end"])
    df["_file"] = "c.csv"
    df["_row"] = range(2, len(df) + 2)
    return tables.conform(df, "commitments")


COM = [("OAI-2026", "OpenAI", "2026-01-01", "2026-12-31", 36_500_000_000)]


def test_usage_naming_an_unknown_contract_is_reported_with_rows_and_money():
    u = usage([("2026-03-01", "OpenAI", 100_000_000, "OAI-2026"), ("2026-03-02", "OpenAI", 900_000_000, "OAI-2O26"),
               ("2026-03-03", "OpenAI", 50_500_000, "OAI-2O26")])
    (w,) = unknown_contract_warnings(u, commitments(COM))
    assert w == ("usage names contract 'OAI-2O26', which is not in the commit schedule: 2 rows "
                 "(u.csv row 3, u.csv row 4), 950.50 USD, draw down no contract")
    a = build_analysis(Inputs(usage=u, commitments=commitments(COM)), as_of=date(2026, 3, 3))
    assert a.contracts[0].consumed_to_date == pytest.approx(100) and w in a.warnings


def test_as_of_taken_from_a_typo_row_is_named():
    u = usage([("2026-02-01", "OpenAI", 1, None), ("2026-02-02", "OpenAI", 1, None),
               ("2062-02-03", "OpenAI", 1, None)])
    (w,) = as_of_warnings(Inputs(usage=u), date(2062, 2, 3), today=date(2026, 11, 22))
    assert "2062-02-03" in w and "u.csv row 4" in w and "after today (2026-11-22)" in w
    # 40 days after every other date, yet not in the future: still named
    u2 = usage([("2026-02-01", "OpenAI", 1, None), ("2026-03-13", "OpenAI", 1, None)])
    (w2,) = as_of_warnings(Inputs(usage=u2), date(2026, 3, 13), today=date(2026, 11, 22))
    assert "40 days after any other usage" in w2 and "u.csv row 3" in w2
    # 31 days is a normal gap: no warning
    u3 = usage([("2026-02-01", "OpenAI", 1, None), ("2026-03-04", "OpenAI", 1, None)])
    assert as_of_warnings(Inputs(usage=u3), date(2026, 3, 4), today=date(2026, 11, 22)) == []


def test_invoices_from_a_file_with_rejected_lines_carry_a_note():
    inv = pd.DataFrame({"invoice_id": ["I1"], "vendor": ["OpenAI"], "invoice_date": [pd.Timestamp("2026-03-03")],
                        "amount": [100_000_000], "period_start": [pd.Timestamp("2026-02-01")],
                        "period_end": [pd.Timestamp("2026-02-28")], "_file": ["inv.csv"], "_row": [2]})
    rep = ImportReport("inv.csv", "invoices", "canonical-csv", 2, 1, 1,
                       (ImportIssue(3, "line_type", "not a line type"),))
    u = usage([("2026-02-10", "OpenAI", 95_000_000, None)])
    a = build_analysis(Inputs(usage=u, invoices=tables.conform(inv, "invoices"), imports=(rep,)),
                       as_of=date(2026, 3, 3))
    note = "inv.csv had 1 invoice line rejected at import (row 3); this invoice may be incomplete"
    assert a.invoices[0].notes == (note,)
    assert "inv.csv had 1 invoice line rejected at import (row 3); invoices I1 may be incomplete" in a.warnings


@pytest.mark.parametrize("month", ["0001-01", "1899-12", "2262-01"])
def test_budget_months_outside_the_calendar_are_refused(month):
    with pytest.raises(ValueError):
        month_bounds(month)
    assert month_bounds("2026-02") == (date(2026, 2, 1), date(2026, 2, 28))


def test_commit_period_with_a_year_typo_is_refused_with_row_and_column():
    c = commitments([("C", "OpenAI", "1726-01-01", "2026-12-31", 100_000_000)])
    with pytest.raises(InputError) as err:
        build_analysis(Inputs(commitments=c, usage=usage([("2026-02-01", "OpenAI", 1, None)])))
    assert (err.value.file, err.value.row, err.value.column) == ("c.csv", 2, "period_start")


def test_budget_on_vendor_accepts_known_aliases():
    """Usage AWS 13.00, OpenAI 10.00; budget values 'Amazon Web Services' and 'open ai'."""
    u = usage([("2026-02-01", "AWS", 13_000_000, None), ("2026-02-02", "OpenAI", 10_000_000, None)])
    b = pd.DataFrame({"allocation": ["cloud", "llm"], "month": ["2026-02", "2026-02"],
                      "budget": [100_000_000, 100_000_000], "dimension": ["vendor", "vendor"],
                      "value": ["Amazon Web Services", "open ai"], "_file": "b.csv", "_row": [2, 3]})
    a = build_analysis(Inputs(usage=u, budgets=tables.conform(b, "budgets")), as_of=date(2026, 2, 28))
    assert {x.allocation: str(x.actual) for x in a.budgets} == {"cloud": "13.00", "llm": "10.00"}
