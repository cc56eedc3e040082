"""A lazy table model over the workspace's usage rows where they lie (Parquet through DuckDB:
desktop/store/usage_db.UsageRows): it holds only the pages of rows that were on screen.

``rowCount`` is the number of rows the current query gives (counted in a worker); ``data`` asks
for the page holding a row and shows an empty cell until it lands; pages are fetched off the GUI
thread (desktop/ui/workers.TaskRunner), the most recently wanted page first, and kept in a small
LRU. Unsorted and unfiltered, a page is read by its position in the Parquet files (each file's
row count from its footer; DuckDB reads only the row groups holding the page). Sorting, the text
filter and column filters are pushed down to DuckDB (``sort``, ``set_text_filter``,
``set_filters``) and computed ONCE per query in a worker, with progress and cancel
(``UsageRows.materialize``: the rows in order, written to a Parquet file), whose pages are then
read by position too; until it is done the rows show as placeholders, and a cancel brings back
the query before it. The model never sorts or filters rows itself, so its memory and its
GUI-thread work do not grow with the row count.

A view never shows this model directly: Qt's item views keep pixel positions in 32-bit ints, so
a table of more than about 10^8 rows (2^31 pixels at 22 per row) overflows and paints every
section. ``RowWindow`` shows the rows on screen (``top`` .. ``top + size``) and a scroll bar of
its own (desktop/ui/source_rows.py) moves ``top`` over the whole count.

What the table models of the app offer, this one offers too: ``filters()``-style chips come from
the page (the filters are plain ``usage_db.Filter`` values), ``to_rows`` gives the header and the
formatted rows for copy and export (bounded by EXPORT_LIMIT rows, Excel's sheet size),
``RAW_ROLE`` the value as exported.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from desktop.store.usage_db import Filter, Result, UsageRows
from desktop.ui import fmt
from desktop.ui.models.table import RAW_ROLE
from desktop.ui.workers import TaskRunner

PAGE_ROWS = 200
MAX_PAGES = 64  # pages kept (12,800 rows)
EXPORT_LIMIT = 1_048_575  # rows of one Excel sheet below its header
_MICRO = Decimal(1_000_000)
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_ROLES = frozenset((_DISPLAY, _ALIGN, int(RAW_ROLE)))

# (column, title, kind): kind text | micros | date | float | int | bool
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("date", "Date", "date"), ("vendor", "Vendor", "text"), ("model", "Model", "text"),
    ("token_kind", "Token kind", "text"), ("meter", "Meter", "text"), ("quantity", "Quantity", "float"),
    ("cost", "Cost", "micros"), ("currency", "Currency", "text"), ("team", "Team", "text"),
    ("project", "Project", "text"), ("cost_center", "Cost center", "text"),
    ("environment", "Environment", "text"), ("workload", "Workload", "text"),
    ("contract_id", "Contract", "text"), ("commit_eligible", "Commit eligible", "bool"),
    ("_file", "File", "text"), ("_row", "Row", "int"),
)
TEXT_SEARCH = ("vendor", "model", "token_kind", "meter", "team", "project", "cost_center", "environment",
               "workload", "contract_id", "_file")


class PagedUsageModel(QAbstractTableModel):
    """See the module docstring."""

    countChanged = Signal(int)  # the rows of the current query are counted (rowCount)
    pageLoaded = Signal(int)  # a page of rows landed (its first row)
    failed = Signal(str)
    queryProgress = Signal(float, str)  # a sort or filter being computed (fraction, text)
    queryBusy = Signal(bool)  # a sort or filter is being computed (its rows show as placeholders)
    queryCancelled = Signal()  # it was cancelled: the query before it is back

    def __init__(self, rows: UsageRows, columns: Sequence[tuple[str, str, str]] = COLUMNS, parent=None):
        super().__init__(parent)
        self._rows = rows
        self._cols = list(columns)
        self._align = [int((Qt.AlignmentFlag.AlignRight if k in ("micros", "float", "int") else Qt.AlignmentFlag.AlignLeft)
                           | Qt.AlignmentFlag.AlignVCenter) for _, _, k in self._cols]
        self._filters: list[Filter] = []
        self._text = ""
        self._order: list[tuple[str, bool]] = []
        # the query whose rows are shown: (filters, text, order) and where its rows are read
        # (None: the rows as stored; else a usage_db.Result computed once by the query runner)
        self._shown: tuple[list[Filter], str, list[tuple[str, bool]]] | None = None
        self._source: Result | None = None
        self._shown_count = 0
        self._count = 0
        self._counted = False
        self._pages: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()
        self._wanted: list[int] = []  # pages asked for and not loaded, most recent last
        self._loading: int | None = None
        self._last_wanted = -1  # a paint asks for one page per cell: asked once
        self._generation = 0  # bumped by every new query: pages of an older query never land
        self._lock = threading.Lock()
        # counts the rows, or computes a sorted/filtered query once (progress, cancel)
        self.count_runner = TaskRunner("counting rows", self)
        self.count_runner.finished.connect(self._query_done)
        self.count_runner.failed.connect(self._query_failed)
        self.count_runner.cancelled.connect(self._query_cancelled)
        self.count_runner.progress.connect(self.queryProgress)
        self.page_runner = TaskRunner("reading rows", self)
        self.page_runner.finished.connect(self._page_landed)
        self.page_runner.failed.connect(self._page_failed)
        self._run_query()

    # --- the query -------------------------------------------------------------------------
    @property
    def query(self) -> dict[str, Any]:
        return {"filters": list(self._filters), "text": self._text, "text_columns": list(TEXT_SEARCH)}

    @property
    def column_keys(self) -> list[str]:
        return [c for c, _, _ in self._cols]

    @property
    def order(self) -> list[tuple[str, bool]]:
        return list(self._order)

    @property
    def busy(self) -> bool:
        """A sort or filter is being computed."""
        return self.count_runner.busy

    def set_filters(self, filters: Sequence[Filter]) -> None:
        self._filters = list(filters)
        self._run_query()

    def set_text_filter(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self._run_query()

    def filters(self) -> list[Filter]:
        return list(self._filters)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by a column: computed once off the GUI thread (``count_runner``, with progress
        and cancel); the rows show as placeholders until it is done. A cancel brings back the
        order before it."""
        if not 0 <= column < len(self._cols):
            return
        self._order = [(self._cols[column][0], order == Qt.SortOrder.DescendingOrder)]
        self._run_query(same_rows=True)

    def clear_sort(self) -> None:
        if self._order:
            self._order = []
            self._run_query(same_rows=True)

    def cancel(self) -> None:
        """Stop the sort or filter being computed (the query before it is shown again)."""
        self.count_runner.cancel()

    def _drop_pages(self) -> None:
        with self._lock:
            self._generation += 1
            self._pages.clear()
            self._wanted.clear()
            self._loading = None
            self._last_wanted = -1
        self.page_runner.cancel(quiet=True)

    def _run_query(self, same_rows: bool = False) -> None:
        """Start computing the current query. ``same_rows`` (a new order): the count stays and
        the rows show as placeholders until the sorted rows are there; otherwise (a filter) the
        table is empty until they are counted."""
        if same_rows and self._counted:
            self._drop_pages()
            if self._count:
                self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(self._cols) - 1))
                self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, self._count - 1)
        else:
            self.beginResetModel()
            self._count, self._counted = 0, False
            self._drop_pages()
            self.endResetModel()
        rows, q, order = self._rows, self.query, list(self._order)
        cols = [c for c, _, _ in self._cols]
        want = (list(self._filters), self._text, order)
        plain = not q["filters"] and not q["text"].strip() and not order

        if plain:
            def job(_p):
                return want, None, rows.count()
            label = "counting rows"
        else:
            def job(p):
                res = rows.materialize(cols, filters=q["filters"], text=q["text"], text_columns=q["text_columns"],
                                       order=order, progress=p)
                return want, res, res.rows
            label = f"sorting rows by {self._title(order[0][0])}" if order else "filtering rows"
        self.count_runner.start(job, label)
        self.queryBusy.emit(True)

    def _title(self, column: str) -> str:
        return next((t for c, t, _ in self._cols if c == column), column)

    def _query_done(self, payload) -> None:
        shown, source, n = payload
        self._shown, self._source, self._shown_count = shown, source, int(n)
        self._drop_pages()
        if self._counted and int(n) == self._count:
            if self._count:  # the same rows in a new order: every cell again
                self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(self._cols) - 1))
        else:
            self.beginResetModel()
            self._count, self._counted = int(n), True
            self.endResetModel()
        self._counted = True
        self.queryBusy.emit(False)
        self.countChanged.emit(self._count)

    def _query_failed(self, exc) -> None:
        self._restore_shown()
        self.queryBusy.emit(False)
        self.failed.emit(str(exc))

    def _query_cancelled(self) -> None:
        """Back to the query whose rows were shown before (its rows are still where they were)."""
        self._restore_shown()
        self.queryBusy.emit(False)
        self.queryCancelled.emit()

    def _restore_shown(self) -> None:
        if self._shown is not None:
            self._filters, self._text, self._order = list(self._shown[0]), self._shown[1], list(self._shown[2])
            self._drop_pages()
            if not self._counted or self._count != self._shown_count:  # a filter had emptied the table
                self.beginResetModel()
                self._count, self._counted = self._shown_count, True
                self.endResetModel()
                self.countChanged.emit(self._count)
            elif self._count:
                self.dataChanged.emit(self.index(0, 0), self.index(self._count - 1, len(self._cols) - 1))

    # --- pages -----------------------------------------------------------------------------
    def _want(self, page: int) -> None:
        if not self._counted or self.count_runner.busy:
            return  # nothing to read yet: placeholders until the query is computed
        self._last_wanted = page
        with self._lock:
            if page in self._pages or page == self._loading:
                return
            if page in self._wanted:
                self._wanted.remove(page)
            self._wanted.append(page)
            del self._wanted[:-8]  # a fast scroll only needs where it stopped
        self._next()

    def _next(self) -> None:
        with self._lock:
            if self._loading is not None or not self._wanted:
                return
            page = self._wanted.pop()
            self._loading = page
            gen = self._generation
        rows, source = self._rows, self._source
        cols = [c for c, _, _ in self._cols]
        kinds = list(self._cols)

        def fetch(_p):
            if source is None:
                frame = rows.page(page * PAGE_ROWS, PAGE_ROWS, columns=cols)
            else:
                frame = rows.result_page(source, page * PAGE_ROWS, PAGE_ROWS, columns=cols)
            arrays = {c: frame[c].to_numpy() for c in cols}
            # formatted here, once per page, not on the GUI thread at every paint
            texts = [[display(k, v) for v in arrays[c]] for c, _, k in kinds]
            return gen, page, (arrays, texts)

        self.page_runner.start(fetch, "reading rows")

    def _page_failed(self, exc) -> None:
        with self._lock:
            self._loading = None
        self.failed.emit(str(exc))

    def _page_landed(self, payload) -> None:
        gen, page, arrays = payload
        with self._lock:
            if gen != self._generation:
                return
            self._loading = None
            self._pages[page] = arrays
            self._pages.move_to_end(page)
            while len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        first = page * PAGE_ROWS
        last = min(self._count, first + PAGE_ROWS) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self._cols) - 1))
        self.pageLoaded.emit(first)
        self._next()

    def _cell(self, row: int, col: int, text: bool = False) -> tuple[bool, Any]:
        """(loaded, value) of a cell: its raw value, or its text (formatted in the worker)."""
        page = self._pages.get(row // PAGE_ROWS)
        if page is None:
            if row // PAGE_ROWS != self._last_wanted:
                self._want(row // PAGE_ROWS)
            return False, None
        i = row % PAGE_ROWS
        arrays, texts = page
        if text:
            column = texts[col]
            return (True, column[i]) if i < len(column) else (False, None)
        arr = arrays[self._cols[col][0]]
        if i >= len(arr):
            return False, None
        return True, arr[i]

    def is_loaded(self, row: int) -> bool:
        return (row // PAGE_ROWS) in self._pages

    # --- Qt --------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._count

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._cols)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole:
            if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._cols):
                return self._cols[section][1]
            if orientation == Qt.Orientation.Vertical:
                return f"{section + 1:,}"
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY):
        if role not in _ROLES or not index.isValid():
            return None
        return self.value(index.row(), index.column(), role)

    def value(self, row: int, col: int, role: int = _DISPLAY):
        """``data`` of a cell by row and column (no QModelIndex: RowWindow asks for many)."""
        if role == _ALIGN:
            return self._align[col]
        if role == _DISPLAY:
            return self._cell(row, col, text=True)[1]
        if role == RAW_ROLE:
            ok, v = self._cell(row, col)
            return raw_value(self._cols[col][2], v) if ok else None
        return None

    # --- copy / export ---------------------------------------------------------------------
    def to_rows(self, limit: int = EXPORT_LIMIT) -> tuple[list[str], list[list[str]]]:
        """Header and formatted rows of the current query (sorted as shown), at most ``limit``,
        read from DuckDB page by page (call it off the GUI thread for big results)."""
        cols = [c for c, _, _ in self._cols]
        q = self.query
        source = self._source if self._shown == (q["filters"], q["text"], self._order) else None
        out: list[list[str]] = []
        step = 50_000
        offset = 0
        while offset < limit:
            if source is not None:  # the sorted/filtered rows computed once
                frame = self._rows.result_page(source, offset, min(step, limit - offset), columns=cols)
            else:
                frame = self._rows.page(offset, min(step, limit - offset), columns=cols, filters=q["filters"],
                                        text=q["text"], text_columns=q["text_columns"], order=self._order)
            if frame.empty:
                break
            arrays = [frame[c].to_numpy() for c in cols]
            kinds = [k for _, _, k in self._cols]
            out.extend([display(k, a[i]) for k, a in zip(kinds, arrays, strict=True)] for i in range(len(frame)))
            offset += len(frame)
            if len(frame) < step:
                break
        return [t for _, t, _ in self._cols], out

    # --- waiting (benchmarks, tests) ---------------------------------------------------------
    def wait_ready(self, timeout: float = 600.0) -> None:
        """Process events until the rows are counted."""
        deadline = time.monotonic() + timeout
        while (not self._counted or self.count_runner.busy) and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.001)

    def wait_rows(self, first: int, n: int, timeout: float = 600.0) -> None:
        """Ask for rows first..first+n and process events until their pages are in."""
        deadline = time.monotonic() + timeout
        while True:
            pages = range(first // PAGE_ROWS, (min(self._count, first + n) - 1) // PAGE_ROWS + 1)
            missing = [p for p in pages if p not in self._pages]
            if not missing or time.monotonic() >= deadline:
                return
            for p in missing:
                self._want(p)
            QCoreApplication.processEvents()
            time.sleep(0.001)

    def shutdown(self) -> None:
        self.count_runner.shutdown()
        self.page_runner.shutdown()


class RowWindow(QAbstractTableModel):
    """Rows ``top`` .. ``top + size`` of a PagedUsageModel, as rows 0 .. ``size`` (see the
    module docstring): what a table view shows of any number of rows. The vertical header says
    the rows' numbers in the whole query; sorting is the paged model's."""

    topChanged = Signal(int)

    def __init__(self, model: PagedUsageModel, parent=None):
        super().__init__(parent)
        self.source = model
        self._top = 0
        self._size = 40
        model.modelReset.connect(self._source_reset)
        model.dataChanged.connect(self._source_changed)
        model.headerDataChanged.connect(self._source_header)

    @property
    def top(self) -> int:
        return self._top

    @property
    def size(self) -> int:
        return self._size

    def max_top(self) -> int:
        return max(0, self.source.rowCount() - self._size + 1)

    def global_row(self, row: int) -> int:
        return self._top + row

    def set_size(self, size: int) -> None:
        """How many rows the view shows (its height in rows)."""
        size = max(1, int(size))
        if size != self._size:
            self.beginResetModel()
            self._size = size
            self._top = min(self._top, self.max_top())
            self.endResetModel()

    def set_top(self, top: int) -> None:
        """Show the rows from ``top`` (clamped to the rows there are)."""
        top = max(0, min(int(top), self.max_top()))
        if top == self._top:
            return
        before = self.rowCount()
        self._top = top
        after = self.rowCount()
        if after != before:
            self.beginResetModel()
            self.endResetModel()
        elif after:
            self.dataChanged.emit(self.index(0, 0), self.index(after - 1, self.columnCount() - 1))
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, after - 1)
        self.topChanged.emit(self._top)

    def _source_reset(self) -> None:
        self.beginResetModel()
        self._top = min(self._top, self.max_top())
        self.endResetModel()
        self.topChanged.emit(self._top)

    def _source_changed(self, first: QModelIndex, last: QModelIndex, roles=()) -> None:
        lo, hi = max(first.row(), self._top), min(last.row(), self._top + self.rowCount() - 1)
        if lo <= hi:
            self.dataChanged.emit(self.index(lo - self._top, first.column()),
                                  self.index(hi - self._top, last.column()))

    def _source_header(self, orientation: Qt.Orientation, first: int, last: int) -> None:
        if orientation == Qt.Orientation.Horizontal:
            self.headerDataChanged.emit(orientation, first, last)
        elif self.rowCount():
            self.headerDataChanged.emit(orientation, 0, self.rowCount() - 1)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else max(0, min(self._size, self.source.rowCount() - self._top))

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self.source.columnCount()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Vertical:
            section += self._top
        return self.source.headerData(section, orientation, role)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY):
        if role not in _ROLES or not index.isValid():
            return None
        return self.source.value(self._top + index.row(), index.column(), role)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.source.sort(column, order)


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v)


def display(kind: str, v: Any) -> str:
    if _missing(v):
        return ""
    if kind == "micros":
        return fmt.micros(int(v))
    if kind == "date":
        return fmt.day(pd.Timestamp(v).date())
    if kind == "int":
        return f"{int(v)}"
    if kind == "float":
        return fmt.quantity(float(v))
    if kind == "bool":
        return "yes" if bool(v) else "no"
    return str(v)


def raw_value(kind: str, v: Any) -> Any:
    if _missing(v):
        return None
    if kind == "micros":
        return Decimal(int(v)) / _MICRO
    if kind == "date":
        return pd.Timestamp(v).date()
    if kind == "int":
        return int(v)
    if kind == "float":
        return float(v)
    if kind == "bool":
        return bool(v)
    return str(v)
