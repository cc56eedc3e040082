"""Every table exports, one way: Excel, CSV and Copy on every page's tables (wired through the
table's context menu, ``DataTable``, and the page, ``Page.export_tables``), the rows behind a
number from the explain dialog, and the PDF summary / print of the main window.

What is written is the model's raw values (``Col.value``: Decimal money, the ratio behind a
percentage, ``datetime.date``), never the display strings:

* Excel (openpyxl, write-only): numbers as numbers with the brief's number formats (money
  ``#,##0.00``, percentages ``0.0%``, dates ``yyyy-mm-dd``), the header row frozen, an autofilter
  over the rows; text through ``desktop.brief.cells`` (``text_fragments``: the rules of
  ``set_text``), so imported text never becomes a formula or an error value;
* CSV: UTF-8 (with a byte-order mark, so Excel reads it as UTF-8), comma separated, raw numbers
  with a point as decimal separator and no thousands separators, percentages as ratios
  (0.436), ISO dates; a text whose first non-blank character would start a formula
  (``cells.needs_quote_prefix``) is written with a leading apostrophe;
* Copy: the clipboard carries tab-separated text and an HTML table whose cells carry their
  value for Excel (``x:num`` and ``mso-number-format``), so a paste into Excel gives numbers
  and dates in any locale, and text cells stay text.

File names default to "CommitDesk <page> - <table> <as-of>.<ext>" in the last folder used
(kept in QSettings); after an export a message offers "Open" and "Show in folder".
"""

from __future__ import annotations

import csv
import html
import os
import re
import sys
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from PySide6.QtCore import QMimeData, QObject, QProcess, QSettings, QStandardPaths, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from desktop.brief.book import DATE_FMT, INT_FMT, MONEY_FMT, PCT_FMT, RATIO_FMT, argb
from desktop.brief.cells import BriefError, needs_quote_prefix, text_fragments
from desktop.brief.files import publish, temp_beside
from desktop.brief.raw import StreamedSheet
from desktop.domain import palette
from desktop.domain.progress import Progress, ensure
from desktop.ui.models.table import Col
from desktop.ui.workers import TaskRunner

LAST_FOLDER_KEY = "exports/lastFolder"
EXCEL_MAX_ROWS = 1_048_576
COPY_MAX_ROWS = 100_000  # more than this goes to a file, not the clipboard
MONEY_KINDS = ("micros", "money")
_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


# --- where files go ------------------------------------------------------------------------------
def last_folder() -> Path:
    """The folder of the last export (QSettings), else Documents, else home."""
    saved = QSettings().value(LAST_FOLDER_KEY, "", type=str)
    if saved and Path(saved).is_dir():
        return Path(saved)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) if docs and Path(docs).is_dir() else Path.home()


def remember_folder(path: Path | str) -> None:
    QSettings().setValue(LAST_FOLDER_KEY, str(Path(path).parent))


def file_stem(*parts: str | None) -> str:
    """'CommitDesk', 'Usage', 'breakdown', '2026-11-15' -> 'CommitDesk Usage - breakdown 2026-11-15'
    (characters a file system refuses replaced)."""
    words = [p.strip() for p in parts if p and p.strip()]
    if len(words) >= 4:  # app, page, table, date
        text = f"{words[0]} {words[1]} - {' '.join(words[2:-1])} {words[-1]}"
    else:
        text = " ".join(words)
    return _UNSAFE_NAME.sub("-", text).strip(" .") or "CommitDesk export"


def default_path(name: str, ext: str) -> Path:
    return last_folder() / f"{name}.{ext}"


def ask_save_path(parent: QWidget | None, caption: str, name: str, ext: str, filter_text: str) -> Path | None:
    path, _ = QFileDialog.getSaveFileName(parent, caption, str(default_path(name, ext)), filter_text)
    if not path:
        return None
    out = Path(path)
    if out.suffix.lower() != f".{ext}":
        out = out.with_name(out.name + f".{ext}")
    remember_folder(out)
    return out


# --- values --------------------------------------------------------------------------------------
def number_format(c: Col) -> str | None:
    """The Excel number format of a column (None for text)."""
    if c.kind in MONEY_KINDS:
        return MONEY_FMT
    if c.kind == "pct":
        return PCT_FMT if c.digits <= 2 else "0." + "0" * (c.digits - 1) + "%"
    if c.kind == "ratio":
        return RATIO_FMT
    if c.kind == "int":
        return INT_FMT
    if c.kind == "date":
        return DATE_FMT
    if c.kind == "float":
        return "#,##0" + ("." + "0" * c.digits if c.digits > 0 else "")
    if c.kind == "qty":  # a quantity keeps its own decimals (fmt.quantity)
        return "General"
    return None


def plain_number(value: Any, kind: str) -> str:
    """A value as CSV/TSV text: point decimals, no thousands separators, money with at least
    two decimals (more when the value has them), dates ISO, None empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        if kind in MONEY_KINDS and value.as_tuple().exponent > -2:
            value = value.quantize(Decimal("0.01"))
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def safe_text(text: str) -> str:
    """Text for CSV/TSV: a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if needs_quote_prefix(text) else text


def cell_text(c: Col, i: int) -> str:
    v = c.value(i)
    if c.kind == "text":
        return "" if v is None else safe_text(v)
    return plain_number(v, c.kind)


# --- writers (pure of widgets: they run in a worker) ---------------------------------------------
def write_csv(out: Path | str, cols: Sequence[Col], rows: np.ndarray, progress: Progress | None = None) -> Path:
    """``rows`` (source rows, in order) of ``cols`` as CSV; written beside, then renamed."""
    out = Path(out)
    prog = ensure(progress)
    tmp = temp_beside(out, ".export-", ".csv")
    try:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([c.title for c in cols])
            n = len(rows)
            for k, r in enumerate(rows.tolist()):
                if k % 20_000 == 0:
                    prog.step(k / max(1, n), f"Writing row {k:,} of {n:,}")
                w.writerow([cell_text(c, r) for c in cols])
    except BaseException:
        os.remove(tmp)
        raise
    return publish(tmp, out)


def _sheet_title(name: str) -> str:
    t = re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31].strip("'")
    return t or "Table"


class TableSheet(StreamedSheet):
    """A table as SpreadsheetML, written column-wise a chunk of rows at a time (openpyxl's cell
    writer spends ~30 us a cell: a 100,000-row table took over a minute). Text goes through
    ``desktop.brief.cells.text_fragments``: the same rules as ``set_text`` (inline strings,
    quotePrefix on text a spreadsheet would read as a formula, control characters shown, OOXML
    escapes, the 32,767-character limit), cleaned once per distinct value. Plugs into openpyxl's
    write-only workbook, which keeps the styles, shared parts and relationships."""

    CHUNK = 20_000

    def __init__(self, parent, title: str, cols: Sequence[Col], rows: np.ndarray, widths: Sequence[float],
                 progress: Progress):
        super().__init__(parent, title)
        self._cols, self._rows, self._widths, self._progress = list(cols), rows, list(widths), progress
        self._closed = False
        self.freeze_panes = "A2"
        self.print_title_rows = "1:1"
        font = Font(name="Arial")
        head_font = Font(name="Arial", bold=True, color="FFFFFFFF")
        head_fill = PatternFill("solid", fgColor=argb(palette.BLUE))
        head = WriteOnlyCell(self)
        head.font, head.fill = head_font, head_fill
        head.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        head_num = WriteOnlyCell(self)
        head_num.font, head_num.fill = head_font, head_fill
        head_num.alignment = Alignment(horizontal="right", vertical="center", wrap_text=True)
        quoted = WriteOnlyCell(self)
        quoted.font = font
        quoted.quotePrefix = True
        plain = WriteOnlyCell(self)
        plain.font = font
        self._head = [head_num.style_id if c.kind not in ("text", "date") else head.style_id for c in self._cols]
        self._quoted, self._plain = quoted.style_id, plain.style_id
        self._style = []
        for c in self._cols:
            t = WriteOnlyCell(self)
            t.font = font
            fmt = number_format(c)
            if fmt is not None:
                t.number_format = fmt
            if c.kind == "date":
                t.alignment = Alignment(horizontal="left")
            self._style.append(t.style_id)

    def _write(self, fh) -> None:
        cols, n = self._cols, len(self._rows)
        letters = [get_column_letter(j) for j in range(1, len(cols) + 1)]
        last = f"{letters[-1] if letters else 'A'}{n + 1}"
        fh.write('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n')
        fh.write(f'<worksheet {_NS}><sheetPr><pageSetUpPr fitToPage="1"/></sheetPr><dimension ref="A1:{last}"/>')
        fh.write('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                 'state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
                 '<sheetFormatPr defaultRowHeight="15"/>')
        if cols:
            fh.write("<cols>" + "".join(f'<col min="{j}" max="{j}" width="{w:g}" customWidth="1"/>'
                                        for j, w in enumerate(self._widths, 1)) + "</cols>")
        fh.write("<sheetData>")
        esc, _ = text_fragments([c.title for c in cols], where=f"sheet {self.title!r}, header")
        fh.write('<row r="1">' + "".join(f'<c r="{letters[j]}1" s="{self._head[j]}" t="inlineStr"><is><t '
                                         f'xml:space="preserve">{e}</t></is></c>' for j, e in enumerate(esc)) + "</row>")
        tails = [self._text_tails(c, letters[j]) if c.kind == "text" else None for j, c in enumerate(cols)]
        for start in range(0, n, self.CHUNK):
            self._progress.step(0.9 * start / max(1, n), f"Writing row {start:,} of {n:,}")
            part = self._rows[start:start + self.CHUNK]
            rn = np.arange(start + 2, start + 2 + len(part)).astype(str).astype(object)
            frags = [self._column(c, part, letters[j], rn, self._style[j], tails[j]) for j, c in enumerate(cols)]
            opens = '<row r="' + rn + '">'
            fh.write("".join(a + "".join(t) + "</row>" for a, *t in zip(opens, *frags, strict=True)))
        fh.write("</sheetData>")
        if cols:
            fh.write(f'<autoFilter ref="A1:{last}"/>')
        fh.write('<pageMargins left="0.4" right="0.4" top="0.5" bottom="0.5" header="0.3" footer="0.3"/>'
                 '<pageSetup orientation="landscape" fitToWidth="1" fitToHeight="0"/></worksheet>')

    def _text_tails(self, c: Col, letter: str) -> np.ndarray:
        """Per distinct text (and a trailing empty for no text): the rest of its cell's XML."""
        esc, quoted = text_fragments([str(u) for u in c.uniques], where=f"sheet {self.title!r}, column {letter}")
        tails = [f' s="{self._quoted if q else self._plain}" t="inlineStr"><is><t xml:space="preserve">{e}'
                 "</t></is></c>" for e, q in zip(esc, quoted, strict=True)]
        return np.array([*tails, ""], dtype=object)

    @staticmethod
    def _column(c: Col, rows: np.ndarray, letter: str, rn: np.ndarray, style: int,
                tails: np.ndarray | None) -> np.ndarray:
        ref = ('<c r="' + letter) + rn
        out = ref + f'" s="{style}"/>'  # an empty cell keeps its column's style (a value typed in later)
        v = c.values[rows]
        head = f'" s="{style}"><v>'
        if c.kind == "text":
            codes = v.astype(np.int64)
            ok = codes >= 0
            out[ok] = ref[ok] + '"' + tails[codes[ok]]
        elif c.kind == "micros":
            m = v.astype(np.int64)
            a = np.abs(m)
            sign = np.where(m < 0, "-", "").astype(object)
            frac = pd.Series(a % 1_000_000).astype(str).str.zfill(6).to_numpy(object)
            out[:] = ref + head + sign + (a // 1_000_000).astype(str).astype(object) + "." + frac + "</v></c>"
        elif c.kind == "money":
            ok = np.array([x is not None for x in v], dtype=bool)
            text = np.array([format(Decimal(x), "f") for x in v[ok]], dtype=object)
            out[ok] = ref[ok] + head + text + "</v></c>"
        elif c.kind == "date":
            days = v.astype("datetime64[D]")
            ok = ~np.isnat(days)
            serial = (days[ok] - _EXCEL_EPOCH).astype(np.int64).astype(str).astype(object)
            out[ok] = ref[ok] + head + serial + "</v></c>"
        elif c.kind == "int":
            out[:] = ref + head + v.astype(np.int64).astype(str).astype(object) + "</v></c>"
        else:  # float, pct (the ratio), ratio
            x = v.astype(np.float64)
            ok = np.isfinite(x)
            out[ok] = ref[ok] + head + pd.Series(x[ok]).map(repr).to_numpy(object) + "</v></c>"
        return out


def write_xlsx(out: Path | str, cols: Sequence[Col], rows: np.ndarray, sheet: str = "Table",
               progress: Progress | None = None, widths: Sequence[float] | None = None) -> Path:
    """``rows`` of ``cols`` as a workbook of one sheet (``TableSheet``): typed cells with number
    formats, the header frozen and repeated on printed pages, an autofilter, landscape one page
    wide; text through the brief's safe text rules."""
    out = Path(out)
    prog = ensure(progress)
    n = len(rows)
    if n + 1 > EXCEL_MAX_ROWS:
        raise BriefError(f"{n:,} rows do not fit on one Excel sheet (at most {EXCEL_MAX_ROWS - 1:,} below the "
                         "header); filter the table first, or export it as CSV", file=str(out))
    if widths is None:
        widths = [max(10.0, min(48.0, len(c.title) * 1.2 + 4)) for c in cols]
    wb = Workbook(write_only=True)
    ws = TableSheet(wb, _sheet_title(sheet), cols, np.asarray(rows, dtype=np.int64), widths, prog)
    wb._add_sheet(ws)
    prog.step(0.0, "Writing the workbook")
    tmp = temp_beside(out, ".export-", ".xlsx")
    try:
        wb.save(tmp)  # the sheet's rows are written here (TableSheet.close)
    except BaseException:
        os.remove(tmp)
        raise
    return publish(tmp, out)


def clipboard_payload(cols: Sequence[Col], rows: Sequence[int], header: bool = True) -> tuple[str, str]:
    """(tab-separated text, HTML table) of ``rows`` x ``cols``: what Copy puts on the clipboard."""
    lines = []
    if header:
        lines.append("\t".join(_tsv(c.title) for c in cols))
    for r in rows:
        lines.append("\t".join(_tsv(cell_text(c, r)) for c in cols))
    tsv = "\r\n".join(lines) + "\r\n"
    out = ['<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8"></head>'
           "<body><table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{html.escape(c.title)}</th>" for c in cols) + "</tr>")
    for r in rows:
        out.append("<tr>" + "".join(_html_cell(c, r) for c in cols) + "</tr>")
    out.append("</table></body></html>")
    return tsv, "".join(out)


def _tsv(text: str) -> str:
    return text.replace("\t", " ").replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def _mso(fmt: str) -> str:
    """An Excel number format as an mso-number-format value (every non-alphanumeric escaped)."""
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in fmt)


def _html_cell(c: Col, r: int) -> str:
    v = c.value(r)
    if v is None:
        return "<td></td>"
    if c.kind == "text":
        return f"<td style=\"mso-number-format:'\\@'\">{html.escape(v)}</td>"
    fmt = number_format(c)
    style = f" style=\"mso-number-format:'{_mso(fmt)}'\"" if fmt else ""
    if c.kind == "date":
        return f"<td{style}>{v.isoformat()}</td>"
    text = plain_number(v, c.kind)
    shown = f"{float(v) * 100:.{max(1, c.digits - 1)}f}%" if c.kind == "pct" else text
    return f'<td x:num="{text}"{style}>{html.escape(shown)}</td>'


# --- a table on screen ---------------------------------------------------------------------------
def visible_columns(table) -> list[Col]:
    """The columns a DataTable shows (hidden empty columns left out), in model order."""
    m = table.table_model
    return [c for i, c in enumerate(m.columns) if not table.isColumnHidden(i)]


def _page_of(widget: QWidget):
    from desktop.ui.pages.base import Page

    w = widget.parentWidget()
    while w is not None and not isinstance(w, Page):
        w = w.parentWidget()
    return w


def table_name(table) -> tuple[str, str, str | None]:
    """(page title, table name, as-of text) for default file names and sheet titles."""
    name = getattr(table, "export_name", "") or ""
    page = _page_of(table)
    if page is None:
        return "", name, None
    as_of = page.analysis.as_of.isoformat() if page.analysis is not None else None
    return page.title, name or page.table_title(table), as_of


def table_stem(table) -> str:
    page, name, as_of = table_name(table)
    parts = ["CommitDesk", page or name or "table"]
    if page and name:
        parts.append(name)
    if as_of:
        parts.append(as_of)
    return file_stem(*parts)


def _char_widths(table, cols: Sequence[Col]) -> list[float]:
    """Excel column widths (characters) from the widths on screen."""
    m = table.table_model
    out = []
    for c in cols:
        px = table.columnWidth(m.columns.index(c))
        out.append(float(max(8, min(60, round(px / 7.0) + 1))))  # an Excel width unit is about 7 px
    return out


class TableExports(QObject):
    """The exports of one DataTable: its own worker (a big table is written off the GUI
    thread), registered with the page's session for the status bar."""

    def __init__(self, table):
        super().__init__(table)
        self.table = table
        self.runner = TaskRunner("export", self)
        self.runner.finished.connect(self._written)
        self.runner.failed.connect(self._failed)
        self.last_path: Path | None = None
        self.message: QMessageBox | None = None
        page = _page_of(table)
        if page is not None and hasattr(page.session, "register_runner"):
            session, runner = page.session, self.runner
            session.register_runner(runner)  # the status bar shows it; shutdown waits for it
            table.destroyed.connect(lambda *_: session.unregister_runner(runner))

    def export(self, fmt: str, path: Path | str | None = None, visible_only: bool = True) -> bool:
        """Export the rows shown as ``fmt`` ("xlsx" | "csv"); asks for a file when ``path`` is None.
        Returns False when nothing is written (no file chosen)."""
        t = self.table
        stem = table_stem(t)
        if path is None:
            caption, filt = {"xlsx": ("Export to Excel", "Excel workbook (*.xlsx)"),
                             "csv": ("Export as CSV", "CSV, UTF-8 (*.csv)")}[fmt]
            path = ask_save_path(t, caption, stem, fmt, filt)
            if path is None:
                return False
        path = Path(path)
        cols = visible_columns(t)
        rows = t.table_model.export_rows(visible_only)
        if fmt == "xlsx":
            sheet = table_name(t)[1] or table_name(t)[0] or "Table"
            widths = _char_widths(t, cols)
            self.runner.start(lambda p: write_xlsx(path, cols, rows, sheet, p, widths),
                              label=f"Writing {path.name}")
        else:
            self.runner.start(lambda p: write_csv(path, cols, rows, p), label=f"Writing {path.name}")
        return True

    def _written(self, path: Path) -> None:
        self.last_path = Path(path)
        self.message = show_written(self.table, Path(path), f"{self.table.table_model.rowCount():,} rows written")

    def _failed(self, exc) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Export failed", str(exc), QMessageBox.StandardButton.Close,
                          self.table)
        box.setObjectName("exportFailedBox")
        self.message = box
        box.open()


def exports_of(table) -> TableExports:
    ex = getattr(table, "_exports", None)
    if ex is None:
        ex = TableExports(table)
        table._exports = ex
    return ex


def copy_cells(table, whole: bool = False) -> tuple[str, str] | None:
    """Copy the selected cells (or, with ``whole`` or no selection, the table shown with its
    header) as TSV + HTML. Returns what was put on the clipboard."""
    m = table.table_model
    cols_all = m.columns
    idx = [] if whole else table.selectionModel().selectedIndexes()
    count = len({i.row() for i in idx}) if idx else m.rowCount()
    if count > COPY_MAX_ROWS:
        box = QMessageBox(QMessageBox.Icon.Information, "Too many rows to copy",
                          f"{count:,} rows are more than the clipboard should carry (at most {COPY_MAX_ROWS:,}). "
                          "Filter the table, or use Export to Excel or Export as CSV.",
                          QMessageBox.StandardButton.Close, table)
        box.setObjectName("copyTooBigBox")
        table._copy_box = box
        box.open()
        return None
    if idx:
        view_rows = sorted({i.row() for i in idx})
        col_ix = sorted({i.column() for i in idx if not table.isColumnHidden(i.column())})
        cols = [cols_all[c] for c in col_ix]
        rows = [m.source_row(r) for r in view_rows]
        tsv, html_text = clipboard_payload(cols, rows, header=False)
    else:
        tsv, html_text = clipboard_payload(visible_columns(table), m.export_rows().tolist(), header=True)
    mime = QMimeData()
    mime.setText(tsv)
    mime.setHtml(html_text)
    QGuiApplication.clipboard().setMimeData(mime)
    return tsv, html_text


def add_table_actions(menu: QMenu, table) -> None:
    """The export entries of a table's context menu."""
    menu.addAction("Copy", lambda: copy_cells(table))
    menu.addAction("Copy table (with header)", lambda: copy_cells(table, whole=True))
    menu.addSeparator()
    menu.addAction("Export to Excel…", lambda: exports_of(table).export("xlsx"))
    menu.addAction("Export as CSV…", lambda: exports_of(table).export("csv"))


# --- after an export -----------------------------------------------------------------------------
def open_file(path: Path) -> bool:
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def show_in_folder(path: Path) -> bool:
    """The file selected in the system's file manager where it can (Windows, macOS), else its folder."""
    path = Path(path)
    if sys.platform == "win32":
        return QProcess.startDetached("explorer", [f"/select,{os.path.normpath(path)}"])[0]
    if sys.platform == "darwin":
        return QProcess.startDetached("open", ["-R", str(path)])[0]
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))


def show_written(parent: QWidget | None, path: Path, detail: str = "") -> QMessageBox:
    """'<file> written' with Open / Show in folder / Close (not modal: returns the box)."""
    box = QMessageBox(QMessageBox.Icon.Information, "Export written", f"{path.name} written.", parent=parent)
    box.setObjectName("exportWrittenBox")
    box.setInformativeText((detail + "\n" if detail else "") + str(path))
    b_open = box.addButton("Open", QMessageBox.ButtonRole.AcceptRole)
    b_show = box.addButton("Show in folder", QMessageBox.ButtonRole.ActionRole)
    close = box.addButton(QMessageBox.StandardButton.Close)
    box.setDefaultButton(b_open)
    box.setEscapeButton(close)
    box.path = path  # type: ignore[attr-defined]

    def answered(_result: int) -> None:
        clicked = box.clickedButton()
        if clicked is b_open:
            open_file(path)
        elif clicked is b_show:
            show_in_folder(path)

    box.finished.connect(answered)
    box.open()
    return box


# --- the PDF summary and print (main window) -----------------------------------------------------
class SummaryOutputs(QObject):
    """File > Export summary PDF… and File > Print… of a main window: page 1 of the brief and
    the charts (desktop.ui.summary_pdf), gathered in a worker, drawn on the GUI thread a chart
    at a time. ``done(result)`` follows: the PDF's path, or the number of pages printed."""

    done = Signal(object)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.runner = TaskRunner("summary", self)
        self.session.register_runner(self.runner)
        self.job = None
        self.message: QMessageBox | None = None
        self.last_path: Path | None = None
        self.printer = None

    def _figures(self):
        a = self.session.analysis
        if a is None:
            self.window._no_figures_box()
        return a

    def export_pdf(self, out: Path | str | None = None) -> bool:
        a = self._figures()
        if a is None:
            return False
        if out is None:
            out = ask_save_path(self.window, "Export summary PDF", file_stem("CommitDesk summary", a.as_of.isoformat()),
                                "pdf", "PDF (*.pdf)")
            if out is None:
                return False
        out = Path(out)
        from desktop.ui import summary_pdf

        self._start(a, lambda s, images: summary_pdf.write_pdf(s, out, images), self._pdf_written,
                    f"Writing {out.name}")
        return True

    def print(self, printer=None) -> bool:
        """Print through QPrintDialog (or on ``printer`` as given, e.g. a QPrinter writing a PDF)."""
        a = self._figures()
        if a is None:
            return False
        from desktop.ui import summary_pdf

        if printer is None:
            from PySide6.QtPrintSupport import QPrintDialog, QPrinter

            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
            printer.setPageLayout(summary_pdf.page_layout())  # landscape offered; the dialog may change it
            dlg = QPrintDialog(printer, self.window)
            dlg.setWindowTitle("Print the summary")
            if dlg.exec() != QPrintDialog.DialogCode.Accepted:
                return False
        else:
            printer.setPageLayout(summary_pdf.page_layout())
        self.printer = printer
        self._start(a, lambda s, images: summary_pdf.print_summary(s, printer, images), self._printed,
                    "Printing the summary")
        return True

    def _start(self, analysis, finish, landed, label: str) -> None:
        from desktop.ui import summary_pdf

        if self.job is not None:
            self.job.cancel()
        job = summary_pdf.SummaryJob(self.runner, analysis, self.session.actions(), finish,
                                     stale=self.session.stale_note(), parent=self)
        job.done.connect(landed)
        job.failed.connect(self._failed)
        job.progress.connect(lambda f, t: self.window.statusBar().showMessage(t, 4000))
        self.job = job
        self.window.statusBar().showMessage(label, 4000)
        job.start()

    def _pdf_written(self, path) -> None:
        self.job = None
        self.last_path = Path(path)
        marked = " (marked out of date)" if self.session.stale_reason is not None else ""
        self.window.statusBar().showMessage(f"Summary written: {path}{marked}", 10000)
        self.message = show_written(self.window, Path(path), "Page 1 of the brief and the charts" + marked)
        self.done.emit(Path(path))

    def _printed(self, pages) -> None:
        self.job = None
        self.window.statusBar().showMessage(f"Summary sent to the printer ({pages} pages)", 10000)
        self.done.emit(pages)

    def _failed(self, exc) -> None:
        self.job = None
        self.window._show_failure(exc)


# --- the rows behind a number (explain dialog) ---------------------------------------------------
FIGURE_TABLES = {"usage": "usage", "invoice_lines": "invoices", "commitments": "commitments", "budgets": "budgets"}


EXCEL_ROWS = 1_048_575  # rows of one sheet below its header: the most a figure's source rows export


def figure_columns(analysis, kind: str, key: str, field: str) -> tuple[list[Col], np.ndarray]:
    """The columns of the source rows behind a figure (desktop.domain.provenance.figure_rows:
    the computing module's selector), in file/row order, and their positions. Pure: runs in a
    worker."""
    from desktop.domain import provenance as prov
    from desktop.ui.widgets import frame_columns

    rows = prov.figure_rows(analysis, kind, key, field)
    rolled = prov.source_frame(analysis, rows, EXCEL_ROWS)  # a workspace: the file rows, from its Parquet
    frame = rolled[0] if rolled is not None else prov.frame(analysis, rows)
    if "_file" in frame.columns and "_row" in frame.columns:
        frame = frame.sort_values(["_file", "_row"], kind="stable")
    cols = frame_columns(frame, FIGURE_TABLES.get(rows.table, rows.table))
    return cols, np.arange(len(frame), dtype=np.int64)


def write_figure_rows(out: Path | str, analysis, kind: str, key: str, field: str, sheet: str = "Rows",
                      progress: Progress | None = None) -> Path:
    out = Path(out)
    cols, rows = figure_columns(analysis, kind, key, field)
    if out.suffix.lower() == ".csv":
        return write_csv(out, cols, rows, progress)
    return write_xlsx(out, cols, rows, sheet, progress)
