"""What the workspace reads for an edit, and what reading the usage rollup leaves behind (issue 19):
commitment edits, schedules and new contracts read the commitment batches alone (never the
usage rollup: they run on the GUI thread), and the rollup's DuckDB database is closed after it."""

from __future__ import annotations

import pandas as pd
import pytest
from store_helpers import store
from test_parquet_usage import commitments, messy_usage

from desktop.store.batches import Batches


@pytest.fixture
def filled(ws):
    store(ws, "usage", messy_usage(2_000, 3, "a.csv"), "a.csv")
    store(ws, "commitments", commitments(), "commitments.csv")
    more = commitments().iloc[:1].assign(contract_id="C-9", _file="more.csv")
    store(ws, "commitments", more, "more.csv")
    return ws


@pytest.fixture
def no_whole_inputs(monkeypatch):
    """Every whole-input build (Batches.inputs) recorded."""
    calls: list[str] = []
    real = Batches.inputs

    def spy(self, progress=None):
        calls.append("inputs")
        return real(self, progress)

    monkeypatch.setattr(Batches, "inputs", spy)
    return calls


def test_commitment_rows_in_force_equal_the_inputs_commitments(filled):
    ws = filled
    ws.update_commitment("C-1", "2026-01-01", commitment="61000")
    ws.update_commitment("C-2", "2026-01-01", owner="Dana")
    ws.split_period("C-3", "2026-01-01", "2026-07-01")
    got = ws._commitments()
    want = ws.inputs().commitments
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    assert len(got) == 5  # C-1, C-2, C-9 and C-3 split in two
    assert int(got.loc[got["contract_id"] == "C-1", "commitment"].iloc[0]) == 61_000_000_000


def test_edits_and_schedules_never_build_the_whole_inputs(filled, no_whole_inputs):
    ws = filled
    ws.update_commitment("C-1", "2026-01-01", commitment="61000")
    ws.update_commitment("C-1", "2026-01-01", period_end="2026-12-30")  # checked against the next period
    assert [p["commitment"] for p in ws.schedule("C-2")] == [20_000_000]  # micros, as imported
    ws.split_period("C-3", "2026-01-01", "2026-07-01")
    ws.add_period("C-2")
    ws.new_contract("C-NEW", "OpenAI", "2027-01-01", "2027-12-31", "1000")
    ws.set_contract_terms("C-9", status="proposed")
    assert no_whole_inputs == []
    assert set(ws.inputs().commitments["contract_id"]) == {"C-1", "C-2", "C-3", "C-9", "C-NEW"}
    assert no_whole_inputs == ["inputs"]


def test_an_edit_of_a_period_not_imported_is_still_refused(filled, no_whole_inputs):
    from desktop.domain.errors import InputError

    with pytest.raises(InputError, match="no commit period of contract 'C-1' starts on 2026-02-01"):
        filled.update_commitment("C-1", "2026-02-01", commitment="5")
    assert no_whole_inputs == []


def test_the_rollup_leaves_no_duckdb_database_open(filled):
    rows = filled.usage_rows
    usage = filled.inputs().usage
    assert int(usage["source_rows"].sum()) == 2_000
    assert rows._con is None  # the rollup ran on a connection of its own, closed after it
    assert rows.count() == 2_000  # counted from the Parquet footers
    assert len(rows.page(0, 10)) == 10  # paging opens the shared one when asked
    assert rows._con is not None
