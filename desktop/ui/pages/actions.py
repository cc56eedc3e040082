"""Actions: the checklist (owner, due date, status, notes: editable in place, one action or a
selection at once, every change undoable), filters (overdue, owner, severity, status) and
resolution times."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette
from desktop.domain.actions import ACTION_STATUSES, Action, checklist_order, owner_choices, resolution_report
from desktop.domain.vocabulary import ACTION_SEVERITIES
from desktop.ui import fmt
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.widgets import DataTable, heading, note, tint

STATUSES = ACTION_STATUSES
STATUS_LABELS = ACTION_STATUSES.labels
# the status filter: index 0 open (not resolved), 1 all, then each status, then resolved by data
STATUS_FILTERS = ("Open or in progress", "All", *(STATUS_LABELS[s] for s in STATUSES), "Resolved by data")


# the columns a person edits in place: title -> what set_action changes
EDITABLE = {"Owner": "owner", "Due": "due", "Status": "status", "Notes": "notes"}


def owner_box(parent=None) -> QComboBox:
    """An owner picker: the known owners offered, any name typed accepted."""
    box = QComboBox(parent)
    box.setEditable(True)
    box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    box.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
    box.completer().setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    box.lineEdit().setPlaceholderText("the finding's owner")
    return box


def date_box(parent=None) -> QDateEdit:
    box = QDateEdit(parent)
    box.setCalendarPopup(True)
    box.setDisplayFormat("yyyy-MM-dd")
    return box


class CellEditor(QStyledItemDelegate):
    """The editors of the checklist's cells: an owner picker, a date, a status list; the model
    gets the text and the page's ``_edit_cell`` turns it into the person's change."""

    def __init__(self, page: ActionsPage, what: str):
        super().__init__(page)
        self.page = page
        self.what = what

    def createEditor(self, parent, option, index):
        if self.what == "owner":
            box = owner_box(parent)
            box.addItems(self.page.owners)
            return box
        if self.what == "due":
            return date_box(parent)
        if self.what == "status":
            box = QComboBox(parent)
            box.addItems([STATUS_LABELS[s] for s in STATUSES])
            return box
        return super().createEditor(parent, option, index)

    def setEditorData(self, editor, index):
        text = index.data() or ""
        if self.what == "owner":
            a = self.page.action_at(index)
            editor.setEditText((a.assigned_owner or "") if a is not None else text)
        elif self.what == "due":
            d = QDate.fromString(text, "yyyy-MM-dd")
            editor.setDate(d if d.isValid() else QDate.currentDate())
        elif self.what == "status":
            editor.setCurrentIndex(max(0, editor.findText(text)))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor, model, index):
        if self.what == "owner":
            model.setData(index, editor.currentText())
        elif self.what == "due":
            model.setData(index, editor.date().toString("yyyy-MM-dd"))
        elif self.what == "status":
            model.setData(index, STATUSES[editor.currentIndex()])
        else:
            super().setModelData(editor, model, index)


def resolution_label(a: Action) -> str:
    if a.resolution == "data":
        return a.resolution_reason[:1].upper() + a.resolution_reason[1:] if a.resolution_reason else "Resolved by data"
    if a.resolution == "analyst":
        return f"{STATUS_LABELS.get(a.status, a.status)} (set by a person)"
    return ""


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
        self.status.addItems(list(STATUS_FILTERS))
        self.status.currentIndexChanged.connect(self._filter)
        bar.addWidget(self.status)
        bar.addStretch(1)
        lay.addLayout(bar)
        # which data the checklist follows, and what the As-of control shows (a view)
        self.view_note = note("")
        lay.addWidget(self.view_note)

        split = QSplitter(Qt.Orientation.Vertical)
        self.table = DataTable()
        self.table.selectionModel().selectionChanged.connect(self._selected)
        self.table.setEditTriggers(self.table.EditTrigger.DoubleClicked | self.table.EditTrigger.EditKeyPressed
                                   | self.table.EditTrigger.SelectedClicked)
        self.table.table_model.on_edit = self._edit_cell
        self.table.doubleClicked.connect(self._double_clicked)
        self.owners: list[str] = []
        self._delegates: dict[str, CellEditor] = {w: CellEditor(self, w) for w in EDITABLE.values()}
        split.addWidget(self.table)
        edit = QWidget()
        el = QVBoxLayout(edit)
        el.setContentsMargins(0, 6, 0, 0)
        self.detail = note("Double-click an owner, due date, status or notes cell to change it, or select "
                           "several actions and set them below. Ctrl+Z undoes.")
        el.addWidget(self.detail)
        row = QHBoxLayout()
        self.buttons = {}
        for s in STATUSES:
            b = QPushButton(f"Mark {STATUS_LABELS[s].lower()}")
            b.clicked.connect(lambda _=False, s=s: self.set_status(s))
            row.addWidget(b)
            self.buttons[s] = b
        goto = QPushButton("Open source rows")
        goto.clicked.connect(lambda: self._open_source(None))
        row.addSpacing(12)
        row.addWidget(goto)
        row.addStretch(1)
        el.addLayout(row)
        row = QHBoxLayout()  # a second row: the page fits a 1280 px screen
        row.addWidget(QLabel("Owner"))
        self.assign = owner_box()
        self.assign.setMinimumContentsLength(16)
        self.assign.lineEdit().returnPressed.connect(self.save_owner)
        row.addWidget(self.assign)
        set_owner = QPushButton("Assign")
        set_owner.setToolTip("Assign the selected actions (empty: back to each finding's owner)")
        set_owner.clicked.connect(self.save_owner)
        row.addWidget(set_owner)
        row.addSpacing(12)
        row.addWidget(QLabel("Due"))
        self.due = date_box()
        self.due.setDate(QDate.currentDate())
        row.addWidget(self.due)
        set_due = QPushButton("Set due")
        set_due.clicked.connect(self.save_due)
        row.addWidget(set_due)
        clear_due = QPushButton("Finding's due")
        clear_due.setToolTip("Give the selected actions back the due date their finding names")
        clear_due.clicked.connect(self.clear_due)
        row.addWidget(clear_due)
        row.addStretch(1)
        el.addLayout(row)
        nrow = QHBoxLayout()
        nrow.addWidget(QLabel("Notes"))
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("What was done, who was asked, ticket number…")
        self.notes.returnPressed.connect(self.save_notes)
        nrow.addWidget(self.notes, 1)
        save = QPushButton("Save notes")
        save.clicked.connect(self.save_notes)
        nrow.addWidget(save)
        el.addLayout(nrow)
        el.addWidget(heading("Resolution times"))
        self.times = note("")
        el.addWidget(self.times)
        split.addWidget(edit)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        lay.addWidget(split)
        self._actions: list = []
        self._in_edit = False
        session.actionsChanged.connect(self._actions_changed)

    # ------------------------------------------------------------------------------------------
    def catch_up(self) -> None:
        """Built after the checklist was loaded (pages are built when first shown): show it."""
        super().catch_up()
        if self.session.analysis is None:
            self._reload()

    def refresh(self, a) -> None:
        self._reload()

    def _actions_changed(self) -> None:
        # a change made from a cell editor: the table is rebuilt once the editor has closed
        if self._in_edit:
            QTimer.singleShot(0, self._reload)
        else:
            self._reload()

    def _reload(self) -> None:
        keep = self.table.selected_source_rows()
        keep_keys = {self._actions[r].key for r in keep if r < len(self._actions)}
        acts = checklist_order(self.session.actions())
        self._actions = acts
        a = self.analysis
        view = a.as_of if a is not None else None
        holding = {f.key for f in a.findings} if a is not None else set()
        followed = self.session.checklist_date()
        at = f"At {view:%Y-%m-%d}" if view is not None else "At the viewed date"
        m = self.table.table_model
        m.set_columns([
            Col.text("Severity", [fmt.label(x.severity) for x in acts]),
            Col.text("Action", [x.title for x in acts]),
            Col.text("Kind", [fmt.label(x.kind) for x in acts]),
            Col.text("Owner", [x.owner or "" for x in acts], editable=True,
                     tooltip="Who is in charge: the person assigned, else the finding's owner"),
            Col.date("Due", [x.due for x in acts], editable=True,
                     tooltip="The due date a person set, else the finding's"),
            Col.text("Status", [STATUS_LABELS.get(x.status, x.status) for x in acts], editable=True),
            Col.text(at, ["holds" if x.key in holding else "—" for x in acts]),
            Col.text("Resolution", [resolution_label(x) for x in acts]),
            Col.text("Notes", [x.notes or "" for x in acts], editable=True),
            Col.date("Opened", [x.opened_at for x in acts]),
            Col.date("Resolved", [x.resolved_at for x in acts]),
            Col.num("Days to resolve", [x.days_to_resolve for x in acts], digits=0),
        ])
        if followed is None:
            self.view_note.setText("")
        elif view is None or view == followed:
            self.view_note.setText(f"The checklist follows the data as of {followed:%Y-%m-%d}: a finding the "
                                   "newer data no longer produces is resolved by data, with the reason; status, "
                                   "owner and notes change only when you change them.")
        else:
            side = "earlier" if view < followed else "later"
            self.view_note.setText(
                f"Viewing {view:%Y-%m-%d}, {side} than the data the checklist follows ({followed:%Y-%m-%d}): "
                f"a view, not an edit. '{at}' shows which findings hold at {view:%Y-%m-%d}; statuses, owners "
                "and notes are as people set them.")
        overdue = np.array([view is not None and x.overdue(view) for x in acts], dtype=bool)
        self._overdue = overdue
        sev = [x.severity for x in acts]
        m.cell_colors = {0: lambda r: tint(palette.severity_color(sev[r]), 110)}
        m.palette = [tint(palette.VERMILLION, 45), tint(palette.GREY, 40)]
        done = np.array([not x.is_open for x in acts], dtype=bool)
        m.row_colors = np.where(overdue, 0, np.where(done, 1, -1)).astype(np.int64)
        m.row_tooltips = lambda r: acts[r].resolution_reason or acts[r].detail or acts[r].title
        for title, what in EDITABLE.items():
            self.table.setItemDelegateForColumn(m.column_index(title), self._delegates[what])
        self.owners = owner_choices(a, acts)
        keep_assign = self.assign.currentText()
        self.assign.blockSignals(True)
        self.assign.clear()
        self.assign.addItems(self.owners)
        self.assign.setEditText(keep_assign)
        self.assign.blockSignals(False)
        owners = sorted({x.owner for x in acts if x.owner}, key=str.casefold)
        keep_owner = self.owner.currentText()
        self.owner.blockSignals(True)
        self.owner.clear()
        self.owner.addItem("All")
        self.owner.addItems(owners)
        self.owner.setCurrentIndex(max(0, self.owner.findText(keep_owner)))
        self.owner.blockSignals(False)
        self._filter()
        self.table.setColumnWidth(1, 360)  # leaves the view and resolution columns room on 1440 px
        self.table.setColumnWidth(m.column_index("Resolution"), 260)
        if keep_keys:
            self.table.select_source_rows([i for i, x in enumerate(acts) if x.key in keep_keys])
        self._times(acts)

    def _times(self, acts: list[Action]) -> None:
        rep = resolution_report(acts)
        n_over = int(self._overdue.sum()) if len(acts) else 0
        if not rep.count:
            self.times.setText(f"{rep.open_count} open ({n_over} overdue); none resolved yet.")
            return
        parts = [f"{rep.open_count} open ({n_over} overdue); {rep.count} resolved: median "
                 f"{rep.median_days:.1f} data days, mean {rep.mean_days:.1f}"]
        for sev in ACTION_SEVERITIES:
            sub = resolution_report(x for x in rep.closed if x.severity == sev)
            if sub.count:
                parts.append(f"{sev} {sub.median_days:.1f} d (n={sub.count})")
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
            mask &= np.array([x.is_open for x in acts], dtype=bool)
        elif 2 <= st < 2 + len(STATUSES):
            mask &= np.array([x.status == STATUSES[st - 2] for x in acts], dtype=bool)
        elif st == 2 + len(STATUSES):
            mask &= np.array([x.resolution == "data" for x in acts], dtype=bool)
        m.set_filter("filters", mask)

    def _current(self):
        rows = self.table.selected_source_rows()
        return self._actions[rows[0]] if rows else None

    def action_at(self, index) -> Action | None:
        r = self.table.table_model.source_row(index.row())
        return self._actions[r] if 0 <= r < len(self._actions) else None

    def _edit_cell(self, src_row: int, column: int, text: str) -> bool:
        """A cell edited in place: the person's change of that one action."""
        what = EDITABLE.get(self.table.table_model.columns[column].title)
        if what is None or not 0 <= src_row < len(self._actions):
            return False
        key = self._actions[src_row].key
        self._in_edit = True
        try:
            return self.session.set_action(key, **{what: text.strip() if what != "notes" else text})
        finally:
            self._in_edit = False

    def _selected(self, *_):
        keys = self._selected_keys()
        x = self._current()
        if x is None:
            return
        self.notes.setText(x.notes or "")
        self.assign.setEditText(x.assigned_owner or "")
        self.assign.lineEdit().setPlaceholderText(x.finding_owner or "the finding's owner")
        if x.due is not None:
            self.due.setDate(QDate(x.due.year, x.due.month, x.due.day))
        resolved = f" {resolution_label(x)}." if x.resolution else ""
        more = f" ({len(keys)} selected: the buttons below change them all.)" if len(keys) > 1 else ""
        self.detail.setText(f"<b>{x.title}</b> — {x.detail or ''} Owner {x.owner or 'unassigned'}, due "
                            f"{x.due or 'n/a'}, {STATUS_LABELS.get(x.status, x.status).lower()}.{resolved}{more}")

    def _double_clicked(self, index) -> None:
        """Double-click edits the editable cells; elsewhere it opens the finding's source rows."""
        if self.table.table_model.columns[index.column()].title not in EDITABLE:
            self._open_source(index)

    def _selected_keys(self) -> list[str]:
        return [self._actions[r].key for r in self.table.selected_source_rows() if r < len(self._actions)]

    def set_status(self, status: str) -> None:
        keys = self._selected_keys()
        if keys:
            self.session.set_actions(keys, status=status)

    def save_notes(self) -> None:
        keys = self._selected_keys()
        if keys:
            self.session.set_actions(keys, notes=self.notes.text())

    def save_owner(self) -> None:
        """Assign the selected actions to a person ('' gives each back to its finding's owner)."""
        keys = self._selected_keys()
        if keys:
            self.session.set_actions(keys, owner=self.assign.currentText())

    def save_due(self) -> None:
        keys = self._selected_keys()
        if keys:
            self.session.set_actions(keys, due=self.due.date().toPython())

    def clear_due(self) -> None:
        keys = self._selected_keys()
        if keys:
            self.session.set_actions(keys, due="")

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

    def _apply_text(self, text: str) -> None:
        self.table.table_model.set_text_filter(text)

    def visible_titles(self) -> list[str]:
        m = self.table.table_model
        return [m.data(m.index(r, 1)) for r in range(m.rowCount())]
