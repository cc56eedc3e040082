"""AI-service classification of cloud-export rows (desktop/domain/ai_services.py; docs/domain.md
"AI spend in cloud exports"): rows that are not AI services are kept but count in no commitment,
budget, chargeback line or anomaly; invoices still expect them. Every figure by hand."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from desktop.domain import ai_services, tables
from desktop.domain.analysis import build_analysis
from desktop.domain.inputs import Inputs
from desktop.domain.money import to_micros
from desktop.domain.settings import Settings


def usage(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["date", "vendor", "cost", "team", "cost_center", "service"])
    df["date"] = pd.to_datetime(df["date"])
    df["cost"] = [to_micros(c) for c in df["cost"]]
    df["_file"] = "u.csv"
    df["_row"] = np.arange(2, len(df) + 2)
    return tables.conform(df, "usage")


def test_rule_text():
    r = ai_services.parse_rule(" Cognitive  Services;;azure openai\nNOT Translator; cognitive services ")
    assert r.include == ("Cognitive Services", "azure openai") and r.exclude == ("Translator",)
    assert ai_services.rule_text(r) == "Cognitive Services; azure openai; not Translator"
    assert ai_services.parse_rule("").counts_everything and ai_services.parse_rule("x; *").counts_everything
    assert "every usage row counts" in ai_services.describe("*").casefold()


def test_mask_by_hand():
    u = usage([
        ("2026-03-01", "OpenAI", "1", None, None, None),                             # no service: counts
        ("2026-03-01", "Microsoft", "1", None, None, "Cognitive Services / Azure OpenAI"),
        ("2026-03-01", "Microsoft", "1", None, None, "Cognitive Services / Translator"),
        ("2026-03-01", "Microsoft", "1", None, None, "Virtual Machines / Dv3/DSv3 Series"),
        ("2026-03-01", "AWS", "1", None, None, "AI and Machine Learning / Amazon Bedrock"),
        ("2026-03-01", "Google", "1", None, None, "Vertex AI"),
        ("2026-03-01", "Microsoft", "1", None, None, "   "),                            # blank: counts
    ])
    assert ai_services.ai_mask(u, ai_services.DEFAULT_RULE).tolist() == [True, True, True, False, True, True, True]
    assert ai_services.ai_mask(u, "cognitive services; not translator").tolist() == \
        [True, True, False, False, False, False, True]
    assert ai_services.ai_mask(u, "*").all()
    # a frame without the column (an old workspace, an OpenAI export): every row counts
    assert ai_services.ai_mask(u.drop(columns=["service"]), "Bedrock").all()


def test_split_note_per_currency():
    u = usage([
        ("2026-03-01", "Microsoft", "2.50", None, None, "Storage / Premium SSD"),
        ("2026-03-02", "Microsoft", "0.25", None, None, "Storage / Premium SSD"),
        ("2026-03-02", "Microsoft", "4.00", None, None, "Virtual Machines / BS Series"),
        ("2026-03-02", "Microsoft", "9.00", None, None, "Cognitive Services / Speech"),
    ])
    u["currency"] = tables.put_text(u["currency"], u.index.to_numpy() == 2, "EUR")
    s = ai_services.split(u, ai_services.DEFAULT_RULE)
    assert (s.ai_rows, s.other_rows) == (1, 3)
    assert s.other_amounts == (("EUR", 4_000_000), ("USD", 2_750_000))
    assert s.other_services == (("Storage / Premium SSD", 2), ("Virtual Machines / BS Series", 1))
    note = ai_services.split_note(s)
    assert note.startswith("3 of 4 rows are not AI services")
    assert "EUR 4.00 + USD 2.75" in note


# --- the figures -------------------------------------------------------------------------------
T = date(2026, 3, 31)
MARCH = [
    ("2026-03-02", "Microsoft", "30.00", "ml", "CC-1", "Cognitive Services / Speech"),
    ("2026-03-03", "Microsoft", "50.00", "ml", "CC-1", "Virtual Machines / Dv3/DSv3 Series"),
    ("2026-03-04", "Microsoft", "20.00", "ml", "CC-1", "Storage / Premium SSD Managed Disks"),
]
COMMITMENTS = tables.conform(pd.DataFrame({
    "contract_id": ["MS"], "vendor": ["Microsoft"], "period_start": pd.to_datetime(["2026-01-01"]),
    "period_end": pd.to_datetime(["2026-12-31"]), "commitment": [to_micros("1200")]}), "commitments")
BUDGETS = tables.conform(pd.DataFrame({
    "allocation": ["ML"], "month": ["2026-03"], "budget": [to_micros("500")], "dimension": ["team"],
    "value": ["ml"]}), "budgets")
INVOICES = tables.conform(pd.DataFrame({
    "invoice_id": ["MS-03"], "vendor": ["Microsoft"], "invoice_date": pd.to_datetime(["2026-04-02"]),
    "amount": [to_micros("100.00")], "period_start": pd.to_datetime(["2026-03-01"]),
    "period_end": pd.to_datetime(["2026-03-31"])}), "invoices")


def analyse(rule: str):
    inputs = Inputs().with_table("usage", usage(MARCH)).with_table("commitments", COMMITMENTS) \
        .with_table("budgets", BUDGETS).with_table("invoices", INVOICES)
    return build_analysis(inputs, Settings(ai_services=rule), T)


@pytest.mark.parametrize("rule,ai_spend", [
    (ai_services.DEFAULT_RULE, "30.00"),                 # Cognitive Services only
    ("Cognitive Services; Virtual Machines", "80.00"),   # 30.00 + 50.00
    ("*", "100.00"),                                     # every row: 30.00 + 50.00 + 20.00
    ("Cognitive Services; not Speech", "0.00"),
])
def test_rule_decides_drawdown_budget_and_chargeback(rule, ai_spend):
    a = analyse(rule)
    want = Decimal(ai_spend)
    assert a.contracts[0].consumed_to_date == want
    assert a.budgets[0].actual == want
    assert sum((line.amount for line in a.chargeback), Decimal(0)) == want
    # billing is billing: the invoice is expected to cover every row of the period, whatever the rule
    assert a.invoices[0].expected == Decimal("100.00")
    assert a.invoices[0].status == "within_tolerance"
    # nothing lost: the rows are all there
    assert len(a.usage) == 3


def test_the_analysis_says_what_it_left_out():
    a = analyse(ai_services.DEFAULT_RULE)
    note = [w for w in a.warnings if "not AI services" in w]
    assert len(note) == 1 and "2 of 3 rows" in note[0] and "USD 70.00" in note[0]
    assert not [w for w in analyse("*").warnings if "not AI services" in w]


def test_a_virtual_machine_spike_is_no_ai_anomaly():
    start = date(2026, 3, 1)
    rows = [((start + timedelta(days=i)).isoformat(), "Microsoft", "10.00" if i % 2 else "11.00", "ml", None,
             "Cognitive Services / Azure OpenAI") for i in range(12)]
    rows.append(((start + timedelta(days=11)).isoformat(), "Microsoft", "1000.00", "ml", None,
                 "Virtual Machines / NC A100 v4"))
    inputs = Inputs().with_table("usage", usage(rows))
    T12 = start + timedelta(days=11)
    flagged = build_analysis(inputs, Settings(ai_services="*"), T12).anomalies
    # day 12 with the VM: 1,010.00 against 10.00/11.00 -> flagged for team, vendor
    assert {(x.dimension, x.date) for x in flagged} >= {("team", T12), ("vendor", T12)}
    assert [x for x in build_analysis(inputs, Settings(), T12).anomalies if x.date == T12] == []
