"""The dispute pack of a token-priced vendor-period opens in LibreOffice (headless) and keeps its
figures: every sheet, the rate audit's numbers and the rate-card rows behind them (issue 13
"Done when": the pack opens without repair)."""

from __future__ import annotations

import openpyxl
import pytest

from desktop.brief.dispute import write_dispute_pack
from tests.domain.test_invoices import invoices

from .conftest import soffice_convert_many

pytestmark = pytest.mark.slow


def test_token_dispute_pack_round_trips_through_libreoffice(tmp_path, lo_profile):
    from tests.domain.test_rate_audit import OPENAI_RATES, _analyse, _openai_june
    inv = invoices([dict(period_start="2026-06-01", period_end="2026-06-30", invoice_id="OA-06", vendor="OpenAI",
                         invoice_date="2026-07-02", amount=42.00)])
    src = write_dispute_pack(_analyse(_openai_june(), inv, OPENAI_RATES), ["OA-06"], tmp_path / "pack.xlsx")
    out, pdf = (soffice_convert_many([src], "xlsx", tmp_path / "lo", lo_profile)[0],
                soffice_convert_many([src], "pdf", tmp_path / "pdf", lo_profile)[0])
    ours, theirs = openpyxl.load_workbook(src), openpyxl.load_workbook(out, data_only=True)
    assert theirs.sheetnames == ours.sheetnames
    for ws in theirs.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "e", (ws.title, c.coordinate, c.value)
    # every cell of the Rate audit and Rate card sheets reads back as written
    for name in ("Rate audit", "Rate card", "Flags"):
        for r1, r2 in zip(ours[name].iter_rows(values_only=True), theirs[name].iter_rows(values_only=True),
                          strict=False):
            for a, b in zip(r1, r2, strict=False):
                if isinstance(a, (int, float)) and not isinstance(a, bool):
                    assert b == pytest.approx(a, abs=1e-9), (name, a, b)
                else:
                    assert (a or None) == (b or None), (name, a, b)
    cached = next(r for r in theirs["Rate audit"].iter_rows(values_only=True) if r[1] == "cached_input")
    assert (cached[3], cached[10], cached[11]) == (4_000_000, "cache_discount_missing", 4)
    assert pdf.stat().st_size > 0
