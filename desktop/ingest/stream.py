"""Big usage files read slice by slice, in bounded memory: a CSV (pyarrow's streaming reader,
every column as text) or a Parquet file (row group by row group, each checked in the metadata
before it is read), each slice a RawTable of at most ``SLICE_ROWS`` rows that goes through the
same format detection, mapping, validation and report as a whole file (core._build).

The format is told from the first slice and applies to every slice; row numbers continue across
slices (a CSV's line numbers, a Parquet file's 1-based data rows). Exact duplicate rows are
found across the whole file, as for a file read whole (``Duplicates``: each slice's rows hashed by
content, the hashes spilled to disk and matched by DuckDB out of core, the rows behind a repeated
hash compared exactly by desktop/ingest/build.py). A CSV pyarrow cannot stream (ragged rows,
binary data) is refused with a message saying so: such a file is imported whole, within the
file-size limit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from desktop.domain.results import ImportReport
from desktop.domain.settings import Settings
from desktop.ingest import mapping, parquet_file, parse, safety, sniff
from desktop.ingest.errors import UnreadableFile
from desktop.ingest.reader import RawTable, Ticker

SLICE_ROWS = 1 << 20
MAX_ROW_GROUP_BYTES = 1 << 30  # uncompressed bytes of one Parquet row group read at once
MAX_ERRORS = 1_000  # issues kept in the report of a streamed file (the counts are complete)


def slices(path: Path, name: str, limits: safety.Limits = safety.DEFAULT_LIMITS,
           slice_rows: int | None = None, ticker: Ticker | None = None) -> Iterator[RawTable]:
    """The file's rows as RawTables of at most ``slice_rows`` rows (see the module docstring)."""
    ticker = ticker or Ticker(None)
    slice_rows = slice_rows or SLICE_ROWS
    with open(path, "rb") as fh:
        head = fh.read(sniff.SAMPLE_BYTES)
    if not head:
        raise UnreadableFile("the file is empty", file=name)
    if parquet_file.is_parquet(head):
        yield from _parquet_slices(path, name, limits, slice_rows, ticker)
    else:
        yield from _csv_slices(path, name, head, slice_rows, ticker)


def _parquet_slices(path, name, limits, slice_rows, ticker) -> Iterator[RawTable]:
    import pyarrow as pa
    import pyarrow.compute as pc

    big = dataclasses.replace(limits, max_rows=1 << 62, max_cells=1 << 62, max_uncompressed_bytes=1 << 62)
    pf = parquet_file.check(path, big, name)
    meta = pf.metadata
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        raw = sum(max(rg.column(j).total_uncompressed_size, 0) for j in range(rg.num_columns))
        if raw > MAX_ROW_GROUP_BYTES:
            raise safety.UnsafeFile(f"row group {i} takes {raw:,} bytes uncompressed; the limit for one row group "
                                    f"is {MAX_ROW_GROUP_BYTES:,} (write the file with smaller row groups)", file=name)
    names = list(pf.schema_arrow.names)
    if len(set(names)) != len(names):
        raise UnreadableFile("the Parquet file has repeated column names", file=name)
    first = 1
    total = max(meta.num_rows, 1)
    try:
        for batch in pf.iter_batches(batch_size=slice_rows):
            cols = {}
            for n in names:
                col = batch.column(n)
                if pa.types.is_timestamp(col.type) and col.type.tz is not None:
                    col = pc.cast(col, pa.timestamp(col.type.unit, "UTC"))
                text = col if pa.types.is_large_string(col.type) else pc.cast(col, pa.large_string())
                cols[n] = pd.Series(pd.arrays.ArrowStringArray(pc.fill_null(text, "")))
            n_rows = batch.num_rows
            yield RawTable(name, names, pd.DataFrame(cols, copy=False),
                           np.arange(first, first + n_rows, dtype=np.int64), "parquet", header_row=0)
            first += n_rows
            ticker(min(0.95, (first - 1) / total), f"reading {name}")
    except (pa.ArrowException, OSError) as exc:
        raise UnreadableFile(f"the Parquet file cannot be read: {exc}", file=name) from exc


def _csv_slices(path, name, head, slice_rows, ticker) -> Iterator[RawTable]:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    info = sniff.detect_encoding(head)
    sample = head[info.bom:].decode(info.encoding, errors="replace")
    if "\x00" in sample or sniff.looks_binary(sample):
        raise UnreadableFile("not a text table: the file holds binary data", file=name)
    delim = sniff.detect_delimiter(sample, complete=len(head) < sniff.SAMPLE_BYTES)
    enc = "utf-16" if info.label.startswith("utf-16 (BOM") else info.encoding
    read_opts = pacsv.ReadOptions(block_size=1 << 22, use_threads=True, encoding=enc)
    parse_opts = pacsv.ParseOptions(delimiter=delim, newlines_in_values=False, ignore_empty_lines=False)
    try:
        probe = pacsv.open_csv(str(path), read_options=read_opts, parse_options=parse_opts)
        names = probe.schema.names
        probe.close()
        conv = pacsv.ConvertOptions(column_types={n: pa.large_string() for n in names}, strings_can_be_null=False,
                                    quoted_strings_can_be_null=False, null_values=[])
        reader = pacsv.open_csv(str(path), read_options=read_opts, parse_options=parse_opts, convert_options=conv)
    except (pa.ArrowException, UnicodeDecodeError, LookupError) as exc:
        raise UnreadableFile(f"the file cannot be read as a streamed CSV ({exc}); import it whole", file=name) from exc
    if len(set(names)) != len(names) or any(not n.strip() for n in names):
        raise UnreadableFile("the header has blank or repeated column names; import the file whole", file=name)
    size = max(path.stat().st_size, 1)
    line = 2  # line 1 is the header
    pending: list = []
    pending_rows = 0
    done = 0

    def flush(limit: int | None = None):
        """A RawTable of the first ``limit`` pending rows (all when None); the rest stay pending."""
        nonlocal line, pending, pending_rows
        table = pa.Table.from_batches(pending, schema=reader.schema)
        if limit is not None and limit < table.num_rows:
            rest = table.slice(limit)
            table = table.slice(0, limit)
            pending, pending_rows = rest.to_batches(), rest.num_rows
        else:
            pending, pending_rows = [], 0
        frame = pd.DataFrame({n: pd.Series(pd.arrays.ArrowStringArray(table.column(n).combine_chunks()))
                              for n in names}, copy=False)
        n = len(frame)
        out = RawTable(name, list(names), frame, np.arange(line, line + n, dtype=np.int64), "csv",
                       encoding=info.label, delimiter=delim, header_row=1)
        line += n
        return out

    try:
        for batch in reader:
            pending.append(batch)
            pending_rows += batch.num_rows
            done += batch.nbytes
            ticker(min(0.95, done / (size * 1.2)), f"reading {name}")
            while pending_rows >= slice_rows:
                yield flush(slice_rows)
    except (pa.ArrowException, UnicodeDecodeError) as exc:
        raise UnreadableFile(f"the file cannot be read as a streamed CSV near line {line + pending_rows:,} ({exc}); "
                             "import it whole", file=name) from exc
    if pending or line == 2:
        yield flush() if pending else RawTable(name, list(names), pd.DataFrame({n: [] for n in names}),
                                               np.zeros(0, dtype=np.int64), "csv", header_row=1)


class Duplicates:
    """Rows equal to an earlier row of the same streamed file in every source column, whatever
    slice each lies in: what desktop/ingest/build.py flags in a file read whole (flagged, kept),
    with build's own hash and exact comparison. Each slice's good rows give their content hashes
    (``add``: build.row_hashes), written to a temporary Parquet file; ``rows()`` lets DuckDB find
    the hashes that repeat (out of core: memory does not grow with the rows), reads the rows
    carrying them again from the file (only when there are any) and keeps those build's
    comparison confirms (build.hash_duplicates, build.exact_duplicates). ``close()`` removes the
    temporary files."""

    MEMORY_LIMIT = "256MB"

    def __init__(self, path: Path, name: str, limits: safety.Limits = safety.DEFAULT_LIMITS,
                 slice_rows: int | None = None):
        import tempfile

        self.path, self.name, self.limits, self.slice_rows = Path(path), name, limits, slice_rows or SLICE_ROWS
        self._dir = tempfile.TemporaryDirectory(prefix="commitdesk-duplicates-")
        self._parts: list[Path] = []
        self._rows = 0
        self.compared = True  # False once a slice's format compares no rows (as for a whole file)

    def add(self, rows: np.ndarray, hashes: np.ndarray | None) -> None:
        """The file rows of one slice's good rows and their content hashes (None: not compared)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        if hashes is None:
            self.compared = False
            return
        if not len(rows):
            return
        part = Path(self._dir.name) / f"slice-{len(self._parts)}.parquet"
        pq.write_table(pa.table({"row": np.asarray(rows, dtype=np.int64), "h": np.asarray(hashes, dtype=np.uint64)}),
                       str(part), compression="none")
        self._parts.append(part)
        self._rows += len(rows)

    def rows(self, ticker: Ticker | None = None) -> list[int]:
        """The file rows that repeat an earlier row exactly, in file order (``ticker``: progress
        and cancel while the rows behind repeated hashes are read again)."""
        import duckdb
        import pyarrow as pa

        from desktop.ingest import build

        if not self.compared or self._rows < 2:
            return []
        con = duckdb.connect(config={"memory_limit": self.MEMORY_LIMIT, "threads": 2,
                                     "temp_directory": str(Path(self._dir.name) / "spill")})
        try:
            con.execute("SET enable_progress_bar = false")
            files = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in self._parts) + "]"
            rel = con.sql(f"SELECT row, h FROM read_parquet({files}) WHERE h IN (SELECT h FROM read_parquet({files}) "
                          "GROUP BY h HAVING count(*) > 1) ORDER BY row")
            got = rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()
            if not isinstance(got, pa.Table):  # DuckDB 2.x: arrow() is a record batch reader
                got = got.read_all()
        finally:
            con.close()
        if got.num_rows < 2:
            return []
        cand = got.column("row").to_numpy()
        hashes = got.column("h").to_numpy().astype(np.uint64)
        raw = self._raw_rows(cand, ticker or Ticker(None))
        mask = build.hash_duplicates(hashes, lambda idx: build.exact_duplicates(raw.iloc[idx]))
        return cand[mask].tolist()

    def _raw_rows(self, wanted: np.ndarray, ticker: Ticker) -> pd.DataFrame:
        """The source columns of the file rows ``wanted`` (sorted), read again slice by slice."""
        parts = []
        for table in slices(self.path, self.name, self.limits, self.slice_rows, ticker):
            ticker.check()
            at = np.isin(np.asarray(table.rows, dtype=np.int64), wanted)
            if at.any():
                parts.append(table.data.iloc[np.flatnonzero(at)].reset_index(drop=True))
        raw = pd.concat(parts, ignore_index=True)
        if len(raw) != len(wanted):
            raise UnreadableFile("the file changed while it was imported (its rows read differently the "
                                 "second time); import it again", file=self.name)
        return raw

    def close(self) -> None:
        self._dir.cleanup()


@dataclass
class Totals:
    """The report of a streamed file, added up slice by slice."""

    file: str
    kind: str = "usage"
    format: str = ""
    format_reason: str = ""
    rows_read: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    totals_excluded: int = 0
    duplicates_flagged: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    errors: list = dataclasses.field(default_factory=list)
    warnings: dict = dataclasses.field(default_factory=dict)
    duplicate_rows: list = dataclasses.field(default_factory=list)  # Duplicates.rows(): the whole file's

    def add(self, rep: ImportReport) -> None:
        self.kind, self.format, self.format_reason = rep.kind, rep.format, rep.format_reason
        self.encoding, self.delimiter = rep.encoding, rep.delimiter
        self.rows_read += rep.rows_read
        self.rows_imported += rep.rows_imported
        self.rows_rejected += rep.rows_rejected
        self.totals_excluded += rep.totals_excluded
        self.duplicates_flagged += rep.duplicates_flagged
        room = MAX_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(rep.errors[:room])
        for w in rep.warnings:
            self.warnings.setdefault(w, None)

    def report(self, slices: int) -> ImportReport:
        from desktop.ingest import build

        warnings = list(self.warnings)
        if self.duplicate_rows:
            warnings.append(build.duplicates_warning(self.duplicate_rows))
        if slices > 1:
            warnings.append(f"read in {slices} slices (bounded memory)")
        if self.rows_rejected > len(self.errors):
            warnings.append(f"{self.rows_rejected:,} rows rejected; the first {len(self.errors):,} are listed")
        return ImportReport(file=self.file, kind=self.kind, format=self.format, rows_read=self.rows_read,
                            rows_imported=self.rows_imported, rows_rejected=self.rows_rejected,
                            errors=tuple(self.errors), format_reason=self.format_reason,
                            totals_excluded=self.totals_excluded,
                            duplicates_flagged=self.duplicates_flagged + len(self.duplicate_rows),
                            encoding=self.encoding, delimiter=self.delimiter, warnings=tuple(warnings))


def read_slices(path, kind: str | None = "usage", *, settings: Settings | None = None, profile=None,
                limits: safety.Limits = safety.DEFAULT_LIMITS, slice_rows: int | None = None,
                ticker: Ticker | None = None,
                duplicates: Duplicates | None = None) -> Iterator[tuple[pd.DataFrame, ImportReport]]:
    """(canonical frame, report) per slice of ``path``; the match (format, mapping) of the first
    slice is kept for the rest. ``duplicates``: duplicate rows are found across the whole file
    there (a slice's report then flags none itself)."""
    from desktop.ingest import core
    from desktop.ingest.formats.base import Context

    path = Path(path)
    name = path.name
    settings = settings or Settings()
    prof = mapping.coerce_profile(profile)
    ctx = Context(settings=settings, profile=prof, max_cell_chars=limits.max_cell_chars)
    ticker = ticker or Ticker(None)
    slice_rows = slice_rows or SLICE_ROWS
    match = None
    for table in slices(path, name, limits, slice_rows, ticker):
        if match is None:
            safety.check_columns(len(table.columns), name, limits)
            match = core.identify(table, kind, prof)
        with parse.factor_memo():
            result = core._build(table, match, ctx, Ticker(None), name, hash_rows=duplicates is not None)
        if duplicates is not None:
            duplicates.add(result.frame["_row"].to_numpy(dtype=np.int64), result.row_hashes)
        yield result.frame, result.report
