"""Offers simulation benchmark (issue 14: 3 offers x 10,000 paths x 36 months in under 1 s).

ours: ``desktop.domain.offers.simulate_offers`` on three offers over the same 36 months (Jan 2027
- Dec 2029): annual minimums with penalty, quarterly minimums with 50 % rollover capped and
credit for shortfalls, monthly minimums over the whole term (fulfilment term) - the draws, the
period list spend in micros, every rule in exact integers, the figures in cents.

baseline: plain numpy on the same draws (PCG64, same seed, month-major): growth factors,
cumulative products, period sums by one matrix product, and per offer and period the float
cost max(S, C) + overage premium with its mean - the least any simulation of these offers does.

negotiation (issue 14 points 4-5): ``negotiation.build_negotiation`` on the same three offers and
spend model without the break-even search - the offers, every frontier level of each offer (11
levels around its expected spend and its own) and the priced asks of the quarterly offer, all
on one set of futures, exact - against plain numpy computing the float cost of the same
variants on the same draws. Break-even: ``negotiation.break_even_growth`` of the three offers
against a plain numpy bisection of the float savings on the same draws (same grid, same bounds).

    python -m bench.bench_offers [--quick]
"""

from __future__ import annotations

import calendar
import sys
from datetime import date
from decimal import Decimal

import numpy as np

from bench import common

PATHS = 10_000
QUICK_PATHS = 2_000
AS_OF = date(2026, 12, 31)


def _quarters(year: int) -> list[tuple[date, date]]:
    ends = [(3, 31), (6, 30), (9, 30), (12, 31)]
    return [(date(year, 3 * i + 1, 1), date(year, m, d)) for i, (m, d) in enumerate(ends)]


def offers():
    from desktop.domain.offers import Offer, OfferPeriod

    years = (2027, 2028, 2029)
    annual = Offer("annual", "OpenAI", tuple(
        OfferPeriod(date(y, 1, 1), date(y, 12, 31), Decimal(110_000), discount_pct=20.0, overage_multiplier=1.1)
        for y in years))
    quarterly = Offer("quarterly", "OpenAI", tuple(
        OfferPeriod(s, e, Decimal(28_000), discount_pct=18.0, overage_multiplier=1.05, rollover_pct=50.0)
        for y in years for s, e in _quarters(y)), rollover_cap=Decimal(10_000), rollover_expiry_periods=2,
        shortfall_treatment="credit")
    monthly = Offer("term", "OpenAI", tuple(
        OfferPeriod(date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1]), Decimal(9_000), discount_pct=15.0)
        for y in years for m in range(1, 13)), fulfilment="term")
    return [annual, quarterly, monthly]


def bench_simulation(paths: int, repeat: int) -> list[dict]:
    from desktop.domain.offers import SpendModel, month_weights, simulate_offers

    model = SpendModel(Decimal(10_000), 0.01, 0.03, paths=paths, seed=20261122)
    offs = offers()
    months = 37  # the as-of month and the 36 months of the term
    spans = sorted({(p.start, p.end) for o in offs for p in o.periods})
    weights = np.stack([month_weights(AS_OF, s, e, months) for s, e in spans], axis=1)
    col = {s: j for j, s in enumerate(spans)}
    plans = [([col[(p.start, p.end)] for p in o.periods],
              np.array([float(p.commitment) for p in o.periods]),
              np.array([1 - p.discount_pct / 100 for p in o.periods]),
              np.array([p.overage_multiplier for p in o.periods])) for o in offs]

    def baseline():
        rng = np.random.default_rng(model.seed)
        draws = rng.standard_normal(size=(months - 1, paths)).T
        factors = np.ones((paths, months))
        factors[:, 1:] = np.cumprod(np.maximum(1.0 + model.growth + model.growth_sd * draws, 0.0), axis=1)
        lst = 10_000.0 * (factors @ weights)
        out = []
        for idx, c, keep, mult in plans:
            s = lst[:, idx] * keep
            out.append((np.maximum(s, c) + np.maximum(s - c, 0) * (mult - 1)).sum(axis=1).mean())
        return out

    def ours():
        return simulate_offers(offs, model, AS_OF)

    ours()  # warm: lazy imports would otherwise count once
    return [common.measure("offers_simulation_3x36m", paths, ours, "numpy_same_draws", baseline, repeat=repeat,
                           offers=len(offs), months=36)]


def _float_plan(offs, weights, col):
    return [([col[(p.start, p.end)] for p in o.periods],
             np.array([float(p.commitment) for p in o.periods]),
             np.array([1 - p.discount_pct / 100 for p in o.periods]),
             np.array([p.overage_multiplier for p in o.periods])) for o in offs]


def _float_costs(lst: np.ndarray, plans) -> list[float]:
    out = []
    for idx, c, keep, mult in plans:
        s = lst[:, idx] * keep
        out.append(float((np.maximum(s, c) + np.maximum(s - c, 0) * (mult - 1)).sum(axis=1).mean()))
    return out


def bench_negotiation(paths: int, repeat: int) -> list[dict]:
    from desktop.domain import negotiation as neg
    from desktop.domain.offers import SpendModel, month_weights
    from desktop.domain.settings import Settings

    spend = (Decimal(10_000), 0.01, 0.03)
    model = SpendModel(*spend, paths=paths, seed=20261122)
    offs = offers()
    months = 37

    def ours():
        return neg.build_negotiation(None, offs, vendor="OpenAI", settings=Settings(), as_of=AS_OF, spend=spend,
                                     paths=paths, seed=model.seed, selected="quarterly", break_even=False)

    first = ours()  # warm; and the variants the baseline prices: every frontier level and applicable ask
    by_name = {o.name: o for o in offs}
    variants = [neg.with_level(by_name[p.offer], p.commitment, p.discount_pct) for p in first.frontier]
    quarterly = by_name["quarterly"]
    variants += [v for k, v, _ in neg._ask_variants(quarterly, None) if v is not None]
    spans = sorted({(p.start, p.end) for o in variants for p in o.periods})
    weights = np.stack([month_weights(AS_OF, s, e, months) for s, e in spans], axis=1)
    plans = _float_plan(variants, weights, {s: j for j, s in enumerate(spans)})

    def baseline():
        rng = np.random.default_rng(model.seed)
        draws = rng.standard_normal(size=(months - 1, paths)).T
        factors = np.ones((paths, months))
        factors[:, 1:] = np.cumprod(np.maximum(1.0 + model.growth + model.growth_sd * draws, 0.0), axis=1)
        return _float_costs(10_000.0 * (factors @ weights), plans)

    lines = [common.measure("negotiation_frontier_asks_3x36m", paths, ours, "numpy_same_draws", baseline,
                            repeat=repeat, offers=len(offs), variants=len(variants), months=36)]

    def ours_be():
        return [neg.break_even_growth(o, spend[0], spend[1], spend[2], paths, model.seed, AS_OF) for o in offs]

    one = {o.name: _float_plan([o], weights, {s: j for j, s in enumerate(spans)}) for o in offs}

    def baseline_be():
        rng = np.random.default_rng(model.seed)
        draws = rng.standard_normal(size=(months - 1, paths)).T
        out = []
        for o in offs:
            def saves(i, o=o):
                factors = np.ones((paths, months))
                factors[:, 1:] = np.cumprod(np.maximum(1.0 + i * 1e-4 + model.growth_sd * draws, 0.0), axis=1)
                lst = 10_000.0 * (factors @ weights)
                idx = one[o.name][0][0]
                return lst[:, idx].sum(axis=1).mean() - _float_costs(lst, one[o.name])[0] >= 0
            lo, hi = neg.GROWTH_BOUNDS[0], round(spend[1] / 1e-4)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (lo, mid) if saves(mid) else (mid, hi)
            out.append(hi)
        return out

    lines.append(common.measure("negotiation_break_even_3x36m", paths, ours_be, "numpy_bisection_same_draws",
                                baseline_be, repeat=max(1, repeat // 2), offers=len(offs), months=36))
    return lines


def run(sizes: list[int], quick: bool):
    """``sizes`` is not used (the size is paths: 10,000; quick: 2,000)."""
    paths = QUICK_PATHS if quick else PATHS
    return common.run_parts((("offers_simulation", lambda: bench_simulation(paths, 1 if quick else 5)),
                             ("negotiation", lambda: bench_negotiation(paths, 1 if quick else 3))))


if __name__ == "__main__":
    for line in run([], "--quick" in sys.argv):
        common.emit(line)
