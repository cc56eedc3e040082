"""The one colour palette of CommitDesk: charts (desktop/ui/charts), the app and the Excel brief.

Pure data and small colour helpers; no Qt, no openpyxl. Colours are the Okabe-Ito set
(Okabe & Ito, "Color Universal Design", 2008), which stays distinguishable under the common
forms of colour-vision deficiency (protanopia, deuteranopia, tritanopia).

Readable in light and dark:

* Category colours (bands, tiers, severities, statuses) are the same in both themes and are
  meant for *fills* (bands, bars, cell fills); put text on them with ``text_on(fill)``, which
  picks black or white by WCAG contrast. For lines and markers use ``line_color(hex, dark)``.
* Yellow (#F0E442) is too light for a thin line on white and black (#000000) vanishes on a dark
  background, so series orders differ per theme (``series_colors(dark)``) and ``line_color``
  swaps those two for a legible stand-in.
* ``THEMES`` gives background / foreground / grid / muted colours per theme.

Hex strings are "#RRGGBB" (upper case). ``excel_argb`` spells them the way openpyxl wants.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

# --- the Okabe-Ito colours -------------------------------------------------------------------
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
# neutral greys used beside the eight (not hues, so they do not compete with them)
GREY = "#999999"
DARK_GREY = "#595959"
LIGHT_GREY = "#BBBBBB"

OKABE_ITO = MappingProxyType(
    {
        "black": BLACK,
        "orange": ORANGE,
        "sky_blue": SKY_BLUE,
        "bluish_green": BLUISH_GREEN,
        "yellow": YELLOW,
        "blue": BLUE,
        "vermillion": VERMILLION,
        "reddish_purple": REDDISH_PURPLE,
    }
)

# --- categories --------------------------------------------------------------------------------
# Pacing bands (desktop.domain.results.BANDS): shortfall side warm, overage side cool,
# on pace green. Risk is the stronger colour of each side.
BAND_COLORS = MappingProxyType(
    {
        "shortfall_risk": VERMILLION,
        "shortfall_watch": ORANGE,
        "on_pace": BLUISH_GREEN,
        "overage_watch": SKY_BLUE,
        "overage_risk": BLUE,
    }
)

# Outcomes of ended terms (vocabulary.OUTCOMES): owed shortfall and premium overage in the risk
# colours of their side, met green, a shortfall carried into the next period the watch colour.
OUTCOME_COLORS = MappingProxyType(
    {
        "ended_shortfall": VERMILLION,
        "ended_carried": ORANGE,
        "ended_met": BLUISH_GREEN,
        "ended_overage": BLUE,
    }
)

# Budget alert tiers (results.ALERT_TIERS), from mild to hard cap.
TIER_COLORS = MappingProxyType(
    {
        "none": GREY,
        "info": SKY_BLUE,
        "warning": YELLOW,
        "critical": ORANGE,
        "hard_stop": VERMILLION,
        "hard_cap": REDDISH_PURPLE,
    }
)

# Budget variance severities (results.SEVERITIES); `under` is money to reallocate (cool).
SEVERITY_COLORS = MappingProxyType(
    {
        "high": VERMILLION,
        "medium": ORANGE,
        "low": YELLOW,
        "none": GREY,
        "under": SKY_BLUE,
    }
)

# Invoice statuses (results.INVOICE_STATUSES) and line flags (results.LINE_FLAGS).
INVOICE_STATUS_COLORS = MappingProxyType(
    {
        "within_tolerance": BLUISH_GREEN,
        "overbilled": VERMILLION,
        "underbilled": BLUE,
        "no_usage_period": GREY,
    }
)
FLAG_COLORS = MappingProxyType(
    {
        "double_billing": VERMILLION,
        "duplicate_line": REDDISH_PURPLE,
        "duplicate_credit": SKY_BLUE,
        "list_price": VERMILLION,
        "premium_rate": VERMILLION,
        "no_usage": ORANGE,
        "cache_discount_missing": VERMILLION,
        "batch_discount_missing": VERMILLION,
        "tier_mismatch": VERMILLION,
    }
)

# Roles in charts that are not categories.
ROLE_COLORS = MappingProxyType(
    {
        "actual": BLUE,  # consumed / actual spend
        "expected": DARK_GREY,  # linear expected line / expected amount
        "commitment": BLACK,  # commitment steps
        "forecast": ORANGE,  # projection
        "anomaly": VERMILLION,
        "average": BLACK,  # moving average (light grey on dark)
        "as_of": REDDISH_PURPLE,
        "probability": VERMILLION,  # P(shortfall) axis
        "recommended": BLUISH_GREEN,
        "leakage": VERMILLION,
    }
)

# Series orders: first colours are the most legible lines in each theme.
SERIES_LIGHT = (BLUE, ORANGE, BLUISH_GREEN, VERMILLION, REDDISH_PURPLE, SKY_BLUE, BLACK, YELLOW)
SERIES_DARK = (SKY_BLUE, ORANGE, BLUISH_GREEN, YELLOW, REDDISH_PURPLE, VERMILLION, LIGHT_GREY, BLUE)


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    foreground: str  # text, axes
    grid: str
    muted: str  # secondary text, expected lines
    band_alpha: int  # 0..255 alpha for shaded bands / cones on this background


THEMES = MappingProxyType(
    {
        "light": Theme("light", "#FFFFFF", "#1A1A1A", "#DDDDDD", DARK_GREY, 50),
        "dark": Theme("dark", "#1E1E1E", "#E6E6E6", "#3A3A3A", LIGHT_GREY, 70),
    }
)


def theme(dark: bool = False) -> Theme:
    return THEMES["dark" if dark else "light"]


def series_colors(dark: bool = False) -> tuple[str, ...]:
    return SERIES_DARK if dark else SERIES_LIGHT


def line_color(color: str, dark: bool = False) -> str:
    """A colour legible as a thin line / marker on the theme background.

    On white, yellow and light grey become dark grey; on dark, black and dark grey become light
    grey. Every other Okabe-Ito colour has at least 2:1 contrast (WCAG) on both theme
    backgrounds and is kept as is."""
    c = normalize_hex(color)
    if not dark and c in (YELLOW, LIGHT_GREY):
        return DARK_GREY
    if dark and c in (BLACK, DARK_GREY):
        return LIGHT_GREY
    return c


# --- helpers -------------------------------------------------------------------------------------
def normalize_hex(color: str) -> str:
    s = color.strip().lstrip("#")
    if len(s) == 3:
        s = "".join(ch * 2 for ch in s)
    if len(s) != 6 or any(ch not in "0123456789abcdefABCDEF" for ch in s):
        raise ValueError(f"not a #RRGGBB colour: {color!r}")
    return "#" + s.upper()


def hex_to_rgb(color: str) -> tuple[int, int, int]:
    s = normalize_hex(color)[1:]
    return int(s[0:2], 16), int(s[2:4], 16), int(s[4:6], 16)


def rgba(color: str, alpha: int = 255) -> tuple[int, int, int, int]:
    """(r, g, b, a) with 0..255 components, as pyqtgraph's mkColor/mkBrush accept."""
    r, g, b = hex_to_rgb(color)
    return r, g, b, max(0, min(255, int(alpha)))


def excel_argb(color: str) -> str:
    """"FFRRGGBB" for openpyxl PatternFill/Font colours."""
    return "FF" + normalize_hex(color)[1:]


def relative_luminance(color: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour."""

    def lin(c: int) -> float:
        v = c / 255.0
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = hex_to_rgb(color)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio (1..21) between two colours."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def text_on(fill: str) -> str:
    """Black or white, whichever reads better on ``fill``."""
    return BLACK if contrast_ratio(fill, BLACK) >= contrast_ratio(fill, "#FFFFFF") else "#FFFFFF"


def band_color(band: str | None) -> str:
    return BAND_COLORS.get(band or "", GREY)


def pace_color(result) -> str:
    """Colour of a contract or period: its outcome once its term has ended, else its band."""
    outcome = getattr(result, "outcome", None)
    if outcome is not None:
        return OUTCOME_COLORS.get(outcome, GREY)
    return band_color(getattr(result, "band", None))


def tier_color(tier: str | None) -> str:
    return TIER_COLORS.get(tier or "", GREY)


def severity_color(severity: str | None) -> str:
    return SEVERITY_COLORS.get(severity or "", GREY)


def invoice_status_color(status: str | None) -> str:
    return INVOICE_STATUS_COLORS.get(status or "", GREY)


def mix(color: str, other: str, t: float) -> str:
    """``color`` moved a fraction t (0..1) towards ``other`` (e.g. a softer opaque fill)."""
    a, b = hex_to_rgb(color), hex_to_rgb(other)
    t = max(0.0, min(1.0, float(t)))
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))
