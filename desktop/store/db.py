"""The workspace's SQLite file: header checks, open/create/migrate, the writer lock, and the one
connection every part of the store reads and writes through.

Every change is one IMMEDIATE transaction (``Database.write``) in WAL mode with
``synchronous=FULL``: after a crash, power cut or SIGKILL a change is either entirely there or
entirely absent. A failed write becomes a WorkspaceError with a clear message and leaves the
previous state intact. See docs/workspace.md.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from desktop.store import schema
from desktop.store.errors import (
    NotAWorkspace,
    WorkspaceCorrupt,
    WorkspaceError,
    WorkspaceNotFound,
    WorkspaceReadOnly,
    WorkspaceTooNew,
    translate_sqlite_error,
)
from desktop.store.lock import WorkspaceLock

SUFFIX = ".commitdesk"
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


def _header_facts(conn: sqlite3.Connection) -> tuple[int, int, int]:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    n_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return app_id, version, n_tables


class Database:
    """One open workspace file: the connection (guarded by a re-entrant lock, so one GUI thread
    and background workers can share it) and, for a writer, the lock file."""

    def __init__(self, path: Path, readonly: bool, busy_timeout_s: float):
        self.path = path
        self.readonly = readonly
        self.busy_timeout_s = busy_timeout_s
        self._conn: sqlite3.Connection | None = None
        self._lock: WorkspaceLock | None = None
        self.mutex = threading.RLock()
        self.backup_path: Path | None = None  # written before a migration on this open
        self.recovered_lock: dict | None = None  # stale lock taken over on this open

    # -- opening / closing -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, readonly: bool, create: bool,
             busy_timeout_s: float) -> Database:
        p = Path(path).expanduser()
        if not p.exists():
            if not create or readonly:
                raise WorkspaceNotFound(f"No workspace at {p}.", path=str(p))
            if p.suffix != SUFFIX:
                p = p.with_name(p.name + SUFFIX)
            if not p.parent.is_dir():
                raise WorkspaceNotFound(f"Cannot create {p.name}: the folder {p.parent} does not "
                                        "exist.", path=str(p))
        db = cls(p.absolute(), readonly, busy_timeout_s)
        try:
            db._open(create)
        except BaseException:
            db._abort_open()
            raise
        return db

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
            app_id, version, n_tables = _header_facts(conn)
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
                app_id, version, n_tables = _header_facts(conn)
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
            with self.write("create the workspace"):
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
        with self.mutex:
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

    # -- transactions ------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise WorkspaceError("The workspace is closed.", path=str(self.path))
        return self._conn

    def require_writable(self, doing: str) -> None:
        if self.readonly:
            raise WorkspaceReadOnly(f"Cannot {doing}: {self.path.name} is open read-only.",
                                    path=str(self.path))

    @contextmanager
    def write(self, doing: str) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction; any failure rolls back and becomes a WorkspaceError."""
        with self.mutex:
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

    def read(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.mutex:
            try:
                return self.conn.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise translate_sqlite_error(exc, self.path, "read the workspace") from exc

    def integrity_check(self) -> list[str]:
        return [r[0] for r in self.read("PRAGMA integrity_check")]
