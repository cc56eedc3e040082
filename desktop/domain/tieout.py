"""Exports that tie out: a provider export's BilledCost per InvoiceId against the imported invoice.

FOCUS 1.2+ rows carry the invoice they are billed on (usage column ``invoice_id``) and what is
billed for them (``billed_cost``, FOCUS BilledCost, whatever the analysis' cost basis). This
module owns the tie-out figures and the rows behind them (docs/domain.md "Export tie-out"):

* ``billed`` = the sum of billed_cost over the analysed usage rows with that InvoiceId (the latest
  snapshot only, desktop/domain/snapshots.py), in the billing currency, every charge category
  (tax and credits too): ``billed_rows``.
* It is tied to the imported invoice with the same invoice_id (trimmed, exact): ``invoice_id``.
  InvoiceIds no imported invoice carries are tied together per (vendor, billing period) to the
  imported invoices of that vendor whose billing period contains the period's first day and
  that no InvoiceId names: ``vendor_period``, said so in the note. Nothing found: ``unmatched``,
  status ``no_invoice``.
* ``invoiced`` = every line of those invoices as billed (tax, credits, fees too; the invoice
  currency): ``invoiced_rows``. ``residual`` = invoiced - billed, exact to the cent; status
  ``tied`` at 0.00, else ``residual``; ``mixed_currency`` (no residual) when the two sides are
  not in one currency.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.money import fmt_money_human, micros_to_cents, money_sum
from desktop.domain.results import InvoiceResult, TieOut
from desktop.domain.tables import text_codes, vendor_key

BILLED_MONEY = "billed_cost"  # positions in analysis.usage; billed_cost is never converted
INVOICED_MONEY = "_orig_amount"  # positions in analysis.invoice_lines; the amount as billed
_NONE = np.zeros(0, dtype=np.int64)


def _ids(frame: pd.DataFrame) -> pd.Series:
    """The invoice ids trimmed (per distinct value: a 1M-row export has a handful)."""
    if frame is None or frame.empty or "invoice_id" not in frame.columns:
        return pd.Series([], dtype="string")
    codes, uniques = text_codes(frame["invoice_id"])
    trimmed = np.array([str(u).strip() for u in uniques] + [None], dtype=object)
    return pd.Series(trimmed[codes], index=frame.index, dtype="string")


def billed_rows(usage: pd.DataFrame, tie: TieOut) -> np.ndarray:
    """Positions in the analysed usage behind ``billed``: the rows of its InvoiceIds."""
    ids = _ids(usage)
    if ids.empty:
        return _NONE
    return np.flatnonzero(ids.isin(tie.focus_invoice_ids).fillna(False).to_numpy(dtype=bool)).astype(np.int64)


def invoiced_rows(lines: pd.DataFrame, tie: TieOut) -> np.ndarray:
    """Positions in the analysed invoice lines behind ``invoiced``: every line of its invoices."""
    ids = _ids(lines)
    if ids.empty or not tie.invoice_ids:
        return _NONE
    return np.flatnonzero(ids.isin(tie.invoice_ids).fillna(False).to_numpy(dtype=bool)).astype(np.int64)


def _currencies(frame: pd.DataFrame, column: str) -> list[str]:
    return sorted({str(c).strip().upper() for c in frame[column].dropna().unique()})


def _usage_currency(rows: pd.DataFrame) -> list[str]:
    return _currencies(rows, "_native_currency" if "_native_currency" in rows.columns else "currency")


def tie_outs(usage: pd.DataFrame, lines: pd.DataFrame | None,
             invoices: tuple[InvoiceResult, ...]) -> tuple[TieOut, ...]:
    """One TieOut per InvoiceId of the export (per vendor-period for ids no invoice carries),
    ordered by key."""
    if usage is None or usage.empty or "invoice_id" not in usage.columns or not usage["invoice_id"].notna().any():
        return ()  # no export names an invoice (every non-FOCUS usage): nothing to tie out
    ids = _ids(usage)
    has = ids.notna() & (ids != "")
    if not has.any():
        return ()
    cols = [c for c in ("vendor", "billing_period") if c in usage.columns]
    rows = usage[cols][has.to_numpy(dtype=bool)]  # only the columns it reads
    line_ids = set(_ids(lines).dropna().tolist()) if lines is not None else set()
    groups: list[tuple[str, tuple[str, ...], str, tuple[str, ...], str]] = []  # key, ids, how, invoices, vendor
    unmatched: dict[tuple[str, object], list[str]] = {}
    first_vendor: dict[str, str] = {}
    for fid, grp in rows.groupby(ids[has], sort=True):
        fid = str(fid)
        vendor = str(grp["vendor"].iloc[0])
        first_vendor[fid] = vendor
        if fid in line_ids:
            groups.append((fid, (fid,), "invoice_id", (fid,), vendor))
        else:
            bp = grp["billing_period"].min() if "billing_period" in grp.columns else pd.NaT
            unmatched.setdefault((vendor_key(vendor), None if pd.isna(bp) else pd.Timestamp(bp).date()),
                                 []).append(fid)
    named = {g[0] for g in groups}
    for (vk, bp), fids in sorted(unmatched.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        vendor = first_vendor[fids[0]]
        found: tuple[str, ...] = ()
        if bp is not None:
            found = tuple(sorted(inv.invoice_id for inv in invoices
                                 if vendor_key(inv.vendor) == vk and inv.invoice_id not in named
                                 and inv.period_start is not None and inv.period_end is not None
                                 and inv.period_start <= bp <= inv.period_end))
        if found:
            groups.append((f"{vendor}|{bp}", tuple(fids), "vendor_period", found, vendor))
        else:
            for fid in fids:
                groups.append((fid, (fid,), "unmatched", (), vendor))
    out = [_tie(usage, lines, key, fids, how, found, vendor) for key, fids, how, found, vendor in groups]
    return tuple(sorted(out, key=lambda t: t.key))


def _tie(usage: pd.DataFrame, lines: pd.DataFrame | None, key: str, fids: tuple[str, ...], how: str,
         found: tuple[str, ...], vendor: str) -> TieOut:
    probe = TieOut(key=key, vendor=vendor, billing_period=None, focus_invoice_ids=fids, invoice_ids=found,
                   matched_by=how, currency=None, billed=Decimal("0.00"), rows=0, invoiced=None,
                   residual=None, status="no_invoice")
    cols = [c for c in (BILLED_MONEY, "billing_period", "currency", "_native_currency", "_file") if c in usage.columns]
    mine = usage[cols].iloc[billed_rows(usage, probe)]
    bp = mine["billing_period"].min() if "billing_period" in mine.columns else pd.NaT
    period = None if pd.isna(bp) else pd.Timestamp(bp).date()
    billed = micros_to_cents(money_sum(mine[BILLED_MONEY]))
    ucur = _usage_currency(mine)
    files = tuple(str(f) for f in pd.unique(mine["_file"].to_numpy(dtype=object)))
    theirs = lines.iloc[invoiced_rows(lines, probe)] if lines is not None and found else None
    ids_text = ", ".join(fids)
    if theirs is None or theirs.empty:
        note = (f"no imported invoice has id {ids_text}, and no invoice of {vendor} bills "
                f"{period or 'its billing period'}: import the invoice to tie the export out")
        return TieOut(key=key, vendor=vendor, billing_period=period, focus_invoice_ids=fids, invoice_ids=(),
                      matched_by="unmatched", currency=ucur[0] if len(ucur) == 1 else None, billed=billed,
                      rows=len(mine), invoiced=None, residual=None, status="no_invoice", note=note, files=files)
    icur = _currencies(theirs, "_orig_currency")
    invoiced = micros_to_cents(money_sum(theirs[INVOICED_MONEY]))
    if how == "vendor_period":
        note = (f"no imported invoice has id {ids_text}; tied to the invoices of {vendor} billing {period} "
                f"({', '.join(found)}) instead")
    else:
        note = f"tied to invoice {found[0]} by its id"
    if len(ucur) != 1 or ucur != icur:
        note += (f"; the export bills in {', '.join(ucur) or 'no currency'} and the invoice in "
                 f"{', '.join(icur) or 'no currency'}: no residual")
        return TieOut(key=key, vendor=vendor, billing_period=period, focus_invoice_ids=fids, invoice_ids=found,
                      matched_by=how, currency=None, billed=billed, rows=len(mine), invoiced=invoiced,
                      residual=None, status="mixed_currency", note=note, files=files)
    residual = invoiced - billed
    if residual:
        note += (f"; the invoice bills {fmt_money_human(abs(residual), ucur[0])} "
                 f"{'more' if residual > 0 else 'less'} than the export's BilledCost")
    return TieOut(key=key, vendor=vendor, billing_period=period, focus_invoice_ids=fids, invoice_ids=found,
                  matched_by=how, currency=ucur[0], billed=billed, rows=len(mine), invoiced=invoiced,
                  residual=residual, status="tied" if residual == 0 else "residual", note=note, files=files)


def for_invoice(ties: tuple[TieOut, ...], invoice_id: str) -> TieOut | None:
    """The tie-out an imported invoice is part of (None when no export row ties to it)."""
    return next((t for t in ties if invoice_id in t.invoice_ids), None)
