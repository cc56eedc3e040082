"""ROI, payback, cost per unit and NPV (docs/domain.md "ROI" and Decisions > "ROI").

All figures are per month: ``benefit`` and ``cost`` are the monthly benefit and monthly run cost.

* ROI = (benefit - cost) / cost (None when cost is 0).
* payback_months = initial_investment / (benefit - cost); None without an investment or when the
  monthly net benefit is not positive (the set-up is never paid back).
* cost_per_unit = cost / units, rounded half-up to micros (6 decimals: unit costs of AI work are
  often fractions of a cent; shown with 2 decimals when that is exact); None without units.
* NPV = -initial_investment + sum over months t = 1..n of (benefit - cost) / (1 + r/12)^t with
  r the annual discount rate (0 when not given). The set-up is a cash flow at t = 0 (discount
  factor 1), so NPV without an investment is exactly the contract formula. None without months.
* Run cost from the imported usage (``usage_run_cost``): the cost of the usage rows whose
  ``dimension`` (vendor, team, project, model) matches ``value`` (usage_index.match_key) in the
  last complete calendar month on or before the as-of date (``run_cost_month``), in the
  reporting currency, rounded half-up to cents once; ``run_cost_rows`` selects those rows
  (explain and the Usage page read them from here).
* Money results are Decimal cents; arithmetic is Decimal throughout (floats given by a GUI
  spin box are read through their shortest spelling, Decimal(str(x))).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext

import numpy as np

from desktop.domain.errors import InputError
from desktop.domain.money import MICRO, cents, micros_to_cents
from desktop.domain.months import month_bounds, month_of, previous_month
from desktop.domain.results import RoiResult
from desktop.domain.usage_index import UsageIndex

RUN_COST_DIMENSIONS = ("vendor", "team", "project", "model")

Number = Decimal | int | float | str


def _dec(value: Number, name: str) -> Decimal:
    if isinstance(value, Decimal):
        d = value
    else:
        try:
            d = Decimal(str(value))
        except Exception as exc:  # decimal.InvalidOperation and friends
            raise InputError(f"{name}: not a number: {value!r}", column=name) from exc
    if not d.is_finite():
        raise InputError(f"{name}: not a finite number: {value!r}", column=name)
    return d


def time_saved_benefit(units: Number, hours_saved_per_unit: Number, hourly_rate: Number) -> Decimal:
    """Monthly benefit of saving time: units x hours saved per unit x hourly rate, in cents."""
    return cents(_dec(units, "units") * _dec(hours_saved_per_unit, "hours_saved_per_unit")
                 * _dec(hourly_rate, "hourly_rate"))


def roi(
    benefit: Number,
    cost: Number,
    units: Number | None = None,
    initial_investment: Number | None = None,
    months: int | None = None,
    discount_rate: Number | None = None,
) -> RoiResult:
    b = _dec(benefit, "benefit")
    c = _dec(cost, "cost")
    if c < 0:
        raise InputError("cost must not be negative", column="cost")
    net = b - c
    roi_ratio = float(net / c) if c != 0 else None
    payback = None
    if initial_investment is not None:
        inv = _dec(initial_investment, "initial_investment")
        if inv < 0:
            raise InputError("initial investment must not be negative", column="initial_investment")
        if net > 0:
            payback = float(inv / net)
    else:
        inv = Decimal(0)
    cpu = None
    if units is not None:
        u = _dec(units, "units")
        if u < 0:
            raise InputError("units must not be negative", column="units")
        if u != 0:
            cpu = (c / u).quantize(MICRO, rounding=ROUND_HALF_UP)
            if cpu == cents(cpu):
                cpu = cents(cpu)  # 1.400000 -> 1.40
    npv_value = None
    if months is not None:
        n = int(months)
        if n < 0:
            raise InputError("months must not be negative", column="months")
        r = _dec(discount_rate, "discount_rate") if discount_rate is not None else Decimal(0)
        npv_value = npv([net] * n, r, initial_investment=inv)
    return RoiResult(benefit=cents(b), cost=cents(c), net_benefit=cents(net), roi=roi_ratio,
                     payback_months=payback, cost_per_unit=cpu, npv=npv_value)


def npv(net_flows: list[Decimal], annual_rate: Number, initial_investment: Number = 0) -> Decimal:
    """-I + sum_{t=1..n} net_t / (1 + r/12)^t, in cents (Decimal with 40 significant digits)."""
    r = _dec(annual_rate, "discount_rate")
    inv = _dec(initial_investment, "initial_investment")
    with localcontext() as ctx:
        ctx.prec = 40
        monthly = Decimal(1) + r / Decimal(12)
        if monthly <= 0:
            raise InputError("discount rate must be above -1200%", column="discount_rate")
        total = -inv
        factor = Decimal(1)
        for flow in net_flows:
            factor *= monthly
            total += _dec(flow, "net") / factor
    return cents(total)


@dataclass(frozen=True)
class RoiPreset:
    """Inputs of the ROI calculator (a time-saving use case)."""

    name: str
    monthly_cost: Decimal
    units: Decimal  # units of work per month (e.g. tickets)
    hours_saved_per_unit: Decimal
    hourly_rate: Decimal
    initial_investment: Decimal | None = None
    months: int | None = None
    discount_rate: Decimal | None = None  # annual, as a fraction (0.10 = 10 %)

    @property
    def benefit(self) -> Decimal:
        return time_saved_benefit(self.units, self.hours_saved_per_unit, self.hourly_rate)

    def compute(self) -> RoiResult:
        return roi(self.benefit, self.monthly_cost, units=self.units,
                   initial_investment=self.initial_investment, months=self.months,
                   discount_rate=self.discount_rate)


# The seeds' example: a support chatbot costing 35,000/month handles 25,000 tickets a month, each
# saving 0.05 h of an agent at 50/h -> benefit 62,500, net 27,500, ROI 78.57 %, a 50,000 set-up
# paid back in 1.82 months. NPV over 12 months at 10 % a year.
SUPPORT_CHATBOT = RoiPreset(
    name="Support chatbot",
    monthly_cost=Decimal("35000"),
    units=Decimal("25000"),
    hours_saved_per_unit=Decimal("0.05"),
    hourly_rate=Decimal("50"),
    initial_investment=Decimal("50000"),
    months=12,
    discount_rate=Decimal("0.10"),
)

PRESETS: dict[str, RoiPreset] = {SUPPORT_CHATBOT.name: SUPPORT_CHATBOT}


def run_cost_month(as_of: date) -> str:
    """The last complete calendar month on or before ``as_of`` ("YYYY-MM"): the as-of month when
    as_of is its last day, else the month before."""
    if (as_of + timedelta(days=1)).month != as_of.month:
        return month_of(as_of)
    return month_of(previous_month(as_of)[0])


def run_cost_rows(index: UsageIndex, dimension: str, value: str, month: str) -> np.ndarray:
    """Positions of the usage rows behind ``usage_run_cost``: ``dimension`` matches ``value``
    and the row is dated in ``month``."""
    if dimension not in RUN_COST_DIMENSIONS:
        raise InputError(f"run cost by {dimension!r}: choose one of {', '.join(RUN_COST_DIMENSIONS)}",
                         column=dimension)
    if index.size == 0 or dimension not in index.frame.columns:
        return np.zeros(0, dtype=np.int64)
    start, end = month_bounds(month)
    return index.positions(index.mask(dimension, value) & index.dated(start, end))


@dataclass(frozen=True)
class UsageRunCost:
    dimension: str
    value: str
    month: str
    cost: Decimal  # cents, reporting currency
    rows: int


def usage_run_cost(index: UsageIndex, dimension: str, value: str, as_of: date) -> UsageRunCost:
    """Monthly run cost of a use case taken from the imported usage (module docstring)."""
    month = run_cost_month(as_of)
    pos = run_cost_rows(index, dimension, value, month)
    return UsageRunCost(dimension, str(value), month, micros_to_cents(index.micros(pos)), int(len(pos)))


def run_cost_values(index: UsageIndex, dimension: str) -> list[str]:
    """The values of ``dimension`` in the usage (one spelling per match key), in name order."""
    if dimension not in RUN_COST_DIMENSIONS:
        return []
    keys = index.codes(dimension)[2]
    return sorted((index.label(dimension, k) for k in keys), key=str.casefold)
