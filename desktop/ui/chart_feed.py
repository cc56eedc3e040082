"""Chart name -> the pure builder in desktop.domain.charts that computes what to draw."""

from __future__ import annotations

from desktop.domain import charts

BUILDERS = {
    "burnup": charts.burn_up,
    "exposure": charts.period_exposure,
    "daily_spend": charts.daily_spend,
    "invoice_variance": charts.invoice_variance,
    "budget_utilization": charts.budget_utilization,
    "renewal": charts.renewal,
}


def build(which: str, *args):
    return BUILDERS[which](*args)
