"""Workload-shift candidates for contracts in a shortfall band (docs/domain.md,
"Workload shift candidates" and Decisions > "Workload shift").

For a contract whose band is ``shortfall_risk`` or ``shortfall_watch``, the candidates are the
workloads whose spend does not draw down that contract (any vendor). Moving such a workload onto
the contract for the rest of its term would add its run rate to the contract's consumption.

Rules (all in Decisions > "Workload shift"):

* A usage row is labelled by its ``workload``, else its ``project``, else its ``model``, else
  its vendor (basis ``vendor``). A candidate is one (basis, label, vendor) group.
* Rows that draw down the contract (``_contract`` == contract_id) are never candidates. Rows
  flagged ``commit_eligible = false`` are not candidates either (fees, support, taxes cannot
  draw down a commitment wherever they run). Rows dated after T are ignored.
* run_rate = the group's spend on days T-13..T divided by 14 (``settings.run_rate_days``), rounded
  half-up to cents; a day without spend counts as 0. Groups with run_rate <= 0 are not listed.
* Days left are counted per commit period that has not ended (end_p > T): the current period
  contributes end_p - T days, a future one its whole length. movable_spend = run_rate x days left.
* Coverage is greedy down the ranking (run rate descending, then label, vendor), period by period:
  in each not-ended period the candidate covers min(run_rate x that period's days left, that
  period's shortfall still uncovered by the candidates ranked above). Ended periods' shortfall
  cannot be covered by moving work now. covers = sum over periods; covers_pct = covers / the
  contract's projected shortfall (sum of period shortfall), None when that is 0.
* Contracts whose not-ended periods have no shortfall get no candidates.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.money import ZERO, cents, from_micros
from desktop.domain.results import ContractResult, WorkloadShiftCandidate
from desktop.domain.settings import Settings
from desktop.domain.usage_index import UsageIndex, as_index
from desktop.domain.vocabulary import SHORTFALL_BANDS

BASES = ("workload", "project", "model")


def label_usage(usage: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(basis, label) per usage row: workload, else project, else model, else vendor."""
    n = len(usage)
    basis = pd.Series(["vendor"] * n, index=usage.index, dtype=object)
    label = usage["vendor"].astype(object).where(usage["vendor"].notna(), "(unknown vendor)")
    # apply in reverse priority so that the highest-priority non-empty column wins
    for col in reversed(BASES):
        if col not in usage.columns:
            continue
        s = usage[col].astype("string").str.strip()
        has = s.notna() & (s != "")
        basis = basis.where(~has, col)
        label = label.where(~has, s.astype(object))
    return basis, label


def _periods_left(contract: ContractResult, as_of: date) -> list[tuple[int, int, Decimal]]:
    """(index, days left after T, shortfall) for each period that has not ended."""
    out = []
    for i, p in enumerate(contract.periods):
        if p.period_end <= as_of:
            continue
        if p.period_start > as_of:
            days = (p.period_end - p.period_start).days + 1
        else:
            days = (p.period_end - as_of).days
        out.append((i, days, p.shortfall))
    return out


def _window_groups(index: UsageIndex, as_of: date, window_days: int) -> pd.DataFrame:
    """Eligible spend in the run-rate window per (basis, label, vendor, contract drawn down),
    kept on the usage index per (T, window): a commitment edit re-ranks, it does not re-read rows."""
    def build() -> pd.DataFrame:
        pos = index.positions(index.dated(as_of - timedelta(days=window_days - 1), as_of) & index.eligible())
        if not len(pos):
            return pd.DataFrame({"basis": [], "label": [], "vendor": [], "contract": [], "cost": []})
        window = index.frame.iloc[pos]
        basis, label = label_usage(window)
        contract = (window["_contract"].astype(object).where(window["_contract"].notna(), "")
                    if "_contract" in window.columns else pd.Series("", index=window.index, dtype=object))
        frame = pd.DataFrame({
            "basis": basis.to_numpy(dtype=object),
            "label": label.to_numpy(dtype=object),
            "vendor": window["vendor"].astype(object).where(window["vendor"].notna(), "").to_numpy(),
            "contract": contract.to_numpy(dtype=object),
            "cost": window["cost"].to_numpy(dtype=np.int64),
        })
        return frame.groupby(["basis", "label", "vendor", "contract"], sort=False, dropna=False)["cost"] \
            .sum().reset_index()
    return index.memo(("shift_window", as_of, window_days), build)


def workload_shift_candidates(
    contracts: tuple[ContractResult, ...],
    usage: pd.DataFrame | UsageIndex,
    as_of: date,
    settings: Settings,
) -> tuple[WorkloadShiftCandidate, ...]:
    """Candidates for every contract in a shortfall band, contracts in contract_id order."""
    targets = [c for c in contracts if c.band in SHORTFALL_BANDS]
    if not targets or usage is None:
        return ()
    base = _window_groups(as_index(usage), as_of, int(settings.run_rate_days))
    if base.empty:
        return ()
    days_div = Decimal(int(settings.run_rate_days))
    out: list[WorkloadShiftCandidate] = []
    for contract in sorted(targets, key=lambda c: c.contract_id):
        periods = _periods_left(contract, as_of)
        remaining = {i: s for i, _, s in periods if s > 0}
        if not remaining:
            continue
        total_shortfall = sum((p.shortfall for p in contract.periods), ZERO)
        others = base.loc[(base["contract"] != contract.contract_id).to_numpy(dtype=bool)]
        if others.empty:
            continue
        groups = others.groupby(["basis", "label", "vendor"], sort=False)["cost"].sum()
        ranked = []
        for (b, lab, vendor), micros in groups.items():
            rate = cents(from_micros(micros) / days_div)
            if rate <= 0:
                continue
            ranked.append((rate, str(lab), str(vendor), str(b)))
        ranked.sort(key=lambda r: (-r[0], r[1].casefold(), r[2].casefold(), r[3]))
        days_left = sum(d for _, d, _ in periods)
        for rate, lab, vendor, b in ranked:
            covers = ZERO
            for i, d, _ in periods:
                left = remaining.get(i, ZERO)
                if left <= 0:
                    continue
                take = min(rate * d, left)
                remaining[i] = left - take
                covers += take
            covers = cents(covers)
            out.append(WorkloadShiftCandidate(
                contract_id=contract.contract_id,
                workload=lab,
                basis=b,
                vendor=vendor,
                run_rate=rate,
                days_left=days_left,
                movable_spend=cents(rate * days_left),
                covers=covers,
                covers_pct=(float(covers / total_shortfall) if total_shortfall > 0 else None),
            ))
    return tuple(out)


def candidate_rows(index: UsageIndex, w: WorkloadShiftCandidate, as_of: date, settings: Settings) -> np.ndarray:
    """The usage rows behind a candidate's run rate: commit-eligible rows in the run-rate window
    labelled with its basis and workload, of its vendor, not drawing down its contract."""
    window = index.dated(as_of - timedelta(days=int(settings.run_rate_days) - 1), as_of) & index.eligible()
    pos = index.positions(window)
    if not len(pos):
        return pos
    frame = index.frame.iloc[pos]
    basis, label = label_usage(frame)
    vendor = frame["vendor"].astype(object).where(frame["vendor"].notna(), "")
    contract = (frame["_contract"].astype("string") if "_contract" in frame.columns
                else pd.Series(pd.NA, index=frame.index, dtype="string"))
    keep = ((basis == w.basis).to_numpy(dtype=bool) & (label.astype(str) == w.workload).to_numpy(dtype=bool)
            & (vendor.astype(str) == w.vendor).to_numpy(dtype=bool)
            & ~(contract == w.contract_id).fillna(False).to_numpy(dtype=bool))
    return pos[keep]
