"""Honest state (issue 12, step 6): figures that failed to recompute are marked out of date on
every page until a recompute succeeds, a brief written from them says so on its first page, and
a workspace whose analysis fails still shows its data with the reason."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from desktop.domain.errors import InputError
from desktop.ui import session as session_mod
from tests.ui.conftest import close_window

OVERLAP = (
    "contract_id,vendor,period_start,period_end,commitment,currency\n"
    "OAI-2026-RAMP,OpenAI,2026-03-15,2026-05-31,50000.00,USD\n"
)


def overlap_file(folder: Path) -> Path:
    """A commit period of OAI-2026-RAMP that overlaps its first quarter in the demo: importing
    it makes every recompute fail (until the batch is removed)."""
    p = folder / "overlap.csv"
    p.write_text(OVERLAP, encoding="utf-8")
    return p


def _wait_stale(qtbot, win) -> None:
    qtbot.waitUntil(lambda: win.session.stale_reason is not None and not win.session.refreshing, timeout=60000)


def _wait_computed(qtbot, win, before: int) -> None:
    qtbot.waitUntil(lambda: win.session.computations > before and not win.session.refreshing, timeout=60000)


def _modal_errors() -> list:
    return [w for w in QApplication.topLevelWidgets()
            if isinstance(w, QDialog | QMessageBox) and w.isVisible() and w.isModal()]


def _banners_on_every_page(win) -> list[str]:
    """Show each page in turn; the text of its banner, which must be on screen."""
    texts = []
    for i, page in enumerate(win.pages):
        win.show_page(i)
        QApplication.processEvents()
        assert page.banner.isVisible(), page.title
        texts.append(page.banner.text())
    return texts


def _no_banner_on_any_page(win) -> None:
    for i, page in enumerate(win.pages):
        win.show_page(i)
        QApplication.processEvents()
        assert not page.banner.isVisible(), (page.title, page.banner.text())


def _remove_batch(qtbot, win, file_name: str) -> None:
    """What File > Imported files > Remove does."""
    ws = win.session.workspace
    batch = next(b for b in ws.batches() if b.file_name == file_name)
    before = win.session.computations
    ws.remove_batch(batch.id)
    win.session.recompute(f"removing {file_name}")
    _wait_computed(qtbot, win, before)


def test_a_failed_import_marks_every_page_until_a_recompute_succeeds(qtbot, window, tmp_path):
    win = window
    assert len(win.session.analysis.contracts) == 3
    _no_banner_on_any_page(win)
    # an earlier, unrelated edit that Undo could take back (it would not fix the import)
    before = win.session.computations
    assert win.session.update_commitment("ANT-2026-ANNUAL", date(2026, 3, 1), owner="Sam Lee (Procurement)")
    _wait_computed(qtbot, win, before)
    assert win.session.workspace.can_undo

    win.import_dialog([str(overlap_file(tmp_path))])
    wiz = win.wizard
    qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
    with qtbot.waitSignal(wiz.imported, timeout=30000):
        wiz.commit()
    _wait_stale(qtbot, win)

    # the old figures stay, and every page says they are out of date, why, and what to do
    assert len(win.session.analysis.contracts) == 3
    for text in _banners_on_every_page(win):
        assert text.startswith("Figures out of date: overlap.csv, row 2, column 'period_start': commit period "
                               "2026-03-15..2026-05-31 of contract OAI-2026-RAMP overlaps"), text
        assert "remove overlap.csv under File > Imported files (Ctrl+Shift+I)" in text
        assert "before importing overlap.csv" in text
        assert "Ctrl+Z" not in text  # undoing the unrelated edit would not help
    assert win.current_page().banner.button_titles() == ["Imported files…", "Recompute"]
    assert "out of date" in win.windowTitle()
    assert win.s_state.isVisible() and win.s_state.text() == "Figures out of date"
    assert _modal_errors() == []

    _remove_batch(qtbot, win, "overlap.csv")
    assert win.session.stale_reason is None
    _no_banner_on_any_page(win)
    assert "out of date" not in win.windowTitle()
    assert not win.s_state.isVisible()


def _stale_after_an_edit(qtbot, win, monkeypatch) -> dict:
    """An edit whose recompute fails (the analysis raises InputError while ``broken['on']``)."""
    real = session_mod.compute
    broken = {"on": True}

    def compute(ws, as_of, progress, **kw):
        if broken["on"]:
            raise InputError("commitment OAI-2026-RAMP period 2026-04-01 overlaps the period 2026-01-01..2026-04-30",
                             file="commitments.csv", row=3, column="period_start")
        return real(ws, as_of, progress, **kw)

    monkeypatch.setattr(session_mod, "compute", compute)
    assert win.session.update_commitment("OAI-2026-RAMP", date(2026, 4, 1), owner="Sam Lee (Procurement)")
    _wait_stale(qtbot, win)
    return broken


def _first_sheet_top(path: Path) -> tuple[str, list]:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    cells = [ws.cell(r, 1) for r in range(1, 6)]
    return ws.title, cells


def test_export_brief_refuses_or_marks_figures_that_are_out_of_date(qtbot, window, tmp_path, monkeypatch):
    win = window
    broken = _stale_after_an_edit(qtbot, win, monkeypatch)
    texts = _banners_on_every_page(win)
    assert all("Fix the row in the commit schedule or undo the last edit" in t and "Ctrl+Z" in t for t in texts)

    # refused: the analyst cancels, nothing is written
    out = tmp_path / "brief.xlsx"
    win.export_brief_dialog(str(out))
    box = win.stale_export_box
    assert box is not None and box.isVisible()
    assert "out of date" in box.text()
    assert "overlaps" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: win.stale_export_box is None, timeout=5000)
    assert not win.brief_runner.busy and not out.exists()

    # "export anyway": written, and it says so on its first page, in a red band under the title
    win.export_brief_dialog(str(out))
    box = win.stale_export_box
    box.export_anyway.click()
    qtbot.waitUntil(lambda: win.last_brief == out and not win.brief_runner.busy, timeout=60000)
    title, cells = _first_sheet_top(out)
    assert title == "Summary"
    marker = cells[2]
    assert marker.value.startswith("OUT OF DATE: these figures were computed at ")
    assert ("; since then: the edit of OAI-2026-RAMP 2026-04-01 failed: commitments.csv, row 3, column "
            "'period_start': commitment OAI-2026-RAMP period 2026-04-01 overlaps") in marker.value
    assert f"for as-of {win.session.analysis.as_of:%Y-%m-%d};" in marker.value
    assert marker.font.bold and marker.fill.fgColor.rgb.endswith("D55E00")

    # undo the edit from the banner: the recompute succeeds, the banner goes, the brief is plain
    broken["on"] = False
    before = win.session.computations
    undo = next(t for t in win.current_page().banner.button_titles() if t.startswith("Undo"))
    win.current_page().banner.click(undo)
    _wait_computed(qtbot, win, before)
    assert win.session.stale_reason is None
    _no_banner_on_any_page(win)
    out2 = tmp_path / "brief-current.xlsx"
    win.export_brief_dialog(str(out2))
    assert win.stale_export_box is None
    qtbot.waitUntil(lambda: win.last_brief == out2 and not win.brief_runner.busy, timeout=60000)
    wb = openpyxl.load_workbook(out2)
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=1, max_row=6):
            assert not any(isinstance(c.value, str) and "OUT OF DATE" in c.value for c in row), ws.title


def test_pages_say_refreshing_while_a_recompute_runs(qtbot, window, tmp_path, monkeypatch):
    win = window
    real = session_mod.compute
    release = threading.Event()

    def slow(ws, as_of, progress, **kw):
        release.wait(30)
        return real(ws, as_of, progress, **kw)

    monkeypatch.setattr(session_mod, "compute", slow)
    before = win.session.computations
    try:
        assert win.session.update_commitment("OAI-2026-RAMP", date(2026, 4, 1), owner="Sam Lee (Procurement)")
        assert win.session.figures_state == "refreshing"
        qtbot.waitUntil(lambda: all(p.banner.kind == "busy" for p in win.pages), timeout=10000)
        text = win.current_page().banner.text()
        assert text.startswith("Refreshing figures after the edit of OAI-2026-RAMP 2026-04-01…"), text
        assert "from before the change" in text
        assert "refreshing" in win.windowTitle()
        # a brief asked for now waits for the new figures
        out = tmp_path / "brief.xlsx"
        win.request_export(out)
        assert not win.brief_runner.busy and not out.exists()
    finally:
        release.set()
    _wait_computed(qtbot, win, before)
    _no_banner_on_any_page(win)
    assert "refreshing" not in win.windowTitle()
    qtbot.waitUntil(lambda: win.last_brief == out and not win.brief_runner.busy, timeout=60000)
    title, cells = _first_sheet_top(out)
    assert title == "Summary" and not any("OUT OF DATE" in str(c.value) for c in cells)


@pytest.fixture
def failing_workspace(demo_path, tmp_path) -> Path:
    from desktop.store import Workspace
    from desktop.workspace_analysis import analyse_workspace, sync_checklist

    with Workspace.open(demo_path) as ws:
        # used before: its actions checklist holds the findings of that day
        sync_checklist(ws, analyse_workspace(ws), as_of_given=False)
        ws.import_file(overlap_file(tmp_path))
        with pytest.raises(InputError, match="overlaps"):
            analyse_workspace(ws)
    return demo_path


def _open_failing(qtbot, path: Path):
    from desktop import app as desktop_app
    from desktop.store import Workspace

    win = desktop_app.build_window(Workspace.open(path))
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitUntil(lambda: win.session.stale_reason is not None and win.session.unanalysed is not None,
                    timeout=60000)
    return win


def test_opening_a_failing_workspace_shows_its_data_and_the_reason(qtbot, failing_workspace, tmp_path):
    from desktop.store import Workspace

    with Workspace.open(failing_workspace, readonly=True) as ws:
        inputs = ws.inputs()
        n_batches = len(ws.batches())
    win = _open_failing(qtbot, failing_workspace)
    try:
        assert win.session.analysis is None
        assert _modal_errors() == []
        for text in _banners_on_every_page(win):
            assert text.startswith("Figures could not be computed: overlap.csv, row 2, column 'period_start'"), text
            assert "overlaps the period 2026-01-01..2026-03-31" in text
            assert "the pages show the imported data as it is" in text

        views = win.unanalysed_views
        # Overview: the import batches
        win.navigate("overview", {})
        batches = views["overview"].table.table_model
        assert views["overview"].isVisible() and batches.rowCount() == n_batches == 7
        files = [batches.data(batches.index(r, 0)) for r in range(batches.rowCount())]
        assert "overlap.csv" in files and "usage.csv" in files
        # Usage: every usage row as imported
        win.navigate("usage", {})
        usage = views["usage"].table.table_model
        assert views["usage"].isVisible() and usage.total_rows == len(inputs.usage) > 25000
        assert "25,249 rows from 1 file(s), as imported" in views["usage"].note.text()
        # Contracts: the commit schedule as imported, the overlapping row with it
        win.navigate("contracts", {})
        sched = views["contracts"].table.table_model
        assert sched.total_rows == len(inputs.commitments) == 12
        cids = {sched.data(sched.index(r, 0)) for r in range(sched.rowCount())}
        assert cids == {"OAI-2026-RAMP", "ANT-2026-ANNUAL", "AZ-2025-EA", "OAI-2027-QUARTERLY", "OAI-2027-ANNUAL"}
        # the row the reason names is shaded and selected
        shaded = [r for r in range(sched.total_rows) if sched.row_colors[r] >= 0]
        assert [(sched.col("_file").display(r), sched.col("_row").values[r]) for r in shaded] == [("overlap.csv", 2)]
        assert views["contracts"].table.selected_source_rows() == shaded
        assert "Highlighted: overlap.csv row 2, the row named above." in views["contracts"].note.text()
        assert "figures could not be computed" in win.windowTitle()
        # Invoices and budgets as imported
        assert views["invoices"].table.table_model.total_rows == len(inputs.invoices) > 0
        assert views["budgets"].table.table_model.total_rows == len(inputs.budgets) > 0
        # the actions checklist belongs to people: it shows without figures
        win.navigate("actions", {})
        assert win.session.actions() and win.page_by_key["actions"].table.table_model.total_rows == len(
            win.session.actions())

        # nothing to put in a brief: said so, nothing written
        out = tmp_path / "brief.xlsx"
        win.export_brief_dialog(str(out))
        box = next(w for w in QApplication.topLevelWidgets() if w.objectName() == "noFiguresBox" and w.isVisible())
        assert "could not be computed" in box.text() and "overlaps" in box.text()
        box.close()
        assert not out.exists()

        # fixing the workspace brings the pages back with figures and drops the banner
        _remove_batch(qtbot, win, "overlap.csv")
        assert win.session.analysis is not None and len(win.session.analysis.contracts) == 3
        win.navigate("contracts", {})
        assert win.page_by_key["contracts"].isVisible() and not views["contracts"].isVisible()
        _no_banner_on_any_page(win)
    finally:
        close_window(win)


def test_a_cancelled_recompute_leaves_the_figures_marked_until_recomputed(qtbot, window, monkeypatch):
    win = window
    real = session_mod.compute
    release = threading.Event()

    def slow(ws, as_of, progress, **kw):
        release.wait(30)
        return real(ws, as_of, progress, **kw)

    monkeypatch.setattr(session_mod, "compute", slow)
    try:
        assert win.session.update_commitment("OAI-2026-RAMP", date(2026, 4, 1), owner="Sam Lee (Procurement)")
        qtbot.waitUntil(lambda: win.session.analysis_runner.busy, timeout=10000)
        win._cancel_tasks()  # the status bar's Cancel
    finally:
        release.set()
    assert win.session.figures_state == "stale"
    for text in _banners_on_every_page(win):
        assert text.startswith("Figures out of date: the recompute was cancelled after the edit of OAI-2026-RAMP "
                               "2026-04-01. Recompute with View > Recompute figures (F5)"), text
    note = win.session.stale_note()
    assert note.endswith("; since then: the recompute was cancelled after the edit of OAI-2026-RAMP 2026-04-01.")

    monkeypatch.setattr(session_mod, "compute", real)
    before = win.session.computations
    win.current_page().banner.click("Recompute")
    _wait_computed(qtbot, win, before)
    _no_banner_on_any_page(win)
    assert win.session.stale_note() is None
