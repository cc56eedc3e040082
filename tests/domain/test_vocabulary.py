"""desktop.domain.vocabulary: one place for every enumerated vocabulary and its labels."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest

from desktop.domain import palette, vocabulary
from desktop.domain.vocabulary import (
    ACTION_STATUSES,
    ALERT_TIERS,
    BANDS,
    INVOICE_STATUSES,
    LINE_FLAGS,
    PERIOD_STATUSES,
    SEVERITIES,
    VOCABULARIES,
)

ROOT = Path(__file__).resolve().parents[2] / "desktop"


def test_labels():
    assert BANDS.label("shortfall_risk") == "Shortfall risk"
    assert vocabulary.label("in_progress") == "In progress"
    assert vocabulary.label("wont_fix") == "Won't fix"
    assert vocabulary.label("hard_cap") == "Hard cap"
    assert vocabulary.label("something_new") == "Something new"  # not in a vocabulary: in words
    assert vocabulary.label(None) == "" and vocabulary.band_label(None) == "No pace yet"
    assert list(BANDS) == ["shortfall_risk", "shortfall_watch", "on_pace", "overage_watch", "overage_risk"]
    assert pickle.loads(pickle.dumps(BANDS)) == BANDS and pickle.loads(pickle.dumps(BANDS)).labels == BANDS.labels


@pytest.mark.parametrize("voc", VOCABULARIES, ids=lambda v: v.name)
def test_every_key_has_a_label_and_one_spelling(voc):
    assert len(set(voc)) == len(voc) and set(voc.labels) == set(voc)
    for key in voc:
        assert voc.labels[key] and vocabulary.LABELS[key] == voc.labels[key]


def test_palette_colours_every_key_the_domain_can_show():
    for key in BANDS:
        assert palette.band_color(key) != palette.GREY
    for key in ALERT_TIERS[:-1]:
        assert key in palette.TIER_COLORS
    for key in SEVERITIES:
        assert key in palette.SEVERITY_COLORS
    for key in INVOICE_STATUSES:
        assert key in palette.INVOICE_STATUS_COLORS


def test_the_demo_analysis_speaks_only_the_vocabulary():
    from desktop.domain.analysis import build_analysis
    from desktop.domain.inputs import Inputs
    from desktop.ingest import read_file
    from desktop.resources import demo_files

    inputs = Inputs()
    for kind, path in demo_files().items():
        r = read_file(path, kind)
        inputs = inputs.add(r.kind, r.frame, r.report)
    a = build_analysis(inputs)
    assert {c.band for c in a.contracts} - {None} <= set(BANDS)
    assert {p.status for c in a.contracts for p in c.periods} <= set(PERIOD_STATUSES)
    assert {p.band for c in a.contracts for p in c.periods} - {None} <= set(BANDS)
    assert {x.outcome for c in a.contracts for x in (c, *c.periods)} - {None} <= set(vocabulary.OUTCOMES)
    assert {b.severity for b in a.budgets} <= set(SEVERITIES) and {b.alert_tier for b in a.budgets} <= set(ALERT_TIERS)
    assert {i.status for i in a.invoices} <= set(INVOICE_STATUSES)
    assert {f.flag for i in a.invoices for f in i.flags} <= set(LINE_FLAGS)
    assert {f.kind for f in a.findings} <= set(vocabulary.FINDING_KINDS)
    assert {f.severity for f in a.findings} <= set(vocabulary.ACTION_SEVERITIES)
    assert {w.basis for w in a.workload_shift} <= set(vocabulary.SHIFT_BASES)
    assert {x.dimension for x in a.anomalies} <= set(vocabulary.ANOMALY_DIMENSIONS)
    # the demo exercises most of each vocabulary (so the checks above are not vacuous)
    assert len({c.band for c in a.contracts}) >= 3 and len({i.status for i in a.invoices}) >= 2


# a tuple literal of three or more keys of one vocabulary, written out anywhere but vocabulary.py
_SPELLED = {voc.name: re.compile(r"\(\s*" + r"\s*,\s*".join(f'"{k}"' for k in voc[:3]))
            for voc in (BANDS, SEVERITIES, vocabulary.ACTION_SEVERITIES, ALERT_TIERS, INVOICE_STATUSES, LINE_FLAGS, ACTION_STATUSES,
                        vocabulary.LINE_TYPES, vocabulary.BUDGET_DIMENSIONS, vocabulary.AS_OF_MODES)}


# usage columns a FOCUS tag may feed (a choice of columns, not the budget dimensions)
_NOT_A_COPY = {("ingest/formats/util.py", "budget dimension")}


def test_no_vocabulary_is_written_out_twice():
    found = []
    for path in ROOT.rglob("*.py"):
        if path.name == "vocabulary.py":
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(ROOT)}: {name}" for name, rx in _SPELLED.items()
                  if rx.search(text) and (str(path.relative_to(ROOT)), name) not in _NOT_A_COPY]
    assert found == []
