"""Mapped source columns -> canonical frame + row errors + ImportReport counts.

A format module hands the builder a ``Source``: for each canonical column either the raw source
values (parsed here, with the file-wide decimal/date decisions), a ``Parsed`` column the format
already parsed, or a constant. The builder rejects rows with problems (one ``ImportIssue`` per
bad cell), excludes totals rows, flags duplicates, and returns the canonical frame of the good
rows via desktop.domain.tables.conform. ``rows_read = rows_imported + rows_rejected +
totals_excluded`` always holds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from desktop.domain import tables, validation, vocabulary
from desktop.domain.results import ImportIssue
from desktop.ingest import parse
from desktop.ingest.sniff import is_total_label

MAX_ISSUES = 1000  # errors listed per file; the count of rejected rows is always complete

LINE_TYPE_SYNONYMS = {
    "usage": "usage", "consumption": "usage", "charge": "usage", "verbrauch": "usage",
    "credit": "credit", "credits": "credit", "refund": "credit", "discount": "credit",
    "gutschrift": "credit", "avoir": "credit", "crédito": "credit", "credito": "credit",
    "tax": "tax", "vat": "tax", "gst": "tax", "sales tax": "tax", "mwst": "tax", "ust": "tax",
    "steuer": "tax", "tva": "tax", "iva": "tax", "taxes": "tax",
    "adjustment": "adjustment", "adjustments": "adjustment", "korrektur": "adjustment",
    "ajustement": "adjustment", "ajuste": "adjustment",
    "commitment": "commitment", "commit": "commitment", "prepayment": "commitment",
    "purchase": "commitment",
    "true_up": "true_up", "true-up": "true_up", "true up": "true_up", "trueup": "true_up",
    # invoice-system spellings (B24)
    "credit memo": "credit", "credit memos": "credit", "credit note": "credit",
    "credit notes": "credit", "refunds": "credit", "discounts": "credit", "rebate": "credit",
    "sales taxes": "tax", "adj": "adjustment", "true ups": "true_up",
}


def line_type_of(x: str) -> str:
    """A line_type spelling -> its canonical name (LINE_TYPE_SYNONYMS after folding case, '-',
    '_', '.' and runs of spaces); an unknown spelling is returned folded (and then rejected)."""
    low = x.casefold().strip()
    if low in LINE_TYPE_SYNONYMS:
        return LINE_TYPE_SYNONYMS[low]
    key = " ".join(low.replace("_", " ").replace("-", " ").rstrip(".").split())
    return LINE_TYPE_SYNONYMS.get(key, low)


@dataclass
class Parsed:
    """A canonical column a format module parsed itself."""

    values: Any  # np.ndarray / Series of the canonical dtype (micros, datetime64, float, str)
    ok: np.ndarray  # parsed fine (or blank)
    blank: np.ndarray
    raw: pd.Series | None = None  # what to show as the bad value
    message: str = ""
    currency: np.ndarray | None = None  # money only: currency found in the cell


@dataclass
class Source:
    kind: str
    columns: dict[str, Any]  # canonical column -> raw Series | Parsed | constant
    names: dict[str, str]  # canonical column -> source column name (for messages)
    rows: np.ndarray
    raw: pd.DataFrame | None = None  # all source columns, for duplicate detection
    reject: dict[int, list[ImportIssue]] = field(default_factory=dict)  # position -> issues
    totals: np.ndarray | None = None  # candidate totals rows (label seen)
    warnings: list[str] = field(default_factory=list)
    decimal: str | None = None  # from the mapping profile
    date_order: str | None = None
    date1904: bool = False
    default_currency: str | None = None
    max_cell_chars: int = 4096
    money_scale: dict[str, int] = field(default_factory=dict)  # e.g. cents -> 2
    sealed: set[int] = field(default_factory=set)  # positions in ``reject`` that need no other issue
    # source column -> what the importer does with it, in words, beyond ``names`` (e.g. Azure
    # Tags -> "team, project, cost_center, environment, workload (by tag key)"); see roles()
    roles: dict[str, list[str]] = field(default_factory=dict)
    # duplicates are found by the caller across several slices of one file (desktop/ingest/
    # stream.py): instead of flagging them here, hand back each good row's content hash
    hash_rows: bool = False

    def role(self, source_column: str | None, text: str) -> None:
        """Say what a source column is used for (several uses are listed in order)."""
        if source_column:
            got = self.roles.setdefault(source_column, [])
            if text not in got:
                got.append(text)


def roles(src: Source) -> dict[str, str]:
    """Source column -> what CommitDesk does with it: the canonical columns it feeds (from
    ``names``, for the columns actually read) and the format's own ``roles``. The wizard's
    mapping view shows this for a detected format (a column not listed is not used)."""
    out: dict[str, list[str]] = {}
    for canon, source in src.names.items():
        if source and canon in src.columns:
            said = src.roles.get(source, ())
            if canon not in out.get(source, []) and not any(canon in t for t in said):
                out.setdefault(source, []).append(canon)
    for source, texts in src.roles.items():
        got = out.setdefault(source, [])
        got.extend(t for t in texts if t not in got)
    return {k: "; ".join(v) for k, v in out.items()}


@dataclass
class Built:
    frame: pd.DataFrame
    rows_read: int
    rows_imported: int
    rows_rejected: int
    totals_excluded: int
    duplicates_flagged: int
    errors: tuple[ImportIssue, ...]
    warnings: tuple[str, ...]
    row_hashes: np.ndarray | None = None  # Source.hash_rows: row_hashes() of the frame's rows
    # per row position: excluded as a totals row; the issues of each rejected row (every one,
    # not only the listed): for a caller whose rows stand for many (a rollup) to count them
    totals_mask: np.ndarray | None = None
    issues_by_position: dict[int, list[ImportIssue]] | None = None


def _rowlist(rows, n: int = 10) -> str:
    rows = list(rows)
    head = ", ".join(str(int(r)) for r in rows[:n])
    return f"{head}" + (f" and {len(rows) - n} more" if len(rows) > n else "")


ISSUE_VALUE_CHARS = 200  # a rejected cell is quoted in the report up to this many characters


def _shown(text: str) -> str:
    """A cell as quoted in an import issue: cut to ISSUE_VALUE_CHARS with an ellipsis that
    says so (and how long the cell was)."""
    if len(text) <= ISSUE_VALUE_CHARS:
        return text
    # a value cut while it was read (desktop/ingest/json_stream.Cut) says how long it was
    return f"{text[:ISSUE_VALUE_CHARS]}… ({getattr(text, 'length', len(text)):,} characters)"


def _cell_text(v) -> str | None:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return None
        return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(float(v))
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    text = str(v).strip()
    return None if parse.is_blank(text) else text


def _str_values(s: pd.Series, cache: dict | None = None, key=None) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """A source column as stripped strings with NA for blanks; numbers as the analyst sees
    them (4711, not 4711.0). Returns (strings, blank mask, lengths), computed per distinct value."""
    if len(s) > 20_000 and parse._is_arrow_string(s):
        return _arrow_str_values(s, cache, key)
    codes, uniques = parse.factorize(s)
    if cache is not None and key is not None:
        cache[key] = codes
    texts = []
    for i, u in enumerate(uniques):
        if not i & 4095:
            parse.tick()
        texts.append(_cell_text(u))
    texts.append(None)
    idx = np.where(codes < 0, len(uniques), codes)
    ublank = np.fromiter((t is None for t in texts), dtype=bool, count=len(texts))
    ulen = np.fromiter((len(t) if t else 0 for t in texts), dtype=np.int64, count=len(texts))
    arr = pd.array(texts, dtype="string").take(idx)
    return pd.Series(arr), ublank[idx], ulen[idx]


def _plain_text(arr):
    """A text column that needs no trimming and holds no blank spelling but empty values
    (``parse.text_facts``): (column with nulls for the blanks, blank mask, lengths, row
    fingerprints) from the buffers alone, or None when the general path must look at the
    values."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    plain, fp, maybe = parse.text_facts(arr, 1 << 62)
    if not plain or (len(maybe) and parse.blank_spelling(arr, maybe)):
        return None
    n = len(arr)
    lens = np.diff(parse.string_offsets(arr))  # ASCII: bytes are characters
    blank = lens == 0  # nulls and empty strings
    if blank.any():
        bits = np.zeros(arr.offset + n, dtype=bool)
        bits[arr.offset:] = ~blank
        valid = pa.py_buffer(np.packbits(bits, bitorder="little"))
        arr = pa.Array.from_buffers(pa.large_string(), n, [valid, *arr.buffers()[1:]], offset=arr.offset)
    return pa.chunked_array([arr]), blank, lens, fp


def _arrow_str_values(s: pd.Series, cache, key):
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(s.array)
    plain = _plain_text(arr)
    if plain is not None:
        cleaned, blank, lens, fp = plain
        if cache is not None and key is not None:
            cache[key] = fp  # equal cells, equal codes: duplicate candidates (then compared)
        return pd.Series(pd.arrays.ArrowStringArray(cleaned)), blank, lens
    trimmed = pc.utf8_trim_whitespace(arr)
    blank = parse.blank_mask(pd.Series(pd.arrays.ArrowStringArray(trimmed))) if len(s) > 20_000 \
        else np.zeros(len(s), bool)
    cleaned = pc.if_else(pa.array(blank), pa.scalar(None, trimmed.type), trimmed)
    lens = np.asarray(pc.fill_null(pc.utf8_length(cleaned), 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    if cache is not None and key is not None:
        cache[key] = pd.factorize(s, use_na_sentinel=True)[0]
    if cleaned.type != pa.large_string():
        cleaned = cleaned.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(cleaned)), blank, lens


class _Issues:
    """The rejected cells of one file: one ImportIssue per bad cell (file row, column, message,
    the value as written), and the mask of rows that have at least one. Rows excluded as totals
    (``keep`` False) collect no issues."""

    def __init__(self, rows: np.ndarray, keep: np.ndarray, reject: dict[int, list[ImportIssue]],
                 sealed: set[int] | None = None):
        self.rows = rows
        self.keep = keep
        self.bad = np.zeros(len(rows), dtype=bool)
        self.by_row: dict[int, list[ImportIssue]] = {k: list(v) for k, v in reject.items()}
        for k in self.by_row:
            self.bad[k] = True
        # rows whose one issue says it all (an over-long line), and cells cut for their length:
        # no further issue on them
        self.quiet = np.zeros(len(rows), dtype=bool)
        self.quiet[list(sealed or ())] = True
        self.cut: dict[str, np.ndarray] = {}

    def add(self, mask: np.ndarray, column: str, message: str, raw: pd.Series | None) -> None:
        mask = mask & self.keep & ~self.quiet
        if column in self.cut:
            mask = mask & ~self.cut[column]
        if not mask.any():
            return
        idx = np.flatnonzero(mask)
        vals = raw.to_numpy() if raw is not None else None
        for i in idx:
            v = None
            if vals is not None:
                x = vals[i]
                v = None if parse.is_blank(x) else _shown(str(x))
            self.by_row.setdefault(int(i), []).append(ImportIssue(int(self.rows[i]), column, message, v))
        self.bad[idx] = True

    def listed(self) -> list[ImportIssue]:
        """The issues of kept rows in row order."""
        flat: list[ImportIssue] = []
        for k in sorted(self.by_row):
            if self.keep[k]:
                flat.extend(self.by_row[k])
        return flat


def build(src: Source) -> Built:
    """The phases, in order: totals rows, file-wide number and date conventions, parse values
    (rejecting bad cells), table rules (rejecting bad rows), duplicates, conform columns, report."""
    spec = tables.SPECS[src.kind]
    rows = np.asarray(src.rows, dtype=np.int64)
    cols: dict[str, Any] = dict(src.columns)  # canonical column -> raw Series | Parsed | constant
    warnings = list(src.warnings)
    totals = totals_rows(src, spec, cols)
    keep = ~totals
    issues = _Issues(rows, keep, src.reject, src.sealed)
    overlong_cells(src, spec, cols, issues)
    decimal, order = file_conventions(src, spec, cols, keep, rows, warnings)
    factor_cache: dict[str, np.ndarray] = {}  # source column -> factorize codes (all rows)
    out, cell_currency = parse_values(src, spec, cols, decimal, order, issues, factor_cache)
    reject_rows(src, spec, cols, out, order, cell_currency, issues)
    good = keep & ~issues.bad
    sel = np.flatnonzero(good)
    if src.hash_rows:
        built = report(conform_columns(out, sel, rows, spec), rows, totals, issues, [], warnings)
        return dataclasses.replace(built, row_hashes=row_hashes(src.raw, sel) if src.raw is not None else None)
    dup_rows = duplicate_rows(src, good, rows, factor_cache)
    frame = conform_columns(out, sel, rows, spec)
    return report(frame, rows, totals, issues, dup_rows, warnings)


def overlong_cells(src: Source, spec: tables.TableSpec, cols: dict[str, Any], issues: _Issues) -> None:
    """A cell longer than ``src.max_cell_chars`` rejects its row, whatever its column's kind, and
    is blanked before any parsing (a 50 MB amount string once took 40 s of CPU to fail as an
    amount). Text columns are measured again, per distinct value, where they are parsed."""
    for c in spec.columns:
        v = cols.get(c.name)
        if c.kind == "str" or not isinstance(v, pd.Series) or not len(v):
            continue
        if parse._is_arrow_string(v):
            import pyarrow.compute as pc

            lens = pc.utf8_length(pa_chunks(v)).fill_null(0).to_numpy()
        elif v.dtype == object:
            lens = np.fromiter((len(x) if isinstance(x, str) else 0 for x in v.to_numpy()),
                               dtype=np.int64, count=len(v))
        else:
            continue
        over = lens > src.max_cell_chars
        if not over.any():
            continue
        label = src.names.get(c.name, c.name)
        issues.add(over, label, f"value is longer than {src.max_cell_chars:,} characters", v)
        issues.cut[label] = over
        vals = v.to_numpy(dtype=object, copy=True)
        vals[over] = None
        cols[c.name] = pd.Series(vals, index=v.index, name=v.name, dtype=object)


def control_cells(s: pd.Series) -> np.ndarray | None:
    """Cells holding a control character other than tab, line feed, carriage return (a NUL
    after the first 64 KiB once became part of a vendor name: "Open\x00AI"); None when none."""
    import pyarrow.compute as pc

    arr = pa_chunks(s)
    if all(_no_control_bytes(chunk) for chunk in arr.chunks):
        return None
    hit = pc.match_substring_regex(arr, parse.CONTROL_RE)
    if not pc.any(hit).as_py():
        return None
    return np.asarray(hit.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _no_control_bytes(arr) -> bool:
    """True when a string array's bytes hold no control character (in UTF-8 each is one byte
    below 32 or 127; every byte of a multi-byte character is 128 or more): one pass over its
    data buffer instead of a regex per cell. False means "look at the cells"."""
    import pyarrow as pa

    if pa.types.is_large_string(arr.type):
        offs = parse.string_offsets(arr)
    elif pa.types.is_string(arr.type):
        offs = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset: arr.offset + len(arr) + 1]
    else:
        return False
    if not len(arr) or arr.buffers()[2] is None:
        return True
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[int(offs[0]): int(offs[-1])]
    return not parse.has_control(data)


def pa_chunks(v: pd.Series):
    """The Arrow chunked array behind an Arrow-backed string Series."""
    import pyarrow as pa

    return pa.chunked_array(pa.array(v.array))


def totals_rows(src: Source, spec: tables.TableSpec, cols: dict[str, Any]) -> np.ndarray:
    """Rows excluded as totals: the format saw a total label in the row (``src.totals``), and
    the row lacks a required non-money value or the label sits in one: "Total Rewards" as a
    team name on a full usage row is data."""
    n = len(src.rows)
    if src.totals is None or not src.totals.any():
        return np.zeros(n, dtype=bool)
    weak = np.zeros(n, dtype=bool)
    for c in spec.required:
        if spec.column(c).kind == "money":
            continue
        v = cols.get(c)
        if isinstance(v, pd.Series):
            label = np.fromiter((is_total_label(x) for x in v.to_numpy()), bool, count=n)
            weak |= parse.blank_mask(v) | label
        elif isinstance(v, Parsed):
            weak |= v.blank | ~v.ok
    return src.totals & weak


def file_conventions(src: Source, spec: tables.TableSpec, cols: dict[str, Any], keep: np.ndarray,
                     rows: np.ndarray, warnings: list[str]) -> tuple[str, str]:
    """The decimal separator and the date order of the whole file (decided from the values of
    the kept rows, else the mapping profile's, else the default), with a warning when the
    file leaves them ambiguous or mixes them. Returns (decimal, date order)."""
    numeric_cols = [v[keep] for c, v in cols.items()
                    if isinstance(v, pd.Series) and spec.column(c).kind in ("money", "float")]
    decimal, dot, comma = parse.decide_decimal(numeric_cols)
    if decimal is None:
        decimal = src.decimal or "."
        if not src.decimal and _has_ambiguous_numbers(numeric_cols):
            warnings.append(
                f"amounts such as 1.234 or 1,234 could be read either way; read with "
                f"{decimal!r} as decimal separator (the default); save a mapping profile to change it")
    elif dot and comma:
        warnings.append(
            f"decimal separators are mixed ({dot} values use '.', {comma} use ','); read with "
            f"{decimal!r}; values spelled the other way are rejected")
    date_cols = [v[keep] for c, v in cols.items()
                 if isinstance(v, pd.Series) and spec.column(c).kind == "date"]
    order, sep, dmy, mdy = parse.decide_date_order(date_cols)
    if order is None:
        order = src.date_order or parse.default_date_order(sep)
        amb = _first_ambiguous_date(cols, spec, keep, rows, src.names) \
            if not src.date_order and sep is not None else None
        if amb is not None:
            value, row, label = amb
            warnings.append(
                f"dates such as {value} could be day-first or month-first (row {row}, column "
                f"{label!r}); read as "
                f"{'day/month/year' if order == 'DMY' else 'month/day/year'} (the default); "
                "save a mapping profile to change it")
    elif dmy and mdy:
        warnings.append(
            f"date spellings are mixed ({dmy} day-first, {mdy} month-first); read as "
            f"{'day/month/year' if order == 'DMY' else 'month/day/year'}; the others are rejected")
    return decimal, order


def parse_values(src: Source, spec: tables.TableSpec, cols: dict[str, Any], decimal: str,
                 order: str, issues: _Issues, factor_cache: dict[str, np.ndarray],
                 ) -> tuple[dict[str, Any], np.ndarray | None]:
    """Every canonical column parsed to its kind (money, date, float, bool, str) with the
    file's conventions; a cell that cannot be read, a required cell left empty, a text longer
    than ``src.max_cell_chars`` is an issue. Returns (canonical column -> values or constant,
    the currency written in the money cells, if any)."""
    n = len(src.rows)
    out: dict[str, Any] = {}
    cell_currency: np.ndarray | None = None
    for c in spec.columns:
        parse.tick()
        v = cols.get(c.name)
        label = src.names.get(c.name, c.name)
        if v is None:
            continue
        if not isinstance(v, (pd.Series, Parsed)):
            out[c.name] = v  # a constant
            continue
        if isinstance(v, Parsed):
            issues.add(~v.ok & ~v.blank, label, v.message or f"cannot read {v.raw!r}", v.raw)
            if c.required:
                issues.add(v.blank, label, validation.REQUIRED, v.raw)
            vals = v.values
            if c.kind == "money":
                if v.currency is not None:
                    cell_currency = v.currency
                vals = np.where(v.ok, vals, 0)
            elif c.kind == "float":
                vals = np.where(v.ok, vals, np.nan)
            out[c.name] = vals
            continue
        raw = v
        if c.kind == "money":
            mc = parse.parse_money(raw, decimal, scale=src.money_scale.get(c.name, 0))
            issues.add(~mc.ok & ~mc.blank, label, validation.UNREADABLE["money"], raw)
            if c.required:
                issues.add(mc.blank, label, validation.REQUIRED, raw)
            out[c.name] = np.where(mc.ok, mc.micros, 0)
            cell_currency = mc.currency
        elif c.kind == "date":
            dc = parse.parse_dates(raw, order, src.date1904)
            far = dc.far if dc.far is not None else np.zeros(n, dtype=bool)
            issues.add(far, label, parse.DATE_RANGE_MESSAGE, raw)
            issues.add(~dc.ok & ~dc.blank & ~far, label, validation.UNREADABLE["date"], raw)
            if c.required:
                issues.add(dc.blank, label, validation.REQUIRED, raw)
            out[c.name] = dc.values
        elif c.kind == "float":
            vals, ok, blank = parse.parse_number(raw, decimal)
            issues.add(~ok & ~blank, label, validation.UNREADABLE["float"], raw)
            if c.required:
                issues.add(blank, label, validation.REQUIRED, raw)
            if c.default is not None:
                vals = np.where(blank, c.default, vals)
            out[c.name] = vals
        elif c.kind == "bool":
            vals, ok, blank = parse.parse_bool(raw)
            issues.add(~ok & ~blank, label, validation.UNREADABLE["bool"], raw)
            out[c.name] = np.where(blank, bool(c.default), vals)
        elif c.kind == "int":  # a count (usage source_rows): a whole number of at least 1
            vals, ok, blank = parse.parse_number(raw, decimal)
            whole = ok & ~blank & np.isfinite(vals) & (vals >= 1) & (np.floor(np.nan_to_num(vals)) == vals)
            issues.add(~blank & ~whole, label, validation.UNREADABLE["int"] + " (at least 1)", raw)
            out[c.name] = np.where(whole, np.nan_to_num(vals), 1 if c.default is None else c.default).astype(np.int64)
        else:  # str
            s, blank, lens = _str_values(raw, factor_cache, src.names.get(c.name))
            if c.required:
                issues.add(blank, label, validation.REQUIRED, raw)
            issues.add(lens > src.max_cell_chars, label,
                       f"value is longer than {src.max_cell_chars:,} characters", raw)
            ctrl = control_cells(s)
            if ctrl is not None:
                issues.add(ctrl & ~(lens > src.max_cell_chars), label,
                           "value holds a control character (e.g. NUL); the file may be damaged", raw)
            out[c.name] = s
    return out, cell_currency


def reject_rows(src: Source, spec: tables.TableSpec, cols: dict[str, Any], out: dict[str, Any],
                order: str, cell_currency: np.ndarray | None, issues: _Issues) -> None:
    """The rules that look at a row rather than a cell, each rejecting the rows that break it.
    The spellings are made canonical first (budget month and dimension, line type, currency from
    the column, the money cells or the default); then every term rule of
    desktop.domain.validation (the rules and messages the store and the GUI editors use: e.g.
    overage_multiplier >= 1, percentages 0-100, a period ending before it starts, a dimension or
    line type outside its vocabulary), one-of groups, and commit periods of one contract that
    overlap (the later one is rejected). Normalises ``out`` in place."""
    n = len(src.rows)
    if src.kind == "budgets" and isinstance(cols.get("month"), pd.Series):
        months, ok, blank = parse.parse_month(cols["month"], order)
        issues.add(~ok & ~blank, src.names.get("month", "month"), validation.MONTH, cols["month"])
        out["month"] = pd.Series(months, dtype="string")
    if src.kind == "budgets" and "dimension" in out and isinstance(out["dimension"], pd.Series):
        d = out["dimension"].str.casefold().str.replace(r"[\s\-]+", "_", regex=True)
        out["dimension"] = d.replace({"costcenter": "cost_center", "cost_centre": "cost_center",
                                      "env": "environment"})
    if "line_type" in out and isinstance(out["line_type"], pd.Series):
        out["line_type"] = _map_distinct(out["line_type"], line_type_of)
    # a contract's status and offer-term words in their canonical (lower-case) spelling
    for name in ("status", "fulfilment", "shortfall_treatment"):
        if src.kind == "commitments" and isinstance(out.get(name), pd.Series):
            out[name] = _map_distinct(out[name], lambda x: x.strip().casefold() or None)
    # token kind and service tier spellings -> their keys (an unknown spelling is kept, folded, and
    # rejected by the vocabulary rule); a blank cell stays blank
    for name, canon in (("token_kind", vocabulary.token_kind_of), ("service_tier", vocabulary.service_tier_of)):
        if name in out and isinstance(out[name], pd.Series):
            out[name] = _map_distinct(out[name], lambda x, canon=canon: canon(x) or x.casefold().strip() or None)
    if "currency" in out or cell_currency is not None:
        out["currency"] = _currencies(src, spec, cols, out.get("currency"), cell_currency, issues)
    for mask, column, message in validation.column_problems(
            src.kind, {k: v for k, v in out.items() if k != "currency"}, n):
        raw = cols.get(column)
        issues.add(mask, src.names.get(column, column), message, raw if isinstance(raw, pd.Series) else None)
    for group in spec.one_of:
        present = [g for g in group if isinstance(out.get(g), pd.Series)]
        if present:
            none = np.ones(n, dtype=bool)
            for g in present:
                none &= out[g].isna().to_numpy()
            issues.add(none, "/".join(group), validation.one_of_message(group), None)
    if src.kind == "commitments" and all(isinstance(out.get(c), (pd.Series, np.ndarray))
                                         for c in ("contract_id", "period_start", "period_end")):
        live = np.flatnonzero(issues.keep & ~issues.bad)  # overlaps among the rows still good
        found = validation.overlaps(pd.Series(out["contract_id"]).iloc[live],
                                    np.asarray(out["period_start"])[live], np.asarray(out["period_end"])[live],
                                    issues.rows[live])
        for pos, message in found:
            one = np.zeros(n, dtype=bool)
            one[live[pos]] = True
            raw = cols.get("period_start")
            issues.add(one, src.names.get("period_start", "period_start"), message,
                       raw if isinstance(raw, pd.Series) else None)
        live = np.flatnonzero(issues.keep & ~issues.bad)  # one status and offer terms per contract
        terms = {c: pd.Series(out[c]).iloc[live] for c in tables.CONTRACT_TERMS
                 if isinstance(out.get(c), (pd.Series, np.ndarray))}
        for pos, column, message in validation.term_clashes(pd.Series(out["contract_id"]).iloc[live], terms):
            one = np.zeros(n, dtype=bool)
            one[live[pos]] = True
            raw = cols.get(column)
            issues.add(one, src.names.get(column, column), message, raw if isinstance(raw, pd.Series) else None)


def _currencies(src: Source, spec: tables.TableSpec, cols: dict[str, Any], cur: Any,
                cell_currency: np.ndarray | None, issues: _Issues) -> pd.Series:
    """Each row's currency: the currency column (symbols to codes; not a three-letter code is
    an issue), else the currency written in the amount (a clash with the column is an issue),
    else the file's default."""
    n = len(src.rows)
    from_column = False
    if isinstance(cur, pd.Series):
        cur = _map_distinct(cur, lambda x: parse.CURRENCY_SYMBOLS.get(x.upper(), x.upper()))
        for mask, _col, message in validation.column_problems(src.kind, {"currency": cur}, n):
            issues.add(mask, src.names.get("currency", "currency"), message, cols.get("currency"))
        from_column = True
    elif isinstance(cur, str):
        cur = pd.Series([cur] * n, dtype="string")
    else:
        cur = pd.Series([pd.NA] * n, dtype="string")
    if cell_currency is not None and pd.notna(pd.Series(cell_currency, dtype=object)).any():
        cc = pd.Series(cell_currency, dtype="string")
        if from_column:
            clash = (cc.notna() & cur.notna() & (cc != cur)).fillna(False).to_numpy()
            money_col = next((c.name for c in spec.columns if c.kind == "money"), "amount")
            issues.add(clash, src.names.get(money_col, money_col),
                       "the amount names a different currency than the currency column", None)
        cur = cur.fillna(cc)
    if src.default_currency:
        cur = cur.fillna(src.default_currency)
    return cur


def duplicate_rows(src: Source, good: np.ndarray, rows: np.ndarray,
                   factor_cache: dict[str, np.ndarray]) -> list[int]:
    """File rows (among the good ones) that repeat an earlier good row in every source column;
    they are flagged, not rejected."""
    if src.raw is None or good.sum() <= 1:
        return []
    sel_good = np.flatnonzero(good)
    raw = src.raw.reset_index(drop=True).iloc[sel_good]
    codes = []
    for j, c in enumerate(src.raw.columns):
        col = src.raw.iloc[:, j]
        if c in factor_cache and len(factor_cache[c]) == len(col):
            codes.append(np.asarray(factor_cache[c], dtype=np.int64)[sel_good])
        elif col.dtype.kind == "f":
            codes.append(np.nan_to_num(col.to_numpy()[sel_good], nan=-0.0).view(np.int64))
        else:
            # codes of the whole column, restricted: equal cells keep equal codes
            codes.append(np.asarray(parse.factorize(col)[0], dtype=np.int64)[sel_good])

    d = duplicate_mask(codes, lambda idx: exact_duplicates(raw.iloc[idx]))
    return rows[good][d].tolist() if d.any() else []


def exact_duplicates(raw: pd.DataFrame) -> np.ndarray:
    """The exact comparison behind every duplicate flag: rows of ``raw`` (source columns, in
    file order) equal to an earlier one in every column as written: duplicated(keep="first")."""
    sub = raw.astype(str)
    sub.columns = range(sub.shape[1])
    return sub.duplicated(keep="first").to_numpy()


_NA_HASH = np.uint64(0x6A09E667F3BCC909)


def row_hashes(raw: pd.DataFrame, sel: np.ndarray) -> np.ndarray:
    """A 64-bit hash per row ``sel`` (positions) of ``raw`` over every source column, from the
    cells' content as ``exact_duplicates`` compares them: equal rows hash equal wherever they
    are, in another slice of the same file too (``duplicate_rows`` folds per-slice codes,
    which only compare within one table). The work is per distinct value of each column."""
    h = np.zeros(len(sel), dtype=np.uint64)
    for j in range(raw.shape[1]):
        codes, uniques = parse.factorize(raw.iloc[:, j])
        text = np.asarray(pd.Series(np.asarray(uniques, dtype=object), dtype=object).astype(str), dtype=object)
        values = np.append(pd.util.hash_array(text, categorize=False), _NA_HASH)
        hash_fold(h, values[np.asarray(codes, dtype=np.int64)[sel]].view(np.int64))
    hash_finish(h)
    return h


def duplicates_warning(rows) -> str:
    """The import report's line on flagged duplicate rows (file row numbers)."""
    return f"{len(rows)} row(s) repeat an earlier row exactly (flagged, kept): rows {_rowlist(rows)}"


def conform_columns(out: dict[str, Any], sel: np.ndarray, rows: np.ndarray,
                    spec: tables.TableSpec) -> pd.DataFrame:
    """The canonical frame of the selected rows (constants repeated, ``_row`` the file row),
    through tables.conform (canonical column order and dtypes)."""
    data: dict[str, Any] = {}
    for name, v in out.items():
        if isinstance(v, pd.Series):
            data[name] = v.iloc[sel].reset_index(drop=True)
        elif isinstance(v, np.ndarray):
            data[name] = v[sel]
        else:
            data[name] = [v] * len(sel)
    data["_row"] = rows[sel]
    return tables.conform(pd.DataFrame(data), spec)


def report(frame: pd.DataFrame, rows: np.ndarray, totals: np.ndarray, issues: _Issues,
           dup_rows: list[int], warnings: list[str]) -> Built:
    """The counts (read = imported + rejected + totals), the totals and duplicates warnings,
    and the issues listed (at most MAX_ISSUES, with a warning saying how many there were)."""
    warnings = list(warnings)
    n_tot = int(totals.sum())
    n_bad = int((issues.bad & issues.keep).sum())
    if n_tot:
        warnings.append(totals_warning(rows[totals]))
    if dup_rows:
        warnings.append(duplicates_warning(dup_rows))
    flat = issues.listed()
    if len(flat) > MAX_ISSUES:
        warnings.append(f"{len(flat):,} problems found; the first {MAX_ISSUES:,} are listed")
        flat = flat[:MAX_ISSUES]
    return Built(frame, len(rows), len(frame), n_bad, n_tot, len(dup_rows), tuple(flat), tuple(warnings),
                 totals_mask=totals, issues_by_position={k: v for k, v in issues.by_row.items() if issues.keep[k]})


def totals_warning(rows) -> str:
    """The import report's line on rows excluded as totals (file row numbers)."""
    return f"{len(rows)} totals row(s) excluded: rows {_rowlist(rows)}"


def duplicate_mask(code_columns: list[np.ndarray], confirm) -> np.ndarray:
    """Rows equal to an earlier row in every column. A hash over per-column codes finds the
    candidates (bucketed by low bits, only shared buckets sorted); ``confirm(idx)`` compares
    the candidate rows exactly and returns their duplicated(keep="first") mask."""
    n = len(code_columns[0]) if code_columns else 0
    if n < 2:
        return np.zeros(n, dtype=bool)
    h = np.zeros(n, dtype=np.uint64)
    for cds in code_columns:
        hash_fold(h, np.asarray(cds, dtype=np.int64))
    hash_finish(h)
    return hash_duplicates(h, confirm)


_MULT = np.uint64(0x9E3779B97F4A7C15)


def hash_fold(h: np.ndarray, codes: np.ndarray) -> None:
    """Mix one column's per-row int64 codes (equal cells, equal codes) into the uint64 row
    hashes ``h``, in place."""
    with np.errstate(over="ignore"):
        np.multiply(h, _MULT, out=h)
        np.add(h, codes.view(np.uint64), out=h)


def hash_finish(h: np.ndarray) -> None:
    """Spread the high bits of the row hashes down (candidate buckets come from all bits)."""
    with np.errstate(over="ignore"):
        h ^= h >> np.uint64(29)
        np.multiply(h, _MULT, out=h)


def hash_duplicates(h: np.ndarray, confirm) -> np.ndarray:
    """Rows whose 64-bit hash repeats are candidates; ``confirm(idx)`` compares them exactly
    and returns their duplicated(keep="first"). Candidates are narrowed in up to three rounds
    (a row stays while another row shares its bucket, each round bucketing by other bits, in
    a table about twice the rows left) before the few left are sorted: equal hashes always
    share every bucket, and the tables stay small (big fresh allocations are slow here)."""
    n = len(h)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    idx = None  # None: every row
    left = h
    for shift in (40, 0, 20):
        m = len(left)
        if m < 4096:
            break
        bits = int(np.ceil(np.log2(m))) + 1
        bucket = ((left >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(np.intp)
        keep = np.flatnonzero(np.bincount(bucket, minlength=1 << bits)[bucket] > 1)
        idx = keep if idx is None else idx[keep]
        left = left[keep]
        if not len(left):
            return out
    srt = np.sort(left)
    rep = srt[1:][srt[1:] == srt[:-1]]
    if rep.size == 0:
        return out
    at = np.isin(left, rep)
    cand = np.flatnonzero(at) if idx is None else idx[at]
    out[cand[confirm(cand)]] = True
    return out


def _map_distinct(s: pd.Series, fn) -> pd.Series:
    """fn applied once per distinct non-NA string; NA stays NA; result is a string Series."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    vals = pd.array([fn(str(u)) for u in uniques] + [None], dtype="string")
    return pd.Series(vals.take(np.where(codes < 0, len(uniques), codes)))


def _has_ambiguous_numbers(cols: list[pd.Series]) -> bool:
    for col in cols:
        if col.dtype.kind in "fiub":
            continue
        for u in pd.unique(col.dropna())[:5000]:
            if isinstance(u, str):
                t = parse.tokenize_number(u)
                if t and ("." in t.body or "," in t.body) and parse.separator_vote(t.body) is None:
                    return True
    return False


def _first_ambiguous_date(cols: dict, spec, keep: np.ndarray, rows: np.ndarray,
                          names: dict) -> tuple[str, int, str] | None:
    """The first date cell of the file that reads differently day-first and month-first
    (e.g. 2/3/2026): (its value as written, its row, its column), or None."""
    for c, v in cols.items():
        if not isinstance(v, pd.Series) or spec.column(c).kind != "date" or v.dtype.kind in "fiuM":
            continue
        codes, uniques = parse.factorize(v)
        amb = np.zeros(len(uniques) + 1, dtype=bool)  # last slot: blank (code -1)
        for i, u in enumerate(uniques[:5000]):
            if isinstance(u, str):
                m = parse._NUMERIC_RE.match(u.strip())
                if m and int(m.group(1)) <= 12 and int(m.group(3)) <= 12 and m.group(1) != m.group(3):
                    amb[i] = True
        hit = np.flatnonzero(amb[codes] & keep)
        if len(hit):
            i = int(hit[0])
            return str(v.iloc[i]).strip(), int(rows[i]), names.get(c, c)
    return None
