"""pyqtgraph chart widgets; the data they draw comes from desktop.domain.charts."""

from desktop.ui.charts.base import ChartWidget, link_x
from desktop.ui.charts.widgets import (
    BudgetUtilizationChart,
    BurnUpChart,
    DailySpendChart,
    ExposureChart,
    InvoiceVarianceChart,
    RenewalChart,
)

__all__ = [
    "BudgetUtilizationChart",
    "BurnUpChart",
    "ChartWidget",
    "DailySpendChart",
    "ExposureChart",
    "InvoiceVarianceChart",
    "RenewalChart",
    "link_x",
]
