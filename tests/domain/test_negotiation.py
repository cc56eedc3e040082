"""The negotiation result (desktop/domain/negotiation.py, docs/domain.md "Negotiation"): frontier,
recommendation, break-even growth, priced asks and the walk-away, each computed by hand on
deterministic futures (growth sd 0: every path is the one path)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from desktop.domain import forecast as fc
from desktop.domain.analysis import build_analysis
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.negotiation import (
    _ask_variants,
    break_even_growth,
    build_negotiation,
    model_family,
    three_significant,
    to_json,
    with_level,
)
from desktop.domain.offers import Offer, OfferPeriod, SpendModel, simulate_offers
from desktop.domain.settings import Settings
from tests.domain.test_contracts import commitments, frame, usage

DEC = date(2026, 12, 15)


def per(start: str, end: str, commitment: str, **kw) -> OfferPeriod:
    return OfferPeriod(date.fromisoformat(start), date.fromisoformat(end), D(commitment), **kw)


TERMS = dict(discount_pct=20.0, overage_multiplier=1.25)
QUARTERLY = Offer("quarterly", "OpenAI", (per("2027-01-01", "2027-03-31", "6000", **TERMS),
                                          per("2027-04-01", "2027-06-30", "6000", **TERMS)))
ANNUAL = Offer("annual", "OpenAI", (per("2027-01-01", "2027-06-30", "12000", **TERMS),))
# baseline 16000 in December, halving: Jan 8000 .. Jun 250: list Q1 14000, Q2 1750; discounted 11200, 1400
FALLING = (D("16000"), -0.5, 0.0)


def neg(offers, spend=FALLING, **kw):
    kw.setdefault("paths", 3)
    return build_negotiation(None, offers, vendor="OpenAI", settings=Settings(), as_of=DEC, spend=spend, **kw)


def test_frontier_levels_and_costs_by_hand():
    n = neg([ANNUAL])
    # expected discounted spend 12600: levels 0.5 .. 1.5 x 12600 at three significant digits
    # (6300, 7560, 8820, 10100, 11300, 12600, 13900, 15100, 16400, 17600, 18900) and the offer's own 12000
    pts = [(p.commitment, p.offered) for p in n.frontier]
    assert pts == [(D(k), k == "12000") for k in ("6300", "7560", "8820", "10100", "11300", "12000", "12600",
                                                  "13900", "15100", "16400", "17600", "18900")]
    by = {p.commitment: p for p in n.frontier}
    # K <= S = 12600: overage (12600 - K) x 1.25: cost K + 1.25 (12600 - K); K = 6300 -> 14175
    assert by[D("6300")].expected_cost == D("14175.00") and by[D("6300")].p_shortfall == 0.0
    assert by[D("12000")].expected_cost == D("12750.00")
    # K > S: the whole K is paid (penalty 100 %): 13900
    assert by[D("13900")].expected_cost == D("13900.00") and by[D("13900")].p_shortfall == 1.0
    assert by[D("12600")].expected_cost == D("12600.00") and by[D("12600")].p_shortfall == 0.0
    assert by[D("12600")].savings_vs_list == D("3150.00")  # list 15750
    assert {p.discount_pct for p in n.frontier} == {20.0}
    # recommended: least cost with P(shortfall) <= 10 %: K = 12600 (every K above it falls short)
    (rec,) = n.recommended
    assert (rec.commitment, rec.expected_cost, rec.p_shortfall, rec.best) == (D("12600.00"), D("12600.00"), 0.0, True)


def test_a_tier_table_gives_the_levels_and_their_discounts():
    n = neg([ANNUAL], tiers=[(D("10000"), 15.0), (D("12000"), 20.0), (D("14000"), 25.0)])
    # the three tiers and the offer's own level (12000 at its 20 %), in commitment order
    assert [(p.commitment, p.discount_pct, p.offered) for p in n.frontier] == [
        (D("10000.00"), 15.0, False), (D("12000.00"), 20.0, True), (D("12000.00"), 20.0, False),
        (D("14000.00"), 25.0, False)]
    pts = {(p.commitment, p.discount_pct): p for p in n.frontier}
    # 25 % off 15750 = 11812.50 < 14000: the whole 14000 is paid
    assert pts[(D("14000.00"), 25.0)].expected_cost == D("14000.00")
    # 15 % off: S 13387.50, overage 3387.50 x 1.25 = 4234.375 -> 14234.38
    assert pts[(D("10000.00"), 15.0)].expected_cost == D("14234.38")
    assert [p.commitment for p in n.frontier].count(D("12000.00")) == 2  # the tier and the offer's own


def test_the_limit_setting_moves_the_recommendation():
    strict = build_negotiation(None, [ANNUAL], vendor="OpenAI", settings=Settings(renewal_shortfall_limit_pct=0.0),
                               as_of=DEC, spend=FALLING, paths=1)
    assert strict.recommended[0].commitment == D("12600.00")
    # a limit of 100 % admits every level: the least cost over all is K = 12600 too (cost = K above it)
    loose = build_negotiation(None, [ANNUAL], vendor="OpenAI", settings=Settings(renewal_shortfall_limit_pct=100.0),
                              as_of=DEC, spend=FALLING, paths=1)
    assert loose.recommended[0].expected_cost == D("12600.00")
    # nothing qualifies when every level falls short: spend 0
    none = build_negotiation(None, [ANNUAL], vendor="OpenAI", settings=Settings(), as_of=DEC,
                             spend=(D(0), 0.0, 0.0), paths=1)
    assert none.recommended[0].commitment is None and "no commit level" in none.notes[0]


def test_with_level_keeps_the_shape_and_adds_up():
    ramp = Offer("r", "V", (per("2027-01-01", "2027-03-31", "100"), per("2027-04-01", "2027-06-30", "200")))
    scaled = with_level(ramp, D("1000"), 10.0)
    # 1000 x 100/300 = 333.333 -> 333.33; the last period takes the rest: 666.67
    assert [p.commitment for p in scaled.periods] == [D("333.33"), D("666.67")]
    assert {p.discount_pct for p in scaled.periods} == {10.0}
    nothing = Offer("n", "V", (per("2027-01-01", "2027-01-31", "0"), per("2027-02-01", "2027-02-28", "0")))
    # no commitment to shape by: by days, 31 : 28
    assert [p.commitment for p in with_level(nothing, D("59")).periods] == [D("31.00"), D("28.00")]
    assert three_significant(D("1337520.64")) == D("1340000.00") and three_significant(D("7555")) == D("7560.00")


def test_break_even_growth_by_hand():
    # one month (January), baseline 1000 in December, minimum 1100 at 20 % off, penalty 100 %:
    # while 0.8 L <= 1100 the cost is 1100, so the offer beats list once L = 1000 (1 + g) >= 1100: g = 10 %
    jan = Offer("jan", "V", (per("2027-01-01", "2027-01-31", "1100", discount_pct=20.0),))
    be = break_even_growth(jan, D(1000), 0.2, 0.0, 1, 1, DEC)
    assert (be.growth, be.status) == (0.1, "found")
    # at an expected growth of 5 % it does not beat list at all; with no minimum it always does
    assert break_even_growth(jan, D(1000), 0.05, 0.0, 1, 1, DEC).status == "loses"
    free = Offer("free", "V", (per("2027-01-01", "2027-01-31", "0", discount_pct=20.0),))
    assert break_even_growth(free, D(1000), 0.05, 0.0, 1, 1, DEC).status == "always"
    # two months: L = 1000 (1+g) + 1000 (1+g)^2 >= 2310 at g = 10 % exactly (1100 + 1210)
    two = Offer("two", "V", (per("2027-01-01", "2027-02-28", "2310", discount_pct=20.0),))
    assert break_even_growth(two, D(1000), 0.3, 0.0, 1, 1, DEC).growth == 0.1


def test_break_even_in_the_result_uses_the_given_growth():
    jan = Offer("jan", "OpenAI", (per("2027-01-01", "2027-01-31", "1100", discount_pct=20.0),))
    n = build_negotiation(None, [jan], vendor="OpenAI", settings=Settings(), as_of=DEC,
                          spend=(D(1000), 0.2, 0.0), paths=2)
    assert [(b.offer, b.growth, b.status) for b in n.break_even] == [("jan", 0.1, "found")]
    assert to_json(n)["offers"][0]["break_even_growth"] == 0.1


def test_priced_asks_by_hand_and_ranked_by_money():
    n = neg([QUARTERLY, ANNUAL], selected="quarterly")
    asks = {a.ask: a for a in n.asks}
    # the quarterly offer costs 18500 (Q1 11200 + premium 1300, Q2 the whole 6000)
    assert n.offers.offers[0].expected_cost == D("18500.00")
    # annual minimums: the annual offer's 12750
    assert asks["annual_minimums"].delta_cost == D("-5750.00")
    # overage at 1.0: Q1 premium 1300 goes
    assert asks["overage_at_list"].delta_cost == D("-1300.00")
    # 22 % off: Q1 S 10920, overage 4920 x 0.25 = 1230 -> 12150; Q2 6000: 18150
    assert asks["discount_plus_2"].delta_cost == D("-350.00")
    # rollover 0 -> 10 %: Q1 has no shortfall, Q2 is the last period: nothing changes
    assert asks["rollover_plus_10"].delta_cost == D("0.00")
    # credit: Q2's missed 4600 paid in full, as the 100 % penalty did
    assert asks["shortfall_credit"].delta_cost == D("0.00")
    # flatter: Q1 90 days, Q2 91 of 181: flat 5966.85 / 6033.15, halfway 5983.43 / 6016.57.
    # Q1 overage 5216.57 x 0.25 = 1304.1425 -> 12504.14; Q2 the whole 6016.57: 18520.71
    assert asks["flatter_ramp"].expected_cost == D("18520.71") and asks["flatter_ramp"].delta_cost == D("20.71")
    assert asks["other_vendor_counts"].applicable is False  # no usage data: no other vendor
    assert [a.ask for a in n.asks] == ["annual_minimums", "overage_at_list", "discount_plus_2", "rollover_plus_10",
                                       "shortfall_credit", "flatter_ramp", "other_vendor_counts"]
    assert [a.rank for a in n.asks] == [1, 2, 3, 4, 5, 6, None]
    assert asks["annual_minimums"].delta_p_shortfall == -1.0  # the quarterly Q2 shortfall goes


def test_another_vendors_spend_lowers_the_minimums_it_counts_toward():
    (ask,) = [v for k, v, _ in _ask_variants(QUARTERLY, ("Azure", [D("1000"), D("500")])) if k == "other_vendor_counts"]
    assert [p.commitment for p in ask.periods] == [D("5000"), D("5500")]
    r = simulate_offers([ask], SpendModel(*FALLING, paths=1), DEC).offers[0]
    # Q1 overage 6200 x 0.25 = 1550 -> 12750; Q2 the whole 5500: 18250
    assert r.expected_cost == D("18250.00")


def test_asks_that_do_not_apply_say_why():
    n = neg([ANNUAL])
    asks = {a.ask: a for a in n.asks}
    assert not asks["rollover_plus_10"].applicable and "nothing rolls over" in asks["rollover_plus_10"].detail
    assert not asks["annual_minimums"].applicable and not asks["flatter_ramp"].applicable
    assert asks["overage_at_list"].applicable and asks["overage_at_list"].delta_cost == D("-150.00")


def test_forecast_of_the_growth_model_by_hand():
    n = neg([ANNUAL], paths=2)
    f = n.forecast
    assert f.source == "growth" and f.wape is None
    # December 16000, then halving to June 250
    assert [(m.month, m.mean, m.p10, m.p90) for m in f.months[:3]] == [
        (date(2026, 12, 1), D("16000.00"), D("16000.00"), D("16000.00")),
        (date(2027, 1, 1), D("8000.00"), D("8000.00"), D("8000.00")),
        (date(2027, 2, 1), D("4000.00"), D("4000.00"), D("4000.00"))]
    assert len(f.months) == 7


def test_offers_must_be_the_vendors_and_named_once():
    with pytest.raises(InputError, match="not Anthropic's"):
        build_negotiation(None, [ANNUAL], vendor="Anthropic", settings=Settings(), as_of=DEC, spend=FALLING)
    with pytest.raises(InputError, match="same name"):
        neg([ANNUAL, ANNUAL])
    with pytest.raises(InputError, match="baseline"):
        build_negotiation(None, [ANNUAL], vendor="OpenAI", settings=Settings(), as_of=DEC)


# --- with data: the fitted forecast and the walk-away ------------------------------------------------

RATES = frame("rate_card", [dict(unit="1M tokens", **r) for r in [
    dict(vendor="OpenAI", model="gpt-4o", token_kind="input", contracted_price=2.00, list_price=2.50),
    dict(vendor="OpenAI", model="gpt-4o-mini", token_kind="input", contracted_price=0.15, list_price=0.20),
    dict(vendor="Azure OpenAI", model="gpt-4o", token_kind="input", contracted_price=1.80, list_price=2.50),
    dict(vendor="Anthropic", model="claude-sonnet-4", token_kind="input", contracted_price=3.00),
]], (), "rates.csv")


def _history():
    # OpenAI: gpt-4o input, 1M tokens a day at 2.50 from 1 Jan to 31 Aug 2026 (the last 90 days
    # of 31 Aug: 3 Jun .. 31 Aug = 90M tokens, 225.00); Anthropic 1.00 a day
    rows = []
    for d in (date(2026, 1, 1) + (date(2026, 1, 2) - date(2026, 1, 1)) * i for i in range(243)):
        rows.append(dict(date=d.isoformat(), vendor="OpenAI", model="gpt-4o-2024-08-06", meter="input",
                         token_kind="input", quantity=1_000_000, unit="tokens", cost=2.50))
        rows.append(dict(date=d.isoformat(), vendor="Anthropic", model="claude-sonnet-4", meter="input",
                         token_kind="input", quantity=100_000, unit="tokens", cost=1.00))
    return usage(rows)


def _analysis():
    c = commitments([dict(contract_id="OA-1", vendor="OpenAI", period_start="2026-01-01", period_end="2026-12-31",
                          commitment=1000)])
    return build_analysis(Inputs(commitments=c, usage=_history(), rate_card=RATES), as_of=date(2026, 8, 31))


def test_walk_away_prices_the_last_90_days_at_the_alternatives_rates():
    a = _analysis()
    sept = Offer("sept", "OpenAI", (per("2026-09-01", "2026-12-31", "500"),))
    n = build_negotiation(a, [sept], vendor="openai", settings=Settings(), as_of=date(2026, 8, 31), paths=50)
    assert n.vendor == "OpenAI" and n.batna_window == (date(2026, 6, 3), date(2026, 8, 31))
    rows = {(b.alternative, b.model): b for b in n.batna}
    az = rows[("Azure OpenAI", "gpt-4o")]
    # 90M tokens cost 225.00 at OpenAI; Azure's contracted 1.80 per 1M: 162.00
    assert (az.tokens, az.current_cost, az.alternative_cost, az.difference) == (90_000_000, D("225.00"),
                                                                                D("162.00"), D("-63.00"))
    assert az.alternative_model == "gpt-4o" and az.alternative_per_million == "1.80"
    ant = rows[("Anthropic", "gpt-4o")]
    assert ant.alternative_cost is None  # Anthropic prices no gpt-4o
    totals = {t.alternative: t for t in n.batna_totals}
    assert (totals["Anthropic"].unpriced_cost, totals["Anthropic"].groups_priced) == (D("225.00"), 0)
    assert (totals["Azure OpenAI"].difference, totals["Azure OpenAI"].groups) == (D("-63.00"), 1)
    # an equivalence names the family another vendor sells: 90M at 3.00 = 270.00
    eq = build_negotiation(a, [sept], vendor="OpenAI", settings=Settings(), as_of=date(2026, 8, 31), paths=10,
                           equivalents={"gpt-4o": "claude-sonnet-4"})
    assert {b.alternative: b.alternative_cost for b in eq.batna}["Anthropic"] == D("270.00")
    assert model_family("gpt-4o-2024-08-06") == "gpt-4o" and model_family("claude-sonnet-4-20250514") == \
        "claude-sonnet-4"


def test_fitted_forecast_from_the_data_and_the_other_vendors_spend():
    a = _analysis()
    sept = Offer("sept", "OpenAI", (per("2026-09-01", "2026-12-31", "500"),))
    n = build_negotiation(a, [sept], vendor="OpenAI", settings=Settings(), as_of=date(2026, 8, 31), paths=20)
    f = n.forecast
    # 2.50 a day: every month is 2.50 x its days; a flat series is forecast flat with no error
    assert f.source == "fitted" and f.wape == 0.0 and f.residual_sd == 0.0
    assert [m.mean for m in f.months] == [D("77.50"), D("75.00"), D("77.50"), D("75.00"), D("77.50")]
    assert [m for m, _ in f.history][0] == date(2026, 1, 1) and len(f.history) == 8
    # Anthropic (1.00 a day) counts toward the minimum: 30 + 31 + 30 + 31 = 122.00 off the 500
    asks = {x.ask: x for x in n.asks}
    assert "Anthropic's expected spend (122.00)" in asks["other_vendor_counts"].detail
    # spend 305.00 against 500: 500 paid; against 378: 378 paid
    assert n.offers.offers[0].expected_cost == D("500.00")
    assert asks["other_vendor_counts"].expected_cost == D("378.00")


def test_a_model_migration_is_priced_with_the_rate_card():
    a = _analysis()
    sept = Offer("sept", "OpenAI", (per("2026-09-01", "2026-09-30", "0"),))
    mig = fc.ModelMigration(date(2026, 9, 1), "gpt-4o", 50.0, "gpt-4o-mini")
    n = build_negotiation(a, [sept], vendor="OpenAI", settings=Settings(), as_of=date(2026, 8, 31), paths=5,
                          overlays=[mig])
    # gpt-4o is all of OpenAI's spend; half moves to a model at 0.20 / 2.50 of the list price:
    # September 75.00 x (1 - 0.5 x (1 - 0.08)) = 75 x 0.54 = 40.50
    assert n.offers.offers[0].expected_list_spend == D("40.50")
    with pytest.raises(InputError, match="no eligible spend"):
        build_negotiation(a, [sept], vendor="OpenAI", settings=Settings(), as_of=date(2026, 8, 31), paths=5,
                          overlays=[fc.ModelMigration(date(2026, 9, 1), "o3", 50.0, "gpt-4o-mini")])


def test_break_even_on_many_paths_is_where_the_savings_change_sign():
    # quarterly minimums with rollover on noisy spend: at the growth found the offer's savings (as
    # simulate_offers reports them on the same seed) are >= 0 and one grid step lower they are < 0
    offer = Offer("q", "V", tuple(per(s, e, "2500", discount_pct=15.0, rollover_pct=50.0)
                                  for s, e in (("2027-01-01", "2027-03-31"), ("2027-04-01", "2027-06-30"),
                                               ("2027-07-01", "2027-09-30"))))
    be = break_even_growth(offer, D(1000), 0.05, 0.04, 300, 17, DEC)
    assert be.status == "found"

    def savings(g):
        return simulate_offers([offer], SpendModel(D(1000), g, 0.04, paths=300, seed=17), DEC).offers[0].savings_vs_list

    assert savings(be.growth) >= 0 > savings(round(be.growth - 0.0001, 4))


def test_frontier_and_asks_share_the_offers_futures():
    # noisy spend: the frontier point at the offer's own level costs exactly what the offer costs
    # (expected cost, P(shortfall), CVaR), because every variant runs on the same paths (common
    # random numbers); another seed gives other futures
    n = neg([QUARTERLY, ANNUAL], spend=(D("16000"), -0.2, 0.1), paths=400, selected="annual")
    for o in n.offers.offers:
        (own,) = [p for p in n.frontier if p.offer == o.offer and p.offered]
        assert (own.expected_cost, own.p_shortfall, own.cvar95_cost) == (o.expected_cost, o.p_shortfall,
                                                                         o.cvar95_cost)
    other_seed = neg([QUARTERLY, ANNUAL], spend=(D("16000"), -0.2, 0.1), paths=400, seed=99, selected="annual")
    assert other_seed.offers.offers[0].expected_cost != n.offers.offers[0].expected_cost


def test_lower_levels_are_tried_when_no_level_keeps_within_the_limit():
    # quarterly 6000 + 6000 on falling spend (discounted Q1 11200, Q2 1400): every level from 0.5 x
    # 12600 up leaves Q2 short, so 0.4 .. 0.1 x 12600 are added: 5040, 3780 (Q2 still short), 2520
    # (1260 a quarter: Q1 11200 + 9940 x 0.25 = 13685, Q2 1400 + 140 x 0.25 = 1435: 15120) and 1260
    # (Q1 11200 + 10570 x 0.25 = 13842.50, Q2 1400 + 770 x 0.25 = 1592.50: 15435)
    n = neg([QUARTERLY])
    by = {p.commitment: p for p in n.frontier}
    assert [p.commitment for p in n.frontier][:4] == [D("1260.00"), D("2520.00"), D("3780.00"), D("5040.00")]
    assert (by[D("2520.00")].expected_cost, by[D("2520.00")].p_shortfall) == (D("15120.00"), 0.0)
    assert (by[D("1260.00")].expected_cost, by[D("3780.00")].p_shortfall) == (D("15435.00"), 1.0)
    assert (n.recommended[0].commitment, n.recommended[0].expected_cost) == (D("2520.00"), D("15120.00"))
    # an offer with a qualifying level gets no lower ones: the annual offer's frontier starts at 6300
    assert min(p.commitment for p in neg([ANNUAL]).frontier) == D("6300")


def test_walk_away_equivalents_come_from_the_setting_the_analyst_sets():
    from desktop.domain.negotiation import parse_equivalents

    a = _analysis()
    sept = Offer("sept", "OpenAI", (per("2026-09-01", "2026-12-31", "500"),))
    s = Settings().replace(batna_equivalents="gpt-4o = claude-sonnet-4; o3=claude-opus-4")
    n = build_negotiation(a, [sept], vendor="OpenAI", settings=s, as_of=date(2026, 8, 31), paths=10)
    ant = {(b.alternative, b.model): b for b in n.batna}[("Anthropic", "gpt-4o")]
    # 90M gpt-4o tokens at Anthropic's claude-sonnet-4 row, contracted 3.00 per 1M: 270.00 (vs 225.00 now)
    assert (ant.alternative_model, ant.alternative_cost, ant.difference) == ("claude-sonnet-4", D("270.00"),
                                                                              D("45.00"))
    assert parse_equivalents("gpt-4o = claude-sonnet-4; o3=claude-opus-4,") == {
        "gpt-4o": "claude-sonnet-4", "o3": "claude-opus-4"}
    assert parse_equivalents("") == {}
    for bad in ("gpt-4o", "gpt-4o=", "a=b=c"):
        with pytest.raises(InputError, match="family=family"):
            parse_equivalents(bad)
