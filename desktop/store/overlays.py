"""The analyst's forecast overlays of the renewal workbench (a workload launch, a model migration,
a vendor price change), kept in the workspace and undoable like every other edit.

Stored as one JSON list under the meta key ``renewal_overlays`` (no schema change): each entry
is the record of ``desktop.domain.overlays`` (``kind``, ``vendor``, its dates and amounts as
text, a stable ``id``). Every change writes the whole list in one transaction and pushes one
undo step (target ``overlays``) whose before/after are the lists.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

from desktop.domain import overlays as domain
from desktop.store.db import Database
from desktop.store.records import Edit

META_KEY = "renewal_overlays"


def _store(conn: sqlite3.Connection, records: list[dict] | None) -> None:
    if not records:
        conn.execute("DELETE FROM meta WHERE key = ?", (META_KEY,))
    else:
        conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                     (META_KEY, json.dumps(records, sort_keys=True)))


class Overlays:
    """Read and change the stored overlays (each change one undo step)."""

    def __init__(self, db: Database, undo) -> None:
        self._db = db
        self._undo = undo
        undo.register("overlays", lambda conn, _key, state: _store(conn, state))

    def all(self, vendor: str | None = None) -> list[dict]:
        """The stored records in the order they were added; ``vendor``: only that vendor's
        (matched as the analysis matches vendor names)."""
        rows = self._db.read("SELECT value FROM meta WHERE key = ?", (META_KEY,))
        records = json.loads(rows[0][0]) if rows else []
        if vendor is None:
            return records
        return [r for r in records if domain.same_vendor(r.get("vendor"), vendor)]

    def _write(self, after: list[dict], label: str) -> None:
        before = self.all()
        if before == after:
            return
        with self._db.write(label) as conn:
            _store(conn, after)
        self._undo.push(Edit(label, "overlays", None, before or None, after or None))

    def add(self, record: dict) -> dict:
        """Validate ``record`` (desktop.domain.overlays.clean: InputError when not valid), give it
        an id and store it; returns the stored record."""
        self._db.require_writable("add the overlay")
        clean = domain.clean(record)
        clean["id"] = uuid.uuid4().hex[:12]
        self._write([*self.all(), clean], f"add the overlay {domain.describe(clean)}")
        return clean

    def remove(self, overlay_id: str) -> bool:
        """Remove the overlay with ``overlay_id``; False when there is none."""
        self._db.require_writable("remove the overlay")
        records = self.all()
        gone = [r for r in records if r.get("id") == overlay_id]
        if not gone:
            return False
        self._write([r for r in records if r.get("id") != overlay_id],
                    f"remove the overlay {domain.describe(gone[0])}")
        return True
