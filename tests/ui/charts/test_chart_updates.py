"""What a recompute costs a chart on the GUI thread (issue 19 point 3): a band's fill is one
path built from its arrays; a legend whose entries did not change is kept as it is."""

from __future__ import annotations

from dataclasses import replace

import pytest

pytest.importorskip("pyqtgraph")

from PySide6 import QtCore

from desktop.ui.charts import BurnUpChart
from desktop.ui.charts.base import _band_path
from tests.ui.charts.test_chart_widgets import demo, feed, show  # noqa: F401 (the demo fixture)


def test_a_band_path_covers_exactly_the_area_between_its_edges():
    path = _band_path([0.0, 1.0, 2.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0])
    assert path.boundingRect() == QtCore.QRectF(0.0, 0.0, 2.0, 3.0)
    assert path.contains(QtCore.QPointF(1.0, 1.5)) and path.contains(QtCore.QPointF(1.9, 1.5))
    assert not path.contains(QtCore.QPointF(1.0, 2.5))  # above the upper edge at x = 1
    assert not path.contains(QtCore.QPointF(0.1, -0.5))  # below the lower edge
    # points with a missing value are left out; nothing at all is an empty path
    assert _band_path([0.0, 1.0, 2.0], [0.0, float("nan"), 0.0], [1.0, 1.0, 1.0]).boundingRect().width() == 2.0
    assert _band_path([], [], []).isEmpty()


def test_a_burn_up_redrawn_with_the_same_entries_keeps_its_legend(qtbot, demo):  # noqa: F811
    c = next(c for c in demo.contracts if c.term_end > demo.as_of)
    w = show(qtbot, BurnUpChart())
    feed(qtbot, w, "set_analysis", demo, c.contract_id)
    labels = [label for _s, label in w.legend.items]
    fills = {name: band[2] for name, band in w._bands.items()}
    assert fills and all(not f.path().isEmpty() for f in fills.values())
    w.set_data(w.data)  # a recompute that changed no entry
    assert [label for _s, label in w.legend.items] == labels  # the same label items: not rebuilt
    assert {name: band[2] for name, band in w._bands.items()} == fills
    # a changed entry rebuilds it
    renamed = replace(w.data, bands=(replace(w.data.bands[0], label="Renamed band"), *w.data.bands[1:]))
    w.set_data(renamed)
    assert "Renamed band" in [label.text for _s, label in w.legend.items]
