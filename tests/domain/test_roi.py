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
