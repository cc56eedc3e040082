"""Chargeback journal (docs/domain.md "Chargeback" and Decisions > "Chargeback").

Per month (YYYY-MM, every month that has usage up to and including T), the usage cost by cost
center and GL account:

* cost center = the row's ``cost_center`` when present, else the org map's cost center for the
  row's team (team compared case-insensitively; the first org-map row by file/row wins when a
  team appears twice). Spend with neither is the cost center ``unallocated`` (never dropped).
* GL account = the org map's ``gl_account`` of the row's team when that org-map row has the
  same cost center, else the first non-empty ``gl_account`` of any org-map row with that cost
  center, else ``unassigned``. The ``unallocated`` line's GL account is ``unassigned``.
* Amounts: the exact micros of each line are rounded half-up to cents; when the rounded lines of
  a month do not add up to the month's exact total rounded to cents, the difference (whole cents)
  goes to the lines with the largest rounding remainders (largest-remainder method), so every
  month's lines add up to the sum of its usage rows to the cent.
* invoice_ids = the invoices of the line's vendors whose billing period overlaps the month.
  Billing period = min(period_start)..max(period_end) of the invoice's lines; an invoice
  without one takes the calendar month before its invoice_date (as in invoice variance).
* Order: by month, then cost center (``unallocated`` last within its month), then GL account.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

from desktop.domain.money import CENT, MICROS, cents, money_sum
from desktop.domain.results import ChargebackLine
from desktop.domain.settings import Settings
from desktop.domain.tables import vendor_key

UNALLOCATED = "unallocated"
UNASSIGNED = "unassigned"


def vendor_keys(s: pd.Series) -> np.ndarray:
    """vendor_key of every value (computed once per distinct value); '' for missing."""
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    keys = np.array([vendor_key(u) for u in uniques] + [""], dtype=object)
    return keys[codes]


def _clean(s: pd.Series) -> pd.Series:
    s = s.astype("string").str.strip()
    return s.where(s.notna() & (s != ""), pd.NA)


def _org_lookups(org_map: pd.DataFrame | None) -> tuple[dict[str, str], dict[str, tuple[str, str | None]],
                                                        dict[str, str]]:
    """(team key -> cost center, team key -> (cost center, gl), cost center -> first gl)."""
    team_cc: dict[str, str] = {}
    team_gl: dict[str, tuple[str, str | None]] = {}
    cc_gl: dict[str, str] = {}
    if org_map is None or org_map.empty:
        return team_cc, team_gl, cc_gl
    om = org_map
    if "_file" in om.columns and "_row" in om.columns:
        om = om.sort_values(["_file", "_row"], kind="stable")
    gls = _clean(om["gl_account"]) if "gl_account" in om.columns else pd.Series(pd.NA, index=om.index)
    for t, c, g in zip(_clean(om["team"]), _clean(om["cost_center"]), gls, strict=True):
        if c is pd.NA:
            continue
        g2 = None if g is pd.NA else str(g)
        if t is not pd.NA:
            k = str(t).casefold()
            if k not in team_cc:
                team_cc[k] = str(c)
                team_gl[k] = (str(c), g2)
        if g2 is not None and str(c) not in cc_gl:
            cc_gl[str(c)] = g2
    return team_cc, team_gl, cc_gl


def _resolve_codes(usage: pd.DataFrame, org_map: pd.DataFrame | None) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Per usage row an index into a list of (cost_center, gl_account), by the module's rules.
    The rules run once per distinct (cost_center, team) pair."""
    n = len(usage)

    def codes_of(col: str, fold: bool) -> tuple[np.ndarray, list[str]]:
        """Codes of the cleaned values (-1 for missing/blank), computed per distinct raw value."""
        if col not in usage.columns:
            return np.full(n, -1, dtype=np.int64), []
        raw_codes, raw_uniq = pd.factorize(usage[col].astype("string"), use_na_sentinel=True)
        cleaned = [str(u).strip() for u in raw_uniq]
        cleaned = [c.casefold() if fold else c for c in cleaned]
        out_uniq: list[str] = []
        index: dict[str, int] = {}
        remap = np.full(len(cleaned) + 1, -1, dtype=np.int64)
        for i, c in enumerate(cleaned):
            if c:
                remap[i] = index.setdefault(c, len(out_uniq))
                if remap[i] == len(out_uniq):
                    out_uniq.append(c)
        return remap[raw_codes], out_uniq

    cc_codes, cc_uniq = codes_of("cost_center", False)
    t_codes, t_uniq = codes_of("team", True)
    combo = (cc_codes.astype(np.int64) + 1) * (len(t_uniq) + 1) + (t_codes.astype(np.int64) + 1)
    codes, uniq = pd.factorize(combo) if n else (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    team_cc, team_gl, cc_gl = _org_lookups(org_map)
    pairs: list[tuple[str, str]] = []
    for u in np.asarray(uniq).tolist():
        ci, ti = divmod(int(u), len(t_uniq) + 1)
        c = str(cc_uniq[ci - 1]) if ci > 0 else None
        k = str(t_uniq[ti - 1]) if ti > 0 else None
        if c is None and k is not None:
            c = team_cc.get(k)
        if c is None:
            pairs.append((UNALLOCATED, UNASSIGNED))
            continue
        tg = team_gl.get(k) if k is not None else None
        if tg is not None and tg[0] == c and tg[1]:
            pairs.append((c, tg[1]))
        else:
            pairs.append((c, cc_gl.get(c, UNASSIGNED)))
    return np.asarray(codes, dtype=np.int64), pairs


def resolve_cost_centers(usage: pd.DataFrame, org_map: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """(cost_center, gl_account) per usage row, by the rules of the module docstring."""
    codes, pairs = _resolve_codes(usage, org_map)
    ccs = np.array([p[0] for p in pairs] + [""], dtype=object)
    gls = np.array([p[1] for p in pairs] + [""], dtype=object)
    return (pd.Series(ccs[codes], index=usage.index, dtype=object),
            pd.Series(gls[codes], index=usage.index, dtype=object))


def invoice_periods(invoices: pd.DataFrame | None) -> list[tuple[str, str, date, date]]:
    """(invoice_id, vendor key, start, end) per invoice: lines' period, else the month before."""
    if invoices is None or invoices.empty:
        return []
    out = []
    for inv_id, g in invoices.groupby("invoice_id", sort=True):
        ps = g["period_start"].dropna() if "period_start" in g.columns else pd.Series([], dtype="datetime64[ns]")
        pe = g["period_end"].dropna() if "period_end" in g.columns else pd.Series([], dtype="datetime64[ns]")
        if len(ps) and len(pe):
            start, end = ps.min().date(), pe.max().date()
        else:
            d = g["invoice_date"].dropna().min().date()
            end = d.replace(day=1) - timedelta(days=1)
            start = end.replace(day=1)
        vendor = g["vendor"].dropna()
        vk = vendor_key(vendor.iloc[0]) if len(vendor) else ""
        out.append((str(inv_id), vk, start, end))
    return out


def _month_bounds(month: str) -> tuple[date, date]:
    y, m = int(month[:4]), int(month[5:7])
    start = date(y, m, 1)
    nxt = date(y + (m == 12), m % 12 + 1, 1)
    return start, nxt - timedelta(days=1)


def allocate_cents(micros: list[int]) -> list[Decimal]:
    """Round each amount (micros) to cents so that the rounded parts add up to the rounded total.

    Each part is rounded half-up; the remaining whole cents (total rounded half-up minus the sum
    of rounded parts) go one by one to the parts whose rounding moved them furthest in the other
    direction (largest remainder), ties to the earlier part.
    """
    unit = MICROS // 100  # micros per cent
    rounded = [int(cents(Decimal(m) / MICROS) / CENT) for m in micros]  # in cents
    total = int(cents(Decimal(sum(micros)) / MICROS) / CENT)
    diff = total - sum(rounded)
    if diff:
        step = 1 if diff > 0 else -1
        # remainder of each part relative to its rounded value, in micros
        rema = [m - r * unit for m, r in zip(micros, rounded, strict=True)]
        order = sorted(range(len(micros)), key=lambda i: (-rema[i] * step, i))
        for i in order[: abs(diff)]:
            rounded[i] += step
    return [Decimal(r) * CENT for r in rounded]


def chargeback_journal(
    usage: pd.DataFrame,
    org_map: pd.DataFrame | None,
    invoices: pd.DataFrame | None,
    as_of: date,
    settings: Settings,
) -> tuple[ChargebackLine, ...]:
    if usage is None or usage.empty:
        return ()
    rows = usage.loc[usage["date"] <= pd.Timestamp(as_of)]
    if rows.empty:
        return ()
    codes, pairs = _resolve_codes(rows, org_map)
    dates = rows["date"]
    month_code = (dates.dt.year.to_numpy(dtype=np.int64) * 100 + dates.dt.month.to_numpy(dtype=np.int64))
    v_codes, v_uniq = pd.factorize(rows["vendor"].astype("string"), use_na_sentinel=True)
    v_keys = [vendor_key(v) for v in v_uniq] + [""]
    frame = pd.DataFrame({"month": month_code, "pair": codes, "v": v_codes,
                          "cost": rows["cost"].to_numpy(dtype=np.int64)})
    # exact Python-int sums per line (no int64 overflow whatever the volume)
    sums: dict[tuple[str, str, str], int] = {}
    vendors: dict[tuple[str, str, str], set[str]] = {}
    for (mc, pc, vc), s in frame.groupby(["month", "pair", "v"], sort=False)["cost"]:
        cc, gl = pairs[int(pc)]
        key = (f"{int(mc) // 100:04d}-{int(mc) % 100:02d}", cc, gl)
        sums[key] = sums.get(key, 0) + money_sum(s.to_numpy())
        vendors.setdefault(key, set()).add(v_keys[int(vc)])
    periods = invoice_periods(invoices)
    currency = settings.reporting_currency
    by_month: dict[str, list[tuple[str, str, str]]] = {}
    for key in sums:
        by_month.setdefault(key[0], []).append(key)
    out: list[ChargebackLine] = []
    for month in sorted(by_month):
        keys = sorted(by_month[month], key=lambda k: (k[1] == UNALLOCATED, k[1].casefold(), k[2].casefold()))
        amounts = allocate_cents([sums[k] for k in keys])
        m_start, m_end = _month_bounds(month)
        for key, amount in zip(keys, amounts, strict=True):
            vks = vendors[key]
            ids = sorted({inv for inv, vk, s, e in periods if vk in vks and s <= m_end and e >= m_start})
            out.append(ChargebackLine(month=month, gl_account=key[2], cost_center=key[1], amount=amount,
                                      invoice_ids=tuple(ids), currency=currency))
    return tuple(out)
