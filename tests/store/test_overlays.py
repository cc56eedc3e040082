"""Forecast overlays of the renewal workbench: stored in the workspace, validated, undoable."""

from __future__ import annotations

import pytest

from desktop.domain import overlays
from desktop.domain.errors import InputError
from desktop.store import Workspace


@pytest.fixture
def ws(tmp_path):
    w = Workspace.open(tmp_path / "o.commitdesk", create=True)
    yield w
    w.close()


def test_add_remove_undo_redo_and_reopen(ws, tmp_path):
    a = ws.add_overlay({"kind": "workload_launch", "vendor": "OpenAI", "start": "2027-01-01",
                        "monthly_amount": "12,000"})
    assert a["monthly_amount"] == "12000.00" and a["start"] == "2027-01-01" and a["id"]
    b = ws.add_overlay({"kind": "price_change", "vendor": "anthropic", "start": "2027-03-01", "change_pct": "-10"})
    assert [r["id"] for r in ws.overlays()] == [a["id"], b["id"]]
    assert [r["id"] for r in ws.overlays("Anthropic")] == [b["id"]]
    assert ws.undo_label == "add the overlay price change -10 % from 2027-03-01"
    assert ws.remove_overlay(a["id"]) is True
    assert ws.remove_overlay("nope") is False
    assert [r["id"] for r in ws.overlays()] == [b["id"]]
    assert ws.undo() == "remove the overlay workload launch +12,000.00 / month from 2027-01-01"
    assert [r["id"] for r in ws.overlays()] == [a["id"], b["id"]]
    ws.undo()
    ws.undo()
    assert ws.overlays() == []
    ws.redo()
    assert [r["id"] for r in ws.overlays()] == [a["id"]]
    path = ws.path
    ws.close()
    with Workspace.open(path) as again:
        assert again.overlays() == [a]


@pytest.mark.parametrize("record, column", [
    ({"kind": "launch", "vendor": "OpenAI", "start": "2027-01-01"}, "kind"),
    ({"kind": "price_change", "vendor": " ", "start": "2027-01-01", "change_pct": "5"}, "vendor"),
    ({"kind": "price_change", "vendor": "OpenAI", "start": "next year", "change_pct": "5"}, "start"),
    ({"kind": "price_change", "vendor": "OpenAI", "start": "2027-01-01", "change_pct": "-100"}, "change_pct"),
    ({"kind": "model_migration", "vendor": "OpenAI", "start": "2027-01-01", "model": "gpt-4o", "share_pct": "120",
      "price_pct": "40"}, "share_pct"),
    ({"kind": "model_migration", "vendor": "OpenAI", "start": "2027-01-01", "model": "gpt-4o", "share_pct": "30",
      "price_pct": "0"}, "price_pct"),
    ({"kind": "model_migration", "vendor": "OpenAI", "start": "2027-01-01", "share_pct": "30",
      "price_pct": "40"}, "model"),
    ({"kind": "model_migration", "vendor": "OpenAI", "start": "2027-01-01", "model": "gpt-4o", "share_pct": "30"},
     "to_model"),
    ({"kind": "workload_launch", "vendor": "OpenAI", "start": "2027-01-01", "monthly_amount": "lots"},
     "monthly_amount"),
])
def test_a_bad_overlay_is_refused_naming_the_field(ws, record, column):
    with pytest.raises(InputError) as e:
        ws.add_overlay(record)
    assert e.value.column == column
    assert ws.overlays() == [] and not ws.can_undo


def test_describe_each_kind():
    assert overlays.describe(overlays.clean({"kind": "model_migration", "vendor": "OpenAI", "start": "2027-02-01",
                                             "model": "gpt-4o", "to_model": "gpt-4o-mini", "share_pct": "30.0",
                                             "price_pct": "40"})) == \
        "model migration: 30 % of gpt-4o to gpt-4o-mini at 40 % of today's price from 2027-02-01"
    assert overlays.describe(overlays.clean({"kind": "price_change", "vendor": "OpenAI", "start": "2027-02-01",
                                             "change_pct": "5"})) == "price change +5 % from 2027-02-01"


def test_records_become_the_forecasts_overlays():
    from datetime import date
    from decimal import Decimal

    from desktop.domain import forecast as fc

    recs = [overlays.clean(r) for r in (
        {"kind": "workload_launch", "vendor": "OpenAI", "start": "2027-01-01", "monthly_amount": "12000"},
        {"kind": "model_migration", "vendor": "OpenAI", "start": "2027-02-15", "model": "gpt-4o",
         "to_model": "gpt-4o-mini", "share_pct": "30", "price_pct": "40"},
        {"kind": "model_migration", "vendor": "OpenAI", "start": "2027-02-15", "model": "gpt-4o",
         "to_model": "gpt-4o-mini", "share_pct": "25"},
        {"kind": "price_change", "vendor": "OpenAI", "start": "2027-03-01", "change_pct": "-10"},
    )]
    assert overlays.to_forecast(recs) == (
        fc.WorkloadLaunch(date(2027, 1, 1), Decimal("12000.00")),
        fc.ModelMigration(date(2027, 2, 15), "gpt-4o", 30.0, "gpt-4o-mini", 0.4),
        fc.ModelMigration(date(2027, 2, 15), "gpt-4o", 25.0, "gpt-4o-mini", None),  # priced from the rate card
        fc.PriceChange(date(2027, 3, 1), -10.0),
    )
