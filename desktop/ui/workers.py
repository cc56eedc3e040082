"""The one background-task wrapper of the GUI.

Long work is a plain function ``fn(progress) -> result`` (desktop.domain.progress.Progress).
``TaskRunner.start(fn)`` runs it on a QThreadPool thread and delivers, on the GUI thread:

* ``progress(fraction, text)`` at most every 40 ms,
* ``finished(result)`` or ``failed(exception)`` or ``cancelled()``.

Starting a new run on the same runner cancels the previous one; a stale run never delivers
its result (each run carries a token and only the current token may land). ``shutdown()``
cancels and waits; MainWindow.closeEvent and test teardown call it.

Widgets are never touched inside the worker: the function receives only its Progress.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop.domain.progress import Cancelled, Progress

log = logging.getLogger(__name__)

_POOL: QThreadPool | None = None


def pool() -> QThreadPool:
    global _POOL
    if _POOL is None:
        _POOL = QThreadPool()
        _POOL.setMaxThreadCount(2)
    return _POOL


class _Bridge(QObject):
    """Carries a run's events from the worker thread to the GUI thread (queued signals)."""

    progress = Signal(int, float, str)
    done = Signal(int, str, object)  # token, outcome ("ok" | "error" | "cancelled"), payload


class _Run:
    """One run: a plain object whose ``run`` the pool calls (Qt owns the wrapping runnable, so
    no Python-owned QRunnable can be freed while a pool thread still touches it)."""

    def __init__(self, token: int, fn: Callable[[Progress], Any], progress: Progress, bridge: _Bridge):
        self.token = token
        self.fn = fn
        self.prog = progress
        self.bridge = bridge
        self.finished_event = threading.Event()

    def run(self) -> None:  # worker thread
        try:
            result = self.fn(self.prog)
        except Cancelled:
            self.bridge.done.emit(self.token, "cancelled", None)
        except BaseException as exc:  # delivered to the GUI thread as a failure
            log.debug("task failed", exc_info=True)
            self.bridge.done.emit(self.token, "error", exc)
        else:
            if self.prog.cancelled:
                self.bridge.done.emit(self.token, "cancelled", None)
            else:
                self.bridge.done.emit(self.token, "ok", result)
        finally:
            self.finished_event.set()


class TaskRunner(QObject):
    """Runs one kind of background task at a time (a new start cancels the previous one)."""

    started = Signal(str)  # label
    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    busyChanged = Signal(bool)

    _tokens = itertools.count(1)

    def __init__(self, name: str = "task", parent: QObject | None = None, min_interval: float = 0.04):
        super().__init__(parent)
        self.name = name
        self._bridge = _Bridge()
        self._bridge.progress.connect(self._on_progress)
        self._bridge.done.connect(self._on_done)
        self._token = 0
        self._progress: Progress | None = None
        self._runs: dict[int, _Run] = {}
        self._min_interval = min_interval
        self.label = ""

    # --- control ---------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._progress is not None

    def start(self, fn: Callable[[Progress], Any], label: str = "") -> int:
        """Cancel any run in flight and start ``fn(progress)`` in the pool. Returns the token."""
        self.cancel(quiet=True)
        token = next(self._tokens)
        self._token = token
        last = [0.0]
        bridge = self._bridge

        def callback(fraction: float, text: str) -> None:  # worker thread
            now = time.monotonic()
            if now - last[0] >= self._min_interval or fraction >= 1.0:
                last[0] = now
                bridge.progress.emit(token, fraction, text)

        prog = Progress(callback)
        self._progress = prog
        self.label = label or self.name
        run = _Run(token, fn, prog, bridge)
        self._runs[token] = run
        was_busy = len(self._runs) > 1
        pool().start(run.run)
        self.started.emit(self.label)
        if not was_busy:
            self.busyChanged.emit(True)
        return token

    def cancel(self, quiet: bool = False) -> None:
        """Ask the current run to stop; its result (if it still comes) is dropped.

        Emits ``cancelled`` at once (unless ``quiet``): the GUI does not wait for the worker
        to notice."""
        was = self._progress is not None
        if self._progress is not None:
            self._progress.cancel()
        self._progress = None
        self._token = 0
        if was and not quiet:
            self.cancelled.emit()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every run started here has returned (used at shutdown)."""
        deadline = time.monotonic() + timeout_ms / 1000
        for run in list(self._runs.values()):
            left = max(0.0, deadline - time.monotonic())
            if not run.finished_event.wait(left):
                return False
        return True

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        self.cancel(quiet=True)
        ok = self.wait(timeout_ms)
        self._runs.clear()
        return ok

    # --- GUI thread ------------------------------------------------------------------------
    def _on_progress(self, token: int, fraction: float, text: str) -> None:
        if token == self._token:
            self.progress.emit(fraction, text)

    def _on_done(self, token: int, outcome: str, payload: object) -> None:
        self._runs.pop(token, None)
        current = token == self._token
        if current:
            self._token = 0
            self._progress = None
        if not self._runs:
            self.busyChanged.emit(False)
        if not current:
            return  # stale: a newer run replaced it, or it was cancelled
        if outcome == "ok":
            self.finished.emit(payload)
        elif outcome == "error":
            self.failed.emit(payload)
        else:
            self.cancelled.emit()
