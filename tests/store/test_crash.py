"""Crash test: a process importing a large file into a workspace is SIGKILLed at random moments.

Afterwards the workspace must pass integrity_check, a stale lock must be recovered, and the batch
must be entirely present (every row, exactly) or entirely absent -- never partial.

Two kinds of trials (TRIALS_IMPORT + TRIALS_STORE >= 50):
* import: the child runs Workspace.import_file on a CSV (parse + store + close);
* store: the child stores an already-parsed 300,000-row frame.
Kill moments: half uniform over a whole run, half a random few milliseconds after the child
wrote its first chunk inside the write transaction; the test prints where the kills landed and
requires some inside the transaction. Usage is stored as Parquet chunks; after its commit the
child reads the workspace's rollup (copying the chunks into the Parquet cache DuckDB reads), so
kills also land in those copies: afterwards the files read are exactly the committed chunks.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from store_helpers import raw_query

from desktop.ingest import read_file
from desktop.store import Workspace
from desktop.store.lock import lock_path_for

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
TRIALS_IMPORT = 18
TRIALS_STORE = 34
IMPORT_ROWS = 12_000
STORE_ROWS = 300_000


def write_usage_csv(path: Path, n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    cents = rng.integers(0, 10**7, n)
    df = pd.DataFrame({
        "date": (np.datetime64("2026-01-01") + (np.arange(n) % 120)).astype(str),
        "vendor": np.where(np.arange(n) % 3 == 0, "Anthropic", "OpenAI"),
        "cost": [f"{c // 100}.{c % 100:02d}" for c in cents],
        "model": rng.choice(["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet"], n),
        "team": rng.choice(["search", "support", "growth"], n),
        "quantity": rng.integers(1, 5000, n),
    })
    df.to_csv(path, index=False)


class Worker:
    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, str(HERE / "crash_worker.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     bufsize=1)
        assert json.loads(self.proc.stdout.readline()) == {"ready": True}

    def run(self, cmd: dict, delay: float | None, after: Path | None = None) -> tuple[int, float]:
        """Start a child; SIGKILL it ``delay`` seconds after it started (or, with ``after``,
        after the file ``after`` first has content: the child reached its write transaction)."""
        self.proc.stdin.write(json.dumps({"op": "run", **cmd}) + "\n")
        self.proc.stdin.flush()
        t0 = time.perf_counter()
        pid = json.loads(self.proc.stdout.readline())["pid"]
        if delay is not None:
            if after is not None:
                deadline = time.perf_counter() + 60
                while time.perf_counter() < deadline:
                    if after.exists() and after.stat().st_size > 0:
                        break
                    time.sleep(0.0005)
            time.sleep(delay)
            os.kill(pid, signal.SIGKILL)  # a zombie at worst: it is not reaped yet
        self.proc.stdin.write(json.dumps({"op": "reap"}) + "\n")
        self.proc.stdin.flush()
        status = json.loads(self.proc.stdout.readline())["status"]
        return status, time.perf_counter() - t0

    def close(self):
        try:
            self.proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def fingerprint(frame: pd.DataFrame) -> tuple:
    return (len(frame), int(frame["cost"].sum()), int(frame["_row"].sum()),
            int(pd.util.hash_pandas_object(frame, index=False).sum()))


def check_trial(path: Path, expected: tuple, base_rows: int) -> bool:
    """Integrity, lock recovery, all-or-nothing. Returns (present, wal_bytes_left)."""
    wal = Path(str(path) + "-wal")
    wal_bytes = wal.stat().st_size if wal.exists() else 0
    assert raw_query(path, "PRAGMA integrity_check") == [("ok",)]
    with Workspace.open(path) as ws:  # recovers the dead child's lock
        assert ws.integrity_check() == ["ok"]
        batches = ws.batches()
        assert batches[0].file_name == "base.csv"
        assert len(batches) in (1, 2), batches
        chunks = raw_query(path, "SELECT count(*) FROM batch_chunks")[0][0]
        days = raw_query(path, "SELECT count(DISTINCT batch_id) FROM usage_days")[0][0]
        usage = ws.inputs().usage
        present = len(batches) == 2
        if not present:
            assert chunks == 1 and days == 1  # nothing of the new batch anywhere
            assert int(usage["source_rows"].sum()) == base_rows
        else:
            assert batches[1].row_count == expected[0]
            assert fingerprint(ws.batch_frame(batches[1].id)) == expected
            assert int(usage["source_rows"].sum()) == base_rows + expected[0]
            assert days == 2
        # the Parquet files DuckDB read are exactly the committed chunks: a chunk of a killed
        # import, or a copy into the cache the kill cut short (.extract-*.tmp), is never counted
        digests = [d for (d,) in raw_query(path, "SELECT sha256 FROM batch_chunks WHERE sha256 IS NOT NULL "
                                                 "ORDER BY batch_id, chunk")]
        files = ws._batches.usage_files()
        assert [f.name for f in files] == [f"{d}.parquet" for d in digests]
        assert [hashlib.sha256(f.read_bytes()).hexdigest() for f in files] == digests
    assert not lock_path_for(path).exists()
    return present, wal_bytes


@pytest.fixture(scope="module")
def crash_setup(tmp_path_factory):
    d = tmp_path_factory.mktemp("crash")
    base_csv = d / "base.csv"
    write_usage_csv(base_csv, 50, seed=1)
    base = d / "base.commitdesk"
    with Workspace.open(base, create=True) as ws:
        ws.import_file(base_csv, "usage")
    small = d / "small.csv"
    write_usage_csv(small, IMPORT_ROWS, seed=2)
    parsed = read_file(small, "usage")
    # the store trials write a large batch: the parsed rows repeated, renumbered as one file
    frame = pd.concat([parsed.frame] * (STORE_ROWS // IMPORT_ROWS), ignore_index=True)
    frame["_file"] = pd.Series("large.csv", index=frame.index, dtype=frame["_file"].dtype)
    frame["_row"] = np.arange(2, len(frame) + 2, dtype="int64")
    report = dataclasses.replace(parsed.report, file="large.csv", rows_read=len(frame),
                                 rows_imported=len(frame))
    large = dataclasses.replace(parsed, frame=frame, report=report)
    with open(d / "large.pickle", "wb") as fh:
        pickle.dump({"result": large, "hash": "0" * 64, "size": 0}, fh)
    expected = {"import": fingerprint(parsed.frame), "store": fingerprint(frame)}
    worker = Worker()
    yield {"dir": d, "base": base, "small": small, "large": d / "large.csv", "expected": expected,
           "worker": worker}
    worker.close()


@pytest.mark.parametrize("mode, trials", [("import", TRIALS_IMPORT), ("store", TRIALS_STORE)])
def test_sigkill_during_import_leaves_batch_all_or_nothing(crash_setup, mode, trials):
    s = crash_setup
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    cmd = {"mode": mode, "kind": "usage",
           "src": str(s["small"] if mode == "import" else s["large"]),
           "pickle": str(s["dir"] / "large.pickle")}
    timing = s["dir"] / f"timing-{mode}"
    durations: list[float] = []
    phases = s["dir"] / f"phases-{mode}"
    where = {"before writing": 0, "while writing (first chunk .. commit)": 0, "after commit": 0}
    windows: list[tuple[float, float]] = []  # (first chunk written, committed) of unkilled runs

    def one(i: int, delay: float | None, in_write: bool = False) -> tuple[int, bool]:
        ws = s["dir"] / f"trial-{mode}-{i}.commitdesk"
        shutil.copy(s["base"], ws)
        timing.unlink(missing_ok=True)
        phases.unlink(missing_ok=True)
        status, _ = s["worker"].run({**cmd, "ws": str(ws), "timing": str(timing),
                                     "phases": str(phases)}, delay,
                                    after=phases if in_write else None)
        assert status in (0, -9), f"trial {i} (seed {seed}): child failed with status {status}"
        if status == 0 and timing.exists():
            durations.append(float(timing.read_text()))
        present, _wal_bytes = check_trial(ws, s["expected"][mode], 50)
        seen = dict(line.split() for line in phases.read_text().splitlines()) if phases.exists() else {}
        if status == 0 and "saving" in seen and "imported" in seen:
            windows.append((float(seen["saving"]), float(seen["imported"])))
        if status == -9:
            if "imported" in seen:
                where["after commit"] += 1
                assert present, f"trial {i} (seed {seed}): committed batch lost"
            elif "saving" in seen:
                where["while writing (first chunk .. commit)"] += 1
            else:
                where["before writing"] += 1
        for extra in ("", "-wal", "-shm", ".lock"):
            Path(str(ws) + extra).unlink(missing_ok=True)
        return status, present

    # calibrate with unkilled runs. Even trials: delay uniform in [0, median duration of the
    # unkilled runs so far]. Odd trials: once the child has written its first chunk inside the
    # write transaction, a delay uniform in [0, 2 x the median time from there to the commit]
    # (the transaction lasts only milliseconds, far less than the jitter of a whole run).
    for i in range(3):
        status, present = one(-1 - i, None)
        assert status == 0 and present
    outcomes = {"present": 0, "absent": 0}
    killed = 0
    for i in range(trials):
        in_write = i % 2 == 1 and bool(windows)
        if in_write:
            delay = rng.uniform(0.0, 2 * statistics.median(b - a for a, b in windows))
        else:
            delay = rng.uniform(0.0, statistics.median(durations))
        status, present = one(i, delay, in_write)
        killed += status == -9
        outcomes["present" if present else "absent"] += 1
    # the write window of a small batch lasts a few milliseconds: aim more in-write kills
    # until three have landed there (each lands with p ~ 0.3-0.5), at most 24 more trials
    extra = 0
    while where["while writing (first chunk .. commit)"] < 3 and windows and extra < 24:
        delay = rng.uniform(0.0, statistics.median(b - a for a, b in windows))
        status, present = one(trials + extra, delay, True)
        killed += status == -9
        outcomes["present" if present else "absent"] += 1
        extra += 1
    trials += extra
    duration = statistics.median(durations)
    print(f"{mode}: {trials} trials, run {duration:.2f}s, killed {killed}, outcomes {outcomes}, "
          f"kills landed {where}, seed {seed}")
    assert killed >= trials // 2, f"seed {seed}: too few kills landed ({killed})"
    assert where["while writing (first chunk .. commit)"] >= 3, f"seed {seed}: {where}"
    assert outcomes["absent"] >= 1, f"seed {seed}: {outcomes}"
