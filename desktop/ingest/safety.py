"""Limits checked before any parser touches a file (docs/formats.md "Safety").

* every file: size limit (``Limits.max_file_bytes``);
* xlsx: a readable zip (a truncated zip is refused), entry count, total uncompressed size,
  per-entry compression ratio, no XML DOCTYPE/ENTITY declarations (billion laughs), and the real
  extent of every sheet measured by streaming its XML (the declared ``<dimension>`` is never
  trusted): rows, columns and rows x columns under the limits. The workbook's 1904 date system
  flag is read on the way;
* JSON: size only (the stdlib parser has no entity expansion);
* text: cells longer than ``Limits.max_cell_chars`` are refused row by row by the builder.

openpyxl must run with defusedxml: ``check_defusedxml`` raises when openpyxl says it does not.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop.ingest.errors import UnreadableFile


class UnsafeFile(UnreadableFile):
    """The file breaks a safety limit; it is refused before any parser runs."""


class DefusedXmlMissing(RuntimeError):
    """openpyxl is not protected by defusedxml: CommitDesk refuses to start."""


def check_defusedxml() -> None:
    import openpyxl

    if not getattr(openpyxl, "DEFUSEDXML", False):
        raise DefusedXmlMissing(
            "openpyxl reports that defusedxml is not active; install defusedxml "
            "(CommitDesk refuses to read spreadsheets without it)")


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 512 * 1024 * 1024
    max_xlsx_bytes: int = 128 * 1024 * 1024
    max_zip_entries: int = 2_000
    max_uncompressed_bytes: int = 768 * 1024 * 1024
    max_entry_ratio: float = 150.0  # uncompressed / compressed, for entries over 1 MiB
    max_rows: int = 2_000_000
    max_cols: int = 1_024
    max_cells: int = 12_000_000  # rows x cols of the sheet's used rectangle
    max_cell_chars: int = 4_096
    # one physical line of a text file: longer lines are rejected as rows, never held whole
    max_line_bytes: int = 8 * 1024 * 1024
    # a JSON page is read result by result, every value bounded (desktop/ingest/json_stream.py):
    # about 4x the file in memory at its peak (its bytes and text while decoding, then columns)
    max_json_bytes: int = 128 * 1024 * 1024
    # the child process that parses a workbook (desktop/ingest/isolate.py): address space it may
    # add to what it has mapped at its start, and CPU seconds
    xlsx_child_memory_bytes: int = 6 * 1024**3
    xlsx_child_cpu_seconds: int = 300


DEFAULT_LIMITS = Limits()

# Everything zipfile/zlib raise on a damaged, truncated or exotic zip: BadZipFile (and
# LargeZipFile), NotImplementedError ("zip file version 10.0", an unknown compression method),
# RuntimeError (an encrypted entry), zlib.error / EOFError (a broken deflate stream), struct.error
# (a cut header), OSError, ValueError (also UnicodeDecodeError in a part name).
ZIP_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, zlib.error,
    EOFError, struct.error, OSError, ValueError, KeyError, IndexError, OverflowError)


def check_columns(ncols: int, name: str, limits: Limits = DEFAULT_LIMITS, *, at_least: bool = False) -> None:
    """A text table wider than ``Limits.max_cols`` is refused like a too-wide sheet."""
    if ncols > limits.max_cols:
        raise UnsafeFile(
            f"the table has {'at least ' if at_least else ''}{ncols:,} columns; the limit is "
            f"{limits.max_cols:,} columns "
            "(is the delimiter right? a CSV this wide is not a cost table)", file=name)


@dataclass
class SheetExtent:
    name: str  # zip path of the sheet part
    rows: int
    cols: int


@dataclass
class XlsxFacts:
    date1904: bool = False
    sheets: list[SheetExtent] = field(default_factory=list)


def check_size(path: Path, limits: Limits = DEFAULT_LIMITS, *, kind: str = "text") -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnsafeFile(f"cannot open the file: {exc.strerror or exc}", file=path.name) from exc
    limit = {"xlsx": limits.max_xlsx_bytes, "json": limits.max_json_bytes}.get(kind, limits.max_file_bytes)
    if size > limit:
        split = " (save the API's pages as separate files)" if kind == "json" else ""
        raise UnsafeFile(
            f"the file is {size / 2**20:,.0f} MiB; the limit for this kind of file is "
            f"{limit / 2**20:,.0f} MiB{split}", file=path.name)
    if size == 0:
        raise UnsafeFile("the file is empty", file=path.name)
    return size


_DOCTYPE_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def col_index(letters: bytes | str) -> int:
    if isinstance(letters, bytes):
        letters = letters.decode("ascii")
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n


def col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def check_xlsx(path: Path, limits: Limits = DEFAULT_LIMITS, tick=None) -> XlsxFacts:
    """All the xlsx checks; returns the facts the reader needs (1904 flag, sheet extents).
    ``tick()`` runs after every chunk of sheet XML scanned (a few ms each): the importer's
    progress and cancel (it may raise to stop the scan)."""
    check_size(path, limits, kind="xlsx")
    name = path.name
    try:
        zf = zipfile.ZipFile(path)
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"not a readable xlsx workbook (damaged or truncated zip: "
                         f"{type(exc).__name__}: {exc})", file=name) from exc
    try:
        with zf:
            return _check_zip(zf, name, limits, tick)
    except UnsafeFile:
        raise
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"not a readable xlsx workbook (damaged zip: {type(exc).__name__}: {exc})",
                         file=name) from exc


def _check_zip(zf: zipfile.ZipFile, name: str, limits: Limits, tick=None) -> XlsxFacts:
    infos = zf.infolist()
    if len(infos) > limits.max_zip_entries:
        raise UnsafeFile(f"the workbook has {len(infos):,} parts; the limit is "
                         f"{limits.max_zip_entries:,}", file=name)
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise UnsafeFile(
            f"the workbook unpacks to {total / 2**20:,.0f} MiB; the limit is "
            f"{limits.max_uncompressed_bytes / 2**20:,.0f} MiB (zip bomb?)", file=name)
    for i in infos:
        if i.file_size > 2**20 and i.file_size > limits.max_entry_ratio * max(i.compress_size, 1):
            raise UnsafeFile(
                f"part {i.filename} is compressed {i.file_size / max(i.compress_size, 1):,.0f}:1; "
                f"the limit is {limits.max_entry_ratio:,.0f}:1 (zip bomb?)", file=name)
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise UnsafeFile("not an xlsx workbook (no xl/workbook.xml; is it a different zip file?)",
                         file=name)
    facts = XlsxFacts()
    sheets = sheet_parts(zf, names, name)
    for i in infos:
        if i.filename.endswith((".xml", ".rels", ".vml")) or i.filename in sheets:
            head = _read_head(zf, i, name, 65536)
            if _DOCTYPE_RE.search(head):
                raise UnsafeFile(f"part {i.filename} declares XML entities (DOCTYPE); "
                                 "spreadsheets never need them (billion laughs?)", file=name)
    wb = _read_head(zf, zf.getinfo("xl/workbook.xml"), name, 1 << 20)
    facts.date1904 = re.search(rb'date1904="(1|true)"', wb) is not None
    for i in infos:
        if i.filename in sheets:
            facts.sheets.append(_sheet_extent(zf, i, name, limits, tick))
    return facts


_REL_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?Relationship(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")


def _attr(attrs: bytes, key: bytes) -> str | None:
    m = re.search(rb"(?:^|\s)" + key + rb"\s*=\s*(?:\"([^\"]*)\"|'([^']*)')", attrs)
    if m is None:
        return None
    import html

    return html.unescape((m.group(1) if m.group(1) is not None else m.group(2)).decode("utf-8", "replace"))


def _targets(zf: zipfile.ZipFile, rels: str, base: str, names: set[str], name: str,
             want) -> list[str]:
    """Parts a relationships part names (with ``want(type)``), resolved every way a reader might
    (relative to ``base``, from the root, percent-decoded), those that exist in the zip."""
    import posixpath
    from urllib.parse import unquote

    if rels not in names:
        return []
    body = _read_head(zf, zf.getinfo(rels), name, 8 << 20)
    out: list[str] = []
    for m in _REL_RE.finditer(body):
        typ, target = _attr(m.group(1), b"Type") or "", _attr(m.group(1), b"Target")
        if not target or not want(typ):
            continue
        for t in {target, unquote(target)}:
            for cand in (t.lstrip("/"), posixpath.normpath(posixpath.join(base, t)).lstrip("/"),
                         posixpath.join(base, t)):
                if cand in names and cand not in out:
                    out.append(cand)
    return out


def sheet_parts(zf: zipfile.ZipFile, names: set[str], name: str) -> list[str]:
    """Every part a reader may take for a sheet: what the workbook's relationships name as a
    worksheet (or chart/dialog/macro sheet), wherever it lives in the zip (xl/data/sheet1.xml is
    as good as xl/worksheets/sheet1.xml to calamine), the workbook the package's root
    relationships name, and every xl/worksheets/*.xml."""
    books = ["xl/workbook.xml"] + _targets(zf, "_rels/.rels", "", names, name,
                                           lambda t: t.endswith("/officeDocument"))
    parts: list[str] = []
    for book in dict.fromkeys(books):
        folder, _, leaf = book.rpartition("/")
        rels = f"{folder}/_rels/{leaf}.rels" if folder else f"_rels/{leaf}.rels"
        for t in _targets(zf, rels, folder, names, name, lambda t: t.lower().endswith("sheet")):
            if t not in parts:
                parts.append(t)
    parts += sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")
                    and n not in parts)
    return parts


def _read_head(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, n: int) -> bytes:
    try:
        with zf.open(info) as f:
            return f.read(n)
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"part {info.filename} cannot be read (damaged or truncated zip: {exc})",
                         file=name) from exc


def _sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: Limits,
                  tick=None) -> SheetExtent:
    """Stream the sheet XML and measure the rectangle calamine would allocate (``_Extent``).

    Each chunk is joined to the unfinished tag the previous one ended with (everything from its
    last '<': '<' cannot appear inside a tag or in text), so every tag is seen whole once."""
    ext = _Extent(info.filename, name)
    carry = b""
    try:
        for chunk in _inflated(zf, info):
            buf = carry + chunk if carry else chunk
            lt = buf.rfind(b"<")
            if lt < 0 or buf.find(b">", lt) >= 0:
                # no tag, or the last tag is complete: only text can follow it
                cut = len(buf) if lt < 0 or len(buf) - lt > MAX_TAG_BYTES else lt
            else:
                cut = lt
                if len(buf) - lt > MAX_TAG_BYTES:
                    raise ext.damaged("a tag longer than 1 MiB")
            ext.feed(buf[:cut] if cut < len(buf) else buf)
            carry = buf[cut:]
            _check_extent(ext.rows, ext.cols, info.filename, name, limits)
            if tick is not None:
                tick()
        if carry:
            ext.feed(carry)
            _check_extent(ext.rows, ext.cols, info.filename, name, limits)
    except UnsafeFile:
        raise
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"sheet {info.filename} cannot be read (damaged or truncated zip: {exc})",
                         file=name) from exc
    return SheetExtent(info.filename, ext.rows, ext.cols)


def _inflated(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int = 4 << 20):
    """The part's bytes in chunks of at most ``size``. A deflated part is inflated here with
    ISA-L (python-isal: ~5x zlib's speed; the scan is the only thing that runs before the
    parser) straight from the file, never past the size the zip declares, and its CRC is
    checked at the end; anything else (stored, other methods, encrypted, isal missing) goes
    through zipfile."""
    try:
        from isal import isal_zlib as z
    except ImportError:  # pragma: no cover - isal is a dependency; zipfile still works
        z = None
    if z is None or info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 1 or not zf.filename:
        with zf.open(info) as f:
            while chunk := f.read(size):
                yield chunk
        return
    with open(zf.filename, "rb") as f:
        f.seek(info.header_offset)
        head = f.read(30)
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise zipfile.BadZipFile(f"bad local header for {info.filename}")
        name_len, extra_len = struct.unpack("<HH", head[26:30])
        f.seek(info.header_offset + 30 + name_len + extra_len)
        d = z.decompressobj(-15)
        left = info.compress_size
        total = 0
        crc = 0
        pending = b""
        while True:
            if not pending and left > 0:
                pending = f.read(min(left, 1 << 20))
                if not pending:
                    raise zipfile.BadZipFile(f"{info.filename} is cut short")
                left -= len(pending)
            try:
                if pending:
                    out = d.decompress(pending, size)
                    pending = d.unconsumed_tail
                else:  # all input read: what the inflater still holds (at most its window)
                    out = d.flush()
            except z.error as exc:
                raise zipfile.BadZipFile(f"{info.filename}: {exc}") from exc
            if out:
                total += len(out)
                if total > info.file_size:
                    raise zipfile.BadZipFile(f"{info.filename} inflates past its declared size")
                crc = z.crc32(out, crc)
                yield out
            if d.eof or (not pending and left <= 0 and not out):
                break
        if not d.eof or total != info.file_size or crc != info.CRC:
            raise zipfile.BadZipFile(f"{info.filename} is damaged (size or CRC does not match)")


def _check_extent(rows: int, cols: int, part: str, name: str, limits: Limits) -> None:
    where = f"{col_letters(cols)}{rows}" if rows and cols else ""
    sheet = part.rsplit("/", 1)[-1].removesuffix(".xml")
    if rows >= 10**9:
        raise UnsafeFile(f"{sheet} has a cell in row 1,000,000,000 or beyond; the limit is "
                         f"{limits.max_rows:,} rows (damaged or hostile)", file=name)
    if cols > limits.max_cols:
        raise UnsafeFile(
            f"{sheet} has a cell in column {col_letters(cols)} ({cols:,} columns{', at ' + where if where else ''}); "
            f"the limit is {limits.max_cols:,} columns. Delete the stray cells or copy the table to a new sheet",
            file=name)
    if rows > limits.max_rows:
        raise UnsafeFile(f"{sheet} has {rows:,} rows; the limit is {limits.max_rows:,}", file=name)
    if rows * cols > limits.max_cells:
        raise UnsafeFile(
            f"{sheet} spans {rows:,} rows x {cols:,} columns (up to {where}); the limit is "
            f"{limits.max_cells:,} cells. Delete stray cells far from the table", file=name)


# ---- the sheet extent scan ------------------------------------------------------------------
# calamine allocates the rectangle spanned by every cell it finds: the row and column of each
# cell come from the cell's own reference (r="XFD1048576"), else from the previous cell/row + 1.
# The scan measures exactly that, reading any legal spelling of the attributes:
# * fast path (what every spreadsheet writer emits): every <c ...> and <row ...> start tag has r as
#   its first attribute written ` r="..."`. Then every reference in the chunk is one ` r="`
#   value: they are read all at once with numpy (letters -> column, digits -> row, each
#   range-checked). A ` r="` value elsewhere (text) only makes the measure larger, never smaller.
# * careful path (anything else: single quotes, whitespace or a newline around r or =, r not
#   first, prefixed tags, cells or rows without r): a tokenizer over the start tags (quote-aware:
#   '>' may sit inside an attribute value) that follows calamine's rules for cells without r.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
MAX_TAG_BYTES = 1 << 20

_TAG_RE = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_R_ATTR_RE = re.compile(rb"(?:^|\s)r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_REF_RE = re.compile(rb"([A-Z]*)([0-9]+)")


_PREFIX_HINT_RE = re.compile(rb":(?:c|row)[\s/>]")
_PREFIXED_RE = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row)[\s/>]")


def _bounded_int(digits: bytes) -> int:
    """A row number; anything past 9 digits is read as 10**9 (over every limit, and no huge int)."""
    digits = digits.lstrip(b"0") or b"0"
    return int(digits) if len(digits) <= 9 else 10**9


class _Extent:
    """Running extent of one sheet part: max row, max column, and the careful path's position."""

    def __init__(self, part: str, name: str):
        self.part, self.name = part, name
        self.rows = 0
        self.cols = 0
        self.row = 0  # careful path: current row (calamine's counter for rows without r)
        self.col = 0  # careful path: last column in the current row

    def damaged(self, what: str) -> UnsafeFile:
        return UnsafeFile(f"this workbook is damaged or hostile: {self.part} has {what}", file=self.name)

    def feed(self, buf: bytes) -> None:
        if not buf:
            return
        if not self._fast(buf, np.frombuffer(buf, dtype=np.uint8)):
            self._careful(buf)

    def _fast(self, buf: bytes, arr) -> bool:
        """The fast path, when every <c> and <row> start tag in ``buf`` is unprefixed and begins
        ` r="`: the references are read at fixed offsets from the tags' '<' (numpy); False
        (nothing taken) otherwise."""
        lt = np.flatnonzero(arr == 60)
        arr = np.concatenate([arr, np.zeros(24, dtype=np.uint8)])  # windows past the end read 0
        first = arr[lt + 1]
        lt = lt[(first == 99) | (first == 114)]  # <c... and <r...: the tags that matter
        nxt = arr[lt[:, None] + np.arange(1, 9)]  # the 8 bytes after each '<'
        c_tag = (nxt[:, 0] == 99) & _DELIM[nxt[:, 1]]
        row_tag = (nxt[:, 0] == 114) & (nxt[:, 1] == 111) & (nxt[:, 2] == 119) & _DELIM[nxt[:, 3]]
        if _PREFIX_HINT_RE.search(buf) is not None and _PREFIXED_RE.search(buf) is not None:
            return False  # prefixed tags (<x:c ...>): the careful path knows them
        c_ok = (nxt[:, 1] == 32) & (nxt[:, 2] == 114) & (nxt[:, 3] == 61) & (nxt[:, 4] == 34)
        row_ok = (nxt[:, 3] == 32) & (nxt[:, 4] == 114) & (nxt[:, 5] == 61) & (nxt[:, 6] == 34)
        if (c_tag & ~c_ok).any():
            return False
        extra_rows = 0
        for p in lt[row_tag & ~row_ok]:  # <row spans="1:3" r="9">: r elsewhere in the tag
            m = _TAG_RE.match(buf, int(p))
            r = None if m is None else _R_ATTR_RE.search(m.group(3))
            value = None if r is None else (r.group(1) if r.group(1) is not None else r.group(2))
            if value is None or not value.isdigit():
                return False  # a row without its number: the careful path counts it
            extra_rows = max(extra_rows, _bounded_int(value))
        row_tag &= row_ok
        starts = np.concatenate([lt[c_tag] + 6, lt[row_tag] + 8])
        if not len(starts):
            self._take(extra_rows, 0)
            return True
        win = arr[starts[:, None] + np.arange(12)]
        upper = (win >= 65) & (win <= 90)
        digit = (win >= 48) & (win <= 57)
        letters = np.argmin(upper, axis=1)  # first non-letter (a row of 12 letters: 0, invalid)
        after = np.where(np.arange(12) >= letters[:, None], digit, True)
        ndig = np.argmin(after, axis=1) - letters
        end = letters + ndig
        closing = win[np.arange(len(starts)), np.minimum(end, 11)]
        valid = (letters <= 3) & (ndig >= 1) & (ndig <= 7) & (closing == 34) & (end < 12)
        ncell = int(np.count_nonzero(c_tag))
        valid[:ncell] &= letters[:ncell] >= 1  # a cell reference has its letters
        valid[ncell:] &= letters[ncell:] == 0  # a row number has none
        if not valid.all():
            return False  # the careful path names what is wrong
        dig = win.astype(np.int64) - 48
        num = np.zeros(len(starts), dtype=np.int64)
        for j in range(10):
            num = np.where((j >= letters) & (j < end), num * 10 + dig[:, j], num)
        lv = win[:, :3].astype(np.int64) - 64
        col = np.where(letters == 1, lv[:, 0], 0)
        col = np.where(letters == 2, lv[:, 0] * 26 + lv[:, 1], col)
        col = np.where(letters == 3, (lv[:, 0] * 26 + lv[:, 1]) * 26 + lv[:, 2], col)
        self._take(max(int(num.max()), extra_rows), int(col.max()))
        if ncell < len(starts) or extra_rows:
            self.row = max(int(num[ncell:].max(initial=0)), extra_rows)  # where the careful path goes on
        self.col = int(col.max())
        return True

    def _take(self, row: int, col: int, what=None) -> None:
        self.rows = max(self.rows, row)
        self.cols = max(self.cols, col)

    def _careful(self, buf: bytes) -> None:
        for m in _TAG_RE.finditer(buf):
            closing, tag, attrs = m.groups()
            if closing:
                if tag == b"row":
                    self.col = 0
                continue
            r = _R_ATTR_RE.search(attrs)
            value = None if r is None else (r.group(1) if r.group(1) is not None else r.group(2))
            if tag == b"row":
                if value is None:
                    self.row += 1
                else:
                    if not value.isdigit():
                        raise self.damaged(f"a row number {value[:20].decode('latin-1')!r} that is not "
                                           "a row number")
                    self.row = _bounded_int(value)
                self.col = 0
                self._take(self.row, 0)
                continue
            if value is None:
                self.col += 1
                self._take(max(self.row, 1), self.col)
                continue
            ref = _REF_RE.fullmatch(value)
            if ref is None or not ref.group(1):
                raise self.damaged(f"a cell reference {value[:20].decode('latin-1')!r} that is not a cell "
                                   "reference (column letters and a row number, e.g. B7)")
            col = col_index(ref.group(1)) if len(ref.group(1)) <= 4 else 10 * EXCEL_MAX_COLS
            row = _bounded_int(ref.group(2))
            self.col = col
            self._take(row, col)
            self.row = max(self.row, 0)


_DELIM = np.zeros(256, dtype=bool)
for _b in b" \t\r\n/>":
    _DELIM[_b] = True
