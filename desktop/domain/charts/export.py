"""A chart's plotted data as CSV (the chart's "Copy data" / "Save data")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

import numpy as np

from desktop.domain.charts.model import ChartData, date_of


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
