"""pytest-qt (offscreen): the Renewal page is the negotiation workbench. It shows the Negotiation
built in its worker (the GUI thread never runs the simulation), switches vendors, adds a forecast
overlay that is stored in the workspace and undone with Edit > Undo, prices the asks of the offer
clicked, and sends offer edits to the Contracts page."""

from __future__ import annotations

import threading

import pytest

from desktop.ui import fmt

from .conftest import close_window, open_window

OFFERS = """contract_id,vendor,period_start,period_end,commitment,currency,discount_pct,overage_multiplier,shortfall_penalty_pct,rollover_pct,status,fulfilment,shortfall_treatment,notice_days
T-ANNUAL,OpenAI,2027-01-01,2027-12-31,1100000.00,USD,16,1.20,100,0,proposed,period,penalty,60
T-QTR,OpenAI,2027-01-01,2027-03-31,240000.00,USD,14,1.25,100,25,proposed,period,penalty,60
T-QTR,OpenAI,2027-04-01,2027-06-30,260000.00,USD,14,1.25,100,25,proposed,period,penalty,60
T-QTR,OpenAI,2027-07-01,2027-09-30,280000.00,USD,14,1.25,100,25,proposed,period,penalty,60
T-QTR,OpenAI,2027-10-01,2027-12-31,300000.00,USD,14,1.25,100,25,proposed,period,penalty,60
T-ANT,Anthropic,2027-03-01,2028-02-29,720000.00,USD,17,1.10,100,0,proposed,term,credit,90
"""


@pytest.fixture
def bench(qtbot, demo_path, tmp_path):
    """The demo workspace with offers of two vendors, its window on the Renewal page, the first
    Negotiation landed."""
    from desktop.store import Workspace

    src = tmp_path / "offers.csv"
    src.write_text(OFFERS, encoding="utf-8")
    with Workspace.open(demo_path) as ws:
        ws.import_file(src, "commitments")
    win = open_window(qtbot, demo_path)
    win.navigate("renewal", {})
    page = win.page_by_key["renewal"]
    qtbot.waitUntil(lambda: page.builds >= 1 and not page.runner.busy, timeout=120000)
    yield win, page
    close_window(win)


def _rebuilt(qtbot, page, before: int) -> None:
    qtbot.waitUntil(lambda: page.builds > before and not page.runner.busy, timeout=120000)


def test_the_workbench_shows_the_negotiation(qtbot, bench):
    win, page = bench
    neg = page.negotiation
    assert neg is not None and neg.vendor == page.vendor.currentText()
    assert {"Anthropic", "OpenAI"} <= set(page.vendors)  # the vendors with offers, by name
    assert page.vendors == sorted(page.vendors, key=str.casefold)
    names = [r.offer for r in neg.offers.offers]
    assert page.grid.names == names
    assert names[0].endswith("(current terms)") and page.current == names[0]  # the current contract first
    for r in neg.offers.offers:
        assert page.grid.value("Expected cost", r.offer) == fmt.money(r.expected_cost)
        assert page.grid.value("P(shortfall)", r.offer) == fmt.pct(r.p_shortfall)
        assert page.grid.value("Savings vs list", r.offer) == fmt.money(r.savings_vs_list)
    f = neg.forecast
    assert f"WAPE <b>{fmt.pct(f.wape)}</b>" in page.forecast.text()
    assert f"held <b>{fmt.pct(f.coverage80, 0)}</b> of {f.coverage_n} months" in page.forecast.text()
    assert page.asks_table.table_model.rowCount() == len(neg.asks)
    assert page.periods.table_model.rowCount() == len(next(r for r in neg.offers.offers
                                                           if r.offer == neg.selected).periods)
    qtbot.waitUntil(lambda: page.frontier.data is not None and page.tornado.data is not None, timeout=30000)
    assert page.frontier.data.kind == "frontier" and page.tornado.data.extra["offer"] == neg.selected
    assert page.batna_totals.table_model.rowCount() == len(neg.batna_totals)


def test_vendor_switch_builds_that_vendors_negotiation(qtbot, bench):
    _win, page = bench
    other = next(v for v in page.vendors if v != page.vendor.currentText())
    before = page.builds
    page.vendor.setCurrentIndex(page.vendor.findText(other))
    _rebuilt(qtbot, page, before)
    assert page.negotiation.vendor == other
    assert all(r.vendor == other for r in page.negotiation.offers.offers)
    assert page.vendor.currentText() == other


def test_an_overlay_is_stored_recomputed_and_undone(qtbot, bench):
    win, page = bench
    ws = win.session.workspace
    annual = "T-ANNUAL"
    if page.negotiation.vendor != "OpenAI":
        before = page.builds
        page.vendor.setCurrentIndex(page.vendor.findText("OpenAI"))
        _rebuilt(qtbot, page, before)
    cost = {r.offer: r.expected_cost for r in page.negotiation.offers.offers}
    before = page.builds
    rec = page.add_overlay("price_change", {"start": "2027-01-01", "change_pct": "10"})
    assert rec is not None and page.runner.busy  # the build runs in the worker: the call returned first
    _rebuilt(qtbot, page, before)
    assert [r["id"] for r in ws.overlays("OpenAI")] == [rec["id"]]
    assert page.overlays.item(0).text() == "Price change +10 % from 2027-01-01"
    after = {r.offer: r.expected_cost for r in page.negotiation.offers.offers}
    assert after[annual] > cost[annual]  # dearer list prices cost more
    assert win.session.workspace.undo_label == "add the overlay price change +10 % from 2027-01-01"
    before = page.builds
    assert win.session.undo() == "add the overlay price change +10 % from 2027-01-01"
    _rebuilt(qtbot, page, before)
    assert ws.overlays() == []
    assert page.overlays.item(0).text() == "None: the forecast as fitted"
    assert {r.offer: r.expected_cost for r in page.negotiation.offers.offers} == cost  # same futures, same cents
    # a bad overlay is refused on the page, nothing stored, nothing to undo
    assert page.add_overlay("price_change", {"start": "2027-01-01", "change_pct": "-150"}) is None
    assert page.state.text().startswith("Overlay not added: a price change must be above -100 %")
    assert ws.overlays() == [] and ws.redo_label == "add the overlay price change +10 % from 2027-01-01"


def test_selecting_an_offer_prices_its_asks(qtbot, bench):
    _win, page = bench
    neg = page.negotiation
    other = next(r.offer for r in neg.offers.offers if r.offer != neg.selected)
    before = page.builds
    page.grid.offerSelected.emit(other)
    _rebuilt(qtbot, page, before)
    assert page.negotiation.selected == other
    assert {a.offer for a in page.negotiation.asks} == {other}
    assert other in page.asks_note.text() and page.periods_title.text() == f"Per commit period · {other}"
    qtbot.waitUntil(lambda: page.tornado.data is not None and page.tornado.data.extra["offer"] == other,
                    timeout=30000)


def test_the_simulation_never_runs_on_the_gui_thread_and_can_be_cancelled(qtbot, bench, monkeypatch):
    import desktop.domain.negotiation as negotiation

    _win, page = bench
    threads = []
    real = negotiation.build_negotiation

    def spy(*args, **kw):
        threads.append(threading.current_thread() is threading.main_thread())
        return real(*args, **kw)

    monkeypatch.setattr(negotiation, "build_negotiation", spy)
    before = page.builds
    page.start("a test")
    assert page.runner.busy and not page.cancel_btn.isHidden()
    _rebuilt(qtbot, page, before)
    assert threads == [False]
    shown = page.negotiation
    page.start("a second test")
    page.cancel()
    assert "Out of date" in page.state.text() and page.negotiation is shown  # the figures stay, marked


def test_edit_offer_opens_it_on_the_contracts_page(qtbot, bench):
    win, page = bench
    seen = []
    win.session.navigateRequested.connect(lambda key, ref: seen.append((key, ref)))
    name = next(r.offer for r in page.negotiation.offers.offers if not r.offer.endswith("(current terms)"))
    if page.negotiation.selected != name:
        before = page.builds
        page.select_offer(name)
        _rebuilt(qtbot, page, before)
    assert page.edit_offer_btn.isEnabled()
    page.edit_offer()
    assert seen[0] == ("contracts", {"contract_id": name})
    contracts = win.page_by_key["contracts"]
    asked = []
    contracts.new_contract = lambda **kw: asked.append(kw)  # the editor's dialog, without showing it
    page.new_offer()
    assert seen[1] == ("contracts", {"new_offer": True, "vendor": page.negotiation.vendor})
    qtbot.waitUntil(lambda: asked == [{"offer": True}], timeout=10000)  # the Contracts page's offer editor


def test_the_brief_takes_the_workbenchs_negotiation(qtbot, bench, tmp_path):
    """Export brief writes the Negotiation sheet of the vendor on screen as the page shows it:
    the asks of the offer selected there."""
    import openpyxl

    win, page = bench
    neg = page.negotiation
    other = next(r.offer for r in neg.offers.offers if r.offer != neg.selected)
    before = page.builds
    page.select_offer(other)
    _rebuilt(qtbot, page, before)
    assert page.current_negotiation is page.negotiation
    out = tmp_path / "brief.xlsx"
    with qtbot.waitSignal(win.brief_runner.finished, timeout=180000):
        win.export_brief(out)
    ws = openpyxl.load_workbook(out)["Negotiation"]
    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert f"Priced asks for {other}: each clause change valued on the same futures (the list to take into " \
           "the call). Change = with the ask minus the offer as it stands." in texts
