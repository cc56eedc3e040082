"""Spend vs usage contract commitments (FOCUS ContractCommitmentCategory, issue 18): a usage
commitment is measured in its unit (consumed quantity against committed quantity), a spend one
in money. Hand-computed figures (docs/domain.md "Usage commitments")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.domain import validation
from desktop.domain.analysis import build_analysis
from desktop.domain.errors import InputError
from desktop.domain.explain import explain
from desktop.domain.report import to_json_dict
from desktop.ingest import load_inputs, read_file

DATA = Path(__file__).resolve().parents[1] / "data" / "focus-spec-examples"

COMMITMENTS = """contract_id,vendor,period_start,period_end,commitment,currency,commitment_category,committed_quantity,unit
CMT-GPU,Acme Co,2026-01-01,2026-01-10,5000.00,USD,usage,100,GPU-Hours
SPEND-1,Other Co,2026-01-01,2026-01-10,5000.00,USD,spend,,
"""
# CMT-GPU: 6 GPU-hours a day on Jan 1-5 (one row spelled gpu-hours), 240.00 each, and a 7 TB
# row of 70.00 that is spend of the contract but not in its unit. SPEND-1: 1,270.00 of spend.
USAGE = """date,vendor,cost,currency,quantity,unit,contract_id
2026-01-01,Acme Co,240.00,USD,6,GPU-Hours,CMT-GPU
2026-01-02,Acme Co,240.00,USD,6,GPU-Hours,CMT-GPU
2026-01-03,Acme Co,240.00,USD,6,gpu-hours,CMT-GPU
2026-01-03,Acme Co,70.00,USD,7,TB,CMT-GPU
2026-01-04,Acme Co,240.00,USD,6,GPU-Hours,CMT-GPU
2026-01-05,Acme Co,240.00,USD,6,GPU-Hours,CMT-GPU
2026-01-05,Other Co,1270.00,USD,,,
"""


@pytest.fixture
def analysis(tmp_path):
    (tmp_path / "c.csv").write_text(COMMITMENTS)
    (tmp_path / "u.csv").write_text(USAGE)
    inputs = load_inputs([("commitments", tmp_path / "c.csv"), ("usage", tmp_path / "u.csv")])
    return build_analysis(inputs, as_of=date(2026, 1, 5))


def test_usage_commitment_is_measured_in_its_unit(analysis):
    gpu, spend = analysis.contracts
    assert (gpu.contract_id, gpu.measure, spend.measure) == ("CMT-GPU", "usage", "spend")
    q = gpu.quantity
    # consumed 5 x 6 = 30 h (the TB row is not hours); expected 100 h x 5/10 days = 50 h
    assert (q.unit, q.committed, q.consumed, q.expected) == ("GPU-Hours", 100.0, 30.0, 50.0)
    assert gpu.pacing_ratio == 0.6 and gpu.band == "shortfall_risk"
    # run rate 30 h / 5 days = 6 h/day; projected 30 + 6 x 5 days left = 60 h; shortfall 40 h
    assert (q.run_rate, q.projected, q.shortfall, q.overage) == (6.0, 60.0, 40.0, 0.0)
    assert q.required_run_rate == 14.0  # (100 - 30) h / 5 days left
    # valued at 5,000.00 / 100 h = 50.00 per hour: 40 h x 50.00 x 100 % = 2,000.00
    assert gpu.shortfall_exposure == Decimal("2000.00")
    assert gpu.periods[0].shortfall == Decimal("2000.00") and gpu.periods[0].quantity.shortfall == 40.0
    # the money of its rows is still its spend: 5 x 240.00 + 70.00
    assert gpu.consumed_to_date == Decimal("1270.00") and gpu.expected_to_date == Decimal("2500.00")


def test_spend_commitment_is_measured_in_money(analysis):
    spend = analysis.contracts[1]
    # 1,270.00 of 2,500.00 expected; run rate 1,270.00 / 5 = 254.00; projected 1,270 + 254 x 5
    # = 2,540.00; shortfall 5,000.00 - 2,540.00 = 2,460.00 (what CMT-GPU showed before)
    assert spend.quantity is None and spend.pacing_ratio == pytest.approx(0.508)
    assert (spend.projected_consumption, spend.shortfall_exposure) == (Decimal("2540.00"), Decimal("2460.00"))


def test_json_and_explain_say_the_unit(analysis):
    c = to_json_dict(analysis)["contracts"][0]
    assert c["measure"] == "usage" and c["quantity"]["unit"] == "GPU-Hours"
    assert c["quantity"]["shortfall"] == 40.0 and c["shortfall_exposure"] == "2000.00"
    e = explain(analysis, "contract", "CMT-GPU", "shortfall_exposure")
    assert any("shortfall 40.00 GPU-Hours" == v for _, v in e.steps)
    assert e.value == "2,000.00 USD"


def test_validation_of_usage_commitments():
    row = {"commitment_category": "usage", "committed_quantity": "", "unit": "Hours"}
    assert validation.check_row("commitments", "committed_quantity", "", row) == \
        "a usage commitment needs committed_quantity (0 or more)"
    assert validation.check_row("commitments", "committed_quantity", "-1", row) == \
        "a usage commitment needs committed_quantity (0 or more)"
    assert validation.check_row("commitments", "committed_quantity", "0", row) is None  # a tier
    assert validation.check_row("commitments", "unit", "", {"commitment_category": "usage"}) == \
        "a usage commitment needs the unit it is measured in"
    assert validation.check_row("commitments", "commitment_category", "capacity") == \
        "commitment_category must be spend or usage"
    assert validation.check_row("commitments", "committed_quantity", "", {"commitment_category": "spend"}) is None


def test_a_contract_mixing_spend_and_usage_periods_is_refused(tmp_path):
    (tmp_path / "c.csv").write_text(
        COMMITMENTS.splitlines()[0] + "\n"
        "MIX,Acme Co,2026-01-01,2026-01-10,5000.00,USD,usage,100,GPU-Hours\n"
        "MIX,Acme Co,2026-01-11,2026-01-20,5000.00,USD,spend,,\n")
    (tmp_path / "u.csv").write_text(USAGE)
    inputs = load_inputs([("commitments", tmp_path / "c.csv"), ("usage", tmp_path / "u.csv")])
    with pytest.raises(InputError, match="contract MIX mixes spend and usage"):
        build_analysis(inputs, as_of=date(2026, 1, 5))


def test_focus_contract_commitment_category_quantity_and_unit():
    """The spec's scenario 2 (tests/data): a GPU reservation, seats and an egress tier, all Usage."""
    r = read_file(DATA / "contract_commitment_scenario_2.csv")
    f = r.frame
    assert f["commitment_category"].tolist() == ["usage"] * 3
    assert f["committed_quantity"].tolist() == [5000.0, 500.0, 100.0]
    assert f["unit"].tolist() == ["GPU-Hours", "Seats", "Terabytes"]
    assert any("3 commitment(s) are usage commitments" in w for w in r.report.warnings)
    spend = read_file(DATA / "contract_commitment_scenario_1.csv").frame
    assert spend["commitment_category"].tolist() == ["spend", "usage", "spend"]


def test_a_tier_committing_nothing_is_paced_in_units_and_owes_nothing(tmp_path):
    """FOCUS scenario 3's "Tier 2 Storage Overage": 0 units for 0.00 (once refused the whole file)."""
    (tmp_path / "c.csv").write_text(COMMITMENTS.splitlines()[0] + "\n"
                                    "TIER,Acme Co,2026-01-01,2026-01-10,0.00,USD,usage,0,GPU-Hours\n")
    (tmp_path / "u.csv").write_text(USAGE.replace("CMT-GPU", "TIER"))
    inputs = load_inputs([("commitments", tmp_path / "c.csv"), ("usage", tmp_path / "u.csv")])
    (c,) = build_analysis(inputs, as_of=date(2026, 1, 5)).contracts
    assert (c.quantity.consumed, c.quantity.committed, c.pacing_ratio) == (30.0, 0.0, None)
    # 60 h projected over a commitment of 0: 60 h of overage, valued at a price of 0
    assert c.quantity.overage == 60.0 and (c.shortfall_exposure, c.overage_premium) == (Decimal("0.00"),
                                                                                          Decimal("0.00"))
    scenario = read_file(DATA / "contract_commitment_scenario_3.csv")
    assert scenario.report.rows_rejected == 0 and scenario.frame["committed_quantity"].tolist()[1] == 0.0
