"""FOCUS 1.3 contract commitments end to end (issue 18): the published 13-column Contract
Commitment dataset (no provider column), the vendor from the usage whose ContractApplied names
the commitment, the CLI's --vendor, and usage rows without ContractApplied."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.ingest import load_inputs, read_file
from desktop.ingest.errors import VendorNeeded

DATA = Path(__file__).resolve().parents[1] / "data" / "focus-spec-examples"
# the columns of the FOCUS 1.3 Contract Commitment dataset as published
COLUMNS_13 = ["BillingCurrency", "ContractCommitmentCategory", "ContractCommitmentCost",
              "ContractCommitmentDescription", "ContractCommitmentId", "ContractCommitmentPeriodEnd",
              "ContractCommitmentPeriodStart", "ContractCommitmentQuantity", "ContractCommitmentType",
              "ContractCommitmentUnit", "ContractId", "ContractPeriodEnd", "ContractPeriodStart"]


def commitments_13(tmp_path) -> Path:
    """The spec's scenario 1 (tests/data, SOURCES.md) cut to the 13 published columns."""
    with open(DATA / "contract_commitment_scenario_1.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    p = tmp_path / "commitments.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, COLUMNS_13, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    return p


def usage_with_applied(tmp_path, applied: dict[int, str]) -> Path:
    """FOCUS 1.3 usage (the spec's prepayment drawdown example, tests/data) with a ContractApplied
    column: row i (0-based data row) applied to the commitment ``applied[i]``."""
    with open(DATA / "drawdown_via_prepayment_frontier_model_api.csv", encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        names = list(reader.fieldnames) + ["ContractApplied"]
        rows = list(reader)
    for i, r in enumerate(rows):
        cid = applied.get(i)
        r["ContractApplied"] = json.dumps({"Elements": [{
            "ContractID": "AGR-99-BETA", "ContractCommitmentID": cid,
            "ContractCommitmentAppliedCost": r["EffectiveCost"] or "0"}]}) if cid else ""
    p = tmp_path / "usage.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, names)
        w.writeheader()
        w.writerows(rows)
    return p


def test_published_13_column_commitments_need_a_vendor(tmp_path):
    """Once "internal error: KeyError: 'vendor'"; now a clear refusal naming what to give."""
    with pytest.raises(VendorNeeded, match="names no provider .* CMT-SPEND-001, CMT-RR-002, CMT-SaaS-003"):
        read_file(commitments_13(tmp_path), "commitments")


def test_published_13_column_commitments_with_a_vendor(tmp_path):
    r = read_file(commitments_13(tmp_path), "commitments", vendors="Aura Web")
    f = r.frame
    assert r.report.format == "focus-1.3-contract-commitment"
    assert f["contract_id"].tolist() == ["CMT-SPEND-001", "CMT-RR-002", "CMT-SaaS-003"]
    assert f["vendor"].tolist() == ["Aura Web"] * 3
    assert f["commitment"].tolist() == [925_000_000_000, 46_250_000_000, 111_000_000_000]
    assert f["currency"].tolist() == ["EUR"] * 3


def test_vendor_from_the_usage_whose_contract_applied_names_the_commitment(tmp_path):
    usage = usage_with_applied(tmp_path, {1: "CMT-SPEND-001", 2: "CMT-SPEND-001"})
    with pytest.raises(VendorNeeded, match="CMT-RR-002, CMT-SaaS-003"):
        load_inputs([("usage", usage), ("commitments", commitments_13(tmp_path))])
    # the commitments the usage names get its provider; a file naming all of them imports
    only_spend = tmp_path / "spend.csv"
    lines = commitments_13(tmp_path).read_text().splitlines()
    only_spend.write_text("\n".join([lines[0], lines[1]]) + "\n")
    inputs = load_inputs([("commitments", only_spend), ("usage", usage)])
    assert inputs.commitments["vendor"].tolist() == ["Solora AI"]


def test_cli_takes_vendor_for_the_commitments_no_usage_names(tmp_path, capsys):
    usage = usage_with_applied(tmp_path, {1: "CMT-SPEND-001"})
    com = commitments_13(tmp_path)
    fx = tmp_path / "fx.csv"
    fx.write_text("currency,rate,valid_from,valid_to\nEUR,1.10,2025-01-01,2029-12-31\n")
    status = main(["analyze", "--contracts", str(com), "--usage", str(usage), "--format", "json"])
    err = capsys.readouterr().err
    assert status == 2 and "give the vendor (CLI: --vendor NAME)" in err and "KeyError" not in err
    status = main(["analyze", "--contracts", str(com), "--usage", str(usage), "--fx-rates", str(fx),
                   "--vendor", "Aura Web", "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    vendors = {c["contract_id"]: c["vendor"] for c in json.loads(out)["contracts"]}
    assert vendors == {"CMT-SPEND-001": "Solora AI", "CMT-RR-002": "Aura Web", "CMT-SaaS-003": "Aura Web"}


def test_usage_without_contract_applied_applies_to_no_commitment(tmp_path):
    """In a FOCUS 1.3 file that uses ContractApplied, a Usage row without it draws down no
    commitment (never 'fits two contracts')."""
    usage = usage_with_applied(tmp_path, {1: "CMT-SPEND-001"})
    r = read_file(usage, "usage")
    f = r.frame
    usage_rows = f[f["contract_id"].isna() & (f["cost"] > 0)]
    assert not usage_rows.empty
    assert not usage_rows["commit_eligible"].any()
    assert f.loc[f["contract_id"] == "CMT-SPEND-001", "commit_eligible"].tolist() == [True]
    assert any("carry no ContractApplied" in w for w in r.report.warnings)


def test_a_file_whose_contract_applied_is_all_empty_keeps_vendor_matching(tmp_path):
    """A provider that leaves the column empty everywhere does not use it: rows stay eligible."""
    r = read_file(usage_with_applied(tmp_path, {}), "usage")
    f = r.frame
    assert f["contract_id"].isna().all()
    assert not any("carry no ContractApplied" in w for w in r.report.warnings)
    assert f["commit_eligible"].any()
