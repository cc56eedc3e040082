"""The demo company: files in the canonical columns, and the problems the demo is meant to show."""

from __future__ import annotations

import re
from decimal import Decimal

import pandas as pd
import pytest

from desktop.domain.tables import SPECS
from desktop.resources import DEMO_DIR, demo_files
from desktop.resources.demo import generate as gen

KINDS = ("commitments", "usage", "invoices", "budgets", "rate_card", "org_map")
AS_OF = pd.Timestamp("2026-11-15")
MONEY = re.compile(r"^-?\d+(\.\d{1,6})?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return {k: pd.read_csv(DEMO_DIR / f"{k}.csv", dtype=str, keep_default_na=False) for k in KINDS}


def test_demo_files_lists_every_kind():
    files = demo_files()
    assert set(KINDS) <= set(files)
    assert all(p.parent == DEMO_DIR for p in files.values())


@pytest.mark.parametrize("kind", KINDS)
def test_canonical_columns_and_spellings(frames, kind):
    df = frames[kind]
    spec = SPECS[kind]
    assert set(df.columns) <= set(spec.names), set(df.columns) - set(spec.names)
    assert set(spec.required) <= set(df.columns)
    for group in spec.one_of:
        assert set(group) & set(df.columns)
    assert len(df) > 0
    for col in df.columns:
        c = spec.column(col)
        values = df[col][df[col] != ""]
        if c.required:
            assert len(values) == len(df), f"{kind}.{col} has blanks"
        if c.kind == "money":
            bad = values[~values.str.match(MONEY)]
            assert bad.empty, f"{kind}.{col}: {bad.head().tolist()}"
        elif c.kind == "date":
            bad = values[~values.str.match(DATE)]
            assert bad.empty, f"{kind}.{col}: {bad.head().tolist()}"
            pd.to_datetime(values, format="%Y-%m-%d")  # real calendar dates
        elif c.kind == "float":
            pd.to_numeric(values)
    if kind == "budgets":
        assert df["month"].str.match(r"^\d{4}-\d{2}$").all()
        assert set(df["dimension"]) == {"team"}


def test_usage_shape(frames):
    u = frames["usage"]
    dates = pd.to_datetime(u["date"])
    assert dates.max() == AS_OF
    assert (dates.max() - dates.min()).days + 1 >= 365
    assert 15_000 <= len(u) <= 30_000
    assert (DEMO_DIR / "usage.csv").stat().st_size < 10 * 1024 * 1024
    assert {"OpenAI", "Anthropic", "Azure OpenAI"} == set(u["vendor"])
    assert {"Search", "Support", "Growth", "Data Platform", "Research"} == set(u["team"])
    assert {"prod", "staging", "dev"} == set(u["environment"])
    assert {"gpt-4o", "gpt-4.1-mini", "o3", "claude-sonnet-4", "claude-3-5-haiku"} <= set(u["model"])
    assert (u["quantity"].astype(int) > 0).all() and (u["unit"] != "").all()
    # weekday seasonality: weekday spend clearly above weekend spend
    cost = u["cost"].astype(float)
    daily = cost.groupby(dates).sum()
    weekend = daily[daily.index.day_of_week >= 5].mean()
    weekday = daily[daily.index.day_of_week < 5].mean()
    assert weekday > 1.3 * weekend


def test_cost_is_quantity_times_rate(frames):
    u = frames["usage"].head(500)
    rc = frames["rate_card"].set_index(["vendor", "model", "meter"])["contracted_price"]
    for r in u.itertuples():
        assert Decimal(r.cost) == Decimal(rc[(r.vendor, r.model, r.meter)]) * int(r.quantity)


def _consumed(u, vendor, a, b):
    d = pd.to_datetime(u["date"])
    m = (u["vendor"] == vendor) & (d >= a) & (d <= min(b, AS_OF))
    return sum(Decimal(x) for x in u.loc[m, "cost"])


def _pacing(frames, cid):
    c = frames["commitments"]
    consumed = expected = Decimal(0)
    for p in c[c["contract_id"] == cid].itertuples():
        a, b = pd.Timestamp(p.period_start), pd.Timestamp(p.period_end)
        days = (b - a).days + 1
        elapsed = max(0, min((AS_OF - a).days + 1, days))
        consumed += _consumed(frames["usage"], p.vendor, a, b)
        expected += Decimal(p.commitment) * elapsed / days
    return consumed / expected


def test_contracts(frames):
    c = frames["commitments"]
    assert c["contract_id"].nunique() >= 3
    assert (c["clause"] != "").all() and (c["owner"] != "").all() and (c["escalation_owner"] != "").all()
    ramp = c[c["contract_id"] == "OAI-2026-RAMP"]
    assert len(ramp) == 4
    commits = [Decimal(x) for x in ramp["commitment"]]
    assert commits == sorted(commits) and len(set(commits)) == 4
    assert set(ramp["rollover_pct"]) == {"25"} and set(ramp["overage_multiplier"]) == {"1.25"}
    annual = c[c["contract_id"] == "ANT-2026-ANNUAL"]
    assert len(annual) == 1
    assert (pd.Timestamp(annual["period_end"].iloc[0]) - pd.Timestamp(annual["period_start"].iloc[0])).days == 364
    ended = c[pd.to_datetime(c["period_end"]) < AS_OF]
    assert "AZ-2025-EA" in set(ended["contract_id"])
    # one contract running hot, one cold (bands of docs/domain.md)
    assert _pacing(frames, "OAI-2026-RAMP") > Decimal("1.20")
    assert _pacing(frames, "ANT-2026-ANNUAL") < Decimal("0.80")
    assert Decimal("0.90") <= _pacing(frames, "AZ-2025-EA") < Decimal("1.0")


def test_invoice_problems(frames):
    inv = frames["invoices"]
    key = ["invoice_id", "description", "model", "meter", "quantity", "unit_price", "amount"]
    dup = inv[inv.duplicated(key, keep="first")]
    assert list(dup["invoice_id"]) == ["OAI-2026-08"]
    rc = frames["rate_card"].set_index(["vendor", "model", "meter"])["contracted_price"]
    vendor = inv["vendor"].replace({"OpenAI, L.L.C.": "OpenAI"})
    premium = []
    for v, r in zip(vendor, inv.itertuples(), strict=True):
        price = rc.get((v, r.model, r.meter))
        if price is not None and r.unit_price and Decimal(r.unit_price) > Decimal(price) * Decimal("1.005"):
            premium.append((r.invoice_id, r.model, r.meter))
    assert premium == [("ANT-2026-09", "claude-sonnet-4", "output_tokens")]
    tax = inv[inv["line_type"] == "tax"]
    assert len(tax) >= 10 and set(tax["vendor"]) == {"Azure OpenAI"}
    credit = inv[inv["line_type"] == "credit"]
    assert len(credit) == 1 and Decimal(credit["amount"].iloc[0]) < 0
    assert "claude-3-opus" in set(inv.loc[inv["invoice_id"] == "ANT-2026-07", "model"])
    assert "claude-3-opus" not in set(frames["usage"]["model"])
    assert set(inv["line_type"]) <= {"usage", "credit", "tax"}


def test_clean_invoice_matches_usage(frames):
    """An invoice without planted problems equals its month's usage to within a cent per line."""
    inv = frames["invoices"]
    lines = inv[(inv["invoice_id"] == "ANT-2026-10") & (inv["line_type"] != "tax")]
    billed = sum(Decimal(x) for x in lines["amount"])
    used = _consumed(frames["usage"], "Anthropic", pd.Timestamp("2026-10-01"), pd.Timestamp("2026-10-31"))
    assert abs(billed - used) <= Decimal("0.01") * len(lines)


def _tier(util: Decimal) -> str:
    for bound, name in ((1, "hard_cap"), (Decimal("0.95"), "hard_stop"), (Decimal("0.90"), "critical"),
                        (Decimal("0.70"), "warning"), (Decimal("0.50"), "info")):
        if util >= bound:
            return name
    return "none"


def test_budget_tiers_mixed_at_as_of(frames):
    b = frames["budgets"]
    u = frames["usage"]
    assert (b["containment_owner"] != "").all() and (b["escalation_owner"] != "").all()
    nov = u[u["date"].str.startswith("2026-11")]
    tiers = {}
    for r in b[b["month"] == "2026-11"].itertuples():
        actual = sum(Decimal(x) for x in nov.loc[nov["team"] == r.value, "cost"])
        tiers[r.value] = _tier(actual / Decimal(r.budget))
    assert tiers == {"Research": "hard_cap", "Growth": "critical", "Search": "warning",
                     "Support": "warning", "Data Platform": "none"}


def test_org_map_leaves_research_unallocated(frames):
    org = frames["org_map"]
    assert set(frames["usage"]["team"]) - set(org["team"]) == {"Research"}
    assert (org["cost_center"] != "").all() and (org["gl_account"] != "").all()


def test_generator_is_deterministic(tmp_path):
    gen.main(["--out", str(tmp_path), "--quiet"])
    for kind in KINDS:
        assert (tmp_path / f"{kind}.csv").read_bytes() == (DEMO_DIR / f"{kind}.csv").read_bytes(), kind
