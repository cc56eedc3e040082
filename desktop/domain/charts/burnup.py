"""Burn-up: one contract's cumulative eligible consumption day by day against its linear
expected line.

``burn_up_days`` is the one derivation of the daily burn-up (exact int64 micros per day, the
exact expected line, the anchor of the run-rate projection); the chart ``burn_up`` below and the
Excel brief's Data sheet (desktop.brief.data) both read it. ``contract_rows`` decides which
usage rows make up the burn-up (and the exposure chart's periods); ``burn_up_point_rows`` which
of them stand behind one day's point.

Decisions (docs/domain.md is silent on charts):

* Forecast cone. The expected forecast continues the cumulative consumption at T with the
  contract's run rate (the exposure method of docs/domain.md), so it ends at
  projected_consumption. ``low`` and ``surge`` use run_rate -/+ sigma, where sigma is the sample
  standard deviation (n - 1) of the daily eligible spend in the same trailing window as the run
  rate (days T-13..T inside the term, a day without usage counting as 0); low is floored at 0.
  It reads as "a sustained one-standard-deviation shift of the daily level", a scenario
  range, not a confidence interval; with fewer than two window days sigma is 0.
* Bands are the five pacing bands of the settings applied to the cumulative expected line (the
  contract pacing ratio is cumulative consumed / cumulative expected): a point lies in band b
  when consumed / expected falls in b's range. shortfall_risk runs down to 0 and overage_risk
  up to the top of the plotted data.
* Commitment steps: for period p the step is the cumulative level the consumption must reach by
  end_p to meet C'_p = C_p + carry_in_p, i.e. (sum of projected_q for q < p) + C'_p. For the
  first period that is C_1; with no carry and every period met it is the running sum of
  commitments.
* Without usage rows (an Analysis that carries none) only the contract figures are known: no
  daily consumption is drawn and the projection starts from the contract's consumed_to_date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import contracts as contracts_mod
from desktop.domain import palette
from desktop.domain.charts.common import (
    contract_of,
    day_axis,
    day_offsets,
    settings_of,
    short_range,
    sum_micros_by,
)
from desktop.domain.charts.model import (
    DAY,
    Band,
    ChartData,
    Marker,
    RefIndex,
    Series,
    epoch_seconds,
    fmt_money,
)
from desktop.domain.money import cents, micros_to_cents
from desktop.domain.results import Analysis, ContractResult
from desktop.domain.usage_index import UsageIndex, as_index
from desktop.domain.vocabulary import BANDS


def contract_rows(usage: pd.DataFrame | UsageIndex | None, c: ContractResult) -> pd.DataFrame:
    """The usage rows behind contract c's consumption: the rows drawing down c dated inside one
    of its periods (contracts.contract_rows, per period). Empty without usage rows."""
    if usage is None or (isinstance(usage, pd.DataFrame) and ("_contract" not in usage.columns or usage.empty)):
        return pd.DataFrame({"date": pd.Series([], dtype="datetime64[ns]"), "cost": pd.Series([], dtype="int64"),
                             "_file": pd.Series([], dtype="string"), "_row": pd.Series([], dtype="int64")})
    ix = as_index(usage)
    parts = [contracts_mod.contract_rows(ix, c.contract_id, p.period_start, p.period_end) for p in c.periods]
    pos = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    return ix.frame.iloc[pos]


@dataclass(frozen=True, eq=False)
class BurnUpDays:
    """The daily burn-up of one contract over its term (day i is term_start + i), exact.

    ``daily`` holds the eligible micros of each day up to min(as_of, term_end) (``n_obs`` days;
    0 after them, and ``n_obs`` is 0 without usage rows). ``expected`` is the linear burn line
    summed over the periods, C_p x elapsed_p(i) / days_p, unrounded. The run-rate projection
    starts at ``anchor`` (the cumulative consumption on as_of in cents; 0 before the term; the
    contract's consumed_to_date without usage rows; None once the term has ended before as_of)
    on day ``anchor_day`` (-1: the day before the term) and adds run_rate per day."""

    contract: ContractResult
    as_of: date
    known: bool  # usage rows were available
    rows: pd.DataFrame  # contract_rows
    offsets: np.ndarray  # term day of each row
    daily: np.ndarray  # int64 micros per term day
    n_obs: int
    expected: tuple[Decimal, ...]
    anchor: Decimal | None
    anchor_day: int

    @property
    def n(self) -> int:
        return len(self.daily)

    @property
    def cum(self) -> np.ndarray:
        """Cumulative micros per term day (exact int64)."""
        return np.cumsum(self.daily)

    def projected(self, i: int) -> Decimal | None:
        """The run-rate projection on term day i (from the as-of day on), in cents."""
        if self.anchor is None or i < self.anchor_day:
            return None
        return cents(self.anchor + self.contract.run_rate * (i - self.anchor_day))


def burn_up_days(c: ContractResult, as_of: date, usage: pd.DataFrame | UsageIndex | None) -> BurnUpDays:
    """The one daily burn-up of contract c as of ``as_of`` over the usage rows (the prepared
    frame or its index; see BurnUpDays)."""
    start, end = c.term_start, c.term_end
    n = (end - start).days + 1
    frame = usage.frame if isinstance(usage, UsageIndex) else usage
    known = frame is not None and "_contract" in getattr(frame, "columns", ())
    rows = contract_rows(usage if known else None, c)
    off = day_offsets(rows, start)
    n_obs = max(0, (min(as_of, end) - start).days + 1) if known else 0
    keep = off < n_obs
    daily = sum_micros_by(off[keep], rows["cost"].to_numpy(np.int64)[keep], n)
    # expected: the periods already over by day i add C_p; the period running on day i adds
    # C_p x elapsed / days_p
    done = [Decimal(0)] * (n + 1)
    running = [Decimal(0)] * n
    for p in c.periods:
        p_off = (p.period_start - start).days
        p_days = (p.period_end - p.period_start).days + 1
        for i in range(max(p_off, 0), min(p_off + p_days - 1, n)):
            running[i] += p.commitment * (i - p_off + 1) / p_days
        last = p_off + p_days - 1  # elapsed = days_p from here on
        if 0 <= last < n:
            done[last] += p.commitment
        elif last < 0:
            done[0] += p.commitment
    expected = []
    acc = Decimal(0)
    for i in range(n):
        acc += done[i]
        expected.append(acc + running[i])
    anchor_day = max((as_of - start).days, -1)
    if as_of > end:
        anchor = None
    elif as_of < start:
        anchor = Decimal("0.00")
    elif not known:
        anchor = c.consumed_to_date
    else:
        anchor = micros_to_cents(int(daily[: anchor_day + 1].sum()))
    return BurnUpDays(c, as_of, known, rows, off, daily, n_obs, tuple(expected), anchor, anchor_day)


def burn_up_point_rows(bu: BurnUpDays) -> RefIndex:
    """The source rows behind each drawn burn-up point: the contract's rows of that day."""
    return RefIndex.from_frame(bu.rows, bu.offsets, bu.n_obs)


def burn_up(analysis: Analysis, contract_id: str) -> ChartData:
    """Cumulative eligible consumption of one contract against its linear expected line, the
    pacing bands, the commitment steps (with carry), the forecast cone and the as-of marker."""
    c = contract_of(analysis, contract_id)
    st = settings_of(analysis)
    T = analysis.as_of
    start, end = c.term_start, c.term_end
    bu = burn_up_days(c, T, analysis.index if analysis.index is not None else analysis.usage)
    n_term, n_obs, daily = bu.n, bu.n_obs, bu.daily
    x_term = day_axis(start, n_term)
    cum = bu.cum / 1e6
    expected = np.asarray([float(e) for e in bu.expected], dtype=np.float64)

    series: list[Series] = []
    obs_refs = burn_up_point_rows(bu)
    daily_notes = tuple(f"that day {fmt_money(v / 1e6)}" for v in daily[:n_obs])
    series.append(Series("consumed", "Consumed (cumulative)", x_term[:n_obs], cum[:n_obs].copy(),
                         palette.ROLE_COLORS["actual"], "line", refs=obs_refs, notes=daily_notes))
    series.append(Series("expected", "Expected (linear)", x_term, expected,
                         palette.ROLE_COLORS["expected"], "dash"))

    # commitment steps including carry: cumulative levels, each period's minimum on top of what
    # the earlier periods consumed (projected for periods not ended), since a period's overage
    # does not count toward the next one
    step_x: list[float] = []
    step_y: list[float] = []
    step_notes: list[str] = []
    base = Decimal(0)
    total = sum((p.commitment for p in c.periods), Decimal(0))
    markers: list[Marker] = []
    periods: list[tuple[float, float, str, str]] = []  # the period strip above the plot
    above: list[str] = []
    for k, p in enumerate(c.periods, start=1):
        level = base + p.commitment + p.carry_in
        note = f"P{k}: {fmt_money(float(p.commitment))}"
        if p.carry_in:
            note += f" + carry {fmt_money(float(p.carry_in))}"
        if base:
            note += (f" on top of {fmt_money(float(base))} consumed in P1" + (f"–P{k - 1}" if k > 2 else "")
                     + f" (cumulative {fmt_money(float(level))})")
        if level > total:
            note += f"; above the {fmt_money(float(total))} contract total: earlier overage does not count toward P{k}"
            above.append(f"P{k}")
        step_x += [epoch_seconds(p.period_start), epoch_seconds(p.period_end)]
        step_y += [float(level), float(level)]
        step_notes += [note, note]
        base += p.projected
        label = f"P{k} {short_range(p.period_start, p.period_end)} · {fmt_money(float(p.commitment))}"
        if p.carry_in:
            label += f" + carry {fmt_money(float(p.carry_in))}"
        markers.append(Marker(epoch_seconds(p.period_start), label, palette.GREY, "boundary",
                              f"P{k} · {fmt_money(float(p.commitment))}"))
        periods.append((epoch_seconds(p.period_start), epoch_seconds(p.period_end) + DAY, label,
                        f"P{k} · {fmt_money(float(p.commitment))}"))
    markers.append(Marker(epoch_seconds(end) + DAY, f"Term end {end:%b} {end.day} {end.year}", palette.GREY,
                          "term_end", "Term end"))
    series.append(Series("commitment", "Commitment to meet (cumulative, incl. carry)", np.asarray(step_x),
                         np.asarray(step_y), palette.ROLE_COLORS["commitment"], "step",
                         notes=tuple(step_notes), connect="pairs",
                         lo=np.asarray(step_x[0::2]).repeat(2),
                         hi=(np.asarray(step_x[1::2]) + DAY).repeat(2)))
    caption = ""
    if above:
        caption = (f"Commitment steps are cumulative; {', '.join(above)} ends above the {fmt_money(float(total))} "
                   f"contract total because earlier overage does not count toward "
                   f"{above[0] if len(above) == 1 else 'those periods'}.")

    # forecast cone
    rate = float(c.run_rate)
    sigma = 0.0
    window = 0
    if T >= start:
        w_end = n_obs  # exclusive
        window = min(st.run_rate_days, n_obs)
        w = daily[w_end - window:w_end] / 1e6
        sigma = float(np.std(w, ddof=1)) if window >= 2 else 0.0
    low_rate, surge_rate = max(0.0, rate - sigma), rate + sigma
    if T < end and bu.anchor is not None:
        a_off = bu.anchor_day
        anchor = float(bu.anchor)
        fx = epoch_seconds(start) + DAY * np.arange(a_off, n_term, dtype=np.float64)
        k = np.arange(0, n_term - a_off, dtype=np.float64)
        series.append(Series("forecast", "Forecast (run rate)", fx, anchor + rate * k,
                             palette.ROLE_COLORS["forecast"], "dash"))
        series.append(Series("forecast_low", "Forecast low", fx, anchor + low_rate * k,
                             palette.ROLE_COLORS["forecast"], "line", legend=False))
        series.append(Series("forecast_surge", "Forecast surge", fx, anchor + surge_rate * k,
                             palette.ROLE_COLORS["forecast"], "line", fill_to="forecast_low",
                             legend_label="Forecast cone (run rate ± σ)"))
    markers.append(Marker(epoch_seconds(T), f"As of {T.isoformat()}", palette.ROLE_COLORS["as_of"], "as_of"))

    # pacing bands around the expected line
    k_edges = [0.0, st.band_shortfall_risk_below, st.band_shortfall_watch_below,
               st.band_on_pace_max, st.band_overage_watch_max]
    names = tuple(BANDS)
    labels = (f"Shortfall risk (under {k_edges[1]:.0%})",
              f"Shortfall watch ({k_edges[1]:.0%}–{k_edges[2]:.0%})",
              f"On pace ({k_edges[2]:.0%}–{k_edges[3]:.0%})", f"Overage watch ({k_edges[3]:.0%}–{k_edges[4]:.0%})",
              f"Overage risk (over {k_edges[4]:.0%})")
    # overage_risk has no upper limit; it is shaded as a wedge up to the larger of 1.25 x its
    # lower edge and the highest consumed / expected ratio seen from day 7 on (+5%)
    k_top = k_edges[-1] * 1.25
    if n_obs > 7:
        with np.errstate(divide="ignore", invalid="ignore"):
            r = cum[6:n_obs] / expected[6:n_obs]
        r = r[np.isfinite(r)]
        if r.size:
            k_top = max(k_top, float(r.max()) * 1.05)
    bands = []
    for i, (nm, lb) in enumerate(zip(names, labels, strict=True)):
        lower = expected * k_edges[i]
        upper = expected * (k_edges[i + 1] if i + 1 < len(k_edges) else k_top)
        bands.append(Band(nm, lb, x_term, lower, upper, palette.BAND_COLORS[nm]))

    ratio = "n/a" if c.pacing_ratio is None else f"{c.pacing_ratio:.0%}"
    band = c.outcome_text or (c.band or "no band").replace("_", " ")  # an ended term: its outcome
    notes = (
        f"Forecast cone: run rate {fmt_money(rate)}/day ± σ {fmt_money(sigma)} "
        f"(sample std of the daily spend over the last {window} day(s) to {T.isoformat()}).",
    )
    return ChartData(
        "burn_up", f"{c.contract_id} · {c.vendor} · pacing {ratio} ({band})", tuple(series),
        "date", "Date", f"Cumulative eligible spend ({analysis.currency})",
        bands=tuple(bands), markers=tuple(markers), currency=analysis.currency, notes=notes,
        extra={"run_rate": rate, "sigma": sigma, "low_rate": low_rate, "surge_rate": surge_rate,
               "window_days": window, "caption": caption, "periods": tuple(periods)},
    )
