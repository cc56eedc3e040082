"""Invoices reconciled per vendor-period (docs/domain.md "Invoices"): the cases of issue 13, each
with hand-computed figures."""

from __future__ import annotations

from datetime import date

from desktop.domain import provenance, tables
from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.domain.settings import Settings
from tests.domain.test_contracts import D, commitments, usage
from tests.domain.test_invoices import _run, invoices

JUNE = dict(period_start="2026-06-01", period_end="2026-06-30")
NO_CONTRACTS = tables.empty("commitments")


def _june_usage(*costs, vendor="OpenAI", model=None):
    return usage([dict(date=f"2026-06-{5 + 5 * i:02d}", vendor=vendor, cost=c, **({"model": model} if model else {}))
                  for i, c in enumerate(costs)])


def test_two_organisations_billed_separately_share_the_period_pro_rata():
    # usage 3,000 + 3,000 = 6,000; two invoices of 3,000 each for June (one per organisation)
    u = _june_usage(3000, 3000)
    inv = invoices([dict(JUNE, invoice_id="OA-ORG1", vendor="OpenAI", invoice_date="2026-07-02", amount=3000),
                    dict(JUNE, invoice_id="OA-ORG2", vendor="OpenAI", invoice_date="2026-07-03", amount=3000)])
    (a, b), warnings = _run(inv, u=u, c=NO_CONTRACTS)
    # each: 6,000 x 3,000 / 6,000 = 3,000.00 expected; variance 0 -> within tolerance (was -50 %, underbilled)
    for r in (a, b):
        assert (r.expected, r.invoiced, r.variance, r.status) == (D("3000.00"), D("3000.00"), D("0.00"),
                                                                  "within_tolerance")
        assert (r.expected_basis, r.shared_expected, r.period_expected, r.period_invoiced) == (
            "pro_rata", D("6000.00"), D("6000.00"), D("6000.00"))
        assert r.period_invoices == ("OA-ORG1", "OA-ORG2") and r.flags == ()
        assert any("pro-rata share" in n for n in r.notes)
    assert warnings == []


def test_a_period_billed_twice_is_double_billing_on_the_later_invoice():
    # June usage 3,000; ANT-0601 (July 1st) 3,000, then ANT-0601-R (July 15th) 3,000 for the same June
    u = _june_usage(1000, 2000, vendor="Anthropic")
    inv = invoices([dict(JUNE, invoice_id="ANT-0601-R", vendor="Anthropic", invoice_date="2026-07-15", amount=3000),
                    dict(JUNE, invoice_id="ANT-0601", vendor="Anthropic", invoice_date="2026-07-01", amount=3000)])
    (first, again), _ = _run(inv, u=u, c=NO_CONTRACTS)
    assert (first.invoice_id, again.invoice_id) == ("ANT-0601", "ANT-0601-R")
    # the earlier invoice covers the 3,000 of usage: its share is all of it
    assert (first.expected, first.status, first.flags, first.premium_leakage) == (
        D("3000.00"), "within_tolerance", (), D("0.00"))
    # the later one bills it again: weight 3,000 - 3,000 = 0 -> share 0.00, overbilled by 3,000
    assert (again.expected, again.variance, again.status) == (D("0.00"), D("3000.00"), "overbilled")
    (flag,) = again.flags
    assert (flag.flag, flag.leakage, flag.earlier_invoices) == ("double_billing", D("3000.00"), ("ANT-0601",))
    assert "already billed by ANT-0601" in flag.detail
    assert again.premium_leakage == D("3000.00")


def test_double_billing_does_not_count_a_duplicated_line_twice():
    # usage 3,000; the reissue bills 1,500 twice (a duplicate line) on top of an invoice of 3,000
    u = _june_usage(3000, vendor="Anthropic")
    line = dict(JUNE, invoice_id="B", vendor="Anthropic", invoice_date="2026-07-10", description="tokens", amount=1500)
    inv = invoices([dict(JUNE, invoice_id="A", vendor="Anthropic", invoice_date="2026-07-01", amount=3000),
                    line, line])
    _, b = _run(inv, u=u, c=NO_CONTRACTS)[0]
    # billed again: min(3,000, 6,000 - 3,000) = 3,000, of which 1,500 is the duplicate line
    assert [(f.flag, f.leakage) for f in b.flags] == [("double_billing", D("1500.00")),
                                                      ("duplicate_line", D("1500.00"))]
    assert b.premium_leakage == D("3000.00")


def test_invoices_whose_lines_name_models_are_expected_the_usage_they_cover():
    u = usage([dict(date="2026-06-03", vendor="OpenAI", model="gpt-4o", cost=700),
               dict(date="2026-06-04", vendor="OpenAI", model="o1", cost=300),
               dict(date="2026-06-05", vendor="OpenAI", model="whisper", cost=50)])
    inv = invoices([
        dict(JUNE, invoice_id="I-4O", vendor="OpenAI", invoice_date="2026-07-01", model="GPT-4o ", amount=700),
        dict(JUNE, invoice_id="I-O1", vendor="OpenAI", invoice_date="2026-07-02", model="o1", amount=300),
        dict(JUNE, invoice_id="I-REST", vendor="OpenAI", invoice_date="2026-07-02", amount=50),
        dict(JUNE, invoice_id="I-4O-B", vendor="OpenAI", invoice_date="2026-07-20", model="gpt-4o", amount=700),
    ])
    got = {r.invoice_id: r for r in _run(inv, u=u, c=NO_CONTRACTS)[0]}
    assert (got["I-4O"].expected, got["I-4O"].expected_basis, got["I-4O"].status) == (
        D("700.00"), "lines", "within_tolerance")
    assert (got["I-O1"].expected, got["I-O1"].status) == (D("300.00"), "within_tolerance")
    # the invoice without models gets what the others do not cover: 1,050 - 700 - 300 = 50
    assert (got["I-REST"].expected, got["I-REST"].expected_basis, got["I-REST"].shared_expected) == (
        D("50.00"), "pro_rata", D("50.00"))
    # gpt-4o billed again on July 20th: its usage is I-4O's -> share 0.00, double billing 700
    b = got["I-4O-B"]
    assert (b.expected, b.status) == (D("0.00"), "overbilled")
    assert [(f.flag, f.leakage, f.earlier_invoices) for f in b.flags] == [("double_billing", D("700.00"), ("I-4O",))]


def test_an_invoice_naming_its_contract_is_compared_with_all_the_vendors_usage():
    c = commitments([dict(contract_id="C-OA", vendor="OpenAI", period_start="2026-01-01",
                          period_end="2026-12-31", commitment=10000, owner="Ana")])
    u = usage([dict(date="2026-06-03", vendor="OpenAI", model="gpt-4o", cost=2000),
               dict(date="2026-06-04", vendor="OpenAI", model="ft:gpt-4o", meter="fine-tuning", cost=1000,
                    commit_eligible=False)])
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=3000,
                         contract_id="C-OA")])
    (r,), _ = _run(inv, u=u, c=c)
    # 2,000 drawing down C-OA + 1,000 of fine-tuning drawing down nothing = 3,000 (was 2,000: +50 % overbilled)
    assert (r.expected, r.variance, r.status, r.contract_id) == (D("3000.00"), D("0.00"), "within_tolerance", "C-OA")


def test_an_unknown_contract_reference_falls_back_to_the_vendor_and_warns():
    c = commitments([dict(contract_id="C-OA", vendor="OpenAI", period_start="2026-01-01",
                          period_end="2026-12-31", commitment=10000, owner="Ana")])
    u = _june_usage(500)
    inv = invoices([dict(JUNE, invoice_id="OA-X", vendor="OpenAI", invoice_date="2026-07-02", amount=500,
                         contract_id="C-NOPE")])
    (r,), warnings = _run(inv, u=u, c=c)
    # was: expected 0.00 and "no usage was imported" (untrue)
    assert (r.expected, r.status, r.contract_unknown) == (D("500.00"), "within_tolerance", True)
    assert warnings == [r.notes[0]]
    assert "names contract 'C-NOPE', which is not in the commit schedule" in warnings[0]
    assert "all of OpenAI's usage in 2026-06-01..2026-06-30" in warnings[0]
    # the flags' owner is the vendor's contract owner
    assert r.contract_id == "C-NOPE"


def test_a_duplicated_credit_has_no_leakage_and_does_not_hide_a_duplicated_tax_line():
    base = dict(JUNE, invoice_id="INV", vendor="OpenAI", invoice_date="2026-07-02")
    inv = invoices([dict(base, description="usage", model="gpt-4o", amount=1000),       # row 2
                    dict(base, description="promo", line_type="credit", amount=-100),     # row 3
                    dict(base, description="promo", line_type="credit", amount=-100),     # row 4: duplicate
                    dict(base, description="VAT", line_type="tax", amount=120),           # row 5
                    dict(base, description="VAT", line_type="tax", amount=120)])          # row 6: duplicate
    (r,), _ = _run(inv, u=_june_usage(800, model="gpt-4o"), c=NO_CONTRACTS)
    assert [(f.line, f.flag, f.leakage) for f in r.flags] == [(4, "duplicate_credit", D("0.00")),
                                                              (6, "duplicate_line", D("120.00"))]
    # was 20.00 (-100 + 120): the 120 overcharge hidden by the credit
    assert r.premium_leakage == D("120.00")
    assert (r.invoiced, r.tax) == (D("800.00"), D("240.00"))


def test_the_rows_behind_a_pro_rata_share_add_up_to_the_shared_usage():
    u = _june_usage(3000, 3000)
    inv = invoices([dict(JUNE, invoice_id="OA-ORG1", vendor="OpenAI", invoice_date="2026-07-02", amount=1000),
                    dict(JUNE, invoice_id="OA-ORG2", vendor="OpenAI", invoice_date="2026-07-03", amount=2000)])
    a = build_analysis(Inputs(usage=u, invoices=inv), Settings(), date(2026, 7, 5))
    one, two = a.invoices
    # 6,000 x 1/3 = 2,000.00 and 6,000 x 2/3 = 4,000.00
    assert (one.expected, two.expected) == (D("2000.00"), D("4000.00"))
    rows = provenance.figure_rows(a, "invoice", "OA-ORG1", "expected")
    assert len(rows) == 2 and provenance.total(a, rows) == D("6000.00") == one.shared_expected
    figs = {(f.id, f.field): f.value for f in provenance.row_figures(a) if f.section == "invoices"}
    assert figs[("OA-ORG1", "shared_expected")] == D("6000.00") and ("OA-ORG1", "expected") not in figs


# --- currencies and dates (issue 13, step 2) ------------------------------------------------------

def _analyse(u, inv, rc=None, fx=None, as_of=date(2026, 8, 5)):
    from tests.domain.test_invoices import fx_rates, rate_card
    return build_analysis(Inputs(usage=u, invoices=inv,
                                 rate_card=rate_card(rc) if rc else tables.empty("rate_card"),
                                 fx_rates=fx_rates(fx) if fx else tables.empty("fx_rates")), Settings(), as_of)


def test_an_invoice_in_the_currency_of_its_usage_is_compared_in_that_currency():
    # EUR usage 500 + 500 in June (1.10 USD per EUR in June), EUR invoice of 1,000 dated July 3rd (1.20 in July)
    u = usage([dict(date="2026-06-10", vendor="Mistral", cost=500, currency="EUR"),
               dict(date="2026-06-20", vendor="Mistral", cost=500, currency="EUR")])
    inv = invoices([dict(JUNE, invoice_id="MI-06", vendor="Mistral", invoice_date="2026-07-03", amount=1000,
                         currency="EUR")])
    fx = [dict(currency="EUR", rate=1.10, valid_from="2026-06-01", valid_to="2026-06-30"),
          dict(currency="EUR", rate=1.20, valid_from="2026-07-01")]
    (r,) = _analyse(u, inv, fx=fx).invoices
    # was: invoiced 1,200.00 (rate of the invoice date) vs expected 1,100.00 -> 9.1 % overbilled
    assert (r.compared_in, r.expected_in, r.invoiced_in, r.variance_in) == ("EUR", D("1000.00"), D("1000.00"),
                                                                            D("0.00"))
    assert (r.status, r.variance, r.variance_pct) == ("within_tolerance", D("0.00"), 0.0)
    # in USD: the invoice at 1.10 (rate of June 30th, the billing period end), the usage on its days
    assert (r.invoiced, r.expected, r.fx_rate, r.fx_date) == (D("1100.00"), D("1100.00"), "1.1", date(2026, 6, 30))
    assert any("compared in EUR" in n for n in r.notes)


def test_a_same_currency_variance_is_converted_at_the_period_end_rate():
    # EUR usage (1.10 in June), EUR invoice of 1,015 -> variance 15 EUR > 1 % of 1,000 -> overbilled;
    # the variance in USD is 15 x 1.10 = 16.50
    u = usage([dict(date="2026-06-10", vendor="Mistral", cost=1000, currency="EUR")])
    inv = invoices([dict(JUNE, invoice_id="MI-06", vendor="Mistral", invoice_date="2026-07-03", amount=1015,
                         currency="EUR")])
    fx = [dict(currency="EUR", rate=1.10, valid_from="2026-06-01", valid_to="2026-06-30"),
          dict(currency="EUR", rate=1.20, valid_from="2026-07-01")]
    (r,) = _analyse(u, inv, fx=fx).invoices
    assert (r.variance_in, r.status, r.variance, r.invoiced) == (D("15.00"), "overbilled", D("16.50"),
                                                                 D("1116.50"))
    assert r.variance_pct == 0.015


def test_premium_rate_converts_the_unit_price_and_the_rate_card_to_one_currency():
    # rate card: gpt-4o 10.05 USD per unit; JPY invoice at 0.0067 USD per JPY:
    # input 1,000 @ 1,500 JPY = 10.05 USD (the contract price), output 1,000 @ 1,600 JPY = 10.72 USD
    u = _june_usage(20100, model="gpt-4o")
    base = dict(JUNE, invoice_id="OA-JP", vendor="OpenAI", invoice_date="2026-07-02", model="gpt-4o",
                quantity=1000, currency="JPY")
    inv = invoices([dict(base, meter="input", unit_price=1500, amount=1_500_000),
                    dict(base, meter="output", unit_price=1600, amount=1_600_000)])
    fx = [dict(currency="JPY", rate=0.0067, valid_from="2026-01-01")]
    (r,) = _analyse(u, inv, rc=[dict(vendor="OpenAI", model="gpt-4o", contracted_price=10.05)], fx=fx).invoices
    # was: input flagged (1,500 - 10.05) x 1,000 x 0.0067 = 9,982.67 of false leakage
    # now only output: (10.72 - 10.05) x 1,000 = 670.00
    assert [(f.line, f.flag, f.leakage) for f in r.flags] == [(3, "premium_rate", D("670.00"))]
    assert "1600 JPY = 10.72 USD above contracted 10.05 USD" in r.flags[0].detail
    assert r.premium_leakage == D("670.00")


def test_the_rate_card_row_is_chosen_by_the_billing_period_not_the_invoice_date():
    # June price 12.00, July 11.00; a June invoice dated July 5th bills 750 units at 12.00
    u = _june_usage(9000, model="gpt-4o")
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-05", model="gpt-4o",
                         quantity=750, unit_price=12, amount=9000)])
    rc = [dict(vendor="OpenAI", model="gpt-4o", contracted_price=12.0, effective_to="2026-06-30"),
          dict(vendor="OpenAI", model="gpt-4o", contracted_price=11.0, effective_from="2026-07-01")]
    (r,) = _analyse(u, inv, rc=rc).invoices
    # was: checked against July's 11.00 -> (12 - 11) x 750 = 750.00 of false leakage
    assert (r.flags, r.premium_leakage, r.status) == ((), D("0.00"), "within_tolerance")


def test_a_line_with_period_start_and_no_period_end_is_the_month_of_its_start():
    u = usage([dict(date="2026-06-15", vendor="OpenAI", cost=500), dict(date="2026-07-15", vendor="OpenAI", cost=900)])
    inv = invoices([dict(invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-08-02", period_start="2026-06-01",
                         amount=500)])
    (r,) = _analyse(u, inv).invoices
    # was: period_start dropped, the month before the invoice date (July: 900) -> underbilled
    assert (r.period_start, r.period_end, r.period_inferred) == (date(2026, 6, 1), date(2026, 6, 30), False)
    assert (r.expected, r.status) == (D("500.00"), "within_tolerance")
    assert any("period_start and no period_end" in n and "2026-06-01..2026-06-30" in n for n in r.notes)


def test_the_list_price_charged_instead_of_the_contract_price_is_flagged_list_price():
    # rate card gpt-4o: contracted 2.50, list 3.00 per unit; line A at 3.00 (the list price), line B at 2.80
    u = _june_usage(10000, model="gpt-4o")
    base = dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", model="gpt-4o")
    inv = invoices([dict(base, meter="input", quantity=1000, unit_price=3.00, amount=3000),
                    dict(base, meter="output", quantity=1000, unit_price=2.80, amount=2800)])
    rc = [dict(vendor="OpenAI", model="gpt-4o", contracted_price=2.50, list_price=3.00, owner="Rates")]
    (r,) = _analyse(u, inv, rc=rc).invoices
    # A: (3.00 - 2.50) x 1,000 = 500.00 as list_price; B: (2.80 - 2.50) x 1,000 = 300.00 as premium_rate
    assert [(f.line, f.flag, f.leakage) for f in r.flags] == [(2, "list_price", D("500.00")),
                                                              (3, "premium_rate", D("300.00"))]
    assert r.flags[0].detail.startswith("list price charged instead of the contract price")
