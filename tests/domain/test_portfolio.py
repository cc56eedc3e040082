"""Portfolio totals (desktop/domain/portfolio.py), hand-computed."""

from __future__ import annotations

from datetime import date

from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.domain.portfolio import portfolio
from desktop.domain.settings import Settings
from tests.domain.test_contracts import D, commitments, usage


def test_totals_across_contracts_hand_computed():
    c = commitments([
        dict(contract_id="A", vendor="OpenAI", period_start="2026-01-01", period_end="2026-01-10", commitment=1000,
             shortfall_penalty_pct=100),
        dict(contract_id="B", vendor="Anthropic", period_start="2026-01-01", period_end="2026-01-20",
             commitment=2000, shortfall_penalty_pct=50),
    ])
    u = usage([dict(date="2026-01-01", vendor="OpenAI", cost=300), dict(date="2026-01-05", vendor="Anthropic",
                                                                         cost=150.25)])
    a = build_analysis(Inputs(usage=u, commitments=c), Settings(renewal_paths=10), date(2026, 1, 5))
    k = portfolio(a)
    # A: 5 of 10 days -> expected 500.00; B: 5 of 20 days -> 500.00
    assert (k.contracts, k.commitment, k.consumed, k.expected) == (2, D("3000.00"), D("450.25"), D("1000.00"))
    assert k.pacing == float(D("450.25") / D("1000.00"))
    assert k.shortfall_exposure == sum((x.shortfall_exposure for x in a.contracts), D("0"))
    assert k.shortfall_exposure > 0 and k.contracts_with_penalty == 2
    assert (k.invoices, k.invoiced, k.premium_leakage, k.flagged_lines) == (0, D("0.00"), D("0.00"), 0)
