"""The canonical templates of docs/domain.md, and any spreadsheet through a column mapping.

``canonical``: header names are the canonical column names (case, spaces and punctuation
ignored). ``mapped``: column names matched through multilingual synonyms or a mapping profile.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from desktop.domain import tables
from desktop.domain.results import ImportIssue
from desktop.domain.vocabulary import TABLES
from desktop.ingest import build, mapping, parse, sniff
from desktop.ingest.formats.base import Context, Match, matched_reason
from desktop.ingest.reader import RawTable

# an ISO code written in a column name ("Amount (EUR)", "Cost EUR", "EUR-Betrag"), or a symbol
_HEADER_CODE_RE = re.compile(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])")
_ISO_CODES = {"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN",
              "CZK", "HUF", "INR", "CNY", "HKD", "SGD", "KRW", "BRL", "MXN", "ZAR", "TRY", "ILS",
              "AED", "SAR", "RON", "BGN", "ISK", "THB", "MYR", "IDR", "PHP", "TWD", "CLP", "COP",
              "ARS", "PEN", "RUB", "UAH"}


def header_currency(name: str) -> str | None:
    """The currency a column name states: an ISO code as a word ("Betrag (EUR)", "Cost EUR") or a
    currency symbol ("Kosten (€)"); None when it names none or two different ones."""
    text = str(name)
    found = {c for c in _HEADER_CODE_RE.findall(text) if c in _ISO_CODES}
    for sym in sorted(parse.CURRENCY_SYMBOLS, key=len, reverse=True):  # "US$" before "$"
        if not sym[0].isalpha() and sym in text:
            found.add(parse.CURRENCY_SYMBOLS[sym])
            text = text.replace(sym, " ")
    return found.pop() if len(found) == 1 else None


def _header_currency(table: RawTable, kind: str, cols: dict[str, str], columns: dict, names: dict,
                     reject: dict, warnings: list[str]) -> str | None:
    """The amount column's header names a currency: it is the rows' currency (the currency
    column, when there is one, must agree: a row whose currency cell says otherwise is rejected
    naming both)."""
    money = [c.name for c in tables.SPECS[kind].columns if c.kind == "money" and c.name in columns]
    codes = {header_currency(names[m]) for m in money} - {None}
    if len(codes) != 1:
        return None
    code = codes.pop()
    hdr = next(names[m] for m in money if header_currency(names[m]) == code)
    cur = columns.get("currency")
    if isinstance(cur, pd.Series):
        vals = cur.astype(object).to_numpy()
        for i, v in enumerate(vals):
            if parse.is_blank(v):
                continue
            text = str(v).strip().upper()
            if text != code:
                reject.setdefault(i, []).append(ImportIssue(
                    int(table.rows[i]), names["currency"],
                    f"the currency column says {text} but the amount column {hdr!r} says {code}", str(v)))
        if reject:
            warnings.append(f"{len(reject)} row(s) have a currency that contradicts the amount column "
                            f"{hdr!r} ({code}): rejected")
    else:
        warnings.append(f"currency {code} read from the amount column's name {hdr!r}")
    return code


def _source_from_mapping(table: RawTable, kind: str, cols: dict[str, str], ctx: Context,
                         profile: mapping.MappingProfile | None = None) -> build.Source:
    columns = {canon: table.data[src] for src, canon in cols.items()}
    names = {canon: src for src, canon in cols.items()}
    reject: dict = {}
    warnings = list(table.warnings)
    code = _header_currency(table, kind, cols, columns, names, reject, warnings)
    if profile is not None:
        if profile.vendor and "vendor" not in columns:
            columns["vendor"] = profile.vendor
        if profile.currency and "currency" not in columns and code is None:
            columns["currency"] = profile.currency
    if code is not None and "currency" not in columns:
        columns["currency"] = code
        if profile is not None and profile.currency and profile.currency.upper() != code:
            warnings.append(f"the amount column says {code}; the mapping profile's currency "
                            f"{profile.currency} is not used")
    if kind == "commitments":
        _offer_file(table, columns, names, warnings)
    src = build.Source(
        kind=kind, columns=columns, names=names, rows=table.rows, raw=table.data,
        totals=sniff.totals_mask(table.data) if len(table.data) else np.zeros(0, bool),
        warnings=warnings, date1904=table.date1904, max_cell_chars=ctx.max_cell_chars,
        decimal=profile.decimal if profile else None,
        date_order=profile.date_order if profile else None,
        default_currency=code or (profile.currency if profile else None), reject=reject,
    )
    return src


def _offer_file(table: RawTable, columns: dict, names: dict, warnings: list[str]) -> None:
    """A vendor's offer file (tables.OFFERS: the commitments template with an ``offer`` column)
    imported as commitments: every row is an offer, kept as a proposed contract whose contract_id
    is its offer's name (a blank offer cell keeps the row's contract_id); the file's contract_ids
    that give way are named in a warning (docs/domain.md "Offers")."""
    src = next((c for c in table.columns if c and str(c).strip().casefold() == "offer"), None)
    if src is None or src in names.values():
        return
    offer = table.data[src].astype(object)
    blank = offer.map(parse.is_blank)
    old = columns.get("contract_id")
    if isinstance(old, pd.Series):
        given = sorted({str(v).strip() for v, b in zip(old.tolist(), blank.tolist(), strict=True)
                        if not b and not parse.is_blank(v)} - {str(v).strip() for v in offer[~blank]})
        columns["contract_id"] = offer.where(~blank, old)
    else:
        given = []
        columns["contract_id"] = offer
    names["contract_id"] = src
    columns["status"] = "proposed"
    names["status"] = src
    warnings.append(f"an offer file (column {src!r}): each offer is kept as a proposed contract named by its "
                    "offer (status proposed: it draws down no usage)"
                    + (f"; the file's contract_id {', '.join(given)} is not kept (the offer names it)" if given else ""))


class Canonical:
    id = "canonical"

    def identify(self, table: RawTable, kind: str | None) -> list[Match]:
        out = []
        kinds = [kind] if kind else list(tables.SPECS)
        for k in kinds:
            cols = mapping.canonical_mapping(table.columns, k)
            if mapping.missing_required(cols, k):
                continue
            # optional columns may still be spelled differently ("Owner", "Kostenstelle")
            for s, c in mapping.suggest_mapping(table.columns, k).items():
                if s not in cols and c not in cols.values():
                    cols[s] = c
            n = len(cols)
            label = f"canonical {TABLES.label(k).lower()} {table.container.upper()}"
            out.append(Match(f"canonical-{table.container}", k, n, len([c for c in table.columns if c]),
                             matched_reason(label, n, len(tables.SPECS[k].columns)),
                             self, cols, score=1.0 + n / 100.0))
        return out

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        return _source_from_mapping(table, match.kind, match.mapping, ctx, ctx.profile)


class Mapped:
    """Synonym suggestions, or a mapping profile (explicit or recognised by its signature)."""

    id = "mapped"

    def identify(self, table: RawTable, kind: str | None, profile: mapping.MappingProfile | None = None
                 ) -> list[Match]:
        out = []
        if profile is not None and (kind is None or profile.kind == kind):
            cols = {s: c for s, c in profile.columns.items() if s in table.columns}
            lost = [s for s in profile.columns if s not in table.columns]
            miss = mapping.missing_required(cols, profile.kind)
            if profile.vendor and "vendor" in miss:
                miss.remove("vendor")
            if not miss:
                reason = (f"mapping profile {profile.name!r}: {len(cols)} of {len(profile.columns)} "
                          "columns matched")
                if lost:
                    reason += f" (not in this file: {', '.join(lost)})"
                out.append(Match(f"profile:{profile.name}", profile.kind, len(cols), len(table.columns),
                                 reason, self, cols, score=3.0))
                return out
        kinds = [kind] if kind else list(tables.SPECS)
        for k in kinds:
            cols = mapping.suggest_mapping(table.columns, k)
            if mapping.missing_required(cols, k):
                continue
            n = len(cols)
            out.append(Match("mapped", k, n, len(table.columns),
                             f"column names recognised for {k}: {n} of {len(table.columns)} columns "
                             f"matched ({', '.join(f'{s} -> {c}' for s, c in cols.items())})",
                             self, cols, score=0.5 + n / 100.0))
        return out

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        prof = ctx.profile if match.format.startswith("profile:") else None
        return _source_from_mapping(table, match.kind, match.mapping, ctx, prof)
