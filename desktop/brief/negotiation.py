"""The brief's Negotiation sheet: per vendor with offers, what the renewal workbench shows
(desktop.domain.negotiation.Negotiation, the one result): the offers side by side, the
recommended commit level of each offer from its frontier under the P(shortfall) limit, the
priced asks of the selected offer, the per-period figures of that offer, the walk-away totals
and a chart of the frontier.

Values come from the Negotiation. The deterministic parts are live formulas with the
Negotiation's figure as their cached value, so that an analyst can change the limit or look at
the arithmetic: savings vs list = list spend - cost; change against the current contract = cost
- current cost; an ask's change = its cost (or P(shortfall)) - the selected offer's; the walk-away
difference = cost at the alternative - cost at the vendor; "within the limit" and the
recommended level per offer = INDEX/MATCH of the least cost among the frontier levels whose
P(shortfall) is at most the limit cell (the first of equal costs: the frontier rows of an offer
are in order of commitment, so a tie goes to the smaller commitment, as the engine decides);
the best offer = INDEX/MATCH of the least recommended cost. Simulated figures (costs,
probabilities, CVaR) are values: they do not change when an input cell does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl.chart import Reference, ScatterChart, Series
from openpyxl.chart.axis import ChartLines
from openpyxl.worksheet.pagebreak import Break

from desktop.brief.book import Book, Sheet
from desktop.domain import palette
from desktop.domain.charts.negotiation import offer_colors

TITLE = "Negotiation"
OVER = "over the limit"  # a frontier level's "cost if within" when it is not (MIN passes text over)
NONE = "none"
NONE_WITHIN = "none within the limit"
LAST_COL = 13


@dataclass(frozen=True)
class NotCompared:
    """A vendor whose offers could not be compared, and why (the sheet says so)."""

    vendor: str
    reason: str


def negotiations_for(analysis, overlays: Sequence[dict] = (), given: Sequence[Any] = (), progress=None) -> list:
    """One Negotiation per vendor with offers in ``analysis`` (its commitments' proposed
    contracts): ``given`` ones as they are (the workbench's, with its selected offer), the other
    vendors' built here with the stored ``overlays`` records of that vendor; a vendor whose
    offers cannot be compared (an InputError: too little history, an overlay that does not
    apply) is a ``NotCompared`` with the reason."""
    from desktop.domain import overlays as ov
    from desktop.domain.errors import InputError
    from desktop.domain.negotiation import build_negotiation
    from desktop.domain.offers import offers_from_commitments

    commitments = analysis.inputs.commitments if analysis.inputs is not None else None
    offers = offers_from_commitments(commitments)
    vendors = list(dict.fromkeys(o.vendor for o in offers))
    out = []
    for v in vendors:
        have = next((n for n in given if n is not None and ov.same_vendor(n.vendor, v)), None)
        if have is not None:
            out.append(have)
            continue
        mine = [o for o in offers if ov.same_vendor(o.vendor, v)]
        records = [r for r in overlays if ov.same_vendor(r.get("vendor"), v)]
        try:
            out.append(build_negotiation(analysis, mine, vendor=v, settings=analysis.settings, as_of=analysis.as_of,
                                         overlays=ov.to_forecast(records), progress=None))
        except InputError as exc:
            out.append(NotCompared(v, exc.message))
        if progress is not None:
            progress.step(len(out) / len(vendors), f"Negotiation of {v}")
    return out


def break_even_text(b) -> str | None:
    if b is None:
        return None
    if b.status == "always":
        return "always beats list"
    if b.status == "loses":
        return "never beats list"
    return None


def _forecast_line(neg) -> str:
    f = neg.forecast
    if f.source == "fitted":
        wape = f"backtest WAPE {f.wape * 100:.1f}% over {f.backtest_n} months" if f.wape is not None \
            else "no backtest (too few months)"
        cov = (f"80% interval held in {f.coverage80 * 100:.0f}% of {f.coverage_n} months" if f.coverage80 is not None
               else "80% interval not checked yet")
        return f"Forecast fitted on {len(f.history)} months of eligible spend: {wape}; {cov}."
    return (f"Forecast from a baseline of {f.baseline_monthly:,.2f} a month growing {f.growth * 100:.2f}% "
            f"± {f.growth_sd * 100:.2f}% a month (not checked against history).")


def sheet(book: Book, ctx) -> Sheet:
    """The Negotiation sheet of the brief (registered as the section "negotiation")."""
    from desktop.brief.sheets import _heading, _section

    a = ctx.analysis
    s = book.sheet(TITLE)
    _heading(s, "Negotiation: the offers compared", ctx,
             "yellow cells are inputs; bordered cells are formulas; the rest is CommitDesk's simulation")
    s.widths([30, 15, 15, 15, 16, 12, 15, 15, 15, 15, 16, 17, 12])
    negs = ctx.negotiations if ctx.negotiations is not None else negotiations_for(a, ctx.overlays)
    r = 4
    if not negs:
        s.text(r, 1, "No offers in the workspace: an offer is a proposed contract (status proposed in the "
                     "commitments table, or created on the Contracts page).", "note")
        s.merge(r, 1, r, LAST_COL)
        s.row_height(r, 30)
        s.print_setup((1, 2))
        return s
    for n, neg in enumerate(negs):
        if n:
            s.ws.row_breaks.append(Break(id=r - 1))
        if isinstance(neg, NotCompared):
            _section(s, r, f"{neg.vendor}: the offers cannot be compared", LAST_COL)
            s.text(r + 1, 1, neg.reason, "text_wrap")
            s.merge(r + 1, 1, r + 1, LAST_COL)
            r += 4
            continue
        r = _block(s, neg, r, n) + 2
    s.freeze(4, 2)
    s.print_setup((1, 2))
    return s


def _current(neg) -> str | None:
    from desktop.domain.offers import CURRENT_SUFFIX

    first = neg.offers.offers[0].offer if neg.offers.offers else None
    return first if first is not None and first.endswith(CURRENT_SUFFIX) else None


def _block(s: Sheet, neg, r: int, n: int) -> int:
    from desktop.brief.sheets import _section

    _section(s, r, f"{neg.vendor}: {len(neg.offers.offers)} offers on {neg.paths:,} simulated futures "
                   f"(seed {neg.seed})", LAST_COL)
    r += 1
    s.text(r, 1, _forecast_line(neg), "note")
    s.merge(r, 1, r, LAST_COL)
    s.row_height(r, 28)
    r += 1
    s.text(r, 1, "P(shortfall) limit for the recommendation", "label")
    s.number(r, 2, float(neg.limit_pct) / 100, "input_pct")
    limit = s.ref(r, 2)
    r += 2
    current = _current(neg)
    rec = {x.offer: x for x in neg.recommended}
    be = {b.offer: b for b in neg.break_even}

    # --- offers side by side ----------------------------------------------------------------
    heads = ["Offer", "Expected list spend", "Expected cost", "Savings vs list", "Cost vs current contract",
             "P(shortfall)", "Exp. shortfall penalty", "Exp. overage premium", "CVaR-95 of cost",
             "Break-even growth / month", "Recommended commitment", "Its expected cost", "Notice deadline"]
    hr = r
    s.headers(hr, 1, heads)
    offers = list(neg.offers.offers)
    first = hr + 1
    cur_row = first if current is not None else None
    rows: dict[str, int] = {}
    for i, o in enumerate(offers):
        rr = first + i
        rows[o.offer] = rr
        s.text(rr, 1, o.offer)
        s.money(rr, 2, o.expected_list_spend)
        s.money(rr, 3, o.expected_cost)
        s.formula(rr, 4, f"=ROUND(B{rr}-C{rr},2)", float(o.savings_vs_list), "calc_money")
        if cur_row is not None:
            s.formula(rr, 5, f"=ROUND(C{rr}-$C${cur_row},2)", float(o.expected_cost - offers[0].expected_cost),
                      "calc_money")
        s.pct(rr, 6, o.p_shortfall)
        s.money(rr, 7, o.expected_shortfall_penalty)
        s.money(rr, 8, o.expected_overage_premium)
        s.money(rr, 9, o.cvar95_cost)
        b = be.get(o.offer)
        if b is not None and b.growth is not None and b.status == "found":
            s.number(rr, 10, b.growth, "pct2")
        else:
            s.text(rr, 10, break_even_text(b))
        s.date(rr, 13, o.notice_deadline)
    last = first + len(offers) - 1
    s.add_table(f"Offers_{n + 1}", hr, 1, heads, last)
    r = last + 2

    # --- the frontier: levels per offer, the recommendation by formula ----------------------
    s.text(r, 1, "Frontier: each offer at other commit levels (same futures). Recommended = the least expected "
                 "cost among the levels within the limit; change the limit cell and it follows.", "note")
    s.merge(r, 1, r, LAST_COL)
    s.row_height(r, 28)
    r += 1
    fheads = ["Offer", "Commitment", "Discount", "Expected cost", "P(shortfall)", "As offered",
              "Within the limit", "Cost if within"]
    fr = r
    s.headers(fr, 1, fheads)
    rr = fr
    spans: dict[str, tuple[int, int]] = {}
    for o in offers:
        pts = sorted((p for p in neg.frontier if p.offer == o.offer), key=lambda p: p.commitment)
        if not pts:
            continue
        lo = rr + 1
        for p in pts:
            rr += 1
            s.text(rr, 1, o.offer)
            s.money(rr, 2, p.commitment)
            s.pct(rr, 3, None if p.discount_pct is None else p.discount_pct / 100)
            s.money(rr, 4, p.expected_cost)
            s.pct(rr, 5, p.p_shortfall)
            s.text(rr, 6, "yes" if p.offered else None)
            within = p.p_shortfall <= float(neg.limit_pct) / 100
            s.formula(rr, 7, f'=IF(E{rr}<={limit},"yes","no")', "yes" if within else "no", "calc_text")
            s.formula(rr, 8, f'=IF(E{rr}<={limit},D{rr},"{OVER}")', float(p.expected_cost) if within else OVER,
                      "calc_money")
        spans[o.offer] = (lo, rr)
    f_last = rr
    s.add_table(f"Frontier_{n + 1}", fr, 1, fheads, max(f_last, fr + 1))
    # the recommendation per offer, beside the offers table (K: its commitment, L: its cost), and the
    # best offer: the least of those costs (the first of equal ones)
    none = NONE_WITHIN
    for o in offers:
        rr = rows[o.offer]
        x = rec.get(o.offer)
        if o.offer not in spans:
            s.text(rr, 11, none)
            continue
        lo, hi = spans[o.offer]
        found = x is not None and x.commitment is not None
        pick = f"MATCH(MIN($H${lo}:$H${hi}),$H${lo}:$H${hi},0)"
        s.formula(rr, 11, f'=IFERROR(INDEX($B${lo}:$B${hi},{pick}),"{none}")',
                  float(x.commitment) if found else none, "calc_money")
        s.formula(rr, 12, f'=IFERROR(INDEX($D${lo}:$D${hi},{pick}),"{NONE}")',
                  float(x.expected_cost) if found else NONE, "calc_money")
    r = max(f_last, fr + 1) + 2
    best = next((x for x in neg.recommended if x.best), None)
    lcol = f"$L${first}:$L${last}"
    s.text(r, 1, "Best offer: the least expected cost at its recommended level", "label")
    s.formula(r, 2, f'=IFERROR(INDEX($A${first}:$A${last},MATCH(MIN({lcol}),{lcol},0)),"{none}")',
              best.offer if best is not None else none, "calc_text")
    s.text(r + 1, 1, "Its expected cost", "label")
    s.formula(r + 1, 2, f'=IF(COUNT({lcol})=0,"{NONE}",MIN({lcol}))',
              float(best.expected_cost) if best is not None else NONE, "calc_money")
    r += 3

    # --- priced asks of the selected offer ---------------------------------------------------
    sel = neg.selected
    base = rows.get(sel)
    s.text(r, 1, f"Priced asks for {sel}: each clause change valued on the same futures (the list to take "
                 "into the call). Change = with the ask minus the offer as it stands.", "note")
    s.merge(r, 1, r, LAST_COL)
    s.row_height(r, 28)
    r += 1
    aheads = ["Ask", "Rank", "Expected cost with it", "Change in expected cost", "P(shortfall) with it",
              "Change in P(shortfall)", "What it means"]
    ar = r
    s.headers(ar, 1, aheads)
    rr = ar
    sel_result = next(o for o in offers if o.offer == sel) if sel in rows else None
    for x in neg.asks:
        rr += 1
        s.text(rr, 1, x.label)
        s.int(rr, 2, x.rank)
        if x.applicable and base is not None and sel_result is not None:
            s.money(rr, 3, x.expected_cost)
            s.formula(rr, 4, f"=ROUND(C{rr}-$C${base},2)", float(x.delta_cost), "calc_money")
            s.pct(rr, 5, x.p_shortfall)
            s.formula(rr, 6, f"=E{rr}-$F${base}", float(x.p_shortfall) - float(sel_result.p_shortfall), "calc_pct")
            s.text(rr, 7, x.detail, "text_free")
        else:
            s.text(rr, 7, f"Does not apply: {x.detail}", "text_free")
    a_last = max(rr, ar + 1)
    if rr == ar:
        s.text(ar + 1, 1, "no asks priced", "note")
    s.add_table(f"Asks_{n + 1}", ar, 1, aheads, a_last)
    s.fill_rule(f"D{ar + 1}:D{a_last}", f"D{ar + 1}<0", palette.BLUISH_GREEN)
    s.fill_rule(f"D{ar + 1}:D{a_last}", f"D{ar + 1}>0", palette.VERMILLION)
    r = a_last + 2

    # --- per period of the selected offer ---------------------------------------------------
    if sel_result is not None:
        s.text(r, 1, f"Per commit period: {sel}", "label")
        r += 1
        pheads = ["Starts", "Ends", "Commitment", "Expected list spend", "Expected cost", "Savings vs list",
                  "P(shortfall)", "Exp. shortfall penalty", "Exp. overage premium", "CVaR-95 of cost"]
        pr = r
        s.headers(pr, 1, pheads)
        rr = pr
        for p in sel_result.periods:
            rr += 1
            s.date(rr, 1, p.period_start)
            s.date(rr, 2, p.period_end)
            s.money(rr, 3, p.commitment)
            s.money(rr, 4, p.expected_list_spend)
            s.money(rr, 5, p.expected_cost)
            s.formula(rr, 6, f"=ROUND(D{rr}-E{rr},2)", float(p.savings_vs_list), "calc_money")
            s.pct(rr, 7, p.p_shortfall)
            s.money(rr, 8, p.expected_shortfall_penalty)
            s.money(rr, 9, p.expected_overage_premium)
            s.money(rr, 10, p.cvar95_cost)
        s.add_table(f"Periods_{n + 1}", pr, 1, pheads, max(rr, pr + 1))
        r = max(rr, pr + 1) + 2

    # --- the walk-away ------------------------------------------------------------------------
    w = neg.batna_window
    s.text(r, 1, (f"Walk-away: {neg.vendor}'s token volume of {w[0]:%Y-%m-%d} to {w[1]:%Y-%m-%d} at each "
                  "alternative's contracted prices." if w else "Walk-away: no usage data.")
           + ("" if neg.batna_totals else " No other vendor has token prices on the rate card."), "note")
    s.merge(r, 1, r, LAST_COL)
    s.row_height(r, 28)
    r += 1
    bheads = ["Alternative", f"At {neg.vendor}", "At the alternative", "Difference", "Not priced (at vendor)",
              "Groups priced"]
    br = r
    s.headers(br, 1, bheads)
    rr = br
    for t in neg.batna_totals:
        rr += 1
        s.text(rr, 1, t.alternative)
        s.money(rr, 2, t.current_cost)
        s.money(rr, 3, t.alternative_cost)
        s.formula(rr, 4, f"=ROUND(C{rr}-B{rr},2)", float(t.difference), "calc_money")
        s.money(rr, 5, t.unpriced_cost)
        s.text(rr, 6, f"{t.groups_priced} of {t.groups}")
    if rr == br:
        s.text(br + 1, 1, "no alternative priced", "note")
    s.add_table(f"WalkAway_{n + 1}", br, 1, bheads, max(rr, br + 1))
    r = max(rr, br + 1) + 2

    # --- the frontier chart -----------------------------------------------------------------------
    if spans:
        chart = _frontier_chart(s, neg, spans, current)
        chart.anchor = f"A{r}"
        s.ws.add_chart(chart)
        r += 20
    return r


def _frontier_chart(s: Sheet, neg, spans: dict[str, tuple[int, int]], current: str | None) -> ScatterChart:
    chart = ScatterChart()
    chart.title = f"{neg.vendor}: expected cost against P(shortfall)"
    chart.style = 13
    chart.x_axis.title = "P(shortfall) in any period"
    chart.y_axis.title = f"Expected cost ({neg.currency})"
    chart.x_axis.number_format = "0%"
    chart.y_axis.number_format = "#,##0"
    chart.x_axis.scaling.min = 0
    chart.x_axis.scaling.max = 1
    chart.y_axis.majorGridlines = ChartLines()
    costs = [float(p.expected_cost) for p in neg.frontier]
    if costs:  # the axis starts near the cheapest level, so the curves' shape shows
        step = 10 ** max(0, len(str(int(min(costs)))) - 2)
        chart.y_axis.scaling.min = max(0, int(min(costs) * 0.95) // step * step)
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 10, 22
    colors = offer_colors(list(spans), current)
    for name, (lo, hi) in spans.items():
        xs = Reference(s.ws, min_col=5, min_row=lo, max_row=hi)
        ys = Reference(s.ws, min_col=4, min_row=lo, max_row=hi)
        ser = Series(ys, xs, title=name)
        col = palette.normalize_hex(colors[name])[1:]
        ser.graphicalProperties.line.solidFill = col
        ser.graphicalProperties.line.width = 22000
        ser.marker.symbol = "circle"
        ser.marker.graphicalProperties.solidFill = col
        ser.marker.graphicalProperties.line.solidFill = col
        ser.smooth = False
        chart.series.append(ser)
    chart.legend.position = "b"
    return chart
