"""Real public samples (tests/data/SOURCES.md), each with totals checked by hand.

Hand totals were computed with the stdlib csv module and Decimal over the raw columns, not with
CommitDesk code.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from desktop.domain.money import micros_to_cents, money_sum
from desktop.domain.settings import Settings
from desktop.ingest import read_file
from tests.conftest import DATA


def total(frame, col="cost") -> Decimal:
    return micros_to_cents(money_sum(frame[col]))


def check_accounting(r):
    rep = r.report
    assert rep.rows_read == rep.rows_imported + rep.rows_rejected + rep.totals_excluded
    assert len(r.frame) == rep.rows_imported


def test_focus_10_sample_effective_and_billed():
    path = DATA / "focus" / "focus-1.0_sample.csv"
    r = read_file(path)
    check_accounting(r)
    rep = r.report
    assert (r.kind, rep.format) == ("usage", "focus-1.0")
    assert rep.format_reason == "FOCUS 1.0 cost and usage: 43 of 44 columns matched"  # + "Id"
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (1000, 1000, 0)
    # sum(EffectiveCost) = 14.97651418586 ; sum(BilledCost) = 20.52022672899
    assert total(r.frame) == Decimal("14.98")
    assert abs(money_sum(r.frame["cost"]) - 14_976_514) <= 500  # per-row micro rounding only
    billed = read_file(path, settings=Settings(focus_cost_basis="BilledCost"))
    assert total(billed.frame) == Decimal("20.52")
    f = r.frame
    assert f["vendor"].value_counts().to_dict() == {"AWS": 942, "Microsoft": 51, "Oracle": 7}
    assert f["currency"].unique().tolist() == ["USD"]
    # 2 Adjustment + 1 Credit are spend, not consumption
    assert int((~f["commit_eligible"]).sum()) == 3
    assert any("2 Adjustment, 1 Credit" in w for w in rep.warnings)
    # first data row: ChargePeriodStart 2024-09-18 22:00 -> day 2024-09-18; the sheet row is 2
    assert f.loc[0, "date"] == pd.Timestamp("2024-09-18")
    assert f.loc[0, "_row"] == 2
    # Tags -> team/project/environment/cost_center through the tag-key mapping
    assert int((f["project"] == "BrightPathMatrix").sum()) == 176 + 0
    assert int((f["cost_center"] == "1234").sum()) >= 27  # {"CostCenter": "1234"} rows
    assert set(f["environment"].dropna().unique()) >= {"dev", "prod"}


def test_focus_tag_key_mapping_from_profile():
    from desktop.ingest import MappingProfile

    prof = MappingProfile(name="focus tags", kind="usage", columns={},
                          tag_keys={"business_unit": "cost_center", "org": "team"})
    r = read_file(DATA / "focus" / "focus-1.0_sample.csv", profile=prof)
    f = r.frame
    assert int((f["cost_center"] == "PeoriaData").sum()) == 176
    assert int((f["team"] == "trey").sum()) >= 27


@pytest.mark.parametrize("name,effective,billed,n,vendor", [
    ("cached_tokens_via_csp_marketplace.csv", "47.50", "47.50", 2, "Aura Web"),
    ("csp_served_frontier_model_first_party.csv", "4.50", "4.50", 2, "Aura Web"),
    ("drawdown_via_prepayment_frontier_model_api.csv", "50.00", "500000.00", 3, "Solora AI"),
    ("multi_model_invoice_via_csp_marketplace.csv", "2037.36", "2037.36", 8, "LatticeScale"),
    ("multi_model_usage.csv", "104.50", "104.50", 4, "Solora AI"),
    ("per_token_foundation_model_api.csv", "94.50", "94.50", 2, "Solora AI"),
])
def test_focus_ai_billing_examples(name, effective, billed, n, vendor):
    path = DATA / "focus-spec-examples" / name
    r = read_file(path)
    check_accounting(r)
    assert r.kind == "usage" and r.report.format.startswith("focus-1.")
    assert r.report.rows_imported == n
    assert total(r.frame) == Decimal(effective)
    assert total(read_file(path, settings=Settings(focus_cost_basis="BilledCost")).frame) == Decimal(billed)
    assert r.frame["vendor"].iloc[0] == vendor
    assert r.frame["date"].iloc[0] == pd.Timestamp("2025-05-01")


def test_focus_ai_billing_models_and_purchase():
    r = read_file(DATA / "focus-spec-examples" / "drawdown_via_prepayment_frontier_model_api.csv")
    f = r.frame
    assert f["commit_eligible"].tolist() == [False, True, True]  # Purchase, Usage, Usage
    assert f["model"].tolist()[1:] == ["solora-saturn-5.0", "solora-saturn-5.0"]
    assert f["meter"].tolist()[1] == "Input Tokens"
    assert f["quantity"].tolist()[1] == 5_000_000.0


def test_focus_contract_commitments():
    r = read_file(DATA / "focus-spec-examples" / "contract_commitment_scenario_1.csv")
    check_accounting(r)
    assert (r.kind, r.report.format) == ("commitments", "focus-1.3-contract-commitment")
    f = r.frame
    assert f["contract_id"].tolist() == ["CMT-SPEND-001", "CMT-RR-002", "CMT-SaaS-003"]
    assert [micros_to_cents(x) for x in f["commitment"]] == [Decimal("925000.00"), Decimal("46250.00"),
                                                            Decimal("111000.00")]
    assert f["currency"].tolist() == ["EUR"] * 3
    # ContractCommitmentPeriodEnd is exclusive: 2028-12-01T00:00Z -> last day 2028-11-30
    assert f["period_start"].tolist()[0] == pd.Timestamp("2025-12-01")
    assert f["period_end"].tolist() == [pd.Timestamp("2028-11-30"), pd.Timestamp("2026-11-30"),
                                        pd.Timestamp("2027-01-14")]
    assert f["discount_pct"].tolist() == pytest.approx([15.0, 40.0, 10.0])
    r2 = read_file(DATA / "focus-spec-examples" / "contract_commitment_scenario_2.csv")
    assert r2.frame["period_end"].tolist()[0] == pd.Timestamp("2026-04-30")  # date-only end 2026-05-01
    assert total(r2.frame, "commitment") == Decimal("385000.00")


@pytest.mark.parametrize("name,n,cents,eligible", [
    ("EA_ActualCost_Small.csv", 11, "8.55", 10),  # sum(Cost) = 8.5450077867419368
    ("EA_AmortizedCost_Small.csv", 28, "16.30", 28),  # sum(Cost) = 16.2969321366366446...
])
def test_azure_ea(name, n, cents, eligible):
    r = read_file(DATA / "azure" / name)
    check_accounting(r)
    rep = r.report
    assert (r.kind, rep.format) == ("usage", "azure-ea")
    assert rep.encoding == "utf-8-sig"
    assert rep.format_reason == "Azure EA cost details (PascalCase): 55 of 55 columns matched"
    assert rep.rows_imported == n and rep.rows_rejected == 0
    assert total(r.frame) == Decimal(cents)
    assert int(r.frame["commit_eligible"].sum()) == eligible
    # MM/DD/YYYY dates
    assert r.frame["date"].min() >= pd.Timestamp("2023-09-01")
    assert r.frame["date"].max() <= pd.Timestamp("2023-09-30")
    assert r.frame["vendor"].unique().tolist() == ["Microsoft"]


def test_azure_ea_tags_without_braces_and_cost_center():
    f = read_file(DATA / "azure" / "EA_ActualCost_Small.csv").frame
    row = f[f["_row"] == 3].iloc[0]  # Tags "CostCenter": "1234","env": "prod",...; CostCenter ACM9000
    assert row["environment"] == "prod"
    assert row["cost_center"] == "ACM9000"  # the CostCenter column wins over the tag
    assert row["project"] == "databricks"  # "application" tag


def test_openai_dashboard_cost_export_with_short_row():
    r = read_file(DATA / "vendor-fixtures" / "openai_dashboard_cost_export_fixture.csv")
    check_accounting(r)
    rep = r.report
    assert (r.kind, rep.format) == ("usage", "openai-cost-export")
    assert rep.format_reason == "OpenAI cost export: 17 of 17 columns matched"
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (3, 3, 0)
    f = r.frame
    # 0 (empty bucket) + 0.003835980000... + 0.5
    assert f["cost"].tolist() == [0, 3836, 500_000]
    assert total(f) == Decimal("0.50")
    assert f["date"].tolist() == [pd.Timestamp("2026-09-27"), pd.Timestamp("2026-09-28"),
                                  pd.Timestamp("2026-09-28")]
    assert f["model"].tolist()[2] == "gpt-5-nano"
    assert f["meter"].tolist()[2] == "input_tokens"
    assert f["api_key"].tolist()[2] == "key_1"
    assert f["project"].tolist()[2] == "Proj A"
    assert f["currency"].tolist() == ["USD"] * 3
    assert any("fewer fields" in w and "4" in w for w in rep.warnings)
    assert any("empty time bucket" in w for w in rep.warnings)
