"""The actions checklist edited in place (issue 16 point 3): owner (the org map's owners offered),
due date, status and notes; a selection at once; undone with Edit > Undo; kept on disk and
across a re-import."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit

from desktop.store import Workspace
from desktop.store.demo import demo_files
from tests.ui.conftest import close_window, open_window


def _cell(page, key: str, title: str):
    m = page.table.table_model
    row = next(i for i, a in enumerate(page._actions) if a.key == key)
    return m.index(int(m.view_rows([row])[0]), m.column_index(title))


def _commit(view, editor) -> None:
    from PySide6.QtWidgets import QAbstractItemDelegate

    view.commitData(editor)
    view.closeEditor(editor, QAbstractItemDelegate.EndEditHint.NoHint)


def test_an_owner_edit_in_place_persists_undoes_and_survives_a_reimport(qtbot, demo_path):
    win = open_window(qtbot, demo_path)
    try:
        s = win.session
        page = win.page_by_key["actions"]
        win.navigate("actions", {})
        key = next(a.key for a in s.actions() if a.is_open and a.kind == "contract")
        before = s.workspace.action(key)
        idx = _cell(page, key, "Owner")
        page.table.edit(idx)
        box = page.table.findChildren(QComboBox)[-1]
        # the org map's owners are offered (the demo's org map names the team owners)
        org = s.analysis.inputs.org_map["owner"].dropna().unique().tolist()
        assert org and set(org) <= {box.itemText(i) for i in range(box.count())}
        box.setEditText("Dana Reyes")  # a name not in the list is accepted too
        _commit(page.table, box)
        a = s.workspace.action(key)
        assert (a.owner, a.assigned_owner) == ("Dana Reyes", "Dana Reyes")
        qtbot.waitUntil(lambda: page.table.table_model.data(_cell(page, key, "Owner")) == "Dana Reyes", timeout=5000)
        # due date through its date editor
        page.table.edit(_cell(page, key, "Due"))
        de = page.table.findChildren(QDateEdit)[-1]
        de.setDate(QDate(2027, 2, 1))
        _commit(page.table, de)
        assert s.workspace.action(key).due == date(2027, 2, 1)
        qtbot.waitUntil(lambda: page.table.table_model.data(_cell(page, key, "Due")) == "2027-02-01", timeout=5000)
        # Edit > Undo takes back the due date, then the owner
        win.a_undo.trigger()
        assert s.workspace.action(key).due == before.due
        win.a_undo.trigger()
        assert s.workspace.action(key).owner == before.owner
        win.a_redo.trigger()
        assert s.workspace.action(key).owner == "Dana Reyes"
        # a re-import (the usage file removed and imported again) keeps what the person set
        usage = next(b for b in s.workspace.batches() if b.kind == "usage")
        s.workspace.remove_batch(usage.id)
        s.workspace.import_file(demo_files()["usage"], "usage")
        n = s.computations
        s.recompute("importing usage.csv")
        qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
        assert next(a for a in s.actions() if a.key == key).owner == "Dana Reyes"
        assert page.table.table_model.data(_cell(page, key, "Owner")) == "Dana Reyes"
    finally:
        close_window(win)
    with Workspace.open(demo_path) as ws:  # on disk
        assert ws.action(key).assigned_owner == "Dana Reyes"


def test_a_bulk_status_edit_of_a_selection_is_one_undo_step(qtbot, window):
    s = window.session
    page = window.page_by_key["actions"]
    window.navigate("actions", {})
    page.status.setCurrentIndex(1)  # all
    keys = [a.key for a in page._actions if a.is_open][:3]
    assert len(keys) == 3
    page.table.select_source_rows([i for i, a in enumerate(page._actions) if a.key in keys])
    qtbot.mouseClick(page.buttons["in_progress"], Qt.MouseButton.LeftButton)
    assert {a.key: a.status for a in s.actions() if a.key in keys} == dict.fromkeys(keys, "in_progress")
    assert s.workspace.undo_label == "change 3 actions"
    page.assign.setEditText("Sam Ortiz")
    page.save_owner()
    assert {a.owner for a in s.actions() if a.key in keys} == {"Sam Ortiz"}
    window.a_undo.trigger()
    window.a_undo.trigger()
    assert {a.status for a in s.actions() if a.key in keys} == {"open"}
    qtbot.wait(10)  # the table rebuilt after the last change
    # the status column is edited in place too
    page.table.edit(_cell(page, keys[0], "Status"))
    box = page.table.findChildren(QComboBox)[-1]
    box.setCurrentIndex(box.findText("Done"))
    _commit(page.table, box)
    assert s.workspace.action(keys[0]).status == "done"
