"""A currency written in the amount column's name is the rows' currency (issue 18: "Betrag (EUR)"
rows were imported as USD and added to USD figures)."""

from __future__ import annotations

import pytest

from desktop.ingest import read_file
from desktop.ingest.formats.canonical import header_currency


@pytest.mark.parametrize("header, code", [
    ("Betrag (EUR)", "EUR"), ("Amount (EUR)", "EUR"), ("Cost EUR", "EUR"), ("Kosten (€)", "EUR"),
    ("Cost (US$)", "USD"), ("Amount", None), ("EURO Betrag", None), ("Cost (EUR/USD)", None)])
def test_header_currency(header, code):
    assert header_currency(header) == code


@pytest.mark.parametrize("amount", ["Betrag (EUR)", "Amount (EUR)", "Cost EUR"])
def test_amount_header_sets_the_rows_currency(tmp_path, amount):
    p = tmp_path / "u.csv"
    p.write_text(f"Datum,Anbieter,{amount}\n2026-01-05,OpenAI,12.50\n2026-01-06,OpenAI,3.00\n", encoding="utf-8")
    r = read_file(p, "usage")
    assert r.frame["currency"].tolist() == ["EUR", "EUR"]
    assert r.frame["cost"].tolist() == [12_500_000, 3_000_000]
    assert any("currency EUR read from the amount column's name" in w for w in r.report.warnings)


def test_a_currency_column_that_contradicts_the_header_rejects_the_row(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("date,vendor,Amount (EUR),currency\n2026-01-05,OpenAI,12.50,EUR\n"
                 "2026-01-06,OpenAI,3.00,USD\n2026-01-07,OpenAI,4.00,\n", encoding="utf-8")
    r = read_file(p, "usage")
    rep = r.report
    assert (rep.rows_imported, rep.rows_rejected) == (2, 1)
    assert rep.errors[0].row == 3 and rep.errors[0].column == "currency"
    assert "says USD but the amount column 'Amount (EUR)' says EUR" in rep.errors[0].message
    assert r.frame["currency"].tolist() == ["EUR", "EUR"]
