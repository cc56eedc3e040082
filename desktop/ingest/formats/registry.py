"""Every source format, in the order they are tried. The best-scoring match wins:
vendor formats (score >= 2) over the canonical templates (1.x) over synonym mapping (0.x);
an explicit or recognised mapping profile scores 3."""

from __future__ import annotations

from desktop.ingest.formats.canonical import Canonical, Mapped

TABULAR = [Canonical(), Mapped()]
JSON: list = []
