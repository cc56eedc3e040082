"""`python -m desktop analyze`: JSON on the demo, exit status 2 with file/row/column on bad input."""

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from desktop.cli import main

ROOT = Path(__file__).resolve().parents[1]
MONEY = re.compile(r"^-?\d+\.\d\d$")

COMMITS = (
    "contract_id,vendor,period_start,period_end,commitment,owner,escalation_owner\n"
    "C-1,OpenAI,2026-01-01,2026-03-31,9000.00,Ann,Bob\n"
)
USAGE = "date,vendor,cost,team\n2026-01-01,OpenAI,100.00,Search\n2026-01-02,openai,50.50,Search\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def run(capsys, *argv):
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_demo_json_follows_the_contract(capsys):
    status, out, err = run(capsys, "analyze", "--demo", "--format", "json")
    assert status == 0, err
    d = json.loads(out)
    assert d["as_of"] == "2026-11-15" and d["currency"] == "USD"
    assert len(d["contracts"]) >= 3
    for c in d["contracts"]:
        for key in ("commitment", "consumed_to_date", "expected_to_date", "projected_consumption",
                    "shortfall_exposure", "overage", "overage_premium"):
            assert MONEY.match(c[key]), (key, c[key])
        # computed contract figures sum the rounded periods; consumed (a row total) is rounded once
        for key, pkey in (("commitment", "commitment"), ("expected_to_date", "expected"),
                          ("projected_consumption", "projected"), ("overage", "overage")):
            total = sum(int(p[pkey].replace(".", "")) for p in c["periods"])
            assert total == int(c[key].replace(".", "")), key
        total = sum(int(p["consumed"].replace(".", "")) for p in c["periods"])
        assert abs(total - int(c["consumed_to_date"].replace(".", ""))) <= len(c["periods"])
    assert {r["kind"] for r in d["imports"]} >= {"commitments", "usage", "invoices", "budgets"}
    for r in d["imports"]:
        assert r["rows_read"] > 0 and r["rows_rejected"] == 0
        assert r["rows_read"] == r["rows_imported"]


def test_small_files_hand_computed(tmp_path, capsys):
    c = write(tmp_path, "c.csv", COMMITS)
    u = write(tmp_path, "u.csv", USAGE)
    status, out, err = run(capsys, "analyze", "--contracts", str(c), "--usage", str(u),
                           "--as-of", "2026-01-02", "--format", "json")
    assert status == 0, err
    k = json.loads(out)["contracts"][0]
    # 90 days; T = Jan 2 -> elapsed 2 -> expected 9000 x 2/90 = 200.00; consumed 150.50
    assert k["consumed_to_date"] == "150.50"
    assert k["expected_to_date"] == "200.00"
    assert k["pacing_ratio"] == pytest.approx(150.50 / 200)
    assert k["band"] == "shortfall_risk"


def test_missing_required_column_exits_2_naming_file_and_column(tmp_path, capsys):
    c = write(tmp_path, "c.csv", COMMITS.replace("commitment,", "amount_x,"))
    status, _, err = run(capsys, "analyze", "--contracts", str(c), "--format", "json")
    assert status == 2
    assert "c.csv" in err and "commitment" in err
    assert "Traceback" not in err


def test_unparseable_number_in_commitments_exits_2_with_row_and_column(tmp_path, capsys):
    c = write(tmp_path, "c.csv", COMMITS.replace("9000.00", "nine thousand"))
    u = write(tmp_path, "u.csv", USAGE)
    status, _, err = run(capsys, "analyze", "--contracts", str(c), "--usage", str(u))
    assert status == 2
    assert "c.csv" in err and "row 2" in err and "commitment" in err


def test_overlapping_periods_exit_2(tmp_path, capsys):
    c = write(tmp_path, "c.csv", COMMITS + "C-1,OpenAI,2026-03-01,2026-06-30,9000.00,Ann,Bob\n")
    u = write(tmp_path, "u.csv", USAGE)
    status, _, err = run(capsys, "analyze", "--contracts", str(c), "--usage", str(u))
    assert status == 2
    assert "c.csv" in err and "row 3" in err and "overlap" in err.lower()


def test_usage_row_fitting_two_contracts_draws_down_the_newer_one(tmp_path, capsys):
    # C-1 and C-2 both start 2026-01-01: the later contract_id is the newer one
    c = write(tmp_path, "c.csv", COMMITS + "C-2,OpenAI,2026-01-01,2026-01-31,1000.00,Ann,Bob\n")
    u = write(tmp_path, "u.csv", USAGE)
    status, out, err = run(capsys, "analyze", "--contracts", str(c), "--usage", str(u), "--format", "json")
    assert status == 0, err
    d = json.loads(out)
    assert {x["contract_id"]: x["consumed_to_date"] for x in d["contracts"]} == {"C-1": "0.00", "C-2": "150.50"}
    assert any(w.startswith("contracts C-1 and C-2 of OpenAI overlap on 2026-01-01..2026-01-31 (31 days)")
               for w in d["warnings"])


def test_bad_usage_row_is_listed_and_good_rows_import(tmp_path, capsys):
    c = write(tmp_path, "c.csv", COMMITS)
    u = write(tmp_path, "u.csv", USAGE + "2026-01-03,OpenAI,abc,Search\n")
    status, out, err = run(capsys, "analyze", "--contracts", str(c), "--usage", str(u),
                           "--as-of", "2026-01-03", "--format", "json")
    assert status == 0, err
    d = json.loads(out)
    rep = [r for r in d["imports"] if r["file"] == "u.csv"][0]
    assert (rep["rows_read"], rep["rows_imported"], rep["rows_rejected"]) == (3, 2, 1)
    assert rep["errors"][0]["row"] == 4 and rep["errors"][0]["column"] == "cost"
    assert d["contracts"][0]["consumed_to_date"] == "150.50"


def test_missing_file_and_no_input_exit_2(tmp_path, capsys):
    status, _, err = run(capsys, "analyze", "--usage", str(tmp_path / "nope.csv"))
    assert status == 2 and "nope.csv" in err
    status, _, err = run(capsys, "analyze")
    assert status == 2 and "no input" in err


def test_binary_junk_exits_2_without_traceback(tmp_path, capsys):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 50)
    status, _, err = run(capsys, "analyze", "--usage", str(junk))
    assert status == 2 and "junk.csv" in err and "Traceback" not in err


def test_python_dash_m_entry_point(tmp_path):
    c = write(tmp_path, "c.csv", COMMITS.replace("9000.00", "x"))
    out = subprocess.run([sys.executable, "-m", "desktop", "analyze", "--contracts", str(c)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "c.csv" in out.stderr and "Traceback" not in out.stderr


def test_brief_refuses_a_name_that_is_not_xlsx(tmp_path, capsys):
    status, _, err = run(capsys, "brief", "--demo", "--out", str(tmp_path / "brief.csv"))
    assert status == 2 and "brief.csv" in err and ".xlsx" in err
    assert not (tmp_path / "brief.csv").exists()


def test_actions_as_of_is_a_view_that_says_which_findings_hold(tmp_path, capsys):
    from desktop.resources import demo_files
    from desktop.store import Workspace

    ws = tmp_path / "w.commitdesk"
    status, _, err = run(capsys, "import", "--workspace", str(ws), *map(str, demo_files().values()))
    assert status == 0, err
    status, out, err = run(capsys, "actions", "--workspace", str(ws))
    assert status == 0, err
    assert "budget:" in out and "contract:OAI-2026-RAMP" in out
    with Workspace.open(ws, readonly=True) as w:
        before = w.actions()
    # two months after the data: the November budget lines are history there, yet nothing closes
    status, out, err = run(capsys, "actions", "--workspace", str(ws), "--as-of", "2027-01-15")
    assert status == 0, err
    lines = out.strip().splitlines()
    assert lines[0] == "key\tseverity\towner\tdue\ttitle\tat 2027-01-15"
    budget = [ln for ln in lines if ln.startswith("budget:") and ":2026-11\t" in ln]
    assert budget and all(ln.endswith("\t-") for ln in budget)
    assert any(ln.endswith("\tholds") for ln in lines[1:-1])
    with Workspace.open(ws, readonly=True) as w:
        assert w.actions() == before and w.actions_as_of() == date(2026, 11, 15)
    with pytest.raises(SystemExit) as exit_:
        main(["actions", "--workspace", str(ws), "--as-of", "1726-01-01"])
    assert exit_.value.code == 2 and "1726-01-01 lies outside 1900-2261" in capsys.readouterr().err


def _analyze_value(report: dict, section: str, ident: str, field: str) -> str:
    """The figure ``field`` of the result ``ident`` in analyze's JSON (ids as explain prints them)."""
    if section == "contracts":
        return next(c for c in report["contracts"] if c["contract_id"] == ident)[field]
    if section == "periods":
        cid, start = ident.rsplit("/", 1)
        c = next(c for c in report["contracts"] if c["contract_id"] == cid)
        return next(p for p in c["periods"] if p["period_start"] == start)[field]
    if section == "invoices":
        return next(i for i in report["invoices"] if i["invoice_id"] == ident)[field]
    if section == "budgets":
        alloc, month = ident.rsplit("/", 1)
        return next(b for b in report["budgets"] if b["allocation"] == alloc and b["month"] == month)[field]
    if section == "chargeback":
        month, cc, gl = ident.split("/")
        return next(x for x in report["chargeback"]
                    if (x["month"], x["cost_center"], x["gl_account"]) == (month, cc, gl))[field]
    if section == "anomalies":
        dim, rest = ident.split("/", 1)
        value, day = rest.rsplit("/", 1)
        return next(a for a in report["anomalies"] if (a["dimension"], a["value"], a["date"]) == (dim, value, day))[field]
    if section == "rate_audit":
        return next(x for x in report["rate_audit"] if "/".join(
            (x["vendor"], x["period_start"], x["period_end"], x["contract_id"] or "", x["model_key"], x["token_kind"],
             x["service_tier"])) == ident)[field]
    if section == "unit_prices":
        return next(x for x in report["unit_prices"] if "/".join(
            (x["vendor"], x["model_key"], x["token_kind"], x["service_tier"])) == ident)[field]
    if section == "tie_outs":
        return next(t for t in report["tie_outs"] if t["key"] == ident)[field]
    raise AssertionError(section)


@pytest.mark.parametrize("argv", [
    ("--demo",),
    ("--demo", "--as-of", "2026-06-30"),
])
def test_explain_and_analyze_agree_figure_by_figure(capsys, argv):
    status, out, err = run(capsys, "explain", *argv, "--format", "json")
    assert status == 0, err
    figs = json.loads(out)
    status, out, err = run(capsys, "analyze", *argv, "--format", "json")
    assert status == 0, err
    report = json.loads(out)
    assert figs["as_of"] == report["as_of"]
    sections = {f["section"] for f in figs["figures"]}
    assert {"contracts", "periods", "invoices", "budgets", "chargeback"} <= sections
    checked = 0
    for f in figs["figures"]:
        assert MONEY.match(f["value"]) and MONEY.match(f["rows_total"]), f
        if f["section"] == "chargeback":
            # the month is rounded as a whole: a line is within a cent of its rows
            assert abs(int(f["value"].replace(".", "")) - int(f["rows_total"].replace(".", ""))) <= 1, f
        else:
            assert f["value"] == f["rows_total"], f
        assert _analyze_value(report, f["section"], f["id"], f["field"]) == f["value"], f
        checked += 1
    assert checked > 50


def test_explain_rows_lists_each_source_row(tmp_path, capsys):
    c = write(tmp_path, "c.csv", COMMITS)
    u = write(tmp_path, "u.csv", USAGE)
    status, out, err = run(capsys, "explain", "--contracts", str(c), "--usage", str(u), "--as-of", "2026-01-02",
                           "--format", "json", "--rows")
    assert status == 0, err
    d = json.loads(out)
    contract = next(f for f in d["figures"] if f["section"] == "contracts")
    assert (contract["id"], contract["field"], contract["value"], contract["rows"]) == (
        "C-1", "consumed_to_date", "150.50", 2)
    assert contract["sources"] == [{"file": "u.csv", "row": 2, "amount": "100.00"},
                                   {"file": "u.csv", "row": 3, "amount": "50.50"}]
    period = next(f for f in d["figures"] if f["section"] == "periods")
    assert period["id"] == "C-1/2026-01-01" and period["rows_total"] == "150.50"
def test_a_workspace_whose_analysis_fails_exits_2_with_the_reason(tmp_path, capsys):
    """The CLI side of opening a failing workspace: analyze and brief say why (file, row,
    column) and exit 2; no brief is written from figures that cannot be computed."""
    from desktop.resources import demo_files

    ws = tmp_path / "w.commitdesk"
    overlap = write(tmp_path, "overlap.csv", "contract_id,vendor,period_start,period_end,commitment\n"
                                             "OAI-2026-RAMP,OpenAI,2026-03-15,2026-05-31,50000.00\n")
    status, _, err = run(capsys, "import", "--workspace", str(ws), *map(str, demo_files().values()), str(overlap))
    assert status == 0, err
    reason = ("overlap.csv, row 2, column 'period_start': commit period 2026-03-15..2026-05-31 of contract "
              "OAI-2026-RAMP overlaps the period 2026-01-01..2026-03-31")
    status, out, err = run(capsys, "analyze", "--workspace", str(ws), "--format", "json")
    assert status == 2 and out == "" and reason in err and "Traceback" not in err
    status, _, err = run(capsys, "brief", "--workspace", str(ws), "--out", str(tmp_path / "b.xlsx"))
    assert status == 2 and reason in err
    assert not (tmp_path / "b.xlsx").exists()


def test_explain_and_analyze_agree_on_a_generated_scenario(tmp_path, capsys):
    import random

    rnd = random.Random(12)
    vendors = ("OpenAI", "Anthropic", "azure openai service")
    teams = ("Search", " search", "SUPPORT", "Support", "")
    lines = ["date,vendor,cost,team,model"]
    for _ in range(400):
        day = f"2026-{rnd.randint(1, 5):02d}-{rnd.randint(1, 28):02d}"
        cost = f"{rnd.randint(-500, 90000) / 1000:.3f}"  # sub-cent amounts and credits
        lines.append(f"{day},{rnd.choice(vendors)},{cost},{rnd.choice(teams)},{rnd.choice(('gpt-4o', 'GPT-4o', 'claude'))}")
    u = write(tmp_path, "usage.csv", "\n".join(lines) + "\n")
    c = write(tmp_path, "contracts.csv",
              "contract_id,vendor,period_start,period_end,commitment\n"
              "O,OpenAI,2026-01-01,2026-03-31,2000.00\nO,OpenAI,2026-04-01,2026-06-30,2500.00\n"
              "Z,Azure OpenAI,2026-02-01,2026-12-31,9000.00\n")
    b = write(tmp_path, "budgets.csv",
              "allocation,month,budget,dimension,value,vendor\n"
              "S,2026-03,500.00,team,search,\nA,2026-04,300.00,vendor,Azure OpenAI Service,\n"
              "M,2026-02,100.00,model,gpt-4o,OpenAI\n")
    i = write(tmp_path, "invoices.csv",
              "invoice_id,vendor,invoice_date,period_start,period_end,amount,line_type\n"
              "I1,OpenAI,2026-04-03,2026-03-01,2026-03-31,1234.56,usage\nI1,OpenAI,2026-04-03,2026-03-01,2026-03-31,99.00,tax\n"
              "I2,Anthropic,2026-05-02,,,777.77,usage\n")
    argv = ("--usage", str(u), "--contracts", str(c), "--budgets", str(b), "--invoices", str(i), "--as-of", "2026-05-20")
    status, out, err = run(capsys, "explain", *argv, "--format", "json")
    assert status == 0, err
    figs = json.loads(out)["figures"]
    status, out, err = run(capsys, "analyze", *argv, "--format", "json")
    assert status == 0, err
    report = json.loads(out)
    checked = 0
    for f in figs:
        if f["section"] != "chargeback":
            assert f["value"] == f["rows_total"], f
        assert _analyze_value(report, f["section"], f["id"], f["field"]) == f["value"], f
        checked += 1
    assert {f["section"] for f in figs} >= {"contracts", "periods", "invoices", "budgets", "chargeback"}
    budget = {f["id"]: f for f in figs if f["section"] == "budgets"}
    assert budget["A/2026-04"]["rows"] > 0  # the alias line finds the Azure rows
    assert checked == len(figs) > 20
