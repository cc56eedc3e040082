"""THE daily usage rollup (desktop/ingest/rollup.py), run in embedded DuckDB."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import sqlglot

from desktop.domain import validation
from desktop.ingest import rollup
from desktop.ingest.errors import UnreadableFile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "warehouse"))
from agreement import figures, reference_inputs, with_usage

ROOT = Path(__file__).resolve().parents[2]
DEMO_USAGE = ROOT / "desktop" / "resources" / "demo" / "usage.csv"
FOCUS = ROOT / "tests" / "data" / "focus" / "focus-1.0_sample.csv"


def _table(con, frame: pd.DataFrame, name: str = "usage") -> dict[str, str]:
    con.register("frame_view", frame)
    con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame_view")
    con.unregister("frame_view")
    return _types(con, name)


def _types(con, name: str) -> dict[str, str]:
    return dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_name = ? ORDER BY ordinal_position", [name]).fetchall())


def _run(con, columns, relation="usage", **kw):
    p = rollup.plan(columns, **kw)
    result = con.execute(p.sql(relation, "duckdb")).fetchdf()
    sample = con.execute(p.reject_sample_sql(relation, "duckdb")).fetchdf()
    return p, p.to_usage(result, "duckdb:usage", sample), result


@pytest.mark.parametrize("path", [DEMO_USAGE, FOCUS], ids=["canonical", "focus"])
@pytest.mark.parametrize("all_text", [False, True], ids=["typed", "text"])
def test_rollup_of_a_table_gives_the_files_analysis_to_the_cent(path, all_text):
    con = duckdb.connect()
    con.execute(f"CREATE TABLE usage AS SELECT * FROM read_csv('{path}', nullstr='NULL', "
                f"all_varchar={'true' if all_text else 'false'})")
    _, res, _ = _run(con, _types(con, "usage"))
    ref = reference_inputs(path)
    assert figures(with_usage(ref, res)) == figures(ref)
    file_rows = next(r for r in ref.imports if r.kind == "usage")
    assert (res.report.rows_read, res.report.rows_imported, res.report.rows_rejected) == (
        file_rows.rows_read, file_rows.rows_imported, file_rows.rows_rejected)


def test_rollup_rows_are_daily_sums_with_their_source_row_count():
    # three rows of one day and key, at 09:00, 17:30 and 23:59 UTC, and one the next day
    con = duckdb.connect()
    _table(con, pd.DataFrame({
        "date": ["2026-03-01T09:00:00Z", "2026-03-01 17:30:00", "2026-03-01T23:59:59+00:00", "2026-03-02"],
        "vendor": ["OpenAI"] * 4, "model": ["gpt-4o"] * 4,
        "cost": ["1.10", "2.205", "0.0000005", "4"], "quantity": ["10", "20", "30", "40"],
        "currency": ["USD"] * 4}))
    _, res, raw = _run(con, ["date", "vendor", "model", "cost", "quantity", "currency"])
    assert len(raw) == 2
    u = res.frame.sort_values("date").reset_index(drop=True)
    # 1.10 + 2.205 + 0.0000005 (half-up: 1 micro) = 3.305001 -> 3,305,001 micros
    assert u["cost"].tolist() == [3_305_001, 4_000_000]
    assert u["source_rows"].tolist() == [3, 1]
    assert u["quantity"].tolist() == [60.0, 40.0]
    assert [str(d.date()) for d in u["date"]] == ["2026-03-01", "2026-03-02"]
    assert (res.report.rows_read, res.report.rows_imported, res.report.rows_rejected) == (4, 4, 0)


def test_an_offset_moves_a_row_to_its_utc_day():
    con = duckdb.connect()
    _table(con, pd.DataFrame({
        # 23:30 at -05:00 is 04:30 UTC the next day; 01:00 at +02:00 is 23:00 UTC the day before
        "date": ["2026-03-01T23:30:00-05:00", "2026-03-01T01:00:00+0200", "2026-03-01T12:00:00+05"],
        "vendor": ["OpenAI"] * 3, "cost": ["1", "2", "4"]}))
    _, res, _ = _run(con, ["date", "vendor", "cost"])
    by_day = {str(d.date()): c for d, c in zip(res.frame["date"], res.frame["cost"], strict=True)}
    assert by_day == {"2026-03-02": 1_000_000, "2026-02-28": 2_000_000, "2026-03-01": 4_000_000}


def test_rows_that_cannot_be_rolled_up_are_counted_per_reason_with_a_sample():
    con = duckdb.connect()
    _table(con, pd.DataFrame({
        "date": ["2026-03-01", None, "2026-13-45", "2026-03-01", "2026-03-01", "2262-05-01", "2026-03-02"],
        "vendor": ["OpenAI"] * 7,
        "cost": ["1", "2", "3", "", "abc", "5", "$6"],
    }))
    _, res, _ = _run(con, ["date", "vendor", "cost"])
    rep = res.report
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (7, 1, 6)
    assert rep.rows_read == rep.rows_imported + rep.rows_rejected
    said = " | ".join(rep.warnings)
    assert f"2 source row(s) not rolled up: {validation.REQUIRED}" in said  # no date, no cost
    assert f"2 source row(s) not rolled up: {validation.UNREADABLE['money']}" in said  # abc, $6
    assert f"1 source row(s) not rolled up: {validation.UNREADABLE['date']}" in said
    assert f"1 source row(s) not rolled up: {rollup.DATE_RANGE_MESSAGE}" in said
    assert len(rep.errors) == 6
    values = {(e.column, e.value) for e in rep.errors}
    assert ("cost", "abc") in values and ("date", "2026-13-45") in values


def test_focus_end_is_exclusive_and_a_period_ending_at_its_start_is_rejected():
    con = duckdb.connect()
    base = {"BilledCost": ["1", "2", "4"], "EffectiveCost": ["1", "2", "4"], "ChargeCategory": ["Usage"] * 3,
            "BillingCurrency": ["USD"] * 3, "ProviderName": ["OpenAI"] * 3,
            # 22:00-23:00 belongs to its start day; a monthly charge ending 06-01T00:00Z covers May;
            # a row ending where it starts is rejected
            "ChargePeriodStart": ["2025-05-03T22:00:00Z", "2025-05-01T00:00:00Z", "2025-05-04T10:00:00Z"],
            "ChargePeriodEnd": ["2025-05-03T23:00:00Z", "2025-06-01T00:00:00Z", "2025-05-04T10:00:00Z"]}
    _table(con, pd.DataFrame(base))
    p, res, _ = _run(con, list(base))
    assert p.shape == "focus"
    by_day = {str(d.date()): c for d, c in zip(res.frame["date"], res.frame["cost"], strict=True)}
    assert by_day == {"2025-05-03": 1_000_000, "2025-05-01": 2_000_000}
    assert res.report.rows_rejected == 1
    assert any(rollup.END_MESSAGE in w for w in res.report.warnings)


def test_typed_timestamp_columns_take_the_same_path():
    con = duckdb.connect()
    con.execute("CREATE TABLE usage AS SELECT * FROM (VALUES "
                "(TIMESTAMPTZ '2025-05-03 23:30:00-05', TIMESTAMPTZ '2025-05-04 00:30:00-05', 1.5::DECIMAL(18,6), "
                "'Usage', 'USD', 'OpenAI'), "
                "(TIMESTAMPTZ '2025-05-03 10:00:00+00', TIMESTAMPTZ '2025-05-03 10:00:00+00', 2.0, 'Usage', 'USD', "
                "'OpenAI')) t(ChargePeriodStart, ChargePeriodEnd, BilledCost, ChargeCategory, BillingCurrency, "
                "ProviderName)")
    _, res, _ = _run(con, _types(con, "usage"))
    assert [str(d.date()) for d in res.frame["date"]] == ["2025-05-04"]  # 23:30 -05 is 04:30 UTC
    assert res.frame["cost"].tolist() == [1_500_000]
    assert res.report.rows_rejected == 1  # ends where it starts


def test_a_table_that_is_not_usage_is_refused_naming_what_is_missing():
    with pytest.raises(UnreadableFile, match="date, vendor, cost"):
        rollup.plan(["contract_id", "commitment"])


@pytest.mark.parametrize("dialect", ["duckdb", "postgres", "spark", "databricks", "snowflake", "bigquery", "trino"])
def test_the_rollup_renders_in_every_dialect(dialect):
    sql = rollup.rollup_sql("analytics.usage", ["date", "vendor", "cost", "team"], dialect)
    parsed = sqlglot.parse_one(sql, read=rollup.DIALECTS[dialect])
    assert parsed.find(sqlglot.exp.Group) is not None
    assert "source_rows" in sql and "reject_reason" in sql


def test_frame_shape_sums_micros_and_source_rows():
    con = duckdb.connect()
    frame = pd.DataFrame({"date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-02"]),
                          "vendor": ["OpenAI"] * 3, "cost": [1, 2, 4], "currency": ["USD"] * 3,
                          "source_rows": [1, 5, 1], "_file": ["a.csv"] * 3})
    con.register("f", frame)
    _, res, raw = _run(con, _types_of_view(con), relation="f", shape="frame")
    got = res.frame.sort_values("date")
    assert got["cost"].tolist() == [3, 4] and got["source_rows"].tolist() == [6, 1]
    assert res.report.rows_read == 7


def _types_of_view(con):
    return {r[0]: r[1] for r in con.execute("DESCRIBE f").fetchall()}


def test_rows_behind_a_rollup_row_are_fetched_bounded():
    con = duckdb.connect()
    _table(con, pd.DataFrame({"date": ["2026-03-01"] * 3 + ["2026-03-02"], "vendor": ["OpenAI"] * 4,
                              "team": ["a", "a", "b", "a"], "cost": ["1", "2", "3", "4"]}))
    p = rollup.plan(["date", "vendor", "team", "cost"])
    rows = con.execute(p.rows_sql("usage", "duckdb", {"day": "2026-03-01", "vendor": "OpenAI", "team": "a"},
                                  limit=10)).fetchdf()
    assert sorted(rows["cost"].tolist()) == ["1", "2"]
    one = con.execute(p.rows_sql("usage", "duckdb", {"day": "2026-03-01", "vendor": "OpenAI", "team": "a"},
                                 limit=1)).fetchdf()
    assert len(one) == 1


def test_a_pre_aggregated_table_keeps_its_row_counts():
    con = duckdb.connect()
    _table(con, pd.DataFrame({"date": ["2026-03-01", "2026-03-01", "2026-03-02"], "vendor": ["OpenAI"] * 3,
                              "cost": [1.5, 2.5, 4.0], "source_rows": [10, 5, None]}))
    _, res, raw = _run(con, _types(con, "usage"))
    got = res.frame.sort_values("date")
    assert got["source_rows"].tolist() == [15, 1]  # an empty count is one row
    assert got["cost"].tolist() == [4_000_000, 4_000_000]
    assert res.report.rows_read == 16
