"""The one benchmark command.

    python -m bench.run [--quick] [--only core import ...] [--markdown FILE.jsonl]
    python bench/run.py [--quick]

Makes its own data (usage CSV of 10k, 100k and 1M rows, clean and with a few messy cells;
usage xlsx of 10k and 100k rows; ``--quick``: CSV 10k and 100k, xlsx 10k, nothing of 1M rows),
then runs each area (``AREAS`` below, one line each: bench/bench_<area>.py) in a fresh
interpreter, so one area's memory never counts against another's peak RSS:

    import    import CSV (clean and dirty) / xlsx against bare pyarrow, the clean file,
              python-calamine, fastexcel, openpyxl
    core      full recompute, recompute after one edit (incremental vs full), usage-table
              viewport, start
    charts    chart repaint after a pan, offscreen
    filter    the GUI thread during the Usage page's filter and chart
    brief     Excel brief export
    offers    3 vendor offers x 10,000 paths x 36 months against numpy on the same draws
    gui, memory, scale   (when present: the GUI's real paths, RSS, 10M/100M rows)

A bench/bench_<name>.py with a ``run(sizes, quick)`` that is not listed in AREAS still runs
(after the listed ones), so no area is left out silently. ``run`` returns or yields dicts;
each is printed on stdout as one JSON line {"name", "n", "seconds", "baseline",
"baseline_seconds", "ratio", "peak_rss_mb", ...} (ratio = seconds / baseline_seconds, both
measured in the same run); a module or part that fails prints one line with an "error" key
instead, and the others still run. A line may carry its own goal: ``target_ratio``,
``target_seconds`` or ``target_mb`` (with ``goal``: the goal in words); the goals of the
older areas are listed in ``GOALS``. After the lines, every goal is printed as met or missed
with the number from this run. The lines are also saved to bench/results/<time>[-quick].jsonl
with the machine's facts beside them (<time>-machine.json). ``--markdown`` turns a saved .jsonl
into the tables of docs/performance.md (the goals first).

``--quick`` shares QUICK_BUDGET seconds (data included) among the areas by their weight in
AREAS; time an area leaves unused goes to the next. An area that overruns its share is cut
and keeps the lines it printed.
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

# One line per area: bench/bench_<name>.py, run in this order; the number is its weight in
# the --quick budget.
AREAS = {
    "import": 3,
    "core": 3,
    "charts": 2,
    "filter": 2,
    "brief": 2,
    "offers": 1,
    "gui": 3,
    "memory": 2,
    "scale": 2,
}
CSV_SIZES = (10_000, 100_000, 1_000_000)
XLSX_SIZES = (10_000, 100_000)
QUICK_CSV_SIZES = (10_000, 100_000)
QUICK_XLSX_SIZES = (10_000,)
QUICK_BUDGET = 240.0  # seconds for the whole --quick run, data included (a loaded 2-core machine)
RESULTS = common.ROOT / "bench" / "results"

# The goals of the issues, judged on the line (name, n) of the same run: (name, n, what is
# compared: "ratio" | "seconds" | "peak_rss_mb", the limit, the goal in words). Lines that carry
# target_ratio / target_seconds / target_mb are judged as well (see goals()).
GOALS = (
    ("import_csv_rollup", 1_000_000, "ratio", 1.3,
     "1M-row usage CSV -> canonical table + daily rollup within 1.3x a bare pyarrow.csv.read_csv (#3)"),
    ("import_csv_dirty", 1_000_000, "ratio", 1.2,
     "the same 1M rows with a handful of messy cells within 1.2x of the clean file (#19)"),
    ("import_xlsx", 100_000, "ratio", 1.2, "100k-row xlsx within 1.2x a bare python-calamine read (#3)"),
    ("import_xlsx_vs_fastexcel", 100_000, "ratio", 1.2,
     "100k-row xlsx within 1.2x fastexcel (calamine straight into Arrow) (#19)"),
    ("import_xlsx_vs_openpyxl", 100_000, "ratio", 0.125, "100k-row xlsx at least 8x faster than openpyxl read-only (#3)"),
    ("recompute_after_edit", 1_000_000, "ratio", 0.1,
     "one commitment edit at 1M rows: the incremental path at most 0.1x the full recompute (#12)"),
    ("recompute_after_edit", 1_000_000, "seconds", 0.1, "the same edit under 100 ms at 1M rows (#12, #19)"),
    ("as_of_change", 1_000_000, "seconds", 0.5, "an As-of change under 0.5 s at 1M rows (#12)"),
    ("chart_pan_repaint_full", 1_000_000, "seconds", 0.016, "pan repaint of a 1M-point series within one 16 ms frame (#6)"),
    ("chart_zoom_repaint_full", 1_000_000, "seconds", 0.016, "zoom repaint of a 1M-point series within 16 ms (#6)"),
    ("chart_initial_draw", 1_000_000, "seconds", 0.2, "initial draw of a 1M-point series under 200 ms (#6)"),
    ("brief_demo", None, "seconds", 2.0, "the demo workspace's brief in under 2 s (#7)"),
    ("offers_simulation_3x36m", 10_000, "seconds", 1.0, "3 offers x 10,000 paths x 36 months under 1 s (#14)"),
)
_TARGET_FIELDS = (("target_ratio", "ratio"), ("target_seconds", "seconds"), ("target_mb", "peak_rss_mb"))


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
    for pkg in ("pandas", "numpy", "pyarrow", "python-calamine", "fastexcel", "openpyxl", "PySide6-Essentials",
                "pyqtgraph"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def areas(listed: dict[str, int] | None = None) -> list[str]:
    """The areas to run: those of AREAS whose module exists, then any other
    bench/bench_<name>.py that defines ``run(sizes, quick)``."""
    listed = AREAS if listed is None else listed
    here = common.ROOT / "bench"
    out = [a for a in listed if (here / f"bench_{a}.py").exists()]
    for f in sorted(here.glob("bench_*.py")):
        name = f.stem[len("bench_"):]
        if name not in out and "\ndef run(sizes" in f.read_text():
            out.append(name)
    return out


def make_data(csv_sizes, xlsx_sizes, quick: bool = False) -> None:
    """The data the areas read, made once and cached in bench/data/: a --quick run makes only
    the small sizes (nothing of 1M rows)."""
    for n in csv_sizes:
        for make in (common.usage_csv, common.usage_csv_dirty):
            t0 = time.perf_counter()
            p = make(n)
            print(f"data: {p.name} ({p.stat().st_size / 2**20:.1f} MB, {time.perf_counter() - t0:.1f}s)",
                  file=sys.stderr, flush=True)
    # canonical frames: recompute, the viewport (1M rows in a full run), the charts
    for n in sorted(set(csv_sizes) if quick else {*csv_sizes, 1_000_000}):
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


def child_command(m: str, sizes, quick: bool) -> list[str]:
    cmd = [sys.executable, "-m", "bench.run", "--child", m, "--sizes", ",".join(map(str, sizes))]
    return cmd + ["--quick"] if quick else cmd


def share(modules, i: int, left: float) -> float:
    """Seconds for area ``modules[i]`` out of the ``left`` seconds of a --quick run: its weight
    in AREAS over the weight of the areas still to run (an area not listed weighs 1)."""
    weights = [AREAS.get(m, 1) for m in modules[i:]]
    return left * weights[0] / sum(weights)


def run_all(modules, sizes, quick: bool, timeout: float, out_path: Path,
            deadline: float | None = None, command=child_command) -> list[dict]:
    """Run each area in a child. With a deadline (``--quick``), an area gets its share of the
    time left (``share``); an area cut short keeps the lines it printed."""
    lines: list[dict] = []
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))
    with out_path.open("w") as fh:
        for i, m in enumerate(modules):
            t0 = time.perf_counter()
            if deadline is not None:
                timeout = max(5.0, share(modules, i, deadline - t0))
            cmd = command(m, sizes, quick)
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout,
                                   cwd=common.ROOT)
                stdout, stderr, rc = p.stdout, p.stderr, p.returncode
            except subprocess.TimeoutExpired as exc:
                stdout = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
                stderr, rc = f"cut after its {timeout:.0f} s (the lines above are what it measured)", -9
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


def goals(lines: list[dict]) -> list[dict]:
    """Every goal judged on this run's lines: {"goal", "name", "n", "what", "limit", "value",
    "verdict"} with verdict "met", "missed", or "not measured" (the line is missing, failed, or
    the run did not reach the goal's size, e.g. --quick)."""
    by = {(d["name"], d.get("n")): d for d in lines if "error" not in d}
    found = [(name, n, what, limit, text) for name, n, what, limit, text in GOALS]
    for d in lines:
        if "error" in d:
            continue
        for field_, what in _TARGET_FIELDS:
            if d.get(field_) is not None and not any(g[0] == d["name"] and g[2] == what for g in GOALS):
                found.append((d["name"], d.get("n"), what, d[field_], d.get("goal") or
                              f"{d['name']}: {what} <= {d[field_]}"))
    out = []
    for name, n, what, limit, text in found:
        d = by.get((name, n)) if n is not None else next((v for (k, _), v in by.items() if k == name), None)
        value = None if d is None else d.get(what)
        verdict = "not measured" if value is None else ("met" if value <= limit else "missed")
        out.append({"goal": text, "name": name, "n": n, "what": what, "limit": limit, "value": value,
                    "verdict": verdict})
    return out


def _fmt(what: str, v) -> str:
    if v is None:
        return ""
    return {"ratio": f"{v:.3g}x", "seconds": f"{v:.4g} s", "peak_rss_mb": f"{v:.0f} MB"}[what]


def goals_markdown(lines: list[dict]) -> str:
    rows = ["| goal | measured (line, n) | limit | this run | verdict |", "|---|---|---:|---:|---|"]
    for g in goals(lines):
        v = g["verdict"]
        rows.append(f"| {g['goal']} | {g['name']}, {g['n'] or ''} | {_fmt(g['what'], g['limit'])} | "
                    f"{_fmt(g['what'], g['value'])} | {'**' + v + '**' if v != 'not measured' else v} |")
    return "\n".join(rows)


def markdown(path: Path) -> str:
    lines = [json.loads(raw) for raw in path.read_text().splitlines() if raw.strip()]
    rows = [goals_markdown(lines), "",
            "| measurement | n | seconds | baseline | baseline s | ratio | peak RSS MB |",
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
    ap.add_argument("--only", nargs="+", choices=areas(), help="run only these areas")
    ap.add_argument("--timeout", type=float,
                    help=f"seconds per area (default 900; --quick shares {QUICK_BUDGET:.0f} s)")
    ap.add_argument("--markdown", type=Path, help="print a saved .jsonl as a markdown table and exit")
    ap.add_argument("--child", help=argparse.SUPPRESS)
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
    make_data(csv_sizes, xlsx_sizes, quick=args.quick)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ("-quick" if args.quick else "")
    facts = machine_facts()
    (RESULTS / f"{stamp}-machine.json").write_text(json.dumps(facts, indent=2))
    print(f"machine: {facts['nproc']} CPUs, {facts['cpu']}, {facts['memory_mb']} MB, load {facts['loadavg']}",
          file=sys.stderr, flush=True)
    out_path = RESULTS / f"{stamp}.jsonl"
    timeout = args.timeout or 900.0
    lines = run_all(args.only or areas(), list(csv_sizes), args.quick, timeout, out_path, deadline)
    errors = sum(1 for x in lines if "error" in x)
    for g in goals(lines):
        v = f"{g['verdict']}: {_fmt(g['what'], g['value'])} (limit {_fmt(g['what'], g['limit'])})" \
            if g["value"] is not None else "not measured in this run"
        print(f"goal {g['name']} n={g['n']}: {v} - {g['goal']}", file=sys.stderr, flush=True)
    budget = f" (the --quick budget is {QUICK_BUDGET:.0f} s)" if args.quick else ""
    print(f"{len(lines) - errors} measurements, {errors} errors, {time.perf_counter() - t0:.1f}s{budget}; "
          f"saved {out_path.relative_to(common.ROOT)}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
