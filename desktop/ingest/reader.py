"""Files -> ``RawTable``: the source columns as written, with analyst row numbers.

* ``read_text_arrow``: the middle lane. pyarrow reads every column of a big text file as text
  (blank lines and quoted line breaks make it fail, so row numbers are line numbers).
* ``read_text_messy``: the careful lane. The stdlib csv reader over the decoded text (titles
  above the header, blank lines, quoted line breaks, ragged rows): exact physical line numbers.
* ``read_xlsx``: after safety.check_xlsx measured every sheet, in the isolated child
  (isolate.py): fastexcel (calamine straight into Arrow columns) when the sheet is a plain
  table (``read_xlsx_arrow``: header on its first row, one type per column), else
  python-calamine cell by cell; in a worker thread so progress and cancel keep working.

(The fast lane for clean usage CSVs lives in desktop/ingest/fast.py.)
"""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from desktop.domain.progress import Progress
from desktop.ingest import parse, sniff
from desktop.ingest.safety import DEFAULT_LIMITS, XlsxFacts

OVERLONG = "\x00commitdesk-overlong-line\x00"  # stands in for a line too long to hold (core._read_bounded)
# a field may be as long as a line may be (longer lines are cut out before the csv module reads;
# over-long cells reject their row in the builder, not the file)
csv.field_size_limit(max(csv.field_size_limit(), DEFAULT_LIMITS.max_line_bytes))


@dataclass
class RawTable:
    file: str
    columns: list[str]
    data: pd.DataFrame  # one column per source column, named as ``columns``
    rows: np.ndarray  # int64, the row number the analyst sees for each data row
    container: str  # csv | xlsx | json
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1
    date1904: bool = False
    warnings: list[str] = field(default_factory=list)
    # rows removed before the builder (entirely blank rows are dropped and not counted)
    ragged: list[int] = field(default_factory=list)  # rows with more fields than the header
    meta: dict = field(default_factory=dict)


class Ticker:
    """Calls progress.step at most every 0.1 s (so always well within the 0.5 s promise)."""

    def __init__(self, progress: Progress | None, start: float = 0.0, end: float = 1.0):
        self.p = progress
        self.start, self.end = start, end
        self.last = 0.0

    def __call__(self, fraction: float, text: str = "", force: bool = False) -> None:
        if self.p is None:
            return
        now = time.monotonic()
        if force or now - self.last >= 0.1:
            self.last = now
            self.p.step(self.start + (self.end - self.start) * max(0.0, min(1.0, fraction)), text)

    def check(self) -> None:
        if self.p is not None:
            self.p.check()


def decode(data: bytes, info: sniff.TextInfo) -> str:
    text = data[info.bom:].decode(info.encoding, errors="replace")
    return text


def read_text_messy(text: str, delimiter: str, known: set[str], file: str,
                    ticker: Ticker, repeated: dict | None = None) -> tuple[list[str], list[list], list[int], int]:
    """Returns (header names, data rows, line numbers, header line); ``repeated`` receives the
    names written more than once (sniff.header_names)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list] = []
    lines: list[int] = []
    prev_line = 0
    total = max(text.count("\n") + 1, 1)
    try:
        for rec in reader:
            start = prev_line + 1
            prev_line = reader.line_num
            rows.append(rec)
            lines.append(start)
            if not len(rows) & 8191:
                ticker(prev_line / total * 0.5, "reading rows")
    except csv.Error as exc:
        raise ValueError(f"line {prev_line + 1}: {exc}") from exc
    # header
    nonblank = [(r, ln) for r, ln in zip(rows, lines, strict=True) if any(c.strip() for c in r)]
    if not nonblank:
        return [], [], [], 1
    sample = [r for r, _ in nonblank[: sniff.HEADER_SCAN_ROWS]]
    h = sniff.find_header(sample, known)
    top, h = sniff.header_span(sample, h)
    header_line = nonblank[h][1]
    data = nonblank[h + 1:]
    names = sniff.header_names(nonblank[top][0] if top is not None else None, nonblank[h][0],
                               len(nonblank[h][0]), repeated)
    return names, [r for r, _ in data], [ln for _, ln in data], header_line


def table_from_rows(file: str, names: list[str], rows: list[list], lines: list[int],
                    container: str, header_line: int) -> RawTable:
    """Rows -> RawTable. CSV rows with more (non-empty) fields than the header are listed in
    ``ragged`` (the row is rejected: usually an unquoted delimiter shifted its values); in a
    spreadsheet, cells right of the table's last named column are ignored."""
    width = len(names)
    ragged: list[int] = []
    short: list[int] = []
    fixed: list[list] = []
    for r, ln in zip(rows, lines, strict=True):
        if len(r) > width:
            if container == "csv" and any(str(c).strip() for c in r[width:]):
                ragged.append(ln)
            r = r[:width]
        elif len(r) < width:
            if container == "csv" and not (len(r) == 1 and r[0] == OVERLONG):
                short.append(ln)
            r = list(r) + [""] * (width - len(r))
        fixed.append(r)
    cols = list(zip(*fixed, strict=True)) if fixed else [()] * width
    frame = pd.DataFrame({j: _column(cols[j], container) for j in range(width)}, copy=False)
    frame.columns = names
    t = RawTable(file, names, frame, np.asarray(lines, dtype=np.int64), container,
                 header_row=header_line)
    t.ragged = ragged
    if short:
        t.warnings.append(
            f"{len(short)} row(s) have fewer fields than the header ({_rowlist(short)}); "
            "missing fields were read as empty")
    return t


def _column(values: tuple, container: str) -> np.ndarray:
    return np.array(values, dtype=object) if values else np.array([], dtype=object)


def _rowlist(rows: list[int], n: int = 10) -> str:
    head = ", ".join(str(r) for r in rows[:n])
    return f"rows {head}" + (f" and {len(rows) - n} more" if len(rows) > n else "")


def read_text_arrow(path: Path, info: sniff.TextInfo, delimiter: str, file: str, ticker: Ticker) -> RawTable:
    """The middle lane: pyarrow reads every column as text (fast, row numbers = line numbers
    because blank lines and quoted line breaks make it fail). Raises pyarrow.ArrowInvalid on
    anything irregular; the stdlib csv reader then takes over."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    enc = "utf-16" if info.label.startswith("utf-16 (BOM") else info.encoding
    read_opts = pacsv.ReadOptions(block_size=1 << 20, use_threads=True, encoding=enc)
    parse_opts = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False, ignore_empty_lines=False)
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    cut = head.rfind(b"\n")
    head = head[: cut + 1] if cut > 0 else head
    first = pacsv.open_csv(pa.BufferReader(head), read_options=read_opts, parse_options=parse_opts)
    names = first.schema.names
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise pa.ArrowInvalid("header names are not unique")
    conv = pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names}, strings_can_be_null=False,
                                quoted_strings_can_be_null=False, null_values=[])
    reader = pacsv.open_csv(str(path), read_options=read_opts, parse_options=parse_opts, convert_options=conv)
    total = max(path.stat().st_size, 1)
    batches, done = [], 0
    for batch in reader:
        batches.append(batch)
        done += batch.nbytes
        ticker(min(0.5, 0.5 * done / (total * 1.2)), "reading rows")
    table = pa.Table.from_batches(batches, schema=reader.schema)
    frame = pd.DataFrame({n: pd.Series(pd.arrays.ArrowStringArray(table.column(n).combine_chunks()))
                          for n in names}, copy=False)
    n = len(frame)
    return RawTable(file, list(names), frame,
                    np.arange(2, n + 2, dtype=np.int64), "csv", encoding=info.label, delimiter=delimiter,
                    header_row=1)


class gc_paused:
    """``with gc_paused(): ...``: no cyclic garbage collection while a file's rows become
    Python lists (100k rows x 15 cells: the collector would walk the growing heap again and
    again for nothing: rows hold no cycles). Restores the collector's previous state (when
    two imports overlap, the collector may come back early: only speed is lost)."""

    def __enter__(self):
        import gc

        self.was = gc.isenabled()
        gc.disable()
        return self

    def __exit__(self, *exc):
        import gc

        if self.was:
            gc.enable()
        return False


def _blank_row(r: list) -> bool:
    if any(r):
        return False
    return r.count("") + r.count(None) == len(r)


ARROW_XLSX = True  # read plain sheets through fastexcel (read_xlsx_arrow); False: always cell by cell
DOC_SHEETS = ("readme", "about", "read me")  # sheet names that document a workbook (read last)
HEAD_ROWS = 256  # rows read first from each sheet to find its header (the scan looks at 200)
CHUNK_ROWS = 512  # rows turned into columns at once, while their cells are still in the CPU cache


def read_xlsx(path: Path, facts: XlsxFacts, known: set[str], ticker: Ticker,
              sheet: str | None = None, row_limit: int | None = None) -> RawTable:
    """The best sheet (the one whose header names the most known columns; or ``sheet``) as a
    RawTable: through fastexcel when it is a plain table (``read_xlsx_arrow``), else cell by
    cell (``read_xlsx_cells``). ``row_limit``: read only the first rows of each sheet (header
    peeking, always cell by cell)."""
    if row_limit is None and ARROW_XLSX:
        t = read_xlsx_arrow(path, facts, known, ticker, sheet)
        if t is not None:
            return t
    return read_xlsx_cells(path, facts, known, ticker, sheet=sheet, row_limit=row_limit)


def read_xlsx_cells(path: Path, facts: XlsxFacts, known: set[str], ticker: Ticker,
                    sheet: str | None = None, row_limit: int | None = None) -> RawTable:
    """``read_xlsx`` through python-calamine, cell by cell.

    Each sheet's first rows are read to find its header; the chosen sheet's body is then read
    in chunks that become columns at once (``_Columns``): its cells are touched while they are
    still in the CPU cache (on a 100k-row sheet every later pass over 1.5M scattered Python
    objects cost 15-20 ms a column)."""
    import itertools

    from python_calamine import CalamineWorkbook

    wb = with_heartbeat(lambda: CalamineWorkbook.from_path(str(path)), ticker, 0.1, "opening workbook")
    try:
        names = wb.sheet_names
        visible = [m.name for m in wb.sheets_metadata
                   if str(getattr(m, "visible", "Visible")).endswith("Visible")
                   and str(getattr(m, "typ", "WorkSheet")).endswith("WorkSheet")]
        # a sheet that documents the others (the templates' README) is read last: its rows name
        # columns too, but it is never the data
        order = [sheet] if sheet else sorted(visible or names, key=lambda n: n.strip().casefold() in DOC_SHEETS)
        best = None
        for sname in order:
            ticker.check()
            sh = with_heartbeat(lambda sname=sname: wb.get_sheet_by_name(sname), ticker, 0.2,
                                f"reading sheet {sname}")
            it = sh.iter_rows()
            first = list(itertools.islice(it, min(HEAD_ROWS, row_limit) if row_limit else HEAD_ROWS))
            head = [i for i, r in enumerate(first[:200]) if not _blank_row(r)][: sniff.HEADER_SCAN_ROWS]
            if not head:
                continue
            sample = [first[i] for i in head]
            h = sniff.find_header(sample, known)
            hits = sum(1 for v in sample[h] if isinstance(v, str) and sniff.norm_name(v) in known)
            if best is None or hits > best[0]:
                best = (hits, sname, sh, it, first, head, h, int((getattr(sh, "start", None) or (0, 0))[1]))
            if sheet or hits >= 3:
                break
        if best is None:
            raise ValueError("the workbook has no sheet with data")
        _, sname, sh, it, first, head, h, col0 = best
        sample = [first[i] for i in head]
        top, h = sniff.header_span(sample, h)
        hrow = first[head[h]]
        width = max((i + 1 for i, v in enumerate(hrow) if sniff._nonempty(v)), default=0)
        if top is not None:
            width = max(width, max((i + 1 for i, v in enumerate(first[head[top]]) if sniff._nonempty(v)),
                                   default=0))
        repeated: dict[str, list[int]] = {}
        names_ = sniff.header_names(first[head[top]] if top is not None else None, hrow, width, repeated)
        start = head[h] + 1
        total = max(int(getattr(sh, "total_height", 0) or 0), 1)
        cols = _Columns(len(names_))
        lines: list[np.ndarray] = []

        def feed(rows: list[list], base: int) -> None:
            keep = cols.add(rows)  # entirely blank rows are left out
            lines.append(keep + base + 1)

        feed(first[start:], start)
        base = len(first)
        left = None if row_limit is None else max(0, row_limit - base)
        while left is None or left > 0:
            n = CHUNK_ROWS if left is None else min(CHUNK_ROWS, left)
            part = list(itertools.islice(it, n))
            if not part:
                break
            feed(part, base)
            base += len(part)
            if left is not None:
                left -= len(part)
            ticker(0.2 + 0.2 * min(1.0, base / total), "reading rows")
        frame = pd.DataFrame({j: c for j, c in enumerate(cols.finish())}, copy=False)
        frame.columns = names_
        t = RawTable(path.name, names_, frame, np.concatenate(lines), "xlsx", header_row=head[h] + 1)
        t.sheet = sname
        t.date1904 = facts.date1904
        t.meta["col0"] = col0  # grid column j is sheet column col0 + j (0-based)
        t.meta["repeated"] = {n: [f"column {from_sheet_col(col0 + j)}" for j in js] for n, js in repeated.items()}
        return t
    finally:
        wb.close()


@dataclass
class ArrowSheet:
    """A plain sheet as fastexcel read it (``sheet_arrow``), before any Python object is made
    from a cell: what the isolated child hands back as an Arrow IPC file (isolate.py).
    ``table``: one column per source column (named as the header), only the rows kept: text as
    large strings ("" for a blank cell), numbers as float64 (NaN for a blank cell), yes/no,
    date and date-time columns as fastexcel typed them (null for a blank cell)."""
    sheet: str
    table: object  # pyarrow.Table
    rows: np.ndarray  # int64: the sheet row of each kept row


def read_xlsx_arrow(path: Path, facts: XlsxFacts, known: set[str], ticker: Ticker,
                    sheet: str | None = None) -> RawTable | None:
    """The sheet through fastexcel (calamine's parser straight into Arrow: no Python object per
    cell), as the same RawTable ``read_xlsx`` makes cell by cell; None when the sheet is not a
    plain table and ``read_xlsx`` must look at its cells (``sheet_arrow``)."""
    got = sheet_arrow(path, known, ticker, sheet)
    if got is None:
        return None
    t = raw_from_arrow(got, path.name, facts)
    ticker(0.4, "reading rows")
    return t


def sheet_arrow(path: Path, known: set[str], ticker: Ticker, sheet: str | None = None) -> ArrowSheet | None:
    """The first sheet (or ``sheet``) through fastexcel, as Arrow columns; None when it is not a
    plain table: it is hidden or is not the one the header search would choose, its header is
    not on its first row (titles above it, a two-row header), a header cell is blank, repeated
    or a number, a column mixes kinds of values (text and numbers, dates and numbers ...), or a
    cell holds an error."""
    try:
        import fastexcel
    except ImportError:  # an environment without it reads every sheet cell by cell
        return None

    def load():
        reader = fastexcel.read_excel(str(path))
        names = reader.sheet_names
        want = sheet if sheet is not None else next(
            iter(sorted(names, key=lambda n: n.strip().casefold() in DOC_SHEETS)), None)
        if want is None or want not in names:
            return None
        try:
            sh = reader.load_sheet(want, header_row=0, schema_sample_rows=None, dtype_coercion="strict")
        except fastexcel.FastExcelError:
            # a column mixing kinds of values, or anything else fastexcel refuses: calamine reads
            # the cells one by one (and says what is wrong with a damaged sheet)
            return None
        if str(getattr(sh, "visible", "visible")).lower() != "visible" and sheet is None:
            return None
        table, errors = sh.to_arrow_with_errors()
        return None if errors is not None and len(getattr(errors, "errors", errors) or ()) else (want, table)

    got = with_heartbeat(load, ticker, 0.2, "reading the workbook")
    if got is None:
        return None
    sname, table = got
    names = [str(n) for n in table.column_names]
    if not names or any(n.startswith("__UNNAMED__") or not n.strip() or n != n.strip() for n in names):
        return None
    if any(_NUMBERISH.fullmatch(n) for n in names) or any(
            re.fullmatch(r"(.+)_\d+", n) and re.fullmatch(r"(.+)_\d+", n).group(1) in names for n in names):
        return None  # a number as a name, or a name fastexcel made unique: the cells decide
    repeated: dict[str, list[int]] = {}
    if sniff.header_names(None, names, len(names), repeated) != names or repeated:
        return None
    cols = [_arrow_column(table.column(j)) for j in range(table.num_columns)]
    if any(c is None for c in cols):
        return None
    n = table.num_rows
    blank = np.ones(n, dtype=bool)
    for kind, v in cols:
        blank &= _blank_cells(kind, v)
    head = [names] + [[_head_value(kind, v, i) for kind, v in cols] for i in np.flatnonzero(~blank)[:HEAD_ROWS]]
    sample = head[: sniff.HEADER_SCAN_ROWS]
    h = sniff.find_header(sample, known)
    hits = sum(1 for v in names if sniff.norm_name(v) in known)
    if h != 0 or sniff.header_span(sample, 0)[0] is not None or (sheet is None and hits < 3):
        return None  # titles above the header, a two-row header, or maybe another sheet's table
    import pyarrow as pa

    keep = np.flatnonzero(~blank)
    arrays = [v if keep.size == n else v.take(pa.array(keep)) for _, v in cols]
    return ArrowSheet(sname, pa.table(arrays, names=names), keep.astype(np.int64) + 2)


def raw_from_arrow(got: ArrowSheet, file: str, facts: XlsxFacts) -> RawTable:
    """The RawTable of a sheet fastexcel read (``sheet_arrow``), as ``read_xlsx_cells`` makes
    it: text columns stay Arrow strings, number columns float64 with NaN for blanks, yes/no,
    date and time columns become the Python values calamine gives (a date when the time is
    midnight), "" for a blank cell, as ``_Columns`` keeps them."""
    table = got.table
    names = [str(n) for n in table.column_names]
    series = []
    for j in range(table.num_columns):
        kind, v = _arrow_column(table.column(j))
        if kind == "text":
            series.append(pd.Series(pd.arrays.ArrowStringArray(v), copy=False))
        elif kind == "number":
            series.append(pd.Series(v.to_numpy(zero_copy_only=False), copy=False))
        else:
            series.append(pd.Series(_python_cells(v), copy=False))
    frame = pd.DataFrame(dict(enumerate(series)), copy=False)
    frame.columns = names
    t = RawTable(file, names, frame, np.asarray(got.rows, dtype=np.int64), "xlsx", header_row=1)
    t.sheet = got.sheet
    t.date1904 = facts.date1904
    t.meta["col0"] = None  # where the table starts on the sheet: core._percent_cells asks calamine if needed
    t.meta["repeated"] = {}
    return t


ARROW_SHEET_FORMAT = "commitdesk-xlsx-arrow-1"


def write_arrow_sheet(got: ArrowSheet, path: str) -> None:
    """``got`` as an Arrow IPC file (the isolated child's answer: data only, nothing executable;
    isolate.py maps it without a copy). Columns are named by position, the header, the sheet
    and the rows travel beside them."""
    import json

    import pyarrow as pa
    import pyarrow.ipc as ipc

    t = got.table
    cols = [t.column(j) for j in range(t.num_columns)] + [pa.array(got.rows, type=pa.int64())]
    fields = [pa.field(str(j), c.type) for j, c in enumerate(cols)]
    meta = {"format": ARROW_SHEET_FORMAT, "sheet": got.sheet, "names": [str(n) for n in t.column_names]}
    schema = pa.schema(fields, metadata={"commitdesk": json.dumps(meta)})
    with pa.OSFile(path, "wb") as sink, ipc.new_file(sink, schema) as w:
        w.write_table(pa.table(cols, schema=schema))


def read_arrow_sheet(path: str) -> ArrowSheet:
    """What ``write_arrow_sheet`` wrote, memory-mapped (no copy), checked as data from another
    process must be: the layout this process expects, and every buffer, offset and UTF-8 string
    valid (``validate(full=True)``) before any column is used. Raises ValueError otherwise."""
    import json

    import pyarrow as pa
    import pyarrow.ipc as ipc

    with pa.memory_map(path, "r") as src:
        table = ipc.open_file(src).read_all()
    meta = json.loads((table.schema.metadata or {}).get(b"commitdesk", b"{}"))
    names = meta.get("names")
    if (meta.get("format") != ARROW_SHEET_FORMAT or not isinstance(names, list)
            or not isinstance(meta.get("sheet"), str) or table.num_columns != len(names) + 1
            or table.schema.names != [str(j) for j in range(len(names) + 1)]
            or table.column(len(names)).type != pa.int64()):
        raise ValueError("the reading process answered in an unexpected layout")
    table.validate(full=True)
    rows = table.column(len(names)).combine_chunks()
    if rows.null_count:
        raise ValueError("the reading process answered in an unexpected layout")
    data = pa.table([table.column(j) for j in range(len(names))], names=[str(n) for n in names])
    return ArrowSheet(meta["sheet"], data, rows.to_numpy())


def sheet_start_column(path: Path, sheet: str, max_rows: int = 1_000) -> int:
    """The sheet column (0-based) where a table fastexcel read starts: its header is the first
    row holding a value and names every column (read_xlsx_arrow), so the table starts at
    that row's first value. openpyxl read-only (defusedxml active, after the safety scan, as
    ``percent_formatted``); never calamine outside the isolated child."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for row in wb[sheet].iter_rows(min_row=1, max_row=max_rows, values_only=True):
            for j, v in enumerate(row):
                if v is not None and v != "":
                    return j
    finally:
        wb.close()
    return 0


_NUMBERISH = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def _arrow_column(col) -> tuple[str, object] | None:
    """One fastexcel column as Arrow, by the kind ``_convert`` would see: ("text", large strings,
    "" for blank cells), ("number", float64 with NaN for blank cells) or ("cells", yes/no, date
    or date-time values with nulls, made Python values by ``_python_cells``); None for a kind
    ``_convert`` would see differently."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_null(t):
        col = col.cast(pa.large_string())
        return "text", (col.fill_null("") if col.null_count else col)
    if pa.types.is_floating(t) or pa.types.is_integer(t):
        col = col.cast(pa.float64())
        return "number", (pc.fill_null(col, float("nan")) if col.null_count else col)
    if pa.types.is_boolean(t) or pa.types.is_timestamp(t) or pa.types.is_date(t):
        return "cells", col
    return None  # durations and anything else: calamine's cells


def _python_cells(col) -> np.ndarray:
    """A yes/no, date or date-time column as the Python values calamine gives: a date for a
    midnight date-time, "" for a blank cell."""
    import datetime as dt

    vals = col.to_pylist()
    out = np.empty(len(vals), dtype=object)
    for i, v in enumerate(vals):
        if v is None:
            v = ""
        elif isinstance(v, dt.datetime):
            v = v.replace(tzinfo=None)
            if v.time() == dt.time(0):
                v = v.date()  # calamine gives a date for a midnight date-time
        out[i] = v
    return out


def _head_value(kind: str, v, i: int):
    if kind == "text":
        return v[int(i)].as_py()
    if kind == "cells":
        return _python_cells(v.slice(int(i), 1))[0]
    x = v[int(i)].as_py() if not isinstance(v, np.ndarray) else v[int(i)]
    return "" if kind == "number" and np.isnan(x) else x


class _Columns:
    """Spreadsheet rows -> one pandas Series per column, a chunk of rows at a time. A column
    whose cells are all text becomes Arrow strings, all numbers (blank cells allowed) float64
    with NaN; anything else (dates, booleans, mixed cells) keeps its Python objects."""

    def __init__(self, width: int):
        self.width = width
        self.parts: list[list[tuple[str, object]]] = [[] for _ in range(width)]

    def add(self, rows: list[list]) -> np.ndarray:
        """Add a chunk of rows (the sheet's full width: every column is named); returns the
        positions of those kept (a row whose every cell is empty is left out)."""
        n = len(rows)
        if not n:
            return np.zeros(0, dtype=np.int64)
        cols = list(zip(*rows, strict=True))  # one Range: every row has its width
        got = [_convert(cols[j] if j < len(cols) else ("",) * n) for j in range(self.width)]
        blank = np.ones(n, dtype=bool)
        for kind, v in got:
            blank &= _blank_cells(kind, v)
            if not blank.any():
                break
        if blank.any():
            keep = np.flatnonzero(~blank)
            got = [_take(kind, v, keep) for kind, v in got]
        else:
            keep = np.arange(n, dtype=np.int64)
        for j, part in enumerate(got):
            self.parts[j].append(part)
        return keep

    def finish(self) -> list[pd.Series]:
        import pyarrow as pa

        out = []
        for parts in self.parts:
            kinds = {k for k, _ in parts}
            if not parts:
                out.append(pd.Series([], dtype=object))
            elif kinds == {"text"}:
                arr = pa.chunked_array([v for _, v in parts], type=pa.large_string())
                out.append(pd.Series(pd.arrays.ArrowStringArray(arr), copy=False))
            elif kinds == {"number"}:
                out.append(pd.Series(np.concatenate([v for _, v in parts]), copy=False))
            else:  # chunks of different kinds: back to the cells (blank number cells NaN)
                raws = [v.tolist() if k == "number" else v.to_pylist() if k == "text" else v for k, v in parts]
                cells = np.empty(sum(len(r) for r in raws), dtype=object)
                pos = 0
                for r in raws:
                    cells[pos: pos + len(r)] = r
                    pos += len(r)
                out.append(pd.Series(cells, dtype=object, copy=False))
        return out


def _blank_cells(kind: str, v) -> np.ndarray:
    """Empty cells of one converted column chunk (calamine reads an empty cell as "")."""
    if kind == "text":
        empty = np.diff(parse.string_offsets(v)) == 0
        return empty | np.asarray(v.is_null().to_numpy(zero_copy_only=False), dtype=bool) if v.null_count else empty
    if kind == "number":
        return np.isnan(v if isinstance(v, np.ndarray) else v.to_numpy(zero_copy_only=False))
    if not isinstance(v, np.ndarray):  # Arrow yes/no or dates (sheet_arrow): blank = null
        return np.asarray(v.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    return np.fromiter((c == "" or c is None for c in v), dtype=bool, count=len(v))


def _take(kind: str, v, keep: np.ndarray):
    import pyarrow as pa

    if kind == "text":
        return kind, v.take(pa.array(keep))
    return kind, v[keep]


def _convert(col: tuple) -> tuple[str, object]:
    """One column of a chunk: ("text", Arrow strings) when every cell is a str, ("number",
    float64 with NaN for blank cells) when every cell is a number or blank, else ("cells",
    object array)."""
    import pyarrow as pa

    try:
        return "text", pa.array(col, type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid, TypeError):
        pass
    kinds = set(map(type, col))
    if kinds <= {float, int} or (kinds <= {float, int, str} and all(v == "" for v in col if type(v) is str)):
        vals = np.array([np.nan if v == "" else v for v in col] if str in kinds else col, dtype=np.float64)
        return "number", vals
    cells = np.empty(len(col), dtype=object)
    cells[:] = col
    return "cells", cells


def from_sheet_col(j: int) -> str:
    """0-based sheet column -> its letters (0 -> A)."""
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


MAX_FORMAT_ROWS = 20_000  # data rows whose cell formats are read one by one


def is_percent_format(fmt: str | None) -> bool:
    """Does an Excel number format show the value times 100 with a % sign ("0%", "0.00%",
    "#,##0.0%;[Red]-0.0%")? Quoted text, escaped characters and [..] sections do not count."""
    if not fmt or "%" not in fmt:
        return False
    f = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", fmt)
    return "%" in f


def percent_formatted(path: Path, sheet: str, columns: list[int], rows: np.ndarray,
                      tick=None) -> dict[int, np.ndarray]:
    """For each sheet column (0-based) in ``columns``: which of the data ``rows`` (sheet row
    numbers) hold a cell formatted as percent. calamine gives values only, so openpyxl
    (read-only, defusedxml active, after the safety scan) reads the formats of just these
    columns and rows; past ``MAX_FORMAT_ROWS`` data rows a column's later cells follow the
    format most of its first cells have. ``tick()`` is called every 256 rows (progress and
    cancel)."""
    import openpyxl

    out = {c: np.zeros(len(rows), dtype=bool) for c in columns}
    if not len(rows) or not columns:
        return out
    first = int(rows.min())
    last = min(int(rows.max()), first + MAX_FORMAT_ROWS - 1)
    pos = {int(r): i for i, r in enumerate(rows)}
    seen = {c: [0, 0] for c in columns}  # [percent, cells]
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb[sheet]
        lo, hi = min(columns), max(columns)
        for k, cells in enumerate(ws.iter_rows(min_row=first, max_row=last, min_col=lo + 1, max_col=hi + 1)):
            if tick is not None and not k & 255:
                tick()
            for cell in cells:
                r = getattr(cell, "row", None)
                c = getattr(cell, "column", None)
                if r is None or c is None or (c - 1) not in out:
                    continue
                i = pos.get(int(r))
                if i is None:
                    continue
                pct = is_percent_format(getattr(cell, "number_format", None))
                out[c - 1][i] = pct
                seen[c - 1][0] += pct
                seen[c - 1][1] += 1
    finally:
        wb.close()
    beyond = rows > last
    if beyond.any():
        for c, (pct, n) in seen.items():
            if n and pct * 2 > n:
                out[c][beyond] = True
    return out


def with_heartbeat(fn, ticker: Ticker, fraction: float, text: str):
    """Run ``fn`` (a long call that releases the GIL, e.g. calamine parsing a sheet) in a thread;
    report progress every 0.1 s and honour cancel at once (the thread's late result is dropped)."""
    import threading

    if ticker.p is None:
        return fn()
    box: dict = {}

    def work():
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    th = threading.Thread(target=work, daemon=True, name="commitdesk-ingest")
    th.start()
    while True:
        th.join(0.1)
        if not th.is_alive():
            break
        ticker(fraction, text, force=True)
    if "error" in box:
        raise box["error"]
    return box["value"]
