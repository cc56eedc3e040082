"""The figures of page 1: the brief's Summary sheet, the PDF summary and the printed summary
all read ``page_one(analysis, actions, today)``, so no view sums the money at stake or counts
overdue actions by itself (docs/domain.md "Money at stake").

Everything here is read from its owner: the money per action from the findings
(``actions.ranked_by_stake``), the per-kind totals from ``actions.stake_by_kind``, incurred vs
avoidable from ``portfolio``, overdue from ``Action.overdue``, ended budget months from
``actions.closed_month``. This module only selects and adds those figures up, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from desktop.domain.actions import Action, StakedAction, closed_month, ranked_by_stake, stake_by_kind
from desktop.domain.portfolio import ContractStake, Portfolio, contract_stake, portfolio
from desktop.domain.results import Analysis, ContractResult

TOP_AT_STAKE = 12  # rows of the money-at-stake ranking on page 1
_ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PageOne:
    portfolio: Portfolio
    ranked: list[StakedAction]  # open actions, the largest money at stake first
    total_at_stake: Decimal  # sum of the open actions' money at stake
    by_kind: dict[str, Decimal]  # stake kind -> money, largest first (kinds with money only)
    open_actions: list[Action]
    overdue: list[Action]  # open actions due before ``today``
    top: list[StakedAction]  # the first TOP_AT_STAKE of ``ranked``
    rest_count: int  # open actions ranked below the top
    rest_at_stake: Decimal  # their money at stake
    contracts: list[tuple[ContractResult, ContractStake]]  # in the analysis' order
    open_budget_over: int  # budget lines of months not yet ended, severity high or medium
    open_budget_capped: int  # ... at hard stop / hard cap
    today: date  # the day overdue is judged against


def page_one(analysis: Analysis, actions: list[Action], today: date, top: int = TOP_AT_STAKE) -> PageOne:
    """Page 1's figures for ``actions`` (the checklist) judged on ``today``."""
    ranked = ranked_by_stake(actions, analysis.findings)
    open_actions = [a for a in actions if a.is_open]
    head, rest = ranked[:top], ranked[top:]
    live_budgets = [b for b in analysis.budgets if not closed_month(b.month, analysis.as_of)]
    return PageOne(
        portfolio=portfolio(analysis),
        ranked=ranked,
        total_at_stake=sum((x.at_stake for x in ranked), _ZERO),
        by_kind=stake_by_kind(ranked),
        open_actions=open_actions,
        overdue=[a for a in open_actions if a.overdue(today)],
        top=head,
        rest_count=len(rest),
        rest_at_stake=sum((x.at_stake for x in rest), _ZERO),
        contracts=[(c, contract_stake(c)) for c in analysis.contracts],
        open_budget_over=sum(b.severity in ("high", "medium") for b in live_budgets),
        open_budget_capped=sum(b.alert_tier in ("hard_stop", "hard_cap") for b in live_budgets),
        today=today,
    )
