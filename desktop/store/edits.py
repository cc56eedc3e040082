"""What the analyst sets in a workspace, each change undoable within the session: settings,
commitment edits (an overlay on the imported commitment rows) and the as-of mode; and the undo /
redo stack those changes (and action changes) go through."""

from __future__ import annotations

import datetime as _dt
import json
import sqlite3
from collections.abc import Callable
from typing import Any

import pandas as pd

from desktop.domain import schedule, tables, validation
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.settings import Settings
from desktop.domain.vocabulary import AS_OF_MODES
from desktop.store.db import Database
from desktop.store.records import Edit, date_or_none, iso_or_none, now_iso, to_date
from desktop.store.validate import EDITABLE_COMMITMENT, validate_commitment_change, validate_settings

MAX_UNDO = 200

# how an undo/redo step writes a state back: (connection, edit key, state) -> None
Applier = Callable[[sqlite3.Connection, Any, Any], None]


class UndoStack:
    """The session's undo and redo steps. Each step is an Edit (target, key, before, after);
    undoing writes ``before`` back through the applier registered for its target, in one
    transaction."""

    def __init__(self, db: Database):
        self._db = db
        self._undo: list[Edit] = []
        self._redo: list[Edit] = []
        self._appliers: dict[str, Applier] = {}

    def register(self, target: str, applier: Applier) -> None:
        self._appliers[target] = applier

    def push(self, edit: Edit) -> None:
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

    def _step(self, verb: str, take: list[Edit], give: list[Edit]) -> str | None:
        """Write back the last edit of ``take`` (its before state to undo, its after state to
        redo) in one transaction, then move it onto ``give``; its label, or None."""
        self._db.require_writable(verb)
        if not take:
            return None
        edit = take[-1]
        state = edit.before if verb == "undo" else edit.after
        with self._db.write(f"{verb} '{edit.label}'") as conn:
            self._appliers[edit.target](conn, edit.key, state)
        give.append(take.pop())
        return edit.label

    def undo(self) -> str | None:
        """Undo the last edit; returns its label (None when there is nothing to undo)."""
        return self._step("undo", self._undo, self._redo)

    def redo(self) -> str | None:
        return self._step("redo", self._redo, self._undo)


def apply_commitment_edits(frame: pd.DataFrame, edits: list[tuple]) -> pd.DataFrame:
    """The commitment rows with each stored edit (contract_id, period_start ISO, changes JSON)
    written over the period it names; edits of periods no longer imported are ignored."""
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


def _stored(name: str, stored: Any) -> Any:
    """A validated cell value (validate_commitment_change: dates ISO) as a schedule holds it."""
    return _dt.date.fromisoformat(stored) if EDITABLE_COMMITMENT[name] == "date" and stored else stored


def _store_settings(conn: sqlite3.Connection, data: dict | None) -> None:
    if data is None:
        conn.execute("DELETE FROM settings WHERE id = 1")
    else:
        conn.execute("INSERT INTO settings(id, data) VALUES (1, ?) ON CONFLICT(id) DO UPDATE "
                     "SET data = excluded.data", (json.dumps(data, sort_keys=True),))


def _store_commitment_edit(conn: sqlite3.Connection, key: tuple[str, str], changes: dict | None) -> None:
    if changes is None:
        conn.execute("DELETE FROM commitment_edits WHERE contract_id = ? AND period_start = ?", key)
    else:
        conn.execute(
            "INSERT INTO commitment_edits(contract_id, period_start, changes, edited_at) "
            "VALUES (?,?,?,?) ON CONFLICT(contract_id, period_start) DO UPDATE SET "
            "changes = excluded.changes, edited_at = excluded.edited_at",
            (*key, json.dumps(changes, sort_keys=True), now_iso()))


def _schedule_json(periods: list[dict] | None) -> str | None:
    """A schedule as stored: dates ISO, money micros, the rest as is."""
    if periods is None:
        return None
    return json.dumps([{k: (v.isoformat() if isinstance(v, _dt.date) else v) for k, v in p.items()}
                       for p in periods], sort_keys=True)


def _schedule_from_json(text: str) -> list[dict]:
    out = []
    for p in json.loads(text):
        out.append({k: (_dt.date.fromisoformat(v) if k in ("period_start", "period_end") and v else v)
                    for k, v in p.items()})
    return out


def _store_schedule(conn: sqlite3.Connection, contract_id: str, periods_json: str | None) -> None:
    if periods_json is None:
        conn.execute("DELETE FROM schedule_overrides WHERE contract_id = ?", (contract_id,))
    else:
        conn.execute("INSERT INTO schedule_overrides(contract_id, periods, edited_at) VALUES (?,?,?) "
                     "ON CONFLICT(contract_id) DO UPDATE SET periods = excluded.periods, "
                     "edited_at = excluded.edited_at", (contract_id, periods_json, now_iso()))


def _store_as_of(conn: sqlite3.Connection, state: dict) -> None:
    conn.execute("INSERT INTO meta(key, value) VALUES ('as_of_mode', ?) ON CONFLICT(key) "
                 "DO UPDATE SET value = excluded.value", (state["mode"],))
    if state["date"] is None:
        conn.execute("DELETE FROM meta WHERE key = 'as_of_date'")
    else:
        conn.execute("INSERT INTO meta(key, value) VALUES ('as_of_date', ?) ON CONFLICT(key) "
                     "DO UPDATE SET value = excluded.value", (state["date"],))


class Edits:
    """Settings, commitment edits and the as-of mode. ``commitments`` gives the current
    commitment rows (an edit must name an imported period): the commitment table alone, never
    the whole inputs (edits run on the GUI thread; the usage rollup is the recompute's work)."""

    def __init__(self, db: Database, undo: UndoStack, commitments: Callable[[], pd.DataFrame]):
        self._db = db
        self._undo = undo
        self._commitments = commitments
        undo.register("settings", lambda conn, _key, state: _store_settings(conn, state))
        undo.register("commitment", _store_commitment_edit)
        undo.register("as_of", lambda conn, _key, state: _store_as_of(conn, state))
        undo.register("schedule", _store_schedule)

    # -- settings ----------------------------------------------------------------------------

    def settings(self) -> Settings:
        rows = self._db.read("SELECT data FROM settings WHERE id = 1")
        if not rows:
            return Settings()
        return Settings.from_dict(json.loads(rows[0][0]))

    def set_settings(self, settings: Settings) -> None:
        self._db.require_writable("save the settings")
        validate_settings(settings)
        rows = self._db.read("SELECT data FROM settings WHERE id = 1")
        before = json.loads(rows[0][0]) if rows else None
        after = settings.to_dict()
        if before == after:
            return
        with self._db.write("save the settings") as conn:
            _store_settings(conn, after)
        self._undo.push(Edit("change settings", "settings", None, before, after))

    # -- commitments -------------------------------------------------------------------------

    def update_commitment(self, contract_id: str, period_start: Any, changes: dict[str, Any]) -> None:
        self._db.require_writable("edit the commitment")
        if not changes:
            return
        start = to_date(period_start)
        terms = {k: v for k, v in changes.items() if k in tables.CONTRACT_TERMS}
        if terms:  # the status and the offer terms are one per contract: set on every period
            clean_terms = {k: validate_commitment_change(k, v, start) for k, v in terms.items()}
            periods = self.schedule(contract_id)
            if not any(p["period_start"] == start for p in periods):
                raise InputError(f"no commit period of contract {contract_id!r} starts on {start}",
                                 column="period_start")
            periods = schedule.set_terms(periods, clean_terms)
            rest = {k: v for k, v in changes.items() if k not in terms}
            if rest:
                periods = schedule.change(periods, start, {
                    k: (validation.require("commitments", k, v) if k == "period_start" else
                        _stored(k, validate_commitment_change(k, v, start))) for k, v in rest.items()})
            self._set_schedule(contract_id, periods, f"edit {contract_id} {start}")
            return
        if "period_start" in changes or contract_id in self.schedule_overrides():
            # a period's first day is the key of a cell edit: moving it (or editing a schedule
            # set by hand) edits the contract's whole schedule
            clean = {}
            for k, v in changes.items():
                if k == "period_start":
                    clean[k] = validation.require("commitments", k, v)
                else:
                    stored = validate_commitment_change(k, v, start)
                    clean[k] = _dt.date.fromisoformat(stored) if EDITABLE_COMMITMENT[k] == "date" and stored \
                        else stored
            periods = self.schedule(contract_id)
            self._set_schedule(contract_id, schedule.change(periods, start, clean),
                               f"edit {contract_id} {start}")
            return
        commitments = self._commitments()
        mask = (commitments["contract_id"] == contract_id).fillna(False) & (
            commitments["period_start"].dt.date == start)
        if not mask.any():
            raise InputError(f"no commit period of contract {contract_id!r} starts on {start}",
                             column="period_start")
        clean = {k: validate_commitment_change(k, v, start) for k, v in changes.items()}
        key = (contract_id, start.isoformat())
        rows = self._db.read("SELECT changes FROM commitment_edits WHERE contract_id = ? AND "
                             "period_start = ?", key)
        before = json.loads(rows[0][0]) if rows else None
        after = dict(before or {})
        after.update(clean)
        if after == before:
            return
        if "period_end" in clean:  # a longer period must not run into the contract's next one
            edited = apply_commitment_edits(
                commitments, [(contract_id, key[1], json.dumps({"period_end": clean["period_end"]}))])
            for pos, message in validation.overlaps(edited["contract_id"], edited["period_start"],
                                                    edited["period_end"], edited["_row"].tolist(),
                                                    edited["_file"].astype("string").fillna("").tolist()):
                if edited["contract_id"].iloc[pos] == contract_id:
                    raise InputError(message, column="period_end")
        with self._db.write("save the commitment edit") as conn:
            _store_commitment_edit(conn, key, after)
        self._undo.push(Edit(f"edit {contract_id} {start}", "commitment", key, before, after))

    # -- the commit schedule of a contract, set by hand (domain desktop.domain.schedule) -------

    def schedule_overrides(self) -> dict[str, list[dict]]:
        """contract id -> the periods a person set (replacing that contract's imported periods)."""
        return {c: _schedule_from_json(p) for c, p in
                self._db.read("SELECT contract_id, periods FROM schedule_overrides ORDER BY 1")}

    def schedule(self, contract_id: str) -> list[dict]:
        """The periods of ``contract_id`` in force (imported with cell edits, or set by hand)."""
        over = self.schedule_overrides().get(contract_id)
        return over if over is not None else schedule.from_frame(self._commitments(), contract_id)

    def _set_schedule(self, contract_id: str, periods: list[dict] | None, label: str) -> None:
        """Store the schedule of ``contract_id`` (already checked by the domain), undoably; None
        goes back to the imported periods."""
        self._db.require_writable("edit the commit schedule")
        rows = self._db.read("SELECT periods FROM schedule_overrides WHERE contract_id = ?", (contract_id,))
        before = rows[0][0] if rows else None
        after = _schedule_json(periods)
        if before == after:
            return
        with self._db.write("save the commit schedule") as conn:
            _store_schedule(conn, contract_id, after)
        self._undo.push(Edit(label, "schedule", contract_id, before, after))

    def split_period(self, contract_id: str, period_start: Any, at: Any) -> None:
        start, day = to_date(period_start), validation.require("commitments", "period_start", at)
        self._set_schedule(contract_id, schedule.split(self._require(contract_id), start, day),
                           f"split {contract_id} {start} at {day}")

    def add_period(self, contract_id: str, period: dict[str, Any] | None = None) -> None:
        """Add a period: ``period`` (canonical values) or, None, the one after the last."""
        periods = self._require(contract_id)
        self._set_schedule(contract_id, schedule.add(periods, period), f"add a period to {contract_id}")

    def remove_period(self, contract_id: str, period_start: Any) -> None:
        start = to_date(period_start)
        self._set_schedule(contract_id, schedule.remove(self._require(contract_id), start),
                           f"remove {contract_id} {start}")

    def new_contract(self, contract_id: str, vendor: str, period_start: Any, period_end: Any,
                     commitment: Any, **terms: Any) -> str:
        """Create a contract with one period (validated); returns its id."""
        existing = set(self._commitments()["contract_id"].dropna().astype(str)) | set(self.schedule_overrides())
        periods = schedule.new_contract(contract_id, vendor, period_start, period_end, commitment,
                                        existing=existing, **terms)
        cid = periods[0]["contract_id"]
        self._set_schedule(cid, periods, f"create contract {cid}")
        return cid

    def set_contract_terms(self, contract_id: str, **terms: Any) -> None:
        """Set the status or offer terms of a whole contract (tables.CONTRACT_TERMS; one undo step).
        A person's hand only: nothing in the app changes a contract's status by itself."""
        periods = self._require(contract_id)
        clean = {k: validate_commitment_change(k, v, periods[0]["period_start"]) for k, v in terms.items()}
        label = (f"set {contract_id} {clean['status']}" if set(clean) == {"status"}
                 else f"edit the terms of {contract_id}")
        self._set_schedule(contract_id, schedule.set_terms(periods, clean), label)

    def revert_schedule(self, contract_id: str) -> None:
        """Back to the imported periods of ``contract_id`` (undoable)."""
        self._set_schedule(contract_id, None, f"restore the imported schedule of {contract_id}")

    def _require(self, contract_id: str) -> list[dict]:
        periods = self.schedule(contract_id)
        if not periods:
            raise InputError(f"no contract {contract_id!r}", column="contract_id")
        return periods

    def commitment_edits(self) -> dict[tuple[str, _dt.date], dict]:
        return {(c, _dt.date.fromisoformat(s)): json.loads(ch) for c, s, ch in self._db.read(
            "SELECT contract_id, period_start, changes FROM commitment_edits ORDER BY 1, 2")}

    def overlay(self, inputs: Inputs) -> Inputs:
        """``inputs`` with the stored commitment edits applied. The edited table is keyed by what
        it is made of (the imported table's key, the cell edits, the schedules set by hand), so a
        recompute tells an unchanged edited table without hashing its content."""
        state = self._stored_edits()
        frame = self.overlay_commitments(inputs.commitments, state)
        if frame is inputs.commitments:
            return inputs
        given = inputs.keys.get("commitments")
        key = None if given is None else ("edited", given, *state)
        return inputs.with_table("commitments", frame, key=key)

    def _stored_edits(self) -> tuple[tuple, tuple]:
        """(cell edits, schedules set by hand) as stored: rows of text, in key order."""
        return (tuple(tuple(r) for r in self._db.read(
                    "SELECT contract_id, period_start, changes FROM commitment_edits ORDER BY 1, 2")),
                tuple(tuple(r) for r in self._db.read(
                    "SELECT contract_id, periods FROM schedule_overrides ORDER BY 1")))

    def overlay_commitments(self, frame: pd.DataFrame, state: tuple[tuple, tuple] | None = None) -> pd.DataFrame:
        """The imported commitment rows ``frame`` with the stored cell edits and the schedules set
        by hand applied (``frame`` itself when there are none)."""
        edits, stored = state if state is not None else self._stored_edits()
        overrides = {c: _schedule_from_json(p) for c, p in stored}
        if edits and not frame.empty:
            frame = apply_commitment_edits(frame, list(edits))
        if overrides:
            kept = frame[~frame["contract_id"].isin(list(overrides)).fillna(False)] if not frame.empty else None
            parts = [schedule.to_frame(p) for p in overrides.values()]
            frame = pd.concat(([kept] if kept is not None and not kept.empty else []) + parts, ignore_index=True)
        return frame

    # -- as-of mode ---------------------------------------------------------------------------

    def as_of_mode(self) -> tuple[str, _dt.date | None]:
        rows = dict(self._db.read("SELECT key, value FROM meta WHERE key IN ('as_of_mode', 'as_of_date')"))
        mode = rows.get("as_of_mode", "latest_usage")
        return mode, date_or_none(rows.get("as_of_date"))

    def set_as_of_mode(self, mode: str, on: Any = None) -> None:
        self._db.require_writable("save the as-of date")
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
        with self._db.write("save the as-of date") as conn:
            _store_as_of(conn, after)
        self._undo.push(Edit("change the as-of date", "as_of", None, before, after))

    def resolve_as_of(self, today: _dt.date | None = None) -> _dt.date | None:
        mode, day = self.as_of_mode()
        if mode == "fixed":
            return day
        if mode == "today":
            return today or _dt.date.today()
        return None

