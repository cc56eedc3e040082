"""Commitment discounts (RIs, savings plans) linked through CommitmentDiscountId are utilization
of a purchased discount, never a contract's spend shortfall (issue 18). Hand-computed figures."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.domain import commitment_discounts as cd
from desktop.domain import explain as explain_mod
from desktop.domain import provenance as prov
from desktop.domain.analysis import AnalysisCache, build_analysis
from desktop.domain.report import to_json_dict
from desktop.ingest import load_inputs

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "focus" / "focus-1.0_sample.csv"
SP_A = "arn:aws:savingsplans::961082193871:savingsplan/493f5705-db1c-4867-8e5c-ee9a66fa6d3f"
SP_B = "arn:aws:savingsplans::365499461711:savingsplan/37985e61-4fcb-4023-9dd7-e524c80342a2"

FOCUS_HEADER = ["BilledCost", "EffectiveCost", "BillingCurrency", "ChargeCategory", "ChargePeriodStart",
                "ChargePeriodEnd", "ProviderName", "ServiceName", "ConsumedQuantity", "ConsumedUnit",
                "CommitmentDiscountId", "CommitmentDiscountStatus", "CommitmentDiscountCategory",
                "CommitmentDiscountType", "CommitmentDiscountQuantity", "CommitmentDiscountUnit"]


def commitments_naming(tmp_path, ids: list[str], amount: str = "10000.00") -> Path:
    """A FOCUS Contract Commitment file listing commitment discounts next to the usage that names
    them (as a provider's commitment dataset lists RIs and savings plans with spend commitments)."""
    p = tmp_path / "commitments.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["ContractCommitmentId", "ContractCommitmentCost", "ContractCommitmentPeriodStart",
                    "ContractCommitmentPeriodEnd", "BillingCurrency", "ServiceProviderName",
                    "ContractCommitmentCategory", "ContractCommitmentType"])
        for i in ids:
            w.writerow([i, amount, "2024-09-01T00:00:00Z", "2025-09-01T00:00:00Z", "USD", "AWS", "Spend",
                        "Savings Plan"])
    return p


def test_real_sample_savings_plans_are_not_a_contract_shortfall(tmp_path):
    """The FOCUS 1.0 sample (AWS, two savings plans named by CommitmentDiscountId on 4 Used rows)
    analysed with commitments that list those savings plans. Before: each was a contract drawing
    down every AWS row by vendor and date with its whole cost projected as shortfall exposure.
    Now: no contract, a warning, and utilization per savings plan and month."""
    inputs = load_inputs([("usage", SAMPLE), ("commitments", commitments_naming(tmp_path, [SP_A, SP_B]))])
    a = build_analysis(inputs, as_of=date(2024, 9, 30))
    assert [c.contract_id for c in a.contracts] == []
    assert sum(c.shortfall_exposure for c in a.contracts) == 0
    notes = [w for w in a.warnings if "is a commitment discount" in w]
    assert len(notes) == 2 and SP_A in notes[0] + notes[1]
    got = {(d.commitment_discount_id, d.month): (d.used_rows, d.unused_rows, d.type, d.category)
           for d in a.commitment_discounts}
    assert got == {(SP_A, "2024-09"): (1, 0, "Savings Plan", "Spend"),
                   (SP_B, "2024-09"): (3, 0, "Savings Plan", "Spend")}
    # the JSON carries them; the input commitments are still the analyst's (nothing lost)
    out = to_json_dict(a)
    assert [d["commitment_discount_id"] for d in out["commitment_discounts"]] == [SP_B, SP_A]
    assert len(a.inputs.commitments) == 2


def focus_usage(tmp_path, rows: list[dict]) -> Path:
    p = tmp_path / "focus.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, FOCUS_HEADER)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in FOCUS_HEADER})
    return p


def _row(day: str, cost: str, **kw) -> dict:
    d = {"BilledCost": cost, "EffectiveCost": cost, "BillingCurrency": "USD", "ChargeCategory": "Usage",
         "ChargePeriodStart": f"{day}T00:00:00Z", "ChargePeriodEnd": f"{day}T01:00:00Z", "ProviderName": "AWS",
         "ServiceName": "Amazon EC2", "ConsumedQuantity": "1", "ConsumedUnit": "Hours"}
    d.update(kw)
    return d


def ri(status, qty, **kw):
    return dict(CommitmentDiscountId="ri-1", CommitmentDiscountStatus=status, CommitmentDiscountCategory="Usage",
                CommitmentDiscountType="Reservation", CommitmentDiscountQuantity=qty,
                CommitmentDiscountUnit="Hours", **kw)


def sp(status, qty):
    return dict(CommitmentDiscountId="sp-1", CommitmentDiscountStatus=status, CommitmentDiscountCategory="Spend",
                CommitmentDiscountType="Savings Plan", CommitmentDiscountQuantity=qty,
                CommitmentDiscountUnit="USD")


@pytest.fixture
def analysis(tmp_path):
    rows = [
        _row("2025-09-03", "3.00", **ri("Used", "10")),
        _row("2025-09-04", "4.50", **ri("Used", "15")),
        _row("2025-09-05", "1.50", **ri("Unused", "5", ConsumedQuantity="", ConsumedUnit="")),
        _row("2025-10-01", "2.00", **ri("Used", "8")),
        _row("2025-10-02", "20.00", **sp("Used", "20")),
        _row("2025-10-03", "5.00", **sp("Unused", "5")),
        # the savings plan's purchase: spend, not consumption (EffectiveCost 0, billed 25.00)
        dict(_row("2025-10-01", "0", **sp("", "")), BilledCost="25.00", ChargeCategory="Purchase",
             CommitmentDiscountStatus=""),
        _row("2025-10-02", "7.25"),  # on-demand usage, no discount
    ]
    inputs = load_inputs([("usage", focus_usage(tmp_path, rows))])
    return build_analysis(inputs, as_of=date(2025, 10, 31))


def test_utilization_by_hand(analysis):
    by = {(d.commitment_discount_id, d.month): d for d in analysis.commitment_discounts}
    assert list(by) == [("ri-1", "2025-09"), ("ri-1", "2025-10"), ("sp-1", "2025-10")]
    sep = by[("ri-1", "2025-09")]
    # used 3.00 + 4.50 = 7.50; unused 1.50; 7.50 / 9.00 = 0.8333...
    assert (sep.used_cost, sep.unused_cost, sep.other_cost) == (Decimal("7.50"), Decimal("1.50"), Decimal("0.00"))
    assert sep.cost_utilization == pytest.approx(7.5 / 9.0)
    # hours: 10 + 15 = 25 used, 5 unused: 25 / 30
    assert (sep.used_quantity, sep.unused_quantity, sep.unit) == (25.0, 5.0, "Hours")
    assert sep.quantity_utilization == pytest.approx(25 / 30)
    assert (sep.type, sep.category, sep.used_rows, sep.unused_rows) == ("Reservation", "Usage", 2, 1)
    octo = by[("ri-1", "2025-10")]
    assert (octo.used_cost, octo.unused_cost, octo.cost_utilization) == (Decimal("2.00"), Decimal("0.00"), 1.0)
    s = by[("sp-1", "2025-10")]
    # 20.00 / (20.00 + 5.00) = 0.8; the purchase row is "other" (EffectiveCost 0)
    assert (s.used_cost, s.unused_cost, s.other_cost) == (Decimal("20.00"), Decimal("5.00"), Decimal("0.00"))
    assert s.cost_utilization == pytest.approx(0.8)
    assert s.quantity_utilization == pytest.approx(0.8)


def test_rows_behind_each_figure_add_up(analysis):
    figs = [f for f in prov.row_figures(analysis) if f.section == "commitment_discounts"]
    assert len(figs) == 9
    for f in figs:
        assert prov.total(analysis, f.rows) == f.value, (f.id, f.field)
    rows = prov.figure_rows(analysis, "commitment_discount", "ri-1|2025-09", "unused_cost")
    assert prov.frame(analysis, rows)["_row"].tolist() == [4]  # the CSV line of the Unused row


def test_explain_and_json(analysis):
    e = explain_mod.explain(analysis, "commitment_discount", "ri-1|2025-09", "cost_utilization")
    assert e.value == "83.3%"
    assert ("Unused (1 rows)", "1.50 USD") in e.steps
    e = explain_mod.explain(analysis, "commitment_discount", "ri-1|2025-09", "unused_cost")
    assert e.value == "1.50 USD" and e.source_count == 1
    out = json.loads(json.dumps(to_json_dict(analysis)))
    first = out["commitment_discounts"][0]
    assert first["commitment_discount_id"] == "ri-1" and first["used_cost"] == "7.50"
    assert first["quantity_utilization"] == pytest.approx(25 / 30)


def test_contract_applied_naming_a_discount_draws_down_no_contract(tmp_path):
    """A usage row whose contract_id names a commitment discount (FOCUS 1.3 ContractApplied can name
    the RI's ContractCommitmentId) draws down no contract and raises no 'not in the commit
    schedule' warning once that commitment is recognised as the discount."""
    rows = [_row("2025-09-03", "3.00", **ri("Used", "10")), _row("2025-09-04", "1.00", **ri("Unused", "5"))]
    usage = load_inputs([("usage", focus_usage(tmp_path, rows))]).usage
    usage["contract_id"] = "ri-1"
    inputs = load_inputs([("commitments", commitments_naming(tmp_path, ["ri-1"]))]).with_table("usage", usage)
    a = build_analysis(inputs, as_of=date(2025, 9, 30))
    assert a.contracts == ()
    assert not [w for w in a.warnings if "not in the commit schedule" in w]
    assert [(d.used_cost, d.unused_cost) for d in a.commitment_discounts] == [(Decimal("3.00"), Decimal("1.00"))]


def test_recompute_reuses_and_follows_the_usage(tmp_path):
    rows = [_row("2025-09-03", "3.00", **ri("Used", "10"))]
    inputs = load_inputs([("usage", focus_usage(tmp_path, rows)),
                          ("commitments", commitments_naming(tmp_path, ["ri-1", "CMT-OTHER"]))])
    cache = AnalysisCache()
    a = build_analysis(inputs, as_of=date(2025, 9, 30), cache=cache)
    assert [c.contract_id for c in a.contracts] == ["CMT-OTHER"]
    b = build_analysis(inputs, as_of=date(2025, 9, 30), cache=cache)
    assert [c.contract_id for c in b.contracts] == ["CMT-OTHER"]
    assert cache.hits.get("discount_keys", 0) >= 1
    assert cd.discount_keys(inputs.usage) == {"ri-1"}
