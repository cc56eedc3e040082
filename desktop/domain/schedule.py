"""The commit schedule of one contract as a person edits it (docs/domain.md "Editing the commit
schedule"): add, remove and split periods, change a period's dates or terms, create a contract.

A schedule is a list of periods, each a dict of canonical commitment columns in their natural
values (``period_start`` / ``period_end`` ``datetime.date``, ``commitment`` int micros, floats,
text or None). Every operation returns the new list, checked by the one validation layer
(``desktop.domain.validation.validate_frame``: required values, every term rule, overlapping
periods) or raises InputError with its message. Pure: the store keeps the result
(desktop/store/edits.py), the GUI asks for it (desktop/ui/pages/contracts.py).

Splitting a period at day ``at`` gives [start, at - 1] and [at, end]. The minimum commitment is
shared by days: the first part gets commitment x days(first) / days(period), rounded to the
cent (half up), the second part the rest, so the two add up to the original to the micro.
Example: 120,000.00 over 2026-01-01..2026-12-31 (365 days) split at 2026-04-01: the first part
has 90 days, 120,000.00 x 90 / 365 = 29,589.0410... -> 29,589.04; the second 90,410.96.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import pandas as pd

from desktop.domain import tables, validation
from desktop.domain.errors import InputError
from desktop.domain.money import cents, from_micros, to_micros

# where a period set by hand says it came from (the ``_file`` of its canonical row)
EDITED_SOURCE = "edited in CommitDesk"
COLUMNS = tuple(tables.COMMITMENTS.names)
# the terms a new period takes over from the period before it
TERMS = ("vendor", "currency", "discount_pct", "overage_multiplier", "shortfall_penalty_pct", "rollover_pct",
         "clause", "owner", "escalation_owner", *tables.CONTRACT_TERMS)

Period = dict[str, Any]


def _natural(name: str, value: Any) -> Any:
    kind = tables.COMMITMENTS.column(name).kind
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if kind == "date":
        return pd.Timestamp(value).date()
    if kind == "money":
        return int(value)
    if kind == "float":
        return float(value)
    return str(value)


def from_frame(frame: pd.DataFrame, contract_id: str) -> list[Period]:
    """The periods of ``contract_id`` in a canonical commitments frame, in start order."""
    if frame is None or frame.empty:
        return []
    rows = frame[(frame["contract_id"] == contract_id).fillna(False)].sort_values("period_start")
    return [{c: _natural(c, r[c]) for c in COLUMNS} for _, r in rows.iterrows()]


def by_contract(frame: pd.DataFrame) -> dict[str, list[Period]]:
    """``from_frame`` of every contract of ``frame`` in one pass (contract id -> its periods in
    start order), each period with ``_source``: where it came from ("<file> row <n>", or
    EDITED_SOURCE for a schedule set by hand)."""
    if frame is None or frame.empty:
        return {}
    rows = frame[frame["contract_id"].notna()].sort_values("period_start", kind="mergesort")
    out: dict[str, list[Period]] = {}
    for r in rows.to_dict("records"):
        p = {c: _natural(c, r[c]) for c in COLUMNS}
        f = r["_file"]
        p["_source"] = f if f == EDITED_SOURCE else f"{f} row {r['_row']}"
        out.setdefault(str(r["contract_id"]), []).append(p)
    return out


def to_frame(periods: Iterable[Mapping[str, Any]], source: str = EDITED_SOURCE) -> pd.DataFrame:
    """Canonical commitment rows of ``periods`` (``_file`` = ``source``, ``_row`` = 1, 2, ...)."""
    periods = list(periods)
    if not periods:
        return tables.empty("commitments")
    df = pd.DataFrame([{c: p.get(c) for c in COLUMNS} for p in periods])
    for c in COLUMNS:
        kind = tables.COMMITMENTS.column(c).kind
        if kind == "date":
            df[c] = pd.to_datetime(df[c])
        elif kind == "money":
            df[c] = df[c].fillna(0).astype("int64")
        elif kind == "float":
            default = tables.COMMITMENTS.column(c).default
            df[c] = pd.to_numeric(df[c]).fillna(default if default is not None else float("nan"))
    df["_file"] = source
    df["_row"] = range(1, len(df) + 1)
    return tables.conform(df, "commitments")


def check(periods: list[Period]) -> list[Period]:
    """``periods`` sorted by start, or InputError with the first rule of the validation layer
    they break."""
    out = sorted(periods, key=lambda p: (p.get("period_start") or _dt.date.min))
    frame = to_frame(out)
    validation.raise_first(validation.validate_frame("commitments", frame))
    return out


def _find(periods: list[Period], start: _dt.date) -> int:
    for i, p in enumerate(periods):
        if p["period_start"] == start:
            return i
    raise InputError(f"no commit period starts on {start}", column="period_start")


def split_commitment(commitment: int, days_first: int, days_total: int) -> tuple[int, int]:
    """The minimum commitment (micros) of a period split after ``days_first`` of its
    ``days_total`` days: the first part by days, rounded to the cent (half up), the second the
    rest (module docstring)."""
    first = to_micros(cents(from_micros(commitment) * Decimal(days_first) / Decimal(days_total)))
    return first, commitment - first


def split(periods: list[Period], start: _dt.date, at: _dt.date) -> list[Period]:
    """Split the period starting on ``start`` into [start, at - 1] and [at, end]."""
    i = _find(periods, start)
    p = periods[i]
    end = p["period_end"]
    if not (start < at <= end):
        raise InputError(f"a period is split on a day after its first day and up to its last day "
                         f"({start + _dt.timedelta(days=1)}..{end})", column="period_start")
    total = (end - start).days + 1
    first_days = (at - start).days
    a, b = split_commitment(int(p["commitment"] or 0), first_days, total)
    first = {**p, "period_end": at - _dt.timedelta(days=1), "commitment": a}
    second = {**p, "period_start": at, "commitment": b}
    return check([*periods[:i], first, second, *periods[i + 1:]])


def _month_span(start: _dt.date, end: _dt.date) -> int | None:
    """How many whole calendar months [start, end] covers, or None when it is not whole months."""
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _add_months(day: _dt.date, months: int) -> _dt.date:
    m = day.month - 1 + months
    return _dt.date(day.year + m // 12, m % 12 + 1, 1)


def next_period(periods: list[Period]) -> Period:
    """A period after the last one: the same length (whole months stay whole months), the same
    minimum and terms."""
    if not periods:
        raise InputError("a contract needs a first period before one can follow it", column="period_start")
    last = max(periods, key=lambda p: p["period_start"])
    start = last["period_end"] + _dt.timedelta(days=1)
    months = _month_span(last["period_start"], last["period_end"])
    if months is not None:
        end = _add_months(start, months) - _dt.timedelta(days=1)
    else:
        end = start + (last["period_end"] - last["period_start"])
    return {**last, "period_start": start, "period_end": end, "notes": None}


def add(periods: list[Period], period: Mapping[str, Any] | None = None) -> list[Period]:
    """``periods`` with ``period`` added (None: ``next_period``); the terms it leaves out come
    from the last period."""
    new = dict(next_period(periods)) if period is None else {
        **({k: periods[-1].get(k) for k in TERMS} if periods else {}), **period}
    return check([*periods, new])


def remove(periods: list[Period], start: _dt.date) -> list[Period]:
    """``periods`` without the one starting on ``start`` (a contract keeps at least one)."""
    i = _find(periods, start)
    if len(periods) == 1:
        raise InputError("a contract keeps at least one commit period; this is its only one",
                         column="period_start")
    return check(periods[:i] + periods[i + 1:])


def change(periods: list[Period], start: _dt.date, changes: Mapping[str, Any]) -> list[Period]:
    """``periods`` with the period starting on ``start`` changed (canonical values; the dates
    too)."""
    i = _find(periods, start)
    bad = [k for k in changes if k not in COLUMNS or k == "contract_id"]
    if bad:
        raise InputError(f"{bad[0]!r} cannot be edited", column=bad[0])
    return check([*periods[:i], {**periods[i], **changes}, *periods[i + 1:]])


def set_terms(periods: list[Period], changes: Mapping[str, Any]) -> list[Period]:
    """``periods`` with a contract-wide value (status or an offer term, tables.CONTRACT_TERMS)
    set on every period: a contract has one (docs/domain.md "Offers")."""
    bad = [k for k in changes if k not in tables.CONTRACT_TERMS]
    if bad:
        raise InputError(f"{bad[0]!r} is not a contract-wide term", column=bad[0])
    if not periods:
        raise InputError("no commit period to set it on", column="period_start")
    return check([{**p, **changes} for p in periods])


def new_contract(contract_id: str, vendor: str, period_start: Any, period_end: Any, commitment: Any,
                 existing: Iterable[str] = (), **terms: Any) -> list[Period]:
    """The schedule of a new contract with one period, every value read and checked by the
    validation layer (``existing``: the contract ids already in use)."""
    cid = validation.require("commitments", "contract_id", contract_id)
    same = next((str(x).strip() for x in existing if str(x).strip().casefold() == cid.casefold()), None)
    if same is not None:
        raise InputError(f"a contract {same} already exists; pick another id or edit its schedule",
                         column="contract_id")
    row = {"contract_id": cid}
    raw = {"vendor": vendor, "period_start": period_start, "period_end": period_end,
           "commitment": commitment, **terms}
    for name, value in raw.items():
        v = validation.require("commitments", name, value, row=raw)
        if v is not None and tables.COMMITMENTS.column(name).kind == "money":
            v = to_micros(v)
        if name == "vendor" and v is not None:
            v = tables.normalize_vendor(v) or v
        if name in ("status", "fulfilment", "shortfall_treatment") and v is not None:
            v = str(v).casefold()
        row[name] = v
    for c in COLUMNS:
        if c not in row:
            row[c] = tables.COMMITMENTS.column(c).default
    return check([row])
