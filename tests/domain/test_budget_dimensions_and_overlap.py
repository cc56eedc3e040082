"""Budgets on cost_center / gl_account through the org map, dimension values matched by
match_key, and contracts overlapping at renewal (issue 13, steps 5 and 6), hand-computed."""

from __future__ import annotations

from datetime import date

from desktop.domain import provenance
from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.domain.settings import Settings
from tests.domain.test_contracts import D, commitments, frame, usage


def _budgets(rows):
    return frame("budgets", rows, ("budget",), "budgets.csv")


def _org(rows):
    return frame("org_map", rows, (), "org.csv")


def test_a_budget_on_cost_center_or_gl_account_resolves_through_the_org_map_like_chargeback():
    # 3,000 of team "Search" usage in June without a cost_center; the org map puts team search in CC-100 / 6100
    u = usage([dict(date="2026-06-05", vendor="OpenAI", team="Search", cost=1000),
               dict(date="2026-06-20", vendor="OpenAI", team=" search", cost=2000),
               dict(date="2026-06-21", vendor="OpenAI", team="Ads", cost=400)])
    org = _org([dict(team="SEARCH", cost_center="CC-100", gl_account="6100"),
                dict(team="ads", cost_center="CC-200", gl_account="6200")])
    bud = _budgets([dict(allocation="Search CC", month="2026-06", budget=2500, dimension="cost_center", value="cc-100"),
                    dict(allocation="Search GL", month="2026-06", budget=2500, dimension="gl_account",
                         value=" 6100")])
    a = build_analysis(Inputs(usage=u, budgets=bud, org_map=org), Settings(), date(2026, 6, 30))
    cc, gl = a.budgets
    # was: actual 0.00 ("under, reallocate"); now 1,000 + 2,000 = 3,000.00 -> 120 % of 2,500
    for b in (cc, gl):
        assert (b.actual, b.utilization, b.alert_tier) == (D("3000.00"), 1.2, "hard_cap")
    (line,) = [c for c in a.chargeback if c.cost_center == "CC-100"]
    assert (line.gl_account, line.amount) == ("6100", D("3000.00"))
    rows = provenance.figure_rows(a, "budget", "Search CC|2026-06", "actual")
    assert len(rows) == 2 and provenance.total(a, rows) == D("3000.00")
    assert provenance.total(a, provenance.figure_rows(a, "budget", "Search GL|2026-06", "actual")) == D("3000.00")


def test_a_row_cost_center_wins_over_its_teams_in_budgets_as_in_chargeback():
    u = usage([dict(date="2026-06-05", vendor="OpenAI", team="Search", cost_center="CC-900", cost=700),
               dict(date="2026-06-06", vendor="OpenAI", team="Search", cost=300)])
    org = _org([dict(team="Search", cost_center="CC-100", gl_account="6100")])
    bud = _budgets([dict(allocation="CC-100", month="2026-06", budget=1000, dimension="cost_center", value="CC-100"),
                    dict(allocation="CC-900", month="2026-06", budget=1000, dimension="cost_center", value="cc-900")])
    a = build_analysis(Inputs(usage=u, budgets=bud, org_map=org), Settings(), date(2026, 6, 30))
    got = {b.allocation: b.actual for b in a.budgets}
    assert got == {"CC-100": D("300.00"), "CC-900": D("700.00")}


def test_anomaly_series_of_one_team_spelled_three_ways_is_one_series():
    # one team written "Mixed", "mixed", " MIXED": earlier days 0,0,0,100,200,200,200 (mean 100, std 100),
    # day 8 401 -> z = 3.01 > 3: flagged on the one series; split by spelling no series would be
    spellings = ["Mixed", "mixed", " MIXED", "mixed", "Mixed", "mixed", "Mixed", "mixed"]
    costs = [0, 0, 0, 100, 200, 200, 200, 401]
    u = usage([dict(date=f"2026-03-0{i + 1}", vendor="OpenAI", team=t, cost=c)
               for i, (t, c) in enumerate(zip(spellings, costs, strict=True))])
    a = build_analysis(Inputs(usage=u), Settings(), date(2026, 3, 8))
    teams = [x for x in a.anomalies if x.dimension == "team"]
    assert [(x.value, x.date, x.spend, x.mean, x.std) for x in teams] == [
        ("Mixed", date(2026, 3, 8), D("401.00"), D("100.00"), D("100.00"))]


def test_contracts_overlapping_at_renewal_draw_down_the_newer_one_with_a_warning():
    # OLD runs 2026-01-01..2026-06-30; NEW was signed to start 2026-06-21 (10 days of overlap)
    c = commitments([dict(contract_id="OAI-2026", vendor="OpenAI", period_start="2026-01-01",
                          period_end="2026-06-30", commitment=10000, owner="Ana"),
                     dict(contract_id="OAI-2026-R", vendor="OpenAI", period_start="2026-06-21",
                          period_end="2027-06-20", commitment=20000, owner="Ana")])
    u = usage([dict(date="2026-06-10", vendor="OpenAI", cost=500),
               dict(date="2026-06-21", vendor="OpenAI", cost=120),
               dict(date="2026-06-30", vendor="OpenAI", cost=80),
               dict(date="2026-06-25", vendor="OpenAI", cost=40, contract_id="OAI-2026"),
               dict(date="2026-07-02", vendor="OpenAI", cost=60)])
    a = build_analysis(Inputs(usage=u, commitments=c), Settings(), date(2026, 7, 2))  # was: exit 2, "fits two"
    got = {x.contract_id: x.consumed_to_date for x in a.contracts}
    # OLD: 500 + the 40 naming it; NEW: 120 + 80 in the overlap + 60 after it
    assert got == {"OAI-2026": D("540.00"), "OAI-2026-R": D("260.00")}
    (w,) = [x for x in a.warnings if "overlap on" in x]
    assert w == ("contracts OAI-2026 and OAI-2026-R of OpenAI overlap on 2026-06-21..2026-06-30 (10 days): usage "
                 "without contract_id in those days draws down the newer contract OAI-2026-R (2 rows, USD 200.00); "
                 "give a row contract_id OAI-2026 to draw down OAI-2026")
