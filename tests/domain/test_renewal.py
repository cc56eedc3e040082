"""Renewal scenarios (docs/domain.md "Renewal scenarios"), hand-computed."""

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from desktop.domain import tables
from desktop.domain.errors import InputError
from desktop.domain.money import to_micros
from desktop.domain.progress import Cancelled, Progress
from desktop.domain.renewal import (
    RenewalInputs,
    cost_for_level,
    default_renewal_inputs,
    default_tiers,
    estimate_growth,
    least_cost_on_path,
    list_spend,
    run_renewal,
    run_scenarios,
)
from desktop.domain.settings import Settings

SETTINGS = Settings(renewal_paths=400)


def inputs(**kw) -> RenewalInputs:
    base = dict(name="OpenAI renewal", vendor="OpenAI", baseline_monthly=Decimal("10000"),
                growth_scenarios={"expected": (0.10, 0.0)}, term_months=3,
                discount_tiers=[(Decimal(20000), 5.0), (Decimal(30000), 10.0), (Decimal(40000), 12.0)],
                overage_multiplier=1.5, shortfall_penalty_pct=100.0)
    base.update(kw)
    return RenewalInputs(**base)


def test_single_path_cost_by_hand():
    ri = inputs()
    # list spend 10,000 x (1.1 + 1.21 + 1.331) = 11,000 + 12,100 + 13,310 = 36,410
    assert list_spend(ri, 0.10) == Decimal("36410.00")
    # K 30,000 at 10 %: S = 32,769 > K -> 30,000 + 2,769 x 1.5 = 34,153.50
    assert cost_for_level(ri, Decimal(30000), 10.0, 0.10) == Decimal("34153.50")
    # K 40,000 at 10 %: S = 32,769 <= K, 100 % penalty -> the whole 40,000
    assert cost_for_level(ri, Decimal(40000), 10.0, 0.10) == Decimal("40000.00")
    # 50 % penalty: 32,769 + 7,231 x 0.5 = 36,384.50
    half = inputs(shortfall_penalty_pct=50.0)
    assert cost_for_level(half, Decimal(40000), 10.0, 0.10) == Decimal("36384.50")
    # S exactly K: no shortfall, no overage
    assert cost_for_level(ri, Decimal("32769"), 10.0, 0.10) == Decimal("32769.00")
    # flat spend: 3 x 10,000 = 30,000
    assert cost_for_level(ri, Decimal(0), 0.0, 0.0) == Decimal("45000.00")  # all overage at 1.5


def test_table_without_uncertainty_equals_the_single_path():
    ri = inputs()
    res = run_renewal(ri, SETTINGS)
    assert res.on_demand_cost == Decimal("36410.00")
    assert res.name == "OpenAI renewal: expected"
    assert [r.commit_level for r in res.rows] == [Decimal("20000.00"), Decimal("30000.00"), Decimal("40000.00")]
    r20, r30, r40 = res.rows
    # K 20,000 at 5 %: S = 34,589.50; overage 14,589.50 x 1.5 -> 41,884.25; premium 7,294.75
    assert r20.expected_cost == Decimal("41884.25")
    assert r20.expected_overage_premium == Decimal("7294.75")
    assert r20.p_shortfall == 0.0 and r20.expected_shortfall == Decimal("0.00")
    assert r30.expected_cost == Decimal("34153.50")
    assert r30.expected_overage_premium == Decimal("1384.50")  # 2,769 x 0.5
    assert r30.savings == Decimal("2256.50")  # 36,410 - 34,153.50
    # K 40,000 at 12 %: S = 32,040.80, shortfall 7,959.20, cost 40,000
    assert r40.expected_cost == Decimal("40000.00")
    assert r40.p_shortfall == 1.0
    assert r40.expected_shortfall == Decimal("7959.20")
    assert r40.savings == Decimal("-3590.00")
    for r in res.rows:
        assert r.expected_cost == cost_for_level(ri, r.commit_level, r.discount_pct, 0.10)
    assert [r.least_cost for r in res.rows] == [False, True, False]
    assert [r.safe_max for r in res.rows] == [False, True, False]
    assert res.recommended_least_cost == Decimal("30000.00")
    assert res.recommended_safe == Decimal("30000.00")


def test_seeded_simulation_is_reproducible_and_seed_dependent():
    ri = inputs(growth_scenarios={"expected": (0.02, 0.03)}, term_months=12,
                discount_tiers=[(Decimal(k), 10.0) for k in (100000, 115000, 130000, 145000)])
    a = run_renewal(ri, SETTINGS)
    b = run_renewal(ri, SETTINGS)
    assert a == b
    c = run_renewal(ri, SETTINGS.replace(renewal_seed=7))
    assert a.rows != c.rows


def test_simulated_table_is_internally_consistent():
    ri = inputs(growth_scenarios={"expected": (0.02, 0.03)}, term_months=12, overage_multiplier=1.25,
                discount_tiers=[(Decimal(k), 10.0) for k in (100000, 115000, 130000, 145000)])
    res = run_renewal(ri, SETTINGS)
    ps = [r.p_shortfall for r in res.rows]
    assert ps == sorted(ps)  # same discount: a higher commit is never less likely to fall short
    assert 0 < ps[1] < 1
    # E[cost] = (1 - d) E[list] + penalty x E[shortfall] + E[overage premium], to rounding
    for r in res.rows:
        rebuilt = res.on_demand_cost * Decimal("0.9") + r.expected_shortfall + r.expected_overage_premium
        assert abs(rebuilt - r.expected_cost) <= Decimal("0.03")
        assert r.savings == res.on_demand_cost - r.expected_cost
    least = [r for r in res.rows if r.least_cost]
    assert len(least) == 1 and least[0].expected_cost == min(r.expected_cost for r in res.rows)
    safe = [r for r in res.rows if r.safe_max]
    qualifying = [r for r in res.rows if r.p_shortfall <= 0.10]
    assert safe == ([qualifying[-1]] if qualifying else [])
    assert res.recommended_safe == (qualifying[-1].commit_level if qualifying else None)


def test_no_level_safe_enough_gives_no_safe_recommendation():
    ri = inputs(discount_tiers=[(Decimal(50000), 10.0)])
    res = run_renewal(ri, SETTINGS)
    assert res.rows[0].p_shortfall == 1.0
    assert res.recommended_safe is None and not res.rows[0].safe_max
    assert res.recommended_least_cost == Decimal("50000.00")


def test_least_cost_on_the_expected_path_by_hand():
    """The level the brief's Renewal sheet recommends live (INDEX/MATCH over its cost formulas).
    45,000/month growing 2 %: L = 45,000 x sum 1.02^t (t = 1..12) = 615,614.9185...
    K 400,000 at 8 %: S = 566,365.73 > K -> 400,000 + 166,365.73 x 1.25 = 607,957.16
    K 500,000 at 10 %: S = 554,053.43 > K -> 500,000 + 54,053.43 x 1.25 = 567,566.78 (least)
    K 600,000 at 12.5 %: S = 538,663.05 <= K -> the whole 600,000.00 (penalty 100 %)"""
    ri = RenewalInputs(name="r", vendor="OpenAI", baseline_monthly=Decimal("45000.00"), term_months=12,
                       discount_tiers=[(Decimal(400000), 8.0), (Decimal(500000), 10.0), (Decimal(600000), 12.5)],
                       overage_multiplier=1.25, shortfall_penalty_pct=100.0)
    assert [cost_for_level(ri, k, d, 0.02) for k, d in ri.discount_tiers] == [
        Decimal("607957.16"), Decimal("567566.78"), Decimal("600000.00")]
    assert least_cost_on_path(ri, 0.02) == Decimal("500000.00")
    # 5 % a month: L = 752,084.23; 600,000 at 12.5 %: S = 658,073.70 -> 600,000 + 58,073.70 x 1.25
    # = 672,592.12 beats 500,000's 721,094.76 and 400,000's 764,896.86
    assert [cost_for_level(ri, k, d, 0.05) for k, d in ri.discount_tiers] == [
        Decimal("764896.86"), Decimal("721094.76"), Decimal("672592.12")]
    assert least_cost_on_path(ri, 0.05) == Decimal("600000.00")
    # equal costs: the first level given (as MATCH finds the first); 1,200 list spend over both
    flat = RenewalInputs(name="r", vendor="v", baseline_monthly=Decimal("100"), term_months=12,
                         discount_tiers=[(Decimal(500), 0.0), (Decimal(300), 0.0)], overage_multiplier=1.0)
    assert [cost_for_level(flat, k, d, 0.0) for k, d in flat.discount_tiers] == [Decimal("1200.00")] * 2
    assert least_cost_on_path(flat, 0.0) == Decimal("500.00")
    assert least_cost_on_path(RenewalInputs(name="r", vendor="v", baseline_monthly=Decimal(1)), 0.0) is None


def test_run_scenarios_in_standard_order_and_progress_cancel():
    ri = inputs(growth_scenarios={"aggressive": (0.05, 0.01), "expected": (0.02, 0.01),
                                  "conservative": (0.0, 0.01)})
    out = run_scenarios(ri, SETTINGS)
    assert [r.name.split(": ")[1] for r in out] == ["conservative", "expected", "aggressive"]
    assert out[0].on_demand_cost < out[1].on_demand_cost < out[2].on_demand_cost
    p = Progress()
    p.cancel()
    with pytest.raises(Cancelled):
        run_renewal(ri, SETTINGS, "expected", progress=p)


@pytest.mark.parametrize("change", [dict(term_months=0), dict(baseline_monthly=Decimal(-1)),
                                    dict(discount_tiers=[(Decimal(1), 100.0)]),
                                    dict(growth_scenarios={"expected": (0.1, -0.1)})])
def test_bad_inputs_are_input_errors(change):
    with pytest.raises(InputError):
        run_renewal(inputs(**change), SETTINGS)
    with pytest.raises(InputError):
        run_renewal(inputs(), SETTINGS, "nonexistent")


def test_default_tiers_round_to_two_significant_digits():
    assert default_tiers(Decimal("36525"), 10.0) == [
        (Decimal(22000), 6.0), (Decimal(29000), 8.0), (Decimal(37000), 10.0), (Decimal(44000), 12.0),
        (Decimal(51000), 14.0)]
    assert default_tiers(Decimal(0), 10.0) == []


def _usage(days: int, end: date, vendor: str, per_day: str) -> pd.DataFrame:
    dates = [end - timedelta(days=i) for i in range(days)]
    return pd.DataFrame({"date": pd.to_datetime(dates), "vendor": vendor,
                         "cost": [to_micros(per_day)] * days})


def test_default_inputs_from_usage_and_commitments():
    t = date(2026, 6, 30)
    usage = tables.conform(pd.concat([
        _usage(200, t, "OpenAI", "100"),
        _usage(200, t, "Anthropic", "55"),  # no contract with Anthropic: no renewal
        pd.DataFrame({"date": pd.to_datetime([t]), "vendor": ["OpenAI"], "cost": [to_micros("999")],
                      "commit_eligible": [False]}),  # ineligible: not in the baseline
    ], ignore_index=True), "usage")
    commitments = tables.conform(pd.DataFrame({
        "contract_id": ["OA-1"], "vendor": ["openai"], "period_start": pd.to_datetime(["2026-01-01"]),
        "period_end": pd.to_datetime(["2026-12-31"]), "commitment": [to_micros("36000")],
        "overage_multiplier": [1.2], "shortfall_penalty_pct": [100.0]}), "commitments")
    out = default_renewal_inputs(usage, commitments, t, Settings())
    assert len(out) == 1
    ri = out[0]
    assert ri.vendor == "OpenAI" and ri.name == "OpenAI renewal"
    assert ri.baseline_monthly == Decimal("3043.75")  # 100/day x 30.4375
    assert ri.term_months == 12  # 365 days / 30.4375
    assert ri.growth_scenarios == {"conservative": (-0.02, 0.01), "expected": (0.0, 0.02),
                                   "aggressive": (0.03, 0.03)}  # flat spend: growth 0
    assert ri.overage_multiplier == 1.2 and ri.shortfall_penalty_pct == 100.0
    assert ri.discount_tiers == default_tiers(Decimal("36525.00"), 10.0)


def test_baseline_over_fewer_days_when_usage_is_young():
    t = date(2026, 6, 30)
    usage = tables.conform(_usage(30, t, "OpenAI", "10"), "usage")
    commitments = tables.conform(pd.DataFrame({
        "contract_id": ["OA-1"], "vendor": ["OpenAI"], "period_start": pd.to_datetime(["2026-06-01"]),
        "period_end": pd.to_datetime(["2027-05-31"]), "commitment": [to_micros("5000")]}), "commitments")
    ri = default_renewal_inputs(usage, commitments, t, Settings())[0]
    assert ri.baseline_monthly == Decimal("304.38")  # 300 / 30 days x 30.4375 = 304.375
    # 30 days of data: not enough for a growth estimate -> 2 %
    assert ri.growth_scenarios["expected"][0] == 0.02


def test_growth_estimate_from_two_windows():
    t = date(2026, 6, 30)
    recent = _usage(90, t, "OpenAI", "121")
    prev = _usage(90, t - timedelta(days=90), "OpenAI", "100")
    rows = tables.conform(pd.concat([recent, prev], ignore_index=True), "usage")
    g = estimate_growth(rows, t, 90)
    assert g == round(1.21 ** (30.4375 / 90) - 1, 4)


@hsettings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000_000), st.integers(1, 36), st.integers(-300, 800),
       st.lists(st.tuples(st.integers(0, 50_000_000), st.integers(0, 30)), min_size=1, max_size=4,
                unique_by=lambda t: t[0]),
       st.sampled_from([1.0, 1.25, 2.0]), st.sampled_from([0.0, 50.0, 100.0]))
def test_table_without_noise_matches_the_single_path(baseline_cents, term, g_bp, tiers, mult, pen):
    g = g_bp / 10_000
    ri = inputs(baseline_monthly=Decimal(baseline_cents) / 100, term_months=term,
                growth_scenarios={"expected": (g, 0.0)}, overage_multiplier=mult, shortfall_penalty_pct=pen,
                discount_tiers=[(Decimal(k), float(d)) for k, d in tiers])
    res = run_renewal(ri, Settings(renewal_paths=3))
    assert abs(res.on_demand_cost - list_spend(ri, g)) <= Decimal("0.01")
    for r in res.rows:
        assert abs(r.expected_cost - cost_for_level(ri, r.commit_level, r.discount_pct, g)) <= Decimal("0.01")
        assert r.p_shortfall in (0.0, 1.0)
        assert (r.expected_shortfall > 0) == (r.p_shortfall == 1.0)
        assert not (r.expected_shortfall > 0 and r.expected_overage_premium > 0)


def test_result_records_the_contract_terms_used():
    res = run_renewal(inputs(overage_multiplier=1.25, shortfall_penalty_pct=80.0), SETTINGS)
    assert (res.overage_multiplier, res.shortfall_penalty_pct) == (1.25, 80.0)
    assert (res.baseline_monthly, res.growth, res.growth_sd, res.term_months) == (Decimal("10000.00"), 0.10, 0.0, 3)


def test_table_equals_a_path_by_path_reference():
    from fractions import Fraction

    from desktop.domain.renewal import simulate_list_spend_micros

    ri = inputs(growth_scenarios={"expected": (0.01, 0.04)}, term_months=6, overage_multiplier=1.3,
                shortfall_penalty_pct=75.0,
                discount_tiers=[(Decimal(k), d) for k, d in ((55000, 3.0), (60000, 7.5), (66000, 9.0))])
    st_ = Settings(renewal_paths=300)
    res = run_renewal(ri, st_)
    paths = simulate_list_spend_micros(ri, 0.01, 0.04, st_)
    n = len(paths)
    for row in res.rows:
        k = Fraction(int(row.commit_level * 1_000_000))
        keep = 1 - Fraction(Decimal(str(row.discount_pct))) / 100
        cost = short = prem = Fraction(0)
        n_short = 0
        for lm in paths:
            s = lm * keep
            if s <= k:
                cost += s + (k - s) * Fraction(75, 100)
                short += k - s
                n_short += s < k
            else:
                cost += k + (s - k) * Fraction(13, 10)
                prem += (s - k) * Fraction(3, 10)

        def c(x):
            return (Decimal(x.numerator) / Decimal(x.denominator) / n / 1_000_000).quantize(
                Decimal("0.01"), rounding="ROUND_HALF_UP")
        assert (row.expected_cost, row.expected_shortfall, row.expected_overage_premium) == (c(cost), c(short),
                                                                                              c(prem))
        assert row.p_shortfall == n_short / n
    assert 0 < res.rows[1].p_shortfall < 1
