"""Messy values and messy files: spellings, per-file decisions, encodings, delimiters, headers,
totals, duplicates, currencies, synonyms and mapping profiles."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from desktop.ingest import MappingProfile, UnreadableFile, parse, read_file, signature, suggest_mapping


def S(*vals):
    return pd.Series(list(vals), dtype=object)


def write(tmp_path, name, text, encoding="utf-8"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


# --- parse ------------------------------------------------------------------------------------

def test_amount_spellings():
    vals = S("$1,234.56", "(123.45)", "-1,234", "USD 12.00", "12.00 USD", "€12", "1 234.5",
             "+7", "12.5-", "£ 3", "−4.5", "0.0000005", "", None, "twelve")
    m = parse.parse_money(vals, ".")
    assert m.micros[:12].tolist() == [1_234_560_000, -123_450_000, -1_234_000_000, 12_000_000,
                                      12_000_000, 12_000_000, 1_234_500_000, 7_000_000, -12_500_000,
                                      3_000_000, -4_500_000, 1]  # 0.5 micro rounds half-up
    assert m.ok.tolist() == [True] * 12 + [False, False, False]
    assert m.blank.tolist()[12:] == [True, True, False]
    assert list(m.currency[:6]) == ["USD", None, None, "USD", "USD", "EUR"]
    assert m.currency[9] == "GBP"


def test_amount_spellings_decimal_comma():
    m = parse.parse_money(S("1.234,56", "1 234,56", "-1.234", "12,5", "(0,99)", "1.234.567,8"), ",")
    assert m.micros.tolist() == [1_234_560_000, 1_234_560_000, -1_234_000_000, 12_500_000, -990_000,
                                 1_234_567_800_000]
    assert m.ok.all()


def test_decimal_decided_once_per_file():
    assert parse.decide_decimal([S("1.234", "12,5")])[0] == ","
    assert parse.decide_decimal([S("1,234", "0.5")])[0] == "."
    assert parse.decide_decimal([S("1.234", "5.678")])[0] is None  # undecidable
    assert parse.decide_decimal([S("1.234.567")])[0] == ","


def test_date_spellings():
    d = parse.parse_dates(S("2026-03-04", "2026-03-04T23:30:00-05:00", "2026-03-04T01:00:00+02:00",
                            "2026-03-04 10:00:00Z", "4 Mar 2026", "March 4, 2026", "04.03.2026",
                            "20260304", "46085", "4. März 2026", dt.datetime(2026, 3, 4, 9),
                            "2026/3/4", "", "31/02/2026"), order="DMY")
    days = pd.to_datetime(d.values)
    assert [str(x.date()) if not pd.isna(x) else None for x in days] == [
        "2026-03-04", "2026-03-05", "2026-03-03", "2026-03-04", "2026-03-04", "2026-03-04",
        "2026-03-04", "2026-03-04", "2026-03-04", "2026-03-04", "2026-03-04", "2026-03-04", None, None]
    assert d.ok.tolist() == [True] * 12 + [False, False]
    assert d.blank.tolist()[12:] == [True, False]


def test_excel_serials_both_date_systems():
    d = parse.parse_dates(pd.Series([46085.0, 46085.75]), date1904=False)
    assert [str(x)[:10] for x in d.values] == ["2026-03-04", "2026-03-04"]
    d = parse.parse_dates(pd.Series([44623.0]), date1904=True)
    assert str(d.values[0])[:10] == "2026-03-04"


def test_date_order_decided_once_per_file():
    assert parse.decide_date_order([S("03/04/2026", "13/04/2026")])[0] == "DMY"
    assert parse.decide_date_order([S("03/04/2026", "04/13/2026")])[0] == "MDY"
    assert parse.decide_date_order([S("03/04/2026")])[0] is None


# --- files: per-file decisions ----------------------------------------------------------------

def test_ambiguous_dates_use_file_evidence(tmp_path):
    p = write(tmp_path, "u.csv", "date,vendor,cost\n03/04/2026,OpenAI,1\n13/04/2026,OpenAI,2\n")
    f = read_file(p).frame
    assert f["date"].tolist() == [pd.Timestamp("2026-04-03"), pd.Timestamp("2026-04-13")]


def test_ambiguous_dates_default_warns_and_profile_decides(tmp_path):
    p = write(tmp_path, "u.csv", "date,vendor,cost\n03/04/2026,OpenAI,1\n05/06/2026,OpenAI,2\n")
    r = read_file(p)
    assert r.frame["date"].tolist()[0] == pd.Timestamp("2026-03-04")  # documented default MDY for "/"
    assert any("03/04/2026 could be day-first" in w for w in r.report.warnings)
    prof = MappingProfile.from_columns("eu", "usage", ["date", "vendor", "cost"],
                                       {"date": "date", "vendor": "vendor", "cost": "cost"},
                                       date_order="DMY")
    r2 = read_file(p, profile=prof)
    assert r2.frame["date"].tolist()[0] == pd.Timestamp("2026-04-03")
    assert not any("could be day-first" in w for w in r2.report.warnings)
    dotted = write(tmp_path, "d.csv", "date,vendor,cost\n03.04.2026,OpenAI,1\n")
    assert read_file(dotted).frame["date"].tolist() == [pd.Timestamp("2026-04-03")]  # dots: day-first


def test_ambiguous_thousands(tmp_path):
    p = write(tmp_path, "u.csv", "date;vendor;cost\n2026-01-01;OpenAI;1.234\n2026-01-02;OpenAI;2.500\n")
    r = read_file(p)
    assert r.report.delimiter == ";"
    assert r.frame["cost"].tolist() == [1_234_000, 2_500_000]  # '.' default
    assert any("1.234 or 1,234" in w for w in r.report.warnings)
    prof = MappingProfile(name="de", kind="usage", columns={"date": "date", "vendor": "vendor",
                                                             "cost": "cost"}, decimal=",")
    assert read_file(p, profile=prof).frame["cost"].tolist() == [1_234_000_000, 2_500_000_000]
    p2 = write(tmp_path, "v.csv", "date;vendor;cost\n2026-01-01;OpenAI;1.234\n2026-01-02;OpenAI;7,5\n")
    r2 = read_file(p2)
    assert r2.frame["cost"].tolist() == [1_234_000_000, 7_500_000]  # "7,5" settles ',' for the file
    assert not r2.report.warnings


def test_mixed_separators_reject_the_minority(tmp_path):
    p = write(tmp_path, "u.csv", 'date,vendor,cost\n2026-01-01,OpenAI,"1,234.50"\n'
                                 '2026-01-02,OpenAI,"2,000.25"\n2026-01-03,OpenAI,"3.000,75"\n')
    r = read_file(p)
    assert r.frame["cost"].tolist() == [1_234_500_000, 2_000_250_000]
    assert [(e.row, e.value) for e in r.report.errors] == [(4, "3.000,75")]
    assert any("mixed" in w for w in r.report.warnings)


# --- encodings and delimiters -------------------------------------------------------------------

@pytest.mark.parametrize("encoding,label", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"),
    ("utf-16", "utf-16 (BOM, little-endian)"), ("utf-16-le", "utf-16-le"),
])
def test_encodings_reported(tmp_path, encoding, label):
    text = "date,vendor,cost,team\n2026-01-01,OpenAI,€12,Müller\n2026-01-02,OpenAI,3,Zoë\n"
    p = write(tmp_path, "u.csv", text, encoding)
    r = read_file(p)
    assert r.report.encoding == label
    assert r.frame["team"].tolist() == ["Müller", "Zoë"]
    assert r.frame["currency"].tolist() == ["EUR", "USD"]


@pytest.mark.parametrize("delim", [",", ";", "\t", "|"])
def test_delimiters(tmp_path, delim):
    rows = [["date", "vendor", "cost", "model"], ["2026-01-01", "OpenAI", "1.50", "gpt-4o"],
            ["2026-01-02", "Anthropic", "2.25", "claude"]]
    p = write(tmp_path, "u.txt", "\n".join(delim.join(r) for r in rows) + "\n")
    r = read_file(p)
    assert r.report.delimiter == delim
    assert r.frame["cost"].tolist() == [1_500_000, 2_250_000]


def test_binary_junk_named_csv(tmp_path):
    p = tmp_path / "junk.csv"
    p.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(UnreadableFile, match="binary"):
        read_file(p)


# --- header, totals, duplicates ------------------------------------------------------------------

def test_header_below_title_and_blank_rows_with_totals(tmp_path):
    text = ("Monthly AI spend report\n"
            "Generated 2026-02-01\n"
            "\n"
            "Date,Vendor,Cost,Team\n"
            "2026-01-01,OpenAI,100.00,search\n"
            "\n"
            "2026-01-02,OpenAI,50.00,Total Rewards\n"
            "Subtotal,,150.00,\n"
            "2026-01-03,Anthropic,25.00,ads\n"
            "TOTAL,,175.00,\n")
    r = read_file(write(tmp_path, "report.csv", text))
    rep = r.report
    assert r.kind == "usage"
    assert r.frame["_row"].tolist() == [5, 7, 9]  # physical lines
    assert r.frame["team"].tolist() == ["search", "Total Rewards", "ads"]  # a team called Total...
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected, rep.totals_excluded) == (5, 3, 0, 2)
    assert any("rows 8, 10" in w for w in rep.warnings)


def test_duplicates_flagged_not_dropped(tmp_path):
    text = ("date,vendor,cost\n2026-01-01,OpenAI,1\n2026-01-01,OpenAI,1\n2026-01-02,OpenAI,1\n"
            "2026-01-01,OpenAI,1\n")
    r = read_file(write(tmp_path, "u.csv", text))
    assert r.report.rows_imported == 4
    assert r.report.duplicates_flagged == 2
    assert any("rows 3, 5" in w for w in r.report.warnings)


def test_xlsx_merged_header_cells_and_1904(tmp_path):
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904
    ws = wb.active
    ws["A1"] = "Usage by day"
    ws["A3"] = "Date"
    ws.merge_cells("A3:A4")  # vertically merged: label sits in row 3
    ws["B3"] = "Vendor"
    ws.merge_cells("B3:B4")
    ws["C3"] = "Cost"
    ws.merge_cells("C3:D3")  # group over Amount | Currency
    ws["C4"] = "Amount"
    ws["D4"] = "Currency"
    ws["A5"] = dt.date(2026, 3, 4)
    ws["A5"].number_format = "yyyy-mm-dd"
    ws["B5"], ws["C5"], ws["D5"] = "OpenAI", 10.5, "EUR"
    ws["A6"] = 44623  # a bare serial in the 1904 system = 2026-03-04
    ws["B6"], ws["C6"], ws["D6"] = "OpenAI", 1.25, "USD"
    p = tmp_path / "merged.xlsx"
    wb.save(p)
    r = read_file(p, "usage")
    f = r.frame
    assert f["date"].tolist() == [pd.Timestamp("2026-03-04")] * 2
    assert f["cost"].tolist() == [10_500_000, 1_250_000]
    assert f["currency"].tolist() == ["EUR", "USD"]
    assert f["_row"].tolist() == [5, 6]


def test_currency_kept_per_row(tmp_path):
    text = "date,vendor,cost,currency\n2026-01-01,OpenAI,10,EUR\n2026-01-01,OpenAI,20,usd\n" \
           "2026-01-01,OpenAI,€5,USD\n2026-01-01,OpenAI,7,Dollars\n"
    r = read_file(write(tmp_path, "u.csv", text))
    assert r.frame["currency"].tolist() == ["EUR", "USD"]
    assert [(e.row, e.column) for e in r.report.errors] == [(4, "cost"), (5, "currency")]


# --- synonyms and profiles ---------------------------------------------------------------------

def test_german_headers_mapped_by_synonyms(tmp_path):
    text = ("Datum;Anbieter;Betrag;Währung;Kostenstelle\n"
            "04.03.2026;OpenAI;1.234,50;EUR;4711\n"
            "05.03.2026;Anthropic;99,99;EUR;4712\n")
    r = read_file(write(tmp_path, "kosten.csv", text, "cp1252"))
    rep = r.report
    assert (r.kind, rep.format) == ("usage", "mapped")
    assert "Betrag -> cost" in rep.format_reason
    assert r.frame["cost"].tolist() == [1_234_500_000, 99_990_000]
    assert r.frame["date"].tolist() == [pd.Timestamp("2026-03-04"), pd.Timestamp("2026-03-05")]
    assert r.frame["cost_center"].tolist() == ["4711", "4712"]


@pytest.mark.parametrize("header,expect", [
    (["Fecha", "Proveedor", "Importe"], {"Fecha": "date", "Proveedor": "vendor", "Importe": "cost"}),
    (["Date", "Fournisseur", "Montant"], {"Date": "date", "Fournisseur": "vendor", "Montant": "cost"}),
    (["Datum", "Anbieter", "Kosten"], {"Datum": "date", "Anbieter": "vendor", "Kosten": "cost"}),
])
def test_suggestions_in_several_languages(header, expect):
    assert suggest_mapping(header, "usage") == expect


def test_profile_roundtrip_and_signature_applies_itself(tmp_path):
    text = "Day of use,Supplier name,Spend (net),Cur\n2026-01-01,OpenAI,5,USD\n"
    p = write(tmp_path, "odd.csv", text)
    with pytest.raises(UnreadableFile) as ei:
        read_file(p, "usage")
    assert "missing required column" in str(ei.value)
    cols = ["Day of use", "Supplier name", "Spend (net)", "Cur"]
    prof = MappingProfile.from_columns("Odd ERP", "usage", cols, {
        "Day of use": "date", "Supplier name": "vendor", "Spend (net)": "cost", "Cur": "currency"})
    d = prof.to_dict()
    assert MappingProfile.from_dict(d) == prof
    assert d["signature"] == signature([" cur", "SPEND (NET)", "day of use", "supplier name"])
    r = read_file(p, profiles=[d])  # recognised by its shape, no kind given
    assert r.report.format == "profile:Odd ERP"
    assert r.frame["cost"].tolist() == [5_000_000]
    with pytest.raises(ValueError):
        MappingProfile.from_dict({"name": "x", "kind": "usage", "columns": {"a": "nope"}})


def test_profile_vendor_for_single_vendor_export(tmp_path):
    p = write(tmp_path, "e.csv", "Date,Amount\n2026-01-01,5\n")
    prof = MappingProfile.from_columns("Mistral export", "usage", ["Date", "Amount"],
                                       {"Date": "date", "Amount": "cost"}, vendor="Mistral",
                                       currency="EUR")
    r = read_file(p, profile=prof)
    assert r.frame["vendor"].tolist() == ["Mistral AI"]
    assert r.frame["currency"].tolist() == ["EUR"]
