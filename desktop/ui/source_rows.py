"""The source rows under a daily usage table: the file rows behind the selected rollup row of a
workspace, paged from its Parquet (desktop/ui/models/paged.py), off the GUI thread.

The rows are shown through ``WindowedTable``: a table view of the rows on screen (a
``paged.RowWindow``) and a scroll bar of its own over the whole count, because Qt's item views
keep pixel positions in 32-bit ints and overflow beyond about 10^8 rows. Dragging the bar, the
wheel and the keys move the window; rows not read yet show empty until their page lands."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.ui.models.paged import PagedUsageModel, RowWindow

WHEEL_ROWS = 3  # rows one notch of the wheel moves


class WindowedTable(QWidget):
    """A QTableView over a ``RowWindow`` of a PagedUsageModel with its own vertical scroll bar
    over every row of the query (see the module docstring)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.view = QTableView()
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.scroll = QScrollBar(Qt.Orientation.Vertical)
        self.scroll.setRange(0, 0)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.scroll)
        self.window: RowWindow | None = None
        self._wheel = 0  # wheel angle not yet turned into rows (touchpads send small steps)
        self.scroll.valueChanged.connect(self._scrolled)
        # the view never scrolls itself: a scroll it makes (keys, a click on the half-shown last
        # row) moves the window instead
        self.view.verticalScrollBar().valueChanged.connect(self._inner_scrolled)
        self.view.viewport().installEventFilter(self)
        self.view.installEventFilter(self)

    def set_model(self, model: PagedUsageModel | None) -> None:
        old = self.window
        self.view.setModel(None)
        if old is not None:
            old.deleteLater()
        self.window = None
        self.scroll.setRange(0, 0)
        if model is None:
            return
        self.window = RowWindow(model, self)
        self.window.modelReset.connect(self._sync)
        self.window.topChanged.connect(self._top_changed)
        self.view.setModel(self.window)
        self._fit()

    # --- where the window is ------------------------------------------------------------------
    def rows_fitting(self) -> int:
        h = max(1, self.view.verticalHeader().defaultSectionSize())
        return max(1, self.view.viewport().height() // h + 1)  # the last one may show in part

    def _fit(self) -> None:
        if self.window is not None:
            self.window.set_size(self.rows_fitting())
            self._sync()

    def _sync(self) -> None:
        if self.window is None:
            return
        self.scroll.blockSignals(True)
        self.scroll.setRange(0, self.window.max_top())
        self.scroll.setPageStep(max(1, self.window.size - 1))
        self.scroll.setSingleStep(1)
        self.scroll.setValue(self.window.top)
        self.scroll.blockSignals(False)

    def scroll_to(self, row: int) -> None:
        """Show ``row`` of the query at the top (as far as there are rows below it)."""
        self.scroll.setValue(int(row))

    def _scrolled(self, value: int) -> None:
        if self.window is not None and value != self.window.top:
            self.view.clearSelection()
            self.window.set_top(value)

    def _top_changed(self, top: int) -> None:
        if self.scroll.value() != top:
            self.scroll.blockSignals(True)
            self.scroll.setValue(top)
            self.scroll.blockSignals(False)

    def _inner_scrolled(self, value: int) -> None:
        if value:
            bar = self.view.verticalScrollBar()
            bar.blockSignals(True)
            bar.setValue(0)
            bar.blockSignals(False)
            self.scroll.setValue(self.scroll.value() + value)

    # --- events -------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.view.viewport():
            if event.type() == QEvent.Type.Wheel:
                self._wheel += event.angleDelta().y()
                steps = int(self._wheel / 120 * WHEEL_ROWS)
                if steps:
                    self._wheel -= int(steps * 120 / WHEEL_ROWS)
                    self.scroll.setValue(self.scroll.value() - steps)
                return True
            if event.type() == QEvent.Type.Resize:
                self._fit()
        elif obj is self.view and event.type() == QEvent.Type.KeyPress:
            return self._key(event)
        return False

    def _key(self, event) -> bool:
        """Keys that leave the rows on screen move the window; the current row stays put."""
        if self.window is None:
            return False
        cur = self.view.currentIndex()
        row = cur.row() if cur.isValid() else 0
        last = max(0, self.window.rowCount() - 2)  # the last row wholly on screen
        key, ctrl = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        page = max(1, self.window.size - 1)
        move = None
        if key == Qt.Key.Key_Down and row >= last:
            move = 1
        elif key == Qt.Key.Key_Up and row == 0:
            move = -1
        elif key == Qt.Key.Key_PageDown:
            move = page
        elif key == Qt.Key.Key_PageUp:
            move = -page
        elif key == Qt.Key.Key_End and ctrl:
            move = self.window.max_top() - self.window.top
        elif key == Qt.Key.Key_Home and ctrl:
            move = -self.window.top
        if move is None:
            return False
        self.scroll.setValue(self.scroll.value() + move)
        if cur.isValid():
            self.view.setCurrentIndex(self.window.index(row, cur.column()))
        return True


class SourceRowsPanel(QWidget):
    """Shows nothing until ``show_rollup_row`` names a rollup row of ``rows`` (a UsageRows)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 0)
        top = QHBoxLayout()
        self.label = QLabel("")
        self.label.setWordWrap(True)
        top.addWidget(self.label, 1)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setToolTip("Stop the sort or filter being computed (the rows come back as they were)")
        self.cancel_btn.setVisible(False)
        top.addWidget(self.cancel_btn)
        lay.addLayout(top)
        self.table = WindowedTable()
        self.view = self.table.view
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.verticalHeader().setDefaultSectionSize(22)
        lay.addWidget(self.table, 1)
        # never what sets the page's minimum height (every page fits a 1280x720 screen)
        self.view.setMinimumHeight(0)
        self.table.setMinimumHeight(0)
        self.label.setMinimumHeight(0)
        self.setMinimumHeight(0)
        self.model: PagedUsageModel | None = None
        self._rows = None
        self._label = ""
        self._count_text = ""
        self.cancel_btn.clicked.connect(self._cancel)
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
            self.model.queryBusy.connect(self._busy)
            self.model.queryProgress.connect(self._progress)
            self.model.queryCancelled.connect(self._cancelled)
            self.model.failed.connect(lambda msg: self.label.setText(f"Source rows cannot be read: {msg}"))
            self.table.set_model(self.model)
            self._show_indicator()  # the rows come as stored: no column's sort arrow
            self._label = ""
            self.label.setText("Source rows: counting ...")

    def show_rollup_row(self, rollup_row: int, label: str = "") -> None:
        if self.model is None or self._rows is None:
            return
        self._label = label
        self.table.scroll_to(0)
        self.model.set_filters(self._rows.key_filters(rollup_row))

    def _counted(self, n: int) -> None:
        if self._label:
            text = f"Source rows of {self._label}: {n:,} (read from the workspace as you scroll)"
        else:
            text = (f"All {n:,} source rows (read from the workspace as you scroll; select a row "
                    "above to see the file rows it adds up)")
        self._count_text = text
        self.label.setText(text)

    def _busy(self, busy: bool) -> None:
        self.cancel_btn.setVisible(busy)
        if not busy and self._count_text:
            self.label.setText(self._count_text)

    def _progress(self, fraction: float, text: str) -> None:
        if self.model is not None and self.model.busy:
            self.label.setText(f"{text[:1].upper()}{text[1:]} ... {fraction:.0%} (the rows show when it is done)")

    def _cancel(self) -> None:
        if self.model is not None:
            self.model.cancel()

    def _cancelled(self) -> None:
        self._show_indicator()  # the order in force again
        self.label.setText((self._count_text + " - " if self._count_text else "") + "cancelled")

    def _show_indicator(self) -> None:
        """The header's sort arrow on the model's order in force (without sorting anything)."""
        if self.model is None:
            return
        header = self.view.horizontalHeader()
        header.blockSignals(True)
        header.setSortIndicator(*self._indicator())
        header.blockSignals(False)
        header.viewport().update()

    def _indicator(self) -> tuple[int, Qt.SortOrder]:
        """The header's sort indicator for the model's order in force."""
        order = self.model.order if self.model is not None else []
        if not order:
            return -1, Qt.SortOrder.AscendingOrder
        names = self.model.column_keys
        col, desc = order[0]
        return (names.index(col) if col in names else -1,
                Qt.SortOrder.DescendingOrder if desc else Qt.SortOrder.AscendingOrder)

    def shutdown(self) -> None:
        if self.model is not None:
            self.model.shutdown()
            self.table.set_model(None)
            self.model.deleteLater()
            self.model = None
