"""Usage rows paged by position and queries computed once (desktop/store/usage_db.py): on a
workspace of several batches, each of several Parquet chunks of several row groups, a page at
any offset is exactly the rows a full read of the files gives there, across chunk, row-group and
batch boundaries; a sorted or filtered query written once (``materialize``) gives exactly the
rows of a full sort/filter of every row, page by page; a cancel leaves nothing behind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from store_helpers import store
from test_parquet_usage import messy_usage

from desktop.domain.progress import Cancelled, Progress
from desktop.store import Workspace, parquet
from desktop.store.usage_db import Filter, UsageRows, results_root

COLS = ["date", "vendor", "model", "token_kind", "quantity", "cost", "team", "commit_eligible", "_file", "_row"]


@pytest.fixture
def chunked(tmp_path, monkeypatch):
    """Two usage batches of 2,500 and 1,300 rows in chunks of 700 rows, row groups of ~150."""
    monkeypatch.setattr(parquet, "CHUNK_ROWS", 700)
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", 150)
    ws = Workspace.open(tmp_path / "c.commitdesk", create=True)
    store(ws, "usage", messy_usage(2_500, 21, "a.csv"), "a.csv")
    store(ws, "usage", messy_usage(1_300, 22, "b.csv"), "b.csv")
    yield ws
    ws.close()


def full_read(rows: UsageRows) -> pd.DataFrame:
    """Every row, as pyarrow reads the files one after the other (the independent reference)."""
    return pd.concat([pq.read_table(str(f), columns=COLS).to_pandas() for f in rows.files()], ignore_index=True)


def same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got["_file"].astype(str)) == list(want["_file"].astype(str))
    assert got["_row"].astype(np.int64).tolist() == want["_row"].astype(np.int64).tolist()
    assert got["cost"].astype(np.int64).tolist() == want["cost"].astype(np.int64).tolist()


def test_the_workspace_is_chunked_as_the_test_needs(chunked):
    files = chunked.usage_rows.files()
    assert len(files) == 4 + 2  # 2,500 rows in 700s, 1,300 in 700s
    assert all(pq.read_metadata(str(f)).num_row_groups >= 3 for f in files[:-1])


def test_unsorted_pages_are_the_stored_rows_at_any_offset(chunked):
    rows = chunked.usage_rows
    full = full_read(rows)
    assert rows.count() == len(full) == 3_800
    bounds = [0, 149, 150, 699, 700, 701, 1_399, 2_499, 2_500, 3_000]  # row groups, chunks, the batch
    for off in bounds + [int(x) for x in np.random.default_rng(5).integers(0, 3_800, 12)]:
        for n in (1, 37, 200, 1_000):
            same(rows.page(off, n, columns=COLS), full.iloc[off:off + n])
    assert len(rows.page(3_790, 200, columns=COLS)) == 10  # the end of the table
    assert len(rows.page(5_000, 200, columns=COLS)) == 0


def test_a_sorted_query_computed_once_pages_like_a_full_sort(chunked):
    rows = chunked.usage_rows
    full = full_read(rows)
    want = full.sort_values(["cost", "_file", "_row"], ascending=[False, True, True], kind="stable",
                            na_position="last").reset_index(drop=True)
    res = rows.materialize(COLS, order=[("cost", True)])
    assert res.rows == 3_800 and res.path.exists()
    for off in (0, 1, 640, 2_999, 3_700):
        same(rows.result_page(res, off, 150), want.iloc[off:off + 150])
        same(rows.page(off, 150, columns=COLS, order=[("cost", True)]), want.iloc[off:off + 150])
    # ascending on a column with NULLs: NULLs last, ties by file and row
    want = full.sort_values(["team", "_file", "_row"], kind="stable", na_position="last").reset_index(drop=True)
    res = rows.materialize(COLS, order=[("team", False)])
    got = rows.result_page(res, 0, 4_000)
    same(got, want)
    assert got["team"].isna().to_numpy()[-int(full["team"].isna().sum()):].all()


def test_a_filtered_query_computed_once_gives_the_matching_rows(chunked):
    rows = chunked.usage_rows
    full = full_read(rows)
    hit = full[(full["team"] == "Search") & (full["cost"] > 1_000)]
    want = hit.sort_values(["_file", "_row"], kind="stable").reset_index(drop=True)
    res = rows.materialize(COLS, filters=[Filter("team", "=", "Search"), Filter("cost", ">", 1_000)])
    assert res.rows == len(want) == rows.count([Filter("team", "=", "Search"), Filter("cost", ">", 1_000)])
    same(rows.result_page(res, 0, 5_000), want)
    same(rows.result_page(res, 17, 40), want.iloc[17:57])
    again = rows.materialize(COLS, filters=[Filter("team", "=", "Search"), Filter("cost", ">", 1_000)])
    assert again.path == res.path  # the same query over the same files: computed once


def test_a_cancelled_query_raises_and_leaves_no_file(chunked):
    rows = chunked.usage_rows
    before = set(results_root().iterdir())
    p = Progress()
    p.cancel()
    with pytest.raises(Cancelled):
        rows.materialize(COLS, order=[("quantity", False)], progress=p)
    assert set(results_root().iterdir()) == before
    done = rows.materialize(COLS, order=[("quantity", False)])  # not cancelled: written
    assert set(results_root().iterdir()) - before == {done.path}


def test_a_file_without_a_column_pages_it_as_empty(tmp_path):
    """An older batch's file may lack a column the others have (read_parquet union_by_name)."""
    a = messy_usage(300, 3, "a.csv")
    b = messy_usage(200, 4, "b.csv")
    fa, fb = tmp_path / "a.parquet", tmp_path / "b.parquet"
    pq.write_table(pa.Table.from_pandas(a[COLS], preserve_index=False), fa, row_group_size=64)
    pq.write_table(pa.Table.from_pandas(b[[c for c in COLS if c != "token_kind"]], preserve_index=False), fb,
                   row_group_size=64)
    rows = UsageRows(lambda: [fa, fb], lambda: (1, 2), temp_dir=tmp_path / "duck")
    try:
        got = rows.page(250, 100, columns=COLS)
        assert got["_row"].tolist() == a["_row"].iloc[250:].tolist() + b["_row"].iloc[:50].tolist()
        def text(values):
            return [None if pd.isna(v) else str(v) for v in values]

        assert text(got["token_kind"].iloc[:50]) == text(a["token_kind"].iloc[250:])
        assert text(got["token_kind"].iloc[:50]).count(None) < 50
        assert got["token_kind"].iloc[50:].isna().all()
    finally:
        rows.close()
