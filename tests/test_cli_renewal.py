"""`python -m desktop renewal --offers FILE ...` (docs/domain.md "Offers"): checked by hand with
--growth-sd 0 (one future)."""

from __future__ import annotations

import json
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
