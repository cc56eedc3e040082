"""Hostile files are refused (or bounded) before any parser runs, with a clear message.

No timing assertions here (bench/ measures); every case reads a small file or stops early.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from desktop.ingest import Limits, UnreadableFile, UnsafeFile, read_file, safety
from tests.ingest.workbooks import rezip, xlsx_bytes


def sheet_xml(cells: str, dimension: str = "A1") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>'
    ).encode()


def save(tmp_path, name, data: bytes):
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_normal_workbook_passes(tmp_path):
    p = save(tmp_path, "ok.xlsx", xlsx_bytes())
    facts = safety.check_xlsx(p)
    assert [(s.rows, s.cols) for s in facts.sheets] == [(2, 3)]
    assert read_file(p).report.rows_imported == 1


def test_billion_laughs(tmp_path):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
                         for i in range(1, 10))
              + b']><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
              b'uniqueCount="1"><si><t>&lol9;</t></si></sst>')
    data = rezip(xlsx_bytes(), {}, add={"xl/sharedStrings.xml": laughs})
    p = save(tmp_path, "laughs.xlsx", data)
    with pytest.raises(UnsafeFile, match="entities"):
        read_file(p)


def test_zip_bomb_ratio(tmp_path):
    big = b"<x/>" * (6 * 2**20)  # 24 MiB of the same bytes compresses > 500:1
    data = rezip(xlsx_bytes(), {}, add={"xl/media/bomb.xml": big})
    p = save(tmp_path, "bomb.xlsx", data)
    with pytest.raises(UnsafeFile, match="compressed .*:1"):
        read_file(p)


def test_total_uncompressed_limit(tmp_path):
    data = rezip(xlsx_bytes(), {}, add={"xl/media/a.bin": b"x" * (3 * 2**20)}, compression=zipfile.ZIP_STORED)
    p = save(tmp_path, "big.xlsx", data)
    with pytest.raises(UnsafeFile, match="unpacks to"):
        safety.check_xlsx(p, Limits(max_uncompressed_bytes=2 * 2**20))


def test_single_cell_at_xfd1048576(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["XFD1048576"] = 1
    p = tmp_path / "far.xlsx"
    wb.save(p)
    with pytest.raises(UnsafeFile) as ei:
        read_file(p)
    assert "XFD" in str(ei.value) and "16,384 columns" in str(ei.value)


def test_declared_dimension_is_not_trusted(tmp_path):
    # declares A1:B2 but holds a cell in column AML (1,026)
    cells = ('<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c></row>'
             '<row r="2"><c r="AML2"><v>1</v></c></row>')
    data = rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet_xml(cells, "A1:B2")})
    with pytest.raises(UnsafeFile, match="column AML"):
        read_file(save(tmp_path, "liar.xlsx", data))
    # declares the whole grid but holds a small table: fine
    cells = ('<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>vendor</t></is></c><c r="C1" t="inlineStr"><is><t>cost</t></is></c></row>'
             '<row r="2"><c r="A2" t="inlineStr"><is><t>2026-01-01</t></is></c>'
             '<c r="B2" t="inlineStr"><is><t>OpenAI</t></is></c><c r="C2"><v>5</v></c></row>')
    data = rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet_xml(cells, "A1:XFD1048576")})
    r = read_file(save(tmp_path, "honest.xlsx", data))
    assert r.frame["cost"].tolist() == [5_000_000]


def test_too_many_rows_times_columns(tmp_path):
    cells = "".join(f'<row r="{i}"><c r="A{i}"><v>1</v></c><c r="Z{i}"><v>2</v></c></row>' for i in range(1, 2001))
    data = rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet_xml(cells)})
    with pytest.raises(UnsafeFile, match="52,000 cells|limit is 50,000 cells"):
        safety.check_xlsx(save(tmp_path, "wide.xlsx", data), Limits(max_cells=50_000))


def test_truncated_zip(tmp_path):
    data = xlsx_bytes()
    p = save(tmp_path, "cut.xlsx", data[: len(data) // 2])
    with pytest.raises(UnreadableFile, match="damaged or truncated"):
        read_file(p)


def _patch_sheet(data: bytes, central: dict[int, bytes], local: dict[int, bytes] | None = None,
                 body=None) -> bytes:
    """The workbook with fields of the sheet's central directory entry (offset -> bytes), of
    its local header, or its compressed bytes (``body(bytes) -> bytes``) replaced."""
    zf = zipfile.ZipFile(io.BytesIO(data))
    info = zf.getinfo("xl/worksheets/sheet1.xml")
    buf = bytearray(data)
    name = info.filename.encode()
    cd = buf.find(b"PK\x01\x02")
    while cd >= 0:
        n = int.from_bytes(buf[cd + 28: cd + 30], "little")
        if buf[cd + 46: cd + 46 + n] == name:
            break
        cd = buf.find(b"PK\x01\x02", cd + 4)
    for off, val in central.items():
        buf[cd + off: cd + off + len(val)] = val
    lh = info.header_offset
    for off, val in (local or {}).items():
        buf[lh + off: lh + off + len(val)] = val
    if body is not None:
        n, e = int.from_bytes(buf[lh + 26: lh + 28], "little"), int.from_bytes(buf[lh + 28: lh + 30], "little")
        start = lh + 30 + n + e
        buf[start: start + info.compress_size] = body(bytes(buf[start: start + info.compress_size]))
    return bytes(buf)


@pytest.mark.parametrize("damage", ["crc", "stream", "size"])
def test_damaged_sheet_part_is_refused_before_parsing(tmp_path, damage):
    """The scan inflates the sheet itself (ISA-L): a wrong CRC, a broken deflate stream and a
    part that inflates past its declared size are all refused, never parsed."""
    rows = [("date", "vendor", "cost")] + [("2026-01-01", f"OpenAI {i}", i) for i in range(3000)]
    data = xlsx_bytes(rows)
    if damage == "crc":
        bad = _patch_sheet(data, {16: b"\x00\x00\x00\x00"}, {14: b"\x00\x00\x00\x00"})
    elif damage == "stream":
        bad = _patch_sheet(data, {}, body=lambda b: b[:100] + bytes(200) + b[300:])
    else:
        bad = _patch_sheet(data, {24: (1000).to_bytes(4, "little")}, {22: (1000).to_bytes(4, "little")})
    p = save(tmp_path, f"{damage}.xlsx", bad)
    with pytest.raises(UnreadableFile, match="damaged or truncated"):
        read_file(p)
    assert read_file(save(tmp_path, "fine.xlsx", data)).report.rows_imported == 3000


def test_zip_that_is_not_a_workbook(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(UnreadableFile, match="not an xlsx"):
        read_file(save(tmp_path, "x.xlsx", buf.getvalue()))


def test_binary_named_xlsx_and_csv(tmp_path):
    junk = bytes((i * 7919) % 256 for i in range(50_000))
    for name in ("junk.xlsx", "junk.csv"):
        with pytest.raises(UnreadableFile, match="binary"):
            read_file(save(tmp_path, name, junk))


def test_legacy_xls_refused(tmp_path):
    p = save(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(UnreadableFile, match="save it as .xlsx"):
        read_file(p)


def test_40000_character_cell(tmp_path):
    huge = "A" * 40_000
    p = save(tmp_path, "long.csv", f"date,vendor,cost,notes\n2026-01-01,{huge},5,x\n2026-01-02,OpenAI,6,{huge}\n"
             .encode())
    r = read_file(p)
    assert r.report.rows_rejected == 1
    e = r.report.errors[0]
    assert (e.row, e.column) == (2, "vendor")
    assert "longer than 4,096 characters" in e.message
    # the report never carries the whole cell, and says it was cut
    assert e.value == "A" * 200 + "… (40,000 characters)"
    assert r.frame["cost"].tolist() == [6_000_000]  # an unmapped long cell is harmless
    wb = openpyxl.Workbook()
    wb.active.append(["date", "vendor", "cost"])
    wb.active.append(["2026-01-01", huge[:32_000], 5])
    p2 = tmp_path / "long.xlsx"
    wb.save(p2)
    r2 = read_file(p2)
    assert r2.report.rows_rejected == 1


def test_file_size_limit(tmp_path):
    p = save(tmp_path, "u.csv", b"date,vendor,cost\n" + b"2026-01-01,OpenAI,1\n" * 100)
    with pytest.raises(UnsafeFile, match="limit"):
        read_file(p, limits=Limits(max_file_bytes=1000))
    with pytest.raises(UnsafeFile, match="empty"):
        read_file(save(tmp_path, "e.csv", b""))


def test_missing_file(tmp_path):
    with pytest.raises(UnreadableFile, match="cannot open"):
        read_file(tmp_path / "nope.csv")


def test_refuses_without_defusedxml(tmp_path, monkeypatch):
    import openpyxl as ox

    monkeypatch.setattr(ox, "DEFUSEDXML", False)
    with pytest.raises(safety.DefusedXmlMissing):
        safety.check_defusedxml()
    with pytest.raises(safety.DefusedXmlMissing):
        read_file(save(tmp_path, "ok.xlsx", xlsx_bytes()))


def test_json_size_limit(tmp_path):
    p = save(tmp_path, "big.json", b'{"data": [' + b'{"starting_at": "2025-01-01", "results": []},' * 2000 + b"{}]}")
    with pytest.raises(UnsafeFile, match="limit"):
        read_file(p, limits=Limits(max_json_bytes=10_000))


def test_password_protected_workbook_is_named_as_such(tmp_path):
    """Excel saves a password-protected .xlsx as an OLE2 compound file whose directory names
    an "EncryptedPackage" stream: not a legacy .xls, and the analyst is told what to do."""
    from desktop.ingest import source_header

    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1000
    directory = "Root Entry".encode("utf-16-le").ljust(128, b"\0") + \
        "EncryptionInfo".encode("utf-16-le").ljust(128, b"\0") + \
        "EncryptedPackage".encode("utf-16-le").ljust(128, b"\0")
    p = save(tmp_path, "locked.xlsx", ole + directory + b"\0" * 2000)
    for call in (read_file, source_header):
        with pytest.raises(UnreadableFile, match="protected with a password") as e:
            call(p)
        assert "legacy" not in str(e.value)
    old = save(tmp_path, "old.xls", ole + "Workbook".encode("utf-16-le").ljust(128, b"\0"))
    with pytest.raises(UnreadableFile, match="legacy Excel 97-2003"):
        read_file(old)


SHEETS = {
    "plain": "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>a b</t></is></c><c r="C{r}"><v>{r}</v></c></row>'
                     for r in range(1, 400)),
    "wide": "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c><c r="AB{r}"><v>2</v></c></row>' for r in range(1, 300))
            + '<row r="7000"><c r="CV7000"><v>3</v></c></row>',
    "out of order": '<row r="90000"><c r="B90000"><v>1</v></c></row>'
                    + "".join(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>' for r in range(1, 300)),
    "namespaced": "".join(f'<x:row r="{r}"><x:c r="D{r}"><x:v>1</x:v></x:c></x:row>' for r in range(1, 300)),
    "no references": "".join('<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>' for _ in range(300)),
}


@pytest.mark.parametrize("sheet", list(SHEETS))
@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_extent_scan_is_the_same_whatever_the_chunking(tmp_path, monkeypatch, sheet, chunk):
    """The scan joins only the seams between chunks: any chunking measures what one pass over
    the whole sheet measures (row numbers, widest column)."""
    cells = SHEETS[sheet]
    xml = sheet_xml(cells)
    if sheet == "namespaced":
        xml = xml.replace(b"<worksheet xmlns=", b"<x:worksheet xmlns:x=").replace(b"</worksheet>", b"</x:worksheet>") \
            .replace(b"<sheetData>", b"<x:sheetData>").replace(b"</sheetData>", b"</x:sheetData>")
    p = save(tmp_path, f"{chunk}.xlsx", rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": xml}))
    whole = safety.check_xlsx(p).sheets
    real = safety._inflated
    monkeypatch.setattr(safety, "_inflated", lambda zf, info, size=4 << 20: real(zf, info, chunk))
    assert safety.check_xlsx(p).sheets == whole
    want = {"plain": (399, 3), "wide": (7000, 100), "out of order": (90000, 2), "namespaced": (299, 4),
            "no references": (300, 3)}[sheet]
    assert (whole[0].rows, whole[0].cols) == want


def test_row_numbers_are_read_wherever_the_attribute_sits(tmp_path):
    """A row whose r attribute is not its first (allowed by the format) still counts: a far
    row cannot hide behind spans="..." and slip past the extent limits."""
    cells = ('<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c></row>'
             '<row spans="1:1" ht="15" r="1900000"><c><v>1</v></c></row>')
    p = save(tmp_path, "far.xlsx", rezip(xlsx_bytes(), {"xl/worksheets/sheet1.xml": sheet_xml(cells)}))
    assert safety.check_xlsx(p).sheets[0].rows == 1_900_000
    tight = Limits(max_rows=1_000_000)
    with pytest.raises(UnsafeFile, match="1,900,000 rows"):
        read_file(p, limits=tight)
