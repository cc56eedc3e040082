"""The wizard's files (no Qt): each file added gets an id that never changes and is never
reused, so a preview read or an import that finishes after the list changed (a file removed,
another added) lands on the file it was started for, or nowhere if that file is gone."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop.domain import ai_services, tables
from desktop.domain.validation import import_refusal
from desktop.ingest import MappingProfile, read_file, sniff, source_columns
from desktop.ingest.core import vendors_from_usage
from desktop.ingest.errors import UnreadableFile, VendorNeeded

# answers to "this file overlaps an earlier import" (import_wizard/overlap.py)
OVERLAP_CHOICES = ("replace", "keep", "cancel")


@dataclass
class FileState:
    id: int
    path: Path
    kind: str | None = None  # None: detect
    profile: MappingProfile | None = None
    result: object | None = None  # ingest ImportResult
    error: str | None = None
    columns: list[str] = field(default_factory=list)  # source header
    replace: bool = False
    imported: bool = False
    import_error: str | None = None
    overlaps: list = field(default_factory=list)  # desktop.store.batches.Overlap found by the preview read
    overlap_choice: str | None = None  # OVERLAP_CHOICES; None: not answered yet
    # a FOCUS commitments file naming no provider: the vendor the analyst gave, and the
    # commitments that still need one (desktop.ingest.errors.VendorNeeded)
    vendor: str | None = None
    vendor_needed: tuple[str, ...] = ()
    profile_name: str | None = None  # the name the analyst typed for this file's mapping profile
    duplicate: str | None = None  # the earlier import of the same content, said in words
    raw: RawPreview | None = None  # the first lines as text, for a file that cannot be read
    # a cloud export's rows under the AI-service rule (ai_services.Split), counted off the GUI
    # thread when the file is read and again when the rule changes; None: no row names a service
    ai_split: object | None = None
    ai_split_rule: str | None = None  # the rule ai_split was counted under

    @property
    def status(self) -> str:
        if self.imported:
            return "imported"
        if self.import_error:
            return "not imported"
        if self.result is not None and self.overlaps:
            return {None: "overlaps an earlier import: choose", "replace": "will replace an earlier import",
                    "keep": "kept beside an earlier import", "cancel": "will not be imported (cancelled)"}[
                self.overlap_choice]
        if self.error:
            return "not recognised: see preview" if self.raw is not None and self.raw.rows else "cannot read"
        if self.result is None:
            return "reading…"
        rep = self.result.report
        if self.duplicate and not self.replace:
            return "already imported"
        if rep.rows_read == 0:
            return "no rows (header only): nothing to import"
        return f"{rep.rows_imported:,} rows" + (f", {rep.rows_rejected:,} rejected" if rep.rows_rejected else "") + \
            (" — will not be imported" if import_refusal(rep) is not None else "") + \
            (" — replaces the earlier import" if self.duplicate and self.replace else "")

    @property
    def target_kind(self) -> str | None:
        """The kind the file is (being) imported as: what the reader found, else what was chosen."""
        return self.result.kind if self.result is not None else self.kind

    @property
    def settled(self) -> bool:
        """Read, or failed to read."""
        return self.result is not None or bool(self.error)

    @property
    def pending(self) -> bool:
        """Read, with rows, not yet imported, and not cancelled in answer to an overlap (a
        header-only file adds nothing: it is said so and left out of Import)."""
        return (self.result is not None and not self.imported and self.overlap_choice != "cancel"
                and self.result.report.rows_read > 0)

    @property
    def undecided(self) -> bool:
        """Pending with an overlap nobody has answered yet (the wizard asks before importing)."""
        return self.pending and bool(self.overlaps) and self.overlap_choice is None


class FileList:
    """The files in the order they were added, addressed by id; and the queue of ids waiting
    for a preview read."""

    def __init__(self) -> None:
        self._files: list[FileState] = []
        self._next_id = 1
        self._queue: list[int] = []

    def __len__(self) -> int:
        return len(self._files)

    def __iter__(self) -> Iterator[FileState]:
        return iter(self._files)

    def __getitem__(self, index: int) -> FileState:
        return self._files[index]

    def get(self, file_id: int | None) -> FileState | None:
        return next((f for f in self._files if f.id == file_id), None)

    def add(self, paths: list[Path]) -> list[int]:
        """Append the paths not in the list yet (each queued for reading); their new ids."""
        added = []
        for p in paths:
            p = Path(p)
            if any(f.path == p for f in self._files):
                continue
            f = FileState(self._next_id, p)
            self._next_id += 1
            self._files.append(f)
            self._queue.append(f.id)
            added.append(f.id)
        return added

    def remove(self, file_id: int) -> bool:
        f = self.get(file_id)
        if f is None:
            return False
        self._files.remove(f)
        self._queue = [q for q in self._queue if q != file_id]
        return True

    def queue_read(self, file_id: int) -> None:
        """Read this file again before the others waiting (after its kind or mapping changed)."""
        self._queue = [file_id] + [q for q in self._queue if q != file_id]

    def next_to_read(self) -> FileState | None:
        """Take the next queued file (its previous result and error cleared)."""
        while self._queue:
            f = self.get(self._queue.pop(0))
            if f is not None:
                f.result, f.error, f.raw, f.ai_split = None, None, None, None
                f.overlaps, f.overlap_choice = [], None
                return f
        return None

    @property
    def ready(self) -> bool:
        """At least one file, and every file read (or failed to read)."""
        return bool(self._files) and all(f.settled for f in self._files)

    def pending(self) -> list[FileState]:
        return [f for f in self._files if f.pending]


def read_preview(path: Path, kind: str | None, profile: dict | None, settings, profiles,
                 progress, vendor: str | None = None, usage=None) -> object:
    """The file read as it will be imported (an ingest ImportResult). A FOCUS commitments file
    that names no provider takes ``vendor`` (what the analyst typed), else the vendors of the
    workspace usage whose ContractApplied names its commitments (``usage()``: that usage table);
    else VendorNeeded is raised for the wizard to ask."""
    try:
        return read_file(path, kind, settings=settings, profile=profile, progress=progress, profiles=profiles,
                         vendors=vendor or None)
    except VendorNeeded as exc:
        if vendor or usage is None:
            raise
        found = vendors_from_usage(usage(), exc.contract_ids)
        if not found:
            raise
        return read_file(path, kind, settings=settings, profile=profile, progress=progress, profiles=profiles,
                         vendors=found)


def peek_columns(path: Path) -> list[str]:
    """The header of a CSV/TSV/XLSX as the importer will see it (for the mapping editor)."""
    return source_columns(path)


def check_mapping(kind: str, mapping: dict[str, str]) -> str | None:
    """Why a mapping (source column -> canonical column) cannot be used for ``kind``, or None:
    a canonical column fed by two source columns, or a required one fed by none."""
    targets = list(mapping.values())
    dup = {t for t in targets if targets.count(t) > 1}
    if dup:
        return f"Each CommitDesk column can be fed by one column only: {', '.join(sorted(dup))}."
    miss = [c for c in tables.SPECS[kind].required if c not in targets]
    if miss:
        return f"Required for {kind.replace('_', ' ')}: {', '.join(miss)}."
    return None


def in_app_message(exc: BaseException) -> str:
    """An import problem as the wizard says it: the importer's wording for the app when it has
    one (``UnreadableFile.in_app``), else its message; never a command-line flag."""
    said = getattr(exc, "in_app", None) if isinstance(exc, UnreadableFile) else None
    return said or str(exc)


def duplicate_of(batches, content_hash: str) -> str | None:
    """The earlier import batch with the same content (``Workspace.batches()`` records), said
    in words; None when the file was never imported."""
    for b in batches:
        if b.content_hash == content_hash:
            when = str(b.imported_at)[:16].replace("T", " ")
            return (f"the same file (identical content) was imported on {when} UTC as {b.file_name} "
                    f"({b.kind.replace('_', ' ')}, {b.row_count:,} rows)")
    return None


@dataclass
class RawPreview:
    """The first lines of a file CommitDesk cannot read, split into cells as a spreadsheet
    would (so the analyst sees what the file holds and can map its columns), or why not."""

    rows: list[list[str]]
    note: str


RAW_LINES = 200
RAW_COLUMNS = 60
RAW_CELL = 200


def raw_preview(path: Path, limit_bytes: int = 64 * 1024) -> RawPreview:
    """The file's first lines as a grid (a text file split at its delimiter), or a note saying
    why there is none (binary data, a workbook, unreadable)."""
    import csv
    import io

    try:
        with open(path, "rb") as fh:
            head = fh.read(limit_bytes)
    except OSError as exc:
        return RawPreview([], f"The file cannot be opened: {exc.strerror or exc}.")
    if head.startswith(b"PK\x03\x04"):
        return RawPreview([], "This is a workbook (a zip container) whose sheets cannot be shown as text.")
    info = sniff.detect_encoding(head)
    text = head[info.bom:].decode(info.encoding, errors="replace")
    if "\x00" in text or sniff.looks_binary(text):
        return RawPreview([], "This file holds binary data, not text: it is not a table CommitDesk can read.")
    if len(head) == limit_bytes and "\n" in text:
        text = text[: text.rfind("\n") + 1]  # no half line at the end
    delim = sniff.detect_delimiter(text, complete=len(head) < limit_bytes)
    rows: list[list[str]] = []
    try:
        for rec in csv.reader(io.StringIO(text, newline=""), delimiter=delim):
            rows.append([c[:RAW_CELL] for c in rec[:RAW_COLUMNS]])
            if len(rows) >= RAW_LINES:
                break
    except csv.Error:
        rows = [[line[:RAW_CELL]] for line in text.splitlines()[:RAW_LINES]]
        delim = ""
    width = max((len(r) for r in rows), default=0)
    what = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}.get(delim)
    note = (f"The first {len(rows):,} line{'s' if len(rows) != 1 else ''} of the file as text"
            + (f", split at {what} into {width} column{'s' if width != 1 else ''}" if what and width > 1 else "")
            + ".")
    return RawPreview(rows, note)


def ai_split(result, rule: str):
    """A usage result's rows under the AI-service rule (ai_services.Split), or None when no row
    names a cloud service (the rule does not apply). Runs in the wizard's workers."""
    if result is None or result.kind != "usage" or "service" not in result.frame.columns:
        return None
    s = result.frame["service"].astype("string").str.strip()
    if not s.ne("").fillna(False).any():
        return None
    return ai_services.split(result.frame, rule)
