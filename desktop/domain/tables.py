"""Canonical tables: the one place that says which columns exist and how they are typed.

Every importer produces these frames; every domain function consumes them.

Representation (see docs/domain.md "Canonical representation"):

* ``date`` columns: ``datetime64[ns]``, naive, normalised to midnight (the UTC day).
* ``money`` columns: ``int64`` micros (desktop.domain.money).
* ``str`` columns: pandas ``string`` dtype (``pd.NA`` when missing), stripped. In the tables
  named in ``DICTIONARY_TABLES`` (usage: a million rows, a few dozen distinct values per column)
  every text column, ``_file`` included, is dictionary-encoded once, where the rows are read:
  a pandas ``Categorical`` whose categories are the distinct values (``string`` dtype, sorted,
  no NA; missing = code -1). One byte per row instead of a Python or Arrow string; the store
  keeps it so (Arrow dictionary), the usage index reads the codes, never the strings
  (``text_codes``), and frames of such a table are combined with ``concat``.
* ``float`` columns: ``float64`` (quantities, percentages, multipliers, rates as ratios).
* ``bool`` columns: ``bool`` (missing -> the column default).
* ``int`` columns: ``int64``.
* Every table also carries provenance: ``_file`` (str, the source file name) and ``_row``
  (int64, the 1-based row number as the analyst sees it in that file; for spreadsheets the
  sheet row, for CSV the physical line number counting the header as line 1).
* ``vendor`` holds ``normalize_vendor(raw)``; compare vendors with ``vendor_key`` (casefold).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

Kind = Literal["str", "date", "money", "float", "bool", "int"]

# The calendar CommitDesk accepts for commit periods, budget months and the as-of date: wide
# enough for any contract, narrow enough that day arithmetic stays inside datetime64[ns]
# (which ends 2262-04-11). A date outside it is a typo ("1726" for "2026"), reported as such.
FIRST_YEAR = 1900
LAST_YEAR = 2261


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False
    default: Any = None
    doc: str = ""


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[Column, ...]
    # groups of alternatives of which at least one must be present (e.g. model or meter)
    one_of: tuple[tuple[str, ...], ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


# an optional column that, when a file does not give it, takes another column's values
SAME_AS: dict[tuple[str, str], str] = {("usage", "billed_cost"): "cost"}


def _c(name: str, kind: Kind, required: bool = False, default: Any = None, doc: str = "") -> Column:
    return Column(name, kind, required, default, doc)


COMMITMENTS = TableSpec(
    "commitments",
    (
        _c("contract_id", "str", True),
        _c("vendor", "str", True),
        _c("period_start", "date", True),
        _c("period_end", "date", True, doc="inclusive"),
        _c("commitment", "money", True),
        _c("currency", "str", default="USD"),
        _c("discount_pct", "float", default=0.0),
        _c("overage_multiplier", "float", default=1.0),
        _c("shortfall_penalty_pct", "float", default=100.0),
        _c("rollover_pct", "float", default=0.0),
        _c("clause", "str"),
        _c("owner", "str"),
        _c("escalation_owner", "str"),
        _c("notes", "str"),
        # spend (money, the default) or usage (committed_quantity of ``unit``: consumed
        # quantity against committed quantity; desktop/domain/contracts.py)
        _c("commitment_category", "str", default="spend"),
        _c("committed_quantity", "float"),
        _c("unit", "str"),
        # offers are contracts (docs/domain.md "Offers"): a proposed contract never draws down
        # usage; an expired one keeps its history. One status and one value of each offer term
        # per contract (a blank takes the others'); all optional.
        _c("status", "str", default="active", doc="active | proposed | expired"),
        _c("fulfilment", "str", doc="period | term (blank = period): the minimum binds each period or the total"),
        _c("rollover_cap", "float", doc="money cap on the shortfall carried out of one period (blank = no cap; "
                                        "a term, not an amount summed: float64 read as Decimal(str()))"),
        _c("rollover_expiry_periods", "float", doc="following periods a carry stays open (blank = 1)"),
        _c("shortfall_treatment", "str", doc="penalty | credit (blank = penalty)"),
        _c("notice_days", "float", doc="renewal notice period in days: notice deadline = term end - notice_days"),
    ),
)

USAGE = TableSpec(
    "usage",
    (
        _c("date", "date", True, doc="or timestamp, cut to its UTC day"),
        _c("vendor", "str", True),
        _c("cost", "money", True),
        _c("currency", "str", default="USD"),
        _c("model", "str"),
        _c("meter", "str"),
        _c("quantity", "float"),
        _c("unit", "str"),
        _c("team", "str"),
        _c("project", "str"),
        _c("cost_center", "str"),
        _c("environment", "str"),
        _c("api_key", "str"),
        _c("workload", "str"),
        _c("contract_id", "str"),
        _c("commit_eligible", "bool", default=True),
        # token-level rate cards (docs/domain.md "Rate audit"): what the quantity counts
        _c("token_kind", "str", doc="input | cached_input | cache_write | cache_write_1h | output"),
        _c("service_tier", "str", doc="standard | batch | flex | priority | provisioned"),
        _c("service", "str", doc="the cloud service a cloud-export row bills (Azure \"MeterCategory / "
                                 "MeterSubCategory\", FOCUS \"ServiceCategory / ServiceName\"); judged by "
                                 "the AI-service rule (domain/ai_services.py)"),
        # what the provider's export says about billing (FOCUS; docs/formats.md): the invoice the
        # row is billed on, its BilledCost (absent: the row's cost), and what tells two snapshots
        # of one export apart (desktop/domain/snapshots.py)
        _c("invoice_id", "str"),
        _c("billed_cost", "money", doc="absent = cost (SAME_AS)"),
        _c("billing_account", "str"),
        _c("billing_period", "date", doc="first day of the provider's billing period"),
        _c("exported_at", "str", doc="when the provider wrote the export: ISO 8601 UTC, as sortable text"),
        # a commitment discount (reserved instance, savings plan) that covered the row (FOCUS
        # CommitmentDiscount*): its id, Used/Unused, Spend/Usage, type, and the quantity of the
        # discount the row used or left unused, in its unit (desktop/domain/commitment_discounts.py)
        _c("commitment_discount_id", "str"),
        _c("commitment_discount_status", "str"),
        _c("commitment_discount_category", "str"),
        _c("commitment_discount_type", "str"),
        _c("commitment_discount_quantity", "float"),
        _c("commitment_discount_unit", "str"),
        # how many source rows the row stands for: 1 for a file's row, N for a daily rollup row
        # computed where the data lives (desktop/ingest/rollup.py); counts of rows behind a
        # figure sum it (``source_row_count``)
        _c("source_rows", "int", default=1, doc="source rows this row rolls up (1 = a file row)"),
    ),
)

INVOICES = TableSpec(
    "invoices",
    (
        _c("invoice_id", "str", True),
        _c("vendor", "str", True),
        _c("invoice_date", "date", True),
        _c("amount", "money", True),
        _c("period_start", "date"),
        _c("period_end", "date"),
        _c("description", "str"),
        _c("model", "str"),
        _c("meter", "str"),
        _c("quantity", "float"),
        _c("unit_price", "float", doc="per unit; compared to the rate card as Decimal(str())"),
        _c("line_type", "str", default="usage"),
        _c("currency", "str", default="USD"),
        _c("contract_id", "str"),
        _c("token_kind", "str", doc="of a per-token line (rate audit)"),
        _c("service_tier", "str", doc="the tier the line charges (rate audit)"),
    ),
)

BUDGETS = TableSpec(
    "budgets",
    (
        _c("allocation", "str", True),
        _c("month", "str", True, doc="YYYY-MM"),
        _c("budget", "money", True),
        _c("dimension", "str", True),
        _c("value", "str", True),
        _c("vendor", "str"),
        _c("owner", "str"),
        _c("containment_owner", "str"),
        _c("escalation_owner", "str"),
        _c("category", "str"),
        _c("cost_center", "str"),
        _c("gl_account", "str"),
    ),
)

RATE_CARD = TableSpec(
    "rate_card",
    (
        _c("vendor", "str", True),
        _c("model", "str"),
        _c("meter", "str"),
        _c("contracted_price", "float", True, doc="per unit, kept as float64; compared via Decimal(str())"),
        _c("unit", "str"),
        _c("list_price", "float"),
        _c("effective_from", "date"),
        _c("effective_to", "date"),
        _c("owner", "str"),
        _c("currency", "str", doc="of contracted_price and list_price; empty = the reporting currency"),
        _c("token_kind", "str", doc="a price per token kind; unit = how many tokens (default 1M tokens)"),
        _c("service_tier", "str", doc="the tier the price is for; empty = standard"),
    ),
    one_of=(("model", "meter"),),
)

ORG_MAP = TableSpec(
    "org_map",
    (
        _c("team", "str", True),
        _c("cost_center", "str", True),
        _c("gl_account", "str"),
        _c("owner", "str"),
    ),
)

FX_RATES = TableSpec(
    "fx_rates",
    (
        _c("currency", "str", True),
        _c("rate", "float", True, doc="reporting-currency units per unit; converted via Decimal(str())"),
        _c("valid_from", "date"),
        _c("valid_to", "date", doc="inclusive"),
    ),
)

SPECS: dict[str, TableSpec] = {
    s.name: s for s in (COMMITMENTS, USAGE, INVOICES, BUDGETS, RATE_CARD, ORG_MAP, FX_RATES)
}

# A vendor's offer file (docs/domain.md "Offers"): the commitments template (status proposed:
# every row of an offer file is an offer), optionally with `offer` naming each offer (its rows are
# its commit periods; without it, contract_id names the offer). Read by desktop/domain/offers.py
# for the `renewal` command and, on import, kept in the workspace as proposed contracts. Not a
# workspace table (not in SPECS); validated by the same layer (the commitments rules plus
# "an offer is a spend commitment").
OFFERS = TableSpec(
    "offers",
    (
        _c("offer", "str", doc="the offer's name (blank or absent: its contract_id); its rows are its periods"),
        *COMMITMENTS.columns,
    ),
)

# the columns that hold one value per contract (an offer's terms and the status)
CONTRACT_TERMS = ("status", "fulfilment", "rollover_cap", "rollover_expiry_periods", "shortfall_treatment",
                  "notice_days")


_PANDAS_DTYPES = {
    "str": "string",
    "date": "datetime64[ns]",
    "money": "int64",
    "float": "float64",
    "bool": "bool",
    "int": "int64",
}


def pandas_dtype(kind: Kind) -> str:
    return _PANDAS_DTYPES[kind]


# the tables whose text columns are dictionary-encoded (see the module docstring)
DICTIONARY_TABLES = frozenset({"usage"})
_STRING = pd.StringDtype()


def is_dictionary(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.CategoricalDtype)


def _categorical(codes: np.ndarray, categories: pd.Index | np.ndarray | list, index=None) -> pd.Series:
    """A text column from codes (-1 = NA) over distinct non-NA ``categories`` (sorted here)."""
    cats = pd.Index(categories, dtype=_STRING)
    codes = np.asarray(codes)
    if len(cats) > 1 and not cats.is_monotonic_increasing:
        order = np.argsort(cats.to_numpy(dtype=object), kind="stable")
        rank = np.empty(len(cats) + 1, dtype=np.int64)
        rank[order] = np.arange(len(cats))
        rank[-1] = -1
        codes = rank[codes]
        cats = cats[order]
    cat = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(cats))
    return pd.Series(cat, index=index, copy=False)


def from_codes(codes: np.ndarray, values: list[str] | np.ndarray, index=None) -> pd.Series:
    """A dictionary-encoded text column from codes into ``values`` (distinct; -1 = NA)."""
    return _categorical(np.asarray(codes), pd.Index(list(values), dtype=_STRING), index)


def text_column(values: Any, index=None) -> pd.Series:
    """A text column of a dictionary-encoded table (``DICTIONARY_TABLES``) from any text: a
    Series (string, object or categorical), a sequence, or an Arrow (chunked) string or
    dictionary array. Values are kept as they are (no trimming: ``conform`` trims)."""
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        pa = None
    if pa is not None and isinstance(values, (pa.Array, pa.ChunkedArray)):
        import pyarrow.compute as pc

        arr = values if pa.types.is_dictionary(values.type) else pc.dictionary_encode(values)
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.unify_dictionaries().combine_chunks() if arr.num_chunks else pa.array(
                [], pa.dictionary(pa.int32(), pa.large_string()))
        d = arr.dictionary
        if d.null_count or len(pc.unique(d)) != len(d):  # an unusual dictionary: re-encode its values
            return text_column(arr.dictionary_decode(), index)
        codes = arr.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return _categorical(codes, pd.Index(d.to_pylist(), dtype=_STRING), index)
    if isinstance(values, pd.Series) and is_dictionary(values):
        if values.cat.categories.dtype == _STRING and values.cat.categories.is_monotonic_increasing:
            return values if index is None else values.set_axis(index)
        cats = pd.Index(values.cat.categories.astype(str), dtype=_STRING)
        codes, uniq = pd.factorize(cats, sort=True)
        remap = np.append(codes, -1)
        return _categorical(remap[values.cat.codes.to_numpy()], uniq, index if index is not None else values.index)
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    s = s.astype(_STRING)
    codes, uniq = pd.factorize(s, sort=True, use_na_sentinel=True)
    return _categorical(codes, uniq, index if index is not None else s.index)


def repeat_text(value: str, n: int, dictionary: bool = True) -> pd.Series:
    """``value`` in each of ``n`` rows (a file name in ``_file``): one code per row when
    ``dictionary``, else a ``string`` column."""
    if not dictionary:
        return pd.Series([value] * n, dtype=_STRING)
    return _categorical(np.zeros(n, dtype=np.int8), [value])


def text_codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, -1 for NA; the distinct values by code as an object array of str) of a
    text column, exactly as ``pd.factorize`` numbers them (in order of first appearance), without
    touching a string per row when the column is dictionary-encoded (its codes are renumbered;
    narrow integer dtype: callers widen where they compute with them)."""
    if is_dictionary(s):
        codes = s.cat.codes.to_numpy()
        cats = s.cat.categories.to_numpy(dtype=object)
        seen = pd.unique(codes)
        seen = seen[seen >= 0]
        if len(seen) == len(cats) and (seen == np.arange(len(cats))).all():
            return codes, cats
        rank = np.full(len(cats) + 1, -1, dtype=np.int64)  # rank[-1]: NA stays -1
        rank[seen] = np.arange(len(seen))
        return rank[codes], cats[seen]
    codes, uniques = pd.factorize(s.astype(_STRING), use_na_sentinel=True)
    return codes, np.asarray(uniques.to_numpy(dtype=object), dtype=object)


def text_values(s: pd.Series) -> pd.Series:
    """A text column as pandas ``string`` (one string object per row: for small frames and
    selected rows only; on a dictionary-encoded 1M-row column prefer ``text_codes``)."""
    return s.astype(_STRING)


def recode(s: pd.Series, fn) -> pd.Series:
    """``fn`` (a function of a ``string`` Series) applied to a text column: on the distinct
    values of a dictionary-encoded column (which stays so; values that become equal merge,
    values that become NA are NA), else to the column itself."""
    if not is_dictionary(s):
        return fn(s.astype(_STRING))
    cats = s.cat.categories
    mapped = fn(pd.Series(cats, dtype=_STRING)).astype(_STRING)
    new, uniq = pd.factorize(mapped, sort=True, use_na_sentinel=True)
    remap = np.append(new, -1)
    return _categorical(remap[s.cat.codes.to_numpy()], uniq, s.index)


def fill_text(s: pd.Series, value: str) -> pd.Series:
    """A text column with NA replaced by ``value`` (dictionary-encoded columns stay so)."""
    if not is_dictionary(s):
        return s.fillna(value)
    missing = s.cat.codes.to_numpy() < 0
    return put_text(s, missing, value) if missing.any() else s


def put_text(s: pd.Series, mask: np.ndarray, value: str) -> pd.Series:
    """A text column with ``value`` in the rows of ``mask`` (dictionary-encoded stays so)."""
    if not is_dictionary(s):
        out = s.astype(_STRING).copy()
        out[mask] = value
        return out
    cats = s.cat.categories
    at = cats.get_indexer([value])[0]
    if at < 0:
        cats = cats.append(pd.Index([value], dtype=_STRING))
        at = len(cats) - 1
    return _categorical(np.where(mask, at, s.cat.codes.to_numpy()), cats, s.index)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of canonical frames of one table, one after the other (index 0..n-1). Dictionary
    columns stay dictionary-encoded over the union of their values (pandas' own concat would
    turn columns with different categories into Python objects)."""
    frames = [f for f in frames if f is not None]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    names = list(dict.fromkeys(c for f in frames for c in f.columns))
    text = [c for c in names if any(c in f.columns and is_dictionary(f[c]) for f in frames)]
    if not text:
        return pd.concat(frames, ignore_index=True)
    rest = pd.concat([f.drop(columns=[c for c in text if c in f.columns]) for f in frames], ignore_index=True)
    cols = {c: rest[c] for c in rest.columns}
    for c in text:
        cols[c] = _concat_text([f[c] if c in f.columns else pd.Series(pd.NA, index=f.index, dtype=_STRING)
                                for f in frames], rest.index)
    return pd.DataFrame({c: cols[c] for c in names}, index=rest.index)


def _concat_text(cols: list[pd.Series], index) -> pd.Series:
    parts = [text_column(c) for c in cols]
    cats = pd.Index(sorted(set().union(*(set(p.cat.categories.tolist()) for p in parts))), dtype=_STRING)
    lookup = {v: i for i, v in enumerate(cats.tolist())}
    codes = []
    for p in parts:
        remap = np.array([lookup[v] for v in p.cat.categories.tolist()] + [-1], dtype=np.int64)
        codes.append(remap[p.cat.codes.to_numpy().astype(np.int64)])
    return _categorical(np.concatenate(codes) if codes else np.zeros(0, np.int64), cats, index)


_EMPTY: dict[str, pd.DataFrame] = {}


def empty(spec: TableSpec | str) -> pd.DataFrame:
    """An empty canonical frame with every column (including provenance) typed (built once per
    table; each call gets its own frame object)."""
    if isinstance(spec, str):
        spec = SPECS[spec]
    made = _EMPTY.get(spec.name) if SPECS.get(spec.name) is spec else None
    if made is None:
        made = _make_empty(spec)
        if SPECS.get(spec.name) is spec:
            _EMPTY[spec.name] = made
    return made.copy(deep=False)


def _make_empty(spec: TableSpec) -> pd.DataFrame:
    data = {c.name: pd.Series([], dtype=pandas_dtype(c.kind)) for c in spec.columns}
    data["_file"] = pd.Series([], dtype="string")
    data["_row"] = pd.Series([], dtype="int64")
    if spec.name in DICTIONARY_TABLES:
        for name, s in data.items():
            if s.dtype == _STRING:
                data[name] = text_column(s)
    return pd.DataFrame(data)


def conform(df: pd.DataFrame, spec: TableSpec | str) -> pd.DataFrame:
    """Return ``df`` with exactly the spec's columns (+ provenance), missing optional columns
    filled with their defaults and every column cast to its canonical dtype.

    The caller guarantees that values are already parsed (money as int micros, dates as
    datetimes). Raises KeyError naming the first missing required column.
    """
    if isinstance(spec, str):
        spec = SPECS[spec]
    n = len(df)
    dictionary = spec.name in DICTIONARY_TABLES
    out: dict[str, pd.Series] = {}
    index = pd.RangeIndex(n)
    for c in spec.columns:
        if c.name in df.columns:
            s = df[c.name].reset_index(drop=True)
        elif (spec.name, c.name) in SAME_AS:
            s = out[SAME_AS[(spec.name, c.name)]]
        elif c.required:
            raise KeyError(c.name)
        elif c.kind == "int" and c.default is not None:  # a constant: no per-row work
            out[c.name] = pd.Series(np.full(n, c.default, dtype=np.int64), index=index)
            continue
        elif c.default is None and c.kind in ("str", "float"):
            # an absent optional column: typed blanks at once (no per-row work)
            if c.kind == "str" and dictionary:
                out[c.name] = _categorical(np.full(n, -1, dtype=np.int8), [], index)
            else:
                out[c.name] = pd.Series(pd.NA if c.kind == "str" else np.nan, index=index,
                                        dtype=pandas_dtype(c.kind))
            continue
        else:
            s = pd.Series([c.default] * n, index=index, dtype=object)
        dt = pandas_dtype(c.kind)
        if c.kind == "bool":
            s = s.astype(object).where(s.notna(), c.default if c.default is not None else False)
            s = s.astype(bool)
        elif c.kind == "money":
            s = s.astype("int64")
        elif c.kind == "date":
            s = pd.to_datetime(s).astype("datetime64[ns]").dt.normalize()
        elif c.kind == "float":
            s = pd.to_numeric(s).astype("float64")
        elif c.kind == "str" and dictionary:
            s = _stripped_text(s, c.default, index)
        elif c.kind == "str":
            s = s.astype("string").str.strip()
            if c.default is not None:
                s = s.fillna(c.default)
        else:
            s = s.astype(dt)
        out[c.name] = s
    files = df["_file"].reset_index(drop=True) if "_file" in df.columns else None
    if dictionary:
        out["_file"] = text_column(files, index) if files is not None else _categorical(np.zeros(n, np.int8), [""],
                                                                                          index)
    else:
        out["_file"] = (files if files is not None else pd.Series([""] * n, index=index)).astype("string")
    out["_row"] = (df["_row"].reset_index(drop=True) if "_row" in df.columns
                   else pd.Series(np.arange(2, n + 2), index=index)).astype("int64")
    frame = pd.DataFrame(out, index=index)
    if "vendor" in frame.columns:
        frame["vendor"] = normalize_vendor_series(frame["vendor"])
    return frame


def source_row_count(frame: pd.DataFrame, rows=None) -> int:
    """How many source rows the frame's rows (all, or ``rows``: positions or a boolean mask)
    stand for: the sum of ``source_rows`` (a rollup row stands for many), else their number.
    Every count of usage rows behind a figure goes through it, so a figure is the same whether
    the analysis read the raw rows or their daily rollup."""
    if "source_rows" not in frame.columns:
        return int(len(frame) if rows is None else (np.count_nonzero(rows) if np.asarray(rows).dtype == bool
                                                    else len(rows)))
    w = frame["source_rows"].to_numpy(dtype=np.int64)
    return int(w.sum() if rows is None else w[rows].sum())


def _stripped_text(s: pd.Series, default: Any, index) -> pd.Series:
    """A text column of a dictionary-encoded table, trimmed, NA -> ``default`` (when given):
    the work runs on the distinct values, never per row."""
    col = text_column(s, index)
    cats = col.cat.categories
    stripped = pd.Series(cats, dtype=_STRING).str.strip()
    codes = col.cat.codes.to_numpy()
    filled = default is not None and bool((codes < 0).any())
    if filled:
        stripped = pd.concat([stripped, pd.Series([str(default)], dtype=_STRING)], ignore_index=True)
        codes = np.where(codes < 0, len(cats), codes)
    elif stripped.equals(pd.Series(cats, dtype=_STRING)):
        return col
    new, uniq = pd.factorize(stripped, sort=True)
    remap = np.append(new, -1)
    return _categorical(remap[codes], uniq, index)


# --- vendors -------------------------------------------------------------------------------

# alias key (casefolded, punctuation and legal suffixes removed) -> canonical display name
_VENDOR_ALIASES: dict[str, str] = {
    "openai": "OpenAI",
    "open ai": "OpenAI",
    "openai api": "OpenAI",
    "anthropic": "Anthropic",
    "anthropic pbc": "Anthropic",
    "azure openai": "Azure OpenAI",
    "azure open ai": "Azure OpenAI",
    "microsoft azure openai": "Azure OpenAI",
    "azure openai service": "Azure OpenAI",
    "microsoft": "Microsoft",
    "microsoft azure": "Microsoft",
    "azure": "Microsoft",
    "google": "Google",
    "google cloud": "Google",
    "gcp": "Google",
    "vertex ai": "Google",
    "aws": "AWS",
    "amazon web services": "AWS",
    "amazon bedrock": "AWS",
    "coreweave": "CoreWeave",
    "lambda": "Lambda",
    "lambda labs": "Lambda",
    "mistral": "Mistral AI",
    "mistral ai": "Mistral AI",
    "cohere": "Cohere",
}
_LEGAL_SUFFIX = re.compile(
    r"[,\s]+(l\.?\s?l\.?\s?c\.?|inc\.?|incorporated|ltd\.?|limited|gmbh|corp\.?|corporation|co\.?|pbc|s\.?a\.?)$",
    re.IGNORECASE,
)


def vendor_key(name: str) -> str:
    """Casefolded alias key: 'OpenAI, L.L.C.' -> 'openai'."""
    s = " ".join(str(name).split())
    prev = None
    while prev != s:
        prev = s
        s = _LEGAL_SUFFIX.sub("", s).strip(" ,.")
    return s.casefold()


def normalize_vendor(name: str | None) -> str | None:
    """Known aliases -> canonical display name; anything else stripped and space-collapsed."""
    if name is None or (isinstance(name, float) and np.isnan(name)) or name is pd.NA:
        return None
    raw = " ".join(str(name).split())
    if not raw:
        return None
    key = vendor_key(raw)
    return _VENDOR_ALIASES.get(key, raw)


def normalize_vendor_series(s: pd.Series) -> pd.Series:
    if is_dictionary(s):  # per distinct value; stays dictionary-encoded
        cats = s.cat.categories.tolist()
        norm = [normalize_vendor(v) for v in cats]
        if norm == cats:
            return s
        keep = [v for v in norm if v is not None]
        new, uniq = pd.factorize(pd.Series(keep, dtype=_STRING), sort=True)
        it = iter(new.tolist())
        remap = np.array([next(it) if v is not None else -1 for v in norm] + [-1], dtype=np.int64)
        return _categorical(remap[s.cat.codes.to_numpy()], uniq, s.index)
    uniques = s.dropna().unique()
    mapping = {u: normalize_vendor(u) for u in uniques}
    if all(k == v for k, v in mapping.items()):  # already canonical: no per-row mapping
        return s.astype("string")
    return s.map(mapping).astype("string")
