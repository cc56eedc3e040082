"""The import wizard on a workbook whose reader dies (issue 18): the child process parsing it
dies, the wizard shows "this workbook is damaged or hostile: ..." on that file and the app stays
up (it then reads a good file)."""

from __future__ import annotations

from desktop.ingest import safety
from desktop.store import Workspace
from desktop.ui.dialogs.import_wizard import ImportWizard
from desktop.ui.session import Session
from tests.ingest.workbooks import patched_sheet


def _workbook(extra: bytes = b"") -> bytes:
    return patched_sheet(b"</sheetData>", extra + b"</sheetData>")


def test_wizard_shows_the_hostile_workbook_message_and_reads_the_next_file(qtbot, tmp_path, monkeypatch):
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    bad.write_bytes(_workbook(b"<row r='3'><c r='XFD1048576'><v>1</v></c></row>"))
    good.write_bytes(_workbook())
    real = safety.check_xlsx
    loose = safety.Limits(max_cols=20_000, max_cells=10**12)  # let calamine meet the far cell
    monkeypatch.setattr(safety, "check_xlsx", lambda path, limits=None, tick=None: real(path, loose, tick))
    ws = Workspace.open(tmp_path / "w.commitdesk", create=True)
    wiz = ImportWizard(Session(ws), [bad, good])
    qtbot.addWidget(wiz)
    try:
        qtbot.waitUntil(lambda: wiz.ready, timeout=60000)
        first, second = wiz.files[0], wiz.files[1]
        assert first.result is None
        assert "bad.xlsx: this workbook is damaged or hostile: " in first.error
        assert second.error is None and second.result.report.rows_imported == 1
    finally:
        wiz.close()
        ws.close()
