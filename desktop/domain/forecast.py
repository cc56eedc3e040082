"""Monthly spend forecast per vendor, checked by a rolling-origin backtest (docs/domain.md
"Negotiation", Forecast).

History: the vendor's commit-eligible daily spend (the usage index's ``eligible_daily``, integer
micros) summed per calendar month from the month of its first spend day to the month of T. What
is fitted is each month's spend per day: its total / the days observed, so a month seen on only
part of its days (the first month, from the first spend day; T's month, up to T) counts at its
daily rate, and months of 28 and 31 days compare. A month observed on fewer than
``MIN_OBSERVED_DAYS`` days is left out (too little to go on). A forecast month's spend is its
daily rate x the days in that month.

Model (on the daily rates y_t): additive damped trend with multiplicative errors (Holt's linear
method with damping, ETS(M,Ad,N)). With level l and trend b after month t-1 the one-step forecast is
f_t = max(l + phi x b, 0); the error e_t = y_t - f_t updates l_t = f_t + alpha x e_t and
b_t = phi x b + beta x e_t. Start: l_0 = y_0, b_0 = (y_m - y_0) / m with m = min(3, n - 1).
h months ahead the mean is l + (phi + phi^2 + ... + phi^h) x b (cut at 0). alpha, beta, phi are
chosen on the grid ``ALPHAS`` x ``BETAS`` x ``PHIS`` by the least sum of squared relative one-step
errors r_t = e_t / f_t (months with f_t = 0 left out) over the fitted months t >= 1; ties go to
the first grid point (alpha, then beta, then phi in the grid's order).

Backtest (rolling origin, one step ahead): for every origin o = ``MIN_TRAIN`` .. n-1 the model
is refitted on months 0..o-1 (grid search included) and forecasts month o: f_o, error y_o - f_o,
relative error r_o = (y_o - f_o) / f_o. WAPE = sum |y_o - f_o| / sum |y_o| over the origins.
Residual sd s = sqrt(mean r_o^2) over the origins (the spread of out-of-sample relative errors,
not a fixed number). The 80 % interval of a one-step forecast is f x (1 -+ z x s), z = the 90 %
normal quantile 1.2815515655446004 (cut at 0); its coverage is checked out of sample: at origin
o the interval uses only the residuals of origins before o (at least ``MIN_RESIDUALS`` of them),
and coverage80 = the share of such origins whose y_o lies inside (ends included). Its sampling
error is about sqrt(0.8 x 0.2 / coverage_n), so the count is reported beside it.

Paths: the fitted model run forward with relative errors r ~ Normal(0, s): per month
f = max(l + phi x b, 0), y = max(f x (1 + s x z), 0), e = y - f, then the updates above. ``z`` are
the caller's standard normal draws (offers.py draws them month-major with PCG64 from the seed, so
every offer sees the same futures). With s = 0 (or no residuals) every path is the mean path.

Overlays (the analyst's scenarios) change each path's monthly spend from a date; a month the
date falls inside counts the share of its days on or after the date (w = days from the date to
the month end / days in month; 1 after, 0 before):
- ``WorkloadLaunch(start, monthly)``: + monthly x w;
- ``ModelMigration(start, model, share_pct, to_model, price_ratio)``: x (1 - w x m x share_pct/100
  x (1 - price_ratio)), m = the model's share of the vendor's eligible spend in the last
  ``renewal_baseline_days`` days up to T, price_ratio = what the moved tokens cost at the new
  model over what they cost at the old one (from the rate card when not given: negotiation.py);
- ``PriceChange(start, pct)``: x (1 + w x pct/100).
Order per month: (spend x migration factors + launches) x price factors (a price change applies
to launched workloads too).
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from desktop.domain.daily import Daily
from desktop.domain.errors import InputError
from desktop.domain.money import MICROS

MIN_OBSERVED_DAYS = 7
MIN_TRAIN = 3  # months the first backtest origin is fitted on
MIN_MONTHS = MIN_TRAIN + 2  # fewer fitted months: no forecast (the analyst gives a baseline)
MIN_RESIDUALS = 3  # earlier out-of-sample residuals an interval needs before coverage counts it
Z80 = 1.2815515655446004  # NormalDist().inv_cdf(0.9)
ALPHAS = (0.1, 0.2, 0.3, 0.5, 0.7, 0.9)
BETAS = (0.0, 0.05, 0.1, 0.2, 0.3)
PHIS = (1.0, 0.98, 0.95, 0.9, 0.8)
METHOD = ("Damped-trend Holt (ETS M,Ad,N) on monthly eligible spend, partial months scaled by days; "
          "alpha, beta, phi by least squared relative one-step error; uncertainty from a rolling-origin "
          "one-step backtest")


def month_start(d: date) -> date:
    return date(d.year, d.month, 1)


def add_months(d: date, k: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + k, 12)
    return date(y, m + 1, 1)


def months_between(a: date, b: date) -> int:
    """Whole calendar months from a's month to b's month."""
    return (b.year - a.year) * 12 + b.month - a.month


def _days_in(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


@dataclass(frozen=True)
class MonthPoint:
    month: date  # first day
    observed_days: int
    total: Decimal  # the eligible spend of the observed days, exact
    value: float  # spend per observed day (what is fitted)

    @property
    def month_value(self) -> float:
        """The month at its daily rate: value x days in the month."""
        return self.value * _days_in(self.month)


def monthly_history(daily: Daily, as_of: date) -> list[MonthPoint]:
    """The months fitted (module docstring): first spend month .. T's month, each at its spend
    per observed day, months observed on fewer than MIN_OBSERVED_DAYS days left out."""
    before = daily.days[daily.days <= np.datetime64(as_of, "D")]
    if not len(before):
        return []
    first = before[0].astype(object)
    out = []
    m = month_start(first)
    while m <= as_of:
        dim = _days_in(m)
        lo = max(m, first)
        hi = min(m + timedelta(days=dim - 1), as_of)
        days = (hi - lo).days + 1
        if days >= MIN_OBSERVED_DAYS:
            micros = daily.total(lo, hi)
            out.append(MonthPoint(m, days, Decimal(micros) / MICROS, micros / MICROS / days))
        m = add_months(m, 1)
    return out


# --- the model ----------------------------------------------------------------------------------------

_GRID = np.array([(a, b, p) for a in ALPHAS for b in BETAS for p in PHIS], dtype=np.float64)


@dataclass(frozen=True)
class Fit:
    alpha: float
    beta: float
    phi: float
    level: float
    trend: float
    sse: float  # sum of squared relative one-step errors in the fit

    def mean(self, h: int) -> float:
        """Mean forecast h >= 1 months after the last fitted month."""
        damp = sum(self.phi ** i for i in range(1, h + 1))
        return max(self.level + damp * self.trend, 0.0)


def fit(y: np.ndarray | list[float]) -> Fit:
    """Grid search of alpha, beta, phi (module docstring), all grid points run at once."""
    y = np.asarray(y, dtype=np.float64)
    n = len(y)
    if n < 2:
        raise InputError("a trend needs at least two months", column="date")
    a, b, p = _GRID[:, 0], _GRID[:, 1], _GRID[:, 2]
    m = min(3, n - 1)
    level = np.full(len(_GRID), y[0])
    trend = np.full(len(_GRID), (y[m] - y[0]) / m)
    sse = np.zeros(len(_GRID))
    for t in range(1, n):
        f = np.maximum(level + p * trend, 0.0)
        e = y[t] - f
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(f > 0, e / np.where(f > 0, f, 1.0), 0.0)
        sse += r * r
        level = f + a * e
        trend = p * trend + b * e
    i = int(np.argmin(sse))  # the first of equal minima
    return Fit(float(a[i]), float(b[i]), float(p[i]), float(level[i]), float(trend[i]), float(sse[i]))


@dataclass(frozen=True)
class Backtest:
    forecasts: tuple[float, ...]  # one-step forecast of each origin's month
    actuals: tuple[float, ...]
    wape: float | None
    residual_sd: float  # sqrt(mean r^2) of the origins' relative errors
    coverage80: float | None
    coverage_n: int  # origins whose interval was checked


def backtest(y: np.ndarray | list[float]) -> Backtest:
    y = np.asarray(y, dtype=np.float64)
    fc, act, rel = [], [], []
    hits = checked = 0
    for o in range(MIN_TRAIN, len(y)):
        f = fit(y[:o]).mean(1)
        if len(rel) >= MIN_RESIDUALS:
            s = math.sqrt(sum(r * r for r in rel) / len(rel))
            lo, hi = max(f * (1 - Z80 * s), 0.0), max(f * (1 + Z80 * s), 0.0)
            checked += 1
            hits += int(lo <= y[o] <= hi)
        fc.append(f)
        act.append(float(y[o]))
        if f > 0:
            rel.append((y[o] - f) / f)
    den = sum(abs(v) for v in act)
    wape = sum(abs(v - f) for v, f in zip(act, fc, strict=True)) / den if den > 0 else None
    sd = math.sqrt(sum(r * r for r in rel) / len(rel)) if rel else 0.0
    return Backtest(tuple(fc), tuple(act), wape, sd, hits / checked if checked else None, checked)


# --- overlays -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkloadLaunch:
    start: date
    monthly: Decimal  # list-price spend added per month
    name: str = "workload launch"


@dataclass(frozen=True)
class ModelMigration:
    start: date
    model: str
    share_pct: float  # of the model's volume that moves
    to_model: str = ""
    price_ratio: float | None = None  # new / old cost of the same tokens; None: from the rate card
    model_share: float | None = None  # the model's share of the vendor's spend (set by negotiation.py)
    name: str = "model migration"


@dataclass(frozen=True)
class PriceChange:
    start: date
    pct: float  # +5 = prices up 5 %
    name: str = "price change"


Overlay = WorkloadLaunch | ModelMigration | PriceChange


def _share_from(start: date, month: date) -> float:
    """Share of ``month``'s days on or after ``start``."""
    dim = _days_in(month)
    last = month + timedelta(days=dim - 1)
    if start <= month:
        return 1.0
    if start > last:
        return 0.0
    return ((last - start).days + 1) / dim


def apply_overlays(spend: np.ndarray, first_month: date, overlays: tuple | list) -> np.ndarray:
    """``spend`` (paths, months) of monthly list spend, column k = first_month + k months: the
    overlays applied (module docstring). Returns a new array."""
    if not overlays:
        return spend
    months = spend.shape[1]
    w = {id(o): np.array([_share_from(o.start, add_months(first_month, k)) for k in range(months)])
         for o in overlays}
    out = spend.astype(np.float64, copy=True)
    for o in overlays:
        if isinstance(o, ModelMigration):
            if o.model_share is None or o.price_ratio is None:
                raise InputError(f"model migration of {o.model!r}: its share of spend and price ratio are not "
                                 "known", column="model")
            out = out * (1.0 - w[id(o)] * o.model_share * o.share_pct / 100 * (1.0 - o.price_ratio))
    for o in overlays:
        if isinstance(o, WorkloadLaunch):
            out = out + w[id(o)] * float(o.monthly)
    for o in overlays:
        if isinstance(o, PriceChange):
            out = out * (1.0 + w[id(o)] * o.pct / 100)
    return np.maximum(out, 0.0)


def validate_overlay(o) -> None:
    if isinstance(o, WorkloadLaunch):
        if not Decimal(o.monthly).is_finite():
            raise InputError("a workload launch needs a monthly amount", column="monthly")
    elif isinstance(o, ModelMigration):
        if not 0 <= o.share_pct <= 100:
            raise InputError("a migration moves between 0 and 100 % of a model's volume", column="share_pct")
        if o.price_ratio is not None and not (math.isfinite(o.price_ratio) and o.price_ratio >= 0):
            raise InputError("a migration's price ratio must be a number >= 0", column="price_ratio")
    elif isinstance(o, PriceChange):
        if not (math.isfinite(o.pct) and o.pct > -100):
            raise InputError("a price change must be above -100 %", column="pct")
    else:
        raise InputError(f"unknown scenario overlay {o!r}", column="overlay")


# --- the forecast -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthlyForecast:
    """A vendor's fitted forecast: the model, its backtest, the months it was fitted on."""

    history: tuple[MonthPoint, ...]
    model: Fit
    check: Backtest

    @property
    def last_month(self) -> date:
        return self.history[-1].month

    @property
    def residual_sd(self) -> float:
        return self.check.residual_sd

    def paths(self, first_month: date, z: np.ndarray) -> np.ndarray:
        """(paths, months) monthly list spend (float, currency units) from ``first_month``
        (column k = first_month + k months) given standard normals z of the same shape: the daily
        rate of each month x its days; a month already fitted is at its fitted rate on every
        path, later months run the model
        forward (module docstring). Months between the last fitted month and ``first_month`` (none
        when first_month is T's month, as the offers use it) run at their mean."""
        n, months = z.shape
        out = np.zeros((n, months), dtype=np.float64)
        fitted = {p.month: p.value for p in self.history}
        ahead = months_between(self.last_month, first_month)  # months from the last fitted month
        level = np.full(n, self.model.level)
        trend = np.full(n, self.model.trend)
        a, b, phi, s = self.model.alpha, self.model.beta, self.model.phi, self.residual_sd
        step = 0  # months run forward so far
        for k in range(months):
            h = ahead + k  # months after the last fitted month
            days = _days_in(add_months(first_month, k))
            if h <= 0:
                out[:, k] = fitted.get(add_months(first_month, k), 0.0) * days
                continue
            while step < h:
                f = np.maximum(level + phi * trend, 0.0)
                zz = z[:, k] if step == h - 1 else np.zeros(n)
                y = np.maximum(f * (1.0 + s * zz), 0.0)
                e = y - f
                level = f + a * e
                trend = phi * trend + b * e
                step += 1
            out[:, k] = y * days
        return out


def fit_forecast(daily: Daily, as_of: date) -> MonthlyForecast | None:
    """The vendor's forecast, or None with fewer than MIN_MONTHS months of history."""
    hist = monthly_history(daily, as_of)
    if len(hist) < MIN_MONTHS:
        return None
    y = np.array([p.value for p in hist])
    return MonthlyForecast(tuple(hist), fit(y), backtest(y))


__all__ = [
    "ALPHAS", "BETAS", "Backtest", "Fit", "METHOD", "MIN_MONTHS", "MIN_OBSERVED_DAYS", "MIN_RESIDUALS",
    "MIN_TRAIN", "ModelMigration", "MonthPoint", "MonthlyForecast", "PHIS", "PriceChange", "WorkloadLaunch",
    "Z80", "add_months", "apply_overlays", "backtest", "fit", "fit_forecast", "month_start", "monthly_history",
    "months_between", "validate_overlay",
]
