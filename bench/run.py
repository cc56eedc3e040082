"""The one benchmark command.

    python -m bench.run [--quick] [--only core import ...] [--markdown FILE.jsonl]
    python bench/run.py [--quick]

Makes its own data (usage CSV of 10k, 100k and 1M rows; usage xlsx of 10k and 100k rows;
``--quick``: CSV 10k and 100k, xlsx 10k), then runs each area's module in a fresh interpreter
(so one area's memory never counts against another's peak RSS):

    bench/bench_import.py   import CSV / xlsx against bare pyarrow, python-calamine, openpyxl
    bench/bench_core.py     full recompute, recompute after one edit, usage-table viewport, start
    bench/bench_brief.py    Excel brief export
    bench/bench_charts.py   chart repaint after a pan, offscreen
    bench/bench_filter.py   the GUI thread during the Usage page's filter and chart at 1M rows
    bench/bench_offers.py   3 vendor offers x 10,000 paths x 36 months against numpy on the same draws

Each module exposes ``run(sizes, quick) -> list[dict]``. Every measurement is printed on stdout
as one JSON line {"name", "n", "seconds", "baseline", "baseline_seconds", "ratio",
"peak_rss_mb"} (ratio = seconds / baseline_seconds, both measured in the same run); a module or
part that fails prints one line with an "error" key instead, and the others still run. The lines
are also saved to bench/results/<time>[-quick].jsonl with the machine's facts beside them
(<time>-machine.json). ``--markdown`` turns a saved .jsonl into the table of docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common

MODULES = ("import", "core", "charts", "filter", "brief", "offers")
CSV_SIZES = (10_000, 100_000, 1_000_000)
XLSX_SIZES = (10_000, 100_000)
QUICK_CSV_SIZES = (10_000, 100_000)
QUICK_XLSX_SIZES = (10_000,)
QUICK_BUDGET = 90.0  # seconds for the whole --quick run, data included
RESULTS = common.ROOT / "bench" / "results"


def machine_facts() -> dict:
    def sh(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    lscpu = {}
    for line in sh(["lscpu"]).splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            lscpu[k.strip()] = v.strip()
    mem = sh(["free", "-m"]).splitlines()
    return {
        "nproc": sh(["nproc"]),
        "cpu": lscpu.get("Model name", ""),
        "cpu_mhz_max": lscpu.get("CPU max MHz", lscpu.get("CPU MHz", "")),
        "threads_per_core": lscpu.get("Thread(s) per core", ""),
        "memory_mb": mem[1].split()[1] if len(mem) > 1 and len(mem[1].split()) > 1 else "",
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "",
        "versions": _versions(),
    }


def _versions() -> dict:
    from importlib import metadata

    out = {}
    for pkg in ("pandas", "numpy", "pyarrow", "python-calamine", "openpyxl", "PySide6-Essentials", "pyqtgraph"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def make_data(csv_sizes, xlsx_sizes) -> None:
    for n in csv_sizes:
        t0 = time.perf_counter()
        p = common.usage_csv(n)
        print(f"data: {p.name} ({p.stat().st_size / 2**20:.1f} MB, {time.perf_counter() - t0:.1f}s)",
              file=sys.stderr, flush=True)
    for n in sorted({*csv_sizes, 1_000_000}):  # canonical frames: recompute and the 1M viewport
        common.canonical_usage_path(n)
    for n in xlsx_sizes:
        t0 = time.perf_counter()
        p = common.usage_xlsx(n)
        print(f"data: {p.name} ({p.stat().st_size / 2**20:.1f} MB, {time.perf_counter() - t0:.1f}s)",
              file=sys.stderr, flush=True)


def run_child(module: str, sizes: list[int], quick: bool) -> int:
    """Inside the fresh interpreter: import bench.bench_<module>, run it, print its lines."""
    import importlib

    try:
        mod = importlib.import_module(f"bench.bench_{module}")
    except ImportError as exc:
        common.emit({"name": f"bench_{module}", "n": None, "error": f"not available: {exc}"})
        return 0
    try:
        for line in mod.run(sizes, quick):
            common.emit(line)
    except Exception as exc:
        common.emit({"name": f"bench_{module}", "n": None, "error": f"{type(exc).__name__}: {exc}"[:500]})
    return 0


def _why(stderr: str) -> str:
    """The telling part of a child's stderr: a fatal error or traceback head, else its tail."""
    text = stderr.strip()
    for marker in ("Fatal Python error", "Traceback (most recent call last)"):
        i = text.find(marker)
        if i >= 0:
            return (text[i:i + 300] + " ... " + text[-200:]) if len(text) - i > 500 else text[i:]
    return text[-500:]


def run_all(modules, sizes, quick: bool, timeout: float, out_path: Path,
            deadline: float | None = None, reserve: float = 10.0) -> list[dict]:
    """Run each area in a child. With a deadline (``--quick``), an area gets the time left minus
    ``reserve`` seconds for each area still to come; an area cut short keeps the lines it printed."""
    lines: list[dict] = []
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    with out_path.open("w") as fh:
        for i, m in enumerate(modules):
            t0 = time.perf_counter()
            if deadline is not None:
                left_after = len(modules) - i - 1
                timeout = max(5.0, deadline - t0 - reserve * left_after)
            cmd = [sys.executable, "-m", "bench.run", "--child", m, "--sizes", ",".join(map(str, sizes))]
            if quick:
                cmd.append("--quick")
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                                   cwd=common.ROOT)
                stdout, stderr, rc = p.stdout, p.stderr, p.returncode
            except subprocess.TimeoutExpired as exc:
                stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
                stderr, rc = f"timed out after {timeout:.0f}s", -9
            got = False
            seen: set[str] = set()
            for raw in stdout.splitlines():
                if raw.startswith("{") and raw not in seen:  # a module that also prints its lines
                    seen.add(raw)
                    line = json.loads(raw)
                    lines.append(line)
                    got = True
                    print(raw, flush=True)
                    fh.write(raw + "\n")
            if rc != 0 or not got:
                err = {"name": f"bench_{m}", "n": None, "error": f"exit {rc}: {_why(stderr)}"}
                lines.append(err)
                print(json.dumps(err), flush=True)
                fh.write(json.dumps(err) + "\n")
            print(f"bench_{m}: {time.perf_counter() - t0:.1f}s", file=sys.stderr, flush=True)
    return lines


def markdown(path: Path) -> str:
    rows = ["| measurement | n | seconds | baseline | baseline s | ratio | peak RSS MB |",
            "|---|---:|---:|---|---:|---:|---:|"]
    for raw in path.read_text().splitlines():
        d = json.loads(raw)
        if "error" in d:
            rows.append(f"| {d['name']} | | error: {d['error'][:80]} | | | | |")
            continue

        def f(x, fmt="{:.4f}"):
            return "" if x is None else fmt.format(x)

        rows.append(f"| {d['name']} | {d['n'] or ''} | {f(d['seconds'])} | {d.get('baseline') or ''} | "
                    f"{f(d.get('baseline_seconds'))} | {f(d.get('ratio'), '{:.2f}')} | "
                    f"{f(d.get('peak_rss_mb'), '{:.0f}')} |")
    # growth: seconds at 10k, 100k, 1M and the factor per tenfold step (linear = 10x)
    by: dict[str, dict[int, float]] = {}
    for raw in path.read_text().splitlines():
        d = json.loads(raw)
        if "error" not in d and d.get("n") in (10_000, 100_000, 1_000_000):
            by.setdefault(d["name"], {})[d["n"]] = d["seconds"]
    grow = ["", "| measurement | 10k s | 100k s | 1M s | 10k->100k | 100k->1M |", "|---|---:|---:|---:|---:|---:|"]
    for name, v in by.items():
        if len(v) < 2:
            continue
        a, b, c = v.get(10_000), v.get(100_000), v.get(1_000_000)

        def x(p, q):
            return f"{q / p:.1f}x" if p and q else ""

        grow.append(f"| {name} | {'' if a is None else f'{a:.4f}'} | {'' if b is None else f'{b:.4f}'} | "
                    f"{'' if c is None else f'{c:.4f}'} | {x(a, b)} | {x(b, c)} |")
    return "\n".join(rows + grow)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes; finishes within about a minute")
    ap.add_argument("--only", nargs="+", choices=MODULES, help="run only these areas")
    ap.add_argument("--timeout", type=float, help="seconds per area (default 900; --quick shares 90 s)")
    ap.add_argument("--markdown", type=Path, help="print a saved .jsonl as a markdown table and exit")
    ap.add_argument("--child", choices=MODULES, help=argparse.SUPPRESS)
    ap.add_argument("--sizes", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.markdown:
        print(markdown(args.markdown))
        return 0
    if args.child:
        return run_child(args.child, [int(s) for s in args.sizes.split(",")], args.quick)

    t0 = time.perf_counter()
    deadline = t0 + QUICK_BUDGET if args.quick else None
    csv_sizes = QUICK_CSV_SIZES if args.quick else CSV_SIZES
    xlsx_sizes = QUICK_XLSX_SIZES if args.quick else XLSX_SIZES
    make_data(csv_sizes, xlsx_sizes)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    facts = machine_facts()
    (RESULTS / f"{stamp}-machine.json").write_text(json.dumps(facts, indent=2))
    print(f"machine: {facts['nproc']} CPUs, {facts['cpu']}, {facts['memory_mb']} MB, load {facts['loadavg']}",
          file=sys.stderr, flush=True)
    out_path = RESULTS / f"{stamp}.jsonl"
    timeout = args.timeout or 900.0
    lines = run_all(args.only or MODULES, list(csv_sizes), args.quick, timeout, out_path, deadline)
    errors = sum(1 for x in lines if "error" in x)
    print(f"{len(lines) - errors} measurements, {errors} errors, {time.perf_counter() - t0:.1f}s; "
          f"saved {out_path.relative_to(common.ROOT)}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
