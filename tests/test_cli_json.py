"""`python -m desktop analyze --format json` carries the whole report (issue 12 step 3): the
original keys first, then workload_shift, chargeback, renewal and actions; with --workspace the
actions are the workspace's checklist with what people set."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.store import Workspace

ROOT = Path(__file__).resolve().parents[1]
OLD_TOP = ["as_of", "currency", "contracts", "invoices", "budgets", "anomalies", "imports", "warnings"]

COMMITS = ("contract_id,vendor,period_start,period_end,commitment,owner,escalation_owner,clause\n"
           "C-1,OpenAI,2026-01-01,2026-01-31,3100.00,olga,eve,MSA 4.2\n"
           "C-1,OpenAI,2026-02-01,2026-02-28,2800.00,olga,eve,MSA 4.2\n")
INVOICES = ("invoice_id,vendor,invoice_date,period_start,period_end,description,amount,line_type\n"
            "INV-JAN,OpenAI,2026-02-03,2026-01-01,2026-01-31,GPT usage,1550.00,usage\n"
            "INV-JAN,OpenAI,2026-02-03,2026-01-01,2026-01-31,GPT usage,1550.00,usage\n"
            "INV-JAN,OpenAI,2026-02-03,2026-01-01,2026-01-31,VAT,100.00,tax\n")
BUDGETS = ("allocation,month,budget,dimension,value,owner,containment_owner,escalation_owner\n"
           "Search AI,2026-02,1000.00,team,Search,bea,carl,dan\n")
ORG_MAP = "team,cost_center,gl_account,owner\nSearch,CC-100,6100,bea\n"


def usage() -> str:
    """Search: 50.00 a day on OpenAI, Jan 1 .. Feb 14."""
    rows = [f"2026-01-{d:02d},OpenAI,50.00,Search" for d in range(1, 32)]
    rows += [f"2026-02-{d:02d},OpenAI,50.00,Search" for d in range(1, 15)]
    return "date,vendor,cost,team\n" + "\n".join(rows) + "\n"


@pytest.fixture
def files(tmp_path) -> list[str]:
    out = []
    for flag, name, text in (("--contracts", "contracts.csv", COMMITS), ("--usage", "usage.csv", usage()),
                             ("--invoices", "invoices.csv", INVOICES), ("--budgets", "budgets.csv", BUDGETS),
                             ("--org-map", "org_map.csv", ORG_MAP)):
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        out += [flag, str(p)]
    return out


def cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "desktop", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def run(capsys, *argv) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_analyze_json_in_a_subprocess_has_the_whole_report(files):
    out = cli("analyze", *files, "--as-of", "2026-02-14", "--format", "json")
    assert out.returncode == 0, out.stderr
    d = json.loads(out.stdout)
    assert list(d) == OLD_TOP + ["workload_shift", "chargeback", "renewal", "rate_audit", "unit_prices",
                                  "renewal_inputs", "snapshots", "tie_outs", "commitment_discounts", "notice_deadlines", "actions"]
    c = d["contracts"][0]
    assert [(p["status"], p["band"]) for p in c["periods"]][1] == ("current", "shortfall_risk")
    assert (c["days_left"], c["smoothed_run_rate"], c["clause"]) == (14, "50.00", "MSA 4.2")
    assert d["budgets"][0]["rca_due"] == "2026-02-15"
    jan = [x for x in d["chargeback"] if x["month"] == "2026-01"]
    assert jan == [{"month": "2026-01", "gl_account": "6100", "cost_center": "CC-100", "amount": "1550.00",
                    "invoice_ids": ["INV-JAN"], "currency": "USD"}]
    # the default renewal table of the one vendor: one row per discount tier
    (sc,) = d["renewal"]
    assert sc["vendor"] == "OpenAI" and len(sc["rows"]) == 5
    assert all(r["commit_level"].endswith(".00") for r in sc["rows"])
    # and the inputs it was run from, as the Renewal page shows them for editing
    (ri,) = d["renewal_inputs"]
    assert (ri["vendor"], ri["baseline_monthly"]) == ("OpenAI", sc["baseline_monthly"])
    assert sc["name"].startswith(ri["name"])
    keys = [a["key"] for a in d["actions"]]
    assert "budget:Search AI:2026-02" in keys and "contract:C-1:shortfall" in keys
    assert {a["status"] for a in d["actions"]} == {"open"}


def test_analyze_text_still_works(files):
    out = cli("analyze", *files, "--as-of", "2026-02-14", "--format", "text")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("CommitDesk summary as of 2026-02-14 (amounts in USD)")
    assert "- C-1 (OpenAI, 2026-01-01 to 2026-02-28): consumed 2,250.00 USD of 5,900.00 USD" in out.stdout
    assert "INV-JAN" in out.stdout and "Search AI 2026-02" in out.stdout


def test_workspace_json_carries_the_checklist_people_set(tmp_path, files, capsys):
    ws_path = tmp_path / "w.commitdesk"
    status, _, err = run(capsys, "import", "--workspace", ws_path, *files[1::2])
    assert status == 0, err
    status, out, err = run(capsys, "analyze", "--workspace", ws_path, "--as-of", "2026-02-14", "--format", "json")
    assert status == 0, err
    first = json.loads(out)
    # the findings were synced into the checklist: open, opened on the as-of date
    assert {a["status"] for a in first["actions"]} == {"open"} and first["actions"]
    status, out, err = run(capsys, "analyze", *files, "--as-of", "2026-02-14", "--format", "json")
    assert status == 0, err
    from_files = json.loads(out)
    # files: the findings as fresh open actions, the same keys in the same order as the workspace's
    assert [list(a) for a in from_files["actions"]] == [list(a) for a in first["actions"]]
    assert from_files["actions"] == first["actions"]
    with Workspace.open(ws_path) as ws:
        record = type(ws.actions()[0])
        ws.set_action("budget:Search AI:2026-02", status="in_progress", notes="asked Carl to rate-limit")
    # every field of the workspace's action record, and the checklist's columns (owner may be a
    # property of the record: the owner in charge)
    checklist = ["key", "severity", "owner", "due", "status", "notes"]
    assert list(first["actions"][0])[:6] == checklist
    assert set(first["actions"][0]) == {f.name for f in dataclasses.fields(record)} | set(checklist)
    status, out, err = run(capsys, "analyze", "--workspace", ws_path, "--as-of", "2026-02-14", "--format", "json")
    assert status == 0, err
    acts = {a["key"]: a for a in json.loads(out)["actions"]}
    b = acts["budget:Search AI:2026-02"]
    assert (b["status"], b["notes"], b["owner"], b["due"]) == ("in_progress", "asked Carl to rate-limit", "carl",
                                                                "2026-02-15")
    assert acts["contract:C-1:shortfall"]["status"] == "open"
    # while the app holds the workspace, the JSON carries the checklist as last saved, and says so
    with Workspace.open(ws_path) as holder:
        holder.set_action("contract:C-1:shortfall", status="wont_fix", notes="ramp agreed")
        status, out, err = run(capsys, "analyze", "--workspace", ws_path, "--as-of", "2026-02-14",
                               "--format", "json")
    assert status == 0 and "the JSON carries the actions checklist as last saved" in err
    acts = {a["key"]: a for a in json.loads(out)["actions"]}
    assert (acts["contract:C-1:shortfall"]["status"], acts["contract:C-1:shortfall"]["notes"]) == (
        "wont_fix", "ramp agreed")
    assert acts["contract:C-1:shortfall"]["resolved_at"] == "2026-02-14"
    assert acts["budget:Search AI:2026-02"]["status"] == "in_progress"
