"""Workspace round trip through the CLI: import -> analyze --workspace equals analyze on the
files; re-import refused; actions listed; brief --workspace writes a file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from .helpers import run

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
ORDER = ("commitments", "usage", "invoices", "budgets", "rate_card", "org_map")
FLAG = {"commitments": "--contracts", "usage": "--usage", "invoices": "--invoices", "budgets": "--budgets",
        "rate_card": "--rate-card", "org_map": "--org-map"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from desktop.resources import demo_files

    files = dict(demo_files())
    d = tmp_path_factory.mktemp("demo")
    copies = {k: Path(shutil.copy(files[k], d / Path(files[k]).name)) for k in ORDER}
    return copies


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, demo):
    from desktop.cli import main

    w = tmp_path_factory.mktemp("ws") / "team.commitdesk"
    assert main(["import", "--workspace", str(w), *[str(demo[k]) for k in ORDER]]) == 0
    return w


def test_import_prints_reports(tmp_path, capsys, demo):
    w = tmp_path / "t.commitdesk"
    status, out, err = run(capsys, "import", "--workspace", w, demo["commitments"], demo["usage"])
    assert status == 0, err
    assert "commitments.csv: commitments" in out and "11 of 11 rows imported" in out
    assert "usage.csv: usage" in out and "25249 of 25249 rows imported" in out


def test_analyze_workspace_equals_analyze_files(capsys, workspace, demo):
    status, from_ws, err = run(capsys, "analyze", "--workspace", workspace, "--format", "json")
    assert status == 0, err
    argv = []
    for k in ORDER:
        argv += [FLAG[k], demo[k]]
    status, from_files, err = run(capsys, "analyze", *argv, "--format", "json")
    assert status == 0, err
    assert from_ws == from_files
    # and the text summary too
    assert run(capsys, "analyze", "--workspace", workspace)[1] == run(capsys, "analyze", *argv)[1]


def test_analyze_workspace_equals_files_for_vendor_exports(tmp_path, capsys):
    files = [DATA / "focus-spec-examples" / "contract_commitment_scenario_2.csv",
             DATA / "focus" / "focus-1.0_sample.csv",
             DATA / "vendor-fixtures" / "openai_dashboard_cost_export_fixture.csv",
             DATA / "azure" / "EA_AmortizedCost_Small.csv"]
    w = tmp_path / "vendors.commitdesk"
    status, out, err = run(capsys, "import", "--workspace", w, *files)
    assert status == 0, err
    assert "focus-1.0" in out and "openai-cost-export" in out and "azure-ea" in out
    a = run(capsys, "analyze", "--workspace", w, "--format", "json")
    b = run(capsys, "analyze", "--contracts", files[0], "--usage", *files[1:], "--format", "json")
    assert a[0] == b[0] == 0
    assert json.loads(a[1]) == json.loads(b[1])


def test_reimport_same_content_is_refused(tmp_path, capsys, workspace, demo):
    before = run(capsys, "analyze", "--workspace", workspace, "--format", "json")[1]
    renamed = tmp_path / "usage_again.csv"
    shutil.copy(demo["usage"], renamed)
    for f in (demo["usage"], renamed):
        status, out, err = run(capsys, "import", "--workspace", workspace, f)
        assert status == 2
        assert "already imported" in err and f.name in err
    assert run(capsys, "analyze", "--workspace", workspace, "--format", "json")[1] == before


def test_unreadable_file_not_imported(tmp_path, capsys, workspace):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 40)
    status, _, err = run(capsys, "import", "--workspace", workspace, junk)
    assert status == 2 and "junk.csv" in err


def test_overlapping_usage_flagged_as_double_counting(tmp_path, capsys, demo):
    w = tmp_path / "dup.commitdesk"
    assert run(capsys, "import", "--workspace", w, demo["usage"])[0] == 0
    part = tmp_path / "usage_part.csv"
    part.write_text("".join(demo["usage"].read_text(encoding="utf-8").splitlines(True)[:51]), encoding="utf-8")
    status, out, err = run(capsys, "import", "--workspace", w, part)
    assert status == 2  # refused by default: it would count those days twice
    assert "usage_part.csv was not imported" in err and "--on-overlap" in err
    status, out, err = run(capsys, "import", "--workspace", w, "--on-overlap", "keep", part)
    assert status == 0, err
    assert "double counting" in out


def test_actions_listed(capsys, workspace):
    status, out, err = run(capsys, "actions", "--workspace", workspace)
    assert status == 0, err
    lines = out.strip().splitlines()
    assert lines[0].split("\t") == ["key", "severity", "owner", "due", "title"]
    n = int(lines[-1].split()[0])
    assert n == len(lines) - 2 and n > 0
    keys = {ln.split("\t")[0] for ln in lines[1:-1]}
    # the demo's known problems: the duplicated invoice line, the contract in overage risk
    assert any(k.startswith("flag:") and ":duplicate_line:" in k for k in keys)
    assert "contract:OAI-2026-RAMP:overage" in keys
    # stable across runs
    assert run(capsys, "actions", "--workspace", workspace)[1] == out


def test_brief_from_workspace(tmp_path, capsys, workspace):
    # `actions` first: without it the brief's checklist is empty (qa-bugs.md B11)
    assert run(capsys, "actions", "--workspace", workspace)[0] == 0
    out = tmp_path / "brief.xlsx"
    status, stdout, err = run(capsys, "brief", "--workspace", workspace, "--out", out)
    assert status == 0, err
    wb = openpyxl.load_workbook(out)
    assert {"Summary", "Pacing", "Invoices", "Budgets", "Actions"} <= set(wb.sheetnames)
    ws = wb["Actions"]
    cells = {ws.cell(r, c).value for r in range(1, ws.max_row + 1) for c in range(1, ws.max_column + 1)}
    assert "Contract OAI-2026-RAMP (OpenAI) pacing at 130%: overage risk" in cells


def test_missing_workspace_is_not_created(tmp_path, capsys):
    w = tmp_path / "nope.commitdesk"
    for argv in (["analyze", "--workspace", w], ["actions", "--workspace", w],
                 ["brief", "--workspace", w, "--out", tmp_path / "b.xlsx"]):
        status, _, err = run(capsys, *argv)
        assert status == 2 and "nope.commitdesk" in err
    assert not w.exists() and not (tmp_path / "b.xlsx").exists()


def test_workspace_and_file_flags_together_refused(capsys, workspace, demo):
    status, _, err = run(capsys, "analyze", "--workspace", workspace, "--usage", demo["usage"])
    assert status == 2 and "either" in err


def test_subprocess_smoke(tmp_path):
    """One real process: `python -m desktop analyze --demo --format json`, exit 0, valid JSON."""
    env = {"PATH": "/usr/bin:/bin", "COMMITDESK_HOME": str(tmp_path / "home")}
    p = subprocess.run([sys.executable, "-m", "desktop", "analyze", "--demo", "--format", "json"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    assert json.loads(p.stdout)["as_of"] == "2026-11-15"


def test_subprocess_hostile_exit_2(tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\xff" * 5000)
    env = {"PATH": "/usr/bin:/bin", "COMMITDESK_HOME": str(tmp_path / "home")}
    p = subprocess.run([sys.executable, "-m", "desktop", "analyze", "--usage", str(junk)],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "junk.csv" in p.stderr and "Traceback" not in p.stderr


def test_round_trip_with_messy_files(tmp_path, capsys):
    """Rejected rows, a totals row, a row without an FX rate, zoned timestamps, an xlsx invoice:
    the workspace gives exactly what the files give, in JSON and in text."""
    eu = tmp_path / "eu.csv"
    eu.write_bytes("Bericht\n\ndate;vendor;cost;team\n03/02/2026;OpenAI;1.234,56;Müller\n"
                   "13/02/2026;OpenAI;(7,25);Zoë\nSumme;;1.227,31;\n".encode("cp1252"))
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("date,vendor,cost,currency\n2026-02-01,OpenAI,10.00,USD\n2026-02-02,OpenAI,20.00,EUR\n"
                     "2026-02-03,OpenAI,abc,USD\n2026-02-04T23:30:00-05:00,Anthropic,5.00,USD\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["invoice_id", "vendor", "invoice_date", "period_start", "period_end", "amount", "line_type"])
    ws.append(["INV-9", "OpenAI, L.L.C.", "2026-03-02", "2026-02-01", "2026-02-28", "$1,240.00", "usage"])
    ws.append(["INV-9", "OpenAI, L.L.C.", "2026-03-02", "2026-02-01", "2026-02-28", 99.2, "tax"])
    inv = tmp_path / "inv.xlsx"
    wb.save(inv)
    w = tmp_path / "messy.commitdesk"
    assert run(capsys, "import", "--workspace", w, eu, mixed, inv)[0] == 0
    for fmt in ("json", "text"):
        a = run(capsys, "analyze", "--workspace", w, "--format", fmt)
        b = run(capsys, "analyze", "--usage", eu, mixed, "--invoices", inv, "--format", fmt)
        assert a[0] == b[0] == 0
        assert a[1] == b[1]
    d = json.loads(run(capsys, "analyze", "--workspace", w, "--format", "json")[1])
    i = d["invoices"][0]
    # OpenAI usage in February: 1234.56 - 7.25 + 10.00 (the EUR row has no rate)
    assert (i["invoiced"], i["expected"], i["variance"], i["tax"]) == ("1240.00", "1237.31", "2.69", "99.20")


def test_things_that_are_not_workspaces(tmp_path, capsys, demo):
    import sqlite3

    junk = tmp_path / "junk.commitdesk"
    junk.write_bytes(bytes(range(256)) * 20)
    other = tmp_path / "other.commitdesk"
    con = sqlite3.connect(other)
    con.execute("create table t(x)")
    con.commit()
    con.close()
    before = {p: p.read_bytes() for p in (junk, other)}
    for w in (junk, other, tmp_path):
        for argv in (["analyze", "--workspace", w], ["actions", "--workspace", w],
                     ["import", "--workspace", w, demo["org_map"]],
                     ["brief", "--workspace", w, "--out", tmp_path / "b.xlsx"]):
            status, _, err = run(capsys, *argv)
            assert status == 2 and "workspace" in err, (argv, err)
    assert {p: p.read_bytes() for p in (junk, other)} == before  # never modified
    status, _, err = run(capsys, "import", "--workspace", tmp_path / "no" / "w.commitdesk", demo["org_map"])
    assert status == 2 and "does not exist" in err


def test_action_closes_when_its_finding_disappears(tmp_path, capsys):
    c = tmp_path / "c.csv"
    c.write_text("contract_id,vendor,period_start,period_end,commitment,owner,escalation_owner\n"
                 "C1,OpenAI,2026-01-01,2026-12-31,36500,Ann,Bob\n", encoding="utf-8")
    u1 = tmp_path / "u1.csv"
    u1.write_text("date,vendor,cost\n" + "".join(f"2026-01-{d:02d},OpenAI,50.00\n" for d in range(1, 32)),
                  encoding="utf-8")
    u2 = tmp_path / "u2.csv"  # a second team's usage: 110 a day in total against 100 a day committed
    u2.write_text("date,vendor,cost,project\n" + "".join(f"2026-01-{d:02d},OpenAI,60.00,extra\n"
                                                         for d in range(1, 32)), encoding="utf-8")
    w = tmp_path / "a.commitdesk"
    assert run(capsys, "import", "--workspace", w, c, u1)[0] == 0
    out = run(capsys, "actions", "--workspace", w)[1].splitlines()
    assert out[1].split("\t")[:3] == ["contract:C1:shortfall", "high", "Bob"]  # 50% of pace: escalate
    assert out[-1] == "1 open actions"
    # the same vendor on the same days: another team's usage, so both are kept (the default refuses)
    assert run(capsys, "import", "--workspace", w, "--on-overlap", "keep", u2)[0] == 0
    assert run(capsys, "actions", "--workspace", w)[1].splitlines()[-1] == "0 open actions"
    every = run(capsys, "actions", "--workspace", w, "--all")[1].splitlines()
    # resolved by the newer data, with its date and why; the status stays what people set (open)
    assert every[1].startswith("contract:C1:shortfall\t")
    assert every[1].endswith(" [resolved by data of 2026-01-31: pacing back to on pace (110%)]")


def test_double_counting_warning_in_file_mode(tmp_path, capsys):
    a = tmp_path / "a.csv"
    a.write_text("date,vendor,cost\n2026-02-01,OpenAI,1.00\n2026-02-02,OpenAI,1.00\n", encoding="utf-8")
    b = tmp_path / "b.csv"  # other vendor on the same day, same vendor on another day: no overlap
    b.write_text("date,vendor,cost\n2026-02-01,Anthropic,1.00\n2026-02-03,OpenAI,1.00\n", encoding="utf-8")
    c = tmp_path / "c.csv"  # an alias of the same vendor on a day a.csv has
    c.write_text("date,vendor,cost\n2026-02-02,open ai,5.00\n", encoding="utf-8")
    out = run(capsys, "analyze", "--usage", a, b)[1]
    assert "double counting" not in out
    out = run(capsys, "analyze", "--usage", a, c)[1]
    assert "double counting" in out and "2026-02-02" in out and "a.csv" in out


def test_replace_reimports_in_place(tmp_path, capsys, demo):
    w = tmp_path / "r.commitdesk"
    files = [demo[k] for k in ("commitments", "usage", "budgets")]
    assert run(capsys, "import", "--workspace", w, *files)[0] == 0
    before = json.loads(run(capsys, "analyze", "--workspace", w, "--format", "json")[1])
    status, out, err = run(capsys, "import", "--workspace", w, "--replace", demo["usage"])
    assert status == 0, err
    after = json.loads(run(capsys, "analyze", "--workspace", w, "--format", "json")[1])
    assert [c["consumed_to_date"] for c in after["contracts"]] == [c["consumed_to_date"] for c in before["contracts"]]
    assert sorted(r["file"] for r in after["imports"]) == sorted(r["file"] for r in before["imports"])
    assert after["budgets"] == before["budgets"]
