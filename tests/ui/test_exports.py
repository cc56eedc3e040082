"""Every table exports as numbers (Excel, CSV, the clipboard), the rows behind a number export
from explain, and the summary of page 1 and the charts is a PDF (File > Export summary PDF,
File > Print, ``python -m desktop brief --pdf``)."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox

from desktop.brief.book import DATE_FMT, MONEY_FMT
from desktop.ui import exports
from desktop.ui.models.table import RAW_ROLE, Col, ColumnTableModel
from desktop.ui.widgets import DataTable

ROOT = Path(__file__).resolve().parents[2]


def _cols() -> list[Col]:
    return [
        Col.text("Team", ["Search", "=1+2", "@SUM(A1:A9)", "Growth"], key="team"),
        Col.micros("Cost", [17_500_500_000, 1_234_565_000, -2_500_000, 0], key="cost"),
        Col.money("Budget", [Decimal("1234567.89"), None, Decimal("-3.50"), Decimal("0.00")], key="budget"),
        Col.num("Share", [0.436, None, 0.25, 1.0], kind="pct", key="share"),
        Col.date("Day", ["2026-11-15", "2026-01-01", None, "2026-02-28"], key="day"),
        Col.ints("Rows", [1200, 3, 0, 7], key="rows"),
    ]


def _table(qtbot) -> DataTable:
    t = DataTable()
    qtbot.addWidget(t)
    t.table_model.set_columns(_cols())
    return t


def test_the_model_hands_out_raw_values_not_display_strings(qtbot):
    m = ColumnTableModel()
    m.set_columns(_cols())
    raw = [[m.data(m.index(r, c), RAW_ROLE) for c in range(6)] for r in range(4)]
    assert raw[0] == ["Search", Decimal("17500.5"), Decimal("1234567.89"), 0.436, date(2026, 11, 15), 1200]
    assert raw[1][1] == Decimal("1234.565")  # exact micros, not the cents shown ("1,234.57")
    assert raw[1][2] is None and raw[1][3] is None and raw[2][4] is None
    assert m.data(m.index(0, 1)) == "17,500.50"  # the display is unchanged


def test_excel_export_round_trips_as_numbers_with_formats(qtbot, home, tmp_path):
    t = _table(qtbot)
    t.table_model.sort(1, Qt.SortOrder.DescendingOrder)  # the export follows the view's order
    out = exports.write_xlsx(tmp_path / "t.xlsx", exports.visible_columns(t), t.table_model.export_rows(), "Usage")
    wb = openpyxl.load_workbook(out)
    ws = wb["Usage"]
    assert [c.value for c in ws[1]] == ["Team", "Cost", "Budget", "Share", "Day", "Rows"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F5"
    first = ws[2]  # the largest cost first
    assert first[0].value == "Search"
    assert isinstance(first[1].value, float | int | Decimal) and Decimal(str(first[1].value)) == Decimal("17500.5")
    assert first[1].number_format == MONEY_FMT
    assert Decimal(str(first[2].value)) == Decimal("1234567.89")
    assert first[3].value == pytest.approx(0.436) and first[3].number_format.endswith("%")
    assert first[4].value == datetime(2026, 11, 15) and first[4].number_format == DATE_FMT
    assert first[5].value == 1200 and first[5].data_type == "n"
    # formula-looking imported text stays text
    texts = {r[0].value: r[0] for r in ws.iter_rows(min_row=2)}
    for payload in ("=1+2", "@SUM(A1:A9)"):
        c = texts[payload]
        assert c.data_type == "s" and c.value == payload and c.quotePrefix
    # an empty money cell is empty, not 0 or a dash
    row_eq = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "=1+2")
    assert row_eq[2].value is None and row_eq[3].value is None


def test_csv_export_has_raw_numbers_iso_dates_utf8(qtbot, home, tmp_path):
    t = _table(qtbot)
    t.table_model.set_columns([*_cols()[:-1], Col.text("Note", ["Zürich – 東京", "", "", ""])])
    out = Path(t.export_csv(str(tmp_path / "t.csv")))  # the table's own CSV export (was display strings)
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["Team", "Cost", "Budget", "Share", "Day", "Note"]
    assert rows[1] == ["Search", "17500.50", "1234567.89", "0.436", "2026-11-15", "Zürich – 東京"]
    assert rows[2][:3] == ["'=1+2", "1234.565", ""]  # a formula never starts a cell; money keeps its micros
    assert rows[3][0] == "'@SUM(A1:A9)" and rows[3][1] == "-2.50" and rows[3][4] == ""
    assert float(rows[2][1]) == 1234.565
    body = out.read_text(encoding="utf-8-sig")
    assert "17,500" not in body and "%" not in body


def test_copy_puts_tsv_and_html_cells_on_the_clipboard(qtbot, home):
    t = _table(qtbot)
    tsv, html_text = exports.copy_cells(t, whole=True)
    mime = QGuiApplication.clipboard().mimeData()
    assert mime.hasText() and mime.hasHtml()
    assert mime.text().replace("\r\n", "\n") == tsv.replace("\r\n", "\n")
    lines = tsv.split("\r\n")
    assert lines[0].split("\t") == ["Team", "Cost", "Budget", "Share", "Day", "Rows"]
    assert lines[1].split("\t") == ["Search", "17500.50", "1234567.89", "0.436", "2026-11-15", "1200"]
    assert lines[2].startswith("'=1+2\t")
    h = mime.html()
    assert 'x:num="17500.50"' in h and 'x:num="0.436"' in h  # Excel reads the value, whatever the locale
    assert "mso-number-format:'\\@'\">=1+2<" in h  # text cells stay text in Excel
    # Ctrl+C on a selection: those cells only, no header
    t.selectRow(3)
    t.copy_selection()
    assert QGuiApplication.clipboard().text().split("\t")[:2] == ["Growth", "0.00"]


def test_default_names_and_the_last_folder(qtbot, home, tmp_path, monkeypatch):
    assert exports.file_stem("CommitDesk", "Usage", "breakdown", "2026-11-15") == \
        "CommitDesk Usage - breakdown 2026-11-15"
    assert exports.file_stem("CommitDesk", "a/b:c", "2026-11-15") == "CommitDesk a-b-c 2026-11-15"
    seen = []
    target = tmp_path / "exports-here"
    target.mkdir()

    def fake(parent, caption, start, filt):
        seen.append(start)
        return str(target / "mine"), filt

    monkeypatch.setattr(exports.QFileDialog, "getSaveFileName", staticmethod(fake))
    got = exports.ask_save_path(None, "Export", "CommitDesk Usage 2026-11-15", "xlsx", "Excel (*.xlsx)")
    assert got == target / "mine.xlsx"
    assert QSettings().value(exports.LAST_FOLDER_KEY) == str(target)
    exports.ask_save_path(None, "Export", "CommitDesk Usage 2026-11-15", "csv", "CSV (*.csv)")
    assert seen[1] == str(target / "CommitDesk Usage 2026-11-15.csv")  # the next dialog starts there


def _wait_box(qtbot, holder, attr):
    qtbot.waitUntil(lambda: getattr(holder, attr) is not None and getattr(holder, attr).isVisible(), timeout=60000)
    return getattr(holder, attr)


def test_every_page_table_exports_from_the_window(qtbot, window, tmp_path):
    win = window
    pages_with_tables = [p for p in win.pages if p.export_tables()]
    assert {"overview", "contracts", "usage", "invoices", "budgets", "renewal", "actions"} <= \
        {p.key for p in pages_with_tables}
    win.navigate("contracts", {})
    page = win.page_by_key["contracts"]
    names = [n for n, _ in page.export_tables()]
    assert names[0] == "" and "periods" in names
    table = page.current_table()
    assert exports.table_stem(table) == f"CommitDesk Contracts {win.session.analysis.as_of.isoformat()}"
    assert exports.table_stem(page.periods) == \
        f"CommitDesk Contracts - periods {win.session.analysis.as_of.isoformat()}"

    out = tmp_path / "contracts.xlsx"
    ex = exports.exports_of(table)
    assert win.export_table("xlsx", out)
    box = _wait_box(qtbot, ex, "message")
    assert box.objectName() == "exportWrittenBox"
    assert {"Open", "Show in folder"} <= {b.text() for b in box.buttons()}
    box.close()
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    m = table.table_model
    col = exports.visible_columns(table)
    money = next(i for i, c in enumerate(col) if c.kind in ("money", "micros"))
    src = m.source_row(0)
    assert header[money] == col[money].title
    assert Decimal(str(ws.cell(2, money + 1).value)) == col[money].value(src)
    assert ws.cell(2, money + 1).number_format == MONEY_FMT


def test_explain_exports_every_row_behind_the_number(qtbot, window, tmp_path):
    from desktop.ui.dialogs.explain import ExplainDialog

    a = window.session.analysis
    c = next(c for c in a.contracts if c.consumed_to_date > 0)
    dlg = ExplainDialog(a, "contract", c.contract_id, "consumed_to_date", session=window.session)
    qtbot.addWidget(dlg)
    assert dlg.rows_button.isEnabled()
    out = tmp_path / "rows.xlsx"
    assert dlg.export_rows(out)
    box = _wait_box(qtbot, dlg, "rows_message")
    box.close()
    ws = openpyxl.load_workbook(out).active
    header = [x.value for x in ws[1]]
    assert "File" in header and "Row" in header
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == dlg.explanation.source_count  # every row, not only the ones the dialog lists
    cost = header.index("Cost")
    total = sum(Decimal(str(r[cost])) for r in rows)
    assert total.quantize(Decimal("0.01")) == c.consumed_to_date  # the rows add up to the figure
    # and as CSV
    out_csv = tmp_path / "rows.csv"
    dlg.rows_message = None
    assert dlg.export_rows(out_csv)
    _wait_box(qtbot, dlg, "rows_message").close()
    with open(out_csv, encoding="utf-8-sig", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == len(rows) + 1


def _pdf_text(path: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext (poppler-utils) is required in CI to read the summary back")
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run([exe, "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return unicodedata.normalize("NFKC", text)  # the PDF's "fi" ligatures read back as two letters


def _ranking_lines(text: str) -> list[str]:
    after = text.split("Largest money at stake first", 1)[1]
    return [ln for ln in after.splitlines() if re.match(r"\s*[\d,]+\.\d\d\s+\S", ln)]


def test_summary_pdf_lists_the_largest_money_at_stake_first(qtbot, tmp_path):
    from desktop.brief.actions import normalize
    from desktop.domain.page_one import page_one
    from desktop.ui.charts.screenshots import demo_analysis
    from desktop.ui.summary_pdf import write_summary_pdf

    a = demo_analysis()
    out = write_summary_pdf(a, tmp_path / "summary.pdf", today=date(2026, 11, 20))
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    p1 = page_one(a, normalize(None, a), date(2026, 11, 20))
    assert p1.top and p1.top[0].at_stake == max(x.at_stake for x in p1.ranked)
    text = _pdf_text(out)
    assert f"Total money at stake (open actions) {p1.total_at_stake:,.2f}" in " ".join(text.split())
    lines = _ranking_lines(text)
    assert lines, text[:2000]
    assert lines[0].split()[0] == f"{p1.top[0].at_stake:,.2f}"
    amounts = [Decimal(ln.split()[0].replace(",", "")) for ln in lines[:len(p1.top)]]
    assert amounts == [x.at_stake for x in p1.top]  # the ranking as page_one orders it
    for c in a.contracts:
        assert c.contract_id in text
    assert "page 1 of" in text and "Charts" in text


def test_file_menu_prints_and_exports_the_summary(qtbot, window, tmp_path):
    from PySide6.QtPrintSupport import QPrinter

    win = window
    titles = [a.text() for a in win.menuBar().actions()[0].menu().actions()]
    for t in ("Export summary &PDF…", "&Print…", "Export table to E&xcel…", "Export table as &CSV…"):
        assert t in titles

    out = tmp_path / "printed.pdf"
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(out))
    with qtbot.waitSignal(win.summary_outputs.done, timeout=120000) as sig:
        assert win.print_summary(printer)
    assert sig.args[0] >= 2 and out.read_bytes().startswith(b"%PDF")
    assert "Largest money at stake first" in _pdf_text(out)

    pdf = tmp_path / "summary.pdf"
    with qtbot.waitSignal(win.summary_outputs.done, timeout=120000):
        assert win.export_summary_pdf(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    box = win.summary_outputs.message
    assert isinstance(box, QMessageBox) and box.isVisible() and box.path == pdf
    box.close()


def test_cli_writes_the_pdf_summary_without_a_display(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = str(ROOT)
    out = tmp_path / "s.pdf"
    proc = subprocess.run([sys.executable, "-m", "desktop", "brief", "--demo", "--pdf", str(out)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b"%PDF")
    assert proc.stderr == ""
    bad = subprocess.run([sys.executable, "-m", "desktop", "brief", "--demo"], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=300)
    assert bad.returncode == 2 and "--pdf" in bad.stderr


def test_page_one_adds_up_the_open_actions_by_hand():
    from types import SimpleNamespace

    from desktop.domain.actions import Action
    from desktop.domain.page_one import page_one

    def act(key, stake, due, status="open", resolution=None):
        return Action(key=key, kind="contract", severity="high", title=key, finding_owner=None, due=due,
                      status=status, notes="", opened_at=date(2026, 11, 1), resolution=resolution,
                      at_stake=Decimal(stake), stake_kind="avoidable_shortfall")

    acts = [act("a", "100.00", date(2026, 11, 10)), act("b", "250.50", date(2026, 11, 30)),
            act("c", "49.50", None), act("d", "999.00", date(2026, 11, 1), "done", "analyst")]
    a = SimpleNamespace(findings=(), budgets=(), contracts=(), invoices=(), as_of=date(2026, 11, 15))
    p1 = page_one(a, acts, date(2026, 11, 20), top=2)
    assert p1.total_at_stake == Decimal("400.00")  # 100.00 + 250.50 + 49.50; the closed one is not at stake
    assert [x.action.key for x in p1.top] == ["b", "a"]
    assert p1.rest_count == 1 and p1.rest_at_stake == Decimal("49.50")
    assert [x.key for x in p1.overdue] == ["a"]  # due 11-10 < 11-20; b is due later, c has no date
    assert len(p1.open_actions) == 3
    assert p1.by_kind == {"avoidable_shortfall": Decimal("400.00")}


def test_excel_refuses_more_rows_than_a_sheet_holds(tmp_path):
    from desktop.brief.cells import BriefError

    cols = [Col.ints("n", np.zeros(3, dtype=np.int64))]
    with pytest.raises(BriefError, match="do not fit on one Excel sheet"):
        exports.write_xlsx(tmp_path / "x.xlsx", cols, np.zeros(exports.EXCEL_MAX_ROWS, dtype=np.int64))
    assert not (tmp_path / "x.xlsx").exists()


def test_an_out_of_date_summary_says_so_on_page_one(qtbot):
    from desktop.ui.charts.screenshots import demo_analysis
    from desktop.ui.summary_pdf import summary, summary_html

    a = demo_analysis()
    s = summary(a, stale="importing overlap.csv failed", today=date(2026, 11, 20))
    assert s.stale == "OUT OF DATE: importing overlap.csv failed"
    page = summary_html(s)
    assert page.index("OUT OF DATE: importing overlap.csv failed") < page.index("Money at stake")
    assert "OUT OF DATE" not in summary_html(summary(a, today=date(2026, 11, 20)))


def test_copying_more_rows_than_the_clipboard_should_carry_says_so(qtbot, home, monkeypatch):
    t = _table(qtbot)
    monkeypatch.setattr(exports, "COPY_MAX_ROWS", 3)
    QGuiApplication.clipboard().setText("before")
    assert exports.copy_cells(t, whole=True) is None
    assert QGuiApplication.clipboard().text() == "before"
    assert t._copy_box.isVisible() and "4 rows" in t._copy_box.text()
    t._copy_box.close()
    t.selectRow(0)
    assert exports.copy_cells(t) is not None  # a selection below the limit copies


def test_burn_ups_left_out_of_the_pdf_are_named(qtbot, tmp_path, monkeypatch):
    from desktop.ui import summary_pdf
    from desktop.ui.charts.screenshots import demo_analysis

    monkeypatch.setattr(summary_pdf, "MAX_BURN_UPS", 1)
    a = demo_analysis()
    s = summary_pdf.summary(a, today=date(2026, 11, 20))
    assert [d.kind for d in s.charts].count("burn_up") == 1 and s.charts_left_out == len(a.contracts) - 1 == 2
    out = summary_pdf.write_pdf(s, tmp_path / "s.pdf")
    assert "2 more contracts' burn-ups are on the brief's Pacing sheet." in " ".join(_pdf_text(out).split())
