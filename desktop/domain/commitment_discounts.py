"""Commitment discounts: utilization of reserved instances and savings plans (FOCUS
CommitmentDiscount*), never a contract's spend shortfall.

A commitment discount is bought in advance (an RI, a savings plan) and applied by the provider
to usage. FOCUS links each charge to it through ``CommitmentDiscountId`` and says whether the
charge is the discount **Used** (usage it covered) or **Unused** (the part of the discount no
usage took in that charge period, priced against the discount itself). Its figure is therefore
utilization: how much of what was bought was used, per commitment discount and month.

* ``discount_keys(usage)``: the ids (match keys) of every commitment discount usage names.
* ``contract_inputs(inputs)``: the inputs the contract engine may see. A commitment whose
  contract_id is a commitment discount's id (a FOCUS Contract Commitment dataset lists RIs and
  savings plans next to spend commitments) is a commitment discount, not a contract: it is left
  out of pacing and exposure (it would show nothing consumed and its whole cost as shortfall),
  and usage whose contract_id names it draws down no contract. A warning names each one.
* ``utilization(index, commitments, currency)``: one ``DiscountUtilization`` per commitment
  discount and month: used and unused cost (the usage's cost column, i.e. the FOCUS cost basis,
  in the reporting currency), cost utilization = used / (used + unused), and the same in the
  discount's own unit from CommitmentDiscountQuantity (FOCUS 1.1+) when the file has it.
* ``utilization_rows(index, discount_id, month, field)``: the rows behind each figure (the same
  masks the figures are summed over).

The formulas and a worked example: docs/domain.md "Commitment discounts".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.money import ZERO, cents, from_micros, money_sum
from desktop.domain.tables import source_row_count
from desktop.domain.usage_index import UsageIndex, match_key

ID = "commitment_discount_id"
STATUS = "commitment_discount_status"
FIELDS = ("used_cost", "unused_cost", "other_cost", "used_quantity", "unused_quantity")
_STATUS_OF = {"used_cost": "used", "unused_cost": "unused", "used_quantity": "used",
              "unused_quantity": "unused"}


@dataclass(frozen=True)
class DiscountUtilization:
    """One commitment discount in one calendar month (money in the reporting currency)."""

    commitment_discount_id: str
    month: str  # YYYY-MM
    vendor: str
    type: str | None  # CommitmentDiscountType, e.g. "Savings Plan", "Reservation"
    category: str | None  # CommitmentDiscountCategory: Spend or Usage
    used_cost: Decimal  # rows with status Used
    unused_cost: Decimal  # rows with status Unused
    other_cost: Decimal  # rows naming the discount with neither status (its purchase, fees)
    cost_utilization: float | None  # used_cost / (used_cost + unused_cost)
    used_quantity: float | None  # CommitmentDiscountQuantity of the Used rows, in ``unit``
    unused_quantity: float | None
    quantity_utilization: float | None  # used_quantity / (used_quantity + unused_quantity)
    unit: str | None  # CommitmentDiscountUnit
    used_rows: int
    unused_rows: int
    currency: str = "USD"


# --- which commitments are commitment discounts ----------------------------------------------

def discount_keys(usage: pd.DataFrame) -> set[str]:
    """The match keys of the commitment discount ids that usage names."""
    if usage.empty or ID not in usage.columns:
        return set()
    ids = usage[ID].dropna().astype(str).unique()
    return {k for k in (match_key(ID, v) for v in ids) if k}


def discount_commitments(commitments: pd.DataFrame, keys: set[str]) -> np.ndarray:
    """Mask of the commitment rows whose contract_id is a commitment discount's id."""
    if commitments.empty or not keys:
        return np.zeros(len(commitments), dtype=bool)
    cid = commitments["contract_id"].astype("string")
    return np.array([match_key(ID, v) in keys for v in cid.tolist()], dtype=bool)


def contract_inputs(inputs, cache=None):
    """(inputs for the contract engine, warnings): see the module docstring. The inputs are
    returned unchanged (same frames, same keys) when no commitment is a commitment discount.
    ``cache``: an AnalysisCache's ``get`` (name, key, build), so the ids of a 1M-row usage table
    are collected once per usage table."""
    if cache is None:
        keys = discount_keys(inputs.usage)
    else:
        from desktop.domain.analysis import table_key
        keys = cache("discount_keys", table_key(inputs, "usage"), lambda: discount_keys(inputs.usage))
    mask = discount_commitments(inputs.commitments, keys)
    if not mask.any():
        return inputs, []
    com = inputs.commitments
    gone = com[mask]
    warnings = []
    for cid, grp in gone.groupby(gone["contract_id"].astype(str), sort=True):
        rows = ", ".join(str(r) for r in grp["_row"].tolist()[:5])
        warnings.append(f"commitment {cid} ({grp['_file'].iloc[0] or 'commitments'} row{'s' if len(grp) != 1 else ''} "
                        f"{rows}) is a commitment discount (usage names it in CommitmentDiscountId): it is "
                        "shown as utilization (used and unused), not paced as a contract commitment")
    key = inputs.keys.get("commitments")
    out = inputs.with_table("commitments", com[~mask].reset_index(drop=True),
                            key=None if key is None else ("without discounts", key))
    usage = inputs.usage
    if not usage.empty:
        cid = usage["contract_id"].astype("string")
        names = np.array([match_key(ID, v) in keys for v in cid.fillna("").tolist()], dtype=bool) \
            if cid.notna().any() else np.zeros(len(usage), dtype=bool)
        if names.any():
            usage = usage.copy()
            usage["contract_id"] = cid.where(~names, pd.NA)
            ukey = inputs.keys.get("usage")
            out = out.with_table("usage", usage, key=None if ukey is None else ("without discounts", ukey))
    return replace(out, imports=inputs.imports), warnings


# --- utilization ----------------------------------------------------------------------------

def _month_codes(index: UsageIndex) -> np.ndarray:
    """Per row the month number (year * 12 + month - 1) of its date."""
    def build() -> np.ndarray:
        if not index.size:
            return np.zeros(0, dtype=np.int64)
        m = index.day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        return m
    return index.memo(("commitment_discounts", "months"), build)


def _month_text(code: int) -> str:
    return str(np.datetime64(int(code), "M"))


def _status_masks(index: UsageIndex) -> dict[str, np.ndarray]:
    def build() -> dict[str, np.ndarray]:
        used, unused = index.mask(STATUS, "used"), index.mask(STATUS, "unused")
        return {"used": used, "unused": unused, "other": ~used & ~unused}
    return index.memo(("commitment_discounts", "status"), build)


def utilization_rows(index: UsageIndex, discount_id: str, month: str | None = None,
                     field: str = "all") -> np.ndarray:
    """Positions of the usage rows behind ``field`` of a commitment discount (in ``month``
    "YYYY-MM" when given): used_* the Used rows, unused_* the Unused rows, other_cost the rows
    with neither status, anything else every row naming the discount."""
    mask = index.mask(ID, discount_id)
    if month is not None:
        code = np.datetime64(month, "M").astype(np.int64)
        mask = mask & (_month_codes(index) == code)
    status = _STATUS_OF.get(field, "other" if field == "other_cost" else None)
    if status is not None:
        mask = mask & _status_masks(index)[status]
    return index.positions(mask)


def _quantity(frame: pd.DataFrame, pos: np.ndarray) -> Decimal | None:
    """The sum of CommitmentDiscountQuantity over ``pos`` (exact over each float as written),
    None when none of them has one."""
    if "commitment_discount_quantity" not in frame.columns or not len(pos):
        return None
    vals = frame["commitment_discount_quantity"].to_numpy(dtype=np.float64)[pos]
    vals = vals[~np.isnan(vals)]
    if not len(vals):
        return None
    return sum((Decimal(repr(float(v))) for v in vals), ZERO)


def _ratio(used: Decimal | None, unused: Decimal | None) -> float | None:
    if used is None and unused is None:
        return None
    den = (used or ZERO) + (unused or ZERO)
    return None if den == 0 else float((used or ZERO) / den)


def _first(frame: pd.DataFrame, column: str, pos: np.ndarray) -> str | None:
    if column not in frame.columns or not len(pos):
        return None
    vals = frame[column].iloc[pos].dropna()
    vals = vals[vals.astype(str).str.strip() != ""]
    return str(vals.iloc[0]).strip() if len(vals) else None


def utilization(index: UsageIndex, currency: str = "USD") -> tuple[DiscountUtilization, ...]:
    """One DiscountUtilization per commitment discount (by id) and month, ordered by id and
    month."""
    frame = index.frame
    codes, _, keys = index.codes(ID)
    if not len(keys):
        return ()
    months = _month_codes(index)
    status = _status_masks(index)
    named = codes >= 0
    pairs = np.unique(np.stack([codes[named], months[named]]), axis=1) if named.any() else np.zeros((2, 0))
    out = []
    for code, month in sorted(zip(pairs[0].tolist(), pairs[1].tolist(), strict=True),
                              key=lambda t: (keys[int(t[0])], t[1])):
        key = keys[int(code)]
        rows = (codes == code) & (months == month)
        pos = {s: index.positions(rows & m) for s, m in status.items()}
        allpos = index.positions(rows)
        used, unused, other = (cents(from_micros(money_sum(index.cost[pos[s]]))) if len(pos[s]) else ZERO
                               for s in ("used", "unused", "other"))
        uq, nq = _quantity(frame, pos["used"]), _quantity(frame, pos["unused"])
        qr = _ratio(uq, nq)
        out.append(DiscountUtilization(
            commitment_discount_id=index.label(ID, key), month=_month_text(int(month)),
            vendor=_first(frame, "vendor", allpos) or "",
            type=_first(frame, "commitment_discount_type", allpos),
            category=_first(frame, "commitment_discount_category", allpos),
            used_cost=used, unused_cost=unused, other_cost=other,
            cost_utilization=_ratio(used if len(pos["used"]) else None,
                                    unused if len(pos["unused"]) else None),
            used_quantity=None if uq is None else float(uq),
            unused_quantity=None if nq is None else float(nq), quantity_utilization=qr,
            unit=_first(frame, "commitment_discount_unit", allpos),
            used_rows=source_row_count(frame, pos["used"]),
            unused_rows=source_row_count(frame, pos["unused"]), currency=currency))
    return tuple(out)
