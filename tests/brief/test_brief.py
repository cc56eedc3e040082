"""The working brief written from a hand-made Analysis (tests/brief/fixtures.py)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

import desktop.brief as brief
from desktop.brief import SECTIONS, BriefError, write_brief
from desktop.brief.actions import normalize
from desktop.brief.book import Book
from desktop.brief.cells import needs_quote_prefix
from desktop.brief.data import burn_up
from desktop.brief.narrative import sentences, short_money
from desktop.domain.progress import Cancelled, Progress
from desktop.domain.renewal import RenewalInputs, cost_for_level, list_spend

from . import fixtures as fx
from .readback import label_values, load, money, table

SHEETS = ["Summary", "Pacing", "Burn by month", "Exposure", "Invoices", "Budgets", "Anomalies", "Renewal",
          "Negotiation", "Actions", "Chargeback", "Reconciliation", "Assumptions", "Data"]


@pytest.fixture(scope="module")
def analysis():
    return fx.analysis()


@pytest.fixture(scope="module")
def book_bytes(analysis):
    # overdue is judged against the day the brief is written (TODAY() when opened): fixed here
    return write_brief(analysis, today=fx.AS_OF)


@pytest.fixture(scope="module")
def wb(book_bytes):
    return load(book_bytes)


def test_sections_and_sheet_order(wb):
    assert list(SECTIONS) == ["summary", "pacing", "burn", "exposure", "invoices", "budgets", "anomalies",
                              "renewal", "negotiation", "actions", "chargeback", "reconciliation", "assumptions", "data"]
    assert wb.sheetnames == SHEETS


def test_section_subset_and_unknown_section(analysis):
    assert load(write_brief(analysis, sections=["invoices"])).sheetnames == ["Invoices"]
    # the burn-up charts read the Data sheet, so pacing brings it along
    assert load(write_brief(analysis, sections=["pacing", "summary"])).sheetnames == ["Summary", "Pacing", "Data"]
    assert load(write_brief(analysis, sections=["budgets,anomalies"])).sheetnames == ["Budgets", "Anomalies"]
    with pytest.raises(BriefError, match="unknown brief section 'gossip'"):
        write_brief(analysis, sections=["gossip"])


def test_exposure_money_cells_equal_the_analysis(wb, analysis):
    rows = table(wb["Exposure"], "Exposure")
    assert [r["Contract"] for r in rows] == [c.contract_id for c in analysis.contracts]
    for r, c in zip(rows, analysis.contracts, strict=True):
        assert money(r["Commitment"]) == c.commitment
        assert money(r["Consumed to date"]) == c.consumed_to_date
        assert money(r["Expected to date"]) == c.expected_to_date
        assert money(r["Projected consumption"]) == c.projected_consumption
        assert money(r["Shortfall exposure"]) == c.shortfall_exposure
        assert money(r["Overage"]) == c.overage
        assert money(r["Overage premium"]) == c.overage_premium
        assert r["Pacing"] == pytest.approx(c.pacing_ratio)
        assert r["Band"] == {"shortfall_risk": "Shortfall risk", "overage_risk": "Overage risk"}[c.band]
        assert r["Term start"] == datetime.combine(c.term_start, datetime.min.time())
        assert r["Commitment@cell"].number_format == "#,##0.00;-#,##0.00"
        assert r["Pacing@cell"].number_format == "0.0%"
        assert r["Term start@cell"].number_format == "yyyy-mm-dd"
    rates = table(wb["Exposure"], "ExposureRates")  # run rates, owners and the clause below the figures
    assert [(r["Contract"], money(r["Run rate / day"]), r["Owner"]) for r in rates] == [
        (c.contract_id, c.run_rate, c.owner) for c in analysis.contracts]
    # an undefined figure is an empty cell, not 0 or "None"
    assert rates[0]["Smoothed run rate / day"] is None
    assert table(wb["Exposure"], "WorkloadShift")[0]["Covers"] == pytest.approx(126232.05)


def test_pacing_periods_equal_the_analysis(wb, analysis):
    rows = table(wb["Pacing"], "Pacing")
    periods = [(c, p) for c in analysis.contracts for p in c.periods]
    assert len(rows) == len(periods) == 3
    for r, (c, p) in zip(rows, periods, strict=True):
        assert r["Contract"] == c.contract_id
        for h, v in (("Commitment", p.commitment), ("Carry in", p.carry_in), ("Consumed", p.consumed),
                     ("Expected", p.expected), ("Projected", p.projected), ("Shortfall", p.shortfall),
                     ("Carry out", p.carry_out), ("Shortfall penalty", p.shortfall_penalty),
                     ("Overage", p.overage), ("Overage premium", p.overage_premium)):
            assert money(r[h]) == v, h
    assert len(wb["Pacing"]._charts) == 2  # one burn-up per contract


def test_invoices_and_flagged_lines(wb, analysis):
    rows = table(wb["Invoices"], "Invoices")
    for r, i in zip(rows, analysis.invoices, strict=True):
        assert r["Invoice"] == i.invoice_id
        assert money(r["Invoiced (excl. tax)"]) == i.invoiced
        assert money(r["Expected (usage)"]) == i.expected
        assert money(r["Variance"]) == i.variance
        assert money(r["Tax"]) == i.tax
        assert money(r["Premium leakage"]) == i.premium_leakage
        assert r["Status"] == {"within_tolerance": "Within tolerance", "overbilled": "Overbilled",
                               "underbilled": "Underbilled", "no_usage_period": "No usage in the period"}[i.status]
    # "=OAI-2026-10" is an invoice id, not a formula
    cell = rows[1]["Invoice@cell"]
    assert cell.data_type == "s" and cell.value == "=OAI-2026-10" and cell.quotePrefix
    assert rows[1]["Period inferred"] == "yes"
    flags = table(wb["Invoices"], "FlaggedLines")
    assert [(f["Invoice"], f["Line"], f["Flag"], money(f["Leakage"]), f["Owner"]) for f in flags] == [
        ("=OAI-2026-10", 199, "Duplicate line", Decimal("23703.29"), "Priya Raman"),
        ("=OAI-2026-10", 225, "Premium rate", Decimal("2015.50"), "#N/A"),
    ]
    assert flags[1]["Owner@cell"].data_type == "s"  # "#N/A" from data is text, not an error


def test_budgets_anomalies_chargeback(wb, analysis):
    rows = table(wb["Budgets"], "Budgets")
    for r, b in zip(rows, analysis.budgets, strict=True):
        for h, v in (("Budget", b.budget), ("Actual", b.actual), ("Forecast", b.forecast),
                     ("Variance", b.variance), ("Run rate / day", b.run_rate)):
            assert money(r[h]) == v
        assert r["Utilization"] == pytest.approx(b.utilization)

    assert [(r["Severity"], r["Alert tier"]) for r in rows] == [("High", "Warning"), ("Under", "None")]
    assert rows[0]["RCA due"] == datetime(2026, 11, 16)
    assert rows[0]["Containment owner"] == "=Jon Okafor"
    assert rows[0]["Containment owner@cell"].quotePrefix
    an = table(wb["Anomalies"], "Anomalies")
    assert [(a["Value"], money(a["Spend"]), a["z"]) for a in an] == [
        ("=cmd|' /C calc'!A0", Decimal("3661.81"), 3.69), ("claude-3-5-haiku", Decimal("1965.11"), 21.76)]
    cb = table(wb["Chargeback"], "Chargeback")
    assert [(c["Cost center"], money(c["Amount"]), c["Invoice ids"]) for c in cb] == [
        ("CC-SEARCH", Decimal("46500.00"), "ANT-2026-10"), ("unallocated", Decimal("102100.00"), "=OAI-2026-10")]
    assert money(wb["Chargeback"]["D3"].value) == Decimal("148600.00")


def test_summary_kpis_are_the_sums(wb, analysis, book_bytes):
    ws = wb["Summary"]
    left = label_values(ws, 1, 3)
    right = label_values(ws, 6, 10)
    cs = analysis.contracts
    assert money(left["Total commitment"]) == sum(c.commitment for c in cs) == Decimal("1450000.00")
    assert money(left["Consumed to date"]) == Decimal("1230330.87")
    assert money(left["Shortfall exposure"]) == Decimal("231000.00")
    assert money(left["Overage premium"]) == Decimal("57132.72")
    assert left["As-of date"] == datetime(2026, 11, 15)
    assert money(right["Premium leakage"]) == Decimal("25718.79")
    assert money(right["Invoice variance (net)"]) == Decimal("23703.29")
    assert right["Contracts"] == 2 and right["Anomalies"] == 2
    assert right["Open actions"] == 3
    # the count is a formula over the Actions sheet's Overdue column (TODAY() when opened); its
    # cached value is the count on the day written (2026-11-15 here): the anomaly was due 11-10
    assert right["Overdue actions (due before today)"] == '=COUNTIF(Actions!H6:H8,"overdue")'
    cached = label_values(load(book_bytes, data_only=True)["Summary"], 6, 10)
    assert cached["Overdue actions (due before today)"] == 1
    contracts = table(ws, "SummaryContracts")
    assert [(r["Contract"], r["Pace"], money(r["Avoidable shortfall"])) for r in contracts] == [
        ("ANT-2026", "Shortfall risk", Decimal("231000.00")), ("OAI-2026", "Overage risk", Decimal("0.00"))]


def test_page_one_lists_the_largest_money_at_stake_first(wb):
    """57,132.72 (overage premium) > 10,100.00 (budget overrun) > 800.00 (spike): the first line
    of the ranking is the largest, with owner and due date; the total is on top."""
    ws = wb["Summary"]
    rows = table(ws, "SummaryAtStake")
    assert [(money(r["At stake"]), r["What is at stake"], r["Owner"]) for r in rows] == [
        (Decimal("57132.72"), "Overage premium", "Dana Whitfield (VP Finance)"),
        (Decimal("10100.00"), "Budget overrun forecast", "Elena Park"),
        (Decimal("800.00"), "Spend above normal", None)]
    assert rows[0]["Due"] == datetime(2026, 11, 22)
    assert rows[0]["Action"] == "=OAI-2026 pacing at 128%" and rows[0]["Action@cell"].quotePrefix
    assert ws["A5"].value == "Total money at stake (open actions)"
    assert money(ws["C5"].value) == Decimal("68032.72")  # 57,132.72 + 10,100.00 + 800.00
    # the ranking is the first table of the page
    first_table_row = min(int(t.ref.split(":")[0][1:]) for t in ws.tables.values())
    assert first_table_row == min(int(t.ref.split(":")[0][1:]) for t in ws.tables.values()
                                  if t.displayName == "SummaryAtStake")


def test_narrative_is_written_from_the_figures(analysis):
    text = sentences(analysis, normalize(None, analysis))
    assert text[0].startswith("ANT-2026 (Anthropic) is burning 20% below its line (shortfall risk)")
    assert "231k USD short" in text[0] and "shortfall exposure of 231k USD" in text[0]
    assert "it needs 2.9k USD/day against 1.5k USD/day now" in text[0]
    assert text[1] == ("OAI-2026 (OpenAI) is burning 28% above its line (overage risk); at this run rate "
                       "the term ends 228.5k USD over commitment by 2026-12-31, costing 57.1k USD in overage "
                       "premium. The current period (to 2026-12-31) is heading 186.4k USD over its 400k USD.")
    assert any(s.startswith("Invoices: 1 invoice billed above usage (largest: =OAI-2026-10, 23.7k USD over)")
               for s in text)
    assert any("Search AI (2026-11) is heading 10.1k USD over (25%)" in s for s in text)
    assert any(s.startswith("1 budget line will leave 12k USD unspent") for s in text)
    assert text[-1].startswith("Actions: 3 open, 1 overdue; next due 2026-11-16")
    assert short_money(Decimal("72500")) == "72.5k" and short_money(Decimal("1234567")) == "1.23M"


def test_no_cell_is_an_error_and_formulas_only_where_analysts_edit(wb):
    formula_cols = {"Renewal": {"B", "F", "G", "H"}, "Actions": {"C", "H"}, "Summary": {"J"}}
    n_formulas = 0
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "e", (ws.title, c.coordinate, c.value)
                if c.data_type == "f":
                    assert c.column_letter in formula_cols.get(ws.title, set()), (ws.title, c.coordinate, c.value)
                    n_formulas += 1
                elif isinstance(c.value, str) and c.data_type == "s":
                    assert bool(c.quotePrefix) == needs_quote_prefix(c.value.replace("_x000D_", "\r")), \
                        (ws.title, c.coordinate, c.value)
    # renewal: 2 list-spend cells, 2 x (recommendation + its cost), 3 columns x (3 + 2) rows;
    # actions: TODAY() and 3 overdue cells; the Summary's overdue count
    assert n_formulas == 2 + 2 * 2 + 3 * 5 + 1 + 3 + 1


def test_every_payload_in_the_data_stays_text(book_bytes, analysis):
    wb = load(write_brief(analysis, raw_usage=True))
    seen = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.data_type == "s":
                    from desktop.brief.cells import decode

                    seen.add(decode(c.value))
                assert c.data_type != "e"
                if c.data_type == "f":
                    assert ws.title in ("Renewal", "Actions") or c.value.startswith("=COUNTIF(Actions!")
    assert set(fx.PAYLOADS) <= seen


def test_renewal_formulas_carry_the_domain_values(book_bytes, analysis):
    wb = load(book_bytes, data_only=True)
    formulas = load(book_bytes)["Renewal"]
    ws = wb["Renewal"]
    sc = analysis.renewal[0]  # OpenAI: 45,000/month, 2 % growth, 12 months, x1.25 overage
    ri = RenewalInputs(name=sc.name, vendor=sc.vendor, baseline_monthly=sc.baseline_monthly,
                       term_months=12, overage_multiplier=1.25, shortfall_penalty_pct=100.0)
    # the block starts at row 5: section, header row 6, inputs 7..11, list spend 12
    assert formulas["B12"].value == "=$B$7*IF($B$8=0,$B$9,(1+$B$8)*((1+$B$8)^$B$9-1)/$B$8)"
    assert money(ws["B12"].value) == list_spend(ri, 0.02) == Decimal("615614.92")
    for i, row in enumerate(sc.rows):
        r = 7 + i
        assert money(ws[f"D{r}"].value) == row.commit_level
        assert ws[f"E{r}"].value == pytest.approx(row.discount_pct / 100)
        cost = cost_for_level(ri, row.commit_level, row.discount_pct, 0.02)
        assert money(ws[f"G{r}"].value) == cost
        assert money(ws[f"H{r}"].value) == list_spend(ri, 0.02) - cost
        # simulated columns are plain values from the analysis
        assert formulas[f"J{r}"].data_type == "n"
        assert money(ws[f"J{r}"].value) == row.expected_cost
        assert ws[f"L{r}"].value == pytest.approx(row.p_shortfall)
    # K = 400,000 at 8 %: L = 45,000 x sum 1.02^t (t = 1..12) = 615,614.9185...,
    # S = 0.92 L = 566,365.7250... > K -> cost = 400,000 + 166,365.7250... x 1.25 = 607,957.16
    assert ws["F7"].value == pytest.approx(566365.7250393581, abs=1e-6)
    assert money(ws["G7"].value) == Decimal("607957.16")
    assert formulas["G7"].value == "=ROUND(IF(F7<=D7,F7+(D7-F7)*$B$11/100,D7+(F7-D7)*$B$10),2)"


def test_renewal_recommendation_is_the_live_least_cost(book_bytes):
    """The recommended level is a formula over the cost column beside it (so an edited input moves
    it), cached with the domain's pick. OpenAI (tests/domain/test_renewal.py by hand): costs
    607,957.16 / 567,566.78 / 600,000.00 -> 500,000. Anthropic (33,333.33 a month, no growth,
    penalty 80 %): L = 399,999.96; 400,000 at 8 %: S = 367,999.96 -> 367,999.96 + 32,000.04 x 0.8
    = 393,599.99; 500,000 at 10 %: S = 359,999.96 -> 471,999.99 -> 400,000."""
    formulas = load(book_bytes)["Renewal"]
    cached = load(book_bytes, data_only=True)["Renewal"]
    rec = [r for r in range(1, formulas.max_row + 1)
           if formulas.cell(r, 1).value == "Recommended commit level (least cost on the expected path)"]
    assert rec[0] == 13 and len(rec) == 2
    assert formulas["B13"].value == "=INDEX($D$7:$D$9,MATCH(MIN($G$7:$G$9),$G$7:$G$9,0))"
    assert (cached["B13"].value, cached["B14"].value) == (500000, 567566.78)
    assert formulas["B14"].value == "=MIN($G$7:$G$9)"
    second = rec[1]
    assert cached.cell(second, 2).value == 400000 and cached.cell(second + 1, 2).value == 393599.99
    # the simulated recommendations stay values, under their own heading
    assert cached["A16"].value.startswith("Seeded simulation (values; they do not change")
    assert (cached["A19"].value, cached["B19"].value) == ("Least expected cost (simulated) at K", 500000)
    assert formulas["B19"].data_type == "n"
    # the recommended row is highlighted live: the rule compares K with the recommendation cell
    rules = [r.formula[0] for cf in formulas.conditional_formatting for r in cf.rules]
    assert "$D7=$B$13" in rules


def test_renewal_chart_from_zero_without_smoothing(wb):
    """Two series (cost on the expected path, P(shortfall)), the cost axis from 0, the P(shortfall)
    axis 0..100 %, straight lines (a smoothed line overshoots 100 % between points)."""
    charts = wb["Renewal"]._charts
    assert len(charts) == 2
    for chart in charts:
        bar = chart
        line = chart._charts[1]
        assert all(s.val.numRef.f.startswith("'Renewal'!$G$") for s in bar.series)  # the formula column
        assert len(bar.series) + len(line.series) == 2
        assert bar.y_axis.scaling.min == 0
        assert (line.y_axis.scaling.min, line.y_axis.scaling.max) == (0, 1)
        assert all(s.smooth is False for s in line.series)


def test_renewal_terms_fall_back_to_the_vendor_commitments(analysis):
    import dataclasses

    from desktop.brief.sheets import _renewal_terms

    sc = dataclasses.replace(analysis.renewal[1], overage_multiplier=None, shortfall_penalty_pct=None)
    assert _renewal_terms(analysis, sc) == (1.5, 80.0)
    bare = fx.empty_analysis()
    assert _renewal_terms(bare, sc) == (1.0, 100.0)


def test_actions_checklist_from_workspace(analysis):
    from desktop.domain.actions import Action

    acts = [
        Action(key="k1", title="Recover duplicate line", kind="invoice_flag", severity="high",
               finding_owner="Priya Raman", due=date(2026, 11, 10), status="in_progress", notes="=call vendor",
               opened_at=date(2026, 11, 1)),
        Action(key="k2", title="Budget RCA", kind="budget", severity="medium", finding_owner="Elena Park",
               due=date(2026, 11, 1), status="done", notes="", opened_at=date(2026, 10, 20),
               resolved_at=date(2026, 10, 30), resolution="analyst"),
        Action(key="k3", title="Renewal prep", kind="contract", severity="low", finding_owner=None,
               due=date(2026, 12, 1), status="open", notes="", opened_at=date(2026, 11, 2)),
        # resolved by newer data while a person had it in progress: not open, not overdue
        Action(key="k4", title="Spike", kind="anomaly", severity="high", finding_owner=None,
               due=date(2026, 11, 3), status="in_progress", notes="asked Leo", opened_at=date(2026, 10, 28),
               resolved_at=date(2026, 11, 15), resolution="data",
               resolution_reason="resolved by data of 2026-11-15: no longer an anomaly"),
    ]
    data = write_brief(analysis, sections=["actions"], actions=acts, today=date(2026, 11, 15))
    ws = load(data)["Actions"]
    cached = load(data, data_only=True)["Actions"]
    rows = table(ws, "Actions")
    # open first, then by due date; statuses as a reader says them
    assert [r["Action"] for r in rows] == ["Recover duplicate line", "Renewal prep", "Budget RCA", "Spike"]
    assert [r["Status"] for r in rows] == ["In progress", "Open", "Done", "In progress"]
    assert rows[0]["Notes"] == "=call vendor" and rows[0]["Notes@cell"].quotePrefix
    assert rows[0]["Opened (data date)"] == datetime(2026, 11, 1)
    assert (rows[2]["Resolved (data date)"], rows[2]["Days to resolve"]) == (datetime(2026, 10, 30), 10)
    assert (rows[3]["Resolution"], rows[3]["Days to resolve"]) == ("By newer data", 18)  # 2026-10-28 -> 11-15
    assert rows[3]["Why resolved"] == "resolved by data of 2026-11-15: no longer an anomaly"
    over = [cached.cell(r["Overdue@cell"].row, r["Overdue@cell"].column).value for r in rows]
    assert over[0] == "overdue" and all(v in ("", None) for v in over[1:])
    assert rows[0]["Overdue@cell"].value.startswith("=IF(AND(F6<>\"\",F6<$C$3,")
    dv = ws.data_validations.dataValidation
    assert len(dv) == 1 and dv[0].type == "list"
    assert dv[0].formula1 == '"Open,In progress,Done,Won\'t fix"' and str(dv[0].sqref) == "G6:G9"
    assert rows[0]["Overdue@cell"].value == ('=IF(AND(F6<>"",F6<$C$3,OR(G6="Open",G6="In progress"),O6=""),'
                                             '"overdue","")')
    # the ten columns a reader acts on print (A..J); the resolution record beside them does not
    assert ws.print_area == "'Actions'!$A$1:$J$9"
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert any("$F6<$C$3" in r.formula[0] for r in rules)  # overdue rows highlighted vs today
    # C3 is TODAY(): overdue is judged on the day the file is opened; cached: the day written
    assert ws["C3"].value == "=TODAY()" and cached["C3"].value == datetime(2026, 11, 15)
    assert [r["Severity"] for r in rows] == ["High", "Low", "Medium", "High"]


def test_actions_derived_from_findings(wb, analysis):
    rows = table(wb["Actions"], "Actions")
    assert [r["Kind"] for r in rows] == ["Anomaly", "Budget", "Contract"]
    assert all(r["Status"] == "Open" for r in rows)
    assert rows[2]["Action"] == "=OAI-2026 pacing at 128%" and rows[2]["Action@cell"].quotePrefix


def test_quality_layout_and_properties(wb):
    for title in ("Pacing", "Exposure", "Invoices", "Budgets", "Anomalies", "Chargeback", "Data"):
        ws = wb[title]
        assert ws.freeze_panes in ("B5", "A5"), title
        # the journal's six columns read better upright: two pages of it instead of three
        assert ws.page_setup.orientation == ("portrait" if title == "Chargeback" else "landscape")
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$4:$4"
        assert ws.tables, title
        assert all(t.autoFilter is not None or t.headerRowCount for t in ws.tables.values())
    assert wb["Pacing"].column_dimensions["A"].width >= 10
    bands = [r for cf in wb["Pacing"].conditional_formatting for r in cf.rules]
    assert {r.formula[0].split("=")[1] for r in bands} >= {'"Shortfall risk"', '"Overage risk"', '"On pace"'}
    sev = [r.formula[0] for cf in wb["Budgets"].conditional_formatting for r in cf.rules]
    assert any('"High"' in f for f in sev) and any('"Hard cap"' in f for f in sev)
    p = wb.properties
    assert p.title == "CommitDesk working brief as of 2026-11-15" and p.creator == "CommitDesk"
    assert "OAI-2026" in p.description


def test_no_merged_cells_inside_tables(wb):
    """Excel repairs (and drops) a table that holds merged cells."""
    from openpyxl.worksheet.cell_range import CellRange

    for ws in wb.worksheets:
        for t in ws.tables.values():
            tr = CellRange(t.ref)
            for m in ws.merged_cells.ranges:
                assert tr.isdisjoint(CellRange(m.coord)), (ws.title, t.displayName, m.coord)


def test_assumptions_list_every_setting_and_import(wb, analysis):
    import dataclasses

    ws = wb["Assumptions"]
    settings = table(ws, "Settings")
    # every setting, by its label (desktop.domain.vocabulary.SETTINGS), never its field name
    assert len(settings) == len(dataclasses.fields(analysis.settings))
    by = {r["Setting"]: r["Value"] for r in settings}
    assert by["Shortfall risk: pacing below"] == 0.8 and by["Anomalies: window (days)"] == 30
    assert by["Reporting currency"] == "USD" and by["FOCUS cost basis"] == "Effective cost"
    assert by["Premium-rate tolerance above the contracted price"] == 0.005  # as set, not rounded
    cell = next(r["Value@cell"] for r in settings if r["Setting"].startswith("Premium-rate tolerance"))
    assert cell.number_format == "General"
    assert not any("_" in r["Setting"] or "_" in (r["Meaning"] or "") for r in settings)
    imports = table(ws, "Imports")
    assert [(r["File"], r["Rows read"], r["Rejected"], r["Delimiter"]) for r in imports] == [
        ("usage.csv", 280, 2, "comma"), ("invoices.csv", 12, 0, "semicolon")]
    issues = table(ws, "ImportIssues")
    assert [(r["Row"], r["Value"]) for r in issues] == [(17, "=1+1"), (40, "#REF!")]
    assert issues[0]["Value@cell"].quotePrefix and issues[1]["Value@cell"].data_type == "s"


def test_burn_up_rows(analysis):
    oai = analysis.contracts[1]
    rows = burn_up(oai, analysis.as_of, analysis.usage)
    assert len(rows) == 365 and rows[0].day == date(2026, 1, 1) and rows[-1].day == date(2026, 12, 31)
    at = next(r for r in rows if r.day == analysis.as_of)
    # the fixture's OAI usage: 3,000 + (i % 7) x 100 per day from 2026-07-01 to 2026-11-15 (138 days)
    expect = sum(Decimal(3000 + (i % 7) * 100) for i in range(138))
    assert at.consumed == expect and at.projected == expect
    assert rows[-1].projected == expect + Decimal("3200.00") * 46
    assert rows[-1].consumed is None and rows[-1].expected == oai.commitment
    first_h2 = next(r for r in rows if r.day == date(2026, 7, 1))
    assert first_h2.expected == Decimal("360000.00") + (Decimal("400000.00") / 184).quantize(Decimal("0.01"))


def test_data_sheet_behind_the_charts(wb, analysis):
    rows = table(wb["Data"], "DailyBurnUp")
    assert len(rows) == 365 + 365
    asof = [r for r in rows if r["Contract"] == "OAI-2026" and r["Date"] == datetime(2026, 11, 15)][0]
    assert money(asof["Consumed (cumulative)"]) == sum(Decimal(3000 + (i % 7) * 100) for i in range(138))


def test_raw_usage_streams_and_splits_at_the_row_limit(analysis, monkeypatch):
    monkeypatch.setattr(brief, "RAW_ROWS_PER_SHEET", 100)
    wb = load(write_brief(analysis, sections=["summary"], raw_usage=True))
    n = len(analysis.usage)
    names = [s for s in wb.sheetnames if s.startswith("Usage rows")]
    assert names == [f"Usage rows {k}" for k in range(1, -(-n // 100) + 1)]
    total_rows, total_cost = 0, Decimal(0)
    for name in names:
        ws = wb[name]
        header = [c.value for c in ws[1]]
        assert header[:3] == ["date", "vendor", "cost"] and header[-2:] == ["_file", "_row"]
        assert ws.freeze_panes == "A2"
        for row in ws.iter_rows(min_row=2):
            total_rows += 1
            total_cost += Decimal(repr(row[2].value))
            assert row[0].is_date
    assert total_rows == n
    assert total_cost * 1_000_000 == int(analysis.usage["cost"].sum())
    first = wb[names[0]]
    assert first["A2"].value == datetime(2026, 7, 1) and first.max_row == 101


def test_raw_usage_single_sheet_name(analysis):
    wb = load(write_brief(analysis, sections=["chargeback"], raw_usage=True))
    assert wb.sheetnames == ["Chargeback", "Usage rows"]
    assert wb["Usage rows"].max_row == len(analysis.usage) + 1


def test_writes_a_path_atomically(tmp_path, analysis):
    out = tmp_path / "brief.xlsx"
    assert write_brief(analysis, out) is None
    assert load(out.read_bytes()).sheetnames == SHEETS
    assert [p.name for p in tmp_path.iterdir()] == ["brief.xlsx"]  # no temporary left behind


def test_progress_and_cancel(tmp_path, analysis):
    seen = []
    write_brief(analysis, sections=["summary", "invoices"], progress=Progress(lambda f, t: seen.append((f, t))))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any("invoices" in t for _, t in seen)
    p = Progress()
    p.cancel()
    out = tmp_path / "cancelled.xlsx"
    with pytest.raises(Cancelled):
        write_brief(analysis, out, progress=p)
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_text_too_long_is_refused_with_a_message(analysis):
    import dataclasses

    long_anomaly = dataclasses.replace(analysis.anomalies[0], value="v" * 40_000)
    bad = fx.analysis(anomalies=(long_anomaly,))
    with pytest.raises(BriefError, match="40,000 characters.*Anomalies"):
        write_brief(bad, sections=["anomalies"])


def test_empty_analysis_still_makes_a_readable_brief():
    wb = load(write_brief(fx.empty_analysis()))
    assert wb.sheetnames == SHEETS
    assert table(wb["Invoices"], "Invoices")[0]["Invoice"] == "no invoices"
    assert wb["Renewal"]["A5"].value.startswith("No renewal scenarios")
    s = wb["Summary"]
    assert any("Nothing needs attention" in str(c.value) for row in s.iter_rows() for c in row)


def test_burn_up_before_the_term_after_it_and_without_usage(analysis):
    import dataclasses

    ant = analysis.contracts[0]  # 2026-03-01 .. 2027-02-28, run rate 1,500/day
    early = burn_up(ant, date(2026, 1, 31), analysis.usage)
    assert all(r.consumed is None for r in early)
    # a future contract projects from its first day: day k of the term holds k days of run rate
    assert early[0].projected == Decimal("1500.00") and early[9].projected == Decimal("15000.00")
    late = burn_up(ant, date(2027, 3, 31), analysis.usage)
    assert all(r.projected is None for r in late) and late[-1].consumed is not None
    # the fixture's Anthropic usage: 1,500 a day from 2026-07-01 to 2026-11-15 (138 days)
    assert late[-1].consumed == Decimal("1500.00") * 138
    bare = burn_up(ant, analysis.as_of, None)
    assert all(r.consumed is None and r.spend is None for r in bare)
    at = next(r for r in bare if r.day == analysis.as_of)
    assert at.projected == ant.consumed_to_date
    assert bare[-1].projected == ant.consumed_to_date + Decimal("1500.00") * 105
    # and the brief still writes, with the Data sheet holding only the burn line and projection
    wb = load(write_brief(dataclasses.replace(analysis, usage=None), sections=["pacing"]))
    rows = table(wb["Data"], "DailyBurnUp")
    assert all(r["Consumed (cumulative)"] is None for r in rows)


def test_actions_from_the_workspace_store_records(analysis):
    from desktop.domain.actions import Action

    f0 = analysis.findings[0]
    acts = [
        Action(key=f0.key, kind="invoice_variance", severity="high",
               title="Invoice =OAI-2026-10 overbilled", finding_owner="Priya Raman", due=date(2026, 11, 12),
               status="open", notes="", opened_at=date(2026, 11, 5),
               detail="Invoiced 125,803.29 USD vs expected 102,100.00 USD"),
        Action(key="budget:Support AI:2026-10", kind="budget", severity="medium", title="Support AI over",
               finding_owner=None, assigned_owner="Sam", due=date(2026, 10, 20), status="done",
               notes="@cap raised", opened_at=date(2026, 10, 18), resolved_at=date(2026, 10, 25),
               resolution="analyst"),
    ]
    ws = load(write_brief(analysis, sections=["actions", "summary"], actions=acts, today=fx.AS_OF), data_only=True)
    rows = table(ws["Actions"], "Actions")
    assert [(r["Action"], r["Status"], r["Notes"], r["Resolution"], r["Owner"]) for r in rows] == [
        ("Invoice =OAI-2026-10 overbilled", "Open", None, None, "Priya Raman"),
        ("Support AI over", "Done", "@cap raised", "By a person", "Sam")]
    # which findings hold at the brief's as-of date (the first action's does; the other not)
    assert [r["Holds at 2026-11-15"] for r in rows] == ["yes", "no"]
    assert rows[0]["Detail"] == "Invoiced 125,803.29 USD vs expected 102,100.00 USD"
    assert rows[0]["Action@cell"].quotePrefix is False  # "Invoice =..." does not start with "="
    assert rows[1]["Notes@cell"].quotePrefix
    assert rows[1]["Resolved (data date)"] == datetime(2026, 10, 25)
    kpi = label_values(ws["Summary"], 6, 10)
    assert kpi["Open actions"] == 1 and kpi["Overdue actions (due before today)"] == 1


def test_many_contracts_cap_the_charts_not_the_rows(analysis, monkeypatch):
    import desktop.brief.sheets as sheets_mod

    monkeypatch.setattr(sheets_mod, "MAX_CHARTS", 1)
    wb = load(write_brief(analysis, sections=["pacing"]))
    assert len(wb["Pacing"]._charts) == 1
    notes = [c.value for row in wb["Pacing"].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(n.startswith("Burn-up charts of the first 1 of 2 contracts") for n in notes)
    assert {r["Contract"] for r in table(wb["Data"], "DailyBurnUp")} == {"ANT-2026", "OAI-2026"}


def test_unwritable_destination_is_a_brief_error(tmp_path, analysis):
    with pytest.raises(BriefError, match="cannot write the brief into"):
        write_brief(analysis, tmp_path / "no such folder" / "brief.xlsx", sections=["summary"])
    target = tmp_path / "taken"
    target.mkdir()  # a folder where the file should go: replace fails, nothing is left behind
    with pytest.raises(BriefError, match="taken"):
        write_brief(analysis, target, sections=["summary"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_cancel_while_streaming_raw_rows_leaves_nothing_behind(tmp_path, analysis, monkeypatch):
    from openpyxl.worksheet._writer import ALL_TEMP_FILES

    import desktop.brief.raw as raw

    monkeypatch.setattr(raw, "CHUNK", 50)
    before = list(ALL_TEMP_FILES)
    p = Progress(lambda f, t: p.cancel() if t.startswith("Writing usage rows (50 ") else None)
    out = tmp_path / "brief.xlsx"
    with pytest.raises(Cancelled):
        write_brief(analysis, out, raw_usage=True, progress=p)
    assert list(tmp_path.iterdir()) == []
    assert ALL_TEMP_FILES == before


def test_narrative_of_an_ended_term_is_past_tense(analysis):
    """ANT-2026 with its only period ended: 690k committed, 390k consumed -> 300k short (690 - 390),
    penalty 231k as given; no run rate, no 'is burning'."""
    import dataclasses

    ant = analysis.contracts[0]
    # what domain/contracts.term_outcome says of such a term (the narrative reads that field)
    ended = dataclasses.replace(ant, periods=tuple(dataclasses.replace(p, status="ended") for p in ant.periods),
                                band=None, outcome="ended_shortfall",
                                outcome_text="ended: shortfall 300,000.00, penalty 231,000.00 owed")
    a = dataclasses.replace(analysis, contracts=(ended,) + analysis.contracts[1:])
    text = sentences(a, normalize(None, a))
    assert ("ANT-2026 (Anthropic) ended its term on 2027-02-28 with 390k of 690k USD consumed: "
            "shortfall 300,000.00, penalty 231,000.00 owed.") in text


def test_narrative_judges_overdue_and_next_due_against_the_day_written(analysis):
    from desktop.brief.narrative import sentences as said

    acts = normalize(None, analysis)  # due 2026-11-10, 11-16 and 11-22 (T = 2026-11-15)
    assert said(analysis, acts, date(2026, 11, 20))[-1].startswith("Actions: 3 open, 2 overdue; next due 2026-11-22")
    assert said(analysis, acts, date(2026, 12, 7))[-1] == "Actions: 3 open, 3 overdue."


def _print_scale(ws) -> float:
    """The scale Excel prints a fit-to-width sheet at: A4 less the margins over the printed
    columns' width (a column of width w is w x 7 + 5 pixels at 96 dpi in the 10 pt Arial default
    font, whose digits are 7 pixels wide), never above 100 %."""
    from openpyxl.utils import column_index_from_string, range_boundaries

    landscape = ws.page_setup.orientation == "landscape"
    page_pt = (841.89 if landscape else 595.28) - 72 * (ws.page_margins.left + ws.page_margins.right)
    if ws.print_area:
        c1, _, c2, _ = range_boundaries(ws.print_area.split("!")[1].replace("$", ""))
    else:
        c1, c2 = 1, max(column_index_from_string(k) for k in ws.column_dimensions)
    from openpyxl.utils import get_column_letter

    px = sum(ws.column_dimensions[get_column_letter(c)].width * 7 + 5 for c in range(c1, c2 + 1))
    return min(1.0, page_pt / (px * 0.75))


def test_sheets_print_at_a_readable_size(demo_analysis):
    """Actions: the ten columns a reader acts on print at 70 % or more (the resolution record
    beside them is outside the print area); Budgets prints its figures and, below them, who
    responds to the open months; every sheet's default font is the named Arial 10."""
    wb = load(write_brief(demo_analysis))
    assert wb._fonts[0].name == "Arial" and wb._fonts[0].sz == 10
    acts = wb["Actions"]
    assert acts.print_area.startswith("'Actions'!$A$1:$J$")
    assert _print_scale(acts) >= 0.70
    assert acts.page_setup.orientation == "landscape" and acts.print_title_rows == "$5:$5"
    bud = wb["Budgets"]
    assert bud.print_area.startswith("'Budgets'!$A$1:$N$") and _print_scale(bud) >= 0.70
    texts = [c.value for row in bud.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("Growth AI 2026-11: high severity, critical tier; root-cause analysis due 2026-11-16")
               for t in texts)
    for title in ("Exposure", "Invoices", "Summary"):
        assert _print_scale(wb[title]) >= 0.55, title


def test_wrapped_row_heights_by_hand():
    from desktop.brief.book import LINE_HEIGHT, wrapped_lines

    # width 16 leaves 14 digit widths: "Leo Varga" 8.6 + space 0.5 + "(Growth" 6.7 = 15.8 does not fit
    assert wrapped_lines("Leo Varga (Growth Eng lead)", 16) == 3
    assert wrapped_lines("Leo Varga (Growth Eng lead)", 30) == 1
    assert wrapped_lines("2026-11-16", 12) == 1 and wrapped_lines("one\ntwo", 20) == 2
    assert wrapped_lines("x" * 40, 12) == 4  # 38 widths of x over lines of 10: a long word breaks
    book = Book()
    s = book.sheet("T")
    s.widths([16])
    s.text(1, 1, "Leo Varga (Growth Eng lead)", "text_wrap")
    s._layout()  # column widths, then the heights of rows whose text wraps
    assert s.ws.row_dimensions[1].height == LINE_HEIGHT * 3 + 3
