"""Analyst-level findings (ids B1..B19 of /work/team/qa-bugs.md), each as a test of the expected
behaviour. A test of a bug still open is marked xfail(strict=True) with its id; when the fix lands
the test XPASSes, fails strict, and the marker comes off (most of these have been fixed already and
now guard against regressions). Also here: controls that pass (half-up cents, zoned timestamps,
vendor JSON reports, an invoice xlsx, reference errors)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import openpyxl
import pytest

from .helpers import actuals, analyze, budgets_for, run, write


def _big_usage(path, cost: str, n: int):
    lines = ["date,vendor,cost,team,project,model"]
    lines += [f"2026-02-{i % 28 + 1:02d},OpenAI,{cost},Search,proj-{i % 50},gpt-4o-mini" for i in range(n)]
    return write(path, "\n".join(lines) + "\n")


# ---------------------------------------------------------------- B2: JSON accounting

def test_json_accounts_for_totals_rows(tmp_path, capsys):
    p = write(tmp_path / "u.csv", "date,vendor,cost\n2026-02-01,OpenAI,1.00\n2026-02-02,OpenAI,2.00\nTotal,,3.00\n")
    rep = analyze(capsys, "--usage", p)["imports"][0]
    assert (rep["rows_read"], rep["rows_imported"], rep["rows_rejected"], rep["totals_excluded"]) == (3, 2, 0, 1)


# ---------------------------------------------------------------- B3: import warnings not shown by analyze

def test_analyze_text_says_ambiguous_dates_were_guessed(tmp_path, capsys):
    p = write(tmp_path / "amb.csv", "date,vendor,cost\n03/04/2026,OpenAI,1.00\n05/06/2026,OpenAI,2.00\n")
    status, out, err = run(capsys, "analyze", "--usage", p, "--format", "text")
    assert status == 0, err
    assert ("warning: dates such as 03/04/2026 could be day-first or month-first (row 2, column 'date'); "
            "read as month/day/year (the default)") in out


def test_analyze_workspace_mentions_double_counting(tmp_path, capsys):
    a = write(tmp_path / "a.csv", "date,vendor,cost\n2026-02-01,OpenAI,1.00\n2026-02-02,OpenAI,2.00\n")
    b = write(tmp_path / "b.csv", "date,vendor,cost,project\n2026-02-01,OpenAI,1.00,x\n")
    w = tmp_path / "w.commitdesk"
    assert run(capsys, "import", "--workspace", w, a, b)[0] == 2  # b overlaps a: refused by default
    assert run(capsys, "import", "--workspace", w, "--on-overlap", "keep", b)[0] == 0
    status, out, err = run(capsys, "analyze", "--workspace", w, "--format", "text")
    assert status == 0, err
    assert "double counting" in out


# ---------------------------------------------------------------- B4: FX left-out rows invisible in JSON

def test_json_names_rows_left_out_for_fx(tmp_path, capsys):
    p = write(tmp_path / "mixed.csv", "date,vendor,cost,currency\n2026-02-01,OpenAI,10.00,USD\n"
              "2026-02-02,OpenAI,20.00,EUR\n")
    status, out, err = run(capsys, "analyze", "--usage", p, "--format", "json")
    assert status == 0, err
    assert json.loads(out)["warnings"] == [
        "mixed.csv row 3: no FX rate for EUR -> USD valid on 2026-02-02; the usage row is left out of the analysis"]


# ---------------------------------------------------------------- B5: scientific notation

def test_scientific_notation_amounts(tmp_path, capsys):
    p = write(tmp_path / "sci.csv", "date,vendor,cost,team\n2026-02-01,OpenAI,1.5E-02,Search\n"
              "2026-02-02,OpenAI,2.5e+03,Search\n2026-02-03,OpenAI,1.00,Search\n")
    b = budgets_for(tmp_path / "b.csv", {("OpenAI", "2026-02"): None})
    d = analyze(capsys, "--usage", p, "--budgets", b)
    assert d["imports"][0]["rows_rejected"] == 0
    assert actuals(d) == {("OpenAI", "2026-02"): Decimal("2501.02")}


def test_fast_and_careful_lanes_agree_on_scientific_notation(tmp_path, capsys):
    b = budgets_for(tmp_path / "b.csv", {("OpenAI", "2026-02"): None})
    small = analyze(capsys, "--usage", _big_usage(tmp_path / "small.csv", "1.5E-02", 1000),
                    "--budgets", b, "--as-of", "2026-02-28")
    big = analyze(capsys, "--usage", _big_usage(tmp_path / "big.csv", "1.5E-02", 30000),
                  "--budgets", b, "--as-of", "2026-02-28")
    assert actuals(big) == {("OpenAI", "2026-02"): Decimal("450.00")}  # passes today
    assert actuals(small) == {("OpenAI", "2026-02"): Decimal("15.00")}  # 0.00 today: all rows rejected


# ---------------------------------------------------------------- B6: percent-formatted xlsx cells

def _contracts_xlsx(path, percent_format: bool):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["contract_id", "vendor", "period_start", "period_end", "commitment", "discount_pct",
               "overage_multiplier", "shortfall_penalty_pct", "rollover_pct"])
    for start, end in ((dt.datetime(2026, 1, 1), dt.datetime(2026, 6, 30)),
                       (dt.datetime(2026, 7, 1), dt.datetime(2026, 12, 31))):
        ws.append(["C1", "OpenAI", start, end, 100000, 0.12, 1.25, 1.0, 0.25])
    if percent_format:
        for row in ws.iter_rows(min_row=2):
            for c in (row[5], row[7], row[8]):
                c.number_format = "0%"
    wb.save(path)
    return path


def test_percent_formatted_cells_in_contracts_xlsx(tmp_path, capsys):
    usage = write(tmp_path / "u.csv", "date,vendor,cost\n2026-01-01,OpenAI,10000\n2026-06-30,OpenAI,10000\n")
    p = _contracts_xlsx(tmp_path / "contracts.xlsx", percent_format=True)
    d = analyze(capsys, "--contracts", p, "--usage", usage, "--as-of", "2026-07-01")
    first = d["contracts"][0]["periods"][0]
    # shortfall 80,000; 25% of 100,000 rolls over; the rest is penalised at 100%
    assert (first["shortfall"], first["carry_out"], first["shortfall_penalty"]) == ("80000.00", "25000.00", "55000.00")


def test_percent_text_in_contracts_csv(tmp_path, capsys):
    """The same contract typed as text percentages in a CSV is read right (control for B6)."""
    usage = write(tmp_path / "u.csv", "date,vendor,cost\n2026-01-01,OpenAI,10000\n2026-06-30,OpenAI,10000\n")
    p = write(tmp_path / "c.csv", "contract_id,vendor,period_start,period_end,commitment,discount_pct,"
              "overage_multiplier,shortfall_penalty_pct,rollover_pct\n"
              "C1,OpenAI,2026-01-01,2026-06-30,100000,12%,1.25,100%,25%\n"
              "C1,OpenAI,2026-07-01,2026-12-31,100000,12%,1.25,100%,25%\n")
    d = analyze(capsys, "--contracts", p, "--usage", usage, "--as-of", "2026-07-01")
    first = d["contracts"][0]["periods"][0]
    assert (first["shortfall"], first["carry_out"], first["shortfall_penalty"]) == ("80000.00", "25000.00", "55000.00")


# ---------------------------------------------------------------- B7: every row rejected

def test_all_rows_rejected_names_file_row_column(tmp_path, capsys):
    p = write(tmp_path / "allbad.csv", "date,vendor,cost\n2026-02-01,OpenAI,abc\n2026-02-02,OpenAI,def\n")
    status, out, err = run(capsys, "analyze", "--usage", p, "--format", "json")
    assert status == 2
    assert "allbad.csv" in err and "row 2" in err and "cost" in err


# ---------------------------------------------------------------- B8: sub-micro amounts

def test_sub_micro_amounts_follow_the_documented_micro_rule(tmp_path, capsys):
    """docs/domain.md: each amount is rounded half-up to micros once, at import; totals are exact
    sums of those. 30,000 rows of 0.0000125 -> 0.000013 each -> 0.39 (the exact 0.375 would
    round to 0.38): the error is bounded by half a micro per row, here 0.015."""
    b = budgets_for(tmp_path / "b.csv", {("OpenAI", "2026-02"): None})
    d = analyze(capsys, "--usage", _big_usage(tmp_path / "tiny.csv", "0.0000125", 30000), "--budgets", b)
    assert actuals(d) == {("OpenAI", "2026-02"): Decimal("0.39")}
    # amounts with at most six decimals are exact whatever their number
    d = analyze(capsys, "--usage", _big_usage(tmp_path / "six.csv", "0.000013", 30000), "--budgets", b)
    assert actuals(d) == {("OpenAI", "2026-02"): Decimal("0.39")}


def test_half_up_cents_not_float(tmp_path, capsys):
    """1.005 and 2.675 are the classic float traps (binary 1.00499..., 2.67499...)."""
    p = write(tmp_path / "h.csv", "date,vendor,cost\n2026-02-01,OpenAI,1.005\n2026-02-02,Anthropic,2.675\n")
    b = budgets_for(tmp_path / "b.csv", {("OpenAI", "2026-02"): None, ("Anthropic", "2026-02"): None})
    d = analyze(capsys, "--usage", p, "--budgets", b)
    assert actuals(d) == {("OpenAI", "2026-02"): Decimal("1.01"), ("Anthropic", "2026-02"): Decimal("2.68")}


def test_timestamps_with_zones_cut_to_utc_day(tmp_path, capsys):
    p = write(tmp_path / "tz.csv", "date,vendor,cost\n2026-02-01T23:30:00-05:00,OpenAI,1.00\n"
              "2026-02-28T22:00:00-03:00,OpenAI,2.00\n2026-03-01T01:00:00+02:00,OpenAI,4.00\n"
              "2026-02-10 10:00:00Z,OpenAI,8.00\n")
    b = budgets_for(tmp_path / "b.csv", {("OpenAI", "2026-02"): None, ("OpenAI", "2026-03"): None})
    d = analyze(capsys, "--usage", p, "--budgets", b)
    assert actuals(d) == {("OpenAI", "2026-02"): Decimal("13.00"), ("OpenAI", "2026-03"): Decimal("2.00")}


def test_vendor_json_reports(tmp_path, capsys):
    """Anthropic cost report amounts are decimal strings in CENTS; OpenAI Costs API values are JSON
    numbers that must not be summed as floats (10 x 0.1 + 0.07 = 1.07)."""
    ant = {"data": [{"starting_at": "2026-02-01T00:00:00Z", "ending_at": "2026-02-02T00:00:00Z", "results": [
        {"currency": "USD", "amount": "123.45", "workspace_id": "wrkspc_1", "cost_type": "tokens",
         "model": "claude-sonnet-4-20250514", "token_type": "uncached_input_tokens"},
        {"currency": "USD", "amount": "0.5", "workspace_id": None, "cost_type": "web_search", "model": None}]},
        {"starting_at": "2026-02-28T00:00:00Z", "ending_at": "2026-03-01T00:00:00Z", "results": [
            {"currency": "USD", "amount": "99999.99", "workspace_id": "wrkspc_1", "cost_type": "tokens",
             "model": "claude-opus-4", "token_type": "output_tokens"}]}], "has_more": False, "next_page": None}
    oai = {"object": "page", "has_more": False, "next_page": None, "data": [
        {"object": "bucket", "start_time": 1769904000, "end_time": 1769990400, "results": [
            {"object": "organization.costs.result", "amount": {"value": 0.1, "currency": "usd"},
             "line_item": "gpt-4o, input", "project_id": "proj_1"}] * 10 + [
            {"object": "organization.costs.result", "amount": {"value": 0.07, "currency": "usd"},
             "line_item": "gpt-4o, output", "project_id": "proj_1"}]}]}
    a = write(tmp_path / "anthropic_cost.json", json.dumps(ant))
    o = write(tmp_path / "openai_costs.json", json.dumps(oai))
    b = budgets_for(tmp_path / "b.csv", {("Anthropic", "2026-02"): None, ("OpenAI", "2026-02"): None})
    d = analyze(capsys, "--usage", a, o, "--budgets", b)
    assert [r["format"] for r in d["imports"][:2]] == ["anthropic-cost-report", "openai-costs-api"]
    # 1.2345 + 0.005 + 999.9999 = 1001.2394
    assert actuals(d) == {("Anthropic", "2026-02"): Decimal("1001.24"), ("OpenAI", "2026-02"): Decimal("1.07")}


def test_invoice_xlsx_with_title_total_tax_and_credit(tmp_path, capsys):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Vendor invoices Q1 2026"])
    ws.append([])
    ws.append(["Invoice ID", "Vendor", "Invoice date", "Period start", "Period end", "Description", "Amount",
               "Line type"])
    head = ["INV-1", "OpenAI, L.L.C.", dt.datetime(2026, 3, 3), dt.datetime(2026, 2, 1), dt.datetime(2026, 2, 28)]
    ws.append(head + ["gpt-4o input", "$1,000.10", "usage"])
    ws.append(head + ["gpt-4o output", 250.205, "usage"])
    ws.append(head + ["VAT", "87.50", "tax"])
    ws.append(head + ["Credit", "(50.00)", "credit"])
    ws.append(["Total", None, None, None, None, None, 1287.81, None])
    p = tmp_path / "invoices.xlsx"
    wb.save(p)
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-02-10,OpenAI,1200.00\n")
    d = analyze(capsys, "--usage", u, "--invoices", p)
    inv = d["invoices"][0]
    # 1000.10 + 250.205 - 50.00 = 1200.305 -> 1200.31; tax apart
    assert (inv["invoiced"], inv["tax"], inv["expected"], inv["variance"]) == ("1200.31", "87.50", "1200.00", "0.31")
    assert inv["vendor"] == "OpenAI" and inv["status"] == "within_tolerance"
    rep = d["imports"][1]
    assert (rep["rows_read"], rep["rows_imported"], rep["rows_rejected"]) == (5, 4, 0)


@pytest.mark.parametrize("name,text,where", [
    ("overlap.csv", "contract_id,vendor,period_start,period_end,commitment\nA,OpenAI,2026-01-01,2026-06-30,100\n"
                    "A,OpenAI,2026-06-30,2026-12-31,100\n", ("row 3", "period_start")),
])
def test_reference_errors_exit_2_with_file_row_column(tmp_path, capsys, name, text, where):
    p = write(tmp_path / name, text)
    status, _, err = run(capsys, "analyze", "--contracts", p)
    assert status == 2 and name in err and all(w in err for w in where)


def test_usage_row_fitting_two_contracts(tmp_path, capsys):
    c = write(tmp_path / "two.csv", "contract_id,vendor,period_start,period_end,commitment\n"
              "A,OpenAI,2026-01-01,2026-12-31,100\nB,openai,2026-02-01,2026-02-28,100\n")
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-01-10,OpenAI,1.00\n2026-02-10,OpenAI,2.00\n")
    status, out, err = run(capsys, "analyze", "--contracts", c, "--usage", u, "--format", "json")
    # was exit 2; now B (newer) draws February down and a warning names the days and the amount
    assert status == 0, err
    d = json.loads(out)
    assert {x["contract_id"]: x["consumed_to_date"] for x in d["contracts"]} == {"A": "1.00", "B": "2.00"}
    assert ("contracts A and B of OpenAI overlap on 2026-02-01..2026-02-28 (28 days): usage without contract_id "
            "in those days draws down the newer contract B (1 row, USD 2.00); give a row contract_id A to draw "
            "down A") in d["warnings"]


def test_strict_makes_a_rejected_row_fatal(tmp_path, capsys):
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-01-10,OpenAI,1.00\n2026-01-11,OpenAI,abc\n")
    assert run(capsys, "analyze", "--usage", u)[0] == 0
    status, _, err = run(capsys, "analyze", "--usage", u, "--strict")
    assert status == 2 and "u.csv" in err and "row 3" in err and "cost" in err


# ---------------------------------------------------------------- B10: same file twice in file mode

def test_same_file_twice_is_not_silently_double_counted(tmp_path, capsys):
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-01-10,OpenAI,1.00\n2026-02-10,OpenAI,1.00\n")
    copy = write(tmp_path / "u_copy.csv", u.read_text())
    b = budgets_for(tmp_path / "b.csv", {("OpenAI", "2026-02"): None})
    status, out, err = run(capsys, "analyze", "--usage", u, copy, "--budgets", b, "--format", "text")
    assert status == 2 and out == ""
    assert f"{copy}: the same content as {u} (both given as usage)" in err


# ---------------------------------------------------------------- B14: rate card matched by model only

@pytest.mark.parametrize("order", ["input-first", "output-first"])
def test_premium_rate_uses_the_lines_meter(tmp_path, capsys, order):
    rows = ["OpenAI,gpt-4o,input_tokens,0.00220,1K tokens", "OpenAI,gpt-4o,output_tokens,0.00880,1K tokens"]
    if order == "output-first":
        rows.reverse()
    rc = write(tmp_path / "rates.csv", "vendor,model,meter,contracted_price,unit\n" + "\n".join(rows) + "\n")
    inv = write(tmp_path / "inv.csv", "invoice_id,vendor,invoice_date,period_start,period_end,description,model,"
                "meter,quantity,unit_price,amount\n"
                "INV-1,OpenAI,2026-03-02,2026-02-01,2026-02-28,gpt-4o input,gpt-4o,input_tokens,1000,0.00300,3.00\n"
                "INV-1,OpenAI,2026-03-02,2026-02-01,2026-02-28,gpt-4o output,gpt-4o,output_tokens,1000,0.00880,8.80\n")
    u = write(tmp_path / "u.csv", "date,vendor,model,meter,cost\n2026-02-10,OpenAI,gpt-4o,input_tokens,2.20\n"
              "2026-02-10,OpenAI,gpt-4o,output_tokens,8.80\n")
    i = analyze(capsys, "--usage", u, "--invoices", inv, "--rate-card", rc)["invoices"][0]
    # the input line is billed at 0.00300 against 0.00220 contracted: (0.0030 - 0.0022) x 1000 = 0.80;
    # the output line is billed exactly at its contracted price
    assert [(f["line"], f["flag"], f["leakage"]) for f in i["flags"]] == [(2, "premium_rate", "0.80")]
    assert i["premium_leakage"] == "0.80"


# ---------------------------------------------------------------- B15: unknown contract_id

def test_usage_with_unknown_contract_id_is_reported(tmp_path, capsys):
    c = write(tmp_path / "c.csv", "contract_id,vendor,period_start,period_end,commitment\n"
              "OAI-2026,OpenAI,2026-01-01,2026-12-31,36500\n")
    u = write(tmp_path / "u.csv", "date,vendor,cost,contract_id\n2026-03-01,OpenAI,100.00,OAI-2026\n"
              "2026-03-02,OpenAI,900.00,OAI-2O26\n")  # a typo: letter O for zero
    d = analyze(capsys, "--contracts", c, "--usage", u)
    assert d["contracts"][0]["consumed_to_date"] == "100.00"
    status, out, _ = run(capsys, "analyze", "--contracts", c, "--usage", u, "--format", "text")
    assert "OAI-2O26" in out


# ---------------------------------------------------------------- B16: one FOCUS file as usage and invoices

def test_focus_file_as_usage_and_invoices(tmp_path, capsys):
    import csv
    from pathlib import Path

    src = Path(__file__).resolve().parents[1] / "data" / "focus-spec-examples" / "per_token_foundation_model_api.csv"
    with open(src, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    path = tmp_path / "focus_with_invoice.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(rows[0]) + ["InvoiceId"])
        w.writeheader()
        w.writerows({**r, "InvoiceId": "INV-2025-05"} for r in rows)
    d = analyze(capsys, "--usage", path, "--invoices", path)
    inv = d["invoices"][0]
    billed = sum(Decimal(r["BilledCost"]) for r in rows)
    effective = sum(Decimal(r["EffectiveCost"]) for r in rows)
    assert (Decimal(inv["invoiced"]), Decimal(inv["expected"])) == (billed, effective)


# ---------------------------------------------------------------- B17: budget vendor value given as an alias

def test_budget_vendor_value_accepts_known_aliases(tmp_path, capsys):
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-02-01,AWS,13.00\n2026-02-02,OpenAI,10.00\n"
              "2026-02-03,Microsoft,2.00\n")
    b = write(tmp_path / "b.csv", "allocation,month,budget,dimension,value\n"
              "A1,2026-02,100,vendor,AWS\nA2,2026-02,100,vendor,Amazon Web Services\n"
              "O1,2026-02,100,vendor,OpenAI\nO2,2026-02,100,vendor,open ai\n"
              "M1,2026-02,100,vendor,Microsoft\nM2,2026-02,100,vendor,Azure\n")
    d = analyze(capsys, "--usage", u, "--budgets", b)
    got = {x["allocation"]: x["actual"] for x in d["budgets"]}
    assert (got["A1"], got["O1"], got["M1"]) == ("13.00", "10.00", "2.00")  # passes today
    assert (got["A2"], got["O2"], got["M2"]) == ("13.00", "10.00", "2.00")  # 0.00 today


# ---------------------------------------------------------------- B18: two columns with the same name

def test_duplicate_column_names_are_reported(tmp_path, capsys):
    p = write(tmp_path / "dup.csv", "date,vendor,cost,cost,team\n2026-02-01,OpenAI,1.00,2.00,A\n")
    status, out, err = run(capsys, "analyze", "--usage", p, "--format", "json")
    assert status == 0, err
    rep = json.loads(out)["imports"][0]
    assert rep["warnings"] == ["2 columns are named 'cost' (column 3, column 4); the first (column 3) was "
                               "read as cost, the other(s) ignored: rename them to choose"]


# ---------------------------------------------------------------- B19: one typo'd future date moves the as-of date

def test_future_dated_usage_row_is_flagged(tmp_path, capsys):
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-02-01,OpenAI,100\n2026-02-02,OpenAI,100\n"
              "2062-02-03,OpenAI,1\n")
    c = write(tmp_path / "c.csv", "contract_id,vendor,period_start,period_end,commitment\n"
              "C,OpenAI,2026-01-01,2026-12-31,36500\n")
    status, out, err = run(capsys, "analyze", "--usage", u, "--contracts", c, "--format", "text")
    # either refused, or the report points at the row that decided the as-of date
    assert status == 2 or ("Warnings" in out and "row 4" in out.split("Warnings", 1)[1]) or "u.csv, row 4" in out


# ---------------------------------------------------------------- B20/B21: extreme dates -> internal errors

def test_budget_month_year_one(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COMMITDESK_DEBUG", raising=False)
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-01-10,OpenAI,1.00\n")
    b = write(tmp_path / "b.csv", "allocation,month,budget,dimension,value\nA,0001-01,100,team,A\n")
    status, _, err = run(capsys, "analyze", "--usage", u, "--budgets", b)
    assert status == 2 and "b.csv" in err and "row 2" in err and "month" in err


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_as_of_out_of_range(tmp_path, capsys, monkeypatch, as_of):
    monkeypatch.delenv("COMMITDESK_DEBUG", raising=False)
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-01-10,OpenAI,1.00\n")
    with pytest.raises(SystemExit) as exc:  # argparse refuses the value
        run(capsys, "analyze", "--usage", u, "--as-of", as_of)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--as-of" in err and as_of in err


def test_usage_date_beyond_2262(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COMMITDESK_DEBUG", raising=False)
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2262-04-12,OpenAI,1.00\n2026-02-01,OpenAI,1.00\n")
    status, out, err = run(capsys, "analyze", "--usage", u, "--format", "json")
    assert status == 0, err  # the row rejected with its row and column, the rest analysed
    rep = json.loads(out)["imports"][0]
    assert (rep["rows_read"], rep["rows_imported"], rep["rows_rejected"]) == (2, 1, 1)
    assert (rep["errors"][0]["row"], rep["errors"][0]["column"]) == (2, "date")


def test_commit_period_typo_in_the_year(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("COMMITDESK_DEBUG", raising=False)
    c = write(tmp_path / "c.csv", "contract_id,vendor,period_start,period_end,commitment\n"
              "C,OpenAI,1726-01-01,2026-12-31,100\n")
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-01-10,OpenAI,1.00\n")
    status, _, err = run(capsys, "analyze", "--contracts", c, "--usage", u)
    # a reference file with a rejected row is refused, naming the cell
    assert status == 2 and "internal error" not in err
    assert "c.csv, row 2, column 'period_start'" in err and "1726-01-01" in err


# ---------------------------------------------------------------- B24: an invoice judged without its rejected lines

def test_invoice_with_rejected_lines_is_marked_partial(tmp_path, capsys):
    inv = write(tmp_path / "inv.csv", "invoice_id,vendor,invoice_date,period_start,period_end,description,amount,"
                "line_type\nI1,OpenAI,2026-03-01,2026-02-01,2026-02-28,usage,100.00,usage\n"
                "I1,OpenAI,2026-03-01,2026-02-01,2026-02-28,credit,-10.00,Credit Memo\n"
                "I1,OpenAI,2026-03-01,2026-02-01,2026-02-28,odd,-10.00,zzz\n")
    u = write(tmp_path / "u.csv", "date,vendor,cost\n2026-02-10,OpenAI,95.00\n")
    status, out, err = run(capsys, "analyze", "--usage", u, "--invoices", inv, "--format", "text")
    assert status == 0, err
    lines = out.splitlines()
    i = next(k for k, x in enumerate(lines) if x.startswith("- I1 "))
    block = "\n".join([lines[i]] + [x for x in lines[i + 1:i + 4] if x.startswith("  ")])
    assert "invoiced 90.00" in block  # "Credit Memo" read as a credit
    assert "inv.csv had 1 invoice line rejected at import (row 4); this invoice may be incomplete" in block, block
