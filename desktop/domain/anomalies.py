"""Spend anomalies: z-score of daily spend per team, per vendor and per model
(docs/domain.md "Anomalies").

Daily spend of each value is zero-filled from the first day the value is seen up to T. Day d with
at least ``anomaly_min_history`` earlier days gets the mean and sample standard deviation of the
up to ``anomaly_window`` days before it; it is flagged when std > 0 and z > ``anomaly_z``.
Floats only screen candidates; the flag decision is made exactly on integer micros, and the
reported mean, std (cents) and z come from Decimal arithmetic.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from desktop.domain.money import cents, from_micros
from desktop.domain.progress import Progress
from desktop.domain.results import AnomalyResult
from desktop.domain.settings import DEFAULT_SETTINGS, Settings

DIMENSIONS = ("model", "team", "vendor")


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


def anomalies(usage: pd.DataFrame, as_of: date, settings: Settings = DEFAULT_SETTINGS,
              progress: Progress | None = None) -> tuple[AnomalyResult, ...]:
    """Flagged days per team, vendor and model up to T, ordered by (dimension, value, date)."""
    if usage.empty:
        return ()
    t = pd.Timestamp(as_of)
    u = usage[usage["date"] <= t]
    out: list[AnomalyResult] = []
    for k, dim in enumerate(DIMENSIONS):
        if progress is not None:
            progress.step(k / len(DIMENSIONS), f"anomalies per {dim}")
        f = u[u[dim].notna()]
        if f.empty:
            continue
        vals = f[dim].astype("string").str.strip()
        g = f.groupby([vals, f["date"]], sort=True)["cost"].sum()
        for value, s in g.groupby(level=0, sort=True):
            days = s.index.get_level_values(1)
            first = days.min()
            full = pd.date_range(first, t, freq="D")
            series = pd.Series(s.to_numpy(dtype=np.int64), index=days).reindex(full, fill_value=0)
            micros = series.to_numpy(dtype=np.int64).tolist()
            for i, mu, sd, zz in series_anomalies(micros, min_history=settings.anomaly_min_history,
                                                  window=settings.anomaly_window, z=settings.anomaly_z):
                out.append(AnomalyResult(dimension=dim, value=str(value), date=full[i].date(),
                                         spend=cents(from_micros(micros[i])), mean=cents(mu),
                                         std=cents(sd), z=zz))
    out.sort(key=lambda a: (a.dimension, a.value, a.date))
    return tuple(out)
