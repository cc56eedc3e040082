"""Budget utilization: actual / budget and forecast / budget per allocation line of one month,
bars coloured by alert tier, the alert-tier thresholds of the settings as horizontal lines.
``budget_point_rows`` decides which usage rows stand behind a budget line's bars.

Decision (docs/domain.md is silent on charts): the month shown by default is the month of T when
a budget exists for it, else the latest budget month.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from desktop.domain import palette, provenance
from desktop.domain.charts.common import settings_of
from desktop.domain.charts.model import ChartData, RefIndex, Series, Threshold, fmt_money, to_float
from desktop.domain.results import Analysis, BudgetResult, SourceRef
from desktop.domain.vocabulary import ALERT_TIERS


def budget_point_rows(analysis: Analysis, rows: Sequence[BudgetResult], month: str) -> list[list[SourceRef]]:
    """Per budget line of ``month`` (``rows``): the rows behind its actual, as the budgets module
    selects them (provenance.figure_rows)."""
    out: list[list[SourceRef]] = []
    for b in rows:
        got = provenance.figure_rows(analysis, "budget", f"{b.allocation}|{b.month}", "actual")
        out.append(provenance.refs(analysis, got)[0])
    return out


def budget_utilization(analysis: Analysis, month: str | None = None, tiers: frozenset[str] | None = None) -> ChartData:
    """Utilization (actual / budget) and forecast / budget per allocation line of one month,
    bars coloured by alert tier, the tier thresholds drawn. ``tiers`` (alert-tier keys) keeps
    only those lines, as the Budgets page's Tier filter does for its table."""
    st = settings_of(analysis)
    T = analysis.as_of
    months = sorted({b.month for b in analysis.budgets})
    if month is None:
        tm = f"{T:%Y-%m}"
        month = tm if tm in months else (months[-1] if months else tm)
    rows = [b for b in analysis.budgets if b.month == month and (tiers is None or b.alert_tier in tiers)]
    n = len(rows)
    xs = np.arange(n, dtype=np.float64)
    util = np.asarray([to_float(b.utilization) for b in rows])
    fc = np.asarray([float(b.forecast) / float(b.budget) if b.budget else float("nan") for b in rows])
    refs = budget_point_rows(analysis, rows, month)
    notes = tuple(
        f"{fmt_money(float(b.actual))} of {fmt_money(float(b.budget))}, {b.alert_tier.replace('_', ' ')}"
        + (", spike" if b.spike else "")
        for b in rows
    )
    fnotes = tuple(f"forecast {fmt_money(float(b.forecast))}, severity {b.severity}" for b in rows)
    w = np.full(n, 0.38)
    ref_index = RefIndex.from_refs(refs)
    series = (
        Series("utilization", "Utilization (actual / budget)", xs - 0.2, util, palette.ROLE_COLORS["actual"],
               "bar", unit="ratio", width=w, lo=xs - 0.5, hi=xs + 0.5, refs=ref_index, notes=notes,
               point_colors=tuple(palette.tier_color(b.alert_tier) for b in rows), legend=False),
        # blue, the one colour no tier uses: one colour, one meaning in this chart
        Series("forecast", "Forecast / budget", xs + 0.2, fc, palette.BLUE, "bar_outline",
               unit="ratio", width=w, lo=xs - 0.5, hi=xs + 0.5, refs=ref_index, notes=fnotes),
    )
    thresholds = tuple(
        Threshold(v, f"{name.replace('_', ' ')} {v:.0%}", palette.TIER_COLORS[name])
        for name, v in (("info", st.tier_info), ("warning", st.tier_warning), ("critical", st.tier_critical),
                        ("hard_stop", st.tier_hard_stop), ("hard_cap", st.tier_hard_cap))
    )
    return ChartData("budget_utilization", f"Budget utilization · {month} (as of {T.isoformat()})", series,
                     "category", "Allocation", "Share of budget", categories=tuple(b.allocation for b in rows),
                     thresholds=thresholds, currency=analysis.currency,
                     swatches=tuple((f"Utilization, tier {t.replace('_', ' ')}", palette.tier_color(t))
                                    for t in ALERT_TIERS[::-1] if any(b.alert_tier == t for b in rows)),
                     extra={"month": month, "months": tuple(months),
                            "tiers": tuple(b.alert_tier for b in rows)})
