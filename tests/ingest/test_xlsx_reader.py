"""The xlsx reader turns rows into columns a chunk at a time (desktop/ingest/reader.py
``_Columns``): text columns become Arrow strings, number columns float64, anything else
(dates, booleans, cells that change kind between chunks) keeps its Python objects. Whatever
the chunking, the import reads the same values the analyst typed."""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pytest

from desktop.ingest import read_file, reader


def workbook(tmp_path, rows, name="u.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(list(r))
    p = tmp_path / name
    wb.save(p)
    return p


@pytest.mark.parametrize("chunk", [7, 4096])
def test_columns_keep_values_across_chunks(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(reader, "CHUNK_ROWS", chunk)
    n = 50
    rows = [("date", "vendor", "cost", "quantity", "team", "commit_eligible")]
    for i in range(n):
        rows.append((
            dt.date(2026, 1, 1 + i % 28) if i % 2 else f"2026-01-{1 + i % 28:02d}",  # dates, then text
            "OpenAI",
            i + 0.25,
            None if i % 5 == 0 else i,  # numbers with blank cells
            f" team{i % 3} " if i >= 20 else 4711,  # numbers first, then text: mixed chunks
            bool(i % 2),
        ))
    rows.insert(10, ("", "", "", "", "", ""))  # a blank row inside the body is skipped
    r = read_file(workbook(tmp_path, rows), "usage")
    f = r.frame
    assert r.report.rows_read == n and r.report.rows_imported == n, r.report.errors
    assert f["_row"].tolist() == [i + 2 for i in range(9)] + [i + 3 for i in range(9, n)]
    assert f["date"].dt.day.tolist() == [1 + i % 28 for i in range(n)]
    assert (f["cost"] == [int((i + 0.25) * 1_000_000) for i in range(n)]).all()
    q = f["quantity"].to_numpy()
    assert np.isnan(q[0]) and q[1] == 1.0 and np.isnan(q[5])
    assert f["team"].tolist()[:20] == ["4711"] * 20
    assert f["team"].tolist()[20:23] == ["team2", "team0", "team1"]
    assert f["commit_eligible"].tolist() == [bool(i % 2) for i in range(n)]


def test_text_column_becomes_arrow_strings(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "CHUNK_ROWS", 3)
    p = workbook(tmp_path, [("vendor", "amount", "note")] + [("OpenAI", i, None if i % 2 else "x") for i in range(10)])
    from desktop.ingest import safety

    t = reader.read_xlsx(p, safety.check_xlsx(p), {"vendor", "amount"}, reader.Ticker(None))
    assert str(t.data["vendor"].dtype).startswith("str") or "pyarrow" in str(t.data["vendor"].dtype)
    assert t.data["vendor"].tolist() == ["OpenAI"] * 10
    assert t.data["amount"].dtype == np.float64 and t.data["amount"].tolist() == list(map(float, range(10)))
    assert t.data["note"].tolist() == ["x" if i % 2 == 0 else "" for i in range(10)]
    assert t.rows.tolist() == list(range(2, 12))


def test_progress_and_cancel_while_rows_become_columns(tmp_path, monkeypatch):
    from desktop.domain.progress import Cancelled, Progress

    monkeypatch.setattr(reader, "CHUNK_ROWS", 500)
    monkeypatch.setattr(reader.Ticker, "__call__", _every_step)
    # a title above the header: the sheet is read cell by cell, a chunk of rows at a time (a plain
    # sheet is read by fastexcel in one call, with the parent's heartbeat every 0.1 s)
    rows = [("Usage export",), ("date", "vendor", "cost")]
    rows += [(f"2026-01-{1 + i % 28:02d}", "OpenAI", i) for i in range(3000)]
    p = workbook(tmp_path, rows)
    seen = []
    read_file(p, progress=Progress(lambda f, t: seen.append((f, t))))
    reading = [f for f, t in seen if t == "reading rows"]
    assert len(reading) >= 5 and reading == sorted(reading) and seen[-1][0] == 1.0

    prog = Progress()

    def cb(f, t):
        if t == "reading rows":
            prog.cancel()

    prog._callback = cb
    with pytest.raises(Cancelled):
        read_file(p, progress=prog)


def _every_step(self, fraction, text="", force=False):
    """Ticker without its 0.1 s spacing, so a small sheet shows every step."""
    if self.p is not None:
        self.p.step(self.start + (self.end - self.start) * max(0.0, min(1.0, fraction)), text)


def test_safety_scan_reports_progress_and_honours_cancel(tmp_path, monkeypatch):
    """The scan of the sheet XML runs before the parser; on a big sheet it takes a while, so it
    ticks per chunk (4 MB of XML) and a cancel stops it before calamine starts."""
    from desktop.domain.progress import Cancelled, Progress
    from desktop.ingest import safety

    monkeypatch.setattr(reader.Ticker, "__call__", _every_step)
    real = safety._inflated
    monkeypatch.setattr(safety, "_inflated", lambda zf, info, size=4 << 20: real(zf, info, 64 << 10))
    rows = [("date", "vendor", "cost")] + [(f"2026-01-{1 + i % 28:02d}", "OpenAI", i) for i in range(4000)]
    p = workbook(tmp_path, rows)
    seen = []
    read_file(p, progress=Progress(lambda f, t: seen.append(t)))
    assert seen.count("checking workbook") >= 4
    assert seen.index("checking workbook") < seen.index("reading rows")

    prog = Progress()
    texts = []

    def cb(f, t):
        texts.append(t)
        if t == "checking workbook":
            prog.cancel()

    prog._callback = cb
    with pytest.raises(Cancelled):
        read_file(p, progress=prog)
    assert not any(t.startswith("reading") for t in texts[1:])  # calamine never started


@pytest.mark.parametrize("chunk", [2, 512])
def test_a_row_with_cells_only_right_of_the_table_is_not_blank(tmp_path, monkeypatch, chunk):
    """Only rows empty in every cell are skipped; a note typed right of the named columns keeps
    its row (it is then read, and rejected for its missing values, never silently dropped),
    and the unnamed column it sits in does not upset the table."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", chunk)
    rows = [("date", "vendor", "cost", None, None),
            ("2026-01-01", "OpenAI", 5, None, None),
            (None, None, None, None, "a note"),
            (None, None, None, None, None),
            ("2026-01-02", "OpenAI", 0, None, None)]
    r = read_file(workbook(tmp_path, rows), "usage")
    rep = r.report
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (3, 2, 1)
    assert {e.row for e in rep.errors} == {3}
    assert r.frame["_row"].tolist() == [2, 5] and r.frame["cost"].tolist() == [5_000_000, 0]
