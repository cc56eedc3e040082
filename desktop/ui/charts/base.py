"""ChartWidget: the thin pyqtgraph layer that draws a desktop.domain.charts.ChartData.

Everything a chart shows comes from the pure builders; this module only maps Series / Band /
Marker / Threshold to pyqtgraph items, reusing them (setData) when new data arrives, and wires
the interaction: crosshair + readout (rate-limited), wheel zoom / drag pan (ViewBox), legend
toggles, reset view, click -> ``pointsSelected`` (the SourceRefs or keys behind the point) and
right-click export of PNG, SVG and the plotted data as CSV.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters  # registers the exporters
from PySide6 import QtCore, QtGui, QtWidgets

from desktop.domain import charts, palette
from desktop.domain.charts import ChartData, Series
from desktop.ui.workers import TaskRunner

log = logging.getLogger(__name__)

DAY = charts.DAY
LARGE_SERIES = 5_000  # points; larger series are drawn with thin solid pens (see _draw_series)
LOD_MIN = 50_000  # points; larger sorted series are drawn from a precomputed min/max pyramid


class PeakPyramid:
    """Min/max reductions of a series with sorted x at bucket sizes 2, 4, 8, ..., built once.

    A view then draws about two points per pixel column (the min and the max of each bucket,
    as pyqtgraph's 'peak' downsampling does) without touching the full data again, so a pan
    or zoom over a 1M-point series costs what a few thousand points cost."""

    MIN_POINTS = 2_000

    def __init__(self, x: np.ndarray, y: np.ndarray):
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        self.levels: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        bucket, xs, mins, maxs = 1, self.x, self.y, self.y
        while len(mins) > self.MIN_POINTS:
            k = -(-len(mins) // 2)
            if k * 2 != len(mins):
                mins = np.append(mins, mins[-1])
                maxs = np.append(maxs, maxs[-1])
            mins = np.minimum(mins[0::2], mins[1::2])
            maxs = np.maximum(maxs[0::2], maxs[1::2])
            xs = xs[::2]
            bucket *= 2
            self.levels.append((bucket, xs, mins, maxs))

    def view(self, x0: float, x1: float, pixels: float) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) to draw for the x-range [x0, x1] on ``pixels`` pixel columns."""
        n = len(self.x)
        i0 = max(0, int(np.searchsorted(self.x, x0, side="left")) - 1)
        i1 = min(n, int(np.searchsorted(self.x, x1, side="right")) + 1)
        per_px = (i1 - i0) / max(pixels, 1.0)
        level = None
        for lv in self.levels:
            if lv[0] <= per_px:
                level = lv
        if level is None:
            return self.x[i0:i1], self.y[i0:i1]
        b, xs, mins, maxs = level
        j0, j1 = i0 // b, min(len(xs), -(-i1 // b))
        out_x = np.repeat(xs[j0:j1], 2)
        out_y = np.empty(2 * (j1 - j0))
        out_y[0::2] = mins[j0:j1]
        out_y[1::2] = maxs[j0:j1]
        return out_x, out_y


def _band_path(x, lower, upper) -> QtGui.QPainterPath:
    """The area between two edges as one closed path (upper edge forward, lower edge back),
    straight from the arrays: what pyqtgraph's FillBetweenItem re-derived from both curves' paths
    on every change of either (tens of ms per band on the GUI thread after each recompute)."""
    x = np.asarray(x, dtype=np.float64)
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(lo) & np.isfinite(hi)
    x, lo, hi = x[ok], lo[ok], hi[ok]
    if not len(x):
        return QtGui.QPainterPath()
    path = pg.arrayToQPath(np.concatenate([x, x[::-1]]), np.concatenate([hi, lo[::-1]]), connect="all")
    path.closeSubpath()
    return path


def is_dark(widget: QtWidgets.QWidget | None = None) -> bool:
    pal = widget.palette() if widget is not None else QtWidgets.QApplication.palette()
    return pal.color(QtGui.QPalette.ColorRole.Window).lightness() < 128


def _abbrev(v: float) -> str:
    a = abs(v)
    for div, suf in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            s = f"{v / div:.2f}".rstrip("0").rstrip(".")
            return s + suf
    return f"{v:.2f}".rstrip("0").rstrip(".") if a else "0"


class MoneyAxis(pg.AxisItem):
    """Money ticks with thousands abbreviated (1.5k, 2M)."""

    def __init__(self, orientation: str = "left", **kw):
        super().__init__(orientation, **kw)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):  # Qt naming
        return [_abbrev(v * scale) for v in values]


class PercentAxis(pg.AxisItem):
    def __init__(self, orientation: str = "left", **kw):
        super().__init__(orientation, **kw)
        self.enableAutoSIPrefix(False)

    def tickStrings(self, values, scale, spacing):
        digits = 0 if spacing * scale >= 0.01 else 1
        return [f"{v * scale * 100:.{digits}f}%" for v in values]


class CategoryAxis(pg.AxisItem):
    """Integer positions labelled with category names (every label shown while it fits)."""

    def __init__(self, orientation: str = "bottom", **kw):
        super().__init__(orientation, **kw)
        self.categories: tuple[str, ...] = ()

    def set_categories(self, cats: tuple[str, ...]) -> None:
        self.categories = tuple(cats)
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):
        n = len(self.categories)
        if n == 0:
            return []
        lo, hi = max(0, int(np.ceil(minVal))), min(n - 1, int(np.floor(maxVal)))
        if hi < lo:
            return []
        longest = max(len(c) for c in self.categories) or 1
        per_label = 7.0 * min(longest, 22) + 10
        step = max(1, int(np.ceil((hi - lo + 1) * per_label / max(size, 1.0))))
        return [(float(step), [float(i) for i in range(lo, hi + 1, step)])]

    def tickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            i = int(round(v))
            label = self.categories[i] if 0 <= i < len(self.categories) else ""
            out.append(label if len(label) <= 22 else label[:21] + "…")
        return out


_MONTH = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class DateAxis(pg.AxisItem):
    """Calendar ticks on one level only, at the finest step whose widest label still fits:
    days ("Mar 5"), weeks (Mondays), months ("Mar"; January as its year "2027") or years, so
    two labels never meet (pyqtgraph's DateAxisItem draws several levels on one line, which
    read as "May02" or "31Aug")."""

    # (unit, step): candidate tick steps, finest first
    STEPS = (("day", 1), ("day", 2), ("week", 1), ("week", 2), ("month", 1), ("month", 2), ("month", 3),
             ("month", 6), ("year", 1), ("year", 2), ("year", 5), ("year", 10), ("year", 25))
    MIN_DAYS = {"day": 1, "week": 7, "month": 28, "year": 365}
    GAP = 14.0  # pixels between two labels at least

    def __init__(self, orientation: str = "bottom", **kw):
        super().__init__(orientation, **kw)
        self.enableAutoSIPrefix(False)
        self.unit = ("month", 1)

    def _metrics(self) -> QtGui.QFontMetricsF:
        return QtGui.QFontMetricsF(self.style.get("tickFont") or self.font())

    def label_width(self, unit: str) -> float:
        fm = self._metrics()
        samples = {"day": ("May 30", "Sep 30", "Dec 31"), "week": ("May 30", "Sep 30", "Dec 31"),
                   "month": ("2027", "May", "Sep"), "year": ("2027",)}[unit]
        return max(fm.horizontalAdvance(t) for t in samples)

    def choose(self, lo: float, hi: float, size: float) -> tuple[str, int]:
        """The finest step whose labels do not meet on ``size`` pixels for [lo, hi] seconds."""
        if hi <= lo or size <= 0:
            return ("month", 1)
        px_per_day = size / ((hi - lo) / DAY)
        for unit, step in self.STEPS:
            if self.MIN_DAYS[unit] * step * px_per_day >= self.label_width(unit) + self.GAP:
                return (unit, step)
        return self.STEPS[-1]

    @staticmethod
    def ticks(lo: float, hi: float, unit: str, step: int) -> list[float]:
        import datetime as _dt

        d0 = charts.date_of(lo)
        d1 = charts.date_of(hi)
        out: list[float] = []
        if unit in ("day", "week"):
            d = int(np.ceil(lo / DAY))
            if unit == "week":  # Mondays (1970-01-01, day 0, was a Thursday); every other one for 2
                while (d + 3) % 7 or ((d + 3) // 7) % step:
                    d += 1
            else:
                while d % step:
                    d += 1
            days = step * (7 if unit == "week" else 1)
            while d * DAY <= hi:
                out.append(d * DAY)
                d += days
            return out
        if unit == "month":
            y, m = d0.year, d0.month
            while (y, m) <= (d1.year, d1.month):
                if (m - 1) % step == 0:
                    x = charts.epoch_seconds(_dt.date(y, m, 1))
                    if lo <= x <= hi:
                        out.append(x)
                y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            return out
        for y in range(d0.year, d1.year + 1):
            if y % step == 0:
                x = charts.epoch_seconds(_dt.date(y, 1, 1))
                if lo <= x <= hi:
                    out.append(x)
        return out

    def tickValues(self, minVal, maxVal, size):  # Qt naming
        self.unit = self.choose(minVal, maxVal, size)
        vals = self.ticks(minVal, maxVal, *self.unit)
        days = {"day": 1, "week": 7, "month": 30, "year": 365}[self.unit[0]] * self.unit[1]
        return [(days * DAY, vals)]

    def tickStrings(self, values, scale, spacing):
        out = []
        for v in values:
            d = charts.date_of(v)
            if self.unit[0] == "year" or (self.unit[0] == "month" and d.month == 1):
                out.append(str(d.year))
            elif self.unit[0] == "month":
                out.append(_MONTH[d.month - 1])
            else:
                out.append(f"{_MONTH[d.month - 1]} {d.day}")
        return out


class PeriodAxis(pg.AxisItem):
    """A strip above the plot naming the commit periods: each label is centred on the visible
    part of its period and is the longest of (label, short, "P<k>") that fits inside that part,
    or nothing (the readout names it on hover). Labels stay inside their own periods, so they
    never overlap each other, the data or the axis labels."""

    def __init__(self, orientation: str = "top", **kw):
        super().__init__(orientation, **kw)
        self.periods: tuple[tuple[float, float, str, str], ...] = ()  # (start, end, label, short)
        self._shown: dict[float, str] = {}
        self.setStyle(tickLength=0)
        self.enableAutoSIPrefix(False)

    def set_periods(self, periods) -> None:
        self.periods = tuple(periods)
        self.picture = None
        self.update()

    def fitted(self, lo: float, hi: float, size: float) -> list[tuple[float, str]]:
        """(x, text) of each label shown for the view [lo, hi] on ``size`` pixels."""
        if hi <= lo or size <= 0:
            return []
        fm = QtGui.QFontMetricsF(self.style.get("tickFont") or self.font())
        px = size / (hi - lo)
        out = []
        for k, (a, b, label, short) in enumerate(self.periods, start=1):
            a2, b2 = max(a, lo), min(b, hi)
            if b2 <= a2:
                continue
            room = (b2 - a2) * px - 8
            for text in (label, short, f"P{k}"):
                if text and fm.horizontalAdvance(text) <= room:
                    out.append(((a2 + b2) / 2, text))
                    break
        return out

    def tickValues(self, minVal, maxVal, size):  # Qt naming
        shown = self.fitted(minVal, maxVal, size)
        self._shown = dict(shown)
        return [(1.0, [x for x, _t in shown])]

    def tickStrings(self, values, scale, spacing):
        return [self._shown.get(v, "") for v in values]


class Sample(pg.ItemSample):
    """A legend sample: filled items (areas, bands, tier swatches) as a plain square,
    everything else as pyqtgraph draws it (line, dash, symbol, bar)."""

    def paint(self, p, *args):
        opts = self.item.opts
        bar = isinstance(self.item, pg.BarGraphItem)
        filled = bar or (not isinstance(self.item, pg.ScatterPlotItem)
                         and opts.get("fillLevel") is not None and opts.get("fillBrush") is not None)
        if not filled or not self.item.isVisible():
            super().paint(p, *args)
            return
        p.setPen(pg.mkPen(opts["pen"]))
        p.setBrush(pg.mkBrush(opts["brush"] if bar else opts["fillBrush"]))
        p.drawRect(QtCore.QRectF(3, 4, 14, 14))


class RowLegend(pg.LegendItem):
    """A legend laid out in its own row of the plot's grid (below the x axis), never over the
    data: as many columns as fit the plot's width (at most ``max_columns``), row by row.
    Clicking a sample toggles its series exactly as pyqtgraph's in-plot legend does."""

    def __init__(self, **kw):
        super().__init__(offset=None, frame=False, horSpacing=14, verSpacing=-4, sampleType=Sample, **kw)
        self.max_columns = 0  # 0: as many as fit
        self._avail = 0.0
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Maximum, QtWidgets.QSizePolicy.Policy.Fixed)

    def entry_width(self) -> float:
        def w(lab) -> float:
            return lab.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize).width()

        return max((20 + w(lab) + 14 for _s, lab in self.items), default=0.0)

    def entry_widths(self) -> list[float]:
        def w(lab) -> float:
            return lab.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize).width()

        return [20 + w(lab) + 14 for _s, lab in self.items]

    def fit_width(self, avail: float) -> None:
        """Re-flow the entries into as many columns as ``avail`` pixels hold."""
        self._avail = float(avail)
        n = len(self.items)
        if n == 0:
            return
        widths = self.entry_widths()
        cols = 1
        for c in range(min(n, self.max_columns or n), 0, -1):
            # entries fill row by row: column j holds entries j, j + c, ...; a column is as wide
            # as its widest entry
            if sum(max(widths[j::c]) for j in range(c)) + 8 * c + 12 <= self._avail:
                cols = c
                break
        if cols != self.columnCount:
            self.setColumnCount(cols)
        else:
            self.updateSize()

    def addItem(self, item, name):  # Qt naming
        super().addItem(item, name)
        if self._avail:
            self.fit_width(self._avail)

    def updateSize(self):
        # the parent layout places the legend from its own grid's size hint; no setGeometry
        self.layout.invalidate()
        self.updateGeometry()

    def hoverEvent(self, ev):  # no dragging: the legend stays in its row
        pass

    def mouseDragEvent(self, ev):
        ev.ignore()


def _sample_icon(item) -> QtGui.QIcon:
    """A 16 x 16 picture of a legend sample: a filled square for areas, bands and bars, a dot
    for symbols, else the line with its pen."""
    pm = QtGui.QPixmap(16, 16)
    pm.fill(QtCore.Qt.GlobalColor.transparent)
    p = QtGui.QPainter(pm)
    try:
        opts = getattr(item, "opts", {})
        if isinstance(item, pg.BarGraphItem) or (opts.get("fillLevel") is not None and opts.get("fillBrush") is not None
                                                 and not isinstance(item, pg.ScatterPlotItem)):
            brush = opts.get("brush") if isinstance(item, pg.BarGraphItem) else opts.get("fillBrush")
            p.setBrush(pg.mkBrush(brush))
            p.setPen(pg.mkPen(opts.get("pen")))
            p.drawRect(2, 2, 12, 12)
        elif isinstance(item, pg.ScatterPlotItem) or opts.get("symbol"):
            brush = opts.get("brush") or opts.get("symbolBrush")
            p.setBrush(pg.mkBrush(brush if not isinstance(brush, list) else brush[0]))
            p.setPen(pg.mkPen(opts.get("pen") or opts.get("symbolPen")))
            p.drawEllipse(3, 3, 10, 10)
        else:
            pen = QtGui.QPen(pg.mkPen(opts.get("pen")))
            pen.setWidthF(2.0)
            p.setPen(pen)
            p.drawLine(1, 8, 15, 8)
    finally:
        p.end()
    return QtGui.QIcon(pm)


def _pen(color: str, width: float = 2.0, style: str = "solid"):
    pen = pg.mkPen(color=color, width=width)
    if style == "dash":
        pen.setStyle(QtCore.Qt.PenStyle.DashLine)
    elif style == "dot":
        pen.setStyle(QtCore.Qt.PenStyle.DotLine)
    pen.setCosmetic(True)
    return pen


class ChartWidget(QtWidgets.QWidget):
    """Base of every chart. Subclasses set ``x_kind`` ("date" | "category" | "money") and
    ``y_unit`` ("money" | "ratio") and may add controls."""

    pointsSelected = QtCore.Signal(list)  # list[SourceRef] or list[str] keys
    pointPicked = QtCore.Signal(list, str)  # the same, with what the point is in words (drill-down chips)
    readoutChanged = QtCore.Signal(str)
    built = QtCore.Signal()  # the ChartData of a ``build`` landed and is drawn

    x_kind = "date"
    y_unit = "money"
    empty_text = "No data to chart."
    pad_dates = True  # False: a date axis starts at the first data day and ends at the last

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        super().__init__(parent)
        self.data: ChartData | None = None
        self._hidden: set[str] = set()
        self._items: dict[str, tuple[str, object]] = {}
        self._fills: dict[str, pg.FillBetweenItem] = {}
        self._bands: dict[str, tuple[pg.PlotCurveItem, pg.PlotCurveItem, QtWidgets.QGraphicsPathItem,
                                     pg.PlotDataItem]] = {}
        self._legend_key: tuple | None = None  # what the legend shows (rebuilt only when it changes)
        self._lines: list[pg.InfiniteLine] = []
        self._vb2: pg.ViewBox | None = None
        self._swatches: list = []
        self._lod: dict[str, PeakPyramid] = {}
        self._dark = is_dark(self)
        self.last_selection: list = []
        # builders run off the GUI thread: a new build cancels the one in flight (its result
        # never lands) and the ChartData is drawn here when it arrives
        self.runner = TaskRunner(f"chart-{type(self).__name__}", self)
        self.runner.finished.connect(self._built)
        self.runner.failed.connect(self._build_failed)

        self.title_label = QtWidgets.QLabel(self)
        f = self.title_label.font()
        f.setBold(True)
        self.title_label.setFont(f)
        # a long title wraps instead of widening the chart (and with it the window) past the screen
        self.title_label.setWordWrap(True)
        self.title_label.setSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        self.readout_label = QtWidgets.QLabel(" ", self)
        self.readout_label.setWordWrap(True)
        self.readout_label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout_label.setMinimumHeight(self.readout_label.fontMetrics().height() * 2 + 4)
        self.readout_label.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop | QtCore.Qt.AlignmentFlag.AlignLeft)
        self.reset_button = QtWidgets.QToolButton(self)
        self.reset_button.setText("Reset view")
        self.reset_button.setToolTip("Zoom back to all the data (wheel zooms, drag pans)")
        self.reset_button.clicked.connect(self.reset_view)

        self.toolbar = QtWidgets.QHBoxLayout()
        self.toolbar.setContentsMargins(0, 0, 0, 0)
        self.toolbar.addWidget(self.title_label, 1)
        self._add_controls(self.toolbar)
        # when the legend would take more than a third of the chart's height (small windows), it
        # folds into this button: the same entries, the same click-to-hide toggles
        self.legend_button = QtWidgets.QToolButton(self)
        self.legend_button.setText("Legend")
        self.legend_button.setToolTip("What each colour and line means (click an entry to hide or show it)")
        self.legend_button.setPopupMode(QtWidgets.QToolButton.ToolButtonPopupMode.InstantPopup)
        self.legend_menu = QtWidgets.QMenu(self.legend_button)
        self.legend_button.setMenu(self.legend_menu)
        self.legend_menu.aboutToShow.connect(self._fill_legend_menu)
        self.legend_button.hide()
        self.legend_folded = False
        self.toolbar.addWidget(self.legend_button)
        self.toolbar.addWidget(self.reset_button)

        axes = {"bottom": self._make_x_axis(), "left": self._make_y_axis("left")}
        if self.x_kind == "date":
            axes["top"] = PeriodAxis("top")
        self.plot = pg.PlotWidget(self, axisItems=axes)
        self.plot.setMinimumHeight(180)
        pi = self.plot.getPlotItem()
        self.plot_item = pi
        self.view_box: pg.ViewBox = pi.getViewBox()
        pi.setDownsampling(auto=True, mode="peak")
        pi.setClipToView(True)
        pi.showGrid(x=True, y=True, alpha=0.25)
        pi.setMenuEnabled(True)
        pi.hideButtons()  # pyqtgraph's "A" (auto-range both axes) would undo y following x; Reset view does it
        # wheel zoom and drag pan move x only; y follows the visible data from zero (_follow_y).
        # The view's context menu can still enable the y axis for the mouse.
        self.view_box.setMouseEnabled(x=True, y=False)
        self.view_box.sigXRangeChanged.connect(self._follow_y)
        if self.x_kind == "date":
            pi.showAxis("top")
            pi.getAxis("top").setHeight(0)
        # the legend has its own row under the x axis (never over the data)
        self.legend = RowLegend(labelTextSize="8pt", colCount=1)
        pi.layout.addItem(self.legend, 4, 0, 1, 3)
        pi.layout.setAlignment(self.legend, QtCore.Qt.AlignmentFlag.AlignHCenter)
        self._legend_pad = QtWidgets.QGraphicsWidget()
        self._legend_pad.setMinimumHeight(0)
        self._legend_pad.setMaximumHeight(0)
        pi.layout.addItem(self._legend_pad, 5, 0, 1, 3)
        pi.geometryChanged.connect(self._fit_legend)
        # the plot item cannot shrink below a legend laid out for a wider view: the viewport's
        # own resize re-flows the legend too
        self.plot.viewport().installEventFilter(self)
        self.legend.sigSampleClicked.connect(self._legend_clicked)
        self._threshold_lines: list[pg.InfiniteLine] = []
        self._legend_peers: list[ChartWidget] = []

        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.setZValue(1000)
        self.crosshair.hide()
        pi.addItem(self.crosshair, ignoreBounds=True)

        scene = self.plot.scene()
        self._proxy = pg.SignalProxy(scene.sigMouseMoved, rateLimit=60, slot=self._mouse_moved)
        self.view_box.sigXRangeChanged.connect(self._update_lod)
        scene.sigMouseClicked.connect(self._mouse_clicked)
        self._extend_menu()

        lay = QtWidgets.QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(2)
        lay.addLayout(self.toolbar)
        lay.addWidget(self.readout_label)
        lay.addWidget(self.plot, 1)
        self.apply_theme(self._dark)
        for name in ("left", "bottom", "right"):  # no ticks over nothing until data arrives
            if name in pi.axes:
                pi.getAxis(name).setStyle(showValues=False)

    # ---------------------------------------------------------------- construction hooks
    def _add_controls(self, bar: QtWidgets.QHBoxLayout) -> None:
        """Subclasses add their own controls (left of Reset view)."""

    def _make_x_axis(self) -> pg.AxisItem:
        if self.x_kind == "date":
            return DateAxis("bottom")
        if self.x_kind == "category":
            return CategoryAxis("bottom")
        return MoneyAxis("bottom")

    def _make_y_axis(self, side: str) -> pg.AxisItem:
        return PercentAxis(side) if self.y_unit == "ratio" else MoneyAxis(side)

    def _extend_menu(self) -> None:
        menu = self.view_box.menu
        menu.addSeparator()
        self.action_reset = menu.addAction("Reset view")
        self.action_reset.triggered.connect(self.reset_view)
        self.action_png = menu.addAction("Export PNG…")
        self.action_png.triggered.connect(lambda: self._export_dialog("png"))
        self.action_svg = menu.addAction("Export SVG…")
        self.action_svg.triggered.connect(lambda: self._export_dialog("svg"))
        self.action_csv = menu.addAction("Export plotted data (CSV)…")
        self.action_csv.triggered.connect(lambda: self._export_dialog("csv"))

    # ---------------------------------------------------------------- theme
    def apply_theme(self, dark: bool) -> None:
        self._dark = dark
        th = palette.theme(dark)
        self.plot.setBackground(th.background)
        for name in ("left", "bottom", "right", "top"):
            if name not in self.plot_item.axes:
                continue
            ax = self.plot_item.getAxis(name)
            ax.setPen(pg.mkPen(th.foreground))
            ax.setTextPen(pg.mkPen(th.foreground))
        self.crosshair.setPen(_pen(th.muted, 1, "dot"))
        self.legend.setLabelTextColor(th.foreground)
        if self.data is not None:
            self.set_data(self.data)

    def eventFilter(self, obj, event) -> bool:  # Qt naming
        if event.type() == QtCore.QEvent.Type.Resize and obj is self.plot.viewport():
            self._fit_legend()
        return False

    def changeEvent(self, event: QtCore.QEvent) -> None:  # Qt naming
        """The application's palette changed (Settings > Appearance, or the system's scheme):
        redraw in the matching chart theme."""
        if event.type() == QtCore.QEvent.Type.PaletteChange and is_dark(self) != self._dark:
            self.apply_theme(is_dark(self))
        super().changeEvent(event)

    def line_color(self, color: str) -> str:
        return palette.line_color(color, self._dark)

    # ---------------------------------------------------------------- data
    def build(self, builder: Callable[..., ChartData], *args) -> None:
        """Run ``builder(*args)`` (a desktop.domain.charts builder) in the chart's worker and
        draw its ChartData when it lands; the chart keeps showing its data meanwhile."""
        self.runner.start(lambda _progress: builder(*args), label="Drawing the chart")

    def _built(self, data: ChartData) -> None:
        self.set_data(self._landing(data))
        self.built.emit()

    def _landing(self, data: ChartData) -> ChartData:
        """Hook: adjust a built ChartData to switches changed while it was being built."""
        return data

    def _build_failed(self, exc: BaseException) -> None:
        log.warning("chart %s not drawn: %s", type(self).__name__, exc)
        self.set_data(None)
        self.title_label.setText(f"Chart not drawn: {exc}")
        self.built.emit()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.runner.shutdown()
        super().closeEvent(event)

    def set_data(self, data: ChartData | None) -> None:
        """Draw ``data`` (a ChartData of this chart's kind); None clears."""
        self.data = data
        if data is None:
            data = ChartData("", "", ())
        self.title_label.setText(data.title)
        self.title_label.setToolTip("\n".join(data.notes))
        pi = self.plot_item
        if self.x_kind == "category":
            ax = pi.getAxis("bottom")
            if isinstance(ax, CategoryAxis):
                ax.set_categories(data.categories)
        pi.setLabel("left", data.y_label)
        pi.setLabel("bottom", data.x_label)
        empty = not any(s.n for s in data.series)
        # an empty chart shows no tick labels at all (no "0.1" / "00.100" over nothing)
        for name in ("left", "bottom", "right"):
            if name in pi.axes:
                pi.getAxis(name).setStyle(showValues=not empty)
        if self.x_kind == "date":
            top = pi.getAxis("top")
            periods = tuple(data.extra.get("periods", ())) if not empty else ()
            top.set_periods(periods)
            top.setHeight(int(QtGui.QFontMetricsF(self.font()).height() + 6) if periods else 0)
        if any(s.axis == "right" for s in data.series):
            self._right_view()
        if self._vb2 is not None:
            pi.setLabel("right", data.y2_label)
            # no drawn series on the right axis (several renewal scenarios): no empty axis
            pi.getAxis("right").setVisible(any(s.axis == "right" and s.draw for s in data.series))
        self._draw_bands(data)
        self._draw_series(data)
        self._draw_lines(data)
        self._rebuild_legend(data)
        self.readout_label.setText((data.extra.get("empty_text") or self.empty_text) if empty else self._caption())
        self.reset_view()

    def _target_vb(self, s: Series) -> pg.ViewBox:
        if s.axis == "right":
            return self._right_view()
        return self.view_box

    def _right_view(self) -> pg.ViewBox:
        if self._vb2 is None:
            pi = self.plot_item
            vb2 = pg.ViewBox()
            right = PercentAxis("right")
            pi.setAxisItems({"right": right})
            pi.showAxis("right")
            pi.scene().addItem(vb2)
            right.linkToView(vb2)
            vb2.setXLink(pi)
            # vb2 lies above the plot (so its markers show over the bars) but passes every
            # mouse event through to the main view, the legend and the menus
            vb2.setMouseEnabled(x=False, y=False)
            vb2.setAcceptedMouseButtons(QtCore.Qt.MouseButton.NoButton)
            vb2.setAcceptHoverEvents(False)
            vb2.setMenuEnabled(False)
            vb2.setZValue(pi.zValue() + 1)  # right-axis markers above the bars (vb2 is top-level)

            def sync():
                vb2.setGeometry(self.view_box.sceneBoundingRect())
                vb2.linkedViewChanged(self.view_box, vb2.XAxis)

            self.view_box.sigResized.connect(sync)
            sync()
            th = palette.theme(self._dark)
            right.setPen(pg.mkPen(th.foreground))
            right.setTextPen(pg.mkPen(th.foreground))
            self._vb2 = vb2
        return self._vb2

    def _remove(self, item, vb) -> None:
        if item is None:
            return
        if vb is self.view_box:
            self.plot_item.removeItem(item)
        else:
            vb.removeItem(item)

    def _add(self, item, vb) -> None:
        if vb is self.view_box:
            self.plot_item.addItem(item)
        else:
            vb.addItem(item)

    def _update_lod(self, *_args) -> None:
        """Re-slice the large series from their pyramids for the new x-range."""
        if not self._lod:
            return
        (x0, x1), _ = self.view_box.viewRange()
        px = self.view_box.width()
        for name, lod in self._lod.items():
            entry = self._items.get(name)
            if entry is not None:
                xs, ys = lod.view(x0, x1, px)
                entry[1].setData(xs, ys)

    def _draw_series(self, data: ChartData) -> None:
        wanted = {s.name: s for s in data.series if s.draw}
        for name in list(self._items):
            style, item = self._items[name]
            s = wanted.get(name)
            if s is None or self._kind_of(s) != style:
                self._remove(item, item.getViewBox() or self.view_box)
                del self._items[name]
                self._lod.pop(name, None)
        for name in list(self._fills):
            self._remove(self._fills.pop(name), self.view_box)
        area_k = 0
        for s in data.series:
            if not s.draw:
                continue
            kind = self._kind_of(s)
            entry = self._items.get(s.name)
            item = entry[1] if entry else None
            color = self.line_color(s.color)
            vb = self._target_vb(s)
            if kind == "curve":
                xs, ys = s.x, s.y
                connect = s.connect
                if s.style == "step" and s.lo is not None and s.hi is not None:
                    # each (start, end) pair drawn across the whole period, end day included
                    xs = np.column_stack([s.lo[0::2], s.hi[1::2]]).ravel()
                if s.n > LARGE_SERIES:
                    # Qt strokes wide or dashed pens along the whole (peak-downsampled, zig-zag)
                    # path length: at this size a thin solid line keeps a repaint within a frame
                    pen = _pen(color, 1.0)
                else:
                    pen = _pen(color, 2.2 if s.style in ("line", "step") else 1.8,
                               s.style if s.style in ("dash", "dot") else "solid")
                kw: dict = {"pen": pen, "connect": connect}
                if s.style == "area":
                    # opaque (softened) fills: each band is drawn from 0 and the lower bands
                    # sit in front, so translucent fills would blend into wrong colours
                    kw["fillLevel"] = 0.0
                    kw["fillBrush"] = pg.mkBrush(palette.mix(s.color, palette.theme(self._dark).background, 0.15))
                    kw["pen"] = _pen(palette.theme(self._dark).background, 0.8)
                if s.style == "symbols":
                    kw.update(symbol=s.symbol or "o", symbolSize=7, symbolBrush=pg.mkBrush(color),
                              symbolPen=pg.mkPen(color))
                if s.name in ("forecast_low", "forecast_surge"):
                    kw["pen"] = _pen(color, 1.0, "dot")
                lod = None
                if s.n > LOD_MIN and connect == "all" and bool(np.all(np.diff(xs) >= 0)):
                    lod = PeakPyramid(xs, ys)
                    (x0, x1), _ = self.view_box.viewRange()
                    if x1 <= x0 or x1 < xs[0] or x0 > xs[-1]:
                        x0, x1 = float(xs[0]), float(xs[-1])
                    xs, ys = lod.view(x0, x1, self.view_box.width())
                if item is None:
                    item = pg.PlotDataItem(xs, ys, **kw)
                    self._add(item, vb)
                else:
                    item.setData(xs, ys, **kw)
                if lod is not None:
                    self._lod[s.name] = lod
                    item.setDownsampling(ds=1, auto=False)
                    item.setClipToView(False)
                elif s.name in self._lod:
                    del self._lod[s.name]
                    item.setDownsampling(auto=True, method="peak")
                    item.setClipToView(True)
                if s.style == "area":
                    item.setZValue(-1 - area_k * 0.01)  # the bottom band in front
                    area_k += 1
                else:
                    item.setZValue(5 if s.style != "dash" else 4)
            elif kind == "bar":
                if s.n == 0:  # BarGraphItem cannot draw zero bars
                    if item is not None:
                        self._remove(item, item.getViewBox() or self.view_box)
                    self._items.pop(s.name, None)
                    continue
                base = s.y0 if s.y0 is not None else np.zeros(s.n)
                w = s.width if s.width is not None else np.full(s.n, 0.8)
                height = np.nan_to_num(s.y - base)
                if s.style == "bar_outline":
                    brushes = [pg.mkBrush(palette.rgba(s.color, 60))] * s.n
                    pens = [_pen(color, 2.0)] * s.n
                else:
                    cols = s.point_colors or (s.color,) * s.n
                    pale = s.point_pale or (False,) * s.n
                    brushes = [pg.mkBrush(palette.rgba(c, 70) if pl else c) for c, pl in zip(cols, pale, strict=True)]
                    pens = [pg.mkPen(self.line_color(c) if (pl or not s.point_colors)
                                     else palette.theme(self._dark).foreground, width=1.5 if pl else 1)
                            for c, pl in zip(cols, pale, strict=True)]
                kw = {"x": s.x, "height": height, "width": w, "y0": base, "brushes": brushes, "pens": pens}
                if item is None:
                    item = pg.BarGraphItem(**kw)
                    item.opts["brush"] = pg.mkBrush(s.color)  # legend sample
                    item.opts["pen"] = pg.mkPen(color)
                    self._add(item, vb)
                else:
                    item.setOpts(**kw)
                item.setZValue(3 if s.y0 is not None else 2)
            else:  # scatter
                kw = {"symbol": s.symbol or "o", "size": 15 if s.symbol == "star" else 10,
                      "brush": [pg.mkBrush(c) for c in s.point_colors] if s.point_colors else pg.mkBrush(color),
                      "pen": pg.mkPen(palette.theme(self._dark).foreground, width=1)}
                if item is None:
                    item = pg.ScatterPlotItem(x=s.x, y=s.y, **kw)
                    self._add(item, vb)
                else:
                    item.setData(x=s.x, y=s.y, **kw)
                item.setZValue(20)
            item.setVisible(s.name not in self._hidden)
            self._items[s.name] = (kind, item)
        # shaded ranges between two series (forecast cone)
        for s in data.series:
            if s.fill_to and s.name in self._items and s.fill_to in self._items:
                a, b = self._items[s.name][1], self._items[s.fill_to][1]
                fill = pg.FillBetweenItem(a.curve, b.curve, brush=pg.mkBrush(palette.rgba(s.color, 70)))
                fill.setZValue(1)
                fill.setVisible(s.name not in self._hidden)
                # fills have no data bounds of their own (their curves do): keep them out of
                # the auto-range, which would otherwise stretch to x = 0
                self.plot_item.addItem(fill, ignoreBounds=True)
                self._fills[s.name] = fill

    @staticmethod
    def _kind_of(s: Series) -> str:
        if s.style in ("bar", "bar_outline"):
            return "bar"
        if s.style == "scatter":
            return "scatter"
        return "curve"

    def _draw_bands(self, data: ChartData) -> None:
        """Each band: its two edges (invisible curves, so the view's bounds include them) and the
        area between them as one closed path built from the arrays (``_band_path``)."""
        wanted = {b.name for b in data.bands}
        for name in list(self._bands):
            if name not in wanted:
                lo, hi, fill, sample = self._bands.pop(name)
                for it in (lo, hi, fill):
                    self.plot_item.removeItem(it)
        alpha = palette.theme(self._dark).band_alpha
        for b in data.bands:
            brush = pg.mkBrush(palette.rgba(b.color, alpha))
            if b.name in self._bands:
                lo, hi, fill, sample = self._bands[b.name]
                lo.setData(b.x, b.lower)
                hi.setData(b.x, b.upper)
                fill.setPath(_band_path(b.x, b.lower, b.upper))
                fill.setBrush(brush)
            else:
                lo = pg.PlotCurveItem(b.x, b.lower, pen=pg.mkPen(None))
                hi = pg.PlotCurveItem(b.x, b.upper, pen=pg.mkPen(None))
                fill = QtWidgets.QGraphicsPathItem(_band_path(b.x, b.lower, b.upper))
                fill.setPen(QtGui.QPen(QtCore.Qt.PenStyle.NoPen))
                fill.setBrush(brush)
                fill.setZValue(-10)
                self.plot_item.addItem(lo)
                self.plot_item.addItem(hi)
                self.plot_item.addItem(fill, ignoreBounds=True)
                sample = pg.PlotDataItem([], [], pen=pg.mkPen(palette.rgba(b.color, 160), width=1))
            sample.opts["fillLevel"] = 0.0
            sample.opts["fillBrush"] = pg.mkBrush(palette.rgba(b.color, min(255, alpha * 3)))
            visible = b.name not in self._hidden
            fill.setVisible(visible)
            sample.setVisible(visible)
            self._bands[b.name] = (lo, hi, fill, sample)

    def _draw_lines(self, data: ChartData) -> None:
        """Markers (as-of, period boundaries, term end) and thresholds as lines without text on
        the plot: their words are in the legend (as-of, term end, thresholds) or in the period
        strip above the plot (PeriodAxis), so no label ever sits on another one or on the data."""
        for ln in self._lines:
            vb = ln.getViewBox()
            self.plot_item.removeItem(ln) if vb is self.view_box else (vb.removeItem(ln) if vb else None)
        self._lines = []
        for m in data.markers:
            color = self.line_color(m.color)
            style = "solid" if m.kind == "as_of" else "dash"
            width = 2.0 if m.kind == "as_of" else 1.0
            ln = pg.InfiniteLine(pos=m.x, angle=90, movable=False, pen=_pen(color, width, style))
            ln.setZValue(8)
            self.plot_item.addItem(ln, ignoreBounds=True)
            self._lines.append(ln)
        self._threshold_lines = []
        for t in data.thresholds:
            color = self.line_color(t.color)
            ln = pg.InfiniteLine(pos=t.y, angle=0, movable=False, pen=_pen(color, 1.5, "dash"))
            ln.setZValue(8)
            self.plot_item.addItem(ln)
            self._lines.append(ln)
            self._threshold_lines.append(ln)

    def line_notes(self, data: ChartData) -> list[tuple[str, str, str, float]]:
        """The legend entries of the lines drawn without text: (label, colour, style, width)."""
        out = []
        for m in data.markers:
            if m.kind != "boundary":
                out.append((m.label, m.color, "solid" if m.kind == "as_of" else "dash", 2.0 if m.kind == "as_of" else 1.2))
        if any(m.kind == "boundary" for m in data.markers) and not data.extra.get("periods"):
            out.append(("Period boundary", palette.GREY, "dash", 1.2))
        for t in data.thresholds:
            out.append((t.label, t.color, "dash", 1.6))
        return out

    LEGEND_SHARE = 1 / 3  # the most of the chart's height the legend row may take

    def _fit_legend(self) -> None:
        # the widget's own width: the plot item grows with a too-wide legend, the viewport does not
        self.legend.fit_width(min(self.plot_item.width(), self.plot.viewport().width()) - 16)
        need = self.legend.layout.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize).height() \
            if self.legend.items else 0.0
        fold = need > self.LEGEND_SHARE * max(self.plot.viewport().height(), 1)
        if fold != self.legend_folded:
            self.legend_folded = fold
            self.legend.setVisible(not fold)
            self.legend.setMaximumHeight(0 if fold else 16_777_215)
            self.legend.setMinimumHeight(0)
        self.legend_button.setVisible(fold and bool(self.legend.items))
        self._align_legends()

    def _align_legends(self) -> None:
        """Charts linked side by side (link_x) reserve the same legend height, so their plots
        and x axes line up."""
        group = [w for w in self._legend_peers if w is not None] + [self]
        if len(group) < 2:
            return
        def own(w) -> float:
            return w.legend.layout.effectiveSizeHint(QtCore.Qt.SizeHint.PreferredSize).height() \
                if w.legend.items and not w.legend_folded else 0.0

        want = max(own(w) for w in group)
        for w in group:
            # the shorter legends get a blank row under them (their entries keep their spacing)
            pad = max(0.0, want - own(w))
            if abs(w._legend_pad.minimumHeight() - pad) > 0.5:
                w._legend_pad.setMinimumHeight(pad)
                w._legend_pad.setMaximumHeight(pad)

    def _rebuild_legend(self, data: ChartData) -> None:
        # a recompute mostly brings the same entries (same items, labels, colours): the legend
        # then stays as it is (rebuilding it costs its label items and a re-layout on the GUI thread)
        key = (self._dark, int(data.extra.get("legend_columns", 0) or 0),
               tuple((id(self._items[s.name][1]), s.legend_label or s.label) for s in data.series
                     if s.legend and s.draw and s.name in self._items),
               tuple((id(self._bands[b.name][3]), b.label) for b in data.bands),
               tuple(data.swatches), tuple(data.extra.get("legend_notes", ())), tuple(self.line_notes(data)))
        if key == self._legend_key and self.legend.items:
            return
        self._legend_key = key
        self.legend.clear()
        self.legend.max_columns = int(data.extra.get("legend_columns", 0) or 0)
        for s in data.series:
            if s.legend and s.draw and s.name in self._items:
                self.legend.addItem(self._items[s.name][1], s.legend_label or s.label)
        for b in data.bands:
            self.legend.addItem(self._bands[b.name][3], b.label)
        self._swatches = []
        for label, color in data.swatches:
            sample = pg.PlotDataItem([], [], pen=pg.mkPen(self.line_color(color), width=1))
            sample.opts["fillLevel"] = 0.0
            sample.opts["fillBrush"] = pg.mkBrush(color)
            self._swatches.append(sample)
            self.legend.addItem(sample, label)
        # line-style notes (e.g. "dotted = on-demand cost"): a grey sample of that pen; then the
        # lines drawn without text (as-of, term end, thresholds)
        notes = [(label, color, style, 1.6) for label, color, style in data.extra.get("legend_notes", ())]
        for label, color, style, width in notes + self.line_notes(data):
            sample = pg.PlotDataItem([], [], pen=_pen(self.line_color(color), width, style))
            self._swatches.append(sample)
            self.legend.addItem(sample, label)
        self._fit_legend()

    def _fill_legend_menu(self) -> None:
        """The folded legend: one menu entry per legend entry, with its colour; series and bands
        are checkable (shown / hidden), like a click on the legend."""
        self.legend_menu.clear()
        toggles = {id(it): name for name, (_k, it) in self._items.items()}
        toggles.update({id(b[3]): name for name, b in self._bands.items()})
        for sample, label in self.legend.items:
            act = self.legend_menu.addAction(_sample_icon(sample.item), label.text)
            name = toggles.get(id(sample.item))
            if name is not None:
                act.setCheckable(True)
                act.setChecked(name not in self._hidden)
                act.toggled.connect(lambda on, n=name: self.set_series_visible(n, on))

    # ---------------------------------------------------------------- view
    def reset_view(self) -> None:
        """Show all the data again (after wheel zoom / drag pan). The x-range comes from the
        ChartData itself (pyqtgraph's auto-range would see only the clipped-to-view data); the
        y-range follows it (_follow_y)."""
        if self.data is None or not any(s.n for s in self.data.series):
            self.view_box.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0)
            return
        b = charts.bounds(self.data, self._hidden)
        if b["x"] is None:
            return
        (x0, x1) = b["x"]
        if x1 <= x0:
            x0, x1 = x0 - (DAY if self.x_kind == "date" else 1.0), x1 + (DAY if self.x_kind == "date" else 1.0)
        pad_x = 0.0 if self.x_kind == "date" and not self.pad_dates else 0.03
        self.view_box.setRange(xRange=(x0, x1), padding=pad_x)
        self._follow_y(force=True)

    def y_follows(self) -> bool:
        """True while the y axis follows the data (the mouse moves x only: the default)."""
        return not self.view_box.state["mouseEnabled"][1]

    def _follow_y(self, *_args, force: bool = False) -> None:
        """Fit y to what the x-range shows, from zero (charts.y_extent): a wheel zoom or a pan
        never leaves stacked areas or bars without their baseline. The right axis follows its own
        series, within its fixed range (probabilities 0-100%) when the chart has one."""
        if self.data is None or not (force or self.y_follows()) or not any(s.n for s in self.data.series):
            return
        (x0, x1), _ = self.view_box.viewRange()
        ext = charts.y_extent(self.data, x0, x1, self._hidden)
        if ext is None:
            b = charts.bounds(self.data, self._hidden)
            ext = b["y"] or (0.0, 1.0)
        lo, hi = ext
        if hi <= lo:
            lo, hi = (lo - 1.0, hi + 1.0) if lo else (0.0, 1.0)
        pad = (hi - lo) * (0.08 if self.x_kind == "money" else 0.05)
        self.view_box.setYRange(lo if (lo == 0.0 and self.x_kind != "money") else lo - pad, hi + pad, padding=0)
        if self._vb2 is not None:
            e2 = charts.y_extent(self.data, x0, x1, self._hidden, axis="right")
            lo2, hi2 = self.data.y2_range or e2 or (0.0, 1.0)
            if e2 is not None:
                lo2, hi2 = min(lo2, e2[0]), max(hi2, e2[1])
            if hi2 <= lo2:
                lo2, hi2 = lo2 - 0.05, hi2 + 0.05
            p2 = (hi2 - lo2) * 0.05
            self._vb2.setYRange(lo2 - p2, hi2 + p2, padding=0)

    def set_series_visible(self, name: str, visible: bool) -> None:
        """Show/hide a series or band by name (the legend does the same on click)."""
        (self._hidden.discard if visible else self._hidden.add)(name)
        if name in self._items:
            self._items[name][1].setVisible(visible)
        if name in self._fills:
            self._fills[name].setVisible(visible)
        if name in self._bands:
            self._bands[name][2].setVisible(visible)
            self._bands[name][3].setVisible(visible)
        self.legend.update()
        self._follow_y()

    def hidden(self) -> set[str]:
        return set(self._hidden)

    def _legend_clicked(self, item) -> None:
        for name, (_kind, it) in self._items.items():
            if it is item:
                self.set_series_visible(name, item.isVisible())
                return
        for name, (_lo, _hi, _fill, sample) in self._bands.items():
            if sample is item:
                self.set_series_visible(name, item.isVisible())
                return

    # ---------------------------------------------------------------- hover / click
    def _mouse_moved(self, args) -> None:
        pos = args[0]
        if not self.view_box.sceneBoundingRect().contains(pos):
            return
        x = self.view_box.mapSceneToView(pos).x()
        self.hover_at(x)

    def hover_at(self, x: float) -> str:
        """Move the crosshair to x (view coordinates) and show the readout; returns its text."""
        if self.data is None:
            return ""
        text = charts.readout_text(self.data, x, self._hidden)
        if self.x_kind == "date":
            self.crosshair.setPos(np.floor(x / DAY) * DAY + DAY / 2)
        elif self.x_kind == "category":
            self.crosshair.setPos(round(x))
        else:
            self.crosshair.setPos(x)
        self.crosshair.setVisible(bool(text))
        self.readout_label.setText(text or self._caption())
        self.readoutChanged.emit(text)
        return text

    def _caption(self) -> str:
        """What the readout line says while nothing is hovered (the builder's caption)."""
        return str(self.data.extra.get("caption", "")) or " " if self.data is not None else " "

    def readout_text(self) -> str:
        return self.readout_label.text().strip()

    def _mouse_clicked(self, ev) -> None:
        if ev.button() != QtCore.Qt.MouseButton.LeftButton or self.data is None:
            return
        pos = ev.scenePos()
        if not self.view_box.sceneBoundingRect().contains(pos):
            return
        refs = self.select_at_scene(pos)
        if refs is not None:
            ev.accept()

    def select_at_scene(self, pos: QtCore.QPointF) -> list | None:
        p = self.view_box.mapSceneToView(pos)
        y2 = self._vb2.mapSceneToView(pos).y() if self._vb2 is not None else None
        return self.select_at(p.x(), p.y(), y2)

    def select_at(self, x: float, y: float, y2: float | None = None) -> list | None:
        """Pick the point under (x, y) in view coordinates; emits pointsSelected."""
        if self.data is None:
            return None
        sx, sy = self.view_box.viewPixelSize()
        hit = charts.pick(self.data, x, y, 1.0 / sx if sx else 1.0, 1.0 / sy if sy else 1.0,
                          radius=8.0, hidden=self._hidden, y2=y2)
        if hit is None:
            return None
        refs = charts.selection(self.data, *hit)
        self.last_selection = refs
        self.pointsSelected.emit(refs)
        self.pointPicked.emit(refs, charts.point_label(self.data, *hit))
        return refs

    # ---------------------------------------------------------------- export
    def export_png(self, path: str | Path, width: int | None = None) -> Path:
        exp = pg.exporters.ImageExporter(self.plot.scene())
        if width:
            exp.parameters()["width"] = int(width)
        exp.export(str(path))
        return Path(path)

    def export_svg(self, path: str | Path) -> Path:
        """Vector SVG of the plot. pyqtgraph's SVGExporter first; with some Qt versions it cannot
        parse Qt's own path syntax, then the scene is painted through QSvgGenerator instead."""
        try:
            pg.exporters.SVGExporter(self.plot.scene()).export(str(path))
        except (ValueError, IndexError):
            from PySide6 import QtSvg

            gen = QtSvg.QSvgGenerator()
            gen.setFileName(str(path))
            size = self.plot.viewport().size()
            gen.setSize(size)
            gen.setViewBox(QtCore.QRect(0, 0, size.width(), size.height()))
            gen.setTitle(self.data.title if self.data is not None else "chart")
            painter = QtGui.QPainter(gen)
            try:
                self.plot.render(painter)
            finally:
                painter.end()
        return Path(path)

    def export_csv(self, path: str | Path) -> Path:
        """The plotted data (every series not hidden, bands, thresholds, markers) as CSV."""
        text = charts.to_csv(self.data, self._hidden) if self.data is not None else "series,x,value,unit\n"
        Path(path).write_text(text, encoding="utf-8")
        return Path(path)

    def grab_png(self, path: str | Path) -> Path:
        """The whole widget (title, readout, plot) as a PNG."""
        self.grab().save(str(path), "PNG")
        return Path(path)

    def _export_dialog(self, fmt: str) -> None:
        filters = {"png": "PNG image (*.png)", "svg": "SVG image (*.svg)", "csv": "CSV (*.csv)"}
        base = (self.data.kind if self.data else "chart") or "chart"
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, f"Export {fmt.upper()}", f"{base}.{fmt}",
                                                        filters[fmt])
        if not path:
            return
        {"png": self.export_png, "svg": self.export_svg, "csv": self.export_csv}[fmt](path)


def link_x(*widgets: ChartWidget) -> None:
    """Link the x-range of charts on one page (pan/zoom one, the others follow). Only charts
    with the same kind of x axis are linked (dates with dates)."""
    ws = [w for w in widgets if w is not None]
    if len(ws) < 2:
        return
    first = ws[0]
    for w in ws[1:]:
        if w.x_kind == first.x_kind:
            w.plot_item.setXLink(first.plot_item)
    for w in ws:
        w._legend_peers = [o for o in ws if o is not w]
        w._align_legends()
