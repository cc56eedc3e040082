"""Findings that need a person (issue 4 "Actions checklist"; Decisions > "Actions").

The workspace turns each Finding into an action and matches actions across recomputes by
``Finding.key``. Keys are built only from business identifiers (allocation, month, contract id,
invoice id, line content, dimension/value/date), never from file names or row numbers, so the
same finding keeps its key when data is re-imported from a renamed or re-ordered file.

Rules:

* Budget line of the month containing T or a later month (a month that has ended is history,
  not an alert: its overrun is incurred and no root-cause analysis "within 24 h" can change it): high when alert tier is hard_stop / hard_cap or severity is high; medium when
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

* Notice deadline (desktop/domain/calendar.py) from 60 days before it to the day itself: "Give
  notice or renew <contract> by <date>", high within 14 days, else medium; due on the deadline;
  owner = the contract's owner. Key ``notice:<contract_id>:<term end YYYY-MM-DD>`` (a renewed
  term is a new action). Once the deadline has passed it resolves by data ("the notice deadline
  ... has passed"); what a person set stays.

Order: severity (high, medium, low), then due date (none last), then key.

Money at stake (``Finding.at_stake`` / ``stake_kind``, computed here once; docs/domain.md "Money
at stake"): what acting on the finding can still save or recover.

* contract, shortfall direction: the projected shortfall penalties of its running and future
  periods (``portfolio.contract_stake``; penalties of ended periods are incurred, not at stake);
  overage direction: the projected overage premium of its running and future periods;
* invoice line flag: the line's leakage;
* invoice over-billed (or billing a period without usage): the variance (the amount invoiced for
  a period without usage) beyond the leakage its flagged lines already carry, so a duplicate
  line is not counted twice; under-billed: 0.00 (a timing difference the accrual covers);
* budget line: the forecast overrun, max(forecast - budget, 0);
* anomaly: the spend above the daily mean, max(spend - mean, 0).

``ranked_by_stake`` orders open actions by it (largest first) for the brief's first page.

The checklist (``Action``, ``reconcile``) is documented in docs/domain.md "The actions
checklist": what a person sets (status, owner, notes) only a person changes; a finding resolves
by itself only when the data of a reporting date on or after the one it was last seen at no
longer produces it (``why_resolved`` says why); every date on an action is a data date, so days
to resolve never mix in the wall clock.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd

from desktop.domain.calendar import NOTICE_HIGH_DAYS, NoticeDeadline, describe, due_for_action
from desktop.domain.money import cents, from_micros
from desktop.domain.portfolio import contract_stake
from desktop.domain.results import Analysis, BudgetResult, ContractResult, Finding, InvoiceResult
from desktop.domain.settings import Settings
from desktop.domain.usage_index import match_key
from desktop.domain.vocabulary import (
    ACTION_STATUSES,
    ALERT_TIERS,
    CLOSED_ACTION_STATUSES,
    OPEN_ACTION_STATUSES,
    RISK_BANDS,
    WATCH_BANDS,
)

CONTRACT_RISK_DAYS = 7
CONTRACT_WATCH_DAYS = 14
INVOICE_DAYS = 14
ANOMALY_DAYS = 3
ANOMALY_RECENT_DAYS = 30
MEDIUM_BUDGET_DAYS = 3
VARIANCE_HIGH_PCT = 0.05
FLAG_SEVERITY = {"duplicate_line": "high", "premium_rate": "medium", "no_usage": "medium"}
_SEV_ORDER = {"high": 0, "medium": 1, "low": 2}
_ZERO = Decimal("0.00")


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


def closed_month(month: str, as_of: date) -> bool:
    """True for a budget month ('YYYY-MM') that ended before T: history, not an alert."""
    try:
        y, m = int(month[:4]), int(month[5:7])
    except (ValueError, TypeError):
        return False
    return (y, m) < (as_of.year, as_of.month)


def _budget_finding(b: BudgetResult, as_of: date, currency: str) -> Finding | None:
    if closed_month(b.month, as_of):
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
    title = (f"Budget '{b.allocation}' {month_label(b.month)} at {_pct(b.utilization)} "
             f"({ALERT_TIERS.label(b.alert_tier).lower()})")
    if b.severity in ("high", "medium") and b.variance_pct is not None:
        title += f", forecast {_pct(b.variance_pct)} over budget"
    detail = (f"Actual {_money(b.actual, currency)} of {_money(b.budget, currency)}; forecast "
              f"{_money(b.forecast, currency)} ({_pct(b.variance_pct)} vs budget). {b.response}".strip())
    return Finding(
        key=f"budget:{b.allocation}:{b.month}", kind="budget", severity=sev, title=title,
        owner=b.containment_owner or b.owner or b.escalation_owner, due=due, detail=detail,
        ref={"allocation": b.allocation, "month": b.month},
        **_stake(max(b.forecast - b.budget, _ZERO), "budget_overrun"),
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
    split = contract_stake(c)
    stake = (_stake(split.shortfall_avoidable, "avoidable_shortfall") if direction == "shortfall"
             else _stake(split.premium_avoidable, "overage_premium"))
    return Finding(
        key=f"contract:{c.contract_id}:{direction}", kind="contract", severity=sev, title=title,
        owner=c.escalation_to, due=as_of + timedelta(days=days), detail=detail,
        ref={"contract_id": c.contract_id, "band": c.band},
        **stake,
    )


def _notice_finding(d: NoticeDeadline) -> Finding | None:
    """A notice deadline from NOTICE_LEAD_DAYS days before it to the day itself
    (desktop/domain/calendar.py): high within NOTICE_HIGH_DAYS, else medium; due on the
    deadline; owner the contract's owner."""
    if not due_for_action(d):
        return None
    sev = "high" if d.days_left <= NOTICE_HIGH_DAYS else "medium"
    return Finding(
        key=f"notice:{d.contract_id}:{d.term_end:%Y-%m-%d}", kind="notice", severity=sev,
        title=f"Give notice or renew {d.contract_id} ({d.vendor}) by {d.deadline:%Y-%m-%d}",
        owner=d.owner, due=d.deadline,
        detail=(f"The term ends on {d.term_end:%Y-%m-%d}; the contract asks for {d.notice_days} days' notice, "
                f"so the last day to give notice or renew is {d.deadline:%Y-%m-%d} ({describe(d)})."),
        ref={"contract_id": d.contract_id, "deadline": d.deadline.isoformat()},
        **_stake(_ZERO, ""))


def _stake(amount: Decimal, kind: str) -> dict[str, Any]:
    amount = cents(amount)
    return {"at_stake": amount, "stake_kind": kind if amount > 0 else ""}


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
    vk = match_key("vendor", inv.vendor)
    for c in sorted(contracts, key=lambda c: c.contract_id):
        if match_key("vendor", c.vendor) == vk and (c.owner or c.escalation_owner):
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
            **_stake(f.leakage, "leakage"),
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
        # the leakage of its flagged lines is part of the variance; a rate-audit flag (found in the
        # usage, inside expected) is not, so it is never taken off the over-billing
        flagged = sum((f.leakage for f in inv.flags if f.found_in != "usage"), _ZERO)
        if inv.status == "no_usage_period":
            stake = _stake(max(inv.invoiced - flagged, _ZERO), "overbilling")
        elif inv.status == "overbilled":
            stake = _stake(max(inv.variance - flagged, _ZERO), "overbilling")
        else:  # under-billed: a timing difference, the accrual covers it
            stake = _stake(_ZERO, "")
        detail = (f"Invoiced {_money(inv.invoiced, currency)} vs expected {_money(inv.expected, currency)} "
                  f"for {inv.period_start:%Y-%m-%d}..{inv.period_end:%Y-%m-%d}.")
        out.append(Finding(
            key=f"invoice:{inv.invoice_id}:variance", kind="invoice_variance", severity=sev, title=title,
            owner=_contract_owner(inv, analysis.contracts), due=due, detail=detail,
            ref={"invoice_id": inv.invoice_id},
            **stake,
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


def owner_choices(analysis: Analysis | None, actions: Iterable[Action] = ()) -> list[str]:
    """The owners to offer when a person assigns an action: the org map's team owners first (in
    the map's order), then every other owner the checklist names, each once (case-insensitive)."""
    seen: dict[str, str] = {}
    for owner in _team_owners(analysis).values() if analysis is not None else ():
        seen.setdefault(owner.casefold(), owner)
    for name in sorted({x for a in actions for x in (a.assigned_owner, a.finding_owner) if x}, key=str.casefold):
        seen.setdefault(name.casefold(), name)
    return list(seen.values())


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
    for d in getattr(analysis, "notice_deadlines", ()) or ():
        f = _notice_finding(d)
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
            **_stake(max(a.spend - a.mean, _ZERO), "excess_spend"),
        ))
    # keys are unique by construction except for identical allocation/month pairs; keep the first
    uniq: dict[str, Finding] = {}
    for f in out:
        uniq.setdefault(f.key, f)
    return tuple(sorted(uniq.values(), key=lambda f: (_SEV_ORDER.get(f.severity, 9),
                                                      f.due or date.max, f.key)))


# --- the actions checklist ----------------------------------------------------------------------

# the statuses a person sets (desktop.domain.vocabulary, with their labels)
OPEN_STATUSES = OPEN_ACTION_STATUSES
CLOSED_STATUSES = CLOSED_ACTION_STATUSES
RESOLUTIONS = ("data", "analyst")


_GIVEN_AS_DUE: Any = object()  # Action(finding_due=...) not given: the finding's due date is ``due``


@dataclass(frozen=True)
class Action:
    """One item of the checklist: a finding (the app's) and what people set (theirs).

    The app owns kind, severity, title, finding_owner, finding_due, detail, ref (the finding as
    last seen), opened_at / last_seen and a resolution by data. A person owns status, notes,
    assigned_owner and assigned_due, and closing (done / won't fix). Every date is a data date
    (an as-of date of the analysis), never the wall clock, except ``assigned_due``: the day a
    person wrote.
    """

    key: str
    kind: str
    severity: str
    title: str
    finding_owner: str | None  # the owner the finding names
    due: date | None  # the due date in force: the one a person set, else the finding's (__post_init__)
    status: str  # ACTION_STATUSES, set by a person (a new action is open)
    notes: str  # set by a person
    opened_at: date  # data date the finding was first seen
    resolved_at: date | None = None  # data date of the resolution (by data or by a person)
    detail: str = ""
    resolution: str | None = None  # None while open; 'data' | 'analyst'
    resolution_reason: str = ""  # "resolved by data of 2026-11-30: pacing back to on pace"
    last_seen: date | None = None  # latest data date the finding was produced
    ref: dict[str, Any] = field(default_factory=dict)
    assigned_owner: str | None = None  # set by a person; wins over the finding's owner
    at_stake: Decimal = _ZERO  # the finding's money at stake as last seen (Finding.at_stake)
    stake_kind: str = ""
    assigned_due: date | None = None  # set by a person; wins over the finding's due date
    # the due date the finding names; a record built with ``due`` alone takes that one
    finding_due: date | None = _GIVEN_AS_DUE  # type: ignore[assignment]

    def __post_init__(self) -> None:
        # ``due`` is derived here only, so every replace() keeps it true
        if self.finding_due is _GIVEN_AS_DUE:
            object.__setattr__(self, "finding_due", self.due)
        object.__setattr__(self, "due", self.assigned_due or self.finding_due)

    @property
    def owner(self) -> str | None:
        """The owner in charge: the person assigned, else the finding's owner."""
        return self.assigned_owner or self.finding_owner

    @property
    def is_open(self) -> bool:
        return self.resolution is None

    def overdue(self, as_of: date) -> bool:
        return self.is_open and self.due is not None and self.due < as_of

    @property
    def days_to_resolve(self) -> int | None:
        """Data days from the first sighting to the resolution (both data dates)."""
        if self.resolved_at is None:
            return None
        return (self.resolved_at - self.opened_at).days

    @classmethod
    def from_finding(cls, f: Finding, as_of: date) -> Action:
        return cls(key=f.key, kind=f.kind, severity=f.severity, title=f.title, finding_owner=f.owner,
                   due=f.due, finding_due=f.due, status="open", notes="", opened_at=as_of, detail=f.detail or "",
                   last_seen=as_of, ref=dict(f.ref or {}), at_stake=f.at_stake, stake_kind=f.stake_kind)


@dataclass(frozen=True)
class StakedAction:
    """An open action with the money at stake of its finding in the analysis (as last seen when
    the analysis no longer produces the finding)."""

    action: Action
    at_stake: Decimal
    stake_kind: str


def ranked_by_stake(actions: Iterable[Action], findings: Iterable[Finding]) -> list[StakedAction]:
    """Open actions, the largest money at stake first; then severity, due date (none last), key.
    The money is the finding's (``Finding.at_stake``), matched by key: one figure, one place."""
    by_key = {f.key: f for f in findings}
    out = []
    for a in actions:
        if not a.is_open:
            continue
        f = by_key.get(a.key)
        if f is None:  # the analysis no longer produces it: the money as last seen
            out.append(StakedAction(a, a.at_stake, a.stake_kind))
        else:
            out.append(StakedAction(a, f.at_stake, f.stake_kind))
    return sorted(out, key=lambda s: (-s.at_stake, _SEV_ORDER.get(s.action.severity, 9),
                                      s.action.due or date.max, s.action.key))


def stake_by_kind(ranked: Iterable[StakedAction]) -> dict[str, Decimal]:
    """Total money at stake of ``ranked`` per stake kind (kinds with money only), largest first."""
    out: dict[str, Decimal] = {}
    for s in ranked:
        if s.at_stake > 0:
            out[s.stake_kind] = out.get(s.stake_kind, _ZERO) + s.at_stake
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def checklist_order(actions: Iterable[Action]) -> list[Action]:
    """Open first, then due date (none last), severity (high, medium, low), key."""
    return sorted(actions, key=lambda a: (not a.is_open, a.due or date.max,
                                          _SEV_ORDER.get(a.severity, 9), a.key))


def reconcile(existing: Mapping[str, Action], findings: Iterable[Finding], as_of: date,
              checklist_date: date | None,
              why: Callable[[str], str] | None = None) -> tuple[list[Action], date | None]:
    """The checklist after the findings of the reporting analysis at ``as_of``.

    Returns (the new or changed actions, the checklist's data date). ``checklist_date`` is the
    latest reporting date the checklist has seen. A reporting date before it is a look back: no
    action changes. Otherwise a new key opens an action (opened_at = last_seen = as_of); a key
    seen again takes the finding's fields and last_seen = as_of, and an action the data had
    resolved is open again (a person's status, owner and notes were never touched); an open
    action whose finding is gone is resolved by data: resolution 'data', resolved_at = as_of,
    the reason from ``why(key)``. Actions a person closed stay closed.
    """
    if checklist_date is not None and as_of < checklist_date:
        return [], checklist_date
    latest: dict[str, Finding] = {}
    for f in findings:
        latest[f.key] = f
    changed: list[Action] = []
    for key, f in latest.items():
        a = existing.get(key)
        if a is None:
            changed.append(Action.from_finding(f, as_of))
            continue
        new = dataclasses.replace(a, kind=f.kind, severity=f.severity, title=f.title, finding_owner=f.owner,
                                  finding_due=f.due, detail=f.detail or "", ref=dict(f.ref or {}), last_seen=as_of,
                                  at_stake=f.at_stake, stake_kind=f.stake_kind)
        if a.resolution == "data":  # it is back in the data
            if a.status in CLOSED_STATUSES:  # a person closed it meanwhile: that decision stays
                new = dataclasses.replace(new, resolution="analyst", resolution_reason="")
            else:
                new = dataclasses.replace(new, resolution=None, resolved_at=None, resolution_reason="")
        if new != a:
            changed.append(new)
    for key, a in existing.items():
        if key in latest or not a.is_open:
            continue
        reason = (why(key) if why is not None else "") or "the finding is no longer produced"
        changed.append(dataclasses.replace(
            a, resolution="data", resolved_at=max(as_of, a.opened_at),
            resolution_reason=f"resolved by data of {as_of:%Y-%m-%d}: {reason}"))
    return changed, as_of


# ``person_change(due=CLEAR_DUE)`` gives the due date back to the finding
CLEAR_DUE = "clear"


def person_change(a: Action, checklist_date: date | None, *, status: str | None = None,
                  notes: str | None = None, owner: str | None = None,
                  due: date | str | None = None) -> Action:
    """What a person's change makes of an action. Closing (done / won't fix) an open action
    resolves it as 'analyst' on the checklist's data date (never before it was opened);
    reopening an action a person had closed clears that; a resolution by data stays (the data
    says so) until the finding comes back. ``owner`` '' clears the assignment; ``due`` a date
    sets the due date in force, CLEAR_DUE gives it back to the finding."""
    if status is not None and status not in ACTION_STATUSES:
        raise ValueError(f"unknown action status {status!r}; one of {', '.join(ACTION_STATUSES)}")
    new = a
    if notes is not None:
        new = dataclasses.replace(new, notes=str(notes))
    if owner is not None:
        new = dataclasses.replace(new, assigned_owner=" ".join(str(owner).split()) or None)
    if due is not None:
        if due == CLEAR_DUE:
            new = dataclasses.replace(new, assigned_due=None)
        elif isinstance(due, date):
            new = dataclasses.replace(new, assigned_due=due.date() if hasattr(due, "hour") else due)
        else:
            raise ValueError(f"not a due date: {due!r}")
    if status is not None and status != a.status:
        new = dataclasses.replace(new, status=status)
        if status in CLOSED_STATUSES and a.resolution is None:
            day = max(checklist_date or a.opened_at, a.opened_at)
            new = dataclasses.replace(new, resolution="analyst", resolved_at=day, resolution_reason="")
        elif status in OPEN_STATUSES and a.resolution == "analyst":
            new = dataclasses.replace(new, resolution=None, resolved_at=None, resolution_reason="")
    return new


def why_resolved(key: str, analysis: Analysis) -> str:
    """Why the finding ``key`` is not produced by ``analysis`` (the words after "resolved by
    data of <date>: ")."""
    kind, _, rest = key.partition(":")
    as_of = analysis.as_of
    if kind == "contract":
        cid = rest.rsplit(":", 1)[0]
        c = next((c for c in analysis.contracts if c.contract_id == cid), None)
        if c is None:
            return f"contract {cid} is no longer in the commit schedule"
        if c.outcome_text:
            return f"the term is over ({c.outcome_text})"
        if c.band is None:
            return "nothing expected to date yet"
        return f"pacing {'back to' if c.band == 'on_pace' else 'now'} {c.band.replace('_', ' ')} ({_pct(c.pacing_ratio)})"
    if kind == "notice":
        cid = rest.rsplit(":", 1)[0]
        d = next((d for d in getattr(analysis, "notice_deadlines", ()) or () if d.contract_id == cid), None)
        if d is None:
            return (f"contract {cid} has no notice deadline now (its term ended, it is no longer active, or "
                    "it gives no notice_days)")
        if d.passed:
            return f"the notice deadline {d.deadline:%Y-%m-%d} has passed"
        return f"the notice deadline is now {d.deadline:%Y-%m-%d} ({describe(d)})"
    if kind == "budget":
        alloc, _, month = rest.rpartition(":")
        b = next((b for b in analysis.budgets if b.allocation == alloc and b.month == month), None)
        if b is None:
            return f"budget line '{alloc}' {month} is no longer in the budgets"
        if closed_month(month, as_of):
            return f"{month_label(month)} has ended: history, not an alert"
        return (f"severity now {b.severity}, tier {b.alert_tier} (forecast "
                f"{_pct(_ratio(b.forecast, b.budget))} of budget)")
    if kind in ("flag", "invoice"):
        inv_id = rest.split(":", 1)[0]
        inv = next((i for i in analysis.invoices if i.invoice_id == inv_id), None)
        if inv is None:
            return f"invoice {inv_id} is no longer in the invoices"
        if kind == "flag":
            return "the line is no longer flagged"
        return f"invoice now {inv.status.replace('_', ' ')} (variance {_pct(inv.variance_pct)})"
    if kind == "anomaly":
        day = rest.rsplit(":", 1)[-1]
        try:
            spike = date.fromisoformat(day)
        except ValueError:
            return "no longer an anomaly"
        if spike < as_of - timedelta(days=ANOMALY_RECENT_DAYS - 1):
            return f"the spike of {day} is older than {ANOMALY_RECENT_DAYS} days"
        return "no longer an anomaly"
    return "the finding is no longer produced"


def _ratio(num: Decimal | None, den: Decimal | None) -> float | None:
    if num is None or den is None or den == 0:
        return None
    return float(num / den)


@dataclass(frozen=True)
class ResolutionReport:
    """How long resolved actions took, in data days (Action.days_to_resolve)."""

    closed: tuple[Action, ...]
    open_count: int
    count: int
    mean_days: float | None
    median_days: float | None
    max_days: int | None
    by_kind: dict[str, dict[str, float | int | None]]


def resolution_report(actions: Iterable[Action]) -> ResolutionReport:
    acts = list(actions)
    closed = tuple(a for a in acts if not a.is_open and a.resolved_at is not None)

    def summary(items: list[Action]) -> dict[str, float | int | None]:
        days = [a.days_to_resolve for a in items if a.days_to_resolve is not None]
        return {"count": len(days),
                "mean_days": statistics.fmean(days) if days else None,
                "median_days": float(statistics.median(days)) if days else None,
                "max_days": max(days) if days else None}

    total = summary(list(closed))
    by_kind = {k: summary([a for a in closed if a.kind == k]) for k in sorted({a.kind for a in closed})}
    return ResolutionReport(closed=closed, open_count=sum(1 for a in acts if a.is_open),
                            count=int(total["count"] or 0), mean_days=total["mean_days"],
                            median_days=total["median_days"], max_days=total["max_days"],
                            by_kind=by_kind)  # type: ignore[arg-type]
