"""The Usage page's anomaly shading (desktop/domain/anomalies.py ``anomalous_rows``): one
vectorised pass over the usage index's codes, the same rows as the union of each anomaly's own
selector (``anomaly_rows``)."""

from __future__ import annotations

import numpy as np

from desktop.domain.analysis import build_analysis
from desktop.domain.anomalies import anomalous_rows, anomaly_rows
from desktop.domain.settings import Settings
from desktop.ingest.core import load_inputs
from desktop.resources import demo_files


def test_the_anomaly_mask_is_the_union_of_each_anomalys_rows():
    a = build_analysis(load_inputs(demo_files()), Settings(anomaly_z=2.0), renewal=[])
    assert len(a.anomalies) > 3 and len({x.dimension for x in a.anomalies}) == 3
    mask = anomalous_rows(a.index, a.anomalies)
    union = np.zeros(a.index.size, dtype=bool)
    for x in a.anomalies:
        union[anomaly_rows(a.index, x)] = True
    assert union.any() and np.array_equal(mask, union)
    # one anomaly alone selects exactly its own rows
    one = a.anomalies[0]
    assert np.array_equal(np.flatnonzero(anomalous_rows(a.index, [one])), anomaly_rows(a.index, one))
    assert not anomalous_rows(a.index, []).any()
