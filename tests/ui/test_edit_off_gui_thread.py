"""A commitment edit in the window (issue 19): the GUI thread writes the edit and nothing more;
every build of the whole inputs (the usage rollup, seconds at 1M rows) runs in the recompute's
worker, and the figures that land equal a from-scratch analysis to the cent."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from desktop.domain import schedule
from desktop.domain.analysis import AnalysisCache
from desktop.domain.report import to_json
from desktop.store.batches import Batches
from desktop.workspace_analysis import analyse_workspace


def test_an_edit_builds_the_inputs_only_in_the_worker_and_lands_the_fresh_figures(qtbot, window, monkeypatch):
    s = window.session
    threads: list[threading.Thread] = []
    real = Batches.inputs

    def spy(self, progress=None):
        threads.append(threading.current_thread())
        return real(self, progress)

    monkeypatch.setattr(Batches, "inputs", spy)
    derived: list[threading.Thread] = []  # the Contracts page's domain work (offers, schedules)
    real_by_contract = schedule.by_contract

    def by_contract(frame):
        derived.append(threading.current_thread())
        return real_by_contract(frame)

    monkeypatch.setattr(schedule, "by_contract", by_contract)
    before = s.computations
    page = window.page_by_key["contracts"]  # the page that edits; its schedule reads stay on the GUI thread
    window.navigate("contracts", {})
    assert page.isVisible()
    assert s.workspace.schedule("OAI-2026-RAMP")  # what the schedule editor reads
    threads.clear()
    derived.clear()  # the page built after the figures landed prepared them itself, once
    assert s.update_commitment("OAI-2026-RAMP", date(2026, 4, 1), commitment=Decimal("123456.78"))
    qtbot.waitUntil(lambda: s.computations > before and not s.refreshing, timeout=60000)
    assert threads, "the recompute reads the inputs"
    assert threading.main_thread() not in threads
    assert derived and threading.main_thread() not in derived  # prepared in the recompute's worker
    assert page._computed_schedule("OAI-2026-RAMP")[1]["commitment"] == 123_456_780_000  # micros
    period = next(p for c in s.analysis.contracts if c.contract_id == "OAI-2026-RAMP"
                  for p in c.periods if p.period_start == date(2026, 4, 1))
    assert period.commitment == Decimal("123456.78")
    fresh = analyse_workspace(s.workspace, s.as_of, cache=AnalysisCache())
    assert to_json(s.analysis) == to_json(fresh)


def test_every_contract_schedule_in_one_pass_equals_each_contract_alone(window):
    s = window.session
    ant = next(c for c in s.analysis.contracts if c.contract_id == "ANT-2026-ANNUAL").periods[0]
    middle = ant.period_start + (ant.period_end - ant.period_start) / 2
    s.workspace.split_period("ANT-2026-ANNUAL", ant.period_start, middle)  # a schedule set by hand
    com = s.workspace.inputs().commitments
    got = schedule.by_contract(com)
    assert set(got) == set(com["contract_id"].astype(str))
    for cid, periods in got.items():
        assert [{k: v for k, v in p.items() if k != "_source"} for p in periods] == schedule.from_frame(com, cid)
    assert len(got["ANT-2026-ANNUAL"]) >= 2
    assert {p["_source"] for p in got["ANT-2026-ANNUAL"]} == {schedule.EDITED_SOURCE}
    assert all(p["_source"].startswith("commitments") and " row " in p["_source"] for p in got["OAI-2026-RAMP"])
