"""The brief's Negotiation sheet: the workbench's Negotiation written with human labels, live
formulas for the deterministic parts (their cached values the engine's figures), and, through
LibreOffice, recalculated back to the same numbers; a changed limit cell moves the recommended
level to where the engine puts it under that limit."""

from __future__ import annotations

import dataclasses
import io
import math
from decimal import Decimal

import openpyxl
import pytest

from desktop.brief import SECTIONS, write_brief
from desktop.brief.negotiation import NONE_WITHIN, negotiations_for

from . import fixtures as fx
from .conftest import need_soffice, soffice_convert_many

OFFERS = """contract_id,vendor,period_start,period_end,commitment,currency,discount_pct,overage_multiplier,shortfall_penalty_pct,rollover_pct,status,fulfilment,shortfall_treatment,notice_days
T-ANNUAL,OpenAI,2027-01-01,2027-12-31,1100000.00,USD,16,1.20,100,0,proposed,period,penalty,60
T-QTR,OpenAI,2027-01-01,2027-03-31,240000.00,USD,14,1.25,100,25,proposed,period,penalty,60
T-QTR,OpenAI,2027-04-01,2027-06-30,260000.00,USD,14,1.25,100,25,proposed,period,penalty,60
T-QTR,OpenAI,2027-07-01,2027-09-30,280000.00,USD,14,1.25,100,25,proposed,period,penalty,60
T-QTR,OpenAI,2027-10-01,2027-12-31,300000.00,USD,14,1.25,100,25,proposed,period,penalty,60
"""


@pytest.fixture(scope="module")
def offered(tmp_path_factory):
    """The demo data with two OpenAI offers of our own, its OpenAI Negotiation, and the brief's
    Negotiation sheet (written from the same analysis)."""
    from desktop.domain.analysis import build_analysis
    from desktop.ingest import load_inputs
    from desktop.resources import demo_files

    p = tmp_path_factory.mktemp("offers") / "offers.csv"
    p.write_text(OFFERS, encoding="utf-8")
    a = build_analysis(load_inputs([*demo_files().items(), ("commitments", p)]))
    negs = negotiations_for(a)
    neg = next(n for n in negs if n.vendor == "OpenAI")
    data = write_brief(a, sections=["negotiation"], negotiations=[neg])
    return a, neg, data


def _find(ws, text: str, col: int = 1) -> int:
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, col).value == text:
            return r
    raise AssertionError(f"{text!r} not in column {col} of {ws.title}")


def test_the_section_is_registered_after_renewal():
    assert SECTIONS.index("negotiation") == SECTIONS.index("renewal") + 1


def test_offers_side_by_side_are_the_negotiations_figures(offered):
    _a, neg, data = offered
    wb = openpyxl.load_workbook(io.BytesIO(data))
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    ws, wc = wb["Negotiation"], cached["Negotiation"]
    heads = [ws.cell(8, c).value for c in range(1, 14)]
    assert heads == ["Offer", "Expected list spend", "Expected cost", "Savings vs list", "Cost vs current contract",
                     "P(shortfall)", "Exp. shortfall penalty", "Exp. overage premium", "CVaR-95 of cost",
                     "Break-even growth / month", "Recommended commitment", "Its expected cost", "Notice deadline"]
    offers = list(neg.offers.offers)
    assert offers[0].offer.endswith("(current terms)")  # the current contract first
    for i, o in enumerate(offers):
        r = 9 + i
        assert ws.cell(r, 1).value == o.offer
        assert Decimal(str(ws.cell(r, 2).value)) == o.expected_list_spend
        assert Decimal(str(ws.cell(r, 3).value)) == o.expected_cost
        assert ws.cell(r, 4).value == f"=ROUND(B{r}-C{r},2)"
        assert Decimal(str(wc.cell(r, 4).value)) == o.savings_vs_list
        assert ws.cell(r, 5).value == f"=ROUND(C{r}-$C$9,2)"
        assert Decimal(repr(wc.cell(r, 5).value)).quantize(Decimal("0.01")) == o.expected_cost - offers[0].expected_cost
        assert ws.cell(r, 6).value == o.p_shortfall
        assert Decimal(str(ws.cell(r, 9).value)) == o.cvar95_cost
        rec = next(x for x in neg.recommended if x.offer == o.offer)
        k = wc.cell(r, 11).value
        assert k == (NONE_WITHIN if rec.commitment is None else float(rec.commitment))
        assert ws.cell(r, 11).value.startswith("=IFERROR(INDEX($B$")
    be = {b.offer: b for b in neg.break_even}
    for i, o in enumerate(offers):
        b = be[o.offer]
        v = ws.cell(9 + i, 10).value
        assert v == (b.growth if b.status == "found" else {"always": "always beats list",
                                                             "loses": "never beats list"}[b.status])
    best = next(x for x in neg.recommended if x.best)
    r = _find(ws, "Best offer: the least expected cost at its recommended level")
    assert wc.cell(r, 2).value == best.offer
    assert Decimal(str(wc.cell(r + 1, 2).value)) == best.expected_cost
    assert float(ws["B6"].value) == neg.limit_pct / 100  # the limit: an input cell


def test_priced_asks_with_human_labels_and_live_changes(offered):
    _a, neg, data = offered
    ws = openpyxl.load_workbook(io.BytesIO(data))["Negotiation"]
    wc = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["Negotiation"]
    hr = _find(ws, "Ask")
    base = 9 + [o.offer for o in neg.offers.offers].index(neg.selected)
    for i, x in enumerate(neg.asks):
        r = hr + 1 + i
        assert ws.cell(r, 1).value == x.label and "_" not in x.label
        if x.applicable:
            assert ws.cell(r, 2).value == x.rank
            assert ws.cell(r, 4).value == f"=ROUND(C{r}-$C${base},2)"
            assert Decimal(repr(wc.cell(r, 4).value)).quantize(Decimal("0.01")) == x.delta_cost
            assert ws.cell(r, 6).value == f"=E{r}-$F${base}"
            assert math.isclose(wc.cell(r, 6).value, x.delta_p_shortfall, abs_tol=1e-12)
            assert ws.cell(r, 7).value == x.detail
        else:
            assert ws.cell(r, 3).value is None and ws.cell(r, 7).value == f"Does not apply: {x.detail}"
    assert ws.cell(hr - 1, 1).value.startswith(f"Priced asks for {neg.selected}:")


def test_no_offers_says_so_and_a_vendor_that_cannot_be_compared_says_why(offered):
    a, _neg, _data = offered
    plain = fx.analysis()  # the brief tests' hand-made data: no proposed contract
    assert negotiations_for(plain) == []
    ws = openpyxl.load_workbook(io.BytesIO(write_brief(plain, sections=["negotiation"])))["Negotiation"]
    assert ws["A4"].value.startswith("No offers in the workspace")
    # an overlay whose model the vendor never used: the sheet says why, the rest is written
    bad = {"kind": "model_migration", "vendor": "OpenAI", "start": "2027-01-01", "model": "no-such-model",
           "share_pct": "50", "price_pct": "40"}
    ws = openpyxl.load_workbook(io.BytesIO(write_brief(a, sections=["negotiation"], overlays=[bad])))["Negotiation"]
    r = _find(ws, "OpenAI: the offers cannot be compared")
    assert "no-such-model" in ws.cell(r + 1, 1).value


@pytest.mark.slow
def test_libreoffice_recalculates_the_sheet_to_the_engines_figures(offered, tmp_path, lo_profile):
    """Every formula recalculated by LibreOffice equals its cached value (the engine's figure);
    with the limit cell set to 20 % the recommended levels and the best offer are the engine's
    under a 20 % limit."""
    need_soffice()
    from desktop.domain.negotiation import build_negotiation
    from desktop.domain.offers import offers_from_commitments

    a, neg, data = offered
    src = tmp_path / "neg.xlsx"
    src.write_bytes(data)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["Negotiation"]["B6"].value = 0.20
    edited = tmp_path / "neg-20.xlsx"
    wb.save(edited)
    outs = soffice_convert_many([src, edited], "xlsx", tmp_path / "out", lo_profile)
    ours = openpyxl.load_workbook(io.BytesIO(data))["Negotiation"]
    cached = openpyxl.load_workbook(io.BytesIO(data), data_only=True)["Negotiation"]
    theirs = openpyxl.load_workbook(outs[0], data_only=True)["Negotiation"]
    n = 0
    for row in ours.iter_rows():
        for c in row:
            if c.data_type == "f":
                n += 1
                ov, tv = cached[c.coordinate].value, theirs[c.coordinate].value
                if isinstance(ov, (int, float)):
                    assert isinstance(tv, (int, float)) and math.isclose(ov, tv, abs_tol=1e-9), (c.coordinate, ov, tv)
                else:
                    assert ov == tv, (c.coordinate, ov, tv)
    assert n > 20
    # the limit moved to 20 %: the engine's answer under that setting
    settings = dataclasses.replace(a.settings, renewal_shortfall_limit_pct=20.0)
    offers = [o for o in offers_from_commitments(a.inputs.commitments) if o.vendor == "OpenAI"]
    at20 = build_negotiation(a, offers, vendor="OpenAI", settings=settings, as_of=a.as_of, selected=neg.selected)
    moved = openpyxl.load_workbook(outs[1], data_only=True)["Negotiation"]
    changed = 0
    for i, o in enumerate(neg.offers.offers):
        rec = next(x for x in at20.recommended if x.offer == o.offer)
        want = NONE_WITHIN if rec.commitment is None else float(rec.commitment)
        assert moved.cell(9 + i, 11).value == want, o.offer
        changed += want != cached.cell(9 + i, 11).value
    assert changed, "a 20 % limit moves at least one recommendation (else the check shows nothing)"
    best = next(x for x in at20.recommended if x.best)
    r = _find(ours, "Best offer: the least expected cost at its recommended level")
    assert moved.cell(r, 2).value == best.offer
    assert Decimal(repr(moved.cell(r + 1, 2).value)).quantize(Decimal("0.01")) == best.expected_cost


