"""Workspace schema, versioning and migrations (documented in docs/workspace.md).

* ``PRAGMA application_id`` = APPLICATION_ID marks a CommitDesk workspace.
* ``PRAGMA user_version`` = schema version. A file with a larger version than SCHEMA_VERSION
  was written by a newer CommitDesk and is refused without being modified.
* ``MIGRATIONS[v]`` upgrades version v to v+1 inside the same transaction as the version bump;
  before the first migration step a complete backup copy is written next to the workspace.
"""

from __future__ import annotations

import datetime as _dt
import sqlite3
from collections.abc import Callable
from pathlib import Path

APPLICATION_ID = 0x43444B31  # "CDK1"
SCHEMA_VERSION = 5
CREATE_VERSION = 1  # version of SCHEMA_V1 (new workspaces are then migrated up to SCHEMA_VERSION)

SCHEMA_V1 = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE batches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    seq          INTEGER NOT NULL,          -- import order; a replacing batch keeps the old place
    kind         TEXT NOT NULL,             -- canonical table: usage, invoices, commitments, ...
    file_name    TEXT NOT NULL,
    source_path  TEXT,
    content_hash TEXT NOT NULL,             -- SHA-256 of the file's bytes
    file_size    INTEGER NOT NULL,
    format       TEXT NOT NULL,             -- detected format, e.g. canonical-csv, focus-1.0
    profile_name TEXT,
    profile      TEXT,                      -- JSON mapping profile used, or NULL
    imported_at  TEXT NOT NULL,             -- ISO 8601 UTC
    report       TEXT NOT NULL,             -- JSON ImportReport
    row_count    INTEGER NOT NULL,
    chunk_count  INTEGER NOT NULL,
    columns      TEXT NOT NULL              -- JSON [[column, dtype], ...]
);
CREATE UNIQUE INDEX batches_hash ON batches(content_hash);
CREATE INDEX batches_seq ON batches(seq);
CREATE TABLE batch_chunks (
    batch_id INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    chunk    INTEGER NOT NULL,
    nrows    INTEGER NOT NULL,
    data     BLOB NOT NULL,                 -- Arrow IPC stream (zstd) of rows of the batch
    UNIQUE (batch_id, chunk)
);
CREATE TABLE usage_days (                   -- distinct (vendor, day) per usage batch
    batch_id   INTEGER NOT NULL REFERENCES batches(id) ON DELETE CASCADE,
    vendor_key TEXT NOT NULL,
    vendor     TEXT NOT NULL,
    day        TEXT NOT NULL,               -- YYYY-MM-DD
    PRIMARY KEY (vendor_key, day, batch_id)
);
CREATE INDEX usage_days_batch ON usage_days(batch_id);
CREATE TABLE settings (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL                      -- JSON Settings.to_dict()
);
CREATE TABLE commitment_edits (
    contract_id  TEXT NOT NULL,
    period_start TEXT NOT NULL,             -- YYYY-MM-DD
    changes      TEXT NOT NULL,             -- JSON {column: value}; money in micros
    edited_at    TEXT NOT NULL,
    PRIMARY KEY (contract_id, period_start)
);
CREATE TABLE profiles (
    name     TEXT PRIMARY KEY,
    data     TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE TABLE actions (
    key         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    title       TEXT NOT NULL,
    owner       TEXT,
    due         TEXT,
    status      TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'done', 'wont_fix')),
    notes       TEXT NOT NULL DEFAULT '',
    opened_at   TEXT NOT NULL,
    resolved_at TEXT,
    resolution  TEXT,                       -- 'resolved' (finding disappeared) | 'analyst'
    detail      TEXT NOT NULL DEFAULT '',
    ref         TEXT,                       -- JSON Finding.ref
    last_seen   TEXT
);
CREATE INDEX actions_status ON actions(status);
"""

Migration = Callable[[sqlite3.Connection], None]


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Actions keep what people set apart from what the data says (docs/domain.md "The actions
    checklist"): a resolution by data keeps the person's status and has a reason; a person can
    assign the owner. Schema 1 closed an action whose finding disappeared as status 'done',
    resolution 'resolved': it becomes resolution 'data' with status 'open' (the status a person
    had set before was not kept by schema 1). A person's closing date earlier than the opening
    is raised to it (schema 1 took the wall clock for it)."""
    conn.execute("ALTER TABLE actions ADD COLUMN resolution_reason TEXT NOT NULL DEFAULT ''")
    conn.execute("ALTER TABLE actions ADD COLUMN assigned_owner TEXT")
    conn.execute("UPDATE actions SET status = 'open', resolution = 'data', resolution_reason = "
                 "'resolved by data of ' || resolved_at || ': the finding was no longer produced "
                 "(reason not recorded before workspace schema 2)' WHERE resolution = 'resolved'")
    conn.execute("UPDATE actions SET resolved_at = opened_at WHERE resolution = 'analyst' "
                 "AND resolved_at < opened_at")


def _v2_to_v3(conn: sqlite3.Connection) -> None:
    """Each action keeps the money at stake of its finding as last seen (docs/domain.md "Money at
    stake"); actions of schema 2 get 0.00 until the next sync with the reporting analysis."""
    conn.execute("ALTER TABLE actions ADD COLUMN at_stake TEXT NOT NULL DEFAULT '0.00'")
    conn.execute("ALTER TABLE actions ADD COLUMN stake_kind TEXT NOT NULL DEFAULT ''")


def _v3_to_v4(conn: sqlite3.Connection) -> None:
    """A person can set an action's due date (``assigned_due``, winning over the finding's, which
    stays in ``due``), and the commit schedule of a contract can be set by hand (periods added,
    removed or split, contracts created: ``schedule_overrides``, one row per contract, which
    replaces the imported periods of that contract; docs/workspace.md)."""
    conn.execute("ALTER TABLE actions ADD COLUMN assigned_due TEXT")
    conn.execute("CREATE TABLE schedule_overrides (contract_id TEXT PRIMARY KEY, "
                 "periods TEXT NOT NULL, edited_at TEXT NOT NULL)")


def _v4_to_v5(conn: sqlite3.Connection) -> None:
    """Usage batches are stored as Parquet files (desktop/store/parquet.py): a chunk's ``sha256``
    is the SHA-256 of its Parquet bytes (what the cache DuckDB reads is checked against); NULL
    marks an Arrow IPC chunk (every other table, and usage imported before schema 5, which stays
    readable as it is). A build that knows only schema 4 refuses the file instead of failing on
    the Parquet chunks."""
    conn.execute("ALTER TABLE batch_chunks ADD COLUMN sha256 TEXT")


# MIGRATIONS[v] turns schema v into v + 1. Version 1 is the first released schema.
MIGRATIONS: dict[int, Migration] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4, 4: _v4_to_v5}


def create_schema(conn: sqlite3.Connection) -> None:
    """Inside an open transaction: tables, application_id, user_version (all or nothing)."""
    for statement in _statements(SCHEMA_V1):
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {CREATE_VERSION}")
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    conn.execute("INSERT INTO meta(key, value) VALUES ('created_at', ?)", (now,))
    conn.execute("INSERT INTO meta(key, value) VALUES ('created_schema', ?)", (str(CREATE_VERSION),))


def _statements(script: str) -> list[str]:
    out, buf = [], []
    for line in script.splitlines():
        code = line.split("--", 1)[0]
        buf.append(code)
        if code.rstrip().endswith(";"):
            stmt = "\n".join(buf).strip()
            if stmt and sqlite3.complete_statement(stmt):
                out.append(stmt)
                buf = []
    return out


def backup_path_for(path: Path, version: int) -> Path:
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return path.with_name(f"{path.stem}.schema{version}-backup-{stamp}{path.suffix}")


def backup_copy(conn: sqlite3.Connection, dest: Path) -> Path:
    """A complete, consistent copy of the database (SQLite online backup), fsynced."""
    import os

    target = sqlite3.connect(str(dest))
    try:
        conn.backup(target)
        target.execute("PRAGMA journal_mode = DELETE")
    finally:
        target.close()
    with open(dest, "rb") as fh:
        os.fsync(fh.fileno())
    return dest


def migrate(conn: sqlite3.Connection, path: Path, from_version: int,
            migrations: dict[int, Migration] | None = None,
            target: int | None = None, *, backup: bool = True) -> Path | None:
    """Upgrade from ``from_version`` to ``target`` (default SCHEMA_VERSION); backup first.

    Returns the backup path (None when nothing had to be done). The connection must be in
    autocommit mode and hold the workspace lock.
    """
    migrations = MIGRATIONS if migrations is None else migrations
    target = SCHEMA_VERSION if target is None else target
    if from_version >= target:
        return None
    missing = [v for v in range(from_version, target) if v not in migrations]
    if missing:
        raise RuntimeError(f"no migration from schema {missing[0]}")
    backup_file = backup_copy(conn, backup_path_for(path, from_version)) if backup else None
    conn.execute("BEGIN IMMEDIATE")
    try:
        for v in range(from_version, target):
            migrations[v](conn)
        conn.execute(f"PRAGMA user_version = {target}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return backup_file
