"""OpenAI: the organization cost export CSV, the Costs API JSON and the Usage API JSON.

Cost export CSV (dashboard "Export" / cost export): one row per time bucket and line item.
date = start_time_iso (else start_time, unix seconds) as its UTC day; cost = amount_value,
currency = amount_currency; line_item "gpt-4o-2024-08-06, input" -> model "gpt-4o-2024-08-06",
meter "input" (a line item without a comma is the meter); project = project_name (else
project_id); api_key = api_key_id. A bucket row with no amount and no line item is an empty
time bucket: imported as zero spend (reported in the warnings).

Costs API JSON (``GET /v1/organization/costs`` pages, or a list of pages): one row per
``data[].results[]``, amount.value / amount.currency, the bucket's start_time.

Usage API completions JSON (``GET /v1/organization/usage/completions``): tokens, not money. One
row per result and token kind (uncached input, cached input, cache-write input, output; each
token once: ``usage_token_rows``) with quantity = tokens, unit "tokens" and cost 0; the report
says so.

JSON rows are numbered 1, 2, ... in the order the results appear in the file.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.vocabulary import service_tier_of, tier_in, token_kind_of
from desktop.ingest import build, parse
from desktop.ingest.formats.base import Context, Match, matched_reason
from desktop.ingest.formats.util import lookup, per_unique
from desktop.ingest.json_stream import Pages
from desktop.ingest.reader import RawTable

EXPORT_COLUMNS = (
    "start_time", "end_time", "start_time_iso", "end_time_iso", "amount_value", "amount_currency",
    "quantity", "quantity_unit", "line_item", "user_id", "api_key_id", "project_id",
    "organization_id", "project_name", "organization_name", "user_email", "api_source",
)
_EXPORT_KEYS = set(EXPORT_COLUMNS)

def usage_token_rows(r: dict) -> tuple[list[tuple[str, int]], bool]:
    """The token kinds of one Usage API completions result, each token counted once:
    ``input_tokens`` includes the cached and cache-write input tokens and the audio/image ones,
    ``output_tokens`` the audio/image output. So: uncached input = input_tokens - cached - cache
    write (``input_uncached_tokens`` when the page gives it), cached input, cache-write input,
    output; the audio counts are parts of these, not rows of their own. Returns ([(meter,
    tokens)], whether the page's counts contradict each other: cached + cache write > input)."""
    def num(key):
        v = r.get(key)
        return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0

    total_in = num("input_tokens")
    cached = num("input_cached_tokens")
    write = num("input_cache_write_tokens")
    uncached = num("input_uncached_tokens") if "input_uncached_tokens" in r else total_in - cached - write
    bad = uncached < 0
    rows = [("input_uncached_tokens", max(uncached, 0)), ("input_cached_tokens", cached),
            ("input_cache_write_tokens", write), ("output_tokens", num("output_tokens"))]
    return [(m, q) for m, q in rows if q], bad


def _unix_day(v):
    if v is None or parse.is_blank(v):
        return None
    try:
        secs = float(v)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(secs) or abs(secs) > 1e11:
        return None
    return (np.datetime64(int(secs), "s").astype("datetime64[D]")).astype("datetime64[ns]")


def _split_line_item(v):
    if v is None or parse.is_blank(v):
        return (None, None)
    s = str(v).strip()
    if "," in s:
        model, meter = s.split(",", 1)
        return (model.strip() or None, meter.strip() or None)
    return (None, s)


def _kind_and_tier(meter: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The token kind and service tier a cost line item's meter names ("input", "cached input",
    "output", "input (batch)"); None where it names none."""
    kinds = pd.Series(per_unique(meter, lambda v: token_kind_of(v) if not parse.is_blank(v) else None),
                      dtype=object)
    tiers = pd.Series(per_unique(meter, lambda v: tier_in(v) if not parse.is_blank(v) else None), dtype=object)
    return kinds, tiers


def _usage_tier(r: dict) -> str | None:
    """A Usage API result's tier: batch when ``batch`` is true, else its ``service_tier``
    ("default" -> standard); None when the page groups by neither or names a tier CommitDesk
    does not know."""
    if r.get("batch") is True:
        return "batch"
    tier = r.get("service_tier")
    if tier is None:
        return "standard" if r.get("batch") is False else None
    return service_tier_of(tier)


class OpenAICostExport:
    id = "openai-cost-export"
    signature_columns = EXPORT_COLUMNS

    def identify(self, table: RawTable, kind: str | None) -> list[Match]:
        if kind not in (None, "usage"):
            return []
        cols = {c.strip().casefold() for c in table.columns}
        if not {"amount_value", "amount_currency"} <= cols or not cols & {"start_time", "start_time_iso"}:
            return []
        matched = len(cols & _EXPORT_KEYS)
        return [Match("openai-cost-export", "usage", matched, len(table.columns),
                      matched_reason("OpenAI cost export", matched, len(table.columns)), self,
                      score=2.0 + matched / 1000.0)]

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        look = lookup(table.columns)

        def col(name):
            c = look.get(name.replace("_", ""))
            return table.data[c] if c is not None else None

        n = len(table.data)
        warnings = list(table.warnings)
        iso = col("start_time_iso")
        unix = col("start_time")
        if iso is not None and unix is not None:
            # prefer the ISO spelling; fall back to unix seconds where it is blank
            iso_blank = parse.blank_mask(iso)
            days = parse.parse_dates(iso.astype(object).where(~iso_blank, None)).values
            udays = per_unique(unix, _unix_day)
            fill = iso_blank & np.array([d is not None for d in udays])
            days = days.copy()
            days[fill] = np.array([d for d in udays[fill]], dtype="datetime64[ns]") if fill.any() else days[fill]
            ok = ~np.isnat(days)
            blank = iso_blank & parse.blank_mask(unix)
            date = build.Parsed(days, ok | blank, blank, iso, "cannot read as a date")
        elif unix is not None:
            udays = per_unique(unix, _unix_day)
            ok = np.array([d is not None for d in udays])
            vals = np.array([d if d is not None else np.datetime64("NaT") for d in udays],
                            dtype="datetime64[ns]")
            blank = parse.blank_mask(unix)
            date = build.Parsed(vals, ok | blank, blank, unix, "cannot read start_time as unix seconds")
        else:
            date = iso
        amount = col("amount_value")
        line = col("line_item")
        empty_bucket = parse.blank_mask(amount) & (parse.blank_mask(line) if line is not None else True)
        if empty_bucket.any():
            amount = amount.astype(object).where(~empty_bucket, "0")
            warnings.append(f"{int(empty_bucket.sum())} empty time bucket(s) (no amount, no line item) "
                            "imported as zero spend")
        model = meter = kind = tier = None
        if line is not None:
            parts = per_unique(line, _split_line_item)
            model = pd.Series([p[0] for p in parts], dtype=object)
            meter = pd.Series([p[1] for p in parts], dtype=object)
            kind, tier = _kind_and_tier(meter)
        project = col("project_name")
        pid = col("project_id")
        if project is None:
            project = pid
        elif pid is not None:
            project = project.astype(object).where(~parse.blank_mask(project), pid)
        columns = {
            "date": date, "vendor": "OpenAI", "cost": amount, "currency": col("amount_currency"),
            "model": model, "meter": meter, "quantity": col("quantity"), "unit": col("quantity_unit"),
            "project": project, "api_key": col("api_key_id"), "token_kind": kind, "service_tier": tier,
        }
        columns = {k: v for k, v in columns.items() if v is not None}
        names = {"date": look.get("starttimeiso", "start_time"), "cost": look.get("amountvalue"),
                 "currency": look.get("amountcurrency"), "model": look.get("lineitem"),
                 "meter": look.get("lineitem"), "quantity": look.get("quantity"),
                 "project": look.get("projectname"), "api_key": look.get("apikeyid")}
        names = {k: v for k, v in names.items() if v}
        return build.Source(kind="usage", columns=columns, names=names, rows=table.rows, raw=table.data,
                            totals=np.zeros(n, bool), warnings=warnings, max_cell_chars=ctx.max_cell_chars,
                            date_order="MDY", default_currency="USD")


def _pages(obj) -> list[dict]:
    if isinstance(obj, dict) and isinstance(obj.get("pages"), list):
        obj = obj["pages"]
    if isinstance(obj, dict):
        return [obj]
    if isinstance(obj, list) and all(isinstance(p, dict) for p in obj):
        return obj
    return []


def _buckets(obj) -> list[dict]:
    """The buckets of a page (or of a list of pages); a streamed file (json_stream.Pages) gives
    them one at a time."""
    if isinstance(obj, Pages):
        return obj.buckets()
    out = []
    for page in _pages(obj):
        data = page.get("data")
        if isinstance(data, list):
            out.extend(b for b in data if isinstance(b, dict))
    return out


class OpenAICostsApi:
    id = "openai-costs-api"

    def identify_json(self, obj, kind: str | None) -> Match | None:
        if kind not in (None, "usage"):
            return None
        buckets = _buckets(obj)
        if not buckets or "start_time" not in buckets[0]:
            return None
        results = [r for b in buckets for r in (b.get("results") or []) if isinstance(r, dict)]
        if results and not all(isinstance(r.get("amount"), dict) for r in results):
            return None
        if not results and not any(str(b.get("object", "")) == "bucket" for b in buckets):
            return None
        if any("costs" not in str(r.get("object", "costs")) for r in results):
            return None
        return Match("openai-costs-api", "usage", len(results), len(results),
                     f"OpenAI Costs API JSON: {len(buckets)} bucket(s), {len(results)} result(s)", self,
                     score=2.0)

    def table_from_json(self, obj, file: str) -> RawTable:
        rows = Rows()
        for b in _buckets(obj):
            for r in b.get("results") or []:
                if not isinstance(r, dict):
                    continue
                amount = r.get("amount") or {}
                rows.append({
                    "start_time": b.get("start_time"), "amount.value": _num_text(amount.get("value")),
                    "amount.currency": amount.get("currency"), "line_item": r.get("line_item"),
                    "project_id": r.get("project_id"), "project_name": r.get("project_name"),
                    "api_key_id": r.get("api_key_id"), "quantity": r.get("quantity"),
                })
        return _table(file, rows, ["start_time", "amount.value", "amount.currency", "line_item",
                                   "project_id", "project_name", "api_key_id", "quantity"])

    def identify(self, table, kind):
        return []

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        d = table.data
        days = per_unique(d["start_time"], _unix_day)
        ok = np.array([x is not None for x in days])
        vals = np.array([x if x is not None else np.datetime64("NaT") for x in days], dtype="datetime64[ns]")
        blank = parse.blank_mask(d["start_time"])
        parts = per_unique(d["line_item"], _split_line_item)
        project = d["project_name"].where(d["project_name"].notna(), d["project_id"])
        kind, tier = _kind_and_tier(pd.Series([p[1] for p in parts], dtype=object))
        columns = {
            "date": build.Parsed(vals, ok | blank, blank, d["start_time"], "cannot read start_time"),
            "vendor": "OpenAI", "cost": d["amount.value"], "currency": d["amount.currency"],
            "model": pd.Series([p[0] for p in parts], dtype=object),
            "meter": pd.Series([p[1] for p in parts], dtype=object),
            "project": project, "api_key": d["api_key_id"], "quantity": d["quantity"],
            "token_kind": kind, "service_tier": tier,
        }
        return build.Source(kind="usage", columns=columns,
                            names={"date": "start_time", "cost": "amount.value",
                                   "currency": "amount.currency"},
                            rows=table.rows, raw=table.data, totals=np.zeros(len(d), bool),
                            warnings=list(table.warnings), default_currency="USD",
                            max_cell_chars=ctx.max_cell_chars)


class OpenAIUsageApi:
    id = "openai-usage-api"

    def identify_json(self, obj, kind: str | None) -> Match | None:
        if kind not in (None, "usage"):
            return None
        buckets = _buckets(obj)
        if not buckets or "start_time" not in buckets[0]:
            return None
        results = [r for b in buckets for r in (b.get("results") or []) if isinstance(r, dict)]
        if not results or not any("input_tokens" in r or "output_tokens" in r for r in results):
            return None
        what = str(results[0].get("object", "organization.usage.completions.result"))
        return Match("openai-usage-api", "usage", len(results), len(results),
                     f"OpenAI Usage API JSON ({what.split('.')[-2] if '.' in what else 'completions'}): "
                     f"{len(buckets)} bucket(s), {len(results)} result(s)", self, score=2.0)

    def table_from_json(self, obj, file: str) -> RawTable:
        rows = Rows()
        odd = 0
        for b in _buckets(obj):
            for r in b.get("results") or []:
                if not isinstance(r, dict):
                    continue
                kinds, bad = usage_token_rows(r)
                odd += bad
                for meter, q in kinds:
                    rows.append({
                        "start_time": b.get("start_time"), "model": r.get("model"), "meter": meter,
                        "tokens": q, "project_id": r.get("project_id"), "api_key_id": r.get("api_key_id"),
                        "user_id": r.get("user_id"), "batch": r.get("batch"),
                        "service_tier": _usage_tier(r),
                    })
        t = _table(file, rows, ["start_time", "model", "meter", "tokens", "project_id", "api_key_id",
                                "user_id", "batch", "service_tier"])
        t.warnings.append("the Usage API reports tokens, not money: rows are imported with cost 0 "
                          "(one row per token kind: uncached input, cached input, cache-write input, "
                          "output; input_tokens includes the cached ones, which are not counted twice); "
                          "import the Costs API or the cost export for spend")
        if odd:
            t.warnings.append(f"{odd} result(s) report more cached and cache-write tokens than input "
                              "tokens; their uncached input is read as 0")
        return t

    def identify(self, table, kind):
        return []

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        d = table.data
        days = per_unique(d["start_time"], _unix_day)
        ok = np.array([x is not None for x in days])
        vals = np.array([x if x is not None else np.datetime64("NaT") for x in days], dtype="datetime64[ns]")
        blank = parse.blank_mask(d["start_time"])
        n = len(d)
        columns = {
            "date": build.Parsed(vals, ok | blank, blank, d["start_time"], "cannot read start_time"),
            "vendor": "OpenAI", "cost": build.Parsed(np.zeros(n, np.int64), np.ones(n, bool),
                                                     np.zeros(n, bool)),
            "currency": "USD", "model": d["model"], "meter": d["meter"], "quantity": d["tokens"],
            "unit": "tokens", "project": d["project_id"], "api_key": d["api_key_id"],
            "token_kind": pd.Series(per_unique(d["meter"], token_kind_of), dtype=object),
            "service_tier": d["service_tier"],
        }
        return build.Source(kind="usage", columns=columns, names={"date": "start_time"}, rows=table.rows,
                            raw=table.data, totals=np.zeros(n, bool), warnings=list(table.warnings),
                            max_cell_chars=ctx.max_cell_chars)


def _num_text(v):
    """A JSON amount as the builder reads it: the exact Decimal / int the page was decoded to
    (desktop/ingest/json_stream.py: parsed once, never spelled out and tokenized again), a
    float by its repr, a string (an API that quotes amounts) as written."""
    if v is None or isinstance(v, (Decimal, str)) or (isinstance(v, int) and not isinstance(v, bool)):
        return v
    if isinstance(v, float):
        return repr(v)
    return str(v)


class Rows:
    """The flattened rows of a JSON file as columns, filled one row (a dict) at a time: no dict
    per row is kept, and equal strings (a currency, a line item, a project repeated on every
    result) are kept once."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {}
        self.n = 0
        self._seen: dict[str, str] = {}

    def append(self, row: dict) -> None:
        seen = self._seen
        cols = self.cols
        for k, v in row.items():
            col = cols.get(k)
            if col is None:
                col = cols[k] = [None] * self.n
            col.append(seen.setdefault(v, v) if v.__class__ is str and len(v) <= 64 else v)
        self.n += 1
        if len(row) != len(cols):  # a key this row lacks is None there
            for col in cols.values():
                if len(col) < self.n:
                    col.append(None)

    def __len__(self) -> int:
        return self.n


def _table(file: str, rows: Rows | list[dict], columns: list[str]) -> RawTable:
    if not isinstance(rows, Rows):
        acc = Rows()
        for r in rows:
            acc.append(r)
        rows = acc
    data = pd.DataFrame({c: pd.Series(rows.cols.get(c, [None] * rows.n), dtype=object) for c in columns})
    return RawTable(file, columns, data, np.arange(1, rows.n + 1, dtype=np.int64), "json")
