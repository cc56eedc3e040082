"""Human labels for the codes the brief shows (bands, outcomes, severities, stake kinds ...):
one place, so every sheet spells a code the same way and no snake_case reaches a reader."""

from __future__ import annotations

_LABELS = {
    # pacing bands
    "shortfall_risk": "Shortfall risk",
    "shortfall_watch": "Shortfall watch",
    "on_pace": "On pace",
    "overage_watch": "Overage watch",
    "overage_risk": "Overage risk",
    # outcomes of ended terms
    "ended_met": "Ended: met",
    "ended_shortfall": "Ended: shortfall owed",
    "ended_carried": "Ended: carried forward",
    "ended_overage": "Ended: overage billed",
    # money at stake (Finding.stake_kind)
    "avoidable_shortfall": "Avoidable shortfall penalty",
    "overage_premium": "Overage premium",
    "leakage": "Invoice leakage",
    "overbilling": "Over-billing",
    "budget_overrun": "Budget overrun forecast",
    "excess_spend": "Spend above normal",
    # finding kinds
    "budget": "Budget",
    "contract": "Contract",
    "invoice_flag": "Invoice line",
    "invoice_variance": "Invoice total",
    "anomaly": "Spend spike",
    # severities, tiers, statuses
    "high": "High",
    "medium": "Medium",
    "low": "Low",
    "none": "None",
    "under": "Under budget",
    "hard_cap": "Hard cap",
    "hard_stop": "Hard stop",
    "critical": "Critical",
    "warning": "Warning",
    "info": "Info",
    "within_tolerance": "Within tolerance",
    "overbilled": "Over-billed",
    "underbilled": "Under-billed",
    "no_usage_period": "No usage in period",
    "duplicate_line": "Duplicate line",
    "premium_rate": "Premium rate",
    "no_usage": "No usage",
    "open": "Open",
    "in_progress": "In progress",
    "done": "Done",
    "wont_fix": "Won't fix",
    "ended": "Ended",
    "current": "Current",
    "future": "Future",
}


def label(code: str | None) -> str | None:
    """'shortfall_risk' -> 'Shortfall risk'; None stays None (an empty cell); an unknown code
    becomes words ('foo_bar' -> 'Foo bar')."""
    if code is None:
        return None
    if code in _LABELS:
        return _LABELS[code]
    s = str(code).replace("_", " ")
    return s[:1].upper() + s[1:]


def colours(by_code: dict[str, str]) -> dict[str, str]:
    """A code -> colour map as label -> colour, for conditional formats on labelled cells."""
    return {label(k) or k: v for k, v in by_code.items() if k != "none"}


def pace(result) -> str:
    """A contract or period: its outcome once its term has ended, else its band's label."""
    text = getattr(result, "outcome_text", None)
    if text:
        return text[:1].upper() + text[1:]
    return label(getattr(result, "band", None)) or "No pace yet"
