"""The open workspace as the GUI sees it: the current Analysis, analyst edits (all undoable in
the workspace) and the background runs that recompute.

Pages are handed the session; they read ``session.analysis`` and listen to
``analysisChanged`` / ``actionsChanged``; they change things only through the session, which
writes to the workspace and recomputes in the background.

The session also owns whether the figures on screen are true (``stateChanged``):

* ``refreshing``: a recompute is running; the figures shown are from before ``refreshing_after``.
* ``stale_reason`` (with ``stale_hint``, what to do): the last recompute failed, so the figures
  shown (computed at ``computed_at``) no longer match the workspace. Kept until a recompute
  succeeds. With no figures at all (a workspace whose analysis fails from the start),
  ``unanalysed`` holds the imported data the pages can still show.

Pages and the main window only display this state; nothing else decides it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from desktop.domain.errors import InputError
from desktop.domain.progress import Cancelled, Progress, sub
from desktop.ui.workers import TaskRunner

if TYPE_CHECKING:  # the analysis and the store (pandas) load in the recompute's worker, not here
    from desktop.domain.actions import Action
    from desktop.domain.analysis import AnalysisCache
    from desktop.store import Workspace

log = logging.getLogger(__name__)
_CACHE_LOCK = threading.Lock()

# the page whose prepared figures are kept in the workspace (desktop.store.figures) for the next start
SAVED_FIGURES = "overview"
# the input tables a page can show as imported when no figures could be computed
UNANALYSED_TABLES = ("commitments", "usage", "invoices", "budgets")


def compute(ws: Workspace, as_of: date | None, progress: Progress, cache: AnalysisCache | None = None):
    """The analysis of the workspace as of ``as_of`` (None: its as-of mode), with the actions
    checklist synced to it. A new, empty workspace has no date to take "latest usage" from: it
    is shown as of today so the analyst sees the (empty) pages and can import."""
    from desktop.workspace_analysis import analyse_workspace, sync_checklist

    explicit = as_of is not None
    try:
        analysis = analyse_workspace(ws, as_of, progress=progress, cache=cache)
    except InputError:
        if as_of is not None:
            raise
        inputs = ws.inputs()
        if not (inputs.usage.empty and inputs.commitments.empty):
            raise
        analysis = analyse_workspace(ws, date.today(), progress=progress, cache=cache)
        explicit = True
    sync_checklist(ws, analysis, as_of_given=explicit, cache=cache)
    return analysis


class Opening:
    """Stands for the workspace while it opens in the background at start-up (desktop/app.py
    ``start_window(fast=True)``): its path, its mode and the last figures read from it without
    opening it (desktop.store.figures.peek_figures). The window paints those figures and lets
    nothing act on the workspace until ``Session.open_workspace`` has put the real one in place."""

    can_undo = can_redo = False
    undo_label = redo_label = None
    closed = False

    def __init__(self, path, readonly: bool = False, saved_figures: dict | None = None):
        from pathlib import Path

        self.path = Path(path).absolute()
        self.readonly = readonly
        self.saved_figures = saved_figures

    def batches(self) -> list:
        return []

    def actions(self) -> list:
        return []

    def close(self) -> None:
        """Nothing is open yet."""


@dataclass
class Unanalysed:
    """What a workspace holds when its figures cannot be computed: the import batches and the
    display columns of its input tables (built in the worker: a usage table can hold 1M rows)."""

    batches: list = field(default_factory=list)
    tables: dict[str, list] = field(default_factory=dict)  # table name -> list[Col]
    rows: dict[str, int] = field(default_factory=dict)  # table name -> row count


def unanalysed(ws: Workspace, progress: Progress) -> Unanalysed:
    from desktop.ui.widgets import frame_columns  # Qt widgets: only when needed

    inputs = ws.inputs(progress=sub(progress, 0.85, 0.95))
    out = Unanalysed(batches=ws.batches())
    for name in UNANALYSED_TABLES:
        frame = getattr(inputs, name)
        out.tables[name] = frame_columns(frame, name)
        out.rows[name] = len(frame)
    return out


@dataclass
class _Failed:
    """A recompute that did not produce figures (delivered as a result, not raised, so that the
    imported data can travel with it)."""

    exc: BaseException
    unanalysed: Unanalysed | None = None


class Session(QObject):
    analysisChanged = Signal(object)
    stateChanged = Signal()  # refreshing / stale_reason / unanalysed changed
    actionsChanged = Signal()
    navigateRequested = Signal(str, dict)
    message = Signal(str)  # a line for the status bar
    failed = Signal(object)  # an exception to show in the error dialog
    undoChanged = Signal()
    runnerAdded = Signal(object)
    workspaceOpened = Signal()  # the workspace opened in the background is in place (start-up)
    openFailed = Signal(object)  # ... or could not be opened: the exception
    clearFiltersRequested = Signal()  # every page drops its filters (Edit > Clear filters on every page)

    def __init__(self, workspace: Workspace, as_of: date | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.workspace = workspace
        self.as_of = as_of  # None: the latest usage date
        self.analysis = None
        self._actions: list = []
        self.runners: list[TaskRunner] = []
        self.analysis_runner = TaskRunner("analysis", self)
        self.analysis_runner.finished.connect(self._analysis_done)
        self.analysis_runner.failed.connect(lambda exc: self._analysis_done(_Failed(exc)))
        self.analysis_runner.cancelled.connect(self._analysis_cancelled)
        self.register_runner(self.analysis_runner)
        self.computations = 0  # how many analyses landed (tests wait on it)
        # work a page needs after every analysis that is too slow for the GUI thread at 1M rows
        # (e.g. the usage table's columns); run in the worker, results in ``prepared``
        self.preparers: dict[str, Any] = {}
        self.prepared: dict[str, Any] = {}
        # page key -> whether its preparer runs with the next recompute (pages: while shown); a
        # preparer without a gate always runs (the Overview's: its figures are kept for the next start)
        self.preparer_gates: dict[str, Any] = {}
        # what recomputes of this workspace reuse (prepared usage, daily series, unchanged results)
        self._cache: AnalysisCache | None = None
        # whether the figures on screen are true (see the module docstring)
        self.refreshing = False
        self.refreshing_after: str | None = None  # what the running recompute brings in
        self.stale_reason: str | None = None
        self.stale_hint = ""
        self.stale_source: tuple[str, int] | None = None  # (file, row) the failure names, if any
        self.stale_after: str | None = None  # the change the figures on screen do not include
        self.stale_since = ""  # what happened since they were computed (the brief's words)
        self.stale_undoable = False  # the failed change was an edit that Undo takes back
        self.computed_at: datetime | None = None  # when the figures on screen were computed
        self.unanalysed: Unanalysed | None = None
        # the last figures saved in the workspace (the Overview's, as display text): painted at
        # start-up, marked as refreshing, until this run's first analysis lands (then dropped)
        self.saved_figures: dict | None = None
        self.open_runner: TaskRunner | None = None
        if isinstance(workspace, Opening):
            self.saved_figures = workspace.saved_figures
            self.refreshing = True  # the figures shown are the last ones: they are being refreshed
        else:
            from desktop.store.figures import load_figures

            self.saved_figures = load_figures(workspace)
            self._actions = self._load_actions()  # the checklist's tile shows before the figures land

    @property
    def cache(self) -> AnalysisCache:
        """What recomputes of this workspace reuse (made on first use: the analysis module, and
        pandas with it, load in the first recompute's worker, not before the window shows)."""
        with _CACHE_LOCK:  # the first recompute's worker makes it; a cancelled one may overlap
            if self._cache is None:
                from desktop.domain.analysis import AnalysisCache

                self._cache = AnalysisCache()
        return self._cache

    @property
    def opening(self) -> bool:
        """The workspace is still being opened in the background (start-up)."""
        return isinstance(self.workspace, Opening)

    def open_workspace(self, opener) -> None:
        """Open the workspace in the background: ``opener(progress)`` returns it (the store, and
        pandas with it, load in the worker while the window paints the last figures). Once in
        place the session says so (``workspaceOpened``), loads the checklist and recomputes; a
        failure is handed back (``openFailed``), the window decides what to show."""
        if self.open_runner is None:
            self.open_runner = TaskRunner("open", self)
            self.open_runner.finished.connect(self._opened)
            self.open_runner.failed.connect(self.openFailed.emit)
            self.register_runner(self.open_runner)
        self.open_runner.start(opener, label="Opening the workspace")

    def _opened(self, workspace) -> None:
        self.workspace = workspace
        self._actions = self._load_actions()
        self.workspaceOpened.emit()
        self.actionsChanged.emit()
        self.undoChanged.emit()
        self.recompute()

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
    def recompute(self, after: str | None = None) -> None:
        """Recompute in the background. ``after``: the change it brings in, in words ("the edit
        of OAI-2026-RAMP 2026-04-01", "importing usage.csv"), for the banner and the brief."""
        ws, as_of = self.workspace, self.as_of
        preparers = {k: fn for k, fn in self.preparers.items()
                     if k == SAVED_FIGURES or _open(self.preparer_gates.get(k, _always))}
        bring_inputs = self.analysis is None

        def job(p):
            try:
                analysis = compute(ws, as_of, sub(p, 0.0, 0.85), cache=self.cache)
            except Cancelled:
                raise
            except Exception as exc:  # every failure becomes the banner's reason
                if not isinstance(exc, InputError):
                    log.error("recompute failed", exc_info=exc)
                shown = None
                if bring_inputs:  # nothing on screen yet: show the data without figures
                    try:
                        shown = unanalysed(ws, p)
                    except Exception:  # the reason of the failure is what matters
                        log.warning("cannot read the inputs to show them", exc_info=True)
                return _Failed(exc, shown)
            prepared = {}
            for i, (name, fn) in enumerate(preparers.items()):
                p.step(0.85 + 0.15 * i / max(1, len(preparers)), "Preparing tables")
                prepared[name] = fn(analysis)
            if SAVED_FIGURES in prepared:  # what the next start paints at once
                from desktop.store import is_sample_data
                from desktop.store.figures import save_figures

                save_figures(ws, {**prepared[SAVED_FIGURES], "sample_data": is_sample_data(ws),
                                  "computed_at": datetime.now().isoformat(timespec="seconds")})
            return analysis, prepared

        self.refreshing = True
        self.refreshing_after = after if after is not None else (self.refreshing_after if self.refreshing
                                                                 else None)
        self.analysis_runner.start(job, label="Computing figures")
        self.stateChanged.emit()

    def set_as_of(self, as_of: date | None) -> None:
        if as_of != self.as_of:
            self.as_of = as_of
            self.recompute(f"moving As of to {as_of.isoformat()}" if as_of is not None
                           else "moving As of to the latest usage date")

    @property
    def figures_state(self) -> str:
        """'refreshing', 'stale', 'current', or 'none' (nothing computed yet, nothing failed)."""
        if self.refreshing:
            return "refreshing"
        if self.stale_reason is not None:
            return "stale"
        return "current" if self.analysis is not None else "none"

    def _analysis_done(self, payload) -> None:
        if isinstance(payload, _Failed):
            self._analysis_failed(payload)
            return
        analysis, prepared = payload
        self.prepared = prepared
        self.analysis = analysis
        self.saved_figures = None
        self.computations += 1
        self.computed_at = datetime.now()
        self.refreshing = False
        self.refreshing_after = None
        self.stale_reason = None
        self.stale_hint = ""
        self.stale_source = None
        self.stale_after = None
        self.stale_since = ""
        self.stale_undoable = False
        self.unanalysed = None
        self._actions = self._load_actions()
        self.analysisChanged.emit(analysis)
        self.actionsChanged.emit()
        self.undoChanged.emit()
        self.stateChanged.emit()

    def _analysis_failed(self, failure: _Failed) -> None:
        exc = failure.exc
        after = self.refreshing_after
        self.refreshing = False
        self.refreshing_after = None
        if after is not None:
            self.stale_after = after
        self.stale_reason = _reason(exc)
        self.stale_hint = self._hint(exc, after)
        self.stale_since = f"{after} failed: {self.stale_reason}" if after else self.stale_reason
        self.stale_undoable = _undoable(after) and self.workspace.can_undo
        file, row = getattr(exc, "file", None), getattr(exc, "row", None)
        self.stale_source = (str(file), int(row)) if file and row is not None else None
        if failure.unanalysed is not None:
            self.unanalysed = failure.unanalysed
        if self.analysis is None:  # the checklist belongs to people: it shows without figures
            self._actions = self._load_actions()
            self.actionsChanged.emit()
        self.undoChanged.emit()
        self.stateChanged.emit()
        if not isinstance(exc, InputError):
            self.failed.emit(exc)  # a fault in CommitDesk: the details belong in a dialog too

    def _analysis_cancelled(self) -> None:
        after = self.refreshing_after
        self.refreshing = False
        self.refreshing_after = None
        if after is not None or self.analysis is None:
            self.stale_after = after or self.stale_after
            self.stale_reason = ("the recompute was cancelled" + (f" after {after}" if after else ""))
            self.stale_hint = "Recompute with View > Recompute figures (F5) when you are ready."
            self.stale_since = self.stale_reason
            self.stale_source = None
            self.stale_undoable = False
        self.stateChanged.emit()

    def _hint(self, exc: BaseException, after: str | None) -> str:
        """What the analyst can do about a failed recompute, in one or two sentences."""
        if not isinstance(exc, InputError):
            return ("This is a fault in CommitDesk, not in your data: the details are in the log "
                    "(Help > Open log folder). Undo the last change (Ctrl+Z) to get back to figures that compute.")
        # Undo is offered only when it takes back the change that failed (an import is not an
        # edit: undoing an unrelated earlier edit would not help)
        undo = self.workspace.undo_label if self.workspace.can_undo and _undoable(after) else None
        undo_text = "undo the last edit (Ctrl+Z)" if undo else ""
        if after is not None and after.startswith("the edit of"):
            return "Fix the row in the commit schedule or " + (undo_text or "change it back") + "."
        if after is not None and after.startswith("changing the settings"):
            return "Change the setting back in File > Settings (Ctrl+,)" + (f" or {undo_text}" if undo_text else "") + "."
        if after is not None and after.startswith("undoing"):
            return "Redo it (Ctrl+Y) to get back to figures that compute, or correct the input named above."
        if after is not None and after.startswith("redoing"):
            return "Undo it again (Ctrl+Z) to get back to figures that compute."
        if after is not None and after.startswith("moving As of"):
            return "Pick another As of date, or tick \"latest usage\"."
        where = getattr(exc, "file", None)
        row = getattr(exc, "row", None)
        if where:
            fix = f"Fix {where}" + (f" row {row}" if row is not None else "") + " and import it again"
            return (fix + f", or remove {where} under File > Imported files (Ctrl+Shift+I)"
                    + (f", or {undo_text}" if undo_text else "") + ".")
        return "Correct the input named above and recompute (F5)."

    def stale_note(self) -> str | None:
        """The brief's out-of-date line (desktop.brief writes it on its first page), or None
        while the figures are current."""
        if self.stale_reason is None or self.analysis is None:
            return None
        from desktop.brief import stale_marker

        return stale_marker(self.computed_at or datetime.now(), self.analysis.as_of,
                            self.stale_since or self.stale_reason)

    # --- actions ------------------------------------------------------------------------------
    def _load_actions(self) -> list[Action]:
        from desktop.store import WorkspaceError

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
        from desktop.store import WorkspaceError

        try:
            return self.workspace.actions_as_of()
        except WorkspaceError:
            return None

    def set_action(self, key: str, status: str | None = None, notes: str | None = None,
                   owner: str | None = None, due: Any = None) -> bool:
        """A person's change of an action (status, notes, assigned owner, due date)."""
        if self._guard(lambda: self.workspace.set_action(key, status=status, notes=notes, owner=owner, due=due)):
            self._actions = self._load_actions()
            self.actionsChanged.emit()
            self.undoChanged.emit()
            self.message.emit(f"Action updated: {key}")
            return True
        return False

    def set_actions(self, keys: list[str], status: str | None = None, notes: str | None = None,
                    owner: str | None = None, due: Any = None) -> bool:
        """The same change of a selection of actions (one undo step)."""
        out: list[int] = []
        if self._guard(lambda: out.append(self.workspace.set_actions(keys, status=status, notes=notes,
                                                                     owner=owner, due=due))):
            self._actions = self._load_actions()
            self.actionsChanged.emit()
            self.undoChanged.emit()
            self.message.emit(f"{out[0]} action(s) updated" if out and out[0] else "Nothing to change")
            return True
        return False

    # --- edits (undoable in the workspace) ----------------------------------------------------
    def set_settings(self, settings) -> bool:
        ok = self._guard(lambda: self.workspace.set_settings(settings))
        if ok:
            self.message.emit("Settings changed; recomputing")
            self.undoChanged.emit()
            self.recompute("changing the settings")
        return ok

    def update_commitment(self, contract_id: str, period_start: date, **changes: Any) -> bool:
        ok = self._guard(lambda: self.workspace.update_commitment(contract_id, period_start, **changes))
        if ok:
            self.undoChanged.emit()
            self.recompute(f"the edit of {contract_id} {period_start}")
        return ok

    def edit_schedule(self, change: str, fn) -> str | None:
        """A change of a commit schedule (split, add or remove a period, a new contract, back to
        the imported periods): ``fn(workspace)`` writes it. Returns None when done (a recompute
        follows), else the reason it was refused, in the validation layer's words (the page shows
        it beside the schedule; no dialog)."""
        from desktop.store import WorkspaceError

        try:
            fn(self.workspace)
        except InputError as exc:
            return exc.message
        except WorkspaceError as exc:
            self.failed.emit(exc)
            return str(exc)
        self.undoChanged.emit()
        self.message.emit(f"Schedule changed: {change}; recomputing")
        self.recompute(f"the edit of {change}")
        return None

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
            self.recompute(f"{'undoing' if verb == 'Undone' else 'redoing'} {label}")
        self.undoChanged.emit()
        return label

    def _guard(self, fn) -> bool:
        from desktop.store import WorkspaceError

        try:
            fn()
        except (InputError, WorkspaceError) as exc:
            self.message.emit(str(exc))
            self.failed.emit(exc)
            return False
        return True

    # --- navigation / explain -----------------------------------------------------------------
    def redraw(self) -> None:
        """Show the current figures again (after the appearance changed: tints and tiles are
        computed for the background when a page refreshes). No recompute."""
        if self.analysis is not None:
            self.analysisChanged.emit(self.analysis)

    def clear_all_filters(self) -> None:
        """Every page clears its own filters (each page holds one filter state of its own)."""
        self.clearFiltersRequested.emit()

    def navigate(self, page: str, ref: dict | None = None) -> None:
        self.navigateRequested.emit(page, dict(ref or {}))

    def explain(self, kind: str, key: Any, field: str, parent=None) -> None:
        from desktop.ui.dialogs.explain import ExplainDialog

        if self.analysis is None:
            return
        dlg = ExplainDialog(self.analysis, kind, key, field, session=self, parent=parent)
        dlg.show()


def _always() -> bool:
    return True


def _open(gate) -> bool:
    try:
        return bool(gate())
    except RuntimeError:  # the page behind the gate is gone (its window closed)
        return False


def _reason(exc: BaseException) -> str:
    """The failure in the analyst's words: an input problem says where it is; a fault says what."""
    if isinstance(exc, InputError):
        return str(exc).rstrip(".")
    return f"an internal error ({type(exc).__name__}: {exc})".rstrip(".")


def _undoable(after: str | None) -> bool:
    """Whether the change a recompute brought in is one Undo takes back."""
    return after is not None and after.startswith(("the edit of", "changing the settings", "redoing"))
