"""Budget variance, severity, alert tiers, spike rule, response and monitoring."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.domain.budgets import alert_tier, budget_results, is_spike, response, severity
from desktop.domain.errors import InputError
from desktop.domain.settings import Settings
from tests.domain.test_contracts import D, daily_usage, frame, usage

APRIL = dict(allocation="Search AI", month="2026-04", budget=3000, dimension="team", value="search",
             owner="Elena", containment_owner="Jon (SRE)", escalation_owner="VP")


def budgets(rows, file="budgets.csv"):
    return frame("budgets", rows, ("budget",), file)


def _usage(march_total):
    rows = daily_usage("OpenAI", "2026-04-01", "2026-04-20", 100, team="Search")
    rows += [dict(date="2026-03-15", vendor="OpenAI", cost=march_total, team="SEARCH"),
             dict(date="2026-04-10", vendor="OpenAI", cost=5000, team="Support"),  # other line
             dict(date="2026-04-25", vendor="OpenAI", cost=7000, team="Search")]  # after T
    return usage(rows)


def test_451200_of_500000_is_critical():
    # 451,200 / 500,000 = 0.9024 -> 90.24% -> critical (>= 0.90, < 0.95)
    assert alert_tier(D("451200"), D("500000")) == "critical"
    u = usage([dict(date="2026-04-30", vendor="OpenAI", cost=451200, team="Search")])
    (b,) = budget_results(budgets([dict(APRIL, budget=500000)]), u, date(2026, 4, 30))
    assert b.utilization == pytest.approx(0.9024) and b.alert_tier == "critical"
    # April has ended at T -> forecast = actual; variance -48,800 -> -9.76% -> none
    assert (b.forecast, b.variance, b.severity) == (D("451200.00"), D("-48800.00"), "none")


@pytest.mark.parametrize("actual,tier", [
    ("49.99", "none"), ("50.00", "info"), ("69.99", "info"), ("70.00", "warning"), ("89.99", "warning"),
    ("90.00", "critical"), ("94.99", "critical"), ("95.00", "hard_stop"), ("99.99", "hard_stop"),
    ("100.00", "hard_cap"), ("150", "hard_cap"),
])
def test_tier_boundaries(actual, tier):
    assert alert_tier(D(actual), D("100.00")) == tier


@pytest.mark.parametrize("variance,sev", [
    ("20.00", "high"), ("19.99", "medium"), ("10.00", "medium"), ("9.99", "low"), ("0.01", "low"),
    ("0.00", "none"), ("-19.99", "none"), ("-20.00", "under"), ("-50", "under"),
])
def test_severity_boundaries(variance, sev):
    assert severity(D(variance), D("100.00")) == sev


def test_zero_budget_rules():
    assert severity(D("1"), D("0")) == "high" and severity(D("0"), D("0")) == "none"
    assert alert_tier(D("0.01"), D("0")) == "hard_cap" and alert_tier(D("0"), D("0")) == "none"


def test_spike_boundary():
    # forecast 3000 vs previous actual 2500: 3000 >= 2500 x 1.20 -> spike; 2500.01 x 1.2 > 3000 -> no
    assert is_spike(D("3000"), D("2500"))
    assert not is_spike(D("3000"), D("2500.01"))
    assert not is_spike(D("3000"), D("0"))


def test_budget_line_forecast_spike_monitoring():
    # T = Apr 20; Search spends 100/day Apr 1..20 -> actual 2000; run rate (Apr 7..20) 1400/14 = 100
    # forecast = 2000 + 100 x 10 days left = 3000; budget 3000 -> variance 0 -> severity none
    # utilization 2000/3000 = 0.667 -> info; March actual 2500 -> 3000 >= 1.2 x 2500 -> spike ->
    # at least critical
    (b,) = budget_results(budgets([APRIL]), _usage(2500), date(2026, 4, 20))
    assert (b.actual, b.run_rate, b.forecast, b.variance) == (D("2000.00"), D("100.00"), D("3000.00"),
                                                              D("0.00"))
    assert b.utilization == pytest.approx(2 / 3) and b.variance_pct == 0.0
    assert (b.severity, b.spike, b.previous_actual, b.alert_tier) == ("none", True, D("2500.00"),
                                                                      "critical")
    # critical alone has no response rule; daily pace 3000 / 30 = 100, run rate 100 is not under
    # pace -> stays under monitoring
    assert (b.response, b.rca_due, b.monitoring) == ("", None, True)
    assert (b.containment_owner, b.dimension, b.value) == ("Jon (SRE)", "team", "search")
    (b,) = budget_results(budgets([APRIL]), _usage("2500.01"), date(2026, 4, 20))
    assert (b.spike, b.alert_tier, b.monitoring) == (False, "info", False)


def test_future_and_past_months():
    u = _usage(2500)
    rows = [dict(APRIL, month="2026-05", budget=2500), dict(APRIL, month="2026-03", budget=2000)]
    may_line, mar_line = sorted(budget_results(budgets(rows), u, date(2026, 4, 20)), key=lambda b: b.month,
                                reverse=True)
    # May after T: actual 0, forecast = 100 x 31 = 3100; variance 600 -> 24% -> high; due T + 24 h
    assert (may_line.actual, may_line.forecast, may_line.severity) == (D("0.00"), D("3100.00"), "high")
    assert may_line.rca_due == date(2026, 4, 21) and "24 h" in may_line.response
    assert "Jon (SRE)" in may_line.response and "rate-limit non-production keys" in may_line.response
    assert may_line.monitoring is False  # only the month containing T is monitored
    # March ended: forecast = actual 2500; 2500/2000 = 125% -> hard_cap; variance 25% -> high
    assert (mar_line.forecast, mar_line.alert_tier, mar_line.severity) == (D("2500.00"), "hard_cap", "high")


def test_response_deadlines():
    t = date(2026, 4, 20)
    assert response("high", "none", t, "Jon")[1] == date(2026, 4, 21)
    assert response("none", "hard_stop", t, "Jon")[1] == date(2026, 4, 21)
    text, due = response("medium", "warning", t, "Jon")
    assert due == date(2026, 4, 23) and "72 h" in text
    assert response("low", "info", t, "Jon") == ("review at the next weekly review", None)
    assert response("under", "none", t, "Jon")[0] == "under budget: money to reallocate"
    assert response("none", "critical", t, "Jon") == ("", None)


def test_medium_severity_and_under():
    u = usage(daily_usage("OpenAI", "2026-04-01", "2026-04-30", 110, team="Search"))
    # April ended at T = Apr 30: actual = forecast = 3300 -> +10% -> medium; 110% -> hard_cap
    (b,) = budget_results(budgets([APRIL]), u, date(2026, 4, 30))
    assert (b.severity, b.alert_tier, b.rca_due) == ("medium", "hard_cap", date(2026, 5, 1))
    (b,) = budget_results(budgets([dict(APRIL, budget=4125)]), u, date(2026, 4, 30))
    # 3300 / 4125 - 1 = -0.20 -> under; utilization 0.80 -> warning
    assert (b.severity, b.alert_tier, b.variance_pct) == ("under", "warning", pytest.approx(-0.2))


def test_vendor_dimension_with_alias_and_vendor_filter_and_ordering():
    u = usage([dict(date="2026-04-02", vendor="OpenAI, L.L.C.", cost=10, team="Search"),
               dict(date="2026-04-02", vendor="Anthropic", cost=20, team="Search")])
    rows = [dict(APRIL, allocation="b", dimension="vendor", value="openai"),
            dict(APRIL, allocation="a", vendor="Anthropic"),
            dict(APRIL, allocation="a", month="2026-03")]
    got = budget_results(budgets(rows), u, date(2026, 4, 2))
    assert [(b.allocation, b.month, b.actual) for b in got] == [
        ("a", "2026-03", D("0.00")), ("a", "2026-04", D("20.00")), ("b", "2026-04", D("10.00"))]


def test_bad_dimension_and_month_are_input_errors():
    with pytest.raises(InputError) as ei:
        budget_results(budgets([dict(APRIL, dimension="colour")]), usage([]), date(2026, 4, 1))
    assert (ei.value.file, ei.value.row, ei.value.column) == ("budgets.csv", 2, "dimension")
    with pytest.raises(InputError) as ei:
        budget_results(budgets([APRIL, dict(APRIL, month="April")]), usage([]), date(2026, 4, 1))
    assert (ei.value.row, ei.value.column) == (3, "month")


def test_thresholds_are_settings():
    s = Settings(tier_critical=0.85, severity_high=0.5)
    assert alert_tier(D("86"), D("100"), s) == "critical"
    assert severity(D("30"), D("100"), s) == "medium"
