"""pytest-qt tests of the chart widgets: they render the demo data, hovering gives the right
readout, a click selects the right rows (pointsSelected payload), legend toggles, x-link,
reset view and the exports."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

pytest.importorskip("pyqtgraph")

from PySide6 import QtCore, QtGui, QtWidgets

from desktop.domain import charts
from desktop.domain.results import SourceRef
from desktop.ui.charts import (
    BudgetUtilizationChart,
    BurnUpChart,
    DailySpendChart,
    ExposureChart,
    InvoiceVarianceChart,
    RenewalChart,
    link_x,
)
from tests.domain.test_charts import make_analysis, scenarios

DAY = charts.DAY


def x(d: date) -> float:
    return charts.epoch_seconds(d)


@pytest.fixture(scope="module")
def demo():
    from desktop.domain.analysis import build_analysis
    from desktop.ingest.core import load_inputs
    from desktop.resources import demo_files

    files = demo_files()
    assert "usage" in files, "the demo data ships with the package"
    return build_analysis(load_inputs(files))


@pytest.fixture
def hand():
    return make_analysis()


def feed(qtbot, w, method: str, *args):
    """Hand data to a chart widget and wait until its builder, run in the chart's worker, has
    landed (``built``)."""
    with qtbot.waitSignal(w.built, timeout=30000):
        getattr(w, method)(*args)
    return w


def show(qtbot, w, size=(900, 520)):
    qtbot.addWidget(w)
    w.resize(*size)
    w.show()
    qtbot.waitExposed(w)
    w.reset_view()
    QtWidgets.QApplication.processEvents()
    return w


def viewport_pos(w, vx: float, vy: float) -> QtCore.QPoint:
    scene_pt = w.view_box.mapViewToScene(QtCore.QPointF(vx, vy))
    return w.plot.mapFromScene(scene_pt)


def hover(qtbot, w, vx: float, vy: float) -> None:
    """A real mouse move over the plot viewport (goes through the rate-limited proxy)."""
    pos = viewport_pos(w, vx, vy)
    ev = QtGui.QMouseEvent(QtCore.QEvent.Type.MouseMove, QtCore.QPointF(pos),
                           QtCore.QPointF(w.plot.viewport().mapToGlobal(pos)),
                           QtCore.Qt.MouseButton.NoButton, QtCore.Qt.MouseButton.NoButton,
                           QtCore.Qt.KeyboardModifier.NoModifier)
    QtWidgets.QApplication.sendEvent(w.plot.viewport(), ev)


def click(qtbot, w, vx: float, vy: float) -> list:
    pos = viewport_pos(w, vx, vy)
    with qtbot.waitSignal(w.pointsSelected, timeout=3000) as blocker:
        qtbot.mouseClick(w.plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    return blocker.args[0]


def distinct_colours(w) -> int:
    img = w.plot.grab().toImage()
    seen = set()
    for yy in range(0, img.height(), 7):
        for xx in range(0, img.width(), 7):
            seen.add(img.pixel(xx, yy))
    return len(seen)


# ---------------------------------------------------------------------------------------------
# demo data renders


def test_every_widget_renders_the_demo(qtbot, demo):
    cid = demo.contracts[0].contract_id
    widgets = []
    w = BurnUpChart()
    feed(qtbot, w, "set_analysis", demo, cid)
    widgets.append(w)
    w = ExposureChart()
    feed(qtbot, w, "set_analysis", demo, cid)
    widgets.append(w)
    w = DailySpendChart()
    feed(qtbot, w, "set_analysis", demo, "team", True)
    widgets.append(w)
    w = InvoiceVarianceChart()
    feed(qtbot, w, "set_analysis", demo)
    widgets.append(w)
    w = BudgetUtilizationChart()
    feed(qtbot, w, "set_analysis", demo)
    widgets.append(w)
    w = RenewalChart()
    feed(qtbot, w, "set_analysis", demo)
    widgets.append(w)
    for w in widgets:
        show(qtbot, w)
        assert w.data is not None and any(s.n for s in w.data.series), type(w).__name__
        drawn = [s.name for s in w.data.series if s.draw]
        assert set(drawn) <= set(w._items), type(w).__name__
        # something real was painted: many colours, not a blank plot
        assert distinct_colours(w) > 8, type(w).__name__
        assert w.title_label.text() == w.data.title
        # the view covers the data
        (x0, x1), _ = w.view_box.viewRange()
        xs = np.concatenate([s.x for s in w.data.series if s.n and s.draw])
        assert x0 <= float(np.nanmin(xs)) and float(np.nanmax(xs)) <= x1, type(w).__name__


def test_burn_up_on_demo_has_bands_cone_and_as_of(qtbot, demo):
    c = next(c for c in demo.contracts if c.term_end > demo.as_of)
    w = show(qtbot, BurnUpChart())
    feed(qtbot, w, "set_analysis", demo, c.contract_id)
    assert len(w._bands) == 5
    assert "forecast_surge" in w._fills  # the low / surge cone
    # the as-of date and the term end are named in the legend, the periods in the strip above
    legend = [label.text for _s, label in w.legend.items]
    assert f"As of {demo.as_of.isoformat()}" in legend
    assert any(t.startswith("Term end ") for t in legend)
    top = w.plot_item.getAxis("top")
    (x0, x1), _ = w.view_box.viewRange()
    shown = top.fitted(x0, x1, w.view_box.width())
    assert len(shown) == len(c.periods) and all(t.startswith("P") for _x, t in shown)
    # the forecast ends at the contract's projected consumption
    assert w.data.get("forecast").y[-1] == pytest.approx(float(c.projected_consumption), abs=0.02 * len(c.periods))


# ---------------------------------------------------------------------------------------------
# hover readout


def test_hover_readout_burn_up(qtbot, hand):
    w = show(qtbot, BurnUpChart())
    feed(qtbot, w, "set_analysis", hand, "C1")
    QtWidgets.QApplication.processEvents()
    hover(qtbot, w, x(date(2026, 1, 12)) + DAY / 2, 90)
    expected = ("2026-01-12 · Consumed (cumulative): 90.00 (that day 25.00) · Expected (linear): 140.00"
                " · Commitment to meet (cumulative, incl. carry): 285.00 (P2: 200.00 + carry 20.00 on top of 65.00 consumed in P1 (cumulative 285.00))")
    qtbot.waitUntil(lambda: w.readout_text() == expected, timeout=3000)
    assert w.crosshair.isVisible()
    assert w.crosshair.value() == pytest.approx(x(date(2026, 1, 12)) + DAY / 2)
    # hidden series drop out of the readout
    w.set_series_visible("expected", False)
    assert "Expected" not in w.hover_at(x(date(2026, 1, 12)) + 10)
    assert not w._items["expected"][1].isVisible()


def test_hover_readout_daily_spend_and_switch(qtbot, hand):
    w = show(qtbot, DailySpendChart())
    feed(qtbot, w, "set_analysis", hand, "vendor", True)
    QtWidgets.QApplication.processEvents()
    hover(qtbot, w, x(date(2026, 1, 2)) + 3600, 50)
    expected = ("2026-01-02 · OpenAI: 99.00 · Anthropic: 7.00 · Total: 106.00 · 7-day average (total): 60.50"
                " · Anomaly (z > 3): OpenAI: 99.00, z = 12.9")
    qtbot.waitUntil(lambda: w.readout_text() == expected, timeout=3000)
    # the stacked / lines switch keeps the values, changes the drawing
    w.stacked_box.setChecked(False)
    assert not w.data.extra["stacked"] and w.data.get("g:Anthropic").y0 is None
    assert "avg7" not in w._items  # the average of the total is drawn with the stack only
    assert w.hover_at(x(date(2026, 1, 2)) + 3600) == expected
    with qtbot.waitSignal(w.built, timeout=30000):
        w.by_combo.setCurrentIndex(charts.DAILY_DIMENSIONS.index("team"))
    assert w.data.extra["by"] == "team" and w.data.has("g:search")


def test_hover_readout_categories_and_money_axis(qtbot, hand):
    w = show(qtbot, BudgetUtilizationChart())
    feed(qtbot, w, "set_analysis", hand)
    QtWidgets.QApplication.processEvents()
    hover(qtbot, w, 1.1, 0.3)
    qtbot.waitUntil(lambda: w.readout_text().startswith("Team Ads · "), timeout=3000)
    assert w.readout_text() == ("Team Ads · Utilization (actual / budget): 70.0% (7.00 of 10.00, warning)"
                                " · Forecast / budget: 90.0% (forecast 9.00, severity none)")
    r = show(qtbot, RenewalChart())
    feed(qtbot, r, "set_scenarios", scenarios())
    QtWidgets.QApplication.processEvents()
    # until something is hovered the readout line shows the recommendations (the caption)
    assert r.readout_text() == "Recommended · Expected: least expected cost & safe max 1,200.00"
    hover(qtbot, r, 1190, 1300)
    qtbot.waitUntil(lambda: r.readout_text().startswith("Commit level"), timeout=3000)
    assert "Expected · expected cost: 1,250.00" in r.readout_text()
    assert "P(shortfall): 8.0%" in r.readout_text()


# ---------------------------------------------------------------------------------------------
# click selects the rows


def test_click_selects_rows_burn_up(qtbot, hand):
    w = show(qtbot, BurnUpChart())
    feed(qtbot, w, "set_analysis", hand, "C1")
    QtWidgets.QApplication.processEvents()
    refs = click(qtbot, w, x(date(2026, 1, 12)) + DAY / 2, 90)
    assert refs == [SourceRef("usage.csv", 6)]
    assert w.last_selection == refs


def test_click_selects_rows_bars_and_areas(qtbot, hand):
    ex = show(qtbot, ExposureChart())
    feed(qtbot, ex, "set_analysis", hand, "C1")
    QtWidgets.QApplication.processEvents()
    pen = ex.data.get("shortfall_penalty")
    refs = click(qtbot, ex, float(pen.x[1]), 60.0)
    assert refs == [SourceRef("usage.csv", 6), SourceRef("usage.csv", 7)]

    inv = show(qtbot, InvoiceVarianceChart())
    feed(qtbot, inv, "set_analysis", hand)
    QtWidgets.QApplication.processEvents()
    assert click(qtbot, inv, 0.2, 71) == [SourceRef("invoices.csv", 3)]  # the leakage part
    assert click(qtbot, inv, 0.2, 20) == [SourceRef("invoices.csv", r) for r in (2, 3, 4)]

    ds = show(qtbot, DailySpendChart())
    feed(qtbot, ds, "set_analysis", hand, "vendor", True)
    QtWidgets.QApplication.processEvents()
    # inside Anthropic's band on Jan 2 (99..106)
    assert click(qtbot, ds, x(date(2026, 1, 2)) + 3 * 3600, 102.5) == [SourceRef("usage.csv", 9)]
    # inside OpenAI's band that day
    assert click(qtbot, ds, x(date(2026, 1, 2)) + 3 * 3600, 40) == [SourceRef("usage.csv", 8)]

    bu = show(qtbot, BudgetUtilizationChart())
    feed(qtbot, bu, "set_analysis", hand)
    QtWidgets.QApplication.processEvents()
    assert click(qtbot, bu, 0.8, 0.3) == [SourceRef("usage.csv", 9)]


def test_click_renewal_emits_keys(qtbot):
    r = show(qtbot, RenewalChart())
    feed(qtbot, r, "set_scenarios", scenarios())
    QtWidgets.QApplication.processEvents()
    assert click(qtbot, r, 1500, 1500) == ["renewal:expected:1500.00"]


def test_click_on_empty_space_selects_nothing(qtbot, hand):
    w = show(qtbot, BurnUpChart())
    feed(qtbot, w, "set_analysis", hand, "C1")
    QtWidgets.QApplication.processEvents()
    assert w.select_at(x(date(2026, 1, 3)), 280.0) is None


# ---------------------------------------------------------------------------------------------
# legend, linking, reset, export, theme


def test_legend_click_toggles_a_series(qtbot, hand):
    w = show(qtbot, BurnUpChart())
    feed(qtbot, w, "set_analysis", hand, "C1")
    item = w._items["consumed"][1]
    sample = next(s for s, _label in w.legend.items if s.item is item)
    ev = type("Ev", (), {"button": lambda self: QtCore.Qt.MouseButton.LeftButton, "accept": lambda self: None})()
    sample.mouseClickEvent(ev)
    assert "consumed" in w.hidden() and not item.isVisible()
    assert "Consumed" not in w.hover_at(x(date(2026, 1, 5)))
    sample.mouseClickEvent(ev)
    assert "consumed" not in w.hidden()
    # bands toggle too
    band_sample = next(s for s, label in w.legend.items if label.text.startswith("On pace"))
    band_sample.mouseClickEvent(ev)
    assert "on_pace" in w.hidden() and not w._bands["on_pace"][2].isVisible()


def test_link_x_and_reset_view(qtbot, hand):
    a = show(qtbot, BurnUpChart())
    feed(qtbot, a, "set_analysis", hand, "C1")
    b = show(qtbot, ExposureChart())
    feed(qtbot, b, "set_analysis", hand, "C1")
    b.move(a.geometry().right() + 20, a.y())  # side by side, as on the Contracts page
    QtWidgets.QApplication.processEvents()
    link_x(a, b)
    lo, hi = x(date(2026, 1, 5)), x(date(2026, 1, 9))
    a.view_box.setXRange(lo, hi, padding=0)
    QtWidgets.QApplication.processEvents()
    assert b.view_box.viewRange()[0] == pytest.approx([lo, hi])
    a.reset_view()
    QtWidgets.QApplication.processEvents()
    x0, x1 = a.view_box.viewRange()[0]
    assert x0 <= x(date(2026, 1, 1)) and x1 >= x(date(2026, 1, 21))
    # wheel zoom changes the range
    before = a.view_box.viewRange()[0]
    center = viewport_pos(a, x(date(2026, 1, 10)), 100)
    wheel = QtGui.QWheelEvent(QtCore.QPointF(center), QtCore.QPointF(a.plot.viewport().mapToGlobal(center)),
                              QtCore.QPoint(0, 0), QtCore.QPoint(0, 240), QtCore.Qt.MouseButton.NoButton,
                              QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(a.plot.viewport(), wheel)
    after = a.view_box.viewRange()[0]
    assert after[1] - after[0] < before[1] - before[0]


def test_exports(qtbot, hand, tmp_path):
    w = show(qtbot, InvoiceVarianceChart())
    feed(qtbot, w, "set_analysis", hand)
    png = w.export_png(tmp_path / "c.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = w.export_svg(tmp_path / "c.svg").read_text(encoding="utf-8")
    assert "<svg" in svg
    w.set_series_visible("expected", False)
    text = w.export_csv(tmp_path / "c.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "series,category,value,unit"
    assert "Invoiced (excl. tax),INV-1,75.00,money" in text
    assert "Expected (usage)" not in text  # hidden series are not exported
    acts = [a.text() for a in w.view_box.menu.actions()]
    assert {"Reset view", "Export PNG…", "Export SVG…", "Export plotted data (CSV)…"} <= set(acts)


def test_dark_theme_and_empty(qtbot, hand):
    w = show(qtbot, BurnUpChart())
    w.apply_theme(True)
    feed(qtbot, w, "set_analysis", hand, "C1")
    assert w.plot.backgroundBrush().color().name().upper() == "#1E1E1E"
    # black commitment line becomes light grey on dark
    pen = w._items["commitment"][1].opts["pen"]
    assert pen.color().name().upper() == "#BBBBBB"
    w.set_data(None)
    assert w.readout_text() == w.empty_text
    e = show(qtbot, InvoiceVarianceChart())
    e.set_data(charts.invoice_variance(type(hand)(hand.as_of, "USD", (), (), (), (), ())))
    assert e.readout_text() == e.empty_text


def test_none_guard_survives_many_repaints(qtbot, hand):
    """PySide6 6.12 on Python 3.11 over-releases None/True on every paint; the guard applied on
    import of desktop.ui.charts keeps their counts far from zero."""
    import sys

    from desktop.ui.charts import protect_none
    from desktop.ui.charts.none_guard import affected

    if affected():
        assert sys.getrefcount(None) > 2**39 and sys.getrefcount(True) > 2**39
    w = show(qtbot, BurnUpChart())
    feed(qtbot, w, "set_analysis", hand, "C1")
    img = QtGui.QImage(w.plot.size(), QtGui.QImage.Format.Format_ARGB32_Premultiplied)
    for _ in range(400):  # more repaints than None had references before the guard
        p = QtGui.QPainter(img)
        w.plot.render(p)
        p.end()
    assert sys.getrefcount(None) > 1000
    assert protect_none() is affected()


def test_right_axis_view_passes_mouse_to_the_plot(qtbot):
    """The right-axis view lies above the plot: wheel zoom, legend clicks and the context menu
    still reach the main view."""
    r = show(qtbot, RenewalChart())
    feed(qtbot, r, "set_scenarios", scenarios())
    QtWidgets.QApplication.processEvents()
    before = r.view_box.viewRange()[0]
    center = viewport_pos(r, 1250, 1300)
    wheel = QtGui.QWheelEvent(QtCore.QPointF(center), QtCore.QPointF(r.plot.viewport().mapToGlobal(center)),
                              QtCore.QPoint(0, 0), QtCore.QPoint(0, 240), QtCore.Qt.MouseButton.NoButton,
                              QtCore.Qt.KeyboardModifier.NoModifier, QtCore.Qt.ScrollPhase.NoScrollPhase, False)
    QtWidgets.QApplication.sendEvent(r.plot.viewport(), wheel)
    after = r.view_box.viewRange()[0]
    assert after[1] - after[0] < before[1] - before[0]
    # the P(shortfall) axis follows the x-range
    assert r._vb2.viewRange()[0] == pytest.approx(after)
    # the wheel zooms x only: the left axis follows the expected costs in view, the right axis
    # keeps its whole 0-100% range
    (y0, y1), (p0, p1) = r.view_box.viewRange()[1], r._vb2.viewRange()[1]
    lo, hi = charts.y_extent(r.data, *after)
    assert y0 < lo and hi < y1 and (y1 - y0) < 2 * (hi - lo) + 1
    assert p0 <= 0.0 and p1 >= 1.0
    # a real click on a legend sample toggles its series
    sample = next(s for s, label in r.legend.items if label.text.startswith("Expected · P(shortfall)"))
    pos = r.plot.mapFromScene(sample.sceneBoundingRect().center())
    qtbot.mouseClick(r.plot.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=pos)
    assert "p:expected" in r.hidden()


def test_legend_has_its_own_row_below_the_plot(qtbot, hand):
    """The legend never covers the data: it lies below the x axis, outside the view box, in
    as many columns as the width allows."""
    w = show(qtbot, BurnUpChart())
    w.resize(1100, 600)
    feed(qtbot, w, "set_analysis", hand, "C1")
    QtWidgets.QApplication.processEvents()
    vb = w.view_box.sceneBoundingRect()
    leg = w.legend.sceneBoundingRect()
    assert not leg.intersects(vb) and leg.top() >= vb.bottom()
    assert leg.top() >= w.plot_item.getAxis("bottom").sceneBoundingRect().bottom() - 1
    assert w.legend.columnCount > 1
    assert w.legend.parentItem() is w.plot_item  # in the plot item's layout, not the view box
    # narrower: fewer columns, still outside the data
    cols = w.legend.columnCount
    w.resize(420, 600)
    QtWidgets.QApplication.processEvents()
    assert w.legend.columnCount < cols
    assert not w.legend.sceneBoundingRect().intersects(w.view_box.sceneBoundingRect())


def test_renewal_legend_and_vendor_combo(qtbot):
    r = show(qtbot, RenewalChart())
    feed(qtbot, r, "set_scenarios", scenarios())
    labels = [label.text for _s, label in r.legend.items]
    assert labels == ["Expected · expected cost", "Expected · P(shortfall), right axis",
                      "Star: recommended level (least expected cost / safe max)",
                      "dotted: on-demand cost (no commitment)"]
    assert r._lines == []  # no text annotations over the plot
    # one vendor: no disabled combo box
    assert not r.vendor_combo.isVisibleTo(r)


def test_threshold_labels_do_not_collide(qtbot):
    """Close thresholds (90 / 95 / 100%) are named in the legend, each entry in its own cell,
    never as text over the bars or over each other."""
    w = show(qtbot, BudgetUtilizationChart())
    w.resize(900, 500)
    d = charts.ChartData("budget_utilization", "t", (
        charts.Series("utilization", "U", np.array([0.0, 1.0]), np.array([0.5, 1.2]), "#000000", "bar",
                      unit="ratio", width=np.array([0.4, 0.4])),), "category", categories=("A", "B"),
        thresholds=tuple(charts.Threshold(v, f"{n} {v:.0%}", "#0072B2") for n, v in
                         (("info", 0.5), ("critical", 0.9), ("hard stop", 0.95), ("hard cap", 1.0))))
    w.set_data(d)
    QtWidgets.QApplication.processEvents()
    assert len(w._threshold_lines) == 4
    entries = {label.text: label.sceneBoundingRect() for _s, label in w.legend.items}
    assert {"info 50%", "critical 90%", "hard stop 95%", "hard cap 100%"} <= set(entries)
    rects = list(entries.values())
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b)
    vb = w.view_box.sceneBoundingRect()
    assert not any(r.intersects(vb) for r in rects)
    # no text item of any kind over the data
    texts = [it for it in w.view_box.allChildren() if isinstance(it, QtWidgets.QGraphicsTextItem)]
    assert [t for t in texts if t.isVisible() and t.toPlainText().strip()] == []


def test_daily_spend_view_starts_at_the_first_day(qtbot, hand):
    w = show(qtbot, DailySpendChart())
    feed(qtbot, w, "set_analysis", hand, "team", True)
    QtWidgets.QApplication.processEvents()
    first = float(w.data.series[0].x[0])
    last = float(w.data.series[0].x[-1])
    assert w.view_box.viewRange()[0] == pytest.approx([first, last])


def test_every_builder_runs_off_the_gui_thread(qtbot, hand, monkeypatch):
    """set_analysis / set_scenarios hand the builder to the chart's worker: the builder runs in a
    thread that is not the GUI thread, and the GUI thread stays free while it runs (its timer
    fires meanwhile: each builder waits for that tick, which it could never see if it ran on the
    GUI thread)."""
    import threading

    gui = threading.get_ident()
    ticked = threading.Event()
    seen: dict[str, tuple[int, bool]] = {}

    def spy(name, real):
        def run(*args):
            ticked.clear()
            seen[name] = (threading.get_ident(), ticked.wait(20))
            return real(*args)
        return run

    for name in ("burn_up", "period_exposure", "daily_spend", "invoice_variance", "budget_utilization", "renewal"):
        monkeypatch.setattr(charts, name, spy(name, getattr(charts, name)))
    timer = QtCore.QTimer()
    timer.timeout.connect(ticked.set)
    timer.start(5)
    try:
        for cls, method, args in ((BurnUpChart, "set_analysis", (hand, "C1")),
                                  (ExposureChart, "set_analysis", (hand, "C1")),
                                  (DailySpendChart, "set_analysis", (hand, "team", True)),
                                  (InvoiceVarianceChart, "set_analysis", (hand,)),
                                  (BudgetUtilizationChart, "set_analysis", (hand,)),
                                  (RenewalChart, "set_scenarios", (scenarios(),))):
            w = cls()
            qtbot.addWidget(w)
            feed(qtbot, w, method, *args)
            assert w.data is not None and w.data.series, cls.__name__
    finally:
        timer.stop()
    assert set(seen) == {"burn_up", "period_exposure", "daily_spend", "invoice_variance", "budget_utilization",
                         "renewal"}
    assert all(t != gui and tick for t, tick in seen.values()), seen


def test_a_new_build_replaces_the_one_in_flight(qtbot, hand, monkeypatch):
    """Switching the daily-spend grouping while a build runs: the older build's data never lands."""
    import threading

    release = threading.Event()
    real = charts.daily_spend

    def slow(analysis, by, stacked, rows=None, scope=""):
        if by == "vendor":
            release.wait(20)
        return real(analysis, by, stacked, rows, scope)

    monkeypatch.setattr(charts, "daily_spend", slow)
    w = DailySpendChart()
    qtbot.addWidget(w)
    landed: list[str] = []
    w.built.connect(lambda: landed.append(w.data.extra["by"]))
    w.set_analysis(hand, "vendor", True)
    with qtbot.waitSignal(w.built, timeout=30000):
        w.by_combo.setCurrentIndex(charts.DAILY_DIMENSIONS.index("model"))
        release.set()
    assert w.runner.wait(20000)
    QtWidgets.QApplication.processEvents()
    assert landed == ["model"] and w.data.has("g:gpt-4o")
