"""The Excel working brief: Analysis -> .xlsx (openpyxl, write-only). Pure: no Qt, no widgets.

``write_brief(analysis, out=None, *, sections=None, actions=None, raw_usage=False, progress=None)``
writes ``out`` (atomically: a temporary file in the same folder, then renamed) or returns the
bytes when ``out`` is None. See docs/brief.md for what each sheet holds.
"""

from __future__ import annotations

import io
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from desktop.brief import sheets
from desktop.brief.actions import normalize as normalize_actions
from desktop.brief.book import MAX_ROWS, Book
from desktop.brief.cells import BriefError, safe_row_values
from desktop.brief.data import burn_up, raw_kinds
from desktop.domain.progress import Progress, ensure, sub
from desktop.domain.results import Analysis

__all__ = ["SECTIONS", "BriefError", "write_brief"]

SECTIONS = ("summary", "pacing", "exposure", "invoices", "budgets", "anomalies", "renewal", "actions",
            "chargeback", "assumptions", "data")

_BUILDERS = {
    "summary": sheets.summary,
    "pacing": sheets.pacing,
    "exposure": sheets.exposure,
    "invoices": sheets.invoices,
    "budgets": sheets.budgets,
    "anomalies": sheets.anomalies,
    "renewal": sheets.renewal,
    "actions": sheets.actions,
    "chargeback": sheets.chargeback,
    "assumptions": sheets.assumptions,
    "data": sheets.data,
}

RAW_TITLE = "Usage rows"
RAW_ROWS_PER_SHEET = MAX_ROWS - 1  # one header row per sheet


def _sections(sections: list[str] | None) -> list[str]:
    if not sections:
        return list(SECTIONS)
    wanted = []
    for s in sections:
        for part in str(s).split(","):
            key = part.strip().lower()
            if not key:
                continue
            if key not in SECTIONS:
                raise BriefError(f"unknown brief section {part.strip()!r}; choose from {', '.join(SECTIONS)}")
            if key not in wanted:
                wanted.append(key)
    if "pacing" in wanted and "data" not in wanted:
        wanted.append("data")  # the burn-up charts read the Data sheet
    return [s for s in SECTIONS if s in wanted]


def write_brief(analysis: Analysis, out: Path | str | None = None, *, sections: list[str] | None = None,
                actions: list | None = None, raw_usage: bool = False,
                progress: Progress | None = None) -> bytes | None:
    prog = ensure(progress)
    wanted = _sections(sections)
    prog.step(0.0, "Preparing the brief")
    ctx = sheets.Context(analysis=analysis, actions=normalize_actions(actions, analysis),
                         generated=datetime.now(UTC).replace(tzinfo=None))
    if "data" in wanted:
        row = sheets.HEADER_ROW
        for c in analysis.contracts:
            rows = burn_up(c, analysis.as_of, analysis.usage)
            ctx.burn[c.contract_id] = rows
            if rows:
                ctx.burn_rows[c.contract_id] = (row + 1, row + len(rows))
                row += len(rows)
    book = Book()
    _properties(book, analysis, wanted)
    built = []
    raw_share = 0.6 if raw_usage else 0.0
    for i, key in enumerate(wanted):
        prog.step(0.05 + 0.5 * (1 - raw_share) * i / len(wanted), f"Writing {key}")
        built.append(_BUILDERS[key](book, ctx))
    if raw_usage:
        _raw_usage(book, analysis, sub(prog, 0.3, 0.9))
    prog.step(0.9, "Saving")
    for s in built:
        s.flush()
    if out is None:
        buf = io.BytesIO()
        book.wb.save(buf)
        prog.step(1.0, "Done")
        return buf.getvalue()
    out = Path(out)
    fd, tmp = tempfile.mkstemp(prefix=".brief-", suffix=".xlsx", dir=out.parent)
    os.close(fd)
    try:
        book.wb.save(tmp)
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    prog.step(1.0, "Done")
    return None


def _properties(book: Book, analysis: Analysis, wanted: list[str]) -> None:
    p = book.wb.properties
    p.title = f"CommitDesk working brief as of {analysis.as_of:%Y-%m-%d}"
    p.subject = "AI vendor commitments: pacing, exposure, invoices, budgets, renewal"
    p.creator = "CommitDesk"
    p.lastModifiedBy = "CommitDesk"
    p.keywords = "CommitDesk; commitments; FinOps; " + "; ".join(wanted)
    vendors = sorted({c.vendor for c in analysis.contracts})
    p.description = (f"Reporting currency {analysis.currency}; contracts: "
                     + (", ".join(c.contract_id for c in analysis.contracts) or "none")
                     + (f"; vendors: {', '.join(vendors)}" if vendors else ""))[:1000]
    p.category = "Working brief"
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    p.created = now
    p.modified = now


def _raw_usage(book: Book, analysis: Analysis, prog: Progress) -> None:
    """The analysed usage rows, streamed, split across sheets at Excel's row limit."""
    usage = analysis.usage
    if usage is None or len(usage) == 0:
        ws = book.raw_sheet(RAW_TITLE)
        ws.append(["no usage rows"])
        return
    cols = raw_kinds(usage)
    n = len(usage)
    nsheets = -(-n // RAW_ROWS_PER_SHEET)
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    from desktop.brief.book import DATE_FMT, MONEY_FMT, argb
    from desktop.domain import palette

    chunk = 50_000
    done = 0
    for k in range(nsheets):
        title = RAW_TITLE if nsheets == 1 else f"{RAW_TITLE} {k + 1}"
        ws = book.raw_sheet(title)
        widths = {"date": 11, "vendor": 14, "cost": 13, "_file": 18}
        for j, (c, _) in enumerate(cols, 1):
            from openpyxl.utils import get_column_letter

            ws.column_dimensions[get_column_letter(j)].width = widths.get(c, 12)
        ws.freeze_panes = "A2"
        header = []
        for c, _ in cols:
            cell = WriteOnlyCell(ws)
            from desktop.brief.cells import set_text

            set_text(cell, c)
            cell.font = Font(bold=True, color="FFFFFFFF")
            cell.fill = PatternFill("solid", fgColor=argb(palette.BLUE))
            header.append(cell)
        ws.append(header)
        lo = k * RAW_ROWS_PER_SHEET
        hi = min(n, lo + RAW_ROWS_PER_SHEET)
        date_proto = WriteOnlyCell(ws)
        date_proto.number_format = DATE_FMT
        money_proto = WriteOnlyCell(ws)
        money_proto.number_format = MONEY_FMT
        for start in range(lo, hi, chunk):
            stop = min(hi, start + chunk)
            part = usage.iloc[start:stop]
            columns = [_column_values(ws, part[c], kind, date_proto, money_proto) for c, kind in cols]
            for row in zip(*columns, strict=True):
                ws.append(row)
            done += stop - start
            prog.step(done / n, f"Writing usage rows ({done:,} of {n:,})")
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{hi - lo + 1}"


def _column_values(ws: Any, series: Any, kind: str, date_proto: Any, money_proto: Any) -> list:
    from copy import copy

    from openpyxl.cell import WriteOnlyCell

    if kind == "date":
        days = series.to_numpy("datetime64[D]")
        out = []
        for d in days:
            if np.isnat(d):
                out.append(None)
                continue
            c = WriteOnlyCell(ws, value=int((d - np.datetime64("1899-12-30", "D")).astype(int)))
            c._style = copy(date_proto._style)
            out.append(c)
        return out
    if kind == "money":
        out = []
        for m in series.to_numpy(np.int64):
            c = WriteOnlyCell(ws, value=round(int(m) / 1_000_000, 6))
            c._style = copy(money_proto._style)
            out.append(c)
        return out
    if kind == "float":
        arr = series.to_numpy("float64", na_value=np.nan)
        return [None if np.isnan(x) else float(x) for x in arr]
    if kind == "int":
        return [int(x) for x in series.to_numpy(np.int64)]
    if kind == "bool":
        return ["yes" if bool(x) else "no" for x in series.fillna(True).to_numpy(bool)]
    return safe_row_values(ws, series)
