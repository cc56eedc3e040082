"""The workspace: one SQLite file (``*.commitdesk``) that holds an analyst's work.

Guarantees and layout are documented in docs/workspace.md. ``Workspace`` is a thin facade over
the parts of the store, each in its own module:

* ``db``: the file, its header checks, open/create/migrate, the writer lock and the one
  connection; every change is one SQLite transaction (WAL, ``synchronous=FULL``), so after a
  crash, power cut or SIGKILL a change is either entirely there or entirely absent; a failed
  write raises a WorkspaceError with a clear message and leaves the previous state intact;
* ``batches``: import batches (the file's rows as Arrow IPC chunks, its ImportReport, hash,
  format, mapping profile) written in one transaction; ``inputs()`` rebuilds the canonical
  frames exactly;
* ``edits``: settings, commitment edits, the as-of mode and the session's undo/redo;
* ``profiles``: saved column-mapping profiles;
* the actions checklist (below, in this module).

Reading a workspace never writes to it: the analysis of a workspace is
``desktop.workspace_analysis.analyse_workspace``, and updating the checklist from an analysis
is the separate, explicit ``sync_checklist``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sqlite3
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.progress import Progress
from desktop.domain.results import Finding, ImportReport
from desktop.domain.settings import Settings
from desktop.store.batches import Batches, file_sha256
from desktop.store.db import SUFFIX, Database
from desktop.store.edits import AS_OF_MODES, MAX_UNDO, Edits, UndoStack
from desktop.store.profiles import Profiles
from desktop.store.records import (
    Action,
    BatchRecord,
    Edit,
    ResolutionReport,
    date_or_none,
    iso_or_none,
    report_from_json,
    report_to_json,
    to_date,
)
from desktop.store.validate import validate_settings

__all__ = ["AS_OF_MODES", "MAX_UNDO", "SUFFIX", "Action", "BatchRecord", "ResolutionReport",
           "Workspace", "file_sha256", "report_from_json", "report_to_json", "validate_settings"]

ACTION_STATUSES = ("open", "in_progress", "done", "wont_fix")
CLOSED_STATUSES = ("done", "wont_fix")


class Workspace:
    """An open workspace. Use ``Workspace.open(path)``; it is a context manager.

    Thread-safe for use from one GUI thread and background workers (one connection guarded by a
    re-entrant lock).
    """

    busy_timeout_s: float = 5.0

    def __init__(self, db: Database):
        self._db = db
        self._profiles = Profiles(db)
        self._undo_stack = UndoStack(db)
        self._edits = Edits(db, self._undo_stack, lambda: self.inputs().commitments)
        self._batches = Batches(db, self._profiles, self._edits.settings)
        self._undo_stack.register("action", self._apply_action_state)

    # -- opening / closing -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, readonly: bool = False, create: bool = False,
             busy_timeout: float | None = None) -> Workspace:
        timeout = cls.busy_timeout_s if busy_timeout is None else busy_timeout
        return cls(Database.open(path, readonly=readonly, create=create, busy_timeout_s=timeout))

    @property
    def path(self) -> Path:
        return self._db.path

    @property
    def readonly(self) -> bool:
        return self._db.readonly

    @property
    def backup_path(self) -> Path | None:
        """The backup copy written before a migration on this open (None: no migration)."""
        return self._db.backup_path

    @property
    def recovered_lock(self) -> dict | None:
        """The stale lock of a dead writer taken over on this open."""
        return self._db.recovered_lock

    def close(self) -> None:
        with self._db.mutex:
            self._batches.clear_cache()
            self._db.close()

    @property
    def closed(self) -> bool:
        return self._db.closed

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.readonly else "read-write"
        return f"<Workspace {self.path} {mode}>"

    # -- transactions (the db's) -------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        return self._db.conn

    def _require_writable(self, doing: str) -> None:
        self._db.require_writable(doing)

    @contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        with self._db.write(doing) as conn:
            yield conn

    def _read(self, sql: str, params: tuple = ()) -> list[tuple]:
        return self._db.read(sql, params)

    def integrity_check(self) -> list[str]:
        return self._db.integrity_check()

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
        return self._batches.import_file(path, kind, replace=replace, profile=profile,
                                         progress=progress, refuse_rejected=refuse_rejected)

    def store_result(self, result: Any, src: str | os.PathLike[str], *,
                     content_hash: str | None = None, file_size: int | None = None,
                     replace: bool = False, profile_name: str | None = None,
                     profile: dict | None = None, progress: Progress | None = None) -> ImportReport:
        """Store an ingest ImportResult (kind, frame, report) as one batch in one transaction.

        For an import dialog that has already read (previewed) the file: the content hash is
        computed from ``src`` unless given.
        """
        return self._batches.store_result(result, src, content_hash=content_hash,
                                          file_size=file_size, replace=replace,
                                          profile_name=profile_name, profile=profile,
                                          progress=progress)

    def batches(self) -> list[BatchRecord]:
        return self._batches.records()

    def remove_batch(self, batch_id: int) -> None:
        self._batches.remove(batch_id)

    def batch_frame(self, batch_id: int) -> pd.DataFrame:
        return self._batches.frame(batch_id)

    def inputs(self, progress: Progress | None = None) -> Inputs:
        """The canonical frames of every batch in import order, with commitment edits applied."""
        with self._db.mutex:
            return self._edits.overlay(self._batches.inputs(progress))

    # -- settings, commitment edits, as-of mode ----------------------------------------------

    def settings(self) -> Settings:
        return self._edits.settings()

    def set_settings(self, settings: Settings) -> None:
        self._edits.set_settings(settings)

    def update_commitment(self, contract_id: str, period_start: Any, /, **changes: Any) -> None:
        """Edit one commit period (validated; undoable). Kept as an overlay on the imported rows."""
        self._edits.update_commitment(contract_id, period_start, changes)

    def commitment_edits(self) -> dict[tuple[str, _dt.date], dict]:
        return self._edits.commitment_edits()

    def as_of_mode(self) -> tuple[str, _dt.date | None]:
        """(mode, date): 'latest_usage' (T = the latest usage date; the default), 'today', or
        'fixed' with its date."""
        return self._edits.as_of_mode()

    def set_as_of_mode(self, mode: str, on: Any = None) -> None:
        """Undoable. ``on`` is required for 'fixed' and ignored otherwise."""
        self._edits.set_as_of_mode(mode, on)

    def resolve_as_of(self, today: _dt.date | None = None) -> _dt.date | None:
        """The as-of date the mode gives (None = let the analysis take the latest usage date)."""
        return self._edits.resolve_as_of(today)

    # -- mapping profiles --------------------------------------------------------------------

    def save_profile(self, name: str, profile: Any) -> None:
        """Save a mapping profile (a dict, or desktop.ingest.MappingProfile) under ``name``."""
        self._profiles.save(name, profile)

    def profiles(self) -> dict[str, dict]:
        return self._profiles.all()

    # -- undo / redo -------------------------------------------------------------------------

    def _push(self, edit: Edit) -> None:
        self._undo_stack.push(edit)

    @property
    def can_undo(self) -> bool:
        return self._undo_stack.can_undo

    @property
    def can_redo(self) -> bool:
        return self._undo_stack.can_redo

    @property
    def undo_label(self) -> str | None:
        return self._undo_stack.undo_label

    @property
    def redo_label(self) -> str | None:
        return self._undo_stack.redo_label

    def undo(self) -> str | None:
        """Undo the last analyst edit; returns its label (None when there is nothing to undo)."""
        return self._undo_stack.undo()

    def redo(self) -> str | None:
        return self._undo_stack.redo()

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

    def _apply_action_state(self, conn: sqlite3.Connection, key: str, state: dict) -> None:
        """Undo/redo of an action change (the action may be gone since)."""
        if conn.execute("SELECT 1 FROM actions WHERE key = ?", (key,)).fetchone():
            self._store_action_state(conn, key, state)
