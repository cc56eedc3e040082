"""Budgets: allocation lines with utilization, forecast, severity, tier, response and RCA due;
the thresholds that drive them, editable here (undoable)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette, validation
from desktop.domain.vocabulary import ALERT_TIERS
from desktop.ui import fmt
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.widgets import DataTable, feed_chart, heading, make_chart, note, tint

MONEY_FIELDS = {"Budget": "budget", "Actual": "actual", "Forecast": "forecast", "Variance": "variance"}
THRESHOLDS = (
    ("tier_info", "Info at utilization"),
    ("tier_warning", "Warning at"),
    ("tier_critical", "Critical at"),
    ("tier_hard_stop", "Hard stop at"),
    ("tier_hard_cap", "Hard cap at"),
    ("severity_medium", "Medium severity: forecast over budget by"),
    ("severity_high", "High severity: over by"),
    ("severity_under", "Under (reallocate): variance at most"),
    ("spike_pct", "Spike: forecast above last month's actual by"),
)


class BudgetsPage(Page):
    title = "Budgets"
    key = "budgets"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        top = QSplitter(Qt.Orientation.Horizontal)
        self.chart = make_chart("BudgetUtilizationChart", min_height=400)
        session.register_runner(self.chart.runner)  # the chart is built off the GUI thread
        self.chart.pointPicked.connect(self._chart_points)
        self.chart.monthChanged.connect(self._chart_month)
        top.addWidget(self.chart)
        box = QGroupBox("Thresholds")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.spins: dict[str, QDoubleSpinBox] = {}
        for name, text in THRESHOLDS:
            sp = QDoubleSpinBox()
            sp.setDecimals(1)
            sp.setRange(-100.0, 500.0)
            sp.setSingleStep(1.0)
            sp.setSuffix(" %")
            self.spins[name] = sp
            form.addRow(text, sp)
        row = QHBoxLayout()
        self.apply_btn = QPushButton("Apply thresholds")
        self.apply_btn.clicked.connect(self.apply_thresholds)
        row.addWidget(self.apply_btn)
        self.th_msg = QLabel("")
        row.addWidget(self.th_msg)
        form.addRow(row)
        top.addWidget(box)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        low = QWidget()
        ll = QVBoxLayout(low)
        ll.setContentsMargins(0, 6, 0, 0)
        bar = QHBoxLayout()
        bar.addWidget(heading("Allocation lines"))
        bar.addWidget(QLabel("Month"))
        self.month = QComboBox()
        self.month.currentIndexChanged.connect(self._filter)
        bar.addWidget(self.month)
        bar.addWidget(QLabel("Tier"))
        self.tier = QComboBox()
        self.tier.currentIndexChanged.connect(self._filter)
        bar.addWidget(self.tier)
        bar.addStretch(1)
        drill = QPushButton("Show usage behind actual")
        drill.clicked.connect(self.drill_usage)
        bar.addWidget(drill)
        ll.addLayout(bar)
        self.table = DataTable(explain_columns=lambda c: self.table.table_model.columns[c].title in MONEY_FIELDS)
        self.table.explainRequested.connect(self._explain)
        ll.addWidget(self.table)
        self.detail = note("")
        ll.addWidget(self.detail)
        self.table.selectionModel().selectionChanged.connect(self._selected)
        split.addWidget(low)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        lay.addWidget(split)
        self._lines: list = []

    def refresh(self, a) -> None:
        s = a.settings
        if s is not None:
            for name, sp in self.spins.items():
                sp.setValue(float(getattr(s, name)) * 100)
        bs = list(a.budgets)
        self._lines = bs
        m = self.table.table_model
        m.set_columns([
            Col.text("Allocation", [b.allocation for b in bs]),
            Col.text("Month", [b.month for b in bs]),
            Col.text("Line", [f"{b.dimension} = {b.value}" if b.dimension else "" for b in bs]),
            Col.money("Budget", [b.budget for b in bs]),
            Col.money("Actual", [b.actual for b in bs]),
            Col.num("Utilization", [b.utilization for b in bs], kind="pct"),
            Col.money("Forecast", [b.forecast for b in bs]),
            Col.money("Variance", [b.variance for b in bs]),
            Col.num("Variance %", [b.variance_pct for b in bs], kind="pct"),
            Col.text("Severity", [fmt.label(b.severity) for b in bs]),
            Col.text("Tier", [fmt.label(b.alert_tier) + (" (spike)" if b.spike else "") for b in bs]),
            Col.date("RCA due", [b.rca_due for b in bs]),
            Col.text("Owner", [b.owner or "" for b in bs]),
            Col.text("Containment", [b.containment_owner or "" for b in bs]),
            Col.text("Monitoring", ["daily" if b.monitoring else "" for b in bs]),
            Col.text("Response", [b.response for b in bs]),
        ])
        sev = [b.severity for b in bs]
        tiers = [b.alert_tier for b in bs]
        m.cell_colors = {
            m.column_index("Severity"): lambda r: tint(palette.severity_color(sev[r]), 110)
            if sev[r] not in ("none",) else None,
            m.column_index("Tier"): lambda r: tint(palette.tier_color(tiers[r]), 110) if tiers[r] != "none" else None,
        }
        for cb, values in ((self.month, sorted({b.month for b in bs})),
                           (self.tier, [fmt.label(t) for t in ALERT_TIERS])):
            keep = cb.currentText()
            cb.blockSignals(True)
            cb.clear()
            cb.addItem("All")
            cb.addItems(values)
            i = cb.findText(keep)
            if i < 0 and cb is self.month and a.as_of is not None:
                i = cb.findText(a.as_of.strftime("%Y-%m"))
            cb.setCurrentIndex(max(i, 0))
            cb.blockSignals(False)
        self._filter()
        feed_chart(self.chart, "budget_utilization", a, self.month.currentText()
                   if self.month.currentText() != "All" else None, self._chart_tiers())

    def _filter(self, *_):
        m = self.table.table_model
        month = self.month.currentText()
        tier = self.tier.currentText()
        mask = np.ones(len(self._lines), dtype=bool)
        if month and month != "All":
            mask &= np.array([b.month == month for b in self._lines], dtype=bool)
        if tier and tier != "All":
            mask &= np.array([fmt.label(b.alert_tier) == tier for b in self._lines], dtype=bool)
        m.set_filter("sel", mask if len(self._lines) else None)
        if self.analysis is not None and self.sender() in (self.month, self.tier):
            feed_chart(self.chart, "budget_utilization", self.analysis, month if month != "All" else None,
                       self._chart_tiers())
        self.filtersChanged.emit()

    def _chart_tiers(self) -> frozenset[str] | None:
        """The Tier filter as alert-tier keys for the chart (None: every tier)."""
        tier = self.tier.currentText()
        if not tier or tier == "All":
            return None
        return frozenset(t for t in ALERT_TIERS if fmt.label(t) == tier)

    def filters(self) -> list[tuple[str, str]]:
        out = super().filters()
        for key, cb, title in (("month", self.month, "Month"), ("tier", self.tier, "Tier")):
            v = cb.currentText()
            if v and v != "All":
                out.append((key, f"{title}: {v}"))
        return out

    def remove_filter(self, key: str) -> None:
        cb = {"month": self.month, "tier": self.tier}.get(key)
        if cb is not None:
            cb.setCurrentIndex(max(0, cb.findText("All")))
            if key == "month" and self.analysis is not None:  # the chart shows the month of As-of again
                feed_chart(self.chart, "budget_utilization", self.analysis, None, self._chart_tiers())
        else:
            super().remove_filter(key)

    def _selected(self, *_):
        rows = self.table.selected_source_rows()
        if not rows:
            self.detail.setText("")
            return
        b = self._lines[rows[0]]
        bits = [f"{b.allocation} {b.month}: {fmt.money(b.actual)} spent of {fmt.money(b.budget)} "
                f"({fmt.pct(b.utilization)}); run rate {fmt.money(b.run_rate)}/day gives a forecast of "
                f"{fmt.money(b.forecast)} ({fmt.pct(b.variance_pct)} vs budget)."]
        if b.previous_actual is not None:
            bits.append(f"Last month's actual {fmt.money(b.previous_actual)}" + (" — spike." if b.spike else "."))
        if b.response:
            bits.append(f"Response: {b.response}" + (f", due {b.rca_due}" if b.rca_due else "") + ".")
        if b.escalation_owner:
            bits.append(f"Escalation: {b.escalation_owner}.")
        if b.monitoring:
            bits.append("Under daily monitoring until the run rate is back under budget pace 3 days running.")
        self.detail.setText(" ".join(bits))

    def apply_thresholds(self) -> None:
        a = self.analysis
        if a is None or a.settings is None:
            return
        changes = {name: round(sp.value() / 100, 6) for name, sp in self.spins.items()}
        new = a.settings.replace(**changes)
        problems = validation.check_settings(new)  # the rules the store and the settings dialog use
        if problems:
            self.th_msg.setText(f"Not applied: {problems[0].message}.")
            return
        self.th_msg.setText("")
        self.session.set_settings(new)

    def drill_usage(self) -> None:
        """The usage rows behind the selected line's actual, as the budgets module selects them."""
        rows = self.table.selected_source_rows()
        if not rows or self.analysis is None:
            return
        b = self._lines[rows[0]]
        self.session.navigate("usage", {"figure": ("budget", f"{b.allocation}|{b.month}", "actual"),
                                        "label": f"budget '{b.allocation}' {b.month} actual"})

    def _explain(self, src: int, column: int) -> None:
        b = self._lines[src]
        title = self.table.table_model.columns[column].title
        self.explain("budget", f"{b.allocation}|{b.month}", MONEY_FIELDS[title])

    def _chart_month(self, month: str) -> None:
        """The chart's own month switch: the table follows."""
        i = self.month.findText(month)
        if i >= 0 and i != self.month.currentIndex():
            self.month.blockSignals(True)
            self.month.setCurrentIndex(i)
            self.month.blockSignals(False)
            self._filter()

    def _chart_points(self, refs, label: str = "") -> None:
        """A bar was clicked: Usage filtered to exactly the rows behind that allocation line."""
        if refs:
            self.session.navigate("usage", {"rows": list(refs), "label": label})

    def show_ref(self, ref) -> None:
        alloc = ref.get("allocation")
        month = ref.get("month")
        if month:
            i = self.month.findText(month)
            if i >= 0:
                self.month.setCurrentIndex(i)
        if alloc:
            src = [k for k, b in enumerate(self._lines) if b.allocation == alloc and (not month or b.month == month)]
            self.table.select_source_rows(src)

    def _apply_text(self, text: str) -> None:
        self.table.table_model.set_text_filter(text)
