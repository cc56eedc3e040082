#!/usr/bin/env python3
"""Build the one-folder CommitDesk bundle with PyInstaller.

    python3 packaging/build.py [--clean]

Works from a fresh clone with only Python >= 3.11: it creates or reuses .venv (through
.ci/dev.py), installs PyInstaller from the `packaging` extra when it is missing (and, on Linux,
binutils for objdump when it is missing and we are root with apt-get), renders the icons
from resources/commitdesk.svg when they are missing, and runs packaging/commitdesk.spec.
The bundle lands in packaging/dist/commitdesk/ (executable packaging/dist/commitdesk/commitdesk);
PyInstaller's work files in packaging/build/. Prints one JSON line: bundle path, size, build time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "packaging"
DIST = PKG / "dist"
WORK = PKG / "build"
BUNDLE = DIST / "commitdesk"
EXE = BUNDLE / ("commitdesk.exe" if os.name == "nt" else "commitdesk")
ICONS = ROOT / "resources" / "icons"


def venv_python() -> Path:
    spec = importlib.util.spec_from_file_location("commitdesk_dev", ROOT / ".ci" / "dev.py")
    dev = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(dev)
    return Path(dev.ensure_env())


def ensure_pyinstaller(py: Path) -> None:
    probe = subprocess.run([str(py), "-c", "import PyInstaller"], capture_output=True)
    if probe.returncode != 0:
        print("installing PyInstaller (extra 'packaging') into .venv", flush=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "pyinstaller>=6.10"], check=True)


def ensure_system_tools() -> None:
    """PyInstaller on Linux reads shared-library dependencies with ldd and objdump (binutils).
    A bare machine may lack binutils: install it when we are root with apt-get, else say so."""
    if not sys.platform.startswith("linux") or shutil.which("objdump"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing binutils (objdump, needed by PyInstaller)", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-q", "binutils"], check=True, env=env)
        return
    raise SystemExit("PyInstaller needs objdump: install binutils (e.g. `sudo apt-get install binutils`)")


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(clean: bool = False) -> dict:
    ensure_system_tools()
    py = venv_python()
    ensure_pyinstaller(py)
    if not (ICONS / "commitdesk.icns").exists():
        subprocess.run([str(py), str(PKG / "make_icons.py")], check=True, cwd=ROOT)
    if clean:
        shutil.rmtree(WORK, ignore_errors=True)
    shutil.rmtree(BUNDLE, ignore_errors=True)
    t0 = time.perf_counter()
    cmd = [str(py), "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(DIST), "--workpath", str(WORK), str(PKG / "commitdesk.spec")]
    if clean:
        cmd.insert(3, "--clean")
    subprocess.run(cmd, check=True, cwd=ROOT)
    info = {
        "bundle": str(BUNDLE.relative_to(ROOT)),
        "executable": str(EXE.relative_to(ROOT)),
        "size_mb": round(dir_size(BUNDLE) / 2**20, 1),
        "files": sum(1 for p in BUNDLE.rglob("*") if p.is_file()),
        "build_seconds": round(time.perf_counter() - t0, 1),
    }
    return info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clean", action="store_true", help="drop PyInstaller's cache first")
    args = ap.parse_args(argv)
    print(json.dumps(build(args.clean)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
