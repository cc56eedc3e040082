"""Contracts: usage -> contract assignment, pacing, bands, forecast and exposure.

Implements docs/domain.md "Pacing", "Forecast" and "Exposure" and the rules written down in its
"Decisions" section (rounding points, run rate near the term start, required run rate, smoothing).

Rounding: every period figure is computed exactly (Decimal from integer micros) and rounded
half-up to cents once; contract figures are sums of the rounded period figures and the contract
pacing ratio is taken from those sums. The run rate is rounded to cents before it is used in a
projection, so every projected figure can be re-computed by hand from the figures shown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

import numpy as np
import pandas as pd

from desktop.domain import fx, tables, validation
from desktop.domain.daily import Daily
from desktop.domain.errors import InputError
from desktop.domain.money import CENT, ZERO, cents, from_micros, micros_to_cents, money_sum, to_micros
from desktop.domain.results import ContractResult, PeriodResult, Quantities
from desktop.domain.settings import DEFAULT_SETTINGS, Settings
from desktop.domain.usage_index import UsageIndex, as_index, commit_mask, match_key

_ONE_DAY = timedelta(days=1)


def _d(x: float) -> Decimal:
    """A float setting/percentage as the Decimal it was written as."""
    return Decimal(str(float(x)))


def _date(ts) -> date:
    return pd.Timestamp(ts).date()


def _str_or_none(v) -> str | None:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    s = str(v).strip()
    return s or None


def _num(v, default: float) -> float:
    """A float term of a commit period; an empty cell means the column default."""
    if v is None or v is pd.NA or pd.isna(v):
        return default
    return float(v)


# --- validation and assignment ---------------------------------------------------------------

def validate_commitments(commitments: pd.DataFrame) -> None:
    """Raise InputError (file, row, column and the rule's message) for the first commit period
    that breaks a rule of desktop.domain.validation: a missing start or end, a term out of
    range (overage_multiplier below 1, a percentage outside 0-100, a negative commitment), a
    period ending before it starts, or one overlapping an earlier period of its contract."""
    validation.raise_first(validation.validate_frame("commitments", commitments))


# --- status: offers are contracts (docs/domain.md "Offers") ------------------------------------

def statuses(commitments: pd.DataFrame) -> np.ndarray:
    """Each commitment row's status, casefolded (blank or absent column: active)."""
    if "status" not in commitments.columns:
        return np.full(len(commitments), "active", dtype=object)
    s = commitments["status"].astype("string").str.strip().str.casefold()
    return s.fillna("active").replace("", "active").to_numpy(dtype=object)


def proposed_mask(commitments: pd.DataFrame) -> np.ndarray:
    """The rows of proposed contracts (offers): they never draw down usage and have no figures."""
    return statuses(commitments) == "proposed"


def binding(commitments: pd.DataFrame) -> pd.DataFrame:
    """The commitment rows that can draw down usage (active and expired): the one selector every
    figure of the running contracts reads. Returns ``commitments`` itself when it has no proposed
    row."""
    mask = proposed_mask(commitments)
    if not mask.any():
        return commitments
    return commitments[~mask].reset_index(drop=True)


def without_offers(inputs):
    """``inputs`` with only the binding commitment rows (``binding``); the same object when there is
    no proposed row (its keys then unchanged)."""
    com = inputs.commitments
    if com.empty or not proposed_mask(com).any():
        return inputs
    key = inputs.keys.get("commitments")
    return replace(inputs.with_table("commitments", binding(com), key=None if key is None else ("binding", key)),
                   imports=inputs.imports)


def assign_contracts(usage: pd.DataFrame, commitments: pd.DataFrame) -> pd.Series:
    """The contract_id each usage row draws down (a dictionary-encoded text column aligned with
    ``usage``, desktop/domain/tables.py; NA when none).

    A commit-eligible row draws down the contract its contract_id names (when that contract
    exists), or, without contract_id, the contract whose vendor is the row's vendor and one of
    whose commit periods contains the row's date. A row without contract_id that fits two
    contracts of its vendor (a new term signed before the old one ends) draws down the newer
    one: the later term start, then the later contract_id (``overlap_warnings`` says so), and an
    active contract before an expired one whatever their starts. Proposed contracts (offers) draw
    down nothing: a row naming one draws down no contract.
    """
    n = len(usage)
    commitments = binding(commitments)
    if usage.empty or commitments.empty:
        return tables.from_codes(np.full(n, -1, dtype=np.int8), [], usage.index)
    eligible = commit_mask(usage)  # commit-eligible and AI spend (usage_index: the one rule)
    # every test below runs once per distinct value and is spread back to the rows by code
    codes, uniques = tables.text_codes(usage["contract_id"])
    given = [str(u).strip() for u in uniques]
    known = set(commitments["contract_id"].astype(str))
    names: dict[str, int] = {}  # contract id -> its code in the result
    named = np.append(np.array([g != "" for g in given], dtype=bool), False)[codes]
    to_code = np.append(np.array([names.setdefault(g, len(names)) if g in known else -1 for g in given],
                                 dtype=np.int64), -1)
    assigned = np.where(named & eligible, to_code[codes], -1)

    unnamed = eligible & ~named
    if unnamed.any():
        vcodes, vuniques = tables.text_codes(usage["vendor"])
        vkeys = np.array([match_key("vendor", v) for v in vuniques] + [""], dtype=object)
        dates = usage["date"].to_numpy(dtype="datetime64[ns]")
        by_vendor: dict[str, np.ndarray] = {}
        com = commitments.sort_values(["contract_id", "period_start"], kind="mergesort")
        for contract_id in _oldest_first(com):
            grp = com[com["contract_id"].astype(str) == contract_id]
            vkey = match_key("vendor", grp["vendor"].iloc[0])
            if vkey not in by_vendor:
                by_vendor[vkey] = unnamed & (vkeys == vkey)[vcodes]
            base = by_vendor[vkey]
            if not base.any():
                continue
            fits = np.zeros(n, dtype=bool)
            for start, end in zip(grp["period_start"].to_numpy(), grp["period_end"].to_numpy(),
                                  strict=True):
                fits |= (dates >= start) & (dates <= end)
            fits &= base
            if fits.any():  # a newer contract takes the rows of an older one
                assigned[fits] = names.setdefault(str(contract_id), len(names))
    return tables.from_codes(assigned, list(names), usage.index)


def _oldest_first(commitments: pd.DataFrame) -> list[str]:
    """Contract ids, expired contracts first, then by term start, then contract_id (the contract
    that takes a row fitting two comes later)."""
    ids = commitments["contract_id"].astype(str)
    starts = commitments.groupby(ids, sort=True)["period_start"].min()
    live = pd.Series(statuses(commitments) != "expired", index=commitments.index).groupby(ids).all()
    return [cid for _, _, cid in sorted((bool(live[k]), pd.Timestamp(v), str(k)) for k, v in starts.items())]


def _periods_by_contract(commitments: pd.DataFrame) -> dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]:
    out: dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]] = {}
    for cid, ps, pe in zip(commitments["contract_id"].astype(str), commitments["period_start"],
                           commitments["period_end"], strict=True):
        out.setdefault(cid, []).append((pd.Timestamp(ps), pd.Timestamp(pe)))
    return out


def overlap_warnings(usage: pd.DataFrame, commitments: pd.DataFrame, currency: str = "USD") -> list[str]:
    """One warning per pair of contracts of one vendor whose commit periods overlap (docs/domain.md
    "Contracts: assignment"): the overlap days and what the usage without contract_id in them
    drew down from the newer contract. ``usage`` is the prepared frame (``_contract``)."""
    commitments = binding(commitments)
    if commitments.empty:
        return []
    order = _oldest_first(commitments)
    periods = _periods_by_contract(commitments)
    vkeys = {str(c): match_key("vendor", v) for c, v in zip(commitments["contract_id"], commitments["vendor"], strict=True)}
    expired = {str(c) for c, st in zip(commitments["contract_id"], statuses(commitments), strict=True)
               if st == "expired"}
    out = []
    for i, old in enumerate(order):
        for new in order[i + 1:]:
            if vkeys[old] != vkeys[new]:
                continue
            spans = sorted({(max(a0, b0), min(a1, b1)) for a0, a1 in periods[old] for b0, b1 in periods[new]
                            if max(a0, b0) <= min(a1, b1)})
            if not spans:
                continue
            rows = np.zeros(len(usage), dtype=bool)
            if not usage.empty:
                dates = usage["date"].to_numpy(dtype="datetime64[ns]")
                codes, uniques = tables.text_codes(usage["contract_id"])
                blank = np.append(np.array([str(u).strip() == "" for u in uniques], dtype=bool), True)[codes]
                ccodes, cids = tables.text_codes(usage["_contract"])
                rows = np.append(cids == new, False)[ccodes] & blank
                inside = np.zeros(len(usage), dtype=bool)
                for a, b in spans:
                    inside |= (dates >= np.datetime64(a)) & (dates <= np.datetime64(b))
                rows &= inside
            days = sum((b - a).days + 1 for a, b in spans)
            when = ", ".join(f"{_date(a)}..{_date(b)}" for a, b in spans)
            amount = money_sum(usage["cost"].to_numpy(dtype=np.int64)[rows]) if rows.any() else 0
            n = int(rows.sum())
            out.append(f"contracts {old} and {new} of {commitments.loc[commitments['contract_id'].astype(str) == new, 'vendor'].iloc[0]} "
                       f"overlap on {when} ({days} day{'s' if days != 1 else ''}): usage without contract_id in "
                       f"those days draws down the {'active' if old in expired and new not in expired else 'newer'} contract {new} ({n} row{'s' if n != 1 else ''}, "
                       f"{currency} {micros_to_cents(amount):,.2f}); give a row contract_id {old} to draw down {old}")
    return out


def convert_commitments(commitments: pd.DataFrame, fx_rates: pd.DataFrame,
                        reporting_currency: str) -> tuple[pd.DataFrame, list[str]]:
    """(commitments in the reporting currency, warnings). Each period is converted with the rate
    valid on its period_start. A contract with a period that has no rate cannot be paced: the
    whole contract is left out of the figures and a warning names it, its rows and the rate
    missing (docs/domain.md, "Currency"); the other contracts are computed as usual."""
    if commitments.empty:
        return commitments, []
    rep = str(reporting_currency).strip().upper()
    cur = commitments["currency"].astype("string").str.strip().str.upper().fillna(rep)
    if (cur == rep).all():
        return commitments, []
    missing = fx.without_rate(commitments, fx_rates, date_column="period_start", reporting_currency=rep)
    warnings = []
    if missing.any():
        ids = commitments["contract_id"].astype("string")
        gone = sorted(set(ids[missing].dropna().astype(str)))
        for cid in gone:
            rows = commitments[(ids == cid).fillna(False).to_numpy(dtype=bool)]
            bad = rows[missing[(ids == cid).fillna(False).to_numpy(dtype=bool)]]
            files = sorted({str(f) or "commitments" for f in rows["_file"].astype("string").fillna("")})
            what = ", ".join(f"{c} -> {rep} valid on {_date(d)}" for c, d in
                             zip(cur[bad.index].tolist(), bad["period_start"].tolist(), strict=True))
            warnings.append(
                f"{' and '.join(files)} row{'s' if len(rows) != 1 else ''} {fx.row_ranges(rows['_row'])}: "
                f"contract {cid} is left out of the figures: no FX rate for {what}; import one "
                "(an FX rates file) to see it")
        keep = ~ids.isin(gone).fillna(False).to_numpy(dtype=bool)
        commitments, cur = commitments[keep].reset_index(drop=True), cur[keep].reset_index(drop=True)
    out = commitments.copy()
    vals = out["commitment"].to_numpy(dtype=np.int64, copy=True)
    for i in np.flatnonzero((cur != rep).to_numpy(dtype=bool)):
        rate = fx.rate_on(fx_rates, cur.iloc[i], out["period_start"].iloc[i], rep)
        vals[i] = int(fx.convert_micros(np.array([vals[i]], dtype=np.int64), rate)[0])
        cur.iloc[i] = rep
    out["commitment"] = vals
    out["currency"] = cur.astype("string")
    return out, warnings


# --- bands and small formulas ----------------------------------------------------------------

def band_for(consumed: Decimal, expected: Decimal, settings: Settings = DEFAULT_SETTINGS) -> str | None:
    """Pacing band of consumed/expected, compared exactly in Decimal; None when expected is 0."""
    if expected == 0:
        return None
    r = Decimal(consumed) / Decimal(expected)
    if r < _d(settings.band_shortfall_risk_below):
        return "shortfall_risk"
    if r < _d(settings.band_shortfall_watch_below):
        return "shortfall_watch"
    if r <= _d(settings.band_on_pace_max):
        return "on_pace"
    if r <= _d(settings.band_overage_watch_max):
        return "overage_watch"
    return "overage_risk"


def escalation_target(band: str | None, owner: str | None, escalation_owner: str | None) -> str | None:
    """Risk bands escalate to escalation_owner, watch bands to owner, on_pace/none to nobody."""
    if band in ("shortfall_risk", "overage_risk"):
        return escalation_owner
    if band in ("shortfall_watch", "overage_watch"):
        return owner
    return None


def ratio_float(num: Decimal, den: Decimal) -> float | None:
    return None if den == 0 else float(Decimal(num) / Decimal(den))


@dataclass(frozen=True)
class ExposureIn:
    commitment: Decimal  # C_p, cents
    projected: Decimal  # projected_p, cents
    rollover_pct: float = 0.0
    shortfall_penalty_pct: float = 100.0
    overage_multiplier: float = 1.0


@dataclass(frozen=True)
class ExposureOut:
    carry_in: Decimal
    shortfall: Decimal
    carry_out: Decimal
    shortfall_penalty: Decimal
    overage: Decimal
    overage_premium: Decimal


def exposure(periods: list[ExposureIn]) -> list[ExposureOut]:
    """Exposure period by period in date order (docs/domain.md "Exposure"); cents in, cents out.
    The rollover cap rollover_pct x C_p is rounded down to the cent (never more than the clause
    allows); penalty and premium are rounded half-up."""
    out: list[ExposureOut] = []
    carry = ZERO
    n = len(periods)
    for i, p in enumerate(periods):
        c_eff = p.commitment + carry
        shortfall = max(ZERO, c_eff - p.projected)
        if i == n - 1:
            carry_out = ZERO
        else:
            cap = (p.commitment * _d(p.rollover_pct) / 100).quantize(CENT, rounding=ROUND_DOWN)
            carry_out = min(shortfall, cap)
        penalty = cents((shortfall - carry_out) * _d(p.shortfall_penalty_pct) / 100)
        overage = max(ZERO, p.projected - c_eff)
        premium = cents(overage * (_d(p.overage_multiplier) - 1))
        out.append(ExposureOut(cents(carry), cents(shortfall), cents(carry_out), penalty,
                               cents(overage), premium))
        carry = carry_out
    return out


# --- outcome of an ended term ------------------------------------------------------------------

def _amount(x: Decimal) -> str:
    return f"{x:,.2f}"


def _shortfall_words(unabsorbed: Decimal, penalty: Decimal) -> str:
    if penalty == unabsorbed:
        return f"shortfall {_amount(penalty)} owed"
    if penalty > 0:
        return f"shortfall {_amount(unabsorbed)}, penalty {_amount(penalty)} owed"
    return f"shortfall {_amount(unabsorbed)}, no penalty"


def _overage_words(overage: Decimal, premium: Decimal) -> str:
    if premium > 0:
        return f"overage {_amount(overage)}, premium {_amount(premium)}"
    return f"overage {_amount(overage)}, no premium"


def term_outcome(shortfall: Decimal, carry_out: Decimal, penalty: Decimal, overage: Decimal,
                 premium: Decimal) -> tuple[str, str]:
    """(outcome, outcome_text) of an ended term from its exposure figures (docs/domain.md
    "Ended terms"). ``shortfall - carry_out`` is the shortfall left to settle; a shortfall wholly
    carried into the next period is ``ended_carried``. A contract passes its sums (its last
    period carries nothing out, so carried shortfall reappears in a later period's figures)."""
    unabsorbed = shortfall - carry_out
    parts = []
    if unabsorbed > 0:
        parts.append(_shortfall_words(unabsorbed, penalty))
    if overage > 0:
        parts.append(_overage_words(overage, premium))
    if unabsorbed > 0:
        outcome = "ended_shortfall"
    elif overage > 0:
        outcome = "ended_overage"
    elif carry_out > 0:
        outcome, parts = "ended_carried", [f"shortfall {_amount(carry_out)} carried to the next period"]
    else:
        outcome, parts = "ended_met", ["met"]
    return outcome, "ended: " + "; ".join(parts)


def run_rate_window(term_start: date, as_of: date, window: int = 14) -> tuple[date, date, int]:
    """(first day, last day, divisor) of the run-rate window: T-13..T over 14 days; with fewer
    than 14 term days on or before T, term_start..T over those days; divisor 0 before the term."""
    n = (as_of - term_start).days + 1
    if n <= 0:
        return as_of, as_of, 0
    if n >= window:
        return as_of - timedelta(days=window - 1), as_of, window
    return term_start, as_of, n


def run_rate(daily: Daily, term_start: date, as_of: date, window: int = 14) -> Decimal:
    """Eligible spend over the run-rate window (run_rate_window) / its days (zero days count);
    0.00 before the term starts. Rounded to cents."""
    start, end, divisor = run_rate_window(term_start, as_of, window)
    if divisor == 0:
        return ZERO
    return cents(from_micros(daily.total(start, end)) / divisor)


def required_run_rate(commitment: Decimal, consumed: Decimal, days_left: int) -> Decimal | None:
    """(commitment - consumed_to_date) / days left after T; None with no day left; 0.00 once the
    commitment is met."""
    if days_left <= 0:
        return None
    return cents(max(ZERO, commitment - consumed) / days_left)


def smoothed_run_rate(daily: Daily, term_start: date, as_of: date, alpha: float) -> Decimal | None:
    """Simple exponential smoothing of zero-filled daily spend from the term start to T:
    level_1 = x_1, level_t = alpha x_t + (1 - alpha) level_(t-1); the level at T, in cents.
    None before the term starts."""
    if as_of < term_start:
        return None
    a = _d(alpha)
    level: Decimal | None = None
    for v in daily.values(term_start, as_of):
        x = from_micros(v)
        level = x if level is None else a * x + (1 - a) * level
    return None if level is None else cents(level)


# --- contracts -------------------------------------------------------------------------------

def _pick(periods: list[dict], field: str, current: int) -> str | None:
    v = _str_or_none(periods[current].get(field))
    if v is not None:
        return v
    for p in periods:
        v = _str_or_none(p.get(field))
        if v is not None:
            return v
    return None


def current_period_index(periods: list[dict], as_of: date) -> int:
    """The period containing T, else the last one started on or before T, else the first."""
    idx = 0
    for i, p in enumerate(periods):
        if p["start"] <= as_of:
            idx = i
        if p["start"] <= as_of <= p["end"]:
            return i
    return idx


def contract_results(usage: pd.DataFrame | UsageIndex, commitments: pd.DataFrame, as_of: date,
                     settings: Settings = DEFAULT_SETTINGS) -> tuple[ContractResult, ...]:
    """One ContractResult per contract (ordered by contract_id). ``usage`` is the prepared frame
    with column ``_contract`` (or its UsageIndex); ``commitments`` are validated and in the
    reporting currency. The usage behind each figure: contract_rows / consumed_rows /
    run_rate_rows below (the same index, the same masks). Proposed contracts (offers) have no
    figures; an expired contract is history: only its periods that had ended at T, as any ended
    term (docs/domain.md "Offers")."""
    commitments = binding(commitments)
    if commitments.empty:
        return ()
    index = as_index(usage)
    daily = index.daily_by("_contract")
    results = []
    com = commitments.sort_values(["contract_id", "period_start"], kind="mergesort")
    for contract_id, grp in com.groupby(com["contract_id"].astype(str), sort=True):
        status = "expired" if (statuses(grp) == "expired").all() else "active"
        if status == "expired":  # history only: the periods that had ended at T
            grp = grp[grp["period_end"] <= pd.Timestamp(as_of)]
            if grp.empty:
                continue
        periods = [{
            "start": _date(r["period_start"]), "end": _date(r["period_end"]),
            "micros": int(r["commitment"]), "rollover_pct": _num(r["rollover_pct"], 0.0),
            "shortfall_penalty_pct": _num(r["shortfall_penalty_pct"], 100.0),
            "overage_multiplier": _num(r["overage_multiplier"], 1.0),
            "owner": r["owner"], "escalation_owner": r["escalation_owner"], "clause": r["clause"],
            "vendor": r["vendor"], "category": _category(r.get("commitment_category")),
            "quantity": r.get("committed_quantity"), "unit": _str_or_none(r.get("unit")),
        } for r in grp.to_dict("records")]
        money = _one_contract(str(contract_id), periods, daily.get(str(contract_id), Daily.empty()),
                              as_of, settings)
        unit = _usage_unit(str(contract_id), periods)
        if unit is not None:
            money = _measured_in_unit(money, periods, unit, quantity_daily(index, str(contract_id), unit),
                                      as_of, settings)
        results.append(money if status == "active" else replace(money, status=status))
    return tuple(results)


# --- usage commitments: measured in their unit -------------------------------------------------

def _category(v) -> str:
    s = _str_or_none(v)
    return s.casefold() if s else "spend"


def _usage_unit(contract_id: str, periods: list[dict]) -> str | None:
    """The unit a usage contract is measured in; None for a spend contract. A contract whose
    periods mix spend and usage, or two units, cannot be paced (InputError naming it)."""
    cats = {p["category"] for p in periods}
    if cats == {"spend"}:
        return None
    units = {(p["unit"] or "").casefold() for p in periods}
    if cats != {"usage"} or len(units) != 1:
        raise InputError(f"contract {contract_id} mixes spend and usage commit periods, or units "
                         f"({', '.join(sorted(cats))}; {', '.join(sorted(u or '?' for u in units))}): "
                         "give every period of a contract the same commitment_category and unit")
    return next(p["unit"] for p in periods if p["unit"])


def quantity_daily(index: UsageIndex, contract_id: str, unit: str) -> Daily:
    """The daily quantity (in millionths of ``unit``, exact integers) of the rows drawing down
    ``contract_id`` whose unit is ``unit`` (compared trimmed, casefolded); rows in another unit
    or without a quantity add nothing (their money still counts as the contract's spend)."""
    rows = quantity_rows(index, contract_id, unit)
    if not len(rows):
        return Daily.empty()
    q = index.frame["quantity"].to_numpy(dtype=np.float64)[rows]
    units = np.rint(np.nan_to_num(q) * 1_000_000).astype(np.int64)
    return Daily(index.day[rows].astype("datetime64[D]"), units)


def quantity_rows(index: UsageIndex, contract_id: str, unit: str, start: date | None = None,
                  end: date | None = None) -> np.ndarray:
    """Positions of the rows whose quantity a usage contract counts: drawing down ``contract_id``,
    in ``unit``, with a quantity, dated start..end when given."""
    if "quantity" not in index.frame.columns or "unit" not in index.frame.columns:
        return np.zeros(0, dtype=np.int64)
    mask = index.mask("_contract", contract_id) & index.mask("unit", unit) & index.dated(start, end)
    mask &= ~np.isnan(index.frame["quantity"].to_numpy(dtype=np.float64))
    return index.positions(mask)


def _qty(x: Decimal) -> float:
    """A quantity figure (the engine's 2-decimal Decimal in units) as shown."""
    return float(x)


def _measured_in_unit(money: ContractResult, periods: list[dict], unit: str, qdaily: Daily, as_of: date,
                      settings: Settings) -> ContractResult:
    """A usage contract: the same engine run on quantities (committed_quantity per period
    against the daily quantity of its rows in ``unit``) decides pacing, band, shortfall and
    overage; those quantities are valued at the period's price per unit (commitment /
    committed_quantity, exact) for the money figures of shortfall, carry, penalty, overage and
    premium (a period committing 0 units is valued at 0). consumed / expected / projected / run
    rate stay the money of the rows (spend)."""
    qperiods = [dict(p, micros=to_micros(Decimal(repr(float(p["quantity"]))))) for p in periods]
    q = _one_contract(money.contract_id, qperiods, qdaily, as_of, settings)
    out = []
    for p, mp, qp in zip(periods, money.periods, q.periods, strict=True):
        committed = Decimal(repr(float(p["quantity"])))
        # a tier that commits nothing (0 units) has no price: nothing of it is owed or premium
        price = from_micros(p["micros"]) / committed if committed else ZERO

        def val(x: Decimal, price=price) -> Decimal:
            return cents(x * price)

        shortfall, overage = val(qp.shortfall), val(qp.overage)
        penalty, premium = val(qp.shortfall_penalty), val(qp.overage_premium)
        carry_out = val(qp.carry_out)
        outcome, outcome_text = (term_outcome(shortfall, carry_out, penalty, overage, premium)
                                 if qp.status == "ended" else (None, None))
        out.append(replace(
            mp, pacing_ratio=qp.pacing_ratio, band=qp.band, carry_in=val(qp.carry_in), shortfall=shortfall,
            carry_out=carry_out, shortfall_penalty=penalty, overage=overage, overage_premium=premium,
            outcome=outcome, outcome_text=outcome_text, measure="usage",
            quantity=Quantities(unit, _qty(qp.commitment), _qty(qp.consumed), _qty(qp.expected),
                                _qty(qp.projected), _qty(qp.shortfall), _qty(qp.overage), _qty(qp.carry_in),
                                _qty(qp.carry_out))))
    shortfall_exposure = sum((r.shortfall_penalty for r in out), ZERO)
    overage = sum((r.overage for r in out), ZERO)
    overage_premium = sum((r.overage_premium for r in out), ZERO)
    if all(r.status == "ended" for r in out):
        outcome, outcome_text = term_outcome(sum((r.shortfall - r.carry_out for r in out), ZERO), ZERO,
                                             shortfall_exposure, overage, overage_premium)
    else:
        outcome = outcome_text = None
    return replace(
        money, periods=tuple(out), pacing_ratio=q.pacing_ratio, band=q.band,
        shortfall_exposure=shortfall_exposure, overage=overage, overage_premium=overage_premium,
        escalation_to=escalation_target(q.band, money.owner, money.escalation_owner),
        outcome=outcome, outcome_text=outcome_text, measure="usage",
        quantity=Quantities(unit, _qty(q.commitment), _qty(q.consumed_to_date), _qty(q.expected_to_date),
                            _qty(q.projected_consumption), _qty(sum((x.shortfall for x in q.periods), ZERO)),
                            _qty(q.overage), run_rate=_qty(q.run_rate),
                            required_run_rate=None if q.required_run_rate is None else _qty(q.required_run_rate)))


# --- the rows behind the figures (explain, drill-downs, charts, the JSON) ----------------------

def contract_rows(index: UsageIndex, contract_id: str, start: date | None = None,
                  end: date | None = None) -> np.ndarray:
    """Positions of the usage rows drawing down ``contract_id``, dated start..end when given."""
    return index.positions(index.mask("_contract", contract_id) & index.dated(start, end))


def consumed_rows(index: UsageIndex, contract: ContractResult, as_of: date,
                  period: PeriodResult | None = None) -> np.ndarray:
    """The rows of consumed_to_date (or of one period's consumed): the contract's rows dated in
    each period up to T."""
    when = np.zeros(index.size, dtype=bool)
    for p in (period,) if period is not None else contract.periods:
        if p.period_start <= as_of:
            when |= index.dated(p.period_start, min(as_of, p.period_end))
    return index.positions(index.mask("_contract", contract.contract_id) & when)


def run_rate_rows(index: UsageIndex, contract: ContractResult, as_of: date, window: int) -> np.ndarray:
    """The rows of the run rate: the contract's rows in run_rate_window."""
    start, end, divisor = run_rate_window(contract.term_start, as_of, window)
    if divisor == 0:
        return np.zeros(0, dtype=np.int64)
    return contract_rows(index, contract.contract_id, start, end)


def _one_contract(contract_id: str, periods: list[dict], daily: Daily, as_of: date,
                  settings: Settings) -> ContractResult:
    term_start = periods[0]["start"]
    term_end = max(p["end"] for p in periods)
    rr = run_rate(daily, term_start, as_of, settings.run_rate_days)
    rows = []
    exp_in = []
    consumed_micros = 0  # exact, for the contract's consumed_to_date (rounded once)
    for p in periods:
        days = (p["end"] - p["start"]).days + 1
        elapsed = min(max((as_of - p["start"]).days + 1, 0), days)
        c_exact = from_micros(p["micros"])
        commitment = cents(c_exact)
        micros = daily.total(p["start"], min(as_of, p["end"])) if elapsed else 0
        consumed_micros += micros
        consumed = cents(from_micros(micros)) if elapsed else ZERO
        expected = cents(c_exact * elapsed / days)
        if p["end"] <= as_of:
            status, projected = "ended", consumed
        elif p["start"] <= as_of:
            status, projected = "current", consumed + rr * (p["end"] - as_of).days
        else:
            status, projected = "future", rr * days
        projected = cents(projected)
        rows.append((p, days, elapsed, commitment, consumed, expected, projected, status))
        exp_in.append(ExposureIn(commitment, projected, p["rollover_pct"], p["shortfall_penalty_pct"],
                                 p["overage_multiplier"]))
    exp_out = exposure(exp_in)
    period_results = []
    for (p, days, elapsed, commitment, consumed, expected, projected, status), e in zip(
            rows, exp_out, strict=True):
        ended = status == "ended"
        outcome, outcome_text = (term_outcome(e.shortfall, e.carry_out, e.shortfall_penalty, e.overage,
                                              e.overage_premium) if ended else (None, None))
        period_results.append(PeriodResult(
            period_start=p["start"], period_end=p["end"], commitment=commitment, carry_in=e.carry_in,
            consumed=consumed, expected=expected, pacing_ratio=ratio_float(consumed, expected),
            projected=projected, shortfall=e.shortfall, carry_out=e.carry_out,
            shortfall_penalty=e.shortfall_penalty, overage=e.overage, overage_premium=e.overage_premium,
            days=days, elapsed_days=elapsed, status=status,
            band=None if ended else band_for(consumed, expected, settings),
            outcome=outcome, outcome_text=outcome_text))
    commitment = sum((r.commitment for r in period_results), ZERO)
    # a total of source rows is rounded once, so it equals the sum of its rows to the cent
    consumed = cents(from_micros(consumed_micros))
    expected = sum((r.expected for r in period_results), ZERO)
    shortfall_exposure = sum((r.shortfall_penalty for r in period_results), ZERO)
    overage = sum((r.overage for r in period_results), ZERO)
    overage_premium = sum((r.overage_premium for r in period_results), ZERO)
    if all(r.status == "ended" for r in period_results):
        # the term is over: what it came to, not a live pacing band
        band = None
        outcome, outcome_text = term_outcome(sum((r.shortfall - r.carry_out for r in period_results), ZERO),
                                             ZERO, shortfall_exposure, overage, overage_premium)
    else:
        band = band_for(consumed, expected, settings)
        outcome = outcome_text = None
    cur = current_period_index(periods, as_of)
    owner = _pick(periods, "owner", cur)
    esc = _pick(periods, "escalation_owner", cur)
    days_left = max(0, (term_end - max(as_of, term_start - _ONE_DAY)).days)
    return ContractResult(
        contract_id=contract_id, vendor=str(periods[0]["vendor"]), term_start=term_start,
        term_end=term_end, commitment=commitment, consumed_to_date=consumed,
        expected_to_date=expected, pacing_ratio=ratio_float(consumed, expected), band=band,
        run_rate=rr, required_run_rate=required_run_rate(commitment, consumed, days_left),
        projected_consumption=sum((r.projected for r in period_results), ZERO),
        shortfall_exposure=shortfall_exposure, overage=overage, overage_premium=overage_premium,
        periods=tuple(period_results), currency=settings.reporting_currency,
        escalation_to=escalation_target(band, owner, esc), owner=owner, escalation_owner=esc,
        clause=_pick(periods, "clause", cur),
        smoothed_run_rate=smoothed_run_rate(daily, term_start, as_of, settings.smoothing_alpha),
        days_left=days_left, outcome=outcome, outcome_text=outcome_text)
