"""Z-score anomalies with hand-computed series."""

from __future__ import annotations

import math
from datetime import date

import pytest

from desktop.domain.anomalies import anomalies, series_anomalies
from desktop.domain.settings import Settings
from tests.domain.test_contracts import D, usage

U = 1_000_000  # micros per unit
# seven earlier days 0,0,0,100,200,200,200: mean 100; squared deviations 3 x 100^2 + 0 + 3 x 100^2
# = 60,000; sample variance 60,000 / 6 = 10,000; std 100.
BASE = [0, 0, 0, 100 * U, 200 * U, 200 * U, 200 * U]


def test_exactly_three_is_not_flagged_one_micro_more_is():
    # day 8: 400 -> z = (400 - 100) / 100 = 3.0 exactly -> not flagged (z > 3 needed)
    assert series_anomalies(BASE + [400 * U]) == []
    # 400.000001 -> z = 3.00000001 -> flagged
    ((i, mean, std, z),) = series_anomalies(BASE + [400 * U + 1])
    assert i == 7 and mean == 100 and std == 100
    assert z == pytest.approx(3.00000001, abs=1e-9)


def test_needs_seven_earlier_days():
    # index 6 has only 6 earlier days -> never evaluated, however large
    assert series_anomalies(BASE[:6] + [10_000 * U]) == []


def test_zero_std_is_never_flagged():
    assert series_anomalies([5 * U] * 10 + [500 * U]) == []


def test_window_is_the_30_days_before():
    # with a window of 7, the 5000 on day 0 drops out of day 8's window -> same as BASE
    series = [5000 * U] + BASE + [400 * U + 10_000]
    ((i, mean, std, z),) = series_anomalies(series, window=7)
    assert (i, mean, std) == (8, 100, 100) and z == pytest.approx(3.0001)
    # with the default window of 30 the 5000 is inside: mean 712.5 -> not flagged
    assert series_anomalies(series) == []


def test_hand_computed_alternating_series():
    # 10, 12, 10, 12, 10, 12, 10, 12 then 20: mean 11, sample var 8/7, z = 9 / sqrt(8/7) = 8.4187
    s = [v * U for v in (10, 12, 10, 12, 10, 12, 10, 12, 20)]
    ((i, mean, std, z),) = series_anomalies(s)
    assert i == 8 and mean == 11 and z == pytest.approx(9 / math.sqrt(8 / 7))


def test_per_team_vendor_model_zero_filled_and_ordered():
    # team Search: first seen Apr 1 (cost 0); Apr 2, 3 have no rows -> zero-filled; then
    # 100, 200, 200, 200 on Apr 4..7 and 400.01 on Apr 8 -> z = 300.01 / 100 = 3.0001
    rows = [dict(date="2026-04-01", vendor="OpenAI", cost=0, team="Search")]
    rows += [dict(date=f"2026-04-0{d}", vendor="OpenAI", cost=c, team="Search")
             for d, c in ((4, 100), (5, 200), (6, 200), (7, 200))]
    rows += [dict(date="2026-04-08", vendor="OpenAI", cost="400.01", team="Search", model="gpt-4o"),
             dict(date="2026-04-09", vendor="OpenAI", cost=0, team="Search"),
             dict(date="2026-04-30", vendor="OpenAI", cost=10_000, team="Search")]  # after T
    got = anomalies(usage(rows), date(2026, 4, 9))
    assert [(a.dimension, a.value, a.date) for a in got] == [
        ("team", "Search", date(2026, 4, 8)), ("vendor", "OpenAI", date(2026, 4, 8))]
    a = got[0]
    assert (a.spend, a.mean, a.std) == (D("400.01"), D("100.00"), D("100.00"))
    assert a.z == pytest.approx(3.0001)


def test_threshold_is_a_setting():
    s = Settings(anomaly_z=2.5, anomaly_min_history=7)
    rows = [dict(date=f"2026-04-0{d}", vendor="X", cost=c)
            for d, c in enumerate((1, 0, 0, 100, 200, 200, 200, 350), start=1)]
    # Apr 1 spend 1 shifts nothing that matters: window Apr 1..7 = 1,0,0,100,200,200,200
    got = anomalies(usage(rows), date(2026, 4, 8), s)
    assert [(a.dimension, a.date) for a in got] == [("vendor", date(2026, 4, 8))]
    assert got[0].z > 2.5
