"""Result types of an Analysis. Frozen dataclasses; money is Decimal rounded to cents,
ratios are floats (None where undefined), dates are ``datetime.date``.

Field names and order follow the ``analyze`` JSON of docs/domain.md; fields after the contract's
ones are extras used by the GUI and the brief. The JSON carries every field, the contract's keys
first (desktop/domain/report.py walks the fields: a field added here is in the JSON too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

# the vocabularies of the str fields below (band, outcome, status, severity, alert_tier, flag ...)
# and their labels live in desktop.domain.vocabulary


@dataclass(frozen=True)
class SourceRef:
    """One source row behind a figure: for 'explain this number'."""

    file: str
    row: int


@dataclass(frozen=True)
class Quantities:
    """A usage commitment's figures in its own unit (desktop/domain/contracts.py): committed
    quantity, consumed (the rows drawing it down that are in ``unit``), expected, projected,
    shortfall and overage, rounded to 2 decimals; run_rate per day (contracts only)."""

    unit: str
    committed: float
    consumed: float
    expected: float
    projected: float
    shortfall: float
    overage: float
    carry_in: float = 0.0
    carry_out: float = 0.0
    run_rate: float | None = None  # per day (contracts only)
    required_run_rate: float | None = None  # per day to meet the commitment (contracts only)


@dataclass(frozen=True)
class PeriodResult:
    period_start: date
    period_end: date
    commitment: Decimal
    carry_in: Decimal
    consumed: Decimal
    expected: Decimal
    pacing_ratio: float | None
    projected: Decimal
    shortfall: Decimal
    carry_out: Decimal
    shortfall_penalty: Decimal
    overage: Decimal
    overage_premium: Decimal
    # extras
    days: int = 0
    elapsed_days: int = 0
    status: str = "current"  # ended | current | future
    band: str | None = None  # None once the period has ended: its outcome says what it came to
    outcome: str | None = None  # vocabulary.OUTCOMES; None while the period runs
    outcome_text: str | None = None  # "ended: shortfall 27,903.38 owed", "ended: met" ...
    # "spend": measured in money; "usage": in ``quantity.unit`` (pacing, band, shortfall and
    # overage from quantities; the money figures of shortfall/overage are those quantities at
    # the commitment's price per unit; consumed/expected/projected stay the money of the rows)
    measure: str = "spend"
    quantity: Quantities | None = None


@dataclass(frozen=True)
class ContractResult:
    contract_id: str
    vendor: str
    term_start: date
    term_end: date
    commitment: Decimal
    consumed_to_date: Decimal
    expected_to_date: Decimal
    pacing_ratio: float | None
    band: str | None
    run_rate: Decimal
    required_run_rate: Decimal | None
    projected_consumption: Decimal
    shortfall_exposure: Decimal
    overage: Decimal
    overage_premium: Decimal
    periods: tuple[PeriodResult, ...]
    # extras
    currency: str = "USD"
    escalation_to: str | None = None  # who the band escalates to (owner or escalation_owner)
    owner: str | None = None
    escalation_owner: str | None = None
    clause: str | None = None
    smoothed_run_rate: Decimal | None = None  # exponential smoothing, shown beside run_rate
    days_left: int = 0
    # once the term has ended (every period ended): band None, and what the term came to
    outcome: str | None = None  # vocabulary.OUTCOMES
    outcome_text: str | None = None
    measure: str = "spend"  # spend | usage (see PeriodResult.measure)
    quantity: Quantities | None = None
    status: str = "active"  # active | expired (a proposed contract has no figures: contracts.py)


@dataclass(frozen=True)
class InvoiceFlag:
    line: int
    flag: str
    leakage: Decimal
    owner: str | None
    # extras
    file: str = ""
    description: str | None = None
    amount: Decimal | None = None
    detail: str = ""
    earlier_invoices: tuple[str, ...] = ()  # double_billing: the invoices that billed it first
    # where the money was found: "invoice" (a line or the invoice) or "usage" (the rate audit of
    # the usage the invoice bills: inside expected, so not part of the variance)
    found_in: str = "invoice"


@dataclass(frozen=True)
class InvoiceResult:
    invoice_id: str
    vendor: str
    period_start: date
    period_end: date
    invoiced: Decimal
    expected: Decimal
    variance: Decimal
    variance_pct: float | None
    status: str
    tax: Decimal
    premium_leakage: Decimal
    flags: tuple[InvoiceFlag, ...]
    # extras
    invoice_date: date | None = None
    contract_id: str | None = None
    period_inferred: bool = False  # billing period taken as the month before invoice_date
    currency: str = "USD"
    notes: tuple[str, ...] = ()
    # the vendor-period it is reconciled in (docs/domain.md "Invoices")
    expected_basis: str = "period"  # period | lines | pro_rata
    covers: tuple[str, ...] = ()  # "model:<key>" / "meter:<key>" its usage lines name
    covered_by_others: tuple[str, ...] = ()  # covers of the period's other invoices left out of its rows
    period_invoices: tuple[str, ...] = ()  # the invoices of its vendor-period, earliest first
    period_expected: Decimal | None = None  # usage of the vendor-period
    period_invoiced: Decimal | None = None  # sum of invoiced over the vendor-period's invoices
    shared_expected: Decimal | None = None  # pro_rata: the usage the pro-rata invoices share
    contract_unknown: bool = False  # contract_id names no contract: reconciled with the vendor
    # currencies (docs/domain.md "Invoices: currencies and dates")
    invoice_currency: str | None = None  # the currency its lines are billed in (None: mixed)
    fx_rate: str | None = None  # rate of invoice_currency to the reporting currency, when they differ
    fx_date: date | None = None  # the day that rate is valid on: the billing period end
    compared_in: str = "USD"  # the currency status and variance_pct are judged in
    expected_in: Decimal | None = None  # expected, invoiced and variance in compared_in when it is not
    invoiced_in: Decimal | None = None  # the reporting currency (invoice and usage in one currency)
    variance_in: Decimal | None = None


@dataclass(frozen=True)
class BudgetResult:
    allocation: str
    month: str
    budget: Decimal
    actual: Decimal
    utilization: float | None
    forecast: Decimal
    variance: Decimal
    variance_pct: float | None
    severity: str
    alert_tier: str
    # extras
    dimension: str = ""
    value: str = ""
    run_rate: Decimal = Decimal("0.00")
    spike: bool = False
    previous_actual: Decimal | None = None
    response: str = ""  # e.g. "root-cause analysis due within 24 h"
    rca_due: date | None = None  # T + 24 h / 72 h as a date; None for weekly review / none
    owner: str | None = None
    containment_owner: str | None = None
    escalation_owner: str | None = None
    vendor: str | None = None
    cost_center: str | None = None
    gl_account: str | None = None
    monitoring: bool = False  # under daily monitoring (run rate not back under pace 3 days running)


@dataclass(frozen=True)
class AnomalyResult:
    dimension: str  # team | vendor | model
    value: str
    date: date
    spend: Decimal
    mean: Decimal
    std: Decimal
    z: float


@dataclass(frozen=True)
class ImportIssue:
    row: int | None
    column: str | None
    message: str
    value: str | None = None


@dataclass(frozen=True)
class ImportReport:
    file: str
    kind: str  # usage | invoices | commitments | budgets | rate_card | org_map | fx_rates
    format: str  # e.g. "canonical-csv", "openai-cost-export", "focus-1.0"
    rows_read: int
    rows_imported: int
    rows_rejected: int
    errors: tuple[ImportIssue, ...] = ()
    # extras (issue 3)
    format_reason: str = ""
    totals_excluded: int = 0
    duplicates_flagged: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    warnings: tuple[str, ...] = ()
    # read from a warehouse (desktop/ingest/warehouse.py): the URL without credentials, and the
    # query text sent there (the rollup, in the engine's dialect); None for a file
    source_url: str | None = None
    query: str | None = None


@dataclass(frozen=True)
class WorkloadShiftCandidate:
    contract_id: str
    workload: str
    basis: str  # workload | project | model
    vendor: str
    run_rate: Decimal
    days_left: int
    movable_spend: Decimal  # run_rate x days left in the term
    covers: Decimal  # min(movable_spend, remaining shortfall)
    covers_pct: float | None  # covers / projected shortfall


@dataclass(frozen=True)
class ChargebackLine:
    month: str
    gl_account: str
    cost_center: str
    amount: Decimal
    invoice_ids: tuple[str, ...]
    currency: str = "USD"


@dataclass(frozen=True)
class RoiResult:
    benefit: Decimal
    cost: Decimal
    net_benefit: Decimal
    roi: float | None
    payback_months: float | None
    cost_per_unit: Decimal | None
    npv: Decimal | None


@dataclass(frozen=True)
class RenewalRow:
    commit_level: Decimal
    discount_pct: float
    expected_cost: Decimal
    savings: Decimal
    p_shortfall: float
    expected_shortfall: Decimal
    expected_overage_premium: Decimal
    least_cost: bool = False
    safe_max: bool = False  # largest K with P(shortfall) <= max probability


@dataclass(frozen=True)
class RenewalScenarioResult:
    name: str
    vendor: str
    baseline_monthly: Decimal
    growth: float
    growth_sd: float
    term_months: int
    rows: tuple[RenewalRow, ...]
    on_demand_cost: Decimal
    recommended_least_cost: Decimal | None
    recommended_safe: Decimal | None
    # extras: the contract terms the table used (None: not recorded; the brief then reads them
    # from the vendor's latest commitment period, as default_renewal_inputs does)
    overage_multiplier: float | None = None
    shortfall_penalty_pct: float | None = None


@dataclass(frozen=True)
class SnapshotDrop:
    """An earlier snapshot of a provider export left out because a later delivery of the same
    billing period replaces it (desktop/domain/snapshots.py, docs/domain.md "Export snapshots")."""

    file: str  # the superseded file: its rows of this billing period are left out
    kept_file: str  # the later delivery whose rows are kept
    vendor: str
    billing_account: str | None
    billing_period: date  # the first day of the billing period
    rows: int  # rows left out
    amount: Decimal | None  # their cost (the analysis cost basis) as billed, in ``currency`` (None: several)
    currency: str | None
    decided_by: str  # export_time | later_data | import_order (vocabulary.SNAPSHOT_RULES)
    detail: str  # the whole story in words (also in the warnings and the file's import report)


@dataclass(frozen=True)
class TieOut:
    """A provider export's BilledCost per invoice tied to the imported invoice
    (desktop/domain/tieout.py, docs/domain.md "Export tie-out")."""

    key: str  # the export's InvoiceId; "vendor|YYYY-MM-DD" for a vendor-period of unmatched ids
    vendor: str
    billing_period: date | None  # first day of the export's billing period (None: not given)
    focus_invoice_ids: tuple[str, ...]  # the export's InvoiceIds behind it
    invoice_ids: tuple[str, ...]  # the imported invoices it is tied to
    matched_by: str  # invoice_id | vendor_period | none (vocabulary.TIE_MATCHES)
    currency: str | None  # the billing currency both sides are compared in (None: mixed)
    billed: Decimal  # sum of the export rows' BilledCost (as billed)
    rows: int
    invoiced: Decimal | None  # every line of the tied invoices (tax too), as billed
    residual: Decimal | None  # invoiced - billed; None without an invoice or in mixed currencies
    status: str  # tied | residual | no_invoice | mixed_currency (vocabulary.TIE_STATUSES)
    note: str = ""
    files: tuple[str, ...] = ()  # the export files of its rows


@dataclass(frozen=True)
class Finding:
    """Something that needs a person. The store turns findings into actions (issue 4)."""

    key: str  # stable across recomputes: e.g. "budget:Team Search:2026-10"
    kind: str  # budget | contract | invoice_flag | invoice_variance | anomaly
    severity: str  # high | medium | low
    title: str
    owner: str | None
    due: date | None
    detail: str = ""
    ref: dict[str, Any] = field(default_factory=dict)
    # the money at stake (desktop/domain/actions.py, docs/domain.md "Money at stake"): what acting
    # on the finding can still save or recover, in the analysis currency; 0.00 when none
    at_stake: Decimal = Decimal("0.00")
    stake_kind: str = ""  # vocabulary.STAKE_KINDS, "" when at_stake is 0



@dataclass(frozen=True)
class Analysis:
    as_of: date
    currency: str
    contracts: tuple[ContractResult, ...]
    invoices: tuple[InvoiceResult, ...]
    budgets: tuple[BudgetResult, ...]
    anomalies: tuple[AnomalyResult, ...]
    imports: tuple[ImportReport, ...]
    # extras
    workload_shift: tuple[WorkloadShiftCandidate, ...] = ()
    chargeback: tuple[ChargebackLine, ...] = ()
    renewal: tuple[RenewalScenarioResult, ...] = ()
    findings: tuple[Finding, ...] = ()
    warnings: tuple[str, ...] = ()  # e.g. rows without FX rate, invoices with inferred periods
    # the three-way audit and the unit-economics table (desktop/domain/rate_audit.py RateAuditLine,
    # UnitPrice; docs/domain.md "Rate audit")
    rate_audit: tuple = ()
    unit_prices: tuple = ()
    settings: Any = None  # the Settings used
    # the usage frame as analysed: canonical usage converted to the reporting currency (rows
    # without an FX rate removed and reported in warnings), plus column ``_contract`` (string,
    # the contract_id the row draws down, NA when none). For charts, tables, explain, brief data.
    usage: Any = None
    inputs: Any = None  # the Inputs the analysis was built from
    # the UsageIndex over ``usage`` (desktop/domain/usage_index.py): the rows behind every figure
    # are positions in ``usage`` found through it (desktop/domain/provenance.py)
    index: Any = field(default=None, compare=False, repr=False)
    # the invoice lines as analysed: canonical lines in the reporting currency (lines without an
    # FX rate removed and reported), in input order; positions in it are the rows behind invoiced,
    # tax and premium_leakage
    invoice_lines: Any = field(default=None, compare=False, repr=False)
    # the RenewalInputs the renewal scenarios were run from (the defaults derived from the
    # converted commitments and the usage, or what the caller passed): the Renewal page edits
    # these instead of deriving them again
    renewal_inputs: tuple = field(default=(), compare=False, repr=False)
    # earlier snapshots of a provider export left out, and the export's BilledCost per invoice tied
    # to the imported invoices (docs/domain.md "Export snapshots", "Export tie-out")
    snapshots: tuple[SnapshotDrop, ...] = ()
    tie_outs: tuple[TieOut, ...] = ()
    # utilization of commitment discounts (RIs, savings plans) per discount and month
    # (desktop/domain/commitment_discounts.py DiscountUtilization)
    commitment_discounts: tuple = ()
    # each running active contract's notice deadline (desktop/domain/calendar.py NoticeDeadline)
    notice_deadlines: tuple = ()
