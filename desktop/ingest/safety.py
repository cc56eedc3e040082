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
    max_json_bytes: int = 64 * 1024 * 1024  # parsed whole: ~10x the file in memory


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
        raise UnsafeFile(
            f"the file is {size / 2**20:,.0f} MiB; the limit for this kind of file is "
            f"{limit / 2**20:,.0f} MiB", file=path.name)
    if size == 0:
        raise UnsafeFile("the file is empty", file=path.name)
    return size


_CELL_RE = re.compile(rb"<(?:\w+:)?c[\s>/]")
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
    for i in infos:
        if i.filename.endswith((".xml", ".rels", ".vml")):
            head = _read_head(zf, i, name, 65536)
            if _DOCTYPE_RE.search(head):
                raise UnsafeFile(f"part {i.filename} declares XML entities (DOCTYPE); "
                                 "spreadsheets never need them (billion laughs?)", file=name)
    wb = _read_head(zf, zf.getinfo("xl/workbook.xml"), name, 1 << 20)
    facts.date1904 = re.search(rb'date1904="(1|true)"', wb) is not None
    for i in infos:
        if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml"):
            facts.sheets.append(_sheet_extent(zf, i, name, limits, tick))
    return facts


def _read_head(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, n: int) -> bytes:
    try:
        with zf.open(info) as f:
            return f.read(n)
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"part {info.filename} cannot be read (damaged or truncated zip: {exc})",
                         file=name) from exc


_REF_RES = {n: (re.compile(rb' r="[A-Z]{%d}[0-9]' % n), re.compile(rb' r="([A-Z]{%d})[0-9]' % n))
            for n in (3, 2)}
# a row's number wherever its r attribute sits (<row spans="1:3" r="9">, <x:row r="9">)
_ROWNUM_RE = re.compile(rb'row\b[^>]*?\sr="(\d+)"')
_LONGREF_RE = re.compile(rb' r="[A-Z]{4}')
_MULTI_RE = re.compile(rb' r="[A-Z]{2}')
_LETTERS = [chr(c).encode() for c in range(ord("Z"), ord("A") - 1, -1)]


def _max_col(body: bytes, exact: bool, start: int = 0, end: int | None = None) -> int:
    """Widest column referenced in ``body[start:end]`` (scanned in place): longest references
    first. Single-letter columns are bounded by Z (26) unless ``exact`` (small parts, or when
    the bound would matter)."""
    end = len(body) if end is None else end
    if not _MULTI_RE.search(body, start, end):
        return _single(body, exact, start, end)
    if _LONGREF_RE.search(body, start, end):
        return 16_385
    for probe, grab in _REF_RES.values():
        if probe.search(body, start, end):
            return col_index(max(grab.findall(body, start, end)))
    return _single(body, exact, start, end)


def _single(body: bytes, exact: bool, start: int = 0, end: int | None = None) -> int:
    end = len(body) if end is None else end
    if not exact:
        return 26 if body.find(b' r="', start, end) >= 0 else 0
    for letter in _LETTERS:
        if body.find(b' r="' + letter, start, end) >= 0:
            return col_index(letter)
    return 0


def _sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: Limits,
                  tick=None) -> SheetExtent:
    """Stream the sheet XML and measure the cells actually present (row numbers from <row r>,
    the widest column from the cell references, longest letters first).

    Each chunk is scanned in place (regex pos/endpos: no copies of the 4 MB chunks); only the
    seam, from the last tag start of the previous chunk to the first tag end of this one, is
    joined, so a tag cut between chunks is seen whole exactly once."""
    state = [0, 0, 0]  # max row, max col, rows seen (rows without r="")
    exact_size = info.file_size <= (1 << 20)

    def measure(buf: bytes, start: int, end: int) -> None:
        if end <= start:
            return
        nums = _ROWNUM_RE.findall(buf, start, end)
        if nums:
            state[0] = max(state[0], max(map(int, nums)))
        else:
            state[2] += buf.count(b"<row", start, end) + buf.count(b":row", start, end)
        exact = exact_size or max(state[0], state[2]) * 26 > limits.max_cells
        state[1] = max(state[1], _max_col(buf, exact, start, end))
        state[0] = max(state[0], state[2])
        if not state[1] and _CELL_RE.search(buf, start, end):
            # cells without r="" references: count them per row conservatively
            state[1] = max((seg.count(b"<c") for seg in buf[start:end].split(b"</row>")), default=0)

    tail = b""
    try:
        for chunk in _inflated(zf, info):
            # the seam: the previous chunk's unfinished tag + this chunk up to its first '>'
            first = chunk.find(b">") + 1 if tail else 0
            if tail and (first <= 0 or first > 4096):
                chunk, first = tail + chunk, 0  # no tag end near the start: join whole (rare)
            elif tail:
                seam = tail + chunk[:first]
                measure(seam, 0, len(seam))
            # keep a tail so a tag cut at the end is seen whole with the next chunk
            cut = chunk.rfind(b"<")
            if cut < first or len(chunk) - cut > 4096:
                cut = len(chunk)
            measure(chunk, first, cut)
            tail = chunk[cut:]
            _check_extent(state[0], state[1], info.filename, name, limits)
            if tick is not None:
                tick()
        if tail:
            measure(tail, 0, len(tail))
            _check_extent(state[0], state[1], info.filename, name, limits)
    except UnsafeFile:
        raise
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"sheet {info.filename} cannot be read (damaged or truncated zip: {exc})",
                         file=name) from exc
    return SheetExtent(info.filename, state[0], state[1])


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
