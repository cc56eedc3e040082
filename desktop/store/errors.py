"""Errors of the workspace store. Each message says what happened, to which file, and that the
previous state was kept; the CLI prints ``str(err)`` (exit status 2), the GUI shows it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from desktop.domain.errors import InputError


class WorkspaceError(InputError):
    """Base of every workspace problem an analyst can meet (never a bare traceback).

    A subclass of InputError so that the CLI (exit status 2) and the GUI (message box) show it
    like any other problem with the analyst's files; ``str(err)`` is the message alone.
    """

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(message)
        self.path = path


class WorkspaceNotFound(WorkspaceError):
    pass


class NotAWorkspace(WorkspaceError):
    pass


class WorkspaceCorrupt(WorkspaceError):
    pass


class WorkspaceTooNew(WorkspaceError):
    """Written by a newer CommitDesk: refused, and the file is not touched."""


class WorkspaceLocked(WorkspaceError):
    """Another CommitDesk (window or CLI) holds the workspace for writing."""

    def __init__(self, message: str, *, path: str | None = None, holder: dict | None = None):
        super().__init__(message, path=path)
        self.holder = holder or {}


class WorkspaceReadOnly(WorkspaceError):
    """Writing is impossible: opened read-only, or the file/folder is not writable."""


class WorkspaceBusy(WorkspaceError):
    """The database file is locked by another program for longer than the busy timeout."""


class DiskFull(WorkspaceError):
    pass


class DuplicateImport(WorkspaceError):
    """The same file content was imported before (same SHA-256)."""

    def __init__(self, message: str, *, path: str | None = None, batch_id: int | None = None):
        super().__init__(message, path=path)
        self.batch_id = batch_id


class OverlapRefused(DuplicateImport):
    """The file overlaps an earlier import of the same kind of data (vendor and days, or invoice
    ids) and the caller chose to refuse such a file (CLI ``--on-overlap refuse``, the default):
    nothing was imported. ``overlaps`` lists them (desktop.store.batches.Overlap)."""

    def __init__(self, message: str, *, path: str | None = None, overlaps: tuple = ()):
        super().__init__(message, path=path, batch_id=overlaps[0].batch_id if overlaps else None)
        self.overlaps = overlaps


# --- errors -----------------------------------------------------------------------------------

def translate_sqlite_error(exc: sqlite3.Error, path: Path, doing: str) -> WorkspaceError:
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    kept = "Nothing was changed; the workspace keeps its previous state."
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return DiskFull(f"Not enough disk space to {doing} in {path.name}. {kept} "
                        "Free some space and try again.", path=str(path))
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        return WorkspaceReadOnly(f"Cannot {doing}: {path.name} is not writable (permission denied "
                                 f"or read-only file system). {kept}", path=str(path))
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return WorkspaceBusy(f"Cannot {doing}: {path.name} is locked by another program "
                             f"(a database tool or backup?). {kept} Close it and try again.",
                             path=str(path))
    if name.startswith("SQLITE_PERM") or name.startswith("SQLITE_CANTOPEN") or name.startswith(
            "SQLITE_AUTH"):
        return WorkspaceReadOnly(f"Cannot {doing}: permission denied on {path.name} or its "
                                 f"folder. {kept}", path=str(path))
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return WorkspaceCorrupt(f"{path.name} is damaged ({text}). {kept}", path=str(path))
    if name.startswith("SQLITE_IOERR"):
        return WorkspaceError(f"Cannot {doing}: the disk reported an error writing {path.name} "
                              f"({text}). {kept}", path=str(path))
    return WorkspaceError(f"Cannot {doing} in {path.name}: {text}. {kept}", path=str(path))

