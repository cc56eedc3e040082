"""Hostile files through `analyze`: each is refused (exit 2, the file named, a clear reason) or
bounded, never a traceback and never exit 1 (an internal error)."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import openpyxl
import pytest

from .helpers import analyze, check_accounting, run, write

NS = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 2 else b"%d" % (i - 1))) * 10)
                     for i in range(2, 10))
          + b"]>\n")


def good_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "vendor", "cost", "team"])
    for i in range(1, 29):
        ws.append([f"2026-02-{i:02d}", "OpenAI", 10.25, "Search"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rebuild(src: bytes, replace: dict, add: dict | None = None) -> bytes:
    """Copy an xlsx, replacing some parts (bytes, or a function writing to a stream)."""
    zin = zipfile.ZipFile(io.BytesIO(src))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            data = zin.read(info.filename)
            new = replace.get(info.filename)
            if callable(new):
                with z.open(info.filename, "w", force_zip64=True) as fh:
                    new(fh)
                continue
            z.writestr(info, new if new is not None else data)
        for name, data in (add or {}).items():
            z.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def xlsx_bytes():
    return good_xlsx()


def refused(capsys, path: Path, *words: str, kind: str = "--usage") -> str:
    status, out, err = run(capsys, "analyze", kind, path, "--format", "json")
    assert status == 2, (status, err)
    assert out == ""
    assert path.name in err, err
    for w in words:
        assert w.lower() in err.lower(), err
    return err


def test_good_xlsx_baseline(tmp_path, capsys, xlsx_bytes):
    p = tmp_path / "good.xlsx"
    p.write_bytes(xlsx_bytes)
    d = analyze(capsys, "--usage", p)
    check_accounting(d)
    assert d["imports"][0]["rows_imported"] == 28


def test_zip_bomb_xlsx(tmp_path, capsys, xlsx_bytes):
    def bomb(fh):
        fh.write(b'<?xml version="1.0"?>\n<worksheet xmlns="' + NS + b'"><sheetData><row r="1">'
                 b'<c r="A1" t="inlineStr"><is><t>')
        chunk = b"A" * (1 << 20)
        for _ in range(64):
            fh.write(chunk)
        fh.write(b"</t></is></c></row></sheetData></worksheet>")

    p = tmp_path / "bomb.xlsx"
    p.write_bytes(rebuild(xlsx_bytes, {"xl/worksheets/sheet1.xml": bomb}))
    refused(capsys, p, "zip bomb")


def test_one_cell_at_xfd1048576(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "vendor", "cost", "team"])
    ws.append(["2026-02-01", "OpenAI", 1.5, "Search"])
    ws["XFD1048576"] = "x"
    p = tmp_path / "far_cell.xlsx"
    wb.save(p)
    refused(capsys, p, "XFD")


def test_lying_dimension_is_not_trusted(tmp_path, capsys, xlsx_bytes):
    """The sheet declares A1:D29 but holds a cell at ZZ5000: the reader must look at the cells."""
    zin = zipfile.ZipFile(io.BytesIO(xlsx_bytes))
    sheet = zin.read("xl/worksheets/sheet1.xml").replace(
        b"</sheetData>", b'<row r="5000"><c r="AMK5000"><v>1</v></c></row></sheetData>')
    p = tmp_path / "lying.xlsx"
    p.write_bytes(rebuild(xlsx_bytes, {"xl/worksheets/sheet1.xml": sheet}))
    status, out, err = run(capsys, "analyze", "--usage", p, "--format", "json")
    assert status == 2 and out == "", err
    assert p.name in err and "AMK5000" in err


def test_truncated_zip(tmp_path, capsys, xlsx_bytes):
    p = tmp_path / "truncated.xlsx"
    p.write_bytes(xlsx_bytes[: len(xlsx_bytes) // 2])
    refused(capsys, p, "truncated")


@pytest.mark.parametrize("name", ["junk.csv", "junk.xlsx", "junk.tsv"])
def test_binary_junk(tmp_path, capsys, name):
    p = tmp_path / name
    p.write_bytes(random.Random(7).randbytes(20000))
    refused(capsys, p)


def test_xlsx_renamed_csv_is_still_read(tmp_path, capsys, xlsx_bytes):
    p = tmp_path / "really_an_xlsx.csv"
    p.write_bytes(xlsx_bytes)
    d = analyze(capsys, "--usage", p)
    assert d["imports"][0]["rows_imported"] == 28


def test_40000_character_cell_rejects_the_row_not_the_file(tmp_path, capsys):
    p = write(tmp_path / "bigcell.csv",
              "date,vendor,cost,team\n2026-02-01,OpenAI,1.00," + "X" * 40000 + "\n2026-02-02,OpenAI,2.00,Search\n")
    d = analyze(capsys, "--usage", p)
    check_accounting(d)
    rep = d["imports"][0]
    assert (rep["rows_read"], rep["rows_imported"], rep["rows_rejected"]) == (2, 1, 1)
    assert (rep["errors"][0]["row"], rep["errors"][0]["column"]) == (2, "team")


def test_40000_character_cell_in_xlsx(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "vendor", "cost", "team"])
    ws.append(["2026-02-01", "OpenAI", 1.0, "X" * 40000])
    ws.append(["2026-02-02", "OpenAI", 2.0, "Search"])
    p = tmp_path / "bigcell.xlsx"
    wb.save(p)
    d = analyze(capsys, "--usage", p)
    rep = d["imports"][0]
    assert (rep["rows_read"], rep["rows_imported"], rep["rows_rejected"]) == (2, 1, 1)
    assert (rep["errors"][0]["row"], rep["errors"][0]["column"]) == (2, "team")


def test_billion_laughs_in_shared_strings(tmp_path, capsys, xlsx_bytes):
    sst = LAUGHS + (b'<sst xmlns="' + NS + b'" count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    zin = zipfile.ZipFile(io.BytesIO(xlsx_bytes))
    types = zin.read("[Content_Types].xml").replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rels = zin.read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    sheet = zin.read("xl/worksheets/sheet1.xml").replace(
        b'<c r="D2" t="inlineStr"><is><t>Search</t></is></c>', b'<c r="D2" t="s"><v>0</v></c>')
    p = tmp_path / "laughs.xlsx"
    p.write_bytes(rebuild(xlsx_bytes, {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels,
                                       "xl/worksheets/sheet1.xml": sheet}, {"xl/sharedStrings.xml": sst}))
    refused(capsys, p, "entit")


def test_billion_laughs_in_sheet(tmp_path, capsys, xlsx_bytes):
    zin = zipfile.ZipFile(io.BytesIO(xlsx_bytes))
    sheet = zin.read("xl/worksheets/sheet1.xml")
    p = tmp_path / "laughs_sheet.xlsx"
    p.write_bytes(rebuild(xlsx_bytes, {"xl/worksheets/sheet1.xml": LAUGHS + sheet}))
    refused(capsys, p, "entit")


def test_empty_and_header_only(tmp_path, capsys):
    refused(capsys, write(tmp_path / "empty.csv", ""), "empty")
    p = write(tmp_path / "header_only.csv", "date,vendor,cost,team\n")
    d = analyze(capsys, "--usage", p, "--as-of", "2026-02-01")
    assert d["imports"][0]["rows_read"] == 0


@pytest.mark.parametrize("flag", ["--contracts", "--invoices", "--budgets"])
def test_hostile_file_for_other_kinds(tmp_path, capsys, xlsx_bytes, flag):
    p = tmp_path / "truncated.xlsx"
    p.write_bytes(xlsx_bytes[: len(xlsx_bytes) // 3])
    refused(capsys, p, kind=flag)
    j = tmp_path / "junk.csv"
    j.write_bytes(random.Random(3).randbytes(5000))
    refused(capsys, j, kind=flag)


def test_missing_file_named(tmp_path, capsys):
    refused(capsys, tmp_path / "nope.csv")


def test_very_wide_csv_is_refused_like_xlsx(tmp_path, capsys):
    header = "date,vendor,cost," + ",".join(f"c{i}" for i in range(5000))
    row = "2026-02-01,OpenAI,1.00," + ",".join("1" for _ in range(5000))
    p = write(tmp_path / "wide.csv", header + "\n" + row + "\n")
    refused(capsys, p, "column")


def _patched_central_directory(xlsx: bytes, offset: int, value: int, local: int | None = None) -> bytes:
    """Patch a 2-byte field of the first central directory header (and of the local header)."""
    b = bytearray(xlsx)
    i = b.find(b"PK\x01\x02")
    b[i + offset:i + offset + 2] = value.to_bytes(2, "little")
    if local is not None:
        b[local:local + 2] = value.to_bytes(2, "little")
    return bytes(b)


def test_unsupported_compression_method(tmp_path, capsys, xlsx_bytes):
    p = tmp_path / "method.xlsx"
    p.write_bytes(_patched_central_directory(xlsx_bytes, 10, 99, local=8))
    refused(capsys, p)


def test_encrypted_zip_entry(tmp_path, capsys, xlsx_bytes):
    b = bytearray(xlsx_bytes)
    i = b.find(b"PK\x01\x02")
    b[i + 8] |= 1
    b[6] |= 1
    p = tmp_path / "encrypted.xlsx"
    p.write_bytes(bytes(b))
    refused(capsys, p)


def test_zip_needing_a_newer_version(tmp_path, capsys, xlsx_bytes, monkeypatch):
    monkeypatch.delenv("COMMITDESK_DEBUG", raising=False)
    p = tmp_path / "version.xlsx"
    p.write_bytes(_patched_central_directory(xlsx_bytes, 6, 100))
    refused(capsys, p)


def test_40000_character_cell_in_reference_data_is_fatal(tmp_path, capsys):
    p = write(tmp_path / "c40k.csv", "contract_id,vendor,period_start,period_end,commitment,clause\n"
              "C1,OpenAI,2026-01-01,2026-12-31,1000," + "Z" * 40000 + "\n")
    refused(capsys, p, "row 2", "clause", kind="--contracts")
