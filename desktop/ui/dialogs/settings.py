"""Settings: every threshold of docs/domain.md, saved in the workspace (undoable)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import validation
from desktop.domain.settings import Settings

# group -> [(field, label, kind)] ; kind: ratio (shown as %), float, int, money, str, choice:a|b
GROUPS: dict[str, list[tuple[str, str, str]]] = {
    "Pacing bands": [
        ("band_shortfall_risk_below", "Shortfall risk below pacing", "ratio"),
        ("band_shortfall_watch_below", "Shortfall watch below", "ratio"),
        ("band_on_pace_max", "On pace up to", "ratio"),
        ("band_overage_watch_max", "Overage watch up to (above: overage risk)", "ratio"),
        ("run_rate_days", "Run-rate window (days)", "int"),
        ("smoothing_alpha", "Exponential smoothing alpha", "float"),
    ],
    "Invoices": [
        ("invoice_tolerance_pct", "Variance tolerance", "ratio"),
        ("invoice_tolerance_abs", "…or at least (amount)", "money"),
        ("premium_rate_tolerance_pct", "Premium-rate tolerance above contracted price", "ratio"),
    ],
    "Budgets": [
        ("severity_high", "High severity: forecast over budget by", "ratio"),
        ("severity_medium", "Medium severity: over by", "ratio"),
        ("severity_under", "Under (reallocate): variance at most", "ratio"),
        ("tier_info", "Info tier at utilization", "ratio"),
        ("tier_warning", "Warning tier at", "ratio"),
        ("tier_critical", "Critical tier at", "ratio"),
        ("tier_hard_stop", "Hard stop at", "ratio"),
        ("tier_hard_cap", "Hard cap at", "ratio"),
        ("spike_pct", "Spike: forecast above last month by", "ratio"),
        ("rca_high_hours", "Root-cause analysis due (high), hours", "int"),
        ("rca_medium_hours", "Root-cause analysis due (medium), hours", "int"),
        ("monitoring_recovery_days", "Days back under pace to end monitoring", "int"),
    ],
    "Anomalies": [
        ("anomaly_min_history", "Days of history needed", "int"),
        ("anomaly_window", "Window (days)", "int"),
        ("anomaly_z", "Flag above z-score", "float"),
    ],
    "Renewal": [
        ("renewal_baseline_days", "Baseline: trailing days of usage", "int"),
        ("renewal_days_per_month", "Days per month", "money"),
        ("renewal_paths", "Simulated growth paths", "int"),
        ("renewal_seed", "Simulation seed", "int"),
        ("renewal_max_shortfall_probability", "Safe level: P(shortfall) at most", "ratio"),
        ("batna_equivalents", "Walk-away: model equivalents (gpt-4o=claude-sonnet-4, ...)", "str"),
    ],
    "Data": [
        ("reporting_currency", "Reporting currency", "str"),
        ("focus_cost_basis", "FOCUS cost basis", "choice:EffectiveCost|BilledCost"),
        ("ai_services", "AI services in cloud exports (rule; * = every row)", "str"),
    ],
}


class SettingsDialog(QDialog):
    """The thresholds of the workspace (undoable, saved in it) and, on the Appearance tab, the
    analyst's own light / dark / system choice (saved in the preferences)."""

    def __init__(self, settings: Settings, parent=None, appearance: str = "system"):
        super().__init__(parent)
        self.setWindowTitle("Settings — thresholds of this workspace, and appearance")
        self.resize(620, 560)
        self.original = settings
        self.editors: dict[str, tuple[str, QWidget]] = {}
        lay = QVBoxLayout(self)
        tabs = QTabWidget()
        covered = set()
        for group, items in GROUPS.items():
            page = QWidget()
            form = QFormLayout(page)
            for name, label, kind in items:
                covered.add(name)
                w = self._editor(kind, getattr(settings, name))
                w.setObjectName(name)
                self.editors[name] = (kind, w)
                form.addRow(label, w)
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setWidget(page)
            tabs.addTab(scroll, group)
        missing = [f.name for f in dataclasses.fields(Settings) if f.name not in covered and f.name != "schema_version"]
        if missing:  # a setting added later still gets an editor
            page = QWidget()
            form = QFormLayout(page)
            for name in missing:
                v = getattr(settings, name)
                kind = "int" if isinstance(v, int) else "float" if isinstance(v, float) else \
                    "money" if isinstance(v, Decimal) else "str"
                w = self._editor(kind, v)
                self.editors[name] = (kind, w)
                form.addRow(name.replace("_", " "), w)
            tabs.addTab(page, "Other")
        from desktop.ui import appearance as look

        page = QWidget()
        form = QFormLayout(page)
        self.appearance_combo = QComboBox()
        self.appearance_combo.setObjectName("appearance")
        for mode in look.MODES:
            self.appearance_combo.addItem(look.LABELS[mode], mode)
        self.appearance_combo.setCurrentIndex(max(0, self.appearance_combo.findData(appearance)))
        form.addRow("Colours", self.appearance_combo)
        hint = QLabel("Light or dark windows and charts, or the system's choice. Kept for you, not in the "
                      "workspace.")
        hint.setWordWrap(True)
        form.addRow(hint)
        tabs.addTab(page, "Appearance")
        self.tabs = tabs
        lay.addWidget(tabs)
        self.msg = QLabel("")
        self.msg.setWordWrap(True)
        lay.addWidget(self.msg)
        bb = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                              | QDialogButtonBox.StandardButton.RestoreDefaults)
        bb.accepted.connect(self._accept)
        bb.rejected.connect(self.reject)
        bb.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self.restore_defaults)
        lay.addWidget(bb)
        self.result_settings: Settings | None = None

    @property
    def appearance(self) -> str:
        """The appearance chosen: system, light or dark."""
        return self.appearance_combo.currentData()

    @staticmethod
    def _editor(kind: str, value) -> QWidget:
        if kind == "ratio":
            w = QDoubleSpinBox()
            w.setRange(-1000.0, 1000.0)
            w.setDecimals(2)
            w.setSuffix(" %")
            w.setValue(float(value) * 100)
            return w
        if kind == "float":
            w = QDoubleSpinBox()
            w.setRange(0.0, 1000.0)
            w.setDecimals(3)
            w.setValue(float(value))
            return w
        if kind == "int":
            w = QSpinBox()
            w.setRange(0, 2_000_000_000)
            w.setValue(int(value))
            return w
        if kind.startswith("choice:"):
            w = QComboBox()
            w.addItems(kind.split(":", 1)[1].split("|"))
            w.setCurrentText(str(value))
            return w
        w = QLineEdit(str(value))
        return w

    def set_value(self, name: str, value) -> None:
        kind, w = self.editors[name]
        if kind == "ratio":
            w.setValue(float(value) * 100)
        elif kind in ("float", "int"):
            w.setValue(value)
        elif kind.startswith("choice:"):
            w.setCurrentText(str(value))
        else:
            w.setText(str(value))

    def restore_defaults(self) -> None:
        d = Settings(reporting_currency=self.original.reporting_currency)
        for name in self.editors:
            self.set_value(name, getattr(d, name))

    def values(self) -> Settings:
        changes = {}
        for name, (kind, w) in self.editors.items():
            if kind == "ratio":
                changes[name] = round(w.value() / 100, 6)
            elif kind == "float":
                changes[name] = float(w.value())
            elif kind == "int":
                changes[name] = int(w.value())
            elif kind == "money":
                try:
                    changes[name] = Decimal(w.text().strip().replace(",", ""))
                except InvalidOperation:
                    raise ValueError(f"{name.replace('_', ' ')}: {w.text()!r} is not a number") from None
            elif kind.startswith("choice:"):
                changes[name] = w.currentText()
            else:
                changes[name] = w.text().strip().upper() if name == "reporting_currency" else w.text().strip()
        s = self.original.replace(**changes)
        problems = validation.check_settings(s)  # the rules the store and the Budgets page use
        if problems:
            raise ValueError(problems[0].message)
        return s

    def _accept(self) -> None:
        try:
            self.result_settings = self.values()
        except ValueError as exc:
            self.msg.setText(f"Not saved: {exc}.")
            return
        self.accept()
