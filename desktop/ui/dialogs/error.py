"""The error dialog: a plain message, the details (traceback, log file) to copy."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout


class ErrorDialog(QDialog):
    def __init__(self, title: str, message: str, details: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 420 if details else 160)
        lay = QVBoxLayout(self)
        lab = QLabel(message)
        lab.setWordWrap(True)
        lay.addWidget(lab)
        self.details = QPlainTextEdit(details)
        self.details.setReadOnly(True)
        self.details.setVisible(bool(details))
        lay.addWidget(self.details, 1)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        if details:
            copy = QPushButton("Copy details")
            copy.clicked.connect(self.copy)
            bb.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        bb.rejected.connect(self.reject)
        bb.accepted.connect(self.accept)
        lay.addWidget(bb)
        self.message = message

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(f"{self.message}\n\n{self.details.toPlainText()}")
