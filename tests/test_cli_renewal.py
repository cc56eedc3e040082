"""`python -m desktop renewal --offers FILE ...` (docs/domain.md "Offers"): checked by hand with
--growth-sd 0 (one future)."""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from desktop.cli import main

HEADER = ("offer,contract_id,vendor,period_start,period_end,commitment,currency,discount_pct,overage_multiplier,"
          "shortfall_penalty_pct,rollover_pct,fulfilment,rollover_cap,rollover_expiry_periods,shortfall_treatment,"
          "notice_days\n")
ROWS = ("annual,OAI-R1,OpenAI,2027-01-01,2027-06-30,12000,USD,20,1.25,,,period,,,penalty,60\n"
        "quarterly,OAI-R2,OpenAI,2027-01-01,2027-03-31,6000,USD,20,1.25,,,,,,,\n"
        "quarterly,OAI-R2,OpenAI,2027-04-01,2027-06-30,6000,USD,20,1.25,,,,,,,\n"
        "claude,ANT-R,Anthropic,2027-01-01,2027-06-30,1000,USD,0,,,,term,,,,\n")
FLAGS = ("--baseline-monthly", "16000", "--growth", "-0.5", "--growth-sd", "0", "--paths", "5", "--format", "json")


def run(capsys, *argv):
    status = main(list(argv))
    out = capsys.readouterr()
    return status, out.out, out.err


def test_renewal_offers_json_by_hand(tmp_path: Path, capsys):
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + ROWS, encoding="utf-8")
    status, out, err = run(capsys, "renewal", "--offers", str(f), "--vendor", "openai", *FLAGS)
    assert status == 0, err
    doc = json.loads(out)
    # as-of: the day before the first offer starts; month 0 = December 2026 at 16000, then halving:
    # Jan 8000 .. Jun 250: list Q1 14000, Q2 1750 (15750); discounted 11200 + 1400 = 12600
    assert (doc["as_of"], doc["currency"]) == ("2026-12-31", "USD")
    annual, quarterly = doc["offers"]
    # annual minimum 12000: overage 600 at 1.25 -> premium 150, cost 12750, savings 3000
    assert {k: annual[k] for k in ("offer", "vendor", "expected_cost", "savings_vs_list", "p_shortfall",
                                    "expected_shortfall_penalty", "expected_overage_premium", "cvar95_cost",
                                    "notice_deadline")} == {
        "offer": "annual", "vendor": "OpenAI", "expected_cost": "12750.00", "savings_vs_list": "3000.00",
        "p_shortfall": 0.0, "expected_shortfall_penalty": "0.00", "expected_overage_premium": "150.00",
        "cvar95_cost": "12750.00", "notice_deadline": "2027-05-01"}
    # quarterly: Q1 overage 5200 (premium 1300) -> 12500; Q2 missed 4600 at 100 % -> 6000
    assert quarterly["expected_cost"] == "18500.00" and quarterly["savings_vs_list"] == "-2750.00"
    assert quarterly["p_shortfall"] == 1.0 and quarterly["expected_shortfall_penalty"] == "4600.00"
    assert [(p["period_start"], p["period_end"], p["commitment"], p["expected_spend"], p["expected_cost"],
             p["p_shortfall"], p["expected_shortfall_penalty"], p["expected_overage_premium"])
            for p in quarterly["periods"]] == [
        ("2027-01-01", "2027-03-31", "6000.00", "11200.00", "12500.00", 0.0, "0.00", "1300.00"),
        ("2027-04-01", "2027-06-30", "6000.00", "1400.00", "6000.00", 1.0, "4600.00", "0.00")]


def test_renewal_reads_xlsx_like_csv(tmp_path: Path, capsys):
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + ROWS, encoding="utf-8")
    x = tmp_path / "offers.xlsx"
    frame = pd.read_csv(f, dtype=str, keep_default_na=False)
    frame.to_excel(x, index=False)
    _, csv_out, _ = run(capsys, "renewal", "--offers", str(f), *FLAGS)
    status, xlsx_out, err = run(capsys, "renewal", "--offers", str(x), *FLAGS)
    assert status == 0, err
    assert json.loads(xlsx_out) == json.loads(csv_out)
    # the Anthropic offer (term fulfilment, minimum 1000, no discount) is met in January
    claude = json.loads(csv_out)["offers"][2]
    assert (claude["offer"], claude["expected_cost"], claude["savings_vs_list"]) == ("claude", "15750.00", "0.00")


def test_renewal_bad_offer_term_exits_2_naming_row_and_column(tmp_path: Path, capsys):
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + ROWS.replace(",term,", ",yearly,"), encoding="utf-8")
    status, out, err = run(capsys, "renewal", "--offers", str(f), *FLAGS)
    assert status == 2 and out == ""
    assert "offers.csv" in err and "row 5" in err and "fulfilment" in err and "period, term" in err


def test_renewal_unreadable_baseline_is_a_usage_error(tmp_path: Path, capsys):
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + ROWS, encoding="utf-8")
    for bad in ("abc", "nan"):
        argv = ["renewal", "--offers", str(f), "--baseline-monthly", bad, "--growth", "0", "--growth-sd", "0"]
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse: exit 2 with the message
            status = exc.code
        err = capsys.readouterr().err
        assert status == 2 and "not an amount" in err


def test_python_m_desktop_renewal_is_the_cli_not_the_app(tmp_path: Path, capsys):
    from desktop.__main__ import main as entry

    f = tmp_path / "offers.csv"
    f.write_text(HEADER + ROWS, encoding="utf-8")
    assert entry(["renewal", "--offers", str(f), *FLAGS]) == 0
    assert json.loads(capsys.readouterr().out)["offers"][0]["expected_cost"] == "12750.00"


def test_renewal_negotiation_keys_by_hand(tmp_path: Path, capsys):
    # the OpenAI offers of ROWS on the falling path (sd 0): annual 12750, quarterly 18500
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + ROWS, encoding="utf-8")
    status, out, err = run(capsys, "renewal", "--offers", str(f), "--vendor", "OpenAI", "--select", "quarterly",
                           *FLAGS)
    assert status == 0, err
    doc = json.loads(out)
    (fc,) = doc["forecast"]
    assert (fc["vendor"], fc["source"], fc["months"][1]) == (
        "OpenAI", "growth", {"month": "2027-01", "mean": "8000.00", "p10": "8000.00", "p90": "8000.00"})
    # frontier of the annual offer at 20 % off: discounted spend 12600; K = 6300 -> 6300 + 1.25 x 6300
    annual = {p["commitment"]: p for p in doc["frontier"] if p["offer"] == "annual"}
    assert annual["6300.00"]["expected_cost"] == "14175.00" and annual["12000.00"]["offered"] is True
    assert annual["13900.00"]["p_shortfall"] == 1.0
    # recommended: the least cost with P(shortfall) <= 10 %: 12600 at 12600.00 for both offers' shapes
    rec = {r["offer"]: r for r in doc["recommended"]}
    assert (rec["annual"]["commitment"], rec["annual"]["expected_cost"], rec["annual"]["best"]) == (
        "12600.00", "12600.00", True)
    # the asks of the quarterly offer, ranked by money: annual minimums -5750, overage at list -1300, ...
    asks = [(a["ask"], a["delta_cost"], a["rank"]) for a in doc["asks"]]
    assert asks[:3] == [("annual_minimums", "-5750.00", 1), ("overage_at_list", "-1300.00", 2),
                        ("discount_plus_2", "-350.00", 3)]
    assert doc["selected"] == [{"vendor": "OpenAI", "offer": "quarterly"}]
    # break-even: at the given growth (-50 %/month, the lowest searched) annual saves 3000 (always beats
    # list in the range searched), quarterly loses 2750 (does not beat list at the expected growth)
    assert [(o["offer"], o["break_even_growth"], o["break_even_status"]) for o in doc["offers"]] == [
        ("annual", None, "always"), ("quarterly", None, "loses")]
    assert doc["batna"] == [] and "no usage data" in doc["notes"][0]


def test_renewal_flags_go_together_and_need_usage_or_a_baseline(tmp_path: Path, capsys):
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + ROWS, encoding="utf-8")
    status, out, err = run(capsys, "renewal", "--offers", str(f), "--baseline-monthly", "100")
    assert status == 2 and out == "" and "together" in err
    status, out, err = run(capsys, "renewal", "--offers", str(f))
    assert status == 2 and "without usage" in err


def test_renewal_on_the_demo_fits_the_forecast_and_prices_the_walk_away(tmp_path: Path, capsys):
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + "annual,OAI-R1,OpenAI,2027-01-01,2027-12-31,900000,USD,15,1.2,,,period,,,penalty,60\n",
                 encoding="utf-8")
    status, out, err = run(capsys, "renewal", "--demo", "--offers", str(f), "--paths", "200", "--format", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["as_of"] == "2026-11-15"  # the demo's latest usage date
    (fc,) = doc["forecast"]
    assert fc["source"] == "fitted" and 0 < fc["wape"] < 0.5 and fc["coverage_n"] >= 3
    assert 0 <= fc["coverage80"] <= 1 and len(fc["history"]) >= 12
    # the as-of month is fitted: the same on every path
    assert fc["months"][0]["p10"] == fc["months"][0]["p90"] == fc["months"][0]["mean"]
    assert fc["months"][2]["p10"] < fc["months"][2]["mean"] < fc["months"][2]["p90"]
    # Azure OpenAI prices the gpt-4o volume of the last 90 days; o3 has no price there
    totals = {t["alternative"]: t for t in doc["batna_totals"]}
    assert doc["batna"][0]["window"] == ["2026-08-18", "2026-11-15"]
    assert totals["Azure OpenAI"]["groups_priced"] == 3 and totals["Anthropic"]["groups_priced"] == 0
    gpt4o = [b for b in doc["batna"] if b["alternative"] == "Azure OpenAI" and b["model"] == "gpt-4o"]
    assert {b["token_kind"] for b in gpt4o} == {"input", "cached_input", "output"}
    assert {b["alternative_per_million"] for b in gpt4o} == {"2.30", "1.15", "9.20"}  # the demo rate card
    (rec,) = doc["recommended"]
    assert rec["p_shortfall"] <= 0.10 and rec["best"] is True
    ask = {a["ask"]: a for a in doc["asks"]}
    assert ask["other_vendor_counts"]["applicable"] and "Anthropic" in ask["other_vendor_counts"]["detail"]


def test_renewal_scenario_flags_change_the_spend_by_hand(tmp_path: Path, capsys):
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + "jan,X-1,OpenAI,2027-01-01,2027-01-31,0,USD,0,,,,,,,,\n", encoding="utf-8")
    flat = ("--baseline-monthly", "1000", "--growth", "0", "--growth-sd", "0", "--paths", "1")
    # January at 1000; a launch of 310 a month from 17 January adds 15/31 of it (150); prices +10 %
    # from 1 January: (1000 + 150) x 1.1 = 1265
    status, out, err = run(capsys, "renewal", "--offers", str(f), *flat, "--launch", "2027-01-17:310",
                           "--price-change", "2027-01-01:10")
    assert status == 0, err
    assert json.loads(out)["offers"][0]["expected_list_spend"] == "1265.00"
    # a migration at a given ratio needs the model's share of spend: without usage it cannot apply
    status, out, err = run(capsys, "renewal", "--offers", str(f), *flat, "--migrate", "2027-01-01:gpt-4o:50:mini:0.5")
    assert status == 2 and "needs the usage data" in err
    status, out, err = run(capsys, "renewal", "--offers", str(f), *flat, "--launch", "2027-01-17")
    assert status == 2 and "DATE:AMOUNT" in err


def test_renewal_on_a_workspace_applies_its_stored_overlays(tmp_path: Path, capsys):
    from desktop.store import Workspace, create_demo_workspace

    ws_path = create_demo_workspace(tmp_path / "demo.commitdesk")
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + "jan,OAI-R1,OpenAI,2027-01-01,2027-01-31,0,USD,0,,,,,,,,\n", encoding="utf-8")
    argv = ("renewal", "--workspace", str(ws_path), "--offers", str(f), "--paths", "50", "--format", "json")
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    before = json.loads(out)["offers"][0]["expected_list_spend"]
    with Workspace.open(ws_path) as ws:  # the workbench's overlays: one for OpenAI, one for another vendor
        ws.add_overlay({"kind": "workload_launch", "vendor": "openai", "start": "2027-01-01",
                        "monthly_amount": "1000"})
        ws.add_overlay({"kind": "price_change", "vendor": "Anthropic", "start": "2027-01-01", "change_pct": "50"})
    status, out, err = run(capsys, *argv)
    assert status == 0, err
    after = json.loads(out)["offers"][0]["expected_list_spend"]
    # the launch adds 1000 to January on every path (each path's period rounded to the micro once)
    assert abs(float(after) - float(before) - 1000) <= 0.01


def test_renewal_without_an_offer_file_reads_the_proposed_contracts(capsys):
    # the demo's commitments hold two OpenAI offers for 2027 (status proposed); the current contract
    # renewed as is comes first
    status, out, err = run(capsys, "renewal", "--demo", "--paths", "100", "--format", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert [o["offer"] for o in doc["offers"]] == ["OAI-2026-RAMP (current terms)", "OAI-2027-ANNUAL",
                                                   "OAI-2027-QUARTERLY"]
    assert {p["offer"] for p in doc["frontier"]} == {o["offer"] for o in doc["offers"]}
    # the annual offer: 1,250,000 for 2027 at 18 % off
    (annual,) = [p for p in doc["frontier"] if p["offer"] == "OAI-2027-ANNUAL" and p["offered"]]
    assert (annual["commitment"], annual["discount_pct"]) == ("1250000.00", 18.0)
    status, out, err = run(capsys, "renewal", "--demo", "--vendor", "Anthropic", "--paths", "10")
    assert status == 2 and "no offer" in err and "Anthropic" in err


def test_renewal_tier_table_sets_the_frontier_levels_by_hand(tmp_path: Path, capsys):
    # the annual offer on the falling path (list 15750 over Jan-Jun): the vendor's tier table gives the levels
    f = tmp_path / "offers.csv"
    f.write_text(HEADER + ROWS, encoding="utf-8")
    status, out, err = run(capsys, "renewal", "--offers", str(f), "--vendor", "OpenAI",
                           "--tiers", "10000:15, 12600:20", *FLAGS)
    assert status == 0, err
    annual = {p["commitment"]: p for p in json.loads(out)["frontier"] if p["offer"] == "annual"}
    # 10000 at 15 % off: spend 13387.50, overage 3387.50 at 1.25 -> premium 846.875: 14234.375 -> 14234.38
    assert (annual["10000.00"]["discount_pct"], annual["10000.00"]["expected_cost"]) == (15.0, "14234.38")
    # 12600 at 20 % off: spend 12600.00 meets the minimum exactly: 12600.00, no shortfall
    assert (annual["12600.00"]["expected_cost"], annual["12600.00"]["p_shortfall"]) == ("12600.00", 0.0)
    for bad in ("10000", "10000:120", "-5:10", "x:10"):
        status, _, err = run(capsys, "renewal", "--offers", str(f), "--vendor", "OpenAI", f"--tiers={bad}", *FLAGS)
        assert status == 2 and "--tiers" in err
    status, _, err = run(capsys, "renewal", "--offers", str(f), "--tiers", "10000:15", *FLAGS)
    assert status == 2 and "--vendor" in err


def test_demo_workspace_sets_walk_away_equivalents_and_the_walk_away_prices_them(tmp_path: Path, capsys):
    from desktop.store import create_demo_workspace

    ws = create_demo_workspace(tmp_path / "Demo.commitdesk")
    status, out, err = run(capsys, "renewal", "--workspace", str(ws), "--paths", "20", "--format", "json")
    assert status == 0, err
    doc = json.loads(out)
    ant = {(b["model"], b["token_kind"]): b for b in doc["batna"]
           if b["vendor"] == "OpenAI" and b["alternative"] == "Anthropic"}
    # the demo's settings map gpt-4o to claude-sonnet-4 and gpt-4.1-mini to claude-3-5-haiku; the demo rate
    # card's Anthropic prices per 1k tokens: sonnet 0.00255 / 0.01275, haiku 0.00068 / 0.00340
    assert {k: (b["alternative_model"], b["alternative_per_million"]) for k, b in ant.items()
            if b["alternative_model"]} == {
        ("gpt-4o", "input"): ("claude-sonnet-4", "2.55"), ("gpt-4o", "output"): ("claude-sonnet-4", "12.75"),
        ("gpt-4.1-mini", "input"): ("claude-3-5-haiku", "0.68"),
        ("gpt-4.1-mini", "output"): ("claude-3-5-haiku", "3.40")}
    for b in ant.values():  # cost = tokens x price, to the cent
        if b["alternative_model"]:
            assert Decimal(b["alternative_cost"]) == (Decimal(b["tokens"]) * Decimal(b["alternative_per_million"])
                                                      / 1_000_000).quantize(Decimal("0.01"), ROUND_HALF_UP)
