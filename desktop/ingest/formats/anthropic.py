"""Anthropic Admin API: the cost report and the usage report (JSON pages).

Cost report (``GET /v1/organizations/cost_report``): ``data[]`` buckets with ``starting_at``
and ``results[]``; each result's ``amount`` is a decimal STRING in CENTS of ``currency``
("123.45" = 1.2345 USD), converted exactly. model, workspace_id (-> project), cost_type,
token_type (-> meter), service_tier, description.

Usage report (``GET /v1/organizations/usage_report/messages``): tokens, not money. One row per
result and token kind (uncached input, cache read, cache creation 5m/1h, output), cost 0, unit
"tokens"; the report says so.

A file may hold one page, a list of pages, or {"pages": [...]}. JSON rows are numbered 1, 2, ...
in the order the results appear.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desktop.domain.vocabulary import service_tier_of, token_kind_of
from desktop.ingest import build
from desktop.ingest.formats.base import Context, Match
from desktop.ingest.formats.openai import Rows, _num_text, _pages, _table
from desktop.ingest.json_stream import Pages
from desktop.ingest.reader import RawTable


def _buckets(obj) -> list[dict]:
    if isinstance(obj, Pages):  # streamed: one bucket at a time
        return (b for b in obj.buckets() if "starting_at" in b)
    out = []
    for page in _pages(obj):
        data = page.get("data")
        if isinstance(data, list):
            out.extend(b for b in data if isinstance(b, dict) and "starting_at" in b)
    return out


def _results(buckets):
    pairs = ((b, r) for b in buckets for r in (b.get("results") or []) if isinstance(r, dict))
    return list(pairs) if isinstance(buckets, list) else pairs


class AnthropicCostReport:
    id = "anthropic-cost-report"

    def identify_json(self, obj, kind: str | None) -> Match | None:
        if kind not in (None, "usage"):
            return None
        buckets = _buckets(obj)
        if not buckets:
            return None
        res = _results(buckets)
        if res and not all("amount" in r for _, r in res):
            return None
        if not res:
            return None
        return Match("anthropic-cost-report", "usage", len(res), len(res),
                     f"Anthropic cost report JSON: {len(buckets)} bucket(s), {len(res)} result(s); "
                     "amounts in cents", self, score=2.0)

    def table_from_json(self, obj, file: str) -> RawTable:
        rows = Rows()
        for b, r in _results(_buckets(obj)):
            rows.append({
                "starting_at": b.get("starting_at"), "amount": _num_text(r.get("amount")),
                "currency": r.get("currency"), "model": r.get("model"),
                "workspace_id": r.get("workspace_id"), "cost_type": r.get("cost_type"),
                "token_type": r.get("token_type"), "service_tier": r.get("service_tier"),
                "description": r.get("description"), "context_window": r.get("context_window"),
            })
        return _table(file, rows, ["starting_at", "amount", "currency", "model", "workspace_id",
                                   "cost_type", "token_type", "service_tier", "description",
                                   "context_window"])

    def identify(self, table, kind):
        return []

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        d = table.data
        meter = d["token_type"].where(d["token_type"].notna(), d["cost_type"])
        meter = meter.where(meter.notna(), d["description"])
        return build.Source(
            kind="usage",
            columns={"date": d["starting_at"], "vendor": "Anthropic", "cost": d["amount"],
                     "currency": d["currency"], "model": d["model"], "meter": meter,
                     "project": d["workspace_id"], **_kind_and_tier(d["token_type"], d["service_tier"])},
            names={"date": "starting_at", "cost": "amount", "currency": "currency"},
            rows=table.rows, raw=table.data, totals=np.zeros(len(d), bool),
            warnings=list(table.warnings), default_currency="USD", money_scale={"cost": 2},
            max_cell_chars=ctx.max_cell_chars)


def _kind_and_tier(token_type: pd.Series, tier: pd.Series) -> dict:
    """token_kind from the token type ("cache_read_input_tokens" -> cached_input,
    "cache_creation.ephemeral_1h_input_tokens" -> cache_write_1h), service_tier from service_tier
    ("standard", "batch", "priority"); None where the report does not say (or says something
    CommitDesk does not know)."""
    def known(fn):
        return lambda v: fn(v) if isinstance(v, str) else None
    return {"token_kind": pd.Series([known(token_kind_of)(v) for v in token_type], dtype=object),
            "service_tier": pd.Series([known(service_tier_of)(v) for v in tier], dtype=object)}


TOKEN_KINDS = (
    ("uncached_input_tokens", "uncached_input_tokens"),
    ("cache_read_input_tokens", "cache_read_input_tokens"),
    ("cache_creation.ephemeral_5m_input_tokens", "cache_creation_5m_input_tokens"),
    ("cache_creation.ephemeral_1h_input_tokens", "cache_creation_1h_input_tokens"),
    ("output_tokens", "output_tokens"),
)


def _dig(r: dict, path: str):
    cur = r
    for p in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(p)
    return cur


class AnthropicUsageReport:
    id = "anthropic-usage-report"

    def identify_json(self, obj, kind: str | None) -> Match | None:
        if kind not in (None, "usage"):
            return None
        buckets = _buckets(obj)
        res = _results(buckets)
        if not res or not any("output_tokens" in r or "uncached_input_tokens" in r for _, r in res):
            return None
        return Match("anthropic-usage-report", "usage", len(res), len(res),
                     f"Anthropic usage report JSON: {len(buckets)} bucket(s), {len(res)} result(s)",
                     self, score=2.0)

    def table_from_json(self, obj, file: str) -> RawTable:
        rows = Rows()
        for b, r in _results(_buckets(obj)):
            for path, meter in TOKEN_KINDS:
                q = _dig(r, path)
                if q in (None, 0):
                    continue
                rows.append({"starting_at": b.get("starting_at"), "model": r.get("model"), "meter": meter,
                             "tokens": q, "workspace_id": r.get("workspace_id"),
                             "api_key_id": r.get("api_key_id"), "service_tier": r.get("service_tier")})
        t = _table(file, rows, ["starting_at", "model", "meter", "tokens", "workspace_id", "api_key_id",
                                "service_tier"])
        t.warnings.append("the usage report holds tokens, not money: rows are imported with cost 0 "
                          "(one row per token kind); import the cost report for spend")
        return t

    def identify(self, table, kind):
        return []

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        d = table.data
        n = len(d)
        return build.Source(
            kind="usage",
            columns={"date": d["starting_at"], "vendor": "Anthropic",
                     "cost": build.Parsed(np.zeros(n, np.int64), np.ones(n, bool), np.zeros(n, bool)),
                     "currency": "USD", "model": d["model"], "meter": d["meter"], "quantity": d["tokens"],
                     "unit": "tokens", "project": d["workspace_id"], "api_key": d["api_key_id"],
                     **_kind_and_tier(d["meter"], d["service_tier"])},
            names={"date": "starting_at"}, rows=table.rows, raw=table.data, totals=np.zeros(n, bool),
            warnings=list(table.warnings), max_cell_chars=ctx.max_cell_chars)

