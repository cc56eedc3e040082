"""QA notes N9-N12 and the ingest part of B24 (/work/team/qa-bugs.md); values checked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from desktop.ingest import UnreadableFile, parse, read_file
from desktop.ingest.build import line_type_of


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# ------------------------------------------------------------------ N9: word dates with a time

@pytest.mark.parametrize("raw, day", [
    ("Feb 4, 2026, 12:00:00 AM", dt.date(2026, 2, 4)),  # Looker / Google Sheets export
    ("Feb 4, 2026, 11:59:59 PM", dt.date(2026, 2, 4)),
    ("February 4, 2026, 9:15 AM", dt.date(2026, 2, 4)),
    ("Feb 4, 2026 13:45:10", dt.date(2026, 2, 4)),
    ("4 Feb 2026, 23:30", dt.date(2026, 2, 4)),
    # with a zone: the UTC day. 23:30 at -05:00 is 04:30 UTC on the 5th; 01:00 at +05:30 is
    # 19:30 UTC on the 3rd
    ("Feb 4, 2026, 11:30 PM -05:00", dt.date(2026, 2, 5)),
    ("4 Feb 2026, 01:00 +05:30", dt.date(2026, 2, 3)),
    ("Feb 4, 2026, 11:30 PM UTC", dt.date(2026, 2, 4)),
])
def test_word_dates_with_a_time_part(raw, day):
    assert parse._parse_date_str(raw, "MDY", False) == day


@pytest.mark.parametrize("raw", ["Feb 4, 2026, 25:00:00", "Feb 4, 2026, 13:00 PM",
                                 "Feb 30, 2026, 12:00:00 AM", "Foo 4, 2026, 12:00:00 AM"])
def test_word_dates_with_an_impossible_time_or_day_are_rejected(raw):
    try:
        got = parse._parse_date_str(raw, "MDY", False)
    except ValueError:
        got = None
    assert got is None


def test_looker_export_imports(tmp_path):
    p = write(tmp_path, "u.csv", 'date,vendor,cost\n"Feb 4, 2026, 12:00:00 AM",OpenAI,1.25\n'
              '"Feb 5, 2026, 12:00:00 AM",OpenAI,2.50\n')
    r = read_file(p)
    assert r.report.rows_rejected == 0
    assert r.frame["date"].tolist() == [pd.Timestamp("2026-02-04"), pd.Timestamp("2026-02-05")]
    assert r.frame["cost"].tolist() == [1_250_000, 2_500_000]


# ------------------------------------------------------------------ N10: the file's own example

def test_ambiguous_date_warning_quotes_the_files_value_and_row(tmp_path):
    # row 2 (13/...) is absent: nothing settles the order; the first ambiguous value is in row 3
    p = write(tmp_path, "u.csv", "date,vendor,cost\n2026-02-01,OpenAI,1\n2/3/2026,OpenAI,2\n"
              "5/6/2026,OpenAI,3\n")
    r = read_file(p)
    w = [x for x in r.report.warnings if "day-first or month-first" in x]
    assert len(w) == 1
    assert "2/3/2026" in w[0] and "row 3" in w[0] and "'date'" in w[0]
    assert "03/04/2026" not in w[0]
    assert r.frame["date"].tolist()[1] == pd.Timestamp("2026-02-03")  # month/day/year default


def test_ambiguous_date_warning_names_the_source_column_and_skips_unambiguous(tmp_path):
    # 1/1/2026 reads the same both ways; 7/8/2026 (row 4) does not
    p = write(tmp_path, "u.csv", "Usage Date,vendor,cost\n1/1/2026,OpenAI,1\n1/1/2026,OpenAI,2\n"
              "7/8/2026,OpenAI,3\n")
    w = [x for x in read_file(p).report.warnings if "day-first or month-first" in x]
    assert len(w) == 1 and "7/8/2026" in w[0] and "row 4" in w[0] and "'Usage Date'" in w[0]


# ------------------------------------------------------------------ N11: CR / DR amounts

@pytest.mark.parametrize("raw, micros", [
    ("123.45 CR", -123_450_000),
    ("123.45CR", -123_450_000),
    ("CR 123.45", -123_450_000),
    ("123.45 cr", -123_450_000),
    ("200.00 DR", 200_000_000),
    ("DR 200.00", 200_000_000),
    ("1,234.56 CR", -1_234_560_000),
    ("$0.000001 CR", -1),
])
def test_credit_and_debit_markers(raw, micros):
    mc = parse.parse_money(pd.Series([raw], dtype=object))
    assert mc.ok.tolist() == [True]
    assert mc.micros.tolist() == [micros]


@pytest.mark.parametrize("raw", ["-123.45 CR", "(123.45) CR", "123.45- DR", "CR", "DR -5",
                                 "5% CR", "CR USD 5"])
def test_a_marker_with_a_sign_is_refused(raw):
    assert parse.parse_money(pd.Series([raw], dtype=object)).ok.tolist() == [False]


def test_cr_is_not_a_currency_code():
    # CRC (Costa Rican colon) stays a currency code, not a credit marker
    t = parse.tokenize_number("100 CRC")
    assert t is not None and not t.negative and t.currency == "CRC"


def test_erp_export_with_cr_dr_sums_exactly(tmp_path):
    p = write(tmp_path, "u.csv", "date,vendor,cost\n2026-02-01,OpenAI,200.00 DR\n"
              "2026-02-02,OpenAI,123.45 CR\n2026-02-03,OpenAI,0.10 DR\n")
    r = read_file(p)
    assert r.report.rows_rejected == 0
    # 200.00 - 123.45 + 0.10 = 76.65 exactly
    assert Decimal(int(r.frame["cost"].sum())) / Decimal(1_000_000) == Decimal("76.65")


# ------------------------------------------------------------------ B24: line_type spellings

@pytest.mark.parametrize("raw, want", [
    ("Credit Memo", "credit"), ("credit memo", "credit"), ("Credit note", "credit"),
    ("CREDIT-NOTE", "credit"), ("Refund", "credit"), ("Discount", "credit"),
    ("Sales tax", "tax"), ("Sales_Tax", "tax"), ("VAT", "tax"), ("GST", "tax"),
    ("Adjustment", "adjustment"), ("Adj", "adjustment"), ("Adj.", "adjustment"),
    ("True-up", "true_up"), ("true up", "true_up"), ("True_Up", "true_up"),
    ("Usage", "usage"), ("Commitment", "commitment"),
])
def test_line_type_spellings(raw, want):
    assert line_type_of(raw) == want


def test_invoice_credit_memo_line_is_read_as_credit(tmp_path):
    p = write(tmp_path, "inv.csv", "invoice_id,vendor,invoice_date,period_start,period_end,description,"
              "amount,line_type\nI1,OpenAI,2026-03-01,2026-02-01,2026-02-28,usage,100.00,usage\n"
              "I1,OpenAI,2026-03-01,2026-02-01,2026-02-28,credit,-10.00,Credit Memo\n"
              "I1,OpenAI,2026-03-01,2026-02-01,2026-02-28,tax,8.00,Sales tax\n"
              "I1,OpenAI,2026-03-01,2026-02-01,2026-02-28,x,1.00,Bogus\n")
    r = read_file(p, "invoices")
    assert r.frame["line_type"].tolist() == ["usage", "credit", "tax"]
    assert [(e.row, e.value) for e in r.report.errors] == [(5, "Bogus")]


# ------------------------------------------------------------------ N12: unknown layout message

def test_unknown_layout_message_serves_app_and_command_line(tmp_path):
    p = write(tmp_path, "x.csv", "foo,bar\n1,2\n")
    with pytest.raises(UnreadableFile) as e:
        read_file(p)
    msg = str(e.value)
    assert "import dialog" not in msg
    assert "import wizard" in msg and "mapping profile" in msg and "--kind" in msg
