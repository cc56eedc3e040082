"""One validation layer: the rules every imported row, every edit and every setting obeys.

Ingest rejects a row that breaks a rule (file, row, column and the rule's message), the store
refuses an edit that breaks one (InputError with the same message and column), every GUI editor
asks the same functions before it sends a change, and the analysis checks the frames it is given
(programmatic inputs, workspaces written before a rule existed). The messages are constants:
the same bad value gets the same words on every path. docs/domain.md ("Validation rules") lists
every rule with its message; tests/domain/test_validation.py holds their boundaries.

API:
- ``check_row(table, column, value, row=None) -> str | None``: one value (as an analyst typed it,
  or canonical), with the other values of its row when a rule compares two columns.
- ``parse_value(table, column, value)``: the value in its natural Python type (money Decimal,
  date ``datetime.date``, float, stripped text or None) or InputError with the rule's message.
- ``validate_frame(table, frame) -> list[Problem]``: a canonical frame, every rule including the
  cross-row one (overlapping commit periods of one contract).
- ``column_problems(table, columns, n)``: the term rules vectorised over canonical columns, for
  the importer (which has already reported unreadable and missing cells).
- ``check_settings(settings) -> list[Problem]``: every threshold in range and in order.
- ``import_refusal(report, strict=False) -> str | None``: whether an import is refused whole.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from desktop.domain import tables
from desktop.domain.errors import InputError
from desktop.domain.money import to_micros
from desktop.domain.tables import FIRST_YEAR, LAST_YEAR
from desktop.domain.vocabulary import (
    BUDGET_DIMENSIONS,
    LINE_TYPES,
    REFERENCE_TABLES,
    SERVICE_TIERS,
    TABLES,
    TOKEN_KINDS,
    tokens_per_unit,
)

# --- messages shared with the importer's cell parsing -------------------------------------------
REQUIRED = "required value is empty"
UNREADABLE = {"money": "cannot read as an amount", "float": "cannot read as a number",
              "date": "cannot read as a date", "bool": "cannot read as yes/no",
              "int": "cannot read as a whole number", "str": "cannot read as text"}
CURRENCY = "currency must be a three-letter code such as USD"
MONTH = f"month must be a month YYYY-MM from {FIRST_YEAR}-01 to {LAST_YEAR}-12"
YEARS = f"must lie in the years {FIRST_YEAR}-{LAST_YEAR}"


@dataclass(frozen=True)
class Problem:
    """One broken rule: the 1-based source row (None for a setting), the column, the message."""

    row: int | None
    column: str
    message: str
    file: str | None = None

    def error(self) -> InputError:
        return InputError(self.message, file=self.file, row=self.row, column=self.column)


@dataclass(frozen=True)
class Rule:
    """A rule on one row: ``broken(*arrays)`` gets one canonical array per column in ``columns``
    and returns True where the row breaks the rule (a blank never breaks a rule: required values
    are a separate check). The problem is reported on ``columns[0]``."""

    table: str
    columns: tuple[str, ...]
    message: str
    broken: Callable[..., np.ndarray]
    doc: str  # the rule as the docs table shows it


def _f(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def _below(limit: float, inclusive: bool = False):
    def broken(v):
        x = _f(v)
        with np.errstate(invalid="ignore"):
            return (x <= limit) if inclusive else (x < limit)
    return broken


def _outside(lo: float, hi: float):
    def broken(v):
        x = _f(v)
        with np.errstate(invalid="ignore"):
            return (x < lo) | (x > hi)
    return broken


def _negative_money(v) -> np.ndarray:
    return np.asarray(v, dtype=np.int64) < 0


def _text(v) -> pd.Series:
    return pd.Series(v, dtype="string").str.strip()


def _per_distinct(v, bad_text: Callable[[str], bool]) -> np.ndarray:
    """``bad_text`` asked once per distinct non-blank value (a million-row column has a handful)."""
    codes, uniques = pd.factorize(pd.Series(v, dtype="string"), use_na_sentinel=True)
    verdict = np.array([bad_text(str(u).strip()) if str(u).strip() else False for u in uniques] + [False],
                       dtype=bool)
    return verdict[np.where(codes < 0, len(uniques), codes)]


_CODE = re.compile(r"[A-Z]{3}")


def _bad_currency(v) -> np.ndarray:
    return _per_distinct(v, lambda s: _CODE.fullmatch(s.upper()) is None)


def _dates(v) -> np.ndarray:
    return np.asarray(v, dtype="datetime64[ns]")


_LO = np.datetime64(f"{FIRST_YEAR}-01-01", "ns")
_HI = np.datetime64(f"{LAST_YEAR}-12-31", "ns")


def _out_of_years(v) -> np.ndarray:
    d = _dates(v)
    return ~np.isnat(d) & ((d < _LO) | (d > _HI))


def _before(a, b) -> np.ndarray:
    """a < b where both are dates."""
    x, y = _dates(a), _dates(b)
    return ~np.isnat(x) & ~np.isnat(y) & (x < y)


def _not_in(vocab: tuple[str, ...]):
    def broken(v):
        return _per_distinct(v, lambda s: s.casefold() not in vocab)
    return broken


_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _bad_month(v) -> np.ndarray:
    def bad(s: str) -> bool:
        m = _MONTH_RE.match(s)
        return m is None or not FIRST_YEAR <= int(m.group(1)) <= LAST_YEAR
    return _per_distinct(v, bad)


def _not_token_unit(unit, kind) -> np.ndarray:
    """A rate-card row with a token_kind whose unit is given but is not a number of tokens."""
    has_kind = ~_blank(pd.Series(kind, dtype="string"))
    bad = _per_distinct(unit, lambda s: tokens_per_unit(s) is None)
    return has_kind & bad


def _token_rules(table: str) -> tuple[Rule, ...]:
    return (Rule(table, ("token_kind",), "token_kind must be one of " + ", ".join(TOKEN_KINDS),
                 _not_in(TOKEN_KINDS), "one of " + ", ".join(TOKEN_KINDS)),
            Rule(table, ("service_tier",), "service_tier must be one of " + ", ".join(SERVICE_TIERS),
                 _not_in(SERVICE_TIERS), "one of " + ", ".join(SERVICE_TIERS)))


COMMITMENT_CATEGORIES = ("spend", "usage")
CONTRACT_STATUSES = ("active", "proposed", "expired")
FULFILMENTS = ("period", "term")
SHORTFALL_TREATMENTS = ("penalty", "credit")
OFFER_SPEND = ("an offer (a proposed contract) is a spend commitment: commitment_category usage is not "
               "allowed in an offer")


def _is_usage(category) -> np.ndarray:
    return (_text(category).str.casefold() == "usage").fillna(False).to_numpy(dtype=bool)


def _usage_without_quantity(quantity, category) -> np.ndarray:
    q = _f(quantity)
    with np.errstate(invalid="ignore"):
        return _is_usage(category) & ~(q >= 0)  # 0 is a tier that commits nothing (FOCUS overage tiers)


def _usage_without_unit(unit, category) -> np.ndarray:
    return _is_usage(category) & (_text(unit).fillna("") == "").to_numpy(dtype=bool)


def _pct_rule(table: str, column: str) -> Rule:
    return Rule(table, (column,), f"{column} must be between 0 and 100", _outside(0.0, 100.0),
                "0 <= value <= 100")


RULES: tuple[Rule, ...] = (
    # commit schedule
    Rule("commitments", ("commitment",), "a commitment cannot be negative", _negative_money, "commitment >= 0"),
    Rule("commitments", ("currency",), CURRENCY, _bad_currency, "three letters (ISO 4217 style)"),
    _pct_rule("commitments", "discount_pct"),
    Rule("commitments", ("overage_multiplier",),
         "overage_multiplier must be at least 1 (below 1, overage would cost less than the commitment)",
         _below(1.0), "overage_multiplier >= 1"),
    _pct_rule("commitments", "shortfall_penalty_pct"),
    _pct_rule("commitments", "rollover_pct"),
    Rule("commitments", ("period_start",), f"period_start {YEARS}", _out_of_years,
         f"year {FIRST_YEAR}-{LAST_YEAR}"),
    Rule("commitments", ("period_end",), f"period_end {YEARS}", _out_of_years, f"year {FIRST_YEAR}-{LAST_YEAR}"),
    Rule("commitments", ("period_end", "period_start"), "period_end is before period_start", _before,
         "period_end >= period_start"),
    Rule("commitments", ("commitment_category",), "commitment_category must be spend or usage",
         _not_in(COMMITMENT_CATEGORIES), "spend or usage"),
    Rule("commitments", ("committed_quantity", "commitment_category"),
         "a usage commitment needs committed_quantity (0 or more)", _usage_without_quantity,
         "category usage: committed_quantity >= 0"),
    Rule("commitments", ("unit", "commitment_category"), "a usage commitment needs the unit it is measured in",
         _usage_without_unit, "category usage: unit given"),
    # usage and invoices
    Rule("usage", ("currency",), CURRENCY, _bad_currency, "three letters"),
    Rule("invoices", ("currency",), CURRENCY, _bad_currency, "three letters"),
    Rule("invoices", ("line_type",), "line_type must be one of " + ", ".join(LINE_TYPES), _not_in(LINE_TYPES),
         "one of " + ", ".join(LINE_TYPES)),
    Rule("invoices", ("period_end", "period_start"), "period_end is before period_start", _before,
         "period_end >= period_start"),
    # budgets
    Rule("budgets", ("month",), MONTH, _bad_month, f"YYYY-MM, {FIRST_YEAR}-01..{LAST_YEAR}-12"),
    Rule("budgets", ("budget",), "a budget cannot be negative", _negative_money, "budget >= 0"),
    Rule("budgets", ("dimension",), "dimension must be one of " + ", ".join(BUDGET_DIMENSIONS),
         _not_in(BUDGET_DIMENSIONS), "one of " + ", ".join(BUDGET_DIMENSIONS)),
    # rate card
    Rule("rate_card", ("contracted_price",), "a contracted price cannot be negative", _below(0.0),
         "contracted_price >= 0"),
    Rule("rate_card", ("list_price",), "a list price cannot be negative", _below(0.0), "list_price >= 0"),
    Rule("rate_card", ("effective_to", "effective_from"), "effective_to is before effective_from", _before,
         "effective_to >= effective_from"),
    Rule("rate_card", ("unit", "token_kind"), "the unit of a token price must be a number of tokens such as "
         "1M tokens (empty = 1M tokens)", _not_token_unit, "with token_kind: tokens, 1K tokens, 1M tokens ..."),
    # token kinds and service tiers (usage, invoice lines, rate card)
    *_token_rules("usage"), *_token_rules("invoices"), *_token_rules("rate_card"),
    # FX rates
    Rule("fx_rates", ("currency",), CURRENCY, _bad_currency, "three letters"),
    Rule("fx_rates", ("rate",), "rate must be greater than 0", _below(0.0, inclusive=True), "rate > 0"),
    Rule("fx_rates", ("valid_to", "valid_from"), "valid_to is before valid_from", _before,
         "valid_to >= valid_from"),
)


def _not_whole_at_least(lo: int):
    def broken(v):
        x = _f(v)
        with np.errstate(invalid="ignore"):
            return ~np.isnan(x) & ((x < lo) | (np.floor(x) != x))
    return broken


def _proposed_usage(category, status) -> np.ndarray:
    return _is_usage(category) & (_text(status).str.casefold() == "proposed").fillna(False).to_numpy(dtype=bool)


def _any_usage(category) -> np.ndarray:
    return _is_usage(category)


# the offer terms and the status of a contract (docs/domain.md "Offers"), rules of the commitments
# table: an offer file (tables.OFFERS) is the commitments template, so it has them all too
CONTRACT_RULES: tuple[Rule, ...] = (
    Rule("commitments", ("status",), "status must be one of " + ", ".join(CONTRACT_STATUSES),
         _not_in(CONTRACT_STATUSES), "one of " + ", ".join(CONTRACT_STATUSES)),
    Rule("commitments", ("fulfilment",), "fulfilment must be one of " + ", ".join(FULFILMENTS),
         _not_in(FULFILMENTS), "one of " + ", ".join(FULFILMENTS)),
    Rule("commitments", ("shortfall_treatment",),
         "shortfall_treatment must be one of " + ", ".join(SHORTFALL_TREATMENTS),
         _not_in(SHORTFALL_TREATMENTS), "one of " + ", ".join(SHORTFALL_TREATMENTS)),
    Rule("commitments", ("rollover_cap",), "a rollover cap cannot be negative", _below(0.0), "rollover_cap >= 0"),
    Rule("commitments", ("rollover_expiry_periods",), "rollover_expiry_periods must be a whole number of at least 1",
         _not_whole_at_least(1), "whole number >= 1"),
    Rule("commitments", ("notice_days",), "notice_days must be a whole number of at least 0",
         _not_whole_at_least(0), "whole number >= 0"),
    Rule("commitments", ("commitment_category", "status"), OFFER_SPEND, _proposed_usage,
         "status proposed: commitment_category spend"),
)

# an offer file: every row is an offer, whatever its status cell says
OFFER_RULES: tuple[Rule, ...] = (
    Rule("offers", ("commitment_category",), OFFER_SPEND, _any_usage, "commitment_category spend"),
)
RULES = RULES + CONTRACT_RULES


def _spec(table: str) -> tables.TableSpec:
    return tables.OFFERS if table == "offers" else tables.SPECS[table]


def rules(table: str) -> tuple[Rule, ...]:
    if table == "offers":
        return tuple(r for r in rules("commitments") if r.columns != ("commitment_category", "status")) + OFFER_RULES
    return tuple(r for r in RULES if r.table == table)


def one_of_message(group: tuple[str, ...]) -> str:
    return f"{' or '.join(group)} is required"


# --- vectorised: importer and frames --------------------------------------------------------------

def column_problems(table: str, columns: Mapping[str, Any], n: int) -> list[tuple[np.ndarray, str, str]]:
    """(mask of rows that break it, column, message) for every rule of ``table`` whose columns
    are all present in ``columns`` (canonical arrays or Series of length n, blanks as NA/NaN/NaT;
    a scalar stands for the whole column)."""
    out = []
    for r in rules(table):
        if not all(c in columns and columns[c] is not None for c in r.columns):
            continue
        arrays = []
        for c in r.columns:
            v = columns[c]
            if np.ndim(v) == 0 and not isinstance(v, pd.Series):
                v = [v] * n
            arrays.append(v.to_numpy() if isinstance(v, pd.Series) and _spec(table).column(c).kind != "str"
                          else v)
        mask = np.asarray(r.broken(*arrays), dtype=bool)
        if mask.any():
            out.append((mask, r.columns[0], r.message))
    return out


def _blank(s: pd.Series) -> np.ndarray:
    if s.dtype.kind in "fM":
        return s.isna().to_numpy()
    if s.dtype.kind in "iub":
        return np.zeros(len(s), dtype=bool)
    t = s.astype("string").str.strip()
    return (t.isna() | (t == "")).to_numpy(dtype=bool)


def validate_frame(table: str, frame: pd.DataFrame) -> list[Problem]:
    """Every problem of a canonical frame (required values, one-of groups, the term rules and,
    for commitments, overlapping periods of one contract), in (row position, rule) order."""
    if frame is None or frame.empty:
        return []
    spec = _spec(table)
    n = len(frame)
    files = frame["_file"].astype("string").fillna("").tolist() if "_file" in frame else [""] * n
    rows = frame["_row"].astype("int64").tolist() if "_row" in frame else list(range(2, n + 2))
    found: list[tuple[int, int, str, str]] = []
    k = 0
    for c in spec.columns:
        if c.required and c.name in frame:
            for i in np.flatnonzero(_blank(frame[c.name])):
                found.append((int(i), k, c.name, REQUIRED))
        k += 1
    for group in spec.one_of:
        present = [g for g in group if g in frame]
        if present:
            none = np.logical_and.reduce([_blank(frame[g]) for g in present])
            for i in np.flatnonzero(none):
                found.append((int(i), k, "/".join(group), one_of_message(group)))
        k += 1
    cols = {c: frame[c] for c in frame.columns}
    for mask, column, message in column_problems(table, cols, n):
        for i in np.flatnonzero(mask):
            found.append((int(i), k, column, message))
        k += 1
    if table == "commitments":
        for i, message in overlaps(frame["contract_id"], frame["period_start"], frame["period_end"], rows, files):
            found.append((i, k, "period_start", message))
        k += 1
        for i, column, message in term_clashes(frame["contract_id"], frame):
            found.append((i, k, column, message))
    found.sort(key=lambda t: (t[0], t[1]))
    return [Problem(rows[i], col, msg, files[i] or table) for i, _, col, msg in found]


def overlaps(contract_ids, starts, ends, rows, files=None) -> list[tuple[int, str]]:
    """Commit periods of one contract that start on or before the end of its previous period
    (in start order): (position of the later period, message naming the earlier one). A period
    found overlapping is not the reference for the ones after it (it is the one to fix)."""
    cid = pd.Series(contract_ids, dtype="string").str.strip().reset_index(drop=True)
    s, e = _dates(starts), _dates(ends)
    ok = cid.notna().to_numpy(dtype=bool) & ~np.isnat(s) & ~np.isnat(e)
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return []
    order = sorted(idx.tolist(), key=lambda i: (str(cid.iloc[i]), s[i], int(rows[i])))
    out = []
    prev = None
    for i in order:
        if prev is not None and cid.iloc[prev] == cid.iloc[i] and s[i] <= e[prev]:
            where = f"row {rows[prev]}" if not files or not files[prev] or files[prev] == files[i] \
                else f"{files[prev]} row {rows[prev]}"
            out.append((i, f"commit period {_day(s[i])}..{_day(e[i])} of contract {cid.iloc[i]} overlaps "
                           f"the period {_day(s[prev])}..{_day(e[prev])} ({where})"))
            continue
        if prev is None or cid.iloc[prev] != cid.iloc[i] or e[i] > e[prev]:
            prev = i
    return out


def term_clashes(contract_ids, columns: Mapping[str, Any]) -> list[tuple[int, str, str]]:
    """Periods of one contract whose status or offer term (tables.CONTRACT_TERMS present in
    ``columns``) differs from the contract's first period that gives one: (position, column,
    message). A blank term takes the others' value (status: blank is active)."""
    cid = pd.Series(contract_ids, dtype="string").str.strip().reset_index(drop=True)
    out = []
    for name in tables.CONTRACT_TERMS:
        if name not in columns or columns[name] is None or np.ndim(columns[name]) == 0:
            continue
        v = pd.Series(columns[name]).reset_index(drop=True)
        if v.dtype.kind not in "fiu":
            v = v.astype("string").str.strip().str.casefold()
            if name == "status":
                v = v.fillna("active").replace("", "active")
            v = v.replace("", pd.NA)
        first: dict[str, Any] = {}
        for i in range(len(v)):
            c, x = cid.iloc[i], v.iloc[i]
            if c is pd.NA or x is pd.NA or (isinstance(x, float) and np.isnan(x)):
                continue
            if c not in first:
                first[c] = x
            elif first[c] != x:
                out.append((i, name, f"contract {c}: {name} differs between its periods ({first[c]}, {x}); "
                                     "a contract has one"))
    return out


def _day(x) -> str:
    return str(np.datetime64(x, "D"))


def raise_first(problems: list[Problem]) -> None:
    """InputError for the first problem, saying how many more there are."""
    if problems:
        p = problems[0]
        more = f" ({len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        raise InputError(p.message + more, file=p.file, row=p.row, column=p.column)


# --- one value: the store's edits and the GUI's editors -------------------------------------------

def parse_value(table: str, column: str, value: Any) -> Any:
    """``value`` in the column's natural type: money Decimal (currency units), date
    ``datetime.date``, float, bool, stripped text (spaces collapsed; currencies upper case) or
    None for a blank. Raises InputError(UNREADABLE[kind]) when it cannot be read."""
    kind = _spec(table).column(column).kind
    if value is None or value is pd.NA or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    try:
        if kind == "money":
            d = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
            if not d.is_finite():
                raise ValueError
            to_micros(d)
            return d
        if kind == "float":
            f = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
            if not np.isfinite(f):
                raise ValueError
            return f
        if kind == "int":
            return int(value)
        if kind == "bool":
            return bool(value)
        if kind == "date":
            if isinstance(value, _dt.datetime):
                return value.date()
            if isinstance(value, _dt.date):
                return value
            if isinstance(value, (pd.Timestamp, np.datetime64)):
                return pd.Timestamp(value).date()
            return _dt.date.fromisoformat(str(value).strip()[:10])
    except (TypeError, ValueError, InvalidOperation, ArithmeticError):
        raise InputError(UNREADABLE[kind], column=column) from None
    text = " ".join(str(value).split())
    if column == "currency":
        text = text.upper()
    return text or None


def _as_array(kind: str, value: Any) -> Any:
    if kind == "money":
        return np.array([0 if value is None else to_micros(value)], dtype=np.int64)
    if kind == "float":
        return np.array([np.nan if value is None else value], dtype=np.float64)
    if kind == "date":
        if value is not None and not 1678 <= value.year <= 2261:  # outside datetime64[ns]: keep it out of range
            value = _dt.date(1678, 1, 1) if value.year < 1678 else _dt.date(2262, 4, 1)
        return np.array([np.datetime64("NaT") if value is None else np.datetime64(value, "D")],
                        dtype="datetime64[ns]")
    return pd.Series([value], dtype="string" if kind == "str" else object)


def check_row(table: str, column: str, value: Any, row: Mapping[str, Any] | None = None) -> str | None:
    """The message of the first rule ``value`` breaks in ``table.column`` (with the other values
    of its row from ``row`` for rules comparing two columns), or None when it is fine."""
    try:
        v = parse_value(table, column, value)
    except InputError as exc:
        return exc.message
    spec = _spec(table)
    if v is None and spec.column(column).required:
        return REQUIRED
    for r in rules(table):
        if column not in r.columns:
            continue
        arrays = []
        for c in r.columns:
            if c == column:
                x = v
            elif row is not None and c in row:
                try:
                    x = parse_value(table, c, row[c])
                except InputError:
                    x = None
            else:
                x = None
            arrays.append(_as_array(spec.column(c).kind, x))
        if bool(np.asarray(r.broken(*arrays), dtype=bool)[0]):
            return r.message
    return None


def require(table: str, column: str, value: Any, row: Mapping[str, Any] | None = None) -> Any:
    """``parse_value`` and ``check_row`` in one: the natural value or InputError(message, column)."""
    message = check_row(table, column, value, row)
    if message is not None:
        raise InputError(message, column=column)
    return parse_value(table, column, value)


# --- settings ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SettingRule:
    column: str  # the setting named in the problem
    message: str
    broken: Callable[[Any], bool]


def _chain(names: tuple[str, ...], s) -> bool:
    vals = [getattr(s, n) if isinstance(n, str) else n for n in names]
    return any(a > b for a, b in zip(vals, vals[1:], strict=False))


BAND_ORDER = ("band_shortfall_risk_below", "band_shortfall_watch_below", 1.0, "band_on_pace_max",
              "band_overage_watch_max")
TIER_ORDER = ("tier_info", "tier_warning", "tier_critical", "tier_hard_stop", "tier_hard_cap")
POSITIVE_SETTINGS = ("run_rate_days", "anomaly_window", "anomaly_min_history", "renewal_baseline_days",
                     "renewal_paths", "rca_high_hours", "rca_medium_hours", "monitoring_recovery_days")

SETTING_RULES: tuple[SettingRule, ...] = (
    SettingRule("band_shortfall_risk_below", "the shortfall risk threshold must not be negative",
                lambda s: s.band_shortfall_risk_below < 0),
    SettingRule("band_shortfall_risk_below", "pacing bands must rise: shortfall risk <= shortfall watch <= "
                "100% <= on pace max <= overage watch max", lambda s: _chain(BAND_ORDER, s)),
    SettingRule("tier_info", "alert tiers must rise: 0 <= info <= warning <= critical <= hard stop <= hard cap",
                lambda s: s.tier_info < 0 or _chain(TIER_ORDER, s)),
    SettingRule("severity_medium", "severity thresholds must rise: 0 <= medium <= high",
                lambda s: not 0 <= s.severity_medium <= s.severity_high),
    SettingRule("severity_under", "the under-budget threshold must be at most 0", lambda s: s.severity_under > 0),
    SettingRule("spike_pct", "the spike threshold must not be negative", lambda s: s.spike_pct < 0),
    *(SettingRule(n, f"{n.replace('_', ' ')} must be at least 1", (lambda s, n=n: getattr(s, n) < 1))
      for n in POSITIVE_SETTINGS),
    SettingRule("anomaly_z", "the anomaly z threshold must be greater than 0", lambda s: not s.anomaly_z > 0),
    SettingRule("smoothing_alpha", "smoothing alpha must be greater than 0 and at most 1",
                lambda s: not 0 < s.smoothing_alpha <= 1),
    SettingRule("reporting_currency", "reporting currency must be a three-letter code such as USD",
                lambda s: not re.fullmatch(r"[A-Z]{3}", str(s.reporting_currency))),
    SettingRule("invoice_tolerance_pct", "tolerances must not be negative",
                lambda s: s.invoice_tolerance_pct < 0 or s.invoice_tolerance_abs < 0
                or s.premium_rate_tolerance_pct < 0),
    SettingRule("renewal_days_per_month", "days per month must be greater than 0",
                lambda s: not s.renewal_days_per_month > 0),
    SettingRule("renewal_max_shortfall_probability", "the safe level's shortfall probability must lie "
                "between 0% and 100%", lambda s: not 0 <= s.renewal_max_shortfall_probability <= 1),
)


def check_settings(settings) -> list[Problem]:
    """Every setting rule ``settings`` breaks (row None, column = the setting)."""
    return [Problem(None, r.column, r.message) for r in SETTING_RULES if r.broken(settings)]


def require_settings(settings) -> None:
    """InputError(message, column) for the first broken setting rule."""
    problems = check_settings(settings)
    if problems:
        raise InputError(problems[0].message, column=problems[0].column)


# --- whole imports -------------------------------------------------------------------------------

def import_refusal(report, strict: bool = False) -> InputError | None:
    """Why an import must not be stored, as the InputError naming the file and its first
    rejected row (None when it may be stored): a file of which no row could be imported; a file
    of a reference table (commitments, budgets, rate card, org map, FX rates) with any rejected
    row, since every row there matters; with ``strict``, any file with a rejected row. The message
    is the first rejected cell's, with its value. The CLI, the store and the import dialog all
    ask this one function."""
    if not report.rows_rejected:
        return None
    first = report.errors[0] if report.errors else None
    message = first.message if first is not None else "rows rejected"
    if first is not None and first.value:
        message += f" (value {first.value!r})"
    more = f" ({report.rows_rejected} rows rejected)" if report.rows_rejected > 1 else ""
    if report.rows_read and not report.rows_imported:
        text = f"no row could be imported; first problem: {message}{more}"
    elif report.kind in REFERENCE_TABLES:
        text = (f"{message}{more}; the file was not imported (every row of a "
                f"{TABLES.label(report.kind).lower()} file matters: fix the row and import it again)")
    elif strict:
        text = f"{message}{more}; the file was not imported (strict: no rejected row allowed)"
    else:
        return None
    return InputError(text, file=report.file or None, row=first.row if first else None,
                      column=first.column if first else None)
