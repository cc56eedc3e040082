"""Actions for the brief's checklist: from the workspace (objects or dicts) or from findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

STATUSES = ("open", "in_progress", "done", "wont_fix")
OPEN_STATUSES = ("open", "in_progress")
_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True)
class ActionRow:
    key: str
    title: str
    kind: str
    severity: str
    owner: str | None
    due: date | None
    status: str
    notes: str | None
    opened_at: date | datetime | None
    resolved_at: date | datetime | None
    detail: str | None = None  # what the finding says (figures behind the action)
    resolution: str | None = None  # resolved (the finding disappeared) | analyst

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def overdue(self, as_of: date) -> bool:
        return self.is_open and self.due is not None and self.due < as_of


def _get(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    return date.fromisoformat(str(value)[:10])


def _as_datetime(value: Any) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):
        return _as_datetime(value.to_pydatetime())
    text = str(value)
    try:
        return _as_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        return date.fromisoformat(text[:10])


def _opt_str(value: Any) -> str | None:
    if value is None:
        return None
    s = str(value)
    return s if s.strip() else None


def normalize(actions: list | None, analysis: Any) -> list[ActionRow]:
    """The checklist rows, sorted: open first, then by due date, severity and key.

    ``actions`` is the workspace's list (objects or dicts with key, title, kind, severity, owner,
    due, status, notes, opened_at, resolved_at, and optionally detail and resolution, as
    desktop.store.records.Action has them); ``None`` derives one open action per finding of the
    analysis, opened on the as-of date."""
    rows: list[ActionRow] = []
    if actions is None:
        for f in analysis.findings:
            rows.append(ActionRow(
                key=f.key, title=f.title, kind=f.kind, severity=f.severity, owner=f.owner,
                due=f.due, status="open", notes=None, opened_at=analysis.as_of,
                resolved_at=None, detail=f.detail or None,
            ))
    else:
        for a in actions:
            status = str(_get(a, "status") or "open")
            rows.append(ActionRow(
                key=str(_get(a, "key") or ""),
                title=str(_get(a, "title") or ""),
                kind=str(_get(a, "kind") or ""),
                severity=str(_get(a, "severity") or ""),
                owner=_opt_str(_get(a, "owner")),
                due=_as_date(_get(a, "due")),
                status=status,
                notes=_opt_str(_get(a, "notes")),
                opened_at=_as_datetime(_get(a, "opened_at")),
                resolved_at=_as_datetime(_get(a, "resolved_at")),
                detail=_opt_str(_get(a, "detail")),
                resolution=_opt_str(_get(a, "resolution")),
            ))
    rows.sort(key=lambda r: (not r.is_open, r.due or date.max,
                             _SEVERITY_ORDER.get(r.severity, 9), r.key))
    return rows
