"""A warehouse URL imported into a workspace (CLI import and File > Connect to warehouse...):
one batch named by the URL without its password, the query recorded, the password only in the
OS keyring (an in-memory keyring backend here)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from keyring.backend import KeyringBackend

from desktop import cli
from desktop.ingest import warehouse
from desktop.store import Workspace

ROOT = Path(__file__).resolve().parents[2]
FOCUS = ROOT / "tests" / "data" / "focus" / "focus-1.0_sample.csv"
PASSWORD = "pw-never-stored-7Q2"


class MemoryKeyring(KeyringBackend):
    """keyring's backend protocol, kept in a dict (the OS keyring is not touched by tests)."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.saved.get((service, username))

    def set_password(self, service, username, password):
        self.saved[(service, username)] = password

    def delete_password(self, service, username):
        self.saved.pop((service, username), None)


@pytest.fixture
def memory_keyring():
    import keyring

    old = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    try:
        yield ring
    finally:
        keyring.set_keyring(old)


@pytest.fixture
def focus_db(tmp_path):
    path = tmp_path / "cloud.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"CREATE TABLE focus AS SELECT * FROM read_csv('{FOCUS}', nullstr='NULL')")
    con.close()
    return path


def _bytes_of(ws_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in ws_path.parent.glob(ws_path.name + "*") if p.is_file())


def test_cli_import_of_a_url_stores_the_rollup_with_its_url_and_query(tmp_path, focus_db, capsys):
    ws_path = tmp_path / "team.commitdesk"
    url = f"duckdb://{focus_db}?table=focus"
    assert cli.main(["import", "--workspace", str(ws_path), url]) == 0
    assert "1000 of 1000 rows imported" in capsys.readouterr().out
    with Workspace.open(ws_path, readonly=True) as ws:
        (batch,) = ws.batches()
        assert (batch.file_name, batch.source_path, batch.kind) == (url, url, "usage")
        assert batch.report.source_url == url and "GROUP BY" in batch.report.query
        assert batch.report.rows_read == 1000 and batch.row_count < 1000  # rollup rows stored
    # the same rows again: a duplicate, refused
    assert cli.main(["import", "--workspace", str(ws_path), url]) == 2
    assert "same rows as batch" in capsys.readouterr().err


@pytest.mark.slow
def test_connection_dialog_keeps_the_password_in_the_keyring_only(qtbot, tmp_path, postgres_url, memory_keyring):
    import adbc_driver_postgresql.dbapi as pg
    import pyarrow.csv as pacsv

    from desktop.ui.dialogs.connection import ConnectionDialog

    with pg.connect(postgres_url) as conn, conn.cursor() as cur:
        cur.adbc_ingest("focus_dialog", pacsv.read_csv(FOCUS, convert_options=pacsv.ConvertOptions(
            null_values=["NULL"])), mode="replace")
        conn.commit()
    target = warehouse.parse_url(postgres_url + "?table=focus_dialog")
    ws_path = tmp_path / "gui.commitdesk"
    ws = Workspace.open(ws_path, create=True)
    try:
        dlg = ConnectionDialog(SimpleNamespace(workspace=ws))
        qtbot.addWidget(dlg)
        dlg.engine.setCurrentIndex(dlg.engine.findData("postgresql"))
        dlg.host.setText(target.host)
        dlg.port.setValue(target.port)
        dlg.database.setText(target.path)
        dlg.user.setText(target.user)
        dlg.password.setText(PASSWORD)
        dlg.table.setText("focus_dialog")
        assert dlg.url.text() == target.url and PASSWORD not in dlg.url.text()
        with qtbot.waitSignal(dlg.imported, timeout=120_000) as got:
            dlg.go.click()
        (report,) = got.args[0]
        assert report.rows_imported == 1000 and report.source_url == target.url
        assert "GROUP BY" in dlg.query.toPlainText() and dlg.password.text() == ""
        assert memory_keyring.saved == {(warehouse.KEYRING_SERVICE, target.keyring_user): PASSWORD}
        assert warehouse.password_for(target) == PASSWORD  # the next connection finds it there
        (batch,) = ws.batches()
        assert batch.file_name == target.url
    finally:
        ws.close()
    assert PASSWORD.encode() not in _bytes_of(ws_path)
