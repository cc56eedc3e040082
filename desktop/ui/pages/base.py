"""What every page has: a title, the session it shows, a filter hook and a way to be opened on
particular rows (from an Overview tile or alert)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget


class Page(QWidget):
    title = "Page"
    key = "page"

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.analysis = None
        session.analysisChanged.connect(self._on_analysis)

    _dirty = False

    def _on_analysis(self, analysis) -> None:
        """Refresh now when on screen; a hidden page refreshes when it is next shown."""
        self.analysis = analysis
        if analysis is None:
            return
        if self.isVisible():
            self._dirty = False
            self.refresh(analysis)
        else:
            self._dirty = True

    def ensure_fresh(self) -> None:
        if self._dirty and self.analysis is not None:
            self._dirty = False
            self.refresh(self.analysis)

    def showEvent(self, event) -> None:
        self.ensure_fresh()
        super().showEvent(event)

    def refresh(self, analysis) -> None:  # pragma: no cover - every page implements it
        raise NotImplementedError

    def apply_filter(self, text: str) -> None:
        """The toolbar's filter box: narrow the page's main table."""

    def show_ref(self, ref: dict[str, Any]) -> None:
        """Open on the rows a finding / tile points at (keys depend on the page)."""

    def explain(self, kind: str, key: Any, field: str) -> None:
        self.session.explain(kind, key, field, self)
