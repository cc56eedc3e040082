"""Chart-data builders (desktop.domain.charts) and the palette, with hand-computed points.

The fixture is a hand-built Analysis (results written by hand the way docs/domain.md defines
them) over a small canonical usage frame; see ``chart_analysis`` for the numbers.
"""

from __future__ import annotations

import statistics
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from desktop.domain import charts, palette, tables
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.results import (
    Analysis,
    AnomalyResult,
    BudgetResult,
    ContractResult,
    InvoiceFlag,
    InvoiceResult,
    PeriodResult,
    RenewalRow,
    RenewalScenarioResult,
    SourceRef,
)
from desktop.domain.settings import Settings

D = Decimal
DAY = 86400.0


def x(d: date) -> float:
    return (d - date(1970, 1, 1)).days * DAY


def m(v: str) -> int:
    return int(D(v) * 1_000_000)


def usage_frame() -> pd.DataFrame:
    rows = [
        # date, vendor, cost, team, model, eligible, _contract, _row
        ("2026-01-01", "OpenAI", "10.00", "search", "gpt-4o", True, "C1", 2),
        ("2026-01-01", "OpenAI", "5.00", "search", "gpt-4o-mini", True, "C1", 3),
        ("2026-01-03", "OpenAI", "20.00", "search", "gpt-4o", True, "C1", 4),
        ("2026-01-10", "OpenAI", "30.00", "search", "gpt-4o", True, "C1", 5),
        ("2026-01-12", "OpenAI", "25.00", "search", "gpt-4o", True, "C1", 6),
        ("2026-01-13", "OpenAI", "15.00", "search", "gpt-4o", True, "C1", 7),
        ("2026-01-02", "OpenAI", "99.00", "Search", "gpt-4o", False, None, 8),
        ("2026-01-02", "Anthropic", "7.00", "ads", "claude", True, None, 9),
        ("2026-01-14", "OpenAI", "50.00", "search", "gpt-4o", True, "C1", 10),
    ]
    df = pd.DataFrame(
        {
            "date": pd.to_datetime([r[0] for r in rows]),
            "vendor": [r[1] for r in rows],
            "cost": [m(r[2]) for r in rows],
            "team": [r[3] for r in rows],
            "model": [r[4] for r in rows],
            "commit_eligible": [r[5] for r in rows],
            "_file": ["usage.csv"] * len(rows),
            "_row": [r[7] for r in rows],
        }
    )
    u = tables.conform(df, "usage")
    u["_contract"] = pd.array([r[6] for r in rows], dtype="string")
    return u


def contract() -> ContractResult:
    # P1 Jan 1-10 commit 100, rollover 20%; P2 Jan 11-20 commit 200; T = Jan 13.
    # consumed P1 = 15 + 20 + 30 = 65, P2 to T = 25 + 15 = 40; run rate = 105 / 13 days = 8.08
    # P1 ended: shortfall 35, carry_out 20, penalty 15; P2: C' = 220, projected 40 + 8.08 x 7
    # = 96.56, shortfall 123.44, penalty 123.44.
    p1 = PeriodResult(date(2026, 1, 1), date(2026, 1, 10), D("100.00"), D("0.00"), D("65.00"), D("100.00"),
                      0.65, D("65.00"), D("35.00"), D("20.00"), D("15.00"), D("0.00"), D("0.00"),
                      days=10, elapsed_days=10, status="ended", band="shortfall_risk")
    p2 = PeriodResult(date(2026, 1, 11), date(2026, 1, 20), D("200.00"), D("20.00"), D("40.00"), D("60.00"),
                      40 / 60, D("96.56"), D("123.44"), D("0.00"), D("123.44"), D("0.00"), D("0.00"),
                      days=10, elapsed_days=3, status="current", band="shortfall_risk")
    return ContractResult("C1", "OpenAI", date(2026, 1, 1), date(2026, 1, 20), D("300.00"), D("105.00"),
                          D("160.00"), 105 / 160, "shortfall_risk", D("8.08"), D("27.86"), D("161.56"),
                          D("138.44"), D("0.00"), D("0.00"), (p1, p2), days_left=7)


def invoices_frame() -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "invoice_id": ["INV-1", "INV-1", "INV-1", "INV-2"],
            "vendor": ["OpenAI"] * 4,
            "invoice_date": pd.to_datetime(["2026-02-01"] * 4),
            "amount": [m("60"), m("10"), m("5"), m("40")],
            "_file": ["invoices.csv"] * 4,
            "_row": [2, 3, 4, 5],
        }
    )
    return tables.conform(df, "invoices")


@pytest.fixture
def analysis() -> Analysis:
    return make_analysis()


def make_analysis() -> Analysis:
    """The hand-built analysis (also used by tests/ui/charts)."""
    inv1 = InvoiceResult("INV-1", "OpenAI", date(2026, 1, 1), date(2026, 1, 31), D("75.00"), D("65.00"),
                         D("10.00"), 10 / 65, "overbilled", D("0.00"), D("10.00"),
                         (InvoiceFlag(3, "duplicate_line", D("10.00"), "Ann", file="invoices.csv"),))
    inv2 = InvoiceResult("INV-2", "OpenAI", date(2026, 1, 1), date(2026, 1, 31), D("40.00"), D("40.00"),
                         D("0.00"), 0.0, "within_tolerance", D("0.00"), D("0.00"), ())
    b1 = BudgetResult("Team Search", "2026-01", D("200.00"), D("204.00"), 1.02, D("220.00"), D("20.00"), 0.1,
                      "medium", "hard_cap", dimension="team", value="Search")
    b2 = BudgetResult("Team Ads", "2026-01", D("10.00"), D("7.00"), 0.7, D("9.00"), D("-1.00"), -0.1,
                      "none", "warning", dimension="team", value="ads")
    b0 = BudgetResult("Team Ads", "2025-12", D("10.00"), D("0.00"), 0.0, D("0.00"), D("-10.00"), -1.0,
                      "under", "none", dimension="team", value="ads")
    an = AnomalyResult("vendor", "OpenAI", date(2026, 1, 2), D("99.00"), D("7.50"), D("7.07"), 12.9)
    return Analysis(date(2026, 1, 13), "USD", (contract(),), (inv1, inv2), (b0, b1, b2), (an,), (),
                    settings=Settings(), usage=usage_frame(),
                    inputs=Inputs(invoices=invoices_frame()))


# ---------------------------------------------------------------------------------------------
# burn-up


def test_burn_up_consumed_expected_and_steps(analysis):
    d = charts.burn_up(analysis, "C1")
    cons = d.get("consumed")
    # Jan 1..Jan 13 (T): cumulative eligible spend of C1; the ineligible 99 and the Jan 14 row
    # after T are out.
    assert cons.n == 13
    assert cons.x[0] == x(date(2026, 1, 1))
    assert cons.x[-1] == x(date(2026, 1, 13))
    assert cons.y.tolist() == [15, 15, 35, 35, 35, 35, 35, 35, 35, 65, 65, 90, 105]
    exp = d.get("expected")
    assert exp.n == 20  # whole term
    # P1: 100 x (i+1)/10; P2 adds 200 x (i-9)/10
    assert exp.y[0] == pytest.approx(10)
    assert exp.y[9] == pytest.approx(100)
    assert exp.y[12] == pytest.approx(160)  # = expected_to_date at T
    assert exp.y[19] == pytest.approx(300)
    step = d.get("commitment")
    # P1 level 0 + 100; P2 level = projected P1 (65) + 200 + carry 20 = 285
    assert step.x.tolist() == [x(date(2026, 1, 1)), x(date(2026, 1, 10)), x(date(2026, 1, 11)), x(date(2026, 1, 20))]
    assert step.y.tolist() == [100, 100, 285, 285]
    assert "carry 20.00" in step.notes[2]
    # click refs: the rows of that day
    assert cons.refs.at(0) == [SourceRef("usage.csv", 2), SourceRef("usage.csv", 3)]
    assert cons.refs.at(1) == []
    assert cons.refs.at(11) == [SourceRef("usage.csv", 6)]


def test_burn_up_bands_forecast_cone_and_markers(analysis):
    d = charts.burn_up(analysis, "C1")
    bands = {b.name: b for b in d.bands}
    assert list(bands) == list(palette.BAND_COLORS)
    # at T expected is 160: shortfall_watch 128..144, on_pace 144..176, overage_watch 176..192
    assert bands["shortfall_risk"].lower[12] == 0
    assert bands["shortfall_risk"].upper[12] == pytest.approx(128)
    assert bands["shortfall_watch"].upper[12] == pytest.approx(144)
    assert bands["on_pace"].upper[12] == pytest.approx(176)
    assert bands["overage_watch"].upper[12] == pytest.approx(192)
    assert bands["overage_risk"].lower[12] == pytest.approx(192)
    assert bands["on_pace"].color == palette.BLUISH_GREEN
    # forecast from T (105) at 8.08/day to Jan 20: 105 + 7 x 8.08 = 161.56 = projected consumption
    f = d.get("forecast")
    assert f.x[0] == x(date(2026, 1, 13)) and f.x[-1] == x(date(2026, 1, 20))
    assert f.y[0] == pytest.approx(105)
    assert f.y[-1] == pytest.approx(161.56)
    # cone: +/- sample std of the 13 window days (term has 13 days up to T)
    window = [15, 0, 20, 0, 0, 0, 0, 0, 0, 30, 0, 25, 15]
    sigma = statistics.stdev(window)
    assert d.extra["window_days"] == 13
    assert d.extra["sigma"] == pytest.approx(sigma)
    assert d.get("forecast_low").y[-1] == pytest.approx(105 + 7 * max(0.0, 8.08 - sigma))
    assert d.get("forecast_surge").y[-1] == pytest.approx(105 + 7 * (8.08 + sigma))
    kinds = [(mk.kind, mk.x) for mk in d.markers]
    assert ("as_of", x(date(2026, 1, 13))) in kinds
    assert ("boundary", x(date(2026, 1, 11))) in kinds
    assert ("term_end", x(date(2026, 1, 21))) in kinds  # after the last day
    assert "pacing 66%" in d.title and "shortfall risk" in d.title


def test_burn_up_bands_follow_settings(analysis):
    from dataclasses import replace

    a = replace(analysis, settings=Settings(band_shortfall_risk_below=0.5, band_on_pace_max=1.3,
                                            band_overage_watch_max=1.5))
    bands = {b.name: b for b in charts.burn_up(a, "C1").bands}
    assert bands["shortfall_risk"].upper[9] == pytest.approx(50)
    assert bands["on_pace"].upper[9] == pytest.approx(130)
    assert bands["overage_watch"].upper[9] == pytest.approx(150)
    assert "50%" in bands["shortfall_risk"].label


def test_burn_up_readout_and_pick(analysis):
    d = charts.burn_up(analysis, "C1")
    noon = x(date(2026, 1, 12)) + DAY / 2
    assert charts.readout_text(d, noon) == (
        "2026-01-12 · Consumed (cumulative): 90.00 (that day 25.00) · Expected (linear): 140.00"
        " · Commitment to meet (cumulative, incl. carry): 285.00 (P2: 200.00 + carry 20.00 on top of 65.00 consumed in P1 (cumulative 285.00))"
    )
    t = charts.readout_text(d, x(date(2026, 1, 15)) + 10)
    assert "Consumed" not in t  # after T
    assert "Forecast (run rate): 121.16" in t  # 105 + 2 x 8.08
    assert charts.readout_text(d, x(date(2026, 1, 12)), hidden={"expected"}).count("Expected") == 0
    # a click near the Jan 12 point of the consumed line (1 px / day, 1 px / unit)
    hit = charts.pick(d, noon, 91, px_x=10 / DAY, px_y=1.0)
    assert hit == ("consumed", 11)
    assert charts.selection(d, *hit) == [SourceRef("usage.csv", 6)]
    assert charts.pick(d, noon, 300, px_x=10 / DAY, px_y=1.0) is None


def test_burn_up_days_hand_computed(analysis):
    """The one daily burn-up (charts and brief read it): exact micros, exact burn line, anchor."""
    bu = charts.burn_up_days(contract(), date(2026, 1, 13), analysis.usage)
    assert bu.n == 20 and bu.n_obs == 13 and bu.known
    # C1's eligible rows by day (the ineligible 99 on Jan 2 and the Jan 14 row after T are out)
    assert (bu.daily[:13] // 1_000_000).tolist() == [15, 0, 20, 0, 0, 0, 0, 0, 0, 30, 0, 25, 15]
    assert bu.daily[13:].tolist() == [0] * 7
    # P1: 100 x (i+1)/10 ; P2 adds 200 x (i-9)/10 from Jan 11 (exact Decimals)
    assert bu.expected[0] == D(10) and bu.expected[9] == D(100) and bu.expected[12] == D(160)
    assert bu.expected[19] == D(300)
    assert bu.anchor == D("105.00") and bu.anchor_day == 12
    assert bu.projected(11) is None and bu.projected(12) == D("105.00")
    assert bu.projected(19) == D("161.56")  # 105 + 7 x 8.08 = projected_consumption
    # before the term: projected from the day before the first day; after it: no projection
    early = charts.burn_up_days(contract(), date(2025, 12, 30), analysis.usage)
    assert early.n_obs == 0 and early.anchor == D("0.00") and early.anchor_day == -1
    assert early.projected(0) == D("8.08")
    late = charts.burn_up_days(contract(), date(2026, 2, 1), analysis.usage)
    assert late.anchor is None and late.projected(19) is None and late.n_obs == 20
    # without usage rows: no daily actuals, the projection starts from consumed_to_date
    bare = charts.burn_up_days(contract(), date(2026, 1, 13), None)
    assert not bare.known and bare.n_obs == 0 and bare.anchor == D("105.00")


def test_burn_up_chart_and_brief_data_are_one_derivation(analysis):
    """A usage row that names C1 but falls between its periods is not part of C1's consumption:
    the chart and the brief's Data sheet both leave it out and both reach consumed_to_date (the
    brief used to count it: it derived the burn-up a second time, by term dates)."""
    from dataclasses import replace

    from desktop.brief.data import burn_up as brief_burn_up

    c = contract()
    gap = replace(c, periods=(c.periods[0], replace(c.periods[1], period_start=date(2026, 1, 12))))
    u = usage_frame()
    extra = u.iloc[[0]].copy()
    extra["date"] = pd.Timestamp("2026-01-11")  # in no period of `gap`
    extra["cost"] = m("7.00")
    extra["_row"] = 11
    u = pd.concat([u, extra], ignore_index=True)
    a = replace(analysis, contracts=(gap,), usage=u)
    chart = charts.burn_up(a, "C1").get("consumed")
    rows = brief_burn_up(gap, a.as_of, u)
    assert chart.y[-1] == 105.0
    assert [r.consumed for r in rows[:13]] == [D(str(v)).quantize(D("0.01")) for v in chart.y]
    assert rows[12].consumed == D("105.00")
    assert [r.projected for r in rows[12:]] == [D("105.00") + D("8.08") * k for k in range(8)]
    forecast = charts.burn_up(a, "C1").get("forecast")
    assert forecast.y.tolist() == pytest.approx([float(r.projected) for r in rows[12:]])


def test_burn_up_unknown_contract(analysis):
    with pytest.raises(InputError):
        charts.burn_up(analysis, "nope")


# ---------------------------------------------------------------------------------------------
# period exposure


def test_period_exposure(analysis):
    d = charts.period_exposure(analysis, "C1")
    pen, pre = d.get("shortfall_penalty"), d.get("overage_premium")
    assert pen.y.tolist() == [15.0, 123.44]
    assert pre.y.tolist() == [0.0, 0.0]
    assert pen.lo.tolist() == [x(date(2026, 1, 1)), x(date(2026, 1, 11))]
    assert pen.hi.tolist() == [x(date(2026, 1, 11)), x(date(2026, 1, 21))]
    # each bar spans its whole period: P2 is Jan 11..Jan 20, 10 days wide, centred on Jan 16 00:00
    assert pen.width[1] == 10 * DAY and pre.width[1] == 10 * DAY
    assert pen.x[1] == pre.x[1] == x(date(2026, 1, 16))
    assert (pen.x - pen.width / 2).tolist() == pen.lo.tolist()
    assert (pen.x + pen.width / 2).tolist() == pen.hi.tolist()
    assert pen.point_pale == (False, True)  # P2 is projected
    assert charts.readout_text(d, x(date(2026, 1, 5))) == (
        "2026-01-05 · Shortfall penalty: 15.00 (P1 Jan 1 – Jan 10 2026 ended; projected 65.00 vs 100.00)"
        " · Overage premium: 0.00"
    )
    # rows behind P2: eligible C1 usage Jan 11..T
    assert pen.refs.at(1) == [SourceRef("usage.csv", 6), SourceRef("usage.csv", 7)]
    assert [r.row for r in pen.refs.at(0)] == [2, 3, 4, 5]
    # clicking inside the P2 penalty bar
    assert charts.pick(d, float(pen.x[1]), 50.0, 1e-4, 1.0) == ("shortfall_penalty", 1)


# ---------------------------------------------------------------------------------------------
# daily spend


def test_daily_spend_colours_mean_one_thing_each(analysis):
    d = charts.daily_spend(analysis, by="team", stacked=True)
    groups = [s.color for s in d.series if s.name.startswith("g:")]
    others = {d.get(n).color for n in ("total", "avg7", "anomalies") if d.has(n)}
    assert len(groups) == len(set(groups)) and not set(groups) & others
    assert d.has("anomalies") is False or d.get("anomalies").color == palette.VERMILLION
    # eight groups (seven and "Other") still never take the anomaly, average or total colour
    from desktop.domain.charts.daily_spend import GROUP_COLORS

    assert len(set(GROUP_COLORS)) == charts.MAX_GROUPS and not set(GROUP_COLORS) & {
        palette.VERMILLION, palette.BLACK, palette.DARK_GREY}


def test_daily_spend_stacked_by_vendor(analysis):
    d = charts.daily_spend(analysis, by="vendor", stacked=True)
    oa, an = d.get("g:OpenAI"), d.get("g:Anthropic")  # largest total first
    assert d.names.index("g:OpenAI") < d.names.index("g:Anthropic")
    assert oa.n == 13  # Jan 1 .. Jan 13 (the Jan 14 row is after T)
    assert oa.y.tolist()[:3] == [15, 99, 20]  # the ineligible 99 is spend too
    assert an.y0.tolist()[:3] == [15, 99, 20]
    assert an.y.tolist()[:3] == [15, 106, 20]
    assert an.value.tolist()[:3] == [0, 7, 0]
    avg = d.get("avg7").y
    assert avg[0] == pytest.approx(15)
    assert avg[1] == pytest.approx((15 + 106) / 2)
    assert avg[6] == pytest.approx((15 + 106 + 20) / 7)
    assert avg[12] == pytest.approx((30 + 25 + 15) / 7)  # Jan 7..13
    anom = d.get("anomalies")
    assert anom.x.tolist() == [x(date(2026, 1, 2))]
    assert anom.y.tolist() == [99.0]  # on top of OpenAI's band
    assert anom.refs.at(0) == [SourceRef("usage.csv", 8)]
    assert an.refs.at(1) == [SourceRef("usage.csv", 9)]
    assert charts.readout_text(d, x(date(2026, 1, 2)) + 5) == (
        "2026-01-02 · OpenAI: 99.00 · Anthropic: 7.00 · Total: 106.00 · 7-day average (total): 60.50"
        " · Anomaly (z > 3): OpenAI: 99.00, z = 12.9"
    )
    # click inside Anthropic's band on Jan 2 (99..106)
    assert charts.pick(d, x(date(2026, 1, 2)) + 5, 103, 1e-4, 1.0) == ("g:Anthropic", 1)


def test_daily_spend_lines_by_team_and_other(analysis):
    d = charts.daily_spend(analysis, by="team", stacked=False)
    # 'search' and 'Search' are different labels of the team column as written
    assert d.get("g:search").y.tolist()[:3] == [15, 0, 20]
    assert d.get("g:search").y0 is None
    assert not d.get("total").draw
    assert not d.has("anomalies")  # the anomaly is a vendor one
    # more than 8 groups -> seven largest + Other
    u = analysis.usage
    many = u.copy()
    many["team"] = pd.array([f"t{i}" for i in range(len(many))], dtype="string")
    many.loc[8, "date"] = pd.Timestamp("2026-01-05")  # t8: 1.00 inside the range
    many.loc[8, "cost"] = m("1.00")
    from dataclasses import replace

    d2 = charts.daily_spend(replace(analysis, usage=many), by="team", stacked=False)
    groups = [s.label for s in d2.series if s.name.startswith("g:")]
    assert len(groups) == 8 and groups[-1] == "Other"
    # largest 7: 99 (t6), 30 (t3), 25 (t4), 20 (t2), 15 (t5), 10 (t0), 7 (t7); t1 (5) + t8 (1) merge
    assert groups[:7] == ["t6", "t3", "t4", "t2", "t5", "t0", "t7"]
    other = d2.get("g:Other")
    assert other.y[0] == 5 and other.y[4] == 1
    assert other.refs.at(4) == [SourceRef("usage.csv", 10)]
    with pytest.raises(InputError):
        charts.daily_spend(analysis, by="project")


# ---------------------------------------------------------------------------------------------
# invoice variance


def test_invoice_variance(analysis):
    d = charts.invoice_variance(analysis)
    assert d.categories == ("INV-1", "INV-2")
    assert d.get("expected").y.tolist() == [65.0, 40.0]
    assert d.get("invoiced").y.tolist() == [75.0, 40.0]
    leak = d.get("leakage")
    assert leak.y0.tolist() == [65.0, 40.0] and leak.value.tolist() == [10.0, 0.0]
    assert d.get("invoiced").refs.at(0) == [SourceRef("invoices.csv", r) for r in (2, 3, 4)]
    assert leak.refs.at(0) == [SourceRef("invoices.csv", 3)]
    assert charts.readout_text(d, 0.1) == (
        "INV-1 · Expected (usage): 65.00 · Invoiced (excl. tax): 75.00 (variance 10.00 (+15.4%), overbilled)"
        " · Premium leakage: 10.00 · Variance %: 15.4%"
    )
    vp = d.get("variance_pct")
    assert vp.axis == "right" and vp.y.tolist() == pytest.approx([10 / 65, 0.0]) and not vp.draw
    # drawn per status: one colour (used by nothing else), the status in the marker's shape
    over, within = d.get("vp:overbilled"), d.get("vp:within_tolerance")
    assert over.x.tolist() == [0.0] and over.symbol == "t1" and over.refs.at(0) == d.get("invoiced").refs.at(0)
    assert within.x.tolist() == [1.0] and within.symbol == "o"
    assert over.legend_label == "Variance % (right axis), overbilled"
    # one colour means one thing: every drawn series and legend swatch of a colour has one meaning
    meaning: dict[str, set[str]] = {}
    for s in d.series:
        if s.draw:
            meaning.setdefault(s.color, set()).add(s.label.split(" (")[0])
    for label, color in d.swatches:
        meaning.setdefault(color, set()).add(label)
    assert all(len(v) == 1 for v in meaning.values()), meaning
    # click on the leakage part of INV-1's invoiced bar (x = 0.2, y 65..75)
    assert charts.pick(d, 0.2, 70, 100, 1) == ("leakage", 0)
    assert charts.pick(d, 0.2, 30, 100, 1) == ("invoiced", 0)
    assert "leakage 10.00" in d.title


# ---------------------------------------------------------------------------------------------
# budget utilization


def test_budget_utilization(analysis):
    d = charts.budget_utilization(analysis)
    assert d.extra["month"] == "2026-01"  # the month of T
    assert d.categories == ("Team Search", "Team Ads")
    assert d.get("utilization").y.tolist() == [1.02, 0.7]
    assert d.get("forecast").y.tolist() == pytest.approx([1.1, 0.9])
    assert [t.y for t in d.thresholds] == [0.5, 0.7, 0.9, 0.95, 1.0]
    assert d.thresholds[-1].color == palette.TIER_COLORS["hard_cap"]
    # team 'Search' matches search/Search case-insensitively, Jan up to T (not the Jan 14 row)
    assert [r.row for r in d.get("utilization").refs.at(0)] == [2, 3, 4, 5, 6, 7, 8]
    assert d.get("utilization").refs.at(1) == [SourceRef("usage.csv", 9)]
    assert charts.readout_text(d, 1.2) == (
        "Team Ads · Utilization (actual / budget): 70.0% (7.00 of 10.00, warning)"
        " · Forecast / budget: 90.0% (forecast 9.00, severity none)"
    )
    # one colour, one meaning: the forecast outline shares no colour with a tier (bars, swatches, lines)
    tier_colours = set(palette.TIER_COLORS.values())
    assert d.get("forecast").color not in tier_colours
    assert {c for _l, c in d.swatches} <= tier_colours and {t.color for t in d.thresholds} <= tier_colours
    d0 = charts.budget_utilization(analysis, month="2025-12")
    assert d0.categories == ("Team Ads",) and d0.get("utilization").refs.at(0) == []


# ---------------------------------------------------------------------------------------------
# renewal


def scenarios() -> tuple[RenewalScenarioResult, ...]:
    rows = (
        RenewalRow(D("1000.00"), 5.0, D("1300.00"), D("100.00"), 0.02, D("0"), D("300.00")),
        RenewalRow(D("1200.00"), 10.0, D("1250.00"), D("150.00"), 0.08, D("5"), D("50.00"),
                   least_cost=True, safe_max=True),
        RenewalRow(D("1500.00"), 15.0, D("1500.00"), D("-100.00"), 0.6, D("200"), D("0")),
    )
    s1 = RenewalScenarioResult("expected", "OpenAI", D("100"), 0.02, 0.01, 12, rows, D("1400.00"),
                               D("1200.00"), D("1200.00"))
    return (s1,)


def test_renewal():
    other = RenewalScenarioResult("other", "Anthropic", D("1"), 0.0, 0.0, 12, scenarios()[0].rows, D("0"), None, None)
    d = charts.renewal(scenarios() + (other,))
    assert d.extra["vendors"] == ("OpenAI", "Anthropic")
    assert d.title == "Renewal scenarios · OpenAI"  # the first vendor; one vendor per chart
    assert not any(s.name.endswith(":other") for s in d.series)
    cost, p = d.get("cost:expected"), d.get("p:expected")
    assert cost.x.tolist() == [1000, 1200, 1500]
    assert cost.y.tolist() == [1300, 1250, 1500]
    assert p.axis == "right" and p.y.tolist() == [0.02, 0.08, 0.6]
    # one star series for every scenario (one legend entry), in the scenario's colour
    rec = d.get("rec")
    assert rec.x.tolist() == [1200] and rec.y.tolist() == [1250]
    assert rec.notes == ("Expected: recommended (least expected cost & safe max) 1,200.00",)
    assert rec.point_colors == (cost.color,) and rec.refs.at(0) == ["renewal:expected:1200.00"]
    # the recommendations are in the caption, not as overlapping labels on the plot
    assert d.markers == ()
    assert d.extra["caption"] == "Recommended · Expected: least expected cost & safe max 1,200.00"
    od = d.get("od:expected")
    assert od.y.tolist() == [1400, 1400, 1400] and od.style == "dot" and not od.legend
    assert d.extra["legend_notes"] == (("dotted: on-demand cost (no commitment)", palette.GREY, "dot"),)
    assert p.draw and od.draw  # one scenario: its P(shortfall) and on-demand lines are drawn
    assert rec.legend_label == "Star: recommended level (least expected cost / safe max)"
    assert cost.refs.at(1) == ["renewal:expected:1200.00"]
    assert cost.legend_label == "Expected · expected cost"
    assert p.legend_label == "Expected · P(shortfall), right axis"
    assert charts.readout_text(d, 1210) == (
        "Commit level 1,210.00 · Expected · expected cost: 1,250.00 (discount 10.0%, savings 150.00)"
        " · Expected · P(shortfall): 8.0% · Expected · on-demand cost: 1,400.00"
    )
    assert charts.pick(d, 1495, 1502, 0.5, 0.5) == ("cost:expected", 2)
    assert charts.pick(d, 1500, 0, 0.5, 0.5, y2=0.6) == ("p:expected", 2)
    assert charts.renewal(scenarios() + (other,), vendor="Anthropic").title.endswith("Anthropic")
    named = RenewalScenarioResult("OpenAI renewal: aggressive", "OpenAI", D("1"), 0.0, 0.0, 12,
                                  scenarios()[0].rows, D("0"), None, None)
    cons = RenewalScenarioResult("OpenAI renewal: conservative", "OpenAI", D("1"), 0.0, 0.0, 12,
                                 scenarios()[0].rows, D("900"), None, None)
    d2 = charts.renewal((cons, named))
    assert d2.get("cost:OpenAI renewal: aggressive").label == "Aggressive · expected cost"
    # one colour per scenario: its cost line, P(shortfall) line and on-demand line share it
    c, a = d2.get("cost:OpenAI renewal: conservative"), d2.get("cost:OpenAI renewal: aggressive")
    assert c.color != a.color
    assert d2.get("p:OpenAI renewal: conservative").color == c.color
    assert d2.get("od:OpenAI renewal: conservative").color == c.color
    assert not d2.has("od:OpenAI renewal: aggressive")  # no on-demand cost, no line
    assert d2.extra["caption"] == ("Recommended · Conservative: least expected cost & safe max 1,200.00; "
                                   "Aggressive: least expected cost & safe max 1,200.00"
                                   " (P(shortfall) and on-demand cost: hover a level)")
    # several scenarios: one drawn line each (+ the stars); P(shortfall) and on-demand in the readout
    assert [s.name for s in d2.series if s.draw] == [
        "cost:OpenAI renewal: conservative", "cost:OpenAI renewal: aggressive", "rec"]
    assert "Conservative · P(shortfall): 8.0%" in charts.readout_text(d2, 1210)
    assert "legend_notes" not in d2.extra
    assert d2.get("rec").point_colors == (c.color, a.color)
    assert charts.scenario_label("Anthropic renewal: expected") == "Expected"
    assert charts.scenario_label("OpenAI base", "OpenAI") == "Base"


# ---------------------------------------------------------------------------------------------
# CSV, refs, palette


def test_csv_export(analysis):
    text = charts.to_csv(charts.period_exposure(analysis, "C1"))
    lines = text.splitlines()
    assert lines[0] == "series,date,value,unit"
    assert "Shortfall penalty,2026-01-11,123.44,money" in lines  # P2, listed at its first day
    text = charts.to_csv(charts.invoice_variance(analysis), hidden={"expected"})
    assert "Premium leakage,INV-1,10.00,money" in text
    assert "Expected (usage)" not in text


def test_ref_index_roundtrip():
    f = pd.DataFrame({"_file": ["a", "b", "a", "a"], "_row": [5, 2, 3, 9]})
    r = charts.RefIndex.from_frame(f, np.array([1, 0, 1, 7]), 3)
    assert r.at(0) == [SourceRef("b", 2)]
    assert r.at(1) == [SourceRef("a", 3), SourceRef("a", 5)]
    assert r.at(2) == [] and r.count(1) == 2
    k = charts.RefIndex.from_keys(["x", "y"])
    assert k.at(1) == ["y"] and k.n == 2


def test_palette_is_okabe_ito_and_readable():
    assert set(palette.BAND_COLORS.values()) <= set(palette.OKABE_ITO.values())
    assert list(palette.BAND_COLORS) == ["shortfall_risk", "shortfall_watch", "on_pace", "overage_watch",
                                         "overage_risk"]
    assert set(palette.TIER_COLORS) == {"none", "info", "warning", "critical", "hard_stop", "hard_cap"}
    for dark in (False, True):
        bg = palette.theme(dark).background
        for c in palette.series_colors(dark)[:7]:
            assert palette.contrast_ratio(palette.line_color(c, dark), bg) >= 2.0, (c, dark)
        for c in list(palette.BAND_COLORS.values()) + list(palette.TIER_COLORS.values()):
            assert palette.contrast_ratio(palette.line_color(c, dark), bg) >= 1.9
    assert palette.contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert palette.text_on(palette.YELLOW) == "#000000"
    assert palette.text_on(palette.BLUE) == "#FFFFFF"
    assert palette.excel_argb("#0072b2") == "FF0072B2"
    assert palette.rgba("#E69F00", 50) == (230, 159, 0, 50)


def test_date_helpers():
    assert charts.epoch_seconds(date(1970, 1, 2)) == DAY
    assert charts.date_of(DAY * 1.99) == date(1970, 1, 2)
    arr = charts.epoch_array(pd.Series(pd.to_datetime(["1970-01-03"])))
    assert arr.tolist() == [2 * DAY]
    assert charts.date_of(x(date(2026, 1, 1)) + DAY - 1) == date(2026, 1, 1)
    assert date(2026, 1, 1) + timedelta(days=1) == charts.date_of(x(date(2026, 1, 2)))


def test_restack_switch_matches_builder(analysis):
    stacked = charts.daily_spend(analysis, by="vendor", stacked=True)
    lines = charts.daily_spend(analysis, by="vendor", stacked=False)
    for a, b in ((charts.restack(stacked, False), lines), (charts.restack(lines, True), stacked)):
        assert a.names == b.names and a.title == b.title
        for sa, sb in zip(a.series, b.series, strict=True):
            assert sa.style == sb.style and sa.draw == sb.draw
            assert np.allclose(sa.y, sb.y) and np.allclose(sa.value, sb.value)
    # lines: the anomaly sits at its own spend
    assert charts.restack(stacked, False).get("anomalies").y.tolist() == [99.0]


def test_bounds_cover_bars_bands_markers_and_zero(analysis):
    b = charts.bounds(charts.period_exposure(analysis, "C1"))
    pen = charts.period_exposure(analysis, "C1").get("shortfall_penalty")
    assert b["x"][0] == x(date(2026, 1, 1))  # the P1 boundary marker
    # the end of P2 (the period its bar spans)
    assert b["x"][1] == float(pen.hi[1]) == x(date(2026, 1, 21))
    assert float(pen.x[1]) + float(pen.width[1]) / 2 == x(date(2026, 1, 21))
    assert b["y"] == (0.0, 123.44)
    bu = charts.bounds(charts.burn_up(analysis, "C1"))
    assert bu["x"] == (x(date(2026, 1, 1)), x(date(2026, 1, 21)))  # the step covers Jan 20 entirely
    assert bu["y"][0] == 0.0 and bu["y"][1] >= 285
    bud = charts.bounds(charts.budget_utilization(analysis))
    assert bud["x"] == (-0.5, 1.5) and bud["y"] == (0.0, 1.1)
    r = charts.bounds(charts.renewal(scenarios()))
    assert r["x"] == (1000, 1500) and r["y"] == (1250, 1500) and r["y2"] == (0.0, 1.0)


def test_daily_spend_of_the_rows_a_filter_leaves(analysis):
    """Rows 0-5 of the hand-built frame (the C1 rows of Jan 1-13, team search): the chart holds
    only them: Jan 1 10 + 5, Jan 3 20, Jan 10 30, Jan 12 25, Jan 13 15; the ineligible Jan 2
    spike of 99 and the ads row are out, and so is its anomaly marker (no spend left that day)."""
    d = charts.daily_spend(analysis, "team", True, rows=np.array([5, 4, 3, 2, 1, 0]), scope="filtered: test")
    assert [s.name for s in d.series if s.name.startswith("g:")] == ["g:search"]
    g = d.get("g:search")
    assert g.x[0] == x(date(2026, 1, 1)) and g.n == 13
    assert g.value.tolist() == [15, 0, 20, 0, 0, 0, 0, 0, 0, 30, 0, 25, 15]
    assert g.refs.at(0) == [SourceRef("usage.csv", 2), SourceRef("usage.csv", 3)]
    assert not d.has("anomalies")
    assert d.title == "Daily spend by team (stacked) · filtered: test"
    assert charts.restack(d, False).title == "Daily spend by team · filtered: test"
    empty = charts.daily_spend(analysis, "team", True, rows=np.array([], dtype=np.int64), scope="filtered: x")
    assert empty.series == () and "filters" in empty.extra["empty_text"]
