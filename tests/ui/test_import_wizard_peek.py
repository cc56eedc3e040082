"""The wizard's header peek (the source columns the mapping editor offers)."""

from __future__ import annotations

import pandas as pd

from desktop.ui.dialogs.import_wizard import peek_columns


def test_csv_header_below_a_title(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text("Monthly AI costs (exported 2026-11-16)\n\nDatum;Anbieter;Betrag;Abteilung\n"
                 "2026-11-14;OpenAI;100,50;Search\n2026-11-15;OpenAI;200,25;Search\n", encoding="utf-8")
    assert peek_columns(p) == ["Datum", "Anbieter", "Betrag", "Abteilung"]


def test_xlsx_header(tmp_path):
    p = tmp_path / "kosten.xlsx"
    pd.DataFrame({"Datum": ["2026-11-14"], "Anbieter": ["OpenAI"], "Betrag": [100.5]}).to_excel(p, index=False)
    assert peek_columns(p) == ["Datum", "Anbieter", "Betrag"]


def test_json_has_no_mapping(tmp_path):
    p = tmp_path / "costs.json"
    p.write_text('{"data": []}', encoding="utf-8")
    assert peek_columns(p) == []
