"""The ``analyze`` report: JSON exactly as docs/domain.md describes it, and a text summary an
analyst would paste into an email.

The JSON is written by walking the fields of the frozen result dataclasses (``dataclasses.fields``)
with one value encoder, so a field added to a result type appears in the JSON without a second
list to keep in step. The keys of the original contract (docs/domain.md, "The analyze report")
come first, in their order, so nothing that reads the older JSON breaks.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np

from desktop.domain.actions import Action
from desktop.domain.money import fmt_money, fmt_money_human
from desktop.domain.portfolio import portfolio
from desktop.domain.results import (
    Analysis,
    AnomalyResult,
    BudgetResult,
    ContractResult,
    Finding,
    ImportIssue,
    ImportReport,
    InvoiceFlag,
    InvoiceResult,
    PeriodResult,
)
from desktop.domain.vocabulary import BANDS, RISK_BANDS

# The keys of the original analyze contract, in its order, per result type. They lead each
# object; every other field of the type follows in field order. (Frozen: new fields need no entry.)
_CONTRACT_KEYS: dict[type, tuple[str, ...]] = {
    ContractResult: ("contract_id", "vendor", "term_start", "term_end", "commitment", "consumed_to_date",
                     "expected_to_date", "pacing_ratio", "band", "run_rate", "required_run_rate",
                     "projected_consumption", "shortfall_exposure", "overage", "overage_premium",
                     "periods"),
    PeriodResult: ("period_start", "period_end", "commitment", "carry_in", "consumed", "expected",
                   "pacing_ratio", "projected", "shortfall", "carry_out", "shortfall_penalty", "overage",
                   "overage_premium"),
    InvoiceResult: ("invoice_id", "vendor", "period_start", "period_end", "invoiced", "expected",
                    "variance", "variance_pct", "status", "tax", "premium_leakage", "flags"),
    InvoiceFlag: ("line", "flag", "leakage", "owner"),
    BudgetResult: ("allocation", "month", "budget", "actual", "utilization", "forecast", "variance",
                   "variance_pct", "severity", "alert_tier"),
    AnomalyResult: ("dimension", "value", "date", "spend", "mean", "std", "z"),
    ImportReport: ("file", "kind", "format", "rows_read", "rows_imported", "rows_rejected", "errors",
                   "totals_excluded", "duplicates_flagged", "warnings"),
    ImportIssue: ("row", "column", "message"),
}
# top level: the contract's sections (with the ``warnings`` extension), then every other result
# field of Analysis in field order, then ``actions`` (the findings as the checklist has them)
_TOP_KEYS = ("as_of", "currency", "contracts", "invoices", "budgets", "anomalies", "imports", "warnings")
# fields of Analysis that are not results: the settings used, the prepared usage frame and its
# index, the analysed invoice lines, the inputs; and the findings, which the JSON carries as
# ``actions``
_NOT_RESULTS = ("settings", "usage", "inputs", "index", "invoice_lines", "findings")
# the order of a list of these results (other lists keep the order the computation gave them)
_ORDER: dict[type, Callable[[Any], Any]] = {
    ContractResult: lambda c: c.contract_id,
    PeriodResult: lambda p: p.period_start,
    InvoiceResult: lambda i: i.invoice_id,
    BudgetResult: lambda b: (b.allocation, b.month),
    AnomalyResult: lambda a: (a.dimension, a.value, a.date),
}


def _value(v: Any) -> Any:
    """One JSON value: money (Decimal) as a string with two decimals rounded half-up, dates ISO,
    ratios and counts as numbers (a non-finite ratio as null), None as null, dataclasses as
    objects, tuples as lists. Anything else is a programming error, said loudly."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, enum.Enum):
        return _value(v.value)
    if isinstance(v, str):
        return str(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, Decimal):
        return fmt_money(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real):
        x = float(v)
        return x if math.isfinite(x) else None
    if isinstance(v, date):  # datetime too
        return v.isoformat()
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return _record(v)
    if isinstance(v, Mapping):
        return {str(k): _value(v[k]) for k in sorted(v, key=str)}
    if isinstance(v, (tuple, list)):
        items = list(v)
        if items:
            order = _ORDER.get(type(items[0]))
            if order is not None:
                items.sort(key=order)
        return [_value(x) for x in items]
    raise TypeError(f"no JSON spelling for {type(v).__name__}: {v!r}")


def _names(obj: Any, lead: Sequence[str] = ()) -> list[str]:
    """The field names of a dataclass instance: ``lead`` (those it has) first, then the rest of
    its fields in declaration order."""
    own = [f.name for f in dataclasses.fields(obj)]
    first = [n for n in lead if n in own]
    return first + [n for n in own if n not in first]


def _record(obj: Any, lead: Sequence[str] | None = None) -> dict[str, Any]:
    """Every field of a result dataclass, encoded."""
    if lead is None:
        lead = _CONTRACT_KEYS.get(type(obj), ())
    return {name: _value(getattr(obj, name)) for name in _names(obj, lead)}


_FINDING_FIELDS = tuple(f.name for f in dataclasses.fields(Finding))
# the checklist's columns lead every action, read as the record has them: a field, or a property
# such as the owner in charge
_CHECKLIST_KEYS = ("key", "severity", "owner", "due", "status", "notes")


def _action_keys(names: Sequence[str]) -> list[str]:
    """The keys of an action with fields ``names``: the checklist's columns, then the finding's
    other fields (in Finding's order), then the rest of the record in its own order."""
    first = list(_CHECKLIST_KEYS) + [n for n in _FINDING_FIELDS if n not in _CHECKLIST_KEYS and n in names]
    return first + [n for n in names if n not in first]


def _action(a: Any) -> dict[str, Any]:
    """One action of the workspace's checklist, every field of its record."""
    if not dataclasses.is_dataclass(a) or isinstance(a, type):
        raise TypeError(f"an action must be a dataclass record, not {type(a).__name__}")
    return {n: _value(getattr(a, n)) for n in _action_keys([f.name for f in dataclasses.fields(a)])}


def _fresh_action(f: Finding, as_of: date) -> dict[str, Any]:
    """A finding as a checklist action nobody has touched yet (the one action record,
    desktop.domain.actions.Action: open, no notes, opened and last seen on the as-of date)."""
    return _action(Action.from_finding(f, as_of))


def to_json_dict(analysis: Analysis, actions: Sequence[Any] | None = None) -> dict[str, Any]:
    """The analyze report as plain JSON-able data, ordered as docs/domain.md says.

    ``actions``: the workspace's checklist (action records, as the store returns them, with the
    status and notes people set); None (files, no workspace): every finding as a fresh open action.
    """
    out = {name: _value(getattr(analysis, name)) for name in _TOP_KEYS}
    for f in dataclasses.fields(analysis):
        if f.name not in out and f.name not in _NOT_RESULTS:
            out[f.name] = _value(getattr(analysis, f.name))
    if actions is None:
        out["actions"] = [_fresh_action(f, analysis.as_of) for f in analysis.findings]
    else:
        out["actions"] = [_action(a) for a in actions]
    return out


def to_json(analysis: Analysis, indent: int | None = 2, actions: Sequence[Any] | None = None) -> str:
    return json.dumps(to_json_dict(analysis, actions), indent=indent, ensure_ascii=False, allow_nan=False)


# --- text ------------------------------------------------------------------------------------

# risk bands shouted, the others as written (labels: desktop.domain.vocabulary)
_BAND_WORDS = {b: BANDS.label(b).upper() if b in RISK_BANDS else BANDS.label(b).lower() for b in BANDS}
_BAND_WORDS[None] = "no band (nothing expected yet)"


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
            f"of {m(c.commitment)}; {_pct(c.pacing_ratio)} of the burn line to date -> {c.outcome_text or _BAND_WORDS.get(c.band, c.band)}."
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
    leakage = portfolio(analysis).premium_leakage
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
            if r.query:
                lines.append(f"    read from {r.source_url} by one query ({len(r.query):,} characters; "
                             "the JSON report and the brief show it)")
            for e in r.errors[:5]:
                where = (f"row {e.row}" if e.row is not None else "a source row") + (
                    f", column {e.column!r}" if e.column else "")
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
