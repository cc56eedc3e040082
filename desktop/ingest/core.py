"""read_file / load_inputs: any supported file -> canonical frame + ImportReport."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from desktop.domain import ai_services, tables
from desktop.domain.inputs import Inputs
from desktop.domain.progress import Cancelled, Progress
from desktop.domain.results import ImportIssue, ImportReport
from desktop.domain.settings import Settings
from desktop.ingest import build, fast, isolate, mapping, parquet_file, parse, reader, safety, sniff
from desktop.ingest.errors import UnreadableFile, VendorNeeded
from desktop.ingest.formats import registry
from desktop.ingest.formats.base import Context, Match
from desktop.ingest.json_stream import Pages

KINDS = ("commitments", "usage", "invoices", "budgets", "rate_card", "org_map", "fx_rates")


@dataclass(frozen=True)
class ImportResult:
    kind: str
    frame: pd.DataFrame
    report: ImportReport
    # source column -> what the importer did with it (build.roles); the wizard's mapping view
    roles: dict[str, str] = field(default_factory=dict)
    # _build(hash_rows=True): each frame row's content hash (build.row_hashes; None when the
    # format compares no rows for duplicates)
    row_hashes: Any = None


_KNOWN: set[str] | None = None


def known_names() -> set[str]:
    global _KNOWN
    if _KNOWN is None:
        names = mapping.known_names()
        for f in registry.TABULAR:
            names.update(sniff.norm_name(c) for c in getattr(f, "signature_columns", ()))
        _KNOWN = names
    return _KNOWN


def read_file(path, kind: str | None = None, *, settings: Settings | None = None,
              profile: dict | mapping.MappingProfile | None = None, progress: Progress | None = None,
              limits: safety.Limits = safety.DEFAULT_LIMITS,
              profiles: list | None = None, vendors: str | dict[str, str] | None = None) -> ImportResult:
    """Read one file into a canonical table.

    ``kind``: one of commitments, usage, invoices, budgets, rate_card, org_map, fx_rates, or
    None to detect. ``profile``: a MappingProfile (or its dict) to apply; ``profiles``: saved
    profiles, one of which applies by itself when its signature matches the file's header.
    Raises UnreadableFile when the file cannot be read at all; rows with problems are rejected
    and listed in the report instead.
    """
    # no cyclic garbage collection while rows become Python objects (it would walk the growing
    # heap again and again: ~0.1-0.3 s of a 100k-row xlsx import; rows hold no cycles)
    with reader.gc_paused():
        return _read_file(path, kind, settings=settings, profile=profile, progress=progress,
                          limits=limits, profiles=profiles, vendors=vendors)


def _read_file(path, kind: str | None, *, settings: Settings | None,
               profile: dict | mapping.MappingProfile | None, progress: Progress | None,
               limits: safety.Limits, profiles: list | None,
               vendors: str | dict[str, str] | None = None) -> ImportResult:
    path = Path(path)
    name = path.name
    if kind is not None and kind not in KINDS:
        raise ValueError(f"unknown table kind {kind!r}; expected one of {', '.join(KINDS)}")
    settings = settings or Settings()
    prof = mapping.coerce_profile(profile)
    ticker = reader.Ticker(progress)
    ticker(0.0, f"reading {name}", force=True)
    safety.check_size(path, limits)
    with open(path, "rb") as f:
        head = f.read(sniff.SAMPLE_BYTES)
    what = sniff.container(head, path.suffix)
    ctx = Context(settings=settings, profile=prof, max_cell_chars=limits.max_cell_chars, vendors=vendors)
    try:
        if what == "xls":
            raise UnreadableFile(_ole_message(path), file=name)
        if parquet_file.is_parquet(head):  # row groups checked before any row is read
            table = parquet_file.read(path, name, ticker, limits)
        elif what == "xlsx":
            safety.check_defusedxml()
            def scanning():
                ticker(0.02, "checking workbook")
                ticker.check()

            def scan():
                facts = safety.check_xlsx(path, limits, tick=scanning)
                ticker(0.05, "checking workbook")
                return facts

            try:
                table, _ = isolate.read_xlsx_isolated(path, scan, known_names(), ticker,
                                                      sheet=prof.sheet if prof else None, limits=limits)
            except Cancelled:
                raise
            except UnreadableFile:
                raise
            except Exception as exc:  # calamine errors: damaged parts, bad XML
                raise UnreadableFile(f"the workbook cannot be read: {exc}", file=name) from exc
        elif what == "json":
            safety.check_size(path, limits, kind="json")
            table, match = _read_json(path, kind, ticker, limits.max_cell_chars)
            return _finish(table, match, ctx, ticker, name)
        else:
            quick = _read_text_fast(path, head, ticker, kind, ctx, profiles, limits)
            if quick is not None:
                return quick
            table = _read_text(path, head, ticker, limits)
            # the sample check saw the first 64 KiB; a header longer than that is measured here,
            # still before any mapping work
            safety.check_columns(len(table.columns), name, limits)
    except Cancelled:
        raise
    table.file = name
    if prof is None and profiles:
        prof = ctx.profile = _profile_for(table.columns, kind, profiles)
    match = identify(table, kind, prof)
    if table.container == "xlsx" and table.sheet:
        _percent_cells(path, table, match, ticker)
    return _finish(table, match, ctx, ticker, name)


def check_input_size(path, limits: safety.Limits | None = None) -> int:
    """The size check ``read_file`` makes, alone and first: the file's kind from its first 64 KiB
    (xlsx / JSON / text have their own limits); raises UnsafeFile before anything else reads it.
    Returns the size."""
    path = Path(path)
    limits = limits or safety.DEFAULT_LIMITS
    safety.check_size(path, limits)
    with open(path, "rb") as f:
        head = f.read(sniff.SAMPLE_BYTES)
    what = sniff.container(head, path.suffix)
    return safety.check_size(path, limits, kind=what if what in ("xlsx", "json") else "text")


def file_digest(path, chunk: int = 1 << 20) -> str:
    """sha256 of a file read in 1 MiB chunks (after ``check_input_size``: never the whole file at once)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _binary_message(path: Path) -> str:
    """Binary content that is neither a workbook nor JSON: say what its name promised."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xltx"):
        return (f"the file is named {suffix} but is not an Excel workbook (an .xlsx is a zip package; "
                "this one holds other binary data): it is damaged, or another kind of file renamed")
    if suffix == ".json":
        return ("the file is named .json but is not JSON (it does not start with { or [ and holds "
                "binary data): it is damaged, or another kind of file renamed")
    return "not a text table: the file holds binary data (is it really a CSV?)"


_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")  # the stream of a password-protected workbook


def _ole_message(path: Path) -> str:
    """An OLE2 compound file is a legacy .xls workbook, or an .xlsx that Excel encrypted with
    a password (its package sits in an "EncryptedPackage" stream; the directory naming it is
    looked for in the first and last 8 MiB)."""
    size = path.stat().st_size
    with open(path, "rb") as f:
        seen = f.read(8 << 20)
        if size > len(seen):
            f.seek(max(len(seen), size - (8 << 20)))
            seen += f.read()
    if _ENCRYPTED in seen:
        return ("this workbook is protected with a password (encrypted), so it cannot be read; "
                "open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt "
                "with Password) and save a copy, or export the sheet as CSV")
    return "this is a legacy Excel 97-2003 (.xls) workbook; save it as .xlsx or CSV"


def _percent_cells(path: Path, table: reader.RawTable, match: Match, ticker: reader.Ticker) -> None:
    """A *_pct column (discount_pct, shortfall_penalty_pct, rollover_pct) typed as 25% in Excel
    holds 0.25 in a cell formatted as percent: such cells are read as 25 (percent columns hold
    percentages, docs/domain.md). Canonical and mapped sheets only; FOCUS defines its own
    fractions."""
    from desktop.ingest.formats.canonical import Canonical, Mapped

    if not isinstance(match.handler, (Canonical, Mapped)):
        return
    spec = tables.SPECS[match.kind]
    srcs = [s for s, c in match.mapping.items()
            if c.endswith("_pct") and c in spec.names and spec.column(c).kind == "float"
            and s in table.columns]
    if not srcs or not len(table.rows):
        return
    col0 = table.meta.get("col0", 0)
    if col0 is None:  # read through fastexcel, which does not say where the table starts
        col0 = reader.sheet_start_column(path, table.sheet)
    where = {table.columns.index(s) + col0: s for s in srcs}
    ticker(0.6, "reading cell formats", force=True)

    def tick():
        ticker(0.6, "reading cell formats")
        ticker.check()

    try:
        flags = reader.percent_formatted(path, table.sheet, list(where), table.rows, tick=tick)
    except Cancelled:
        raise
    except Exception as exc:  # openpyxl on a sheet calamine read: keep the values, say so
        table.warnings.append(f"cell formats could not be read ({type(exc).__name__}); "
                              f"{', '.join(srcs)} read as the numbers stored in the cells")
        return
    for c, s in where.items():
        f = flags.get(c)
        if f is not None and f.any():
            table.data[s] = _times_100(table.data[s], f)


def _times_100(col: pd.Series, mask) -> pd.Series:
    """Numbers in the masked cells times 100, exactly (0.07 -> 7.0, not 7.000000000000001)."""
    vals = col.to_numpy(dtype=object, copy=True)
    for i in np.flatnonzero(mask):
        v = vals[i]
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) \
                and np.isfinite(v):
            vals[i] = float(Decimal(repr(float(v))) * 100)
    if col.dtype.kind == "f":
        return pd.Series(vals.astype(np.float64), index=col.index, name=col.name)
    return pd.Series(vals, index=col.index, name=col.name, dtype=object)


@dataclass(frozen=True)
class SourceHeader:
    """A file's header as the importer sees it (for a column-mapping editor)."""

    columns: list[str]  # source column names, as read_file names them (merged headers joined)
    header_row: int  # the row (spreadsheet) or line (text) the header is on, 1-based; 0: none
    container: str  # "csv" | "xlsx" | "json"
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None


HEADER_PEEK_ROWS = 200  # spreadsheet rows read to find the header


def source_header(path, *, limits: safety.Limits | None = None, sheet: str | None = None) -> SourceHeader:
    """The header row ``read_file`` would find, from a bounded look at the file: the first
    64 KiB of a text file, the first 200 rows of each sheet (after the full xlsx safety
    scan). A JSON file has no columns to map (``columns == []``). Raises UnreadableFile like
    ``read_file`` for a file that cannot be read (legacy .xls, binary junk, too wide ...)."""
    path = Path(path)
    name = path.name
    limits = limits or safety.DEFAULT_LIMITS
    safety.check_size(path, limits)
    with open(path, "rb") as f:
        head = f.read(sniff.SAMPLE_BYTES)
    what = sniff.container(head, path.suffix)
    if what == "xls":
        raise UnreadableFile(_ole_message(path), file=name)
    if what == "json":
        return SourceHeader([], 0, "json")
    if parquet_file.is_parquet(head):
        return SourceHeader(list(parquet_file.check(path, limits, name).schema_arrow.names), 0, "parquet")
    if what == "xlsx":
        safety.check_defusedxml()
        try:
            t, _ = isolate.read_xlsx_isolated(path, lambda: safety.check_xlsx(path, limits), known_names(),
                                              reader.Ticker(None), sheet=sheet, row_limit=HEADER_PEEK_ROWS,
                                              limits=limits)
        except UnreadableFile:
            raise
        except Exception as exc:  # calamine errors: damaged parts, bad XML, no such sheet
            raise UnreadableFile(f"the workbook cannot be read: {exc}", file=name) from exc
        return SourceHeader(list(t.columns), t.header_row, "xlsx", sheet=t.sheet)
    info = sniff.detect_encoding(head)
    sample = head[info.bom:].decode(info.encoding, errors="replace")
    if "\x00" in sample or sniff.looks_binary(sample):
        raise UnreadableFile(_binary_message(path), file=name)
    complete = len(head) < sniff.SAMPLE_BYTES
    delim = sniff.detect_delimiter(sample, complete=complete)
    _sample_rows(sample, delim, name, limits)
    if not complete:  # leave out the line the sample cuts
        cut = max(sample.rfind("\n"), sample.rfind("\r"))
        sample = sample[: cut + 1] if cut > 0 else sample
    try:
        names, _, _, header_line = reader.read_text_messy(sample, delim, known_names(), name,
                                                          reader.Ticker(None))
    except ValueError as exc:
        raise UnreadableFile(f"not a readable CSV file ({exc})", file=name) from exc
    return SourceHeader(names, header_line if names else 0, "csv", encoding=info.label, delimiter=delim)


def source_columns(path, *, limits: safety.Limits | None = None, sheet: str | None = None) -> list[str]:
    """The source column names ``read_file`` would see (``source_header(path).columns``)."""
    return source_header(path, limits=limits, sheet=sheet).columns


def _profile_for(columns: list[str], kind: str | None, profiles: list) -> mapping.MappingProfile | None:
    """The saved profile whose signature matches this header (a broken one is skipped)."""
    for p in profiles:
        try:
            p = mapping.coerce_profile(p)
        except (ValueError, KeyError, TypeError):
            continue  # a broken saved profile never blocks an import
        if p is not None and p.matches(columns) and (kind is None or p.kind == kind):
            return p
    return None


def identify(table: reader.RawTable, kind: str | None, profile=None) -> Match:
    matches: list[Match] = []
    for f in registry.TABULAR:
        if f.id == "mapped":
            matches.extend(f.identify(table, kind, profile))
        else:
            matches.extend(f.identify(table, kind))
    if not matches:
        raise _missing_columns_error(table, kind)
    matches.sort(key=lambda m: m.score, reverse=True)
    return matches[0]


def _lookalikes():
    from desktop.ingest.formats.azure import EA_COLUMNS
    from desktop.ingest.formats.focus import CONTRACT_COLUMNS, FOCUS_COLUMNS
    from desktop.ingest.formats.openai import EXPORT_COLUMNS

    # (format, its own column names, the columns it needs: each a tuple of alternatives)
    return (
        ("a FOCUS cost and usage export", FOCUS_COLUMNS,
         (("BilledCost",), ("ChargePeriodStart",), ("ChargeCategory",), ("BillingCurrency",),
          ("ServiceProviderName", "ProviderName", "InvoiceIssuerName"))),
        ("a FOCUS 1.3 contract commitment file", CONTRACT_COLUMNS,
         (("ContractCommitmentId",), ("ContractCommitmentCost",), ("ContractCommitmentPeriodStart",),
          ("ContractCommitmentPeriodEnd",))),
        ("an OpenAI cost export", EXPORT_COLUMNS,
         (("amount_value",), ("amount_currency",), ("start_time_iso", "start_time"))),
        ("an Azure cost details export", EA_COLUMNS,
         (("Date",), ("CostInBillingCurrency", "Cost"), ("MeterCategory",), ("MeterName",))),
    )


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).casefold() if ch.isalnum())


def _lookalike_error(table: reader.RawTable) -> UnreadableFile | None:
    """A file that looks like a known format (at least 3 of its column names, and a quarter of
    the file's) but lacks what that format needs: say so in the format's own column names
    (a FOCUS file without a provider column was told "missing date, vendor, cost")."""
    have = {_norm(c) for c in table.columns if str(c).strip()}
    best = None
    for label, names, needs in _lookalikes():
        own = {_norm(n) for n in names}
        hits = len(have & own)
        if hits >= 3 and hits * 4 >= len(have) and (best is None or hits > best[1]):
            best = (label, hits, needs)
    if best is None:
        return None
    label, hits, needs = best
    missing = [alts for alts in needs if not any(_norm(a) in have for a in alts)]
    if not missing:
        return None
    shown = "; ".join(a[0] if len(a) == 1 else f"{a[0]} (or {', '.join(a[1:])})" for a in missing)
    return UnreadableFile(
        f"this looks like {label} ({hits} of its columns are here), but it lacks {shown}, which that "
        "format needs; export the file again with those columns, or map its columns in the import wizard",
        file=table.file, column=missing[0][0])


def _missing_columns_error(table: reader.RawTable, kind: str | None) -> UnreadableFile:
    like = _lookalike_error(table) if table.columns else None
    if like is not None:
        return like
    kinds = [kind] if kind else list(KINDS)
    best = None
    for k in kinds:
        cols = mapping.suggest_mapping(table.columns, k)
        miss = mapping.missing_required(cols, k)
        if best is None or len(cols) > len(best[1]):
            best = (k, cols, miss)
    k, cols, miss = best
    shown = ", ".join(table.columns[:12]) + (" ..." if len(table.columns) > 12 else "")
    if not table.columns:
        return UnreadableFile("no table found in the file (no header row)", file=table.file)
    if not cols and kind is None:
        return UnreadableFile(
            f"not a known format and no column names recognised (columns: {shown}); "
            "in the app, map its columns in the import wizard (and save a mapping profile, which "
            "`python -m desktop import --workspace W` then recognises); on the command line, "
            "rename the columns to the canonical names (docs/formats.md), or pass --kind K to "
            "be told which columns that table kind needs", file=table.file,
            in_app=f"CommitDesk does not recognise this file: it is none of the formats it knows and "
                   f"none of its column names ({shown}) is one it knows. Choose what the file holds "
                   "in 'Import as', then tell which column is which in the Column mapping tab (the "
                   "file's first lines are shown in the preview); save the mapping as a profile and "
                   "files of this shape are read by themselves from then on.")
    what = k.replace("_", " ")
    return UnreadableFile(
        f"missing required column(s) for {k}: {', '.join(miss)} (columns found: {shown})",
        file=table.file, column=miss[0] if miss else None,
        in_app=f"Read as {what}, this file lacks {', '.join(miss)} (columns found: {shown}). In the "
               f"Column mapping tab, pick the file's column for each of them (marked *), then Apply "
               "mapping; or choose another kind of table in 'Import as'.")


def _finish(table: reader.RawTable, match: Match, ctx: Context, ticker: reader.Ticker,
            name: str) -> ImportResult:
    ticker(0.65, f"checking values ({match.reason})")
    with parse.factor_memo():
        return _build(table, match, ctx, ticker, name)


def _build(table: reader.RawTable, match: Match, ctx: Context, ticker: reader.Ticker,
           name: str, *, hash_rows: bool = False) -> ImportResult:
    """``hash_rows``: the caller finds duplicates across several slices of one file
    (desktop/ingest/stream.py): the result carries row hashes instead of duplicate flags."""
    src = match.handler.source(table, match, ctx)
    src.hash_rows = hash_rows
    for n, where in table.meta.get("repeated", {}).items():
        if n in match.mapping:  # the first of the columns so named is read
            src.warnings.append(
                f"{len(where)} columns are named {n!r} ({', '.join(where)}); the first ({where[0]}) "
                f"was read as {match.mapping[n]}, the other(s) ignored: rename them to choose")
    if table.meta.get("overlong"):
        pos = {int(r): i for i, r in enumerate(src.rows)}
        for ln, nbytes in table.meta["overlong"].items():
            i = pos.get(int(ln))
            if i is not None:
                src.reject.setdefault(i, []).append(ImportIssue(
                    int(ln), None, f"the line is {nbytes:,} bytes long; the limit for one line is "
                    f"{safety.DEFAULT_LIMITS.max_line_bytes // 2**20:,} MiB (the row is left out)", None))
                src.sealed.add(i)
    if table.ragged:
        pos = {int(r): i for i, r in enumerate(src.rows)}
        for ln in table.ragged:
            i = pos.get(int(ln))
            if i is not None:
                src.reject.setdefault(i, []).append(ImportIssue(
                    int(ln), None, f"row has more fields than the header ({len(table.columns)})", None))
    ticker.check()
    parse.set_tick(lambda: ticker(0.75, "checking values"))
    try:
        built = build.build(src)
    finally:
        parse.set_tick(None)
    ticker(0.98, "done")
    frame = built.frame
    frame["_file"] = tables.repeat_text(name, len(frame), match.kind in tables.DICTIONARY_TABLES)
    report = ImportReport(
        file=name, kind=match.kind, format=match.format, rows_read=built.rows_read,
        rows_imported=built.rows_imported, rows_rejected=built.rows_rejected, errors=built.errors,
        format_reason=match.reason, totals_excluded=built.totals_excluded,
        duplicates_flagged=built.duplicates_flagged, encoding=table.encoding,
        delimiter=table.delimiter, warnings=tuple(built.warnings) + ai_note(frame, match.kind, ctx.settings),
    )
    ticker(1.0, "done", force=True)
    return ImportResult(match.kind, frame, report, build.roles(src), built.row_hashes)


def _read_text_fast(path: Path, head: bytes, ticker: reader.Ticker, kind: str | None,
                    ctx: Context, profiles: list | None = None,
                    limits: safety.Limits = safety.DEFAULT_LIMITS) -> ImportResult | None:
    """The pyarrow lane for big clean usage CSVs (desktop/ingest/fast.py); None -> careful reader."""
    info = sniff.detect_encoding(head)
    if not fast.eligible(path.stat().st_size, info):
        return None
    sample = head[info.bom:].decode("utf-8", errors="replace")
    if "\x00" in sample or sniff.looks_binary(sample):
        return None
    delim = sniff.detect_delimiter(sample, complete=len(head) < sniff.SAMPLE_BYTES)
    sample_rows = _sample_rows(sample, delim, path.name, limits)
    if not sample_rows or sniff.find_header(sample_rows, known_names()) != 0:
        return None
    if ctx.profile is None and profiles:
        ctx.profile = _profile_for(sample_rows[0], kind, profiles)
    if not fast.eligible(path.stat().st_size, info):
        return None
    got = fast.read_usage(path, head, info, delim, path.name, ctx, ticker, kind)
    if got is None:
        return None
    match, frame, dups, issues, n_read = got
    warnings = []
    if dups:
        warnings.append(build.duplicates_warning(dups))
    if len(issues) > build.MAX_ISSUES:
        warnings.append(f"{len(issues):,} problems found; the first {build.MAX_ISSUES:,} are listed")
    n = len(frame)
    report = ImportReport(
        file=path.name, kind="usage", format=match.format, rows_read=n_read, rows_imported=n,
        rows_rejected=n_read - n, errors=tuple(issues[:build.MAX_ISSUES]), format_reason=match.reason,
        totals_excluded=0, duplicates_flagged=len(dups),
        encoding=info.label, delimiter=delim, warnings=tuple(warnings) + ai_note(frame, "usage", ctx.settings))
    ticker(1.0, "done", force=True)
    return ImportResult("usage", frame, report, {s: c for s, c in match.mapping.items()})


def ai_note(frame: pd.DataFrame, kind: str, settings: Settings | None) -> tuple[str, ...]:
    """The import report's line on the rows that are not AI spend under the workspace's
    AI-service rule (desktop/domain/ai_services.py), if any."""
    if kind != "usage" or "service" not in frame.columns:
        return ()
    rule = (settings or Settings()).ai_services
    note = ai_services.split_note(ai_services.split(frame, rule))
    return (note,) if note else ()


def _sample_rows(sample: str, delim: str, name: str, limits: safety.Limits) -> list[list[str]]:
    """The first rows of the 64 KiB sample; a row wider than the column limit refuses the file
    here, before any reading or mapping work (B1: 20,000 columns took ~10 s in mapping)."""
    try:
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=delim))
    except csv.Error:
        rows = []
    widths = [len(r) for r in rows]
    widest = max(widths, default=0)
    # the sample may end inside its last line: that row's width is a lower bound
    cut = bool(rows) and widths[-1] == widest and not sample.endswith(("\n", "\r"))
    safety.check_columns(widest, name, limits, at_least=cut)
    return rows[:sniff.HEADER_SCAN_ROWS]


class _Irregular(Exception):
    pass


def _arrow_lane(path, info, delim, name, ticker) -> reader.RawTable:
    import pyarrow as pa

    try:
        return reader.read_text_arrow(path, info, delim, name, ticker)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, UnicodeDecodeError,
            LookupError) as exc:
        raise _Irregular(str(exc)) from exc


OVERLONG = reader.OVERLONG


def _read_bounded(path: Path, info: sniff.TextInfo, max_line: int, ticker: reader.Ticker
                  ) -> tuple[bytes, dict[int, int]]:
    """The file's bytes, read in 8 MiB chunks, with every physical line longer than ``max_line``
    bytes replaced by a marker (the row is then rejected with its line number and length):
    a 200 MB line is never held, decoded or split. Returns (bytes, {line: length}). UTF-16
    text is read whole (its line breaks are two bytes; the size limit bounds it)."""
    if info.encoding.startswith("utf-16"):
        return path.read_bytes(), {}
    out = bytearray()
    overlong: dict[int, int] = {}
    line = 1
    cur = 0  # bytes of the current line so far
    skipping = False
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            ticker.check()
            pos = 0
            while pos < len(chunk):
                nl = chunk.find(b"\n", pos)
                end = len(chunk) if nl < 0 else nl + 1
                piece = end - pos
                if not skipping and cur + piece > max_line + 1:
                    skipping = True
                    out += OVERLONG.encode() + b"\n"  # the marker line stands for the whole line
                    del out[len(out) - len(OVERLONG) - 1 - cur: len(out) - len(OVERLONG) - 1]
                if not skipping:
                    out += chunk[pos:end]
                cur += piece
                if nl >= 0:
                    if skipping:
                        overlong[line] = cur
                    line += 1
                    cur = 0
                    skipping = False
                pos = end
    if skipping:
        overlong[line] = cur
    return bytes(out), overlong


def _read_text(path: Path, head: bytes, ticker: reader.Ticker, limits: safety.Limits) -> reader.RawTable:
    name = path.name
    info = sniff.detect_encoding(head)
    sample = head[info.bom:].decode(info.encoding, errors="replace")
    if "\x00" in sample or sniff.looks_binary(sample):
        raise UnreadableFile(_binary_message(path), file=name)
    delim = sniff.detect_delimiter(sample, complete=len(head) < sniff.SAMPLE_BYTES)
    sample_rows = _sample_rows(sample, delim, name, limits)
    arrow_ok = (path.stat().st_size >= fast.MIN_BYTES and bool(sample_rows)
                and sniff.find_header(sample_rows, known_names()) == 0)
    if arrow_ok:
        try:
            return _arrow_lane(path, info, delim, name, ticker)
        except _Irregular:
            pass  # irregular: the careful reader below
    data, overlong = _read_bounded(path, info, limits.max_line_bytes, ticker)
    ticker.check()
    if info.encoding == "utf-8":
        try:
            data[info.bom:].decode("utf-8")
        except UnicodeDecodeError:
            # the sample was plain ASCII; the rest of the file is not UTF-8
            info = sniff.TextInfo("cp1252", "cp1252", 0)
            if arrow_ok:
                try:
                    return _arrow_lane(path, info, delim, name, ticker)
                except _Irregular:
                    pass
    text = reader.decode(data, info)
    del data
    if sniff.looks_binary(text[: 1 << 20]):
        raise UnreadableFile("not a text table: the file holds binary data", file=name)
    repeated: dict[str, list[int]] = {}
    try:
        names, rows, lines, header_line = reader.read_text_messy(text, delim, known_names(), name, ticker,
                                                                 repeated)
    except ValueError as exc:
        raise UnreadableFile(f"not a readable CSV file ({exc})", file=name) from exc
    if not names:
        raise UnreadableFile("the file has no rows", file=name)
    t = reader.table_from_rows(name, names, rows, lines, "csv", header_line)
    if overlong:
        t.meta["overlong"] = {ln: n for ln, n in overlong.items() if ln > header_line}
    t.meta["repeated"] = {n: [f"column {j + 1}" for j in js] for n, js in repeated.items()}
    t.encoding = info.label
    t.delimiter = delim
    return t


def _read_json(path: Path, kind: str | None, ticker: reader.Ticker | None = None,
               max_chars: int = 4_096) -> tuple[reader.RawTable, Match]:
    """An API page (or a list of them) as a RawTable, streamed (desktop/ingest/json_stream.py):
    the format is told from the first buckets (up to 1,000 results), then the file is walked
    once more and flattened bucket by bucket, every string and number bounded to ``max_chars``
    while it is read. Runs in a worker thread (``with_heartbeat``) so progress and cancel keep
    working."""
    name = path.name

    def parse_and_flatten():
        try:
            pages = Pages.open(path, max_chars)
            sample, complete = _sample(pages)
        except (ValueError, RecursionError) as exc:
            raise UnreadableFile(f"not valid JSON ({exc})", file=name) from exc
        for fmt in registry.JSON:
            m = fmt.identify_json(sample, kind)
            if m is None:
                continue
            try:
                t = fmt.table_from_json(pages, name)
            except (ValueError, RecursionError) as exc:
                raise UnreadableFile(f"not valid JSON ({exc})", file=name) from exc
            if not complete:  # the reason counted the sample: say what the whole file holds
                m = dataclasses.replace(m, matched=len(t.data), total=len(t.data), reason=re.sub(
                    r"\d+ bucket\(s\), \d+ result\(s\)",
                    f"{pages.n_buckets} bucket(s), {pages.n_results} result(s)", m.reason))
            return t, m
        raise UnreadableFile(
            "JSON file of an unknown shape (expected an OpenAI Costs/Usage API or Anthropic cost/usage "
            "report page)", file=name)

    return reader.with_heartbeat(parse_and_flatten, ticker or reader.Ticker(None), 0.1, "reading JSON")


def _sample(pages: Pages, max_results: int = 1_000) -> tuple[dict, bool]:
    """The first buckets of the file as one page ({"data": [...]}) for telling its format, and
    whether that is all of it."""
    data = []
    n = 0
    it = pages.buckets()
    for b in it:
        data.append(b)
        n += len(b.get("results") or []) if isinstance(b.get("results"), list) else 0
        if n >= max_results:
            complete = next(it, None) is None
            it.close()
            return {"data": data}, complete
    return {"data": data}, True


def load_inputs(files, settings: Settings | None = None, progress: Progress | None = None,
                inputs: Inputs | None = None) -> Inputs:
    """Read several files into one ``Inputs``.

    ``files``: {kind: [paths]} or [(kind, path)]; kind may be None to detect. Each file's frame
    and ImportReport are appended with Inputs.add. Raises UnreadableFile for a file that cannot
    be read at all.
    """
    if isinstance(files, dict):
        items = [(k, p) for k, ps in files.items() for p in ([ps] if isinstance(ps, (str, Path)) else ps)]
    else:
        items = list(files)
    inputs = inputs or Inputs()
    n = max(len(items), 1)
    from desktop.domain.progress import sub

    later: list[tuple[str | None, object, VendorNeeded]] = []
    for i, (k, p) in enumerate(items):
        try:
            res = read_file(p, k, settings=settings, progress=sub(progress, i / n, (i + 1) / n)
                            if progress is not None else None)
        except VendorNeeded as exc:  # after the usage: its ContractApplied names the vendors
            later.append((k, p, exc))
            continue
        inputs = inputs.add(res.kind, res.frame, res.report)
    for k, p, exc in later:
        found = vendors_from_usage(inputs.usage, exc.contract_ids)
        res = read_file(p, k, settings=settings, vendors=found)  # VendorNeeded again: still missing
        inputs = inputs.add(res.kind, res.frame, res.report)
    return fx_warnings(inputs, settings or Settings())


def vendors_from_usage(usage: pd.DataFrame, contract_ids) -> dict[str, str]:
    """{commitment id: vendor} from the usage rows whose contract_id (FOCUS: the ContractApplied
    commitment) is one of ``contract_ids``; a commitment whose usage names two vendors is left
    out (the caller asks)."""
    if usage is None or not len(usage) or "contract_id" not in usage.columns:
        return {}
    ids = {str(c) for c in contract_ids}
    sel = usage.loc[usage["contract_id"].isin(ids), ["contract_id", "vendor"]].dropna()
    out: dict[str, str] = {}
    for cid, grp in sel.groupby("contract_id", sort=False):
        names = grp["vendor"].unique().tolist()
        if len(names) == 1:
            out[str(cid)] = str(names[0])
    return out


def fx_warnings(inputs: Inputs, settings: Settings) -> Inputs:
    """Name the rows whose currency is not the reporting currency and that no fx_rates row
    converts (amounts in different currencies are never added up; the analysis leaves such
    rows out). The warning goes on the ImportReport of the file the rows came from."""
    from dataclasses import replace

    have = set(inputs.fx_rates["currency"].dropna().str.upper()) if len(inputs.fx_rates) else set()
    reporting = settings.reporting_currency.upper()
    extra: dict[str, list[str]] = {}
    for table in ("usage", "invoices", "commitments", "budgets"):
        frame = getattr(inputs, table)
        if frame.empty or "currency" not in frame.columns:
            continue
        cur = frame["currency"].str.upper()
        need = cur.notna() & (cur != reporting) & ~cur.isin(have)
        if not need.any():
            continue
        sub_frame = frame.loc[need, ["_file", "_row", "currency"]]
        for file, grp in sub_frame.groupby("_file", sort=False):
            by_cur = grp.groupby("currency", sort=True)["_row"].apply(list)
            for c, rows in by_cur.items():
                extra.setdefault(str(file), []).append(
                    f"{len(rows)} {table} row(s) in {c} need an fx_rates row to be converted to "
                    f"{reporting}: rows {build._rowlist(rows)}")
    if not extra:
        return inputs
    reports = tuple(replace(r, warnings=tuple(r.warnings) + tuple(extra.pop(r.file)))
                    if r.file in extra else r for r in inputs.imports)
    return replace(inputs, imports=reports)
