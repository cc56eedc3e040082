"""The As-of control is a view of the actions checklist, not an edit: moving it forward past the
data and back keeps every status, note and owner a person set, and closes nothing; the Actions
page says which findings hold at the viewed date."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate

from tests.ui.conftest import close_window, open_window


def _view(qtbot, win, day: date) -> None:
    session = win.session
    n = session.computations
    win.latest.setChecked(False)
    win.as_of.setDate(QDate(day.year, day.month, day.day))
    win._as_of_changed()
    qtbot.waitUntil(lambda: session.computations > n and session.analysis.as_of == day, timeout=60000)


def _state(session) -> dict:
    return {a.key: (a.status, a.notes, a.owner, getattr(a, "resolution", None), a.resolved_at)
            for a in session.actions()}


def test_moving_as_of_forward_then_back_keeps_the_action_history(qtbot, demo_path):
    win = open_window(qtbot, demo_path)
    try:
        session = win.session
        page = win.page_by_key["actions"]
        assert session.analysis.as_of == date(2026, 11, 15)
        assert session.workspace.actions_as_of() == date(2026, 11, 15)
        key = next(a.key for a in session.actions() if a.key.startswith("budget:") and a.key.endswith(":2026-11"))
        session.set_action(key, status="in_progress", notes="asked Leo to rate-limit staging keys")
        before = _state(session)
        assert before[key] == ("in_progress", "asked Leo to rate-limit staging keys", before[key][2], None, None)
        win.navigate("actions", {})
        m = page.table.table_model
        # forward past the data (November's budget lines are history on 2027-01-15), then back
        for day, holds in ((date(2027, 1, 15), "—"), (date(2026, 10, 1), None), (date(2026, 11, 15), "holds")):
            _view(qtbot, win, day)
            assert _state(session) == before, day
            assert session.workspace.actions_as_of() == date(2026, 11, 15)
            col = m.column_index(f"At {day:%Y-%m-%d}")
            row = next(i for i, a in enumerate(page._actions) if a.key == key)
            if holds is not None:
                assert m.data(m.index(int(m.view_rows([row])[0]), col)) == holds, day
            if day != date(2026, 11, 15):
                assert page.view_note.text().startswith(f"Viewing {day:%Y-%m-%d}")
        # nothing was auto-closed: every action the checklist had open is still open
        assert all(a.is_open for a in session.actions())
    finally:
        close_window(win)
