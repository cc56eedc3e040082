"""The GUI thread at n usage rows (1M in a full run, 100k with --quick), offscreen: the Usage
page's toolbar filter and its daily-spend chart.

The page is the real UsagePage on a usage table of n rows (bench.common.canonical_usage) with a
stand-in session (it only hands the page the analysis). A QTimer on the GUI thread ticks every
millisecond while the work runs; the longest gap between two ticks is the longest time the GUI
thread was blocked (what an analyst feels as a frozen window). Measured in the same run:

* filter_gui_block: a keystroke in the filter (the filter text grows one letter) until the table
  and the breakdown show its rows; seconds = the longest GUI-thread block, baseline = a bare
  numpy mask over the dictionary codes of the page's text columns (each column's distinct values,
  casefolded beforehand, matched once by pyarrow, the codes gathered, the columns OR-ed: the least
  any text filter must do).
* filter_gui_block_before: the same keystroke replayed as the page did it before the filter moved
  to a worker, all on the GUI thread: a Python loop over each text column's distinct values, the
  filtered rows re-sorted by date, the breakdown grouped (the previous ``Col.matches``,
  ``ColumnTableModel._recompute`` and ``UsagePage._breakdown``), same baseline.
* filter_keystroke_return: how long the keystroke itself takes on the GUI thread (the filter is
  handed to the worker), against the replayed before.
* filter_result_ready: keystroke to rows and breakdown shown (the worker's time included),
  against the replayed before.
* daily_spend_gui_block: DailySpendChart.set_analysis until the chart is drawn, the longest
  GUI-thread block, against the same chart built on the GUI thread (builder + draw, as before).

Medians over the keystrokes "s", "so", "son", "sonn" (best of ``repeat`` rounds each). The full
run repeats everything (``*_unique_keys``) with an api_key column holding one distinct value per
row, as a request id would: the distinct values, not the rows, are what the text match loops
over. Nothing here asserts a time.

    python -m bench.bench_filter [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Iterator

import numpy as np

if __package__ in (None, ""):  # `python bench/bench_filter.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import common

KEYS = ("s", "so", "son", "sonn")


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    return QtWidgets.QApplication.instance() or QtWidgets.QApplication(["bench_filter"])


class _Heartbeat:
    """Longest gap between ticks of a 1 ms GUI-thread timer while ``until()`` is false."""

    def __init__(self, app):
        from PySide6 import QtCore

        self.app = app
        self.timer = QtCore.QTimer()
        self.timer.setTimerType(QtCore.Qt.TimerType.PreciseTimer)
        self.timer.setInterval(1)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.gap = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gap = max(self.gap, now - self.last)
        self.last = now

    def run(self, start, until, timeout: float = 120.0) -> tuple[float, float, float]:
        """(longest block, seconds in ``start()``, seconds until ``until()``)."""
        self.timer.start()
        self.app.processEvents()
        self.gap = 0.0
        self.last = t0 = time.perf_counter()
        start()
        t1 = time.perf_counter()
        self.gap = max(self.gap, t1 - self.last)
        self.last = t1
        while not until() and time.perf_counter() - t0 < timeout:
            self.app.processEvents()
            time.sleep(0.0005)  # let the worker have the interpreter
        done = time.perf_counter()
        self.app.processEvents()  # the tick after the last slot closes its gap
        self.timer.stop()
        return self.gap, t1 - t0, done - t0


class _Session:
    """What a page needs of the session here: the analysis and the preparers."""

    def __init__(self):
        from PySide6 import QtCore

        class S(QtCore.QObject):
            analysisChanged = QtCore.Signal(object)
            clearFiltersRequested = QtCore.Signal()

        self._s = S()
        self.analysisChanged = self._s.analysisChanged
        self.clearFiltersRequested = self._s.clearFiltersRequested
        self.preparers: dict = {}
        self.prepared: dict = {}
        self.analysis = None
        self.runners: list = []

    def register_runner(self, runner) -> None:
        self.runners.append(runner)


def _analysis(n: int, unique_keys: bool = False):
    import pandas as pd

    from desktop.domain.results import Analysis

    usage = common.canonical_usage(n)
    usage["_contract"] = usage["vendor"].astype("string")
    if unique_keys:  # a column with one distinct value per row (a request id, a per-call key)
        usage["api_key"] = pd.array([f"key-{i:07d}" for i in range(n)], dtype="string")
    return Analysis(common.AS_OF.date(), "USD", (), (), (), (), (), usage=usage)


def _idle(page) -> bool:
    return not (page.model.filter_busy or page.summary_runner.busy or page.chart.runner.busy)


def _bare_mask(cols, text: str) -> np.ndarray:
    """The baseline: each text column's distinct values (casefolded once, beforehand) matched
    by pyarrow, the codes gathered into a row mask, the columns OR-ed."""
    import pyarrow.compute as pc

    n = len(cols[0])
    mask = np.zeros(n, dtype=bool)
    for c in cols:
        if c.kind == "text":
            hit = np.append(pc.match_substring(c.folded(), text).to_numpy(zero_copy_only=False), False)
            mask |= hit[c.values]
    return mask


def _before(page, text: str) -> None:
    """The keystroke as the page handled it before (all on the GUI thread), replayed."""
    from PySide6.QtCore import Qt

    from desktop.ui.pages.usage import summarize

    m = page.model
    cols = m.columns
    needle = text.strip().casefold()
    tm = None
    for c in cols:
        if c.kind != "text":
            continue
        hit = np.array([needle in u.casefold() for u in c.uniques] + [False], dtype=bool)[c.values]
        tm = hit if tm is None else (tm | hit)
    perm = np.flatnonzero(tm)
    key = cols[0].sort_key()[perm]  # the page shows the rows by date, newest first
    idx = np.argsort(key, kind="stable")
    if m._sort is not None and m._sort[1] == Qt.SortOrder.DescendingOrder:
        idx = idx[::-1]
    perm = perm[idx]
    m.beginResetModel()
    m.endResetModel()
    summarize("vendor", perm, m.col("vendor"), m.col("cost").values, page._anom)


def bench_page(n: int, repeat: int, unique_keys: bool = False) -> list[dict]:
    from PySide6.QtCore import Qt

    from desktop.domain import charts
    from desktop.ui.pages.usage import UsagePage

    app = _app()
    a = _analysis(n, unique_keys)
    session = _Session()
    session.analysis = a
    page = UsagePage(session)
    page.resize(1400, 860)
    page.show()
    page.analysis = a
    hb = _Heartbeat(app)
    with common.PeakRSS() as peak:
        hb.run(lambda: page.refresh(a), lambda: _idle(page), timeout=600)
        page.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        hb.run(lambda: None, lambda: _idle(page), timeout=600)
        base, before, block, ret, ready = [], [], [], [], []
        for text in KEYS:
            b = bb = k = r = d = float("inf")
            for _ in range(repeat):
                page.apply_filter("")
                hb.run(lambda: None, lambda: _idle(page), timeout=600)
                t0 = time.perf_counter()
                _bare_mask(page.model.columns, text)
                b = min(b, time.perf_counter() - t0)
                t0 = time.perf_counter()
                _before(page, text)
                bb = min(bb, time.perf_counter() - t0)
                page.apply_filter(text[:-1])
                hb.run(lambda: None, lambda: _idle(page), timeout=600)
                g, kk, rr = hb.run(lambda t=text: page.apply_filter(t), lambda: _idle(page), timeout=600)
                k, r, d = min(k, g), min(r, kk), min(d, rr)
            base.append(b)
            before.append(bb)
            block.append(k)
            ret.append(r)
            ready.append(d)
        # the chart: built on the GUI thread (before) against the chart's worker
        w = page.chart
        t0 = time.perf_counter()
        w.set_data(charts.daily_spend(a, "vendor", True))
        app.processEvents()
        chart_before = time.perf_counter() - t0
        w.set_data(None)
        app.processEvents()
        chart_block, _, _ = hb.run(lambda: w.set_analysis(a, "vendor", True), lambda: not w.runner.busy,
                                   timeout=600)
    med = statistics.median
    note = f"median over the keystrokes {', '.join(KEYS)} (best of {repeat} each), offscreen"
    sfx = "_unique_keys" if unique_keys else ""
    if unique_keys:
        note += f"; api_key has {n:,} distinct values"
    lines = [
        common.record("filter_gui_block" + sfx, n, med(block), "numpy_mask_dictionary_codes", med(base), peak.peak,
                      note=note),
        common.record("filter_gui_block_before" + sfx, n, med(before), "numpy_mask_dictionary_codes", med(base),
                      peak.peak, note=note + "; the pre-worker page replayed"),
        common.record("filter_keystroke_return" + sfx, n, med(ret), "filter_gui_block_before" + sfx, med(before), peak.peak,
                      note=note),
        common.record("filter_result_ready" + sfx, n, med(ready), "filter_gui_block_before" + sfx, med(before), peak.peak,
                      note=note + "; rows and breakdown shown, worker included"),
        common.record("daily_spend_gui_block" + sfx, n, chart_block, "daily_spend_on_gui_thread", chart_before, peak.peak,
                      note="DailySpendChart.set_analysis until drawn, by vendor, stacked"),
    ]
    for r in session.runners:
        r.shutdown()
    page.close()
    app.processEvents()
    return lines


def run(sizes: list[int], quick: bool) -> Iterator[dict]:
    """One size: 1M rows (quick: the largest of ``sizes``)."""
    n = max(sizes) if quick else 1_000_000
    parts = [("filter_gui_block", lambda: bench_page(n, 1 if quick else 3))]
    if not quick:
        parts.append(("filter_gui_block_unique_keys", lambda: bench_page(n, 3, unique_keys=True)))
    return common.run_parts(parts)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for line in run([10_000, 100_000] if quick else [1_000_000], quick):
        common.emit(line)
