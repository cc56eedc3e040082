"""The lock file without flock (non-POSIX platforms): exclusive creation + pid liveness."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from desktop.store import WorkspaceLocked, lock
from desktop.store.lock import WorkspaceLock, describe_holder


@pytest.fixture
def no_flock(monkeypatch):
    monkeypatch.setattr(lock, "fcntl", None)


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True)
    return int(proc.stdout)


def test_exclusive_lock_refuses_a_live_holder_and_recovers_a_dead_one(tmp_path, no_flock):
    ws = tmp_path / "w.commitdesk"
    first = WorkspaceLock(ws)
    first.acquire()
    holder = json.loads(first.path.read_text())
    assert holder["pid"] == os.getpid() and holder["host"] == socket.gethostname()
    with pytest.raises(WorkspaceLocked, match=f"process {os.getpid()}"):
        WorkspaceLock(ws).acquire()
    first.release()
    assert not first.path.exists()
    # a lock left by a process that no longer exists on this host is stale
    first.path.write_text(json.dumps({"user": "x", "host": socket.gethostname(), "pid": dead_pid(),
                                      "time": "2026-11-22T10:00:00Z"}))
    second = WorkspaceLock(ws)
    second.acquire()
    assert second.recovered_stale["user"] == "x"
    second.release()


def test_exclusive_lock_of_another_host_is_respected(tmp_path, no_flock):
    ws = tmp_path / "w.commitdesk"
    lock_file = tmp_path / "w.commitdesk.lock"
    lock_file.write_text(json.dumps({"user": "maria", "host": "laptop-7", "pid": 4242,
                                     "time": "2026-11-22T10:00:00Z"}))
    with pytest.raises(WorkspaceLocked) as info:
        WorkspaceLock(ws).acquire()
    assert "maria on laptop-7 (process 4242) since 2026-11-22 10:00:00 UTC" in str(info.value)
    assert lock_file.exists()


def test_describe_holder_without_information():
    assert describe_holder({}) == "another CommitDesk process"
