"""A table model over numpy columns, with sorting and filtering inside the model.

Every column is a numpy array (text as factorized codes + uniques), so ``data()`` is an array
lookup plus a format for the few cells on screen: it never touches pandas (no ``iloc``) and
stays smooth at a million rows. Sorting and filtering build a permutation index ``_perm``
(view row -> source row); the arrays themselves never move.

A repaint asks ``data()`` for about seven roles per visible cell, so ``data()`` dispatches on
the role before it touches the index, answers the roles it does not use at once, and reads the
text through a formatter chosen once per column (``Col.formatter``) and an alignment computed
once per column. pandas and pyarrow are imported only by the calls that need them (a table of
a few strings, as the Overview paints at start-up, loads neither).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date as _date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.domain.progress import Progress
from desktop.ui import fmt
from desktop.ui.workers import TaskRunner

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

NUMERIC_KINDS = ("micros", "money", "float", "pct", "ratio", "int", "qty")

SOURCE_ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # source row index (int)
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # raw value
RAW_ROLE = Qt.ItemDataRole.UserRole + 3  # the value as exported: Decimal money, float ratio, date, int, str
_MICRO = Decimal(1_000_000)
TOOLTIP_FROM_CHARS = 30  # a text cell longer than this shows itself whole as its tooltip
# the roles as plain ints (data() compares the int Qt passes; no enum arithmetic per call)
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_EDIT = Qt.ItemDataRole.EditRole.value
_ALIGN = Qt.ItemDataRole.TextAlignmentRole.value
_BACKGROUND = Qt.ItemDataRole.BackgroundRole.value
_FONT = Qt.ItemDataRole.FontRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_SOURCE_ROW = SOURCE_ROW_ROLE.value if hasattr(SOURCE_ROW_ROLE, "value") else int(SOURCE_ROW_ROLE)
_SORT = SORT_ROLE.value if hasattr(SORT_ROLE, "value") else int(SORT_ROLE)
_RAW = RAW_ROLE.value if hasattr(RAW_ROLE, "value") else int(RAW_ROLE)
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
# every role data() answers; any other (decoration, check state, foreground, size hint...) is None
_USED_ROLES = frozenset({_DISPLAY, _EDIT, _ALIGN, _BACKGROUND, _FONT, _TOOLTIP, _SOURCE_ROW, _SORT, _RAW})


def _factorize(values: list) -> tuple[np.ndarray, list]:
    """Codes (first appearance order, -1 for a missing value: None, NaN, NA, NaT) and the
    distinct values of a list, as ``pd.factorize(..., use_na_sentinel=True)`` gives them, without
    pandas (a few strings need no pandas import)."""
    seen: dict = {}
    codes = np.empty(len(values), dtype=np.int32)
    for i, v in enumerate(values):
        if v is None or (isinstance(v, float) and v != v) or type(v).__name__ in ("NAType", "NaTType"):
            codes[i] = -1
            continue
        code = seen.get(v)
        if code is None:
            code = seen[v] = len(seen)
        codes[i] = code
    return codes, list(seen)


def _category_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A dictionary-encoded column's own codes (one or two bytes a row; -1 = NA) and its
    categories as the distinct strings: no string touched per row, no second array of codes.
    Categories no row uses are left out (a filter offers only values that are there), the codes
    then renumbered in the same narrow type."""
    codes = values.array.codes  # the Categorical's own array (read-only), not a copy
    u = np.array([str(x) for x in values.cat.categories], dtype=object)
    used = np.zeros(len(u), dtype=bool)
    used[codes[codes >= 0]] = True
    if used.all():
        return codes, u
    rank = np.full(len(u) + 1, -1, dtype=codes.dtype)  # rank[-1]: NA stays -1
    rank[np.flatnonzero(used)] = np.arange(int(used.sum()), dtype=codes.dtype)
    return rank[codes], u[used]


@dataclass
class Col:
    """One column: title, kind and its values as a numpy array.

    kinds: text (codes + uniques), micros (int64), money (Decimal objects, small tables),
    float, pct (ratio shown as %), ratio, int, qty (a quantity: its own decimals up to 4, fmt.quantity),
    date (datetime64[ns]).
    """

    title: str
    kind: str
    values: np.ndarray
    uniques: np.ndarray | None = None  # text: the distinct strings; values are int codes (-1 = empty)
    tooltip: str = ""
    key: str = ""  # stable name (for filters / explain)
    digits: int = 2
    editable: bool = False
    _sort_key: np.ndarray | None = field(default=None, repr=False)
    _folded: pa.Array | None = field(default=None, repr=False)

    # --- constructors ----------------------------------------------------------------------
    @classmethod
    def text(cls, title: str, values: Iterable[Any] | pd.Series, key: str = "", **kw) -> Col:
        pandas = sys.modules.get("pandas")
        if pandas is not None and isinstance(values, pandas.Series):
            if isinstance(values.dtype, pandas.CategoricalDtype):  # dictionary-encoded: its own codes
                codes, u = _category_codes(values)
                return cls(title, "text", codes, u, key=key or title, **kw)
            codes, uniques = pandas.factorize(values, use_na_sentinel=True)
        else:
            codes, uniques = _factorize(list(values))
        u = np.array([str(x) for x in uniques], dtype=object)
        return cls(title, "text", np.asarray(codes).astype(np.int32), u, key=key or title, **kw)

    @classmethod
    def micros(cls, title: str, values: Any, key: str = "", **kw) -> Col:
        return cls(title, "micros", np.asarray(values, dtype=np.int64), key=key or title, **kw)

    @classmethod
    def money(cls, title: str, values: Sequence[Decimal | None], key: str = "", **kw) -> Col:
        arr = np.empty(len(values), dtype=object)
        arr[:] = list(values)
        return cls(title, "money", arr, key=key or title, **kw)

    @classmethod
    def num(cls, title: str, values: Any, kind: str = "float", key: str = "", **kw) -> Col:
        arr = np.array([np.nan if v is None else float(v) for v in values], dtype=np.float64) \
            if not isinstance(values, np.ndarray) else values.astype(np.float64)
        return cls(title, kind, arr, key=key or title, **kw)

    @classmethod
    def ints(cls, title: str, values: Any, key: str = "", **kw) -> Col:
        return cls(title, "int", np.asarray(list(values), dtype=np.int64), key=key or title, **kw)

    @classmethod
    def date(cls, title: str, values: Any, key: str = "", **kw) -> Col:
        if isinstance(values, np.ndarray) and values.dtype.kind == "M":
            arr = values.astype("datetime64[ns]")
        elif isinstance(values, (list, tuple)) and all(v is None or (type(v) is _date and 1678 < v.year < 2262)
                                                        for v in values):
            # calendar dates (a schedule, periods) in nanosecond range: numpy reads them as pandas
            # would, without pandas (beyond the range pandas makes them blank, numpy would wrap)
            arr = np.array(values, dtype="datetime64[D]").astype("datetime64[ns]")
        else:
            import pandas as pd

            arr = pd.to_datetime(pd.Series(list(values) if not isinstance(values, pd.Series) else values),
                                 errors="coerce").to_numpy(dtype="datetime64[ns]")
        return cls(title, "date", arr, key=key or title, **kw)

    # --- values ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.values)

    def display(self, i: int) -> str:
        v = self.values[i]
        k = self.kind
        if k == "text":
            return "" if v < 0 else self.uniques[v]
        if k == "micros":
            return fmt.micros(v)
        if k == "money":
            return fmt.money(v)
        if k == "date":
            return "" if np.isnat(v) else str(v)[:10]
        if k == "int":
            return f"{int(v):,}"
        if np.isnan(v):
            return "—" if k in ("pct", "ratio") else ""
        if k == "pct":
            return fmt.pct(float(v), self.digits - 1 if self.digits > 1 else 1)
        if k == "ratio":
            return fmt.ratio(float(v))
        if k == "qty":
            return fmt.quantity(float(v))
        return fmt.number(float(v), self.digits)

    def raw(self, i: int) -> Any:
        v = self.values[i]
        if self.kind == "text":
            return None if v < 0 else self.uniques[v]
        return v

    def value(self, i: int) -> Any:
        """The raw value for exports (never parsed back from the display text): money as an
        exact Decimal (micros / 10^6, cents kept as computed), pct and ratio as the ratio (0.436
        for 43.6 %), int as int, float as float, date as datetime.date, text as str; an empty
        cell (no text, NaN, NaT, None) as None."""
        v = self.values[i]
        k = self.kind
        if k == "text":
            return None if v < 0 else str(self.uniques[v])
        if k == "micros":
            return Decimal(int(v)) / _MICRO
        if k == "money":
            return None if v is None else Decimal(v)
        if k == "date":
            import pandas as pd

            return None if np.isnat(v) else pd.Timestamp(v).date()
        if k == "int":
            return int(v)
        return None if np.isnan(v) else float(v)

    def formatter(self) -> Callable[[int], str]:
        """``display`` for this column as one function chosen once (the kind, the arrays and the
        format bound beforehand): what ``data()`` calls for every visible cell."""
        values, k = self.values, self.kind
        if k == "text":
            uniques = self.uniques

            def text(i: int) -> str:
                v = values[i]
                return "" if v < 0 else uniques[v]
            return text
        if k == "micros":
            micros = fmt.micros
            return lambda i: micros(values[i])
        if k in ("money", "date", "int"):
            return self.display
        isnan = np.isnan
        if k in ("pct", "ratio"):
            if k == "pct":
                pct, d = fmt.pct, (self.digits - 1 if self.digits > 1 else 1)

                def show(v: float) -> str:
                    return pct(v, d)
            else:
                show = fmt.ratio
            return lambda i: "—" if isnan(values[i]) else show(float(values[i]))
        if k == "qty":
            quantity = fmt.quantity
            return lambda i: "" if isnan(values[i]) else quantity(float(values[i]))
        number, digits = fmt.number, self.digits
        return lambda i: "" if isnan(values[i]) else number(float(values[i]), digits)

    def alignment(self) -> int | None:
        """The cell alignment of the column's kind (numbers right, the rest Qt's default)."""
        return _RIGHT if self.kind in NUMERIC_KINDS else None

    def sort_key(self) -> np.ndarray:
        if self._sort_key is None:
            if self.kind == "text":
                # casefolded, then as written: the same order whatever the codes' numbering
                order = np.array(sorted(range(len(self.uniques)),
                                        key=lambda i: (self.uniques[i].casefold(), self.uniques[i])), dtype=np.int64)
                rank = np.empty(len(self.uniques) + 1, dtype=np.int64)
                rank[0] = -1
                rank[order + 1] = np.arange(len(self.uniques))
                self._sort_key = rank[self.values.astype(np.int64) + 1]
            elif self.kind == "money":
                self._sort_key = np.array([np.nan if v is None else float(v) for v in self.values],
                                          dtype=np.float64)
            elif self.kind == "date":
                self._sort_key = self.values.astype("int64")
            else:
                self._sort_key = self.values
        return self._sort_key

    def folded(self) -> pa.Array:
        """The distinct strings casefolded (text columns; computed once, then cached)."""
        if self._folded is None:
            import pyarrow as pa

            self._folded = pa.array([u.casefold() for u in self.uniques], type=pa.large_string())
        return self._folded

    def matching_codes(self, needle: str) -> np.ndarray | None:
        """Per code (and a trailing False for code -1): does the value contain ``needle``
        (already casefolded)? None for non-text columns."""
        if self.kind != "text":
            return None
        if not len(self.uniques):
            return np.zeros(1, dtype=bool)
        import pyarrow.compute as pc

        hit = pc.match_substring(self.folded(), needle).to_numpy(zero_copy_only=False)
        return np.append(hit.astype(bool), False)

    def matches(self, needle: str) -> np.ndarray | None:
        """Rows whose text contains ``needle`` (casefolded), or None for non-text columns."""
        hit = self.matching_codes(needle)
        return None if hit is None else hit[self.values]  # code -1 indexes the trailing False

    def equals(self, value: str) -> np.ndarray:
        """Rows whose text equals ``value`` (casefolded)."""
        v = value.casefold()
        hit = np.array([u.casefold() == v for u in self.uniques] + [False], dtype=bool)
        return hit[self.values]


def view_order(cols: Sequence[Col], filters: dict[str, np.ndarray], text: str,
               sort: tuple[int, Qt.SortOrder] | None, order: np.ndarray | None = None,
               progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(view row -> source row, the full sorted order) for named masks (AND), a casefolded
    text (rows where any text column contains it) and a sort (column, order).

    Pure numpy over the columns' codes; ``order`` is the full sorted order of an earlier call
    with the same sort (reused: a filter then costs a gather, not a sort). ``progress`` is
    stepped between columns, so a cancel stops the work."""
    n = len(cols[0]) if cols else 0
    step = progress.step if progress is not None else (lambda *_: None)
    mask: np.ndarray | None = None
    for m in filters.values():
        mask = m.copy() if mask is None else (mask & m)
    if text:
        tm = np.zeros(n, dtype=bool)
        text_cols = [c for c in cols if c.kind == "text"]
        for i, c in enumerate(text_cols):
            step(0.8 * i / max(1, len(text_cols)), "Filtering rows")
            hit = c.matching_codes(text)
            if hit is None or not hit.any():
                continue
            tm |= hit[c.values]
        mask = tm if mask is None else (mask & tm)
    step(0.8, "Sorting rows")
    if sort is None or not cols:
        perm = np.arange(n, dtype=np.int64) if mask is None else np.flatnonzero(mask)
        return perm, None
    if order is None:
        col, direction = sort
        order = np.argsort(cols[col].sort_key(), kind="stable")
        if direction == Qt.SortOrder.DescendingOrder:
            order = order[::-1]
        order = np.ascontiguousarray(order, dtype=np.int64)
    perm = order if mask is None else order[mask[order]]
    return perm, order


class ColumnTableModel(QAbstractTableModel):
    """QAbstractTableModel over ``Col`` arrays with an in-model sort/filter permutation."""

    columnsChanged = Signal()  # new columns (set_columns), not a filter or sort
    filterApplied = Signal()  # the rows shown changed by a filter or a sort
    async_rows = 100_000  # from this many rows on, filters and sorts run in the worker

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cols: list[Col] = []
        self._formatters: list[Callable[[int], str]] = []  # per column: source row -> text
        self._align: list[int | None] = []  # per column: the alignment data() returns
        self._n = 0
        self._perm = np.zeros(0, dtype=np.int64)
        self._filters: dict[str, np.ndarray] = {}
        self._text = ""
        self._sort: tuple[int, Qt.SortOrder] | None = None
        self._order: tuple[tuple[int, Qt.SortOrder] | None, np.ndarray] | None = None  # sort -> full order
        self._runner: TaskRunner | None = None
        self.row_colors: np.ndarray | None = None  # int codes into palette (-1 = none)
        self.palette: list[QColor] = []
        self.row_bold: np.ndarray | None = None
        self.row_tooltips: Callable[[int], str] | None = None
        self.cell_colors: dict[int, Callable[[int], QColor | None]] = {}
        self.on_edit: Callable[[int, int, str], bool] | None = None  # (source_row, col, text) -> ok
        self.explain_columns: Callable[[int], bool] | None = None

    # --- content ---------------------------------------------------------------------------
    def set_columns(self, cols: list[Col]) -> None:
        n = len(cols[0]) if cols else 0
        for c in cols:
            if len(c) != n:
                raise ValueError(f"column {c.title!r} has {len(c)} rows, expected {n}")
        if self._runner is not None:
            self._runner.cancel(quiet=True)
        self.beginResetModel()
        self._cols = cols
        self._formatters = [c.formatter() for c in cols]
        self._align = [c.alignment() for c in cols]
        self._n = n
        self._filters = {}
        self._order = None
        self.row_colors = None
        self.row_bold = None
        if n >= self.async_rows and (self._text or self._sort is not None):
            self._perm = np.arange(n, dtype=np.int64)  # until the worker's order lands
        else:
            self._recompute(reset=False)
        self.endResetModel()
        self.columnsChanged.emit()
        if n >= self.async_rows and (self._text or self._sort is not None):
            self._recompute()

    @property
    def columns(self) -> list[Col]:
        return self._cols

    def column_index(self, key: str) -> int:
        for i, c in enumerate(self._cols):
            if c.key == key or c.title == key:
                return i
        raise KeyError(key)

    def col(self, key: str) -> Col:
        return self._cols[self.column_index(key)]

    @property
    def total_rows(self) -> int:
        return self._n

    # --- filtering / sorting ---------------------------------------------------------------
    # Filters and the sort build the permutation ``_perm`` with ``view_order`` (pure numpy). A
    # table of ``async_rows`` rows or more does that in a worker (desktop.ui.workers): the view
    # keeps showing the previous rows until the new permutation lands on the GUI thread, and a
    # newer filter or sort cancels the one in flight. ``filterApplied`` follows every change
    # of the permutation by a filter or a sort.

    @property
    def filter_busy(self) -> bool:
        """A filter or sort is being computed in the worker (its result not shown yet)."""
        return self._runner is not None and self._runner.busy

    @property
    def runner(self) -> TaskRunner:
        """The worker of this model's filters and sorts (created on first use)."""
        if self._runner is None:
            self._runner = TaskRunner("filter", self)
            self._runner.finished.connect(self._landed)
        return self._runner

    def set_filter(self, name: str, mask: np.ndarray | None) -> None:
        """A named boolean mask over source rows (None removes it); filters combine with AND."""
        self.set_filters({name: mask})

    def set_filters(self, masks: dict[str, np.ndarray | None]) -> None:
        """Several named masks at once (one recompute)."""
        for name, mask in masks.items():
            if mask is None:
                self._filters.pop(name, None)
            else:
                mask = np.asarray(mask, dtype=bool)
                if len(mask) != self._n:
                    raise ValueError("mask length differs from the row count")
                self._filters[name] = mask
        self._recompute()

    def set_text_filter(self, text: str) -> None:
        self._text = text.strip().casefold()
        self._recompute()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if column < 0 or column >= len(self._cols):
            self._sort = None
        else:
            self._sort = (column, order)
        self._recompute(layout=True)

    def _recompute(self, reset: bool = True, layout: bool = False) -> None:
        """New permutation from the filters and the sort: at once for a small table, in the
        worker from ``async_rows`` rows on (``reset=False``: inside set_columns' own reset)."""
        cols, filters, text, sort = self._cols, dict(self._filters), self._text, self._sort
        cached = self._order[1] if self._order is not None and self._order[0] == sort else None
        if reset and self._n >= self.async_rows:
            self.runner.start(lambda p: (cols, sort, *view_order(cols, filters, text, sort, cached, p)),
                              label="Filtering rows")
            return
        if self._runner is not None:
            self._runner.cancel(quiet=True)  # a result computed for older filters must not land
        perm, order = view_order(cols, filters, text, sort, cached)
        self._apply_perm(perm, sort, order, reset, layout)

    def _landed(self, payload) -> None:
        cols, sort, perm, order = payload
        if cols is self._cols:
            self._apply_perm(perm, sort, order, True, False)

    def _apply_perm(self, perm: np.ndarray, sort, order: np.ndarray | None, reset: bool, layout: bool) -> None:
        if order is not None:
            self._order = (sort, order)
        if not reset:
            self._perm = perm
            return
        if layout and len(perm) == len(self._perm):
            self.layoutAboutToBeChanged.emit()
            self._perm = perm
            self.layoutChanged.emit()
        else:
            self.beginResetModel()
            self._perm = perm
            self.endResetModel()
        self.filterApplied.emit()

    # --- mapping ---------------------------------------------------------------------------
    def source_row(self, view_row: int) -> int:
        return int(self._perm[view_row])

    def source_rows(self, view_rows: Iterable[int]) -> np.ndarray:
        return self._perm[np.fromiter(view_rows, dtype=np.int64)]

    def view_rows(self, source_rows: Iterable[int]) -> np.ndarray:
        """View rows (sorted) showing the given source rows (those filtered out are skipped)."""
        src = np.fromiter(source_rows, dtype=np.int64)
        return np.flatnonzero(np.isin(self._perm, src))

    def visible_source_rows(self) -> np.ndarray:
        return self._perm.copy()

    # --- Qt API ----------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._perm)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._cols)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._cols):
            c = self._cols[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return c.title
            if role == Qt.ItemDataRole.ToolTipRole:
                tip = c.tooltip or c.title
                if c.editable and self.on_edit is not None:
                    tip += " — double-click a cell to edit it (Ctrl+Z undoes)"
                if self.explain_columns is not None and self.explain_columns(section):
                    tip += " — right-click a figure to see how it was computed and its source rows"
                return tip
            if role == Qt.ItemDataRole.TextAlignmentRole:
                if c.kind in NUMERIC_KINDS:
                    return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return section + 1
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY):
        # the role first: most of the roles a repaint asks for are not used here and cost one
        # set lookup; the index is read only for the roles that need a row
        role = role if type(role) is int else int(getattr(role, "value", role))
        if role not in _USED_ROLES:
            return None
        if role == _DISPLAY or role == _EDIT:
            if not index.isValid():
                return None
            return self._formatters[index.column()](self._perm[index.row()])
        if role == _ALIGN:
            return self._align[index.column()] if index.isValid() else None
        if role == _BACKGROUND:
            if not self.cell_colors and self.row_colors is None or not index.isValid():
                return None
            return self._background(int(self._perm[index.row()]), index.column())
        if role == _FONT:
            if self.row_bold is None or not index.isValid():
                return None
            if self.row_bold[int(self._perm[index.row()])]:
                f = QFont()
                f.setBold(True)
                return f
            return None
        if not index.isValid():
            return None
        r = int(self._perm[index.row()])
        c = self._cols[index.column()]
        if role == _TOOLTIP:
            if self.row_tooltips is not None:
                return self.row_tooltips(r)
            if c.kind == "text":  # a long text may be cut by its column: hovering shows all of it
                text = c.display(r)
                return text if len(text) > TOOLTIP_FROM_CHARS else None
            return None
        if role == _SOURCE_ROW:
            return r
        if role == _SORT:
            return c.raw(r)
        return c.value(r)  # RAW_ROLE

    def _background(self, r: int, column: int) -> QBrush | None:
        """The cell's background (BackgroundRole): its column's colour, else its row's, else None."""
        fn = self.cell_colors.get(column)
        if fn is not None:
            color = fn(r)
            if color is not None:
                return QBrush(color)
        if self.row_colors is not None:
            code = int(self.row_colors[r])
            if code >= 0:
                return QBrush(self.palette[code])
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        f = super().flags(index)
        if index.isValid() and self._cols[index.column()].editable and self.on_edit is not None:
            f |= Qt.ItemFlag.ItemIsEditable
        return f

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or self.on_edit is None or not index.isValid():
            return False
        r = int(self._perm[index.row()])
        return bool(self.on_edit(r, index.column(), str(value)))

    # --- export ----------------------------------------------------------------------------
    def export_rows(self, visible_only: bool = True) -> np.ndarray:
        """Source rows to export in view order: the rows shown (filtered, sorted), or all."""
        return self._perm.copy() if visible_only else np.arange(self._n, dtype=np.int64)

    def to_rows(self, visible_only: bool = True) -> tuple[list[str], list[list[str]]]:
        perm = self._perm if visible_only else np.arange(self._n)
        header = [c.title for c in self._cols]
        rows = [[c.display(int(r)) for c in self._cols] for r in perm]
        return header, rows
