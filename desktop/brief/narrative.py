"""The Summary's narrative: short sentences written from the figures, most urgent first."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from desktop.domain.actions import Action, closed_month
from desktop.domain.portfolio import portfolio
from desktop.domain.results import Analysis, ContractResult
from desktop.domain.vocabulary import BANDS

_BAND_WORDS = {b: BANDS.label(b).lower() for b in BANDS}


def short_money(value: Decimal, currency: str = "") -> str:
    """1234567.89 -> "1.23M", 290000 -> "290k", 72500 -> "72.5k", 950.4 -> "950"."""
    v = float(value)
    sign = "-" if v < 0 else ""
    a = abs(v)
    if a >= 1_000_000:
        s = f"{a / 1_000_000:.2f}".rstrip("0").rstrip(".") + "M"
    elif a >= 1_000:
        s = f"{a / 1_000:.1f}".rstrip("0").rstrip(".") + "k"
    else:
        s = f"{a:,.0f}"
    return f"{sign}{s}" + (f" {currency}" if currency else "")


def _contract_sentence(c: ContractResult, currency: str) -> str | None:
    r = c.pacing_ratio
    if r is None:
        if c.projected_consumption > 0:
            return (f"{c.contract_id} ({c.vendor}) has not started its burn line yet; "
                    f"at the current run rate it would consume {short_money(c.projected_consumption, currency)} "
                    f"of {short_money(c.commitment, currency)} committed.")
        return None
    pct = round(abs(r - 1) * 100)
    if r >= 1:
        pace = "on its line" if pct == 0 else f"{pct}% above its line"
    else:
        pace = f"{pct}% below its line"
    band = _BAND_WORDS.get(c.band or "", c.band or "")
    end = f"{c.term_end:%Y-%m-%d}"
    if c.outcome_text:
        # the term is over: what it came to (the contract's outcome), in the past tense
        used = (f"{short_money(c.consumed_to_date, '')} of {short_money(c.commitment, currency)} "
                "consumed")
        result = c.outcome_text.removeprefix("ended: ")
        return f"{c.contract_id} ({c.vendor}) ended its term on {end} with {used}: {result}."
    head = f"{c.contract_id} ({c.vendor}) is burning {pace} ({band})"
    if c.overage > 0:
        tail = (f"; at this run rate the term ends {short_money(c.overage, currency)} over commitment by {end}"
                + (f", costing {short_money(c.overage_premium, currency)} in overage premium"
                   if c.overage_premium > 0 else "") + ".")
    elif c.shortfall_exposure > 0:
        short = c.commitment - c.projected_consumption
        tail = (f"; at this run rate it ends {short_money(max(short, Decimal(0)), currency)} short of its "
                f"commitment by {end}, a shortfall exposure of {short_money(c.shortfall_exposure, currency)}")
        if c.required_run_rate is not None and c.required_run_rate > 0:
            tail += (f" (it needs {short_money(c.required_run_rate, currency)}/day against "
                     f"{short_money(c.run_rate, currency)}/day now)")
        tail += "."
    else:
        tail = f"; projected to land within its commitment of {short_money(c.commitment, currency)}."
    current = [p for p in c.periods if p.status == "current"]
    if len(c.periods) > 1 and current:
        p = current[0]
        committed = p.commitment + p.carry_in
        if p.overage > 0:
            tail += (f" The current period (to {p.period_end:%Y-%m-%d}) is heading "
                     f"{short_money(p.overage, currency)} over its {short_money(committed, currency)}.")
        elif p.shortfall > 0:
            tail += (f" The current period (to {p.period_end:%Y-%m-%d}) is heading "
                     f"{short_money(p.shortfall, currency)} short of its {short_money(committed, currency)}.")
    return head + tail


def sentences(analysis: Analysis, actions: list[Action], today: date | None = None) -> list[str]:
    """``today``: the day overdue is judged against (the day the brief is written), else T."""
    cur = analysis.currency
    out: list[str] = []
    urgent = {"overage_risk": 0, "shortfall_risk": 0, "overage_watch": 1, "shortfall_watch": 1}
    contracts = sorted(analysis.contracts,
                       key=lambda c: (urgent.get(c.band or "", 2),
                                      -(c.shortfall_exposure + c.overage_premium), c.contract_id))
    for c in contracts:
        s = _contract_sentence(c, cur)
        if s:
            out.append(s)

    over = [i for i in analysis.invoices if i.status == "overbilled"]
    leak = portfolio(analysis).premium_leakage
    if over or leak > 0:
        parts = []
        if over:
            worst = max(over, key=lambda i: i.variance)
            parts.append(f"{len(over)} invoice{'s' if len(over) != 1 else ''} billed above usage "
                         f"(largest: {worst.invoice_id}, {short_money(worst.variance, cur)} over)")
        if leak > 0:
            nflags = sum(len(i.flags) for i in analysis.invoices)
            parts.append(f"{nflags} flagged line{'s' if nflags != 1 else ''} carry "
                         f"{short_money(leak, cur)} of leakage to recover")
        out.append("Invoices: " + "; ".join(parts) + ".")

    # a month that has ended is history (its overrun is spent), not something to act on
    live = [b for b in analysis.budgets if not closed_month(b.month, analysis.as_of)]
    hot = [b for b in live if b.severity in ("high", "medium")]
    if hot:
        worst = max(hot, key=lambda b: b.variance)
        out.append(f"Budgets: {len(hot)} allocation line{'s' if len(hot) != 1 else ''} forecast over budget; "
                   f"{worst.allocation} ({worst.month}) is heading {short_money(worst.variance, cur)} over "
                   f"({(worst.variance_pct or 0) * 100:.0f}%).")
    under = [b for b in live if b.severity == "under"]
    if under:
        spare = sum((-b.variance for b in under), Decimal("0.00"))
        out.append(f"{len(under)} budget line{'s' if len(under) != 1 else ''} will leave "
                   f"{short_money(spare, cur)} unspent: money to reallocate.")

    if analysis.anomalies:
        latest = max(analysis.anomalies, key=lambda a: (a.date, a.z))
        out.append(f"Anomalies: {len(analysis.anomalies)} day{'s' if len(analysis.anomalies) != 1 else ''} "
                   f"of unusual spend; the latest is {latest.dimension} {latest.value} on "
                   f"{latest.date:%Y-%m-%d} ({short_money(latest.spend, cur)}, z = {latest.z:.1f}).")

    open_rows = [a for a in actions if a.is_open]
    overdue = [a for a in open_rows if a.overdue(today or analysis.as_of)]
    if open_rows:
        s = f"Actions: {len(open_rows)} open"
        if overdue:
            s += f", {len(overdue)} overdue"
        nxt = [a for a in open_rows if a.due is not None and a.due >= (today or analysis.as_of)]
        if nxt:
            n = min(nxt, key=lambda a: a.due)
            s += f"; next due {n.due:%Y-%m-%d}: {n.title}" + (f" ({n.owner})" if n.owner else "")
        out.append(s + ".")
    if not out:
        out.append("Nothing needs attention: every contract is on pace and no invoice, budget or "
                   "anomaly was flagged.")
    return out
