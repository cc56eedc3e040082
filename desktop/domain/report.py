"""The ``analyze`` report: JSON exactly as docs/domain.md describes it, and a text summary an
analyst would paste into an email."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from desktop.domain.money import fmt_money, fmt_money_human
from desktop.domain.results import (
    Analysis,
    AnomalyResult,
    BudgetResult,
    ContractResult,
    ImportReport,
    InvoiceResult,
    PeriodResult,
)


def _d(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _r(value: float | None) -> float | None:
    return None if value is None else float(value)


def _period(p: PeriodResult) -> dict[str, Any]:
    return {
        "period_start": _d(p.period_start),
        "period_end": _d(p.period_end),
        "commitment": fmt_money(p.commitment),
        "carry_in": fmt_money(p.carry_in),
        "consumed": fmt_money(p.consumed),
        "expected": fmt_money(p.expected),
        "pacing_ratio": _r(p.pacing_ratio),
        "projected": fmt_money(p.projected),
        "shortfall": fmt_money(p.shortfall),
        "carry_out": fmt_money(p.carry_out),
        "shortfall_penalty": fmt_money(p.shortfall_penalty),
        "overage": fmt_money(p.overage),
        "overage_premium": fmt_money(p.overage_premium),
    }


def _contract(c: ContractResult) -> dict[str, Any]:
    return {
        "contract_id": c.contract_id,
        "vendor": c.vendor,
        "term_start": _d(c.term_start),
        "term_end": _d(c.term_end),
        "commitment": fmt_money(c.commitment),
        "consumed_to_date": fmt_money(c.consumed_to_date),
        "expected_to_date": fmt_money(c.expected_to_date),
        "pacing_ratio": _r(c.pacing_ratio),
        "band": c.band,
        "run_rate": fmt_money(c.run_rate),
        "required_run_rate": fmt_money(c.required_run_rate),
        "projected_consumption": fmt_money(c.projected_consumption),
        "shortfall_exposure": fmt_money(c.shortfall_exposure),
        "overage": fmt_money(c.overage),
        "overage_premium": fmt_money(c.overage_premium),
        "periods": [_period(p) for p in sorted(c.periods, key=lambda p: p.period_start)],
    }


def _invoice(i: InvoiceResult) -> dict[str, Any]:
    return {
        "invoice_id": i.invoice_id,
        "vendor": i.vendor,
        "period_start": _d(i.period_start),
        "period_end": _d(i.period_end),
        "invoiced": fmt_money(i.invoiced),
        "expected": fmt_money(i.expected),
        "variance": fmt_money(i.variance),
        "variance_pct": _r(i.variance_pct),
        "status": i.status,
        "tax": fmt_money(i.tax),
        "premium_leakage": fmt_money(i.premium_leakage),
        "flags": [
            {"line": f.line, "flag": f.flag, "leakage": fmt_money(f.leakage), "owner": f.owner}
            for f in i.flags
        ],
    }


def _budget(b: BudgetResult) -> dict[str, Any]:
    return {
        "allocation": b.allocation,
        "month": b.month,
        "budget": fmt_money(b.budget),
        "actual": fmt_money(b.actual),
        "utilization": _r(b.utilization),
        "forecast": fmt_money(b.forecast),
        "variance": fmt_money(b.variance),
        "variance_pct": _r(b.variance_pct),
        "severity": b.severity,
        "alert_tier": b.alert_tier,
    }


def _anomaly(a: AnomalyResult) -> dict[str, Any]:
    return {
        "dimension": a.dimension,
        "value": a.value,
        "date": _d(a.date),
        "spend": fmt_money(a.spend),
        "mean": fmt_money(a.mean),
        "std": fmt_money(a.std),
        "z": _r(a.z),
    }


def _import(r: ImportReport) -> dict[str, Any]:
    return {
        "file": r.file,
        "kind": r.kind,
        "format": r.format,
        "rows_read": r.rows_read,
        "rows_imported": r.rows_imported,
        "rows_rejected": r.rows_rejected,
        "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in r.errors],
        # extensions (docs/domain.md, "analyze JSON extensions")
        "totals_excluded": r.totals_excluded,
        "duplicates_flagged": r.duplicates_flagged,
        "warnings": list(r.warnings),
    }


def to_json_dict(analysis: Analysis) -> dict[str, Any]:
    """The analyze report as plain JSON-able data, ordered as docs/domain.md says."""
    return {
        "as_of": _d(analysis.as_of),
        "currency": analysis.currency,
        "contracts": [_contract(c) for c in sorted(analysis.contracts, key=lambda c: c.contract_id)],
        "invoices": [_invoice(i) for i in sorted(analysis.invoices, key=lambda i: i.invoice_id)],
        "budgets": [_budget(b) for b in sorted(analysis.budgets, key=lambda b: (b.allocation, b.month))],
        "anomalies": [
            _anomaly(a) for a in sorted(analysis.anomalies, key=lambda a: (a.dimension, a.value, a.date))
        ],
        "imports": [_import(r) for r in analysis.imports],
        "warnings": list(analysis.warnings),
    }


def to_json(analysis: Analysis, indent: int | None = 2) -> str:
    return json.dumps(to_json_dict(analysis), indent=indent, ensure_ascii=False)


# --- text ------------------------------------------------------------------------------------

_BAND_WORDS = {
    "shortfall_risk": "SHORTFALL RISK",
    "shortfall_watch": "shortfall watch",
    "on_pace": "on pace",
    "overage_watch": "overage watch",
    "overage_risk": "OVERAGE RISK",
    None: "no band (nothing expected yet)",
}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f}%"


def to_text(analysis: Analysis) -> str:
    """A plain summary, readable in an email."""
    cur = analysis.currency
    m = lambda v: fmt_money_human(v, cur)  # noqa: E731
    lines: list[str] = []
    lines.append(f"CommitDesk summary as of {analysis.as_of.isoformat()} (amounts in {cur})")
    lines.append("")
    lines.append(f"Commitments ({len(analysis.contracts)})")
    for c in sorted(analysis.contracts, key=lambda c: c.contract_id):
        lines.append(
            f"- {c.contract_id} ({c.vendor}, {c.term_start} to {c.term_end}): consumed {m(c.consumed_to_date)} "
            f"of {m(c.commitment)}; {_pct(c.pacing_ratio)} of the burn line to date -> {_BAND_WORDS.get(c.band, c.band)}."
        )
        detail = [f"run rate {m(c.run_rate)}/day"]
        if c.required_run_rate is not None:
            detail.append(f"needed {m(c.required_run_rate)}/day to meet the commitment")
        detail.append(f"projected {m(c.projected_consumption)}")
        lines.append("  " + "; ".join(detail) + ".")
        if c.shortfall_exposure > 0:
            lines.append(f"  Projected shortfall penalty: {m(c.shortfall_exposure)}"
                         + (f" (escalate to {c.escalation_to})." if c.escalation_to else "."))
        if c.overage > 0:
            lines.append(f"  Projected overage {m(c.overage)}, of which premium {m(c.overage_premium)}"
                         + (f" (escalate to {c.escalation_to})." if c.escalation_to else "."))
    lines.append("")
    flagged = [i for i in analysis.invoices if i.status != "within_tolerance" or i.flags or i.notes]
    leakage = sum((i.premium_leakage for i in analysis.invoices), Decimal("0.00"))
    lines.append(f"Invoices ({len(analysis.invoices)}; {len(flagged)} need attention; leakage found {m(leakage)})")
    for i in sorted(flagged, key=lambda i: i.invoice_id):
        flags = ", ".join(sorted({f.flag for f in i.flags}))
        lines.append(
            f"- {i.invoice_id} ({i.vendor}, {i.period_start} to {i.period_end}): invoiced {m(i.invoiced)}, "
            f"expected {m(i.expected)}, variance {m(i.variance)} ({_pct(i.variance_pct)}) -> {i.status}"
            + (f"; flags: {flags}; leakage {m(i.premium_leakage)}" if flags else "")
        )
        for note in i.notes:
            lines.append(f"  note: {note}")
    lines.append("")
    month = analysis.as_of.strftime("%Y-%m")
    current = [b for b in analysis.budgets if b.month == month]
    hot = [b for b in current if b.alert_tier not in ("none", "info") or b.severity in ("high", "medium")]
    lines.append(f"Budgets for {month} ({len(current)} lines; {len(hot)} at warning or above or over forecast;"
                 f" {len(analysis.budgets) - len(current)} lines of other months in the JSON and the brief)")
    for b in sorted(hot, key=lambda b: (b.allocation, b.month)):
        lines.append(
            f"- {b.allocation} {b.month}: {m(b.actual)} of {m(b.budget)} ({_pct(b.utilization)}), "
            f"forecast {m(b.forecast)} ({_pct(b.variance_pct)} vs budget) -> {b.alert_tier}, severity {b.severity}"
            + (f"; {b.response}" if b.response else "")
        )
    lines.append("")
    lines.append(f"Anomalies ({len(analysis.anomalies)})")
    for a in sorted(analysis.anomalies, key=lambda a: a.date, reverse=True)[:10]:
        lines.append(f"- {a.date} {a.dimension} {a.value}: {m(a.spend)} vs mean {m(a.mean)} (z = {a.z:.1f})")
    if len(analysis.anomalies) > 10:
        lines.append(f"  ... and {len(analysis.anomalies) - 10} more")
    if analysis.imports:
        lines.append("")
        lines.append("Files read")
        for r in analysis.imports:
            lines.append(
                f"- {r.file} ({r.kind}, {r.format}): {r.rows_read} rows read, {r.rows_imported} imported, "
                f"{r.rows_rejected} rejected" + (f", {r.totals_excluded} totals rows excluded" if r.totals_excluded else "")
            )
            for e in r.errors[:5]:
                where = f"row {e.row}" + (f", column {e.column!r}" if e.column else "")
                lines.append(f"    {where}: {e.message}")
            if len(r.errors) > 5:
                lines.append(f"    ... and {len(r.errors) - 5} more errors")
            for w in r.warnings:
                lines.append(f"    warning: {w}")
    if analysis.warnings:
        lines.append("")
        lines.append("Warnings")
        for w in analysis.warnings:
            lines.append(f"- {w}")
    return "\n".join(lines) + "\n"
