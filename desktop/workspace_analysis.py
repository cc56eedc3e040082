"""The analysis of a workspace, outside the store: reading it never writes.

``analyse_workspace`` is a pure read (the stored inputs and settings through build_analysis).
Bringing the actions checklist up to date with an analysis is a write, and a separate call the
caller makes on purpose: ``sync_checklist``.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from desktop.domain.analysis import build_analysis
from desktop.domain.progress import Progress, sub

if TYPE_CHECKING:
    from desktop.domain.results import Analysis
    from desktop.store import Workspace


def analyse_workspace(ws: Workspace, as_of: _dt.date | None = None,
                      progress: Progress | None = None, **options: Any) -> Analysis:
    """build_analysis over the stored inputs and settings. ``as_of`` None: the workspace's as-of
    mode decides (``resolve_as_of``). ``options`` go to build_analysis (e.g. renewal=...)."""
    if as_of is None:
        as_of = ws.resolve_as_of()
    inputs = ws.inputs(progress=sub(progress, 0.0, 0.2))
    return build_analysis(inputs, ws.settings(), as_of, progress=sub(progress, 0.2, 1.0), **options)


def sync_checklist(ws: Workspace, analysis: Analysis, *, as_of_given: bool) -> bool:
    """Match the analysis's findings to the workspace's actions checklist (a write). Skipped for
    a read-only workspace, and when the analyst looks back (``as_of_given``) at a date before
    the one the checklist was last synced with. True when the checklist was synced."""
    if ws.readonly:
        return False
    last = ws.actions_as_of()
    if as_of_given and last is not None and analysis.as_of < last:
        return False
    ws.sync_actions(analysis.findings, analysis.as_of)
    return True
