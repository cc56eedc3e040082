"""The numbers behind the brief's charts (daily burn-up per contract) and the raw usage rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from desktop.domain.charts.burnup import burn_up_days
from desktop.domain.money import cents, micros_to_cents
from desktop.domain.results import ContractResult
from desktop.domain.usage_index import UsageIndex


@dataclass(frozen=True)
class BurnRow:
    contract_id: str
    day: date
    spend: Decimal | None  # eligible usage that day (None after as-of)
    consumed: Decimal | None  # cumulative consumption (None after as-of)
    expected: Decimal  # linear burn line, summed over the periods
    projected: Decimal | None  # run-rate projection from as-of on (None before)
    commitment: Decimal  # total commitment of the term


def burn_up(contract: ContractResult, as_of: date, usage: pd.DataFrame | UsageIndex | None) -> list[BurnRow]:
    """One row per day of the contract's term, from the one daily burn-up the charts draw
    (desktop.domain.charts.burn_up_days): eligible spend and cumulative consumption up to the
    as-of date (none without usage rows), the linear burn line and the run-rate projection from
    the as-of date on, in cents."""
    bu = burn_up_days(contract, as_of, usage)
    cum = bu.cum
    rows: list[BurnRow] = []
    for i in range(bu.n):
        if i < bu.n_obs:
            spend, consumed = micros_to_cents(int(bu.daily[i])), micros_to_cents(int(cum[i]))
        else:
            spend = consumed = None
        rows.append(BurnRow(contract.contract_id, contract.term_start + timedelta(days=i), spend, consumed,
                            cents(bu.expected[i]), bu.projected(i), contract.commitment))
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
