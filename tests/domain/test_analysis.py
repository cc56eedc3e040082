"""The build_analysis entry point: wiring, as-of default, ordering, errors, progress."""

from __future__ import annotations

from datetime import date

import pytest

from desktop.domain import tables
from desktop.domain.analysis import assign_contracts, build_analysis, default_as_of, prepare_usage
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.progress import Cancelled, Progress
from desktop.domain.settings import Settings
from tests.domain.test_contracts import D, commitments, daily_usage, frame, usage


def _inputs():
    c = commitments([
        dict(contract_id="Z-ANT", vendor="Anthropic", period_start="2026-01-01", period_end="2026-12-31",
             commitment=36500, owner="Marcus", escalation_owner="Dana"),
        dict(contract_id="A-OAI", vendor="OpenAI", period_start="2026-01-01", period_end="2026-03-31",
             commitment=9000, rollover_pct=10, owner="Priya", escalation_owner="Dana"),
        dict(contract_id="A-OAI", vendor="OpenAI", period_start="2026-04-01", period_end="2026-06-30",
             commitment=9100, owner="Priya", escalation_owner="Dana"),
    ])
    u = usage(daily_usage("OpenAI", "2026-01-01", "2026-02-28", 100, team="Search", model="gpt-4o")
              + daily_usage("Anthropic", "2026-01-01", "2026-02-28", 50, team="Support", model="claude"))
    inv = frame("invoices", [dict(invoice_id="OAI-01", vendor="OpenAI", invoice_date="2026-02-03",
                                  period_start="2026-01-01", period_end="2026-01-31", model="gpt-4o",
                                  amount=3100)], ("amount",), "inv.csv")
    b = frame("budgets", [dict(allocation="Search", month="2026-02", budget=2800, dimension="team",
                               value="Search")], ("budget",), "b.csv")
    return Inputs().add("commitments", c).add("usage", u).add("invoices", inv).add("budgets", b)


def test_whole_analysis_by_hand():
    a = build_analysis(_inputs(), renewal=[])
    # as-of defaults to the latest usage date
    assert a.as_of == date(2026, 2, 28) and a.currency == "USD"
    assert [c.contract_id for c in a.contracts] == ["A-OAI", "Z-ANT"]
    oai = a.contracts[0]
    # Q1: 90 days, elapsed 59 -> expected 9000 x 59/90 = 5900; consumed 59 x 100 = 5900 -> 1.0
    assert (oai.expected_to_date, oai.consumed_to_date, oai.band) == (D("5900.00"), D("5900.00"), "on_pace")
    # run rate 100; Q1 projected 5900 + 100 x 31 = 9000 -> no shortfall; Q2 100 x 91 = 9100
    assert [p.projected for p in oai.periods] == [D("9000.00"), D("9100.00")]
    assert (oai.shortfall_exposure, oai.overage) == (D("0.00"), D("0.00"))
    # required = (18100 - 5900) / (181 - 59 = 122 days) = 100.00
    assert oai.required_run_rate == D("100.00")
    ant = a.contracts[1]
    # 365 days, elapsed 59 -> expected 36500 x 59/365 = 5900; consumed 2950 -> 0.5 -> shortfall_risk
    assert (ant.expected_to_date, ant.consumed_to_date, ant.band, ant.escalation_to) == (
        D("5900.00"), D("2950.00"), "shortfall_risk", "Dana")
    # projected 2950 + 50 x 306 = 18250; shortfall 36500 - 18250 = 18250
    assert ant.shortfall_exposure == D("18250.00")
    (inv,) = a.invoices
    assert (inv.expected, inv.status) == (D("3100.00"), "within_tolerance")
    (bud,) = a.budgets
    # February 28 x 100 = 2800 of 2800 -> hard_cap; variance 0 -> none; January 3100 -> no spike
    assert (bud.actual, bud.alert_tier, bud.severity, bud.spike) == (D("2800.00"), "hard_cap", "none", False)
    assert a.renewal == () and a.anomalies == ()
    assert a.usage is not None and "_contract" in a.usage.columns
    assert set(a.usage["_contract"].unique()) == {"A-OAI", "Z-ANT"}
    assert a.settings == Settings() and a.inputs is not None
    # findings are attached last (the Anthropic shortfall risk needs a person)
    assert any(f.kind == "contract" and "Z-ANT" in f.key for f in a.findings)
    # the chargeback covers all spend up to T: (100 + 50) x 59 = 8850
    assert sum((ln.amount for ln in a.chargeback), D("0")) == D("8850.00")


def test_explicit_as_of_and_renewal_default():
    a = build_analysis(_inputs(), as_of=date(2026, 1, 31))
    assert a.as_of == date(2026, 1, 31)
    assert a.contracts[0].consumed_to_date == D("3100.00")
    # renewal=None -> default renewal inputs (one per vendor with a contract)
    assert {r.vendor for r in a.renewal} == {"Anthropic", "OpenAI"}


def test_as_of_without_usage():
    inp = _inputs().with_table("usage", tables.empty("usage"))
    assert default_as_of(inp) == date(2026, 4, 1)  # latest period_start
    with pytest.raises(InputError, match="no as-of date"):
        default_as_of(Inputs())


def test_prepare_usage_and_assign_contracts_exports():
    inp = _inputs()
    prepared, warnings = prepare_usage(inp, Settings())
    assert warnings == [] and len(prepared) == len(inp.usage)
    assert prepared["_contract"].equals(assign_contracts(prepared, inp.commitments))


def test_bad_inputs_raise_input_errors():
    inp = _inputs()
    over = inp.commitments.copy()
    over.loc[2, "period_start"] = over.loc[1, "period_end"]
    with pytest.raises(InputError) as ei:
        build_analysis(inp.with_table("commitments", over))
    assert (ei.value.file, ei.value.row, ei.value.column) == ("contracts.csv", 4, "period_start")
    clash = commitments([dict(contract_id="X", vendor="OpenAI", period_start="2026-02-01",
                              period_end="2026-02-28", commitment=1)], file="more.csv")
    # a second contract of the vendor over February no longer stops the analysis: the newer one
    # (X, starting 2026-02-01) draws the overlap down and a warning says so (issue 13, step 6)
    a = build_analysis(inp.add("commitments", clash))
    assert [w for w in a.warnings if w.startswith("contracts A-OAI and X of OpenAI overlap on 2026-02-01..2026-02-28")]


def test_progress_and_cancel():
    seen = []
    build_analysis(_inputs(), renewal=[], progress=Progress(lambda f, t: seen.append(f)))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    p = Progress()
    p.cancel()
    with pytest.raises(Cancelled):
        build_analysis(_inputs(), renewal=[], progress=p)


def test_empty_inputs_with_as_of():
    a = build_analysis(Inputs(), as_of=date(2026, 1, 1), renewal=[])
    assert (a.contracts, a.invoices, a.budgets, a.anomalies) == ((), (), (), ())
