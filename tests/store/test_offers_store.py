"""Offers in the workspace (docs/domain.md "Offers"): imported as proposed contracts (a commitments
file whose rows say status proposed, or the offers file shape), created and edited by hand,
a status changed by a person, all undoable and kept across a reopen; never drawing down usage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pandas as pd
import pytest

from desktop.domain.errors import InputError
from desktop.domain.offers import offers_from_commitments
from desktop.store import Workspace

M = 1_000_000


def write(path, rows: list[dict]):
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


RUNNING = {"contract_id": "OAI-2026", "vendor": "OpenAI", "period_start": "2026-01-01",
           "period_end": "2026-12-31", "commitment": "100000.00", "notice_days": "30"}


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "w.commitdesk"
    with Workspace.open(path, create=True) as w:
        w.import_file(write(tmp_path / "commitments.csv", [RUNNING]), "commitments")
    w = Workspace.open(path)
    yield w
    w.close()


def statuses(w):
    c = w.inputs().commitments
    return {cid: sorted(set(g["status"])) for cid, g in c.groupby("contract_id")}


def test_a_commitments_file_of_proposed_rows_is_imported_as_offers_and_kept(ws, tmp_path):
    f = write(tmp_path / "offer.csv", [
        {"contract_id": "OAI-2027-Q", "vendor": "OpenAI", "period_start": "2027-01-01", "period_end": "2027-06-30",
         "commitment": "60000", "discount_pct": "15", "status": "proposed", "rollover_pct": "30",
         "rollover_cap": "5000", "rollover_expiry_periods": "2", "notice_days": "45"},
        {"contract_id": "OAI-2027-Q", "vendor": "OpenAI", "period_start": "2027-07-01", "period_end": "2027-12-31",
         "commitment": "70000", "discount_pct": "17", "status": "Proposed", "rollover_pct": "30"}])
    ws.import_file(f, "commitments")
    assert statuses(ws) == {"OAI-2026": ["active"], "OAI-2027-Q": ["proposed"]}
    path = ws.path
    ws.close()
    with Workspace.open(path) as again:
        cur, offer = offers_from_commitments(again.inputs().commitments, "OpenAI")
        assert (cur.name, offer.name) == ("OAI-2026 (current terms)", "OAI-2027-Q")
        assert [(p.commitment, p.discount_pct) for p in offer.periods] == [(60_000, 15.0), (70_000, 17.0)]
        assert (offer.rollover_cap, offer.rollover_expiry_periods, offer.notice_days) == (5000, 2, 45)


def test_the_offers_file_shape_becomes_proposed_contracts_named_by_offer(ws, tmp_path):
    f = write(tmp_path / "offers.csv", [
        {"offer": "annual", "contract_id": "OAI-R", "vendor": "OpenAI", "period_start": "2027-01-01",
         "period_end": "2027-12-31", "commitment": "120000", "shortfall_treatment": "credit", "fulfilment": "term"},
        {"offer": "quarterly", "contract_id": "OAI-R", "vendor": "OpenAI", "period_start": "2027-01-01",
         "period_end": "2027-06-30", "commitment": "60000"},
        {"offer": "quarterly", "contract_id": "OAI-R", "vendor": "OpenAI", "period_start": "2027-07-01",
         "period_end": "2027-12-31", "commitment": "60000"}])
    report = ws.import_file(f, "commitments")
    assert statuses(ws) == {"OAI-2026": ["active"], "annual": ["proposed"], "quarterly": ["proposed"]}
    assert any("offer" in w and "OAI-R" in w for w in report.warnings), report.warnings


def test_an_offer_file_with_a_usage_row_is_refused_naming_row_and_column(ws, tmp_path):
    f = write(tmp_path / "bad.csv", [
        {"contract_id": "X", "vendor": "OpenAI", "period_start": "2027-01-01", "period_end": "2027-12-31",
         "commitment": "100", "status": "proposed"},
        {"contract_id": "Y", "vendor": "OpenAI", "period_start": "2027-01-01", "period_end": "2027-12-31",
         "commitment": "100", "status": "proposed", "commitment_category": "usage", "committed_quantity": "5",
         "unit": "1M tokens"}])
    with pytest.raises(InputError) as exc:
        ws.import_file(f, "commitments")
    assert (exc.value.file, exc.value.row, exc.value.column) == ("bad.csv", 3, "commitment_category")
    assert "spend commitment" in exc.value.message


def test_new_offer_edit_status_undo_redo_and_reopen(ws):
    ws.new_contract("OAI-2027-A", "openai", "2027-01-01", "2027-12-31", "110000", status="proposed",
                    discount_pct="18")
    assert statuses(ws)["OAI-2027-A"] == ["proposed"]
    ws.split_period("OAI-2027-A", date(2027, 1, 1), date(2027, 7, 1))  # a ramp: two halves...
    ws.update_commitment("OAI-2027-A", date(2027, 7, 1), commitment="70000")  # ...the second larger
    ws.update_commitment("OAI-2027-A", date(2027, 1, 1), shortfall_treatment="Credit")  # contract-wide
    offer = offers_from_commitments(ws.inputs().commitments, include_current=False)[0]
    assert [(p.start, p.commitment) for p in offer.periods] == [(date(2027, 1, 1), D("54547.95")),
                                                                (date(2027, 7, 1), 70_000)]
    assert offer.shortfall_treatment == "credit"
    c = ws.inputs().commitments
    assert c.loc[c["contract_id"] == "OAI-2027-A", "shortfall_treatment"].tolist() == ["credit", "credit"]
    # a person signs it: one undo step for the whole contract
    ws.set_contract_terms("OAI-2027-A", status="active")
    assert statuses(ws)["OAI-2027-A"] == ["active"] and ws.undo_label == "set OAI-2027-A active"
    ws.undo()
    assert statuses(ws)["OAI-2027-A"] == ["proposed"]
    ws.redo()
    assert statuses(ws)["OAI-2027-A"] == ["active"]
    ws.set_contract_terms("OAI-2026", status="expired")
    path = ws.path
    ws.close()
    with Workspace.open(path) as again:
        assert statuses(again) == {"OAI-2026": ["expired"], "OAI-2027-A": ["active"]}
        with pytest.raises(InputError, match="status must be one of"):
            again.set_contract_terms("OAI-2026", status="signed")
