"""'Explain this number': the formula, the steps with their values, and the source rows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from desktop.domain.errors import InputError
from desktop.domain.explain import explain
from desktop.ui.models.table import Col
from desktop.ui.widgets import DataTable, heading, note


class ExplainDialog(QDialog):
    def __init__(self, analysis, kind: str, key: str, field: str, session=None, parent=None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.session = session
        self.analysis, self.figure = analysis, (kind, key, field)
        self.rows_runner = None
        self.rows_message = None
        self.resize(980, 600)
        lay = QVBoxLayout(self)
        try:
            self.explanation = ex = explain(analysis, kind, key, field)
        except InputError as exc:
            self.explanation = None
            self.setWindowTitle("Explain this number")
            lay.addWidget(note(f"This figure cannot be explained: {exc}"))
            bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            bb.rejected.connect(self.reject)
            lay.addWidget(bb)
            return
        self.setWindowTitle(f"Explain: {ex.title}")
        lay.addWidget(heading(f"{ex.title} = {ex.value}"))
        lay.addWidget(note(ex.formula))
        steps = DataTable()
        steps.table_model.set_columns([
            Col.text("Step", [s for s, _ in ex.steps]),
            Col.text("Value", [v for _, v in ex.steps]),
        ])
        steps.setMaximumHeight(min(360, 40 + steps.verticalHeader().defaultSectionSize() * max(1, len(ex.steps))))
        steps.setColumnWidth(0, 640)
        lay.addWidget(steps)
        self.steps = steps
        shown = len(ex.sources)
        more = f" (the first {shown} shown)" if ex.source_count > shown else ""
        total = f"; they add up to {ex.sources_total:,.2f}" if ex.sources_total is not None else ""
        lay.addWidget(QLabel(f"Source rows: {ex.source_count:,}{more}{total}. "
                             "Double-click a usage row to open it in Usage."))
        src = DataTable()
        src.table_model.set_columns([
            Col.text("File", [s.file for s in ex.sources]),
            Col.ints("Row", [s.row for s in ex.sources]),
        ])
        src.doubleClicked.connect(self._open_rows)
        lay.addWidget(src, 1)
        self.sources = src
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy as text")
        copy.clicked.connect(self.copy_text)
        bb.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        rows_button = QPushButton("Export the rows behind this number…")
        rows_button.setToolTip(f"All {ex.source_count:,} source rows (every column, with file and row) "
                               "to Excel or CSV")
        rows_button.setEnabled(ex.source_count > 0)
        rows_button.clicked.connect(lambda: self.export_rows())
        bb.addButton(rows_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.rows_button = rows_button
        bb.rejected.connect(self.reject)
        lay.addWidget(bb)

    def export_rows(self, path=None) -> bool:
        """Every source row of the figure (not only the first shown) as .xlsx or .csv, written
        in a worker; afterwards Open / Show in folder (desktop.ui.exports)."""
        from pathlib import Path

        from desktop.ui import exports
        from desktop.ui.workers import TaskRunner

        ex = self.explanation
        if ex is None:
            return False
        a = self.analysis
        kind, key, field = self.figure
        if path is None:
            stem = exports.file_stem("CommitDesk rows behind", f"{kind} {key} {field}", a.as_of.isoformat())
            chosen, filt = QFileDialog.getSaveFileName(self, "Export the rows behind this number",
                                                       str(exports.default_path(stem, "xlsx")),
                                                       "Excel workbook (*.xlsx);;CSV, UTF-8 (*.csv)")
            if not chosen:
                return False
            path = Path(chosen)
            if path.suffix.lower() not in (".xlsx", ".csv"):
                path = path.with_name(path.name + (".csv" if "csv" in filt.lower() else ".xlsx"))
            exports.remember_folder(path)
        path = Path(path)
        if self.rows_runner is None:
            self.rows_runner = TaskRunner("explain-rows", self)
            self.rows_runner.finished.connect(self._rows_written)
            self.rows_runner.failed.connect(lambda exc: QMessageBox.warning(self, "Export failed", str(exc)))
        self.rows_runner.start(lambda p: exports.write_figure_rows(path, a, kind, key, field, "Rows", p),
                               label=f"Writing {path.name}")
        return True

    def _rows_written(self, path) -> None:
        from desktop.ui import exports

        self.rows_message = exports.show_written(self, path, f"The {self.explanation.source_count:,} rows behind "
                                                             f"{self.explanation.title}")

    def done(self, result: int) -> None:
        if self.rows_runner is not None:
            self.rows_runner.shutdown()
        super().done(result)

    def text(self) -> str:
        ex = self.explanation
        if ex is None:
            return ""
        lines = [f"{ex.title} = {ex.value}", ex.formula, ""]
        lines += [f"{s}: {v}" for s, v in ex.steps]
        lines += ["", f"Source rows ({ex.source_count}):"]
        lines += [f"{s.file} row {s.row}" for s in ex.sources]
        return "\n".join(lines)

    def copy_text(self) -> None:
        from PySide6.QtGui import QGuiApplication

        QGuiApplication.clipboard().setText(self.text())

    def _open_rows(self, *_):
        if self.session is None or self.explanation is None:
            return
        refs = list(self.explanation.sources)
        if getattr(self.analysis.inputs, "usage_rows", None) is not None:
            # a workspace: the Usage page lists daily rollup rows; select those behind the figure
            # (its source-rows panel then shows their file rows)
            from desktop.domain import provenance

            try:
                refs = provenance.refs(self.analysis, provenance.figure_rows(self.analysis, *self.figure))[0]
            except InputError:
                pass
        self.session.navigate("usage", {"select_refs": refs})
