"""Daily spend: spend per day by team, vendor or model, stacked or as lines, with the anomalies
of that dimension marked and the 7-day average of the total. ``daily_spend_rows`` decides which
usage rows the chart covers (a group's point on day d holds that group's rows of day d);
``anomaly_point_rows`` which rows stand behind an anomaly marker.

Decisions (docs/domain.md is silent on charts): the chart covers every usage row (eligible or
not) dated up to T, zero-filled per day from the first to the last day seen; groups beyond the
seven largest (by total) are merged into "Other" when there are more than eight. The 7-day
average is of the total daily spend over the trailing 7 days including the day (fewer at the
start).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from desktop.domain import palette, provenance
from desktop.domain.charts.common import day_axis, settings_of, sum_micros_by, usage_of
from desktop.domain.charts.model import ChartData, RefIndex, Series, fmt_money
from desktop.domain.errors import InputError
from desktop.domain.results import Analysis, AnomalyResult, SourceRef

DAILY_DIMENSIONS = ("team", "vendor", "model")
# the groups' colours: none of the anomaly markers' (vermillion), the 7-day average's (black) or
# the total line's (dark grey), so one colour means one thing; "Other" last, light grey
GROUP_COLORS = (palette.BLUE, palette.ORANGE, palette.BLUISH_GREEN, palette.REDDISH_PURPLE, palette.SKY_BLUE,
                palette.YELLOW, palette.GREY, palette.LIGHT_GREY)
MAX_GROUPS = 8
NONE_LABEL = "(none)"
OTHER_LABEL = "Other"


def daily_spend_rows(analysis: Analysis, by: str, rows: np.ndarray | None = None) -> pd.DataFrame:
    """The usage rows the daily-spend chart covers: every row (eligible or not) dated up to T
    (only the columns the chart reads: date, ``by``, cost, _file, _row); with ``rows`` (positions
    in the analysed usage rows: the rows a page's filters leave) only those."""
    u = usage_of(analysis)
    u = u[[c for c in dict.fromkeys(("date", by, "cost", "_file", "_row")) if c in u.columns]]
    if rows is not None:
        u = u.iloc[np.sort(np.asarray(rows, dtype=np.int64))]
    d_all = u["date"].to_numpy(dtype="datetime64[D]")
    return u[d_all <= np.datetime64(analysis.as_of, "D")]


def anomaly_point_rows(analysis: Analysis, a: AnomalyResult) -> list[SourceRef]:
    """The rows behind anomaly ``a``'s marker: the rows of its spend, as the anomalies module
    selects them (provenance.figure_rows)."""
    rows = provenance.figure_rows(analysis, "anomaly", f"{a.dimension}|{a.value}|{a.date.isoformat()}", "spend")
    return provenance.refs(analysis, rows)[0]


def daily_spend(analysis: Analysis, by: str = "team", stacked: bool = True,
                rows: np.ndarray | None = None, scope: str = "") -> ChartData:
    """Daily spend per team / vendor / model, stacked or as lines, anomalies marked, and the
    trailing 7-day average of the total. ``rows`` (positions in the analysed usage rows) limits
    the chart to the rows a page's filters leave, ``scope`` says which in the title ("filtered:
    vendor = OpenAI"); an anomaly is then marked only where its group still has spend that day."""
    if by not in DAILY_DIMENSIONS:
        raise InputError(f"daily spend is by team, vendor or model, not {by!r}", column=by)
    T = analysis.as_of
    u = daily_spend_rows(analysis, by, rows)
    suffix = f" · {scope}" if scope else ""
    extra_base = {"by": by, "stacked": stacked, "scope": scope, "rows": None if rows is None else len(rows)}
    if u.empty:
        return ChartData("daily_spend", f"Daily spend by {by}{suffix}", (), "date", "Date",
                         f"Spend per day ({analysis.currency})", currency=analysis.currency,
                         extra={**extra_base, "anomaly_groups": (),
                                "empty_text": "No usage rows match the filters (see the chips above)." if scope else ""})
    dates = u["date"].to_numpy(dtype="datetime64[D]")
    first = dates.min()
    n = int((dates.max() - first).astype(np.int64)) + 1
    start = date.fromisoformat(str(first))
    off = (dates - first).astype(np.int64)
    codes, uniques = pd.factorize(u[by].astype("string").fillna(NONE_LABEL), sort=False)
    micros = u["cost"].to_numpy(np.int64)
    sums = pd.Series(micros).groupby(codes).sum()  # exact int64 per code
    names = [str(v) for v in uniques]
    order = sorted(range(len(names)), key=lambda c: (-int(sums[c]), names[c]))
    if len(order) > MAX_GROUPS:
        keep = order[: MAX_GROUPS - 1]
        labels = [names[c] for c in keep] + [OTHER_LABEL]
        slot = np.full(len(names), MAX_GROUPS - 1, dtype=np.int64)
        slot[keep] = np.arange(MAX_GROUPS - 1)
    else:
        labels = [names[c] for c in order]
        slot = np.empty(len(names), dtype=np.int64)
        slot[order] = np.arange(len(order))
    group_of = {names[c]: labels[slot[c]] for c in range(len(names))}
    gidx = slot[codes]
    fcodes, funiques = pd.factorize(u["_file"].astype("string").fillna(""), sort=False)
    files = tuple(str(f) for f in funiques)
    row_no = u["_row"].to_numpy(dtype=np.int64)
    x = day_axis(start, n)
    base = np.zeros(n)
    total = np.zeros(n, np.int64)
    series: list[Series] = []
    for k, g in enumerate(labels):
        m = gidx == k
        daily = sum_micros_by(off[m], micros[m], n)
        total += daily
        vals = daily / 1e6
        refs = RefIndex.from_codes(fcodes[m], files, row_no[m], off[m], n)
        color = GROUP_COLORS[k % len(GROUP_COLORS)]
        if stacked:
            top = base + vals
            series.append(Series(f"g:{g}", str(g), x, top, color, "area", refs=refs, y0=base.copy()))
            base = top
        else:
            series.append(Series(f"g:{g}", str(g), x, vals, color, "line", refs=refs))
    tot = total / 1e6
    csum = np.concatenate([[0.0], np.cumsum(tot)])
    idx = np.arange(n)
    lo_i = np.maximum(0, idx - 6)
    avg7 = (csum[idx + 1] - csum[lo_i]) / (idx + 1 - lo_i)
    # the total: the top of the stack (drawn there), readout-only for lines
    series.append(Series("total", "Total", x, tot, palette.DARK_GREY, "line", legend=False, draw=stacked))
    # the average of the total belongs with the stack; in lines mode it would flatten the lines
    series.append(Series("avg7", "7-day average (total)", x, avg7, palette.ROLE_COLORS["average"], "dash",
                         draw=stacked))

    # anomalies of this dimension
    an = [a for a in analysis.anomalies if a.dimension == by and a.date <= T]
    if an:
        ax, ay, notes, refs_list, owners = [], [], [], [], []
        drawn = {s.label: s for s in series if s.name.startswith("g:")}
        by_key = {str(g).casefold(): grp_name for g, grp_name in group_of.items()}
        for a in sorted(an, key=lambda a: (a.date, a.value)):
            i = (a.date - start).days
            g = by_key.get(str(a.value).casefold())
            if not 0 <= i < n or g not in drawn:
                continue
            s = drawn[g]
            if rows is not None and not float(s.value[i]) > 0:
                continue  # the filters leave none of the group's spend on that day
            ax.append(x[i])
            ay.append(float(s.y[i]) if stacked else float(a.spend))
            owners.append((s.name, float(a.spend)))
            notes.append(f"{a.value}: {fmt_money(float(a.spend))}, z = {a.z:.1f}")
            refs_list.append(anomaly_point_rows(analysis, a))
        if ax:
            series.append(Series("anomalies", f"Anomaly (z > {settings_of(analysis).anomaly_z:g})",
                                 np.asarray(ax), np.asarray(ay), palette.ROLE_COLORS["anomaly"], "scatter",
                                 refs=RefIndex.from_refs(refs_list), notes=tuple(notes), symbol="t",
                                 readout_value=False))
    return ChartData("daily_spend", f"Daily spend by {by}" + (" (stacked)" if stacked else "") + suffix,
                     tuple(series), "date", "Date", f"Spend per day ({analysis.currency})",
                     currency=analysis.currency,
                     extra={**extra_base, "anomaly_groups": tuple(owners) if an else ()})


def restack(data: ChartData, stacked: bool) -> ChartData:
    """The same daily-spend data stacked or as lines (the stacked/lines switch without
    recomputing from the Analysis)."""
    if data.kind != "daily_spend" or bool(data.extra.get("stacked")) == stacked:
        return data
    out: list[Series] = []
    base: np.ndarray | None = None
    tops: dict[str, np.ndarray] = {}
    for s in data.series:
        if s.name.startswith("g:"):
            vals = s.value
            if stacked:
                b = np.zeros_like(vals) if base is None else base
                top = b + vals
                out.append(replace(s, y=top, y0=b.copy(), style="area"))
                base = top
                tops[s.name] = top
            else:
                out.append(replace(s, y=vals.copy(), y0=None, style="line"))
                tops[s.name] = vals
        elif s.name in ("total", "avg7"):
            out.append(replace(s, draw=stacked))
        elif s.name == "anomalies":
            groups = data.extra.get("anomaly_groups", ())
            ys = []
            for i, (g, spend) in enumerate(groups):
                j = int(np.searchsorted(data.get(g).x, s.x[i]))
                ys.append(float(tops[g][j]) if stacked else spend)
            out.append(replace(s, y=np.asarray(ys, dtype=np.float64)))
        else:
            out.append(s)
    by = data.extra.get("by", "")
    scope = data.extra.get("scope", "")
    return replace(data, series=tuple(out), title=f"Daily spend by {by}" + (" (stacked)" if stacked else "")
                   + (f" · {scope}" if scope else ""),
                   extra={**data.extra, "stacked": stacked})
