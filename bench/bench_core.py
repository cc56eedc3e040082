"""Core benchmarks: full recompute (the demo company, and usage of n rows with the demo's other
tables), recompute after one edit, one viewport of the usage table model at 1M rows, and app
start to first paint.

Baselines, measured in the same run:
* recompute: one bare pandas ``groupby(date, vendor).cost.sum()`` over the same usage rows
  (the least any analysis must do: touch every row once);
* recompute after one edit (one commitment amount changed, as an analyst edits it in the
  Contracts page; one budget amount; one threshold setting) and an As-of change, each through
  the AnalysisCache the GUI session keeps, every timed run a new edit: the full recompute of
  the same data (no cache) in the same run;
* viewport: the same cells read with ``DataFrame.iloc[row, col]`` and formatted with str()
  (the pattern that made Spyder's 40k-row viewer take 30 s), against
  ``desktop.ui.models.table.ColumnTableModel.data()`` over ``usage_columns`` of the usage page;
* start to first paint: a bare PySide6 ``QWidget`` shown in a fresh interpreter, against CommitDesk
  (``desktop.app``) shown in a fresh interpreter; both measured from process launch to the first
  Paint event of a top-level window.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

from bench import common

VIEW_ROWS = 40  # a full-height table on a laptop screen


def _reference_inputs():
    from desktop.domain.inputs import Inputs
    from desktop.ingest import read_file

    inputs = Inputs()
    for kind, path in common.demo_tables().items():
        if kind == "usage":
            continue
        res = read_file(path, kind)
        inputs = inputs.add(res.kind, res.frame, res.report)
    return inputs


def bench_recompute(sizes: list[int], quick: bool) -> list[dict]:
    from desktop.domain.analysis import build_analysis
    from desktop.domain.settings import Settings

    ref = _reference_inputs()
    settings = Settings()
    as_of = common.AS_OF.date()
    out = []
    for n in sizes:
        usage = common.canonical_usage(n)
        inputs = replace(ref, usage=usage)
        repeat = 3 if n <= 10_000 and not quick else 1

        def baseline(usage=usage):
            return usage.groupby(["date", "vendor"], sort=False)["cost"].sum()

        def full(inputs=inputs):
            return build_analysis(inputs, settings, as_of)

        if repeat == 1:
            full()  # warm: first-touch allocation and lazy imports would otherwise count once
        out.append(common.measure("recompute_full", n, full, "pandas_groupby_date_vendor", baseline,
                                  repeat=repeat))
        full_seconds = out[-1]["seconds"]
        out += _incremental(inputs, settings, as_of, n, full_seconds, repeat=3)
    return out


def _incremental(inputs, settings, as_of, n: int, full_seconds: float, repeat: int) -> list[dict]:
    """Edits through the session's AnalysisCache, each timed run a different edit (so no run is
    a cache hit of the one before); ratio against the full recompute of the same data."""
    from datetime import timedelta

    from desktop.domain.analysis import AnalysisCache, build_analysis

    cache = AnalysisCache()
    build_analysis(inputs, settings, as_of, cache=cache)  # the figures on screen before the edit
    counter = iter(range(1, 10_000))

    def commitment_edit():
        k = next(counter)
        c = inputs.commitments.copy()
        c.loc[c.index[0], "commitment"] += k * 1_000 * 1_000_000
        return build_analysis(replace(inputs, commitments=c), settings, as_of, cache=cache)

    def budget_edit():
        k = next(counter)
        b = inputs.budgets.copy()
        b.loc[b.index[0], "budget"] += k * 100 * 1_000_000
        return build_analysis(replace(inputs, budgets=b), settings, as_of, cache=cache)

    def setting_edit():
        k = next(counter)
        return build_analysis(inputs, settings.replace(invoice_tolerance_abs=Decimal(100 + k)), as_of, cache=cache)

    def as_of_change():
        k = next(counter)
        return build_analysis(inputs, settings, as_of - timedelta(days=k), cache=cache)

    out = []
    for name, fn in (("recompute_after_edit", commitment_edit), ("recompute_after_budget_edit", budget_edit),
                     ("recompute_after_setting_edit", setting_edit), ("as_of_change", as_of_change)):
        sec, peak, _ = common.timed(fn, repeat)
        out.append(common.record(name, n, sec, "recompute_full", full_seconds, peak))
    return out


def bench_recompute_demo() -> list[dict]:
    """The analyst's everyday case: the demo company (25k usage rows), all of its files."""
    from desktop.domain.analysis import build_analysis
    from desktop.domain.settings import Settings
    from desktop.ingest import read_file

    ref = _reference_inputs()
    res = read_file(common.demo_tables()["usage"], "usage")
    inputs = ref.add("usage", res.frame, res.report)
    usage = inputs.usage
    settings = Settings()
    as_of = common.AS_OF.date()
    build_analysis(inputs, settings, as_of)  # warm
    return [common.measure(
        "recompute_full_demo", len(usage), lambda: build_analysis(inputs, settings, as_of),
        "pandas_groupby_date_vendor",
        lambda: usage.groupby(["date", "vendor"], sort=False)["cost"].sum(), repeat=3)]


def bench_viewport(n: int) -> list[dict]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    from desktop.ui.models.table import ColumnTableModel
    from desktop.ui.pages.usage import usage_columns

    app = QApplication.instance() or QApplication([])  # noqa: F841 (fonts/colours need one)
    frame = common.canonical_usage(n)
    model = ColumnTableModel()
    t0 = time.perf_counter()
    model.set_columns(usage_columns(frame))
    load_seconds = time.perf_counter() - t0
    ncols = model.columnCount()
    top = n // 2  # the middle of the table, as after a scroll
    display = Qt.ItemDataRole.DisplayRole

    def viewport():
        for r in range(top, top + VIEW_ROWS):
            for c in range(ncols):
                model.data(model.index(r, c), display)

    visible = list(frame.columns[:ncols])

    def iloc_viewport():
        for r in range(top, top + VIEW_ROWS):
            for c in range(len(visible)):
                str(frame.iloc[r, c])

    line = common.measure("usage_viewport_data", n, viewport, "pandas_iloc_str", iloc_viewport, repeat=5,
                          cells=VIEW_ROWS * ncols, model_load_seconds=round(load_seconds, 3))
    # sorted by cost descending, as an analyst hunting the biggest rows would
    t0 = time.perf_counter()
    model.sort(model.column_index("cost"), Qt.SortOrder.DescendingOrder)
    sort_seconds = time.perf_counter() - t0
    sec, peak, _ = common.timed(viewport, 5)
    sorted_line = common.record("usage_viewport_data_sorted", n, sec, "usage_viewport_data", line["seconds"],
                                peak, sort_seconds=round(sort_seconds, 3))
    return [line, sorted_line]


# --- start to first paint (child processes) -------------------------------------------------

_PAINT_PROBE = r"""
import os, sys, time, json
T0 = float(os.environ["BENCH_T0"])
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

class FirstPaint(QObject):
    done = False
    def eventFilter(self, obj, ev):
        if not self.done and ev.type() == QEvent.Type.Paint and isinstance(obj, QWidget) and obj.isWindow():
            self.done = True
            print(json.dumps({"first_paint": time.time() - T0, "window": type(obj).__name__}), flush=True)
            QTimer.singleShot(0, lambda: os._exit(0))
        return False

app = QApplication.instance() or QApplication(sys.argv[:1])
probe = FirstPaint()
app.installEventFilter(probe)
QTimer.singleShot(60000, lambda: os._exit(3))
MODE = sys.argv[1]
if MODE == "bare":
    w = QWidget(); w.resize(1280, 800); w.show()
    app.exec()
else:
    from desktop.app import main
    main(["--quit-after-ms", "60000"])
"""


def _first_paint(mode: str, env: dict) -> tuple[float, str]:
    env = dict(env, BENCH_T0=repr(time.time()))
    p = subprocess.run([sys.executable, "-c", _PAINT_PROBE, mode], capture_output=True, text=True,
                       env=env, timeout=120, cwd=common.ROOT)
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            d = json.loads(line)
            return d["first_paint"], d["window"]
    raise RuntimeError(f"no first paint ({mode}): rc={p.returncode} {p.stderr[-500:]}")


def bench_start(quick: bool) -> list[dict]:
    import tempfile

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
               COMMITDESK_HOME=tempfile.mkdtemp(prefix="commitdesk-bench-"))
    runs = 1 if quick else 5
    bare = min(_first_paint("bare", env)[0] for _ in range(runs))
    app_runs = [_first_paint("app", env) for _ in range(runs)]  # the first run creates the demo workspace
    app, window = min(app_runs)
    peak = common._rss_mb()
    return [common.record("app_start_to_first_paint", None, app, "bare_pyside6_window", bare, peak,
                          window=window, first_launch_seconds=round(app_runs[0][0], 3),
                          note=f"fresh interpreter, offscreen, best of {runs} launches on one fresh "
                          "COMMITDESK_HOME (the first also creates the demo workspace)")]


def run(sizes: list[int], quick: bool) -> Iterator[dict]:
    """Each part runs even when another fails; a failure is one line with an "error" key."""
    parts = (
        # the recompute measurements first: the --quick deadline cuts the area, not these
        ("recompute_full", lambda: bench_recompute([max(sizes)] if quick else sizes, quick)),
        ("recompute_full_demo", bench_recompute_demo),
        # 1M rows; --quick: the largest of its sizes (a quick run makes nothing of 1M rows)
        ("usage_viewport_data", lambda: bench_viewport(max(sizes) if quick else 1_000_000)),
        ("app_start_to_first_paint", lambda: bench_start(quick)),
    )
    return common.run_parts(parts)


if __name__ == "__main__":
    for line in run([10_000, 100_000], quick="--quick" in sys.argv):
        common.emit(line)
