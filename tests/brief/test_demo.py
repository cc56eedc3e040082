"""The brief of the real demo workspace: every money cell equals the analyze JSON to the cent."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from desktop.brief import write_brief
from desktop.domain import vocabulary
from desktop.domain.report import to_json
from desktop.domain.settings import Settings

from .readback import label_values, load, money, table


@pytest.fixture(scope="module")
def demo(demo_analysis):
    data = write_brief(demo_analysis)
    return demo_analysis, json.loads(to_json(demo_analysis)), load(data)


def _d(s: str | None) -> Decimal | None:
    return None if s is None else Decimal(s)


def _m(v) -> Decimal | None:
    return None if v is None else money(v)


def test_contracts_and_periods_equal_the_json(demo):
    a, js, wb = demo
    rows = table(wb["Exposure"], "Exposure")
    rates = table(wb["Exposure"], "ExposureRates")
    assert [r["Contract"] for r in rows] == [r["Contract"] for r in rates] == [c["contract_id"] for c in js["contracts"]]
    assert len(rows) >= 2
    for r, rr, c in zip(rows, rates, js["contracts"], strict=True):
        for h, k in (("Commitment", "commitment"), ("Consumed to date", "consumed_to_date"),
                     ("Expected to date", "expected_to_date"),
                     ("Projected consumption", "projected_consumption"),
                     ("Shortfall exposure", "shortfall_exposure"), ("Overage", "overage"),
                     ("Overage premium", "overage_premium")):
            assert _m(r[h]) == _d(c[k]), (c["contract_id"], k)
        for h, k in (("Run rate / day", "run_rate"), ("Required run rate / day", "required_run_rate")):
            assert _m(rr[h]) == _d(c[k]), (c["contract_id"], k)
        assert r["Band"] == (vocabulary.BANDS.labels[c["band"]] if c["band"] else None)
        assert (r["Pacing"] is None) == (c["pacing_ratio"] is None)
        if r["Pacing"] is not None:
            assert r["Pacing"] == pytest.approx(c["pacing_ratio"], abs=5e-7)
    periods = table(wb["Pacing"], "Pacing")
    flat = [(c["contract_id"], p) for c in js["contracts"] for p in c["periods"]]
    assert len(periods) == len(flat)
    for r, (cid, p) in zip(periods, flat, strict=True):
        assert r["Contract"] == cid and r["Period start"].date().isoformat() == p["period_start"]
        for h, k in (("Commitment", "commitment"), ("Carry in", "carry_in"), ("Consumed", "consumed"),
                     ("Expected", "expected"), ("Projected", "projected"), ("Shortfall", "shortfall"),
                     ("Carry out", "carry_out"), ("Shortfall penalty", "shortfall_penalty"),
                     ("Overage", "overage"), ("Overage premium", "overage_premium")):
            assert _m(r[h]) == _d(p[k]), (cid, p["period_start"], k)


def test_invoices_budgets_anomalies_equal_the_json(demo):
    a, js, wb = demo
    inv = table(wb["Invoices"], "Invoices")
    assert [r["Invoice"] for r in inv] == [i["invoice_id"] for i in js["invoices"]]
    for r, i in zip(inv, js["invoices"], strict=True):
        for h, k in (("Invoiced (excl. tax)", "invoiced"), ("Expected (usage)", "expected"),
                     ("Variance", "variance"), ("Tax", "tax"), ("Premium leakage", "premium_leakage")):
            assert _m(r[h]) == _d(i[k]), (i["invoice_id"], k)
        assert r["Status"] == vocabulary.INVOICE_STATUSES.labels[i["status"]]
    flags = table(wb["Invoices"], "FlaggedLines")
    jflags = [(i["invoice_id"], f) for i in js["invoices"] for f in i["flags"]]
    assert len(flags) == len(jflags) > 0
    for r, (iid, f) in zip(flags, jflags, strict=True):
        assert (r["Invoice"], r["Line"], r["Flag"], r["Owner"]) == (
            iid, f["line"], vocabulary.LINE_FLAGS.labels[f["flag"]], f["owner"])
        assert money(r["Leakage"]) == Decimal(f["leakage"])
    bud = table(wb["Budgets"], "Budgets")
    assert [(r["Allocation"], r["Month"]) for r in bud] == [(b["allocation"], b["month"]) for b in js["budgets"]]
    for r, b in zip(bud, js["budgets"], strict=True):
        for h, k in (("Budget", "budget"), ("Actual", "actual"), ("Forecast", "forecast"), ("Variance", "variance")):
            assert _m(r[h]) == _d(b[k]), (b["allocation"], b["month"], k)
        assert (r["Severity"], r["Alert tier"]) == (vocabulary.SEVERITIES.labels[b["severity"]],
                                                    vocabulary.ALERT_TIERS.labels[b["alert_tier"]])
    an = table(wb["Anomalies"], "Anomalies")
    assert [(r["Dimension"], r["Value"], r["Date"].date().isoformat(), money(r["Spend"])) for r in an] == [
        (vocabulary.ANOMALY_DIMENSIONS.labels[x["dimension"]], x["value"], x["date"], Decimal(x["spend"]))
        for x in js["anomalies"]]


def test_summary_totals_are_sums_of_the_json(demo):
    a, js, wb = demo
    ws = wb["Summary"]
    kpi = label_values(ws, 1, 3)
    assert money(kpi["Total commitment"]) == sum(Decimal(c["commitment"]) for c in js["contracts"])
    assert money(kpi["Shortfall exposure"]) == sum(Decimal(c["shortfall_exposure"]) for c in js["contracts"])
    assert money(kpi["Overage premium"]) == sum(Decimal(c["overage_premium"]) for c in js["contracts"])


def test_chargeback_journal_adds_up(demo):
    a, js, wb = demo
    rows = table(wb["Chargeback"], "Chargeback")
    assert len(rows) == len(a.chargeback)
    assert sum(money(r["Amount"]) for r in rows) == sum(x.amount for x in a.chargeback)
    assert money(wb["Chargeback"]["D3"].value) == sum(x.amount for x in a.chargeback)


def test_burn_up_reaches_the_contract_figures(demo):
    """The Data sheet's cumulative consumption on the as-of date is the contract's consumed to
    date, and its projection at the term end the projected consumption (both within a cent per
    period, since contract figures sum rounded period figures)."""
    a, js, wb = demo
    rows = table(wb["Data"], "DailyBurnUp")
    for c in a.contracts:
        mine = [r for r in rows if r["Contract"] == c.contract_id]
        last_actual = [r for r in mine if r["Consumed (cumulative)"] is not None][-1]
        tol = Decimal("0.01") * len(c.periods)
        assert abs(money(last_actual["Consumed (cumulative)"]) - c.consumed_to_date) <= tol
        assert money(mine[-1]["Expected (burn line)"]) == c.commitment
        if c.term_end >= a.as_of:
            assert abs(money(mine[-1]["Projected (run rate)"]) - c.projected_consumption) <= tol


def test_an_independent_reader_opens_every_sheet(demo_analysis):
    """python-calamine (Rust, not openpyxl) reads every sheet, including the streamed raw rows."""
    import io

    from python_calamine import CalamineWorkbook

    data = write_brief(demo_analysis, raw_usage=True)
    wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert wb.sheet_names[:3] == ["Summary", "Pacing", "Burn by month"] and wb.sheet_names[-1] == "Usage rows"
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python()
        assert rows, name
    raw = wb.get_sheet_by_name("Usage rows").to_python()
    assert len(raw) == len(demo_analysis.usage) + 1
    total = sum(Decimal(repr(r[2])) for r in raw[1:])
    assert total * 1_000_000 == int(demo_analysis.usage["cost"].sum())


def test_ended_contract_shows_its_outcome_not_a_band(demo):
    """AZ-2025-EA ended on 2026-09-30 (T = 2026-11-15) at 352,096.62 of 380,000.00: a pacing
    band would say on pace (92.7 %), but 380,000.00 - 352,096.62 = 27,903.38 is owed (no
    rollover, 100 % penalty)."""
    a, js, wb = demo
    (az,) = [c for c in a.contracts if c.contract_id == "AZ-2025-EA"]
    assert az.commitment - az.consumed_to_date == Decimal("27903.38")
    text = "ended: shortfall 27,903.38 owed"
    (row,) = [r for r in table(wb["Exposure"], "Exposure") if r["Contract"] == "AZ-2025-EA"]
    assert (row["Band"], row["Outcome"]) == (None, text)
    (row,) = [r for r in table(wb["Summary"], "SummaryContracts") if r["Contract"] == "AZ-2025-EA"]
    assert row["Pace"] == "Ended: shortfall 27,903.38 owed"
    # its penalty is incurred (the term ended), not at stake
    assert (money(row["Incurred shortfall"]), money(row["Avoidable shortfall"])) == (
        Decimal("27903.38"), Decimal("0.00"))
    (period,) = [r for r in table(wb["Pacing"], "Pacing") if r["Contract"] == "AZ-2025-EA"]
    assert (period["Band"], period["Outcome"]) == (None, text)
    # the analyze JSON carries the same field
    (jaz,) = [c for c in js["contracts"] if c["contract_id"] == "AZ-2025-EA"]
    assert (jaz["band"], jaz["outcome"], jaz["outcome_text"]) == (None, "ended_shortfall", text)
    assert [(p["band"], p["outcome_text"]) for p in jaz["periods"]] == [(None, text)]
    summary = [c.value for row in wb["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(s.startswith("AZ-2025-EA (Azure OpenAI) ended its term on 2026-09-30") and
               s.endswith(": shortfall 27,903.38 owed.") for s in summary)


def test_page_one_first_line_is_the_largest_money_at_stake(demo):
    """The demo's largest money at stake is ANT-2026-ANNUAL's avoidable shortfall: the projected
    penalties of its periods that have not ended (from the JSON, summed here)."""
    a, js, wb = demo
    rows = table(wb["Summary"], "SummaryAtStake")
    stakes = [Decimal(x["at_stake"]) for x in js["actions"]]
    assert money(rows[0]["At stake"]) == max(stakes)
    (ant,) = [c for c in js["contracts"] if c["contract_id"] == "ANT-2026-ANNUAL"]
    avoidable = sum(Decimal(p["shortfall_penalty"]) for p in ant["periods"] if p["outcome"] is None)
    assert avoidable > 0 and money(rows[0]["At stake"]) == avoidable
    assert rows[0]["What is at stake"] == "Avoidable shortfall penalty"
    assert rows[0]["Owner"] and rows[0]["Due"] is not None
    got = [money(r["At stake"]) for r in rows]
    assert got == sorted(got, reverse=True)
    assert money(wb["Summary"]["C5"].value) == sum(stakes)  # every action is open in a fresh brief
    # closed budget months are history: no finding, no action
    assert not [x for x in js["actions"] if x["kind"] == "budget" and x["key"].rsplit(":", 1)[1] < js["as_of"][:7]]


def test_reconciliation_sheet_bridge_adds_up_and_journal_balances(demo):
    """Read back: usage - accrual + billing difference = invoiced; consumed = the contracts'
    consumption; the journal's debits equal its credits to the cent and its debits are the
    chargeback lines of the month no invoice covers (the demo's 2026-11)."""
    a, js, wb = demo
    ws = wb["Reconciliation"]
    kv = {}
    for row in ws.iter_rows(min_col=1, max_col=2):
        if isinstance(row[0].value, str) and isinstance(row[1].value, (int, float)):
            kv.setdefault(row[0].value, money(row[1].value))
    usage = kv["Usage up to the as-of date (every usage row)"]
    assert usage == sum(Decimal(x["amount"]) for x in js["chargeback"])
    assert kv["= Consumed against commitments (eligible)"] == sum(Decimal(c["consumed_to_date"])
                                                                   for c in js["contracts"])
    assert usage + kv["less usage not drawing down a commitment"] == kv["= Consumed against commitments (eligible)"]
    covered = usage + kv["less usage not yet invoiced (accrual)"]
    assert covered == kv["= Usage covered by invoices"]
    assert covered + kv["plus billing difference (invoiced - covered usage; see Invoices)"] == \
        kv["= Invoiced (excl. tax)"] == sum(Decimal(i["invoiced"]) for i in js["invoices"])
    rows = table(ws, "AccrualJournal")
    debits = [money(r["Debit"]) for r in rows if r["Debit"] is not None]
    credits = [money(r["Credit"]) for r in rows if r["Credit"] is not None]
    assert sum(debits) == sum(credits) == -kv["less usage not yet invoiced (accrual)"] > 0
    nov = [x for x in js["chargeback"] if x["month"] == "2026-11"]
    assert not any(x["invoice_ids"] for x in nov)
    assert sorted(debits) == sorted(Decimal(x["amount"]) for x in nov)
    (bal,) = [r for r in ws.iter_rows() if r[0].value == "Balance (debits - credits)"]
    assert bal[2].value == 0


def test_burn_by_month_ends_where_the_contract_figures_are(demo):
    a, js, wb = demo
    rows = table(wb["Burn by month"], "BurnByMonth")
    for c in js["contracts"]:
        mine = [r for r in rows if r["Contract"] == c["contract_id"]]
        observed = [r for r in mine if r["Consumed to date"] is not None]
        assert money(observed[-1]["Consumed to date"]) == Decimal(c["consumed_to_date"])
        # each month is its rows rounded once: the months add up within a cent per month
        months = sum(money(r["Consumed in month"]) for r in observed)
        assert abs(months - Decimal(c["consumed_to_date"])) <= Decimal("0.01") * len(observed)
        assert money(mine[-1]["Expected to date (burn line)"]) == Decimal(c["commitment"])


def test_sources_block_names_each_file_with_its_hash_rows_and_dates(demo_analysis):
    """SHA-256 as the caller hashed the files; rows and date coverage read from the CSV here."""
    import csv
    import hashlib
    from datetime import datetime

    from desktop.resources import demo_files

    files = dict(demo_files())
    hashes = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in files.values()}
    wb = load(write_brief(demo_analysis, sections=["summary"], file_hashes=hashes))
    rows = {r["File"]: r for r in table(wb["Summary"], "SummarySources")}
    assert set(rows) == set(hashes)
    for name, digest in hashes.items():
        assert rows[name]["SHA-256"] == digest
    with open(files["usage"], newline="", encoding="utf-8") as fh:
        dates = [r["date"] for r in csv.DictReader(fh)]
    u = rows["usage.csv"]
    assert u["Rows"] == len(dates) and u["Table"] == "Usage"
    assert (u["From"], u["To"]) == (datetime.fromisoformat(min(dates)), datetime.fromisoformat(max(dates)))
    labels = [c.value for row in wb["Summary"].iter_rows(min_col=1, max_col=1) for c in row]
    assert labels[-3:] == ["Prepared by", "Reviewed by", "Approved by"]
    # without hashes the block says so rather than leaving it blank
    plain = table(load(write_brief(demo_analysis, sections=["summary"]))["Summary"], "SummarySources")
    assert {r["SHA-256"] for r in plain} == {"not recorded"}


_FILE_NAME = re.compile(r"\S+\.(?:csv|xlsx|json|parquet)\b", re.IGNORECASE)


def _internal_keys(wb) -> list[tuple[str, str, str]]:
    """(sheet, cell, key) for every vocabulary key a reader would see: a snake_case key
    (shortfall_risk, in_progress, rate_card ...) anywhere in a text cell (file names aside: a
    file may be called rate_card.csv), a cell that is exactly a key whose label differs ('open',
    'ended', 'team', 'EffectiveCost'), any settings field name, or a docs/ path."""
    keys = {k for voc in vocabulary.VOCABULARIES for k in voc} | set(vocabulary.SETTINGS)
    snake = sorted(k for k in keys if "_" in k)
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, snake)) + r")(?![A-Za-z0-9])")
    whole = {k for k in keys if vocabulary.label(k) != k} | set(vocabulary.SETTINGS)
    found = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if not isinstance(c.value, str) or c.data_type != "s":
                    continue
                text = _FILE_NAME.sub("", c.value)
                hits = set(pattern.findall(text)) | ({c.value} & whole)
                if "docs/" in c.value:
                    hits.add("docs/")
                found += [(ws.title, c.coordinate, h) for h in sorted(hits)]
    return found


def test_no_internal_key_in_any_cell(demo):
    """Human labels everywhere (desktop/domain/vocabulary.py): band, status, flag, severity,
    tier, dimension, basis, resolution, table and setting names as a reader says them."""
    a, js, wb = demo
    assert _internal_keys(wb) == []
    # the scan finds what it looks for: a brief with a raw key in it fails
    wb["Pacing"]["A1"].value = "on_pace"
    wb["Budgets"]["A1"].value = "open"
    wb["Assumptions"]["A1"].value = "see docs/domain.md; tier hard_cap"
    assert sorted(h for _, _, h in _internal_keys(wb)) == ["docs/", "hard_cap", "on_pace", "open"]


def test_every_setting_has_a_label():
    import dataclasses

    names = [f.name for f in dataclasses.fields(Settings())]
    assert list(vocabulary.SETTINGS) == names
    assert all(vocabulary.SETTINGS.labels[n] and "_" not in vocabulary.SETTINGS.labels[n] for n in names)


def test_summary_lists_the_notice_deadlines_of_the_json(demo):
    _, d, wb = demo
    rows = table(wb["Summary"], "SummaryNotice")
    # OAI-2026-RAMP: 2026-12-31 - 30 days = 2026-12-01, 16 days after 2026-11-15; ANT: 2027-02-28 - 60
    assert [(r["Contract"], r["Notice deadline"].date().isoformat(), r["Days left at 2026-11-15"]) for r in rows] == [
        ("OAI-2026-RAMP", "2026-12-01", 16), ("ANT-2026-ANNUAL", "2026-12-30", 45)]
    assert [(n["contract_id"], n["deadline"], n["days_left"]) for n in d["notice_deadlines"]] == [
        ("OAI-2026-RAMP", "2026-12-01", 16), ("ANT-2026-ANNUAL", "2026-12-30", 45)]
