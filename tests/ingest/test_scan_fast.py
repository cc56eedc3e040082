"""The extent scan's fast path (numpy over the bytes after each tag's '<') measures exactly what
its careful path (a regex tokenizer over every start tag) measures, on sheets written the way
spreadsheet writers write them and on references a writer never writes (leading zeros, long
numbers, lower case, too many letters): the fast path either agrees or hands the chunk to the
careful path."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.ingest import UnsafeFile, safety


def letters(n: int) -> str:
    return safety.col_letters(n)


def measure_careful(xml: bytes):
    ext = safety._Extent("xl/worksheets/sheet1.xml", "t.xlsx")
    try:
        ext._careful(xml)
    except UnsafeFile as exc:
        return "refused", str(exc)
    return ext.rows, ext.cols


def measure_fast(xml: bytes):
    """(measure, whether the fast path took the whole buffer)."""
    ext = safety._Extent("xl/worksheets/sheet1.xml", "t.xlsx")
    work = np.zeros(len(xml) + safety._PAD, dtype=np.uint8)
    work[:len(xml)] = np.frombuffer(xml, dtype=np.uint8)
    took = ext._fast(memoryview(work)[:len(xml)], work)
    if not took:
        return None, False
    return (ext.rows, ext.cols), True


COL = st.integers(1, safety.EXCEL_MAX_COLS)
ROW = st.integers(1, 9_999_999)
CELL_TAIL = st.sampled_from(['><v>1</v></c>', ' t="n"><v>2.5</v></c>', '/>',
                             ' t="inlineStr"><is><t>a &lt; b</t></is></c>', ' s="3"/>'])


@st.composite
def writer_sheet(draw):
    """Rows and cells as openpyxl, Excel and LibreOffice write them (r first, double quotes)."""
    parts = []
    for _ in range(draw(st.integers(0, 12))):
        r = draw(ROW)
        spans = draw(st.sampled_from(["", ' spans="1:3"', ' ht="15" customHeight="1"']))
        cells = "".join(f'<c r="{letters(draw(COL))}{draw(ROW)}"{draw(CELL_TAIL)}'
                        for _ in range(draw(st.integers(0, 5))))
        parts.append(f'<row r="{r}"{spans}>{cells}</row>')
    return ("<sheetData>" + "".join(parts) + "</sheetData>").encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(writer_sheet())
def test_fast_path_takes_writer_sheets_and_measures_what_the_careful_path_does(xml):
    got, took = measure_fast(xml)
    assert took, xml  # writers' spelling is the fast path's: it must not fall back
    assert got == measure_careful(xml)


ODD_REFS = ["A007", "B0", "a5", "ABCD1", "A12345678", "A", "7", "A1B", "XFD1048576", "ZZZ9999999",
            "A 1", "Ä1"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.sampled_from(ODD_REFS),
                          st.builds(lambda c, r: f"{letters(c)}{r}", COL, ROW)), min_size=1, max_size=8),
       st.sampled_from(["3", "03", "12345678", "x"]))
def test_fast_path_agrees_or_falls_back_on_odd_references(refs, row):
    xml = (f'<sheetData><row r="{row}">' + "".join(f'<c r="{r}"><v>1</v></c>' for r in refs)
           + "</row></sheetData>").encode()
    got, took = measure_fast(xml)
    if took:
        assert got == measure_careful(xml)
    # what feed() does with the chunk (fast, else careful) is what the careful path does
    ext = safety._Extent("xl/worksheets/sheet1.xml", "t.xlsx")
    try:
        ext.feed(xml)
        fed = (ext.rows, ext.cols)
    except UnsafeFile as exc:
        fed = ("refused", str(exc))
    assert fed == measure_careful(xml)


@pytest.mark.parametrize("refs, want", [
    (["A9", "B10", "C99"], (99, 3)),  # more digits wins over larger leading digits
    (["Z1", "AA1"], (5, 27)),  # more letters wins over a later letter (row 5: the row tag)
    (["XFD1048576"], (1_048_576, 16_384)),
    (["AZ5", "BA5", "AAA5"], (5, 703)),
])
def test_fast_path_maxima_by_hand(refs, want):
    xml = ('<row r="5">' + "".join(f'<c r="{r}"/>' for r in refs) + "</row>").encode()
    got, took = measure_fast(xml)
    assert took and got == want
