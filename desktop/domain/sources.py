"""The input files behind an analysis (the brief's Sources block): per imported file its kind,
format, rows imported, the dates its rows cover and its SHA-256 when the caller knows it (the
CLI hashes the files it reads; a workspace keeps each import batch's content hash).

Date coverage per kind: usage ``date``; invoices ``invoice_date`` and billing periods
(``period_start``..``period_end``); commitments ``period_start``..``period_end``; budgets
``month`` (first day .. last day); rate card ``effective_from``..``effective_to``; FX rates
``valid_from``..``valid_to``; the org map has none.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

from desktop.domain.months import month_bounds
from desktop.domain.results import Analysis

_DATE_COLUMNS = {
    "usage": ("date",),
    "invoices": ("invoice_date", "period_start", "period_end"),
    "commitments": ("period_start", "period_end"),
    "rate_card": ("effective_from", "effective_to"),
    "fx_rates": ("valid_from", "valid_to"),
}


@dataclass(frozen=True)
class SourceFile:
    file: str
    kind: str
    format: str
    rows: int  # rows imported
    first: date | None
    last: date | None
    sha256: str | None  # None when the caller did not hash the file
    query: str | None = None  # read from a warehouse: the query text sent (``file`` is its URL)


def _coverage(frame: pd.DataFrame, kind: str) -> tuple[date | None, date | None]:
    if frame is None or frame.empty:
        return None, None
    if kind == "budgets" and "month" in frame.columns:
        months = sorted(str(m) for m in frame["month"].dropna().unique())
        try:
            return (month_bounds(months[0])[0], month_bounds(months[-1])[1]) if months else (None, None)
        except ValueError:
            return None, None
    lo: date | None = None
    hi: date | None = None
    for col in _DATE_COLUMNS.get(kind, ()):
        if col not in frame.columns:
            continue
        s = pd.to_datetime(frame[col], errors="coerce").dropna()
        if s.empty:
            continue
        a, b = s.min().date(), s.max().date()
        lo = a if lo is None or a < lo else lo
        hi = b if hi is None or b > hi else hi
    return lo, hi


def input_sources(analysis: Analysis, hashes: Mapping[str, str] | None = None) -> list[SourceFile]:
    """One SourceFile per import report of the analysis, in import order. ``hashes``: file name
    -> SHA-256 hex digest."""
    hashes = hashes or {}
    inputs = analysis.inputs
    out = []
    for rep in analysis.imports:
        frame = getattr(inputs, rep.kind, None) if inputs is not None else None
        if frame is not None and "_file" in getattr(frame, "columns", ()):
            names = frame["_file"].astype(str)
            # a warehouse rollup names each export time's rows "<url> (exported ...)"
            mine = names.str.startswith(rep.file + " (exported ") | (names == rep.file) if rep.query \
                else names == rep.file
            frame = frame[mine]
        first, last = _coverage(frame, rep.kind) if frame is not None else (None, None)
        out.append(SourceFile(rep.file, rep.kind, rep.format, rep.rows_imported, first, last,
                              hashes.get(rep.file), getattr(rep, "query", None)))
    return out
