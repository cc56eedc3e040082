"""xlsx into Arrow (issue 19): a plain sheet is read by fastexcel (calamine's parser straight
into Arrow columns, reader.read_xlsx_arrow) inside the isolated child; anything else by
python-calamine cell by cell. Both paths give the same canonical frame and the same report,
rejections included; the hostile-file checks stay in front of both."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest
from openpyxl.styles import numbers

from desktop.ingest import isolate, read_file, reader, safety


def workbook(tmp_path, rows, name="u.xlsx", setup=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "usage"
    for r in rows:
        ws.append(list(r))
    if setup is not None:
        setup(wb, ws)
    p = tmp_path / name
    wb.save(p)
    return p


@pytest.fixture
def in_process(monkeypatch):
    """read_file with the workbook read in this process (so the path can be chosen and seen);
    the safety scan runs first, as in the child's parent."""
    taken = []
    real = reader.read_xlsx_arrow

    def spy(*a, **k):
        t = real(*a, **k)
        taken.append(t is not None)
        return t

    def isolated(path, scan, known, ticker, sheet=None, row_limit=None, limits=None):
        facts = scan()
        return reader.read_xlsx(path, facts, known, ticker, sheet=sheet, row_limit=row_limit), facts

    monkeypatch.setattr(reader, "read_xlsx_arrow", spy)
    monkeypatch.setattr(isolate, "read_xlsx_isolated", isolated)
    return taken


def both(path, monkeypatch, kind=None):
    arrow = read_file(path, kind)
    with monkeypatch.context() as m:
        m.setattr(reader, "ARROW_XLSX", False)
        cells = read_file(path, kind)
    pd.testing.assert_frame_equal(arrow.frame, cells.frame)
    assert arrow.report == cells.report
    return arrow


HEADER = ("date", "vendor", "cost", "currency", "quantity", "team", "commit_eligible", "api_key")


def body(n=40):
    for i in range(n):
        yield (dt.date(2026, 1, 1 + i % 28), "OpenAI" if i % 3 else "anthropic", i + 0.125, "USD",
               None if i % 5 == 0 else i, "" if i % 7 == 0 else f"team{i % 3}", bool(i % 2), f"00{i}")


PLAIN = {
    "dates, numbers, blanks, yes/no, text that looks like numbers": [HEADER, *body()],
    "date-times (midnight and not)": [HEADER] + [(dt.datetime(2026, 2, 1, 10 * (i % 2), 30 * (i % 2)), *r[1:])
                                                 for i, r in enumerate(body())],
    "a blank row inside": [HEADER, *list(body())[:10], (None,) * 8, *list(body())[10:]],
    "rejections: a blank date, a blank vendor": [HEADER, *body(10), (None, "OpenAI", 5, "USD", 1, "x", True, "k"),
                                                 (dt.date(2026, 1, 3), None, 5, "USD", 1, "x", True, "k")],
    "duplicate rows": [HEADER, *body(10), *body(10)],
    "an empty column": [HEADER + ("cost_center",)] + [(*r, None) for r in body()],
}


@pytest.mark.parametrize("name", list(PLAIN))
def test_plain_sheets_are_read_through_fastexcel_with_the_same_result(tmp_path, monkeypatch, in_process, name):
    both(workbook(tmp_path, PLAIN[name]), monkeypatch, "usage")
    assert in_process[0] is True


def merged(wb, ws):
    ws.merge_cells("F3:F4")


def formulas(wb, ws):
    ws["C3"] = "=1+1"  # no cached value (openpyxl writes none): an empty cell to both readers


def percent(wb, ws):
    for row in ws.iter_rows(min_row=2, min_col=4, max_col=4):
        for c in row:
            c.number_format = numbers.FORMAT_PERCENTAGE


def shifted(wb, ws):
    ws.insert_cols(1, 2)  # the table starts in column C


def title(wb, ws):
    ws.insert_rows(1)
    ws["A1"] = "Usage export, November"


def hidden_first(wb, ws):
    other = wb.create_sheet("data")
    for r in PLAIN["dates, numbers, blanks, yes/no, text that looks like numbers"]:
        other.append(list(r))
    ws.sheet_state = "hidden"


OTHER = {
    # (rows, setup, kind, fastexcel reads it)
    "merged cells": (PLAIN["duplicate rows"], merged, "usage", True),
    "a formula without a cached value": (PLAIN["duplicate rows"], formulas, "usage", True),
    "a column mixing numbers and text": ([HEADER, *body(5), (dt.date(2026, 1, 3), "OpenAI", 5, "USD", "n/a", "x", True,
                                                             "k")], None, "usage", False),
    "a bad amount (text in a number column)": ([HEADER, *body(10), (dt.date(2026, 1, 3), "OpenAI", "abc", "USD", 1,
                                                                     "x", True, "k")], None, "usage", False),
    "a title above the header": (PLAIN["duplicate rows"], title, "usage", False),
    "the first sheet hidden": (PLAIN["duplicate rows"], hidden_first, "usage", False),
    "a repeated column name": ([HEADER + ("team",)] + [(*r, "t") for r in body(5)], None, "usage", False),
}


@pytest.mark.parametrize("name", list(OTHER))
def test_other_sheets_read_the_same_by_either_path(tmp_path, monkeypatch, in_process, name):
    rows, setup, kind, arrow = OTHER[name]
    both(workbook(tmp_path, rows, setup=setup), monkeypatch, kind)
    assert in_process[0] is arrow


@pytest.mark.parametrize("setup", [None, shifted])
def test_percent_formatted_cells_and_where_the_table_starts(tmp_path, monkeypatch, in_process, setup):
    rows = [("contract_id", "vendor", "commitment", "discount_pct", "period_start", "period_end", "currency")]
    rows += [(f"C{i}", "OpenAI", 1000 * (i + 1), 0.25, dt.date(2026, 1, 1), dt.date(2026, 12, 31), "USD")
             for i in range(3)]

    def both_setups(wb, ws):
        percent(wb, ws)
        if setup is not None:
            setup(wb, ws)

    r = both(workbook(tmp_path, rows, setup=both_setups), monkeypatch, "commitments")
    assert r.frame["discount_pct"].tolist() == [25.0, 25.0, 25.0]  # 25 % typed in Excel, read as 25
    assert in_process[0] is True


def test_fastexcel_columns_are_arrow_and_numbers(tmp_path):
    p = workbook(tmp_path, PLAIN["a blank row inside"])
    t = reader.read_xlsx_arrow(p, safety.check_xlsx(p), {"date", "vendor", "cost"}, reader.Ticker(None))
    assert t is not None and t.columns == list(HEADER)
    assert str(t.data["vendor"].dtype) == "string" and t.data["cost"].dtype.kind == "f"
    assert t.data["date"].iloc[0] == dt.date(2026, 1, 1) and t.data["api_key"].iloc[0] == "000"
    assert t.data["team"].iloc[0] == "" and t.data["commit_eligible"].iloc[1] is True
    assert t.rows.tolist()[9:12] == [11, 13, 14]  # the blank row 12 is left out, the numbers stay


def test_hostile_workbooks_are_still_refused_before_any_reader(tmp_path):
    """The safety scan runs in front of fastexcel as of calamine: a zip bomb sheet is refused."""
    import zipfile

    from desktop.ingest.errors import UnreadableFile
    from tests.ingest.workbooks import SHEET1, rezip, xlsx_bytes

    big = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + \
        b"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>" + b"A" * (200 << 20) + b"</t></is></c></row>" + \
        b"</sheetData></worksheet>"
    p = tmp_path / "bomb.xlsx"
    p.write_bytes(rezip(xlsx_bytes(), {SHEET1: big}, compression=zipfile.ZIP_DEFLATED))
    with pytest.raises(UnreadableFile) as e:
        read_file(p)
    assert "ratio" in str(e.value).casefold() or "limit" in str(e.value).casefold()
