#!/usr/bin/env python3
"""Bootstrap and run CommitDesk from a fresh clone with nothing but Python >= 3.11.

    python3 .ci/dev.py app [ARGS]    start CommitDesk (the last workspace, else the start page; --demo,
                                     --workspace PATH)
    python3 .ci/dev.py test [ARGS]   run the whole test suite in parallel (pytest -n auto, one worker per
                                     core; extra ARGS go to pytest, -n 0 runs it in one process)
    python3 .ci/dev.py cli ARGS      run `python -m desktop ARGS` (analyze, brief, import, actions)
    python3 .ci/dev.py bench [ARGS]  run the benchmark suite (python -m bench.run)

Each creates the virtual environment .venv (or reuses it) and installs the project into it when
pyproject.toml changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
STAMP = VENV / ".commitdesk-install"


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_env(extras: str = "test") -> Path:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script runs on whatever python3 is there)
        sys.exit(f"CommitDesk needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not _python().exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != want:
        print("installing CommitDesk and its dependencies into .venv", flush=True)
        py = str(_python())
        subprocess.run([py, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
        subprocess.run([py, "-m", "pip", "install", "-q", "-e", f"{ROOT}[{extras}]"], check=True, cwd=ROOT)
        STAMP.write_text(want)
    return _python()


def test_args(rest: list[str]) -> list[str]:
    """pytest's arguments: ``-n auto`` (pytest-xdist) unless the caller chose the workers."""
    chosen = any(a == "-n" or a.startswith(("-n", "--numprocesses", "--dist")) or a == "no:xdist"
                 for a in rest)
    return rest if chosen else ["-n", "auto", *rest]


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    py = str(ensure_env())
    env = dict(os.environ)
    if cmd == "app":
        return subprocess.call([py, "-m", "desktop", *rest], cwd=ROOT, env=env)
    if cmd == "cli":
        return subprocess.call([py, "-m", "desktop", *rest], cwd=ROOT, env=env)
    if cmd == "test":
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        return subprocess.call([py, "-m", "pytest", *test_args(rest)], cwd=ROOT, env=env)
    if cmd == "bench":
        return subprocess.call([py, "-m", "bench.run", *rest], cwd=ROOT, env=env)
    print(f"unknown command {cmd!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
