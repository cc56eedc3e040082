"""'Explain this number' on a whole analysis built by desktop.domain.analysis.build_analysis."""

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from desktop.domain import tables
from desktop.domain.analysis import build_analysis
from desktop.domain.errors import InputError
from desktop.domain.explain import explain
from desktop.domain.inputs import Inputs
from desktop.domain.money import to_micros
from desktop.domain.results import SourceRef
from desktop.domain.settings import Settings

T = date(2026, 2, 14)
D = Decimal


def _days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def build() -> Inputs:
    jan = pd.DataFrame({"date": pd.to_datetime(_days(date(2026, 1, 1), 31)), "vendor": "OpenAI",
                        "cost": to_micros("50"), "team": "Search", "_file": "jan.csv", "_row": range(2, 33)})
    feb = pd.DataFrame({"date": pd.to_datetime(_days(date(2026, 2, 1), 14)), "vendor": "openai",
                        "cost": to_micros("80"), "team": "search", "_file": "feb.csv", "_row": range(2, 16)})
    other = pd.DataFrame({
        "date": pd.to_datetime(["2026-01-10", "2026-02-03"]), "vendor": ["OpenAI", "Anthropic"],
        "cost": [to_micros("10"), to_micros("7")], "commit_eligible": [False, True], "team": ["Ads", "Search"],
        "_file": "other.csv", "_row": [5, 6]})
    usage = tables.conform(pd.concat([jan, feb, other], ignore_index=True), "usage")
    commitments = tables.conform(pd.DataFrame({
        "contract_id": ["C1", "C1"], "vendor": ["OpenAI", "OpenAI"],
        "period_start": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        "period_end": pd.to_datetime(["2026-01-31", "2026-02-28"]),
        "commitment": [to_micros("3100"), to_micros("2800")], "owner": "olga", "escalation_owner": "eve",
        "_file": "contracts.csv", "_row": [2, 3]}), "commitments")
    invoices = tables.conform(pd.DataFrame({
        "invoice_id": ["INV-1", "INV-1"], "vendor": ["OpenAI", "OpenAI"],
        "invoice_date": pd.to_datetime(["2026-02-03", "2026-02-03"]),
        "period_start": pd.to_datetime(["2026-01-01", "2026-01-01"]),
        "period_end": pd.to_datetime(["2026-01-31", "2026-01-31"]),
        "amount": [to_micros("1500"), to_micros("100")], "line_type": ["usage", "tax"],
        "_file": "inv.csv", "_row": [2, 3]}), "invoices")
    budgets = tables.conform(pd.DataFrame({
        "allocation": ["Search AI"], "month": ["2026-02"], "budget": [to_micros("2000")], "dimension": ["team"],
        "value": ["SEARCH"], "vendor": ["OpenAI"], "_file": "budgets.csv", "_row": [2]}), "budgets")
    return Inputs(commitments=commitments, usage=usage, invoices=invoices, budgets=budgets)


@pytest.fixture(scope="module")
def analysis():
    return build_analysis(build(), Settings(renewal_paths=50), T)


def test_figures_are_the_hand_computed_ones(analysis):
    c = analysis.contracts[0]
    assert (c.consumed_to_date, c.expected_to_date, c.run_rate) == (D("2670.00"), D("4500.00"), D("80.00"))
    assert c.projected_consumption == D("3790.00")  # 1,550 + 1,120 + 80 x 14
    assert c.shortfall_exposure == D("2110.00")  # 1,550 + 560


def test_contract_consumed_to_date_lists_every_source_row(analysis):
    e = explain(analysis, "contract", "C1", "consumed_to_date")
    assert e.value == "2,670.00 USD"
    assert e.source_count == 45 and e.sources_total == D("2670.00")
    assert e.sources[0] == SourceRef("feb.csv", 2)  # ordered by file, then row
    assert SourceRef("jan.csv", 32) in e.sources
    assert SourceRef("other.csv", 5) not in e.sources  # not commit-eligible
    assert ("Period 2026-01-01..2026-01-31 (31 rows)", "1,550.00 USD") in e.steps
    assert ("Period 2026-02-01..2026-02-14 (14 rows)", "1,120.00 USD") in e.steps
    assert ("Total", "2,670.00 USD") in e.steps
    capped = explain(analysis, "contract", "C1", "consumed_to_date", max_sources=5)
    assert len(capped.sources) == 5 and capped.source_count == 45


def test_contract_projection_and_exposure_steps(analysis):
    e = explain(analysis, "contract", "C1", "projected_consumption")
    assert ("Eligible spend 2026-02-01..2026-02-14 (14 rows)", "1,120.00 USD") in e.steps
    assert ("Divided by 14 days", "80.00 USD") in e.steps
    assert ("2026-01-01..2026-01-31 ended: consumed 1,550.00 USD", "1,550.00 USD") in e.steps
    assert ("2026-02-01..2026-02-28 current: 1,120.00 USD + 80.00 USD x 14 days", "2,240.00 USD") in e.steps
    assert e.value == "3,790.00 USD"
    s = explain(analysis, "contract", "C1", "shortfall_exposure")
    assert s.value == "2,110.00 USD"
    assert ("2026-02-01..2026-02-28: shortfall = max(0, C' - projected 2,240.00 USD)", "560.00 USD") in s.steps
    assert s.sources == [SourceRef("contracts.csv", 2), SourceRef("contracts.csv", 3)]
    x = explain(analysis, "contract", "C1", "expected_to_date")
    assert ("2,800.00 USD x 14/28 days (2026-02-01..2026-02-28)", "1,400.00 USD") in x.steps


def test_period_fields(analysis):
    e = explain(analysis, "period", "C1|2026-02-01", "consumed")
    assert (e.value, e.source_count, e.sources_total) == ("1,120.00 USD", 14, D("1120.00"))
    assert {s.file for s in e.sources} == {"feb.csv"}
    c = explain(analysis, "period", "C1|2026-01-01", "commitment")
    assert c.sources == [SourceRef("contracts.csv", 2)] and c.value == "3,100.00 USD"


def test_invoice_fields(analysis):
    inv = explain(analysis, "invoice", "INV-1", "invoiced")
    assert inv.value == "1,500.00 USD" and inv.sources == [SourceRef("inv.csv", 2)]
    tax = explain(analysis, "invoice", "INV-1", "tax")
    assert tax.sources == [SourceRef("inv.csv", 3)]
    exp = explain(analysis, "invoice", "INV-1", "expected")
    # every OpenAI usage row of January, eligible or not: 31 x 50 + 10
    assert (exp.value, exp.source_count, exp.sources_total) == ("1,560.00 USD", 32, D("1560.00"))
    var = explain(analysis, "invoice", "INV-1", "variance")
    assert ("Variance", "-60.00 USD") in var.steps


def test_budget_fields(analysis):
    act = explain(analysis, "budget", "Search AI|2026-02", "actual")
    # team matches case-insensitively; the Anthropic row of team Search is not OpenAI's
    assert (act.value, act.source_count, act.sources_total) == ("1,120.00 USD", 14, D("1120.00"))
    fc = explain(analysis, "budget", "Search AI|2026-02", "forecast")
    assert fc.value == "2,240.00 USD"
    assert ("Days of the month after T", "14") in fc.steps
    var = explain(analysis, "budget", "Search AI|2026-02", "variance")
    assert ("Variance", "240.00 USD") in var.steps


@pytest.mark.parametrize("kind,key,field", [("contract", "NOPE", "commitment"), ("contract", "C1", "nope"),
                                            ("nope", "C1", "commitment"), ("period", "C1|2027-01-01", "consumed"),
                                            ("invoice", "INV-9", "invoiced"), ("budget", "Search AI|2026-03", "actual")])
def test_unknown_things_are_input_errors(analysis, kind, key, field):
    with pytest.raises(InputError):
        explain(analysis, kind, key, field)


def test_demo_data_every_additive_figure_equals_its_source_rows():
    from pathlib import Path

    from desktop.ingest.core import load_inputs

    demo = Path(__file__).resolve().parents[2] / "desktop" / "resources" / "demo"
    kinds = ["commitments", "usage", "invoices", "budgets", "rate_card", "org_map"]
    a = build_analysis(load_inputs({k: [demo / f"{k}.csv"] for k in kinds}), Settings(renewal_paths=50))
    checked = 0
    for c in a.contracts:
        for p in c.periods:
            e = explain(a, "period", f"{c.contract_id}|{p.period_start}", "consumed")
            assert e.sources_total == p.consumed
            checked += 1
        e = explain(a, "contract", c.contract_id, "consumed_to_date")
        assert abs(e.sources_total - c.consumed_to_date) <= D("0.01") * len(c.periods)
        assert explain(a, "contract", c.contract_id, "run_rate").sources_total is not None
    for inv in a.invoices:
        for f in ("invoiced", "expected", "tax"):
            assert explain(a, "invoice", inv.invoice_id, f).sources_total == getattr(inv, f)
            checked += 1
        leak = explain(a, "invoice", inv.invoice_id, "premium_leakage")
        assert leak.source_count == len({(fl.file, fl.line) for fl in inv.flags})
    for b in a.budgets:
        e = explain(a, "budget", f"{b.allocation}|{b.month}", "actual")
        assert e.sources_total == b.actual
        checked += 1
    for an in a.anomalies:
        e = explain(a, "anomaly", f"{an.dimension}|{an.value}|{an.date}", "spend")
        assert e.sources_total == an.spend
        m = explain(a, "anomaly", f"{an.dimension}|{an.value}|{an.date}", "mean")
        days = int(dict(m.steps)[next(k for k, _ in m.steps if k.startswith("Days "))])
        window_spend = D(dict(m.steps)["Spend on those days"].split()[0].replace(",", ""))
        assert abs(window_spend / days - an.mean) <= D("0.005")  # mean of the zero-filled days
        checked += 1
    assert a.anomalies
    for w in a.workload_shift:
        e = explain(a, "workload_shift", f"{w.contract_id}|{w.basis}|{w.workload}|{w.vendor}", "run_rate")
        assert (e.sources_total / 14).quantize(D("0.01")) == w.run_rate
    assert a.workload_shift
    for r in a.renewal:
        e = explain(a, "renewal", r.name, "baseline_monthly")
        assert e.sources_total is not None and e.source_count > 0
    for line in a.chargeback[:12]:
        e = explain(a, "chargeback", f"{line.month}|{line.cost_center}|{line.gl_account}", "amount")
        assert abs(e.sources_total - line.amount) <= D("0.01")
        checked += 1
    assert checked > 100


def test_chargeback_line(analysis):
    # no org map: rows without cost_center are unallocated; February up to T
    line = [ln for ln in analysis.chargeback if ln.month == "2026-02"][0]
    assert (line.cost_center, line.gl_account, line.amount) == ("unallocated", "unassigned", D("1127.00"))
    e = explain(analysis, "chargeback", "2026-02|unallocated|unassigned", "amount")
    assert (e.value, e.source_count, e.sources_total) == ("1,127.00 USD", 15, D("1127.00"))
    assert SourceRef("other.csv", 6) in e.sources
    with pytest.raises(InputError):
        explain(analysis, "chargeback", "2026-02|unallocated", "amount")


def test_workload_shift_candidate(analysis):
    # C1 paces at 2,670 / 4,500 -> shortfall_risk; the only other eligible spend in Feb 1..14 is
    # Anthropic's 7.00 (no workload/project/model: labelled by its vendor)
    (w,) = analysis.workload_shift
    assert (w.contract_id, w.basis, w.workload, w.vendor) == ("C1", "vendor", "Anthropic", "Anthropic")
    assert (w.run_rate, w.days_left, w.movable_spend, w.covers) == (D("0.50"), 14, D("7.00"), D("7.00"))
    e = explain(analysis, "workload_shift", "C1|vendor|Anthropic|Anthropic", "run_rate")
    assert e.sources == [SourceRef("other.csv", 6)] and e.sources_total == D("7.00")
    m = explain(analysis, "workload_shift", "C1|vendor|Anthropic|Anthropic", "movable_spend")
    assert ("Movable spend = run rate x days left", "7.00 USD") in m.steps


def test_renewal_figures(analysis):
    (r,) = analysis.renewal
    # eligible OpenAI spend Jan 1..Feb 14 (45 days): 2,670 / 45 x 30.4375
    assert r.baseline_monthly == (D(2670) / 45 * D("30.4375")).quantize(D("0.01"))
    e = explain(analysis, "renewal", r.name, "baseline_monthly")
    assert e.source_count == 45 and e.sources_total == D("2670.00")
    row = r.rows[0]
    c = explain(analysis, "renewal", f"{r.name}|{row.commit_level}", "expected_cost")
    assert c.value == f"{row.expected_cost:,.2f} USD"
    assert ("Commit level K", f"{row.commit_level:,.2f} USD") in c.steps
    with pytest.raises(InputError):
        explain(analysis, "renewal", f"{r.name}|1.23", "expected_cost")
    with pytest.raises(InputError):
        explain(analysis, "renewal", r.name, "expected_cost")
