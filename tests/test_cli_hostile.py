"""The CLI refuses oversized and hostile inputs before reading them (issue 18)."""

from __future__ import annotations

from pathlib import Path

from desktop.cli import main


def test_size_check_comes_before_hashing(tmp_path, capsys, monkeypatch):
    """A 2 GiB file (sparse: nothing is written) is refused by its size; it is never read whole
    (read_bytes was how analyze/brief hashed each input before the size check)."""
    big = tmp_path / "usage.csv"
    with open(big, "wb") as f:
        f.write(b"date,vendor,cost\n")
        f.truncate(2 * 1024**3)

    def no_read(self):
        raise AssertionError(f"{self} read whole")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    status = main(["analyze", "--usage", str(big)])
    err = capsys.readouterr().err
    assert status == 2
    assert "2,048 MiB; the limit for this kind of file is 512 MiB" in err


def test_the_same_content_twice_is_still_caught_with_chunked_hashing(tmp_path, capsys):
    text = "date,vendor,cost\n2026-01-01,OpenAI,5.00\n"
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(text)
    b.write_text(text)
    status = main(["analyze", "--usage", str(a), str(b)])
    assert status == 2
    assert "the same content as" in capsys.readouterr().err


def test_a_workbook_that_kills_the_reader_exits_2_with_a_message(tmp_path, capsys, monkeypatch):
    """The child process parsing the workbook dies (the scan is loosened here so that calamine
    meets a cell at XFD1048576); the CLI says what happened and exits 2."""
    from desktop.ingest import safety
    from tests.ingest.workbooks import patched_sheet

    p = tmp_path / "hostile.xlsx"
    p.write_bytes(patched_sheet(b"</sheetData>", b"<row r='3'><c r='XFD1048576'><v>1</v></c></row></sheetData>"))
    loose = safety.Limits(max_cols=20_000, max_cells=10**12)
    real = safety.check_xlsx
    monkeypatch.setattr(safety, "check_xlsx", lambda path, limits=None, tick=None: real(path, loose, tick))
    status = main(["analyze", "--usage", str(p)])
    err = capsys.readouterr().err
    assert status == 2
    assert "hostile.xlsx: this workbook is damaged or hostile: " in err
