"""The three-way audit (invoice <-> usage <-> contracted token rates) and the unit-economics
table (docs/domain.md "Rate audit").

* Usage rows count tokens of one kind (input, cached_input, cache_write, cache_write_1h, output)
  at one service tier (standard, batch, flex, priority, provisioned): the row's ``token_kind``
  (else what its meter says) and ``service_tier`` (empty = standard); tokens = quantity x the
  tokens its unit counts ("tokens" 1, "1M tokens" 1,000,000; empty unit = tokens).
* ``audit``: per vendor-period of the invoices (the same vendor-periods as invoice variance:
  ``invoices.period_rows``), the usage is grouped by (model, token kind, tier); each group's
  tokens are re-priced at the contracted token price valid in the billing period
  (``invoices.RateCard.token_price``) and compared with the vendor's own cost and with the
  invoice lines that bill the group. Why a price is above the contract is said by
  ``invoices.price_flag`` (the one place: cache_discount_missing, batch_discount_missing,
  tier_mismatch, list_price, premium_rate), the same function the invoice lines are judged by.
* A group's leakage not already flagged on an invoice line of the period (same model, kind and
  tier) is added to the invoice that holds the group (``with_audit_flags``), so no money is
  counted twice.
* ``unit_prices``: effective price per million tokens by vendor x model x token kind x tier over
  the usage up to the as-of date, beside the contracted and list price valid on that date.
* Selectors of the rows behind the figures: ``audit_rows`` (usage behind vendor_cost),
  ``audit_invoice_rows`` (invoice lines behind invoiced), ``unit_price_rows`` (usage behind
  cost); provenance.figure_rows / row_figures call them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import invoices as invoices_mod
from desktop.domain.money import ZERO, cents, from_micros, money_sum
from desktop.domain.results import InvoiceFlag, InvoiceResult
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.tables import text_codes
from desktop.domain.usage_index import UsageIndex, match_key
from desktop.domain.vocabulary import (
    SERVICE_TIERS,
    TOKEN_KINDS,
    service_tier_of,
    token_kind_of,
    tokens_per_unit,
)

MILLION = Decimal(1_000_000)


@dataclass(frozen=True)
class RateAuditLine:
    """One (vendor-period, model, token kind, service tier) of the three-way audit."""

    vendor: str
    period_start: date
    period_end: date
    model: str
    token_kind: str
    service_tier: str  # the tier charged
    tokens: int  # tokens used (at ``used_tiers`` for a tier_mismatch line)
    vendor_cost: Decimal  # the vendor's own cost of the rows (a total of rows)
    expected: Decimal | None  # tokens re-priced at the contracted token price; None without one
    invoiced: Decimal | None  # the invoice lines billing this model, kind and tier; None when none
    difference: Decimal | None  # vendor_cost - expected
    flag: str | None  # vocabulary LINE_FLAGS price flag, None when at or under the contract
    leakage: Decimal  # vendor_cost - expected less what invoice-line flags already count (>= 0)
    owner: str | None
    invoice_id: str | None  # the invoice whose share holds the group (its flag is added there)
    line: int | None  # the invoice line billing the group, else the invoice's first line
    file: str
    effective_per_million: str | None  # vendor_cost / tokens x 1M (text, exact to 6 decimals)
    contracted_per_million: str | None
    list_per_million: str | None
    flagged_on_lines: Decimal  # leakage of the period's invoice-line price flags on this group
    used_tiers: tuple[str, ...] = ()  # tier_mismatch: the tiers the tokens were used at
    contract_id: str | None = None  # the vendor-period's named contract (rows of others left out)
    rate_card_file: str = ""  # the rate-card row behind ``expected``
    rate_card_row: int | None = None
    detail: str = ""
    model_key: str = ""  # match key of the model (selectors)


@dataclass(frozen=True)
class UnitPrice:
    """Effective price per million tokens of one vendor x model x token kind x tier."""

    vendor: str
    model: str
    token_kind: str
    service_tier: str
    tokens: int
    cost: Decimal  # a total of rows: usage up to the as-of date
    effective_per_million: str | None
    contracted_per_million: str | None  # the contracted token price valid on the as-of date
    list_per_million: str | None
    vs_contract: float | None  # effective / contracted - 1
    first_date: date | None = None
    last_date: date | None = None
    rate_card_file: str = ""
    rate_card_row: int | None = None
    model_key: str = ""


# --- token rows ----------------------------------------------------------------------------------

class _Tokens:
    """Per usage row (kept on the usage index): token kind code (index in TOKEN_KINDS, -1 none),
    tier code (index in SERVICE_TIERS; an empty tier is standard; -1 for a tier CommitDesk does
    not know) and tokens (-1 when the row counts no tokens)."""

    def __init__(self, index: UsageIndex):
        f = index.frame
        n = index.size
        self.kind = np.full(n, -1, dtype=np.int8)  # a handful of kinds and tiers: a byte a row
        self.tier = np.zeros(n, dtype=np.int8)
        self.tokens = np.full(n, -1, dtype=np.int64)
        if not n:
            return
        kinds = {k: i for i, k in enumerate(TOKEN_KINDS)}
        tiers = {t: i for i, t in enumerate(SERVICE_TIERS)}

        def coded(column: str, fn, table: dict) -> np.ndarray:
            if column not in f.columns:
                return np.full(n, -1, dtype=np.int8)
            codes, uniques = text_codes(f[column])
            look = np.array([table.get(fn(str(u)), -1) for u in uniques] + [-1], dtype=np.int8)
            return look[np.where(codes < 0, len(uniques), codes)]

        own = coded("token_kind", token_kind_of, kinds)
        by_meter = coded("meter", token_kind_of, kinds)
        self.kind = np.where(own >= 0, own, by_meter)
        if "service_tier" in f.columns:
            codes, uniques = text_codes(f["service_tier"])
            look = np.array([tiers.get(service_tier_of(str(u)) or "", -1) for u in uniques] + [0], dtype=np.int8)
            self.tier = look[np.where(codes < 0, len(uniques), codes)]
        qty = pd.to_numeric(f["quantity"], errors="coerce").to_numpy(dtype=np.float64) \
            if "quantity" in f.columns else np.full(n, np.nan)
        if "unit" in f.columns:
            codes, uniques = text_codes(f["unit"])
            look = np.array([tokens_per_unit(str(u)) or 0 for u in uniques] + [1], dtype=np.int64)
            per = look[np.where(codes < 0, len(uniques), codes)]
        else:
            per = np.ones(n, dtype=np.int64)
        ok = (self.kind >= 0) & np.isfinite(qty) & (per > 0)
        with np.errstate(invalid="ignore"):
            # half-up to whole tokens (a quantity of 0.0125 "1M tokens" is 12,500 tokens)
            self.tokens = np.where(ok, np.floor(np.where(ok, qty, 0) * per + 0.5), -1).astype(np.int64)


def _tokens(index: UsageIndex) -> _Tokens:
    return index.memo("rate_audit_tokens", lambda: _Tokens(index))


@dataclass
class _Group:
    model: int
    kind: int
    tier: int
    cost: int = 0  # micros
    priced_tokens: int = 0  # tokens of rows that carry money
    priced_rows_with_tokens: int = 0
    free_tokens: int = 0  # tokens of rows with cost 0 (a usage report)
    first_day: int = 0  # day numbers of its first and last row
    last_day: int = 0

    @property
    def tokens(self) -> int:
        """A cost export line item carries its tokens with its money: count those; a cost report
        without tokens (Anthropic) is priced for the tokens of the usage report (cost 0)."""
        return self.priced_tokens if self.priced_rows_with_tokens else self.free_tokens


def _groups(index: UsageIndex, pos: np.ndarray) -> dict[tuple[int, int, int], _Group]:
    """The token rows at ``pos`` grouped by (model code, kind code, tier code)."""
    tk = _tokens(index)
    mcodes = index.codes("model")[0]
    pos = pos[(tk.kind[pos] >= 0) & (tk.tier[pos] >= 0) & (mcodes[pos] >= 0)]
    out: dict[tuple[int, int, int], _Group] = {}
    if not len(pos):
        return out
    nk, nt = len(TOKEN_KINDS), len(SERVICE_TIERS)
    key = (mcodes[pos].astype(np.int64) * nk + tk.kind[pos]) * nt + tk.tier[pos]
    # few distinct keys: a 16-bit key sorts by radix (linear) instead of comparison
    order = np.argsort(key.astype(np.uint16) if key.max() < 65536 else key, kind="stable")
    pos, key = pos[order], key[order]
    cuts = np.flatnonzero(np.diff(key)) + 1
    for part in np.split(np.arange(len(pos)), cuts):
        p = pos[part]
        k = int(key[part[0]])
        g = _Group(model=k // (nk * nt), kind=(k // nt) % nk, tier=k % nt)
        cost = index.cost[p]
        tok = tk.tokens[p]
        g.cost = money_sum(cost)
        priced = (cost != 0) & (tok >= 0)
        g.priced_rows_with_tokens = int(priced.sum())
        g.priced_tokens = int(tok[priced].sum())
        g.free_tokens = int(tok[(cost == 0) & (tok >= 0)].sum())
        days = index.day[p]
        g.first_day, g.last_day = int(days.min()), int(days.max())
        out[(g.model, g.kind, g.tier)] = g
    return out


def _per_million(per_token: Decimal | None) -> str | None:
    """A price per token as a price per million tokens, exact to 6 decimals, at least 2 shown."""
    if per_token is None:
        return None
    q = (per_token * MILLION).quantize(Decimal("0.000001"))
    text = format(q.normalize(), "f")
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"


def _money(micros: int) -> Decimal:
    return from_micros(micros)


# --- the invoice side ------------------------------------------------------------------------------

class _Lines:
    """The analysed invoice lines as (model key, kind, tier) per (file, row), and their amounts."""

    def __init__(self, lines: pd.DataFrame | None):
        self.by_ref: dict[tuple[str, int], tuple[str, str | None, str, int, int]] = {}
        self.by_invoice: dict[str, list[tuple[str, int]]] = {}
        if lines is None or lines.empty:
            return
        recs = lines.to_dict("records")
        ltype = lines["line_type"].astype("string").str.strip().str.casefold().fillna("usage").tolist()
        for pos, (rec, lt) in enumerate(zip(recs, ltype, strict=True)):
            rec = {k: invoices_mod._nn(v) for k, v in rec.items()}
            kind, tier = invoices_mod.line_token_kind(rec)
            ref = (str(rec.get("_file") or ""), int(rec["_row"]))
            model = match_key("model", rec.get("model")) if rec.get("model") is not None else ""
            usage = lt == "usage"
            self.by_ref[ref] = (model, kind if usage else None, tier, int(rec["amount"]), pos)
            self.by_invoice.setdefault(str(rec["invoice_id"]), []).append(ref)

    def of_group(self, invoice_ids: Sequence[str], model: str, kind: str, tier: str) -> list[tuple[str, int]]:
        return [ref for i in invoice_ids for ref in self.by_invoice.get(i, ())
                if self.by_ref[ref][:3] == (model, kind, tier)]


# --- the audit -----------------------------------------------------------------------------------

def _vendor_periods(invoices: Sequence[InvoiceResult]) -> dict[tuple, list[InvoiceResult]]:
    """The vendor-periods of invoice variance (vendor key, named known contract, period)."""
    out: dict[tuple, list[InvoiceResult]] = {}
    for inv in invoices:
        cid = None if inv.contract_unknown else inv.contract_id
        out.setdefault((match_key("vendor", inv.vendor), cid, inv.period_start, inv.period_end), []).append(inv)
    for group in out.values():
        group.sort(key=lambda i: (i.invoice_date or date.min, i.invoice_id))
    return out


def _holder(group: list[InvoiceResult], model_key: str) -> InvoiceResult:
    """The invoice whose expected share holds the model's usage: the earliest 'lines' invoice
    naming the model, else the earliest invoice that is not a 'lines' invoice, else the first."""
    for inv in group:
        if inv.expected_basis == "lines" and f"model:{model_key}" in inv.covers:
            return inv
    return next((inv for inv in group if inv.expected_basis != "lines"), group[0])


def audit(invoices: Sequence[InvoiceResult], index: UsageIndex, lines: pd.DataFrame | None,
          rate_card: pd.DataFrame | None, fx_rates: pd.DataFrame, commitments: pd.DataFrame | None,
          settings: Settings = DEFAULT_SETTINGS) -> tuple[RateAuditLine, ...]:
    """The three-way audit lines of every vendor-period (see the module docstring), ordered by
    vendor, period, model, token kind and tier."""
    if not invoices or not index.size:
        return ()
    card = invoices_mod.rate_card_of(rate_card)
    owners = invoices_mod.owners_of(commitments)
    rep = str(settings.reporting_currency).strip().upper()
    rates = invoices_mod._Rates(fx_rates, rep)
    tol = invoices_mod._d(settings.premium_rate_tolerance_pct)
    line_map = _Lines(lines)
    model_keys = index.codes("model")[2]
    out: list[RateAuditLine] = []
    for (vkey, cid, start, end), group in _vendor_periods(invoices).items():
        vendor = group[0].vendor
        pos = invoices_mod.period_rows(index, vendor, start, end, cid)
        groups = _groups(index, pos)
        if not groups:
            continue
        ids = [i.invoice_id for i in group]
        owner = owners.owner(vendor, cid, start)
        flagged: dict[tuple[str, str, int], Decimal] = {}  # (file, line) -> leakage of a price flag
        for inv in group:
            for f in inv.flags:
                if f.flag in invoices_mod.PRICE_FLAGS:
                    flagged[(f.file, f.line)] = flagged.get((f.file, f.line), ZERO) + f.leakage

        def line_of(mk: str, kind: str, tier: str, holder: InvoiceResult, ids: list[str] = ids,
                    flagged: dict = flagged) -> tuple[int | None, str, Decimal | None, Decimal]:
            refs = line_map.of_group(ids, mk, kind, tier)
            invoiced = cents(_money(sum(line_map.by_ref[r][3] for r in refs))) if refs else None
            on_lines = sum((flagged.get(r, ZERO) for r in refs), ZERO)
            own = [r for r in refs if r in line_map.by_invoice.get(holder.invoice_id, [])]
            first = own[0] if own else (line_map.by_invoice.get(holder.invoice_id) or [("", None)])[0]
            return first[1], first[0], invoiced, on_lines

        by_model_kind: dict[tuple[int, int], list[_Group]] = {}
        for g in groups.values():
            by_model_kind.setdefault((g.model, g.kind), []).append(g)
        for (m, k), gs in sorted(by_model_kind.items(), key=lambda mk: (model_keys[mk[0][0]], mk[0][1])):
            mk = model_keys[m]
            label = index.label("model", mk)
            kind = TOKEN_KINDS[k]
            holder = _holder(group, mk)
            charged_only = [g for g in gs if g.cost != 0 and g.tokens == 0]
            used_only = [g for g in gs if g.tokens > 0 and g.cost == 0]
            pairs: list[tuple[_Group, list[_Group], list[_Group]]] = []
            if charged_only and used_only:
                main = max(charged_only, key=lambda g: (g.cost, -g.tier))
                pairs.append((main, charged_only, used_only))
                rest = [g for g in gs if g not in charged_only and g not in used_only]
            else:
                rest = gs
            for main, charged, used in pairs:
                tier = SERVICE_TIERS[main.tier]
                cost = sum(g.cost for g in charged)
                tokens = sum(g.tokens for g in used)
                prices = [(g, card.token_price(vkey, mk, kind, SERVICE_TIERS[g.tier], start, end, rates))
                          for g in used]
                line, file, invoiced, on_lines = line_of(mk, kind, tier, holder)
                used_names = tuple(SERVICE_TIERS[g.tier] for g in used)
                common = dict(vendor=vendor, period_start=start, period_end=end, model=label, token_kind=kind,
                              service_tier=tier, tokens=tokens, vendor_cost=cents(_money(cost)), invoiced=invoiced,
                              owner=owner, invoice_id=holder.invoice_id, line=line, file=file,
                              effective_per_million=None, flagged_on_lines=on_lines, used_tiers=used_names,
                              contract_id=cid, model_key=mk)
                if any(p is None for _, p in prices):
                    out.append(RateAuditLine(expected=None, difference=None, flag=None, leakage=ZERO,
                                             contracted_per_million=None, list_per_million=None,
                                             detail=f"charged at {tier}, used at {', '.join(used_names)}: no "
                                                    "contracted token price of the tier used to compare with",
                                             **common))
                    continue
                exact = sum((Decimal(g.tokens) * p.contracted for g, p in prices), Decimal(0))
                cost_d = _money(cost)
                ref = prices[0][1]
                flag, leak = None, ZERO
                if cost_d > exact * (1 + tol):
                    flag = "tier_mismatch"
                    leak = max(ZERO, cents(cost_d - exact) - on_lines)
                out.append(RateAuditLine(
                    expected=cents(exact), difference=cents(cost_d - exact), flag=flag, leakage=leak,
                    contracted_per_million=_per_million(ref.contracted), list_per_million=_per_million(ref.list),
                    rate_card_file=ref.row["_file"], rate_card_row=ref.row["_row"],
                    detail=(f"{tier} charged ({cents(cost_d):,.2f}) for {tokens:,} {kind} tokens the usage shows "
                            f"at {', '.join(used_names)} ({cents(exact):,.2f} at the contracted price)"),
                    **common))
            for g in sorted(rest, key=lambda g: g.tier):
                tier = SERVICE_TIERS[g.tier]
                tokens = g.tokens
                price = card.token_price(vkey, mk, kind, tier, start, end, rates)
                line, file, invoiced, on_lines = line_of(mk, kind, tier, holder)
                cost_d = _money(g.cost)
                eff = cost_d / tokens if tokens > 0 and g.cost != 0 else None
                common = dict(vendor=vendor, period_start=start, period_end=end, model=label, token_kind=kind,
                              service_tier=tier, tokens=tokens, vendor_cost=cents(cost_d), invoiced=invoiced,
                              owner=owner, invoice_id=holder.invoice_id, line=line, file=file,
                              effective_per_million=_per_million(eff), flagged_on_lines=on_lines,
                              contract_id=cid, model_key=mk)
                if price is None:
                    out.append(RateAuditLine(expected=None, difference=None, flag=None, leakage=ZERO,
                                             contracted_per_million=None, list_per_million=None,
                                             detail=f"no contracted {kind} price for {label} ({tier}) in the rate "
                                                    f"card valid in {start.isoformat()}..{end.isoformat()}",
                                             **common))
                    continue
                exact = Decimal(max(tokens, 0)) * price.contracted
                flag, leak, detail = None, ZERO, ""
                why = None
                if eff is not None:
                    why = invoices_mod.price_flag(eff, price.contracted, price.list, tol, card=card, vkey=vkey,
                                                  model=mk, kind=kind, tier=tier, start=start, end=end, rates=rates,
                                                  show=lambda d: f"{_per_million(d)} per 1M")
                if why is not None:
                    flag, reason = why
                    leak = max(ZERO, cents(cost_d - exact) - on_lines)
                    detail = (f"{reason}: {tokens:,} {kind} tokens cost {cents(cost_d):,.2f} "
                              f"({_per_million(eff)} per 1M) against {cents(exact):,.2f} at the contracted "
                              f"{_per_million(price.contracted)} per 1M")
                    if on_lines > 0:
                        detail += f"; {on_lines:,.2f} of it is flagged on the invoice line"
                out.append(RateAuditLine(
                    expected=cents(exact), difference=cents(cost_d - exact) if g.cost != 0 else None, flag=flag,
                    leakage=leak, contracted_per_million=_per_million(price.contracted),
                    list_per_million=_per_million(price.list), rate_card_file=price.row["_file"],
                    rate_card_row=price.row["_row"], detail=detail, **common))
    return tuple(out)


def with_audit_flags(invoices: Sequence[InvoiceResult], lines: Sequence[RateAuditLine]) -> tuple[InvoiceResult, ...]:
    """The invoices with each audit line's leakage (beyond what their invoice-line flags already
    count) as a flag on the invoice holding the group; premium_leakage includes it."""
    extra: dict[str, list[InvoiceFlag]] = {}
    for a in lines:
        if a.flag is None or a.leakage <= 0 or a.invoice_id is None:
            continue
        extra.setdefault(a.invoice_id, []).append(InvoiceFlag(
            line=a.line or 0, flag=a.flag, leakage=a.leakage, owner=a.owner, file=a.file,
            description=f"usage {a.model} {a.token_kind} ({a.service_tier})", amount=a.vendor_cost,
            detail=a.detail, found_in="usage"))
    if not extra:
        return tuple(invoices)
    out = []
    for inv in invoices:
        more = extra.get(inv.invoice_id)
        if more:
            inv = replace(inv, flags=inv.flags + tuple(more),
                          premium_leakage=inv.premium_leakage + sum((f.leakage for f in more), ZERO))
        out.append(inv)
    return tuple(out)


# --- unit economics ------------------------------------------------------------------------------

def unit_prices(index: UsageIndex, rate_card: pd.DataFrame | None, fx_rates: pd.DataFrame, as_of: date,
                settings: Settings = DEFAULT_SETTINGS, since: date | None = None) -> tuple[UnitPrice, ...]:
    """Effective price per million tokens by vendor x model x token kind x tier over the usage
    dated up to ``as_of`` (from ``since`` when given: the negotiation's walk-away reads the last
    90 days), tokens counted as in the audit, with the contracted and list token price valid on
    ``as_of``; ordered by vendor, model, token kind, tier."""
    if not index.size:
        return ()
    card = invoices_mod.rate_card_of(rate_card)
    rep = str(settings.reporting_currency).strip().upper()
    rates = invoices_mod._Rates(fx_rates, rep)
    vcodes, _, vkeys = index.codes("vendor")
    model_keys = index.codes("model")[2]
    out: list[UnitPrice] = []
    dated = index.dated(since, as_of)
    for vc, vkey in sorted(enumerate(vkeys), key=lambda cv: index.label("vendor", cv[1]).casefold()):
        pos = np.flatnonzero(dated & (vcodes == vc)).astype(np.int64)
        vendor = index.label("vendor", vkey)
        for g in sorted(_groups(index, pos).values(), key=lambda g: (model_keys[g.model], g.kind, g.tier)):
            mk = model_keys[g.model]
            kind, tier = TOKEN_KINDS[g.kind], SERVICE_TIERS[g.tier]
            tokens = g.tokens
            cost = _money(g.cost)
            eff = cost / tokens if tokens > 0 and g.cost != 0 else None
            price = card.token_price(vkey, mk, kind, tier, as_of, as_of, rates)
            out.append(UnitPrice(
                vendor=vendor, model=index.label("model", mk), token_kind=kind, service_tier=tier, tokens=tokens,
                cost=cents(cost), effective_per_million=_per_million(eff),
                contracted_per_million=None if price is None else _per_million(price.contracted),
                list_per_million=None if price is None else _per_million(price.list),
                vs_contract=(None if price is None or eff is None or price.contracted == 0
                             else float(eff / price.contracted - 1)),
                first_date=_day(g.first_day), last_date=_day(g.last_day),
                rate_card_file="" if price is None else price.row["_file"],
                rate_card_row=None if price is None else price.row["_row"], model_key=mk))
    return tuple(out)


class PriceBook:
    """Token prices of any vendor on the rate card, in the reporting currency (the one lookup,
    ``RateCard.token_price``): the negotiation prices volume at other vendors' rates with it."""

    def __init__(self, rate_card: pd.DataFrame | None, fx_rates: pd.DataFrame, settings: Settings = DEFAULT_SETTINGS):
        self.card = invoices_mod.rate_card_of(rate_card)
        self.rates = invoices_mod._Rates(fx_rates, str(settings.reporting_currency).strip().upper())
        self.names: dict[str, str] = {}
        if rate_card is not None and not rate_card.empty:
            for v in rate_card["vendor"].astype(object):
                if isinstance(v, str) and v.strip():
                    self.names.setdefault(match_key("vendor", v), " ".join(v.split()))

    def token_vendors(self) -> list[str]:
        """Vendor keys with at least one token price."""
        return sorted(k for k, rows in self.card.by_vendor.items() if k and any(r["token_kind"] for r in rows))

    def token_models(self, vendor_key: str) -> list[str]:
        """Model keys the vendor has token prices for."""
        return sorted({r["model"] for r in self.card.by_vendor.get(vendor_key, ()) if r["token_kind"] and r["model"]})

    def price(self, vendor_key: str, model_key: str, kind: str, tier: str, day: date):
        """The TokenPrice (per token, exact) valid on ``day``, or None."""
        return self.card.token_price(vendor_key, model_key, kind, tier, day, day, self.rates)


def _day(n) -> date:
    return (np.datetime64(0, "D") + np.timedelta64(int(n), "D")).astype(object)


# --- the rows behind the figures -----------------------------------------------------------------

def _group_positions(index: UsageIndex, pos: np.ndarray, model_key: str, kind: str,
                     tiers: Sequence[str]) -> np.ndarray:
    tk = _tokens(index)
    mcode = index.codes("model")[1].get(model_key, -2)
    kcode = TOKEN_KINDS.index(kind)
    tcodes = [SERVICE_TIERS.index(t) for t in tiers]
    keep = (index.codes("model")[0][pos] == mcode) & (tk.kind[pos] == kcode) & np.isin(tk.tier[pos], tcodes)
    return np.sort(pos[keep])


def audit_rows(index: UsageIndex, line: RateAuditLine) -> np.ndarray:
    """The usage rows behind ``vendor_cost`` (and tokens) of an audit line: the vendor-period's rows
    of its model, token kind and tier (and, for a tier_mismatch line, the tiers used)."""
    pos = invoices_mod.period_rows(index, line.vendor, line.period_start, line.period_end, line.contract_id)
    return _group_positions(index, pos, line.model_key, line.token_kind, (line.service_tier, *line.used_tiers))


def audit_invoice_rows(lines: pd.DataFrame | None, invoices: Sequence[InvoiceResult],
                       line: RateAuditLine) -> np.ndarray:
    """Positions in the analysed invoice lines behind ``invoiced`` of an audit line: the usage
    lines of the vendor-period's invoices with its model, token kind and tier."""
    ids = [i.invoice_id for i in _vendor_periods(invoices).get(
        (match_key("vendor", line.vendor), line.contract_id, line.period_start, line.period_end), [])]
    m = _Lines(lines)
    refs = m.of_group(ids, line.model_key, line.token_kind, line.service_tier)
    return np.sort(np.array([m.by_ref[r][4] for r in refs], dtype=np.int64))


def unit_price_rows(index: UsageIndex, u: UnitPrice, as_of: date) -> np.ndarray:
    """The usage rows behind ``cost`` (and tokens) of a unit-economics row."""
    pos = np.flatnonzero(index.dated(None, as_of) & index.mask("vendor", u.vendor)).astype(np.int64)
    return _group_positions(index, pos, u.model_key, u.token_kind, (u.service_tier,))


def audit_key(line: RateAuditLine) -> str:
    """The explain key of an audit line: vendor|start|end|contract|model|kind|tier."""
    return "|".join((line.vendor, line.period_start.isoformat(), line.period_end.isoformat(), line.contract_id or "",
                     line.model_key, line.token_kind, line.service_tier))


def unit_price_key(u: UnitPrice) -> str:
    """The explain key of a unit-economics row: vendor|model|kind|tier."""
    return "|".join((u.vendor, u.model_key, u.token_kind, u.service_tier))
