"""Exposure: shortfall penalty and overage premium per commit period of one contract.
``exposure_point_rows`` decides which usage rows stand behind a period's bars."""

from __future__ import annotations

import numpy as np

from desktop.domain import palette, provenance
from desktop.domain.charts.common import contract_of, short_range
from desktop.domain.charts.model import DAY, ChartData, Marker, RefIndex, Series, epoch_seconds, fmt_money
from desktop.domain.contracts import consumed_rows
from desktop.domain.results import Analysis, ContractResult


def exposure_point_rows(analysis: Analysis, c: ContractResult) -> RefIndex:
    """The rows behind period i's bars: the rows of the period's consumed (contracts.consumed_rows)."""
    ix = provenance.index_of(analysis)
    parts = [consumed_rows(ix, c, analysis.as_of, p) for p in c.periods]
    pos = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    point = np.concatenate([np.full(len(x), i, np.int64) for i, x in enumerate(parts)]) if parts else pos
    return RefIndex.from_frame(ix.frame.iloc[pos], point, len(c.periods))


def period_exposure(analysis: Analysis, contract_id: str) -> ChartData:
    """Shortfall penalty and overage premium per commit period, each bar spanning its period's
    dates (from period_start to the end of period_end), so the x-range links with the burn-up.
    A period has at most one of the two (shortfall and overage exclude each other); the bar of
    the other one is 0 high."""
    c = contract_of(analysis, contract_id)
    T = analysis.as_of
    n = len(c.periods)
    xs, widths, lo, hi = (np.zeros(n) for _ in range(4))
    pen, pre = np.zeros(n), np.zeros(n)
    notes: list[str] = []
    markers: list[Marker] = []
    periods: list[tuple[float, float, str, str]] = []  # the period strip above the plot
    for i, p in enumerate(c.periods):
        s0 = epoch_seconds(p.period_start)
        s1 = epoch_seconds(p.period_end) + DAY
        lo[i], hi[i] = s0, s1
        widths[i] = s1 - s0
        xs[i] = (s0 + s1) / 2
        pen[i] = float(p.shortfall_penalty)
        pre[i] = float(p.overage_premium)
        st = {"ended": "ended", "current": "current, projected", "future": "future, projected"}.get(p.status, p.status)
        notes.append(f"P{i + 1} {short_range(p.period_start, p.period_end)} {st}; projected "
                     f"{fmt_money(float(p.projected))} vs {fmt_money(float(p.commitment + p.carry_in))}")
        markers.append(Marker(s0, f"P{i + 1}", palette.GREY, "boundary"))
        amount = pen[i] or pre[i]
        periods.append((s0, s1, f"P{i + 1} {short_range(p.period_start, p.period_end)}"
                        + (f" · {fmt_money(amount)}" if amount else ""), f"P{i + 1}"))
    refs = exposure_point_rows(analysis, c)
    pale = tuple(p.status != "ended" for p in c.periods)
    series = (
        Series("shortfall_penalty", "Shortfall penalty", xs, pen, palette.BAND_COLORS["shortfall_risk"],
               "bar", width=widths, lo=lo, hi=hi, refs=refs, notes=tuple(notes), point_pale=pale),
        Series("overage_premium", "Overage premium", xs, pre, palette.BAND_COLORS["overage_risk"],
               "bar", width=widths, lo=lo, hi=hi, refs=refs, point_pale=pale),
    )
    markers.append(Marker(epoch_seconds(T), f"As of {T.isoformat()}", palette.ROLE_COLORS["as_of"], "as_of"))
    return ChartData("period_exposure",
                     f"{c.contract_id} · exposure per period · shortfall {fmt_money(float(c.shortfall_exposure))}"
                     f" · overage premium {fmt_money(float(c.overage_premium))}",
                     series, "date", "Commit period", f"Exposure ({analysis.currency})",
                     markers=tuple(markers), currency=analysis.currency,
                     swatches=(("Pale: projected (current / future period)", palette.LIGHT_GREY),) if any(pale) else (),
                     extra={"periods": tuple(periods)})
