"""Issue 13 "Done when": a cache-priced OpenAI cost export and an Anthropic cost + usage report
(small real-shaped files in tests/data/rate-audit, see tests/data/SOURCES.md) imported through the
CLI show the cache flags with their leakage in the analyze JSON (docs/domain.md "Rate audit")."""

from __future__ import annotations

import json
from pathlib import Path

from desktop.cli import main

DATA = Path(__file__).resolve().parents[1] / "data" / "rate-audit"


def _analyze(capsys) -> dict:
    status = main(["analyze", "--contracts", str(DATA / "commitments.csv"),
                   "--usage", str(DATA / "openai_cost_export_cached_june.csv"),
                   str(DATA / "anthropic_cost_report_june.json"), str(DATA / "anthropic_usage_report_june.json"),
                   "--invoices", str(DATA / "invoices_june.csv"), "--rate-card", str(DATA / "rates_tokens.csv"),
                   "--as-of", "2026-06-30", "--format", "json"])
    out = capsys.readouterr().out
    assert status == 0
    return json.loads(out)


def test_cache_flags_with_their_leakage_in_analyze_json(capsys):
    d = _analyze(capsys)
    by_id = {i["invoice_id"]: i for i in d["invoices"]}
    # OpenAI: 4M cached input tokens billed 10.00 (2.50/M, the input price); contract 1.25/M -> 5.00
    oa = by_id["OA-2026-06"]
    assert (oa["invoiced"], oa["expected"], oa["status"]) == ("25.00", "25.00", "within_tolerance")
    assert [(f["flag"], f["leakage"], f["owner"]) for f in oa["flags"]] == [
        ("cache_discount_missing", "5.00", "ap@example.com")]
    assert oa["premium_leakage"] == "5.00"
    # Anthropic: the cost report bills 2M cache reads 6.00 (600.00 cents: 3.00/M, the input price);
    # the usage report counts the tokens; contract 0.30/M -> 0.60 expected, leakage 5.40
    an = by_id["AN-2026-06"]
    assert [(f["flag"], f["leakage"], f["owner"]) for f in an["flags"]] == [
        ("cache_discount_missing", "5.40", "ai@example.com")]
    flagged = [(r["vendor"], r["token_kind"], r["tokens"], r["vendor_cost"], r["expected"], r["leakage"])
               for r in d["rate_audit"] if r["flag"]]
    assert flagged == [("Anthropic", "cached_input", 2_000_000, "6.00", "0.60", "5.40"),
                       ("OpenAI", "cached_input", 4_000_000, "10.00", "5.00", "5.00")]
    # every other token kind is at its contracted price: re-priced equals the vendor's cost
    assert all(r["expected"] == r["vendor_cost"] for r in d["rate_audit"] if not r["flag"])
    assert len(d["rate_audit"]) == 7
    # the unit-economics table: cached input at 2.50/M against 1.25/M (+100 %), 3.00/M against 0.30/M
    prices = {(u["vendor"], u["token_kind"]): (u["effective_per_million"], u["contracted_per_million"],
                                               u["vs_contract"]) for u in d["unit_prices"]}
    assert prices[("OpenAI", "cached_input")] == ("2.50", "1.25", 1.0)
    assert prices[("Anthropic", "cached_input")] == ("3.00", "0.30", 9.0)
    assert prices[("Anthropic", "cache_write")] == ("3.75", "3.75", 0.0)
    # the usage report (tokens, cost 0) beside the cost report of the same day is not double counting
    reports = {r["file"]: r for r in d["imports"]}
    assert not any("double counting" in w for r in reports.values() for w in r["warnings"])
    # the findings carry the leakage as money at stake
    stakes = sorted((a["ref"]["invoice_id"], a["at_stake"]) for a in d["actions"] if a["kind"] == "invoice_flag")
    assert stakes == [("AN-2026-06", "5.40"), ("OA-2026-06", "5.00")]


def test_importers_keep_token_kind_and_tier(capsys):
    from desktop.ingest import read_file
    oa = read_file(DATA / "openai_cost_export_cached_june.csv").frame
    assert list(oa["token_kind"]) == ["input", "cached_input", "output"] * 2
    an = read_file(DATA / "anthropic_cost_report_june.json").frame
    assert list(an["token_kind"]) == ["input", "cache_write", "cached_input", "output"]
    assert set(an["service_tier"]) == {"standard"}
    au = read_file(DATA / "anthropic_usage_report_june.json").frame
    assert list(zip(au["token_kind"], au["quantity"], strict=True)) == [
        ("input", 1_000_000), ("cached_input", 2_000_000), ("cache_write", 200_000), ("output", 100_000)]
