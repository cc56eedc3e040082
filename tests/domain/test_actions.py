"""Findings that need a person: keys, severities, owners, due dates (issue 4)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pandas as pd

from desktop.domain import tables
from desktop.domain.actions import build_findings, line_fingerprint
from desktop.domain.inputs import Inputs
from desktop.domain.money import to_micros
from desktop.domain.results import (
    Analysis,
    AnomalyResult,
    BudgetResult,
    ContractResult,
    InvoiceFlag,
    InvoiceResult,
)
from desktop.domain.settings import Settings

T = date(2026, 11, 20)
Z = Decimal("0.00")
D = Decimal


def budget(alloc, sev, tier, util, rca_due=None, **kw):
    return BudgetResult(allocation=alloc, month="2026-11", budget=D(1000), actual=D(970), utilization=util,
                        forecast=D(1200), variance=D(200), variance_pct=0.2, severity=sev, alert_tier=tier,
                        rca_due=rca_due, **kw)


def contract(cid, band, esc_to, ratio=0.7):
    return ContractResult(
        contract_id=cid, vendor="OpenAI", term_start=date(2026, 1, 1), term_end=date(2026, 12, 31),
        commitment=D(100000), consumed_to_date=D(60000), expected_to_date=D(85000), pacing_ratio=ratio, band=band,
        run_rate=D(100), required_run_rate=D(900), projected_consumption=D(64000), shortfall_exposure=D(36000),
        overage=Z, overage_premium=Z, periods=(), owner="olga", escalation_owner="eve", escalation_to=esc_to)


def invoice_lines(file="inv.csv", first_row=2):
    df = pd.DataFrame({
        "invoice_id": ["INV-7"] * 4, "vendor": "OpenAI", "invoice_date": pd.to_datetime(["2026-11-03"] * 4),
        "amount": [to_micros("120.00"), to_micros("120.00"), to_micros("120.00"), to_micros("45.50")],
        "description": ["GPT-4o input", "GPT-4o input", "GPT-4o input", "Embeddings"],
        "model": ["gpt-4o", "gpt-4o", "gpt-4o", "text-embedding-3"], "quantity": [1000.0, 1000.0, 1000.0, 5.0],
        "unit_price": [0.12, 0.12, 0.12, 9.1],
        "_file": file, "_row": list(range(first_row, first_row + 4))})
    return tables.conform(df, "invoices")


def invoice(file="inv.csv", first_row=2, status="overbilled", variance_pct=0.08):
    flags = (
        InvoiceFlag(line=first_row + 1, flag="duplicate_line", leakage=D("120.00"), owner="lee", file=file,
                    description="GPT-4o input", amount=D("120.00")),
        InvoiceFlag(line=first_row + 2, flag="duplicate_line", leakage=D("120.00"), owner="lee", file=file,
                    description="GPT-4o input", amount=D("120.00")),
        InvoiceFlag(line=first_row + 3, flag="premium_rate", leakage=D("0.50"), owner="lee", file=file,
                    description="Embeddings", amount=D("45.50")),
    )
    return InvoiceResult(invoice_id="INV-7", vendor="OpenAI", period_start=date(2026, 10, 1),
                         period_end=date(2026, 10, 31), invoiced=D("405.50"), expected=D("375.00"),
                         variance=D("30.50"), variance_pct=variance_pct, status=status, tax=Z,
                         premium_leakage=D("240.50"), flags=flags, contract_id="OA-1")


ORG = tables.conform(pd.DataFrame({"team": ["Search"], "cost_center": ["CC-1"], "owner": ["sam"]}), "org_map")


def analysis(file="inv.csv", first_row=2, **kw):
    base = dict(
        as_of=T, currency="USD",
        contracts=(contract("OA-1", "shortfall_risk", "eve"), contract("OA-2", "overage_watch", "olga", 1.15),
                   contract("OA-3", "on_pace", None, 1.0)),
        invoices=(invoice(file, first_row),),
        budgets=(budget("Search team", "low", "hard_stop", 0.97, rca_due=date(2026, 11, 21),
                        containment_owner="cara", owner="oscar"),
                 budget("Ads", "medium", "warning", 0.75, rca_due=date(2026, 11, 23), owner="oscar"),
                 budget("Infra", "low", "critical", 0.91),
                 budget("Quiet", "low", "info", 0.55), budget("Under", "under", "none", 0.2)),
        anomalies=(AnomalyResult("team", "Search", date(2026, 11, 18), D(900), D(100), D(50), 16.0),
                   AnomalyResult("model", "gpt-4o", date(2026, 11, 19), D(300), D(100), D(60), 3.3)),
        imports=(), inputs=Inputs(invoices=invoice_lines(file, first_row), org_map=ORG))
    base.update(kw)
    return Analysis(**base)


def test_findings_keys_severities_owners_and_due_dates():
    got = {f.key: f for f in build_findings(analysis(), Settings())}
    fp = "GPT-4o input|gpt-4o||1000|0.12|120.00"
    assert set(got) == {
        "budget:Search team:2026-11", "budget:Ads:2026-11", "budget:Infra:2026-11",
        "contract:OA-1:shortfall", "contract:OA-2:overage",
        f"flag:INV-7:duplicate_line:{fp}", f"flag:INV-7:duplicate_line:{fp}#2",
        "flag:INV-7:premium_rate:Embeddings|text-embedding-3||5|9.1|45.50",
        "invoice:INV-7:variance",
        "anomaly:team:Search:2026-11-18", "anomaly:model:gpt-4o:2026-11-19",
    }
    b = got["budget:Search team:2026-11"]
    assert (b.severity, b.owner, b.due, b.kind) == ("high", "cara", date(2026, 11, 21), "budget")
    assert b.title == "Budget 'Search team' Nov 2026 at 97% (hard stop)"
    assert (got["budget:Ads:2026-11"].severity, got["budget:Ads:2026-11"].due) == ("medium", date(2026, 11, 23))
    infra = got["budget:Infra:2026-11"]  # critical tier without an RCA date: T + 72 h
    assert (infra.severity, infra.due) == ("medium", date(2026, 11, 23))
    c1 = got["contract:OA-1:shortfall"]
    assert (c1.severity, c1.owner, c1.due) == ("high", "eve", date(2026, 11, 27))
    c2 = got["contract:OA-2:overage"]
    assert (c2.severity, c2.owner, c2.due) == ("low", "olga", date(2026, 12, 4))
    dup = got[f"flag:INV-7:duplicate_line:{fp}"]
    assert (dup.severity, dup.owner, dup.due, dup.kind) == ("high", "lee", date(2026, 12, 4), "invoice_flag")
    assert got["flag:INV-7:premium_rate:Embeddings|text-embedding-3||5|9.1|45.50"].severity == "medium"
    var = got["invoice:INV-7:variance"]
    assert (var.severity, var.owner, var.due) == ("high", "olga", date(2026, 12, 4))  # 8 % >= 5 %
    a1 = got["anomaly:team:Search:2026-11-18"]
    assert (a1.severity, a1.owner, a1.due) == ("high", "sam", date(2026, 11, 23))  # z 16 >= 6
    a2 = got["anomaly:model:gpt-4o:2026-11-19"]
    assert (a2.severity, a2.owner) == ("medium", None)


def test_order_is_severity_then_due_then_key():
    got = build_findings(analysis(), Settings())
    order = {"high": 0, "medium": 1, "low": 2}
    keys = [(order[f.severity], f.due, f.key) for f in got]
    assert keys == sorted(keys)
    assert got[0].key == "budget:Search team:2026-11"


def test_keys_stable_across_reimport_from_another_file_and_rows():
    a = {f.key for f in build_findings(analysis(), Settings())}
    b = {f.key for f in build_findings(analysis(file="renamed export (2).csv", first_row=40), Settings())}
    assert a == b


def test_contract_key_keeps_direction_when_band_changes():
    a = analysis(contracts=(contract("OA-1", "shortfall_watch", "olga", 0.85),))
    f = [x for x in build_findings(a, Settings()) if x.kind == "contract"][0]
    assert (f.key, f.severity, f.owner, f.due) == ("contract:OA-1:shortfall", "low", "olga", date(2026, 12, 4))


def test_invoice_variance_severity_and_fingerprint_without_invoice_table():
    small_under = analysis(invoices=(invoice(status="underbilled", variance_pct=-0.02),), inputs=None)
    got = {f.key: f for f in build_findings(small_under, Settings())}
    assert got["invoice:INV-7:variance"].severity == "low"
    # without the invoice table the fingerprint is description and amount
    assert "flag:INV-7:duplicate_line:GPT-4o input|||||120.00" in got
    within = analysis(invoices=(replace(invoice(status="within_tolerance"), flags=()),))
    assert not [f for f in build_findings(within, Settings()) if f.kind.startswith("invoice")]


def test_line_fingerprint_formats_numbers_as_written():
    rec = {"description": "x", "model": pd.NA, "meter": "m", "quantity": 2.50, "unit_price": 0.1 + 0.2,
           "amount": 1_234_500}
    assert line_fingerprint(rec, None, None) == "x||m|2.5|0.30000000000000004|1.23"


def test_closed_budget_months_are_history_not_alerts():
    old = replace(budget("Search team", "high", "hard_cap", 1.05), month="2026-09")
    last = replace(budget("Search team", "high", "hard_cap", 1.05), month="2026-10",
                   rca_due=date(2026, 11, 21), response="root-cause analysis due within 24 h")
    cur = replace(budget("Search team", "high", "hard_cap", 1.05), month="2026-11")
    nxt = replace(budget("Search team", "high", "none", 0.0), month="2026-12")
    a = analysis(budgets=(old, last, cur, nxt), anomalies=(
        AnomalyResult("team", "Search", date(2026, 10, 21), D(900), D(100), D(50), 16.0),  # T-30: history
        AnomalyResult("team", "Search", date(2026, 10, 22), D(900), D(100), D(50), 16.0)))  # T-29
    keys = {f.key for f in build_findings(a, Settings())}
    # September and October ended before T = 2026-11-20: no alert, no "RCA within 24 h"
    assert "budget:Search team:2026-09" not in keys and "budget:Search team:2026-10" not in keys
    assert {"budget:Search team:2026-11", "budget:Search team:2026-12"} <= keys
    assert "anomaly:team:Search:2026-10-21" not in keys and "anomaly:team:Search:2026-10-22" in keys
    title = [f.title for f in build_findings(a, Settings()) if f.key == "budget:Search team:2026-11"][0]
    assert title == "Budget 'Search team' Nov 2026 at 105% (hard cap), forecast 20% over budget"


def test_invoice_for_a_period_without_usage_is_high():
    inv = replace(invoice(status="no_usage_period", variance_pct=None), flags=())
    (f,) = [x for x in build_findings(analysis(invoices=(inv,)), Settings()) if x.kind == "invoice_variance"]
    assert (f.key, f.severity, f.owner) == ("invoice:INV-7:variance", "high", "olga")
    assert f.title == "Invoice INV-7 (OpenAI) bills 405.50 USD for a period without usage"


def test_why_a_finding_is_no_longer_produced():
    from desktop.domain.actions import why_resolved

    ended = replace(contract("OA-1", None, None, 0.96), outcome="ended_shortfall",
                    outcome_text="ended: shortfall 27,903.38 owed")
    a = analysis(contracts=(ended, contract("OA-3", "on_pace", None, 1.0),
                            contract("OA-4", "overage_watch", "olga", 1.15)), invoices=())
    assert why_resolved("contract:OA-1:shortfall", a) == "the term is over (ended: shortfall 27,903.38 owed)"
    assert why_resolved("contract:OA-3:shortfall", a) == "pacing back to on pace (100%)"
    assert why_resolved("contract:OA-4:shortfall", a) == "pacing now overage watch (115%)"
    assert why_resolved("contract:GONE:overage", a) == "contract GONE is no longer in the commit schedule"
    # budget of September at T = 2026-11-20: a month that has ended
    assert why_resolved("budget:Search team:2026-09", a) == \
        "budget line 'Search team' 2026-09 is no longer in the budgets"
    sep = replace(a, budgets=(replace(a.budgets[0], month="2026-09"),))
    assert why_resolved("budget:Search team:2026-09", sep) == "Sep 2026 has ended: history, not an alert"
    # forecast 1,200 of a 1,000 budget = 120 %
    assert why_resolved("budget:Quiet:2026-11", a) == "severity now low, tier info (forecast 120% of budget)"
    assert why_resolved("invoice:INV-7:variance", a) == "invoice INV-7 is no longer in the invoices"
    inv = analysis(invoices=(invoice(status="within_tolerance", variance_pct=0.004),))
    assert why_resolved("invoice:INV-7:variance", inv) == "invoice now within tolerance (variance 0%)"
    assert why_resolved("flag:INV-7:duplicate_line:x", inv) == "the line is no longer flagged"
    # T-29..T is 2026-10-22..2026-11-20
    assert why_resolved("anomaly:team:Search:2026-10-21", a) == "the spike of 2026-10-21 is older than 30 days"
    assert why_resolved("anomaly:team:Search:2026-10-22", a) == "no longer an anomaly"


def test_reconcile_and_a_persons_change_by_hand():
    from desktop.domain.actions import Action, person_change, reconcile
    from desktop.domain.results import Finding

    f1 = Finding("budget:A:2026-11", "budget", "high", "A over", "ana", date(2026, 11, 21))
    f2 = Finding("contract:C:shortfall", "contract", "low", "C behind", "bo", date(2026, 12, 4))
    changed, day = reconcile({}, (f1, f2), date(2026, 11, 20), None)
    assert day == date(2026, 11, 20)
    acts = {a.key: a for a in changed}
    assert acts[f1.key] == Action(key=f1.key, kind="budget", severity="high", title="A over", finding_owner="ana",
                                  due=date(2026, 11, 21), status="open", notes="", opened_at=date(2026, 11, 20),
                                  last_seen=date(2026, 11, 20))
    # a person: in progress, assigned to Jon; then closes C on the checklist's date
    acts[f1.key] = person_change(acts[f1.key], day, status="in_progress", notes="n", owner=" Jon  ")
    assert (acts[f1.key].owner, acts[f1.key].is_open) == ("Jon", True)
    acts[f2.key] = person_change(acts[f2.key], day, status="wont_fix")
    assert (acts[f2.key].resolution, acts[f2.key].resolved_at) == ("analyst", date(2026, 11, 20))
    # a look back changes nothing
    assert reconcile(acts, (), date(2026, 11, 1), day) == ([], day)
    # newer data without A: resolved by data on 2026-11-30, status and notes as the person left them
    changed, day = reconcile(acts, (f2,), date(2026, 11, 30), day, lambda k: "why")
    (a,) = [c for c in changed if c.key == f1.key]
    assert (a.status, a.notes, a.resolution, a.resolved_at, a.days_to_resolve) == (
        "in_progress", "n", "data", date(2026, 11, 30), 10)
    assert a.resolution_reason == "resolved by data of 2026-11-30: why"
    # the person's won't-fix stays, though C is still there
    (c,) = [c for c in changed if c.key == f2.key]
    assert (c.status, c.resolution, c.last_seen) == ("wont_fix", "analyst", date(2026, 11, 30))


def _period(start, end, *, penalty=Z, premium=Z, outcome=None):
    from desktop.domain.results import PeriodResult
    return PeriodResult(period_start=start, period_end=end, commitment=D(50000), carry_in=Z, consumed=Z,
                        expected=Z, pacing_ratio=None, projected=Z, shortfall=Z, carry_out=Z,
                        shortfall_penalty=penalty, overage=Z, overage_premium=premium,
                        status="ended" if outcome else "current", outcome=outcome)


def test_money_at_stake_of_each_finding_by_hand():
    from desktop.domain.portfolio import portfolio
    # OA-1: H1 ended with 1,000.00 penalty owed (incurred), H2 projects 2,500.00 (avoidable)
    oa1 = replace(contract("OA-1", "shortfall_risk", "eve"), shortfall_exposure=D("3500.00"), periods=(
        _period(date(2026, 1, 1), date(2026, 6, 30), penalty=D("1000.00"), outcome="ended_shortfall"),
        _period(date(2026, 7, 1), date(2026, 12, 31), penalty=D("2500.00"))))
    # OA-2: overage watch, H1 premium 300.00 paid, H2 projects 700.00
    oa2 = replace(contract("OA-2", "overage_watch", "olga", 1.15), shortfall_exposure=Z,
                  overage_premium=D("1000.00"), periods=(
        _period(date(2026, 1, 1), date(2026, 6, 30), premium=D("300.00"), outcome="ended_overage"),
        _period(date(2026, 7, 1), date(2026, 12, 31), premium=D("700.00"))))
    a = analysis(contracts=(oa1, oa2))
    got = {f.key: (f.at_stake, f.stake_kind) for f in build_findings(a, Settings())}
    fp = "GPT-4o input|gpt-4o||1000|0.12|120.00"
    assert got["contract:OA-1:shortfall"] == (D("2500.00"), "avoidable_shortfall")
    assert got["contract:OA-2:overage"] == (D("700.00"), "overage_premium")
    # forecast 1,200 - budget 1,000
    assert got["budget:Search team:2026-11"] == (D("200.00"), "budget_overrun")
    assert got[f"flag:INV-7:duplicate_line:{fp}"] == (D("120.00"), "leakage")
    assert got["flag:INV-7:premium_rate:Embeddings|text-embedding-3||5|9.1|45.50"] == (D("0.50"), "leakage")
    # over-billed by 30.50 but the flagged lines already carry 240.50: nothing beyond them
    assert got["invoice:INV-7:variance"] == (Z, "")
    # spike 900 against a mean of 100; 300 against 100
    assert got["anomaly:team:Search:2026-11-18"] == (D("800.00"), "excess_spend")
    assert got["anomaly:model:gpt-4o:2026-11-19"] == (D("200.00"), "excess_spend")
    k = portfolio(a)
    assert (k.shortfall_incurred, k.shortfall_avoidable) == (D("1000.00"), D("2500.00"))
    assert (k.premium_incurred, k.premium_avoidable) == (D("300.00"), D("700.00"))


def test_overbilling_beyond_the_flagged_lines_is_at_stake():
    inv = replace(invoice(), variance=D("1000.00"))
    got = {f.key: f for f in build_findings(analysis(invoices=(inv,)), Settings())}
    # 1,000.00 over-billed - 240.50 flagged = 759.50
    assert got["invoice:INV-7:variance"].at_stake == D("759.50")


def test_ranked_by_stake_puts_the_largest_money_first():
    from desktop.domain.actions import Action, ranked_by_stake
    fs = build_findings(analysis(), Settings())
    acts = [Action.from_finding(f, T) for f in fs]
    closed = replace(acts[-1], status="done", resolution="analyst", resolved_at=T)
    ranked = ranked_by_stake([*acts[:-1], closed], fs)
    assert ranked[0].action.key == "contract:OA-1:shortfall" and ranked[0].at_stake == D("36000.00")
    assert ranked[1].action.key == "anomaly:team:Search:2026-11-18" and ranked[1].at_stake == D("800.00")
    assert [r.at_stake for r in ranked] == sorted((r.at_stake for r in ranked), reverse=True)
    assert closed.key not in {r.action.key for r in ranked}


def test_the_due_date_in_force_is_the_persons_else_the_findings():
    import dataclasses

    from desktop.domain.actions import CLEAR_DUE, Action, person_change

    a = Action(key="k", kind="budget", severity="high", title="t", finding_owner="ana", due=date(2026, 11, 21),
               status="open", notes="", opened_at=date(2026, 11, 20))
    assert (a.due, a.finding_due, a.assigned_due) == (date(2026, 11, 21), date(2026, 11, 21), None)
    b = person_change(a, date(2026, 11, 20), due=date(2026, 12, 5))
    assert (b.due, b.finding_due, b.assigned_due) == (date(2026, 12, 5), date(2026, 11, 21), date(2026, 12, 5))
    c = dataclasses.replace(b, finding_due=date(2026, 11, 25))  # newer data moves the finding's date
    assert c.due == date(2026, 12, 5)
    d = person_change(c, date(2026, 11, 20), due=CLEAR_DUE)
    assert (d.due, d.assigned_due) == (date(2026, 11, 25), None)
    # a finding without a due date: clearing the person's date leaves none (not the person's)
    e = person_change(dataclasses.replace(d, finding_due=None), None, due=date(2027, 1, 4))
    assert person_change(e, None, due=CLEAR_DUE).due is None
