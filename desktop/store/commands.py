"""The workspace side of the CLI (wired into desktop/cli.py):

    python -m desktop import --workspace W.commitdesk FILE ...   [--kind K] [--replace]
                                                                 [--on-overlap refuse|replace|keep]
    python -m desktop actions --workspace W.commitdesk            [--all] [--as-of YYYY-MM-DD (a view)]
    python -m desktop analyze|brief --workspace W.commitdesk ...  (load_workspace)

Exit status: 0 success; 2 when a file was not imported (unreadable, duplicate, rejected rows in
reference data) or the workspace cannot be used (locked, newer schema, damaged, disk full...).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from desktop.domain.actions import Action
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.results import ImportReport
from desktop.domain.settings import Settings
from desktop.store.errors import DuplicateImport, WorkspaceError, WorkspaceLocked
from desktop.store.workspace import Workspace

MAX_ERRORS_SHOWN = 20


def format_report(report: ImportReport) -> str:
    """An ImportReport as a few readable lines."""
    lines = [f"{report.file}: {report.kind} ({report.format}) - {report.rows_imported} of "
             f"{report.rows_read} rows imported, {report.rows_rejected} rejected"]
    if report.format_reason:
        lines.append(f"  detected: {report.format_reason}")
    if report.totals_excluded:
        lines.append(f"  {report.totals_excluded} total/subtotal rows left out")
    if report.duplicates_flagged:
        lines.append(f"  {report.duplicates_flagged} duplicate rows flagged")
    for issue in report.errors[:MAX_ERRORS_SHOWN]:
        where = []
        if issue.row is not None:
            where.append(f"row {issue.row}")
        if issue.column:
            where.append(f"column {issue.column!r}")
        value = f" (value {issue.value!r})" if issue.value not in (None, "") else ""
        lines.append(f"  {', '.join(where) or 'file'}: {issue.message}{value}")
    if len(report.errors) > MAX_ERRORS_SHOWN:
        lines.append(f"  ... and {len(report.errors) - MAX_ERRORS_SHOWN} more")
    for w in report.warnings:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def cmd_import(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    failures = 0
    strict = getattr(args, "strict", False)
    try:
        ws = Workspace.open(args.workspace, create=True)
    except WorkspaceError as exc:
        print(f"commitdesk: {exc}", file=err)
        return 2
    with ws:
        for f in args.files:
            try:
                if isinstance(f, str):  # a warehouse URL (desktop/ingest/warehouse.py): the rollup is stored
                    from desktop.store.warehouse_import import import_url

                    report = import_url(ws, f, getattr(args, "kind", None),
                                        replace=bool(getattr(args, "replace", False)),
                                        refuse_rejected=bool(strict),
                                        on_overlap=getattr(args, "on_overlap", None) or "refuse")
                    print(format_report(report), file=out)
                    continue
                report = ws.import_file(Path(f), getattr(args, "kind", None),
                                        replace=bool(getattr(args, "replace", False)),
                                        refuse_rejected=bool(strict),
                                        on_overlap=getattr(args, "on_overlap", None) or "refuse")
            except DuplicateImport as exc:
                failures += 1
                print(f"commitdesk: {exc}", file=err)
                continue
            except WorkspaceError as exc:
                # the workspace itself failed (disk full, permissions, busy): stop here
                failures += 1
                print(f"commitdesk: {exc}", file=err)
                break
            except InputError as exc:  # unreadable files and workspace refusals alike
                failures += 1
                print(f"commitdesk: {exc}", file=err)
                continue
            print(format_report(report), file=out)
    print(f"workspace: {ws.path}", file=out)
    return 2 if failures else 0


def format_action(a: Action, holds: bool | None = None) -> str:
    due = a.due.isoformat() if a.due else "-"
    status = "" if a.status == "open" else f" [{a.status.replace('_', ' ')}]"
    if a.resolution == "data":
        status += f" [{a.resolution_reason}]"
    line = f"{a.key}\t{a.severity}\t{a.owner or '-'}\t{due}\t{a.title}{status}"
    return line if holds is None else f"{line}\t{'holds' if holds else '-'}"


def cmd_actions(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Bring the checklist up to the workspace's data (when it can be written), then list the
    open actions. ``--as-of`` is a view: the checklist is not changed by it, and a last column
    says whether each finding holds at that date."""
    from desktop.workspace_analysis import analyse_workspace, sync_checklist

    out = out or sys.stdout
    err = err or sys.stderr
    show_all = getattr(args, "all", False)
    as_of = getattr(args, "as_of", None)
    holding: set[str] | None = None
    try:
        try:
            ws = Workspace.open(args.workspace)
        except WorkspaceLocked as exc:
            print(f"commitdesk: {exc}\ncommitdesk: listing the actions as last saved.", file=err)
            ws = Workspace.open(args.workspace, readonly=True)
        with ws:
            if ws.batches():
                if as_of is not None:
                    view = analyse_workspace(ws, as_of)
                    holding = {f.key for f in view.findings}
                    sync_checklist(ws, view, as_of_given=True)
                elif not ws.readonly:
                    sync_checklist(ws, analyse_workspace(ws), as_of_given=False)
            actions = ws.actions() if show_all else [a for a in ws.actions() if a.is_open]
    except WorkspaceError as exc:
        print(f"commitdesk: {exc}", file=err)
        return 2
    head = "key\tseverity\towner\tdue\ttitle"
    print(head if holding is None else f"{head}\tat {as_of:%Y-%m-%d}", file=out)
    for a in actions:
        print(format_action(a, None if holding is None else a.key in holding), file=out)
    label = "actions" if show_all else "open actions"
    print(f"{len(actions)} {label}", file=out)
    return 0


def load_workspace(path: str | Path) -> tuple[Inputs, Settings]:
    """The stored inputs and settings of a workspace (opened read-only, so it works while the
    GUI has it open)."""
    with Workspace.open(path, readonly=True) as ws:
        return ws.inputs(), ws.settings()
