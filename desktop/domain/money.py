"""Exact money.

Conventions (docs/domain.md, "Money representation"):

* In canonical tables every money column is ``int64`` **micros**: 10**-6 of the currency unit.
  Source values with more than six decimals are rounded half-up to micros once, at import.
  Integer sums are exact; ``money_sum`` guards against int64 overflow.
* Every money figure in a result is a ``Decimal`` rounded half-up to cents (``cents()``).
  A contract figure that "sums the periods" is the sum of the rounded period figures, so the
  parts shown always add up to the total shown.
* Floats appear only in ratios and in chart coordinates.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import numpy as np

MICROS = 1_000_000
_D_MICROS = Decimal(MICROS)
CENT = Decimal("0.01")
MICRO = Decimal("0.000001")
ZERO = Decimal("0.00")
# int64 sums are only trusted when no overflow is possible
_INT64_MAX = np.iinfo(np.int64).max


class MoneyError(ValueError):
    """A value that cannot be read as an amount of money."""


def cents(value: Decimal | int | str) -> Decimal:
    """Round half-up to two decimals."""
    if not isinstance(value, Decimal):
        value = Decimal(value)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_micros(value: Decimal | int | str) -> int:
    """Decimal (currency units) -> integer micros, half-up. Floats are refused on purpose."""
    if isinstance(value, float):
        raise TypeError("floats are not money; pass a Decimal or a string")
    try:
        d = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(f"not an amount: {value!r}") from exc
    if not d.is_finite():
        raise MoneyError(f"not a finite amount: {value!r}")
    return int((d * _D_MICROS).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_micros(micros: int | np.integer) -> Decimal:
    """Integer micros -> exact Decimal in currency units (not rounded to cents)."""
    return Decimal(int(micros)) / _D_MICROS


def micros_to_cents(micros: int | np.integer) -> Decimal:
    return cents(from_micros(micros))


def money_sum(values) -> int:
    """Exact integer sum of an int64 micros array/Series (no silent int64 wrap-around)."""
    arr = np.asarray(values, dtype=np.int64)
    if arr.size == 0:
        return 0
    bound = int(np.abs(arr).max()) * int(arr.size)
    if bound < _INT64_MAX:
        return int(arr.sum())
    return sum(int(x) for x in arr.tolist())


def fmt_money(value: Decimal | None) -> str | None:
    """JSON spelling: two decimals, no thousands separator, or None."""
    if value is None:
        return None
    return f"{cents(value):.2f}"


def fmt_money_human(value: Decimal | None, currency: str = "USD") -> str:
    """Readable spelling for text reports: 1,234.50 USD."""
    if value is None:
        return "n/a"
    return f"{cents(value):,.2f} {currency}"


def ratio(num: Decimal | int, den: Decimal | int) -> float | None:
    """num/den as a float, None when den is zero."""
    if den == 0:
        return None
    return float(Decimal(num) / Decimal(den))


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
