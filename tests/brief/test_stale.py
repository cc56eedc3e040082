"""A brief written from figures that are out of date says so on its first page."""

from __future__ import annotations

from datetime import date, datetime

from desktop.brief import SECTIONS, stale_marker, write_brief

from . import fixtures as fx
from .readback import load

REASON = ("the edit of C-2 2026-04-01 failed: commitments.csv, row 3, column 'period_start': commit period "
          "2026-04-01..2026-06-30 of contract C-2 overlaps the period 2026-01-01..2026-04-30")


def _marked(wb) -> list[tuple[str, str]]:
    return [(ws.title, c.coordinate) for ws in wb.worksheets for row in ws.iter_rows(max_row=8)
            for c in row if isinstance(c.value, str) and "OUT OF DATE" in c.value]


def test_stale_marker_names_time_as_of_and_reason():
    text = stale_marker(datetime(2026, 12, 7, 8, 12, 40), date(2026, 11, 15), REASON + ".")
    assert text == ("OUT OF DATE: these figures were computed at 2026-12-07 08:12 for as-of 2026-11-15; "
                    "since then: " + REASON + ".")


def test_a_stale_brief_opens_on_a_red_out_of_date_band():
    a = fx.analysis()
    marker = stale_marker(datetime(2026, 12, 7, 8, 12), a.as_of, REASON)
    wb = load(write_brief(a, stale=marker))
    ws = wb.worksheets[0]
    assert ws.title == "Summary"
    cell = ws["A3"]
    assert cell.value == marker
    assert cell.font.bold and cell.font.color.rgb == "FFFFFFFF" and cell.fill.fgColor.rgb.endswith("D55E00")
    assert cell.alignment.wrap_text and "A3:K3" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.row_dimensions[3].height >= 28  # two lines of 12pt at the Summary's width
    # every other sheet's subtitle says so too, and so does the file's title
    for other in wb.worksheets[1:]:
        sub = other["A2"].value
        assert sub.startswith("OUT OF DATE (see the Summary) · As of 2026-11-15"), (other.title, sub)
    assert wb.properties.title == "CommitDesk working brief as of 2026-11-15 (OUT OF DATE)"


def test_the_marker_comes_first_even_without_the_summary_section():
    a = fx.analysis()
    wb = load(write_brief(a, sections=["invoices"], stale=REASON))
    assert wb.sheetnames == ["Summary", "Invoices"]
    assert wb["Summary"]["A3"].value == "OUT OF DATE: " + REASON


def test_a_current_brief_carries_no_marker():
    wb = load(write_brief(fx.analysis(), stale=None))
    assert wb.sheetnames[0] == "Summary" and len(wb.sheetnames) == len(SECTIONS)
    assert _marked(wb) == []
    assert wb["Summary"]["A3"].value is None
