"""The import wizard asks before a file that overlaps an earlier import is stored (issue 13 step
4): it shows the overlapping days and amounts, imports nothing until answered, and then replaces
the earlier batch, keeps both, or leaves the file out."""

from __future__ import annotations

import pytest

from desktop.store import Workspace
from desktop.ui.dialogs.import_wizard import ImportWizard
from desktop.ui.session import Session

A = "date,vendor,cost\n2026-01-01,OpenAI,10.00\n2026-01-02,OpenAI,12.50\n2026-01-03,OpenAI,5.00\n"
B = "date,vendor,cost\n2026-01-02,OpenAI,12.50\n2026-01-03,OpenAI,1.00\n2026-01-04,OpenAI,2.00\n"


@pytest.fixture
def wizard(qtbot, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    ws = Workspace.open(tmp_path / "w.commitdesk", create=True)
    ws.import_file(a)
    wiz = ImportWizard(Session(ws), [b])
    qtbot.addWidget(wiz)
    qtbot.waitUntil(lambda: wiz.ready, timeout=30000)
    yield wiz, ws
    wiz.close()
    ws.close()


def names(ws) -> list[str]:
    return [r.file_name for r in ws.batches()]


def test_asks_with_days_and_amounts_and_imports_nothing_until_answered(qtbot, wizard):
    wiz, ws = wizard
    assert wiz.overlap.isVisibleTo(wiz)
    text = wiz.overlap.label.text()
    assert "b.csv overlaps an earlier import" in text
    # a.csv on Jan 2-3: 12.50 + 5.00 = 17.50; b.csv on those days: 12.50 + 1.00 = 13.50
    assert "usage of OpenAI on 2 days (2026-01-02..2026-01-03) is already imported from a.csv (batch 1, 3 rows" in text
    assert "17.50 USD there, 13.50 USD in this file" in text
    assert [b.text().split(" (")[0] for b in wiz.overlap.buttons.values()] == [
        "Replace the earlier import", "Keep both", "Cancel: do not import this file"]
    assert "overlaps an earlier import: choose" in wiz.list.item(0).text()
    wiz.commit()
    assert not wiz.committer.busy and "choose what to do" in wiz.status.text()
    assert names(ws) == ["a.csv"]
    wiz.overlap.choose("replace")
    assert wiz.files[0].overlap_choice == "replace"
    wiz.commit()
    qtbot.waitUntil(lambda: wiz.files[0].imported, timeout=30000)
    assert names(ws) == ["b.csv"]  # the earlier import removed in the same transaction
    assert int(ws.inputs().usage["cost"].sum()) == 15_500_000  # 12.50 + 1.00 + 2.00
    assert not wiz.overlap.isVisibleTo(wiz)


def test_keep_both(qtbot, wizard):
    wiz, ws = wizard
    wiz.overlap.choose("keep")
    wiz.commit()
    qtbot.waitUntil(lambda: wiz.files[0].imported, timeout=30000)
    assert names(ws) == ["a.csv", "b.csv"]


def test_cancel_leaves_the_file_out(qtbot, wizard):
    wiz, ws = wizard
    wiz.overlap.choose("cancel")
    assert not wiz.commit_btn.isEnabled() and wiz.commit_btn.text() == "Import 0 files"
    assert "will not be imported (cancelled)" in wiz.list.item(0).text()
    wiz.commit()
    assert not wiz.committer.busy and names(ws) == ["a.csv"]
