"""Generate the demo company "Northwind Labs" (CSV files in the canonical columns).

    python -m desktop.resources.demo.generate [--out DIR] [--check]

Deterministic: a fixed seed, fixed dates, exact Decimal arithmetic for every amount, so running
it again rewrites byte-identical files. The story the data tells (docs/domain.md terms):

* OpenAI (OAI-2026-RAMP): four quarterly minimums rising through 2026, rollover 25%, overage
  multiplier 1.25. Usage keeps growing (Support moved its triage off Azure in September), so the
  contract runs hot: overage_risk.
* Anthropic (ANT-2026-ANNUAL): one annual period from 2026-03-01, sized for an agent-assist
  roll-out that arrived late: shortfall_risk.
* Azure OpenAI (AZ-2025-EA): one year that ended on 2026-09-30, a little short of its commitment;
  only a trickle of staging usage remains after it. Its status is expired (history).
* Renewal: OAI-2026-RAMP renews next (2026-12-31; 30 days' notice: deadline 2026-12-01) and
  OpenAI has made two offers for 2027 (status proposed; they draw down nothing): OAI-2027-QUARTERLY
  (quarterly minimums rising 300k..360k at 15 % off, rollover 30 % capped at 50k for two quarters)
  and OAI-2027-ANNUAL (1.25M for the year at 18 % off, fulfilment term, a shortfall paid as
  prepaid credit). ANT-2026-ANNUAL gives 60 days' notice (deadline 2026-12-30).
* Usage: daily, 2025-10-01 .. 2026-11-15 (the as-of date), per vendor x model x meter x team x
  environment, with weekday seasonality, growth, noise and two incident spikes (a Research o3
  eval batch on 2026-06-17, a Support retry loop on claude-3-5-haiku on 2026-10-28).
* Invoices: one per vendor per month (October 2025 .. October 2026), line items per model and
  meter, with real problems: a duplicated line (OAI-2026-08), a line billed above the rate card
  (ANT-2026-09, claude-sonnet-4 output), a line for a model with no usage (ANT-2026-07), an SLA
  credit (OAI-2026-05) and sales tax on every Azure invoice. OpenAI invoices spell the vendor
  "OpenAI, L.L.C." as the real ones do.
* Budgets: per team per month of 2026 (dimension team); November lands on a mix of alert tiers
  (Research hard_cap, Growth critical, Search and Support warning, Data Platform none).
* org_map: four teams mapped to cost centers and GL accounts; Research is not mapped, so its
  spend shows as the `unallocated` chargeback line.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np

SEED = 20261115
AS_OF = dt.date(2026, 11, 15)
START = dt.date(2025, 10, 1)
OUT_DIR = Path(__file__).resolve().parent
CENT = Decimal("0.01")
UNIT = "1K tokens"

OPENAI, ANTHROPIC, AZURE = "OpenAI", "Anthropic", "Azure OpenAI"

# contracted price per 1K tokens, list price per 1K tokens
RATES: dict[tuple[str, str, str], tuple[str, str]] = {
    (OPENAI, "gpt-4o", "input_tokens"): ("0.00220", "0.00250"),
    (OPENAI, "gpt-4o", "cached_input_tokens"): ("0.00110", "0.00125"),
    (OPENAI, "gpt-4o", "output_tokens"): ("0.00880", "0.01000"),
    (OPENAI, "gpt-4.1-mini", "input_tokens"): ("0.00035", "0.00040"),
    (OPENAI, "gpt-4.1-mini", "output_tokens"): ("0.00140", "0.00160"),
    (OPENAI, "o3", "input_tokens"): ("0.00176", "0.00200"),
    (OPENAI, "o3", "output_tokens"): ("0.00704", "0.00800"),
    (OPENAI, "text-embedding-3-large", "input_tokens"): ("0.00011", "0.00013"),
    (ANTHROPIC, "claude-sonnet-4", "input_tokens"): ("0.00255", "0.00300"),
    (ANTHROPIC, "claude-sonnet-4", "output_tokens"): ("0.01275", "0.01500"),
    (ANTHROPIC, "claude-3-5-haiku", "input_tokens"): ("0.00068", "0.00080"),
    (ANTHROPIC, "claude-3-5-haiku", "output_tokens"): ("0.00340", "0.00400"),
    (AZURE, "gpt-4o", "input_tokens"): ("0.00230", "0.00250"),
    (AZURE, "gpt-4o", "cached_input_tokens"): ("0.00115", "0.00125"),
    (AZURE, "gpt-4o", "output_tokens"): ("0.00920", "0.01000"),
    (AZURE, "gpt-4o-mini", "input_tokens"): ("0.00014", "0.00015"),
    (AZURE, "gpt-4o-mini", "output_tokens"): ("0.00055", "0.00060"),
    (AZURE, "text-embedding-3-small", "input_tokens"): ("0.00002", "0.00002"),
}

# share of a stream's daily cost per meter
METER_SPLIT = {
    "gpt-4o": {"input_tokens": 0.35, "cached_input_tokens": 0.05, "output_tokens": 0.60},
    "text-embedding-3-large": {"input_tokens": 1.0},
    "text-embedding-3-small": {"input_tokens": 1.0},
}
DEFAULT_SPLIT = {"input_tokens": 0.4, "output_tokens": 0.6}

CONTRACT_OWNERS = {
    OPENAI: ("Priya Raman (Procurement)", "Dana Whitfield (VP Finance)"),
    ANTHROPIC: ("Marcus Oyelaran (Procurement)", "Dana Whitfield (VP Finance)"),
    AZURE: ("Priya Raman (Procurement)", "Tomasz Nowak (CFO)"),
}

TEAMS = {
    # team: (cost_center, gl_account, owner, containment owner, escalation owner) ; None = unmapped
    "Search": ("CC-4100", "6420", "Elena Park", "Jon Okafor (Search SRE lead)", "Ravi Menon (VP Eng)"),
    "Support": ("CC-4200", "5120", "Grace Liu", "Sam Doyle (Support Eng lead)", "Ravi Menon (VP Eng)"),
    "Growth": ("CC-4300", "6430", "Hannah Brooks", "Leo Varga (Growth Eng lead)", "Maya Chen (CMO)"),
    "Data Platform": ("CC-4400", "6420", "Owen Fischer", "Ines Duarte (Data Eng lead)", "Ravi Menon (VP Eng)"),
    "Research": (None, None, "Dr. Aiko Tanaka", "Felix Braun (Research infra)", "Ravi Menon (VP Eng)"),
}


@dataclass(frozen=True)
class Stream:
    vendor: str
    model: str
    team: str
    project: str
    workload: str
    env: str
    base: float  # weekday $ per day at START
    growth: float  # monthly growth
    weekend: float  # weekend factor
    start: dt.date = START
    end: dt.date = AS_OF
    eligible: bool = True

    @property
    def api_key(self) -> str:
        v = {OPENAI: "oai", ANTHROPIC: "ant", AZURE: "az"}[self.vendor]
        t = self.team.lower().replace(" ", "")
        return f"{v}-{t}-{self.env}-{abs(hash_str(self.project)) % 90 + 10:02d}"


def hash_str(s: str) -> int:
    """Stable small hash (Python's hash() is salted per process)."""
    h = 7
    for ch in s:
        h = (h * 31 + ord(ch)) % 1_000_003
    return h


def _streams() -> list[Stream]:
    S = []

    def add(vendor, model, team, project, workload, envs, base, growth, weekend, **kw):
        scale = {"prod": 1.0, "staging": 0.12, "dev": 0.06}
        for env in envs:
            S.append(Stream(vendor, model, team, project, workload, env, base * scale[env], growth,
                            weekend, **kw))

    # OpenAI: the growth engine
    add(OPENAI, "gpt-4o", "Search", "semantic-search", "answer-synthesis", ("prod", "staging", "dev"),
        700, 0.035, 0.55)
    add(OPENAI, "gpt-4.1-mini", "Search", "query-rewrite", "query-rewrite", ("prod", "staging"),
        160, 0.05, 0.55)
    add(OPENAI, "gpt-4.1-mini", "Growth", "email-personalization", "email-drafts", ("prod", "staging"),
        260, 0.04, 0.35)
    add(OPENAI, "gpt-4o", "Growth", "ad-copy", "ad-variants", ("prod", "dev"), 240, 0.03, 0.30)
    add(OPENAI, "o3", "Research", "eval-harness", "evals", ("dev",), 2600, 0.04, 0.6)
    add(OPENAI, "o3", "Data Platform", "doc-extraction", "contract-extraction", ("prod", "staging"),
        240, 0.03, 0.9)
    add(OPENAI, "text-embedding-3-large", "Data Platform", "embeddings-backfill", "embeddings",
        ("prod",), 90, 0.02, 1.0)
    add(OPENAI, "gpt-4.1-mini", "Support", "ticket-triage", "triage", ("prod", "staging"), 520, 0.02, 0.45,
        start=dt.date(2026, 9, 8))
    # Anthropic: agent assist that arrived late
    add(ANTHROPIC, "claude-sonnet-4", "Support", "support-copilot", "agent-assist", ("prod", "staging", "dev"),
        520, 0.045, 0.45)
    add(ANTHROPIC, "claude-3-5-haiku", "Support", "ticket-summaries", "summaries", ("prod", "staging"),
        120, 0.03, 0.45)
    add(ANTHROPIC, "claude-sonnet-4", "Research", "agent-prototypes", "agents", ("dev",), 1900, 0.02, 0.5)
    add(ANTHROPIC, "claude-3-5-haiku", "Growth", "email-personalization", "subject-lines", ("prod",),
        70, 0.03, 0.35)
    add(ANTHROPIC, "claude-sonnet-4", "Search", "answer-quality", "grading", ("staging",), 900, 0.02, 0.3)
    # Azure OpenAI: the enterprise agreement that ended 2026-09-30
    az_end = dt.date(2026, 9, 30)
    add(AZURE, "gpt-4o", "Support", "ticket-triage", "triage", ("prod", "staging"), 520, 0.0, 0.45,
        end=dt.date(2026, 9, 7))
    add(AZURE, "gpt-4o-mini", "Support", "ticket-triage", "classification", ("prod",), 60, 0.0, 0.45,
        end=dt.date(2026, 9, 7))
    add(AZURE, "gpt-4o", "Data Platform", "doc-extraction", "invoice-ocr", ("prod", "staging"), 330, 0.01, 0.9,
        end=az_end)
    add(AZURE, "gpt-4o-mini", "Growth", "ad-copy", "ad-moderation", ("prod",), 70, 0.01, 0.4, end=az_end)
    add(AZURE, "text-embedding-3-small", "Data Platform", "embeddings-backfill", "embeddings", ("staging",),
        30, 0.0, 1.0)
    return S


# incident spikes: (date, vendor, model, team, env, factor)
SPIKES = [
    (dt.date(2026, 6, 17), OPENAI, "o3", "Research", "dev", 6.0),
    (dt.date(2026, 10, 28), ANTHROPIC, "claude-3-5-haiku", "Support", "prod", 9.0),
]


def days(a: dt.date, b: dt.date):
    d = a
    while d <= b:
        yield d
        d += dt.timedelta(days=1)


def money(x: Decimal) -> str:
    """Plain decimal, no exponent, trailing zeros trimmed but at least 2 decimals."""
    q = x.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    s = format(q, "f")
    if "." in s:
        whole, frac = s.split(".")
        frac = frac.rstrip("0").ljust(2, "0")
        s = f"{whole}.{frac}"
    return s


def build_usage(rng: np.random.Generator) -> list[dict]:
    rows = []
    streams = _streams()
    for d in days(START, AS_OF):
        months = (d - START).days / 30.4375
        weekend = d.weekday() >= 5
        for s in streams:
            if not (s.start <= d <= s.end):
                continue
            spend = s.base * (1 + s.growth) ** months
            if weekend:
                spend *= s.weekend
            spend *= float(rng.lognormal(0.0, 0.12))
            for sd, sv, sm, st, se, factor in SPIKES:
                if (d, s.vendor, s.model, s.team, s.env) == (sd, sv, sm, st, se):
                    spend *= factor
            split = METER_SPLIT.get(s.model, DEFAULT_SPLIT)
            for meter, share in split.items():
                price = Decimal(RATES[(s.vendor, s.model, meter)][0])
                qty = int(round(spend * share / float(price)))
                if qty <= 0:
                    continue
                rows.append({
                    "date": d.isoformat(),
                    "vendor": s.vendor,
                    "model": s.model,
                    "meter": meter,
                    "quantity": qty,
                    "unit": UNIT,
                    "cost": money(price * qty),
                    "currency": "USD",
                    "team": s.team,
                    "project": s.project,
                    "cost_center": TEAMS[s.team][0] if s.team == "Data Platform" else "",
                    "environment": s.env,
                    "api_key": s.api_key,
                    "workload": s.workload,
                    "commit_eligible": "true" if s.eligible else "false",
                })
    return rows


def _sum(rows, pred) -> Decimal:
    return sum((Decimal(r["cost"]) for r in rows if pred(r)), Decimal(0))


def _round_to(x: Decimal, step: int) -> Decimal:
    return (x / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def _period_consumed(usage, vendor, a: dt.date, b: dt.date) -> Decimal:
    a_s, b_s = a.isoformat(), min(b, AS_OF).isoformat()
    return _sum(usage, lambda r: r["vendor"] == vendor and a_s <= r["date"] <= b_s)


def _run_rate(usage, vendor) -> Decimal:
    lo = (AS_OF - dt.timedelta(days=13)).isoformat()
    return _sum(usage, lambda r: r["vendor"] == vendor and lo <= r["date"] <= AS_OF.isoformat()) / 14


def build_commitments(usage) -> list[dict]:
    out = []
    # OpenAI: quarterly ramp sized at ~77% of what each quarter turned out to consume
    quarters = [(dt.date(2026, 1, 1), dt.date(2026, 3, 31)), (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
                (dt.date(2026, 7, 1), dt.date(2026, 9, 30)), (dt.date(2026, 10, 1), dt.date(2026, 12, 31))]
    rr = _run_rate(usage, OPENAI)
    prev = Decimal(0)
    owner, esc = CONTRACT_OWNERS[OPENAI]
    for i, (a, b) in enumerate(quarters, 1):
        consumed = _period_consumed(usage, OPENAI, a, b)
        projected = consumed + (rr * (b - AS_OF).days if b > AS_OF else 0)
        c = max(_round_to(projected * Decimal("0.77"), 5000), prev + 10000)
        prev = c
        out.append({
            "contract_id": "OAI-2026-RAMP", "vendor": OPENAI, "period_start": a.isoformat(),
            "period_end": b.isoformat(), "commitment": money(c), "currency": "USD", "discount_pct": "12",
            "overage_multiplier": "1.25", "shortfall_penalty_pct": "100", "rollover_pct": "25",
            "clause": "Order Form OF-2026-01 §3.2 Quarterly Minimum Commitment; §3.4 Rollover",
            "owner": owner, "escalation_owner": esc,
            "notes": f"Ramp quarter {i}; unused minimum up to 25% rolls into the next quarter",
            **_terms(notice_days=30 if i == 1 else None),
        })
    # Anthropic: annual, sized so that pacing to date is ~0.66
    a, b = dt.date(2026, 3, 1), dt.date(2027, 2, 28)
    consumed = _period_consumed(usage, ANTHROPIC, a, b)
    elapsed = Decimal((AS_OF - a).days + 1)
    total = Decimal((b - a).days + 1)
    c = _round_to(consumed / (elapsed / total) / Decimal("0.66"), 10000)
    owner, esc = CONTRACT_OWNERS[ANTHROPIC]
    out.append({
        "contract_id": "ANT-2026-ANNUAL", "vendor": ANTHROPIC, "period_start": a.isoformat(),
        "period_end": b.isoformat(), "commitment": money(c), "currency": "USD", "discount_pct": "15",
        "overage_multiplier": "1.10", "shortfall_penalty_pct": "100", "rollover_pct": "0",
        "clause": "Commercial Terms CT-7 §2.1 Annual Committed Spend (take-or-pay)",
        "owner": owner, "escalation_owner": esc,
        "notes": "Sized for the Support agent-assist roll-out planned for Q2 2026",
        **_terms(notice_days=60),
    })
    # Azure OpenAI: ended 2026-09-30 at ~93% of its commitment
    a, b = dt.date(2025, 10, 1), dt.date(2026, 9, 30)
    consumed = _period_consumed(usage, AZURE, a, b)
    c = _round_to(consumed / Decimal("0.93"), 10000)
    owner, esc = CONTRACT_OWNERS[AZURE]
    out.append({
        "contract_id": "AZ-2025-EA", "vendor": AZURE, "period_start": a.isoformat(),
        "period_end": b.isoformat(), "commitment": money(c), "currency": "USD", "discount_pct": "8",
        "overage_multiplier": "1.00", "shortfall_penalty_pct": "100", "rollover_pct": "0",
        "clause": "Microsoft EA Amendment M-4471 §5 Azure OpenAI Monetary Commitment",
        "owner": owner, "escalation_owner": esc,
        "notes": "Ended; triage workloads moved to OpenAI direct in September 2026",
        **_terms(status="expired"),
    })
    out.extend(_openai_offers())
    return out


def _terms(status: str = "active", fulfilment=None, rollover_cap=None, rollover_expiry_periods=None,
           shortfall_treatment=None, notice_days=None) -> dict:
    """The status and offer terms of a commitments row (blank = the column's default)."""
    def cell(v):
        return "" if v is None else str(v)
    return {"status": status, "fulfilment": cell(fulfilment), "rollover_cap": cell(rollover_cap),
            "rollover_expiry_periods": cell(rollover_expiry_periods),
            "shortfall_treatment": cell(shortfall_treatment), "notice_days": cell(notice_days)}


def _openai_offers() -> list[dict]:
    """Two offers (status proposed) for OAI-2026-RAMP, the contract renewing next (2026-12-31):
    quarterly minimums rising through 2027 with rollover, or one annual minimum with a missed
    minimum paid as prepaid credit."""
    owner, esc = CONTRACT_OWNERS[OPENAI]
    out = []
    quarters = [(dt.date(2027, 1, 1), dt.date(2027, 3, 31)), (dt.date(2027, 4, 1), dt.date(2027, 6, 30)),
                (dt.date(2027, 7, 1), dt.date(2027, 9, 30)), (dt.date(2027, 10, 1), dt.date(2027, 12, 31))]
    for i, ((a, b), c) in enumerate(zip(quarters, ("300000.00", "320000.00", "340000.00", "360000.00"),
                                        strict=True), 1):
        out.append({
            "contract_id": "OAI-2027-QUARTERLY", "vendor": OPENAI, "period_start": a.isoformat(),
            "period_end": b.isoformat(), "commitment": c, "currency": "USD", "discount_pct": "15",
            "overage_multiplier": "1.20", "shortfall_penalty_pct": "100", "rollover_pct": "30",
            "clause": "OpenAI renewal proposal P-2027-A (quarterly minimums, rollover)",
            "owner": owner, "escalation_owner": esc,
            "notes": f"Offer A, quarter {i}: up to 30% of a missed minimum (at most 50,000.00) stays open "
                     "for two quarters",
            **_terms("proposed", "period", "50000.00", 2, "penalty", 30),
        })
    out.append({
        "contract_id": "OAI-2027-ANNUAL", "vendor": OPENAI, "period_start": "2027-01-01",
        "period_end": "2027-12-31", "commitment": "1250000.00", "currency": "USD", "discount_pct": "18",
        "overage_multiplier": "1.15", "shortfall_penalty_pct": "100", "rollover_pct": "0",
        "clause": "OpenAI renewal proposal P-2027-B (annual commitment, shortfall as prepaid credit)",
        "owner": owner, "escalation_owner": esc,
        "notes": "Offer B: one annual minimum; a missed minimum is paid as credit usable later",
        **_terms("proposed", "term", None, None, "credit", 60),
    })
    return out


INVOICE_PREFIX = {OPENAI: "OAI", ANTHROPIC: "ANT", AZURE: "AZ"}
INVOICE_VENDOR = {OPENAI: "OpenAI, L.L.C.", ANTHROPIC: "Anthropic", AZURE: "Azure OpenAI"}
METER_WORDS = {"input_tokens": "input tokens", "cached_input_tokens": "cached input tokens",
               "output_tokens": "output tokens"}


def _month_end(y: int, m: int) -> dt.date:
    return (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1))


def _invoice_line(head, desc, model, meter, q, price, amount, line_type) -> dict:
    iid, vendor, inv_date, a, b = head
    return {
        "invoice_id": iid, "vendor": vendor, "invoice_date": inv_date.isoformat(),
        "period_start": a.isoformat(), "period_end": b.isoformat(), "description": desc,
        "model": model, "meter": meter, "quantity": "" if q is None else q,
        "unit_price": "" if price is None else price, "amount": money(amount),
        "line_type": line_type, "currency": "USD", "contract_id": "",
    }


def build_invoices(usage) -> list[dict]:
    qty: dict[tuple, int] = defaultdict(int)
    for r in usage:
        qty[(r["vendor"], r["date"][:7], r["model"], r["meter"])] += int(r["quantity"])
    out = []
    y, m = START.year, START.month
    while dt.date(y, m, 1) < dt.date(AS_OF.year, AS_OF.month, 1):
        ym = f"{y:04d}-{m:02d}"
        a, b = dt.date(y, m, 1), _month_end(y, m)
        inv_date = b + dt.timedelta(days=3)
        for vendor in (OPENAI, ANTHROPIC, AZURE):
            keys = sorted(k for k in qty if k[0] == vendor and k[1] == ym)
            if not keys:
                continue
            iid = f"{INVOICE_PREFIX[vendor]}-{ym}"
            lines: list[dict] = []
            head = (iid, INVOICE_VENDOR[vendor], inv_date, a, b)

            def line(desc, model, meter, q, price, amount, line_type="usage", _head=head, _lines=lines):
                _lines.append(_invoice_line(_head, desc, model, meter, q, price, amount, line_type))

            for _, _, model, meter in keys:
                q = qty[(vendor, ym, model, meter)]
                price = RATES[(vendor, model, meter)][0]
                if (iid, model, meter) == ("ANT-2026-09", "claude-sonnet-4", "output_tokens"):
                    price = "0.01403"  # billed at 10% above the contracted 0.01275
                amount = (Decimal(price) * q).quantize(CENT, rounding=ROUND_HALF_UP)
                line(f"{model} {METER_WORDS[meter]} ({UNIT})", model, meter, q, price, amount)
                if (iid, model, meter) == ("OAI-2026-08", "gpt-4o", "output_tokens"):
                    line(f"{model} {METER_WORDS[meter]} ({UNIT})", model, meter, q, price, amount)
            if iid == "ANT-2026-07":
                line("claude-3-opus input tokens (1K tokens)", "claude-3-opus", "input_tokens", 12000,
                     "0.01275", Decimal("153.00"))
            if iid == "OAI-2026-05":
                line("Service credit: SLA breach 2026-04-22 (ticket 88141)", "", "", None, None,
                     Decimal("-2500.00"), "credit")
            if vendor == AZURE:
                base = sum((Decimal(x["amount"]) for x in lines), Decimal(0))
                line("Sales tax (NY 8.875%)", "", "", None, None,
                     (base * Decimal("0.08875")).quantize(CENT, rounding=ROUND_HALF_UP), "tax")
            out.extend(lines)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# November targets: utilization at the as-of date per team
NOV_TARGET = {"Research": Decimal("1.06"), "Growth": Decimal("0.92"), "Search": Decimal("0.79"),
              "Support": Decimal("0.76"), "Data Platform": Decimal("0.44")}


def build_budgets(usage, rng: np.random.Generator) -> list[dict]:
    spend: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in usage:
        spend[(r["team"], r["date"][:7])] += Decimal(r["cost"])
    out = []
    for team, (cc, gl, owner, contain, esc) in TEAMS.items():
        factors = rng.uniform(0.92, 1.18, size=12)
        for i in range(12):
            ym = f"2026-{i + 1:02d}"
            if ym == "2026-11":
                b = _round_to(spend[(team, ym)] / NOV_TARGET[team], 500)
            elif ym == "2026-12":
                b = _round_to(spend[(team, "2026-10")] * Decimal("1.05"), 1000)
            else:
                b = _round_to(spend[(team, ym)] * Decimal(str(round(float(factors[i]), 2))), 1000)
            out.append({
                "allocation": f"{team} AI", "month": ym, "budget": money(b), "dimension": "team",
                "value": team, "vendor": "", "owner": owner, "containment_owner": contain,
                "escalation_owner": esc, "category": "AI APIs", "cost_center": cc or "",
                "gl_account": gl or "",
            })
    return out


def build_rate_card() -> list[dict]:
    out = []
    for (vendor, model, meter), (price, list_price) in sorted(RATES.items()):
        out.append({
            "vendor": vendor, "model": model, "meter": meter, "contracted_price": price, "unit": UNIT,
            "list_price": list_price, "effective_from": "", "effective_to": "",
            "owner": CONTRACT_OWNERS[vendor][0],
        })
    return out


def build_org_map() -> list[dict]:
    return [{"team": t, "cost_center": cc, "gl_account": gl, "owner": owner}
            for t, (cc, gl, owner, _, _) in TEAMS.items() if cc]


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def generate(out_dir: Path = OUT_DIR) -> dict[str, list[dict]]:
    rng = np.random.default_rng(SEED)
    usage = build_usage(rng)
    usage.sort(key=lambda r: (r["date"], r["vendor"], r["model"], r["team"], r["environment"], r["meter"]))
    tables = {
        "commitments": build_commitments(usage),
        "usage": usage,
        "invoices": build_invoices(usage),
        "budgets": build_budgets(usage, np.random.default_rng(SEED + 1)),
        "rate_card": build_rate_card(),
        "org_map": build_org_map(),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    for kind, rows in tables.items():
        write_csv(out_dir / f"{kind}.csv", rows)
    return tables


def summary(tables: dict[str, list[dict]]) -> str:
    usage = tables["usage"]
    lines = [f"usage rows: {len(usage)}; invoices lines: {len(tables['invoices'])}"]
    by_contract = defaultdict(list)
    for c in tables["commitments"]:
        if c.get("status") != "proposed":  # an offer draws down nothing
            by_contract[c["contract_id"]].append(c)
    for cid, periods in by_contract.items():
        consumed = expected = Decimal(0)
        for p in periods:
            a, b = dt.date.fromisoformat(p["period_start"]), dt.date.fromisoformat(p["period_end"])
            n = (b - a).days + 1
            el = max(0, min((AS_OF - a).days + 1, n))
            consumed += _period_consumed(usage, p["vendor"], a, b)
            expected += Decimal(p["commitment"]) * el / n
        ratio = consumed / expected if expected else None
        lines.append(f"{cid}: consumed {consumed:.2f} expected {expected:.2f} pacing {ratio:.3f}")
    spend: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for r in usage:
        spend[(r["team"], r["date"][:7])] += Decimal(r["cost"])
    for b in tables["budgets"]:
        if b["month"] == "2026-11":
            act = spend[(b["value"], "2026-11")]
            lines.append(f"{b['allocation']} 2026-11: budget {b['budget']} actual {act:.2f} "
                         f"util {act / Decimal(b['budget']):.3f} prev {spend[(b['value'], '2026-10')]:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR, help="directory for the CSV files")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    tables = generate(args.out)
    if not args.quiet:
        print(summary(tables))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
