"""The renewal calendar (desktop/domain/calendar.py; docs/domain.md "The calendar"): notice
deadline = term end - notice_days, by hand, and where it shows (the actions checklist)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from desktop.domain import tables
from desktop.domain.actions import build_findings, reconcile, why_resolved
from desktop.domain.calendar import NoticeDeadline, describe, notice_deadline, notice_deadlines
from desktop.domain.offers import Offer, OfferPeriod

M = 1_000_000


@pytest.mark.parametrize("term_end, days, deadline", [
    (date(2026, 12, 31), 60, date(2026, 11, 1)),  # 31 days of December + 29 of November
    (date(2026, 12, 31), 0, date(2026, 12, 31)),  # no notice: the term's last day
    (date(2028, 3, 31), 31, date(2028, 2, 29)),  # across a leap February's last day
    (date(2027, 3, 31), 31, date(2027, 2, 28)),  # the same in a common year
    (date(2028, 12, 31), 366, date(2027, 12, 31)),  # a leap year's 366 days back
    (date(2027, 2, 28), 365, date(2026, 2, 28)),
    (date(2026, 6, 30), 90, date(2026, 4, 1)),  # 30 (June) + 31 (May) + 29 days of April
])
def test_notice_deadline_by_hand(term_end, days, deadline):
    assert notice_deadline(term_end, days) == deadline


def test_an_offer_uses_the_one_formula():
    o = Offer("O", "V", (OfferPeriod(date(2027, 1, 1), date(2028, 2, 29), 0),), notice_days=29)
    assert o.notice_deadline == date(2028, 1, 31)


def frame(rows: list[dict]) -> pd.DataFrame:
    f = pd.DataFrame(rows)
    for c in ("period_start", "period_end"):
        f[c] = pd.to_datetime(f[c])
    f["commitment"] = 100 * M
    return tables.conform(f, "commitments")


SCHEDULE = [
    {"contract_id": "A", "vendor": "OpenAI", "period_start": "2026-01-01", "period_end": "2026-06-30"},
    {"contract_id": "A", "vendor": "OpenAI", "period_start": "2026-07-01", "period_end": "2026-12-31",
     "notice_days": 60.0, "owner": "Maya"},  # the term's notice_days on its second period only
    {"contract_id": "B", "vendor": "Anthropic", "period_start": "2026-01-01", "period_end": "2026-09-30",
     "notice_days": 30.0},
    {"contract_id": "C", "vendor": "Cohere", "period_start": "2026-01-01", "period_end": "2026-12-31"},  # none
    {"contract_id": "P", "vendor": "OpenAI", "period_start": "2027-01-01", "period_end": "2027-12-31",
     "notice_days": 90.0, "status": "proposed"},  # an offer: no deadline yet
    {"contract_id": "E", "vendor": "Mistral", "period_start": "2026-01-01", "period_end": "2026-12-31",
     "notice_days": 30.0, "status": "expired"},  # over
    {"contract_id": "Z", "vendor": "Google", "period_start": "2025-01-01", "period_end": "2025-12-31",
     "notice_days": 30.0},  # the term ended before T
]


def test_which_contracts_and_days_left():
    got = notice_deadlines(frame(SCHEDULE), date(2026, 9, 15))
    assert got == (
        # B: 2026-09-30 - 30 = 2026-08-31, passed 15 days ago while the term still runs
        NoticeDeadline("B", "Anthropic", date(2026, 9, 30), 30, date(2026, 8, 31), -15, None),
        # A: 2026-12-31 - 60 = 2026-11-01, 47 days after 2026-09-15
        NoticeDeadline("A", "OpenAI", date(2026, 12, 31), 60, date(2026, 11, 1), 47, "Maya"),
    )
    assert [describe(d) for d in got] == ["15 days ago", "in 47 days"]


class _A:  # the fields of Analysis build_findings reads for notice deadlines
    def __init__(self, as_of):
        self.as_of, self.currency, self.settings = as_of, "USD", None
        self.budgets = self.contracts = self.invoices = self.anomalies = ()
        self.notice_deadlines = notice_deadlines(frame(SCHEDULE[:2]), as_of)


@pytest.mark.parametrize("as_of, severity", [
    (date(2026, 9, 1), None),  # 61 days ahead: not yet
    (date(2026, 9, 2), "medium"),  # 60 days ahead
    (date(2026, 10, 17), "medium"),  # 15 days ahead
    (date(2026, 10, 18), "high"),  # 14 days ahead
    (date(2026, 11, 1), "high"),  # the day itself
    (date(2026, 11, 2), None),  # passed
])
def test_the_checklist_lists_a_deadline_60_days_ahead(as_of, severity):
    found = [f for f in build_findings(_A(as_of)) if f.kind == "notice"]
    if severity is None:
        assert found == []
        return
    (f,) = found
    assert (f.key, f.severity, f.owner, f.due, f.title) == (
        "notice:A:2026-12-31", severity, "Maya", date(2026, 11, 1), "Give notice or renew A (OpenAI) by 2026-11-01")


def test_a_passed_deadline_resolves_by_data_and_keeps_what_a_person_set():
    import dataclasses

    opened, _ = reconcile({}, build_findings(_A(date(2026, 10, 1))), date(2026, 10, 1), None)
    (a,) = opened
    a = dataclasses.replace(a, status="in_progress", assigned_owner="Ravi", notes="asked legal")
    later = _A(date(2026, 11, 2))
    changed, _ = reconcile({a.key: a}, build_findings(later), date(2026, 11, 2), date(2026, 10, 1),
                           why=lambda k: why_resolved(k, later))
    (b,) = changed
    assert (b.resolution, b.resolution_reason) == (
        "data", "resolved by data of 2026-11-02: the notice deadline 2026-11-01 has passed")
    assert (b.status, b.assigned_owner, b.notes) == ("in_progress", "Ravi", "asked legal")
