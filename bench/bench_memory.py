"""Memory and the edit -> figures engine path (issue 19), measured by the OS in child processes.

* ``analyze_peak_rss``: ``python -m desktop analyze`` over the demo's contracts, invoices,
  budgets, rate card and org map with the generated usage CSV of n rows (--format json); the
  child's peak resident set (VmHWM from /proc/self/status, or ru_maxrss) as it exits.
  Goal: under 500 MB at 1M rows.
* ``app_rss_open`` / ``app_rss_ten_edits``: the app (MainWindow offscreen, as a person runs it)
  on a workspace of the same files: its resident set (VmRSS) when the first figures are on
  screen, and after ten edits (commitment amounts, a setting, As-of dates) each recomputed
  through the session. Goal: under 400 MB at 1M rows, both. ``app_rss_pages_shown``: then
  with the Usage and Contracts pages shown (no goal of its own).
* ``edit_figures_incremental``: the engine half of edit -> figures, the session worker's job
  (``desktop.ui.session.compute``: analysis + actions sync, then the page preparers that ran)
  after one commitment edit, with the session's AnalysisCache; baseline ``edit_figures_full``:
  the same job with a fresh cache, in the same run (ratio = incremental / full).

The workspace is built per run in a temporary directory through ``python -m desktop import``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common

ANALYZE_TARGET_MB = 500.0
APP_TARGET_MB = 400.0
EDITS = 10

# the child that measures analyze: run the CLI in-process, then report the OS's peak
_ANALYZE = r"""
import json, resource, runpy, sys, time
t0 = time.perf_counter()
sys.argv = ["desktop", *sys.argv[1:]]
code = 0
try:
    runpy.run_module("desktop", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
hwm = None
try:
    with open("/proc/self/status") as fh:
        hwm = next(int(l.split()[1]) / 1024 for l in fh if l.startswith("VmHWM"))
except OSError:
    hwm = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
sys.stderr.write("BENCH " + json.dumps({"hwm": hwm, "seconds": time.perf_counter() - t0, "code": code}) + "\n")
"""

# the child that measures the app: open the workspace in the real window, then ten edits
_APP = r"""
import gc, json, os, sys, time
from datetime import timedelta
from decimal import Decimal
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

def rss():
    with open("/proc/self/status") as fh:
        got = {l.split(":")[0]: int(l.split()[1]) / 1024 for l in fh if l.startswith(("VmRSS", "VmHWM"))}
    return got["VmRSS"], got["VmHWM"]

from PySide6.QtWidgets import QApplication
from desktop.store import Workspace
from desktop.ui.main_window import MainWindow
from desktop.ui.session import Session

app = QApplication.instance() or QApplication(["bench"])
ws = Workspace.open(sys.argv[1])
session = Session(ws)
win = MainWindow(session)
win.resize(1440, 900)
win.show()

def settle(n, after=1.0):
    t0 = time.perf_counter()
    while session.computations < n:
        app.processEvents()
        time.sleep(0.005)
        if time.perf_counter() - t0 > 600:
            raise SystemExit("no figures after 600 s")
    took = time.perf_counter() - t0
    t1 = time.perf_counter()
    while time.perf_counter() - t1 < after:  # charts and tables finish in their workers
        app.processEvents()
        time.sleep(0.01)
    return took

t0 = time.perf_counter()
session.recompute()
opened = settle(1, 2.0)
gc.collect()
open_rss, _ = rss()
a = session.analysis
c = next(c for c in a.contracts if c.periods)
p = c.periods[0]
s0 = ws.settings()
for k in range(int(sys.argv[2])):
    n = session.computations
    if k % 3 == 0:
        session.update_commitment(c.contract_id, p.period_start, commitment=p.commitment + Decimal(1000 * (k + 1)))
    elif k % 3 == 1:
        session.set_settings(s0.replace(invoice_tolerance_abs=Decimal(100 + k)))
    else:
        session.set_as_of(a.as_of - timedelta(days=k))
    settle(n + 1, 0.3)
gc.collect()
edits_rss, hwm = rss()
edits_seconds = time.perf_counter() - t0 - opened
for key in ("usage", "contracts"):  # the pages with the most rows and charts, as an analyst opens them
    win.navigate(key, {})
    t1 = time.perf_counter()
    while (session.refreshing or any(r.busy for r in session.runners)) and time.perf_counter() - t1 < 600:
        app.processEvents()
        time.sleep(0.01)
    settle(session.computations, 1.0)
gc.collect()
pages_rss, hwm = rss()
print(json.dumps({"open_seconds": opened, "open_rss": open_rss, "edits_rss": edits_rss, "hwm": hwm,
                  "edits_seconds": edits_seconds, "pages_rss": pages_rss}), flush=True)
session.shutdown()
os._exit(0)
"""

# the engine half of edit -> figures, as the session's worker runs it
_ENGINE = r"""
import json, os, sys, time
from decimal import Decimal
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from desktop.domain.analysis import AnalysisCache
from desktop.domain.progress import Progress
from desktop.store import Workspace
from desktop.ui.pages.usage import prepare
from desktop.ui.session import compute

ws = Workspace.open(sys.argv[1])
cache = AnalysisCache()

def job(cache):
    a = compute(ws, None, Progress(), cache=cache)
    prepare(a)  # the Usage page's preparer: its table columns and anomaly shading
    return a

a = job(cache)
c = next(c for c in a.contracts if c.periods)
p = c.periods[0]
inc, full = [], []
for k in range(int(sys.argv[2])):
    ws.update_commitment(c.contract_id, p.period_start, commitment=p.commitment + Decimal(1000 * (k + 1)))
    t0 = time.perf_counter()
    job(AnalysisCache())
    full.append(time.perf_counter() - t0)
    ws.update_commitment(c.contract_id, p.period_start, commitment=p.commitment + Decimal(1000 * (k + 1) + 500))
    t0 = time.perf_counter()
    job(cache)
    inc.append(time.perf_counter() - t0)
print(json.dumps({"incremental": min(inc), "full": min(full)}), flush=True)
"""


def _env() -> dict:
    home = tempfile.mkdtemp(prefix="bench-memory-home-")
    return dict(os.environ, COMMITDESK_HOME=home, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"))


def _usage_and_refs(n: int) -> tuple[Path, dict[str, Path]]:
    return common.usage_csv(n), {k: v for k, v in common.demo_tables().items() if k != "usage"}


def bench_analyze(n: int) -> dict:
    usage, refs = _usage_and_refs(n)
    args = ["--contracts", str(refs["commitments"]), "--usage", str(usage), "--invoices", str(refs["invoices"]),
            "--budgets", str(refs["budgets"]), "--rate-card", str(refs["rate_card"]), "--org-map",
            str(refs["org_map"]), "--as-of", str(common.AS_OF.date()), "--format", "json"]
    p = subprocess.run([sys.executable, "-c", _ANALYZE, "analyze", *args], capture_output=True, text=True,
                       cwd=common.ROOT, env=_env(), timeout=1800)
    got = json.loads(next(line[6:] for line in p.stderr.splitlines() if line.startswith("BENCH ")))
    if got["code"] != 0:
        raise RuntimeError(f"analyze exited {got['code']}: {p.stderr[-300:]}")
    return common.record("analyze_peak_rss", n, got["seconds"], None, None, got["hwm"],
                         target_mb=ANALYZE_TARGET_MB,
                         goal=f"`analyze` of {n:,} usage rows under {ANALYZE_TARGET_MB:.0f} MB peak RSS (#19)")


def make_workspace(n: int, folder: Path, env: dict) -> Path:
    usage, refs = _usage_and_refs(n)
    ws = folder / f"usage-{n}.commitdesk"
    files = [str(refs[k]) for k in ("commitments", "invoices", "budgets", "rate_card", "org_map")]
    for batch in (files, [str(usage)]):
        subprocess.run([sys.executable, "-m", "desktop", "import", "--workspace", str(ws), *batch],
                       cwd=common.ROOT, env=env, check=True, capture_output=True, timeout=1800)
    return ws


def bench_app(n: int, ws: Path, env: dict) -> list[dict]:
    p = subprocess.run([sys.executable, "-c", _APP, str(ws), str(EDITS)], capture_output=True, text=True,
                       cwd=common.ROOT, env=env, timeout=1800)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"app child exited {p.returncode}: {p.stderr[-300:]}")
    got = json.loads(lines[-1])
    return [
        common.record("app_rss_open", n, got["open_seconds"], None, None, got["open_rss"], hwm_mb=round(got["hwm"], 1),
                      target_mb=APP_TARGET_MB, load_avg=_load(),
                      goal=f"the app with {n:,} usage rows under {APP_TARGET_MB:.0f} MB RSS once its figures show (#19)"),
        common.record("app_rss_ten_edits", n, got["edits_seconds"], None, None, got["edits_rss"],
                      target_mb=APP_TARGET_MB, load_avg=_load(),
                      goal=f"the same app under {APP_TARGET_MB:.0f} MB RSS after ten edits (#19)"),
        common.record("app_rss_pages_shown", n, 0.0, None, None, got["pages_rss"],
                      note="after the ten edits, the Usage page then the Contracts page shown (their tables, "
                           "charts and source-rows panel built); no goal of its own"),
    ]


def _load() -> str:
    """The load average over 1, 5 and 15 minutes (``uptime``), recorded beside each number."""
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def bench_engine(n: int, ws: Path, env: dict, repeat: int) -> dict:
    p = subprocess.run([sys.executable, "-c", _ENGINE, str(ws), str(repeat)], capture_output=True, text=True,
                       cwd=common.ROOT, env=env, timeout=1800)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"engine child exited {p.returncode}: {p.stderr[-300:]}")
    got = json.loads(lines[-1])
    return common.record("edit_figures_incremental", n, got["incremental"], "edit_figures_full", got["full"], 0.0,
                         target_ratio=0.1, load_avg=_load(),
                         goal="edit -> figures (the session worker's job) with the kept aggregates at most "
                              "0.1x the same job from scratch (#12, #19)")


def run(sizes: list[int], quick: bool) -> list[dict]:
    out: list[dict] = []
    big = max(sizes)
    for n in sizes if not quick else [big]:
        out += list(common.run_parts([(f"analyze_peak_rss n={n}", lambda n=n: [bench_analyze(n)])]))
    env = _env()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        t0 = time.perf_counter()
        ws = make_workspace(big, Path(tmp), env)
        print(f"bench_memory: workspace of {big:,} rows in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        out += list(common.run_parts([("app_rss", lambda: bench_app(big, ws, env)),
                                      ("edit_figures", lambda: [bench_engine(big, ws, env, 1 if quick else 3)])]))
    return out


if __name__ == "__main__":
    for line in run([int(a) for a in sys.argv[1:]] or [10_000], quick=True):
        common.emit(line)
