"""The pyarrow lane for big clean usage CSVs gives exactly what the careful reader gives."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from desktop.domain import tables
from desktop.domain.progress import Cancelled, Progress
from desktop.ingest import fast, read_file


def big_csv(tmp_path, n=20_000, extra_rows: str = "", name="big.csv", tz=False, teams=None, clean=False):
    rng = np.random.default_rng(7)
    day = rng.integers(0, 60, n)
    dates = (pd.Timestamp("2026-01-01") + pd.to_timedelta(day, unit="D")).strftime(
        "%Y-%m-%dT10:00:00Z" if tz else "%Y-%m-%d")
    micros = rng.integers(0, 50_000_000, n)
    cost = [f"{m // 1_000_000}.{m % 1_000_000:06d}" for m in micros]
    vendors = np.array(["OpenAI", "OpenAI" if clean else "openai", "Anthropic", "Azure OpenAI"])[rng.integers(0, 4, n)]
    teams = np.array(teams or ["search", " ads ", "", "growth"])[rng.integers(0, len(teams or "1234"), n)]
    qty = rng.integers(1, 1000, n)
    lines = ["date,vendor,cost,currency,model,team,quantity,commit_eligible,note"]
    cur = np.array(["USD", "NOK", "GBP", "EUR"] if clean else ["USD", "usd", "", "EUR"])[rng.integers(0, 4, n)]
    elig = np.array(["true", "false", ""])[rng.integers(0, 3, n)]
    for i in range(n):
        lines.append(f"{dates[i]},{vendors[i]},{cost[i]},{cur[i]},gpt-4o,{teams[i]},{qty[i]},{elig[i]},x{i % 7}")
    lines.append(lines[1])  # an exact duplicate of the first data row
    text = "\n".join(lines) + "\n" + extra_rows
    p = tmp_path / name
    p.write_text(text)
    assert p.stat().st_size > fast.MIN_BYTES
    return p


def careful(path, monkeypatch, **kw):
    with monkeypatch.context() as m:
        m.setattr(fast, "MIN_BYTES", 1 << 60)
        return read_file(path, **kw)


@pytest.mark.parametrize("tz", [False, True])
def test_fast_lane_equals_careful_reader(tmp_path, monkeypatch, tz):
    p = big_csv(tmp_path, tz=tz)
    quick = read_file(p)
    slow = careful(p, monkeypatch)
    pd.testing.assert_frame_equal(quick.frame, slow.frame)
    pd.testing.assert_frame_equal(tables.conform(quick.frame, "usage"), quick.frame)
    q, s = quick.report, slow.report
    assert (q.rows_read, q.rows_imported, q.rows_rejected, q.duplicates_flagged) == \
        (s.rows_read, s.rows_imported, s.rows_rejected, s.duplicates_flagged)
    assert q.duplicates_flagged >= 1 and q.rows_imported == 20_001
    assert q.format == "canonical-csv" and q.encoding == "utf-8"
    f = quick.frame
    assert set(f["vendor"].unique()) == {"OpenAI", "Anthropic", "Azure OpenAI"}
    assert set(f["currency"].unique()) == {"USD", "EUR"}
    assert set(f["team"].dropna().unique()) == {"search", "ads", "growth"}


@pytest.fixture
def lanes(monkeypatch):
    """Records what each fast-lane attempt returned (None: the careful reader took over)."""
    seen = []
    real = fast.read_usage

    def spy(*a, **kw):
        got = real(*a, **kw)
        seen.append(got is not None)
        return got

    monkeypatch.setattr(fast, "read_usage", spy)
    return seen


@pytest.mark.parametrize("clean", [False, True])
def test_fast_lane_takes_clean_files(tmp_path, monkeypatch, lanes, clean):
    """Trimming, vendor spellings and lower-case currencies are fixed inside the fast lane; a
    file with none of them takes the plain path. Either way the lane itself answers."""
    p = big_csv(tmp_path, clean=clean)
    quick = read_file(p)
    assert lanes == [True]
    slow = careful(p, monkeypatch)
    pd.testing.assert_frame_equal(quick.frame, slow.frame)
    assert quick.report.duplicates_flagged == slow.report.duplicates_flagged == 1
    if clean:
        assert set(quick.frame["currency"].unique()) == {"USD", "NOK", "GBP", "EUR"}


@pytest.mark.parametrize("odd", ["-", "NONE", "n/a", "--", "Nil", "\x0bads"])
def test_blank_spellings_and_odd_edges_read_like_the_careful_reader(tmp_path, monkeypatch, lanes, odd):
    """pyarrow nulls only the spellings it is told; the careful reader blanks any of
    parse.is_blank's and strips what str.strip strips. Both lanes must agree."""
    p = big_csv(tmp_path, teams=["search", odd, "growth"], clean=True)
    quick = read_file(p)
    slow = careful(p, monkeypatch)
    pd.testing.assert_frame_equal(quick.frame, slow.frame)
    # pyarrow's own null spellings and trimming stay in the lane; other blanks go careful
    assert lanes[0] is (odd in fast.NULLS or odd == "\x0bads")


def test_invalid_utf8_in_a_text_column_is_not_taken_as_text(tmp_path, monkeypatch, lanes):
    """The fast lane skips pyarrow's UTF-8 check (ASCII columns cannot fail it) and validates
    the other text columns itself: a cp1252 byte sends the file to the careful reader."""
    p = big_csv(tmp_path, clean=True)
    data = p.read_bytes()
    cut = data.rindex(b",search,")  # past the sniffed head: the lane itself must notice
    p.write_bytes(data[:cut] + b",s\xe9arch," + data[cut + len(b",search,"):])
    quick = read_file(p)
    assert lanes == [False]
    assert "s\u00e9arch" in set(quick.frame["team"].dropna())
    pd.testing.assert_frame_equal(quick.frame, careful(p, monkeypatch).frame)


def test_dirty_row_falls_back_and_is_reported(tmp_path, monkeypatch):
    p = big_csv(tmp_path, extra_rows="2026-03-01,OpenAI,$5.00 extra,USD,gpt-4o,search,1,true,x\n")
    r = read_file(p)
    assert r.report.rows_rejected == 1
    e = r.report.errors[0]
    assert (e.row, e.column, e.value) == (20_003, "cost", "$5.00 extra")
    assert r.report.rows_imported == 20_001


def test_progress_and_cancel(tmp_path):
    p = big_csv(tmp_path)
    seen = []
    read_file(p, progress=Progress(lambda f, t: seen.append(f)))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) >= 2
    assert seen == sorted(seen)

    prog = Progress()
    calls = []

    def cb(f, t):
        calls.append(f)
        prog.cancel()

    prog._callback = cb
    with pytest.raises(Cancelled):
        read_file(p, progress=prog)
    assert len(calls) == 1  # the step after the cancel raised


def test_careful_reader_progress_and_cancel(tmp_path, monkeypatch):
    p = big_csv(tmp_path, n=30_000, extra_rows="TOTAL,,1,,,,,,\n")
    monkeypatch.setattr(fast, "MIN_BYTES", 1 << 60)
    seen = []
    r = read_file(p, progress=Progress(lambda f, t: seen.append(f)))
    assert r.report.totals_excluded == 1
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) >= 3

    prog = Progress()

    def cb(f, t):
        if f >= 0.5:  # reading done, values being checked
            prog.cancel()

    prog._callback = cb
    with pytest.raises(Cancelled):
        read_file(p, progress=prog)


def test_saved_profile_applies_in_the_fast_lane(tmp_path, monkeypatch):
    from desktop.ingest import MappingProfile

    p = big_csv(tmp_path)
    text = p.read_text().replace("date,vendor,cost,currency,model,team,quantity,commit_eligible,note",
                                 "Tag,Lieferant,Summe netto,Whg,KI-Modell,Gruppe,Anzahl,zaehlt,Notiz", 1)
    q = tmp_path / "de.csv"
    q.write_text(text)
    header = ["Tag", "Lieferant", "Summe netto", "Whg", "KI-Modell", "Gruppe", "Anzahl", "zaehlt", "Notiz"]
    prof = MappingProfile.from_columns("ERP", "usage", header, dict(zip(
        header[:8], ["date", "vendor", "cost", "currency", "model", "team", "quantity", "commit_eligible"],
        strict=True)))
    quick = read_file(q, profiles=[{"name": "broken", "kind": "nope"}, prof.to_dict()])
    assert quick.report.format == "profile:ERP"
    slow = careful(q, monkeypatch, profiles=[prof.to_dict()])
    pd.testing.assert_frame_equal(quick.frame.drop(columns="_file"), slow.frame.drop(columns="_file"))


def test_middle_lane_matches_careful_reader(tmp_path, monkeypatch):
    """A big file the fast lane refuses (a bad amount, cp1252) is read by pyarrow as text and
    checked row by row; the result equals the stdlib-csv reader's, row numbers included."""
    from desktop.ingest import reader

    p = big_csv(tmp_path, extra_rows="2026-03-01,Müller AG,12;5,EUR,gpt-4o,search,1,true,x\n"
                                      "TOTAL,,99,,,,,,\n")
    p.write_bytes(p.read_text().encode("cp1252"))
    used = []
    real = reader.read_text_arrow

    def spy(*a, **k):
        t = real(*a, **k)
        used.append(len(t.data))
        return t

    with monkeypatch.context() as m:
        m.setattr(reader, "read_text_arrow", spy)
        mid = read_file(p)
    assert used == [20_003]  # the middle lane read it (after the fast lane refused)
    with monkeypatch.context() as m:
        m.setattr(reader, "read_text_arrow", lambda *a, **k: (_ for _ in ()).throw(__import__("pyarrow").ArrowInvalid("x")))
        slow = read_file(p)
    pd.testing.assert_frame_equal(mid.frame, slow.frame)
    assert mid.report.encoding == "cp1252"
    assert (mid.report.rows_read, mid.report.rows_imported, mid.report.rows_rejected,
            mid.report.totals_excluded, mid.report.duplicates_flagged) == \
        (slow.report.rows_read, slow.report.rows_imported, slow.report.rows_rejected,
         slow.report.totals_excluded, slow.report.duplicates_flagged)
    assert [(e.row, e.column, e.value) for e in mid.report.errors] == [(20_003, "cost", "12;5")]
    assert mid.report.totals_excluded == 1
