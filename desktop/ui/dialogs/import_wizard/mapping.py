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
_ROLE_HEADER = "What CommitDesk does with it"
_INTRO_EDIT = ("Which column of the file feeds which CommitDesk column. Change a choice, then Apply to read the "
               "file again with it; save it as a profile and it is used by itself the next time a file of the "
               "same shape comes.")
_INTRO_ROLES = ("This file's format was recognised: CommitDesk's importer for it reads the columns listed first, "
                "as shown; the others are not used.")
NOT_USED = "not used"


def own_importer(f: FileState) -> bool:
    """Was the file read by a format's own importer (Azure, FOCUS, OpenAI ...), whose column
    roles are fixed, rather than by the template names or a column mapping?"""
    if f.result is None:
        return False
    fmt = f.result.report.format
    return not (fmt == "mapped" or fmt.startswith(("canonical-", "profile:")))


class MappingEditor(QWidget):
    applyRequested = Signal()
    saveRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        ml = QVBoxLayout(self)
        ml.setContentsMargins(4, 4, 4, 4)
        self.intro = note(_INTRO_EDIT)
        ml.addWidget(self.intro)
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
        self.manual_btn = QPushButton("Map columns myself")
        self.manual_btn.setToolTip("Read this file with a column mapping of your own instead of its format's importer")
        self.manual_btn.clicked.connect(self._map_myself)
        prow.addWidget(self.manual_btn)
        ml.addLayout(prow)
        self.message = note("")
        ml.addWidget(self.message)
        self.profile_name.textEdited.connect(self._name_edited)
        self._file: FileState | None = None
        self._manual: set[int] = set()  # ids of detected files the analyst maps by hand

    def _name_edited(self, text: str) -> None:
        if self._file is not None:
            self._file.profile_name = text

    def _map_myself(self) -> None:
        if self._file is not None:
            self._manual.add(self._file.id)
            self.show_file(self._file)

    @property
    def read_only(self) -> bool:
        """Showing what a format's own importer does (no choices to make)."""
        return self.table.columnCount() == 2 and self.table.horizontalHeaderItem(1).text() == _ROLE_HEADER

    def show_file(self, f: FileState) -> None:
        """The file's columns: for a format read by its own importer, what that importer does
        with each (read-only); otherwise each with the profile's choice, else the suggested one.
        The profile name is this file's (typed for it, its profile's, or made from its name)."""
        self._file = f
        kind = f.target_kind or "usage"
        name = f.profile_name or (f.profile.name if f.profile is not None else f"{f.path.stem} ({kind})")
        self.profile_name.setText(name)
        if own_importer(f) and f.id not in self._manual and f.columns:
            self._show_roles(f)
            return
        self.table.setHorizontalHeaderLabels(["Column in the file", "CommitDesk column"])
        self.intro.setText(_INTRO_EDIT)
        self.manual_btn.setVisible(False)
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
            self.table.takeItem(r, 1)  # a role shown for another file
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
        self.profile_name.setEnabled(True)
        if f.columns:
            self.message.setText("")
        elif f.error:
            self.message.setText("CommitDesk found no columns in this file to map.")
        else:
            self.message.setText("This format is read by its own importer; no mapping needed.")

    def _show_roles(self, f: FileState) -> None:
        roles = f.result.roles
        self.table.setHorizontalHeaderLabels(["Column in the file", _ROLE_HEADER])
        self.intro.setText(_INTRO_ROLES)
        self.table.setRowCount(len(f.columns))
        # the columns read first (in file order), then the ones not used
        order = [c for c in f.columns if c in roles] + [c for c in f.columns if c not in roles]
        for r, col in enumerate(order):
            self.table.removeCellWidget(r, 1)
            for c, text in ((0, col), (1, roles.get(col, NOT_USED))):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if c == 1 and col not in roles:
                    item.setForeground(self.palette().placeholderText())
                self.table.setItem(r, c, item)
        used = sum(1 for c in f.columns if c in roles)
        rep = f.result.report
        self.apply_btn.setEnabled(False)
        self.save_btn.setEnabled(False)
        self.profile_name.setEnabled(False)
        self.manual_btn.setVisible(True)
        self.message.setText(f"{rep.format_reason}. CommitDesk's importer for this format reads {used} of its "
                             f"{len(f.columns)} columns as shown (the others are not used). To read the file "
                             "with a mapping of your own instead, press Map columns myself.")

    def roles_shown(self) -> dict[str, str]:
        """Column -> what the view says is done with it (read-only view), for tests and export."""
        return {self.table.item(r, 0).text(): self.table.item(r, 1).text() for r in range(self.table.rowCount())
                if self.read_only}

    def current_mapping(self) -> dict[str, str]:
        if self.read_only:
            return {}
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
        if self._file is not None:
            self._file.profile_name = name
        self.message.setText(f"Saved profile {name!r}; files of this shape will use it by themselves.")
