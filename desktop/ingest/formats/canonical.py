"""The canonical templates of docs/domain.md, and any spreadsheet through a column mapping.

``canonical``: header names are the canonical column names (case, spaces and punctuation
ignored). ``mapped``: column names matched through multilingual synonyms or a mapping profile.
"""

from __future__ import annotations

import numpy as np

from desktop.domain import tables
from desktop.ingest import build, mapping, sniff
from desktop.ingest.formats.base import Context, Match, matched_reason
from desktop.ingest.reader import RawTable


def _source_from_mapping(table: RawTable, kind: str, cols: dict[str, str], ctx: Context,
                         profile: mapping.MappingProfile | None = None) -> build.Source:
    columns = {canon: table.data[src] for src, canon in cols.items()}
    names = {canon: src for src, canon in cols.items()}
    if profile is not None:
        if profile.vendor and "vendor" not in columns:
            columns["vendor"] = profile.vendor
        if profile.currency and "currency" not in columns:
            columns["currency"] = profile.currency
    src = build.Source(
        kind=kind, columns=columns, names=names, rows=table.rows, raw=table.data,
        totals=sniff.totals_mask(table.data) if len(table.data) else np.zeros(0, bool),
        warnings=list(table.warnings), date1904=table.date1904, max_cell_chars=ctx.max_cell_chars,
        decimal=profile.decimal if profile else None,
        date_order=profile.date_order if profile else None,
        default_currency=profile.currency if profile else None,
    )
    return src


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
            label = f"canonical {k} {table.container.upper()}"
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
