from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")

# a private LibreOffice profile that recalculates every formula on load (the default for xlsx
# files is to trust the cached values, which would make the check below a tautology)
_RECALC_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def need_soffice() -> str:
    """soffice's path; skips without LibreOffice, except in CI, where it fails."""
    if SOFFICE is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is required in CI: the brief must be checked there")
        pytest.skip("LibreOffice (soffice) is not installed")
    return SOFFICE


def soffice_convert(src: Path, fmt: str, outdir: Path, profile: Path) -> Path:
    """Open ``src`` in headless LibreOffice (recalculating) and save it as ``fmt`` in outdir."""
    return soffice_convert_many([src], fmt, outdir, profile)[0]


def soffice_convert_many(srcs: list[Path], fmt: str, outdir: Path, profile: Path) -> list[Path]:
    """Several files in one LibreOffice start (starting it is most of the cost)."""
    exe = need_soffice()
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(_RECALC_PROFILE, encoding="utf-8")
    outdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [exe, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
         "--convert-to", fmt, "--outdir", str(outdir), *map(str, srcs)],
        capture_output=True, text=True, timeout=300,
    )
    outs = [outdir / (src.stem + "." + fmt.split(":")[0]) for src in srcs]
    for src, out in zip(srcs, outs, strict=True):
        assert proc.returncode == 0 and out.exists(), \
            f"LibreOffice could not open {src.name}:\n{proc.stdout}\n{proc.stderr}"
    return outs


@pytest.fixture(scope="session")
def demo_analysis():
    from desktop.domain.analysis import build_analysis
    from desktop.ingest import load_inputs
    from desktop.resources import demo_files

    files = demo_files()
    assert files, "demo files are missing from desktop/resources/demo"
    return build_analysis(load_inputs(files))


@pytest.fixture(scope="session")
def lo_profile(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lo-profile")
