"""The preview of one file: what was detected and why, the rows as they will be imported, and
the rejected rows with row and column (exportable as CSV)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from desktop.domain import ai_services, tables
from desktop.domain.validation import import_refusal
from desktop.ui.dialogs.import_wizard.files import FileState
from desktop.ui.models.table import Col
from desktop.ui.widgets import DataTable, heading, note

PREVIEW_ROWS = 500


def _esc(text: str) -> str:
    """File text inside the rich-text lines: '&' and '<' escaped (a '>' shows as itself)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;")


def describe(f: FileState) -> str:
    """The detection line (format, kind, reason), the row counts, encoding and warnings."""
    if f.error:
        raw = f.raw.note + " Map its columns in the Column mapping tab." if f.raw is not None and f.raw.rows \
            else (f.raw.note if f.raw is not None and "binary" not in f.error else "")
        return f"<b>This file cannot be read as it is:</b> {_esc(f.error)}" + (f"<br>{raw}" if raw else "")
    if f.result is None:
        return "Reading…"
    rep = f.result.report
    bits = [f"<b>{_esc(rep.format)}</b> as <b>{f.result.kind.replace('_', ' ')}</b> — "
            f"{_esc(rep.format_reason)}"]
    if f.duplicate:
        bits.append(f"<b>Already imported:</b> {_esc(f.duplicate)}. " +
                    ("It will replace that import." if f.replace else
                     "Importing it again is refused unless you tick 'Replace an earlier import of the same "
                     "file' (the earlier rows are then replaced, not added twice)."))
    if rep.rows_read == 0:
        bits.append("<b>This file has a header and no rows:</b> there is nothing to import, so Import leaves "
                    "it out. Fill in rows under the header (the blank templates ship that way) and add the "
                    "file again.")
    else:
        bits.append(f"{rep.rows_read:,} rows read: {rep.rows_imported:,} to import, {rep.rows_rejected:,} rejected"
                    + (f", {rep.totals_excluded:,} total rows excluded" if rep.totals_excluded else "")
                    + (f", {rep.duplicates_flagged:,} duplicates flagged" if rep.duplicates_flagged else ""))
    enc = ", ".join(x for x in (rep.encoding, f"delimiter {rep.delimiter!r}" if rep.delimiter else None) if x)
    if enc:
        bits.append(enc)
    refused = import_refusal(rep)  # the verdict the store and the CLI give
    if f.import_error:
        bits.append(f"<b>Not imported:</b> {_esc(f.import_error)}")
    elif refused is not None:
        bits.append(f"<b>Will not be imported:</b> {_esc(str(refused))}")
    # the AI-service split is shown live under the rule (ai_split_text), not as read
    return "<br>".join(bits + [_esc(w) for w in rep.warnings if not ai_services.is_split_note(w)])


def has_services(f: FileState) -> bool:
    """A usage file whose rows name a cloud service (the AI-service rule applies to it)."""
    return f.result is not None and f.ai_split is not None


def ai_split_text(f: FileState, rule: str) -> str:
    """What the rule makes of the file's rows: AI spend, and the rows kept but not counted
    (counted in the wizard's worker: files.ai_split)."""
    if f.ai_split_rule != rule:
        return "Counting the rows under the new rule…"
    s = f.ai_split
    out = (f"<b>AI spend:</b> {s.ai_rows:,} row{'s' if s.ai_rows != 1 else ''} "
           f"({ai_services.amounts_text(s.ai_amounts)})")
    if s.other_rows:
        names = ", ".join(f"{_esc(k)} {v}" for k, v in s.other_services[:3])
        more = f" and {len(s.other_services) - 3} more" if len(s.other_services) > 3 else ""
        out += (f" · <b>not AI services</b>, imported but not counted in commitments, budgets, chargeback "
                f"or anomalies: {s.other_rows:,} rows ({ai_services.amounts_text(s.other_amounts)}): {names}{more}")
    return out


def preview_columns(result, rule: str | None = None) -> list[Col]:
    """The first PREVIEW_ROWS canonical rows as table columns (text columns with no value left
    out); with ``rule``, an "AI spend" column after ``service`` (yes/no under the AI-service rule)."""
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
            if c.name == "service" and rule is not None:
                ai = Col.text("AI spend", ["yes" if x else "no" for x in ai_services.ai_mask(frame, rule)])
                # beside the cost, where the analyst reads it
                at = next((i + 1 for i, col in enumerate(cols) if col.title == "currency"), len(cols) - 1)
                cols[at:at] = [cols.pop(), ai]
    return cols


def raw_columns(rows: list[list[str]]) -> list[Col]:
    """A file's first lines as grid columns: Line, then A, B, C ... as a spreadsheet names them."""
    from desktop.ingest.reader import from_sheet_col

    width = max((len(r) for r in rows), default=0)
    cols = [Col.ints("Line", list(range(1, len(rows) + 1)))]
    for j in range(width):
        cols.append(Col.text(from_sheet_col(j), [r[j] if j < len(r) else "" for r in rows]))
    return cols


def write_errors_csv(f: FileState, path: str | Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "row", "column", "value", "problem"])
        for e in f.result.report.errors:
            w.writerow([f.path.name, e.row if e.row is not None else "", e.column or "", e.value or "", e.message])


class _RuleEdit(QLineEdit):
    """The rule's line edit: Enter applies the rule (returnPressed) and goes no further, so it
    never presses the dialog's default button (Import)."""

    def keyPressEvent(self, event) -> None:
        super().keyPressEvent(event)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()


class PreviewPane:
    """The preview's widgets, placed by the wizard: ``header`` (file name and what was
    detected), ``table`` (the rows to import), ``rejected`` (the rejected rows and Export)."""

    def __init__(self) -> None:
        self.header = QWidget()
        self.header.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        hl = QVBoxLayout(self.header)
        hl.setContentsMargins(0, 0, 0, 0)
        self.title = heading("")
        hl.addWidget(self.title)
        self.detected = note("")
        self.detected.setTextFormat(Qt.TextFormat.RichText)
        hl.addWidget(self.detected)
        # the AI-service rule (a workspace setting): shown for usage files that name cloud services
        self.ai_box = QWidget()
        al = QVBoxLayout(self.ai_box)
        al.setContentsMargins(0, 4, 0, 0)
        arow = QHBoxLayout()
        lab = QLabel("AI services:")
        lab.setToolTip("Which rows of a cloud export count as AI spend (the AI-service rule of this workspace)")
        arow.addWidget(lab)
        self.ai_rule = _RuleEdit()
        arow.addWidget(self.ai_rule, 1)
        self.ai_apply = QPushButton("Apply rule")
        arow.addWidget(self.ai_apply)
        self.ai_default = QPushButton("Default rule")
        arow.addWidget(self.ai_default)
        al.addLayout(arow)
        self.ai_split = note("")
        self.ai_split.setTextFormat(Qt.TextFormat.RichText)
        al.addWidget(self.ai_split)
        hl.addWidget(self.ai_box)
        self.ai_box.setVisible(False)
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

    def show_rule(self, f: FileState | None, rule: str) -> None:
        """The AI-service rule and what it makes of ``f``'s rows (hidden for other files)."""
        show = f is not None and has_services(f)
        self.ai_box.setVisible(show)
        if not show:
            return
        if not self.ai_rule.hasFocus():
            self.ai_rule.setText(rule)
            self.ai_rule.setCursorPosition(0)
        self.ai_rule.setToolTip(ai_services.describe(rule) + " Terms are separated by ';'; 'not X' leaves out "
                                "services naming X; '*' counts every row. Saved in this workspace (undoable).")
        self.ai_split.setText(ai_split_text(f, rule))

    def show_file(self, f: FileState, rule: str = ai_services.DEFAULT_RULE) -> str:
        """Fill the pane for ``f``; returns the preview tab's title."""
        self.title.setText(f.path.name)
        self.detected.setText(describe(f))
        self.show_rule(f, rule)
        m = self.table.table_model
        if f.result is None and f.raw is not None and f.raw.rows:
            m.set_columns(raw_columns(f.raw.rows))
            tab = f"Raw text (first {len(f.raw.rows):,} lines)"
        elif f.result is None:
            m.set_columns([])
            tab = "Preview"
        else:
            m.set_columns(preview_columns(f.result, rule if has_services(f) else None))
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
