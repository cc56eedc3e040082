"""Editing a commit schedule (desktop/domain/schedule.py; docs/domain.md "Editing the commit
schedule"): split, add, remove, change, new contract; each checked by the validation layer."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.domain import schedule
from desktop.domain.errors import InputError

M = 1_000_000  # micros per currency unit


def annual(start=date(2026, 1, 1), end=date(2026, 12, 31), commitment=120_000 * M):
    return [{"contract_id": "C-1", "vendor": "OpenAI", "period_start": start, "period_end": end,
             "commitment": commitment, "currency": "USD", "discount_pct": 10.0, "overage_multiplier": 1.2,
             "shortfall_penalty_pct": 100.0, "rollover_pct": 0.0, "clause": "4.2", "owner": "Ana",
             "escalation_owner": "Bo", "notes": None}]


def test_split_shares_the_minimum_by_days_and_the_parts_add_up():
    # hand-computed: 90 of 365 days; 120,000.00 x 90 / 365 = 29,589.0410... -> 29,589.04;
    # the rest 90,410.96
    got = schedule.split(annual(), date(2026, 1, 1), date(2026, 4, 1))
    assert [(p["period_start"], p["period_end"], p["commitment"]) for p in got] == [
        (date(2026, 1, 1), date(2026, 3, 31), 29_589_040_000),
        (date(2026, 4, 1), date(2026, 12, 31), 90_410_960_000)]
    assert sum(p["commitment"] for p in got) == 120_000 * M
    assert all(p["discount_pct"] == 10.0 and p["clause"] == "4.2" for p in got)  # terms carried


def test_split_rounds_half_up_to_the_cent():
    # 0.05 over 2 days split after 1 day: 0.025 -> 0.03 and the rest 0.02
    assert schedule.split_commitment(50_000, 1, 2) == (30_000, 20_000)
    # 100.00 over 3 days, 1 day first: 33.333... -> 33.33; 66.67
    assert schedule.split_commitment(100 * M, 1, 3) == (33_330_000, 66_670_000)


@pytest.mark.parametrize("at", [date(2026, 1, 1), date(2027, 1, 1), date(2025, 6, 1)])
def test_split_outside_the_period_is_refused(at):
    with pytest.raises(InputError, match="split on a day after its first day"):
        schedule.split(annual(), date(2026, 1, 1), at)


def test_the_next_period_keeps_whole_months_and_terms():
    nxt = schedule.next_period(annual())
    assert (nxt["period_start"], nxt["period_end"], nxt["commitment"], nxt["owner"]) == (
        date(2027, 1, 1), date(2027, 12, 31), 120_000 * M, "Ana")
    q = schedule.next_period(annual(date(2026, 1, 1), date(2026, 3, 31)))  # a quarter -> the next quarter
    assert (q["period_start"], q["period_end"]) == (date(2026, 4, 1), date(2026, 6, 30))
    odd = schedule.next_period(annual(date(2026, 1, 15), date(2026, 2, 14)))  # 31 days -> 31 days
    assert (odd["period_start"], odd["period_end"]) == (date(2026, 2, 15), date(2026, 3, 17))


def test_adding_an_overlapping_period_is_refused_with_the_validation_message():
    with pytest.raises(InputError, match="overlaps the period 2026-01-01..2026-12-31"):
        schedule.add(annual(), {"period_start": date(2026, 6, 1), "period_end": date(2027, 5, 31),
                                "commitment": 10 * M, "contract_id": "C-1"})


def test_remove_keeps_at_least_one_period():
    two = schedule.add(annual())
    assert [p["period_start"] for p in schedule.remove(two, date(2026, 1, 1))] == [date(2027, 1, 1)]
    with pytest.raises(InputError, match="at least one commit period"):
        schedule.remove(annual(), date(2026, 1, 1))


def test_a_change_of_dates_is_checked():
    with pytest.raises(InputError, match="period_end is before period_start"):
        schedule.change(annual(), date(2026, 1, 1), {"period_end": date(2025, 12, 1)})
    got = schedule.change(annual(), date(2026, 1, 1), {"period_start": date(2026, 2, 1)})
    assert got[0]["period_start"] == date(2026, 2, 1)


def test_a_new_contract_is_read_and_validated():
    got = schedule.new_contract(" ANT-2027 ", "anthropic", "2027-01-01", "2027-12-31", "50,000.00",
                                existing=["C-1"], owner="Ana")
    assert got == [{**{c: None for c in schedule.COLUMNS}, "contract_id": "ANT-2027", "vendor": "Anthropic",
                    "period_start": date(2027, 1, 1), "period_end": date(2027, 12, 31),
                    "commitment": 50_000 * M, "currency": "USD", "discount_pct": 0.0,
                    "overage_multiplier": 1.0, "shortfall_penalty_pct": 100.0, "rollover_pct": 0.0,
                    "owner": "Ana", "commitment_category": "spend", "status": "active"}]  # a spend, active commitment by default
    with pytest.raises(InputError, match="period_end is before period_start"):
        schedule.new_contract("X", "OpenAI", "2027-01-01", "2026-12-31", "10")
    with pytest.raises(InputError, match="a commitment cannot be negative"):
        schedule.new_contract("X", "OpenAI", "2027-01-01", "2027-12-31", "-10")
    with pytest.raises(InputError, match="already exists"):
        schedule.new_contract("c-1", "OpenAI", "2027-01-01", "2027-12-31", "10", existing=["C-1"])
    with pytest.raises(InputError, match="required value is empty"):
        schedule.new_contract("X", "", "2027-01-01", "2027-12-31", "10")
