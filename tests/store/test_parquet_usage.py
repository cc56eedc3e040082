"""Workspace usage as Parquet, rolled up by DuckDB: the analysis of the rollup equals the
analysis of the raw rows to the cent; row queries page the Parquet; the cache DuckDB reads is
exactly the stored chunks."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from store_helpers import raw_query, store

from desktop.domain import report, tables
from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.store import Workspace, parquet
from desktop.store.usage_db import Filter


def messy_usage(n: int, seed: int, file: str) -> pd.DataFrame:
    """Many rows per day and dimension: sub-cent amounts, credits, vendor aliases and team
    spellings that the analysis treats as one."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 9_999, n)  # micros: under a cent each
    cost[rng.random(n) < 0.1] *= -1  # credits
    cost[rng.random(n) < 0.05] = 3_333_333  # a few rows of 3.333333 dollars
    df = pd.DataFrame({
        "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 4, n), unit="D"),
        "vendor": rng.choice(np.array(["OpenAI", "openai ", "Azure OpenAI Service", "azure openai", "Anthropic PBC"],
                                      dtype=object), n),
        "cost": cost,
        "model": rng.choice(np.array(["gpt-4o", None], dtype=object), n),
        "token_kind": rng.choice(np.array(["input", "output", None], dtype=object), n),
        "quantity": rng.integers(1, 5_000, n).astype(float),
        "team": rng.choice(np.array(["Search", "search", " Support", None], dtype=object), n),
        "commit_eligible": rng.random(n) > 0.1,
        "_file": file,
        "_row": np.arange(2, n + 2),
    })
    return tables.conform(df, "usage")


def commitments() -> pd.DataFrame:
    df = pd.DataFrame({
        "contract_id": ["C-1", "C-2", "C-3"], "vendor": ["OpenAI", "Anthropic", "Azure OpenAI"],
        "period_start": ["2026-01-01"] * 3, "period_end": ["2026-12-31"] * 3,
        "commitment": [50_000_000, 20_000_000, 9_000_000],
        "_file": "commitments.csv", "_row": [2, 3, 4]})
    return tables.conform(df, "commitments")


def raw_inputs(ws: Workspace) -> Inputs:
    """The same inputs with usage as its raw rows (every stored batch decoded)."""
    inputs = ws.inputs()
    frames = [ws.batch_frame(b.id) for b in ws.batches() if b.kind == "usage"]
    return inputs.with_table("usage", pd.concat(frames, ignore_index=True))


def test_analysis_of_the_rollup_equals_the_raw_rows_to_the_cent(ws):
    u1, u2 = messy_usage(6_000, 1, "a.csv"), messy_usage(3_000, 2, "b.csv")
    store(ws, "usage", u1, "a.csv")
    store(ws, "usage", u2, "b.csv")
    store(ws, "commitments", commitments(), "commitments.csv")
    rolled = ws.inputs()
    assert len(rolled.usage) < (len(u1) + len(u2)) / 2  # rows really rolled up
    assert int(rolled.usage["source_rows"].sum()) == len(u1) + len(u2)
    assert int(rolled.usage["cost"].sum()) == int(u1["cost"].sum() + u2["cost"].sum())
    a = build_analysis(rolled, ws.settings())
    b = build_analysis(raw_inputs(ws), ws.settings(), a.as_of)
    ja, jb = report.to_json_dict(a), report.to_json_dict(b)
    assert ja["contracts"] == jb["contracts"]
    assert ja["budgets"] == jb["budgets"] and ja["anomalies"] == jb["anomalies"]
    assert ja == jb
    spent = {c.contract_id: c for c in a.contracts}
    assert spent["C-1"].periods[0].consumed == b.contracts[0].periods[0].consumed


def test_demo_workspace_analysis_equals_the_files(tmp_path):
    from desktop.ingest import load_inputs
    from desktop.resources import DEMO_KINDS, demo_files

    files = demo_files()
    with Workspace.open(tmp_path / "d.commitdesk", create=True) as ws:
        for k in DEMO_KINDS:
            if k in files:
                ws.import_file(files[k], k)
        a = build_analysis(ws.inputs(), ws.settings())
        b = build_analysis(load_inputs([(k, files[k]) for k in DEMO_KINDS if k in files], ws.settings()),
                           ws.settings(), a.as_of)
    assert report.to_json_dict(a) == report.to_json_dict(b)


def test_cache_files_are_the_stored_chunks_and_temporaries_are_never_read(ws, ws_path):
    store(ws, "usage", messy_usage(500, 3, "a.csv"), "a.csv")
    files = ws._batches.usage_files()
    stored = raw_query(ws_path, "SELECT sha256, data FROM batch_chunks WHERE sha256 IS NOT NULL")
    assert [f.name for f in files] == [f"{d}.parquet" for d, _ in stored]
    assert [hashlib.sha256(f.read_bytes()).hexdigest() for f in files] == [d for d, _ in stored]
    assert all(bytes(data[:4]) == b"PAR1" for _, data in stored)
    # a killed copy leaves a temporary file: never counted, removed by sweep
    tmp = files[0].parent / ".extract-dead.tmp"
    tmp.write_bytes(b"half a file")
    assert ws._batches.usage_files() == files
    assert parquet.sweep(files[0].parent) >= 1 and not tmp.exists()
    # a damaged cache file (wrong size) is copied out again from the workspace
    files[0].write_bytes(b"PAR1 damaged")
    again = ws._batches.usage_files()
    assert hashlib.sha256(again[0].read_bytes()).hexdigest() == stored[0][0]


def test_a_copy_whose_content_does_not_match_is_never_put_in_place(tmp_path):
    import io

    with pytest.raises(ValueError, match="does not match"):
        parquet.cached_file("0" * 64, lambda: io.BytesIO(b"PAR1 something else"), 19, root=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_rows_are_paged_filtered_and_sorted_in_duckdb(ws):
    u = messy_usage(2_000, 4, "a.csv")
    store(ws, "usage", u, "a.csv")
    rows = ws._batches.usage_rows
    assert rows.count() == 2_000
    # no order, no filter: the rows as stored (by date, a day's rows in file order), by position
    stored = u.sort_values("date", kind="stable")
    page = rows.page(100, 50, columns=["_row", "cost"])
    assert list(page["_row"]) == list(stored["_row"].iloc[100:150])
    assert list(rows.page(1_990, 50, columns=["_row"])["_row"]) == list(stored["_row"].iloc[1_990:])
    assert list(rows.page(0, 5, columns=["_row"], order=[("_row", False)])["_row"]) == [2, 3, 4, 5, 6]
    top = rows.page(0, 5, columns=["cost"], order=[("cost", True)])
    assert list(top["cost"]) == sorted(u["cost"], reverse=True)[:5]
    n = rows.count([Filter("team", "=", "Search")])
    assert n == int((u["team"] == "Search").sum())
    assert rows.count(text="SUPPORT", text_columns=["team"]) == int(u["team"].str.contains("Support").fillna(False).sum())
    with pytest.raises(ValueError):
        rows.page(0, 5, order=[("cost; DROP TABLE x", False)])


def test_source_rows_of_a_rollup_row_are_fetched_by_its_keys_bounded(ws):
    u = messy_usage(3_000, 5, "a.csv")
    store(ws, "usage", u, "a.csv")
    rolled = ws.inputs().usage
    big = rolled.loc[rolled["source_rows"].idxmax()]
    keys = {c: big[c] for c in rolled.columns if c not in ("source_rows",)}
    rows, total = ws._batches.usage_rows.source_rows(keys, limit=3)
    assert total == int(big["source_rows"]) and len(rows) == min(3, total)
    everything, _ = ws._batches.usage_rows.source_rows(keys, limit=1_000)
    assert int(everything["cost"].sum()) == int(big["cost"])


def test_usage_imported_before_schema_5_is_rolled_up_too(ws, ws_path):
    u = messy_usage(300, 6, "old.csv")
    store(ws, "usage", u, "old.csv")
    # turn the stored Parquet back into Arrow IPC chunks, as schema 4 stored usage
    from desktop.store import frames

    with ws._write("downgrade") as conn:
        conn.execute("DELETE FROM batch_chunks")
        for i, (nrows, blob) in enumerate(frames.encode_chunks(u)):
            conn.execute("INSERT INTO batch_chunks(batch_id, chunk, nrows, data) VALUES (1, ?, ?, ?)", (i, nrows, blob))
    ws._batches.clear_cache()
    rolled = ws.inputs().usage
    assert int(rolled["source_rows"].sum()) == 300 and int(rolled["cost"].sum()) == int(u["cost"].sum())
    assert [Path(f).name.startswith("legacy-") for f in ws._batches.usage_files()] == [True]


def _csv(tmp_path, n: int, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "date": (np.datetime64("2026-02-01") + rng.integers(0, 10, n)).astype(str),
        "vendor": rng.choice(["OpenAI", "openai", "Anthropic"], n),
        "cost": [f"{c / 10**6:.6f}" for c in rng.integers(-5_000, 2_000_000, n)],
        "model": rng.choice(["gpt-4o", "claude"], n),
        "team": rng.choice(["Search", "search ", "Ops"], n),
    })
    df.loc[5, "cost"] = "twelve"  # one rejected row
    p = tmp_path / "big.csv"
    df.to_csv(p, index=False)
    return p


def test_streamed_import_equals_the_whole_file_import(tmp_path):
    from desktop.ingest import stream

    src = _csv(tmp_path, 5_000)
    with Workspace.open(tmp_path / "a.commitdesk", create=True) as a, \
            Workspace.open(tmp_path / "b.commitdesk", create=True) as b:
        whole = a.import_file(src, "usage")
        old = stream.SLICE_ROWS
        stream.SLICE_ROWS = 1_000
        try:
            streamed = b._batches.import_stream(src)
        finally:
            stream.SLICE_ROWS = old
        assert (streamed.rows_read, streamed.rows_imported, streamed.rows_rejected) == \
               (whole.rows_read, whole.rows_imported, whole.rows_rejected) == (5_000, 4_999, 1)
        assert [(e.row, e.column) for e in streamed.errors] == [(e.row, e.column) for e in whole.errors] == [(7, "cost")]
        fa = a.batch_frame(a.batches()[0].id)
        fb = b.batch_frame(b.batches()[0].id)
        pd.testing.assert_frame_equal(fa, fb)
        pd.testing.assert_frame_equal(a.inputs().usage, b.inputs().usage)
        assert raw_query(b.path, "SELECT count(DISTINCT batch_id) FROM usage_days") == [(1,)]


def test_streamed_import_slices_and_cancel_leaves_nothing(tmp_path, monkeypatch):
    from desktop.domain.progress import Cancelled, Progress
    from desktop.ingest import stream

    src = _csv(tmp_path, 3_000)
    monkeypatch.setattr(stream, "SLICE_ROWS", 500)
    with Workspace.open(tmp_path / "c.commitdesk", create=True) as ws:
        seen = []

        def cb(fraction, text):
            seen.append(text)
            if text.startswith("saving") and seen.count(text) == 3:
                progress.cancel()

        progress = Progress(cb)
        with pytest.raises(Cancelled):
            ws._batches.import_stream(src, progress=progress)
        assert ws.batches() == [] and raw_query(ws.path, "SELECT count(*) FROM batch_chunks") == [(0,)]
        rep = ws._batches.import_stream(src)
        assert raw_query(ws.path, "SELECT count(*) FROM batch_chunks") == [(6,)]
        assert any("read in 6 slices" in w for w in rep.warnings)


def test_streamed_parquet_import(tmp_path):
    import duckdb

    src = _csv(tmp_path, 2_000)
    pq_path = tmp_path / "u.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar = true)) TO '{pq_path}' "
               "(FORMAT parquet, ROW_GROUP_SIZE 300)")
    with Workspace.open(tmp_path / "p.commitdesk", create=True) as ws:
        rep = ws._batches.import_stream(pq_path)
        assert (rep.format, rep.rows_imported, rep.rows_rejected) == ("canonical-parquet", 1_999, 1)
        assert [(e.row, e.column) for e in rep.errors] == [(6, "cost")]  # data row 6 of the Parquet file


def test_source_refs_of_rollup_rows_are_the_file_rows_behind_them(ws):
    from desktop.domain import provenance as prov

    u = messy_usage(2_000, 8, "a.csv")
    store(ws, "usage", u, "a.csv")
    a = build_analysis(ws.inputs(), ws.settings())
    usage = a.usage
    pick = np.flatnonzero((usage["team"] == "search").fillna(False).to_numpy() & (usage["source_rows"] > 1).to_numpy())
    rows = prov.Rows("usage", pick.astype(np.int64))
    got, count = prov.source_refs(a, rows, limit=100_000)
    want = sorted(("a.csv", int(r)) for r in u.loc[(u["team"] == "search").fillna(False)
                                                   & u["date"].isin(usage["date"].iloc[pick]), "_row"]
                  if True)
    expected = {(f, r) for f, r in want}
    assert count == int(usage["source_rows"].iloc[pick].sum()) == len(got)
    assert {(s.file, s.row) for s in got} <= expected and len(got) == len(set((s.file, s.row) for s in got))
    assert sum(int(u.loc[u["_row"] == s.row, "cost"].iloc[0]) for s in got) == int(usage["cost"].iloc[pick].sum())
    head, n = prov.source_refs(a, rows, limit=5)
    assert n == count and [(s.file, s.row) for s in head] == sorted((s.file, s.row) for s in got)[:5]
    # chart clicks keep the analysis' own rows
    assert prov.refs(a, rows)[1] == len(pick)


def test_import_file_streams_a_usage_file_too_big_to_read_whole(tmp_path, monkeypatch):
    import dataclasses

    import duckdb

    from desktop.ingest import safety, stream
    from desktop.store.errors import OverlapRefused

    src = _csv(tmp_path, 1_500)
    pq_path = tmp_path / "big.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{src}', all_varchar = true)) TO '{pq_path}' (FORMAT parquet)")
    monkeypatch.setattr(safety, "DEFAULT_LIMITS", dataclasses.replace(safety.DEFAULT_LIMITS, max_rows=1_000))
    monkeypatch.setattr(stream, "SLICE_ROWS", 400)
    with Workspace.open(tmp_path / "s.commitdesk", create=True) as ws:
        rep = ws.import_file(pq_path)
        assert rep.rows_imported == 1_499 and any("read in 4 slices" in w for w in rep.warnings)
        again = tmp_path / "again.parquet"
        duckdb.sql(f"COPY (SELECT * FROM read_parquet('{pq_path}') LIMIT 1200) TO '{again}' (FORMAT parquet)")
        with pytest.raises(OverlapRefused, match=r"already imported from big.parquet \(batch 1, 1,499 rows, on .*\): [0-9,.]+ USD there, [0-9,.]+ USD "
                           r"in this file \([0-9,]+ rows there and [0-9,]+ rows in this file on those days\)"):
            ws.import_file(again, on_overlap="refuse")
        assert len(ws.batches()) == 1 and raw_query(ws.path, "SELECT count(*) FROM batch_chunks") == [(4,)]
