"""Small reusable widgets: the data table view, KPI tiles, section headers, chart slots, the
banner that says a page's figures are out of date, and the panel that shows imported rows as
they are when no figures could be computed."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QItemSelection, QItemSelectionModel, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFontMetrics, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QMenu,
    QPushButton,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette
from desktop.ui.models.table import Col, ColumnTableModel

if TYPE_CHECKING:  # pandas loads with the first frame, not with the window (start-up)
    import pandas as pd


def is_dark(widget: QWidget | None = None) -> bool:
    pal = widget.palette() if widget is not None else QGuiApplication.palette()
    return pal.color(QPalette.ColorRole.Window).lightness() < 128


def readable(hex_color: str, widget: QWidget | None = None) -> str:
    """``hex_color`` as text on the current window background: lightened on a dark palette
    until it has a contrast of at least 3:1 (WCAG large text), darkened on a light one."""
    pal = widget.palette() if widget is not None else QGuiApplication.palette()
    bg = pal.color(QPalette.ColorRole.Window).name().upper()
    c = QColor(hex_color)
    for _ in range(12):
        if palette.contrast_ratio(c.name().upper(), bg) >= 3.0:
            break
        c = c.lighter(115) if is_dark(widget) else c.darker(115)
    return c.name().upper()


def tint(hex_color: str, alpha: int = 60) -> QColor:
    c = QColor(hex_color)
    c.setAlpha(alpha)
    return c


class DataTable(QTableView):
    """A QTableView set up for large models: fixed row heights, sort in the model, no
    ResizeToContents; context menu with copy / export CSV / explain."""

    explainRequested = Signal(int, int)  # source row, column

    def __init__(self, model: ColumnTableModel | None = None, parent: QWidget | None = None,
                 explain_columns: Callable[[int], bool] | None = None):
        super().__init__(parent)
        self.table_model = model or ColumnTableModel(self)
        self.setModel(self.table_model)
        self.setSortingEnabled(True)
        self.horizontalHeader().setSortIndicatorShown(True)
        self.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setWordWrap(False)
        vh = self.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        vh.setVisible(False)
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self._explain_columns = explain_columns
        self.table_model.explain_columns = explain_columns
        copy = QAction("Copy", self)
        copy.setShortcut(QKeySequence.StandardKey.Copy)
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_selection)
        self.addAction(copy)
        self.table_model.columnsChanged.connect(self.fit_columns)

    def fit_columns(self) -> None:
        """Widths from the header and a sample of rows (never ResizeToContents on all rows)."""
        m = self.table_model
        fm = self.fontMetrics()
        if m.row_bold is not None and bool(m.row_bold.any()):
            f = self.font()
            f.setBold(True)
            fm = QFontMetrics(f)
        sample = min(m.rowCount(), 60)
        hf = self.horizontalHeader().font()
        hf.setBold(True)  # titles are semi-bold (app.qss); measure them as drawn
        hfm = QFontMetrics(hf)
        for c in range(m.columnCount()):
            col = m.columns[c]
            empty = col.kind == "text" and m.total_rows > 0 and bool((col.values < 0).all()
                                                                      if col.uniques is not None and len(col.uniques)
                                                                      else True)
            if col.kind == "text" and col.uniques is not None and len(col.uniques) == 1 and col.uniques[0] == "":
                empty = True
            title = str(m.headerData(c, Qt.Orientation.Horizontal) or "")
            w = hfm.horizontalAdvance(title) + 32  # + padding and the sort arrow's room (app.qss)
            for r in range(sample):
                text = m.data(m.index(r, c)) or ""
                w = max(w, fm.horizontalAdvance(str(text)) + 18)
            # width first, then hide: resizing a hidden section shows it again as a blank,
            # headerless gap (seen on the Invoices page's all-empty Contract column)
            if not empty:
                self.setColumnWidth(c, min(w, 320))
            self.setColumnHidden(c, empty)  # a column with nothing in it only costs width
        # stretch a trailing text column (notes, detail); a trailing number stays beside the others
        visible = [c for c in range(m.columnCount()) if not self.isColumnHidden(c)]
        last_text = bool(visible) and m.columns[visible[-1]].kind == "text"
        self.horizontalHeader().setStretchLastSection(last_text)

    def selected_source_rows(self) -> list[int]:
        rows = sorted({i.row() for i in self.selectionModel().selectedRows()})
        return [self.table_model.source_row(r) for r in rows]

    def select_source_rows(self, source_rows) -> int:
        """Select (and scroll to) the view rows showing these source rows; returns how many."""
        view = self.table_model.view_rows(source_rows)
        sel = QItemSelection()
        m = self.table_model
        last = m.columnCount() - 1
        for r in view.tolist():
            sel.select(m.index(r, 0), m.index(r, last))
        sm = self.selectionModel()
        sm.select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        if len(view):
            self.scrollTo(m.index(int(view[0]), 0), QAbstractItemView.ScrollHint.PositionAtCenter)
        return len(view)

    def copy_selection(self) -> None:
        """Ctrl+C: the selected cells as TSV + HTML (raw values; desktop.ui.exports)."""
        from desktop.ui import exports

        if self.selectionModel().selectedIndexes():
            exports.copy_cells(self)

    def export_csv(self, path: str | None = None) -> str | None:
        """The rows shown as CSV (raw values) at ``path`` (written at once), or through the
        save dialog and a worker when ``path`` is None (desktop.ui.exports)."""
        from desktop.ui import exports

        if path is None:
            exports.exports_of(self).export("csv")
            return None
        return str(exports.write_csv(path, exports.visible_columns(self), self.table_model.export_rows()))

    def _menu(self, pos) -> None:
        menu = QMenu(self)
        index = self.indexAt(pos)
        if index.isValid() and self._explain_columns is not None and self._explain_columns(index.column()):
            src = self.table_model.source_row(index.row())
            act = menu.addAction("Explain this number…")
            act.triggered.connect(lambda: self.explainRequested.emit(src, index.column()))
            menu.addSeparator()
        from desktop.ui import exports

        exports.add_table_actions(menu, self)  # Copy, Excel, CSV: raw values, one module
        menu.exec(self.viewport().mapToGlobal(pos))


class Tile(QFrame):
    """A KPI tile: caption, big value, a line of detail; clickable; optional colour stripe."""

    clicked = Signal()

    def __init__(self, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("tile")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 10, 14, 10)
        lay.setSpacing(2)
        self.caption = QLabel(caption)
        self.caption.setObjectName("tileCaption")
        self.value = QLabel("—")
        self.value.setObjectName("tileValue")
        f = self.value.font()
        f.setPointSizeF(f.pointSizeF() * 1.7)
        f.setBold(True)
        self.value.setFont(f)
        self.detail = QLabel("")
        self.detail.setObjectName("tileDetail")
        self.detail.setWordWrap(True)
        lay.addWidget(self.caption)
        lay.addWidget(self.value)
        lay.addWidget(self.detail)
        self._accent: str | None = None

    def set(self, value: str, detail: str = "", accent: str | None = None, tooltip: str = "") -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.setToolTip(tooltip)
        self._accent = accent
        border = accent or palette.LIGHT_GREY
        self.setStyleSheet(
            f"QFrame#tile {{ border: 1px solid {palette.LIGHT_GREY}; border-left: 6px solid {border};"
            f" border-radius: 4px; }}"
        )

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.clicked.emit()
        super().mouseReleaseEvent(event)


def heading(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setObjectName("heading")
    f = lab.font()
    f.setBold(True)
    f.setPointSizeF(f.pointSizeF() * 1.15)
    lab.setFont(f)
    return lab


def note(text: str = "") -> QLabel:
    lab = QLabel(text)
    lab.setObjectName("note")
    lab.setWordWrap(True)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lab


class Badge(QLabel):
    """A coloured pill with readable text (black/white by contrast)."""

    def __init__(self, text: str = "", color: str = palette.GREY, parent: QWidget | None = None):
        super().__init__(parent)
        self.set(text, color)

    def set(self, text: str, color: str) -> None:
        self.setText(text)
        fg = palette.text_on(color)
        self.setStyleSheet(f"QLabel {{ background: {color}; color: {fg}; border-radius: 8px;"
                           f" padding: 2px 8px; font-weight: bold; }}")


def make_chart(name: str, parent: QWidget | None = None, min_height: int = 240) -> QWidget:
    """The chart widget ``desktop.ui.charts.<name>`` with a minimum height for the page layout."""
    from desktop.ui import charts  # pyqtgraph loads with the first chart

    w = getattr(charts, name)(parent)
    w.setMinimumHeight(min_height)
    return w


def feed_chart(widget: QWidget, which: str, *args) -> None:
    """Hand the analysis (or, for renewal, the scenario results) to a chart widget; the widget
    runs its builder from desktop.domain.charts and keeps its own switches working."""
    if which == "renewal":
        widget.set_scenarios(*args)
    else:
        widget.set_analysis(*args)


class Banner(QFrame):
    """A band across the top of a page saying that what it shows is not current.

    ``show_state("stale", headline, text, buttons, detail)``: red edge, e.g. "Figures out of
    date:" and the reason, with what to do on a second line (``detail``); ``"busy"``: blue edge
    ("Refreshing figures…"); ``None`` hides it. ``buttons`` are (label, callback) pairs shown at
    the right. The text can be selected and copied."""

    KINDS = {"stale": palette.VERMILLION, "busy": palette.BLUE}

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 10, 8)
        row.setSpacing(10)
        self.label = QLabel("")
        self.label.setObjectName("bannerText")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        row.addWidget(self.label, 1)
        self._buttons = QHBoxLayout()
        self._buttons.setSpacing(6)
        row.addLayout(self._buttons)
        self.kind: str | None = None
        self._plain = ""
        self.setVisible(False)

    def show_state(self, kind: str | None, headline: str = "", text: str = "",
                   buttons: Sequence[tuple[str, Callable[[], object]]] = (), detail: str = "") -> None:
        while self._buttons.count():
            w = self._buttons.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.kind = kind
        if kind is None:
            self._plain = ""
            self.label.setText("")
            self.setVisible(False)
            return
        edge = self.KINDS[kind]
        dark = is_dark(self)
        window = self.palette().color(QPalette.ColorRole.Window).name()
        fill = palette.mix(edge, window, 0.78) if dark else palette.mix(edge, "#FFFFFF", 0.86)
        head = readable(edge, self) if dark else palette.mix(edge, palette.BLACK, 0.3)
        self.setStyleSheet(
            f"QFrame#banner {{ background: {fill}; border: 1px solid {palette.mix(edge, window, 0.5)};"
            f" border-left: 6px solid {edge}; border-radius: 3px; }}"
            f" QFrame#banner QLabel {{ background: transparent; border: none; }}")
        self._plain = " ".join(t for t in (headline, text, detail) if t)
        second = f"<br>{html.escape(detail)}" if detail else ""
        self.label.setText(f"<b style='color:{head}'>{html.escape(headline)}</b> {html.escape(text)}{second}")
        self.label.setToolTip(self._plain)
        for title, callback in buttons:
            b = QPushButton(title)
            b.setAutoDefault(False)
            b.clicked.connect(lambda _=False, f=callback: f())
            self._buttons.addWidget(b)
        self.setVisible(True)

    def text(self) -> str:
        """The banner's words as plain text ("" when hidden)."""
        return self._plain

    def button_titles(self) -> list[str]:
        return [self._buttons.itemAt(i).widget().text() for i in range(self._buttons.count())
                if self._buttons.itemAt(i).widget() is not None]

    def click(self, title: str) -> None:
        for i in range(self._buttons.count()):
            w = self._buttons.itemAt(i).widget()
            if isinstance(w, QPushButton) and w.text() == title:
                w.click()
                return
        raise KeyError(title)


def _title(name: str) -> str:
    words = name.lstrip("_").removesuffix("_id").replace("_pct", " %").replace("_", " ")
    return words[:1].upper() + words[1:]


def frame_columns(frame: pd.DataFrame, table: str) -> list[Col]:
    """Display columns of a canonical input table as imported (desktop.domain.tables types:
    money as micros, dates, numbers, text), then the file and row each came from. Pure: runs in
    a worker for a million usage rows."""
    import pandas as pd

    from desktop.domain import tables

    spec = tables.SPECS[table]
    cols: list[Col] = []
    for c in spec.columns:
        if c.name not in frame.columns:
            continue
        v = frame[c.name]
        title = _title(c.name)
        if c.kind == "money":
            cols.append(Col(title, "micros", v.to_numpy(dtype=np.int64, na_value=0), key=c.name))
        elif c.kind == "date":
            cols.append(Col.date(title, v.to_numpy(dtype="datetime64[ns]"), key=c.name))
        elif c.kind == "float":
            cols.append(Col(title, "qty", v.to_numpy(dtype=np.float64, na_value=np.nan), key=c.name))
        elif c.kind == "int":
            cols.append(Col(title, "int", v.to_numpy(dtype=np.int64, na_value=0), key=c.name))
        elif c.kind == "bool":
            cols.append(Col.text(title, pd.Series(np.where(v.to_numpy(dtype=bool), "yes", "no")), key=c.name))
        else:
            cols.append(Col.text(title, v.astype("string"), key=c.name))
    if "_file" in frame.columns:
        cols.append(Col.text("File", frame["_file"].astype("string"), key="_file"))
    if "_row" in frame.columns:
        cols.append(Col("Row", "int", frame["_row"].to_numpy(dtype=np.int64, na_value=0), key="_row"))
    return cols


class InputsPanel(QWidget):
    """In place of a page whose figures could not be computed: a heading, a line saying what
    the rows are, and the rows themselves (or only the line, for a page with no input table)."""

    def __init__(self, title: str, parent: QWidget | None = None, with_table: bool = True):
        super().__init__(parent)
        self.setObjectName("inputsPanel")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 12)
        self.heading = heading(title)
        lay.addWidget(self.heading)
        self.note = note("")
        lay.addWidget(self.note)
        self.table = DataTable() if with_table else None
        if self.table is not None:
            lay.addWidget(self.table, 1)
        else:
            lay.addStretch(1)

    def set_rows(self, cols: list[Col], text: str) -> None:
        self.note.setText(text)
        if self.table is not None:
            self.table.table_model.set_columns(cols)  # the table fits its columns to them

    def mark_row(self, file: str | None, row: int | None) -> int:
        """Shade (and scroll to) the row that came from ``file`` row ``row``, e.g. the row a
        failure names; returns how many rows matched."""
        if self.table is None or not file or row is None:
            return 0
        m = self.table.table_model
        try:
            files, rows = m.col("_file"), m.col("_row")
        except KeyError:
            return 0
        codes = np.flatnonzero(files.uniques == file) if files.uniques is not None else np.array([], dtype=int)
        hit = np.isin(files.values, codes) & (rows.values == int(row)) if len(codes) else \
            np.zeros(m.total_rows, dtype=bool)
        m.palette = [tint(palette.VERMILLION, 70)]
        m.row_colors = np.where(hit, 0, -1).astype(np.int8)
        found = np.flatnonzero(hit)
        if len(found):
            self.table.select_source_rows(found.tolist())
        return len(found)

    def apply_filter(self, text: str) -> None:
        if self.table is not None:
            self.table.table_model.set_text_filter(text)


class FlowLayout(QLayout):
    """Widgets left to right, wrapping onto the next line when the width runs out (the filter
    chips: many chips never widen the window, they take another line)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6):
        super().__init__(parent)
        self._items: list = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:  # Qt naming
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):  # Qt naming
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):  # Qt naming
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):  # Qt naming
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:  # Qt naming
        return True

    def heightForWidth(self, width: int) -> int:  # Qt naming
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect) -> None:  # Qt naming
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self):  # Qt naming
        return self.minimumSize()

    def minimumSize(self):  # Qt naming
        w = max((it.minimumSize().width() for it in self._items), default=0)
        h = max((it.sizeHint().height() for it in self._items), default=0)
        return QSize(w, h)

    def _place(self, rect, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        for it in self._items:
            hint = it.sizeHint()
            if x + hint.width() > rect.right() + 1 and line > 0:
                x, y, line = rect.x(), y + line + self._spacing, 0
            if move:
                it.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line = max(line, hint.height())
        return y + line - rect.y()


class FilterChips(QWidget):
    """The filters of one page as chips, always visible above it: "Vendor: OpenAI ×", "Text
    contains “gpt” ×", "Chart point: … ×"; a chip's × removes that filter, "Clear page" all of
    this page's, "Clear all pages" every page's (Session.clear_all_filters). Without filters it
    says that everything is shown."""

    def __init__(self, page, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("filterChips")
        self.page = page
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(6)
        self.label = QLabel("Filters:")
        self.row.addWidget(self.label)
        self.none = QLabel("none: everything is shown")
        self.none.setEnabled(False)
        self.row.addWidget(self.none)
        self.chips: dict[str, QToolButton] = {}
        box = QWidget()
        box.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        pol = box.sizePolicy()
        pol.setHeightForWidth(True)
        box.setSizePolicy(pol)
        self._chip_row = FlowLayout(box)
        self.row.addWidget(box, 1)
        self.clear_page = QToolButton()
        self.clear_page.setText("Clear page")
        self.clear_page.setToolTip("Remove every filter of this page")
        self.clear_page.clicked.connect(page.clear_filters)
        self.clear_all = QToolButton()
        self.clear_all.setText("Clear all pages")
        self.clear_all.setToolTip("Remove the filters of every page (Edit > Clear filters on every page)")
        self.clear_all.clicked.connect(page.session.clear_all_filters)
        for b in (self.clear_page, self.clear_all):
            b.setAutoRaise(True)  # a line of text as high as a chip, not a full button
            self.row.addWidget(b)
        page.filtersChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        items = self.page.filters()
        for chip in self.chips.values():
            chip.deleteLater()
        self.chips = {}
        for key, text in items:
            chip = QToolButton()
            chip.setObjectName("filterChip")
            shown = text if len(text) <= 80 else text[:79] + "…"
            chip.setText(f"{shown}  ✕")
            chip.setToolTip(f"{text}\nClick to remove this filter")
            chip.setAccessibleName(f"Remove filter: {text}")
            chip.setAutoRaise(False)
            chip.clicked.connect(lambda _=False, k=key: self.page.remove_filter(k))
            self._chip_row.addWidget(chip)
            self.chips[key] = chip
        self.none.setVisible(not items)
        self.clear_page.setEnabled(bool(items))

    def texts(self) -> list[str]:
        """The chips' texts, in order (what the analyst reads)."""
        return [text for _key, text in self.page.filters()]
