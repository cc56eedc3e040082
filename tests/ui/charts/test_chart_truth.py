"""Charts that tell the truth (issue 16, point 1): a period's bar spans its period on screen,
the wheel zooms x only while y follows the visible data from zero, date labels never meet,
period labels stay inside their periods, empty charts show no ticks, the quarterly step that
ends above the contract total says why, and the chart theme follows the application palette."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import numpy as np
import pytest

pytest.importorskip("pyqtgraph")

from PySide6 import QtCore, QtGui, QtWidgets

from desktop.domain import charts, palette
from desktop.ui.charts import BurnUpChart, DailySpendChart, ExposureChart
from desktop.ui.charts.base import _MONTH, DateAxis
from tests.domain.test_charts import make_analysis
from tests.ui.charts.test_chart_widgets import feed, show, viewport_pos

DAY = charts.DAY


def x(d: date) -> float:
    return charts.epoch_seconds(d)


def wheel(w, vx: float, vy: float, delta: int = 240) -> None:
    center = viewport_pos(w, vx, vy)
    ev = QtGui.QWheelEvent(QtCore.QPointF(center), QtCore.QPointF(w.plot.viewport().mapToGlobal(center)),
                           QtCore.QPoint(0, 0), QtCore.QPoint(0, delta), QtCore.Qt.MouseButton.NoButton,
                           QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(w.plot.viewport(), ev)
    QtWidgets.QApplication.processEvents()


def test_exposure_bar_spans_its_period_in_scene_coordinates(qtbot):
    """P2 runs Jan 11..Jan 20: its penalty bar's drawn rectangle starts where Jan 11 00:00 is on
    screen and ends where Jan 21 00:00 is (the end of Jan 20), not in one month's middle."""
    w = show(qtbot, ExposureChart())
    feed(qtbot, w, "set_analysis", make_analysis(), "C1")
    QtWidgets.QApplication.processEvents()
    item = w._items["shortfall_penalty"][1]
    item.boundingRect()  # the bar rectangles pyqtgraph paints, in item coordinates
    rects = [item.mapRectToScene(r) for r in item._rectarray.instances()]
    assert len(rects) == 2
    start = w.view_box.mapViewToScene(QtCore.QPointF(x(date(2026, 1, 11)), 0)).x()
    end = w.view_box.mapViewToScene(QtCore.QPointF(x(date(2026, 1, 21)), 0)).x()
    p2 = max(rects, key=lambda r: r.center().x())
    assert p2.left() == pytest.approx(start, abs=0.5)
    assert p2.right() == pytest.approx(end, abs=0.5)
    assert end - start > 100  # a wide bar, not a sliver
    # and P1's bar ends where P2's starts
    p1 = min(rects, key=lambda r: r.center().x())
    assert p1.right() == pytest.approx(start, abs=0.5)


def test_wheel_zooms_x_only_and_y_follows_from_zero(qtbot):
    w = show(qtbot, DailySpendChart())
    feed(qtbot, w, "set_analysis", make_analysis(), "team", True)
    QtWidgets.QApplication.processEvents()
    (x0, x1), (y0, y1) = w.view_box.viewRange()
    assert y0 == 0.0
    # zoom in on Jan 3..Jan 8 (no 99.00 spike there: Jan 2 holds it)
    wheel(w, x(date(2026, 1, 9)), 5.0)
    wheel(w, x(date(2026, 1, 9)), 5.0)
    (a0, a1), (b0, b1) = w.view_box.viewRange()
    assert a1 - a0 < x1 - x0  # x zoomed
    assert b0 == 0.0  # the stack keeps its zero baseline
    ext = charts.y_extent(w.data, a0, a1)
    assert ext[0] == 0.0
    assert b1 == pytest.approx(ext[1] * 1.05)  # y follows what is visible, with 5% headroom
    assert not w.view_box.state["mouseEnabled"][1]
    # a drag/pan to the spike raises the top again
    w.view_box.setXRange(x(date(2026, 1, 1)), x(date(2026, 1, 4)), padding=0)
    QtWidgets.QApplication.processEvents()
    assert w.view_box.viewRange()[1][1] >= 99.0 + 7.0  # Jan 2: 99 (search) + 7 (ads) stacked


def test_y_extent_by_hand():
    d = charts.daily_spend(make_analysis(), "team", True)
    # Jan 10 .. Jan 13: days with 30, 0, 25, 15 (search); the Jan 9 value (0) is the left neighbour
    lo, hi = charts.y_extent(d, x(date(2026, 1, 10)), x(date(2026, 1, 13)))
    assert lo == 0.0 and hi == 30.0
    lo, hi = charts.y_extent(d, x(date(2026, 1, 1)), x(date(2026, 1, 13)))
    assert hi == 106.0  # Jan 2: 99 + 7


@pytest.mark.parametrize("width", [220, 420, 700, 1200])
@pytest.mark.parametrize("days", [10, 95, 400, 1500])
def test_date_axis_labels_never_meet(qtbot, width, days):
    ax = DateAxis("bottom")
    lo = x(date(2026, 4, 27))
    hi = lo + days * DAY
    (_spacing, values), = ax.tickValues(lo, hi, width)
    labels = ax.tickStrings(values, 1.0, _spacing)
    fm = QtGui.QFontMetricsF(ax.font())
    px = [(v - lo) / (hi - lo) * width for v in values]
    assert len(values) >= 1 or days < 2
    for (p, t), (q, u) in zip(zip(px, labels, strict=True), zip(px[1:], labels[1:], strict=True), strict=False):
        assert q - p >= (fm.horizontalAdvance(t) + fm.horizontalAdvance(u)) / 2 + 4, (t, u)
    # one level of labels only, in words: never "May02" or "31Aug"
    assert all(lab[:3] in _MONTH or lab.isdigit() for lab in labels)


def test_period_strip_labels_stay_inside_their_periods(qtbot):
    w = show(qtbot, BurnUpChart(), size=(520, 420))
    feed(qtbot, w, "set_analysis", make_analysis(), "C1")
    QtWidgets.QApplication.processEvents()
    top = w.plot_item.getAxis("top")
    (x0, x1), _ = w.view_box.viewRange()
    size = w.view_box.width()
    shown = top.fitted(x0, x1, size)
    assert [t[:2] for _x, t in shown] == ["P1", "P2"]
    fm = QtGui.QFontMetricsF(top.font())
    for (cx, text), (a, b, _l, _s) in zip(shown, top.periods, strict=True):
        half = fm.horizontalAdvance(text) / 2 / size * (x1 - x0)
        assert max(a, x0) <= cx - half and cx + half <= min(b, x1)
    # nothing is written over the data
    texts = [it for it in w.view_box.allChildren() if isinstance(it, QtWidgets.QGraphicsTextItem)]
    assert [t.toPlainText() for t in texts if t.isVisible() and t.toPlainText().strip()] == []
    legend = [label.text for _s, label in w.legend.items]
    assert "As of 2026-01-13" in legend and "Term end Jan 20 2026" in legend


def test_empty_chart_has_no_ticks(qtbot):
    w = show(qtbot, BurnUpChart())
    w.set_data(None)
    QtWidgets.QApplication.processEvents()
    for name in ("left", "bottom"):
        assert w.plot_item.getAxis(name).style["showValues"] is False
    assert w.readout_text() == w.empty_text
    feed(qtbot, w, "set_analysis", make_analysis(), "C1")
    assert w.plot_item.getAxis("left").style["showValues"] is True


def test_burn_up_step_above_the_contract_total_says_why():
    """P1 (commit 100) consumed 160: P2's step is 160 + 200 = 360, above the contract's 300, and
    the chart says so (caption and the step's readout)."""
    a = make_analysis()
    c = a.contracts[0]
    p1 = dataclasses.replace(c.periods[0], consumed=Decimal("160.00"), projected=Decimal("160.00"),
                             shortfall=Decimal("0.00"), carry_out=Decimal("0.00"), shortfall_penalty=Decimal("0.00"))
    p2 = dataclasses.replace(c.periods[1], carry_in=Decimal("0.00"))
    a = dataclasses.replace(a, contracts=(dataclasses.replace(c, periods=(p1, p2)),))
    d = charts.burn_up(a, "C1")
    step = d.get("commitment")
    assert step.y.tolist() == [100.0, 100.0, 360.0, 360.0]
    assert d.extra["caption"] == ("Commitment steps are cumulative; P2 ends above the 300.00 contract total "
                                  "because earlier overage does not count toward P2.")
    assert step.notes[2] == ("P2: 200.00 on top of 160.00 consumed in P1 (cumulative 360.00); above the 300.00 "
                             "contract total: earlier overage does not count toward P2")
    # the hand-built contract (P1 short of its commitment) has no such step and no caption
    assert charts.burn_up(make_analysis(), "C1").extra["caption"] == ""


def test_dark_palette_changes_the_chart_background(qtbot):
    from desktop.app import apply_palette

    app = QtWidgets.QApplication.instance()
    w = show(qtbot, ExposureChart())
    feed(qtbot, w, "set_analysis", make_analysis(), "C1")
    try:
        apply_palette(app, dark=False)
        QtWidgets.QApplication.processEvents()
        light = w.plot.backgroundBrush().color().name()
        apply_palette(app, dark=True)
        QtWidgets.QApplication.processEvents()
        assert w._dark
        assert w.plot.backgroundBrush().color().name() == palette.theme(True).background.lower()
        assert light == palette.theme(False).background.lower()
        # the axis text is the dark theme's foreground
        assert w.plot_item.getAxis("left").textPen().color().name() == palette.theme(True).foreground.lower()
        # the bars were redrawn (still there)
        assert w._items["shortfall_penalty"][1].isVisible()
    finally:
        apply_palette(app, dark=False)
        QtWidgets.QApplication.processEvents()
    assert not w._dark
    assert np.isfinite(w.view_box.viewRange()[1][1])


def test_legend_folds_into_a_button_on_a_small_chart(qtbot):
    w = show(qtbot, BurnUpChart(), size=(460, 300))
    feed(qtbot, w, "set_analysis", make_analysis(), "C1")
    QtWidgets.QApplication.processEvents()
    assert w.legend_folded and w.legend_button.isVisibleTo(w) and not w.legend.isVisible()
    # the plot keeps the height the legend would have taken
    assert w.view_box.height() > 0.4 * w.plot.viewport().height()
    w.legend_menu.aboutToShow.emit()
    texts = [a.text() for a in w.legend_menu.actions()]
    assert texts == [label.text for _s, label in w.legend.items]
    act = next(a for a in w.legend_menu.actions() if a.text() == "Expected (linear)")
    assert act.isCheckable() and act.isChecked()
    act.setChecked(False)  # the same as a click on the legend entry
    assert "expected" in w.hidden() and not w._items["expected"][1].isVisible()
    # a tall chart shows the legend in its row again
    w.resize(900, 700)
    QtWidgets.QApplication.processEvents()
    assert not w.legend_folded and w.legend.isVisible() and not w.legend_button.isVisibleTo(w)


def test_reset_view_sets_y_even_when_the_mouse_owns_it(qtbot):
    w = show(qtbot, ExposureChart())
    feed(qtbot, w, "set_analysis", make_analysis(), "C1")
    w.view_box.setMouseEnabled(x=True, y=True)  # the context menu's "Mouse enabled" for y
    w.view_box.setYRange(40.0, 50.0, padding=0)
    w.reset_view()
    assert w.view_box.viewRange()[1][0] == 0.0 and w.view_box.viewRange()[1][1] >= 123.44
