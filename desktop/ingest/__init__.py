"""Importers: files -> canonical tables + ImportReport (pure; no Qt).

Public API::

    read_file(path, kind=None, *, settings=None, profile=None, progress=None) -> ImportResult
    load_inputs(files, settings=None, progress=None) -> Inputs
    ImportResult(kind, frame, report)   # frame: canonical (tables.conform) with _file/_row
    UnreadableFile(InputError)          # the file cannot be read at all
    MappingProfile, signature, suggest_mapping   # column mapping for any spreadsheet
    source_columns(path) -> list[str]   # the header read_file would find (mapping editors)
    source_header(path) -> SourceHeader # ... with its row/line, sheet, encoding, delimiter

See docs/formats.md for every format, the sniffing rules and the safety limits.
"""

from __future__ import annotations

from desktop.ingest.core import (
    KINDS,
    ImportResult,
    SourceHeader,
    identify,
    load_inputs,
    read_file,
    source_columns,
    source_header,
)
from desktop.ingest.errors import UnreadableFile
from desktop.ingest.mapping import MappingProfile, signature, suggest_mapping
from desktop.ingest.safety import DEFAULT_LIMITS, Limits, UnsafeFile, check_defusedxml

__all__ = [
    "DEFAULT_LIMITS", "KINDS", "ImportResult", "Limits", "MappingProfile", "UnreadableFile",
    "SourceHeader", "UnsafeFile", "check_defusedxml", "identify", "load_inputs", "read_file",
    "signature", "source_columns", "source_header", "suggest_mapping",
]
