"""Import benchmarks: CSV and xlsx into canonical usage, against bare readers of the same file.

    python bench/bench_import.py [--sizes 10000,100000,1000000] [--xlsx-sizes 10000,100000] [--quick]

Lines (JSON, one per measurement; ratio = seconds / baseline_seconds, both in the same run):

* ``import_csv_rollup`` n: ``desktop.ingest.read_file`` of a usage CSV of n rows into the
  canonical table, plus the daily rollup (sum of cost per date and vendor), against
  ``pyarrow.csv.read_csv`` of the same file (target ratio <= 1.3).
* ``import_csv_dirty`` n: ``read_file`` of the same rows with 8 cells respelled as real
  exports write them ("$1,234.567890", 11/16/2025, "2,980": bench.common.usage_csv_dirty) plus
  the rollup, against the clean file's ``read_file`` + rollup in the same run (target ratio
  <= 1.2, issue 19); ``import_csv_dirty_vs_pyarrow``: the same time against a bare
  ``pyarrow.csv.read_csv`` of the dirty file. Both files must give the same rows.
* ``import_xlsx`` n: ``read_file`` of the same rows as an xlsx sheet against a bare
  python-calamine read (workbook open + ``to_python``; target ratio <= 1.2),
  ``import_xlsx_vs_fastexcel``: the same time against fastexcel reading the sheet straight
  into Arrow (calamine's Arrow path; issue 19's target: ratio <= 1.2); the three run in turn,
  round by round (calamine, fastexcel, ours), each keeping its best, and the lines carry the
  1-minute load average at the end (``load``); and
  ``import_xlsx_vs_openpyxl``: against openpyxl read-only iterating every cell (target: ratio
  <= 0.125, i.e. at least 8x faster; not in ``--quick``).

The data comes from bench/common.py (cached in bench/data/, the 1M-row CSV is ~140 MB).
``--quick``: CSV at the largest size given (100k), xlsx 10k rows, one run each. ``run(sizes, quick)`` is what
bench/run.py calls; ``sizes`` are CSV row counts, xlsx sizes are those <= 100k.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/bench_import.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common

QUICK_CSV = (100_000,)
QUICK_XLSX = (10_000,)
DEFAULT_CSV = (10_000, 100_000, 1_000_000)
DEFAULT_XLSX = (10_000, 100_000)


def _rollup(frame):
    return frame.groupby(["date", "vendor"], sort=False, observed=True)["cost"].sum()


def bench_csv(n: int, repeat: int) -> dict:
    import pyarrow.csv as pacsv

    from desktop.ingest import read_file

    path = common.usage_csv(n)

    def ours():
        res = read_file(path, "usage")
        assert res.report.rows_imported == n, res.report
        return _rollup(res.frame)

    def baseline():
        return pacsv.read_csv(path)

    ours()  # warm imports and the page cache for both
    line = common.measure("import_csv_rollup", n, ours, "pyarrow.csv.read_csv", baseline, repeat=repeat,
                          file_mb=round(path.stat().st_size / 2**20, 1), target_ratio=1.3)
    return line


def bench_csv_dirty(n: int, repeat: int) -> list[dict]:
    import pyarrow.csv as pacsv

    from desktop.ingest import read_file

    clean, dirty = common.usage_csv(n), common.usage_csv_dirty(n)

    def read(path):
        res = read_file(path, "usage")
        assert res.report.rows_imported == n and not res.report.errors, res.report
        return res

    a, b = read(clean).frame, read(dirty).frame  # warm, and the same rows either way
    assert a.drop(columns="_file").equals(b.drop(columns="_file")), "the dirty file reads differently"

    line = common.measure("import_csv_dirty", n, lambda: _rollup(read(dirty).frame), "import_csv_rollup (clean)",
                          lambda: _rollup(read(clean).frame), repeat=repeat,
                          dirty_cells=common.DIRTY_CELLS, target_ratio=1.2)
    bare, _, _ = common.timed(lambda: pacsv.read_csv(dirty), repeat)
    line2 = common.record("import_csv_dirty_vs_pyarrow", n, line["seconds"], "pyarrow.csv.read_csv (dirty file)",
                          bare, line["peak_rss_mb"])
    return [line, line2]


def bench_xlsx(n: int, repeat: int, quick: bool = False) -> list[dict]:
    from python_calamine import CalamineWorkbook

    from desktop.ingest import read_file

    path = common.usage_xlsx(n)

    def ours():
        res = read_file(path, "usage")
        assert res.report.rows_imported == n, res.report
        return res.frame

    def calamine():
        wb = CalamineWorkbook.from_path(str(path))
        try:
            return wb.get_sheet_by_index(0).to_python()
        finally:
            wb.close()

    def openpyxl_ro():
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            cells = 0
            for row in wb.worksheets[0].iter_rows(values_only=True):
                cells += len(row)
            return cells
        finally:
            wb.close()

    def fastexcel_arrow():
        import fastexcel

        return fastexcel.read_excel(str(path)).load_sheet(0).to_arrow()

    ours()
    try:
        fastexcel_arrow()  # warm
    except ImportError as exc:
        fx_error = f"fastexcel not installed: {exc}"
    else:
        fx_error = None
    best, peak_mb = _interleaved({"calamine": calamine, **({} if fx_error else {"fastexcel": fastexcel_arrow}),
                                  "ours": ours}, repeat)
    load = round(os.getloadavg()[0], 2)
    line = common.record("import_xlsx", n, best["ours"], "python-calamine", best["calamine"], peak_mb,
                         file_mb=round(path.stat().st_size / 2**20, 1), target_ratio=1.2, load=load)
    if fx_error:
        fx = {"name": "import_xlsx_vs_fastexcel", "n": n, "error": fx_error}
    else:
        fx = common.record("import_xlsx_vs_fastexcel", n, best["ours"], "fastexcel (calamine into Arrow)",
                           best["fastexcel"], peak_mb, target_ratio=1.2, load=load)
    if quick:  # openpyxl alone takes 3 s at 10k rows on a quiet machine (15 s loaded)
        return [line, fx]
    o_sec, _, _ = common.timed(openpyxl_ro, 1)
    line2 = common.record("import_xlsx_vs_openpyxl", n, line["seconds"], "openpyxl-read-only", o_sec,
                          line["peak_rss_mb"], target_ratio=0.125,
                          speedup=round(o_sec / line["seconds"], 2) if line["seconds"] else None)
    return [line, fx, line2]


def _interleaved(fns: dict, repeat: int) -> tuple[dict[str, float], float]:
    """Best seconds of each of ``fns`` over ``repeat`` rounds, one run of each per round in the
    order given (so a burst of load from a neighbour lands on all of them), and the peak RSS
    during the runs of the last one (ours)."""
    best = {k: float("inf") for k in fns}
    peak_mb = 0.0
    gc.collect()
    last = list(fns)[-1]
    for _ in range(max(1, repeat)):
        for k, fn in fns.items():
            if k == last:
                with common.PeakRSS() as peak:
                    t0 = time.perf_counter()
                    fn()
                    best[k] = min(best[k], time.perf_counter() - t0)
                peak_mb = max(peak_mb, peak.peak)
            else:
                t0 = time.perf_counter()
                fn()
                best[k] = min(best[k], time.perf_counter() - t0)
    return best, peak_mb


def run(sizes: list[int] | None = None, quick: bool = False, xlsx_sizes: list[int] | None = None):
    """All import measurements as result dicts (bench/common.py line format), yielded as each is
    made (so an area cut by the --quick budget keeps what it measured). ``--quick``: the CSV
    measurements at the largest of ``sizes`` only, one run each, xlsx 10k."""
    if sizes is None:
        sizes = list(QUICK_CSV if quick else DEFAULT_CSV)
    elif quick:
        sizes = [max(sizes)]
    if xlsx_sizes is None:
        xlsx_sizes = list(QUICK_XLSX) if quick else [n for n in sizes if n <= 100_000] or list(DEFAULT_XLSX)
    repeat = 1 if quick else 3
    parts = []
    for n in sizes:
        parts.append(("import_csv_rollup", lambda n=n: [bench_csv(n, repeat if n < 1_000_000 else 5)]))
        parts.append(("import_csv_dirty", lambda n=n: bench_csv_dirty(n, repeat if n < 1_000_000 else 5)))
    for n in xlsx_sizes:
        parts.append(("import_xlsx", lambda n=n: bench_xlsx(n, repeat, quick)))
    return common.run_parts(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", help="CSV row counts, comma separated")
    ap.add_argument("--xlsx-sizes", help="xlsx row counts, comma separated")
    ap.add_argument("--quick", action="store_true", help="small sizes, one run each (< 20 s)")
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else None
    xsizes = [int(s) for s in args.xlsx_sizes.split(",")] if args.xlsx_sizes else None
    for line in run(sizes, args.quick, xsizes):
        common.emit(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
