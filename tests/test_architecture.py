"""The core must never import Qt: domain, ingest, brief and store run headless."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_ROOTS = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6")


@pytest.mark.parametrize(
    "module",
    ["desktop.domain", "desktop.domain.analysis", "desktop.domain.report", "desktop.ingest",
     "desktop.brief", "desktop.store", "desktop.cli", "desktop.domain.charts"],
)
def test_core_does_not_import_qt(module):
    code = (
        "import sys, importlib, pkgutil\n"
        f"m = importlib.import_module({module!r})\n"
        "if hasattr(m, '__path__'):\n"
        "    for info in pkgutil.walk_packages(m.__path__, m.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        f"bad = sorted({{n.split('.')[0] for n in sys.modules}} & set({QT_ROOTS!r}))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{module} imported Qt: {out.stdout.strip()}"


def test_only_ui_imports_qt_in_source():
    offenders = []
    for path in (ROOT / "desktop").rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("desktop/ui/") or rel == "desktop/app.py":
            continue
        text = path.read_text(encoding="utf-8")
        for root in QT_ROOTS:
            if f"import {root}" in text or f"from {root}" in text:
                offenders.append(f"{rel}: {root}")
    assert offenders == []
