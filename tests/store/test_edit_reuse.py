"""What a commitment edit recomputes (issue 19): the edited commitments table is keyed by what it
is made of (imported batches, cell edits, schedules set by hand), so an unchanged edited table
is recognised without hashing it; the notice deadlines are kept across an amount edit (they read
other columns) and recomputed when a notice term changes; every result equals a fresh build."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from desktop.domain.analysis import AnalysisCache
from desktop.domain.report import to_json
from desktop.store import Workspace, create_demo_workspace
from desktop.workspace_analysis import analyse_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return create_demo_workspace(tmp_path_factory.mktemp("demo") / "demo.commitdesk")


def test_the_edited_commitments_are_keyed_by_their_edits(demo, tmp_path):
    path = tmp_path / "ws.commitdesk"
    shutil.copy(demo, path)
    with Workspace.open(path) as ws:
        imported = ws.inputs().keys["commitments"]
        a = analyse_workspace(ws)
        c = next(c for c in a.contracts if c.periods)
        ws.update_commitment(c.contract_id, c.periods[0].period_start, commitment=c.periods[0].commitment + 1)
        first, again = ws.inputs().keys["commitments"], ws.inputs().keys["commitments"]
        assert first == again and first[0] == "edited" and first[1] == imported
        ws.update_commitment(c.contract_id, c.periods[0].period_start, commitment=c.periods[0].commitment + 2)
        assert ws.inputs().keys["commitments"] != first
        ws.undo()
        assert ws.inputs().keys["commitments"] == first  # the same edits, the same key
        ws.undo()
        assert ws.inputs().keys["commitments"] == imported  # no edit: the batches' own key


def test_an_amount_edit_keeps_the_notice_deadlines_a_notice_edit_recomputes_them(demo, tmp_path):
    path = tmp_path / "ws.commitdesk"
    shutil.copy(demo, path)
    with Workspace.open(path) as ws:
        cache = AnalysisCache()
        a = analyse_workspace(ws, cache=cache)
        c = next(c for c in a.contracts if c.periods)
        start = c.periods[0].period_start
        misses = dict(cache.misses)
        ws.update_commitment(c.contract_id, start, commitment=c.periods[0].commitment + Decimal("1000"))
        b = analyse_workspace(ws, cache=cache)
        assert to_json(b) == to_json(analyse_workspace(ws, cache=AnalysisCache()))
        assert to_json(b) != to_json(a)
        assert cache.misses["notice_deadlines"] == misses["notice_deadlines"]
        assert cache.misses["validated"] == misses["validated"] + 1
        again = dict(cache.misses)
        analyse_workspace(ws, cache=cache)  # nothing changed: nothing keyed by the commitments rebuilt
        assert {k: v for k, v in cache.misses.items() if v != again.get(k)} == {}
        ws.update_commitment(c.contract_id, start, notice_days=45)
        d = analyse_workspace(ws, cache=cache)
        assert cache.misses["notice_deadlines"] == misses["notice_deadlines"] + 1
        assert to_json(d) == to_json(analyse_workspace(ws, cache=AnalysisCache()))
