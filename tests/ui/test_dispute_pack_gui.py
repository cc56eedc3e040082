"""The Invoices page writes the dispute pack of the selected invoice's vendor-period off the GUI
thread, with the workspace batches' SHA-256 (pytest-qt, offscreen)."""

from __future__ import annotations

from openpyxl import load_workbook


def test_dispute_pack_from_the_invoices_page(qtbot, shared_window, tmp_path):
    win = shared_window
    page = win.page_by_key["invoices"]
    win.navigate("invoices", {"invoice_id": "ANT-2026-09"})
    inv = page._current()
    assert inv is not None and inv.invoice_id == "ANT-2026-09" and page.dispute.isEnabled()
    out = tmp_path / "pack.xlsx"
    with qtbot.waitSignal(page.dispute_runner.finished, timeout=60_000):
        page.export_dispute(str(out))
    assert page.last_dispute == out and "Dispute pack written" in page.detail.text()
    wb = load_workbook(out)
    assert wb["Summary"]["A1"].value.startswith(f"Dispute pack: {inv.vendor}, billing period {inv.period_start}")
    hashes = {b.file_name: b.content_hash for b in win.session.workspace.batches()}
    sources = [r for r in wb["Sources"].iter_rows(min_row=5, values_only=True) if r[0]]
    assert sources and all(r[2] == hashes[r[1]] for r in sources)
