"""Renewal scenarios: expected cost and P(shortfall) against commit level per scenario of one
vendor, the recommended levels starred. No source rows: points carry keys
'renewal:<scenario>:<commit level>'."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from desktop.domain import palette
from desktop.domain.charts.model import ChartData, RefIndex, Series, fmt_money
from desktop.domain.results import RenewalScenarioResult


def renewal_vendors(scenario_results: Sequence[RenewalScenarioResult]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(sc.vendor for sc in scenario_results))


def scenario_label(name: str, vendor: str | None = None) -> str:
    """A scenario's short name for a one-vendor chart: 'Anthropic renewal: conservative' ->
    'Conservative' (the part after the last ': '), else the name without a leading vendor."""
    short = name.split(": ")[-1].strip() if ": " in name else name
    if vendor and short.casefold().startswith(vendor.casefold()) and len(short) > len(vendor):
        short = short[len(vendor):].lstrip(" :·-") or name
    return short[:1].upper() + short[1:] if short else name


def renewal(scenario_results: Sequence[RenewalScenarioResult], currency: str = "USD",
            vendor: str | None = None) -> ChartData:
    """Expected cost against commit level per scenario of one vendor (default: the first):
    one colour per scenario, solid line = expected cost (left axis); with one scenario also
    dashed = P(shortfall) (right axis) and dotted = its on-demand cost; with several those two
    are in the readout (hover) only, so the plot keeps one line per scenario. The recommended
    levels (least expected cost, safe maximum) are stars in the scenario's colour, spelled out in
    the legend and the caption rather than as labels on the plot. Points carry keys
    'renewal:<scenario>:<commit level>'."""
    vendors = renewal_vendors(scenario_results)
    if vendor is None and vendors:
        vendor = vendors[0]
    chosen = [sc for sc in scenario_results if sc.vendor == vendor]
    cost_series: list[Series] = []
    p_series: list[Series] = []
    od_series: list[Series] = []
    rec_x: list[float] = []
    rec_y: list[float] = []
    rec_keys: list[str] = []
    rec_notes: list[str] = []
    rec_colors: list[str] = []
    caption: list[str] = []
    single = len(chosen) <= 1
    for k, sc in enumerate(chosen):
        color = palette.SERIES_LIGHT[k % len(palette.SERIES_LIGHT)]
        short = scenario_label(sc.name, vendor)
        rows = sorted(sc.rows, key=lambda r: r.commit_level)
        kx = np.asarray([float(r.commit_level) for r in rows])
        keys = RefIndex.from_keys([f"renewal:{sc.name}:{r.commit_level}" for r in rows])
        notes = tuple(f"discount {r.discount_pct:.1f}%, savings {fmt_money(float(r.savings))}" for r in rows)
        cost_series.append(Series(f"cost:{sc.name}", f"{short} · expected cost", kx,
                                  np.asarray([float(r.expected_cost) for r in rows]), color, "symbols",
                                  refs=keys, symbol="o", notes=notes, legend_label=f"{short} · expected cost"))
        p_color = palette.ROLE_COLORS["probability"] if len(chosen) == 1 else color
        p_series.append(Series(f"p:{sc.name}", f"{short} · P(shortfall)", kx,
                               np.asarray([r.p_shortfall for r in rows]), p_color, "dash", unit="probability",
                               axis="right", refs=keys, legend_label=f"{short} · P(shortfall), right axis",
                               draw=single))
        parts = []
        for r in rows:
            what = [w for w, on in (("least expected cost", r.least_cost), ("safe max", r.safe_max)) if on]
            if what:
                rec_x.append(float(r.commit_level))
                rec_y.append(float(r.expected_cost))
                rec_keys.append(f"renewal:{sc.name}:{r.commit_level}")
                rec_notes.append(f"{short}: recommended ({' & '.join(what)}) {fmt_money(float(r.commit_level))}")
                rec_colors.append(color)
                parts.append(f"{' & '.join(what)} {fmt_money(float(r.commit_level))}")
        if sc.on_demand_cost:
            od_series.append(Series(f"od:{sc.name}", f"{short} · on-demand cost", kx,
                                    np.full(len(kx), float(sc.on_demand_cost)), color, "dot", legend=False,
                                    draw=single))
        caption.append(f"{short}: " + (" · ".join(parts) if parts else "no recommendation"))
    series = cost_series + p_series
    if rec_x:
        series.append(Series("rec", "Recommended commit level", np.asarray(rec_x), np.asarray(rec_y),
                             palette.ROLE_COLORS["recommended"], "scatter", symbol="star",
                             refs=RefIndex.from_keys(rec_keys), notes=tuple(rec_notes), readout=False,
                             point_colors=tuple(rec_colors),
                             legend_label="Star: recommended level (least expected cost / safe max)"
                             + ("" if single else ", scenario's colour")))
    series += od_series
    title = "Renewal scenarios" + (f" · {vendor}" if vendor else "")
    text = ("Recommended · " + "; ".join(caption)) if caption else ""
    if not single:
        text += " (P(shortfall) and on-demand cost: hover a level)"
    extra: dict = {"vendor": vendor, "vendors": vendors, "legend_columns": 2 if single else len(chosen) + 1,
                   "caption": text}
    if od_series and single:
        extra["legend_notes"] = (("dotted: on-demand cost (no commitment)", palette.GREY, "dot"),)
    return ChartData("renewal", title, tuple(series), "money", "Commit level", f"Expected cost ({currency})",
                     "P(shortfall)", currency=currency, y2_range=(0.0, 1.0), extra=extra)
