"""A warehouse import's report counts source rows, as the analyst does, not rollup rows: the
importer's rejections and totals rows of the rollup are told in the source rows behind them, so
rows_read = rows_imported + rows_rejected in source rows and the per-reason lines add up to the
rejected rows. Twelve source rows, counted by hand below."""

from __future__ import annotations

import duckdb

from desktop.ingest import warehouse
from desktop.store import Workspace
from desktop.store.commands import format_report
from desktop.store.warehouse_import import import_url

ROWS = [
    # rollup rows are numbered by day, then vendor ...: rollup row 2: OpenAI on Jan 1, 3 source
    # rows, imported (6.00)
    ("2026-01-01", "OpenAI", "1.00", "USD"), ("2026-01-01", "OpenAI", "2.00", "USD"),
    ("2026-01-01", "OpenAI", "3.00", "USD"),
    # rollup row 1 (a blank vendor sorts first): 2 source rows -> rejected by the importer
    ("2026-01-01", "", "4.00", "USD"), ("2026-01-01", "", "5.00", "USD"),
    # rollup row 3: a currency that is not a code, 3 source rows -> rejected
    ("2026-01-02", "OpenAI", "6.00", "US Dollars"), ("2026-01-02", "OpenAI", "7.00", "US Dollars"),
    ("2026-01-02", "OpenAI", "7.00", "US Dollars"),
    # rollup row 4: a totals row, 1 source row
    ("2026-01-03", "Total", "100.00", "USD"),
    # not rolled up (the SQL rejects them): 2 unreadable amounts, 1 unreadable date
    ("2026-01-03", "OpenAI", "abc", "USD"), ("2026-01-03", "OpenAI", "abc", "USD"),
    ("bad", "OpenAI", "1.00", "USD"),
]


def _table(tmp_path) -> str:
    db = tmp_path / "u.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE usage(date VARCHAR, vendor VARCHAR, cost VARCHAR, currency VARCHAR)")
    con.executemany("INSERT INTO usage VALUES (?, ?, ?, ?)", ROWS)
    con.close()
    return f"duckdb://{db}?table=usage"


def test_warehouse_report_counts_source_rows(tmp_path):
    rep = warehouse.read_usage(_table(tmp_path)).result.report
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (12, 3, 9)
    lines = list(rep.warnings)
    assert lines[0].startswith("rolled up where the data lives: 12 source rows -> 4 daily rollup rows; every count "
                               "in this report is of source rows (read 12 = imported 3 + rejected 9), row numbers "
                               "are rollup rows")
    assert lines[1:] == [
        "2 source row(s) not rolled up: cannot read as an amount",
        "1 source row(s) not rolled up: cannot read as a date",
        "3 source rows rejected: currency must be a three-letter code such as USD (currency)",
        "2 source rows rejected: required value is empty (vendor)",
        "1 source row in 1 rollup row(s) left out as totals rows (rollup rows 4); counted as rejected",
    ]
    # 2 + 1 + 3 + 2 + 1 = 9 rejected source rows
    by_row = {e.row: e.message for e in rep.errors if e.row is not None}
    assert by_row == {1: "required value is empty (a rollup row of 2 source rows)",
                      3: "currency must be a three-letter code such as USD (a rollup row of 3 source rows)"}


def test_warehouse_import_into_a_workspace_reports_source_rows(tmp_path):
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        rep = import_url(ws, _table(tmp_path))
        text = format_report(rep)
        stored = ws.batches()[0].report
    assert text.splitlines()[0].endswith("3 of 12 rows imported, 9 rejected")
    assert "row 3, column 'currency': currency must be a three-letter code such as USD (a rollup row of 3 source " \
           "rows) (value 'US Dollars')" in text
    assert stored.warnings == rep.warnings and stored.rows_rejected == 9


def test_rollup_rows_are_numbered_the_same_whatever_order_the_engine_returns(tmp_path):
    from desktop.ingest import rollup

    con = duckdb.connect()
    con.execute("CREATE TABLE usage(date VARCHAR, vendor VARCHAR, cost VARCHAR, currency VARCHAR)")
    con.executemany("INSERT INTO usage VALUES (?, ?, ?, ?)", ROWS)
    p = rollup.plan({"date": "VARCHAR", "vendor": "VARCHAR", "cost": "VARCHAR", "currency": "VARCHAR"})
    got = con.execute(p.sql("usage", "duckdb")).fetchdf()
    first = p.ordered(got)
    # NULL reason first (the rolled-up rows by day, then vendor as text: "" < "OpenAI" < "Total"),
    # then the rejected ones by reason
    assert first["d0"].tolist()[:4] == ["", "OpenAI", "OpenAI", "Total"]
    # ("cannot read as a date" sorts before "cannot read as an amount")
    assert first["source_rows"].tolist() == [2, 3, 3, 1, 1, 2]
    for seed in range(3):
        again = p.ordered(got.sample(frac=1, random_state=seed))
        assert again.equals(first)
