"""Reading a written brief back the way an analyst's tools would."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
from openpyxl.utils import range_boundaries

from desktop.brief.cells import decode


def load(data: bytes, data_only: bool = False) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), data_only=data_only)


def table(ws, name: str) -> list[dict]:
    """Rows of the Excel table ``name`` (by its display-name prefix) as dicts keyed by header."""
    matches = [t for t in ws.tables.values() if t.displayName == name]
    assert matches, f"no table {name} in {ws.title}: {list(ws.tables)}"
    t = matches[0]
    c1, r1, c2, r2 = range_boundaries(t.ref)
    headers = [ws.cell(r1, c).value for c in range(c1, c2 + 1)]
    assert headers == [col.name for col in t.tableColumns]
    out = []
    for r in range(r1 + 1, r2 + 1):
        row = {}
        for j, h in enumerate(headers):
            cell = ws.cell(r, c1 + j)
            v = cell.value
            row[h] = decode(v) if isinstance(v, str) and cell.data_type == "s" else v
            row[h + "@cell"] = cell
        out.append(row)
    return out


def money(v) -> Decimal:
    """A money cell read back: it must be a number; returned as Decimal cents."""
    assert isinstance(v, (int, float)) and not isinstance(v, bool), f"money cell holds {v!r}"
    return Decimal(repr(float(v))).quantize(Decimal("0.01"))


def label_values(ws, col_label: int, col_value: int) -> dict:
    out = {}
    for r in range(1, ws.max_row + 1):
        label = ws.cell(r, col_label).value
        if isinstance(label, str):
            out[label] = ws.cell(r, col_value).value
    return out
