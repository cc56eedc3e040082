"""Messages that point the right way (issue 18): the format the file looks like and what it lacks
in that format's own column names; junk named .xlsx/.json; a header-only export; reader
internals translated."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from desktop.cli import main
from desktop.ingest import UnreadableFile, read_file
from desktop.ingest.isolate import translate

DATA = Path(__file__).resolve().parents[1] / "data"


def test_focus_without_provider_and_currency_names_them(tmp_path):
    """Once "missing required column(s) for usage: date, vendor, cost" for a file that has
    ChargePeriodStart and EffectiveCost."""
    with open(DATA / "focus" / "focus-1.0_sample.csv", encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        names = [n for n in reader.fieldnames if n not in ("ProviderName", "PublisherName",
                                                            "InvoiceIssuerName", "BillingCurrency")]
        rows = [next(reader) for _ in range(5)]
    p = tmp_path / "focus.csv"
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, names, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(UnreadableFile) as info:
        read_file(p)
    msg = str(info.value)
    assert "looks like a FOCUS cost and usage export" in msg
    assert "BillingCurrency; ServiceProviderName (or ProviderName, InvoiceIssuerName)" in msg
    assert "date, vendor, cost" not in msg


@pytest.mark.parametrize("name, says", [("junk.xlsx", "named .xlsx but is not an Excel workbook"),
                                        ("junk.json", "named .json but is not JSON")])
def test_junk_named_xlsx_or_json_is_told_so(tmp_path, name, says):
    p = tmp_path / name
    p.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(UnreadableFile, match=says):
        read_file(p)


def test_header_only_export_says_so(tmp_path, capsys):
    """Once "no as-of date: there is no usage ...": the file had a header and no rows."""
    p = tmp_path / "usage.csv"
    p.write_text("date,vendor,cost\n")
    assert main(["analyze", "--usage", str(p)]) == 2
    err = capsys.readouterr().err
    assert "usage.csv: the file has a header" in err and "but no data rows" in err
    assert "no as-of date" not in err


def test_header_only_export_with_an_as_of_date_is_read(tmp_path, capsys):
    p = tmp_path / "usage.csv"
    p.write_text("date,vendor,cost\n")
    assert main(["analyze", "--usage", str(p), "--as-of", "2026-02-01", "--format", "json"]) == 0


@pytest.mark.parametrize("raw", ["I/O error: File is larger than its declared uncompressed size",
                                 "XmlError: at 0..0: unrecognized entity"])
def test_reader_internals_are_translated(raw):
    said = translate(raw)
    assert "I/O error" not in said and "0..0" not in said and "entity" not in said
    assert "open it in Excel and save a copy" in said


def test_unknown_entity_in_a_sheet_reads_as_plain_words(tmp_path):
    from tests.ingest.workbooks import patched_sheet

    p = tmp_path / "entity.xlsx"
    p.write_bytes(patched_sheet(b"<t>OpenAI</t>", b"<t>Open&bogus;AI</t>"))
    with pytest.raises(UnreadableFile) as info:
        read_file(p)
    msg = str(info.value)
    assert "0..0" not in msg and "unrecognized entity" not in msg
    assert "malformed" in msg or "damaged" in msg
