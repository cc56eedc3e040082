"""A person's edits of the checklist (issue 16 point 3): owner, due date, status, notes, one at a
time or a selection at once; each undoable, each kept across re-imports and As-of changes."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from desktop.domain.errors import InputError
from desktop.domain.results import Finding
from desktop.store import Workspace, create_demo_workspace
from desktop.store.demo import demo_files
from desktop.workspace_analysis import analyse_workspace, sync_checklist

A, B, C = "budget:Search:2026-10", "contract:C-1:shortfall", "anomaly:team:Ads:2026-10-12"


def f(key: str, due: date | None = date(2026, 10, 20), owner: str | None = "ana") -> Finding:
    return Finding(key=key, kind=key.split(":")[0], severity="high", title=key, owner=owner, due=due)


def test_a_due_date_a_person_sets_wins_and_is_kept_by_a_sync(ws):
    ws.sync_actions((f(A), f(B)), date(2026, 10, 15))
    ws.set_action(A, due="2026-11-02", owner="Jon Park")
    a = ws.action(A)
    assert (a.due, a.assigned_due, a.finding_due, a.owner) == (date(2026, 11, 2), date(2026, 11, 2),
                                                               date(2026, 10, 20), "Jon Park")
    # the next day's data moves the finding's due date: the person's stays in force
    ws.sync_actions((f(A, due=date(2026, 10, 25), owner="eve"), f(B)), date(2026, 10, 16))
    a = ws.action(A)
    assert (a.due, a.finding_due, a.owner, a.finding_owner) == (date(2026, 11, 2), date(2026, 10, 25),
                                                                "Jon Park", "eve")
    assert a.overdue(date(2026, 10, 30)) is False  # judged by the date in force
    ws.set_action(A, due="")  # back to the finding's
    assert ws.action(A).due == date(2026, 10, 25)


def test_a_due_date_edit_undoes_and_redoes(ws):
    ws.sync_actions((f(A),), date(2026, 10, 15))
    ws.set_action(A, due=date(2026, 12, 1))
    assert ws.undo_label == f"change action {A}"
    ws.undo()
    assert ws.action(A).due == date(2026, 10, 20) and ws.action(A).assigned_due is None
    ws.redo()
    assert ws.action(A).due == date(2026, 12, 1)


@pytest.mark.parametrize("bad", ["next week", "1726-10-01"])
def test_a_bad_due_date_is_refused_with_the_rule(ws, bad):
    ws.sync_actions((f(A),), date(2026, 10, 15))
    with pytest.raises(InputError) as exc:
        ws.set_action(A, due=bad)
    assert exc.value.column == "due"
    assert ws.action(A).assigned_due is None and not ws.can_undo


def test_a_bulk_status_edit_is_one_transaction_and_one_undo_step(ws):
    ws.sync_actions((f(A), f(B), f(C)), date(2026, 10, 15))
    ws.set_action(C, status="done")
    n = ws.set_actions([A, B, C], status="in_progress", owner="Sam")
    assert n == 3
    assert {a.key: (a.status, a.owner) for a in ws.actions()} == {k: ("in_progress", "Sam") for k in (A, B, C)}
    assert ws.action(C).is_open  # reopening the one a person had closed clears its resolution
    assert ws.undo_label == "change 3 actions"
    ws.undo()
    assert {a.key: (a.status, a.owner) for a in ws.actions()} == {
        A: ("open", "ana"), B: ("open", "ana"), C: ("done", "ana")}
    assert ws.undo_label == f"change action {C}"
    ws.redo()
    assert {a.status for a in ws.actions()} == {"in_progress"}


def test_a_bulk_edit_changing_nothing_pushes_no_undo_step(ws):
    ws.sync_actions((f(A), f(B)), date(2026, 10, 15))
    assert ws.set_actions([A, B], status="open") == 0
    assert not ws.can_undo


@pytest.fixture(scope="module")
def demo_master(tmp_path_factory):
    return create_demo_workspace(tmp_path_factory.mktemp("demo") / "Demo.commitdesk")


def test_owner_and_due_edits_survive_a_reimport_and_an_as_of_change(tmp_path, demo_master):
    path = tmp_path / "Demo.commitdesk"
    shutil.copy(demo_master, path)
    with Workspace.open(path) as ws:
        sync_checklist(ws, analyse_workspace(ws), as_of_given=False)
        a = next(x for x in ws.actions() if x.is_open)
        ws.set_action(a.key, owner="Dana Reyes", due="2027-01-15", notes="call the vendor",
                      status="in_progress")
        # re-import: the usage file's batch removed and imported again
        usage = next(b for b in ws.batches() if b.kind == "usage")
        ws.remove_batch(usage.id)
        ws.import_file(demo_files()["usage"], "usage")
        sync_checklist(ws, analyse_workspace(ws), as_of_given=False)
        # a look at an earlier date (a view) changes nothing
        sync_checklist(ws, analyse_workspace(ws, date(2026, 6, 30)), as_of_given=True)
    with Workspace.open(path) as ws:  # and it is on disk
        b = ws.action(a.key)
        assert (b.owner, b.due, b.notes, b.status) == ("Dana Reyes", date(2027, 1, 15), "call the vendor",
                                                       "in_progress")
        assert b.finding_due == a.finding_due
