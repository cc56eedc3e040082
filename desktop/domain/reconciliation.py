"""Usage to invoice reconciliation and the accrual journal (docs/domain.md "Reconciliation and
accrual"). Computed here once; the brief's Reconciliation sheet only lays it out.

Bridge (all amounts up to the as-of date T, in the reporting currency):

* usage = every usage row dated on or before T (the chargeback journal's total);
* consumed (eligible) = the contracts' consumption to date (the rows drawing down a commitment);
  usage not drawing down a commitment = usage - consumed;
* usage not yet invoiced (the accrual) = the usage rows whose (vendor, calendar month) no invoice
  of that vendor covers (billing period = chargeback.invoice_periods: the lines' period, else
  the month before the invoice date); usage covered by invoices = usage - accrual;
* invoiced (excl. tax) = the invoices' totals; billing difference = invoiced - covered usage
  (over-billing, credits and rounding the Invoices sheet explains invoice by invoice).

Accrual journal (a month-end entry a controller can post): one debit per (cost center, GL
account) of the accrued usage (cost center and GL account resolved as the chargeback journal
does: chargeback.resolve_cost_centers), the exact micros of its rows rounded to cents so that
the debits add up to the accrued rows' exact total rounded half-up (chargeback.allocate_cents,
largest remainder), and one credit to ``ACCRUAL_ACCOUNT`` equal to the sum of the debits, so the entry sums to
zero to the cent. ``accrual_rows`` selects the rows behind the accrual (one selector).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.chargeback import allocate_cents, invoice_periods, resolve_cost_centers
from desktop.domain.money import micros_to_cents
from desktop.domain.months import month_bounds
from desktop.domain.results import Analysis
from desktop.domain.usage_index import UsageIndex, as_index, match_key, match_keys

ACCRUAL_ACCOUNT = "Accrued liabilities: usage not yet invoiced"
_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class JournalLine:
    account: str  # GL account (debits) or ACCRUAL_ACCOUNT (the credit)
    cost_center: str  # "" on the credit line
    debit: Decimal
    credit: Decimal
    memo: str


@dataclass(frozen=True)
class Reconciliation:
    usage: Decimal
    consumed: Decimal
    not_drawing_down: Decimal  # usage - consumed
    accrual: Decimal  # usage not yet invoiced
    covered: Decimal  # usage - accrual
    invoiced: Decimal
    billing_difference: Decimal  # invoiced - covered
    accrued_months: tuple[tuple[str, str], ...]  # (vendor, YYYY-MM) with usage and no invoice
    journal: tuple[JournalLine, ...]

    @property
    def journal_balance(self) -> Decimal:
        return sum((j.debit - j.credit for j in self.journal), _ZERO)


def _usage_to_date(analysis: Analysis) -> tuple[UsageIndex | None, np.ndarray]:
    src = analysis.index if analysis.index is not None else analysis.usage
    if src is None or (isinstance(src, pd.DataFrame) and src.empty):
        return None, np.zeros(0, dtype=np.int64)
    ix = as_index(src)
    if not ix.size:
        return ix, np.zeros(0, dtype=np.int64)
    d = ix.frame["date"].to_numpy("datetime64[D]")
    return ix, np.flatnonzero(d <= np.datetime64(analysis.as_of, "D"))


def _uncovered(analysis: Analysis, frame: pd.DataFrame) -> np.ndarray:
    """Boolean per row of ``frame``: its (vendor, month) is covered by no invoice of the vendor."""
    if frame.empty:
        return np.zeros(0, dtype=bool)
    inputs = analysis.inputs
    periods = invoice_periods(getattr(inputs, "invoices", None) if inputs is not None else None)
    vks = match_keys("vendor", frame["vendor"]) if "vendor" in frame.columns else np.full(len(frame), "", dtype=object)
    months = frame["date"].dt.strftime("%Y-%m").to_numpy(dtype=object)
    out = np.ones(len(frame), dtype=bool)
    pairs = pd.DataFrame({"v": vks, "m": months}).drop_duplicates()
    for v, m in zip(pairs["v"], pairs["m"], strict=True):
        m_start, m_end = month_bounds(m)
        if any(vk == v and s <= m_end and e >= m_start for _, vk, s, e in periods):
            out[(vks == v) & (months == m)] = False
    return out


def accrual_rows(analysis: Analysis) -> np.ndarray:
    """Positions (in the usage table) of the rows behind the accrual: dated on or before T, their
    (vendor, month) covered by no invoice of the vendor."""
    ix, pos = _usage_to_date(analysis)
    if ix is None or not len(pos):
        return pos
    return pos[_uncovered(analysis, ix.frame.iloc[pos])]


def reconciliation(analysis: Analysis) -> Reconciliation:
    ix, pos = _usage_to_date(analysis)
    frame = ix.frame.iloc[pos] if ix is not None else pd.DataFrame(columns=["date", "cost", "vendor"])
    cost = frame["cost"].to_numpy(np.int64) if len(frame) else np.zeros(0, dtype=np.int64)
    usage = micros_to_cents(int(sum(int(x) for x in cost)))
    consumed = sum((c.consumed_to_date for c in analysis.contracts), _ZERO)
    invoiced = sum((i.invoiced for i in analysis.invoices), _ZERO)
    journal: list[JournalLine] = []
    accrued_months: list[tuple[str, str]] = []
    accrual = _ZERO
    if len(frame):
        acc = frame[_uncovered(analysis, frame)]
        if len(acc):
            org = getattr(analysis.inputs, "org_map", None) if analysis.inputs is not None else None
            cc, gl = resolve_cost_centers(acc, org)
            sums: dict[tuple[str, str], int] = {}
            for k_cc, k_gl, c in zip(cc, gl, acc["cost"].to_numpy(np.int64), strict=True):
                sums[(k_gl, k_cc)] = sums.get((k_gl, k_cc), 0) + int(c)
            months = sorted(set(acc["date"].dt.strftime("%Y-%m")))
            memo = f"AI usage not yet invoiced, {months[0]}" + (f"..{months[-1]}" if len(months) > 1 else "")
            keys = sorted(sums, key=lambda k: (k[1] == "unallocated", k[1].casefold(), k[0]))
            # the debits add up to the accrued rows' exact total rounded to the cent
            for (k_gl, k_cc), amount in zip(keys, allocate_cents([sums[k] for k in keys]), strict=True):
                journal.append(JournalLine(k_gl, k_cc, amount, _ZERO, memo))
            accrual = sum((j.debit for j in journal), _ZERO)
            journal.append(JournalLine(ACCRUAL_ACCOUNT, "", _ZERO, accrual, memo))
            seen = pd.DataFrame({"v": acc["vendor"].astype("string").fillna(""),
                                 "m": acc["date"].dt.strftime("%Y-%m")}).drop_duplicates()
            accrued_months = sorted({(str(v), str(m)) for v, m in zip(seen["v"], seen["m"], strict=True)},
                                    key=lambda t: (t[1], match_key("vendor", t[0])))
    covered = usage - accrual
    return Reconciliation(usage=usage, consumed=consumed, not_drawing_down=usage - consumed, accrual=accrual,
                          covered=covered, invoiced=invoiced, billing_difference=invoiced - covered,
                          accrued_months=tuple(accrued_months), journal=tuple(journal))
