"""The Excel working brief: Analysis -> .xlsx (openpyxl, write-only). Pure: no Qt, no widgets.

``write_brief(analysis, out=None, *, sections=None, actions=None, raw_usage=False, progress=None,
stale=None)`` writes ``out`` (atomically: a temporary file in the same folder, then renamed) or
returns the bytes when ``out`` is None. See docs/brief.md for what each sheet holds.

``negotiations`` / ``overlays``: the Negotiation sheet's results (the renewal workbench's, with
its selected offer) and, for the vendors not given, the stored forecast overlays they are built
with (desktop/brief/negotiation.py).

``stale``: the figures no longer match the workspace (a recompute failed since they were
computed). The brief then opens on the Summary with that line ("OUT OF DATE: ..."; build it with
``stale_marker``) in a red band under the title, and every other sheet's subtitle says so.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, date, datetime
from pathlib import Path

from desktop.brief import negotiation, sheets
from desktop.brief.actions import normalize as normalize_actions
from desktop.brief.book import MAX_ROWS, Book
from desktop.brief.cells import BriefError
from desktop.brief.data import burn_up, raw_kinds
from desktop.brief.files import publish, temp_beside
from desktop.brief.raw import add_raw_usage
from desktop.domain.progress import Progress, ensure, sub
from desktop.domain.results import Analysis

__all__ = ["SECTIONS", "STALE_PREFIX", "BriefError", "stale_marker", "write_brief"]

SECTIONS = ("summary", "pacing", "burn", "exposure", "invoices", "budgets", "anomalies", "renewal", "negotiation",
            "actions", "chargeback", "reconciliation", "assumptions", "data")

_BUILDERS = {
    "summary": sheets.summary,
    "pacing": sheets.pacing,
    "burn": sheets.burn_by_month,
    "exposure": sheets.exposure,
    "invoices": sheets.invoices,
    "budgets": sheets.budgets,
    "anomalies": sheets.anomalies,
    "renewal": sheets.renewal,
    "negotiation": negotiation.sheet,
    "actions": sheets.actions,
    "chargeback": sheets.chargeback,
    "reconciliation": sheets.reconciliation_sheet,
    "assumptions": sheets.assumptions,
    "data": sheets.data,
}

RAW_TITLE = "Usage rows"
STALE_PREFIX = "OUT OF DATE: "


def stale_marker(computed_at: datetime, as_of: date, since: str) -> str:
    """The out-of-date line of a brief whose figures were computed at ``computed_at`` (local
    time) for ``as_of`` and that no longer match the workspace because of ``since``."""
    return (f"{STALE_PREFIX}these figures were computed at {computed_at:%Y-%m-%d %H:%M} for as-of "
            f"{as_of:%Y-%m-%d}; since then: {since.strip().rstrip('.')}.")
RAW_ROWS_PER_SHEET = MAX_ROWS - 1  # one header row per sheet


def _sections(sections: list[str] | None, stale: bool = False) -> list[str]:
    if stale:  # an out-of-date brief always opens on the Summary, which says so
        sections = ["summary", *(sections or SECTIONS)]
    if not sections:
        return list(SECTIONS)
    wanted = []
    for s in sections:
        for part in str(s).split(","):
            key = part.strip().lower()
            if not key:
                continue
            if key not in SECTIONS:
                raise BriefError(f"unknown brief section {part.strip()!r}; choose from {', '.join(SECTIONS)}")
            if key not in wanted:
                wanted.append(key)
    if "pacing" in wanted and "data" not in wanted:
        wanted.append("data")  # the burn-up charts read the Data sheet
    return [s for s in SECTIONS if s in wanted]


def write_brief(analysis: Analysis, out: Path | str | None = None, *, sections: list[str] | None = None,
                actions: list | None = None, raw_usage: bool = False,
                progress: Progress | None = None, stale: str | None = None,
                file_hashes: dict[str, str] | None = None, today: date | None = None,
                negotiations: list | tuple | None = None, overlays: list | tuple = ()) -> bytes | None:
    prog = ensure(progress)
    stale = _stale_text(stale)
    wanted = _sections(sections, stale is not None)
    tmp = temp_beside(Path(out), ".brief-", ".xlsx", "the brief") if out is not None else None  # fail fast on a bad destination
    book = Book()
    try:
        prog.step(0.0, "Preparing the brief")
        _build(book, analysis, wanted, actions, raw_usage, prog, stale, file_hashes, today, negotiations, overlays)
        if out is None:
            buf = io.BytesIO()
            book.wb.save(buf)
            prog.step(1.0, "Done")
            return buf.getvalue()
        book.wb.save(tmp)
        publish(tmp, Path(out))
    except BaseException:
        _discard(book)
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
        raise
    prog.step(1.0, "Done")
    return None


def _stale_text(stale: str | None) -> str | None:
    if stale is None or not str(stale).strip():
        return None
    text = " ".join(str(stale).split())
    return text if text.upper().startswith(STALE_PREFIX.strip()) else STALE_PREFIX + text


def _build(book: Book, analysis: Analysis, wanted: list[str], actions: list | None, raw_usage: bool,
           prog: Progress, stale: str | None = None, file_hashes: dict[str, str] | None = None,
           today: date | None = None, negotiations: list | tuple | None = None, overlays: list | tuple = ()) -> None:
    ctx = sheets.Context(analysis=analysis, actions=normalize_actions(actions, analysis),
                         generated=datetime.now(UTC).replace(tzinfo=None), stale=stale,
                         file_hashes=dict(file_hashes or {}), sections=tuple(wanted),
                         today=today or date.today(), overlays=tuple(overlays or ()))
    if "negotiation" in wanted:  # the simulation runs here, in the brief's worker
        ctx.negotiations = tuple(negotiation.negotiations_for(analysis, ctx.overlays, negotiations or ()))
    if "data" in wanted:  # the Data rows are placed first: the Pacing charts point at them
        row = sheets.HEADER_ROW
        for c in analysis.contracts:
            rows = burn_up(c, analysis.as_of, analysis.index if analysis.index is not None else analysis.usage)
            ctx.burn[c.contract_id] = rows
            if rows:
                ctx.burn_rows[c.contract_id] = (row + 1, row + len(rows))
                row += len(rows)
    _properties(book, analysis, wanted, stale)
    built = []
    sheets_end = 0.3 if raw_usage else 0.8  # the raw rows are written while saving
    for i, key in enumerate(wanted):
        prog.step(sheets_end * i / len(wanted), f"Writing {key}")
        built.append(_BUILDERS[key](book, ctx))
    if raw_usage:
        built.extend(_raw_usage(book, analysis, sub(prog, 0.35, 0.95)))
    prog.step(sheets_end, "Laying out the sheets")
    for s in built:
        s.flush()
    prog.step(0.35 if raw_usage else 0.85, "Saving")


def _discard(book: Book) -> None:
    """After a failure (or Cancelled): stop the sheets' row streams and drop their temp files."""
    for ws in book.wb.worksheets:
        rows = getattr(ws, "_rows", None)
        writer = getattr(ws, "_writer", None)
        try:
            if rows is not None:
                rows.close()
            if writer is not None:
                xf = getattr(writer, "xf", None)
                if xf is not None:
                    xf.close()
                writer.cleanup()
        except Exception:  # best effort: the original error is what matters
            pass


def _properties(book: Book, analysis: Analysis, wanted: list[str], stale: str | None = None) -> None:
    p = book.wb.properties
    p.title = f"CommitDesk working brief as of {analysis.as_of:%Y-%m-%d}" + (" (OUT OF DATE)" if stale else "")
    p.subject = "AI vendor commitments: pacing, exposure, invoices, budgets, renewal"
    p.creator = "CommitDesk"
    p.lastModifiedBy = "CommitDesk"
    p.keywords = "CommitDesk; commitments; FinOps; " + "; ".join(wanted)
    vendors = sorted({c.vendor for c in analysis.contracts})
    p.description = (f"Reporting currency {analysis.currency}; contracts: "
                     + (", ".join(c.contract_id for c in analysis.contracts) or "none")
                     + (f"; vendors: {', '.join(vendors)}" if vendors else ""))[:1000]
    p.category = "Working brief"
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    p.created = now
    p.modified = now


def _raw_usage(book: Book, analysis: Analysis, prog: Progress) -> list:
    """The analysed usage rows, streamed at save time, split across sheets at Excel's row limit."""
    usage = analysis.usage
    if usage is None or len(usage) == 0:
        s = book.sheet(RAW_TITLE)
        s.text(1, 1, "no usage rows", "note")
        return [s]
    add_raw_usage(book, usage, raw_kinds(usage), RAW_TITLE, RAW_ROWS_PER_SHEET, prog)
    return []
