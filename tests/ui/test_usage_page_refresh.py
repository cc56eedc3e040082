"""The Usage page after a recompute (issue 19, edit -> figures): an edit that changes nothing it
shows (a commitment amount) keeps its table and chart as they are; an As-of change rebuilds them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal


def _idle(s) -> bool:
    return s.analysis is not None and not s.refreshing and not any(r.busy for r in s.runners)


def test_a_commitment_edit_keeps_the_usage_table_and_chart_and_an_as_of_change_rebuilds(qtbot, window, monkeypatch):
    s = window.session
    window.navigate("usage", {})
    page = window.page_by_key["usage"]
    qtbot.waitUntil(lambda: page._df is not None and _idle(s), timeout=60000)
    columns, builds = [], []
    real_columns, real_build = page.model.set_columns, page.chart.build
    monkeypatch.setattr(page.model, "set_columns", lambda cols: (columns.append(cols), real_columns(cols))[1])
    monkeypatch.setattr(page.chart, "build", lambda *a, **k: (builds.append(a), real_build(*a, **k))[1])
    rows_before = page.model.rowCount()
    shading_before = page.model.row_colors.copy()

    before = s.computations
    assert s.update_commitment("OAI-2026-RAMP", date(2026, 4, 1), commitment=Decimal("123456.78"))
    qtbot.waitUntil(lambda: s.computations > before and _idle(s), timeout=60000)
    period = next(p for c in s.analysis.contracts if c.contract_id == "OAI-2026-RAMP"
                  for p in c.periods if p.period_start == date(2026, 4, 1))
    assert period.commitment == Decimal("123456.78")  # the figures are the new ones
    assert columns == [] and builds == []  # the table and the chart were not made again
    assert page.chart._analysis is s.analysis  # the chart's drill-downs read the new analysis
    assert page.model.rowCount() == rows_before
    assert (page.model.row_colors == shading_before).all()

    before = s.computations
    s.set_as_of(s.analysis.as_of - timedelta(days=30))
    qtbot.waitUntil(lambda: s.computations > before and _idle(s), timeout=60000)
    assert len(columns) == 1 and builds  # another As-of: the table and the chart follow it
    assert page.chart._analysis is s.analysis


def test_selecting_a_daily_row_gives_its_source_rows_room_to_show(qtbot, window):
    s = window.session
    window.resize(1440, 900)
    window.navigate("usage", {})
    page = window.page_by_key["usage"]
    qtbot.waitUntil(lambda: page._df is not None and page.sources.model is not None and _idle(s), timeout=60000)
    split = page._rows_split
    total = sum(split.sizes())
    split.setSizes([total, 0])  # the panel dragged shut
    assert split.sizes()[1] == 0
    page.table.selectRow(0)
    qtbot.waitUntil(lambda: split.sizes()[1] > 0, timeout=10000)
    table_h, panel_h = split.sizes()
    row = page.sources.view.verticalHeader().defaultSectionSize()
    assert panel_h >= min(4 * row, total // 2) and panel_h <= total // 2 + 1  # a few rows, at most half
    assert table_h >= total // 2 - 1  # the daily table keeps the other half
    split.setSizes([table_h - 40, panel_h + 40])  # the analyst gives it more: selecting keeps that
    kept = split.sizes()[1]
    page.table.selectRow(1)
    assert split.sizes()[1] == kept
