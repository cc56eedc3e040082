"""The commit schedule editor on the Contracts page (issue 16 point 5): split, add and remove
periods, edit period dates, create a contract; each validated by the domain's validation layer,
undoable, persisted; an edit shows at once, marked pending until its recompute lands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt

from desktop.store import Workspace


def _contract(win, cid):
    return next((c for c in win.session.analysis.contracts if c.contract_id == cid), None)


def _open(win, cid):
    page = win.page_by_key["contracts"]
    win.navigate("contracts", {"contract_id": cid})
    page.tabs.setCurrentIndex(1)
    return page


def _column(page, key):
    m = page.schedule.table_model
    j = m.column_index(key)
    return [m.data(m.index(r, j)) for r in range(m.rowCount())]


def _pending(page, row, key) -> bool:
    m = page.schedule.table_model
    j = m.column_index(key)
    return m.data(m.index(row, j), Qt.ItemDataRole.BackgroundRole) is not None


def test_split_an_annual_period_shows_at_once_then_the_figures(qtbot, window, demo_path):
    s = window.session
    page = _open(window, "ANT-2026-ANNUAL")
    assert len(_contract(window, "ANT-2026-ANNUAL").periods) == 1
    page.schedule.select_source_rows([0])
    n = s.computations
    page.split_period(at=date(2026, 6, 1))
    # at once, before the recompute lands: the two periods, marked pending
    assert s.computations == n and s.refreshing
    assert _column(page, "Period start") == ["2026-03-01", "2026-06-01"]
    assert _column(page, "Period end") == ["2026-05-31", "2027-02-28"]
    # 690,000.00 x 92 / 365 days = 173,917.808... -> 173,917.81; the rest 516,082.19
    assert _column(page, "Commitment") == ["173,917.81", "516,082.19"]
    assert _column(page, "Source") == ["pending recompute", "pending recompute"]
    assert _pending(page, 0, "commitment") and _pending(page, 1, "period_start")
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    periods = _contract(window, "ANT-2026-ANNUAL").periods
    assert [(p.period_start, p.period_end, p.commitment) for p in periods] == [
        (date(2026, 3, 1), date(2026, 5, 31), Decimal("173917.81")),
        (date(2026, 6, 1), date(2027, 2, 28), Decimal("516082.19"))]
    assert sum(p.commitment for p in periods) == Decimal("690000.00")
    assert _column(page, "Source") == ["edited in CommitDesk"] * 2
    assert not _pending(page, 0, "commitment")
    assert page.schedule_buttons["revert"].isEnabled() and "was set here" in page.schedule_state.text()
    # undo: one annual period again
    n = s.computations
    window.a_undo.trigger()
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    assert len(_contract(window, "ANT-2026-ANNUAL").periods) == 1
    window.a_redo.trigger()  # and it is stored in the workspace
    with Workspace.open(demo_path, readonly=True) as ws:
        assert [p["commitment"] for p in ws.schedule("ANT-2026-ANNUAL")] == [173_917_810_000, 516_082_190_000]


def test_an_edited_date_shows_at_once_and_a_bad_one_is_refused(qtbot, window):
    s = window.session
    page = _open(window, "OAI-2026-RAMP")
    m = page.schedule.table_model
    col = m.column_index("period_end")
    assert not m.setData(m.index(3, col), "2026-09-15", Qt.ItemDataRole.EditRole)  # before its start
    assert page.schedule_msg.text() == "Not changed: period_end is before period_start."
    assert not m.setData(m.index(0, col), "2026-04-15", Qt.ItemDataRole.EditRole)  # into the next period
    assert page.schedule_msg.text().startswith("Not changed: commit period 2026-04-01..2026-06-30 of contract "
                                               "OAI-2026-RAMP overlaps the period 2026-01-01..2026-04-15")
    assert not s.workspace.can_undo
    n = s.computations
    start = m.column_index("period_start")
    assert m.setData(m.index(3, start), "2026-10-15", Qt.ItemDataRole.EditRole)  # a period's first day moves
    qtbot.waitUntil(lambda: _column(page, "Period start")[3] == "2026-10-15", timeout=5000)
    assert _pending(page, 3, "period_start")
    assert not _pending(page, 3, "commitment") and not _pending(page, 0, "period_start")
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    assert _contract(window, "OAI-2026-RAMP").periods[3].period_start == date(2026, 10, 15)


def test_add_and_remove_a_period(qtbot, window):
    s = window.session
    page = _open(window, "OAI-2026-RAMP")
    n = s.computations
    page.add_period()
    assert _column(page, "Period start")[-1] == "2027-01-01" and _column(page, "Period end")[-1] == "2027-03-31"
    assert _column(page, "Source")[-1] == "pending recompute"
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    periods = _contract(window, "OAI-2026-RAMP").periods
    assert (len(periods), periods[-1].commitment) == (5, Decimal("250000.00"))
    page.schedule.select_source_rows([0])
    n = s.computations
    page.remove_period()
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    assert [p.period_start for p in _contract(window, "OAI-2026-RAMP").periods][0] == date(2026, 4, 1)
    page.revert_schedule()  # back to the four imported quarters
    qtbot.waitUntil(lambda: s.computations > n + 1, timeout=60000)
    assert len(_contract(window, "OAI-2026-RAMP").periods) == 4


def test_a_new_contract_is_validated_then_created(qtbot, window):
    from desktop.ui.dialogs.schedule import NewContractDialog

    s = window.session
    page = window.page_by_key["contracts"]
    window.navigate("contracts", {})
    bad = {"contract_id": "GCP-2027", "vendor": "Google Vertex AI", "period_start": date(2027, 1, 1),
           "period_end": date(2026, 12, 31), "commitment": "50000", "currency": "USD", "owner": ""}
    assert page.new_contract(bad) == "period_end is before period_start"
    assert page.schedule_msg.text() == "Not created: period_end is before period_start."
    assert page.new_contract({**bad, "contract_id": "oai-2026-ramp", "period_end": date(2027, 12, 31)}) == (
        "a contract OAI-2026-RAMP already exists; pick another id or edit its schedule")
    # the dialog asks the same layer and stays open with the reason
    dlg = NewContractDialog(["OAI-2026-RAMP"], ["OpenAI"], page)
    qtbot.addWidget(dlg)
    dlg.contract_id.setText("GCP-2027")
    dlg.vendor.setEditText("Google Vertex AI")
    dlg.commitment.setText("-5")
    dlg.try_accept()
    assert dlg.values is None and "a commitment cannot be negative" in dlg.msg.text()
    n = s.computations
    assert page.new_contract({**bad, "period_end": date(2027, 12, 31)}) is None
    assert _column(page, "Period start") == ["2027-01-01"] and _column(page, "Commitment") == ["50,000.00"]
    qtbot.waitUntil(lambda: s.computations > n, timeout=60000)
    c = _contract(window, "GCP-2027")
    assert c is not None and c.commitment == Decimal("50000.00") and page._current == "GCP-2027"


def test_the_split_dialog_previews_the_two_minimums(qtbot, window):
    from desktop.ui.dialogs.schedule import SplitDialog

    periods = window.session.workspace.schedule("ANT-2026-ANNUAL")
    dlg = SplitDialog(periods, date(2026, 3, 1))
    qtbot.addWidget(dlg)
    dlg.day.setDate(dlg.day.date().fromString("2026-06-01", "yyyy-MM-dd"))
    assert "minimum 173,917.81" in dlg.preview.text() and "minimum 516,082.19" in dlg.preview.text()
    dlg.day.setDate(dlg.day.date().fromString("2026-03-01", "yyyy-MM-dd"))
    assert "split on a day after its first day" in dlg.preview.text()
    assert not dlg.buttons.buttons()[0].isEnabled()
