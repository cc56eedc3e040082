"""SQLite workspace (no Qt): import batches, settings, commitment edits, actions, undo/redo.

See docs/workspace.md for the file format and its guarantees.
"""

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

__all__ = [
    "ACTION_STATUSES", "SUFFIX", "Action", "BatchRecord", "DiskFull", "DuplicateImport",
    "NotAWorkspace", "OverlapRefused", "ResolutionReport", "Workspace", "WorkspaceBusy", "WorkspaceCorrupt",
    "WorkspaceError", "WorkspaceLocked", "WorkspaceNotFound", "WorkspaceReadOnly",
    "WorkspaceTooNew", "create_demo_workspace", "is_sample_data",
]
