"""Vendor offers compared under uncertainty, period by period (docs/domain.md "Offers").

An ``Offer`` is a proposed contract: commit periods (``OfferPeriod``: dates, minimum, discount,
overage multiplier, shortfall penalty %, rollover %) and offer-wide terms (fulfilment period |
term, rollover cap and expiry, shortfall treatment penalty | credit, notice days).

Spend model (``SpendModel``): month 0 is the calendar month of the as-of date T with list spend
= baseline; month k >= 1 has baseline x (1 + g_1) ... (1 + g_k), each g_k ~ Normal(growth, sd)
drawn with numpy's PCG64 seeded with ``seed`` (factors below 0 cut to 0, as in renewal.py,
whose ``growth_factors`` this uses). The draws are made month-major (all paths of month 1,
then of month 2, ...), so a month's draws do not depend on how far the horizon reaches: every
offer is run on the same futures (common random numbers), whichever offers are compared.
With a fitted forecast (``SpendModel.fitted``, desktop/domain/forecast.py) the months are the
forecast's paths instead, from standard normals drawn month-major as well (row k = month k);
scenario overlays (forecast.py) change either model's months after the draws.
A period's list spend is the sum of its months, a month it covers in part counted by days
(days covered / days in that month). Only this is float64: each path's period list spend is
rounded half-to-even to integer micros once; everything after is integer micros per path
(each product with a percentage or multiplier rounded half-up to the micro where it is made),
and every reported figure is the exact mean over paths rounded half-up to cents once.

Per period p of an offer (fulfilment ``period``), in micros per path:
  S_p = L_p x (1 - d_p/100); spend first meets open carried shortfalls (oldest first), then
  the minimum C_p; what is left is overage, charged at the multiplier (premium = overage x
  (m_p - 1)). shortfall on C_p: carry = min(shortfall, rollover_pct_p/100 x C_p rounded down
  to the cent, rollover_cap) (0 in the last period), stays open for rollover_expiry_periods
  following periods; the rest, and every carry that expires unmet, is charged: penalty =
  charged x shortfall_penalty_pct/100 (of the period that carried it), or with ``credit``
  the whole charged amount is paid as prepaid credit, which later overage charges draw down.
  cost_p = S_p + overage premium_p + penalty (or credit paid)_p - credit used_p.
Fulfilment ``term``: one minimum, the sum of the C_p, against cumulative spend: overage in the
period where cumulative spend passes it and after; the shortfall at the term's end only.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from desktop.domain.errors import InputError
from desktop.domain.money import MICROS, cents, fmt_money, money_sum, to_micros
from desktop.domain.renewal import _fr, _frac_cents, growth_factors
from desktop.domain.usage_index import match_key
from desktop.domain.validation import FULFILMENTS, SHORTFALL_TREATMENTS, overlaps, require

CVAR_LEVEL = 95  # CVaR-95: the mean of the worst ceil(5 % x paths) outcomes
_CENT_MICROS = MICROS // 100
_SAFE = 2**62  # int64 products are only trusted below this; above, Python integers


@dataclass(frozen=True)
class OfferPeriod:
    start: date
    end: date  # inclusive
    commitment: Decimal
    discount_pct: float = 0.0
    overage_multiplier: float = 1.0
    shortfall_penalty_pct: float = 100.0
    rollover_pct: float = 0.0


@dataclass(frozen=True)
class Offer:
    name: str
    vendor: str
    periods: tuple[OfferPeriod, ...]
    currency: str = "USD"
    fulfilment: str = "period"  # period | term
    rollover_cap: Decimal | None = None  # None: only rollover_pct limits a carry
    rollover_expiry_periods: int = 1
    shortfall_treatment: str = "penalty"  # penalty | credit
    notice_days: int | None = None

    @property
    def term_start(self) -> date:
        return self.periods[0].start

    @property
    def term_end(self) -> date:
        return self.periods[-1].end

    @property
    def commitment(self) -> Decimal:
        """The offer's total minimum: the sum of its periods' minimums (cents)."""
        return sum((p.commitment for p in self.periods), Decimal("0.00"))

    @property
    def notice_deadline(self) -> date | None:
        """The last day to give notice: term end minus notice_days (None without notice_days)."""
        from desktop.domain.calendar import notice_deadline  # the one place of the formula

        return None if self.notice_days is None else notice_deadline(self.term_end, int(self.notice_days))

    def validate(self) -> None:
        col = None
        if not self.periods:
            raise InputError(f"offer {self.name!r} has no commit period", column="offer")
        if self.fulfilment not in FULFILMENTS:
            col = "fulfilment"
        elif self.shortfall_treatment not in SHORTFALL_TREATMENTS:
            col = "shortfall_treatment"
        elif self.rollover_expiry_periods < 1:
            col = "rollover_expiry_periods"
        elif self.rollover_cap is not None and self.rollover_cap < 0:
            col = "rollover_cap"
        if col is not None:
            raise InputError(f"offer {self.name!r}: {col} {getattr(self, col)!r} is not allowed", column=col)
        for a, b in zip(self.periods, self.periods[1:], strict=False):
            if b.start <= a.end:
                raise InputError(f"offer {self.name!r}: commit periods must follow each other without "
                                 f"overlapping ({b.start} starts on or before {a.end})", column="period_start")
        for p in self.periods:
            if p.end < p.start:
                raise InputError("period_end is before period_start", column="period_end")
            if p.commitment < 0:
                raise InputError("a commitment cannot be negative", column="commitment")
            if not (0 <= p.discount_pct < 100):
                raise InputError(f"offer {self.name!r}: discount must be in [0, 100)", column="discount_pct")
            if not p.overage_multiplier >= 1:
                raise InputError(f"offer {self.name!r}: overage_multiplier must be at least 1",
                                 column="overage_multiplier")
            for c in ("shortfall_penalty_pct", "rollover_pct"):
                if not 0 <= getattr(p, c) <= 100:
                    raise InputError(f"{c} must be between 0 and 100", column=c)


@dataclass(frozen=True)
class SpendModel:
    baseline_monthly: Decimal  # list-price spend in the as-of month
    growth: float  # mean monthly growth (0.02 = 2 %/month)
    growth_sd: float
    paths: int = 2000
    seed: int = 20261122
    # a fitted forecast (desktop/domain/forecast.py MonthlyForecast) instead of baseline x growth
    forecast: object | None = None
    overlays: tuple = ()  # forecast.py overlays applied to every path's monthly spend

    @classmethod
    def fitted(cls, forecast, paths: int = 2000, seed: int = 20261122, overlays: tuple = ()) -> SpendModel:
        """Paths from a fitted forecast with its backtest's residual distribution."""
        return cls(Decimal(0), 0.0, 0.0, paths=paths, seed=seed, forecast=forecast, overlays=tuple(overlays))

    def validate(self) -> None:
        from desktop.domain.forecast import validate_overlay

        for o in self.overlays:
            validate_overlay(o)
        if self.baseline_monthly < 0:
            raise InputError("baseline monthly spend must not be negative", column="baseline_monthly")
        if not (math.isfinite(self.growth) and math.isfinite(self.growth_sd)) or self.growth_sd < 0:
            raise InputError("growth must be a number and its sd >= 0", column="growth_sd")
        if int(self.paths) < 1:
            raise InputError("paths must be at least 1", column="paths")


# --- results ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodFigures:
    period_start: date
    period_end: date
    commitment: Decimal
    expected_list_spend: Decimal
    expected_spend: Decimal  # discounted consumption S_p
    expected_cost: Decimal
    savings_vs_list: Decimal  # expected_list_spend - expected_cost
    p_shortfall: float  # share of paths with a charged shortfall in the period
    expected_shortfall: Decimal  # the charged (not carried) shortfall
    expected_shortfall_penalty: Decimal  # penalty, or credit paid
    expected_overage_premium: Decimal
    expected_credit_used: Decimal
    cvar95_cost: Decimal


@dataclass(frozen=True)
class OfferResult:
    offer: str
    vendor: str
    currency: str
    expected_cost: Decimal  # the sum of the rounded period figures (the parts add up)
    expected_list_spend: Decimal
    savings_vs_list: Decimal
    p_shortfall: float  # share of paths with a charged shortfall in any period
    expected_shortfall_penalty: Decimal
    expected_overage_premium: Decimal
    expected_credit_used: Decimal
    cvar95_cost: Decimal  # of the path's total cost
    notice_deadline: date | None
    periods: tuple[PeriodFigures, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class OffersResult:
    as_of: date
    currency: str
    paths: int
    offers: tuple[OfferResult, ...]


# --- spend paths ------------------------------------------------------------------------------------

def _month_index(as_of: date, d: date) -> int:
    return (d.year - as_of.year) * 12 + d.month - as_of.month


def _month_start(as_of: date, k: int) -> date:
    y, m = divmod(as_of.year * 12 + as_of.month - 1 + k, 12)
    return date(y, m + 1, 1)


def month_weights(as_of: date, start: date, end: date, months: int) -> np.ndarray:
    """Weight of each simulated month (0 = the as-of month) in the period start..end: days of
    the month inside the period / days in the month."""
    w = np.zeros(months, dtype=np.float64)
    for k in range(_month_index(as_of, start), _month_index(as_of, end) + 1):
        first = _month_start(as_of, k)
        dim = calendar.monthrange(first.year, first.month)[1]
        last = first + timedelta(days=dim - 1)
        days = (min(end, last) - max(start, first)).days + 1
        w[k] = days / dim
    return w


def growth_draws(model: SpendModel, months: int) -> np.ndarray:
    """(paths, months - 1) standard normals of months 1..months-1, drawn month-major from PCG64
    seeded with ``model.seed``: the first k columns are the same whatever ``months`` is."""
    n = int(model.paths)
    if months <= 1:
        return np.zeros((n, 0))
    return np.random.default_rng(int(model.seed)).standard_normal(size=(months - 1, n)).T


def monthly_factors(model: SpendModel, months: int, draws: np.ndarray | None = None) -> np.ndarray:
    """(paths, months) growth factors: column 0 (the as-of month) is 1, column k the product of
    the k growth factors drawn for months 1..k. Month-major draws (module docstring); ``draws``
    (``growth_draws`` of this seed and paths, for at least ``months``) saves drawing again."""
    n = int(model.paths)
    draws = growth_draws(model, months) if draws is None else draws[:, :max(months - 1, 0)]
    out = np.ones((n, months), dtype=np.float64)
    if months > 1:
        out[:, 1:] = growth_factors(draws, model.growth, model.growth_sd)
    return out


def monthly_spend(model: SpendModel, as_of: date, months: int) -> np.ndarray:
    """(paths, months) monthly list spend (float64, currency units), month 0 = T's month.
    Growth model: baseline x monthly_factors. Fitted forecast: standard normals drawn
    month-major, one row per month (month k uses row k), PCG64 seeded with ``seed``, run through
    ``forecast.paths`` (desktop/domain/forecast.py). Overlays applied last (both models)."""
    if model.forecast is None:
        spend = float(model.baseline_monthly) * monthly_factors(model, months)
    else:
        rng = np.random.default_rng(int(model.seed))
        z = rng.standard_normal(size=(months, int(model.paths))).T
        spend = model.forecast.paths(_month_start(as_of, 0), z)
    if model.overlays:
        from desktop.domain.forecast import apply_overlays

        spend = apply_overlays(spend, _month_start(as_of, 0), model.overlays)
    return spend


def period_list_spend(model: SpendModel, as_of: date, periods: list[tuple[date, date]],
                      draws: np.ndarray | None = None) -> np.ndarray:
    """(paths, periods) list spend in integer micros (int64), every period on the same futures.
    ``draws``: the growth model's ``growth_draws`` made once for many growth rates (break-even)."""
    if not periods:
        return np.zeros((int(model.paths), 0), dtype=np.int64)
    if min(s for s, _ in periods) < _month_start(as_of, 0):
        raise InputError(f"a commit period starts before the as-of month ({as_of:%Y-%m})", column="period_start")
    months = max(_month_index(as_of, e) for _, e in periods) + 1
    weights = np.stack([month_weights(as_of, s, e, months) for s, e in periods], axis=1)
    if model.forecast is None and not model.overlays:  # the growth model as it always was
        factors = monthly_factors(model, months, draws)
        lst = np.rint(float(to_micros(model.baseline_monthly)) * (factors @ weights))
    else:
        lst = np.rint((monthly_spend(model, as_of, months) * MICROS) @ weights)
    if not np.isfinite(lst).all() or lst.max(initial=0) >= _SAFE:
        raise InputError("simulated spend is too large to count in micros", column="growth")
    return lst.astype(np.int64)


# --- exact integer steps ------------------------------------------------------------------------------

def _times(x: np.ndarray, frac: Fraction) -> np.ndarray:
    """x x frac rounded half-up to the micro, x >= 0 (int64, or Python integers when large)."""
    p, q = frac.numerator, frac.denominator
    if q == 1:
        return x * p
    if x.dtype != object and int(x.max(initial=0)) * 2 * p + q < _SAFE:
        return (2 * x * p + q) // (2 * q)
    y = (2 * x.astype(object) * p + q) // (2 * q)
    return _narrow(y)


def _narrow(y: np.ndarray) -> np.ndarray:
    if y.dtype == object and (len(y) == 0 or max(abs(int(v)) for v in y) < _SAFE):
        return y.astype(np.int64)
    return y


def _mean_cents(x: np.ndarray) -> Decimal:
    return _frac_cents(Fraction(_total(x), len(x) * MICROS))


def _total(x: np.ndarray) -> int:
    return money_sum(x) if x.dtype != object else sum(int(v) for v in x)


def _cvar_cents(x: np.ndarray) -> Decimal:
    n = len(x)
    k = -(-(100 - CVAR_LEVEL) * n // 100)
    worst = np.sort(x)[n - k:]
    return _frac_cents(Fraction(_total(worst), k * MICROS))


@dataclass
class _PathFigures:
    lst: np.ndarray
    spend: np.ndarray
    cost: np.ndarray
    charged: np.ndarray
    penalty: np.ndarray
    premium: np.ndarray
    credit_used: np.ndarray


def _run_periods(offer: Offer, lst: np.ndarray) -> list[_PathFigures]:
    """Each period's figures per path (micros), ``lst`` = (paths, periods) list spend."""
    n = lst.shape[0]
    zero = np.zeros(n, dtype=np.int64)
    last = len(offer.periods) - 1
    credit = offer.shortfall_treatment == "credit"
    cap = None if offer.rollover_cap is None else to_micros(offer.rollover_cap)
    balance = zero.copy()  # prepaid credit not yet used
    tranches: list[list] = []  # [open amount per path, last period it may be met in, penalty fraction]
    commit_total = sum(to_micros(p.commitment) for p in offer.periods)
    cum = zero.copy()
    out: list[_PathFigures] = []
    for i, p in enumerate(offer.periods):
        c = to_micros(p.commitment)
        pen = _fr(p.shortfall_penalty_pct) / 100
        spend = _times(lst[:, i], 1 - _fr(p.discount_pct) / 100)
        if offer.fulfilment == "term":
            before = cum
            cum = cum + spend
            overage = np.maximum(cum - commit_total, 0) - np.maximum(before - commit_total, 0)
            charged = np.maximum(commit_total - cum, 0) if i == last else zero
            shortfall_cost = charged if credit else _times(charged, pen)
        else:
            avail = spend
            charged = zero.copy()
            shortfall_cost = zero.copy()
            for t in tranches:  # oldest first
                use = np.minimum(avail, t[0])
                t[0] = t[0] - use
                avail = avail - use
            met = np.minimum(avail, c)
            short = c - met
            overage = avail - met
            carry = zero
            if i < last:
                limit = int(_fr(p.rollover_pct) * c / 100) // _CENT_MICROS * _CENT_MICROS
                if cap is not None:
                    limit = min(limit, cap)
                carry = np.minimum(short, limit)
            own = short - carry
            charged = charged + own
            shortfall_cost = shortfall_cost + (own if credit else _times(own, pen))
            keep = []
            for t in tranches:
                if t[1] <= i or i == last:  # its last chance has passed unmet
                    charged = charged + t[0]
                    shortfall_cost = shortfall_cost + (t[0] if credit else _times(t[0], t[2]))
                else:
                    keep.append(t)
            tranches = keep
            if i < last and limit > 0:
                tranches.append([carry, i + int(offer.rollover_expiry_periods), pen])
        overage_charge = _times(overage, _fr(p.overage_multiplier))
        premium = overage_charge - overage
        used = np.minimum(balance, overage_charge) if credit else zero
        balance = balance - used
        if credit:
            balance = balance + shortfall_cost
        cost = spend + premium + shortfall_cost - used
        out.append(_PathFigures(lst[:, i], spend, cost, charged, shortfall_cost, premium, used))
    return out


def _offer_result(offer: Offer, figs: list[_PathFigures]) -> OfferResult:
    n = len(figs[0].lst)
    periods = []
    for p, f in zip(offer.periods, figs, strict=True):
        lst_c, cost_c = _mean_cents(f.lst), _mean_cents(f.cost)
        periods.append(PeriodFigures(
            period_start=p.start, period_end=p.end, commitment=cents(p.commitment),
            expected_list_spend=lst_c, expected_spend=_mean_cents(f.spend), expected_cost=cost_c,
            savings_vs_list=lst_c - cost_c, p_shortfall=int((f.charged > 0).sum()) / n,
            expected_shortfall=_mean_cents(f.charged), expected_shortfall_penalty=_mean_cents(f.penalty),
            expected_overage_premium=_mean_cents(f.premium), expected_credit_used=_mean_cents(f.credit_used),
            cvar95_cost=_cvar_cents(f.cost)))
    total_cost = figs[0].cost
    any_short = figs[0].charged > 0
    for f in figs[1:]:
        total_cost = total_cost + f.cost
        any_short = any_short | (f.charged > 0)
    exp_cost = sum((r.expected_cost for r in periods), Decimal("0.00"))
    exp_list = sum((r.expected_list_spend for r in periods), Decimal("0.00"))
    return OfferResult(
        offer=offer.name, vendor=offer.vendor, currency=offer.currency, expected_cost=exp_cost,
        expected_list_spend=exp_list, savings_vs_list=exp_list - exp_cost,
        p_shortfall=int(any_short.sum()) / n,
        expected_shortfall_penalty=sum((r.expected_shortfall_penalty for r in periods), Decimal("0.00")),
        expected_overage_premium=sum((r.expected_overage_premium for r in periods), Decimal("0.00")),
        expected_credit_used=sum((r.expected_credit_used for r in periods), Decimal("0.00")),
        cvar95_cost=_cvar_cents(total_cost), notice_deadline=offer.notice_deadline,
        periods=tuple(periods))


def _futures(offers: list[Offer], model: SpendModel, as_of: date, draws=None):
    model.validate()
    if not offers:
        raise InputError("no offer to simulate", column="offer")
    for o in offers:
        o.validate()
    currencies = sorted({o.currency for o in offers})
    if len(currencies) > 1:
        raise InputError("offers in more than one currency (" + ", ".join(currencies) + ") cannot be compared",
                         column="currency")
    spans = sorted({(p.start, p.end) for o in offers for p in o.periods})
    lst = period_list_spend(model, as_of, spans, draws)
    col = {s: j for j, s in enumerate(spans)}
    return currencies[0], [lst[:, [col[(p.start, p.end)] for p in o.periods]] for o in offers]


def simulate_offers(offers: list[Offer], model: SpendModel, as_of: date) -> OffersResult:
    """Every offer run on the same simulated futures (the module docstring has the rules)."""
    currency, lsts = _futures(offers, model, as_of)
    results = [_offer_result(o, _run_periods(o, lst)) for o, lst in zip(offers, lsts, strict=True)]
    return OffersResult(as_of=as_of, currency=currency, paths=int(model.paths), offers=tuple(results))


@dataclass(frozen=True)
class OfferSummary:
    """An offer's totals only (the frontier's and the asks' many variants): the same figures,
    rounded the same way, as its OfferResult."""

    offer: str
    expected_cost: Decimal
    expected_list_spend: Decimal
    savings_vs_list: Decimal
    p_shortfall: float
    cvar95_cost: Decimal | None  # None when not asked for


def summarize_offers(offers: list[Offer], model: SpendModel, as_of: date, *, cvar: bool = True,
                     draws: np.ndarray | None = None) -> list[OfferSummary]:
    """``simulate_offers``' totals of every offer on the same futures, without the per-period
    figures (and without CVaR when ``cvar`` is False): expected_cost and expected_list_spend are
    the sums of the rounded period means, as in OfferResult."""
    _, lsts = _futures(offers, model, as_of, draws)
    out = []
    for o, lst in zip(offers, lsts, strict=True):
        figs = _run_periods(o, lst)
        cost = sum((_mean_cents(f.cost) for f in figs), Decimal("0.00"))
        listed = sum((_mean_cents(f.lst) for f in figs), Decimal("0.00"))
        short = figs[0].charged > 0
        total = figs[0].cost
        for f in figs[1:]:
            short = short | (f.charged > 0)
            if cvar:
                total = total + f.cost
        out.append(OfferSummary(o.name, cost, listed, listed - cost, int(short.sum()) / len(short),
                                _cvar_cents(total) if cvar else None))
    return out


# --- an offer file ------------------------------------------------------------------------------------

_OFFER_TERMS = ("vendor", "currency", "fulfilment", "rollover_cap", "rollover_expiry_periods",
                "shortfall_treatment", "notice_days")


def offers_from_rows(rows: pd.DataFrame, file: str | None = None, vendor: str | None = None) -> list[Offer]:
    """Offers from the rows of an offer file (tables.OFFERS columns, values as read: text or
    numbers; ``_row`` the 1-based row, else header = row 1). Every value through the validation
    layer (table "offers"); an offer's terms must agree on all its rows (blank = the others');
    its periods must not overlap. ``vendor`` keeps the offers of that vendor (alias-matched)."""
    from desktop.domain.tables import OFFERS

    names = [c.name for c in OFFERS.columns if c.name != "status"]  # every row of an offer file is an offer
    missing = [c.name for c in OFFERS.columns if c.required and c.name not in rows.columns]
    if missing:
        raise InputError(f"missing column(s): {', '.join(missing)}", file=file, column=missing[0])
    line = rows["_row"].astype(int).tolist() if "_row" in rows else list(range(2, len(rows) + 2))
    parsed: list[dict] = []
    for r, (_, rec) in zip(line, rows.iterrows(), strict=True):
        raw = {c: rec[c] for c in names if c in rows.columns}
        vals = {}
        for c in names:
            try:
                vals[c] = require("offers", c, raw.get(c), raw)
            except InputError as exc:
                raise InputError(exc.message, file=file, row=r, column=c) from None
        vals["_row"] = r
        vals["offer"] = vals["offer"] or vals["contract_id"]  # without an offer name: its contract_id
        parsed.append(vals)
    groups: dict[str, list[dict]] = {}
    for v in parsed:
        groups.setdefault(v["offer"], []).append(v)
    clash = overlaps([v["offer"] for v in parsed], [np.datetime64(v["period_start"], "D") for v in parsed],
                     [np.datetime64(v["period_end"], "D") for v in parsed], line, [file or "offers"] * len(parsed))
    if clash:
        i, message = clash[0]
        raise InputError(message, file=file, row=line[i], column="period_start")
    out = []
    for name, rs in groups.items():
        terms = {}
        for c in _OFFER_TERMS:
            seen = {v[c] for v in rs if v[c] is not None}
            if c == "vendor":
                seen = {match_key("vendor", s) for s in seen}
            if len(seen) > 1:
                row = next(v["_row"] for v in rs if v[c] is not None and v is not rs[0])
                raise InputError(f"offer {name!r}: {c} differs between its rows (one value per offer)",
                                 file=file, row=row, column=c)
            terms[c] = next((v[c] for v in rs if v[c] is not None), None)
        rs = sorted(rs, key=lambda v: v["period_start"])
        periods = tuple(OfferPeriod(
            start=v["period_start"], end=v["period_end"], commitment=v["commitment"],
            discount_pct=_or(v["discount_pct"], 0.0), overage_multiplier=_or(v["overage_multiplier"], 1.0),
            shortfall_penalty_pct=_or(v["shortfall_penalty_pct"], 100.0),
            rollover_pct=_or(v["rollover_pct"], 0.0)) for v in rs)
        offer = Offer(
            name=name, vendor=terms["vendor"], periods=periods, currency=terms["currency"] or "USD",
            fulfilment=(terms["fulfilment"] or "period").casefold(),
            rollover_cap=None if terms["rollover_cap"] is None else cents(Decimal(str(terms["rollover_cap"]))),
            rollover_expiry_periods=int(_or(terms["rollover_expiry_periods"], 1)),
            shortfall_treatment=(terms["shortfall_treatment"] or "penalty").casefold(),
            notice_days=None if terms["notice_days"] is None else int(terms["notice_days"]))
        if vendor is None or match_key("vendor", offer.vendor) == match_key("vendor", vendor):
            out.append(offer)
    if not out:
        raise InputError(f"no offer of vendor {vendor!r}" if vendor else "the file has no offer", file=file,
                         column="vendor" if vendor else "offer")
    return out


# --- offers in the workspace: proposed contracts of the commitments table ----------------------------

CURRENT_SUFFIX = " (current terms)"


def _term(rows: pd.DataFrame, column: str):
    """A contract's one value of an offer term (tables.CONTRACT_TERMS): its first non-blank one."""
    if column not in rows.columns:
        return None
    v = rows[column].dropna()
    if v.dtype.kind not in "fiu":
        v = v.astype("string").str.strip()
        v = v[v != ""]
    return None if v.empty else v.iloc[0]


def _offer_of(name: str, rows: pd.DataFrame, periods: tuple[OfferPeriod, ...] | None = None) -> Offer:
    """An Offer of one contract's canonical rows (sorted by period_start); ``periods`` replace
    its own (the current contract's next term)."""
    if periods is None:
        periods = tuple(OfferPeriod(
            start=pd.Timestamp(r["period_start"]).date(), end=pd.Timestamp(r["period_end"]).date(),
            commitment=cents(Decimal(int(r["commitment"])) / MICROS),
            discount_pct=_or(_num(r.get("discount_pct")), 0.0),
            overage_multiplier=_or(_num(r.get("overage_multiplier")), 1.0),
            shortfall_penalty_pct=_or(_num(r.get("shortfall_penalty_pct")), 100.0),
            rollover_pct=_or(_num(r.get("rollover_pct")), 0.0)) for r in rows.to_dict("records"))
    cap, expiry, notice = _term(rows, "rollover_cap"), _term(rows, "rollover_expiry_periods"), _term(rows, "notice_days")
    currency = _term(rows, "currency")
    return Offer(
        name=name, vendor=str(rows["vendor"].iloc[0]), periods=periods,
        currency=str(currency).upper() if currency is not None else "USD",
        fulfilment=str(_term(rows, "fulfilment") or "period").casefold(),
        rollover_cap=None if cap is None else cents(Decimal(str(float(cap)))),
        rollover_expiry_periods=1 if expiry is None else int(expiry),
        shortfall_treatment=str(_term(rows, "shortfall_treatment") or "penalty").casefold(),
        notice_days=None if notice is None else int(notice))


def _num(v) -> float | None:
    return None if v is None or v is pd.NA or pd.isna(v) else float(v)


def _whole_months(start: date, end: date) -> int | None:
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _plus_months(first_of_month: date, months: int) -> date:
    y, m = divmod(first_of_month.year * 12 + first_of_month.month - 1 + months, 12)
    return date(y, m + 1, 1)


def next_term(periods: tuple[OfferPeriod, ...]) -> tuple[OfferPeriod, ...]:
    """The same schedule once more, starting the day after it ends: every period moved by the
    term's length, in whole calendar months when every period is whole months (2026-01-01..
    2026-12-31 in quarters -> 2027-01-01..2027-03-31, ...), else in days. Minimums and terms as
    they are."""
    first, last = periods[0].start, periods[-1].end
    months = [_whole_months(p.start, p.end) for p in periods]
    term = _whole_months(first, last)
    out = []
    for p, m in zip(periods, months, strict=True):
        if term is not None and all(x is not None for x in months):
            start = _plus_months(p.start, term)
            end = _plus_months(start, m) - timedelta(days=1)
        else:
            shift = timedelta(days=(last - first).days + 1)
            start, end = p.start + shift, p.end + shift
        out.append(OfferPeriod(start, end, p.commitment, p.discount_pct, p.overage_multiplier,
                               p.shortfall_penalty_pct, p.rollover_pct))
    return tuple(out)


def offers_from_commitments(commitments: pd.DataFrame, vendor: str | None = None,
                            include_current: bool = True) -> list[Offer]:
    """The offers of the workspace (docs/domain.md "Offers"): each proposed contract of the
    canonical commitments frame (status proposed; money in micros) as an Offer named by its
    contract_id, its periods in start order, its one value of each offer term (the first
    non-blank; defaults when none). ``vendor``: only that vendor's (alias-matched).

    With ``include_current``, each vendor with an offer gets first its current contract renewed
    as is: its active spend contract with the latest term end (ties: the later start, then the
    later contract_id), its periods moved to the next term (``next_term``), named "<contract_id>
    (current terms)". Order: vendors by name; per vendor the current terms, then the offers by
    term start, then contract_id. An empty list when there is nothing."""
    from desktop.domain.contracts import statuses

    if commitments is None or commitments.empty:
        return []
    com = commitments.sort_values(["contract_id", "period_start"], kind="mergesort")
    st = statuses(com)
    vkeys = com["vendor"].astype(object).map(lambda v: match_key("vendor", v)).to_numpy(dtype=object)
    want = None if vendor is None else match_key("vendor", vendor)
    keep = np.ones(len(com), dtype=bool) if want is None else vkeys == want
    ids = com["contract_id"].astype(str).to_numpy(dtype=object)
    by_vendor: dict[str, list[tuple[date, str, Offer]]] = {}
    names: dict[str, str] = {}
    for cid in dict.fromkeys(ids[keep & (st == "proposed")]):
        rows = com[ids == cid]
        offer = _offer_of(cid, rows)
        key = match_key("vendor", offer.vendor)
        names.setdefault(key, offer.vendor)
        by_vendor.setdefault(key, []).append((offer.term_start, cid, offer))
    out: list[Offer] = []
    for key in sorted(by_vendor, key=lambda k: (names[k].casefold(), k)):
        if include_current:
            cur = _current_contract(com[(vkeys == key) & (st == "active")])
            if cur is not None:
                base = _offer_of(str(cur["contract_id"].iloc[0]), cur)
                out.append(_offer_of(base.name + CURRENT_SUFFIX, cur, next_term(base.periods)))
        out.extend(o for _, _, o in sorted(by_vendor[key], key=lambda t: (t[0], t[1])))
    return out


def _current_contract(active: pd.DataFrame) -> pd.DataFrame | None:
    """The rows of the current contract among a vendor's active rows (see offers_from_commitments);
    usage commitments are not offers' kind and are passed over."""
    if active.empty:
        return None
    if "commitment_category" in active.columns:
        cat = active["commitment_category"].astype("string").str.strip().str.casefold().fillna("spend")
        active = active[(cat != "usage").to_numpy(dtype=bool)]
        if active.empty:
            return None
    ids = active["contract_id"].astype(str)
    span = active.groupby(ids).agg(start=("period_start", "min"), end=("period_end", "max"))
    best = max(span.itertuples(), key=lambda t: (t.end, t.start, t.Index)).Index
    return active[(ids == best).to_numpy(dtype=bool)]


def _ratio(x: float) -> float:
    return round(x, 6)


def to_json(result: OffersResult) -> dict:
    """The ``renewal`` command's JSON: money as strings with two decimals, probabilities as
    fractions (0..1, six decimals), dates ISO."""
    def period(p: PeriodFigures) -> dict:
        return {"period_start": p.period_start.isoformat(), "period_end": p.period_end.isoformat(),
                "commitment": fmt_money(p.commitment), "expected_list_spend": fmt_money(p.expected_list_spend),
                "expected_spend": fmt_money(p.expected_spend), "expected_cost": fmt_money(p.expected_cost),
                "savings_vs_list": fmt_money(p.savings_vs_list), "p_shortfall": _ratio(p.p_shortfall),
                "expected_shortfall": fmt_money(p.expected_shortfall),
                "expected_shortfall_penalty": fmt_money(p.expected_shortfall_penalty),
                "expected_overage_premium": fmt_money(p.expected_overage_premium),
                "expected_credit_used": fmt_money(p.expected_credit_used), "cvar95_cost": fmt_money(p.cvar95_cost)}

    return {"as_of": result.as_of.isoformat(), "currency": result.currency, "paths": result.paths,
            "offers": [{"offer": o.offer, "vendor": o.vendor, "expected_cost": fmt_money(o.expected_cost),
                        "expected_list_spend": fmt_money(o.expected_list_spend),
                        "savings_vs_list": fmt_money(o.savings_vs_list), "p_shortfall": _ratio(o.p_shortfall),
                        "expected_shortfall_penalty": fmt_money(o.expected_shortfall_penalty),
                        "expected_overage_premium": fmt_money(o.expected_overage_premium),
                        "expected_credit_used": fmt_money(o.expected_credit_used),
                        "cvar95_cost": fmt_money(o.cvar95_cost),
                        "notice_deadline": None if o.notice_deadline is None else o.notice_deadline.isoformat(),
                        "periods": [period(p) for p in o.periods]} for o in result.offers]}


def _or(v, default):
    return default if v is None else v


__all__ = [
    "CURRENT_SUFFIX", "CVAR_LEVEL", "Offer", "OfferPeriod", "OfferResult", "OfferSummary", "OffersResult",
    "PeriodFigures", "SpendModel", "growth_draws", "month_weights", "monthly_factors", "monthly_spend", "next_term",
    "offers_from_commitments", "offers_from_rows", "period_list_spend", "simulate_offers", "summarize_offers",
    "to_json",
]
