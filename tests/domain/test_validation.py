"""desktop.domain.validation: every rule at hand-chosen boundaries, the frame check, the
settings rules and the import verdict (docs/domain.md, "Validation rules")."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from desktop.domain import tables, validation
from desktop.domain.errors import InputError
from desktop.domain.results import ImportIssue, ImportReport
from desktop.domain.settings import Settings

OM = "overage_multiplier must be at least 1 (below 1, overage would cost less than the commitment)"


@pytest.mark.parametrize("table, column, value, message", [
    # overage_multiplier >= 1
    ("commitments", "overage_multiplier", 0.5, OM),
    ("commitments", "overage_multiplier", 0.999, OM),
    ("commitments", "overage_multiplier", "0.9999999", OM),
    ("commitments", "overage_multiplier", 1, None),
    ("commitments", "overage_multiplier", "1.0", None),
    ("commitments", "overage_multiplier", 2.5, None),
    ("commitments", "overage_multiplier", None, None),  # empty: the column default (1.0)
    ("commitments", "overage_multiplier", "abc", "cannot read as a number"),
    ("commitments", "overage_multiplier", "inf", "cannot read as a number"),
    # percentages 0..100
    ("commitments", "rollover_pct", -0.01, "rollover_pct must be between 0 and 100"),
    ("commitments", "rollover_pct", 0, None),
    ("commitments", "rollover_pct", 100, None),
    ("commitments", "rollover_pct", 100.001, "rollover_pct must be between 0 and 100"),
    ("commitments", "shortfall_penalty_pct", 101, "shortfall_penalty_pct must be between 0 and 100"),
    ("commitments", "shortfall_penalty_pct", 0, None),
    ("commitments", "discount_pct", -1, "discount_pct must be between 0 and 100"),
    ("commitments", "discount_pct", 99.5, None),
    # commitment >= 0 (money: Decimal, text with thousands separators)
    ("commitments", "commitment", "-0.01", "a commitment cannot be negative"),
    ("commitments", "commitment", Decimal("0"), None),
    ("commitments", "commitment", "400,000.50", None),
    ("commitments", "commitment", "lots", "cannot read as an amount"),
    ("commitments", "commitment", None, "required value is empty"),
    # currency, vendor, dates
    ("commitments", "currency", "dollars", "currency must be a three-letter code such as USD"),
    ("commitments", "currency", "US1", "currency must be a three-letter code such as USD"),
    ("commitments", "currency", "eur", None),
    ("commitments", "vendor", "   ", "required value is empty"),
    ("commitments", "vendor", "OpenAI", None),
    ("commitments", "period_end", "1899-12-31", "period_end must lie in the years 1900-2261"),
    ("commitments", "period_end", "2262-01-01", "period_end must lie in the years 1900-2261"),
    ("commitments", "period_end", "9999-12-31", "period_end must lie in the years 1900-2261"),
    ("commitments", "period_end", "2261-12-31", None),
    ("commitments", "period_end", "31/12/2026", "cannot read as a date"),
    # budgets
    ("budgets", "month", "2026-13", validation.MONTH),
    ("budgets", "month", "2026-1", validation.MONTH),
    ("budgets", "month", "1899-12", validation.MONTH),
    ("budgets", "month", "2026-12", None),
    ("budgets", "dimension", "department", "dimension must be one of team, project, cost_center, gl_account, environment, "
                                           "vendor, model, workload"),
    ("budgets", "dimension", "Cost_Center", None),
    ("budgets", "budget", "-1", "a budget cannot be negative"),
    ("budgets", "budget", "0", None),
    # invoices, rate card, fx
    ("invoices", "line_type", "refund", "line_type must be one of usage, credit, tax, adjustment, commitment, "
                                        "true_up"),
    ("invoices", "line_type", "true_up", None),
    ("rate_card", "contracted_price", -0.0001, "a contracted price cannot be negative"),
    ("rate_card", "contracted_price", 0, None),
    ("rate_card", "list_price", -1, "a list price cannot be negative"),
    ("fx_rates", "rate", 0, "rate must be greater than 0"),
    ("fx_rates", "rate", -1.1, "rate must be greater than 0"),
    ("fx_rates", "rate", 0.0001, None),
    ("fx_rates", "currency", "E", "currency must be a three-letter code such as USD"),
    ("usage", "currency", "GBP", None),
])
def test_check_row_boundaries(table, column, value, message):
    assert validation.check_row(table, column, value) == message


@pytest.mark.parametrize("table, first, second, after, message", [
    ("commitments", "period_end", "period_start", "2026-01-01", None),
    ("commitments", "period_end", "period_start", "2025-12-31", "period_end is before period_start"),
    ("invoices", "period_end", "period_start", "2025-12-31", "period_end is before period_start"),
    ("rate_card", "effective_to", "effective_from", "2025-12-31", "effective_to is before effective_from"),
    ("fx_rates", "valid_to", "valid_from", "2025-12-31", "valid_to is before valid_from"),
    ("fx_rates", "valid_to", "valid_from", "2026-01-01", None),
])
def test_two_column_rules_use_the_row(table, first, second, after, message):
    assert validation.check_row(table, first, after, {second: date(2026, 1, 1)}) == message
    assert validation.check_row(table, first, after) is None  # without the other value: nothing to compare


def test_parse_value_types_and_require():
    assert validation.parse_value("commitments", "commitment", "1,234.50") == Decimal("1234.50")
    assert validation.parse_value("commitments", "period_end", "2026-03-31") == date(2026, 3, 31)
    assert validation.parse_value("commitments", "currency", " eur ") == "EUR"
    assert validation.parse_value("commitments", "owner", "  Ann   Lee ") == "Ann Lee"
    assert validation.parse_value("commitments", "owner", "  ") is None
    with pytest.raises(InputError) as ei:
        validation.require("commitments", "overage_multiplier", 0.5)
    assert (ei.value.column, ei.value.message) == ("overage_multiplier", OM)


def _commitments(**over):
    base = dict(contract_id=["C-1", "C-1", "C-2"], vendor=["OpenAI", "OpenAI", "Anthropic"],
                period_start=pd.to_datetime(["2026-01-01", "2026-07-01", "2026-01-01"]),
                period_end=pd.to_datetime(["2026-06-30", "2026-12-31", "2026-12-31"]),
                commitment=[1_000_000_000, 1_000_000_000, 5_000_000], _file="c.csv", _row=[2, 3, 4])
    base.update(over)
    return tables.conform(pd.DataFrame(base), "commitments")


def test_validate_frame_names_row_column_and_message_in_row_order():
    assert validation.validate_frame("commitments", _commitments()) == []
    bad = _commitments(overage_multiplier=[1.0, 0.5, 1.25], rollover_pct=[0.0, 0.0, 120.0],
                       period_start=pd.to_datetime(["2026-01-01", "2026-06-30", "2026-01-01"]))
    got = [(p.file, p.row, p.column, p.message) for p in validation.validate_frame("commitments", bad)]
    assert got == [
        ("c.csv", 3, "overage_multiplier", OM),
        ("c.csv", 3, "period_start", "commit period 2026-06-30..2026-12-31 of contract C-1 overlaps the "
                                     "period 2026-01-01..2026-06-30 (row 2)"),
        ("c.csv", 4, "rollover_pct", "rollover_pct must be between 0 and 100"),
    ]
    with pytest.raises(InputError) as ei:
        validation.raise_first(validation.validate_frame("commitments", bad))
    assert (ei.value.file, ei.value.row, ei.value.column) == ("c.csv", 3, "overage_multiplier")
    assert ei.value.message == OM + " (2 more problems)"


def test_overlaps_adjacent_is_fine_and_names_the_other_file():
    rows, files = [2, 5], ["a.csv", "b.csv"]
    assert validation.overlaps(["X", "X"], pd.to_datetime(["2026-01-01", "2026-02-01"]),
                               pd.to_datetime(["2026-01-31", "2026-02-28"]), rows, files) == []
    found = validation.overlaps(["X", "X"], pd.to_datetime(["2026-01-01", "2026-01-31"]),
                                pd.to_datetime(["2026-01-31", "2026-02-28"]), rows, files)
    assert found == [(1, "commit period 2026-01-31..2026-02-28 of contract X overlaps the period "
                         "2026-01-01..2026-01-31 (a.csv row 2)")]
    # a long period swallowing two later ones: both are named against it
    found = validation.overlaps(["X"] * 3, pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
                                pd.to_datetime(["2026-12-31", "2026-02-28", "2026-03-31"]), [2, 3, 4])
    assert [i for i, _ in found] == [1, 2] and all("2026-01-01..2026-12-31 (row 2)" in m for _, m in found)


def test_budget_frame_rules():
    b = tables.conform(pd.DataFrame(dict(allocation=["A", "B"], month=["2026-11", "2026-13"],
                                         budget=[-1, 100], dimension=["team", "dept"], value=["x", "y"],
                                         _file="b.csv", _row=[2, 3])), "budgets")
    got = [(p.row, p.column) for p in validation.validate_frame("budgets", b)]
    assert got == [(2, "budget"), (3, "month"), (3, "dimension")]


@pytest.mark.parametrize("changes, column", [
    ({}, None),
    ({"band_shortfall_risk_below": 0.9, "band_shortfall_watch_below": 0.9}, None),  # an empty watch band
    ({"band_shortfall_risk_below": 0.95}, "band_shortfall_risk_below"),  # above watch
    ({"band_on_pace_max": 0.99}, "band_shortfall_risk_below"),  # on pace must reach 100 %
    ({"band_shortfall_risk_below": -0.01}, "band_shortfall_risk_below"),
    ({"tier_warning": 0.95}, "tier_info"),  # above critical (0.90)
    ({"tier_warning": 0.90}, None),  # equal to critical: allowed
    ({"tier_info": -0.01}, "tier_info"),
    ({"severity_medium": 0.21}, "severity_medium"),
    ({"severity_under": 0.01}, "severity_under"),
    ({"spike_pct": -0.01}, "spike_pct"),
    ({"run_rate_days": 0}, "run_rate_days"),
    ({"run_rate_days": 1}, None),
    ({"anomaly_z": 0.0}, "anomaly_z"),
    ({"smoothing_alpha": 0.0}, "smoothing_alpha"),
    ({"smoothing_alpha": 1.0}, None),
    ({"reporting_currency": "usd"}, "reporting_currency"),
    ({"invoice_tolerance_abs": Decimal("-0.01")}, "invoice_tolerance_pct"),
    ({"renewal_max_shortfall_probability": 1.01}, "renewal_max_shortfall_probability"),
    ({"renewal_days_per_month": Decimal(0)}, "renewal_days_per_month"),
])
def test_settings_rules(changes, column):
    problems = validation.check_settings(Settings().replace(**changes))
    assert (problems[0].column if problems else None) == column


def _report(kind, read, imported, rejected):
    errors = (ImportIssue(3, "overage_multiplier", OM, "0.5"),) if rejected else ()
    return ImportReport(file="f.csv", kind=kind, format="canonical-csv", rows_read=read, rows_imported=imported,
                        rows_rejected=rejected, errors=errors)


def test_import_refusal_is_one_verdict():
    assert validation.import_refusal(_report("commitments", 4, 4, 0)) is None
    ref = validation.import_refusal(_report("commitments", 4, 3, 1))
    assert (ref.file, ref.row, ref.column) == ("f.csv", 3, "overage_multiplier")
    assert ref.message.startswith(OM + " (value '0.5'); the file was not imported")
    assert validation.import_refusal(_report("usage", 4, 3, 1)) is None  # usage keeps its good rows
    assert "strict" in validation.import_refusal(_report("usage", 4, 3, 1), strict=True).message
    assert validation.import_refusal(_report("usage", 1, 0, 1)).message.startswith("no row could be imported")
