"""The import wizard asks the vendor of a FOCUS contract commitment file that names no provider
when no imported usage names its commitments (issue 18; the CLI takes --vendor)."""

from __future__ import annotations

from desktop.store import Workspace
from desktop.ui.dialogs.import_wizard import ImportWizard
from desktop.ui.session import Session
from tests.ingest.test_focus_commitments import commitments_13, usage_with_applied


def test_wizard_asks_the_vendor_and_imports_with_it(qtbot, tmp_path):
    ws = Workspace.open(tmp_path / "w.commitdesk", create=True)
    wiz = ImportWizard(Session(ws), [commitments_13(tmp_path)])
    qtbot.addWidget(wiz)
    try:
        qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
        f = wiz.files[0]
        assert f.result is None and f.vendor_needed == ("CMT-SPEND-001", "CMT-RR-002", "CMT-SaaS-003")
        assert wiz.vendor_row.isVisibleTo(wiz)
        assert "names no provider" in wiz.vendor_label.text() and "CMT-RR-002" in wiz.vendor_label.text()
        wiz.vendor_edit.setText("  Aura   Web ")
        wiz.vendor_btn.click()
        qtbot.waitUntil(lambda: wiz.files[0].result is not None, timeout=30000)
        assert not wiz.vendor_row.isVisibleTo(wiz)
        frame = wiz.files[0].result.frame
        assert frame["vendor"].tolist() == ["Aura Web"] * 3
        wiz.commit()
        qtbot.waitUntil(lambda: wiz.files[0].imported, timeout=30000)
        assert sorted(ws.inputs().commitments["contract_id"]) == ["CMT-RR-002", "CMT-SPEND-001", "CMT-SaaS-003"]
    finally:
        wiz.close()
        ws.close()


def test_vendor_from_the_workspace_usage_needs_no_question(qtbot, tmp_path):
    """Usage already imported whose ContractApplied names every commitment gives the vendor."""
    ws = Workspace.open(tmp_path / "w.commitdesk", create=True)
    ws.import_file(usage_with_applied(tmp_path, {0: "CMT-SPEND-001", 1: "CMT-RR-002", 2: "CMT-SaaS-003"}))
    wiz = ImportWizard(Session(ws), [commitments_13(tmp_path)])
    qtbot.addWidget(wiz)
    try:
        qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
        f = wiz.files[0]
        assert f.error is None and f.vendor_needed == ()
        assert not wiz.vendor_row.isVisibleTo(wiz)
        assert f.result.frame["vendor"].tolist() == ["Solora AI"] * 3
    finally:
        wiz.close()
        ws.close()
