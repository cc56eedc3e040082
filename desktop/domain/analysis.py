"""The one entry point: canonical inputs + settings + as-of date -> a whole Analysis.

Order of work: validate commitments; convert usage, commitments and invoices to the reporting
currency (rows without an FX rate are left out and reported); assign usage rows to contracts;
then contracts (pacing, forecast, exposure), invoices, budgets, anomalies, workload shift,
chargeback, renewal scenarios and, last, the findings that need a person.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd

from desktop.domain import fx
from desktop.domain.actions import build_findings
from desktop.domain.anomalies import anomalies as anomaly_results
from desktop.domain.budgets import budget_results
from desktop.domain.chargeback import chargeback_journal
from desktop.domain.contracts import (
    assign_contracts,
    contract_results,
    convert_commitments,
    validate_commitments,
)
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs, with_overlap_warnings
from desktop.domain.invoices import invoice_results
from desktop.domain.progress import Progress, sub
from desktop.domain.renewal import default_renewal_inputs, run_renewal
from desktop.domain.results import Analysis
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.workload_shift import workload_shift_candidates

__all__ = ["assign_contracts", "build_analysis", "default_as_of", "prepare_usage"]


def prepare_usage(inputs: Inputs, settings: Settings | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Usage in the reporting currency plus column ``_contract`` (the contract each row draws
    down, NA when none), and the warnings for rows left out for want of an FX rate.

    Validates the commitments first (overlapping or reversed periods raise InputError); a usage
    row that fits two contracts raises InputError naming its file, row and both contracts.
    """
    settings = settings or DEFAULT_SETTINGS
    validate_commitments(inputs.commitments)
    usage, warnings = fx.convert_frame(inputs.usage.reset_index(drop=True), inputs.fx_rates,
                                       money_columns=("cost",), date_column="date",
                                       reporting_currency=settings.reporting_currency, kind="usage")
    usage = usage.reset_index(drop=True)
    usage["_contract"] = assign_contracts(usage, inputs.commitments)
    return usage, warnings


def default_as_of(inputs: Inputs) -> date:
    """The latest usage date; without usage the latest commit period start; else InputError."""
    if not inputs.usage.empty and inputs.usage["date"].notna().any():
        return inputs.usage["date"].max().date()
    if not inputs.commitments.empty and inputs.commitments["period_start"].notna().any():
        return inputs.commitments["period_start"].max().date()
    raise InputError("no as-of date: there is no usage and no commitment to take it from; "
                     "give one with --as-of")


def build_analysis(inputs: Inputs, settings: Settings | None = None, as_of: date | None = None, *,
                   renewal: list | None = None, progress: Progress | None = None) -> Analysis:
    settings = settings or DEFAULT_SETTINGS
    step = progress.step if progress is not None else (lambda f, t="": None)
    step(0.0, "preparing usage")
    if as_of is None:
        as_of = default_as_of(inputs)
    usage, warnings = prepare_usage(inputs, settings)
    commitments = convert_commitments(inputs.commitments, inputs.fx_rates, settings.reporting_currency)

    step(0.25, "pacing and exposure")
    contracts = contract_results(usage, commitments, as_of, settings)

    step(0.35, "invoices")
    invoices, inv_warnings = invoice_results(inputs.invoices, usage, commitments, inputs.rate_card,
                                             inputs.fx_rates, settings)
    warnings.extend(inv_warnings)

    step(0.45, "budgets")
    budgets = budget_results(inputs.budgets, usage, as_of, settings)

    step(0.55, "anomalies")
    anomalies = anomaly_results(usage, as_of, settings,
                                sub(progress, 0.55, 0.7) if progress is not None else None)

    step(0.7, "workload shift and chargeback")
    shift = workload_shift_candidates(contracts, usage, as_of, settings)
    chargeback = chargeback_journal(usage, inputs.org_map, inputs.invoices, as_of, settings)

    step(0.8, "renewal scenarios")
    if renewal is None:
        renewal = default_renewal_inputs(usage, commitments, as_of, settings)
    scenarios = tuple(run_renewal(ri, settings) for ri in renewal)

    step(0.95, "findings")
    analysis = Analysis(
        as_of=as_of, currency=settings.reporting_currency, contracts=contracts, invoices=invoices,
        budgets=budgets, anomalies=anomalies, imports=with_overlap_warnings(inputs.usage, tuple(inputs.imports)), workload_shift=shift,
        chargeback=chargeback, renewal=scenarios, warnings=tuple(warnings), settings=settings,
        usage=usage, inputs=inputs)
    analysis = dataclasses.replace(analysis, findings=tuple(build_findings(analysis, settings)))
    step(1.0, "done")
    return analysis
