"""The source rows under a daily usage table: the file rows behind the selected rollup row of a
workspace, paged from its Parquet (desktop/ui/models/paged.py), off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from desktop.ui.models.paged import PagedUsageModel


class SourceRowsPanel(QWidget):
    """Shows nothing until ``show_rollup_row`` names a rollup row of ``rows`` (a UsageRows)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        lay.addWidget(self.label)
        self.view = QTableView()
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.verticalHeader().setDefaultSectionSize(22)
        lay.addWidget(self.view, 1)
        # never what sets the page's minimum height (every page fits a 1280x720 screen)
        self.view.setMinimumHeight(0)
        self.label.setMinimumHeight(0)
        self.setMinimumHeight(0)
        self.model: PagedUsageModel | None = None
        self._rows = None
        self.setVisible(False)

    def minimumSizeHint(self) -> QSize:
        # the splitter above collapses it; its word-wrapped label's height for a narrow width must
        # not become the Usage page's minimum (every page fits a 1280x720 screen)
        return QSize(0, 0)

    def set_rows(self, rows) -> None:
        """The workspace's usage rows (None: an analysis of files, whose table holds its rows)."""
        if rows is self._rows:
            return
        self.shutdown()
        self._rows = rows
        self.setVisible(rows is not None)
        if rows is not None:
            self.model = PagedUsageModel(rows, parent=self)
            self.model.countChanged.connect(self._counted)
            self.view.setModel(self.model)
            self._label = ""
            self.label.setText("Source rows: counting ...")

    def show_rollup_row(self, rollup_row: int, label: str = "") -> None:
        if self.model is None or self._rows is None:
            return
        self._label = label
        self.model.set_filters(self._rows.key_filters(rollup_row))

    def _counted(self, n: int) -> None:
        if self._label:
            self.label.setText(f"Source rows of {self._label}: {n:,} (read from the workspace as you scroll)")
        else:
            self.label.setText(f"All {n:,} source rows (read from the workspace as you scroll; select a row "
                               "above to see the file rows it adds up)")

    def shutdown(self) -> None:
        if self.model is not None:
            self.model.shutdown()
            self.view.setModel(None)
            self.model.deleteLater()
            self.model = None
