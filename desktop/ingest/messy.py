"""Cells the fast lane's typed read refused, read the careful reader's way.

A slice of a usage CSV (desktop/ingest/fast.py) whose money, number, date or yes/no column
pyarrow cannot type is read again with those columns as text, and the columns that do not cast
are parsed here: the plain spellings by one pyarrow cast (the bulk of a column with a handful of
messy cells), then pyarrow for the common spellings (plain numbers, "$1,234.50", "(12.00)",
"-$5", thousands separators, "12%" in a number column, ISO dates with or without a time,
03/04/2026 in the file's day/month order), then the careful reader's own functions
(desktop.ingest.parse) for the cells still left, one distinct value at a time. A cell is read
to the same value, or refused with the same message, as the careful reader would.

Decisions the careful reader makes for the whole file are made the same way: the decimal
separator (a spelling that proves ',' hands the file to the careful reader, whose vote decides),
and the day/month order of numeric dates (decided from every such date of the file, after all
slices are read: ISO dates never vote, so the clean slices cannot change it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from desktop.ingest import parse

# pyarrow first: a money or number spelling with an optional "(" ... ")", a minus sign and a
# dollar sign, digits grouped by "," in threes or not grouped (at most 12 integer digits, as
# the careful reader allows), decimals after "."
_GROUPED = r"[0-9]{1,3}(?:,[0-9]{3}){1,3}"
_MONEY_RE = (r"^(?P<open>\()?(?P<sign>-)?(?P<cur>\$)?(?P<num>(?:" + _GROUPED + r"|[0-9]{1,12})"
             r"(?:\.[0-9]{1,6})?)(?P<close>\))?$")
_NUMBER_RE = (r"^(?P<open>\()?(?P<sign>-)?(?P<num>(?:" + _GROUPED + r"|[0-9]{1,12})(?:\.[0-9]+)?)"
              r"(?P<pct>%)?(?P<close>\))?$")
_PLAIN_MONEY = r"^-?[0-9]{1,12}(\.[0-9]{1,6})?$"
_PLAIN_NUMBER = r"^-?[0-9]{1,12}(\.[0-9]+)?$"
# ISO dates, optionally with a valid time (no zone: a zone can move the day; those go careful)
_ISO_DAY = (r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ](?:[01][0-9]|2[0-3]):[0-5][0-9]"
            r"(?::(?:[0-5][0-9]|60)(?:[.,][0-9]+)?)?)?$")
_NUMERIC_DAY = {"MDY": "%m/%d/%Y", "DMY": "%d/%m/%Y"}
_NUMERIC_DAY_RE = r"^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$"
_DAY_NS = 86_400_000_000_000


KINDS = ("money", "float", "date", "bool")  # the column kinds read here


def read(kind: str, arr) -> Cells:
    """One text column of a slice read as ``kind`` (one of KINDS)."""
    return {"money": money, "float": number, "date": dates, "bool": boolean}[kind](arr)


class GiveUp(Exception):
    """The file needs a decision only the careful reader makes (a ',' decimal separator, an
    undecided or mixed day/month order): the careful reader reads it."""


@dataclass
class Cells:
    """One text column of one slice, read as its canonical kind."""

    kind: str  # money | float | date | bool
    raw: object  # the Arrow strings as read (pyarrow's null spellings are null)
    values: np.ndarray  # int64 micros | float64 | datetime64[ns] | bool
    ok: np.ndarray
    blank: np.ndarray
    far: np.ndarray  # dates read but outside parse.DATE_RANGE
    odd: np.ndarray  # not a plain spelling: the raw text decides duplicates
    currency: np.ndarray | None = None  # money: the currency written in the cell (object)
    pending: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))  # dates left


def _bool(arr) -> np.ndarray:
    return np.asarray(arr.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def _strings(arr):
    """Large strings, pyarrow's nulls as "" (the careful reader reads those cells as empty)."""
    import pyarrow as pa

    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.large_string()) if arr.type != pa.large_string() else arr
    return arr.fill_null("") if arr.null_count else arr


def _days(text, fmt: str, day):
    """pyarrow's strptime of ``text`` to day numbers (int64) and which parsed; strptime rolls
    2026-02-30 over into March, so the day of the month must come back as written (``day``:
    the day field as text)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ts = pc.strptime(text, fmt, "s", error_is_null=True)
    same = pc.equal(pc.day(ts), pc.cast(day, pa.int64()))
    good = _bool(same)
    days = pc.fill_null(ts.cast(pa.int64()), 0).to_numpy(zero_copy_only=False) // 86_400
    return days[good], good


def _blank(arr) -> np.ndarray:
    """The careful reader's blanks (parse.blank_mask: "", "-", "N/A", " null " ...)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    low = pc.utf8_lower(pc.utf8_trim(arr, characters=parse._SPACES + "\r\n"))
    hit = pc.fill_null(pc.is_in(low, value_set=pa.array(sorted(parse._NULL_TOKENS), low.type)), True)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _rest(arr, mask: np.ndarray) -> pd.Series:
    import pyarrow as pa

    return pd.Series(arr.filter(pa.array(mask)).to_pylist(), dtype=object)


def _money_cells(arr) -> Cells:
    """Amounts to int64 micros with the file's decimal '.' (parse.parse_money's rules)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _strings(arr)
    n = len(arr)
    blank = _blank(arr)
    micros = np.zeros(n, dtype=np.int64)
    ok = np.zeros(n, dtype=bool)
    odd = ~blank
    cur = np.full(n, None, dtype=object)
    trimmed = pc.utf8_trim(arr, characters=parse._SPACES + "\r\n")
    plain = _bool(pc.match_substring_regex(trimmed, _PLAIN_MONEY)) & ~blank
    if plain.any():
        m, _ = parse.decimal_micros(pc.cast(trimmed.filter(pa.array(plain)), pa.decimal128(18, 6)))
        micros[plain] = m
        ok[plain] = True
        odd &= ~plain
    if odd.any():
        idx = np.flatnonzero(odd)
        got = pc.extract_regex(trimmed.take(pa.array(idx)), _MONEY_RE)
        hit = _bool(pc.is_valid(got))
        if hit.any():
            g = got.filter(pa.array(hit))
            open_ = _bool(pc.not_equal(pc.struct_field(g, "open"), ""))
            close = _bool(pc.not_equal(pc.struct_field(g, "close"), ""))
            both = open_ == close  # "(12.00" is not an amount
            num = pc.replace_substring(pc.struct_field(g, "num"), ",", "")
            m, _ = parse.decimal_micros(pc.cast(num, pa.decimal128(18, 6)))
            neg = open_ ^ _bool(pc.not_equal(pc.struct_field(g, "sign"), ""))
            dollar = _bool(pc.not_equal(pc.struct_field(g, "cur"), ""))
            at = idx[np.flatnonzero(hit)][both]
            micros[at] = np.where(neg, -m, m)[both]
            ok[at] = True
            cur[at[dollar[both]]] = "USD"
        left = odd & ~ok
    else:
        left = odd
    if left.any():
        rest = _rest(arr, left)
        _votes(rest)
        mc = parse.parse_money(rest, ".")
        micros[left] = mc.micros
        ok[left] = mc.ok
        cur[left] = mc.currency
    ok &= ~blank
    has_cur = bool(pd.notna(pd.Series(cur, dtype=object)).any())
    return Cells("money", arr, micros, ok, blank, np.zeros(n, dtype=bool), odd,
                 currency=cur if has_cur else None)


def _number_cells(arr) -> Cells:
    """Numbers to float64 (parse.parse_number's rules: "12%" reads as 12.0)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _strings(arr)
    n = len(arr)
    blank = _blank(arr)
    vals = np.full(n, np.nan, dtype=np.float64)
    ok = np.zeros(n, dtype=bool)
    odd = ~blank
    trimmed = pc.utf8_trim(arr, characters=parse._SPACES + "\r\n")
    plain = _bool(pc.match_substring_regex(trimmed, _PLAIN_NUMBER)) & ~blank
    if plain.any():
        vals[plain] = pc.cast(trimmed.filter(pa.array(plain)), pa.float64()).to_numpy(zero_copy_only=False)
        ok[plain] = True
        odd &= ~plain
    if odd.any():
        idx = np.flatnonzero(odd)
        got = pc.extract_regex(trimmed.take(pa.array(idx)), _NUMBER_RE)
        hit = _bool(pc.is_valid(got))
        if hit.any():
            g = got.filter(pa.array(hit))
            open_ = _bool(pc.not_equal(pc.struct_field(g, "open"), ""))
            close = _bool(pc.not_equal(pc.struct_field(g, "close"), ""))
            both = open_ == close
            num = pc.replace_substring(pc.struct_field(g, "num"), ",", "")
            v = pc.cast(num, pa.float64()).to_numpy(zero_copy_only=False)
            neg = open_ ^ _bool(pc.not_equal(pc.struct_field(g, "sign"), ""))
            at = idx[np.flatnonzero(hit)][both]
            vals[at] = np.where(neg, -v, v)[both]
            ok[at] = True
        left = odd & ~ok
    else:
        left = odd
    if left.any():
        rest = _rest(arr, left)
        _votes(rest)
        v, o, _ = parse.parse_number(rest, ".")
        vals[left] = v
        ok[left] = o
    ok &= ~blank
    return Cells("float", arr, vals, ok, blank, np.zeros(n, dtype=bool), odd)


def money(arr) -> Cells:
    """Amounts to int64 micros with the file's decimal '.' (parse.parse_money's rules)."""
    return _plain_first("money", arr)


def number(arr) -> Cells:
    """Numbers to float64 (parse.parse_number's rules: "12%" reads as 12.0)."""
    return _plain_first("float", arr)


def dates(arr) -> Cells:
    """ISO dates (with a time or not) now; the other spellings are left ``pending`` until the
    file's day/month order is known (:func:`finish_dates`)."""
    return _plain_first("date", arr)


# the spellings a column of a messy slice mostly holds, read by one pyarrow cast; a cell that
# matches reads the same in the careful pass (no blank, nothing to trim, the same value)
_PLAIN = {"money": _PLAIN_MONEY, "float": _PLAIN_NUMBER, "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}

def _plain_first(kind: str, arr) -> Cells:
    """One text column of a slice: the plain spellings (_PLAIN) cast by pyarrow in one pass
    (a slice read as text because of a handful of "$1,234.50" is almost all plain), the few
    others read the careful way (_money_cells, _number_cells, _date_cells) and put back in place. Cells read as the careful
    pass alone would read them; when a plain-looking cell does not cast (2026-02-30) the whole
    column takes the careful pass."""
    import pyarrow as pa
    import pyarrow.compute as pc

    careful = {"money": _money_cells, "float": _number_cells, "date": _date_cells}[kind]
    arr = _strings(arr)
    n = len(arr)
    plain = _bool(pc.match_substring_regex(arr, _PLAIN[kind]))
    if not plain.any():
        return careful(arr)
    text = arr.filter(pa.array(plain)) if not plain.all() else arr
    try:
        if kind == "money":
            got, _ = parse.decimal_micros(pc.cast(text, pa.decimal128(18, 6)))
        elif kind == "float":
            got = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        else:
            got = pc.cast(text, pa.date32()).cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    except pa.ArrowInvalid:
        return careful(arr)
    rest = np.flatnonzero(~plain)
    sub = careful(arr.take(pa.array(rest))) if len(rest) else None
    at = np.flatnonzero(plain)
    ok = np.zeros(n, dtype=bool)
    far = np.zeros(n, dtype=bool)
    if kind == "date":
        values = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
        _put_days(values, ok, far, at, got)
    else:
        values = np.zeros(n, dtype=np.int64) if kind == "money" else np.full(n, np.nan, dtype=np.float64)
        values[at] = got
        ok[at] = True
    blank = np.zeros(n, dtype=bool)
    odd = np.zeros(n, dtype=bool)
    cells = Cells(kind, arr, values, ok, blank, far, odd)
    if sub is None:
        return cells
    values[rest], ok[rest], blank[rest], far[rest], odd[rest] = sub.values, sub.ok, sub.blank, sub.far, sub.odd
    if sub.currency is not None:
        cells.currency = np.full(n, None, dtype=object)
        cells.currency[rest] = sub.currency
    cells.pending = rest[sub.pending]
    return cells


def boolean(arr) -> Cells:
    """Yes/no (parse.parse_bool: one distinct value at a time; a column has few)."""
    arr = _strings(arr)
    s = pd.Series(pd.arrays.ArrowStringArray(arr))
    vals, ok, blank = parse.parse_bool(s)
    return Cells("bool", arr, vals, ok, blank, np.zeros(len(arr), dtype=bool), ~blank)


def _date_cells(arr) -> Cells:
    """ISO dates (with a time or not) now; the other spellings are left ``pending`` until the
    file's day/month order is known (:func:`finish_dates`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = _strings(arr)
    n = len(arr)
    blank = _blank(arr)
    vals = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.zeros(n, dtype=bool)
    far = np.zeros(n, dtype=bool)
    trimmed = pc.utf8_trim(arr, characters=parse._SPACES + "\r\n")
    iso = _bool(pc.match_substring_regex(trimmed, _ISO_DAY)) & ~blank
    if iso.any():
        text = trimmed.filter(pa.array(iso))
        d, good = _days(pc.utf8_slice_codeunits(text, 0, 10), "%Y-%m-%d", pc.utf8_slice_codeunits(text, 8, 10))
        _put_days(vals, ok, far, np.flatnonzero(iso)[good], d)
        iso[np.flatnonzero(iso)[~good]] = False  # 2026-02-30: the careful reader refuses it below
    # a plain ISO day is read as a typed slice reads it; a time of day makes the text count
    plain = _bool(pc.equal(pc.utf8_length(trimmed), 10)) & iso
    pending = np.flatnonzero(~blank & ~iso)
    return Cells("date", arr, vals, ok, blank, far, ~blank & ~plain, pending=pending)


def _put_days(vals, ok, far, at: np.ndarray, days: np.ndarray) -> None:
    out = (days < parse._DAY_LO) | (days > parse._DAY_HI)
    far[at[out]] = True
    keep = at[~out]
    vals[keep] = (days[~out] * _DAY_NS).view("datetime64[ns]")
    ok[keep] = True


def date_order(columns: list[Cells]) -> str:
    """The day/month order the careful reader would decide from every numeric date of the file
    (the clean slices hold ISO dates only, which never vote); GiveUp when it is undecided with
    an ambiguous date to read, or mixed (the careful reader warns, naming a row)."""
    import pyarrow as pa

    values = [c.raw.take(pa.array(c.pending)).to_pylist() for c in columns if len(c.pending)]
    flat = pd.Series([v for vs in values for v in vs], dtype=object)
    order, sep, dmy, mdy = parse.decide_date_order([flat])
    if order is None:
        if sep is not None:
            raise GiveUp("the day/month order of the dates is undecided")
        return "MDY"
    if dmy and mdy:
        raise GiveUp("day-first and month-first dates are mixed")
    return order


def finish_dates(c: Cells, order: str) -> None:
    """Read the pending date spellings: d/m/yyyy with pyarrow, the rest the careful way."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(c.pending):
        return
    sub = pc.utf8_trim(c.raw.take(pa.array(c.pending)), characters=parse._SPACES + "\r\n")
    numeric = _bool(pc.match_substring_regex(sub, _NUMERIC_DAY_RE))
    done = np.zeros(len(sub), dtype=bool)
    if numeric.any():
        text = sub.filter(pa.array(numeric))
        fields = pc.split_pattern(text, "/")
        day = pc.list_element(fields, 0 if order == "DMY" else 1)
        d, good = _days(text, _NUMERIC_DAY[order], day)
        pos = np.flatnonzero(numeric)[good]
        _put_days(c.values, c.ok, c.far, c.pending[pos], d)
        done[pos] = True
    left = c.pending[~done]
    if len(left):
        rest = pd.Series(c.raw.take(pa.array(left)).to_pylist(), dtype=object)
        dc = parse.parse_dates(rest, order, False)
        c.values[left] = dc.values
        c.ok[left] = dc.ok
        if dc.far is not None:
            c.far[left] = dc.far
    c.pending = np.zeros(0, dtype=np.intp)


def _votes(rest: pd.Series) -> None:
    """A spelling that proves ',' as the decimal separator: the careful reader's file-wide vote
    decides (and may reject the other spellings), so it reads the file."""
    for u in pd.unique(rest.dropna()):
        t = parse.tokenize_number(u)
        if t is not None and parse.separator_vote(t.body) == ",":
            raise GiveUp("a number spelled with a decimal comma")
