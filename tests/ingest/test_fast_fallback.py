"""Messy cells in a big usage CSV cost only their slice and column (issue 19, per-slice
fallback): the fast lane keeps its typed slices, reads the failing column of the failing slice
as text (desktop/ingest/messy.py) and gives the careful reader's frame and report, rejections
(row, column, message, value) included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from desktop.domain import tables
from desktop.domain.results import ImportIssue
from desktop.ingest import fast, messy, read_file
from tests.ingest.test_fast import big_csv, careful

ROW = "2026-03-01,OpenAI,{cost},{cur},gpt-4o,search,{qty},{elig},x\n"


def row(cost="12.500000", cur="USD", qty="1", elig="true", date="2026-03-01", vendor="OpenAI"):
    return ROW.format(cost=cost, cur=cur, qty=qty, elig=elig).replace("2026-03-01,OpenAI", f"{date},{vendor}", 1)


@pytest.fixture
def lanes(monkeypatch):
    """What each fast-lane attempt returned (False: the careful reader took over), and which
    columns messy.py read as text."""
    seen = {"lane": [], "columns": []}
    real, real_read = fast.read_usage, messy.read

    def spy(*a, **kw):
        got = real(*a, **kw)
        seen["lane"].append(got is not None)
        return got

    def read_spy(kind, arr):
        seen["columns"].append(kind)
        return real_read(kind, arr)

    monkeypatch.setattr(fast, "read_usage", spy)
    monkeypatch.setattr(messy, "read", read_spy)
    return seen


def same_as_careful(path, monkeypatch):
    quick = read_file(path)
    slow = careful(path, monkeypatch)
    pd.testing.assert_frame_equal(quick.frame, slow.frame)
    pd.testing.assert_frame_equal(tables.conform(quick.frame, "usage"), quick.frame)
    for f in ("rows_read", "rows_imported", "rows_rejected", "totals_excluded", "duplicates_flagged",
              "errors", "warnings"):
        assert getattr(quick.report, f) == getattr(slow.report, f), f
    return quick


MESSY = {
    "dollar": row(cost='"$1,234.50"'),
    "parentheses": row(cost="(12.00)"),
    "negative dollar": row(cost="-$5"),
    "thousands": row(cost='"1,234,567.125"'),
    "more decimals than micros": row(cost="1.23456789"),
    "no currency but the amount's": row(cost='"$1,234.50"', cur=""),
    "amount and currency column disagree": row(cost='"$1,234.50"', cur="EUR"),
    "unreadable amount": row(cost="$5.00 extra"),
    "percent amount": row(cost="5%"),
    "blank amount": row(cost=""),
    "blank amount spelled -": row(cost="-"),
    "month-first dates": row(date="11/14/2026") + row(date="03/04/2026"),
    "day-first dates": row(date="14/11/2026") + row(date="03/04/2026"),
    "a date with a zone": row(date="2026-03-01T23:30:00-05:00"),
    "no such day": row(date="2026-02-30"),
    "date out of range": row(date="1500-01-01"),
    "blank date": row(date=""),
    "word date": row(date="4 Mar 2026"),
    "quantity with thousands and percent": row(qty='"1,234"') + row(qty="12%") + row(qty="(3)"),
    "unreadable quantity": row(qty="abc"),
    "yes/no spellings": row(elig="ja") + row(elig="maybe"),
    "blank vendor": row(vendor=""),
    "two problems in one row": row(cost="abc", date="nope"),
    "messy duplicates": row(cost='"$1,234.50"') * 2 + row(cost="1234.500000"),
    "many messy cells": "".join(row(cost=f"${i}.00") for i in range(50)),
}


@pytest.mark.parametrize("name", list(MESSY))
def test_messy_cells_stay_in_the_fast_lane_and_read_like_the_careful_reader(tmp_path, monkeypatch, lanes, name):
    p = big_csv(tmp_path, extra_rows=MESSY[name], clean=True)
    same_as_careful(p, monkeypatch)
    assert lanes["lane"] == [True]  # the fast lane answered (it gave up on all of these before)
    # ... by reading a column of the messy slice as text (a blank vendor is rejected as it is read)
    assert bool(lanes["columns"]) is (name != "blank vendor")


def test_hand_written_expectations(tmp_path, monkeypatch, lanes):
    extra = (row(cost='"$1,234.50"') + row(cost="(12.00)") + row(cost='"1,234,567.125"', cur="EUR")
             + row(cost='"$7.00"', cur="") + row(date="11/14/2026", qty='"1,234"') + row(qty="12%")
             + row(cost="abc") + row(cost='"$3.00"', cur="EUR") + row(date="2026-02-30") + row(cost=""))
    p = big_csv(tmp_path, extra_rows=extra, clean=True)
    r = same_as_careful(p, monkeypatch)
    f = r.frame.set_index("_row")
    first = 20_003  # big_csv: header, 20,000 rows and a duplicate, then ours
    assert f.loc[first, "cost"] == 1_234_500_000 and f.loc[first, "currency"] == "USD"
    assert f.loc[first + 1, "cost"] == -12_000_000
    assert f.loc[first + 2, "cost"] == 1_234_567_125_000 and f.loc[first + 2, "currency"] == "EUR"
    assert f.loc[first + 3, "cost"] == 7_000_000 and f.loc[first + 3, "currency"] == "USD"  # from the "$"
    assert f.loc[first + 4, "date"] == pd.Timestamp("2026-11-14") and f.loc[first + 4, "quantity"] == 1234.0
    assert f.loc[first + 5, "quantity"] == 12.0
    assert r.report.errors == (
        ImportIssue(first + 6, "cost", "cannot read as an amount", "abc"),
        ImportIssue(first + 7, "cost", "the amount names a different currency than the currency column", None),
        ImportIssue(first + 8, "date", "cannot read as a date", "2026-02-30"),
        ImportIssue(first + 9, "cost", "required value is empty", None),
    )
    assert r.report.rows_rejected == 4 and r.report.rows_read == 20_001 + 10
    assert first + 6 not in f.index


def test_only_the_failing_slice_and_column_are_read_as_text(tmp_path, monkeypatch, lanes):
    """With 64 KiB slices the file has ~20 of them; one messy amount re-reads one column of
    one slice."""
    monkeypatch.setattr(fast, "SLICE_BYTES", 64 << 10)
    p = big_csv(tmp_path, extra_rows=row(cost='"$1,234.50"'), clean=True)
    text = p.read_text().splitlines(keepends=True)
    text.insert(5_000, row(date="11/14/2026"))  # and a date in another slice
    p.write_text("".join(text))
    same_as_careful(p, monkeypatch)
    assert lanes["lane"] == [True]
    assert sorted(lanes["columns"]) == ["date", "money"]


@pytest.mark.parametrize("extra", [row(cost='"12,5"'),  # a decimal comma: the file-wide vote decides
                                   "Total,,999.00,USD,,,,,\n",  # a totals row is left out, not rejected
                                   row(date="03/04/2026")])  # day or month first: undecided
def test_what_only_the_careful_reader_decides_goes_to_it(tmp_path, monkeypatch, lanes, extra):
    p = big_csv(tmp_path, extra_rows=extra, clean=True)
    same_as_careful(p, monkeypatch)
    assert lanes["lane"] == [False]


def test_messy_money_spellings_read_vectorised():
    cells = messy.money(pa.array(["$1,234.50", "(12.00)", "-$5", "($5)", "1,234", "12.5", "", None, "N/A",
                                  "5%", "abc", "1.2345675", "(12.00", "US$ 3"]))
    assert cells.values[:6].tolist() == [1_234_500_000, -12_000_000, -5_000_000, -5_000_000,
                                         1_234_000_000, 12_500_000]
    assert cells.ok.tolist() == [True] * 6 + [False] * 5 + [True, False, True]
    assert cells.blank.tolist() == [False] * 6 + [True, True, True] + [False] * 5
    assert cells.values[11] == 1_234_568  # half-up to micros, as the careful reader rounds
    assert cells.values[13] == 3_000_000
    assert list(cells.currency[[0, 2, 3, 13]]) == ["USD"] * 4 and cells.currency[1] is None
    assert cells.odd.tolist() == [True] * 5 + [False] + [False] * 3 + [True] * 5


def test_messy_numbers_dates_and_yes_no():
    n = messy.number(pa.array(["1,234", "12%", "(3)", "-2.5", "1e3", "abc", ""]))
    assert n.values[:5].tolist() == [1234.0, 12.0, -3.0, -2.5, 1000.0]
    assert n.ok.tolist() == [True] * 5 + [False, False] and n.blank.tolist() == [False] * 6 + [True]
    d = messy.dates(pa.array(["2026-03-01", "2026-03-01 10:30", "2026-02-30", "11/14/2026", "1500-01-01", ""]))
    messy.finish_dates(d, messy.date_order([d]))
    assert d.values[[0, 1, 3]].tolist() == [pd.Timestamp("2026-03-01").value, pd.Timestamp("2026-03-01").value,
                                            pd.Timestamp("2026-11-14").value]
    assert d.ok.tolist() == [True, True, False, True, False, False]
    assert d.far.tolist() == [False] * 4 + [True, False]
    b = messy.boolean(pa.array(["ja", "no", "maybe", ""]))
    assert b.values[:2].tolist() == [True, False] and b.ok.tolist() == [True, True, False, False]


def test_day_month_order_is_decided_from_every_numeric_date_of_the_file():
    a = messy.dates(pa.array(["03/04/2026"]))
    b = messy.dates(pa.array(["14/11/2026"]))  # another slice settles it: day first
    assert messy.date_order([a, b]) == "DMY"
    messy.finish_dates(a, "DMY")
    assert a.values[0] == np.datetime64("2026-04-03", "ns")
    with pytest.raises(messy.GiveUp):
        messy.date_order([messy.dates(pa.array(["03/04/2026"]))])  # alone: undecided (the careful reader warns)
