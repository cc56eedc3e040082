"""Budget variance per allocation line and month (docs/domain.md "Budget variance" and the rules
in its "Decisions" section).

A usage row belongs to a line when its ``dimension`` column equals the line's value
(case-insensitive; vendors compare by vendor key; cost_center and gl_account as the chargeback
journal books the row, through the org map) and, when the line names a vendor, its vendor is
that vendor. Budgets are in the reporting currency. Every threshold comparison is exact (Decimal).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import validation
from desktop.domain.chargeback import resolved_codes
from desktop.domain.contracts import _str_or_none
from desktop.domain.daily import Daily
from desktop.domain.money import cents, from_micros
from desktop.domain.months import month_bounds, month_of, previous_month
from desktop.domain.results import BudgetResult
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.usage_index import UsageIndex, as_index, frame_key, match_key
from desktop.domain.vocabulary import ALERT_TIERS

CONTAINMENT_ACTIONS = ("rate-limit non-production keys", "route to a cheaper model tier",
                       "disable non-critical features")
# tiers from lowest to highest
_TIER_RANK = {t: i for i, t in enumerate(reversed(ALERT_TIERS))}


def _d(x: float) -> Decimal:
    return Decimal(str(float(x)))


def severity(variance: Decimal, budget: Decimal, settings: Settings = DEFAULT_SETTINGS) -> str:
    """By variance_pct = variance / budget: high >= 0.20, medium >= 0.10, low > 0,
    under <= -0.20, none otherwise. A zero budget: high when anything is forecast, else none."""
    if budget == 0:
        return "high" if variance > 0 else "none"
    vp = variance / budget
    if vp >= _d(settings.severity_high):
        return "high"
    if vp >= _d(settings.severity_medium):
        return "medium"
    if vp > 0:
        return "low"
    if vp <= _d(settings.severity_under):
        return "under"
    return "none"


def alert_tier(actual: Decimal, budget: Decimal, settings: Settings = DEFAULT_SETTINGS) -> str:
    """By utilization = actual / budget. A zero budget: hard_cap once anything is spent."""
    if budget == 0:
        return "hard_cap" if actual > 0 else "none"
    u = actual / budget
    for tier, th in (("hard_cap", settings.tier_hard_cap), ("hard_stop", settings.tier_hard_stop),
                     ("critical", settings.tier_critical), ("warning", settings.tier_warning),
                     ("info", settings.tier_info)):
        if u >= _d(th):
            return tier
    return "none"


def max_tier(a: str, b: str) -> str:
    return a if _TIER_RANK[a] >= _TIER_RANK[b] else b


def is_spike(forecast: Decimal, previous_actual: Decimal, settings: Settings = DEFAULT_SETTINGS) -> bool:
    """Forecast 20% or more above the previous month's actual (which must be positive; the
    caller only asks once the previous month has ended on or before T)."""
    return previous_actual > 0 and forecast >= previous_actual * (1 + _d(settings.spike_pct))


def response(sev: str, tier: str, as_of: date, containment_owner: str | None,
             settings: Settings = DEFAULT_SETTINGS) -> tuple[str, date | None]:
    """(text, rca_due). High severity or hard_stop/hard_cap: root-cause analysis due T + 24 h;
    medium: T + 72 h; low: next weekly review. Due dates are T plus whole days."""
    who = containment_owner or "the line owner"
    actions = "; ".join(CONTAINMENT_ACTIONS)
    if sev == "high" or tier in ("hard_stop", "hard_cap"):
        hours = settings.rca_high_hours
    elif sev == "medium":
        hours = settings.rca_medium_hours
    elif sev == "low":
        return "review at the next weekly review", None
    elif sev == "under":
        return "under budget: money to reallocate", None
    else:
        return "", None
    due = as_of + timedelta(days=-(-hours // 24))
    return (f"root-cause analysis due within {hours} h ({due.isoformat()}) with containment owner "
            f"{who}; containment: {actions}"), due


ORG_DIMENSIONS = ("cost_center", "gl_account")  # resolved through the org map, as the journal books them


def line_mask(index: UsageIndex, dimension: str, value: str, vendor: str | None,
              org_map: pd.DataFrame | None = None) -> np.ndarray:
    """The usage rows of an allocation line: its dimension column matches its value
    (usage_index.match_key) and, when the line names a vendor, of that vendor. cost_center and
    gl_account are the ones the chargeback journal books the row to (the row's cost_center, else
    its team's in the org map; the GL account from the org map: chargeback.resolved_codes).
    Only rows that count as AI spend (``UsageIndex.ai``, desktop/domain/ai_services.py)."""
    if dimension in ORG_DIMENSIONS:
        codes, keys = resolved_codes(index, org_map, dimension)
        mask = (codes == keys.get(match_key(dimension, value), -2)) & index.ai()
    else:
        mask = index.mask(dimension, value) & index.ai()
    if vendor:
        mask &= index.mask("vendor", vendor)
    return mask


def line_daily(index: UsageIndex, dimension: str, value: str, vendor: str | None,
               org_map: pd.DataFrame | None = None) -> Daily:
    """The Daily series of line_mask (kept on the index: an edit to a budget does not re-read rows)."""
    key = ("budget_line", dimension, match_key(dimension, value), match_key("vendor", vendor),
           frame_key(org_map) if dimension in ORG_DIMENSIONS else None)
    return index.memo(key, lambda: index.daily(line_mask(index, dimension, value, vendor, org_map)))


def actual_rows(index: UsageIndex, b: BudgetResult, as_of: date, org_map: pd.DataFrame | None = None) -> np.ndarray:
    """The rows of ``actual``: the line's rows dated in its month up to T."""
    m_start, m_end = month_bounds(b.month)
    if m_start > as_of:
        return np.zeros(0, dtype=np.int64)
    return index.positions(line_mask(index, b.dimension, b.value, b.vendor, org_map)
                           & index.dated(m_start, min(m_end, as_of)))


def run_rate_rows(index: UsageIndex, b: BudgetResult, as_of: date, window: int,
                  org_map: pd.DataFrame | None = None) -> np.ndarray:
    """The rows of ``run_rate``: the line's rows dated T-(window-1)..T."""
    return index.positions(line_mask(index, b.dimension, b.value, b.vendor, org_map)
                           & index.dated(as_of - timedelta(days=window - 1), as_of))


def _validate(budgets: pd.DataFrame) -> None:
    """InputError for the first budget line breaking a rule of desktop.domain.validation (a
    dimension outside the vocabulary, a month that is not YYYY-MM in range, a negative budget)."""
    validation.raise_first(validation.validate_frame("budgets", budgets))


def budget_results(budgets: pd.DataFrame, usage: pd.DataFrame | UsageIndex, as_of: date,
                   settings: Settings = DEFAULT_SETTINGS,
                   org_map: pd.DataFrame | None = None) -> tuple[BudgetResult, ...]:
    """One BudgetResult per budget row, ordered by (allocation, month). ``usage`` is the prepared
    frame (reporting currency); ``org_map`` resolves cost_center and gl_account lines."""
    if budgets.empty:
        return ()
    _validate(budgets)
    index = as_index(usage)
    out = []
    for rec in budgets.to_dict("records"):
        out.append(_one_line(rec, index, as_of, settings, org_map))
    out.sort(key=lambda b: (b.allocation, b.month))
    return tuple(out)


def _one_line(rec: dict, index: UsageIndex, as_of: date, settings: Settings,
              org_map: pd.DataFrame | None) -> BudgetResult:
    dimension = str(rec["dimension"]).strip().casefold()
    value = str(rec["value"]).strip()
    vendor = _str_or_none(rec.get("vendor"))
    m_start, m_end = month_bounds(rec["month"])
    month = month_of(m_start)
    budget = cents(from_micros(rec["budget"]))
    daily = line_daily(index, dimension, value, vendor, org_map)
    actual = cents(from_micros(daily.total(m_start, min(m_end, as_of))))
    window = settings.run_rate_days
    rr = cents(from_micros(daily.total(as_of - timedelta(days=window - 1), as_of)) / window)
    days_after = max(0, (m_end - max(as_of, m_start - timedelta(days=1))).days)
    forecast = actual + rr * days_after
    variance = forecast - budget
    sev = severity(variance, budget, settings)
    tier = alert_tier(actual, budget, settings)
    p_start, p_end = previous_month(m_start)
    previous_actual = cents(from_micros(daily.total(p_start, p_end))) if p_end <= as_of else None
    spike = previous_actual is not None and is_spike(forecast, previous_actual, settings)
    if spike:
        tier = max_tier(tier, "critical")
    containment = _str_or_none(rec.get("containment_owner")) or _str_or_none(rec.get("owner"))
    text, due = response(sev, tier, as_of, containment, settings)
    monitoring = False
    if m_start <= as_of <= m_end and (sev in ("high", "medium")
                                      or _TIER_RANK[tier] >= _TIER_RANK["critical"]):
        monitoring = not recovered(daily, budget, m_end.day, as_of, settings)
    return BudgetResult(
        allocation=str(rec["allocation"]), month=month, budget=budget, actual=actual,
        utilization=None if budget == 0 else float(actual / budget), forecast=forecast,
        variance=variance, variance_pct=None if budget == 0 else float(variance / budget),
        severity=sev, alert_tier=tier, dimension=dimension, value=value, run_rate=rr, spike=spike,
        previous_actual=previous_actual, response=text, rca_due=due,
        owner=_str_or_none(rec.get("owner")), containment_owner=containment,
        escalation_owner=_str_or_none(rec.get("escalation_owner")), vendor=vendor,
        cost_center=_str_or_none(rec.get("cost_center")), gl_account=_str_or_none(rec.get("gl_account")),
        monitoring=monitoring)


def recovered(daily: Daily, budget: Decimal, days_in_month: int, as_of: date,
              settings: Settings = DEFAULT_SETTINGS) -> bool:
    """True when the line's run rate (trailing-window spend / window) was under budget pace
    (budget / days in the month) on each of the last ``monitoring_recovery_days`` days up to T."""
    window = settings.run_rate_days
    for k in range(settings.monitoring_recovery_days):
        day = as_of - timedelta(days=k)
        spend = from_micros(daily.total(day - timedelta(days=window - 1), day))
        # spend / window < budget / days  <=>  spend x days < budget x window (exact)
        if not spend * days_in_month < budget * window:
            return False
    return True
