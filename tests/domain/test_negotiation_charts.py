"""The renewal workbench's chart data (desktop.domain.charts.negotiation): what a hand-made
Negotiation holds is drawn where it belongs, nothing recomputed."""

from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace as NS

from desktop.domain import charts, palette


def _neg(asks=()):
    offers = NS(offers=(NS(offer="OAI (current terms)"), NS(offer="ANNUAL"), NS(offer="QTR")))
    frontier = (
        # offer, commitment, discount, cost, p, offered (levels given out of order on purpose)
        NS(offer="ANNUAL", commitment=D("1200000.00"), discount_pct=16.0, expected_cost=D("1950000.00"),
           p_shortfall=0.30, offered=False),
        NS(offer="ANNUAL", commitment=D("1000000.00"), discount_pct=16.0, expected_cost=D("1900000.00"),
           p_shortfall=0.05, offered=False),
        NS(offer="ANNUAL", commitment=D("1100000.00"), discount_pct=16.0, expected_cost=D("1908981.35"),
           p_shortfall=0.0815, offered=True),
        NS(offer="QTR", commitment=D("900000.00"), discount_pct=None, expected_cost=D("2038269.04"),
           p_shortfall=0.0965, offered=False),
        NS(offer="QTR", commitment=D("1080000.00"), discount_pct=None, expected_cost=D("2005564.95"),
           p_shortfall=0.152, offered=True),
        NS(offer="OAI (current terms)", commitment=D("760000.00"), discount_pct=12.0,
           expected_cost=D("2123652.63"), p_shortfall=0.0895, offered=True),
    )
    recommended = (
        NS(offer="OAI (current terms)", commitment=D("760000.00"), expected_cost=D("2123652.63"), p_shortfall=0.0895,
           best=False),
        NS(offer="ANNUAL", commitment=D("1100000.00"), expected_cost=D("1908981.35"), p_shortfall=0.0815, best=True),
        NS(offer="QTR", commitment=None, expected_cost=None, p_shortfall=None, best=False),
    )
    return NS(vendor="OpenAI", currency="USD", limit_pct=10.0, offers=offers, frontier=frontier,
              recommended=recommended, selected="ANNUAL", asks=tuple(asks))


def test_frontier_draws_each_offers_levels_in_order_of_p_shortfall():
    d = charts.frontier(_neg(), current="OAI (current terms)")
    assert d.kind == "frontier" and d.x_kind == "ratio"
    annual = d.get("levels:ANNUAL")
    assert annual.x.tolist() == [0.05, 0.0815, 0.30]
    assert annual.y.tolist() == [1900000.0, 1908981.35, 1950000.0]
    assert annual.refs.keys == ("frontier:ANNUAL:1000000.00", "frontier:ANNUAL:1100000.00",
                                "frontier:ANNUAL:1200000.00")
    assert annual.notes[1] == "commit 1,100,000.00 at 16% off (as offered)"
    assert d.get("levels:QTR").notes[0] == "commit 900,000.00"  # no single discount: none shown
    # the current contract grey and not labelled '(current)' twice
    cur = d.get("levels:OAI (current terms)")
    assert cur.color == palette.DARK_GREY and cur.label == "OAI (current terms)"
    assert d.get("levels:ANNUAL").color != d.get("levels:QTR").color
    # the levels as offered: one diamond per offer, in its colour
    off = d.get("offered")
    assert off.x.tolist() == [0.0895, 0.0815, 0.152]
    assert off.point_colors == (palette.DARK_GREY, d.get("levels:ANNUAL").color, d.get("levels:QTR").color)
    # the recommendations: offers with a level within the limit only
    rec = d.get("recommended")
    assert rec.x.tolist() == [0.0895, 0.0815] and rec.y.tolist() == [2123652.63, 1908981.35]
    assert rec.notes[1] == "ANNUAL: recommended commit 1,100,000.00 (best)"
    (limit,) = d.markers
    assert limit.x == 0.10 and limit.label == "P(shortfall) limit 10.0%"
    assert d.extra["caption"].startswith("Best: ANNUAL at commit 1,100,000.00, expected cost 1,908,981.35 "
                                         "with P(shortfall) 8.2%")
    # the readout names the hovered P(shortfall) as a percent
    assert charts.readout_text(d, 0.0815).startswith("P(shortfall) in any period 8.2% · ")


def test_frontier_without_any_level_within_the_limit_says_so():
    n = _neg()
    n.recommended = tuple(NS(offer=r.offer, commitment=None, expected_cost=None, p_shortfall=None, best=False)
                          for r in n.recommended)
    d = charts.frontier(n)
    assert not d.has("recommended")
    assert d.extra["caption"] == "No commit level of any offer keeps P(shortfall) at most 10.0%"


def test_tornado_puts_rank_one_on_top_and_leaves_out_asks_that_do_not_apply():
    asks = (
        NS(ask="overage_at_list", label="Overage multiplier 1.0", applicable=True, rank=1,
           delta_cost=D("-134830.23"), delta_p_shortfall=0.0),
        NS(ask="discount_plus_2", label="Discount +2 points", applicable=True, rank=2,
           delta_cost=D("-47931.23"), delta_p_shortfall=0.013),
        NS(ask="other_vendor_counts", label="Another vendor's spend counts", applicable=True, rank=3,
           delta_cost=D("116791.48"), delta_p_shortfall=-0.0815),
        NS(ask="flatter_ramp", label="Flatter ramp", applicable=False, rank=None, delta_cost=None,
           delta_p_shortfall=None),
    )
    d = charts.asks_tornado(_neg(asks))
    assert d.categories == ("Another vendor's spend counts", "Discount +2 points", "Overage multiplier 1.0")
    (s,) = d.series
    assert s.x.tolist() == [0.0, 1.0, 2.0]
    assert s.y.tolist() == [116791.48, -47931.23, -134830.23]
    assert s.point_colors == (palette.VERMILLION, palette.BLUISH_GREEN, palette.BLUISH_GREEN)
    assert s.refs.keys == ("ask:other_vendor_counts", "ask:discount_plus_2", "ask:overage_at_list")
    assert s.notes[0] == "costs 116,791.48; P(shortfall) -8.2 points"
    assert s.notes[1] == "saves 47,931.23; P(shortfall) +1.3 points"
    assert d.title == "What each ask is worth · ANNUAL"


def test_tornado_of_no_priced_asks_is_empty():
    d = charts.asks_tornado(_neg())
    assert d.series == () and d.categories == () and d.extra["empty_text"] == "No priced asks for this offer."
    assert d.swatches == ()
