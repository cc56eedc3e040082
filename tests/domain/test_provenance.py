"""The rows behind every figure (desktop/domain/provenance.py): one selector per figure, owned by
the module that computes it, and the invariant that a total's rows add up to it."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.domain import charts, provenance, tables
from desktop.domain.analysis import AnalysisCache, build_analysis
from desktop.domain.explain import explain
from desktop.domain.inputs import Inputs
from desktop.domain.money import cents, from_micros, money_sum
from desktop.domain.settings import Settings
from tests.domain.test_contracts import D, commitments, frame, usage

APRIL = date(2026, 4, 1)


def _budgets(rows):
    return frame("budgets", rows, ("budget",), "budgets.csv")


def _invoices(rows):
    return frame("invoices", rows, ("amount",), "invoices.csv")


def test_budget_on_a_vendor_alias_explains_the_rows_it_counts():
    # the budget names "Azure OpenAI Service", the usage says "Azure OpenAI": one vendor
    u = usage([dict(date=f"2026-04-0{d}", vendor="Azure OpenAI", cost=10, team="Search") for d in (1, 2, 3)]
              + [dict(date="2026-04-02", vendor="OpenAI", cost=99, team="Search")])
    b = _budgets([dict(allocation="Azure", month="2026-04", budget=100, dimension="vendor",
                       value="Azure OpenAI Service")])
    a = build_analysis(Inputs(usage=u, budgets=b), Settings(), date(2026, 4, 10))
    (line,) = a.budgets
    assert line.actual == D("30.00")
    e = explain(a, "budget", "Azure|2026-04", "actual")
    assert e.source_count == 3 and e.sources_total == D("30.00")
    assert sorted(r.row for r in e.sources) == [2, 3, 4]
    # the chart's bar for the line selects the same rows
    (refs,) = charts.budget_point_rows(a, a.budgets, "2026-04")
    assert sorted(r.row for r in refs) == [2, 3, 4]


def test_budget_team_match_ignores_case_and_blanks_in_figure_and_rows():
    u = usage([dict(date="2026-04-01", vendor="OpenAI", cost=1, team="Search"),
               dict(date="2026-04-02", vendor="OpenAI", cost=2, team=" search "),
               dict(date="2026-04-03", vendor="OpenAI", cost=4, team="SEARCH"),
               dict(date="2026-04-03", vendor="OpenAI", cost=8, team="Support")])
    b = _budgets([dict(allocation="S", month="2026-04", budget=100, dimension="team", value="search")])
    a = build_analysis(Inputs(usage=u, budgets=b), Settings(), date(2026, 4, 30))
    assert a.budgets[0].actual == D("7.00")
    rows = provenance.figure_rows(a, "budget", "S|2026-04", "actual")
    assert len(rows) == 3 and provenance.total(a, rows) == D("7.00")


def test_invoice_rows_are_the_analysed_lines_in_the_reporting_currency():
    u = usage([dict(date="2026-03-05", vendor="OpenAI", cost=100)])
    inv = _invoices([
        dict(invoice_id="I1", vendor="OpenAI", invoice_date="2026-04-02", period_start="2026-03-01",
             period_end="2026-03-31", amount=60, line_type="usage"),
        dict(invoice_id="I1", vendor="OpenAI", invoice_date="2026-04-02", period_start="2026-03-01",
             period_end="2026-03-31", amount=40.5, line_type="usage"),
        dict(invoice_id="I1", vendor="OpenAI", invoice_date="2026-04-02", period_start="2026-03-01",
             period_end="2026-03-31", amount=8, line_type="tax"),
    ])
    a = build_analysis(Inputs(usage=u, invoices=inv), Settings(), date(2026, 4, 5))
    (i,) = a.invoices
    assert (i.invoiced, i.tax, i.expected) == (D("100.50"), D("8.00"), D("100.00"))
    got = {f: provenance.figure_rows(a, "invoice", "I1", f) for f in ("invoiced", "tax", "expected")}
    assert (len(got["invoiced"]), len(got["tax"]), len(got["expected"])) == (2, 1, 1)
    assert got["invoiced"].table == "invoice_lines" and got["expected"].table == "usage"
    assert provenance.total(a, got["invoiced"]) == D("100.50")
    assert provenance.sources(a, got["tax"]) == [{"file": "invoices.csv", "row": 4, "amount": "8.00"}]


def test_period_rows_stop_at_the_as_of_date():
    c = commitments([dict(contract_id="C", vendor="OpenAI", period_start="2026-04-01", period_end="2026-06-30",
                          commitment=900)])
    u = usage([dict(date="2026-04-01", vendor="OpenAI", cost=5), dict(date="2026-04-10", vendor="OpenAI", cost=7),
               dict(date="2026-04-11", vendor="OpenAI", cost=11)])
    a = build_analysis(Inputs(usage=u, commitments=c), Settings(), date(2026, 4, 10))
    rows = provenance.figure_rows(a, "period", "C|2026-04-01", "consumed")
    assert len(rows) == 2 and provenance.total(a, rows) == a.contracts[0].periods[0].consumed == D("12.00")
    rr = provenance.figure_rows(a, "contract", "C", "run_rate")
    assert len(rr) == 2  # T-9..T: the term is ten days old


# --- the invariant, over generated workspaces ---------------------------------------------------

VENDORS = ("OpenAI", "Anthropic", "Azure OpenAI", "azure openai service")
TEAMS = ("Search", " search", "SEARCH", "Support", None)
MODELS = ("gpt-4o", "GPT-4o", "claude-3", None)
CCS = ("CC-1", "cc-1", None)
START = date(2026, 1, 1)

usage_row = st.fixed_dictionaries({
    "day": st.integers(0, 150),
    "vendor": st.sampled_from(VENDORS),
    "team": st.sampled_from(TEAMS),
    "model": st.sampled_from(MODELS),
    "cost_center": st.sampled_from(CCS),
    # micros, sub-cent amounts and credits included
    "micros": st.integers(-2_000_000, 900_000_000),
    "eligible": st.booleans(),
})
invoice_line = st.fixed_dictionaries({
    "invoice": st.sampled_from(("I1", "I2", "I3")),
    "vendor": st.sampled_from(VENDORS[:3]),
    "month": st.integers(1, 4),
    "micros": st.integers(-1_000_000, 500_000_000),
    "tax": st.booleans(),
    "dated": st.booleans(),
})
budget_line = st.fixed_dictionaries({
    "dimension": st.sampled_from(("team", "vendor", "model")),
    "pick": st.integers(0, 3),
    "month": st.integers(1, 5),
    "vendor": st.sampled_from((None, "OpenAI", "Azure OpenAI Service")),
})


def _generated(rows, lines, blines, as_of_day):
    u = pd.DataFrame([dict(date=pd.Timestamp(START + timedelta(days=r["day"])), vendor=r["vendor"],
                           team=r["team"], model=r["model"], cost_center=r["cost_center"], cost=r["micros"],
                           commit_eligible=r["eligible"]) for r in rows])
    u["_file"] = "usage.csv"
    u = tables.conform(u, "usage")
    com = commitments([
        dict(contract_id="O", vendor="OpenAI", period_start="2026-01-01", period_end="2026-03-31", commitment=5000,
             rollover_pct=10),
        dict(contract_id="O", vendor="OpenAI", period_start="2026-04-01", period_end="2026-06-30", commitment=6000),
        dict(contract_id="Z", vendor="Azure OpenAI", period_start="2026-02-01", period_end="2026-07-31",
             commitment=9000),
    ])
    inv_rows = []
    for ln in lines:
        m = ln["month"]
        start = date(2026, m, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        inv_rows.append(dict(invoice_id=f"{ln['invoice']}-{ln['vendor'][:2]}", vendor=ln["vendor"],
                             invoice_date=pd.Timestamp(end + timedelta(days=3)),
                             period_start=pd.Timestamp(start) if ln["dated"] else None,
                             period_end=pd.Timestamp(end) if ln["dated"] else None,
                             amount=ln["micros"], line_type="tax" if ln["tax"] else "usage"))
    inv = pd.DataFrame(inv_rows) if inv_rows else pd.DataFrame()
    if not inv.empty:
        inv["_file"] = "invoices.csv"
        inv = tables.conform(inv, "invoices")
    else:
        inv = tables.empty("invoices")
    values = {"team": ("search", "Support", "SEARCH ", "nobody"), "vendor": ("openai", "Azure OpenAI Service",
                                                                               "Anthropic", "nobody"),
              "model": ("gpt-4o", "GPT-4O", "claude-3", "nobody")}
    bud = pd.DataFrame([dict(allocation=f"L{i}", month=f"2026-{b['month']:02d}", budget=1_000_000_000,
                             dimension=b["dimension"], value=values[b["dimension"]][b["pick"]], vendor=b["vendor"])
                        for i, b in enumerate(blines)])
    bud = tables.conform(bud, "budgets") if not bud.empty else tables.empty("budgets")
    org = tables.conform(pd.DataFrame([dict(team="Support", cost_center="CC-9", gl_account="6100")]), "org_map")
    inputs = Inputs(usage=u, commitments=com, invoices=inv, budgets=bud, org_map=org)
    return build_analysis(inputs, Settings(renewal_paths=50), START + timedelta(days=as_of_day))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(usage_row, min_size=1, max_size=60), st.lists(invoice_line, max_size=6),
       st.lists(budget_line, max_size=5), st.integers(10, 170))
def test_every_total_adds_up_from_its_rows(rows, lines, blines, as_of_day):
    a = _generated(rows, lines, blines, as_of_day)
    seen = set()
    for f in provenance.row_figures(a):
        seen.add(f.section)
        col = provenance.MONEY_COLUMN[f.rows.table]
        t = provenance.table(a, f.rows.table)
        exact = from_micros(money_sum(t[col].to_numpy()[f.rows.positions])) if len(f.rows) else Decimal(0)
        if f.exact:
            assert cents(exact) == f.value, (f.section, f.id, f.field)
        else:  # a chargeback line: its month is rounded as a whole, the line within a cent of its rows
            assert abs(exact - f.value) < Decimal("0.01"), (f.section, f.id)
        # explain shows the same rows and total
        e = explain(a, f.kind, f.key, f.field, max_sources=10_000)
        assert e.source_count == len(f.rows)
        assert e.sources_total == provenance.total(a, f.rows)
    assert "contracts" in seen and "periods" in seen


def test_the_cache_gives_the_same_figures_as_a_fresh_build_after_each_kind_of_edit():
    from pathlib import Path

    from desktop.ingest.core import load_inputs

    demo = Path(__file__).resolve().parents[2] / "desktop" / "resources" / "demo"
    kinds = ["commitments", "usage", "invoices", "budgets", "rate_card", "org_map"]
    inputs = load_inputs({k: [demo / f"{k}.csv"] for k in kinds})
    s = Settings(renewal_paths=50)
    cache = AnalysisCache()
    first = build_analysis(inputs, s, None, cache=cache)
    t = first.as_of
    com = inputs.commitments.copy()
    com.loc[com.index[0], "commitment"] += 1_000_000_000
    bud = inputs.budgets.copy()
    bud.loc[bud.index[0], "budget"] += 5_000_000
    cases = [
        (dataclasses.replace(inputs, commitments=com), s, t),
        (dataclasses.replace(inputs, budgets=bud), s, t),
        (inputs, s.replace(anomaly_z=2.5), t),
        (inputs, s, t - timedelta(days=17)),
        (inputs, s, t),
    ]
    for inp, st_, as_of in cases:
        cached = build_analysis(inp, st_, as_of, cache=cache)
        fresh = build_analysis(inp, st_, as_of)
        for name in ("contracts", "invoices", "budgets", "anomalies", "workload_shift", "chargeback", "renewal",
                     "findings", "warnings", "as_of"):
            assert getattr(cached, name) == getattr(fresh, name), name
    # the prepared usage was built once: no edit above touches usage, FX or the assignment columns
    assert cache.misses["usage"] == 1 and cache.hits["usage"] == len(cases)


def test_net_credits_in_the_renewal_window_do_not_stop_the_analysis():
    # found by the property test: a vendor whose last 90 days are net credits made the default
    # renewal scenario refuse a negative baseline and the whole analysis fail
    c = commitments([dict(contract_id="O", vendor="OpenAI", period_start="2026-01-01", period_end="2026-12-31",
                          commitment=1000)])
    u = usage([dict(date="2026-02-01", vendor="OpenAI", cost=-50), dict(date="2026-02-02", vendor="OpenAI", cost=20)])
    a = build_analysis(Inputs(usage=u, commitments=c), Settings(renewal_paths=20), date(2026, 2, 10))
    assert a.renewal[0].baseline_monthly == D("0.00")
    assert a.contracts[0].consumed_to_date == D("-30.00")


def test_a_commit_period_with_empty_penalty_and_multiplier_cells_keeps_the_analysis_going():
    # an empty cell means the column default (100 % penalty, multiplier 1.0) for pacing; the
    # default renewal scenario read NaN from it and refused it, failing the whole analysis
    c = commitments([dict(contract_id="A", vendor="OpenAI", period_start="2026-01-01", period_end="2026-01-10",
                          commitment=1000),
                     dict(contract_id="B", vendor="Anthropic", period_start="2026-01-01", period_end="2026-01-20",
                          commitment=2000, shortfall_penalty_pct=50, overage_multiplier=1.2)])
    u = usage([dict(date="2026-01-01", vendor="OpenAI", cost=300)])
    a = build_analysis(Inputs(usage=u, commitments=c), Settings(renewal_paths=10), date(2026, 1, 5))
    openai = next(r for r in a.renewal if r.vendor == "OpenAI")
    assert (openai.shortfall_penalty_pct, openai.overage_multiplier) == (100.0, 1.0)
