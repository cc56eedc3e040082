"""ROI, payback, cost per unit and NPV (docs/domain.md "ROI"), checked by hand."""

from decimal import Decimal

import pytest

from desktop.domain.errors import InputError
from desktop.domain.roi import PRESETS, SUPPORT_CHATBOT, npv, roi, time_saved_benefit


def test_seed_example_support_chatbot():
    # 25,000 tickets x 0.05 h x 50/h = 62,500 benefit; cost 35,000; net 27,500
    assert SUPPORT_CHATBOT.benefit == Decimal("62500.00")
    r = SUPPORT_CHATBOT.compute()
    assert r.benefit == Decimal("62500.00")
    assert r.cost == Decimal("35000.00")
    assert r.net_benefit == Decimal("27500.00")
    assert round(r.roi * 100, 2) == 78.57  # 27,500 / 35,000
    assert r.roi == pytest.approx(27500 / 35000)
    assert round(r.payback_months, 2) == 1.82  # 50,000 / 27,500
    assert r.cost_per_unit == Decimal("1.40")  # 35,000 / 25,000 tickets
    assert "Support chatbot" in PRESETS


def test_npv_matches_the_annuity_closed_form():
    # 12 months at 10 %/year: -50,000 + 27,500 x (1 - (1 + i)^-12) / i, i = 0.10 / 12
    i = Decimal("0.10") / 12
    closed = -Decimal(50000) + Decimal(27500) * (1 - (1 + i) ** -12) / i
    r = SUPPORT_CHATBOT.compute()
    assert r.npv == closed.quantize(Decimal("0.01"))
    assert r.npv == Decimal("262798.98")


def test_npv_without_rate_or_investment_is_the_plain_sum():
    r = roi(Decimal(100), Decimal(40), months=3)
    assert r.npv == Decimal("180.00")  # 3 x 60, nothing to discount, no set-up
    assert r.payback_months is None  # no investment given
    assert npv([Decimal(10), Decimal(10)], 0, initial_investment=5) == Decimal("15.00")
    # one month at 12 %/year: 101 / 1.01 = 100
    assert npv([Decimal(101)], Decimal("0.12")) == Decimal("100.00")


def test_no_payback_when_net_not_positive_and_no_roi_without_cost():
    r = roi(30, 35, initial_investment=1000)
    assert r.net_benefit == Decimal("-5.00")
    assert r.payback_months is None
    assert r.roi == pytest.approx(-5 / 35)
    z = roi(10, 0, units=0)
    assert z.roi is None and z.cost_per_unit is None


def test_cost_per_unit_keeps_sub_cent_prices():
    assert roi(0, Decimal("12.34"), units=10000).cost_per_unit == Decimal("0.001234")


def test_floats_from_a_spin_box_read_as_written():
    assert time_saved_benefit(25000, 0.05, 50.0) == Decimal("62500.00")
    assert roi(0.1 + 0.2, 0.3).benefit == Decimal("0.30")


@pytest.mark.parametrize("kwargs", [dict(benefit=1, cost=-1), dict(benefit=1, cost=1, units=-2),
                                    dict(benefit=1, cost=1, initial_investment=-5),
                                    dict(benefit="abc", cost=1), dict(benefit=1, cost=1, months=-1)])
def test_bad_input_is_an_input_error(kwargs):
    with pytest.raises(InputError):
        roi(**kwargs)


def _usage(rows):
    import pandas as pd

    from desktop.domain import tables
    from desktop.domain.money import to_micros

    df = pd.DataFrame(rows)
    df["date"] = pd.to_datetime(df["date"])
    df["cost"] = [to_micros(Decimal(str(c))) for c in df["cost"]]
    for col in ("vendor", "team", "project", "model"):
        df[col] = df[col].astype("string") if col in df else pd.Series(pd.NA, index=df.index, dtype="string")
    return tables.conform(df, "usage")


def test_run_cost_from_usage_is_the_last_complete_month_of_the_use_case():
    from datetime import date

    from desktop.domain.roi import run_cost_month, run_cost_rows, run_cost_values, usage_run_cost
    from desktop.domain.usage_index import UsageIndex

    ix = UsageIndex(_usage([
        dict(date="2026-09-30", vendor="OpenAI", team="Support", project="support-bot", model="gpt-4o", cost="999"),
        dict(date="2026-10-01", vendor="OpenAI", team="Support", project="support-bot", model="gpt-4o", cost="100.005"),
        dict(date="2026-10-17", vendor="Anthropic", team="Support", project=" Support-Bot ", model="claude", cost="250.10"),
        dict(date="2026-10-31", vendor="OpenAI", team="Search", project="search", model="gpt-4o", cost="40"),
        dict(date="2026-11-02", vendor="OpenAI", team="Support", project="support-bot", model="gpt-4o", cost="7"),
    ]))
    # as-of 2026-11-15: October is the last complete month; 2026-10-31 itself is complete
    assert run_cost_month(date(2026, 11, 15)) == "2026-10"
    assert run_cost_month(date(2026, 10, 31)) == "2026-10"
    assert run_cost_month(date(2026, 1, 5)) == "2025-12"
    r = usage_run_cost(ix, "project", "support-bot", date(2026, 11, 15))
    # 100.005 + 250.10 (the project matches trimmed and casefolded) = 350.105 -> 350.11 half-up
    assert (r.month, r.cost, r.rows) == ("2026-10", Decimal("350.11"), 2)
    assert run_cost_rows(ix, "project", "support-bot", "2026-10").tolist() == [1, 2]
    assert usage_run_cost(ix, "model", "gpt-4o", date(2026, 11, 15)).cost == Decimal("140.01")  # 100.005 + 40
    assert usage_run_cost(ix, "team", "Nobody", date(2026, 11, 15)).cost == Decimal("0.00")
    assert run_cost_values(ix, "project") == ["search", "support-bot"]
    with pytest.raises(InputError):
        run_cost_rows(ix, "cost_center", "CC-1", "2026-10")
