"""The analyst's main flows on the demo workspace, through the real window."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
from PySide6.QtCore import Qt

from tests.ui.conftest import close_window, open_window


def _contract(win, cid):
    return next(c for c in win.session.analysis.contracts if c.contract_id == cid)


def _wait_recompute(qtbot, win, before: int):
    qtbot.waitUntil(lambda: win.session.computations > before, timeout=60000)


def bad_usage_file(folder: Path) -> Path:
    p = folder / "extra-usage.csv"
    p.write_text(
        "date,vendor,model,team,project,cost,currency\n"
        "2026-11-10,OpenAI,gpt-4o,Support,chatbot,1250.00,USD\n"
        "2026-11-11,OpenAI,gpt-4o,Support,chatbot,1310.50,USD\n"
        "2026-11-12,OpenAI,gpt-4o,Support,chatbot,twelve hundred,USD\n"
        "2026-11-12,Anthropic,claude-sonnet-4,Research,evals,880.25,USD\n",
        encoding="utf-8")
    return p


def test_import_through_the_wizard_lists_the_bad_row_and_changes_the_figures(qtbot, window, tmp_path):
    win = window
    oai_before = _contract(win, "OAI-2026-RAMP").consumed_to_date
    ant_before = _contract(win, "ANT-2026-ANNUAL").consumed_to_date
    usage = win.page_by_key["usage"]
    win.navigate("usage", {})
    rows_before = usage.model.total_rows
    assert rows_before > 0

    win.import_dialog([str(bad_usage_file(tmp_path))])
    wiz = win.wizard
    qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
    f = wiz.files[0]
    assert f.error is None
    assert f.result.kind == "usage"
    assert f.result.report.rows_imported == 3 and f.result.report.rows_rejected == 1
    # the bad row is listed with its row and column as the analyst sees them
    em = wiz.errors.table_model
    assert em.rowCount() == 1
    assert em.data(em.index(0, 0)) == "4"
    assert em.data(em.index(0, 1)) == "cost"
    assert em.data(em.index(0, 2)) == "twelve hundred"
    out = wiz.export_errors(str(tmp_path / "errors.csv"))
    text = Path(out).read_text(encoding="utf-8-sig")
    assert "extra-usage.csv,4,cost,twelve hundred" in text
    # the preview shows the rows as they will be imported
    pm = wiz.preview.table_model
    assert pm.rowCount() == 3
    assert pm.data(pm.index(1, pm.column_index("cost"))) == "1,310.50"

    # the demo has usage of these vendors on those days: the wizard asks first; these are new rows
    assert f.overlaps and "overlaps an earlier import" in wiz.overlap.label.text()
    wiz.overlap.choose("keep")
    before = win.session.computations
    with qtbot.waitSignal(wiz.imported, timeout=30000):
        wiz.commit()
    _wait_recompute(qtbot, win, before)
    assert _contract(win, "OAI-2026-RAMP").consumed_to_date - oai_before == Decimal("2560.50")
    assert _contract(win, "ANT-2026-ANNUAL").consumed_to_date - ant_before == Decimal("880.25")
    assert usage.model.total_rows == rows_before + 3
    assert "extra-usage.csv" in win.s_import.text()


def test_mapping_profile_for_a_foreign_spreadsheet(qtbot, window, tmp_path):
    p = tmp_path / "kosten.csv"
    p.write_text("Datum;Anbieter;Betrag;Abteilung\n"
                 "2026-11-14;OpenAI;100,50;Search\n"
                 "2026-11-15;OpenAI;200,25;Search\n", encoding="utf-8")
    win = window
    win.import_dialog([str(p)])
    wiz = win.wizard
    qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
    f = wiz.files[0]
    assert f.columns == ["Datum", "Anbieter", "Betrag", "Abteilung"]
    assert wiz.current_mapping()["Betrag"] == "cost"
    wiz.set_mapping("Abteilung", "project")  # the analyst changes one choice
    wiz.profile_name.setText("Kosten export")
    wiz.save_mapping_profile()
    assert "Kosten export" in win.session.workspace.profiles()
    wiz.apply_mapping()
    qtbot.waitUntil(lambda: wiz.ready and wiz.files[0].result is not None, timeout=30000)
    frame = wiz.files[0].result.frame
    assert frame["project"].tolist() == ["Search", "Search"]
    assert frame["cost"].tolist() == [100_500_000, 200_250_000]


def test_a_threshold_changes_a_band_and_undo_restores_it(qtbot, window):
    from desktop.ui.dialogs.settings import SettingsDialog

    win = window
    ant = _contract(win, "ANT-2026-ANNUAL")
    assert ant.band == "shortfall_risk" and 0.6 < ant.pacing_ratio < 0.7
    dlg = SettingsDialog(win.session.workspace.settings(), win)
    dlg.set_value("band_shortfall_risk_below", 0.60)
    dlg._accept()
    assert dlg.result_settings.band_shortfall_risk_below == 0.60
    before = win.session.computations
    win.session.set_settings(dlg.result_settings)
    _wait_recompute(qtbot, win, before)
    assert _contract(win, "ANT-2026-ANNUAL").band == "shortfall_watch"
    tile = next(t for t in win.page_by_key["overview"].band_tiles if t.caption.text().startswith("ANT-2026"))
    assert tile.value.text() == "Shortfall watch"
    # Ctrl+Z through the window's action
    before = win.session.computations
    win.a_undo.trigger()
    _wait_recompute(qtbot, win, before)
    assert _contract(win, "ANT-2026-ANNUAL").band == "shortfall_risk"


def test_invalid_settings_are_refused_in_the_dialog(qtbot, shared_window):
    from desktop.ui.dialogs.settings import SettingsDialog

    dlg = SettingsDialog(shared_window.session.workspace.settings(), shared_window)
    dlg.set_value("tier_warning", 0.95)  # above critical
    dlg._accept()
    assert dlg.result_settings is None
    assert "tiers must rise" in dlg.msg.text()


def test_mark_an_action_done_and_it_persists_after_reopen(qtbot, demo_path):
    win = open_window(qtbot, demo_path)
    page = win.page_by_key["actions"]
    win.navigate("actions", {})
    first = page._actions[0]
    assert first.status == "open"
    page.table.select_source_rows([0])
    page.notes.setText("Asked Leo to rate-limit staging keys")
    page.save_notes()
    page.table.select_source_rows([i for i, a in enumerate(page._actions) if a.key == first.key])
    with qtbot.waitSignal(win.session.actionsChanged, timeout=10000):
        page.buttons["done"].click()
    key = first.key
    assert next(a for a in win.session.actions() if a.key == key).status == "done"
    close_window(win)

    win2 = open_window(qtbot, demo_path)
    try:
        act = next(a for a in win2.session.actions() if a.key == key)
        assert act.status == "done" and act.resolved_at is not None
        assert act.notes == "Asked Leo to rate-limit staging keys"
        page2 = win2.page_by_key["actions"]
        page2.status.setCurrentIndex(2 + 2)  # "Done"
        assert first.title in page2.visible_titles()
    finally:
        close_window(win2)


def test_export_brief_in_the_background(qtbot, shared_window, tmp_path):
    import openpyxl

    out = tmp_path / "brief.xlsx"
    with qtbot.waitSignal(shared_window.brief_runner.finished, timeout=60000):
        shared_window.export_brief(out)
    assert shared_window.last_brief == out and out.exists()
    wb = openpyxl.load_workbook(out)
    assert "Summary" in wb.sheetnames
    # the Sources block names each imported file with the hash its import batch recorded
    ws = wb["Summary"]
    (t,) = [t for t in ws.tables.values() if t.displayName == "SummarySources"]
    first, last = (int("".join(ch for ch in part if ch.isdigit())) for part in t.ref.split(":"))
    got = {ws.cell(r, 1).value: ws.cell(r, 6).value for r in range(first + 1, last + 1)}
    want = {b.file_name: b.content_hash for b in shared_window.session.workspace.batches()}
    assert got == want and all(len(h) == 64 for h in got.values())
    wb.close()


def test_alert_opens_the_rows_behind_it(qtbot, shared_window):
    win = shared_window
    ov = win.page_by_key["overview"]
    m = ov.alerts.table_model
    row = next(r for r in range(m.rowCount()) if ov._findings[m.source_row(r)].kind == "contract")
    finding = ov._findings[m.source_row(row)]
    ov._open_alert(m.index(row, 0))
    assert win.current_page().key == "contracts"
    assert win.page_by_key["contracts"]._current == finding.ref["contract_id"]


def test_commit_schedule_edit_is_validated_and_undoable(qtbot, window):
    win = window
    page = win.page_by_key["contracts"]
    win.navigate("contracts", {"contract_id": "AZ-2025-EA"})
    page.tabs.setCurrentIndex(1)
    sm = page.schedule.table_model
    col = sm.column_index("commitment")
    before_commit = _contract(win, "AZ-2025-EA").commitment
    assert not sm.setData(sm.index(0, col), "-5", Qt.ItemDataRole.EditRole)
    assert "cannot be negative" in page.schedule_msg.text()
    before = win.session.computations
    assert sm.setData(sm.index(0, col), "400,000", Qt.ItemDataRole.EditRole)
    _wait_recompute(qtbot, win, before)
    periods = _contract(win, "AZ-2025-EA").periods
    assert len(periods) == 1 and periods[0].commitment == Decimal("400000.00")
    before = win.session.computations
    win.session.undo()
    _wait_recompute(qtbot, win, before)
    assert _contract(win, "AZ-2025-EA").commitment == before_commit


def test_explain_this_number_lists_the_source_rows(qtbot, shared_window):
    from desktop.ui.dialogs.explain import ExplainDialog

    a = shared_window.session.analysis
    dlg = ExplainDialog(a, "contract", "ANT-2026-ANNUAL", "consumed_to_date", session=shared_window.session)
    qtbot.addWidget(dlg)
    ex = dlg.explanation
    assert ex.sources_total == _contract(shared_window, "ANT-2026-ANNUAL").consumed_to_date
    assert dlg.sources.table_model.rowCount() == len(ex.sources) > 0
    assert "Source rows" in dlg.text()


def test_drill_from_invoice_to_usage(qtbot, shared_window):
    win = shared_window
    inv_page = win.page_by_key["invoices"]
    win.navigate("invoices", {"invoice_id": "ANT-2026-09"})
    inv = next(i for i in inv_page._invoices if i.invoice_id == "ANT-2026-09")
    inv_page.drill_usage()
    usage = win.page_by_key["usage"]
    assert win.current_page() is usage
    rows = usage.model.visible_source_rows()
    df = usage._df.iloc[rows]
    assert set(df["vendor"]) == {"Anthropic"}
    total = Decimal(int(df["cost"].sum())) / 10**6
    assert total.quantize(Decimal("0.01")) == inv.expected
    assert "Rows behind invoice ANT-2026-09 expected" in usage.count.text()


def test_drill_from_a_budget_line_shows_exactly_its_rows(qtbot, shared_window):
    win = shared_window
    page = win.page_by_key["budgets"]
    win.navigate("budgets", {"allocation": "Search AI", "month": "2026-04"})
    (b,) = [x for x in win.session.analysis.budgets if (x.allocation, x.month) == ("Search AI", "2026-04")]
    page.drill_usage()
    usage = win.page_by_key["usage"]
    assert win.current_page() is usage
    df = usage._df.iloc[usage.model.visible_source_rows()]
    # only the line's team, only its month: not every row of April
    assert set(df["team"].str.strip().str.casefold()) == {"search"}
    assert df["date"].min() >= pd.Timestamp("2026-04-01") and df["date"].max() <= pd.Timestamp("2026-04-30")
    assert (Decimal(int(df["cost"].sum())) / 10**6).quantize(Decimal("0.01")) == b.actual
    usage.clear_filters()
    assert usage.model.visible_source_rows().size == usage.model.total_rows


def test_shortcuts_switch_pages_and_the_last_page_is_remembered(qtbot, demo_path):
    from PySide6.QtGui import QKeySequence

    win = open_window(qtbot, demo_path)
    shortcut = {a.shortcut().toString(): a for a in win.page_actions}
    shortcut[QKeySequence("Ctrl+5").toString()].trigger()
    assert win.current_page().key == "budgets"
    close_window(win)
    win2 = open_window(qtbot, demo_path)
    try:
        assert win2.current_page().key == "budgets"
    finally:
        close_window(win2)


def test_roi_preset_is_the_seed_example(qtbot, shared_window):
    page = shared_window.page_by_key["roi"]
    page.load_preset("Support chatbot")
    r = page.result
    assert r.benefit == Decimal("62500.00") and r.net_benefit == Decimal("27500.00")
    assert page.t_roi.value.text() == "78.57%"
    assert page.t_payback.value.text() == "1.82 months"


def test_chart_clicks_filter_to_the_rows_behind_them(qtbot, shared_window):
    from desktop.domain.results import SourceRef

    win = shared_window
    win.navigate("usage", {})
    usage = win.page_by_key["usage"]
    usage.clear_filters()
    df = usage._df
    refs = [SourceRef(str(df["_file"].iloc[i]), int(df["_row"].iloc[i])) for i in (5, 17)]
    usage.chart.pointPicked.emit(refs, "a point")
    qtbot.waitUntil(lambda: not usage.model.filter_busy, timeout=30000)
    assert sorted(usage.model.visible_source_rows().tolist()) == [5, 17]
    assert "Chart point: a point (2 rows)" in usage.chips.texts()
    usage.clear_filters()

    win.navigate("invoices", {})
    inv = win.page_by_key["invoices"]
    lines = win.session.analysis.inputs.invoices
    mine = lines[lines["invoice_id"] == "OAI-2026-08"]
    inv.chart.pointPicked.emit([SourceRef(str(f), int(r)) for f, r in zip(mine["_file"], mine["_row"], strict=True)],
                               "OAI-2026-08")
    shown = inv.table.table_model.visible_source_rows()
    assert [inv._invoices[i].invoice_id for i in shown] == ["OAI-2026-08"]
    assert [inv._flag_rows[i][0].invoice_id for i in inv.flags.table_model.visible_source_rows()] == ["OAI-2026-08"]
    inv.clear_filters()


def test_as_of_date_from_the_toolbar(qtbot, window):
    from datetime import date

    from PySide6.QtCore import QDate

    win = window
    before = win.session.computations
    win.latest.setChecked(False)
    win.as_of.setDate(QDate(2026, 9, 30))
    win._as_of_changed()
    qtbot.waitUntil(lambda: win.session.analysis.as_of == date(2026, 9, 30), timeout=60000)
    assert win.session.computations > before
    assert win.s_as_of.text() == "As of 2026-09-30"
    ov = win.page_by_key["overview"]
    assert "As of 2026-09-30" in ov.headline.text()
    win.latest.setChecked(True)
    qtbot.waitUntil(lambda: win.session.analysis.as_of == date(2026, 11, 15), timeout=60000)


def test_reimporting_a_file_is_refused_unless_replace(qtbot, window):
    from desktop.resources import demo_files

    win = window
    win.import_dialog([str(demo_files()["budgets"])])
    wiz = win.wizard
    qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
    wiz.commit()
    qtbot.waitUntil(lambda: not wiz.committer.busy, timeout=30000)
    f = wiz.files[0]
    assert not f.imported and "already imported" in f.import_error
    wiz.replace.setChecked(True)
    with qtbot.waitSignal(wiz.imported, timeout=30000):
        wiz.commit()
    assert f.imported


def test_overview_tiles_open_the_rows_behind_them(qtbot, shared_window):
    win = shared_window
    win.navigate("overview", {})
    ov = win.page_by_key["overview"]
    ov.t_leakage.clicked.emit()
    inv = win.page_by_key["invoices"]
    assert win.current_page() is inv and inv.only_problems.isChecked()
    selected = [inv._invoices[i] for i in inv.table.selected_source_rows()]
    assert selected and all(i.flags for i in selected)
    assert len(selected) == sum(1 for i in win.session.analysis.invoices if i.flags)
    inv.only_problems.setChecked(False)
    win.navigate("overview", {})
    ov.t_shortfall.clicked.emit()
    c = win.page_by_key["contracts"]
    chosen = {c._contracts[i].contract_id for i in c.table.selected_source_rows()}
    assert chosen == {x.contract_id for x in win.session.analysis.contracts if x.shortfall_exposure > 0}


def test_usage_breakdown_totals_are_exact(qtbot, shared_window):
    win = shared_window
    win.navigate("usage", {})
    usage = win.page_by_key["usage"]
    usage.clear_filters()
    usage.combos["vendor"].setCurrentText("Anthropic")
    usage.dim.setCurrentIndex(1)  # team
    bm = usage.breakdown.table_model
    rows = usage.model.visible_source_rows()
    df = usage._df.iloc[rows]
    assert set(df["vendor"]) == {"Anthropic"}
    cost = bm.col("Cost").values
    assert int(cost.sum()) == int(df["cost"].sum())
    by_team = df.groupby("team")["cost"].sum()
    got = dict(zip(bm.col("Team").uniques[bm.col("Team").values], cost.tolist(), strict=True))
    assert got == {k: int(v) for k, v in by_team.items()}
    usage.clear_filters()


def test_budget_thresholds_on_the_page_change_a_tier(qtbot, window):
    win = window
    win.navigate("budgets", {})
    page = win.page_by_key["budgets"]

    def growth():
        return next(b for b in win.session.analysis.budgets if b.allocation == "Growth AI" and b.month == "2026-11")

    assert growth().alert_tier == "critical" and 0.91 < growth().utilization < 0.92
    page.spins["tier_critical"].setValue(92.0)
    before = win.session.computations
    page.apply_thresholds()
    _wait_recompute(qtbot, win, before)
    assert growth().alert_tier == "warning"
    assert win.session.workspace.settings().tier_critical == 0.92
    page.spins["tier_warning"].setValue(95.0)  # would no longer rise: refused on the page
    page.apply_thresholds()
    assert "must rise" in page.th_msg.text()


def test_removing_an_import_batch_recomputes(qtbot, window, tmp_path):
    from desktop.ui.dialogs.batches import BatchesDialog

    win = window
    oai = _contract(win, "OAI-2026-RAMP").consumed_to_date
    win.session.workspace.import_file(bad_usage_file(tmp_path))
    before = win.session.computations
    win.session.recompute()
    _wait_recompute(qtbot, win, before)
    assert _contract(win, "OAI-2026-RAMP").consumed_to_date - oai == Decimal("2560.50")
    dlg = BatchesDialog(win.session, win, confirm=False)
    qtbot.addWidget(dlg)
    names = [b.file_name for b in dlg.batches]
    dlg.table.select_source_rows([names.index("extra-usage.csv")])
    assert "1 rejected" in dlg.detail.text()
    before = win.session.computations
    assert dlg.remove_selected()
    _wait_recompute(qtbot, win, before)
    assert _contract(win, "OAI-2026-RAMP").consumed_to_date == oai
    assert "extra-usage.csv" not in [b.file_name for b in dlg.batches]


def test_recent_workspaces_menu_lists_the_open_workspace(qtbot, shared_window):
    from desktop import config

    win = shared_window
    config.add_recent(win.session.workspace.path)
    win._fill_recent()
    names = [a.text() for a in win.recent_menu.actions()]
    assert win.session.workspace.path.name in names


def test_dropping_files_opens_the_wizard_with_them(qtbot, shared_window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    win = shared_window
    a, b = bad_usage_file(tmp_path), tmp_path / "second.csv"
    b.write_text("date,vendor,cost\n2026-11-15,OpenAI,10.00\n", encoding="utf-8")

    def drop(paths):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        ev = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                        Qt.KeyboardModifier.NoModifier)
        win.dropEvent(ev)

    drop([a])
    wiz = win.wizard
    drop([b])  # a second drop adds to the open wizard
    assert win.wizard is wiz
    assert [f.path for f in wiz.files] == [a, b]
    qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
    assert wiz.commit_btn.text() == "Import 2 files"
    wiz.close()


def test_an_anomaly_alert_opens_exactly_the_rows_of_its_spike(qtbot, shared_window):
    win = shared_window
    a = win.session.analysis
    spike = next(x for x in a.anomalies if x.dimension == "team" and x.value == "Support")
    win.navigate("usage", {"dimension": spike.dimension, "value": spike.value, "date": spike.date.isoformat(),
                           "finding": "x"})
    usage = win.page_by_key["usage"]
    df = usage._df.iloc[usage.model.visible_source_rows()]
    assert set(df["team"].str.strip().str.casefold()) == {"support"}
    assert set(df["date"].dt.date) == {spike.date}
    assert (Decimal(int(df["cost"].sum())) / 10**6).quantize(Decimal("0.01")) == spike.spend
    assert "Rows behind the spend spike of team 'Support'" in usage.count.text()
    usage.clear_filters()


def test_a_figure_drill_down_follows_the_figure_through_a_recompute(qtbot, shared_window):
    win = shared_window
    page = win.page_by_key["budgets"]
    win.navigate("budgets", {"allocation": "Search AI", "month": "2026-11"})
    page.drill_usage()
    usage = win.page_by_key["usage"]
    n_before = usage.model.visible_source_rows().size
    before = win.session.computations
    win.session.set_as_of(date(2026, 11, 5))  # fewer November days behind the line's actual
    qtbot.waitUntil(lambda: win.session.computations > before, timeout=60000)
    (b,) = [x for x in win.session.analysis.budgets if (x.allocation, x.month) == ("Search AI", "2026-11")]
    df = usage._df.iloc[usage.model.visible_source_rows()]
    assert 0 < len(df) < n_before
    assert df["date"].max() <= pd.Timestamp("2026-11-05")
    assert (Decimal(int(df["cost"].sum())) / 10**6).quantize(Decimal("0.01")) == b.actual
    before = win.session.computations
    win.session.set_as_of(None)
    qtbot.waitUntil(lambda: win.session.computations > before, timeout=60000)
    usage.clear_filters()


