"""The Invoices page shows the provider export's tie-out of an invoice as computed (issue 13 step
4): the residual column (explainable) and the tie-out sentence under the table."""

from __future__ import annotations

from desktop.store import Workspace
from tests.domain.test_tieout import EARLY, INVOICE, LATE, focus
from tests.ui.conftest import close_window, open_window


def test_invoices_page_shows_the_export_residual(qtbot, home, tmp_path):
    early = focus(tmp_path / "focus-june-0603.csv", EARLY)
    late = focus(tmp_path / "focus-june-0702.csv", LATE)
    inv = tmp_path / "invoices.csv"
    inv.write_text(INVOICE, encoding="utf-8")
    path = home / "tie.commitdesk"
    with Workspace.open(path, create=True) as ws:
        ws.import_file(early)
        ws.import_file(late, on_overlap="keep")  # both stored: the analysis keeps the later snapshot
        ws.import_file(inv)
    win = open_window(qtbot, path)
    try:
        page = win.page_by_key["invoices"]
        win.navigate("invoices", {"invoice_id": "INV-0601"})
        m = page.table.table_model
        col = m.column_index("Export residual")
        assert m.data(m.index(0, col)) == "1.25"
        assert m.data(m.index(0, m.column_index("Ties out"))) == "Residual"
        text = page.detail.text()
        assert ("Export tie-out: the export bills 475.50 USD on 4 rows (focus-june-0702.csv), the invoice "
                "476.75 USD: residual 1.25 USD (residual)") in text
        seen = []
        win.session.explain = lambda kind, key, field, _w: seen.append((kind, key, field))
        page._explain(0, col)
        assert seen == [("tie_out", "INV-0601", "residual")]
    finally:
        close_window(win)
