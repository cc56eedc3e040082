"""Offers are contracts (docs/domain.md "Offers"): status proposed in the commitments table, read
back as Offers by offers_from_commitments, never drawing down usage; expired contracts are
history."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pandas as pd
import pytest

from desktop.domain import tables, validation
from desktop.domain.contracts import assign_contracts, contract_results
from desktop.domain.errors import InputError
from desktop.domain.offers import OfferPeriod, next_term, offers_from_commitments, offers_from_rows
from desktop.domain.usage_index import UsageIndex

M = 1_000_000


def com(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for c in ("period_start", "period_end"):
        frame[c] = pd.to_datetime(frame[c])
    frame["commitment"] = (frame["commitment"] * M).astype("int64")
    return tables.conform(frame, "commitments")


def usage(rows: list[tuple[str, str, float, str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame([{"date": pd.Timestamp(d), "vendor": v, "cost": int(c * M), "contract_id": cid}
                          for d, v, c, cid in rows])
    out = tables.conform(frame, "usage")
    out["_ai"] = True
    return out


def period(cid, start, end, commitment, vendor="OpenAI", status="active", **terms):
    return {"contract_id": cid, "vendor": vendor, "period_start": start, "period_end": end,
            "commitment": commitment, "status": status, **terms}


# --- offers_from_commitments ----------------------------------------------------------------------

SCHEDULE = [
    # the running contract: 2026 in quarters, 25,000 each at 10 % off
    *[period("OAI-2026", s, e, 25_000, discount_pct=10.0, notice_days=60.0)
      for s, e in (("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30"),
                   ("2026-10-01", "2026-12-31"))],
    # an older, ended contract of the vendor: not the current one
    period("OAI-2025", "2025-01-01", "2025-12-31", 80_000, status="expired"),
    # offer B (annual, credit) starts with offer A but sorts after it by id
    period("OAI-B", "2027-01-01", "2027-12-31", 110_000, status="proposed", discount_pct=18.0,
           shortfall_treatment="credit", fulfilment="term", notice_days=90.0),
    # offer A: two half-years, rollover 20 % capped at 5,000 for 2 periods; the terms on one row only
    period("OAI-A", "2027-01-01", "2027-06-30", 45_000, status="proposed", discount_pct=15.0, rollover_pct=20.0,
           rollover_cap=5000.0, rollover_expiry_periods=2.0),
    period("OAI-A", "2027-07-01", "2027-12-31", 60_000, status="proposed", discount_pct=17.5, rollover_pct=20.0),
    period("ANT-X", "2027-02-01", "2028-01-31", 30_000, vendor="Anthropic", status="proposed"),
]


def test_offers_of_a_vendor_with_the_current_contract_first():
    offers = offers_from_commitments(com(SCHEDULE), vendor="openai")
    assert [o.name for o in offers] == ["OAI-2026 (current terms)", "OAI-A", "OAI-B"]
    cur, a, b = offers
    # the current contract renewed as is: 2026's quarters moved by its 12 whole months
    assert [(p.start, p.end, p.commitment, p.discount_pct) for p in cur.periods] == [
        (date(2027, 1, 1), date(2027, 3, 31), D("25000.00"), 10.0),
        (date(2027, 4, 1), date(2027, 6, 30), D("25000.00"), 10.0),
        (date(2027, 7, 1), date(2027, 9, 30), D("25000.00"), 10.0),
        (date(2027, 10, 1), date(2027, 12, 31), D("25000.00"), 10.0)]
    assert (cur.vendor, cur.notice_days, cur.notice_deadline) == ("OpenAI", 60, date(2027, 11, 1))
    # offer A: terms given on its first row hold for the offer; per-period discount (a ramp)
    assert [(p.start, p.end, p.commitment, p.discount_pct) for p in a.periods] == [
        (date(2027, 1, 1), date(2027, 6, 30), D("45000.00"), 15.0),
        (date(2027, 7, 1), date(2027, 12, 31), D("60000.00"), 17.5)]
    assert (a.rollover_cap, a.rollover_expiry_periods, a.fulfilment, a.shortfall_treatment, a.notice_days) == (
        D("5000.00"), 2, "period", "penalty", None)
    assert (b.fulfilment, b.shortfall_treatment, b.notice_deadline) == ("term", "credit", date(2027, 10, 2))


def test_every_vendor_and_without_the_current_contract():
    offers = offers_from_commitments(com(SCHEDULE))
    assert [o.name for o in offers] == ["ANT-X", "OAI-2026 (current terms)", "OAI-A", "OAI-B"]  # Anthropic has
    # no active contract, so no current terms
    assert [o.name for o in offers_from_commitments(com(SCHEDULE), include_current=False)] == [
        "ANT-X", "OAI-A", "OAI-B"]
    assert offers_from_commitments(com(SCHEDULE), vendor="Mistral") == []
    # no offer: nothing, not even the current contract
    assert offers_from_commitments(com(SCHEDULE[:5]), vendor="OpenAI") == []


def test_next_term_in_days_when_a_period_is_not_whole_months():
    # 2026-01-15..2026-07-14 (181 days) and 2026-07-15..2027-01-14 (184 days): the term is 365 days
    ps = (OfferPeriod(date(2026, 1, 15), date(2026, 7, 14), D("1")), OfferPeriod(date(2026, 7, 15),
                                                                                  date(2027, 1, 14), D("2")))
    assert [(p.start, p.end) for p in next_term(ps)] == [(date(2027, 1, 15), date(2027, 7, 14)),
                                                         (date(2027, 7, 15), date(2028, 1, 14))]
    # whole months across a leap February: 2027-12-01..2028-02-29 (3 months) -> 2028-03-01..2028-05-31
    assert [(p.start, p.end) for p in next_term((OfferPeriod(date(2027, 12, 1), date(2028, 2, 29), D("1")),))] == [
        (date(2028, 3, 1), date(2028, 5, 31))]


# --- proposed rows never draw down usage ----------------------------------------------------------

def test_a_proposed_contract_draws_down_nothing():
    schedule = com([period("A", "2026-01-01", "2026-12-31", 1200),
                    period("P", "2026-07-01", "2027-06-30", 1200, status="proposed")])
    rows = usage([("2026-08-01", "OpenAI", 100.0, None), ("2026-09-01", "OpenAI", 7.0, "P"),
                  ("2026-03-01", "OpenAI", 50.0, None)])
    # were P active, the newer contract would take the August row; proposed, it takes nothing, and
    # the row naming it draws down no contract
    assert assign_contracts(rows, schedule).tolist() == ["A", pd.NA, "A"]
    active = schedule.assign(status="active")
    assert assign_contracts(rows, active).tolist() == ["P", "P", "A"]
    rows["_contract"] = assign_contracts(rows, schedule)
    (a,) = contract_results(UsageIndex(rows), schedule, date(2026, 9, 30))
    assert (a.contract_id, a.consumed_to_date, a.status) == ("A", D("150.00"), "active")


def test_an_expired_contract_keeps_its_ended_periods_and_gives_way_to_an_active_one():
    schedule = com([period("A", "2026-01-01", "2026-12-31", 1200),
                    period("E", "2026-03-01", "2026-03-31", 80, status="expired"),
                    period("E", "2026-04-01", "2026-05-31", 100, status="expired")])
    rows = usage([("2026-03-10", "OpenAI", 30.0, None), ("2026-03-11", "OpenAI", 20.0, "E"),
                  ("2026-04-02", "OpenAI", 5.0, None)])
    # active, E (the newer start) would take the unnamed March and April rows; expired, A takes them
    assert assign_contracts(rows, schedule.assign(status="active")).tolist() == ["E", "E", "E"]
    assert assign_contracts(rows, schedule).tolist() == ["A", "E", "A"]
    rows["_contract"] = assign_contracts(rows, schedule)
    # on 2026-04-30 only E's March has ended: E is that period, as an ended term (80 committed, 20
    # drawn: shortfall 60 owed at 100 %), no band; its April-May period is not in its figures
    a, e = contract_results(UsageIndex(rows), schedule, date(2026, 4, 30))
    assert (e.contract_id, e.status, e.band, e.term_end, e.commitment, e.consumed_to_date) == (
        "E", "expired", None, date(2026, 3, 31), D("80.00"), D("20.00"))
    assert (e.outcome, e.shortfall_exposure) == ("ended_shortfall", D("60.00"))
    assert a.consumed_to_date == D("35.00")
    # before any of its periods ended an expired contract has no figures at all
    assert [c.contract_id for c in contract_results(UsageIndex(rows), schedule, date(2026, 3, 30))] == ["A"]


# --- one validation layer -------------------------------------------------------------------------

def test_status_and_terms_rules():
    assert validation.check_row("commitments", "status", "Proposed") is None
    assert validation.check_row("commitments", "status", "draft") == "status must be one of active, proposed, expired"
    assert validation.check_row("commitments", "notice_days", "30") is None
    assert validation.check_row("commitments", "notice_days", "-1") is not None
    assert validation.check_row("commitments", "rollover_cap", "-0.01") == "a rollover cap cannot be negative"
    # a proposed contract is a spend commitment; an active one may be usage
    usage_row = {"committed_quantity": 5, "unit": "1M tokens"}
    assert validation.check_row("commitments", "commitment_category", "usage", {**usage_row, "status": "proposed"}) \
        == validation.OFFER_SPEND
    assert validation.check_row("commitments", "commitment_category", "usage", {**usage_row, "status": "active"}) \
        is None
    # an offer file refuses usage rows whatever their status cell says
    assert validation.check_row("offers", "commitment_category", "usage", {**usage_row, "status": "active"}) \
        == validation.OFFER_SPEND


def test_one_status_and_one_value_of_each_term_per_contract():
    frame = com([period("P", "2027-01-01", "2027-06-30", 10, status="proposed", notice_days=30.0),
                 period("P", "2027-07-01", "2027-12-31", 10, status="proposed"),  # blank: the other's
                 period("Q", "2027-01-01", "2027-06-30", 10, status="proposed"),
                 period("Q", "2027-07-01", "2027-12-31", 10, status="active")])
    problems = validation.validate_frame("commitments", frame)
    assert [(p.row, p.column, p.message) for p in problems] == [
        (5, "status", "contract Q: status differs between its periods (proposed, active); a contract has one")]


def test_offer_file_usage_rows_are_refused_with_file_row_and_column():
    rows = pd.DataFrame([{"contract_id": "X", "vendor": "OpenAI", "period_start": "2027-01-01",
                          "period_end": "2027-12-31", "commitment": "100"},
                         {"contract_id": "Y", "vendor": "OpenAI", "period_start": "2027-01-01",
                          "period_end": "2027-12-31", "commitment": "100", "commitment_category": "usage",
                          "committed_quantity": "5", "unit": "1M tokens"}], dtype=object)
    with pytest.raises(InputError) as exc:
        offers_from_rows(rows, file="offers.csv")
    assert (exc.value.file, exc.value.row, exc.value.column) == ("offers.csv", 3, "commitment_category")
    assert "spend commitment" in exc.value.message
    # without an offer column, contract_id names the offer
    assert [o.name for o in offers_from_rows(rows.iloc[:1])] == ["X"]


def test_the_analysis_reads_no_proposed_row():
    from desktop.domain.analysis import build_analysis
    from desktop.domain.inputs import Inputs

    schedule = com([period("A", "2026-01-01", "2026-12-31", 36_500),
                    period("P", "2026-06-01", "2027-05-31", 1_000_000, status="proposed")])
    rows = usage([("2026-06-10", "OpenAI", 10.0, None)]).drop(columns="_ai")
    a = build_analysis(Inputs(commitments=schedule, usage=rows), as_of=date(2026, 6, 30))
    # P would be far behind its pace (a shortfall action); proposed, it is in no figure and no finding
    assert [c.contract_id for c in a.contracts] == ["A"] and a.contracts[0].consumed_to_date == D("10.00")
    assert not [f for f in a.findings if "P" in f.key.split(":")]
    assert (a.inputs.commitments["contract_id"] == "P").any()  # the workspace's rows are all kept
