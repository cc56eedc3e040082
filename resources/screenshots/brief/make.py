"""Render the demo workspace's brief, one PNG per sheet (its first page), as LibreOffice prints it.

    .venv/bin/python resources/screenshots/brief/make.py

Writes the brief, converts it to PDF with headless LibreOffice (private profile that
recalculates), finds the first page of each sheet by its title line and renders it with
``pdftoppm -r 60`` into this folder as NN-<sheet>.png.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

TITLES = {  # sheet -> the title line its first page starts with (the Data sheet is hidden: not printed)
    "Summary": "CommitDesk working brief", "Pacing": "Pacing by contract", "Burn": "Commit burn by month",
    "Exposure": "Exposure and forecast", "Invoices": "Invoice variance", "Budgets": "Budget variance",
    "Anomalies": "Spend anomalies", "Renewal": "Renewal scenarios", "Negotiation": "Negotiation: the offers compared",
    "Actions": "Actions checklist",
    "Chargeback": "Chargeback journal", "Reconciliation": "Reconciliation: usage", "Assumptions": "Assumptions: settings",
}


def main() -> None:
    from desktop.brief import write_brief
    from desktop.domain.analysis import build_analysis
    from desktop.ingest import load_inputs
    from desktop.resources import demo_files

    sys.path.insert(0, str(ROOT / "tests" / "brief"))
    from conftest import soffice_convert  # the same recalculating LibreOffice profile as the tests

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        src = t / "brief.xlsx"
        write_brief(build_analysis(load_inputs(demo_files())), src)
        pdf = soffice_convert(src, "pdf", t / "out", t / "profile")
        pages = int(next(line.split()[-1] for line in subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
            if line.startswith("Pages:")))
        first: dict[str, int] = {}
        for p in range(1, pages + 1):
            text = subprocess.run(["pdftotext", "-f", str(p), "-l", str(p), str(pdf), "-"],
                                  capture_output=True, text=True, check=True).stdout
            for sheet, title in TITLES.items():
                if sheet not in first and title in text.split("\n\n", 2)[0] + text[:300]:
                    first[sheet] = p
                    break
        for old in HERE.glob("*.png"):
            old.unlink()
        for n, sheet in enumerate(TITLES, 1):
            if sheet not in first:
                print(f"no page found for {sheet}", file=sys.stderr)
                continue
            p = first[sheet]
            stem = HERE / f"{n:02d}-{sheet.lower()}"
            subprocess.run(["pdftoppm", "-r", "60", "-f", str(p), "-l", str(p), "-singlefile", "-png",
                            str(pdf), str(stem)], check=True)
            print(f"{stem.name}.png  (page {p} of {pages})")
        shutil.rmtree(t / "profile", ignore_errors=True)


if __name__ == "__main__":
    main()
