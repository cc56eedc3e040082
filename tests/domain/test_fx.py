"""Conversion to the reporting currency."""

from __future__ import annotations

from datetime import date

import numpy as np

from desktop.domain import tables
from desktop.domain.fx import convert_frame, convert_micros, rate_on
from desktop.domain.inputs import Inputs
from tests.domain.test_contracts import D, commitments, frame, usage


def fx_rates(rows):
    return frame("fx_rates", rows, (), "fx.csv")


RATES = fx_rates([
    dict(currency="EUR", rate=1.10),  # always
    dict(currency="EUR", rate=1.20, valid_from="2026-03-01", valid_to="2026-03-31"),
    dict(currency="GBP", rate=1.25, valid_from="2026-01-01", valid_to="2026-01-31"),
])


def test_rate_on_validity_and_latest_valid_from():
    assert rate_on(RATES, "usd", date(2026, 1, 1)) == 1
    assert rate_on(RATES, "EUR", date(2026, 2, 28)) == D("1.1")
    # both EUR rows valid in March; the later valid_from wins; bounds inclusive
    assert rate_on(RATES, "eur", date(2026, 3, 1)) == D("1.2")
    assert rate_on(RATES, "EUR", date(2026, 3, 31)) == D("1.2")
    assert rate_on(RATES, "GBP", date(2026, 1, 31)) == D("1.25")
    assert rate_on(RATES, "GBP", date(2026, 2, 1)) is None
    assert rate_on(tables.empty("fx_rates"), "JPY", date(2026, 2, 1)) is None


def test_convert_micros_half_up_exact():
    # 1 x 1.5 = 1.5 -> 2; -1 x 1.5 = -1.5 -> -2 (half away from zero); 3 x 0.5 = 1.5 -> 2
    assert convert_micros(np.array([1, -1]), D("1.5")).tolist() == [2, -2]
    assert convert_micros(np.array([3, 2]), D("0.5")).tolist() == [2, 1]
    # 100.00 EUR x 1.1 = 110.00 exactly (no float error)
    assert convert_micros(np.array([100_000_000]), D("1.1")).tolist() == [110_000_000]
    # huge amounts fall back to exact Python integers
    big = 9_000_000_000_000_000
    assert convert_micros(np.array([big]), D("1.000001")).tolist() == [big + 9_000_000_000]


def test_convert_frame_drops_rows_without_rate_and_names_them():
    u = usage([dict(date="2026-01-10", vendor="A", cost=100, currency="EUR"),   # row 2: 110
               dict(date="2026-03-10", vendor="A", cost=100, currency="EUR"),   # row 3: 120
               dict(date="2026-02-10", vendor="A", cost=100, currency="GBP"),   # row 4: no rate
               dict(date="2026-02-10", vendor="A", cost="33.33")], file="u.csv")  # row 5: USD
    out, warnings = convert_frame(u, RATES, money_columns=("cost",), date_column="date",
                                  reporting_currency="USD", kind="usage")
    assert out["cost"].tolist() == [110_000_000, 120_000_000, 33_330_000]
    assert out["_row"].tolist() == [2, 3, 5]
    assert out["currency"].tolist() == ["USD", "USD", "USD"]
    assert len(warnings) == 1
    assert warnings[0].startswith("u.csv row 4: no FX rate for GBP -> USD valid on 2026-02-10")


def test_many_missing_rows_are_summarised():
    u = usage([dict(date="2026-02-10", vendor="A", cost=1, currency="JPY")] * 60, file="u.csv")
    out, warnings = convert_frame(u, RATES, money_columns=("cost",), date_column="date",
                                  reporting_currency="USD", kind="usage")
    assert out.empty and len(warnings) == 51 and "10 more usage rows" in warnings[-1]


def test_prepare_usage_converts_and_commitments_without_a_rate_are_left_out():
    from desktop.domain.analysis import build_analysis, prepare_usage

    c = commitments([dict(contract_id="E", vendor="A", period_start="2026-01-01",
                          period_end="2026-01-31", commitment=1000, currency="EUR")])
    u = usage([dict(date="2026-01-10", vendor="A", cost=100, currency="EUR"),
               dict(date="2026-01-11", vendor="A", cost=100, currency="CHF")], file="u.csv")
    inputs = Inputs().add("commitments", c).add("usage", u).add("fx_rates", RATES)
    prepared, warnings = prepare_usage(inputs)
    assert prepared["cost"].tolist() == [110_000_000] and prepared["_contract"].tolist() == ["E"]
    assert len(warnings) == 1 and "u.csv row 3" in warnings[0]
    a = build_analysis(inputs, renewal=[])
    # commitment 1000 EUR at the rate valid on period_start (1.10) = 1100 USD
    assert a.contracts[0].commitment == D("1100.00") and a.contracts[0].consumed_to_date == D("110.00")
    assert a.warnings[0] == warnings[0]
    # without rates the contract cannot be paced: left out with a warning naming it, not an error
    b = build_analysis(inputs.with_table("fx_rates", tables.empty("fx_rates")), renewal=[])
    assert b.contracts == ()
    assert ("contracts.csv row 2: contract E is left out of the figures: no FX rate for EUR -> USD "
            "valid on 2026-01-01; import one (an FX rates file) to see it") in b.warnings
