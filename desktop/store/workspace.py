"""The workspace: one SQLite file (``*.commitdesk``) that holds an analyst's work.

Guarantees and layout are documented in docs/workspace.md. In short:

* every change is one SQLite transaction (WAL, ``synchronous=FULL``): after a crash, power cut or
  SIGKILL a change is either entirely there or entirely absent;
* an import batch (the file's rows as Arrow IPC chunks, its ImportReport, hash, format, mapping
  profile) is written in one transaction; ``inputs()`` rebuilds the canonical frames exactly;
* writers hold a lock file next to the workspace; read-only opens ignore it;
* analyst edits (settings, commitment edits, action changes) can be undone and redone within
  the session;
* a failed write (disk full, permission denied, database locked by another program) raises a
  WorkspaceError with a clear message and leaves the previous state intact.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import sqlite3
import statistics
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd

from desktop.domain import tables
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.progress import Progress, sub
from desktop.domain.results import Finding, ImportReport
from desktop.domain.settings import Settings
from desktop.store import frames, schema
from desktop.store.errors import (
    DuplicateImport,
    NotAWorkspace,
    WorkspaceCorrupt,
    WorkspaceError,
    WorkspaceNotFound,
    WorkspaceReadOnly,
    WorkspaceTooNew,
    translate_sqlite_error,
)
from desktop.store.lock import WorkspaceLock
from desktop.store.records import (
    Action,
    BatchRecord,
    Edit,
    ResolutionReport,
    date_or_none,
    iso_or_none,
    now_iso,
    report_from_json,
    report_to_json,
    to_date,
)
from desktop.store.validate import (
    EDITABLE_COMMITMENT,
    validate_commitment_change,
    validate_settings,
)

__all__ = ["Action", "BatchRecord", "ResolutionReport", "Workspace", "file_sha256",
           "report_from_json", "report_to_json", "validate_settings"]

SUFFIX = ".commitdesk"
ACTION_STATUSES = ("open", "in_progress", "done", "wont_fix")
AS_OF_MODES = ("latest_usage", "today", "fixed")
CLOSED_STATUSES = ("done", "wont_fix")
MAX_UNDO = 200
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _read_header(path: Path) -> tuple[int, int] | None:
    """(user_version, application_id) from the database header, None for an empty file."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(100)
    except PermissionError as exc:
        raise WorkspaceReadOnly(f"Cannot read {path.name}: permission denied.", path=str(path)) from exc
    except IsADirectoryError as exc:
        raise NotAWorkspace(f"{path} is a folder, not a CommitDesk workspace.", path=str(path)) from exc
    if not head:
        return None
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        raise NotAWorkspace(f"{path.name} is not a CommitDesk workspace.", path=str(path))
    user_version = int.from_bytes(head[60:64], "big")
    app_id = int.from_bytes(head[68:72], "big", signed=False)
    return user_version, app_id


def _too_new(path: Path, version: int) -> WorkspaceTooNew:
    return WorkspaceTooNew(
        f"{path.name} was saved by a newer version of CommitDesk (workspace schema {version}; this "
        f"version understands up to schema {schema.SCHEMA_VERSION}). It was not opened and not "
        "changed. Open it with a newer CommitDesk.", path=str(path))


def _not_ours(path: Path) -> NotAWorkspace:
    return NotAWorkspace(f"{path.name} is an SQLite database but not a CommitDesk workspace; "
                         "it was not opened.", path=str(path))


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


# --- the workspace ----------------------------------------------------------------------------

class Workspace:
    """An open workspace. Use ``Workspace.open(path)``; it is a context manager.

    Thread-safe for use from one GUI thread and background workers (one connection guarded by a
    re-entrant lock).
    """

    busy_timeout_s: float = 5.0

    def __init__(self, path: Path, readonly: bool):
        self.path = path
        self.readonly = readonly
        self._conn: sqlite3.Connection | None = None
        self._lock: WorkspaceLock | None = None
        self._mutex = threading.RLock()
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        self._frame_cache: dict[int, pd.DataFrame] = {}
        self.backup_path: Path | None = None  # written before a migration on this open
        self.recovered_lock: dict | None = None  # stale lock taken over on this open

    # -- opening / closing -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, readonly: bool = False, create: bool = False,
             busy_timeout: float | None = None) -> Workspace:
        p = Path(path).expanduser()
        if not p.exists():
            if not create or readonly:
                raise WorkspaceNotFound(f"No workspace at {p}.", path=str(p))
            if p.suffix != SUFFIX:
                p = p.with_name(p.name + SUFFIX)
            if not p.parent.is_dir():
                raise WorkspaceNotFound(f"Cannot create {p.name}: the folder {p.parent} does not "
                                        "exist.", path=str(p))
        ws = cls(p.absolute(), readonly)
        if busy_timeout is not None:
            ws.busy_timeout_s = busy_timeout
        try:
            ws._open(create)
        except BaseException:
            ws._abort_open()
            raise
        return ws

    def _abort_open(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @staticmethod
    def _header_facts(conn: sqlite3.Connection) -> tuple[int, int, int]:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        n_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        return app_id, version, n_tables

    def _connect(self, readonly: bool, immutable: bool = False) -> sqlite3.Connection:
        if immutable:
            uri = f"file:{quote(str(self.path))}?mode=ro&immutable=1"
        elif readonly:
            uri = f"file:{quote(str(self.path))}?mode=ro"
        else:
            uri = f"file:{quote(str(self.path))}?mode=rwc"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False,
                                   timeout=self.busy_timeout_s)
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, self.path, "open the workspace") from exc
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        return conn

    def _open(self, create: bool) -> None:
        exists = self.path.exists()
        header = _read_header(self.path) if exists else None
        if header is not None:
            version, app_id = header
            if version > schema.SCHEMA_VERSION:
                raise _too_new(self.path, version)
            if app_id not in (0, schema.APPLICATION_ID):
                raise _not_ours(self.path)
        if not self.readonly:
            self._lock = WorkspaceLock(self.path)
            self._lock.acquire()
            self.recovered_lock = self._lock.recovered_stale
            if exists and not os.access(self.path, os.W_OK):
                raise WorkspaceReadOnly(
                    f"Cannot open {self.path.name} for editing: permission denied. Open it "
                    "read-only, or copy it to a folder you can write to.", path=str(self.path))
        conn = self._conn = self._connect(self.readonly)
        try:
            app_id, version, n_tables = self._header_facts(conn)
        except sqlite3.DatabaseError as exc:
            name = getattr(exc, "sqlite_errorname", "")
            if name.startswith("SQLITE_NOTADB") or "not a database" in str(exc):
                raise NotAWorkspace(f"{self.path.name} is not a CommitDesk workspace.",
                                    path=str(self.path)) from exc
            if not (self.readonly and name.startswith(("SQLITE_CANTOPEN", "SQLITE_READONLY"))):
                raise translate_sqlite_error(exc, self.path, "open the workspace") from exc
            # read-only folder: SQLite cannot create the WAL index (-shm). With no -wal file
            # every committed change is in the main file, which can then be read as immutable.
            conn.close()
            self._conn = None
            if Path(str(self.path) + "-wal").exists():
                raise WorkspaceReadOnly(
                    f"{self.path.name} cannot be opened read-only right now: it needs recovery "
                    "after an interrupted session, and its folder is not writable. Open it for "
                    "editing once where it can be written.", path=str(self.path)) from exc
            conn = self._conn = self._connect(True, immutable=True)
            try:
                app_id, version, n_tables = self._header_facts(conn)
            except sqlite3.DatabaseError as exc2:
                raise translate_sqlite_error(exc2, self.path, "open the workspace") from exc2
        if version > schema.SCHEMA_VERSION:
            raise _too_new(self.path, version)
        fresh = n_tables == 0 and app_id == 0 and version == 0
        if not fresh and app_id != schema.APPLICATION_ID:
            raise _not_ours(self.path)
        if fresh and not create and self.path.suffix != SUFFIX:
            raise _not_ours(self.path)
        if fresh and self.readonly:
            raise NotAWorkspace(f"{self.path.name} is empty (not a workspace yet).",
                                path=str(self.path))
        if not self.readonly:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA foreign_keys = ON")
            except sqlite3.Error as exc:
                raise translate_sqlite_error(exc, self.path, "open the workspace") from exc
        if not fresh:
            try:
                check = conn.execute("PRAGMA quick_check").fetchall()
            except sqlite3.DatabaseError as exc:
                check = [(str(exc),)]
            if [r[0] for r in check] != ["ok"]:
                problems = "; ".join(str(r[0]) for r in check[:3])
                raise WorkspaceCorrupt(
                    f"{self.path.name} failed its integrity check ({problems}). It was not "
                    "changed; restore a backup copy or import the files into a new workspace.",
                    path=str(self.path))
        if fresh:
            with self._write("create the workspace"):
                schema.create_schema(conn)
            version = schema.CREATE_VERSION
            if version < schema.SCHEMA_VERSION:
                self._migrate(version, backup=False)
        elif version < schema.SCHEMA_VERSION:
            if self.readonly:
                raise WorkspaceReadOnly(
                    f"{self.path.name} uses an older workspace format (schema {version}); open it "
                    "for editing once so CommitDesk can upgrade it (a backup copy is kept).",
                    path=str(self.path))
            self._migrate(version, backup=True)

    def _migrate(self, version: int, *, backup: bool) -> None:
        try:
            self.backup_path = schema.migrate(self._conn, self.path, version, backup=backup)
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, self.path, "upgrade the workspace") from exc
        except OSError as exc:
            raise WorkspaceError(f"Cannot write the backup copy before upgrading {self.path.name}: "
                                 f"{exc.strerror}. Nothing was changed.", path=str(self.path)) from exc

    def close(self) -> None:
        with self._mutex:
            self._frame_cache.clear()
            if self._conn is not None:
                try:
                    if not self.readonly:
                        self._conn.execute("PRAGMA optimize")
                except sqlite3.Error:
                    pass
                self._conn.close()
                self._conn = None
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    @property
    def closed(self) -> bool:
        return self._conn is None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.readonly else "read-write"
        return f"<Workspace {self.path} {mode}>"

    # -- transactions ------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise WorkspaceError("The workspace is closed.", path=str(self.path))
        return self._conn

    def _require_writable(self, doing: str) -> None:
        if self.readonly:
            raise WorkspaceReadOnly(f"Cannot {doing}: {self.path.name} is open read-only.",
                                    path=str(self.path))

    @contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction; any failure rolls back and becomes a WorkspaceError."""
        with self._mutex:
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate_sqlite_error(exc, self.path, doing) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                if isinstance(exc, sqlite3.Error):
                    raise translate_sqlite_error(exc, self.path, doing) from exc
                raise

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._mutex:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise translate_sqlite_error(exc, self.path, "read the workspace") from exc

    def integrity_check(self) -> list[str]:
        return [r[0] for r in self._read("PRAGMA integrity_check")]

    # -- import batches ----------------------------------------------------------------------

    def import_file(self, path: str | os.PathLike[str], kind: str | None = None, *,
                    replace: bool = False, profile: dict | str | None = None,
                    progress: Progress | None = None,
                    refuse_rejected: bool | tuple[str, ...] = False) -> ImportReport:
        """Read ``path`` with desktop.ingest and store it as one batch (all or nothing).

        Same content as an earlier batch -> DuplicateImport, unless ``replace`` (the old batch is
        replaced in place, keeping its position in import order). The returned report carries
        a warning per other batch whose usage overlaps this one in vendor and days.
        ``refuse_rejected`` (True, or a tuple of kinds): a file of such a kind with rejected rows
        is not stored; InputError names its first rejected row.
        """
        from desktop.ingest import read_file

        self._require_writable("import a file")
        src = Path(path)
        try:
            content_hash, size = file_sha256(src)
        except FileNotFoundError as exc:
            raise InputError("file not found", file=str(src)) from exc
        except PermissionError as exc:
            raise InputError("permission denied reading the file", file=str(src)) from exc
        old = self._batch_by_hash(content_hash)
        if old is not None and not replace:
            raise self._duplicate(src.name, old)
        profile_name, profile_dict = self._resolve_profile(profile)
        saved = self.profiles()
        try:
            result = read_file(src, kind, settings=self.settings(), profile=profile_dict,
                               profiles=list(saved.values()) if profile_dict is None else None,
                               progress=sub(progress, 0.0, 0.8))
        except ValueError as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(str(exc), file=src.name) from exc
        fmt = result.report.format
        if profile_dict is None and fmt.startswith("profile:") and fmt[8:] in saved:
            profile_name, profile_dict = fmt[8:], saved[fmt[8:]]  # recognised by its signature
        rep = result.report
        if rep.rows_rejected and (refuse_rejected is True or (
                isinstance(refuse_rejected, tuple) and result.kind in refuse_rejected)):
            first = rep.errors[0] if rep.errors else None
            more = f" ({rep.rows_rejected} rows rejected)" if rep.rows_rejected > 1 else ""
            raise InputError(f"{first.message if first else 'rows rejected'}{more}; the file was "
                             "not imported", file=rep.file or src.name,
                             row=first.row if first else None, column=first.column if first else None)
        return self.store_result(result, src, content_hash=content_hash, file_size=size,
                                 replace=replace, profile_name=profile_name, profile=profile_dict,
                                 progress=sub(progress, 0.8, 1.0))

    def store_result(self, result: Any, src: str | os.PathLike[str], *,
                     content_hash: str | None = None, file_size: int | None = None,
                     replace: bool = False, profile_name: str | None = None,
                     profile: dict | None = None, progress: Progress | None = None) -> ImportReport:
        """Store an ingest ImportResult (kind, frame, report) as one batch in one transaction.

        For an import dialog that has already read (previewed) the file: the content hash is
        computed from ``src`` unless given.
        """
        self._require_writable("import a file")
        src = Path(src)
        if content_hash is None or file_size is None:
            content_hash, file_size = file_sha256(src)
        kind = result.kind
        if kind not in Inputs.TABLES:
            raise InputError(f"unknown table kind {kind!r}", file=str(src))
        frame: pd.DataFrame = result.frame
        report: ImportReport = result.report
        columns_json = frames.dtypes_json(frame)
        chunks = list(frames.encode_chunks(frame))
        days = self._usage_days(frame) if kind == "usage" else []
        imported_at = now_iso()
        p = progress if progress is not None else Progress()
        with self._write(f"import {src.name}") as conn:
            old = conn.execute("SELECT id, seq FROM batches WHERE content_hash = ?",
                               (content_hash,)).fetchone()
            if old is not None and not replace:
                raise self._duplicate(src.name, self._batch_by_hash(content_hash) or {
                    "id": old[0], "file_name": "?", "kind": "?", "row_count": "?",
                    "imported_at": "?"})
            if old is not None:
                seq = old[1]
                self._delete_batch(conn, old[0])
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
            for i, (nrows, blob) in enumerate(chunks):
                conn.execute("INSERT INTO batch_chunks(batch_id, chunk, nrows, data) VALUES (?,?,?,?)",
                             (batch_id, i, nrows, blob))
                p.step((i + 1) / (len(chunks) + 1), f"saving {src.name}")
            if days:
                conn.executemany(
                    "INSERT INTO usage_days(batch_id, vendor_key, vendor, day) VALUES (?,?,?,?)",
                    [(batch_id, k, v, d) for k, v, d in days])
        overlaps = self._overlaps(batch_id)
        p.step(1.0, f"imported {src.name}")
        if overlaps:
            report = dataclasses.replace(report, warnings=report.warnings + overlaps)
        return report

    @staticmethod
    def _usage_days(frame: pd.DataFrame) -> list[tuple[str, str, str]]:
        if frame.empty:
            return []
        sub_ = frame[["vendor", "date"]].dropna().drop_duplicates()
        out: dict[tuple[str, str], str] = {}
        days = sub_["date"].dt.strftime("%Y-%m-%d")
        for vendor, day in zip(sub_["vendor"].tolist(), days.tolist(), strict=True):
            out.setdefault((tables.vendor_key(vendor), day), vendor)
        return [(k, v, d) for (k, d), v in out.items()]

    def _overlaps(self, batch_id: int) -> tuple[str, ...]:
        rows = self._read(
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
            "import it again in place of that batch.", path=str(self.path), batch_id=old["id"])

    def _batch_by_hash(self, content_hash: str) -> dict | None:
        rows = self._read("SELECT id, kind, file_name, row_count, imported_at FROM batches "
                          "WHERE content_hash = ?", (content_hash,))
        if not rows:
            return None
        r = rows[0]
        return {"id": r[0], "kind": r[1], "file_name": r[2], "row_count": r[3], "imported_at": r[4]}

    @staticmethod
    def _delete_batch(conn: sqlite3.Connection, batch_id: int) -> None:
        conn.execute("DELETE FROM batch_chunks WHERE batch_id = ?", (batch_id,))
        conn.execute("DELETE FROM usage_days WHERE batch_id = ?", (batch_id,))
        conn.execute("DELETE FROM batches WHERE id = ?", (batch_id,))

    def batches(self) -> list[BatchRecord]:
        rows = self._read(
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

    def remove_batch(self, batch_id: int) -> None:
        self._require_writable("remove an import")
        with self._write("remove the import") as conn:
            if conn.execute("SELECT 1 FROM batches WHERE id = ?", (batch_id,)).fetchone() is None:
                raise WorkspaceError(f"There is no import batch {batch_id} in {self.path.name}.",
                                     path=str(self.path))
            self._delete_batch(conn, batch_id)

    def batch_frame(self, batch_id: int) -> pd.DataFrame:
        """The canonical rows of one batch (a copy; decoded frames are cached in memory, which is
        safe because a stored batch never changes: replacing it makes a new batch id)."""
        with self._mutex:
            cached = self._frame_cache.get(batch_id)
            if cached is not None:
                return cached.copy()
            frame = self._decode_batch(batch_id)
            self._frame_cache[batch_id] = frame
            return frame.copy()

    def _decode_batch(self, batch_id: int) -> pd.DataFrame:
        with self._mutex:
            row = self._read("SELECT columns, chunk_count, row_count FROM batches WHERE id = ?",
                             (batch_id,))
            if not row:
                raise WorkspaceError(f"There is no import batch {batch_id}.", path=str(self.path))
            columns, chunk_count, row_count = row[0]
            blobs = self._read("SELECT nrows, data FROM batch_chunks WHERE batch_id = ? "
                               "ORDER BY chunk", (batch_id,))
        if len(blobs) != chunk_count or sum(n for n, _ in blobs) != row_count:
            raise WorkspaceCorrupt(f"Import batch {batch_id} in {self.path.name} is incomplete.",
                                   path=str(self.path))
        try:
            return frames.decode_chunks([b for _, b in blobs], columns)
        except (frames.DecodeError, ValueError, KeyError) as exc:
            raise WorkspaceCorrupt(f"Import batch {batch_id} in {self.path.name} cannot be read "
                                   f"({exc}). Remove it and import its file again.",
                                   path=str(self.path)) from exc

    def inputs(self, progress: Progress | None = None) -> Inputs:
        """The canonical frames of every batch in import order, with commitment edits applied."""
        p = progress if progress is not None else Progress()
        with self._mutex:
            rows = self._read("SELECT id, kind, report FROM batches ORDER BY seq")
            live = {r[0] for r in rows}
            for gone in [b for b in self._frame_cache if b not in live]:
                del self._frame_cache[gone]
            parts: dict[str, list[pd.DataFrame]] = {name: [] for name in Inputs.TABLES}
            reports = []
            for i, (batch_id, kind, report) in enumerate(rows):
                parts[kind].append(self.batch_frame(batch_id))
                reports.append(report_from_json(report))
                p.step((i + 1) / (len(rows) + 1), "reading the workspace")
            edits = self._read("SELECT contract_id, period_start, changes FROM commitment_edits")
        inputs = Inputs()
        for name in Inputs.TABLES:
            frs = parts[name]
            if not frs:
                continue
            frame = frs[0]
            for extra in frs[1:]:
                frame = pd.concat([frame, extra], ignore_index=True)
            inputs = inputs.with_table(name, frame)
        inputs = dataclasses.replace(inputs, imports=tuple(reports))
        if edits and not inputs.commitments.empty:
            inputs = inputs.with_table("commitments",
                                       self._apply_commitment_edits(inputs.commitments, edits))
        p.step(1.0, "workspace read")
        return inputs

    @staticmethod
    def _apply_commitment_edits(frame: pd.DataFrame, edits: list[tuple]) -> pd.DataFrame:
        frame = frame.copy()
        starts = frame["period_start"].dt.strftime("%Y-%m-%d")
        for contract_id, period_start, changes_json in edits:
            mask = (frame["contract_id"] == contract_id).fillna(False) & (starts == period_start)
            if not mask.any():
                continue
            for name, value in json.loads(changes_json).items():
                col = frame[name]
                if value is None:
                    frame.loc[mask, name] = pd.NA
                elif EDITABLE_COMMITMENT[name] == "date":
                    frame.loc[mask, name] = pd.Timestamp(value)
                else:
                    frame.loc[mask, name] = value
                frame[name] = frame[name].astype(col.dtype)
        return frame

    # -- settings ----------------------------------------------------------------------------

    def settings(self) -> Settings:
        rows = self._read("SELECT data FROM settings WHERE id = 1")
        if not rows:
            return Settings()
        return Settings.from_dict(json.loads(rows[0][0]))

    def _store_settings(self, conn: sqlite3.Connection, data: dict | None) -> None:
        if data is None:
            conn.execute("DELETE FROM settings WHERE id = 1")
        else:
            conn.execute("INSERT INTO settings(id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE "
                         "SET data = excluded.data", (json.dumps(data, sort_keys=True),))

    def set_settings(self, settings: Settings) -> None:
        self._require_writable("save the settings")
        validate_settings(settings)
        rows = self._read("SELECT data FROM settings WHERE id = 1")
        before = json.loads(rows[0][0]) if rows else None
        after = settings.to_dict()
        if before == after:
            return
        with self._write("save the settings") as conn:
            self._store_settings(conn, after)
        self._push(Edit("change settings", "settings", None, before, after))

    # -- commitments -------------------------------------------------------------------------

    def update_commitment(self, contract_id: str, period_start: Any, /, **changes: Any) -> None:
        """Edit one commit period (validated; undoable). Kept as an overlay on the imported rows."""
        self._require_writable("edit the commitment")
        if not changes:
            return
        start = to_date(period_start)
        commitments = self.inputs().commitments
        mask = (commitments["contract_id"] == contract_id).fillna(False) & (
            commitments["period_start"].dt.date == start)
        if not mask.any():
            raise InputError(f"no commit period of contract {contract_id!r} starts on {start}",
                             column="period_start")
        clean = {k: validate_commitment_change(k, v, start) for k, v in changes.items()}
        key = (contract_id, start.isoformat())
        rows = self._read("SELECT changes FROM commitment_edits WHERE contract_id = ? AND "
                          "period_start = ?", key)
        before = json.loads(rows[0][0]) if rows else None
        after = dict(before or {})
        after.update(clean)
        if after == before:
            return
        with self._write("save the commitment edit") as conn:
            self._store_commitment_edit(conn, key, after)
        self._push(Edit(f"edit {contract_id} {start}", "commitment", key, before, after))

    @staticmethod
    def _store_commitment_edit(conn: sqlite3.Connection, key: tuple[str, str], changes: dict | None) -> None:
        if changes is None:
            conn.execute("DELETE FROM commitment_edits WHERE contract_id = ? AND period_start = ?", key)
        else:
            conn.execute(
                "INSERT INTO commitment_edits(contract_id, period_start, changes, edited_at) "
                "VALUES (?,?,?,?) ON CONFLICT(contract_id, period_start) DO UPDATE SET "
                "changes = excluded.changes, edited_at = excluded.edited_at",
                (*key, json.dumps(changes, sort_keys=True), now_iso()))

    def commitment_edits(self) -> dict[tuple[str, _dt.date], dict]:
        return {(c, _dt.date.fromisoformat(s)): json.loads(ch) for c, s, ch in self._read(
            "SELECT contract_id, period_start, changes FROM commitment_edits ORDER BY 1, 2")}

    # -- as-of mode ---------------------------------------------------------------------------

    def as_of_mode(self) -> tuple[str, _dt.date | None]:
        """(mode, date): 'latest_usage' (T = the latest usage date; the default), 'today', or
        'fixed' with its date."""
        rows = dict(self._read("SELECT key, value FROM meta WHERE key IN ('as_of_mode', 'as_of_date')"))
        mode = rows.get("as_of_mode", "latest_usage")
        return mode, date_or_none(rows.get("as_of_date"))

    def set_as_of_mode(self, mode: str, on: Any = None) -> None:
        """Undoable. ``on`` is required for 'fixed' and ignored otherwise."""
        self._require_writable("save the as-of date")
        if mode not in AS_OF_MODES:
            raise InputError(f"unknown as-of mode {mode!r}; one of {', '.join(AS_OF_MODES)}",
                             column="as_of_mode")
        if mode == "fixed":
            if on is None:
                raise InputError("a fixed as-of mode needs a date", column="as_of_date")
            try:
                day: str | None = to_date(on).isoformat()
            except (TypeError, ValueError) as exc:
                raise InputError(f"not a date: {on!r}", column="as_of_date") from exc
        else:
            day = None
        before_mode, before_day = self.as_of_mode()
        before = {"mode": before_mode, "date": iso_or_none(before_day)}
        after = {"mode": mode, "date": day}
        if before == after:
            return
        with self._write("save the as-of date") as conn:
            self._store_as_of(conn, after)
        self._push(Edit("change the as-of date", "as_of", None, before, after))

    @staticmethod
    def _store_as_of(conn: sqlite3.Connection, state: dict) -> None:
        conn.execute("INSERT INTO meta(key, value) VALUES ('as_of_mode', ?) ON CONFLICT(key) "
                     "DO UPDATE SET value = excluded.value", (state["mode"],))
        if state["date"] is None:
            conn.execute("DELETE FROM meta WHERE key = 'as_of_date'")
        else:
            conn.execute("INSERT INTO meta(key, value) VALUES ('as_of_date', ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", (state["date"],))

    def resolve_as_of(self, today: _dt.date | None = None) -> _dt.date | None:
        """The as-of date the mode gives (None = let the analysis take the latest usage date)."""
        mode, day = self.as_of_mode()
        if mode == "fixed":
            return day
        if mode == "today":
            return today or _dt.date.today()
        return None

    # -- mapping profiles --------------------------------------------------------------------

    def save_profile(self, name: str, profile: Any) -> None:
        """Save a mapping profile (a dict, or desktop.ingest.MappingProfile) under ``name``."""
        self._require_writable("save the mapping profile")
        if hasattr(profile, "to_dict"):
            profile = profile.to_dict()
        name = " ".join(str(name).split())
        if not name:
            raise InputError("a mapping profile needs a name", column="name")
        data = json.dumps(profile, sort_keys=True)
        with self._write("save the mapping profile") as conn:
            conn.execute("INSERT INTO profiles(name, data, saved_at) VALUES (?,?,?) ON CONFLICT(name) "
                         "DO UPDATE SET data = excluded.data, saved_at = excluded.saved_at",
                         (name, data, now_iso()))

    def profiles(self) -> dict[str, dict]:
        return {n: json.loads(d) for n, d in self._read("SELECT name, data FROM profiles ORDER BY name")}

    def delete_profile(self, name: str) -> None:
        self._require_writable("delete the mapping profile")
        with self._write("delete the mapping profile") as conn:
            conn.execute("DELETE FROM profiles WHERE name = ?", (name,))

    def _resolve_profile(self, profile: Any) -> tuple[str | None, dict | None]:
        """A saved profile's name, a profile dict or a MappingProfile -> (name, dict)."""
        if profile is None:
            return None, None
        if isinstance(profile, str):
            saved = self.profiles()
            if profile not in saved:
                raise InputError(f"no saved mapping profile named {profile!r}", column="profile")
            return profile, saved[profile]
        if hasattr(profile, "to_dict"):
            profile = profile.to_dict()
        data = dict(profile)
        return data.get("name"), data

    # -- actions -----------------------------------------------------------------------------

    _ACTION_COLS = ("key, kind, severity, title, owner, due, status, notes, opened_at, resolved_at, "
                    "detail, resolution, last_seen, ref")

    @staticmethod
    def _action_from_row(r: tuple) -> Action:
        return Action(key=r[0], kind=r[1], severity=r[2], title=r[3], owner=r[4], due=date_or_none(r[5]),
                      status=r[6], notes=r[7], opened_at=date_or_none(r[8]), resolved_at=date_or_none(r[9]),
                      detail=r[10], resolution=r[11], last_seen=date_or_none(r[12]),
                      ref=json.loads(r[13]) if r[13] else {})

    def actions(self, status: str | tuple[str, ...] | None = None) -> list[Action]:
        """Actions ordered: severity (high, medium, low), due date (none last), key."""
        sql = f"SELECT {self._ACTION_COLS} FROM actions"
        params: tuple = ()
        if status is not None:
            statuses = (status,) if isinstance(status, str) else tuple(status)
            for s in statuses:
                if s not in ACTION_STATUSES:
                    raise InputError(f"unknown action status {s!r}; one of {', '.join(ACTION_STATUSES)}",
                                     column="status")
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            params = statuses
        sql += (" ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 "
                "ELSE 3 END, due IS NULL, due, key")
        return [self._action_from_row(r) for r in self._read(sql, params)]

    def action(self, key: str) -> Action | None:
        rows = self._read(f"SELECT {self._ACTION_COLS} FROM actions WHERE key = ?", (key,))
        return self._action_from_row(rows[0]) if rows else None

    def sync_actions(self, findings: tuple[Finding, ...] | list[Finding], as_of: _dt.date) -> None:
        """Match findings to actions by key: new finding -> open action (opened_at = as_of);
        a finding seen again updates title/severity/owner/due/detail and keeps status and notes
        (an action closed because its finding disappeared is reopened); an open or in-progress
        action whose finding is gone is closed: status done, resolution 'resolved', resolved_at
        = as_of (never before its opened_at)."""
        self._require_writable("update the actions checklist")
        as_of = to_date(as_of)
        latest: dict[str, Finding] = {}
        for f in findings:
            latest[f.key] = f
        day = as_of.isoformat()
        with self._write("update the actions checklist") as conn:
            existing = {r[0]: (r[1], r[2]) for r in conn.execute(
                "SELECT key, status, resolution FROM actions")}
            for key, f in latest.items():
                ref = json.dumps(f.ref, sort_keys=True, default=str) if f.ref else None
                if key not in existing:
                    conn.execute(
                        "INSERT INTO actions(key, kind, severity, title, owner, due, status, notes, "
                        "opened_at, resolved_at, detail, resolution, last_seen, ref) "
                        "VALUES (?,?,?,?,?,?,'open','',?,NULL,?,NULL,?,?)",
                        (key, f.kind, f.severity, f.title, f.owner, iso_or_none(f.due), day, f.detail, day, ref))
                    continue
                status, resolution = existing[key]
                conn.execute(
                    "UPDATE actions SET kind = ?, severity = ?, title = ?, owner = ?, due = ?, "
                    "detail = ?, last_seen = ?, ref = ? WHERE key = ?",
                    (f.kind, f.severity, f.title, f.owner, iso_or_none(f.due), f.detail, day, ref, key))
                if status == "done" and resolution == "resolved":
                    conn.execute("UPDATE actions SET status = 'open', resolved_at = NULL, "
                                 "resolution = NULL WHERE key = ?", (key,))
            for key, (status, _res) in existing.items():
                if key not in latest and status in ("open", "in_progress"):
                    conn.execute("UPDATE actions SET status = 'done', resolution = 'resolved', "
                                 "resolved_at = max(?, opened_at) WHERE key = ?", (day, key))
            conn.execute("INSERT INTO meta(key, value) VALUES ('actions_as_of', ?) ON CONFLICT(key) "
                         "DO UPDATE SET value = excluded.value", (day,))

    def actions_as_of(self) -> _dt.date | None:
        """The as-of date of the analysis the checklist was last synced with."""
        rows = self._read("SELECT value FROM meta WHERE key = 'actions_as_of'")
        return date_or_none(rows[0][0]) if rows else None

    def _action_state(self, key: str) -> dict | None:
        rows = self._read("SELECT status, notes, resolved_at, resolution FROM actions WHERE key = ?",
                          (key,))
        if not rows:
            return None
        s, n, r, res = rows[0]
        return {"status": s, "notes": n, "resolved_at": r, "resolution": res}

    @staticmethod
    def _store_action_state(conn: sqlite3.Connection, key: str, state: dict) -> None:
        conn.execute("UPDATE actions SET status = ?, notes = ?, resolved_at = ?, resolution = ? "
                     "WHERE key = ?", (state["status"], state["notes"], state["resolved_at"],
                                       state["resolution"], key))

    def set_action(self, key: str, status: str | None = None, notes: str | None = None, *,
                   on: _dt.date | None = None) -> Action:
        """Analyst change of an action (undoable). Closing (done / won't fix) records the day
        (``on``, default today) as resolved_at; reopening clears it."""
        self._require_writable("change the action")
        before = self._action_state(key)
        if before is None:
            raise InputError(f"no action with key {key!r}", column="key")
        if status is not None and status not in ACTION_STATUSES:
            raise InputError(f"unknown action status {status!r}; one of {', '.join(ACTION_STATUSES)}",
                             column="status")
        after = dict(before)
        if notes is not None:
            after["notes"] = str(notes)
        if status is not None and status != before["status"]:
            after["status"] = status
            if status in CLOSED_STATUSES:
                after["resolved_at"] = (on or _dt.date.today()).isoformat()
                after["resolution"] = "analyst"
            else:
                after["resolved_at"] = None
                after["resolution"] = None
        if after != before:
            with self._write("change the action") as conn:
                self._store_action_state(conn, key, after)
            self._push(Edit(f"change action {key}", "action", key, before, after))
        return self.action(key)  # type: ignore[return-value]

    def resolution_times(self) -> ResolutionReport:
        all_actions = self.actions()
        closed = tuple(a for a in all_actions if a.status in CLOSED_STATUSES and a.resolved_at)
        open_count = sum(1 for a in all_actions if a.status not in CLOSED_STATUSES)

        def summary(items: list[Action]) -> dict[str, float | int | None]:
            days = [a.resolution_days for a in items if a.resolution_days is not None]
            return {"count": len(days),
                    "mean_days": statistics.fmean(days) if days else None,
                    "median_days": float(statistics.median(days)) if days else None,
                    "max_days": max(days) if days else None}

        total = summary(list(closed))
        by_kind = {k: summary([a for a in closed if a.kind == k])
                   for k in sorted({a.kind for a in closed})}
        return ResolutionReport(closed=closed, open_count=open_count, count=int(total["count"] or 0),
                                mean_days=total["mean_days"], median_days=total["median_days"],
                                max_days=total["max_days"], by_kind=by_kind)  # type: ignore[arg-type]

    # -- undo / redo -------------------------------------------------------------------------

    def _push(self, edit: Edit) -> None:
        self._undo.append(edit)
        del self._undo[:-MAX_UNDO]
        self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str | None:
        return self._undo[-1].label if self._undo else None

    @property
    def redo_label(self) -> str | None:
        return self._redo[-1].label if self._redo else None

    def _apply(self, edit: Edit, state: Any, doing: str) -> None:
        with self._write(doing) as conn:
            if edit.target == "settings":
                self._store_settings(conn, state)
            elif edit.target == "commitment":
                self._store_commitment_edit(conn, edit.key, state)
            elif edit.target == "as_of":
                self._store_as_of(conn, state)
            elif edit.target == "action":
                if conn.execute("SELECT 1 FROM actions WHERE key = ?", (edit.key,)).fetchone():
                    self._store_action_state(conn, edit.key, state)

    def undo(self) -> str | None:
        """Undo the last analyst edit; returns its label (None when there is nothing to undo)."""
        self._require_writable("undo")
        if not self._undo:
            return None
        edit = self._undo[-1]
        self._apply(edit, edit.before, f"undo '{edit.label}'")
        self._undo.pop()
        self._redo.append(edit)
        return edit.label

    def redo(self) -> str | None:
        self._require_writable("redo")
        if not self._redo:
            return None
        edit = self._redo[-1]
        self._apply(edit, edit.after, f"redo '{edit.label}'")
        self._redo.pop()
        self._undo.append(edit)
        return edit.label

    # -- analysis ----------------------------------------------------------------------------

    def analysis(self, as_of: _dt.date | None = None, progress: Progress | None = None,
                 **options: Any):
        """build_analysis over the stored inputs and settings; syncs the actions checklist when
        the workspace is writable. ``as_of`` None: the workspace's as-of mode decides
        (``resolve_as_of``). ``options`` go to build_analysis (e.g. renewal=...)."""
        from desktop.domain.analysis import build_analysis

        explicit = as_of is not None
        if as_of is None:
            as_of = self.resolve_as_of()
        inputs = self.inputs(progress=sub(progress, 0.0, 0.2))
        analysis = build_analysis(inputs, self.settings(), as_of, progress=sub(progress, 0.2, 0.95),
                                  **options)
        last = self.actions_as_of()
        # looking back at an earlier date the analyst picked does not rewrite the checklist
        looking_back = explicit and last is not None and analysis.as_of < last
        if not self.readonly and not looking_back:
            self.sync_actions(analysis.findings, analysis.as_of)
        return analysis
