"""Usage -> consumed -> invoiced bridge, the accrual and its journal (desktop/domain/
reconciliation.py), and the month-by-month burn (desktop/domain/burn_months.py), by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd

from desktop.domain import tables
from desktop.domain.analysis import build_analysis
from desktop.domain.burn_months import burn_table
from desktop.domain.inputs import Inputs
from desktop.domain.reconciliation import ACCRUAL_ACCOUNT, accrual_rows, reconciliation
from desktop.domain.settings import Settings
from tests.domain.test_contracts import D, commitments, frame, usage


def _case():
    # OpenAI under contract C (April..June); Anthropic without a contract.
    u = usage([
        dict(date="2026-04-10", vendor="OpenAI", cost=100.004, team="Search"),
        dict(date="2026-04-20", vendor="Anthropic", cost=50.003, team="Support"),
        dict(date="2026-05-03", vendor="OpenAI", cost=70.333, team="Search"),
        dict(date="2026-05-04", vendor="OpenAI", cost=30.333, team="Support"),
        dict(date="2026-05-05", vendor="Anthropic", cost=9.999, team="Nobody"),
        dict(date="2026-05-20", vendor="OpenAI", cost=1000, team="Search"),  # after T: not counted
    ])
    c = commitments([dict(contract_id="C", vendor="OpenAI", period_start="2026-04-01", period_end="2026-06-30",
                          commitment=910)])
    # April is invoiced for both vendors (OpenAI bills 105.00 for 100.004 of usage); May not yet
    inv = frame("invoices", [
        dict(invoice_id="O-4", vendor="OpenAI", invoice_date="2026-05-02", period_start="2026-04-01",
             period_end="2026-04-30", amount=105, line_type="usage"),
        dict(invoice_id="A-4", vendor="Anthropic", invoice_date="2026-05-02", period_start="2026-04-01",
             period_end="2026-04-30", amount=50, line_type="usage"),
    ], ("amount",), "invoices.csv")
    org = tables.conform(pd.DataFrame([dict(team="Search", cost_center="CC-1", gl_account="6420"),
                                       dict(team="Support", cost_center="CC-2", gl_account="5120")]), "org_map")
    return build_analysis(Inputs(usage=u, commitments=c, invoices=inv, org_map=org), Settings(), date(2026, 5, 10))


def test_bridge_adds_up_and_the_accrual_is_the_uninvoiced_usage():
    a = _case()
    r = reconciliation(a)
    # usage to T: 100.004 + 50.003 + 70.333 + 30.333 + 9.999 = 260.672
    assert r.usage == D("260.67")
    # OpenAI rows draw down C: 100.004 + 70.333 + 30.333 = 200.67
    assert r.consumed == D("200.67") and r.not_drawing_down == D("60.00")
    # May has no invoice of either vendor: 70.333 + 30.333 + 9.999 = 110.665 -> 110.67 (half-up)
    assert r.accrual == D("110.67")
    assert r.covered == D("150.00") and r.invoiced == D("155.00") and r.billing_difference == D("5.00")
    assert r.usage - r.accrual + r.billing_difference == r.invoiced
    assert r.consumed + r.not_drawing_down == r.usage
    assert r.accrued_months == (("Anthropic", "2026-05"), ("OpenAI", "2026-05"))
    # the rows behind the accrual: the three May rows up to T
    rows = a.usage.iloc[accrual_rows(a)]
    assert sorted(rows["date"].dt.strftime("%m-%d")) == ["05-03", "05-04", "05-05"]


def test_accrual_journal_balances_to_the_cent():
    r = reconciliation(_case())
    got = [(j.account, j.cost_center, j.debit, j.credit) for j in r.journal]
    # exact 70.333 + 30.333 + 9.999 = 110.665 -> 110.67. Whole cents first: 70.33 + 30.33 + 9.99
    # = 110.65; the 2 cents left go to the largest remainders: 9.999 (0.009) -> 10.00, then the
    # first of the equal 0.003 remainders (CC-1) -> 70.34
    assert got == [
        ("6420", "CC-1", D("70.34"), D("0.00")),
        ("5120", "CC-2", D("30.33"), D("0.00")),
        ("unassigned", "unallocated", D("10.00"), D("0.00")),
        (ACCRUAL_ACCOUNT, "", D("0.00"), D("110.67")),
    ]
    assert sum(j.debit for j in r.journal) == sum(j.credit for j in r.journal) == D("110.67")
    assert r.journal_balance == Decimal("0.00")


def test_nothing_to_accrue_when_every_month_is_invoiced():
    a = _case()
    a2 = build_analysis(Inputs(usage=a.inputs.usage, commitments=a.inputs.commitments,
                               invoices=tables.empty("invoices"), org_map=a.inputs.org_map),
                        Settings(), date(2026, 4, 30))
    r = reconciliation(a2)
    # no invoices at all: every row to T is accrued (April: 100.004 + 50.003)
    assert r.accrual == D("150.01") and r.covered == D("0.00") and r.journal_balance == 0


def test_burn_by_month_reads_the_daily_burn_up():
    a = _case()
    months = burn_table(a)
    assert [m.month for m in months] == ["2026-04", "2026-05", "2026-06"]
    apr, may, jun = months
    # April: 100.004 consumed; the burn line at 04-30 is 910 x 30/91 = 300.00
    assert (apr.consumed, apr.consumed_to_date, apr.expected) == (D("100.00"), D("100.00"), D("300.00"))
    assert apr.gap == D("-200.00") and apr.projected is None
    # May up to T = 05-10: 70.333 + 30.333 = 100.666 -> 100.67; to date 200.67; line at 05-10:
    # 910 x 40/91 = 400.00
    assert (may.through, may.consumed, may.consumed_to_date, may.expected) == (
        date(2026, 5, 10), D("100.67"), D("200.67"), D("400.00"))
    assert may.consumed_to_date == a.contracts[0].consumed_to_date
    # June: after T, only the line and the projection (the contract's projected consumption)
    assert jun.consumed is None and jun.expected == D("910.00")
    assert jun.projected == a.contracts[0].projected_consumption
