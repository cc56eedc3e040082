"""Renewal scenarios (docs/domain.md "Renewal scenarios" and Decisions > "Renewal").

For a commit level K with discount d (percent), over a term of M months with monthly list spend
x_1..x_M (x_t = baseline x (1 + g_1) x ... x (1 + g_t)):

* list spend L = sum x_t (the on-demand cost); discounted consumption S = (1 - d/100) x L;
* S <= K: shortfall K - S; cost = S + (K - S) x shortfall_penalty_pct / 100 (at the usual 100 %
  penalty the whole commitment K is paid);
* S > K: overage S - K; cost = K + (S - K) x overage_multiplier; overage premium
  = (S - K) x (overage_multiplier - 1);
* savings = on-demand cost - cost.

The simulation draws every monthly growth g_t independently from Normal(growth, sd) with numpy's
PCG64 generator seeded with ``settings.renewal_seed`` (the same draws for every K: common random
numbers, so levels compare on the same futures), ``settings.renewal_paths`` paths. Growth factors
(1 + g_t) below 0 are cut to 0. Only the path generation is float64: each path's list spend is
rounded half-to-even to integer micros, and from there every figure is exact rational arithmetic
on integers (fractions.Fraction), averaged over the paths and rounded half-up to cents once. The
same inputs and settings therefore always give the same table, to the cent.

Table rows: expected cost, savings = on_demand_cost - expected_cost (both rounded, so the table
adds up), P(shortfall) = share of paths with S < K, expected shortfall = mean of max(K - S, 0),
expected overage premium. ``least_cost`` marks the K with the least exact expected cost (ties to
the smaller K); ``safe_max`` marks the largest K with P(shortfall) <= the setting
``renewal_max_shortfall_probability`` (none when no level qualifies).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from fractions import Fraction
from itertools import accumulate

import numpy as np
import pandas as pd

from desktop.domain.contracts import _num
from desktop.domain.daily import Daily
from desktop.domain.errors import InputError
from desktop.domain.money import MICROS, cents, from_micros, money_sum, to_micros
from desktop.domain.progress import Progress
from desktop.domain.results import RenewalRow, RenewalScenarioResult
from desktop.domain.settings import Settings
from desktop.domain.tables import empty
from desktop.domain.usage_index import UsageIndex, as_index, match_key

SCENARIOS = ("conservative", "expected", "aggressive")

# default growth table: (monthly growth offset from the estimated expected growth, sd)
_DEFAULT_OFFSETS = {"conservative": (-0.02, 0.01), "expected": (0.0, 0.02), "aggressive": (0.03, 0.03)}
DEFAULT_EXPECTED_GROWTH = 0.02
GROWTH_CLAMP = (-0.05, 0.10)
DEFAULT_TERM_MONTHS = 12
TIER_MULTIPLIERS = (0.6, 0.8, 1.0, 1.2, 1.4)
TIER_DISCOUNT_STEPS = (-4.0, -2.0, 0.0, 2.0, 4.0)
DEFAULT_CENTER_DISCOUNT = 10.0


@dataclass
class RenewalInputs:
    name: str
    vendor: str
    baseline_monthly: Decimal  # list-price spend per month
    growth_scenarios: dict[str, tuple[float, float]] = field(default_factory=dict)  # name -> (g, sd)
    term_months: int = DEFAULT_TERM_MONTHS
    discount_tiers: list[tuple[Decimal, float]] = field(default_factory=list)  # (K, discount %)
    overage_multiplier: float = 1.0
    shortfall_penalty_pct: float = 100.0

    def validate(self) -> None:
        if self.term_months < 1:
            raise InputError("term must be at least one month", column="term_months")
        if self.baseline_monthly < 0:
            raise InputError("baseline monthly spend must not be negative", column="baseline_monthly")
        for name, (g, sd) in self.growth_scenarios.items():
            if not (math.isfinite(g) and math.isfinite(sd)) or sd < 0:
                raise InputError(f"growth scenario {name!r}: growth must be a number and sd >= 0",
                                 column="growth_scenarios")
        for k, d in self.discount_tiers:
            if k < 0:
                raise InputError(f"commit level {k} must not be negative", column="discount_tiers")
            if not (0 <= d < 100):
                raise InputError(f"discount {d} % must be in [0, 100)", column="discount_tiers")
        if not (self.overage_multiplier >= 0):
            raise InputError("overage multiplier must not be negative", column="overage_multiplier")
        if not (self.shortfall_penalty_pct >= 0):
            raise InputError("shortfall penalty % must not be negative", column="shortfall_penalty_pct")


# --- the deterministic single path (replicated by formulas in the Excel brief) --------------------

def _fr(x: float | Decimal | int | str) -> Fraction:
    """Exact rational of a number as written (floats via their shortest spelling)."""
    return Fraction(Decimal(str(x)))


def _cost(s: Fraction, k: Fraction, penalty_pct: Fraction, multiplier: Fraction) -> Fraction:
    if s <= k:
        return s + (k - s) * penalty_pct / 100
    return k + (s - k) * multiplier


def list_spend(ri: RenewalInputs, monthly_growth: float) -> Decimal:
    """sum_{t=1..M} baseline x (1 + g)^t, exactly, rounded to cents."""
    g = _fr(monthly_growth)
    base = _fr(ri.baseline_monthly)
    total = sum((base * (1 + g) ** t for t in range(1, ri.term_months + 1)), Fraction(0))
    return _frac_cents(total)


def cost_for_level(ri: RenewalInputs, level: Decimal, discount: float, monthly_growth: float) -> Decimal:
    """Cost of commit level ``level`` at ``discount`` % when spend grows by exactly
    ``monthly_growth`` every month (no uncertainty). Excel: L = SUM(baseline*(1+g)^t, t=1..M),
    S = L*(1-d/100), cost = IF(S<=K, S+(K-S)*penalty/100, K+(S-K)*multiplier)."""
    g = _fr(monthly_growth)
    base = _fr(ri.baseline_monthly)
    lst = sum((base * (1 + g) ** t for t in range(1, ri.term_months + 1)), Fraction(0))
    s = lst * (1 - _fr(discount) / 100)
    return _frac_cents(_cost(s, _fr(level), _fr(ri.shortfall_penalty_pct), _fr(ri.overage_multiplier)))


def least_cost_on_path(ri: RenewalInputs, monthly_growth: float) -> Decimal | None:
    """The commit level of ``ri.discount_tiers`` (in the order given) whose cost on the expected
    growth path (``cost_for_level``, in cents) is least; of equal costs the first. None without
    levels. The Excel brief's Renewal sheet recommends the same level live, next to its cost
    formulas: ``INDEX(K, MATCH(MIN(cost), cost, 0))``, so editing an input there moves it."""
    best: tuple[Decimal, Decimal] | None = None
    for k, d in ri.discount_tiers:
        cost = cost_for_level(ri, Decimal(k), float(d), monthly_growth)
        if best is None or cost < best[0]:
            best = (cost, cents(Decimal(k)))
    return None if best is None else best[1]


def _frac_cents(x: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 50
        return cents(Decimal(x.numerator) / Decimal(x.denominator))


# --- the simulation ---------------------------------------------------------------------------------

def growth_factors(draws: np.ndarray, growth: float, sd: float) -> np.ndarray:
    """Cumulative growth factors (1 + g_1) ... (1 + g_t) along the last axis, with
    g_t = growth + sd x draw and every factor (1 + g_t) below 0 cut to 0 (float64). Shared by the
    renewal scenarios and the offers simulation (desktop/domain/offers.py)."""
    return np.cumprod(np.maximum(1.0 + growth + sd * draws, 0.0), axis=-1)


def simulate_list_spend_micros(ri: RenewalInputs, growth: float, sd: float, settings: Settings) -> list[int]:
    """List spend over the term per simulated path, in integer micros (see module docstring)."""
    n = int(settings.renewal_paths)
    if n < 1:
        raise InputError("renewal_paths must be at least 1", column="renewal_paths")
    m = int(ri.term_months)
    rng = np.random.default_rng(int(settings.renewal_seed))
    draws = rng.standard_normal(size=(n, m))
    totals = growth_factors(draws, growth, sd).sum(axis=1)
    base = float(to_micros(ri.baseline_monthly))
    micros = np.rint(base * totals)
    return [int(v) for v in micros.tolist()]


def run_renewal(ri: RenewalInputs, settings: Settings, scenario: str = "expected",
                progress: Progress | None = None) -> RenewalScenarioResult:
    """The scenario table of one growth scenario (default ``expected``)."""
    ri.validate()
    if scenario not in ri.growth_scenarios:
        raise InputError(f"unknown growth scenario {scenario!r}", column="growth_scenarios")
    growth, sd = ri.growth_scenarios[scenario]
    paths = simulate_list_spend_micros(ri, growth, sd, settings)
    n = len(paths)
    if progress is not None:
        progress.step(0.2, f"Renewal {ri.vendor}: {n} paths simulated")
    pen = _fr(ri.shortfall_penalty_pct)
    mult = _fr(ri.overage_multiplier)
    lst_sum = sum(paths)
    ordered = sorted(paths)
    prefix = [0, *accumulate(ordered)]
    on_demand = _frac_cents(Fraction(lst_sum, n * MICROS))
    tiers = sorted(((Decimal(k), float(d)) for k, d in ri.discount_tiers), key=lambda t: t[0])
    exact_costs: list[Fraction] = []
    rows: list[RenewalRow] = []
    for i, (k, d) in enumerate(tiers):
        # S = lm x p/q per path; with the paths sorted, the paths at or under K are a prefix
        keep = 1 - _fr(d) / 100
        p, q = keep.numerator, keep.denominator
        kq = to_micros(k) * q
        n_le = bisect_right(ordered, kq // p)  # lm x p <= K x q
        n_short = bisect_left(ordered, -(-kq // p))  # lm x p < K x q
        sum_le = prefix[n_le]
        n_gt = n - n_le
        short_sum = Fraction(n_le * kq - sum_le * p, q)
        over_sum = Fraction((lst_sum - sum_le) * p - n_gt * kq, q)
        cost_sum = (Fraction(sum_le * p, q) + short_sum * pen / 100
                    + Fraction(n_gt * kq, q) + over_sum * mult)
        prem_sum = over_sum * (mult - 1)
        exp_cost = cost_sum / (n * MICROS)
        exact_costs.append(exp_cost)
        expected_cost = _frac_cents(exp_cost)
        rows.append(RenewalRow(
            commit_level=cents(k),
            discount_pct=d,
            expected_cost=expected_cost,
            savings=on_demand - expected_cost,
            p_shortfall=n_short / n,
            expected_shortfall=_frac_cents(short_sum / (n * MICROS)),
            expected_overage_premium=_frac_cents(prem_sum / (n * MICROS)),
        ))
        if progress is not None:
            progress.step(0.2 + 0.8 * (i + 1) / max(1, len(tiers)), f"Renewal {ri.vendor}: level {k}")
    least = None
    if rows:
        least = min(range(len(rows)), key=lambda i: (exact_costs[i], rows[i].commit_level))
    safe = None
    for i, r in enumerate(rows):
        if r.p_shortfall <= settings.renewal_max_shortfall_probability:
            safe = i  # rows are in increasing K, so the last qualifying one is the largest
    marked = tuple(RenewalRow(**{**r.__dict__, "least_cost": i == least, "safe_max": i == safe})
                   for i, r in enumerate(rows))
    return RenewalScenarioResult(
        name=f"{ri.name}: {scenario}",
        vendor=ri.vendor,
        baseline_monthly=cents(ri.baseline_monthly),
        growth=float(growth),
        growth_sd=float(sd),
        term_months=int(ri.term_months),
        rows=marked,
        on_demand_cost=on_demand,
        recommended_least_cost=marked[least].commit_level if least is not None else None,
        recommended_safe=marked[safe].commit_level if safe is not None else None,
        overage_multiplier=float(ri.overage_multiplier),
        shortfall_penalty_pct=float(ri.shortfall_penalty_pct),
    )


def run_scenarios(ri: RenewalInputs, settings: Settings,
                  progress: Progress | None = None) -> tuple[RenewalScenarioResult, ...]:
    """One table per growth scenario, conservative / expected / aggressive first, then others."""
    names = [s for s in SCENARIOS if s in ri.growth_scenarios]
    names += sorted(s for s in ri.growth_scenarios if s not in SCENARIOS)
    out = []
    for i, name in enumerate(names):
        if progress is not None:
            progress.step(i / max(1, len(names)), f"Renewal {ri.vendor}: {name}")
        out.append(run_renewal(ri, settings, name))
    return tuple(out)


# --- defaults from the data ---------------------------------------------------------------------------

def _two_significant(x: Decimal) -> Decimal:
    """Round half-up to two significant digits (a commit level an analyst would quote)."""
    if x <= 0:
        return Decimal(0)
    exp = x.adjusted() - 1
    q = Decimal(1).scaleb(exp)
    return (x / q).quantize(Decimal(1), rounding="ROUND_HALF_UP") * q


def default_tiers(center: Decimal, center_discount: float) -> list[tuple[Decimal, float]]:
    """Five levels at 60/80/100/120/140 % of ``center`` (two significant digits) with discounts
    center_discount -4/-2/0/+2/+4 percentage points (kept within 0..90)."""
    out: list[tuple[Decimal, float]] = []
    seen = set()
    for mult, step in zip(TIER_MULTIPLIERS, TIER_DISCOUNT_STEPS, strict=True):
        k = _two_significant(center * Decimal(str(mult)))
        k = Decimal(int(k)) if k == k.to_integral_value() else cents(k)
        if k <= 0 or k in seen:
            continue
        seen.add(k)
        out.append((k, float(min(90.0, max(0.0, center_discount + step)))))
    return out


def eligible_daily(index: UsageIndex, vendor: str) -> Daily:
    """The vendor's commit-eligible spend per day (kept on the usage index)."""
    key = ("renewal_eligible", match_key("vendor", vendor))
    return index.memo(key, lambda: index.daily(index.mask("vendor", vendor) & index.eligible()))


def baseline_window(daily: Daily, as_of: date, days: int) -> tuple[date, date, int] | None:
    """(first day, T, days) of the baseline: the last ``days`` days up to T, starting no earlier
    than the vendor's first eligible spend; None without spend on or before T."""
    before = daily.days[daily.days <= np.datetime64(as_of, "D")]
    if not len(before):
        return None
    first = max(pd.Timestamp(before[0]).date(), as_of - timedelta(days=days - 1))
    return first, as_of, (as_of - first).days + 1


def baseline_rows(index: UsageIndex, vendor: str, as_of: date, days: int) -> np.ndarray:
    """The usage rows behind a renewal scenario's baseline_monthly."""
    win = baseline_window(eligible_daily(index, vendor), as_of, days)
    if win is None:
        return np.zeros(0, dtype=np.int64)
    return index.positions(index.mask("vendor", vendor) & index.eligible() & index.dated(win[0], win[1]))


def estimate_growth(rows: Daily | pd.DataFrame | None, as_of: date, days: int = 90) -> float:
    """Monthly growth from the last ``days`` days vs the ``days`` before them:
    (recent / previous)^(30.4375 / days) - 1, clamped to [-5 %, +10 %]; the default 2 % when the
    data does not cover both windows or either is not positive. ``rows``: a Daily series or
    usage rows (date, cost)."""
    if rows is None or (isinstance(rows, pd.DataFrame) and rows.empty):
        return DEFAULT_EXPECTED_GROWTH
    daily = rows if isinstance(rows, Daily) else Daily(rows["date"].to_numpy(), rows["cost"].to_numpy())
    if not len(daily.days):
        return DEFAULT_EXPECTED_GROWTH
    first = pd.Timestamp(daily.days[0]).date()
    if first > as_of - timedelta(days=2 * days - 1):
        return DEFAULT_EXPECTED_GROWTH
    recent = daily.total(as_of - timedelta(days=days - 1), as_of)
    prev = daily.total(as_of - timedelta(days=2 * days - 1), as_of - timedelta(days=days))
    if recent <= 0 or prev <= 0:
        return DEFAULT_EXPECTED_GROWTH
    g = (recent / prev) ** (30.4375 / days) - 1
    g = min(GROWTH_CLAMP[1], max(GROWTH_CLAMP[0], g))
    return round(g, 4)


def default_renewal_inputs(usage: pd.DataFrame | UsageIndex | None, commitments: pd.DataFrame, as_of: date,
                           settings: Settings) -> list[RenewalInputs]:
    """One RenewalInputs per vendor that has a contract (vendors in name order)."""
    if commitments is None or commitments.empty:
        return []
    days = int(settings.renewal_baseline_days)
    index = as_index(usage if usage is not None else empty("usage"))
    by_vendor: dict[str, pd.DataFrame] = {}
    names: dict[str, str] = {}
    for v, g in commitments.groupby(commitments["vendor"].astype(object).map(lambda v: match_key("vendor", v)), sort=True):
        by_vendor[v] = g
        names[v] = str(g["vendor"].iloc[0])
    out: list[RenewalInputs] = []
    for vkey in sorted(by_vendor, key=lambda k: names[k].casefold()):
        com = by_vendor[vkey]
        daily = eligible_daily(index, names[vkey])
        baseline = Decimal(0)
        win = baseline_window(daily, as_of, days)
        if win is not None:
            # net credits in the window (refunds larger than spend) are no spend to commit to: 0.00
            baseline = max(Decimal(0), cents(from_micros(daily.total(win[0], win[1])) / win[2]
                                             * settings.renewal_days_per_month))
        # the vendor's latest contract: the one whose term ends last
        terms: dict[str, tuple] = {}
        for cid, ps, pe in zip(com["contract_id"].astype(str), com["period_start"], com["period_end"], strict=True):
            lo, hi = terms.get(cid, (ps, pe))
            terms[cid] = (min(lo, ps), max(hi, pe))
        latest_id = max(terms, key=lambda k: (terms[k][1], terms[k][0], k))
        latest = com.loc[(com["contract_id"].astype(str) == latest_id).to_numpy()].sort_values("period_start")
        span = (terms[latest_id][1] - terms[latest_id][0]).days + 1
        term = max(1, round(Decimal(span) / settings.renewal_days_per_month))
        last = latest.iloc[-1]
        expected_g = estimate_growth(daily, as_of, days)
        scenarios = {name: (round(expected_g + off, 4), sd) for name, (off, sd) in _DEFAULT_OFFSETS.items()}
        center = baseline * term
        if center <= 0:
            center = from_micros(money_sum(latest["commitment"]))
        disc = float(last["discount_pct"]) if "discount_pct" in latest.columns else 0.0
        disc = disc if disc > 0 else DEFAULT_CENTER_DISCOUNT
        out.append(RenewalInputs(
            name=f"{names[vkey]} renewal",
            vendor=names[vkey],
            baseline_monthly=baseline,
            growth_scenarios=scenarios,
            term_months=int(term),
            discount_tiers=default_tiers(center, disc),
            # an empty cell means the column's default, as for pacing (contracts._num)
            overage_multiplier=_num(last.get("overage_multiplier"), 1.0),
            shortfall_penalty_pct=_num(last.get("shortfall_penalty_pct"), 100.0),
        ))
    return out


__all__ = [
    "RenewalInputs", "SCENARIOS", "cost_for_level", "default_renewal_inputs", "default_tiers",
    "estimate_growth", "growth_factors", "least_cost_on_path", "list_spend", "run_renewal", "run_scenarios",
    "simulate_list_spend_micros",
]
