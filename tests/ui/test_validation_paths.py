"""One verdict on three paths (issue 12, step 4): the same term value fed through the importer
(a commitments file), the workspace (a commitment edit) and the GUI (the commit schedule editor
on the Contracts page) is accepted or refused alike, with the same message. And the import
dialog refuses a reference file with a rejected row exactly as the CLI does."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.domain.errors import InputError
from desktop.ingest import read_file

from .conftest import close_window, open_window

OM = "overage_multiplier must be at least 1 (below 1, overage would cost less than the commitment)"
PCT = "{} must be between 0 and 100"
COLUMNS = ["contract_id", "vendor", "period_start", "period_end", "commitment", "currency", "discount_pct",
           "overage_multiplier", "shortfall_penalty_pct", "rollover_pct", "owner", "escalation_owner"]
ROW = {"contract_id": "C-1", "vendor": "OpenAI", "period_start": "2026-01-01", "period_end": "2026-06-30",
       "commitment": "1000.00", "currency": "USD", "discount_pct": "0", "overage_multiplier": "1.25",
       "shortfall_penalty_pct": "100", "rollover_pct": "0", "owner": "Ann", "escalation_owner": "Bob"}

# (column, the value as typed, the message every path gives; None = accepted)
CASES = [
    ("overage_multiplier", "0.5", OM),
    ("overage_multiplier", "0.999", OM),
    ("overage_multiplier", "1", None),
    ("overage_multiplier", "abc", "cannot read as a number"),
    ("rollover_pct", "100.01", PCT.format("rollover_pct")),
    ("rollover_pct", "-0.01", PCT.format("rollover_pct")),
    ("rollover_pct", "100", None),
    ("shortfall_penalty_pct", "100.5", PCT.format("shortfall_penalty_pct")),
    ("shortfall_penalty_pct", "0", None),
    ("discount_pct", "101", PCT.format("discount_pct")),
    ("commitment", "-0.01", "a commitment cannot be negative"),
    ("commitment", "lots", "cannot read as an amount"),
    ("commitment", "0", None),
]


def commitments_csv(folder: Path, name: str = "c.csv", **cells) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerow({**ROW, **cells})
    w.writerow({**ROW, **{"contract_id": "C-2", "vendor": "Anthropic", "period_end": "2026-12-31"}})
    p = folder / name
    p.write_text(buf.getvalue(), encoding="utf-8")
    return p


def ingest_verdict(folder: Path, column: str, text: str) -> str | None:
    rep = read_file(commitments_csv(folder, **{column: text}), "commitments").report
    assert rep.rows_read == rep.rows_imported + rep.rows_rejected == 2
    if not rep.rows_rejected:
        return None
    assert [(e.row, e.column) for e in rep.errors] == [(2, column)]
    return rep.errors[0].message


def store_verdict(ws, column: str, text: str) -> str | None:
    try:
        ws.update_commitment("C-1", "2026-01-01", **{column: text})
    except InputError as exc:
        assert exc.column == column
        return exc.message
    return None


def gui_verdict(qtbot, win, column: str, text: str) -> str | None:
    page = win.page_by_key["contracts"]
    win.navigate("contracts", {"contract_id": "C-1"})
    page.tabs.setCurrentIndex(1)
    m = page.schedule.table_model
    before = win.session.computations
    if m.setData(m.index(0, m.column_index(column)), text, Qt.ItemDataRole.EditRole):
        qtbot.waitUntil(lambda: win.session.computations > before, timeout=60000)
        return None
    msg = page.schedule_msg.text()
    assert msg.startswith("Not changed: ") and msg.endswith(".")
    return msg[len("Not changed: "):-1]


@pytest.fixture
def workspace_path(home, tmp_path):
    from desktop.store import Workspace

    path = home / "Paths.commitdesk"
    usage = tmp_path / "usage.csv"
    usage.write_text("date,vendor,cost\n2026-01-10,OpenAI,100.00\n2026-01-11,OpenAI,50.00\n", encoding="utf-8")
    with Workspace.open(path, create=True) as ws:
        ws.import_file(usage)
        ws.import_file(commitments_csv(tmp_path, "schedule.csv"))
    return path


def test_the_same_values_get_the_same_verdict_on_every_path(qtbot, workspace_path, tmp_path):
    from desktop.store import Workspace

    files = tmp_path / "files"
    files.mkdir()
    store_copy = tmp_path / "store.commitdesk"
    store_copy.write_bytes(workspace_path.read_bytes())
    verdicts = {}
    with Workspace.open(store_copy) as ws:
        for column, text, _ in CASES:
            verdicts[(column, text)] = [ingest_verdict(files, column, text), store_verdict(ws, column, text)]
    win = open_window(qtbot, workspace_path)
    try:
        for column, text, _ in CASES:
            verdicts[(column, text)].append(gui_verdict(qtbot, win, column, text))
        # the accepted values reached the figures: C-1's last accepted terms are in the analysis
        c1 = next(c for c in win.session.analysis.contracts if c.contract_id == "C-1")
        assert c1.commitment == 0
    finally:
        close_window(win)
    assert verdicts == {(c, t): [want] * 3 for c, t, want in CASES}


def test_import_dialog_refuses_a_reference_file_as_the_cli_does(qtbot, window, tmp_path, capsys):
    from desktop.cli import main
    from desktop.ui.dialogs.import_wizard import ImportWizard

    bad = commitments_csv(tmp_path, overage_multiplier="0.5")
    assert main(["analyze", "--contracts", str(bad)]) == 2
    cli = capsys.readouterr().err.strip().removeprefix("commitdesk: ")
    batches = len(window.session.workspace.batches())
    wiz = ImportWizard(window.session, [bad], window)
    qtbot.addWidget(wiz)
    qtbot.waitUntil(lambda: wiz.ready and wiz.files[0].result is not None, timeout=30000)
    wiz.list.setCurrentRow(0)
    wiz._show_current()
    assert f"Will not be imported:</b> {cli}" in wiz.pane.detected.text()
    wiz.commit()
    qtbot.waitUntil(lambda: not wiz.committer.busy and wiz.files[0].import_error is not None, timeout=30000)
    assert wiz.files[0].import_error == cli and not wiz.files[0].imported
    assert len(window.session.workspace.batches()) == batches


def test_import_dialog_names_commitment_rows_without_an_fx_rate(qtbot, window, tmp_path):
    from desktop.ui.dialogs.import_wizard import ImportWizard

    eur = commitments_csv(tmp_path, "eur.csv", currency="EUR", contract_id="EU-9", vendor="Mistral")
    wiz = ImportWizard(window.session, [eur], window)
    qtbot.addWidget(wiz)
    qtbot.waitUntil(lambda: wiz.ready and wiz.files[0].result is not None, timeout=30000)
    wiz.list.setCurrentRow(0)
    wiz._show_current()
    assert ("commitment row 2 is in EUR and the workspace has no EUR -> USD rate valid on its date: it will "
            "be left out of the figures until you import one") in wiz.pane.detected.text()


def test_a_workspace_with_a_commitment_without_fx_rate_opens_with_its_other_figures(qtbot, home, tmp_path):
    from desktop.store import Workspace

    path = home / "Fx.commitdesk"
    usage = tmp_path / "usage.csv"
    usage.write_text("date,vendor,cost\n2026-01-10,OpenAI,100.00\n2026-01-11,Mistral,50.00\n", encoding="utf-8")
    schedule = commitments_csv(tmp_path, "schedule.csv")  # C-1 (OpenAI) and C-2 (Anthropic) in USD
    eur = tmp_path / "eur.csv"
    eur.write_text("contract_id,vendor,period_start,period_end,commitment,currency\n"
                   "EU-1,Mistral,2026-01-01,2026-06-30,500.00,EUR\n", encoding="utf-8")
    with Workspace.open(path, create=True) as ws:
        for f in (usage, schedule, eur):
            ws.import_file(f)
    win = open_window(qtbot, path)
    try:
        a = win.session.analysis
        assert [c.contract_id for c in a.contracts] == ["C-1", "C-2"]
        assert any(w.startswith("eur.csv row 2: contract EU-1 is left out of the figures") for w in a.warnings)
        page = win.page_by_key["contracts"]
        win.navigate("contracts", {"contract_id": "C-1"})
        assert page.table.table_model.rowCount() == 2 and page._current == "C-1"
    finally:
        close_window(win)
