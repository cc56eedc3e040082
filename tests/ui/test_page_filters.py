"""One filter state per page (issue 16, point 2): chips always visible above each page, the
Usage chart drawn from the rows the filters leave, a chart click filtering the table to exactly
that point's rows (a chip removes it), the toolbar box showing the current page's own text, and
Clear all pages clearing every page. Settings > Appearance (point 7) switches the palette and the
charts with it, and is remembered."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QApplication

from desktop.domain import charts, palette
from tests.ui.conftest import close_window, open_window


def settle(qtbot, page) -> None:
    qtbot.waitUntil(lambda: not page.model.filter_busy and not page.summary_runner.busy
                    and not page.chart.runner.busy, timeout=60000)


@pytest.fixture
def win(qtbot, demo_path):
    w = open_window(qtbot, demo_path)
    yield w
    close_window(w)


def test_a_filter_applies_to_the_usage_chart(qtbot, win):
    usage = win.page_by_key["usage"]
    win.navigate("usage", {})
    settle(qtbot, usage)
    df = usage._df
    everything = usage.chart.data
    total_all = sum(float(s.value.sum()) for s in everything.series if s.name.startswith("g:"))
    cb = usage.combos["vendor"]
    with qtbot.waitSignal(usage.chart.built, timeout=60000):
        cb.setCurrentIndex(cb.findText("Anthropic"))
    settle(qtbot, usage)
    d = usage.chart.data
    assert "filtered: Vendor: Anthropic" in d.title
    # the chart's groups add up to exactly the Anthropic rows dated up to As-of (by hand from the frame)
    mine = (df["vendor"] == "Anthropic").to_numpy() & (df["date"].to_numpy(dtype="datetime64[D]")
                                                       <= np.datetime64(win.session.analysis.as_of, "D"))
    micros = int(df["cost"].to_numpy(np.int64)[mine].sum())
    drawn = sum(int(round(v * 1e6)) for s in d.series if s.name.startswith("g:") for v in s.value)
    assert abs(drawn - micros) <= len(d.series) * 1000  # float days, exact sums per day
    assert drawn < total_all * 1e6
    # a point's rows are Anthropic rows only
    g = next(s for s in d.series if s.name.startswith("g:"))
    i = int(np.argmax(g.value))
    refs = g.refs.at(i)
    pos = usage._positions(refs)
    assert len(pos) and set(df["vendor"].iloc[pos]) == {"Anthropic"}
    # the chip says so; removing it draws every row again
    assert "Vendor: Anthropic" in usage.chips.texts()
    with qtbot.waitSignal(usage.chart.built, timeout=60000):
        usage.chips.chips["combo:vendor"].click()
    settle(qtbot, usage)
    assert "filtered" not in usage.chart.data.title
    assert usage.chips.texts() == []


def test_chart_click_filters_the_table_to_exactly_the_points_rows(qtbot, win):
    usage = win.page_by_key["usage"]
    win.navigate("usage", {})
    settle(qtbot, usage)
    chart = usage.chart
    d = chart.data
    g = next(s for s in d.series if s.name.startswith("g:"))
    day = int(np.argmax(g.value))
    # a real click inside that group's band on that day
    x = float(g.x[day]) + charts.DAY / 2
    y = (float(g.y0[day]) + float(g.y[day])) / 2
    chart.view_box.setXRange(x - 10 * charts.DAY, x + 10 * charts.DAY, padding=0)
    QApplication.processEvents()
    scene = chart.view_box.mapViewToScene(QPointF(x, y))
    pos = chart.plot.mapFromScene(scene)
    with qtbot.waitSignal(chart.pointPicked, timeout=5000) as blocker:
        qtbot.mouseClick(chart.plot.viewport(), pytest.importorskip("PySide6.QtCore").Qt.MouseButton.LeftButton,
                         pos=pos)
    refs, label = blocker.args
    assert refs == list(g.refs.at(day))
    settle(qtbot, usage)
    shown = sorted(usage.model.visible_source_rows().tolist())
    assert shown == sorted(usage._positions(refs).tolist())
    # exactly the point's rows: that group on that day, and its cost is the point's value
    df = usage._df
    assert len(set(df["date"].iloc[shown])) == 1
    assert int(df["cost"].to_numpy(np.int64)[shown].sum()) == pytest.approx(float(g.value[day]) * 1e6, abs=1)
    chip = [t for t in usage.chips.texts() if t.startswith("Chart point: ")]
    assert chip == [f"Chart point: {label} ({len(shown):,} rows)"]
    assert g.label in label
    assert f"{len(shown):,} of {len(df):,} rows" in usage.count.text()
    # the chip's x removes it: every row again
    usage.chips.chips["point"].click()
    settle(qtbot, usage)
    assert len(usage.model.visible_source_rows()) == len(df)
    assert usage.chips.texts() == []


def test_contracts_chart_point_opens_usage_filtered_to_its_rows(qtbot, win):
    contracts = win.page_by_key["contracts"]
    win.navigate("contracts", {})
    qtbot.waitUntil(lambda: contracts.burnup.data is not None and not contracts.burnup.runner.busy, timeout=60000)
    d = contracts.burnup.data
    cons = d.get("consumed")
    refs = cons.refs.at(cons.n - 1)
    label = charts.point_label(d, "consumed", cons.n - 1)
    contracts.burnup.pointPicked.emit(list(refs), label)
    usage = win.page_by_key["usage"]
    assert win.current_page() is usage
    settle(qtbot, usage)
    assert sorted(usage.model.visible_source_rows().tolist()) == sorted(usage._positions(refs).tolist())
    assert any(t.startswith(f"Chart point: {label}") for t in usage.chips.texts())


def test_invoice_bar_click_filters_the_invoices_table(qtbot, win):
    inv = win.page_by_key["invoices"]
    win.navigate("invoices", {})
    qtbot.waitUntil(lambda: inv.chart.data is not None and not inv.chart.runner.busy, timeout=60000)
    d = inv.chart.data
    k = d.categories.index("OAI-2026-08")
    inv.chart.pointPicked.emit(d.get("invoiced").refs.at(k), charts.point_label(d, "invoiced", k))
    m = inv.table.table_model
    assert [inv._invoices[i].invoice_id for i in m.visible_source_rows()] == ["OAI-2026-08"]
    assert [inv._flag_rows[i][0].invoice_id for i in inv.flags.table_model.visible_source_rows()] == ["OAI-2026-08"]
    assert inv.chips.texts() == ["Chart point: Invoiced (excl. tax), OAI-2026-08"]
    inv.chips.chips["point"].click()
    assert len(m.visible_source_rows()) == len(inv._invoices)


def test_toolbar_filter_is_per_page_and_clear_all_clears_every_page(qtbot, win):
    usage, budgets, contracts = (win.page_by_key[k] for k in ("usage", "budgets", "contracts"))
    win.navigate("usage", {})
    settle(qtbot, usage)
    qtbot.keyClicks(win.filter, "sonnet")
    settle(qtbot, usage)
    n_usage = len(usage.model.visible_source_rows())
    assert 0 < n_usage < len(usage._df)
    assert usage.chips.texts()[0] == "Text contains “sonnet”"
    # another page: the box shows that page's own (empty) text; Usage keeps its filter, visibly
    win.navigate("contracts", {})
    assert win.filter.text() == "" and contracts.text_filter == ""
    assert len(contracts.table.table_model.visible_source_rows()) == len(contracts._contracts)
    qtbot.keyClicks(win.filter, "OAI")
    assert contracts.chips.texts() == ["Text contains “OAI”"]
    win.navigate("budgets", {})
    budgets.tier.setCurrentIndex(budgets.tier.findText("Critical"))
    assert "Tier: Critical" in budgets.chips.texts()
    win.navigate("usage", {})
    assert win.filter.text() == "sonnet"
    # clear this page only
    contracts_before = contracts.text_filter
    usage.chips.clear_page.click()
    settle(qtbot, usage)
    assert win.filter.text() == "" and usage.chips.texts() == []
    assert len(usage.model.visible_source_rows()) == len(usage._df)
    assert contracts.text_filter == contracts_before == "OAI"
    # Edit > Clear filters on every page
    usage.combos["vendor"].setCurrentIndex(1)
    win.a_clear_filters.trigger()
    settle(qtbot, usage)
    for p in win.pages:
        assert p.filters() == [], p.key
    assert len(contracts.table.table_model.visible_source_rows()) == len(contracts._contracts)
    assert len(usage.model.visible_source_rows()) == len(usage._df)
    assert win.filter.text() == ""


def test_appearance_dark_is_applied_to_charts_and_remembered(qtbot, win, home):
    from desktop import config
    from desktop.ui import appearance
    from desktop.ui.dialogs.settings import SettingsDialog

    app = QApplication.instance()
    usage = win.page_by_key["usage"]
    win.navigate("usage", {})
    settle(qtbot, usage)
    try:
        dlg = SettingsDialog(win.session.workspace.settings(), win, appearance="system")
        i = dlg.appearance_combo.findData("dark")
        dlg.appearance_combo.setCurrentIndex(i)
        assert dlg.appearance == "dark"
        win.set_appearance(dlg.appearance)
        QApplication.processEvents()
        assert app.palette().window().color().lightness() < 128
        assert usage.chart._dark
        assert usage.chart.plot.backgroundBrush().color().name() == palette.theme(True).background.lower()
        assert config.load_preferences()["appearance"] == "dark"
        assert appearance.current_mode() == "dark"
        win.set_appearance("light")
        QApplication.processEvents()
        assert not usage.chart._dark
        assert usage.chart.plot.backgroundBrush().color().name() == palette.theme(False).background.lower()
        assert config.load_preferences()["appearance"] == "light"
    finally:
        appearance.apply(app, "light")


def test_many_chips_wrap_instead_of_widening_the_window(qtbot, win):
    usage = win.page_by_key["usage"]
    win.navigate("usage", {})
    settle(qtbot, usage)
    for dim in ("vendor", "team", "model", "project"):
        usage.combos[dim].setCurrentIndex(1)
    usage.use_dates.setChecked(True)
    usage.anom_only.setChecked(True)
    qtbot.keyClicks(win.filter, "a fairly long piece of text to look for")
    settle(qtbot, usage)
    assert len(usage.chips.chips) == 7
    assert usage.chips.minimumSizeHint().width() < 600
    win.resize(1280, 720)
    QApplication.processEvents()
    assert win.width() <= 1280
    tops = {c.geometry().top() for c in usage.chips.chips.values()}
    assert len(tops) > 1  # on more than one line


def test_invoice_filters_apply_to_the_invoice_chart(qtbot, win):
    inv = win.page_by_key["invoices"]
    win.navigate("invoices", {})
    qtbot.waitUntil(lambda: inv.chart.data is not None and not inv.chart.runner.busy, timeout=60000)
    everything = inv.chart.data.categories
    with qtbot.waitSignal(inv.chart.built, timeout=60000):
        inv.only_problems.setChecked(True)
    problems = tuple(i.invoice_id for i in inv._invoices if i.status != "within_tolerance" or i.flags)
    assert 0 < len(problems) < len(everything)
    assert inv.chart.data.categories == problems
    assert "filtered: Only invoices outside tolerance or with flagged lines" in inv.chart.data.title
    # a bar clicked in the filtered chart narrows the table, not the chart
    d = inv.chart.data
    inv.chart.pointPicked.emit(d.get("invoiced").refs.at(0), charts.point_label(d, "invoiced", 0))
    QApplication.processEvents()
    assert not inv.chart.runner.busy and inv.chart.data.categories == problems
    assert [inv._invoices[i].invoice_id for i in inv.table.table_model.visible_source_rows()] == [problems[0]]
    with qtbot.waitSignal(inv.chart.built, timeout=60000):
        inv.chips.clear_page.click()
    assert inv.chart.data.categories == everything and inv.filters() == []


def test_the_budget_tier_filter_applies_to_the_budget_chart(qtbot, win):
    page = win.page_by_key["budgets"]
    win.navigate("budgets", {})
    qtbot.waitUntil(lambda: page.chart.data is not None and not page.chart.runner.busy, timeout=60000)
    month = page.chart.data.extra.get("month")
    every = [b for b in win.session.analysis.budgets if b.month == month]
    tiers = {b.alert_tier for b in every}
    assert len(tiers) > 1  # the demo's month has lines in several tiers
    from desktop.domain.vocabulary import ALERT_TIERS
    from desktop.ui import fmt

    pick = next(t for t in ALERT_TIERS if t in tiers)
    with qtbot.waitSignal(page.chart.built, timeout=60000):
        page.tier.setCurrentText(fmt.label(pick))
    kept = [b.allocation for b in every if b.alert_tier == pick]
    # the chart now shows exactly the table's lines of that tier (was: every line of the month)
    assert list(page.chart.data.categories) == kept
    assert ("tier", f"Tier: {fmt.label(pick)}") in page.filters()
    with qtbot.waitSignal(page.chart.built, timeout=60000):
        page.remove_filter("tier")
    assert len(page.chart.data.categories) == len(every)
