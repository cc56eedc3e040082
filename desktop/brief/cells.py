"""Safe cell writing: the ONLY way text from data reaches a cell of the brief.

openpyxl turns a string that starts with "=" into a formula and "#N/A"-like strings into error
cells, and Excel/LibreOffice evaluate what an analyst re-enters. So every text cell is written
explicitly as a string (``data_type "s"``) and, when its first non-blank character is one that a
spreadsheet would read as the start of a formula (= + - @ tab CR LF, or their full-width and
small forms), the cell also carries ``quotePrefix`` so that editing it keeps it text.

Rules (tested with the OWASP CSV-injection payloads in tests/brief/test_cells.py):

* text longer than Excel's 32,767 characters (counted in UTF-16 units, as Excel counts) is
  refused with a ``BriefError`` naming where it came from; it is never truncated;
* control characters that XML 1.0 cannot hold (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F)
  are shown as their Unicode "control picture" (U+2400 + code), so the cell stays readable and
  the file stays valid; tab, CR and LF are kept; a lone surrogate (an undecodable byte kept by
  Python's surrogateescape) becomes U+FFFD;
* a literal ``_xHHHH_`` in the text is escaped as ``_x005F_xHHHH_`` (the OOXML escape), so that
  Excel shows it as written instead of decoding it into another character; a carriage return is
  written as ``_x000D_`` because XML parsers turn a raw CR into LF.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import Cell

from desktop.domain.errors import InputError

MAX_TEXT = 32_767

# characters that start a formula (or a DDE payload) when an analyst re-enters the cell
RISKY_LEADING = frozenset(
    "=+-@\t\r\n"
    "\uff1d\uff0b\uff0d\uff20"  # full-width = + - @
    "\ufe66\ufe62\ufe63\ufe6b"  # small = + - @
    "\u2212"  # minus sign (Excel accepts it as minus in some locales)
)
# blanks that a spreadsheet skips before deciding what the entry is
_LEADING_BLANKS = " \u00a0\u3000\u2007\u202f"

_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_OOXML_ESCAPE = re.compile(r"(_x[0-9A-Fa-f]{4}_)")
_ESCAPE_START = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")


class BriefError(InputError):
    """The brief cannot be written as asked (e.g. a text over 32,767 characters)."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def needs_quote_prefix(text: str) -> bool:
    """True when the first character after leading blanks would start a formula."""
    stripped = text.lstrip(_LEADING_BLANKS)
    return bool(stripped) and stripped[0] in RISKY_LEADING


def clean_text(value: Any, *, where: str | None = None) -> str:
    """The text to store for ``value`` (str() of it), checked and escaped; raises BriefError."""
    text = value if isinstance(value, str) else str(value)
    n = _utf16_len(text)
    if n > MAX_TEXT:
        place = f" ({where})" if where else ""
        raise BriefError(
            f"a text of {n:,} characters{place} does not fit in an Excel cell "
            f"(at most {MAX_TEXT:,}); shorten it in the source, the brief never truncates text"
        )
    if _SURROGATE.search(text):  # lone surrogates (undecodable bytes) cannot be written as UTF-8
        text = _SURROGATE.sub("\ufffd", text)
    if _ILLEGAL_XML.search(text):
        text = _ILLEGAL_XML.sub(lambda m: chr(0x2400 + ord(m.group(0))), text)
    if "_x" in text:
        # escape the underscore that starts each _xHHHH_ (lookahead: "_x005F_x0041_" has two)
        text = _ESCAPE_START.sub("_x005F_", text)
    if "\r" in text:
        text = text.replace("\r", "_x000D_")  # XML parsers turn a raw CR into LF
    return text


def set_text(cell: Cell, value: Any, *, where: str | None = None) -> Cell:
    """Write ``value`` into ``cell`` as a string that can never become a formula or an error.

    ``None`` leaves the cell empty. Returns the cell."""
    if value is None:
        cell._value = None
        cell.data_type = "n"
        return cell
    raw = value if isinstance(value, str) else str(value)
    cell._value = clean_text(raw, where=where)
    cell.data_type = "s"
    if needs_quote_prefix(raw):
        cell.quotePrefix = True
    return cell


def decode(text: str) -> str:
    """Undo the OOXML ``_xHHHH_`` escapes, as Excel does when it reads a cell."""
    return _OOXML_ESCAPE.sub(lambda m: chr(int(m.group(1)[2:6], 16)), text)


def text_value(cell: Cell) -> str | None:
    """The text an analyst sees for a cell written with ``set_text``."""
    v = cell.value
    return None if v is None else decode(str(v))


def text_fragments(values: list[Any], *, where: str | None = None) -> tuple[list[str], list[bool]]:
    """For writers that emit SpreadsheetML themselves (desktop.brief.raw): each value's text,
    checked and escaped exactly as ``set_text`` stores it, then XML-escaped, and whether its
    cell needs quotePrefix."""
    texts, quoted = [], []
    for v in values:
        raw = v if isinstance(v, str) else str(v)
        t = clean_text(raw, where=where)
        texts.append(t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
        quoted.append(needs_quote_prefix(raw))
    return texts, quoted
