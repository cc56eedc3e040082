"""Headless CommitDesk: ``python -m desktop analyze | explain | brief | dispute | import | actions | renewal``.

The same code the GUI uses: ingest -> domain (build_analysis) -> report / brief.
Exit status: 0 success (rows rejected from usage or invoice files are listed, not fatal);
2 bad input (a file that cannot be read, a rejected row in reference data — commitments, budgets,
rate card, org map, FX rates — or any rejected row with --strict; overlapping commit periods of
one contract); 1 an internal error (logged, no traceback shown).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from desktop.domain.errors import InputError

log = logging.getLogger("desktop.cli")

FILE_FLAGS = (
    ("contracts", "commitments", "commit schedule (canonical, FOCUS 1.3 Contract Commitment)"),
    ("usage", "usage", "usage/cost exports (canonical, FOCUS, OpenAI, Anthropic, Azure)"),
    ("invoices", "invoices", "invoice lines"),
    ("budgets", "budgets", "budget allocation lines"),
    ("rate_card", "rate_card", "contracted prices"),
    ("org_map", "org_map", "team -> cost center / GL account"),
    ("fx_rates", "fx_rates", "currency conversion rates"),
)


def _date(text: str) -> date:
    from desktop.domain.tables import FIRST_YEAR, LAST_YEAR

    try:
        value = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise argparse.ArgumentTypeError(f"{text} lies outside {FIRST_YEAR}-{LAST_YEAR}")
    return value


def _amount(text: str) -> Decimal:
    from decimal import InvalidOperation

    try:
        value = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise argparse.ArgumentTypeError(f"not an amount: {text!r}")
    return value


# flags whose argument may also be a warehouse URL (desktop/ingest/warehouse.py, docs/scale.md)
URL_FLAGS = ("usage", "invoices")


def _input(text: str):
    """A file path, or (for --usage / --invoices) a warehouse URL kept as written."""
    from desktop.ingest.warehouse import is_url

    return text if is_url(text) else Path(text)


def _add_input_flags(p: argparse.ArgumentParser) -> None:
    src = p.add_argument_group("inputs (files, a workspace, or --demo)")
    for flag, _kind, help_text in FILE_FLAGS:
        url = flag in URL_FLAGS
        src.add_argument(f"--{flag.replace('_', '-')}", dest=flag, nargs="+", type=_input if url else Path,
                         default=[], metavar="FILE|URL" if url else "FILE",
                         help=help_text + (" (or a warehouse URL such as duckdb:///data/usage.duckdb?table=usage, "
                                           "postgresql://user@host/db?table=usage: the rollup is computed there; "
                                           "docs/scale.md)" if url else ""))
    src.add_argument("--workspace", type=Path, help="a .commitdesk workspace instead of file flags")
    src.add_argument("--demo", action="store_true", help="the bundled demo company's files")
    p.add_argument("--as-of", type=_date, help="as-of date T (default: the latest usage date)")
    p.add_argument("--strict", action="store_true", help="any rejected row is fatal (exit 2)")
    p.add_argument("--vendor", metavar="NAME",
                   help="vendor of the commitments in a FOCUS contract commitment file that names no "
                   "provider and whose commitments no usage row's ContractApplied names")
    p.add_argument("--ai-services", metavar="RULE",
                   help="which cloud-export rows are AI spend: terms separated by ';' matched in the row's "
                   "service, 'not X' to leave X out, '*' for every row (default: docs/domain.md 'AI spend in "
                   "cloud exports'; a workspace keeps its own rule)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m desktop",
        description="CommitDesk: AI-vendor commitment pacing, exposure, invoice and budget analytics. "
        "Without a command the desktop app starts.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    a = sub.add_parser("analyze", help="compute every figure and print a report")
    _add_input_flags(a)
    a.add_argument("--format", choices=("json", "text"), default="text")

    e = sub.add_parser("explain", help="every figure that is a total of source rows, with its rows")
    _add_input_flags(e)
    e.add_argument("--format", choices=("json", "text"), default="text")
    e.add_argument("--rows", action="store_true", help="list each figure's source rows (file, row, amount)")
    e.add_argument("--source-rows", type=int, metavar="ROW",
                   help="with --usage URL: fetch the source rows behind rollup row ROW from the warehouse "
                   "(a bounded query, at most 200 rows) and print them")

    b = sub.add_parser("brief", help="write the Excel working brief and/or its PDF summary")
    _add_input_flags(b)
    b.add_argument("--out", type=Path, help="the .xlsx to write")
    b.add_argument("--pdf", type=Path, help="the PDF summary to write (page 1 and the charts)")
    b.add_argument("--sections", nargs="+", help="only these sections (default: all)")
    b.add_argument("--raw-usage", action="store_true", help="also write the raw usage rows")

    i = sub.add_parser("import", help="import files into a workspace")
    i.add_argument("--workspace", type=Path, required=True)
    i.add_argument("--kind", help="table kind for all files (default: detect)")
    i.add_argument("--replace", action="store_true", help="replace a batch with the same content")
    i.add_argument("--on-overlap", choices=("refuse", "replace", "keep"), default="refuse",
                   help="a file overlapping an earlier import (usage of a vendor on the same days, or the same "
                   "invoice ids): refuse it and say what overlaps (default), replace the earlier import, or keep "
                   "both (counted twice unless they are snapshots of one provider export)")
    i.add_argument("files", nargs="+", type=_input, metavar="FILE|URL",
                   help="files, or warehouse URLs of usage (or invoices with --kind invoices): docs/scale.md")

    d = sub.add_parser("dispute", help="write the dispute pack of an invoice's vendor-period")
    _add_input_flags(d)
    d.add_argument("--invoice", nargs="+", required=True, metavar="ID",
                   help="invoice ids (all of one vendor-period; the pack holds every invoice of that period)")
    d.add_argument("--out", type=Path, required=True, help="the .xlsx to write")

    act = sub.add_parser("actions", help="list the open actions of a workspace")
    act.add_argument("--workspace", type=Path, required=True)
    act.add_argument("--all", action="store_true", help="also done / won't fix actions")
    act.add_argument("--as-of", type=_date, help="also say which findings hold at this date (a view: the "
                     "checklist follows the workspace's as-of mode)")

    r = sub.add_parser("renewal", help="the negotiation desk: vendor offers compared on simulated spend, frontier, "
                       "priced asks, walk-away (JSON)")
    _add_input_flags(r)  # the history the forecast is fitted on and the walk-away priced from (optional)
    r.add_argument("--offers", type=Path, metavar="FILE",
                   help="offer file: the commitments template columns plus offer, fulfilment, rollover_cap, "
                   "rollover_expiry_periods, shortfall_treatment, notice_days (CSV or xlsx); default: the "
                   "offers in the commitments (status proposed), each vendor's current contract first")
    r.add_argument("--baseline-monthly", type=_amount, metavar="X",
                   help="list-price spend in the as-of month (with --growth and --growth-sd: instead of the "
                   "forecast fitted on the usage)")
    r.add_argument("--growth", type=float, metavar="G", help="mean monthly growth (0.02 = 2 %%)")
    r.add_argument("--growth-sd", type=float, metavar="SD", help="sd of monthly growth (0: one path)")
    r.add_argument("--paths", type=int, help="simulated paths (default: the renewal_paths setting)")
    r.add_argument("--seed", type=int, help="random seed (default: the renewal_seed setting)")
    r.add_argument("--select", metavar="OFFER", help="the offer whose asks are priced (default: the least expected "
                   "cost)")
    r.add_argument("--launch", action="append", default=[], metavar="DATE:AMOUNT",
                   help="scenario: a workload launch adding AMOUNT of list spend a month from DATE (repeatable)")
    r.add_argument("--migrate", action="append", default=[], metavar="DATE:MODEL:PCT:TO_MODEL[:RATIO]",
                   help="scenario: PCT %% of MODEL's volume moves to TO_MODEL from DATE, priced with the rate card "
                   "(or at RATIO x the old cost) (repeatable)")
    r.add_argument("--price-change", action="append", default=[], metavar="DATE:PCT",
                   help="scenario: the vendor's prices change by PCT %% from DATE (repeatable)")
    r.add_argument("--tiers", metavar="AMOUNT:PCT[,AMOUNT:PCT...]",
                   help="the vendor's tier table: commit levels and their discounts; the frontier is drawn at "
                   "exactly these levels (with several vendors' offers: give --vendor)")
    r.add_argument("--format", choices=("json",), default="json")
    return parser


class Fatal(Exception):
    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


def _file_inputs(args: argparse.Namespace):
    from desktop.domain.inputs import Inputs
    from desktop.domain.settings import Settings
    from desktop.ingest import read_file
    from desktop.ingest.core import check_input_size, file_digest, vendors_from_usage
    from desktop.ingest.errors import VendorNeeded
    from desktop.resources import demo_files

    files: list[tuple[str, Path]] = []
    if args.demo:
        files.extend(demo_files().items())
    for flag, kind, _ in FILE_FLAGS:
        files.extend((kind, p if isinstance(p, str) else Path(p)) for p in getattr(args, flag))
    if not files:
        raise Fatal("no input: give --workspace, --demo, or file flags such as --contracts and --usage")
    inputs = Inputs()
    rule = getattr(args, "ai_services", None)
    settings = Settings(ai_services=rule) if rule is not None else None  # the one setting files carry
    hashes: dict[tuple[str, str], Path] = {}
    later: list[tuple[str, Path, VendorNeeded]] = []
    for kind, path in files:
        if isinstance(path, str):  # a warehouse URL: only the rollup comes back
            inputs = _add_read(args, inputs, _warehouse_read(args, kind, path, settings))
            continue
        if not path.exists():
            raise Fatal(f"{path}: no such file")
        if path.is_file():
            # the same content twice for one table would count every row twice; one export read
            # as two tables (FOCUS as usage and as invoice lines) is a normal reconciliation
            check_input_size(path)  # every size check before any read
            digest = (kind, file_digest(path))
            if digest in hashes:
                raise Fatal(f"{path}: the same content as {hashes[digest]} (both given as {kind}); giving a "
                            "file twice would count every row twice")
            hashes[digest] = path
            args.source_hashes = {**getattr(args, "source_hashes", {}), path.name: digest[1]}
        try:
            result = read_file(path, kind, settings=settings)
        except VendorNeeded as exc:  # read after the usage, whose ContractApplied names the vendor
            later.append((kind, path, exc))
            continue
        inputs = _add_read(args, inputs, result)
    for kind, path, exc in later:
        found = vendors_from_usage(inputs.usage, exc.contract_ids)
        vendor = getattr(args, "vendor", None)
        if vendor:  # the commitments no usage names
            found.update({c: vendor for c in exc.contract_ids if c not in found})
        inputs = _add_read(args, inputs, read_file(path, kind, vendors=found, settings=settings))
    empty = [rep for rep in inputs.imports if rep.rows_read == 0]
    if empty and getattr(args, "as_of", None) is None and inputs.usage.empty and inputs.commitments.empty:
        # say why there is nothing to date the analysis by (once "no as-of date")
        rep = empty[0]
        raise Fatal(f"{rep.file}: the file has a header ({rep.format_reason or rep.format}) but no data "
                    "rows, so there is no usage to analyse: was the export cut short, or filtered to "
                    "nothing? (give --as-of to analyse the other files anyway)")
    return inputs, settings


def _warehouse_read(args: argparse.Namespace, kind: str, url: str, settings):
    """--usage / --invoices URL: the rollup (usage) or the lines (invoices) read where they live;
    kept on ``args.warehouse_reads`` (explain --source-rows)."""
    from desktop.ingest import warehouse

    if kind not in URL_FLAGS:
        raise Fatal(f"{warehouse.parse_url(url).display}: only --usage and --invoices read from a warehouse")
    read = (warehouse.read_usage if kind == "usage" else warehouse.read_invoices)(url, settings=settings)
    args.warehouse_reads = [*getattr(args, "warehouse_reads", []), read]
    log.info("read %s: %d rows received for %s", read.source, read.rows_received, kind)
    return read.result


def _add_read(args: argparse.Namespace, inputs, result):
    from desktop.domain.validation import import_refusal

    rep = result.report
    refused = import_refusal(rep, strict=args.strict)  # the verdict the store and the GUI give
    if refused is not None:
        raise Fatal(str(refused))
    return inputs.add(result.kind, result.frame, rep)


def _reject_mixed_sources(args: argparse.Namespace) -> None:
    if args.demo or any(getattr(args, f) for f, _, _ in FILE_FLAGS):
        raise Fatal("give either --workspace or file flags, not both")


def _analysis(args: argparse.Namespace):
    from desktop.domain.analysis import build_analysis

    if args.workspace is not None:
        from desktop.store import Workspace

        _reject_mixed_sources(args)
        if getattr(args, "ai_services", None) is not None:
            raise Fatal("a workspace keeps its own AI-service rule (Settings, or the import wizard); "
                        "--ai-services is for files")
        from desktop.workspace_analysis import analyse_workspace

        with Workspace.open(args.workspace, readonly=True) as ws:
            return analyse_workspace(ws, args.as_of)
    inputs, settings = _file_inputs(args)
    return build_analysis(inputs, settings, args.as_of)


def _analysis_and_actions(args: argparse.Namespace, uses: str):
    """The analysis and the actions checklist. Files: (analysis, None), the report then shows the
    findings as fresh open actions. A workspace: recompute and sync its checklist first (as the
    app does) and return its actions with the status and notes people set; when another
    CommitDesk holds the workspace, say so and use the checklist as last saved."""
    if args.workspace is None:
        return _analysis(args), None
    from desktop.store import Workspace, WorkspaceLocked
    from desktop.workspace_analysis import analyse_workspace, sync_checklist

    _reject_mixed_sources(args)
    try:
        ws = Workspace.open(args.workspace)
    except WorkspaceLocked as exc:
        print(f"commitdesk: {exc}; {uses} the actions checklist as last saved", file=sys.stderr)
        ws = Workspace.open(args.workspace, readonly=True)
    with ws:
        analysis = analyse_workspace(ws, args.as_of)
        sync_checklist(ws, analysis, as_of_given=args.as_of is not None)
        # the brief's Sources block: each import batch's content hash (SHA-256)
        args.source_hashes = {b.file_name: b.content_hash for b in ws.batches()}
        args.overlays = ws.overlays()  # the Negotiation sheet's forecast overlays (the workbench's)
        return analysis, ws.actions()


def cmd_analyze(args: argparse.Namespace) -> int:
    from desktop.domain.report import to_json, to_text

    if args.format == "json":
        analysis, actions = _analysis_and_actions(args, "the JSON carries")
        sys.stdout.write(to_json(analysis, actions=actions) + "\n")
    else:
        sys.stdout.write(to_text(_analysis(args)))
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    import json

    from desktop.domain.provenance import figures_report, figures_text

    analysis = _analysis(args)
    if args.source_rows is not None:
        return _print_source_rows(args)
    if args.format == "json":
        sys.stdout.write(json.dumps(figures_report(analysis, with_rows=args.rows), indent=1) + "\n")
    else:
        sys.stdout.write(figures_text(analysis))
    return 0


def _print_source_rows(args: argparse.Namespace) -> int:
    """explain --source-rows ROW: the rows behind one rollup row, fetched with a bounded query."""
    import json

    from desktop.ingest import warehouse

    reads = [r for r in getattr(args, "warehouse_reads", []) if r.plan is not None]
    if not reads:
        raise Fatal("--source-rows needs --usage URL (a warehouse table): a file's rows are listed by --rows")
    query, rows = warehouse.source_rows(reads[0], args.source_rows)
    if args.format == "json":
        sys.stdout.write(json.dumps({"source": reads[0].source, "rollup_row": args.source_rows, "query": query,
                                     "rows": json.loads(rows.to_json(orient="records", date_format="iso"))},
                                    indent=1) + "\n")
    else:
        sys.stdout.write(f"{reads[0].source}, rollup row {args.source_rows}: {len(rows)} source row(s)"
                         f" (at most {warehouse.SOURCE_ROWS_LIMIT})\n")
        sys.stdout.write(rows.to_string(index=False) + "\n")
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    from desktop.brief import write_brief

    if args.out is None and args.pdf is None:
        raise Fatal("brief: give --out brief.xlsx (the workbook), --pdf summary.pdf (its summary), or both")
    if args.out is not None and args.out.suffix.lower() != ".xlsx":
        raise Fatal(f"{args.out}: the brief is an Excel workbook; give --out a name ending in .xlsx")
    if args.pdf is not None and args.pdf.suffix.lower() != ".pdf":
        raise Fatal(f"{args.pdf}: the summary is a PDF; give --pdf a name ending in .pdf")
    analysis, actions = _analysis_and_actions(args, "the brief uses")
    if args.out is not None:
        write_brief(analysis, args.out, sections=args.sections, actions=actions, raw_usage=args.raw_usage,
                    file_hashes=getattr(args, "source_hashes", None), overlays=getattr(args, "overlays", ()))
        print(f"wrote {args.out}")
    if args.pdf is not None:
        _write_summary_pdf(analysis, actions, args.pdf)
        print(f"wrote {args.pdf}")
    return 0


def _write_summary_pdf(analysis, actions, out: Path) -> None:
    """The PDF summary is drawn with Qt (desktop/ui/summary_pdf.py), imported only here; without
    a display Qt draws offscreen."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.ui.summary_pdf import write_summary_pdf

    write_summary_pdf(analysis, out, actions)


def cmd_dispute(args: argparse.Namespace) -> int:
    from desktop.brief.dispute import write_dispute_pack
    from desktop.store.batches import file_sha256

    if args.out.suffix.lower() != ".xlsx":
        raise Fatal(f"{args.out}: the dispute pack is an Excel workbook; give --out a name ending in .xlsx")
    hashes: dict[str, str] = {}
    if args.workspace is not None:
        from desktop.store import Workspace

        _reject_mixed_sources(args)
        with Workspace.open(args.workspace, readonly=True) as ws:
            hashes = {b.file_name: b.content_hash for b in ws.batches()}
    else:
        for flag, _kind, _ in FILE_FLAGS:
            for path in getattr(args, flag):
                if Path(path).is_file():
                    hashes[Path(path).name] = file_sha256(Path(path))[0]
        if args.demo:
            from desktop.resources import demo_files

            hashes.update({Path(p).name: file_sha256(Path(p))[0] for p in demo_files().values()})
    analysis = _analysis(args)
    write_dispute_pack(analysis, args.invoice, args.out, hashes)
    print(f"wrote {args.out}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from desktop.store.commands import cmd_import as run

    return run(args)


def cmd_actions(args: argparse.Namespace) -> int:
    from desktop.store.commands import cmd_actions as run

    return run(args)


def _offer_rows(path: Path):
    import pandas as pd

    from desktop.ingest.core import check_input_size

    if not path.is_file():
        raise Fatal(f"{path}: no such file")
    check_input_size(path)
    if path.suffix.casefold() in (".xlsx", ".xlsm"):
        frame = pd.read_excel(path, dtype=object, engine="calamine")
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip().casefold() for c in frame.columns]
    frame["_row"] = range(2, len(frame) + 2)  # the header is row 1
    return frame


def _has_inputs(args: argparse.Namespace) -> bool:
    return bool(args.workspace is not None or args.demo or any(getattr(args, f) for f, _, _ in FILE_FLAGS))


def _overlays(args: argparse.Namespace) -> tuple:
    """The scenario flags as forecast overlays (desktop/domain/forecast.py)."""
    from desktop.domain import forecast as fc

    forms = {"launch": "DATE:AMOUNT", "migrate": "DATE:MODEL:PCT:TO_MODEL[:RATIO]", "price-change": "DATE:PCT"}

    def parts(text: str, flag: str, n: tuple[int, int]) -> list:
        got: list = text.split(":")
        if not n[0] <= len(got) <= n[1]:
            raise Fatal(f"--{flag} {text!r}: expected {forms[flag]}")
        try:
            got[0] = _date(got[0])
        except argparse.ArgumentTypeError as exc:
            raise Fatal(f"--{flag}: {exc}") from None
        return got

    def number(text: str, flag: str) -> float:
        try:
            value = float(_amount(text))
        except argparse.ArgumentTypeError as exc:
            raise Fatal(f"--{flag}: {exc}") from None
        return value

    out: list = []
    for text in args.launch:
        d, amount = parts(text, "launch", (2, 2))
        out.append(fc.WorkloadLaunch(d, Decimal(str(number(amount, "launch")))))
    for text in args.migrate:
        got = parts(text, "migrate", (4, 5))
        ratio = number(got[4], "migrate") if len(got) == 5 else None
        out.append(fc.ModelMigration(got[0], got[1], number(got[2], "migrate"), got[3], ratio))
    for text in args.price_change:
        d, pct = parts(text, "price-change", (2, 2))
        out.append(fc.PriceChange(d, number(pct, "price-change")))
    return tuple(out)


def _tiers(args: argparse.Namespace) -> list[tuple[Decimal, float]] | None:
    """--tiers "500000:10,1000000:15" -> [(500000, 10.0), (1000000, 15.0)]: the vendor's tier table."""
    if not getattr(args, "tiers", None):
        return None
    out = []
    for part in args.tiers.split(","):
        bits = [b.strip() for b in part.split(":")]
        try:
            amount, pct = Decimal(bits[0]), float(bits[1])
            if len(bits) != 2 or not amount.is_finite() or amount <= 0 or not 0 <= pct < 100:
                raise ValueError
        except (ValueError, IndexError, ArithmeticError):
            raise Fatal(f"--tiers: {part.strip()!r} is not AMOUNT:PCT (a positive amount, a discount "
                        "from 0 to under 100 %)") from None
        out.append((amount, pct))
    return out


def _stored_overlays(args: argparse.Namespace) -> list[dict]:
    """The workspace's forecast overlays (the Renewal workbench's, desktop/store/overlays.py)."""
    if args.workspace is None:
        return []
    from desktop.store import Workspace

    with Workspace.open(args.workspace, readonly=True) as ws:
        return ws.overlays()


def _vendor_overlays(records: list[dict], vendor: str) -> tuple:
    from desktop.domain import overlays as ov

    return ov.to_forecast([r for r in records if ov.same_vendor(r.get("vendor"), vendor)])


def cmd_renewal(args: argparse.Namespace) -> int:
    import json

    from desktop.domain.negotiation import build_negotiation, merge_json
    from desktop.domain.offers import offers_from_commitments, offers_from_rows
    from desktop.domain.settings import Settings
    from desktop.domain.usage_index import match_key

    given = [args.baseline_monthly is not None, args.growth is not None, args.growth_sd is not None]
    if any(given) and not all(given):
        raise Fatal("give --baseline-monthly, --growth and --growth-sd together (or none: the forecast is fitted "
                    "on the usage)")
    analysis = _analysis(args) if _has_inputs(args) else None
    if analysis is None and args.offers is None:
        raise Fatal("renewal: give --offers FILE, or a workspace (--workspace) or input files whose commitments "
                    "hold the offers (contracts with status proposed)")
    if analysis is None and not all(given):
        raise Fatal("renewal: without usage (file flags, --workspace or --demo) give --baseline-monthly, --growth "
                    "and --growth-sd")
    if args.offers is not None:
        offers = offers_from_rows(_offer_rows(args.offers), file=args.offers.name, vendor=args.vendor)
    else:  # the workspace's offers: its proposed contracts, each vendor's current contract renewed as is first
        offers = offers_from_commitments(analysis.inputs.commitments, vendor=args.vendor)
        if not offers:
            raise Fatal("renewal: the commitments hold no offer (a contract with status proposed)"
                        + (f" of {args.vendor}" if args.vendor else "") + "; import offers as proposed contracts "
                        "or give --offers FILE")
    currencies = sorted({o.currency for o in offers})
    if len(currencies) > 1:
        raise Fatal("offers in more than one currency (" + ", ".join(currencies) + ") cannot be compared")
    settings = analysis.settings if analysis is not None else Settings()
    if args.as_of is not None:
        as_of = args.as_of
    elif analysis is not None:
        as_of = analysis.as_of
    else:
        as_of = min(o.term_start for o in offers) - timedelta(days=1)
    spend = (args.baseline_monthly, args.growth, args.growth_sd) if all(given) else None
    vendors: dict[str, list] = {}  # per vendor, in the order the file names them
    for o in offers:
        vendors.setdefault(match_key("vendor", o.vendor), []).append(o)
    flags = _overlays(args)
    stored = _stored_overlays(args)
    tiers = _tiers(args)
    if tiers is not None and len(vendors) > 1:
        raise Fatal("--tiers is one vendor's tier table: give --vendor to compare that vendor's offers only")
    results = [build_negotiation(analysis, group, vendor=group[0].vendor, settings=settings, as_of=as_of,
                                 paths=args.paths, seed=args.seed, spend=spend, tiers=tiers,
                                 overlays=_vendor_overlays(stored, group[0].vendor) + flags,
                                 selected=args.select if any(o.name == args.select for o in group) else None)
               for group in vendors.values()]
    if args.select is not None and not any(o.name == args.select for o in offers):
        raise Fatal(f"--select {args.select!r}: no offer of that name")
    sys.stdout.write(json.dumps(merge_json(results), indent=2) + "\n")
    return 0


COMMANDS = {"analyze": cmd_analyze, "explain": cmd_explain, "brief": cmd_brief, "dispute": cmd_dispute,
            "import": cmd_import, "actions": cmd_actions, "renewal": cmd_renewal}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return COMMANDS[args.command](args)
    except Fatal as exc:
        print(f"commitdesk: {exc}", file=sys.stderr)
        return exc.status
    except InputError as exc:
        print(f"commitdesk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("commitdesk: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an internal error: say so plainly, keep the traceback in the log
        if os.environ.get("COMMITDESK_DEBUG"):
            raise
        where = _log_exception()
        print(f"commitdesk: internal error: {type(exc).__name__}: {exc}"
              + (f" (details in {where})" if where else ""), file=sys.stderr)
        return 1


def _log_exception() -> str | None:
    import traceback

    try:
        from desktop import config

        d = Path(config.log_dir())
        d.mkdir(parents=True, exist_ok=True)
        path = d / "cli-errors.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc() + "\n")
        return str(path)
    except Exception:
        return None
