"""The deterministic renewal cost on the expected growth path, as the Renewal sheet's formulas
compute it (docs/domain.md "Renewal scenarios"; desktop.domain.renewal is the reference).

Month t = 1..M costs ``baseline x (1 + g)^t`` at list price, so the list spend over the term is
``L = baseline x (1 + g) x ((1 + g)^M - 1) / g`` (``baseline x M`` when g = 0). For commit level
K with discount d: ``S = L x (1 - d)``; cost = ``S + (K - S) x penalty% / 100`` when S <= K, else
``K + (S - K) x overage_multiplier``, rounded half-up to cents; savings = ROUND(L, 2) - cost.
The recommended level is the one of least cost (the first of equal costs), as
desktop.domain.renewal.least_cost_on_path picks it and the sheet's INDEX/MATCH formula does.

The cost and the list spend in cents come from desktop.domain.renewal (exact rational
arithmetic); the unrounded L and S are exact fractions turned into floats, which is what the
sheet's cached values hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from desktop.domain.renewal import RenewalInputs, cost_for_level, least_cost_on_path, list_spend


@dataclass(frozen=True)
class DeterministicRow:
    commit_level: Decimal
    discount_pct: float  # percent, as in RenewalRow
    consumption: float  # S, unrounded
    cost: Decimal
    savings: Decimal


@dataclass(frozen=True)
class Deterministic:
    list_spend: float  # L, unrounded
    list_spend_cents: Decimal
    rows: tuple[DeterministicRow, ...]
    recommended: Decimal | None  # the level of least cost on the expected path


def _fr(x: Any) -> Fraction:
    return Fraction(Decimal(str(x)))


def compute(scenario: Any, overage_multiplier: float, penalty_pct: float) -> Deterministic:
    ri = RenewalInputs(
        name=scenario.name, vendor=scenario.vendor, baseline_monthly=scenario.baseline_monthly,
        term_months=int(scenario.term_months),
        discount_tiers=[(r.commit_level, r.discount_pct) for r in scenario.rows],
        overage_multiplier=overage_multiplier, shortfall_penalty_pct=penalty_pct,
    )
    g = _fr(scenario.growth)
    lst = sum((_fr(scenario.baseline_monthly) * (1 + g) ** t for t in range(1, ri.term_months + 1)),
              Fraction(0))
    lst_cents = list_spend(ri, scenario.growth)
    rows = []
    for r in scenario.rows:
        s = lst * (1 - _fr(r.discount_pct) / 100)
        cost = cost_for_level(ri, r.commit_level, r.discount_pct, scenario.growth)
        rows.append(DeterministicRow(r.commit_level, r.discount_pct, float(s), cost, lst_cents - cost))
    return Deterministic(float(lst), lst_cents, tuple(rows), least_cost_on_path(ri, scenario.growth))
