"""Offers simulated period by period (desktop/domain/offers.py, docs/domain.md "Offers").
Deterministic cases use growth sd 0 (one future) with spend that doubles or halves every month
(factors exactly representable), computed by hand in the comments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from desktop.domain.errors import InputError
from desktop.domain.offers import (
    Offer,
    OfferPeriod,
    SpendModel,
    offers_from_rows,
    period_list_spend,
    simulate_offers,
)

DEC = date(2026, 12, 15)  # as-of month December 2026: month 1 is January 2027


def per(start: str, end: str, commitment: str, **kw) -> OfferPeriod:
    return OfferPeriod(date.fromisoformat(start), date.fromisoformat(end), D(commitment), **kw)


MONTHS = [("2027-01-01", "2027-01-31"), ("2027-02-01", "2027-02-28"), ("2027-03-01", "2027-03-31")]


def one(offer: Offer, model: SpendModel):
    return simulate_offers([offer], model, DEC).offers[0]


def test_annual_against_quarterly_minimums_on_falling_spend():
    # baseline 16000, growth -50 %: Jan 8000, Feb 4000, Mar 2000, Apr 1000, May 500, Jun 250
    # list Q1 14000, Q2 1750 (total 15750); 20 % discount: S Q1 11200, Q2 1400, total 12600
    model = SpendModel(D("16000"), -0.5, 0.0, paths=4)
    terms = dict(discount_pct=20.0, overage_multiplier=1.25)
    annual = Offer("annual", "OpenAI", (per("2027-01-01", "2027-06-30", "12000", **terms),))
    quarterly = Offer("quarterly", "OpenAI", (per("2027-01-01", "2027-03-31", "6000", **terms),
                                              per("2027-04-01", "2027-06-30", "6000", **terms)))
    res = simulate_offers([annual, quarterly], model, DEC)
    a, q = res.offers
    # annual: S 12600 > 12000: overage 600, premium 150, cost 12750, savings 15750 - 12750
    assert (a.expected_cost, a.savings_vs_list, a.expected_overage_premium) == (D("12750.00"), D("3000.00"),
                                                                                D("150.00"))
    assert a.p_shortfall == 0.0 and a.expected_shortfall_penalty == D("0.00")
    # quarterly: Q1 overage 5200, premium 1300, cost 12500; Q2 shortfall 4600 at 100 %: cost 6000
    assert [p.expected_cost for p in q.periods] == [D("12500.00"), D("6000.00")]
    assert [p.expected_spend for p in q.periods] == [D("11200.00"), D("1400.00")]
    assert [p.expected_list_spend for p in q.periods] == [D("14000.00"), D("1750.00")]
    assert [p.p_shortfall for p in q.periods] == [0.0, 1.0]
    assert q.expected_cost == D("18500.00") and q.savings_vs_list == D("-2750.00")
    assert q.expected_shortfall_penalty == D("4600.00") and q.expected_overage_premium == D("1300.00")
    assert q.p_shortfall == 1.0 and q.cvar95_cost == D("18500.00")
    assert res.currency == "USD" and res.paths == 4


def _rollover(cap: str | None) -> Offer:
    # monthly minimums 5000, no discount, rollover 50 %, overage at 1.5
    terms = dict(overage_multiplier=1.5, rollover_pct=50.0)
    return Offer("roll", "OpenAI", tuple(per(s, e, "5000", **terms) for s, e in MONTHS),
                 rollover_cap=None if cap is None else D(cap))


def test_rollover_with_a_cap_by_hand():
    # baseline 1000, growth 100 %: Jan 2000, Feb 4000, Mar 8000 (list 14000)
    model = SpendModel(D("1000"), 1.0, 0.0, paths=2)
    capped = one(_rollover("2000"), model)
    # Jan: short 3000, carry min(2500, cap 2000) = 2000, penalty 1000 -> cost 3000
    # Feb: 4000 meets the carried 2000 first, 2000 toward 5000: short 3000, carry 2000, penalty 1000 -> 5000
    # Mar (last): carried 2000 met, 6000 left: 5000 met, overage 1000, premium 500 -> 8500
    assert [p.expected_cost for p in capped.periods] == [D("3000.00"), D("5000.00"), D("8500.00")]
    assert [p.expected_shortfall_penalty for p in capped.periods] == [D("1000.00"), D("1000.00"), D("0.00")]
    assert [p.p_shortfall for p in capped.periods] == [1.0, 1.0, 0.0]
    assert capped.expected_cost == D("16500.00") and capped.savings_vs_list == D("-2500.00")
    assert capped.expected_overage_premium == D("500.00")
    free = one(_rollover(None), model)
    # no cap: Jan carry 2500, penalty 500 -> 2500; Feb 1500 toward 5000: carry 2500, penalty 1000 -> 5000;
    # Mar: 8000 - 2500 carried = 5500: overage 500, premium 250 -> 8250
    assert [p.expected_cost for p in free.periods] == [D("2500.00"), D("5000.00"), D("8250.00")]
    assert free.expected_cost == D("15750.00")


def test_a_carry_that_expires_unmet_is_charged_with_its_own_period_penalty():
    # Jan 2000, Feb 4000, Mar 8000; Mar minimum 4000 (overage at 1.0)
    model = SpendModel(D("1000"), 1.0, 0.0, paths=1)
    jan = per(*MONTHS[0], "6000", shortfall_penalty_pct=50.0, rollover_pct=100.0)
    feb = per(*MONTHS[1], "4000", rollover_pct=0.0)
    mar = per(*MONTHS[2], "4000")
    r = one(Offer("x", "V", (jan, feb, mar)), model)
    # Jan: short 4000, all carried (100 %) -> cost 2000. Feb: its 4000 meets the carry first, so
    # Feb's own 4000 is missed, no rollover: charged at Feb's 100 % -> 8000. Mar: overage 4000 -> 8000
    assert [p.expected_cost for p in r.periods] == [D("2000.00"), D("8000.00"), D("8000.00")]
    assert [p.expected_shortfall for p in r.periods] == [D("0.00"), D("4000.00"), D("0.00")]
    # Jan minimum 9000, Feb minimum 0: Jan short 7000 carried; Feb's 4000 meets 4000 of it; with
    # expiry 1 the 3000 left expires after Feb and is charged at Jan's 50 % = 1500 in Feb
    jan9 = per(*MONTHS[0], "9000", shortfall_penalty_pct=50.0, rollover_pct=100.0)
    feb0 = per(*MONTHS[1], "0")
    e1 = one(Offer("x", "V", (jan9, feb0, mar), rollover_expiry_periods=1), model)
    assert [p.expected_shortfall for p in e1.periods] == [D("0.00"), D("3000.00"), D("0.00")]
    assert [p.expected_shortfall_penalty for p in e1.periods] == [D("0.00"), D("1500.00"), D("0.00")]
    # costs: Jan 2000, Feb 4000 + 1500, Mar 8000 (minimum 4000, overage 4000 at 1.0)
    assert e1.expected_cost == D("15500.00")
    # expiry 2: Mar's 8000 meets the carried 3000 first, then its 4000, overage 1000: nothing charged
    e2 = one(Offer("x", "V", (jan9, feb0, mar), rollover_expiry_periods=2), model)
    assert [p.expected_shortfall for p in e2.periods] == [D("0.00"), D("0.00"), D("0.00")]
    assert e2.expected_cost == D("14000.00") and e2.p_shortfall == 0.0 and e1.p_shortfall == 1.0


def test_penalty_against_credit():
    # Jan 2000, Feb 4000; minimums 3000 each, penalty 50 %, overage 1.5
    model = SpendModel(D("1000"), 1.0, 0.0, paths=3)
    periods = tuple(per(s, e, "3000", shortfall_penalty_pct=50.0, overage_multiplier=1.5) for s, e in MONTHS[:2])
    pen = one(Offer("p", "V", periods), model)
    # Jan short 1000 x 50 % = 500 -> 2500; Feb overage 1000, premium 500 -> 4500
    assert [p.expected_cost for p in pen.periods] == [D("2500.00"), D("4500.00")]
    cred = one(Offer("c", "V", periods, shortfall_treatment="credit"), model)
    # Jan: the missed 1000 paid in full as credit -> 3000; Feb: overage charge 1500, 1000 from credit -> 3500
    assert [p.expected_cost for p in cred.periods] == [D("3000.00"), D("3500.00")]
    assert [p.expected_credit_used for p in cred.periods] == [D("0.00"), D("1000.00")]
    assert cred.expected_shortfall_penalty == D("1000.00") and cred.expected_credit_used == D("1000.00")
    assert (pen.expected_cost, cred.expected_cost) == (D("7000.00"), D("6500.00"))


def test_term_fulfilment_binds_only_the_total():
    model = SpendModel(D("1000"), 1.0, 0.0, paths=1)
    periods = tuple(per(s, e, "3500") for s, e in MONTHS[:2])
    by_period = one(Offer("p", "V", periods), model)
    term = one(Offer("t", "V", periods, fulfilment="term"), model)
    # periods: Jan short 1500 -> 3500; Feb overage 500 at 1.0 -> 4000. term: total 7000 vs 6000 spent:
    # Jan 2000, Feb 4000 + the 1000 missed at the end -> 5000
    assert [p.expected_cost for p in by_period.periods] == [D("3500.00"), D("4000.00")]
    assert [p.expected_cost for p in term.periods] == [D("2000.00"), D("5000.00")]
    assert [p.p_shortfall for p in term.periods] == [0.0, 1.0]
    # term with overage: minimum 2500 total -> cumulative 2000 (Jan), 6000 (Feb): overage 3500 in Feb at 1.2
    t2 = one(Offer("t", "V", (per(*MONTHS[0], "1000"), per(*MONTHS[1], "1500", overage_multiplier=1.2)),
                   fulfilment="term"), model)
    assert [p.expected_overage_premium for p in t2.periods] == [D("0.00"), D("700.00")]
    assert t2.expected_cost == D("6700.00")


def test_a_month_in_part_counts_by_days():
    # baseline 3100 flat: 15 Jan - 14 Feb 2027 = 17/31 of January + 14/28 of February = 1700 + 1550
    model = SpendModel(D("3100"), 0.0, 0.0, paths=1)
    lst = period_list_spend(model, DEC, [(date(2027, 1, 15), date(2027, 2, 14))])
    assert lst.tolist() == [[3_250_000_000]]
    # a period in the as-of month itself is at the baseline (month 0)
    assert period_list_spend(model, DEC, [(date(2026, 12, 1), date(2026, 12, 31))]).tolist() == [[3_100_000_000]]
    with pytest.raises(InputError, match="before the as-of month"):
        period_list_spend(model, DEC, [(date(2026, 11, 1), date(2026, 12, 31))])


def test_cvar95_is_the_mean_of_the_worst_five_percent():
    model = SpendModel(D("1000"), 0.01, 0.05, paths=40, seed=7)
    offer = Offer("list", "V", (per("2027-01-01", "2027-06-30", "0"),))  # no minimum: cost = list spend
    lst = period_list_spend(model, DEC, [(date(2027, 1, 1), date(2027, 6, 30))])[:, 0]
    worst = sorted(lst.tolist())[-2:]  # ceil(5 % x 40) = 2 paths
    r = one(offer, model)
    assert r.cvar95_cost == (D(sum(worst)) / 2 / 1_000_000).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert r.cvar95_cost > r.expected_cost


def test_common_random_numbers_across_offers():
    model = SpendModel(D("5000"), 0.02, 0.04, paths=500, seed=11)
    a = Offer("a", "V", (per("2027-01-01", "2027-03-31", "12000", discount_pct=10.0),))
    b = Offer("b", "V", tuple(per(s, e, "4000") for s, e in MONTHS)
                  + (per("2027-04-01", "2029-12-31", "1000"),))  # a longer horizon
    alone = simulate_offers([a], model, DEC).offers[0]
    together = simulate_offers([b, a], model, DEC).offers[1]
    assert alone == together
    short = period_list_spend(model, DEC, [(date(2027, 1, 1), date(2027, 3, 31))])
    long = period_list_spend(model, DEC, [(date(2027, 1, 1), date(2027, 3, 31)), (date(2029, 1, 1), date(2029, 1, 31))])
    assert np.array_equal(short[:, 0], long[:, 0]) and len(set(short[:, 0].tolist())) > 400
    other_seed = period_list_spend(SpendModel(D("5000"), 0.02, 0.04, paths=500, seed=12), DEC,
                                   [(date(2027, 1, 1), date(2027, 3, 31))])
    assert not np.array_equal(short, other_seed)


def test_one_period_least_cost_commit_is_the_newsvendor_quantile():
    # one month, 20 % discount, overage at 1.25 (= list price), full penalty. In list terms Q = K/0.8:
    # cost = 0.8 Q + max(L - Q, 0), least where P(L <= Q) = 0.2 (the discount): K* = 0.8 x q_0.2(L),
    # L = 10000 x (1 + g), g ~ Normal(0.02, 0.10)
    model = SpendModel(D("10000"), 0.02, 0.10, paths=20_000, seed=3)
    step = D("40")
    grid = [D(6000) + step * i for i in range(76)]  # 6000 .. 9000
    offers = [Offer(f"K{k}", "V", (per("2027-01-01", "2027-01-31", str(k), discount_pct=20.0,
                                       overage_multiplier=1.25),)) for k in grid]
    res = simulate_offers(offers, model, DEC)
    best = min(range(len(grid)), key=lambda i: (res.offers[i].expected_cost, grid[i]))
    analytic = 0.8 * 10000 * (1 + 0.02 + 0.10 * NormalDist().inv_cdf(0.2))  # 7482.6
    assert 6000 < analytic < 9000
    assert abs(float(grid[best]) - analytic) <= float(step)
    # and it is a real optimum: both ends of the grid cost more
    assert res.offers[best].expected_cost < min(res.offers[0].expected_cost, res.offers[-1].expected_cost)


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=object)


BASE = {"offer": "A", "contract_id": "OAI-R", "vendor": "OpenAI", "period_start": "2027-01-01",
        "period_end": "2027-03-31", "commitment": "6000", "currency": "usd", "discount_pct": "20"}


def test_offer_file_rows_become_offers_through_the_validation_layer():
    rows = _frame([
        {**BASE, "fulfilment": "Period", "rollover_cap": "2,000", "notice_days": "90"},
        {**BASE, "period_start": "2027-04-01", "period_end": "2027-06-30", "shortfall_treatment": "credit"},
        {**BASE, "offer": "B", "vendor": "openai", "period_end": "2027-06-30", "commitment": "12000"},
    ])
    a, b = offers_from_rows(rows, file="offers.csv")
    assert (a.name, a.currency, a.fulfilment, a.shortfall_treatment) == ("A", "USD", "period", "credit")
    assert a.rollover_cap == D("2000") and a.notice_days == 90 and a.notice_deadline == date(2027, 4, 1)
    assert [p.start for p in a.periods] == [date(2027, 1, 1), date(2027, 4, 1)]
    assert a.periods[0].discount_pct == 20.0 and a.periods[0].shortfall_penalty_pct == 100.0
    assert b.rollover_expiry_periods == 1 and b.rollover_cap is None
    assert [o.name for o in offers_from_rows(rows, vendor="OPENAI")] == ["A", "B"]
    with pytest.raises(InputError, match="no offer of vendor"):
        offers_from_rows(rows, vendor="Anthropic")


@pytest.mark.parametrize("change, column, message", [
    ({"fulfilment": "monthly"}, "fulfilment", "fulfilment must be one of period, term"),
    ({"shortfall_treatment": "refund"}, "shortfall_treatment", "shortfall_treatment must be one of"),
    ({"rollover_expiry_periods": "1.5"}, "rollover_expiry_periods", "whole number of at least 1"),
    ({"rollover_cap": "-1"}, "rollover_cap", "rollover cap cannot be negative"),
    ({"discount_pct": "120"}, "discount_pct", "discount_pct must be between 0 and 100"),
    ({"commitment": ""}, "commitment", "required value is empty"),
])
def test_offer_file_errors_name_row_and_column(change, column, message):
    rows = _frame([BASE, {**BASE, "period_start": "2027-04-01", "period_end": "2027-06-30", **change}])
    with pytest.raises(InputError, match=message) as exc:
        offers_from_rows(rows, file="offers.csv")
    assert (exc.value.row, exc.value.column) == (3, column)


def test_offer_terms_must_agree_and_periods_must_not_overlap():
    with pytest.raises(InputError, match="fulfilment differs"):
        offers_from_rows(_frame([{**BASE, "fulfilment": "term"},
                                 {**BASE, "period_start": "2027-04-01", "period_end": "2027-06-30",
                                  "fulfilment": "period"}]))
    with pytest.raises(InputError, match="overlap"):
        offers_from_rows(_frame([BASE, {**BASE, "period_start": "2027-03-01", "period_end": "2027-06-30"}]))


@pytest.mark.parametrize("column, good, bad", [
    ("rollover_expiry_periods", "1", "0"), ("notice_days", "0", "-1"), ("notice_days", "30", "30.5"),
    ("rollover_cap", "0", "-0.01"), ("fulfilment", "TERM", "yearly"), ("shortfall_treatment", "Credit", "x"),
])
def test_offer_rule_boundaries(column, good, bad):
    from desktop.domain.validation import check_row

    assert check_row("offers", column, good) is None
    assert check_row("offers", column, bad) is not None
    assert check_row("offers", column, "") is None  # blank: the default
