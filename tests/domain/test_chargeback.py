"""Chargeback journal (docs/domain.md "Chargeback"), hand-computed."""

from datetime import date
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.domain import tables
from desktop.domain.chargeback import allocate_cents, chargeback_journal, invoice_periods
from desktop.domain.money import from_micros, money_sum, to_micros
from desktop.domain.settings import Settings

T = date(2026, 11, 20)


def usage(rows):
    df = pd.DataFrame(rows, columns=["date", "vendor", "cost", "team", "cost_center"])
    df["date"] = pd.to_datetime(df["date"])
    df["cost"] = [to_micros(c) for c in df["cost"]]
    return tables.conform(df, "usage")


ORG = tables.conform(pd.DataFrame({
    "team": ["Search", "Ads", "Ads"], "cost_center": ["CC-100", "CC-200", "CC-999"],
    "gl_account": ["6100", "6200", "6999"], "owner": ["ana", "bo", "x"]}), "org_map")

INVOICES = tables.conform(pd.DataFrame({
    "invoice_id": ["INV-OCT", "INV-OCT", "INV-NOV", "ANT-OCT"],
    "vendor": ["OpenAI", "OpenAI", "openai", "Anthropic"],
    "invoice_date": pd.to_datetime(["2026-11-02", "2026-11-02", "2026-12-03", "2026-11-05"]),
    "amount": [to_micros("10"), to_micros("1"), to_micros("5"), to_micros("7")],
    "period_start": pd.to_datetime(["2026-10-01", None, None, "2026-10-01"]),
    "period_end": pd.to_datetime(["2026-10-31", None, None, "2026-10-31"]),
}), "invoices")


def test_journal_by_hand():
    u = usage([
        ("2026-10-03", "OpenAI", "100.10", "Search", "CC-100"),
        ("2026-10-04", "OpenAI", "20.00", "search", None),       # team -> org map CC-100 / 6100
        ("2026-10-05", "Anthropic", "5.25", "Ads", None),         # Ads -> first org row CC-200 / 6200
        ("2026-10-06", "Anthropic", "3.00", "Ads", "CC-999"),     # given CC-999: Ads row with CC-999 -> 6999
        ("2026-10-07", "OpenAI", "1.50", "Nobody", None),         # unknown team -> unallocated
        ("2026-10-08", "OpenAI", "2.00", None, "CC-300"),         # cost center not in org map -> unassigned
        ("2026-11-10", "OpenAI", "40.00", None, None),            # no team, no cc -> unallocated
        ("2026-11-20", "OpenAI", "9.99", "Search", None),         # day T counts
        ("2026-11-21", "OpenAI", "1000.00", "Search", None),      # after T: not in the journal
    ])
    lines = chargeback_journal(u, ORG, INVOICES, T, Settings())
    got = [(ln.month, ln.cost_center, ln.gl_account, ln.amount, ln.invoice_ids) for ln in lines]
    assert got == [
        ("2026-10", "CC-100", "6100", Decimal("120.10"), ("INV-OCT",)),
        ("2026-10", "CC-200", "6200", Decimal("5.25"), ("ANT-OCT",)),
        ("2026-10", "CC-300", "unassigned", Decimal("2.00"), ("INV-OCT",)),
        ("2026-10", "CC-999", "6999", Decimal("3.00"), ("ANT-OCT",)),
        ("2026-10", "unallocated", "unassigned", Decimal("1.50"), ("INV-OCT",)),
        ("2026-11", "CC-100", "6100", Decimal("9.99"), ("INV-NOV",)),
        ("2026-11", "unallocated", "unassigned", Decimal("40.00"), ("INV-NOV",)),
    ]
    assert all(ln.currency == "USD" for ln in lines)
    oct_total = sum(ln.amount for ln in lines if ln.month == "2026-10")
    assert oct_total == Decimal("131.85")


def test_invoice_without_period_takes_the_month_before():
    periods = {i: (s, e) for i, _, s, e in invoice_periods(INVOICES)}
    assert periods["INV-NOV"] == (date(2026, 11, 1), date(2026, 11, 30))
    assert periods["INV-OCT"] == (date(2026, 10, 1), date(2026, 10, 31))


def test_no_org_map_everything_without_cost_center_is_unallocated():
    u = usage([("2026-10-03", "OpenAI", "1.00", "Search", None)])
    lines = chargeback_journal(u, None, None, T, Settings())
    assert [(ln.cost_center, ln.gl_account, ln.amount, ln.invoice_ids) for ln in lines] == [
        ("unallocated", "unassigned", Decimal("1.00"), ())]
    assert chargeback_journal(tables.empty("usage"), ORG, INVOICES, T, Settings()) == ()


def test_sub_cent_rows_still_add_up_to_the_month():
    # three lines of 0.005 each: each rounds half-up to 0.01, but the month is 0.015 -> 0.02
    u = usage([("2026-10-01", "OpenAI", "0.005", None, "A"), ("2026-10-01", "OpenAI", "0.005", None, "B"),
               ("2026-10-01", "OpenAI", "0.005", None, "C")])
    lines = chargeback_journal(u, None, None, T, Settings())
    assert [ln.amount for ln in lines] == [Decimal("0.00"), Decimal("0.01"), Decimal("0.01")]
    assert allocate_cents([4_000, 4_000, 4_000]) == [Decimal("0.01"), Decimal("0.00"), Decimal("0.00")]
    assert allocate_cents([-5_000, -5_000]) == [Decimal("0.00"), Decimal("-0.01")]  # -0.01 total


_ROW = st.tuples(st.integers(0, 59), st.sampled_from(["OpenAI", "Anthropic"]),
                 st.integers(-2_000_000, 500_000_000), st.sampled_from(["Search", "Ads", "Ghost", None]),
                 st.sampled_from([None, "CC-1", "CC-2"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=40))
def test_month_totals_equal_the_sum_of_rows_to_the_cent(rows):
    start = pd.Timestamp("2026-09-15")
    df = pd.DataFrame({
        "date": [start + pd.Timedelta(days=d) for d, *_ in rows],
        "vendor": [r[1] for r in rows], "cost": [r[2] for r in rows],
        "team": [r[3] for r in rows], "cost_center": [r[4] for r in rows]})
    u = tables.conform(df, "usage")
    lines = chargeback_journal(u, ORG, INVOICES, T, Settings())
    months = u["date"].dt.strftime("%Y-%m")
    for m in months.unique():
        exact = from_micros(money_sum(u.loc[months == m, "cost"]))
        total = sum((ln.amount for ln in lines if ln.month == m), Decimal(0))
        assert total == exact.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert {ln.month for ln in lines} == set(months.unique())
