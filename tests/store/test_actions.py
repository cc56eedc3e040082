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
    assert a.is_open and a.resolution is None and a.last_seen == date(2026, 10, 15)


def test_keys_are_stable_and_analyst_work_is_kept(ws):
    ws.sync_actions((f(BUDGET), f(CONTRACT)), date(2026, 10, 15))
    ws.set_action(BUDGET, status="in_progress", notes="asked the search team", owner="Jon")
    # recompute next day: same keys, new severity/title/owner of the finding; what the person
    # set (status, notes, assigned owner) stays
    ws.sync_actions((f(BUDGET, "medium", owner="eve", title="still over"), f(CONTRACT)), date(2026, 10, 16))
    a = ws.action(BUDGET)
    assert (a.status, a.notes, a.severity, a.title, a.opened_at) == (
        "in_progress", "asked the search team", "medium", "still over", date(2026, 10, 15))
    assert (a.owner, a.assigned_owner, a.finding_owner) == ("Jon", "Jon", "eve")
    assert a.last_seen == date(2026, 10, 16)
    assert len(ws.actions()) == 2
    ws.set_action(BUDGET, owner="")  # back to the finding's owner
    assert ws.action(BUDGET).owner == "eve"


def test_newer_data_resolves_with_its_date_and_reason_and_keeps_the_persons_status(ws):
    ws.sync_actions((f(BUDGET), f(CONTRACT), f(FLAG)), date(2026, 10, 1))
    ws.set_action(BUDGET, status="in_progress", notes="asked the search team")
    ws.set_action(FLAG, status="wont_fix", notes="credit agreed")
    reasons = {BUDGET: "severity now low, tier warning (forecast 95% of budget)"}
    ws.sync_actions((f(CONTRACT),), date(2026, 10, 5), lambda key: reasons.get(key, "gone"))
    b = ws.action(BUDGET)
    assert (b.status, b.notes, b.resolution, b.resolved_at) == (
        "in_progress", "asked the search team", "data", date(2026, 10, 5))
    assert b.resolution_reason == ("resolved by data of 2026-10-05: severity now low, tier warning "
                                   "(forecast 95% of budget)")
    assert not b.is_open and b.days_to_resolve == 4  # data days 2026-10-01 -> 2026-10-05
    # a person's decision is not overwritten by the disappearance: closed on the checklist's
    # data date when it was made (2026-10-01), not the wall clock
    fl = ws.action(FLAG)
    assert (fl.status, fl.resolution, fl.resolved_at, fl.days_to_resolve) == (
        "wont_fix", "analyst", date(2026, 10, 1), 0)
    assert [a.key for a in ws.actions() if a.is_open] == [CONTRACT]
    # the finding comes back in newer data: open again, status and notes as the person left them
    ws.set_action(BUDGET, notes="watch it")
    ws.sync_actions((f(BUDGET), f(CONTRACT)), date(2026, 10, 9))
    b = ws.action(BUDGET)
    assert (b.status, b.resolved_at, b.resolution, b.resolution_reason, b.notes) == (
        "in_progress", None, None, "", "watch it")
    assert ws.action(FLAG).status == "wont_fix"


def test_an_earlier_reporting_date_changes_nothing(ws):
    ws.sync_actions((f(BUDGET), f(CONTRACT)), date(2026, 10, 15))
    before = ws.actions()
    # data of an earlier date produces another finding and not these: a look back, no edit
    ws.sync_actions((f(FLAG),), date(2026, 9, 1))
    assert ws.actions() == before and ws.actions_as_of() == date(2026, 10, 15)


def test_resolution_times_count_data_days(ws):
    ws.sync_actions((f(BUDGET), f(CONTRACT), f(FLAG)), date(2026, 10, 1))
    ws.sync_actions((f(BUDGET), f("anomaly:team:search:2026-10-03", "medium")), date(2026, 10, 4))
    # CONTRACT and FLAG resolved by the data of 2026-10-04: 3 data days
    ws.sync_actions((f(BUDGET), f("anomaly:team:search:2026-10-03", "medium")), date(2026, 10, 11))
    ws.set_action(BUDGET, status="done")  # closed while the checklist follows 2026-10-11: 10 days
    rep = ws.resolution_times()
    assert rep.count == 3 and rep.open_count == 1
    assert rep.mean_days == pytest.approx((3 + 3 + 10) / 3)
    assert rep.median_days == 3.0 and rep.max_days == 10
    assert rep.by_kind["budget"] == {"count": 1, "mean_days": 10.0, "median_days": 10.0,
                                     "max_days": 10}
    assert rep.by_kind["contract"]["count"] == 1


def test_action_changes_undo_redo_and_validation(ws, ws_path):
    ws.sync_actions((f(BUDGET),), date(2026, 10, 1))
    ws.sync_actions((f(BUDGET),), date(2026, 10, 3))
    ws.set_action(BUDGET, status="in_progress")
    ws.set_action(BUDGET, status="done", notes="rate limit applied")
    a = ws.action(BUDGET)
    assert (a.status, a.notes, a.resolved_at, a.resolution) == (
        "done", "rate limit applied", date(2026, 10, 3), "analyst")
    ws.undo()
    a = ws.action(BUDGET)
    assert (a.status, a.notes, a.resolved_at) == ("in_progress", "", None)
    ws.redo()
    assert ws.action(BUDGET).status == "done"
    ws.set_action(BUDGET, status="open")  # reopening clears the person's resolution
    assert ws.action(BUDGET).resolved_at is None and ws.action(BUDGET).is_open
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


def test_another_as_of_is_a_view_only_the_reporting_date_syncs(ws, monkeypatch):
    from types import SimpleNamespace

    import desktop.workspace_analysis as analysis_module

    results = {date(2026, 10, 15): (f(BUDGET), f(CONTRACT)), date(2026, 9, 1): (f(FLAG),),
               date(2026, 12, 31): ()}

    def fake_build(inputs, settings, as_of, progress=None, **options):
        as_of = as_of or date(2026, 10, 15)  # "latest usage date"
        return SimpleNamespace(findings=results[as_of], as_of=as_of, contracts=(), budgets=(),
                               invoices=(), anomalies=())

    def refresh(as_of=None):
        analysis = analyse_workspace(ws, as_of)
        return sync_checklist(ws, analysis, as_of_given=as_of is not None)

    monkeypatch.setattr(analysis_module, "build_analysis", fake_build)
    assert refresh()
    assert ws.actions_as_of() == date(2026, 10, 15)
    ws.set_action(BUDGET, status="in_progress", notes="on it")
    assert not refresh(date(2026, 12, 31))  # ahead, where nothing holds: a view
    assert not refresh(date(2026, 9, 1))  # back: a view
    assert {a.key: (a.status, a.resolution) for a in ws.actions()} == {
        BUDGET: ("in_progress", None), CONTRACT: ("open", None)}
    assert ws.action(BUDGET).notes == "on it"
    # a fixed as-of mode earlier than the checklist's date is a look back too
    ws.set_as_of_mode("fixed", date(2026, 9, 1))
    assert refresh()
    assert {a.key for a in ws.actions()} == {BUDGET, CONTRACT}
    assert all(a.is_open for a in ws.actions())
    # the reporting date moves on to data that no longer has the findings: resolved by data
    ws.set_as_of_mode("fixed", date(2026, 12, 31))
    assert refresh(date(2026, 9, 1))  # a view, but the inputs changed: the reporting date syncs
    b = ws.action(BUDGET)
    assert (b.status, b.resolution, b.resolved_at, b.notes) == ("in_progress", "data", date(2026, 12, 31), "on it")
    assert b.resolution_reason.startswith("resolved by data of 2026-12-31: ")
    assert b.days_to_resolve == 77  # 2026-10-15 -> 2026-12-31 in data days
