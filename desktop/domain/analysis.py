"""The one entry point: canonical inputs + settings + as-of date -> a whole Analysis.

Order of work: validate commitments; convert usage, commitments and invoices to the reporting
currency (rows without an FX rate are left out and reported); assign usage rows to contracts
and index the result (UsageIndex); then contracts (pacing, forecast, exposure), invoices,
budgets, anomalies, workload shift, chargeback, renewal scenarios and, last, the findings that
need a person.

Incremental recompute (docs/domain.md "Recompute"): pass the same ``AnalysisCache`` to every
build_analysis of one workspace (the GUI session does). The prepared usage and its index are
reused while the usage table, the FX rates, the reporting currency and the commitments' contract
assignment columns are unchanged; the index keeps every usage-derived series (per contract, per
budget line, per anomaly series, per vendor ...) so a recompute reads daily series, not rows; and
each computing module's result is reused while the inputs it reads are unchanged (its key names
them). An edit therefore recomputes only the figures it touches.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Hashable
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from desktop.domain import ai_services, fx, rate_audit, tables
from desktop.domain import commitment_discounts as discounts_mod
from desktop.domain.actions import build_findings
from desktop.domain.anomalies import anomalies as anomaly_results
from desktop.domain.budgets import budget_results
from desktop.domain.calendar import notice_deadlines
from desktop.domain.chargeback import chargeback_journal
from desktop.domain.contracts import (
    assign_contracts,
    binding,
    contract_results,
    convert_commitments,
    overlap_warnings,
    validate_commitments,
    without_offers,
)
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs, with_overlap_warnings
from desktop.domain.invoices import convert_lines, invoice_results
from desktop.domain.money import fmt_money_human, micros_to_cents, money_sum
from desktop.domain.progress import Progress
from desktop.domain.renewal import default_renewal_inputs, run_renewal
from desktop.domain.results import Analysis
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.snapshots import latest_snapshots, with_snapshot_warnings
from desktop.domain.tieout import tie_outs
from desktop.domain.usage_index import UsageIndex, frame_key
from desktop.domain.workload_shift import workload_shift_candidates

__all__ = ["AnalysisCache", "assign_contracts", "build_analysis", "default_as_of", "prepare_usage"]

# the commitment columns the contract assignment of usage rows reads
_ASSIGNMENT_COLUMNS = ("contract_id", "vendor", "period_start", "period_end", "status")
# the commitment columns invoices read (the owner of an invoice's contract)
_OWNER_COLUMNS = ("contract_id", "vendor", "period_start", "period_end", "owner")
# the commitment columns the notice deadlines read (calendar.notice_deadlines)
_NOTICE_COLUMNS = ("contract_id", "vendor", "period_start", "period_end", "status", "notice_days", "owner")


class AnalysisCache:
    """What one workspace's recomputes may reuse (see the module docstring). Thread-safe: the
    GUI builds analyses in a worker while the previous one is shown."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._slots: dict[str, tuple[Hashable, Any]] = {}
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}

    def get(self, name: str, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value of slot ``name`` when it was built for ``key``, else ``build()`` (kept as
        the slot's one value: a cache holds the latest state, not a history)."""
        with self._lock:
            slot = self._slots.get(name)
            if slot is not None and slot[0] == key:
                self.hits[name] = self.hits.get(name, 0) + 1
                return slot[1]
        value = build()
        with self._lock:
            self._slots[name] = (key, value)
            self.misses[name] = self.misses.get(name, 0) + 1
        return value

    def get_with_settings(self, name: str, key: Hashable, settings: Settings,
                          build: Callable[[Settings], Any]) -> Any:
        """Like ``get``, keyed also by the settings the build actually read: the first build runs
        with a recording view of ``settings`` and remembers which fields it read; the slot is
        reused while ``key`` and those fields' values are unchanged. So a threshold edit
        recomputes only the modules that read that threshold."""
        with self._lock:
            slot = self._slots.get(name)
            if slot is not None:
                (old_key, fields, values), value = slot
                if old_key == key and tuple(getattr(settings, f) for f in fields) == values:
                    self.hits[name] = self.hits.get(name, 0) + 1
                    return value
        view = _RecordingSettings(settings)
        value = build(view)  # type: ignore[arg-type]
        fields = tuple(sorted(view.read))
        with self._lock:
            self._slots[name] = ((key, fields, tuple(getattr(settings, f) for f in fields)), value)
            self.misses[name] = self.misses.get(name, 0) + 1
        return value

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()


class _RecordingSettings:
    """Settings as a module sees them, noting every field it reads (AnalysisCache.get_with_settings)."""

    def __init__(self, settings: Settings):
        object.__setattr__(self, "_settings", settings)
        object.__setattr__(self, "read", set())

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._settings, name)
        if not callable(value):
            self.read.add(name)
        return value


def table_key(inputs: Inputs, name: str, columns: tuple[str, ...] | None = None,
              cache: AnalysisCache | None = None) -> Hashable:
    """The content key of one input table: the key its reader gave (Inputs.keys), else its
    content (small tables) or, for usage, its identity (the frame is kept alive by the cache).
    Some ``columns`` of a small table are keyed by their content always, so that an edit of
    another column (a workspace's commitment amount, which drops the batches' key) keeps what
    only those columns feed (the prepared usage, its index and daily series); with ``cache``
    that content key is kept per key the reader gave (one workspace's keys name one content),
    so an unchanged table is not hashed again at every recompute."""
    given = inputs.keys.get(name)
    if columns is not None and name != "usage":
        if given is None or cache is None:
            return (name, frame_key(getattr(inputs, name), columns))
        return cache.get(f"columns:{name}:{','.join(columns)}", given,
                         lambda: (name, frame_key(getattr(inputs, name), columns)))
    if given is not None:
        return (name, given, columns)
    frame = getattr(inputs, name)
    if name == "usage":
        return (name, "id", id(frame), len(frame))
    return (name, frame_key(frame, columns))


def prepare_usage(inputs: Inputs, settings: Settings | None = None,
                  snapshots: list | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Usage in the reporting currency plus columns ``_ai`` (the row counts as AI spend under the
    setting ``ai_services``: desktop/domain/ai_services.py) and ``_contract`` (the contract each
    row draws down, NA when none), and the warnings for rows left out for want of an FX rate and
    for rows that are not AI spend.

    Earlier snapshots of a re-delivered provider export are left out first
    (snapshots.latest_snapshots), each named in the warnings and appended to ``snapshots``.

    Validates the commitments first (overlapping or reversed periods of one contract raise
    InputError); a usage row that fits two contracts of its vendor draws down the newer one, with
    a warning naming the overlap days and the amount (contracts.overlap_warnings).
    """
    settings = settings or DEFAULT_SETTINGS
    validate_commitments(inputs.commitments)
    keep, drops = latest_snapshots(inputs.usage)
    raw = inputs.usage.reset_index(drop=True)
    if drops:
        raw = raw[keep].reset_index(drop=True)
        if snapshots is not None:
            snapshots.extend(drops)
    # the cost as billed is kept when any row is in another currency (invoices compare in it)
    native = fx.keep_native(raw, "cost", settings.reporting_currency)
    usage, warnings = fx.convert_frame(native, inputs.fx_rates,
                                       money_columns=("cost",), date_column="date",
                                       reporting_currency=settings.reporting_currency, kind="usage")
    usage = usage.reset_index(drop=True)
    usage["_ai"] = ai_services.ai_mask(usage, settings.ai_services)  # before the assignment reads it
    usage["_contract"] = assign_contracts(usage, inputs.commitments)
    warnings[:0] = [d.detail for d in drops]
    warnings.extend(unknown_contract_warnings(usage, inputs.commitments))
    warnings.extend(overlap_warnings(usage, inputs.commitments, settings.reporting_currency))
    note = ai_services.split_note(ai_services.split(usage, settings.ai_services))
    if note:
        warnings.append(f"usage: {note}")
    return usage, warnings


def _rows_text(frame: pd.DataFrame, limit: int = 3) -> str:
    refs = [f"{f or 'usage'} row {r}" for f, r in zip(frame["_file"].head(limit), frame["_row"].head(limit),
                                                         strict=True)]
    more = f" and {len(frame) - limit} more" if len(frame) > limit else ""
    return ", ".join(refs) + more


def unknown_contract_warnings(usage: pd.DataFrame, commitments: pd.DataFrame) -> list[str]:
    """Usage naming a contract_id that the commit schedule does not have draws down nothing:
    say so, with the rows and the money, instead of letting it leave the pacing silently."""
    if usage.empty or commitments.empty:
        return []
    codes, uniques = tables.text_codes(usage["contract_id"])  # judged per distinct value
    given = [str(u).strip() for u in uniques]
    known = set(commitments["contract_id"].astype(str))
    unknown = np.append(np.array([g != "" and g not in known for g in given], dtype=bool), False)
    bad = unknown[codes]
    if not bad.any():
        return []
    out = []
    pos = np.flatnonzero(bad)
    rows = usage[["_file", "_row", "cost", "currency"]].iloc[pos]  # only the columns it reads
    cid = pd.Series(np.array(given + [""], dtype=object)[codes[pos]], index=rows.index)
    for name, grp in rows.groupby(cid, sort=True):
        total = fmt_money_human(micros_to_cents(money_sum(grp["cost"])), str(grp["currency"].iloc[0]))
        out.append(f"usage names contract {name!r}, which is not in the commit schedule: {len(grp)} row"
                   f"{'s' if len(grp) != 1 else ''} ({_rows_text(grp)}), {total}, draw down no contract")
    return out


def as_of_warnings(inputs: Inputs, as_of: date, today: date | None = None) -> list[str]:
    """The default as-of date follows the latest usage row; name that row when it looks like a
    typo: after today, or more than 31 days after every other usage date."""
    usage = inputs.usage
    if usage.empty:
        return []
    today = today or date.today()
    latest = usage[usage["date"] == usage["date"].max()]
    where = _rows_text(latest)
    days = usage["date"].drop_duplicates().nlargest(2)
    gap = (days.iloc[0] - days.iloc[1]).days if len(days) == 2 else 0
    if as_of > today:
        return [f"the as-of date {as_of} comes from the latest usage ({where}), which is after today "
                f"({today}); give an as-of date or fix that row"]
    if gap > 31:
        return [f"the as-of date {as_of} comes from the latest usage ({where}), {gap} days after any other "
                "usage; give an as-of date or fix that row if it is a typo"]
    return []


def rejected_invoice_line_warnings(inputs: Inputs, invoices: tuple) -> tuple[tuple, list[str]]:
    """Invoices read from a file that had rejected lines may be incomplete: note it on each of
    them and in the warnings, so that a variance is never claimed as if every line were there."""
    bad = {r.file: r for r in inputs.imports if r.kind == "invoices" and r.rows_rejected}
    if not bad or inputs.invoices.empty:
        return invoices, []
    by_file: dict[str, set[str]] = {}
    for f, i in zip(inputs.invoices["_file"].astype(str), inputs.invoices["invoice_id"].astype(str), strict=True):
        if f in bad:
            by_file.setdefault(f, set()).add(i)
    warnings = []
    affected: dict[str, str] = {}
    for f, rep in bad.items():
        rows = ", ".join(str(e.row) for e in rep.errors[:5] if e.row is not None)
        note = (f"{rep.file} had {rep.rows_rejected} invoice line{'s' if rep.rows_rejected != 1 else ''} "
                f"rejected at import (row{'s' if rep.rows_rejected != 1 else ''} {rows}"
                f"{' ...' if rep.rows_rejected > 5 else ''}); this invoice may be incomplete")
        ids = sorted(by_file.get(f, ()))
        warnings.append(note.replace("this invoice may be incomplete",
                                     f"invoices {', '.join(ids)} may be incomplete" if ids else
                                     "no invoice of that file could be read"))
        for i in ids:
            affected[i] = note
    out = tuple(dataclasses.replace(inv, notes=inv.notes + (affected[inv.invoice_id],))
                if inv.invoice_id in affected else inv for inv in invoices)
    return out, warnings


def default_as_of(inputs: Inputs) -> date:
    """The latest usage date; without usage the latest commit period start; else InputError."""
    if not inputs.usage.empty and inputs.usage["date"].notna().any():
        return inputs.usage["date"].max().date()
    com = binding(inputs.commitments)  # an offer's future start is no as-of date
    if not com.empty and com["period_start"].notna().any():
        return com["period_start"].max().date()
    raise InputError("no as-of date: there is no usage and no commitment to take it from; "
                     "give one with --as-of")


def build_analysis(inputs: Inputs, settings: Settings | None = None, as_of: date | None = None, *,
                   renewal: list | None = None, progress: Progress | None = None,
                   cache: AnalysisCache | None = None) -> Analysis:
    settings = settings or DEFAULT_SETTINGS
    cache = cache if cache is not None else AnalysisCache()
    step = progress.step if progress is not None else (lambda f, t="": None)
    step(0.0, "preparing usage")
    as_of_notes: list[str] = []
    if as_of is None:
        as_of = default_as_of(inputs)
        today = date.today()
        as_of_notes = cache.get("as_of_notes", (table_key(inputs, "usage"), as_of, today),  # keeps its usage alive
                                lambda: (as_of_warnings(inputs, as_of, today), inputs.usage))[0]
    cur = settings.reporting_currency
    # commitment discounts (RIs, savings plans) named by usage are utilization, not contracts:
    # the contract engine sees the inputs without them (commitment_discounts.contract_inputs)
    original = inputs
    inputs, discount_notes = discounts_mod.contract_inputs(inputs, cache=cache.get)
    # validation raises on a bad schedule (nothing is cached then); a valid one is not re-checked
    cache.get("validated", table_key(inputs, "commitments"), lambda: validate_commitments(inputs.commitments))
    inputs = without_offers(inputs)  # proposed contracts (offers) draw down nothing: no figure reads them
    usage_k = table_key(inputs, "usage")
    prep_key = (usage_k, table_key(inputs, "fx_rates"), table_key(inputs, "commitments", _ASSIGNMENT_COLUMNS, cache), cur,
                ai_services.parse_rule(settings.ai_services))

    def prepare() -> tuple[pd.DataFrame, list[str], UsageIndex, Inputs, tuple]:
        drops: list = []
        usage, notes = prepare_usage(inputs, settings, drops)
        return usage, notes, UsageIndex(usage), inputs, tuple(drops)  # inputs: keeps the keyed frames alive

    usage, usage_notes, index, _, snapshots = cache.get("usage", prep_key, prepare)
    warnings = as_of_notes + list(discount_notes) + list(usage_notes)
    com_k = table_key(inputs, "commitments")
    fx_k = table_key(inputs, "fx_rates")
    commitments, fx_notes = cache.get("commitments", (com_k, fx_k, cur),
                                      lambda: convert_commitments(inputs.commitments, inputs.fx_rates, cur))
    warnings.extend(fx_notes)  # contracts left out for want of an FX rate

    step(0.25, "pacing and exposure")
    contracts = cache.get_with_settings("contracts", (prep_key, com_k, fx_k, as_of), settings,
                                        lambda st: contract_results(index, commitments, as_of, st))

    step(0.35, "invoices")
    inv_k = table_key(inputs, "invoices")
    lines = cache.get("invoice_lines", (inv_k, fx_k, cur),
                      lambda: convert_lines(inputs.invoices, inputs.fx_rates, settings)
                      if not inputs.invoices.empty else (inputs.invoices, []))
    invoices, inv_warnings = cache.get_with_settings(
        "invoices", (prep_key, inv_k, table_key(inputs, "commitments", _OWNER_COLUMNS, cache), fx_k,
                     table_key(inputs, "rate_card"), cur), settings,
        lambda st: invoice_results(inputs.invoices, index, commitments, inputs.rate_card, inputs.fx_rates,
                                   st, converted=lines))
    warnings.extend(inv_warnings)
    # the three-way audit (invoice <-> usage <-> contracted token rates): its leakage beyond the
    # invoice-line flags is added to the invoices as flags (desktop/domain/rate_audit.py)
    rate_k = table_key(inputs, "rate_card")
    audit = cache.get_with_settings(
        "rate_audit", (prep_key, inv_k, rate_k, fx_k, table_key(inputs, "commitments", _OWNER_COLUMNS, cache), cur, invoices),
        settings, lambda st: rate_audit.audit(invoices, index, lines[0], inputs.rate_card, inputs.fx_rates,
                                              commitments, st))
    invoices = rate_audit.with_audit_flags(invoices, audit)
    unit_prices = cache.get_with_settings(
        "unit_prices", (prep_key, rate_k, fx_k, cur, as_of), settings,
        lambda st: rate_audit.unit_prices(index, inputs.rate_card, inputs.fx_rates, as_of, st))
    invoices, partial = rejected_invoice_line_warnings(inputs, invoices)
    warnings.extend(partial)
    ties = cache.get("tie_outs", (prep_key, inv_k, fx_k, cur), lambda: tie_outs(usage, lines[0], invoices))

    discounts = cache.get("commitment_discounts", (prep_key,),
                          lambda: discounts_mod.utilization(index, cur))

    step(0.45, "budgets")
    budgets = cache.get_with_settings("budgets", (prep_key, table_key(inputs, "budgets"), table_key(inputs, "org_map"),
                                                  as_of), settings,
                                      lambda st: budget_results(inputs.budgets, index, as_of, st, inputs.org_map))

    step(0.55, "anomalies")
    anomalies = cache.get_with_settings("anomalies", (prep_key, as_of), settings,
                                        lambda st: anomaly_results(index, as_of, st))

    step(0.7, "workload shift and chargeback")
    shift = cache.get_with_settings("workload_shift", (prep_key, contracts, as_of), settings,
                                    lambda st: workload_shift_candidates(contracts, index, as_of, st))
    chargeback = cache.get_with_settings("chargeback", (prep_key, table_key(inputs, "org_map"), inv_k, as_of),
                                         settings,
                                         lambda st: chargeback_journal(index, inputs.org_map, inputs.invoices,
                                                                       as_of, st))

    step(0.8, "renewal scenarios")
    if renewal is None:
        renewal = cache.get_with_settings("renewal_inputs", (prep_key, com_k, fx_k, as_of), settings,
                                          lambda st: default_renewal_inputs(index, commitments, as_of, st))
    # one slot per scenario: a simulation is rerun only when its own inputs (or a setting it reads) change
    scenarios = tuple(cache.get_with_settings(f"renewal:{i}", ri, settings, lambda st, ri=ri: run_renewal(ri, st))
                      for i, ri in enumerate(renewal))

    step(0.9, "import reports")
    # overlaps among the rows analysed: an earlier snapshot left out double-counts nothing
    imports = cache.get("imports", (prep_key, tuple(inputs.imports)),
                        lambda: with_snapshot_warnings(with_overlap_warnings(usage, tuple(inputs.imports)),
                                                       snapshots))

    step(0.95, "findings")
    deadlines = cache.get("notice_deadlines", (table_key(inputs, "commitments", _NOTICE_COLUMNS, cache), as_of),
                          lambda: notice_deadlines(inputs.commitments, as_of))
    analysis = Analysis(
        as_of=as_of, currency=cur, contracts=contracts, invoices=invoices,
        budgets=budgets, anomalies=anomalies, imports=imports, workload_shift=shift,
        chargeback=chargeback, renewal=scenarios, warnings=tuple(warnings), snapshots=snapshots,
        tie_outs=ties, settings=settings,
        rate_audit=audit, unit_prices=unit_prices,
        usage=usage, inputs=original, index=index, invoice_lines=lines[0],
        renewal_inputs=tuple(renewal), commitment_discounts=discounts, notice_deadlines=deadlines)
    analysis = dataclasses.replace(analysis, findings=tuple(build_findings(analysis, settings)))
    step(1.0, "done")
    return analysis
