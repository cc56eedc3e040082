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
    # one value per contract (tables.CONTRACT_TERMS): an edit sets it on every period of the contract
    "status": "str", "fulfilment": "str", "rollover_cap": "float", "rollover_expiry_periods": "float",
    "shortfall_treatment": "str", "notice_days": "float",
}
# words of a vocabulary, stored in their canonical (lower-case) spelling
_FOLDED = ("status", "fulfilment", "shortfall_treatment")


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
    if name in _FOLDED:
        return str(v).casefold()
    return v


def validate_settings(s: Settings) -> None:
    """InputError for the first setting rule of desktop.domain.validation that ``s`` breaks."""
    validation.require_settings(s)
