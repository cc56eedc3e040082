"""Pacing, bands, forecast and exposure with hand-computed expectations (docs/domain.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from desktop.domain import tables
from desktop.domain.contracts import (
    ExposureIn,
    assign_contracts,
    band_for,
    contract_results,
    escalation_target,
    exposure,
    overlap_warnings,
    required_run_rate,
    run_rate,
    smoothed_run_rate,
    validate_commitments,
)
from desktop.domain.daily import Daily
from desktop.domain.errors import InputError
from desktop.domain.money import to_micros
from desktop.domain.settings import Settings

# --- frame builders (also used by the other tests/domain modules) ---

def m(x) -> int:
    """Money in units (int/str/Decimal) -> int micros."""
    return to_micros(Decimal(str(x)))


def D(x) -> Decimal:
    return Decimal(str(x))


def frame(kind: str, rows: list[dict], money: tuple[str, ...] = (), file: str = "") -> pd.DataFrame:
    data = [dict(r) for r in rows]
    for r in data:
        for k in money:
            if k in r and r[k] is not None:
                r[k] = m(r[k])
    df = pd.DataFrame(data)
    if file:
        df["_file"] = file
    if df.empty:
        return tables.empty(kind)
    return tables.conform(df, kind)


def commitments(rows: list[dict], file: str = "contracts.csv") -> pd.DataFrame:
    return frame("commitments", rows, ("commitment",), file)


def usage(rows: list[dict], file: str = "usage.csv") -> pd.DataFrame:
    return frame("usage", rows, ("cost",), file)


def daily_usage(vendor: str, start: str, end: str, cost, **extra) -> list[dict]:
    return [dict(date=d, vendor=vendor, cost=cost, **extra)
            for d in pd.date_range(start, end, freq="D")]


def with_contracts(u: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    u = u.copy()
    u["_contract"] = assign_contracts(u, c)
    return u


JAN = dict(contract_id="C1", vendor="OpenAI", period_start="2026-01-01", period_end="2026-01-31")


def _one(c, u, as_of):
    (res,) = contract_results(with_contracts(u, c), c, as_of)
    return res


def test_pacing_forecast_and_exposure_of_one_period():
    c = commitments([dict(JAN, commitment=31000, owner="Ana", escalation_owner="CFO")])
    u = usage(daily_usage("openai", "2026-01-01", "2026-01-10", 800))
    r = _one(c, u, date(2026, 1, 10))
    p = r.periods[0]
    # days 31, elapsed 10; expected = 31000 x 10/31 = 10000.00; consumed 10 x 800 = 8000
    assert (p.days, p.elapsed_days, p.status) == (31, 10, "current")
    assert p.expected == D("10000.00") and p.consumed == D("8000.00")
    assert p.pacing_ratio == pytest.approx(0.80)
    # r = 0.80 exactly -> shortfall_watch (0.80 <= r < 0.90), escalates to the owner
    assert r.band == "shortfall_watch" and r.escalation_to == "Ana"
    # only 10 term days on or before T -> run rate = 8000 / 10 = 800.00
    assert r.run_rate == D("800.00")
    # projected = 8000 + 800 x (31 - 10) = 24800; shortfall 31000 - 24800 = 6200; last period:
    # no carry; penalty 100% -> 6200
    assert p.projected == D("24800.00")
    assert (p.shortfall, p.carry_out, p.shortfall_penalty, p.overage) == (
        D("6200.00"), D("0.00"), D("6200.00"), D("0.00"))
    assert r.shortfall_exposure == D("6200.00") and r.projected_consumption == D("24800.00")
    # required = (31000 - 8000) / 21 = 1095.238.. -> 1095.24
    assert r.required_run_rate == D("1095.24") and r.days_left == 21
    # smoothing of a flat 800 series stays 800
    assert r.smoothed_run_rate == D("800.00")
    assert (r.term_start, r.term_end, r.commitment) == (date(2026, 1, 1), date(2026, 1, 31), D("31000.00"))


def test_run_rate_uses_last_14_days_with_zero_days():
    # term from Jan 1; T = Jan 31; spend 1400 on Jan 20 only, 700 on Jan 17 (outside T-13..T)
    d = Daily(pd.to_datetime(["2026-01-17", "2026-01-20"]).to_numpy(), [700_000_000, 1_400_000_000])
    # T-13..T = Jan 18..Jan 31 -> 1400 / 14 = 100.00
    assert run_rate(d, date(2026, 1, 1), date(2026, 1, 31)) == D("100.00")
    # T = Jan 5: fewer than 14 term days (5) -> spend Jan 1..5 / 5 = 0
    assert run_rate(d, date(2026, 1, 1), date(2026, 1, 5)) == D("0.00")
    # T = Jan 17: 17 term days -> window Jan 4..17 -> 700 / 14 = 50.00
    assert run_rate(d, date(2026, 1, 1), date(2026, 1, 17)) == D("50.00")
    # term from Jan 17, T = Jan 20 -> 4 term days (Jan 17..20): (700 + 1400) / 4 = 525.00
    assert run_rate(d, date(2026, 1, 17), date(2026, 1, 20)) == D("525.00")
    # T before the term start -> 0.00
    assert run_rate(d, date(2026, 2, 1), date(2026, 1, 20)) == D("0.00")


def test_required_run_rate_edges():
    assert required_run_rate(D("1000"), D("400"), 0) is None  # no day left -> null
    assert required_run_rate(D("1000"), D("400"), 3) == D("200.00")
    assert required_run_rate(D("1000"), D("1200"), 3) == D("0.00")  # already met
    assert required_run_rate(D("100"), D("0"), 3) == D("33.33")


def test_required_run_rate_null_at_term_end():
    c = commitments([dict(JAN, commitment=3100)])
    u = usage(daily_usage("OpenAI", "2026-01-01", "2026-01-31", 100))
    r = _one(c, u, date(2026, 1, 31))
    assert r.required_run_rate is None and r.days_left == 0
    p = r.periods[0]
    # ended period: projected = consumed = 3100 = C -> no shortfall, no overage; ratio 1.0 but
    # an ended term has no live band: its outcome is "met"
    assert p.status == "ended" and p.projected == D("3100.00") and r.pacing_ratio == 1.0
    assert (r.band, r.outcome, r.outcome_text) == (None, "ended_met", "ended: met")
    assert (p.band, p.outcome, p.outcome_text) == (None, "ended_met", "ended: met")
    assert r.escalation_to is None
    assert (r.shortfall_exposure, r.overage) == (D("0.00"), D("0.00"))


def test_ended_contract_shows_its_shortfall_owed_not_a_pacing_band():
    # Two half-year periods of 100,000.00, no rollover, penalty 100 %, overage x1.1.
    # H1 consumed 72,096.62 -> shortfall 100,000 - 72,096.62 = 27,903.38, all of it owed.
    # H2 consumed 120,000.00 -> overage 20,000.00, premium 20,000 x 0.1 = 2,000.00.
    # Whole term: 192,096.62 / 200,000.00 = 0.9605 -> a pacing band would say "on_pace".
    terms = dict(contract_id="ENDED", vendor="OpenAI", commitment=100000, overage_multiplier=1.1,
                 owner="Ana", escalation_owner="CFO")
    c = commitments([dict(terms, period_start="2026-01-01", period_end="2026-06-30"),
                     dict(terms, period_start="2026-07-01", period_end="2026-12-31")])
    u = usage([dict(date="2026-03-02", vendor="OpenAI", cost="72096.62"),
               dict(date="2026-09-01", vendor="OpenAI", cost="120000.00")])
    r = _one(c, u, date(2027, 1, 15))
    assert band_for(r.consumed_to_date, r.expected_to_date) == "on_pace"  # what it showed before
    h1, h2 = r.periods
    assert (h1.shortfall, h1.shortfall_penalty) == (D("27903.38"), D("27903.38"))
    assert (h1.band, h1.outcome, h1.outcome_text) == (
        None, "ended_shortfall", "ended: shortfall 27,903.38 owed")
    assert (h2.band, h2.outcome, h2.outcome_text) == (
        None, "ended_overage", "ended: overage 20,000.00, premium 2,000.00")
    assert (r.band, r.escalation_to, r.outcome) == (None, None, "ended_shortfall")
    assert r.outcome_text == "ended: shortfall 27,903.38 owed; overage 20,000.00, premium 2,000.00"
    # while H2 runs, the contract has a live band and no outcome; H1 already has its outcome
    live = _one(c, u, date(2026, 9, 30))
    assert live.band is not None and live.outcome is None and live.outcome_text is None
    assert live.periods[0].outcome_text == "ended: shortfall 27,903.38 owed"
    assert live.periods[1].outcome is None and live.periods[1].band is not None


def test_smoothing_by_hand():
    # x = 100, 0, 200 ; alpha 0.5: l1 = 100, l2 = 50, l3 = 0.5 x 200 + 0.5 x 50 = 125
    d = Daily(pd.to_datetime(["2026-01-01", "2026-01-03"]).to_numpy(), [100_000_000, 200_000_000])
    assert smoothed_run_rate(d, date(2026, 1, 1), date(2026, 1, 3), 0.5) == D("125.00")
    # alpha 0.3: l2 = 70, l3 = 60 + 49 = 109
    assert smoothed_run_rate(d, date(2026, 1, 1), date(2026, 1, 3), 0.3) == D("109.00")
    assert smoothed_run_rate(d, date(2026, 1, 5), date(2026, 1, 3), 0.3) is None


@pytest.mark.parametrize("consumed,band", [
    ("79.99", "shortfall_risk"), ("80.00", "shortfall_watch"), ("89.99", "shortfall_watch"),
    ("90.00", "on_pace"), ("110.00", "on_pace"), ("110.01", "overage_watch"),
    ("120.00", "overage_watch"), ("120.01", "overage_risk"), ("0", "shortfall_risk"),
])
def test_band_boundaries(consumed, band):
    assert band_for(D(consumed), D("100.00")) == band


def test_band_null_ratio_and_custom_thresholds():
    assert band_for(D("5"), D("0")) is None
    s = Settings(band_shortfall_risk_below=0.5)
    assert band_for(D("60"), D("100"), s) == "shortfall_watch"


@pytest.mark.parametrize("cost,band", [(80, "shortfall_watch"), (90, "on_pace"), (110, "on_pace"),
                                       (120, "overage_watch"), (79, "shortfall_risk"),
                                       (121, "overage_risk")])
def test_contract_band_boundaries_through_usage(cost, band):
    # 20-day period, commitment 2000, T = day 10 -> expected 1000; consumed = 10 x cost
    # (a period ending on T has ended: it shows its outcome, not a band)
    c = commitments([dict(contract_id="C1", vendor="OpenAI", period_start="2026-03-01",
                          period_end="2026-03-20", commitment=2000, owner="o", escalation_owner="e")])
    u = usage(daily_usage("OpenAI", "2026-03-01", "2026-03-10", cost))
    r = _one(c, u, date(2026, 3, 10))
    assert r.band == band
    assert r.pacing_ratio == pytest.approx(cost / 100)
    assert r.escalation_to == {"shortfall_watch": "o", "overage_watch": "o", "on_pace": None,
                               "shortfall_risk": "e", "overage_risk": "e"}[band]


def test_escalation_target():
    assert escalation_target("shortfall_risk", "o", "e") == "e"
    assert escalation_target("overage_risk", "o", "e") == "e"
    assert escalation_target("overage_watch", "o", "e") == "o"
    assert escalation_target(None, "o", "e") is None


def test_rollover_carry_across_three_periods_penalty_and_premium():
    # C = 1000 each, rollover 10%, penalty 50%, overage multiplier 1.25; all periods ended
    # P1: consumed 700, C' 1000 -> shortfall 300, carry_out min(300, 100) = 100,
    #     penalty (300 - 100) x 50% = 100
    # P2: C' = 1000 + 100 = 1100, consumed 1050 -> shortfall 50, carry_out min(50, 100) = 50, penalty 0
    # P3: C' = 1050, consumed 1200 -> overage 150, premium 150 x 0.25 = 37.50; last: carry_out 0
    terms = dict(contract_id="R", vendor="Anthropic", commitment=1000, rollover_pct=10,
                 shortfall_penalty_pct=50, overage_multiplier=1.25)
    c = commitments([dict(terms, period_start="2026-01-01", period_end="2026-01-10"),
                     dict(terms, period_start="2026-01-11", period_end="2026-01-20"),
                     dict(terms, period_start="2026-01-21", period_end="2026-01-30")])
    u = usage([dict(date="2026-01-05", vendor="Anthropic", cost=700),
               dict(date="2026-01-15", vendor="Anthropic", cost=1050),
               dict(date="2026-01-25", vendor="Anthropic", cost=1200)])
    r = _one(c, u, date(2026, 1, 30))
    got = [(p.carry_in, p.shortfall, p.carry_out, p.shortfall_penalty, p.overage, p.overage_premium)
           for p in r.periods]
    assert got == [
        (D("0.00"), D("300.00"), D("100.00"), D("100.00"), D("0.00"), D("0.00")),
        (D("100.00"), D("50.00"), D("50.00"), D("0.00"), D("0.00"), D("0.00")),
        (D("50.00"), D("0.00"), D("0.00"), D("0.00"), D("150.00"), D("37.50")),
    ]
    assert r.shortfall_exposure == D("100.00") and r.overage == D("150.00")
    assert r.overage_premium == D("37.50") and r.projected_consumption == D("2950.00")
    # outcomes: P1 leaves 300 - 100 = 200 unabsorbed, 50 % penalty 100 owed; P2's 50 is all
    # carried into P3; P3 ends 150 over at a 37.50 premium; the contract adds them up
    assert [(p.outcome, p.outcome_text) for p in r.periods] == [
        ("ended_shortfall", "ended: shortfall 200.00, penalty 100.00 owed"),
        ("ended_carried", "ended: shortfall 50.00 carried to the next period"),
        ("ended_overage", "ended: overage 150.00, premium 37.50")]
    assert (r.outcome, r.outcome_text) == (
        "ended_shortfall", "ended: shortfall 200.00, penalty 100.00 owed; overage 150.00, premium 37.50")
    assert r.commitment == D("3000.00") and r.consumed_to_date == D("2950.00")


def test_exposure_last_period_keeps_whole_shortfall():
    # last period: shortfall 400, rollover ignored; penalty 25% -> 100
    (e,) = exposure([ExposureIn(D("1000"), D("600"), 50, 25, 1.0)])
    assert (e.shortfall, e.carry_out, e.shortfall_penalty) == (D("400.00"), D("0.00"), D("100.00"))
    # rollover capped by rollover_pct x C: shortfall 400, cap 20% x 1000 = 200
    e1, e2 = exposure([ExposureIn(D("1000"), D("600"), 20, 100, 1.0),
                       ExposureIn(D("1000"), D("1300"), 0, 100, 1.5)])
    assert (e1.carry_out, e1.shortfall_penalty) == (D("200.00"), D("200.00"))
    # P2: C' = 1200, projected 1300 -> overage 100, premium 100 x 0.5 = 50
    assert (e2.carry_in, e2.overage, e2.overage_premium, e2.shortfall) == (
        D("200.00"), D("100.00"), D("50.00"), D("0.00"))


def test_future_period_projection_uses_run_rate():
    # two periods; T in the first. Usage 100/day Jan 1..20 (20 term days -> window Jan 7..20)
    terms = dict(contract_id="Q", vendor="OpenAI", commitment=5000, overage_multiplier=1.1)
    c = commitments([dict(terms, period_start="2026-01-01", period_end="2026-01-31"),
                     dict(terms, period_start="2026-02-01", period_end="2026-02-28")])
    u = usage(daily_usage("OpenAI", "2026-01-01", "2026-01-20", 100))
    r = _one(c, u, date(2026, 1, 20))
    p1, p2 = r.periods
    assert r.run_rate == D("100.00")
    # P1 current: 2000 + 100 x 11 = 3100 ; P2 future: 100 x 28 = 2800
    assert (p1.status, p1.projected, p2.status, p2.projected) == ("current", D("3100.00"),
                                                                   "future", D("2800.00"))
    # P2 expected 0 (nothing elapsed) -> pacing_ratio null, band null
    assert p2.expected == D("0.00") and p2.pacing_ratio is None and p2.band is None
    # contract ratio from sums: consumed 2000 / expected 5000 x 20/31 = 3225.81 -> 0.62 -> risk
    assert p1.expected == D("3225.81") and r.expected_to_date == D("3225.81")
    assert r.band == "shortfall_risk"
    # shortfalls: 1900 then 2200, penalty 100% (no rollover)
    assert r.shortfall_exposure == D("4100.00")
    # required = (10000 - 2000) / (59 - 20 = 39 days) = 205.128 -> 205.13
    assert r.days_left == 39 and r.required_run_rate == D("205.13")


def test_future_contract_has_null_ratio_and_band():
    c = commitments([dict(JAN, commitment=100)])
    r = _one(c, usage([]), date(2025, 12, 1))
    assert r.pacing_ratio is None and r.band is None and r.escalation_to is None
    assert r.run_rate == D("0.00") and r.smoothed_run_rate is None
    assert r.days_left == 31 and r.required_run_rate == D("3.23")


def test_assignment_by_vendor_period_contract_id_and_eligibility():
    c = commitments([
        dict(contract_id="A", vendor="OpenAI", period_start="2026-01-01", period_end="2026-01-31",
             commitment=10),
        dict(contract_id="B", vendor="OpenAI", period_start="2026-02-01", period_end="2026-02-28",
             commitment=10),
        dict(contract_id="Z", vendor="Anthropic", period_start="2026-01-01", period_end="2026-12-31",
             commitment=10),
    ])
    u = usage([
        dict(date="2026-01-05", vendor="OpenAI, L.L.C.", cost=1),  # A by vendor alias + date
        dict(date="2026-02-05", vendor="openai", cost=1),  # B
        dict(date="2026-03-05", vendor="openai", cost=1),  # no period -> none
        dict(date="2026-01-05", vendor="openai", cost=1, contract_id="Z"),  # named
        dict(date="2026-01-05", vendor="openai", cost=1, commit_eligible=False),  # not eligible
        dict(date="2026-01-05", vendor="Mistral", cost=1),  # no contract
        dict(date="2026-01-05", vendor="openai", cost=1, contract_id="NOPE"),  # unknown contract
    ])
    got = assign_contracts(u, c).tolist()
    assert got == ["A", "B", pd.NA, "Z", pd.NA, pd.NA, pd.NA]


def test_vendor_aliases_match_like_every_other_figure():
    # usage_index.match_key is the one vendor comparison: an alias ("Azure OpenAI Service",
    # "OpenAI API") draws down the contract of the canonical vendor, as budgets and invoices see it
    c = commitments([
        dict(contract_id="AZ", vendor="Azure OpenAI", period_start="2026-01-01", period_end="2026-12-31",
             commitment=10),
        dict(contract_id="OA", vendor="OpenAI", period_start="2026-01-01", period_end="2026-12-31",
             commitment=10),
    ])
    u = usage([dict(date="2026-01-05", vendor="Azure OpenAI", cost=1)])
    # the canonical frame holds normalised vendors; an edited or hand-made frame may not
    u["vendor"] = pd.Series(["Microsoft Azure OpenAI"], dtype="string")
    u = pd.concat([u, u.assign(vendor=pd.Series(["OpenAI API"], dtype="string"))], ignore_index=True)
    assert assign_contracts(u, c).tolist() == ["AZ", "OA"]


def test_a_row_fitting_two_contracts_draws_down_the_newer_one():
    c = commitments([
        dict(contract_id="A", vendor="OpenAI", period_start="2026-01-01", period_end="2026-01-31",
             commitment=10),
        dict(contract_id="B", vendor="OpenAI", period_start="2026-01-15", period_end="2026-02-28",
             commitment=10),
    ])
    u = usage([dict(date="2026-01-05", vendor="OpenAI", cost=1),
               dict(date="2026-01-20", vendor="OpenAI", cost=2),
               dict(date="2026-01-21", vendor="OpenAI", cost=4, contract_id="A")], file="jan.csv")
    got = assign_contracts(u, c)
    # was: InputError "fits two contracts"; B starts later: it takes the overlap unless a row names A
    assert got.tolist() == ["A", "B", "A"]
    u = u.assign(_contract=got)
    assert overlap_warnings(u, c) == [
        "contracts A and B of OpenAI overlap on 2026-01-15..2026-01-31 (17 days): usage without contract_id "
        "in those days draws down the newer contract B (1 row, USD 2.00); give a row contract_id A to draw down A"]


def test_overlapping_periods_and_reversed_period_are_input_errors():
    over = commitments([
        dict(contract_id="A", vendor="OpenAI", period_start="2026-01-01", period_end="2026-01-31",
             commitment=10),
        dict(contract_id="A", vendor="OpenAI", period_start="2026-01-31", period_end="2026-02-28",
             commitment=10),
    ], file="c.csv")
    with pytest.raises(InputError) as ei:
        validate_commitments(over)
    assert (ei.value.file, ei.value.row, ei.value.column) == ("c.csv", 3, "period_start")
    assert "row 2" in ei.value.message
    rev = commitments([dict(contract_id="A", vendor="OpenAI", period_start="2026-02-01",
                            period_end="2026-01-31", commitment=10)], file="c.csv")
    with pytest.raises(InputError) as ei:
        validate_commitments(rev)
    assert (ei.value.row, ei.value.column) == (2, "period_end")
    # adjacent periods are fine
    validate_commitments(commitments([
        dict(contract_id="A", vendor="OpenAI", period_start="2026-01-01", period_end="2026-01-31",
             commitment=10),
        dict(contract_id="A", vendor="OpenAI", period_start="2026-02-01", period_end="2026-02-28",
             commitment=10),
    ]))


def test_rounding_periods_then_sum():
    # commitment 100.005 over 3 days, T = day 1: expected = 33.335 -> 33.34 (half-up)
    c = commitments([dict(contract_id="X", vendor="OpenAI", period_start="2026-01-01",
                          period_end="2026-01-03", commitment=Decimal("100.005"))])
    u = usage([dict(date="2026-01-01", vendor="OpenAI", cost=Decimal("0.005"))])
    r = _one(c, u, date(2026, 1, 1))
    p = r.periods[0]
    assert p.commitment == D("100.01") and p.expected == D("33.34") and p.consumed == D("0.01")
