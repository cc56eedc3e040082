"""What is this file? Container, encoding, delimiter, header row, totals rows.

Everything here looks at a bounded sample (the first 64 KiB for text, the first 30 rows for
header finding), so it is cheap on any file. Rules (docs/formats.md "Sniffing"):

* container by magic bytes, not by extension: ``PK\\x03\\x04`` -> xlsx, ``{``/``[`` -> JSON,
  OLE2 -> legacy .xls (refused with advice), text otherwise; binary junk is refused.
* encoding: BOM first (utf-8-sig, utf-16), then utf-16 without BOM (NULs in every other
  byte), then strict utf-8, then cp1252 (latin-1 for the five bytes cp1252 leaves undefined).
* delimiter: of ``,`` ``;`` tab ``|``, the one that splits the most sample lines into the same
  number (> 1) of fields, quotes respected.
* header row: within the first 30 rows, the row with most cells that are known column names
  (canonical names or synonyms); without any known name, the first row whose non-empty cells
  are all text and number at least half the widest row. Title rows and blank rows above it are
  skipped. A merged header cell (a blank header above data) takes the label of the row above
  it; duplicate names get the group label of the row above as a prefix.
* totals rows: a row whose first non-empty text cells say TOTAL / Subtotal / Summe / Gesamt /
  Total général / Totale / Importe total ... is excluded from the data and reported.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

SAMPLE_BYTES = 65536
HEADER_SCAN_ROWS = 30
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class TextInfo:
    encoding: str  # python codec name used to decode
    label: str  # what the report says: utf-8, utf-8-sig (BOM), cp1252, utf-16-le ...
    bom: int  # bytes of BOM to skip


def container(head: bytes, suffix: str) -> str:
    """'xlsx' | 'xls' | 'json' | 'text' | 'binary' from the first bytes (and the suffix as hint)."""
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"[") and suffix.lower() in (".json", ".jsonl", ".txt", ""):
        return "json"
    if stripped[:1] == b"{":
        return "json"
    return "text"


def detect_encoding(head: bytes) -> TextInfo:
    if head.startswith(codecs.BOM_UTF8):
        return TextInfo("utf-8", "utf-8-sig", 3)
    if head.startswith(codecs.BOM_UTF16_LE):
        return TextInfo("utf-16-le", "utf-16 (BOM, little-endian)", 2)
    if head.startswith(codecs.BOM_UTF16_BE):
        return TextInfo("utf-16-be", "utf-16 (BOM, big-endian)", 2)
    sample = head[:4096]
    if len(sample) >= 4:
        even_nuls = sample[0::2].count(0)
        odd_nuls = sample[1::2].count(0)
        half = len(sample) // 2
        if odd_nuls > 0.4 * half and even_nuls < 0.05 * half:
            return TextInfo("utf-16-le", "utf-16-le", 0)
        if even_nuls > 0.4 * half and odd_nuls < 0.05 * half:
            return TextInfo("utf-16-be", "utf-16-be", 0)
    try:
        # a multi-byte sequence cut at the end of the sample is fine
        head.decode("utf-8")
        return TextInfo("utf-8", "utf-8", 0)
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason in ("unexpected end of data",):
            return TextInfo("utf-8", "utf-8", 0)
    try:
        head.decode("cp1252")
        return TextInfo("cp1252", "cp1252", 0)
    except UnicodeDecodeError:
        return TextInfo("latin-1", "latin-1", 0)


def looks_binary(text_sample: str) -> bool:
    """Control characters (other than tab/CR/LF/FF) in more than 1 % of the sample: not a table."""
    if not text_sample:
        return False
    bad = len(_CONTROL.findall(text_sample))
    return bad > max(2, len(text_sample) // 100)


_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd]")  # not tab, LF, FF, CR


def _split_count(line: str, delim: str) -> int:
    n, inq = 0, False
    for ch in line:
        if ch == '"':
            inq = not inq
        elif ch == delim and not inq:
            n += 1
    return n + 1


def detect_delimiter(text_sample: str, complete: bool = False) -> str:
    """The delimiter that splits the most sample lines into one field count (> 1).

    Ties (a title line "Kosten, November 2026" above a ``;`` table whose one data row has
    decimal commas: both ``,`` and ``;`` give two lines of equal width) go to the delimiter
    whose equal-width lines run unbroken down to the last line (the table body sits at the
    bottom of the sample, titles sit on top), then to more fields. ``complete``: the sample is
    the whole file, so its last line is not cut short.
    """
    all_lines = text_sample.splitlines()
    if len(all_lines) > 1 and not complete and not text_sample.endswith(("\n", "\r")):
        all_lines = all_lines[:-1]  # the last sampled line may be cut short
    lines = [ln for ln in all_lines[:60] if ln.strip()]
    best, best_score = ",", None
    for d in DELIMITERS:
        counts = [_split_count(ln, d) for ln in lines]
        wide = Counter(c for c in counts if c > 1)
        if not wide:
            continue
        # the most frequent width > 1 (ties: the wider one)
        freq, mode = max((f, k) for k, f in wide.items())
        run = 0
        for c in reversed(counts):
            if c != mode:
                break
            run += 1
        score = (freq, run, mode)
        if best_score is None or score > best_score:
            best, best_score = d, score
    return best


# --- header finding -----------------------------------------------------------------------------


def norm_name(name) -> str:
    """Header normalisation for matching: casefold, accents kept, non-alnum -> '_'."""
    s = str(name).strip().casefold().replace("%", "_pct")
    s = re.sub(r"[^\w]+", "_", s)
    return s.strip("_")


def _is_texty(v) -> bool:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return False
    if not isinstance(v, str):
        return False
    s = v.strip()
    if not s:
        return False
    return re.fullmatch(r"[-+($€£¥]*[\d.,\s/:%-]+(?:[eE][+-]?\d{1,3})?[)]*", s) is None


def _nonempty(v) -> bool:
    if v is None:
        return False
    if isinstance(v, float) and np.isnan(v):
        return False
    return not (isinstance(v, str) and not v.strip())


def find_header(rows: list[list], known: set[str]) -> int:
    """Index (0-based, within ``rows``) of the header row."""
    scan = rows[:HEADER_SCAN_ROWS]
    if not scan:
        return 0
    widths = [sum(_nonempty(v) for v in r) for r in scan]
    widest = max(widths) if widths else 0
    best, best_hits = -1, 0
    for i, r in enumerate(scan):
        hits = sum(1 for v in r if _is_texty(v) and norm_name(v) in known)
        if hits > best_hits:
            best, best_hits = i, hits
    if best >= 0 and best_hits >= 2 or (best >= 0 and widest <= 2):
        return best
    for i, r in enumerate(scan):
        ne = [v for v in r if _nonempty(v)]
        if len(ne) >= max(2, (widest + 1) // 2) and all(_is_texty(v) for v in ne):
            return i
    if best >= 0:
        return best
    for i, w in enumerate(widths):
        if w:
            return i
    return 0


def _two_level(top: list, bottom: list) -> bool:
    """Do ``top`` and ``bottom`` form one header split over two rows (merged cells)?"""
    w = max(len(top), len(bottom))
    top = list(top) + [""] * (w - len(top))
    bottom = list(bottom) + [""] * (w - len(bottom))
    t_ne = [j for j in range(w) if _nonempty(top[j])]
    b_ne = [j for j in range(w) if _nonempty(bottom[j])]
    if len(t_ne) < 2 or not b_ne:
        return False
    if not all(_is_texty(top[j]) for j in t_ne) or not all(_is_texty(bottom[j]) for j in b_ne):
        return False
    group_continues = any(not _nonempty(top[j]) and _nonempty(bottom[j]) for j in range(1, w))
    vertical = any(_nonempty(top[j]) and not _nonempty(bottom[j]) for j in range(w))
    return group_continues and vertical


def header_span(rows: list[list], h: int) -> tuple[int | None, int]:
    """(group row index or None, name row index) around the detected header row ``h``."""
    if h + 1 < len(rows) and _two_level(rows[h], rows[h + 1]):
        return h, h + 1
    if h > 0 and _two_level(rows[h - 1], rows[h]):
        return h - 1, h
    return None, h


def header_names(top: list | None, bottom: list, width: int,
                 repeated: dict[str, list[int]] | None = None) -> list[str]:
    """Column names from the name row ``bottom`` and, for a two-row header, the group row ``top``
    (merged cells: a blank name takes the label above it; duplicate names get the group label
    of their merged range as a prefix). A name still written twice becomes "cost", "cost (2)";
    ``repeated`` (when given) receives {name: [0-based columns]} for those."""
    width = max(width, len(bottom))
    bottom = list(bottom) + [""] * (width - len(bottom))
    above = (list(top) + [""] * (width - len(top)))[:width] if top is not None else [""] * width
    group, filled = "", []
    for v in above:
        if _nonempty(v):
            group = str(v).strip()
        filled.append(group)
    names: list[str] = []
    for j in range(width):
        v = bottom[j]
        if _nonempty(v):
            names.append(str(v).strip())
        elif _nonempty(above[j]):  # vertically merged header: label sits in the row above
            names.append(str(above[j]).strip())
        else:
            names.append("")
    counts = Counter(n for n in names if n)
    out: list[str] = []
    seen: Counter = Counter()
    for j, n in enumerate(names):
        if not n:
            # horizontally merged header cell: the merged range's label is on its left
            left = next((out[k] for k in range(j - 1, -1, -1) if out[k]), "column")
            n = f"{left.split(' (')[0]} ({j + 1})"
        elif counts[n] > 1 and filled[j]:
            n = f"{filled[j]} {n}"
        seen[n] += 1
        if seen[n] > 1:
            if repeated is not None and _nonempty(bottom[j]):
                first = next(k for k, m in enumerate(out) if m == n)
                repeated.setdefault(n, [first]).append(j)
            n = f"{n} ({seen[n]})"
        out.append(n)
    return out


_TOTAL_RE = re.compile(
    r"^\s*(grand\s*total|sub-?\s*total|zwischensumme|gesamtsumme|summe|gesamt|total\s+général|"
    r"total\s+general|sous-total|totale|importe\s+total|subtotale|totaal|totals?)\b",
    re.IGNORECASE,
)


def is_total_label(v) -> bool:
    return isinstance(v, str) and _TOTAL_RE.match(v) is not None


def totals_mask(frame: pd.DataFrame, max_cols: int = 3) -> np.ndarray:
    """Rows whose first non-empty text cells (up to ``max_cols`` columns) say total/subtotal."""
    n = len(frame)
    out = np.zeros(n, dtype=bool)
    for col in list(frame.columns)[:max_cols]:
        s = frame[col]
        if s.dtype.kind in "fiubM":
            continue
        from desktop.ingest.parse import factorize

        codes, uniques = factorize(s)
        if len(uniques) == 0:
            continue
        u = np.fromiter((is_total_label(x) for x in uniques), dtype=bool, count=len(uniques))
        if not u.any():
            continue
        has = codes >= 0
        hit = np.zeros(n, dtype=bool)
        hit[has] = u[codes[has]]
        out |= hit
    return out
