"""Usage: every analysed usage row (smooth at 1M rows), filters, breakdowns with totals, and
anomalous days highlighted."""

from __future__ import annotations

import threading
import weakref
from datetime import date

import numpy as np
import pandas as pd
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette, provenance
from desktop.domain.anomalies import anomalous_rows
from desktop.domain.errors import InputError
from desktop.ui import fmt
from desktop.ui.date_edit import DateEdit
from desktop.ui.models.table import Col, ColumnTableModel
from desktop.ui.pages.base import Page
from desktop.ui.source_rows import SourceRowsPanel
from desktop.ui.widgets import DataTable, feed_chart, heading, make_chart, note, tint
from desktop.ui.workers import TaskRunner

ALL = "All"
DIMENSIONS = ("vendor", "team", "model", "project")
FILTERS = {"vendor": "Vendor", "team": "Team", "model": "Model", "project": "Project", "_contract": "Draws down"}
TEXT_COLUMNS = (
    ("vendor", "Vendor"), ("model", "Model"), ("meter", "Meter"), ("team", "Team"), ("project", "Project"),
    ("environment", "Environment"), ("cost_center", "Cost center"), ("workload", "Workload"),
    ("api_key", "API key"), ("_contract", "Draws down"), ("currency", "Currency"), ("unit", "Unit"),
)


def usage_columns(df: pd.DataFrame) -> list[Col]:
    """The usage table's columns straight from the analysed frame's numpy arrays."""
    cols = [Col.date("Date", df["date"].to_numpy(dtype="datetime64[ns]"), key="date")]
    for name, title in TEXT_COLUMNS[:3]:
        if name in df.columns:
            cols.append(Col.text(title, df[name], key=name))
    cols.append(Col.micros("Cost", df["cost"].to_numpy(dtype=np.int64), key="cost"))
    if "quantity" in df.columns:
        cols.append(Col.num("Quantity", df["quantity"].to_numpy(dtype=np.float64), kind="qty", key="quantity"))
    if "service" in df.columns and df["service"].astype("string").str.strip().ne("").fillna(False).any():
        # cloud exports: the service and whether the AI-service rule counts it (domain/ai_services.py)
        cols.append(Col.text("Service", df["service"], key="service"))
        if "_ai" in df.columns:
            codes = np.where(df["_ai"].to_numpy(dtype=bool), 0, 1).astype(np.int32)
            cols.append(Col("AI spend", "text", codes, np.array(["yes", "no"], dtype=object), key="_ai"))
    for name, title in TEXT_COLUMNS[3:]:
        if name in df.columns:
            cols.append(Col.text(title, df[name], key=name))
    cols.append(Col.text("File", df["_file"], key="_file"))
    cols.append(Col.ints("Row", df["_row"].to_numpy(dtype=np.int64), key="_row"))
    if "source_rows" in df.columns and (df["source_rows"].to_numpy() != 1).any():
        # a daily rollup (a workspace): how many file rows each row adds up
        cols.append(Col.ints("Source rows", df["source_rows"].to_numpy(dtype=np.int64), key="source_rows"))
    return cols


def anomaly_mask(a) -> np.ndarray:
    """Rows on a day that was anomalous for their team, vendor or model (the anomalies module's
    selector, over the analysis' usage index)."""
    return anomalous_rows(provenance.index_of(a), a.anomalies)


def _frame(a) -> pd.DataFrame:
    if a.usage is not None:
        return a.usage.reset_index(drop=True)
    return pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "vendor": pd.Series([], dtype="string"),
                         "cost": pd.Series([], dtype="int64"), "_file": pd.Series([], dtype="string"),
                         "_row": pd.Series([], dtype="int64")})


_COLUMNS_LOCK = threading.Lock()
_LAST_COLUMNS: list = []  # [(weakref to the analysed usage frame, its table frame, its columns)]


def prepare(a) -> tuple[pd.DataFrame, list[Col], np.ndarray]:
    """The usage table's columns and anomaly mask for an analysis (pure; runs in the worker).

    The columns depend on the analysed usage rows only; a recompute that reused them (an edit, an
    As-of change: desktop/domain/analysis.py AnalysisCache) reuses the columns too, so only the
    anomaly shading is rebuilt (0.5-0.9 s saved per recompute at 1M rows)."""
    with _COLUMNS_LOCK:
        last = _LAST_COLUMNS[0] if _LAST_COLUMNS else None
    if last is not None and a.usage is not None and last[0]() is a.usage:
        df, cols = last[1], last[2]
    else:
        df = _frame(a)
        cols = usage_columns(df)
        if a.usage is not None:
            with _COLUMNS_LOCK:
                _LAST_COLUMNS[:] = [(weakref.ref(a.usage), df, cols)]
    return df, cols, anomaly_mask(a)


def breakdown(codes: np.ndarray, uniques: np.ndarray, cost: np.ndarray,
              weights: np.ndarray | None = None) -> pd.DataFrame:
    """Exact integer totals per value of a factorized column (codes -1 -> '(none)'); ``weights``:
    the source rows each row stands for (a daily rollup), else 1."""
    if len(codes) == 0:
        return pd.DataFrame({"value": [], "rows": [], "cost": []})
    w = np.ones(len(codes), dtype=np.int64) if weights is None else weights.astype(np.int64)
    s = pd.DataFrame({"code": codes.astype(np.int64), "cost": cost.astype(np.int64), "w": w})
    g = s.groupby("code", sort=False).agg(rows=("w", "sum"), cost=("cost", "sum")).reset_index()
    names = np.append(uniques, "(none)")
    g["value"] = names[g["code"].to_numpy()]
    return g.sort_values("cost", ascending=False)[["value", "rows", "cost"]].reset_index(drop=True)


def summarize(dim: str, rows: np.ndarray, col: Col | None, cost: np.ndarray,
              anom: np.ndarray, weights: np.ndarray | None = None) -> tuple[str, pd.DataFrame, int, int, int]:
    """What the breakdown pane shows for the visible rows (pure; a worker runs it at 1M rows):
    (dimension, totals per value, exact total micros, rows, rows on anomalous days). ``weights``:
    the source rows each row stands for (a workspace's daily rollup): rows are counted in them."""
    c = cost[rows]
    w = None if weights is None else weights[rows]
    if col is not None:
        g = breakdown(col.values[rows], col.uniques, c, w)
    else:
        g = pd.DataFrame({"value": [], "rows": [], "cost": []})
    total = int(c.sum()) if len(c) else 0
    n = len(rows) if w is None else int(w.sum())
    if len(rows) and len(anom):
        n_anom = int(anom[rows].sum()) if w is None else int(w[anom[rows]].sum())
    else:
        n_anom = 0
    return dim, g, total, n, n_anom


class UsagePage(Page):
    title = "Usage"
    key = "usage"
    preparer = staticmethod(prepare)  # the table's columns and the anomaly mask, in the worker

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        bar = QHBoxLayout()
        self.combos: dict[str, QComboBox] = {}
        for dim, title in FILTERS.items():
            bar.addWidget(QLabel(title))
            cb = QComboBox()
            cb.setMinimumContentsLength(10)
            cb.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            cb.currentIndexChanged.connect(self._apply)
            self.combos[dim] = cb
            bar.addWidget(cb)
        self.use_dates = QCheckBox("From")
        self.use_dates.toggled.connect(self._apply)
        self.d_from = DateEdit()
        self.d_to = DateEdit()
        for d in (self.d_from, self.d_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
            d.dateChanged.connect(self._dates_changed)
        bar.addStretch(1)
        lay.addLayout(bar)
        bar = QHBoxLayout()
        bar.addWidget(self.use_dates)
        bar.addWidget(self.d_from)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.d_to)
        self.anom_only = QCheckBox("Anomalous days only")
        self.anom_only.toggled.connect(self._apply)
        bar.addWidget(self.anom_only)
        bar.addStretch(1)
        lay.addLayout(bar)

        split = QSplitter(Qt.Orientation.Vertical)
        self.chart = make_chart("DailySpendChart", min_height=300)
        self.chart.pointPicked.connect(self.filter_to_point)  # drill-down: the table shows that point's rows
        self.chart.byChanged.connect(self._chart_by)
        split.addWidget(self.chart)
        lower = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.count = note("")
        ll.addWidget(self.count)
        self.table = DataTable()
        # a workspace's usage is its daily rollup: the file rows behind the selected row, paged
        # from the workspace's Parquet (desktop/ui/source_rows.py), below the table
        self.sources = SourceRowsPanel()
        rows_split = self._rows_split = QSplitter(Qt.Orientation.Vertical)
        rows_split.addWidget(self.table)
        rows_split.addWidget(self.sources)
        # the daily table keeps most of the room; the source rows get what the analyst drags open
        rows_split.setStretchFactor(0, 5)
        rows_split.setStretchFactor(1, 1)
        rows_split.setChildrenCollapsible(True)
        ll.addWidget(rows_split)
        self.table.selectionModel().currentRowChanged.connect(self._show_sources)
        lower.addWidget(left)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        hb = QHBoxLayout()
        hb.addWidget(heading("Breakdown by"))
        self.dim = QComboBox()
        self.dim.addItems([d.capitalize() for d in DIMENSIONS])
        self.dim.currentIndexChanged.connect(self._breakdown)
        hb.addWidget(self.dim)
        hb.addStretch(1)
        rl.addLayout(hb)
        self.breakdown = DataTable()
        self.breakdown.doubleClicked.connect(self._drill_breakdown)
        rl.addWidget(self.breakdown)
        self.total = note("")
        rl.addWidget(self.total)
        lower.addWidget(right)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 1)
        split.addWidget(lower)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)
        self._df: pd.DataFrame | None = None
        self._weights: np.ndarray | None = None
        # the figure whose rows the page is filtered to (a drill-down): ((kind, key, field), label),
        # and its rows as a mask over the analysed usage rows (re-selected after every recompute)
        self._figure: tuple[tuple[str, str, str], str] | None = None
        self._figure_mask: np.ndarray | None = None
        self._figure_label = ""
        # a chart point clicked (drill-down): its source rows and what it is; its rows as a mask
        self._point: tuple[tuple, str] | None = None
        self._point_mask: np.ndarray | None = None
        self._chart_scope: tuple | None = None  # the filters the chart was last built under
        self._anom = np.zeros(0, dtype=bool)
        self._shows: tuple | None = None  # what the shown table and chart were made of (_what_it_shows)
        self._ref_index: dict[tuple[str, int], int] = {}
        self._updating = False
        self._text = ""
        self._first = True
        # at 1M rows filters, sorts, the breakdown and the chart are computed in workers: a
        # newer request cancels the one in flight and the result lands on the GUI thread
        self.model.filterApplied.connect(self._breakdown)
        self.model.filterApplied.connect(self._select_pending)
        self.model.filterApplied.connect(self._scope_chart)
        self._pending_select: list[int] | None = None
        self.model.runner.started.connect(self._filtering)
        self.model.runner.cancelled.connect(self._breakdown)  # Cancel in the status bar: the rows shown stay
        self.summary_runner = TaskRunner("usage-breakdown", self)
        self.summary_runner.finished.connect(self._show_breakdown)
        for r in (self.model.runner, self.summary_runner, self.chart.runner):
            session.register_runner(r)
        # the workspace's rows page from its Parquet at once: they do not wait for the analysis
        # (minutes at 10^8 rows), which only adds the daily rollup above them
        self._attach_rows(getattr(getattr(session, "workspace", None), "usage_rows", None))
        if hasattr(session, "workspaceOpened"):
            session.workspaceOpened.connect(
                lambda: self._attach_rows(getattr(self.session.workspace, "usage_rows", None)))

    @property
    def model(self) -> ColumnTableModel:
        return self.table.table_model

    # ------------------------------------------------------------------------------------------
    def refresh(self, a) -> None:
        pre = self.prepared(a)
        if pre is None:  # a few rows, or called directly: prepared here
            pre = prepare(a)
        df, cols, anom = pre
        shows = self._what_it_shows(a)
        if (self._shows is not None and self._df is df and shows[0] is self._shows[0]
                and shows[1] is self._shows[1] and shows[2] == self._shows[2] and np.array_equal(anom, self._anom)):
            # a recompute that changed nothing this page shows (a commitment amount, an owner, a
            # budget): the same rows, shading and chart; only the analysis they belong to is new
            self.chart.rebind(a)
            self._select_figure_rows()
            self._select_point_rows()
            return
        self._shows = shows
        self._anom = anom
        self._df = df
        # a daily rollup (a workspace): each row stands for source_rows file rows, counted so
        self._weights = (df["source_rows"].to_numpy(dtype=np.int64)
                         if "source_rows" in df.columns and (df["source_rows"].to_numpy() != 1).any() else None)
        self._attach_rows(getattr(a.inputs, "usage_rows", None) if a.inputs is not None else None)
        self._chart_scope = None  # a new analysis: the chart is built again, under the filters in force
        self._ref_index = {}
        self._select_figure_rows()
        self._select_point_rows()
        self._updating = True
        try:
            self.model.set_columns(cols)
            self.model.palette = [tint(palette.VERMILLION, 55)]
            self.model.row_colors = np.where(self._anom, 0, -1).astype(np.int8)
            for dim, cb in self.combos.items():
                keep = cb.currentText()
                cb.blockSignals(True)
                cb.clear()
                cb.addItem(ALL)
                if dim in df.columns:
                    col = self.model.col(dim)
                    cb.addItems(sorted(col.uniques.tolist(), key=str.casefold))
                i = cb.findText(keep)
                cb.setCurrentIndex(i if i >= 0 else 0)
                cb.blockSignals(False)
            if len(df):
                d0 = pd.Timestamp(df["date"].min()).date()
                d1 = pd.Timestamp(df["date"].max()).date()
                for d in (self.d_from, self.d_to):
                    d.blockSignals(True)
                    d.setDateRange(QDate(d0.year, d0.month, d0.day), QDate(d1.year, d1.month, d1.day))
                    d.blockSignals(False)
                if not self.use_dates.isChecked():
                    self.d_from.setDate(QDate(d0.year, d0.month, d0.day))
                    self.d_to.setDate(QDate(d1.year, d1.month, d1.day))
        finally:
            self._updating = False
        self._apply(keep_point=True)  # (the columns were fitted on set_columns: DataTable follows columnsChanged)
        if self._first:
            self._first = False
            self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        self._scope_chart()

    @staticmethod
    def _what_it_shows(a) -> tuple:
        """What the table, its shading and the daily-spend chart are made of: the analysed usage
        rows and the anomalies by identity (the analysis cache hands back the same objects when
        they did not change), then the As-of date, the currency and the settings by value."""
        return (a.usage, a.anomalies, (a.as_of, a.currency, a.settings))

    def _attach_rows(self, rows) -> None:
        """Page ``rows`` (desktop/store/usage_db.UsageRows; None: no workspace rows) in the
        source-rows panel, unless they are the rows it already pages."""
        if rows is self.sources._rows:
            return
        self.sources.set_rows(rows)
        if self.sources.model is not None:
            for r in (self.sources.model.count_runner, self.sources.model.page_runner):
                self.session.register_runner(r)

    def _show_sources(self, current, _previous=None) -> None:
        """The source rows of the selected daily row (a workspace's rollup row)."""
        if self._df is None or not current.isValid() or self.sources.model is None:
            return
        src = self.model.source_row(current.row())
        if 0 <= src < len(self._df):
            rec = self._df.iloc[src]
            self.sources.show_rollup_row(int(rec["_row"]), f"{pd.Timestamp(rec['date']):%Y-%m-%d} {rec['vendor']}")
            self._reveal_sources()

    def _reveal_sources(self) -> None:
        """A row was selected to see its file rows: the panel below gets room for a few of them
        (at most half of the two tables' height) if the analyst has not given it that much."""
        sizes = self._rows_split.sizes()
        total = sum(sizes)
        v = self.sources.view
        want = (self.sources.label.sizeHint().height() + v.horizontalHeader().sizeHint().height()
                + 4 * v.verticalHeader().defaultSectionSize() + v.horizontalScrollBar().sizeHint().height() + 8)
        want = min(want, total // 2)
        if total > 0 and sizes[1] < want:
            self._rows_split.setSizes([total - want, want])

    def _dates_changed(self, *_):
        if not self._updating and not self.use_dates.isChecked():
            self.use_dates.setChecked(True)
        else:
            self._apply()

    def _apply(self, *_, keep_point: bool = False):
        if self._updating or self._df is None:
            return
        if not keep_point and self._point is not None:
            # another filter changed: the point was clicked in the chart as it was before
            self._point, self._point_mask = None, None
        m = self.model
        masks: dict[str, np.ndarray | None] = {}
        for dim, cb in self.combos.items():
            v = cb.currentText()
            masks[dim] = m.col(dim).equals(v) if v and v != ALL and dim in self._df.columns else None
        if self.use_dates.isChecked() and len(self._df):
            days = m.col("date").values
            lo = np.datetime64(self.d_from.date().toPython(), "ns")
            hi = np.datetime64(self.d_to.date().toPython(), "ns")
            masks["dates"] = (days >= lo) & (days <= hi)
        else:
            masks["dates"] = None
        masks["anomalies"] = self._anom if self.anom_only.isChecked() else None
        masks["figure"] = self._figure_mask
        masks["point"] = self._point_mask
        m.set_filters(masks)  # the breakdown and the chart follow on filterApplied
        self.filtersChanged.emit()

    def _filtering(self, *_):
        m = self.model
        self.count.setText(f"Filtering {m.total_rows:,} rows…")

    def _breakdown(self, *_):
        m = self.model
        if self._df is None or m.total_rows == 0 and not len(self._df):
            self.summary_runner.cancel(quiet=True)
            self.breakdown.table_model.set_columns([])
            self.count.setText("No usage rows yet: import a usage export (Ctrl+I).")
            self.total.setText("")
            return
        dim = DIMENSIONS[self.dim.currentIndex()]
        rows = m.visible_source_rows()
        col = m.col(dim) if dim in self._df.columns else None
        cost, anom = m.col("cost").values, self._anom
        weights = self._weights

        def job(_p=None):
            return summarize(dim, rows, col, cost, anom, weights)

        if m.total_rows >= m.async_rows:
            self.summary_runner.start(job, label="Usage breakdown")
        else:
            self.summary_runner.cancel(quiet=True)
            self._show_breakdown(job())

    def _show_breakdown(self, summary) -> None:
        dim, g, total, n_rows, n_anom = summary
        share = (g["cost"].to_numpy(dtype=np.float64) / total) if total else np.zeros(len(g))
        self.breakdown.table_model.set_columns([
            Col.text(dim.capitalize(), g["value"].astype(str)),
            Col.ints("Rows", g["rows"].to_numpy(dtype=np.int64)),
            Col.micros("Cost", g["cost"].to_numpy(dtype=np.int64)),
            Col.num("Share", share, kind="pct"),
        ])
        self.breakdown.table_model.sort(2, Qt.SortOrder.DescendingOrder)
        cur = self.analysis.currency if self.analysis is not None else ""
        filtered = bool(self.filters())
        behind = f"Rows behind {self._figure_label}: " if self._figure_mask is not None else ""
        every = self.model.total_rows if self._weights is None else int(self._weights.sum())
        cover = (f"{n_rows:,} of {every:,} rows (filtered, see the chips above)" if filtered
                 else f"all {every:,} rows")
        self.count.setText(f"{behind}Total {fmt.micros(total)} {cur} over {cover}"
                           f" · {n_anom:,} rows on anomalous days (shaded)")
        self.total.setText(f"Total {fmt.micros(total)} {cur} over {len(g)} {dim} values"
                           + (" of the filtered rows" if filtered else ""))

    def _chart_by(self, by: str) -> None:
        """The chart's team / vendor / model switch: the breakdown follows."""
        if by in DIMENSIONS:
            self.dim.setCurrentIndex(DIMENSIONS.index(by))

    def _drill_breakdown(self, index) -> None:
        dim = DIMENSIONS[self.dim.currentIndex()]
        value = self.breakdown.table_model.data(self.breakdown.table_model.index(index.row(), 0))
        cb = self.combos[dim]
        i = cb.findText(value)
        if i >= 0:
            cb.setCurrentIndex(i)

    def _select_figure_rows(self) -> None:
        """The rows of the figure the page is filtered to, from the current analysis; a figure
        the analysis no longer has (a budget line removed, an As-of before an anomaly) shows no
        rows and says so."""
        self._figure_mask, self._figure_label = None, ""
        if self._figure is None or self._df is None or self.analysis is None:
            return
        (kind, key, field), label = self._figure
        mask = np.zeros(len(self._df), dtype=bool)
        try:
            got = provenance.figure_rows(self.analysis, kind, key, field)
            mask[got.positions] = True
        except InputError:
            label += " (not in the figures as of " + self.analysis.as_of.isoformat() + ")"
        self._figure_mask, self._figure_label = mask, label

    # ---------------------------------------------------------------- the page's filter state
    def filters(self) -> list[tuple[str, str]]:
        out = super().filters()
        for dim, cb in self.combos.items():
            v = cb.currentText()
            if v and v != ALL:
                out.append((f"combo:{dim}", f"{FILTERS[dim]}: {v}"))
        if self.use_dates.isChecked():
            out.append(("dates", f"Dates {self.d_from.date().toString('yyyy-MM-dd')} to "
                                 f"{self.d_to.date().toString('yyyy-MM-dd')}"))
        if self.anom_only.isChecked():
            out.append(("anomalies", "Anomalous days only"))
        if self._figure is not None:
            out.append(("figure", f"Rows behind {self._figure_label}"))
        if self._point is not None:
            n = int(self._point_mask.sum()) if self._point_mask is not None else 0
            out.append(("point", f"Chart point: {self._point[1]} ({n:,} rows)"))
        return out

    def remove_filter(self, key: str) -> None:
        if key == "text":
            super().remove_filter(key)
            return
        if key.startswith("combo:"):
            self.combos[key[6:]].setCurrentIndex(0)  # _apply follows
        elif key == "dates":
            self.use_dates.setChecked(False)
        elif key == "anomalies":
            self.anom_only.setChecked(False)
        elif key == "figure":
            self._figure = None
            self._figure_mask, self._figure_label = None, ""
            self._apply(keep_point=True)
        elif key == "point":
            self._point, self._point_mask = None, None
            self._apply(keep_point=True)

    def clear_filters(self) -> None:
        self._figure = None
        self._figure_mask, self._figure_label = None, ""
        self._point, self._point_mask = None, None
        self._updating = True
        for cb in self.combos.values():
            cb.setCurrentIndex(0)
        self.use_dates.setChecked(False)
        self.anom_only.setChecked(False)
        self._updating = False
        if self.text_filter:
            self.apply_filter("")
        self._apply()

    def _scope_text(self) -> str:
        """The filters behind the chart, in words, for its title."""
        parts = [t for k, t in self.filters() if k != "point"]
        return ("filtered: " + "; ".join(parts)) if parts else ""

    def _scope_chart(self) -> None:
        """The chart shows the rows the page's filters leave (the same rows as the table and the
        breakdown). A clicked point does not narrow the chart it was clicked in."""
        if self.analysis is None or self._df is None or self.model.filter_busy:
            return
        scope = tuple((k, t) for k, t in self.filters() if k != "point")
        if scope == self._chart_scope or self._point is not None:
            return  # (with a point clicked the chart stays as it was when clicked)
        self._chart_scope = scope
        if not scope:
            self.chart.set_scope(None, "")
        else:
            self.chart.set_scope(self.model.visible_source_rows(), self._scope_text())
        feed_chart(self.chart, "daily_spend", self.analysis)

    # ---------------------------------------------------------------- drill-down from the chart
    def _positions(self, refs) -> np.ndarray:
        """Positions in the analysed usage rows of source refs [(file, row)] or SourceRefs."""
        if self._df is None:
            return np.zeros(0, np.int64)
        if not self._ref_index:
            files = self._df["_file"].astype(str).tolist()
            self._ref_index = {(f, int(r)): i for i, (f, r) in enumerate(zip(files, self._df["_row"].tolist(),
                                                                               strict=True))}
        out = []
        for ref in refs:
            key = (ref.file, int(ref.row)) if hasattr(ref, "file") else (str(ref[0]), int(ref[1]))
            i = self._ref_index.get(key)
            if i is not None:
                out.append(i)
        return np.asarray(sorted(set(out)), dtype=np.int64)

    def _select_point_rows(self) -> None:
        if self._point is None or self._df is None:
            self._point_mask = None
            return
        mask = np.zeros(len(self._df), dtype=bool)
        mask[self._positions(self._point[0])] = True
        self._point_mask = mask

    def filter_to_point(self, refs, label: str = "") -> None:
        """A chart point was clicked: the table (and the breakdown) show exactly its rows, the
        rows its builder's selector names; a chip says which point and removes it."""
        if self._df is None:
            return
        self._point = (tuple(refs), label or "a chart point")
        self._select_point_rows()
        self._apply(keep_point=True)

    # ------------------------------------------------------------------------------------------
    def show_ref(self, ref) -> None:
        """Filter to the rows behind a figure: vendor / team / model / project, a date range
        (start, end or date) and the contract (contract_id)."""
        if self._df is None:
            return
        if ref.get("rows") is not None or ref.get("select_refs") is not None:
            # the rows behind a chart point or an explained figure: filtered to exactly them
            self.clear_filters()
            rows = ref.get("rows") if ref.get("rows") is not None else ref["select_refs"]
            self.filter_to_point(rows, str(ref.get("label") or "the rows behind a figure"))
            return
        if ref.get("figure") is None and ref.get("dimension") and ref.get("value") and ref.get("date"):
            # an anomaly (an alert double-clicked on Overview): the rows of its spike
            day = _as_date(ref["date"]).isoformat()
            ref = {"figure": ("anomaly", f"{ref['dimension']}|{ref['value']}|{day}", "spend"),
                   "label": f"the spend spike of {ref['dimension']} '{ref['value']}' on {day}"}
        if ref.get("figure") is not None:
            # exactly the rows behind one figure, as its module selects them (provenance); kept as
            # the figure, not as rows, so a recompute (an edit, another As-of) re-selects them
            self.clear_filters()
            self._figure = (tuple(ref["figure"]), str(ref.get("label") or "the rows behind a figure"))
            self._select_figure_rows()
            self._apply()
            return
        self._updating = True
        for dim, cb in self.combos.items():
            v = ref.get("contract_id") if dim == "_contract" else \
                ref.get(dim) or (ref.get("value") if ref.get("dimension") == dim else None)
            i = cb.findText(str(v)) if v else 0
            cb.setCurrentIndex(max(i, 0))
        start = ref.get("start") or ref.get("date")
        end = ref.get("end") or ref.get("date")
        if start and end:
            s, e = _as_date(start), _as_date(end)
            self.d_from.setDate(QDate(s.year, s.month, s.day))
            self.d_to.setDate(QDate(e.year, e.month, e.day))
            self.use_dates.setChecked(True)
        else:
            self.use_dates.setChecked(False)
        self.anom_only.setChecked(bool(ref.get("anomalies")))
        self._updating = False
        self._apply()

    def select_refs(self, refs) -> int:
        """Select the rows for source refs [(file, row)] or SourceRef objects (chart clicks)."""
        if self._df is None:
            return 0
        if not self._ref_index:
            files = self._df["_file"].astype(str).tolist()
            self._ref_index = {(f, int(r)): i for i, (f, r) in enumerate(zip(files, self._df["_row"].tolist(),
                                                                               strict=True))}
        src = []
        for ref in refs:
            key = (ref.file, int(ref.row)) if hasattr(ref, "file") else (str(ref[0]), int(ref[1]))
            if key in self._ref_index:
                src.append(self._ref_index[key])
        if self.model.filter_busy:  # select once the rows of the filter in flight are shown
            self._pending_select = src
            return len(src)
        return self.table.select_source_rows(src)

    def _select_pending(self) -> None:
        src, self._pending_select = self._pending_select, None
        if src is not None:
            self.table.select_source_rows(src)

    def _apply_text(self, text: str) -> None:
        """The toolbar filter: rows whose text contains ``text``; at 1M rows the match runs in the
        model's worker and each keystroke cancels the previous one."""
        self.model.set_text_filter(text)


def _as_date(v) -> date:
    if isinstance(v, date):
        return v
    return pd.Timestamp(v).date()
