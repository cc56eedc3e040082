"""Property tests (hypothesis) of the money and exposure invariants."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.domain import tables
from desktop.domain.analysis import build_analysis
from desktop.domain.contracts import ExposureIn, contract_results, exposure
from desktop.domain.inputs import Inputs
from desktop.domain.money import ZERO, cents, from_micros
from tests.domain.test_contracts import commitments, with_contracts

START = date(2026, 1, 1)
VENDORS = ("OpenAI", "Anthropic", "Mistral AI")
TEAMS = ("Search", "Support", None)

COM = commitments([
    dict(contract_id="O", vendor="OpenAI", period_start="2026-01-01", period_end="2026-01-20",
         commitment=500, rollover_pct=20, overage_multiplier=1.3),
    dict(contract_id="O", vendor="OpenAI", period_start="2026-01-21", period_end="2026-02-28",
         commitment=700),
    dict(contract_id="A", vendor="Anthropic", period_start="2026-01-10", period_end="2026-03-31",
         commitment=900),
])
BUD = tables.conform(pd.DataFrame([
    dict(allocation=f"{t} {m}", month=m, budget=1_000_000_000, dimension="team", value=t)
    for t in ("Search", "Support") for m in ("2026-01", "2026-02")]), "budgets")

row = st.fixed_dictionaries({
    "day": st.integers(0, 58),
    "vendor": st.sampled_from(VENDORS),
    "team": st.sampled_from(TEAMS),
    # whole cents (source amounts), including credits
    "cents": st.integers(-5_000, 500_000),
    "eligible": st.booleans(),
})


def _usage_frame(rows, file):
    df = pd.DataFrame({
        "date": [pd.Timestamp(START + timedelta(days=r["day"])) for r in rows],
        "vendor": [r["vendor"] for r in rows],
        "team": [r["team"] for r in rows],
        "cost": [r["cents"] * 10_000 for r in rows],
        "commit_eligible": [r["eligible"] for r in rows],
        "_file": file,
        "_row": list(range(2, len(rows) + 2)),
    })
    return tables.conform(df, "usage")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, min_size=1, max_size=40), split=st.data())
def test_money_totals_equal_source_rows_whatever_the_split(rows, split):
    files = split.draw(st.lists(st.integers(0, 3), min_size=len(rows), max_size=len(rows)))
    as_of = date(2026, 2, 27)
    inputs = Inputs().add("commitments", COM).add("budgets", BUD)
    for f in sorted(set(files)):
        part = [r for r, k in zip(rows, files, strict=True) if k == f]
        inputs = inputs.add("usage", _usage_frame(part, f"usage-{f}.csv"))
    a = build_analysis(inputs, as_of=as_of, renewal=[])
    whole = build_analysis(Inputs().add("commitments", COM).add("budgets", BUD)
                           .add("usage", _usage_frame(rows, "all.csv")), as_of=as_of, renewal=[])

    def expected_sum(pred):
        return sum((Decimal(r["cents"]) / 100 for r in rows if pred(r)), ZERO)

    def day(r):
        return START + timedelta(days=r["day"])

    # contract consumed_to_date = sum of the source rows drawing it down, to the cent
    got = {c.contract_id: c.consumed_to_date for c in a.contracts}
    assert got["O"] == expected_sum(lambda r: r["vendor"] == "OpenAI" and r["eligible"] and day(r) <= as_of)
    assert got["A"] == expected_sum(lambda r: r["vendor"] == "Anthropic" and r["eligible"]
                                    and date(2026, 1, 10) <= day(r) <= as_of)
    # budget actuals per team and month
    for b in a.budgets:
        team, month = b.allocation.split(" ")
        assert b.actual == expected_sum(lambda r, team=team, month=month: r["team"] == team
                                        and day(r).strftime("%Y-%m") == month and day(r) <= as_of)
    # chargeback: every cent of spend up to T is on some line (unallocated included)
    assert sum((ln.amount for ln in a.chargeback), ZERO) == expected_sum(lambda r: day(r) <= as_of)
    # the split does not change a single figure
    assert a.contracts == whole.contracts and a.budgets == whole.budgets


money = st.integers(0, 10**9).map(lambda c: Decimal(c) / 100)
period = st.builds(ExposureIn, commitment=money, projected=money,
                   rollover_pct=st.sampled_from([0.0, 10.0, 25.0, 33.3, 100.0]),
                   shortfall_penalty_pct=st.sampled_from([0.0, 50.0, 100.0]),
                   overage_multiplier=st.sampled_from([1.0, 1.25, 1.5]))


@given(st.lists(period, min_size=1, max_size=6))
def test_shortfall_and_overage_never_both_positive_and_carry_is_capped(periods):
    for p, e in zip(periods, exposure(periods), strict=True):
        assert not (e.shortfall > 0 and e.overage > 0)
        assert e.carry_out <= Decimal(str(p.rollover_pct)) / 100 * p.commitment
        assert e.carry_out <= e.shortfall
        assert e.shortfall_penalty >= 0 and e.overage_premium >= 0


@settings(max_examples=40, deadline=None)
@given(costs=st.lists(st.tuples(st.integers(0, 58), st.integers(0, 10**9)), max_size=40),
       t1=st.integers(-5, 70), dt=st.integers(0, 40))
def test_later_as_of_never_lowers_consumed_to_date(costs, t1, dt):
    u = tables.conform(pd.DataFrame({
        "date": [pd.Timestamp(START + timedelta(days=d)) for d, _ in costs],
        "vendor": ["OpenAI"] * len(costs), "cost": [c for _, c in costs]}), "usage")
    u = with_contracts(u, COM)
    early, late = START + timedelta(days=t1), START + timedelta(days=t1 + dt)
    r1 = {c.contract_id: c for c in contract_results(u, COM, early)}
    r2 = {c.contract_id: c for c in contract_results(u, COM, late)}
    for cid in r1:
        assert r2[cid].consumed_to_date >= r1[cid].consumed_to_date
        for p1, p2 in zip(r1[cid].periods, r2[cid].periods, strict=True):
            assert p2.consumed >= p1.consumed
    # consumed_to_date equals the exact sum of the term's rows up to T, rounded once
    total = cents(from_micros(sum(c for d, c in costs if 0 <= d <= min(58, t1 + dt))))
    assert r2["O"].consumed_to_date == total
