"""Run-time resources shipped inside the package (demo data, icons, styles)."""

from __future__ import annotations

from pathlib import Path

RESOURCES = Path(__file__).resolve().parent
DEMO_DIR = RESOURCES / "demo"

# canonical table name -> demo file (CSV in the canonical columns of docs/domain.md)
DEMO_KINDS = ("commitments", "usage", "invoices", "budgets", "rate_card", "org_map", "fx_rates")


def demo_files() -> dict[str, Path]:
    """The demo company's files that exist, by table kind."""
    out: dict[str, Path] = {}
    for kind in DEMO_KINDS:
        p = DEMO_DIR / f"{kind}.csv"
        if p.exists():
            out[kind] = p
    return out
