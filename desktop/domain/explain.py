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
* ``tie_out``: key = the TieOut's key (the export's InvoiceId, or "vendor|YYYY-MM-DD"); fields
  billed, invoiced, residual (in the billing currency, desktop/domain/tieout.py).
* ``commitment_discount``: key = "commitment discount id|YYYY-MM"; fields used_cost,
  unused_cost, other_cost, cost_utilization, used_quantity, unused_quantity,
  quantity_utilization.
* ``renewal``: key = the scenario table's name (baseline_monthly, on_demand_cost) or
  "name|commit level" (expected_cost, savings, expected_shortfall, expected_overage_premium).

The source rows of every figure come from desktop.domain.provenance.figure_rows, i.e. from the
selector of the module that computed the figure: explain derives no row set of its own. Usage
sources are rows of ``analysis.usage`` (their ``_file``/``_row`` are the analyst's files); invoice
sources are the analysed invoice lines; commitment and budget sources rows of
``analysis.inputs``. When the rows add up to the figure, the steps say so; the explanation never
changes a figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from desktop.domain import anomalies as anomalies_mod
from desktop.domain import contracts as contracts_mod
from desktop.domain import provenance as prov
from desktop.domain import renewal as renewal_mod
from desktop.domain.errors import InputError
from desktop.domain.money import ZERO, cents
from desktop.domain.months import month_bounds
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
    TieOut,
    WorkloadShiftCandidate,
)

MAX_SOURCES = 200

CONTRACT_FIELDS = ("commitment", "consumed_to_date", "expected_to_date", "projected_consumption",
                   "shortfall_exposure", "overage", "overage_premium", "run_rate", "required_run_rate")
PERIOD_FIELDS = ("commitment", "carry_in", "consumed", "expected", "projected", "shortfall", "carry_out",
                 "shortfall_penalty", "overage", "overage_premium")
INVOICE_FIELDS = ("invoiced", "expected", "shared_expected", "variance", "tax", "premium_leakage")
BUDGET_FIELDS = ("budget", "actual", "run_rate", "forecast", "variance")
CHARGEBACK_FIELDS = ("amount",)
ANOMALY_FIELDS = ("spend", "mean", "std")
SHIFT_FIELDS = ("run_rate", "movable_spend", "covers")
RENEWAL_FIELDS = ("baseline_monthly", "on_demand_cost", "expected_cost", "savings", "expected_shortfall",
                  "expected_overage_premium")
DISCOUNT_FIELDS = ("used_cost", "unused_cost", "other_cost", "cost_utilization", "used_quantity",
                   "unused_quantity", "quantity_utilization")
TIE_OUT_FIELDS = ("billed", "invoiced", "residual")
KINDS = {"contract": CONTRACT_FIELDS, "period": PERIOD_FIELDS, "invoice": INVOICE_FIELDS,
         "budget": BUDGET_FIELDS, "chargeback": CHARGEBACK_FIELDS, "anomaly": ANOMALY_FIELDS,
         "workload_shift": SHIFT_FIELDS, "renewal": RENEWAL_FIELDS, "tie_out": TIE_OUT_FIELDS,
         "rate_audit": ("vendor_cost", "expected", "invoiced", "difference", "leakage"), "unit_price": ("cost",),
         "commitment_discount": DISCOUNT_FIELDS}


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
        self.ix = prov.index_of(analysis)
        self.window = int(getattr(analysis.settings, "run_rate_days", 14))

    def m(self, x: Decimal | None) -> str:
        return "n/a" if x is None else f"{cents(x):,.2f} {self.cur}"

    def rows(self, kind: str, key: str, field: str) -> prov.Rows:
        return prov.figure_rows(self.a, kind, key, field)

    def total(self, rows: prov.Rows | None) -> Decimal:
        got = prov.total(self.a, rows) if rows is not None else None
        return got if got is not None else ZERO

    def done(self, title: str, value: Decimal | None, formula: str, steps: list[tuple[str, str]],
             rows: prov.Rows | None, total: Decimal | None) -> Explanation:
        refs, count = prov.source_refs(self.a, rows, self.max) if rows is not None else ([], 0)
        if total is not None:
            steps.append((f"Sum of the {count} source rows", self.m(total)))
        return Explanation(title, self.m(value), formula, steps, refs, count, total)


def _run_rate_steps(ctx: _Ctx, c: ContractResult) -> tuple[list[tuple[str, str]], prov.Rows]:
    start, end, n = contracts_mod.run_rate_window(c.term_start, ctx.a.as_of, ctx.window)
    rows = ctx.rows("contract", c.contract_id, "run_rate")
    spent = ctx.total(rows)
    steps = [(f"Eligible spend {start:%Y-%m-%d}..{end:%Y-%m-%d} ({len(rows)} rows)", ctx.m(spent)),
             (f"Divided by {n} days" if n else "No days of the term before the as-of date", ctx.m(c.run_rate))]
    return steps, rows


def _explain_contract(ctx: _Ctx, c: ContractResult, fld: str) -> Explanation:
    t = ctx.a.as_of
    title = f"Contract {c.contract_id} ({c.vendor}): {fld.replace('_', ' ')}"
    steps: list[tuple[str, str]] = []
    total = None
    rows = ctx.rows("contract", c.contract_id, fld)
    if fld == "commitment":
        formula = "commitment = sum of the commit periods' commitments"
        steps = [(f"Period {p.period_start:%Y-%m-%d}..{p.period_end:%Y-%m-%d}", ctx.m(p.commitment))
                 for p in c.periods]
        steps.append(("Total", ctx.m(c.commitment)))
        value = c.commitment
    elif fld == "consumed_to_date":
        formula = "consumed_to_date = sum over periods of eligible usage dated start_p..min(T, end_p)"
        for p in c.periods:
            n = len(contracts_mod.consumed_rows(ctx.ix, c, t, p))
            steps.append((f"Period {p.period_start:%Y-%m-%d}..{min(t, p.period_end):%Y-%m-%d} ({n} rows)",
                          ctx.m(p.consumed)))
        total = ctx.total(rows)
        steps.append(("Total", ctx.m(c.consumed_to_date)))
        value = c.consumed_to_date
    elif fld == "expected_to_date":
        formula = "expected_to_date = sum over periods of commitment_p x elapsed_p / days_p"
        for p in c.periods:
            steps.append((f"{ctx.m(p.commitment)} x {p.elapsed_days}/{p.days} days "
                          f"({p.period_start:%Y-%m-%d}..{p.period_end:%Y-%m-%d})", ctx.m(p.expected)))
        steps.append(("Total", ctx.m(c.expected_to_date)))
        value = c.expected_to_date
    elif fld == "run_rate":
        formula = "run_rate = eligible spend on days T-13..T / 14 (fewer days when the term is younger)"
        steps, rows = _run_rate_steps(ctx, c)
        total = ctx.total(rows)
        value = c.run_rate
    elif fld == "required_run_rate":
        formula = "required_run_rate = (commitment - consumed_to_date) / days left in the term after T"
        steps = [("Commitment", ctx.m(c.commitment)), ("Consumed to date", ctx.m(c.consumed_to_date)),
                 ("Days left after T", str(c.days_left)), ("Required daily spend", ctx.m(c.required_run_rate))]
        value = c.required_run_rate
    elif fld == "projected_consumption":
        formula = ("projected_p = consumed_p (ended), consumed_p + run_rate x (end_p - T) (current), "
                   "run_rate x days_p (future); projected_consumption = sum projected_p")
        rr_steps, _ = _run_rate_steps(ctx, c)
        steps.extend(rr_steps)
        for p in c.periods:
            steps.append(_projected_step(ctx, c, p))
        steps.append(("Total", ctx.m(c.projected_consumption)))
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
        value = getattr(c, fld)
    else:
        raise InputError(f"cannot explain contract field {fld!r}")
    return ctx.done(title, value, formula, steps, rows, total)


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
    q = p.quantity
    if q is not None:  # a usage commitment: measured in its unit, valued at its price per unit
        u = q.unit
        price = f"{ctx.m(p.commitment)} / {q.committed:,.2f} {u}"
        if pfield == "shortfall_penalty":
            return [(f"{label}: committed {q.committed:,.2f} {u} + carry in {q.carry_in:,.2f} - projected "
                     f"{q.projected:,.2f} {u} (consumed {q.consumed:,.2f} + run rate to the end)",
                     f"shortfall {q.shortfall:,.2f} {u}"),
                    (f"{label}: carry out", f"{q.carry_out:,.2f} {u}"),
                    (f"{label}: (shortfall - carry out) x penalty %, at {price}", ctx.m(p.shortfall_penalty))]
        if pfield == "overage":
            return [(f"{label}: max(0, projected {q.projected:,.2f} - committed {q.committed:,.2f} + carry in) "
                     f"= {q.overage:,.2f} {u}, at {price}", ctx.m(p.overage))]
        return [(f"{label}: overage {ctx.m(p.overage)} x (multiplier - 1)", ctx.m(p.overage_premium))]
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
    rows = ctx.rows("period", f"{c.contract_id}|{p.period_start.isoformat()}", fld)
    steps: list[tuple[str, str]] = []
    if fld == "commitment":
        formula = "commitment of the commit period (commitments table)"
        steps = [("Commitment", ctx.m(p.commitment))]
    elif fld == "carry_in":
        formula = "carry_in = carry_out of the previous period (0 for the first)"
        steps = [("Carry in", ctx.m(p.carry_in))]
    elif fld == "consumed":
        formula = "consumed_p = eligible usage cost dated start_p..min(T, end_p)"
        total = ctx.total(rows)
        steps = [(f"{len(rows)} usage rows {p.period_start:%Y-%m-%d}..{min(t, p.period_end):%Y-%m-%d}",
                  ctx.m(p.consumed))]
    elif fld == "expected":
        formula = "expected_p = C_p x elapsed_p / days_p"
        steps = [(f"{ctx.m(p.commitment)} x {p.elapsed_days} / {p.days}", ctx.m(p.expected))]
    elif fld == "projected":
        formula = "projected_p = consumed_p (ended), consumed_p + run_rate x (end_p - T), run_rate x days_p (future)"
        rr_steps, _ = _run_rate_steps(ctx, c)
        steps = [*rr_steps, _projected_step(ctx, c, p)]
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
    return ctx.done(title, value, formula, steps, rows, total)


def _explain_invoice(ctx: _Ctx, inv: InvoiceResult, fld: str) -> Explanation:
    title = f"Invoice {inv.invoice_id} ({inv.vendor}): {fld.replace('_', ' ')}"
    period = f"{inv.period_start:%Y-%m-%d}..{inv.period_end:%Y-%m-%d}"
    rows = ctx.rows("invoice", inv.invoice_id, fld)
    total = None
    steps: list[tuple[str, str]] = []
    if fld == "invoiced":
        formula = "invoiced = sum of amount over the invoice's lines whose line_type is not tax"
        total = ctx.total(rows)
        steps = [(f"{len(rows)} non-tax lines", ctx.m(inv.invoiced))]
        value = inv.invoiced
    elif fld == "tax":
        formula = "tax = sum of amount over the invoice's tax lines (reported apart)"
        total = ctx.total(rows)
        steps = [(f"{len(rows)} tax lines", ctx.m(inv.tax))]
        value = inv.tax
    elif fld in ("expected", "shared_expected"):
        if fld == "shared_expected" and inv.expected_basis != "pro_rata":
            raise InputError(f"invoice {inv.invoice_id} has no pro-rata share (its expected is {inv.expected_basis})")
        if inv.contract_id and not inv.contract_unknown:
            whose = f"of {inv.vendor} (rows drawing down contract {inv.contract_id} or no contract)"
        else:
            whose = f"of {inv.vendor}"
        total = ctx.total(rows)
        steps = [("Billing period" + (" (month before the invoice date)" if inv.period_inferred else ""), period)]
        if inv.period_invoices:
            steps.append(("Invoices of this vendor-period", ", ".join(inv.period_invoices)))
        if inv.expected_basis == "pro_rata":
            formula = (f"expected = a pro-rata share (by amount, less any amount billed again) of the usage cost "
                       f"{whose} dated in {period} that no invoice naming its usage covers")
            steps += [(f"{len(rows)} usage rows shared", ctx.m(inv.shared_expected)),
                      ("This invoice's share", ctx.m(inv.expected))]
        elif inv.expected_basis == "lines":
            formula = (f"expected = usage cost {whose} dated in {period} of what its lines name "
                       f"({', '.join(inv.covers)}), less what an earlier invoice of the period covers")
            steps.append((f"{len(rows)} usage rows", ctx.m(inv.expected)))
        else:
            formula = f"expected = usage cost {whose} dated in the billing period {period}"
            steps.append((f"{len(rows)} usage rows", ctx.m(inv.expected)))
        value = inv.shared_expected if fld == "shared_expected" else inv.expected
    elif fld == "variance":
        formula = "variance = invoiced - expected; variance_pct = variance / expected"
        steps = [("Invoiced (without tax)", ctx.m(inv.invoiced)), ("Expected from usage", ctx.m(inv.expected)),
                 ("Variance", ctx.m(inv.variance)),
                 ("Variance %", "n/a" if inv.variance_pct is None else f"{inv.variance_pct * 100:.2f}%"),
                 ("Status", inv.status)]
        value = inv.variance
    elif fld == "premium_leakage":
        formula = "premium_leakage = sum of leakage over the invoice's flagged lines"
        steps = [(f"Line {f.line}: {f.flag.replace('_', ' ')}" + (f" ({f.detail})" if f.detail else ""),
                  ctx.m(f.leakage)) for f in inv.flags]
        steps.append(("Total", ctx.m(inv.premium_leakage)))
        value = inv.premium_leakage
    else:
        raise InputError(f"cannot explain invoice field {fld!r}")
    return ctx.done(title, value, formula, steps, rows, total)


def _explain_tie_out(ctx: _Ctx, tie: TieOut, fld: str) -> Explanation:
    """An export's BilledCost per invoice against the imported invoice, in the billing currency
    (desktop/domain/tieout.py)."""
    cur = tie.currency or "(mixed currencies)"

    def m(x: Decimal | None) -> str:
        return "n/a" if x is None else f"{cents(x):,.2f} {cur}"

    ids = ", ".join(tie.focus_invoice_ids)
    invoices = ", ".join(tie.invoice_ids) or "none imported"
    title = f"Export tie-out {tie.key} ({tie.vendor}): {fld}"
    how = {"invoice_id": "by invoice id", "vendor_period": "by vendor and billing period (no invoice has the id)",
           "unmatched": "no invoice found"}[tie.matched_by]
    steps: list[tuple[str, str]] = [("Export InvoiceId(s)", ids), ("Tied to", f"{invoices} ({how})")]
    if tie.billing_period is not None:
        steps.append(("Billing period starting", tie.billing_period.isoformat()))
    total = None
    if fld == "billed":
        rows = ctx.rows("tie_out", tie.key, "billed")
        formula = ("billed = sum of BilledCost over the export's rows with these InvoiceIds (latest snapshot "
                   "only; every charge category, tax and credits too), as billed")
        total = ctx.total(rows)
        steps.append((f"{len(rows)} export rows", m(tie.billed)))
        value = tie.billed
    elif fld == "invoiced":
        rows = ctx.rows("tie_out", tie.key, "invoiced")
        formula = "invoiced = sum of amount over every line of the tied invoices (tax too), as billed"
        total = ctx.total(rows) if tie.invoice_ids else None
        steps.append((f"{len(rows)} invoice lines", m(tie.invoiced)))
        value = tie.invoiced
    else:
        rows = ctx.rows("tie_out", tie.key, "billed")
        formula = "residual = invoiced - billed (what the invoice bills beyond the export's BilledCost)"
        steps += [("Invoiced (every line)", m(tie.invoiced)), ("Export BilledCost", m(tie.billed)),
                  ("Residual", m(tie.residual))]
        value = tie.residual
    if tie.note:
        steps.append(("Note", tie.note))
    refs, count = prov.source_refs(ctx.a, rows, ctx.max)
    if total is not None:
        steps.append((f"Sum of the {count} source rows", m(total)))
    return Explanation(title, m(value), formula, steps, refs, count, total)


def _explain_budget(ctx: _Ctx, b: BudgetResult, fld: str) -> Explanation:
    t = ctx.a.as_of
    title = f"Budget '{b.allocation}' {b.month}: {fld.replace('_', ' ')}"
    m_start, m_end = month_bounds(b.month)
    rows = ctx.rows("budget", f"{b.allocation}|{b.month}", fld)
    days = ctx.window
    rr_start = t - timedelta(days=days - 1)
    days_after = max(0, (m_end - max(t, m_start - timedelta(days=1))).days)
    total = None
    steps: list[tuple[str, str]] = []
    if fld == "budget":
        formula = "budget of the allocation line (budgets table)"
        steps = [("Budget", ctx.m(b.budget))]
        value = b.budget
    elif fld == "actual":
        formula = f"actual = cost of usage rows with {b.dimension} = '{b.value}' dated in {b.month} up to T"
        total = ctx.total(rows)
        steps = [(f"{len(rows)} usage rows {m_start:%Y-%m-%d}..{min(t, m_end):%Y-%m-%d}", ctx.m(b.actual)),
                 ("Utilization = actual / budget",
                  "n/a" if b.utilization is None else f"{b.utilization * 100:.2f}%")]
        value = b.actual
    elif fld == "run_rate":
        formula = f"run_rate = the line's spend on days T-{days - 1}..T / {days}"
        total = ctx.total(rows)
        steps = [(f"Spend {rr_start:%Y-%m-%d}..{t:%Y-%m-%d} ({len(rows)} rows)", ctx.m(total)),
                 (f"Divided by {days}", ctx.m(b.run_rate))]
        value = b.run_rate
    elif fld == "forecast":
        formula = "forecast = actual + run_rate x days of the month after T (0 when the month has ended)"
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
    else:
        raise InputError(f"cannot explain budget field {fld!r}")
    return ctx.done(title, value, formula, steps, rows, total)


def _explain_chargeback(ctx: _Ctx, line: ChargebackLine) -> Explanation:
    t = ctx.a.as_of
    m_start, m_end = month_bounds(line.month)
    rows = ctx.rows("chargeback", f"{line.month}|{line.cost_center}|{line.gl_account}", "amount")
    total = ctx.total(rows)
    rule = ("usage without a cost center whose team is not in the org map" if line.cost_center == "unallocated"
            else f"usage of cost center {line.cost_center} (its own cost_center, else its team's in the org map)")
    steps = [(f"{len(rows)} usage rows {m_start:%Y-%m-%d}..{min(t, m_end):%Y-%m-%d}", ctx.m(total)),
             ("GL account", line.gl_account),
             ("Invoices of the period", ", ".join(line.invoice_ids) or "none")]
    if total != line.amount:
        steps.append(("Rounding: the month's lines are rounded to add up to the month's total",
                      ctx.m(line.amount - total)))
    return ctx.done(f"Chargeback {line.month} {line.cost_center} / {line.gl_account}", line.amount,
                    f"amount = {rule} dated in {line.month} up to T", steps, rows, total)


def _explain_anomaly(ctx: _Ctx, a: AnomalyResult, fld: str) -> Explanation:
    rows = ctx.rows("anomaly", f"{a.dimension}|{a.value}|{a.date.isoformat()}", fld)
    w_start, w_end = anomalies_mod.window_bounds(ctx.ix, a, ctx.a.settings)
    n_days = max(0, (w_end - w_start).days + 1)
    window = int(getattr(ctx.a.settings, "anomaly_window", 30))
    title = f"Anomaly: {a.dimension} '{a.value}' on {a.date:%Y-%m-%d}: {fld}"
    total = None
    if fld == "spend":
        formula = f"spend = cost of the usage rows of {a.dimension} '{a.value}' dated {a.date:%Y-%m-%d}"
        total = ctx.total(rows)
        steps = [(f"{len(rows)} usage rows", ctx.m(a.spend)), ("z = (spend - mean) / std", f"{a.z:.2f}")]
        value = a.spend
    else:
        formula = (f"{'mean' if fld == 'mean' else 'sample standard deviation'} of the daily spend on the "
                   f"up to {window} days before (days without spend count 0)")
        steps = [(f"Days {w_start:%Y-%m-%d}..{w_end:%Y-%m-%d}", str(n_days)),
                 ("Spend on those days", ctx.m(ctx.total(rows))),
                 ("Mean", ctx.m(a.mean)), ("Standard deviation", ctx.m(a.std)),
                 ("z = (spend - mean) / std", f"{a.z:.2f}")]
        value = getattr(a, fld)
    return ctx.done(title, value, formula, steps, rows, total)


def _pct_text(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def _qty_text(x: float | None, unit: str | None) -> str:
    return "n/a" if x is None else f"{x:,.6g} {unit or ''}".rstrip()


def _explain_discount(ctx: _Ctx, d, fld: str) -> Explanation:
    """A commitment discount's utilization in one month (desktop/domain/commitment_discounts.py)."""
    key = f"{d.commitment_discount_id}|{d.month}"
    rows = ctx.rows("commitment_discount", key, fld)
    what = " ".join(x for x in (d.type, "commitment discount") if x)
    title = f"{what} {d.commitment_discount_id} ({d.vendor}), {d.month}: {fld.replace('_', ' ')}"
    used_n, unused_n = d.used_rows, d.unused_rows
    total = None
    if fld in ("used_cost", "unused_cost", "other_cost"):
        status = {"used_cost": "Used", "unused_cost": "Unused",
                  "other_cost": "neither Used nor Unused (its purchase, fees)"}[fld]
        formula = (f"{fld} = cost of the usage rows whose CommitmentDiscountId is {d.commitment_discount_id} "
                   f"and whose CommitmentDiscountStatus is {status}, dated in {d.month}")
        total = ctx.total(rows)
        steps = [(f"{len(rows)} usage rows", ctx.m(getattr(d, fld)))]
        if fld == "unused_cost":
            steps.append(("This is what the discount cost without covering usage: unused, "
                          "not a shortfall of a contract", ctx.m(d.unused_cost)))
        value = getattr(d, fld)
        return ctx.done(title, value, formula, steps, rows, total)
    if fld == "cost_utilization":
        formula = "cost_utilization = used_cost / (used_cost + unused_cost)"
        steps = [(f"Used ({used_n} rows)", ctx.m(d.used_cost)), (f"Unused ({unused_n} rows)", ctx.m(d.unused_cost)),
                 ("Utilization", _pct_text(d.cost_utilization))]
    elif fld == "quantity_utilization":
        formula = "quantity_utilization = used_quantity / (used_quantity + unused_quantity) (CommitmentDiscountQuantity)"
        steps = [(f"Used ({used_n} rows)", _qty_text(d.used_quantity, d.unit)),
                 (f"Unused ({unused_n} rows)", _qty_text(d.unused_quantity, d.unit)),
                 ("Utilization", _pct_text(d.quantity_utilization))]
    else:
        status = "Used" if fld == "used_quantity" else "Unused"
        formula = (f"{fld} = CommitmentDiscountQuantity of the usage rows whose CommitmentDiscountStatus is "
                   f"{status}, in the discount's unit")
        steps = [(f"{len(rows)} usage rows", _qty_text(getattr(d, fld), d.unit))]
    refs, count = prov.source_refs(ctx.a, rows, ctx.max)
    value_text = (_pct_text(getattr(d, fld)) if fld.endswith("utilization")
                  else _qty_text(getattr(d, fld), d.unit))
    return Explanation(title, value_text, formula, steps, refs, count, None)


def _explain_shift(ctx: _Ctx, w: WorkloadShiftCandidate, fld: str) -> Explanation:
    t = ctx.a.as_of
    days = ctx.window
    start = t - timedelta(days=days - 1)
    rows = ctx.rows("workload_shift", f"{w.contract_id}|{w.basis}|{w.workload}|{w.vendor}", fld)
    spent = ctx.total(rows)
    title = f"Workload '{w.workload}' ({w.vendor}) onto {w.contract_id}: {fld.replace('_', ' ')}"
    steps = [(f"Spend {start:%Y-%m-%d}..{t:%Y-%m-%d} ({len(rows)} rows)", ctx.m(spent)),
             (f"Run rate = spend / {days}", ctx.m(w.run_rate)),
             ("Days left in the contract's periods after T", str(w.days_left)),
             ("Movable spend = run rate x days left", ctx.m(w.movable_spend)),
             ("Covers (greedy down the ranking, period by period)", ctx.m(w.covers)),
             ("Share of the projected shortfall", "n/a" if w.covers_pct is None else f"{w.covers_pct * 100:.1f}%")]
    formula = {"run_rate": f"run_rate = the workload's eligible spend on T-{days - 1}..T / {days}",
               "movable_spend": "movable_spend = run_rate x days left in the term after T",
               "covers": "covers = min(movable spend, shortfall not covered by the workloads ranked above)"}[fld]
    refs, count = prov.source_refs(ctx.a, rows, ctx.max)
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
    rows = None
    total = None
    if fld == "baseline_monthly":
        formula = "baseline = the vendor's eligible usage on T-89..T / days x 30.4375 (or as entered)"
        days = int(getattr(settings, "renewal_baseline_days", 90))
        t = ctx.a.as_of
        rows = ctx.rows("renewal", r.name, fld)
        total = ctx.total(rows)
        win = renewal_mod.baseline_window(renewal_mod.eligible_daily(ctx.ix, r.vendor), t, days)
        first, n = (win[0], win[2]) if win is not None else (t, 1)
        steps = [(f"Eligible {r.vendor} spend {first:%Y-%m-%d}..{t:%Y-%m-%d} ({len(rows)} rows)", ctx.m(total)),
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
    refs, count = prov.source_refs(ctx.a, rows, ctx.max) if rows is not None else ([], 0)
    return Explanation(title, ctx.m(value), formula, steps, refs, count, total)


def _explain_rate_audit(ctx: _Ctx, line, fld: str) -> Explanation:
    """An audit line of the three-way audit (docs/domain.md "Rate audit")."""
    from desktop.domain.rate_audit import audit_key

    rows = ctx.rows("rate_audit", audit_key(line), fld)
    total = ctx.total(rows)
    what = f"{line.model} {line.token_kind} ({line.service_tier})"
    steps = [(f"{len(rows)} {'invoice lines' if fld == 'invoiced' else 'usage rows'} "
              f"{line.period_start:%Y-%m-%d}..{line.period_end:%Y-%m-%d}", ctx.m(total)),
             ("Tokens" + (f" (used at {', '.join(line.used_tiers)})" if line.used_tiers else ""), f"{line.tokens:,}"),
             ("Vendor cost", ctx.m(line.vendor_cost)),
             ("Charged per 1M tokens", line.effective_per_million or "n/a"),
             ("Contracted per 1M tokens" + (f" (rate card {line.rate_card_file} row {line.rate_card_row})"
                                            if line.rate_card_row else ""), line.contracted_per_million or "n/a"),
             ("At the contracted price", ctx.m(line.expected)),
             ("Invoiced on lines naming it", ctx.m(line.invoiced)),
             ("Already flagged on invoice lines", ctx.m(line.flagged_on_lines))]
    formula = {
        "vendor_cost": "vendor cost = the vendor's own cost of the rows",
        "expected": "at contract = tokens x contracted price per token (valid in the billing period)",
        "invoiced": "invoiced = the invoice lines of the period billing this model, token kind and tier",
        "difference": "difference = vendor cost - at contract",
        "leakage": f"leakage = vendor cost - at contract - what invoice-line flags already count "
                   f"({line.flag or 'no flag'})",
    }[fld]
    return ctx.done(f"Rate audit {line.vendor} {what} {line.period_start:%Y-%m-%d}..{line.period_end:%Y-%m-%d}: "
                    f"{fld}", getattr(line, fld), formula, steps, rows,
                    total if fld in ("vendor_cost", "invoiced") else None)


def _explain_unit_price(ctx: _Ctx, u) -> Explanation:
    from desktop.domain.rate_audit import unit_price_key

    rows = ctx.rows("unit_price", unit_price_key(u), "cost")
    total = ctx.total(rows)
    steps = [(f"{len(rows)} usage rows up to {ctx.a.as_of:%Y-%m-%d}", ctx.m(total)), ("Tokens", f"{u.tokens:,}"),
             ("Effective per 1M tokens", u.effective_per_million or "n/a"),
             ("Contracted per 1M tokens", u.contracted_per_million or "n/a"),
             ("List per 1M tokens", u.list_per_million or "n/a")]
    return ctx.done(f"Price per 1M tokens: {u.vendor} {u.model} {u.token_kind} ({u.service_tier})", u.cost,
                    "effective per 1M = cost / tokens x 1,000,000", steps, rows, total)


def explain(analysis: Analysis, kind: str, key: str, field: str, max_sources: int = MAX_SOURCES) -> Explanation:
    """How ``field`` of the ``kind`` result named ``key`` was computed. Unknown kinds, keys or
    fields raise InputError (the GUI shows the message)."""
    if kind not in KINDS:
        raise InputError(f"cannot explain {kind!r}; kinds are {', '.join(KINDS)}")
    if field not in KINDS[kind]:
        raise InputError(f"cannot explain {kind} field {field!r}; fields are {', '.join(KINDS[kind])}")
    ctx = _Ctx(analysis, max_sources)
    if kind == "contract":
        return _explain_contract(ctx, prov.contract(analysis, key), field)
    if kind == "period":
        cid, _, start = key.rpartition("|")
        c = prov.contract(analysis, cid)
        return _explain_period(ctx, c, prov.period(c, start), field)
    if kind == "invoice":
        return _explain_invoice(ctx, prov.invoice(analysis, key), field)
    if kind == "anomaly":
        return _explain_anomaly(ctx, prov.anomaly(analysis, key), field)
    if kind == "workload_shift":
        return _explain_shift(ctx, prov.shift_candidate(analysis, key), field)
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
        return _explain_chargeback(ctx, prov.chargeback_line(analysis, key))
    if kind == "rate_audit":
        return _explain_rate_audit(ctx, prov.audit_line(analysis, key), field)
    if kind == "unit_price":
        return _explain_unit_price(ctx, prov.unit_price(analysis, key))
    if kind == "tie_out":
        return _explain_tie_out(ctx, prov.tie_out(analysis, key), field)
    if kind == "commitment_discount":
        return _explain_discount(ctx, prov.discount(analysis, key), field)
    return _explain_budget(ctx, prov.budget(analysis, key), field)
