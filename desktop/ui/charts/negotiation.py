"""The renewal workbench's charts: the frontier (a ChartWidget: expected cost on x, P(shortfall)
on y) and the tornado of priced asks (horizontal bars, the asks on the left axis). Both draw
what desktop.domain.charts.negotiation builds from a Negotiation, built off the GUI thread."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from desktop.domain import charts, palette
from desktop.domain.charts import ChartData
from desktop.ui.charts.base import ChartWidget, MoneyAxis, PercentAxis, _pen


class FrontierChart(ChartWidget):
    """Expected cost (y) against P(shortfall) (x, a percent axis) per offer and commit level, the
    limit line, the recommended levels starred. Clicks emit keys 'frontier:<offer>:<commitment>'."""

    x_kind = "money"  # a numeric x axis (nearest-point readout); its ticks are percents
    y_unit = "money"
    empty_text = "No offers to compare."

    def _make_x_axis(self) -> pg.AxisItem:
        return PercentAxis("bottom")

    def set_negotiation(self, negotiation: Any, current: str | None = None) -> None:
        self.build(charts.frontier, negotiation, current)


class _AskAxis(pg.AxisItem):
    """The asks' names on the left axis, one per bar, as wide as the longest name needs."""

    def __init__(self, orientation: str = "left", **kw):
        super().__init__(orientation, **kw)
        self.categories: tuple[str, ...] = ()

    def set_categories(self, cats: tuple[str, ...]) -> None:
        self.categories = tuple(cats)
        fm = QtGui.QFontMetricsF(self.style.get("tickFont") or self.font())
        widest = max((fm.horizontalAdvance(c) for c in self.categories), default=0.0)
        self.setWidth(int(widest + 16) if self.categories else 20)
        self.picture = None
        self.update()

    def tickValues(self, minVal, maxVal, size):  # Qt naming
        n = len(self.categories)
        lo, hi = max(0, int(np.ceil(minVal))), min(n - 1, int(np.floor(maxVal)))
        if n == 0 or hi < lo:
            return []
        line = QtGui.QFontMetricsF(self.font()).height() + 2
        step = max(1, int(np.ceil((hi - lo + 1) * line / max(size, 1.0))))
        return [(float(step), [float(i) for i in range(lo, hi + 1, step)])]

    def tickStrings(self, values, scale, spacing):
        return [self.categories[int(round(v))] if 0 <= int(round(v)) < len(self.categories) else "" for v in values]


class AsksTornadoChart(ChartWidget):
    """The priced asks of one offer: horizontal bars of the change in expected cost (green saves,
    red costs), rank 1 at the top; hover shows the change in P(shortfall). Clicks emit keys
    'ask:<ask>'."""

    x_kind = "money"
    y_unit = "money"
    empty_text = "No priced asks."

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        self._bars: pg.BarGraphItem | None = None
        self._zero: pg.InfiniteLine | None = None
        super().__init__(parent)
        self.crosshair.setAngle(0)  # a horizontal band over the hovered ask

    def _make_y_axis(self, side: str) -> pg.AxisItem:
        return _AskAxis(side) if side == "left" else super()._make_y_axis(side)

    def _make_x_axis(self) -> pg.AxisItem:
        return MoneyAxis("bottom")

    def set_negotiation(self, negotiation: Any) -> None:
        self.build(charts.asks_tornado, negotiation)

    # the base draws x = categories; here the categories are on y: draw the bars ourselves
    def set_data(self, data: ChartData | None) -> None:
        self.data = data
        if data is None:
            data = ChartData("", "", ())
        self.title_label.setText(data.title)
        pi = self.plot_item
        pi.getAxis("left").set_categories(data.categories)
        pi.setLabel("bottom", data.x_label)
        empty = not any(s.n for s in data.series)
        for name in ("left", "bottom"):
            pi.getAxis(name).setStyle(showValues=not empty)
        if self._bars is not None:
            pi.removeItem(self._bars)
            self._bars = None
        if self._zero is None:
            self._zero = pg.InfiniteLine(pos=0.0, angle=90, movable=False)
            self._zero.setZValue(3)
            pi.addItem(self._zero, ignoreBounds=True)
        self._zero.setPen(_pen(palette.theme(self._dark).muted, 1.2))
        self._zero.setVisible(not empty)
        self._items = {}
        if not empty:
            s = data.series[0]
            v = np.nan_to_num(s.y)
            cols = s.point_colors or (s.color,) * s.n
            self._bars = pg.BarGraphItem(x0=np.minimum(v, 0.0), width=np.abs(v), y=s.x, height=np.full(s.n, 0.6),
                                         brushes=[pg.mkBrush(c) for c in cols],
                                         pens=[pg.mkPen(self.line_color(c)) for c in cols])
            self._bars.setZValue(2)
            pi.addItem(self._bars)
        self._rebuild_legend(data)
        self.readout_label.setText((data.extra.get("empty_text") or self.empty_text) if empty else self._caption())
        self.reset_view()

    def reset_view(self) -> None:
        if self.data is None or not any(s.n for s in self.data.series):
            self.view_box.setRange(xRange=(0.0, 1.0), yRange=(0.0, 1.0), padding=0)
            return
        s = self.data.series[0]
        lo, hi = min(0.0, float(np.min(s.y))), max(0.0, float(np.max(s.y)))
        if hi <= lo:
            hi = lo + 1.0
        pad = (hi - lo) * 0.06
        self.view_box.setRange(xRange=(lo - pad, hi + pad), yRange=(-0.6, s.n - 0.4), padding=0)

    def _follow_y(self, *_args, force: bool = False) -> None:
        """The asks stay where they are while x zooms (y is the list of asks)."""

    def _index_at(self, y: float) -> int | None:
        if self.data is None or not self.data.series:
            return None
        s = self.data.series[0]
        i = int(round(y))
        return i if 0 <= i < s.n and abs(y - i) <= 0.4 else None

    def _mouse_moved(self, args) -> None:
        pos = args[0]
        if not self.view_box.sceneBoundingRect().contains(pos):
            return
        self.hover_ask(self.view_box.mapSceneToView(pos).y())

    def hover_ask(self, y: float) -> str:
        """The readout of the ask at y (view coordinates); returns its text."""
        i = self._index_at(y)
        text = ""
        if i is not None:
            s = self.data.series[0]
            text = f"{self.data.categories[i]}: {s.notes[i]}" if s.notes else self.data.categories[i]
            self.crosshair.setPos(float(i))
        self.crosshair.setVisible(bool(text))
        self.readout_label.setText(text or self._caption())
        self.readoutChanged.emit(text)
        return text

    def hover_at(self, x: float) -> str:
        return self.readout_text()

    def select_at(self, x: float, y: float, y2: float | None = None) -> list | None:
        i = self._index_at(y)
        if i is None:
            return None
        s = self.data.series[0]
        v = float(s.y[i])
        if not (min(0.0, v) - abs(v) * 0.02 <= x <= max(0.0, v) + abs(v) * 0.02):
            return None
        refs = s.refs.at(i) if s.refs is not None else []
        self.last_selection = refs
        self.pointsSelected.emit(refs)
        self.pointPicked.emit(refs, self.data.categories[i])
        return refs

    def bar_rect(self, i: int) -> QtCore.QRectF:
        """The i-th bar in view coordinates (tests click its middle)."""
        s = self.data.series[0]
        v = float(s.y[i])
        return QtCore.QRectF(min(0.0, v), i - 0.3, abs(v), 0.6)
