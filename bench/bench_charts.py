"""Chart benchmarks, offscreen (QT_QPA_PLATFORM=offscreen).

A daily series of N points (N = 1,000,000 in a full run) drawn by a chart widget
(desktop.ui.charts, peak downsampling + clip-to-view), measured against the same steps on a
10,000-point series in the same run (the baseline):

* chart_initial_draw: ``set_data`` of the ChartData plus the first paint of the plot (the
  plot widget rendered into a reused ARGB32 image, as a window repaint paints its backing
  store).
* chart_pan_repaint_full: one pan by 5% of the x-range with all the data in view, then a
  repaint; the mean over several pans.
* chart_zoom_repaint_full / chart_pan_repaint_year: a wheel-like zoom (x-range scaled by 0.8)
  and a pan with one year in view, each followed by a repaint.
* chart_builder_daily_spend: desktop.domain.charts.daily_spend on a usage table of n rows
  (bench.common.canonical_usage) against a bare pandas ``groupby([date, team]).cost.sum()``.

Targets of issue 6 (a repaint within one 16 ms frame, first draw under 200 ms at 1M points) are
read from these numbers; nothing here asserts them.

    python -m bench.bench_charts [--quick]
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from datetime import date

import numpy as np

if __package__ in (None, ""):  # `python bench/bench_charts.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import common

BASELINE_N = 10_000
SERIES_N = 1_000_000
QUICK_SERIES_N = 200_000
PANS = 10


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench_charts"])


def daily_series(n: int, seed: int = 7):
    """A ChartData like daily_spend's lines mode: one daily series of n points + a 7-day average."""
    from desktop.domain import charts, palette

    rng = np.random.default_rng(seed)
    x = charts.epoch_seconds(date(1970, 1, 1)) + charts.DAY * np.arange(n, dtype=np.float64)
    weekly = 1.0 + 0.3 * np.sin(np.arange(n) * 2 * np.pi / 7)
    y = np.maximum(0.0, 1000.0 * weekly + rng.normal(0, 120, n) + np.linspace(0, 400, n))
    c = np.concatenate([[0.0], np.cumsum(y)])
    i = np.arange(n)
    lo = np.maximum(0, i - 6)
    avg = (c[i + 1] - c[lo]) / (i + 1 - lo)
    series = (
        charts.Series("g:all", "Spend", x, y, palette.BLUE, "line"),
        charts.Series("avg7", "7-day average", x, avg, palette.BLACK, "dash"),
    )
    return charts.ChartData("daily_spend", f"Daily spend ({n:,} days)", series, "date", "Date", "Spend",
                            extra={"by": "team", "stacked": False})


class _Chart:
    """One widget with one series loaded; the steps to time."""

    def __init__(self, n: int, width: int = 1200, height: int = 600):
        from desktop.ui.charts import DailySpendChart

        self.app = _app()
        self.data = daily_series(n)
        self.w = DailySpendChart()
        self.w.resize(width, height)
        self.w.show()
        self.app.processEvents()

    def paint(self) -> None:
        """Paint the plot into a reused image (what a window's backing store gets on repaint)."""
        from PySide6 import QtGui

        size = self.w.plot.size()
        if getattr(self, "_img", None) is None or self._img.size() != size:
            self._img = QtGui.QImage(size, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        painter = QtGui.QPainter(self._img)
        try:
            self.w.plot.render(painter)
        finally:
            painter.end()

    def initial_draw(self) -> None:
        self.w.set_data(None)
        self.app.processEvents()
        t0 = time.perf_counter()
        self.w.set_data(self.data)
        self.paint()
        self.last = time.perf_counter() - t0

    def pans(self, zoom_days: float | None, zoom: bool = False) -> float:
        vb = self.w.view_box
        self.w.reset_view()
        if zoom_days is not None:
            x1 = float(self.data.series[0].x[-1])
            vb.setXRange(x1 - zoom_days * 86400.0, x1, padding=0)
        self.paint()
        total = 0.0
        for k in range(PANS):
            (a, b), _ = vb.viewRange()
            span = b - a
            t0 = time.perf_counter()
            if zoom:
                c = (a + b) / 2
                f = 0.8 if k % 2 == 0 else 1.25
                vb.setXRange(c - span * f / 2, c + span * f / 2, padding=0)
            else:
                d = span * 0.05 * (1 if k % 2 == 0 else -1)
                vb.setXRange(a + d, b + d, padding=0)
            self.paint()
            total += time.perf_counter() - t0
        return total / PANS

    def close(self) -> None:
        self.w.close()
        self.w.deleteLater()
        self.app.processEvents()


def bench_draw(n: int, repeat: int) -> list[dict]:
    base = _Chart(BASELINE_N)
    big = _Chart(n)

    def best(chart: _Chart) -> float:
        out = float("inf")
        for _ in range(repeat):
            chart.initial_draw()
            out = min(out, chart.last)
        return out

    b_draw = best(base)
    with common.PeakRSS() as peak:
        draw = best(big)
    lines = [common.record("chart_initial_draw", n, draw, f"chart_initial_draw_{BASELINE_N}", b_draw, peak.peak,
                           note=f"set_data + first paint of the plot, offscreen, best of {repeat}")]
    for name, zoom_days, zoom in (("chart_pan_repaint_full", None, False),
                                  ("chart_zoom_repaint_full", None, True),
                                  ("chart_pan_repaint_year", 365.0, False)):
        b = min(base.pans(zoom_days, zoom) for _ in range(repeat))
        with common.PeakRSS() as peak:
            s = min(big.pans(zoom_days, zoom) for _ in range(repeat))
        lines.append(common.record(name, n, s, f"{name}_{BASELINE_N}", b, peak.peak,
                                   note=f"mean of {PANS} x-range changes each followed by a paint, "
                                        f"best of {repeat} rounds"))
    base.close()
    big.close()
    return lines


def bench_builder(sizes: list[int]) -> list[dict]:
    from desktop.domain import charts
    from desktop.domain.results import Analysis

    out = []
    for n in sizes:
        usage = common.canonical_usage(n)
        usage["_contract"] = usage["vendor"].astype("string")  # not used by daily_spend
        a = Analysis(common.AS_OF.date(), "USD", (), (), (), (), (), usage=usage)

        def build(a=a):
            return charts.daily_spend(a, by="team", stacked=True)

        def baseline(u=usage):
            return u.groupby(["date", "team"], sort=True)["cost"].sum()

        out.append(common.measure("chart_builder_daily_spend", n, build, "pandas_groupby_date_team_sum", baseline,
                                  repeat=3 if n <= 100_000 else 1))
    return out


def run(sizes: list[int], quick: bool) -> Iterator[dict]:
    """The series size is 1M points (quick: 200k); ``sizes`` are the usage row counts of the
    builder measurement. A failing part is one line with an "error" key."""
    n = QUICK_SERIES_N if quick else SERIES_N
    parts = (
        ("chart_draw_and_repaint", lambda: bench_draw(n, 1 if quick else 3)),
        ("chart_builder_daily_spend", lambda: bench_builder(sizes)),
    )
    return common.run_parts(parts)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for line in run([10_000, 100_000] if quick else [10_000, 100_000, 1_000_000], quick):
        common.emit(line)
