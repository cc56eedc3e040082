"""The fast lane for big, clean usage CSVs (pyarrow all the way).

Taken when a text file is UTF-8, has its header on the first line, has no blank lines and no
line breaks inside quotes, and its header maps plainly onto the usage table (canonical names,
synonyms or a mapping profile). It is cut into 8 MB slices on line breaks; worker threads read
them with pyarrow (progress and cancel between slices, each well under 0.5 s) straight into
typed columns and check them at once: money as
decimal128(18, 6) (exact; the unscaled integers ARE the micros), ISO dates as timestamps,
numbers as float64, yes/no as bool. Strings are trimmed, blanks become NA, vendors are
normalised per distinct value.

The lane only returns a result when every row is clean. Anything else (a value arrow cannot
type, an empty required cell, a bad currency code, an over-long cell ...) returns None and the
careful reader reads the file again and reports row by row, so both lanes give the same
result on a clean file (tests/ingest/test_fast.py checks that, and that
``tables.conform(frame)`` leaves the frame unchanged).
"""

from __future__ import annotations

import csv
import io
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from desktop.domain import tables
from desktop.ingest import build, parse, sniff
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
    """(match, frame, duplicate row numbers) or None when the careful reader must take over."""
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
        frame, dups = _run(path, info, delimiter, types, header, mapping, file, ctx, ticker)
    except (NotClean, KeyError, ValueError, TypeError, IndexError, UnicodeDecodeError, pa.ArrowException):
        return None  # the careful lanes read every file this lane cannot
    return match, frame, dups


LONG_LINE = 1 << 20
SLICE_BYTES = 8 << 20  # one slice: ~25 ms to read and check on one core of the benchmark machine


def _line_end(buf, pos: int) -> int:
    """The offset just past the first line break at or after ``pos`` (or the buffer's end)."""
    n = buf.size
    step = 1 << 16
    while pos < n:
        k = buf.slice(pos, min(step, n - pos)).to_pybytes().find(b"\n")
        if k >= 0:
            return pos + k + 1
        pos += step
    return n


class _Plan:
    """What each source column is and how a slice of it is checked."""

    def __init__(self, header, mapping, ctx):
        spec = tables.USAGE
        self.header = header
        self.kind = {h: (spec.column(mapping[h]).kind if h in mapping else "str") for h in header}
        self.required = {h: bool(h in mapping and spec.column(mapping[h]).required) for h in header}
        by_canon = {c: s for s, c in mapping.items()}
        self.unique_of = {by_canon[c] for c in ("vendor", "currency") if c in by_canon}
        self.currency = by_canon.get("currency")
        self.default = {h: spec.column(mapping[h]).default for h in mapping}
        self.limit = ctx.max_cell_chars


class _Part:
    """One checked slice: its table, typed values, whether each text column is plain, the
    distinct vendor/currency values and the row hashes (build.hash_fold)."""
    __slots__ = ("table", "values", "plain", "uniques", "hash")

    def __init__(self, table):
        self.table = table
        self.values: dict[str, np.ndarray] = {}  # source -> typed numpy values
        self.plain: dict[str, bool] = {}  # text source -> nothing to trim, no blank spelling
        self.uniques: dict[str, object] = {}  # source -> distinct values (vendor, currency)
        self.hash = np.zeros(table.num_rows, dtype=np.uint64)


def _one_chunk(col):
    import pyarrow as pa

    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


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


def _check_slice(table, plan: _Plan) -> _Part:
    import pyarrow as pa
    import pyarrow.compute as pc

    part = _Part(table)
    for src in plan.header:
        kind = plan.kind[src]
        col = _one_chunk(table.column(src))
        nulls = col.null_count
        if kind == "money":
            if plan.required[src] and nulls:
                raise NotClean("blank amount")
            micros, _ = parse.decimal_micros(col)
            part.values[src] = micros
            build.hash_fold(part.hash, micros)
        elif kind == "date":
            if nulls:
                raise NotClean("blank date")  # the careful lanes name the rows
            if col.type.tz is not None:
                col = pc.cast(col, pa.timestamp("us"))  # UTC wall clock
            us = col.to_numpy().view(np.int64)
            day = us // 86_400_000_000
            if len(day) and (day.min() < parse._DAY_LO or day.max() > parse._DAY_HI):
                raise NotClean("date out of range")  # the careful lanes name the rows
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
                raise NotClean("blank required text")
            upper3 = src == plan.currency and not nulls and _upper3(col)
            plain, fp, maybe = parse.text_facts(col, plan.limit, tokens=not upper3)
            if not plain:
                col.validate(full=True)  # the reader skips UTF-8 checks: plain means ASCII
            build.hash_fold(part.hash, fp)
            part.plain[src] = plain
            if upper3:
                part.uniques[src] = None  # three capital letters each: valid codes, no blank
                continue
            if len(maybe) and parse.blank_spelling(col, maybe):
                raise NotClean("a blank spelled like a value")  # the careful lanes null it
            if src in plan.unique_of:
                part.uniques[src] = pc.unique(col)
    build.hash_finish(part.hash)
    return part


def _read_slices(path, info, delimiter, types, header, plan: _Plan, ticker) -> list[_Part]:
    """The file through ``pyarrow.csv.read_csv`` in slices of the memory-mapped file that end
    on line breaks; each worker thread reads a slice on one core and checks it (pyarrow and
    numpy release the GIL), so reading and checking share every core. Progress and cancel run
    between slices (the streaming reader converts one block at a time: ~1.8x slower)."""
    import os

    import pyarrow as pa
    import pyarrow.csv as pacsv

    src = pa.memory_map(str(path), "r")
    buf = src.read_buffer()
    n = buf.size
    start = _line_end(buf, info.bom)
    if b"\r" in buf.slice(info.bom, start - info.bom).to_pybytes()[:-2]:
        raise NotClean("lines end with a bare carriage return")
    bounds = []
    pos = start
    while pos < n:
        end = _line_end(buf, min(n, pos + SLICE_BYTES))
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
    convert_options = pacsv.ConvertOptions(
        column_types=types, null_values=NULLS, strings_can_be_null=True,
        quoted_strings_can_be_null=True, true_values=TRUE, false_values=FALSE,
        check_utf8=False)  # _check_slice: ASCII columns need none, the others are validated

    def job(se):
        s, e = se
        opts = pacsv.ReadOptions(use_threads=False, column_names=header, block_size=e - s + 1)
        table = pacsv.read_csv(pa.BufferReader(buf.slice(s, e - s)), read_options=opts,
                               parse_options=parse_options, convert_options=convert_options)
        return _check_slice(table, plan)

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


def _run(path, info, delimiter, types, header, mapping, file, ctx, ticker) -> tuple[pd.DataFrame, list[int]]:
    import pyarrow as pa

    plan = _Plan(header, mapping, ctx)
    parts = _read_slices(path, info, delimiter, types, header, plan, ticker)
    ticker(0.85, "checking values")
    table = pa.concat_tables([p.table for p in parts])
    # duplicates on a second core while the columns are assembled (numpy releases the GIL)
    finder = ThreadPoolExecutor(max_workers=1)
    dup_job = finder.submit(_duplicates, table, np.concatenate([p.hash for p in parts]))
    finder.shutdown(wait=False)
    n = table.num_rows
    spec = tables.USAGE
    by_canon = {canon: src for src, canon in mapping.items()}
    prof = ctx.profile
    out: dict[str, object] = {}
    dicts: dict[str, tuple] = {}
    for c in spec.columns:
        src = by_canon.get(c.name)
        if src is None:
            continue
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
                raise NotClean("blank required text")
            out[c.name] = col
    if prof is not None:
        if prof.vendor and "vendor" not in out:
            out["vendor"] = pa.array([prof.vendor] * n, pa.large_string())
        if prof.currency and "currency" not in out:
            out["currency"] = pa.array([prof.currency] * n, pa.large_string())
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
            out[c.name] = (pa.nulls(n, pa.large_string()) if c.default is None
                           else pa.array([c.default] * n, pa.large_string()))
        elif c.kind == "float":
            out[c.name] = np.full(n, np.nan if c.default is None else c.default, dtype=np.float64)
        elif c.kind == "bool":
            out[c.name] = np.full(n, bool(c.default), dtype=bool)
        elif c.kind == "date":
            out[c.name] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    ticker(0.9, "checking values")
    dups = dup_job.result()
    data = {}
    for c in spec.columns:
        v = out[c.name]
        if c.kind == "str":
            if v.type != pa.large_string():
                v = v.cast(pa.large_string())
            data[c.name] = pd.Series(pd.arrays.ArrowStringArray(v))
        else:
            data[c.name] = v
    data["_file"] = pd.Series(pd.arrays.ArrowStringArray(pa.repeat(pa.scalar(file, pa.large_string()), n)))
    data["_row"] = np.arange(2, n + 2, dtype=np.int64)
    frame = pd.DataFrame(data, copy=False)
    return frame, (np.flatnonzero(dups) + 2).tolist()


def _strings(col, max_chars: int):
    """Arrow strings that are not plain (``parse.text_facts``) -> (clean column, dictionary codes,
    dictionary): trimming and blank -> null run on the distinct values and the column is
    rebuilt when something changed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    enc = pc.dictionary_encode(col)
    d = enc.dictionary
    longest = pc.max(pc.utf8_length(d)).as_py() if len(d) else 0
    if longest is not None and longest > max_chars:
        raise NotClean("over-long cell")
    trimmed = pc.utf8_trim_whitespace(d)
    if len(d) and pc.any(pc.match_substring_regex(trimmed, parse.CONTROL_RE)).as_py():
        raise NotClean("a control character")  # the careful lanes reject its row (once trimmed)
    empty = pc.equal(trimmed, "")
    changed = not trimmed.equals(d) or pc.any(empty).as_py()
    if changed:
        fixed = pc.if_else(empty, pa.scalar(None, d.type), trimmed)
        col = pc.take(fixed, enc.indices)
    codes = enc.indices.to_numpy(zero_copy_only=False)
    if enc.indices.null_count:
        codes = np.where(np.asarray(enc.indices.is_null()), -1, codes)
    return col, codes.astype(np.int64), (trimmed if not changed else fixed)


def _recode(values: list, cds: np.ndarray, default):
    """New distinct values for the same codes (code -1 = null -> default)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    d = pa.array(list(values) + [default], pa.large_string())
    idx = np.where(cds < 0, len(values), cds)
    return pc.take(d, pa.array(idx))


def _duplicates(table, h: np.ndarray) -> np.ndarray:
    """Rows equal to an earlier row in every source column: the row hash (typed values and
    text fingerprints) finds the candidates, an exact comparison of their values confirms."""
    import pyarrow as pa

    def confirm(idx):
        sub = table.take(pa.array(idx)).to_pandas()
        sub.columns = range(sub.shape[1])
        return sub.astype(str).duplicated(keep="first").to_numpy()

    return build.hash_duplicates(h, confirm)
