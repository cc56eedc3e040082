"""Invoice variance, tolerance status and line flags (docs/domain.md "Invoice variance" and
"Invoices").

* Billing period: min period_start .. max period_end over the invoice's lines; when no line has
  both, the calendar month before invoice_date (noted on the result and in the warnings).
* Invoices are reconciled per vendor-period (vendor, named known contract, billing period): the
  period's usage (``period_rows``: every row of the vendor in the period, eligible or not, not
  drawing down another contract) against all its invoices; each invoice is expected its share
  (the whole period, the usage its lines name, or a pro-rata share), and a period billed again
  is flagged ``double_billing`` on the later invoice.
* invoiced: sum of non-tax line amounts; tax apart. Amounts are converted to the reporting
  currency with the rate valid on invoice_date (rows without a rate are left out and reported).
* One flag per line, first match wins: duplicate_line (duplicate_credit without leakage), then
  no_usage, then premium_rate, so a line's leakage is never counted twice.
* Flag owner: the owner of the invoice's contract (see ``contract_owner``); for premium_rate
  without a contract, the rate card row's owner.
* Per-invoice work is plain Python over records and numpy slices of the usage ordered by
  (vendor, day) kept on the usage index: no pandas call per invoice.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import fx
from desktop.domain.chargeback import allocate_cents
from desktop.domain.contracts import _str_or_none
from desktop.domain.daily import Daily, daily_groups
from desktop.domain.money import ZERO, cents, from_micros, money_sum
from desktop.domain.months import previous_month
from desktop.domain.results import InvoiceFlag, InvoiceResult
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.usage_index import UsageIndex, as_index, day_number, match_key


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


def _without_unconvertible(raw: pd.DataFrame, fx_rates: pd.DataFrame, rep: str) -> tuple[pd.DataFrame, list[str]]:
    """An invoice with a line that has no FX rate to the reporting currency cannot be compared
    with usage: all its lines are left out, with a warning naming it, its rows and the rate
    missing (docs/domain.md, "Currency"). The other invoices are kept."""
    missing = fx.without_rate(raw, fx_rates, date_column="invoice_date", reporting_currency=rep)
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
                                 for c, d in zip(bad["currency"], bad["invoice_date"], strict=True)
                                 if not pd.isna(d)})) or f"{rep} (no invoice date)"
        warnings.append(f"{' and '.join(files)} row{'s' if len(lines) != 1 else ''} {fx.row_ranges(lines['_row'])}: "
                        f"invoice {iid} is left out of the figures: no FX rate for {what}; import one "
                        "(an FX rates file) to see it")
    keep = ~ids.isin(gone).to_numpy(dtype=bool)
    return raw[keep].reset_index(drop=True), warnings


def convert_lines(invoices: pd.DataFrame, fx_rates: pd.DataFrame,
                  settings: Settings = DEFAULT_SETTINGS) -> tuple[pd.DataFrame, list[str]]:
    """The invoice lines in the reporting currency (rate valid on invoice_date; lines without a
    rate are left out and reported, with every other line of their invoice), in input order, with
    ``_orig_currency``. The analysis keeps
    this frame: the rows behind invoiced, tax and leakage are positions in it."""
    raw, warnings = _without_unconvertible(invoices.reset_index(drop=True), fx_rates, settings.reporting_currency)
    conv, more = fx.convert_frame(raw.assign(_orig_currency=raw["currency"]), fx_rates,
                                  money_columns=("amount",), date_column="invoice_date",
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
        self.order = np.lexsort((index.day, vcodes)).astype(np.int64)
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
        return self.order[a:b]


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


def _micros_of(index: UsageIndex, pos: np.ndarray) -> int:
    return money_sum(index.cost[pos]) if len(pos) else 0


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
        self.inv_date: date | None = None
        self.invoiced = 0  # micros, reporting currency
        self.tax = 0
        self.covers: tuple[str, ...] = ()
        self.notes: list[str] = []


def _line_records(conv: pd.DataFrame) -> list[dict]:
    """The analysed lines as plain records (one pass over the frame, no pandas per invoice)."""
    cols = {c: conv[c].tolist() for c in ("invoice_id", "vendor", "contract_id", "period_start", "period_end",
                                          "invoice_date", "description", "model", "meter", "quantity",
                                          "unit_price", "_file", "_row", "_orig_currency")}
    cols["amount"] = conv["amount"].to_numpy(dtype=np.int64).tolist()
    ltype = conv["line_type"].astype("string").str.strip().str.casefold().fillna("usage").tolist()
    out = []
    for i in range(len(conv)):
        rec = {c: _nn(v[i]) for c, v in cols.items()}
        rec["pos"] = i
        rec["ltype"] = ltype[i]
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
        starts = [d for d in (_day(r["period_start"]) for r in ls) if d is not None]
        ends = [d for d in (_day(r["period_end"]) for r in ls) if d is not None]
        if starts and ends:
            inv.start, inv.end = min(starts), max(ends)
        else:
            inv.start, inv.end = previous_month(inv.inv_date)
            inv.inferred = True
        for r in ls:
            r["is_tax"] = r["ltype"] == "tax"
            if r["is_tax"]:
                inv.tax += r["amount"]
            else:
                inv.invoiced += r["amount"]
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


def _reconcile(group: list[_Invoice], index: UsageIndex, settings: Settings) -> tuple[np.ndarray, dict[str, _Share]]:
    """The vendor-period's rows and each invoice's expected share and amount billed again."""
    first = group[0]
    cid = None if first.contract_unknown else first.contract_id
    pos = period_rows(index, first.vendor, first.start, first.end, cid)
    total = _micros_of(index, pos)
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
        sh.expected = _micros_of(index, pos[mine & ~taken])
        overlap = [i for i, m in earlier_masks if (m & mine).any()]
        if overlap and g.invoiced - sh.expected > _tol_micros(sh.expected, settings) and len(pos):
            sh.billed_again = min(g.invoiced, g.invoiced - sh.expected)
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
    pool = _micros_of(index, pool_pos)
    tol = _tol_micros(pool, settings)
    cum = 0
    before: list[str] = []
    for g in pro:
        sh = shares[g.id]
        prior, cum = cum, cum + g.invoiced
        if len(pool_pos) and pool > 0 and before and prior >= pool - tol and cum - pool > tol:
            sh.billed_again = min(g.invoiced, cum - pool)
            sh.earlier = tuple(before)
        before.append(g.id)
    parts = _split(pool, [g.invoiced - shares[g.id].billed_again for g in pro])
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
    card = _RateCard(rate_card)
    owners = _Owners(commitments)
    known = {r["cid"] for r in owners.rows}
    invs = _build_invoices(_line_records(conv), known)
    groups: dict[tuple, list[_Invoice]] = {}
    for inv in invs:
        cid = None if inv.contract_unknown else inv.contract_id
        groups.setdefault((inv.vkey, cid, inv.start, inv.end), []).append(inv)
    presence = index.memo("invoice_presence", lambda: _Presence(index))
    results: dict[str, InvoiceResult] = {}
    for group in groups.values():
        group.sort(key=lambda g: (g.inv_date, g.id))
        pos, shares = _reconcile(group, index, settings)
        period_expected = _c(_micros_of(index, pos))
        period_invoiced = _c(sum(g.invoiced for g in group))
        for g in group:
            res, notes = _one_invoice(g, shares[g.id], bool(len(pos)), card, owners, presence, fx_rates, settings)
            results[g.id] = dataclasses.replace(
                res, period_invoices=tuple(x.id for x in group) if len(group) > 1 else (),
                period_expected=period_expected, period_invoiced=period_invoiced)
            warnings.extend(notes)
    return tuple(results[k] for k in sorted(results)), warnings


def _line_flags(inv: _Invoice, owner: str | None, presence: _Presence, rate_card: _RateCard,
                fx_rates: pd.DataFrame, settings: Settings) -> list[InvoiceFlag]:
    rep = settings.reporting_currency
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
        card = rate_card.match(inv.vkey, model, meter, inv.inv_date)
        if card is None:
            continue
        contracted = _d(card["contracted_price"])
        unit_price = _d(up)
        if unit_price > contracted * (1 + _d(settings.premium_rate_tolerance_pct)):
            rate = fx.rate_on(fx_rates, rec["_orig_currency"], inv.inv_date, rep) or Decimal(1)
            leakage = cents((unit_price - contracted) * _d(qty) * rate)
            flag_owner = owner if owner is not None else _str_or_none(card.get("owner"))
            flags.append(InvoiceFlag(flag="premium_rate", leakage=leakage, owner=flag_owner,
                                     detail=f"unit price {unit_price} above contracted {contracted}",
                                     **base))
    return flags


def _one_invoice(inv: _Invoice, share: _Share, has_usage: bool, rate_card: _RateCard, owners: _Owners,
                 presence: _Presence, fx_rates: pd.DataFrame, settings: Settings):
    rep = settings.reporting_currency
    start, end = inv.start, inv.end
    notes: list[str] = []
    warnings: list[str] = []
    if inv.inferred:
        note = (f"invoice {inv.id}: its lines carry no billing period; the calendar month "
                f"before the invoice date ({start.isoformat()}..{end.isoformat()}) is used")
        notes.append(note)
        warnings.append(note)
    if inv.contract_unknown:
        note = (f"invoice {inv.id} names contract {inv.contract_id!r}, which is not in the commit schedule; "
                f"it is reconciled with all of {inv.vendor}'s usage in {start.isoformat()}..{end.isoformat()}")
        notes.append(note)
        warnings.append(note)
    if share.note:
        notes.append(share.note)
    expected = share.expected_cents if share.expected_cents is not None else _c(share.expected)
    invoiced, tax = _c(inv.invoiced), _c(inv.tax)
    variance = invoiced - expected
    status = tolerance_status(invoiced, expected, settings)
    if status != "within_tolerance" and not has_usage:
        status = "no_usage_period"
        notes.append(f"no usage of {inv.vendor} was imported for {start.isoformat()}..{end.isoformat()}; "
                     f"variance cannot be judged")
    owner = owners.owner(inv.vendor, None if inv.contract_unknown else inv.contract_id, start)
    flags = _line_flags(inv, owner, presence, rate_card, fx_rates, settings)
    if share.billed_again > 0:
        line_leak = sum((f.leakage for f in flags), ZERO)
        again = _c(share.billed_again)
        first = inv.lines[0]
        flags.insert(0, InvoiceFlag(
            line=int(first["_row"]), file=str(first["_file"] or ""), flag="double_billing",
            leakage=max(ZERO, again - line_leak), owner=owner, description=f"invoice {inv.id}", amount=invoiced,
            detail=(f"{inv.vendor} {start.isoformat()}..{end.isoformat()} was already billed by "
                    f"{', '.join(share.earlier)}; {again:,.2f} of this invoice bills it again"
                    + (f" ({line_leak:,.2f} of it flagged on its lines)" if line_leak > 0 else "")),
            earlier_invoices=share.earlier))
    return InvoiceResult(
        invoice_id=inv.id, vendor=inv.vendor, period_start=start, period_end=end, invoiced=invoiced,
        expected=expected, variance=variance,
        variance_pct=None if expected == 0 else float(variance / expected), status=status, tax=tax,
        premium_leakage=sum((f.leakage for f in flags), ZERO), flags=tuple(flags),
        invoice_date=inv.inv_date, contract_id=inv.contract_id, period_inferred=inv.inferred, currency=rep,
        notes=tuple(notes), expected_basis=share.basis, covers=inv.covers if share.basis == "lines" else (),
        covered_by_others=share.covered_by_others,
        shared_expected=None if share.shared is None else _c(share.shared),
        contract_unknown=inv.contract_unknown), warnings
