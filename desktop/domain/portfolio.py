"""Portfolio figures: the totals across contracts and invoices that the Overview tiles, the
brief's Summary, its narrative and the text report show. Computed here once; every view reads
``portfolio(analysis)`` (docs/domain.md "Portfolio figures").

Each total is a sum of figures already rounded to cents (no new rounding point). ``pacing`` is
consumed / expected over all contracts, shown only beside the per-contract pacing.

Incurred vs avoidable (``contract_stake``): a period whose term has ended (it has an
``outcome``) has its shortfall penalty owed and its overage premium paid: incurred. A period
still running or not yet started carries a projected penalty / premium that acting can still
avoid. A contract's shortfall exposure = incurred + avoidable shortfall (likewise its premium).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from desktop.domain.results import Analysis, ContractResult

_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class ContractStake:
    """A contract's shortfall penalty and overage premium split by whether its period ended."""

    shortfall_incurred: Decimal  # penalties of ended periods (owed)
    shortfall_avoidable: Decimal  # projected penalties of running / future periods
    premium_incurred: Decimal  # overage premium of ended periods (paid)
    premium_avoidable: Decimal  # projected overage premium of running / future periods


def contract_stake(c: ContractResult) -> ContractStake:
    ended = [p for p in c.periods if p.outcome is not None]
    live = [p for p in c.periods if p.outcome is None]
    if not c.periods:  # a contract without period rows: its own figures, ended when it has an outcome
        pen, prem = c.shortfall_exposure, c.overage_premium
        if c.outcome is not None:
            return ContractStake(pen, _ZERO, prem, _ZERO)
        return ContractStake(_ZERO, pen, _ZERO, prem)
    return ContractStake(
        shortfall_incurred=sum((p.shortfall_penalty for p in ended), _ZERO),
        shortfall_avoidable=sum((p.shortfall_penalty for p in live), _ZERO),
        premium_incurred=sum((p.overage_premium for p in ended), _ZERO),
        premium_avoidable=sum((p.overage_premium for p in live), _ZERO),
    )


@dataclass(frozen=True)
class Portfolio:
    contracts: int
    commitment: Decimal
    consumed: Decimal
    expected: Decimal
    pacing: float | None  # consumed / expected, None when nothing is expected yet
    projected: Decimal
    shortfall_exposure: Decimal
    contracts_with_penalty: int
    overage: Decimal
    overage_premium: Decimal
    invoices: int
    invoiced: Decimal
    invoice_variance: Decimal
    premium_leakage: Decimal
    flagged_lines: int
    budget_lines: int
    # incurred (ended periods) vs still avoidable (running / future periods), contract_stake summed
    shortfall_incurred: Decimal = _ZERO
    shortfall_avoidable: Decimal = _ZERO
    premium_incurred: Decimal = _ZERO
    premium_avoidable: Decimal = _ZERO


def portfolio(analysis: Analysis) -> Portfolio:
    cs, inv = analysis.contracts, analysis.invoices

    def total(values) -> Decimal:
        return sum(values, _ZERO)

    consumed = total(c.consumed_to_date for c in cs)
    expected = total(c.expected_to_date for c in cs)
    stakes = [contract_stake(c) for c in cs]
    return Portfolio(
        contracts=len(cs),
        commitment=total(c.commitment for c in cs),
        consumed=consumed,
        expected=expected,
        pacing=float(consumed / expected) if expected else None,
        projected=total(c.projected_consumption for c in cs),
        shortfall_exposure=total(c.shortfall_exposure for c in cs),
        contracts_with_penalty=sum(1 for c in cs if c.shortfall_exposure > 0),
        overage=total(c.overage for c in cs),
        overage_premium=total(c.overage_premium for c in cs),
        invoices=len(inv),
        invoiced=total(i.invoiced for i in inv),
        invoice_variance=total(i.variance for i in inv),
        premium_leakage=total(i.premium_leakage for i in inv),
        flagged_lines=sum(len(i.flags) for i in inv),
        budget_lines=len(analysis.budgets),
        shortfall_incurred=total(s.shortfall_incurred for s in stakes),
        shortfall_avoidable=total(s.shortfall_avoidable for s in stakes),
        premium_incurred=total(s.premium_incurred for s in stakes),
        premium_avoidable=total(s.premium_avoidable for s in stakes),
    )
