"""The real Azure EA export (tests/data/azure/EA_ActualCost_Small.csv, microsoft/finops-toolkit,
MIT; see tests/data/SOURCES.md) with two Azure OpenAI rows added: virtual machines, storage,
SQL, Key Vault and MySQL are imported and kept, but only the Azure OpenAI rows draw down a
commitment and count in a budget, until the analyst's rule says otherwise. By hand."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd

from desktop.domain import ai_services, tables
from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.domain.money import to_micros
from desktop.domain.settings import Settings
from desktop.ingest import read_file

EA = Path(__file__).resolve().parents[1] / "data" / "azure" / "EA_ActualCost_Small.csv"


def ea_with_openai(tmp_path: Path) -> Path:
    with open(EA, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    cols = list(rows[0])
    template = next(r for r in rows if r["MeterCategory"] == "Virtual Machines" and r["ChargeType"] == "Usage")
    extra = [{**template, "MeterCategory": "Cognitive Services", "MeterSubCategory": "Azure OpenAI",
              "MeterName": "gpt-4o-0806-Inp-glbl 1K Tokens", "Cost": "12.50", "Quantity": "5000",
              "UnitOfMeasure": "1K", "ConsumedService": "Microsoft.CognitiveServices"},
             {**template, "MeterCategory": "Cognitive Services", "MeterSubCategory": "Azure OpenAI",
              "MeterName": "gpt-4o-0806-Outp-glbl 1K Tokens", "Cost": "7.25", "Quantity": "725",
              "UnitOfMeasure": "1K", "ConsumedService": "Microsoft.CognitiveServices"}]
    out = tmp_path / "ea_with_openai.csv"
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, cols)
        w.writeheader()
        w.writerows(rows + extra)
    return out


def test_ea_export_vms_storage_sql_kept_not_counted(tmp_path):
    r = read_file(ea_with_openai(tmp_path))
    assert r.report.format == "azure-ea"
    assert r.report.rows_imported == 13 and r.report.rows_rejected == 0  # 11 real rows + 2 added
    f = r.frame
    assert f.loc[f["vendor"] == "Azure OpenAI", "service"].tolist() == ["Cognitive Services / Azure OpenAI"] * 2
    assert "Virtual Machines / Dv3/DSv3 Series" in f["service"].tolist()
    # the import report counts the rows that are kept but not AI spend
    note = [w for w in r.report.warnings if "not AI services" in w]
    assert len(note) == 1 and note[0].startswith("11 of 13 rows")
    # 3.25 + 0.00004 + 0.000011139 + 2.64 + 0 + 0 + 0.000002 + 0.21268368 + 0 + 1.9584 + 0.4838709677419368
    assert "USD 8.55" in note[0]

    commitments = tables.conform(pd.DataFrame({
        "contract_id": ["AOAI", "MACC"], "vendor": ["Azure OpenAI", "Microsoft"],
        "period_start": pd.to_datetime(["2023-09-01", "2023-09-01"]),
        "period_end": pd.to_datetime(["2023-12-31", "2023-12-31"]),
        "commitment": [to_micros("1000"), to_micros("1000")]}), "commitments")
    budgets = tables.conform(pd.DataFrame({
        "allocation": ["Azure"], "month": ["2023-09"], "budget": [to_micros("100")],
        "dimension": ["vendor"], "value": ["Microsoft"]}), "budgets")
    inputs = Inputs().with_table("usage", f).with_table("commitments", commitments).with_table("budgets", budgets)
    T = date(2023, 9, 30)

    a = build_analysis(inputs, Settings(), T)
    consumed = {c.contract_id: c.consumed_to_date for c in a.contracts}
    assert consumed == {"AOAI": Decimal("19.75"), "MACC": Decimal("0.00")}  # 12.50 + 7.25; no AI row of Microsoft
    assert a.budgets[0].actual == Decimal("0.00")
    assert len(a.usage) == 13  # kept

    # the analyst's rule: every row counts. MACC then draws down the 10 Usage rows (the Purchase
    # never does): 8.5450077867419368 - 3.25 = 5.2950077867419368 -> 5.30
    b = build_analysis(inputs, Settings(ai_services="*"), T)
    assert {c.contract_id: c.consumed_to_date for c in b.contracts} == {"AOAI": Decimal("19.75"),
                                                                        "MACC": Decimal("5.30")}
    assert b.budgets[0].actual == Decimal("8.55")  # budgets count every eligibility: Purchase too
    assert ai_services.split(a.usage, "*").other_rows == 0


def test_cli_ai_services_rule(tmp_path, capsys):
    from .helpers import analyze, run, write

    usage = ea_with_openai(tmp_path)
    contracts = write(tmp_path / "c.csv", "contract_id,vendor,period_start,period_end,commitment\n"
                      "AOAI,Azure OpenAI,2023-09-01,2023-12-31,1000\nMACC,Microsoft,2023-09-01,2023-12-31,1000\n")

    def consumed(*extra):
        d = analyze(capsys, "--usage", usage, "--contracts", contracts, "--as-of", "2023-09-30", *extra)
        return {c["contract_id"]: c["consumed_to_date"] for c in d["contracts"]}, d

    got, d = consumed()
    assert got == {"AOAI": "19.75", "MACC": "0.00"}
    rep = next(r for r in d["imports"] if r["kind"] == "usage")
    assert [w[:40] for w in rep["warnings"] if "AI services" in w] == ["11 of 13 rows are not AI services under "]
    assert [w[:47] for w in d["warnings"] if "AI services" in w] == ["usage: 11 of 13 rows are not AI services under "]
    got, d = consumed("--ai-services", "*")
    assert got == {"AOAI": "19.75", "MACC": "5.30"}  # the 10 Usage rows: 8.5450077867 - 3.25 (Purchase)
    assert not [w for w in d["warnings"] if "AI services" in w]
    got, _ = consumed("--ai-services", "Cognitive Services; Virtual Machines")
    assert got == {"AOAI": "19.75", "MACC": "2.64"}  # the D2 v3 Usage row (the B1s row is a Purchase)
    status, _, err = run(capsys, "analyze", "--workspace", tmp_path / "none.commitdesk", "--ai-services", "*")
    assert status == 2 and "keeps its own AI-service rule" in err
