"""Spend anomalies: z-score of daily spend per team, per vendor and per model
(docs/domain.md "Anomalies").

Daily spend of each value is zero-filled from the first day the value is seen up to T. Day d with
at least ``anomaly_min_history`` earlier days gets the mean and sample standard deviation of the
up to ``anomaly_window`` days before it; it is flagged when std > 0 and z > ``anomaly_z``.
Floats only screen candidates; the flag decision is made exactly on integer micros, and the
reported mean, std (cents) and z come from Decimal arithmetic. Only rows that count as AI spend
(``UsageIndex.ai``, desktop/domain/ai_services.py) make a series.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from desktop.domain.money import cents, from_micros
from desktop.domain.progress import Progress
from desktop.domain.results import AnomalyResult
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.usage_index import UsageIndex, as_index, match_key
from desktop.domain.vocabulary import ANOMALY_DIMENSIONS

DIMENSIONS = ANOMALY_DIMENSIONS


def _exceeds(x: int, window: list[int], z_num: int, z_den: int) -> bool:
    """Exactly: std > 0 and (x - mean) / std > z_num / z_den for integer micros."""
    n = len(window)
    s = sum(window)
    q = sum(v * v for v in window)
    var_num = n * q - s * s  # = n (n-1) var
    if var_num <= 0:
        return False
    dev = n * x - s  # = n (x - mean)
    if dev <= 0:
        return z_num < 0
    # z = dev / n / sqrt(var_num / (n (n-1)));  z^2 = dev^2 (n-1) / (n var_num)
    return dev * dev * (n - 1) * z_den * z_den > z_num * z_num * n * var_num


def _stats(x: int, window: list[int]) -> tuple[Decimal, Decimal, float]:
    n = len(window)
    mean = Decimal(sum(window)) / n
    var = sum((Decimal(v) - mean) ** 2 for v in window) / (n - 1)
    std = var.sqrt()
    z = (Decimal(x) - mean) / std
    return mean / 1_000_000, std / 1_000_000, float(z)


def series_anomalies(values: list[int], *, min_history: int = 7, window: int = 30,
                     z: float = 3.0) -> list[tuple[int, Decimal, Decimal, float]]:
    """Flagged positions of one zero-filled daily series of micros:
    (index, mean, std, z), mean/std in currency units (exact, not rounded)."""
    n = len(values)
    if n <= min_history:
        return []
    arr = np.asarray(values, dtype=np.float64)
    padded = np.concatenate([np.full(window, np.nan), arr])
    wins = sliding_window_view(padded, window)[:n]  # row i = the `window` days before day i
    idx = np.arange(min_history, n)
    w = wins[idx]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(w, axis=1)
        std = np.nanstd(w, axis=1, ddof=1)
        zf = (arr[idx] - mean) / std
    cand = idx[(std > 0) & (zf > z - 1e-6)]
    zd = Decimal(str(float(z)))
    z_num, z_den = zd.as_integer_ratio()
    out = []
    for i in cand.tolist():
        win = [int(v) for v in values[max(0, i - window):i]]
        if _exceeds(int(values[i]), win, z_num, z_den):
            mu, sd, zz = _stats(int(values[i]), win)
            out.append((i, mu, sd, zz))
    return out


def anomalies(usage: pd.DataFrame | UsageIndex, as_of: date, settings: Settings = DEFAULT_SETTINGS,
              progress: Progress | None = None) -> tuple[AnomalyResult, ...]:
    """Flagged days per team, vendor and model up to T, ordered by (dimension, value, date).

    A series is one match key of the dimension (usage_index.match_key: "Mixed" and " mixed" are
    one team), shown with its first spelling; its rows are anomaly_rows below."""
    index = as_index(usage)
    if not index.size:
        return ()
    out: list[AnomalyResult] = []
    for k, dim in enumerate(DIMENSIONS):
        if progress is not None:
            progress.step(k / len(DIMENSIONS), f"anomalies per {dim}")
        for key, daily in index.ai_daily_by(dim).items():
            if not len(daily.days) or daily.days[0] > np.datetime64(as_of, "D"):
                continue
            first = pd.Timestamp(daily.days[0]).date()
            micros = daily.values(first, as_of)
            value = index.label(dim, key)
            for i, mu, sd, zz in series_anomalies(micros, min_history=settings.anomaly_min_history,
                                                  window=settings.anomaly_window, z=settings.anomaly_z):
                out.append(AnomalyResult(dimension=dim, value=value, date=first + timedelta(days=i),
                                         spend=cents(from_micros(micros[i])), mean=cents(mu),
                                         std=cents(sd), z=zz))
    out.sort(key=lambda a: (a.dimension, a.value, a.date))
    return tuple(out)


def anomaly_rows(index: UsageIndex, a: AnomalyResult, start: date | None = None,
                 end: date | None = None) -> np.ndarray:
    """The usage rows of an anomaly's series (its dimension value), on its day unless a range is
    given (the window behind mean and std)."""
    return index.positions(index.mask(a.dimension, a.value) & index.ai()
                           & index.dated(start or a.date, end or a.date))


def window_bounds(index: UsageIndex, a: AnomalyResult, settings: Settings = DEFAULT_SETTINGS) -> tuple[date, date]:
    """(first, last day) of the window behind an anomaly's mean and std: the up to
    ``anomaly_window`` days before its day, from the series' first day."""
    daily = index.ai_daily_by(a.dimension).get(match_key(a.dimension, a.value))
    first = pd.Timestamp(daily.days[0]).date() if daily is not None and len(daily.days) else a.date
    return max(first, a.date - timedelta(days=settings.anomaly_window)), a.date - timedelta(days=1)


def anomalous_rows(index: UsageIndex, found: tuple[AnomalyResult, ...] | list[AnomalyResult]) -> np.ndarray:
    """Rows on a flagged day of their own series (the union of anomaly_rows over ``found``), as a
    boolean mask over the index; one vectorised pass per dimension."""
    key = tuple(found)
    last = getattr(index, "_anomalous_rows", None)  # one slot: the same anomalies after an edit
    if last is not None and last[0] == key:
        return last[1].copy()
    mask = _anomalous_rows(index, key)
    index._anomalous_rows = (key, mask)
    return mask.copy()


def _anomalous_rows(index: UsageIndex, found: tuple[AnomalyResult, ...]) -> np.ndarray:
    mask = np.zeros(index.size, dtype=bool)
    if not index.size:
        return mask
    d0 = int(index.day.min())
    width = int(index.day.max()) - d0 + 1
    day = index.day - d0
    for dim in DIMENSIONS:
        hits = [a for a in found if a.dimension == dim]
        if not hits:
            continue
        codes, keys, _ = index.codes(dim)
        # a (series, day) table of the flagged days, then one gather per row: no per-row search
        flagged = np.zeros((len(keys) + 1) * width, dtype=bool)  # the last series: code -1
        for a in hits:
            code, off = index.key_code(dim, a.value), (a.date - date(1970, 1, 1)).days - d0
            if code >= 0 and 0 <= off < width:
                flagged[code * width + off] = True
        mask |= flagged[np.where(codes >= 0, codes, len(keys)).astype(np.int64) * width + day]
    return mask & index.ai()
