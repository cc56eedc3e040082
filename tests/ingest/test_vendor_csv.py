"""Vendor CSV rules beyond the real samples: FOCUS 1.3 ContractApplied, exclusive ends, unknown
charge categories, FOCUS as invoices, Azure MCA camelCase, Azure OpenAI vendor."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pandas as pd

from desktop.domain.money import micros_to_cents, money_sum
from desktop.ingest import read_file

FOCUS13 = ["BilledCost", "EffectiveCost", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
           "ChargeCategory", "ChargePeriodStart", "ChargePeriodEnd", "ServiceProviderName",
           "InvoiceIssuerName", "InvoiceId", "ChargeDescription", "SkuMeter", "SkuPriceDetails",
           "ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "ContractedUnitPrice", "Tags",
           "ContractApplied"]


def write_csv(tmp_path, name, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    p = tmp_path / name
    p.write_text(buf.getvalue())
    return p


def focus_row(billed, effective, cat, start, end, applied=None, tags=None, inv="INV-7"):
    details = json.dumps({"ModelId": "solora-saturn-5.0"})
    return [billed, effective, "USD", "2026-05-01T00:00:00Z", "2026-06-01T00:00:00Z", cat, start, end,
            "Solora AI", "Solora AI", inv, "tokens", "Input Tokens", details, "1000", "Tokens", "1",
            "0.5", json.dumps(tags or {}), json.dumps(applied) if applied else ""]


def test_focus_13_contract_applied_and_exclusive_end(tmp_path):
    applied = {"Elements": [
        {"ContractID": "AGR-1", "ContractCommitmentID": "CMT-A", "ContractCommitmentAppliedCost": 2.0},
        {"ContractID": "AGR-1", "ContractCommitmentID": "CMT-B", "ContractCommitmentAppliedCost": 8.0}]}
    rows = [
        focus_row("10.00", "10.00", "Usage", "2026-05-03T22:00:00Z", "2026-05-04T00:00:00Z", applied,
                  {"Team": "search", "cost-center": "CC1", "env": "prod"}),
        focus_row("1.00", "1.00", "Tax", "2026-05-03T00:00:00Z", "2026-05-04T00:00:00Z"),
        focus_row("5.00", "5.00", "Usage", "2026-05-05T00:00:00Z", "2026-05-05T00:00:00Z"),  # end == start
        focus_row("7.00", "7.00", "Refund", "2026-05-05T00:00:00Z", "2026-05-06T00:00:00Z"),
    ]
    r = read_file(write_csv(tmp_path, "f13.csv", FOCUS13, rows))
    rep = r.report
    assert (r.kind, rep.format) == ("usage", "focus-1.3")
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (4, 2, 2)
    assert [(e.row, e.column) for e in rep.errors] == [(4, "ChargePeriodEnd"), (5, "ChargeCategory")]
    f = r.frame
    assert f["contract_id"].tolist()[0] == "CMT-B"  # the element with the largest applied cost
    assert f["commit_eligible"].tolist() == [True, False]  # Usage, Tax
    assert f["team"].tolist()[0] == "search" and f["cost_center"].tolist()[0] == "CC1"
    assert f["environment"].tolist()[0] == "prod"
    assert f["model"].tolist()[0] == "solora-saturn-5.0"
    assert f["date"].tolist() == [pd.Timestamp("2026-05-03")] * 2
    assert any("several contract commitments" in w for w in rep.warnings)


def test_focus_as_invoices(tmp_path):
    rows = [focus_row("10.00", "9.00", "Usage", "2026-05-03T00:00:00Z", "2026-05-04T00:00:00Z"),
            focus_row("0.80", "0.80", "Tax", "2026-05-03T00:00:00Z", "2026-05-04T00:00:00Z"),
            focus_row("-2.00", "-2.00", "Credit", "2026-05-03T00:00:00Z", "2026-05-04T00:00:00Z")]
    r = read_file(write_csv(tmp_path, "f.csv", FOCUS13, rows), "invoices")
    assert r.kind == "invoices"
    f = r.frame
    assert f["invoice_id"].unique().tolist() == ["INV-7"]
    assert f["line_type"].tolist() == ["usage", "tax", "credit"]
    assert micros_to_cents(money_sum(f["amount"])) == Decimal("8.80")  # billed, not effective
    assert f["period_start"].tolist()[0] == pd.Timestamp("2026-05-01")
    assert f["period_end"].tolist()[0] == pd.Timestamp("2026-05-31")  # exclusive 06-01
    assert f["invoice_date"].tolist()[0] == pd.Timestamp("2026-06-01")


MCA = ["invoiceId", "billingAccountName", "date", "meterCategory", "meterSubCategory", "meterName",
       "quantity", "unitOfMeasure", "costInBillingCurrency", "billingCurrency", "tags", "costCenter",
       "chargeType", "publisherType", "publisherName", "productName"]


def test_azure_mca_camel_case(tmp_path):
    rows = [
        ["I1", "Contoso", "11/03/2026", "Cognitive Services", "Azure OpenAI", "gpt-4o Input global Tokens",
         "1.5", "1K", "12.345678", "EUR", '{"team": "search", "env": "prod"}', "CC-9", "Usage", "Azure",
         "Microsoft", "Azure OpenAI"],
        ["I1", "Contoso", "11/04/2026", "Virtual Machines", "Dv3", "D2 v3", "24", "1 Hour", "3.00", "EUR",
         "", "", "Usage", "Azure", "Microsoft", "Virtual Machines Dv3 Series"],
        ["I1", "Contoso", "11/04/2026", "SaaS", "", "Claude seats", "1", "1", "100", "EUR", "", "", "Purchase",
         "Marketplace", "Anthropic", "Claude for Work"],
    ]
    r = read_file(write_csv(tmp_path, "mca.csv", MCA, rows))
    rep = r.report
    assert (r.kind, rep.format) == ("usage", "azure-mca")
    assert "Azure MCA cost details (camelCase): 16 of 16 columns matched" == rep.format_reason
    f = r.frame
    assert f["vendor"].tolist() == ["Azure OpenAI", "Microsoft", "Anthropic"]
    assert f["cost"].tolist() == [12_345_678, 3_000_000, 100_000_000]
    assert f["date"].tolist() == [pd.Timestamp("2026-11-03"), pd.Timestamp("2026-11-04"),
                                  pd.Timestamp("2026-11-04")]
    assert f["commit_eligible"].tolist() == [True, True, False]
    assert f["team"].tolist()[0] == "search" and f["cost_center"].tolist()[0] == "CC-9"
    assert f["currency"].unique().tolist() == ["EUR"]
