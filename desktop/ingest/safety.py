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
    work = np.zeros(0, dtype=np.uint8)  # the joined chunk, reused (fresh pages cost ~1 ms/MB here)
    try:
        for chunk in _inflated(zf, info):
            n = len(carry) + len(chunk)
            if len(work) < n + _PAD:
                work = np.zeros(n + _PAD + (1 << 16), dtype=np.uint8)
            work[:len(carry)] = np.frombuffer(carry, dtype=np.uint8)
            work[len(carry):n] = np.frombuffer(chunk, dtype=np.uint8)
            at = chunk.rfind(b"<")
            lt = len(carry) + at if at >= 0 else carry.rfind(b"<")
            complete = lt < 0 or (chunk.find(b">", max(at, 0)) >= 0 if at >= 0
                                  else carry.find(b">", lt) >= 0 or b">" in chunk)
            if complete:
                # no tag, or the last tag is complete: only text can follow it
                cut = n if lt < 0 or n - lt > MAX_TAG_BYTES else lt
            else:
                cut = lt
                if n - lt > MAX_TAG_BYTES:
                    raise ext.damaged("a tag longer than 1 MiB")
            carry = work[cut:n].tobytes()
            work[cut:cut + _PAD] = 0  # what a window past the end reads
            ext.feed(memoryview(work)[:cut], work)
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
        self._scratch = np.zeros(0, dtype=bool)  # the fast path's masks, reused chunk to chunk
        self.row = 0  # careful path: current row (calamine's counter for rows without r)
        self.col = 0  # careful path: last column in the current row

    def damaged(self, what: str) -> UnsafeFile:
        return UnsafeFile(f"this workbook is damaged or hostile: {self.part} has {what}", file=self.name)

    def feed(self, buf, work: np.ndarray | None = None) -> None:
        """Measure the complete tags of ``buf`` (bytes, or a memoryview of ``work``'s start whose
        next ``_PAD`` bytes are 0)."""
        if not len(buf):
            return
        if work is None:
            work = np.zeros(len(buf) + _PAD, dtype=np.uint8)
            work[:len(buf)] = np.frombuffer(buf, dtype=np.uint8)
        if not self._fast(buf, work):
            self._careful(buf)

    def _fast(self, buf, work: np.ndarray) -> bool:
        """The fast path, when every <c> and <row> start tag in ``buf`` is unprefixed and begins
        ` r="`: the references are read at fixed offsets from the tags' '<' (numpy); False
        (nothing taken) otherwise.

        The bytes after a tag's '<' are read as little-endian 8-byte words (one gather per tag,
        through a view of the chunk with a stride of one byte); a reference is valid when its
        letters (1-3, none for a row) are followed by 1-7 digits and the closing quote. Only
        the maxima matter, and references of equal length compare as their bytes do, so the
        largest column and row number are found among the longest ones as big-endian words,
        without turning every reference into a number. A row number with a leading zero
        (never written by a spreadsheet writer) goes to the careful path."""
        n = len(buf)
        words = np.ndarray((n + _PAD - 7,), dtype="<u8", buffer=work, strides=(1,))
        scratch = self._scratch
        if len(scratch) < 2 * n:
            scratch = self._scratch = np.zeros(2 * n + (1 << 16), dtype=bool)
        cr, m = scratch[:n - 1], scratch[n: 2 * n - 1]
        before, after = work[:n - 1], work[1:n]
        np.equal(after, 99, out=cr)
        cr |= after == 114
        np.equal(before, 60, out=m)
        m &= cr  # <c... and <r...: the tags that matter
        lt = np.flatnonzero(m)
        np.equal(before, 58, out=m)
        m &= cr  # :c... and :r...: maybe a prefixed tag (<x:c ...)
        nxt = words[lt + 1]  # the 8 bytes after each '<' (byte k at bits 8k)
        c_tag = ((nxt & 0xFF) == 99) & _DELIM[(nxt >> 8) & 0xFF]
        row_tag = ((nxt & 0xFFFFFF) == _ROW) & _DELIM[(nxt >> 24) & 0xFF]
        if m.any() and _PREFIX_HINT_RE.search(buf) is not None and _PREFIXED_RE.search(buf) is not None:
            return False  # prefixed tags (<x:c ...>): the careful path knows them
        if (c_tag & ((nxt & _MASK5) != _C_R)).any():
            return False
        row_ok = (nxt & _MASK7) == _ROW_R
        extra_rows = 0
        for p in lt[row_tag & ~row_ok]:  # <row spans="1:3" r="9">: r elsewhere in the tag
            m = _TAG_RE.match(buf, int(p))
            r = None if m is None else _R_ATTR_RE.search(m.group(3))
            value = None if r is None else (r.group(1) if r.group(1) is not None else r.group(2))
            if value is None or not value.isdigit():
                return False  # a row without its number: the careful path counts it
            extra_rows = max(extra_rows, _bounded_int(value))
        cells = lt[c_tag] + 6
        rows = lt[row_tag & row_ok] + 8
        got = []
        for starts, is_cell in ((cells, True), (rows, False)):
            ref = _max_refs(words, starts, is_cell)
            if ref is None:
                return False  # the careful path names what is wrong
            got.append(ref)
        (crow, ccol), (rrow, _) = got
        self._take(max(crow, rrow, extra_rows), ccol)
        if len(rows) or extra_rows:
            self.row = max(rrow, extra_rows)  # where the careful path goes on
        if len(cells) or len(rows):
            self.col = ccol
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


_PAD = 32  # zero bytes after a chunk: the fast path's windows read past its end
_DELIM = np.zeros(256, dtype=bool)
for _b in b" \t\r\n/>":
    _DELIM[_b] = True
_ROW = int.from_bytes(b"row", "little")
_C_R, _MASK5 = int.from_bytes(b'c r="', "little"), (1 << 40) - 1
_ROW_R, _MASK7 = int.from_bytes(b'row r="', "little"), (1 << 56) - 1


def _max_refs(words: np.ndarray, starts: np.ndarray, is_cell: bool) -> tuple[int, int] | None:
    """(largest row number, largest column) of the references starting at ``starts`` (cell
    references such as AB12 when ``is_cell``, else row numbers), each ending with '"'; None
    when one is not a plain reference (letters 1-3 for a cell, none for a row; then 1-7
    digits, the first not 0, and the closing quote)."""
    if not len(starts):
        return 0, 0
    lo = words[starts]  # the reference's first 8 bytes (byte k at bits 8k)
    head = lo.view(np.uint8).reshape(-1, 8)
    upper = (head - np.uint8(65)) < 26
    u0, u1, u2, u3 = upper[:, 0], upper[:, 1], upper[:, 2], upper[:, 3]
    letters = u0.astype(np.int64) + (u0 & u1) + (u0 & u1 & u2)
    num = words[starts + letters] if is_cell else lo  # the 8 bytes from the first digit
    tail = num.view(np.uint8).reshape(-1, 8)
    ndig = ((tail - np.uint8(48)) < 10).argmin(axis=1)  # digits before the first other byte (8: 0)
    after = tail.reshape(-1)[np.arange(0, 8 * len(starts), 8) + ndig]
    valid = (after == 34) & (ndig >= 1) & (tail[:, 0] != 48) & ~(u0 & u1 & u2 & u3)
    valid &= (letters >= 1) if is_cell else (letters == 0)
    if not valid.all():
        return None
    # references of equal length compare as their bytes do: big-endian words
    top = int(ndig.max())
    row = int((num[ndig == top].byteswap() >> np.uint64(64 - 8 * top)).max())
    row = int(row.to_bytes(8, "big")[8 - top:])
    col = 0
    if is_cell:
        wide = int(letters.max())
        key = int((lo[letters == wide].byteswap() >> np.uint64(64 - 8 * wide)).max())
        col = col_index(key.to_bytes(8, "big")[8 - wide:])
    return row, col
