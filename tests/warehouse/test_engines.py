"""The same usage as a file, a DuckDB table, a PostgreSQL table and a Spark table (canonical and
FOCUS shapes) gives the same analysis to the cent; only rollup rows come back."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from agreement import SOURCE_KEYS, figures, reference_inputs, with_usage

from desktop import cli
from desktop.ingest import warehouse

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "desktop" / "resources" / "demo"
FILES = {"canonical": DEMO / "usage.csv", "focus": ROOT / "tests" / "data" / "focus" / "focus-1.0_sample.csv"}
DEMO_ROLLUP_ROWS = 25_249  # the demo usage is daily already: one rollup row per file row
# pyspark's own notes about the pandas version it was built against
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning:pyspark", "ignore::DeprecationWarning:pyspark")


def _arrow(shape: str, split: bool = False) -> pa.Table:
    """The file as a typed Arrow table (DuckDB's CSV types: DATE, DOUBLE, BOOLEAN, VARCHAR ...).
    ``split``: every row three times, its cost in three parts that add up to it exactly."""
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{FILES[shape]}', nullstr='NULL')")
    if split:
        con.execute("CREATE TABLE s AS "
                    "SELECT * REPLACE (cost - 2 * round(cost / 3, 6) AS cost) FROM t UNION ALL "
                    "SELECT * REPLACE (round(cost / 3, 6) AS cost, 0 AS quantity) FROM t UNION ALL "
                    "SELECT * REPLACE (round(cost / 3, 6) AS cost, 0 AS quantity) FROM t")
        return con.sql("SELECT * FROM s").to_arrow_table()
    return con.sql("SELECT * FROM t").to_arrow_table()


class Counting(warehouse.Connection):
    """A real connection that counts the rows each query brings back."""

    def __init__(self, inner: warehouse.Connection):
        self.inner = inner
        self.received: list[int] = []

    def columns(self, table):
        return self.inner.columns(table)

    def query(self, sql):
        got = self.inner.query(sql)
        self.received.append(len(got))
        return got

    def close(self):
        self.inner.close()


@pytest.fixture(scope="module")
def reference():
    return {shape: reference_inputs(path) for shape, path in FILES.items()}


@pytest.fixture(scope="module")
def duckdb_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("duckdb") / "usage.duckdb"
    con = duckdb.connect(str(path))
    for shape in FILES:
        con.register("a", _arrow(shape))
        con.execute(f"CREATE TABLE usage_{shape} AS SELECT * FROM a")
        con.unregister("a")
    con.register("a", _arrow("canonical", split=True))
    con.execute("CREATE TABLE usage_split AS SELECT * FROM a")
    con.close()
    return path


@pytest.fixture(scope="module")
def postgres_tables(postgres_url):
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(postgres_url) as conn, conn.cursor() as cur:
        for shape in FILES:
            cur.adbc_ingest(f"usage_{shape}", _arrow(shape), mode="replace")
        # the FOCUS file as text columns too (the warehouse kept what the CSV said)
        text = _arrow("focus")
        cur.adbc_ingest("usage_focus_text", pa.table({n: text[n].cast(pa.string()) for n in text.column_names}),
                        mode="replace")
        cur.adbc_ingest("usage_split", _arrow("canonical", split=True), mode="replace")
        conn.commit()
    return postgres_url


@pytest.fixture(scope="module")
def spark_tables(spark):
    for shape in FILES:
        spark.createDataFrame(_arrow(shape).to_pandas()).createOrReplaceTempView(f"usage_{shape}")
    spark.createDataFrame(_arrow("canonical", split=True).to_pandas()).createOrReplaceTempView("usage_split")
    return "spark://local"


def _agrees(url: str, shape: str, reference) -> warehouse.WarehouseRead:
    read = warehouse.read_usage(url)
    ref = reference[shape]
    assert figures(with_usage(ref, read.result)) == figures(ref)
    rep = read.result.report
    file_rep = next(r for r in ref.imports if r.kind == "usage")
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (
        file_rep.rows_read, file_rep.rows_imported, file_rep.rows_rejected)
    return read


@pytest.mark.parametrize("shape", list(FILES))
def test_duckdb_table_agrees_with_the_file(duckdb_file, reference, shape):
    read = _agrees(f"duckdb://{duckdb_file}?table=usage_{shape}", shape, reference)
    assert read.result.report.query == read.query and "GROUP BY" in read.query


@pytest.mark.slow
@pytest.mark.parametrize("table,shape", [("usage_canonical", "canonical"), ("usage_focus", "focus"),
                                         ("usage_focus_text", "focus")])
def test_postgresql_table_agrees_with_the_file(postgres_tables, reference, table, shape):
    _agrees(f"{postgres_tables}?table={table}", shape, reference)


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(FILES))
def test_spark_table_agrees_with_the_file(spark_tables, reference, shape):
    _agrees(f"{spark_tables}?table=usage_{shape}", shape, reference)


def _pushdown(url: str, reference) -> None:
    target = warehouse.parse_url(url)
    conn = Counting(warehouse.connect(target))
    try:
        read = warehouse.read_usage(url, connection=conn)
    finally:
        conn.close()
    # the table holds 3 x 25,249 rows; one query, and only the 25,249 daily rollup rows came back
    assert conn.received == [DEMO_ROLLUP_ROWS]
    assert read.result.report.rows_read == 3 * DEMO_ROLLUP_ROWS
    assert int(read.result.frame["source_rows"].sum()) == 3 * DEMO_ROLLUP_ROWS
    ref = reference["canonical"]
    assert figures(with_usage(ref, read.result)) == figures(ref)


def test_pushdown_transfers_only_rollup_rows_duckdb(duckdb_file, reference):
    _pushdown(f"duckdb://{duckdb_file}?table=usage_split", reference)


@pytest.mark.slow
def test_pushdown_transfers_only_rollup_rows_postgresql(postgres_tables, reference):
    _pushdown(f"{postgres_tables}?table=usage_split", reference)


@pytest.mark.slow
def test_pushdown_transfers_only_rollup_rows_spark(spark_tables, reference):
    _pushdown(f"{spark_tables}?table=usage_split", reference)


def _cli_json(capsys, usage: str) -> dict:
    files = ["--contracts", str(DEMO / "commitments.csv"), "--invoices", str(DEMO / "invoices.csv"),
             "--budgets", str(DEMO / "budgets.csv"), "--rate-card", str(DEMO / "rate_card.csv"),
             "--org-map", str(DEMO / "org_map.csv")]
    assert cli.main(["analyze", *files, "--usage", usage, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_analyze_usage_duckdb_url_gives_the_files_report(duckdb_file, capsys):
    """Done when: ``analyze --usage duckdb:///...?table=usage`` on a table holding a canonical
    usage file gives the same report as the file."""
    by_file = _cli_json(capsys, str(FILES["canonical"]))
    by_url = _cli_json(capsys, f"duckdb://{duckdb_file}?table=usage_canonical")
    assert {k: v for k, v in by_url.items() if k not in SOURCE_KEYS} == \
        {k: v for k, v in by_file.items() if k not in SOURCE_KEYS}
    usage_import = next(r for r in by_url["imports"] if r["kind"] == "usage")
    assert usage_import["source_url"] == f"duckdb://{duckdb_file}?table=usage_canonical"
    assert usage_import["rows_imported"] == DEMO_ROLLUP_ROWS and "GROUP BY" in usage_import["query"]
    # the actions are the same findings (their ids name the source)
    assert [a["title"] for a in by_url["actions"]] == [a["title"] for a in by_file["actions"]]


def test_explain_fetches_the_source_rows_of_a_rollup_row_bounded(duckdb_file, capsys):
    url = f"duckdb://{duckdb_file}?table=usage_split"
    assert cli.main(["explain", "--usage", url, "--source-rows", "1", "--format", "json", "--as-of",
                     "2025-12-31"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "LIMIT 200" in out["query"]
    assert len(out["rows"]) == 3  # the three parts of the first demo row
    first = next(iter(FILES["canonical"].read_text().splitlines()[1:2]))
    assert {r["api_key"] for r in out["rows"]} == {first.split(",")[12]}


def test_a_password_never_shows_and_a_missing_client_is_named():
    t = warehouse.parse_url("postgresql://ana:s3cret@db.example:5432/fin?table=usage")
    assert "s3cret" not in t.display and t.display == "postgresql://ana@db.example:5432/fin?table=usage"
    assert t.keyring_user == "postgresql://ana@db.example:5432/fin"
    with pytest.raises(warehouse.WarehouseError, match=r"\?table=NAME"):
        warehouse.parse_url("duckdb:///x.duckdb")
    with pytest.raises(warehouse.WarehouseError, match="pip install adbc-driver-snowflake"):
        warehouse.connect(warehouse.parse_url("snowflake://ana@acct/db/sch?table=usage"), password="x")


def test_the_briefs_sources_say_where_the_numbers_came_from(duckdb_file, tmp_path):
    import openpyxl

    url = f"duckdb://{duckdb_file}?table=usage_canonical"
    out = tmp_path / "brief.xlsx"
    assert cli.main(["brief", "--contracts", str(DEMO / "commitments.csv"), "--usage", url,
                     "--out", str(out), "--sections", "summary"]) == 0
    cells = [str(c.value) for ws in openpyxl.load_workbook(out, read_only=True).worksheets
             for row in ws.iter_rows() for c in row if c.value is not None]
    assert url in cells
    assert f"Query sent to {url} (only its result came back):" in cells
    assert any(c.startswith("SELECT") and "GROUP BY" in c for c in cells)


def test_a_table_must_be_a_name():
    assert warehouse.parse_url('postgresql://a@h/db?table=fin."Usage 2026"').table == 'fin."Usage 2026"'
    with pytest.raises(warehouse.WarehouseError, match="must be a name"):
        warehouse.parse_url("postgresql://a@h/db?table=usage;DROP TABLE usage")


def test_invoices_from_a_table_give_the_files_invoice_figures(tmp_path, capsys):
    db = tmp_path / "ap.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE invoices AS SELECT * FROM read_csv('{DEMO / 'invoices.csv'}')")
    con.close()
    files = ["--contracts", str(DEMO / "commitments.csv"), "--usage", str(DEMO / "usage.csv"),
             "--rate-card", str(DEMO / "rate_card.csv"), "--format", "json"]
    assert cli.main(["analyze", *files, "--invoices", str(DEMO / "invoices.csv")]) == 0
    by_file = json.loads(capsys.readouterr().out)
    assert cli.main(["analyze", *files, "--invoices", f"duckdb://{db}?table=invoices"]) == 0
    by_url = json.loads(capsys.readouterr().out)
    def money(report):  # the invoice figures (flags name their file and line: a table row is not a file line)
        return [(i["invoice_id"], i["invoiced"], i["expected"], i["variance"], i["status"], i["tax"],
                 i["premium_leakage"], [(f["flag"], f["leakage"], f["owner"]) for f in i["flags"]])
                for i in report["invoices"]]

    assert money(by_url) == money(by_file)
    assert [(r["vendor"], r["model"], r.get("flagged_on_lines")) for r in by_url["rate_audit"]] == \
        [(r["vendor"], r["model"], r.get("flagged_on_lines")) for r in by_file["rate_audit"]]
    rep = next(r for r in by_url["imports"] if r["kind"] == "invoices")
    assert rep["rows_imported"] == 245 and rep["query"].startswith("SELECT")
