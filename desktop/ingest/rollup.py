"""THE daily usage rollup: one query, written once as SQLGlot expressions, rendered per dialect.

A usage table too big to bring to the laptop (a warehouse table, or the workspace's Parquet) is
rolled up where it lives: one row per day and per distinct combination of every column the
importer reads (vendor, model, token kind, service tier, team, project, cost center,
environment, workload, contract, eligibility, currency, service, invoice, billing account and
period, export time, commitment discount ...), with the measures summed exactly (money as
DECIMAL rounded half-up to micros per row, then summed: never a float sum) and ``source_rows``
counting the rows behind each rollup row. The rollup comes back in the **source's own column
names** and goes through the same importer as a file of that shape (desktop/ingest/formats: the
canonical template, a mapping profile, FOCUS), so the vendor, model, token kind, tags,
ContractApplied, ChargeCategory ... are decided by the one code that decides them for files, and
the analysis of the rollup equals the analysis of the raw rows to the cent (the rollup rows are
canonical usage rows at daily grain, carrying ``source_rows``).

What the SQL itself decides, per source row (before grouping):

* the day: the UTC day of the date column (``date`` or FOCUS ChargePeriodStart): a DATE as it
  is, a TIMESTAMP's day, a TIMESTAMP WITH TIME ZONE's UTC day, text in ISO 8601 (a date, or a
  date-time with an optional ``Z``/``UTC``/``+hh:mm`` offset) cut to its UTC day;
* the measures: cost (and BilledCost, EffectiveCost ...), quantities; numbers or plain numeric
  text (``1234.5``, ``-1.5E-05``);
* FOCUS: ChargePeriodEnd is exclusive: a row ending at or before its start is rejected; the cost
  basis (``Settings.focus_cost_basis``) picks the cost column the importer reads;
* rejects: a row whose date or cost is empty or cannot be read, whose date lies outside the years
  1678-2261, whose quantity cannot be read, or (FOCUS) whose charge period ends at or before its
  start, is not rolled up: it is counted per reason (``reject_reason``: the same messages as a
  file's import report), so ``rows_read = rows_imported + rows_rejected`` still holds, and a
  bounded sample of those rows is fetched for the import report (``reject_sample_sql``).

What the domain decides after the rollup, exactly as for files (one place each): the AI-service
rule (desktop/domain/ai_services.py: ``service`` is a rollup dimension), the latest snapshot per
billing period (desktop/domain/snapshots.py: ``exported_at`` and ``billing_period`` are
dimensions; each export time of one source is one delivery), the FOCUS tie-out per InvoiceId.

Public API::

    rollup_sql(relation, columns, dialect, shape=None, *, types=None, profile=None, settings=None) -> str
    plan(columns, *, shape=None, types=None, profile=None, settings=None) -> RollupPlan
    RollupPlan.sql(relation, dialect)                 # the rollup query
    RollupPlan.reject_sample_sql(relation, dialect, limit=20)   # rows the rollup rejects, bounded
    RollupPlan.rows_sql(relation, dialect, keys, limit=200)     # the source rows behind one rollup row
    RollupPlan.to_usage(result, source) -> ImportResult          # rollup result -> canonical usage + report
    RollupPlan.frame_sql(relation)                    # a stored frame's rollup in DuckDB (shape "frame")
    fetch_arrow(con, sql) -> pyarrow.Table            # a DuckDB result as Arrow, no Python object per row

``relation`` is SQL text naming the rows (``usage``, ``analytics.public.usage``,
``read_parquet('/path/*.parquet')``); ``columns`` the relation's column names (a list) or
{name: type} (SQL type names as the engine reports them: typed columns skip the text parsing);
``dialect`` one of DIALECTS; ``shape`` None (detect by column names, as for files), "canonical",
"focus", "profile" (with ``profile``) or "frame" (a canonical usage frame as CommitDesk stores it:
money already int64 micros, dates already days; the workspace's Parquet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from sqlglot import exp

from desktop.domain import tables, validation
from desktop.domain.results import ImportIssue, ImportReport
from desktop.domain.settings import Settings

# dialect names CommitDesk accepts -> SQLGlot's
DIALECTS = {
    "duckdb": "duckdb", "postgres": "postgres", "postgresql": "postgres", "spark": "spark",
    "databricks": "databricks", "snowflake": "snowflake", "bigquery": "bigquery", "trino": "trino",
    "athena": "athena", "presto": "presto",
}

MONEY_SCALE = 6  # micros
PARSE_SCALE = 15  # digits a text amount is read with before it is rounded to micros
REJECT_SAMPLE = 20  # rows of each rejected kind shown in the import report
DATE_RANGE_MESSAGE = "the date is out of range (years 1678-2261)"  # = desktop.ingest.parse's
END_MESSAGE = "ChargePeriodEnd is exclusive and must be after ChargePeriodStart"  # = formats/focus.py's
_FIRST_YEAR, _LAST_YEAR = 1678, 2261

# FOCUS columns and what the rollup does with them (formats/focus.py reads every one of them)
FOCUS_DATE = "ChargePeriodStart"
FOCUS_END = "ChargePeriodEnd"
FOCUS_MONEY = ("BilledCost", "EffectiveCost")
FOCUS_FLOAT = ("ConsumedQuantity", "CommitmentDiscountQuantity")
FOCUS_DIMS = (
    "ChargeCategory", "ServiceProviderName", "ProviderName", "PublisherName", "InvoiceIssuerName",
    "SkuPriceDetails", "SkuMeter", "ServiceName", "ServiceCategory", "ConsumedUnit", "Tags",
    "ContractApplied", "BillingCurrency", "InvoiceId", "BillingAccountId", "BillingPeriodStart",
    "CommitmentDiscountId", "CommitmentDiscountStatus", "CommitmentDiscountCategory",
    "CommitmentDiscountType", "CommitmentDiscountUnit",
)

# text a file's importer reads as empty (desktop/ingest/parse._NULL_TOKENS)
_BLANKS = ("", "null", "none", "nan", "n/a", "na", "#n/a", "-", "--", "nil")
_NUMBER_RE = "^[-+]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][-+]?[0-9]{1,3})?$"
_ISO_RE = ("^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9]"
           "(:[0-5][0-9]([.][0-9]+)?)?([ ]?(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?))?)?$")

_TEXT_TYPES = ("char", "text", "string", "varchar", "json", "utf8", "large_string")
_NUMBER_TYPES = ("int", "decimal", "numeric", "double", "float", "real", "number", "bignumeric")


def kind_of_type(sql_type: str | None) -> str:
    """A column's SQL (or Arrow) type -> how the rollup reads it: "text", "number", "date",
    "timestamp", "timestamptz", "bool" or "other" (read as text)."""
    t = str(sql_type or "").strip().casefold()
    if not t:
        return "other"
    if "time zone" in t or "timestamptz" in t or "timestamp_tz" in t or "timestamp_ltz" in t \
            or ("timestamp" in t and ("tz=" in t or "utc" in t)):
        return "timestamptz"
    if t.startswith(("timestamp", "datetime", "timestamp_ntz")):
        return "timestamp"
    if t.startswith("date"):
        return "date"
    if t.startswith(("bool", "boolean")):
        return "bool"
    if any(t.startswith(n) for n in _TEXT_TYPES):
        return "text"
    if any(n in t for n in _NUMBER_TYPES):
        return "number"
    return "other"


@dataclass(frozen=True)
class RollupPlan:
    """How one relation's columns roll up (``plan``): the date column (and FOCUS's exclusive end),
    the measures (source column, canonical kind money|float), the dimensions kept as text, and
    the importer match that turns the rollup into canonical usage."""

    shape: str  # canonical | profile | focus | frame
    format: str
    reason: str
    date: str
    end: str | None
    money: tuple[str, ...]  # summed exactly at micros
    floats: tuple[str, ...]  # quantities, summed as DECIMAL
    dims: tuple[str, ...]
    kinds: dict[str, str] = field(default_factory=dict)  # source column -> kind_of_type
    required_money: str | None = None  # the cost column: empty -> rejected
    profile: Any = None
    settings: Settings = field(default_factory=Settings)
    columns: tuple[str, ...] = ()  # every column of the relation (rows_sql returns them all)
    weight: str | None = None  # a column counting the source rows a row already stands for

    # ---- the query ------------------------------------------------------------------------
    def select(self, relation: str, dialect: str) -> exp.Select:
        """The rollup as a SQLGlot expression (see ``sql``)."""
        if self.shape == "frame":
            return self._frame_select(relation, _dialect(dialect))
        rows = self._rows(relation, _dialect(dialect))
        keys = [exp.column("reject_reason"), exp.column("day")] + [exp.column(f"d{i}") for i in range(len(self.dims))]
        sums: list[exp.Expression] = list(keys)
        for i, _ in enumerate(self.money + self.floats):
            sums.append(exp.alias_(exp.Sum(this=exp.column(f"m{i}")), f"m{i}"))
        weighted = self.weight is not None
        sums.append(exp.alias_(exp.Sum(this=exp.column("w")) if weighted else exp.Count(this=exp.Star()),
                               "source_rows"))
        if self._first_row:
            sums.append(exp.alias_(exp.Min(this=exp.column("rw")), "first_row"))
        return exp.select(*sums).from_(exp.alias_(exp.Subquery(this=rows), "k", table=True)).group_by(*keys)

    def _frame_select(self, relation: str, d: str) -> exp.Select:
        """The rollup of a stored canonical frame: one GROUP BY straight over the rows. Its values
        are already read (money micros, dates, text trimmed at import), so no row is rejected:
        no per-row parsing layers, ``reject_reason`` is NULL."""
        out: list[exp.Expression] = [exp.alias_(exp.cast(exp.null(), "VARCHAR"), "reject_reason"),
                                     exp.alias_(exp.cast(_col(self.date), "DATE"), "day")]
        out += [exp.alias_(_col(c), f"d{i}") for i, c in enumerate(self.dims)]
        out += [exp.alias_(exp.Sum(this=_col(c)), f"m{i}") for i, c in enumerate(self.money + self.floats)]
        out.append(exp.alias_(exp.Sum(this=_col(self.weight)) if self.weight is not None
                              else exp.Count(this=exp.Star()), "source_rows"))
        if self._first_row:
            out.append(exp.alias_(exp.Min(this=_col("_row")), "first_row"))
        keys = [exp.cast(_col(self.date), "DATE")] + [_col(c) for c in self.dims]
        return exp.select(*out).from_(_from(relation, d)).group_by(*keys)

    def sql(self, relation: str, dialect: str) -> str:
        """The rollup query in ``dialect``: columns reject_reason (NULL for rolled-up rows; one row
        per reason for the rejected ones, with their count), day, d0.. (the dimensions as text,
        ``self.dims`` order), m0.. (sums of ``self.money`` then ``self.floats``), source_rows."""
        return self.select(relation, dialect).sql(dialect=_dialect(dialect))

    def reject_sample_sql(self, relation: str, dialect: str, limit: int = REJECT_SAMPLE) -> str:
        """Up to ``limit`` rows the rollup rejects: reject_reason, then the raw text of the date,
        end (FOCUS), money and quantity columns (``self.read`` order), for the import report."""
        d = _dialect(dialect)
        q = self._layers(relation, d, keep_raw=True)
        out = [exp.column("reject_reason")] + [exp.column(f"x{i}") for i in range(len(self.read))]
        return (exp.select(*out).from_(exp.alias_(exp.Subquery(this=q), "k", table=True))
                .where(exp.column("reject_reason").is_(exp.null()).not_()).limit(limit).sql(dialect=d))

    def rows_sql(self, relation: str, dialect: str, keys: dict[str, Any], limit: int = 200) -> str:
        """The source rows behind one rollup row, bounded by ``limit``: ``keys`` = {"day": the
        rollup row's day, a dimension's source column: its value (None = NULL)}; every column
        of the relation comes back under its own name."""
        d = _dialect(dialect)
        q = self._layers(relation, d, keep_all=True)
        conds: list[exp.Expression] = [exp.column("reject_reason").is_(exp.null())]
        if keys.get("day") is not None:
            conds.append(exp.EQ(this=exp.column("a0_day"), expression=exp.cast(
                exp.Literal.string(str(pd.Timestamp(keys["day"]).date())), "DATE")))
        for i, c in enumerate(self.dims):
            if c in keys:
                v = keys[c]
                col = exp.column(f"d{i}")
                conds.append(col.is_(exp.null()) if v is None else exp.EQ(this=col, expression=exp.Literal.string(str(v))))
        out = [exp.alias_(exp.column(f"all{i}"), c, quoted=True) for i, c in enumerate(self.columns)]
        return (exp.select(*out).from_(exp.alias_(exp.Subquery(this=q), "k", table=True))
                .where(exp.and_(*conds)).limit(limit).sql(dialect=d))

    @property
    def read(self) -> tuple[str, ...]:
        """The source columns parsed per row: date, end (FOCUS), money, quantities."""
        return tuple(dict.fromkeys([self.date] + ([self.end] if self.end else []) + list(self.money)
                                   + list(self.floats)))

    # ---- per-row expressions: one subquery per step, so no expression is written twice -------
    def _kind(self, name: str) -> str:
        return self.kinds.get(name, "other")

    def _texty(self, c: str) -> bool:
        return self._kind(c) in ("text", "other", "bool")

    def _rows(self, relation: str, d: str) -> exp.Select:
        """reject_reason, day, d0.., m0.. (and w) per source row; dimensions and measures NULL on
        rejected rows so they fold into one group per reason."""
        q = self._layers(relation, d)
        good = exp.column("reject_reason").is_(exp.null())

        def kept(e: exp.Expression) -> exp.Expression:
            return exp.Case().when(good, e).else_(exp.null())

        sel: list[exp.Expression] = [exp.column("reject_reason"), exp.alias_(kept(exp.column("a0_day")), "day")]
        sel += [exp.alias_(kept(exp.column(f"d{i}")), f"d{i}") for i in range(len(self.dims))]
        measures = self.money + self.floats
        idx = {c: i for i, c in enumerate(self.read)}
        sel += [exp.alias_(kept(exp.column(f"a{idx[c]}_v")), f"m{j}") for j, c in enumerate(measures)]
        if self.weight is not None:
            sel.append(exp.column("w"))
        if self._first_row:
            sel.append(exp.column("rw"))
        return exp.select(*sel).from_(exp.alias_(exp.Subquery(this=q), "r", table=True))

    @property
    def _first_row(self) -> bool:
        """A stored frame (the workspace's Parquet) names each rollup row by its first file row:
        ``_row`` = MIN(_row) of the rows behind it (unique, and the row a warning can cite)."""
        return self.shape == "frame" and "_row" in self.kinds and "_file" in self.dims

    def _layers(self, relation: str, d: str, keep_raw: bool = False, keep_all: bool = False) -> exp.Select:
        read = self.read
        first: list[exp.Expression] = []
        for i, c in enumerate(read):
            src = exp.Trim(this=_cast_text(_col(c))) if self._texty(c) else _col(c)
            first.append(exp.alias_(src, f"a{i}"))
            if keep_raw:
                first.append(exp.alias_(_cast_text(_col(c)), f"x{i}"))
        for i, c in enumerate(self.dims):
            first.append(exp.alias_(_col(c) if self.shape == "frame" else _cast_text(_col(c)), f"d{i}"))
        if self.weight is not None:  # a pre-aggregated row stands for its count (empty or unreadable: 1)
            w = _col(self.weight) if self.shape == "frame" else exp.Coalesce(
                this=exp.cast(_col(self.weight), "BIGINT"), expressions=[_n(1)]) if self._kind(self.weight) == "number" \
                else exp.Coalesce(this=exp.cast(exp.Case().when(
                exp.RegexpLike(this=exp.Trim(this=_cast_text(_col(self.weight))),
                               expression=exp.Literal.string("^[0-9]{1,15}$")),
                exp.Trim(this=_cast_text(_col(self.weight)))), "BIGINT"), expressions=[_n(1)])
            first.append(exp.alias_(w, "w"))
        if self._first_row:
            first.append(exp.alias_(_col("_row"), "rw"))
        if keep_all:
            first += [exp.alias_(_col(c), f"all{i}") for i, c in enumerate(self.columns)]
        carried = [e.alias for e in first]
        q = exp.select(*first).from_(_from(relation, d))
        step = 0

        def layer(q: exp.Select, new: list[tuple[str, exp.Expression]]) -> exp.Select:
            nonlocal step
            step += 1
            sel = [exp.column(a) for a in carried] + [exp.alias_(e, a) for a, e in new]
            carried.extend(a for a, _ in new)
            return exp.select(*sel).from_(exp.alias_(exp.Subquery(this=q), f"s{step}", table=True))

        instants = [0] + ([1] if self.end else [])
        measures = {i: c for i, c in enumerate(read) if i not in instants}
        if self.shape == "frame":
            new = [("a0_day", exp.cast(exp.column("a0"), "DATE"))]
            new += [(f"a{i}_v", exp.column(f"a{i}")) for i in measures]
            new.append(("reject_reason", exp.cast(exp.null(), "VARCHAR")))
            return layer(q, new)
        # 2: blank / readable flags
        new = []
        for i, c in enumerate(read):
            a = exp.column(f"a{i}")
            if self._texty(c):
                blank = exp.or_(a.is_(exp.null()), exp.In(this=exp.Lower(this=a.copy()),
                                                          expressions=[exp.Literal.string(b) for b in _BLANKS]))
            else:
                blank = a.is_(exp.null())
            new.append((f"a{i}_blank", blank))
            if i in instants and self._texty(c):
                # CASE, not AND: engines may evaluate AND's sides in any order, and the day check
                # casts parts of the text to numbers (an error on text that is not a date)
                matches = exp.RegexpLike(this=a.copy(), expression=exp.Literal.string(_ISO_RE))
                new.append((f"a{i}_ok", exp.Case().when(matches, _day_exists(a.copy())).else_(exp.false())))
            elif i in measures:
                ok = exp.true() if self._kind(c) == "number" else \
                    exp.RegexpLike(this=a.copy(), expression=exp.Literal.string(_NUMBER_RE))
                new.append((f"a{i}_num", ok))
        q = layer(q, new)
        # 3: values: a measure as DECIMAL rounded half-up to its scale; a date-time text's local
        # day and its UTC second of that day (may fall outside 0..86399: the UTC day differs)
        new = []
        for i, c in measures.items():
            a = exp.column(f"a{i}")
            scale = MONEY_SCALE if c in self.money else 9
            dec = exp.cast(exp.Case().when(exp.and_(exp.not_(exp.column(f"a{i}_blank")), exp.column(f"a{i}_num")),
                                           a).else_(exp.null()),
                           exp.DataType.build(f"DECIMAL(38, {PARSE_SCALE})"))
            new.append((f"a{i}_v", exp.cast(exp.Round(this=dec, decimals=_n(scale)),
                                            exp.DataType.build(f"DECIMAL(38, {scale})"))))
        for i in instants:
            c = read[i]
            if self._texty(c):
                new += _text_instant(exp.column(f"a{i}"), exp.column(f"a{i}_ok"), f"a{i}")
        q = layer(q, new)
        # 4: the UTC day and second of each instant
        new = []
        for i in instants:
            c = read[i]
            if self._texty(c):
                utc, ld = exp.column(f"a{i}_utc"), exp.column(f"a{i}_ld")
                day = (exp.Case()
                       .when(exp.LT(this=utc, expression=_n(0)),
                             exp.cast(exp.DateAdd(this=ld.copy(), expression=_n(-1), unit=exp.var("DAY")), "DATE"))
                       .when(exp.GTE(this=utc.copy(), expression=_n(86400)),
                             exp.cast(exp.DateAdd(this=ld.copy(), expression=_n(1), unit=exp.var("DAY")), "DATE"))
                       .else_(ld.copy()))
                sec = (exp.Case().when(exp.LT(this=utc.copy(), expression=_n(0)), exp.Add(this=utc.copy(), expression=_n(86400)))
                       .when(exp.GTE(this=utc.copy(), expression=_n(86400)), exp.Sub(this=utc.copy(), expression=_n(86400)))
                       .else_(utc.copy()))
            else:
                day, sec = self._typed_instant(exp.column(f"a{i}"), self._kind(c))
            new += [(f"a{i}_day", day), (f"a{i}_sec", sec)]
        q = layer(q, new)
        # 5: why a row is not rolled up (the first reason, as a file's import report words it)
        day = exp.column("a0_day")
        year = exp.Year(this=day.copy())
        case = (exp.Case()
                .when(exp.column("a0_blank"), exp.Literal.string(validation.REQUIRED))
                .when(day.is_(exp.null()), exp.Literal.string(validation.UNREADABLE["date"]))
                .when(exp.or_(exp.LT(this=year, expression=_n(_FIRST_YEAR)),
                              exp.GT(this=year.copy(), expression=_n(_LAST_YEAR))),
                      exp.Literal.string(DATE_RANGE_MESSAGE)))
        if self.required_money in read:
            case = case.when(exp.column(f"a{read.index(self.required_money)}_blank"),
                             exp.Literal.string(validation.REQUIRED))
        for i, c in measures.items():
            message = validation.UNREADABLE["money" if c in self.money else "float"]
            case = case.when(exp.and_(exp.not_(exp.column(f"a{i}_blank")), exp.not_(exp.column(f"a{i}_num"))),
                             exp.Literal.string(message))
        if self.end:
            sday, ssec, eday, esec = (exp.column(n) for n in ("a0_day", "a0_sec", "a1_day", "a1_sec"))
            ends_before = exp.or_(exp.LT(this=eday, expression=sday),
                                  exp.and_(exp.EQ(this=eday.copy(), expression=sday.copy()),
                                           exp.LTE(this=esec, expression=ssec)))
            case = case.when(exp.and_(eday.copy().is_(exp.null()).not_(), exp.Paren(this=ends_before)),
                             exp.Literal.string(END_MESSAGE))
        return layer(q, [("reject_reason", case.else_(exp.cast(exp.null(), "VARCHAR")))])

    def _typed_instant(self, col: exp.Expression, kind: str) -> tuple[exp.Expression, exp.Expression]:
        """(UTC day, UTC second of the day) of a typed DATE / TIMESTAMP / TIMESTAMPTZ column."""
        if kind == "date":
            return col, _n(0)
        if kind == "timestamptz":
            col = exp.AtTimeZone(this=col, zone=exp.Literal.string("UTC"))
        sec = exp.Add(this=exp.Add(this=exp.Mul(this=exp.Extract(this=exp.var("HOUR"), expression=col.copy()),
                                                expression=_n(3600)),
                                   expression=exp.Mul(this=exp.Extract(this=exp.var("MINUTE"), expression=col.copy()),
                                                      expression=_n(60))),
                      expression=exp.cast(exp.Floor(this=exp.Extract(this=exp.var("SECOND"), expression=col.copy())),
                                          "INT"))
        return exp.cast(col.copy(), "DATE"), sec

    # ---- back to canonical usage ----------------------------------------------------------
    def to_usage(self, result, source: str, sample: pd.DataFrame | None = None, names: Sequence[str] = ()):
        """The rollup query's result (a pandas DataFrame or an Arrow table) -> ImportResult: the
        canonical usage frame at daily grain (column ``source_rows``; ``_file`` = ``source``,
        one delivery per export time; ``_row`` = the rollup row) and an ImportReport in
        source rows (rows_read = rows_imported + rows_rejected).

        A stored frame's rollup (shape "frame", ``frame_sql``) is best given as Arrow: its text
        columns become dictionary-encoded columns (desktop/domain/tables.py ``text_column``) from
        Arrow dictionaries, money stays int64 micros, and no Python object is made per row. Its
        rows come in a fixed order whatever order the engine returned them in: by day and every
        dimension (NULL first; text by code point), then, when ``names`` (the usage batches' file
        names in import order) is given and no source was split per export time, by import order
        and first file row (``_row``), as the raw rows of the files themselves are ordered
        (desktop/domain/snapshots.py tells deliveries apart by that order)."""
        from desktop.ingest.core import ImportResult

        errors: list[ImportIssue] = []
        warnings: list[str] = []
        built_rejected = 0
        if self.shape == "frame":  # Arrow straight into the canonical frame: no Python object per row
            import pyarrow.compute as pc

            table = _as_arrow(result)
            reason = table.column("reject_reason")
            rejects = {}
            if reason.null_count < len(reason):
                bad = table.filter(pc.is_valid(reason))
                rejects = {str(r): int(n) for r, n in zip(bad.column("reject_reason").to_pylist(),
                                                         bad.column("source_rows").to_pylist(), strict=True)}
                table = table.filter(pc.is_null(reason))
            usage = self._frame_usage(table, source, names)
            n_good = table.num_rows
        else:
            frame = _as_pandas(result)
            rejected = frame[frame["reject_reason"].notna()]
            good = frame[frame["reject_reason"].isna()].reset_index(drop=True)
            rejects = {str(r): int(n) for r, n in zip(rejected["reject_reason"], rejected["source_rows"],
                                                     strict=True)}
            usage, built_rejected, errors, warnings = self._import(good, source)
            n_good = len(good)
        n_rejected = sum(rejects.values()) + built_rejected
        n_imported = int(usage["source_rows"].sum()) if len(usage) else 0
        issues = list(_sample_issues(self, sample)) + errors
        for reason, n in sorted(rejects.items()):
            warnings.insert(0, f"{n:,} source row(s) not rolled up: {reason}")
        warnings.insert(0, f"rolled up where the data lives: {n_imported + n_rejected:,} source rows -> "
                           f"{n_good:,} daily rollup rows; every count in this report is of source rows (read "
                           f"{n_imported + n_rejected:,} = imported {n_imported:,} + rejected {n_rejected:,}), "
                           "row numbers are rollup rows (explain --source-rows N lists the rows behind one)")
        report = ImportReport(
            file=source, kind="usage", format=self.format, rows_read=n_imported + n_rejected,
            rows_imported=n_imported, rows_rejected=n_rejected, errors=tuple(issues[:1000]),
            format_reason=f"{self.reason} (rollup pushed down)", warnings=tuple(warnings))
        return ImportResult("usage", usage, report)

    def ordered(self, result) -> pd.DataFrame:
        """A rollup result (as the engine returned it, in any order) as a pandas frame in one
        fixed order: by reject reason, day and every dimension, NULL first, so rollup row
        numbers (explain, the import report) and a re-read's content are the same every time."""
        frame = _as_pandas(result)
        keys = ["reject_reason", "day"] + [f"d{i}" for i in range(len(self.dims))]
        keys = [k for k in keys if k in frame.columns]
        if len(frame) < 2 or not keys:
            return frame.reset_index(drop=True)
        codes = []
        for k in keys:
            col = frame[k]
            if col.dtype == object:  # text as text (dates the engine gave as objects too)
                col = col.map(lambda v: None if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                              else (v.isoformat() if hasattr(v, "isoformat") else str(v)))
            c, _ = pd.factorize(col, sort=True, use_na_sentinel=True)
            codes.append(np.asarray(c, dtype=np.int64))
        return frame.iloc[np.lexsort(codes[::-1])].reset_index(drop=True)

    def frame_sql(self, relation: str) -> str:
        """The rollup of a stored frame (shape "frame") in DuckDB, its sums of money and
        ``source_rows`` cast back to BIGINT from DuckDB's 128-bit sums (an overflow is an error,
        never a rounded float). No ORDER BY: ``to_usage`` orders the rows (cheaper on the codes
        of the rollup than in the engine on the text)."""
        if self.shape != "frame":
            raise ValueError("frame_sql is the rollup of a stored canonical frame (shape 'frame')")
        casts = "".join(f"CAST(m{i} AS BIGINT) AS m{i}, " for i in range(len(self.money)))
        return f"SELECT * REPLACE ({casts}CAST(source_rows AS BIGINT) AS source_rows) FROM ({self.sql(relation, 'duckdb')}) q"

    def _frame_usage(self, good, source: str, names: Sequence[str] = ()) -> pd.DataFrame:
        """A stored frame's rollup rows (an Arrow table: day, d0.., m0.., source_rows, first_row)
        -> the canonical usage frame (see ``to_usage``)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        n = good.num_rows
        day = good.column("day")
        data: dict[str, Any] = {"date": pc.cast(day, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
                                if n else np.zeros(0, dtype="datetime64[ns]")}
        keys = [data["date"].view(np.int64)]
        for i, c in enumerate(self.dims):
            col, key = _arrow_column(good.column(f"d{i}"))
            data[c] = col
            keys.append(key)
        for i, c in enumerate(self.money + self.floats):
            data[c] = good.column(f"m{i}").to_numpy(zero_copy_only=False)
        data["source_rows"] = good.column("source_rows").to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        df = pd.DataFrame(data, copy=False)
        if "_file" not in df.columns:
            df["_file"] = tables.repeat_text(source, n)
        df["_row"] = good.column("first_row").to_numpy(zero_copy_only=False).astype(np.int64, copy=False) \
            if "first_row" in good.column_names else np.arange(1, n + 1)
        split = "exported_at" in df.columns and df["exported_at"].nunique(dropna=True) >= 2  # see _ordered
        if names and n > 1 and not split and not _split_by_export(df):
            # import order, then each file's first row (a file name repeated by later batches
            # counts at its first batch, as the rows of the files themselves are concatenated);
            # ties (one file name in two batches) by day and every dimension
            rank = {nm: i for i, nm in reversed(list(enumerate(names)))}
            codes, cats = tables.text_codes(df["_file"])
            by_code = np.array([rank.get(str(f), len(rank)) for f in cats] + [len(rank)], dtype=np.int64)
            order, first = by_code[np.asarray(codes, dtype=np.int64)], df["_row"].to_numpy(dtype=np.int64)
            at = np.lexsort((first, order))
            if ((order[at][1:] == order[at][:-1]) & (first[at][1:] == first[at][:-1])).any():
                at = np.lexsort(tuple(keys[::-1]) + (first, order))
            return tables.conform(df.iloc[at].reset_index(drop=True), "usage")
        if n > 1:  # by day and every dimension: the group keys, unique per rollup row
            df = df.iloc[np.lexsort(keys[::-1])].reset_index(drop=True)
        return tables.conform(_ordered(df), "usage")

    def _import(self, good: pd.DataFrame, source: str):
        """The rollup rows in the source's column names through the format's own importer."""
        from desktop.ingest import build
        from desktop.ingest.core import identify
        from desktop.ingest.formats.base import Context
        from desktop.ingest.reader import RawTable

        n = len(good)
        data: dict[str, Any] = {self.date: _day_text(good["day"])}
        for i, c in enumerate(self.dims):
            data[c] = pd.Series(good[f"d{i}"].to_numpy(dtype=object), dtype=object)
        for i, c in enumerate(self.money + self.floats):
            data[c] = pd.Series([None if v is None or (isinstance(v, float) and np.isnan(v)) else
                                 format(Decimal(str(v)), "f") for v in good[f"m{i}"].to_numpy(dtype=object)],
                                dtype=object)
        names = list(data)
        raw = pd.DataFrame(data, columns=names)
        table = RawTable(source, names, raw, np.arange(1, n + 1, dtype=np.int64), "table")
        match = identify(table, "usage", self.profile)
        ctx = Context(settings=self.settings, profile=self.profile)
        src = match.handler.source(table, match, ctx)
        src.raw = None  # rollup rows are distinct by construction: no duplicate check
        built = build.build(src)
        usage = built.frame
        weights = good["source_rows"].to_numpy(dtype=np.int64)
        usage["source_rows"] = weights[usage["_row"].to_numpy(dtype=np.int64) - 1]
        usage["_file"] = pd.Series([source] * len(usage), dtype="string")
        kept = np.zeros(n, dtype=bool)
        kept[usage["_row"].to_numpy(dtype=np.int64) - 1] = True
        built_rejected = int(weights[~kept].sum())
        errors, warnings = _in_source_rows(built, weights, kept)
        usage = _ordered(usage)
        return tables.conform(usage, "usage"), built_rejected, errors, warnings


def _in_source_rows(built, weights: np.ndarray, kept: np.ndarray) -> tuple[list[ImportIssue], list[str]]:
    """The importer's issues and warnings on rollup rows (row numbers 1..n, ``weights`` the
    source rows behind each) told in source rows, as the analyst counts: each issue names the
    source rows of its rollup row, the rows left out are counted per reason (the first issue of
    each rollup row), and totals rows say how many source rows they held. Every rollup row not
    kept is counted once, so these counts add up to the rejected source rows."""
    import dataclasses

    from desktop.ingest import build

    errors = [dataclasses.replace(e, message=f"{e.message} (a rollup row of {_source_rows_text(int(weights[e.row - 1]))})")
              if e.row is not None and 1 <= e.row <= len(weights) else e for e in built.errors]
    totals = built.totals_mask if built.totals_mask is not None else np.zeros(len(weights), dtype=bool)
    by_reason: dict[str, int] = {}
    for pos, issues in (built.issues_by_position or {}).items():
        if kept[pos] or totals[pos] or not issues:
            continue
        first = issues[0]
        reason = first.message + (f" ({first.column})" if first.column else "")
        by_reason[reason] = by_reason.get(reason, 0) + int(weights[pos])
    told = sum(by_reason.values())
    warnings = []
    for w in built.warnings:
        if totals.any() and w == build.totals_warning(np.flatnonzero(totals) + 1):
            w = (f"{_source_rows_text(int(weights[totals].sum()))} in {int(totals.sum()):,} rollup row(s) left out "
                 f"as totals rows (rollup rows {build._rowlist(np.flatnonzero(totals) + 1)}); counted as rejected")
        warnings.append(w)
    lines = [f"{_source_rows_text(k)} rejected: {reason}" for reason, k in sorted(by_reason.items())]
    rest = int(weights[~kept & ~totals].sum()) - told
    if rest:
        lines.append(f"{_source_rows_text(rest)} rejected")
    return errors, lines + warnings


def _source_rows_text(n: int) -> str:
    return f"{n:,} source row{'s' if n != 1 else ''}"


def _ordered(usage: pd.DataFrame) -> pd.DataFrame:
    """One delivery per export time (desktop/domain/snapshots.py tells deliveries apart by
    ``_file``, then ``_row`` increasing within each): rows sorted by export time, each export
    time's rows named "<source> (exported <time>)" when the source holds several."""
    if "exported_at" not in usage.columns or usage["exported_at"].isna().all():
        return usage.reset_index(drop=True)
    stamps = usage["exported_at"].astype("string")
    if stamps.nunique(dropna=True) < 2:
        return usage.reset_index(drop=True)
    order = np.lexsort((usage["_row"].to_numpy(), stamps.fillna("").to_numpy(dtype=object)))
    usage = usage.iloc[order].reset_index(drop=True)
    stamps = stamps.iloc[order].reset_index(drop=True)
    files = usage["_file"].astype("string")
    usage["_file"] = (files + " (exported " + stamps.fillna("unknown") + ")").astype("string")
    return usage


def _split_by_export(usage: pd.DataFrame) -> bool:
    """Did ``_ordered`` name a source's rows per export time ("<source> (exported <time>)")?"""
    files = usage["_file"]
    cats = files.cat.categories if tables.is_dictionary(files) else pd.Index(files.dropna().unique())
    return bool(pd.Series(cats, dtype="string").str.contains(" (exported ", regex=False).any())


def _arrow_column(arr) -> tuple[Any, np.ndarray]:
    """One dimension of the rollup as Arrow -> (its column for the canonical frame, an int64 sort
    key per row: NULL first, then the values in order). Text becomes a dictionary-encoded column
    (categories sorted by code point, as DuckDB orders VARCHAR; the code is the key); dates and
    times stay datetime64; booleans stay bool (NULL: the canonical default decides, in conform)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(arr, pa.ChunkedArray) and arr.num_chunks == 0:
        arr = pa.chunked_array([pa.array([], arr.type)])
    t = arr.type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _: False)(t) \
            or pa.types.is_null(t):
        if not pa.types.is_dictionary(arr.type) and not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            arr = pc.cast(arr, pa.large_string())
        col = tables.text_column(arr)
        return col, col.cat.codes.to_numpy().astype(np.int64)
    if pa.types.is_boolean(t):
        key = pc.fill_null(pc.cast(arr, pa.int8()), -1).to_numpy(zero_copy_only=False).astype(np.int64)
        col = arr.to_numpy(zero_copy_only=False) if not arr.null_count else arr.to_pandas().to_numpy(dtype=object)
        return col, key
    if pa.types.is_date(t) or pa.types.is_timestamp(t):
        ns = pc.cast(arr, pa.timestamp("ns"))
        col = ns.to_numpy(zero_copy_only=False)
        key = pc.fill_null(pc.cast(ns, pa.int64()), np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
        return col, key
    # any other type (numbers): its values, NULL first
    vals = arr.to_pandas()
    codes, _ = pd.factorize(vals, sort=True, use_na_sentinel=True)
    return vals.to_numpy(), np.asarray(codes, dtype=np.int64)


def _as_arrow(result):
    """A rollup result as one Arrow table (an Arrow table or record batch reader as it is, a
    pandas frame converted)."""
    import pyarrow as pa

    if isinstance(result, pa.Table):
        return result
    if isinstance(result, pa.RecordBatchReader):
        return result.read_all()
    return pa.Table.from_pandas(_as_pandas(result), preserve_index=False)


def fetch_arrow(con, sql: str):
    """The rows of ``sql`` on a DuckDB connection (or cursor) as one Arrow table, fetched as
    Arrow (no per-row Python objects; DuckDB 1.x ``arrow()``, 2.x ``to_arrow_table()``)."""
    rel = con.sql(sql)
    fetch = getattr(rel, "to_arrow_table", None)
    got = fetch() if fetch is not None else rel.arrow()
    return _as_arrow(got)


def _day_text(days: pd.Series) -> pd.Series:
    vals = pd.to_datetime(days)
    return pd.Series(vals.dt.strftime("%Y-%m-%d").to_numpy(dtype=object), dtype=object)


def _as_pandas(result) -> pd.DataFrame:
    if isinstance(result, pd.DataFrame):
        return result
    if hasattr(result, "to_pandas"):
        return result.to_pandas()
    return pd.DataFrame(result)


def _sample_issues(p: RollupPlan, sample: pd.DataFrame | None) -> list[ImportIssue]:
    if sample is None or not len(sample):
        return []
    cols = list(p.read)
    out = []
    for rec in _as_pandas(sample).itertuples(index=False):
        reason = str(rec[0])
        column = {validation.UNREADABLE["money"]: p.money[0] if p.money else None,
                  validation.UNREADABLE["float"]: p.floats[0] if p.floats else None,
                  END_MESSAGE: p.end}.get(reason, p.date if "date" in reason or reason == validation.REQUIRED else None)
        if reason == validation.REQUIRED and column == p.date and rec[1] is not None:
            column = p.required_money
        value = None
        if column in cols:
            v = rec[1 + cols.index(column)]
            value = None if v is None else str(v)[:200]
        out.append(ImportIssue(None, column, reason, value))
    return out


def _text_instant(t: exp.Column, ok: exp.Column, a: str) -> list[tuple[str, exp.Expression]]:
    """An ISO 8601 text (``t``, trimmed; ``ok`` = it matched _ISO_RE and its day exists) ->
    [(a_ld, its local day), (a_utc, its UTC second of that local day: local time minus the
    written offset)]."""
    def part(start: int, length: int) -> exp.Expression:
        return exp.cast(exp.Substring(this=t.copy(), start=_n(start), length=_n(length)), "INT")

    has_time = exp.GT(this=exp.Length(this=t.copy()), expression=_n(10))
    local_day = exp.cast(exp.Case().when(ok.copy(), exp.Substring(this=t.copy(), start=_n(1), length=_n(10))),
                         "DATE")
    seconds = exp.Case().when(exp.RegexpLike(this=t.copy(), expression=exp.Literal.string("^.{16}:[0-9]{2}")),
                              part(18, 2)).else_(_n(0))
    secs = exp.Case().when(exp.and_(ok.copy(), has_time), exp.Add(
        this=exp.Add(this=exp.Mul(this=part(12, 2), expression=_n(3600)),
                     expression=exp.Mul(this=part(15, 2), expression=_n(60))),
        expression=seconds)).else_(_n(0))
    off = exp.Case()
    for k, pat, mins in ((6, "^[+-][0-9]{2}:[0-9]{2}$", 5), (5, "^[+-][0-9]{4}$", 4), (3, "^[+-][0-9]{2}$", None)):
        tail = exp.Right(this=t.copy(), expression=_n(k))
        cond = exp.and_(ok.copy(), exp.GT(this=exp.Length(this=t.copy()), expression=_n(16)),
                        exp.RegexpLike(this=tail, expression=exp.Literal.string(pat)))
        hours = exp.cast(exp.Substring(this=tail.copy(), start=_n(2), length=_n(2)), "INT")
        minutes = exp.cast(exp.Substring(this=tail.copy(), start=_n(mins), length=_n(2)), "INT") if mins else _n(0)
        value = exp.Add(this=exp.Mul(this=hours, expression=_n(3600)), expression=exp.Mul(this=minutes, expression=_n(60)))
        negative = exp.EQ(this=exp.Substring(this=tail.copy(), start=_n(1), length=_n(1)), expression=exp.Literal.string("-"))
        off = off.when(cond, exp.Case().when(negative, exp.Neg(this=exp.Paren(this=value))).else_(value.copy()))
    utc = exp.Sub(this=exp.Paren(this=secs), expression=exp.Paren(this=off.else_(_n(0))))
    return [(f"{a}_ld", local_day), (f"{a}_utc", utc)]


def _day_exists(t: exp.Expression) -> exp.Expression:
    """Is the day of an ISO date text (already matching _ISO_RE) in its month (no 2026-02-30)?
    Checked before the cast, which some engines (PostgreSQL, DuckDB) raise on."""
    def part(start: int, length: int) -> exp.Expression:
        return exp.cast(exp.Substring(this=t, start=_n(start), length=_n(length)), "INT")

    year, month, day = part(1, 4), part(6, 2), part(9, 2)

    def divides(k: int) -> exp.Expression:
        return exp.EQ(this=exp.Mod(this=year, expression=_n(k)), expression=_n(0))

    leap = exp.and_(divides(4), exp.or_(exp.not_(divides(100)), divides(400)))
    last = (exp.Case().when(exp.EQ(this=month, expression=_n(2)),
                            exp.Case().when(leap, _n(29)).else_(_n(28)))
            .when(exp.In(this=month, expressions=[_n(4), _n(6), _n(9), _n(11)]), _n(30)).else_(_n(31)))
    return exp.LTE(this=day, expression=last)


def _n(v: int) -> exp.Literal:
    return exp.Literal.number(v)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _cast_text(e: exp.Expression) -> exp.Expression:
    return exp.cast(e, exp.DataType.build("VARCHAR"))


def _from(relation: str, dialect: str) -> exp.Expression:
    """The rows to roll up: a table name (``usage``, ``db.schema.usage``, quoted parts kept), a
    table function (``read_parquet('...')``) or a query (``SELECT ...``, used as a subquery)."""
    import re

    text = relation.strip()
    if re.fullmatch(r'[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*){0,2}', text):
        return exp.to_table(text, dialect=dialect)
    if re.match(r"(?is)\s*(select|with)\b", text):
        return exp.alias_(exp.Subquery(this=exp.maybe_parse(text, dialect=dialect)), "src", table=True)
    return exp.maybe_parse(text, into=exp.Table, dialect=dialect)


def _dialect(name: str) -> str:
    try:
        return DIALECTS[name.casefold()]
    except KeyError:
        raise ValueError(f"unknown SQL dialect {name!r}; one of {', '.join(sorted(DIALECTS))}") from None


def _names_and_kinds(columns) -> tuple[list[str], dict[str, str]]:
    if isinstance(columns, dict):
        return list(columns), {c: kind_of_type(t) for c, t in columns.items()}
    return list(columns), {}


def plan(columns, *, shape: str | None = None, types: dict[str, str] | None = None, profile=None,
         settings: Settings | None = None) -> RollupPlan:
    """How a relation with these columns rolls up. ``columns``: names, or {name: SQL type};
    ``types``: {name: SQL type} (typed columns skip the text parsing; unknown ones are read as
    text, which is always correct, only slower). ``shape``: None detects it from the names as
    for a file (the canonical usage template and its synonyms, FOCUS, a saved profile via
    ``profile``); "frame" is a canonical usage frame as stored (micros, days). Raises
    UnreadableFile (an InputError) naming what is missing when the columns are not usage."""
    from desktop.ingest import mapping
    from desktop.ingest.core import identify
    from desktop.ingest.errors import UnreadableFile
    from desktop.ingest.formats.focus import FocusCostUsage
    from desktop.ingest.reader import RawTable

    names, kinds = _names_and_kinds(columns)
    if types:
        kinds.update({c: kind_of_type(t) for c, t in types.items()})
    settings = settings or Settings()
    prof = mapping.coerce_profile(profile)
    if shape == "frame":
        spec = tables.USAGE
        have = set(names)
        missing = [c for c in ("date", "vendor", "cost") if c not in have]
        if missing:
            raise UnreadableFile(f"not a canonical usage frame: missing {', '.join(missing)}", file=None)
        money = tuple(c.name for c in spec.columns if c.kind == "money" and c.name in have)
        floats = tuple(c.name for c in spec.columns if c.kind == "float" and c.name in have)
        dims = tuple(c.name for c in spec.columns if c.kind not in ("money", "float") and c.name != "date"
                     and c.name != "source_rows" and c.name in have) + (("_file",) if "_file" in have else ())
        return RollupPlan("frame", "canonical-frame", "canonical usage frame", "date", None, money, floats,
                          dims, kinds, "cost", None, settings, tuple(names),
                          "source_rows" if "source_rows" in have else None)
    table = RawTable("relation", names, pd.DataFrame({c: pd.Series([], dtype=object) for c in names}),
                     np.zeros(0, dtype=np.int64), "table")
    match = identify(table, "usage", prof)
    is_focus = isinstance(match.handler, FocusCostUsage)
    if shape == "focus" and not is_focus:
        raise UnreadableFile("the columns are not FOCUS cost and usage columns (BilledCost, ChargePeriodStart, "
                             "ChargeCategory, BillingCurrency and a provider column are needed)", file=None)
    if shape in ("canonical", "profile") and is_focus:
        raise UnreadableFile("the columns are FOCUS columns, not the canonical usage columns", file=None)
    look = {c.casefold(): c for c in names}
    if is_focus:
        from desktop.ingest.formats.focus import _export_time_column

        date = look[FOCUS_DATE.casefold()]
        end = look.get(FOCUS_END.casefold())
        money = tuple(look[m.casefold()] for m in FOCUS_MONEY if m.casefold() in look)
        floats = tuple(look[m.casefold()] for m in FOCUS_FLOAT if m.casefold() in look)
        dims = [look[m.casefold()] for m in FOCUS_DIMS if m.casefold() in look]
        export = _export_time_column(table)
        if export is not None:
            dims.append(export)
        basis = settings.focus_cost_basis
        required = look.get(basis.casefold()) or (money[0] if money else None)
        return RollupPlan("focus", match.format, match.reason, date, end, money, floats, tuple(dims), kinds,
                          required, prof, settings, tuple(names))
    by_canon = {canon: src for src, canon in match.mapping.items()}
    spec = tables.USAGE
    date = by_canon["date"]
    money = tuple(by_canon[c.name] for c in spec.columns if c.kind == "money" and c.name in by_canon)
    floats = tuple(by_canon[c.name] for c in spec.columns if c.kind == "float" and c.name in by_canon)
    weight = by_canon.get("source_rows")
    used = {date, *money, *floats, weight}
    dims = tuple(src for src in match.mapping if src not in used)
    return RollupPlan("profile" if match.format.startswith("profile:") else "canonical", match.format,
                      match.reason, date, None, money, floats, dims, kinds, by_canon.get("cost"), prof, settings,
                      tuple(names), weight)


def rollup_sql(relation: str, columns, dialect: str, shape: str | None = None, *,
               types: dict[str, str] | None = None, profile=None, settings: Settings | None = None) -> str:
    """THE daily usage rollup of ``relation`` in ``dialect`` (``plan(...).sql(...)``)."""
    return plan(columns, shape=shape, types=types, profile=profile, settings=settings).sql(relation, dialect)
