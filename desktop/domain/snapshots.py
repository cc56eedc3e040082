"""Re-delivered provider exports: keep the latest snapshot of each billing period.

A FOCUS export is delivered again and again while a billing period runs (and sometimes after it
closed, restated). Two files carrying rows of one **snapshot group** (provider by alias key,
BillingAccountId, BillingPeriodStart) whose charge days overlap are two deliveries of one
export: summing them counts the period twice. ``latest_snapshots`` keeps the rows of the latest
delivery and leaves the earlier one's rows of that group out, reporting each drop
(``SnapshotDrop``: file, rows, amount, the file kept and the rule that decided).

Which delivery is later (docs/domain.md "Export snapshots"), first rule that tells them apart:

1. ``export_time``: both files carry an export time (an x_ export-time column, usage column
   ``exported_at``): the later one;
2. ``later_data``: the file whose rows run to a later charge day (a snapshot written later holds
   more of the period);
3. ``import_order``: the file imported (or given on the command line) later.

A file whose days in the group do not overlap the kept files' (a period split by days into two
files) is kept too. Rows without ``billing_period`` (every non-FOCUS file) are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.money import fmt_money_human, micros_to_cents, money_sum
from desktop.domain.results import SnapshotDrop
from desktop.domain.tables import source_row_count, text_codes, vendor_key


@dataclass(frozen=True)
class _Delivery:
    file: str
    first: int  # position of its first row: the import order
    last_day: np.datetime64
    exported_at: str | None
    days: np.ndarray  # its distinct charge days, sorted
    positions: np.ndarray


def _rank(d: _Delivery, by_time: bool) -> tuple:
    return ((d.exported_at or "") if by_time else "", d.last_day, d.first)


def _rule(kept: _Delivery, dropped: _Delivery, by_time: bool) -> str:
    if by_time and kept.exported_at != dropped.exported_at:
        return "export_time"
    if kept.last_day != dropped.last_day:
        return "later_data"
    return "import_order"


def _why(rule: str, kept: _Delivery, dropped: _Delivery) -> str:
    if rule == "export_time":
        return f"exported {kept.exported_at}, after {dropped.exported_at}"
    if rule == "later_data":
        return (f"its rows run to {pd.Timestamp(kept.last_day).date()}, "
                f"this file's to {pd.Timestamp(dropped.last_day).date()}")
    return "imported later (neither file says when it was exported and both run to the same day)"


def deliveries_of(usage: pd.DataFrame) -> np.ndarray:
    """The file each row was delivered in, by name: a frame holds the files' rows one file after
    the other, each in row order, so a new file starts where the name changes or the row number
    does not increase (two deliveries both named focus.csv from two folders are told apart:
    "focus.csv (import 2 of that name)")."""
    f = usage["_file"].astype("string").fillna("").to_numpy(dtype=object)
    r = usage["_row"].to_numpy(dtype=np.int64)
    if len(f) == 0:
        return f
    start = np.r_[True, (f[1:] != f[:-1]) | (r[1:] <= r[:-1])]
    ids = np.cumsum(start) - 1
    first_rows = np.flatnonzero(start)
    label: list[str] = []
    seen: dict[str, int] = {}
    total = pd.Series(f[first_rows]).value_counts().to_dict()
    for name in f[first_rows]:
        seen[name] = seen.get(name, 0) + 1
        label.append(name if total[name] == 1 else f"{name} (import {seen[name]} of that name)")
    return np.array(label, dtype=object)[ids]


def latest_snapshots(usage: pd.DataFrame) -> tuple[np.ndarray, tuple[SnapshotDrop, ...]]:
    """(mask of the rows to keep, the snapshots left out) for a canonical usage frame in import
    order (the order of the files' first rows is their import order)."""
    n = len(usage)
    keep = np.ones(n, dtype=bool)
    if n == 0 or "billing_period" not in usage.columns:
        return keep, ()
    period = usage["billing_period"].to_numpy(dtype="datetime64[ns]")
    has = ~np.isnat(period)
    if not has.any():
        return keep, ()
    names = deliveries_of(usage)
    pos = np.flatnonzero(has)
    files = names[pos]
    if len(pd.unique(files)) < 2:
        return keep, ()
    cols = [c for c in ("vendor", "billing_account", "exported_at", "date") if c in usage.columns]
    sub = usage[cols].iloc[pos]  # only the columns it reads (a 1M-row frame has two dozen)
    vcodes, vuniq = text_codes(sub["vendor"])
    vendors = np.array([str(v) for v in vuniq] + [""], dtype=object)[vcodes]
    vkey_codes, _ = pd.factorize(np.array([vendor_key(v) for v in vuniq] + [""], dtype=object))
    acodes, auniq = text_codes(sub["billing_account"])
    accounts = np.array([str(a).strip() for a in auniq] + [""], dtype=object)[acodes]
    aclean, _ = pd.factorize(accounts)
    exported = (sub["exported_at"].astype("string").to_numpy(dtype=object, na_value=None)
                if "exported_at" in sub.columns else np.full(len(sub), None, dtype=object))
    days = sub["date"].to_numpy(dtype="datetime64[D]")
    # one integer code per (vendor, account, period) group and per file: no per-row Python
    pcodes, _ = pd.factorize(period[pos])
    vk = vkey_codes[vcodes]
    group = (vk.astype(np.int64) * (aclean.max() + 1) + aclean) * (pcodes.max() + 1) + pcodes
    fcode, fnames = pd.factorize(pd.Series(files, dtype=object))
    pairs = pd.DataFrame({"g": group, "f": fcode})
    multi = pairs.drop_duplicates().groupby("g")["f"].size()
    multi = multi[multi > 1].index.to_numpy()
    drops: list[SnapshotDrop] = []
    for g in multi:
        in_group = np.flatnonzero(group == g)
        deliveries = []
        for f in pd.unique(fcode[in_group]):
            i = in_group[fcode[in_group] == f]
            stamps = pd.Series(exported[i], dtype=object).dropna()
            deliveries.append(_Delivery(str(fnames[f]), int(pos[i[0]]), days[i].max(),
                                        str(stamps.max()) if len(stamps) else None, np.unique(days[i]), pos[i]))
        by_time = all(d.exported_at for d in deliveries)
        deliveries.sort(key=lambda d: _rank(d, by_time), reverse=True)
        i0 = in_group[0]
        account, bp = accounts[i0], period[pos[i0]]
        covered = deliveries[0].days
        for d in deliveries[1:]:
            if not np.isin(d.days, covered).any():
                covered = np.union1d(covered, d.days)
                continue
            keep[d.positions] = False
            drops.append(_drop(usage, d, deliveries[0], by_time, str(vendors[i0]), account or None,
                               pd.Timestamp(bp).date()))
    return keep, tuple(sorted(drops, key=lambda d: (d.billing_period, d.vendor, d.billing_account or "", d.file)))


def _drop(usage: pd.DataFrame, d: _Delivery, kept: _Delivery, by_time: bool, vendor: str,
          account: str | None, period) -> SnapshotDrop:
    rows = usage[["cost", "currency"]].iloc[d.positions]
    n = source_row_count(usage, d.positions)  # a rollup row stands for the rows it rolls up
    curs = sorted({str(c).strip().upper() for c in rows["currency"].dropna().unique()})
    currency = curs[0] if len(curs) == 1 else None
    amount: Decimal | None = micros_to_cents(money_sum(rows["cost"])) if currency else None
    rule = _rule(kept, d, by_time)
    money = fmt_money_human(amount, currency) if currency else "in several currencies"
    acct = f" billing account {account}," if account else ""
    detail = (f"{d.file}: {n} row{'s' if n != 1 else ''} ({money}) of {vendor},{acct} "
              f"billing period starting {period} left out: an earlier snapshot of the export in "
              f"{kept.file}, which is kept ({_why(rule, kept, d)})")
    return SnapshotDrop(file=d.file, kept_file=kept.file, vendor=vendor, billing_account=account,
                        billing_period=period, rows=n, amount=amount, currency=currency,
                        decided_by=rule, detail=detail)


def with_snapshot_warnings(reports: tuple, drops: tuple[SnapshotDrop, ...]) -> tuple:
    """The import reports with each drop's story added to the report of the file it left out
    (reports of usage files in import order, named as ``deliveries_of`` names them)."""
    if not drops:
        return reports
    from dataclasses import replace

    total: dict[str, int] = {}
    for r in reports:
        if r.kind == "usage":
            total[r.file] = total.get(r.file, 0) + 1
    seen: dict[str, int] = {}
    out = []
    for r in reports:
        if r.kind != "usage":
            out.append(r)
            continue
        seen[r.file] = seen.get(r.file, 0) + 1
        name = r.file if total[r.file] == 1 else f"{r.file} (import {seen[r.file]} of that name)"
        notes = tuple(d.detail for d in drops if d.file == name)
        out.append(replace(r, warnings=r.warnings + notes) if notes else r)
    return tuple(out)
