"""The numbers behind the brief's charts (daily burn-up per contract) and the raw usage rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.money import cents, micros_to_cents
from desktop.domain.results import ContractResult


@dataclass(frozen=True)
class BurnRow:
    contract_id: str
    day: date
    spend: Decimal | None  # eligible usage that day (None after as-of)
    consumed: Decimal | None  # cumulative consumption (None after as-of)
    expected: Decimal  # linear burn line, summed over the periods
    projected: Decimal | None  # run-rate projection from as-of on (None before)
    commitment: Decimal  # total commitment of the term


def _daily_micros(usage: pd.DataFrame | None, contract_id: str, start: date, end: date) -> dict[date, int]:
    if usage is None or len(usage) == 0 or "_contract" not in usage.columns:
        return {}
    mask = usage["_contract"].astype("string").eq(contract_id).fillna(False).to_numpy(bool)
    if "commit_eligible" in usage.columns:
        mask &= usage["commit_eligible"].fillna(True).to_numpy(bool)
    days = usage["date"].to_numpy("datetime64[D]")
    mask &= (days >= np.datetime64(start)) & (days <= np.datetime64(end))
    if not mask.any():
        return {}
    sub = pd.DataFrame({"d": days[mask], "c": usage["cost"].to_numpy(np.int64)[mask]})
    sums = sub.groupby("d", sort=True)["c"].sum()
    return {pd.Timestamp(d).date(): int(v) for d, v in sums.items()}


def burn_up(contract: ContractResult, as_of: date, usage: pd.DataFrame | None) -> list[BurnRow]:
    """One row per day of the contract's term."""
    start, end = contract.term_start, contract.term_end
    known = usage is not None and "_contract" in getattr(usage, "columns", ())
    # without the usage rows only the contract figures are known: no daily actuals, and the
    # projection starts from the contract's consumption to date
    last_actual = min(as_of, end) if known else start - timedelta(days=1)
    daily = _daily_micros(usage, contract.contract_id, start, last_actual) if known else {}
    run_rate = contract.run_rate
    rows: list[BurnRow] = []
    cum = 0
    cum_at_asof: Decimal | None = None
    if as_of < start:
        cum_at_asof = Decimal("0.00")
    elif not known:
        cum_at_asof = contract.consumed_to_date
    d = start
    while d <= end:
        expected = Decimal(0)
        for p in contract.periods:
            days_p = (p.period_end - p.period_start).days + 1
            elapsed = min(max((d - p.period_start).days + 1, 0), days_p)
            expected += p.commitment * elapsed / days_p
        if d <= last_actual:
            m = daily.get(d, 0)
            cum += m
            spend, consumed = micros_to_cents(m), micros_to_cents(cum)
            if d == as_of:
                cum_at_asof = consumed
        else:
            spend = consumed = None
        projected = None
        if d >= as_of and cum_at_asof is not None:
            projected = cents(cum_at_asof + run_rate * max((d - max(as_of, start - timedelta(days=1))).days, 0))
        rows.append(BurnRow(contract.contract_id, d, spend, consumed, cents(expected), projected,
                            contract.commitment))
        d += timedelta(days=1)
    return rows


# raw usage columns written on request, in this order (provenance last)
RAW_COLUMNS = (
    "date", "vendor", "cost", "currency", "model", "meter", "quantity", "unit", "team", "project",
    "cost_center", "environment", "api_key", "workload", "contract_id", "commit_eligible",
    "_contract", "_file", "_row",
)


def raw_kinds(usage: pd.DataFrame) -> list[tuple[str, str]]:
    """(column, kind) for the raw usage columns present; kind in date|money|float|int|bool|text."""
    out = []
    for c in RAW_COLUMNS:
        if c not in usage.columns:
            continue
        if c == "date":
            out.append((c, "date"))
        elif c == "cost":
            out.append((c, "money"))
        elif c == "quantity":
            out.append((c, "float"))
        elif c == "_row":
            out.append((c, "int"))
        elif c == "commit_eligible":
            out.append((c, "bool"))
        else:
            out.append((c, "text"))
    return out
