"""Calendar months, in one place: "YYYY-MM" <-> (first day, last day).

Budgets, chargeback, invoices (the month before an invoice date), explain and the pages all
read month bounds from here."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from desktop.domain.tables import FIRST_YEAR, LAST_YEAR

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def month_bounds(month: str) -> tuple[date, date]:
    """(first day, last day) of "YYYY-MM" (also "YYYY-M"); ValueError for anything else or a
    year outside FIRST_YEAR..LAST_YEAR."""
    mm = _MONTH.match(str(month))
    if not mm:
        raise ValueError(month)
    y, mo = int(mm.group(1)), int(mm.group(2))
    if not 1 <= mo <= 12 or not FIRST_YEAR <= y <= LAST_YEAR:
        raise ValueError(month)
    return date(y, mo, 1), date(y, mo, calendar.monthrange(y, mo)[1])


def month_of(day: date) -> str:
    """"YYYY-MM" of a date."""
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(day: date) -> tuple[date, date]:
    """(first day, last day) of the calendar month before the month of ``day``."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last
