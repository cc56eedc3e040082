"""Small workbooks for the hostile-file tests: a real openpyxl workbook, then parts of its zip
replaced, renamed or added (one helper for every test that crafts an xlsx)."""

from __future__ import annotations

import io
import zipfile

import openpyxl

SHEET1 = "xl/worksheets/sheet1.xml"


def xlsx_bytes(rows=(("date", "vendor", "cost"), ("2026-01-01", "OpenAI", 5))) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rezip(data: bytes, replace: dict[str, bytes], add: dict[str, bytes] | None = None,
          compression=zipfile.ZIP_DEFLATED, rename: dict[str, str] | None = None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    rename = rename or {}
    with zipfile.ZipFile(out, "w", compression) as z:
        for info in src.infolist():
            z.writestr(rename.get(info.filename, info.filename), replace.get(info.filename, src.read(info.filename)))
        for k, v in (add or {}).items():
            z.writestr(k, v)
    return out.getvalue()


def patched_sheet(old: bytes, new: bytes) -> bytes:
    """The default two-row workbook with ``old`` replaced by ``new`` in its first sheet's XML."""
    data = xlsx_bytes()
    sheet = zipfile.ZipFile(io.BytesIO(data)).read(SHEET1)
    return rezip(data, {SHEET1: sheet.replace(old, new)})
