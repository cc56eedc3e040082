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
* Only rows that count as AI spend (``UsageIndex.ai``, desktop/domain/ai_services.py): the
  cloud's other services are charged back by the cloud's own process, not by this journal.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from desktop.domain.daily import Daily, daily_groups
from desktop.domain.invoices import billing_periods
from desktop.domain.money import allocate_cents
from desktop.domain.months import month_bounds, month_of
from desktop.domain.results import ChargebackLine
from desktop.domain.settings import Settings
from desktop.domain.tables import text_codes
from desktop.domain.usage_index import UsageIndex, as_index, frame_key, match_key

UNALLOCATED = "unallocated"
UNASSIGNED = "unassigned"


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
        raw_codes, raw_uniq = text_codes(usage[col])
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
    codes = codes.astype(np.int32)  # a pair per row: 4 bytes, not 8 (widened where multiplied)
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
    """(invoice_id, vendor key, start, end) per invoice: its billing period as the invoice check
    reads it (invoices.billing_periods, the one rule)."""
    if invoices is None or invoices.empty:
        return []
    bp = pd.concat([invoices[["invoice_id", "vendor"]].reset_index(drop=True),
                    billing_periods(invoices.reset_index(drop=True))], axis=1)
    first = bp.groupby(bp["invoice_id"].astype(str), sort=True).first()
    out = []
    for inv_id, v, ps, pe in zip(first.index, first["vendor"], first["_bp_start"], first["_bp_end"], strict=True):
        vk = match_key("vendor", v) if not pd.isna(v) else ""
        out.append((str(inv_id), vk, pd.Timestamp(ps).date(), pd.Timestamp(pe).date()))
    return out


def _pair_codes(index: UsageIndex, org_map: pd.DataFrame | None) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """(cost center, GL account) code per usage row (kept on the index per org map)."""
    return index.memo(("chargeback_pairs", frame_key(org_map)), lambda: _resolve_codes(index.frame, org_map))


def resolved_codes(index: UsageIndex, org_map: pd.DataFrame | None, column: str) -> tuple[np.ndarray, dict[str, int]]:
    """Per usage row the code of the match key (usage_index.match_key) of the cost center
    (``column`` "cost_center") or GL account ("gl_account") the journal books it to, by the rules
    of the module docstring, and key -> code. Budgets on those dimensions read this, so a budget
    line and the journal count the same rows (kept on the index per org map)."""
    def build() -> tuple[np.ndarray, dict[str, int]]:
        codes, pairs = _pair_codes(index, org_map)
        keys: dict[str, int] = {}
        remap = np.full(len(pairs) + 1, -1, dtype=np.int64)
        for i, pair in enumerate(pairs):
            k = match_key(column, pair[0] if column == "cost_center" else pair[1])
            if k:
                remap[i] = keys.setdefault(k, len(keys))
        return (remap[codes] if len(codes) else np.zeros(0, dtype=np.int64)), keys
    return index.memo(("chargeback_resolved", column, frame_key(org_map)), build)


def _pair_vendor_daily(index: UsageIndex, org_map: pd.DataFrame | None,
                       counts: bool = False) -> dict[tuple[int, int], Daily]:
    """Daily spend (or, with ``counts``, daily row counts: a line whose rows sum to zero is still
    a line) per (cost center/GL pair, vendor), kept on the index per org map."""
    def build() -> dict[tuple[int, int], Daily]:
        codes, _ = _pair_codes(index, org_map)
        v_codes, _, v_keys = index.codes("vendor")
        nv = len(v_keys) + 1
        combo = np.where((codes >= 0) & index.ai(), codes.astype(np.int64) * nv + (v_codes + 1), -1)  # AI spend only
        got = daily_groups(combo, index.day.astype("datetime64[D]"), index.cost, counts=counts)
        return {(c // nv, c % nv - 1): d for c, d in got.items()}
    return index.memo(("chargeback_daily", counts, frame_key(org_map)), build)


def _has_rows(index: UsageIndex, org_map: pd.DataFrame | None, pc: int, vc: int, start: date, end: date) -> bool:
    d = _pair_vendor_daily(index, org_map, counts=True).get((pc, vc))
    return d is not None and d.total(start, end) > 0


def line_rows(index: UsageIndex, org_map: pd.DataFrame | None, line: ChargebackLine, as_of: date) -> np.ndarray:
    """The usage rows booked to a journal line: its month up to T, its (cost center, GL account)."""
    m_start, m_end = month_bounds(line.month)
    if m_start > as_of:
        return np.zeros(0, dtype=np.int64)
    codes, pairs = _pair_codes(index, org_map)
    want = [i for i, p in enumerate(pairs) if p == (line.cost_center, line.gl_account)]
    return index.positions(np.isin(codes, want) & index.ai() & index.dated(m_start, min(m_end, as_of)))


def chargeback_journal(
    usage: pd.DataFrame | UsageIndex,
    org_map: pd.DataFrame | None,
    invoices: pd.DataFrame | None,
    as_of: date,
    settings: Settings,
) -> tuple[ChargebackLine, ...]:
    index = as_index(usage)
    if not index.size:
        return ()
    series = _pair_vendor_daily(index, org_map)
    if not series:
        return ()
    _, pairs = _pair_codes(index, org_map)
    _, _, v_keys = index.codes("vendor")
    first = min(pd.Timestamp(d.days[0]).date() for d in series.values())
    if first > as_of:
        return ()
    # exact Python-int sums per line (no int64 overflow whatever the volume)
    sums: dict[tuple[str, str, str], int] = {}
    vendors: dict[tuple[str, str, str], set[str]] = {}
    month_start = first.replace(day=1)
    while month_start <= as_of:
        month = month_of(month_start)
        m_end = month_bounds(month)[1]
        for (pc, vc), daily in series.items():
            end = min(m_end, as_of)
            if not _has_rows(index, org_map, pc, vc, month_start, end):
                continue
            total = daily.total(month_start, end)
            cc, gl = pairs[pc]
            key = (month, cc, gl)
            sums[key] = sums.get(key, 0) + total
            vendors.setdefault(key, set()).add(v_keys[vc] if vc >= 0 else "")
        month_start = m_end + timedelta(days=1)
    periods = invoice_periods(invoices)
    currency = settings.reporting_currency
    by_month: dict[str, list[tuple[str, str, str]]] = {}
    for key in sums:
        by_month.setdefault(key[0], []).append(key)
    out: list[ChargebackLine] = []
    for month in sorted(by_month):
        keys = sorted(by_month[month], key=lambda k: (k[1] == UNALLOCATED, k[1].casefold(), k[2].casefold()))
        amounts = allocate_cents([sums[k] for k in keys])
        m_start, m_end = month_bounds(month)
        for key, amount in zip(keys, amounts, strict=True):
            vks = vendors[key]
            ids = sorted({inv for inv, vk, s, e in periods if vk in vks and s <= m_end and e >= m_start})
            out.append(ChargebackLine(month=month, gl_account=key[2], cost_center=key[1], amount=amount,
                                      invoice_ids=tuple(ids), currency=currency))
    return tuple(out)
