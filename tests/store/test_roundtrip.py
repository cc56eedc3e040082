"""Import files into a workspace, close, reopen: `analyze --workspace` gives exactly the JSON that
`analyze` gives on the same files. Plus the import/actions CLI commands and the demo workspace."""

from __future__ import annotations

import argparse
import io
import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from desktop import cli, config
from desktop.domain import tables
from desktop.domain.analysis import build_analysis
from desktop.domain.report import to_json
from desktop.ingest import read_file
from desktop.ingest.core import load_inputs
from desktop.resources import DEMO_KINDS, demo_files
from desktop.store import Workspace, create_demo_workspace
from desktop.store.commands import cmd_actions, cmd_import, load_workspace
from desktop.workspace_analysis import analyse_workspace, sync_checklist

DATA = Path(__file__).resolve().parents[1] / "data"
EXTRA_USAGE = [DATA / "vendor-fixtures" / "openai_dashboard_cost_export_fixture.csv",
               DATA / "azure" / "EA_ActualCost_Small.csv"]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def demo_paths() -> list[Path]:
    files = demo_files()
    return [files[k] for k in DEMO_KINDS if k in files]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    path = tmp_path_factory.mktemp("rt") / "rt.commitdesk"
    files = demo_files()
    with Workspace.open(path, create=True) as ws:
        _import_demo(ws, files)
        for f in EXTRA_USAGE:
            ws.import_file(f, "usage")
    return path


def test_analyze_workspace_json_equals_analyze_files(imported, capsys):
    extra = ["--as-of", "2026-06-15"]
    code, direct, err = run_cli(["analyze", "--demo", "--usage", *map(str, EXTRA_USAGE),
                                 "--format", "json", *extra], capsys)
    assert code == 0, err
    code, stored, err = run_cli(["analyze", "--workspace", str(imported), "--format", "json",
                                 *extra], capsys)
    assert code == 0, err
    report, files_report = json.loads(stored), json.loads(direct)
    # every figure agrees; the actions differ on purpose: the workspace's checklist follows its
    # reporting date (the latest usage date, 2026-11-15), and --as-of 2026-06-15 is a view of the
    # figures that does not rewrite it, while from files each finding at 2026-06-15 is a fresh action
    assert {k: v for k, v in report.items() if k != "actions"} == {
        k: v for k, v in files_report.items() if k != "actions"}
    with Workspace.open(imported, readonly=True) as ws:
        assert ws.actions_as_of() == date(2026, 11, 15)
        assert [a["key"] for a in report["actions"]] == [a.key for a in ws.actions()]
    assert [i["file"] for i in report["imports"]] == [p.name for p in demo_paths()] + [
        p.name for p in EXTRA_USAGE]
    assert report["contracts"], "the demo has contracts"


def test_workspace_inputs_equal_files_inputs(imported):
    inputs, settings = load_workspace(imported)
    files = demo_files()
    for kind in DEMO_KINDS:
        if kind == "usage" or kind not in files:
            continue
        pd.testing.assert_frame_equal(getattr(inputs, kind), read_file(files[kind], kind).frame,
                                      check_exact=True)
    direct_usage = tables.concat([read_file(files["usage"], "usage").frame]
                                 + [read_file(p, "usage").frame for p in EXTRA_USAGE])
    # every usage batch holds its file's rows exactly; the analysis reads their daily rollup
    with Workspace.open(imported, readonly=True) as ws:
        stored = tables.concat([ws.batch_frame(b.id) for b in ws.batches() if b.kind == "usage"])
    pd.testing.assert_frame_equal(stored, direct_usage, check_exact=True)
    assert int(inputs.usage["source_rows"].sum()) == len(direct_usage)
    assert int(inputs.usage["cost"].sum()) == int(direct_usage["cost"].sum())


def _import_demo(ws, files) -> None:
    for kind in DEMO_KINDS:
        if kind in files:
            ws.import_file(files[kind], kind)


def _refresh(ws):
    analysis = analyse_workspace(ws)
    sync_checklist(ws, analysis, as_of_given=False)
    return analysis


def test_reading_the_analysis_never_writes(tmp_path):
    path = tmp_path / "a.commitdesk"
    files = demo_files()
    with Workspace.open(path, create=True) as ws:
        _import_demo(ws, files)
        changes = ws.conn.total_changes
        analysis = analyse_workspace(ws)
        assert analysis.findings, "the demo has planted problems"
        assert ws.conn.total_changes == changes
        assert ws.actions() == [] and ws.actions_as_of() is None
        assert sync_checklist(ws, analysis, as_of_given=False)
        assert ws.conn.total_changes > changes
        assert {a.key for a in ws.actions()} == {f.key for f in analysis.findings}


def test_workspace_analysis_syncs_actions(tmp_path):
    path = tmp_path / "a.commitdesk"
    files = demo_files()
    with Workspace.open(path, create=True) as ws:
        _import_demo(ws, files)
        analysis = _refresh(ws)
        # the stored rows analyse exactly as the files themselves
        direct = build_analysis(load_inputs({k: files[k] for k in DEMO_KINDS if k in files}), None, None)
        assert to_json(analysis) == to_json(direct)
        assert analysis.findings, "the demo has planted problems"
        keys = {f.key for f in analysis.findings}
        assert {a.key for a in ws.actions()} == keys
        first = sorted(keys)[0]
        ws.set_action(first, status="in_progress", notes="looking")
        # re-import the usage (replace): recompute keeps keys, status and notes
        ws.import_file(files["usage"], "usage", replace=True)
        again = _refresh(ws)
        assert {f.key for f in again.findings} == keys
        assert ws.action(first).status == "in_progress" and ws.action(first).notes == "looking"
        # removing the invoices makes every invoice finding disappear: the data resolves them
        inv_batch = next(b.id for b in ws.batches() if b.kind == "invoices")
        ws.remove_batch(inv_batch)
        third = _refresh(ws)
        gone = {a.key for a in ws.actions() if a.resolution == "data"}
        assert gone == keys - {f.key for f in third.findings}
        assert gone and all(k.startswith(("flag:", "invoice:")) for k in gone)
        assert all(ws.action(k).resolved_at == third.as_of for k in gone)
        assert all("is no longer in the invoices" in ws.action(k).resolution_reason for k in gone)


def test_cli_import_prints_reports_and_refuses_duplicates(tmp_path, capsys):
    w = tmp_path / "cli.commitdesk"
    files = demo_files()
    code, out, err = run_cli(["import", "--workspace", str(w), str(files["commitments"]),
                              str(files["budgets"])], capsys)
    assert code == 0, err
    assert "commitments.csv: commitments (canonical-csv) - 11 of 11 rows imported, 0 rejected" in out
    assert "budgets.csv: budgets" in out
    code, out, err = run_cli(["import", "--workspace", str(w), str(files["commitments"])], capsys)
    assert code == 2
    assert "commitments.csv was already imported" in err
    code, out, err = run_cli(["import", "--workspace", str(w), "--replace",
                              str(files["commitments"])], capsys)
    assert code == 0, err
    with Workspace.open(w, readonly=True) as r:
        assert [b.kind for b in r.batches()] == ["commitments", "budgets"]


def test_cli_import_overlap_and_rejected_reference_rows(tmp_path, capsys):
    w = tmp_path / "cli.commitdesk"
    a = tmp_path / "a.csv"
    a.write_text("date,vendor,cost\n2026-01-01,OpenAI,10.00\n2026-01-02,OpenAI,12.50\n")
    b = tmp_path / "b.csv"
    b.write_text("date,vendor,cost\n2026-01-02,openai,12.50\n2026-01-03,OpenAI,1.00\n")
    bad = tmp_path / "commitments.csv"
    bad.write_text("contract_id,vendor,period_start,period_end,commitment\n"
                   "C-1,OpenAI,2026-01-01,2026-12-31,100000\n"
                   "C-2,OpenAI,2026-01-01,2026-12-31,lots\n")
    code, out, err = run_cli(["import", "--workspace", str(w), "--on-overlap", "keep", str(a), str(b), str(bad)],
                             capsys)
    assert code == 2
    assert ("warning: possible double counting: usage of OpenAI on 1 day (2026-01-02) also "
            "comes from a.csv (batch 1)") in out
    assert "commitments.csv, row 3" in err and "not imported" in err
    with Workspace.open(w, readonly=True) as r:
        assert [b.file_name for b in r.batches()] == ["a.csv", "b.csv"]


def test_cli_import_reports_locked_workspace(tmp_path, capsys):
    w = tmp_path / "l.commitdesk"
    with Workspace.open(w, create=True):
        code, out, err = run_cli(["import", "--workspace", str(w),
                                  str(demo_files()["org_map"])], capsys)
    assert code == 2
    assert "already open for editing by" in err


def test_cli_actions_lists_open_actions(tmp_path, capsys):
    w = tmp_path / "act.commitdesk"
    files = demo_files()
    ns = argparse.Namespace(workspace=w, files=[files[k] for k in DEMO_KINDS if k in files],
                            kind=None, replace=False)
    assert cmd_import(ns, out=io.StringIO(), err=io.StringIO()) == 0
    code, out, err = run_cli(["actions", "--workspace", str(w)], capsys)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == "key\tseverity\towner\tdue\ttitle"
    with Workspace.open(w, readonly=True) as r:
        open_actions = r.actions(("open", "in_progress"))
        assert open_actions
        assert lines[-1] == f"{len(open_actions)} open actions"
        a = open_actions[0]
        assert lines[1] == (f"{a.key}\t{a.severity}\t{a.owner or '-'}\t"
                            f"{a.due.isoformat() if a.due else '-'}\t{a.title}")
    # while another process holds the workspace, the saved list is shown read-only
    with Workspace.open(w) as holder:
        holder.set_action(open_actions[0].key, status="done")
        out_buf, err_buf = io.StringIO(), io.StringIO()
        assert cmd_actions(argparse.Namespace(workspace=w), out=out_buf, err=err_buf) == 0
        assert "listing the actions as last saved" in err_buf.getvalue()
        assert f"{len(open_actions) - 1} open actions" in out_buf.getvalue()


def test_analyze_missing_workspace_is_a_clear_error(tmp_path, capsys):
    code, out, err = run_cli(["analyze", "--workspace", str(tmp_path / "none.commitdesk")], capsys)
    assert code == 2
    assert "No workspace at" in err


def test_demo_workspace_is_built_once(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMITDESK_HOME", str(tmp_path / "home"))
    p = create_demo_workspace()
    assert p == config.demo_workspace_path() and p.exists()
    assert p.parent == tmp_path / "home" / "data"
    with Workspace.open(p, readonly=True) as r:
        assert [b.kind for b in r.batches()] == [k for k in DEMO_KINDS if k in demo_files()]
    mtime = p.stat().st_mtime_ns
    assert create_demo_workspace() == p and p.stat().st_mtime_ns == mtime
    # nothing of the temporary build is left next to it (a reader may leave an empty WAL)
    assert not [x.name for x in p.parent.iterdir() if "building" in x.name or x.suffix == ".lock"]
