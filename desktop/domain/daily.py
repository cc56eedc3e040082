"""Daily series: exact integer-micros sums per day of one series, and the integer groupbys that
build many series at once. Every figure that is a sum of usage over a date range reads a Daily
(``total(start, end)`` is exact), so a range sum is computed in one place."""

from __future__ import annotations

from datetime import date
from itertools import accumulate

import numpy as np
import pandas as pd

from desktop.domain.tables import text_codes


class Daily:
    """Daily spend (integer micros) of one series with exact range sums."""

    def __init__(self, days: np.ndarray, micros: np.ndarray):
        order = np.argsort(days, kind="mergesort")
        self.days = np.asarray(days, dtype="datetime64[D]")[order]
        vals = [int(v) for v in np.asarray(micros, dtype=np.int64)[order].tolist()]
        self.cum = [0, *accumulate(vals)]

    @classmethod
    def empty(cls) -> Daily:
        return cls(np.array([], dtype="datetime64[D]"), np.array([], dtype=np.int64))

    def total(self, start: date, end: date) -> int:
        """Exact sum of micros on days start..end (inclusive); 0 when end < start."""
        if end < start:
            return 0
        lo = int(np.searchsorted(self.days, np.datetime64(start, "D"), side="left"))
        hi = int(np.searchsorted(self.days, np.datetime64(end, "D"), side="right"))
        return self.cum[hi] - self.cum[lo]

    def values(self, start: date, end: date) -> list[int]:
        """Zero-filled daily micros for start..end."""
        n = (end - start).days + 1
        if n <= 0:
            return []
        out = [0] * n
        lo = int(np.searchsorted(self.days, np.datetime64(start, "D"), side="left"))
        hi = int(np.searchsorted(self.days, np.datetime64(end, "D"), side="right"))
        offsets = (self.days[lo:hi] - np.datetime64(start, "D")).astype(np.int64).tolist()
        cum = self.cum
        for k, off in zip(range(lo, hi), offsets, strict=True):
            out[off] = cum[k + 1] - cum[k]
        return out


def key_codes(s: pd.Series, keyfn=None) -> tuple[np.ndarray, list[str]]:
    """Integer codes of the values of ``s`` after ``keyfn`` (default: the value as text), -1 for
    NA; values with the same key share a code. Returns (codes, keys by code)."""
    codes, uniques = text_codes(s)
    keys: dict[str, int] = {}
    remap = np.array([keys.setdefault(keyfn(u) if keyfn else str(u), len(keys)) for u in uniques] + [-1],
                     dtype=np.int64)
    return remap[codes], list(keys)


def daily_groups(codes: np.ndarray, days: np.ndarray, micros: np.ndarray,
                 counts: bool = False) -> dict[int, Daily]:
    """Daily sums of ``micros`` (or row counts) per code >= 0, from one integer groupby."""
    sums, sizes = daily_sums_and_counts(codes, days, micros)
    return sizes if counts else sums


def daily_sums_and_counts(codes: np.ndarray, days: np.ndarray,
                          micros: np.ndarray) -> tuple[dict[int, Daily], dict[int, Daily]]:
    """(daily sums, daily row counts) per code >= 0, from one integer groupby."""
    codes = np.asarray(codes)
    ok = codes >= 0
    if not ok.any():
        return {}, {}
    day = np.asarray(days, dtype="datetime64[D]").astype(np.int64)[ok]
    key = codes[ok].astype(np.int64)
    cost = np.asarray(micros, dtype=np.int64)[ok]
    g = pd.DataFrame({"k": key, "d": day, "c": cost}).groupby(["k", "d"], sort=True)["c"].agg(["sum", "size"])
    k = g.index.get_level_values(0).to_numpy()
    d = g.index.get_level_values(1).to_numpy().astype("datetime64[D]")
    v = g["sum"].to_numpy(dtype=np.int64)
    n = g["size"].to_numpy(dtype=np.int64)
    cuts = np.flatnonzero(np.diff(k)) + 1
    starts = [0, *cuts.tolist()]
    ends = [*cuts.tolist(), len(k)]
    sums: dict[int, Daily] = {}
    sizes: dict[int, Daily] = {}
    for a, b in zip(starts, ends, strict=True):
        sums[int(k[a])] = Daily(d[a:b], v[a:b])
        sizes[int(k[a])] = Daily(d[a:b], n[a:b])
    return sums, sizes


def daily_by(frame: pd.DataFrame, key: str) -> dict[str, Daily]:
    """Daily micros per value of ``key`` (rows where key is NA are ignored)."""
    if frame.empty:
        return {}
    codes, keys = key_codes(frame[key])
    groups = daily_groups(codes, frame["date"].to_numpy(), frame["cost"].to_numpy())
    return {keys[c]: d for c, d in groups.items()}


