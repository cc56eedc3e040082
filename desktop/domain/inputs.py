"""The canonical inputs of one analysis."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from desktop.domain import tables
from desktop.domain.results import ImportReport


def _empty(name: str):
    return field(default_factory=lambda: tables.empty(name))


@dataclass
class Inputs:
    commitments: pd.DataFrame = _empty("commitments")
    usage: pd.DataFrame = _empty("usage")
    invoices: pd.DataFrame = _empty("invoices")
    budgets: pd.DataFrame = _empty("budgets")
    rate_card: pd.DataFrame = _empty("rate_card")
    org_map: pd.DataFrame = _empty("org_map")
    fx_rates: pd.DataFrame = _empty("fx_rates")
    imports: tuple[ImportReport, ...] = ()
    # a content key per table, set by whoever read it (the workspace: its import batch ids), so
    # that a recompute can tell an unchanged 1M-row usage table without hashing it; a table
    # without a key is keyed by its content (small tables) or its identity (usage). Replacing or
    # adding to a table drops its key.
    keys: dict[str, Hashable] = field(default_factory=dict)
    # where the usage rows lie when ``usage`` is their daily rollup (a workspace: desktop/store/
    # usage_db.UsageRows, asked for the source rows behind rollup rows, bounded); None when
    # ``usage`` holds the rows themselves. Replacing the usage table drops it.
    usage_rows: Any = None

    TABLES = ("commitments", "usage", "invoices", "budgets", "rate_card", "org_map", "fx_rates")

    def with_table(self, name: str, frame: pd.DataFrame, key: Hashable | None = None,
                   usage_rows: Any = None) -> Inputs:
        keys = {k: v for k, v in self.keys.items() if k != name}
        if key is not None:
            keys[name] = key
        if name == "usage":
            return replace(self, usage=frame, keys=keys, usage_rows=usage_rows)
        return replace(self, **{name: frame}, keys=keys)

    def add(self, name: str, frame: pd.DataFrame, report: ImportReport | None = None) -> Inputs:
        """Append canonical rows of table ``name`` (and the ImportReport that produced them)."""
        current = getattr(self, name)
        merged = frame if current.empty else tables.concat([current, frame])
        imports = self.imports + ((report,) if report is not None else ())
        keys = {k: v for k, v in self.keys.items() if k != name}
        extra = {"usage_rows": None} if name == "usage" else {}
        return replace(self, **{name: merged, "imports": imports}, keys=keys, **extra)


def with_overlap_warnings(usage: pd.DataFrame, reports: tuple[ImportReport, ...]) -> tuple[ImportReport, ...]:
    """Usage of the same vendor on the same day coming from two files is possible double
    counting: the later file's report gets a warning naming the earlier file (rows stay in).
    Rows with cost 0 (token reports) are not spend and never make the warning."""
    if usage.empty or "_file" not in usage.columns:
        return reports
    files = [r.file for r in reports if r.kind == "usage"]
    if len(set(files)) < 2:
        return reports
    # only rows that carry money can count twice: a token report (cost 0, e.g. Anthropic's usage
    # report beside its cost report) is the rate audit's token count, not spend
    priced = usage["cost"].to_numpy() != 0 if "cost" in usage.columns else slice(None)
    keys = usage.loc[priced, ["_file", "vendor", "date"]].dropna().drop_duplicates()
    days: dict[str, dict[tuple[str, object], str]] = {}
    vendor_keys = {v: tables.vendor_key(v) for v in keys["vendor"].unique()}
    for f, v, d in zip(keys["_file"].tolist(), keys["vendor"].tolist(), keys["date"].tolist(), strict=True):
        days.setdefault(str(f), {})[(vendor_keys[v], d)] = v
    out = []
    seen: list[str] = []
    for r in reports:
        if r.kind != "usage" or r.file not in days or r.file in seen:
            out.append(r)
            continue
        mine = days[r.file]
        notes = []
        for other in seen:
            both = mine.keys() & days[other].keys()
            if not both:
                continue
            by_vendor: dict[str, list] = {}
            for k in both:
                by_vendor.setdefault(mine[k], []).append(k[1])
            for vendor, ds in sorted(by_vendor.items()):
                first, last = min(ds).date(), max(ds).date()
                span = f"{first}" if first == last else f"{first} to {last}"
                notes.append(f"possible double counting: usage of {vendor} on {len(ds)} "
                             f"day{'s' if len(ds) != 1 else ''} ({span}) is also in {other}")
        seen.append(r.file)
        out.append(replace(r, warnings=r.warnings + tuple(notes)) if notes else r)
    return tuple(out)
