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

    def _on_analysis(self, analysis) -> None:
        self.analysis = analysis
        if analysis is not None:
            self.refresh(analysis)

    def refresh(self, analysis) -> None:  # pragma: no cover - every page implements it
        raise NotImplementedError

    def apply_filter(self, text: str) -> None:
        """The toolbar's filter box: narrow the page's main table."""

    def show_ref(self, ref: dict[str, Any]) -> None:
        """Open on the rows a finding / tile points at (keys depend on the page)."""

    def explain(self, kind: str, key: Any, field: str) -> None:
        self.session.explain(kind, key, field, self)
