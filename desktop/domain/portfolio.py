"""Portfolio figures: the totals across contracts and invoices that the Overview tiles, the
brief's Summary, its narrative and the text report show. Computed here once; every view reads
``portfolio(analysis)`` (docs/domain.md "Portfolio figures").

Each total is a sum of figures already rounded to cents (no new rounding point). ``pacing`` is
consumed / expected over all contracts, shown only beside the per-contract pacing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from desktop.domain.results import Analysis

_ZERO = Decimal("0.00")


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


def portfolio(analysis: Analysis) -> Portfolio:
    cs, inv = analysis.contracts, analysis.invoices

    def total(values) -> Decimal:
        return sum(values, _ZERO)

    consumed = total(c.consumed_to_date for c in cs)
    expected = total(c.expected_to_date for c in cs)
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
    )
