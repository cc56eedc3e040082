"""A commitment edit in the window (issue 19): the GUI thread writes the edit and nothing more;
every build of the whole inputs (the usage rollup, seconds at 1M rows) runs in the recompute's
worker, and the figures that land equal a from-scratch analysis to the cent."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

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
    before = s.computations
    page = window.page_by_key["contracts"]  # the page that edits; its schedule reads stay on the GUI thread
    window.navigate("contracts", {})
    assert page.isVisible()
    assert s.workspace.schedule("OAI-2026-RAMP")  # what the schedule editor reads
    assert s.update_commitment("OAI-2026-RAMP", date(2026, 4, 1), commitment=Decimal("123456.78"))
    qtbot.waitUntil(lambda: s.computations > before and not s.refreshing, timeout=60000)
    assert threads, "the recompute reads the inputs"
    assert threading.main_thread() not in threads
    period = next(p for c in s.analysis.contracts if c.contract_id == "OAI-2026-RAMP"
                  for p in c.periods if p.period_start == date(2026, 4, 1))
    assert period.commitment == Decimal("123456.78")
    fresh = analyse_workspace(s.workspace, s.as_of, cache=AnalysisCache())
    assert to_json(s.analysis) == to_json(fresh)
