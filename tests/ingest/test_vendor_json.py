"""OpenAI Costs/Usage API pages and Anthropic cost/usage report pages (shaped like the vendors'
documented responses; written here)."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd
import pytest

from desktop.domain.money import micros_to_cents, money_sum
from desktop.ingest import UnreadableFile, read_file

DAY1, DAY2 = 1730419200, 1730505600  # 2024-11-01, 2024-11-02 00:00 UTC


def dump(tmp_path, name, obj):
    p = tmp_path / name
    p.write_text(json.dumps(obj))
    return p


def test_openai_costs_api_pages(tmp_path):
    page1 = {"object": "page", "has_more": True, "next_page": "x", "data": [
        {"object": "bucket", "start_time": DAY1, "end_time": DAY2, "results": [
            {"object": "organization.costs.result", "amount": {"value": 0.06, "currency": "usd"},
             "line_item": "gpt-4o-2024-08-06, input", "project_id": "proj_1", "project_name": "Search"},
            {"object": "organization.costs.result", "amount": {"value": 1.2345678, "currency": "usd"},
             "line_item": "gpt-4o-2024-08-06, output", "project_id": "proj_1", "project_name": None},
        ]}]}
    page2 = {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": DAY2, "end_time": DAY2 + 86400, "results": [
            {"object": "organization.costs.result", "amount": {"value": 10, "currency": "usd"},
             "line_item": None, "project_id": None}]}]}
    r = read_file(dump(tmp_path, "costs.json", [page1, page2]))
    rep = r.report
    assert (r.kind, rep.format) == ("usage", "openai-costs-api")
    assert "2 bucket(s), 3 result(s)" in rep.format_reason
    f = r.frame
    assert f["cost"].tolist() == [60_000, 1_234_568, 10_000_000]  # 1.2345678 -> half-up micros
    assert micros_to_cents(money_sum(f["cost"])) == Decimal("11.29")
    assert f["date"].tolist() == [pd.Timestamp("2024-11-01")] * 2 + [pd.Timestamp("2024-11-02")]
    assert f["model"].tolist()[:2] == ["gpt-4o-2024-08-06"] * 2
    assert f["meter"].tolist()[:2] == ["input", "output"]
    assert f["project"].tolist()[:2] == ["Search", "proj_1"]
    assert f["vendor"].unique().tolist() == ["OpenAI"]
    assert f["currency"].unique().tolist() == ["USD"]
    assert f["_row"].tolist() == [1, 2, 3]


def test_openai_usage_api_completions(tmp_path):
    page = {"object": "page", "data": [
        {"object": "bucket", "start_time": DAY1, "end_time": DAY2, "results": [
            {"object": "organization.usage.completions.result", "input_tokens": 1000,
             "output_tokens": 500, "input_cached_tokens": 200, "num_model_requests": 3,
             "project_id": "proj_1", "api_key_id": "key_a", "model": "gpt-4o-mini"}]}]}
    r = read_file(dump(tmp_path, "usage.json", page))
    assert r.report.format == "openai-usage-api"
    f = r.frame
    # input_tokens (1000) includes the 200 cached: 800 uncached + 200 cached, nothing twice
    assert sorted(zip(f["meter"], f["quantity"], strict=True)) == [
        ("input_cached_tokens", 200.0), ("input_uncached_tokens", 800.0), ("output_tokens", 500.0)]
    assert f["quantity"].sum() == 1500
    assert f["cost"].sum() == 0
    assert set(f["unit"]) == {"tokens"} and set(f["api_key"]) == {"key_a"}
    assert any("tokens, not money" in w for w in r.report.warnings)


def test_openai_usage_tokens_are_counted_once(tmp_path):
    """1,000 input (400 cached, 100 of them audio) + 500 output once became 2,000 tokens."""
    page = {"object": "page", "data": [
        {"object": "bucket", "start_time": DAY1, "end_time": DAY2, "results": [
            {"object": "organization.usage.completions.result", "input_tokens": 1000,
             "output_tokens": 500, "input_cached_tokens": 400, "input_audio_tokens": 100,
             "output_audio_tokens": 50, "input_cache_write_tokens": 100, "num_model_requests": 3,
             "model": "gpt-4o"},
            {"object": "organization.usage.completions.result", "input_tokens": 10,
             "input_cached_tokens": 20, "output_tokens": 1, "num_model_requests": 1, "model": "gpt-4o"}]}]}
    r = read_file(dump(tmp_path, "usage.json", page))
    f = r.frame
    first = f[f["_row"] <= 4]
    assert dict(zip(first["meter"], first["quantity"], strict=True)) == {
        "input_uncached_tokens": 500.0, "input_cached_tokens": 400.0, "input_cache_write_tokens": 100.0,
        "output_tokens": 500.0}
    assert first["quantity"].sum() == 1500
    assert any("1 result(s) report more cached" in w for w in r.report.warnings)


def test_anthropic_cost_report_cents(tmp_path):
    page = {"data": [
        {"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z", "results": [
            {"currency": "USD", "amount": "123.45", "workspace_id": "wrkspc_1",
             "description": "Claude Sonnet 4 Usage - Input Tokens", "cost_type": "tokens",
             "context_window": "0-200k", "model": "claude-sonnet-4-20250514",
             "service_tier": "standard", "token_type": "uncached_input_tokens"},
            {"currency": "USD", "amount": "0.5", "workspace_id": None, "description": "Web search",
             "cost_type": "web_search", "model": None, "service_tier": None, "token_type": None}]},
        {"starting_at": "2025-08-02T00:00:00Z", "ending_at": "2025-08-03T00:00:00Z", "results": [
            {"currency": "USD", "amount": "99999.99", "workspace_id": "wrkspc_1",
             "model": "claude-opus-4-20250514", "token_type": "output_tokens", "cost_type": "tokens"}]}],
        "has_more": False, "next_page": None}
    r = read_file(dump(tmp_path, "anthropic_cost.json", page))
    assert (r.kind, r.report.format) == ("usage", "anthropic-cost-report")
    f = r.frame
    # cents: 123.45 -> 1.2345 ; 0.5 -> 0.005 ; 99999.99 -> 999.9999
    assert f["cost"].tolist() == [1_234_500, 5_000, 999_999_900]
    assert micros_to_cents(money_sum(f["cost"])) == Decimal("1001.24")
    assert f["meter"].tolist() == ["uncached_input_tokens", "web_search", "output_tokens"]
    assert f["project"].tolist()[0] == "wrkspc_1"
    assert f["vendor"].unique().tolist() == ["Anthropic"]
    assert f["date"].tolist() == [pd.Timestamp("2025-08-01")] * 2 + [pd.Timestamp("2025-08-02")]


def test_anthropic_usage_report(tmp_path):
    page = {"data": [{"starting_at": "2025-08-01T00:00:00Z", "ending_at": "2025-08-02T00:00:00Z",
                      "results": [{"uncached_input_tokens": 1500, "cache_read_input_tokens": 200,
                                   "cache_creation": {"ephemeral_1h_input_tokens": 1000,
                                                      "ephemeral_5m_input_tokens": 500},
                                   "output_tokens": 700, "model": "claude-sonnet-4-20250514",
                                   "workspace_id": "w1", "api_key_id": "k1"}]}],
            "has_more": False}
    r = read_file(dump(tmp_path, "anthropic_usage.json", page))
    assert r.report.format == "anthropic-usage-report"
    f = r.frame
    assert dict(zip(f["meter"], f["quantity"], strict=True)) == {
        "uncached_input_tokens": 1500.0, "cache_read_input_tokens": 200.0,
        "cache_creation_5m_input_tokens": 500.0, "cache_creation_1h_input_tokens": 1000.0,
        "output_tokens": 700.0}
    assert f["cost"].sum() == 0


def test_unknown_json_is_unreadable(tmp_path):
    with pytest.raises(UnreadableFile, match="unknown shape"):
        read_file(dump(tmp_path, "x.json", {"hello": [1, 2]}))
    p = tmp_path / "bad.json"
    p.write_text('{"data": [')
    with pytest.raises(UnreadableFile, match="not valid JSON"):
        read_file(p)


def test_a_slow_json_page_reports_progress_and_honours_cancel(tmp_path, monkeypatch):
    """Parsing runs in a worker thread: while it works the import keeps reporting progress,
    and a cancel returns at once (the late result is dropped)."""
    import threading

    from desktop.domain.progress import Cancelled, Progress
    from desktop.ingest import core

    page = {"object": "page", "data": [{"object": "bucket", "start_time": DAY1, "end_time": DAY2, "results": [
        {"object": "organization.costs.result", "amount": {"value": 1, "currency": "usd"}}]}]}
    p = dump(tmp_path, "costs.json", page)
    release = threading.Event()
    finished = []
    real = core.Pages.open

    def slow_open(path, max_chars):
        release.wait(30)  # as long as a huge page would take, until the test lets it go
        finished.append(True)
        return real(path, max_chars)

    monkeypatch.setattr(core.Pages, "open", slow_open)
    seen = []

    def cb(f, t):
        seen.append(t)
        if t == "reading JSON":
            prog.cancel()

    prog = Progress(cb)
    with pytest.raises(Cancelled):
        read_file(p, progress=prog)
    assert "reading JSON" in seen and not finished  # returned while the parser still worked
    release.set()
    assert read_file(p).report.rows_imported == 1


# --- streamed and bounded (issue 18) ------------------------------------------------------------

def _costs_page(results, day=DAY1):
    return {"object": "page", "has_more": False, "data": [
        {"object": "bucket", "start_time": day, "end_time": day + 86400, "results": results}]}


def _result(value, line_item="gpt-4o, input"):
    return {"object": "organization.costs.result", "amount": {"value": value, "currency": "usd"},
            "line_item": line_item, "project_id": "proj_1"}


def test_an_over_long_amount_string_rejects_its_row_not_the_file(tmp_path):
    """Once 40 s of CPU before the row was rejected (and a 50 MB page is no longer refused by
    its size): the string is cut while the page is read and its row rejected by the cell check."""
    page = _costs_page([_result("1" * 5_000_000), _result(1.5, "gpt-4o, output")])
    r = read_file(dump(tmp_path, "costs.json", page))
    assert r.report.rows_imported == 1 and r.report.rows_rejected == 1
    (issue,) = r.report.errors
    assert (issue.row, issue.column) == (1, "amount.value")
    assert issue.message == "value is longer than 4,096 characters"
    assert issue.value == "1" * 200 + "… (5,000,000 characters)"
    assert r.frame["cost"].tolist() == [1_500_000]


def test_an_over_long_number_rejects_its_row_not_the_file(tmp_path):
    """A 5-million-digit JSON number: once "not valid JSON (Exceeds the limit (4300 digits) for
    integer string conversion ...)" for the whole file; now its row is rejected."""
    p = tmp_path / "costs.json"
    text = json.dumps(_costs_page([_result(0), _result(2.25, "gpt-4o, output")]))
    p.write_text(text.replace('"value": 0,', '"value": ' + "7" * 5_000_000 + ",", 1))
    r = read_file(p)
    assert r.report.rows_imported == 1 and r.report.rows_rejected == 1
    assert r.report.errors[0].message == "value is longer than 4,096 characters"
    assert r.frame["cost"].tolist() == [2_250_000]


@pytest.mark.parametrize("shape", ["page", "list", "pages", "pretty"])
def test_streamed_pages_read_like_the_whole_document(tmp_path, shape):
    """Every page shape gives the rows json.load of the whole file gave, exact decimals kept;
    more than the 1,000 results the format is told from, counted in the reason."""
    pages = [_costs_page([_result(f"{i}.123456", f"m{i % 3}, input") for i in range(700)], day=DAY1 + d * 86400)
             for d in range(2)]
    doc = {"page": pages[0] | {"data": pages[0]["data"] + pages[1]["data"]}, "list": pages,
           "pages": {"pages": pages}, "pretty": pages}[shape]
    p = tmp_path / "costs.json"
    p.write_text(json.dumps(doc, indent=2 if shape == "pretty" else None))
    r = read_file(p)
    assert r.report.rows_imported == 1400 and r.report.rows_rejected == 0
    assert "2 bucket(s), 1400 result(s)" in r.report.format_reason
    assert r.frame["cost"].iloc[:3].tolist() == [123_456, 1_123_456, 2_123_456]
    assert r.frame["model"].iloc[:3].tolist() == ["m0", "m1", "m2"]


@pytest.mark.parametrize("text", ['{"data": [{"start_time": 1, "results": [', '{"data": [] } x', '{"data": [1,]}'])
def test_broken_json_is_refused_with_the_decoders_position(tmp_path, text):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(UnreadableFile, match="not valid JSON"):
        read_file(p)
