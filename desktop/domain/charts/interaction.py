"""Interaction maths shared by every chart: which point the crosshair readout shows at x
(``point_at``, ``readout``, ``readout_text``), which point a click hits (``pick``, in pixels), the
rows behind a clicked point (``selection``) and the data extent a view shows (``bounds``).
Pure functions of a ``ChartData``; the widgets in desktop/ui/charts call them with view
coordinates.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from desktop.domain.charts.model import DAY, ChartData, Series, date_of, fmt_value


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
    if data.x_kind in ("money", "ratio"):
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
    if data.x_kind in ("date", "ratio") and xs:
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


def y_extent(data: ChartData, x0: float, x1: float, hidden: Iterable[str] = (),
             axis: str = "left") -> tuple[float, float] | None:
    """The y-range the view follows while the x-range is [x0, x1] (wheel zoom and pan move x
    only): from 0 (or the lowest visible value when it is negative) to the highest value of the
    drawn, visible series whose points (or bars, steps: their spans) lie in the x-range, and of
    the thresholds. Pacing bands are backgrounds and do not stretch it. None when nothing is
    visible on that axis."""
    hidden = set(hidden)
    vals: list[float] = []

    def add(arr) -> None:
        a = np.asarray(arr, dtype=np.float64)
        a = a[np.isfinite(a)]
        if a.size:
            vals.extend((float(a.min()), float(a.max())))

    for s in data.series:
        if not s.draw or s.name in hidden or s.n == 0 or s.axis != axis:
            continue
        if s.lo is not None and s.hi is not None and s.style in ("bar", "bar_outline", "step"):
            inside = (s.hi > x0) & (s.lo < x1)
        elif s.style in ("bar", "bar_outline"):
            w = s.width if s.width is not None else np.full(s.n, 0.8)
            inside = (s.x + w / 2 > x0) & (s.x - w / 2 < x1)
        else:
            inside = (s.x >= x0) & (s.x <= x1)
            if data.x_kind == "date":  # the day before the range still draws into it
                inside |= (s.x + DAY > x0) & (s.x < x0)
            if s.style in ("line", "dash", "dot", "area", "step") and s.n > 1:
                # a line crossing the range from outside: its neighbours define the edge values
                idx = np.nonzero(inside)[0]
                if idx.size:
                    inside[max(0, idx[0] - 1)] = True
                    inside[min(s.n - 1, idx[-1] + 1)] = True
        if not inside.any():
            continue
        add(s.y[inside])
        if s.y0 is not None:
            add(s.y0[inside])
    for t in data.thresholds:
        if t.axis == axis:
            vals.append(float(t.y))
    if not vals:
        return None
    lo, hi = min(vals), max(vals)
    if data.x_kind in ("date", "category") and axis == "left":
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    return lo, hi


def point_label(data: ChartData, name: str, index: int) -> str:
    """What a clicked point is, in words, for the filter chip it leaves: 'Consumed (cumulative),
    2026-05-02', 'Shortfall penalty, 2026-04-01 to 2026-06-30', 'Invoiced (excl. tax), INV-7'."""
    s = data.get(name)
    if data.x_kind == "date" and s.lo is not None and s.hi is not None:
        a, b = date_of(float(s.lo[index])), date_of(float(s.hi[index]) - DAY)
        where = a.isoformat() if a == b else f"{a.isoformat()} to {b.isoformat()}"
    else:
        where = data.x_text(float(s.x[index]))
    return f"{s.label}, {where}"
