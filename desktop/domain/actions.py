"""Findings that need a person (issue 4 "Actions checklist"; Decisions > "Actions").

The workspace turns each Finding into an action and matches actions across recomputes by
``Finding.key``. Keys are built only from business identifiers (allocation, month, contract id,
invoice id, line content, dimension/value/date), never from file names or row numbers, so the
same finding keeps its key when data is re-imported from a renamed or re-ordered file.

Rules:

* Budget line of the month containing T, the month before it, or a later month (older months
  are history: their root-cause analysis was due long ago): high when alert tier is hard_stop / hard_cap or severity is high; medium when
  severity is medium or the tier is critical. Due = the line's ``rca_due`` (T + 24 h / 72 h),
  else T + 3 days for medium. Owner = containment owner, else owner, else escalation owner.
  Key ``budget:<allocation>:<YYYY-MM>``.
* Contract in a risk band: high, owner = the band's escalation target, due T + 7 days. In a watch
  band: low, owner = escalation target, due T + 14 days. Key ``contract:<id>:shortfall`` or
  ``contract:<id>:overage`` (the direction, not the band, so a watch that becomes a risk stays
  the same action with a higher severity).
* Invoice line flag: duplicate_line high, premium_rate and no_usage medium; owner = the flag's
  owner; due T + 14 days. Key ``flag:<invoice_id>:<flag>:<fingerprint>`` where the fingerprint
  is description|model|meter|quantity|unit_price|amount of the line (from the invoice table when
  available, else description|amount of the flag), and ``#2``, ``#3`` ... are appended when
  the same fingerprint is flagged more than once on one invoice (in line order).
* Invoice over-/underbilled: overbilled high when |variance_pct| >= 5 % (or expected is 0), else
  medium; underbilled medium when |variance_pct| >= 5 %, else low; an invoice out of tolerance
  for a billing period without any usage (status no_usage_period) high. Owner = the invoice's
  contract owner (the named contract, else the vendor's only or first contract). Due T + 14 days.
  Key ``invoice:<invoice_id>:variance``.
* Anomaly dated in the last 30 days (T-29..T; older spikes are history): high when z >= 2 x the anomaly threshold, else medium. Owner = the team's owner in
  the org map (team anomalies only), else None. Due T + 3 days.
  Key ``anomaly:<dimension>:<value>:<YYYY-MM-DD>``.

Order: severity (high, medium, low), then due date (none last), then key.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd

from desktop.domain.money import cents, from_micros
from desktop.domain.results import Analysis, BudgetResult, ContractResult, Finding, InvoiceResult
from desktop.domain.settings import Settings
from desktop.domain.tables import vendor_key

RISK_BANDS = ("shortfall_risk", "overage_risk")
WATCH_BANDS = ("shortfall_watch", "overage_watch")
CONTRACT_RISK_DAYS = 7
CONTRACT_WATCH_DAYS = 14
INVOICE_DAYS = 14
ANOMALY_DAYS = 3
ANOMALY_RECENT_DAYS = 30
MEDIUM_BUDGET_DAYS = 3
VARIANCE_HIGH_PCT = 0.05
FLAG_SEVERITY = {"duplicate_line": "high", "premium_rate": "medium", "no_usage": "medium"}
_SEV_ORDER = {"high": 0, "medium": 1, "low": 2}


def month_label(month: str) -> str:
    """'2026-11' -> 'Nov 2026'."""
    try:
        return pd.Timestamp(f"{month}-01").strftime("%b %Y")
    except (ValueError, TypeError):
        return month


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.0f}%"


def _money(x: Decimal | None, currency: str) -> str:
    return "n/a" if x is None else f"{cents(x):,.2f} {currency}"


def _stale_month(month: str, as_of: date) -> bool:
    """True for a month that ended before the month preceding T's month."""
    try:
        y, m = int(month[:4]), int(month[5:7])
    except (ValueError, TypeError):
        return False
    prev_y, prev_m = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    return (y, m) < (prev_y, prev_m)


def _budget_finding(b: BudgetResult, as_of: date, currency: str) -> Finding | None:
    if _stale_month(b.month, as_of):
        return None
    if b.alert_tier in ("hard_stop", "hard_cap") or b.severity == "high":
        sev = "high"
    elif b.severity == "medium" or b.alert_tier == "critical":
        sev = "medium"
    else:
        return None
    due = b.rca_due
    if due is None and sev == "medium":
        due = as_of + timedelta(days=MEDIUM_BUDGET_DAYS)
    if due is None:
        due = as_of + timedelta(days=1)
    title = f"Budget '{b.allocation}' {month_label(b.month)} at {_pct(b.utilization)} ({b.alert_tier})"
    if b.severity in ("high", "medium") and b.variance_pct is not None:
        title += f", forecast {_pct(b.variance_pct)} over budget"
    detail = (f"Actual {_money(b.actual, currency)} of {_money(b.budget, currency)}; forecast "
              f"{_money(b.forecast, currency)} ({_pct(b.variance_pct)} vs budget). {b.response}".strip())
    return Finding(
        key=f"budget:{b.allocation}:{b.month}", kind="budget", severity=sev, title=title,
        owner=b.containment_owner or b.owner or b.escalation_owner, due=due, detail=detail,
        ref={"allocation": b.allocation, "month": b.month},
    )


def _contract_finding(c: ContractResult, as_of: date, currency: str) -> Finding | None:
    if c.band in RISK_BANDS:
        sev, days = "high", CONTRACT_RISK_DAYS
    elif c.band in WATCH_BANDS:
        sev, days = "low", CONTRACT_WATCH_DAYS
    else:
        return None
    direction = "shortfall" if c.band.startswith("shortfall") else "overage"
    what = c.band.replace("_", " ")
    title = f"Contract {c.contract_id} ({c.vendor}) pacing at {_pct(c.pacing_ratio)}: {what}"
    if direction == "shortfall":
        detail = (f"Consumed {_money(c.consumed_to_date, currency)} of expected "
                  f"{_money(c.expected_to_date, currency)}; projected shortfall penalty "
                  f"{_money(c.shortfall_exposure, currency)}.")
    else:
        detail = (f"Consumed {_money(c.consumed_to_date, currency)} of expected "
                  f"{_money(c.expected_to_date, currency)}; projected overage "
                  f"{_money(c.overage, currency)} with premium {_money(c.overage_premium, currency)}.")
    return Finding(
        key=f"contract:{c.contract_id}:{direction}", kind="contract", severity=sev, title=title,
        owner=c.escalation_to, due=as_of + timedelta(days=days), detail=detail,
        ref={"contract_id": c.contract_id, "band": c.band},
    )


def _fmt_num(x) -> str:
    if x is None or x is pd.NA:
        return ""
    try:
        if pd.isna(x):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(x, float):
        return format(Decimal(str(x)).normalize(), "f")
    return str(x).strip()


def _line_index(analysis: Analysis) -> dict[tuple[str, int], dict]:
    inputs = getattr(analysis, "inputs", None)
    inv = getattr(inputs, "invoices", None) if inputs is not None else None
    if inv is None or inv.empty:
        return {}
    cols = [c for c in ("description", "model", "meter", "quantity", "unit_price", "amount") if c in inv.columns]
    out = {}
    for rec in inv[["_file", "_row", *cols]].to_dict("records"):
        out[(str(rec["_file"]), int(rec["_row"]))] = rec
    return out


def line_fingerprint(rec: dict | None, description: str | None, amount: Decimal | None) -> str:
    if rec is not None:
        amt = cents(from_micros(rec["amount"])) if "amount" in rec and not pd.isna(rec["amount"]) else None
        parts = [_fmt_num(rec.get("description")), _fmt_num(rec.get("model")), _fmt_num(rec.get("meter")),
                 _fmt_num(rec.get("quantity")), _fmt_num(rec.get("unit_price")),
                 "" if amt is None else f"{amt:.2f}"]
    else:
        parts = [_fmt_num(description), "", "", "", "", "" if amount is None else f"{cents(amount):.2f}"]
    return "|".join(parts)


def _contract_owner(inv: InvoiceResult, contracts: tuple[ContractResult, ...]) -> str | None:
    if inv.contract_id:
        for c in contracts:
            if c.contract_id == inv.contract_id:
                return c.owner or c.escalation_owner
    vk = vendor_key(inv.vendor)
    for c in sorted(contracts, key=lambda c: c.contract_id):
        if vendor_key(c.vendor) == vk and (c.owner or c.escalation_owner):
            return c.owner or c.escalation_owner
    return None


def _invoice_findings(inv: InvoiceResult, analysis: Analysis, lines: dict, as_of: date,
                      currency: str) -> list[Finding]:
    out = []
    due = as_of + timedelta(days=INVOICE_DAYS)
    seen: Counter[str] = Counter()
    for f in sorted(inv.flags, key=lambda f: (f.line, f.flag)):
        rec = lines.get((str(f.file), int(f.line)))
        fp = line_fingerprint(rec, f.description, f.amount)
        base = f"flag:{inv.invoice_id}:{f.flag}:{fp}"
        seen[base] += 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        what = f.description or (rec or {}).get("model") or (rec or {}).get("meter") or f"line {f.line}"
        title = f"Invoice {inv.invoice_id} ({inv.vendor}): {f.flag.replace('_', ' ')} '{_fmt_num(what)}'" \
                f" leaks {_money(f.leakage, currency)}"
        out.append(Finding(
            key=key, kind="invoice_flag", severity=FLAG_SEVERITY.get(f.flag, "medium"), title=title,
            owner=f.owner, due=due, detail=f.detail,
            ref={"invoice_id": inv.invoice_id, "flag": f.flag, "line": f.line, "file": f.file},
        ))
    if inv.status in ("overbilled", "underbilled", "no_usage_period"):
        big = inv.variance_pct is None or abs(inv.variance_pct) >= VARIANCE_HIGH_PCT
        if inv.status == "no_usage_period":
            sev = "high"
            title = (f"Invoice {inv.invoice_id} ({inv.vendor}) bills {_money(inv.invoiced, currency)} for a "
                     f"period without usage")
        else:
            sev = ("high" if big else "medium") if inv.status == "overbilled" else ("medium" if big else "low")
            title = (f"Invoice {inv.invoice_id} ({inv.vendor}) {inv.status} by "
                     f"{_money(abs(inv.variance), currency)} ({_pct(inv.variance_pct)})")
        detail = (f"Invoiced {_money(inv.invoiced, currency)} vs expected {_money(inv.expected, currency)} "
                  f"for {inv.period_start:%Y-%m-%d}..{inv.period_end:%Y-%m-%d}.")
        out.append(Finding(
            key=f"invoice:{inv.invoice_id}:variance", kind="invoice_variance", severity=sev, title=title,
            owner=_contract_owner(inv, analysis.contracts), due=due, detail=detail,
            ref={"invoice_id": inv.invoice_id},
        ))
    return out


def _team_owners(analysis: Analysis) -> dict[str, str]:
    inputs = getattr(analysis, "inputs", None)
    om = getattr(inputs, "org_map", None) if inputs is not None else None
    if om is None or om.empty or "owner" not in om.columns:
        return {}
    out: dict[str, str] = {}
    for team, owner in zip(om["team"], om["owner"], strict=True):
        if team is pd.NA or owner is pd.NA or pd.isna(team) or pd.isna(owner) or not str(owner).strip():
            continue
        out.setdefault(str(team).strip().casefold(), str(owner).strip())
    return out


def build_findings(analysis: Analysis, settings: Settings | None = None) -> tuple[Finding, ...]:
    settings = settings or analysis.settings or Settings()
    as_of = analysis.as_of
    cur = analysis.currency
    out: list[Finding] = []
    for b in analysis.budgets:
        f = _budget_finding(b, as_of, cur)
        if f is not None:
            out.append(f)
    for c in analysis.contracts:
        f = _contract_finding(c, as_of, cur)
        if f is not None:
            out.append(f)
    lines = _line_index(analysis)
    for inv in analysis.invoices:
        out.extend(_invoice_findings(inv, analysis, lines, as_of, cur))
    owners = _team_owners(analysis)
    high_z = 2 * float(settings.anomaly_z)
    recent_from = as_of - timedelta(days=ANOMALY_RECENT_DAYS - 1)
    for a in analysis.anomalies:
        if not (recent_from <= a.date <= as_of):
            continue
        sev = "high" if a.z >= high_z else "medium"
        owner = owners.get(str(a.value).strip().casefold()) if a.dimension == "team" else None
        out.append(Finding(
            key=f"anomaly:{a.dimension}:{a.value}:{a.date:%Y-%m-%d}", kind="anomaly", severity=sev,
            title=f"Spend spike: {a.dimension} '{a.value}' on {a.date:%Y-%m-%d} "
                  f"({_money(a.spend, cur)}, z = {a.z:.1f})",
            owner=owner, due=as_of + timedelta(days=ANOMALY_DAYS),
            detail=f"Daily mean {_money(a.mean, cur)}, standard deviation {_money(a.std, cur)}.",
            ref={"dimension": a.dimension, "value": a.value, "date": a.date.isoformat()},
        ))
    # keys are unique by construction except for identical allocation/month pairs; keep the first
    uniq: dict[str, Finding] = {}
    for f in out:
        uniq.setdefault(f.key, f)
    return tuple(sorted(uniq.values(), key=lambda f: (_SEV_ORDER.get(f.severity, 9),
                                                      f.due or date.max, f.key)))
