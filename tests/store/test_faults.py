"""Fault injection: disk full, permission denied, database locked by another program.

Each gives a clear message and leaves the previous state of the workspace intact.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from store_helpers import file_digest, store, usage_frame

from desktop.domain.results import Finding
from desktop.domain.settings import Settings
from desktop.store import DiskFull, Workspace, WorkspaceBusy, WorkspaceReadOnly

ROOT = Path(__file__).resolve().parents[2]


def _state(ws):
    inputs = ws.inputs()
    return ([(b.id, b.file_name, b.row_count) for b in ws.batches()], inputs.usage.copy(),
            ws.settings(), [(a.key, a.status, a.notes) for a in ws.actions()])


def _assert_same(before, after):
    assert before[0] == after[0]
    pd.testing.assert_frame_equal(before[1], after[1], check_exact=True)
    assert before[2] == after[2] and before[3] == after[3]


def _seed(ws):
    store(ws, "usage", usage_frame(1000, file="first.csv"), "first.csv")
    ws.set_settings(Settings(anomaly_z=3.5))
    ws.sync_actions((Finding("budget:A:2026-01", "budget", "high", "over", "ana", None),),
                    date(2026, 1, 20))
    ws.set_action("budget:A:2026-01", status="in_progress", notes="on it")


# --- disk full ----------------------------------------------------------------------------------

def test_disk_full_during_import(ws, ws_path):
    _seed(ws)
    before = _state(ws)
    pages = ws.conn.execute("PRAGMA page_count").fetchone()[0]
    ws.conn.execute(f"PRAGMA max_page_count = {pages + 3}")  # the "disk" holds 3 more pages
    big = usage_frame(200_000, file="big.csv", seed=7)
    with pytest.raises(DiskFull) as info:
        store(ws, "usage", big, "big.csv")
    msg = str(info.value)
    assert "Not enough disk space to import big.csv" in msg
    assert "Nothing was changed" in msg
    _assert_same(before, _state(ws))
    assert ws.integrity_check() == ["ok"]
    # a small edit that fits still works, and once space is back the import succeeds
    ws.conn.execute("PRAGMA max_page_count = 1073741823")
    store(ws, "usage", big, "big.csv")
    assert [b.row_count for b in ws.batches()] == [1000, 200_000]
    ws.close()
    with Workspace.open(ws_path, readonly=True) as r:
        assert r.integrity_check() == ["ok"]
        assert int(r.inputs().usage["source_rows"].sum()) == 201_000  # the daily rollup of every row


def test_disk_full_during_settings_save_keeps_undo_consistent(ws):
    _seed(ws)
    # fill the database up to the limit, then any growth fails
    pages = ws.conn.execute("PRAGMA page_count").fetchone()[0]
    ws.conn.execute(f"PRAGMA max_page_count = {pages}")
    ws.conn.execute("PRAGMA secure_delete = ON")
    before = _state(ws)
    filler = "x" * 200_000
    with pytest.raises(DiskFull, match="Not enough disk space to save the settings"):
        ws.set_settings(Settings(anomaly_z=3.5, focus_cost_basis=filler))
    _assert_same(before, _state(ws))
    assert ws.undo_label == "change action budget:A:2026-01"  # the failed edit was not recorded


# --- locked by another program --------------------------------------------------------------------

def test_database_locked_by_another_program_during_save(tmp_path):
    path = tmp_path / "w.commitdesk"
    ws = Workspace.open(path, create=True, busy_timeout=0.2)
    try:
        _seed(ws)
        before = _state(ws)
        other = sqlite3.connect(path, isolation_level=None, timeout=0)  # e.g. a DB browser
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO meta(key, value) VALUES ('x', 'y')")
        with pytest.raises(WorkspaceBusy) as info:
            store(ws, "usage", usage_frame(10, file="second.csv", seed=3), "second.csv")
        assert "locked by another program" in str(info.value)
        assert "Nothing was changed" in str(info.value)
        with pytest.raises(WorkspaceBusy):
            ws.set_action("budget:A:2026-01", status="done")
        with pytest.raises(WorkspaceBusy):
            ws.set_settings(Settings(anomaly_z=9.0))
        other.execute("ROLLBACK")
        other.close()
        _assert_same(before, _state(ws))
        assert ws.undo_label == "change action budget:A:2026-01"
        store(ws, "usage", usage_frame(10, file="second.csv", seed=3), "second.csv")
        assert len(ws.batches()) == 2
    finally:
        ws.close()


# --- permission denied -------------------------------------------------------------------------------

def _unprivileged_prefix() -> list[str] | None:
    """Run a child so that file permissions apply: as root, drop the DAC override capability."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    return [setpriv, "--inh-caps=-dac_override,-dac_read_search",
            "--bounding-set=-dac_override,-dac_read_search"]


CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from desktop.store import Workspace, WorkspaceError
out = {}
try:
    w = Workspace.open(sys.argv[2])
    try:
        w.set_settings(w.settings().replace(anomaly_z=9.0))
        out["write"] = "ok"
    finally:
        w.close()
except WorkspaceError as exc:
    out["write"] = type(exc).__name__ + ": " + str(exc)
try:
    with Workspace.open(sys.argv[2], readonly=True) as r:
        out["read"] = [b.file_name for b in r.batches()]
        out["z"] = r.settings().anomaly_z
except WorkspaceError as exc:
    out["read"] = type(exc).__name__ + ": " + str(exc)
print(json.dumps(out))
"""


@pytest.mark.parametrize("folder_writable", [False, True])
def test_permission_denied(tmp_path, folder_writable):
    prefix = _unprivileged_prefix()
    if prefix is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    folder = tmp_path / "shared"
    folder.mkdir()
    path = folder / "w.commitdesk"
    with Workspace.open(path, create=True) as ws:
        _seed(ws)
    digest = file_digest(path)
    path.chmod(0o444)
    folder.chmod(0o777 if folder_writable else 0o555)
    try:
        proc = subprocess.run([*prefix, sys.executable, "-c", CHILD, str(ROOT), str(path)],
                              capture_output=True, text=True, timeout=60)
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["write"].startswith("WorkspaceReadOnly: ")
    if folder_writable:
        assert "permission denied" in out["write"]
    else:
        assert "no permission to create the lock file" in out["write"]
    assert "read-only" in out["write"]
    # reading stays possible and the workspace is unchanged
    assert out["read"] == ["first.csv"] and out["z"] == 3.5
    assert file_digest(path) == digest
    left = {p.name: p.stat().st_size for p in folder.iterdir()}
    assert "w.commitdesk.lock" not in left
    assert left.get("w.commitdesk-wal", 0) == 0  # a reader may leave an empty WAL and its index


def test_read_only_workspace_refuses_writes_clearly(ws, ws_path):
    _seed(ws)
    ws.close()
    with Workspace.open(ws_path, readonly=True) as r:
        for call in (lambda: r.set_settings(Settings()), lambda: r.remove_batch(1),
                     lambda: r.set_action("budget:A:2026-01", status="done"),
                     lambda: store(r, "usage", usage_frame(3), "x.csv")):
            with pytest.raises(WorkspaceReadOnly, match="is open read-only"):
                call()
