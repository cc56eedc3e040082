"""The actions checklist: findings -> actions with stable keys, analyst status, resolution."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.domain.errors import InputError
from desktop.domain.results import Finding
from desktop.store import Workspace
from desktop.workspace_analysis import analyse_workspace, sync_checklist


def f(key: str, severity: str = "high", owner: str | None = "ana", due: date | None = None,
      title: str | None = None) -> Finding:
    kind = key.split(":")[0]
    return Finding(key=key, kind=kind, severity=severity, title=title or f"title of {key}",
                   owner=owner, due=due, detail=f"detail of {key}", ref={"k": key})


BUDGET = "budget:Team Search:2026-10"
CONTRACT = "contract:C-1:shortfall"
FLAG = "flag:INV-7:duplicate_line:abc"


def test_new_findings_open_actions(ws):
    ws.sync_actions((f(BUDGET, due=date(2026, 10, 16)), f(CONTRACT, "low", "bo", date(2026, 10, 29)),
                     f(FLAG, "medium", None)), date(2026, 10, 15))
    got = ws.actions()
    assert [a.key for a in got] == [BUDGET, FLAG, CONTRACT]  # high, medium, low
    a = got[0]
    assert (a.status, a.notes, a.opened_at, a.resolved_at, a.owner, a.due) == (
        "open", "", date(2026, 10, 15), None, "ana", date(2026, 10, 16))
    assert a.detail == f"detail of {BUDGET}" and a.ref == {"k": BUDGET} and a.kind == "budget"


def test_keys_are_stable_and_analyst_work_is_kept(ws):
    ws.sync_actions((f(BUDGET), f(CONTRACT)), date(2026, 10, 15))
    ws.set_action(BUDGET, status="in_progress", notes="asked the search team")
    # recompute next day: same keys, new severity/title; status and notes stay
    ws.sync_actions((f(BUDGET, "medium", title="still over"), f(CONTRACT)), date(2026, 10, 16))
    a = ws.action(BUDGET)
    assert (a.status, a.notes, a.severity, a.title, a.opened_at) == (
        "in_progress", "asked the search team", "medium", "still over", date(2026, 10, 15))
    assert a.last_seen == date(2026, 10, 16)
    assert len(ws.actions()) == 2


def test_disappeared_finding_closes_its_action_as_resolved(ws):
    ws.sync_actions((f(BUDGET), f(CONTRACT), f(FLAG)), date(2026, 10, 1))
    ws.set_action(FLAG, status="wont_fix", notes="credit agreed", on=date(2026, 10, 2))
    ws.sync_actions((f(CONTRACT),), date(2026, 10, 5))
    b = ws.action(BUDGET)
    assert (b.status, b.resolution, b.resolved_at) == ("done", "resolved", date(2026, 10, 5))
    assert b.resolution_days == 4
    # an analyst decision is not overwritten by the disappearance
    fl = ws.action(FLAG)
    assert (fl.status, fl.resolution, fl.resolved_at) == ("wont_fix", "analyst", date(2026, 10, 2))
    assert [a.key for a in ws.actions("open")] == [CONTRACT]
    # the finding comes back: the auto-resolved action reopens with its notes
    ws.set_action(BUDGET, notes="watch it")
    ws.sync_actions((f(BUDGET), f(CONTRACT)), date(2026, 10, 9))
    b = ws.action(BUDGET)
    assert (b.status, b.resolved_at, b.resolution, b.notes) == ("open", None, None, "watch it")
    assert ws.action(FLAG).status == "wont_fix"


def test_resolution_times(ws):
    ws.sync_actions((f(BUDGET), f(CONTRACT), f(FLAG)), date(2026, 10, 1))
    ws.sync_actions((f(BUDGET), f("anomaly:team:search:2026-10-03", "medium")), date(2026, 10, 4))
    # CONTRACT and FLAG resolved after 3 days
    ws.set_action(BUDGET, status="done", on=date(2026, 10, 11))  # 10 days
    rep = ws.resolution_times()
    assert rep.count == 3 and rep.open_count == 1
    assert rep.mean_days == pytest.approx((3 + 3 + 10) / 3)
    assert rep.median_days == 3.0 and rep.max_days == 10
    assert rep.by_kind["budget"] == {"count": 1, "mean_days": 10.0, "median_days": 10.0,
                                     "max_days": 10}
    assert rep.by_kind["contract"]["count"] == 1


def test_action_changes_undo_redo_and_validation(ws, ws_path):
    ws.sync_actions((f(BUDGET),), date(2026, 10, 1))
    ws.set_action(BUDGET, status="in_progress")
    ws.set_action(BUDGET, status="done", notes="rate limit applied", on=date(2026, 10, 3))
    a = ws.action(BUDGET)
    assert (a.status, a.notes, a.resolved_at, a.resolution) == (
        "done", "rate limit applied", date(2026, 10, 3), "analyst")
    ws.undo()
    a = ws.action(BUDGET)
    assert (a.status, a.notes, a.resolved_at) == ("in_progress", "", None)
    ws.redo()
    assert ws.action(BUDGET).status == "done"
    ws.set_action(BUDGET, status="open")  # reopening clears the resolution
    assert ws.action(BUDGET).resolved_at is None
    with pytest.raises(InputError, match="unknown action status 'closed'"):
        ws.set_action(BUDGET, status="closed")
    with pytest.raises(InputError, match="no action with key"):
        ws.set_action("budget:nope:2026-01", status="done")
    ws.close()
    with Workspace.open(ws_path, readonly=True) as r:
        assert r.action(BUDGET).status == "open"


def test_duplicate_keys_in_one_sync_keep_the_last(ws):
    ws.sync_actions((f(BUDGET, "low"), f(BUDGET, "high")), date(2026, 10, 1))
    assert [(a.key, a.severity) for a in ws.actions()] == [(BUDGET, "high")]


def test_looking_back_at_an_earlier_date_keeps_the_checklist(ws, monkeypatch):
    from types import SimpleNamespace

    import desktop.workspace_analysis as analysis_module

    results = {date(2026, 10, 15): (f(BUDGET), f(CONTRACT)), date(2026, 9, 1): (f(FLAG),)}

    def fake_build(inputs, settings, as_of, progress=None, **options):
        as_of = as_of or date(2026, 10, 15)  # "latest usage date"
        return SimpleNamespace(findings=results[as_of], as_of=as_of)

    def refresh(as_of=None):
        analysis = analyse_workspace(ws, as_of)
        return sync_checklist(ws, analysis, as_of_given=as_of is not None)

    monkeypatch.setattr(analysis_module, "build_analysis", fake_build)
    assert refresh()
    assert ws.actions_as_of() == date(2026, 10, 15)
    assert not refresh(date(2026, 9, 1))  # the analyst looks back: no change
    assert {a.key: a.status for a in ws.actions()} == {BUDGET: "open", CONTRACT: "open"}
    # a fixed as-of mode is the workspace's reporting date: it does sync
    ws.set_as_of_mode("fixed", date(2026, 9, 1))
    assert refresh()
    assert {a.key: a.status for a in ws.actions()} == {BUDGET: "done", CONTRACT: "done",
                                                       FLAG: "open"}
    # never resolved before it was opened
    assert ws.action(BUDGET).resolved_at == date(2026, 10, 15)
    assert ws.action(BUDGET).resolution_days == 0
