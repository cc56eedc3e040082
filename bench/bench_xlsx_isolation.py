"""Where the time of a 100k-row xlsx import goes, with the reader isolated in a child process.

    python bench/bench_xlsx_isolation.py [--n 100000] [--repeat 7]

Each part is timed on its own (best of ``repeat``, the parts interleaved so load from
neighbours lands on all of them), on the bench's usage sheet (bench/common.py):

* ``calamine``: bare python-calamine, open + ``to_python`` (the #3 baseline);
* ``fastexcel``: bare fastexcel, open + ``load_sheet(0).to_arrow()`` (the #19 baseline);
* ``scan``: the safety scan (``safety.check_xlsx``), which runs in the parent alongside the child;
* ``read_xlsx``: ``reader.read_xlsx`` in this process (fastexcel for a plain sheet like this
  one, then the RawTable);
* ``child``: ``isolate.read_xlsx_isolated`` with a no-op scan: the child's read plus starting it
  (a fork of the forkserver), the Arrow IPC answer in shared memory, mapped and checked here;
* ``child_cost`` = child - read_xlsx: what the isolation itself costs;
* ``import``: ``read_file`` end to end (scan || child, then the checks and the frame);
* ``ratio`` = import / calamine, ``ratio_fastexcel`` = import / fastexcel (targets: 1.2);
* ``load``: the 1-minute load average at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/bench_xlsx_isolation.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)

    from python_calamine import CalamineWorkbook

    from desktop.ingest import isolate, read_file, reader, safety
    from desktop.ingest.core import known_names
    from desktop.ingest.safety import XlsxFacts

    path = common.usage_xlsx(args.n)
    known = known_names()

    def calamine():
        wb = CalamineWorkbook.from_path(str(path))
        try:
            return wb.get_sheet_by_index(0).to_python()
        finally:
            wb.close()

    def fastexcel_arrow():
        import fastexcel

        return fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()

    parts = {
        "calamine": calamine,
        "fastexcel": fastexcel_arrow,
        "scan": lambda: safety.check_xlsx(path, safety.DEFAULT_LIMITS),
        "read_xlsx": lambda: reader.read_xlsx(path, XlsxFacts(), known, reader.Ticker(None)),
        "child": lambda: isolate.read_xlsx_isolated(path, XlsxFacts, known, reader.Ticker(None)),
        "import": lambda: read_file(path, "usage"),
    }
    for fn in parts.values():  # warm: imports, the page cache, the forkserver
        fn()
    best = {k: float("inf") for k in parts}
    for _ in range(args.repeat):
        for k, fn in parts.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    out = {"bench": "xlsx_isolation", "n": args.n, "repeat": args.repeat,
           **{k: round(v, 3) for k, v in best.items()}}
    out["child_cost"] = round(best["child"] - best["read_xlsx"], 3)
    out["ratio"] = round(best["import"] / best["calamine"], 3)
    out["ratio_fastexcel"] = round(best["import"] / best["fastexcel"], 3)
    out["load"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
