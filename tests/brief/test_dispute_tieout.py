"""The dispute pack carries the provider export's tie-out of its invoice (issue 13 step 4): the
residual, the export rows behind BilledCost and the earlier snapshot left out."""

from __future__ import annotations

from decimal import Decimal

from openpyxl import load_workbook

from desktop.brief.dispute import write_dispute_pack
from desktop.domain.analysis import build_analysis
from desktop.ingest import load_inputs
from tests.domain.test_tieout import EARLY, INVOICE, LATE, focus


def test_the_pack_ties_the_export_out(tmp_path):
    early = focus(tmp_path / "focus-june-0603.csv", EARLY)
    late = focus(tmp_path / "focus-june-0702.csv", LATE)
    inv = tmp_path / "invoices.csv"
    inv.write_text(INVOICE, encoding="utf-8")
    a = build_analysis(load_inputs({"usage": [early, late], "invoices": [inv]}))
    out = write_dispute_pack(a, ["INV-0601"], tmp_path / "pack.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames[-2:] == ["Export tie-out", "Sources"]
    rows = [tuple(r) for r in wb["Export tie-out"].iter_rows(values_only=True)]
    head = rows.index(("Export InvoiceId", "Tied to invoice", "Matched by", "Currency", "Export BilledCost",
                       "Export rows", "Invoiced (every line)", "Residual", "Status", "Note", "Export files"))
    tie = rows[head + 1]
    # 475.50 billed (100 + 150 + 200 + 25.50), 476.75 invoiced (450 + 25.50 + 1.25): residual 1.25
    assert tie[:9] == ("INV-0601", "INV-0601", "invoice id", "USD", 475.5, 4, 476.75, 1.25, "residual")
    behind = [r for r in rows if r[0] == "focus-june-0702.csv" and isinstance(r[1], int)]
    assert [(r[1], Decimal(str(r[7]))) for r in behind] == [
        (2, Decimal("100")), (3, Decimal("150")), (4, Decimal("200")), (5, Decimal("25.5"))]
    dropped = [r for r in rows if r[0] == "focus-june-0603.csv"]
    assert [r[:6] for r in dropped] == [("focus-june-0603.csv", 2, 240, "USD", "focus-june-0702.csv", "later data")]
