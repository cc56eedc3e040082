"""What every page has: a title, the session it shows, one filter state (shown as removable chips
above the page, see widgets.FilterChips), a way to be opened on particular rows (from an
Overview tile or alert) and its tables' exports (desktop.ui.exports: every DataTable the page
holds exports to Excel, CSV and the clipboard under its name).

A page may need work done on each new analysis that is too slow for the GUI thread at 1M rows
(the Usage table's columns and anomaly shading): its ``preparer`` (a pure function of the
analysis) is registered with the session, which runs it in the recompute's worker while the page
is on screen (a hidden page's preparation would only lengthen every edit). A page shown after
the figures landed (built then, or hidden during the recompute) has its preparer run in the
page's own worker first (``prepare_in_worker``) when the rows are many, so nothing heavy lands on
the GUI thread either way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

# names of the tables pages hold (attribute -> name in file names and sheet titles; "" for the
# page's main table, which goes by the page's title)
TABLE_TITLES = {"table": "", "periods": "periods", "schedule": "commit schedule", "shift": "workload shift",
                "flags": "flagged lines", "alerts": "alerts", "breakdown": "breakdown", "months_table": "months",
                "audit": "price audit"}


class Page(QWidget):
    title = "Page"
    key = "page"
    filtersChanged = Signal()  # the page's filter state changed (chips, the toolbar box follow)
    # fn(analysis) -> what refresh needs (pure; the session runs it in the recompute's worker)
    preparer: Callable[[Any], Any] | None = None
    prepare_async_rows = 100_000  # usage rows from which a late preparation runs in a worker

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.analysis = None
        self.text_filter = ""
        self._prepare_runner = None
        session.analysisChanged.connect(self._on_analysis)
        session.clearFiltersRequested.connect(self.clear_filters)
        preparer = type(self).preparer
        if preparer is not None:
            session.preparers[self.key] = preparer
            gates = getattr(session, "preparer_gates", None)
            if gates is not None:  # prepared with a recompute only while on screen (else when shown)
                gates[self.key] = self.isVisible

    _dirty = False

    def catch_up(self) -> None:
        """A page built after the session's figures landed (pages are built when first shown)
        takes them as if it had been there: it refreshes when shown."""
        if self.session.analysis is not None:
            self._on_analysis(self.session.analysis)

    def _on_analysis(self, analysis) -> None:
        """Refresh now when on screen; a hidden page refreshes when it is next shown."""
        self.analysis = analysis
        if analysis is None:
            return
        if self.isVisible():
            self._dirty = False
            self._refresh_prepared(analysis)
        else:
            self._dirty = True

    def ensure_fresh(self) -> None:
        if self._dirty and self.analysis is not None:
            self._dirty = False
            self._refresh_prepared(self.analysis)

    # ----------------------------------------------------------------- preparation off the GUI thread
    def prepared(self, analysis) -> Any:
        """What the session's worker prepared for ``analysis`` for this page, or None."""
        if self.session.analysis is analysis:
            return self.session.prepared.get(self.key)
        return None

    def prepare_in_worker(self, analysis) -> bool:
        """Whether a preparation missing for ``analysis`` runs in the page's worker (many usage
        rows) rather than inside ``refresh`` on the GUI thread (a few rows: at once)."""
        usage = getattr(analysis, "usage", None)
        return usage is not None and len(usage) >= self.prepare_async_rows

    def _refresh_prepared(self, analysis) -> None:
        fn = self.session.preparers.get(self.key)
        if fn is None or self.prepared(analysis) is not None or not self.prepare_in_worker(analysis):
            self.refresh(analysis)
            return
        if self._prepare_runner is None:
            from desktop.ui.workers import TaskRunner

            self._prepare_runner = TaskRunner(f"{self.key}-prepare", self)
            self._prepare_runner.finished.connect(self._prepared_landed)
            self.session.register_runner(self._prepare_runner)
        self._prepare_runner.start(lambda _p, a=analysis: (a, fn(a)), label=f"Preparing {self.title}")

    def _prepared_landed(self, payload) -> None:
        analysis, result = payload
        if analysis is not self.analysis:
            return  # a newer analysis came meanwhile; its own preparation follows
        if self.session.analysis is analysis:
            self.session.prepared[self.key] = result
        self.refresh(analysis)

    def showEvent(self, event) -> None:
        self.ensure_fresh()
        super().showEvent(event)

    def refresh(self, analysis) -> None:  # pragma: no cover - every page implements it
        raise NotImplementedError

    # ---------------------------------------------------------------- the page's filter state
    def apply_filter(self, text: str) -> None:
        """The toolbar's filter box: this page's text filter (kept per page; the box shows the
        current page's text)."""
        if text == self.text_filter:
            return
        self.text_filter = text
        self._apply_text(text)
        self.filtersChanged.emit()

    def _apply_text(self, text: str) -> None:
        """Narrow the page's tables to rows containing ``text`` (pages with tables implement it)."""

    def filters(self) -> list[tuple[str, str]]:
        """The filters in force on this page as (key, chip text); the text filter first."""
        return [("text", f"Text contains “{self.text_filter}”")] if self.text_filter else []

    def remove_filter(self, key: str) -> None:
        """Drop one filter (its chip's ×)."""
        if key == "text":
            self.apply_filter("")

    def clear_filters(self) -> None:
        """Drop every filter of this page."""
        for key, _text in self.filters():
            self.remove_filter(key)

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
