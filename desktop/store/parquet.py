"""Imported usage as Parquet, inside the workspace file, and the cache DuckDB reads it from.

A usage batch is stored as one or more Parquet files (zstd; rows in date order, row groups cut
at day boundaries so a date filter skips whole row groups), each a BLOB in ``batch_chunks`` of
the batch's transaction: the SQLite file stays the one thing to copy, back up and trust, and
every guarantee of docs/workspace.md (all-or-nothing batches after kill -9, integrity checks,
read-only opens) holds for the Parquet bytes as for any other batch. Other tables keep their
Arrow IPC chunks (desktop/store/frames.py).

DuckDB reads Parquet from files, so the chunks it needs are copied out once into a
content-addressed cache (``config.cache_dir()/parquet/<sha256>.parquet``): written under a
temporary name and renamed into place only when complete and its SHA-256 matches the one the
batch recorded, so a file is used only when it is exactly a stored chunk; a killed copy leaves a
temporary file that is never read and is removed by the next ``sweep``. The cache is derived
state: deleting it costs one more copy.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

MAGIC = b"PAR1"
CHUNK_ROWS = 1 << 22  # rows per stored Parquet file (a BLOB stays far below SQLite's 1 GB limit)
ROW_GROUP_ROWS = 1 << 17  # target rows per row group; groups end at a day boundary when they can


def is_parquet(blob: bytes | memoryview) -> bool:
    return bytes(blob[:4]) == MAGIC


def _day_cuts(days: np.ndarray, target: int) -> list[int]:
    """Row offsets where row groups end: after ~``target`` rows, at the next change of day (a day
    with more rows than ``target`` is cut inside at multiples of ``target``)."""
    n = len(days)
    if n <= target:
        return [n]
    change = np.flatnonzero(days[1:] != days[:-1]) + 1  # first row of each new day
    cuts, start = [], 0
    while n - start > target:
        want = start + target
        i = np.searchsorted(change, want, side="left")
        cut = int(change[i]) if i < len(change) and change[i] - start <= 2 * target else want
        if i > 0 and change[i - 1] > start and (cut - start) > target * 1.5:
            cut = int(change[i - 1])
        cuts.append(cut)
        start = cut
    cuts.append(n)
    return cuts


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)


def sort_by_date(table: pa.Table) -> pa.Table:
    """Rows in date order; rows of one day keep their order (stable)."""
    if table.num_rows < 2 or "date" not in table.column_names:
        return table
    days = table.column("date").to_numpy(zero_copy_only=False).astype("datetime64[D]").astype(np.int64)
    if (np.diff(days) >= 0).all():
        return table
    order = np.argsort(days, kind="stable")
    return table.take(pa.array(order))


def file_order(frame: pd.DataFrame) -> pd.DataFrame:
    """A decoded batch back in the order of its file (``_row``; stable)."""
    if "_row" not in frame.columns or len(frame) < 2:
        return frame
    rows = frame["_row"].to_numpy(dtype=np.int64)
    if (np.diff(rows) >= 0).all():
        return frame
    return frame.take(np.argsort(rows, kind="stable")).reset_index(drop=True)


def encode_table(table: pa.Table) -> bytes:
    """One Parquet file (zstd, dictionary-encoded text, statistics) of ``table``, rows in date
    order, row groups ending at day boundaries."""
    table = sort_by_date(table)
    sink = pa.BufferOutputStream()
    with pq.ParquetWriter(sink, table.schema, compression="zstd", compression_level=3,
                          use_dictionary=True, write_statistics=True) as writer:
        if table.num_rows == 0:
            writer.write_table(table)
        else:
            days = (table.column("date").to_numpy(zero_copy_only=False).astype("datetime64[D]")
                    .astype(np.int64) if "date" in table.column_names else np.zeros(table.num_rows))
            start = 0
            for cut in _day_cuts(days, ROW_GROUP_ROWS):
                writer.write_table(table.slice(start, cut - start), row_group_size=cut - start)
                start = cut
    return sink.getvalue().to_pybytes()


def encode_chunks(frame: pd.DataFrame, chunk_rows: int | None = None) -> Iterator[tuple[int, bytes]]:
    """(nrows, Parquet file bytes) per chunk of ``frame`` (``CHUNK_ROWS`` rows each unless
    ``chunk_rows`` says); an empty frame gives one empty file (keeps the schema)."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    table = to_arrow(frame)
    if table.num_rows == 0:
        yield 0, encode_table(table)
        return
    for start in range(0, table.num_rows, chunk_rows):
        part = table.slice(start, chunk_rows)
        yield part.num_rows, encode_table(part)


def decode(blob: bytes | memoryview) -> pa.Table:
    return pq.read_table(pa.BufferReader(pa.py_buffer(blob)))


def sha256(blob: bytes | memoryview) -> str:
    return hashlib.sha256(blob).hexdigest()


# --- the cache DuckDB reads -------------------------------------------------------------------

_CACHE_LOCK = threading.Lock()


def cache_root() -> Path:
    from desktop import config

    d = config.cache_dir() / "parquet"
    d.mkdir(parents=True, exist_ok=True)
    return d


def cached_file(digest: str, blob_reader, size: int, root: Path | None = None) -> Path:
    """The cache file of a stored chunk whose SHA-256 is ``digest``: reused when present with the
    right size, else copied out of the workspace through ``blob_reader()`` (a callable giving a
    file-like object over the BLOB) into a temporary file, checked against ``digest`` and renamed
    into place. A file whose content does not match is never put in place."""
    root = root if root is not None else cache_root()
    target = root / f"{digest}.parquet"
    try:
        if target.stat().st_size == size:
            return target
    except FileNotFoundError:
        pass
    with _CACHE_LOCK:
        try:
            if target.stat().st_size == size:
                return target
        except FileNotFoundError:
            pass
        fd, tmp = tempfile.mkstemp(prefix=".extract-", suffix=".tmp", dir=root)
        try:
            h = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, blob_reader() as src:
                while True:
                    block = src.read(1 << 22)
                    if not block:
                        break
                    h.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if h.hexdigest() != digest:
                raise ValueError(f"stored Parquet chunk does not match its SHA-256 ({digest[:12]}...)")
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
    return target


def put(name: str, data: bytes, root: Path | None = None) -> Path:
    """Write ``data`` as cache file ``name`` (temporary file, fsync, rename) unless present."""
    root = root if root is not None else cache_root()
    target = root / name
    if target.exists() and target.stat().st_size == len(data):
        return target
    fd, tmp = tempfile.mkstemp(prefix=".extract-", suffix=".tmp", dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def sweep(root: Path | None = None) -> int:
    """Remove temporary files a killed copy left in the cache (never read: only final names
    are). Returns how many were removed."""
    root = root if root is not None else cache_root()
    n = 0
    for p in root.glob(".extract-*.tmp"):
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n
