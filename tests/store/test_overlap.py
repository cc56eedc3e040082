"""Re-importing a file that overlaps an earlier import (issue 13 step 4): the one overlap query
(Batches.overlaps) names the earlier batch, the overlapping days and the amounts; an import
refuses, replaces the earlier batch in the same transaction, or keeps both; the CLI refuses by
default and says how to choose."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desktop.cli import main
from desktop.ingest import read_file
from desktop.store import OverlapRefused, Workspace

A = "date,vendor,cost\n2026-01-01,OpenAI,10.00\n2026-01-02,OpenAI,12.50\n2026-01-03,OpenAI,5.00\n"
# Jan 2-3 again (as "openai"), Jan 4 new; Anthropic on Jan 2 is another vendor: no overlap
B = ("date,vendor,cost\n2026-01-02,openai,12.50\n2026-01-03,OpenAI,1.00\n2026-01-04,OpenAI,2.00\n"
     "2026-01-02,Anthropic,9.00\n")


@pytest.fixture
def files(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    return a, b


def test_the_overlap_query_names_days_and_amounts(tmp_path, files):
    a, b = files
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        ws.import_file(a)
        (o,) = ws.overlaps(read_file(b))
        assert (o.file_name, o.kind, o.vendor, o.days, o.first, o.last, o.batch_rows) == (
            "a.csv", "usage", "OpenAI", 2, "2026-01-02", "2026-01-03", 3)
        # a.csv on Jan 2-3: 12.50 + 5.00; b.csv's OpenAI rows on those days: 12.50 + 1.00
        assert o.earlier == (("USD", Decimal("17.50")),) and o.incoming == (("USD", Decimal("13.50")),)
        assert o.text.startswith("usage of OpenAI on 2 days (2026-01-02..2026-01-03) is already imported from "
                                 "a.csv (batch 1, 3 rows, on ")
        assert (o.earlier_rows, o.incoming_rows) == (2, 2)
        assert o.text.endswith("UTC): 17.50 USD there, 13.50 USD in this file (2 rows there and 2 rows in this file "
                               "on those days)")
        # the same content is a duplicate, not an overlap
        assert ws.overlaps(read_file(a), except_hash=ws.batches()[0].content_hash) == []


def test_refuse_replace_keep(tmp_path, files):
    a, b = files
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        ws.import_file(a)
        with pytest.raises(OverlapRefused) as exc:
            ws.import_file(b, on_overlap="refuse")
        assert "b.csv was not imported: usage of OpenAI on 2 days (2026-01-02..2026-01-03)" in str(exc.value)
        assert "--on-overlap replace" in str(exc.value) and exc.value.overlaps[0].batch_id == 1
        assert [r.file_name for r in ws.batches()] == ["a.csv"]
        rep = ws.import_file(b, on_overlap="replace")
        assert rep.warnings == ("replaces a.csv (batch 1), removed in the same import",)
        assert [r.file_name for r in ws.batches()] == ["b.csv"]
        # 12.50 + 1.00 + 2.00 + 9.00: only b.csv's rows count
        assert int(ws.inputs().usage["cost"].sum()) == 24_500_000
    with Workspace.open(tmp_path / "k.commitdesk", create=True) as ws:
        ws.import_file(a)
        rep = ws.import_file(b, on_overlap="keep")
        assert [r.file_name for r in ws.batches()] == ["a.csv", "b.csv"]
        assert any("possible double counting" in w for w in rep.warnings)


def test_invoices_overlap_by_id(tmp_path):
    first = tmp_path / "inv-q2.csv"
    first.write_text("invoice_id,vendor,invoice_date,amount,period_start,period_end\n"
                     "INV-5,OpenAI,2026-06-03,100.00,2026-05-01,2026-05-31\n"
                     "INV-6,OpenAI,2026-07-03,200.00,2026-06-01,2026-06-30\n", encoding="utf-8")
    again = tmp_path / "inv-june.csv"
    again.write_text("invoice_id,vendor,invoice_date,amount,period_start,period_end\n"
                     "INV-6,OpenAI,2026-07-03,200.00,2026-06-01,2026-06-30\n"
                     "INV-6,OpenAI,2026-07-03,15.00,2026-06-01,2026-06-30\n"
                     "INV-7,OpenAI,2026-08-03,300.00,2026-07-01,2026-07-31\n", encoding="utf-8")
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        ws.import_file(first)
        (o,) = ws.overlaps(read_file(again))
        assert (o.kind, o.invoice_ids, o.first, o.last, o.days) == (
            "invoices", ("INV-6",), "2026-06-01", "2026-06-30", 30)
        assert o.earlier == (("USD", Decimal("200.00")),) and o.incoming == (("USD", Decimal("215.00")),)
        assert o.text.startswith("invoice INV-6 of OpenAI (2026-06-01..2026-06-30) is already imported from inv-q2.csv")


def test_focus_snapshots_say_the_analysis_keeps_the_later_one(tmp_path):
    head = ("BilledCost,BillingAccountId,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargeCategory,"
            "ChargePeriodStart,ChargePeriodEnd,ServiceProviderName\n")
    line = "{c},acct-1,USD,2026-06-01T00:00:00Z,2026-07-01T00:00:00Z,Usage,2026-06-0{d}T00:00:00Z,2026-06-0{e}T00:00:00Z,OpenAI\n"
    early, late = tmp_path / "early.csv", tmp_path / "late.csv"
    early.write_text(head + line.format(c="10.00", d=1, e=2), encoding="utf-8")
    late.write_text(head + line.format(c="10.00", d=1, e=2) + line.format(c="4.00", d=2, e=3), encoding="utf-8")
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        ws.import_file(early)
        (o,) = ws.overlaps(read_file(late))
        assert o.snapshot and o.text.endswith("so the analysis keeps only the later one")


def test_cli_refuses_by_default_and_lets_you_choose(tmp_path, files, capsys):
    a, b = files
    w = tmp_path / "cli.commitdesk"
    assert main(["import", "--workspace", str(w), str(a)]) == 0
    capsys.readouterr()
    assert main(["import", "--workspace", str(w), str(b)]) == 2
    err = capsys.readouterr().err
    assert "b.csv was not imported: usage of OpenAI on 2 days (2026-01-02..2026-01-03) is already imported from " \
           "a.csv" in err and "17.50 USD there, 13.50 USD in this file" in err
    assert "--on-overlap replace" in err and "--on-overlap keep" in err
    with Workspace.open(w, readonly=True) as ws:
        assert [r.file_name for r in ws.batches()] == ["a.csv"]
    assert main(["import", "--workspace", str(w), "--on-overlap", "replace", str(b)]) == 0
    assert "warning: replaces a.csv (batch 1), removed in the same import" in capsys.readouterr().out
    with Workspace.open(w, readonly=True) as ws:
        assert [r.file_name for r in ws.batches()] == ["b.csv"]


def test_a_batch_stored_before_usage_had_the_billing_columns_reads_with_them(tmp_path, files):
    import dataclasses

    a, _ = files
    old = read_file(a)
    old = dataclasses.replace(old, frame=old.frame.drop(columns=["invoice_id", "billed_cost", "billing_account",
                                                                 "billing_period", "exported_at"]))
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        ws.store_result(old, a)
        ws._batches.clear_cache()
        frame = ws.inputs().usage
        names = list(frame.columns)
        assert names[names.index("invoice_id"):names.index("exported_at") + 1] == [
            "invoice_id", "billed_cost", "billing_account", "billing_period", "exported_at"]
        assert names[-2:] == ["_file", "_row"]
        assert frame["billed_cost"].tolist() == frame["cost"].tolist() == [10_000_000, 12_500_000, 5_000_000]
        assert frame["invoice_id"].isna().all()


def test_a_token_report_beside_its_cost_report_is_no_overlap(tmp_path, files):
    a, _ = files
    tokens = tmp_path / "tokens.csv"  # cost 0: token counts for the rate audit, not spend
    tokens.write_text("date,vendor,cost,quantity,unit\n2026-01-02,OpenAI,0,1000,tokens\n", encoding="utf-8")
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        ws.import_file(a)
        assert ws.overlaps(read_file(tokens)) == []
        ws.import_file(tokens, on_overlap="refuse")  # not refused
        assert [r.file_name for r in ws.batches()] == ["a.csv", "tokens.csv"]
