"""Chart data: what to draw, computed from an Analysis. Pure (no Qt); the widgets in
desktop/ui/charts only draw what these builders return, and run them off the GUI thread.

One module per chart, named after it, holding its builder and the one function that decides
which source rows stand behind a point:

    burnup.py       burn_up(analysis, contract_id); burn_up_days, the one daily burn-up the
                    chart and the Excel brief's Data sheet share; contract_rows, burn_up_point_rows
    exposure.py     period_exposure(analysis, contract_id); exposure_point_rows
    daily_spend.py  daily_spend(analysis, by, stacked), restack; daily_spend_rows, anomaly_point_rows
    invoices.py     invoice_variance(analysis); invoice_point_rows
    budgets.py      budget_utilization(analysis, month); budget_point_rows
    renewal.py      renewal(scenarios, currency, vendor) (points carry keys, not rows)
    negotiation.py  frontier(negotiation, current), asks_tornado(negotiation): the renewal
                    workbench's charts, read from a Negotiation (points carry keys)

and what they share:

    model.py        the frozen dataclasses (ChartData, Series, Band, Marker, Threshold, RefIndex)
                    and the coordinate conversions (epoch seconds, DAY, value formatting)
    interaction.py  readout at x, hit testing of a click, the rows of a clicked point, bounds
    export.py       the plotted data as CSV
    common.py       reading an Analysis: settings, contract by id, usage, exact day sums

Every builder returns a frozen ``ChartData``. Coordinates are float64 because they are for
drawing only; the money figures shown to the analyst come from the Analysis (Decimal cents) or
from exact int64 micros sums. ``BUILDERS`` maps a chart's kind to its builder.
"""

from desktop.domain.charts.budgets import budget_point_rows, budget_utilization
from desktop.domain.charts.burnup import BurnUpDays, burn_up, burn_up_days, burn_up_point_rows, contract_rows
from desktop.domain.charts.daily_spend import (
    DAILY_DIMENSIONS,
    MAX_GROUPS,
    NONE_LABEL,
    OTHER_LABEL,
    anomaly_point_rows,
    daily_spend,
    daily_spend_rows,
    restack,
)
from desktop.domain.charts.export import to_csv
from desktop.domain.charts.exposure import exposure_point_rows, period_exposure
from desktop.domain.charts.interaction import (
    bounds,
    pick,
    point_at,
    point_label,
    readout,
    readout_text,
    selection,
    y_extent,
)
from desktop.domain.charts.invoices import invoice_point_rows, invoice_variance
from desktop.domain.charts.model import (
    DAY,
    Band,
    ChartData,
    Marker,
    RefIndex,
    Series,
    Threshold,
    date_of,
    epoch_array,
    epoch_seconds,
    fmt_money,
    fmt_value,
    to_float,
)
from desktop.domain.charts.negotiation import asks_tornado, frontier, offer_colors
from desktop.domain.charts.renewal import renewal, renewal_vendors, scenario_label

BUILDERS = {
    "burn_up": burn_up,
    "period_exposure": period_exposure,
    "daily_spend": daily_spend,
    "invoice_variance": invoice_variance,
    "budget_utilization": budget_utilization,
    "renewal": renewal,
    "frontier": frontier,
    "asks_tornado": asks_tornado,
}

__all__ = [
    "BUILDERS", "DAILY_DIMENSIONS", "asks_tornado", "frontier", "offer_colors", "DAY", "MAX_GROUPS", "NONE_LABEL", "OTHER_LABEL", "Band", "BurnUpDays",
    "ChartData", "Marker", "RefIndex", "Series", "Threshold", "anomaly_point_rows", "bounds", "budget_point_rows",
    "budget_utilization", "burn_up", "burn_up_days", "burn_up_point_rows", "contract_rows", "daily_spend",
    "daily_spend_rows", "date_of", "epoch_array", "epoch_seconds", "exposure_point_rows", "fmt_money", "fmt_value",
    "invoice_point_rows", "invoice_variance", "period_exposure", "pick", "point_at", "point_label", "readout",
    "readout_text", "renewal", "renewal_vendors", "restack", "scenario_label", "selection", "to_csv", "to_float",
    "y_extent",
]
