"""Month-by-month commit burn per contract (docs/domain.md "Burn by month"), read off the one
daily burn-up derivation (desktop.domain.charts.burnup.burn_up_days) so the table, the charts
and the contract figures agree.

Per calendar month that overlaps the term (clipped to the term): consumed in the month (the
eligible micros of its days up to T, rounded to cents), consumed to date at the month's last day
(or at T for the month containing T; exact micros rounded once), the linear burn line at that
day (expected, summed over the periods), the gap (consumed - expected) and pacing (consumed /
expected), and, from the month containing T on, the run-rate projection at the month's last day
(BurnUpDays.projected). Months after T have no consumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from desktop.domain.charts.burnup import burn_up_days
from desktop.domain.money import cents, micros_to_cents
from desktop.domain.results import Analysis, ContractResult
from desktop.domain.usage_index import UsageIndex


@dataclass(frozen=True)
class MonthBurn:
    contract_id: str
    month: str  # YYYY-MM
    through: date  # the last day the row reads (month end clipped to the term, or T)
    consumed: Decimal | None  # in the month, None after T
    consumed_to_date: Decimal | None  # cumulative at ``through``, None after T
    expected: Decimal  # the burn line at ``through``
    gap: Decimal | None  # consumed_to_date - expected
    pacing: float | None
    projected: Decimal | None  # run-rate projection at the month end, from T's month on
    commitment: Decimal  # the term commitment


def month_burn(c: ContractResult, as_of: date, usage: pd.DataFrame | UsageIndex | None) -> list[MonthBurn]:
    bu = burn_up_days(c, as_of, usage)
    out: list[MonthBurn] = []
    start = c.term_start
    first = start.replace(day=1)
    while first <= c.term_end:
        nxt = (first + timedelta(days=32)).replace(day=1)
        m_start, m_end = max(first, start), min(nxt - timedelta(days=1), c.term_end)
        i0, i1 = (m_start - start).days, (m_end - start).days
        observed = bu.known and m_start <= as_of
        through = min(m_end, as_of) if observed else m_end
        it = (through - start).days
        if observed:
            month = micros_to_cents(int(bu.daily[i0:min(i1, bu.n_obs - 1) + 1].sum()))
            to_date = micros_to_cents(int(bu.daily[:it + 1].sum()))
        else:
            month = to_date = None
        expected = cents(bu.expected[it])
        gap = None if to_date is None else to_date - expected
        pacing = float(to_date / expected) if to_date is not None and expected else None
        projected = bu.projected(i1) if m_end >= as_of else None
        out.append(MonthBurn(c.contract_id, f"{first:%Y-%m}", through, month, to_date, expected, gap, pacing,
                             projected, c.commitment))
        first = nxt
    return out


def burn_table(analysis: Analysis) -> list[MonthBurn]:
    """Every contract's months, contracts in analysis order."""
    src = analysis.index if analysis.index is not None else analysis.usage
    return [m for c in analysis.contracts for m in month_burn(c, analysis.as_of, src)]
