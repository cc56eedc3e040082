"""Canonical CSV/XLSX templates: columns, typing, row rejection, accounting."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from desktop.domain import tables
from desktop.domain.inputs import Inputs
from desktop.ingest import ImportResult, UnreadableFile, load_inputs, read_file


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def accounting(r: ImportResult):
    rep = r.report
    assert rep.rows_read == rep.rows_imported + rep.rows_rejected + rep.totals_excluded
    assert len(r.frame) == rep.rows_imported


def test_usage_csv_canonical(tmp_path):
    p = write(tmp_path, "usage.csv",
              "date,vendor,cost,currency,model,team\n"
              "2026-01-01,OpenAI,12.50,USD,gpt-4o,search\n"
              "2026-01-02,\"OpenAI, L.L.C.\",\"$1,234.56\",,gpt-4o,search\n"
              "2026-01-03,Anthropic,0.000001,EUR,claude,ads\n")
    r = read_file(p)
    accounting(r)
    assert r.kind == "usage"
    assert r.report.format == "canonical-csv"
    assert r.report.file == "usage.csv"
    assert f"6 of {len(tables.USAGE.columns)} columns matched" in r.report.format_reason
    f = r.frame
    assert list(f.columns) == tables.USAGE.names + ["_file", "_row"]
    assert f["cost"].tolist() == [12_500_000, 1_234_560_000, 1]
    assert f["vendor"].tolist() == ["OpenAI", "OpenAI", "Anthropic"]
    assert f["currency"].tolist() == ["USD", "USD", "EUR"]  # "$" in the cell names USD
    assert f["date"].tolist() == [pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-02"),
                                  pd.Timestamp("2026-01-03")]
    assert f["_row"].tolist() == [2, 3, 4]
    assert f["_file"].tolist() == ["usage.csv"] * 3
    assert f["commit_eligible"].tolist() == [True, True, True]
    assert f.dtypes["cost"] == np.int64


def test_bad_rows_rejected_with_analyst_row_numbers(tmp_path):
    p = write(tmp_path, "u.csv",
              "date,vendor,cost\n"
              "2026-01-01,OpenAI,10\n"
              "2026-01-02,OpenAI,ten dollars\n"
              "not a date,OpenAI,5\n"
              ",OpenAI,5\n"
              "2026-01-05,,5\n"
              "2026-01-06,OpenAI,7\n")
    r = read_file(p, "usage")
    accounting(r)
    assert (r.report.rows_read, r.report.rows_imported, r.report.rows_rejected) == (6, 2, 4)
    errs = [(e.row, e.column, e.message, e.value) for e in r.report.errors]
    assert errs == [
        (3, "cost", "cannot read as an amount", "ten dollars"),
        (4, "date", "cannot read as a date", "not a date"),
        (5, "date", "required value is empty", None),
        (6, "vendor", "required value is empty", None),
    ]
    assert r.frame["cost"].sum() == 17_000_000


def test_invoice_line_types_and_unknown(tmp_path):
    p = write(tmp_path, "inv.csv",
              "invoice_id,vendor,invoice_date,amount,line_type\n"
              "INV-1,OpenAI,2026-02-01,1000.00,usage\n"
              "INV-1,OpenAI,2026-02-01,-50.00,Credit\n"
              "INV-1,OpenAI,2026-02-01,95.00,VAT\n"
              "INV-1,OpenAI,2026-02-01,5.00,bonus\n")
    r = read_file(p)
    accounting(r)
    assert r.kind == "invoices"
    assert r.frame["line_type"].tolist() == ["usage", "credit", "tax"]
    assert r.report.rows_rejected == 1
    e = r.report.errors[0]
    assert (e.row, e.column, e.value) == (5, "line_type", "bonus")
    assert "usage, credit, tax" in e.message


def test_xlsx_title_rows_and_native_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Contract register FY2026"])
    ws.append([])
    ws.append(["Contract ID", "Vendor", "Period Start", "Period End", "Commitment", "Rollover %"])
    ws.append(["C1", "OpenAI", dt.date(2026, 1, 1), dt.date(2026, 3, 31), 100000.0, "10%"])
    ws.append(["C2", "Anthropic", "2026-01-01", "2026-12-31", "250,000.00", None])
    p = tmp_path / "contracts.xlsx"
    wb.save(p)
    r = read_file(p)
    accounting(r)
    assert r.kind == "commitments"
    assert r.report.format == "canonical-xlsx"
    f = r.frame
    assert f["commitment"].tolist() == [100_000_000_000, 250_000_000_000]
    assert f["rollover_pct"].tolist() == [10.0, 0.0]
    assert f["period_end"].tolist() == [pd.Timestamp("2026-03-31"), pd.Timestamp("2026-12-31")]
    assert f["_row"].tolist() == [4, 5]  # sheet rows
    assert f["shortfall_penalty_pct"].tolist() == [100.0, 100.0]


@pytest.mark.parametrize("kind,header,row", [
    ("budgets", "allocation,month,budget,dimension,value", "Search,2026-03,5000,team,search"),
    ("rate_card", "vendor,model,contracted_price", "OpenAI,gpt-4o,0.0000025"),
    ("org_map", "team,cost_center,gl_account", "search,CC-100,6100"),
    ("fx_rates", "currency,rate,valid_from,valid_to", "EUR,1.08,2026-01-01,2026-12-31"),
])
def test_every_table_detected(tmp_path, kind, header, row):
    p = write(tmp_path, f"{kind}.csv", header + "\n" + row + "\n")
    r = read_file(p)
    assert r.kind == kind
    assert r.report.rows_imported == 1
    assert list(r.frame.columns) == tables.SPECS[kind].names + ["_file", "_row"]


def test_missing_required_column_is_unreadable(tmp_path):
    p = write(tmp_path, "u.csv", "date,vendor\n2026-01-01,OpenAI\n")
    with pytest.raises(UnreadableFile) as ei:
        read_file(p, "usage")
    assert "cost" in str(ei.value)
    assert ei.value.file == "u.csv"


def test_load_inputs_appends_frames_and_reports(tmp_path):
    a = write(tmp_path, "a.csv", "date,vendor,cost\n2026-01-01,OpenAI,1.10\n")
    b = write(tmp_path, "b.csv", "date,vendor,cost\n2026-01-02,OpenAI,2.20\n2026-01-03,OpenAI,x\n")
    c = write(tmp_path, "c.csv", "team,cost_center\nsearch,CC1\n")
    inp = load_inputs({"usage": [a, b], "org_map": [c]})
    assert isinstance(inp, Inputs)
    assert inp.usage["cost"].tolist() == [1_100_000, 2_200_000]
    assert inp.usage["_file"].tolist() == ["a.csv", "b.csv"]
    assert [r.file for r in inp.imports] == ["a.csv", "b.csv", "c.csv"]
    assert inp.imports[1].rows_rejected == 1
    inp2 = load_inputs([("usage", a), (None, c)])
    assert len(inp2.usage) == 1 and len(inp2.org_map) == 1


def test_load_inputs_names_rows_needing_fx(tmp_path):
    u = write(tmp_path, "u.csv", "date,vendor,cost,currency\n2026-01-01,OpenAI,1,USD\n"
                                 "2026-01-02,OpenAI,2,EUR\n2026-01-03,OpenAI,3,GBP\n2026-01-04,OpenAI,4,EUR\n")
    inp = load_inputs({"usage": [u]})
    w = inp.imports[0].warnings
    assert "2 usage row(s) in EUR need an fx_rates row to be converted to USD: rows 3, 5" in w
    assert "1 usage row(s) in GBP need an fx_rates row to be converted to USD: rows 4" in w
    fx = write(tmp_path, "fx.csv", "currency,rate\nEUR,1.08\n")
    inp2 = load_inputs([("usage", u), ("fx_rates", fx)])
    assert [x for x in inp2.imports[0].warnings if "fx_rates" in x] == [
        "1 usage row(s) in GBP need an fx_rates row to be converted to USD: rows 4"]
    assert inp2.usage["cost"].tolist() == [1_000_000, 2_000_000, 3_000_000, 4_000_000]  # nothing dropped
