"""One colour-blind-safe palette (Okabe & Ito, 2008) for every chart, table and the brief.

Pure data: hex colours ("#RRGGBB") for bands, alert tiers, severities and chart series, plus a
small helper to lighten a colour for cell backgrounds. The GUI (pyqtgraph) and the Excel brief
(openpyxl, which wants "RRGGBB" without "#") both read from here so that a band looks the same
everywhere.
"""

from __future__ import annotations

# the eight Okabe-Ito colours
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"

OKABE_ITO = (ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE, BLACK)

# chart series, in the order they are used (a readable order: strong colours first)
SERIES = (BLUE, ORANGE, BLUISH_GREEN, VERMILLION, SKY_BLUE, REDDISH_PURPLE, YELLOW, BLACK)

# pacing bands: under-consumption in blues, on pace green, over-consumption orange/vermillion
BAND = {
    "shortfall_risk": BLUE,
    "shortfall_watch": SKY_BLUE,
    "on_pace": BLUISH_GREEN,
    "overage_watch": ORANGE,
    "overage_risk": VERMILLION,
}

# budget variance severity
SEVERITY = {
    "high": VERMILLION,
    "medium": ORANGE,
    "low": YELLOW,
    "none": GREY,
    "under": SKY_BLUE,
}

# budget alert tiers by utilization
TIER = {
    "hard_cap": REDDISH_PURPLE,
    "hard_stop": VERMILLION,
    "critical": ORANGE,
    "warning": YELLOW,
    "info": SKY_BLUE,
    "none": GREY,
}

# invoice status
INVOICE_STATUS = {
    "within_tolerance": BLUISH_GREEN,
    "overbilled": VERMILLION,
    "underbilled": SKY_BLUE,
    "no_usage_period": GREY,
}

# line roles in charts
ACTUAL = BLUE  # consumed / actual spend
EXPECTED = GREY  # the linear burn line
FORECAST = ORANGE  # projected spend
COMMITMENT = BLACK  # the commitment level


def lighten(hex_colour: str, amount: float) -> str:
    """Mix ``hex_colour`` with white: amount 0 keeps it, 1 gives white. Returns "#RRGGBB"."""
    h = hex_colour.lstrip("#")
    rgb = [int(h[i:i + 2], 16) for i in (0, 2, 4)]
    mixed = [round(c + (255 - c) * amount) for c in rgb]
    return "#" + "".join(f"{c:02X}" for c in mixed)
