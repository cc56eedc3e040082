"""Exports that tie out (issue 13 step 4): a FOCUS export delivered in several snapshots keeps the
latest one and says what it left out; its BilledCost per InvoiceId is tied to the imported
invoice and the residual shown, in `analyze` JSON and explain. Every figure computed by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.domain import provenance as prov
from desktop.domain import tables
from desktop.domain.analysis import build_analysis
from desktop.domain.explain import explain
from desktop.domain.snapshots import latest_snapshots
from desktop.ingest import load_inputs, read_file

HEADER = ("BilledCost,EffectiveCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,"
          "ChargeCategory,ChargePeriodStart,ChargePeriodEnd,InvoiceId,ServiceProviderName,InvoiceIssuerName,"
          "ServiceName")


def row(billed, effective, day, category="Usage", invoice="INV-0601", account="acct-1", currency="USD",
        month="06", extra=()):
    start = f"2026-{month}-{day:02d}T00:00:00Z"
    nxt = f"2026-{month}-{day + 1:02d}T00:00:00Z" if day < 30 else f"2026-{int(month) + 1:02d}-01T00:00:00Z"
    return ",".join([billed, effective, account, currency, f"2026-{month}-01T00:00:00Z",
                     f"2026-{int(month) + 1:02d}-01T00:00:00Z", category, start, nxt, invoice, "OpenAI", "OpenAI",
                     "API", *extra])


def focus(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


# June snapshot delivered on the 3rd: two days; re-delivered after the month closed: the same two
# days (restated: the first day's BilledCost 100 -> 100, effective 90), the 30th and its tax.
EARLY = [row("100.00", "90.00", 1), row("150.00", "150.00", 2)]
LATE = [row("100.00", "90.00", 1), row("150.00", "150.00", 2), row("200.00", "200.00", 30),
        row("25.50", "25.50", 30, "Tax")]
INVOICE = ("invoice_id,vendor,invoice_date,amount,period_start,period_end,line_type\n"
           "INV-0601,OpenAI,2026-07-03,450.00,2026-06-01,2026-06-30,usage\n"
           "INV-0601,OpenAI,2026-07-03,25.50,2026-06-01,2026-06-30,tax\n"
           "INV-0601,OpenAI,2026-07-03,1.25,2026-06-01,2026-06-30,adjustment\n")


@pytest.fixture
def delivered_twice(tmp_path):
    early = focus(tmp_path / "focus-june-0603.csv", EARLY)
    late = focus(tmp_path / "focus-june-0702.csv", LATE)
    inv = tmp_path / "invoices.csv"
    inv.write_text(INVOICE, encoding="utf-8")
    return early, late, inv


def test_done_when_focus_delivered_twice_shows_the_dropped_snapshot_and_the_residual(delivered_twice, capsys):
    early, late, inv = delivered_twice
    assert main(["analyze", "--usage", str(early), str(late), "--invoices", str(inv), "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    # the early snapshot: 2 rows, effective cost 90.00 + 150.00 = 240.00, left out (its data ends Jun 2)
    assert d["snapshots"] == [{
        "file": "focus-june-0603.csv", "kept_file": "focus-june-0702.csv", "vendor": "OpenAI",
        "billing_account": "acct-1", "billing_period": "2026-06-01", "rows": 2, "amount": "240.00",
        "currency": "USD", "decided_by": "later_data",
        "detail": "focus-june-0603.csv: 2 rows (240.00 USD) of OpenAI, billing account acct-1, billing period "
                  "starting 2026-06-01 left out: an earlier snapshot of the export in focus-june-0702.csv, "
                  "which is kept (its rows run to 2026-06-30, this file's to 2026-06-02)"}]
    # BilledCost of the kept snapshot: 100 + 150 + 200 + 25.50 (tax) = 475.50; the invoice's every
    # line: 450 + 25.50 + 1.25 = 476.75; residual 476.75 - 475.50 = 1.25
    (tie,) = d["tie_outs"]
    assert (tie["key"], tie["matched_by"], tie["invoice_ids"], tie["currency"]) == (
        "INV-0601", "invoice_id", ["INV-0601"], "USD")
    assert (tie["billed"], tie["invoiced"], tie["residual"], tie["status"], tie["rows"]) == (
        "475.50", "476.75", "1.25", "residual", 4)
    assert tie["files"] == ["focus-june-0702.csv"]
    # the figures count June once: expected = effective cost of the kept snapshot 90+150+200+25.50
    assert d["invoices"][0]["expected"] == "465.50"
    assert sum(Decimal(c["amount"]) for c in d["chargeback"]) == Decimal("465.50")
    # said in the warnings and in the left-out file's import report, never silent
    assert d["snapshots"][0]["detail"] in d["warnings"]
    reports = {r["file"]: r for r in d["imports"]}
    assert d["snapshots"][0]["detail"] in reports["focus-june-0603.csv"]["warnings"]
    # the kept file is no longer "possible double counting": the early snapshot is out
    assert not [w for w in reports["focus-june-0702.csv"]["warnings"] if "double counting" in w]


def test_explain_reads_the_tie_out_rows(delivered_twice):
    early, late, inv = delivered_twice
    a = build_analysis(load_inputs({"usage": [early, late], "invoices": [inv]}))
    e = explain(a, "tie_out", "INV-0601", "billed")
    assert e.value == "475.50 USD" and e.source_count == 4 and e.sources_total == Decimal("475.50")
    assert {s.file for s in e.sources} == {"focus-june-0702.csv"}
    e = explain(a, "tie_out", "INV-0601", "invoiced")
    assert e.value == "476.75 USD" and [s.row for s in e.sources] == [2, 3, 4]
    e = explain(a, "tie_out", "INV-0601", "residual")
    assert e.value == "1.25 USD"
    assert ("Residual", "1.25 USD") in e.steps
    figures = {(f.section, f.field): (f.value, prov.total(a, f.rows)) for f in prov.row_figures(a)}
    assert figures[("tie_outs", "billed")] == (Decimal("475.50"), Decimal("475.50"))
    assert figures[("tie_outs", "invoiced")] == (Decimal("476.75"), Decimal("476.75"))


def test_explain_command_prints_the_tie_out_as_analyze_does(delivered_twice, capsys):
    from tests.test_cli import _analyze_value

    early, late, inv = delivered_twice
    args = ["--usage", str(early), str(late), "--invoices", str(inv), "--format", "json"]
    assert main(["analyze", *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert main(["explain", *args]) == 0
    figs = [f for f in json.loads(capsys.readouterr().out)["figures"] if f["section"] == "tie_outs"]
    assert [(f["id"], f["field"], f["value"], f["rows"], f["rows_total"]) for f in figs] == [
        ("INV-0601", "billed", "475.50", 4, "475.50"), ("INV-0601", "invoiced", "476.75", 3, "476.75")]
    for f in figs:
        assert _analyze_value(report, f["section"], f["id"], f["field"]) == f["value"]


def test_billed_cost_is_kept_whatever_the_cost_basis(tmp_path):
    r = read_file(focus(tmp_path / "f.csv", EARLY))
    assert r.frame["cost"].tolist() == [90_000_000, 150_000_000]  # EffectiveCost (default basis)
    assert r.frame["billed_cost"].tolist() == [100_000_000, 150_000_000]
    assert r.frame["invoice_id"].tolist() == ["INV-0601", "INV-0601"]
    assert r.frame["billing_account"].tolist() == ["acct-1", "acct-1"]
    assert str(r.frame["billing_period"].iloc[0].date()) == "2026-06-01"


def test_usage_without_billed_cost_bills_its_cost(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("date,vendor,cost,invoice_id\n2026-06-01,OpenAI,12.50,INV-9\n", encoding="utf-8")
    r = read_file(p)
    assert r.frame["billed_cost"].tolist() == [12_500_000]
    assert tables.conform(r.frame.drop(columns=["billed_cost"]), "usage")["billed_cost"].tolist() == [12_500_000]


def test_later_export_time_wins_over_import_order(tmp_path):
    header = HEADER + ",x_ExportTime"
    # imported first but exported later (Jul 2): it is the one kept although its data ends earlier
    newer = focus(tmp_path / "a.csv", [row("100.00", "100.00", 1, extra=("2026-07-02T06:00:00+02:00",))], header)
    older = focus(tmp_path / "b.csv", [row("80.00", "80.00", 1, extra=("2026-07-01T23:00:00Z",)),
                                       row("5.00", "5.00", 2, extra=("2026-07-01T23:00:00Z",))], header)
    a = build_analysis(load_inputs({"usage": [newer, older]}))
    (drop,) = a.snapshots
    # 2026-07-02T06:00+02:00 is 04:00Z, after 2026-07-01T23:00Z
    assert (drop.file, drop.kept_file, drop.rows, drop.amount, drop.decided_by) == (
        "b.csv", "a.csv", 2, Decimal("85.00"), "export_time")
    assert "exported 2026-07-02T04:00:00Z, after 2026-07-01T23:00:00Z" in drop.detail
    assert a.usage["cost"].sum() == 100_000_000


def test_same_days_same_names_the_later_import_wins(tmp_path):
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    first = focus(tmp_path / "d1" / "focus.csv", [row("100.00", "100.00", 1)])
    second = focus(tmp_path / "d2" / "focus.csv", [row("110.00", "110.00", 1)])  # restated
    a = build_analysis(load_inputs({"usage": [first, second]}))
    (drop,) = a.snapshots
    assert (drop.file, drop.kept_file, drop.decided_by, drop.amount) == (
        "focus.csv (import 1 of that name)", "focus.csv (import 2 of that name)", "import_order", Decimal("100.00"))
    assert a.usage["cost"].tolist() == [110_000_000]


def test_days_that_do_not_overlap_and_other_accounts_are_not_snapshots(tmp_path):
    first_half = focus(tmp_path / "h1.csv", [row("10.00", "10.00", 1), row("20.00", "20.00", 2)])
    second_half = focus(tmp_path / "h2.csv", [row("30.00", "30.00", 3)])
    other_account = focus(tmp_path / "acct2.csv", [row("40.00", "40.00", 1, account="acct-2")])
    usage = load_inputs({"usage": [first_half, second_half, other_account]}).usage
    keep, drops = latest_snapshots(usage)
    assert keep.all() and drops == ()
    # a usage file without billing_period (any non-FOCUS file) is never touched
    plain = tables.conform(usage[["date", "vendor", "cost", "_file", "_row"]], "usage")
    assert latest_snapshots(plain)[0].all()


def test_no_id_match_ties_by_vendor_period_and_says_so(tmp_path):
    f = focus(tmp_path / "f.csv", [row("100.00", "100.00", 1, invoice="FOC-1"),
                                   row("50.00", "50.00", 2, invoice="FOC-2")])
    inv = tmp_path / "inv.csv"
    inv.write_text("invoice_id,vendor,invoice_date,amount,period_start,period_end\n"
                   "OAI-JUNE,OpenAI,2026-07-03,149.99,2026-06-01,2026-06-30\n", encoding="utf-8")
    a = build_analysis(load_inputs({"usage": [f], "invoices": [inv]}))
    (tie,) = a.tie_outs
    assert (tie.key, tie.matched_by, tie.focus_invoice_ids, tie.invoice_ids) == (
        "OpenAI|2026-06-01", "vendor_period", ("FOC-1", "FOC-2"), ("OAI-JUNE",))
    # 149.99 - (100.00 + 50.00) = -0.01
    assert (tie.billed, tie.invoiced, tie.residual, tie.status) == (
        Decimal("150.00"), Decimal("149.99"), Decimal("-0.01"), "residual")
    assert tie.note.startswith("no imported invoice has id FOC-1, FOC-2; tied to the invoices of OpenAI billing "
                               "2026-06-01 (OAI-JUNE) instead")
    assert "bills 0.01 USD less" in tie.note


def test_exact_tie_no_invoice_and_currencies_that_differ(tmp_path):
    f = focus(tmp_path / "f.csv", [row("100.005", "100.00", 1, invoice="A"), row("0.005", "0", 2, invoice="A"),
                                   row("7.00", "7.00", 3, invoice="B"),
                                   row("9.00", "9.00", 1, invoice="E", currency="EUR", account="acct-eu")])
    inv = tmp_path / "inv.csv"
    inv.write_text("invoice_id,vendor,invoice_date,amount,period_start,period_end,currency\n"
                   "A,OpenAI,2026-07-03,100.01,2026-06-01,2026-06-30,USD\n"
                   "E,OpenAI,2026-07-03,9.00,2026-06-01,2026-06-30,USD\n", encoding="utf-8")
    fx = tmp_path / "fx.csv"
    fx.write_text("currency,rate\nEUR,1.10\n", encoding="utf-8")
    a = build_analysis(load_inputs({"usage": [f], "invoices": [inv], "fx_rates": [fx]}))
    ties = {t.key: t for t in a.tie_outs}
    # A: 100.005 + 0.005 = 100.01 exactly: ties
    assert (ties["A"].billed, ties["A"].residual, ties["A"].status) == (Decimal("100.01"), Decimal("0.00"), "tied")
    # B: no invoice has id B and A/E are taken by their ids: nothing to tie to
    assert (ties["B"].matched_by, ties["B"].invoiced, ties["B"].residual, ties["B"].status) == (
        "unmatched", None, None, "no_invoice")
    # E: billed in EUR (9.00, never converted), invoiced in USD: no residual
    assert (ties["E"].billed, ties["E"].invoiced, ties["E"].residual, ties["E"].status) == (
        Decimal("9.00"), Decimal("9.00"), None, "mixed_currency")
