"""The brief's checklist: the workspace's actions (desktop.domain.actions.Action), or, for a
brief written without a workspace, one open action per finding of the analysis."""

from __future__ import annotations

from typing import Any

from desktop.domain.actions import ACTION_STATUSES, Action, checklist_order

STATUSES = ACTION_STATUSES


def normalize(actions: list[Action] | None, analysis: Any) -> list[Action]:
    """The checklist rows in checklist order (open first, severity, due date, key). ``None``
    derives one open action per finding of the analysis, opened on its as-of date."""
    if actions is None:
        actions = [Action.from_finding(f, analysis.as_of) for f in analysis.findings]
    return checklist_order(actions)
