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
* ``actions``: the actions checklist (the record and its rules are desktop.domain.actions).

Reading a workspace never writes to it: the analysis of a workspace is
``desktop.workspace_analysis.analyse_workspace``, and updating the checklist from an analysis
is the separate, explicit ``sync_checklist``.
"""

from __future__ import annotations

import datetime as _dt
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from desktop.domain import tables
from desktop.domain.actions import ACTION_STATUSES, Action, ResolutionReport
from desktop.domain.inputs import Inputs
from desktop.domain.progress import Progress
from desktop.domain.results import Finding, ImportReport
from desktop.domain.settings import Settings
from desktop.store.actions import ActionStore
from desktop.store.batches import Batches, file_sha256
from desktop.store.db import SUFFIX, Database
from desktop.store.edits import AS_OF_MODES, MAX_UNDO, Edits, UndoStack
from desktop.store.overlays import Overlays
from desktop.store.profiles import Profiles
from desktop.store.records import BatchRecord, Edit, report_from_json, report_to_json
from desktop.store.validate import validate_settings

__all__ = ["ACTION_STATUSES", "AS_OF_MODES", "MAX_UNDO", "SUFFIX", "Action", "BatchRecord", "ResolutionReport",
           "Workspace", "file_sha256", "report_from_json", "report_to_json", "validate_settings"]



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
        self._edits = Edits(db, self._undo_stack, self._commitments)
        self._batches = Batches(db, self._profiles, self._edits.settings)
        self._actions = ActionStore(db, self._undo_stack)
        self._overlays = Overlays(db, self._undo_stack)

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
                    refuse_rejected: bool = False, on_overlap: str = "keep") -> ImportReport:
        """Read ``path`` with desktop.ingest and store it as one batch (all or nothing).

        A file overlapping an earlier batch of the same kind of data (``overlaps``): ``on_overlap``
        "keep" stores it beside (with a warning), "replace" removes those batches in the same
        transaction, "refuse" raises OverlapRefused naming them (nothing stored).

        Same content as an earlier batch -> DuplicateImport, unless ``replace`` (the old batch is
        replaced in place, keeping its position in import order). The returned report carries
        a warning per other batch whose usage overlaps this one in vendor and days, and notes
        on rows without an FX rate (``with_import_notes``). A file the import rules refuse
        (desktop.domain.validation.import_refusal: a reference table with a rejected row, no
        row imported, or with ``refuse_rejected`` (strict) any rejected row) is not stored;
        InputError names its first rejected row.
        """
        return self._batches.import_file(path, kind, replace=replace, profile=profile,
                                         progress=progress, refuse_rejected=refuse_rejected,
                                         on_overlap=on_overlap)

    def import_stream(self, path: str | os.PathLike[str], *, replace: bool = False,
                      profile: dict | str | None = None, progress: Progress | None = None,
                      refuse_rejected: bool = False, on_overlap: str = "keep") -> ImportReport:
        """A big usage file (CSV or Parquet) imported in bounded memory, one transaction
        (desktop/store/batches.py ``Batches.import_stream``; ``import_file`` comes here by itself
        for a usage file too big to read whole)."""
        return self._batches.import_stream(path, replace=replace, profile=profile, progress=progress,
                                           refuse_rejected=refuse_rejected, on_overlap=on_overlap)

    @property
    def usage_rows(self):
        """The usage rows where they lie (desktop/store/usage_db.UsageRows): pages, counts and
        the source rows behind a rollup row, queried through DuckDB."""
        return self._batches.usage_rows

    def overlaps(self, result: Any, *, except_hash: str | None = None) -> list:
        """The earlier batches an ImportResult about to be stored overlaps (desktop.store.batches
        Overlap: usage of a vendor on the same days, invoices with the same ids)."""
        return self._batches.overlaps(result, except_hash=except_hash)

    def store_result(self, result: Any, src: str | os.PathLike[str], *,
                     content_hash: str | None = None, file_size: int | None = None,
                     replace: bool = False, profile_name: str | None = None,
                     profile: dict | None = None, progress: Progress | None = None,
                     strict: bool = False, supersede: Sequence[int] = (), name: str | None = None) -> ImportReport:
        """Store an ingest ImportResult (kind, frame, report) as one batch in one transaction;
        the batches in ``supersede`` (an answer to an overlap) are removed in that transaction.

        For an import dialog that has already read (previewed) the file: the content hash is
        computed from ``src`` unless given. A result the import rules refuse (see import_file)
        raises InputError.
        """
        return self._batches.store_result(result, src, content_hash=content_hash,
                                          file_size=file_size, replace=replace,
                                          profile_name=profile_name, profile=profile,
                                          progress=progress, strict=strict, supersede=supersede, name=name)

    def with_import_notes(self, result: Any) -> Any:
        """``result`` with notes on rows that have no FX rate in this workspace (for a preview)."""
        return self._batches.with_import_notes(result)

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

    def _commitments(self) -> pd.DataFrame:
        """The commitment rows in force (``inputs().commitments``) read from the commitment
        batches alone: an edit, a schedule or a new contract on the GUI thread never builds the
        whole inputs (the usage rollup, seconds at 1M rows, is the recompute worker's)."""
        with self._db.mutex:
            ids = [r[0] for r in self._db.read("SELECT id FROM batches WHERE kind = 'commitments' ORDER BY seq")]
            frames = [self._batches.frame(i) for i in ids]
            frame = (tables.empty("commitments") if not frames else
                     frames[0] if len(frames) == 1 else tables.concat(frames))
            return self._edits.overlay_commitments(frame)

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

    # the commit schedule set by hand (desktop.domain.schedule; each change validated, undoable)
    def schedule(self, contract_id: str) -> list[dict]:
        return self._edits.schedule(contract_id)

    def schedule_overrides(self) -> dict[str, list[dict]]:
        return self._edits.schedule_overrides()

    def split_period(self, contract_id: str, period_start: Any, at: Any) -> None:
        with self._db.mutex:
            self._edits.split_period(contract_id, period_start, at)

    def add_period(self, contract_id: str, period: dict[str, Any] | None = None) -> None:
        with self._db.mutex:
            self._edits.add_period(contract_id, period)

    def remove_period(self, contract_id: str, period_start: Any) -> None:
        with self._db.mutex:
            self._edits.remove_period(contract_id, period_start)

    def new_contract(self, contract_id: str, vendor: str, period_start: Any, period_end: Any,
                     commitment: Any, **terms: Any) -> str:
        with self._db.mutex:
            return self._edits.new_contract(contract_id, vendor, period_start, period_end, commitment, **terms)

    def revert_schedule(self, contract_id: str) -> None:
        with self._db.mutex:
            self._edits.revert_schedule(contract_id)

    def set_contract_terms(self, contract_id: str, **terms: Any) -> None:
        """A contract's status (active | proposed | expired) or offer terms, set by a person on
        every period (validated; one undo step)."""
        with self._db.mutex:
            self._edits.set_contract_terms(contract_id, **terms)

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

    # -- forecast overlays of the renewal workbench (desktop/store/overlays.py; undoable) -------

    def overlays(self, vendor: str | None = None) -> list[dict]:
        """The stored overlay records (desktop.domain.overlays), ``vendor``'s only when given."""
        return self._overlays.all(vendor)

    def add_overlay(self, record: dict) -> dict:
        with self._db.mutex:
            return self._overlays.add(record)

    def remove_overlay(self, overlay_id: str) -> bool:
        with self._db.mutex:
            return self._overlays.remove(overlay_id)

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

    # -- actions (desktop/store/actions.py) ---------------------------------------------------

    def actions(self, status: str | tuple[str, ...] | None = None) -> list[Action]:
        """Actions ordered: severity (high, medium, low), due date (none last), key."""
        return self._actions.all(status)

    def action(self, key: str) -> Action | None:
        return self._actions.get(key)

    def sync_actions(self, findings: tuple[Finding, ...] | list[Finding], as_of: _dt.date,
                     why: Callable[[str], str] | None = None, *, stamp: str | None = None) -> None:
        """Bring the checklist up to the reporting analysis at ``as_of`` (domain ``reconcile``)."""
        self._actions.sync(findings, as_of, why, stamp=stamp)

    def actions_as_of(self) -> _dt.date | None:
        """The checklist's data date: the latest reporting as-of date it was synced with."""
        return self._actions.checklist_date()

    def actions_stamp(self) -> str | None:
        return self._actions.stamp()

    def inputs_stamp(self, reporting_as_of: _dt.date | None) -> str:
        return self._actions.inputs_stamp(reporting_as_of)

    def set_action(self, key: str, status: str | None = None, notes: str | None = None, *,
                   owner: str | None = None, due: Any = None) -> Action:
        """A person's change of an action (undoable); see ActionStore.set."""
        return self._actions.set(key, status, notes, owner, due)

    def set_actions(self, keys: list[str], status: str | None = None, notes: str | None = None, *,
                    owner: str | None = None, due: Any = None) -> int:
        """The same change of several actions: one transaction, one undo step (ActionStore.set_many)."""
        return self._actions.set_many(keys, status, notes, owner, due)

    def resolution_times(self) -> ResolutionReport:
        return self._actions.report()
