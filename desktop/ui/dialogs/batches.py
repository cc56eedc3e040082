"""Imported files: every import batch of the workspace with its report; remove one and every
figure derived from it recomputes."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QMessageBox, QPushButton, QVBoxLayout

from desktop.domain.errors import InputError
from desktop.store import WorkspaceError
from desktop.ui.models.table import Col
from desktop.ui.widgets import DataTable, note


class BatchesDialog(QDialog):
    def __init__(self, session, parent=None, confirm: bool = True):
        super().__init__(parent)
        self.setWindowTitle("Imported files")
        self.resize(1100, 520)
        self.session = session
        self.confirm = confirm
        lay = QVBoxLayout(self)
        lay.addWidget(note("Every file imported into this workspace, in import order. Removing one takes its rows "
                           "out of every figure (the file itself is not touched)."))
        self.table = DataTable()
        self.table.selectionModel().selectionChanged.connect(self._selected)
        lay.addWidget(self.table, 1)
        self.detail = note("")
        lay.addWidget(self.detail)
        row = QHBoxLayout()
        self.remove_btn = QPushButton("Remove selected import…")
        self.remove_btn.setEnabled(False)
        self.remove_btn.clicked.connect(self.remove_selected)
        row.addWidget(self.remove_btn)
        row.addStretch(1)
        lay.addLayout(row)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        bb.rejected.connect(self.reject)
        lay.addWidget(bb)
        self.reload()

    def reload(self) -> None:
        try:
            self.batches = self.session.workspace.batches()
        except WorkspaceError as exc:
            self.batches = []
            self.detail.setText(str(exc))
        bs = self.batches
        self.table.table_model.set_columns([
            Col.ints("Batch", [b.id for b in bs]),
            Col.text("File", [b.file_name for b in bs]),
            Col.text("Table", [b.kind.replace("_", " ") for b in bs]),
            Col.text("Format", [b.format for b in bs]),
            Col.ints("Rows read", [b.report.rows_read for b in bs]),
            Col.ints("Imported", [b.report.rows_imported for b in bs]),
            Col.ints("Rejected", [b.report.rows_rejected for b in bs]),
            Col.text("Imported at (UTC)", [b.imported_at[:16].replace("T", " ") for b in bs]),
            Col.text("Mapping profile", [b.profile_name or "" for b in bs]),
            Col.text("Warnings", ["; ".join(b.overlaps) for b in bs]),
        ])

    def _current(self):
        rows = self.table.selected_source_rows()
        return self.batches[rows[0]] if rows else None

    def _selected(self, *_):
        b = self._current()
        self.remove_btn.setEnabled(b is not None and not self.session.workspace.readonly)
        if b is None:
            self.detail.setText("")
            return
        r = b.report
        self.detail.setText(f"{b.file_name}: {r.format} — {r.format_reason}. {r.rows_read:,} rows read, "
                            f"{r.rows_imported:,} imported, {r.rows_rejected:,} rejected, {r.totals_excluded:,} "
                            f"total rows excluded. Source: {b.source_path or 'n/a'}.")

    def remove_selected(self) -> bool:
        b = self._current()
        if b is None:
            return False
        if self.confirm:
            answer = QMessageBox.question(
                self, "Remove import", f"Remove {b.file_name} ({b.row_count:,} rows of {b.kind.replace('_', ' ')}) "
                "from this workspace? Every figure recomputes without it.")
            if answer != QMessageBox.StandardButton.Yes:
                return False
        try:
            self.session.workspace.remove_batch(b.id)
        except (WorkspaceError, InputError) as exc:
            self.detail.setText(f"Not removed: {exc}")
            return False
        self.session.message.emit(f"Removed {b.file_name}; recomputing")
        self.session.recompute()
        self.reload()
        return True
