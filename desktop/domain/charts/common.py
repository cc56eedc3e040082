"""What the chart builders share: the Analysis's settings, a contract by id, the usage frame
(empty when the analysis has none), day offsets and exact per-day sums of micros, and the day
axis of a date chart."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from desktop.domain.charts.model import DAY, epoch_seconds
from desktop.domain.errors import InputError
from desktop.domain.results import Analysis, ContractResult
from desktop.domain.settings import DEFAULT_SETTINGS, Settings


def settings_of(analysis: Analysis) -> Settings:
    return analysis.settings if isinstance(analysis.settings, Settings) else DEFAULT_SETTINGS


def contract_of(analysis: Analysis, contract_id: str) -> ContractResult:
    for c in analysis.contracts:
        if c.contract_id == contract_id:
            return c
    raise InputError(f"no contract {contract_id!r} in this analysis", column="contract_id")


def usage_of(analysis: Analysis) -> pd.DataFrame:
    u = analysis.usage
    if u is None:
        from desktop.domain import tables

        u = tables.empty("usage")
        u["_contract"] = pd.Series([], dtype="string")
    return u


def day_offsets(frame: pd.DataFrame, start: date) -> np.ndarray:
    d = frame["date"].to_numpy(dtype="datetime64[D]")
    return (d - np.datetime64(start, "D")).astype(np.int64)


def sum_micros_by(point: np.ndarray, micros: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums of micros per point index 0..n-1."""
    out = np.zeros(n, np.int64)
    keep = (point >= 0) & (point < n)
    np.add.at(out, point[keep], micros[keep].astype(np.int64))
    return out


def short_range(a: date, b: date) -> str:
    """'Jan 1 – Mar 31 2026' (years spelled once when equal)."""
    left = f"{a:%b} {a.day}" + ("" if a.year == b.year else f" {a.year}")
    return f"{left} – {b:%b} {b.day} {b.year}"


def day_axis(start: date, n: int) -> np.ndarray:
    return epoch_seconds(start) + DAY * np.arange(n, dtype=np.float64)
