"""The wizard's question for a file that overlaps an earlier import (usage of a vendor on the same
days, or invoices with the same ids): replace the earlier import, keep both, or cancel (do not
import this file). The overlaps come from the store's one query (Workspace.overlaps, run in the
preview read); this widget only shows them and records the answer on the FileState."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QFrame, QLabel, QRadioButton, QVBoxLayout

from desktop.domain import palette
from desktop.ui.dialogs.import_wizard.files import OVERLAP_CHOICES, FileState

LABELS = {"replace": "Replace the earlier import (it is removed when this file is imported)",
          "keep": "Keep both (the overlapping days are counted twice, unless they are snapshots of one "
                  "provider export, of which the analysis keeps the later one)",
          "cancel": "Cancel: do not import this file"}


def question_text(f: FileState) -> str:
    """What the question says about ``f``'s overlaps (rich text)."""
    n = len({o.batch_id for o in f.overlaps})  # one batch may overlap for several vendors
    head = (f"<b>{html.escape(f.path.name)} overlaps {'an earlier import' if n == 1 else f'{n} earlier imports'}"
            "</b>: importing it as well would count the overlap twice.")
    items = "".join(f"<li>{html.escape(o.text)}</li>" for o in f.overlaps)
    return f"{head}<ul style='margin:2px 0 2px -20px'>{items}</ul>What should happen?"


class OverlapQuestion(QFrame):
    """Shown above the preview while the file has overlaps; ``answered(choice)`` after a click."""

    answered = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("overlapQuestion")
        edge = palette.ORANGE
        self.setStyleSheet(f"QFrame#overlapQuestion {{ border: 1px solid {edge}; border-left: 6px solid {edge};"
                           " border-radius: 3px; } QFrame#overlapQuestion QLabel, QFrame#overlapQuestion "
                           "QRadioButton { border: none; }")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 10, 8)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        lay.addWidget(self.label)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        for choice in OVERLAP_CHOICES:
            b = QRadioButton(LABELS[choice])
            self.group.addButton(b)
            self.buttons[choice] = b
            b.clicked.connect(lambda _=False, c=choice: self._chosen(c))
            lay.addWidget(b)
        self.file: FileState | None = None
        self.setVisible(False)

    def show_file(self, f: FileState | None) -> None:
        self.file = f
        if f is None or not f.overlaps or f.imported:
            self.setVisible(False)
            return
        self.label.setText(question_text(f))
        self.group.setExclusive(False)
        for choice, b in self.buttons.items():
            b.setChecked(f.overlap_choice == choice)
        self.group.setExclusive(True)
        self.setVisible(True)

    def choose(self, choice: str) -> None:
        """Answer as a click on that option would."""
        self.buttons[choice].click()

    def _chosen(self, choice: str) -> None:
        if self.file is not None:
            self.file.overlap_choice = choice
        self.answered.emit(choice)
