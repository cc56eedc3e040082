"""Renewal: the negotiation workbench of one vendor (docs/domain.md "Negotiation").

Everything shown is one ``desktop.domain.negotiation.Negotiation``, built in the page's worker
(desktop.ui.workers.TaskRunner, with progress and Cancel) from the workspace: the vendor's offers
(proposed contracts; its current contract renewed as is first, desktop.domain.offers.
offers_from_commitments), the analysis it forecasts from, the analyst's forecast overlays
(stored in the workspace, undoable: desktop/store/overlays.py) and the offer whose asks are
priced. The page composes: the offers side by side with the forecast's WAPE and 80 % coverage
above them, the per-period figures of the selected offer, the frontier chart, the priced asks
(table and tornado) and the walk-away (BATNA) tables. While a build runs the figures shown stay,
marked as being recomputed; when one fails or is cancelled they stay, marked as out of date.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.errors import InputError
from desktop.ui import fmt
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.pages.renewal_parts import OVERLAY_TITLES, OffersGrid, OverlayDialog, describe
from desktop.ui.widgets import DataTable, heading, make_chart, note
from desktop.ui.workers import TaskRunner


def negotiation_job(analysis, vendor: str | None, selected: str | None, records: list[dict]):
    """The worker's function: ``(progress) -> (vendors, vendor, current, Negotiation | None)``.
    ``vendor`` None (or gone): the first vendor with offers. Pure domain calls only."""
    from desktop.domain import overlays
    from desktop.domain.negotiation import build_negotiation
    from desktop.domain.offers import offers_from_commitments

    def job(progress):
        progress.step(0.0, "Reading the offers")
        commitments = analysis.inputs.commitments if analysis.inputs is not None else None
        offers = offers_from_commitments(commitments)
        vendors = list(dict.fromkeys(o.vendor for o in offers))
        chosen = next((v for v in vendors if overlays.same_vendor(v, vendor)), vendors[0] if vendors else None)
        if chosen is None:
            return vendors, None, None, None
        mine = [o for o in offers if overlays.same_vendor(o.vendor, chosen)]
        current = mine[0].name if mine and is_current(mine[0].name) else None
        names = {o.name for o in mine}
        neg = build_negotiation(
            analysis, mine, vendor=chosen, settings=analysis.settings, as_of=analysis.as_of,
            overlays=overlays.to_forecast([r for r in records if overlays.same_vendor(r.get("vendor"), chosen)]),
            selected=selected if selected in names else None, progress=progress)
        return vendors, chosen, current, neg

    return job


def is_current(name: str) -> bool:
    from desktop.domain.offers import CURRENT_SUFFIX

    return name.endswith(CURRENT_SUFFIX)


class RenewalPage(Page):
    title = "Renewal"
    key = "renewal"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.runner = TaskRunner("negotiation", self)
        self.runner.finished.connect(self._done)
        self.runner.failed.connect(self._failed)
        self.runner.cancelled.connect(self._cancelled)
        self.runner.progress.connect(self._progress)
        session.register_runner(self.runner)
        self.negotiation = None  # the Negotiation on screen
        self.current: str | None = None  # the current contract's offer name
        self.selected: str | None = None  # the offer whose asks are priced (None: the engine's default)
        self.vendors: list[str] = []
        self._pending = ""  # what the running build brings in (for the state line)
        self.builds = 0  # builds that landed (tests wait on it)
        self._stale = False  # the last build failed or was cancelled: the figures shown are older

        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        lay.setSpacing(6)

        # --- the bar: vendor, offers, state ----------------------------------------------------
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Vendor"))
        self.vendor = QComboBox()
        self.vendor.setMinimumContentsLength(14)
        self.vendor.setToolTip("The vendor whose offers are compared (vendors with a proposed contract)")
        self.vendor.currentIndexChanged.connect(self._vendor_changed)
        bar.addWidget(self.vendor)
        self.new_offer_btn = QPushButton("New offer…")
        self.new_offer_btn.setToolTip("Offers are proposed contracts: create one on the Contracts page")
        self.new_offer_btn.clicked.connect(self.new_offer)
        self.edit_offer_btn = QPushButton("Edit offer…")
        self.edit_offer_btn.setToolTip("Open the selected offer's terms and periods on the Contracts page")
        self.edit_offer_btn.clicked.connect(self.edit_offer)
        bar.addWidget(self.new_offer_btn)
        bar.addWidget(self.edit_offer_btn)
        bar.addSpacing(12)
        self.state = QLabel("")
        self.state.setObjectName("renewalState")
        self.state.setWordWrap(True)
        bar.addWidget(self.state, 1)
        self.bar = QProgressBar()
        self.bar.setRange(0, 100)
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.bar.hide()
        bar.addWidget(self.bar)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.clicked.connect(self.cancel)
        self.cancel_btn.hide()
        bar.addWidget(self.cancel_btn)
        lay.addLayout(bar)

        # --- the forecast and its overlays ----------------------------------------------------
        fc = QHBoxLayout()
        self.forecast = note("")
        self.forecast.setObjectName("forecastLine")
        self.forecast.setTextFormat(Qt.TextFormat.RichText)
        fc.addWidget(self.forecast, 3)
        ov = QVBoxLayout()
        ov.setSpacing(2)
        ob = QHBoxLayout()
        ob.addWidget(QLabel("Scenario overlays"))
        ob.addStretch(1)
        self.add_overlay_btn = QToolButton()
        self.add_overlay_btn.setText("Add ▾")
        self.add_overlay_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_overlay_btn)
        for kind, title in OVERLAY_TITLES.items():
            menu.addAction(title + "…", lambda k=kind: self.add_overlay(k))
        self.add_overlay_btn.setMenu(menu)
        self.remove_overlay_btn = QToolButton()
        self.remove_overlay_btn.setText("Remove")
        self.remove_overlay_btn.clicked.connect(self.remove_overlay)
        ob.addWidget(self.add_overlay_btn)
        ob.addWidget(self.remove_overlay_btn)
        ov.addLayout(ob)
        self.overlays = QListWidget()
        self.overlays.setObjectName("overlayList")
        self.overlays.setWordWrap(True)  # a long overlay reads whole, on two lines
        self.overlays.setMaximumHeight(self.fontMetrics().height() * 3 + 10)
        ov.addWidget(self.overlays)
        fc.addLayout(ov, 2)
        lay.addLayout(fc)

        # --- offers (left) and charts, asks, walk-away (right) --------------------------------
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(4)
        ll.addWidget(heading("Offers side by side"))
        self.grid = OffersGrid()
        self.grid.offerSelected.connect(self.select_offer)
        ll.addWidget(self.grid)
        self.periods_title = heading("Per commit period")
        ll.addWidget(self.periods_title)
        self.periods = DataTable()
        ll.addWidget(self.periods, 1)
        split.addWidget(left)

        self.tabs = QTabWidget()
        self.frontier = make_chart("FrontierChart", min_height=200)
        session.register_runner(self.frontier.runner)
        self.frontier.pointsSelected.connect(self._frontier_clicked)
        self.tabs.addTab(self.frontier, "Frontier")
        asks = QSplitter(Qt.Orientation.Vertical)
        at = QWidget()
        al = QVBoxLayout(at)
        al.setContentsMargins(4, 4, 4, 0)
        self.asks_note = note("")
        al.addWidget(self.asks_note)
        self.asks_table = DataTable()
        al.addWidget(self.asks_table, 1)
        asks.addWidget(at)
        self.tornado = make_chart("AsksTornadoChart", min_height=160)
        session.register_runner(self.tornado.runner)
        asks.addWidget(self.tornado)
        asks.setSizes([220, 220])
        self.tabs.addTab(asks, "Priced asks")
        bw = QWidget()
        bwl = QVBoxLayout(bw)
        bwl.setContentsMargins(4, 4, 4, 4)
        self.batna_note = note("")
        bwl.addWidget(self.batna_note)
        self.batna_totals = DataTable()
        self.batna_totals.setMaximumHeight(self.fontMetrics().height() * 6 + 24)
        bwl.addWidget(self.batna_totals)
        self.batna = DataTable()
        bwl.addWidget(self.batna, 1)
        self.tabs.addTab(bw, "Walk-away (BATNA)")
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        lay.addWidget(split, 1)
        self._show_empty("")

    # --- building ------------------------------------------------------------------------------
    def refresh(self, analysis) -> None:
        self.start("the new figures" if self.negotiation is not None else "")

    def start(self, why: str = "") -> None:
        """Build the Negotiation in the worker (cancelling one in flight); ``why`` names the
        change it brings in."""
        a = self.analysis
        if a is None:
            return
        vendor = self.vendor.currentText() or None
        try:
            records = self.session.workspace.overlays()
        except Exception as exc:  # a closed or unreadable workspace: say so, keep the figures
            self.state.setText(f"Offers not recomputed: {exc}")
            return
        self._pending = why
        self.bar.setValue(0)
        self.bar.show()
        self.cancel_btn.show()
        self.state.setText(f"Recomputing the offers after {why}…" if why and self.negotiation is not None
                           else "Simulating the offers…")
        self.runner.start(negotiation_job(a, vendor, self.selected, records),
                          label=f"Negotiation {vendor or ''}".strip())

    def cancel(self) -> None:
        self.runner.cancel()

    def _progress(self, fraction: float, text: str) -> None:
        self.bar.setValue(int(fraction * 100))
        self.bar.setToolTip(text)

    def _idle(self) -> None:
        self.bar.hide()
        self.cancel_btn.hide()

    def _done(self, payload) -> None:
        self._idle()
        vendors, vendor, current, neg = payload
        self.vendors = vendors
        self.vendor.blockSignals(True)
        self.vendor.clear()
        self.vendor.addItems(vendors)
        if vendor is not None:
            self.vendor.setCurrentIndex(max(0, self.vendor.findText(vendor)))
        self.vendor.blockSignals(False)
        self.builds += 1
        if neg is None:
            self._show_empty("No offers in this workspace. An offer is a proposed contract: create one with "
                             "New offer… (the Contracts page) or import an offer file (the commitments template "
                             "with status proposed).")
            return
        self.negotiation, self.current = neg, current
        self._stale = False
        self.selected = neg.selected
        self._show(neg)

    def _failed(self, exc) -> None:
        self._idle()
        self._stale = True
        why = exc.message if isinstance(exc, InputError) else f"{type(exc).__name__}: {exc}"
        if self.negotiation is not None:
            self.state.setText(f"<b>Out of date</b>: the offers were not recomputed after {self._pending or 'the change'}"
                               f" ({why}). The figures shown are from before it.")
        else:
            self._show_empty(f"The offers cannot be compared: {why}")
        if not isinstance(exc, InputError):
            self.session.failed.emit(exc)

    def _cancelled(self) -> None:
        self._idle()
        self._stale = True
        if self.negotiation is not None:
            self.state.setText("<b>Out of date</b>: the recompute was cancelled; the figures shown are from before "
                               f"{self._pending or 'it'}. Change the vendor or an overlay to recompute.")
        else:
            self.state.setText("Cancelled: nothing simulated yet. Pick a vendor to start again.")

    @property
    def current_negotiation(self):
        """The Negotiation on screen when it is up to date (no build running, none failed), for
        the brief's Negotiation sheet; else None (the brief builds its own)."""
        return None if self._stale or self.runner.busy else self.negotiation

    # --- showing -------------------------------------------------------------------------------
    def _show_empty(self, text: str) -> None:
        self.negotiation = None
        self.grid.clear_offers()
        self.periods.table_model.set_columns([])
        self.asks_table.table_model.set_columns([])
        self.batna.table_model.set_columns([])
        self.batna_totals.table_model.set_columns([])
        self.forecast.setText("")
        self.state.setText(text)
        self.edit_offer_btn.setEnabled(False)
        self.add_overlay_btn.setEnabled(bool(self.vendors))
        self._show_overlays()

    def _show(self, neg) -> None:
        self.state.setText(f"{len(neg.offers.offers)} offers of {neg.vendor} on {neg.paths:,} simulated futures "
                           f"(seed {neg.seed}) from {neg.as_of:%Y-%m-%d}; amounts in {neg.currency}"
                           + (f" · {neg.notes[0]}" if neg.notes else ""))
        self.state.setToolTip("\n".join(neg.notes))
        self.forecast.setText(self._forecast_text(neg))
        self.grid.show_negotiation(neg, self.current, neg.selected)
        self.edit_offer_btn.setEnabled(bool(neg.selected) and not is_current(neg.selected or ""))
        self.add_overlay_btn.setEnabled(True)
        self._show_periods(neg)
        self._show_asks(neg)
        self._show_batna(neg)
        self._show_overlays()
        self.frontier.set_negotiation(neg, self.current)
        self.tornado.set_negotiation(neg)

    @staticmethod
    def _forecast_text(neg) -> str:
        """The forecast the figures are projected on, with how well it held out of sample."""
        f = neg.forecast
        if f.source == "fitted":
            check = (f"backtest WAPE <b>{fmt.pct(f.wape)}</b> over {f.backtest_n} months" if f.wape is not None
                     else "no backtest (too few months)")
            cov = (f"80 % interval held <b>{fmt.pct(f.coverage80, 0)}</b> of {f.coverage_n} months"
                   if f.coverage80 is not None else "80 % interval not checked yet")
            head = f"<b>Forecast</b> fitted on {len(f.history)} months: {check}, {cov}."
        else:
            head = (f"<b>Forecast</b> from a baseline of {fmt.money(f.baseline_monthly)} / month growing "
                    f"{fmt.pct(f.growth)} ± {fmt.pct(f.growth_sd)} a month (not checked against history).")
        shown = [m for m in (f.months[1:2] + f.months[-1:] if len(f.months) > 1 else f.months)]
        months = " · ".join(f"{m.month:%b %Y} {fmt.money(m.mean)} (80 %: {fmt.money(m.p10)} – {fmt.money(m.p90)})"
                            for m in shown)
        return f"{head}<br>Monthly list-price spend: {months}" if months else head

    def _selected_result(self, neg):
        return next((r for r in neg.offers.offers if r.offer == neg.selected), neg.offers.offers[0])

    def _show_periods(self, neg) -> None:
        r = self._selected_result(neg)
        self.periods_title.setText(f"Per commit period · {r.offer}")
        ps = r.periods
        self.periods.table_model.set_columns([
            Col.date("Starts", [p.period_start for p in ps]),
            Col.date("Ends", [p.period_end for p in ps]),
            Col.money("Commitment", [p.commitment for p in ps]),
            Col.money("Expected spend", [p.expected_spend for p in ps],
                      tooltip="Expected consumption at the offer's discount"),
            Col.money("Expected cost", [p.expected_cost for p in ps]),
            Col.money("Savings vs list", [p.savings_vs_list for p in ps]),
            Col.num("P(shortfall)", [p.p_shortfall for p in ps], kind="pct"),
            Col.money("Exp. shortfall penalty", [p.expected_shortfall_penalty for p in ps]),
            Col.money("Exp. overage premium", [p.expected_overage_premium for p in ps]),
            Col.money("CVaR-95", [p.cvar95_cost for p in ps]),
        ])

    def _show_asks(self, neg) -> None:
        asks = list(neg.asks)
        self.asks_note.setText(
            f"What each clause change is worth for <b>{neg.selected}</b>, on the same futures: the list to take "
            "into the call (click an offer's column to price its asks).")
        self.asks_table.table_model.set_columns([
            Col.num("Rank", [a.rank for a in asks], digits=0),
            Col.text("Ask", [a.label for a in asks]),
            Col.money("Cost change", [a.delta_cost for a in asks],
                      tooltip="Expected cost with the ask minus without it: negative saves money"),
            Col.num("P(shortfall) change", [a.delta_p_shortfall for a in asks], kind="pct",
                    tooltip="P(shortfall) with the ask minus without it"),
            Col.money("Cost with it", [a.expected_cost for a in asks], tooltip="Expected cost with the ask"),
            Col.num("P(shortfall) with it", [a.p_shortfall for a in asks], kind="pct"),
            Col.text("What it means", [a.detail if a.applicable else f"Does not apply: {a.detail}" for a in asks]),
        ])

    def _show_batna(self, neg) -> None:
        w = neg.batna_window
        self.batna_note.setText(
            (f"What {neg.vendor}'s token volume of {w[0]:%Y-%m-%d} to {w[1]:%Y-%m-%d} would have cost at each "
             "alternative's contracted prices (the walk-away):" if w else "No walk-away: ")
            + ("" if neg.batna_totals else " " + "; ".join(n for n in neg.notes if "walk-away" in n)))
        t = list(neg.batna_totals)
        self.batna_totals.table_model.set_columns([
            Col.text("Alternative", [x.alternative for x in t]),
            Col.money(f"At {neg.vendor}", [x.current_cost for x in t]),
            Col.money("At the alternative", [x.alternative_cost for x in t]),
            Col.money("Difference", [x.difference for x in t]),
            Col.money("Not priced (at vendor)", [x.unpriced_cost for x in t]),
            Col.text("Groups priced", [f"{x.groups_priced} of {x.groups}" for x in t]),
        ])
        b = list(neg.batna)
        self.batna.table_model.set_columns([
            Col.text("Alternative", [x.alternative for x in b]),
            Col.text("Model family", [x.model for x in b]),
            Col.text("Token kind", [fmt.label(x.token_kind) for x in b]),
            Col.text("Tier", [x.service_tier for x in b]),
            Col.num("Tokens", [x.tokens for x in b], kind="int"),
            Col.money(f"At {neg.vendor}", [x.current_cost for x in b]),
            Col.text("Alternative model", [x.alternative_model or "" for x in b]),
            Col.text("Price / million", [x.alternative_per_million or "" for x in b]),
            Col.money("At the alternative", [x.alternative_cost for x in b]),
            Col.money("Difference", [x.difference for x in b]),
        ])

    def _show_overlays(self) -> None:
        self.overlays.clear()
        vendor = self.vendor.currentText()
        try:
            records = self.session.workspace.overlays(vendor) if vendor else []
        except Exception:  # the state line says what failed when the build starts
            records = []
        for r in records:
            item = QListWidgetItem(describe(r))
            item.setData(Qt.ItemDataRole.UserRole, r.get("id"))
            item.setToolTip(describe(r))
            self.overlays.addItem(item)
        if not records:
            item = QListWidgetItem("None: the forecast as fitted")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.overlays.addItem(item)
        self.remove_overlay_btn.setEnabled(bool(records))

    # --- the analyst's changes -------------------------------------------------------------------
    def _vendor_changed(self, _index: int) -> None:
        self.selected = None
        self._show_overlays()
        self.start(f"choosing {self.vendor.currentText()}")

    def select_offer(self, name: str) -> None:
        """Price the asks of ``name`` (and show its periods): a rebuild in the worker."""
        if self.negotiation is None or name == self.negotiation.selected:
            return
        self.selected = name
        self.start(f"selecting {name}")

    def _frontier_clicked(self, keys) -> None:
        for k in keys:
            parts = str(k).split(":")
            if len(parts) >= 3 and parts[0] == "frontier":
                self.select_offer(":".join(parts[1:-1]))
                return

    def add_overlay(self, kind: str, values: dict | None = None) -> dict | None:
        """Add an overlay of ``kind`` for the vendor shown (``values``: the dialog's answers
        without asking). Stored in the workspace (undoable), then the offers are recomputed."""
        vendor = self.vendor.currentText()
        if not vendor or self.analysis is None:
            return None
        ws = self.session.workspace
        if values is not None:
            try:
                record = ws.add_overlay({"kind": kind, "vendor": vendor, **values})
            except InputError as exc:
                self.state.setText(f"Overlay not added: {exc.message}")
                return None
        else:
            models = []
            dlg = OverlayDialog(kind, vendor, self.analysis.as_of, ws.add_overlay, models, self)
            if not dlg.exec() or dlg.record is None:
                return None
            record = dlg.record
        self.session.undoChanged.emit()
        self.session.message.emit(f"Overlay added: {describe(record)}")
        self._show_overlays()
        self.start(f"adding the overlay {describe(record).lower()}")
        return record

    def remove_overlay(self) -> bool:
        item = self.overlays.currentItem()
        oid = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        if not oid:
            return False
        text = item.text()
        try:
            gone = self.session.workspace.remove_overlay(oid)
        except Exception as exc:
            self.state.setText(f"Overlay not removed: {exc}")
            return False
        if gone:
            self.session.undoChanged.emit()
            self.session.message.emit(f"Overlay removed: {text}")
            self._show_overlays()
            self.start(f"removing the overlay {text.lower()}")
        return gone

    def new_offer(self) -> None:
        self.session.navigate("contracts", {"new_offer": True, "vendor": self.vendor.currentText()})

    def edit_offer(self) -> None:
        name = self.negotiation.selected if self.negotiation is not None else None
        if name and not is_current(name):
            self.session.navigate("contracts", {"contract_id": name})

    def _apply_text(self, text: str) -> None:
        for t in (self.periods, self.asks_table, self.batna, self.batna_totals):
            t.table_model.set_text_filter(text)
