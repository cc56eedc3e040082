"""GUI benchmarks (issue 19): what an analyst waits for in the window, each against a baseline
measured in the same run (ratio = seconds / baseline_seconds). Nothing here asserts a time.

* gui_start_to_first_figures: process launch to the Overview's figures painted (the first Paint
  of a KPI tile showing a value), CommitDesk started in a fresh interpreter on the demo workspace
  (whose last figures an earlier start saved), against a bare PySide6 window with a few labels
  launched the same way (launch to its first paint). ``peak_rss_mb`` is the app process's own
  (VmHWM from its /proc/self/status when the figures painted); ``modules_before_first_paint``
  says whether pandas / pyqtgraph were loaded by then.
* gui_start_to_fresh_figures: launch to the first paint of figures of this start's own analysis
  (the saved figures replaced), same baseline. The full run repeats both on a workspace with the
  largest usage size (``*_large``).
* gui_edit_to_figures_<page>: the session's real path at n usage rows (a workspace with the demo
  company's other files): ``Session.update_commitment`` (one commit amount, a new value each
  time) until the analysis has landed, the page in front (Contracts; Usage) has refreshed, every
  worker (chart builders, the table's filter, the page's preparation) is idle and the window has
  processed its repaint. Baseline: the engine alone on the same workspace and cache
  (``desktop.ui.session.compute``, the recompute worker's analysis, for the next edit).
* gui_edit_gui_block_<page>: the longest time the GUI thread did not turn (a 1 ms QTimer's
  longest gap) during that edit; baseline: the same probe over a quiet window for as long.
* gui_table_repaint: ``viewport().repaint()`` of the Usage table full height (a DataTable over
  the Usage page's own model at 1440x900, scrolled to the middle of n rows) against Qt's floor: a QTableView of the same size, columns, font and row height
  over a model whose ``data()`` returns one constant string (``qt_floor_constant_model``); extra
  lines: against a C++ QStandardItemModel holding the same strings and shading
  (``gui_table_repaint_vs_cpp_model``) and the model's ``data()`` as it was before issue 19,
  replayed (``gui_table_repaint_before``); ``data_calls_per_repaint`` counts data() calls. The
  repaints are timed in GUI-thread CPU seconds (``time.thread_time``: the paint runs on that
  thread, and its CPU time does not move with the neighbours' load as the wall clock does).
* gui_chart_repaint: the Usage page's daily-spend chart (pyqtgraph, on screen in the window):
  a pan by 5% of the x-range then ``viewport().repaint()`` of its plot, against a bare
  ``pyqtgraph.PlotWidget`` of the same size showing the same series (one PlotDataItem each);
  GUI-thread CPU seconds as above.

    python -m bench.bench_gui [--quick]
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

if __package__ in (None, ""):  # `python bench/bench_gui.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import common

REPAINTS = 20
EDITS = 3

# --- start-up (child processes) ----------------------------------------------------------------

_START_PROBE = r"""
import json, os, sys, time
T0 = float(os.environ["BENCH_T0"])
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QWidget

def rss():
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) / 1024
    return out

app = QApplication.instance() or QApplication(sys.argv[:1])
out = {}

def done():
    print(json.dumps(out), flush=True)
    QTimer.singleShot(0, lambda: os._exit(0))

class Probe(QObject):
    def eventFilter(self, obj, ev):
        if ev.type() != QEvent.Type.Paint:
            return False
        now = time.time() - T0
        if "first_paint" not in out and isinstance(obj, QWidget) and obj.isWindow():
            out["first_paint"] = now
            out["modules_before_first_paint"] = [m for m in ("pandas", "pyqtgraph", "desktop.domain.analysis")
                                                 if m in sys.modules]
            if MODE == "bare":
                out["first_figures"] = out["fresh_figures"] = now
                out["rss"] = rss()
                done()
        if MODE == "app" and isinstance(obj, QLabel) and obj.objectName() == "tileValue" \
                and obj.text() not in ("", "\u2014"):
            if "first_figures" not in out:
                out["first_figures"] = now
                out["rss_first"] = rss()
            import desktop.app as da
            s = getattr(da._windows[-1], "session", None) if da._windows else None
            if s is not None and s.computations and "fresh_figures" not in out:
                out["fresh_figures"] = now
                out["rss"] = rss()
                done()
        return False

probe = Probe()
app.installEventFilter(probe)
QTimer.singleShot(int(float(os.environ.get("BENCH_TIMEOUT", "120")) * 1000), lambda: os._exit(3))
MODE = sys.argv[1]
if MODE == "bare":
    from PySide6.QtWidgets import QHBoxLayout, QMainWindow
    w = QMainWindow()
    w.setWindowTitle("bare")
    c = QWidget()
    row = QHBoxLayout(c)
    for text in ("1.25M", "482.1k", "950.00"):
        row.addWidget(QLabel(text))
    w.setCentralWidget(c)
    w.resize(1440, 900)
    w.show()
    app.exec()
else:
    from desktop.app import main
    main(sys.argv[2:] + ["--quit-after-ms", "600000"])
"""


def _launch(mode: str, env: dict, args: list[str], timeout: float) -> dict:
    env = dict(env, BENCH_T0=repr(time.time()), BENCH_TIMEOUT=str(timeout))
    p = subprocess.run([sys.executable, "-c", _START_PROBE, mode, *args], capture_output=True, text=True,
                       env=env, timeout=timeout + 30, cwd=common.ROOT)
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no figures painted ({mode}): rc={p.returncode} {p.stderr[-400:]}")


def _start_env(home: Path) -> dict:
    return dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                COMMITDESK_HOME=str(home), XDG_CONFIG_HOME=str(home / "xdg"),  # QSettings: Overview in front
                PYTHONPATH=str(common.ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def bench_start(runs: int, workspace: Path | None = None, n: int | None = None, suffix: str = "") -> list[dict]:
    """Launch to first and fresh figures on the demo (or ``workspace``), best of ``runs``
    launches, alternating with the bare window."""
    home = Path(tempfile.mkdtemp(prefix="commitdesk-bench-gui-"))
    try:
        env = _start_env(home)
        args = ["--demo"] if workspace is None else ["--workspace", str(workspace)]
        timeout = 120.0 if workspace is None else 900.0
        first = _launch("app", env, args, timeout)  # builds the demo, saves its figures
        bare, app = [], []
        for _ in range(runs):
            bare.append(_launch("bare", env, [], 60.0))
            app.append(_launch("app", env, args, timeout))
        b = min(x["first_paint"] for x in bare)
        best_first = min(app, key=lambda x: x["first_figures"])
        best_fresh = min(app, key=lambda x: x["fresh_figures"])
        rss_bare = min(x["rss"]["VmHWM"] for x in bare)
        note = (f"launch to paint, fresh interpreter, {os.environ.get('QT_QPA_PLATFORM', 'offscreen')}, "
                f"best of {runs} launches alternating with the bare window")
        what = "the demo workspace" if workspace is None else f"a workspace of {n:,} usage rows"
        return [
            common.record("gui_start_to_first_figures" + suffix, n, best_first["first_figures"],
                          "bare_pyside6_window_first_paint", b, best_first["rss_first"]["VmHWM"],
                          note=f"{note}; {what}, its last figures saved by an earlier start",
                          first_paint_seconds=round(best_first["first_paint"], 3),
                          modules_before_first_paint=best_first["modules_before_first_paint"],
                          app_rss_mb=round(best_first["rss_first"]["VmRSS"], 1),
                          bare_window_rss_mb=round(rss_bare, 1),
                          first_launch_fresh_seconds=round(first["fresh_figures"], 3),
                          target_seconds=1.0, goal="launch to the Overview's figures on screen under 1 s (#19)"),
            common.record("gui_start_to_fresh_figures" + suffix, n, best_fresh["fresh_figures"],
                          "bare_pyside6_window_first_paint", b, best_fresh["rss"]["VmHWM"],
                          note=f"{note}; {what}: figures of this start's own analysis painted",
                          app_rss_mb=round(best_fresh["rss"]["VmRSS"], 1),
                          bare_window_rss_mb=round(rss_bare, 1),
                          **({"target_mb": 400.0, "goal": "the app at 1M usage rows under 400 MB RSS after opening "
                                                          "(peak of its own process, #19)"}
                             if n is not None and n >= 1_000_000 else {})),
        ]
    finally:
        shutil.rmtree(home, ignore_errors=True)


# --- a workspace of n usage rows, and the window on it ----------------------------------------

def make_workspace(n: int, folder: Path) -> Path:
    """The demo company's files with the benchmark's usage of n rows in place of the demo's."""
    from desktop.store import Workspace

    path = folder / f"bench-{n}.commitdesk"
    with Workspace.open(path, create=True) as ws:
        for kind, src in common.demo_tables().items():
            ws.import_file(common.usage_csv(n) if kind == "usage" else src, kind)
    return path


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings

    from desktop.app import make_app

    app = make_app()
    # the window's saved geometry and page go to a scratch place, not the analyst's settings
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      tempfile.mkdtemp(prefix="commitdesk-bench-qsettings-"))
    return app


def _idle(win) -> bool:
    s = win.session
    return s.analysis is not None and not s.refreshing and not any(r.busy for r in s.runners)


def _settle(app, win, timeout: float = 900.0) -> None:
    t0 = time.perf_counter()
    while not _idle(win) and time.perf_counter() - t0 < timeout:
        app.processEvents()
        time.sleep(0.0005)
    app.processEvents()


class _Window:
    """The main window on a workspace of n usage rows, 1440x900, figures landed."""

    def __init__(self, path: Path):
        from desktop.app import build_window
        from desktop.store import Workspace

        self.app = _app()
        self.ws = Workspace.open(path)
        self.win = build_window(self.ws)
        self.win.resize(1440, 900)
        self.win.show()
        _settle(self.app, self.win)

    def show(self, key: str) -> None:
        self.win.navigate(key, {})
        self.win.page_by_key[key].ensure_fresh()
        _settle(self.app, self.win)

    def close(self) -> None:
        from desktop import app as desktop_app

        self.win.close()
        self.win.session.shutdown()
        self.ws.close()
        if self.win in desktop_app._windows:
            desktop_app._windows.remove(self.win)
        self.app.processEvents()


def bench_edit(w: _Window, n: int, page: str, edits: int = EDITS) -> list[dict]:
    from bench.bench_filter import _Heartbeat
    from desktop.domain.progress import Progress
    from desktop.ui.session import compute

    w.show(page)
    s = w.win.session
    contract = s.analysis.contracts[0]
    cid, start = contract.contract_id, contract.periods[0].period_start
    base_amount = int(contract.periods[0].commitment)
    hb = _Heartbeat(w.app)
    edit, engine, block, quiet, cpu, quiet_cpu = [], [], [], [], [], []
    k = 0
    with common.PeakRSS() as peak:
        for _ in range(edits):
            k += 1
            before = s.computations

            def edit_now(k=k):
                s.update_commitment(cid, start, commitment=str(base_amount + 1_000 * k))

            c0 = time.thread_time()
            gap, _ret, took = hb.run(edit_now, lambda b=before: s.computations > b and _idle(w.win), timeout=900)
            cpu.append(time.thread_time() - c0)
            edit.append(took)
            block.append(gap)
            # the quiet window for as long: the probe's own floor
            c0 = time.thread_time()
            q, _, _ = hb.run(lambda: None, lambda t0=time.perf_counter(), d=took: time.perf_counter() - t0 >= d)
            quiet_cpu.append(time.thread_time() - c0)
            quiet.append(q)
            # the engine alone, the next edit, on the same cache (what the worker computes)
            k += 1
            s.workspace.update_commitment(cid, start, commitment=str(base_amount + 1_000 * k))
            t0 = time.perf_counter()
            compute(s.workspace, s.as_of, Progress(), cache=s.cache)
            engine.append(time.perf_counter() - t0)
    med = statistics.median
    note = f"median of {edits} commitment edits, {page.capitalize()} page in front, 1440x900"
    return [
        common.record(f"gui_edit_to_figures_{page}", n, med(edit), "engine_recompute_after_edit", med(engine),
                      peak.peak, note=note + "; until the analysis landed, the page refreshed, every worker idle "
                                              "and the repaint processed",
                      **({"target_seconds": 0.1, "goal": f"GUI edit -> figures repainted under 100 ms at 1M rows, "
                                                         f"{page.capitalize()} in front (#19)"} if n >= 1_000_000 else {})),
        common.record(f"gui_edit_gui_block_{page}", n, med(block), "quiet_window_longest_gap", med(quiet), peak.peak,
                      note=note + "; the longest gap of a 1 ms GUI-thread timer (wall clock: a loaded machine "
                                  "lengthens it); gui_cpu_seconds: the GUI thread's CPU time over the whole edit, "
                                  "quiet_gui_cpu_seconds: the same probe over a quiet window as long",
                      gui_cpu_seconds=round(med(cpu), 4), quiet_gui_cpu_seconds=round(med(quiet_cpu), 4)),
    ]


# --- table and chart repaints ------------------------------------------------------------------

def _before_model_class():
    """ColumnTableModel with data() as it was before issue 19 (every role through the index and
    the column's display()), for the same-run comparison."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QBrush, QFont

    from desktop.ui.models import table as t

    class Before(t.ColumnTableModel):
        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            if not index.isValid():
                return None
            r = int(self._perm[index.row()])
            c = self._cols[index.column()]
            if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.EditRole:
                return c.display(r)
            if role == Qt.ItemDataRole.TextAlignmentRole:
                if c.kind in t.NUMERIC_KINDS:
                    return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                return None
            if role == Qt.ItemDataRole.BackgroundRole:
                fn = self.cell_colors.get(index.column())
                if fn is not None:
                    color = fn(r)
                    if color is not None:
                        return QBrush(color)
                if self.row_colors is not None:
                    code = int(self.row_colors[r])
                    if code >= 0:
                        return QBrush(self.palette[code])
                return None
            if role == Qt.ItemDataRole.FontRole:
                if self.row_bold is not None and self.row_bold[r]:
                    f = QFont()
                    f.setBold(True)
                    return f
                return None
            if role == Qt.ItemDataRole.ToolTipRole:
                if self.row_tooltips is not None:
                    return self.row_tooltips(r)
                if c.kind == "text":
                    text = c.display(r)
                    return text if len(text) > t.TOOLTIP_FROM_CHARS else None
                return None
            if role == t.SOURCE_ROW_ROLE:
                return r
            if role == t.SORT_ROLE:
                return c.raw(r)
            if role == t.RAW_ROLE:
                return c.value(r)
            return None

    return Before


def _constant_model_class():
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

    display = Qt.ItemDataRole.DisplayRole.value

    class Constant(QAbstractTableModel):
        """Qt's floor for a Python model: one constant string for the display role."""

        def __init__(self, rows: int, cols: int, parent=None):
            super().__init__(parent)
            self.rows, self.cols = rows, cols

        def rowCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else self.rows

        def columnCount(self, parent=QModelIndex()):
            return 0 if parent.isValid() else self.cols

        def data(self, index, role=display):
            return "1,234.56" if role == display else None

    return Constant


def _timed_repaints(view, count: int = REPAINTS) -> float:
    """Median GUI-thread CPU seconds of one synchronous ``viewport().repaint()`` (the paint runs
    on this thread; CPU time is what it costs whatever the neighbours' load does to the wall
    clock, which ``_wall`` keeps for the record)."""
    vp = view.viewport()
    vp.repaint()
    out, wall = [], []
    for _ in range(count):
        t0, w0 = time.thread_time(), time.perf_counter()
        vp.repaint()
        out.append(time.thread_time() - t0)
        wall.append(time.perf_counter() - w0)
    _wall.append(statistics.median(wall))
    return statistics.median(out)


_wall: list[float] = []


def bench_table(w: _Window, n: int) -> list[dict]:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

    from desktop.ui.widgets import DataTable

    w.show("usage")
    page = w.win.page_by_key["usage"]
    m = page.table.table_model
    # the Usage table full height (on the page the chart above it leaves the table a third of
    # the window): a DataTable as the page holds it, over the page's own model, at 1440x900
    real = DataTable(m)
    real.resize(w.win.size())
    for c in range(m.columnCount()):
        real.setColumnWidth(c, page.table.columnWidth(c))
        real.setColumnHidden(c, page.table.isColumnHidden(c))
    real.show()
    middle = m.rowCount() // 2
    real.scrollTo(m.index(middle, 0), QAbstractItemView.ScrollHint.PositionAtTop)
    w.app.processEvents()
    top = real.rowAt(0)
    visible_rows = max(1, real.viewport().height() // real.verticalHeader().defaultSectionSize() + 1)
    cols = m.columnCount()

    def twin(model) -> QTableView:
        """A plain QTableView shaped as the real table (size, font, row height, widths)."""
        v = QTableView()
        v.setModel(model)
        v.setAlternatingRowColors(True)
        v.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        v.setWordWrap(False)
        v.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        v.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vh = v.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(real.verticalHeader().defaultSectionSize())
        vh.setVisible(False)
        v.horizontalHeader().setStretchLastSection(real.horizontalHeader().stretchLastSection())
        for c in range(min(cols, model.columnCount())):
            v.setColumnWidth(c, real.columnWidth(c))
            v.setColumnHidden(c, real.isColumnHidden(c))
        v.resize(real.size())
        v.show()
        if model.rowCount() > middle:
            v.scrollTo(model.index(middle, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        w.app.processEvents()
        return v

    constant = _constant_model_class()(m.rowCount(), cols)
    std = QStandardItemModel(visible_rows, cols)
    for r in range(visible_rows):
        for c in range(cols):
            text = m.data(m.index(top + r, c))
            item = QStandardItem(text or "")
            align = m.data(m.index(top + r, c), Qt.ItemDataRole.TextAlignmentRole)
            if align is not None:
                item.setTextAlignment(Qt.AlignmentFlag(align))
            brush = m.data(m.index(top + r, c), Qt.ItemDataRole.BackgroundRole)
            if brush is not None:  # the anomaly shading, as the real table paints it
                item.setBackground(brush)
            std.setItem(r, c, item)

    def same_rows(model):
        model.set_columns(list(m.columns))
        model._perm = m._perm
        model.palette, model.row_colors = m.palette, m.row_colors
        return model

    before = same_rows(_before_model_class()())
    counted = same_rows(_counting_model_class()())
    views = {"constant": twin(constant), "std": twin(std), "before": twin(before), "counted": twin(counted)}
    views["std"].scrollTo(std.index(0, 0))
    counted.calls = 0
    views["counted"].viewport().repaint()
    calls = counted.calls
    ours, floor, cpp, old = [], [], [], []
    with common.PeakRSS() as peak:
        for _ in range(3):  # interleaved rounds: a burst of load lands on each
            ours.append(_timed_repaints(real))
            floor.append(_timed_repaints(views["constant"]))
            cpp.append(_timed_repaints(views["std"]))
            old.append(_timed_repaints(views["before"]))
    for v in (*views.values(), real):
        v.close()
    cells = f"{visible_rows} rows x {cols} columns in view, {calls:,} data() calls per repaint"
    note = (f"viewport().repaint() of the Usage table, full height at 1440x900 ({cells}), GUI-thread CPU "
            f"seconds, median of {REPAINTS}, best of 3 interleaved rounds")
    return [
        common.record("gui_table_repaint", n, min(ours), "qt_floor_constant_model", min(floor), peak.peak,
                      note=note, data_calls_per_repaint=calls),
        common.record("gui_table_repaint_vs_cpp_model", n, min(ours), "qt_standard_item_model", min(cpp), peak.peak,
                      note=note + "; baseline: the same strings in a C++ QStandardItemModel"),
        common.record("gui_table_repaint_before", n, min(old), "gui_table_repaint", min(ours), peak.peak,
                      note=note + "; data() as before issue 19, replayed"),
    ]


def _counting_model_class():
    from desktop.ui.models.table import ColumnTableModel

    class Counting(ColumnTableModel):
        """The model with a count of its data() calls (one repaint's worth, read once)."""

        calls = 0

        def data(self, index, role=0):
            self.calls += 1
            return super().data(index, role)

    return Counting


def bench_chart(w: _Window, n: int) -> list[dict]:
    import pyqtgraph as pg

    w.show("usage")
    page = w.win.page_by_key["usage"]
    chart = page.chart
    chart.reset_view()
    w.app.processEvents()
    data = chart.data
    bare = pg.PlotWidget()
    for s in data.series:
        bare.plot(s.x, s.y)
    bare.resize(chart.plot.size())
    bare.show()
    w.app.processEvents()

    def pans(plot_widget, view_box) -> float:
        """Median GUI-thread CPU seconds of a pan and the repaint it brings (as _timed_repaints)."""
        out = []
        for k in range(REPAINTS):
            (a, b), _ = view_box.viewRange()
            d = (b - a) * 0.05 * (1 if k % 2 == 0 else -1)
            t0 = time.thread_time()
            view_box.setXRange(a + d, b + d, padding=0)
            plot_widget.viewport().repaint()
            out.append(time.thread_time() - t0)
        return statistics.median(out)

    ours, base = [], []
    with common.PeakRSS() as peak:
        for _ in range(3):
            ours.append(pans(chart.plot, chart.view_box))
            base.append(pans(bare, bare.getPlotItem().getViewBox()))
    bare.close()
    points = sum(len(s.x) for s in data.series)
    return [common.record("gui_chart_repaint", n, min(ours), "bare_pyqtgraph_plotwidget", min(base), peak.peak,
                          note=f"pan by 5% + viewport().repaint() of the Usage page's daily-spend chart on screen "
                               f"({len(data.series)} series, {points:,} points), GUI-thread CPU seconds, median of "
                               f"{REPAINTS}, best of 3 interleaved rounds; baseline: a bare PlotWidget of the same "
                               "size with the same series")]


def bench_window(n: int, path: Path, edits: int = EDITS) -> list[dict]:
    w = _Window(path)
    try:
        out = []
        for name, part in (("gui_table_repaint", lambda: bench_table(w, n)),
                           ("gui_chart_repaint", lambda: bench_chart(w, n)),
                           ("gui_edit_to_figures_contracts", lambda: bench_edit(w, n, "contracts", edits)),
                           ("gui_edit_to_figures_usage", lambda: bench_edit(w, n, "usage", edits))):
            out += list(common.run_parts([(name, part)]))
        return out
    finally:
        w.close()


def run(sizes: list[int], quick: bool) -> Iterator[dict]:
    """Start-up on the demo (and, in a full run, on a workspace of the largest size); the window
    benchmarks at the largest size (quick: 10k rows)."""
    n = min(sizes) if quick else max(sizes)
    folder = Path(tempfile.mkdtemp(prefix="commitdesk-bench-ws-"))
    holder: dict[str, Path] = {}

    def workspace() -> Path:
        if "path" not in holder:
            holder["path"] = make_workspace(n, folder)
        return holder["path"]

    # --quick: one launch of each and two edits (its share of the shared budget, on a loaded machine)
    parts = [("gui_start_to_first_figures", lambda: bench_start(1 if quick else 5)),
             ("gui_window", lambda: bench_window(n, workspace(), 2 if quick else EDITS))]
    if not quick:
        parts.append(("gui_start_to_first_figures_large",
                      lambda: bench_start(3, workspace(), n, suffix="_large")))
    try:
        yield from common.run_parts(parts)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for line in run([10_000, 100_000] if quick else [10_000, 100_000, 1_000_000], quick):
        common.emit(line)
