"""Import batches: a file's canonical rows (Arrow IPC chunks), its ImportReport, content hash,
format and mapping profile, written in one transaction; and ``inputs()``, which rebuilds the
canonical frames of every batch in import order."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from desktop.domain import fx, tables, validation
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.money import fmt_money_human, micros_to_cents, money_sum
from desktop.domain.progress import Progress, sub
from desktop.domain.results import ImportReport
from desktop.domain.settings import Settings
from desktop.store import frames, parquet
from desktop.store.db import Database
from desktop.store.errors import DuplicateImport, OverlapRefused, WorkspaceCorrupt, WorkspaceError
from desktop.store.profiles import Profiles
from desktop.store.records import BatchRecord, now_iso, report_from_json, report_to_json
from desktop.store.usage_db import UsageRows


def file_sha256(path: Path) -> tuple[str, int]:
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(1 << 20)
            if not block:
                break
            size += len(block)
            h.update(block)
    return h.hexdigest(), size


def _usage_days(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
    """The distinct (vendor key, day, vendor) of a usage frame (for the double-counting check)."""
    if frame.empty:
        return []
    sub_ = frame[["vendor", "date"]].dropna().drop_duplicates()
    out: dict[tuple[str, str], str] = {}
    days = sub_["date"].dt.strftime("%Y-%m-%d")
    for vendor, day in zip(sub_["vendor"].tolist(), days.tolist(), strict=True):
        out.setdefault((tables.vendor_key(vendor), day), vendor)
    return [(k, v, d) for (k, d), v in out.items()]


ON_OVERLAP = ("replace", "keep", "refuse")  # what an import does about an Overlap (docs/workspace.md)


@dataclass(frozen=True)
class Overlap:
    """An earlier import batch of the same kind of data that a file about to be imported
    overlaps: usage of one vendor on the same days, or invoices with the same ids. Found by
    ``Batches.overlaps`` (the one query: the import wizard asks with it, the CLI warns or refuses
    with it); amounts are the cost (usage) or amount (invoices) on the overlapping days / of
    those invoices, per currency, in the earlier batch and in the incoming file."""

    batch_id: int
    file_name: str
    imported_at: str
    batch_rows: int  # rows of the earlier batch in all (replacing it removes all of them)
    kind: str
    vendor: str
    days: int  # overlapping days (usage); days of the invoices' billing periods (invoices)
    first: str  # YYYY-MM-DD
    last: str
    earlier: tuple[tuple[str, Decimal], ...]  # (currency, amount) in the earlier batch
    incoming: tuple[tuple[str, Decimal], ...]  # (currency, amount) in the file being imported
    invoice_ids: tuple[str, ...] = ()
    snapshot: bool = False  # both are snapshots of a provider export's billing period (usage)
    # usage: source rows on the overlapping days in the earlier batch and in the incoming file
    # (a rollup row counts the rows it stands for); None for invoices
    earlier_rows: int | None = None
    incoming_rows: int | None = None

    @staticmethod
    def money(amounts: tuple[tuple[str, Decimal], ...]) -> str:
        return " + ".join(fmt_money_human(a, c) for c, a in amounts) or "0.00"

    @property
    def span(self) -> str:
        return self.first if self.first == self.last else f"{self.first}..{self.last}"

    @property
    def text(self) -> str:
        when = self.imported_at[:16].replace("T", " ")
        if self.kind == "invoices":
            what = (f"invoice{'s' if len(self.invoice_ids) != 1 else ''} {', '.join(self.invoice_ids)} of "
                    f"{self.vendor} ({self.span})")
        else:
            what = f"usage of {self.vendor} on {self.days} day{'s' if self.days != 1 else ''} ({self.span})"
        out = (f"{what} is already imported from {self.file_name} (batch {self.batch_id}, {self.batch_rows:,} rows, "
               f"on {when} UTC): {self.money(self.earlier)} there, {self.money(self.incoming)} in this file")
        if self.earlier_rows is not None and self.incoming_rows is not None:
            out += (f" ({_rows_text(self.earlier_rows)} there and {_rows_text(self.incoming_rows)} in this file on "
                    f"{'those days' if self.days != 1 else 'that day'})")
        if self.snapshot:
            out += ("; both are snapshots of the provider's export for that billing period, so the analysis "
                    "keeps only the later one")
        return out


def _amounts(frame: pd.DataFrame, column: str) -> tuple[tuple[str, Decimal], ...]:
    if frame.empty:
        return ()
    cur = frame["currency"].astype("string").str.strip().str.upper().fillna("?")
    return tuple((str(c), micros_to_cents(money_sum(g))) for c, g in frame[column].groupby(cur, sort=True))


def _rows_text(n: int) -> str:
    return f"{n:,} row{'s' if n != 1 else ''}"


def day_sums(con, relation: str, columns: Sequence[str], days: Sequence[str] | None = None) -> pd.DataFrame:
    """THE usage amounts an overlap is stated in, by DuckDB over ``relation`` (a stored batch's
    Parquet files, or an incoming frame registered as Arrow): per vendor (as written), day
    (YYYY-MM-DD), currency (trimmed, upper case; "?" when missing) and billing period: the cost
    (int micros, summed exactly: an overflow is an error), the source rows (``source_rows``
    summed) and the rows carrying money (cost not 0). ``columns``: the relation's columns;
    ``days``: only these days."""
    have = set(columns)
    rows = 'CAST(SUM("source_rows") AS BIGINT)' if "source_rows" in have else "COUNT(*)"
    period = 'CAST("billing_period" AS DATE)' if "billing_period" in have else "CAST(NULL AS DATE)"
    where = 'WHERE "vendor" IS NOT NULL AND "date" IS NOT NULL'
    params: list = []
    if days is not None:
        if not days:
            return pd.DataFrame(columns=["vendor", "day", "currency", "billing_period", "cost", "rows", "money_rows"])
        where += f' AND CAST("date" AS DATE) IN ({", ".join("CAST(? AS DATE)" for _ in days)})'
        params = list(days)
    got = con.execute(
        f'SELECT CAST("vendor" AS VARCHAR), strftime(CAST("date" AS DATE), \'%Y-%m-%d\'), '
        f'COALESCE(upper(trim(CAST("currency" AS VARCHAR))), \'?\'), {period}, CAST(SUM("cost") AS BIGINT), {rows}, '
        f'COUNT(*) FILTER (WHERE "cost" <> 0) FROM {relation} {where} GROUP BY ALL', params).fetchall()
    return pd.DataFrame(got, columns=["vendor", "day", "currency", "billing_period", "cost", "rows", "money_rows"])


def frame_day_sums(frame: pd.DataFrame) -> pd.DataFrame:
    """``day_sums`` of a canonical usage frame (a file about to be imported, a slice of one)."""
    from desktop.store import usage_db

    con = usage_db.connect(threads=1)
    try:
        con.register("incoming", parquet.to_arrow(frame))
        return day_sums(con, "incoming", list(frame.columns))
    finally:
        con.close()


def merge_day_sums(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """``day_sums`` of several slices of one file added up (exact integer sums)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["vendor", "day", "currency", "billing_period", "cost", "rows", "money_rows"])
    both = pd.concat(parts, ignore_index=True)
    keys = ["vendor", "day", "currency", "billing_period"]
    return (both.groupby(keys, dropna=False, sort=False)[["cost", "rows", "money_rows"]]
            .agg(lambda v: sum(int(x) for x in v)).reset_index())


def _on(sums: pd.DataFrame, key: str, days: set[str]) -> pd.DataFrame:
    """The ``day_sums`` rows of one vendor (alias key) on the given days."""
    if sums.empty:
        return sums
    keys = {v: tables.vendor_key(v) for v in sums["vendor"].unique()}
    return sums[sums["vendor"].map(keys).eq(key).to_numpy(dtype=bool) & sums["day"].isin(days).to_numpy(dtype=bool)]


def _sums_amounts(sums: pd.DataFrame) -> tuple[tuple[str, Decimal], ...]:
    if sums.empty:
        return ()
    out: dict[str, int] = {}
    for cur, cost in zip(sums["currency"], sums["cost"], strict=True):
        out[str(cur)] = out.get(str(cur), 0) + int(cost)
    return tuple((c, micros_to_cents(out[c])) for c in sorted(out))


def overlap_refusal(name: str, found: Sequence[Overlap], path, replace_offered: bool = True) -> OverlapRefused:
    """THE refusal of a file that overlaps earlier imports (``Batches.overlaps``): every overlap
    with its days, amounts and rows, and how to choose."""
    how = ("choose --on-overlap replace (the earlier import is removed) or --on-overlap keep (both are kept)"
           if replace_offered else
           "remove the earlier import first, or import with --on-overlap keep (both are kept)")
    return OverlapRefused(f"{name} was not imported: " + "; ".join(o.text for o in found)
                          + f". Importing it as well would count that twice: {how}.", path=str(path),
                          overlaps=tuple(found))


class _Named:
    """A batch source that is not a file (a warehouse URL): its name and "absolute path" are the
    URL as recorded."""

    def __init__(self, name: str):
        self.name = name

    def absolute(self) -> str:
        return self.name


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except OSError:
        return False


def _too_big_to_read_whole(path: Path) -> bool:
    """A usage file beyond what ``read_file`` reads whole (a Parquet file declaring more rows than
    the row limit, a text file over the size limit): imported in slices instead."""
    from desktop.ingest import parquet_file, safety

    limits = safety.DEFAULT_LIMITS
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
        if parquet_file.is_parquet(head):
            import pyarrow.parquet as pq

            return pq.ParquetFile(str(path)).metadata.num_rows > limits.max_rows
        return head[:2] != b"PK" and path.stat().st_size > limits.max_file_bytes
    except Exception:
        return False


def _delete_batch(conn: sqlite3.Connection, batch_id: int) -> None:
    conn.execute("DELETE FROM batch_chunks WHERE batch_id = ?", (batch_id,))
    conn.execute("DELETE FROM usage_days WHERE batch_id = ?", (batch_id,))
    conn.execute("DELETE FROM batches WHERE id = ?", (batch_id,))


class Batches:
    """The import batches of one workspace. ``settings`` gives the workspace settings an import
    reads with; ``profiles`` the saved mapping profiles it recognises files by."""

    def __init__(self, db: Database, profiles: Profiles, settings: Callable[[], Settings]):
        self._db = db
        self._profiles = profiles
        self._settings = settings
        self._frame_cache: dict[int, pd.DataFrame] = {}
        # per table: (batch ids it is made of, the concatenated frame)
        self._table_cache: dict[str, tuple[tuple, pd.DataFrame]] = {}

        self._files_cache: dict[int, list[tuple[Path, int]]] = {}  # batch -> (cache file, size)
        self.usage_rows = UsageRows(self.usage_files, self.usage_key, names=lambda: [
            r[0] for r in self._db.read("SELECT file_name FROM batches WHERE kind = 'usage' ORDER BY seq")])

    def clear_cache(self) -> None:
        self._frame_cache.clear()
        self._table_cache.clear()
        self._files_cache.clear()
        self.usage_rows.close()

    # -- usage as Parquet files (desktop/store/parquet.py, usage_db.py) -----------------------

    def usage_key(self) -> tuple:
        """The usage batches, in import order (what a rollup is computed from)."""
        return tuple(r[0] for r in self._db.read("SELECT id FROM batches WHERE kind = 'usage' ORDER BY seq"))

    def usage_files(self) -> list[Path]:
        """The Parquet files DuckDB reads, one or more per usage batch in import order: each
        stored chunk copied once into the content-addressed cache (checked against its
        SHA-256); usage stored before schema 5 (Arrow IPC) is written to the cache as Parquet."""
        out: list[Path] = []
        with self._db.mutex:
            ids = self.usage_key()
            for gone in [b for b in self._files_cache if b not in ids]:
                del self._files_cache[gone]
            for batch_id in ids:
                out.extend(self._batch_files(batch_id))
        return out

    def _batch_files(self, batch_id: int) -> list[Path]:
        """The cache files of one usage batch (copied out of the workspace once, then reused)."""
        with self._db.mutex:
            got = self._files_cache.get(batch_id)
            if got is None or not all(_has_size(p, n) for p, n in got):
                got = [(p, p.stat().st_size) for p in self._extract(batch_id)]
                self._files_cache[batch_id] = got
            return [p for p, _ in got]

    def _extract(self, batch_id: int) -> list[Path]:
        rows = self._db.read("SELECT rowid, sha256, length(data) FROM batch_chunks WHERE batch_id = ? ORDER BY chunk",
                             (batch_id,))
        if rows and all(r[1] for r in rows):
            conn = self._db.conn
            try:
                return [parquet.cached_file(digest, lambda rowid=rowid: conn.blobopen(
                    "batch_chunks", "data", rowid, readonly=True), size) for rowid, digest, size in rows]
            except ValueError as exc:
                raise WorkspaceCorrupt(f"Import batch {batch_id} in {self._db.path.name} cannot be read ({exc}). "
                                       "Remove it and import its file again.", path=str(self._db.path)) from exc
        # stored before schema 5 (Arrow IPC): its rows as one Parquet file, named by their content
        blobs = [b for (b,) in self._db.read("SELECT data FROM batch_chunks WHERE batch_id = ? ORDER BY chunk",
                                             (batch_id,))]
        name = f"legacy-{hashlib.sha256(b''.join(blobs)).hexdigest()}.parquet"
        return [parquet.put(name, parquet.encode_table(parquet.to_arrow(self.frame(batch_id))))]

    # -- writing -----------------------------------------------------------------------------

    def import_file(self, path: str | os.PathLike[str], kind: str | None = None, *,
                    replace: bool = False, profile: dict | str | None = None,
                    progress: Progress | None = None,
                    refuse_rejected: bool = False, on_overlap: str = "keep") -> ImportReport:
        from desktop.ingest import read_file

        if on_overlap not in ON_OVERLAP:
            raise ValueError(f"on_overlap must be one of {', '.join(ON_OVERLAP)}")
        self._db.require_writable("import a file")
        src = Path(path)
        content_hash, size = _source_hash(src)
        old = self._batch_by_hash(content_hash)
        if old is not None and not replace:
            raise self._duplicate(src.name, old)
        if kind in (None, "usage") and _too_big_to_read_whole(src):  # bounded memory, same rules
            return self.import_stream(src, replace=replace, profile=profile, progress=progress,
                                      refuse_rejected=refuse_rejected, on_overlap=on_overlap)
        profile_name, profile_dict = self._profiles.resolve(profile)
        saved = self._profiles.all()
        try:
            result = read_file(src, kind, settings=self._settings(), profile=profile_dict,
                               profiles=list(saved.values()) if profile_dict is None else None,
                               progress=sub(progress, 0.0, 0.8))
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(str(exc), file=src.name) from exc
        fmt = result.report.format
        if profile_dict is None and fmt.startswith("profile:") and fmt[8:] in saved:
            profile_name, profile_dict = fmt[8:], saved[fmt[8:]]  # recognised by its signature
        found = self.overlaps(result, except_hash=content_hash)
        supersede: tuple[int, ...] = ()
        if found and on_overlap == "refuse":
            refused = validation.import_refusal(result.report, strict=refuse_rejected is True)
            if refused is not None:  # a file the import rules refuse anyway says why first
                raise refused
            raise overlap_refusal(src.name, found, self._db.path)
        if found and on_overlap == "replace":
            supersede = tuple(dict.fromkeys(o.batch_id for o in found))
        return self.store_result(self.with_import_notes(result), src, content_hash=content_hash,
                                 file_size=size, replace=replace, profile_name=profile_name,
                                 profile=profile_dict, progress=sub(progress, 0.8, 1.0),
                                 strict=refuse_rejected is True, supersede=supersede)

    def store_result(self, result: Any, src: str | os.PathLike[str], *,
                     content_hash: str | None = None, file_size: int | None = None,
                     replace: bool = False, profile_name: str | None = None,
                     profile: dict | None = None, progress: Progress | None = None,
                     strict: bool = False, supersede: Sequence[int] = (), name: str | None = None) -> ImportReport:
        """Store ``result`` as one batch. ``supersede``: earlier batches this file replaces (the
        answer to an Overlap), removed in the same transaction: the workspace never holds both,
        nor neither. ``name``: the batch's file name and source when it is not a file (a
        warehouse URL without credentials; ``content_hash`` and ``file_size`` are then given)."""
        self._db.require_writable("import a file")
        src = Path(src) if name is None else _Named(name)
        if content_hash is None or file_size is None:
            content_hash, file_size = file_sha256(src)
        kind = result.kind
        if kind not in Inputs.TABLES:
            raise InputError(f"unknown table kind {kind!r}", file=str(src))
        refused = validation.import_refusal(result.report, strict=strict)  # as the CLI and the GUI
        if refused is not None:
            raise refused
        frame: pd.DataFrame = result.frame
        report: ImportReport = result.report
        columns_json = frames.dtypes_json(frame)
        if kind == "usage":  # Parquet (desktop/store/parquet.py): what DuckDB reads
            chunks = [(n, blob, parquet.sha256(blob)) for n, blob in parquet.encode_chunks(frame)]
        else:
            chunks = [(n, blob, None) for n, blob in frames.encode_chunks(frame)]
        days = _usage_days(frame) if kind == "usage" else []
        imported_at = now_iso()
        p = progress if progress is not None else Progress()
        with self._db.write(f"import {src.name}") as conn:
            old = conn.execute("SELECT id, seq FROM batches WHERE content_hash = ?",
                               (content_hash,)).fetchone()
            if old is not None and not replace:
                raise self._duplicate(src.name, self._batch_by_hash(content_hash) or {
                    "id": old[0], "file_name": "?", "kind": "?", "row_count": "?",
                    "imported_at": "?"})
            replaced = []
            for gone in supersede:
                name = conn.execute("SELECT file_name FROM batches WHERE id = ?", (gone,)).fetchone()
                if name is None:
                    raise WorkspaceError(f"There is no import batch {gone} in {self._db.path.name} to replace; "
                                         "nothing was imported.", path=str(self._db.path))
                replaced.append(f"replaces {name[0]} (batch {gone}), removed in the same import")
                _delete_batch(conn, gone)
            if old is not None:
                seq = old[1]
                _delete_batch(conn, old[0])
            else:
                seq = (conn.execute("SELECT max(seq) FROM batches").fetchone()[0] or 0) + 1
            cur = conn.execute(
                "INSERT INTO batches(seq, kind, file_name, source_path, content_hash, file_size, "
                "format, profile_name, profile, imported_at, report, row_count, chunk_count, columns)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (seq, kind, src.name, str(src.absolute()), content_hash, file_size, report.format,
                 profile_name, json.dumps(profile, sort_keys=True) if profile is not None else None,
                 imported_at, report_to_json(report), len(frame), len(chunks), columns_json))
            batch_id = cur.lastrowid
            p.step(0.0, f"saving {src.name}")
            for i, (nrows, blob, digest) in enumerate(chunks):
                conn.execute("INSERT INTO batch_chunks(batch_id, chunk, nrows, data, sha256) VALUES (?,?,?,?,?)",
                             (batch_id, i, nrows, blob, digest))
                p.step((i + 1) / (len(chunks) + 1), f"saving {src.name}")
            if days:
                conn.executemany(
                    "INSERT INTO usage_days(batch_id, vendor_key, vendor, day) VALUES (?,?,?,?)",
                    [(batch_id, k, v, d) for k, v, d in days])
            p.step(len(chunks) / (len(chunks) + 0.5), f"saving {src.name}")  # last chance to cancel
        overlaps = tuple(replaced) + self._overlaps(batch_id)
        p.step(1.0, f"imported {src.name}")
        if overlaps:
            report = dataclasses.replace(report, warnings=report.warnings + overlaps)
        return report

    def import_stream(self, path: str | os.PathLike[str], *, replace: bool = False,
                      profile: dict | str | None = None, progress: Progress | None = None,
                      refuse_rejected: bool = False, on_overlap: str = "keep") -> ImportReport:
        """Import a big usage file (CSV or Parquet) in bounded memory: read slice by slice
        (desktop/ingest/stream.py: the same detection, mapping, validation and report as
        ``import_file``), each slice stored as a Parquet chunk as soon as it is read, all in ONE
        transaction: a cancel, an error or a kill leaves nothing of the batch. Duplicate rows are
        flagged across the whole file (stream.Duplicates). The import rules
        (validation.import_refusal) judge the whole file's report before the commit. Earlier
        imports of the same vendor and days: ``on_overlap`` "refuse" refuses the file with the
        same overlaps and message as ``import_file`` (batches, days, amounts and rows on those
        days: ``usage_overlaps`` over the slices' ``day_sums`` added up), "keep" keeps both (the
        batch list shows "possible double counting"); "replace" is not offered here."""
        from desktop.ingest import stream

        self._db.require_writable("import a file")
        src = Path(path)
        content_hash, size = _source_hash(src)
        old = self._batch_by_hash(content_hash)
        if old is not None and not replace:
            raise self._duplicate(src.name, old)
        profile_name, profile_dict = self._profiles.resolve(profile)
        p = progress if progress is not None else Progress()
        totals = stream.Totals(src.name)
        days: dict[tuple[str, str], str] = {}
        columns_json = None
        duplicates = stream.Duplicates(src, src.name)
        sums: list[pd.DataFrame] = []  # day_sums of each slice (on_overlap "refuse")
        with contextlib.closing(duplicates), self._db.write(f"import {src.name}") as conn:
            if old is not None:
                seq = conn.execute("SELECT seq FROM batches WHERE id = ?", (old["id"],)).fetchone()[0]
                _delete_batch(conn, old["id"])
            else:
                seq = (conn.execute("SELECT max(seq) FROM batches").fetchone()[0] or 0) + 1
            cur = conn.execute(
                "INSERT INTO batches(seq, kind, file_name, source_path, content_hash, file_size, format, "
                "profile_name, profile, imported_at, report, row_count, chunk_count, columns) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (seq, "usage", src.name, str(src.absolute()), content_hash, size, "", profile_name,
                 json.dumps(profile_dict, sort_keys=True) if profile_dict is not None else None,
                 now_iso(), "{}", 0, 0, "[]"))
            batch_id = cur.lastrowid
            n_chunks = rows = 0
            ticker = stream.Ticker(sub(p, 0.0, 0.9))
            for frame, rep in stream.read_slices(src, "usage", settings=self._settings(), profile=profile_dict,
                                                 ticker=ticker, duplicates=duplicates):
                if rep.kind != "usage":
                    raise InputError(f"{src.name} is read as {rep.kind}, not usage; only usage is streamed",
                                     file=src.name)
                totals.add(rep)
                columns_json = columns_json or frames.dtypes_json(frame)
                for k, v, d in _usage_days(frame):
                    days.setdefault((k, d), v)
                if on_overlap == "refuse" and len(frame):
                    sums.append(frame_day_sums(frame))
                if len(frame) or n_chunks == 0:
                    for nrows, blob in parquet.encode_chunks(frame):
                        conn.execute("INSERT INTO batch_chunks(batch_id, chunk, nrows, data, sha256) "
                                     "VALUES (?,?,?,?,?)", (batch_id, n_chunks, nrows, blob, parquet.sha256(blob)))
                        n_chunks += 1
                        rows += nrows
                p.step(min(0.9, p.fraction), f"saving {src.name}")
            totals.duplicate_rows = duplicates.rows(stream.Ticker(sub(p, 0.9, 0.95)))  # across every slice
            report = totals.report(n_chunks)
            refused = validation.import_refusal(report, strict=refuse_rejected is True)
            if refused is not None:
                raise refused
            if on_overlap == "refuse" and days:
                found = self.usage_overlaps(days, merge_day_sums(sums), except_hash=content_hash)
                if found:
                    raise overlap_refusal(src.name, found, self._db.path, replace_offered=False)
            elif on_overlap == "replace":
                raise InputError("a file this big is imported in slices, and replacing earlier imports is not "
                                 "offered then: remove them first, or import with --on-overlap keep", file=src.name)
            conn.execute("UPDATE batches SET format = ?, report = ?, row_count = ?, chunk_count = ?, columns = ? "
                         "WHERE id = ?", (report.format, report_to_json(report), rows, n_chunks,
                                         columns_json or "[]", batch_id))
            if days:
                conn.executemany("INSERT INTO usage_days(batch_id, vendor_key, vendor, day) VALUES (?,?,?,?)",
                                 [(batch_id, k, v, d) for (k, d), v in days.items()])
            p.step(0.99, f"saving {src.name}")  # last chance to cancel
        overlaps = self._overlaps(batch_id)
        p.step(1.0, f"imported {src.name}")
        if overlaps:
            report = dataclasses.replace(report, warnings=report.warnings + overlaps)
        return report

    def overlaps(self, result: Any, *, except_hash: str | None = None) -> list[Overlap]:
        """The earlier batches a file about to be imported (an ingest ImportResult) overlaps:
        usage of the same vendor (alias key) on the same days, or invoices with the same
        (vendor, invoice_id). ``except_hash``: the file's own content hash (a batch of the same
        content is a duplicate, not an overlap). In batch order, then vendor."""
        kind, frame = result.kind, result.frame
        if kind not in ("usage", "invoices") or frame.empty:
            return []
        if kind == "usage":
            return self._usage_overlaps(frame, except_hash)
        return self._invoice_overlaps(frame, except_hash)

    def _batch_info(self, kind: str, except_hash: str | None) -> dict[int, tuple]:
        return {r[0]: r[1:] for r in self._db.read(
            "SELECT id, file_name, imported_at, row_count, content_hash FROM batches WHERE kind = ? "
            "ORDER BY seq", (kind,)) if r[4] != except_hash}

    def _usage_overlaps(self, frame: pd.DataFrame, except_hash: str | None) -> list[Overlap]:
        mine = _usage_days(frame)
        if not mine or not self._batch_info("usage", except_hash):
            return []
        return self.usage_overlaps({(k, d): v for k, v, d in mine}, frame_day_sums(frame), except_hash)

    def usage_overlaps(self, days: dict[tuple[str, str], str], incoming: pd.DataFrame,
                       except_hash: str | None = None) -> list[Overlap]:
        """The earlier usage batches holding usage of the same vendor (alias key) on the same
        days as a file about to be imported: ``days`` its {(vendor key, day): vendor}, ``incoming``
        its ``day_sums`` (a streamed file's added up slice by slice). Only days on which both
        carry money count (a token report, cost 0, beside its cost report does not), as in the
        analysis' "possible double counting" (domain/inputs.py); amounts and source rows on those
        days from ``day_sums`` (the earlier batch's by DuckDB over its Parquet: never loaded)."""
        info = self._batch_info("usage", except_hash)
        if not days or not info:
            return []
        keys = sorted({k for k, _ in days})
        names = {k: v for (k, _), v in days.items()}
        found: dict[tuple[int, str], set[str]] = {}
        marks = ",".join("?" * len(keys))
        for batch_id, key, day in self._db.read(
                f"SELECT batch_id, vendor_key, day FROM usage_days WHERE vendor_key IN ({marks})", tuple(keys)):
            if batch_id in info and (key, day) in days:
                found.setdefault((batch_id, key), set()).add(day)
        out = []
        order = list(info)
        stored: dict[int, pd.DataFrame] = {}
        for (batch_id, key), on in sorted(found.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])):
            if batch_id not in stored:
                wanted = sorted({d for (b, _), ds in found.items() if b == batch_id for d in ds})
                stored[batch_id] = self._stored_day_sums(batch_id, wanted)
            old_sel, new_sel = _on(stored[batch_id], key, on), _on(incoming, key, on)
            on = (set(old_sel.loc[old_sel["money_rows"] > 0, "day"]) & set(new_sel.loc[new_sel["money_rows"] > 0, "day"]))
            if not on:
                continue
            old_sel, new_sel = _on(old_sel, key, on), _on(new_sel, key, on)
            snapshot = bool(old_sel["billing_period"].notna().all() and new_sel["billing_period"].notna().all()
                            and set(old_sel["billing_period"]) & set(new_sel["billing_period"]))
            file_name, imported_at, rows, _ = info[batch_id]
            out.append(Overlap(batch_id, file_name, imported_at, int(rows), "usage", names[key], len(on),
                               min(on), max(on), _sums_amounts(old_sel), _sums_amounts(new_sel), snapshot=snapshot,
                               earlier_rows=sum(int(n) for n in old_sel["rows"]),
                               incoming_rows=sum(int(n) for n in new_sel["rows"])))
        return out

    def _stored_day_sums(self, batch_id: int, days: Sequence[str]) -> pd.DataFrame:
        """``day_sums`` of a stored usage batch on ``days``, by DuckDB over its Parquet files."""
        from desktop.store import usage_db

        files = self._batch_files(batch_id)
        con = usage_db.connect(threads=1)
        try:
            rel = usage_db.relation(files)
            columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
            return day_sums(con, rel, columns, days)
        finally:
            con.close()

    def _invoice_overlaps(self, frame: pd.DataFrame, except_hash: str | None) -> list[Overlap]:
        info = self._batch_info("invoices", except_hash)
        if not info:
            return []

        def ids(f: pd.DataFrame) -> pd.Series:
            v = f["vendor"].astype("string").map(lambda x: tables.vendor_key(x) if pd.notna(x) else "")
            return v + "\x1f" + f["invoice_id"].astype("string").str.strip()

        new_ids = ids(frame)
        wanted = set(new_ids.dropna())
        out = []
        for batch_id, (file_name, imported_at, rows, _) in info.items():
            old = self.frame(batch_id)
            old_ids = ids(old)
            both = wanted & set(old_ids.dropna())
            if not both:
                continue
            by_vendor: dict[str, set[str]] = {}
            for k in both:
                by_vendor.setdefault(k.split("\x1f")[0], set()).add(k)
            for _vk, keys in sorted(by_vendor.items()):
                old_sel = old[old_ids.isin(keys).fillna(False).to_numpy(dtype=bool)]
                new_sel = frame[new_ids.isin(keys).fillna(False).to_numpy(dtype=bool)]
                start = new_sel["period_start"].fillna(new_sel["invoice_date"]).min()
                end = new_sel["period_end"].fillna(new_sel["invoice_date"]).max()
                out.append(Overlap(batch_id, file_name, imported_at, int(rows), "invoices",
                                   str(new_sel["vendor"].iloc[0]), int((end - start).days) + 1,
                                   f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}", _amounts(old_sel, "amount"),
                                   _amounts(new_sel, "amount"),
                                   invoice_ids=tuple(sorted(k.split("\x1f")[1] for k in keys))))
        return out

    def _stored_frames(self, kind: str, except_hash: str | None = None) -> list[pd.DataFrame]:
        return [self.frame(b) for b, h in self._db.read(
            "SELECT id, content_hash FROM batches WHERE kind = ? ORDER BY seq", (kind,)) if h != except_hash]

    def with_import_notes(self, result: Any) -> Any:
        """The ImportResult with the notes an analyst needs before storing it: commitment or
        invoice rows in a currency this workspace has no FX rate for (they will be left out of
        the figures until one is imported). For import_file and the import dialog's preview."""
        date_column = {"commitments": "period_start", "invoices": "invoice_date"}.get(result.kind)
        if date_column is None or result.frame.empty:
            return result
        stored = self._stored_frames("fx_rates")
        rates = pd.concat(stored, ignore_index=True) if stored else tables.empty("fx_rates")
        word = {"commitments": "commitment", "invoices": "invoice"}[result.kind]
        notes = fx.missing_rate_notes(result.frame, rates, kind=word, date_column=date_column,
                                      reporting_currency=self._settings().reporting_currency)
        if not notes:
            return result
        report = dataclasses.replace(result.report, warnings=tuple(result.report.warnings) + tuple(notes))
        return dataclasses.replace(result, report=report)

    def remove(self, batch_id: int) -> None:
        self._db.require_writable("remove an import")
        with self._db.write("remove the import") as conn:
            if conn.execute("SELECT 1 FROM batches WHERE id = ?", (batch_id,)).fetchone() is None:
                raise WorkspaceError(f"There is no import batch {batch_id} in {self._db.path.name}.",
                                     path=str(self._db.path))
            _delete_batch(conn, batch_id)

    # -- reading -----------------------------------------------------------------------------

    def _overlaps(self, batch_id: int) -> tuple[str, ...]:
        rows = self._db.read(
            "SELECT o.batch_id, b.file_name, min(u.vendor), count(*), min(u.day), max(u.day) "
            "FROM usage_days u JOIN usage_days o ON o.vendor_key = u.vendor_key AND o.day = u.day "
            "AND o.batch_id <> u.batch_id JOIN batches b ON b.id = o.batch_id "
            "WHERE u.batch_id = ? GROUP BY o.batch_id, u.vendor_key ORDER BY b.seq, u.vendor_key",
            (batch_id,))
        out = []
        for other, name, vendor, n, first, last in rows:
            span = first if first == last else f"{first}..{last}"
            out.append(f"possible double counting: usage of {vendor} on {n} day"
                       f"{'s' if n != 1 else ''} ({span}) also comes from {name} (batch {other})")
        return tuple(out)

    def _duplicate(self, name: str, old: dict) -> DuplicateImport:
        when = old["imported_at"][:16].replace("T", " ")
        return DuplicateImport(
            f"{name} was already imported (batch {old['id']}: {old['file_name']}, {old['kind']}, "
            f"{old['row_count']} rows, on {when} UTC). Nothing was imported. Choose 'replace' to "
            "import it again in place of that batch.", path=str(self._db.path), batch_id=old["id"])

    def _batch_by_hash(self, content_hash: str) -> dict | None:
        rows = self._db.read("SELECT id, kind, file_name, row_count, imported_at FROM batches "
                             "WHERE content_hash = ?", (content_hash,))
        if not rows:
            return None
        r = rows[0]
        return {"id": r[0], "kind": r[1], "file_name": r[2], "row_count": r[3], "imported_at": r[4]}

    def records(self) -> list[BatchRecord]:
        rows = self._db.read(
            "SELECT id, kind, file_name, source_path, content_hash, file_size, format, "
            "profile_name, profile, imported_at, row_count, report FROM batches ORDER BY seq")
        out = []
        for r in rows:
            out.append(BatchRecord(
                id=r[0], kind=r[1], file_name=r[2], source_path=r[3], content_hash=r[4],
                file_size=r[5], format=r[6], profile_name=r[7],
                profile=json.loads(r[8]) if r[8] else None, imported_at=r[9], row_count=r[10],
                report=report_from_json(r[11]), overlaps=self._overlaps(r[0])))
        return out

    def frame(self, batch_id: int) -> pd.DataFrame:
        """The canonical rows of one batch (decoded frames are cached in memory, which is safe
        because a stored batch never changes: replacing it makes a new batch id). A new frame
        object over the cached columns, no copy: pandas' copy-on-write copies a column only if
        the caller writes to it, so the cache can never be changed from outside."""
        with self._db.mutex:
            cached = self._frame_cache.get(batch_id)
            if cached is None:
                cached = self._decode(batch_id)
                self._frame_cache[batch_id] = cached
            return cached.copy(deep=False)

    def _decode(self, batch_id: int) -> pd.DataFrame:
        path = self._db.path
        with self._db.mutex:
            row = self._db.read("SELECT columns, chunk_count, row_count, kind FROM batches WHERE id = ?",
                                (batch_id,))
            if not row:
                raise WorkspaceError(f"There is no import batch {batch_id}.", path=str(path))
            columns, chunk_count, row_count, kind = row[0]
            blobs = self._db.read("SELECT nrows, data FROM batch_chunks WHERE batch_id = ? "
                                  "ORDER BY chunk", (batch_id,))
        if len(blobs) != chunk_count or sum(n for n, _ in blobs) != row_count:
            raise WorkspaceCorrupt(f"Import batch {batch_id} in {path.name} is incomplete.",
                                   path=str(path))
        try:
            if blobs and parquet.is_parquet(blobs[0][1]):
                # stored in date order (row groups by day); handed back in file order
                frame = parquet.file_order(frames.decode_tables([parquet.decode(b) for _, b in blobs], columns))
            else:
                frame = frames.decode_chunks([b for _, b in blobs], columns)
            spec = tables.SPECS.get(kind)
            if spec is not None and (list(frame.columns) != spec.names + ["_file", "_row"] or (
                    kind in tables.DICTIONARY_TABLES and not tables.is_dictionary(frame["_file"]))):
                # stored before the table gained a column (its default or SAME_AS fills it), or
                # before its text was dictionary-encoded
                frame = tables.conform(frame, spec)
            return frame
        except (frames.DecodeError, ValueError, KeyError, OSError) as exc:
            raise WorkspaceCorrupt(f"Import batch {batch_id} in {path.name} cannot be read "
                                   f"({exc}). Remove it and import its file again.",
                                   path=str(path)) from exc

    def inputs(self, progress: Progress | None = None) -> Inputs:
        """The canonical frames of every batch in import order (as imported: no edits); usage as
        its daily rollup (canonical usage rows at daily grain with ``source_rows``, computed by
        DuckDB from the batches' Parquet: desktop/store/usage_db.py), never the raw rows.

        Each table is keyed by the ids of the batches it is made of (Inputs.keys): a stored batch
        never changes, so an unchanged key is an unchanged table and a recompute can reuse what
        it derived from it (desktop/domain/analysis.py). The frames handed out share their columns
        with the cache (no copy of a 1M-row table per recompute); copy-on-write keeps the cache
        intact if a caller writes to one."""
        p = progress if progress is not None else Progress()
        with self._db.mutex:
            rows = self._db.read("SELECT id, kind, report FROM batches ORDER BY seq")
            live = {r[0] for r in rows}
            for gone in [b for b in self._frame_cache if b not in live]:
                del self._frame_cache[gone]
            ids: dict[str, list[int]] = {name: [] for name in Inputs.TABLES}
            reports = []
            for i, (batch_id, kind, report) in enumerate(rows):
                if kind != "usage" and batch_id not in self._frame_cache:  # usage: its rollup, below
                    self._frame_cache[batch_id] = self._decode(batch_id)
                ids[kind].append(batch_id)
                reports.append(report_from_json(report))
                p.step((i + 1) / (len(rows) + 1), "reading the workspace")
            inputs = Inputs()
            for name in Inputs.TABLES:
                if not ids[name]:
                    continue
                key = ("batches", tuple(ids[name]))
                cached = self._table_cache.get(name)
                if cached is None or cached[0] != key:
                    if name == "usage":  # the daily rollup DuckDB computes from the Parquet
                        frame = self.usage_rows.rollup()
                    else:
                        frs = [self._frame_cache[b] for b in ids[name]]
                        frame = frs[0] if len(frs) == 1 else tables.concat(frs)
                    cached = (key, frame)
                    self._table_cache[name] = cached
                # a new frame object over the same columns: pandas' copy-on-write copies a column only
                # if someone writes to it, so the cached table can never be changed from outside
                inputs = inputs.with_table(name, cached[1].copy(deep=False), key=key,
                                           usage_rows=self.usage_rows if name == "usage" else None)
        return dataclasses.replace(inputs, imports=tuple(reports))


def _source_hash(src: Path) -> tuple[str, int]:
    """The SHA-256 and size of a file about to be imported; a missing or unreadable file is the
    analyst's InputError, named."""
    try:
        return file_sha256(src)
    except FileNotFoundError as exc:
        raise InputError("file not found", file=str(src)) from exc
    except PermissionError as exc:
        raise InputError("permission denied reading the file", file=str(src)) from exc
