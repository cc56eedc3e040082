"""Real engines for the warehouse tests: a PostgreSQL server started here (initdb in a temporary
directory, pg_ctl on a free localhost port, stopped at the end of the session) and one local-mode
SparkSession per test session (per xdist worker); DuckDB is embedded.

Nothing is mocked: a missing server binary or Java fails these tests (``.ci/run`` installs
postgresql and a headless JRE on a fresh Debian machine)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _pg_bin() -> Path:
    """The directory of PostgreSQL's server programs (initdb, pg_ctl)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True):
        if (Path(d) / "initdb").exists():
            return Path(d)
    raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
                       "apt-get install postgresql (.ci/run does it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` user then."""
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="session")
def postgres_url():
    """postgresql://commitdesk@127.0.0.1:PORT/postgres of a server started for this session."""
    bindir = _pg_bin()
    root = Path(tempfile.mkdtemp(prefix="commitdesk-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    port = _free_port()
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", "commitdesk",
                                    "--auth=trust", "-E", "UTF8", "--locale=C"]),
                   check=True, capture_output=True)
    log = root / "server.log"
    subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60",
                                    "-o", f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off",
                                    "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://commitdesk@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def spark():
    """One local-mode SparkSession for the session (UTC, one core, no UI)."""
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[1]").appName("commitdesk-tests")
               .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
               .config("spark.sql.shuffle.partitions", "2").config("spark.driver.memory", "1g")
               .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="commitdesk-spark-"))
               .getOrCreate())
    try:
        yield session
    finally:
        session.stop()
