"""Help at hand (the user guide, the shortcut list) and the ROI page's run cost from the usage."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pandas as pd


def test_f1_opens_the_guide_at_the_page_in_front_with_its_screenshot(qtbot, shared_window):
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument

    win = shared_window
    win.navigate("budgets", {})
    win.show_guide()
    dlg = win.guide
    assert dlg.isVisible()
    assert dlg.current_key() == "budgets"
    text = dlg.browser.toPlainText()
    assert text.startswith("Budgets") and "Alert tier" in text
    img = dlg.browser.document().resource(QTextDocument.ResourceType.ImageResource.value,
                                          QUrl("screenshots/budgets.png"))
    assert img is not None and not img.isNull() and img.width() <= 820
    # a chapter link and the search box
    dlg.search.setText("SHA-256")
    visible = [dlg.toc.item(i).text() for i in range(dlg.toc.count()) if not dlg.toc.item(i).isHidden()]
    assert "Invoices" in visible and "Budgets" not in visible
    dlg.search.clear()
    dlg.close()


def test_every_page_has_a_guide_chapter(shared_window):
    from desktop.ui.dialogs.help import chapters

    keys = {k for k, _, _ in chapters()}
    assert {p.key for p in shared_window.pages} <= keys
    assert {"start", "import", "brief"} <= keys


def test_the_shortcut_list_is_read_from_the_window(qtbot, shared_window):
    from PySide6.QtGui import QKeySequence

    from desktop.ui.dialogs.help import ShortcutsDialog

    dlg = ShortcutsDialog(shared_window)
    qtbot.addWidget(dlg)
    rows = dlg.rows()
    native = lambda k: QKeySequence(k).toString(QKeySequence.SequenceFormat.NativeText)  # noqa: E731
    assert ("File", "Import files", native("Ctrl+I")) in rows
    assert ("Help", "User guide", native("F1")) in rows
    assert ("View", "Budgets", native("Ctrl+5")) in rows
    # every menu command with a key is listed (none forgotten)
    listed = {what for _, what, _ in rows}
    for a in shared_window.findChildren(type(shared_window.a_import)):
        if a.shortcut().isEmpty() or not a.text():
            continue
        assert a.text().replace("&", "").rstrip("…").strip() in listed


def test_roi_run_cost_from_usage_follows_the_figures_and_opens_its_rows(qtbot, shared_window):
    win = shared_window
    a = win.session.analysis
    page = win.page_by_key["roi"]
    win.navigate("roi", {})
    page.src_dim.setCurrentIndex(page.src_dim.findData("project"))
    assert page.src_value.count() > 1
    project = page.src_value.itemText(0)
    page.src_value.setCurrentText(project)
    page.use_usage_cost()

    # by hand from the demo usage: the project's rows in the last complete month before as-of
    u = a.usage if hasattr(a, "usage") and a.usage is not None else a.index.frame
    t = pd.Timestamp(a.as_of)
    last = (t + pd.Timedelta(days=1)).month != t.month
    month = t.to_period("M") if last else (t.to_period("M") - 1)
    sel = u[(u["project"].astype("string").str.strip().str.casefold() == project.strip().casefold())
            & (u["date"].dt.to_period("M") == month)]
    expected = (Decimal(int(sel["cost"].sum())) / 10**6).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert expected > 0
    assert page.run_cost_source.cost == expected
    assert Decimal(page.fields["monthly_cost"].text().replace(",", "")) == expected
    assert page.result.cost == expected
    assert str(month) in page.src_note.text() and f"{len(sel):,} rows" in page.src_note.text()

    page._show_source_rows()
    usage = win.page_by_key["usage"]
    assert win.current_page() is usage
    qtbot.waitUntil(lambda: usage.model.visible_source_rows().size == len(sel), timeout=20000)
    shown = usage._df.iloc[usage.model.visible_source_rows()]
    assert (Decimal(int(shown["cost"].sum())) / 10**6).quantize(Decimal("0.01"), ROUND_HALF_UP) == expected
    usage.clear_filters()

    # typing a run cost unlinks it; the preset restores the example
    page.fields["monthly_cost"].setText("1000")
    page.fields["monthly_cost"].textEdited.emit("1000")
    assert page.run_cost_source is None and "typed" in page.src_note.text()
    page.load_preset("Support chatbot")
    assert page.result.cost == Decimal("35000.00")


def test_typing_a_year_where_you_click_replaces_it(qtbot):
    from PySide6.QtCore import QDate, QPoint, Qt
    from PySide6.QtWidgets import QLineEdit

    from desktop.ui.date_edit import DateEdit

    d = DateEdit()
    qtbot.addWidget(d)
    d.setDate(QDate(2026, 9, 30))
    d.resize(140, 26)
    d.show()
    qtbot.waitExposed(d)
    le = d.findChild(QLineEdit)
    fm = le.fontMetrics()
    # click in the middle of "2026" (a plain QDateEdit leaves the cursor there and refuses digits)
    qtbot.mouseClick(le, Qt.MouseButton.LeftButton, pos=QPoint(fm.horizontalAdvance("20") + 3, le.height() // 2))
    qtbot.keyClicks(le, "2025")
    qtbot.keyClick(le, Qt.Key.Key_Return)
    assert d.date() == QDate(2025, 9, 30)
    # the day: click in "30" and type 15
    qtbot.mouseClick(le, Qt.MouseButton.LeftButton, pos=QPoint(fm.horizontalAdvance("2025-09-3") + 3, le.height() // 2))
    qtbot.keyClicks(le, "15")
    qtbot.keyClick(le, Qt.Key.Key_Return)
    assert d.date() == QDate(2025, 9, 15)


def test_a_quantity_reads_the_same_whatever_its_neighbours():
    import numpy as np

    from desktop.ui import fmt
    from desktop.ui.models.table import Col

    assert [fmt.quantity(v) for v in (1234.0, 0.5, 2.12344, -0.00001, 1e6)] == [
        "1,234", "0.5", "2.1234", "0", "1,000,000"]  # at most 4 decimals, -0 is 0
    whole = Col.num("Quantity", np.array([1234.0, 3.0]), kind="qty")
    mixed = Col.num("Quantity", np.array([1234.0, 0.25]), kind="qty")
    # 1,234 tokens show the same in a column of whole numbers and in one with a fraction
    assert whole.display(0) == mixed.display(0) == "1,234"
    assert mixed.display(1) == "0.25"
    assert np.isnan(Col.num("Q", np.array([np.nan]), kind="qty").values[0])


def test_the_window_title_names_the_workspace_once(shared_window):
    title = shared_window.windowTitle()
    assert title.startswith("Demo.commitdesk")
    # make_app sets the display name "CommitDesk", which Qt appends itself; it was there twice
    assert "CommitDesk" not in title


def test_a_sorted_numeric_title_keeps_room_for_the_sort_arrow(qtbot):
    from pathlib import Path

    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QFontMetrics

    import desktop
    from desktop.ui.models.table import Col
    from desktop.ui.widgets import DataTable

    qss = (Path(desktop.__file__).parent / "resources" / "styles" / "app.qss").read_text()
    # the header reserves 18 px on the right of every title for the arrow
    assert "padding: 3px 18px 3px 6px" in qss
    t = DataTable()
    qtbot.addWidget(t)
    t.table_model.set_columns([Col.text("Vendor", ["OpenAI", "Anthropic"]),
                               Col.num("Quantity", np.array([1.0, 2.5]), kind="qty")])
    t.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    f = t.horizontalHeader().font()
    f.setBold(True)
    title = QFontMetrics(f).horizontalAdvance("Quantity")
    # bold title + 6 px left + 18 px right padding + the section's frame
    assert t.columnWidth(1) >= title + 6 + 18 + 2


def test_a_long_text_cell_shows_itself_whole_on_hover(qtbot):
    from PySide6.QtCore import Qt

    from desktop.ui.models.table import Col, ColumnTableModel

    long = "Invoice OAI-2026-08 (OpenAI): duplicate line 'gpt-4o output tokens (1K tokens)'"
    m = ColumnTableModel()
    m.set_columns([Col.text("Alert", [long, "short"])])
    assert m.data(m.index(0, 0), Qt.ItemDataRole.ToolTipRole) == long
    assert m.data(m.index(1, 0), Qt.ItemDataRole.ToolTipRole) is None


def test_quantities_export_as_numbers(tmp_path):
    import csv

    import numpy as np
    from openpyxl import load_workbook

    from desktop.ui.exports import write_csv, write_xlsx
    from desktop.ui.models.table import Col

    cols = [Col.num("Quantity", np.array([1234.0, 0.25, np.nan]), kind="qty")]
    rows = np.arange(3)
    ws = load_workbook(write_xlsx(tmp_path / "q.xlsx", cols, rows)).active
    got = [c.value for c in ws["A"]]
    assert got[1:3] == [1234, 0.25] and got[3] is None
    assert ws["A2"].number_format == "General"
    with open(write_csv(tmp_path / "q.csv", cols, rows), newline="", encoding="utf-8-sig") as f:
        assert [r[0] for r in csv.reader(f)][1:] == ["1234.0", "0.25", ""]


def test_every_page_fits_a_1280x720_screen(shared_window):
    # the stacked pages' largest minimum decides: no page may force the window past 1280x720
    # (title bar and task bar take about 60 px of the 720)
    hint = shared_window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 660, (hint.width(), hint.height())
