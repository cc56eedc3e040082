"""The six chart widgets. Each is a ChartWidget with a parameter-free constructor, ``set_data``
(the ChartData of its builder) and ``set_analysis`` which runs the builder off the GUI thread
(``ChartWidget.build``); ``built`` follows when the data is drawn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PySide6 import QtCore, QtWidgets

from desktop.domain import charts
from desktop.domain.charts import ChartData
from desktop.domain.results import Analysis, RenewalScenarioResult
from desktop.ui.charts.base import ChartWidget


class BurnUpChart(ChartWidget):
    """Cumulative eligible consumption of one contract vs the expected line, pacing bands,
    commitment steps with carry, forecast cone, as-of marker, period boundaries."""

    x_kind = "date"
    y_unit = "money"
    empty_text = "No contract selected."

    def set_analysis(self, analysis: Analysis, contract_id: str) -> None:
        self.build(charts.burn_up, analysis, contract_id)


class ExposureChart(ChartWidget):
    """Shortfall penalty and overage premium per commit period (bars over the period dates)."""

    x_kind = "date"
    y_unit = "money"
    empty_text = "No contract selected."

    def set_analysis(self, analysis: Analysis, contract_id: str) -> None:
        self.build(charts.period_exposure, analysis, contract_id)


class DailySpendChart(ChartWidget):
    """Daily spend by team / vendor / model; stacked or lines (switch), anomalies marked,
    7-day average."""

    x_kind = "date"
    y_unit = "money"
    empty_text = "No usage up to the as-of date."
    pad_dates = False  # the view starts at the first day with usage
    stackedChanged = QtCore.Signal(bool)
    byChanged = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        self._analysis: Analysis | None = None
        self._rows = None  # positions of the usage rows the page's filters leave (None: all)
        self._scope = ""
        super().__init__(parent)

    def set_scope(self, rows, scope: str) -> None:
        """Draw only the usage rows at ``rows`` (positions in the analysed usage rows; None: all),
        ``scope`` saying which in the title; takes effect with the next build."""
        self._rows = None if rows is None else np.asarray(rows, dtype=np.int64)
        self._scope = scope

    def _add_controls(self, bar: QtWidgets.QHBoxLayout) -> None:
        self.by_combo = QtWidgets.QComboBox(self)
        for dim in charts.DAILY_DIMENSIONS:
            self.by_combo.addItem(f"by {dim}", dim)
        self.by_combo.setToolTip("Group the daily spend by team, vendor or model")
        self.by_combo.setEnabled(False)
        self.by_combo.currentIndexChanged.connect(self._by_changed)
        self.stacked_box = QtWidgets.QCheckBox("Stacked", self)
        self.stacked_box.setChecked(True)
        self.stacked_box.setToolTip("Stacked areas (total on top) or one line per group")
        self.stacked_box.toggled.connect(self.set_stacked)
        bar.addWidget(self.by_combo)
        bar.addWidget(self.stacked_box)

    def set_analysis(self, analysis: Analysis, by: str | None = None, stacked: bool | None = None) -> None:
        self._analysis = analysis
        if by is not None:
            self.by_combo.blockSignals(True)
            self.by_combo.setCurrentIndex(charts.DAILY_DIMENSIONS.index(by))
            self.by_combo.blockSignals(False)
        if stacked is not None:
            self.stacked_box.blockSignals(True)
            self.stacked_box.setChecked(stacked)
            self.stacked_box.blockSignals(False)
        self.by_combo.setEnabled(True)
        self.build(charts.daily_spend, analysis, self.by(), self.stacked(), self._rows, self._scope)

    def rebind(self, analysis: Analysis) -> None:
        """The chart as drawn stands for ``analysis`` too (a recompute that changed nothing it
        draws): its drill-downs and later rebuilds read this one; nothing is built again."""
        self._analysis = analysis

    def set_data(self, data: ChartData | None) -> None:
        if data is not None and data.kind == "daily_spend":
            want = bool(data.extra.get("stacked", True))
            if want != self.stacked_box.isChecked():
                self.stacked_box.blockSignals(True)
                self.stacked_box.setChecked(want)
                self.stacked_box.blockSignals(False)
            by = data.extra.get("by")
            if by in charts.DAILY_DIMENSIONS and by != self.by():
                self.by_combo.blockSignals(True)
                self.by_combo.setCurrentIndex(charts.DAILY_DIMENSIONS.index(by))
                self.by_combo.blockSignals(False)
        super().set_data(data)

    def _landing(self, data: ChartData) -> ChartData:
        return charts.restack(data, self.stacked())

    def by(self) -> str:
        return self.by_combo.currentData() or "team"

    def stacked(self) -> bool:
        return self.stacked_box.isChecked()

    def set_stacked(self, stacked: bool) -> None:
        if self.stacked_box.isChecked() != stacked:
            self.stacked_box.setChecked(stacked)  # re-enters through toggled
            return
        if self.data is not None and self.data.kind == "daily_spend":
            super().set_data(charts.restack(self.data, stacked))
        self.stackedChanged.emit(stacked)

    def _by_changed(self, _index: int) -> None:
        if self._analysis is not None:
            self.build(charts.daily_spend, self._analysis, self.by(), self.stacked(), self._rows, self._scope)
        self.byChanged.emit(self.by())


class InvoiceVarianceChart(ChartWidget):
    """Invoiced vs expected per invoice; premium leakage highlighted."""

    x_kind = "category"
    y_unit = "money"
    empty_text = "No invoices."

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        self._ids: tuple[str, ...] | None = None  # the invoices the page's filters leave (None: all)
        self._scope = ""
        super().__init__(parent)

    def set_scope(self, invoice_ids, scope: str) -> None:
        """Draw only ``invoice_ids`` (None: every invoice), ``scope`` saying which in the title;
        takes effect with the next build."""
        self._ids = None if invoice_ids is None else tuple(invoice_ids)
        self._scope = scope

    def set_analysis(self, analysis: Analysis) -> None:
        self.build(charts.invoice_variance, analysis, self._ids, self._scope)


class BudgetUtilizationChart(ChartWidget):
    """Utilization per allocation line of one month, tier thresholds drawn."""

    x_kind = "category"
    y_unit = "ratio"
    empty_text = "No budget lines for this month."
    monthChanged = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        self._analysis: Analysis | None = None
        super().__init__(parent)

    def _add_controls(self, bar: QtWidgets.QHBoxLayout) -> None:
        self.month_combo = QtWidgets.QComboBox(self)
        self.month_combo.setToolTip("Budget month")
        self.month_combo.setEnabled(False)
        self.month_combo.currentIndexChanged.connect(self._month_changed)
        bar.addWidget(self.month_combo)

    def set_analysis(self, analysis: Analysis, month: str | None = None,
                     tiers: frozenset[str] | None = None) -> None:
        self._analysis = analysis
        self._tiers = tiers
        self.build(charts.budget_utilization, analysis, month, tiers)

    def set_data(self, data: ChartData | None) -> None:
        super().set_data(data)
        self.month_combo.blockSignals(True)
        self.month_combo.clear()
        if data is not None:
            for mth in data.extra.get("months", ()):
                self.month_combo.addItem(mth, mth)
            i = self.month_combo.findData(data.extra.get("month"))
            self.month_combo.setCurrentIndex(max(i, 0))
        self.month_combo.setEnabled(self._analysis is not None and self.month_combo.count() > 1)
        self.month_combo.blockSignals(False)

    def _month_changed(self, _index: int) -> None:
        month = self.month_combo.currentData()
        if self._analysis is not None and month:
            self.build(charts.budget_utilization, self._analysis, month, getattr(self, "_tiers", None))
            self.monthChanged.emit(month)


class RenewalChart(ChartWidget):
    """Expected cost vs commit level per scenario of one vendor; P(shortfall) on the right axis;
    recommended levels marked. Clicks emit keys 'renewal:<scenario>:<commit level>'."""

    x_kind = "money"
    y_unit = "money"
    empty_text = "No renewal scenarios."
    vendorChanged = QtCore.Signal(str)

    def __init__(self, parent: QtWidgets.QWidget | None = None):
        self._scenarios: tuple[RenewalScenarioResult, ...] = ()
        self._currency = "USD"
        super().__init__(parent)
        self._right_view()

    def _add_controls(self, bar: QtWidgets.QHBoxLayout) -> None:
        self.vendor_combo = QtWidgets.QComboBox(self)
        self.vendor_combo.setToolTip("Vendor whose renewal scenarios are shown")
        self.vendor_combo.setEnabled(False)
        self.vendor_combo.currentIndexChanged.connect(self._vendor_changed)
        bar.addWidget(self.vendor_combo)

    def set_scenarios(self, scenarios: Sequence[RenewalScenarioResult], currency: str = "USD",
                      vendor: str | None = None) -> None:
        self._scenarios = tuple(scenarios)
        self._currency = currency
        self.build(charts.renewal, self._scenarios, currency, vendor)

    def set_analysis(self, analysis: Analysis, vendor: str | None = None) -> None:
        self.set_scenarios(analysis.renewal, analysis.currency, vendor)

    def set_data(self, data: ChartData | None) -> None:
        super().set_data(data)
        self.vendor_combo.blockSignals(True)
        self.vendor_combo.clear()
        if data is not None:
            for v in data.extra.get("vendors", ()):
                self.vendor_combo.addItem(v, v)
            self.vendor_combo.setCurrentIndex(max(0, self.vendor_combo.findData(data.extra.get("vendor"))))
        # one vendor (the Renewal page runs one vendor at a time; its own Vendor input
        # chooses): no disabled, pointless combo box
        many = bool(self._scenarios) and self.vendor_combo.count() > 1
        self.vendor_combo.setEnabled(many)
        self.vendor_combo.setVisible(many)
        self.vendor_combo.blockSignals(False)

    def _vendor_changed(self, _index: int) -> None:
        v = self.vendor_combo.currentData()
        if self._scenarios and v:
            self.build(charts.renewal, self._scenarios, self._currency, v)
            self.vendorChanged.emit(v)
