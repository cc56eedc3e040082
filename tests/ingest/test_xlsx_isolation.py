"""The isolated child's answer for a plain sheet is an Arrow IPC file in shared memory (issue 19):
it reads exactly as the in-process read, it is looked at only after the safety scan (which
runs beside the child's parse) has passed, and a refusal kills the child, removes the answer
and stores nothing in the workspace, even when the child finished reading first."""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import pandas as pd
import pytest

from desktop.ingest import Limits, UnsafeFile, isolate, read_file, reader, safety
from desktop.store.workspace import Workspace
from tests.ingest.test_xlsx_arrow import PLAIN, workbook


@pytest.fixture
def answers(monkeypatch):
    """The answer files the parent makes, and the Arrow answers it reads."""
    made, read = [], []
    real_file, real_read = isolate._answer_file, reader.read_arrow_sheet

    def answer_file():
        name = real_file()
        made.append(name)
        return name

    def read_sheet(path):
        read.append(path)
        return real_read(path)

    monkeypatch.setattr(isolate, "_answer_file", answer_file)
    monkeypatch.setattr(reader, "read_arrow_sheet", read_sheet)
    return made, read


def xlsx_children():
    return [p for p in mp.active_children() if p.name == "commitdesk-xlsx"]


@pytest.mark.parametrize("name", list(PLAIN))
def test_the_arrow_answer_reads_like_the_in_process_read(tmp_path, monkeypatch, answers, name):
    p = workbook(tmp_path, PLAIN[name])
    isolated = read_file(p, "usage")
    made, read = answers
    assert len(made) == 1 and read == made  # the answer came as the Arrow file
    assert not os.path.exists(made[0])  # and is gone
    with monkeypatch.context() as m:
        m.setattr(isolate, "read_xlsx_isolated",
                  lambda path, scan, known, ticker, sheet=None, row_limit=None, limits=None:
                  ((facts := scan()) and None) or (reader.read_xlsx(path, facts, known, ticker, sheet=sheet), facts))
        here = read_file(p, "usage")
    pd.testing.assert_frame_equal(isolated.frame, here.frame)
    assert isolated.report == here.report


def test_a_refusal_after_the_child_answered_uses_nothing_of_the_answer(tmp_path, answers):
    """The child reads the sheet and writes its whole answer before the scan's verdict; the scan
    refuses (more rows than the limit): the answer is never read, the child is gone and the
    answer file removed."""
    rows = PLAIN["dates, numbers, blanks, yes/no, text that looks like numbers"]
    p = workbook(tmp_path, rows)
    tight = Limits(max_rows=5)
    made, read = answers

    def late_scan():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (made and os.path.getsize(made[0]) > 0):
            time.sleep(0.02)
        assert os.path.getsize(made[0]) > 0  # the child answered first
        return safety.check_xlsx(p, tight)

    with pytest.raises(UnsafeFile, match="rows; the limit is 5"):
        isolate.read_xlsx_isolated(p, late_scan, {"date", "vendor", "cost"}, reader.Ticker(None), limits=tight)
    assert read == []
    assert not os.path.exists(made[0])
    assert xlsx_children() == []


def far_column_workbook(tmp_path):
    """Good rows, and one cell in column XFD of row 3: calamine reads it (a 16,384-column
    rectangle of 3 rows is small), the scan refuses it (over 1,024 columns)."""
    from tests.ingest.test_hostile_xlsx import workbook as hostile

    return hostile(tmp_path, '<row r="3"><c r="XFD3"><v>1</v></c></row>', name="far.xlsx")


def test_a_hostile_workbook_refused_beside_the_parse_leaves_the_workspace_empty(tmp_path, answers):
    p = far_column_workbook(tmp_path)
    ws = Workspace.open(tmp_path / "w.commitdesk", create=True)
    try:
        with pytest.raises(UnsafeFile, match="limit is 1,024 columns"):
            ws.import_file(p, "usage")
        assert ws.batches() == []
        assert len(ws.inputs().usage) == 0
    finally:
        ws.close()
    made, read = answers
    assert read == [] and all(not os.path.exists(m) for m in made)
    assert xlsx_children() == []


def test_the_child_reads_the_far_column_workbook_when_the_scan_is_loosened(tmp_path):
    """The refusal above is the scan's, not the reader's: with the column limit raised the same
    file imports (so the child did read it)."""
    p = far_column_workbook(tmp_path)
    loose = Limits(max_cols=20_000)
    assert read_file(p, "usage", limits=loose).report.rows_imported == 1


def test_an_answer_in_another_layout_is_refused(tmp_path):
    """What a compromised child could write instead of its answer: bytes that are not Arrow,
    and Arrow in another layout (no header, no row numbers). Neither becomes rows."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    junk = tmp_path / "junk.arrow"
    junk.write_bytes(b"ARROW1\x00\x00" + bytes(range(256)) * 16)
    other = tmp_path / "other.arrow"
    table = pa.table({"0": pa.array(["a", "b"])})
    with pa.OSFile(str(other), "wb") as sink, ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    for path in (junk, other):
        with pytest.raises(ValueError):
            reader.read_arrow_sheet(str(path))


def test_a_damaged_answer_is_a_damaged_or_hostile_workbook(tmp_path, monkeypatch):
    p = workbook(tmp_path, PLAIN["duplicate rows"])

    def damaged(path):
        raise pa_invalid("offsets out of bounds")

    import pyarrow as pa

    pa_invalid = pa.ArrowInvalid
    monkeypatch.setattr(reader, "read_arrow_sheet", damaged)
    with pytest.raises(UnsafeFile, match="damaged or hostile: the reading process answered with damaged data"):
        read_file(p, "usage")
