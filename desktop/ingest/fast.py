"""The fast lane for big, clean usage CSVs (pyarrow all the way).

Taken when a text file is UTF-8, has its header on the first line, has no blank lines and no
line breaks inside quotes, and its header maps plainly onto the usage table (canonical names,
synonyms or a mapping profile). It is cut into 4 MB slices on line breaks; worker threads read
them from the file (not mapped: a mapped file's pages count in the resident set) with pyarrow
(progress and cancel between slices, each well under 0.5 s) straight into typed columns and
check them at once: money as
decimal128(18, 6) (exact; the unscaled integers ARE the micros), ISO dates as timestamps,
numbers as float64, yes/no as bool. Strings are trimmed, blanks become NA, vendors are
normalised per distinct value. Each slice's text columns are dictionary-encoded once checked
(int32 codes into the slice's distinct values; unified when the frame is made), and what the
slices freed is given back to the OS when the lane is done (pyarrow's allocator keeps it).

Messy cells cost only their slice (per-slice fallback): a slice whose money, number, date or
yes/no column pyarrow cannot type (a "$1,234.50", a "(12.00)", a blank required amount,
11/14/2026, a date out of range, an amount past 12 integer digits) is read once more with all
of those columns as text; each is typed by pyarrow's cast where it can be (as the typed read
types it), and the others are read by desktop/ingest/messy.py (plain spellings by one pyarrow
cast, then the careful reader's parser for the cells left). A cell that cannot be read rejects
its row with the careful reader's message (file, row, column, the value as written); the other
slices keep their typed columns. Anything else (a bad currency code, an over-long cell, a
blank spelled like a value, a total row, a decimal comma ...) returns None and the careful
reader reads the file again and reports row by row, so both lanes give the same result
(tests/ingest/test_fast.py, test_fast_fallback.py and test_fast_slices.py check that, and that
``tables.conform(frame)`` leaves the frame unchanged).
"""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from desktop import memory
from desktop.domain import tables, validation
from desktop.domain.results import ImportIssue
from desktop.ingest import build, messy, parse, sniff
from desktop.ingest.formats.canonical import Canonical, Mapped
from desktop.ingest.reader import RawTable, Ticker

MIN_BYTES = 1 << 20  # smaller files gain nothing from the fast lane
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_TS = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_ISO_TZ = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
NULLS = ["", "NULL", "null", "Null", "N/A", "n/a", "NA", "#N/A", "None", "none", "NaN", "nan", "nil"]
TRUE = ["true", "True", "TRUE", "yes", "Yes", "YES", "y", "Y", "1"]
FALSE = ["false", "False", "FALSE", "no", "No", "NO", "n", "N", "0"]


class NotClean(Exception):
    """The fast lane gives up; the careful reader takes over."""


def eligible(size: int, info: sniff.TextInfo) -> bool:
    """Blank lines and quoted line breaks are refused by the reader itself (they would shift
    the row numbers), so only the encoding and the size are checked here."""
    return info.encoding == "utf-8" and size >= MIN_BYTES


def header_and_sample(head: bytes, info: sniff.TextInfo, delimiter: str) -> tuple[list[str], list[list[str]]]:
    text = head[info.bom: info.bom + sniff.SAMPLE_BYTES].decode("utf-8", errors="replace")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if len(rows) > 2:
        rows = rows[:-1]  # the last sampled line may be cut short
    return (rows[0] if rows else []), rows[1:]


def _date_type(samples: list[str]):
    import pyarrow as pa

    vals = [s.strip() for s in samples if s.strip()]
    if not vals:
        return None
    if all(_ISO_DATE.match(v) or _ISO_TS.match(v) for v in vals):
        return pa.timestamp("us")
    if all(_ISO_TZ.match(v) for v in vals):
        return pa.timestamp("us", tz="UTC")
    return None


def read_usage(path, head: bytes, info: sniff.TextInfo, delimiter: str, file: str, ctx, ticker: Ticker,
               kind: str | None):
    """(match, frame, duplicate row numbers, rejected cells as ImportIssues in row order, rows
    read) or None when the careful reader must take over."""
    import pyarrow as pa

    if kind not in (None, "usage"):
        return None
    header, sample = header_and_sample(head, info, delimiter)
    if not header or len(set(header)) != len(header) or any(not h.strip() for h in header):
        return None
    probe = RawTable(file, header, pd.DataFrame(columns=header), np.zeros(0, np.int64), "csv")
    from desktop.ingest.core import identify

    match = identify(probe, kind, ctx.profile)
    if match.kind != "usage" or not isinstance(match.handler, (Canonical, Mapped)):
        return None
    spec = tables.USAGE
    mapping = match.mapping  # source -> canonical
    types: dict[str, object] = {}
    for src, canon in mapping.items():
        k = spec.column(canon).kind
        j = header.index(src)
        col_sample = [r[j] for r in sample if j < len(r)]
        if k == "money":
            types[src] = pa.decimal128(18, 6)
        elif k == "date":
            t = _date_type(col_sample)
            if t is None:
                return None
            types[src] = t
        elif k == "float":
            types[src] = pa.float64()
        elif k == "bool":
            types[src] = pa.bool_()
        else:
            types[src] = pa.large_string()
    for h in header:
        types.setdefault(h, pa.large_string())
    try:
        frame, dups, issues, n_read = _run(path, info, delimiter, types, header, mapping, file, ctx, ticker)
    except (NotClean, messy.GiveUp, KeyError, ValueError, TypeError, IndexError, UnicodeDecodeError,
            pa.ArrowException):
        return None  # the careful lanes read every file this lane cannot
    finally:
        memory.give_back()  # the slices' freed memory (~400 MB at 1M rows), for the analysis after
    return match, frame, dups, issues, n_read


LONG_LINE = 1 << 20
_FAILED_COLUMN = re.compile(r"In CSV column #(\d+): ")
SLICE_BYTES = 4 << 20  # one slice: ~12 ms to read and check on one core of the benchmark machine; a messy
# slice is read twice, so smaller slices make messy cells cheaper (8 MB: 1.21x the clean file in CPU
# time, 4 MB: 1.11x, 2 MB: 1.14x; the clean file the same at all three)


def _line_end(src, size: int, pos: int) -> int:
    """The offset just past the first line break at or after ``pos`` (or the file's end);
    ``src``: a pyarrow file read with ``read_at``."""
    step = 1 << 16
    while pos < size:
        k = src.read_at(min(step, size - pos), pos).find(b"\n")
        if k >= 0:
            return pos + k + 1
        pos += step
    return size


class _Plan:
    """What each source column is and how a slice of it is checked."""

    def __init__(self, header, mapping, ctx, types=None):
        spec = tables.USAGE
        self.header = header
        self.types = types or {}  # source -> the Arrow type a clean slice reads it as
        self.spec_pos = {h: spec.names.index(mapping[h]) for h in header if h in mapping}
        self.kind = {h: (spec.column(mapping[h]).kind if h in mapping else "str") for h in header}
        self.required = {h: bool(h in mapping and spec.column(mapping[h]).required) for h in header}
        by_canon = {c: s for s, c in mapping.items()}
        self.unique_of = {by_canon[c] for c in ("vendor", "currency") if c in by_canon}
        self.currency = by_canon.get("currency")
        self.default = {h: spec.column(mapping[h]).default for h in mapping}
        self.limit = ctx.max_cell_chars


class _Part:
    """One checked slice: its table, typed values, whether each text column is plain, the
    distinct vendor/currency values and the row hashes (build.hash_fold); for a slice read
    again with some columns as text, those columns' cells (messy.Cells) and the required
    text cells left blank."""
    __slots__ = ("table", "values", "plain", "uniques", "hash", "cells", "blank_text")

    def __init__(self, table):
        self.table = table
        self.values: dict[str, np.ndarray] = {}  # source -> typed numpy values
        self.plain: dict[str, bool] = {}  # text source -> nothing to trim, no blank spelling
        self.uniques: dict[str, object] = {}  # source -> distinct values (vendor, currency)
        self.hash = np.zeros(table.num_rows, dtype=np.uint64)
        self.cells: dict[str, messy.Cells] = {}  # source -> its cells, read from text
        self.blank_text: dict[str, np.ndarray] = {}  # required text source -> blank cells


class _AsText(Exception):
    """A typed column of this slice must be read as text (messy.py reads it)."""

    def __init__(self, src: str):
        super().__init__(src)
        self.src = src


def _one_chunk(col):
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


def _typed(text, kind: str, typ):
    """A money, number, date or yes/no column read as text, typed as the typed read of the
    slice types it (pyarrow's CSV conversion: numbers with spaces and tabs trimmed, yes/no from
    TRUE and FALSE exactly, the null spellings already null), or None when a cell would fail."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "bool":
        known = pc.is_in(text, value_set=pa.array(TRUE + FALSE, text.type))
        if not pc.all(pc.or_(known, text.is_null())).as_py():
            return None
        yes = pc.is_in(text, value_set=pa.array(TRUE, text.type))
        return pc.if_else(text.is_null(), pa.scalar(None, pa.bool_()), yes) if text.null_count else yes
    if kind in ("money", "float"):
        text = pc.utf8_trim(text, characters=" \t")
    try:
        return pc.cast(text, typ)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


_MICROS_LIMIT = 10 ** 18  # 12 integer digits in micros (parse._MAX_INT_DIGITS)


def _over_12_digits(col) -> bool:
    """Whether an amount typed as decimal128(18, 6) has more than 12 integer digits: pyarrow's
    CSV reader checks the digits as written (up to 18), not the value scaled to micros, so it
    reads 1234567890123.5 (and 123456789012345678, past int64 in micros) where the careful
    reader refuses the cell."""
    n = len(col)
    if not n:
        return False
    words = np.frombuffer(col.buffers()[1], dtype=np.int64)[col.offset * 2: (col.offset + n) * 2]
    lo, hi = words[0::2], words[1::2]
    if col.null_count:
        valid = ~np.asarray(col.is_null())
        lo, hi = lo[valid], hi[valid]
    return bool(((hi != (lo >> 63)) | (lo >= _MICROS_LIMIT) | (lo <= -_MICROS_LIMIT)).any())


def _upper3(arr) -> bool:
    """Every value is exactly three capital ASCII letters (a clean currency column), none of
    them a blank spelling (NAN, NIL)."""
    n = len(arr)
    offs = parse.string_offsets(arr)
    if n == 0 or offs[-1] - offs[0] != 3 * n or not (np.diff(offs) == 3).all():
        return False
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offs[0]: offs[-1]]
    if data.min() < 65 or data.max() > 90:
        return False
    n_first = data[0::3] == ord("N")
    if not n_first.any():
        return True
    pos = np.flatnonzero(n_first) * 3
    words = (data[pos + 1].astype(np.int32) << 8) | data[pos + 2]
    return not np.isin(words, _BLANK3).any()


_BLANK3 = np.array([(ord(w[1]) << 8) | ord(w[2]) for w in ("NAN", "NIL")], dtype=np.int32)  # after the N


def _check_slice(table, plan: _Plan, as_text: frozenset = frozenset()) -> _Part:
    """Check one slice read with typed columns (``as_text``: the columns read as text instead,
    handed to messy.py). Raises _AsText for a typed column whose cells the careful reader
    would reject (a blank required amount or date, a date out of range), NotClean when the
    careful reader must read the file."""
    import pyarrow as pa
    import pyarrow.compute as pc

    part = _Part(table)
    encoded: dict[str, object] = {}  # text source -> its column dictionary-encoded
    for src in plan.header:
        kind = plan.kind[src]
        col = _one_chunk(table.column(src))
        nulls = col.null_count
        if src in as_text:
            _messy_column(part, src, col, plan)
        elif kind == "money":
            if plan.required[src] and nulls:
                raise _AsText(src)  # messy.py names the rows
            if _over_12_digits(col):
                raise _AsText(src)  # pyarrow reads 1234567890123.5; the careful reader refuses it
            micros, _ = parse.decimal_micros(col)
            part.values[src] = micros
            build.hash_fold(part.hash, micros)
        elif kind == "date":
            if nulls:
                raise _AsText(src)  # messy.py names the rows
            if col.type.tz is not None:
                col = pc.cast(col, pa.timestamp("us"))  # UTC wall clock
            us = col.to_numpy().view(np.int64)
            day = us // 86_400_000_000
            if len(day) and (day.min() < parse._DAY_LO or day.max() > parse._DAY_HI):
                raise _AsText(src)  # messy.py names the rows
            part.values[src] = (day * 86_400_000_000_000).view("datetime64[ns]")
            build.hash_fold(part.hash, us)
        elif kind == "float":
            vals = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
            build.hash_fold(part.hash, np.nan_to_num(vals, nan=-0.0).view(np.int64))
            part.values[src] = vals
        elif kind == "bool":
            filled = np.asarray(pc.fill_null(col, False).to_numpy(zero_copy_only=False), dtype=bool)
            code = filled.astype(np.int64)
            part.values[src] = filled
            if nulls:
                missing = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
                code += missing * 2
                part.values[src] = np.where(missing, bool(plan.default.get(src)), filled)
            build.hash_fold(part.hash, code)
        else:
            if plan.required[src] and nulls:
                part.blank_text[src] = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            upper3 = src == plan.currency and not nulls and _upper3(col)
            plain, fp, maybe = parse.text_facts(col, plan.limit, tokens=not upper3)
            if not plain:
                col.validate(full=True)  # the reader skips UTF-8 checks: plain means ASCII
            build.hash_fold(part.hash, fp)
            part.plain[src] = plain
            encoded[src] = pc.dictionary_encode(col)
            if upper3:
                part.uniques[src] = None  # three capital letters each: valid codes, no blank
                continue
            if len(maybe) and parse.blank_spelling(col, maybe):
                raise NotClean("a blank spelled like a value")  # the careful lanes null it
            if src in plan.unique_of:
                part.uniques[src] = pc.unique(col)
    build.hash_finish(part.hash)
    _encode_text(part, encoded)
    _odd_column(part)
    return part


def _encode_text(part: _Part, encoded: dict) -> None:
    """The slice's text columns as dictionaries (int32 codes into the slice's distinct values),
    once checked: at 1M rows the text as read takes ~200 MB of Arrow strings, the codes ~45 MB
    (slices keep their own dictionaries; ``tables.text_column`` unifies them at the end)."""
    import pyarrow as pa

    table = part.table
    for src, enc in encoded.items():
        table = table.set_column(table.schema.get_field_index(src), pa.field(src, enc.type), enc)
    part.table = table


ODD = "\x00odd"  # an extra column of the read table: the raw text of a row's unplain cells
_SALT = np.int64(0x2545F4914F6CDD1D)


def _messy_column(part: _Part, src: str, col, plan: _Plan) -> None:
    """A column of this slice read as text: its cells read as their kind (messy.py), the
    typed column put back into the slice's table (so slices concatenate), the row hash fed
    the same codes a typed read feeds for plain cells and the raw text's fingerprint for the
    others (duplicates are rows equal as written, as the careful reader compares them)."""
    import pyarrow as pa

    kind = plan.kind[src]
    cells = messy.read(kind, col)
    part.cells[src] = cells
    n = len(cells.ok)
    plain = cells.ok & ~cells.odd
    if kind == "money":
        part.values[src] = np.where(cells.ok, cells.values, 0)
        code = np.where(plain, cells.values, 0)
        words = np.empty(2 * n, dtype=np.int64)
        words[0::2], words[1::2] = code, code >> 63
        typed = pa.Array.from_buffers(pa.decimal128(18, 6), n, [None, pa.py_buffer(words)])
    elif kind == "date":
        part.values[src] = cells.values  # the pending spellings are read in place (_finish_dates)
        code = np.where(plain, cells.values.view(np.int64) // 1000, 0)  # microseconds, as read typed
        typed = pa.array(code, pa.int64()).cast(pa.timestamp("us"))
        want = plan.types.get(src)
        if want is not None and want != typed.type:
            typed = typed.cast(want)
    elif kind == "float":
        part.values[src] = cells.values
        typed = pa.array(cells.values, pa.float64())
        code = np.nan_to_num(cells.values, nan=-0.0).view(np.int64)
    else:
        default = bool(plan.default.get(src))
        part.values[src] = np.where(cells.blank, default, cells.values)
        typed = pa.array(np.asarray(cells.values, dtype=bool))
        code = cells.values.astype(np.int64) + cells.blank * 2
    if not plain.all():  # null where the cell is blank, unreadable or compared as written
        bits = pa.py_buffer(np.packbits(plain, bitorder="little"))
        typed = pa.Array.from_buffers(typed.type, n, [bits, *typed.buffers()[1:]], offset=typed.offset)
    if cells.odd.any():
        _, fp, _ = parse.text_facts(cells.raw, 1 << 30, tokens=False)
        code = np.where(cells.odd, fp * _SALT + 1, code)
    build.hash_fold(part.hash, code)
    i = part.table.schema.get_field_index(src)
    part.table = part.table.set_column(i, pa.field(src, typed.type), typed)


def _odd_column(part: _Part) -> None:
    """Append ODD: per row, the raw text of its cells that were not plain spellings (null when
    none), so that the exact duplicate comparison sees them as written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    n = part.table.num_rows
    texts = [pc.if_else(pa.array(c.odd), c.raw, pa.scalar(None, pa.large_string()))
             for c in part.cells.values() if c.odd.any()]
    if not texts:
        odd = pa.nulls(n, pa.large_string())
    elif len(texts) == 1:
        odd = texts[0]
    else:
        odd = pc.binary_join_element_wise(*texts, pa.scalar("\x1f", pa.large_string()), null_handling="replace",
                                          null_replacement="")
    part.table = part.table.append_column(ODD, odd)


def _read_slices(path, info, delimiter, types, header, plan: _Plan, ticker) -> list[_Part]:
    """The file through ``pyarrow.csv.read_csv`` in slices that end on line breaks; each worker
    thread reads its slice from the file (4 MB, freed once read: the file is not mapped, whose
    pages would stay in the resident set), parses it on one core and checks it (pyarrow and
    numpy release the GIL), so reading and checking share every core. Progress and cancel run
    between slices (the streaming reader converts one block at a time: ~1.8x slower)."""
    import pyarrow as pa

    with pa.OSFile(str(path), "r") as src:
        return _slices_of(src, info, delimiter, types, header, plan, ticker)


def _slices_of(src, info, delimiter, types, header, plan: _Plan, ticker) -> list[_Part]:
    import os

    import pyarrow as pa
    import pyarrow.csv as pacsv

    n = src.size()
    start = _line_end(src, n, info.bom)
    if b"\r" in src.read_at(start - info.bom, info.bom)[:-2]:
        raise NotClean("lines end with a bare carriage return")
    bounds = []
    pos = start
    while pos < n:
        end = _line_end(src, n, min(n, pos + SLICE_BYTES))
        if end - min(n, pos + SLICE_BYTES) > LONG_LINE:
            # a line of more than 1 MiB: never a clean usage row; the careful lane rejects the
            # row (a 200 MB line once cost this lane 1.7 GB before failing)
            raise NotClean("a line is longer than 1 MiB")
        bounds.append((pos, end))
        pos = end
    if not bounds:
        raise NotClean("no data rows")
    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                       ignore_empty_lines=False)

    def convert_options(as_text):
        return pacsv.ConvertOptions(
            column_types={**types, **{c: pa.large_string() for c in as_text}}, null_values=NULLS,
            strings_can_be_null=True, quoted_strings_can_be_null=True, true_values=TRUE,
            false_values=FALSE,
            check_utf8=False)  # _check_slice: ASCII columns need none, the others are validated

    typed = convert_options(())

    def read(data, options):
        return pacsv.read_csv(pa.BufferReader(data), read_options=pacsv.ReadOptions(
            use_threads=False, column_names=header, block_size=len(data) + 1),
            parse_options=parse_options, convert_options=options)

    wide = [h for h in header if plan.kind[h] in messy.KINDS]  # the columns a slice may read as text
    as_text_all = convert_options(wide)

    def job(se):
        """Read and check one slice. When a column fails (pyarrow cannot type a cell, or the
        careful reader would reject one), the slice is read once more with every money, number,
        date and yes/no column as text: each is typed by pyarrow's cast (the same reading as
        the typed read) where it can be, the others go to messy.py (per-slice fallback: one
        extra read of the slice however many of its columns are messy)."""
        s, e = se
        data = src.read_at(e - s, s)
        try:
            return _check_slice(read(data, typed), plan)
        except pa.ArrowInvalid as exc:
            m = _FAILED_COLUMN.match(str(exc))
            failed = header[int(m.group(1))] if m and int(m.group(1)) < len(header) else None
        except _AsText as exc:
            failed = exc.src
        if failed is None or plan.kind.get(failed) not in messy.KINDS:
            raise NotClean("a slice cannot be read column by column")
        table = read(data, as_text_all)
        del data
        texts = {h: _one_chunk(table.column(h)) for h in wide}
        as_text = {failed}
        for h in wide:
            got = None if h == failed else _typed(texts[h], plan.kind[h], types[h])
            if got is None:
                as_text.add(h)
            else:
                table = table.set_column(table.schema.get_field_index(h), pa.field(h, got.type), got)
        while True:
            try:
                return _check_slice(table, plan, frozenset(as_text))
            except _AsText as exc:
                if exc.src in as_text or plan.kind.get(exc.src) not in messy.KINDS:
                    raise NotClean("a slice cannot be read column by column") from None
                as_text.add(exc.src)
                i = table.schema.get_field_index(exc.src)
                table = table.set_column(i, pa.field(exc.src, pa.large_string()), texts[exc.src])

    workers = max(1, min(len(bounds), os.cpu_count() or 1, 8))
    parts: list[_Part] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job, se) for se in bounds]
        try:
            for k, fut in enumerate(futures):
                while True:
                    try:
                        parts.append(fut.result(timeout=0.1))
                        break
                    except TimeoutError:
                        ticker.check()
                ticker(0.85 * bounds[k][1] / n, "reading rows")
                ticker.check()
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return parts


def _run(path, info, delimiter, types, header, mapping, file, ctx, ticker
         ) -> tuple[pd.DataFrame, list[int], list[ImportIssue], int]:
    import pyarrow as pa
    import pyarrow.compute as pc

    plan = _Plan(header, mapping, ctx, types)
    parts = _read_slices(path, info, delimiter, types, header, plan, ticker)
    ticker(0.85, "checking values")
    prof = ctx.profile
    spec = tables.USAGE
    by_canon = {canon: src for src, canon in mapping.items()}
    messy_parts = [p for p in parts if p.cells or p.blank_text]
    if messy_parts and prof is not None and prof.decimal == "," and any(
            c.kind in ("money", "float") for p in messy_parts for c in p.cells.values()):
        raise NotClean("the profile's decimal comma: the careful reader decides")
    _finish_dates(messy_parts)
    starts = np.concatenate([[0], np.cumsum([p.table.num_rows for p in parts])]).astype(np.int64)
    table = pa.concat_tables([p.table for p in parts])
    n = table.num_rows
    found = _cell_issues(parts, starts, plan) if messy_parts else []
    cell_cur = _cell_currency(parts, starts, plan, by_canon, table, found) if messy_parts else None
    bad = np.zeros(n, dtype=bool)
    if found:
        bad[[f[0] for f in found]] = True
        _no_totals(table, parts, starts, plan, np.flatnonzero(bad))
    # duplicates on a second core while the columns are assembled (numpy releases the GIL)
    finder = ThreadPoolExecutor(max_workers=1)
    dup_job = finder.submit(_duplicates, table, np.concatenate([p.hash for p in parts]),
                            ~bad if found else None)
    finder.shutdown(wait=False)
    blank_text = {src: np.concatenate([p.blank_text.get(src, np.zeros(p.table.num_rows, dtype=bool))
                                       for p in parts])
                  for src in {s for p in parts for s in p.blank_text}}
    out: dict[str, object] = {}
    dicts: dict[str, tuple] = {}
    for c in spec.columns:
        src = by_canon.get(c.name)
        if src is None:
            continue
        if c.kind == "int":  # a count column (usage source_rows): the careful lanes check it
            raise NotClean(f"{c.name} column")
        if c.kind in ("money", "date", "bool"):
            out[c.name] = np.concatenate([p.values[src] for p in parts])
        elif c.kind == "float":
            vals = np.concatenate([p.values[src] for p in parts])
            if c.default is not None and np.isnan(vals).any():
                vals = np.where(np.isnan(vals), c.default, vals)
            out[c.name] = vals
        else:
            col = table.column(src)
            plain = all(p.plain[src] for p in parts)
            if src in plan.unique_of:
                seen = [p.uniques[src] for p in parts if p.uniques[src] is not None]
                uniq = pa.concat_arrays(seen).unique().to_pylist() if seen else []
                if c.name == "vendor":
                    ok = plain and all(v is None or tables.normalize_vendor(v) == v for v in uniq)
                else:
                    ok = plain and all(v is not None and re.fullmatch(r"[A-Z]{3}", v) for v in uniq)
                if not ok:
                    col, cds, d = _strings(col, ctx.max_cell_chars)
                    dicts[c.name] = (d, cds)
            elif not plain:
                col, _, _ = _strings(col, ctx.max_cell_chars)
            if c.required and col.null_count:
                null = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
                if (null & ~blank_text.get(src, np.zeros(n, dtype=bool))).any():
                    raise NotClean("blank required text")  # spelled blank: the careful lanes decide
            out[c.name] = col
    if prof is not None:
        if prof.vendor and "vendor" not in out:
            out["vendor"] = _Repeat(prof.vendor)
        if prof.currency and "currency" not in out:
            out["currency"] = _Repeat(prof.currency)
    if "currency" in dicts:
        d, cds = dicts["currency"]
        vals = d.to_pylist()
        up = [v.upper() if v is not None else None for v in vals]
        if any(v is not None and not re.fullmatch(r"[A-Z]{3}", v) for v in up):
            raise NotClean("currency")
        default = prof.currency if prof is not None and prof.currency else "USD"
        if up != vals or (cds < 0).any():
            out["currency"] = _recode(up, cds, default)
    if "vendor" in dicts:
        d, cds = dicts["vendor"]
        vals = d.to_pylist()
        norm = [tables.normalize_vendor(v) for v in vals]
        if norm != vals:
            out["vendor"] = _recode(norm, cds, None)
    for c in spec.columns:
        if c.name in out:
            continue
        if (spec.name, c.name) in tables.SAME_AS:
            out[c.name] = out[tables.SAME_AS[(spec.name, c.name)]]
        elif c.kind == "str":
            out[c.name] = _Repeat(c.default)  # built at the end, one byte a row
        elif c.kind == "float":
            out[c.name] = np.full(n, np.nan if c.default is None else c.default, dtype=np.float64)
        elif c.kind == "bool":
            out[c.name] = np.full(n, bool(c.default), dtype=bool)
        elif c.kind == "date":
            out[c.name] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        elif c.kind == "int":  # usage source_rows: 1 per file row
            out[c.name] = np.full(n, 0 if c.default is None else c.default, dtype=np.int64)
    if cell_cur is not None and "currency" in out:
        pos, codes, blank = cell_cur
        if blank.any():  # no currency in the column: the one written in the amount
            cur = _dictionary(_arrow_text(out["currency"], n))
            mask = np.zeros(n, dtype=bool)
            mask[pos[blank]] = True
            out["currency"] = pc.replace_with_mask(cur.cast(pa.large_string()), pa.array(mask),
                                                   pa.array(codes[blank].tolist(), pa.large_string()))
    ticker(0.9, "checking values")
    dups = dup_job.result()
    keep = np.flatnonzero(~bad) if found else None
    m = n if keep is None else len(keep)
    data = {}
    for c in spec.columns:
        v = out[c.name]
        if isinstance(v, _Repeat):
            data[c.name] = (tables.repeat_text(v.value, m) if v.value is not None
                            else tables.from_codes(np.full(m, -1, dtype=np.int8), []))
        elif c.kind == "str":
            if keep is not None:
                v = v.take(pa.array(keep))
            # text dictionary-encoded once, here (desktop/domain/tables.py DICTIONARY_TABLES)
            data[c.name] = tables.text_column(v)
        else:
            data[c.name] = v if keep is None else v[keep]
    data["_file"] = tables.repeat_text(file, m)
    data["_row"] = (np.arange(2, n + 2, dtype=np.int64) if keep is None else keep.astype(np.int64) + 2)
    frame = pd.DataFrame(data, copy=False)
    issues = [ImportIssue(int(f[0]) + 2, f[3], f[4], None if parse.is_blank(f[5]) else build._shown(str(f[5])))
              for f in sorted(found, key=lambda f: (f[0], f[1], f[2]))]
    return frame, (np.flatnonzero(dups) + 2).tolist(), issues, n


def _finish_dates(parts: list[_Part]) -> None:
    """The date spellings left for the file's day/month order (messy.date_order)."""
    cols = [c for p in parts for c in p.cells.values() if c.kind == "date" and len(c.pending)]
    if cols:
        order = messy.date_order(cols)
        for c in cols:
            messy.finish_dates(c, order)


def _cell_issues(parts: list[_Part], starts: np.ndarray, plan: _Plan) -> list[tuple]:
    """The careful reader's issues for the cells read as text: (row position, order within
    the row, source column, message, the value as written); a row with one is rejected."""
    import pyarrow as pa

    found: list[tuple] = []
    for k, p in enumerate(parts):
        base = int(starts[k])
        for src, c in p.cells.items():
            checks = []
            if c.kind == "date":
                checks += [(c.far, parse.DATE_RANGE_MESSAGE), (~c.ok & ~c.blank & ~c.far, validation.UNREADABLE["date"])]
            else:
                checks.append((~c.ok & ~c.blank, validation.UNREADABLE[c.kind]))
            if plan.required[src]:
                checks.append((c.blank, validation.REQUIRED))
            for j, (mask, message) in enumerate(checks):
                idx = np.flatnonzero(mask)
                if len(idx):
                    for i, v in zip(idx.tolist(), c.raw.take(pa.array(idx)).to_pylist(), strict=True):
                        found.append((base + i, plan.spec_pos[src] * 8 + j, 0, src, message, v))
        for src, mask in p.blank_text.items():
            for i in np.flatnonzero(mask).tolist():
                found.append((base + i, plan.spec_pos[src] * 8, 0, src, validation.REQUIRED, None))
    return found


CLASH = "the amount names a different currency than the currency column"  # build._currencies


def _cell_currency(parts, starts, plan: _Plan, by_canon: dict, table, found: list):
    """A currency written in the amount ("$1,234.50"): the careful reader takes it from the last
    money column it parses; a row whose currency column names another is rejected (an issue
    on the first money column), a row without one takes it. Returns (row positions, codes,
    currency column blank there) or None."""
    import pyarrow as pa

    money = [by_canon[c.name] for c in tables.USAGE.columns if c.kind == "money" and c.name in by_canon]
    last = money[-1] if money else None
    pos, codes = [], []
    for k, p in enumerate(parts):
        c = p.cells.get(last)
        if c is None or c.currency is None:
            continue
        at = np.flatnonzero(pd.notna(pd.Series(c.currency, dtype=object)).to_numpy())
        pos.extend((at + int(starts[k])).tolist())
        codes.extend(c.currency[at].tolist())
    if not pos:
        return None
    pos_a = np.asarray(pos, dtype=np.int64)
    codes_a = np.asarray(codes, dtype=object)
    if plan.currency is None:
        return pos_a, codes_a, np.ones(len(pos_a), dtype=bool)
    raw = table.column(plan.currency).take(pa.array(pos_a)).to_pylist()
    blank = np.array([parse.is_blank(v) for v in raw], dtype=bool)
    for i, (v, cc) in enumerate(zip(raw, codes, strict=True)):
        if blank[i]:
            continue
        code = str(v).strip().upper()
        if parse.CURRENCY_SYMBOLS.get(code, code) != cc:
            found.append((int(pos_a[i]), 1 << 20, 0, money[0], CLASH, None))
    return pos_a, codes_a, blank


def _no_totals(table, parts, starts, plan: _Plan, rows: np.ndarray) -> None:
    """A rejected row whose first cells say total/subtotal may be a totals row, which the
    careful reader leaves out instead (build.totals_rows): it reads the file."""
    import pyarrow as pa

    for src in plan.header[:3]:
        for r in rows.tolist():
            k = int(np.searchsorted(starts, r, side="right")) - 1
            c = parts[k].cells.get(src)
            col = c.raw if c is not None else parts[k].table.column(src)
            t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
            if not pa.types.is_string(t) and not pa.types.is_large_string(t):
                continue
            v = col[r - int(starts[k])].as_py()
            if v is not None and sniff.is_total_label(v):
                raise NotClean("a rejected row may be a totals row")


def _strings(col, max_chars: int):
    """A text column (Arrow strings or dictionary, chunked or not) that is not plain
    (``parse.text_facts``) -> (clean dictionary column, codes (-1: null), its dictionary):
    trimming and blank -> null run on the distinct values and the codes are remapped when
    something changed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = _dictionary(col)
    d = enc.dictionary
    longest = pc.max(pc.utf8_length(d)).as_py() if len(d) else 0
    if longest is not None and longest > max_chars:
        raise NotClean("over-long cell")
    trimmed = pc.utf8_trim_whitespace(d)
    if len(d) and pc.any(pc.match_substring_regex(trimmed, parse.CONTROL_RE)).as_py():
        raise NotClean("a control character")  # the careful lanes reject its row (once trimmed)
    empty = pc.equal(trimmed, "")
    changed = not trimmed.equals(d) or pc.any(empty).as_py()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    if enc.indices.null_count:
        codes = np.where(np.asarray(enc.indices.is_null()), -1, codes)
    codes = codes.astype(np.int64)
    if not changed:
        return enc, codes, d
    fixed = pc.if_else(empty, pa.scalar(None, d.type), trimmed)
    return _dict_array(codes, fixed.to_pylist()), codes, fixed


def _dictionary(col):
    """One dictionary array (the chunks' dictionaries unified) of a text column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(col, pa.ChunkedArray):
        col = col.unify_dictionaries() if pa.types.is_dictionary(col.type) else col
        col = col.combine_chunks() if col.num_chunks else pa.array([], col.type)
    return col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)


def _dict_array(codes: np.ndarray, values: list):
    """A dictionary array of ``values[codes]`` (code -1 or a None value: null); values that
    repeat share one entry, so the dictionary stays distinct."""
    import pyarrow as pa

    distinct: dict[str, int] = {}
    remap = np.full(len(values) + 1, -1, dtype=np.int32)  # the last entry: code -1
    for i, v in enumerate(values):
        if v is not None:
            remap[i] = distinct.setdefault(v, len(distinct))
    new = remap[codes]
    indices = pa.array(new, pa.int32(), mask=new < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(distinct), pa.large_string()))


def _recode(values: list, cds: np.ndarray, default):
    """New distinct values for the same codes (code -1 = null -> default), dictionary-encoded."""
    return _dict_array(np.where(cds < 0, len(values), cds), list(values) + [default])


class _Repeat:
    """A text column that is one value (or None) in every row: not in the file, or given by the
    profile; made when the frame is (``tables.repeat_text``), not as n Arrow strings."""
    __slots__ = ("value",)

    def __init__(self, value: str | None):
        self.value = value


def _arrow_text(v, n: int):
    """A text column of ``out`` as Arrow (a _Repeat made into a dictionary array)."""
    import pyarrow as pa

    if not isinstance(v, _Repeat):
        return v
    if v.value is None:
        return pa.nulls(n, pa.large_string())
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)),
                                          pa.array([v.value], pa.large_string()))


def _duplicates(table, h: np.ndarray, good: np.ndarray | None = None) -> np.ndarray:
    """Rows equal to an earlier row in every source column (among the ``good`` ones, rejected
    rows left out): the row hash (typed values, text fingerprints, the raw text of unplain
    cells) finds the candidates, an exact comparison of their values (and ODD) confirms."""
    import pyarrow as pa

    at = None if good is None else np.flatnonzero(good)

    def confirm(idx):
        sub = table.take(pa.array(idx if at is None else at[idx])).to_pandas()
        sub.columns = range(sub.shape[1])
        return sub.astype(str).duplicated(keep="first").to_numpy()

    if at is None:
        return build.hash_duplicates(h, confirm)
    out = np.zeros(len(h), dtype=bool)
    out[at[build.hash_duplicates(h[at], confirm)]] = True
    return out
