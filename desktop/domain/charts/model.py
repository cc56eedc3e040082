"""What a chart is: the frozen dataclasses every builder returns (``ChartData`` of ``Series``,
``Band``, ``Marker``, ``Threshold``, with the source rows of each point in a ``RefIndex``) and
the coordinate conversions they use. Pure: no Qt, no Analysis.

x coordinates on a date axis are float seconds since the epoch (UTC) of the day's midnight, so
pyqtgraph's DateAxisItem(utcOffset=0) labels them as calendar days. A point at day d means
"day d" (daily spend) or "to date, including day d" (cumulative lines), and covers the
interval [d, d + 1 day) for the readout.

Click-to-select: a ``Series`` carries, per point, the source rows behind it (``RefIndex``, a
compact CSR table of ``SourceRef(file, row)``) or, where there are no source rows (renewal
scenarios), string keys.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.results import SourceRef

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
        codes, uniques = pd.factorize(frame["_file"].astype(object).fillna(""), sort=False)
        return RefIndex.from_codes(codes, tuple(str(u) for u in uniques), frame["_row"].to_numpy(dtype=np.int64),
                                   point, n)

    @staticmethod
    def from_codes(file_codes: np.ndarray, files: Sequence[str], rows: np.ndarray, point: np.ndarray,
                   n: int) -> RefIndex:
        """Rows given as (index into ``files``, row number), assigned to points 0..n-1 by
        ``point`` (values outside 0..n-1 are dropped); a point's rows ordered by file, row."""
        point = np.asarray(point, dtype=np.int64)
        keep = (point >= 0) & (point < n)
        point = point[keep]
        codes = np.asarray(file_codes)[keep]
        rows_col = np.asarray(rows, dtype=np.int64)[keep]
        order = np.lexsort((rows_col, codes, point))
        counts = np.bincount(point, minlength=n)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=offsets[1:])
        return RefIndex(offsets, codes[order].astype(np.int32), rows_col[order], tuple(files))

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
    x_kind: str = "date"  # date | category | money | ratio (0..1, shown as %)
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
        if self.x_kind == "ratio":
            return fmt_value(x, "ratio")
        return fmt_money(x)
