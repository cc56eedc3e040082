"""Conversion to the reporting currency (docs/domain.md, "Decisions: currency").

Amounts in different currencies are never added together: each money cell is converted with the
fx_rates row valid on the row's date (``valid_from``/``valid_to`` inclusive; a missing bound is
open). The conversion is exact: ``micros x rate`` with the rate read through its decimal
spelling, rounded half-up to micros. A row whose currency has no valid rate is removed from the
analysed frame and reported as a warning naming its file and row.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain import tables

_INT64_SAFE = 2**62
MAX_ROW_WARNINGS = 50


def _rate_decimal(rate: float) -> Decimal:
    return Decimal(str(float(rate)))


def _ckey(s: pd.Series) -> pd.Series:
    """Currency codes as compared: trimmed, upper case (per distinct value when the column is
    dictionary-encoded, which it stays)."""
    return tables.recode(s, lambda v: v.str.strip().str.upper())


def rate_on(fx_rates: pd.DataFrame, currency: str, day: date | pd.Timestamp,
            reporting_currency: str = "USD") -> Decimal | None:
    """The rate (reporting units per unit of ``currency``) valid on ``day``; 1 for the reporting
    currency itself; None when no row is valid. Several valid rows: the latest valid_from wins
    (an open valid_from counts as the earliest)."""
    cur = str(currency).strip().upper()
    if cur == str(reporting_currency).strip().upper():
        return Decimal(1)
    if fx_rates is None or fx_rates.empty:
        return None
    ts = pd.Timestamp(day)
    fx = fx_rates[_ckey(fx_rates["currency"]) == cur]
    if fx.empty:
        return None
    vf = fx["valid_from"]
    vt = fx["valid_to"]
    ok = (vf.isna() | (vf <= ts)) & (vt.isna() | (vt >= ts))
    fx = fx[ok.to_numpy(dtype=bool)]
    if fx.empty:
        return None
    order = fx["valid_from"].fillna(pd.Timestamp.min).to_numpy()
    # stable: among equal valid_from the later source row wins
    idx = int(np.flatnonzero(order == order.max())[-1])
    return _rate_decimal(fx["rate"].iloc[idx])


def convert_micros(values: np.ndarray, rate: Decimal) -> np.ndarray:
    """Integer micros x rate, rounded half-up (away from zero on ties) to integer micros."""
    arr = np.asarray(values, dtype=np.int64)
    if rate == 1:
        return arr.copy()
    p, q = rate.as_integer_ratio()
    if arr.size == 0:
        return arr.copy()
    bound = int(np.abs(arr).max()) * abs(p) * 2 + q
    if bound < _INT64_SAFE and 2 * q < _INT64_SAFE:
        sign = np.sign(arr) * (1 if p >= 0 else -1)
        num = np.abs(arr) * abs(p)
        return (sign * ((2 * num + q) // (2 * q))).astype(np.int64)
    out = []
    for x in arr.tolist():
        n = abs(x) * abs(p)
        s = -1 if (x < 0) != (p < 0) else 1
        out.append(s * ((2 * n + q) // (2 * q)))
    return np.array(out, dtype=np.int64)


def convert_frame(frame: pd.DataFrame, fx_rates: pd.DataFrame, *, money_columns: tuple[str, ...],
                  date_column: str, reporting_currency: str, kind: str,
                  currency_column: str = "currency") -> tuple[pd.DataFrame, list[str]]:
    """Return (frame in the reporting currency, warnings).

    Rows already in the reporting currency are untouched. Other rows are converted with the rate
    valid on ``date_column``; rows without one are dropped and named in the warnings (the first
    MAX_ROW_WARNINGS rows individually, then one line with the count of the rest). The currency
    column of converted rows is set to the reporting currency.
    """
    if frame.empty:
        return frame, []
    rep = str(reporting_currency).strip().upper()
    cur = tables.fill_text(_ckey(frame[currency_column]), rep)
    foreign = (cur != rep).to_numpy(dtype=bool)
    if not foreign.any():
        return frame, []
    changed: dict[str, object] = {}  # the columns that change; the others are shared, not copied
    sub = pd.DataFrame({"cur": cur[foreign].to_numpy(dtype=object),
                        "day": frame[date_column].to_numpy()[foreign]})
    pairs = sub.drop_duplicates()
    rates: dict[tuple[str, object], Decimal | None] = {}
    for c, d in pairs.itertuples(index=False):
        rates[(c, d)] = None if pd.isna(d) else rate_on(fx_rates, c, d, rep)
    # map every foreign row to its rate id without a per-row Python loop over the frame
    pair_ids = {k: i for i, k in enumerate(rates)}
    pairs_df = pd.DataFrame({"cur": [k[0] for k in rates], "day": [k[1] for k in rates],
                             "_rid": list(pair_ids.values())})
    merged = sub.merge(pairs_df, on=["cur", "day"], how="left")
    rid = merged["_rid"].to_numpy()
    rate_list = list(rates.values())
    foreign_idx = np.flatnonzero(foreign)
    drop_mask = np.zeros(len(frame), dtype=bool)
    for i, rate in enumerate(rate_list):
        rows = foreign_idx[rid == i]
        if rows.size == 0:
            continue
        if rate is None:
            drop_mask[rows] = True
            continue
        for col in money_columns:
            if col not in changed:
                changed[col] = frame[col].to_numpy(dtype=np.int64, copy=True)
            vals = changed[col]
            vals[rows] = convert_micros(vals[rows], rate)
    warnings: list[str] = []
    conv = foreign & ~drop_mask
    changed[currency_column] = tables.put_text(frame[currency_column], conv, rep)
    out = frame.assign(**changed)
    if drop_mask.any():
        dropped = frame[drop_mask]
        n = len(dropped)
        for rec in dropped.head(MAX_ROW_WARNINGS).to_dict("records"):
            d = rec[date_column]
            ds = "no date" if pd.isna(d) else pd.Timestamp(d).date().isoformat()
            warnings.append(
                f"{rec['_file'] or kind} row {rec['_row']}: no FX rate for "
                f"{rec[currency_column]} -> {rep} valid on {ds}; "
                f"the {kind} row is left out of the analysis")
        if n > MAX_ROW_WARNINGS:
            warnings.append(f"... and {n - MAX_ROW_WARNINGS} more {kind} rows without an FX rate "
                            f"left out of the analysis")
        out = out[~drop_mask].reset_index(drop=True)
    return out, warnings


def without_rate(frame: pd.DataFrame, fx_rates: pd.DataFrame, *, date_column: str,
                 reporting_currency: str, currency_column: str = "currency") -> np.ndarray:
    """Mask of the rows in a currency other than the reporting one with no rate valid on their
    ``date_column`` (the rows ``convert_frame`` would leave out)."""
    if frame is None or frame.empty:
        return np.zeros(0 if frame is None else len(frame), dtype=bool)
    rep = str(reporting_currency).strip().upper()
    cur = tables.fill_text(_ckey(frame[currency_column]), rep)
    out = np.zeros(len(frame), dtype=bool)
    days = frame[date_column].to_numpy()
    memo: dict[tuple[str, object], bool] = {}
    for i in np.flatnonzero((cur != rep).to_numpy(dtype=bool)):
        key = (cur.iloc[i], days[i])
        if key not in memo:
            memo[key] = pd.isna(days[i]) or rate_on(fx_rates, key[0], days[i], rep) is None
        out[i] = memo[key]
    return out


def row_ranges(rows) -> str:
    """Row numbers as the analyst reads them: [3, 4, 5, 9] -> '3-5, 9'."""
    nums = sorted({int(r) for r in rows})
    parts = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ", ".join(parts)


def missing_rate_notes(frame: pd.DataFrame, fx_rates: pd.DataFrame, *, kind: str, date_column: str,
                       reporting_currency: str, where: str = "the workspace") -> list[str]:
    """For an import preview: one note per currency of the rows that have no rate to the
    reporting currency ("commitment rows 3-4 are in EUR and the workspace has no EUR -> USD rate
    valid on their dates: they will be left out of the figures until you import one")."""
    mask = without_rate(frame, fx_rates, date_column=date_column, reporting_currency=reporting_currency)
    if not mask.any():
        return []
    rep = str(reporting_currency).strip().upper()
    sub = frame[mask]
    notes = []
    for cur, grp in sub.groupby(_ckey(sub["currency"]), sort=True):
        rows = row_ranges(grp["_row"])
        plural = len(grp) != 1
        notes.append(f"{kind} row{'s' if plural else ''} {rows} {'are' if plural else 'is'} in {cur} and "
                     f"{where} has no {cur} -> {rep} rate valid on {'their dates' if plural else 'its date'}: "
                     f"{'they' if plural else 'it'} will be left out of the figures until you import one")
    return notes


def keep_native(frame: pd.DataFrame, money_column: str, reporting_currency: str,
                currency_column: str = "currency") -> pd.DataFrame:
    """``frame`` with ``_native_cost`` (the money column as billed) and ``_native_currency`` (its
    currency, upper case) when any row is in another currency than the reporting one, so that a
    comparison in that currency (an invoice and the usage it bills, docs/domain.md "Invoices")
    needs no conversion. Unchanged (no columns added) when every row is in the reporting currency."""
    if frame.empty or currency_column not in frame.columns:
        return frame
    rep = str(reporting_currency).strip().upper()
    cur = tables.fill_text(_ckey(frame[currency_column]), rep)
    if not (cur != rep).any():
        return frame
    return frame.assign(_native_cost=frame[money_column], _native_currency=tables.text_column(cur))
