"""Invoice variance, tolerance status and line flags (docs/domain.md "Invoice variance" and
"Invoices").

* Billing period (``billing_periods``): min period_start .. max period_end over the invoice's
  lines (a line without period_end: the calendar month of its period_start); when no line has a
  period_start, the calendar month before invoice_date (noted on the result and in the warnings).
* Invoices are reconciled per vendor-period (vendor, named known contract, billing period): the
  period's usage (``period_rows``: every row of the vendor in the period, eligible or not, not
  drawing down another contract) against all its invoices; each invoice is expected its share
  (the whole period, the usage its lines name, or a pro-rata share), and a period billed again
  is flagged ``double_billing`` on the later invoice.
* invoiced: sum of non-tax line amounts; tax apart. Amounts are converted to the reporting
  currency with the rate valid on the billing period end (rows without a rate are left out and
  reported); a vendor-period whose invoices and usage are all in one other currency is judged
  in that currency (``compared_in``), without FX.
* premium_rate: the rate card rows valid in the billing period; unit and contracted prices
  converted to the reporting currency first.
* One flag per line, first match wins: duplicate_line (duplicate_credit without leakage), then
  no_usage, then premium_rate, so a line's leakage is never counted twice.
* Flag owner: the owner of the invoice's contract (see ``contract_owner``); for premium_rate
  without a contract, the rate card row's owner.
* Per-invoice work is plain Python over records and numpy slices of the usage ordered by
  (vendor, day) kept on the usage index: no pandas call per invoice.
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import fx
from desktop.domain.contracts import _str_or_none
from desktop.domain.daily import Daily, daily_groups
from desktop.domain.money import ZERO, allocate_cents, cents, from_micros, money_sum
from desktop.domain.results import InvoiceFlag, InvoiceResult
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.tables import text_codes
from desktop.domain.usage_index import UsageIndex, as_index, day_number, match_key
from desktop.domain.vocabulary import SERVICE_TIERS, service_tier_of, tier_in, token_kind_of, tokens_per_unit


def _d(x: float) -> Decimal:
    return Decimal(str(float(x)))


def _num(x) -> str:
    """A price as written: no exponent, no trailing zeros (1600, 10.05, 0.0022)."""
    d = x if isinstance(x, Decimal) else _d(x)
    t = format(d.normalize(), "f")
    return t


def billing_periods(invoices: pd.DataFrame) -> pd.DataFrame:
    """Per line, its invoice's billing period (docs/domain.md "Invoices"): columns ``_bp_start``,
    ``_bp_end`` (Timestamps) and ``_bp_how``: "lines" (min period_start..max period_end of the
    lines that carry a period), "month_of_start" (as "lines", where a line with period_start and
    no period_end counts as the calendar month of its period_start), "previous_month" (no line
    carries a period_start: the calendar month before the earliest invoice_date). Computed over
    the whole table at once."""
    ids = invoices["invoice_id"].astype("string")
    ps = pd.to_datetime(invoices["period_start"])
    pe = pd.to_datetime(invoices["period_end"])
    open_end = ps.notna() & pe.isna()
    line_end = pe.where(~open_end, ps + pd.offsets.MonthEnd(0))
    line_start = ps.where(~open_end, ps.dt.to_period("M").dt.start_time)
    has = ps.notna() & line_end.notna()
    start = line_start.where(has).groupby(ids).transform("min")
    end = line_end.where(has).groupby(ids).transform("max")
    opened = open_end.groupby(ids).transform("any")
    first_day = pd.to_datetime(invoices["invoice_date"]).groupby(ids).transform("min")
    prev_end = first_day.dt.to_period("M").dt.start_time - pd.Timedelta(days=1)
    prev_start = prev_end.dt.to_period("M").dt.start_time
    inferred = start.isna() | end.isna()
    how = np.where(inferred, "previous_month", np.where(opened, "month_of_start", "lines"))
    return pd.DataFrame({"_bp_start": start.where(~inferred, prev_start).to_numpy(),
                         "_bp_end": end.where(~inferred, prev_end).to_numpy(),
                         "_bp_how": how}, index=invoices.index)


def tolerance_status(invoiced: Decimal, expected: Decimal, settings: Settings = DEFAULT_SETTINGS) -> str:
    """within_tolerance when |variance| <= max(pct x |expected|, abs); else over/underbilled."""
    variance = invoiced - expected
    tol = max(abs(expected) * _d(settings.invoice_tolerance_pct), Decimal(settings.invoice_tolerance_abs))
    if abs(variance) <= tol:
        return "within_tolerance"
    return "overbilled" if variance > 0 else "underbilled"


class _Owners:
    """Commit periods as plain records for owner look-ups."""

    def __init__(self, commitments: pd.DataFrame | None):
        self.rows: list[dict] = []
        if commitments is None or commitments.empty:
            return
        com = commitments.sort_values(["contract_id", "period_start"], kind="mergesort")
        for rec in com.to_dict("records"):
            self.rows.append({"cid": str(rec["contract_id"]), "vkey": match_key("vendor", rec["vendor"]),
                              "start": pd.Timestamp(rec["period_start"]).date(),
                              "end": pd.Timestamp(rec["period_end"]).date(),
                              "owner": _str_or_none(rec["owner"])})

    def owner(self, vendor: str, contract_id: str | None, day: date) -> str | None:
        if contract_id:
            com = [r for r in self.rows if r["cid"] == contract_id]
        else:
            vk = match_key("vendor", vendor)
            com = [r for r in self.rows if r["vkey"] == vk]
        if not com:
            return None
        covering = [r for r in com if r["start"] <= day <= r["end"]]
        cid = (covering or com)[0]["cid"]
        rows = [r for r in com if r["cid"] == cid]
        inside = [r for r in rows if r["start"] <= day <= r["end"]]
        for cand in (inside, rows):
            for r in cand:
                if r["owner"] is not None:
                    return r["owner"]
        return None


def contract_owner(commitments: pd.DataFrame, vendor: str, contract_id: str | None, day: date) -> str | None:
    """Owner of the invoice's contract: the contract the invoice names, else the vendor's contract
    whose commit period contains ``day`` (the billing period start), else the vendor's first
    contract by contract_id. The owner of the period containing ``day`` when set, else the first
    owner in period order. None when the vendor has no contract."""
    return _Owners(commitments).owner(vendor, contract_id, day)


class _Presence:
    """Daily row counts of the usage per (vendor, model) and (vendor, meter): does the vendor have
    any usage of this model/meter in a date range (the no_usage flag)? Kept on the usage index."""

    def __init__(self, index: UsageIndex):
        self.presence: dict[tuple[str, str, str], Daily] = {}
        if not index.size:
            return
        vcodes, _, vkeys = index.codes("vendor")
        nv = max(len(vkeys), 1)
        days = index.day.astype("datetime64[D]")
        for col in ("model", "meter"):
            mcodes, _, mkeys = index.codes(col)
            combo = np.where((vcodes >= 0) & (mcodes >= 0), mcodes.astype(np.int64) * nv + vcodes, -1)
            for c, d in daily_groups(combo, days, index.cost, counts=True).items():
                self.presence[(col, vkeys[c % nv], mkeys[c // nv])] = d

    def any(self, col: str, vkey: str, value: str, start: date, end: date) -> bool:
        d = self.presence.get((col, vkey, match_key(col, value)))
        return d is not None and d.total(start, end) > 0


def _is_tax(lines: pd.DataFrame) -> np.ndarray:
    ltype = lines["line_type"].astype("string").str.strip().str.casefold()
    return (ltype == "tax").fillna(False).to_numpy(dtype=bool)


def line_rows(lines: pd.DataFrame, inv: InvoiceResult, field: str) -> np.ndarray:
    """Positions in ``lines`` (the analysis' converted invoice lines) behind ``invoiced`` (non-tax
    lines), ``tax`` (tax lines) or ``premium_leakage`` (flagged lines) of ``inv``; any other
    field: all its lines."""
    if lines is None or lines.empty:
        return np.zeros(0, dtype=np.int64)
    mine = (lines["invoice_id"].astype("string") == inv.invoice_id).fillna(False).to_numpy(dtype=bool)
    if field == "invoiced":
        mine &= ~_is_tax(lines)
    elif field == "tax":
        mine &= _is_tax(lines)
    elif field == "premium_leakage":
        flagged = {(str(f.file), int(f.line)) for f in inv.flags}
        mine &= np.array([(str(a), int(b)) in flagged for a, b in
                          zip(lines["_file"], lines["_row"], strict=True)], dtype=bool)
    return np.flatnonzero(mine).astype(np.int64)


def _casekey(v) -> str:
    return match_key("model", v)


class _RateCard:
    """The rate card as plain records, matched by vendor, model and meter on a date (invoice
    lines), or by vendor, model, token kind and service tier (token prices, docs/domain.md "Rate
    audit"). A row with a token_kind is a token price: it never matches by meter; a row of a model
    whose meter names a token kind ("input_tokens", unit tokens or none) is a token price too and
    still matches by meter; other rows never match a token kind."""

    def __init__(self, rate_card: pd.DataFrame | None):
        self.rows: list[dict] = []
        self.by_vendor: dict[str, list[dict]] = {}
        self._memo: dict[tuple, dict | None] = {}  # (vendor key, model, meter, day) -> row
        if rate_card is None or rate_card.empty:
            return
        for rec in rate_card.to_dict("records"):
            # a token price: its token_kind; else, for a row of a model, a meter that names one
            # ("input_tokens") with a unit of tokens (or none), as usage rows read their meter. A
            # row priced by meter that way still matches invoice lines by meter as before.
            unit = _str_or_none(rec.get("unit"))
            explicit = token_kind_of(_str_or_none(rec.get("token_kind")))
            kind = explicit or (token_kind_of(_str_or_none(rec.get("meter")))
                                if _str_or_none(rec.get("model")) and (unit is None or tokens_per_unit(unit))
                                else None)
            tier = _str_or_none(rec.get("service_tier"))
            self.rows.append({
                "vkey": match_key("vendor", rec["vendor"]) if _str_or_none(rec["vendor"]) else "",
                "model": _casekey(rec["model"]) if _str_or_none(rec["model"]) else None,
                "meter": _casekey(rec["meter"]) if _str_or_none(rec["meter"]) else None,
                "from": None if pd.isna(rec["effective_from"]) else pd.Timestamp(rec["effective_from"]).date(),
                "to": None if pd.isna(rec["effective_to"]) else pd.Timestamp(rec["effective_to"]).date(),
                "contracted_price": rec["contracted_price"], "owner": rec.get("owner"),
                "list_price": None if pd.isna(rec.get("list_price")) else rec.get("list_price"),
                "currency": (_str_or_none(rec.get("currency")) or "").upper() or None,
                "token_kind": kind, "explicit_kind": explicit is not None,
                "tier": (service_tier_of(tier) or tier.casefold()) if tier else "standard",
                # tokens one priced unit counts (token prices only; empty unit = 1M tokens)
                "per": (tokens_per_unit(unit) or 1_000_000) if kind else None,
                "_row": int(rec["_row"]), "_file": str(rec.get("_file") or ""),
            })
        for r in self.rows:
            self.by_vendor.setdefault(r["vkey"], []).append(r)

    def _valid(self, vkey: str, day: date) -> list[dict]:
        return [r for r in self.by_vendor.get(vkey, ()) if (r["from"] is None or r["from"] <= day)
                and (r["to"] is None or r["to"] >= day)]

    def match(self, vkey: str, model: str | None, meter: str | None, day: date) -> dict | None:
        """The most specific row valid on ``day`` (docs/domain.md, "premium_rate"): model and
        meter both equal; else the model's row without a meter; else, for a line without a meter,
        the model's rows when they all have one price; else the meter's row without a model.
        Among equally specific rows the latest effective_from wins (then the later row). Rows
        with a token_kind column are matched by ``match_token`` only."""
        key = (vkey, model, meter, day)
        if key not in self._memo:
            self._memo[key] = self._match(vkey, model, meter, day)
        return self._memo[key]

    def _match(self, vkey: str, model: str | None, meter: str | None, day: date) -> dict | None:
        valid = [r for r in self._valid(vkey, day) if not r["explicit_kind"]]
        mk = _casekey(model) if model is not None else None
        tk = _casekey(meter) if meter is not None else None
        tiers: list[list[dict]] = []
        if mk is not None:
            of_model = [r for r in valid if r["model"] == mk]
            if tk is not None:
                tiers.append([r for r in of_model if r["meter"] == tk])
            tiers.append([r for r in of_model if r["meter"] is None])
            if tk is None and len({str(r["contracted_price"]) for r in of_model}) == 1:
                tiers.append(of_model)
        if tk is not None:
            tiers.append([r for r in valid if r["meter"] == tk and r["model"] is None])
        for hits in tiers:
            if hits:
                return _latest(hits)
        return None

    def match_token(self, vkey: str, model: str | None, kind: str, tier: str, day: date) -> dict | None:
        """The token price of (model, token kind, service tier) valid on ``day``: the row of that
        model, kind and tier (an empty tier is standard); the latest effective_from wins."""
        key = ("token", vkey, model, kind, tier, day)
        if key not in self._memo:
            mk = _casekey(model) if model is not None else None
            hits = [r for r in self._valid(vkey, day) if r["token_kind"] == kind and r["tier"] == tier
                    and r["model"] == mk]
            self._memo[key] = _latest(hits) if hits else None
        return self._memo[key]

    def token_price(self, vkey: str, model: str | None, kind: str, tier: str, start: date, end: date,
                    rates) -> TokenPrice | None:
        """The contracted (and list) price per token in the reporting currency for a billing
        period: the rows valid on its first and on its last day, the higher contracted price
        wins (a price change inside the period never makes false leakage); prices converted
        with the rates of the period end. None without a row or a rate."""
        priced = []
        for row in {id(r): r for r in (self.match_token(vkey, model, kind, tier, d) for d in (start, end))
                    if r is not None}.values():
            rate = rates(row["currency"], end)
            if rate is None:
                continue
            per = Decimal(row["per"])
            lp = None if row["list_price"] is None else _d(row["list_price"]) * rate / per
            priced.append(TokenPrice(_d(row["contracted_price"]) * rate / per, lp, row))
        return max(priced, key=lambda p: p.contracted) if priced else None


@dataclasses.dataclass(frozen=True)
class TokenPrice:
    """A token price in the reporting currency per token (exact Decimal) and its rate-card row."""

    contracted: Decimal
    list: Decimal | None
    row: dict = dataclasses.field(compare=False)


def _latest(hits: list[dict]) -> dict:
    return max(hits, key=lambda r: (r["from"] or date.min, r["_row"]))


RateCard = _RateCard


def rate_card_of(rate_card: pd.DataFrame | None) -> _RateCard:
    """The rate card's records, built once per table object."""
    return _per_frame(rate_card, "rate_card", lambda: _RateCard(rate_card))


def owners_of(commitments: pd.DataFrame | None) -> _Owners:
    """The commit periods' owners, built once per table object (``.owner(vendor, cid, day)``)."""
    return _per_frame(commitments, "owners", lambda: _Owners(commitments))


# --- price flags: the one place that says why a price is above the contract -------------------

PRICE_FLAGS = ("cache_discount_missing", "batch_discount_missing", "tier_mismatch", "list_price", "premium_rate")


def _near(x: Decimal, ref: Decimal | None, tol: Decimal) -> bool:
    return ref is not None and ref > 0 and abs(x - ref) <= ref * tol


def price_flag(charged: Decimal, contracted: Decimal, list_price: Decimal | None,
               tol: Decimal, *, card: _RateCard | None = None, vkey: str = "", model: str | None = None,
               kind: str | None = None, tier: str = "standard", start: date | None = None,
               end: date | None = None, rates=None, scale: Decimal = Decimal(1),
               show=None) -> tuple[str, str] | None:
    """Why ``charged`` is above ``contracted`` (both per the same unit, reporting currency), or
    None when it is not (charged <= contracted x (1 + tol)). In this order (docs/domain.md "Rate
    audit"): cached input charged at the input price of its model and tier (contracted or list)
    -> cache_discount_missing; a batch charge at the standard price of its model and kind ->
    batch_discount_missing; a charge at the price of another, dearer tier -> tier_mismatch;
    at the row's list price -> list_price; else premium_rate. Token alternatives are looked up
    with ``card.token_price`` and brought to the unit of ``charged`` with ``scale`` (tokens per
    unit); a line without a token kind can only be list_price or premium_rate. ``show`` spells a
    price in the reason (default: as written)."""
    if charged <= contracted * (1 + tol):
        return None
    show = show or _num
    if card is not None and kind is not None and start is not None and end is not None:
        def ref(k: str, t: str) -> list[Decimal]:
            p = card.token_price(vkey, model, k, t, start, end, rates)
            if p is None:
                return []
            return [x * scale for x in (p.contracted, p.list) if x is not None]
        if kind == "cached_input":
            for r in ref("input", tier):
                if _near(charged, r, tol):
                    return "cache_discount_missing", f"cached input charged at the input price {show(r)}"
        if tier == "batch":
            for r in ref(kind, "standard"):
                if _near(charged, r, tol):
                    return "batch_discount_missing", f"batch usage charged at the standard price {show(r)}"
        for other in SERVICE_TIERS:
            if other == tier:
                continue
            for r in ref(kind, other):
                if r > contracted * (1 + tol) and _near(charged, r, tol):
                    return "tier_mismatch", f"charged at the {other} price {show(r)}; the usage is {tier}"
    if _near(charged, list_price, tol):
        return "list_price", "list price charged instead of the contract price"
    return "premium_rate", "above the contracted price"


def line_token_kind(rec: dict) -> tuple[str | None, str]:
    """(token kind, service tier) of an invoice line or usage record: its token_kind, else what its
    meter says ("cached input", "Cache Read Input Tokens"); its service_tier, else a tier word in
    its meter ("input (batch)"), else standard."""
    kind = token_kind_of(_str_or_none(rec.get("token_kind"))) or token_kind_of(_str_or_none(rec.get("meter")))
    tier = (service_tier_of(_str_or_none(rec.get("service_tier"))) or tier_in(_str_or_none(rec.get("meter")))
            or "standard")
    return kind, tier


def _line_key(rec: dict) -> tuple:
    """What makes two lines duplicates (the records' missing cells are already None)."""
    return (rec["description"], rec["model"], rec["meter"], rec["quantity"], rec["unit_price"], rec["amount"])


_PER_FRAME: dict[tuple[int, str], tuple[weakref.ref, object]] = {}
_PER_FRAME_LOCK = threading.Lock()


def _per_frame(frame: pd.DataFrame | None, name: str, build):
    """``build()`` once per table object (tables are never changed in place once read): a
    settings edit re-runs the invoice check without re-reading the rate card, the owners or
    the lines."""
    if frame is None:
        return build()
    key = (id(frame), name)
    with _PER_FRAME_LOCK:
        got = _PER_FRAME.get(key)
        if got is not None and got[0]() is frame:
            return got[1]
    value = build()

    def forget(ref: weakref.ref, key: tuple[int, str] = key) -> None:
        with _PER_FRAME_LOCK:
            entry = _PER_FRAME.get(key)
            if entry is not None and entry[0] is ref:
                del _PER_FRAME[key]

    with _PER_FRAME_LOCK:
        _PER_FRAME[key] = (weakref.ref(frame, forget), value)
    return value


def _without_unconvertible(raw: pd.DataFrame, fx_rates: pd.DataFrame, rep: str) -> tuple[pd.DataFrame, list[str]]:
    """An invoice with a line that has no FX rate to the reporting currency cannot be compared
    with usage: all its lines are left out, with a warning naming it, its rows and the rate
    missing (docs/domain.md, "Currency"). The other invoices are kept."""
    missing = fx.without_rate(raw, fx_rates, date_column="_fx_date", reporting_currency=rep)
    if not missing.any():
        return raw, []
    ids = raw["invoice_id"].astype("string").fillna("")
    gone = sorted(set(ids[missing]))
    warnings = []
    for iid in gone:
        lines = raw[(ids == iid).to_numpy(dtype=bool)]
        bad = lines[missing[(ids == iid).to_numpy(dtype=bool)]]
        files = sorted({str(f) or "invoices" for f in lines["_file"].astype("string").fillna("")})
        what = ", ".join(sorted({f"{str(c).strip().upper()} -> {rep} valid on {pd.Timestamp(d).date()}"
                                 for c, d in zip(bad["currency"], bad["_fx_date"], strict=True)
                                 if not pd.isna(d)})) or f"{rep} (no invoice date)"
        warnings.append(f"{' and '.join(files)} row{'s' if len(lines) != 1 else ''} {fx.row_ranges(lines['_row'])}: "
                        f"invoice {iid} is left out of the figures: no FX rate for {what}; import one "
                        "(an FX rates file) to see it")
    keep = ~ids.isin(gone).to_numpy(dtype=bool)
    return raw[keep].reset_index(drop=True), warnings


def convert_lines(invoices: pd.DataFrame, fx_rates: pd.DataFrame,
                  settings: Settings = DEFAULT_SETTINGS) -> tuple[pd.DataFrame, list[str]]:
    """The invoice lines in the reporting currency, in input order, with their billing period
    (``billing_periods``), ``_orig_currency`` and ``_orig_amount`` (the amount as billed). A line
    in another currency is converted with the rate valid on its invoice's billing period end
    (``_fx_date``); an invoice with a line without a rate is left out whole and reported. The
    analysis keeps this frame: the rows behind invoiced, tax and leakage are positions in it."""
    raw = invoices.reset_index(drop=True)
    raw = pd.concat([raw, billing_periods(raw)], axis=1)
    raw = raw.assign(_orig_currency=raw["currency"].astype("string").str.strip().str.upper()
                     .fillna(settings.reporting_currency),
                     _orig_amount=raw["amount"], _fx_date=raw["_bp_end"])
    raw, warnings = _without_unconvertible(raw, fx_rates, settings.reporting_currency)
    conv, more = fx.convert_frame(raw, fx_rates, money_columns=("amount",), date_column="_fx_date",
                                  reporting_currency=settings.reporting_currency, kind="invoice")
    return conv.reset_index(drop=True), warnings + more



# --- vendor-periods ------------------------------------------------------------------------------

COVER_COLUMNS = ("model", "meter")  # the invoice-line columns that say which usage a line covers


class _VendorDays:
    """Usage positions ordered by (vendor, day): the rows of one vendor in a date range are one
    slice (kept on the usage index), so a vendor-period costs the size of its rows, not of the
    whole usage."""

    def __init__(self, index: UsageIndex):
        self.index = index
        self.bounds: dict[str, tuple[int, int]] = {}
        if not index.size:
            self.order = np.zeros(0, dtype=np.int64)
            self.days = np.zeros(0, dtype=np.int64)
            return
        vcodes, _, vkeys = index.codes("vendor")
        self.order = np.lexsort((index.day, vcodes)).astype(np.int32)  # positions < 2**31
        self.days = index.day[self.order]
        sv = vcodes[self.order]
        for code, key in enumerate(vkeys):
            lo, hi = np.searchsorted(sv, code, "left"), np.searchsorted(sv, code, "right")
            self.bounds[key] = (int(lo), int(hi))

    def rows(self, vkey: str, start: date, end: date) -> np.ndarray:
        """Positions (usage frame) of the vendor's rows dated start..end, in (day, position) order."""
        lo, hi = self.bounds.get(vkey, (0, 0))
        if lo == hi:
            return np.zeros(0, dtype=np.int64)
        days = self.days[lo:hi]
        a = lo + int(np.searchsorted(days, day_number(start), "left"))
        b = lo + int(np.searchsorted(days, day_number(end), "right"))
        return self.order[a:b].astype(np.int64)


def _vendor_days(index: UsageIndex) -> _VendorDays:
    return index.memo("invoice_vendor_days", lambda: _VendorDays(index))


def _cover_mask(index: UsageIndex, pos: np.ndarray, covers) -> np.ndarray:
    """Which of the rows at ``pos`` match one of ``covers`` ("model:<key>", "meter:<key>")."""
    hit = np.zeros(len(pos), dtype=bool)
    for cover in covers:
        col, _, key = cover.partition(":")
        codes, keys, _ = index.codes(col)
        code = keys.get(key, -2)
        if code >= 0:
            hit |= codes[pos] == code
    return hit


def period_rows(index: UsageIndex, vendor: str, start: date, end: date, contract_id: str | None) -> np.ndarray:
    """The usage a vendor-period is reconciled with (docs/domain.md "Invoices"): every row of the
    vendor dated in the billing period, eligible or not; when the invoices name a contract, the
    rows drawing down another contract are left out (rows drawing down none stay in)."""
    pos = _vendor_days(index).rows(match_key("vendor", vendor), start, end)
    if contract_id and len(pos):
        codes = index.codes("_contract")[0][pos]
        pos = pos[(codes == -1) | (codes == index.key_code("_contract", contract_id))]
    return pos


def _share_rows(index: UsageIndex, inv: InvoiceResult) -> np.ndarray:
    """Positions (day order) of the rows behind the invoice's expected share."""
    cid = None if inv.contract_unknown else inv.contract_id
    pos = period_rows(index, inv.vendor, inv.period_start, inv.period_end, cid)
    if not len(pos):
        return pos
    keep = np.ones(len(pos), dtype=bool)
    if inv.covered_by_others:
        keep &= ~_cover_mask(index, pos, inv.covered_by_others)
    if inv.expected_basis == "lines":
        keep &= _cover_mask(index, pos, inv.covers)
    return pos[keep]


def expected_rows(index: UsageIndex, inv: InvoiceResult) -> np.ndarray:
    """The usage rows behind ``expected`` (sorted positions): for an invoice alone in its
    vendor-period all of the period's rows; for an invoice whose lines name the usage they cover
    ('lines') the rows of those models/meters not covered by an earlier invoice of the period; for
    a pro-rata share the rows the pro-rata invoices share (their total is ``shared_expected``, of
    which ``expected`` is this invoice's part)."""
    return np.sort(_share_rows(index, inv))


def _micros_of(cost: np.ndarray, pos: np.ndarray) -> int:
    return money_sum(cost[pos]) if len(pos) else 0


class _Native:
    """The usage cost as billed (``_native_cost``) and the codes of its currency, when the
    prepared usage has them (any row billed in another currency than the reporting one)."""

    def __init__(self, index: UsageIndex):
        f = index.frame
        self.ok = index.size > 0 and "_native_cost" in f.columns
        if self.ok:
            self.cost = f["_native_cost"].to_numpy(dtype=np.int64)
            codes, uniques = text_codes(f["_native_currency"])
            self.codes = codes.astype(np.int64)
            self.keys = {str(u): i for i, u in enumerate(uniques)}

    def all_in(self, pos: np.ndarray, currency: str) -> bool:
        code = self.keys.get(currency, -2) if self.ok else -2
        return bool(len(pos)) and code >= 0 and bool((self.codes[pos] == code).all())


def _tol_micros(expected_micros: int, settings: Settings) -> int:
    """max(pct x |expected|, abs) in micros (exact, rounded down: a tolerance never grows)."""
    pct = _d(settings.invoice_tolerance_pct)
    return int(max(abs(Decimal(expected_micros)) * pct, Decimal(settings.invoice_tolerance_abs) * 1_000_000))


def _split(total_micros: int, weights: list[int]) -> list[int]:
    """``total_micros`` split in proportion to ``weights`` (negative weights count as 0; all zero:
    equal parts), in whole micros adding up exactly (largest remainder, ties to the earlier)."""
    w = [max(x, 0) for x in weights]
    if sum(w) == 0:
        w = [1] * len(weights)
    den = sum(w)
    parts = [total_micros * x // den for x in w]
    rema = [total_micros * x - p * den for x, p in zip(w, parts, strict=True)]
    for i in sorted(range(len(w)), key=lambda i: (-rema[i], i))[: total_micros - sum(parts)]:
        parts[i] += 1
    return parts


def _nn(v):
    """None for missing cells (NA, NaN, NaT), else the value."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    return v


def _day(v) -> date | None:
    v = _nn(v)
    return None if v is None else pd.Timestamp(v).date()


class _Invoice:
    """One invoice's lines (positions in the analysed lines) and its header figures."""

    def __init__(self, invoice_id: str):
        self.id = invoice_id
        self.lines: list[dict] = []
        self.vendor = ""
        self.vkey = ""
        self.contract_id: str | None = None
        self.contract_unknown = False
        self.start: date | None = None
        self.end: date | None = None
        self.inferred = False
        self.month_of_start = False
        self.currency: str | None = None  # the currency of all its lines (None: mixed)
        self.invoiced_native = 0  # micros in ``currency``
        self.inv_date: date | None = None
        self.invoiced = 0  # micros, reporting currency
        self.tax = 0
        self.covers: tuple[str, ...] = ()
        self.notes: list[str] = []


def _line_records(conv: pd.DataFrame) -> list[dict]:
    """The analysed lines as plain records (one pass over the frame, no pandas per invoice)."""
    cols = {c: conv[c].tolist() for c in ("invoice_id", "vendor", "contract_id", "period_start", "period_end",
                                          "invoice_date", "description", "model", "meter", "quantity",
                                          "unit_price", "_file", "_row", "_orig_currency", "_bp_start",
                                          "_bp_end", "_bp_how")}
    for c in ("token_kind", "service_tier"):  # absent from lines stored before the rate audit
        cols[c] = conv[c].tolist() if c in conv.columns else [None] * len(conv)
    cols["amount"] = conv["amount"].to_numpy(dtype=np.int64).tolist()
    cols["_orig_amount"] = conv["_orig_amount"].to_numpy(dtype=np.int64).tolist()
    ltype = conv["line_type"].astype("string").str.strip().str.casefold().fillna("usage").tolist()
    out = []
    for i in range(len(conv)):
        rec = {c: _nn(v[i]) for c, v in cols.items()}
        rec["pos"] = i
        rec["ltype"] = ltype[i]
        rec["is_tax"] = ltype[i] == "tax"
        out.append(rec)
    return out


def _build_invoices(recs: list[dict], known: set[str]) -> list[_Invoice]:
    by: dict[str, _Invoice] = {}
    for rec in sorted(recs, key=lambda r: (str(r["invoice_id"]), str(r["_file"] or ""), int(r["_row"]))):
        iid = str(rec["invoice_id"])
        inv = by.get(iid)
        if inv is None:
            inv = by[iid] = _Invoice(iid)
        inv.lines.append(rec)
    out = []
    for iid in sorted(by):
        inv = by[iid]
        ls = inv.lines
        vendors = [str(r["vendor"]) for r in ls if r["vendor"] is not None]
        inv.vendor = vendors[0] if vendors else ""
        inv.vkey = match_key("vendor", inv.vendor)
        cids = [c for c in (_str_or_none(r["contract_id"]) for r in ls) if c]
        inv.contract_id = cids[0] if cids else None
        if inv.contract_id is not None and inv.contract_id not in known:
            inv.contract_unknown = True
        days = [d for d in (_day(r["invoice_date"]) for r in ls) if d is not None]
        if not days:
            raise ValueError("invoice without invoice_date")
        inv.inv_date = min(days)
        inv.start, inv.end = _day(ls[0]["_bp_start"]), _day(ls[0]["_bp_end"])
        inv.inferred = ls[0]["_bp_how"] == "previous_month"
        inv.month_of_start = ls[0]["_bp_how"] == "month_of_start"
        currencies = {str(r["_orig_currency"]) for r in ls}
        inv.currency = currencies.pop() if len(currencies) == 1 else None
        for r in ls:
            if r["is_tax"]:
                inv.tax += r["amount"]
            else:
                inv.invoiced += r["amount"]
                inv.invoiced_native += r["_orig_amount"]
        usage_lines = [r for r in ls if r["ltype"] == "usage"]
        covers: list[str] = []
        for r in usage_lines:
            col = next((c for c in COVER_COLUMNS if _str_or_none(r[c])), None)
            if col is None:
                covers = []
                break
            key = f"{col}:{match_key(col, r[col])}"
            if key not in covers:
                covers.append(key)
        inv.covers = tuple(covers)
        out.append(inv)
    return out


def _c(micros: int) -> Decimal:
    return cents(from_micros(micros))


class _Share:
    def __init__(self):
        self.basis = "period"
        self.expected = 0  # micros
        self.expected_cents: Decimal | None = None
        self.covered_by_others: tuple[str, ...] = ()
        self.shared: int | None = None
        self.billed_again = 0  # micros: the amount of this invoice billing the period again
        self.earlier: tuple[str, ...] = ()
        self.note: str | None = None


def _reconcile(group: list[_Invoice], index: UsageIndex, settings: Settings, cost: np.ndarray,
               billed) -> tuple[np.ndarray, dict[str, _Share]]:
    """The vendor-period's rows and each invoice's expected share and amount billed again, in the
    currency of ``cost`` (usage micros per row) and ``billed(invoice)`` (its invoiced micros)."""
    first = group[0]
    cid = None if first.contract_unknown else first.contract_id
    pos = period_rows(index, first.vendor, first.start, first.end, cid)
    total = _micros_of(cost, pos)
    shares = {g.id: _Share() for g in group}
    if len(group) == 1:
        shares[first.id].expected = total
        return pos, shares
    period = f"{first.start.isoformat()}..{first.end.isoformat()}"
    ids = ", ".join(g.id for g in group)
    covered = [g for g in group if g.covers]
    seen: list[str] = []
    earlier_masks: list[tuple[str, np.ndarray]] = []
    for g in covered:
        sh = shares[g.id]
        mine = _cover_mask(index, pos, g.covers)
        others = tuple(seen)
        taken = _cover_mask(index, pos, others) if others else np.zeros(len(pos), dtype=bool)
        sh.basis, sh.covered_by_others = "lines", others
        sh.expected = _micros_of(cost, pos[mine & ~taken])
        overlap = [i for i, m in earlier_masks if (m & mine).any()]
        if overlap and billed(g) - sh.expected > _tol_micros(sh.expected, settings) and len(pos):
            sh.billed_again = min(billed(g), billed(g) - sh.expected)
            sh.earlier = tuple(overlap)
        names = ", ".join(k.replace(":", " ") for k in g.covers)
        sh.note = (f"{len(group)} invoices of {first.vendor} bill {period} ({ids}); {g.id} is expected the "
                   f"usage its lines name ({names})" + (", less what an earlier invoice of the period covers"
                                                        if others else ""))
        earlier_masks.append((g.id, mine))
        seen.extend(k for k in g.covers if k not in seen)
    pro = [g for g in group if not g.covers]
    if not pro:
        return pos, shares
    pool_pos = pos[~_cover_mask(index, pos, tuple(seen))] if seen else pos
    pool = _micros_of(cost, pool_pos)
    tol = _tol_micros(pool, settings)
    cum = 0
    before: list[str] = []
    for g in pro:
        sh = shares[g.id]
        prior, cum = cum, cum + billed(g)
        if len(pool_pos) and pool > 0 and before and prior >= pool - tol and cum - pool > tol:
            sh.billed_again = min(billed(g), cum - pool)
            sh.earlier = tuple(before)
        before.append(g.id)
    parts = _split(pool, [billed(g) - shares[g.id].billed_again for g in pro])
    rounded = allocate_cents(parts)
    for g, part, rc in zip(pro, parts, rounded, strict=True):
        sh = shares[g.id]
        sh.basis, sh.expected, sh.expected_cents, sh.shared = "pro_rata", part, rc, pool
        sh.covered_by_others = tuple(seen)
        sh.note = (f"{len(group)} invoices of {first.vendor} bill {period} ({ids}); the lines of {g.id} do not "
                   f"say which usage they cover, so it is expected a pro-rata share of the "
                   f"{_c(pool):,.2f} {'left by the invoices that do' if seen else 'of usage'}: {rc:,.2f}, "
                   f"in proportion to its amount" + (" less the amount it bills again" if sh.billed_again else ""))
    return pos, shares


def invoice_results(invoices: pd.DataFrame, usage: pd.DataFrame | UsageIndex, commitments: pd.DataFrame,
                    rate_card: pd.DataFrame, fx_rates: pd.DataFrame,
                    settings: Settings = DEFAULT_SETTINGS, *,
                    converted: tuple[pd.DataFrame, list[str]] | None = None,
                    ) -> tuple[tuple[InvoiceResult, ...], list[str]]:
    """One InvoiceResult per invoice_id (ordered by invoice_id) and the warnings (rows without FX
    rate, inferred billing periods, unknown contracts). ``usage`` is the prepared frame (reporting
    currency, with ``_contract``) or its index; ``invoices`` are canonical (any currency);
    ``converted`` is convert_lines(invoices, ...) when the caller already has it.

    Invoices are reconciled per vendor-period (docs/domain.md "Invoices"): the invoices of one
    vendor (and contract, when they name a known one) with the same billing period are compared
    with that period's usage together; each shows its own expected share."""
    if invoices.empty:
        return (), []
    conv, warnings = converted if converted is not None else convert_lines(invoices, fx_rates, settings)
    warnings = list(warnings)
    if conv.empty:
        return (), warnings
    index = as_index(usage)
    card = rate_card_of(rate_card)
    owners = owners_of(commitments)
    known = {r["cid"] for r in owners.rows}
    invs = _build_invoices(_per_frame(conv, "records", lambda: _line_records(conv)), known)
    groups: dict[tuple, list[_Invoice]] = {}
    for inv in invs:
        cid = None if inv.contract_unknown else inv.contract_id
        groups.setdefault((inv.vkey, cid, inv.start, inv.end), []).append(inv)
    presence = index.memo("invoice_presence", lambda: _Presence(index))
    native = index.memo("invoice_native", lambda: _Native(index))
    rep = str(settings.reporting_currency).strip().upper()
    rates = _Rates(fx_rates, rep)
    results: dict[str, InvoiceResult] = {}
    for group in groups.values():
        group.sort(key=lambda g: (g.inv_date, g.id))
        pos, shares = _reconcile(group, index, settings, index.cost, lambda g: g.invoiced)
        period_expected = _c(_micros_of(index.cost, pos))
        period_invoiced = _c(sum(g.invoiced for g in group))
        cur = group[0].currency if len({g.currency for g in group}) == 1 else None
        nshares = None
        if cur is not None and cur != rep and native.all_in(pos, cur):
            nshares = _reconcile(group, index, settings, native.cost, lambda g: g.invoiced_native)[1]
        for g in group:
            res, notes = _one_invoice(g, shares[g.id], None if nshares is None else nshares[g.id],
                                      bool(len(pos)), card, owners, presence, rates, settings)
            results[g.id] = dataclasses.replace(
                res, period_invoices=tuple(x.id for x in group) if len(group) > 1 else (),
                period_expected=period_expected, period_invoiced=period_invoiced)
            warnings.extend(notes)
    return tuple(results[k] for k in sorted(results)), warnings


class _Rates:
    """FX rates looked up once per (currency, day)."""

    def __init__(self, fx_rates: pd.DataFrame, rep: str):
        self.fx_rates, self.rep, self.got = fx_rates, rep, {}

    def __call__(self, currency: str | None, day: date) -> Decimal | None:
        cur = str(currency or self.rep).strip().upper()
        if (cur, day) not in self.got:
            self.got[(cur, day)] = fx.rate_on(self.fx_rates, cur, day, self.rep)
        return self.got[(cur, day)]


def _line_flags(inv: _Invoice, owner: str | None, presence: _Presence, rate_card: _RateCard,
                rates: _Rates, settings: Settings, notes: list[str]) -> list[InvoiceFlag]:
    rep = rates.rep
    start, end = inv.start, inv.end
    flags: list[InvoiceFlag] = []
    seen: set[tuple] = set()
    for rec in inv.lines:
        key = _line_key(rec)
        amount = _c(rec["amount"])
        desc = _str_or_none(rec["description"])
        base = dict(line=int(rec["_row"]), file=str(rec["_file"] or ""), description=desc, amount=amount)
        if key in seen:
            if rec["ltype"] == "credit" or rec["amount"] < 0:
                flags.append(InvoiceFlag(flag="duplicate_credit", leakage=ZERO, owner=owner,
                                         detail="a credit equal to an earlier line of this invoice: in the "
                                                "buyer's favour, so no leakage; ask the vendor whether it stands",
                                         **base))
            else:
                flags.append(InvoiceFlag(flag="duplicate_line", leakage=amount, owner=owner,
                                         detail="same description, model, meter, quantity, unit price and "
                                                "amount as an earlier line of this invoice", **base))
            continue
        seen.add(key)
        if rec["ltype"] != "usage":
            continue
        model = _str_or_none(rec["model"])
        meter = _str_or_none(rec["meter"])
        if model is not None or meter is not None:
            col, val = ("model", model) if model is not None else ("meter", meter)
            if not presence.any(col, inv.vkey, val, start, end):
                flags.append(InvoiceFlag(flag="no_usage", leakage=amount, owner=owner,
                                         detail=f"no usage of {inv.vendor} {col} {val} in "
                                                f"{start.isoformat()}..{end.isoformat()}", **base))
                continue
        up, qty = rec["unit_price"], rec["quantity"]
        if up is None or qty is None:
            continue
        kind, tier = line_token_kind(rec)
        token = (rate_card.token_price(inv.vkey, model, kind, tier, start, end, rates)
                 if kind is not None and model is not None else None)
        if token is not None:
            # a token price: per the row's unit (the line's quantity and unit price are in it)
            per = Decimal(token.row["per"])
            contracted_rep, card = token.contracted * per, token.row
            list_rep = None if token.list is None else token.list * per
        else:
            # the rate card rows valid at the start and at the end of the billing period: the higher
            # contracted price (in the reporting currency) is the one a line must stay under
            cards = [c for c in (rate_card.match(inv.vkey, model, meter, d) for d in (start, end)) if c is not None]
            priced = []
            for card in cards:
                card_rate = rates(card["currency"], end)
                if card_rate is not None:
                    priced.append((_d(card["contracted_price"]) * card_rate, card))
            if not priced:
                if cards:
                    notes.append(f"invoice {inv.id} line {rec['_row']}: no FX rate valid on {end.isoformat()} to "
                                 f"compare its unit price with the rate card; premium_rate not checked")
                continue
            contracted_rep, card = max(priced, key=lambda pc: pc[0])
            list_rep = None if card["list_price"] is None else _d(card["list_price"]) * rates(card["currency"], end)
            per = Decimal(1)
        line_rate = rates(rec["_orig_currency"], end)
        if line_rate is None:
            notes.append(f"invoice {inv.id} line {rec['_row']}: no FX rate valid on {end.isoformat()} to "
                         f"compare its unit price with the rate card; premium_rate not checked")
            continue
        unit_rep = _d(up) * line_rate
        tol = _d(settings.premium_rate_tolerance_pct)
        why = price_flag(unit_rep, contracted_rep, list_rep, tol, card=rate_card if token is not None else None,
                         vkey=inv.vkey, model=model, kind=kind, tier=tier, start=start, end=end, rates=rates,
                         scale=per)
        if why is not None:
            flag, reason = why
            leakage = cents((unit_rep - contracted_rep) * _d(qty))
            flag_owner = owner if owner is not None else _str_or_none(card.get("owner"))
            line_cur, card_cur = str(rec["_orig_currency"]), card["currency"] or rep
            if line_cur == card_cur:
                detail = (f"unit price {_num(up)} above contracted {_num(card['contracted_price'])}"
                          + (f" {card_cur}" if card_cur != rep else ""))
            else:
                def shown(value, cur: str, in_rep: Decimal) -> str:
                    return f"{_num(value)} {cur}" + (f" = {_num(in_rep)} {rep}" if cur != rep else "")
                detail = (f"unit price {shown(up, line_cur, unit_rep)} above contracted "
                          f"{shown(card['contracted_price'], card_cur, contracted_rep)} (rates of {end.isoformat()})")
            if flag != "premium_rate":
                detail = f"{reason}: {detail}"
            flags.append(InvoiceFlag(flag=flag, leakage=leakage, owner=flag_owner, detail=detail, **base))
    return flags


def _one_invoice(inv: _Invoice, share: _Share, nshare: _Share | None, has_usage: bool, rate_card: _RateCard,
                 owners: _Owners, presence: _Presence, rates: _Rates, settings: Settings):
    rep = rates.rep
    start, end = inv.start, inv.end
    period = f"{start.isoformat()}..{end.isoformat()}"
    notes: list[str] = []
    warnings: list[str] = []
    if inv.inferred:
        note = (f"invoice {inv.id}: its lines carry no billing period; the calendar month "
                f"before the invoice date ({period}) is used")
        notes.append(note)
        warnings.append(note)
    if inv.month_of_start:
        notes.append(f"invoice {inv.id}: a line has period_start and no period_end; it counts as the calendar "
                     f"month of its period_start (billing period {period})")
    if inv.contract_unknown:
        note = (f"invoice {inv.id} names contract {inv.contract_id!r}, which is not in the commit schedule; "
                f"it is reconciled with all of {inv.vendor}'s usage in {period}")
        notes.append(note)
        warnings.append(note)
    expected = share.expected_cents if share.expected_cents is not None else _c(share.expected)
    invoiced, tax = _c(inv.invoiced), _c(inv.tax)
    rate = rates(inv.currency, end) if inv.currency and inv.currency != rep else None
    compared_in, expected_in, invoiced_in, variance_in = rep, None, None, None
    if nshare is not None:
        compared_in = str(inv.currency)
        expected_in = nshare.expected_cents if nshare.expected_cents is not None else _c(nshare.expected)
        invoiced_in = _c(inv.invoiced_native)
        variance_in = invoiced_in - expected_in
        status = tolerance_status(invoiced_in, expected_in, settings)
        variance = cents(variance_in * rate) if rate is not None else invoiced - expected
        variance_pct = None if expected_in == 0 else float(variance_in / expected_in)
        notes.append(nshare.note) if nshare.note else None
        notes.append(f"invoice and usage are both in {compared_in}: compared in {compared_in} (invoiced "
                     f"{invoiced_in:,.2f} against {expected_in:,.2f} expected, variance {variance_in:,.2f}); "
                     f"in {rep} the invoice is converted at {rate} (rate of {end.isoformat()}, the billing "
                     f"period end) and the usage on its own days, so invoiced - expected in {rep} "
                     f"({invoiced - expected:,.2f}) differs from the variance by FX only")
        billed_again = cents(_c(nshare.billed_again) * rate) if rate is not None else _c(share.billed_again)
        earlier = nshare.earlier
    else:
        if share.note:
            notes.append(share.note)
        variance = invoiced - expected
        status = tolerance_status(invoiced, expected, settings)
        variance_pct = None if expected == 0 else float(variance / expected)
        if rate is not None:
            notes.append(f"invoice in {inv.currency}, its usage in {rep}: converted at {rate} (rate of "
                         f"{end.isoformat()}, the billing period end)")
        billed_again, earlier = _c(share.billed_again), share.earlier
    if status != "within_tolerance" and not has_usage:
        status = "no_usage_period"
        notes.append(f"no usage of {inv.vendor} was imported for {period}; variance cannot be judged")
    owner = owners.owner(inv.vendor, None if inv.contract_unknown else inv.contract_id, start)
    flags = _line_flags(inv, owner, presence, rate_card, rates, settings, notes)
    if billed_again > 0:
        # the amount billed again is of invoiced (no tax): a flagged tax line is leakage on its own
        tax_lines = {(str(r["_file"] or ""), int(r["_row"])) for r in inv.lines if r["is_tax"]}
        line_leak = sum((f.leakage for f in flags if (f.file, f.line) not in tax_lines), ZERO)
        first = inv.lines[0]
        flags.insert(0, InvoiceFlag(
            line=int(first["_row"]), file=str(first["_file"] or ""), flag="double_billing",
            leakage=max(ZERO, billed_again - line_leak), owner=owner, description=f"invoice {inv.id}",
            amount=invoiced,
            detail=(f"{inv.vendor} {period} was already billed by {', '.join(earlier)}; "
                    f"{billed_again:,.2f} of this invoice bills it again"
                    + (f" ({line_leak:,.2f} of it flagged on its lines)" if line_leak > 0 else "")),
            earlier_invoices=earlier))
    basis = share.basis
    return InvoiceResult(
        invoice_id=inv.id, vendor=inv.vendor, period_start=start, period_end=end, invoiced=invoiced,
        expected=expected, variance=variance, variance_pct=variance_pct, status=status, tax=tax,
        premium_leakage=sum((f.leakage for f in flags), ZERO), flags=tuple(flags),
        invoice_date=inv.inv_date, contract_id=inv.contract_id, period_inferred=inv.inferred, currency=rep,
        notes=tuple(notes), expected_basis=basis, covers=inv.covers if basis == "lines" else (),
        covered_by_others=share.covered_by_others,
        shared_expected=None if share.shared is None else _c(share.shared),
        contract_unknown=inv.contract_unknown, invoice_currency=inv.currency,
        fx_rate=None if rate is None else str(rate), fx_date=end if rate is not None else None,
        compared_in=compared_in, expected_in=expected_in, invoiced_in=invoiced_in,
        variance_in=variance_in), warnings
