"""Workload-shift candidates (docs/domain.md "Workload shift candidates"), hand-computed."""

from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.domain import tables
from desktop.domain.money import to_micros
from desktop.domain.results import ContractResult, PeriodResult
from desktop.domain.settings import Settings
from desktop.domain.workload_shift import label_usage, workload_shift_candidates

T = date(2026, 6, 30)
Z = Decimal("0.00")


def D_(x) -> Decimal:
    return Decimal(x)


def period(start, end, shortfall="0", status="current"):
    return PeriodResult(period_start=start, period_end=end, commitment=Decimal(1000), carry_in=Z, consumed=Z,
                        expected=Z, pacing_ratio=None, projected=Z, shortfall=Decimal(shortfall), carry_out=Z,
                        shortfall_penalty=Decimal(shortfall), overage=Z, overage_premium=Z, status=status)


def contract(cid, band, periods, vendor="OpenAI"):
    return ContractResult(
        contract_id=cid, vendor=vendor, term_start=periods[0].period_start, term_end=periods[-1].period_end,
        commitment=Z, consumed_to_date=Z, expected_to_date=Z, pacing_ratio=0.5, band=band, run_rate=Z,
        required_run_rate=None, projected_consumption=Z, shortfall_exposure=Z, overage=Z, overage_premium=Z,
        periods=tuple(periods))


def rows(n_days, vendor, cost, contract=None, eligible=True, **labels):
    days = [T - timedelta(days=i) for i in range(n_days)]
    d = {"date": pd.to_datetime(days), "vendor": vendor, "cost": [to_micros(cost)] * n_days,
         "_contract": contract, "commit_eligible": eligible}
    d.update(labels)
    return pd.DataFrame(d)


def usage_frame(*parts):
    df = pd.concat(parts, ignore_index=True)
    out = tables.conform(df, "usage")
    out["_contract"] = df["_contract"].astype("string").to_numpy()
    return out


USAGE = usage_frame(
    rows(14, "OpenAI", "500", contract="OA-1", workload="draws-down"),     # draws the contract down
    rows(14, "Anthropic", "50", workload="chatbot", project="support"),   # workload wins over project
    rows(14, "Anthropic", "30", project="research", model="claude"),      # project wins over model
    rows(7, "Google", "20", model="gemini"),                               # 140 / 14 = 10.00
    rows(14, "Google", "999", eligible=False, workload="support-fee"),     # not eligible: never a candidate
    rows(14, "OpenAI", "5", contract="OA-2", workload="chatbot"),         # another contract: a candidate
    rows(3, "Mistral AI", "7"),                                           # no labels: the vendor; 21/14=1.50
    pd.DataFrame({"date": pd.to_datetime([T - timedelta(days=14)]), "vendor": "Cohere",
                  "cost": [to_micros("1000")], "_contract": None, "workload": "old"}),  # outside T-13..T
)


def test_single_period_ranking_and_greedy_cover():
    c = contract("OA-1", "shortfall_risk", [period(date(2026, 1, 1), date(2026, 12, 31), "10000")])
    got = workload_shift_candidates((c,), USAGE, T, Settings())
    # days left after T: 2026-07-01..2026-12-31 = 184
    table = [(x.workload, x.basis, x.vendor, x.run_rate, x.days_left, x.movable_spend, x.covers, x.covers_pct)
             for x in got]
    assert table == [
        ("chatbot", "workload", "Anthropic", Decimal("50.00"), 184, Decimal("9200.00"), Decimal("9200.00"), 0.92),
        ("research", "project", "Anthropic", Decimal("30.00"), 184, Decimal("5520.00"), Decimal("800.00"), 0.08),
        ("gemini", "model", "Google", Decimal("10.00"), 184, Decimal("1840.00"), Z, 0.0),
        ("chatbot", "workload", "OpenAI", Decimal("5.00"), 184, Decimal("920.00"), Z, 0.0),
        ("Mistral AI", "vendor", "Mistral AI", Decimal("1.50"), 184, Decimal("276.00"), Z, 0.0),
    ]
    assert all(x.contract_id == "OA-1" for x in got)


def test_only_shortfall_bands_and_only_periods_not_ended():
    p_ended = period(date(2026, 1, 1), date(2026, 3, 31), "500", status="ended")
    p_cur = period(date(2026, 4, 1), date(2026, 9, 30), "1000")  # 92 days after T
    p_fut = period(date(2026, 10, 1), date(2026, 12, 31), "0", status="future")  # 92 days
    watch = contract("OA-1", "shortfall_watch", [p_ended, p_cur, p_fut])
    on_pace = contract("OA-3", "on_pace", [p_cur])
    got = workload_shift_candidates((on_pace, watch), USAGE, T, Settings())
    assert {x.contract_id for x in got} == {"OA-1"}
    first = got[0]
    assert first.workload == "chatbot" and first.days_left == 184
    # the current period's 1,000 is covered; the ended period's 500 cannot be; 1000 / 1500
    assert first.covers == Decimal("1000.00")
    assert abs(first.covers_pct - 1000 / 1500) < 1e-12
    assert all(x.covers == Z for x in got[1:])


def test_shortfall_only_in_the_past_gives_no_candidates():
    p_ended = period(date(2026, 1, 1), date(2026, 3, 31), "500", status="ended")
    p_cur = period(date(2026, 4, 1), date(2026, 12, 31), "0")
    c = contract("OA-1", "shortfall_risk", [p_ended, p_cur])
    assert workload_shift_candidates((c,), USAGE, T, Settings()) == ()
    assert workload_shift_candidates((c,), tables.empty("usage"), T, Settings()) == ()


def test_labels_fall_back_from_workload_to_project_to_model_to_vendor():
    df = tables.conform(pd.DataFrame({
        "date": pd.to_datetime([T] * 4), "vendor": ["A", "A", "A", "A"], "cost": [1, 1, 1, 1],
        "workload": ["w", "  ", None, None], "project": ["p", "p", None, None],
        "model": ["m", "m", "m", None]}), "usage")
    basis, label = label_usage(df)
    assert list(basis) == ["workload", "project", "model", "vendor"]
    assert list(label) == ["w", "p", "m", "A"]


_GROUP = st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.sampled_from(["OpenAI", "Anthropic"]),
                   st.integers(0, 20), st.integers(1, 14))


@settings(max_examples=40, deadline=None)
@given(st.lists(_GROUP, min_size=1, max_size=8), st.integers(0, 5000), st.integers(0, 5000),
       st.integers(0, 500))
def test_cover_never_exceeds_movable_spend_or_the_coverable_shortfall(groups, s_cur, s_fut, s_past):
    parts = [rows(n, vendor, str(per_day), workload=w) for w, vendor, per_day, n in groups]
    u = usage_frame(*parts)
    c = contract("OA-1", "shortfall_risk", [
        period(date(2026, 1, 1), date(2026, 3, 31), str(s_past), status="ended"),
        period(date(2026, 4, 1), date(2026, 9, 30), str(s_cur)),
        period(date(2026, 10, 1), date(2026, 12, 31), str(s_fut), status="future")])
    got = workload_shift_candidates((c,), u, T, Settings())
    total = D_(s_cur + s_fut + s_past)
    assert sum((x.covers for x in got), Z) <= D_(s_cur + s_fut)
    rates = [x.run_rate for x in got]
    assert rates == sorted(rates, reverse=True)
    for x in got:
        assert Z <= x.covers <= x.movable_spend
        assert x.movable_spend == x.run_rate * 184
        if total:
            assert x.covers_pct == float(x.covers / total)
    # greedy: each period not ended is covered as far as the candidates' spend in it allows
    cap = sum((x.run_rate * 92 for x in got), Z)  # Jul-Sep and Oct-Dec both have 92 days after T
    assert sum((x.covers for x in got), Z) == min(D_(s_cur), cap) + min(D_(s_fut), cap)
