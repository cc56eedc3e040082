"""Excel brief benchmarks.

* brief_demo: the demo workspace's whole brief (``write_brief`` to bytes; target: under 2 s);
* brief: the whole brief (every section, no raw rows) of an analysis of n usage rows
  (bench.common.canonical_usage with the demo's contracts, invoices, budgets ...);
* brief_raw_usage: the Summary plus the n raw usage rows (``raw_usage=True``: streamed, safe text
  cells, split at 1,048,576 rows).

Baselines, measured in the same run on the same data:
* brief / brief_demo: an openpyxl write-only dump of the same daily burn-up rows the Data sheet
  holds (plain ``ws.append`` of values, no styles, tables, charts or safety checks);
* brief_raw_usage: an openpyxl write-only dump of the same usage rows (plain values: dates,
  floats, strings passed as they are, which openpyxl would turn into formulas when they start
  with "="); measured up to 100,000 rows only (at 1M it takes minutes), so the 1M line has no
  baseline.

    python -m bench.bench_brief [--quick]
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from dataclasses import replace

if __package__ in (None, ""):  # `python bench/bench_brief.py`
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import common

RAW_BASELINE_MAX = 100_000


def _analysis(n: int | None):
    from desktop.domain.analysis import build_analysis
    from desktop.ingest import load_inputs

    inputs = load_inputs(common.demo_tables())
    if n is not None:
        inputs = replace(inputs, usage=common.canonical_usage(n))
        return build_analysis(inputs, as_of=common.AS_OF.date())
    return build_analysis(inputs)


def _daily_rows(analysis) -> list[tuple]:
    from desktop.brief.data import burn_up

    rows = []
    for c in analysis.contracts:
        for b in burn_up(c, analysis.as_of, analysis.usage):
            rows.append((b.contract_id, b.day, b.spend, b.consumed, b.expected, b.projected, b.commitment))
    return rows


def _dump(header: list[str], rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Data")
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _dump_daily(analysis) -> bytes:
    return _dump(["contract", "date", "spend", "consumed", "expected", "projected", "commitment"],
                 _daily_rows(analysis))


def _dump_usage(analysis) -> bytes:
    from desktop.brief.data import raw_kinds

    usage = analysis.usage
    cols = [c for c, _ in raw_kinds(usage)]
    data = []
    for c in cols:
        s = usage[c]
        if c == "date":
            data.append(s.dt.date.tolist())
        elif c == "cost":
            data.append((s.to_numpy() / 1_000_000).tolist())
        else:
            data.append(s.astype(object).where(s.notna(), None).tolist())
    return _dump(cols, zip(*data, strict=True))


def _demo(quick: bool) -> list[dict]:
    from desktop.brief import write_brief

    demo = _analysis(None)
    return [common.measure("brief_demo", len(demo.usage), lambda: write_brief(demo),
                           "openpyxl write-only dump of the daily rows", lambda: _dump_daily(demo),
                           repeat=1 if quick else 3)]


def _sized(n: int, quick: bool) -> list[dict]:
    from desktop.brief import write_brief

    a = _analysis(n)
    out = [common.measure("brief", n, lambda: write_brief(a),
                          "openpyxl write-only dump of the daily rows", lambda: _dump_daily(a),
                          repeat=1 if quick or n >= 1_000_000 else 2)]
    if not (quick and n > 10_000):
        # the openpyxl dump of a million raw rows takes minutes and gigabytes: baseline up to 100k
        # (--quick: 10k only; at 100k the dump alone takes 15-25 s on a loaded machine)
        base = (lambda: _dump_usage(a)) if n <= RAW_BASELINE_MAX else None
        out.append(common.measure("brief_raw_usage", n,
                                  lambda: write_brief(a, sections=["summary"], raw_usage=True),
                                  "openpyxl write-only dump of the same usage rows" if base else None, base))
    return out


def run(sizes: list[int], quick: bool) -> Iterator[dict]:
    parts = [("brief_demo", lambda: _demo(quick))]
    parts += [(f"brief {n}", lambda n=n: _sized(n, quick)) for n in ([min(sizes)] if quick else sizes)]
    return common.run_parts(parts)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    for line in run([10_000, 100_000] if quick else [10_000, 100_000, 1_000_000], quick):
        common.emit(line)
