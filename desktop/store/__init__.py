"""SQLite workspace (no Qt): import batches, settings, commitment edits, actions, undo/redo.

See docs/workspace.md for the file format and its guarantees.

The names below are loaded on first use (PEP 562): ``from desktop.store import Workspace`` works
as always, while ``desktop.store.figures`` (the last figures, read before a window's first paint)
and ``desktop.store.errors`` can be imported without the workspace's frames and pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "create_demo_workspace": "desktop.store.demo", "is_sample_data": "desktop.store.demo",
    "DiskFull": "desktop.store.errors", "DuplicateImport": "desktop.store.errors",
    "NotAWorkspace": "desktop.store.errors", "OverlapRefused": "desktop.store.errors",
    "WorkspaceBusy": "desktop.store.errors", "WorkspaceCorrupt": "desktop.store.errors",
    "WorkspaceError": "desktop.store.errors", "WorkspaceLocked": "desktop.store.errors",
    "WorkspaceNotFound": "desktop.store.errors", "WorkspaceReadOnly": "desktop.store.errors",
    "WorkspaceTooNew": "desktop.store.errors",
    "ACTION_STATUSES": "desktop.store.workspace", "SUFFIX": "desktop.store.workspace",
    "Action": "desktop.store.workspace", "BatchRecord": "desktop.store.workspace",
    "ResolutionReport": "desktop.store.workspace", "Workspace": "desktop.store.workspace",
}

__all__ = [
    "ACTION_STATUSES", "SUFFIX", "Action", "BatchRecord", "DiskFull", "DuplicateImport",
    "NotAWorkspace", "OverlapRefused", "ResolutionReport", "Workspace", "WorkspaceBusy", "WorkspaceCorrupt",
    "WorkspaceError", "WorkspaceLocked", "WorkspaceNotFound", "WorkspaceReadOnly",
    "WorkspaceTooNew", "create_demo_workspace", "is_sample_data",
]

if TYPE_CHECKING:
    from desktop.store.demo import create_demo_workspace, is_sample_data
    from desktop.store.errors import (
        DiskFull,
        DuplicateImport,
        NotAWorkspace,
        OverlapRefused,
        WorkspaceBusy,
        WorkspaceCorrupt,
        WorkspaceError,
        WorkspaceLocked,
        WorkspaceNotFound,
        WorkspaceReadOnly,
        WorkspaceTooNew,
    )
    from desktop.store.workspace import (
        ACTION_STATUSES,
        SUFFIX,
        Action,
        BatchRecord,
        ResolutionReport,
        Workspace,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'desktop.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
