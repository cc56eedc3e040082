"""Invoice variance, tolerance and line flags with hand-computed expectations."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from desktop.domain import tables
from desktop.domain.contracts import assign_contracts
from desktop.domain.invoices import contract_owner, invoice_results, tolerance_status
from desktop.domain.months import previous_month
from tests.domain.test_contracts import D, commitments, frame, usage

MAR = dict(invoice_id="INV-1", vendor="OpenAI, L.L.C.", invoice_date="2026-04-03",
           period_start="2026-03-01", period_end="2026-03-31")


def invoices(rows, file="inv.csv"):
    return frame("invoices", rows, ("amount",), file)


def rate_card(rows):
    return frame("rate_card", rows, (), "rates.csv")


def fx_rates(rows):
    return frame("fx_rates", rows, (), "fx.csv")


def _usage():
    u = usage([
        dict(date="2026-03-02", vendor="OpenAI", model="gpt-4o", cost=100),
        dict(date="2026-03-10", vendor="openai", model="gpt-4o", cost=100),
        dict(date="2026-03-31", vendor="OpenAI", model="gpt-4o", meter="input", cost=100),
        dict(date="2026-04-01", vendor="OpenAI", model="gpt-4o", cost=999),  # outside the period
        dict(date="2026-03-05", vendor="Anthropic", model="claude", cost=777),  # other vendor
    ])
    return u


def _com():
    return commitments([
        dict(contract_id="C1", vendor="OpenAI", period_start="2026-01-01", period_end="2026-06-30",
             commitment=1000, owner="Ana (Procurement)", escalation_owner="CFO"),
    ])


def _prepared(u, c):
    u = u.copy()
    u["_contract"] = assign_contracts(u, c)
    return u


def _run(inv, u=None, c=None, rc=None, fx=None):
    c = _com() if c is None else c
    u = _usage() if u is None else u
    return invoice_results(inv, _prepared(u, c), c, rc if rc is not None else tables.empty("rate_card"),
                           fx if fx is not None else tables.empty("fx_rates"))


def test_variance_flags_leakage_and_owner():
    inv = invoices([
        dict(MAR, description="gpt-4o tokens", model="gpt-4o", quantity=1000, unit_price=0.10,
             amount=100),  # row 2
        dict(MAR, description="gpt-4o tokens", model="gpt-4o", quantity=1000, unit_price=0.10,
             amount=100),  # row 3: duplicate of row 2
        dict(MAR, description="gpt-4o tokens b", model="gpt-4o", quantity=1000, unit_price=0.1006,
             amount="100.60"),  # row 4: 0.6% above 0.10 -> premium (0.1006 - 0.10) x 1000 = 0.60
        dict(MAR, description="o1", model="o1", quantity=10, unit_price=5, amount=50),  # row 5: no usage
        dict(MAR, description="VAT", line_type="tax", amount=30),  # row 6
    ])
    rc = rate_card([dict(vendor="OpenAI", model="GPT-4o", contracted_price=0.10, owner="Rates Team")])
    (r,), warnings = _run(inv, rc=rc)
    # expected = 3 x 100 (March OpenAI usage); invoiced = 100 + 100 + 100.60 + 50 = 350.60
    assert (r.expected, r.invoiced, r.tax) == (D("300.00"), D("350.60"), D("30.00"))
    assert r.variance == D("50.60") and r.variance_pct == pytest.approx(50.60 / 300)
    # tolerance max(1% x 300, 1.00) = 3.00 < 50.60 -> overbilled
    assert r.status == "overbilled"
    got = [(f.line, f.flag, f.leakage, f.owner) for f in r.flags]
    assert got == [
        (3, "duplicate_line", D("100.00"), "Ana (Procurement)"),
        (4, "premium_rate", D("0.60"), "Ana (Procurement)"),
        (5, "no_usage", D("50.00"), "Ana (Procurement)"),
    ]
    assert r.premium_leakage == D("150.60")
    assert r.flags[0].file == "inv.csv" and r.vendor == "OpenAI"
    assert (r.period_start, r.period_end, r.period_inferred) == (date(2026, 3, 1), date(2026, 3, 31), False)
    assert warnings == []


@pytest.mark.parametrize("unit_price,flagged", [(0.1005, False), (0.10051, True), (0.0999, False)])
def test_premium_rate_boundary_half_percent(unit_price, flagged):
    inv = invoices([dict(MAR, model="gpt-4o", quantity=1000, unit_price=unit_price, amount=10)])
    rc = rate_card([dict(vendor="OpenAI", model="gpt-4o", contracted_price=0.10)])
    (r,), _ = _run(inv, rc=rc)
    assert [f.flag for f in r.flags] == (["premium_rate"] if flagged else [])
    if flagged:  # (0.10051 - 0.10) x 1000 = 0.51
        assert r.flags[0].leakage == D("0.51")


def test_premium_rate_by_meter_and_validity_in_the_billing_period():
    inv = invoices([dict(MAR, meter="input", quantity=100, unit_price=2, amount=200)])  # March, dated April 3rd
    rc = rate_card([
        dict(vendor="OpenAI", meter="input", contracted_price=1.5, effective_to="2026-04-02", owner="Rates"),
        dict(vendor="OpenAI", meter="input", contracted_price=1.0, effective_from="2026-04-01"),
    ])
    (r,), _ = _run(inv, rc=rc, c=tables.empty("commitments"))
    # valid in March (the billing period): the 1.5 row -> (2 - 1.5) x 100 = 50; no contract -> rate-card owner
    assert [(f.flag, f.leakage, f.owner) for f in r.flags] == [("premium_rate", D("50.00"), "Rates")]
    # only the April row (valid on the invoice date, not in the billing period) -> no match, no flag
    (r,), _ = _run(inv, rc=rc.iloc[1:], c=tables.empty("commitments"))
    assert r.flags == ()


def test_no_usage_uses_meter_when_no_model():
    inv = invoices([dict(MAR, meter="input", amount=5), dict(MAR, meter="output", amount=7),
                    dict(MAR, description="no model or meter", amount=1)])
    (r,), _ = _run(inv)
    assert [(f.line, f.flag, f.leakage) for f in r.flags] == [(3, "no_usage", D("7.00"))]


@pytest.mark.parametrize("invoiced,status", [
    ("303.00", "within_tolerance"), ("303.01", "overbilled"), ("297.00", "within_tolerance"),
    ("296.99", "underbilled"), ("300.00", "within_tolerance"),
])
def test_tolerance_pct_boundaries(invoiced, status):
    # expected 300 -> tolerance max(3.00, 1.00) = 3.00
    assert tolerance_status(D(invoiced), D("300.00")) == status


@pytest.mark.parametrize("invoiced,status", [
    ("51.00", "within_tolerance"), ("51.01", "overbilled"), ("49.00", "within_tolerance"),
    ("48.99", "underbilled"),
])
def test_tolerance_absolute_floor(invoiced, status):
    # expected 50 -> max(0.50, 1.00) = 1.00
    assert tolerance_status(D(invoiced), D("50.00")) == status


def test_tolerance_boundary_through_an_invoice():
    (r,), _ = _run(invoices([dict(MAR, model="gpt-4o", amount="303.00")]))
    assert (r.variance, r.status) == (D("3.00"), "within_tolerance")
    (r,), _ = _run(invoices([dict(MAR, model="gpt-4o", amount="296.99")]))
    assert (r.variance, r.status) == (D("-3.01"), "underbilled")


def test_inferred_billing_period_is_previous_month_with_a_note():
    inv = invoices([dict(invoice_id="INV-9", vendor="OpenAI", invoice_date="2026-04-05",
                         model="gpt-4o", amount=300)])
    (r,), warnings = _run(inv)
    assert (r.period_start, r.period_end, r.period_inferred) == (date(2026, 3, 1), date(2026, 3, 31), True)
    assert r.expected == D("300.00") and r.status == "within_tolerance"
    assert len(warnings) == 1 and "INV-9" in warnings[0] and "2026-03-01..2026-03-31" in warnings[0]
    assert r.notes == (warnings[0],)
    assert previous_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_named_contract_limits_expected_usage():
    c = commitments([
        dict(contract_id="A", vendor="OpenAI", period_start="2026-01-01", period_end="2026-12-31",
             commitment=10, owner="Owner A"),
        dict(contract_id="B", vendor="Anthropic", period_start="2026-01-01", period_end="2026-12-31",
             commitment=10, owner="Owner B"),
    ])
    u = usage([dict(date="2026-03-02", vendor="OpenAI", cost=100),
               dict(date="2026-03-03", vendor="OpenAI", cost=40, contract_id="B")])
    inv = invoices([dict(MAR, amount=140), dict(MAR, invoice_id="INV-2", amount=40, contract_id="B")])
    r1, r2 = _run(inv, u=u, c=c)[0]
    # INV-1: vendor OpenAI, no contract -> all OpenAI usage 140; owner = OpenAI's contract A
    assert (r1.invoice_id, r1.expected, r1.contract_id) == ("INV-1", D("140.00"), None)
    # INV-2 names B -> only usage drawing down B = 40
    assert (r2.invoice_id, r2.expected, r2.contract_id) == ("INV-2", D("40.00"), "B")
    assert contract_owner(c, "OpenAI", None, date(2026, 3, 1)) == "Owner A"
    assert contract_owner(c, "OpenAI", "B", date(2026, 3, 1)) == "Owner B"
    assert contract_owner(c, "Mistral", None, date(2026, 3, 1)) is None


def test_no_usage_period_status_when_vendor_has_no_usage_at_all():
    inv = invoices([dict(MAR, vendor="Mistral", amount=80)])
    (r,), _ = _run(inv)
    assert (r.expected, r.variance, r.variance_pct, r.status) == (D("0.00"), D("80.00"), None,
                                                                   "no_usage_period")


def test_fx_conversion_and_missing_rate():
    fx = fx_rates([dict(currency="EUR", rate=1.1, valid_from="2026-01-01", valid_to="2026-12-31")])
    inv = invoices([dict(MAR, model="gpt-4o", amount=250, currency="EUR"),  # 275 USD
                    dict(MAR, invoice_id="INV-2", amount=10, currency="GBP")])  # no rate
    (r,), warnings = _run(inv, fx=fx)
    assert r.invoiced == D("275.00") and r.currency == "USD"
    assert len(warnings) == 1 and "inv.csv row 3" in warnings[0] and "GBP" in warnings[0]


def test_one_flag_per_line_and_ordering_by_invoice_id():
    rc = rate_card([dict(vendor="OpenAI", model="o1", contracted_price=1.0)])
    inv = invoices([
        dict(MAR, invoice_id="INV-B", model="gpt-4o", amount=300),
        # o1 has no usage and is billed above its rate: no_usage wins, leakage = amount (20), not 20 + 10
        dict(MAR, invoice_id="INV-A", model="o1", quantity=10, unit_price=2, amount=20),
        dict(MAR, invoice_id="INV-A", line_type="tax", description="VAT", amount=4),
        dict(MAR, invoice_id="INV-A", line_type="tax", description="VAT", amount=4),  # duplicate tax
    ])
    a, b = _run(inv, rc=rc)[0]
    assert (a.invoice_id, b.invoice_id) == ("INV-A", "INV-B")
    assert [(f.line, f.flag, f.leakage) for f in a.flags] == [(3, "no_usage", D("20.00")),
                                                              (5, "duplicate_line", D("4.00"))]
    assert (a.tax, a.invoiced, a.premium_leakage) == (D("8.00"), D("20.00"), D("24.00"))


def _rate_card(rows):
    return tables.conform(pd.DataFrame(rows), "rate_card")


@pytest.mark.parametrize("order", ["input-first", "output-first"])
def test_premium_rate_matches_model_and_meter(order):
    """Rate card: gpt-4o input 0.00220, output 0.00880 (either order). Lines: input 1000 @ 0.00300
    (premium: (0.00300 - 0.00220) x 1000 = 0.80) and output 1000 @ 0.00880 (at contract)."""
    from desktop.domain.invoices import _RateCard

    rows = [{"vendor": "OpenAI", "model": "gpt-4o", "meter": "input_tokens", "contracted_price": 0.0022},
            {"vendor": "OpenAI", "model": "gpt-4o", "meter": "output_tokens", "contracted_price": 0.0088}]
    if order == "output-first":
        rows.reverse()
    card = _RateCard(_rate_card(rows))
    day = date(2026, 2, 1)
    assert card.match("openai", "gpt-4o", "input_tokens", day)["contracted_price"] == 0.0022
    assert card.match("openai", "gpt-4o", "output_tokens", day)["contracted_price"] == 0.0088
    # a line without a meter cannot tell input from output: no match rather than a guess
    assert card.match("openai", "gpt-4o", None, day) is None
    # a meter of the model that the card does not price: no match
    assert card.match("openai", "gpt-4o", "cached_input", day) is None


def test_rate_card_model_wide_and_meter_wide_rows():
    from desktop.domain.invoices import _RateCard

    card = _RateCard(_rate_card([
        {"vendor": "OpenAI", "model": "o3", "contracted_price": 0.01},
        {"vendor": "OpenAI", "meter": "batch_tokens", "contracted_price": 0.5},
        {"vendor": "OpenAI", "model": "o3", "meter": "output_tokens", "contracted_price": 0.04},
    ]))
    day = date(2026, 2, 1)
    assert card.match("openai", "o3", "output_tokens", day)["contracted_price"] == 0.04
    assert card.match("openai", "o3", "input_tokens", day)["contracted_price"] == 0.01  # model-wide row
    assert card.match("openai", None, "batch_tokens", day)["contracted_price"] == 0.5
    assert card.match("openai", "gpt-4o", "batch_tokens", day)["contracted_price"] == 0.5
