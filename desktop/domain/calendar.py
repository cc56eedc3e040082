"""The renewal calendar (docs/domain.md "Offers" > "The calendar"): each contract's notice deadline.

The one place of the formula: notice deadline = term end - notice_days calendar days (the last
day to give notice or renew; notice_days 0 = the term's last day). ``notice_deadline`` is it;
``notice_deadlines`` selects the contracts it is shown for and is the one list Overview, the
actions checklist (``NOTICE_LEAD_DAYS`` ahead), the brief and the analyze JSON read
(``Analysis.notice_deadlines``).

Which contracts: the active contracts (status active; proposed ones are offers, expired ones are
over) whose term has not ended at T (term end >= T) and which give notice_days (a contract has one
value: desktop/domain/validation.py). days_left = deadline - T (0 on the day, negative once it has
passed while the term still runs). Order: deadline, then contract_id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# the actions checklist lists a notice deadline from this many days before it (to the day itself),
# high within NOTICE_HIGH_DAYS, else medium
NOTICE_LEAD_DAYS = 60
NOTICE_HIGH_DAYS = 14


@dataclass(frozen=True)
class NoticeDeadline:
    contract_id: str
    vendor: str
    term_end: date
    notice_days: int
    deadline: date  # term_end - notice_days
    days_left: int  # deadline - as_of: negative once passed
    owner: str | None = None

    @property
    def passed(self) -> bool:
        return self.days_left < 0


def notice_deadline(term_end: date, notice_days: int) -> date:
    """The last day to give notice: ``term_end`` minus ``notice_days`` calendar days."""
    return term_end - timedelta(days=int(notice_days))


def _first(values) -> object | None:
    import numpy as np
    import pandas as pd

    for v in values:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            continue
        if isinstance(v, str) and not v.strip():
            continue
        return v
    return None


def notice_deadlines(commitments, as_of: date) -> tuple[NoticeDeadline, ...]:
    """The notice deadlines of the running active contracts at ``as_of`` (module docstring)."""
    import pandas as pd

    from desktop.domain.contracts import statuses

    if commitments is None or commitments.empty or "notice_days" not in commitments.columns:
        return ()
    com = commitments[statuses(commitments) == "active"]
    if com.empty:
        return ()
    com = com.sort_values(["contract_id", "period_start"], kind="mergesort")
    out = []
    for cid, grp in com.groupby(com["contract_id"].astype(str), sort=True):
        days = _first(grp["notice_days"].tolist())
        if days is None:
            continue
        term_end = pd.Timestamp(grp["period_end"].max()).date()
        if term_end < as_of:
            continue
        deadline = notice_deadline(term_end, int(days))
        owner = _first(grp["owner"].tolist()) if "owner" in grp.columns else None
        out.append(NoticeDeadline(contract_id=str(cid), vendor=str(grp["vendor"].iloc[0]), term_end=term_end,
                                  notice_days=int(days), deadline=deadline, days_left=(deadline - as_of).days,
                                  owner=None if owner is None else str(owner).strip()))
    return tuple(sorted(out, key=lambda d: (d.deadline, d.contract_id)))


def due_for_action(d: NoticeDeadline) -> bool:
    """The checklist lists the deadline from NOTICE_LEAD_DAYS days before it to the day itself."""
    return 0 <= d.days_left <= NOTICE_LEAD_DAYS


def describe(d: NoticeDeadline) -> str:
    """'in 12 days', 'today', '3 days ago' (the days left as a person reads them)."""
    if d.days_left == 0:
        return "today"
    if d.days_left > 0:
        return f"in {d.days_left} day{'s' if d.days_left != 1 else ''}"
    return f"{-d.days_left} day{'s' if d.days_left != -1 else ''} ago"


__all__ = ["NOTICE_HIGH_DAYS", "NOTICE_LEAD_DAYS", "NoticeDeadline", "describe", "due_for_action", "notice_deadline",
           "notice_deadlines"]
