"""Parquet files: read into the same RawTable as a CSV (every column as text), so the mapping,
validation and import report are the CSV's, with the same limits.

Bounded before reading: the footer's declared length is checked against the file, then the
metadata's row groups (rows, columns, uncompressed bytes of every column chunk) against the
limits; nothing declared is trusted (a footer may claim anything), and only then are the rows
read, row group by row group. Row numbers in the report are 1-based data rows (a Parquet file
has no header line).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pandas as pd

from desktop.ingest import safety
from desktop.ingest.errors import UnreadableFile
from desktop.ingest.reader import RawTable, Ticker

MAGIC = b"PAR1"
MAX_FOOTER_BYTES = 64 * 1024 * 1024


def is_parquet(head: bytes) -> bool:
    return head.startswith(MAGIC)


def check(path: Path, limits: safety.Limits, name: str):
    """The file's ParquetFile after the checks above; UnreadableFile / UnsafeFile otherwise."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = path.stat().st_size
    with open(path, "rb") as fh:
        if size < 12:
            raise UnreadableFile("the Parquet file is truncated (no footer)", file=name)
        fh.seek(size - 8)
        tail = fh.read(8)
    footer = struct.unpack("<I", tail[:4])[0]
    if tail[4:] != MAGIC:
        raise UnreadableFile("the Parquet file is truncated or damaged (no footer marker at its end)", file=name)
    if footer + 12 > size or footer > MAX_FOOTER_BYTES:
        raise UnreadableFile(f"the Parquet footer claims {footer:,} bytes, more than the file "
                             f"({size:,} bytes) or the limit ({MAX_FOOTER_BYTES // 2**20} MiB)", file=name)
    try:
        pf = pq.ParquetFile(str(path))
        meta = pf.metadata
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise UnreadableFile(f"the Parquet file cannot be read: {exc}", file=name) from exc
    if meta.num_columns > limits.max_cols:
        raise safety.UnsafeFile(f"the file has {meta.num_columns:,} columns; the limit is {limits.max_cols:,}",
                                file=name)
    rows, raw = 0, 0
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        if rg.num_rows < 0:
            raise UnreadableFile(f"row group {i} declares a negative row count", file=name)
        rows += rg.num_rows
        raw += sum(max(rg.column(j).total_uncompressed_size, 0) for j in range(rg.num_columns))
    if rows > limits.max_rows:
        raise safety.UnsafeFile(f"the file declares {rows:,} rows; the limit for one file is {limits.max_rows:,} "
                                "(import it into a workspace in parts, or roll it up where it lives)", file=name)
    if rows * max(meta.num_columns, 1) > limits.max_cells:
        raise safety.UnsafeFile(f"the file declares {rows:,} rows x {meta.num_columns} columns; the limit is "
                                f"{limits.max_cells:,} cells", file=name)
    if raw > limits.max_uncompressed_bytes:
        raise safety.UnsafeFile(f"the file's columns take {raw:,} bytes uncompressed; the limit is "
                                f"{limits.max_uncompressed_bytes:,}", file=name)
    return pf


def read(path: Path, name: str, ticker: Ticker, limits: safety.Limits = safety.DEFAULT_LIMITS) -> RawTable:
    """The Parquet file as a RawTable of text columns (nulls as empty cells, as a CSV has them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    pf = check(path, limits, name)
    names = list(pf.schema_arrow.names)
    if len(set(names)) != len(names):
        raise UnreadableFile("the Parquet file has repeated column names", file=name)
    parts: dict[str, list] = {n: [] for n in names}
    total = max(pf.metadata.num_row_groups, 1)
    try:
        for i in range(pf.metadata.num_row_groups):
            rg = pf.read_row_group(i)
            if rg.num_rows != pf.metadata.row_group(i).num_rows:
                raise UnreadableFile(f"row group {i} holds {rg.num_rows:,} rows, not the {pf.metadata.row_group(i).num_rows:,} "
                                     "its metadata declares", file=name)
            for n in names:
                col = rg.column(n)
                if pa.types.is_timestamp(col.type) and col.type.tz is not None:
                    col = pc.cast(col, pa.timestamp(col.type.unit, "UTC"))
                text = pc.cast(col, pa.large_string()) if not pa.types.is_large_string(col.type) else col
                parts[n].append(pc.fill_null(text, ""))
            ticker(0.5 * (i + 1) / total, "reading rows")
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableFile(f"the Parquet file cannot be read: {exc}", file=name) from exc
    frame = pd.DataFrame({n: pd.Series(pd.arrays.ArrowStringArray(
        pa.chunked_array(parts[n], type=pa.large_string()).combine_chunks() if parts[n]
        else pa.array([], type=pa.large_string()))) for n in names}, copy=False)
    n = len(frame)
    return RawTable(name, names, frame, np.arange(1, n + 1, dtype=np.int64), "parquet", header_row=0)
