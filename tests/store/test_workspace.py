"""Workspace file format, opening rules, batches, settings, commitment edits, undo/redo."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from store_helpers import file_digest, raw_query, result_for, store, usage_frame

from desktop.domain import tables
from desktop.domain.errors import InputError
from desktop.domain.settings import Settings
from desktop.store import (
    DuplicateImport,
    NotAWorkspace,
    Workspace,
    WorkspaceCorrupt,
    WorkspaceLocked,
    WorkspaceNotFound,
    WorkspaceReadOnly,
    WorkspaceTooNew,
    schema,
)
from desktop.store.lock import lock_path_for


def commitments_frame() -> pd.DataFrame:
    df = pd.DataFrame({
        "contract_id": ["C-1", "C-1", "C-2"],
        "vendor": ["openai", "OpenAI", "Anthropic PBC"],
        "period_start": ["2026-01-01", "2026-07-01", "2026-01-01"],
        "period_end": ["2026-06-30", "2026-12-31", "2026-12-31"],
        "commitment": [600_000_000_000, 600_000_000_000, 250_000_000_000],
        "owner": ["ana", "ana", None],
        "_file": "commitments.csv",
        "_row": [2, 3, 4],
    })
    return tables.conform(df, "commitments")


# --- the file ---------------------------------------------------------------------------------

def test_new_workspace_file_format(ws, ws_path):
    ws.close()
    assert ws_path.exists()
    assert not lock_path_for(ws_path).exists()
    assert raw_query(ws_path, "PRAGMA application_id") == [(schema.APPLICATION_ID,)]
    assert raw_query(ws_path, "PRAGMA user_version") == [(schema.SCHEMA_VERSION,)]
    assert raw_query(ws_path, "PRAGMA journal_mode") == [("wal",)]
    names = {r[0] for r in raw_query(ws_path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"batches", "batch_chunks", "usage_days", "settings", "commitment_edits", "profiles",
            "actions", "meta"} <= names


def test_connection_uses_wal_and_full_sync(ws):
    assert ws.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ws.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_create_adds_the_extension(tmp_path):
    with Workspace.open(tmp_path / "Q4 review", create=True) as w:
        assert w.path.name == "Q4 review.commitdesk"


def test_missing_workspace_is_not_created_without_create(tmp_path):
    with pytest.raises(WorkspaceNotFound, match="No workspace at"):
        Workspace.open(tmp_path / "nope.commitdesk")
    assert not (tmp_path / "nope.commitdesk").exists()


def test_not_a_workspace(tmp_path):
    text = tmp_path / "notes.commitdesk"
    text.write_text("hello, I am a text file that is long enough to have a header" * 3)
    with pytest.raises(NotAWorkspace, match="not a CommitDesk workspace"):
        Workspace.open(text)
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t(x)")
    conn.commit()
    conn.close()
    before = file_digest(other)
    with pytest.raises(NotAWorkspace, match="SQLite database but not a CommitDesk workspace"):
        Workspace.open(other)
    assert file_digest(other) == before


def test_newer_schema_is_refused_and_never_modified(ws, ws_path):
    store(ws, "usage", usage_frame(50), "u.csv")
    ws.close()
    conn = sqlite3.connect(ws_path)
    conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = file_digest(ws_path)
    mtime = ws_path.stat().st_mtime_ns
    for readonly in (False, True):
        with pytest.raises(WorkspaceTooNew) as info:
            Workspace.open(ws_path, readonly=readonly)
        msg = str(info.value)
        assert "newer version of CommitDesk" in msg
        assert f"schema {schema.SCHEMA_VERSION + 1}" in msg and "not changed" in msg
    assert file_digest(ws_path) == before
    assert ws_path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in ws_path.parent.iterdir()) == [ws_path.name]  # no lock, no wal


def test_migration_takes_a_backup_first(ws, ws_path, monkeypatch):
    store(ws, "usage", usage_frame(20), "u.csv")
    ws.close()
    original = file_digest(ws_path)

    def add_column(conn):
        conn.execute("ALTER TABLE actions ADD COLUMN priority INTEGER NOT NULL DEFAULT 0")

    v = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", v + 1)
    monkeypatch.setitem(schema.MIGRATIONS, v, add_column)
    with Workspace.open(ws_path) as w:
        assert w.backup_path is not None and w.backup_path.exists()
        assert w.inputs().usage.shape[0] == 20
        backup = w.backup_path
    assert raw_query(ws_path, "PRAGMA user_version") == [(v + 1,)]
    cols = [r[1] for r in raw_query(ws_path, "PRAGMA table_info(actions)")]
    assert "priority" in cols
    # the backup is the untouched previous-version workspace, complete and openable
    assert raw_query(backup, "PRAGMA user_version") == [(v,)]
    assert raw_query(backup, "SELECT count(*) FROM batches") == [(1,)]
    assert f"schema{v}-backup" in backup.name
    del original


def test_failed_migration_leaves_the_workspace_as_it_was(ws, ws_path, monkeypatch):
    store(ws, "usage", usage_frame(20), "u.csv")
    ws.close()

    def broken(conn):
        conn.execute("ALTER TABLE actions ADD COLUMN priority INTEGER")
        conn.execute("SELECT * FROM no_such_table")

    v = schema.SCHEMA_VERSION
    monkeypatch.setattr(schema, "SCHEMA_VERSION", v + 1)
    monkeypatch.setitem(schema.MIGRATIONS, v, broken)
    with pytest.raises(Exception, match="no_such_table"):
        Workspace.open(ws_path)
    assert raw_query(ws_path, "PRAGMA user_version") == [(v,)]
    assert "priority" not in [r[1] for r in raw_query(ws_path, "PRAGMA table_info(actions)")]
    assert not lock_path_for(ws_path).exists()


# --- locking ----------------------------------------------------------------------------------

def test_second_writer_is_refused_naming_the_holder(ws, ws_path):
    with pytest.raises(WorkspaceLocked) as info:
        Workspace.open(ws_path)
    msg = str(info.value)
    assert "already open for editing by" in msg and "process" in msg and "read-only" in msg
    assert info.value.holder["pid"] > 0 and info.value.holder["host"]
    # read-only stays possible while locked and sees the committed state
    store(ws, "usage", usage_frame(10), "u.csv")
    with Workspace.open(ws_path, readonly=True) as r:
        assert r.readonly
        assert [b.file_name for b in r.batches()] == ["u.csv"]
        with pytest.raises(WorkspaceReadOnly, match="open read-only"):
            r.set_settings(Settings(anomaly_z=4.0))
    ws.close()
    with Workspace.open(ws_path) as again:  # released on close
        assert not again.readonly


def test_stale_lock_of_a_dead_process_is_recovered(ws_path, tmp_path):
    import json
    import socket
    import subprocess
    import sys

    Workspace.open(ws_path, create=True).close()
    # a process that took the lock and died without releasing it (SIGKILL)
    code = (f"import os, signal, sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
            "from desktop.store import Workspace\n"
            f"w = Workspace.open({str(ws_path)!r})\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert proc.returncode == -9
    lock = lock_path_for(ws_path)
    assert lock.exists()
    holder = json.loads(lock.read_text())
    assert holder["host"] == socket.gethostname()
    with Workspace.open(ws_path) as w:
        assert w.recovered_lock["pid"] == holder["pid"]
    assert not lock.exists()


# --- batches ----------------------------------------------------------------------------------

def test_batches_round_trip_exactly(ws, ws_path):
    u1 = usage_frame(70_000, file="a.csv", seed=1)  # more than one Arrow chunk
    u2 = usage_frame(3, file="b.csv", start="2026-03-01", vendor="Anthropic", seed=2)
    c = commitments_frame()
    store(ws, "usage", u1, "a.csv")
    store(ws, "commitments", c, "commitments.csv")
    store(ws, "usage", u2, "b.csv")
    ws.close()
    with Workspace.open(ws_path, readonly=True) as r:
        inputs = r.inputs()
        # usage: each batch's rows exactly; the analysis reads their daily rollup
        pd.testing.assert_frame_equal(r.batch_frame(1), u1, check_exact=True)
        pd.testing.assert_frame_equal(r.batch_frame(3), u2, check_exact=True)
        assert int(inputs.usage["source_rows"].sum()) == 70_003
        assert int(inputs.usage["cost"].sum()) == int(u1["cost"].sum() + u2["cost"].sum())
        pd.testing.assert_frame_equal(inputs.commitments, c, check_exact=True)
        pd.testing.assert_frame_equal(inputs.invoices, tables.empty("invoices"))
        assert [rep.file for rep in inputs.imports] == ["a.csv", "commitments.csv", "b.csv"]
        assert inputs.imports[0].rows_imported == 70_000
        assert [b.row_count for b in r.batches()] == [70_000, 3, 3]
    # usage is one Parquet file (its SHA-256 recorded), other tables Arrow IPC chunks
    assert raw_query(ws_path, "SELECT count(*), min(substr(data, 1, 4)), count(sha256) FROM batch_chunks "
                              "WHERE batch_id = 1") == [(1, b"PAR1", 1)]
    assert raw_query(ws_path, "SELECT count(sha256) FROM batch_chunks WHERE batch_id = 2") == [(0,)]


def test_empty_batch_keeps_its_columns(ws):
    store(ws, "invoices", tables.empty("invoices"), "inv.csv")
    got = ws.inputs().invoices
    pd.testing.assert_frame_equal(got, tables.empty("invoices"))
    assert ws.batches()[0].report.rows_imported == 0


def test_same_content_is_refused_unless_replaced(ws):
    f = usage_frame(5)
    store(ws, "usage", usage_frame(4, file="first.csv", start="2026-05-01"), "first.csv")
    store(ws, "usage", f, "u.csv")
    with pytest.raises(DuplicateImport, match="already imported"):
        store(ws, "usage", f, "u.csv")
    assert len(ws.batches()) == 2
    old_id = ws.batches()[1].id
    store(ws, "usage", f, "u.csv", replace=True)
    bs = ws.batches()
    assert [b.file_name for b in bs] == ["first.csv", "u.csv"]  # kept its place in import order
    assert bs[1].id != old_id
    assert len(ws.inputs().usage) == 9


def test_overlapping_usage_is_flagged_as_possible_double_counting(ws):
    # a.csv: OpenAI 2026-01-01..2026-01-10; b.csv: OpenAI 2026-01-08..2026-01-12 -> 3 shared days
    a = usage_frame(10, file="a.csv", start="2026-01-01", days=10)
    b = usage_frame(5, file="b.csv", start="2026-01-08", days=5, vendor="openai")
    c = usage_frame(5, file="c.csv", start="2026-01-08", days=5, vendor="Anthropic")
    assert store(ws, "usage", a, "a.csv").warnings == ()
    rep = store(ws, "usage", b, "b.csv")
    assert rep.warnings == ("possible double counting: usage of OpenAI on 3 days "
                            "(2026-01-08..2026-01-10) also comes from a.csv (batch 1)",)
    assert store(ws, "usage", c, "c.csv").warnings == ()  # another vendor
    overlaps = {b.file_name: b.overlaps for b in ws.batches()}
    assert overlaps["a.csv"] == ("possible double counting: usage of OpenAI on 3 days "
                                 "(2026-01-08..2026-01-10) also comes from b.csv (batch 2)",)
    assert overlaps["c.csv"] == ()
    # the stored report (and so analyze's imports) carries no overlap warning
    assert ws.inputs().imports[1].warnings == ()
    ws.remove_batch(2)
    assert [b.overlaps for b in ws.batches()] == [(), ()]
    assert len(ws.inputs().usage) == 15


def test_remove_batch(ws):
    store(ws, "usage", usage_frame(5), "u.csv")
    store(ws, "commitments", commitments_frame(), "c.csv")
    ws.remove_batch(1)
    inputs = ws.inputs()
    assert inputs.usage.empty and len(inputs.commitments) == 3
    assert [r.file for r in inputs.imports] == ["c.csv"]
    with pytest.raises(InputError, match="no import batch 1"):
        ws.remove_batch(1)


# --- settings, commitments, undo/redo -----------------------------------------------------------

def test_settings_persist_and_undo_redo(ws, ws_path):
    assert ws.settings() == Settings()
    assert not ws.can_undo
    ws.set_settings(Settings(anomaly_z=4.0, invoice_tolerance_abs=Decimal("2.50")))
    ws.set_settings(ws.settings().replace(reporting_currency="EUR"))
    assert ws.settings().reporting_currency == "EUR"
    assert ws.undo() == "change settings"
    assert ws.settings() == Settings(anomaly_z=4.0, invoice_tolerance_abs=Decimal("2.50"))
    assert ws.can_redo
    ws.undo()
    assert ws.settings() == Settings()
    assert not ws.can_undo and ws.undo() is None
    ws.redo()
    ws.redo()
    assert ws.settings().reporting_currency == "EUR"
    assert not ws.can_redo
    ws.close()
    with Workspace.open(ws_path, readonly=True) as r:
        assert r.settings() == Settings(anomaly_z=4.0, invoice_tolerance_abs=Decimal("2.50"),
                                        reporting_currency="EUR")


def test_new_edit_clears_redo(ws):
    ws.set_settings(Settings(anomaly_z=4.0))
    ws.undo()
    ws.set_settings(Settings(anomaly_z=5.0))
    assert not ws.can_redo
    assert ws.settings().anomaly_z == 5.0


def test_invalid_settings_are_refused(ws):
    with pytest.raises(InputError, match="pacing bands must rise"):
        ws.set_settings(Settings(band_shortfall_risk_below=0.95))
    with pytest.raises(InputError, match="reporting currency"):
        ws.set_settings(Settings(reporting_currency="euro"))
    assert ws.settings() == Settings() and not ws.can_undo


def test_commitment_edit_overlay_undo_redo(ws, ws_path):
    store(ws, "commitments", commitments_frame(), "c.csv")
    ws.update_commitment("C-1", date(2026, 7, 1), commitment="650000.50", owner="bo",
                         rollover_pct=25)
    c = ws.inputs().commitments
    assert c.loc[1, "commitment"] == 650_000_500_000
    assert c.loc[1, "owner"] == "bo" and c.loc[1, "rollover_pct"] == 25.0
    assert c.loc[0, "commitment"] == 600_000_000_000  # the other period is untouched
    assert c.dtypes.to_dict() == commitments_frame().dtypes.to_dict()
    ws.update_commitment("C-1", "2026-07-01", period_end="2026-11-30")
    assert ws.inputs().commitments.loc[1, "period_end"] == pd.Timestamp("2026-11-30")
    ws.undo()
    assert ws.inputs().commitments.loc[1, "period_end"] == pd.Timestamp("2026-12-31")
    assert ws.inputs().commitments.loc[1, "commitment"] == 650_000_500_000
    ws.undo()
    pd.testing.assert_frame_equal(ws.inputs().commitments, commitments_frame())
    ws.redo()
    ws.close()
    with Workspace.open(ws_path, readonly=True) as r:
        assert r.inputs().commitments.loc[1, "commitment"] == 650_000_500_000
        assert r.commitment_edits() == {("C-1", date(2026, 7, 1)): {
            "commitment": 650_000_500_000, "owner": "bo", "rollover_pct": 25.0}}


@pytest.mark.parametrize("changes, message", [
    ({"commitment": "-5"}, "cannot be negative"),
    ({"commitment": "lots"}, "cannot read as an amount"),
    ({"overage_multiplier": 0.5}, "overage_multiplier must be at least 1"),
    ({"overage_multiplier": "0.999"}, "overage_multiplier must be at least 1"),
    ({"rollover_pct": 120}, "between 0 and 100"),
    ({"period_end": "2025-12-31"}, "before period_start"),
    ({"currency": "dollars"}, "three-letter code"),
    ({"period_end": "2026-07-15"}, "overlaps the period 2026-01-01..2026-07-15"),
    ({"contract_id": "C-9"}, "cannot be edited"),
])
def test_commitment_edits_are_validated(ws, changes, message):
    store(ws, "commitments", commitments_frame(), "c.csv")
    with pytest.raises(InputError, match=message):
        ws.update_commitment("C-1", "2026-01-01", **changes)
    assert ws.commitment_edits() == {} and not ws.can_undo


def test_commitment_edit_needs_an_existing_period(ws):
    store(ws, "commitments", commitments_frame(), "c.csv")
    with pytest.raises(InputError, match="no commit period of contract 'C-1' starts on 2026-02-01"):
        ws.update_commitment("C-1", "2026-02-01", commitment="1")


def test_mapping_profiles(ws, ws_path):
    ws.save_profile("Acme billing", {"columns": {"Charge": "cost"}, "date_format": "%d/%m/%Y"})
    ws.save_profile("Acme billing", {"columns": {"Amount": "cost"}})
    assert ws.profiles() == {"Acme billing": {"columns": {"Amount": "cost"}}}
    with pytest.raises(InputError, match="needs a name"):
        ws.save_profile("  ", {})


def test_as_of_mode_is_saved_and_undoable(ws, ws_path):
    assert ws.as_of_mode() == ("latest_usage", None)
    assert ws.resolve_as_of() is None
    ws.set_as_of_mode("fixed", "2026-06-15")
    assert ws.as_of_mode() == ("fixed", date(2026, 6, 15))
    assert ws.resolve_as_of() == date(2026, 6, 15)
    ws.set_as_of_mode("today")
    assert ws.resolve_as_of(today=date(2026, 11, 22)) == date(2026, 11, 22)
    assert ws.undo() == "change the as-of date"
    assert ws.as_of_mode() == ("fixed", date(2026, 6, 15))
    with pytest.raises(InputError, match="needs a date"):
        ws.set_as_of_mode("fixed")
    with pytest.raises(InputError, match="unknown as-of mode"):
        ws.set_as_of_mode("yesterday")
    ws.close()
    with Workspace.open(ws_path, readonly=True) as r:
        assert r.as_of_mode() == ("fixed", date(2026, 6, 15))


def test_store_result_of_a_previewed_file_hashes_it(ws, tmp_path):
    src = tmp_path / "preview.csv"
    src.write_text("date,vendor,cost\n2026-01-01,OpenAI,1\n")
    frame = usage_frame(1, file="preview.csv")
    ws.store_result(result_for("usage", frame, "preview.csv"), src)
    assert ws.batches()[0].content_hash == file_digest(src)
    with pytest.raises(DuplicateImport):
        ws.store_result(result_for("usage", frame, "preview.csv"), src)


def test_cancelled_import_stores_nothing(ws):
    from desktop.domain.progress import Cancelled, Progress

    store(ws, "usage", usage_frame(10, file="first.csv"), "first.csv")
    calls = []

    def cb(fraction, text):
        calls.append(fraction)
        if len(calls) == 2:  # cancel while the chunks are being written
            progress.cancel()

    progress = Progress(cb)
    big = usage_frame(200_000, file="big.csv")
    with pytest.raises(Cancelled):
        ws.store_result(result_for("usage", big, "big.csv"), Path("big.csv"), content_hash="h",
                        file_size=1, progress=progress)
    assert [b.file_name for b in ws.batches()] == ["first.csv"]
    assert len(ws.inputs().usage) == 10
    assert ws.integrity_check() == ["ok"]


def test_damaged_workspace_is_refused_and_left_alone(ws, ws_path):
    store(ws, "usage", usage_frame(5000), "u.csv")
    ws.close()
    page = raw_query(ws_path, "PRAGMA page_size")[0][0]
    data = bytearray(ws_path.read_bytes())
    assert len(data) > 6 * page
    for k in range(2, 6):  # scribble over the b-tree pages after the schema page
        data[k * page + 8: k * page + 200] = b"\xff" * 192
    ws_path.write_bytes(bytes(data))
    before = file_digest(ws_path)
    for readonly in (False, True):
        with pytest.raises(WorkspaceCorrupt, match="integrity check|damaged"):
            Workspace.open(ws_path, readonly=readonly)
    assert file_digest(ws_path) == before
    assert not lock_path_for(ws_path).exists()


def test_create_in_a_missing_folder(tmp_path):
    with pytest.raises(WorkspaceNotFound, match="does not exist"):
        Workspace.open(tmp_path / "no" / "such" / "w.commitdesk", create=True)


def test_damaged_batch_data_gives_a_clear_error(ws, ws_path):
    store(ws, "usage", usage_frame(100), "u.csv")
    ws.conn.execute("UPDATE batch_chunks SET data = ? WHERE batch_id = 1", (b"\x00" * 64,))
    with pytest.raises(WorkspaceCorrupt, match="Import batch 1 in work.commitdesk cannot be read"):
        ws.inputs()
    ws.remove_batch(1)
    assert ws.inputs().usage.empty


def test_inputs_are_copies(ws):
    u = usage_frame(10)
    store(ws, "usage", u, "u.csv")
    expected = ws.inputs().usage.copy(deep=True)  # the daily rollup of u
    assert int(expected["source_rows"].sum()) == 10 and int(expected["cost"].sum()) == int(u["cost"].sum())
    first = ws.inputs().usage
    first.loc[0, "cost"] = -1
    del first["team"]
    pd.testing.assert_frame_equal(ws.inputs().usage, expected, check_exact=True)
    raw = ws.batch_frame(1)
    raw.loc[0, "cost"] = -1
    pd.testing.assert_frame_equal(ws.batch_frame(1), u, check_exact=True)


def test_a_recompute_after_an_edit_reuses_the_prepared_usage(ws):
    from desktop.domain.analysis import AnalysisCache
    from desktop.workspace_analysis import analyse_workspace

    store(ws, "usage", usage_frame(50), "u.csv")
    first = ws.inputs()
    assert first.keys["usage"] == ws.inputs().keys["usage"]  # the same batches: the same key
    cache = AnalysisCache()
    a = analyse_workspace(ws, date(2026, 1, 31), cache=cache)
    ws.set_settings(Settings(invoice_tolerance_pct=0.05))
    b = analyse_workspace(ws, date(2026, 1, 31), cache=cache)
    assert cache.misses["usage"] == 1 and cache.hits["usage"] == 1
    assert b.usage is a.usage and b.index is a.index
    store(ws, "usage", usage_frame(5, seed=7, file="u2.csv"), "u2.csv")
    c = analyse_workspace(ws, date(2026, 1, 31), cache=cache)
    assert cache.misses["usage"] == 2 and int(c.usage["source_rows"].sum()) == 55
