"""The three-way audit and the unit-economics table (docs/domain.md "Rate audit"): every flag and
the table with hand-computed figures."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.domain import provenance, rate_audit, tables
from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.domain.report import to_json_dict
from tests.domain.test_contracts import D, commitments, frame, usage
from tests.domain.test_invoices import invoices

JUNE = dict(period_start="2026-06-01", period_end="2026-06-30")
CONTRACT = commitments([dict(contract_id="OA-1", vendor="OpenAI", period_start="2026-01-01",
                             period_end="2026-12-31", commitment=100_000, owner="ap@example.com"),
                        dict(contract_id="AN-1", vendor="Anthropic", period_start="2026-01-01",
                             period_end="2026-12-31", commitment=100_000, owner="ai-team@example.com")])


def rates(rows):
    return frame("rate_card", [dict(unit="1M tokens", **r) for r in rows], (), "rates.csv")


# contracted (list) per 1M tokens, June 2026
OPENAI_RATES = rates([
    dict(vendor="OpenAI", model="gpt-4o", token_kind="input", contracted_price=2.00, list_price=2.50),
    dict(vendor="OpenAI", model="gpt-4o", token_kind="cached_input", contracted_price=1.00, list_price=1.25),
    dict(vendor="OpenAI", model="gpt-4o", token_kind="output", contracted_price=8.00, list_price=10.00),
    dict(vendor="OpenAI", model="gpt-4o", token_kind="input", service_tier="batch", contracted_price=1.00,
         list_price=1.25),
])


def _analyse(u, inv, rc, as_of=date(2026, 6, 30)):
    inputs = Inputs(commitments=CONTRACT, usage=u, invoices=inv, rate_card=rc)
    return build_analysis(inputs, as_of=as_of)


def _openai_june():
    # a cost export: each line item carries its tokens and the vendor's own cost
    return usage([
        dict(date="2026-06-10", vendor="OpenAI", model="gpt-4o", meter="input", token_kind="input",
             quantity=10_000_000, unit="tokens", cost=20.00),  # 2.00/M: the contract price
        dict(date="2026-06-10", vendor="OpenAI", model="gpt-4o", meter="cached input", token_kind="cached_input",
             quantity=4_000_000, unit="tokens", cost=8.00),  # 2.00/M: the INPUT price, not 1.00
        dict(date="2026-06-11", vendor="OpenAI", model="gpt-4o", meter="output", token_kind="output",
             quantity=1_000_000, unit="tokens", cost=10.00),  # 10.00/M: the list price, not 8.00
        dict(date="2026-06-12", vendor="OpenAI", model="gpt-4o", meter="input (batch)", token_kind="input",
             service_tier="batch", quantity=2_000_000, unit="tokens", cost=4.00),  # 2.00/M: standard, not batch
    ])


def test_usage_repriced_at_contract_gives_each_flag_with_its_leakage_once():
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=42.00)])
    a = _analyse(_openai_june(), inv, OPENAI_RATES)
    lines = {(x.token_kind, x.service_tier): x for x in a.rate_audit}
    # input: 10M x 2.00/M = 20.00 expected = vendor cost 20.00 -> no flag
    ok = lines[("input", "standard")]
    assert (ok.tokens, ok.vendor_cost, ok.expected, ok.flag, ok.leakage) == (10_000_000, D("20.00"), D("20.00"),
                                                                             None, D("0.00"))
    assert (ok.effective_per_million, ok.contracted_per_million, ok.list_per_million) == ("2.00", "2.00", "2.50")
    # cached input: 4M at 2.00/M = 8.00 charged, contract 4M x 1.00/M = 4.00 -> leakage 4.00
    cache = lines[("cached_input", "standard")]
    assert (cache.flag, cache.expected, cache.difference, cache.leakage) == (
        "cache_discount_missing", D("4.00"), D("4.00"), D("4.00"))
    assert "input price 2" in cache.detail and cache.owner == "ap@example.com"
    assert (cache.rate_card_file, cache.rate_card_row) == ("rates.csv", 3)
    # output: 1M at 10.00/M = the list price; contract 8.00 -> leakage 2.00
    out = lines[("output", "standard")]
    assert (out.flag, out.expected, out.leakage) == ("list_price", D("8.00"), D("2.00"))
    # batch input: 2M at 2.00/M = the standard price; batch contract 1.00/M -> 2.00 expected, leakage 2.00
    batch = lines[("input", "batch")]
    assert (batch.flag, batch.expected, batch.leakage) == ("batch_discount_missing", D("2.00"), D("2.00"))
    (invoice,) = a.invoices
    # the invoice equals the usage (42.00): within tolerance, and the audit finds 8.00 of leakage in it
    assert (invoice.expected, invoice.status) == (D("42.00"), "within_tolerance")
    assert sorted((f.flag, f.leakage) for f in invoice.flags) == [
        ("batch_discount_missing", D("2.00")), ("cache_discount_missing", D("4.00")), ("list_price", D("2.00"))]
    assert invoice.premium_leakage == D("8.00")
    # the rows behind each audit line add up to its vendor cost
    for x in a.rate_audit:
        rows = provenance.figure_rows(a, "rate_audit", rate_audit.audit_key(x), "vendor_cost")
        assert provenance.total(a, rows) == x.vendor_cost and len(rows) == 1


def test_a_flag_on_the_invoice_line_is_not_counted_again_by_the_usage_audit():
    # the invoice bills the cached tokens on their own line at the input price: 4 (M tokens) x 2.00
    inv = invoices([
        dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=20.00, model="gpt-4o",
             meter="input", quantity=10, unit_price=2.00),
        dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=8.00, model="gpt-4o",
             meter="cached input", quantity=4, unit_price=2.00),
    ])
    u = _openai_june().iloc[:2].reset_index(drop=True)
    a = _analyse(u, inv, OPENAI_RATES)
    (invoice,) = a.invoices
    # the line: (2.00 - 1.00) x 4 = 4.00 cache_discount_missing (it was premium_rate before)
    (flag,) = invoice.flags
    assert (flag.flag, flag.leakage, flag.line) == ("cache_discount_missing", D("4.00"), 3)
    assert flag.detail.startswith("cached input charged at the input price 2")
    # the usage audit finds the same 4.00: already counted on line 3, so nothing more is added
    cache = next(x for x in a.rate_audit if x.token_kind == "cached_input")
    assert (cache.flag, cache.flagged_on_lines, cache.leakage, cache.invoiced, cache.line) == (
        "cache_discount_missing", D("4.00"), D("0.00"), D("8.00"), 3)
    assert invoice.premium_leakage == D("4.00")
    rows = provenance.figure_rows(a, "rate_audit", rate_audit.audit_key(cache), "invoiced")
    assert rows.table == "invoice_lines" and provenance.total(a, rows) == D("8.00")


def test_a_tier_charged_that_the_usage_did_not_use():
    # Anthropic: the cost report (money, no tokens) charges priority; the usage report (tokens,
    # cost 0) shows the same tokens at standard
    rc = rates([dict(vendor="Anthropic", model="claude-sonnet-4", token_kind="input", contracted_price=3.00),
                dict(vendor="Anthropic", model="claude-sonnet-4", token_kind="input", service_tier="priority",
                     contracted_price=3.60)])
    u = usage([
        dict(date="2026-06-03", vendor="Anthropic", model="claude-sonnet-4", meter="uncached_input_tokens",
             token_kind="input", service_tier="priority", cost=36.00),
        dict(date="2026-06-03", vendor="Anthropic", model="claude-sonnet-4", meter="uncached_input_tokens",
             token_kind="input", service_tier="standard", quantity=10_000_000, unit="tokens", cost=0),
    ])
    inv = invoices([dict(JUNE, invoice_id="AN-06", vendor="Anthropic", invoice_date="2026-07-01", amount=36.00)])
    a = _analyse(u, inv, rc)
    (line,) = a.rate_audit
    # 10M standard tokens x 3.00/M = 30.00 at the tier used; 36.00 charged at priority -> 6.00
    assert (line.flag, line.service_tier, line.used_tiers, line.tokens) == (
        "tier_mismatch", "priority", ("standard",), 10_000_000)
    assert (line.vendor_cost, line.expected, line.leakage, line.owner) == (
        D("36.00"), D("30.00"), D("6.00"), "ai-team@example.com")
    (flag,) = a.invoices[0].flags
    assert (flag.flag, flag.leakage) == ("tier_mismatch", D("6.00"))
    rows = provenance.figure_rows(a, "rate_audit", rate_audit.audit_key(line), "vendor_cost")
    assert len(rows) == 2 and provenance.total(a, rows) == D("36.00")


def test_a_line_charged_at_a_dearer_tier_price_is_tier_mismatch():
    # a standard invoice line billed at the priority price 3.60 against the standard 3.00
    rc = rates([dict(vendor="Anthropic", model="claude-sonnet-4", token_kind="input", contracted_price=3.00),
                dict(vendor="Anthropic", model="claude-sonnet-4", token_kind="input", service_tier="priority",
                     contracted_price=3.60)])
    u = usage([dict(date="2026-06-03", vendor="Anthropic", model="claude-sonnet-4", token_kind="input",
                    quantity=5_000_000, unit="tokens", cost=18.00)])
    inv = invoices([dict(JUNE, invoice_id="AN-06", vendor="Anthropic", invoice_date="2026-07-01", amount=18.00,
                         model="claude-sonnet-4", token_kind="input", quantity=5, unit_price=3.60)])
    a = _analyse(u, inv, rc)
    # (3.60 - 3.00) x 5 = 3.00 on the line; the usage audit says the same 3.00, already counted
    (flag,) = a.invoices[0].flags
    assert (flag.flag, flag.leakage) == ("tier_mismatch", D("3.00"))
    (line,) = a.rate_audit
    assert (line.flag, line.leakage, line.flagged_on_lines) == ("tier_mismatch", D("0.00"), D("3.00"))


def test_cache_reads_priced_from_a_cost_report_and_a_usage_report():
    # Anthropic cache reads: cost report 9.00 (no tokens), usage report 3M tokens (cost 0);
    # contract cache read 0.30/M, input 3.00/M -> 3.00/M charged = the input price
    rc = rates([dict(vendor="Anthropic", model="claude-sonnet-4", token_kind="input", contracted_price=3.00),
                dict(vendor="Anthropic", model="claude-sonnet-4", token_kind="cached_input", contracted_price=0.30)])
    u = usage([
        dict(date="2026-06-03", vendor="Anthropic", model="claude-sonnet-4", token_kind="cached_input", cost=9.00),
        dict(date="2026-06-03", vendor="Anthropic", model="claude-sonnet-4", token_kind="cached_input",
             quantity=3_000_000, unit="tokens", cost=0),
    ])
    inv = invoices([dict(JUNE, invoice_id="AN-06", vendor="Anthropic", invoice_date="2026-07-01", amount=9.00)])
    a = _analyse(u, inv, rc)
    (line,) = a.rate_audit
    # 3M x 0.30/M = 0.90 expected; leakage 9.00 - 0.90 = 8.10
    assert (line.flag, line.tokens, line.expected, line.leakage, line.effective_per_million) == (
        "cache_discount_missing", 3_000_000, D("0.90"), D("8.10"), "3.00")


def test_price_at_or_under_contract_within_tolerance_is_not_flagged():
    # 2.01/M against 2.00/M is within 0.5 % (2.01 <= 2.01); 2.02/M is not -> list? no: premium_rate
    u = usage([dict(date="2026-06-10", vendor="OpenAI", model="gpt-4o", token_kind="input",
                    quantity=1_000_000, unit="tokens", cost=2.01),
               dict(date="2026-06-10", vendor="OpenAI", model="gpt-4o", token_kind="output",
                    quantity=1_000_000, unit="tokens", cost=8.10)])
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=10.11)])
    a = _analyse(u, inv, OPENAI_RATES)
    by = {x.token_kind: x for x in a.rate_audit}
    assert by["input"].flag is None and by["input"].difference == D("0.01")
    # 8.10/M: above 8.00 x 1.005 = 8.04, not the list 10.00 -> premium_rate, leakage 0.10
    assert (by["output"].flag, by["output"].leakage) == ("premium_rate", D("0.10"))


def test_the_rate_valid_in_the_billing_period_is_used():
    # a price cut from July: June usage is re-priced at June's 2.00/M, not July's 1.50/M
    rc = rates([dict(vendor="OpenAI", model="gpt-4o", token_kind="input", contracted_price=2.00,
                     effective_to="2026-06-30"),
                dict(vendor="OpenAI", model="gpt-4o", token_kind="input", contracted_price=1.50,
                     effective_from="2026-07-01")])
    u = usage([dict(date="2026-06-10", vendor="OpenAI", model="gpt-4o", token_kind="input",
                    quantity=1_000_000, unit="tokens", cost=2.00)])
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-05", amount=2.00)])
    (line,) = _analyse(u, inv, rc, as_of=date(2026, 7, 5)).rate_audit
    assert (line.contracted_per_million, line.flag, line.rate_card_row) == ("2.00", None, 2)


def test_unit_economics_table():
    a = _analyse(_openai_june(), invoices([]), OPENAI_RATES)
    table = {(u.model, u.token_kind, u.service_tier): u for u in a.unit_prices}
    # cached input: 8.00 / 4M x 1M = 2.00 per 1M, contract 1.00 -> +100 %
    cached = table[("gpt-4o", "cached_input", "standard")]
    assert (cached.vendor, cached.tokens, cached.cost, cached.effective_per_million,
            cached.contracted_per_million, cached.list_per_million) == (
        "OpenAI", 4_000_000, D("8.00"), "2.00", "1.00", "1.25")
    assert cached.vs_contract == pytest.approx(1.0)
    assert table[("gpt-4o", "output", "standard")].vs_contract == pytest.approx(0.25)
    assert table[("gpt-4o", "input", "standard")].vs_contract == pytest.approx(0.0)
    assert (table[("gpt-4o", "input", "batch")].effective_per_million, cached.first_date) == ("2.00", date(2026, 6, 10))
    assert len(table) == 4
    for u in a.unit_prices:
        rows = provenance.figure_rows(a, "unit_price", rate_audit.unit_price_key(u), "cost")
        assert provenance.total(a, rows) == u.cost
    # the analyze JSON carries both tables
    js = to_json_dict(a)
    assert js["unit_prices"][0]["effective_per_million"] == "2.00" and js["unit_prices"][0]["tokens"] == 10_000_000


def test_units_of_a_price_and_of_a_quantity():
    # a price per 1K tokens and a quantity in millions: 0.002 per 1K = 2.00 per 1M; 3 "1M tokens" = 3M
    rc = frame("rate_card", [dict(vendor="OpenAI", model="gpt-4o", token_kind="input", contracted_price=0.002,
                                  unit="1K tokens")], (), "rates.csv")
    u = usage([dict(date="2026-06-10", vendor="OpenAI", model="gpt-4o", token_kind="input", quantity=3,
                    unit="1M tokens", cost=6.00)])
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=6.00)])
    (line,) = _analyse(u, inv, rc).rate_audit
    assert (line.tokens, line.contracted_per_million, line.expected, line.flag) == (3_000_000, "2.00", D("6.00"), None)


def test_old_rate_cards_and_lines_are_judged_as_before():
    # a rate card without token kinds matches invoice lines by model/meter as before; token rows never do
    rc = frame("rate_card", [dict(vendor="OpenAI", model="gpt-4o", contracted_price=0.10, list_price=0.12),
                             dict(vendor="OpenAI", model="gpt-4o", token_kind="output", contracted_price=8.0)],
               (), "rates.csv")
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=120,
                         model="gpt-4o", quantity=1000, unit_price=0.12)])
    u = usage([dict(date="2026-06-10", vendor="OpenAI", model="gpt-4o", cost=100)])
    a = _analyse(u, inv, rc)
    (flag,) = a.invoices[0].flags
    assert (flag.flag, flag.leakage) == ("list_price", D("20.00"))
    assert a.rate_audit == ()  # no token usage


def test_rate_card_token_columns_are_validated():
    from desktop.domain.validation import check_row, validate_frame
    assert check_row("rate_card", "token_kind", "reasoning") == (
        "token_kind must be one of input, cached_input, cache_write, cache_write_1h, output")
    assert check_row("rate_card", "service_tier", "gold") == (
        "service_tier must be one of standard, batch, flex, priority, provisioned")
    assert check_row("rate_card", "unit", "hours", {"token_kind": "input"}).startswith(
        "the unit of a token price must be a number of tokens")
    assert check_row("rate_card", "unit", "hours", {}) is None  # a meter price may be per hour
    bad = tables.conform(__import__("pandas").DataFrame([dict(vendor="OpenAI", model="m", contracted_price=1.0,
                                                              token_kind="input", unit="requests")]), "rate_card")
    (problem,) = validate_frame("rate_card", bad)
    assert problem.column == "unit"


def test_overbilling_at_stake_is_not_reduced_by_leakage_found_in_the_usage():
    # usage: 1M output tokens cost 10.00 at the list price (contract 8.00): audit leakage 2.00;
    # the invoice bills 12.00 against that 10.00: overbilled by 2.00 on top
    u = usage([dict(date="2026-06-11", vendor="OpenAI", model="gpt-4o", token_kind="output",
                    quantity=1_000_000, unit="tokens", cost=10.00)])
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=12.00)])
    a = _analyse(u, inv, OPENAI_RATES)
    (invoice,) = a.invoices
    (flag,) = invoice.flags
    assert (invoice.status, invoice.variance, flag.flag, flag.leakage, flag.found_in) == (
        "overbilled", D("2.00"), "list_price", D("2.00"), "usage")
    stakes = {f.kind: f.at_stake for f in a.findings if f.ref.get("invoice_id") == "OA-06"}
    # 2.00 found in the usage + 2.00 billed above the usage: 4.00 at stake in all, nothing counted twice
    assert stakes == {"invoice_flag": D("2.00"), "invoice_variance": D("2.00")}


def test_a_meter_naming_a_token_kind_makes_a_token_price():
    # the demo's rate card: meter input_tokens / cached_input_tokens, price per 1K tokens, no token_kind
    rc = frame("rate_card", [
        dict(vendor="OpenAI", model="gpt-4o", meter="input_tokens", contracted_price=0.0022, unit="1K tokens"),
        dict(vendor="OpenAI", model="gpt-4o", meter="cached_input_tokens", contracted_price=0.0011,
             unit="1K tokens")], (), "rates.csv")
    # usage in 1K tokens: 2,000 x 1K cached input tokens billed at the input price 0.0022 -> 4.40
    u = usage([dict(date="2026-06-10", vendor="OpenAI", model="gpt-4o", meter="cached_input_tokens", quantity=2000,
                    unit="1K tokens", cost=4.40)])
    inv = invoices([dict(JUNE, invoice_id="OA-06", vendor="OpenAI", invoice_date="2026-07-02", amount=4.40)])
    (line,) = _analyse(u, inv, rc).rate_audit
    # 2M tokens x 1.10 per 1M = 2.20 expected; leakage 4.40 - 2.20 = 2.20
    assert (line.tokens, line.contracted_per_million, line.expected, line.flag, line.leakage) == (
        2_000_000, "1.10", D("2.20"), "cache_discount_missing", D("2.20"))
