"""The fast lane's slices (issue 19): text dictionary-encoded as each slice is checked, the file
read slice by slice (not mapped), Arrow's freed memory given back, a messy slice read at most
twice, amounts past 12 integer digits read as the careful reader reads them."""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from desktop.domain import tables
from desktop.domain.results import ImportIssue
from desktop.ingest import fast, messy, read_file
from tests.ingest.test_fast import big_csv
from tests.ingest.test_fast_fallback import row, same_as_careful


@pytest.fixture
def parts(monkeypatch):
    """The checked slices of each fast-lane read."""
    seen: list = []
    real = fast._check_slice

    def spy(*a, **kw):
        got = real(*a, **kw)
        seen.append(got)
        return got

    monkeypatch.setattr(fast, "_check_slice", spy)
    return seen


def test_text_is_dictionary_encoded_per_slice_with_the_values_as_written(tmp_path, monkeypatch, parts):
    """Many slices, each with its own dictionary (a team only in the last rows); the frame's
    text columns are dictionary-encoded (Categorical) and hold, row by row, what a plain
    pyarrow read of the file holds."""
    monkeypatch.setattr(fast, "SLICE_BYTES", 64 << 10)
    extra = "".join(row(vendor="Anthropic").replace(",x\n", ",late\n") for _ in range(3))
    p = big_csv(tmp_path, extra_rows=extra, clean=True, teams=["search", "ads", "growth"])
    got = read_file(p)
    assert len(parts) > 10
    for part in parts:
        for name in ("vendor", "currency", "model", "team", "note"):
            assert pa.types.is_dictionary(part.table.schema.field(name).type), name
    # the slices' dictionaries differ (unified at the end)
    assert len({tuple(pt.table.column("note").chunk(0).dictionary.to_pylist()) for pt in parts}) > 1
    plain = pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.string() for c in ("vendor", "currency", "model", "team", "note")}))
    f = got.frame
    assert got.report.rows_imported == 20_004
    for name, col in (("vendor", "vendor"), ("currency", "currency"), ("model", "model"), ("team", "team")):
        assert tables.is_dictionary(f[name]), name
        assert f[name].astype(object).tolist() == plain.column(col).to_pylist(), name
    assert f["team"].iloc[-1] == "search" and set(f["team"].cat.categories) == {"search", "ads", "growth"}
    # the unmapped column is not in the canonical frame; what it says decides duplicates only
    assert got.report.duplicates_flagged == 1 + 2  # big_csv's own, and two of the three late rows


def test_a_slice_holds_codes_not_strings(tmp_path, monkeypatch, parts):
    """Checked slices keep their text as int32 codes into a few distinct values: less than half
    of what the same cells take as Arrow strings (as the slices held them before)."""
    p = big_csv(tmp_path, n=40_000, clean=True)
    read_file(p)
    text = ("vendor", "currency", "model", "team", "note")
    held = sum(pt.table.column(c).nbytes for pt in parts for c in text)
    as_strings = pacsv.read_csv(p, convert_options=pacsv.ConvertOptions(
        column_types={c: pa.large_string() for c in text}, include_columns=list(text))).nbytes
    assert held < as_strings / 2, (held, as_strings)


def test_the_file_is_read_not_mapped_and_arrow_memory_is_given_back(tmp_path, monkeypatch):
    p = big_csv(tmp_path, clean=True)
    released = []
    real_pool = pa.default_memory_pool

    class Pool:
        def __getattr__(self, name):
            return getattr(real_pool(), name)

        def release_unused(self):
            released.append(True)
            real_pool().release_unused()

    def no_map(*a, **kw):
        raise AssertionError("the fast lane maps the file (its pages stay resident)")

    monkeypatch.setattr(pa, "memory_map", no_map)
    monkeypatch.setattr(pa, "default_memory_pool", lambda: Pool())
    before = pa.total_allocated_bytes()
    got = read_file(p)
    assert got.report.rows_imported == 20_001 and got.report.format == "canonical-csv"
    assert released  # once the lane is done (mimalloc keeps what the slices freed)
    assert pa.total_allocated_bytes() - before < 1 << 20  # the frame is numpy and pandas: nothing left in Arrow


def test_a_messy_slice_is_read_twice_however_many_columns_are_messy(tmp_path, monkeypatch):
    """Date, quantity and amount messy in one slice: one typed read, then one read with the
    money/number/date/yes-no columns as text, typed by cast where clean (before: one read per
    failing column, four in all)."""
    reads = []
    real = pacsv.read_csv

    def spy(*a, **kw):
        reads.append(kw.get("convert_options"))
        return real(*a, **kw)

    monkeypatch.setattr(pacsv, "read_csv", spy)
    p = big_csv(tmp_path, extra_rows=row(date="11/14/2026", cost='"$1,234.50"', qty='"1,234"'), clean=True)
    r = same_as_careful(p, monkeypatch)
    assert len(reads) == 2  # the careful reader (same_as_careful) reads the file its own way
    f = r.frame.set_index("_row")
    assert f.loc[20_003, "date"] == pd.Timestamp("2026-11-14")
    assert f.loc[20_003, "cost"] == 1_234_500_000 and f.loc[20_003, "quantity"] == 1234.0


@pytest.mark.parametrize("kind, typ, values", [
    ("money", pa.decimal128(18, 6), ["12.5", " 5 ", "\t-5", "1e3", "+.5", "1.2345678", "1,000", "NaN", "",
                                     "999999999999.999999", "5\r", "\u00a05", "-"]),
    ("float", pa.float64(), ["1e5", " 5 ", "inf", "-0", "1,5", "nan", "NAN", "--5", "0x1p3", ""]),
    ("date", pa.timestamp("us"), ["2026-01-02", "2026-01-02 03:04", "2026-01-02T03", "2026-02-30",
                                  "2026-01-02T03:04:05Z", "  2026-01-02", "1/2/2026"]),
    ("date", pa.timestamp("us", tz="UTC"), ["2026-01-02T03:04:05Z", "2026-01-02T03:04:05+01:00", "2026-01-02"]),
    ("bool", pa.bool_(), ["true", "TRUE", "yes", "Y", "0", "", "N/A", " true", "tRue", "1.0"]),
])
def test_typed_from_text_reads_what_the_typed_read_reads(kind, typ, values):
    """fast._typed (a text column typed by cast) against pyarrow's CSV reader typing the same
    cell: the same value, or both refuse it."""
    def csv(column_type, v):
        data = f'x\n"{v}"\n'.encode()
        opts = pacsv.ConvertOptions(column_types={"x": column_type}, null_values=fast.NULLS,
                                    strings_can_be_null=True, quoted_strings_can_be_null=True,
                                    true_values=fast.TRUE, false_values=fast.FALSE)
        return pacsv.read_csv(io.BytesIO(data), convert_options=opts).column(0).combine_chunks()

    for v in values:
        try:
            want = csv(typ, v).to_pylist()
        except pa.ArrowInvalid:
            want = None
        got = fast._typed(csv(pa.large_string(), v), kind, typ)
        got = got.to_pylist() if got is not None else None
        if kind == "float" and want is not None and want[0] is not None and np.isnan(want[0]):
            assert got is not None and np.isnan(got[0]), v  # "NAN" (not a null spelling)
        else:
            assert got == want, v


def test_the_typed_reader_refuses_what_it_should():
    """Hand-picked: the cells pyarrow's CSV reader refuses (so _typed must too)."""
    text = pa.array(["12.5", "1,000"], pa.large_string())
    assert fast._typed(text, "money", pa.decimal128(18, 6)) is None
    assert fast._typed(pa.array(["yes", "ja"], pa.large_string()), "bool", pa.bool_()) is None
    assert fast._typed(pa.array(["yes", None, "N"], pa.large_string()), "bool", pa.bool_()).to_pylist() == \
        [True, None, False]
    assert fast._typed(pa.array([" 7.25 "], pa.large_string()), "money", pa.decimal128(18, 6)).to_pylist() == \
        [Decimal("7.250000")]


@pytest.mark.parametrize("cost, shown", [("1234567890123", "1234567890123"),
                                         ("-1234567890123.5", "-1234567890123.5"),
                                         ("123456789012345678", "123456789012345678")])
def test_an_amount_past_12_integer_digits_is_refused_as_the_careful_reader_refuses_it(
        tmp_path, monkeypatch, cost, shown):
    """pyarrow's CSV reader types 1234567890123 as decimal128(18, 6) (it checks the digits as
    written, not the micros; 123456789012345678 does not even fit int64 in micros); the
    careful reader allows 12 integer digits. Before, the fast lane imported the row (the last
    one with a wrapped-around amount)."""
    p = big_csv(tmp_path, extra_rows=row(cost=cost), clean=True)
    r = same_as_careful(p, monkeypatch)
    assert r.report.errors == (ImportIssue(20_003, "cost", "cannot read as an amount", shown),)
    assert r.report.rows_imported == 20_001
    assert np.abs(r.frame["cost"].to_numpy()).max() < 50_000_000


def test_plain_spellings_cast_at_once_the_others_read_the_careful_way():
    """messy.money / number / dates: the plain cells in one cast, the others (by hand below)
    the careful reader's way, each back in its place."""
    m = messy.money(pa.array(["12.5", "$1,234.50", "-3", "(2.25)", "", "abc", "0.000001", None], pa.large_string()))
    assert m.values.tolist()[:4] == [12_500_000, 1_234_500_000, -3_000_000, -2_250_000]
    assert m.values[6] == 1
    assert m.ok.tolist() == [True, True, True, True, False, False, True, False]
    assert m.blank.tolist() == [False, False, False, False, True, False, False, True]
    assert m.odd.tolist() == [False, True, False, True, False, True, False, False]  # compared as written
    assert m.currency.tolist() == [None, "USD", None, None, None, None, None, None]
    q = messy.number(pa.array(["3", '1,234', "12%", "x", "2.5"], pa.large_string()))
    assert q.values[[0, 1, 2, 4]].tolist() == [3.0, 1234.0, 12.0, 2.5] and q.ok.tolist() == [True, True, True, False, True]
    d = messy.dates(pa.array(["2026-03-01", "11/14/2026", "2026-03-02T10:00", "1500-01-01", "-"], pa.large_string()))
    assert d.values[0] == np.datetime64("2026-03-01") and d.values[2] == np.datetime64("2026-03-02")
    assert d.ok.tolist() == [True, False, True, False, False] and d.far.tolist() == [False, False, False, True, False]
    assert d.pending.tolist() == [1]  # 11/14/2026 waits for the file's day/month order
    assert d.odd.tolist() == [False, True, True, False, False] and d.blank.tolist() == [False] * 4 + [True]
    # a plain-looking day that does not exist: the whole column the careful way (and refused there)
    bad = messy.dates(pa.array(["2026-03-01", "2026-02-30"], pa.large_string()))
    assert bad.ok.tolist() == [True, False] and bad.pending.tolist() == [1]
