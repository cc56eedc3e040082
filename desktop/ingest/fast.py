"""The fast lane for big, clean usage CSVs (pyarrow all the way).

Taken when a text file is UTF-8, has its header on the first line, has no blank lines and no
line breaks inside quotes, and its header maps plainly onto the usage table (canonical names,
synonyms or a mapping profile). pyarrow's streaming reader parses it in blocks (progress and
cancel between blocks, each block well under 0.5 s) straight into typed columns: money as
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
        table = _read(path, info, delimiter, types, ticker)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, UnicodeDecodeError, NotClean):
        return None
    try:
        frame, dups = _canonical(table, mapping, header, file, ctx, ticker)
    except (NotClean, KeyError, ValueError, TypeError, IndexError, pa.ArrowException):
        return None  # the careful lanes read every file this lane cannot
    return match, frame, dups


def _read(path, info, delimiter, types, ticker):
    import os

    import pyarrow as pa
    import pyarrow.csv as pacsv

    total = max(os.path.getsize(path), 1)
    reader = pacsv.open_csv(
        str(path),
        read_options=pacsv.ReadOptions(block_size=1 << 20, use_threads=True),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=False,
                                         ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(
            column_types=types, null_values=NULLS, strings_can_be_null=True,
            quoted_strings_can_be_null=True, true_values=TRUE, false_values=FALSE),
    )
    batches = []
    done = 0
    for batch in reader:
        batches.append(batch)
        done += batch.nbytes
        ticker(min(0.7, 0.7 * done / (total * 1.2)), "reading rows")
    ticker.check()
    return pa.Table.from_batches(batches, schema=reader.schema)


def _micros(col) -> tuple[np.ndarray, np.ndarray]:
    return parse.decimal_micros(col)


def _ascii_clean(col) -> bool:
    """True when no value can need trimming: all bytes ASCII and no value starts or ends with
    a space or a tab (blanks are already null: the reader maps "" to null). Reads the string
    buffers directly: first and last byte of every non-empty value."""
    import pyarrow as pa

    for c in (col.chunks if isinstance(col, pa.ChunkedArray) else [col]):
        if len(c) == 0 or c.null_count == len(c):
            continue
        if not pa.types.is_large_string(c.type):
            c = c.cast(pa.large_string())
        bufs = c.buffers()
        data = bufs[2]
        if data is None or not len(data):
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        if raw.max() >= 128:
            return False
        offs = np.frombuffer(bufs[1], dtype=np.int64)[c.offset: c.offset + len(c) + 1]
        starts, ends = offs[:-1], offs[1:]
        nonempty = ends > starts
        first = raw[starts[nonempty]]
        last = raw[ends[nonempty] - 1]
        if ((first == 32) | (first == 9) | (last == 32) | (last == 9)).any():
            return False
    return True


def _strings(col, max_chars: int, need_dict: bool = False):
    """Arrow strings -> (clean column, dictionary codes or None, dictionary or None). A column
    of plain ASCII values without edge blanks is kept as it is (only its length is checked);
    otherwise trimming and blank -> null run on the distinct values and the column is rebuilt
    when something changed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not need_dict and _ascii_clean(col):
        longest = pc.max(pc.binary_length(col)).as_py() or 0
        if longest > max_chars:
            raise NotClean("over-long cell")
        return col, None, None
    col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    enc = pc.dictionary_encode(col)
    d = enc.dictionary
    longest = pc.max(pc.utf8_length(d)).as_py() if len(d) else 0
    if longest is not None and longest > max_chars:
        raise NotClean("over-long cell")
    trimmed = pc.utf8_trim_whitespace(d)
    empty = pc.equal(trimmed, "")
    changed = not trimmed.equals(d) or pc.any(empty).as_py()
    if changed:
        fixed = pc.if_else(empty, pa.scalar(None, d.type), trimmed)
        col = pc.take(fixed, enc.indices)
    codes = enc.indices.to_numpy(zero_copy_only=False)
    if enc.indices.null_count:
        codes = np.where(np.asarray(enc.indices.is_null()), -1, codes)
    return col, codes.astype(np.int64), (trimmed if not changed else fixed)


def _canonical(table, mapping, header, file, ctx, ticker) -> tuple[pd.DataFrame, list[int]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    spec = tables.USAGE
    n = table.num_rows
    by_canon = {canon: src for src, canon in mapping.items()}
    prof = ctx.profile
    out: dict[str, object] = {}
    codes: dict[str, np.ndarray] = {}  # per source column, for duplicate detection
    str_jobs: dict[str, str] = {}  # canonical -> source
    for c in spec.columns:
        src = by_canon.get(c.name)
        if src is None:
            continue
        col = table.column(src)
        if c.kind == "money":
            micros, valid = _micros(col)
            if c.required and not valid.all():
                raise NotClean("blank amount")
            out[c.name] = micros
            codes[src] = micros
        elif c.kind == "date":
            if col.null_count and c.required:
                raise NotClean("blank date")
            if col.type.tz is not None:
                col = pc.cast(col, pa.timestamp("us"))  # UTC wall clock
            raw = col.to_numpy() if not isinstance(col, pa.ChunkedArray) else col.to_numpy()
            day = raw.astype("datetime64[D]").view(np.int64)
            if len(day) and (day.min() < parse._DAY_LO or day.max() > parse._DAY_HI):
                raise NotClean("date out of range")  # the careful lanes name the rows
            codes[src] = raw.astype("datetime64[us]").view(np.int64)
            out[c.name] = raw.astype("datetime64[D]").astype("datetime64[ns]")
        elif c.kind == "float":
            vals = col.to_numpy().astype(np.float64)
            codes[src] = np.nan_to_num(vals, nan=-0.0).view(np.int64)
            if c.default is not None:
                vals = np.where(np.isnan(vals), c.default, vals)
            out[c.name] = vals
        elif c.kind == "bool":
            raw = col.to_numpy(zero_copy_only=False)
            codes[src] = pd.array(raw, dtype="boolean").fillna(False).to_numpy(dtype=np.int64) + \
                np.asarray(col.is_null(), dtype=np.int64) * 2
            out[c.name] = np.asarray(pc.fill_null(col, bool(c.default)).to_numpy(zero_copy_only=False), bool)
        else:
            str_jobs[c.name] = src
    limit = ctx.max_cell_chars

    dict_cols = {by_canon.get("vendor"), by_canon.get("currency")}

    def job(src):
        return _strings(table.column(src), limit, need_dict=src in dict_cols)

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(str_jobs.values(), pool.map(job, str_jobs.values()), strict=True))
    ticker(0.8, "checking values")
    dicts: dict[str, object] = {}
    for name, src in str_jobs.items():
        col, cds, d = results[src]
        if spec.column(name).required and col.null_count:
            raise NotClean("blank required text")
        out[name] = col
        if cds is not None:
            dicts[name] = (d, cds)

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
        if c.kind == "str":
            out[c.name] = (pa.nulls(n, pa.large_string()) if c.default is None
                           else pa.array([c.default] * n, pa.large_string()))
        elif c.kind == "float":
            out[c.name] = np.full(n, np.nan if c.default is None else c.default, dtype=np.float64)
        elif c.kind == "bool":
            out[c.name] = np.full(n, bool(c.default), dtype=bool)
        elif c.kind == "date":
            out[c.name] = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    ticker(0.85, "checking values")
    # duplicates: candidates share every typed column (date, amount, numbers); the exact
    # comparison over all source columns confirms them
    dups = _duplicates(table, [codes[h] for h in header if h in codes])
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


def _recode(values: list, cds: np.ndarray, default):
    """New distinct values for the same codes (code -1 = null -> default)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    d = pa.array(list(values) + [default], pa.large_string())
    idx = np.where(cds < 0, len(values), cds)
    return pc.take(d, pa.array(idx))


def _duplicates(table, code_columns: list[np.ndarray]) -> np.ndarray:
    import pyarrow as pa

    def confirm(idx):
        sub = table.take(pa.array(idx)).to_pandas()
        sub.columns = range(sub.shape[1])
        return sub.astype(str).duplicated(keep="first").to_numpy()

    return build.duplicate_mask(code_columns, confirm)
