"""Every figure is the same whether the analysis reads the raw usage rows or their daily rollup
(rows carrying ``source_rows``): counts of rows behind a figure count source rows."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from desktop.domain import ai_services, snapshots, tables
from desktop.domain.analysis import build_analysis
from desktop.domain.report import to_json
from desktop.ingest import load_inputs, read_file
from desktop.resources import demo_files

FOCUS = Path(__file__).resolve().parents[1] / "data" / "focus" / "focus-1.0_sample.csv"
MEASURES = ["cost", "billed_cost", "quantity", "commitment_discount_quantity"]


def _split_and_rollup(u: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(each row split in two halves, the daily rollup of those halves)."""
    a, b = u.copy(), u.copy()
    for c in ("cost", "billed_cost"):
        a[c] = u[c] // 2
        b[c] = u[c] - a[c]
    a["quantity"] = np.floor(u["quantity"].fillna(0) / 2)
    b["quantity"] = u["quantity"] - a["quantity"]
    raw = pd.concat([a, b]).sort_values(["_file", "_row"], kind="stable").reset_index(drop=True)
    raw["_row"] = raw.groupby("_file").cumcount() + 2
    raw["source_rows"] = 1
    dims = [c for c in raw.columns if c not in MEASURES + ["_row", "source_rows"]]
    g = raw.groupby(dims, dropna=False, sort=False)
    r = g[MEASURES].sum(min_count=1).reset_index()
    r["source_rows"] = g.size().to_numpy()
    r["_row"] = g["_row"].min().to_numpy()
    r = r.sort_values(["_file", "_row"]).reset_index(drop=True)
    return tables.conform(raw, "usage"), tables.conform(r, "usage")


def _figures(inputs) -> dict:
    data = json.loads(to_json(build_analysis(inputs)))
    return {k: v for k, v in data.items() if k not in ("imports", "actions")}


def test_the_analysis_of_the_rollup_equals_the_analysis_of_the_rows():
    inputs = load_inputs({k: [v] for k, v in demo_files().items()})
    res = read_file(FOCUS)
    inputs = inputs.add("usage", res.frame, res.report)
    raw, rolled = _split_and_rollup(inputs.usage)
    assert len(rolled) < len(raw)  # the halves fold back into one row each
    a = _figures(replace(inputs, usage=raw))
    b = _figures(replace(inputs, usage=rolled))
    # before: used_rows counted rollup rows (6 -> 3) and the AI-service note counted 26,010 rows, not 52,498
    assert [d["used_rows"] for d in b["commitment_discounts"]] == [d["used_rows"] for d in a["commitment_discounts"]]
    assert b["warnings"] == a["warnings"]
    assert b == a


def test_source_row_count_sums_source_rows_else_counts_rows():
    frame = pd.DataFrame({"source_rows": [3, 1, 5]})
    assert tables.source_row_count(frame) == 9
    assert tables.source_row_count(frame, np.array([0, 2])) == 8
    assert tables.source_row_count(frame, np.array([False, True, True])) == 6
    assert tables.source_row_count(pd.DataFrame({"x": [1, 2]}), np.array([True, False])) == 1
    assert tables.conform(pd.DataFrame({"date": ["2026-01-01"], "vendor": ["OpenAI"], "cost": [1]}),
                          "usage")["source_rows"].tolist() == [1]


def test_the_ai_split_counts_source_rows():
    usage = pd.DataFrame({"service": ["Storage", "Storage", "AI and Machine Learning / Amazon Bedrock", None],
                          "cost": [1, 2, 4, 8], "currency": ["USD"] * 4, "source_rows": [10, 5, 7, 2]})
    s = ai_services.split(usage, ai_services.DEFAULT_RULE)
    assert (s.ai_rows, s.other_rows) == (9, 15)
    assert s.other_services == (("Storage", 15),)
    assert s.other_amounts == (("USD", 3),)


def test_a_snapshot_drop_counts_the_source_rows_it_leaves_out():
    day = pd.Timestamp("2026-05-03")
    usage = tables.conform(pd.DataFrame({
        "date": [day, day, day], "vendor": ["OpenAI"] * 3, "cost": [1_000_000, 2_000_000, 5_000_000],
        "billing_period": [pd.Timestamp("2026-05-01")] * 3, "billing_account": ["A"] * 3,
        "exported_at": ["2026-05-04T00:00:00Z", "2026-05-04T00:00:00Z", "2026-05-05T00:00:00Z"],
        "source_rows": [40, 2, 30], "_file": ["old", "old", "new"], "_row": [1, 2, 1]}), "usage")
    keep, drops = snapshots.latest_snapshots(usage)
    assert keep.tolist() == [False, False, True]
    assert drops[0].rows == 42
    assert "old: 42 rows (3.00 USD)" in drops[0].detail
