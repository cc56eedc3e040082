"""An ended contract shows what its term came to (not a live pacing band) on the Overview tiles
and the Contracts page: the demo's AZ-2025-EA ended on 2026-09-30 with 27,903.38 owed
(380,000.00 committed, 352,096.62 consumed, no rollover, 100 % penalty)."""

from __future__ import annotations

from desktop.domain import palette

TEXT = "Ended: shortfall 27,903.38 owed"


def _row(model, column: str, value: str) -> int:
    col = model.column_index(column)
    rows = [r for r in range(model.rowCount()) if model.data(model.index(r, col)) == value]
    assert len(rows) == 1, (column, value)
    return rows[0]


def test_ended_contract_shows_its_outcome_on_overview_and_contracts(shared_window):
    win = shared_window
    (az,) = [c for c in win.session.analysis.contracts if c.contract_id == "AZ-2025-EA"]
    assert az.band is None and az.outcome_text == "ended: shortfall 27,903.38 owed"
    overview = win.page_by_key["overview"]
    (tile,) = [t for t in overview.band_tiles if t.caption.text().startswith("AZ-2025-EA")]
    assert tile.value.text() == TEXT
    assert tile._accent == palette.VERMILLION  # the shortfall colour, not on-pace green
    win.navigate("contracts", {"contract_id": "AZ-2025-EA"})
    page = win.page_by_key["contracts"]
    m = page.table.table_model
    r = _row(m, "Contract", "AZ-2025-EA")
    assert m.data(m.index(r, m.column_index("Band / outcome"))) == TEXT
    assert page.band_badge.text() == TEXT
    pm = page.periods.table_model
    assert [pm.data(pm.index(i, pm.column_index("Band / outcome"))) for i in range(pm.rowCount())] == [TEXT]
    assert page.summary.text().startswith(f"{TEXT} (the term ended on 2026-09-30)")
