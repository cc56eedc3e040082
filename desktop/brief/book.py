"""A small layer over openpyxl's write-only workbook.

Every sheet of the brief is laid out on a ``Sheet`` grid (cells placed anywhere, in any order)
and streamed into a write-only worksheet when the workbook is saved, so that the same code
writes a 20-row summary and a million raw usage rows with flat memory.

Cells are only created through the typed helpers here (``text``, ``money``, ``pct`` ...);
``text`` goes through desktop.brief.cells so data never becomes a formula or an error value.
Formula cells carry the value CommitDesk computed as their cached result (``<v>``), so readers
that do not recalculate (previewers, pandas, openpyxl data_only) see the same number that
Excel or LibreOffice will compute.
"""

from __future__ import annotations

import math
import warnings
from copy import copy
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.cell._writer import write_cell
from openpyxl.compat import safe_string
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.differential import DifferentialStyle
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.xml.functions import Element, SubElement

from desktop.brief.cells import set_text
from desktop.domain import palette

MAX_ROWS = 1_048_576
MAX_COLS = 16_384

MONEY_FMT = "#,##0.00;-#,##0.00"
PCT_FMT = "0.0%"
RATIO_FMT = "0.00"
DATE_FMT = "yyyy-mm-dd"
DATETIME_FMT = "yyyy-mm-dd hh:mm"
INT_FMT = "#,##0"
NUM_FMT = "#,##0.00"
Z_FMT = "0.00"


def argb(hex_colour: str) -> str:
    return palette.excel_argb(hex_colour)


def tint(hex_colour: str, amount: float = 0.7) -> str:
    """``hex_colour`` mixed with white (amount 1 = white), as "#RRGGBB"."""
    r, g, b = palette.hex_to_rgb(hex_colour)
    mix = [round(c + (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02X}" for c in mix)


HEADER_BG = palette.BLUE
INPUT_BG = tint(palette.YELLOW, 0.65)
THIN = Side(style="thin", color=argb(palette.LIGHT_GREY))
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)

# name -> (font, fill, alignment, border, number_format)
_STYLE_SPECS: dict[str, dict[str, Any]] = {
    "title": {"font": Font(bold=True, size=16, color=argb(palette.BLUE))},
    "subtitle": {"font": Font(italic=True, size=10, color=argb(palette.DARK_GREY))},
    "subtitle_stale": {"font": Font(italic=True, bold=True, size=10, color=argb(palette.VERMILLION))},
    "stale": {"font": Font(bold=True, size=12, color="FFFFFFFF"),
              "fill": PatternFill("solid", fgColor=argb(palette.VERMILLION)),
              "alignment": Alignment(horizontal="left", vertical="center", wrap_text=True, indent=1)},
    "section": {"font": Font(bold=True, size=12, color=argb(palette.BLUE)),
                "border": Border(bottom=Side(style="medium", color=argb(palette.BLUE)))},
    "header": {"font": Font(bold=True, color="FFFFFFFF"),
               "fill": PatternFill("solid", fgColor=argb(HEADER_BG)),
               "alignment": Alignment(horizontal="left", wrap_text=True, vertical="center", indent=1)},
    "label": {"font": Font(bold=True)},
    "label_free": {"font": Font(bold=True)},  # a label that may overflow (no auto width)
    "label_wrap": {"font": Font(bold=True), "alignment": Alignment(wrap_text=True, vertical="top")},
    "text": {"alignment": Alignment(horizontal="left", indent=1)},
    "text_free": {"alignment": Alignment(horizontal="left", indent=1)},  # may overflow to the right (no auto width)
    "text_wrap": {"alignment": Alignment(horizontal="left", wrap_text=True, vertical="top", indent=1)},
    "note": {"font": Font(italic=True, color=argb(palette.DARK_GREY)),
             "alignment": Alignment(wrap_text=True, vertical="top")},
    "narrative": {"alignment": Alignment(wrap_text=True, vertical="top"), "font": Font(size=11)},
    "money": {"number_format": MONEY_FMT},
    "general": {"alignment": Alignment(horizontal="right")},
    "money_bold": {"number_format": MONEY_FMT, "font": Font(bold=True)},
    "money_kpi": {"number_format": MONEY_FMT, "font": Font(bold=True, size=12)},
    "int_kpi": {"number_format": INT_FMT, "font": Font(bold=True, size=12)},
    "pct": {"number_format": PCT_FMT},
    "pct2": {"number_format": "0.00%"},
    "pct_kpi": {"number_format": PCT_FMT, "font": Font(bold=True, size=12)},
    "ratio": {"number_format": RATIO_FMT},
    "int": {"number_format": INT_FMT},
    "num": {"number_format": NUM_FMT},
    "z": {"number_format": Z_FMT},
    "date": {"number_format": DATE_FMT, "alignment": Alignment(horizontal="left")},
    "date_kpi": {"number_format": DATE_FMT, "font": Font(bold=True, size=12),
                 "alignment": Alignment(horizontal="left")},
    "datetime": {"number_format": DATETIME_FMT, "alignment": Alignment(horizontal="left")},
    "input_money": {"number_format": MONEY_FMT, "fill": PatternFill("solid", fgColor=argb(INPUT_BG)),
                    "border": GRID, "font": Font(color=argb(palette.BLUE), bold=True)},
    "input_pct": {"number_format": "0.00%", "fill": PatternFill("solid", fgColor=argb(INPUT_BG)),
                  "border": GRID, "font": Font(color=argb(palette.BLUE), bold=True)},
    "input_num": {"number_format": "0.00", "fill": PatternFill("solid", fgColor=argb(INPUT_BG)),
                  "border": GRID, "font": Font(color=argb(palette.BLUE), bold=True)},
    "input_int": {"number_format": "0", "fill": PatternFill("solid", fgColor=argb(INPUT_BG)),
                  "border": GRID, "font": Font(color=argb(palette.BLUE), bold=True)},
    "input_date": {"number_format": DATE_FMT, "fill": PatternFill("solid", fgColor=argb(INPUT_BG)),
                   "border": GRID, "font": Font(color=argb(palette.BLUE), bold=True),
                   "alignment": Alignment(horizontal="left")},
    "input_text": {"fill": PatternFill("solid", fgColor=argb(INPUT_BG)), "border": GRID,
                   "font": Font(color=argb(palette.BLUE), bold=True)},
    "calc_money": {"number_format": MONEY_FMT, "border": GRID},
    "calc_money_kpi": {"number_format": MONEY_FMT, "border": GRID, "font": Font(bold=True, size=12)},
    "calc_pct": {"number_format": PCT_FMT, "border": GRID},
    "calc_text": {"border": GRID},
}


def _top_aligned() -> None:
    """Data cells align to the top, so that a row with wrapped text still reads across."""
    for name, spec in _STYLE_SPECS.items():
        if name in ("title", "subtitle", "subtitle_stale", "header", "section", "stale"):
            continue
        al = spec.get("alignment")
        if al is None:
            spec["alignment"] = Alignment(vertical="top")
        elif al.vertical is None:
            spec["alignment"] = Alignment(horizontal=al.horizontal, vertical="top", wrap_text=al.wrap_text,
                                          indent=al.indent)


_top_aligned()

# One named sans-serif family for every style: an unnamed font makes LibreOffice fall back to a
# serif face. Arial is on every Excel installation; LibreOffice substitutes its metric twin
# (Liberation Sans) or the system sans-serif.
FONT_NAME = "Arial"
BASE_SIZE = 10


def _named_fonts() -> None:
    for spec in _STYLE_SPECS.values():
        f = spec.get("font")
        spec["font"] = Font(name=FONT_NAME, size=BASE_SIZE) if f is None else Font(
            name=FONT_NAME, size=f.size or BASE_SIZE, bold=f.bold, italic=f.italic, color=f.color)


_named_fonts()


class _Styles:
    """Style prototypes (openpyxl StyleArrays) registered once per workbook."""

    def __init__(self, ws: WriteOnlyWorksheet):
        self._proto: dict[str, Any] = {}
        for name, spec in _STYLE_SPECS.items():
            cell = WriteOnlyCell(ws)
            for attr, value in spec.items():
                setattr(cell, attr, value)
            self._proto[name] = cell._style

    def apply(self, cell: Cell, name: str | None) -> None:
        if name is not None:
            cell._style = copy(self._proto[name])


class _FormulaCell(Cell):
    """A formula with the value CommitDesk computed, written as the cell's cached result."""

    __slots__ = ("cached",)

    def __init__(self, ws: WriteOnlyWorksheet):
        super().__init__(ws, row=1, column=1)
        self.cached = None


class _CachingWriter(WorksheetWriter):
    def write_row(self, xf, row, row_idx):
        attrs = {"r": f"{row_idx}"}
        attrs.update(self.ws.row_dimensions.get(row_idx, {}))
        with xf.element("row", attrs):
            for cell in row:
                if isinstance(cell, _FormulaCell):
                    el = Element("c", _formula_attrs(cell))
                    f = SubElement(el, "f")
                    f.text = cell._value[1:]
                    v = SubElement(el, "v")
                    v.text = _cached_text(cell.cached)
                    xf.write(el)
                elif cell._value is not None or cell.has_style:
                    write_cell(xf, self.ws, cell, cell.has_style)


def _formula_attrs(cell: _FormulaCell) -> dict[str, str]:
    attrs = {"r": cell.coordinate}
    if cell.has_style:
        attrs["s"] = f"{cell.style_id}"
    if isinstance(cell.cached, str):
        attrs["t"] = "str"
    elif isinstance(cell.cached, bool):
        attrs["t"] = "b"
    return attrs


def _cached_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (date, datetime)):  # a date result is its serial number
        return safe_string(to_excel(value))
    if isinstance(value, str):
        return value
    return safe_string(value)


class _BriefWorksheet(WriteOnlyWorksheet):
    def _get_writer(self):
        if self._writer is None:
            self._writer = _CachingWriter(self)
            self._writer.write_top()


class Book:
    """The workbook being written; sheets are added in display order."""

    def __init__(self) -> None:
        self.wb = Workbook(write_only=True)
        self.sheets: list[Sheet] = []
        self._table_names: set[str] = set()
        self._styles: _Styles | None = None
        self.wb.calculation.fullCalcOnLoad = True
        # the workbook's own default (empty cells, the column width unit) is Arial 10 too, not
        # openpyxl's Calibri 11: one named font throughout, and column widths measured in it
        default = Font(name=FONT_NAME, size=BASE_SIZE, family=2)
        self.wb._fonts = IndexedList([default])
        self.wb._named_styles["Normal"].font = copy(default)

    def styles(self, ws: WriteOnlyWorksheet) -> _Styles:
        if self._styles is None:
            self._styles = _Styles(ws)
        return self._styles

    def sheet(self, title: str) -> Sheet:
        ws = _BriefWorksheet(parent=self.wb, title=title)
        self.wb._add_sheet(ws)
        s = Sheet(self, ws)
        self.sheets.append(s)
        return s

    def table_name(self, base: str) -> str:
        name = "".join(ch for ch in base if ch.isalnum() or ch == "_") or "Table"
        if not name[0].isalpha():
            name = "T_" + name
        candidate, n = name, 2
        while candidate.lower() in self._table_names:
            candidate = f"{name}_{n}"
            n += 1
        self._table_names.add(candidate.lower())
        return candidate


_FIT_STYLES = frozenset({"text", "label", "calc_text", "input_text"})
_WRAP_STYLES = frozenset({"text_wrap", "narrative", "note", "label_wrap"})


def _shown_len(v: Any, style: str | None) -> float:
    """Characters a number needs in its format (a rough, generous estimate)."""
    if isinstance(v, bool):
        return 5
    try:
        f = float(v)
    except (TypeError, ValueError):
        return 8
    if style and "pct" in style:
        return len(f"{f * 100:.1f}") + 2
    if style and "kpi" in style:
        return len(f"{f:,.2f}") * 1.2 + 1
    return len(f"{f:,.2f}") + 1


def _number(value: Any) -> Any:
    """A value openpyxl writes as a number, or None for undefined (None, NaN, inf)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


LINE_HEIGHT = 13.0  # points per line of 10 pt Arial (Liberation Sans), with leading


def _char_width(ch: str) -> float:
    """A character's advance in digit widths (Excel's column width unit is the width of the
    font's widest digit), as in Arial and its metric twin Liberation Sans, and close enough for
    DejaVu Sans, LibreOffice's fallback (both fonts are in the same proportions)."""
    if ch.isdigit():
        return 1.0
    if ch == " ":
        return 0.5
    if ch in "iljtf.,;:'!|()[]/-":
        return 0.55
    if ch in "mwMW@%":
        return 1.55
    if ch.isupper():
        return 1.2
    return 0.95


def _text_width(text: str) -> float:
    return sum(_char_width(ch) for ch in text)


def wrapped_lines(text: str, width: float) -> int:
    """Lines ``text`` takes when wrapped at word boundaries in a column ``width`` units wide (the
    indent and the cell padding taken off). Greedy, like Excel and LibreOffice; a word longer
    than a line is broken. Generous rather than tight: a row a line too tall is whitespace, a
    line too short is clipped text."""
    cap = max(1.0, width - 2.0)
    space = _char_width(" ")
    total = 0
    for para in str(text).split("\n"):
        n, used = 1, 0.0
        for word in para.split():
            w = _text_width(word)
            while w > cap:  # a long word (a path, an id) breaks across lines
                if used:
                    n, used = n + 1, 0.0
                w -= cap
                n += 1
            if used == 0:
                used = w
            elif used + space + w <= cap:
                used += space + w
            else:
                n, used = n + 1, w
        total += n
    return max(1, total)


class Sheet:
    """A grid of cells placed by (row, column), 1-based, flushed in row order on save."""

    def __init__(self, book: Book, ws: _BriefWorksheet):
        self.book = book
        self.ws = ws
        self.title = ws.title
        self._rows: dict[int, dict[int, Cell]] = {}
        self._styles = book.styles(ws)
        self.max_row = 0
        self.max_col = 0
        self._need: dict[int, float] = {}  # column -> characters its content needs
        self._min_width: dict[int, float] = {}
        self._wrapped: list[tuple[int, int, str]] = []  # (row, col, text) of wrapping cells
        self._heights: set[int] = set()
        self._merged_width: dict[tuple[int, int], int] = {}  # (row, col) -> last col of its merge

    # --- placing cells ---------------------------------------------------------------------
    def _put(self, row: int, col: int, cell: Cell) -> Cell:
        if not (1 <= row <= MAX_ROWS and 1 <= col <= MAX_COLS):
            raise ValueError(f"cell {row},{col} outside the sheet")
        cell.row = row
        cell.column = col
        self._rows.setdefault(row, {})[col] = cell
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)
        return cell

    def _cell(self, style: str | None) -> Cell:
        cell = WriteOnlyCell(self.ws)
        self._styles.apply(cell, style)
        return cell

    def _fit(self, col: int, chars: float) -> None:
        if chars > self._need.get(col, 0):
            self._need[col] = chars

    def text(self, row: int, col: int, value: Any, style: str | None = "text",
             where: str | None = None) -> Cell:
        cell = self._cell(style)
        set_text(cell, value, where=where or f"sheet {self.title!r}, {get_column_letter(col)}{row}")
        if value is not None:
            text = str(value)
            if style in _FIT_STYLES:
                self._fit(col, max(len(line) for line in text.split("\n")) * (1.1 if style == "label" else 1.0) + 1)
            elif style == "header":
                words = max((len(w) for w in text.split()), default=0)
                self._fit(col, max(words, -(-len(text) // 2)) + 1.5)
            elif style in _WRAP_STYLES:
                self._wrapped.append((row, col, text))
        return self._put(row, col, cell)

    def styled(self, row: int, col: int, style: str) -> Cell:
        """An empty cell carrying a style (fills, borders)."""
        return self._put(row, col, self._cell(style))

    def number(self, row: int, col: int, value: Any, style: str | None = "num") -> Cell:
        cell = self._cell(style)
        v = _number(value)
        if v is not None:
            cell.value = v
            if style is not None:
                self._styles.apply(cell, style)
            self._fit(col, _shown_len(v, style))
        return self._put(row, col, cell)

    def money(self, row: int, col: int, value: Decimal | None, style: str = "money") -> Cell:
        return self.number(row, col, value, style)

    def pct(self, row: int, col: int, value: float | None, style: str = "pct") -> Cell:
        return self.number(row, col, value, style)

    def int(self, row: int, col: int, value: int | None, style: str = "int") -> Cell:
        return self.number(row, col, value, style)

    def date(self, row: int, col: int, value: date | datetime | None, style: str = "date") -> Cell:
        cell = self._cell(style)
        if value is not None:
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)
            cell.value = value
            self._styles.apply(cell, style)  # the value setter picks its own date format
            self._fit(col, 16 if isinstance(value, datetime) else 10.5)
        return self._put(row, col, cell)

    def formula(self, row: int, col: int, formula: str, cached: Any, style: str | None = None) -> Cell:
        if not formula.startswith("="):
            raise ValueError("a formula starts with '='")
        cell = _FormulaCell(self.ws)
        cell._value = formula
        cell.data_type = "f"
        cell.cached = cached
        self._styles.apply(cell, style)
        self._put(row, col, cell)
        return cell

    def value(self, row: int, col: int, value: Any, kind: str) -> Cell:
        """Dispatch on a column kind: text | money | pct | ratio | int | num | date | z | bool."""
        if kind in ("text", "text_wrap", "note", "text_free"):
            return self.text(row, col, value, kind)
        if kind == "date":
            return self.date(row, col, value)
        if kind == "bool":
            return self.text(row, col, None if value is None else ("yes" if value else "no"))
        return self.number(row, col, value, kind)

    # --- layout -------------------------------------------------------------------------------
    def widths(self, widths: dict[int, float] | list[float]) -> None:
        """Minimum column widths (characters); content that needs more widens the column
        (up to 60), except for wrapping text, which wraps."""
        items = widths.items() if isinstance(widths, dict) else enumerate(widths, 1)
        for col, w in items:
            self._min_width[col] = w

    def merge(self, row: int, col: int, row2: int, col2: int) -> None:
        self.ws.merged_cells.add(f"{get_column_letter(col)}{row}:{get_column_letter(col2)}{row2}")
        self._merged_width[(row, col)] = col2

    def freeze(self, row: int, col: int = 1) -> None:
        """Freeze rows above ``row`` and columns left of ``col``."""
        self.ws.freeze_panes = f"{get_column_letter(col)}{row}"

    def row_height(self, row: int, height: float) -> None:
        self.ws.row_dimensions[row].height = height
        self._heights.add(row)

    def headers(self, row: int, first_col: int, headers: list[str]) -> None:
        """A table's header cells from ``first_col`` on, the row 32 high unless set already."""
        for j, h in enumerate(headers):
            self.text(row, first_col + j, h, "header")
        if row not in self._heights:
            self.row_height(row, 32)

    def table(self, name: str, header_row: int, first_col: int, headers: list[str],
              rows: list[list[Any]], kinds: list[str], *, style: str = "TableStyleMedium2",
              empty_note: str = "nothing to list") -> tuple[int, int]:
        """An Excel table (with filter buttons) of ``rows``; returns (first data row, last row).

        An empty table is written as its header row and one row saying ``empty_note`` (Excel
        tables need a data row)."""
        self.headers(header_row, first_col, headers)
        r = header_row
        for values in rows:
            r += 1
            for j, (v, k) in enumerate(zip(values, kinds, strict=True)):
                self.value(r, first_col + j, v, k)
        if not rows:
            r += 1
            self.text(r, first_col, empty_note, "note")
        self.add_table(name, header_row, first_col, headers, r, style=style)
        return header_row + 1, r

    def add_table(self, name: str, header_row: int, first_col: int, headers: list[str], last_row: int,
                  *, style: str = "TableStyleMedium2") -> None:
        """Declare an Excel table over cells already placed (header texts must equal ``headers``)."""
        last_col = first_col + len(headers) - 1
        ref = (f"{get_column_letter(first_col)}{header_row}:"
               f"{get_column_letter(last_col)}{max(last_row, header_row + 1)}")
        table = Table(displayName=self.book.table_name(name), ref=ref)
        table._initialise_columns()
        for col, h in zip(table.tableColumns, headers, strict=True):
            col.name = h
        table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
        with warnings.catch_warnings():
            # the columns are named above, which is what the warning asks for
            warnings.simplefilter("ignore", UserWarning)
            self.ws.add_table(table)

    def fill_rule(self, ref: str, formula: str, colour: str, *, bold: bool = False,
                  light: float = 0.55) -> None:
        """Conditional formatting: fill ``ref`` with a light ``colour`` where ``formula`` holds."""
        fill_hex = tint(colour, light) if light else colour
        dxf = DifferentialStyle(
            fill=PatternFill(bgColor=argb(fill_hex), fgColor=argb(fill_hex), fill_type="solid"),
            font=Font(bold=bold, color=argb(palette.text_on(fill_hex))),
        )
        rule = FormulaRule(formula=[formula], stopIfTrue=False)
        rule.dxf = dxf
        self.ws.conditional_formatting.add(ref, rule)

    def category_rules(self, col: int, first_row: int, last_row: int, colours: dict[str, str],
                       *, span: tuple[int, int] | None = None) -> None:
        """Colour a category column (band, tier, severity ...) by value.

        ``span`` = (first_col, last_col) colours those cells of the row instead of the one."""
        if last_row < first_row:
            return
        letter = get_column_letter(col)
        c1, c2 = span if span else (col, col)
        ref = f"{get_column_letter(c1)}{first_row}:{get_column_letter(c2)}{last_row}"
        for value, colour in colours.items():
            if value == "none":
                continue
            self.fill_rule(ref, f'${letter}{first_row}="{value}"', colour)

    def print_setup(self, title_rows: tuple[int, int] | None = None, *, landscape: bool = True) -> None:
        ws = self.ws
        ws.page_setup.orientation = "landscape" if landscape else "portrait"
        ws.page_setup.paperSize = 9  # A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = False
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.5
        if title_rows is not None:
            ws.print_title_rows = f"{title_rows[0]}:{title_rows[1]}"
        ws.oddFooter.center.text = "&A - page &P of &N"
        ws.oddHeader.right.text = "CommitDesk working brief"

    def ref(self, row: int, col: int, absolute: bool = True, sheet: bool = False) -> str:
        letter = get_column_letter(col)
        r = f"${letter}${row}" if absolute else f"{letter}{row}"
        return f"{quote_sheetname(self.title)}!{r}" if sheet else r

    # --- output ---------------------------------------------------------------------------------
    def _layout(self) -> None:
        """Column widths from content, heights of rows whose text wraps (LibreOffice and Excel
        do not grow rows on open)."""
        final: dict[int, float] = {}
        for col in set(self._need) | set(self._min_width):
            w = max(self._min_width.get(col, 0), min(self._need.get(col, 0) + 1.5, 60))
            if w > 0:
                final[col] = round(w, 1)
                self.ws.column_dimensions[get_column_letter(col)].width = final[col]
        lines: dict[int, int] = {}
        for row, col, text in self._wrapped:
            last = self._merged_width.get((row, col), col)
            width = sum(final.get(c, 8.43) for c in range(col, last + 1))
            lines[row] = max(lines.get(row, 1), wrapped_lines(text, width))
        for row, k in lines.items():
            if row not in self._heights and k > 1:
                self.ws.row_dimensions[row].height = LINE_HEIGHT * k + 3

    def flush(self) -> None:
        """Stream the grid into the worksheet (row order), then drop it."""
        self._layout()
        ws = self.ws
        for r in range(1, self.max_row + 1):
            cols = self._rows.pop(r, None)
            if not cols:
                ws.append([])
                continue
            width = max(cols)
            ws.append([cols.get(c) for c in range(1, width + 1)])
        self._rows.clear()
