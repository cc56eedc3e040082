"""The benchmark harness itself works (bench/ is not run by the suite; its numbers are read by
people, so a broken measurement must not go unnoticed). Tiny sizes, no timing assertions."""

from __future__ import annotations

import pytest

from bench import bench_import, common


def test_measure_alternates_ours_and_the_baseline():
    calls = []
    line = common.measure("x", 1, lambda: calls.append("ours"), "base", lambda: calls.append("base"), repeat=3)
    assert calls == ["base", "ours"] * 3
    assert line["name"] == "x" and line["baseline"] == "base"
    assert line["seconds"] >= 0 and line["baseline_seconds"] >= 0 and line["peak_rss_mb"] > 0


@pytest.mark.parametrize("csv_rows, xlsx_rows", [(3000, 500)])
def test_import_benchmark_runs_on_small_files(csv_rows, xlsx_rows):
    lines = bench_import.run([csv_rows], quick=True, xlsx_sizes=[xlsx_rows])
    assert [ln.get("error") for ln in lines] == [None, None, None]
    assert [ln["name"] for ln in lines] == ["import_csv_rollup", "import_xlsx", "import_xlsx_vs_openpyxl"]
    assert all(isinstance(ln["ratio"], float) and ln["ratio"] > 0 for ln in lines)


def test_filter_benchmark_runs_on_a_small_table(qapp):
    from bench import bench_filter

    lines = bench_filter.bench_page(3000, 1)
    assert [ln.get("error") for ln in lines] == [None] * 5
    assert [ln["name"] for ln in lines] == ["filter_gui_block", "filter_gui_block_before", "filter_keystroke_return",
                                            "filter_result_ready", "daily_spend_gui_block"]
    assert all(isinstance(ln["ratio"], float) and ln["ratio"] > 0 for ln in lines)


def test_offers_benchmark_runs_on_few_paths():
    from bench import bench_offers

    lines = bench_offers.bench_simulation(50, 1)
    assert [ln.get("error") for ln in lines] == [None]
    assert lines[0]["name"] == "offers_simulation_3x36m" and lines[0]["n"] == 50
    assert [len(o.periods) for o in bench_offers.offers()] == [3, 12, 36]
