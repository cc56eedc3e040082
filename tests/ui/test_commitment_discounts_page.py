"""The Contracts page shows commitment discounts (RIs, savings plans) as utilization, composed
from Analysis.commitment_discounts (issue 18): a savings plan listed with the commitments is not
a contract with a shortfall."""

from __future__ import annotations

from datetime import date

import pytest

from tests.domain.test_commitment_discounts import _row, commitments_naming, focus_usage, ri, sp
from tests.ui.conftest import close_window, open_window


@pytest.fixture
def workspace_path(home, tmp_path):
    from desktop.store import Workspace

    usage = focus_usage(tmp_path, [
        _row("2025-09-03", "3.00", **ri("Used", "10")),
        _row("2025-09-04", "4.50", **ri("Used", "15")),
        _row("2025-09-05", "1.50", **ri("Unused", "5", ConsumedQuantity="", ConsumedUnit="")),
        _row("2025-09-06", "20.00", **sp("Used", "20")),
        _row("2025-09-07", "5.00", **sp("Unused", "5")),
    ])
    path = home / "Discounts.commitdesk"
    with Workspace.open(path, create=True) as ws:
        ws.import_file(usage)
        ws.import_file(commitments_naming(tmp_path, ["sp-1"]))
    return path


def test_contracts_page_lists_discount_utilization(qtbot, workspace_path):
    win = open_window(qtbot, workspace_path)
    try:
        a = win.session.analysis
        assert a.contracts == ()  # sp-1 is the savings plan, not a contract
        win.navigate("contracts", {})
        page = win.page_by_key["contracts"]
        m = page.discounts.table_model
        assert m.rowCount() == 2
        col = {t: m.column_index(t) for t in ("Commitment discount", "Used", "Unused", "Utilization (cost)",
                                               "Used quantity", "Unit")}
        rows = {m.data(m.index(r, col["Commitment discount"])): r for r in range(m.rowCount())}
        r = rows["ri-1"]
        assert m.data(m.index(r, col["Used"])) == "7.50"
        assert m.data(m.index(r, col["Unused"])) == "1.50"
        assert m.data(m.index(r, col["Utilization (cost)"])) == "83.3%"
        assert m.data(m.index(r, col["Unit"])) == "Hours"
        r = rows["sp-1"]
        assert m.data(m.index(r, col["Utilization (cost)"])) == "80.0%"
        assert page.discount_note.text().startswith("2 commitment discounts")
        assert page.tabs.tabText(page.tabs.count() - 1) == "Commitment discounts"
    finally:
        close_window(win)


def test_contracts_page_shows_a_usage_commitment_in_its_unit(qtbot, home, tmp_path):
    from desktop.store import Workspace
    from tests.domain.test_usage_commitments import COMMITMENTS, USAGE

    (tmp_path / "c.csv").write_text(COMMITMENTS)
    (tmp_path / "u.csv").write_text(USAGE)
    path = home / "Units.commitdesk"
    with Workspace.open(path, create=True) as ws:
        ws.import_file(tmp_path / "u.csv")
        ws.import_file(tmp_path / "c.csv")
    win = open_window(qtbot, path, as_of=date(2026, 1, 5))
    try:
        win.navigate("contracts", {"contract_id": "CMT-GPU"})
        m = win.page_by_key["contracts"].table.table_model
        col = m.column_index("Measured in")
        got = {m.data(m.index(r, m.column_index("Contract"))): m.data(m.index(r, col)) for r in range(m.rowCount())}
        assert got == {"CMT-GPU": "GPU-Hours: 30.00 of 100.00", "SPEND-1": "USD"}
    finally:
        close_window(win)
