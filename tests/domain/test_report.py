"""The analyze JSON: keys, ordering, money as two-decimal strings, ratios as numbers, nulls."""

import json
from datetime import date
from decimal import Decimal as D

from desktop.domain.report import to_json, to_json_dict, to_text
from desktop.domain.results import (
    Analysis,
    AnomalyResult,
    BudgetResult,
    ContractResult,
    ImportIssue,
    ImportReport,
    InvoiceFlag,
    InvoiceResult,
    PeriodResult,
)


def _period(start, end, commitment, consumed):
    return PeriodResult(
        period_start=start, period_end=end, commitment=D(commitment), carry_in=D("0.00"),
        consumed=D(consumed), expected=D("0.00"), pacing_ratio=None, projected=D(consumed),
        shortfall=D("0.00"), carry_out=D("0.00"), shortfall_penalty=D("0.00"), overage=D("0.00"),
        overage_premium=D("0.00"),
    )


def _contract(cid, periods):
    return ContractResult(
        contract_id=cid, vendor="OpenAI", term_start=periods[0].period_start,
        term_end=periods[-1].period_end, commitment=D("100.00"), consumed_to_date=D("1234.5"),
        expected_to_date=D("0.00"), pacing_ratio=None, band=None, run_rate=D("3.333"),
        required_run_rate=None, projected_consumption=D("0"), shortfall_exposure=D("0.00"),
        overage=D("0.00"), overage_premium=D("0.00"), periods=tuple(periods),
    )


def sample() -> Analysis:
    p2 = _period(date(2026, 4, 1), date(2026, 6, 30), "200.00", "10.00")
    p1 = _period(date(2026, 1, 1), date(2026, 3, 31), "100.00", "20.00")
    return Analysis(
        as_of=date(2026, 5, 1), currency="USD",
        contracts=(_contract("Z-2", [p1]), _contract("A-1", [p2, p1])),
        invoices=(
            InvoiceResult("INV-2", "OpenAI", date(2026, 4, 1), date(2026, 4, 30), D("10.00"), D("9.00"),
                          D("1.00"), 1 / 9, "within_tolerance", D("0.50"), D("0.00"), ()),
            InvoiceResult("INV-1", "OpenAI", date(2026, 3, 1), date(2026, 3, 31), D("12.00"), D("0.00"),
                          D("12.00"), None, "overbilled", D("0.00"), D("12.00"),
                          (InvoiceFlag(7, "duplicate_line", D("12.00"), "Dana"),)),
        ),
        budgets=(
            BudgetResult("Search", "2026-05", D("500000"), D("451200"), 0.9024, D("451200"),
                         D("-48800"), -0.0976, "none", "critical"),
            BudgetResult("Ads", "2026-05", D("10"), D("0"), 0.0, D("0"), D("-10"), -1.0, "under", "none"),
        ),
        anomalies=(
            AnomalyResult("vendor", "OpenAI", date(2026, 4, 3), D("9"), D("1"), D("1"), 8.0),
            AnomalyResult("team", "Search", date(2026, 4, 9), D("9"), D("1"), D("1"), 8.0),
            AnomalyResult("team", "Search", date(2026, 4, 2), D("9"), D("1"), D("1"), 8.0),
        ),
        imports=(ImportReport("u.csv", "usage", "canonical-csv", 3, 2, 1,
                              (ImportIssue(4, "cost", "not an amount: 'abc'"),)),),
    )


def test_top_level_keys_in_contract_order():
    d = to_json_dict(sample())
    # the contract's keys first, then the sections of the whole report (issue 12)
    assert list(d) == ["as_of", "currency", "contracts", "invoices", "budgets", "anomalies", "imports",
                       "warnings", "workload_shift", "chargeback", "renewal", "rate_audit", "unit_prices",
                       "renewal_inputs", "snapshots", "tie_outs", "commitment_discounts", "notice_deadlines", "actions"]
    assert d["as_of"] == "2026-05-01"


def test_ordering_rules():
    d = to_json_dict(sample())
    assert [c["contract_id"] for c in d["contracts"]] == ["A-1", "Z-2"]
    assert [p["period_start"] for p in d["contracts"][0]["periods"]] == ["2026-01-01", "2026-04-01"]
    assert [i["invoice_id"] for i in d["invoices"]] == ["INV-1", "INV-2"]
    assert [b["allocation"] for b in d["budgets"]] == ["Ads", "Search"]
    assert [(a["dimension"], a["value"], a["date"]) for a in d["anomalies"]] == [
        ("team", "Search", "2026-04-02"), ("team", "Search", "2026-04-09"), ("vendor", "OpenAI", "2026-04-03")]


def test_money_is_two_decimal_string_ratios_numbers_nulls():
    d = to_json_dict(sample())
    c = d["contracts"][0]
    assert c["consumed_to_date"] == "1234.50"
    assert c["run_rate"] == "3.33"
    assert c["required_run_rate"] is None and c["pacing_ratio"] is None and c["band"] is None
    assert d["budgets"][1]["budget"] == "500000.00"
    assert d["budgets"][1]["utilization"] == 0.9024
    assert d["invoices"][0]["variance_pct"] is None
    assert d["invoices"][0]["flags"] == [{"line": 7, "flag": "duplicate_line", "leakage": "12.00", "owner": "Dana",
                                          "file": "", "description": None, "amount": None, "detail": "",
                                          "earlier_invoices": [], "found_in": "invoice"}]
    assert d["imports"][0]["errors"] == [{"row": 4, "column": "cost", "message": "not an amount: 'abc'",
                                          "value": None}]
    assert (d["imports"][0]["totals_excluded"], d["imports"][0]["duplicates_flagged"]) == (0, 0)
    assert d["imports"][0]["warnings"] == [] and d["warnings"] == []
    assert list(d["contracts"][0]["periods"][0])[:13] == [
        "period_start", "period_end", "commitment", "carry_in", "consumed", "expected", "pacing_ratio",
        "projected", "shortfall", "carry_out", "shortfall_penalty", "overage", "overage_premium"]
    assert d["contracts"][0]["periods"][0]["status"] == "current" and d["contracts"][0]["periods"][0]["band"] is None


def test_json_round_trips_and_text_mentions_figures():
    a = sample()
    assert json.loads(to_json(a)) == to_json_dict(a)
    text = to_text(a)
    assert "INV-1" in text and "duplicate_line" in text and "12.00 USD" in text
    assert "u.csv" in text and "row 4, column 'cost'" in text
