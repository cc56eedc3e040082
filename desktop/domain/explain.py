"""'Explain this number': how a money figure was computed and the source rows behind it.

``explain(analysis, kind, key, field)`` returns an Explanation: a title, the formula in words,
the steps with their values (as the analyst would check them by hand) and the source rows
(file, 1-based row) the figure comes from, capped at ``max_sources`` with the total count.

Kinds and keys:

* ``contract``: key = contract_id; fields consumed_to_date, expected_to_date,
  projected_consumption, shortfall_exposure, overage, overage_premium, commitment, run_rate,
  required_run_rate.
* ``period``: key = "contract_id|YYYY-MM-DD" (the period start); fields commitment, carry_in,
  consumed, expected, projected, shortfall, carry_out, shortfall_penalty, overage,
  overage_premium.
* ``invoice``: key = invoice_id; fields invoiced, expected, variance, tax, premium_leakage.
* ``budget``: key = "allocation|YYYY-MM"; fields actual, forecast, variance, run_rate, budget.
* ``chargeback``: key = "YYYY-MM|cost_center|gl_account"; field amount.
* ``anomaly``: key = "dimension|value|YYYY-MM-DD"; fields spend, mean, std.
* ``workload_shift``: key = "contract_id|basis|workload|vendor"; fields run_rate, movable_spend,
  covers.
* ``renewal``: key = the scenario table's name (baseline_monthly, on_demand_cost) or
  "name|commit level" (expected_cost, savings, expected_shortfall, expected_overage_premium).

Usage sources come from ``analysis.usage`` (its ``_file``/``_row`` are the analyst's files);
commitment, invoice and budget sources from ``analysis.inputs``. When the rows found add up to
the figure, the steps say so; the explanation never changes a figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.chargeback import vendor_keys
from desktop.domain.errors import InputError
from desktop.domain.money import ZERO, cents, from_micros, money_sum
from desktop.domain.results import (
    Analysis,
    AnomalyResult,
    BudgetResult,
    ChargebackLine,
    ContractResult,
    InvoiceResult,
    PeriodResult,
    RenewalRow,
    RenewalScenarioResult,
    SourceRef,
    WorkloadShiftCandidate,
)
from desktop.domain.tables import vendor_key

MAX_SOURCES = 200

CONTRACT_FIELDS = ("commitment", "consumed_to_date", "expected_to_date", "projected_consumption",
                   "shortfall_exposure", "overage", "overage_premium", "run_rate", "required_run_rate")
PERIOD_FIELDS = ("commitment", "carry_in", "consumed", "expected", "projected", "shortfall", "carry_out",
                 "shortfall_penalty", "overage", "overage_premium")
INVOICE_FIELDS = ("invoiced", "expected", "variance", "tax", "premium_leakage")
BUDGET_FIELDS = ("budget", "actual", "run_rate", "forecast", "variance")
CHARGEBACK_FIELDS = ("amount",)
ANOMALY_FIELDS = ("spend", "mean", "std")
SHIFT_FIELDS = ("run_rate", "movable_spend", "covers")
RENEWAL_FIELDS = ("baseline_monthly", "on_demand_cost", "expected_cost", "savings", "expected_shortfall",
                  "expected_overage_premium")
KINDS = {"contract": CONTRACT_FIELDS, "period": PERIOD_FIELDS, "invoice": INVOICE_FIELDS,
         "budget": BUDGET_FIELDS, "chargeback": CHARGEBACK_FIELDS, "anomaly": ANOMALY_FIELDS,
         "workload_shift": SHIFT_FIELDS, "renewal": RENEWAL_FIELDS}


@dataclass(frozen=True)
class Explanation:
    title: str
    value: str  # the figure as shown, e.g. "1,234.50 USD"
    formula: str
    steps: list[tuple[str, str]] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)  # at most max_sources, in file/row order
    source_count: int = 0  # how many source rows in all
    sources_total: Decimal | None = None  # the sum of the money of the source rows, when meaningful


class _Ctx:
    def __init__(self, analysis: Analysis, max_sources: int):
        self.a = analysis
        self.cur = analysis.currency
        self.max = max_sources
        self.t = pd.Timestamp(analysis.as_of)

    def m(self, x: Decimal | None) -> str:
        return "n/a" if x is None else f"{cents(x):,.2f} {self.cur}"

    @property
    def usage(self) -> pd.DataFrame:
        u = self.a.usage
        if u is None:
            inputs = self.a.inputs
            u = inputs.usage if inputs is not None else None
        if u is None:
            from desktop.domain.tables import empty
            u = empty("usage")
        return u

    def table(self, name: str) -> pd.DataFrame | None:
        inputs = self.a.inputs
        return getattr(inputs, name, None) if inputs is not None else None

    def refs(self, frame: pd.DataFrame | None) -> tuple[list[SourceRef], int]:
        if frame is None or frame.empty:
            return [], 0
        f = frame[["_file", "_row"]].sort_values(["_file", "_row"], kind="stable")
        head = f.head(self.max)
        return [SourceRef(str(a), int(b)) for a, b in zip(head["_file"], head["_row"], strict=True)], len(f)


def _contract(analysis: Analysis, cid: str) -> ContractResult:
    for c in analysis.contracts:
        if c.contract_id == cid:
            return c
    raise InputError(f"no contract {cid!r} in this analysis")


def _period(c: ContractResult, start: str) -> PeriodResult:
    for p in c.periods:
        if p.period_start.isoformat() == start:
            return p
    raise InputError(f"contract {c.contract_id!r} has no commit period starting {start}")


def _contract_rows(ctx: _Ctx, cid: str) -> pd.DataFrame:
    u = ctx.usage
    if "_contract" not in u.columns:
        return u.iloc[0:0]
    mask = (u["_contract"].astype("string") == cid).fillna(False).astype(bool)
    return u.loc[mask.to_numpy()]


def _between(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    return frame.loc[(frame["date"] >= pd.Timestamp(start)) & (frame["date"] <= pd.Timestamp(end))]


def _commit_rows(ctx: _Ctx, cid: str, start: date | None = None) -> pd.DataFrame | None:
    com = ctx.table("commitments")
    if com is None or com.empty:
        return None
    mask = com["contract_id"].astype("string") == cid
    if start is not None:
        mask &= com["period_start"] == pd.Timestamp(start)
    return com.loc[mask.fillna(False).astype(bool).to_numpy()]


def _sum(frame: pd.DataFrame | None, col: str = "cost") -> Decimal:
    if frame is None or frame.empty:
        return ZERO
    return cents(from_micros(money_sum(frame[col].to_numpy())))


def _run_rate_window(c: ContractResult, t: date, days: int) -> tuple[date, date, int]:
    """The run-rate window of desktop.domain.contracts.run_rate: T-13..T over 14 days, or
    term_start..T over those days when fewer than 14 term days lie on or before T."""
    n = (t - c.term_start).days + 1
    if n <= 0:
        return t, t, 0
    if n >= days:
        return t - timedelta(days=days - 1), t, days
    return c.term_start, t, n


def _run_rate_steps(ctx: _Ctx, c: ContractResult) -> tuple[list[tuple[str, str]], pd.DataFrame]:
    settings = ctx.a.settings
    days = int(getattr(settings, "run_rate_days", 14))
    start, end, n = _run_rate_window(c, ctx.a.as_of, days)
    rows = _between(_contract_rows(ctx, c.contract_id), start, end) if n > 0 else ctx.usage.iloc[0:0]
    spent = _sum(rows)
    steps = [(f"Eligible spend {start:%Y-%m-%d}..{end:%Y-%m-%d} ({len(rows)} rows)", ctx.m(spent)),
             (f"Divided by {n} days" if n else "No days of the term before the as-of date", ctx.m(c.run_rate))]
    return steps, rows


def _explain_contract(ctx: _Ctx, c: ContractResult, fld: str) -> Explanation:
    t = ctx.a.as_of
    title = f"Contract {c.contract_id} ({c.vendor}): {fld.replace('_', ' ')}"
    steps: list[tuple[str, str]] = []
    src = None
    total = None
    if fld == "commitment":
        formula = "commitment = sum of the commit periods' commitments"
        steps = [(f"Period {p.period_start:%Y-%m-%d}..{p.period_end:%Y-%m-%d}", ctx.m(p.commitment))
                 for p in c.periods]
        steps.append(("Total", ctx.m(c.commitment)))
        src = _commit_rows(ctx, c.contract_id)
        value = c.commitment
    elif fld == "consumed_to_date":
        formula = "consumed_to_date = sum over periods of eligible usage dated start_p..min(T, end_p)"
        rows = _contract_rows(ctx, c.contract_id)
        parts = []
        for p in c.periods:
            pr = _between(rows, p.period_start, min(t, p.period_end)) if p.period_start <= t else rows.iloc[0:0]
            parts.append(pr)
            steps.append((f"Period {p.period_start:%Y-%m-%d}..{min(t, p.period_end):%Y-%m-%d} ({len(pr)} rows)",
                          ctx.m(p.consumed)))
        src = pd.concat(parts) if parts else rows.iloc[0:0]
        total = _sum(src)
        steps.append(("Total", ctx.m(c.consumed_to_date)))
        value = c.consumed_to_date
    elif fld == "expected_to_date":
        formula = "expected_to_date = sum over periods of commitment_p x elapsed_p / days_p"
        for p in c.periods:
            steps.append((f"{ctx.m(p.commitment)} x {p.elapsed_days}/{p.days} days "
                          f"({p.period_start:%Y-%m-%d}..{p.period_end:%Y-%m-%d})", ctx.m(p.expected)))
        steps.append(("Total", ctx.m(c.expected_to_date)))
        src = _commit_rows(ctx, c.contract_id)
        value = c.expected_to_date
    elif fld == "run_rate":
        formula = "run_rate = eligible spend on days T-13..T / 14 (fewer days when the term is younger)"
        steps, src = _run_rate_steps(ctx, c)
        total = _sum(src)
        value = c.run_rate
    elif fld == "required_run_rate":
        formula = "required_run_rate = (commitment - consumed_to_date) / days left in the term after T"
        steps = [("Commitment", ctx.m(c.commitment)), ("Consumed to date", ctx.m(c.consumed_to_date)),
                 ("Days left after T", str(c.days_left)), ("Required daily spend", ctx.m(c.required_run_rate))]
        src = _commit_rows(ctx, c.contract_id)
        value = c.required_run_rate
    elif fld == "projected_consumption":
        formula = ("projected_p = consumed_p (ended), consumed_p + run_rate x (end_p - T) (current), "
                   "run_rate x days_p (future); projected_consumption = sum projected_p")
        rr_steps, rr_rows = _run_rate_steps(ctx, c)
        steps.extend(rr_steps)
        for p in c.periods:
            steps.append(_projected_step(ctx, c, p))
        steps.append(("Total", ctx.m(c.projected_consumption)))
        rows = _contract_rows(ctx, c.contract_id)
        src = pd.concat([_between(rows, c.term_start, t), rr_rows]).drop_duplicates(["_file", "_row"])
        value = c.projected_consumption
    elif fld in ("shortfall_exposure", "overage", "overage_premium"):
        pfield = {"shortfall_exposure": "shortfall_penalty", "overage": "overage",
                  "overage_premium": "overage_premium"}[fld]
        formula = {
            "shortfall_exposure": "shortfall_exposure = sum over periods of (shortfall_p - carry_out_p) x "
                                  "shortfall_penalty_pct / 100, shortfall_p = max(0, C_p + carry_in_p - projected_p)",
            "overage": "overage = sum over periods of max(0, projected_p - (C_p + carry_in_p))",
            "overage_premium": "overage_premium = sum over periods of overage_p x (overage_multiplier_p - 1)",
        }[fld]
        for p in c.periods:
            steps.extend(_exposure_steps(ctx, p, pfield))
        steps.append(("Total", ctx.m(getattr(c, fld))))
        src = _commit_rows(ctx, c.contract_id)
        value = getattr(c, fld)
    else:
        raise InputError(f"cannot explain contract field {fld!r}")
    refs, count = ctx.refs(src)
    if total is not None:
        steps.append((f"Sum of the {count} source rows", ctx.m(total)))
        if value is not None and total != value:
            steps.append(("Difference: each period is rounded to cents before the periods are added",
                          ctx.m(value - total)))
    return Explanation(title, ctx.m(value), formula, steps, refs, count, total)


def _projected_step(ctx: _Ctx, c: ContractResult, p: PeriodResult) -> tuple[str, str]:
    label = f"{p.period_start:%Y-%m-%d}..{p.period_end:%Y-%m-%d}"
    t = ctx.a.as_of
    if p.period_end <= t:
        return (f"{label} ended: consumed {ctx.m(p.consumed)}", ctx.m(p.projected))
    if p.period_start > t:
        return (f"{label} future: {ctx.m(c.run_rate)} x {p.days} days", ctx.m(p.projected))
    return (f"{label} current: {ctx.m(p.consumed)} + {ctx.m(c.run_rate)} x {(p.period_end - t).days} days",
            ctx.m(p.projected))


def _exposure_steps(ctx: _Ctx, p: PeriodResult, pfield: str) -> list[tuple[str, str]]:
    label = f"{p.period_start:%Y-%m-%d}..{p.period_end:%Y-%m-%d}"
    c_eff = p.commitment + p.carry_in
    if pfield == "shortfall_penalty":
        return [(f"{label}: C' = {ctx.m(p.commitment)} + carry in {ctx.m(p.carry_in)}", ctx.m(c_eff)),
                (f"{label}: shortfall = max(0, C' - projected {ctx.m(p.projected)})", ctx.m(p.shortfall)),
                (f"{label}: carry out", ctx.m(p.carry_out)),
                (f"{label}: penalty on shortfall - carry out", ctx.m(p.shortfall_penalty))]
    if pfield == "overage":
        return [(f"{label}: max(0, projected {ctx.m(p.projected)} - C' {ctx.m(c_eff)})", ctx.m(p.overage))]
    return [(f"{label}: overage {ctx.m(p.overage)} x (multiplier - 1)", ctx.m(p.overage_premium))]


def _explain_period(ctx: _Ctx, c: ContractResult, p: PeriodResult, fld: str) -> Explanation:
    t = ctx.a.as_of
    label = f"{p.period_start:%Y-%m-%d}..{p.period_end:%Y-%m-%d}"
    title = f"Contract {c.contract_id} period {label}: {fld.replace('_', ' ')}"
    value = getattr(p, fld)
    total = None
    com = _commit_rows(ctx, c.contract_id, p.period_start)
    src = com
    steps: list[tuple[str, str]] = []
    if fld == "commitment":
        formula = "commitment of the commit period (commitments table)"
        steps = [("Commitment", ctx.m(p.commitment))]
    elif fld == "carry_in":
        formula = "carry_in = carry_out of the previous period (0 for the first)"
        steps = [("Carry in", ctx.m(p.carry_in))]
    elif fld == "consumed":
        formula = "consumed_p = eligible usage cost dated start_p..min(T, end_p)"
        rows = _contract_rows(ctx, c.contract_id)
        src = _between(rows, p.period_start, min(t, p.period_end)) if p.period_start <= t else rows.iloc[0:0]
        total = _sum(src)
        steps = [(f"{len(src)} usage rows {p.period_start:%Y-%m-%d}..{min(t, p.period_end):%Y-%m-%d}",
                  ctx.m(p.consumed))]
    elif fld == "expected":
        formula = "expected_p = C_p x elapsed_p / days_p"
        steps = [(f"{ctx.m(p.commitment)} x {p.elapsed_days} / {p.days}", ctx.m(p.expected))]
    elif fld == "projected":
        formula = "projected_p = consumed_p (ended), consumed_p + run_rate x (end_p - T), run_rate x days_p (future)"
        rr_steps, rr_rows = _run_rate_steps(ctx, c)
        steps = [*rr_steps, _projected_step(ctx, c, p)]
        rows = _contract_rows(ctx, c.contract_id)
        own = _between(rows, p.period_start, min(t, p.period_end)) if p.period_start <= t else rows.iloc[0:0]
        src = own if p.period_end <= t else pd.concat([own, rr_rows]).drop_duplicates(["_file", "_row"])
    elif fld in ("shortfall", "carry_out", "shortfall_penalty"):
        formula = ("shortfall_p = max(0, C_p + carry_in_p - projected_p); carry_out_p = min(shortfall_p, "
                   "rollover_pct x C_p) (0 for the last period); penalty = (shortfall_p - carry_out_p) x "
                   "shortfall_penalty_pct / 100")
        steps = _exposure_steps(ctx, p, "shortfall_penalty")
    elif fld == "overage":
        formula = "overage_p = max(0, projected_p - (C_p + carry_in_p))"
        steps = _exposure_steps(ctx, p, "overage")
    elif fld == "overage_premium":
        formula = "overage_premium_p = overage_p x (overage_multiplier_p - 1)"
        steps = _exposure_steps(ctx, p, "overage") + _exposure_steps(ctx, p, "overage_premium")
    else:
        raise InputError(f"cannot explain period field {fld!r}")
    refs, count = ctx.refs(src)
    if total is not None:
        steps.append((f"Sum of the {count} source rows", ctx.m(total)))
    return Explanation(title, ctx.m(value), formula, steps, refs, count, total)


def invoice_expected_rows(ctx: _Ctx, inv: InvoiceResult) -> pd.DataFrame:
    """Usage rows behind an invoice's expected amount, dated in the billing period: the rows
    drawing down the contract the invoice names, else all the vendor's rows."""
    u = ctx.usage
    if u.empty:
        return u
    if inv.contract_id:
        if "_contract" not in u.columns:
            return u.iloc[0:0]
        mask = (u["_contract"].astype("string") == inv.contract_id).fillna(False).astype(bool).to_numpy()
    else:
        mask = vendor_keys(u["vendor"]) == vendor_key(inv.vendor)
    rows = u.loc[mask]
    return _between(rows, inv.period_start, inv.period_end)


def _invoice_lines(ctx: _Ctx, inv: InvoiceResult) -> pd.DataFrame | None:
    lines = ctx.table("invoices")
    if lines is None or lines.empty:
        return None
    return lines.loc[(lines["invoice_id"].astype("string") == inv.invoice_id).fillna(False).astype(bool).to_numpy()]


def _explain_invoice(ctx: _Ctx, inv: InvoiceResult, fld: str) -> Explanation:
    title = f"Invoice {inv.invoice_id} ({inv.vendor}): {fld.replace('_', ' ')}"
    period = f"{inv.period_start:%Y-%m-%d}..{inv.period_end:%Y-%m-%d}"
    lines = _invoice_lines(ctx, inv)
    is_tax = (lines["line_type"].astype("string").str.casefold() == "tax").fillna(False).astype(bool) \
        if lines is not None else None
    total = None
    steps: list[tuple[str, str]] = []
    if fld == "invoiced":
        formula = "invoiced = sum of amount over the invoice's lines whose line_type is not tax"
        src = lines.loc[~is_tax.to_numpy()] if lines is not None else None
        total = _sum(src, "amount")
        steps = [(f"{0 if src is None else len(src)} non-tax lines", ctx.m(inv.invoiced))]
        value = inv.invoiced
    elif fld == "tax":
        formula = "tax = sum of amount over the invoice's tax lines (reported apart)"
        src = lines.loc[is_tax.to_numpy()] if lines is not None else None
        total = _sum(src, "amount")
        steps = [(f"{0 if src is None else len(src)} tax lines", ctx.m(inv.tax))]
        value = inv.tax
    elif fld == "expected":
        formula = ("expected = usage cost " + (f"drawing down contract {inv.contract_id}" if inv.contract_id
                                               else f"of {inv.vendor}")
                   + f" dated in the billing period {period}")
        src = invoice_expected_rows(ctx, inv)
        total = _sum(src)
        steps = [("Billing period" + (" (month before the invoice date)" if inv.period_inferred else ""), period),
                 (f"{len(src)} usage rows", ctx.m(inv.expected))]
        value = inv.expected
    elif fld == "variance":
        formula = "variance = invoiced - expected; variance_pct = variance / expected"
        steps = [("Invoiced (without tax)", ctx.m(inv.invoiced)), ("Expected from usage", ctx.m(inv.expected)),
                 ("Variance", ctx.m(inv.variance)),
                 ("Variance %", "n/a" if inv.variance_pct is None else f"{inv.variance_pct * 100:.2f}%"),
                 ("Status", inv.status)]
        value = inv.variance
        src = lines
    elif fld == "premium_leakage":
        formula = "premium_leakage = sum of leakage over the invoice's flagged lines"
        steps = [(f"Line {f.line}: {f.flag.replace('_', ' ')}" + (f" ({f.detail})" if f.detail else ""),
                  ctx.m(f.leakage)) for f in inv.flags]
        steps.append(("Total", ctx.m(inv.premium_leakage)))
        value = inv.premium_leakage
        src = None
        if lines is not None:
            flagged = {(str(f.file), int(f.line)) for f in inv.flags}
            keep = [(str(a), int(b)) in flagged for a, b in zip(lines["_file"], lines["_row"], strict=True)]
            src = lines.loc[keep]
    else:
        raise InputError(f"cannot explain invoice field {fld!r}")
    refs, count = ctx.refs(src)
    if total is not None:
        steps.append((f"Sum of the {count} source rows", ctx.m(total)))
    return Explanation(title, ctx.m(value), formula, steps, refs, count, total)


def budget_rows(ctx: _Ctx, b: BudgetResult) -> pd.DataFrame:
    """Usage rows of a budget line (as desktop.domain.budgets): its dimension column equals its
    value (case-insensitive; vendors by vendor key) and, when the line names a vendor, of that
    vendor."""
    u = ctx.usage
    dim = b.dimension
    if u.empty or not dim or dim not in u.columns:
        return u.iloc[0:0]
    if dim == "vendor":
        want = vendor_key(b.value)
        col = pd.Series(vendor_keys(u["vendor"]), index=u.index, dtype="string")
    else:
        want = str(b.value).strip().casefold()
        col = u[dim].astype("string").str.strip().str.casefold()
    mask = (col == want).fillna(False).astype(bool).to_numpy()
    if b.vendor:
        vk = vendor_key(b.vendor)
        mask = mask & (vendor_keys(u["vendor"]) == vk)
    return u.loc[mask]


def _month_bounds(month: str) -> tuple[date, date]:
    y, mo = int(month[:4]), int(month[5:7])
    start = date(y, mo, 1)
    return start, date(y + (mo == 12), mo % 12 + 1, 1) - timedelta(days=1)


def _explain_budget(ctx: _Ctx, b: BudgetResult, fld: str) -> Explanation:
    t = ctx.a.as_of
    title = f"Budget '{b.allocation}' {b.month}: {fld.replace('_', ' ')}"
    m_start, m_end = _month_bounds(b.month)
    rows = budget_rows(ctx, b)
    actual_rows = _between(rows, m_start, min(t, m_end)) if m_start <= t else rows.iloc[0:0]
    days = int(getattr(ctx.a.settings, "run_rate_days", 14))
    rr_start = t - timedelta(days=days - 1)
    rr_rows = _between(rows, rr_start, t)
    days_after = max(0, (m_end - max(t, m_start - timedelta(days=1))).days)
    total = None
    steps: list[tuple[str, str]] = []
    if fld == "budget":
        formula = "budget of the allocation line (budgets table)"
        steps = [("Budget", ctx.m(b.budget))]
        value = b.budget
        bud = ctx.table("budgets")
        src = None
        if bud is not None and not bud.empty:
            mask = (bud["allocation"].astype("string") == b.allocation) & (bud["month"].astype("string") == b.month)
            src = bud.loc[mask.fillna(False).astype(bool).to_numpy()]
    elif fld == "actual":
        formula = f"actual = cost of usage rows with {b.dimension} = '{b.value}' dated in {b.month} up to T"
        src = actual_rows
        total = _sum(src)
        steps = [(f"{len(src)} usage rows {m_start:%Y-%m-%d}..{min(t, m_end):%Y-%m-%d}", ctx.m(b.actual)),
                 ("Utilization = actual / budget",
                  "n/a" if b.utilization is None else f"{b.utilization * 100:.2f}%")]
        value = b.actual
    elif fld == "run_rate":
        formula = f"run_rate = the line's spend on days T-{days - 1}..T / {days}"
        src = rr_rows
        total = _sum(src)
        steps = [(f"Spend {rr_start:%Y-%m-%d}..{t:%Y-%m-%d} ({len(src)} rows)", ctx.m(total)),
                 (f"Divided by {days}", ctx.m(b.run_rate))]
        value = b.run_rate
    elif fld == "forecast":
        formula = "forecast = actual + run_rate x days of the month after T (0 when the month has ended)"
        src = pd.concat([actual_rows, rr_rows]).drop_duplicates(["_file", "_row"])
        steps = [("Actual", ctx.m(b.actual)), ("Run rate", ctx.m(b.run_rate)),
                 ("Days of the month after T", str(days_after)),
                 ("Forecast", ctx.m(b.forecast))]
        value = b.forecast
    elif fld == "variance":
        formula = "variance = forecast - budget; variance_pct = variance / budget"
        steps = [("Forecast", ctx.m(b.forecast)), ("Budget", ctx.m(b.budget)), ("Variance", ctx.m(b.variance)),
                 ("Variance %", "n/a" if b.variance_pct is None else f"{b.variance_pct * 100:.2f}%"),
                 ("Severity", b.severity)]
        value = b.variance
        src = pd.concat([actual_rows, rr_rows]).drop_duplicates(["_file", "_row"])
    else:
        raise InputError(f"cannot explain budget field {fld!r}")
    refs, count = ctx.refs(src)
    if total is not None:
        steps.append((f"Sum of the {count} source rows", ctx.m(total)))
    return Explanation(title, ctx.m(value), formula, steps, refs, count, total)


def _explain_chargeback(ctx: _Ctx, line: ChargebackLine) -> Explanation:
    from desktop.domain.chargeback import _resolve_codes

    t = ctx.a.as_of
    m_start, m_end = _month_bounds(line.month)
    u = _between(ctx.usage, m_start, min(t, m_end)) if m_start <= t else ctx.usage.iloc[0:0]
    inputs = ctx.a.inputs
    codes, pairs = _resolve_codes(u, getattr(inputs, "org_map", None) if inputs is not None else None)
    want = [i for i, p in enumerate(pairs) if p == (line.cost_center, line.gl_account)]
    src = u.loc[np.isin(codes, want)] if want else u.iloc[0:0]
    total = _sum(src)
    rule = ("usage without a cost center whose team is not in the org map" if line.cost_center == "unallocated"
            else f"usage of cost center {line.cost_center} (its own cost_center, else its team's in the org map)")
    steps = [(f"{len(src)} usage rows {m_start:%Y-%m-%d}..{min(t, m_end):%Y-%m-%d}", ctx.m(total)),
             ("GL account", line.gl_account),
             ("Invoices of the period", ", ".join(line.invoice_ids) or "none")]
    if total != line.amount:
        steps.append(("Rounding: the month's lines are rounded to add up to the month's total",
                      ctx.m(line.amount - total)))
    refs, count = ctx.refs(src)
    steps.append((f"Sum of the {count} source rows", ctx.m(total)))
    return Explanation(f"Chargeback {line.month} {line.cost_center} / {line.gl_account}", ctx.m(line.amount),
                       f"amount = {rule} dated in {line.month} up to T", steps, refs, count, total)


def _explain_anomaly(ctx: _Ctx, a: AnomalyResult, fld: str) -> Explanation:
    settings = ctx.a.settings
    window = int(getattr(settings, "anomaly_window", 30))
    u = ctx.usage
    if a.dimension not in u.columns:
        rows = u.iloc[0:0]
    else:
        vals = u[a.dimension].astype("string").str.strip()
        rows = u.loc[(vals == a.value).fillna(False).astype(bool).to_numpy()]
    first = rows["date"].min().date() if not rows.empty else a.date
    w_start = max(first, a.date - timedelta(days=window))
    w_end = a.date - timedelta(days=1)
    n_days = max(0, (w_end - w_start).days + 1)
    day_rows = _between(rows, a.date, a.date)
    win_rows = _between(rows, w_start, w_end)
    title = f"Anomaly: {a.dimension} '{a.value}' on {a.date:%Y-%m-%d}: {fld}"
    total = None
    if fld == "spend":
        formula = f"spend = cost of the usage rows of {a.dimension} '{a.value}' dated {a.date:%Y-%m-%d}"
        src = day_rows
        total = _sum(src)
        steps = [(f"{len(src)} usage rows", ctx.m(a.spend)), ("z = (spend - mean) / std", f"{a.z:.2f}")]
        value = a.spend
    else:
        formula = (f"{'mean' if fld == 'mean' else 'sample standard deviation'} of the daily spend on the "
                   f"up to {window} days before (days without spend count 0)")
        src = win_rows
        steps = [(f"Days {w_start:%Y-%m-%d}..{w_end:%Y-%m-%d}", str(n_days)),
                 ("Spend on those days", ctx.m(_sum(src))),
                 ("Mean", ctx.m(a.mean)), ("Standard deviation", ctx.m(a.std)),
                 ("z = (spend - mean) / std", f"{a.z:.2f}")]
        value = getattr(a, fld)
    refs, count = ctx.refs(src)
    if total is not None:
        steps.append((f"Sum of the {count} source rows", ctx.m(total)))
    return Explanation(title, ctx.m(value), formula, steps, refs, count, total)


def _explain_shift(ctx: _Ctx, w: WorkloadShiftCandidate, fld: str) -> Explanation:
    from desktop.domain.workload_shift import label_usage

    t = ctx.a.as_of
    days = int(getattr(ctx.a.settings, "run_rate_days", 14))
    start = t - timedelta(days=days - 1)
    u = _between(ctx.usage, start, t)
    if not u.empty:
        basis, label = label_usage(u)
        mask = (basis == w.basis).to_numpy() & (label.astype(object) == w.workload).to_numpy()
        mask = mask & (u["vendor"].astype(object) == w.vendor).to_numpy()
        if "commit_eligible" in u.columns:
            mask = mask & u["commit_eligible"].to_numpy(dtype=bool)
        if "_contract" in u.columns:
            mask = mask & ~(u["_contract"].astype("string") == w.contract_id).fillna(False).to_numpy(dtype=bool)
        src = u.loc[mask]
    else:
        src = u
    spent = _sum(src)
    title = f"Workload '{w.workload}' ({w.vendor}) onto {w.contract_id}: {fld.replace('_', ' ')}"
    steps = [(f"Spend {start:%Y-%m-%d}..{t:%Y-%m-%d} ({len(src)} rows)", ctx.m(spent)),
             (f"Run rate = spend / {days}", ctx.m(w.run_rate)),
             ("Days left in the contract's periods after T", str(w.days_left)),
             ("Movable spend = run rate x days left", ctx.m(w.movable_spend)),
             ("Covers (greedy down the ranking, period by period)", ctx.m(w.covers)),
             ("Share of the projected shortfall", "n/a" if w.covers_pct is None else f"{w.covers_pct * 100:.1f}%")]
    formula = {"run_rate": f"run_rate = the workload's eligible spend on T-{days - 1}..T / {days}",
               "movable_spend": "movable_spend = run_rate x days left in the term after T",
               "covers": "covers = min(movable spend, shortfall not covered by the workloads ranked above)"}[fld]
    refs, count = ctx.refs(src)
    return Explanation(title, ctx.m(getattr(w, fld)), formula, steps, refs, count,
                       spent if fld == "run_rate" else None)


def _explain_renewal(ctx: _Ctx, r: RenewalScenarioResult, row: RenewalRow | None, fld: str) -> Explanation:
    from desktop.domain.renewal import RenewalInputs, cost_for_level

    settings = ctx.a.settings
    paths = int(getattr(settings, "renewal_paths", 0))
    seed = getattr(settings, "renewal_seed", None)
    head = [("Baseline monthly list spend", ctx.m(r.baseline_monthly)), ("Term", f"{r.term_months} months"),
            ("Monthly growth", f"{r.growth * 100:.2f}% +/- {r.growth_sd * 100:.2f}%"),
            ("Simulated paths", f"{paths} (seed {seed})")]
    title = f"{r.name}: {fld.replace('_', ' ')}"
    src = None
    total = None
    if fld == "baseline_monthly":
        formula = "baseline = the vendor's eligible usage on T-89..T / days x 30.4375 (or as entered)"
        days = int(getattr(settings, "renewal_baseline_days", 90))
        t = ctx.a.as_of
        u = ctx.usage
        mask = vendor_keys(u["vendor"]) == vendor_key(r.vendor)
        if "commit_eligible" in u.columns:
            mask = mask & u["commit_eligible"].to_numpy(dtype=bool)
        rows = u.loc[mask]
        rows = rows.loc[rows["date"] <= pd.Timestamp(t)]
        start = t - timedelta(days=days - 1)
        src = _between(rows, start, t)
        total = _sum(src)
        first = max(rows["date"].min().date(), start) if not rows.empty else t
        n = (t - first).days + 1
        steps = [(f"Eligible {r.vendor} spend {first:%Y-%m-%d}..{t:%Y-%m-%d} ({len(src)} rows)", ctx.m(total)),
                 (f"/ {n} days x 30.4375", ctx.m(r.baseline_monthly))]
        value = r.baseline_monthly
    elif fld == "on_demand_cost":
        formula = "on-demand cost = mean over the paths of the list spend sum_t baseline x (1+g_1)...(1+g_t)"
        steps = [*head, ("Expected on-demand (list) cost", ctx.m(r.on_demand_cost))]
        value = r.on_demand_cost
    else:
        assert row is not None
        formula = {
            "expected_cost": "cost per path: S = (1 - d) x list spend; S <= K: S + (K - S) x penalty %; "
                             "S > K: K + (S - K) x overage multiplier; expected = mean over the paths",
            "savings": "savings = on-demand cost - expected cost",
            "expected_shortfall": "expected shortfall = mean over the paths of max(0, K - S)",
            "expected_overage_premium": "expected premium = mean over the paths of max(0, S - K) x (multiplier - 1)",
        }[fld]
        mult = r.overage_multiplier if r.overage_multiplier is not None else 1.0
        pen = r.shortfall_penalty_pct if r.shortfall_penalty_pct is not None else 100.0
        ri = RenewalInputs(r.name, r.vendor, r.baseline_monthly, {}, r.term_months, [], mult, pen)
        steps = [*head, ("Commit level K", ctx.m(row.commit_level)), ("Discount", f"{row.discount_pct:g}%"),
                 ("Overage multiplier / shortfall penalty", f"{mult:g} / {pen:g}%"),
                 ("P(shortfall)", f"{row.p_shortfall * 100:.1f}%"),
                 ("Expected shortfall", ctx.m(row.expected_shortfall)),
                 ("Expected overage premium", ctx.m(row.expected_overage_premium)),
                 ("Expected cost", ctx.m(row.expected_cost)),
                 ("On-demand cost", ctx.m(r.on_demand_cost)), ("Savings", ctx.m(row.savings)),
                 ("Cost if growth were exactly the mean every month",
                  ctx.m(cost_for_level(ri, row.commit_level, row.discount_pct, r.growth)))]
        value = getattr(row, fld)
    refs, count = ctx.refs(src)
    return Explanation(title, ctx.m(value), formula, steps, refs, count, total)


def explain(analysis: Analysis, kind: str, key: str, field: str, max_sources: int = MAX_SOURCES) -> Explanation:
    """How ``field`` of the ``kind`` result named ``key`` was computed. Unknown kinds, keys or
    fields raise InputError (the GUI shows the message)."""
    if kind not in KINDS:
        raise InputError(f"cannot explain {kind!r}; kinds are {', '.join(KINDS)}")
    if field not in KINDS[kind]:
        raise InputError(f"cannot explain {kind} field {field!r}; fields are {', '.join(KINDS[kind])}")
    ctx = _Ctx(analysis, max_sources)
    if kind == "contract":
        return _explain_contract(ctx, _contract(analysis, key), field)
    if kind == "period":
        cid, _, start = key.rpartition("|")
        c = _contract(analysis, cid)
        return _explain_period(ctx, c, _period(c, start), field)
    if kind == "invoice":
        for inv in analysis.invoices:
            if inv.invoice_id == key:
                return _explain_invoice(ctx, inv, field)
        raise InputError(f"no invoice {key!r} in this analysis")
    if kind == "anomaly":
        dim, _, rest = key.partition("|")
        value, _, day = rest.rpartition("|")
        for a in analysis.anomalies:
            if a.dimension == dim and a.value == value and a.date.isoformat() == day:
                return _explain_anomaly(ctx, a, field)
        raise InputError(f"no anomaly {key!r}")
    if kind == "workload_shift":
        parts = key.split("|")
        if len(parts) != 4:
            raise InputError(f"workload key {key!r} is not 'contract_id|basis|workload|vendor'")
        for w in analysis.workload_shift:
            if (w.contract_id, w.basis, w.workload, w.vendor) == tuple(parts):
                return _explain_shift(ctx, w, field)
        raise InputError(f"no workload-shift candidate {key!r}")
    if kind == "renewal":
        name, sep, level = key.rpartition("|") if field not in ("baseline_monthly", "on_demand_cost") \
            else (key, "", "")
        for r in analysis.renewal:
            if r.name != name:
                continue
            if not level:
                if field not in ("baseline_monthly", "on_demand_cost"):
                    raise InputError(f"renewal field {field!r} needs 'name|commit level'")
                return _explain_renewal(ctx, r, None, field)
            try:
                k = Decimal(level)
            except Exception as exc:
                raise InputError(f"commit level {level!r} is not a number") from exc
            for row in r.rows:
                if row.commit_level == k:
                    return _explain_renewal(ctx, r, row, field)
            raise InputError(f"{name!r} has no commit level {level}")
        raise InputError(f"no renewal scenario {name!r}")
    if kind == "chargeback":
        parts = key.split("|")
        if len(parts) != 3:
            raise InputError(f"chargeback key {key!r} is not 'YYYY-MM|cost_center|gl_account'")
        for line in analysis.chargeback:
            if (line.month, line.cost_center, line.gl_account) == tuple(parts):
                return _explain_chargeback(ctx, line)
        raise InputError(f"no chargeback line {key!r}")
    allocation, _, month = key.rpartition("|")
    for b in analysis.budgets:
        if b.allocation == allocation and b.month == month:
            return _explain_budget(ctx, b, field)
    raise InputError(f"no budget line {allocation!r} for {month}")
