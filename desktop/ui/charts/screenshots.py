"""PNG of every chart on the demo analysis.

    python -m desktop.ui.charts.screenshots OUTDIR [--dark] [--width 1200 --height 640]

Loads the demo company (desktop.resources.demo_files) with desktop.ingest.load_inputs, runs
build_analysis and grabs each widget (title, readout, plot) after hovering a meaningful date
so the readout is part of the picture.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def demo_analysis():
    from desktop.domain.analysis import build_analysis
    from desktop.ingest.core import load_inputs
    from desktop.resources import demo_files

    return build_analysis(load_inputs(demo_files()))


def _drawn(app, w, timeout: float = 60.0):
    """Wait (processing events) until the chart's builder, run in its worker, has landed."""
    import time

    end = time.monotonic() + timeout
    while w.runner.busy and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    app.processEvents()
    return w


def render_all(outdir: Path, dark: bool = False, width: int = 1200, height: int = 640) -> list[Path]:
    from PySide6 import QtGui, QtWidgets

    from desktop.domain import charts, palette
    from desktop.ui.charts import (
        BudgetUtilizationChart,
        BurnUpChart,
        DailySpendChart,
        ExposureChart,
        InvoiceVarianceChart,
        RenewalChart,
    )

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(sys.argv[:1])
    if dark:
        th = palette.theme(True)
        pal = QtGui.QPalette()
        pal.setColor(QtGui.QPalette.ColorRole.Window, QtGui.QColor(th.background))
        pal.setColor(QtGui.QPalette.ColorRole.WindowText, QtGui.QColor(th.foreground))
        pal.setColor(QtGui.QPalette.ColorRole.Base, QtGui.QColor(th.background))
        pal.setColor(QtGui.QPalette.ColorRole.Text, QtGui.QColor(th.foreground))
        pal.setColor(QtGui.QPalette.ColorRole.Button, QtGui.QColor("#2d2d2d"))
        pal.setColor(QtGui.QPalette.ColorRole.ButtonText, QtGui.QColor(th.foreground))
        app.setPalette(pal)
    a = demo_analysis()
    outdir.mkdir(parents=True, exist_ok=True)
    suffix = "-dark" if dark else ""
    shots: list[tuple[str, object, float | None]] = []
    T = charts.epoch_seconds(a.as_of)
    for c in a.contracts:
        w = BurnUpChart()
        w.set_analysis(a, c.contract_id)
        _drawn(app, w)
        shots.append((f"burn_up-{c.contract_id}", w, charts.epoch_seconds(min(a.as_of, c.term_end)) - 20 * charts.DAY))
        w = ExposureChart()
        w.set_analysis(a, c.contract_id)
        _drawn(app, w)
        shots.append((f"period_exposure-{c.contract_id}", w, T))
    for by in charts.DAILY_DIMENSIONS:
        for stacked in (True, False):
            w = DailySpendChart()
            w.set_analysis(a, by, stacked)
            _drawn(app, w)
            anom = w.data.get("anomalies") if w.data.has("anomalies") else None
            x = float(anom.x[-1]) if anom is not None and anom.n else T
            shots.append((f"daily_spend-{by}-{'stacked' if stacked else 'lines'}", w, x + 3600))
    w = InvoiceVarianceChart()
    w.set_analysis(a)
    _drawn(app, w)
    leaks = [i for i, inv in enumerate(a.invoices) if inv.premium_leakage]
    shots.append(("invoice_variance", w, float(leaks[0]) if leaks else 0.0))
    w = BudgetUtilizationChart()
    w.set_analysis(a)
    _drawn(app, w)
    shots.append(("budget_utilization", w, 0.0))
    for v in charts.renewal_vendors(a.renewal):
        w = RenewalChart()
        w.set_analysis(a, v)
        _drawn(app, w)
        rec = [s for s in w.data.series if s.name == "rec"]
        slug = "".join(ch if ch.isalnum() else "_" for ch in v)
        shots.append((f"renewal-{slug}", w, float(rec[0].x[0]) if rec and rec[0].n else None))
    paths = []
    for name, w, hover in shots:
        w.resize(width, height)
        w.show()
        app.processEvents()
        w.reset_view()
        app.processEvents()
        if hover is not None:
            w.hover_at(hover)
        app.processEvents()
        p = outdir / f"{name}{suffix}.png"
        w.grab_png(p)
        paths.append(p)
        w.close()
        w.deleteLater()
    app.processEvents()
    return paths


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m desktop.ui.charts.screenshots")
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--dark", action="store_true", help="dark palette")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=640)
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    for p in render_all(args.outdir, args.dark, args.width, args.height):
        print(p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
