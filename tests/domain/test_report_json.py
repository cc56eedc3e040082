"""The whole report in JSON (issue 12 step 3): every field of every result type, under the names
the code uses, with the keys of the original contract unchanged and first.

The expected keys come from ``dataclasses.fields`` of the result types, so a field added to a
result later is expected in the JSON without touching this file; the original keys are written
out as literals (the JSON as it was before the whole report), so a rename or reorder fails here.
"""

import dataclasses
import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from desktop.domain import results, tables
from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.domain.money import to_micros
from desktop.domain.renewal import RenewalInputs
from desktop.domain.report import to_json, to_json_dict
from desktop.domain.results import (
    AnomalyResult,
    BudgetResult,
    ChargebackLine,
    ContractResult,
    Finding,
    ImportIssue,
    ImportReport,
    InvoiceFlag,
    InvoiceResult,
    PeriodResult,
    RenewalRow,
    RenewalScenarioResult,
    WorkloadShiftCandidate,
)
from desktop.domain.settings import Settings

T = date(2026, 2, 14)
D = Decimal

# the JSON of analyze before issue 12 (docs/domain.md "The analyze report" and "analyze JSON
# extensions"): these keys, in this order, stay first
OLD_TOP = ["as_of", "currency", "contracts", "invoices", "budgets", "anomalies", "imports", "warnings"]
OLD_KEYS = {
    "contracts": ["contract_id", "vendor", "term_start", "term_end", "commitment", "consumed_to_date",
                  "expected_to_date", "pacing_ratio", "band", "run_rate", "required_run_rate",
                  "projected_consumption", "shortfall_exposure", "overage", "overage_premium", "periods"],
    "periods": ["period_start", "period_end", "commitment", "carry_in", "consumed", "expected", "pacing_ratio",
                "projected", "shortfall", "carry_out", "shortfall_penalty", "overage", "overage_premium"],
    "invoices": ["invoice_id", "vendor", "period_start", "period_end", "invoiced", "expected", "variance",
                 "variance_pct", "status", "tax", "premium_leakage", "flags"],
    "flags": ["line", "flag", "leakage", "owner"],
    "budgets": ["allocation", "month", "budget", "actual", "utilization", "forecast", "variance",
                "variance_pct", "severity", "alert_tier"],
    "anomalies": ["dimension", "value", "date", "spend", "mean", "std", "z"],
    "imports": ["file", "kind", "format", "rows_read", "rows_imported", "rows_rejected", "errors",
                "totals_excluded", "duplicates_flagged", "warnings"],
    "errors": ["row", "column", "message"],
}
NEW_SECTIONS = ("workload_shift", "chargeback", "renewal", "actions")
# what the checklist adds to a finding; the workspace's Action record has these fields too
# (tests/test_cli_json.py checks that a workspace's actions carry the same keys)
ACTION_STATE = {"status", "notes", "finding_owner", "opened_at", "resolved_at", "resolution",
                "resolution_reason", "last_seen", "assigned_owner"}
CHECKLIST = ["key", "severity", "owner", "due", "status", "notes"]


def names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


# JSON section (or nested list) -> the result type of its items
SECTION_TYPES = {
    "contracts": ContractResult, "invoices": InvoiceResult, "budgets": BudgetResult,
    "anomalies": AnomalyResult, "imports": ImportReport, "workload_shift": WorkloadShiftCandidate,
    "chargeback": ChargebackLine, "renewal": RenewalScenarioResult,
}
NESTED_TYPES = {(ContractResult, "periods"): PeriodResult, (InvoiceResult, "flags"): InvoiceFlag,
                (ImportReport, "errors"): ImportIssue, (RenewalScenarioResult, "rows"): RenewalRow}
RESULT_TYPES = set(SECTION_TYPES.values()) | set(NESTED_TYPES.values()) | {Finding}


def check_object(obj: dict, cls: type, seen: set, where: str) -> None:
    """``obj`` has exactly the fields of ``cls``, the original keys first in their order, and
    its nested results likewise."""
    assert set(obj) == set(names(cls)), (where, set(names(cls)) ^ set(obj))
    old = OLD_KEYS.get(where)  # a section or a nested list that the original JSON had
    if old is not None:
        assert list(obj)[:len(old)] == old, where
    seen.add(cls)
    for (owner, field), inner in NESTED_TYPES.items():
        if owner is cls:
            assert isinstance(obj[field], list), (where, field)
            for item in obj[field]:
                check_object(item, inner, seen, field)


def check_report(d: dict, analysis) -> set:
    """Every section and every field of the analysis is in ``d``; returns the types seen."""
    assert list(d)[:len(OLD_TOP)] == OLD_TOP
    for name in NEW_SECTIONS:
        assert name in d, name
    # every result section of Analysis (a tuple of results) is a top-level key; the findings are
    # carried as actions
    for f in dataclasses.fields(results.Analysis):
        value = getattr(analysis, f.name)
        if isinstance(value, tuple) and f.name != "findings":
            assert f.name in d, f.name
            assert len(d[f.name]) == len(value), f.name
    seen: set = set()
    for section, cls in SECTION_TYPES.items():
        for obj in d[section]:
            check_object(obj, cls, seen, section)
    assert len(d["actions"]) == len(analysis.findings)
    for a in d["actions"]:
        # the checklist's columns first, then every field of the finding, then the record's
        assert list(a)[:len(CHECKLIST)] == CHECKLIST
        assert set(a) >= set(names(Finding)) | ACTION_STATE
        seen.add(Finding)
    return seen


# --- a small workspace, hand-computed ---------------------------------------------------------------

def _days(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


def small_inputs() -> Inputs:
    """C-1 (OpenAI): Jan 3,100 and Feb 2,800. Search spends 50.00 a day on OpenAI Jan 1 .. Feb 14;
    Labs spends on Anthropic (no contract) 10 / 30 alternating Feb 1 .. 13, then 200 on Feb 14."""
    search = pd.DataFrame({"date": pd.to_datetime(_days(date(2026, 1, 1), 45)), "vendor": "OpenAI",
                           "cost": to_micros("50"), "team": "Search", "_file": "openai.csv",
                           "_row": range(2, 47)})
    labs_costs = ["10" if i % 2 == 0 else "30" for i in range(13)] + ["200"]
    labs = pd.DataFrame({"date": pd.to_datetime(_days(date(2026, 2, 1), 14)), "vendor": "Anthropic",
                         "cost": [to_micros(c) for c in labs_costs], "team": "Labs", "workload": "batch-eval",
                         "_file": "anthropic.csv", "_row": range(2, 16)})
    usage = tables.conform(pd.concat([search, labs], ignore_index=True), "usage")
    commitments = tables.conform(pd.DataFrame({
        "contract_id": ["C-1", "C-1"], "vendor": ["OpenAI", "OpenAI"],
        "period_start": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        "period_end": pd.to_datetime(["2026-01-31", "2026-02-28"]),
        "commitment": [to_micros("3100"), to_micros("2800")], "owner": "olga", "escalation_owner": "eve",
        "clause": "MSA 4.2", "_file": "contracts.csv", "_row": [2, 3]}), "commitments")
    invoices = tables.conform(pd.DataFrame({
        "invoice_id": ["INV-JAN"] * 3, "vendor": ["OpenAI"] * 3,
        "invoice_date": pd.to_datetime(["2026-02-03"] * 3),
        "period_start": pd.to_datetime(["2026-01-01"] * 3), "period_end": pd.to_datetime(["2026-01-31"] * 3),
        "description": ["GPT usage", "GPT usage", "VAT"],
        "amount": [to_micros("1550"), to_micros("1550"), to_micros("100")],
        "line_type": ["usage", "usage", "tax"], "_file": "inv.csv", "_row": [2, 3, 4]}), "invoices")
    budgets = tables.conform(pd.DataFrame({
        "allocation": ["Search AI"], "month": ["2026-02"], "budget": [to_micros("1000")], "dimension": ["team"],
        "value": ["Search"], "owner": ["bea"], "containment_owner": ["carl"], "escalation_owner": ["dan"],
        "_file": "budgets.csv", "_row": [2]}), "budgets")
    org_map = tables.conform(pd.DataFrame({"team": ["Search"], "cost_center": ["CC-100"], "gl_account": ["6100"],
                                           "owner": ["bea"]}), "org_map")
    report = ImportReport("openai.csv", "usage", "canonical-csv", 46, 45, 1,
                          (ImportIssue(47, "cost", "not an amount: 'abc'", "abc"),), format_reason="template")
    return Inputs(commitments=commitments, usage=usage, invoices=invoices, budgets=budgets, org_map=org_map,
                  imports=(report,))


RENEWAL = RenewalInputs(name="OpenAI renewal", vendor="OpenAI", baseline_monthly=D("1000"),
                        growth_scenarios={"expected": (0.0, 0.0)}, term_months=12,
                        discount_tiers=[(D("9000"), 10.0), (D("12000"), 10.0)])


@pytest.fixture(scope="module")
def small():
    analysis = build_analysis(small_inputs(), Settings(renewal_paths=50), T, renewal=[RENEWAL])
    return analysis, json.loads(to_json(analysis))


@pytest.fixture(scope="module")
def demo():
    from desktop.ingest import load_inputs
    from desktop.resources import demo_files

    analysis = build_analysis(load_inputs(demo_files()))
    return analysis, json.loads(to_json(analysis))


def test_small_report_has_every_field_of_every_result_type(small):
    analysis, d = small
    assert check_report(d, analysis) == RESULT_TYPES


def test_demo_report_has_every_field_of_every_section(demo):
    analysis, d = demo
    seen = check_report(d, analysis)
    # the demo has no rejected rows, so no ImportIssue; the small workspace covers it
    assert seen == RESULT_TYPES - {ImportIssue}
    for name in NEW_SECTIONS:
        assert d[name], f"the demo has {name}"


def test_small_contract_and_periods_by_hand(small):
    _, d = small
    (c,) = d["contracts"]
    # Jan: 31 x 50 = 1,550 of 3,100, ended; Feb: 14 x 50 = 700 of the burn line 2,800 x 14/28 = 1,400
    assert (c["consumed_to_date"], c["expected_to_date"]) == ("2250.00", "4500.00")
    assert c["band"] == "shortfall_risk" and c["escalation_to"] == "eve"
    assert (c["owner"], c["escalation_owner"], c["clause"], c["currency"]) == ("olga", "eve", "MSA 4.2", "USD")
    assert c["days_left"] == 14  # Feb 15 .. Feb 28
    # smoothing a constant 50.00 a day gives 50.00; the run rate is 14 x 50 / 14
    assert (c["run_rate"], c["smoothed_run_rate"]) == ("50.00", "50.00")
    jan, feb = c["periods"]
    assert (jan["period_start"], jan["status"], jan["days"], jan["elapsed_days"]) == ("2026-01-01", "ended", 31, 31)
    assert (feb["status"], feb["days"], feb["elapsed_days"]) == ("current", 28, 14)
    assert (feb["consumed"], feb["expected"], feb["pacing_ratio"]) == ("700.00", "1400.00", 0.5)
    assert feb["band"] == "shortfall_risk"  # 0.5 < 0.80
    # projected 700 + 50 x 14 = 1,400; shortfall 2,800 - 1,400
    assert (feb["projected"], feb["shortfall"]) == ("1400.00", "1400.00")


def test_small_invoice_budget_anomaly_by_hand(small):
    _, d = small
    (inv,) = d["invoices"]
    # two equal usage lines of 1,550 and a VAT line: invoiced 3,100 against 1,550 of usage
    assert (inv["invoiced"], inv["expected"], inv["variance"], inv["tax"]) == ("3100.00", "1550.00", "1550.00",
                                                                            "100.00")
    assert inv["status"] == "overbilled" and inv["variance_pct"] == 1.0
    assert (inv["invoice_date"], inv["contract_id"], inv["period_inferred"], inv["notes"]) == (
        "2026-02-03", None, False, [])
    (flag,) = inv["flags"]
    assert (flag["line"], flag["flag"], flag["leakage"], flag["file"], flag["description"], flag["amount"]) == (
        3, "duplicate_line", "1550.00", "inv.csv", "GPT usage", "1550.00")
    (b,) = d["budgets"]
    # actual 14 x 50 = 700 of 1,000; run rate 50; forecast 700 + 50 x 14 = 1,400: +40 % -> high,
    # root-cause analysis due T + 24 h with the containment owner
    assert (b["actual"], b["utilization"], b["run_rate"], b["forecast"]) == ("700.00", 0.7, "50.00", "1400.00")
    assert (b["variance_pct"], b["severity"], b["alert_tier"]) == (0.4, "high", "warning")
    assert b["rca_due"] == "2026-02-15" and b["response"].startswith("root-cause analysis due within 24 h")
    assert (b["dimension"], b["value"], b["owner"], b["containment_owner"], b["escalation_owner"]) == (
        "team", "Search", "bea", "carl", "dan")
    assert b["spike"] is False and b["vendor"] is None
    # Labs on Feb 14: 200 against 13 days averaging 250 / 13 = 19.23
    labs = [a for a in d["anomalies"] if a["dimension"] == "team"]
    assert [(a["value"], a["date"], a["spend"], a["mean"]) for a in labs] == [("Labs", "2026-02-14", "200.00", "19.23")]


def test_small_imports_with_errors_and_extras(small):
    _, d = small
    (rep,) = d["imports"]
    assert rep["errors"] == [{"row": 47, "column": "cost", "message": "not an amount: 'abc'", "value": "abc"}]
    assert (rep["format_reason"], rep["encoding"], rep["delimiter"]) == ("template", None, None)


def test_small_chargeback_and_workload_shift_by_hand(small):
    _, d = small
    lines = {(x["month"], x["cost_center"]): x for x in d["chargeback"]}
    assert lines[("2026-01", "CC-100")] == {"month": "2026-01", "gl_account": "6100", "cost_center": "CC-100",
                                            "amount": "1550.00", "invoice_ids": ["INV-JAN"], "currency": "USD"}
    assert lines[("2026-02", "CC-100")]["amount"] == "700.00"
    # Labs has no cost center: its own unallocated line, 7 x 10 + 6 x 30 + 200
    assert lines[("2026-02", "unallocated")]["amount"] == "450.00"
    (w,) = d["workload_shift"]
    # run rate 450 / 14 = 32.14; 14 days left in Feb; the Feb shortfall 1,400 covers it all;
    # covers_pct against the contract's shortfall 1,550 (Jan) + 1,400 (Feb)
    assert (w["contract_id"], w["workload"], w["basis"], w["vendor"]) == ("C-1", "batch-eval", "workload", "Anthropic")
    assert (w["run_rate"], w["days_left"], w["movable_spend"], w["covers"]) == ("32.14", 14, "449.96", "449.96")
    assert w["covers_pct"] == pytest.approx(449.96 / 2950)


def test_small_renewal_rows_by_hand(small):
    _, d = small
    (sc,) = d["renewal"]
    assert (sc["name"], sc["vendor"], sc["baseline_monthly"], sc["term_months"]) == (
        "OpenAI renewal: expected", "OpenAI", "1000.00", 12)
    assert (sc["growth"], sc["growth_sd"], sc["overage_multiplier"], sc["shortfall_penalty_pct"]) == (
        0.0, 0.0, 1.0, 100.0)
    # no growth: list spend 12 x 1,000 = 12,000; at 10 % off, consumption 10,800
    assert sc["on_demand_cost"] == "12000.00"
    low, high = sc["rows"]
    # K 9,000: overage 1,800 at list (multiplier 1): cost 10,800, savings 1,200
    assert low == {"commit_level": "9000.00", "discount_pct": 10.0, "expected_cost": "10800.00",
                   "savings": "1200.00", "p_shortfall": 0.0, "expected_shortfall": "0.00",
                   "expected_overage_premium": "0.00", "least_cost": True, "safe_max": True}
    # K 12,000: shortfall 1,200 paid in full: cost 12,000, nothing saved, shortfall on every path
    assert (high["expected_cost"], high["savings"], high["p_shortfall"], high["expected_shortfall"]) == (
        "12000.00", "0.00", 1.0, "1200.00")
    assert (high["least_cost"], high["safe_max"]) == (False, False)
    assert (sc["recommended_least_cost"], sc["recommended_safe"]) == ("9000.00", "9000.00")


def test_files_report_shows_findings_as_fresh_open_actions(small):
    analysis, d = small
    acts = {a["key"]: a for a in d["actions"]}
    assert [a["key"] for a in d["actions"]] == [f.key for f in analysis.findings]
    b = acts["budget:Search AI:2026-02"]
    assert (b["severity"], b["owner"], b["due"], b["status"], b["notes"]) == ("high", "carl", "2026-02-15", "open", "")
    assert (b["opened_at"], b["last_seen"], b["resolved_at"], b["resolution"]) == (
        "2026-02-14", "2026-02-14", None, None)
    assert b["ref"] == {"allocation": "Search AI", "month": "2026-02"}
    c = acts["contract:C-1:shortfall"]
    assert (c["kind"], c["severity"], c["owner"], c["due"]) == ("contract", "high", "eve", "2026-02-21")


def test_given_actions_are_written_with_every_field_of_their_record(small):
    analysis, _ = small

    @dataclass(frozen=True)
    class Checklist:  # the shape of a checklist record: a finding plus what people set
        key: str
        kind: str
        severity: str
        title: str
        owner: str | None
        due: date | None
        status: str
        notes: str
        opened_at: date
        detail: str = ""
        ref: dict = dataclasses.field(default_factory=dict)
        reviewed: bool = False  # a field the report has never heard of

    rec = Checklist("k", "budget", "high", "t", None, date(2026, 2, 15), "in_progress", "called vendor",
                    date(2026, 2, 1), ref={"month": "2026-02", "allocation": "A"}, reviewed=True)
    (a,) = to_json_dict(analysis, actions=[rec])["actions"]
    # the checklist's columns, the finding's other fields in Finding's order, the rest in its own order
    assert list(a) == ["key", "severity", "owner", "due", "status", "notes", "kind", "title", "detail", "ref",
                       "opened_at", "reviewed"]
    assert (a["due"], a["status"], a["notes"], a["opened_at"], a["reviewed"]) == (
        "2026-02-15", "in_progress", "called vendor", "2026-02-01", True)
    assert list(a["ref"]) == ["allocation", "month"]  # maps in key order: the same text every run


def test_an_owner_read_through_a_property_is_the_owner_column(small):
    analysis, _ = small

    @dataclass(frozen=True)
    class Assigned:  # a record whose owner in charge is a person's assignment, else the finding's
        key: str
        severity: str
        due: date | None
        status: str
        notes: str
        finding_owner: str | None
        assigned_owner: str | None = None

        @property
        def owner(self) -> str | None:
            return self.assigned_owner or self.finding_owner

    acts = to_json_dict(analysis, actions=[Assigned("k1", "high", None, "open", "", "bob", "ann"),
                                           Assigned("k2", "low", None, "open", "", "bob")])["actions"]
    assert [list(a) for a in acts] == [["key", "severity", "owner", "due", "status", "notes", "finding_owner",
                                        "assigned_owner"]] * 2
    assert [(a["owner"], a["finding_owner"], a["assigned_owner"]) for a in acts] == [("ann", "bob", "ann"),
                                                                                      ("bob", "bob", None)]


def test_a_field_added_to_a_result_appears_without_a_list_to_update(small):
    analysis, _ = small

    @dataclass(frozen=True)
    class LaterLine(ChargebackLine):
        approved_by: str | None = None
        approved_on: date | None = None

    line = LaterLine("2026-02", "6100", "CC-100", D("1.005"), ("I-1",), approved_by="fin", approved_on=T)
    d = to_json_dict(dataclasses.replace(analysis, chargeback=(line,)))
    assert d["chargeback"] == [{"month": "2026-02", "gl_account": "6100", "cost_center": "CC-100",
                                "amount": "1.01", "invoice_ids": ["I-1"], "currency": "USD",
                                "approved_by": "fin", "approved_on": "2026-02-14"}]


def test_undefined_ratios_are_null_and_unknown_values_are_refused(small):
    analysis, _ = small
    w = WorkloadShiftCandidate("C-1", "x", "model", "OpenAI", D("1"), 1, D("1"), D("1"), float("nan"))
    d = to_json_dict(dataclasses.replace(analysis, workload_shift=(w,)))
    assert d["workload_shift"][0]["covers_pct"] is None
    json.loads(to_json(dataclasses.replace(analysis, workload_shift=(w,))))  # strict JSON: no NaN
    bad = ChargebackLine("2026-02", "6100", "CC-100", D("1"), (object(),))
    with pytest.raises(TypeError, match="no JSON spelling for object"):
        to_json_dict(dataclasses.replace(analysis, chargeback=(bad,)))


def test_demo_legacy_values_keep_their_spelling(demo):
    _, d = demo
    assert d["as_of"] == "2026-11-15" and d["currency"] == "USD"
    for c in d["contracts"]:
        for key in ("commitment", "consumed_to_date", "run_rate", "shortfall_exposure"):
            assert re.fullmatch(r"-?\d+\.\d\d", c[key]), (key, c[key])
        assert c["pacing_ratio"] is None or isinstance(c["pacing_ratio"], float)
    assert [c["contract_id"] for c in d["contracts"]] == sorted(c["contract_id"] for c in d["contracts"])
    assert [(b["allocation"], b["month"]) for b in d["budgets"]] == sorted((b["allocation"], b["month"])
                                                                          for b in d["budgets"])
