"""The analysis of a workspace, outside the store: reading it never writes.

``analyse_workspace`` is a pure read (the stored inputs and settings through build_analysis).
Bringing the actions checklist up to date with an analysis is a write, and a separate call the
caller makes on purpose: ``sync_checklist``.
"""

from __future__ import annotations

import datetime as _dt
from typing import TYPE_CHECKING, Any

from desktop import memory
from desktop.domain.actions import why_resolved
from desktop.domain.analysis import build_analysis
from desktop.domain.errors import InputError
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
    memory.give_back()  # what reading the rollup left in the allocators (~100 MB at 1M rows)
    return build_analysis(inputs, ws.settings(), as_of, progress=sub(progress, 0.2, 1.0), **options)


def sync_checklist(ws: Workspace, analysis: Analysis, *, as_of_given: bool,
                   progress: Progress | None = None, **options: Any) -> bool:
    """Keep the actions checklist up to date (a write; docs/domain.md "The actions checklist").

    The checklist follows the workspace's reporting date (its as-of mode). ``analysis`` at that
    date (``as_of_given`` False) is synced: findings open or update actions, and an open action
    whose finding is gone is resolved by data, with the reason. An analysis at a date the
    analyst picked (``as_of_given``) is a view and changes nothing; only when the inputs changed
    since the last sync (an import, an edit, other settings) is the reporting analysis built and
    synced first (``options`` go to analyse_workspace, e.g. the session's cache). Skipped for a
    read-only workspace. True when the checklist was synced."""
    if ws.readonly:
        return False
    reporting = ws.resolve_as_of()
    stamp = ws.inputs_stamp(reporting)
    if as_of_given:
        if ws.actions_stamp() == stamp:
            return False
        try:
            analysis = analyse_workspace(ws, progress=progress, **options)
        except InputError:
            return False  # no reporting date (no usage, no commit period yet): nothing to follow
    ws.sync_actions(analysis.findings, analysis.as_of, lambda key: why_resolved(key, analysis), stamp=stamp)
    return True
