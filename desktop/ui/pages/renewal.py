"""Renewal: inputs (baseline, growth scenarios with their uncertainty, term, discount tiers,
overage multiplier, shortfall penalty), the scenario tables with the recommended commit levels,
and saved scenarios side by side."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

import numpy as np
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette
from desktop.domain.renewal import SCENARIOS, RenewalInputs, run_scenarios
from desktop.ui import fmt
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.widgets import DataTable, feed_chart, heading, make_chart, note, tint
from desktop.ui.workers import TaskRunner


def _dec(text: str, what: str) -> Decimal:
    try:
        v = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{what}: {text!r} is not a number") from None
    if not v.is_finite():
        raise ValueError(f"{what}: {text!r} is not a number")
    return v


def _same_level(text: str, level: Decimal) -> bool:
    try:
        return Decimal(text) == level
    except InvalidOperation:
        return False


class RenewalPage(Page):
    title = "Renewal"
    key = "renewal"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        self.runner = TaskRunner("renewal", self)
        self.runner.finished.connect(self._done)
        self.runner.failed.connect(self._failed)
        session.register_runner(self.runner)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        split = QSplitter(Qt.Orientation.Horizontal)

        # inputs ---------------------------------------------------------------------------------
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 6, 0)
        box = QGroupBox("Inputs")
        form = QFormLayout(box)
        self.vendor = QComboBox()
        self.vendor.currentIndexChanged.connect(self._load_defaults)
        form.addRow("Vendor", self.vendor)
        self.name = QLineEdit()
        form.addRow("Scenario name", self.name)
        self.baseline = QLineEdit()
        self.baseline.setToolTip("Monthly spend at list price; default: trailing 90 days of eligible usage, "
                                 "scaled to a month of 30.4375 days")
        form.addRow("Baseline / month", self.baseline)
        self.term = QSpinBox()
        self.term.setRange(1, 120)
        self.term.setSuffix(" months")
        form.addRow("Term", self.term)
        self.multiplier = QDoubleSpinBox()
        self.multiplier.setRange(0.0, 10.0)
        self.multiplier.setDecimals(2)
        self.multiplier.setSingleStep(0.05)
        form.addRow("Overage multiplier", self.multiplier)
        self.penalty = QDoubleSpinBox()
        self.penalty.setRange(0.0, 100.0)
        self.penalty.setSuffix(" %")
        form.addRow("Shortfall penalty", self.penalty)
        ll.addWidget(box)
        ll.addWidget(heading("Growth per month, %"))
        self.growth = QTableWidget(len(SCENARIOS), 2)
        self.growth.setHorizontalHeaderLabels(["Growth", "± sd"])
        self.growth.horizontalHeaderItem(0).setToolTip("Expected growth of the monthly spend, % per month")
        self.growth.horizontalHeaderItem(1).setToolTip("Uncertainty: standard deviation of the monthly growth")
        self.growth.setVerticalHeaderLabels([s.capitalize() for s in SCENARIOS])
        self.growth.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.growth.setFixedHeight(self.growth.verticalHeader().defaultSectionSize() * 3
                                   + self.growth.horizontalHeader().sizeHint().height() + 4)
        ll.addWidget(self.growth)
        ll.addWidget(heading("Discount tiers (commit over the term)"))
        self.tiers = QTableWidget(0, 2)
        self.tiers.setHorizontalHeaderLabels(["Commit level", "Discount %"])
        self.tiers.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        ll.addWidget(self.tiers, 1)
        row = QHBoxLayout()
        add = QPushButton("Add tier")
        add.clicked.connect(lambda: self._add_tier("", ""))
        rem = QPushButton("Remove tier")
        rem.clicked.connect(lambda: self.tiers.removeRow(self.tiers.currentRow()))
        row.addWidget(add)
        row.addWidget(rem)
        ll.addLayout(row)
        row2 = QHBoxLayout()
        self.run_btn = QPushButton("Run scenarios")
        self.run_btn.setDefault(True)
        self.run_btn.clicked.connect(self.run)
        self.save_btn = QPushButton("Save for comparison")
        self.save_btn.clicked.connect(self.save_current)
        self.save_btn.setEnabled(False)
        row2.addWidget(self.run_btn)
        row2.addWidget(self.save_btn)
        ll.addLayout(row2)
        self.msg = note("")
        ll.addWidget(self.msg)
        split.addWidget(left)

        # results --------------------------------------------------------------------------------
        right = QSplitter(Qt.Orientation.Vertical)
        self.chart = make_chart("RenewalChart", min_height=240)
        session.register_runner(self.chart.runner)  # the chart is built off the GUI thread
        self.chart.pointsSelected.connect(self._chart_points)
        right.addWidget(self.chart)
        self.tabs = QTabWidget()
        res = QWidget()
        rl = QVBoxLayout(res)
        rl.setContentsMargins(4, 4, 4, 4)
        self.reco = note("")
        rl.addWidget(self.reco)
        self.table = DataTable()
        rl.addWidget(self.table)
        self.tabs.addTab(res, "Scenario table")
        cmp_ = QWidget()
        cl = QVBoxLayout(cmp_)
        cl.setContentsMargins(4, 4, 4, 4)
        cl.addWidget(note("Saved scenarios side by side. Saved scenarios are kept with this workspace's settings "
                          "on this computer."))
        self.compare = QTableWidget(0, 0)
        self.compare.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        cl.addWidget(self.compare)
        clear = QPushButton("Remove selected scenario")
        clear.clicked.connect(self._remove_saved)
        cl.addWidget(clear, 0, Qt.AlignmentFlag.AlignLeft)
        self.tabs.addTab(cmp_, "Saved scenarios")
        right.addWidget(self.tabs)
        right.setSizes([380, 420])
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        lay.addWidget(split)
        self._defaults: list[RenewalInputs] = []
        self._results: tuple = ()
        self._inputs: RenewalInputs | None = None
        self._saved: list[dict] = []
        self._load_saved()

    # ------------------------------------------------------------------------------------------
    def refresh(self, a) -> None:
        inputs = a.inputs
        if inputs is None:
            return
        keep = self.vendor.currentText()
        # the inputs the analysis ran its scenarios from (reporting currency, one derivation)
        self._defaults = list(a.renewal_inputs)
        self.vendor.blockSignals(True)
        self.vendor.clear()
        self.vendor.addItems([d.vendor for d in self._defaults])
        i = self.vendor.findText(keep)
        self.vendor.setCurrentIndex(max(i, 0))
        self.vendor.blockSignals(False)
        if a.renewal and not self._results:
            self._show(a.renewal)
        if self._inputs is None or self._inputs.vendor != self.vendor.currentText():
            self._load_defaults()

    def _load_defaults(self, *_):
        i = self.vendor.currentIndex()
        if i < 0 or i >= len(self._defaults):
            return
        ri = self._defaults[i]
        self._fill(ri)
        if self.analysis is not None:
            mine = tuple(r for r in self.analysis.renewal if r.vendor == ri.vendor)
            if mine:
                self._inputs = ri
                self._show(mine)

    def _fill(self, ri: RenewalInputs) -> None:
        self.name.setText(ri.name)
        self.baseline.setText(f"{ri.baseline_monthly:,.2f}")
        self.term.setValue(ri.term_months)
        self.multiplier.setValue(ri.overage_multiplier)
        self.penalty.setValue(ri.shortfall_penalty_pct)
        for r, s in enumerate(SCENARIOS):
            g, sd = ri.growth_scenarios.get(s, (0.0, 0.0))
            self.growth.setItem(r, 0, QTableWidgetItem(f"{g * 100:.2f}"))
            self.growth.setItem(r, 1, QTableWidgetItem(f"{sd * 100:.2f}"))
        self.tiers.setRowCount(0)
        for k, d in ri.discount_tiers:
            self._add_tier(f"{Decimal(k):,.2f}", f"{d:.1f}")

    def _add_tier(self, k: str, d: str) -> None:
        r = self.tiers.rowCount()
        self.tiers.insertRow(r)
        self.tiers.setItem(r, 0, QTableWidgetItem(k))
        self.tiers.setItem(r, 1, QTableWidgetItem(d))

    def read_inputs(self) -> RenewalInputs:
        """The form as RenewalInputs; ValueError with a message when a cell is not valid."""
        growth = {}
        for r, s in enumerate(SCENARIOS):
            g = _dec(self.growth.item(r, 0).text() if self.growth.item(r, 0) else "", f"{s} growth")
            sd = _dec(self.growth.item(r, 1).text() if self.growth.item(r, 1) else "", f"{s} uncertainty")
            growth[s] = (float(g / 100), float(sd / 100))
        tiers = []
        for r in range(self.tiers.rowCount()):
            kt = self.tiers.item(r, 0).text() if self.tiers.item(r, 0) else ""
            dt = self.tiers.item(r, 1).text() if self.tiers.item(r, 1) else ""
            if not kt.strip() and not dt.strip():
                continue
            tiers.append((_dec(kt, f"tier {r + 1} commit level"), float(_dec(dt, f"tier {r + 1} discount"))))
        if not tiers:
            raise ValueError("add at least one discount tier (commit level and discount)")
        ri = RenewalInputs(
            name=self.name.text().strip() or f"{self.vendor.currentText()} renewal",
            vendor=self.vendor.currentText(),
            baseline_monthly=_dec(self.baseline.text(), "baseline"),
            growth_scenarios=growth,
            term_months=self.term.value(),
            discount_tiers=tiers,
            overage_multiplier=self.multiplier.value(),
            shortfall_penalty_pct=self.penalty.value(),
        )
        ri.validate()
        return ri

    def run(self) -> None:
        if self.analysis is None:
            return
        try:
            ri = self.read_inputs()
        except ValueError as exc:
            self.msg.setText(f"Not run: {exc}")
            return
        self._inputs = ri
        settings = self.analysis.settings
        self.msg.setText("Simulating…")
        self.run_btn.setEnabled(False)
        self.runner.start(lambda p: run_scenarios(ri, settings, p), label=f"Renewal scenarios for {ri.vendor}")

    def _done(self, results) -> None:
        self.run_btn.setEnabled(True)
        self.msg.setText("")
        self._show(results)

    def _failed(self, exc) -> None:
        self.run_btn.setEnabled(True)
        self.msg.setText(f"Not run: {exc}")

    def _show(self, results) -> None:
        self._results = tuple(results)
        self.save_btn.setEnabled(bool(results))
        rows = [(s, r) for s in results for r in s.rows]
        m = self.table.table_model
        m.set_columns([
            Col.text("Scenario", [s.name.split(": ")[-1].capitalize() for s, _ in rows]),
            Col.money("Commit level", [r.commit_level for _, r in rows]),
            Col.text("Recommended", [", ".join(x for x, on in (("least cost", r.least_cost),
                                                          ("safe max", r.safe_max)) if on)
                               for _, r in rows]),
            Col.num("Discount", [r.discount_pct / 100 for _, r in rows], kind="pct"),
            Col.money("Expected cost", [r.expected_cost for _, r in rows]),
            Col.money("Savings", [r.savings for _, r in rows]),
            Col.num("P(shortfall)", [r.p_shortfall for _, r in rows], kind="pct"),
            Col.money("Exp. shortfall", [r.expected_shortfall for _, r in rows]),
            Col.money("Exp. overage premium", [r.expected_overage_premium for _, r in rows]),
        ])
        mark = np.array([0 if r.least_cost else 1 if r.safe_max else -1 for _, r in rows], dtype=np.int64)
        m.palette = [tint(palette.BLUISH_GREEN, 70), tint(palette.SKY_BLUE, 60)]
        m.row_colors = mark
        m.row_bold = mark >= 0
        self.table.fit_columns()
        lines = []
        for s in results:
            lines.append(f"<b>{s.name.split(': ')[-1].capitalize()}</b> ({fmt.pct(s.growth)} ± "
                         f"{fmt.pct(s.growth_sd)}/month): least expected cost "
                         f"<b>{fmt.money(s.recommended_least_cost)}</b> · safe max (P(shortfall) ≤ "
                         f"{self._pmax()}) <b>{fmt.money(s.recommended_safe)}</b> · on-demand "
                         f"{fmt.money(s.on_demand_cost)}")
        self.reco.setText("<br>".join(lines))
        cur = self.analysis.currency if self.analysis is not None else "USD"
        feed_chart(self.chart, "renewal", self._results, cur)

    def _chart_points(self, keys) -> None:
        """A point was clicked: keys are 'renewal:<scenario name>:<commit level>'."""
        rows = [(s, r) for s in self._results for r in s.rows]
        want = set()
        for k in keys:
            parts = str(k).split(":")
            if len(parts) >= 3:
                want.add((":".join(parts[1:-1]).strip(), parts[-1].strip()))
        src = [i for i, (s, r) in enumerate(rows)
               if (s.name, str(r.commit_level)) in want or (s.name, f"{r.commit_level:f}") in want
               or any(n == s.name and _same_level(v, r.commit_level) for n, v in want)]
        if src:
            self.tabs.setCurrentIndex(0)
            self.table.select_source_rows(src)

    def _pmax(self) -> str:
        s = self.analysis.settings if self.analysis is not None else None
        return fmt.pct(s.renewal_max_shortfall_probability, 0) if s is not None else "10%"

    # --- saved scenarios -----------------------------------------------------------------------
    def save_current(self) -> None:
        if not self._results:
            return
        ri = self._inputs
        entry = {
            "name": (ri.name if ri else self._results[0].name.split(": ")[0]),
            "vendor": self._results[0].vendor,
            "baseline": str(self._results[0].baseline_monthly),
            "term": self._results[0].term_months,
            "scenarios": [
                {"scenario": s.name.split(": ")[-1], "growth": s.growth, "sd": s.growth_sd,
                 "on_demand": str(s.on_demand_cost),
                 "least_cost": str(s.recommended_least_cost) if s.recommended_least_cost is not None else None,
                 "safe": str(s.recommended_safe) if s.recommended_safe is not None else None,
                 "least_cost_expected": str(min(s.rows, key=lambda r: r.expected_cost).expected_cost)
                 if s.rows else None}
                for s in self._results],
            "tiers": [[str(k), d] for k, d in (ri.discount_tiers if ri else [])],
            "multiplier": ri.overage_multiplier if ri else None,
        }
        base = entry["name"]
        n = 2
        while any(e["name"] == entry["name"] for e in self._saved):
            entry["name"] = f"{base} ({n})"
            n += 1
        self._saved.append(entry)
        self._store_saved()
        self._show_saved()
        self.tabs.setCurrentIndex(1)

    def _show_saved(self) -> None:
        saved = self._saved
        labels = ["Vendor", "Baseline / month", "Term (months)", "Overage multiplier", "Discount tiers"]
        for s in SCENARIOS:
            labels += [f"{s.capitalize()}: growth ± sd", f"{s.capitalize()}: on-demand cost",
                       f"{s.capitalize()}: least-cost level", f"{s.capitalize()}: expected cost there",
                       f"{s.capitalize()}: safe level"]
        self.compare.clear()
        self.compare.setRowCount(len(labels))
        self.compare.setColumnCount(len(saved))
        self.compare.setVerticalHeaderLabels(labels)
        self.compare.setHorizontalHeaderLabels([e["name"] for e in saved])
        for c, e in enumerate(saved):
            vals = [e["vendor"], fmt.money(Decimal(e["baseline"])), str(e["term"]),
                    f"{e['multiplier']:.2f}" if e.get("multiplier") is not None else "",
                    "; ".join(f"{Decimal(k):,.0f} @ {d:g}%" for k, d in e.get("tiers", []))]
            by = {s["scenario"]: s for s in e["scenarios"]}
            for s in SCENARIOS:
                x = by.get(s)
                if x is None:
                    vals += [""] * 5
                    continue
                vals += [f"{fmt.pct(x['growth'])} ± {fmt.pct(x['sd'])}", fmt.money(Decimal(x["on_demand"])),
                         fmt.money(Decimal(x["least_cost"])) if x["least_cost"] else "—",
                         fmt.money(Decimal(x["least_cost_expected"])) if x.get("least_cost_expected") else "—",
                         fmt.money(Decimal(x["safe"])) if x["safe"] else "—"]
            for r, v in enumerate(vals):
                item = QTableWidgetItem(v)
                if r >= 1 and v and v[0].isdigit():
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.compare.setItem(r, c, item)
        self.compare.resizeColumnsToContents()

    def _remove_saved(self) -> None:
        c = self.compare.currentColumn()
        if 0 <= c < len(self._saved):
            del self._saved[c]
            self._store_saved()
            self._show_saved()

    def _settings_key(self) -> str:
        return f"renewal/saved/{self.session.workspace_key()}"

    def _load_saved(self) -> None:
        raw = QSettings().value(self._settings_key(), "", type=str)
        try:
            self._saved = json.loads(raw) if raw else []
        except ValueError:
            self._saved = []
        self._show_saved()

    def _store_saved(self) -> None:
        QSettings().setValue(self._settings_key(), json.dumps(self._saved))

    @property
    def saved(self) -> list[dict]:
        return list(self._saved)

    def _apply_text(self, text: str) -> None:
        self.table.table_model.set_text_filter(text)
