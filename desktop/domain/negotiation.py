"""The negotiation desk's one result (docs/domain.md "Negotiation"): what the Renewal workbench,
the brief's Negotiation sheet and ``python -m desktop renewal --format json`` all read.

``build_negotiation(analysis, offers, *, vendor, settings, as_of, overlays=(), paths=None,
seed=None, progress=None, spend=None, tiers=None, selected=None, other_vendor=None,
equivalents=None) -> Negotiation``

- ``analysis``: the Analysis of the data (None: no history, then ``spend`` must be given and
  there is no walk-away and no other vendor's spend to count).
- ``spend``: ``(baseline_monthly, growth, growth_sd)`` overrides the fitted forecast: monthly
  list spend = baseline x growth factors (offers.py's growth model).
- ``tiers``: the vendor's tier table ``[(commitment, discount_pct)]``; without it the frontier
  levels are 50 %, 60 % ... 150 % of each offer's expected discounted spend.
- ``selected``: the offer whose asks are priced (default: the least expected cost).
- ``other_vendor``: whose spend the ``other_vendor_counts`` ask counts (default: the vendor with
  the most eligible spend in the baseline window); ``equivalents``: {model family: another
  vendor's family} for the walk-away; ``break_even=False`` leaves the break-even search out
  (``break_even`` is then empty: a quick refresh).

Negotiation fields:
- ``vendor``, ``as_of``, ``currency``, ``paths``, ``seed``, ``limit_pct`` (the setting
  ``renewal_shortfall_limit_pct``).
- ``forecast`` (ForecastSummary): source ``fitted`` | ``growth``, method text, per month from T's
  month to the last offer's end: mean, p10, p90 (Decimal cents); the backtest's ``wape``,
  ``coverage80`` and ``coverage_n``; ``residual_sd``; the history fitted (``history``).
- ``offers`` (offers.OffersResult): the offers as given (current contract first when the caller
  puts it first), on the same futures.
- ``frontier`` (FrontierPoint per offer and level): commitment, discount_pct, expected_cost,
  savings_vs_list, p_shortfall, cvar95_cost, ``offered`` (the offer's own level).
- ``recommended`` (Recommendation per offer): the frontier level with the least expected cost
  among those with P(shortfall) <= limit_pct/100 (ties: the smaller commitment); commitment None
  when no level qualifies; ``best`` marks the least of them over the offers.
- ``break_even`` (BreakEven per offer): the least steady monthly growth at which the offer costs
  no more than list price.
- ``selected``, ``asks`` (Ask, ranked by the money they save), ``batna`` (BatnaRow) and
  ``batna_totals`` (BatnaTotal per alternative vendor), ``notes`` (what was left out and why).

Every simulated figure comes from one offers.simulate_offers call (one set of futures, common
random numbers): the offers, their frontier levels and their asks are variants run on the same
paths, so differences between them are differences of terms, not of draws.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from desktop.domain import forecast as fc
from desktop.domain.errors import InputError
from desktop.domain.money import MICROS, ZERO, cents, fmt_money
from desktop.domain.offers import (
    Offer,
    OfferPeriod,
    OfferResult,
    OffersResult,
    SpendModel,
    _mean_cents,
    growth_draws,
    month_weights,
    monthly_spend,
    simulate_offers,
    summarize_offers,
)
from desktop.domain.offers import to_json as offers_json
from desktop.domain.settings import Settings
from desktop.domain.usage_index import match_key

FRONTIER_STEPS = tuple(Decimal(k) / 10 for k in range(5, 16))  # 0.5 .. 1.5 x expected discounted spend
LOWER_STEPS = tuple(Decimal(k) / 10 for k in range(4, 0, -1))  # 0.4 .. 0.1: when no level above qualifies
GROWTH_BOUNDS = (-5000, 10000)  # break-even search in 0.01 %/month steps: -50 % .. +100 % a month
GROWTH_STEP = Decimal("0.0001")
ASKS = (
    ("rollover_plus_10", "Rollover +10 points"),
    ("annual_minimums", "Annual instead of shorter minimums"),
    ("shortfall_credit", "Shortfall paid as credit"),
    ("overage_at_list", "Overage multiplier 1.0"),
    ("discount_plus_2", "Discount +2 points"),
    ("flatter_ramp", "Flatter ramp"),
    ("other_vendor_counts", "Another vendor's spend counts"),
)


# --- results -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ForecastMonth:
    month: date
    mean: Decimal
    p10: Decimal
    p90: Decimal


@dataclass(frozen=True)
class ForecastSummary:
    vendor: str
    source: str  # fitted | growth
    method: str
    months: tuple[ForecastMonth, ...]
    wape: float | None = None
    coverage80: float | None = None
    coverage_n: int = 0
    backtest_n: int = 0
    residual_sd: float | None = None
    history: tuple[tuple[date, Decimal], ...] = ()  # months fitted: (month, daily rate x its days)
    baseline_monthly: Decimal | None = None  # growth source: the baseline given
    growth: float | None = None
    growth_sd: float | None = None


@dataclass(frozen=True)
class FrontierPoint:
    offer: str
    vendor: str
    commitment: Decimal
    discount_pct: float | None  # None: each period keeps its own discount
    expected_cost: Decimal
    savings_vs_list: Decimal
    p_shortfall: float
    cvar95_cost: Decimal
    offered: bool = False


@dataclass(frozen=True)
class Recommendation:
    offer: str
    vendor: str
    commitment: Decimal | None
    discount_pct: float | None
    expected_cost: Decimal | None
    p_shortfall: float | None
    best: bool = False


@dataclass(frozen=True)
class BreakEven:
    offer: str
    growth: float | None  # None: see status
    status: str  # found | always (beats list even at the lowest growth searched) | loses (not even at the expected)


@dataclass(frozen=True)
class Ask:
    offer: str
    ask: str
    label: str
    applicable: bool
    detail: str
    expected_cost: Decimal | None = None
    delta_cost: Decimal | None = None  # variant - offer: negative saves money
    p_shortfall: float | None = None
    delta_p_shortfall: float | None = None
    rank: int | None = None


@dataclass(frozen=True)
class BatnaRow:
    alternative: str
    model: str  # the model family of the volume
    token_kind: str
    service_tier: str
    tokens: int
    current_cost: Decimal  # what the volume cost at the vendor in the window
    alternative_model: str | None
    alternative_per_million: str | None
    alternative_cost: Decimal | None  # tokens x the alternative's contracted price; None: not priced
    difference: Decimal | None  # alternative_cost - current_cost


@dataclass(frozen=True)
class BatnaTotal:
    alternative: str
    current_cost: Decimal  # of the volume the alternative prices
    alternative_cost: Decimal
    difference: Decimal
    unpriced_cost: Decimal  # current cost of the volume it does not price
    groups_priced: int
    groups: int


@dataclass(frozen=True)
class Negotiation:
    vendor: str
    as_of: date
    currency: str
    paths: int
    seed: int
    limit_pct: float
    forecast: ForecastSummary
    offers: OffersResult
    frontier: tuple[FrontierPoint, ...]
    recommended: tuple[Recommendation, ...]
    break_even: tuple[BreakEven, ...]
    selected: str | None = None
    asks: tuple[Ask, ...] = ()
    batna: tuple[BatnaRow, ...] = ()
    batna_totals: tuple[BatnaTotal, ...] = ()
    batna_window: tuple[date, date] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


# --- the spend model -------------------------------------------------------------------------------

def _month_span(as_of: date, offers: list[Offer]) -> int:
    last = max(o.term_end for o in offers)
    return fc.months_between(as_of, last) + 1


def _eligible_daily(analysis, vendor: str):
    from desktop.domain.renewal import eligible_daily

    return eligible_daily(analysis.index, vendor)


def _window(as_of: date, settings: Settings) -> tuple[date, date]:
    return as_of - timedelta(days=int(settings.renewal_baseline_days) - 1), as_of


def resolve_overlays(overlays, analysis, vendor: str, as_of: date, settings: Settings) -> tuple:
    """Model migrations get the model's share of the vendor's eligible spend in the baseline
    window and, when not given, the price ratio of its tokens at the new model (list prices of
    the rate card, the contracted price where a row has no list price)."""
    out = []
    for o in overlays:
        fc.validate_overlay(o)
        if isinstance(o, fc.ModelMigration) and (o.model_share is None or o.price_ratio is None):
            if analysis is None:
                raise InputError(f"model migration of {o.model!r} needs the usage data (its share of spend)",
                                 column="model")
            share, ratio = _migration_terms(o, analysis, vendor, as_of, settings)
            o = replace(o, model_share=share if o.model_share is None else o.model_share,
                        price_ratio=ratio if o.price_ratio is None else o.price_ratio)
        out.append(o)
    return tuple(out)


def _migration_terms(o: fc.ModelMigration, analysis, vendor: str, as_of: date,
                     settings: Settings) -> tuple[float, float]:
    from desktop.domain.rate_audit import PriceBook, unit_prices

    index = analysis.index
    start, end = _window(as_of, settings)
    fam = model_family(match_key("model", o.model))
    base = index.mask("vendor", vendor) & index.eligible() & index.dated(start, end)
    total = index.micros(index.positions(base))
    of_model = np.zeros(index.size, dtype=bool)
    for k in index.codes("model")[2]:  # the model as named, any dated version of it
        if model_family(k) == fam:
            of_model |= index.mask("model", k)
    part = index.micros(index.positions(base & of_model))
    if total <= 0 or part <= 0:
        raise InputError(f"model migration: {vendor} has no eligible spend on {o.model!r} in the last "
                         f"{settings.renewal_baseline_days} days", column="model")
    share = part / total
    if o.price_ratio is not None:
        return share, o.price_ratio
    if not o.to_model:
        raise InputError("a model migration needs the model it moves to, or a price ratio", column="to_model")
    book = PriceBook(analysis.inputs.rate_card, analysis.inputs.fx_rates, settings)
    vkey, tkey = match_key("vendor", vendor), match_key("model", o.to_model)
    old = new = Decimal(0)
    for u in unit_prices(index, analysis.inputs.rate_card, analysis.inputs.fx_rates, as_of, settings, since=start):
        if match_key("vendor", u.vendor) != vkey or model_family(u.model_key) != fam or u.tokens <= 0:
            continue
        p_old = _price(book, vkey, u.model_key, u.token_kind, u.service_tier, as_of)
        p_new = _price(book, vkey, tkey, u.token_kind, u.service_tier, as_of)
        if p_old is None or p_new is None:
            raise InputError(f"model migration {o.model} -> {o.to_model}: the rate card has no "
                             f"{u.token_kind} ({u.service_tier}) price for both; give the price ratio",
                             column="price_ratio")
        old += u.tokens * (p_old.list if p_old.list is not None else p_old.contracted)
        new += u.tokens * (p_new.list if p_new.list is not None else p_new.contracted)
    if old <= 0:
        raise InputError(f"model migration: no priced tokens of {o.model!r}; give the price ratio",
                         column="price_ratio")
    return share, float(new / old)


def _price(book, vkey: str, model_key: str, kind: str, tier: str, day: date):
    """The vendor's token price of the model as named, else of its family's row."""
    got = book.price(vkey, model_key, kind, tier, day)
    if got is None and model_family(model_key) != model_key:
        got = book.price(vkey, model_family(model_key), kind, tier, day)
    return got


def _summary(model: SpendModel, vendor: str, as_of: date, months: int, fit=None) -> ForecastSummary:
    spend = monthly_spend(model, as_of, months)
    micros = np.rint(spend * MICROS).astype(np.int64)
    n = micros.shape[0]
    lo, hi = math.ceil(0.1 * n) - 1, math.ceil(0.9 * n) - 1  # inverted-CDF order statistics
    rows = []
    for k in range(months):
        col = np.sort(micros[:, k])
        rows.append(ForecastMonth(fc.add_months(as_of, k), _mean_cents(col),
                                  cents(Decimal(int(col[lo])) / MICROS), cents(Decimal(int(col[hi])) / MICROS)))
    if fit is None:
        return ForecastSummary(vendor, "growth", "baseline x (1 + g_1) ... (1 + g_k), g ~ Normal(growth, sd)",
                               tuple(rows), baseline_monthly=cents(model.baseline_monthly),
                               growth=float(model.growth), growth_sd=float(model.growth_sd))
    return ForecastSummary(
        vendor, "fitted", fc.METHOD, tuple(rows), wape=fit.check.wape, coverage80=fit.check.coverage80,
        coverage_n=fit.check.coverage_n, backtest_n=len(fit.check.forecasts), residual_sd=fit.residual_sd,
        history=tuple((p.month, cents(Decimal(repr(p.month_value)))) for p in fit.history))


# --- offer variants ----------------------------------------------------------------------------------

def _spread(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` split by ``weights``: each part rounded half-up to cents, the last part the rest
    (the parts add up to the total exactly)."""
    w = sum(weights, Decimal(0))
    if w <= 0:
        weights, w = [Decimal(1)] * len(weights), Decimal(len(weights))
    parts = [cents(total * x / w) for x in weights[:-1]]
    return [*parts, cents(total) - sum(parts, Decimal(0))]


def _days(p: OfferPeriod) -> int:
    return (p.end - p.start).days + 1


def with_level(offer: Offer, total: Decimal, discount_pct: float | None = None, name: str | None = None) -> Offer:
    """The offer at commitment ``total``: its periods keep the offer's shape (their share of its
    commitment; by days when it commits nothing), and all take ``discount_pct`` when given."""
    base = [p.commitment for p in offer.periods]
    weights = base if sum(base, Decimal(0)) > 0 else [Decimal(_days(p)) for p in offer.periods]
    parts = _spread(total, weights)
    periods = tuple(replace(p, commitment=c, **({} if discount_pct is None else {"discount_pct": float(discount_pct)}))
                    for p, c in zip(offer.periods, parts, strict=True))
    return replace(offer, name=name or offer.name, periods=periods)


def three_significant(x: Decimal) -> Decimal:
    """``x`` rounded half-up to three significant digits (a level an analyst would quote), in cents."""
    if x <= 0:
        return ZERO
    q = Decimal(1).scaleb(x.adjusted() - 2)
    return cents((x / q).quantize(Decimal(1), rounding=ROUND_HALF_UP) * q)


def _frontier_levels(offer: Offer, result: OfferResult, tiers,
                     steps=FRONTIER_STEPS) -> list[tuple[Decimal, float | None, bool]]:
    own = cents(sum((p.commitment for p in offer.periods), Decimal(0)))
    if tiers:
        levels = [(cents(Decimal(str(k))), float(d), False) for k, d in tiers]
    else:
        spend = sum((p.expected_spend for p in result.periods), Decimal(0))
        levels = [(three_significant(spend * m), None, False) for m in steps] if spend > 0 else []
    out = {}
    for k, d, _ in levels:
        out.setdefault((k, d), (k, d, False))
    out[(own, None)] = (own, None, True)
    return sorted(out.values(), key=lambda t: (t[0], t[1] is not None, t[1] or 0.0))


def _annual(offer: Offer) -> Offer | None:
    groups: dict[int, list[OfferPeriod]] = {}
    for p in offer.periods:
        groups.setdefault(fc.months_between(offer.term_start, p.start) // 12, []).append(p)
    if all(len(g) == 1 for g in groups.values()):
        return None
    periods = tuple(replace(g[0], end=g[-1].end, commitment=sum((p.commitment for p in g), Decimal(0)))
                    for _, g in sorted(groups.items()))
    return replace(offer, periods=periods)


def _flatter(offer: Offer) -> Offer | None:
    total = sum((p.commitment for p in offer.periods), Decimal(0))
    days = [Decimal(_days(p)) for p in offer.periods]
    flat = _spread(total, days)
    half = _spread(total, [(p.commitment + f) / 2 for p, f in zip(offer.periods, flat, strict=True)])
    if half == [p.commitment for p in offer.periods]:
        return None
    return replace(offer, periods=tuple(replace(p, commitment=c) for p, c in zip(offer.periods, half, strict=True)))


def _ask_variants(offer: Offer, other: tuple[str, list[Decimal]] | None) -> list[tuple[str, Offer | None, str]]:
    out = []
    ps = offer.periods
    if len(ps) < 2 or offer.fulfilment == "term":
        out.append(("rollover_plus_10", None, "one minimum for the term: nothing rolls over"))
    else:
        out.append(("rollover_plus_10", replace(offer, periods=tuple(
            replace(p, rollover_pct=min(100.0, p.rollover_pct + 10.0)) for p in ps)),
            "every period's rollover_pct + 10 (at most 100)"))
    ann = _annual(offer)
    out.append(("annual_minimums", ann, "minimums summed per 12 months from the term start, each year "
                "taking its first period's terms" if ann else "no two minimums fall in one year"))
    if offer.shortfall_treatment == "credit":
        out.append(("shortfall_credit", None, "shortfalls are already paid as credit"))
    else:
        out.append(("shortfall_credit", replace(offer, shortfall_treatment="credit"),
                    "a missed minimum paid as prepaid credit that later overage draws down"))
    if all(p.overage_multiplier == 1.0 for p in ps):
        out.append(("overage_at_list", None, "overage is already at the discounted rate (1.0)"))
    else:
        out.append(("overage_at_list", replace(offer, periods=tuple(replace(p, overage_multiplier=1.0) for p in ps)),
                    "every period's overage multiplier 1.0"))
    if any(p.discount_pct + 2 >= 100 for p in ps):
        out.append(("discount_plus_2", None, "a discount would reach 100 %"))
    else:
        out.append(("discount_plus_2", replace(offer, periods=tuple(
            replace(p, discount_pct=p.discount_pct + 2.0) for p in ps)), "every period's discount + 2 points"))
    flat = _flatter(offer)
    out.append(("flatter_ramp", flat, "each period's minimum halfway to an equal amount per day (same total)"
                if flat else "the minimums are already flat"))
    if other is None:
        out.append(("other_vendor_counts", None, "no other vendor's spend to count"))
    else:
        name, amounts = other
        periods = tuple(replace(p, commitment=max(ZERO, p.commitment - a)) for p, a in zip(ps, amounts, strict=True))
        total = sum(amounts, Decimal(0))
        out.append(("other_vendor_counts", replace(offer, periods=periods),
                    f"{name}'s expected spend ({fmt_money(cents(total))}) counts toward the minimums"))
    return out


def _other_vendor(analysis, vendor: str, other_vendor: str | None, as_of: date, settings: Settings) -> str | None:
    if analysis is None:
        return None
    if other_vendor:
        return other_vendor
    index = analysis.index
    start, end = _window(as_of, settings)
    vkey = match_key("vendor", vendor)
    best = None
    for key in index.codes("vendor")[2]:
        if key == vkey:
            continue
        m = index.micros(index.positions(index.mask("vendor", key) & index.eligible() & index.dated(start, end)))
        name = index.label("vendor", key)
        if m > 0 and (best is None or (m, name) > (best[0], best[1])):
            best = (m, name)
    return None if best is None else best[1]


def _other_amounts(analysis, other: str, offer: Offer, as_of: date, settings: Settings) -> list[Decimal]:
    """Expected spend of the other vendor per commit period of ``offer``: its fitted forecast's
    mean path (z = 0); without enough history its baseline (eligible spend in the window per day
    x days per month) every month."""
    months = fc.months_between(as_of, offer.term_end) + 1
    daily = _eligible_daily(analysis, other)
    fit = fc.fit_forecast(daily, as_of)
    if fit is not None:
        spend = fit.paths(fc.month_start(as_of), np.zeros((1, months)))[0]
    else:
        start, end = _window(as_of, settings)
        first = daily.days[0].astype(object) if len(daily.days) else start
        lo = max(start, first)
        days = (end - lo).days + 1
        per_month = (daily.total(lo, end) / MICROS / days * float(settings.renewal_days_per_month)
                     if days > 0 else 0.0)
        spend = np.full(months, max(per_month, 0.0))
    return [cents(Decimal(repr(float(spend @ month_weights(as_of, p.start, p.end, months)))))
            for p in offer.periods]


# --- break-even ------------------------------------------------------------------------------------

def break_even_growth(offer: Offer, baseline: Decimal, expected_growth: float, sd: float, paths: int, seed: int,
                      as_of: date) -> BreakEven:
    """The growth below which the offer stops beating list price: under the growth model
    (``baseline`` in T's month, monthly growth g ~ Normal(g, sd), the same draws for every g:
    common random numbers) the least g on a 0.01 %/month grid, between GROWTH_BOUNDS[0] and the
    expected growth, such that the offer's expected savings vs list are >= 0 at g. The expected
    growth rounded to the grid is checked first (savings < 0 there -> status ``loses``: it does
    not beat list price at the expected growth), then the lower bound (savings >= 0 there ->
    status ``always``); between them a bracketing search on the grid (false position with the
    Illinois step, the bracket always keeping savings < 0 at its low end and >= 0 at its high end)
    until the two ends are one grid step apart. It assumes savings do not fall as growth rises
    below the expected growth (true when overage costs no more than list price, multiplier x
    (1 - discount) <= 1; above it a premium can make high growth cost more)."""
    draws = growth_draws(SpendModel(baseline, 0.0, sd, paths=paths, seed=seed),
                         fc.months_between(as_of, offer.term_end) + 1)  # drawn once, for every g

    def savings(i: int) -> Decimal:
        model = SpendModel(baseline, float(GROWTH_STEP * i), sd, paths=paths, seed=seed)
        return summarize_offers([offer], model, as_of, cvar=False, draws=draws)[0].savings_vs_list

    lo = GROWTH_BOUNDS[0]
    hi = int((Decimal(repr(float(expected_growth))) / GROWTH_STEP).to_integral_value(ROUND_HALF_UP))
    hi = min(max(hi, lo), GROWTH_BOUNDS[1])
    f_hi = savings(hi)
    if f_hi < 0:
        return BreakEven(offer.name, None, "loses")
    f_lo = savings(lo)
    if f_lo >= 0:
        return BreakEven(offer.name, None, "always")
    w_lo, w_hi = float(f_lo), float(f_hi)  # the values false position weighs (Illinois halves a stale one)
    side = 0
    while hi - lo > 1:  # savings(lo) < 0 <= savings(hi)
        guess = lo + (hi - lo) * (-w_lo) / (w_hi - w_lo) if w_hi > w_lo else (lo + hi) / 2
        mid = min(max(int(math.floor(guess)), lo + 1), hi - 1)
        f = savings(mid)
        if f >= 0:
            hi, w_hi = mid, float(f)
            w_lo = w_lo / 2 if side == 1 else w_lo
            side = 1
        else:
            lo, w_lo = mid, float(f)
            w_hi = w_hi / 2 if side == -1 else w_hi
            side = -1
    return BreakEven(offer.name, float(GROWTH_STEP * hi), "found")


def implied_growth(summary: ForecastSummary) -> float:
    """The steady monthly growth of a forecast: (mean of its last month / mean of T's month)^(1/k)
    - 1 over its k months after T's month; 0 when either mean is 0 or there is one month."""
    first, last = summary.months[0].mean, summary.months[-1].mean
    k = len(summary.months) - 1
    if k < 1 or first <= 0 or last <= 0:
        return 0.0
    return (float(last) / float(first)) ** (1.0 / k) - 1.0


# --- the walk-away -----------------------------------------------------------------------------------

_VERSION = re.compile(r"(-|@)(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")


def model_family(model_key: str) -> str:
    """A model's family: its match key without a trailing date or 'latest' version
    ('gpt-4o-2024-08-06' -> 'gpt-4o', 'claude-sonnet-4-20250514' -> 'claude-sonnet-4')."""
    return _VERSION.sub("", model_key)


def parse_equivalents(text: str) -> dict[str, str]:
    """The setting ``batna_equivalents``: pairs ``family=family`` separated by commas or semicolons
    (``gpt-4o=claude-sonnet-4, o3=claude-opus-4``): the walk-away prices the first family's volume
    at another vendor's row of the second. A pair without exactly one ``=`` or with an empty side is
    an input error naming the setting."""
    out: dict[str, str] = {}
    for part in re.split(r"[;,]", text or ""):
        part = part.strip()
        if not part:
            continue
        sides = [x.strip() for x in part.split("=")]
        if len(sides) != 2 or not all(sides):
            raise InputError(f"walk-away model equivalents: {part!r} is not family=family",
                             column="batna_equivalents")
        out[sides[0]] = sides[1]
    return out


def batna(analysis, vendor: str, as_of: date, settings: Settings,
          equivalents: dict[str, str] | None = None) -> tuple[tuple[BatnaRow, ...], tuple[BatnaTotal, ...],
                                                            tuple[date, date]]:
    """What the vendor's token volume of the last ``renewal_baseline_days`` days would have cost at
    each other vendor's contracted token prices on the rate card (rate_audit.unit_prices for the
    volume and its cost, rate_audit.PriceBook for the prices). Volume is grouped by model family,
    token kind and tier; an alternative prices a group with its row of the same family (or of
    ``equivalents[family]``), kind and tier valid on T; cost = tokens x price per token, rounded
    half-up to cents per group. Groups an alternative does not price are listed without a cost
    and their current cost is its ``unpriced_cost``."""
    from desktop.domain.rate_audit import PriceBook, _per_million, unit_prices

    start, end = _window(as_of, settings)
    equivalents = {match_key("model", k): match_key("model", v) for k, v in (equivalents or {}).items()}
    vkey = match_key("vendor", vendor)
    groups: dict[tuple[str, str, str], list] = {}
    for u in unit_prices(analysis.index, analysis.inputs.rate_card, analysis.inputs.fx_rates, as_of, settings,
                         since=start):
        if match_key("vendor", u.vendor) != vkey or u.tokens <= 0:
            continue
        g = groups.setdefault((model_family(u.model_key), u.token_kind, u.service_tier), [0, ZERO])
        g[0] += u.tokens
        g[1] += u.cost
    book = PriceBook(analysis.inputs.rate_card, analysis.inputs.fx_rates, settings)
    rows: list[BatnaRow] = []
    totals: list[BatnaTotal] = []
    for alt in book.token_vendors():
        if alt == vkey:
            continue
        name = book.names.get(alt, alt)
        by_family: dict[str, str] = {}
        for m in book.token_models(alt):
            by_family.setdefault(model_family(m), m)
        cur = alt_sum = unpriced = ZERO
        priced = 0
        for (fam, kind, tier), (tokens, cost) in sorted(groups.items()):
            model = by_family.get(fam) or by_family.get(equivalents.get(fam, ""))
            price = None if model is None else book.price(alt, model, kind, tier, as_of)
            if price is None:
                rows.append(BatnaRow(name, fam, kind, tier, tokens, cost, None, None, None, None))
                unpriced += cost
                continue
            alt_cost = cents(tokens * price.contracted)
            rows.append(BatnaRow(name, fam, kind, tier, tokens, cost, model, _per_million(price.contracted),
                                 alt_cost, alt_cost - cost))
            cur += cost
            alt_sum += alt_cost
            priced += 1
        totals.append(BatnaTotal(name, cur, alt_sum, alt_sum - cur, unpriced, priced, len(groups)))
    return tuple(rows), tuple(totals), (start, end)


# --- the result --------------------------------------------------------------------------------------

def build_negotiation(analysis, offers: list[Offer], *, vendor: str, settings: Settings, as_of: date,
                      overlays=(), paths: int | None = None, seed: int | None = None, progress=None,
                      spend: tuple[Decimal, float, float] | None = None, tiers=None, selected: str | None = None,
                      other_vendor: str | None = None, equivalents: dict[str, str] | None = None,
                      break_even: bool = True) -> Negotiation:
    """The negotiation of ``vendor``'s offers (module docstring)."""
    step = progress.step if progress is not None else (lambda f, t="": None)
    offers = list(offers)
    if not offers:
        raise InputError(f"no offer of {vendor} to compare", column="offer")
    vkey = match_key("vendor", vendor)
    for o in offers:
        if match_key("vendor", o.vendor) != vkey:
            raise InputError(f"offer {o.name!r} is {o.vendor}'s, not {vendor}'s", column="vendor")
    if len({o.name for o in offers}) < len(offers):
        raise InputError("two offers have the same name", column="offer")
    paths = int(settings.renewal_paths if paths is None else paths)
    seed = int(settings.renewal_seed if seed is None else seed)
    notes: list[str] = []
    step(0.0, f"Negotiation {vendor}: forecast")
    overlays = resolve_overlays(overlays, analysis, vendor, as_of, settings)
    months = max(_month_span(as_of, offers), 1)
    fit = None
    if spend is not None:
        model = SpendModel(Decimal(spend[0]), float(spend[1]), float(spend[2]), paths=paths, seed=seed,
                           overlays=overlays)
    else:
        if analysis is None:
            raise InputError("no usage to fit a forecast on: give the baseline monthly spend and growth",
                             column="baseline_monthly")
        fit = fc.fit_forecast(_eligible_daily(analysis, vendor), as_of)
        if fit is None:
            raise InputError(f"{vendor} has fewer than {fc.MIN_MONTHS} months of eligible spend up to {as_of}: "
                             "give the baseline monthly spend and growth", column="baseline_monthly")
        model = SpendModel.fitted(fit, paths=paths, seed=seed, overlays=overlays)
    model.validate()
    summary = _summary(model, vendor, as_of, months, fit)

    step(0.1, f"Negotiation {vendor}: offers")
    base = simulate_offers(offers, model, as_of)
    by_name = {o.name: (o, r) for o, r in zip(offers, base.offers, strict=True)}

    # every variant on the same futures: frontier levels, then the asks of the selected offer
    variants: list[Offer] = []
    plan: list[tuple[str, str, tuple]] = []  # (kind, offer, info)
    for o, r in zip(offers, base.offers, strict=True):
        for k, d, offered in _frontier_levels(o, r, tiers):
            variants.append(with_level(o, k, d))
            plan.append(("frontier", o.name, (k, d, offered)))
    if selected is None:
        selected = min(base.offers, key=lambda r: (r.expected_cost, r.offer)).offer
    if selected not in by_name:
        raise InputError(f"no offer named {selected!r}", column="offer")
    sel_offer, sel_result = by_name[selected]
    other_name = _other_vendor(analysis, vendor, other_vendor, as_of, settings)
    other = None
    if other_name is not None:
        other = (other_name, _other_amounts(analysis, other_name, sel_offer, as_of, settings))
    ask_rows = _ask_variants(sel_offer, other)
    for key, variant, detail in ask_rows:
        if variant is not None:
            variants.append(variant)
            plan.append(("ask", selected, (key, detail)))
    step(0.3, f"Negotiation {vendor}: frontier and asks")
    run = summarize_offers(variants, model, as_of) if variants else []

    limit = float(settings.renewal_shortfall_limit_pct)
    # an offer none of whose levels keeps P(shortfall) within the limit gets the lower levels too
    # (0.4 .. 0.1 x its expected discounted spend), on the same futures
    low = [o for o in offers if not tiers and not any(
        k == "frontier" and n == o.name and r.p_shortfall <= limit / 100 for (k, n, _), r in zip(plan, run, strict=True))]
    if low:
        more, more_plan = [], []
        for o in low:
            have = {i[0] for k, n, i in plan if k == "frontier" and n == o.name}
            for k, d, _ in _frontier_levels(o, by_name[o.name][1], None, LOWER_STEPS):
                if k not in have:
                    have.add(k)
                    more.append(with_level(o, k, d))
                    more_plan.append(("frontier", o.name, (k, d, False)))
        if more:
            plan += more_plan
            run = run + summarize_offers(more, model, as_of)

    frontier: list[FrontierPoint] = []
    asks: dict[str, Ask] = {}
    for (kind, name, info), r in zip(plan, run, strict=True):
        if kind == "frontier":
            k, d, offered = info
            if d is None:  # the offer's own discounts: shown when they are one number
                ds = {p.discount_pct for p in by_name[name][0].periods}
                d = ds.pop() if len(ds) == 1 else None
            frontier.append(FrontierPoint(name, by_name[name][0].vendor, k, d, r.expected_cost, r.savings_vs_list,
                                          r.p_shortfall, r.cvar95_cost, offered))
        else:
            key, detail = info
            asks[key] = Ask(selected, key, dict(ASKS)[key], True, detail, r.expected_cost,
                            r.expected_cost - sel_result.expected_cost, r.p_shortfall,
                            r.p_shortfall - sel_result.p_shortfall)
    for key, variant, detail in ask_rows:
        if variant is None:
            asks[key] = Ask(selected, key, dict(ASKS)[key], False, detail)
    order = sorted((a for a in asks.values() if a.applicable),
                   key=lambda a: (a.delta_cost, [k for k, _ in ASKS].index(a.ask)))
    ranked = tuple(replace(a, rank=i + 1) for i, a in enumerate(order))
    ranked += tuple(asks[k] for k, _ in ASKS if k in asks and not asks[k].applicable)
    order_of = {o.name: i for i, o in enumerate(offers)}
    frontier.sort(key=lambda p: (order_of[p.offer], p.commitment, not p.offered, p.discount_pct or 0.0))

    recs = []
    for o in offers:
        ok = [p for p in frontier if p.offer == o.name and p.p_shortfall <= limit / 100]
        if ok:
            p = min(ok, key=lambda p: (p.expected_cost, p.commitment))
            recs.append(Recommendation(o.name, o.vendor, p.commitment, p.discount_pct, p.expected_cost, p.p_shortfall))
        else:
            recs.append(Recommendation(o.name, o.vendor, None, None, None, None))
    priced = [r for r in recs if r.expected_cost is not None]
    if priced:
        best = min(priced, key=lambda r: (r.expected_cost, r.commitment))
        recs = [replace(r, best=r is best) for r in recs]
    else:
        notes.append(f"no commit level of any offer keeps P(shortfall) at or below {limit:g} %")

    step(0.6, f"Negotiation {vendor}: break-even growth")
    be_base = spend[0] if spend is not None else summary.months[0].mean
    be_growth = float(spend[1]) if spend is not None else implied_growth(summary)
    be_sd = float(spend[2]) if spend is not None else 0.0
    be_paths = paths if be_sd > 0 else 1
    breaks = []
    for i, o in enumerate(offers if break_even else ()):
        step(0.6 + 0.25 * i / len(offers), f"Negotiation {vendor}: break-even growth of {o.name}")
        breaks.append(break_even_growth(o, Decimal(be_base), be_growth, be_sd, be_paths, seed, as_of))
    breaks = tuple(breaks)

    step(0.85, f"Negotiation {vendor}: walk-away")
    rows: tuple = ()
    totals: tuple = ()
    window = None
    if analysis is not None:
        if equivalents is None:
            equivalents = parse_equivalents(settings.batna_equivalents)
        rows, totals, window = batna(analysis, vendor, as_of, settings, equivalents)
        if not totals:
            notes.append("no other vendor has token prices on the rate card: no walk-away")
    else:
        notes.append("no usage data: no walk-away and no other vendor's spend")
    step(1.0, f"Negotiation {vendor}: done")
    return Negotiation(
        vendor=offers[0].vendor if analysis is None else _label(analysis, vendor), as_of=as_of,
        currency=base.currency, paths=paths, seed=seed, limit_pct=limit, forecast=summary, offers=base,
        frontier=tuple(frontier), recommended=tuple(recs), break_even=breaks, selected=selected, asks=ranked,
        batna=rows, batna_totals=totals, batna_window=window, notes=tuple(notes))


def _label(analysis, vendor: str) -> str:
    key = match_key("vendor", vendor)
    return analysis.index.label("vendor", key) if key in analysis.index.codes("vendor")[1] else vendor


# --- JSON ---------------------------------------------------------------------------------------------

def _p(x: float | None) -> float | None:
    return None if x is None else round(float(x), 6)


def _pct(x: float | None) -> float | None:
    return None if x is None else float(Decimal(repr(float(x))).quantize(Decimal("0.000001"), ROUND_HALF_UP))


def to_json(neg: Negotiation) -> dict:
    """The ``renewal --format json`` document: offers.to_json's keys (as_of, currency, paths,
    offers with break_even_growth and break_even_status added), seed, shortfall_limit_pct and the
    lists forecast (one per vendor), frontier, recommended, selected, asks, batna, batna_totals,
    notes, each entry naming its vendor (``merge_json`` puts several vendors in one document).
    Money strings with two decimals, probabilities 0..1 (six decimals), growth a monthly
    fraction."""
    doc = offers_json(neg.offers)
    be = {b.offer: b for b in neg.break_even}
    for o in doc["offers"]:
        b = be.get(o["offer"])
        o["break_even_growth"] = None if b is None or b.growth is None else _pct(b.growth)
        o["break_even_status"] = None if b is None else b.status
    f = neg.forecast
    doc["seed"] = neg.seed
    doc["shortfall_limit_pct"] = neg.limit_pct
    doc["forecast"] = [{
        "vendor": f.vendor, "source": f.source, "method": f.method, "wape": _p(f.wape),
        "coverage80": _p(f.coverage80), "coverage_n": f.coverage_n, "backtest_n": f.backtest_n,
        "residual_sd": _p(f.residual_sd),
        "baseline_monthly": fmt_money(f.baseline_monthly), "growth": f.growth, "growth_sd": f.growth_sd,
        "months": [{"month": m.month.isoformat()[:7], "mean": fmt_money(m.mean), "p10": fmt_money(m.p10),
                    "p90": fmt_money(m.p90)} for m in f.months],
        "history": [{"month": m.isoformat()[:7], "value": fmt_money(v)} for m, v in f.history]}]
    doc["frontier"] = [{"vendor": p.vendor, "offer": p.offer, "commitment": fmt_money(p.commitment),
                        "discount_pct": p.discount_pct, "expected_cost": fmt_money(p.expected_cost),
                        "savings_vs_list": fmt_money(p.savings_vs_list), "p_shortfall": _p(p.p_shortfall),
                        "cvar95_cost": fmt_money(p.cvar95_cost), "offered": p.offered} for p in neg.frontier]
    doc["recommended"] = [{"vendor": r.vendor, "offer": r.offer, "commitment": fmt_money(r.commitment),
                           "discount_pct": r.discount_pct, "expected_cost": fmt_money(r.expected_cost),
                           "p_shortfall": _p(r.p_shortfall), "best": r.best} for r in neg.recommended]
    doc["selected"] = [{"vendor": neg.vendor, "offer": neg.selected}]
    doc["asks"] = [{"vendor": neg.vendor, "offer": a.offer, "ask": a.ask, "label": a.label, "applicable": a.applicable, "rank": a.rank,
                    "detail": a.detail, "expected_cost": fmt_money(a.expected_cost),
                    "delta_cost": fmt_money(a.delta_cost), "p_shortfall": _p(a.p_shortfall),
                    "delta_p_shortfall": _p(a.delta_p_shortfall)} for a in neg.asks]
    window = None if neg.batna_window is None else [d.isoformat() for d in neg.batna_window]
    doc["batna"] = [{"vendor": neg.vendor, "window": window, "alternative": b.alternative, "model": b.model, "token_kind": b.token_kind,
                     "service_tier": b.service_tier, "tokens": b.tokens, "current_cost": fmt_money(b.current_cost),
                     "alternative_model": b.alternative_model, "alternative_per_million": b.alternative_per_million,
                     "alternative_cost": fmt_money(b.alternative_cost), "difference": fmt_money(b.difference)}
                    for b in neg.batna]
    doc["batna_totals"] = [{"vendor": neg.vendor, "window": window, "alternative": t.alternative, "current_cost": fmt_money(t.current_cost),
                            "alternative_cost": fmt_money(t.alternative_cost), "difference": fmt_money(t.difference),
                            "unpriced_cost": fmt_money(t.unpriced_cost), "groups_priced": t.groups_priced,
                            "groups": t.groups} for t in neg.batna_totals]
    doc["notes"] = [f"{neg.vendor}: {n}" for n in neg.notes]
    return doc


_LISTS = ("offers", "forecast", "frontier", "recommended", "selected", "asks", "batna", "batna_totals", "notes")


def merge_json(negs: list[Negotiation]) -> dict:
    """One document for several vendors' negotiations (the ``renewal`` command with offers of
    more than one vendor): the lists of each, one after the other, under one as_of, currency,
    paths, seed and shortfall_limit_pct (the same for all: one command, one setting)."""
    docs = [to_json(n) for n in negs]
    out = dict(docs[0])
    for d in docs[1:]:
        for k in _LISTS:
            out[k] = out[k] + d[k]
    return out


__all__ = [
    "ASKS", "Ask", "BatnaRow", "BatnaTotal", "BreakEven", "FRONTIER_STEPS", "LOWER_STEPS", "ForecastMonth", "ForecastSummary",
    "FrontierPoint", "Negotiation", "Recommendation", "batna", "break_even_growth", "build_negotiation",
    "implied_growth", "merge_json", "model_family", "parse_equivalents", "resolve_overlays", "three_significant", "to_json", "with_level",
]
