"""Contracts: the contracts, per contract its periods, burn-up, exposure, workload-shift
candidates and the commit schedule editor: cells (dates included) edited in place, periods
added, removed and split, contracts created; each change validated by the domain's validation
layer, undoable, stored in the workspace, shown at once and marked pending until its recompute
lands."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette, schedule, validation
from desktop.domain.money import from_micros
from desktop.domain.vocabulary import SHORTFALL_BANDS
from desktop.ui import fmt
from desktop.ui.charts.base import link_x
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.widgets import Badge, DataTable, feed_chart, heading, make_chart, note, tint

MONEY_FIELDS_CONTRACT = {
    "Commitment": "commitment", "Consumed": "consumed_to_date", "Expected": "expected_to_date",
    "Run rate / day": "run_rate", "Projected": "projected_consumption",
    "Shortfall exposure": "shortfall_exposure", "Overage": "overage", "Overage premium": "overage_premium",
    "Required rate / day": "required_run_rate",
}
MONEY_FIELDS_PERIOD = {
    "Commitment": "commitment", "Carry in": "carry_in", "Consumed": "consumed", "Expected": "expected",
    "Projected": "projected", "Shortfall": "shortfall", "Carry out": "carry_out",
    "Penalty": "shortfall_penalty", "Overage": "overage", "Premium": "overage_premium",
}
# commitment discounts (RIs, savings plans): utilization per discount and month
# (desktop/domain/commitment_discounts.py); title -> explain field
DISCOUNT_FIELDS = {
    "Used": "used_cost", "Unused": "unused_cost", "Utilization (cost)": "cost_utilization",
    "Used quantity": "used_quantity", "Unused quantity": "unused_quantity",
    "Utilization (quantity)": "quantity_utilization", "Other charges": "other_cost",
}
# editable commit-schedule columns: canonical column -> title
SCHEDULE_EDITABLE = {
    "period_start": "Period start",
    "period_end": "Period end",
    "commitment": "Commitment",
    "rollover_pct": "Rollover %",
    "shortfall_penalty_pct": "Shortfall penalty %",
    "overage_multiplier": "Overage multiplier",
    "discount_pct": "Discount %",
    # one value per contract (an edit sets every period; docs/domain.md "Offers")
    "fulfilment": "Fulfilment",
    "rollover_cap": "Rollover cap",
    "rollover_expiry_periods": "Rollover expiry (periods)",
    "shortfall_treatment": "Shortfall treatment",
    "notice_days": "Notice days",
    "owner": "Owner",
    "escalation_owner": "Escalation owner",
}
TEXT_EDITABLE = ("owner", "escalation_owner", "fulfilment", "shortfall_treatment")
STATUSES = ("active", "proposed", "expired")


def parse_edit(column: str, text: str, row: dict | None = None):
    """An edited schedule cell as the value to store, or ValueError with the message of
    desktop.domain.validation (the importer and the store say the same words)."""
    message = validation.check_row("commitments", column, text, row)
    if message is not None:
        raise ValueError(message)
    return validation.parse_value("commitments", column, text)


def prepare(a) -> dict:
    """What ``refresh`` shows that the domain derives from the commitment rows (pandas work the
    session's worker does, not the GUI thread): the offers (proposed contracts) and the schedule
    of every contract as the figures know it."""
    from desktop.domain.offers import offers_from_commitments

    inputs = getattr(a, "inputs", None)
    if inputs is None:
        return {"offers": [], "schedules": {}}
    return {"offers": offers_from_commitments(inputs.commitments, include_current=False),
            "schedules": schedule.by_contract(inputs.commitments)}


class ContractsPage(Page):
    title = "Contracts"
    key = "contracts"
    preparer = staticmethod(prepare)

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(heading("Contracts — select one to see its periods, burn-up and schedule"))
        head.addStretch(1)
        self.new_contract_button = QPushButton("New contract…")
        self.new_contract_button.setToolTip("Create a contract from scratch: id, vendor, first period, minimum")
        self.new_contract_button.clicked.connect(lambda: self.new_contract())
        head.addWidget(self.new_contract_button)
        self.new_offer_button = QPushButton("New offer…")
        self.new_offer_button.setToolTip("Enter a vendor's offer: a proposed contract (it draws down no usage) "
                                         "whose schedule you then shape here (add, split periods; ramps)")
        self.new_offer_button.clicked.connect(lambda: self.new_contract(offer=True))
        head.addWidget(self.new_offer_button)
        tl.addLayout(head)
        self.table = DataTable(explain_columns=lambda c: self.table.table_model.columns[c].title
                               in MONEY_FIELDS_CONTRACT)
        self.table.explainRequested.connect(self._explain_contract)
        self.table.selectionModel().selectionChanged.connect(self._select)
        tl.addWidget(self.table)
        split.addWidget(top)

        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 6, 0, 0)
        hdr = QHBoxLayout()
        self.title_label = heading("")
        self.band_badge = Badge()
        hdr.addWidget(self.title_label)
        hdr.addWidget(self.band_badge)
        hdr.addStretch(1)
        bl.addLayout(hdr)
        self.summary = note("")
        bl.addWidget(self.summary)
        self.tabs = QTabWidget()
        # periods + charts
        pw = QWidget()
        pl = QVBoxLayout(pw)
        pl.setContentsMargins(4, 4, 4, 4)
        charts = QSplitter(Qt.Orientation.Horizontal)
        self.burnup = make_chart("BurnUpChart", min_height=260)
        self.exposure = make_chart("ExposureChart", min_height=260)
        for ch in (self.burnup, self.exposure):  # the charts are built off the GUI thread
            session.register_runner(ch.runner)
        for ch in (self.burnup, self.exposure):
            ch.pointPicked.connect(self._usage_rows)
        link_x(self.burnup, self.exposure)  # one date range across the page's charts
        charts.addWidget(self.burnup)
        charts.addWidget(self.exposure)
        charts.setStretchFactor(0, 3)
        charts.setStretchFactor(1, 2)
        psplit = QSplitter(Qt.Orientation.Vertical)
        psplit.addWidget(charts)
        self.periods = DataTable(explain_columns=lambda c: self.periods.table_model.columns[c].title
                                 in MONEY_FIELDS_PERIOD)
        self.periods.explainRequested.connect(self._explain_period)
        psplit.addWidget(self.periods)
        psplit.setStretchFactor(0, 3)
        psplit.setStretchFactor(1, 2)
        pl.addWidget(psplit)
        self.tabs.addTab(pw, "Periods and burn-up")
        # schedule
        sw = QWidget()
        sl = QVBoxLayout(sw)
        sl.setContentsMargins(4, 4, 4, 4)
        sl.addWidget(note("Double-click a cell to edit the commit schedule, dates included; add, split or "
                          "remove periods with the buttons. Every change is validated, shown at once (marked "
                          "pending until the figures are recomputed) and can be undone with Ctrl+Z."))
        bar = QHBoxLayout()
        self.schedule_buttons: dict[str, QPushButton] = {}
        for key, text, tip, slot in (
                ("add", "Add period", "Add the period after the last one (same length, minimum and terms)",
                 lambda: self.add_period()),
                ("split", "Split period…", "Split the selected period in two on a day you pick",
                 lambda: self.split_period()),
                ("remove", "Remove period", "Remove the selected period", lambda: self.remove_period()),
                ("revert", "Restore imported schedule", "Drop the schedule set here and use the imported "
                 "periods again (a contract created here is removed; Ctrl+Z brings it back)",
                 lambda: self.revert_schedule())):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            bar.addWidget(b)
            self.schedule_buttons[key] = b
        bar.addStretch(1)
        bar.addWidget(QLabel("Status:"))
        self.status_box = QComboBox()
        self.status_box.setObjectName("contractStatus")
        for st in STATUSES:
            self.status_box.addItem(fmt.label(st), st)
        self.status_box.setToolTip("Active: binding, draws down usage. Proposed: an offer, draws down nothing. "
                                   "Expired: over, its ended periods kept as history. Only you change it.")
        self.status_box.activated.connect(lambda i: self.set_status(self.status_box.itemData(i)))
        bar.addWidget(self.status_box)
        sl.addLayout(bar)
        self.schedule_state = note("")
        sl.addWidget(self.schedule_state)
        self.schedule = DataTable()
        self.schedule.setEditTriggers(self.schedule.EditTrigger.DoubleClicked
                                      | self.schedule.EditTrigger.EditKeyPressed)
        self.schedule.table_model.on_edit = self._edit_schedule
        sl.addWidget(self.schedule)
        self.schedule_msg = note("")
        sl.addWidget(self.schedule_msg)
        self.tabs.addTab(sw, "Commit schedule")
        # workload shift
        ww = QWidget()
        wl = QVBoxLayout(ww)
        wl.setContentsMargins(4, 4, 4, 4)
        self.shift_note = note("")
        wl.addWidget(self.shift_note)
        self.shift = DataTable()
        wl.addWidget(self.shift)
        self.tabs.addTab(ww, "Workload-shift candidates")
        # commitment discounts: utilization, not contracts
        dw = QWidget()
        dl = QVBoxLayout(dw)
        dl.setContentsMargins(4, 4, 4, 4)
        self.discount_note = note("")
        dl.addWidget(self.discount_note)
        self.discounts = DataTable(explain_columns=lambda c: self.discounts.table_model.columns[c].title
                                   in DISCOUNT_FIELDS)
        self.discounts.explainRequested.connect(self._explain_discount)
        dl.addWidget(self.discounts)
        self.tabs.addTab(dw, "Commitment discounts")
        self._discounts: list = []
        bl.addWidget(self.tabs)
        split.addWidget(bottom)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        self.split = split
        self.psplit = psplit
        lay.addWidget(split)
        self._contracts: list = []
        self._current: str | None = None
        self._showing = None
        self._sized = False
        self._schedule_rows: list[dict] | None = None
        self._pending: list[dict] | None = None  # the schedule as edited, until its recompute lands
        self._prepared: tuple | None = None  # (analysis, prepare(analysis)) of the figures shown

    # ------------------------------------------------------------------------------------------
    def refresh(self, a) -> None:
        offers = self._derived(a)["offers"]
        # the contracts with figures, then the offers (proposed contracts: no figures, they draw down nothing)
        cs = list(a.contracts) + offers
        self._contracts = cs
        n = len(a.contracts)

        def fig(f):
            return [getattr(c, f) if i < n else None for i, c in enumerate(cs)]

        m = self.table.table_model
        m.set_columns([
            Col.text("Contract", [c.contract_id if i < n else c.name for i, c in enumerate(cs)]),
            Col.text("Vendor", [c.vendor for c in cs]),
            Col.text("Status", [fmt.label(c.status) if i < n else "Proposed" for i, c in enumerate(cs)]),
            Col.date("Term start", [c.term_start for c in cs]),
            Col.date("Term end", [c.term_end for c in cs]),
            Col.text("Band / outcome", [fmt.pace(c) if i < n else "Offer: draws down nothing"
                                        for i, c in enumerate(cs)]),
            Col.num("Pacing", fig("pacing_ratio"), kind="pct"),
            # a usage commitment is paced in its unit (desktop/domain/contracts.py)
            Col.text("Measured in", [f"{c.quantity.unit}: {c.quantity.consumed:,.2f} of {c.quantity.committed:,.2f}"
                                     if i < n and c.quantity is not None else c.currency for i, c in enumerate(cs)]),
            *[Col.money(t, [c.commitment for c in cs] if f == "commitment" else fig(f))
              for t, f in MONEY_FIELDS_CONTRACT.items()],
            Col.num("Days left", fig("days_left"), digits=0),
            Col.text("Owner", [(c.owner or "") if i < n else "" for i, c in enumerate(cs)]),
            Col.text("Escalates to", [(c.escalation_to or "") if i < n else "" for i, c in enumerate(cs)]),
        ])
        self._fill_discounts(a)
        band_col = m.column_index("Band / outcome")
        colors = [palette.pace_color(c) if i < n else palette.GREY for i, c in enumerate(cs)]
        m.cell_colors = {band_col: lambda r: tint(colors[r], 110)}
        ids = [self._id(c) for c in cs]
        rh = self.table.verticalHeader().defaultSectionSize()
        top = rh * max(2, min(len(cs), 6)) + self.table.horizontalHeader().height() + 48 + \
            self.table.horizontalScrollBar().sizeHint().height()
        if not self._sized:  # once: afterwards the analyst's splitter position stays
            self._sized = True
            self.split.setSizes([top, max(400, self.height() - top)])
        target = self._current if self._current in ids else (ids[0] if ids else None)
        if target is not None:
            self.select_contract(target)
        else:
            self._show(None)

    @staticmethod
    def _id(c) -> str:
        """The contract id of a row: a contract's, or an offer's (its name is its contract_id)."""
        return c.contract_id if hasattr(c, "contract_id") else c.name

    @staticmethod
    def _is_offer(c) -> bool:
        return c is not None and not hasattr(c, "contract_id")

    def select_contract(self, contract_id: str) -> None:
        ids = [self._id(c) for c in self._contracts]
        if contract_id not in ids:
            return
        self._showing = None
        self.table.select_source_rows([ids.index(contract_id)])  # -> _select -> _show
        if self._showing is not self._contracts[ids.index(contract_id)]:
            self._show(self._contracts[ids.index(contract_id)])

    def _select(self, *_):
        rows = self.table.selected_source_rows()
        if rows:
            self._show(self._contracts[rows[0]])

    def _show(self, c) -> None:
        a = self.analysis
        if c is None or a is None:
            self._current = None
            self.title_label.setText("No contract")
            self.band_badge.set("", palette.GREY)
            self.periods.table_model.set_columns([])
            self._show_schedule([])
            self.shift.table_model.set_columns([])
            return
        if self._is_offer(c):
            self._show_offer(c)
            return
        self._current = c.contract_id
        self._showing = c
        cur = c.currency
        self.title_label.setText(f"{c.contract_id} · {c.vendor} · {c.term_start} to {c.term_end}")
        self.band_badge.set(fmt.pace(c), palette.pace_color(c))
        req = fmt.money(c.required_run_rate, cur) if c.required_run_rate is not None else "—"
        smooth = f" (smoothed {fmt.money(c.smoothed_run_rate)})" if c.smoothed_run_rate is not None else ""
        if c.outcome_text:  # the term is over: what it came to, no run rate to meet
            pace = (f"{fmt.pace(c)} (the term ended on {c.term_end}). Consumed "
                    f"{fmt.money(c.consumed_to_date, cur)} ({fmt.pct(c.pacing_ratio)} of the commitment). ")
        else:
            pace = (f"Consumed {fmt.money(c.consumed_to_date, cur)} of an expected "
                    f"{fmt.money(c.expected_to_date, cur)} ({fmt.pct(c.pacing_ratio)}). Run rate "
                    f"{fmt.money(c.run_rate, cur)}/day{smooth}; meeting the commitment needs {req}/day for "
                    f"the {c.days_left} days left. ")
        q = c.quantity
        if q is not None and not c.outcome_text:  # a usage commitment: paced in its unit
            need = f"{q.required_run_rate:,.2f} {q.unit}" if q.required_run_rate is not None else "—"
            pace = (f"Measured in {q.unit}: consumed {q.consumed:,.2f} of an expected {q.expected:,.2f} "
                    f"({fmt.pct(c.pacing_ratio)}; spend {fmt.money(c.consumed_to_date, cur)}). Run rate "
                    f"{q.run_rate:,.2f} {q.unit}/day; meeting the commitment needs {need}/day for the "
                    f"{c.days_left} days left. Projected {q.projected:,.2f} of {q.committed:,.2f} {q.unit}: ")
            self.summary.setText(
                pace + f"shortfall penalty {fmt.money(c.shortfall_exposure, cur)}, overage premium "
                f"{fmt.money(c.overage_premium, cur)} (at {fmt.money(c.commitment, cur)} for {q.committed:,.2f} "
                f"{q.unit})." + (f" Clause: {c.clause}." if c.clause else ""))
        else:
            self.summary.setText(
                pace + f"Projected {fmt.money(c.projected_consumption, cur)} against {fmt.money(c.commitment, cur)}: "
                f"shortfall penalty {fmt.money(c.shortfall_exposure, cur)}, overage premium "
                f"{fmt.money(c.overage_premium, cur)}." + (f" Clause: {c.clause}." if c.clause else ""))
        ps = list(c.periods)
        pm = self.periods.table_model
        pm.set_columns([
            Col.date("Start", [p.period_start for p in ps]),
            Col.date("End", [p.period_end for p in ps]),
            Col.text("Status", [fmt.label(p.status) for p in ps]),
            Col.text("Band / outcome", [fmt.pace(p) if (p.band or p.outcome) else "" for p in ps]),
            *[Col.money(t, [getattr(p, f) for p in ps]) for t, f in list(MONEY_FIELDS_PERIOD.items())[:4]],
            Col.num("Pacing", [p.pacing_ratio for p in ps], kind="pct"),
            *[Col.money(t, [getattr(p, f) for p in ps]) for t, f in list(MONEY_FIELDS_PERIOD.items())[4:]],
        ])
        pb = [palette.pace_color(p) if (p.band or p.outcome) else None for p in ps]
        pm.cell_colors = {pm.column_index("Band / outcome"): lambda r: tint(pb[r], 110) if pb[r] else None}
        status = np.array([1 if p.status == "current" else -1 for p in ps], dtype=np.int64)
        pm.palette = [tint(palette.SKY_BLUE, 0), tint(palette.SKY_BLUE, 45)]
        pm.row_colors = status
        rh = self.periods.verticalHeader().defaultSectionSize()
        ph = rh * max(2, min(len(ps), 8)) + 40
        self.psplit.setSizes([max(300, self.psplit.height() - ph), ph])
        self._fill_schedule(c)
        self._fill_shift(c)
        feed_chart(self.burnup, "burnup", a, c.contract_id)
        feed_chart(self.exposure, "exposure", a, c.contract_id)

    def _show_offer(self, o) -> None:
        """An offer (a proposed contract): its terms and schedule; no figures (it draws down nothing)."""
        self._current = o.name
        self._showing = o
        cur = o.currency
        self.title_label.setText(f"{o.name} · {o.vendor} · {o.term_start} to {o.term_end} · offer")
        self.band_badge.set("Proposed", palette.GREY)
        terms = [f"{len(o.periods)} commit period{'s' if len(o.periods) != 1 else ''}, total minimum "
                 f"{fmt.money(o.commitment, cur)}",
                 "the minimum binds " + ("each period" if o.fulfilment == "period" else "the term's total"),
                 "a missed minimum is " + ("paid as prepaid credit" if o.shortfall_treatment == "credit"
                                           else "a penalty")]
        if any(p.rollover_pct for p in o.periods):
            cap = f", at most {fmt.money(o.rollover_cap, cur)}" if o.rollover_cap is not None else ""
            terms.append(f"rollover open for {o.rollover_expiry_periods} period"
                         f"{'s' if o.rollover_expiry_periods != 1 else ''}{cap}")
        if o.notice_deadline is not None:
            terms.append(f"{o.notice_days} days' notice (deadline {o.notice_deadline} if signed)")
        self.summary.setText(
            "An offer: a proposed contract. It draws down no usage and has no pacing; set its status to Active "
            "when it is signed. " + "; ".join(terms) + ". Shape it in the Commit schedule tab (a ramp: periods "
            "whose minimum or discount differ); compare the offers on the Renewal page.")
        self.periods.table_model.set_columns([])
        self.shift_note.setText(f"{o.name} is an offer: workload-shift candidates are for running contracts.")
        self.shift.table_model.set_columns([])
        self._fill_schedule(o)
        self.tabs.setCurrentIndex(self.tabs.indexOf(self.schedule.parentWidget()))
        from desktop.domain.charts import ChartData

        # no burn-up or exposure: an offer draws down nothing (through the charts' own worker, so a
        # build still running for the contract shown before cannot land over it)
        for ch, kind in ((self.burnup, "burnup"), (self.exposure, "exposure")):
            empty = ChartData(kind, f"{o.name} is an offer: it draws down no usage, so it has no "
                                    f"{'burn-up' if kind == 'burnup' else 'exposure'}", ())
            ch.build(lambda data=empty: data)

    def set_status(self, status: str) -> str | None:
        """Set the selected contract's status (active | proposed | expired) by a person's hand: every
        period, one undo step. Returns the reason it was refused, or None."""
        cid = self._current
        if cid is None or status is None:
            return "no contract selected"
        periods = self.session.workspace.schedule(cid)
        if periods and all((p.get("status") or "active") == status for p in periods):
            return None
        why = self.session.edit_schedule(f"{cid} set {status}",
                                         lambda ws: ws.set_contract_terms(cid, status=status))
        if why is not None:
            self.schedule_msg.setText(f"Not changed: {why}.")
            self._sync_status_box()
            return why
        self._after_schedule_change(cid, f"{cid}: status set to {fmt.label(status).lower()}")
        return None

    def _sync_status_box(self) -> None:
        rows = self._schedule_rows or []
        st = (rows[0].get("status") or "active") if rows else "active"
        self.status_box.blockSignals(True)
        self.status_box.setCurrentIndex(max(0, self.status_box.findData(st)))
        self.status_box.blockSignals(False)
        self.status_box.setEnabled(bool(rows) and not self.session.workspace.readonly)

    def _computed_schedule(self, contract_id: str) -> list[dict]:
        """The periods of ``contract_id`` the figures on screen were computed from, with their
        source (file and row)."""
        if self.analysis is None:
            return []
        return [dict(p) for p in self._derived(self.analysis)["schedules"].get(contract_id, [])]

    def _derived(self, a) -> dict:
        """prepare(a): as the session's worker prepared it, else computed now (a few rows)."""
        if self._prepared is None or self._prepared[0] is not a:
            got = self.prepared(a)
            self._prepared = (a, got if got is not None else prepare(a))
        return self._prepared[1]

    def _fill_schedule(self, c) -> None:
        if self._pending is not None and self.schedule_msg.text().endswith("Recomputing the figures…"):
            self.schedule_msg.setText(self.schedule_msg.text().replace("Recomputing the figures…",
                                                                       "The figures are updated."))
        self._pending = None
        self._show_schedule(self._computed_schedule(self._id(c)) if c is not None else [])

    def _show_schedule(self, periods: list[dict], pending: list[dict] | None = None) -> None:
        """The schedule table: ``periods`` (as the figures know them) or, while a change is being
        recomputed, ``pending`` (the schedule as stored) with what changed marked."""
        m = self.schedule.table_model
        shown = pending if pending is not None else periods
        self._schedule_rows = shown
        cid = self._current
        over = cid is not None and self._schedule_overridden(cid)
        self.schedule_buttons["revert"].setEnabled(over)
        self.schedule_state.setText(
            f"The schedule of {cid} was set here: it replaces the imported periods of this contract, also "
            "after a re-import, until you restore them." if over else "")
        for key in ("add", "split", "remove"):
            self.schedule_buttons[key].setEnabled(bool(shown) and not self.session.workspace.readonly)
        self._sync_status_box()
        if not shown:
            m.set_columns([])
            return
        before = {p["period_start"]: p for p in periods}
        changed: dict[int, set[str] | None] = {}  # row -> changed columns (None: a new period)
        if pending is not None:
            same_count = len(periods) == len(shown)  # a period changed in place (its start too)
            for i, p in enumerate(shown):
                old = periods[i] if same_count else before.get(p["period_start"])
                if old is None:
                    changed[i] = None
                else:
                    diff = {k for k in schedule.COLUMNS if old.get(k) != p.get(k)}
                    if diff:
                        changed[i] = diff
        self._changed = changed

        def col_values(name):
            return [p.get(name) for p in shown]

        cols = [
            Col.date("Period start", col_values("period_start"), key="period_start", editable=True),
            Col.date("Period end", col_values("period_end"), key="period_end", editable=True),
            Col.money("Commitment", [from_micros(v) if v is not None else None for v in col_values("commitment")],
                      key="commitment", editable=True),
            Col.text("Currency", [v or "" for v in col_values("currency")]),
        ]
        for name, title in list(SCHEDULE_EDITABLE.items())[3:]:
            if name in TEXT_EDITABLE:
                cols.append(Col.text(title, [v or "" for v in col_values(name)], key=name, editable=True))
            else:
                cols.append(Col.num(title, col_values(name), key=name, editable=True))
                cols[-1].digits = 2
        cols.append(Col.text("Source", ["pending recompute" if i in changed else p.get("_source", "")
                                        for i, p in enumerate(shown)]))
        m.set_columns(cols)
        pend = tint(palette.YELLOW, 120)
        m.cell_colors = {j: (lambda r, key=col.key: pend if r in changed and (changed[r] is None or key in changed[r])
                             else None) for j, col in enumerate(cols)}
        m.row_tooltips = (lambda r: "Pending: the figures are being recomputed with this change"
                          if r in changed else None)

    def _schedule_overridden(self, contract_id: str) -> bool:
        try:
            return contract_id in self.session.workspace.schedule_overrides()
        except Exception:  # a closed workspace: nothing to say
            return False

    def _after_schedule_change(self, contract_id: str, done: str) -> None:
        """Show the schedule as stored at once, its changes marked pending until the recompute
        that brings them into the figures lands (``refresh`` then shows the new figures)."""
        periods = self.session.workspace.schedule(contract_id)
        overridden = self._schedule_overridden(contract_id)
        for p in periods:
            p.setdefault("_source", schedule.EDITED_SOURCE if overridden else "")
        self._pending = periods
        known = self._computed_schedule(contract_id)
        if contract_id != self._current:  # a new contract: no figures for it yet
            self._current = contract_id
            self.title_label.setText(f"{contract_id} · new contract, figures pending")
            self.band_badge.set("", palette.GREY)
            self.summary.setText(f"The figures of {contract_id} are being computed.")
            self.tabs.setCurrentIndex(self.tabs.indexOf(self.schedule.parentWidget()))
        self._show_schedule(known, pending=periods)
        self.schedule_msg.setText(f"{done}. Recomputing the figures…")

    def _edit_schedule(self, src_row: int, column: int, text: str) -> bool:
        rows = self._schedule_rows
        if rows is None or self._current is None:
            return False
        col = self.schedule.table_model.columns[column]
        name = col.key
        if name not in SCHEDULE_EDITABLE:
            return False
        start = rows[src_row]["period_start"]
        row = {"period_start": start, "period_end": rows[src_row]["period_end"]}
        try:
            value = parse_edit(name, text, row)
        except ValueError as exc:
            self.schedule_msg.setText(f"Not changed: {exc}.")
            return False
        cid = self._current
        why = self.session.edit_schedule(f"{cid} {start}",
                                         lambda ws: ws.update_commitment(cid, start, **{name: value}))
        if why is not None:
            self.schedule_msg.setText(f"Not changed: {why}.")
            return False
        # shown once the cell editor has closed (the table is rebuilt)
        QTimer.singleShot(0, lambda: self._after_schedule_change(
            cid, f"{cid} {start}: {SCHEDULE_EDITABLE[name]} set to {text.strip()}"))
        return True

    def _selected_period(self) -> dict | None:
        rows = self.schedule.selected_source_rows()
        if rows and self._schedule_rows:
            return self._schedule_rows[rows[0]]
        if self._schedule_rows and len(self._schedule_rows) == 1:
            return self._schedule_rows[0]
        self.schedule_msg.setText("Select a period in the schedule first.")
        return None

    def _schedule_edit(self, cid: str, undo_label: str, change, verb: str, done: str) -> None:
        """Apply one schedule change (one undo step); its refusal is said in the page."""
        why = self.session.edit_schedule(undo_label, change)
        if why is not None:
            self.schedule_msg.setText(f"Not {verb}: {why}.")
            return
        self._after_schedule_change(cid, done)

    def add_period(self) -> None:
        cid = self._current
        if cid is None:
            return
        self._schedule_edit(cid, f"{cid}: a period added", lambda ws: ws.add_period(cid), "added",
                            f"{cid}: period added after the last one")

    def remove_period(self) -> None:
        cid, p = self._current, self._selected_period()
        if cid is None or p is None:
            return
        start = p["period_start"]
        self._schedule_edit(cid, f"{cid} {start} removed", lambda ws: ws.remove_period(cid, start), "removed",
                            f"{cid}: period {start} to {p['period_end']} removed")

    def split_period(self, at=None) -> None:
        """Split the selected period on ``at`` (None: ask with SplitDialog)."""
        from desktop.ui.dialogs.schedule import SplitDialog

        cid, p = self._current, self._selected_period()
        if cid is None or p is None:
            return
        start = p["period_start"]
        if at is None:
            dlg = SplitDialog(self.session.workspace.schedule(cid), start, self)
            if not dlg.exec():
                return
            at = dlg.at()
        self._schedule_edit(cid, f"{cid} {start} split", lambda ws: ws.split_period(cid, start, at), "split",
                            f"{cid}: period {start} split on {at}")

    def revert_schedule(self) -> None:
        cid = self._current
        if cid is None:
            return
        self._schedule_edit(cid, f"{cid} restored", lambda ws: ws.revert_schedule(cid), "restored",
                            f"{cid}: the imported schedule restored")

    def new_contract(self, values: dict | None = None, offer: bool = False) -> str | None:
        """Create a contract, or with ``offer`` an offer (a contract with status proposed)
        (``values`` as NewContractDialog answers; None: ask). Returns the reason it was refused,
        or None."""
        from desktop.ui.dialogs.schedule import NewContractDialog

        ws = self.session.workspace
        if values is None:
            existing = [self._id(c) for c in self._contracts] + list(ws.schedule_overrides())
            vendors = sorted({c.vendor for c in self._contracts if c.vendor}, key=str.casefold)
            dlg = NewContractDialog(existing, vendors, self, offer=offer)
            if not dlg.exec() or dlg.values is None:
                return None
            values = dlg.values
        v = dict(values)
        if offer:
            v["status"] = "proposed"
        cid = str(v.pop("contract_id")).strip()
        args = [v.pop(k) for k in ("vendor", "period_start", "period_end", "commitment")]
        terms = {k: x for k, x in v.items() if x not in (None, "")}
        why = self.session.edit_schedule(f"contract {cid} created", lambda w: w.new_contract(cid, *args, **terms))
        if why is not None:
            self.schedule_msg.setText(f"Not created: {why}.")
            return why
        self._after_schedule_change(cid, f"{'Offer' if v.get('status') == 'proposed' else 'Contract'} {cid} created")
        return None

    def _fill_shift(self, c) -> None:
        a = self.analysis
        cands = [w for w in a.workload_shift if w.contract_id == c.contract_id]
        if c.band in SHORTFALL_BANDS:
            self.shift_note.setText(
                f"{c.contract_id} is in {fmt.label(c.band).lower()}. Workloads below run on spend that does not "
                f"draw down this contract; moving them for the {c.days_left} days left would cover the "
                "share of the projected shortfall shown.")
        else:
            state = c.outcome_text if c.outcome_text else (fmt.label(c.band).lower() if c.band else "not paced yet")
            self.shift_note.setText(f"{c.contract_id} is {state}: "
                                    "workload-shift candidates are listed for contracts in a shortfall band.")
        m = self.shift.table_model
        m.set_columns([
            Col.text("Workload", [w.workload for w in cands]),
            Col.text("Basis", [w.basis for w in cands]),
            Col.text("Vendor now", [w.vendor for w in cands]),
            Col.money("Run rate / day", [w.run_rate for w in cands]),
            Col.ints("Days left", [w.days_left for w in cands]),
            Col.money("Movable spend", [w.movable_spend for w in cands]),
            Col.money("Covers", [w.covers for w in cands]),
            Col.num("Share of shortfall", [w.covers_pct for w in cands], kind="pct"),
        ])

    def _fill_discounts(self, a) -> None:
        ds = list(getattr(a, "commitment_discounts", ()) or ())
        self._discounts = ds
        ids = {d.commitment_discount_id for d in ds}
        self.discount_note.setText(
            f"{len(ids)} commitment discount{'s' if len(ids) != 1 else ''} (reserved instances, savings plans) "
            "named by usage through CommitmentDiscountId, per month: what was used and what was left unused. "
            "Unused is the cost of the discount no usage took, not a contract shortfall."
            if ds else "No usage names a commitment discount (reserved instance or savings plan).")
        self.discounts.table_model.set_columns([
            Col.text("Commitment discount", [d.commitment_discount_id for d in ds]),
            Col.text("Type", [d.type or "" for d in ds]),
            Col.text("Category", [d.category or "" for d in ds]),
            Col.text("Vendor", [d.vendor for d in ds]),
            Col.text("Month", [d.month for d in ds]),
            Col.money("Used", [d.used_cost for d in ds]),
            Col.money("Unused", [d.unused_cost for d in ds]),
            Col.num("Utilization (cost)", [d.cost_utilization for d in ds], kind="pct"),
            Col.num("Used quantity", [d.used_quantity for d in ds]),
            Col.num("Unused quantity", [d.unused_quantity for d in ds]),
            Col.text("Unit", [d.unit or "" for d in ds]),
            Col.num("Utilization (quantity)", [d.quantity_utilization for d in ds], kind="pct"),
            Col.money("Other charges", [d.other_cost for d in ds]),
        ])

    # ------------------------------------------------------------------------------------------
    def _explain_discount(self, src: int, column: int) -> None:
        d = self._discounts[src]
        title = self.discounts.table_model.columns[column].title
        self.explain("commitment_discount", f"{d.commitment_discount_id}|{d.month}", DISCOUNT_FIELDS[title])

    def _explain_contract(self, src: int, column: int) -> None:
        title = self.table.table_model.columns[column].title
        c = self._contracts[src]
        if self._is_offer(c):  # an offer has no computed figure to explain
            return
        self.explain("contract", c.contract_id, MONEY_FIELDS_CONTRACT[title])

    def _explain_period(self, src: int, column: int) -> None:
        title = self.periods.table_model.columns[column].title
        c = next((c for c in self._contracts if self._id(c) == self._current), None)
        if c is None or self._is_offer(c):
            return
        p = c.periods[src]
        self.explain("period", f"{c.contract_id}|{p.period_start.isoformat()}", MONEY_FIELDS_PERIOD[title])

    def _usage_rows(self, refs, label: str = "") -> None:
        """A chart point was clicked: Usage filtered to exactly the rows behind it (a chip)."""
        if refs:
            self.session.navigate("usage", {"rows": list(refs), "label": label})

    def show_ref(self, ref) -> None:
        if ref.get("new_offer"):  # the Renewal workbench's New offer…: this page's editor, once shown
            QTimer.singleShot(0, lambda: self.new_contract(offer=True))
            return
        cid = ref.get("contract_id")
        if cid:
            self.select_contract(cid)
            if not self._is_offer(self._showing):  # an offer opens on its schedule (it has no figures)
                self.tabs.setCurrentIndex(0)
            return
        band = ref.get("band")
        if band and self._contracts:
            hit = [i for i, c in enumerate(self._contracts) if not self._is_offer(c) and (
                   c.band and c.band.startswith(band)
                   or (band == "shortfall" and c.shortfall_exposure > 0)
                   or (band == "overage" and c.overage_premium > 0))]
            if hit:
                self.table.select_source_rows(hit)
                self._show(self._contracts[hit[0]])

    def _apply_text(self, text: str) -> None:
        self.table.table_model.set_text_filter(text)

