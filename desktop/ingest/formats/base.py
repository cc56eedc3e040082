"""The small protocol every source format follows (beangulp-style identify / read).

A tabular format implements ``identify(table, kind) -> list[Match]`` (cheap: header names
only) and ``source(table, match, ctx) -> build.Source``. A JSON format implements
``identify_json(obj) -> Match | None`` and ``table_from_json(obj, file) -> RawTable``; the
resulting table then goes through ``source`` like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from desktop.domain.settings import Settings
from desktop.ingest.mapping import MappingProfile


@dataclass
class Match:
    format: str  # short id for ImportReport.format
    kind: str
    matched: int
    total: int
    reason: str
    handler: Any
    mapping: dict[str, str] = field(default_factory=dict)  # source column -> canonical column
    score: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    settings: Settings
    profile: MappingProfile | None
    max_cell_chars: int = 4096
    # vendor of rows whose file names none (a FOCUS contract commitment file has no provider
    # column): one name for every row, or {contract_id: vendor}
    vendors: str | dict[str, str] | None = None


def matched_reason(label: str, matched: int, total: int) -> str:
    return f"{label}: {matched} of {total} columns matched"
