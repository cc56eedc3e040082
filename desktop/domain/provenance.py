"""The rows behind every figure, asked of the module that computes it.

``figure_rows(analysis, kind, key, field)`` returns the Rows (a table and positions in it) that a
figure is made of. It owns no rule: each branch calls the selector of the computing module
(contracts.consumed_rows, budgets.actual_rows, invoices.expected_rows, chargeback.line_rows ...),
which reads the same UsageIndex masks as the figure itself. Explain, chart clicks, drill-downs,
the brief and ``python -m desktop explain`` all come here; nobody derives "which rows make up
this number" a second time.

``row_figures(analysis)`` lists every figure that is a total of source rows, with its rows: the
``explain`` command prints them and a property test checks that each one's rows add up to it:
to the cent, except chargeback lines, whose month is rounded as a whole (allocate_cents) so a
line is within a cent of its rows (docs/domain.md "Explain: the rows behind a figure").

Kinds and keys are those of desktop/domain/explain.py: contract (contract_id), period
(contract_id|YYYY-MM-DD), invoice (invoice_id), budget (allocation|YYYY-MM), chargeback
(YYYY-MM|cost_center|gl_account), anomaly (dimension|value|YYYY-MM-DD), workload_shift
(contract_id|basis|workload|vendor), renewal (scenario name), commitment_discount
(commitment discount id|YYYY-MM).

Tables: ``usage`` (positions in analysis.usage, money column cost), ``invoice_lines`` (in
analysis.invoice_lines, amount), ``commitments`` and ``budgets`` (in analysis.inputs' tables,
no money total).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import anomalies as anomalies_mod
from desktop.domain import budgets as budgets_mod
from desktop.domain import chargeback as chargeback_mod
from desktop.domain import commitment_discounts as discounts_mod
from desktop.domain import contracts as contracts_mod
from desktop.domain import invoices as invoices_mod
from desktop.domain import rate_audit as audit_mod
from desktop.domain import renewal as renewal_mod
from desktop.domain import roi as roi_mod
from desktop.domain import tieout as tieout_mod
from desktop.domain import workload_shift as shift_mod
from desktop.domain.errors import InputError
from desktop.domain.money import cents, from_micros, money_sum
from desktop.domain.results import (
    Analysis,
    AnomalyResult,
    BudgetResult,
    ChargebackLine,
    ContractResult,
    InvoiceResult,
    PeriodResult,
    SourceRef,
    TieOut,
    WorkloadShiftCandidate,
)
from desktop.domain.settings import DEFAULT_SETTINGS
from desktop.domain.usage_index import UsageIndex

MONEY_COLUMN = {"usage": "cost", "invoice_lines": "amount"}
_NONE = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Rows:
    """Positions (sorted, int64) in one table of the analysis."""

    table: str
    positions: np.ndarray
    money: str | None = None  # the money column of their total when not the table's (MONEY_COLUMN)

    @property
    def money_column(self) -> str | None:
        return self.money or MONEY_COLUMN.get(self.table)

    def __len__(self) -> int:
        return len(self.positions)


@dataclass(frozen=True)
class Figure:
    """A figure that is a total of source rows."""

    section: str  # contracts | periods | invoices | budgets | chargeback | anomalies
    id: str  # the result's id in that section (docs/domain.md)
    kind: str  # the explain kind
    key: str  # the explain key
    field: str
    value: Decimal
    rows: Rows
    exact: bool = True  # False: within a cent of its rows (chargeback allocation)


# --- tables ------------------------------------------------------------------------------------

def index_of(analysis: Analysis) -> UsageIndex:
    """The analysis' usage index (an Analysis built by hand without one gets a fresh index)."""
    if analysis.index is not None:
        return analysis.index
    from desktop.domain.tables import empty
    return UsageIndex(analysis.usage if analysis.usage is not None else empty("usage"))


def org_of(analysis: Analysis) -> pd.DataFrame | None:
    """The org map the analysis resolved cost centers and GL accounts with."""
    return analysis.inputs.org_map if analysis.inputs is not None else None


def table(analysis: Analysis, name: str) -> pd.DataFrame:
    if name == "usage":
        return index_of(analysis).frame
    if name == "invoice_lines":
        if analysis.invoice_lines is not None:
            return analysis.invoice_lines
        inputs = analysis.inputs
        if inputs is None or inputs.invoices.empty:
            from desktop.domain.tables import empty
            return empty("invoices")
        # an Analysis assembled by hand: the lines as build_analysis would have converted them
        return invoices_mod.convert_lines(inputs.invoices, inputs.fx_rates, analysis.settings or DEFAULT_SETTINGS)[0]
    inputs = analysis.inputs
    frame = getattr(inputs, name, None) if inputs is not None else None
    if frame is None:
        from desktop.domain.tables import empty
        return empty(name)
    return frame


def frame(analysis: Analysis, rows: Rows) -> pd.DataFrame:
    """The source rows themselves (in position order)."""
    return table(analysis, rows.table).iloc[rows.positions]


def total(analysis: Analysis, rows: Rows) -> Decimal | None:
    """The rows' money total rounded half-up to cents once (None for tables without money)."""
    col = rows.money_column
    if col is None:
        return None
    t = table(analysis, rows.table)
    if not len(rows) or col not in t.columns:
        return cents(Decimal(0))
    return cents(from_micros(money_sum(t[col].to_numpy(dtype=np.int64)[rows.positions])))


def refs(analysis: Analysis, rows: Rows, limit: int | None = None) -> tuple[list[SourceRef], int]:
    """(SourceRef per row in file/row order, at most ``limit``; the number of rows)."""
    if rows is None or not len(rows):
        return [], 0
    f = table(analysis, rows.table).iloc[rows.positions][["_file", "_row"]]
    f = f.sort_values(["_file", "_row"], kind="stable")
    head = f if limit is None else f.head(limit)
    return [SourceRef(str(a), int(b)) for a, b in zip(head["_file"], head["_row"], strict=True)], len(f)


SOURCE_LIMIT = 1_000  # source rows fetched behind a rollup figure when no limit is given


def source_refs(analysis: Analysis, rows: Rows, limit: int | None = None) -> tuple[list[SourceRef], int]:
    """Like ``refs``, for what a person reads as "the source rows": when the analysis' usage is
    a daily rollup (a workspace: ``inputs.usage_rows``), the file rows behind the rollup rows,
    fetched by the rollup rows' keys where they lie (bounded by ``limit``, default SOURCE_LIMIT),
    and their number (the rollup rows' ``source_rows``). Chart clicks keep ``refs``: they point at
    rows of the analysis' own usage table."""
    src = getattr(analysis.inputs, "usage_rows", None) if analysis.inputs is not None else None
    if rows is None or rows.table != "usage" or src is None or not len(rows):
        return refs(analysis, rows, limit)
    t = table(analysis, "usage").iloc[rows.positions]
    count = int(t["source_rows"].sum()) if "source_rows" in t.columns else len(t)
    got = src.source_refs(t["_row"].to_numpy(dtype=np.int64), SOURCE_LIMIT if limit is None else limit)
    return [SourceRef(f, r) for f, r in got], count


def source_frame(analysis: Analysis, rows: Rows, limit: int | None = None) -> tuple[pd.DataFrame, int] | None:
    """The file rows behind usage ``rows`` when the analysis' usage is a daily rollup (a
    workspace): every column as stored (cost in the row's own currency), in file/row order, at
    most ``limit`` (default SOURCE_LIMIT), and how many there are in all. None when the usage
    holds the rows themselves (then ``frame`` is the answer)."""
    src = getattr(analysis.inputs, "usage_rows", None) if analysis.inputs is not None else None
    if rows is None or rows.table != "usage" or src is None:
        return None
    t = table(analysis, "usage").iloc[rows.positions]
    count = int(t["source_rows"].sum()) if "source_rows" in t.columns else len(t)
    got = src.source_frame(t["_row"].to_numpy(dtype=np.int64), SOURCE_LIMIT if limit is None else limit)
    return got, count


def sources(analysis: Analysis, rows: Rows) -> list[dict]:
    """[{file, row, amount}] for every row (amount: the row's money in the reporting currency,
    two decimals as text, or None), in file/row order."""
    t = table(analysis, rows.table).iloc[rows.positions]
    col = rows.money_column
    out = []
    for f, r, m in zip(t["_file"], t["_row"], t[col] if col in t.columns else [None] * len(t), strict=True):
        out.append({"file": str(f), "row": int(r),
                    "amount": None if m is None else f"{cents(from_micros(int(m))):.2f}"})
    out.sort(key=lambda d: (d["file"], d["row"]))
    return out


# --- finding results by key --------------------------------------------------------------------

def contract(analysis: Analysis, cid: str) -> ContractResult:
    for c in analysis.contracts:
        if c.contract_id == cid:
            return c
    raise InputError(f"no contract {cid!r} in this analysis")


def period(c: ContractResult, start: str) -> PeriodResult:
    for p in c.periods:
        if p.period_start.isoformat() == start:
            return p
    raise InputError(f"contract {c.contract_id!r} has no commit period starting {start}")


def invoice(analysis: Analysis, invoice_id: str) -> InvoiceResult:
    for inv in analysis.invoices:
        if inv.invoice_id == invoice_id:
            return inv
    raise InputError(f"no invoice {invoice_id!r} in this analysis")


def audit_line(analysis: Analysis, key: str):
    for line in analysis.rate_audit:
        if audit_mod.audit_key(line) == key:
            return line
    raise InputError(f"no rate-audit line {key!r}")


def unit_price(analysis: Analysis, key: str):
    for u in analysis.unit_prices:
        if audit_mod.unit_price_key(u) == key:
            return u
    raise InputError(f"no unit-price row {key!r}")


def tie_out(analysis: Analysis, key: str) -> TieOut:
    for t in analysis.tie_outs:
        if t.key == key:
            return t
    raise InputError(f"no export tie-out {key!r} in this analysis")


def budget(analysis: Analysis, key: str) -> BudgetResult:
    allocation, _, month = key.rpartition("|")
    for b in analysis.budgets:
        if b.allocation == allocation and b.month == month:
            return b
    raise InputError(f"no budget line {allocation!r} for {month}")


def chargeback_line(analysis: Analysis, key: str) -> ChargebackLine:
    parts = key.split("|")
    if len(parts) != 3:
        raise InputError(f"chargeback key {key!r} is not 'YYYY-MM|cost_center|gl_account'")
    for line in analysis.chargeback:
        if (line.month, line.cost_center, line.gl_account) == tuple(parts):
            return line
    raise InputError(f"no chargeback line {key!r}")


def anomaly(analysis: Analysis, key: str) -> AnomalyResult:
    dim, _, rest = key.partition("|")
    value, _, day = rest.rpartition("|")
    for a in analysis.anomalies:
        if a.dimension == dim and a.value == value and a.date.isoformat() == day:
            return a
    raise InputError(f"no anomaly {key!r}")


def shift_candidate(analysis: Analysis, key: str) -> WorkloadShiftCandidate:
    parts = key.split("|")
    if len(parts) != 4:
        raise InputError(f"workload key {key!r} is not 'contract_id|basis|workload|vendor'")
    for w in analysis.workload_shift:
        if (w.contract_id, w.basis, w.workload, w.vendor) == tuple(parts):
            return w
    raise InputError(f"no workload-shift candidate {key!r}")


def discount(analysis: Analysis, key: str):
    """The DiscountUtilization of 'commitment discount id|YYYY-MM'."""
    did, _, month = key.rpartition("|")
    for d in analysis.commitment_discounts:
        if d.commitment_discount_id == did and d.month == month:
            return d
    raise InputError(f"no commitment discount {did!r} in {month}")


def _commitment_rows(analysis: Analysis, cid: str, start=None) -> Rows:
    com = table(analysis, "commitments")
    if com.empty:
        return Rows("commitments", _NONE)
    mask = (com["contract_id"].astype("string") == cid).fillna(False).to_numpy(dtype=bool)
    if start is not None:
        mask &= (com["period_start"] == pd.Timestamp(start)).to_numpy(dtype=bool)
    return Rows("commitments", np.flatnonzero(mask).astype(np.int64))


def _budget_table_rows(analysis: Analysis, b: BudgetResult) -> Rows:
    bud = table(analysis, "budgets")
    if bud.empty:
        return Rows("budgets", _NONE)
    mask = ((bud["allocation"].astype("string") == b.allocation)
            & (bud["month"].astype("string").str.strip() == b.month)).fillna(False).to_numpy(dtype=bool)
    return Rows("budgets", np.flatnonzero(mask).astype(np.int64))


def _union(*parts: np.ndarray) -> np.ndarray:
    return np.unique(np.concatenate(parts)) if parts else _NONE


# --- the selector of each figure ---------------------------------------------------------------

def figure_rows(analysis: Analysis, kind: str, key: str, field: str) -> Rows:
    """The rows behind ``field`` of the ``kind`` result named ``key`` (InputError when there is
    no such result). Figures computed from other figures (variance, exposure ...) get the rows of
    the figures they are computed from."""
    ix = index_of(analysis)
    t = analysis.as_of
    window = int(getattr(analysis.settings, "run_rate_days", 14))

    def usage(pos: np.ndarray) -> Rows:
        return Rows("usage", pos)

    if kind == "contract":
        c = contract(analysis, key)
        if field == "consumed_to_date":
            return usage(contracts_mod.consumed_rows(ix, c, t))
        if field == "run_rate":
            return usage(contracts_mod.run_rate_rows(ix, c, t, window))
        if field == "projected_consumption":
            return usage(_union(contracts_mod.consumed_rows(ix, c, t), contracts_mod.run_rate_rows(ix, c, t, window)))
        return _commitment_rows(analysis, c.contract_id)
    if kind == "period":
        cid, _, start = key.rpartition("|")
        c = contract(analysis, cid)
        p = period(c, start)
        if field == "consumed":
            return usage(contracts_mod.consumed_rows(ix, c, t, p))
        if field == "projected":
            own = contracts_mod.consumed_rows(ix, c, t, p)
            return usage(own if p.period_end <= t else _union(own, contracts_mod.run_rate_rows(ix, c, t, window)))
        return _commitment_rows(analysis, c.contract_id, p.period_start)
    if kind == "invoice":
        inv = invoice(analysis, key)
        if field in ("expected", "shared_expected"):
            return usage(invoices_mod.expected_rows(ix, inv))
        if field in ("invoiced", "tax", "premium_leakage"):
            return Rows("invoice_lines", invoices_mod.line_rows(table(analysis, "invoice_lines"), inv, field))
        return Rows("invoice_lines", invoices_mod.line_rows(table(analysis, "invoice_lines"), inv, "all"))
    if kind == "rate_audit":
        line = audit_line(analysis, key)
        if field == "invoiced":
            return Rows("invoice_lines", audit_mod.audit_invoice_rows(table(analysis, "invoice_lines"),
                                                                      analysis.invoices, line))
        return usage(audit_mod.audit_rows(ix, line))
    if kind == "unit_price":
        return usage(audit_mod.unit_price_rows(ix, unit_price(analysis, key), t))
    if kind == "tie_out":
        tie = tie_out(analysis, key)
        if field == "invoiced":
            return Rows("invoice_lines", tieout_mod.invoiced_rows(table(analysis, "invoice_lines"), tie),
                        tieout_mod.INVOICED_MONEY)
        billed = Rows("usage", tieout_mod.billed_rows(ix.frame, tie), tieout_mod.BILLED_MONEY)
        return billed  # billed, and the residual's export side (its invoice side: field invoiced)
    if kind == "budget":
        b = budget(analysis, key)
        if field == "actual":
            return usage(budgets_mod.actual_rows(ix, b, t, org_of(analysis)))
        if field == "run_rate":
            return usage(budgets_mod.run_rate_rows(ix, b, t, window, org_of(analysis)))
        if field in ("forecast", "variance"):
            return usage(_union(budgets_mod.actual_rows(ix, b, t, org_of(analysis)), budgets_mod.run_rate_rows(ix, b, t, window, org_of(analysis))))
        return _budget_table_rows(analysis, b)
    if kind == "chargeback":
        line = chargeback_line(analysis, key)
        org = analysis.inputs.org_map if analysis.inputs is not None else None
        return usage(chargeback_mod.line_rows(ix, org, line, t))
    if kind == "anomaly":
        a = anomaly(analysis, key)
        if field == "spend":
            return usage(anomalies_mod.anomaly_rows(ix, a))
        start, end = anomalies_mod.window_bounds(ix, a, analysis.settings)
        return usage(anomalies_mod.anomaly_rows(ix, a, start, end))
    if kind == "workload_shift":
        return usage(shift_mod.candidate_rows(ix, shift_candidate(analysis, key), t, analysis.settings))
    if kind == "commitment_discount":
        d = discount(analysis, key)
        return usage(discounts_mod.utilization_rows(ix, d.commitment_discount_id, d.month, field))
    if kind == "renewal":
        name = key.rpartition("|")[0] if "|" in key and field not in ("baseline_monthly", "on_demand_cost") else key
        for r in analysis.renewal:
            if r.name == name:
                days = int(getattr(analysis.settings, "renewal_baseline_days", 90))
                return usage(renewal_mod.baseline_rows(ix, r.vendor, t, days))
        raise InputError(f"no renewal scenario {name!r}")
    if kind == "roi_run_cost":  # key "dimension|value|YYYY-MM" (the ROI page's run cost from usage)
        dimension, _, rest = key.partition("|")
        value, _, month = rest.rpartition("|")
        return usage(roi_mod.run_cost_rows(ix, dimension, value, month))
    raise InputError(f"no rows for {kind!r}")


def row_figures(analysis: Analysis) -> Iterator[Figure]:
    """Every figure that is a total of source rows, with its rows (see the module docstring)."""
    ix = index_of(analysis)
    t = analysis.as_of
    for c in analysis.contracts:
        yield Figure("contracts", c.contract_id, "contract", c.contract_id, "consumed_to_date",
                     c.consumed_to_date, Rows("usage", contracts_mod.consumed_rows(ix, c, t)))
        for p in c.periods:
            key = f"{c.contract_id}|{p.period_start.isoformat()}"
            yield Figure("periods", f"{c.contract_id}/{p.period_start.isoformat()}", "period", key, "consumed",
                         p.consumed, Rows("usage", contracts_mod.consumed_rows(ix, c, t, p)))
    lines = table(analysis, "invoice_lines")
    for inv in analysis.invoices:
        # a pro-rata share is a part of the rows' total (shared_expected), not a total of rows
        fld, value = (("shared_expected", inv.shared_expected) if inv.expected_basis == "pro_rata"
                      else ("expected", inv.expected))
        yield Figure("invoices", inv.invoice_id, "invoice", inv.invoice_id, fld, value,
                     Rows("usage", invoices_mod.expected_rows(ix, inv)))
        for fld in ("invoiced", "tax"):
            yield Figure("invoices", inv.invoice_id, "invoice", inv.invoice_id, fld, getattr(inv, fld),
                         Rows("invoice_lines", invoices_mod.line_rows(lines, inv, fld)))
    for line in analysis.rate_audit:
        key = audit_mod.audit_key(line)
        yield Figure("rate_audit", key.replace("|", "/"), "rate_audit", key, "vendor_cost", line.vendor_cost,
                     Rows("usage", audit_mod.audit_rows(ix, line)))
        if line.invoiced is not None:
            yield Figure("rate_audit", key.replace("|", "/"), "rate_audit", key, "invoiced", line.invoiced,
                         Rows("invoice_lines", audit_mod.audit_invoice_rows(lines, analysis.invoices, line)))
    for u in analysis.unit_prices:
        key = audit_mod.unit_price_key(u)
        yield Figure("unit_prices", key.replace("|", "/"), "unit_price", key, "cost", u.cost,
                     Rows("usage", audit_mod.unit_price_rows(ix, u, t)))
    for tie in analysis.tie_outs:
        yield Figure("tie_outs", tie.key, "tie_out", tie.key, "billed", tie.billed,
                     Rows("usage", tieout_mod.billed_rows(ix.frame, tie), tieout_mod.BILLED_MONEY))
        if tie.invoiced is not None:
            yield Figure("tie_outs", tie.key, "tie_out", tie.key, "invoiced", tie.invoiced,
                         Rows("invoice_lines", tieout_mod.invoiced_rows(lines, tie), tieout_mod.INVOICED_MONEY))
    for b in analysis.budgets:
        key = f"{b.allocation}|{b.month}"
        yield Figure("budgets", f"{b.allocation}/{b.month}", "budget", key, "actual", b.actual,
                     Rows("usage", budgets_mod.actual_rows(ix, b, t, org_of(analysis))))
    org = analysis.inputs.org_map if analysis.inputs is not None else None
    for line in analysis.chargeback:
        yield Figure("chargeback", f"{line.month}/{line.cost_center}/{line.gl_account}", "chargeback",
                     f"{line.month}|{line.cost_center}|{line.gl_account}", "amount", line.amount,
                     Rows("usage", chargeback_mod.line_rows(ix, org, line, t)), exact=False)
    for d in analysis.commitment_discounts:
        key = f"{d.commitment_discount_id}|{d.month}"
        for fld in ("used_cost", "unused_cost", "other_cost"):
            yield Figure("commitment_discounts", f"{d.commitment_discount_id}/{d.month}", "commitment_discount",
                         key, fld, getattr(d, fld),
                         Rows("usage", discounts_mod.utilization_rows(ix, d.commitment_discount_id, d.month, fld)))
    for a in analysis.anomalies:
        yield Figure("anomalies", f"{a.dimension}/{a.value}/{a.date.isoformat()}", "anomaly",
                     f"{a.dimension}|{a.value}|{a.date.isoformat()}", "spend", a.spend,
                     Rows("usage", anomalies_mod.anomaly_rows(ix, a)))


def figures_report(analysis: Analysis, with_rows: bool = False) -> dict:
    """What ``python -m desktop explain --format json`` prints (docs/domain.md "Explain: the rows
    behind a figure"): every figure that is a total of source rows with its row count, the
    total of those rows (money as text with two decimals) and, with ``with_rows``, the rows."""
    figures = []
    for f in row_figures(analysis):
        rows_total = total(analysis, f.rows)
        item = {"section": f.section, "id": f.id, "field": f.field, "value": f"{f.value:.2f}",
                "rows": len(f.rows), "rows_total": None if rows_total is None else f"{rows_total:.2f}"}
        if with_rows:
            item["sources"] = sources(analysis, f.rows)
        figures.append(item)
    return {"as_of": analysis.as_of.isoformat(), "currency": analysis.currency, "figures": figures}


def figures_text(analysis: Analysis) -> str:
    """The same as a table for a terminal."""
    lines = [f"Figures as of {analysis.as_of.isoformat()} ({analysis.currency}) and the rows behind them", ""]
    for f in figures_report(analysis)["figures"]:
        lines.append(f"{f['section']:<11} {f['id']:<40} {f['field']:<17} {f['value']:>16} "
                     f"{f['rows']:>8} rows  {f['rows_total']:>16}")
    return "\n".join(lines) + "\n"
