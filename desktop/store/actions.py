"""The actions checklist of a workspace: persistence of desktop.domain.actions.Action.

The rules (what a sync with the reporting analysis changes, what a person's change does) are
in the domain (``reconcile``, ``person_change``); this module reads and writes the ``actions``
table, keeps the checklist's data date (``meta.actions_as_of``) and the stamp of the inputs it
was last synced with (``meta.actions_stamp``), and puts a person's changes on the undo stack.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from desktop.domain.actions import (
    ACTION_STATUSES,
    CLEAR_DUE,
    Action,
    ResolutionReport,
    person_change,
    reconcile,
    resolution_report,
)
from desktop.domain.errors import InputError
from desktop.domain.results import Finding
from desktop.domain.tables import FIRST_YEAR, LAST_YEAR
from desktop.domain.validation import YEARS
from desktop.store.db import Database
from desktop.store.edits import UndoStack
from desktop.store.records import Edit, date_or_none, iso_or_none, to_date

_COLS = ("key, kind, severity, title, owner, due, status, notes, opened_at, resolved_at, detail, "
         "resolution, resolution_reason, last_seen, ref, assigned_owner, at_stake, stake_kind, assigned_due")
_ORDER = (" ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 WHEN 'low' THEN 2 "
          "ELSE 3 END, due IS NULL, due, key")
# what a person's change (and its undo) writes back
_PERSON = ("status", "notes", "assigned_owner", "assigned_due", "resolution", "resolved_at",
           "resolution_reason")


def _from_row(r: tuple) -> Action:
    return Action(key=r[0], kind=r[1], severity=r[2], title=r[3], finding_owner=r[4],
                  due=None, finding_due=date_or_none(r[5]), status=r[6], notes=r[7], opened_at=date_or_none(r[8]),
                  resolved_at=date_or_none(r[9]), detail=r[10], resolution=r[11],
                  resolution_reason=r[12] or "", last_seen=date_or_none(r[13]),
                  ref=json.loads(r[14]) if r[14] else {}, assigned_owner=r[15],
                  at_stake=Decimal(r[16] or "0.00"), stake_kind=r[17] or "",
                  assigned_due=date_or_none(r[18]))


def _row(a: Action) -> tuple:
    return (a.key, a.kind, a.severity, a.title, a.finding_owner, iso_or_none(a.finding_due), a.status, a.notes,
            iso_or_none(a.opened_at), iso_or_none(a.resolved_at), a.detail, a.resolution,
            a.resolution_reason, iso_or_none(a.last_seen),
            json.dumps(a.ref, sort_keys=True, default=str) if a.ref else None, a.assigned_owner,
            f"{a.at_stake:.2f}", a.stake_kind, iso_or_none(a.assigned_due))


def _person_state(a: Action) -> dict:
    return {"status": a.status, "notes": a.notes, "assigned_owner": a.assigned_owner,
            "assigned_due": iso_or_none(a.assigned_due), "resolution": a.resolution, "resolved_at": iso_or_none(a.resolved_at),
            "resolution_reason": a.resolution_reason}


def _due_value(due: Any) -> _dt.date | str | None:
    """A due date as a person gave it: None (unchanged), '' or CLEAR_DUE (back to the finding's),
    or a date (an ISO text is read; anything else is refused with the rule's words)."""
    if due is None:
        return None
    if isinstance(due, str) and due.strip() in ("", CLEAR_DUE):
        return CLEAR_DUE
    if isinstance(due, _dt.datetime):
        return due.date()
    if isinstance(due, _dt.date):
        day = due
    else:
        try:
            day = to_date(due)
        except (TypeError, ValueError):
            raise InputError(f"not a due date: {due!r} (YYYY-MM-DD)", column="due") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise InputError(f"due date {YEARS}", column="due")
    return day


def _set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                 "value = excluded.value", (key, value))


class ActionStore:
    def __init__(self, db: Database, undo: UndoStack):
        self._db = db
        self._undo = undo
        undo.register("action", self._apply_state)
        undo.register("actions", lambda conn, keys, states: [self._apply_state(conn, k, states[k]) for k in keys])

    # -- reading -----------------------------------------------------------------------------

    def all(self, status: str | tuple[str, ...] | None = None) -> list[Action]:
        """Actions ordered: severity (high, medium, low), due date (none last), key. ``status``
        filters on the person's status."""
        sql = f"SELECT {_COLS} FROM actions"
        params: tuple = ()
        if status is not None:
            statuses = (status,) if isinstance(status, str) else tuple(status)
            for s in statuses:
                if s not in ACTION_STATUSES:
                    raise InputError(f"unknown action status {s!r}; one of {', '.join(ACTION_STATUSES)}",
                                     column="status")
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            params = statuses
        return [_from_row(r) for r in self._db.read(sql + _ORDER, params)]

    def get(self, key: str) -> Action | None:
        rows = self._db.read(f"SELECT {_COLS} FROM actions WHERE key = ?", (key,))
        return _from_row(rows[0]) if rows else None

    def checklist_date(self) -> _dt.date | None:
        """The data date of the checklist: the latest reporting as-of date it was synced with."""
        rows = self._db.read("SELECT value FROM meta WHERE key = 'actions_as_of'")
        return date_or_none(rows[0][0]) if rows else None

    def stamp(self) -> str | None:
        """The inputs stamp (``inputs_stamp``) of the last sync."""
        rows = self._db.read("SELECT value FROM meta WHERE key = 'actions_stamp'")
        return rows[0][0] if rows else None

    def inputs_stamp(self, reporting_as_of: _dt.date | None) -> str:
        """What the reporting analysis depends on: the import batches, the commitment edits, the
        settings and the reporting as-of date (None: the latest usage date, which the batches
        decide). Equal stamps, equal reporting analysis."""
        h = hashlib.sha256()
        for part in (
            self._db.read("SELECT id, content_hash FROM batches ORDER BY seq"),
            self._db.read("SELECT contract_id, period_start, changes FROM commitment_edits ORDER BY 1, 2"),
            self._db.read("SELECT contract_id, periods FROM schedule_overrides ORDER BY 1"),
            self._db.read("SELECT data FROM settings"),
            [iso_or_none(reporting_as_of)],
        ):
            h.update(json.dumps(part, default=str).encode())
            h.update(b"\x00")
        return h.hexdigest()

    def report(self) -> ResolutionReport:
        return resolution_report(self.all())

    # -- the app's writes --------------------------------------------------------------------

    def sync(self, findings: Iterable[Finding], as_of: _dt.date,
             why: Callable[[str], str] | None = None, *, stamp: str | None = None) -> None:
        """Bring the checklist up to the reporting analysis at ``as_of`` (domain ``reconcile``)."""
        self._db.require_writable("update the actions checklist")
        as_of = to_date(as_of)
        with self._db.write("update the actions checklist") as conn:
            existing = {a.key: a for a in (_from_row(r) for r in conn.execute(f"SELECT {_COLS} FROM actions"))}
            rows = conn.execute("SELECT value FROM meta WHERE key = 'actions_as_of'").fetchone()
            changed, day = reconcile(existing, findings, as_of, date_or_none(rows[0]) if rows else None, why)
            for a in changed:
                conn.execute(
                    f"INSERT INTO actions({_COLS}) VALUES ({','.join('?' * len(_COLS.split(', ')))}) ON CONFLICT(key) DO UPDATE SET "
                    + ", ".join(f"{c} = excluded.{c}" for c in _COLS.split(", ")[1:]), _row(a))
            if day is not None:
                _set_meta(conn, "actions_as_of", day.isoformat())
            if stamp is not None:
                _set_meta(conn, "actions_stamp", stamp)

    # -- a person's writes -------------------------------------------------------------------

    def set(self, key: str, status: str | None = None, notes: str | None = None,
            owner: str | None = None, due: Any = None) -> Action:
        """A person's change (undoable): status, notes, assigned owner ('' clears it), due date
        (a date; '' or CLEAR_DUE gives it back to the finding). Closing resolves the action on
        the checklist's data date (domain ``person_change``)."""
        self.set_many([key], status=status, notes=notes, owner=owner, due=due)
        return self.get(key)  # type: ignore[return-value]

    def set_many(self, keys: Iterable[str], status: str | None = None, notes: str | None = None,
                 owner: str | None = None, due: Any = None) -> int:
        """The same person's change of several actions (a bulk edit of a selection): one
        transaction, one undo step. Returns how many actions changed."""
        self._db.require_writable("change the action")
        keys = list(dict.fromkeys(keys))
        if status is not None and status not in ACTION_STATUSES:
            raise InputError(f"unknown action status {status!r}; one of {', '.join(ACTION_STATUSES)}",
                             column="status")
        due = _due_value(due)
        day = self.checklist_date()
        before: dict[str, dict] = {}
        after: dict[str, dict] = {}
        for key in keys:
            a = self.get(key)
            if a is None:
                raise InputError(f"no action with key {key!r}", column="key")
            b = person_change(a, day, status=status, notes=notes, owner=owner, due=due)
            if b != a:
                before[key], after[key] = _person_state(a), _person_state(b)
        if not after:
            return 0
        with self._db.write("change the action") as conn:
            for key, state in after.items():
                self._store_state(conn, key, state)
        if len(after) == 1:
            key = next(iter(after))
            self._undo.push(Edit(f"change action {key}", "action", key, before[key], after[key]))
        else:
            self._undo.push(Edit(f"change {len(after)} actions", "actions", tuple(after), before, after))
        return len(after)

    @staticmethod
    def _store_state(conn: sqlite3.Connection, key: str, state: dict) -> None:
        conn.execute(f"UPDATE actions SET {', '.join(f'{c} = ?' for c in _PERSON)} WHERE key = ?",
                     (*(state[c] for c in _PERSON), key))

    def _apply_state(self, conn: sqlite3.Connection, key: str, state: dict) -> None:
        """Undo/redo of a person's change (the action may be gone since)."""
        if conn.execute("SELECT 1 FROM actions WHERE key = ?", (key,)).fetchone():
            self._store_state(conn, key, state)
