"""Progress and cancellation for long work (Orange's TaskState pattern).

Long functions take ``progress: Progress | None``; they call ``progress.step(fraction, text)``
often (at least every 0.5 s of work) and that raises ``Cancelled`` once cancel was asked.
The GUI adapts this to signals in desktop/ui/workers.py; tests pass a plain ``Progress()``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancelled(Exception):
    """The analyst cancelled the operation."""


class Progress:
    def __init__(self, callback: Callable[[float, str], None] | None = None):
        self._callback = callback
        self._cancel = threading.Event()
        self.fraction = 0.0
        self.text = ""

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled()

    def step(self, fraction: float, text: str = "") -> None:
        self.check()
        self.fraction = max(0.0, min(1.0, float(fraction)))
        if text:
            self.text = text
        if self._callback is not None:
            self._callback(self.fraction, self.text)


def ensure(progress: Progress | None) -> Progress:
    return progress if progress is not None else Progress()


def sub(progress: Progress | None, start: float, end: float) -> Progress:
    """A child Progress mapping 0..1 onto start..end of the parent (shares its cancel flag)."""
    parent = ensure(progress)
    child = Progress(lambda f, t: parent.step(start + (end - start) * f, t))
    child._cancel = parent._cancel
    return child
