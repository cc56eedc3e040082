"""The renewal workbench's two charts, drawn from a ``desktop.domain.negotiation.Negotiation``.
No figure is computed here: every value drawn is one the Negotiation holds.

* ``frontier``: expected cost over the term (y) against P(shortfall) (x, ``x_kind`` "ratio"):
  each offer's commit levels as a line in the offer's colour (its frontier, in order of
  commitment, which is the order of P(shortfall)), the level as offered a diamond, the
  recommended level of each offer a star, the P(shortfall) limit a vertical line: the
  recommendation is the lowest point left of it. Points carry keys
  ``frontier:<offer>:<commitment>``.
* ``asks_tornado``: the priced asks of the selected offer as horizontal bars of the change in
  expected cost, in the Negotiation's rank order with rank 1 (the most money saved) at the top;
  the change in P(shortfall) is in the readout. Asks that do not apply are left out (the table
  says why). Points carry keys ``ask:<ask>``. The widget (desktop.ui.charts.negotiation)
  draws the categories on the left axis.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from desktop.domain import palette
from desktop.domain.charts.model import ChartData, Marker, RefIndex, Series, fmt_money

CURRENT_COLOR = palette.DARK_GREY
OFFER_COLORS = (palette.BLUE, palette.ORANGE, palette.REDDISH_PURPLE, palette.SKY_BLUE, palette.VERMILLION,
                palette.BLACK)


def offer_colors(names: list[str], current: str | None) -> dict[str, str]:
    """Colour of each offer: the current contract dark grey, the others in series order."""
    out, k = {}, 0
    for n in names:
        if n == current:
            out[n] = CURRENT_COLOR
        else:
            out[n] = OFFER_COLORS[k % len(OFFER_COLORS)]
            k += 1
    return out


def _pct(p: float) -> str:
    return f"{p * 100:.1f}%"


def frontier(neg: Any, current: str | None = None) -> ChartData:
    """The frontier chart of ``neg`` (module docstring); ``current`` names the current contract
    among its offers (drawn grey, '(current)' in its labels)."""
    names = [o.offer for o in neg.offers.offers]
    colors = offer_colors(names, current)
    currency = neg.currency
    series: list[Series] = []
    offered_x, offered_y, offered_keys, offered_notes, offered_colors = [], [], [], [], []
    for name in names:
        label = f"{name} (current)" if name == current and "current" not in name else name
        pts = sorted((p for p in neg.frontier if p.offer == name), key=lambda p: (p.p_shortfall, p.commitment))
        if not pts:
            continue
        keys = [f"frontier:{name}:{p.commitment}" for p in pts]
        notes = tuple(f"commit {fmt_money(float(p.commitment))}"
                      + (f" at {p.discount_pct:g}% off" if p.discount_pct is not None else "")
                      + (" (as offered)" if p.offered else "") for p in pts)
        series.append(Series(
            f"levels:{name}", label, np.asarray([float(p.p_shortfall) for p in pts]),
            np.asarray([float(p.expected_cost) for p in pts]), colors[name], "symbols",
            refs=RefIndex.from_keys(keys), symbol="o", notes=notes, legend_label=label))
        for p, key in zip(pts, keys, strict=True):
            if p.offered:
                offered_x.append(float(p.p_shortfall))
                offered_y.append(float(p.expected_cost))
                offered_keys.append(key)
                offered_notes.append(f"{label}: as offered, commit {fmt_money(float(p.commitment))}")
                offered_colors.append(colors[name])
    if offered_x:
        series.append(Series(
            "offered", "As offered", np.asarray(offered_x), np.asarray(offered_y), palette.GREY, "scatter",
            refs=RefIndex.from_keys(offered_keys), symbol="d", notes=tuple(offered_notes),
            readout=False, point_colors=tuple(offered_colors), legend_label="Diamond: as offered"))
    rx, ry, rkeys, rnotes, rcolors = [], [], [], [], []
    best = None
    for r in neg.recommended:
        if r.commitment is None:
            continue
        rx.append(float(r.p_shortfall))
        ry.append(float(r.expected_cost))
        rkeys.append(f"frontier:{r.offer}:{r.commitment}")
        rnotes.append(f"{r.offer}: recommended commit {fmt_money(float(r.commitment))}" + (" (best)" if r.best else ""))
        rcolors.append(colors.get(r.offer, palette.GREY))
        if r.best:
            best = r
    if rx:
        series.append(Series(
            "recommended", "Recommended level", np.asarray(rx), np.asarray(ry), palette.ROLE_COLORS["recommended"],
            "scatter", symbol="star", refs=RefIndex.from_keys(rkeys), readout=False,
            notes=tuple(rnotes), point_colors=tuple(rcolors),
            legend_label="Star: recommended level"))
    limit = float(neg.limit_pct) / 100
    if best is not None:
        caption = (f"Best: {best.offer} at commit {fmt_money(float(best.commitment))}, expected cost "
                   f"{fmt_money(float(best.expected_cost))} with P(shortfall) {_pct(float(best.p_shortfall))} "
                   f"(limit {_pct(limit)})")
    else:
        caption = f"No commit level of any offer keeps P(shortfall) at most {_pct(limit)}"
    return ChartData(
        "frontier", f"Expected cost against P(shortfall) · {neg.vendor}", tuple(series), "ratio",
        "P(shortfall) in any period", f"Expected cost over the term ({currency})",
        markers=(Marker(limit, f"P(shortfall) limit {_pct(limit)}", palette.VERMILLION, kind="limit"),),
        currency=currency, extra={"vendor": neg.vendor, "caption": caption, "legend_columns": 2,
                                  "empty_text": "No frontier: no offer to compare."})


def asks_tornado(neg: Any) -> ChartData:
    """The tornado of the priced asks of ``neg.selected`` (module docstring)."""
    priced = sorted((a for a in neg.asks if a.applicable and a.delta_cost is not None),
                    key=lambda a: a.rank if a.rank is not None else 10**6)
    items = priced[::-1]  # rank 1 at the top (the largest y)
    n = len(items)
    deltas = np.asarray([float(a.delta_cost) for a in items], dtype=np.float64)
    colors = tuple(palette.BLUISH_GREEN if a.delta_cost <= 0 else palette.VERMILLION for a in items)
    notes = tuple(f"{'saves' if a.delta_cost <= 0 else 'costs'} {fmt_money(abs(float(a.delta_cost)))}; "
                  f"P(shortfall) {'+' if a.delta_p_shortfall > 0 else ''}{a.delta_p_shortfall * 100:.1f} points"
                  for a in items)
    series = (Series("delta_cost", "Change in expected cost", np.arange(n, dtype=np.float64), deltas,
                     palette.BLUISH_GREEN, "bar", refs=RefIndex.from_keys([f"ask:{a.ask}" for a in items]),
                     width=np.full(n, 0.6), point_colors=colors, notes=notes, legend=False, readout_value=False),
              ) if n else ()
    return ChartData(
        "asks_tornado", "What each ask is worth" + (f" · {neg.selected}" if neg.selected else ""), series,
        "category", f"Change in expected cost ({neg.currency})", "", categories=tuple(a.label for a in items),
        currency=neg.currency,
        swatches=(("saves money", palette.BLUISH_GREEN), ("costs more", palette.VERMILLION)) if n else (),
        extra={"offer": neg.selected, "caption": "Bars: expected cost with the ask minus without it",
               "empty_text": "No priced asks for this offer."})
