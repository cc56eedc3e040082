"""Vendor API pages (JSON) read bucket by bucket, with every value bounded.

``json.load`` of a whole page builds a Python object for every result before anything is
checked: a valid 52 MB OpenAI Costs API page took 834 MB (16x the file). Here the stdlib
decoder (``json.JSONDecoder.raw_decode``: the C scanner) decodes one result at a time; only
the punctuation of the containers between them (the page object, its ``data`` array, a
bucket object and its ``results`` array, or a list of pages / ``{"pages": [...]}``) is stepped
over here. Each decoded result is bounded at once:

* a string longer than ``max_chars`` is cut to ``max_chars + 1`` characters (``Cut``, which
  remembers its length for the import issue), so the row is
  rejected as "value is longer than 4,096 characters" by the normal cell check (the 50 MB
  string is held once, while its result is decoded, never kept);
* a number longer than ``max_chars`` digits is not converted (Python's int() of a 50-million
  digit number is refused or quadratic; Decimal of it is slow): it becomes a string of
  ``max_chars + 1`` characters and its row is rejected the same way;
* other numbers are exact: integers as int, the others as Decimal (as before).

Memory is the file's text plus one bucket's results, plus the flattened columns the format
keeps (``Pages.buckets``). A page that is not a JSON object or array, or is not valid JSON
anywhere, raises ``ValueError`` with the decoder's position.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

_WS = " \t\n\r"


class Cut(str):
    """A value cut to ``max_chars + 1`` characters while it was read; ``length`` is how long it
    was (the import issue quotes it: "… (50,000,000 characters)")."""

    length: int

    def __new__(cls, text: str, keep: int) -> Cut:
        out = super().__new__(cls, text[:keep])
        out.length = len(text)
        return out

    def __str__(self) -> str:
        return self


class _Bounded:
    """The decoder with number hooks that never convert an over-long number."""

    def __init__(self, max_chars: int):
        self.max = max_chars

        def num(cls):
            def parse(s: str):
                if len(s) > max_chars:
                    return Cut(s, max_chars + 1)
                return cls(s)
            return parse

        self.decoder = json.JSONDecoder(parse_float=num(Decimal), parse_int=num(int))

    def value(self, text: str, i: int) -> tuple[Any, int]:
        obj, end = self.decoder.raw_decode(text, i)
        # nothing in a value whose whole text is shorter than the limit can be longer than it
        return (obj if end - i <= self.max else self.bound(obj)), end

    def bound(self, v: Any) -> Any:
        if isinstance(v, str):
            return v if len(v) <= self.max or isinstance(v, Cut) else Cut(v, self.max + 1)
        if isinstance(v, dict):
            return {self.bound(k): self.bound(x) for k, x in v.items()}
        if isinstance(v, list):
            return [self.bound(x) for x in v]
        return v


def _skip(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _expect(text: str, i: int, ch: str) -> int:
    i = _skip(text, i)
    if i >= len(text) or text[i] != ch:
        got = repr(text[i]) if i < len(text) else "the end of the file"
        raise ValueError(f"expected {ch!r} at char {i}, found {got}")
    return i + 1


class Pages:
    """One JSON file of vendor API pages. ``buckets()`` walks the file once per call and yields
    each bucket as a dict whose ``results`` is the list of its (bounded) results."""

    def __init__(self, text: str, max_chars: int):
        self.text = text
        self.b = _Bounded(max_chars)
        i = _skip(text, 0)
        if i >= len(text) or text[i] not in "{[":
            raise ValueError("a JSON page is an object or a list of objects")
        self.n_buckets = 0
        self.n_results = 0

    @classmethod
    def open(cls, path: Path, max_chars: int) -> Pages:
        raw = Path(path).read_bytes()
        try:
            text = raw.decode(json.detect_encoding(raw))
        except UnicodeDecodeError as exc:
            raise ValueError(f"the text is not valid {exc.encoding} ({exc.reason} at byte {exc.start})") from exc
        del raw
        return cls(text.lstrip("\ufeff"), max_chars)

    # --- the walk ---------------------------------------------------------------------------
    def buckets(self) -> Iterator[dict]:
        self.n_buckets = self.n_results = 0
        text = self.text
        if self._ch(0) == "[":
            i = _skip(text, 0)
            for j in self._array(i):
                yield from self._page(j)
        else:
            yield from self._page(_skip(text, 0))
        i = _skip(text, self._end)
        if i < len(text):
            raise ValueError(f"extra data at char {i}")

    def _array(self, i: int) -> Iterator[int]:
        """Positions of the elements of the array starting at ``i``; the position after it ends
        in ``self._end`` (each element must have been consumed up to ``self._end`` by the caller)."""
        text = self.text
        i = _expect(text, i, "[")
        i = _skip(text, i)
        if i < len(text) and text[i] == "]":
            self._end = i + 1
            return
        while True:
            yield i
            i = _skip(text, self._end)
            if i < len(text) and text[i] == ",":
                i = _skip(text, i + 1)
                continue
            self._end = _expect(text, i, "]")
            return

    def _members(self, i: int) -> Iterator[tuple[str, int]]:
        """(key, position of its value) of the object starting at ``i``; as ``_array``."""
        text = self.text
        i = _expect(text, i, "{")
        i = _skip(text, i)
        if i < len(text) and text[i] == "}":
            self._end = i + 1
            return
        while True:
            key, i = self.b.value(text, _skip(text, i))
            if not isinstance(key, str):
                raise ValueError(f"an object key must be a string (char {i})")
            i = _skip(text, _expect(text, i, ":"))
            yield key, i
            i = _skip(text, self._end)
            if i < len(text) and text[i] == ",":
                i += 1
                continue
            self._end = _expect(text, i, "}")
            return

    def _ch(self, i: int) -> str:
        """The first character of the value at or after ``i`` (ValueError at the end)."""
        i = _skip(self.text, i)
        if i >= len(self.text):
            raise ValueError(f"the file ends early (char {i})")
        return self.text[i]

    def _skip_value(self, i: int) -> Any:
        v, self._end = self.b.value(self.text, i)
        return v

    def _page(self, i: int) -> Iterator[dict]:
        if self._ch(i) != "{":
            self._skip_value(i)
            return
        for key, j in self._members(i):
            if key == "pages" and self._ch(j) == "[":
                for k in self._array(j):
                    yield from self._page(k)
            elif key == "data" and self._ch(j) == "[":
                for k in self._array(j):
                    b = self._bucket(k)
                    if b is not None:
                        yield b
            else:
                self._skip_value(j)

    def _bucket(self, i: int) -> dict | None:
        if self._ch(i) != "{":
            self._skip_value(i)
            return None
        out: dict[str, Any] = {}
        for key, j in self._members(i):
            if key == "results" and self._ch(j) == "[":
                results = []
                for k in self._array(j):
                    results.append(self._skip_value(k))
                out[key] = results
                self.n_results += len(results)
            else:
                out[key] = self._skip_value(j)
        self.n_buckets += 1
        return out
