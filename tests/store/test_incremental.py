"""The incremental recompute (desktop/domain/analysis.py AnalysisCache, as the GUI session keeps
it) gives exactly the figures of a fresh build after every kind of change a workspace sees:
a commitment edit, a budget threshold, another setting, another As-of date, an import, undo."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from desktop.domain.analysis import AnalysisCache
from desktop.domain.report import to_json
from desktop.store import Workspace, create_demo_workspace
from desktop.workspace_analysis import analyse_workspace

EXTRA_USAGE = Path(__file__).resolve().parents[1] / "data" / "vendor-fixtures" / \
    "openai_dashboard_cost_export_fixture.csv"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return create_demo_workspace(tmp_path_factory.mktemp("demo") / "demo.commitdesk")


def test_each_kind_of_change_recomputed_incrementally_equals_a_fresh_build(demo, tmp_path):
    path = tmp_path / "ws.commitdesk"
    shutil.copy(demo, path)
    with Workspace.open(path) as ws:
        cache = AnalysisCache()
        first = analyse_workspace(ws, cache=cache)
        contract = next(c for c in first.contracts if c.periods)
        period = contract.periods[0]
        settings = ws.settings()
        t = first.as_of
        changes = [
            ("commitment", lambda: ws.update_commitment(contract.contract_id, period.period_start,
                                                        commitment=period.commitment + Decimal("12345.67")), None),
            ("budget threshold", lambda: ws.set_settings(settings.replace(
                tier_warning=settings.tier_warning - 0.05, severity_medium=0.05)), None),
            ("setting", lambda: ws.set_settings(ws.settings().replace(anomaly_z=2.5)), None),
            ("as-of", lambda: None, t - timedelta(days=17)),
            ("import", lambda: ws.import_file(EXTRA_USAGE, "usage", on_overlap="keep"), None),
            ("undo", lambda: ws.undo(), None),
            ("undo again", lambda: ws.undo(), t - timedelta(days=3)),
        ]
        seen = {to_json(first)}
        for kind, change, as_of in changes:
            change()
            cached = analyse_workspace(ws, as_of, cache=cache)
            fresh = analyse_workspace(ws, as_of, cache=AnalysisCache())
            assert to_json(cached) == to_json(fresh), kind
            seen.add(to_json(cached))
        assert len(seen) == len(changes) + 1  # every change changed the figures
        # only the import read the usage rows again; every other change reused the prepared
        # usage, its index and its daily series
        assert cache.misses["usage"] == 2
        assert cache.hits["usage"] == len(changes) - 1


def test_an_edit_reuses_the_usage_aggregates_and_reruns_only_what_reads_it(demo, tmp_path):
    path = tmp_path / "ws.commitdesk"
    shutil.copy(demo, path)
    with Workspace.open(path) as ws:
        cache = AnalysisCache()
        first = analyse_workspace(ws, cache=cache)
        index = first.index
        built = dict(index._memo)
        contract = next(c for c in first.contracts if c.periods)
        ws.update_commitment(contract.contract_id, contract.periods[0].period_start,
                             commitment=contract.periods[0].commitment + 1000)
        second = analyse_workspace(ws, cache=cache)
        assert second.index is index and second.usage is first.usage
        assert all(index._memo[k] is v for k, v in built.items())  # no daily series built again
        # a commitment edit reruns the contracts, not the budgets or the anomalies
        assert cache.misses["contracts"] == 2
        assert cache.misses["budgets"] == 1 and cache.misses["anomalies"] == 1
        assert second.budgets is first.budgets and second.anomalies is first.anomalies
    assert first.as_of == second.as_of and isinstance(first.as_of, date)
