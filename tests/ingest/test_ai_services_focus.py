"""FOCUS rows from AWS and Google Cloud: service = "ServiceCategory / ServiceName", judged by the
default AI-service rule (Amazon Bedrock and Vertex AI are AI spend, EC2 is not). Rows copied from
the official FOCUS 1.0 sample (tests/data/focus, FinOps Foundation, CC BY 4.0; SOURCES.md) with
their service and cost changed; amounts by hand."""

from __future__ import annotations

import csv
from pathlib import Path

from desktop.domain import ai_services
from desktop.ingest import read_file

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "focus" / "focus-1.0_sample.csv"


def test_bedrock_and_vertex_are_ai_spend_ec2_is_kept(tmp_path):
    with open(SAMPLE, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ec2 = next(r for r in rows if r["ServiceName"] == "Amazon Elastic Compute Cloud" and r["ChargeCategory"] == "Usage")
    mine = [
        {**ec2, "EffectiveCost": "10.00"},
        {**ec2, "ServiceCategory": "AI and Machine Learning", "ServiceName": "Amazon Bedrock", "EffectiveCost": "2.50"},
        {**ec2, "ProviderName": "Google Cloud", "PublisherName": "Google Cloud", "InvoiceIssuerName": "Google Cloud",
         "ServiceCategory": "AI and Machine Learning", "ServiceName": "Vertex AI", "EffectiveCost": "1.25"},
    ]
    p = tmp_path / "focus_ai.csv"
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(mine)
    r = read_file(p)
    assert r.report.format.startswith("focus") and r.report.rows_imported == 3
    f = r.frame
    assert f["service"].tolist() == ["Compute / Amazon Elastic Compute Cloud", "AI and Machine Learning / Amazon Bedrock",
                                     "AI and Machine Learning / Vertex AI"]
    assert ai_services.ai_mask(f, ai_services.DEFAULT_RULE).tolist() == [False, True, True]
    s = ai_services.split(f, ai_services.DEFAULT_RULE)
    assert s.ai_amounts == (("USD", 3_750_000),) and s.other_amounts == (("USD", 10_000_000),)  # 2.50 + 1.25; 10.00
    # without the FOCUS category, the names alone still count: "Bedrock", "Vertex AI"
    assert ai_services.ai_mask(f, "Bedrock; Vertex AI").tolist() == [False, True, True]
    assert [w for w in r.report.warnings if "not AI services" in w][0].startswith("1 of 3 rows")
    assert r.roles["ServiceName"].startswith("service (judged by the AI-service rule)")
