"""Invoices: variance and status per invoice, flagged lines with leakage and owner, and a
drill into the usage behind an expected figure."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette, tieout
from desktop.ui import fmt
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.widgets import DataTable, feed_chart, heading, make_chart, note, tint
from desktop.ui.workers import TaskRunner

AUDIT_FIELDS = ("vendor_cost", "expected", "invoiced", "leakage")
MONEY_FIELDS = {"Invoiced": "invoiced", "Expected": "expected", "Variance": "variance", "Tax": "tax",
                "Leakage": "premium_leakage"}
TIE_COLUMN = "Export residual"  # the provider export's tie-out (desktop/domain/tieout.py)


class InvoicesPage(Page):
    title = "Invoices"
    key = "invoices"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        split = QSplitter(Qt.Orientation.Vertical)
        self.chart = make_chart("InvoiceVarianceChart", min_height=200)
        session.register_runner(self.chart.runner)  # the chart is built off the GUI thread
        self.chart.pointPicked.connect(self._chart_points)
        split.addWidget(self.chart)

        mid = QWidget()
        ml = QVBoxLayout(mid)
        ml.setContentsMargins(0, 6, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(heading("Invoices"))
        self.only_problems = QCheckBox("Only invoices outside tolerance or with flagged lines")
        self.only_problems.toggled.connect(self._problems_toggled)
        bar.addWidget(self.only_problems)
        bar.addStretch(1)
        self.drill = QPushButton("Show usage behind expected")
        self.drill.setToolTip("Open Usage filtered to this invoice's vendor, contract and billing period")
        self.drill.clicked.connect(self.drill_usage)
        bar.addWidget(self.drill)
        self.dispute = QPushButton("Dispute pack…")
        self.dispute.setObjectName("disputePackButton")
        self.dispute.setToolTip("Write the Excel pack of this invoice's vendor-period for the vendor's billing team: "
                                "lines, flags with rule, leakage and owner, the usage and rate-card rows behind "
                                "every expected figure, and the SHA-256 of every source file")
        self.dispute.clicked.connect(lambda: self.export_dispute())
        bar.addWidget(self.dispute)
        ml.addLayout(bar)
        self.dispute_runner = TaskRunner("dispute pack", self)
        self.dispute_runner.finished.connect(self._dispute_done)
        self.dispute_runner.failed.connect(self._dispute_failed)
        session.register_runner(self.dispute_runner)
        self.last_dispute = None
        self.table = DataTable(explain_columns=lambda c: self.table.table_model.columns[c].title in MONEY_FIELDS
                               or self.table.table_model.columns[c].title == TIE_COLUMN)
        self.table.explainRequested.connect(self._explain)
        self.table.doubleClicked.connect(lambda *_: self.drill_usage())
        self.table.selectionModel().selectionChanged.connect(self._selected)
        ml.addWidget(self.table)
        self.detail = note("")
        ml.addWidget(self.detail)
        split.addWidget(mid)

        # the lower pane: flagged lines, the three-way rate audit and the price per million tokens
        self.lower = QTabWidget()
        self.lower.setObjectName("invoiceLowerTabs")
        low = QWidget()
        ll = QVBoxLayout(low)
        ll.setContentsMargins(0, 6, 0, 0)
        ll.addWidget(heading("Flagged lines — leakage and who follows up"))
        self.flags = DataTable(explain_columns=lambda c: self.flags.table_model.columns[c].title == "Leakage")
        self.flags.explainRequested.connect(
            lambda src, _c: self.explain("invoice", self._flag_rows[src][0].invoice_id, "premium_leakage"))
        ll.addWidget(self.flags)
        self.lower.addTab(low, "Flagged lines")
        self.audit = DataTable(explain_columns=lambda c: self.audit.table_model.columns[c].key in AUDIT_FIELDS)
        self.audit.setObjectName("rateAuditTable")
        self.audit.explainRequested.connect(self._explain_audit)
        self.lower.addTab(self._pane("Rate audit — usage re-priced at the contracted token prices, against the "
                                     "vendor's cost and the invoice", self.audit), "Rate audit")
        self.unit = DataTable(explain_columns=lambda c: self.unit.table_model.columns[c].key == "cost")
        self.unit.setObjectName("unitPriceTable")
        self.unit.explainRequested.connect(
            lambda src, _c: self.explain("unit_price", self._unit_keys[src], "cost"))
        self.lower.addTab(self._pane("Effective price per million tokens by vendor, model, token kind and tier "
                                     "(usage to the as-of date)", self.unit), "Price per 1M tokens")
        split.addWidget(self.lower)
        split.setSizes([300, 240, 300])
        lay.addWidget(split)
        self._invoices: list = []
        self._ties: list = []
        self._flag_rows: list = []
        self._audit_keys: list[str] = []
        self._audit_lines: list = []
        self._unit_keys: list[str] = []
        self._point: tuple[set, set, str] | None = None  # a clicked bar: (invoice ids, flagged lines, label)
        # the chart shows the invoices the filters leave (not narrowed by a bar clicked in it)
        self._chart_scope: tuple | None = None
        self._chart_ids: list[str] | None = None
        self._refreshing = False
        self.table.table_model.filterApplied.connect(self._scope_chart)

    @staticmethod
    def _pane(title: str, table) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        lay.setContentsMargins(0, 6, 0, 0)
        lay.addWidget(heading(title))
        lay.addWidget(table)
        return w

    def refresh(self, a) -> None:
        inv = list(a.invoices)
        self._invoices = inv
        m = self.table.table_model
        # the Contract column only when some invoice names its contract (an all-empty column
        # showed as a blank, headerless gap between Vendor and Invoice date)
        contract = ([Col.text("Contract", [i.contract_id or "" for i in inv])]
                    if any(i.contract_id for i in inv) else [])
        # the export tie-out (invoice minus the export's BilledCost), when an export names invoices
        ties = [tieout.for_invoice(a.tie_outs, i.invoice_id) for i in inv]
        self._ties = ties
        tie_cols = ([Col.money(TIE_COLUMN, [t.residual if t is not None else None for t in ties]),
                     Col.text("Ties out", [fmt.label(t.status) if t is not None else "" for t in ties])]
                    if any(t is not None for t in ties) else [])
        m.set_columns([
            Col.text("Invoice", [i.invoice_id for i in inv]),
            Col.text("Vendor", [i.vendor for i in inv]),
            *contract,
            Col.date("Invoice date", [i.invoice_date for i in inv]),
            Col.date("Period start", [i.period_start for i in inv]),
            Col.date("Period end", [i.period_end for i in inv]),
            Col.money("Invoiced", [i.invoiced for i in inv]),
            Col.money("Expected", [i.expected for i in inv]),
            Col.money("Variance", [i.variance for i in inv]),
            Col.num("Variance %", [i.variance_pct for i in inv], kind="pct", digits=3),
            Col.text("Status", [fmt.label(i.status) for i in inv]),
            *tie_cols,
            Col.money("Tax", [i.tax for i in inv]),
            Col.money("Leakage", [i.premium_leakage for i in inv]),
            Col.ints("Flags", [len(i.flags) for i in inv]),
        ])
        statuses = [i.status for i in inv]
        m.cell_colors = {m.column_index("Status"): lambda r: tint(palette.invoice_status_color(statuses[r]), 110)}
        leak = np.array([0 if i.premium_leakage > 0 else -1 for i in inv], dtype=np.int64)
        m.palette = [tint(palette.VERMILLION, 40)]
        m.row_colors = leak
        rows = [(i, f) for i in inv for f in i.flags]
        self._flag_rows = rows
        fm = self.flags.table_model
        fm.set_columns([
            Col.text("Invoice", [i.invoice_id for i, _ in rows]),
            Col.text("Vendor", [i.vendor for i, _ in rows]),
            Col.text("Flag", [fmt.label(f.flag) for _, f in rows]),
            Col.money("Leakage", [f.leakage for _, f in rows]),
            Col.money("Line amount", [f.amount for _, f in rows]),
            Col.text("Owner", [f.owner or "" for _, f in rows]),
            Col.text("Description", [f.description or "" for _, f in rows]),
            Col.text("Detail", [f.detail for _, f in rows]),
            Col.text("File", [f.file for _, f in rows]),
            Col.ints("Line", [f.line for _, f in rows]),
        ])
        flags = [f.flag for _, f in rows]
        fm.cell_colors = {2: lambda r: tint(palette.FLAG_COLORS.get(flags[r], palette.GREY), 110)}
        self._refresh_audit(a)
        self._refreshing = True
        try:
            self._filter()
        finally:
            self._refreshing = False
        self._scope_chart(force=True)

    def _refresh_audit(self, a) -> None:
        """The three-way audit and the unit-economics table, as rate_audit computed them."""
        from desktop.domain.rate_audit import audit_key, unit_price_key

        lines = list(a.rate_audit)
        self._audit_lines = lines
        self._audit_keys = [audit_key(x) for x in lines]
        am = self.audit.table_model
        am.set_columns([
            Col.text("Vendor", [x.vendor for x in lines]),
            Col.text("Model", [x.model for x in lines]),
            Col.text("Token kind", [fmt.label(x.token_kind) for x in lines]),
            Col.text("Tier", [fmt.label(x.service_tier) + (f" (used: {', '.join(fmt.label(t) for t in x.used_tiers)})"
                                                          if x.used_tiers else "") for x in lines]),
            Col.ints("Tokens", [x.tokens for x in lines]),
            Col.money("Vendor cost", [x.vendor_cost for x in lines], key="vendor_cost"),
            Col.money("At contract", [x.expected for x in lines], key="expected"),
            Col.text("Flag", [fmt.label(x.flag) if x.flag else "" for x in lines]),
            Col.money("Leakage", [x.leakage for x in lines], key="leakage"),
            Col.num("Per 1M charged", [x.effective_per_million for x in lines], digits=4),
            Col.num("Per 1M contract", [x.contracted_per_million for x in lines], digits=4),
            Col.money("Invoiced", [x.invoiced for x in lines], key="invoiced"),
            Col.text("Owner", [x.owner or "" for x in lines]),
            Col.text("Invoice", [x.invoice_id or "" for x in lines]),
            Col.date("Period start", [x.period_start for x in lines]),
            Col.date("Period end", [x.period_end for x in lines]),
            Col.text("Detail", [x.detail for x in lines]),
        ])
        flags = [x.flag for x in lines]
        am.cell_colors = {am.column_index("Flag"): lambda r: tint(palette.FLAG_COLORS.get(flags[r], palette.GREY), 110)
                          if flags[r] else None}
        units = list(a.unit_prices)
        self._unit_keys = [unit_price_key(u) for u in units]
        um = self.unit.table_model
        um.set_columns([
            Col.text("Vendor", [u.vendor for u in units]),
            Col.text("Model", [u.model for u in units]),
            Col.text("Token kind", [fmt.label(u.token_kind) for u in units]),
            Col.text("Tier", [fmt.label(u.service_tier) for u in units]),
            Col.ints("Tokens", [u.tokens for u in units]),
            Col.money("Cost", [u.cost for u in units], key="cost"),
            Col.num("Effective per 1M", [u.effective_per_million for u in units], digits=4),
            Col.num("Contract per 1M", [u.contracted_per_million for u in units], digits=4),
            Col.num("List per 1M", [u.list_per_million for u in units], digits=4),
            Col.num("vs contract", [u.vs_contract for u in units], kind="pct", digits=3),
            Col.date("First day", [u.first_date for u in units]),
            Col.date("Last day", [u.last_date for u in units]),
        ])

    def _explain_audit(self, src: int, column: int) -> None:
        self.explain("rate_audit", self._audit_keys[src], self.audit.table_model.columns[column].key)

    def _problems_toggled(self, _on: bool) -> None:
        self._point = None  # the bar was clicked in the chart as it was before
        self._filter()

    def _filter(self, *_):
        inv = self._invoices
        if self.only_problems.isChecked():
            mask = np.array([i.status != "within_tolerance" or bool(i.flags) for i in inv], dtype=bool)
            self.table.table_model.set_filter("problems", mask)
        else:
            self.table.table_model.set_filter("problems", None)
        ids, keys = (self._point[0], self._point[1]) if self._point is not None else (None, None)
        self.table.table_model.set_filter(
            "point", None if ids is None else np.array([i.invoice_id in ids for i in inv], dtype=bool))
        self.flags.table_model.set_filter(
            "point", None if keys is None else np.array([(f.file, f.line) in keys for _i, f in self._flag_rows],
                                                        dtype=bool))
        self.filtersChanged.emit()

    def filters(self) -> list[tuple[str, str]]:
        out = super().filters()
        if self.only_problems.isChecked():
            out.append(("problems", "Only invoices outside tolerance or with flagged lines"))
        if self._point is not None:
            out.append(("point", f"Chart point: {self._point[2]}"))
        return out

    def _scope_chart(self, *_, force: bool = False) -> None:
        if self.analysis is None or self._refreshing or (self._point is not None and not force):
            return
        scope = tuple((k, t) for k, t in self.filters() if k != "point")
        if scope == self._chart_scope and not force:
            return
        self._chart_scope = scope
        if self._point is None:
            rows = self.table.table_model.visible_source_rows()
            self._chart_ids = [self._invoices[i].invoice_id for i in rows] if scope else None
        self.chart.set_scope(self._chart_ids, ("filtered: " + "; ".join(t for _k, t in scope)) if scope else "")
        feed_chart(self.chart, "invoice_variance", self.analysis)

    def remove_filter(self, key: str) -> None:
        if key == "problems":
            self.only_problems.setChecked(False)
        elif key == "point":
            self._point = None
            self._filter()
        else:
            super().remove_filter(key)

    def _current(self):
        rows = self.table.selected_source_rows()
        return self._invoices[rows[0]] if rows else None

    def _selected(self, *_):
        i = self._current()
        self.drill.setEnabled(i is not None)
        self.dispute.setEnabled(i is not None)
        if i is None:
            self.detail.setText("")
            return
        notes = " ".join(i.notes)
        inferred = " The billing period was inferred as the month before the invoice date." \
            if i.period_inferred else ""
        self.detail.setText(
            f"{i.invoice_id}: invoiced {fmt.money(i.invoiced, i.currency)} (tax {fmt.money(i.tax)} apart) against "
            f"{fmt.money(i.expected, i.currency)} of usage in {i.period_start} to {i.period_end}; "
            f"variance {fmt.money(i.variance)} ({fmt.pct(i.variance_pct, 2)}), {fmt.label(i.status).lower()}."
            f"{inferred} {notes}{self._tie_text(i)}")
        src = [k for k, (inv, _) in enumerate(self._flag_rows) if inv.invoice_id == i.invoice_id]
        if src:
            self.flags.select_source_rows(src)
        # the audit lines of its vendor-period (the invoices of one period share them)
        period = set(i.period_invoices or (i.invoice_id,))
        audit = [k for k, x in enumerate(self._audit_lines) if x.invoice_id in period]
        if audit:
            self.audit.select_source_rows(audit)

    def _tie_text(self, i) -> str:
        """What the provider export says about the invoice (the TieOut, as computed)."""
        t = tieout.for_invoice(self.analysis.tie_outs, i.invoice_id) if self.analysis is not None else None
        if t is None:
            return ""
        cur = t.currency or ""
        return (f" Export tie-out: the export bills {fmt.money(t.billed, cur)} on {t.rows} rows "
                f"({', '.join(t.files)}), the invoice {fmt.money(t.invoiced, cur)}: residual "
                f"{fmt.money(t.residual, cur)} ({fmt.label(t.status).lower()}); {t.note}.")

    def drill_usage(self) -> None:
        """The usage rows behind the selected invoice's expected, as the invoices module selects them."""
        i = self._current()
        if i is None or self.analysis is None:
            return
        self.session.navigate("usage", {"figure": ("invoice", i.invoice_id, "expected"),
                                        "label": f"invoice {i.invoice_id} expected"})

    def export_dispute(self, out: str | None = None) -> None:
        """Write the dispute pack of the selected invoice's vendor-period (off the GUI thread)."""
        from pathlib import Path

        from desktop.brief.dispute import write_dispute_pack

        i = self._current()
        a = self.analysis
        if i is None or a is None:
            return
        if not out:
            out, _ = QFileDialog.getSaveFileName(self, "Write dispute pack", f"Dispute {i.vendor} {i.period_start}.xlsx",
                                                 "Excel workbook (*.xlsx)")
            if not out:
                return
        ws = getattr(self.session, "workspace", None)
        hashes = {b.file_name: b.content_hash for b in ws.batches()} if ws is not None else {}
        ids = [i.invoice_id]
        self.dispute_runner.start(lambda _p: write_dispute_pack(a, ids, Path(out), hashes),
                                  label=f"Writing {Path(out).name}")

    def _dispute_done(self, out) -> None:
        self.last_dispute = out
        self.detail.setText(f"Dispute pack written: {out}")

    def _dispute_failed(self, error) -> None:
        self.detail.setText(f"Dispute pack not written: {error}")

    def _explain(self, src: int, column: int) -> None:
        title = self.table.table_model.columns[column].title
        if title == TIE_COLUMN:
            t = self._ties[src]
            if t is not None:
                self.explain("tie_out", t.key, "residual")
            return
        self.explain("invoice", self._invoices[src].invoice_id, MONEY_FIELDS[title])

    def _chart_points(self, refs, label: str = "") -> None:
        """A bar was clicked: the invoices table shows exactly its invoice (refs are its invoice
        lines, as the invoices module selects them) and the flagged lines among them; a chip
        names the point and removes the filter."""
        keys = {(str(r.file), int(r.row)) for r in refs if hasattr(r, "file")}
        if not keys or self.analysis is None or self.analysis.inputs is None:
            return
        lines = self.analysis.inputs.invoices
        hit = [(str(f), int(r)) in keys for f, r in zip(lines["_file"], lines["_row"], strict=True)]
        ids = set(lines.loc[hit, "invoice_id"].astype(str))
        self._point = (ids, keys, label or ", ".join(sorted(ids)))
        self._filter()
        src = [k for k, i in enumerate(self._invoices) if i.invoice_id in ids]
        if src:
            self.table.select_source_rows(src)

    def show_ref(self, ref) -> None:
        if ref.get("flagged"):
            self.only_problems.setChecked(True)
            src = [k for k, i in enumerate(self._invoices) if i.flags]
            self.table.select_source_rows(src)
            return
        iid = ref.get("invoice_id")
        if iid:
            src = [k for k, i in enumerate(self._invoices) if i.invoice_id == iid]
            self.table.select_source_rows(src)

    def _apply_text(self, text: str) -> None:
        self.table.table_model.set_text_filter(text)
        self.flags.table_model.set_text_filter(text)
        self.audit.table_model.set_text_filter(text)
        self.unit.table_model.set_text_filter(text)
