"""ROI calculator: benefit from time saved, run cost, set-up; ROI, payback, cost per unit, NPV.
The seeds' support-chatbot example is a preset."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import numpy as np
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import palette
from desktop.domain.errors import InputError
from desktop.domain.roi import (
    PRESETS,
    RUN_COST_DIMENSIONS,
    RoiPreset,
    npv,
    run_cost_values,
    time_saved_benefit,
    usage_run_cost,
)
from desktop.ui import fmt
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.widgets import DataTable, Tile, heading, note, tint


def _plain(d: Decimal, min_places: int = 0) -> str:
    """A Decimal without exponent or trailing zeros (at least ``min_places`` decimals)."""
    s = f"{d:f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if min_places:
        whole, _, frac = s.partition(".")
        s = f"{int(whole):,}." + frac.ljust(min_places, "0") if whole.lstrip("-").isdigit() else s
    return s


class RoiPage(Page):
    title = "ROI"
    key = "roi"

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(12, 12, 12, 12)
        left = QWidget()
        left.setMaximumWidth(460)
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(heading("ROI of an AI use case"))
        pr = QHBoxLayout()
        self.preset = QComboBox()
        self.preset.addItem("Custom")
        self.preset.addItems(list(PRESETS))
        self.preset.currentTextChanged.connect(self.load_preset)
        pr.addWidget(self.preset, 1)
        ll.addLayout(pr)
        box = QGroupBox("Inputs (per month)")
        form = QFormLayout(box)
        self.fields: dict[str, QLineEdit] = {}
        for name, text, tip in (
            ("monthly_cost", "Run cost / month", "Vendor spend plus hosting and support for the use case"),
            ("units", "Units of work / month", "e.g. tickets handled, documents processed"),
            ("hours_saved_per_unit", "Hours saved per unit", "Agent time saved per unit"),
            ("hourly_rate", "Hourly rate", "Loaded cost of an hour of the people whose time is saved"),
            ("initial_investment", "Set-up investment", "One-off cost; leave empty for none"),
            ("discount_rate", "Discount rate (annual %)", "For NPV; leave empty for 0"),
        ):
            e = QLineEdit()
            e.setToolTip(tip)
            e.textChanged.connect(self.compute)
            if name == "monthly_cost":
                e.textEdited.connect(lambda *_: self._unlink_source())
            self.fields[name] = e
            form.addRow(text, e)
        self.months = QSpinBox()
        self.months.setRange(0, 120)
        self.months.setSuffix(" months")
        self.months.valueChanged.connect(self.compute)
        form.addRow("NPV horizon", self.months)
        ll.addWidget(box)
        ll.addWidget(self._usage_box())
        self.msg = note("")
        ll.addWidget(self.msg)
        reset = QPushButton("Load the support-chatbot example")
        reset.clicked.connect(lambda: self.preset.setCurrentText("Support chatbot"))
        ll.addWidget(reset)
        ll.addStretch(1)
        outer.addWidget(left)

        right = QWidget()
        grid = QGridLayout(right)
        grid.setSpacing(10)
        self.t_benefit = Tile("Benefit / month")
        self.t_net = Tile("Net benefit / month")
        self.t_roi = Tile("ROI")
        self.t_payback = Tile("Payback")
        self.t_cpu = Tile("Cost per unit")
        self.t_npv = Tile("NPV")
        for i, t in enumerate((self.t_benefit, self.t_net, self.t_roi, self.t_payback, self.t_cpu, self.t_npv)):
            grid.addWidget(t, i // 3, i % 3)
        self.explain_text = note("")
        grid.addWidget(self.explain_text, 2, 0, 1, 3)
        grid.addWidget(heading("Month by month: cumulative net present value (set-up paid at the start)"), 3, 0, 1, 3)
        self.months_table = DataTable()
        grid.addWidget(self.months_table, 4, 0, 1, 3)
        grid.setRowStretch(4, 1)
        outer.addWidget(right, 1)
        self.result = None
        self.run_cost_source = None  # UsageRunCost the run cost field was filled from, if any
        self.preset.setCurrentText("Support chatbot")

    def _usage_box(self) -> QGroupBox:
        box = QGroupBox("Run cost from the imported usage")
        form = QFormLayout(box)
        self.src_dim = QComboBox()
        for d in RUN_COST_DIMENSIONS:
            self.src_dim.addItem(d.capitalize(), d)
        self.src_dim.setCurrentIndex(RUN_COST_DIMENSIONS.index("project"))
        self.src_dim.currentIndexChanged.connect(self._fill_values)
        form.addRow("Use case is the", self.src_dim)
        self.src_value = QComboBox()
        self.src_value.setMinimumContentsLength(14)
        form.addRow("named", self.src_value)
        row = QHBoxLayout()
        self.src_use = QPushButton("Use its last full month")
        self.src_use.setToolTip("Fill 'Run cost / month' with this use case's usage cost in the last complete "
                                "month before the as-of date (kept up to date on every recompute)")
        self.src_use.clicked.connect(self.use_usage_cost)
        self.src_rows = QPushButton("Show rows")
        self.src_rows.setToolTip("Open the usage rows behind the run cost on the Usage page")
        self.src_rows.clicked.connect(self._show_source_rows)
        self.src_rows.setEnabled(False)
        row.addWidget(self.src_use)
        row.addWidget(self.src_rows)
        row.addStretch(1)
        form.addRow(row)
        self.src_note = note("Import usage to take the run cost from it.")
        form.addRow(self.src_note)
        return box

    def refresh(self, a) -> None:
        """The calculator's own inputs do not depend on the figures; the run cost taken from the
        usage does, and is recomputed with them (never left stale)."""
        self._fill_values()
        if self.run_cost_source is not None:
            self._apply_source(self.run_cost_source.dimension, self.run_cost_source.value)

    def _fill_values(self, *_) -> None:
        a = self.analysis
        keep = self.src_value.currentText()
        self.src_value.clear()
        values = run_cost_values(a.index, self.src_dim.currentData()) if a is not None and a.index is not None else []
        self.src_value.addItems(values)
        if keep in values:
            self.src_value.setCurrentText(keep)
        self.src_use.setEnabled(bool(values))
        if a is None:
            self.src_note.setText("Import usage to take the run cost from it.")
        elif not values:
            self.src_note.setText(f"No {self.src_dim.currentText().lower()} values in the imported usage.")
        elif self.run_cost_source is None:
            self.src_note.setText("Run cost typed by hand.")

    def use_usage_cost(self) -> None:
        if self.src_value.currentText():
            self._apply_source(self.src_dim.currentData(), self.src_value.currentText())

    def _apply_source(self, dimension: str, value: str) -> None:
        a = self.analysis
        if a is None or a.index is None:
            return
        src = usage_run_cost(a.index, dimension, value, a.as_of)
        self.run_cost_source = src
        field = self.fields["monthly_cost"]
        field.blockSignals(True)
        field.setText(_plain(src.cost, 2))
        field.blockSignals(False)
        cur = a.settings.reporting_currency
        self.src_note.setText(f"Run cost {fmt.money(src.cost, cur)} = usage of {dimension} '{value}' in "
                              f"{src.month} ({src.rows:,} rows). Typing a run cost unlinks it.")
        self.src_rows.setEnabled(src.rows > 0)
        self.compute()

    def _unlink_source(self) -> None:
        if self.run_cost_source is not None:
            self.run_cost_source = None
            self.src_rows.setEnabled(False)
            self.src_note.setText("Run cost typed by hand.")

    def _show_source_rows(self) -> None:
        src = self.run_cost_source
        if src is None:
            return
        self.session.navigate("usage", {
            "figure": ("roi_run_cost", f"{src.dimension}|{src.value}|{src.month}", "cost"),
            "label": f"run cost of {src.dimension} '{src.value}' in {src.month}"})

    def load_preset(self, name: str) -> None:
        p = PRESETS.get(name)
        if p is None:
            return
        self._unlink_source()
        for f in ("monthly_cost", "units", "hours_saved_per_unit", "hourly_rate"):
            self.fields[f].setText(str(getattr(p, f)))
        self.fields["initial_investment"].setText("" if p.initial_investment is None else str(p.initial_investment))
        self.fields["discount_rate"].setText("" if p.discount_rate is None else
                                             _plain(p.discount_rate * 100))
        self.months.setValue(p.months or 0)
        self.compute()

    def _fill_months(self, p: RoiPreset, r) -> None:
        """Cumulative NPV after each month t = the domain's NPV over t months."""
        n = p.months or 0
        inv = p.initial_investment or Decimal(0)
        rate = p.discount_rate or Decimal(0)
        cum = [npv([r.net_benefit] * t, rate, inv) for t in range(0, n + 1)]
        nominal = [r.net_benefit * t - inv for t in range(0, n + 1)]
        first_positive = next((t for t, v in enumerate(cum) if v >= 0), None)
        self.months_table.table_model.set_columns([
            Col.ints("Month", list(range(0, n + 1))),
            Col.money("Net benefit", [Decimal(0) if t == 0 else r.net_benefit for t in range(0, n + 1)]),
            Col.money("Cumulative (nominal)", nominal),
            Col.money("Cumulative NPV", cum),
            Col.text("", ["paid back (discounted)" if t == first_positive else "" for t in range(0, n + 1)]),
        ])
        m = self.months_table.table_model
        m.palette = [tint(palette.BLUISH_GREEN, 60)]
        m.row_colors = np.array([0 if t == first_positive else -1 for t in range(0, n + 1)], dtype=np.int64)

    def _read(self) -> RoiPreset:
        vals: dict[str, Decimal | None] = {}
        for name, e in self.fields.items():
            t = e.text().strip().replace(",", "")
            if not t:
                if name in ("initial_investment", "discount_rate"):
                    vals[name] = None
                    continue
                raise ValueError(f"{name.replace('_', ' ')} is empty")
            try:
                vals[name] = Decimal(t)
            except InvalidOperation:
                raise ValueError(f"{name.replace('_', ' ')}: {e.text()!r} is not a number") from None
        dr = vals["discount_rate"]
        return RoiPreset(name=self.preset.currentText(), monthly_cost=vals["monthly_cost"], units=vals["units"],
                         hours_saved_per_unit=vals["hours_saved_per_unit"], hourly_rate=vals["hourly_rate"],
                         initial_investment=vals["initial_investment"], months=self.months.value() or None,
                         discount_rate=dr / 100 if dr is not None else None)

    def compute(self, *_):
        try:
            p = self._read()
            r = p.compute()
        except (ValueError, InputError) as exc:
            self.msg.setText(f"Cannot compute: {exc}")
            self.result = None
            return
        self.msg.setText("")
        self.result = r
        good = palette.BLUISH_GREEN
        bad = palette.VERMILLION
        self.t_benefit.set(fmt.money(r.benefit), f"{p.units:,} units × {p.hours_saved_per_unit} h × "
                           f"{p.hourly_rate:,}/h")
        self.t_net.set(fmt.money(r.net_benefit), f"benefit − run cost {fmt.money(r.cost)}",
                       accent=good if r.net_benefit > 0 else bad)
        self.t_roi.set(fmt.pct(r.roi, 2), "(benefit − cost) / cost", accent=good if (r.roi or 0) > 0 else bad)
        self.t_payback.set(f"{r.payback_months:.2f} months" if r.payback_months is not None else "never",
                           "set-up / net benefit per month" if p.initial_investment else "no set-up given")
        self.t_cpu.set(_plain(r.cost_per_unit, 2) if r.cost_per_unit is not None else "—",
                       "run cost / units, to the micro")
        self.t_npv.set(fmt.money(r.npv) if r.npv is not None else "—",
                       f"{p.months} months at {p.discount_rate * 100 if p.discount_rate else 0:g}% a year, "
                       "set-up paid at the start" if p.months else "give a horizon in months")
        self._fill_months(p, r)
        self.explain_text.setText(
            f"Benefit = {p.units:,} × {p.hours_saved_per_unit} h × {p.hourly_rate:,} = "
            f"{fmt.money(time_saved_benefit(p.units, p.hours_saved_per_unit, p.hourly_rate))}. "
            f"Net = benefit − cost = {fmt.money(r.net_benefit)}. ROI = net / cost = {fmt.pct(r.roi, 2)}."
            + (f" Payback = {fmt.money(p.initial_investment)} / {fmt.money(r.net_benefit)} = "
               f"{r.payback_months:.2f} months." if r.payback_months is not None else ""))
