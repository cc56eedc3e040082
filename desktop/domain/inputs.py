"""The canonical inputs of one analysis."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

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

    TABLES = ("commitments", "usage", "invoices", "budgets", "rate_card", "org_map", "fx_rates")

    def with_table(self, name: str, frame: pd.DataFrame) -> Inputs:
        return replace(self, **{name: frame})

    def add(self, name: str, frame: pd.DataFrame, report: ImportReport | None = None) -> Inputs:
        """Append canonical rows of table ``name`` (and the ImportReport that produced them)."""
        current = getattr(self, name)
        merged = frame if current.empty else pd.concat([current, frame], ignore_index=True)
        imports = self.imports + ((report,) if report is not None else ())
        return replace(self, **{name: merged, "imports": imports})
