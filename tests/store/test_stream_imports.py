"""Big files imported in slices (Workspace.import_stream, desktop/ingest/stream.py): a duplicate
row is found wherever its twin lies in the file, as for a file read whole; a refused overlap with
an earlier import states the amounts. Expectations computed by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from desktop.ingest import stream
from desktop.store import Workspace
from desktop.store.errors import OverlapRefused

HEADER = "date,vendor,cost,model,team,note\n"
# line: content (line 1 is the header); slices of 4 rows: lines 2-5, 6-9, 10-13
LINES = {
    2: "2026-02-01,OpenAI,1.000000,gpt-4o,Search,a",
    3: "2026-02-02,OpenAI,2.500000,gpt-4o,Search,b",
    4: "2026-02-03,Anthropic,0.750000,claude,Ops,c",
    5: "2026-02-03,Anthropic,twelve,claude,Ops,c",     # rejected (cost)
    6: "2026-02-01,OpenAI,1.000000,gpt-4o,Search,a",   # = line 2, another slice
    7: "2026-02-01,OpenAI,1.000000,gpt-4o,Search,z",   # = line 2 but for the unmapped note
    8: "2026-02-03,Anthropic,twelve,claude,Ops,c",     # = line 5: rejected too, not flagged
    9: "2026-02-02,OpenAI,2.500000,gpt-4o,Search,b",   # = line 3, another slice
    10: "2026-02-04,OpenAI,3.000000,gpt-4o,Zürich,d",
    11: "2026-02-04,OpenAI,3.000000,gpt-4o,Zürich,d",  # = line 10, same slice
    12: "2026-02-01,OpenAI,1.000000,gpt-4o,Search,a",  # = line 2 (and 6), third slice
    13: "2026-02-05,OpenAI,4.000000,gpt-4o,Search,e",
}


def _write(path: Path, lines: dict[int, str]) -> Path:
    path.write_text(HEADER + "".join(lines[k] + "\n" for k in sorted(lines)), encoding="utf-8")
    return path


def test_streamed_duplicates_are_found_across_slices_as_in_the_whole_file(tmp_path, monkeypatch):
    src = _write(tmp_path / "u.csv", LINES)
    with Workspace.open(tmp_path / "whole.commitdesk", create=True) as a:
        whole = a.import_file(src, "usage")
    monkeypatch.setattr(stream, "SLICE_ROWS", 4)
    with Workspace.open(tmp_path / "s.commitdesk", create=True) as b:
        streamed = b._batches.import_stream(src)
    want = "4 row(s) repeat an earlier row exactly (flagged, kept): rows 6, 9, 11, 12"
    assert whole.duplicates_flagged == streamed.duplicates_flagged == 4
    assert want in whole.warnings and want in streamed.warnings
    assert (streamed.rows_read, streamed.rows_imported, streamed.rows_rejected) == (12, 10, 2)
    assert any("read in 3 slices" in w for w in streamed.warnings)


def test_streamed_file_without_duplicates_flags_none(tmp_path, monkeypatch):
    src = _write(tmp_path / "u.csv", {k: v for k, v in LINES.items() if k in (2, 3, 4, 7, 10, 13)})
    monkeypatch.setattr(stream, "SLICE_ROWS", 2)
    with Workspace.open(tmp_path / "s.commitdesk", create=True) as ws:
        rep = ws._batches.import_stream(src)
    assert rep.duplicates_flagged == 0 and not any("repeat an earlier row" in w for w in rep.warnings)
    assert rep.rows_imported == 6


A = "date,vendor,cost\n2026-01-01,OpenAI,10.00\n2026-01-02,OpenAI,12.50\n2026-01-03,OpenAI,5.00\n"
# slices of 2 rows: Jan 2-3 of OpenAI in the first and third slice; Anthropic is another vendor
B = ("date,vendor,cost\n2026-01-02,openai,12.50\n2026-01-03,OpenAI,1.00\n2026-01-04,OpenAI,2.00\n"
     "2026-01-02,Anthropic,9.00\n2026-01-02,OpenAI,0.25\n")


def test_streamed_overlap_refusal_states_amounts_and_rows_as_the_whole_file_import(tmp_path, monkeypatch):
    from desktop.ingest import read_file

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(A, encoding="utf-8")
    b.write_text(B, encoding="utf-8")
    monkeypatch.setattr(stream, "SLICE_ROWS", 2)
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        ws.import_file(a)
        with pytest.raises(OverlapRefused) as exc:
            ws._batches.import_stream(b, on_overlap="refuse")
        (o,) = exc.value.overlaps
        # a.csv on Jan 2-3: 12.50 + 5.00 in 2 rows; b.csv's OpenAI rows on those days, across
        # three slices: 12.50 + 1.00 + 0.25 in 3 rows
        assert (o.batch_id, o.vendor, o.days, o.first, o.last) == (1, "OpenAI", 2, "2026-01-02", "2026-01-03")
        assert o.earlier == (("USD", Decimal("17.50")),) and o.incoming == (("USD", Decimal("13.75")),)
        assert (o.earlier_rows, o.incoming_rows) == (2, 3)
        message = str(exc.value)
        assert message.startswith("b.csv was not imported: usage of OpenAI on 2 days (2026-01-02..2026-01-03) is "
                                  "already imported from a.csv (batch 1, 3 rows, on ")
        assert ("UTC): 17.50 USD there, 13.75 USD in this file (2 rows there and 3 rows in this file on those "
                "days). Importing it as well would count that twice: remove the earlier import first") in message
        # the whole-file query states the same overlap
        assert ws.overlaps(read_file(b)) == [o]
        assert len(ws.batches()) == 1
        kept = ws._batches.import_stream(b, on_overlap="keep")
        assert any("possible double counting" in w for w in kept.warnings)
