"""A date field that takes typing where the analyst clicks.

Qt's QDateEdit puts the text cursor where the mouse lands; inside a full section ("2026") every
digit typed is then refused, so clicking the year and typing "2025" does nothing. Here a click
selects the whole section under the mouse, as spreadsheet and OS date fields do, so the digits
typed replace it. Dates are shown ISO (yyyy-MM-dd) with a calendar popup.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QDateEdit, QWidget


class DateEdit(QDateEdit):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")

        self.lineEdit().installEventFilter(self)

    def eventFilter(self, obj, event):
        if obj is self.lineEdit() and event.type() == QEvent.Type.MouseButtonPress \
                and event.button() == Qt.MouseButton.LeftButton:
            pos = self.lineEdit().cursorPositionAt(event.position().toPoint())
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.lineEdit().setCursorPosition(pos)  # moves currentSection to the one clicked
            self.setSelectedSection(self.currentSection())
            return True  # the section is selected: digits typed now replace it
        return super().eventFilter(obj, event)

    def focusInEvent(self, event):
        super().focusInEvent(event)
        if event.reason() != Qt.FocusReason.MouseFocusReason:
            self.setSelectedSection(self.currentSection())
