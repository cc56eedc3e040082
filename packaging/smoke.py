#!/usr/bin/env python3
"""Build the bundle and check that it works like the source tree.

    python3 packaging/smoke.py [--no-build] [--timeout 120]

Checks, each printed as one JSON line, exit status 0 only when all pass:
1. analyze_files: the bundled executable's `analyze --format json` on the demo company's CSVs
   (passed as explicit files) prints byte-for-byte the JSON of `python -m desktop` in the source tree.
2. analyze_demo: the bundled `analyze --demo --format json` (the demo data shipped inside the
   bundle) gives the same JSON as the source tree's `--demo`, file paths compared by name.
3. brief: the bundled `brief --demo` writes a workbook whose sheets, shared strings and workbook
   part are byte-identical to the source tree's (the zip differs only in timestamps).
4. gui: the bundled GUI starts offscreen and exits by itself with status 0 and no traceback
   (`--quit-after-ms`), and the same for the source tree; median wall time of three launches
   with `--quit-after-ms 0` (start, open the workspace, show the window, close).
5. logs_clean: the app's own log (under the throw-away COMMITDESK_HOME) records no error.
Runs with a throw-away COMMITDESK_HOME, so the analyst's own settings are never touched.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build as build_mod

ROOT = build_mod.ROOT
DEMO = ROOT / "desktop" / "resources" / "demo"
FILE_ARGS = [
    "--contracts", str(DEMO / "commitments.csv"), "--usage", str(DEMO / "usage.csv"),
    "--invoices", str(DEMO / "invoices.csv"), "--budgets", str(DEMO / "budgets.csv"),
    "--rate-card", str(DEMO / "rate_card.csv"), "--org-map", str(DEMO / "org_map.csv"),
]


def run(cmd: list[str], env: dict, timeout: float) -> tuple[int, str, str, float]:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired as exc:
        return -9, exc.stdout or "", f"timed out after {timeout}s", time.perf_counter() - t0
    return p.returncode, p.stdout, p.stderr, time.perf_counter() - t0


def _names_only(obj):
    """Replace file paths by their names so that bundle and source paths compare equal."""
    if isinstance(obj, dict):
        return {k: (Path(v).name if k == "file" and isinstance(v, str) else _names_only(v))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_names_only(x) for x in obj]
    return obj


def _cells(path: Path) -> dict:
    """Every sheet's cell values (a workbook's zip bytes differ by timestamps)."""
    from zipfile import ZipFile

    with ZipFile(path) as z:
        return {n: z.read(n) for n in sorted(z.namelist())
                if n.startswith("xl/worksheets/") or n == "xl/sharedStrings.xml" or n == "xl/workbook.xml"}


def report(name: str, ok: bool, **facts) -> bool:
    print(json.dumps({"check": name, "ok": ok, **facts}), flush=True)
    return ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-build", action="store_true", help="use the bundle already in packaging/dist")
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--quit-after-ms", type=int, default=1500)
    args = ap.parse_args(argv)

    if args.no_build:
        py = build_mod.venv_python()
    else:
        info = build_mod.build()
        print(json.dumps({"check": "build", "ok": True, **info}), flush=True)
        py = build_mod.venv_python()
    exe = build_mod.EXE
    if not exe.exists():
        return 0 if report("bundle", False, error=f"{exe} does not exist") else 1

    home = tempfile.mkdtemp(prefix="commitdesk-smoke-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(COMMITDESK_HOME=home, QT_QPA_PLATFORM="offscreen", PYTHONHASHSEED="0")
    src = [str(py), "-m", "desktop"]
    results = []

    # 1. explicit files
    rc_s, out_s, err_s, t_src = run([*src, "analyze", *FILE_ARGS, "--format", "json"], env, args.timeout)
    rc_b, out_b, err_b, t_bun = run([str(exe), "analyze", *FILE_ARGS, "--format", "json"], env, args.timeout)
    same = rc_s == rc_b == 0 and out_s == out_b and out_s.strip().startswith("{")
    results.append(report("analyze_files", same, source_rc=rc_s, bundle_rc=rc_b, json_chars=len(out_s),
                          source_seconds=round(t_src, 2), bundle_seconds=round(t_bun, 2),
                          stderr=(err_b or err_s)[-400:] if not same else ""))

    # 2. demo data shipped inside the bundle
    rc_s, out_s, err_s, _ = run([*src, "analyze", "--demo", "--format", "json"], env, args.timeout)
    rc_b, out_b, err_b, _ = run([str(exe), "analyze", "--demo", "--format", "json"], env, args.timeout)
    try:
        same = rc_s == rc_b == 0 and _names_only(json.loads(out_s)) == _names_only(json.loads(out_b))
    except ValueError:
        same = False
    results.append(report("analyze_demo", same, source_rc=rc_s, bundle_rc=rc_b,
                          stderr=(err_b or err_s)[-400:] if not same else ""))

    # 3. the Excel brief: same sheets and the same cell values as the source tree's
    out_s, out_b = Path(home) / "brief-source.xlsx", Path(home) / "brief-bundle.xlsx"
    rc_s, _, err_s, _ = run([*src, "brief", "--demo", "--out", str(out_s)], env, args.timeout)
    rc_b, _, err_b, _ = run([str(exe), "brief", "--demo", "--out", str(out_b)], env, args.timeout)
    same = rc_s == rc_b == 0 and out_s.exists() and out_b.exists() and _cells(out_s) == _cells(out_b)
    results.append(report("brief", same, source_rc=rc_s, bundle_rc=rc_b,
                          stderr=(err_b or err_s)[-400:] if not same else ""))

    # 4. GUI offscreen: starts, stays up for --quit-after-ms, exits cleanly; then three launches
    #    with --quit-after-ms 0 (start, show, close at once) for a median start-to-exit time
    for label, cmd in (("gui_bundle", [str(exe)]), ("gui_source", src)):
        times, ok, last_err, last_rc = [], True, "", 0
        for quit_ms in (args.quit_after_ms, 0, 0, 0):
            rc, _out, err, secs = run([*cmd, "--quit-after-ms", str(quit_ms)], env, args.timeout)
            if quit_ms == 0:
                times.append(secs)
            if rc != 0 or "Traceback" in err:
                ok, last_err, last_rc = False, err[-600:], rc
                break
        results.append(report(label, ok, rc=last_rc, quit_after_ms=args.quit_after_ms,
                              start_to_exit_seconds=round(statistics.median(times), 2) if times else None,
                              stderr=last_err))

    # the app's own log must not record an error from any of those runs
    logs = list(Path(home).rglob("*.log"))
    bad = [ln for p in logs for ln in p.read_text(errors="replace").splitlines()
           if " ERROR " in ln or "Traceback" in ln or " CRITICAL " in ln]
    results.append(report("logs_clean", not bad, logs=[str(p) for p in logs], errors=bad[:5]))

    size = build_mod.dir_size(build_mod.BUNDLE)
    print(json.dumps({"check": "summary", "ok": all(results), "bundle_size_mb": round(size / 2**20, 1)}))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
