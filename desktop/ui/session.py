"""The open workspace as the GUI sees it: the current Analysis, analyst edits (all undoable in
the workspace) and the background runs that recompute.

Pages are handed the session; they read ``session.analysis`` and listen to
``analysisChanged`` / ``actionsChanged``; they change things only through the session, which
writes to the workspace and recomputes in the background.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop.domain.actions import Action
from desktop.domain.analysis import AnalysisCache
from desktop.domain.errors import InputError
from desktop.domain.progress import sub
from desktop.store import Workspace, WorkspaceError
from desktop.ui.workers import TaskRunner
from desktop.workspace_analysis import analyse_workspace, sync_checklist

log = logging.getLogger(__name__)


class Session(QObject):
    analysisChanged = Signal(object)
    actionsChanged = Signal()
    navigateRequested = Signal(str, dict)
    message = Signal(str)  # a line for the status bar
    failed = Signal(object)  # an exception to show in the error dialog
    undoChanged = Signal()
    runnerAdded = Signal(object)

    def __init__(self, workspace: Workspace, as_of: date | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.as_of = as_of  # None: the latest usage date
        self.analysis = None
        self._actions: list = []
        self.runners: list[TaskRunner] = []
        self.analysis_runner = TaskRunner("analysis", self)
        self.analysis_runner.finished.connect(self._analysis_done)
        self.analysis_runner.failed.connect(self._analysis_failed)
        self.register_runner(self.analysis_runner)
        self.computations = 0  # how many analyses landed (tests wait on it)
        # work a page needs after every analysis that is too slow for the GUI thread at 1M rows
        # (e.g. the usage table's columns); run in the worker, results in ``prepared``
        self.preparers: dict[str, Any] = {}
        self.prepared: dict[str, Any] = {}
        # what recomputes of this workspace reuse (prepared usage, daily series, unchanged results)
        self.cache = AnalysisCache()

    # --- runners ------------------------------------------------------------------------------
    def register_runner(self, runner: TaskRunner) -> None:
        self.runners.append(runner)
        self.runnerAdded.emit(runner)

    def unregister_runner(self, runner: TaskRunner) -> None:
        if runner in self.runners:
            self.runners.remove(runner)

    def shutdown(self) -> None:
        for r in self.runners:
            r.shutdown()

    def workspace_key(self) -> str:
        return str(self.workspace.path)

    # --- analysis -----------------------------------------------------------------------------
    def recompute(self) -> None:
        ws, as_of, cache = self.workspace, self.as_of, self.cache
        preparers = dict(self.preparers)

        def job(p):
            try:
                analysis = analyse_workspace(ws, as_of, progress=sub(p, 0.0, 0.85), cache=cache)
                explicit = as_of is not None
            except InputError:
                # a new, empty workspace has no date to take "latest usage" from: show it as of
                # today so the analyst sees the (empty) pages and can import
                if as_of is not None:
                    raise
                inputs = ws.inputs()
                if not (inputs.usage.empty and inputs.commitments.empty):
                    raise
                analysis = analyse_workspace(ws, date.today(), progress=sub(p, 0.0, 0.85), cache=cache)
                explicit = True
            sync_checklist(ws, analysis, as_of_given=explicit, cache=cache)
            prepared = {}
            for i, (name, fn) in enumerate(preparers.items()):
                p.step(0.85 + 0.15 * i / max(1, len(preparers)), "Preparing tables")
                prepared[name] = fn(analysis)
            return analysis, prepared

        self.analysis_runner.start(job, label="Computing figures")

    def set_as_of(self, as_of: date | None) -> None:
        if as_of != self.as_of:
            self.as_of = as_of
            self.recompute()

    def _analysis_done(self, payload) -> None:
        analysis, prepared = payload
        self.prepared = prepared
        self.analysis = analysis
        self.computations += 1
        self._actions = self._load_actions()
        self.analysisChanged.emit(analysis)
        self.actionsChanged.emit()
        self.undoChanged.emit()

    def _analysis_failed(self, exc) -> None:
        if isinstance(exc, InputError | WorkspaceError):
            self.message.emit(f"Figures not updated: {exc}")
        self.failed.emit(exc)

    # --- actions ------------------------------------------------------------------------------
    def _load_actions(self) -> list[Action]:
        try:
            return self.workspace.actions()
        except WorkspaceError as exc:
            self.failed.emit(exc)
            return []

    def actions(self) -> list[Action]:
        return list(self._actions)

    def checklist_date(self) -> date | None:
        """The data date the checklist follows (the latest reporting as-of date it was synced
        with); the As-of control beside it is a view."""
        try:
            return self.workspace.actions_as_of()
        except WorkspaceError:
            return None

    def set_action(self, key: str, status: str | None = None, notes: str | None = None,
                   owner: str | None = None) -> None:
        """A person's change of an action (status, notes, assigned owner)."""
        if self._guard(lambda: self.workspace.set_action(key, status=status, notes=notes, owner=owner)):
            self._actions = self._load_actions()
            self.actionsChanged.emit()
            self.undoChanged.emit()
            self.message.emit(f"Action updated: {key}")

    # --- edits (undoable in the workspace) ----------------------------------------------------
    def set_settings(self, settings) -> bool:
        ok = self._guard(lambda: self.workspace.set_settings(settings))
        if ok:
            self.message.emit("Settings changed; recomputing")
            self.undoChanged.emit()
            self.recompute()
        return ok

    def update_commitment(self, contract_id: str, period_start: date, **changes: Any) -> bool:
        ok = self._guard(lambda: self.workspace.update_commitment(contract_id, period_start, **changes))
        if ok:
            self.undoChanged.emit()
            self.recompute()
        return ok

    def undo(self) -> str | None:
        return self._undo_redo(self.workspace.undo, "Undone")

    def redo(self) -> str | None:
        return self._undo_redo(self.workspace.redo, "Redone")

    def _undo_redo(self, fn, verb: str) -> str | None:
        out: list = []
        if not self._guard(lambda: out.append(fn())):
            return None
        label = out[0] if out else None
        if label:
            self.message.emit(f"{verb}: {label}")
            self._actions = self._load_actions()
            self.actionsChanged.emit()
            self.recompute()
        self.undoChanged.emit()
        return label

    def _guard(self, fn) -> bool:
        try:
            fn()
        except (InputError, WorkspaceError) as exc:
            self.message.emit(str(exc))
            self.failed.emit(exc)
            return False
        return True

    # --- navigation / explain -----------------------------------------------------------------
    def navigate(self, page: str, ref: dict | None = None) -> None:
        self.navigateRequested.emit(page, dict(ref or {}))

    def explain(self, kind: str, key: Any, field: str, parent=None) -> None:
        from desktop.ui.dialogs.explain import ExplainDialog

        if self.analysis is None:
            return
        dlg = ExplainDialog(self.analysis, kind, key, field, session=self, parent=parent)
        dlg.show()
