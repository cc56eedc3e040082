"""Raw usage rows in the brief: streamed sheet XML, split at Excel's row limit.

openpyxl's writer spends ~30 us per cell in Python; a million usage rows of 19 columns would take
ten minutes. These sheets are plain tables, so they are written directly as SpreadsheetML, a
chunk of rows at a time, with column-wise (numpy/pandas) formatting:

* text goes through desktop.brief.cells (``text_fragments``): the same rules as every other text
  cell (inline strings, quotePrefix style for risky leading characters, control characters shown,
  OOXML escapes, 32,767-character limit); it is cleaned once per distinct value;
* money (int64 micros) is written as its exact decimal spelling, dates as Excel serial days with
  a date style, quantities as floats, commit_eligible as yes/no.

The sheet plugs into openpyxl's write-only workbook: ExcelWriter calls ``close()`` and copies the
file it produced into the package, so styles, shared parts and relationships stay openpyxl's.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.packaging.relationship import RelationshipList
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import ALL_TEMP_FILES, create_temporary_file

from desktop.brief.cells import text_fragments
from desktop.domain import palette
from desktop.domain.progress import Progress

_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
CHUNK = 50_000
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_WIDTHS = {"date": 11, "vendor": 14, "cost": 13, "model": 22, "meter": 18, "team": 14, "project": 16,
           "api_key": 20, "workload": 20, "_file": 18, "_row": 9}


class _Writer:
    """What openpyxl's ExcelWriter needs from a worksheet writer."""

    def __init__(self, out: str):
        self.out = out
        self._rels = RelationshipList()

    def cleanup(self) -> None:
        os.remove(self.out)
        if self.out in ALL_TEMP_FILES:
            ALL_TEMP_FILES.remove(self.out)


class StreamedSheet(WriteOnlyWorksheet):
    """A write-only sheet whose XML a subclass writes itself (``_write(fh)``) when the workbook
    is saved: openpyxl copies the temporary file into the package. Used for the brief's raw
    usage and the app's table exports; a failed or cancelled write leaves no temporary file."""

    _closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        path = create_temporary_file(suffix=".xml")
        writer = _Writer(path)
        try:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                self._write(fh)
        except BaseException:  # Cancelled or a BriefError: leave no temporary file behind
            writer.cleanup()
            raise
        self._writer = writer
        self._closed = True

    def _write(self, fh) -> None:
        raise NotImplementedError


class RawUsageSheet(StreamedSheet):
    """Rows ``lo..hi-1`` of ``usage`` (columns ``cols`` = [(name, kind)]) with a header row."""

    def __init__(self, parent, title: str, usage: pd.DataFrame, cols: list[tuple[str, str]], lo: int, hi: int,
                 progress: Progress, done_before: int, total: int):
        super().__init__(parent, title)
        self._usage = usage
        self._cols = cols
        self._lo, self._hi = lo, hi
        self._progress = progress
        self._done_before = done_before
        self._total = total
        self._closed = False
        last = f"{get_column_letter(len(cols))}{hi - lo + 1}"
        self.auto_filter.ref = f"A1:{last}"
        self.freeze_panes = "A2"
        # style ids registered in the workbook's style table
        date = WriteOnlyCell(self)
        date.number_format = "yyyy-mm-dd"
        money = WriteOnlyCell(self)
        money.number_format = "#,##0.00####;-#,##0.00####"
        quoted = WriteOnlyCell(self)
        quoted.quotePrefix = True
        header = WriteOnlyCell(self)
        header.font = Font(bold=True, color="FFFFFFFF")
        header.fill = PatternFill("solid", fgColor=palette.excel_argb(palette.BLUE))
        self._sid = {"date": date.style_id, "money": money.style_id, "quoted": quoted.style_id,
                     "header": header.style_id}

    def close(self) -> None:
        super().close()
        self._usage = None

    # --- XML -----------------------------------------------------------------------------------
    def _write(self, fh) -> None:
        cols, n = self._cols, self._hi - self._lo
        last = f"{get_column_letter(len(cols))}{n + 1}"
        fh.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
        fh.write(f"<worksheet {_NS}><dimension ref=\"A1:{last}\"/>")
        fh.write('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                 'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" '
                 'sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/><cols>')
        for j, (name, _) in enumerate(cols, 1):
            fh.write(f'<col min="{j}" max="{j}" width="{_WIDTHS.get(name, 12)}" customWidth="1"/>')
        fh.write("</cols><sheetData>")
        head = [c for c, _ in cols]
        esc, _ = text_fragments(head)
        fh.write('<row r="1">' + "".join(
            f'<c r="{get_column_letter(j)}1" s="{self._sid["header"]}" t="inlineStr"><is><t>{e}</t></is></c>'
            for j, e in enumerate(esc, 1)) + "</row>")
        letters = [get_column_letter(j) for j in range(1, len(cols) + 1)]
        for start in range(self._lo, self._hi, CHUNK):
            stop = min(self._hi, start + CHUNK)
            part = self._usage.iloc[start:stop]
            rn = (np.arange(start - self._lo + 2, stop - self._lo + 2)).astype(str).astype(object)
            frags = [self._column(part[name], kind, letter, rn)
                     for (name, kind), letter in zip(cols, letters, strict=True)]
            row_open = '<row r="' + rn + '">'
            fh.write("".join(a + "".join(t) + "</row>" for a, *t in zip(row_open, *frags, strict=True)))
            done = self._done_before + (stop - self._lo)
            self._progress.step(done / self._total, f"Writing usage rows ({done:,} of {self._total:,})")
        fh.write(f'</sheetData><autoFilter ref="A1:{last}"/>'
                 '<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
                 '<pageSetup paperSize="9" orientation="landscape"/></worksheet>')

    def _column(self, s: pd.Series, kind: str, letter: str, rn: np.ndarray) -> np.ndarray:
        ref = ('<c r="' + letter) + rn
        out = np.full(len(s), "", dtype=object)
        if kind == "date":
            days = s.to_numpy("datetime64[D]")
            ok = ~np.isnat(days)
            serial = (days[ok] - _EXCEL_EPOCH).astype(np.int64).astype(str).astype(object)
            out[ok] = ref[ok] + f'" s="{self._sid["date"]}"><v>' + serial + "</v></c>"
        elif kind == "money":
            m = s.to_numpy(np.int64)
            a = np.abs(m)
            sign = np.where(m < 0, "-", "").astype(object)
            whole = (a // 1_000_000).astype(str).astype(object)
            frac = pd.Series(a % 1_000_000).astype(str).str.zfill(6).to_numpy(object)
            out[:] = ref + f'" s="{self._sid["money"]}"><v>' + sign + whole + "." + frac + "</v></c>"
        elif kind == "float":
            x = s.to_numpy("float64", na_value=np.nan)
            ok = np.isfinite(x)
            out[ok] = ref[ok] + '"><v>' + pd.Series(x[ok]).map(repr).to_numpy(object) + "</v></c>"
        elif kind == "int":
            out[:] = ref + '"><v>' + s.to_numpy(np.int64).astype(str).astype(object) + "</v></c>"
        else:
            if kind == "bool":
                vals = pd.Series(np.where(s.fillna(True).to_numpy(bool), "yes", "no"), dtype="string")
            else:
                vals = s.astype("string")
            codes, uniques = pd.factorize(vals, use_na_sentinel=True)
            if len(uniques):
                where = f"sheet {self.title!r}, column {letter}"
                esc, quoted = text_fragments(list(uniques), where=where)
                qs = f' s="{self._sid["quoted"]}"'
                tails = np.array([(qs if q else "") + ' t="inlineStr"><is><t xml:space="preserve">' + e
                                  + "</t></is></c>" for e, q in zip(esc, quoted, strict=True)], dtype=object)
                ok = codes >= 0
                out[ok] = ref[ok] + '"' + tails[codes[ok]]
        return out


def add_raw_usage(book: Any, usage: pd.DataFrame, cols: list[tuple[str, str]], title: str, rows_per_sheet: int,
                  progress: Progress) -> list[RawUsageSheet]:
    n = len(usage)
    nsheets = max(1, -(-n // rows_per_sheet))
    sheets = []
    for k in range(nsheets):
        lo, hi = k * rows_per_sheet, min(n, (k + 1) * rows_per_sheet)
        name = title if nsheets == 1 else f"{title} {k + 1}"
        ws = RawUsageSheet(book.wb, name, usage, cols, lo, hi, progress, lo, n)
        book.wb._add_sheet(ws)
        sheets.append(ws)
    return sheets
