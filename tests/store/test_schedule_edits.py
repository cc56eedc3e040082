"""The commit schedule set by hand in a workspace: split / add / remove periods, move dates,
create a contract; validated, undoable, persisted, and what the analysis reads."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from desktop.domain.errors import InputError
from desktop.store import Workspace

M = 1_000_000


@pytest.fixture
def wsc(tmp_path):
    src = tmp_path / "commitments.csv"
    pd.DataFrame({"contract_id": ["C-1", "C-2"], "vendor": ["OpenAI", "Anthropic"],
                  "period_start": ["2026-01-01", "2026-01-01"], "period_end": ["2026-12-31", "2026-06-30"],
                  "commitment": ["120000.00", "30000.00"], "rollover_pct": ["50", "0"]}).to_csv(src, index=False)
    path = tmp_path / "w.commitdesk"
    with Workspace.open(path, create=True) as ws:
        ws.import_file(src, "commitments")
    ws = Workspace.open(path)
    yield ws
    ws.close()


def periods(ws, cid="C-1"):
    c = ws.inputs().commitments
    rows = c[c["contract_id"] == cid].sort_values("period_start")
    return [(r.period_start.date(), r.period_end.date(), int(r.commitment), float(r.rollover_pct))
            for r in rows.itertuples()]


def test_split_is_what_the_analysis_reads_persists_and_undoes(wsc):
    wsc.split_period("C-1", date(2026, 1, 1), date(2026, 4, 1))
    split = [(date(2026, 1, 1), date(2026, 3, 31), 29_589_040_000, 50.0),
             (date(2026, 4, 1), date(2026, 12, 31), 90_410_960_000, 50.0)]
    assert periods(wsc) == split
    assert periods(wsc, "C-2") == [(date(2026, 1, 1), date(2026, 6, 30), 30_000 * M, 0.0)]  # untouched
    path = wsc.path
    wsc.close()
    with Workspace.open(path) as ws:
        assert periods(ws) == split
        assert ws.inputs().commitments["_file"].tolist().count("edited in CommitDesk") == 2
    ws = Workspace.open(path)
    ws.split_period("C-1", date(2026, 4, 1), date(2026, 7, 1))
    assert ws.undo_label == "split C-1 2026-04-01 at 2026-07-01"
    ws.undo()
    assert periods(ws) == split
    ws.close()


def test_add_remove_and_revert(wsc):
    wsc.add_period("C-1")
    assert periods(wsc)[-1] == (date(2027, 1, 1), date(2027, 12, 31), 120_000 * M, 50.0)
    wsc.remove_period("C-1", date(2026, 1, 1))
    assert periods(wsc) == [(date(2027, 1, 1), date(2027, 12, 31), 120_000 * M, 50.0)]
    wsc.revert_schedule("C-1")
    assert periods(wsc) == [(date(2026, 1, 1), date(2026, 12, 31), 120_000 * M, 50.0)]
    wsc.undo()  # the revert
    wsc.undo()  # the removal
    assert len(periods(wsc)) == 2


def test_a_cell_edit_of_a_schedule_set_by_hand_and_a_moved_start(wsc):
    wsc.update_commitment("C-2", date(2026, 1, 1), period_start="2026-02-01")
    assert periods(wsc, "C-2") == [(date(2026, 2, 1), date(2026, 6, 30), 30_000 * M, 0.0)]
    wsc.update_commitment("C-2", date(2026, 2, 1), commitment="25000", period_end="2026-07-31")
    assert periods(wsc, "C-2") == [(date(2026, 2, 1), date(2026, 7, 31), 25_000 * M, 0.0)]
    with pytest.raises(InputError, match="period_end is before period_start"):
        wsc.update_commitment("C-2", date(2026, 2, 1), period_end="2026-01-15")
    assert periods(wsc, "C-2") == [(date(2026, 2, 1), date(2026, 7, 31), 25_000 * M, 0.0)]


def test_overlaps_are_refused_and_nothing_is_stored(wsc):
    wsc.add_period("C-2")
    with pytest.raises(InputError, match="overlaps"):
        wsc.update_commitment("C-2", date(2026, 7, 1), period_start="2026-06-15")
    assert [p[0] for p in periods(wsc, "C-2")] == [date(2026, 1, 1), date(2026, 7, 1)]


def test_a_new_contract_is_validated_and_undoable(wsc):
    with pytest.raises(InputError, match="already exists"):
        wsc.new_contract("c-2", "OpenAI", "2027-01-01", "2027-12-31", "10")
    with pytest.raises(InputError, match="period_end is before period_start"):
        wsc.new_contract("AZ-1", "Azure OpenAI", "2027-01-01", "2026-12-31", "10")
    assert wsc.new_contract("AZ-1", "azure openai", "2027-01-01", "2027-12-31", "48000") == "AZ-1"
    assert periods(wsc, "AZ-1") == [(date(2027, 1, 1), date(2027, 12, 31), 48_000 * M, 0.0)]
    wsc.undo()
    assert periods(wsc, "AZ-1") == []


def test_a_new_contract_in_an_empty_workspace(ws):
    ws.new_contract("OAI-1", "OpenAI", "2026-01-01", "2026-12-31", "1000")
    c = ws.inputs().commitments
    assert c["contract_id"].tolist() == ["OAI-1"] and c["commitment"].tolist() == [1000 * M]
    stamp = ws.inputs_stamp(None)
    ws.split_period("OAI-1", "2026-01-01", "2026-07-01")
    assert ws.inputs_stamp(None) != stamp  # the checklist follows a schedule edit
