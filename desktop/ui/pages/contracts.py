"""Contracts: the contracts, per contract its periods, burn-up, exposure, workload-shift
candidates and the commit schedule (editable in place, validated, undoable)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QTabWidget, QVBoxLayout, QWidget

from desktop.domain import palette, validation
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
# editable commit-schedule columns: canonical column -> title
SCHEDULE_EDITABLE = {
    "commitment": "Commitment",
    "rollover_pct": "Rollover %",
    "shortfall_penalty_pct": "Shortfall penalty %",
    "overage_multiplier": "Overage multiplier",
    "discount_pct": "Discount %",
    "owner": "Owner",
    "escalation_owner": "Escalation owner",
}


def parse_edit(column: str, text: str, row: dict | None = None):
    """An edited schedule cell as the value to store, or ValueError with the message of
    desktop.domain.validation (the importer and the store say the same words)."""
    message = validation.check_row("commitments", column, text, row)
    if message is not None:
        raise ValueError(message)
    return validation.parse_value("commitments", column, text)


class ContractsPage(Page):
    title = "Contracts"
    key = "contracts"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        split = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(heading("Contracts — select one to see its periods, burn-up and schedule"))
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
            ch.pointsSelected.connect(self._usage_rows)
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
        sl.addWidget(note("Double-click a cell to edit the commit schedule. Every change is validated, "
                          "recomputed at once and can be undone with Ctrl+Z."))
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
        self._schedule_rows: pd.DataFrame | None = None

    # ------------------------------------------------------------------------------------------
    def refresh(self, a) -> None:
        cs = list(a.contracts)
        self._contracts = cs
        m = self.table.table_model
        m.set_columns([
            Col.text("Contract", [c.contract_id for c in cs]),
            Col.text("Vendor", [c.vendor for c in cs]),
            Col.date("Term start", [c.term_start for c in cs]),
            Col.date("Term end", [c.term_end for c in cs]),
            Col.text("Band / outcome", [fmt.pace(c) for c in cs]),
            Col.num("Pacing", [c.pacing_ratio for c in cs], kind="pct"),
            *[Col.money(t, [getattr(c, f) for c in cs]) for t, f in MONEY_FIELDS_CONTRACT.items()],
            Col.ints("Days left", [c.days_left for c in cs]),
            Col.text("Owner", [c.owner or "" for c in cs]),
            Col.text("Escalates to", [c.escalation_to or "" for c in cs]),
        ])
        band_col = m.column_index("Band / outcome")
        colors = [palette.pace_color(c) for c in cs]
        m.cell_colors = {band_col: lambda r: tint(colors[r], 110)}
        ids = [c.contract_id for c in cs]
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

    def select_contract(self, contract_id: str) -> None:
        ids = [c.contract_id for c in self._contracts]
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
            self.schedule.table_model.set_columns([])
            self.shift.table_model.set_columns([])
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

    def _fill_schedule(self, c) -> None:
        a = self.analysis
        inputs = getattr(a, "inputs", None)
        m = self.schedule.table_model
        if inputs is None or inputs.commitments.empty:
            m.set_columns([])
            self._schedule_rows = None
            return
        df = inputs.commitments
        rows = df[df["contract_id"] == c.contract_id].sort_values("period_start").reset_index(drop=True)
        self._schedule_rows = rows
        cols = [
            Col.date("Period start", rows["period_start"].to_numpy()),
            Col.date("Period end", rows["period_end"].to_numpy()),
            Col.money("Commitment", [from_micros(v) for v in rows["commitment"].tolist()], key="commitment",
                      editable=True),
            Col.text("Currency", rows["currency"].fillna("")),
        ]
        for name, title in list(SCHEDULE_EDITABLE.items())[1:]:
            if name in ("owner", "escalation_owner"):
                cols.append(Col.text(title, rows[name].fillna(""), key=name, editable=True))
            else:
                cols.append(Col.num(title, rows[name].to_numpy(), key=name, editable=True))
                cols[-1].digits = 2
        cols.append(Col.text("Source", [f"{f} row {r}" for f, r in zip(rows["_file"], rows["_row"], strict=True)]))
        m.set_columns(cols)

    def _edit_schedule(self, src_row: int, column: int, text: str) -> bool:
        rows = self._schedule_rows
        if rows is None:
            return False
        col = self.schedule.table_model.columns[column]
        name = col.key
        if name not in SCHEDULE_EDITABLE:
            return False
        start = pd.Timestamp(rows["period_start"].iloc[src_row]).date()
        try:
            value = parse_edit(name, text, {"period_start": start})
        except ValueError as exc:
            self.schedule_msg.setText(f"Not changed: {exc}.")
            return False
        refused: list = []  # what the store said when it refuses (a rule across periods, e.g. overlap)
        self.session.failed.connect(refused.append)
        try:
            ok = self.session.update_commitment(self._current, start, **{name: value})
        finally:
            self.session.failed.disconnect(refused.append)
        if not ok:
            why = getattr(refused[0], "message", str(refused[0])) if refused else "the workspace refused the change"
            self.schedule_msg.setText(f"Not changed: {why}.")
            return False
        self.schedule_msg.setText(f"{self._current} {start}: {SCHEDULE_EDITABLE[name]} set to {text.strip()}.")
        return True

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

    # ------------------------------------------------------------------------------------------
    def _explain_contract(self, src: int, column: int) -> None:
        title = self.table.table_model.columns[column].title
        self.explain("contract", self._contracts[src].contract_id, MONEY_FIELDS_CONTRACT[title])

    def _explain_period(self, src: int, column: int) -> None:
        title = self.periods.table_model.columns[column].title
        c = next(c for c in self._contracts if c.contract_id == self._current)
        p = c.periods[src]
        self.explain("period", f"{c.contract_id}|{p.period_start.isoformat()}", MONEY_FIELDS_PERIOD[title])

    def _usage_rows(self, refs) -> None:
        """A chart point was clicked: show the usage rows behind it."""
        if refs:
            self.session.navigate("usage", {"select_refs": list(refs)})

    def show_ref(self, ref) -> None:
        cid = ref.get("contract_id")
        if cid:
            self.select_contract(cid)
            self.tabs.setCurrentIndex(0)
            return
        band = ref.get("band")
        if band and self._contracts:
            hit = [i for i, c in enumerate(self._contracts) if c.band and c.band.startswith(band)
                   or (band == "shortfall" and c.shortfall_exposure > 0)
                   or (band == "overage" and c.overage_premium > 0)]
            if hit:
                self.table.select_source_rows(hit)
                self._show(self._contracts[hit[0]])

    def apply_filter(self, text: str) -> None:
        self.table.table_model.set_text_filter(text)

