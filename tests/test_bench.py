"""The benchmark harness itself works (bench/ is not run by the suite; its numbers are read by
people, so a broken measurement must not go unnoticed). Tiny sizes, no timing assertions."""

from __future__ import annotations

import re
import sys
import time

import pytest

from bench import bench_import, common, run


def test_measure_alternates_ours_and_the_baseline():
    calls = []
    line = common.measure("x", 1, lambda: calls.append("ours"), "base", lambda: calls.append("base"), repeat=3)
    assert calls == ["base", "ours"] * 3
    assert line["name"] == "x" and line["baseline"] == "base"
    assert line["seconds"] >= 0 and line["baseline_seconds"] >= 0 and line["peak_rss_mb"] > 0


@pytest.mark.parametrize("csv_rows, xlsx_rows", [(3000, 500)])
def test_import_benchmark_runs_on_small_files(csv_rows, xlsx_rows):
    lines = list(bench_import.run([csv_rows], quick=True, xlsx_sizes=[xlsx_rows]))
    assert [ln.get("error") for ln in lines] == [None] * 5
    assert [ln["name"] for ln in lines] == ["import_csv_rollup", "import_csv_dirty", "import_csv_dirty_vs_pyarrow",
                                            "import_xlsx", "import_xlsx_vs_fastexcel"]  # openpyxl: full run only
    assert all(isinstance(ln["ratio"], float) and ln["ratio"] > 0 for ln in lines)
    assert lines[1]["baseline"] == "import_csv_rollup (clean)" and lines[1]["dirty_cells"] == common.DIRTY_CELLS


def test_the_dirty_csv_holds_messy_spellings_of_the_same_rows():
    clean = common.usage_csv(3000).read_text().splitlines()
    dirty = common.usage_csv_dirty(3000).read_text().splitlines()
    changed = [i for i, (a, b) in enumerate(zip(clean, dirty, strict=True)) if a != b]
    assert len(changed) == common.DIRTY_CELLS and changed[-1] > 2900  # the last one near the end
    assert all("$" in dirty[i] for i in changed)
    assert sum(bool(re.match(r"\d{1,2}/\d{1,2}/\d{4},", dirty[i])) for i in changed) == common.DIRTY_CELLS // 2


def test_quick_makes_no_million_row_data(monkeypatch):
    made = []
    for fn in ("usage_csv", "usage_csv_dirty", "usage_xlsx", "canonical_usage_path"):
        monkeypatch.setattr(common, fn, lambda n, fn=fn: made.append((fn, n)) or common.ROOT / "README.md")
    run.make_data(run.QUICK_CSV_SIZES, run.QUICK_XLSX_SIZES, quick=True)
    assert made and max(n for _, n in made) <= 100_000
    assert {fn for fn, _ in made} == {"usage_csv", "usage_csv_dirty", "usage_xlsx", "canonical_usage_path"}
    made.clear()
    run.make_data(run.CSV_SIZES, run.XLSX_SIZES, quick=False)
    assert ("canonical_usage_path", 1_000_000) in made and ("usage_csv_dirty", 1_000_000) in made


def test_every_bench_module_with_a_run_is_an_area():
    found = run.areas()
    assert found[:6] == ["import", "core", "charts", "filter", "brief", "offers"]
    for f in (common.ROOT / "bench").glob("bench_*.py"):
        name = f.stem.removeprefix("bench_")
        assert (name in found) is ("\ndef run(sizes" in f.read_text()), name
    # an area listed but not (yet) written is not run; one written but not listed still is
    assert run.areas({"import": 1, "nothere": 1})[0] == "import"
    assert "nothere" not in run.areas({"import": 1, "nothere": 1}) and "core" in run.areas({"import": 1})


def test_quick_budget_is_shared_by_weight_and_an_area_that_overruns_is_cut(tmp_path, monkeypatch):
    assert run.share(["import", "offers"], 0, 80.0) == pytest.approx(80.0 * 3 / 4)
    assert run.share(["import", "offers"], 1, 20.0) == pytest.approx(20.0)

    def command(m, sizes, quick):
        body = {"slow": 'print(\'{"name": "first", "n": 1, "seconds": 0.1}\', flush=True); '
                        'import time; time.sleep(60)',
                "fast": 'print(\'{"name": "second", "n": 1, "seconds": 0.1}\')',
                "broken": "raise SystemExit(3)"}[m]
        return [sys.executable, "-c", body]

    lines = run.run_all(["slow", "fast", "broken"], [1], True, 900.0, tmp_path / "out.jsonl",
                        deadline=time.perf_counter() + 6.0, command=command)
    names = [ln["name"] for ln in lines]
    assert names == ["first", "bench_slow", "second", "bench_broken"]
    assert "cut after" in lines[1]["error"] and "exit 3" in lines[3]["error"]
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 4


def test_goals_are_judged_on_the_same_run():
    lines = [
        {"name": "import_csv_dirty", "n": 1_000_000, "seconds": 0.5, "ratio": 1.1},
        {"name": "import_csv_rollup", "n": 1_000_000, "seconds": 0.5, "ratio": 1.7},
        {"name": "recompute_after_edit", "n": 1_000_000, "seconds": 0.12, "ratio": 0.05},
        {"name": "app_rss", "n": None, "seconds": 0.9, "peak_rss_mb": 380.0, "target_mb": 400, "goal": "app < 400 MB"},
        {"name": "import_xlsx", "n": 100_000, "error": "boom"},
    ]
    got = {(g["name"], g["what"]): g["verdict"] for g in run.goals(lines)}
    assert got[("import_csv_dirty", "ratio")] == "met"
    assert got[("import_csv_rollup", "ratio")] == "missed"
    assert got[("recompute_after_edit", "ratio")] == "met" and got[("recompute_after_edit", "seconds")] == "missed"
    assert got[("app_rss", "peak_rss_mb")] == "met"
    assert got[("import_xlsx", "ratio")] == "not measured"
    table = run.goals_markdown(lines)
    assert "| app < 400 MB | app_rss,  | 400 MB | 380 MB | **met** |" in table


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


def test_negotiation_benchmark_runs_on_few_paths():
    from bench import bench_offers

    lines = bench_offers.bench_negotiation(50, 1)
    assert [ln["name"] for ln in lines] == ["negotiation_frontier_asks_3x36m", "negotiation_break_even_3x36m"]
    # 12 frontier points per offer (11 around its spend, none of which is its own level) and the
    # quarterly offer's applicable asks: rollover, annual, overage, discount, flatter (it already pays
    # shortfalls as credit; no other vendor without usage)
    assert lines[0]["variants"] == 3 * 12 + 5
    assert all(isinstance(ln["ratio"], float) and ln["ratio"] > 0 for ln in lines)
