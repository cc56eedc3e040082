"""FOCUS dates follow the file's own evidence (issue 18): a FOCUS export re-saved by a German Excel
(dd.mm.yyyy) was read month-first, 12 of 13 rows dated in January instead of May."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from desktop.ingest import read_file

SRC = Path(__file__).resolve().parents[1] / "data" / "focus-spec-examples" / "per_token_foundation_model_api.csv"


def resaved(tmp_path, days, fmt="{d:02d}.05.2025 00:00") -> Path:
    """The spec's per-token example (tests/data) as 1 row per day, dates as a German Excel writes."""
    with open(SRC, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    names = list(rows[0])
    out = []
    for d in days:
        r = dict(rows[0])
        r["ChargePeriodStart"] = fmt.format(d=d)
        r["ChargePeriodEnd"] = fmt.format(d=d + 1)
        r["BillingPeriodStart"], r["BillingPeriodEnd"] = "01.05.2025 00:00", "01.06.2025 00:00"
        out.append(r)
    buf = io.StringIO()
    w = csv.DictWriter(buf, names, delimiter=";")
    w.writeheader()
    w.writerows(out)
    p = tmp_path / "focus-de.csv"
    p.write_text(buf.getvalue(), encoding="utf-8")
    return p


def test_day_first_dates_proven_by_the_file(tmp_path):
    r = read_file(resaved(tmp_path, range(1, 14)), "usage")
    rep = r.report
    assert (rep.rows_imported, rep.rows_rejected) == (13, 0), rep.errors
    assert r.frame["date"].dt.strftime("%Y-%m-%d").tolist() == [f"2025-05-{d:02d}" for d in range(1, 14)]


def test_only_ambiguous_dotted_dates_are_read_day_first_with_the_warning(tmp_path):
    r = read_file(resaved(tmp_path, range(1, 6)), "usage")
    assert r.frame["date"].dt.strftime("%Y-%m-%d").tolist() == [f"2025-05-{d:02d}" for d in range(1, 6)]
    assert any("could be day-first or month-first" in w for w in r.report.warnings)


def test_iso_focus_dates_need_no_order(tmp_path):
    r = read_file(resaved(tmp_path, range(1, 4), fmt="2025-05-{d:02d}T00:00:00Z"), "usage")
    assert r.frame["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-05-01", "2025-05-02", "2025-05-03"]
    assert not any("day-first" in w for w in r.report.warnings)
