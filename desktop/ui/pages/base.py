"""What every page has: a title, the session it shows, a filter hook, a way to be opened on
particular rows (from an Overview tile or alert) and its tables' exports (desktop.ui.exports:
every DataTable the page holds exports to Excel, CSV and the clipboard under its name)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

# names of the tables pages hold (attribute -> name in file names and sheet titles; "" for the
# page's main table, which goes by the page's title)
TABLE_TITLES = {"table": "", "periods": "periods", "schedule": "commit schedule", "shift": "workload shift",
                "flags": "flagged lines", "alerts": "alerts", "breakdown": "breakdown", "months_table": "months",
                "audit": "price audit"}


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

    # --- exports (desktop.ui.exports) ------------------------------------------------------------
    def export_tables(self) -> list[tuple[str, Any]]:
        """(name, DataTable) of every table the page holds, main table first."""
        from desktop.ui.widgets import DataTable

        out: list[tuple[str, Any]] = []
        for attr, value in vars(self).items():
            if isinstance(value, DataTable) and all(value is not t for _, t in out):
                out.append((TABLE_TITLES.get(attr, attr.removesuffix("_table").replace("_", " ")), value))
        out.sort(key=lambda nt: nt[0] != "")
        return out

    def table_title(self, table) -> str:
        for name, t in self.export_tables():
            if t is table:
                return name
        return ""

    def current_table(self):
        """The table File > Export table acts on: the one with the keyboard focus, else the
        page's main table."""
        tables = self.export_tables()
        focus = self.focusWidget()
        for _, t in tables:
            if focus is not None and (focus is t or t.isAncestorOf(focus)):
                return t
        visible = [t for _, t in tables if t.isVisibleTo(self)]
        return visible[0] if visible else (tables[0][1] if tables else None)
