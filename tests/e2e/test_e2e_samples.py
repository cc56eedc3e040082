"""analyze on the real public samples in tests/data, totals checked against an independent sum
(csv + Decimal): each file's spend per vendor and month comes back as a budget line's actual."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from .helpers import actuals, analyze, budgets_for, cents, check_accounting, group, read_rows, run, write

DATA = Path(__file__).resolve().parents[1] / "data"
SPEC = DATA / "focus-spec-examples"
USAGE_SPECS = sorted(p for p in SPEC.glob("*.csv") if not p.name.startswith("contract_commitment"))


def _utc_day(text: str) -> str:
    t = text.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC)
    return dt.date().isoformat()


def _dec(text: str) -> Decimal:
    t = (text or "").strip()
    return Decimal(0) if t in ("", "NULL") else Decimal(t)


def _focus_ai(r) -> bool:
    """The default AI-service rule judged by hand for these FOCUS files: their AI rows are all in
    the specification's ServiceCategory "AI and Machine Learning" (no other row names Bedrock,
    Vertex AI, OpenAI, Cognitive Services, Foundry or Gemini)."""
    return r.get("ServiceCategory") == "AI and Machine Learning"


def _focus_expected(path: Path):
    """(rows, spend per vendor and month over every row, the same over the AI-service rows)."""
    rows = read_rows(path)

    def key(r):
        vendor = r.get("ServiceProviderName") or r.get("ProviderName")
        return vendor, _utc_day(r["ChargePeriodStart"])[:7]

    return (rows, group(rows, key, lambda r: _dec(r["EffectiveCost"])),
            group([r for r in rows if _focus_ai(r)], key, lambda r: _dec(r["EffectiveCost"])))


def _check_usage_file(tmp_path, capsys, path: Path, expected, rows_read: int, counted=None):
    """Budget lines on every (vendor, month) of ``expected``; their actuals are ``counted`` (the
    AI-service rows' spend; default: all of ``expected``), 0.00 for a line of other services only."""
    b = budgets_for(tmp_path / "b.csv", expected)
    d = analyze(capsys, "--usage", path, "--budgets", b)
    check_accounting(d)
    usage = [r for r in d["imports"] if r["kind"] == "usage"]
    assert len(usage) == 1 and usage[0]["rows_read"] == rows_read, usage
    assert usage[0]["rows_rejected"] == 0, usage[0]["errors"][:5]
    counted = expected if counted is None else counted
    assert actuals(d) == {k: counted.get(k, Decimal("0.00")) for k in expected}
    return d


def test_focus_10_sample_totals_per_provider_and_month(tmp_path, capsys):
    path = DATA / "focus" / "focus-1.0_sample.csv"
    rows, expected, ai = _focus_expected(path)
    assert len(rows) == 1000 and len(expected) >= 3
    # 9 Azure Machine Learning rows are AI and Machine Learning; EC2, S3, Oracle ... are kept, not counted
    assert sum(1 for r in rows if _focus_ai(r)) == 9 and len(ai) == 1
    d = _check_usage_file(tmp_path, capsys, path, expected, 1000, ai)
    assert d["imports"][0]["rows_imported"] == 1000
    assert d["imports"][0]["format"].startswith("focus")


@pytest.mark.parametrize("path", USAGE_SPECS, ids=lambda p: p.stem)
def test_focus_spec_ai_billing_examples(tmp_path, capsys, path):
    rows, expected, ai = _focus_expected(path)
    assert ai == expected  # every row of the specification's AI billing examples is an AI service
    _check_usage_file(tmp_path, capsys, path, expected, len(rows))


@pytest.mark.parametrize("name", ["EA_ActualCost_Small.csv", "EA_AmortizedCost_Small.csv"])
def test_azure_ea_exports(tmp_path, capsys, name):
    path = DATA / "azure" / name
    rows = read_rows(path)

    def key(r):
        # Azure writes MM/DD/YYYY; vendor "Microsoft" unless the meter names OpenAI
        m, _d, y = r["Date"].split("/")
        names = " ".join(r.get(c, "") for c in ("MeterCategory", "MeterSubCategory", "MeterName", "Product"))
        vendor = "Azure OpenAI" if "openai" in names.lower() else "Microsoft"
        return vendor, f"{y}-{m}"

    cost_col = "CostInBillingCurrency" if "CostInBillingCurrency" in rows[0] else "Cost"
    expected = group(rows, key, lambda r: _dec(r[cost_col]))
    # virtual machines, storage, SQL, networking: no AI service in these exports, so every row is
    # imported and every budget line on them stays at 0.00 (kept, not counted as AI spend)
    assert not any(r["MeterCategory"] in ("Azure OpenAI", "Cognitive Services") for r in rows)
    d = _check_usage_file(tmp_path, capsys, path, expected, len(rows), counted={})
    assert d["imports"][0]["format"].startswith("azure")
    assert d["imports"][0]["rows_imported"] == len(rows)


def test_openai_dashboard_export_with_its_short_row(tmp_path, capsys):
    path = DATA / "vendor-fixtures" / "openai_dashboard_cost_export_fixture.csv"
    rows = read_rows(path)
    # the empty time bucket (no amount, no line item) counts as zero spend
    expected = group(rows, lambda r: ("OpenAI", r["start_time_iso"][:7]), lambda r: _dec(r["amount_value"]))
    assert expected == {("OpenAI", "2026-09"): Decimal("0.50")}
    d = _check_usage_file(tmp_path, capsys, path, expected, len(rows))
    assert d["imports"][0]["format"].startswith("openai")


@pytest.mark.parametrize("name", ["contract_commitment_scenario_2.csv", "contract_commitment_scenario_3.csv"])
def test_focus_contract_commitments_usd(capsys, name):
    path = SPEC / name
    rows = read_rows(path)
    d = analyze(capsys, "--contracts", path)
    check_accounting(d)
    got = {c["contract_id"]: (c["vendor"], c["commitment"], c["term_start"], c["term_end"]) for c in d["contracts"]}
    want = {}
    for r in rows:
        end = datetime.fromisoformat(r["ContractCommitmentPeriodEnd"].replace("Z", "+00:00")).date()
        # FOCUS period ends are exclusive: the last day is the day before
        want[r["ContractCommitmentId"]] = (
            r["ServiceProviderName"], f"{Decimal(r['ContractCommitmentCost']):.2f}",
            _utc_day(r["ContractCommitmentPeriodStart"]), (end.fromordinal(end.toordinal() - 1)).isoformat())
    assert got == want


def test_focus_contract_commitments_eur_needs_fx(tmp_path, capsys):
    path = SPEC / "contract_commitment_scenario_1.csv"
    # without a rate the EUR contracts are left out, named with their rows (exit 0, not a crash)
    status, out, err = run(capsys, "analyze", "--contracts", path, "--format", "json")
    assert status == 0, err
    d = json.loads(out)
    assert d["contracts"] == []
    gone = [w for w in d["warnings"] if "is left out of the figures: no FX rate for EUR -> USD" in w]
    assert len(gone) == len(read_rows(path)) and any(w.startswith("contract_commitment_scenario_1.csv row 2:")
                                                      for w in gone)
    fx = write(tmp_path / "fx.csv", "currency,rate\nEUR,1.08\n")
    d = analyze(capsys, "--contracts", path, "--fx-rates", fx)
    want = {r["ContractCommitmentId"]: f"{Decimal(r['ContractCommitmentCost']) * Decimal('1.08'):.2f}"
            for r in read_rows(path)}
    assert {c["contract_id"]: c["commitment"] for c in d["contracts"]} == want


@pytest.fixture(scope="module")
def demo():
    """analyze --demo once for the by-hand checks below, and the demo usage rows."""
    import contextlib
    import io
    import json

    from desktop.cli import main
    from desktop.resources import demo_files

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["analyze", "--demo", "--format", "json"]) == 0
    return {"json": json.loads(buf.getvalue()), "usage": read_rows(dict(demo_files())["usage"])}


def test_demo_accounting_and_consumed_equals_usage(demo):
    from desktop.resources import demo_files  # only to locate the bundled files

    files = dict(demo_files())
    d = demo["json"]
    check_accounting(d)
    assert all(r["rows_rejected"] == 0 for r in d["imports"])
    usage = demo["usage"]
    commits = read_rows(files["commitments"])
    as_of = d["as_of"]
    # consumed per commit period and per contract, computed by hand from the rows: each figure is
    # its rows' exact sum rounded once (the contract total is NOT the sum of rounded periods: that
    # was qa-bugs.md N1/B13, fixed in fca86be)
    for c in d["contracts"]:
        exact_total = Decimal(0)
        for p in c["periods"]:
            total = Decimal(0)
            for r in usage:
                if r.get("commit_eligible", "true").strip().lower() in ("false", "0", "no"):
                    continue
                if r.get("contract_id") and r["contract_id"] != c["contract_id"]:
                    continue
                if not r.get("contract_id") and r["vendor"].lower() != c["vendor"].lower():
                    continue
                if p["period_start"] <= r["date"] <= min(as_of, p["period_end"]):
                    total += Decimal(r["cost"])
            assert Decimal(p["consumed"]) == cents(total), (c["contract_id"], p["period_start"])
            exact_total += total
        assert Decimal(c["consumed_to_date"]) == cents(exact_total), c["contract_id"]
    # every contract has figures except the offers (status proposed: they draw down nothing)
    assert {c["contract_id"] for c in d["contracts"]} == {r["contract_id"] for r in commits
                                                          if r.get("status") != "proposed"}
    # invoiced per invoice = sum of non-tax lines; tax apart
    inv = read_rows(files["invoices"])
    for i in d["invoices"]:
        lines = [r for r in inv if r["invoice_id"] == i["invoice_id"]]
        non_tax = sum((Decimal(r["amount"]) for r in lines if r.get("line_type", "usage") != "tax"), Decimal(0))
        tax = sum((Decimal(r["amount"]) for r in lines if r.get("line_type") == "tax"), Decimal(0))
        assert Decimal(i["invoiced"]) == non_tax and Decimal(i["tax"]) == tax, i["invoice_id"]


def test_demo_budget_actuals_and_invoice_expected_by_hand(demo):
    from desktop.resources import demo_files

    files = dict(demo_files())
    d = demo["json"]
    T = d["as_of"]
    usage = demo["usage"]
    budgets = {(b["allocation"], b["month"]): b for b in read_rows(files["budgets"])}
    for b in d["budgets"]:
        line = budgets[(b["allocation"], b["month"])]
        dim, value = line["dimension"], line["value"].lower()
        actual = sum((Decimal(r["cost"]) for r in usage
                      if r["date"][:7] == b["month"] and r["date"] <= T and r[dim].lower() == value), Decimal(0))
        assert Decimal(b["actual"]) == cents(actual), (b["allocation"], b["month"])
        assert Decimal(b["budget"]) == Decimal(line["budget"])
    vendor_key = {"openai, l.l.c.": "openai"}
    for i in d["invoices"]:
        v = vendor_key.get(i["vendor"].lower(), i["vendor"].lower())
        expected = sum((Decimal(r["cost"]) for r in usage
                        if r["vendor"].lower() == v and i["period_start"] <= r["date"] <= i["period_end"]), Decimal(0))
        assert Decimal(i["expected"]) == cents(expected), i["invoice_id"]
        assert Decimal(i["variance"]) == Decimal(i["invoiced"]) - Decimal(i["expected"])


def test_demo_anomalies_by_hand(demo):
    """z-score per team, vendor and model: daily spend zero-filled from the first day seen, the up
    to 30 earlier days (at least 7), sample std, flagged when std > 0 and z > 3."""
    import statistics
    from datetime import date, timedelta


    d = demo["json"]
    T = date.fromisoformat(d["as_of"])
    usage = demo["usage"]
    want = set()
    for dim in ("team", "vendor", "model"):
        daily: dict[str, dict[date, Decimal]] = {}
        for r in usage:
            day = date.fromisoformat(r["date"])
            if day > T or not r[dim]:
                continue
            per = daily.setdefault(r[dim], {})
            per[day] = per.get(day, Decimal(0)) + Decimal(r["cost"])
        for value, per in daily.items():
            first = min(per)
            series = [per.get(first + timedelta(n), Decimal(0)) for n in range((T - first).days + 1)]
            for k in range(7, len(series)):
                window = [float(x) for x in series[max(0, k - 30):k]]
                mean, std = statistics.fmean(window), statistics.stdev(window)
                if std > 0 and (float(series[k]) - mean) / std > 3:
                    want.add((dim, value, (first + timedelta(k)).isoformat()))
    got = {(a["dimension"], a["value"], a["date"]) for a in d["anomalies"]}
    assert got == want and got


@pytest.mark.parametrize("as_of", [None, "2026-03-31", "2025-06-01", "2027-06-01"])
def test_demo_pacing_and_exposure_by_hand(demo, capsys, as_of):
    """Every period figure of domain.md (expected, run rate, projected, carry, shortfall penalty,
    overage premium) recomputed from the demo files with Decimal; at the demo's as-of date, on a
    period end, before every term and after every term."""
    from datetime import date, timedelta

    from desktop.resources import demo_files

    files = dict(demo_files())
    d = demo["json"] if as_of is None else analyze(capsys, "--demo", "--as-of", as_of)
    T = date.fromisoformat(d["as_of"])
    usage = demo["usage"]
    commits = read_rows(files["commitments"])
    for c in d["contracts"]:
        periods = sorted((r for r in commits if r["contract_id"] == c["contract_id"]), key=lambda r: r["period_start"])
        spans = [(date.fromisoformat(p["period_start"]), date.fromisoformat(p["period_end"])) for p in periods]

        def draws(r, c=c, spans=spans):
            if r.get("commit_eligible", "true").lower() == "false":
                return False
            if r.get("contract_id"):
                return r["contract_id"] == c["contract_id"]
            day = date.fromisoformat(r["date"])
            return r["vendor"].lower() == c["vendor"].lower() and any(s <= day <= e for s, e in spans)

        mine = [(date.fromisoformat(r["date"]), Decimal(r["cost"])) for r in usage if draws(r)]
        term_start = spans[0][0]
        window_start = max(T - timedelta(13), term_start)
        n_days = min(14, (T - term_start).days + 1)
        run_rate = (sum((x for day, x in mine if window_start <= day <= T), Decimal(0)) / n_days
                    if n_days > 0 else Decimal(0))
        assert Decimal(c["run_rate"]) == cents(run_rate), c["contract_id"]
        # docs/domain.md: the run rate is rounded to cents first and that figure drives projected_p
        run_rate = cents(run_rate)
        days_left = (spans[-1][1] - max(T, term_start - timedelta(1))).days
        if days_left > 0:
            required = max(Decimal(0), Decimal(c["commitment"]) - Decimal(c["consumed_to_date"])) / days_left
            assert Decimal(c["required_run_rate"]) == cents(required), c["contract_id"]
        else:
            assert c["required_run_rate"] is None
        carry = Decimal(0)
        for k, (p, (s, e), got) in enumerate(zip(periods, spans, c["periods"], strict=True)):
            C = Decimal(p["commitment"])
            days = (e - s).days + 1
            elapsed = min(max((T - s).days + 1, 0), days)
            consumed = sum((x for day, x in mine if s <= day <= min(T, e)), Decimal(0))
            expected = C * elapsed / days
            if e <= T:
                projected = consumed
            elif s <= T:
                projected = consumed + run_rate * (e - T).days
            else:
                projected = run_rate * days
            c_eff = C + carry
            shortfall = max(Decimal(0), c_eff - projected)
            last = k == len(periods) - 1
            carry_out = Decimal(0) if last else min(shortfall, Decimal(p["rollover_pct"] or 0) / 100 * C)
            penalty = (shortfall - carry_out) * Decimal(p["shortfall_penalty_pct"] or 100) / 100
            overage = max(Decimal(0), projected - c_eff)
            premium = overage * (Decimal(p["overage_multiplier"] or 1) - 1)
            want = {"commitment": C, "carry_in": carry, "consumed": consumed, "expected": expected,
                    "projected": projected, "shortfall": shortfall, "carry_out": carry_out,
                    "shortfall_penalty": penalty, "overage": overage, "overage_premium": premium}
            for key, value in want.items():
                assert Decimal(got[key]) == cents(value), (c["contract_id"], p["period_start"], key, got[key], value)
            carry = carry_out


@pytest.mark.parametrize("as_of", [None, "2026-06-15"])
def test_demo_budget_forecast_severity_tier_by_hand(demo, capsys, as_of):
    from calendar import monthrange
    from datetime import date, timedelta

    from desktop.resources import demo_files

    files = dict(demo_files())
    d = demo["json"] if as_of is None else analyze(capsys, "--demo", "--as-of", as_of)
    T = date.fromisoformat(d["as_of"])
    usage = demo["usage"]
    lines = {(b["allocation"], b["month"]): b for b in read_rows(files["budgets"])}

    def spend(line, lo, hi):
        dim, value = line["dimension"], line["value"].lower()
        return sum((Decimal(r["cost"]) for r in usage
                    if lo <= date.fromisoformat(r["date"]) <= hi and r[dim].lower() == value), Decimal(0))

    for b in d["budgets"]:
        line = lines[(b["allocation"], b["month"])]
        y, m = map(int, b["month"].split("-"))
        first, last = date(y, m, 1), date(y, m, monthrange(y, m)[1])
        budget = Decimal(line["budget"])
        actual = cents(spend(line, first, min(last, T)))
        rr = cents(spend(line, T - timedelta(13), T) / 14)
        days_after = 0 if last <= T else (last - max(T, first - timedelta(1))).days
        forecast = actual + rr * days_after
        assert (Decimal(b["actual"]), Decimal(b["forecast"])) == (actual, forecast), b
        util = actual / budget
        vpct = (forecast - budget) / budget
        severity = ("high" if vpct >= Decimal("0.20") else "medium" if vpct >= Decimal("0.10") else
                    "low" if vpct > 0 else "under" if vpct <= Decimal("-0.20") else "none")
        tiers = [(Decimal("1.00"), "hard_cap"), (Decimal("0.95"), "hard_stop"), (Decimal("0.90"), "critical"),
                 (Decimal("0.70"), "warning"), (Decimal("0.50"), "info")]
        tier = next((t for lim, t in tiers if util >= lim), "none")
        prev_last = first - timedelta(1)
        if prev_last <= T:
            prev = cents(spend(line, prev_last.replace(day=1), prev_last))
            order = ["none", "info", "warning", "critical", "hard_stop", "hard_cap"]
            if prev > 0 and forecast >= prev * Decimal("1.20") and order.index(tier) < order.index("critical"):
                tier = "critical"
        assert (b["severity"], b["alert_tier"]) == (severity, tier), (b["allocation"], b["month"])


def test_azure_mca_camelcase_export(tmp_path, capsys):
    """An MCA cost details export (camelCase, MM/DD/YYYY, JSON tags, a Marketplace row, a Purchase):
    vendors Azure OpenAI / Microsoft / the publisher; only Usage draws down a commitment."""
    import csv as _csv

    cols = ("invoiceId,billingAccountId,billingProfileId,costCenter,billingPeriodStartDate,billingPeriodEndDate,"
            "date,serviceFamily,meterId,meterName,meterCategory,meterSubCategory,meterRegion,ProductName,"
            "SubscriptionId,subscriptionName,publisherType,publisherName,resourceGroupName,ResourceId,"
            "resourceLocation,effectivePrice,quantity,unitOfMeasure,chargeType,billingCurrency,pricingCurrency,"
            "costInBillingCurrency,costInPricingCurrency,costInUsd,paygCostInBillingCurrency,"
            "exchangeRatePricingToBilling,isAzureCreditEligible,additionalInfo,tags,frequency,term,"
            "pricingModel,unitPrice,benefitId,benefitName").split(",")
    base = {"billingCurrency": "USD", "pricingCurrency": "USD", "publisherType": "Azure",
            "publisherName": "Microsoft", "chargeType": "Usage", "pricingModel": "OnDemand"}
    oai = {"meterCategory": "Cognitive Services", "meterSubCategory": "Azure OpenAI"}
    rows = [
        {**oai, "date": "02/03/2026", "meterName": "gpt-4o input tokens", "costInBillingCurrency": "123.456789",
         "tags": '{"team":"Search","env":"prod"}'},
        {**oai, "date": "02/14/2026", "meterName": "gpt-4o output tokens", "costInBillingCurrency": "0.004",
         "tags": '{"team":"Search"}'},
        {"date": "02/14/2026", "meterName": "D4s v5", "meterCategory": "Virtual Machines",
         "costInBillingCurrency": "45.10"},
        {"date": "03/01/2026", "meterName": "DBU", "meterCategory": "Databricks", "publisherType": "Marketplace",
         "publisherName": "Databricks", "costInBillingCurrency": "10.00", "tags": '{"team":"Data Platform"}'},
        {**oai, "date": "02/20/2026", "meterName": "gpt-4o PTU", "chargeType": "Purchase",
         "costInBillingCurrency": "1000.00"},
    ]
    path = tmp_path / "mca.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = _csv.DictWriter(fh, cols, restval="")
        w.writeheader()
        w.writerows({**base, **r} for r in rows)
    # the virtual machine and the Databricks Marketplace row are not AI services: their lines stay 0.00
    want = {("Azure OpenAI", "2026-02"): cents(Decimal("123.456789") + Decimal("0.004") + Decimal("1000.00")),
            ("Microsoft", "2026-02"): Decimal("0.00"), ("Databricks", "2026-03"): Decimal("0.00")}
    contracts = write(tmp_path / "c.csv", "contract_id,vendor,period_start,period_end,commitment\n"
                      "AZ,Azure OpenAI,2026-01-01,2026-12-31,100000\n")
    d = analyze(capsys, "--usage", path, "--budgets", budgets_for(tmp_path / "b.csv", want), "--contracts", contracts)
    assert {r["file"]: r["format"] for r in d["imports"]}["mca.csv"] == "azure-mca"
    assert actuals(d) == want
    assert d["contracts"][0]["consumed_to_date"] == str(cents(Decimal("123.456789") + Decimal("0.004")))
    teams = {("Search", "2026-02"): cents(Decimal("123.460789")), ("Data Platform", "2026-03"): Decimal("0.00")}
    d = analyze(capsys, "--usage", path, "--budgets", budgets_for(tmp_path / "t.csv", teams, dimension="team"))
    assert actuals(d) == teams


@pytest.mark.parametrize("dimension,tag_keys", [("environment", ("environment", "env")),
                                                ("team", ("business_unit",)),
                                                ("cost_center", ("CostCenter",))])
def test_focus_sample_tags_to_team_environment_cost_center(tmp_path, capsys, dimension, tag_keys):
    """FOCUS Tags JSON mapped through the default tag keys (business_unit -> team, env/environment
    -> environment, CostCenter -> cost_center); totals per value and month by hand."""
    import json as _json

    path = DATA / "focus" / "focus-1.0_sample.csv"
    rows = read_rows(path)

    def key(r):
        if r["Tags"] in ("", "NULL"):
            return None
        tags = {k.strip().lower(): v for k, v in _json.loads(r["Tags"]).items()}
        value = next((tags[k.lower()] for k in tag_keys if tags.get(k.lower())), None)
        return None if value is None else (value, _utc_day(r["ChargePeriodStart"])[:7])

    expected = group(rows, key, lambda r: _dec(r["EffectiveCost"]))
    counted = group([r for r in rows if _focus_ai(r)], key, lambda r: _dec(r["EffectiveCost"]))
    assert expected
    b = budgets_for(tmp_path / "b.csv", expected, dimension=dimension)
    d = analyze(capsys, "--usage", path, "--budgets", b)
    assert actuals(d) == {k: counted.get(k, Decimal("0.00")) for k in expected}


def test_demo_workload_shift_by_hand(demo, tmp_path_factory):
    """Workload-shift candidates of the brief (Exposure sheet) recomputed from the demo usage."""
    from datetime import date, timedelta

    import openpyxl
    from openpyxl.utils import range_boundaries

    from desktop.cli import main

    out = tmp_path_factory.mktemp("ws_brief") / "b.xlsx"
    assert main(["brief", "--demo", "--sections", "exposure", "--out", str(out)]) == 0
    ws = openpyxl.load_workbook(out)["Exposure"]
    c1, r1, c2, r2 = range_boundaries(ws.tables["WorkloadShift"].ref)
    head = [ws.cell(r1, c).value for c in range(c1, c2 + 1)]
    got = [dict(zip(head, (ws.cell(r, c).value for c in range(c1, c2 + 1)), strict=True)) for r in range(r1 + 1, r2 + 1)]
    d = demo["json"]
    T = date.fromisoformat(d["as_of"])
    risky = [c for c in d["contracts"] if c["band"] in ("shortfall_risk", "shortfall_watch")]
    assert risky
    want = []
    for c in risky:
        groups: dict = {}
        for r in demo["usage"]:
            if r["commit_eligible"].lower() == "false":
                continue
            day = date.fromisoformat(r["date"])
            draws = r["vendor"].lower() == c["vendor"].lower() and c["term_start"] <= r["date"] <= c["term_end"]
            if draws or not (T - timedelta(13) <= day <= T):
                continue
            basis, label = next((b, r[b]) for b in ("workload", "project", "model", "vendor") if r[b])
            groups[(basis, label, r["vendor"])] = groups.get((basis, label, r["vendor"]), Decimal(0)) + Decimal(r["cost"])
        open_periods = [p for p in c["periods"] if p["period_end"] > d["as_of"]]
        remaining = {p["period_start"]: Decimal(p["shortfall"]) for p in open_periods}
        ranked = sorted(((cents(v / 14), k) for k, v in groups.items() if cents(v / 14) > 0),
                        key=lambda x: (-x[0], x[1][1], x[1][2]))
        for rate, (basis, label, vendor) in ranked:
            covers = Decimal(0)
            days_left = 0
            for p in open_periods:
                end = date.fromisoformat(p["period_end"])
                start = date.fromisoformat(p["period_start"])
                left = (end - T).days if start <= T else (end - start).days + 1
                days_left += left
                take = min(rate * left, remaining[p["period_start"]])
                remaining[p["period_start"]] -= take
                covers += take
            # the brief shows the basis as a reader says it ("Workload")
            want.append((c["contract_id"], label, basis.capitalize(), vendor, rate, days_left, rate * days_left,
                         cents(covers)))
    rows = [(g["Contract"], g["Workload"], g["Basis"], g["Vendor"], cents(Decimal(repr(g["Run rate / day"]))),
             g["Days left"], cents(Decimal(repr(g["Movable spend"]))), cents(Decimal(repr(g["Covers"])))) for g in got]
    assert rows == want
