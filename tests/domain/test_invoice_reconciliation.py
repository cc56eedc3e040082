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
