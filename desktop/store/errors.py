"""Errors of the workspace store. Each message says what happened, to which file, and that the
previous state was kept; the CLI prints ``str(err)`` (exit status 2), the GUI shows it."""

from __future__ import annotations

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
