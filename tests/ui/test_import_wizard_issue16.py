"""Issue 16 point 6, the import wizard: the mapping view shows what a format's importer does
with each column, the profile name belongs to its file, a header-only file and a file imported
before are said in the preview (before Import), a file CommitDesk cannot read shows its first
lines as a grid (and a message in the wizard's terms), and the AI-service rule is shown,
editable, and changes the AI spend by a hand-computed amount."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from desktop.domain import ai_services
from desktop.store import Workspace
from desktop.ui.dialogs.import_wizard import ImportWizard
from desktop.ui.dialogs.import_wizard.mapping import NOT_USED, UNMAPPED
from desktop.ui.dialogs.import_wizard.preview import describe
from desktop.ui.session import Session

DATA = Path(__file__).resolve().parents[1] / "data"
EA = DATA / "azure" / "EA_ActualCost_Small.csv"  # microsoft/finops-toolkit, MIT (tests/data/SOURCES.md)
TEMPLATES = Path(__file__).resolve().parents[2] / "resources" / "templates"


@pytest.fixture
def ws(tmp_path):
    w = Workspace.open(tmp_path / "w.commitdesk", create=True)
    yield w
    w.close()


@pytest.fixture
def wizard(qtbot, ws):
    made = []

    def make(files):
        wiz = ImportWizard(Session(ws), [Path(f) for f in files])
        qtbot.addWidget(wiz)
        made.append(wiz)
        qtbot.waitUntil(lambda: wiz.ready, timeout=60000)
        return wiz

    yield make
    for wiz in made:
        wiz.close()


def ea_with_openai(folder: Path) -> Path:
    """The real EA export plus two Azure OpenAI rows (12.50 and 7.25) copied from a VM row."""
    with open(EA, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    vm = next(r for r in rows if r["MeterCategory"] == "Virtual Machines" and r["ChargeType"] == "Usage")
    oai = {"MeterCategory": "Cognitive Services", "MeterSubCategory": "Azure OpenAI", "UnitOfMeasure": "1K"}
    extra = [{**vm, **oai, "MeterName": "gpt-4o Inp 1K Tokens", "Cost": "12.50"},
             {**vm, **oai, "MeterName": "gpt-4o Outp 1K Tokens", "Cost": "7.25"}]
    out = folder / "ea_with_openai.csv"
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows + extra)
    return out


def foreign(folder: Path, name: str) -> Path:
    p = folder / name
    p.write_text("Datum;Anbieter;Betrag\n2026-11-14;OpenAI;100,50\n", encoding="utf-8")
    return p


def test_mapping_shows_what_the_azure_importer_does(wizard):
    wiz = wizard([EA])
    f = wiz.files[0]
    assert f.result.report.format == "azure-ea"
    ed = wiz.editor
    assert ed.read_only
    shown = ed.roles_shown()
    assert len(shown) == 55  # every column of the export, each with what is done with it
    assert shown["MeterName"].startswith("meter")
    assert shown["UnitOfMeasure"] == "unit"
    assert shown["Quantity"] == "quantity"
    assert shown["Tags"].startswith("team, project, cost_center, environment, workload by tag key")
    assert shown["MeterCategory"].startswith("service (judged by the AI-service rule)")
    assert shown["ChargeType"].startswith("commit_eligible")
    assert shown["BillingAccountId"] == NOT_USED
    assert UNMAPPED not in shown.values()
    assert not ed.apply_btn.isEnabled() and not ed.manual_btn.isHidden()
    # the analyst can still map it by hand
    ed.manual_btn.click()
    assert not ed.read_only and ed.current_mapping()["Date"] == "date"


def test_the_profile_name_belongs_to_its_file(qtbot, wizard, tmp_path):
    wiz = wizard([foreign(tmp_path, "kosten.csv"), foreign(tmp_path, "other.csv")])
    wiz.list.setCurrentRow(0)
    assert wiz.profile_name.text() == "kosten (usage)"
    wiz.profile_name.clear()
    qtbot.keyClicks(wiz.profile_name, "Kosten export")  # typed, as the analyst does
    wiz.list.setCurrentRow(1)
    assert wiz.profile_name.text() == "other (usage)"  # was "Kosten export" (carried over)
    wiz.list.setCurrentRow(0)
    assert wiz.profile_name.text() == "Kosten export"


def test_an_unrecognised_file_shows_its_lines_and_says_what_to_do_in_the_wizard(wizard, tmp_path):
    junk = tmp_path / "junk.csv"
    junk.write_text("foo;bar;baz\n1;2;3\n4;5;6\n", encoding="utf-8")
    wiz = wizard([junk])
    f = wiz.files[0]
    assert f.result is None and f.raw is not None
    assert "--" not in f.error and "python -m" not in f.error  # no command-line flags
    assert "'Import as'" in f.error and "Column mapping" in f.error
    assert wiz.tabs.tabText(0) == "Raw text (first 3 lines)"
    m = wiz.preview.table_model
    assert [m.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole)
            for c in range(m.columnCount())] == ["Line", "A", "B", "C"]
    assert [m.data(m.index(1, c)) for c in range(4)] == ["2", "1", "2", "3"]
    assert "split at semicolons into 3 columns" in describe(f)
    assert f.status == "not recognised: see preview"
    # the analyst maps it from there: the columns are offered
    assert f.columns == ["foo", "bar", "baz"]


def test_binary_junk_is_said_to_be_binary(wizard, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(256)) * 8)
    wiz = wizard([junk])
    f = wiz.files[0]
    assert f.result is None and f.raw.rows == []
    assert "binary data" in describe(f)


def test_a_file_imported_before_is_said_in_the_preview_before_import(wizard, ws, tmp_path):
    p = foreign(tmp_path, "kosten.csv")
    ws.import_file(p, profile={"name": "k", "kind": "usage",
                               "columns": {"Datum": "date", "Anbieter": "vendor", "Betrag": "cost"}})
    wiz = wizard([p])
    f = wiz.files[0]
    assert f.duplicate is not None and "kosten.csv" in f.duplicate and "1 rows" in f.duplicate
    assert f.status == "already imported"
    text = describe(f)
    assert "Already imported" in text and "Replace an earlier import" in text
    assert not wiz.committer.busy and not f.imported and f.import_error is None  # nothing tried yet
    wiz.replace.setChecked(True)
    assert "It will replace that import." in describe(f)


def test_a_header_only_template_says_it_adds_nothing(wizard, tmp_path):
    blank = tmp_path / "commitments.csv"  # a template's header with its example rows deleted
    blank.write_text((TEMPLATES / "commitments.csv").read_text(encoding="utf-8").splitlines()[0] + "\n",
                     encoding="utf-8")
    wiz = wizard([blank])
    f = wiz.files[0]
    assert f.result.report.rows_read == 0
    assert "has a header and no rows" in describe(f) and "Import leaves it out" in describe(f)
    assert f.status == "no rows (header only): nothing to import"
    assert not f.pending and wiz.commit_btn.text() == "Import 0 files" and not wiz.commit_btn.isEnabled()


def test_the_ai_service_rule_is_shown_and_changes_the_ai_spend(qtbot, wizard, ws, tmp_path):
    c = tmp_path / "commitments.csv"
    c.write_text("contract_id,vendor,period_start,period_end,commitment\n"
                 "AOAI,Azure OpenAI,2023-09-01,2023-12-31,1000\n"
                 "MACC,Microsoft,2023-09-01,2023-12-31,1000\n", encoding="utf-8")
    ws.import_file(c)
    wiz = wizard([ea_with_openai(tmp_path)])
    session = wiz.session
    pane = wiz.pane
    assert not pane.ai_box.isHidden()
    assert pane.ai_rule.text() == ai_services.DEFAULT_RULE
    # default: the two Azure OpenAI rows (12.50 + 7.25) are AI spend; VMs, storage, SQL are kept
    split = pane.ai_split.text()
    assert "<b>AI spend:</b> 2 rows (USD 19.75)" in split
    # 3.25 + 2.64 + 1.9584 + 0.4838709677 + 0.21268368 + 0.00004 + 0.000011139 + 0.000002 = 8.5450077867
    assert "11 rows (USD 8.55)" in split and "SQL Managed Instance / Managed Instance General Purpose - SQL " \
        "License 3" in split
    with qtbot.waitSignal(wiz.imported, timeout=60000):
        wiz.commit()
    session.recompute()
    qtbot.waitUntil(lambda: session.analysis is not None and not session.refreshing, timeout=60000)

    def consumed():
        return {x.contract_id: x.consumed_to_date for x in session.analysis.contracts}

    assert consumed() == {"AOAI": Decimal("19.75"), "MACC": Decimal("0.00")}
    # the analyst's rule: every row counts -> MACC draws down the 10 Usage rows: 8.55 - 3.25 (Purchase)
    before = session.computations
    pane.ai_rule.setText("*")
    pane.ai_apply.click()
    qtbot.waitUntil(lambda: session.computations > before and not session.refreshing, timeout=60000)
    assert ws.settings().ai_services == "*"
    assert consumed() == {"AOAI": Decimal("19.75"), "MACC": Decimal("5.30")}
    # counted again in the background: 19.75 + 8.545...
    qtbot.waitUntil(lambda: "<b>AI spend:</b> 13 rows (USD 28.30)" in pane.ai_split.text(), timeout=30000)
    # undo restores the default rule and its figures
    before = session.computations
    session.undo()
    qtbot.waitUntil(lambda: session.computations > before and not session.refreshing, timeout=60000)
    assert ws.settings().ai_services == ai_services.DEFAULT_RULE
    assert consumed()["MACC"] == Decimal("0.00")


def test_enter_in_the_rule_field_applies_the_rule_and_imports_nothing(qtbot, wizard, ws, tmp_path):
    wiz = wizard([ea_with_openai(tmp_path)])
    wiz.show()  # the dialog's default button (Import) only answers Enter when shown
    qtbot.waitExposed(wiz)
    f = wiz.files[0]
    wiz.pane.ai_rule.clear()
    qtbot.keyClicks(wiz.pane.ai_rule, "Cognitive Services; Virtual Machines")
    qtbot.keyClick(wiz.pane.ai_rule, Qt.Key.Key_Return)
    assert ws.settings().ai_services == "Cognitive Services; Virtual Machines"
    # 12.50 + 7.25 (Azure OpenAI) + 3.25 + 2.64 (the two virtual machines) = 25.64
    qtbot.waitUntil(lambda: "<b>AI spend:</b> 4 rows (USD 25.64)" in wiz.pane.ai_split.text(), timeout=30000)
    assert not wiz.committer.busy and not f.imported and f.import_error is None
    assert ws.batches() == []


def test_the_usage_page_shows_the_service_and_whether_it_is_ai_spend(tmp_path):
    from desktop.domain.analysis import build_analysis
    from desktop.domain.inputs import Inputs
    from desktop.ingest import read_file
    from desktop.ui.pages.usage import usage_columns

    f = read_file(ea_with_openai(tmp_path)).frame
    a = build_analysis(Inputs().with_table("usage", f))
    cols = {c.title: c for c in usage_columns(a.usage)}
    ai = cols["AI spend"]
    shown = [ai.uniques[k] for k in ai.values]
    service = [cols["Service"].uniques[k] for k in cols["Service"].values]
    assert [s for s, y in zip(service, shown, strict=True) if y == "yes"] == ["Cognitive Services / Azure OpenAI"] * 2
    assert shown.count("no") == 11  # VMs, storage, SQL ... listed, not counted


def test_a_file_it_cannot_read_is_mapped_from_its_raw_lines(qtbot, wizard, tmp_path):
    p = tmp_path / "kosten.txt"
    p.write_text("Kostenbericht November 2026\nTag|Firma|Summe netto|Abteilung\n"
                 "14.11.2026|OpenAI|100,50|Suche\n15.11.2026|Anthropic|80,25|Support\n", encoding="utf-8")
    wiz = wizard([p])
    f = wiz.files[0]
    assert f.result is None and "lacks vendor, cost" in f.error and "Column mapping tab" in f.error
    m = wiz.preview.table_model
    assert m.rowCount() == 4 and m.data(m.index(1, 3)) == "Summe netto"  # line 2, column C
    assert f.columns == ["Tag", "Firma", "Summe netto", "Abteilung"]  # the header below the title
    wiz.set_mapping("Firma", "vendor")
    wiz.set_mapping("Summe netto", "cost")
    wiz.set_mapping("Abteilung", "team")
    wiz.apply_mapping()
    qtbot.waitUntil(lambda: wiz.ready and wiz.files[0].result is not None, timeout=60000)
    frame = wiz.files[0].result.frame
    assert frame["cost"].tolist() == [100_500_000, 80_250_000]  # decimal commas
    assert frame["vendor"].tolist() == ["OpenAI", "Anthropic"] and frame["team"].tolist() == ["Suche", "Support"]
    assert wiz.tabs.tabText(0) == "Preview (2 of 2 rows)"
