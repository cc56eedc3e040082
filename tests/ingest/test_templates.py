"""The templates in resources/templates import as their two example rows (the xlsx README sheet
is not read), and document every column."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from desktop.domain import tables
from desktop.ingest import read_file

TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"


@pytest.mark.parametrize("kind", list(tables.SPECS))
@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_template_imports_its_two_example_rows(kind, ext):
    r = read_file(TEMPLATES / f"{kind}.{ext}")
    assert r.kind == kind
    assert r.report.format == f"canonical-{ext}"
    assert (r.report.rows_read, r.report.rows_imported, r.report.rows_rejected) == (2, 2, 0)
    assert r.frame["_row"].tolist() == [2, 3]
    assert list(r.frame.columns) == tables.SPECS[kind].names + ["_file", "_row"]


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_example_values_read_as_written(ext):
    c = read_file(TEMPLATES / f"commitments.{ext}").frame
    assert c["commitment"].tolist() == [60_000_000_000, 60_000_000_000]
    assert c["period_end"].dt.strftime("%Y-%m-%d").tolist() == ["2026-06-30", "2026-12-31"]
    assert c["rollover_pct"].tolist() == [50.0, 0.0]
    u = read_file(TEMPLATES / f"usage.{ext}").frame
    assert u["cost"].tolist() == [412_500_000, 128_400_000]
    i = read_file(TEMPLATES / f"invoices.{ext}").frame
    assert i["amount"].tolist() == [11_840_000_000, -500_000_000]


def test_the_readme_sheet_documents_every_column_and_is_not_read(tmp_path):
    wb = openpyxl.load_workbook(TEMPLATES / "usage.xlsx")
    assert wb.sheetnames == ["usage", "README"]
    readme = wb["README"]
    rows = [[c.value for c in r] for r in readme.iter_rows(min_row=5)]
    assert [r[0] for r in rows] == tables.USAGE.names
    assert rows[0][1] == "required" and rows[2][:2] == ["cost", "required"]
    assert rows[2][5] == "412.50"  # the example
    assert wb["usage"]["A1"].comment is not None
    # moved first, the README sheet still does not become the data
    wb.move_sheet("README", offset=-1)
    assert wb.sheetnames == ["README", "usage"]
    p = tmp_path / "usage.xlsx"
    wb.save(p)
    r = read_file(p)
    assert (r.kind, r.report.rows_imported, r.frame["team"].tolist()) == ("usage", 2, ["Search", "Support"])


def test_filled_template_imports(tmp_path):
    wb = openpyxl.load_workbook(TEMPLATES / "budgets.xlsx")
    sheet = wb["budgets"]
    sheet.delete_rows(2, 2)  # the examples replaced by the analyst's line
    sheet.append(["Search", "2026-03", 5000, "team", "search"])
    p = tmp_path / "budgets.xlsx"
    wb.save(p)
    r = read_file(p)
    assert r.kind == "budgets" and r.frame["budget"].tolist() == [5_000_000_000]
    assert r.frame["month"].tolist() == ["2026-03"]
