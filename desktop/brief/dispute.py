"""The dispute pack: one workbook per vendor-period that an analyst sends the vendor's billing
team (docs/domain.md "Dispute pack").

Sheets: Summary (the vendor-period, its invoices and their figures), Flags (each flag with its
rule, leakage and owner), Invoice lines (every line of the period's invoices, as billed and in
the reporting currency, with its flag), Usage rows (the rows behind every expected figure, from
``invoices.expected_rows`` and ``rate_audit.audit_rows`` through ``provenance.figure_rows``),
Rate audit (the three-way audit of the period: tokens, vendor cost, the contracted price and the
rate-card row behind each re-priced figure, flag and leakage), Rate card (the vendor's rows
valid in the billing period, behind the price checks) and Sources (every source file of
those rows with its SHA-256, the rows it gives the pack and the dates it covers).

Nothing is computed here: figures come from the InvoiceResults, rows from the provenance
selectors; cells are written through desktop/brief/book.py (text cells never become formulas).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from desktop.brief.book import Book
from desktop.brief.files import publish, temp_beside
from desktop.domain import invoices as invoices_mod
from desktop.domain import provenance
from desktop.domain.errors import InputError
from desktop.domain.money import cents, from_micros
from desktop.domain.rate_audit import audit_key
from desktop.domain.results import Analysis, InvoiceResult
from desktop.domain.usage_index import match_key

# the rule behind each flag, as docs/domain.md states it
RULES = {
    "double_billing": "The vendor-period was already billed by an earlier invoice; leakage = the amount "
                      "billed again (less what its other flags already count).",
    "duplicate_line": "A line equal to an earlier line of the same invoice in description, model, meter, "
                      "quantity, unit price and amount; leakage = its amount (tax and fee lines too).",
    "duplicate_credit": "A credit equal to an earlier line of the same invoice: in the buyer's favour, no "
                        "leakage; ask whether it stands.",
    "no_usage": "A usage line whose model (or meter) has no usage of the vendor in the billing period; "
                "leakage = its amount.",
    "list_price": "The unit price is the rate card's list price (within the tolerance) where a lower contract "
                  "price applies; leakage = (unit price - contracted) x quantity.",
    "premium_rate": "Unit price above the contracted price of the rate card valid in the billing period "
                    "by more than the tolerance, both in one currency; leakage = (unit price - contracted) "
                    "x quantity.",
    "cache_discount_missing": "Cached input tokens charged at the uncached input price of their model and tier "
                              "(contracted or list); leakage = (charged - contracted cached price) x tokens, less "
                              "what the invoice-line flags already count.",
    "batch_discount_missing": "Batch usage charged at the standard price of its model and token kind; leakage = "
                              "(charged - contracted batch price) x tokens, less what the invoice-line flags "
                              "already count.",
    "tier_mismatch": "A service tier charged that the usage did not use (charged at another, dearer tier's "
                     "price, or the cost report's tier has no tokens in the usage report); leakage = charged - "
                     "the tokens at the contracted price of the tier used.",
}


def vendor_period(analysis: Analysis, invoice_ids: list[str]) -> list[InvoiceResult]:
    """The invoices of the vendor-period of ``invoice_ids`` (earliest first). InputError for an
    unknown id or ids of different vendor-periods (one pack per vendor-period)."""
    if not invoice_ids:
        raise InputError("name at least one invoice (--invoice ID)")
    by_id = {i.invoice_id: i for i in analysis.invoices}
    periods: dict[tuple, list[str]] = {}
    for iid in invoice_ids:
        inv = by_id.get(iid)
        if inv is None:
            raise InputError(f"no invoice {iid!r} in this analysis")
        members = inv.period_invoices or (inv.invoice_id,)
        periods.setdefault(tuple(members), []).append(iid)
    if len(periods) > 1:
        groups = "; ".join(", ".join(ids) for ids in periods.values())
        raise InputError(f"the invoices belong to {len(periods)} vendor-periods ({groups}); "
                         f"write one dispute pack per vendor-period")
    (members,) = periods
    return [by_id[i] for i in members]


SOURCE_ROWS_MAX = 1_048_573  # file rows a sheet can list below its title and header


def _c(micros) -> object:
    return None if micros is None or pd.isna(micros) else cents(from_micros(int(micros)))


def _text(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return str(v)


def _num(text: str | None) -> float | None:
    """A price per 1M tokens (exact text in the result) as a number cell."""
    return None if text is None else float(text)


def _day(v) -> date | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date()


def _tie_out_sheet(book: Book, analysis: Analysis, ties: list, first: InvoiceResult, period: str) -> None:
    """The provider export's BilledCost per InvoiceId against these invoices (desktop/domain/
    tieout.py), the export rows behind it, and the earlier snapshots of the export left out."""
    t = book.sheet("Export tie-out")
    t.text(1, 1, "The provider's export tied out to the invoice (money as billed, in the billing currency)", "title")
    t.text(2, 1, "billed = BilledCost of the export's rows with the InvoiceId (latest snapshot only); invoiced = "
                 "every line of the invoice, tax too; residual = invoiced - billed", "subtitle")
    hdr = ["Export InvoiceId", "Tied to invoice", "Matched by", "Currency", "Export BilledCost", "Export rows",
           "Invoiced (every line)", "Residual", "Status", "Note", "Export files"]
    kinds = ["text", "text", "text", "text", "money", "int", "money", "money", "text", "text_wrap", "text"]
    rows = [[", ".join(x.focus_invoice_ids), ", ".join(x.invoice_ids), x.matched_by.replace("_", " "), x.currency,
             x.billed, x.rows, x.invoiced, x.residual, x.status.replace("_", " "), x.note, ", ".join(x.files)]
            for x in ties]
    t.table("TieOut", 4, 1, hdr, rows, kinds)
    usage = provenance.table(analysis, "usage")
    pos = np.unique(np.concatenate([provenance.figure_rows(analysis, "tie_out", x.key, "billed").positions
                                    for x in ties])).astype(np.int64)
    sub = usage.iloc[pos]
    start = 4 + len(rows) + 3
    t.text(start - 1, 1, "The export rows behind the BilledCost", "section")
    cur_col = "_native_currency" if "_native_currency" in sub.columns else "currency"
    rows = [[_text(r["_file"]), int(r["_row"]), _day(r["date"]), _text(r["invoice_id"]), _text(r["model"]),
             _text(r["meter"]), _text(r[cur_col]), _c(r["billed_cost"])] for r in sub.to_dict("records")]
    t.table("TieOutRows", start, 1, ["File", "Row", "Date", "InvoiceId", "Model", "Meter", "Currency", "BilledCost"],
            rows, ["text", "int", "date", "text", "text", "text", "text", "money"], empty_note="no export row")
    vk = match_key("vendor", first.vendor)
    drops = [d for d in analysis.snapshots if match_key("vendor", d.vendor) == vk
             and first.period_start <= d.billing_period <= first.period_end]
    start += len(rows) + 3
    t.text(start - 1, 1, f"Earlier snapshots of the export left out ({period})", "section")
    t.table("Snapshots", start, 1, ["File left out", "Rows", "Amount", "Currency", "Kept file", "Decided by", "Detail"],
            [[d.file, d.rows, d.amount, d.currency, d.kept_file, d.decided_by.replace("_", " "), d.detail]
             for d in drops], ["text", "int", "money", "text", "text", "text", "text_wrap"],
            empty_note="no earlier snapshot of this billing period")
    t.widths([22, 18, 16, 10, 16, 10, 40, 14, 12, 60, 30])


def write_dispute_pack(analysis: Analysis, invoice_ids: list[str], out: Path | str,
                       hashes: Mapping[str, str] | None = None) -> Path:
    """Write the pack of the vendor-period of ``invoice_ids`` to ``out`` (.xlsx). ``hashes``: the
    SHA-256 of each source file by the file name its rows carry (``_file``)."""
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise InputError(f"{out}: the dispute pack is an Excel workbook; give a name ending in .xlsx")
    invs = vendor_period(analysis, invoice_ids)
    hashes = dict(hashes or {})
    book = Book()
    cur = analysis.currency
    first = invs[0]
    period = f"{first.period_start.isoformat()}..{first.period_end.isoformat()}"
    lines = provenance.table(analysis, "invoice_lines")
    line_pos = {i.invoice_id: invoices_mod.line_rows(lines, i, "all") for i in invs}
    flags_at = {(f.file, f.line): (i.invoice_id, f) for i in invs for f in i.flags if f.flag != "double_billing"}
    # the three-way audit lines of this vendor-period (desktop/domain/rate_audit.py)
    vp = (match_key("vendor", first.vendor), None if first.contract_unknown else first.contract_id,
          first.period_start, first.period_end)
    audit = [a for a in analysis.rate_audit
             if (match_key("vendor", a.vendor), a.contract_id, a.period_start, a.period_end) == vp]

    # --- Summary ----------------------------------------------------------------------------------
    s = book.sheet("Summary")
    s.text(1, 1, f"Dispute pack: {first.vendor}, billing period {period}", "title")
    s.text(2, 1, f"As of {analysis.as_of.isoformat()}; money in {cur} unless a column says otherwise; "
                 f"usage-derived cost is an estimate, the invoice is the vendor's claim", "subtitle")
    kpis = [("Vendor", first.vendor, "text"), ("Billing period", period, "text"),
            ("Contract", (first.contract_id or "none") + (" (not in the commit schedule)"
                                                          if first.contract_unknown else ""), "text"),
            ("Compared in", first.compared_in, "text"),
            ("Usage of the period (expected)", first.period_expected, "money"),
            ("Invoiced over the period (excl. tax)", first.period_invoiced, "money"),
            ("Leakage flagged", sum((i.premium_leakage for i in invs), cents(0)), "money")]
    for r, (label, value, kind) in enumerate(kpis, start=4):
        s.text(r, 1, label, "label")
        s.value(r, 2, value, kind)
    hdr = ["Invoice", "Invoice date", "Invoiced (excl. tax)", "Tax", "Expected", "Expected basis", "Variance",
           "Variance %", "Status", "Leakage", "Flags", "Notes"]
    kinds = ["text", "date", "money", "money", "money", "text", "money", "pct", "text", "money", "int", "text_wrap"]
    rows = [[i.invoice_id, i.invoice_date, i.invoiced, i.tax, i.expected, i.expected_basis, i.variance,
             i.variance_pct, i.status.replace("_", " "), i.premium_leakage, len(i.flags), "\n".join(i.notes) or None]
            for i in invs]
    s.text(4 + len(kpis) + 1, 1, "Invoices of the vendor-period", "section")
    s.table("Invoices", 4 + len(kpis) + 2, 1, hdr, rows, kinds)
    s.widths([34, 22, 16, 12, 16, 14, 14, 10, 16, 14, 7, 70])

    # --- Flags ------------------------------------------------------------------------------------
    f = book.sheet("Flags")
    f.text(1, 1, "Flags, each with its rule, leakage and owner", "title")
    hdr = ["Invoice", "File", "Line", "Flag", "Rule", "Leakage", "Owner", "Detail", "Billed first by"]
    kinds = ["text", "text", "int", "text", "text_wrap", "money", "text", "text_wrap", "text"]
    rows = [[i.invoice_id, fl.file, fl.line, fl.flag, RULES.get(fl.flag, ""), fl.leakage, fl.owner, fl.detail,
             ", ".join(fl.earlier_invoices) or None] for i in invs for fl in i.flags]
    f.table("Flags", 3, 1, hdr, rows, kinds, empty_note="no flag")
    f.widths([14, 16, 6, 16, 50, 14, 18, 60, 16])

    # --- Invoice lines ----------------------------------------------------------------------------
    li = book.sheet("Invoice lines")
    li.text(1, 1, "Invoice lines as billed and in the reporting currency", "title")
    hdr = ["Invoice", "File", "Row", "Invoice date", "Period start", "Period end", "Description", "Model", "Meter",
           "Quantity", "Unit price", "Line type", "Currency", "Amount as billed", f"Amount ({cur})", "Flag",
           "Leakage"]
    kinds = ["text", "text", "int", "date", "date", "date", "text", "text", "text", "num", "num", "text", "text",
             "money", "money", "text", "money"]
    rows = []
    for i in invs:
        sub = lines.iloc[line_pos[i.invoice_id]]
        for rec in sub.to_dict("records"):
            hit = flags_at.get((str(rec["_file"] or ""), int(rec["_row"])))
            rows.append([i.invoice_id, _text(rec["_file"]), int(rec["_row"]), _day(rec["invoice_date"]),
                         _day(rec["period_start"]), _day(rec["period_end"]), _text(rec["description"]),
                         _text(rec["model"]), _text(rec["meter"]),
                         None if pd.isna(rec["quantity"]) else float(rec["quantity"]),
                         None if pd.isna(rec["unit_price"]) else float(rec["unit_price"]),
                         _text(rec["line_type"]), _text(rec.get("_orig_currency")), _c(rec.get("_orig_amount")),
                         _c(rec["amount"]), hit[1].flag if hit else None, hit[1].leakage if hit else None])
    li.table("Lines", 3, 1, hdr, rows, kinds)
    li.widths([14, 16, 7, 13, 13, 13, 30, 16, 12, 11, 11, 10, 10, 15, 15, 16, 12])
    li.freeze(4)

    # --- Usage rows -------------------------------------------------------------------------------
    u = book.sheet("Usage rows")
    u.text(1, 1, "The usage rows behind every expected figure", "title")
    behind: dict[int, list[str]] = {}
    for i in invs:
        for p in provenance.figure_rows(analysis, "invoice", i.invoice_id, "expected").positions.tolist():
            behind.setdefault(p, []).append(i.invoice_id)
    for a in audit:
        for p in provenance.figure_rows(analysis, "rate_audit", audit_key(a), "expected").positions.tolist():
            behind.setdefault(p, []).append(f"rate audit {a.model} {a.token_kind} ({a.service_tier})")
    usage = provenance.table(analysis, "usage")
    pos = np.array(sorted(behind), dtype=np.int64)
    sub = usage.iloc[pos]
    cols = [c for c in ("model", "meter", "team", "project", "contract_id") if c in sub.columns]
    hdr = ["File", "Row", "Date", "Vendor", *[c.replace("_", " ").capitalize() for c in cols], "Draws down",
           "Commit eligible", "Cost as billed", "Billed in", f"Cost ({cur})", "Behind expected of"]
    kinds = ["text", "int", "date", "text", *["text"] * len(cols), "text", "bool", "money", "text", "money", "text"]
    rows = []
    native = "_native_cost" in sub.columns
    for p, rec in zip(pos.tolist(), sub.to_dict("records"), strict=True):
        rows.append([_text(rec["_file"]), int(rec["_row"]), _day(rec["date"]), _text(rec["vendor"]),
                     *[_text(rec[c]) for c in cols], _text(rec.get("_contract")),
                     None if pd.isna(rec.get("commit_eligible", True)) else bool(rec.get("commit_eligible", True)),
                     _c(rec["_native_cost"]) if native else _c(rec["cost"]),
                     _text(rec["_native_currency"]) if native else cur, _c(rec["cost"]), ", ".join(behind[p])])
    rolled = provenance.source_frame(analysis, provenance.Rows("usage", pos), SOURCE_ROWS_MAX)
    if rolled is not None:  # a workspace: the rows above are daily rollup rows
        hdr[1] = "Daily row"
    u.table("Usage", 3, 1, hdr, rows, kinds, empty_note="no usage row in the billing period")
    u.widths([16, 7, 13, 14, *[14] * len(cols), 14, 10, 15, 9, 15, 24])
    u.freeze(4)
    if rolled is not None:
        # ... and the file rows they add up, read from the workspace's Parquet (bounded)
        src, count = rolled
        sr = book.sheet("Source rows")
        more = f"; the first {len(src):,} are listed" if count > len(src) else ""
        sr.text(1, 1, f"The file rows behind the daily usage rows ({count:,} rows{more})", "title")
        shdr = ["File", "Row", "Date", "Vendor", "Model", "Meter", "Team", "Project", "Cost as billed", "Billed in"]
        srows = [[_text(r["_file"]), int(r["_row"]), _day(r["date"]), _text(r["vendor"]), _text(r["model"]),
                  _text(r["meter"]), _text(r["team"]), _text(r["project"]), _c(r["cost"]), _text(r["currency"])]
                 for r in src.to_dict("records")]
        sr.table("SourceRows", 3, 1, shdr, srows, ["text", "int", "date", "text", "text", "text", "text", "text",
                                                    "money", "text"], empty_note="no file row")
        sr.widths([16, 9, 13, 14, 16, 16, 14, 14, 15, 9])
        sr.freeze(4)

    # --- Rate audit -------------------------------------------------------------------------------
    ra = book.sheet("Rate audit")
    ra.text(1, 1, "Three-way audit: usage re-priced at the contracted token prices, against the vendor's cost "
                  "and the invoice", "title")
    ra.text(2, 1, "Prices per 1M tokens; 'At contract' = tokens x the contracted price of the rate-card row "
                  "named (valid in the billing period); leakage already counted on an invoice line is not "
                  "counted again", "subtitle")
    hdr = ["Model", "Token kind", "Tier", "Tokens", f"Vendor cost ({cur})", "Charged per 1M", "Contract per 1M",
           "List per 1M", f"At contract ({cur})", f"Invoiced ({cur})", "Flag", "Leakage", "Flagged on lines",
           "Rate card file", "Rate card row", "Invoice", "Owner", "Detail"]
    kinds = ["text", "text", "text", "int", "money", "num", "num", "num", "money", "money", "text", "money", "money",
             "text", "int", "text", "text", "text_wrap"]
    rows = [[a.model, a.token_kind, a.service_tier + (f" (used: {', '.join(a.used_tiers)})" if a.used_tiers else ""),
             a.tokens, a.vendor_cost, _num(a.effective_per_million), _num(a.contracted_per_million),
             _num(a.list_per_million), a.expected, a.invoiced, a.flag, a.leakage, a.flagged_on_lines,
             a.rate_card_file or None, a.rate_card_row, a.invoice_id, a.owner, a.detail or None] for a in audit]
    ra.table("RateAudit", 4, 1, hdr, rows, kinds, empty_note="no token usage with a model in the billing period")
    ra.widths([24, 13, 12, 14, 14, 11, 11, 11, 14, 14, 20, 12, 12, 16, 8, 14, 18, 70])
    ra.freeze(5)

    # --- Rate card --------------------------------------------------------------------------------
    rc = book.sheet("Rate card")
    rc.text(1, 1, f"Rate card rows of {first.vendor} valid in {period}", "title")
    card = analysis.inputs.rate_card if analysis.inputs is not None else None
    hdr = ["File", "Row", "Model", "Meter", "Token kind", "Tier", "Contracted price", "List price", "Currency",
           "Unit", "Effective from", "Effective to", "Owner"]
    kinds = ["text", "int", "text", "text", "text", "text", "num", "num", "text", "text", "date", "date", "text"]
    rows = []
    card_files: dict[str, int] = {}
    if card is not None and not card.empty:
        vk = match_key("vendor", first.vendor)
        for rec in card.to_dict("records"):
            if match_key("vendor", rec["vendor"]) != vk:
                continue
            ef, et = _day(rec["effective_from"]), _day(rec["effective_to"])
            if (ef is not None and ef > first.period_end) or (et is not None and et < first.period_start):
                continue
            card_files[_text(rec["_file"]) or ""] = card_files.get(_text(rec["_file"]) or "", 0) + 1
            rows.append([_text(rec["_file"]), int(rec["_row"]), _text(rec["model"]), _text(rec["meter"]),
                         _text(rec.get("token_kind")), _text(rec.get("service_tier")),
                         float(rec["contracted_price"]),
                         None if pd.isna(rec["list_price"]) else float(rec["list_price"]),
                         _text(rec.get("currency")) or cur, _text(rec["unit"]), ef, et, _text(rec["owner"])])
    rc.table("RateCard", 3, 1, hdr, rows, kinds, empty_note="no rate card row of this vendor in the period")
    rc.widths([16, 7, 16, 12, 12, 10, 12, 12, 10, 10, 13, 13, 16])

    # --- Export tie-out (only when a provider export names these invoices) -------------------------
    ties = [t for t in analysis.tie_outs if set(t.invoice_ids) & {i.invoice_id for i in invs}]
    if ties:
        _tie_out_sheet(book, analysis, ties, first, period)

    # --- Sources ----------------------------------------------------------------------------------
    so = book.sheet("Sources")
    so.text(1, 1, "Source files: SHA-256 and the dates they cover", "title")
    so.text(2, 1, "Coverage is over all of the file's rows in the analysis (usage: date; invoices: "
                  "invoice_date; rate card: effective dates).", "subtitle")
    in_pack: dict[tuple[str, str], int] = {}
    for i in invs:
        for name in lines.iloc[line_pos[i.invoice_id]]["_file"].astype(str):
            in_pack[("invoices", name)] = in_pack.get(("invoices", name), 0) + 1
    for name in sub["_file"].astype(str):
        in_pack[("usage", name)] = in_pack.get(("usage", name), 0) + 1
    for name, n in card_files.items():
        in_pack[("rate_card", name)] = n
    frames = {"invoices": (lines, "invoice_date"), "usage": (usage, "date"), "rate_card": (card, "effective_from")}
    hdr = ["Kind", "File", "SHA-256", "Rows in this pack", "Rows in the analysis", "First date", "Last date"]
    kinds = ["text", "text", "text", "int", "int", "date", "date"]
    rows = []
    for (kind, name), n in sorted(in_pack.items()):
        frame, col = frames[kind]
        mine = frame[frame["_file"].astype(str) == name] if frame is not None and not frame.empty else None
        first_day = last_day = None
        if mine is not None and not mine.empty:
            days = pd.to_datetime(mine[col]).dropna()
            if kind == "rate_card":
                days = pd.concat([days, pd.to_datetime(mine["effective_to"]).dropna()])
            if not days.empty:
                first_day, last_day = days.min().date(), days.max().date()
        rows.append([kind.replace("_", " "), name, hashes.get(name, "not available (not read from a file here)"),
                     n, None if mine is None else len(mine), first_day, last_day])
    so.table("Sources", 4, 1, hdr, rows, kinds)
    so.widths([12, 30, 66, 10, 10, 12, 12])

    for sheet in book.sheets:
        sheet.print_setup(landscape=True)
        sheet.flush()
    tmp = temp_beside(out, ".dispute-", ".xlsx")
    try:
        book.wb.save(tmp)
    except BaseException:
        os.remove(tmp)
        raise
    return publish(tmp, out)
