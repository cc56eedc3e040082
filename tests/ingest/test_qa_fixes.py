"""Fixes for the QA findings of /work/team/qa-bugs.md (B1, B5, B6, B12) and the GUI engineer's
requests (a public header peek; delimiter sniffing below a title with a comma)."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

import numpy as np
import openpyxl
import pandas as pd
import pytest

from desktop.domain import tables
from desktop.ingest import (
    Limits,
    UnreadableFile,
    UnsafeFile,
    fast,
    mapping,
    read_file,
    reader,
    safety,
    sniff,
    source_columns,
    source_header,
)

# ------------------------------------------------------------------ B1: wide CSV, linear mapping


def test_very_wide_csv_refused_before_mapping(tmp_path, monkeypatch):
    p = tmp_path / "wide.csv"
    p.write_text(",".join(f"c{i}" for i in range(20_000)) + "\n" + ",".join("1" * 20_000) + "\n")
    calls = []
    monkeypatch.setattr(mapping, "suggest_mapping", lambda *a: calls.append(a) or {})
    with pytest.raises(UnsafeFile) as e:
        read_file(p)
    # the header line is longer than the 64 KiB sample: its width there is a lower bound
    assert "at least" in str(e.value) and "the limit is 1,024 columns" in str(e.value)
    assert e.value.file == "wide.csv"
    assert calls == []  # refused before any mapping work


def test_wide_csv_within_the_sample_names_its_width(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text("date,vendor,cost," + ",".join(f"c{i}" for i in range(2_000)) + "\n"
                 "2026-02-01,OpenAI,1.00," + ",".join("1" for _ in range(2_000)) + "\n")
    with pytest.raises(UnsafeFile, match=r"the table has 2,003 columns; the limit is 1,024 columns"):
        read_file(p, "usage")


def test_wide_header_longer_than_the_sample_is_measured_after_reading(tmp_path):
    """1,100 columns with 70-character names: the 64 KiB sample holds fewer than 1,024 of
    them, the parsed header has them all and is refused before the mapping."""
    names = [f"{'x' * 64}_{i:05d}" for i in range(1_100)]
    p = tmp_path / "long.csv"
    p.write_text("date,vendor,cost," + ",".join(names) + "\n2026-02-01,OpenAI,1.00" + "," * 1_100 + "\n")
    with pytest.raises(UnsafeFile, match=r"the table has 1,103 columns; the limit is 1,024"):
        read_file(p)


def test_column_limit_is_the_limits_field(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text("date,vendor,cost,team,project\n2026-02-01,OpenAI,1.00,Search,P\n")
    assert read_file(p, limits=Limits(max_cols=5)).report.rows_imported == 1
    with pytest.raises(UnsafeFile, match="the limit is 4 columns"):
        read_file(p, limits=Limits(max_cols=4))
    with pytest.raises(UnsafeFile, match="the limit is 4 columns"):
        source_columns(p, limits=Limits(max_cols=4))


def _suggest_reference(columns: list[str], kind: str) -> dict[str, str]:
    """The original (quadratic) algorithm, kept here as the specification."""
    spec = tables.SPECS[kind]
    out = mapping.canonical_mapping(columns, kind)
    taken = set(out.values())
    normed = {c: sniff.norm_name(c) for c in columns if c not in out}
    for col in spec.columns:
        if col.name in taken:
            continue
        for syn in (sniff.norm_name(s) for s in mapping.SYNONYMS.get(col.name, ())):
            hit = next((c for c, k in normed.items() if k == syn and c not in out), None)
            if hit is None:
                hit = next((c for c, k in normed.items() if c not in out and len(syn) >= 4
                            and (k.startswith(syn + "_") or k.endswith("_" + syn))), None)
            if hit is not None:
                out[hit] = col.name
                taken.add(col.name)
                break
    return out


def test_suggest_mapping_equals_the_reference_on_random_headers():
    rng = random.Random(11)
    words = sorted({s for syns in mapping.SYNONYMS.values() for s in syns} | set(tables.USAGE.names))
    deco = ["", " (EUR)", "_usd", "Total ", "net_", " 2026", "__", " in EUR"]
    for _ in range(300):
        cols = []
        for _ in range(rng.randint(1, 14)):
            w = rng.choice(words)
            c = rng.choice(deco) + w if rng.random() < 0.3 else w + rng.choice(deco)
            if rng.random() < 0.2:
                c = c.upper()
            if c not in cols:
                cols.append(c)
        for kind in tables.SPECS:
            assert mapping.suggest_mapping(cols, kind) == _suggest_reference(cols, kind), (cols, kind)


def test_suggest_mapping_rules_by_hand():
    cols = ["Betrag (EUR)", "Datum", "Kosten", "Anbieter", "Abteilung", "Kostenstelle"]
    assert mapping.suggest_mapping(cols, "usage") == {
        "Datum": "date", "Anbieter": "vendor", "Kosten": "cost", "Abteilung": "team",
        "Kostenstelle": "cost_center"}
    # exact beats decorated for one synonym; the leftmost of two exact names wins
    assert mapping.suggest_mapping(["amount_usd", "Amount", "amount", "date", "vendor"], "usage") == {
        "Amount": "cost", "date": "date", "vendor": "vendor"}
    # decorated on either side ("cost_usd_total": no, "total_cost" is itself a synonym)
    assert mapping.suggest_mapping(["usage_date_utc", "supplier", "net_spend"], "usage") == {
        "usage_date_utc": "date", "supplier": "vendor", "net_spend": "cost"}


def test_suggest_mapping_on_20000_columns_finds_the_three():
    cols = [f"c{i}" for i in range(20_000)] + ["Datum", "Anbieter", "Betrag"]
    assert mapping.suggest_mapping(cols, "usage") == {"Datum": "date", "Anbieter": "vendor", "Betrag": "cost"}


# ------------------------------------------------------------------ B5: scientific notation

def test_scientific_notation_amounts_careful_lane(tmp_path):
    p = tmp_path / "sci.csv"
    p.write_text("date,vendor,cost,team,quantity\n"
                 "2026-02-01,OpenAI,1.5E-02,Search,1E3\n"
                 "2026-02-02,OpenAI,2.5e+03,Search,2.5e1\n"
                 "2026-02-03,OpenAI,-1.5E-05,Search,1\n"
                 "2026-02-04,OpenAI,5E-07,Search,1\n"  # half a micro: half-up to 1 micro
                 "2026-02-05,OpenAI,1.25E-07,Search,1\n"  # 0.125 micro -> 0
                 "2026-02-06,OpenAI,USD 3.0E+00,Search,1\n"
                 "2026-02-07,OpenAI,(1E-02),Search,1\n"
                 "2026-02-08,OpenAI,1.00,Search,1\n"
                 "2026-02-09,OpenAI,1.5E+13,Search,1\n")  # 15 trillion: too large, like 15000000000000
    r = read_file(p)
    assert r.frame["cost"].tolist() == [15_000, 2_500_000_000, -15, 1, 0, 3_000_000, -10_000, 1_000_000]
    assert r.frame["quantity"].tolist() == [1000.0, 25.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert [(e.row, e.column, e.value) for e in r.report.errors] == [(10, "cost", "1.5E+13")]


def test_scientific_notation_with_decimal_comma(tmp_path):
    p = tmp_path / "sci_de.csv"
    p.write_text("Datum;Anbieter;Betrag\n01.02.2026;OpenAI;1,5E-02\n02.02.2026;OpenAI;1.234,50\n"
                 "03.02.2026;OpenAI;1.5E-02\n")
    r = read_file(p)
    assert r.report.delimiter == ";"
    assert r.frame["cost"].tolist() == [15_000, 1_234_500_000]
    # a '.' mantissa in a decimal-comma file is spelled the other way: rejected, never guessed
    assert [(e.row, e.value) for e in r.report.errors] == [(4, "1.5E-02")]


def _sci_csv(path, values: list[str], n: int):
    rng = np.random.default_rng(5)
    lines = ["date,vendor,cost,team"]
    for i in range(n):
        lines.append(f"2026-02-{1 + i % 28:02d},OpenAI,{values[i % len(values)]},t{rng.integers(0, 9)}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("values", [
    ["1.5E-02", "2.5e+03", "1.00", "3E0"],  # exact in micros: the fast lane takes them
    # finer than a micro: pyarrow's typed read refuses them, the fast lane reads that column
    # of those slices the careful reader's way (per-slice fallback, issue 19)
    ["1.5E-02", "1.25E-07", "7.5E-07"],
])
def test_all_lanes_agree_on_scientific_notation(tmp_path, monkeypatch, values):
    p = _sci_csv(tmp_path / "big.csv", values, 40_000)
    assert p.stat().st_size >= fast.MIN_BYTES
    took = []
    real = fast.read_usage
    monkeypatch.setattr(fast, "read_usage", lambda *a, **k: took.append(r := real(*a, **k)) or r)
    quick = read_file(p)
    with monkeypatch.context() as m:  # the middle lane: pyarrow reads text, the checks run
        m.setattr(fast, "eligible", lambda size, info: False)
        mid = read_file(p)
    with monkeypatch.context() as m:  # the careful lane: the stdlib csv reader
        m.setattr(fast, "MIN_BYTES", 1 << 60)
        slow = read_file(p)
    assert took[0] is not None  # the fast lane answered
    for other in (mid, slow):
        pd.testing.assert_frame_equal(quick.frame, other.frame)
        assert (other.report.rows_imported, other.report.rows_rejected) == (40_000, 0)
    expect = {"1.5E-02": 15_000, "2.5e+03": 2_500_000_000, "1.00": 1_000_000, "3E0": 3_000_000,
              "1.25E-07": 0, "7.5E-07": 1}
    total = sum(expect[values[i % len(values)]] for i in range(40_000))
    assert int(quick.frame["cost"].sum()) == total


# ------------------------------------------------------------------ B6: percent-formatted cells

def _contracts_xlsx(path, fmt="0%", offset=0, title=False, header=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    head = header or ["contract_id", "vendor", "period_start", "period_end", "commitment", "discount_pct",
                      "overage_multiplier", "shortfall_penalty_pct", "rollover_pct"]
    rows = []
    if title:
        rows += [["Contracts (exported 2026-07-01)"], []]
    rows.append(head)
    rows.append(["C1", "OpenAI", dt.datetime(2026, 1, 1), dt.datetime(2026, 6, 30), 100000, 0.12, 1.25, 1.0, 0.25])
    rows.append(["C1", "OpenAI", dt.datetime(2026, 7, 1), dt.datetime(2026, 12, 31), 100000, 0.07, 1.25, 0.5, 25])
    rows.append(["C2", "Anthropic", dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), 50000, "10%", 1.0, 1, 0])
    for r, vals in enumerate(rows, start=1):
        for j, v in enumerate(vals):
            ws.cell(row=r, column=j + 1 + offset, value=v)
    first = len(rows) - 2  # the first data row (1-based)
    # C1's first period typed as percentages: 12%, 100%, 25%; its second period: 7% and 50%
    # as percent, the rollover typed as the number 25 in a General cell
    for r in (first, first + 1):
        for j in (5, 7, 8):
            c = ws.cell(row=r, column=j + 1 + offset)
            if not (r == first + 1 and j == 8):
                c.number_format = fmt
    wb.save(path)
    return path


@pytest.mark.parametrize("fmt", ["0%", "0.00%", '#,##0.0%;[Red]-#,##0.0%'])
def test_percent_formatted_cells_read_as_percentages(tmp_path, fmt):
    r = read_file(_contracts_xlsx(tmp_path / "c.xlsx", fmt), "commitments")
    f = r.frame
    assert f["discount_pct"].tolist() == [12.0, 7.0, 10.0]  # 0.07 * 100 exactly 7.0
    assert f["shortfall_penalty_pct"].tolist() == [100.0, 50.0, 1.0]  # C2's 1 is General: 1 %
    assert f["rollover_pct"].tolist() == [25.0, 25.0, 0.0]
    assert r.report.rows_rejected == 0


def test_percent_cells_below_a_title_and_right_of_empty_columns(tmp_path):
    p = _contracts_xlsx(tmp_path / "c.xlsx", offset=2, title=True,
                        header=["Vertrag", "Anbieter", "Beginn", "Ende", "Verpflichtung", "Rabatt",
                                "overage_multiplier", "shortfall_penalty", "rollover"])
    r = read_file(p, "commitments")
    assert r.report.format == "mapped"
    assert r.frame["_row"].tolist() == [4, 5, 6]
    assert r.frame["discount_pct"].tolist() == [12.0, 7.0, 10.0]
    assert r.frame["rollover_pct"].tolist() == [25.0, 25.0, 0.0]


def test_general_cells_keep_their_numbers(tmp_path):
    p = _contracts_xlsx(tmp_path / "c.xlsx", fmt="General")
    f = read_file(p, "commitments").frame
    assert f["discount_pct"].tolist() == [0.12, 0.07, 10.0]
    assert f["rollover_pct"].tolist() == [0.25, 25.0, 0.0]


def test_percent_format_rules():
    yes = ["0%", "0.00%", "[Red]0.0%", "0.0%;-0.0%", "#,##0%"]
    no = ["General", "0.00", '"%"0', "0\\%", "[$%-409]0.00", "#,##0.00 [$€-407]", "", None]
    assert [reader.is_percent_format(f) for f in yes] == [True] * len(yes)
    assert [reader.is_percent_format(f) for f in no] == [False] * len(no)


def test_percent_formats_past_the_row_bound_follow_the_column(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_FORMAT_ROWS", 2)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["contract_id", "vendor", "period_start", "period_end", "commitment", "rollover_pct"])
    for i in range(5):
        ws.append([f"C{i}", "OpenAI", dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31), 1000, 0.25])
    for r in range(2, 7):
        ws.cell(row=r, column=6).number_format = "0%"
    wb.save(tmp_path / "c.xlsx")
    assert read_file(tmp_path / "c.xlsx").frame["rollover_pct"].tolist() == [25.0] * 5


# ------------------------------------------------------------------ B12: zip errors

def _xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "vendor", "cost"])
    ws.append(["2026-01-01", "OpenAI", 5])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _patch_cd(data: bytes, offset: int, value: int) -> bytes:
    b = bytearray(data)
    i = b.find(b"PK\x01\x02")
    b[i + offset:i + offset + 2] = value.to_bytes(2, "little")
    return bytes(b)


def test_zip_needing_a_newer_version_is_unreadable(tmp_path):
    p = tmp_path / "version.xlsx"
    p.write_bytes(_patch_cd(_xlsx_bytes(), 6, 100))
    with pytest.raises(UnsafeFile, match="not a readable xlsx workbook"):
        read_file(p)
    with pytest.raises(UnreadableFile, match="damaged"):
        source_header(p)


@pytest.mark.parametrize("seed", range(6))
def test_byte_flipped_workbooks_never_escape_as_internal_errors(tmp_path, seed):
    """Corrupt the zip structures (central directory and local headers) at random: every
    outcome is a workbook read or an UnreadableFile, never another exception."""
    good = _xlsx_bytes()
    rng = random.Random(seed)
    heads = [i for i in range(len(good) - 4) if good[i:i + 2] == b"PK"]
    for k in range(25):
        b = bytearray(good)
        at = min(rng.choice(heads) + rng.randrange(4, 30), len(b) - 1)
        b[at] = rng.randrange(256)
        p = tmp_path / f"flip{seed}_{k}.xlsx"
        p.write_bytes(bytes(b))
        try:
            r = read_file(p)
        except UnreadableFile:
            continue
        rep = r.report  # read: every row accounted for, the frame holds the imported ones
        assert rep.rows_read == rep.rows_imported + rep.rows_rejected + rep.totals_excluded
        assert len(r.frame) == rep.rows_imported


def test_zip_errors_all_map_to_unsafe_file(tmp_path, monkeypatch):
    p = tmp_path / "ok.xlsx"
    p.write_bytes(_xlsx_bytes())
    import struct

    for exc in (NotImplementedError("zip file version 10.0"), struct.error("unpack"), EOFError(),
                RuntimeError("encrypted"), zipfile.LargeZipFile("zip64")):
        def boom(*a, exc=exc, **k):
            raise exc
        with monkeypatch.context() as m:
            m.setattr(safety.zipfile, "ZipFile", boom)
            with pytest.raises(UnsafeFile, match=type(exc).__name__):
                read_file(p)


# ------------------------------------------------------------------ header peek (GUI)

def test_source_header_csv_below_a_title(tmp_path):
    p = tmp_path / "export.csv"
    p.write_text("Monthly AI costs (exported 2026-11-16)\n\nDatum;Anbieter;Betrag;Abteilung\n"
                 "2026-11-14;OpenAI;100,50;Search\n", encoding="utf-8")
    h = source_header(p)
    assert (h.columns, h.header_row, h.container, h.delimiter, h.encoding) == \
        (["Datum", "Anbieter", "Betrag", "Abteilung"], 3, "csv", ";", "utf-8")
    assert source_columns(p) == h.columns
    assert read_file(p).frame["cost"].tolist() == [100_500_000]


def test_source_header_two_row_header_matches_read_file(tmp_path):
    p = tmp_path / "two.csv"
    p.write_text("Usage,,Money,\ndate,vendor,cost,currency\n2026-11-14,OpenAI,1.50,USD\n")
    h = source_header(p)
    assert h.columns == ["date", "vendor", "cost", "currency"] and h.header_row == 2
    assert read_file(p).frame["cost"].tolist() == [1_500_000]


def test_source_header_xlsx_offset_and_title(tmp_path):
    p = _contracts_xlsx(tmp_path / "c.xlsx", offset=2, title=True)
    h = source_header(p)
    assert h.container == "xlsx" and h.header_row == 3 and h.sheet == "Sheet"
    assert h.columns[:3] == ["contract_id", "vendor", "period_start"]


def test_source_header_json_and_refusals(tmp_path):
    j = tmp_path / "costs.json"
    j.write_text('{"data": []}')
    assert source_header(j).columns == [] and source_header(j).container == "json"
    x = tmp_path / "old.xls"
    x.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    with pytest.raises(UnreadableFile, match="legacy Excel"):
        source_header(x)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(random.Random(1).randbytes(4000))
    with pytest.raises(UnreadableFile, match="binary"):
        source_columns(junk)


# ------------------------------------------------------------------ delimiter below a title

@pytest.mark.parametrize("end", ["\n", ""])
def test_title_with_a_comma_and_one_decimal_comma_row(tmp_path, end):
    p = tmp_path / "k.csv"
    p.write_text("Kosten, November 2026\nDatum;Anbieter;Betrag\n14.11.2026;OpenAI;100,50" + end)
    r = read_file(p)
    assert r.report.delimiter == ";"
    assert r.frame["cost"].tolist() == [100_500_000] and r.frame["_row"].tolist() == [3]
    assert source_header(p).columns == ["Datum", "Anbieter", "Betrag"]


def test_delimiter_rules():
    assert sniff.detect_delimiter("a;b;c\n1,5;2;3\n", complete=True) == ";"
    assert sniff.detect_delimiter("Report, 2026\nx\ty\tz\n1,5\t2,5\t3\n", complete=True) == "\t"
    assert sniff.detect_delimiter("date,vendor,cost\n2026-01-01,OpenAI,1.5\n", complete=True) == ","
    assert sniff.detect_delimiter("a|b\n1|2\n3|4", complete=True) == "|"
    # a sample cut inside its last line: that line is not counted
    assert sniff.detect_delimiter("a;b;c\n1;2;3\n4;5;6\n7,8,9,1,2,3,4", complete=False) == ";"


def test_middle_lane_with_many_decorated_amounts(tmp_path, monkeypatch):
    """More than 20,000 amounts the plain pass cannot read ("$1,234.56") in a big file: the
    middle lane reads them one distinct value at a time (it used to recurse without end)."""
    lines = ["date,vendor,cost"] + [f"2026-02-{1 + i % 28:02d},OpenAI,\"${1000 + i % 500:,}.{i % 100:02d}\""
                                    for i in range(60_000)]
    p = tmp_path / "dollars.csv"
    p.write_text("\n".join(lines) + "\n")
    assert p.stat().st_size >= fast.MIN_BYTES
    monkeypatch.setattr(fast, "eligible", lambda size, info: False)
    r = read_file(p)
    assert (r.report.rows_imported, r.report.rows_rejected) == (60_000, 0)
    assert r.frame["cost"].iloc[:2].tolist() == [1_000_000_000, 1_001_010_000]
    assert set(r.frame["currency"]) == {"USD"}


# ------------------------------------------------------------------ xlsx speed work: no side effects

def test_garbage_collector_state_is_restored(tmp_path):
    import gc

    p = tmp_path / "u.csv"
    p.write_text("date,vendor,cost\n2026-02-01,OpenAI,1.00\n")
    assert gc.isenabled()
    read_file(p)
    assert gc.isenabled()
    with pytest.raises(UnreadableFile):
        read_file(tmp_path / "missing.csv")
    assert gc.isenabled()
    gc.disable()
    try:
        read_file(p)
        assert not gc.isenabled()  # an application that turned it off keeps it off
    finally:
        gc.enable()


def test_factor_memo_gives_the_plain_factorization():
    from desktop.ingest import parse

    s = pd.Series(["b", "a", None, "b", " a"], dtype=object)
    other = pd.Series(["x", "b", "x", "y", "z"], dtype=object)
    plain = [pd.factorize(v, use_na_sentinel=True) for v in (s, other, s)]
    with parse.factor_memo():
        memo = [parse.factorize(v) for v in (s, other, s, s.copy())]
        assert memo[2][0] is memo[0][0]  # remembered
        assert memo[3][0] is not memo[0][0]  # a copy is another column
    for (c1, u1), (c2, u2) in zip(plain, memo, strict=False):
        assert c1.tolist() == c2.tolist() and list(u1) == list(u2)
    assert parse.factorize(s)[0] is not memo[0][0]  # outside the block nothing is kept


def test_xlsx_and_csv_give_the_same_frame(tmp_path):
    rows = [["date", "vendor", "cost", "team", "commit_eligible"]] + [
        [f"2026-02-{1 + i % 28:02d}", ["OpenAI", "Anthropic"][i % 2], round(0.5 + i / 100, 2),
         ["search", "ads", ""][i % 3], ["true", "false"][i % 2]] for i in range(3_000)]
    rows.append(rows[1])  # a duplicate
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(tmp_path / "u.xlsx")
    (tmp_path / "u.csv").write_text("\n".join(",".join(map(str, r)) for r in rows) + "\n")
    x, c = read_file(tmp_path / "u.xlsx"), read_file(tmp_path / "u.csv")
    pd.testing.assert_frame_equal(x.frame.drop(columns="_file"), c.frame.drop(columns="_file"))
    assert x.report.duplicates_flagged == c.report.duplicates_flagged == 1


# ------------------------------------------------------------------ B18: a name written twice

def test_repeated_column_name_is_reported(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("date,vendor,cost,cost,team\n2026-02-01,OpenAI,1.00,2.00,A\n")
    r = read_file(p)
    assert r.frame["cost"].tolist() == [1_000_000]
    assert "2 columns are named 'cost' (column 3, column 4); the first (column 3) was read as cost" \
        in r.report.warnings[0]
    wb = openpyxl.Workbook()
    ws = wb.active
    for ref, v in {"B2": "date", "C2": "vendor", "D2": "Betrag", "E2": "Betrag", "B3": "2026-02-01",
                   "C3": "OpenAI", "D3": 1.5, "E3": 2}.items():
        ws[ref] = v
    wb.save(tmp_path / "dup.xlsx")
    r = read_file(tmp_path / "dup.xlsx")
    assert r.frame["cost"].tolist() == [1_500_000]
    assert any("2 columns are named 'Betrag' (column D, column E); the first (column D)" in w
               for w in r.report.warnings)


def test_repeated_names_under_group_labels_are_distinct(tmp_path):
    """A two-row header whose group labels tell the names apart is not a repetition."""
    p = tmp_path / "two.csv"
    p.write_text("date,vendor,Usage,List,\n,,cost,cost,team\n2026-02-01,OpenAI,1.00,2.00,A\n")
    r = read_file(p)
    assert source_columns(p) == ["date", "vendor", "Usage cost", "List cost", "team"]
    assert not any("named" in w for w in r.report.warnings)
    # an unused repeated column is not worth a word
    q = tmp_path / "q.csv"
    q.write_text("date,vendor,cost,note,note\n2026-02-01,OpenAI,1.00,a,b\n")
    assert not any("named" in w for w in read_file(q).report.warnings)


def test_cell_format_pass_reports_progress_and_honours_cancel(tmp_path):
    from desktop.domain.progress import Cancelled, Progress

    p = _contracts_xlsx(tmp_path / "c.xlsx")
    texts = []
    read_file(p, "commitments", progress=Progress(lambda f, t: texts.append(t)))
    assert "reading cell formats" in texts

    def cancel_there(f, t, box=[]):  # noqa: B006 - the progress object, once made
        if t == "reading cell formats":
            box[0].cancel()

    prog = Progress(lambda f, t: cancel_there(f, t, box))
    box = [prog]
    with pytest.raises(Cancelled):
        read_file(p, "commitments", progress=prog)


# ------------------------------------------------------------------ B22: dates datetime64[ns] cannot hold

def test_dates_out_of_range_are_rejected_by_row(tmp_path):
    p = tmp_path / "far.csv"
    p.write_text("date,vendor,cost\n2262-04-12,OpenAI,1.00\n2026-02-01,OpenAI,1.00\n1600-01-01,OpenAI,2\n"
                 "2261-12-31,OpenAI,3\n2958465,OpenAI,4\n")  # the last: Excel serial of 9999-12-31
    r = read_file(p)
    assert r.frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-02-01", "2261-12-31"]
    assert [(e.row, e.column, e.message) for e in r.report.errors] == [
        (2, "date", "the date is out of range (years 1678-2261)"),
        (4, "date", "the date is out of range (years 1678-2261)"),
        (6, "date", "the date is out of range (years 1678-2261)")]


def test_fast_lane_hands_far_dates_to_the_careful_lanes(tmp_path):
    lines = ["date,vendor,cost"] + [f"2026-02-{1 + i % 28:02d},OpenAI,{i}.25" for i in range(50_000)]
    lines[30_000] = "2262-04-12,OpenAI,1.00"
    p = tmp_path / "big.csv"
    p.write_text("\n".join(lines) + "\n")
    assert p.stat().st_size >= fast.MIN_BYTES
    r = read_file(p)
    assert (r.report.rows_imported, r.report.rows_rejected) == (49_999, 1)
    assert [(e.row, e.column) for e in r.report.errors] == [(30_001, "date")]
    assert r.frame["date"].min() == pd.Timestamp("2026-02-01")


def test_scientific_notation_equals_decimal_rounded_half_up():
    """Random spellings m.ffE±xx: micros == Decimal(spelling) rounded half-up, every time."""
    from decimal import ROUND_HALF_UP, Decimal

    from desktop.ingest import parse

    rng = random.Random(23)
    spellings = []
    for _ in range(2_000):
        m = f"{rng.randint(0, 999)}" + (f".{rng.randint(0, 99999):0{rng.randint(1, 5)}d}" if rng.random() < 0.8 else "")
        e = rng.randint(-12, 9)
        sign = rng.choice(["", "-"])
        spellings.append(f"{sign}{m}{rng.choice('eE')}{'+' if e >= 0 and rng.random() < 0.5 else ''}{e:03d}"
                         if e >= 0 else f"{sign}{m}{rng.choice('eE')}-{-e:02d}")
    col = parse.parse_money(pd.Series(spellings, dtype=object), ".")
    for s, micros, ok in zip(spellings, col.micros, col.ok, strict=True):
        want = (Decimal(s) * 1_000_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        assert ok == (abs(Decimal(s)) < Decimal(10) ** 12), s
        if ok:
            assert int(micros) == int(want), s
