"""Validation of analyst edits: commitment overlays and settings."""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.domain import tables
from desktop.domain.errors import InputError
from desktop.domain.money import to_micros
from desktop.domain.settings import Settings
from desktop.store.records import to_date

# --- commitment edits -------------------------------------------------------------------------

EDITABLE_COMMITMENT = {
    "period_end": "date", "commitment": "money", "currency": "str", "discount_pct": "float",
    "overage_multiplier": "float", "shortfall_penalty_pct": "float", "rollover_pct": "float",
    "clause": "str", "owner": "str", "escalation_owner": "str", "notes": "str", "vendor": "str",
}


def validate_commitment_change(name: str, value: Any, period_start: _dt.date) -> Any:
    """Return the JSON-storable value (money in micros, dates ISO) or raise InputError."""
    if name not in EDITABLE_COMMITMENT:
        raise InputError(f"{name!r} cannot be edited; editable: "
                         f"{', '.join(sorted(EDITABLE_COMMITMENT))}", column=name)
    kind = EDITABLE_COMMITMENT[name]
    if kind == "money":
        try:
            micros = to_micros(value if not isinstance(value, float) else Decimal(str(value)))
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise InputError(f"not an amount: {value!r}", column=name) from exc
        if micros < 0:
            raise InputError("a commitment cannot be negative", column=name)
        return micros
    if kind == "date":
        try:
            d = to_date(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"not a date: {value!r}", column=name) from exc
        if d < period_start:
            raise InputError(f"period_end {d} is before period_start {period_start}", column=name)
        return d.isoformat()
    if kind == "float":
        try:
            f = float(value)
        except (TypeError, ValueError) as exc:
            raise InputError(f"not a number: {value!r}", column=name) from exc
        if f != f:
            raise InputError("a number is required", column=name)
        if name in ("discount_pct", "shortfall_penalty_pct", "rollover_pct") and not 0 <= f <= 100:
            raise InputError(f"{name} must be between 0 and 100, got {f:g}", column=name)
        if name == "overage_multiplier" and f < 0:
            raise InputError(f"overage_multiplier must not be negative, got {f:g}", column=name)
        return f
    if value is None:
        if name == "vendor":
            raise InputError("vendor cannot be empty", column=name)
        return None
    text = " ".join(str(value).split())
    if name == "currency":
        text = text.upper()
        if len(text) != 3 or not text.isalpha():
            raise InputError(f"currency must be a 3-letter code, got {value!r}", column=name)
    if name == "vendor":
        if not text:
            raise InputError("vendor cannot be empty", column=name)
        text = tables.normalize_vendor(text) or text
    return text


def validate_settings(s: Settings) -> None:
    if not (0 <= s.band_shortfall_risk_below <= s.band_shortfall_watch_below <= 1.0
            <= s.band_on_pace_max <= s.band_overage_watch_max):
        raise InputError("pacing bands must increase: shortfall risk <= shortfall watch <= 1.0 "
                         "<= on pace max <= overage watch max", column="band_shortfall_risk_below")
    if not (s.tier_hard_cap >= s.tier_hard_stop >= s.tier_critical >= s.tier_warning
            >= s.tier_info >= 0):
        raise InputError("alert tiers must decrease: hard cap >= hard stop >= critical >= warning "
                         ">= info >= 0", column="tier_hard_cap")
    if not s.severity_high >= s.severity_medium >= 0:
        raise InputError("severity thresholds: high >= medium >= 0", column="severity_high")
    for name in ("run_rate_days", "anomaly_window", "renewal_baseline_days", "renewal_paths",
                 "rca_high_hours", "rca_medium_hours"):
        if getattr(s, name) <= 0:
            raise InputError(f"{name} must be positive", column=name)
    if s.anomaly_min_history < 1 or s.anomaly_z <= 0:
        raise InputError("anomaly history must be >= 1 day and the z threshold > 0",
                         column="anomaly_z")
    if not 0 < s.smoothing_alpha <= 1:
        raise InputError("smoothing alpha must be in (0, 1]", column="smoothing_alpha")
    cur = s.reporting_currency
    if len(cur) != 3 or not cur.isalpha() or cur != cur.upper():
        raise InputError(f"reporting currency must be a 3-letter code like USD, got {cur!r}",
                         column="reporting_currency")
    if s.invoice_tolerance_pct < 0 or s.invoice_tolerance_abs < 0 or s.premium_rate_tolerance_pct < 0:
        raise InputError("tolerances must not be negative", column="invoice_tolerance_pct")
