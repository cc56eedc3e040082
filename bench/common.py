"""Shared helpers of the benchmark suite: test data at any size, timing, peak memory, JSON lines.

Every benchmark module (bench/bench_<area>.py, listed in bench/run.py AREAS) exposes
``run(sizes: list[int], quick: bool) -> list[dict]``; ``sizes`` are usage row counts
(10_000, 100_000, 1_000_000; ``--quick`` passes fewer). Each dict is one measurement made by
:func:`measure`: {"name", "n", "seconds", "baseline", "baseline_seconds", "ratio", "peak_rss_mb"}
where ``ratio = seconds / baseline_seconds`` (baseline measured in the same run).

Data: :func:`usage_csv` / :func:`usage_csv_dirty` / :func:`usage_xlsx` / :func:`usage_frame` make a usage table of n rows
in the canonical columns of docs/domain.md, shaped like the demo company (same vendors, models,
teams, dates ending at the demo as-of date 2026-11-15), so the demo's contracts, budgets, rate
card and org map apply to it (:func:`demo_tables`). Files are cached in bench/data/ (git-ignored)
and rebuilt when :data:`DATA_VERSION` changes.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "bench" / "data"
DATA_VERSION = 1
SEED = 20261115
AS_OF = pd.Timestamp("2026-11-15")

VENDOR_MODELS = {
    "OpenAI": ["gpt-4o", "gpt-4.1-mini", "o3", "text-embedding-3-large"],
    "Anthropic": ["claude-sonnet-4", "claude-3-5-haiku"],
    "Azure OpenAI": ["gpt-4o", "gpt-4o-mini"],
}
TEAMS = ["Search", "Support", "Growth", "Data Platform", "Research"]
ENVS = ["prod", "staging", "dev"]
METERS = ["input_tokens", "output_tokens", "cached_input_tokens"]
USAGE_COLUMNS = ["date", "vendor", "model", "meter", "quantity", "unit", "cost", "currency", "team", "project",
                 "cost_center", "environment", "api_key", "workload", "commit_eligible"]


# --- data ---------------------------------------------------------------------------------

def usage_frame(n: int, days: int = 365, seed: int = SEED) -> pd.DataFrame:
    """n usage rows as strings/numbers exactly as a CSV would hold them (cost: 6-decimal text)."""
    rng = np.random.default_rng(seed + n)
    pairs = [(v, m) for v, ms in VENDOR_MODELS.items() for m in ms]
    # rows sorted by date, spread evenly over `days` days ending at AS_OF
    day = np.sort(rng.integers(0, days, size=n))
    dates = (AS_OF - pd.to_timedelta(days - 1 - day, unit="D")).strftime("%Y-%m-%d")
    pair = rng.integers(0, len(pairs), size=n)
    team = rng.integers(0, len(TEAMS), size=n)
    env = rng.choice(len(ENVS), size=n, p=[0.7, 0.2, 0.1])
    meter = rng.choice(len(METERS), size=n, p=[0.5, 0.4, 0.1])
    qty = rng.integers(1, 5_000, size=n)
    price_micros = rng.integers(20, 15_000, size=n)  # micro-dollars per 1K tokens
    cost_micros = qty * price_micros
    vendors = np.array([p[0] for p in pairs], dtype=object)[pair]
    models = np.array([p[1] for p in pairs], dtype=object)[pair]
    teams = np.array(TEAMS, dtype=object)[team]
    cost = pd.Series(cost_micros // 1_000_000).astype(str) + "." + \
        pd.Series(cost_micros % 1_000_000).astype(str).str.zfill(6)
    team_slug = pd.Series(teams).str.lower().str.replace(" ", "", regex=False)
    envs = np.array(ENVS, dtype=object)[env]
    return pd.DataFrame({
        "date": dates,
        "vendor": vendors,
        "model": models,
        "meter": np.array(METERS, dtype=object)[meter],
        "quantity": qty,
        "unit": "1K tokens",
        "cost": cost.to_numpy(),
        "currency": "USD",
        "team": teams,
        "project": (team_slug + "-p" + pd.Series(pair % 3).astype(str)).to_numpy(),
        "cost_center": "",
        "environment": envs,
        "api_key": (team_slug + "-" + pd.Series(envs) + "-" + pd.Series(pair).astype(str)).to_numpy(),
        "workload": (pd.Series(models) + "-wl" + pd.Series(team % 2).astype(str)).to_numpy(),
        "commit_eligible": "true",
    }, columns=USAGE_COLUMNS)


def canonical_usage(n: int) -> pd.DataFrame:
    """The rows of :func:`usage_frame` as a canonical usage table (no file parsing involved;
    cached as a pickle next to the CSVs)."""
    return pd.read_pickle(canonical_usage_path(n))


def canonical_usage_path(n: int) -> Path:
    return _cached(f"usage-{n}.canonical.pkl", lambda p: _canonical_usage(n).to_pickle(p))


def _canonical_usage(n: int) -> pd.DataFrame:
    from desktop.domain import tables

    df = usage_frame(n)
    micros = df["cost"].str.replace(".", "", regex=False).astype("int64")
    frame = df.assign(date=pd.to_datetime(df["date"]), cost=micros, commit_eligible=True,
                      quantity=df["quantity"].astype("float64"),
                      cost_center=df["cost_center"].replace("", None))
    frame["_file"] = f"usage-{n}.csv"
    frame["_row"] = np.arange(2, n + 2, dtype=np.int64)
    return tables.conform(frame, "usage")


def _cached(name: str, make: Callable[[Path], None]) -> Path:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"v{DATA_VERSION}-{name}"
    if not path.exists():
        tmp = path.with_name(path.name + ".part" + path.suffix)
        make(tmp)
        tmp.replace(path)
    return path


def usage_csv(n: int) -> Path:
    """A canonical usage CSV of n rows (cached)."""
    return _cached(f"usage-{n}.csv", lambda p: usage_frame(n).to_csv(p, index=False))


DIRTY_CELLS = 8  # messy cells in the dirty CSV (each a spelling an analyst's export really has)


def usage_csv_dirty(n: int, cells: int = DIRTY_CELLS) -> Path:
    """The rows of :func:`usage_csv` with ``cells`` cells respelled the way real exports write
    them, every one still legal and meaning the same value: amounts as "$1,234.567890" (quoted,
    thousands grouped), dates as 11/16/2025, quantities as "2,980"; spread evenly, the last near
    the end of the file (where one such cell once sent the whole import to the careful reader).
    Read, it gives the same rows as the clean file (bench_import checks)."""

    def make(p: Path) -> None:
        df = usage_frame(n)
        at = np.linspace(n // (2 * cells), n - 100, cells).astype(np.int64)
        cost = np.array(df["cost"].tolist(), dtype=object)
        date = np.array(df["date"].tolist(), dtype=object)
        qty = np.array(df["quantity"].tolist(), dtype=object)
        for k, i in enumerate(at):
            units, frac = str(cost[i]).split(".")
            cost[i] = f"${int(units):,}.{frac}"
            if k % 2:
                y, m, d = str(date[i]).split("-")
                date[i] = f"{int(m)}/{int(d)}/{y}"
            if k % 3 == 0:
                qty[i] = f"{int(qty[i]):,}"
        df = df.assign(cost=cost, date=date, quantity=qty)
        df.to_csv(p, index=False)

    return _cached(f"usage-{n}-dirty{cells}.csv", make)


def usage_xlsx(n: int) -> Path:
    """The same rows as one xlsx sheet "usage" (openpyxl write-only; cached)."""

    def make(p: Path) -> None:
        from openpyxl import Workbook

        df = usage_frame(n)
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("usage")
        ws.append(USAGE_COLUMNS)
        cost = df["cost"].astype(float)  # a spreadsheet holds numbers, as analysts' files do
        cols = [df[c].tolist() for c in USAGE_COLUMNS]
        cols[USAGE_COLUMNS.index("cost")] = cost.tolist()
        for row in zip(*cols, strict=True):
            ws.append(row)
        with open(p, "wb") as fh:
            wb.save(fh)

    return _cached(f"usage-{n}.xlsx", make)


def demo_tables() -> dict[str, Path]:
    """The demo company's files (contracts, invoices, budgets, rate card, org map)."""
    from desktop.resources import demo_files

    return demo_files()


# --- measuring ------------------------------------------------------------------------------

def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return r / 2**20 if sys.platform == "darwin" else r / 1024


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled every 5 ms)."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.peak = 0.0
        self._stop = threading.Event()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_mb())
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRSS:
        self.peak = _rss_mb()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, float, Any]:
    """(best seconds over `repeat` runs, peak RSS MB, last result)."""
    best = float("inf")
    result = None
    gc.collect()
    with PeakRSS() as peak:
        for _ in range(max(1, repeat)):
            t0 = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - t0)
    return best, peak.peak, result


def record(name: str, n: int, seconds: float, baseline: str | None, baseline_seconds: float | None,
           peak_rss_mb: float, **extra: Any) -> dict:
    ratio = (seconds / baseline_seconds) if baseline_seconds else None
    out = {
        "name": name, "n": n, "seconds": round(seconds, 6), "baseline": baseline,
        "baseline_seconds": None if baseline_seconds is None else round(baseline_seconds, 6),
        "ratio": None if ratio is None else round(ratio, 3), "peak_rss_mb": round(peak_rss_mb, 1),
    }
    out.update(extra)
    return out


def measure(name: str, n: int, fn: Callable[[], Any], baseline: str | None = None,
            baseline_fn: Callable[[], Any] | None = None, repeat: int = 1, **extra: Any) -> dict:
    """Time `fn` and, in the same run, `baseline_fn`; one result line. The two alternate
    (baseline, ours, baseline, ours ...) and each keeps its best time, so a burst of load
    from a neighbour lands on both instead of on one block of runs. Peak RSS is taken over
    the runs of `fn` only."""
    b_sec = None
    best = float("inf")
    peak_mb = 0.0
    gc.collect()
    for _ in range(max(1, repeat)):
        if baseline_fn is not None:
            t0 = time.perf_counter()
            baseline_fn()
            took = time.perf_counter() - t0
            b_sec = took if b_sec is None else min(b_sec, took)
        with PeakRSS() as peak:
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        peak_mb = max(peak_mb, peak.peak)
    return record(name, n, best, baseline, b_sec, peak_mb, **extra)


def run_parts(parts) -> Iterator[dict]:
    """Run (name, fn) parts in order and yield their lines as each part finishes (so an area cut
    short by the --quick deadline keeps what it measured); a part that fails yields one line with
    an ``error`` key, so one broken part never hides the other numbers."""
    for name, part in parts:
        try:
            lines = part()
        except Exception as exc:  # reported as a result line
            lines = [{"name": name, "n": None, "error": f"{type(exc).__name__}: {exc}"[:500]}]
        yield from lines


def emit(line: dict, stream=None) -> None:
    print(json.dumps(line), file=stream or sys.stdout, flush=True)
