"""Usage (and invoices) read where they live: a connection URL instead of a file.

``--usage`` / ``--invoices`` (CLI analyze, explain, brief, dispute, import) and the app's
File > Connect to warehouse... take a URL:

=================================================  =========================================
``duckdb:///data/usage.duckdb?table=usage``        a DuckDB database file (embedded, read only)
``postgresql://user@host:5432/db?table=usage``     PostgreSQL through the ADBC driver
``spark://local?table=usage``                      Spark: this process's local-mode session
``spark://host:15002?table=usage``                 Spark Connect server (``sc://host:15002``)
``databricks://host/http_path?table=cat.sch.t``    Databricks SQL (databricks-sql-connector)
``snowflake://user@account/db/schema?table=T``     Snowflake through the ADBC driver
``bigquery://project/dataset?table=T``             BigQuery through the ADBC driver
``trino://user@host:8080/catalog/schema?table=T``  Trino (the ``trino`` client)
``athena://region/catalog/db?table=T&s3_staging_dir=s3://...``  Athena (``pyathena``)
=================================================  =========================================

For usage only the daily rollup comes back (desktop/ingest/rollup.py, rendered in the engine's
dialect): the query text is what is sent, the rollup rows are what is received; nothing is
written to the warehouse. Invoice lines are few: they are read as rows (bounded by
``MAX_INVOICE_ROWS``) and imported like a file's. Explain fetches the source rows behind one
rollup row on demand, bounded (``source_rows``).

Credentials are never part of what CommitDesk records or logs: a password written in the URL is
taken out of it before the URL is shown, stored or logged (``Target.display``); the app's
connection dialog keeps passwords in the OS keyring (``keyring``, service ``KEYRING_SERVICE``,
user = the URL without password); the CLI also reads ``COMMITDESK_WAREHOUSE_PASSWORD``.
Each engine's client is an optional extra (``pip install commitdesk[warehouse]``); a missing
one is named ("the PostgreSQL driver is not installed: pip install adbc-driver-postgresql").
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pandas as pd

from desktop.domain.errors import InputError
from desktop.domain.settings import Settings
from desktop.ingest import rollup

KEYRING_SERVICE = "CommitDesk warehouse"
PASSWORD_ENV = "COMMITDESK_WAREHOUSE_PASSWORD"
MAX_INVOICE_ROWS = 2_000_000
SOURCE_ROWS_LIMIT = 200  # source rows explain fetches behind one rollup row

# scheme -> (SQLGlot dialect, engine name, the client to install)
ENGINES = {
    "duckdb": ("duckdb", "DuckDB", "duckdb"),
    "postgresql": ("postgres", "PostgreSQL", "adbc-driver-postgresql"),
    "postgres": ("postgres", "PostgreSQL", "adbc-driver-postgresql"),
    "spark": ("spark", "Spark", "pyspark"),
    "databricks": ("databricks", "Databricks", "databricks-sql-connector"),
    "snowflake": ("snowflake", "Snowflake", "adbc-driver-snowflake"),
    "bigquery": ("bigquery", "BigQuery", "adbc-driver-bigquery"),
    "trino": ("trino", "Trino", "trino"),
    "athena": ("athena", "Athena", "pyathena"),
}


class WarehouseError(InputError):
    """A URL that cannot be used: malformed, no table, an engine whose client is missing, a
    connection or query the engine refused (its message, never the password)."""


def is_url(text: str | os.PathLike) -> bool:
    """Is this --usage/--invoices argument a warehouse URL (rather than a file path)?"""
    s = str(text)
    scheme = s.split("://", 1)[0].casefold() if "://" in s else ""
    return scheme in ENGINES


@dataclass(frozen=True)
class Target:
    """A parsed warehouse URL."""

    url: str  # as given (may hold a password: never shown, stored or logged)
    scheme: str
    host: str | None
    port: int | None
    user: str | None
    password: str | None
    path: str  # after the host, without the leading / for network engines
    table: str
    params: dict[str, str] = field(default_factory=dict)  # other query parameters

    @property
    def dialect(self) -> str:
        return ENGINES[self.scheme][0]

    @property
    def engine(self) -> str:
        return ENGINES[self.scheme][1]

    @property
    def display(self) -> str:
        """The URL without its password (what is shown, recorded and logged)."""
        if not self.password:
            return self.url
        parts = urlsplit(self.url)
        cred, hostpart = parts.netloc.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return self.url.replace(parts.netloc, f"{user}@{hostpart}" if user else hostpart, 1)

    @property
    def keyring_user(self) -> str:
        """The keyring entry of this connection's password: the URL without password and query."""
        return self.display.split("?", 1)[0]


def parse_url(text: str) -> Target:
    """``scheme://[user[:password]@]host[:port]/path?table=T[&...]`` -> Target (WarehouseError
    naming what is wrong)."""
    s = str(text).strip()
    if not is_url(s):
        raise WarehouseError(f"not a warehouse URL: {s!r} (one of {', '.join(sorted(ENGINES))}://...)")
    parts = urlsplit(s)
    scheme = parts.scheme.casefold()
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    table = query.pop("table", "").strip()
    shown = Target(s, scheme, None, None, None, None, "", table or "?").display
    if not table:
        raise WarehouseError(f"{shown}: name the table with ?table=NAME (e.g. {scheme}://...?table=usage)")
    if not _TABLE_RE.fullmatch(table):
        raise WarehouseError(f"{shown}: the table must be a name such as usage, schema.usage or "
                             f"catalog.schema.usage (\"quoted\" parts allowed), not {table!r}")
    try:
        port = parts.port
    except ValueError as exc:
        raise WarehouseError(f"{shown}: the port is not a number") from exc
    path = unquote(parts.path)
    if scheme != "duckdb":
        path = path.lstrip("/")
    return Target(s, scheme, parts.hostname, port, unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password else None, path, table, query)


# what each engine's URL is made of (the connection dialog's fields): scheme -> (host label,
# default port, database label, the user field is used)
FIELDS = {
    "duckdb": (None, None, "Database file", False),
    "postgresql": ("Host", 5432, "Database", True),
    "spark": ("Host (local: this computer)", 15002, None, False),
    "databricks": ("Server hostname", None, "HTTP path", False),
    "snowflake": ("Account", None, "Database/schema", True),
    "bigquery": ("Project", None, "Dataset", False),
    "trino": ("Host", 8080, "Catalog/schema", True),
    "athena": ("Region", None, "Catalog/database", False),
}


def make_url(scheme: str, *, table: str, host: str = "", port: int | None = None, database: str = "",
             user: str = "") -> str:
    """The URL of a connection from its parts (never with a password: that goes to the keyring)."""
    scheme = scheme.casefold()
    if scheme not in FIELDS:
        raise WarehouseError(f"unknown engine {scheme!r}; one of {', '.join(FIELDS)}")
    if not table.strip():
        raise WarehouseError("name the table (or view) that holds the usage")
    query = "?table=" + quote(table.strip(), safe=".\"_$")
    if scheme == "duckdb":
        path = str(Path(database.strip()).expanduser().absolute()) if database.strip() else ""
        if not path:
            raise WarehouseError("choose the DuckDB database file")
        return f"duckdb://{quote(path, safe='/:')}{query}"
    host = host.strip() or ("local" if scheme == "spark" else "")
    if not host:
        raise WarehouseError(f"give the {FIELDS[scheme][0].lower()}")
    cred = f"{quote(user.strip(), safe='')}@" if user.strip() and FIELDS[scheme][3] else ""
    at = f":{int(port)}" if port and host != "local" else ""
    path = "/" + database.strip().strip("/") if database.strip() else ""
    return f"{scheme}://{cred}{host}{at}{path}{query}"


# a table name, one to three parts, each a plain identifier or a "quoted" one
_PART = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"[^"]+"|`[^`]+`)'
_TABLE_RE = re.compile(rf"{_PART}(?:\.{_PART}){{0,2}}")


def password_for(target: Target) -> str | None:
    """The password: the URL's own, else the OS keyring's (the connection dialog stores it
    there), else COMMITDESK_WAREHOUSE_PASSWORD; None when none is set."""
    if target.password:
        return target.password
    try:
        import keyring

        got = keyring.get_password(KEYRING_SERVICE, target.keyring_user)
        if got:
            return got
    except Exception:  # no keyring module or no usable backend: fall through
        pass
    return os.environ.get(PASSWORD_ENV) or None


def store_password(target: Target, password: str) -> None:
    """Keep ``password`` in the OS keyring for this connection (never in the workspace)."""
    import keyring

    keyring.set_password(KEYRING_SERVICE, target.keyring_user, password)


# ---- connections -----------------------------------------------------------------------------
class Connection:
    """What CommitDesk asks of an engine: the table's columns with their types, and the result
    of one query as a pandas frame."""

    def columns(self, table: str) -> dict[str, str]:
        raise NotImplementedError

    def query(self, sql: str) -> pd.DataFrame:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class _DbApi(Connection):
    """Any DB-API connection (ADBC drivers, the official clients): Arrow when the cursor can."""

    def __init__(self, conn, limit_zero: str = "SELECT * FROM {t} WHERE 1 = 0"):
        self.conn = conn
        self.limit_zero = limit_zero

    def columns(self, table: str) -> dict[str, str]:
        cur = self.conn.cursor()
        try:
            cur.execute(self.limit_zero.format(t=table))
            if hasattr(cur, "fetch_arrow_table"):
                schema = cur.fetch_arrow_table().schema
                return {f.name: str(f.type) for f in schema}
            cur.fetchall()
            return {d[0]: _dbapi_type(d[1]) for d in cur.description}
        finally:
            cur.close()

    def query(self, sql: str) -> pd.DataFrame:
        cur = self.conn.cursor()
        try:
            cur.execute(sql)
            if hasattr(cur, "fetch_arrow_table"):
                return cur.fetch_arrow_table().to_pandas()
            if hasattr(cur, "fetchall_arrow"):  # databricks-sql-connector
                return cur.fetchall_arrow().to_pandas()
            rows = cur.fetchall()
            return pd.DataFrame.from_records(rows, columns=[d[0] for d in cur.description])
        finally:
            cur.close()

    def close(self) -> None:
        self.conn.close()


def _dbapi_type(code) -> str:
    return "" if code is None else str(getattr(code, "__name__", code))


class _DuckDB(Connection):
    def __init__(self, path: str):
        import duckdb

        if not Path(path).is_file():
            raise WarehouseError(f"duckdb://{path}: no such database file")
        self.conn = duckdb.connect(path, read_only=True)

    def columns(self, table: str) -> dict[str, str]:
        rel = self.conn.sql(f"SELECT * FROM {table} LIMIT 0")
        return {n: str(t) for n, t in zip(rel.columns, rel.types, strict=True)}

    def query(self, sql: str) -> pd.DataFrame:
        return self.conn.execute(sql).fetchdf()

    def close(self) -> None:
        self.conn.close()


class _Spark(Connection):
    def __init__(self, target: Target):
        from pyspark.sql import SparkSession

        if (target.host or "local") == "local":
            active = SparkSession.getActiveSession()
            self.spark = active or (SparkSession.builder.master(target.params.get("master", "local[*]"))
                                    .appName("CommitDesk").config("spark.sql.session.timeZone", "UTC")
                                    .getOrCreate())
        else:
            self.spark = SparkSession.builder.remote(f"sc://{target.host}:{target.port or 15002}").getOrCreate()
        # day boundaries are UTC days (timestamps are cast to dates in the session's zone)
        self.spark.conf.set("spark.sql.session.timeZone", "UTC")

    def columns(self, table: str) -> dict[str, str]:
        return {f.name: f.dataType.simpleString() for f in self.spark.table(table).schema.fields}

    def query(self, sql: str) -> pd.DataFrame:
        return self.spark.sql(sql).toPandas()


def _missing(target: Target, module: str) -> WarehouseError:
    package = ENGINES[target.scheme][2]
    return WarehouseError(f"{target.display}: the {target.engine} client is not installed "
                          f"(module {module}): pip install {package} (or pip install commitdesk[warehouse])")


def connect(target: Target, password: str | None = None) -> Connection:
    """Open the engine's connection (WarehouseError when its client is missing or it refuses)."""
    password = password if password is not None else password_for(target)
    s = target.scheme
    try:
        if s == "duckdb":
            return _DuckDB(target.path)
        if s == "spark":
            try:
                return _Spark(target)
            except ImportError as exc:
                raise _missing(target, "pyspark") from exc
        if s in ("postgresql", "postgres"):
            try:
                import adbc_driver_postgresql.dbapi as pg
            except ImportError as exc:
                raise _missing(target, "adbc_driver_postgresql") from exc
            return _DbApi(pg.connect(_postgres_uri(target, password)))
        if s == "snowflake":
            try:
                import adbc_driver_snowflake.dbapi as sf
            except ImportError as exc:
                raise _missing(target, "adbc_driver_snowflake") from exc
            user = quote(target.user or "", safe="")
            cred = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
            return _DbApi(sf.connect(f"{cred}{target.host}/{target.path}"))
        if s == "bigquery":
            try:
                import adbc_driver_bigquery.dbapi as bq
            except ImportError as exc:
                raise _missing(target, "adbc_driver_bigquery") from exc
            kwargs = {"adbc.bigquery.sql.project_id": target.host or ""}
            if target.path:
                kwargs["adbc.bigquery.sql.dataset_id"] = target.path.split("/")[0]
            return _DbApi(bq.connect(db_kwargs=kwargs), "SELECT * FROM {t} LIMIT 0")
        if s == "databricks":
            try:
                from databricks import sql as dbsql
            except ImportError as exc:
                raise _missing(target, "databricks.sql") from exc
            return _DbApi(dbsql.connect(server_hostname=target.host, http_path="/" + target.path,
                                        access_token=password), "SELECT * FROM {t} LIMIT 0")
        if s == "trino":
            try:
                import trino
            except ImportError as exc:
                raise _missing(target, "trino") from exc
            catalog, _, schema = target.path.partition("/")
            auth = trino.auth.BasicAuthentication(target.user, password) if password else None
            return _DbApi(trino.dbapi.connect(host=target.host, port=target.port or 8080, user=target.user,
                                              catalog=catalog or None, schema=schema or None, auth=auth,
                                              http_scheme="https" if auth else "http"),
                          "SELECT * FROM {t} LIMIT 0")
        if s == "athena":
            try:
                from pyathena import connect as athena_connect
            except ImportError as exc:
                raise _missing(target, "pyathena") from exc
            catalog, _, schema = target.path.partition("/")
            return _DbApi(athena_connect(region_name=target.host, catalog_name=catalog or "AwsDataCatalog",
                                         schema_name=schema or "default",
                                         s3_staging_dir=target.params.get("s3_staging_dir")),
                          "SELECT * FROM {t} LIMIT 0")
    except WarehouseError:
        raise
    except Exception as exc:  # the engine's own refusal: its words, never the password
        raise WarehouseError(f"{target.display}: {target.engine} refused the connection: "
                             f"{_scrub(str(exc), password)}") from None
    raise WarehouseError(f"{target.display}: unknown engine {s!r}")


def _postgres_uri(target: Target, password: str | None) -> str:
    user = quote(target.user or "", safe="")
    cred = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    host = target.host or "localhost"
    port = f":{target.port}" if target.port else ""
    extra = "&".join(f"{k}={quote(v, safe='')}" for k, v in target.params.items() if k not in ("profile", "shape"))
    return f"postgresql://{cred}{host}{port}/{target.path}" + (f"?{extra}" if extra else "")


def _scrub(text: str, password: str | None) -> str:
    return text.replace(password, "***") if password else text


# ---- reading ----------------------------------------------------------------------------------
@dataclass
class WarehouseRead:
    """What one URL gave: the import result (canonical usage at daily grain, or invoice lines),
    the query text sent, how many rows came back, and what explain needs to fetch source rows."""

    target: Target
    result: Any  # desktop.ingest.core.ImportResult
    query: str
    rows_received: int
    plan: rollup.RollupPlan | None = None
    keys: pd.DataFrame | None = None  # per rollup row (by _row - 1): day, d0.. as the engine returned them

    @property
    def source(self) -> str:
        return self.target.display

    @property
    def content_hash(self) -> str:
        """What identifies this read in a workspace: the source, the query and what came back."""
        h = hashlib.sha256()
        h.update(self.source.encode())
        h.update(self.query.encode())
        h.update(pd.util.hash_pandas_object(self.result.frame.drop(columns=["_file"]), index=False).values.tobytes())
        return h.hexdigest()


def read_usage(url: str, *, settings: Settings | None = None, profile=None, shape: str | None = None,
               password: str | None = None, connection: Connection | None = None) -> WarehouseRead:
    """The usage table at ``url`` rolled up where it lives: one query (the rollup, in the engine's
    dialect), one more when rows were rejected (a sample of at most 20), nothing else."""
    target = parse_url(url)
    shape = shape or target.params.get("shape") or None
    conn = connection or connect(target, password)
    try:
        types = conn.columns(target.table)
        plan = rollup.plan(types, shape=shape, profile=profile, settings=settings)
        sql = plan.sql(target.table, target.dialect)
        got = plan.ordered(_run(conn, sql, target, password))  # rollup rows numbered the same every time
        sample = None
        if got["reject_reason"].notna().any():
            sample = _run(conn, plan.reject_sample_sql(target.table, target.dialect), target, password)
    finally:
        if connection is None:
            conn.close()
    result = plan.to_usage(got, target.display, sample)
    report = result.report
    from dataclasses import replace

    result = replace(result, report=replace(report, source_url=target.display, query=sql))
    keys = got[got["reject_reason"].isna()].drop(columns=["reject_reason"]).reset_index(drop=True)
    return WarehouseRead(target, result, sql, len(got), plan, keys)


def read_invoices(url: str, *, settings: Settings | None = None, profile=None, password: str | None = None,
                  connection: Connection | None = None) -> WarehouseRead:
    """Invoice lines from a table: read as rows (at most MAX_INVOICE_ROWS) through the importer."""
    from desktop.domain.results import ImportReport
    from desktop.ingest import build
    from desktop.ingest.core import ImportResult, identify
    from desktop.ingest.formats.base import Context
    from desktop.ingest.reader import RawTable

    target = parse_url(url)
    conn = connection or connect(target, password)
    try:
        names = list(conn.columns(target.table))
        from sqlglot import exp

        sql = (exp.select(*[exp.column(c, quoted=True) for c in names])
               .from_(exp.to_table(target.table, dialect=target.dialect)).limit(MAX_INVOICE_ROWS + 1)
               .sql(dialect=target.dialect))
        got = _run(conn, sql, target, password)
    finally:
        if connection is None:
            conn.close()
    if len(got) > MAX_INVOICE_ROWS:
        raise WarehouseError(f"{target.display}: more than {MAX_INVOICE_ROWS:,} invoice lines; filter the table "
                             "to the invoices to check (a view) and give that")
    data = pd.DataFrame({c: pd.Series([_cell(v) for v in got[c].tolist()], dtype=object) for c in names})
    table = RawTable(target.display, names, data, pd.RangeIndex(1, len(data) + 1).to_numpy(), "table")
    match = identify(table, "invoices", profile)
    ctx = Context(settings=settings or Settings(), profile=profile)
    built = build.build(match.handler.source(table, match, ctx))
    frame = built.frame
    frame["_file"] = pd.Series([target.display] * len(frame), dtype="string")
    report = ImportReport(file=target.display, kind="invoices", format=match.format, rows_read=built.rows_read,
                          rows_imported=built.rows_imported, rows_rejected=built.rows_rejected,
                          errors=built.errors, format_reason=match.reason, totals_excluded=built.totals_excluded,
                          duplicates_flagged=built.duplicates_flagged, warnings=built.warnings,
                          source_url=target.display, query=sql)
    return WarehouseRead(target, ImportResult("invoices", frame, report), sql, len(got))


def source_rows(read: WarehouseRead, row: int, *, limit: int = SOURCE_ROWS_LIMIT, password: str | None = None,
                connection: Connection | None = None) -> tuple[str, pd.DataFrame]:
    """The source rows behind rollup row ``row`` (the usage frame's ``_row``), at most ``limit``:
    (the query sent, the rows as the engine returned them)."""
    if read.plan is None or read.keys is None:
        raise WarehouseError(f"{read.source}: not a usage rollup")
    if not 1 <= row <= len(read.keys):
        raise WarehouseError(f"{read.source}: there is no rollup row {row} (1-{len(read.keys)})")
    rec = read.keys.iloc[row - 1]
    keys: dict[str, Any] = {"day": rec["day"]}
    for i, c in enumerate(read.plan.dims):
        v = rec[f"d{i}"]
        keys[c] = None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else v
    sql = read.plan.rows_sql(read.target.table, read.target.dialect, keys, limit=limit)
    conn = connection or connect(read.target, password)
    try:
        return sql, _run(conn, sql, read.target, password)
    finally:
        if connection is None:
            conn.close()


def _run(conn: Connection, sql: str, target: Target, password: str | None) -> pd.DataFrame:
    try:
        return conn.query(sql)
    except WarehouseError:
        raise
    except Exception as exc:  # the engine's refusal, in its words
        raise WarehouseError(f"{target.display}: {target.engine} could not run the query: "
                             f"{_scrub(str(exc), password or target.password)}") from None


def _cell(v) -> str | None:
    """A value as the importer reads text: numbers in plain decimal notation (2e-05 -> 0.00002),
    dates in ISO 8601, empty for NULL."""
    from decimal import Decimal

    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return format(Decimal(repr(v)), "f")
    if isinstance(v, Decimal):
        return format(v, "f")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)
