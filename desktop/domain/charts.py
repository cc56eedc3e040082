"""Chart data: what to draw, computed from an Analysis. Pure (no Qt); the widgets in
desktop/ui/charts only draw what these builders return.

Every builder returns a frozen ``ChartData``: a tuple of ``Series`` (numpy float64 coordinates),
optional shaded ``Band``s, vertical ``Marker``s and horizontal ``Threshold``s, plus what the
axes are. Coordinates are floats because they are for drawing only; the money figures shown
to the analyst come from the Analysis (Decimal cents) or from exact int64 micros sums.

x coordinates on a date axis are float seconds since the epoch (UTC) of the day's midnight, so
pyqtgraph's DateAxisItem(utcOffset=0) labels them as calendar days. A point at day d means
"day d" (daily spend) or "to date, including day d" (cumulative lines), and covers the
interval [d, d + 1 day) for the readout.

Click-to-select: a ``Series`` carries, per point, the source rows behind it (``RefIndex``, a
compact CSR table of ``SourceRef(file, row)``) or, where there are no source rows (renewal
scenarios), string keys.

Decisions (docs/domain.md is silent on charts):

* Burn-up forecast cone. The expected forecast continues the cumulative consumption at T with
  the contract's run rate (the exposure method of docs/domain.md), so it ends at
  projected_consumption. ``low`` and ``surge`` use run_rate -/+ sigma, where sigma is the sample
  standard deviation (n - 1) of the daily eligible spend in the same trailing window as the run
  rate (days T-13..T inside the term, a day without usage counting as 0); low is floored at 0.
  It reads as "a sustained one-standard-deviation shift of the daily level", a scenario
  range, not a confidence interval; with fewer than two window days sigma is 0.
* Burn-up bands are the five pacing bands of the settings applied to the cumulative expected
  line (the contract pacing ratio is cumulative consumed / cumulative expected): a point lies
  in band b when consumed / expected falls in b's range. shortfall_risk runs down to 0 and
  overage_risk up to the top of the plotted data.
* Burn-up commitment steps: for period p the step is the cumulative level the consumption must
  reach by end_p to meet C'_p = C_p + carry_in_p, i.e. (sum of projected_q for q < p) + C'_p.
  For the first period that is C_1; with no carry and every period met it is the running sum of
  commitments.
* Daily spend covers every usage row (eligible or not) dated up to T, zero-filled per day from
  the first to the last day seen; groups beyond the seven largest (by total) are merged into
  "Other" when there are more than eight. The 7-day average is of the total daily spend over
  the trailing 7 days including the day (fewer at the start).
* Budget utilization shows, per allocation line of one month (default: the month of T when a
  budget exists for it, else the latest month), actual / budget and forecast / budget, with the
  alert-tier thresholds of the settings as horizontal lines.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import palette
from desktop.domain.errors import InputError
from desktop.domain.results import ALERT_TIERS, Analysis, ContractResult, RenewalScenarioResult, SourceRef
from desktop.domain.settings import DEFAULT_SETTINGS, Settings

DAY = 86400.0
_EPOCH = date(1970, 1, 1)

# --------------------------------------------------------------------------------------------
# small conversions


def epoch_seconds(d: date) -> float:
    """Midnight (UTC) of a calendar day as float seconds since the epoch."""
    if isinstance(d, datetime):
        d = d.date()
    return float((d - _EPOCH).days) * DAY


def epoch_array(values) -> np.ndarray:
    """datetime64 values (Series, Index or array) -> float64 seconds since the epoch."""
    arr = np.asarray(pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]"))
    return arr.astype("datetime64[s]").astype(np.int64).astype(np.float64)


def date_of(x: float) -> date:
    """The calendar day covering x (float seconds since the epoch)."""
    return _EPOCH + timedelta(days=int(math.floor(x / DAY)))


def to_float(v: Decimal | int | float | None) -> float:
    if v is None:
        return float("nan")
    return float(v)


def fmt_money(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    return f"{v:,.2f}"


def fmt_value(v: float, unit: str) -> str:
    if v is None or not np.isfinite(v):
        return "n/a"
    if unit == "money":
        return fmt_money(v)
    if unit in ("probability", "ratio"):
        return f"{v * 100:.1f}%"
    return f"{v:,.4g}"


# --------------------------------------------------------------------------------------------
# data types


@dataclass(frozen=True, eq=False)
class RefIndex:
    """Source rows per point, compressed: the rows of point i are rows[offsets[i]:offsets[i+1]]
    with file names files[file_idx[...]]. ``keys`` replaces rows where a point has no source
    rows (one key per point)."""

    offsets: np.ndarray  # int64, len n + 1
    file_idx: np.ndarray  # int32
    rows: np.ndarray  # int64
    files: tuple[str, ...] = ()
    keys: tuple[str, ...] | None = None

    @property
    def n(self) -> int:
        return len(self.offsets) - 1

    def at(self, i: int) -> list:
        if self.keys is not None:
            return [self.keys[i]]
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return [SourceRef(self.files[int(f)], int(r))
                for f, r in zip(self.file_idx[lo:hi], self.rows[lo:hi], strict=True)]

    def count(self, i: int) -> int:
        return 1 if self.keys is not None else int(self.offsets[i + 1] - self.offsets[i])

    @staticmethod
    def from_keys(keys: Sequence[str]) -> RefIndex:
        n = len(keys)
        return RefIndex(np.zeros(n + 1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int64),
                        (), tuple(keys))

    @staticmethod
    def from_frame(frame: pd.DataFrame, point: np.ndarray, n: int) -> RefIndex:
        """Rows of ``frame`` (with _file/_row) assigned to points 0..n-1 by ``point``
        (int array aligned with frame; values outside 0..n-1 are dropped)."""
        point = np.asarray(point, dtype=np.int64)
        keep = (point >= 0) & (point < n)
        point = point[keep]
        files_col = frame["_file"].astype(object).to_numpy()[keep]
        rows_col = frame["_row"].to_numpy(dtype=np.int64)[keep]
        codes, uniques = pd.factorize(pd.Series(files_col, dtype=object).fillna(""), sort=False)
        order = np.lexsort((rows_col, codes, point))
        counts = np.bincount(point, minlength=n)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        return RefIndex(offsets, codes[order].astype(np.int32), rows_col[order],
                        tuple(str(u) for u in uniques))

    @staticmethod
    def from_refs(per_point: Sequence[Sequence[SourceRef]]) -> RefIndex:
        files: dict[str, int] = {}
        fi: list[int] = []
        rows: list[int] = []
        offsets = [0]
        for refs in per_point:
            for r in refs:
                fi.append(files.setdefault(r.file, len(files)))
                rows.append(int(r.row))
            offsets.append(len(rows))
        return RefIndex(np.asarray(offsets, np.int64), np.asarray(fi, np.int32),
                        np.asarray(rows, np.int64), tuple(files))


@dataclass(frozen=True, eq=False)
class Series:
    """One drawn series. ``y`` is the drawn top; for stacked series ``y0`` is the base and
    the series' own value is y - y0. ``lo``/``hi`` (optional) are the x-interval each point
    covers (bars, periods) for the readout and clicks."""

    name: str
    label: str
    x: np.ndarray
    y: np.ndarray
    color: str
    style: str = "line"  # line | step | dash | area | bar | bar_outline | scatter | symbols
    unit: str = "money"  # money | probability | ratio | number
    axis: str = "left"  # left | right
    refs: RefIndex | None = None
    y0: np.ndarray | None = None
    width: np.ndarray | None = None  # bar widths (x units)
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    readout: bool = True
    legend: bool = True
    symbol: str | None = None  # pyqtgraph symbol for scatter/symbols: o, d, star, t ...
    notes: tuple[str, ...] | None = None  # per-point extra text shown in the readout
    connect: str = "all"  # all | pairs
    draw: bool = True  # False: in the readout and CSV only
    point_colors: tuple[str, ...] | None = None  # per-point fill (bars coloured by tier)
    fill_to: str | None = None  # shade between this series and the named one (forecast cone)
    legend_label: str | None = None  # legend text when it differs from the readout label
    point_pale: tuple[bool, ...] | None = None  # per-point: drawn pale (projected, not actual)
    readout_value: bool = True  # False: the readout shows only the point's note

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def value(self) -> np.ndarray:
        return self.y if self.y0 is None else self.y - self.y0


@dataclass(frozen=True, eq=False)
class Band:
    name: str
    label: str
    x: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    color: str


@dataclass(frozen=True)
class Marker:
    """A vertical line at x with a label (as-of date, period boundaries)."""

    x: float
    label: str
    color: str
    kind: str = "boundary"  # boundary | term_end | as_of | recommended
    short: str = ""  # shorter label where space is tight (near the right edge)


@dataclass(frozen=True)
class Threshold:
    """A horizontal line at y with a label (tier thresholds)."""

    y: float
    label: str
    color: str
    axis: str = "left"


@dataclass(frozen=True, eq=False)
class ChartData:
    kind: str
    title: str
    series: tuple[Series, ...]
    x_kind: str = "date"  # date | category | money
    x_label: str = ""
    y_label: str = ""
    y2_label: str = ""  # right axis (probability)
    categories: tuple[str, ...] = ()
    bands: tuple[Band, ...] = ()
    markers: tuple[Marker, ...] = ()
    thresholds: tuple[Threshold, ...] = ()
    currency: str = "USD"
    notes: tuple[str, ...] = ()
    swatches: tuple[tuple[str, str], ...] = ()  # extra legend entries: (label, colour)
    y2_range: tuple[float, float] | None = None  # fixed right-axis range (probabilities)
    extra: dict = field(default_factory=dict)

    def get(self, name: str) -> Series:
        for s in self.series:
            if s.name == name:
                return s
        raise KeyError(name)

    def has(self, name: str) -> bool:
        return any(s.name == name for s in self.series)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.series]

    def x_text(self, x: float) -> str:
        if self.x_kind == "date":
            return date_of(x).isoformat()
        if self.x_kind == "category":
            i = int(round(x))
            return self.categories[i] if 0 <= i < len(self.categories) else ""
        return fmt_money(x)


# --------------------------------------------------------------------------------------------
# readout, picking and CSV (shared by every chart)


def point_at(s: Series, x: float, x_kind: str) -> int | None:
    """Index of the point of ``s`` the readout shows at x, or None."""
    if s.n == 0:
        return None
    if s.lo is not None and s.hi is not None:
        inside = np.nonzero((s.lo <= x) & (x < s.hi))[0]
        return int(inside[0]) if inside.size else None
    if x_kind == "date":
        i = int(np.searchsorted(s.x, x, side="right")) - 1
        if i < 0 or x >= s.x[i] + DAY:
            return None
        # steps stored as (start, end) pairs: the end point covers its own day too
        return i
    if x_kind == "category":
        i = int(np.argmin(np.abs(s.x - x)))
        return i if abs(s.x[i] - x) <= 0.5 else None
    # numeric axis: nearest point
    i = int(np.searchsorted(s.x, x))
    cands = [j for j in (i - 1, i) if 0 <= j < s.n]
    return min(cands, key=lambda j: abs(s.x[j] - x))


def readout(data: ChartData, x: float, hidden: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(label, value text) of every readable visible series at x."""
    hidden = set(hidden)
    out: list[tuple[str, str]] = []
    for s in data.series:
        if not s.readout or s.name in hidden:
            continue
        i = point_at(s, x, data.x_kind)
        if i is None:
            continue
        v = float(s.value[i])
        if not np.isfinite(v):
            continue
        note = s.notes[i] if s.notes is not None else ""
        if not s.readout_value:
            text = note
        else:
            text = fmt_value(v, s.unit) + (f" ({note})" if note else "")
        out.append((s.label, text))
    return out


def readout_text(data: ChartData, x: float, hidden: Iterable[str] = ()) -> str:
    """The crosshair text: 'where · label: value · label: value'."""
    parts = readout(data, x, hidden)
    if not parts:
        return ""
    head = data.x_text(x)
    if data.x_kind == "money":
        # numeric axis: each series shows its nearest point; name the hovered level
        head = f"{data.x_label or 'x'} {head}"
    return " · ".join([head] + [f"{label}: {value}" for label, value in parts])


def pick(data: ChartData, x: float, y: float, px_x: float, px_y: float, radius: float = 8.0,
         hidden: Iterable[str] = (), y2: float | None = None) -> tuple[str, int] | None:
    """The clickable point under (x, y): (series name, index) or None.

    px_x / px_y are pixels per data unit on each axis (to measure ``radius`` in pixels).
    Bars and stacked areas are hit when (x, y) lies inside them; lines and symbols when a
    point is within ``radius`` pixels. ``y2`` is the click's y on the right axis."""
    hidden = set(hidden)
    best: tuple[float, str, int] | None = None
    for s in data.series:
        if s.refs is None or s.name in hidden or s.n == 0:
            continue
        yy = y2 if (s.axis == "right" and y2 is not None) else y
        if s.style in ("bar", "bar_outline"):
            w = s.width if s.width is not None else np.full(s.n, 0.8)
            base = s.y0 if s.y0 is not None else np.zeros(s.n)
            lo_y, hi_y = np.minimum(base, s.y), np.maximum(base, s.y)
            inside = np.nonzero((np.abs(s.x - x) <= w / 2) & (lo_y <= yy) & (yy <= hi_y))[0]
            for i in inside:
                cand = (0.0 - (1.0 / (1.0 + (hi_y[i] - lo_y[i]))), s.name, int(i))
                if best is None or cand[0] < best[0]:
                    best = cand
            continue
        if s.style == "area" and data.x_kind == "date":
            i = point_at(s, x, data.x_kind)
            if i is not None:
                base = float(s.y0[i]) if s.y0 is not None else 0.0
                if base <= yy <= float(s.y[i]):
                    cand = (-0.5, s.name, i)
                    if best is None or cand[0] < best[0]:
                        best = cand
            continue
        # nearest point in pixels, searching a window around x
        half = radius / max(px_x, 1e-300)
        a = int(np.searchsorted(s.x, x - half, side="left"))
        b = int(np.searchsorted(s.x, x + half, side="right"))
        if data.x_kind == "date" and s.style in ("line", "step", "dash", "area"):
            # a day covers [d, d + 1): also consider the day under the cursor
            a = max(0, min(a, int(np.searchsorted(s.x, x, side="right")) - 1))
        if b <= a:
            continue
        xs, ys = s.x[a:b], s.y[a:b]
        dx = (xs - x) * px_x
        if data.x_kind == "date":
            dx = np.where((xs <= x) & (x < xs + DAY), 0.0, dx)
        d = np.hypot(dx, (ys - yy) * px_y)
        d = np.where(np.isfinite(d), d, np.inf)
        j = int(np.argmin(d))
        if d[j] <= radius and (best is None or d[j] < best[0]):
            best = (float(d[j]), s.name, a + j)
    return None if best is None else (best[1], best[2])


def bounds(data: ChartData, hidden: Iterable[str] = ()) -> dict:
    """The data extent to show: {"x": (lo, hi), "y": (lo, hi), "y2": (lo, hi) | None} over the
    visible drawn series (bars with their widths and bases), bands, thresholds and markers.
    Money charts on a date or category axis include 0 so that bars and areas are not cut."""
    hidden = set(hidden)
    xs: list[float] = []
    ys: list[float] = []
    y2: list[float] = []

    def ext(arr, out):
        a = np.asarray(arr, dtype=np.float64)
        a = a[np.isfinite(a)]
        if a.size:
            out.extend((float(a.min()), float(a.max())))

    for s in data.series:
        if not s.draw or s.name in hidden or s.n == 0:
            continue
        if s.style in ("bar", "bar_outline"):
            w = s.width if s.width is not None else np.full(s.n, 0.8)
            ext(s.x - w / 2, xs)
            ext(s.x + w / 2, xs)
            if s.lo is not None and s.hi is not None:  # the span a bar stands for (its period)
                ext(s.lo, xs)
                ext(s.hi, xs)
        elif s.style == "step" and s.lo is not None and s.hi is not None:
            ext(s.lo, xs)
            ext(s.hi, xs)
        else:
            ext(s.x, xs)
        target = y2 if s.axis == "right" else ys
        ext(s.y, target)
        if s.y0 is not None:
            ext(s.y0, target)
    for b in data.bands:
        if b.name not in hidden:
            ext(b.lower, ys)
            ext(b.upper, ys)
    for t in data.thresholds:
        (y2 if t.axis == "right" else ys).append(t.y)
    if data.x_kind == "date" and xs:
        xs.extend(m.x for m in data.markers)
    if data.x_kind == "category" and data.categories:
        xs.extend((-0.5, len(data.categories) - 0.5))
    if data.x_kind in ("date", "category"):
        ys.append(0.0)
    out = {
        "x": (min(xs), max(xs)) if xs else None,
        "y": (min(ys), max(ys)) if ys else None,
        "y2": (min(y2), max(y2)) if y2 else None,
    }
    if data.y2_range is not None and out["y2"] is not None:
        out["y2"] = (min(data.y2_range[0], out["y2"][0]), max(data.y2_range[1], out["y2"][1]))
    return out


def selection(data: ChartData, name: str, index: int) -> list:
    s = data.get(name)
    return [] if s.refs is None else s.refs.at(index)


def to_csv(data: ChartData, hidden: Iterable[str] = ()) -> str:
    """The plotted data in long form: series, x, value (+ band limits and thresholds)."""
    hidden = set(hidden)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    x_head = {"date": "date", "category": "category"}.get(data.x_kind, data.x_label or "x")
    w.writerow(["series", x_head, "value", "unit"])
    for s in data.series:
        if s.name in hidden:
            continue
        vals = s.value
        for i in range(s.n):
            v = float(vals[i])
            if not np.isfinite(v):
                continue
            # bars over a date span are listed at the span's first day
            xi = float(s.lo[i]) if (s.lo is not None and data.x_kind == "date") else float(s.x[i])
            w.writerow([s.label, _csv_x(data, xi), _csv_num(v, s.unit), s.unit])
    for b in data.bands:
        for i in range(len(b.x)):
            w.writerow([f"{b.label} (lower)", _csv_x(data, float(b.x[i])), _csv_num(float(b.lower[i]), "money"), "money"])
            w.writerow([f"{b.label} (upper)", _csv_x(data, float(b.x[i])), _csv_num(float(b.upper[i]), "money"), "money"])
    for t in data.thresholds:
        w.writerow([t.label, "", _csv_num(t.y, "ratio"), "threshold"])
    for m in data.markers:
        w.writerow([m.label, _csv_x(data, m.x), "", m.kind])
    return buf.getvalue()


def _csv_x(data: ChartData, x: float) -> str:
    if data.x_kind == "date":
        return date_of(x).isoformat()
    if data.x_kind == "category":
        return data.x_text(x)
    return f"{x:.2f}"


def _csv_num(v: float, unit: str) -> str:
    return f"{v:.2f}" if unit == "money" else f"{v:.6g}"


# --------------------------------------------------------------------------------------------
# shared helpers


def _settings(analysis: Analysis) -> Settings:
    return analysis.settings if isinstance(analysis.settings, Settings) else DEFAULT_SETTINGS


def _contract(analysis: Analysis, contract_id: str) -> ContractResult:
    for c in analysis.contracts:
        if c.contract_id == contract_id:
            return c
    raise InputError(f"no contract {contract_id!r} in this analysis", column="contract_id")


def _usage(analysis: Analysis) -> pd.DataFrame:
    u = analysis.usage
    if u is None:
        from desktop.domain import tables

        u = tables.empty("usage")
        u["_contract"] = pd.Series([], dtype="string")
    return u


def _contract_usage(analysis: Analysis, c: ContractResult) -> pd.DataFrame:
    """Eligible usage drawing down contract c, dated inside one of its periods."""
    u = _usage(analysis)
    if "_contract" not in u.columns or u.empty:
        return u.iloc[0:0]
    m = (u["_contract"].astype("string") == c.contract_id).fillna(False).to_numpy(bool)
    if "commit_eligible" in u.columns:
        m &= u["commit_eligible"].to_numpy(bool)
    u = u[m]
    dates = u["date"].to_numpy(dtype="datetime64[D]")
    inside = np.zeros(len(u), bool)
    for p in c.periods:
        inside |= (dates >= np.datetime64(p.period_start, "D")) & (dates <= np.datetime64(p.period_end, "D"))
    return u[inside]


def _day_offsets(frame: pd.DataFrame, start: date) -> np.ndarray:
    d = frame["date"].to_numpy(dtype="datetime64[D]")
    return (d - np.datetime64(start, "D")).astype(np.int64)


def _sum_micros_by(point: np.ndarray, micros: np.ndarray, n: int) -> np.ndarray:
    """Exact int64 sums of micros per point index 0..n-1."""
    out = np.zeros(n, np.int64)
    keep = (point >= 0) & (point < n)
    np.add.at(out, point[keep], micros[keep].astype(np.int64))
    return out


def _short_range(a: date, b: date) -> str:
    """'Jan 1 – Mar 31 2026' (years spelled once when equal)."""
    left = f"{a:%b} {a.day}" + ("" if a.year == b.year else f" {a.year}")
    return f"{left} – {b:%b} {b.day} {b.year}"


def _days(start: date, n: int) -> np.ndarray:
    return epoch_seconds(start) + DAY * np.arange(n, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# burn-up


def burn_up(analysis: Analysis, contract_id: str) -> ChartData:
    """Cumulative eligible consumption of one contract against its linear expected line, the
    pacing bands, the commitment steps (with carry), the forecast cone and the as-of marker."""
    c = _contract(analysis, contract_id)
    st = _settings(analysis)
    T = analysis.as_of
    start, end = c.term_start, c.term_end
    n_term = (end - start).days + 1
    x_term = _days(start, n_term)
    last = min(T, end)
    n_obs = max(0, (last - start).days + 1)

    usage = _contract_usage(analysis, c)
    off = _day_offsets(usage, start)
    daily = _sum_micros_by(off, usage["cost"].to_numpy(np.int64), n_term)
    cum_micros = np.cumsum(daily)
    cum = cum_micros / 1e6

    # expected line over the whole term
    day_no = np.arange(n_term, dtype=np.int64)
    expected = np.zeros(n_term)
    for p in c.periods:
        p_off = (p.period_start - start).days
        p_days = (p.period_end - p.period_start).days + 1
        elapsed = np.clip(day_no - p_off + 1, 0, p_days)
        expected += float(p.commitment) * elapsed / p_days

    series: list[Series] = []
    obs_refs = RefIndex.from_frame(usage, off, n_obs)
    daily_notes = tuple(f"that day {fmt_money(v / 1e6)}" for v in daily[:n_obs])
    series.append(Series("consumed", "Consumed (cumulative)", x_term[:n_obs], cum[:n_obs].copy(),
                         palette.ROLE_COLORS["actual"], "line", refs=obs_refs, notes=daily_notes))
    series.append(Series("expected", "Expected (linear)", x_term, expected,
                         palette.ROLE_COLORS["expected"], "dash"))

    # commitment steps including carry
    step_x: list[float] = []
    step_y: list[float] = []
    step_notes: list[str] = []
    base = Decimal(0)
    markers: list[Marker] = []
    for k, p in enumerate(c.periods, start=1):
        level = base + p.commitment + p.carry_in
        note = f"P{k}: {fmt_money(float(p.commitment))}"
        if p.carry_in:
            note += f" + carry {fmt_money(float(p.carry_in))}"
        step_x += [epoch_seconds(p.period_start), epoch_seconds(p.period_end)]
        step_y += [float(level), float(level)]
        step_notes += [note, note]
        base += p.projected
        label = f"P{k} {_short_range(p.period_start, p.period_end)} · {fmt_money(float(p.commitment))}"
        if p.carry_in:
            label += f" + carry {fmt_money(float(p.carry_in))}"
        markers.append(Marker(epoch_seconds(p.period_start), label, palette.GREY, "boundary",
                              f"P{k} · {fmt_money(float(p.commitment))}"))
    markers.append(Marker(epoch_seconds(end) + DAY, f"Term end {end:%b} {end.day} {end.year}", palette.GREY,
                          "term_end"))
    series.append(Series("commitment", "Commitment to meet (incl. carry)", np.asarray(step_x),
                         np.asarray(step_y), palette.ROLE_COLORS["commitment"], "step",
                         notes=tuple(step_notes), connect="pairs",
                         lo=np.asarray(step_x[0::2]).repeat(2),
                         hi=(np.asarray(step_x[1::2]) + DAY).repeat(2)))

    # forecast cone
    rate = float(c.run_rate)
    sigma = 0.0
    window = 0
    if T >= start:
        w_end = n_obs  # exclusive
        window = min(st.run_rate_days, n_obs)
        w = daily[w_end - window:w_end] / 1e6
        sigma = float(np.std(w, ddof=1)) if window >= 2 else 0.0
    low_rate, surge_rate = max(0.0, rate - sigma), rate + sigma
    if T < end:
        a_off = max((T - start).days, -1)
        anchor = float(cum[a_off]) if a_off >= 0 else 0.0
        fx = epoch_seconds(start) + DAY * np.arange(a_off, n_term, dtype=np.float64)
        k = np.arange(0, n_term - a_off, dtype=np.float64)
        series.append(Series("forecast", "Forecast (run rate)", fx, anchor + rate * k,
                             palette.ROLE_COLORS["forecast"], "dash"))
        series.append(Series("forecast_low", "Forecast low", fx, anchor + low_rate * k,
                             palette.ROLE_COLORS["forecast"], "line", legend=False))
        series.append(Series("forecast_surge", "Forecast surge", fx, anchor + surge_rate * k,
                             palette.ROLE_COLORS["forecast"], "line", fill_to="forecast_low",
                             legend_label="Forecast cone (run rate ± σ)"))
    markers.append(Marker(epoch_seconds(T), f"As of {T.isoformat()}", palette.ROLE_COLORS["as_of"], "as_of"))

    # pacing bands around the expected line
    k_edges = [0.0, st.band_shortfall_risk_below, st.band_shortfall_watch_below,
               st.band_on_pace_max, st.band_overage_watch_max]
    names = ("shortfall_risk", "shortfall_watch", "on_pace", "overage_watch", "overage_risk")
    labels = (f"Shortfall risk (under {k_edges[1]:.0%} of expected)",
              f"Shortfall watch ({k_edges[1]:.0%}–{k_edges[2]:.0%})",
              f"On pace ({k_edges[2]:.0%}–{k_edges[3]:.0%})", f"Overage watch ({k_edges[3]:.0%}–{k_edges[4]:.0%})",
              f"Overage risk (over {k_edges[4]:.0%})")
    # overage_risk has no upper limit; it is shaded as a wedge up to the larger of 1.25 x its
    # lower edge and the highest consumed / expected ratio seen from day 7 on (+5%)
    k_top = k_edges[-1] * 1.25
    if n_obs > 7:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = cum[6:n_obs] / expected[6:n_obs]
        r = r[np.isfinite(r)]
        if r.size:
            k_top = max(k_top, float(r.max()) * 1.05)
    bands = []
    for i, (nm, lb) in enumerate(zip(names, labels, strict=True)):
        lower = expected * k_edges[i]
        upper = expected * (k_edges[i + 1] if i + 1 < len(k_edges) else k_top)
        bands.append(Band(nm, lb, x_term, lower, upper, palette.BAND_COLORS[nm]))

    ratio = "n/a" if c.pacing_ratio is None else f"{c.pacing_ratio:.0%}"
    band = (c.band or "no band").replace("_", " ")
    notes = (
        f"Forecast cone: run rate {fmt_money(rate)}/day ± σ {fmt_money(sigma)} "
        f"(sample std of the daily spend over the last {window} day(s) to {T.isoformat()}).",
    )
    return ChartData(
        "burn_up", f"{c.contract_id} · {c.vendor} · pacing {ratio} ({band})", tuple(series),
        "date", "Date", f"Cumulative eligible spend ({analysis.currency})",
        bands=tuple(bands), markers=tuple(markers), currency=analysis.currency, notes=notes,
        extra={"run_rate": rate, "sigma": sigma, "low_rate": low_rate, "surge_rate": surge_rate,
               "window_days": window},
    )


# --------------------------------------------------------------------------------------------
# period exposure


def period_exposure(analysis: Analysis, contract_id: str) -> ChartData:
    """Shortfall penalty and overage premium per commit period, as two bars in the middle of
    each period's dates (penalty left, premium right) so the x-range links with the burn-up."""
    c = _contract(analysis, contract_id)
    usage = _contract_usage(analysis, c)
    T = analysis.as_of
    n = len(c.periods)
    pen_x, pre_x, widths, lo, hi = (np.zeros(n) for _ in range(5))
    pen, pre = np.zeros(n), np.zeros(n)
    point = np.full(len(usage), -1, np.int64)
    dates = usage["date"].to_numpy(dtype="datetime64[D]")
    notes: list[str] = []
    markers: list[Marker] = []
    for i, p in enumerate(c.periods):
        s0 = epoch_seconds(p.period_start)
        s1 = epoch_seconds(p.period_end) + DAY
        span = s1 - s0
        lo[i], hi[i] = s0, s1
        # two bars side by side in the middle of their period (penalty left, premium right),
        # so each bar sits clearly under its own period's label, not next to the next one's
        widths[i] = min(span * 0.25, 40 * DAY)
        mid = (s0 + s1) / 2
        pen_x[i] = mid - widths[i] * 0.55
        pre_x[i] = mid + widths[i] * 0.55
        pen[i] = float(p.shortfall_penalty)
        pre[i] = float(p.overage_premium)
        m = (dates >= np.datetime64(p.period_start, "D")) & (dates <= np.datetime64(min(p.period_end, T), "D"))
        point[m] = i
        st = {"ended": "ended", "current": "current, projected", "future": "future, projected"}.get(p.status, p.status)
        notes.append(f"P{i + 1} {st}; projected {fmt_money(float(p.projected))} vs "
                     f"{fmt_money(float(p.commitment + p.carry_in))}")
        markers.append(Marker(s0, f"P{i + 1}", palette.GREY, "boundary"))
    refs = RefIndex.from_frame(usage, point, n)
    pale = tuple(p.status != "ended" for p in c.periods)
    series = (
        Series("shortfall_penalty", "Shortfall penalty", pen_x, pen, palette.BAND_COLORS["shortfall_risk"],
               "bar", width=widths, lo=lo, hi=hi, refs=refs, notes=tuple(notes), point_pale=pale),
        Series("overage_premium", "Overage premium", pre_x, pre, palette.BAND_COLORS["overage_risk"],
               "bar", width=widths, lo=lo, hi=hi, refs=refs, point_pale=pale),
    )
    markers.append(Marker(epoch_seconds(T), f"As of {T.isoformat()}", palette.ROLE_COLORS["as_of"], "as_of"))
    return ChartData("period_exposure",
                     f"{c.contract_id} · exposure per period · shortfall {fmt_money(float(c.shortfall_exposure))}"
                     f" · overage premium {fmt_money(float(c.overage_premium))}",
                     series, "date", "Commit period", f"Exposure ({analysis.currency})",
                     markers=tuple(markers), currency=analysis.currency,
                     swatches=(("Pale: projected (current / future period)", palette.LIGHT_GREY),) if any(pale) else ())


# --------------------------------------------------------------------------------------------
# daily spend

DAILY_DIMENSIONS = ("team", "vendor", "model")
MAX_GROUPS = 8
NONE_LABEL = "(none)"
OTHER_LABEL = "Other"


def daily_spend(analysis: Analysis, by: str = "team", stacked: bool = True) -> ChartData:
    """Daily spend per team / vendor / model, stacked or as lines, anomalies marked, and the
    trailing 7-day average of the total."""
    if by not in DAILY_DIMENSIONS:
        raise InputError(f"daily spend is by team, vendor or model, not {by!r}", column=by)
    T = analysis.as_of
    u = _usage(analysis)
    d_all = u["date"].to_numpy(dtype="datetime64[D]")
    u = u[d_all <= np.datetime64(T, "D")]
    if u.empty:
        return ChartData("daily_spend", f"Daily spend by {by}", (), "date", "Date",
                         f"Spend per day ({analysis.currency})", currency=analysis.currency)
    dates = u["date"].to_numpy(dtype="datetime64[D]")
    first = dates.min()
    n = int((dates.max() - first).astype(np.int64)) + 1
    start = date.fromisoformat(str(first))
    off = (dates - first).astype(np.int64)
    codes, uniques = pd.factorize(u[by].astype("string").fillna(NONE_LABEL), sort=False)
    micros = u["cost"].to_numpy(np.int64)
    sums = pd.Series(micros).groupby(codes).sum()  # exact int64 per code
    names = [str(v) for v in uniques]
    order = sorted(range(len(names)), key=lambda c: (-int(sums[c]), names[c]))
    if len(order) > MAX_GROUPS:
        keep = order[: MAX_GROUPS - 1]
        labels = [names[c] for c in keep] + [OTHER_LABEL]
        slot = np.full(len(names), MAX_GROUPS - 1, dtype=np.int64)
        slot[keep] = np.arange(MAX_GROUPS - 1)
    else:
        labels = [names[c] for c in order]
        slot = np.empty(len(names), dtype=np.int64)
        slot[order] = np.arange(len(order))
    group_of = {names[c]: labels[slot[c]] for c in range(len(names))}
    gidx = slot[codes]
    prov = u[["_file", "_row"]]
    x = _days(start, n)
    base = np.zeros(n)
    total = np.zeros(n, np.int64)
    series: list[Series] = []
    for k, g in enumerate(labels):
        m = gidx == k
        daily = _sum_micros_by(off[m], micros[m], n)
        total += daily
        vals = daily / 1e6
        refs = RefIndex.from_frame(prov[m], off[m], n)
        color = palette.SERIES_LIGHT[k % len(palette.SERIES_LIGHT)]
        if stacked:
            top = base + vals
            series.append(Series(f"g:{g}", str(g), x, top, color, "area", refs=refs, y0=base.copy()))
            base = top
        else:
            series.append(Series(f"g:{g}", str(g), x, vals, color, "line", refs=refs))
    tot = total / 1e6
    csum = np.concatenate([[0.0], np.cumsum(tot)])
    idx = np.arange(n)
    lo_i = np.maximum(0, idx - 6)
    avg7 = (csum[idx + 1] - csum[lo_i]) / (idx + 1 - lo_i)
    # the total: the top of the stack (drawn there), readout-only for lines
    series.append(Series("total", "Total", x, tot, palette.DARK_GREY, "line", legend=False, draw=stacked))
    # the average of the total belongs with the stack; in lines mode it would flatten the lines
    series.append(Series("avg7", "7-day average (total)", x, avg7, palette.ROLE_COLORS["average"], "dash",
                         draw=stacked))

    # anomalies of this dimension
    an = [a for a in analysis.anomalies if a.dimension == by and a.date <= T]
    if an:
        ax, ay, notes, refs_list, owners = [], [], [], [], []
        drawn = {s.label: s for s in series if s.name.startswith("g:")}
        by_key = {str(g).casefold(): grp_name for g, grp_name in group_of.items()}
        key_col = u[by].astype("string").str.casefold().fillna("")
        for a in sorted(an, key=lambda a: (a.date, a.value)):
            i = (a.date - start).days
            g = by_key.get(str(a.value).casefold())
            if not 0 <= i < n or g not in drawn:
                continue
            s = drawn[g]
            ax.append(x[i])
            ay.append(float(s.y[i]) if stacked else float(a.spend))
            owners.append((s.name, float(a.spend)))
            notes.append(f"{a.value}: {fmt_money(float(a.spend))}, z = {a.z:.1f}")
            m = ((key_col == a.value.casefold()).to_numpy(bool)) & (off == i)
            rows = u[m]
            refs_list.append([SourceRef(str(f), int(r)) for f, r in zip(rows["_file"], rows["_row"], strict=True)])
        if ax:
            series.append(Series("anomalies", f"Anomaly (z > {_settings(analysis).anomaly_z:g})",
                                 np.asarray(ax), np.asarray(ay), palette.ROLE_COLORS["anomaly"], "scatter",
                                 refs=RefIndex.from_refs(refs_list), notes=tuple(notes), symbol="t",
                                 readout_value=False))
    return ChartData("daily_spend", f"Daily spend by {by}" + (" (stacked)" if stacked else ""),
                     tuple(series), "date", "Date", f"Spend per day ({analysis.currency})",
                     currency=analysis.currency,
                     extra={"by": by, "stacked": stacked, "anomaly_groups": tuple(owners) if an else ()})


def restack(data: ChartData, stacked: bool) -> ChartData:
    """The same daily-spend data stacked or as lines (the stacked/lines switch without
    recomputing from the Analysis)."""
    if data.kind != "daily_spend" or bool(data.extra.get("stacked")) == stacked:
        return data
    out: list[Series] = []
    base: np.ndarray | None = None
    tops: dict[str, np.ndarray] = {}
    for s in data.series:
        if s.name.startswith("g:"):
            vals = s.value
            if stacked:
                b = np.zeros_like(vals) if base is None else base
                top = b + vals
                out.append(replace(s, y=top, y0=b.copy(), style="area"))
                base = top
                tops[s.name] = top
            else:
                out.append(replace(s, y=vals.copy(), y0=None, style="line"))
                tops[s.name] = vals
        elif s.name in ("total", "avg7"):
            out.append(replace(s, draw=stacked))
        elif s.name == "anomalies":
            groups = data.extra.get("anomaly_groups", ())
            ys = []
            for i, (g, spend) in enumerate(groups):
                j = int(np.searchsorted(data.get(g).x, s.x[i]))
                ys.append(float(tops[g][j]) if stacked else spend)
            out.append(replace(s, y=np.asarray(ys, dtype=np.float64)))
        else:
            out.append(s)
    by = data.extra.get("by", "")
    return replace(data, series=tuple(out), title=f"Daily spend by {by}" + (" (stacked)" if stacked else ""),
                   extra={**data.extra, "stacked": stacked})


# --------------------------------------------------------------------------------------------
# invoice variance


def invoice_variance(analysis: Analysis) -> ChartData:
    """Invoiced against expected per invoice (bars), premium leakage highlighted as the top part
    of the invoiced bar."""
    inv = analysis.invoices
    n = len(inv)
    cats = tuple(i.invoice_id for i in inv)
    xs = np.arange(n, dtype=np.float64)
    expected = np.asarray([float(i.expected) for i in inv])
    invoiced = np.asarray([float(i.invoiced) for i in inv])
    leak = np.asarray([float(i.premium_leakage) for i in inv])
    lines = getattr(analysis.inputs, "invoices", None) if analysis.inputs is not None else None
    line_refs: list[list[SourceRef]] = []
    flag_refs: list[list[SourceRef]] = []
    for i in inv:
        flag_refs.append(sorted({SourceRef(f.file, f.line) for f in i.flags}, key=lambda r: (r.file, r.row)))
        if lines is not None and len(lines):
            m = (lines["invoice_id"].astype("string") == i.invoice_id).fillna(False).to_numpy(bool)
            rows = lines[m]
            line_refs.append([SourceRef(str(f), int(r)) for f, r in zip(rows["_file"], rows["_row"], strict=True)])
        else:
            line_refs.append(flag_refs[-1])
    notes = tuple(
        f"variance {fmt_money(float(i.variance))}"
        + ("" if i.variance_pct is None else f" ({i.variance_pct:+.1%})")
        + f", {i.status.replace('_', ' ')}"
        + (", period inferred" if i.period_inferred else "")
        for i in inv
    )
    w = np.full(n, 0.38)
    series = (
        Series("expected", "Expected (usage)", xs - 0.2, expected, palette.ROLE_COLORS["expected"], "bar",
               width=w, lo=xs - 0.5, hi=xs + 0.5, refs=RefIndex.from_refs(line_refs)),
        Series("invoiced", "Invoiced (excl. tax)", xs + 0.2, invoiced, palette.ROLE_COLORS["actual"], "bar",
               width=w, lo=xs - 0.5, hi=xs + 0.5, refs=RefIndex.from_refs(line_refs), notes=notes),
        Series("leakage", "Premium leakage", xs + 0.2, invoiced, palette.ROLE_COLORS["leakage"], "bar",
               width=w, lo=xs - 0.5, hi=xs + 0.5, y0=invoiced - leak, refs=RefIndex.from_refs(flag_refs)),
    )
    vpct = np.asarray([to_float(i.variance_pct) for i in inv])
    series = series + (
        Series("variance_pct", "Variance %", xs, vpct, palette.BLACK, "scatter", unit="ratio", axis="right",
               refs=RefIndex.from_refs(line_refs), symbol="d",
               point_colors=tuple(palette.invoice_status_color(i.status) for i in inv),
               legend_label="Variance % (right axis; colour = status)"),
    )
    total_leak = sum((i.premium_leakage for i in inv), Decimal(0))
    return ChartData("invoice_variance", f"Invoice variance · premium leakage {fmt_money(float(total_leak))}",
                     series, "category", "Invoice", f"Amount ({analysis.currency})", "Variance % of expected",
                     categories=cats, currency=analysis.currency,
                     swatches=tuple((f"Status: {st.replace('_', ' ')}", palette.invoice_status_color(st))
                                    for st in dict.fromkeys(i.status for i in inv)),
                     extra={"status": tuple(i.status for i in inv)})


# --------------------------------------------------------------------------------------------
# budget utilization


def budget_utilization(analysis: Analysis, month: str | None = None) -> ChartData:
    """Utilization (actual / budget) and forecast / budget per allocation line of one month,
    bars coloured by alert tier, the tier thresholds drawn."""
    st = _settings(analysis)
    T = analysis.as_of
    months = sorted({b.month for b in analysis.budgets})
    if month is None:
        tm = f"{T:%Y-%m}"
        month = tm if tm in months else (months[-1] if months else tm)
    rows = [b for b in analysis.budgets if b.month == month]
    n = len(rows)
    xs = np.arange(n, dtype=np.float64)
    util = np.asarray([to_float(b.utilization) for b in rows])
    fc = np.asarray([float(b.forecast) / float(b.budget) if b.budget else float("nan") for b in rows])
    u = _usage(analysis)
    y, mo = int(month[:4]), int(month[5:7])
    m_start = date(y, mo, 1)
    m_end = date(y + (mo == 12), mo % 12 + 1, 1) - timedelta(days=1)
    d = u["date"].to_numpy(dtype="datetime64[D]")
    in_month = (d >= np.datetime64(m_start, "D")) & (d <= np.datetime64(min(m_end, T), "D"))
    refs: list[list[SourceRef]] = []
    for b in rows:
        m = in_month.copy()
        if b.dimension and b.dimension in u.columns:
            m &= (u[b.dimension].astype("string").str.casefold() == (b.value or "").casefold()).fillna(False).to_numpy(bool)
        else:
            m[:] = False
        if b.vendor:
            from desktop.domain.tables import vendor_key

            vk = vendor_key(b.vendor)
            m &= u["vendor"].astype("string").fillna("").map(vendor_key).to_numpy(object) == vk
        sub = u[m]
        refs.append([SourceRef(str(f), int(r)) for f, r in zip(sub["_file"], sub["_row"], strict=True)])
    notes = tuple(
        f"{fmt_money(float(b.actual))} of {fmt_money(float(b.budget))}, {b.alert_tier.replace('_', ' ')}"
        + (", spike" if b.spike else "")
        for b in rows
    )
    fnotes = tuple(f"forecast {fmt_money(float(b.forecast))}, severity {b.severity}" for b in rows)
    w = np.full(n, 0.38)
    ref_index = RefIndex.from_refs(refs)
    series = (
        Series("utilization", "Utilization (actual / budget)", xs - 0.2, util, palette.ROLE_COLORS["actual"],
               "bar", unit="ratio", width=w, lo=xs - 0.5, hi=xs + 0.5, refs=ref_index, notes=notes,
               point_colors=tuple(palette.tier_color(b.alert_tier) for b in rows), legend=False),
        Series("forecast", "Forecast / budget", xs + 0.2, fc, palette.ROLE_COLORS["forecast"], "bar_outline",
               unit="ratio", width=w, lo=xs - 0.5, hi=xs + 0.5, refs=ref_index, notes=fnotes),
    )
    thresholds = tuple(
        Threshold(v, f"{name.replace('_', ' ')} {v:.0%}", palette.TIER_COLORS[name])
        for name, v in (("info", st.tier_info), ("warning", st.tier_warning), ("critical", st.tier_critical),
                        ("hard_stop", st.tier_hard_stop), ("hard_cap", st.tier_hard_cap))
    )
    return ChartData("budget_utilization", f"Budget utilization · {month} (as of {T.isoformat()})", series,
                     "category", "Allocation", "Share of budget", categories=tuple(b.allocation for b in rows),
                     thresholds=thresholds, currency=analysis.currency,
                     swatches=tuple((f"Utilization, tier {t.replace('_', ' ')}", palette.tier_color(t))
                                    for t in ALERT_TIERS[::-1] if any(b.alert_tier == t for b in rows)),
                     extra={"month": month, "months": tuple(months),
                            "tiers": tuple(b.alert_tier for b in rows)})


# --------------------------------------------------------------------------------------------
# renewal


def renewal_vendors(scenario_results: Sequence[RenewalScenarioResult]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(sc.vendor for sc in scenario_results))


def scenario_label(name: str, vendor: str | None = None) -> str:
    """A scenario's short name for a one-vendor chart: 'Anthropic renewal: conservative' ->
    'Conservative' (the part after the last ': '), else the name without a leading vendor."""
    short = name.split(": ")[-1].strip() if ": " in name else name
    if vendor and short.casefold().startswith(vendor.casefold()) and len(short) > len(vendor):
        short = short[len(vendor):].lstrip(" :·-") or name
    return short[:1].upper() + short[1:] if short else name


def renewal(scenario_results: Sequence[RenewalScenarioResult], currency: str = "USD",
            vendor: str | None = None) -> ChartData:
    """Expected cost against commit level per scenario of one vendor (default: the first):
    one colour per scenario, solid line = expected cost (left axis), dashed = P(shortfall)
    (right axis), dotted = the scenario's on-demand cost; the recommended levels (least
    expected cost, safe maximum) are stars in the scenario's colour, spelled out in the
    caption rather than as labels on the plot. Points carry keys
    'renewal:<scenario>:<commit level>'."""
    vendors = renewal_vendors(scenario_results)
    if vendor is None and vendors:
        vendor = vendors[0]
    chosen = [sc for sc in scenario_results if sc.vendor == vendor]
    cost_series: list[Series] = []
    p_series: list[Series] = []
    od_series: list[Series] = []
    rec_x: list[float] = []
    rec_y: list[float] = []
    rec_keys: list[str] = []
    rec_notes: list[str] = []
    rec_colors: list[str] = []
    caption: list[str] = []
    for k, sc in enumerate(chosen):
        color = palette.SERIES_LIGHT[k % len(palette.SERIES_LIGHT)]
        short = scenario_label(sc.name, vendor)
        rows = sorted(sc.rows, key=lambda r: r.commit_level)
        kx = np.asarray([float(r.commit_level) for r in rows])
        keys = RefIndex.from_keys([f"renewal:{sc.name}:{r.commit_level}" for r in rows])
        notes = tuple(f"discount {r.discount_pct:.1f}%, savings {fmt_money(float(r.savings))}" for r in rows)
        cost_series.append(Series(f"cost:{sc.name}", f"{short} · expected cost", kx,
                                  np.asarray([float(r.expected_cost) for r in rows]), color, "symbols",
                                  refs=keys, symbol="o", notes=notes, legend_label=f"{short} · expected cost"))
        p_color = palette.ROLE_COLORS["probability"] if len(chosen) == 1 else color
        p_series.append(Series(f"p:{sc.name}", f"{short} · P(shortfall)", kx,
                               np.asarray([r.p_shortfall for r in rows]), p_color, "dash", unit="probability",
                               axis="right", refs=keys, legend_label=f"{short} · P(shortfall), right axis"))
        parts = []
        for r in rows:
            what = [w for w, on in (("least expected cost", r.least_cost), ("safe max", r.safe_max)) if on]
            if what:
                rec_x.append(float(r.commit_level))
                rec_y.append(float(r.expected_cost))
                rec_keys.append(f"renewal:{sc.name}:{r.commit_level}")
                rec_notes.append(f"{short}: recommended ({' & '.join(what)}) {fmt_money(float(r.commit_level))}")
                rec_colors.append(color)
                parts.append(f"{' & '.join(what)} {fmt_money(float(r.commit_level))}")
        if sc.on_demand_cost:
            od_series.append(Series(f"od:{sc.name}", f"{short} · on-demand cost", kx,
                                    np.full(len(kx), float(sc.on_demand_cost)), color, "dot", legend=False))
        caption.append(f"{short}: " + (" · ".join(parts) if parts else "no recommendation"))
    series = cost_series + p_series
    if rec_x:
        series.append(Series("rec", "Recommended commit level", np.asarray(rec_x), np.asarray(rec_y),
                             palette.ROLE_COLORS["recommended"], "scatter", symbol="star",
                             refs=RefIndex.from_keys(rec_keys), notes=tuple(rec_notes), readout=False,
                             point_colors=tuple(rec_colors), legend_label="Recommended commit level"))
    series += od_series
    title = "Renewal scenarios" + (f" · {vendor}" if vendor else "")
    extra: dict = {"vendor": vendor, "vendors": vendors, "legend_columns": max(1, len(chosen)) + 1,
                   "caption": ("Recommended · " + "; ".join(caption)) if caption else ""}
    if od_series:
        extra["legend_notes"] = (("dotted: on-demand cost (no commitment)", palette.GREY, "dot"),)
    return ChartData("renewal", title, tuple(series), "money", "Commit level", f"Expected cost ({currency})",
                     "P(shortfall)", currency=currency, y2_range=(0.0, 1.0), extra=extra)


BUILDERS = {
    "burn_up": burn_up,
    "period_exposure": period_exposure,
    "daily_spend": daily_spend,
    "invoice_variance": invoice_variance,
    "budget_utilization": budget_utilization,
    "renewal": renewal,
}

__all__ = [
    "DAY", "Band", "ChartData", "Marker", "RefIndex", "Series", "Threshold", "budget_utilization",
    "burn_up", "daily_spend", "date_of", "epoch_array", "epoch_seconds", "invoice_variance", "period_exposure",
    "bounds", "pick", "point_at", "readout", "readout_text", "renewal", "renewal_vendors", "restack", "selection", "to_csv",
]
