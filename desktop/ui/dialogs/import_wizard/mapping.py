"""The column-mapping editor: which column of the file feeds which CommitDesk column, applied
to read the file again, or saved as a profile that is used by itself for files of that shape."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import tables
from desktop.ingest import MappingProfile, suggest_mapping
from desktop.ui.dialogs.import_wizard.files import FileState, check_mapping
from desktop.ui.widgets import note

UNMAPPED = "(ignore)"


class MappingEditor(QWidget):
    applyRequested = Signal()
    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        ml = QVBoxLayout(self)
        ml.setContentsMargins(4, 4, 4, 4)
        ml.addWidget(note("Which column of the file feeds which CommitDesk column. Change a choice, then "
                          "Apply to read the file again with it; save it as a profile and it is used by "
                          "itself the next time a file of the same shape comes."))
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Column in the file", "CommitDesk column"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        ml.addWidget(self.table)
        prow = QHBoxLayout()
        self.apply_btn = QPushButton("Apply mapping")
        self.apply_btn.clicked.connect(self.applyRequested)
        prow.addWidget(self.apply_btn)
        prow.addWidget(QLabel("Profile name"))
        self.profile_name = QLineEdit()
        prow.addWidget(self.profile_name, 1)
        self.save_btn = QPushButton("Save as profile")
        self.save_btn.clicked.connect(self.saveRequested)
        prow.addWidget(self.save_btn)
        ml.addLayout(prow)
        self.message = note("")
        ml.addWidget(self.message)

    def show_file(self, f: FileState) -> None:
        """The file's columns, each with the profile's choice, else the suggested one."""
        kind = f.target_kind or "usage"
        spec = tables.SPECS[kind]
        if f.profile is not None and f.profile.kind == kind:
            current = dict(f.profile.columns)
        else:
            current = suggest_mapping(f.columns, kind) if f.columns else {}
        self.table.setRowCount(len(f.columns))
        for r, col in enumerate(f.columns):
            item = self.table.item(r, 0)
            if item is None:
                item = QTableWidgetItem()
                self.table.setItem(r, 0, item)
            item.setText(col)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            cb = QComboBox()
            cb.addItem(UNMAPPED)
            for c in spec.columns:
                cb.addItem(c.name + (" *" if c.required else ""), c.name)
            target = current.get(col)
            idx = cb.findData(target) if target else 0
            cb.setCurrentIndex(max(idx, 0))
            self.table.setCellWidget(r, 1, cb)
        self.apply_btn.setEnabled(bool(f.columns))
        self.save_btn.setEnabled(bool(f.columns))
        if not self.profile_name.text() or self.profile_name.property("auto"):
            self.profile_name.setText(f"{f.path.stem} ({kind})")
            self.profile_name.setProperty("auto", True)
        self.message.setText("" if f.columns else "This format is read by its own importer; no mapping needed.")

    def current_mapping(self) -> dict[str, str]:
        out = {}
        for r in range(self.table.rowCount()):
            cb = self.table.cellWidget(r, 1)
            target = cb.currentData() if cb is not None else None
            if target:
                out[self.table.item(r, 0).text()] = target
        return out

    def set_mapping(self, source_column: str, target: str | None) -> None:
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).text() == source_column:
                cb = self.table.cellWidget(r, 1)
                cb.setCurrentIndex(max(0, cb.findData(target)) if target else 0)

    def profile_for(self, f: FileState) -> MappingProfile | None:
        """The mapping as a profile for this file, or None (and the reason shown)."""
        kind = f.target_kind or "usage"
        mp = self.current_mapping()
        problem = check_mapping(kind, mp)
        if problem:
            self.message.setText(problem)
            return None
        name = self.profile_name.text().strip() or f"{f.path.stem} ({kind})"
        return MappingProfile.from_columns(name, kind, f.columns, mp)

    def saved_as(self, name: str) -> None:
        self.profile_name.setProperty("auto", False)
        self.message.setText(f"Saved profile {name!r}; files of this shape will use it by themselves.")
