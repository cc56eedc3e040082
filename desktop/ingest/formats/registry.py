"""Every source format, in the order they are tried. The best-scoring match wins:
vendor formats (score >= 2) over the canonical templates (1.x) over synonym mapping (0.x);
an explicit or recognised mapping profile scores 3."""

from __future__ import annotations

from desktop.ingest.formats.anthropic import AnthropicCostReport, AnthropicUsageReport
from desktop.ingest.formats.azure import AzureCostDetails
from desktop.ingest.formats.canonical import Canonical, Mapped
from desktop.ingest.formats.focus import FocusContractCommitment, FocusCostUsage
from desktop.ingest.formats.openai import OpenAICostExport, OpenAICostsApi, OpenAIUsageApi

TABULAR = [FocusCostUsage(), FocusContractCommitment(), OpenAICostExport(), AzureCostDetails(),
           Canonical(), Mapped()]
JSON = [OpenAICostsApi(), OpenAIUsageApi(), AnthropicCostReport(), AnthropicUsageReport()]
