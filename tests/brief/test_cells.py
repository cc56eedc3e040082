"""Text from data never becomes a formula or an error cell (desktop.brief.cells)."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from desktop.brief.cells import (
    MAX_TEXT,
    BriefError,
    clean_text,
    decode,
    needs_quote_prefix,
    set_text,
    text_fragments,
    text_value,
)

from .fixtures import PAYLOADS

RISKY = [p for p in PAYLOADS if p.lstrip(" \u3000")[:1] in "=+-@\t\r\n\uff1d\uff0b\uff0d\uff20"]
ERRORS = ["#N/A", "#REF!", "#DIV/0!", "#VALUE!", "#NAME?", "#NULL!", "#NUM!"]


def _roundtrip(values: list[str]) -> openpyxl.worksheet.worksheet.Worksheet:
    wb = Workbook()
    ws = wb.active
    for i, v in enumerate(values, 1):
        set_text(ws.cell(row=i, column=1), v)
    buf = io.BytesIO()
    wb.save(buf)
    return openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active


@pytest.mark.parametrize("payload", PAYLOADS)
def test_owasp_payload_is_written_as_text(payload):
    ws = _roundtrip([payload])
    cell = ws["A1"]
    assert cell.data_type == "s"
    assert decode(cell.value) == payload
    assert cell.quotePrefix == needs_quote_prefix(payload)


@pytest.mark.parametrize("payload", RISKY)
def test_formula_starters_get_quote_prefix(payload):
    assert needs_quote_prefix(payload)
    ws = _roundtrip([payload])
    assert ws["A1"].quotePrefix is True


@pytest.mark.parametrize("text", ["OpenAI", "Team Search", "1+1", "a=b", "x-1", "  spaces", "#hashtag", ""])
def test_plain_text_gets_no_quote_prefix(text):
    assert not needs_quote_prefix(text)


@pytest.mark.parametrize("text", ["   =1+1", "\u00a0+1", "\u3000@SUM(1)", "  \uff1d1"])
def test_leading_blanks_do_not_hide_a_formula(text):
    assert needs_quote_prefix(text)


@pytest.mark.parametrize("err", ERRORS)
def test_error_like_strings_stay_text(err):
    ws = _roundtrip([err])
    assert ws["A1"].data_type == "s"
    assert ws["A1"].value == err


def test_no_formula_or_error_element_in_the_xml():
    buf = io.BytesIO()
    wb = Workbook()
    ws = wb.active
    for i, p in enumerate(PAYLOADS, 1):
        set_text(ws.cell(row=i, column=1), p)
    wb.save(buf)
    xml = zipfile.ZipFile(io.BytesIO(buf.getvalue())).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml
    assert 't="e"' not in xml
    assert xml.count('t="inlineStr"') == len(PAYLOADS)


def test_text_over_excel_limit_is_refused_not_truncated():
    cell = WriteOnlyCell(Workbook(write_only=True).create_sheet())
    set_text(cell, "x" * MAX_TEXT)  # exactly the limit is fine
    assert len(cell.value) == MAX_TEXT
    with pytest.raises(BriefError) as exc:
        set_text(cell, "y" * (MAX_TEXT + 1), where="sheet 'Invoices', F7")
    msg = str(exc.value)
    assert "32,768 characters" in msg and "32,767" in msg and "Invoices" in msg and "never truncates" in msg


def test_limit_counts_utf16_units_like_excel():
    # an emoji is two UTF-16 units: 16,384 of them are 32,768 units
    with pytest.raises(BriefError):
        clean_text("\U0001F600" * 16_384)
    assert clean_text("\U0001F600" * 16_383)


def test_brief_error_is_an_input_error():
    from desktop.domain.errors import InputError

    assert issubclass(BriefError, InputError)


def test_control_characters_become_visible_pictures():
    assert clean_text("a\x00b\x07c\x1fd") == "a\u2400b\u2407c\u241fd"
    assert clean_text("tab\tlf\n") == "tab\tlf\n"  # legal in XML, kept
    assert clean_text("cr\r") == "cr_x000D_"  # a raw CR would be read back as LF
    assert decode(clean_text("a\r\nb_x0041_")) == "a\r\nb_x0041_"
    ws = _roundtrip(["bell\x07"])
    assert ws["A1"].value == "bell\u2407"


def test_ooxml_escape_sequences_are_escaped():
    assert clean_text("_x0041_") == "_x005F_x0041_"
    cell = WriteOnlyCell(Workbook(write_only=True).create_sheet())
    set_text(cell, "id_x0041_z")
    assert text_value(cell) == "id_x0041_z"


def test_none_leaves_cell_empty_and_numbers_become_text():
    cell = WriteOnlyCell(Workbook(write_only=True).create_sheet())
    set_text(cell, None)
    assert cell.value is None
    set_text(cell, 42)
    assert cell.value == "42" and cell.data_type == "s"


def test_text_fragments_agree_with_set_text():
    """The streamed raw sheets (desktop.brief.raw) clean text with the same rules."""
    from xml.sax.saxutils import unescape

    values = list(PAYLOADS) + ["plain", "_x0041_", "bell\x07", "a < b & c > d", 42]
    texts, quoted = text_fragments(values, where="sheet 'Usage rows', column E")
    for v, t, q in zip(values, texts, quoted, strict=True):
        cell = WriteOnlyCell(Workbook(write_only=True).create_sheet())
        set_text(cell, v)
        assert unescape(t) == cell.value
        assert q == bool(cell.quotePrefix)
    with pytest.raises(BriefError, match="Usage rows"):
        text_fragments(["ok", "z" * (MAX_TEXT + 1)], where="sheet 'Usage rows', column E")


def test_lone_surrogates_become_replacement_characters():
    bad = b"caf\xe9".decode("utf-8", "surrogateescape")  # a Latin-1 byte read as UTF-8
    assert clean_text(bad) == "caf\ufffd"
    ws = _roundtrip([bad])
    assert ws["A1"].value == "caf\ufffd"


def test_overlapping_escape_sequences_round_trip():
    for text in ("_x005F_x0041_", "_x0041__x0042_", "a_x00e9_b", "__x0041__"):
        assert decode(clean_text(text)) == text


_XML_SAFE = st.characters(blacklist_categories=("Cs",), blacklist_characters=[chr(c) for c in range(32)
                                                                              if c not in (9, 10, 13)])
_TRICKY = st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", " ", "\u3000", "\uff1d", "#N/A", "_x0041_",
                           "_x005F_", "_x", "005F_", "&", "<", "]]>", "\u2212"])


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(_TRICKY, st.text(_XML_SAFE, max_size=8)), max_size=8).map("".join))
def test_any_text_round_trips_as_text(text):
    ws = _roundtrip([text])
    cell = ws["A1"]
    if text == "":
        assert cell.value in (None, "")
        return
    assert cell.data_type == "s"
    assert decode(cell.value) == text
    assert bool(cell.quotePrefix) == needs_quote_prefix(text)
