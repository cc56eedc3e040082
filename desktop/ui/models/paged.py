"""A lazy table model over the workspace's usage rows where they lie (Parquet through DuckDB:
desktop/store/usage_db.UsageRows): it holds only the pages of rows that were on screen.

``rowCount`` is the number of rows the current query gives (counted in a worker); ``data`` asks
for the page holding a row and shows an empty cell until it lands; pages are fetched off the GUI
thread (desktop/ui/workers.TaskRunner), the most recently wanted page first, and kept in a small
LRU. Sorting, the text filter and column filters are pushed down to DuckDB (``sort``,
``set_text_filter``, ``set_filters``): the model never sorts or filters rows itself, so its
memory and its GUI-thread work do not grow with the row count.

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

from desktop.store.usage_db import Filter, UsageRows
from desktop.ui import fmt
from desktop.ui.models.table import RAW_ROLE
from desktop.ui.workers import TaskRunner

PAGE_ROWS = 200
MAX_PAGES = 64  # pages kept (12,800 rows)
EXPORT_LIMIT = 1_048_575  # rows of one Excel sheet below its header
_MICRO = Decimal(1_000_000)

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

    def __init__(self, rows: UsageRows, columns: Sequence[tuple[str, str, str]] = COLUMNS, parent=None):
        super().__init__(parent)
        self._rows = rows
        self._cols = list(columns)
        self._filters: list[Filter] = []
        self._text = ""
        self._order: list[tuple[str, bool]] = []
        self._count = 0
        self._counted = False
        self._pages: OrderedDict[int, dict[str, np.ndarray]] = OrderedDict()
        self._wanted: list[int] = []  # pages asked for and not loaded, most recent last
        self._loading: int | None = None
        self._generation = 0  # bumped by every new query: pages of an older query never land
        self._lock = threading.Lock()
        self.count_runner = TaskRunner("counting rows", self)
        self.count_runner.finished.connect(self._counted_rows)
        self.count_runner.failed.connect(lambda exc: self.failed.emit(str(exc)))
        self.page_runner = TaskRunner("reading rows", self)
        self.page_runner.finished.connect(self._page_landed)
        self.page_runner.failed.connect(lambda exc: self.failed.emit(str(exc)))
        self._recount()

    # --- the query -------------------------------------------------------------------------
    @property
    def query(self) -> dict[str, Any]:
        return {"filters": list(self._filters), "text": self._text, "text_columns": list(TEXT_SEARCH)}

    def set_filters(self, filters: Sequence[Filter]) -> None:
        self._filters = list(filters)
        self._recount()

    def set_text_filter(self, text: str) -> None:
        if text != self._text:
            self._text = text
            self._recount()

    def filters(self) -> list[Filter]:
        return list(self._filters)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._cols):
            return
        self.beginResetModel()
        self._order = [(self._cols[column][0], order == Qt.SortOrder.DescendingOrder)]
        self._drop_pages()
        self.endResetModel()

    def _drop_pages(self) -> None:
        with self._lock:
            self._generation += 1
            self._pages.clear()
            self._wanted.clear()
            self._loading = None
        self.page_runner.cancel(quiet=True)

    def _recount(self) -> None:
        self.beginResetModel()
        self._count, self._counted = 0, False
        self._drop_pages()
        self.endResetModel()
        rows, q = self._rows, self.query
        self.count_runner.start(lambda _p: rows.count(q["filters"], q["text"], q["text_columns"]), "counting rows")

    def _counted_rows(self, n: int) -> None:
        self.beginResetModel()
        self._count, self._counted = int(n), True
        self.endResetModel()
        self.countChanged.emit(self._count)

    # --- pages -----------------------------------------------------------------------------
    def _want(self, page: int) -> None:
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
        rows, q, order = self._rows, self.query, list(self._order)
        cols = [c for c, _, _ in self._cols]

        def fetch(_p):
            frame = rows.page(page * PAGE_ROWS, PAGE_ROWS, columns=cols, filters=q["filters"], text=q["text"],
                              text_columns=q["text_columns"], order=order)
            return gen, page, {c: frame[c].to_numpy() for c in cols}

        self.page_runner.start(fetch, "reading rows")

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

    def _cell(self, row: int, col: int) -> tuple[bool, Any]:
        page = self._pages.get(row // PAGE_ROWS)
        if page is None:
            self._want(row // PAGE_ROWS)
            return False, None
        arr = page[self._cols[col][0]]
        i = row % PAGE_ROWS
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

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.TextAlignmentRole, RAW_ROLE):
            return None
        if not index.isValid():
            return None
        kind = self._cols[index.column()][2]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            right = kind in ("micros", "float", "int")
            return int((Qt.AlignmentFlag.AlignRight if right else Qt.AlignmentFlag.AlignLeft)
                       | Qt.AlignmentFlag.AlignVCenter)
        ok, v = self._cell(index.row(), index.column())
        if not ok:
            return None
        if role == RAW_ROLE:
            return raw_value(kind, v)
        return display(kind, v)

    # --- copy / export ---------------------------------------------------------------------
    def to_rows(self, limit: int = EXPORT_LIMIT) -> tuple[list[str], list[list[str]]]:
        """Header and formatted rows of the current query (sorted as shown), at most ``limit``,
        read from DuckDB page by page (call it off the GUI thread for big results)."""
        cols = [c for c, _, _ in self._cols]
        q = self.query
        out: list[list[str]] = []
        step = 50_000
        offset = 0
        while offset < limit:
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
        while not self._counted and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.001)

    def wait_rows(self, first: int, n: int, timeout: float = 600.0) -> None:
        """Ask for rows first..first+n and process events until their pages are in."""
        pages = range(first // PAGE_ROWS, (min(self._count, first + n) - 1) // PAGE_ROWS + 1)
        for p in pages:
            self._want(p)
        deadline = time.monotonic() + timeout
        while any(p not in self._pages for p in pages) and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.001)

    def shutdown(self) -> None:
        self.count_runner.shutdown()
        self.page_runner.shutdown()


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
