"""Round two of hostile workbooks (issue 18): spellings the byte scan missed, the sheet part
outside xl/worksheets/, exact column bounds, and the parser isolated in a child process.

Each crafted sheet here makes python-calamine allocate its whole rectangle (hundreds of GB:
the process aborts) unless the scan refuses it first; with the scan loosened the child process
dies instead and the import says so.
"""

from __future__ import annotations

import io
import zipfile

import pytest

from desktop.ingest import Limits, UnsafeFile, read_file, safety
from tests.ingest.workbooks import rezip, xlsx_bytes

HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:C2"/><sheetData>')
TAIL = "</sheetData></worksheet>"
GOOD_ROWS = ('<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>vendor</t></is></c>'
             '<c r="C1" t="inlineStr"><is><t>cost</t></is></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>2026-01-01</t></is></c>'
             '<c r="B2" t="inlineStr"><is><t>OpenAI</t></is></c><c r="C2"><v>5</v></c></row>')


def sheet(extra: str) -> bytes:
    return (HEAD + GOOD_ROWS + extra + TAIL).encode()


def workbook(tmp_path, extra: str, name="h.xlsx") -> object:
    p = tmp_path / name
    p.write_bytes(rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet(extra)}))
    return p


# legal XML spellings of one far cell (XFD1048576: 17 billion cells for calamine)
SPELLINGS = {
    "single quotes": "<row r='3'><c r='XFD1048576'><v>1</v></c></row>",
    "newline before r": '<row\nr="3"><c\nr="XFD1048576"><v>1</v></c></row>',
    "tab and spaces around =": '<row\tr = "3"><c\tr = "XFD1048576"><v>1</v></c></row>',
    "far reference in a near row": '<row r="3"><c r="A99999999999"><v>1</v></c></row>',
    "far column in a near row": '<row r="3"><c r="XFD3"><v>1</v></c></row>',
    "r after other attributes": '<row r="3"><c s="0" t="n"\r\n  r="XFD1048576"><v>1</v></c></row>',
}


@pytest.mark.parametrize("spelling", list(SPELLINGS))
def test_every_legal_spelling_of_a_far_cell_is_refused_by_the_scan(tmp_path, spelling):
    p = workbook(tmp_path, SPELLINGS[spelling])
    with pytest.raises(UnsafeFile, match="limit is"):
        safety.check_xlsx(p)


def test_a_reference_with_no_row_number_or_lower_case_is_damaged(tmp_path):
    p = workbook(tmp_path, '<row r="3"><c r="b"><v>1</v></c></row>')
    with pytest.raises(UnsafeFile, match="cell reference"):
        safety.check_xlsx(p)


def test_sheet_part_outside_xl_worksheets_is_scanned(tmp_path):
    """The workbook's relationships name the sheet part: it may live anywhere in the zip."""
    base = xlsx_bytes()
    rels = zipfile.ZipFile(io.BytesIO(base)).read("xl/_rels/workbook.xml.rels").replace(
        b"worksheets/sheet1.xml", b"data/sheet1.xml")
    data = rezip(base, {"xl/worksheets/sheet1.xml": sheet(SPELLINGS["far reference in a near row"]),
                        "xl/_rels/workbook.xml.rels": rels},
                 rename={"xl/worksheets/sheet1.xml": "xl/data/sheet1.xml"})
    p = tmp_path / "moved.xlsx"
    p.write_bytes(data)
    with pytest.raises(UnsafeFile, match="limit is"):
        read_file(p)


def test_sheet_part_outside_xl_worksheets_reads_when_clean(tmp_path):
    base = xlsx_bytes()
    rels = zipfile.ZipFile(io.BytesIO(base)).read("xl/_rels/workbook.xml.rels").replace(
        b"worksheets/sheet1.xml", b"data/sheet1.xml")
    data = rezip(base, {"xl/_rels/workbook.xml.rels": rels},
                 rename={"xl/worksheets/sheet1.xml": "xl/data/sheet1.xml"})
    p = tmp_path / "moved-ok.xlsx"
    p.write_bytes(data)
    facts = safety.check_xlsx(p)
    assert [(s.name, s.rows, s.cols) for s in facts.sheets] == [("xl/data/sheet1.xml", 2, 3)]
    assert read_file(p).report.rows_imported == 1


def test_narrow_tall_sheet_gets_its_exact_column_count(tmp_path):
    """600,000 rows x 3 columns is 1.8M cells: under every limit (the scan once bounded any sheet
    under 26 columns by Z and refused it as 469,902 x 26)."""
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c><c r="B{i}"><v>2</v></c>'
                   f'<c r="C{i}"><v>3</v></c></row>' for i in range(3, 600_001))
    p = tmp_path / "tall.xlsx"
    p.write_bytes(rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet(rows)}))
    facts = safety.check_xlsx(p)
    assert [(s.rows, s.cols) for s in facts.sheets] == [(600_000, 3)]


def test_child_death_is_reported_as_a_damaged_or_hostile_workbook(tmp_path):
    """With the scan loosened, calamine in the child allocates the rectangle of XFD1048576 and
    dies; the parent stays up and says so."""
    p = workbook(tmp_path, SPELLINGS["single quotes"])
    loose = Limits(max_cols=20_000, max_rows=2_000_000, max_cells=10**12)
    with pytest.raises(UnsafeFile, match="this workbook is damaged or hostile: "):
        read_file(p, limits=loose)
    # and the process can still read a good workbook
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_bytes())
    assert read_file(good).report.rows_imported == 1
