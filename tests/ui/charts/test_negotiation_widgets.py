"""pytest-qt: the renewal workbench's charts draw a Negotiation built in their worker; hovering the
tornado reads an ask, clicking its bar emits the ask's key; the frontier's click emits a level."""

from __future__ import annotations

from decimal import Decimal as D
from types import SimpleNamespace as NS

import pytest

pytest.importorskip("pyqtgraph")

from desktop.ui.charts import AsksTornadoChart, FrontierChart
from tests.domain.test_negotiation_charts import _neg

ASKS = (
    NS(ask="overage_at_list", label="Overage multiplier 1.0", applicable=True, rank=1, delta_cost=D("-134830.23"),
       delta_p_shortfall=0.0),
    NS(ask="other_vendor_counts", label="Another vendor's spend counts", applicable=True, rank=2,
       delta_cost=D("116791.48"), delta_p_shortfall=-0.0815),
)


def _shown(qtbot, w):
    qtbot.addWidget(w)
    w.resize(700, 420)
    w.show()
    return w


def test_tornado_hover_and_click(qtbot):
    w = _shown(qtbot, AsksTornadoChart())
    with qtbot.waitSignal(w.built, timeout=30000):
        w.set_negotiation(_neg(ASKS))
    assert w.plot_item.getAxis("left").categories == ("Another vendor's spend counts", "Overage multiplier 1.0")
    assert w.hover_ask(1.1) == "Overage multiplier 1.0: saves 134,830.23; P(shortfall) 0.0 points"
    assert w.hover_ask(0.5) == ""  # between two bars: nothing
    r = w.bar_rect(0)
    with qtbot.waitSignal(w.pointsSelected) as sig:
        w.select_at(r.center().x(), r.center().y())
    assert sig.args == [["ask:other_vendor_counts"]]
    assert w.select_at(-50000.0, 0.0) is None  # left of zero beside a bar that goes right: no ask
    (x0, x1), (y0, y1) = w.view_box.viewRange()
    assert x0 < -134830.23 and x1 > 116791.48 and y0 < 0 < 1 < y1


def test_frontier_click_emits_the_level(qtbot):
    w = _shown(qtbot, FrontierChart())
    with qtbot.waitSignal(w.built, timeout=30000):
        w.set_negotiation(_neg(), "OAI (current terms)")
    assert w.data.kind == "frontier"
    with qtbot.waitSignal(w.pointsSelected) as sig:
        w.select_at(0.05, 1900000.0)
    assert sig.args == [["frontier:ANNUAL:1000000.00"]]
