"""The last figures the app showed for a workspace, kept in it so the next start paints them at
once (marked as refreshing until the new analysis replaces them).

One small JSON value in the ``meta`` table under :data:`KEY` (no schema change): what the GUI
saved, as display text, with the time it was computed. It is a cache of what was on screen,
never an input: nothing computes from it, a workspace without it (or with one this version
cannot read) simply starts without, and a read-only workspace never gets one written.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

KEY = "last_figures"
MAX_BYTES = 1_000_000  # a saved value larger than this is not read back (it is a small cache)


def save_figures(ws, figures: dict[str, Any]) -> bool:
    """Keep ``figures`` (JSON-able) as the workspace's last figures; False when the workspace is
    read-only or the value cannot be written (the figures are only a cache: never an error)."""
    if ws.readonly:
        return False
    text = json.dumps(figures, separators=(",", ":"), ensure_ascii=False)
    if len(text) > MAX_BYTES:
        return False
    try:
        with ws._write("keep the last figures") as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                         "value = excluded.value", (KEY, text))
    except Exception:  # a full disk or a busy file: the next start paints nothing early, that is all
        return False
    return True


def load_figures(ws) -> dict[str, Any] | None:
    """The workspace's last figures, or None (never saved, unreadable)."""
    try:
        rows = ws._read("SELECT value FROM meta WHERE key = ?", (KEY,))
    except Exception:
        return None
    return _parse(rows[0][0]) if rows else None


def peek_figures(path: str | Path) -> dict[str, Any] | None:
    """The last figures of the workspace file at ``path`` without opening it as a workspace (no
    lock, no write, read-only SQLite): for a start-up that paints them before the store loads.
    None when the file has none or is not readable as a workspace."""
    p = Path(path)
    if not p.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{quote(str(p.absolute()))}?mode=ro", uri=True, timeout=0.2)
    except sqlite3.Error:
        return None
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (KEY,)).fetchone()
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return _parse(row[0]) if row else None


def _parse(text: str) -> dict[str, Any] | None:
    if not isinstance(text, str) or len(text) > MAX_BYTES:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
