"""Money, dates, numbers and booleans in every spelling analysts meet.

Every parser works on a whole column at once and returns the parsed values plus a boolean
``ok`` mask; the caller turns ``~ok`` into row errors. Ambiguous spellings are decided once per
file from all its values (never row by row):

* decimal separator: ``1.234`` / ``1,234`` are ambiguous on their own. ``decide_decimal`` looks
  at every money/number value of the file; a value such as ``1.234,56``, ``12,5`` or ``0.5``
  settles it. When nothing settles it the mapping profile's ``decimal`` is used, otherwise ``.``
  (documented default) and the caller adds a warning.
* day/month order: ``03/04/2026`` is ambiguous. ``decide_date_order`` looks at every date value
  of the file; a value with a first field > 12 means day-first, a second field > 12 month-first.
  When nothing settles it the profile's ``date_order`` is used, otherwise ``DMY`` for dotted dates
  (``03.04.2026``) and ``MDY`` for slashed/dashed ones, with a warning.

Money is returned as int64 micros, rounded half-up once (desktop.domain.money).
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import threading
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np
import pandas as pd

# --- generic helpers --------------------------------------------------------------------------

_SPACES = "\u00a0\u202f\u2009\u2007 \t"
_NULL_TOKENS = {"", "null", "none", "nan", "n/a", "na", "#n/a", "-", "--", "nil"}


def is_blank(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float):
        return math.isnan(v)
    if isinstance(v, str):
        return v.strip(_SPACES + "\r\n").casefold() in _NULL_TOKENS
    return False


def blank_mask(values: pd.Series) -> np.ndarray:
    """True where a cell is empty (None/NaN/'', 'NULL', 'N/A' ...)."""
    if len(values) > 20_000 and _is_arrow_string(values):
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.array(values.array)
        low = pc.utf8_lower(pc.utf8_trim(arr, characters=_SPACES + "\r\n"))
        hit = pc.fill_null(pc.is_in(low, value_set=pa.array(sorted(_NULL_TOKENS), low.type)), True)
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
    codes, uniques = factorize(values)
    ublank = np.fromiter((is_blank(u) for u in uniques), dtype=bool, count=len(uniques))
    out = np.ones(len(values), dtype=bool)
    has = codes >= 0
    out[has] = ublank[codes[has]]
    return out


# --- Arrow text columns without Python objects -------------------------------------------

_SHORTEST_TOKEN, _LONGEST_TOKEN = 1, 4  # "-" ... "NULL": the blank spellings of parse.is_blank


def string_offsets(arr) -> np.ndarray:
    """The int64 value offsets of a (large_)string Arrow array, as a zero-copy numpy view:
    value i is data[offs[i]:offs[i + 1]]."""
    return np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset: arr.offset + len(arr) + 1]


CONTROL_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # control characters but tab, LF, CR


def has_control(data: np.ndarray) -> bool:
    """Whether UTF-8 bytes hold a control character other than tab, line feed, carriage return."""
    low = data[data < 32]
    return bool(len(low) and ((low != 9) & (low != 10) & (low != 13)).any()) or bool((data == 127).any())


def text_facts(arr, limit: int, tokens: bool = True) -> tuple[bool, np.ndarray, np.ndarray]:
    """(plain, fingerprint, maybe blank) of one string array, reading only the offsets, the
    edge bytes and two byte reductions.

    * plain: every byte ASCII, no value longer than ``limit``, none starting or ending with
      whitespace (nothing needs trimming; empty values and nulls are the caller's);
    * fingerprint (length, last byte): equal for equal values, it feeds the duplicate hash;
    * maybe blank: positions of the values that may be a blank spelling ("-", "N/A", "none"
      ...: 1-4 bytes starting with -, # or n), for the caller to look at (not looked for
      when ``tokens`` is False).
    """
    n = len(arr)
    offs = string_offsets(arr)
    lens = np.diff(offs)
    lo, hi = (int(offs[0]), int(offs[-1])) if n else (0, 0)
    if hi == lo:
        return True, np.zeros(n, dtype=np.int64), np.zeros(0, dtype=np.intp)
    raw = np.frombuffer(arr.buffers()[2], dtype=np.uint8)
    data = raw[lo:hi]
    plain = bool(lens.max() <= limit and data.max() < 128)
    last = raw[offs[1:] - 1]  # an empty value reads a neighbour's byte: masked below
    low = int(lens.min())
    empty = lens == 0 if low == 0 else None  # nulls, or empty strings
    lowest = int(data.min())
    if plain and lowest < 32 and has_control(data):
        plain = False  # a control byte anywhere: the careful path rejects the row
    edges = plain and lowest <= 32  # some value holds a space or a control byte
    short = tokens and low <= _LONGEST_TOKEN
    if edges or short:
        starts = offs[:-1] if offs[-2] < hi else np.minimum(offs[:-1], hi - 1)  # trailing blanks
        first = raw[starts]
    if edges:  # an edge byte <= 32: whitespace (or a control byte: the careful path decides)
        edge = (first <= 32) | (last <= 32)
        if empty is not None:
            edge &= ~empty
        plain = not edge.any()
    maybe = np.zeros(0, dtype=np.intp)
    if short:  # a blank spelling is 1-4 bytes and starts with -, # or n/N
        folded = first | 0x20
        cand = (folded == 0x6E) | (folded == 0x2D) | (folded == 0x23)  # n N - # (and 2 controls)
        if cand.any():
            cand &= (lens >= _SHORTEST_TOKEN) & (lens <= _LONGEST_TOKEN)
            maybe = np.flatnonzero(cand)
    fp = (lens << 8) | last
    if empty is not None:
        fp[empty] = -1  # blanks share one code whatever their neighbours
    return plain, fp, maybe


def blank_spelling(arr, positions: np.ndarray) -> bool:
    """True when a value at one of ``positions`` reads as blank to the careful lanes ("-",
    "NONE", "n/a" ...; pyarrow only nulls the spellings listed in NULLS)."""
    import pyarrow as pa

    values = set(arr.take(pa.array(positions)).to_pylist())
    return any(is_blank(v) for v in values if v is not None)


_local = threading.local()


def set_tick(fn) -> None:
    """Install (or clear with None) a callable run every few thousand values in long loops:
    the importer passes one that reports progress and raises Cancelled."""
    _local.tick = fn


def tick() -> None:
    fn = getattr(_local, "tick", None)
    if fn is not None:
        fn()


def _object_key(values):
    """Identity of an object column's cells: (data pointer, length, stride) of its numpy array,
    or None (arrow strings and numbers factorize fast; they are not remembered)."""
    if not isinstance(values, pd.Series) or values.dtype != object:
        return None
    arr = values.to_numpy(copy=False)
    if arr.ndim != 1:
        return None
    return arr.__array_interface__["data"][0], len(arr), arr.strides[0], arr


def factorize(values):
    """``pd.factorize(values, use_na_sentinel=True)``. Inside ``factor_memo()`` the result for an
    object column is remembered by the identity of its cells (several checks of one import look
    at the same column: blanks, totals labels, parsing, duplicates). Read-only results."""
    memo = getattr(_local, "memo", None)
    key = _object_key(values) if memo is not None else None
    if key is None:
        return pd.factorize(values, use_na_sentinel=True)
    hit = memo.get(key[:3])
    if hit is not None:
        return hit[1], hit[2]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    memo[key[:3]] = (key[3], codes, uniques)  # the array is held: its address stays unique
    return codes, uniques


class factor_memo:
    """``with parse.factor_memo(): ...``: remember factorizations of object columns for the
    block (one import's source + build); nested blocks share the outer memo."""

    def __enter__(self):
        self.prev = getattr(_local, "memo", None)
        if self.prev is None:
            _local.memo = {}
        return self

    def __exit__(self, *exc):
        _local.memo = self.prev
        return False


def _factor_apply(values: pd.Series, fn, dtype, fill):
    """Apply ``fn`` to each distinct value; returns (array, ok)."""
    codes, uniques = factorize(values)
    res = np.empty(len(uniques), dtype=dtype)
    uok = np.zeros(len(uniques), dtype=bool)
    for i, u in enumerate(uniques):
        if not i & 4095:
            tick()
        r = fn(u)
        if r is not None:
            res[i] = r
            uok[i] = True
        else:
            res[i] = fill
    out = np.full(len(values), fill, dtype=dtype)
    ok = np.zeros(len(values), dtype=bool)
    has = codes >= 0
    out[has] = res[codes[has]]
    ok[has] = uok[codes[has]]
    return out, ok


# --- numbers and money ------------------------------------------------------------------------

CURRENCY_SYMBOLS = {
    "US$": "USD", "U$S": "USD", "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
    "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "CHF": "CHF", "Fr.": "CHF", "kr": "SEK",
    "zł": "PLN", "R$": "BRL", "₩": "KRW", "S$": "SGD", "HK$": "HKD", "NZ$": "NZD", "₺": "TRY",
}
_SYMBOLS_SORTED = sorted(CURRENCY_SYMBOLS, key=len, reverse=True)
_CODE_RE = re.compile(r"^([A-Z]{3})\s*(.*)$|^(.*?)\s*([A-Z]{3})$")
_NUM_RE = re.compile(r"^[+-]?(\d[\d.,' ]*|[.,]\d+)$|^\d+([.,]\d+)?[eE][+-]?\d{1,3}$")
# scientific notation as Excel writes small costs to CSV: 1.5E-05, 2.5e+03, 1,5E-02
_EXP_RE = re.compile(r"^(\d+(?:[.,]\d+)?)[eE]([+-]?\d{1,3})$")
_MAX_INT_DIGITS = 12  # 10^12 units in micros still fits int64


@dataclass(frozen=True)
class NumberToken:
    """A cleaned number spelling: sign, digits with separators, currency found next to it."""

    negative: bool
    body: str  # digits and separators only
    currency: str | None
    percent: bool = False


# ERP credit/debit markers: "123.45 CR" / "123.45CR" / "CR 123.45" is a credit (negative),
# "200.00 DR" a debit (positive). Only on an otherwise unsigned amount: "-5 CR" is refused.
_CRDR_RE = re.compile(r"^(?:(CR|DR)\s*(?=[^A-Za-z\s])(.+)|(.*[^A-Za-z\s])\s*(CR|DR))$", re.IGNORECASE)


def tokenize_number(raw) -> NumberToken | None:
    """Strip currency, sign, parentheses and percent from one spelling; None if not a number."""
    s = str(raw).strip(_SPACES + "\r\n")
    for ch in "\u00a0\u202f\u2009\u2007":
        s = s.replace(ch, " ")
    s = s.replace("\u2212", "-")  # unicode minus
    if not s:
        return None
    m = _CRDR_RE.match(s)
    if m:
        marker = (m.group(1) or m.group(4)).upper()
        rest = (m.group(2) if m.group(1) else m.group(3)).strip()
        if rest.startswith(("-", "+", "(")) or rest.endswith(("-", ")")) or "%" in rest:
            return None  # a sign and a marker together: ambiguous
        t = tokenize_number(rest)
        if t is None or t.negative or t.percent:
            return None
        return NumberToken(marker == "CR", t.body, t.currency, False)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    if s.endswith("-") and not s.startswith("-"):  # SAP style 123.45-
        negative, s = True, s[:-1].strip()
    if s.startswith("-"):
        negative, s = not negative, s[1:].strip()
    elif s.startswith("+"):
        s = s[1:].strip()
    currency = None
    for sym in _SYMBOLS_SORTED:
        if s.startswith(sym):
            currency, s = CURRENCY_SYMBOLS[sym], s[len(sym):].strip()
            break
        if s.endswith(sym):
            currency, s = CURRENCY_SYMBOLS[sym], s[: -len(sym)].strip()
            break
    if currency is None:
        m = _CODE_RE.match(s)
        if m:
            if m.group(1):
                currency, s = m.group(1), m.group(2).strip()
            else:
                currency, s = m.group(4), m.group(3).strip()
    # sign may follow the currency: "USD -12.00", "$-5"
    if s.startswith("(") and s.endswith(")"):
        negative, s = not negative, s[1:-1].strip()
    if s.startswith("-"):
        negative, s = not negative, s[1:].strip()
    percent = False
    if s.endswith("%"):
        percent, s = True, s[:-1].strip()
    if not _NUM_RE.match(s):
        return None
    return NumberToken(negative, s, currency, percent)


def separator_vote(body: str) -> str | None:
    """Which decimal separator this spelling proves: '.', ',' or None (ambiguous / no decimals)."""
    e = _EXP_RE.match(body)
    if e:  # a mantissa never groups thousands: its one separator is the decimal one
        m = e.group(1)
        return "." if "." in m else ("," if "," in m else None)
    body = body.replace(" ", "").replace("'", "")
    has_dot, has_comma = "." in body, "," in body
    if has_dot and has_comma:
        return "." if body.rfind(".") > body.rfind(",") else ","
    for sep, other in ((".", ","), (",", ".")):
        if (has_dot if sep == "." else has_comma):
            n = body.count(sep)
            if n > 1:
                return other  # 1.234.567 -> '.' groups thousands, decimal is ','
            head, tail = body.split(sep)
            if len(tail) != 3 or head in ("", "0") or len(head) > 3:
                return sep  # 12.5, 0.125, .5, 1234.567 -> decimal
            return None  # 1.234 or 1,234: could be either
    return None


def decide_decimal(columns: list[pd.Series]) -> tuple[str | None, int, int]:
    """Vote over every distinct value of the file's numeric columns.

    Returns (decided separator or None when nothing settles it, votes for '.', votes for ',').
    """
    dot = comma = 0
    for col in columns:
        if col.dtype.kind in "fiub":
            continue
        if len(col) > 20_000 and _is_arrow_string(col):
            d, c, rest = _arrow_votes(col)
            dot += d
            comma += c
            col = rest
        for u in pd.unique(col.dropna()):
            if isinstance(u, (int, float, np.integer, np.floating, Decimal)):
                continue
            t = tokenize_number(u)
            if t is None:
                continue
            v = separator_vote(t.body)
            if v == ".":
                dot += 1
            elif v == ",":
                comma += 1
    if dot and not comma:
        return ".", dot, comma
    if comma and not dot:
        return ",", dot, comma
    if dot or comma:
        return ("." if dot >= comma else ","), dot, comma
    return None, 0, 0


def _arrow_votes(col: pd.Series) -> tuple[int, int, pd.Series]:
    """Separator votes of the plain spellings (digits, one separator) counted per distinct
    value with pyarrow; the other distinct values are returned for the exact rules."""
    import pyarrow as pa
    import pyarrow.compute as pc

    uniq = pc.unique(pc.utf8_trim_whitespace(pa.array(col.array)).drop_null())

    def count(pattern: str) -> int:
        return int(pc.sum(pc.match_substring_regex(uniq, pattern)).as_py() or 0)

    dot = count(r"^-?(0|[0-9]{4,})\.[0-9]+$") + count(r"^-?[1-9][0-9]{0,2}\.([0-9]{1,2}|[0-9]{4,})$")
    comma = count(r"^-?(0|[0-9]{4,}),[0-9]+$") + count(r"^-?[1-9][0-9]{0,2},([0-9]{1,2}|[0-9]{4,})$")
    plain = pc.match_substring_regex(uniq, r"^-?[0-9]+([.,][0-9]+)?$")
    rest = pc.filter(uniq, pc.invert(plain))
    return dot, comma, pd.Series(rest.to_pylist(), dtype=object)


def body_to_decimal(body: str, decimal: str) -> Decimal | None:
    e = _EXP_RE.match(body)
    if e:
        mant = e.group(1)
        if ("," if decimal == "." else ".") in mant:
            return None  # 1,5E-02 in a file whose decimal separator is '.'
        d = Decimal(mant.replace(",", ".")).scaleb(int(e.group(2)))
        if d and d.adjusted() >= _MAX_INT_DIGITS:
            return None
        return d
    b = body.replace(" ", "").replace("'", "")
    group = "," if decimal == "." else "."
    if decimal in b and b.count(decimal) > 1:
        return None
    if group in b:
        if decimal in b and b.rfind(group) > b.find(decimal):
            return None
        intpart = b.split(decimal)[0]
        groups = intpart.split(group)
        if not (1 <= len(groups[0]) <= 3) or any(len(g) != 3 for g in groups[1:]):
            return None
        b = b.replace(group, "")
    if decimal == ",":
        b = b.replace(",", ".")
    if len(b.split(".")[0]) > _MAX_INT_DIGITS:
        return None
    try:
        return Decimal(b)
    except InvalidOperation:
        return None


_MICROS = Decimal(1_000_000)


def _dec_to_micros(d: Decimal) -> int:
    return int((d * _MICROS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class MoneyColumn:
    micros: np.ndarray  # int64
    ok: np.ndarray  # bool: parsed (blank cells are not ok)
    currency: np.ndarray  # object: currency code found in the cell, or None
    blank: np.ndarray  # bool


def parse_money(values: pd.Series, decimal: str = ".", scale: int = 0) -> MoneyColumn:
    """Parse a column of amounts to int64 micros. ``scale``: divide by 10**scale (cents -> 2)."""
    n = len(values)
    if values.dtype.kind in "iu":
        micros = values.to_numpy(dtype=np.int64) * (1_000_000 // (10 ** scale))
        return MoneyColumn(micros, np.ones(n, bool), np.full(n, None, object), np.zeros(n, bool))
    if values.dtype.kind == "f":
        arr = values.to_numpy(dtype=np.float64) / (10 ** scale)
        ok = np.isfinite(arr) & (np.abs(arr) < 1e12)
        micros = np.zeros(n, dtype=np.int64)
        micros[ok] = np.rint(arr[ok] * 1e6).astype(np.int64)
        return MoneyColumn(micros, ok, np.full(n, None, object), ~np.isfinite(arr))
    blank = blank_mask(values)
    if scale == 0 and n > 20_000 and _is_arrow_string(values):
        plain = _plain_micros(values, decimal)
        if plain is not None:
            micros, ok = plain
            rest = ~ok & ~blank
            if rest.any():
                # the other spellings one distinct value at a time (as objects: an arrow
                # column here would take this branch again, without end)
                sub = parse_money(pd.Series(values[rest].to_numpy(dtype=object), dtype=object), decimal, scale)
                micros[rest], ok[rest] = sub.micros, sub.ok
                cur = np.full(n, None, dtype=object)
                cur[rest] = sub.currency
            else:
                cur = np.full(n, None, dtype=object)
            return MoneyColumn(micros, ok & ~blank, cur, blank)
    div = Decimal(10) ** scale

    def one(u):
        if isinstance(u, bool):
            return None
        if isinstance(u, (int, np.integer)):
            return (_dec_to_micros(Decimal(int(u)) / div), None)
        if isinstance(u, (float, np.floating)):
            if not math.isfinite(u) or abs(u) >= 1e12:
                return None
            return (_dec_to_micros(Decimal(repr(float(u))) / div), None)
        if isinstance(u, Decimal):
            return (_dec_to_micros(u / div), None) if u.is_finite() else None
        t = tokenize_number(u)
        if t is None or t.percent:
            return None
        d = body_to_decimal(t.body, decimal)
        if d is None:
            return None
        if t.negative:
            d = -d
        return (_dec_to_micros(d / div), t.currency)

    codes, uniques = factorize(values)
    um = np.zeros(len(uniques), dtype=np.int64)
    uc = np.full(len(uniques), None, dtype=object)
    uok = np.zeros(len(uniques), dtype=bool)
    for i, u in enumerate(uniques):
        if not i & 4095:
            tick()
        r = one(u)
        if r is not None:
            um[i], uc[i], uok[i] = r[0], r[1], True
    has = codes >= 0
    micros = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    cur = np.full(n, None, dtype=object)
    micros[has] = um[codes[has]]
    ok[has] = uok[codes[has]]
    cur[has] = uc[codes[has]]
    ok &= ~blank
    return MoneyColumn(micros, ok, cur, blank)


def _is_arrow_string(values: pd.Series) -> bool:
    dt = values.dtype
    return isinstance(dt, pd.StringDtype) and getattr(dt, "storage", "") == "pyarrow"


def decimal_micros(col) -> tuple[np.ndarray, np.ndarray]:
    """pyarrow decimal128(18, 6) (array or chunked) -> (int64 micros, valid): the unscaled
    integers are the micros, read straight from the buffers."""
    import pyarrow as pa

    chunks = col.chunks if isinstance(col, pa.ChunkedArray) else [col]
    n = sum(len(c) for c in chunks)
    out = np.empty(n, dtype=np.int64)
    valid = np.ones(n, dtype=bool)
    pos = 0
    for c in chunks:
        m = len(c)
        if m:
            words = np.frombuffer(c.buffers()[1], dtype=np.int64)[c.offset * 2: (c.offset + m) * 2]
            out[pos:pos + m] = words[0::2]
            if c.null_count:
                valid[pos:pos + m] = ~np.asarray(c.is_null())
        pos += m
    out[~valid] = 0
    return out, valid


def _plain_micros(values: pd.Series, decimal: str):
    """Vectorised pass for plain spellings (-1234.5, up to 12 integer and 6 decimal digits):
    (micros, ok) where ok marks the plain ones; None when pyarrow cannot help."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    arr = pa.chunked_array([pa.array(values.array)]) if not isinstance(values.array, pa.ChunkedArray) \
        else values.array
    trimmed = pc.utf8_trim_whitespace(arr)
    sep = "\\." if decimal == "." else ","
    plain = pc.fill_null(pc.match_substring_regex(trimmed, rf"^-?[0-9]{{1,12}}({sep}[0-9]{{1,6}})?$"), False)
    ok = np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)
    micros = np.zeros(len(values), dtype=np.int64)
    if not ok.any():
        return micros, ok
    sel = pc.filter(trimmed, plain)
    if decimal == ",":
        sel = pc.replace_substring(sel, ",", ".")
    dec = pc.cast(sel, pa.decimal128(18, 6))
    m, _ = decimal_micros(dec)
    micros[ok] = m
    return micros, ok


def parse_number(values: pd.Series, decimal: str = ".") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse quantities/prices/percentages to float64. Returns (values, ok, blank).

    "5%" reads as 5.0 (percent columns hold percentages, docs/domain.md).
    """
    if values.dtype.kind in "fiu":
        arr = values.to_numpy(dtype=np.float64)
        return arr, np.isfinite(arr), ~np.isfinite(arr)
    blank = blank_mask(values)

    def one(u):
        if isinstance(u, bool):
            return None
        if isinstance(u, (int, float, np.integer, np.floating)):
            f = float(u)
            return f if math.isfinite(f) else None
        if isinstance(u, Decimal):
            return float(u)
        t = tokenize_number(u)
        if t is None:
            return None
        d = body_to_decimal(t.body, decimal)
        if d is None:
            return None
        return float(-d if t.negative else d)

    out, ok = _factor_apply(values, one, np.float64, np.nan)
    return out, ok & ~blank, blank


_TRUE = {"true", "t", "yes", "y", "1", "x", "ja", "j", "oui", "si", "sí", "wahr", "vrai", "sim", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "nein", "non", "falsch", "faux", "não", "nao", "0.0"}


def parse_bool(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    blank = blank_mask(values)

    def one(u):
        if isinstance(u, (bool, np.bool_)):
            return bool(u)
        s = str(u).strip().casefold()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
        return None

    out, ok = _factor_apply(values, one, bool, False)
    return out, ok & ~blank, blank


# --- dates ------------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*"
    r"(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
_NUMERIC_RE = re.compile(
    r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})(?:[T ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,]\d+)?\s*"
    r"(AM|PM)?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?)?$",
    re.IGNORECASE,
)
_COMPACT_RE = re.compile(r"^(19|20)(\d{2})(\d{2})(\d{2})$")
_MONTHS = {
    # en, de, fr, es, it, nl, pt (abbreviations and full names)
    "jan": 1, "january": 1, "januar": 1, "janvier": 1, "enero": 1, "ene": 1, "gennaio": 1, "gen": 1,
    "januari": 1, "janeiro": 1, "jän": 1, "janv": 1,
    "feb": 2, "february": 2, "februar": 2, "février": 2, "fevrier": 2, "févr": 2, "febrero": 2,
    "febbraio": 2, "februari": 2, "fevereiro": 2, "fev": 2,
    "mar": 3, "march": 3, "märz": 3, "marz": 3, "mär": 3, "mars": 3, "marzo": 3, "maart": 3,
    "março": 3, "mrt": 3,
    "apr": 4, "april": 4, "avril": 4, "avr": 4, "abril": 4, "abr": 4, "aprile": 4,
    "may": 5, "mai": 5, "mayo": 5, "maggio": 5, "mag": 5, "mei": 5, "maio": 5,
    "jun": 6, "june": 6, "juni": 6, "juin": 6, "junio": 6, "giugno": 6, "giu": 6, "junho": 6,
    "jul": 7, "july": 7, "juli": 7, "juillet": 7, "juil": 7, "julio": 7, "luglio": 7, "lug": 7,
    "julho": 7,
    "aug": 8, "august": 8, "août": 8, "aout": 8, "agosto": 8, "ago": 8, "augustus": 8,
    "sep": 9, "sept": 9, "september": 9, "septembre": 9, "septiembre": 9, "settembre": 9,
    "set": 9, "setembro": 9,
    "oct": 10, "october": 10, "oktober": 10, "okt": 10, "octobre": 10, "octubre": 10,
    "ottobre": 10, "ott": 10, "outubro": 10, "out": 10,
    "nov": 11, "november": 11, "novembre": 11, "noviembre": 11, "novembro": 11,
    "dec": 12, "december": 12, "dezember": 12, "dez": 12, "décembre": 12, "decembre": 12,
    "déc": 12, "diciembre": 12, "dic": 12, "dicembre": 12, "dezembro": 12,
}
_WORD_DMY = re.compile(r"^(\d{1,2})[.\s-]+([^\W\d_]+)\.?[\s,.-]+(\d{4})(?:\s+.*)?$")
_WORD_MDY = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})(?:\s+.*)?$")
# a word date followed by a time, as Looker / Google Sheets write it: "Feb 4, 2026, 12:00:00 AM",
# "4 Feb 2026 23:30 +05:30"; the time is cut to the day (with a zone: the UTC day)
_TIME_TAIL = (r"(?:\s*,\s*|\s+)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(am|pm)?\s*"
              r"(z|utc|gmt|[+-]\d{2}:?\d{2})?$")
_WORD_DMY_T = re.compile(r"^(\d{1,2})[.\s-]+([^\W\d_]+)\.?[\s,.-]+(\d{4})" + _TIME_TAIL)
_WORD_MDY_T = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})" + _TIME_TAIL)
_WORD_MY = re.compile(r"^([^\W\d_]+)\.?[\s-]+(\d{4})$")
_YM_RE = re.compile(r"^(\d{4})[-/.](\d{1,2})$")

EXCEL_1900 = _dt.date(1899, 12, 30)
EXCEL_1904 = _dt.date(1904, 1, 1)
_SERIAL_MIN, _SERIAL_MAX = 1, 2958465  # 1900-01-01 .. 9999-12-31


def decide_date_order(columns: list[pd.Series]) -> tuple[str | None, str | None, int, int]:
    """Vote over every distinct d/m/y spelling of the file's date columns.

    Returns (decided order 'DMY'|'MDY' or None, the separator seen, day-first votes, month-first
    votes).
    """
    dmy = mdy = 0
    sep_seen = None
    for col in columns:
        if col.dtype.kind in "fiuM":
            continue
        for u in pd.unique(col.dropna()):
            if not isinstance(u, str):
                continue
            m = _NUMERIC_RE.match(u.strip())
            if not m:
                continue
            a, b = int(m.group(1)), int(m.group(3))
            sep_seen = sep_seen or m.group(2)
            if a > 12 >= b:
                dmy += 1
            elif b > 12 >= a:
                mdy += 1
    if dmy and not mdy:
        return "DMY", sep_seen, dmy, mdy
    if mdy and not dmy:
        return "MDY", sep_seen, dmy, mdy
    if dmy or mdy:
        return ("DMY" if dmy >= mdy else "MDY"), sep_seen, dmy, mdy
    return None, sep_seen, 0, 0


def default_date_order(sep: str | None) -> str:
    """Documented default when a file never settles the order: dotted dates are day-first."""
    return "DMY" if sep == "." else "MDY"


def _tz_shift(y, mo, d, hh, mi, ss, tz) -> _dt.date | None:
    date = _dt.date(y, mo, d)
    if not tz or tz.upper() in ("Z", "UTC", "GMT"):
        return date
    sign = -1 if tz[0] == "-" else 1
    t = tz[1:].replace(":", "")
    offset = _dt.timedelta(hours=int(t[:2]), minutes=int(t[2:4]))
    local = _dt.datetime(y, mo, d, hh or 0, mi or 0, ss or 0)
    return (local - sign * offset).date()


def _parse_date_str(s: str, order: str, date1904: bool) -> _dt.date | None:
    s = s.strip()
    m = _ISO_RE.match(s)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        hh = int(m.group(4)) if m.group(4) else 0
        mi = int(m.group(5)) if m.group(5) else 0
        ss = int(m.group(6)) if m.group(6) else 0
        if hh > 23 or mi > 59 or ss > 60:
            return None
        return _tz_shift(y, mo, d, hh, mi, min(ss, 59), m.group(7))
    m = _NUMERIC_RE.match(s)
    if m:
        a, b, y = int(m.group(1)), int(m.group(3)), m.group(4)
        year = int(y) if len(y) == 4 else 2000 + int(y)
        d, mo = (a, b) if order == "DMY" else (b, a)
        hh = int(m.group(5)) if m.group(5) else 0
        mi = int(m.group(6)) if m.group(6) else 0
        ss = int(m.group(7)) if m.group(7) else 0
        ampm = (m.group(8) or "").upper()
        if ampm == "PM" and hh < 12:
            hh += 12
        elif ampm == "AM" and hh == 12:
            hh = 0
        if hh > 23 or mi > 59:
            return None
        return _tz_shift(year, mo, d, hh, mi, min(ss, 59), m.group(9))
    m = _COMPACT_RE.match(s)
    if m:
        return _dt.date(int(m.group(1) + m.group(2)), int(m.group(3)), int(m.group(4)))
    low = s.casefold()
    for rx, di, mi_ in ((_WORD_DMY_T, 1, 2), (_WORD_MDY_T, 2, 1)):
        m = rx.match(low)
        if m and m.group(mi_).rstrip(".") in _MONTHS:
            hh, mi, ss = int(m.group(4)), int(m.group(5)), int(m.group(6) or 0)
            ampm = m.group(7) or ""
            if ampm and not 1 <= hh <= 12:
                return None
            if ampm == "pm" and hh < 12:
                hh += 12
            elif ampm == "am" and hh == 12:
                hh = 0
            if hh > 23 or mi > 59 or ss > 60:
                return None
            return _tz_shift(int(m.group(3)), _MONTHS[m.group(mi_).rstrip(".")], int(m.group(di)),
                             hh, mi, min(ss, 59), m.group(8))
    m = _WORD_DMY.match(low)
    if m and m.group(2).rstrip(".") in _MONTHS:
        return _dt.date(int(m.group(3)), _MONTHS[m.group(2).rstrip(".")], int(m.group(1)))
    m = _WORD_MDY.match(low)
    if m and m.group(1).rstrip(".") in _MONTHS:
        return _dt.date(int(m.group(3)), _MONTHS[m.group(1).rstrip(".")], int(m.group(2)))
    try:
        f = float(s)
    except ValueError:
        return None
    return serial_to_date(f, date1904)


def serial_to_date(f: float, date1904: bool = False) -> _dt.date | None:
    """Excel serial day number -> date (fraction = time of day, dropped)."""
    if not math.isfinite(f) or not (_SERIAL_MIN <= f <= _SERIAL_MAX):
        return None
    base = EXCEL_1904 if date1904 else EXCEL_1900
    try:
        return base + _dt.timedelta(days=int(math.floor(f)))
    except OverflowError:
        return None


_EPOCH = np.datetime64("1970-01-01", "D")


@dataclass
class DateColumn:
    values: np.ndarray  # datetime64[ns], NaT where not ok
    ok: np.ndarray
    blank: np.ndarray
    far: np.ndarray | None = None  # read as a date, but outside DATE_RANGE (not ok either)


# the days a datetime64[ns] holds, in whole years: a date outside is rejected ("out of range")
DATE_RANGE = (_dt.date(1678, 1, 1), _dt.date(2261, 12, 31))
_DAY_LO = (DATE_RANGE[0] - _dt.date(1970, 1, 1)).days
_DAY_HI = (DATE_RANGE[1] - _dt.date(1970, 1, 1)).days
DATE_RANGE_MESSAGE = f"the date is out of range (years {DATE_RANGE[0].year}-{DATE_RANGE[1].year})"


def _to_ns(days: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Day numbers -> (datetime64[ns] with NaT where not ok or out of range, ok, far)."""
    far = ok & ((days < _DAY_LO) | (days > _DAY_HI))
    ok = ok & ~far
    safe = np.where(ok, days, 0)
    arr = (_EPOCH + safe.astype("timedelta64[D]")).astype("datetime64[ns]")
    arr[~ok] = np.datetime64("NaT")
    return arr, ok, far


def parse_dates(values: pd.Series, order: str = "MDY", date1904: bool = False) -> DateColumn:
    """Parse a date column (strings, datetimes, Excel serials) to midnight of the UTC day."""
    if values.dtype.kind == "M":
        s = values
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        arr = s.dt.floor("D").to_numpy(dtype="datetime64[ns]")
        ok = ~np.isnat(arr)
        return DateColumn(arr, ok, ~ok)
    blank = blank_mask(values)
    if values.dtype.kind in "fiu":
        f = values.to_numpy(dtype=np.float64)

        def onef(u):
            return serial_to_date(float(u), date1904)

        days, ok = _factor_apply(pd.Series(f), lambda u: _days(onef(u)), np.int64, 0)
        arr, ok, far = _to_ns(days, ok & ~blank)
        return DateColumn(arr, ok, blank, far)

    def one(u):
        if isinstance(u, _dt.datetime):
            if u.tzinfo is not None:
                u = u.astimezone(_dt.UTC).replace(tzinfo=None)
            return _days(u.date())
        if isinstance(u, _dt.date):
            return _days(u)
        if isinstance(u, pd.Timestamp):
            if u.tzinfo is not None:
                u = u.tz_convert("UTC").tz_localize(None)
            return _days(u.date())
        if isinstance(u, (int, float, np.integer, np.floating)) and not isinstance(u, bool):
            return _days(serial_to_date(float(u), date1904))
        if isinstance(u, str):
            try:
                return _days(_parse_date_str(u, order, date1904))
            except ValueError:
                return None
        return None

    days, ok = _factor_apply(values, one, np.int64, 0)
    arr, ok, far = _to_ns(days, ok & ~blank)
    return DateColumn(arr, ok, blank, far)


def _days(d: _dt.date | None) -> int | None:
    if d is None:
        return None
    return (d - _dt.date(1970, 1, 1)).days


def parse_month(values: pd.Series, order: str = "MDY") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Budget months: '2026-03', '2026/3', 'Mar 2026', 'März 2026', a date or a serial -> 'YYYY-MM'."""
    blank = blank_mask(values)

    def one(u):
        if isinstance(u, (_dt.date, pd.Timestamp)):
            return f"{u.year:04d}-{u.month:02d}"
        if isinstance(u, str):
            s = u.strip()
            m = _YM_RE.match(s)
            if m and 1 <= int(m.group(2)) <= 12:
                return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"
            m = _WORD_MY.match(s.casefold())
            if m and m.group(1).rstrip(".") in _MONTHS:
                return f"{int(m.group(2)):04d}-{_MONTHS[m.group(1).rstrip('.')]:02d}"
            try:
                d = _parse_date_str(s, order, False)
            except ValueError:
                d = None
            return f"{d.year:04d}-{d.month:02d}" if d else None
        if isinstance(u, (int, float, np.integer, np.floating)) and not isinstance(u, bool):
            d = serial_to_date(float(u))
            return f"{d.year:04d}-{d.month:02d}" if d else None
        return None

    out, ok = _factor_apply(values, one, object, None)
    return out, ok & ~blank, blank
