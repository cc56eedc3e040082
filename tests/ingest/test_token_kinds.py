"""Importers keep the token kind and the service tier where the source has them (docs/formats.md
"Token kind and service tier"); the canonical templates take them as columns, validated."""

from __future__ import annotations

import json

import pytest

from desktop.ingest import read_file

DAY1 = 1730419200  # 2024-11-01 00:00 UTC
DATA = __import__("pathlib").Path(__file__).resolve().parents[1] / "data"


def test_openai_usage_api_batch_and_service_tier(tmp_path):
    page = {"object": "page", "data": [{"object": "bucket", "start_time": DAY1, "end_time": DAY1 + 86400, "results": [
        {"object": "organization.usage.completions.result", "input_tokens": 1000, "output_tokens": 10,
         "input_cached_tokens": 400, "model": "gpt-4o-2024-08-06", "batch": True, "service_tier": None},
        {"object": "organization.usage.completions.result", "input_tokens": 50, "output_tokens": 5,
         "model": "gpt-4o-2024-08-06", "batch": False, "service_tier": "default"},
        {"object": "organization.usage.completions.result", "input_tokens": 70, "output_tokens": 0,
         "model": "gpt-4o-2024-08-06", "batch": False, "service_tier": "priority"},
    ]}]}
    p = tmp_path / "usage.json"
    p.write_text(json.dumps(page))
    f = read_file(p).frame
    got = list(zip(f["token_kind"], f["service_tier"], f["quantity"], strict=True))
    assert got == [("input", "batch", 600), ("cached_input", "batch", 400), ("output", "batch", 10),
                   ("input", "standard", 50), ("output", "standard", 5), ("input", "priority", 70)]


def test_openai_cost_line_items_name_kind_and_tier(tmp_path):
    header = "start_time,amount_value,amount_currency,quantity,quantity_unit,line_item\n"
    rows = [f"{DAY1},1.0,usd,1000,tokens,\"gpt-4o-2024-08-06, {m}\"" for m in
            ("input", "cached input", "output", "input (batch)", "cache write", "file search")]
    p = tmp_path / "costs.csv"
    p.write_text(header + "\n".join(rows) + "\n")
    f = read_file(p).frame
    assert [None if v is None or v != v else v for v in f["token_kind"].astype(object).where(
        f["token_kind"].notna(), None)] == ["input", "cached_input", "output", "input", "cache_write", None]
    assert list(f["service_tier"].astype(object).fillna("-")) == ["-", "-", "-", "batch", "-", "-"]


@pytest.mark.parametrize("name, kinds", [
    ("focus-spec-examples/cached_tokens_via_csp_marketplace.csv", ["cached_input", "cache_write"]),
    # the older drafts: TokenType in SkuPriceDetails
    ("focus-spec-examples/foundation_model_via_csp_marketplace.csv", ["cached_input", "cache_write"]),
    ("focus-spec-examples/per_token_foundation_model_api.csv", ["input", "output"]),
    # no token fields in SkuPriceDetails: the SkuMeter words
    ("focus-spec-examples/multi_model_usage.csv", ["input", "output", "input", "output"]),
])
def test_focus_token_kind_from_sku_price_details_or_meter(name, kinds):
    f = read_file(DATA / name, kind="usage").frame
    assert list(f["token_kind"]) == kinds


def test_canonical_columns_are_spelled_and_validated(tmp_path):
    p = tmp_path / "usage.csv"
    p.write_text("date,vendor,cost,model,token_kind,service_tier,quantity,unit\n"
                 "2026-06-01,OpenAI,1.00,gpt-4o,Cached Input,Default,1000,tokens\n"
                 "2026-06-01,OpenAI,1.00,gpt-4o,cache_read_input_tokens,scale,1000,tokens\n"
                 "2026-06-01,OpenAI,1.00,gpt-4o,reasoning,batch,1000,tokens\n")
    r = read_file(p)
    assert list(zip(r.frame["token_kind"], r.frame["service_tier"], strict=True)) == [
        ("cached_input", "standard"), ("cached_input", "priority")]
    (err,) = r.report.errors
    assert (err.row, err.column) == (4, "token_kind")
    assert err.message == "token_kind must be one of input, cached_input, cache_write, cache_write_1h, output"


def test_rate_card_template_with_token_prices(tmp_path):
    p = tmp_path / "rates.csv"
    p.write_text("vendor,model,token_kind,service_tier,contracted_price,unit\n"
                 "OpenAI,gpt-4o,input,,2.50,1M tokens\n"
                 "OpenAI,gpt-4o,input,batch,1.25,per 1M tokens\n"
                 "OpenAI,gpt-4o,output,,10,hours\n")
    r = read_file(p, kind="rate_card")
    (err,) = r.report.errors
    assert (err.row, err.column) == (4, "unit")
    assert list(r.frame["service_tier"].fillna("-")) == ["-", "batch"]
