"""Actions: the checklist (owner, due date, status, notes), filters (overdue, owner, severity,
status) and resolution times."""

from __future__ import annotations

import statistics
from datetime import date, datetime

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette
from desktop.ui import fmt
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.widgets import DataTable, heading, note, tint

STATUSES = ("open", "in_progress", "done", "wont_fix")
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "done": "Done", "wont_fix": "Won't fix"}
SEV_ORDER = {"high": 0, "medium": 1, "low": 2}


def _day(v) -> date | None:
    if v is None or v == "":
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    return datetime.fromisoformat(str(v)).date()


def resolution_days(a) -> float | None:
    opened, resolved = getattr(a, "opened_at", None), getattr(a, "resolved_at", None)
    if not opened or not resolved:
        return None
    o = opened if isinstance(opened, datetime) else datetime.fromisoformat(str(opened))
    r = resolved if isinstance(resolved, datetime) else datetime.fromisoformat(str(resolved))
    if isinstance(opened, date) and not isinstance(opened, datetime):
        o = datetime(opened.year, opened.month, opened.day)
    if isinstance(resolved, date) and not isinstance(resolved, datetime):
        r = datetime(resolved.year, resolved.month, resolved.day)
    return max(0.0, (r.replace(tzinfo=None) - o.replace(tzinfo=None)).total_seconds() / 86400)


class ActionsPage(Page):
    title = "Actions"
    key = "actions"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        bar = QHBoxLayout()
        self.overdue = QCheckBox("Overdue only")
        self.overdue.toggled.connect(self._filter)
        bar.addWidget(self.overdue)
        bar.addWidget(QLabel("Owner"))
        self.owner = QComboBox()
        self.owner.setMinimumContentsLength(14)
        self.owner.currentIndexChanged.connect(self._filter)
        bar.addWidget(self.owner)
        bar.addWidget(QLabel("Severity"))
        self.severity = QComboBox()
        self.severity.addItems(["All", "High", "Medium", "Low"])
        self.severity.currentIndexChanged.connect(self._filter)
        bar.addWidget(self.severity)
        bar.addWidget(QLabel("Status"))
        self.status = QComboBox()
        self.status.addItems(["Open or in progress", "All"] + [STATUS_LABELS[s] for s in STATUSES])
        self.status.currentIndexChanged.connect(self._filter)
        bar.addWidget(self.status)
        bar.addStretch(1)
        lay.addLayout(bar)

        split = QSplitter(Qt.Orientation.Vertical)
        self.table = DataTable()
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.table.doubleClicked.connect(self._open_source)
        split.addWidget(self.table)
        edit = QWidget()
        el = QVBoxLayout(edit)
        el.setContentsMargins(0, 6, 0, 0)
        self.detail = note("Select an action to change its status or notes.")
        el.addWidget(self.detail)
        row = QHBoxLayout()
        self.buttons = {}
        for s in STATUSES:
            b = QPushButton(f"Mark {STATUS_LABELS[s].lower()}" if s != "open" else "Reopen")
            b.clicked.connect(lambda _=False, s=s: self.set_status(s))
            row.addWidget(b)
            self.buttons[s] = b
        row.addSpacing(12)
        row.addWidget(QLabel("Notes"))
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("What was done, who was asked, ticket number…")
        self.notes.returnPressed.connect(self.save_notes)
        row.addWidget(self.notes, 1)
        save = QPushButton("Save notes")
        save.clicked.connect(self.save_notes)
        row.addWidget(save)
        goto = QPushButton("Open source rows")
        goto.clicked.connect(lambda: self._open_source(None))
        row.addWidget(goto)
        el.addLayout(row)
        el.addWidget(heading("Resolution times"))
        self.times = note("")
        el.addWidget(self.times)
        split.addWidget(edit)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        lay.addWidget(split)
        self._actions: list = []
        session.actionsChanged.connect(self._reload)

    # ------------------------------------------------------------------------------------------
    def refresh(self, a) -> None:
        self._reload()

    def _reload(self) -> None:
        keep = self.table.selected_source_rows()
        keep_keys = {self._actions[r].key for r in keep if r < len(self._actions)}
        acts = sorted(self.session.actions(),
                      key=lambda x: (x.status in ("done", "wont_fix"), SEV_ORDER.get(x.severity, 9),
                                     _day(x.due) or date.max, x.title))
        self._actions = acts
        as_of = self.analysis.as_of if self.analysis is not None else date.today()
        res = [resolution_days(x) for x in acts]
        m = self.table.table_model
        m.set_columns([
            Col.text("Severity", [fmt.label(x.severity) for x in acts]),
            Col.text("Action", [x.title for x in acts]),
            Col.text("Kind", [fmt.label(x.kind) for x in acts]),
            Col.text("Owner", [x.owner or "" for x in acts]),
            Col.date("Due", [_day(x.due) for x in acts]),
            Col.text("Status", [STATUS_LABELS.get(x.status, x.status) for x in acts]),
            Col.text("Notes", [x.notes or "" for x in acts]),
            Col.date("Opened", [_day(x.opened_at) for x in acts]),
            Col.date("Resolved", [_day(x.resolved_at) for x in acts]),
            Col.num("Days to resolve", [r for r in res], digits=1),
        ])
        overdue = np.array([x.status in ("open", "in_progress") and _day(x.due) is not None and _day(x.due) < as_of
                            for x in acts], dtype=bool)
        self._overdue = overdue
        sev = [x.severity for x in acts]
        m.cell_colors = {0: lambda r: tint(palette.severity_color(sev[r]), 110)}
        m.palette = [tint(palette.VERMILLION, 45), tint(palette.GREY, 40)]
        done = np.array([x.status in ("done", "wont_fix") for x in acts], dtype=bool)
        m.row_colors = np.where(overdue, 0, np.where(done, 1, -1)).astype(np.int64)
        m.row_tooltips = lambda r: acts[r].detail or acts[r].title
        owners = sorted({x.owner for x in acts if x.owner}, key=str.casefold)
        keep_owner = self.owner.currentText()
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItem("All")
        self.owner.addItems(owners)
        self.owner.setCurrentIndex(max(0, self.owner.findText(keep_owner)))
        self.owner.blockSignals(False)
        self._filter()
        self.table.setColumnWidth(1, 430)  # leaves the Notes column room on a 1440 px screen
        if keep_keys:
            self.table.select_source_rows([i for i, x in enumerate(acts) if x.key in keep_keys])
        self._times(acts, res)

    def _times(self, acts, res) -> None:
        done = [(x, r) for x, r in zip(acts, res, strict=True) if r is not None]
        n_open = sum(1 for x in acts if x.status in ("open", "in_progress"))
        n_over = int(self._overdue.sum()) if len(acts) else 0
        if not done:
            self.times.setText(f"{n_open} open ({n_over} overdue); none resolved yet.")
            return
        parts = [f"{n_open} open ({n_over} overdue); {len(done)} resolved: median "
                 f"{statistics.median(r for _, r in done):.1f} days, mean {statistics.fmean(r for _, r in done):.1f}"]
        for s in ("high", "medium", "low"):
            rs = [r for x, r in done if x.severity == s]
            if rs:
                parts.append(f"{s} {statistics.median(rs):.1f} d (n={len(rs)})")
        self.times.setText(" · ".join(parts))

    def _filter(self, *_):
        acts = self._actions
        m = self.table.table_model
        if not acts:
            return
        mask = np.ones(len(acts), dtype=bool)
        if self.overdue.isChecked():
            mask &= self._overdue
        o = self.owner.currentText()
        if o and o != "All":
            mask &= np.array([x.owner == o for x in acts], dtype=bool)
        s = self.severity.currentText()
        if s != "All":
            mask &= np.array([x.severity == s.lower() for x in acts], dtype=bool)
        st = self.status.currentIndex()
        if st == 0:
            mask &= np.array([x.status in ("open", "in_progress") for x in acts], dtype=bool)
        elif st >= 2:
            mask &= np.array([x.status == STATUSES[st - 2] for x in acts], dtype=bool)
        m.set_filter("filters", mask)

    def _current(self):
        rows = self.table.selected_source_rows()
        return self._actions[rows[0]] if rows else None

    def _selected(self, *_):
        x = self._current()
        if x is None:
            return
        self.notes.setText(x.notes or "")
        self.detail.setText(f"<b>{x.title}</b> — {x.detail or ''} Owner {x.owner or 'unassigned'}, due "
                            f"{_day(x.due) or 'n/a'}, {STATUS_LABELS.get(x.status, x.status).lower()}.")

    def set_status(self, status: str) -> None:
        keys = [self._actions[r].key for r in self.table.selected_source_rows()]
        for k in keys:
            self.session.set_action(k, status=status)

    def save_notes(self) -> None:
        x = self._current()
        if x is not None:
            self.session.set_action(x.key, notes=self.notes.text())

    def _open_source(self, _index) -> None:
        x = self._current()
        if x is None:
            return
        from desktop.ui.pages.overview import KIND_PAGE

        ref = dict(getattr(x, "ref", None) or {})
        self.session.navigate(KIND_PAGE.get(x.kind, "overview"), ref)

    def show_ref(self, ref) -> None:
        if ref.get("status") == "open":
            self.status.setCurrentIndex(0)
        key = ref.get("finding")
        if key:
            self.status.setCurrentIndex(1)
            self.table.select_source_rows([i for i, x in enumerate(self._actions) if x.key == key])

    def apply_filter(self, text: str) -> None:
        self.table.table_model.set_text_filter(text)

    def visible_titles(self) -> list[str]:
        m = self.table.table_model
        return [m.data(m.index(r, 1)) for r in range(m.rowCount())]
