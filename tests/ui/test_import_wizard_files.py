"""The wizard's file list: stable ids, so a background read or import that finishes after the
list changed lands on the file it was started for."""

from __future__ import annotations

import threading
from pathlib import Path

from desktop.store import Workspace
from desktop.ui.dialogs.import_wizard import ImportWizard
from desktop.ui.dialogs.import_wizard import files as files_mod
from desktop.ui.dialogs.import_wizard.files import FileList, check_mapping
from desktop.ui.session import Session


def test_ids_are_stable_and_never_reused():
    fl = FileList()
    ids = fl.add([Path("a.csv"), Path("b.csv"), Path("c.csv")])
    assert ids == [1, 2, 3]
    assert fl.add([Path("b.csv")]) == []  # already in the list
    assert fl.remove(1) and not fl.remove(1)
    assert fl.get(3).path == Path("c.csv") and fl[0].path == Path("b.csv")
    assert fl.add([Path("a.csv")]) == [4]  # added again: a new id
    # the read queue skips removed files and puts a file read again first
    assert fl.next_to_read().id == 2
    fl.queue_read(4)
    fl.remove(3)
    assert [fl.next_to_read().id, fl.next_to_read()] == [4, None]


def test_check_mapping_names_the_problem():
    assert check_mapping("usage", {"a": "date", "b": "vendor", "c": "cost"}) is None
    assert check_mapping("usage", {"a": "date", "b": "vendor", "c": "cost", "d": "cost"}) == \
        "Each CommitDesk column can be fed by one column only: cost."
    assert check_mapping("usage", {"a": "date"}) == "Required for usage: vendor, cost."


def usage_file(folder: Path, name: str, n: int) -> Path:
    p = folder / name
    p.write_text("date,vendor,cost,currency\n" + "".join(
        f"2026-11-{10 + i},OpenAI,{100 + i}.00,USD\n" for i in range(n)), encoding="utf-8")
    return p


def test_a_read_finishing_after_an_earlier_file_was_removed_lands_on_its_file(qtbot, tmp_path, monkeypatch):
    a, b = usage_file(tmp_path, "a.csv", 1), usage_file(tmp_path, "b.csv", 2)
    gate = threading.Event()
    real = files_mod.read_preview

    def read(path, *args):
        if path == b:
            gate.wait(30)  # b's read is still running when a is removed
        return real(path, *args)

    monkeypatch.setattr(files_mod, "read_preview", read)
    ws = Workspace.open(tmp_path / "w.commitdesk", create=True)
    wiz = ImportWizard(Session(ws), [a, b])
    qtbot.addWidget(wiz)
    try:
        qtbot.waitUntil(lambda: wiz.files[0].result is not None, timeout=30000)
        assert wiz.files[1].result is None and wiz.reader.busy
        wiz.remove_file(wiz.files[0].id)
        gate.set()
        qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
        assert [f.path for f in wiz.files] == [b]
        assert wiz.files[0].result.report.rows_imported == 2
        assert wiz.commit_btn.text() == "Import 1 file"
    finally:
        gate.set()
        wiz.close()
        ws.close()
