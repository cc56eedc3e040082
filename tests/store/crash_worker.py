"""Fork server for the crash test (tests/store/test_crash.py).

It imports everything once, then for each command forks a child that imports a file into a
workspace; the test SIGKILLs the child at a random moment. The child stays a zombie until the
test says "reap", so its pid cannot be reused by an unrelated process before the kill.

Protocol, one JSON object per line:
  -> {"op": "run", "mode": "import" | "store", "ws": W, "src": FILE, "pickle": P, "kind": K,
      "timing": T, "phases": F}   (an unkilled child writes its duration in seconds to T; every
      child appends "saving <t>" (inside the write transaction), "imported <t>" (committed)
      and "closed <t>" to F as it passes those points, t in seconds since the fork)
  <- {"pid": N}
  -> {"op": "reap"}
  <- {"status": S}     (os.waitpid status: -9 when killed, 0 when the child finished)
"""

from __future__ import annotations

import json
import os
import pickle
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pandas  # noqa: F401
import pyarrow  # noqa: F401

import desktop.ingest  # noqa: F401  (imported once, before any fork)
from desktop.domain.progress import Progress
from desktop.store import Workspace


def child(cmd: dict) -> None:
    start = time.monotonic()
    phases = os.open(cmd["phases"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)

    def mark(fraction: float, text: str) -> None:
        # "saving" steps run inside the write transaction, "imported" right after its commit
        if text.startswith(("saving", "imported")):
            os.write(phases, f"{text.split()[0]} {time.monotonic() - start:.6f}\n".encode())

    try:
        with Workspace.open(cmd["ws"]) as ws:
            if cmd["mode"] == "import":
                ws.import_file(cmd["src"], cmd["kind"], progress=Progress(mark))
            else:
                with open(cmd["pickle"], "rb") as fh:
                    saved = pickle.load(fh)
                ws.store_result(saved["result"], Path(cmd["src"]), content_hash=saved["hash"],
                                file_size=saved["size"], progress=Progress(mark))
            ws.inputs()  # the rollup: copies the Parquet chunks into the cache DuckDB reads
        os.write(phases, f"closed {time.monotonic() - start:.6f}\n".encode())
    except BaseException:
        traceback.print_exc()
        os._exit(3)
    with open(cmd["timing"], "w") as fh:  # how long a whole import took (no kill)
        fh.write(str(time.monotonic() - start))
    os._exit(0)


def main() -> None:
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["op"] == "quit":
            break
        pid = os.fork()
        if pid == 0:
            child(cmd)
        print(json.dumps({"pid": pid}), flush=True)
        reap = json.loads(sys.stdin.readline())
        assert reap["op"] == "reap"
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        print(json.dumps({"status": code}), flush=True)


if __name__ == "__main__":
    main()
