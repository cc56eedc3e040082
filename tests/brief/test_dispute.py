"""The dispute pack (desktop/brief/dispute.py): one workbook per vendor-period with the lines, the
flags with rule, leakage and owner, the rows behind expected, the rate card rows and the sources."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from desktop.brief.dispute import vendor_period, write_dispute_pack
from desktop.domain.analysis import build_analysis
from desktop.domain.errors import InputError
from desktop.domain.inputs import Inputs
from desktop.domain.settings import Settings
from tests.domain.test_contracts import usage
from tests.domain.test_invoices import invoices, rate_card

JUNE = dict(period_start="2026-06-01", period_end="2026-06-30", vendor="Anthropic")


def _analysis():
    u = usage([dict(date="2026-06-05", vendor="Anthropic", model="claude", cost=1000),
               dict(date="2026-06-25", vendor="Anthropic", model="claude", cost=2000),
               dict(date="2026-06-25", vendor="OpenAI", model="gpt-4o", cost=999)], file="anthropic.csv")
    inv = invoices([dict(JUNE, invoice_id="ANT-0601", invoice_date="2026-07-01", description="=claude tokens",
                         amount=3000),
                    dict(JUNE, invoice_id="ANT-0601-R", invoice_date="2026-07-15", description="claude tokens",
                         amount=3000),
                    dict(JUNE, invoice_id="ANT-0601-R", invoice_date="2026-07-15", line_type="tax", description="VAT",
                         amount=120),
                    dict(JUNE, invoice_id="ANT-0601-R", invoice_date="2026-07-15", line_type="tax", description="VAT",
                         amount=120),
                    dict(invoice_id="OA-1", vendor="OpenAI", invoice_date="2026-07-02", amount=999, **{
                        k: v for k, v in JUNE.items() if k != "vendor"})])
    rc = rate_card([dict(vendor="Anthropic", model="claude", contracted_price=3.0, effective_from="2026-01-01"),
                    dict(vendor="Anthropic", model="claude", contracted_price=2.5, effective_from="2026-08-01"),
                    dict(vendor="OpenAI", model="gpt-4o", contracted_price=1.0)])
    return build_analysis(Inputs(usage=u, invoices=inv, rate_card=rc), Settings(), date(2026, 7, 20))


def _sheet(wb, name):
    ws = wb[name]
    return [tuple(row) for row in ws.iter_rows(values_only=True)]


def test_the_pack_holds_the_vendor_period_its_flags_rows_and_sources(tmp_path):
    a = _analysis()
    out = write_dispute_pack(a, ["ANT-0601-R"], tmp_path / "pack.xlsx", {"inv.csv": "ab" * 32})
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Flags", "Invoice lines", "Usage rows", "Rate audit", "Rate card", "Sources"]
    summary = _sheet(wb, "Summary")
    assert summary[0][0] == "Dispute pack: Anthropic, billing period 2026-06-01..2026-06-30"
    kpi = {r[0]: r[1] for r in summary[3:10]}
    # usage 1,000 + 2,000; invoiced 3,000 + 3,000; leakage: double billing 3,000 + duplicated tax 120
    assert (kpi["Usage of the period (expected)"], kpi["Invoiced over the period (excl. tax)"],
            kpi["Leakage flagged"]) == (3000, 6000, 3120)
    inv_rows = [r for r in summary if r[0] in ("ANT-0601", "ANT-0601-R")]
    assert [(r[0], r[4], r[8], r[9]) for r in inv_rows] == [("ANT-0601", 3000, "within tolerance", 0),
                                                            ("ANT-0601-R", 0, "overbilled", 3120)]
    flags = _sheet(wb, "Flags")[3:]
    assert [(r[0], r[3], r[5], r[8]) for r in flags] == [("ANT-0601-R", "double_billing", 3000, "ANT-0601"),
                                                         ("ANT-0601-R", "duplicate_line", 120, None)]
    assert flags[0][4].startswith("The vendor-period was already billed")
    lines = _sheet(wb, "Invoice lines")[3:]
    assert [(r[0], r[2], r[6], r[14], r[15]) for r in lines] == [
        ("ANT-0601", 2, "=claude tokens", 3000, None), ("ANT-0601-R", 3, "claude tokens", 3000, None),
        ("ANT-0601-R", 4, "VAT", 120, None), ("ANT-0601-R", 5, "VAT", 120, "duplicate_line")]
    # a text starting with "=" stays text (no formula)
    assert wb["Invoice lines"]["G4"].data_type == "s"
    usage_rows = _sheet(wb, "Usage rows")[3:]
    # the two Anthropic rows behind ANT-0601's expected (the OpenAI row is not in the pack)
    assert [(r[0], r[1], r[-2], r[-1]) for r in usage_rows] == [("anthropic.csv", 2, 1000, "ANT-0601, ANT-0601-R"),
                                                                ("anthropic.csv", 3, 2000, "ANT-0601, ANT-0601-R")]
    card = _sheet(wb, "Rate card")[3:]
    assert [(r[1], r[6]) for r in card] == [(2, 3.0)]  # the August row is not valid in June
    assert _sheet(wb, "Rate audit")[4][0] == "no token usage with a model in the billing period"
    sources = {(r[0], r[1]): r for r in _sheet(wb, "Sources")[4:]}
    assert sources[("invoices", "inv.csv")][2:5] == ("ab" * 32, 4, 5)
    assert sources[("usage", "anthropic.csv")][2] == "not available (not read from a file here)"
    assert sources[("usage", "anthropic.csv")][3:] == (2, 3, datetime(2026, 6, 5), datetime(2026, 6, 25))


def test_one_pack_per_vendor_period():
    a = _analysis()
    assert [i.invoice_id for i in vendor_period(a, ["ANT-0601"])] == ["ANT-0601", "ANT-0601-R"]
    with pytest.raises(InputError, match="belong to 2 vendor-periods"):
        vendor_period(a, ["ANT-0601", "OA-1"])
    with pytest.raises(InputError, match="no invoice 'NOPE'"):
        vendor_period(a, ["NOPE"])


def test_the_pack_shows_the_rate_audit_and_the_rate_card_row_behind_each_expected_figure(tmp_path):
    # OpenAI June: 4M cached input tokens billed 8.00 (2.00/M, the input price); contract 1.00/M
    from tests.domain.test_rate_audit import OPENAI_RATES, _analyse, _openai_june
    inv = invoices([dict(period_start="2026-06-01", period_end="2026-06-30", invoice_id="OA-06", vendor="OpenAI",
                         invoice_date="2026-07-02", amount=42.00)])
    a = _analyse(_openai_june(), inv, OPENAI_RATES)
    wb = load_workbook(write_dispute_pack(a, ["OA-06"], tmp_path / "pack.xlsx"))
    audit = {(r[0], r[1], r[2]): r for r in _sheet(wb, "Rate audit")[4:]}
    cached = audit[("gpt-4o", "cached_input", "standard")]
    # tokens, vendor cost, charged / contract / list per 1M, at contract, flag, leakage, rate-card row
    assert (cached[3], cached[4], cached[5], cached[6], cached[7], cached[8], cached[10], cached[11],
            cached[13], cached[14]) == (4_000_000, 8, 2.0, 1.0, 1.25, 4, "cache_discount_missing", 4,
                                        "rates.csv", 3)
    assert audit[("gpt-4o", "input", "batch")][10] == "batch_discount_missing"
    # the rate-card rows carry their token kind and tier
    card = {r[1]: r for r in _sheet(wb, "Rate card")[3:]}
    assert (card[3][4], card[3][5], card[3][6]) == ("cached_input", None, 1.0)
    assert card[5][5] == "batch"
    flags = {r[3]: r for r in _sheet(wb, "Flags")[3:]}
    assert flags["cache_discount_missing"][4].startswith("Cached input tokens charged at the uncached input price")
    # the usage rows say which audit line they are behind
    usage_rows = _sheet(wb, "Usage rows")[3:]
    assert any("rate audit gpt-4o cached_input (standard)" in r[-1] for r in usage_rows)


def test_a_workspace_pack_lists_the_file_rows_behind_its_daily_rows(tmp_path):
    """A workspace's usage is its daily rollup: the pack's Usage rows are daily rows and the
    Source rows sheet lists the file rows behind them, the same as a pack made from the files."""
    from pathlib import Path

    from desktop.store import Workspace
    from tests.store.store_helpers import result_for

    files = _analysis()
    with Workspace.open(tmp_path / "w.commitdesk", create=True) as ws:
        for kind in ("usage", "invoices", "rate_card"):
            ws.store_result(result_for(kind, getattr(files.inputs, kind), f"{kind}.csv"), Path(f"{kind}.csv"),
                            content_hash=kind * 8, file_size=1)
        a = build_analysis(ws.inputs(), Settings(), date(2026, 7, 20))
        wb = load_workbook(write_dispute_pack(a, ["ANT-0601-R"], tmp_path / "w.xlsx"))
    assert wb.sheetnames[:5] == ["Summary", "Flags", "Invoice lines", "Usage rows", "Source rows"]
    assert _sheet(wb, "Usage rows")[2][1] == "Daily row"
    source = _sheet(wb, "Source rows")
    assert source[2][:2] == ("File", "Row")
    want = _sheet(load_workbook(write_dispute_pack(files, ["ANT-0601-R"], tmp_path / "f.xlsx")), "Usage rows")
    cost = want[2].index("Cost as billed")
    assert [(r[0], r[1], r[8]) for r in source[3:]] == [(r[0], r[1], r[cost]) for r in want[3:]]
    assert source[0][0] == "The file rows behind the daily usage rows (2 rows)"
