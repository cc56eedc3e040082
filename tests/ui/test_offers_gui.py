"""Offers on the Contracts page and the notice deadlines on Overview (docs/domain.md "Offers"):
the demo's two OpenAI offers listed as proposed contracts with their schedules, a new offer
shaped in the schedule editor, its status set by hand (one undo step), and the calendar box."""

from __future__ import annotations

from datetime import date

from desktop.store import Workspace


def _table(page_table):
    m = page_table.table_model
    return [[m.data(m.index(r, c)) for c in range(m.columnCount())] for r in range(m.rowCount())]


def _column(model, title):
    j = next(i for i, c in enumerate(model.columns) if c.title == title)
    return [model.data(model.index(r, j)) for r in range(model.rowCount())]


def test_the_demo_offers_are_proposed_contracts_on_the_contracts_page(qtbot, window):
    page = window.page_by_key["contracts"]
    window.navigate("contracts", {})
    m = page.table.table_model
    rows = dict(zip(_column(m, "Contract"), _column(m, "Status"), strict=True))
    assert rows["OAI-2027-QUARTERLY"] == rows["OAI-2027-ANNUAL"] == "Proposed"
    assert rows["OAI-2026-RAMP"] == "Active" and rows["AZ-2025-EA"] == "Expired"
    # no figures of an offer: it draws down nothing
    assert "OAI-2027-ANNUAL" not in [c.contract_id for c in window.session.analysis.contracts]
    page.select_contract("OAI-2027-QUARTERLY")
    assert page.title_label.text().startswith("OAI-2027-QUARTERLY · OpenAI · 2027-01-01 to 2027-12-31")
    assert "draws down no usage" in page.summary.text()
    assert page.tabs.currentIndex() == page.tabs.indexOf(page.schedule.parentWidget())
    sm = page.schedule.table_model
    assert _column(sm, "Commitment") == ["300,000.00", "320,000.00", "340,000.00", "360,000.00"]
    assert set(_column(sm, "Rollover cap")) == {"50,000.00"}
    assert page.status_box.currentData() == "proposed"


def test_a_new_offer_shaped_and_signed_by_hand_with_undo(qtbot, window, demo_path):
    s = window.session
    page = window.page_by_key["contracts"]
    window.navigate("contracts", {})
    n = s.computations
    assert page.new_contract({"contract_id": "ANT-2027-OFFER", "vendor": "Anthropic", "period_start": date(2027, 3, 1),
                              "period_end": date(2028, 2, 29), "commitment": "720000", "currency": "USD",
                              "owner": ""}, offer=True) is None
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    assert "ANT-2027-OFFER" in _column(page.table.table_model, "Contract")
    assert "ANT-2027-OFFER" not in [c.contract_id for c in s.analysis.contracts]
    page.select_contract("ANT-2027-OFFER")
    page.schedule.select_source_rows([0])
    n = s.computations
    page.split_period(at=date(2027, 9, 1))  # a ramp begins with two halves
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    page.select_contract("ANT-2027-OFFER")
    assert _column(page.schedule.table_model, "Period start") == ["2027-03-01", "2027-09-01"]
    # a person signs it: active, it now draws down usage and has figures
    n = s.computations
    assert page.set_status("active") is None
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    assert "ANT-2027-OFFER" in [c.contract_id for c in s.analysis.contracts]
    assert s.workspace.undo_label == "set ANT-2027-OFFER active"
    n = s.computations
    window.a_undo.trigger()
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    assert "ANT-2027-OFFER" not in [c.contract_id for c in s.analysis.contracts]
    with Workspace.open(demo_path, readonly=True) as ws:  # kept in the workspace
        assert {p["status"] for p in ws.schedule("ANT-2027-OFFER")} == {"proposed"}


def test_overview_lists_the_notice_deadlines(qtbot, window):
    page = window.page_by_key["overview"]
    m = page.notices.table_model
    # as of 2026-11-15: OAI-2026-RAMP ends 2026-12-31 with 30 days' notice -> 2026-12-01 (16 days);
    # ANT-2026-ANNUAL ends 2027-02-28 with 60 -> 2026-12-30 (45 days)
    assert _column(m, "Contract") == ["OAI-2026-RAMP", "ANT-2026-ANNUAL"]
    assert _column(m, "Deadline") == ["2026-12-01", "2026-12-30"]
    assert _column(m, "Days left") == ["16", "45"]
    titles = [f.title for f in window.session.analysis.findings if f.kind == "notice"]
    assert titles == ["Give notice or renew OAI-2026-RAMP (OpenAI) by 2026-12-01",
                      "Give notice or renew ANT-2026-ANNUAL (Anthropic) by 2026-12-30"]
