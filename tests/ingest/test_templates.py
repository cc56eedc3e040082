"""The blank templates in resources/templates import back as empty tables of their kind."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from desktop.domain import tables
from desktop.ingest import read_file

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"


@pytest.mark.parametrize("kind", list(tables.SPECS))
@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_template_reads_back_empty(kind, ext):
    r = read_file(TEMPLATES / f"{kind}.{ext}")
    assert r.kind == kind
    assert r.report.format == f"canonical-{ext}"
    assert r.report.rows_read == 0 and r.frame.empty
    assert list(r.frame.columns) == tables.SPECS[kind].names + ["_file", "_row"]


def test_template_documents_every_column():
    wb = openpyxl.load_workbook(TEMPLATES / "usage.xlsx")
    about = wb["About"]
    rows = [[c.value for c in r] for r in about.iter_rows(min_row=5)]
    assert [r[0] for r in rows] == tables.USAGE.names
    assert rows[0][1] == "required" and rows[2][:2] == ["cost", "required"]
    assert wb["usage"]["A1"].comment is not None


def test_filled_template_imports(tmp_path):
    wb = openpyxl.load_workbook(TEMPLATES / "budgets.xlsx")
    wb["budgets"].append(["Search", "2026-03", 5000, "team", "search"])
    p = tmp_path / "budgets.xlsx"
    wb.save(p)
    r = read_file(p)
    assert r.kind == "budgets" and r.frame["budget"].tolist() == [5_000_000_000]
    assert r.frame["month"].tolist() == ["2026-03"]
