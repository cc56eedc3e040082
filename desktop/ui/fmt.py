"""How figures are spelled on screen (one place, so every page reads the same)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import numpy as np

from desktop.domain import palette, vocabulary

BAND_COLORS = palette.BAND_COLORS
SEVERITY_COLORS = palette.SEVERITY_COLORS
TIER_COLORS = palette.TIER_COLORS


def pace(result) -> str:
    """A contract or period: its outcome once its term has ended ("Ended: shortfall 27,903.38
    owed"), else its pacing band ("On pace"), else "No pace yet"."""
    text = getattr(result, "outcome_text", None)
    if text:
        return text[:1].upper() + text[1:]
    return vocabulary.band_label(getattr(result, "band", None))


def label(code: str | None) -> str:
    """A vocabulary key's label ('shortfall_risk' -> 'Shortfall risk'; desktop.domain.vocabulary)."""
    return vocabulary.label(code)


def money(value: Decimal | int | float | None, currency: str | None = None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if not np.isfinite(value):
            return "—"
        s = f"{value:,.2f}"
    else:
        s = f"{Decimal(value):,.2f}"
    return f"{s} {currency}" if currency else s


def money_short(value: Decimal | int | float | None, currency: str | None = None) -> str:
    """Compact for KPI tiles: 1.25M, 482.1k, 950.00."""
    if value is None:
        return "—"
    v = float(value)
    a = abs(v)
    if a >= 1e9:
        s = f"{v / 1e9:,.2f}B"
    elif a >= 1e6:
        s = f"{v / 1e6:,.2f}M"
    elif a >= 1e4:
        s = f"{v / 1e3:,.1f}k"
    else:
        s = f"{v:,.2f}"
    return f"{s} {currency}" if currency else s


def micros(value: int) -> str:
    """int micros -> '1,234.57' (half-up to cents, exact integer arithmetic)."""
    v = int(value)
    neg = v < 0
    c, rem = divmod(abs(v), 10_000)
    if rem >= 5_000:
        c += 1
    whole, cent = divmod(c, 100)
    return f"{'-' if neg and c else ''}{whole:,}.{cent:02d}"


def pct(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    s = f"{value * 100:.{digits}f}"
    if s.startswith("-") and float(s) == 0:
        s = s[1:]
    return f"{s}%"


def ratio(value: float | None) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return f"{value:.3f}"


def day(value: date | datetime | np.datetime64 | None) -> str:
    if value is None:
        return ""
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return ""
        return str(value.astype("datetime64[D]"))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value.isoformat()


def quantity(value: float | None) -> str:
    """A quantity as it is: its own decimals up to 4, never padded ("1,234", "0.5", "2.1234"), so a
    value reads the same whatever rows surround it (tokens and requests are whole; hours, GB
    and thousand-token units show their fraction). The unit is its own column."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    s = f"{value:,.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def number(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    return f"{value:,.{digits}f}"
