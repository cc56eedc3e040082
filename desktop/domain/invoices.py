"""Invoice variance, tolerance status and line flags (docs/domain.md "Invoice variance" and the
rules in its "Decisions" section).

* Billing period: min period_start .. max period_end over the invoice's lines; when no line has
  both, the calendar month before invoice_date (noted on the result and in the warnings).
* expected: usage cost (reporting currency) of the vendor dated in the billing period; when the
  invoice names a contract, only usage drawing down that contract.
* invoiced: sum of non-tax line amounts; tax apart. Amounts are converted to the reporting
  currency with the rate valid on invoice_date (rows without a rate are left out and reported).
* One flag per line, first match wins: duplicate_line, then no_usage, then premium_rate, so a
  line's leakage is never counted twice.
* Flag owner: the owner of the invoice's contract (see ``contract_owner``); for premium_rate
  without a contract, the rate card row's owner.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import fx
from desktop.domain.contracts import _str_or_none
from desktop.domain.daily import Daily, daily_groups
from desktop.domain.money import ZERO, cents, from_micros, money_sum
from desktop.domain.months import previous_month
from desktop.domain.results import InvoiceFlag, InvoiceResult
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.usage_index import UsageIndex, as_index, match_key


def _d(x: float) -> Decimal:
    return Decimal(str(float(x)))


def billing_period(lines: pd.DataFrame) -> tuple[date, date, bool]:
    """(start, end, inferred). Inferred = no line has both period_start and period_end."""
    ps = lines["period_start"].dropna()
    pe = lines["period_end"].dropna()
    if not ps.empty and not pe.empty:
        return ps.min().date(), pe.max().date(), False
    inv_date = lines["invoice_date"].dropna()
    day = inv_date.min().date() if not inv_date.empty else None
    if day is None:
        raise ValueError("invoice without invoice_date")
    start, end = previous_month(day)
    return start, end, True


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
            combo = np.where((vcodes >= 0) & (mcodes >= 0), mcodes * nv + vcodes, -1)
            for c, d in daily_groups(combo, days, index.cost, counts=True).items():
                self.presence[(col, vkeys[c % nv], mkeys[c // nv])] = d

    def any(self, col: str, vkey: str, value: str, start: date, end: date) -> bool:
        d = self.presence.get((col, vkey, match_key(col, value)))
        return d is not None and d.total(start, end) > 0


def expected_rows(index: UsageIndex, inv: InvoiceResult) -> np.ndarray:
    """The usage rows behind ``expected``: dated in the billing period, drawing down the contract
    the invoice names, else of the invoice's vendor."""
    who = index.mask("_contract", inv.contract_id) if inv.contract_id else index.mask("vendor", inv.vendor)
    return index.positions(who & index.dated(inv.period_start, inv.period_end))


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
    """The rate card as plain records, matched by vendor, model and meter on a date."""

    def __init__(self, rate_card: pd.DataFrame | None):
        self.rows: list[dict] = []
        if rate_card is None or rate_card.empty:
            return
        for rec in rate_card.to_dict("records"):
            self.rows.append({
                "vkey": match_key("vendor", rec["vendor"]) if _str_or_none(rec["vendor"]) else "",
                "model": _casekey(rec["model"]) if _str_or_none(rec["model"]) else None,
                "meter": _casekey(rec["meter"]) if _str_or_none(rec["meter"]) else None,
                "from": None if pd.isna(rec["effective_from"]) else pd.Timestamp(rec["effective_from"]).date(),
                "to": None if pd.isna(rec["effective_to"]) else pd.Timestamp(rec["effective_to"]).date(),
                "contracted_price": rec["contracted_price"], "owner": rec.get("owner"),
                "_row": int(rec["_row"]),
            })

    def match(self, vkey: str, model: str | None, meter: str | None, day: date) -> dict | None:
        """The most specific row valid on ``day`` (docs/domain.md, "premium_rate"): model and
        meter both equal; else the model's row without a meter; else, for a line without a meter,
        the model's rows when they all have one price; else the meter's row without a model.
        Among equally specific rows the latest effective_from wins (then the later row)."""
        valid = [r for r in self.rows if r["vkey"] == vkey and (r["from"] is None or r["from"] <= day)
                 and (r["to"] is None or r["to"] >= day)]
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
                return max(hits, key=lambda r: (r["from"] or date.min, r["_row"]))
        return None


def _line_key(rec: dict) -> tuple:
    def norm(v):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        return v
    return tuple(norm(rec[c]) for c in ("description", "model", "meter", "quantity", "unit_price", "amount"))


def convert_lines(invoices: pd.DataFrame, fx_rates: pd.DataFrame,
                  settings: Settings = DEFAULT_SETTINGS) -> tuple[pd.DataFrame, list[str]]:
    """The invoice lines in the reporting currency (rate valid on invoice_date; lines without a
    rate are left out and reported), in input order, with ``_orig_currency``. The analysis keeps
    this frame: the rows behind invoiced, tax and leakage are positions in it."""
    raw = invoices.reset_index(drop=True)
    conv, warnings = fx.convert_frame(raw.assign(_orig_currency=raw["currency"]), fx_rates,
                                      money_columns=("amount",), date_column="invoice_date",
                                      reporting_currency=settings.reporting_currency, kind="invoice")
    return conv.reset_index(drop=True), warnings


def invoice_results(invoices: pd.DataFrame, usage: pd.DataFrame | UsageIndex, commitments: pd.DataFrame,
                    rate_card: pd.DataFrame, fx_rates: pd.DataFrame,
                    settings: Settings = DEFAULT_SETTINGS, *,
                    converted: tuple[pd.DataFrame, list[str]] | None = None,
                    ) -> tuple[tuple[InvoiceResult, ...], list[str]]:
    """One InvoiceResult per invoice_id (ordered by invoice_id) and the warnings (rows without FX
    rate, inferred billing periods). ``usage`` is the prepared frame (reporting currency, with
    ``_contract``) or its index; ``invoices`` are canonical (any currency); ``converted`` is
    convert_lines(invoices, ...) when the caller already has it."""
    if invoices.empty:
        return (), []
    conv, warnings = converted if converted is not None else convert_lines(invoices, fx_rates, settings)
    warnings = list(warnings)
    if conv.empty:
        return (), warnings
    index = as_index(usage)
    card = _RateCard(rate_card)
    owners = _Owners(commitments)
    conv = conv.sort_values(["invoice_id", "_file", "_row"], kind="mergesort")
    results = []
    for invoice_id, lines in conv.groupby(conv["invoice_id"].astype(str), sort=True):
        res, notes = _one_invoice(str(invoice_id), lines, index, card, owners, fx_rates, settings)
        results.append(res)
        warnings.extend(notes)
    return tuple(results), warnings


def _one_invoice(invoice_id: str, lines: pd.DataFrame, index: UsageIndex, rate_card: _RateCard,
                 owners: _Owners, fx_rates: pd.DataFrame, settings: Settings):
    rep = settings.reporting_currency
    vendor = str(lines["vendor"].dropna().iloc[0]) if lines["vendor"].notna().any() else ""
    vkey = match_key("vendor", vendor)
    cids = [c for c in (_str_or_none(x) for x in lines["contract_id"].tolist()) if c]
    contract_id = cids[0] if cids else None
    start, end, inferred = billing_period(lines)
    inv_date = lines["invoice_date"].dropna().min().date()
    notes: list[str] = []
    warnings: list[str] = []
    if inferred:
        note = (f"invoice {invoice_id}: its lines carry no billing period; the calendar month "
                f"before the invoice date ({start.isoformat()}..{end.isoformat()}) is used")
        notes.append(note)
        warnings.append(note)
    by = ("_contract", contract_id) if contract_id else ("vendor", vkey)
    exp_daily = index.daily_by(by[0]).get(by[1])
    rows_daily = index.rows_by(by[0]).get(by[1])
    expected = cents(from_micros(exp_daily.total(start, end))) if exp_daily else ZERO
    has_usage = bool(rows_daily and rows_daily.total(start, end) > 0)
    ltype = lines["line_type"].astype("string").str.strip().str.casefold().fillna("usage")
    is_tax = _is_tax(lines)
    amounts = lines["amount"].to_numpy(dtype=np.int64)
    invoiced = cents(from_micros(money_sum(amounts[~is_tax])))
    tax = cents(from_micros(money_sum(amounts[is_tax])))
    variance = invoiced - expected
    status = tolerance_status(invoiced, expected, settings)
    if status != "within_tolerance" and not has_usage:
        status = "no_usage_period"
        notes.append(f"no usage of {vendor} was imported for {start.isoformat()}..{end.isoformat()}; "
                     f"variance cannot be judged")
    owner = owners.owner(vendor, contract_id, start)
    presence = index.memo("invoice_presence", lambda: _Presence(index))

    flags: list[InvoiceFlag] = []
    seen: set[tuple] = set()
    for rec, lt in zip(lines.to_dict("records"), ltype.tolist(), strict=True):
        key = _line_key(rec)
        amount = cents(from_micros(rec["amount"]))
        desc = _str_or_none(rec["description"])
        base = dict(line=int(rec["_row"]), file=str(rec["_file"] or ""), description=desc, amount=amount)
        if key in seen:
            flags.append(InvoiceFlag(flag="duplicate_line", leakage=amount, owner=owner,
                                     detail="same description, model, meter, quantity, unit price and "
                                            "amount as an earlier line of this invoice", **base))
            continue
        seen.add(key)
        if lt != "usage":
            continue
        model = _str_or_none(rec["model"])
        meter = _str_or_none(rec["meter"])
        if model is not None or meter is not None:
            col, val = ("model", model) if model is not None else ("meter", meter)
            if not presence.any(col, vkey, val, start, end):
                flags.append(InvoiceFlag(flag="no_usage", leakage=amount, owner=owner,
                                         detail=f"no usage of {vendor} {col} {val} in "
                                                f"{start.isoformat()}..{end.isoformat()}", **base))
                continue
        up, qty = rec["unit_price"], rec["quantity"]
        if up is None or qty is None or pd.isna(up) or pd.isna(qty):
            continue
        card = rate_card.match(vkey, model, meter, inv_date)
        if card is None:
            continue
        contracted = _d(card["contracted_price"])
        unit_price = _d(up)
        if unit_price > contracted * (1 + _d(settings.premium_rate_tolerance_pct)):
            rate = fx.rate_on(fx_rates, rec["_orig_currency"], inv_date, rep) or Decimal(1)
            leakage = cents((unit_price - contracted) * _d(qty) * rate)
            flag_owner = owner if owner is not None else _str_or_none(card.get("owner"))
            flags.append(InvoiceFlag(flag="premium_rate", leakage=leakage, owner=flag_owner,
                                     detail=f"unit price {unit_price} above contracted {contracted}",
                                     **base))
    return InvoiceResult(
        invoice_id=invoice_id, vendor=vendor, period_start=start, period_end=end, invoiced=invoiced,
        expected=expected, variance=variance,
        variance_pct=None if expected == 0 else float(variance / expected), status=status, tax=tax,
        premium_leakage=sum((f.leakage for f in flags), ZERO), flags=tuple(flags),
        invoice_date=inv_date, contract_id=contract_id, period_inferred=inferred, currency=rep,
        notes=tuple(notes)), warnings
