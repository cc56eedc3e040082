"""Plain records of the workspace: batches and undo steps; ISO date helpers and ImportReport
(de)serialisation. The action record is desktop.domain.actions.Action."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from desktop.domain.results import ImportIssue, ImportReport


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_or_none(value: _dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def date_or_none(value: str | None) -> _dt.date | None:
    return _dt.date.fromisoformat(value) if value else None


def to_date(value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, pd.Timestamp):
        return value.date()
    return _dt.date.fromisoformat(str(value)[:10])


# --- records ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class BatchRecord:
    id: int
    kind: str
    file_name: str
    source_path: str | None
    content_hash: str
    file_size: int
    format: str
    profile_name: str | None
    profile: dict | None
    imported_at: str
    row_count: int
    report: ImportReport
    # possible double counting: usage of the same vendor on the same days from other batches
    overlaps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Edit:
    label: str
    target: str  # settings | commitment | action | as_of
    key: Any
    before: Any
    after: Any


# --- report (de)serialisation -----------------------------------------------------------------

def report_to_json(report: ImportReport) -> str:
    d = dataclasses.asdict(report)
    return json.dumps(d, sort_keys=True, default=str)


def report_from_json(text: str) -> ImportReport:
    d = json.loads(text)
    d["errors"] = tuple(ImportIssue(**e) for e in d.get("errors", ()))
    d["warnings"] = tuple(d.get("warnings", ()))
    names = {f.name for f in dataclasses.fields(ImportReport)}
    return ImportReport(**{k: v for k, v in d.items() if k in names})
