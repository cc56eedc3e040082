"""The workspace's daily rollup comes back from DuckDB as Arrow and becomes the canonical usage
frame without a Python object per row (desktop/ingest/rollup.py ``frame_sql``, ``fetch_arrow``,
``to_usage``): text dictionary-encoded from Arrow dictionaries, NULL kept apart from a blank,
non-ASCII text as written, money exact int64 micros, rows in one fixed order whatever order the
engine returns them in. Expectations are computed by hand below."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from desktop.domain import tables
from desktop.ingest import rollup
from desktop.store import parquet, usage_db

BIG = 2**53 + 1  # micros a float64 cannot hold: 9,007,199,254.740993


def _rows() -> pd.DataFrame:
    """Seven usage rows of two files (a.csv rows 2-6, b.csv rows 2-3)."""
    df = pd.DataFrame({
        "date": pd.to_datetime(["2026-03-01", "2026-03-01", "2026-03-01", "2026-03-01",
                                "2026-03-02", "2026-03-01", "2026-03-01"]).normalize(),
        "vendor": ["OpenAI", "OpenAI", "OpenAI", "OpenAI", "OpenAI", "Anthropic", "OpenAI"],
        "cost": [BIG, 2, 1_000_001, 1_000_002, 7, 5_000_000, 3],
        "model": ["gpt-4o", "gpt-4o", None, None, "gpt-4o", "claude-sonnet-4", "gpt-4o"],
        "quantity": [1.5, 2.5, 1.0, 1.0, 3.0, 4.0, 0.25],
        "team": ["Zürich ML", "Zürich ML", None, None, "東京", "", "Zürich ML"],
        "_file": ["a.csv"] * 5 + ["b.csv"] * 2,
        "_row": [2, 3, 4, 5, 6, 2, 3],
    })
    return tables.conform(df, "usage")


def _files(tmp_path, frame: pd.DataFrame) -> list:
    out = []
    for name in ("a.csv", "b.csv"):
        part = frame[frame["_file"].astype("string") == name].reset_index(drop=True)
        path = tmp_path / f"{name}.parquet"
        path.write_bytes(parquet.encode_table(parquet.to_arrow(part)))
        out.append(path)
    return out


def _rollup(tmp_path, names=("a.csv", "b.csv")) -> pd.DataFrame:
    files = _files(tmp_path, _rows())
    con = usage_db.connect(tmp_path / "tmp")
    cols = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {usage_db.relation(files)}").fetchall()}
    return usage_db.rollup_frame(con, files, cols, names=list(names))


def test_rollup_from_arrow_keeps_categories_nulls_blanks_text_and_micros(tmp_path):
    got = _rollup(tmp_path)
    # a.csv first (import order), each file's rows by their first file row:
    # a.csv 2+3 (OpenAI, gpt-4o, Zürich ML, 03-01), a.csv 4+5 (OpenAI, no model, no team),
    # a.csv 6 (03-02, 東京), b.csv 2 (Anthropic, blank team), b.csv 3 (its own file: own row)
    assert got["_row"].tolist() == [2, 4, 6, 2, 3]
    assert got["_file"].astype(object).tolist() == ["a.csv", "a.csv", "a.csv", "b.csv", "b.csv"]
    assert got["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-03-01", "2026-03-01", "2026-03-02",
                                                            "2026-03-01", "2026-03-01"]
    assert got["cost"].dtype == np.int64
    assert got["cost"].tolist() == [9_007_199_254_740_995, 2_000_003, 7, 5_000_000, 3]
    assert got["source_rows"].tolist() == [2, 2, 1, 1, 1]
    assert got["quantity"].tolist() == [4.0, 2.0, 3.0, 4.0, 0.25]
    # text: dictionary-encoded, categories sorted by code point, NULL is NA (code -1) and a
    # blank stays a blank, non-ASCII as written
    for c in ("vendor", "model", "team", "currency", "_file", "meter"):
        assert tables.is_dictionary(got[c]), c
    team = got["team"]
    assert team.cat.categories.tolist() == ["", "Zürich ML", "東京"]
    assert team.cat.codes.tolist() == [1, -1, 2, 0, 1]
    assert got["model"].cat.codes.tolist() == [1, -1, 1, 0, 1]
    assert got["model"].cat.categories.tolist() == ["claude-sonnet-4", "gpt-4o"]
    assert got["meter"].isna().all() and got["currency"].astype(object).tolist() == ["USD"] * 5
    assert list(got.columns) == tables.USAGE.names + ["_file", "_row"]
    assert got.dtypes.equals(tables.conform(got, "usage").dtypes)


def test_rollup_rows_come_in_one_order_whatever_order_the_engine_returns(tmp_path):
    files = _files(tmp_path, _rows())
    con = duckdb.connect()
    cols = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {usage_db.relation(files)}").fetchall()}
    p = rollup.plan(cols, shape="frame")
    table = rollup.fetch_arrow(con, p.frame_sql(usage_db.relation(files)))
    assert isinstance(table, pa.Table) and table.num_rows == 5
    first = p.to_usage(table, "w").frame
    for seed in range(4):
        shuffled = table.take(np.random.default_rng(seed).permutation(table.num_rows))
        pd.testing.assert_frame_equal(p.to_usage(shuffled, "w").frame, first, check_exact=True)
    # the same result handed over as pandas (a warehouse client's DataFrame) gives the same frame
    pd.testing.assert_frame_equal(p.to_usage(table.to_pandas(), "w").frame, first, check_exact=True)
    # with no import order, by day and every dimension (NULL first, text by code point):
    # 03-01 Anthropic (b.csv 2), 03-01 OpenAI no model (a.csv 4), 03-01 OpenAI gpt-4o Zürich
    # a.csv (2), then b.csv (3), 03-02 (a.csv 6)
    assert first["_row"].tolist() == [2, 4, 2, 3, 6]
    assert first["vendor"].astype(object).tolist() == ["Anthropic", "OpenAI", "OpenAI", "OpenAI", "OpenAI"]


def test_one_file_name_in_two_batches_is_ordered_by_import_then_row_then_keys(tmp_path):
    # usage.csv imported twice (keep both): first rows 2 of both batches tie on (file, row);
    # the tie goes by day, then every dimension (Anthropic before OpenAI)
    first = tables.conform(pd.DataFrame({
        "date": pd.to_datetime(["2026-03-02", "2026-03-02"]), "vendor": ["OpenAI", "OpenAI"], "cost": [5, 6],
        "_file": ["usage.csv"] * 2, "_row": [2, 3]}), "usage")
    second = tables.conform(pd.DataFrame({
        "date": pd.to_datetime(["2026-03-02", "2026-03-01"]), "vendor": ["Anthropic", "OpenAI"], "cost": [7, 8],
        "_file": ["usage.csv"] * 2, "_row": [2, 3]}), "usage")
    files = []
    for i, part in enumerate((first, second)):
        path = tmp_path / f"batch-{i}.parquet"
        path.write_bytes(parquet.encode_table(parquet.to_arrow(part)))
        files.append(path)
    con = usage_db.connect(tmp_path / "tmp")
    cols = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {usage_db.relation(files)}").fetchall()}
    got = usage_db.rollup_frame(con, files, cols, names=["usage.csv", "usage.csv"])
    # one file name: OpenAI on Mar 2 of both batches is one rollup row (5 + 6 = 11, first row 2);
    # it ties on (file, row 2) with Anthropic's Mar 2 row (7): by day, then vendor, Anthropic
    # first; then row 3 (OpenAI on Mar 1, 8)
    assert list(zip(got["_row"], got["cost"], strict=True)) == [(2, 7), (2, 11), (3, 8)]
    assert got["source_rows"].tolist() == [1, 2, 1]
