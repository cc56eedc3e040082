"""Over-long fields and strings in text files (issue 18): an over-long cell rejects its row, not
the file, and the file is read within bounded memory. The files here are small versions of the
issue's cases (tens of MB, not hundreds); bench-free: no timing assertions."""

from __future__ import annotations

import json

import pytest

from desktop.ingest import UnsafeFile, read_file

DAY1, DAY2 = 1730419200, 1730505600


def test_csv_field_over_the_csv_modules_limit_rejects_its_row(tmp_path):
    """300,000 characters in one quoted field (over Python's 131,072 field limit): the row is
    rejected naming the line, the other rows import (once "field larger than field limit")."""
    big = "x" * 300_000
    p = tmp_path / "u.csv"
    p.write_text("Report\n\ndate,vendor,cost\n2026-01-01,OpenAI,5.00\n"
                 f'2026-01-02,"{big}",6.00\n2026-01-03,OpenAI,7.00\n')
    r = read_file(p, "usage")
    rep = r.report
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (3, 2, 1)
    assert rep.errors[0].row == 5
    assert "longer than" in rep.errors[0].message


def test_csv_line_of_40_mb_rejects_its_row(tmp_path):
    """One physical line far longer than any row (40 MB) is rejected with its line number; the
    file is not refused and the line is never held as a Python string."""
    p = tmp_path / "long.csv"
    with open(p, "w") as f:
        f.write("date,vendor,cost\n2026-01-01,OpenAI,5.00\n")
        f.write("2026-01-02,OpenAI," + "9" * 40_000_000 + "\n")
        f.write("2026-01-03,OpenAI,7.00\n")
    r = read_file(p, "usage")
    rep = r.report
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (3, 2, 1)
    assert rep.errors[0].row == 3
    assert "40,000,0" in rep.errors[0].message and "limit" in rep.errors[0].message
    assert r.frame["cost"].tolist() == [5_000_000, 7_000_000]


def test_json_amount_string_of_5_mb_rejects_its_row(tmp_path):
    page = {"object": "page", "data": [
        {"object": "bucket", "start_time": DAY1, "end_time": DAY2, "results": [
            {"object": "organization.costs.result", "amount": {"value": 0.5, "currency": "usd"},
             "line_item": "gpt-4o, input", "project_id": "p"},
            {"object": "organization.costs.result", "amount": {"value": "1" * 5_000_000, "currency": "usd"},
             "line_item": "gpt-4o, input", "project_id": "p"}]}]}
    p = tmp_path / "costs.json"
    p.write_text(json.dumps(page))
    r = read_file(p)
    rep = r.report
    assert (rep.rows_read, rep.rows_imported, rep.rows_rejected) == (2, 1, 1)
    assert rep.errors[0].row == 2 and "longer than 4,096 characters" in rep.errors[0].message
    assert [e.message for e in rep.errors].count("required value is empty") == 0


def test_csv_amount_cell_over_the_cell_limit_rejects_its_row(tmp_path):
    p = tmp_path / "amt.csv"
    p.write_text("date,vendor,cost\n2026-01-01,OpenAI,5.00\n2026-01-02,OpenAI," + "1" * 10_000 + "\n")
    rep = read_file(p, "usage").report
    assert (rep.rows_imported, rep.rows_rejected) == (1, 1)
    assert [e.message for e in rep.errors] == ["value is longer than 4,096 characters"]


def test_json_page_over_128_mib_is_refused_by_its_size_before_reading(tmp_path, monkeypatch):
    """A JSON file over the limit is refused by its size, with what to do, before it is read."""
    import desktop.ingest.core as core

    p = tmp_path / "costs.json"
    with open(p, "wb") as f:
        f.write(b'{"object": "page", "data": []}')
        f.truncate(129 * 1024 * 1024)  # sparse: nothing written

    def no_read(*a, **k):
        raise AssertionError("read")

    monkeypatch.setattr(core.Pages, "open", no_read)
    with pytest.raises(UnsafeFile, match=r"the limit for this kind of file is 128 MiB \(save the API's pages"):
        read_file(p)


@pytest.mark.parametrize("rows", [3_000, 40_000])  # careful lane; fast lane (>= 1 MiB)
def test_nul_after_the_first_64_kib_rejects_its_row_with_its_column(tmp_path, rows):
    """Once "Open\\x00AI" became a phantom vendor."""
    body = "".join(f"2026-01-{1 + i % 28:02d},OpenAI,{i % 97}.25,team{i % 7}\n" for i in range(rows))
    p = tmp_path / "nul.csv"
    p.write_bytes(b"date,vendor,cost,team\n" + body.encode() + b"2026-01-05,Open\x00AI,1.00,x\n"
                  + b"2026-01-06,OpenAI,2.00,y\x07z\n")
    r = read_file(p, "usage")
    rep = r.report
    assert (rep.rows_imported, rep.rows_rejected) == (rows, 2)
    assert [(e.row, e.column) for e in rep.errors] == [(rows + 2, "vendor"), (rows + 3, "team")]
    assert "control character" in rep.errors[0].message
    assert set(r.frame["vendor"]) == {"OpenAI"}
