"""The action history only people change, on a real workspace: newer data resolves a finding
with the data date and the reason; looking at another as-of date changes nothing."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from desktop.store import Workspace
from desktop.workspace_analysis import analyse_workspace, sync_checklist

KEY = "contract:C1:shortfall"


def _usage(path: Path, first: date, last: date, cost: str) -> Path:
    lines = ["date,vendor,cost"]
    d = first
    while d <= last:
        lines.append(f"{d:%Y-%m-%d},OpenAI,{cost}")
        d += timedelta(days=1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _workspace(tmp_path: Path) -> Workspace:
    # 36,500.00 over 2026 = 100.00 a day on the burn line
    c = tmp_path / "commitments.csv"
    c.write_text("contract_id,vendor,period_start,period_end,commitment,owner,escalation_owner\n"
                 "C1,OpenAI,2026-01-01,2026-12-31,36500.00,Ana,Eve\n", encoding="utf-8")
    ws = Workspace.open(tmp_path / "w.commitdesk", create=True)
    ws.import_file(c)
    # Q1 at 50.00 a day: T = 2026-03-31, consumed 4,500.00 of an expected 9,000.00 -> 0.50
    ws.import_file(_usage(tmp_path / "q1.csv", date(2026, 1, 1), date(2026, 3, 31), "50.00"))
    return ws


def _sync(ws: Workspace, as_of: date | None = None) -> bool:
    return sync_checklist(ws, analyse_workspace(ws, as_of), as_of_given=as_of is not None)


def test_newer_data_that_clears_a_finding_resolves_it_with_the_data_date_and_reason(tmp_path):
    with _workspace(tmp_path) as ws:
        assert _sync(ws)
        a = ws.action(KEY)
        assert (a.opened_at, a.severity, a.owner) == (date(2026, 3, 31), "high", "Eve")
        ws.set_action(KEY, status="in_progress", notes="asked the platform team to move batch jobs")
        # Q2 at 150.00 a day: T = 2026-06-30, consumed 4,500 + 91 x 150 = 18,150.00 of an
        # expected 100 x 181 = 18,100.00 -> 1.0028, on pace: the shortfall finding is gone
        ws.import_file(_usage(tmp_path / "q2.csv", date(2026, 4, 1), date(2026, 6, 30), "150.00"))
        assert _sync(ws)
        a = ws.action(KEY)
        assert (a.status, a.notes) == ("in_progress", "asked the platform team to move batch jobs")
        assert (a.resolution, a.resolved_at) == ("data", date(2026, 6, 30))
        assert a.resolution_reason == "resolved by data of 2026-06-30: pacing back to on pace (100%)"
        assert not a.is_open
        assert a.days_to_resolve == 91  # data days 2026-03-31 -> 2026-06-30, whatever today is


def test_moving_the_as_of_forward_then_back_changes_nothing(tmp_path):
    with _workspace(tmp_path) as ws:
        assert _sync(ws)
        ws.set_action(KEY, status="in_progress", notes="asked the platform team")
        before = ws.actions()
        # ahead, then back: views. At 2027-02-01 the term is over (its outcome, no pacing band),
        # so the finding does not hold there; at 2026-02-01 it does (ratio 0.5 again)
        holds = {}
        for view in (date(2026, 9, 30), date(2027, 2, 1), date(2026, 2, 1), date(2026, 3, 31)):
            analysis = analyse_workspace(ws, view)
            holds[view] = KEY in {f.key for f in analysis.findings}
            assert not sync_checklist(ws, analysis, as_of_given=True)
        assert holds == {date(2026, 9, 30): True, date(2027, 2, 1): False, date(2026, 2, 1): True,
                         date(2026, 3, 31): True}
        assert ws.actions() == before
        a = ws.action(KEY)
        assert (a.status, a.notes, a.resolution, a.resolved_at) == (
            "in_progress", "asked the platform team", None, None)
        assert ws.actions_as_of() == date(2026, 3, 31)


def test_a_schema_1_checklist_is_migrated(tmp_path):
    """Schema 1 closed an action whose finding disappeared as status 'done' / resolution
    'resolved' and dated a person's closing by the wall clock: schema 2 makes the first a
    resolution by data (status open again; the status a person had set was not kept) and
    raises a closing date earlier than the opening to the opening."""
    import sqlite3

    from desktop.store import schema

    path = tmp_path / "old.commitdesk"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    schema.create_schema(conn)
    cols = "key, kind, severity, title, owner, due, status, notes, opened_at, resolved_at, resolution"
    conn.execute(f"INSERT INTO actions({cols}) VALUES ('budget:A:2026-10', 'budget', 'high', 't', 'ana', "
                 "NULL, 'done', 'n', '2026-10-01', '2026-10-05', 'resolved')")
    conn.execute(f"INSERT INTO actions({cols}) VALUES ('contract:C:shortfall', 'contract', 'low', 't', NULL, "
                 "NULL, 'wont_fix', '', '2026-10-01', '2025-12-07', 'analyst')")
    conn.execute("COMMIT")
    conn.close()
    with Workspace.open(path) as ws:
        assert ws.backup_path is not None
        a = ws.action("budget:A:2026-10")
        assert (a.status, a.resolution, a.resolved_at, a.notes, a.is_open) == (
            "open", "data", date(2026, 10, 5), "n", False)
        assert a.resolution_reason.startswith("resolved by data of 2026-10-05: ")
        b = ws.action("contract:C:shortfall")
        assert (b.status, b.resolution, b.resolved_at, b.days_to_resolve) == (
            "wont_fix", "analyst", date(2026, 10, 1), 0)
