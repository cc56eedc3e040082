"""Validation of analyst edits: commitment overlays and settings."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from desktop.domain import tables, validation
from desktop.domain.errors import InputError
from desktop.domain.money import to_micros
from desktop.domain.settings import Settings

# --- commitment edits -------------------------------------------------------------------------

EDITABLE_COMMITMENT = {
    "period_end": "date", "commitment": "money", "currency": "str", "discount_pct": "float",
    "overage_multiplier": "float", "shortfall_penalty_pct": "float", "rollover_pct": "float",
    "clause": "str", "owner": "str", "escalation_owner": "str", "notes": "str", "vendor": "str",
}


def validate_commitment_change(name: str, value: Any, period_start: _dt.date) -> Any:
    """Return the JSON-storable value (money in micros, dates ISO) or raise InputError with the
    message of desktop.domain.validation (the importer and the GUI editors say the same)."""
    if name not in EDITABLE_COMMITMENT:
        raise InputError(f"{name!r} cannot be edited; editable: "
                         f"{', '.join(sorted(EDITABLE_COMMITMENT))}", column=name)
    v = validation.require("commitments", name, value, row={"period_start": period_start})
    if v is None:
        return None
    kind = EDITABLE_COMMITMENT[name]
    if kind == "money":
        return to_micros(v)
    if kind == "date":
        return v.isoformat()
    if name == "vendor":
        return tables.normalize_vendor(v) or v
    return v


def validate_settings(s: Settings) -> None:
    """InputError for the first setting rule of desktop.domain.validation that ``s`` breaks."""
    validation.require_settings(s)
