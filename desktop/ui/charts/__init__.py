"""pyqtgraph chart widgets; the data they draw comes from desktop.domain.charts."""

from desktop.ui.charts.none_guard import protect_none

protect_none()  # PySide6 6.12 / Python 3.11 over-releases None on every paint (see none_guard)

# ruff: noqa: E402

from desktop.ui.charts.base import ChartWidget, link_x
from desktop.ui.charts.negotiation import AsksTornadoChart, FrontierChart
from desktop.ui.charts.widgets import (
    BudgetUtilizationChart,
    BurnUpChart,
    DailySpendChart,
    ExposureChart,
    InvoiceVarianceChart,
    RenewalChart,
)

__all__ = [
    "AsksTornadoChart",
    "BudgetUtilizationChart",
    "BurnUpChart",
    "ChartWidget",
    "DailySpendChart",
    "ExposureChart",
    "FrontierChart",
    "InvoiceVarianceChart",
    "RenewalChart",
    "link_x",
    "protect_none",
]
