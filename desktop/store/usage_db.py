"""DuckDB over the workspace's usage Parquet: the daily rollup the analysis reads, and the
row-level queries (a page of rows, a count, the source rows behind a rollup row).

The rollup query is desktop/ingest/rollup.py's (``plan(columns, shape="frame")``, the one
rollup CommitDesk has); this module only says where the rows are: ``read_parquet`` over the
cache files of the usage batches (desktop/store/parquet.py), in import order. DuckDB runs
embedded and out of core: ``memory_limit`` and ``temp_directory`` are set on its connection, so
a rollup of 10^8 rows spills to disk instead of growing the process.

Rows are paged by position (``page`` with no order or filter: each file's row count from its
footer, then ``file_row_number`` of the one file holding the page, so DuckDB reads only the row
groups holding it). A sorted or filtered query is computed once (``materialize``: its rows in
order, streamed into a Parquet file of the results cache, with progress and cancel) and then
paged by position too (``result_page``), instead of sorting or scanning every row per page.

Every query is built from column names this module checks against the canonical usage columns
and from values passed as parameters: nothing an analyst typed becomes SQL text.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from desktop.domain import tables

MEMORY_LIMIT = os.environ.get("COMMITDESK_DUCKDB_MEMORY", "1GB")
THREADS = max(1, min(4, os.cpu_count() or 1))
PAGE_LIMIT = 100_000  # most rows one page query returns
SOURCE_ROWS_LIMIT = 1_000  # most source rows fetched behind one rollup row
RESULT_ROW_GROUP_ROWS = 1 << 16  # rows per row group of a materialized query (a page reads one)
RESULT_VERSION = 1  # part of a result file's name: a change of how results are written renames them
RESULTS_KEPT = 4  # result files kept in the results cache (the most recently used)

COLUMNS = tuple(tables.USAGE.names) + ("_file", "_row")
# rollup columns that are sums or numbering, not keys of a rollup row
_NOT_KEYS = ("date", "cost", "billed_cost", "quantity", "commitment_discount_quantity", "source_rows", "_row")


def connect(temp_dir: Path | None = None, memory_limit: str = MEMORY_LIMIT, threads: int = THREADS):
    """An embedded DuckDB connection that spills to ``temp_dir`` beyond ``memory_limit``."""
    import duckdb

    from desktop.store import parquet

    tmp = temp_dir if temp_dir is not None else parquet.cache_root().parent / "duckdb-tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": memory_limit, "temp_directory": str(tmp),
                                 "threads": threads, "preserve_insertion_order": False,
                                 "enable_external_access": True})
    con.execute("SET enable_progress_bar = false")  # it would print on stdout (the CLI's JSON)
    # Parquet footers read once per file, not once per query: every file DuckDB reads here is
    # content-addressed (a cache file, a query result) and never changes under its name
    con.execute("SET parquet_metadata_cache = true")
    return con


def _quote(name: str) -> str:
    if name not in COLUMNS and name != "source_rows":
        raise ValueError(f"not a usage column: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def _literal_path(p: Path) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def relation(files: Sequence[Path]) -> str:
    """The SQL naming every usage row of ``files`` (Parquet, union by column name)."""
    if not files:
        raise ValueError("no usage files")
    return f"read_parquet([{', '.join(_literal_path(p) for p in files)}], union_by_name = true)"


def rollup_frame(con, files: Sequence[Path], columns: dict[str, str], source: str = "workspace",
                 names: Sequence[str] = ()) -> pd.DataFrame:
    """The daily rollup of the usage rows in ``files`` as canonical usage rows (desktop/ingest/
    rollup.py, shape "frame"): one row per day and distinct combination of every other column,
    money summed exactly (int64 micros, cast back from DuckDB's 128-bit sums: an overflow is an
    error, never a rounded float), ``source_rows`` the rows behind each; fetched as Arrow and
    ordered by rollup.py (import order of ``names``, then each file's first row)."""
    from desktop.ingest.rollup import fetch_arrow, plan

    p = plan(dict(columns), shape="frame")
    return p.to_usage(fetch_arrow(con, p.frame_sql(relation(files))), source, names=names).frame


@dataclass(frozen=True)
class Result:
    """A query computed once (``UsageRows.materialize``): its rows in order in ``path`` (a
    Parquet file of the results cache; None when there are no usage files), ``rows`` of them."""

    path: Path | None
    rows: int
    columns: tuple[str, ...]


def results_root(temp_dir: Path | None = None) -> Path:
    """Where materialized queries are kept (beside DuckDB's temp directory; derived state)."""
    from desktop.store import parquet

    d = (temp_dir if temp_dir is not None else parquet.cache_root().parent / "duckdb-tmp").parent / "query-results"
    d.mkdir(parents=True, exist_ok=True)
    return d


def prune_results(root: Path, keep: Path | None = None, kept: int = RESULTS_KEPT) -> int:
    """Remove all but the ``kept`` most recently used result files (and temporary files older
    than a day, left by a killed process); never ``keep``. Returns how many were removed."""
    import time

    files = []
    n = 0
    for p in root.iterdir():
        try:
            st = p.stat()
        except OSError:
            continue
        if p.name.startswith(".result-"):
            if time.time() - st.st_mtime > 86_400:
                p.unlink(missing_ok=True)
                n += 1
        elif p.suffix == ".parquet":
            files.append((st.st_mtime, p))
    files.sort(reverse=True)
    for _, p in files[kept:]:
        if p != keep:
            p.unlink(missing_ok=True)
            n += 1
    return n


@dataclass(frozen=True)
class Filter:
    """One condition of a row query: ``column`` ``op`` ``value`` (op: = != < <= > >= in
    contains isnull), built with parameters."""

    column: str
    op: str
    value: Any = None

    def sql(self) -> tuple[str, list[Any]]:
        c = _quote(self.column)
        if self.op in ("=", "!=", "<", "<=", ">", ">="):
            return f"{c} {self.op} ?", [self.value]
        if self.op == "in":
            vals = list(self.value)
            if not vals:
                return "FALSE", []
            return f"{c} IN ({', '.join('?' * len(vals))})", vals
        if self.op == "contains":  # case-insensitive text search
            return f"contains(lower(CAST({c} AS VARCHAR)), ?)", [str(self.value).casefold()]
        if self.op == "isnull":
            return f"{c} IS NULL", []
        raise ValueError(f"unknown filter operator {self.op!r}")


def where_sql(filters: Sequence[Filter], text: str = "", text_columns: Sequence[str] = ()) -> tuple[str, list[Any]]:
    parts, params = [], []
    for f in filters:
        s, p = f.sql()
        parts.append(s)
        params.extend(p)
    if text.strip() and text_columns:
        ors = [f"contains(lower(CAST({_quote(c)} AS VARCHAR)), ?)" for c in text_columns]
        parts.append("(" + " OR ".join(ors) + ")")
        params.extend([text.strip().casefold()] * len(ors))
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


class UsageRows:
    """The usage rows of one workspace, queried where they lie (Parquet through DuckDB).

    ``files`` gives the current cache files (in import order; the workspace extracts what is
    missing); ``key`` what identifies them (the batch ids), so a rollup is computed once per set
    of batches. Thread-safe: each call takes a cursor of the one connection."""

    def __init__(self, files: Callable[[], list[Path]], key: Callable[[], tuple], temp_dir: Path | None = None,
                 names: Callable[[], list[str]] = list):
        self._files = files
        self._key = key
        self._names = names  # the usage batches' file names in import order
        self._temp_dir = temp_dir
        self._con = None
        self._rollup: pd.DataFrame | None = None
        self._counts: dict[Path, int] = {}  # rows of each cache file (content-addressed: never changes)
        self._schemas: dict[Path, frozenset[str]] = {}  # columns of each cache file
        self._lock = threading.Lock()

    def _cursor(self):
        with self._lock:
            if self._con is None:
                self._con = connect(self._temp_dir)
            return self._con.cursor()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    @property
    def key(self) -> tuple:
        return self._key()

    def files(self) -> list[Path]:
        return self._files()

    def rollup(self, source: str = "workspace") -> pd.DataFrame:
        files = self.files()
        if not files:
            return tables.empty("usage")
        # on a connection of its own, closed after: DuckDB keeps what an aggregation over every
        # row allocated (about 100 MB at 1M rows) for as long as its database stays open
        con = connect(self._temp_dir)
        try:
            frame = rollup_frame(con, files, self.columns(files, con), source, self._names())
        finally:
            con.close()
        self._rollup = frame  # what source_refs looks rollup rows up in
        return frame

    def key_filters(self, rollup_row: int) -> list[Filter]:
        """The filters that select the source rows of one rollup row (its ``_row`` in the last
        rollup): its day and every dimension (NULL as IS NULL)."""
        rollup = self._rollup
        if rollup is None:
            return [Filter("_row", "=", -1)]
        hit = rollup[rollup["_row"] == int(rollup_row)]
        if hit.empty:
            return [Filter("_row", "=", -1)]
        rec = hit.iloc[0]
        day = pd.Timestamp(rec["date"])
        out = [Filter("date", ">=", day.to_pydatetime()), Filter("date", "<", (day + pd.Timedelta(days=1)).to_pydatetime())]
        for c in hit.columns:
            if c in _NOT_KEYS or c not in COLUMNS:
                continue
            v = rec[c]
            if c == "_file" and isinstance(v, str) and " (exported " in v:
                continue
            if hasattr(v, "item") and not isinstance(v, pd.Timestamp):
                v = v.item()
            out.append(Filter(c, "isnull") if v is None or v is pd.NA or pd.isna(v) else
                       Filter(c, "=", v.to_pydatetime() if isinstance(v, pd.Timestamp) else v))
        return out

    def source_frame(self, rollup_rows: Sequence[int], limit: int = SOURCE_ROWS_LIMIT,
                     columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The source rows behind the rollup rows numbered ``rollup_rows`` (their ``_row`` in the
        last rollup), in file/row order, at most ``limit``: the rows whose day and every dimension
        equal a rollup row's (NULL matching NULL). ``columns``: which (default: all)."""
        import pyarrow as pa

        rollup = self._rollup
        files = self.files()
        cols = list(columns) if columns is not None else list(COLUMNS)
        if rollup is None or not files or not len(rollup_rows):
            return tables.empty("usage").assign(_file=pd.Series([], dtype="string"),
                                                _row=pd.Series([], dtype="int64"))[cols]
        keys = rollup[rollup["_row"].isin(np.asarray(rollup_rows, dtype=np.int64))]
        dims = [c for c in keys.columns if c not in _NOT_KEYS and c in COLUMNS]
        if "_file" in dims and keys["_file"].astype("string").str.contains(" (exported ", regex=False).any():
            dims.remove("_file")  # renamed per export time by the rollup: exported_at tells them apart
        k = pd.DataFrame({"day": keys["date"].dt.date})
        for c in dims:
            k[c] = keys[c].astype(object).where(keys[c].notna(), None)
        cond = ['CAST(r."date" AS DATE) = k.day'] + [f"r.{_quote(c)} IS NOT DISTINCT FROM k.{_quote(c)}" for c in dims]
        sel = ", ".join(f"r.{_quote(c)}" for c in cols)
        cur = self._cursor()
        cur.register("k", pa.Table.from_pandas(k, preserve_index=False))
        try:
            return cur.execute(f"SELECT {sel} FROM {relation(files)} r SEMI JOIN k ON {' AND '.join(cond)} "
                               f'ORDER BY r."_file", r."_row" LIMIT {max(0, int(limit))}').df()
        finally:
            cur.unregister("k")

    def source_refs(self, rollup_rows: Sequence[int], limit: int = SOURCE_ROWS_LIMIT) -> list[tuple[str, int]]:
        """(file, row) of ``source_frame(rollup_rows, limit)``."""
        got = self.source_frame(rollup_rows, limit, ["_file", "_row"])
        return [(str(f), int(r)) for f, r in zip(got["_file"], got["_row"], strict=True)]

    def columns(self, files: Sequence[Path] | None = None, con=None) -> dict[str, str]:
        """{column: DuckDB type} of the usage rows (asked on ``con``, else the shared connection)."""
        files = self.files() if files is None else files
        if not files:
            return {c: "VARCHAR" for c in COLUMNS}
        rows = (con if con is not None else self._cursor()).execute(
            f"DESCRIBE SELECT * FROM {relation(files)}").fetchall()
        return {r[0]: r[1] for r in rows}

    def count(self, filters: Sequence[Filter] = (), text: str = "", text_columns: Sequence[str] = ()) -> int:
        files = self.files()
        if not files:
            return 0
        if not filters and not (text.strip() and text_columns):
            return sum(self._file_rows(f) for f in files)  # the Parquet footers: no scan
        where, params = where_sql(filters, text, text_columns)
        return int(self._cursor().execute(f"SELECT count(*) FROM {relation(files)}{where}", params).fetchone()[0])

    def page(self, offset: int, limit: int, *, columns: Sequence[str] | None = None,
             filters: Sequence[Filter] = (), text: str = "", text_columns: Sequence[str] = (),
             order: Sequence[tuple[str, bool]] = ()) -> pd.DataFrame:
        """Rows ``offset`` .. ``offset + limit`` (at most PAGE_LIMIT) of the filtered, ordered
        usage rows. ``order``: (column, descending) pairs, ties falling back to file and row, so a
        page is stable. With no order and no filter the rows come in the order they are stored
        (by date; a day's rows in file order), read by their position in the Parquet files, so a
        page deep in 10^8 rows costs what a page at the top costs."""
        files = self.files()
        cols = list(columns) if columns is not None else list(COLUMNS)
        if not files:
            return tables.empty("usage")[[c for c in cols if c in tables.USAGE.names]]
        limit = max(0, min(int(limit), PAGE_LIMIT))
        if not order and not filters and not (text.strip() and text_columns):
            return self._stored_page(files, max(0, int(offset)), limit, cols)
        where, params = where_sql(filters, text, text_columns)
        keys = [f"{_quote(c)} {'DESC' if desc else 'ASC'} NULLS LAST" for c, desc in order]
        keys += ['"_file" ASC', '"_row" ASC']
        sel = ", ".join(_quote(c) for c in cols)
        sql = (f"SELECT {sel} FROM {relation(files)}{where} ORDER BY {', '.join(keys)} "
               f"LIMIT {limit} OFFSET {max(0, int(offset))}")
        return self._cursor().execute(sql, params).df()

    def _file_rows(self, f: Path) -> int:
        """Rows of one Parquet file, from its footer (content-addressed: read once)."""
        n = self._counts.get(f)
        if n is None:
            import pyarrow.parquet as pq

            n = self._counts[f] = pq.read_metadata(str(f)).num_rows
        return n

    def _stored_page(self, files: Sequence[Path], offset: int, limit: int, cols: list[str]) -> pd.DataFrame:
        """Rows by position: each file's row count from its footer, then only the files and row
        numbers the page covers, read by ``file_row_number`` (DuckDB reads only the row groups
        holding them: a page deep in 10^8 rows costs what a page at the top costs). A column a
        file does not have (an older batch) comes back empty, as ``union_by_name`` gives it."""
        parts, start = [], 0
        cur = self._cursor()
        for f in files:
            n = self._file_rows(f)
            lo, hi = max(offset, start), min(offset + limit, start + n)
            if lo < hi:
                have = self._file_columns(cur, f)
                sel = ", ".join(_quote(c) if c in have else f"NULL AS {_quote(c)}" for c in cols)
                parts.append(cur.execute(
                    f"SELECT {sel} FROM read_parquet({_literal_path(f)}, file_row_number = true) "
                    f"WHERE file_row_number >= ? AND file_row_number < ? ORDER BY file_row_number",
                    [lo - start, hi - start]).df())
            start += n
            if start >= offset + limit:
                break
        if not parts:
            return cur.execute(f"SELECT {', '.join(_quote(c) for c in cols)} FROM {relation(files)} LIMIT 0").df()
        if len(parts) == 1:
            return parts[0]
        return pd.concat(parts, ignore_index=True)

    def _file_columns(self, cur, f: Path) -> frozenset[str]:
        got = self._schemas.get(f)
        if got is None:
            got = self._schemas[f] = frozenset(
                r[0] for r in cur.execute(f"DESCRIBE SELECT * FROM read_parquet({_literal_path(f)})").fetchall())
        return got

    # --- a query computed once: sorted and/or filtered rows as a Parquet file, paged by position

    def materialize(self, columns: Sequence[str], *, filters: Sequence[Filter] = (), text: str = "",
                    text_columns: Sequence[str] = (), order: Sequence[tuple[str, bool]] = (),
                    progress=None) -> Result:
        """The rows of a filtered and/or ordered query (the rows ``page`` gives, in its order,
        ``columns`` of them) written once to a Parquet file in the results cache, so that every
        page of it is then read by position (``result_page``) instead of sorting or scanning all
        rows again per page. DuckDB sorts out of core (``memory_limit``, spilling to its temp
        directory); the rows stream into the file a batch at a time. ``progress``
        (desktop.domain.progress.Progress): DuckDB's own progress is reported, and a cancel
        interrupts the query at once (desktop.domain.progress.Cancelled is raised; nothing is
        left behind). The same query over the same files (content-addressed) reuses its file."""
        import pyarrow.parquet as pq

        from desktop.domain.progress import Cancelled, ensure

        p = ensure(progress)
        files = self.files()
        cols = list(columns)
        for c in cols:
            _quote(c)
        if not files:
            return Result(None, 0, tuple(cols))
        where, params = where_sql(filters, text, text_columns)
        keys = [f"{_quote(c)} {'DESC' if desc else 'ASC'} NULLS LAST" for c, desc in order]
        keys += ['"_file" ASC', '"_row" ASC']
        sql = f"SELECT {', '.join(_quote(c) for c in cols)} FROM {relation(files)}{where} ORDER BY {', '.join(keys)}"
        digest = hashlib.sha256(repr((RESULT_VERSION, [f.name for f in files], sql,
                                      [repr(v) for v in params])).encode()).hexdigest()
        root = results_root(self._temp_dir)
        target = root / f"{digest}.parquet"
        if target.exists():
            try:
                os.utime(target)  # most recently used: kept by prune_results
                return Result(target, pq.read_metadata(str(target)).num_rows, tuple(cols))
            except OSError:
                pass
        cur = self._cursor()
        cur.execute("SET enable_progress_bar = true")  # DuckDB's query_progress, never printed:
        cur.execute("SET enable_progress_bar_print = false")
        cur.execute("SET progress_bar_time = 0")
        done = threading.Event()

        def watch() -> None:  # DuckDB's progress, and a cancel interrupting the query
            while not done.wait(0.1):
                if p.cancelled:
                    cur.interrupt()
                    return
                got = cur.query_progress()
                if got is not None and got >= 0:
                    try:
                        p.step(min(0.95, 0.95 * got / 100.0), "sorting rows" if order else "filtering rows")
                    except Cancelled:
                        cur.interrupt()
                        return

        fd, tmp = tempfile.mkstemp(prefix=".result-", suffix=".tmp", dir=root)
        os.close(fd)
        watcher = threading.Thread(target=watch, name="duckdb-progress", daemon=True)
        watcher.start()
        rows = 0
        try:
            reader = cur.sql(sql, params=params).to_arrow_reader(RESULT_ROW_GROUP_ROWS)
            with pq.ParquetWriter(tmp, reader.schema, compression="zstd", compression_level=1) as out:
                for batch in reader:
                    p.check()
                    out.write_batch(batch, row_group_size=RESULT_ROW_GROUP_ROWS)
                    rows += batch.num_rows
            p.check()
            os.replace(tmp, target)
        except Exception as exc:
            if p.cancelled:
                raise Cancelled() from exc
            raise
        finally:
            done.set()
            watcher.join()
            Path(tmp).unlink(missing_ok=True)
        prune_results(root, keep=target)
        return Result(target, rows, tuple(cols))

    def result_page(self, result: Result, offset: int, limit: int,
                    columns: Sequence[str] | None = None) -> pd.DataFrame:
        """Rows ``offset`` .. ``offset + limit`` of a ``materialize`` result, by position."""
        cols = list(columns) if columns is not None else list(result.columns)
        if result.path is None:
            return tables.empty("usage").assign(_file=pd.Series([], dtype="string"),
                                                _row=pd.Series([], dtype="int64"))[cols]
        self._counts.setdefault(result.path, result.rows)
        return self._stored_page([result.path], max(0, int(offset)), max(0, min(int(limit), PAGE_LIMIT)), cols)

    def source_rows(self, keys: dict[str, Any], limit: int = SOURCE_ROWS_LIMIT) -> tuple[pd.DataFrame, int]:
        """The source rows behind one rollup row (its day and dimension values), at most
        ``limit``, in file order, and how many there are in all."""
        files = self.files()
        if not files:
            return tables.empty("usage"), 0
        filters = []
        for c, v in keys.items():
            if c in ("source_rows", "_row", "cost", "billed_cost", "quantity", "commitment_discount_quantity"):
                continue
            if hasattr(v, "item") and not isinstance(v, pd.Timestamp):
                v = v.item()  # numpy scalar -> Python
            filters.append(Filter(c, "isnull") if v is None or v is pd.NA or pd.isna(v)
                           else Filter(c, "=", v.to_pydatetime() if isinstance(v, pd.Timestamp) else v))
        where, params = where_sql(filters)
        cur = self._cursor()
        n = int(cur.execute(f"SELECT count(*) FROM {relation(files)}{where}", params).fetchone()[0])
        rows = cur.execute(f"SELECT * FROM {relation(files)}{where} ORDER BY \"_file\", \"_row\" "
                           f"LIMIT {max(0, min(int(limit), PAGE_LIMIT))}", params).df()
        return rows, n


def digest_of(parts: Sequence[bytes]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.hexdigest()
