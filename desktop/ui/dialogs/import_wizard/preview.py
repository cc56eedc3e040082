"""The preview of one file: what was detected and why, the rows as they will be imported, and
the rejected rows with row and column (exportable as CSV)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from desktop.domain import tables
from desktop.domain.validation import import_refusal
from desktop.ui.dialogs.import_wizard.files import FileState
from desktop.ui.models.table import Col
from desktop.ui.widgets import DataTable, heading, note

PREVIEW_ROWS = 500


def describe(f: FileState) -> str:
    """The detection line (format, kind, reason), the row counts, encoding and warnings."""
    if f.error:
        return f"<b>This file cannot be read:</b> {f.error}"
    if f.result is None:
        return "Reading…"
    rep = f.result.report
    bits = [f"<b>{rep.format}</b> as <b>{f.result.kind.replace('_', ' ')}</b> — {rep.format_reason}"]
    bits.append(f"{rep.rows_read:,} rows read: {rep.rows_imported:,} to import, {rep.rows_rejected:,} rejected"
                + (f", {rep.totals_excluded:,} total rows excluded" if rep.totals_excluded else "")
                + (f", {rep.duplicates_flagged:,} duplicates flagged" if rep.duplicates_flagged else ""))
    enc = ", ".join(x for x in (rep.encoding, f"delimiter {rep.delimiter!r}" if rep.delimiter else None) if x)
    if enc:
        bits.append(enc)
    refused = import_refusal(rep)  # the verdict the store and the CLI give
    if f.import_error:
        bits.append(f"<b>Not imported:</b> {f.import_error}")
    elif refused is not None:
        bits.append(f"<b>Will not be imported:</b> {refused}")
    return "<br>".join(bits + list(rep.warnings))


def preview_columns(result) -> list[Col]:
    """The first PREVIEW_ROWS canonical rows as table columns (text columns with no value left out)."""
    frame = result.frame.head(PREVIEW_ROWS)
    cols = [Col.ints("Row", frame["_row"].to_numpy(dtype=np.int64))]
    for c in tables.SPECS[result.kind].columns:
        s = frame[c.name]
        if c.kind == "money":
            cols.append(Col.micros(c.name, s.to_numpy(dtype=np.int64)))
        elif c.kind == "date":
            cols.append(Col.date(c.name, s.to_numpy(dtype="datetime64[ns]")))
        elif c.kind == "float":
            cols.append(Col.num(c.name, s.to_numpy(dtype=np.float64), kind="qty"))
        elif c.kind == "bool":
            cols.append(Col.text(c.name, s.map({True: "yes", False: "no"})))
        elif not s.isna().all():
            cols.append(Col.text(c.name, s))
    return cols


def write_errors_csv(f: FileState, path: str | Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "row", "column", "value", "problem"])
        for e in f.result.report.errors:
            w.writerow([f.path.name, e.row if e.row is not None else "", e.column or "", e.value or "", e.message])


class PreviewPane:
    """The preview's widgets, placed by the wizard: ``header`` (file name and what was
    detected), ``table`` (the rows to import), ``rejected`` (the rejected rows and Export)."""

    def __init__(self) -> None:
        self.header = QWidget()
        hl = QVBoxLayout(self.header)
        hl.setContentsMargins(0, 0, 0, 0)
        self.title = heading("")
        hl.addWidget(self.title)
        self.detected = note("")
        hl.addWidget(self.detected)
        self.table = DataTable()
        self.rejected = QWidget()
        el = QVBoxLayout(self.rejected)
        el.setContentsMargins(0, 6, 0, 0)
        self.errors_title = heading("Rejected rows")
        el.addWidget(self.errors_title)
        self.errors = DataTable()
        el.addWidget(self.errors)
        erow = QHBoxLayout()
        self.export_btn = QPushButton("Export errors as CSV…")
        erow.addWidget(self.export_btn)
        erow.addStretch(1)
        el.addLayout(erow)

    def show_file(self, f: FileState) -> str:
        """Fill the pane for ``f``; returns the preview tab's title."""
        self.title.setText(f.path.name)
        self.detected.setText(describe(f))
        m = self.table.table_model
        if f.result is None:
            m.set_columns([])
            tab = "Preview"
        else:
            m.set_columns(preview_columns(f.result))
            n = len(f.result.frame)
            tab = f"Preview ({min(n, PREVIEW_ROWS):,} of {n:,} rows)"
        errs = list(f.result.report.errors) if f.result is not None else []
        self.errors.table_model.set_columns([
            Col.ints("Row", [e.row if e.row is not None else 0 for e in errs]),
            Col.text("Column", [e.column or "" for e in errs]),
            Col.text("Value", [e.value or "" for e in errs]),
            Col.text("Problem", [e.message for e in errs]),
        ])
        self.errors_title.setText(f"Rejected rows ({len(errs):,}) — not imported; fix them in the file and "
                                  "import it again" if errs else "Rejected rows (none)")
        self.export_btn.setEnabled(bool(errs))
        return tab
