"""One function per sheet of the brief. Each takes the Book, the Analysis and a context."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.pagebreak import Break

from desktop.brief import narrative, renewal_model
from desktop.brief.actions import STATUSES
from desktop.brief.book import Book, Sheet, tint
from desktop.brief.data import BurnRow
from desktop.brief.labels import colours, label
from desktop.brief.labels import pace as pace_label
from desktop.domain import palette
from desktop.domain.actions import Action, closed_month
from desktop.domain.burn_months import burn_table
from desktop.domain.page_one import page_one
from desktop.domain.portfolio import contract_stake
from desktop.domain.reconciliation import reconciliation
from desktop.domain.results import Analysis
from desktop.domain.settings import Settings
from desktop.domain.sources import input_sources
from desktop.domain.tables import vendor_key
from desktop.domain.vocabulary import (
    ACTION_SEVERITIES,
    CLOSED_ACTION_STATUSES,
    LABELS,
    OPEN_ACTION_STATUSES,
    SETTINGS,
)

HEADER_ROW = 4  # tables start here on every list sheet: title, subtitle, blank, header
MAX_CHARTS = 24  # burn-up charts on the Pacing sheet


@dataclass
class Context:
    analysis: Analysis
    actions: list[Action]
    generated: datetime
    burn: dict[str, list[BurnRow]] = field(default_factory=dict)
    burn_rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # Data sheet rows per contract
    data_title: str = "Data"
    stale: str | None = None  # "OUT OF DATE: ..." when the figures no longer match the workspace
    today: date = field(default_factory=date.today)  # the day the brief is written: TODAY()'s cached value
    sections: tuple[str, ...] = ()  # the sections being written
    file_hashes: dict[str, str] = field(default_factory=dict)  # input file name -> SHA-256
    # the Negotiation sheet: the negotiations to write (None: built per vendor with offers, with
    # the stored overlays; desktop/brief/negotiation.py)
    negotiations: tuple | None = None
    overlays: tuple = ()


@dataclass(frozen=True)
class Col:
    header: str
    kind: str  # text | money | pct | ratio | int | num | date | z | bool | text_wrap
    width: float
    get: Callable[[Any], Any]


def _heading(sheet: Sheet, title: str, ctx: Context, note: str = "") -> None:
    a = ctx.analysis
    sheet.text(1, 1, title, "title")
    sub = f"As of {a.as_of:%Y-%m-%d} · amounts in {a.currency}"
    if note:
        sub += f" · {note}"
    if ctx.stale:
        sub = "OUT OF DATE (see the Summary) · " + sub
    sheet.text(2, 1, sub, "subtitle_stale" if ctx.stale else "subtitle")
    sheet.row_height(1, 24)


def _section(sheet: Sheet, row: int, title: str, last_col: int) -> None:
    """A section title across columns 1..last_col."""
    sheet.text(row, 1, title, "section")
    for c in range(2, last_col + 1):
        sheet.styled(row, c, "section")


def _col_table(sheet: Sheet, name: str, row: int, cols: list[Col], items: Any, empty_note: str,
               first_col: int = 1) -> tuple[int, int]:
    """A table whose columns are described by ``cols``, one row per item."""
    return sheet.table(name, row, first_col, [c.header for c in cols],
                       [[c.get(x) for c in cols] for x in items], [c.kind for c in cols],
                       empty_note=empty_note)


def _list_sheet(book: Book, ctx: Context, title: str, heading: str, table: str, cols: list[Col],
                items: list[Any], note: str = "", empty_note: str = "nothing to list",
                landscape: bool = True) -> tuple[Sheet, int, int]:
    sheet = book.sheet(title)
    _heading(sheet, heading, ctx, note)
    first, last = _col_table(sheet, table, HEADER_ROW, cols, items, empty_note)
    sheet.widths([c.width for c in cols])
    sheet.row_height(HEADER_ROW, 30)
    sheet.freeze(HEADER_ROW + 1, 2)
    sheet.print_setup((HEADER_ROW, HEADER_ROW), landscape=landscape)
    return sheet, first, last if items else first - 1


def _col_of(cols: list[Col], header: str) -> int:
    return [c.header for c in cols].index(header) + 1


def _band_colours(sheet: Sheet, cols: list[Col], header: str, first: int, last: int,
                  by_code: dict[str, str]) -> None:
    """Colour a column of labelled codes (band, status, severity ...) by its code's colour."""
    sheet.category_rules(_col_of(cols, header), first, last, colours(by_code))


def _stale_band(sheet: Sheet, row: int, text: str, last_col: int) -> None:
    """The out-of-date line across columns 1..last_col: white on red, wrapped, tall enough."""
    sheet.text(row, 1, text, "stale")
    for c in range(2, last_col + 1):
        sheet.styled(row, c, "stale")
    sheet.merge(row, 1, row, last_col)
    per_line = 130  # characters of 12pt bold across the Summary's ten columns
    lines = max(1, -(-len(text) // per_line))
    sheet.row_height(row, 18 * lines + 10)


# --- Summary -----------------------------------------------------------------------------------
ACTIONS_OVERDUE_COL = "H"  # the Actions sheet's Overdue column (checked where it is laid out)
ACTIONS_FIRST_ROW = HEADER_ROW + 2  # its first action row (row 3 holds today's date)


def summary(book: Book, ctx: Context) -> Sheet:
    """Page 1: the money at stake (largest first, with owner and due date), incurred vs still
    avoidable, pacing per contract, open/overdue counts, then the narrative and key figures."""
    a = ctx.analysis
    cur = a.currency
    s = book.sheet("Summary")
    s.ws.sheet_view.showGridLines = False  # a report page, not a grid
    s.text(1, 1, "CommitDesk working brief", "title")
    s.text(2, 1, f"As of {a.as_of:%Y-%m-%d} · amounts in {cur} · generated "
                 f"{ctx.generated:%Y-%m-%d %H:%M}", "subtitle")
    s.row_height(1, 26)
    s.widths([16, 24, 20, 12, 10, 16, 16, 16, 16, 16, 18])
    if ctx.stale:
        _stale_band(s, 3, ctx.stale, 11)

    p1 = page_one(a, ctx.actions, ctx.today)  # the figures the PDF summary shows too
    k, total = p1.portfolio, p1.total_at_stake
    open_actions, overdue = p1.open_actions, p1.overdue

    # the money at stake: total on top, incurred vs still avoidable beside it
    _section(s, 4, "Money at stake", 11)
    s.text(5, 1, "Total money at stake (open actions)", "label_free")
    s.merge(5, 1, 5, 2)
    _kpi(s, 5, 3, total, "money_kpi")
    rows_left = [(label(kind) or "", v) for kind, v in p1.by_kind.items()]
    right = [
        ("Still avoidable: shortfall penalties", k.shortfall_avoidable, "money_kpi"),
        ("Still avoidable: overage premium", k.premium_avoidable, "money_kpi"),
        ("Incurred: shortfall penalties owed (ended terms)", k.shortfall_incurred, "money_kpi"),
        ("Incurred: overage premium billed (ended terms)", k.premium_incurred, "money_kpi"),
        ("Open actions", len(open_actions), "int_kpi"),
        ("Overdue actions (due before today)", len(overdue), "int_kpi"),
    ]
    for i, (lbl, v) in enumerate(rows_left):
        s.text(6 + i, 1, f"of which {lbl.lower()}", "label_free")
        s.merge(6 + i, 1, 6 + i, 2)
        s.money(6 + i, 3, v, "money")
    for i, (lbl, v, style) in enumerate(right):
        s.text(5 + i, 6, lbl, "label_free")
        s.merge(5 + i, 6, 5 + i, 9)
        if lbl.startswith("Overdue actions") and "actions" in ctx.sections and ctx.actions:
            # judged when the file is opened: the Actions sheet's Overdue column (TODAY())
            col = f"{ACTIONS_OVERDUE_COL}{ACTIONS_FIRST_ROW}:{ACTIONS_OVERDUE_COL}{ACTIONS_FIRST_ROW + len(ctx.actions) - 1}"
            s.formula(5 + i, 10, f'=COUNTIF(Actions!{col},"overdue")', v, style)
        else:
            _kpi(s, 5 + i, 10, v, style)
    r = 5 + max(len(rows_left) + 1, len(right)) + 1

    # the ranking: largest money at stake first
    _section(s, r, "Largest money at stake first", 11)
    r += 1
    top = p1.top
    rcols = [
        Col("At stake", "money", 0, lambda x: x.at_stake),
        Col("What is at stake", "text", 0, lambda x: label(x.stake_kind) if x.stake_kind else "no money figure"),
        Col("Owner", "text", 0, lambda x: x.action.owner),
        Col("Due", "date", 0, lambda x: x.action.due),
        Col("Severity", "text", 0, lambda x: label(x.action.severity)),
        Col("Action", "text_free", 0, lambda x: x.action.title),
    ]
    first, last = _col_table(s, "SummaryAtStake", r, rcols, top, "no open actions")
    if top:
        s.category_rules(5, first, last, colours(palette.SEVERITY_COLORS))
        s.fill_rule(f"D{first}:D{last}", f'AND($D{first}<>"",$D{first}<TODAY())', palette.VERMILLION, bold=True)
    r = last + 1
    if p1.rest_count:
        s.text(r, 1, f"{p1.rest_count} more open actions carry {p1.rest_at_stake:,.2f} {cur}; "
                     "the Actions sheet lists every one.", "note")
        s.merge(r, 1, r, 11)
        r += 1
    r += 1

    # pacing per contract (the blended ratio only beside it)
    _section(s, r, "Pacing per contract", 11)
    r += 1
    cols = [
        Col("Contract", "text", 0, lambda c: c.contract_id),
        Col("Vendor", "text", 0, lambda c: c.vendor),
        Col("Pace", "text", 0, lambda c: pace_label(c)),
        Col("Pacing", "pct", 0, lambda c: c.pacing_ratio),
        Col("Term end", "date", 0, lambda c: c.term_end),
        Col("Commitment", "money", 0, lambda c: c.commitment),
        Col("Consumed", "money", 0, lambda c: c.consumed_to_date),
        Col("Projected", "money", 0, lambda c: c.projected_consumption),
        Col("Avoidable shortfall", "money", 0, lambda c: contract_stake(c).shortfall_avoidable),
        Col("Incurred shortfall", "money", 0, lambda c: contract_stake(c).shortfall_incurred),
        Col("Escalate to", "text", 0, lambda c: c.escalation_to),
    ]
    first, last = _col_table(s, "SummaryContracts", r, cols, a.contracts, "no contracts")
    if a.contracts:
        s.category_rules(3, first, last, colours(palette.BAND_COLORS))
    r = last + 1
    if k.pacing is not None:
        s.text(r, 1, f"All contracts together: {k.consumed:,.2f} consumed of {k.expected:,.2f} expected "
                     f"to date ({k.pacing * 100:.1f} %); read each contract's pacing above, a blend "
                     "hides contracts far off their line.", "note")
        s.merge(r, 1, r, 11)
        r += 1
    r += 1

    # the renewal calendar: each running contract's notice deadline (desktop/domain/calendar.py)
    deadlines = list(getattr(a, "notice_deadlines", ()) or ())
    if deadlines:
        _section(s, r, "Notice deadlines (term end minus notice days)", 11)
        r += 1
        ncols = [
            Col("Contract", "text", 0, lambda d: d.contract_id),
            Col("Vendor", "text", 0, lambda d: d.vendor),
            Col("Notice deadline", "date", 0, lambda d: d.deadline),
            Col(f"Days left at {a.as_of:%Y-%m-%d}", "int", 0, lambda d: d.days_left),
            Col("Term end", "date", 0, lambda d: d.term_end),
            Col("Notice days", "int", 0, lambda d: d.notice_days),
        ]
        first, last = _col_table(s, "SummaryNotice", r, ncols, deadlines, "no notice deadlines")
        s.fill_rule(f"C{first}:C{last}", f'AND($C{first}<>"",$C{first}<TODAY())', palette.VERMILLION, bold=True)
        r = last + 2

    # narrative
    _section(s, r, "What needs attention", 11)
    r += 1
    for sentence in narrative.sentences(a, ctx.actions, ctx.today):
        s.text(r, 1, sentence, "narrative")
        s.merge(r, 1, r, 11)
        r += 1
    r += 1

    # page 2: key figures, the sources behind them and the sign-off under them (where a reader
    # signs: after the evidence, at the end of the summary)
    s.ws.row_breaks.append(Break(id=r - 2))  # the blank row above the section starts page 2
    _section(s, r, "Key figures", 11)
    r += 1
    left = [
        ("As-of date", a.as_of, "date_kpi"),
        ("Total commitment", k.commitment, "money_kpi"),
        ("Consumed to date", k.consumed, "money_kpi"),
        ("Expected to date (burn line)", k.expected, "money_kpi"),
        ("Projected consumption", k.projected, "money_kpi"),
        ("Shortfall exposure", k.shortfall_exposure, "money_kpi"),
        ("Overage", k.overage, "money_kpi"),
        ("Overage premium", k.overage_premium, "money_kpi"),
    ]
    right2 = [
        ("Contracts", k.contracts, "int_kpi"),
        ("Invoiced (excl. tax)", k.invoiced, "money_kpi"),
        ("Invoice variance (net)", k.invoice_variance, "money_kpi"),
        ("Premium leakage", k.premium_leakage, "money_kpi"),
        ("Open budget months over (high/medium)", p1.open_budget_over, "int_kpi"),
        ("Open budget months at hard stop/cap", p1.open_budget_capped, "int_kpi"),
        ("Anomalies", len(a.anomalies), "int_kpi"),
    ]
    for i, (lbl, value, style) in enumerate(left):
        s.text(r + i, 1, lbl, "label_free")
        s.merge(r + i, 1, r + i, 2)
        _kpi(s, r + i, 3, value, style)
    for i, (lbl, value, style) in enumerate(right2):
        s.text(r + i, 6, lbl, "label_free")
        s.merge(r + i, 6, r + i, 9)
        _kpi(s, r + i, 10, value, style)
    r += max(len(left), len(right2)) + 1
    r = _sources_and_sign_off(s, ctx, r)
    s.print_setup((1, 2), landscape=True)
    return s


def _sources_and_sign_off(s: Sheet, ctx: Context, r: int) -> int:
    """The input files behind the figures (SHA-256, rows, dates covered) and the sign-off."""
    _section(s, r, "Sources", 11)
    r += 1
    srcs = input_sources(ctx.analysis, ctx.file_hashes)
    cols = [
        Col("File", "text", 0, lambda x: x.file),
        Col("Table", "text", 0, lambda x: label(x.kind)),
        Col("Rows", "int", 0, lambda x: x.rows),
        Col("From", "date", 0, lambda x: x.first),
        Col("To", "date", 0, lambda x: x.last),
        Col("SHA-256", "text_free", 0, lambda x: x.sha256 or "not recorded"),
    ]
    first, last = _col_table(s, "SummarySources", r, cols, srcs, "no imported files recorded")
    r = last + 2
    for src in srcs:  # a warehouse source: the query sent is where its numbers came from
        if src.query:
            s.text(r, 1, f"Query sent to {src.file} (only its result came back):", "label_free")
            s.text(r + 1, 1, src.query[:32_000], "text_free")
            s.merge(r + 1, 1, r + 1, 11)
            r += 3
    _section(s, r, "Sign-off", 11)
    for i, who in enumerate(("Prepared by", "Reviewed by", "Approved by")):
        row = r + 1 + i
        s.text(row, 1, who, "label_free")
        s.styled(row, 2, "input_text")
        s.styled(row, 3, "input_text")
        s.text(row, 4, "Date", "label_free")
        s.styled(row, 5, "input_date")
        s.styled(row, 6, "input_date")
        s.merge(row, 2, row, 3)
        s.merge(row, 5, row, 6)
        s.row_height(row, 22)
    return r + 4


def _kpi(s: Sheet, row: int, col: int, value: Any, style: str) -> None:
    if style == "date_kpi":
        s.date(row, col, value, style)
    else:
        s.number(row, col, value, style)


# --- Pacing ------------------------------------------------------------------------------------
def pacing(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    items = [(c, p) for c in a.contracts for p in c.periods]
    cols = [
        Col("Contract", "text", 14, lambda t: t[0].contract_id),
        Col("Vendor", "text", 14, lambda t: t[0].vendor),
        Col("Period start", "date", 12, lambda t: t[1].period_start),
        Col("Period end", "date", 12, lambda t: t[1].period_end),
        Col("Status", "text", 9, lambda t: label(t[1].status)),
        Col("Days", "int", 7, lambda t: t[1].days),
        Col("Elapsed", "int", 8, lambda t: t[1].elapsed_days),
        Col("Commitment", "money", 14, lambda t: t[1].commitment),
        Col("Carry in", "money", 12, lambda t: t[1].carry_in),
        Col("Consumed", "money", 14, lambda t: t[1].consumed),
        Col("Expected", "money", 14, lambda t: t[1].expected),
        Col("Pacing", "pct", 9, lambda t: t[1].pacing_ratio),
        Col("Band", "text", 15, lambda t: label(t[1].band)),
        Col("Outcome", "text_wrap", 24, lambda t: t[1].outcome_text),
        Col("Projected", "money", 14, lambda t: t[1].projected),
        Col("Shortfall", "money", 13, lambda t: t[1].shortfall),
        Col("Carry out", "money", 12, lambda t: t[1].carry_out),
        Col("Shortfall penalty", "money", 13, lambda t: t[1].shortfall_penalty),
        Col("Overage", "money", 13, lambda t: t[1].overage),
        Col("Overage premium", "money", 13, lambda t: t[1].overage_premium),
    ]
    sheet, first, last = _list_sheet(book, ctx, "Pacing", "Pacing by contract and commit period",
                                     "Pacing", cols, items, "burn-up charts below, figures per period",
                                     empty_note="no contracts")
    _band_colours(sheet, cols, "Band", first, last, palette.BAND_COLORS)
    # one burn-up chart per contract (the first MAX_CHARTS), from the Data sheet, below the table
    row = max(last, first) + 3
    if ctx.burn_rows:
        sheet.text(row - 2, 1, f"The charts read the daily rows of the hidden sheet '{ctx.data_title}' (one row per "
                               "contract and day, not printed; right-click a sheet tab > Unhide to see it). "
                               "The Burn by month sheet prints them month by month.", "note")
        sheet.merge(row - 2, 1, row - 2, 12)
    charted = [c for c in a.contracts if c.contract_id in ctx.burn_rows]
    if len(charted) > MAX_CHARTS:
        sheet.text(row - 1, 1, f"Burn-up charts of the first {MAX_CHARTS} of {len(charted)} contracts; "
                               "the Data sheet holds the daily rows of all of them.", "note")
        charted = charted[:MAX_CHARTS]
    for i, c in enumerate(charted):
        chart = _burn_chart(book, ctx, c.contract_id, ctx.burn_rows[c.contract_id])
        chart.anchor = f"{get_column_letter(1 if i % 2 == 0 else 10)}{row}"
        sheet.ws.add_chart(chart)
        if i % 2 == 1:
            row += 20
    return sheet


def _burn_chart(book: Book, ctx: Context, contract_id: str, span: tuple[int, int]) -> LineChart:
    data_ws = SimpleNamespace(title=ctx.data_title)  # the Data sheet is written after Pacing
    first, last = span
    chart = LineChart()
    chart.title = f"{contract_id}: burn-up ({ctx.analysis.currency})"
    chart.height, chart.width = 9.5, 17.5
    chart.y_axis.title = ctx.analysis.currency
    chart.y_axis.number_format = "#,##0"
    chart.y_axis.majorGridlines = ChartLines()
    chart.x_axis.number_format = "yyyy-mm"  # seven day labels overlap at this size; months do not
    chart.x_axis.title = None
    chart.x_axis.tickLblSkip = max(1, (last - first + 1) // 6)
    chart.x_axis.tickMarkSkip = chart.x_axis.tickLblSkip
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.legend.position = "b"
    # Data columns: A contract, B date, C spend, D consumed, E expected, F projected, G commitment
    for col, colour, dash in ((4, palette.ROLE_COLORS["actual"], None),
                              (5, palette.ROLE_COLORS["expected"], "dash"),
                              (6, palette.ROLE_COLORS["forecast"], "sysDash"),
                              (7, palette.ROLE_COLORS["commitment"], None)):
        ref = Reference(data_ws, min_col=col, min_row=first, max_row=last)
        chart.add_data(ref, titles_from_data=False)
        series = chart.series[-1]
        series.tx = SeriesLabel(v={4: "Consumed", 5: "Expected (burn line)", 6: "Projected (run rate)",
                                   7: "Commitment"}[col])
        series.graphicalProperties.line.solidFill = palette.normalize_hex(colour)[1:]
        series.graphicalProperties.line.width = 22000 if col == 4 else 15000
        if dash:
            series.graphicalProperties.line.dashStyle = dash
        series.smooth = False
        series.marker.symbol = "none"
    cats = Reference(data_ws, min_col=2, min_row=first, max_row=last)
    chart.set_categories(cats)
    return chart


# --- Exposure & forecast ------------------------------------------------------------------------
def exposure(book: Book, ctx: Context) -> Sheet:
    """Two tables that print at a readable size: where each contract stands (figures), then its
    run rates, who acts and the clause; the workload-shift candidates below."""
    a = ctx.analysis
    cols = [
        Col("Contract", "text", 14, lambda c: c.contract_id),
        Col("Vendor", "text", 14, lambda c: c.vendor),
        Col("Band", "text", 14, lambda c: label(c.band)),
        Col("Outcome", "text_wrap", 22, lambda c: c.outcome_text),
        Col("Pacing", "pct", 11, lambda c: c.pacing_ratio),
        Col("Term start", "date", 11, lambda c: c.term_start),
        Col("Term end", "date", 11, lambda c: c.term_end),
        Col("Days left", "int", 8, lambda c: c.days_left),
        Col("Commitment", "money", 13, lambda c: c.commitment),
        Col("Consumed to date", "money", 13, lambda c: c.consumed_to_date),
        Col("Expected to date", "money", 13, lambda c: c.expected_to_date),
        Col("Projected consumption", "money", 13, lambda c: c.projected_consumption),
        Col("Shortfall exposure", "money", 13, lambda c: c.shortfall_exposure),
        Col("Overage", "money", 12, lambda c: c.overage),
        Col("Overage premium", "money", 12, lambda c: c.overage_premium),
    ]
    sheet, first, last = _list_sheet(book, ctx, "Exposure", "Exposure and forecast", "Exposure", cols,
                                     list(a.contracts),
                                     f"run rate = eligible spend per day over the last "
                                     f"{getattr(a.settings, 'run_rate_days', 14)} days; smoothed rate beside it",
                                     empty_note="no contracts")
    _band_colours(sheet, cols, "Band", first, last, palette.BAND_COLORS)
    r = max(last, first) + 3
    _section(sheet, r, "Run rates, who acts and the clause", 9)
    r += 1
    # columns under the figures above: Contract, Owner (Vendor's column), Escalate to (Band's),
    # Clause (Outcome's, wrapped), the three run rates (Pacing, Term start, Term end)
    rcols = [
        Col("Contract", "text", 0, lambda c: c.contract_id),
        Col("Owner", "text_wrap", 0, lambda c: c.owner),
        Col("Escalate to", "text_wrap", 0, lambda c: c.escalation_to),
        Col("Clause", "text_wrap", 0, lambda c: c.clause),
        Col("Run rate / day", "money", 0, lambda c: c.run_rate),
        Col("Smoothed run rate / day", "money", 0, lambda c: c.smoothed_run_rate),
        Col("Required run rate / day", "money", 0, lambda c: c.required_run_rate),
    ]
    _, last2 = _col_table(sheet, "ExposureRates", r, rcols, a.contracts, "no contracts")
    sheet.row_height(r, 30)
    last = last2
    r = max(last, first) + 3
    _section(sheet, r, "Workload-shift candidates (contracts in a shortfall band)", 9)
    r += 1
    wcols = [
        Col("Contract", "text", 0, lambda w: w.contract_id),
        Col("Workload", "text", 0, lambda w: w.workload),
        Col("Basis", "text", 0, lambda w: label(w.basis)),
        Col("Vendor", "text", 0, lambda w: w.vendor),
        Col("Run rate / day", "money", 0, lambda w: w.run_rate),
        Col("Days left", "int", 0, lambda w: w.days_left),
        Col("Movable spend", "money", 0, lambda w: w.movable_spend),
        Col("Covers", "money", 0, lambda w: w.covers),
        Col("Covers % of shortfall", "pct", 0, lambda w: w.covers_pct),
    ]
    _col_table(sheet, "WorkloadShift", r, wcols, a.workload_shift,
               "no candidates: no contract is in a shortfall band, or all its workloads draw it down")
    return sheet


# --- Invoices -----------------------------------------------------------------------------------
def invoices(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    cols = [
        Col("Invoice", "text", 14, lambda i: i.invoice_id),
        Col("Vendor", "text", 13, lambda i: i.vendor),
        Col("Invoice date", "date", 11, lambda i: i.invoice_date),
        Col("Contract", "text", 12, lambda i: i.contract_id),
        Col("Period start", "date", 11, lambda i: i.period_start),
        Col("Period end", "date", 14, lambda i: i.period_end),  # the flagged lines' Owner wraps here
        Col("Period inferred", "bool", 9, lambda i: i.period_inferred),
        Col("Invoiced (excl. tax)", "money", 14, lambda i: i.invoiced),
        Col("Expected (usage)", "money", 16, lambda i: i.expected),  # Description below
        Col("Variance", "money", 26, lambda i: i.variance),  # Detail below
        Col("Variance %", "pct", 9, lambda i: i.variance_pct),
        Col("Status", "text", 15, lambda i: label(i.status)),
        Col("Tax", "money", 11, lambda i: i.tax),
        Col("Premium leakage", "money", 13, lambda i: i.premium_leakage),
        Col("Flagged lines", "int", 8, lambda i: len(i.flags)),
        Col("Notes", "text_wrap", 26, lambda i: "; ".join(i.notes) if i.notes else None),
    ]
    sheet, first, last = _list_sheet(book, ctx, "Invoices", "Invoice variance", "Invoices", cols,
                                     list(a.invoices), "tolerance: max(1% of expected, 1.00)",
                                     empty_note="no invoices")
    _band_colours(sheet, cols, "Status", first, last, palette.INVOICE_STATUS_COLORS)
    r = max(last, first) + 3
    _section(sheet, r, "Flagged lines (leakage to recover, with the clause owner)", 9)
    r += 1
    items = [(inv, f) for inv in a.invoices for f in inv.flags]
    # long texts (owner, description, detail) wrap in the columns of the invoice table above
    fcols = [
        Col("Invoice", "text", 0, lambda t: t[0].invoice_id),
        Col("Vendor", "text", 0, lambda t: t[0].vendor),
        Col("Line", "int", 0, lambda t: t[1].line),
        Col("Flag", "text", 0, lambda t: label(t[1].flag)),
        Col("Leakage", "money", 0, lambda t: t[1].leakage),
        Col("Owner", "text_wrap", 0, lambda t: t[1].owner),
        Col("Amount", "money", 0, lambda t: t[1].amount),
        Col("File", "text", 0, lambda t: t[1].file or None),
        Col("Description", "text_wrap", 0, lambda t: t[1].description),
        Col("Detail", "text_wrap", 0, lambda t: t[1].detail or None),
    ]
    f1, f2 = _col_table(sheet, "FlaggedLines", r, fcols, items, "no flagged lines")
    if items:
        sheet.category_rules(4, f1, f2, colours(palette.FLAG_COLORS))
    return sheet


# --- Budgets ------------------------------------------------------------------------------------
def budgets(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    cols = [
        Col("Allocation", "text", 18, lambda b: b.allocation),
        Col("Month", "text", 8, lambda b: b.month),
        Col("Dimension", "text", 10, lambda b: label(b.dimension) or None),
        Col("Value", "text", 14, lambda b: b.value or None),
        Col("Budget", "money", 13, lambda b: b.budget),
        Col("Actual", "money", 13, lambda b: b.actual),
        Col("Utilization", "pct", 10, lambda b: b.utilization),
        Col("Run rate / day", "money", 11, lambda b: b.run_rate),
        Col("Forecast", "money", 13, lambda b: b.forecast),
        Col("Variance", "money", 13, lambda b: b.variance),
        Col("Variance %", "pct", 9, lambda b: b.variance_pct),
        Col("Severity", "text", 9, lambda b: label(b.severity)),
        Col("Alert tier", "text", 10, lambda b: label(b.alert_tier)),
        Col("Spike", "bool", 7, lambda b: b.spike),
        # a month that has ended is history: no root-cause deadline, no monitoring, no response
        Col("RCA due", "date", 11, lambda b: None if closed_month(b.month, a.as_of) else b.rca_due),
        Col("Owner", "text", 12, lambda b: b.owner),
        Col("Containment owner", "text", 14, lambda b: b.containment_owner),
        Col("Escalation owner", "text", 14, lambda b: b.escalation_owner),
        Col("Daily monitoring", "bool", 10, lambda b: False if closed_month(b.month, a.as_of) else b.monitoring),
        Col("Response", "text_free", 40, lambda b: ("Month ended: history, no response due"
                                                     if closed_month(b.month, a.as_of) else b.response or None)),
    ]
    sheet, first, last = _list_sheet(book, ctx, "Budgets", "Budget variance", "Budgets", cols,
                                     list(a.budgets), "forecast = actual + run rate x days left in the month",
                                     empty_note="no budgets")
    _band_colours(sheet, cols, "Severity", first, last, palette.SEVERITY_COLORS)
    _band_colours(sheet, cols, "Alert tier", first, last, palette.TIER_COLORS)
    # the figures (A..N) print; who responds to the open months prints below them, one wrapped
    # line per month, so the page stays readable; the per-row owner columns (O..T) stay on screen
    printed = _col_of(cols, "Spike")
    r = max(last, first) + 2
    _section(sheet, r, "Open months that need a response: who acts, by when, and what to do", printed)
    todo = [b for b in a.budgets if not closed_month(b.month, a.as_of) and b.response]
    if not todo:
        r += 1
        sheet.text(r, 1, "no open month needs a response", "note")
    for b in todo:
        r += 1
        who = "; ".join(f"{role} {name}" for role, name in (
            ("owner", b.owner), ("containment", b.containment_owner), ("escalation", b.escalation_owner)) if name)
        grade = [f"{label(k).lower()} {what}" for k, what in ((b.severity, "severity"), (b.alert_tier, "tier"))
                 if k and k != "none"]
        parts = [f"{b.allocation} {b.month}" + (f": {', '.join(grade)}" if grade else "")]
        if b.rca_due is not None:
            parts.append(f"root-cause analysis due {b.rca_due:%Y-%m-%d}")
        if who:
            parts.append(who)
        if b.monitoring:
            parts.append("daily monitoring")
        sheet.text(r, 1, "; ".join(parts) + ". " + b.response, "text_wrap")
        sheet.merge(r, 1, r, printed)
    sheet.ws.print_area = f"A1:{get_column_letter(printed)}{r}"
    return sheet


# --- Anomalies ----------------------------------------------------------------------------------
def anomalies(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    cols = [
        Col("Dimension", "text", 11, lambda x: label(x.dimension)),
        Col("Value", "text", 22, lambda x: x.value),
        Col("Date", "date", 11, lambda x: x.date),
        Col("Spend", "money", 13, lambda x: x.spend),
        Col("Mean (30 d)", "money", 13, lambda x: x.mean),
        Col("Std dev (30 d)", "money", 13, lambda x: x.std),
        Col("z", "z", 8, lambda x: x.z),
    ]
    s = a.settings
    note = (f"flagged when z > {getattr(s, 'anomaly_z', 3.0):g} with at least "
            f"{getattr(s, 'anomaly_min_history', 7)} earlier days")
    sheet, first, last = _list_sheet(book, ctx, "Anomalies", "Spend anomalies", "Anomalies", cols,
                                     list(a.anomalies), note, empty_note="no anomalies")
    if a.anomalies:
        sheet.fill_rule(f"G{first}:G{last}", f"$G{first}>=5", palette.VERMILLION, bold=True)
    return sheet


# --- Renewal ------------------------------------------------------------------------------------
def _renewal_terms(a: Analysis, sc: Any) -> tuple[float, float]:
    """(overage multiplier, shortfall penalty %) of a scenario: its own fields when recorded,
    else those of the last period of the vendor's latest contract (the one whose term ends
    last), as desktop.domain.renewal.default_renewal_inputs picks them, else (1.0, 100)."""
    mult = getattr(sc, "overage_multiplier", None)
    pen = getattr(sc, "shortfall_penalty_pct", None)
    if mult is not None and pen is not None:
        return float(mult), float(pen)
    frame = getattr(a.inputs, "commitments", None)
    if frame is not None and len(frame):
        from desktop.domain.contracts import binding

        frame = binding(frame)  # an offer (status proposed) is not the vendor's contract
        keys = frame["vendor"].astype(object).map(lambda v: vendor_key(v) if isinstance(v, str) else "")
        com = frame[keys == vendor_key(sc.vendor)]
        if len(com):
            terms = com.groupby("contract_id").agg(start=("period_start", "min"), end=("period_end", "max"))
            latest_id = terms.sort_values(["end", "start"]).index[-1]
            last = com.loc[com["contract_id"] == latest_id].sort_values("period_start").iloc[-1]
            mult = float(last["overage_multiplier"]) if mult is None else mult
            pen = float(last["shortfall_penalty_pct"]) if pen is None else pen
    return float(mult if mult is not None else 1.0), float(pen if pen is not None else 100.0)


def renewal(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    s = book.sheet("Renewal")
    _heading(s, "Renewal scenarios", ctx,
             "yellow cells are inputs: change them and the formula columns recalculate")
    s.widths([32, 16, 3, 15, 10, 17, 16, 16, 3, 15, 15, 12, 14, 17, 22])
    s.text(3, 1, "Formula columns (bordered) follow the expected growth path (month t spends "
                 "baseline x (1 + growth)^t); grey columns come from CommitDesk's seeded simulation "
                 "of growth paths and do not change when you edit the inputs.", "note")
    s.merge(3, 1, 3, 15)
    s.row_height(3, 32)
    r = 5
    if not a.renewal:
        s.text(r, 1, "No renewal scenarios: the analysis found no vendor with a contract to base "
                     "them on.", "note")
        s.print_setup((1, 2))
        return s
    for n, sc in enumerate(a.renewal):
        if n:  # each scenario starts on a new printed page
            s.ws.row_breaks.append(Break(id=r - 1))
        r = _renewal_block(s, ctx, sc, r, n) + 2
    s.print_setup((1, 2))
    return s


def _renewal_block(s: Sheet, ctx: Context, sc: Any, r: int, n: int) -> int:
    a = ctx.analysis
    mult, pen = _renewal_terms(a, sc)
    det = renewal_model.compute(sc, mult, pen)
    _section(s, r, f"{sc.name} ({sc.vendor})", 15)
    r += 1
    top = r  # the scenario table's header row; the inputs start below it
    s.text(top, 1, "Inputs", "header")
    s.text(top, 2, "Value", "header")
    r += 1
    inputs = [
        ("Baseline monthly list spend", sc.baseline_monthly, "input_money"),
        ("Monthly growth (expected path)", sc.growth, "input_pct"),
        ("Term (months)", sc.term_months, "input_int"),
        ("Overage multiplier", mult, "input_num"),
        ("Shortfall penalty %", pen, "input_num"),
    ]
    refs = []
    for i, (lbl, value, style) in enumerate(inputs):
        s.text(r + i, 1, lbl, "label")
        s.number(r + i, 2, value, style)
        refs.append(s.ref(r + i, 2))
    b, g, t, m, p = refs
    lr = r + len(inputs)
    s.text(lr, 1, "On-demand list spend over the term", "label")
    s.formula(lr, 2, f"={b}*IF({g}=0,{t},(1+{g})*((1+{g})^{t}-1)/{g})", det.list_spend, "calc_money")
    lcell = s.ref(lr, 2)
    first, last = top + 1, top + len(sc.rows)
    rec_row = lr + 1
    if sc.rows:
        # the recommendation follows the formula columns beside it: the level of least cost on the
        # expected path (the first of equal costs), as desktop.domain.renewal.least_cost_on_path
        ks = f"$D${first}:$D${last}"
        costs = f"$G${first}:$G${last}"
        rec = det.recommended
        s.text(rec_row, 1, "Recommended commit level (least cost on the expected path)", "label_wrap")
        s.formula(rec_row, 2, f"=INDEX({ks},MATCH(MIN({costs}),{costs},0))", float(rec), "calc_money_kpi")
        s.text(rec_row + 1, 1, "Its cost on the expected path", "label")
        s.formula(rec_row + 1, 2, f"=MIN({costs})",
                  float(min(d.cost for d in det.rows)), "calc_money")
        sim_row = rec_row + 3
    else:
        sim_row = rec_row + 1
    s.text(sim_row, 1, "Seeded simulation (values; they do not change when you edit the inputs)", "note")
    s.merge(sim_row, 1, sim_row, 2)
    s.row_height(sim_row, 28)
    extra = [
        ("Growth uncertainty (sd per month)", sc.growth_sd, "pct"),
        ("Simulated on-demand cost", sc.on_demand_cost, "money"),
        ("Least expected cost (simulated) at K", sc.recommended_least_cost, "money"),
        (f"Largest K with P(shortfall) <= "
         f"{getattr(a.settings, 'renewal_max_shortfall_probability', 0.10):.0%}", sc.recommended_safe, "money"),
    ]
    for i, (lbl, value, style) in enumerate(extra, 1):
        s.text(sim_row + i, 1, lbl, "label")
        s.number(sim_row + i, 2, value, style)
    bottom = sim_row + len(extra)

    hr = top
    heads = [(4, "Commit level K"), (5, "Discount"), (6, "Discounted consumption S"),
             (7, "Cost (expected path)"), (8, "Savings vs list"),
             (10, "Simulated expected cost"), (11, "Simulated savings"), (12, "P(shortfall)"),
             (13, "Expected shortfall"), (14, "Expected overage premium"), (15, "Simulation marks")]
    for col, h in heads:
        s.text(hr, col, h, "header")
    s.row_height(hr, 44)
    rr = hr
    for row, d in zip(sc.rows, det.rows, strict=True):
        rr += 1
        k, disc, sv, cost = (s.ref(rr, c, absolute=False) for c in (4, 5, 6, 7))
        s.number(rr, 4, row.commit_level, "input_money")
        s.number(rr, 5, row.discount_pct / 100, "input_pct")
        s.formula(rr, 6, f"={lcell}*(1-{disc})", d.consumption, "calc_money")
        s.formula(rr, 7, f"=ROUND(IF({sv}<={k},{sv}+({k}-{sv})*{p}/100,{k}+({sv}-{k})*{m}),2)",
                  float(d.cost), "calc_money")
        s.formula(rr, 8, f"=ROUND({lcell},2)-{cost}", float(d.savings), "calc_money")
        s.money(rr, 10, row.expected_cost)
        s.money(rr, 11, row.savings)
        s.pct(rr, 12, row.p_shortfall)
        s.money(rr, 13, row.expected_shortfall)
        s.money(rr, 14, row.expected_overage_premium)
        marks = (["least cost"] if row.least_cost else []) + (["largest safe K"] if row.safe_max else [])
        s.text(rr, 15, ", ".join(marks) or None, "text_wrap")
    if last < first:
        return bottom
    s.fill_rule(f"J{first}:N{last}", "TRUE", tint(palette.GREY, 0.8), light=0)
    s.fill_rule(f"O{first}:O{last}", f'$O{first}<>""', palette.GREY, bold=True, light=0.6)
    # the recommended row, live: green where K equals the recommendation cell
    s.fill_rule(f"D{first}:H{last}", f"$D{first}={s.ref(rec_row, 2)}", palette.BLUISH_GREEN, bold=True)
    s.text(last + 1, 4, "Green row: the recommended level (the least cost in the formula column; it moves "
                        "when you edit an input).", "note")
    s.merge(last + 1, 4, last + 1, 15)
    s.row_height(last + 1, 28)
    chart = _renewal_chart(s, a.currency, sc.vendor, hr, first, last, n)
    chart.anchor = f"D{max(last + 1, bottom) + 2}"
    s.ws.add_chart(chart)
    return max(last + 1, bottom) + 2 + 19


def _renewal_chart(s: Sheet, currency: str, vendor: str, hr: int, first: int, last: int, n: int) -> BarChart:
    """Two series, both axes from zero, straight lines: the cost on the expected path per commit
    level (bars, the formula column) and the simulated P(shortfall) on a 0-100 % right axis."""
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{vendor}: cost and P(shortfall) by commit level"
    chart.y_axis.title = currency
    chart.y_axis.number_format = "#,##0"
    chart.y_axis.majorGridlines = ChartLines()
    chart.y_axis.scaling.min = 0  # a cost axis from zero: bar heights compare
    chart.x_axis.number_format = "#,##0"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 10, 22
    chart.add_data(Reference(s.ws, min_col=7, min_row=hr, max_row=last), titles_from_data=True)
    bars = chart.series[-1]
    bars.graphicalProperties.solidFill = palette.normalize_hex(palette.BLUE)[1:]
    bars.graphicalProperties.line.solidFill = palette.normalize_hex(palette.BLUE)[1:]
    chart.set_categories(Reference(s.ws, min_col=4, min_row=first, max_row=last))
    line = LineChart()
    line.add_data(Reference(s.ws, min_col=12, min_row=hr, max_row=last), titles_from_data=True)
    ls = line.series[-1]
    ls.graphicalProperties.line.solidFill = palette.normalize_hex(palette.VERMILLION)[1:]
    ls.graphicalProperties.line.width = 22000
    ls.smooth = False  # straight segments: a smoothed line overshoots 100 % between points
    ls.marker.symbol = "circle"
    line.y_axis.axId = 200 + n
    line.y_axis.title = "P(shortfall)"
    line.y_axis.number_format = "0%"
    line.y_axis.crosses = "max"
    line.y_axis.scaling.min = 0
    line.y_axis.scaling.max = 1
    line.y_axis.majorGridlines = None
    line.y_axis.delete = False
    chart.legend.position = "b"
    chart += line
    return chart


# --- Actions ------------------------------------------------------------------------------------
ACTIONS_PRINTED = 10  # columns A..J print (Action .. Detail); the resolution record beside them does not


def actions(book: Book, ctx: Context) -> Sheet:
    """The checklist, printed at a readable size: the ten columns a reader acts on (A..J, wrapped,
    rows as tall as their text) fit an A4 landscape page at about 80 %; the resolution record
    (holds at, opened, resolved, days, how and why resolved) sits to the right, outside the print
    area."""
    a = ctx.analysis
    s = book.sheet("Actions")
    _heading(s, "Actions checklist", ctx, "set Status with the drop-down; overdue open rows are highlighted")
    s.text(3, 1, "Today (the day the file is opened)", "label_free")
    s.formula(3, 3, "=TODAY()", ctx.today, "date")
    asof = s.ref(3, 3)
    holding = {f.key for f in a.findings}
    cols = [
        Col("Action", "text_wrap", 36, lambda x: x.title),
        Col("Kind", "text_wrap", 10, lambda x: label(x.kind)),
        Col("Severity", "text", 9, lambda x: label(x.severity)),
        Col("At stake", "money", 12, lambda x: x.at_stake),
        Col("Owner", "text_wrap", 14, lambda x: x.owner),
        Col("Due", "date", 11, lambda x: x.due),
        Col("Status", "text", 11, lambda x: label(x.status)),
        Col("Overdue", "text", 9, lambda x: None),
        Col("Notes", "text_wrap", 18, lambda x: x.notes or None),
        Col("Detail", "text_wrap", 38, lambda x: x.detail or None),
        Col(f"Holds at {a.as_of:%Y-%m-%d}", "text", 12, lambda x: "yes" if x.key in holding else "no"),
        Col("Opened (data date)", "date", 12, lambda x: x.opened_at),
        Col("Resolved (data date)", "date", 12, lambda x: x.resolved_at),
        Col("Days to resolve", "int", 9, lambda x: x.days_to_resolve),
        Col("Resolution", "text", 14, lambda x: label(x.resolution) or None),
        Col("Why resolved", "text_wrap", 40, lambda x: x.resolution_reason or None),
    ]
    c_due, c_status, c_over = (_col_of(cols, h) for h in ("Due", "Status", "Overdue"))
    c_res, c_sev = (_col_of(cols, h) for h in ("Resolution", "Severity"))
    L = get_column_letter
    headers = [c.header for c in cols]
    kinds = [c.kind for c in cols]
    rows = [[c.get(x) for c in cols] for x in ctx.actions]
    hr = HEADER_ROW + 1  # row 3 holds the as-of input
    first, last = s.table("Actions", hr, 1, headers, rows, kinds, empty_note="no actions")
    if (L(c_over), first) != (ACTIONS_OVERDUE_COL, ACTIONS_FIRST_ROW):
        raise AssertionError("the Summary's overdue count points at another column or row")
    is_open = ",".join(f'{{st}}="{label(k)}"' for k in OPEN_ACTION_STATUSES)  # a Status cell's label
    is_closed = ",".join(f'{{st}}="{label(k)}"' for k in CLOSED_ACTION_STATUSES)
    for i, x in enumerate(ctx.actions):
        r = first + i
        f = s.ref(r, c_due, absolute=False)
        st = s.ref(r, c_status, absolute=False)
        res = s.ref(r, c_res, absolute=False)
        s.formula(r, c_over, f'=IF(AND({f}<>"",{f}<{asof},OR({is_open.format(st=st)}),{res}=""),'
                             '"overdue","")', "overdue" if x.overdue(ctx.today) else "", "text")
    s.widths([c.width for c in cols])
    s.freeze(hr + 1, 2)
    s.print_setup((hr, hr))
    s.ws.print_area = f"A1:{L(ACTIONS_PRINTED)}{max(last, first)}"
    if ctx.actions:
        choices = [label(k) for k in STATUSES]
        dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=False,
                            showErrorMessage=True, errorTitle="Status",
                            error=f"Choose {', '.join(choices[:-1])} or {choices[-1]}.",
                            promptTitle="Status", prompt=f"{', '.join(choices[:-1])} or {choices[-1]}")
        dv.add(f"{L(c_status)}{first}:{L(c_status)}{last}")
        s.ws.data_validations.append(dv)
        due, st, res = f"${L(c_due)}{first}", f"${L(c_status)}{first}", f"${L(c_res)}{first}"
        whole = f"A{first}:{L(len(cols))}{last}"
        s.fill_rule(whole, f'AND({due}<>"",{due}<{asof},OR({is_open.format(st=st)}),{res}="")',
                    palette.VERMILLION, light=0.7)
        s.fill_rule(whole, f'OR({is_closed.format(st=st)},{res}<>"")', palette.GREY, light=0.75)
        s.category_rules(c_sev, first, last, colours({k: v for k, v in palette.SEVERITY_COLORS.items()
                                                      if k in ACTION_SEVERITIES}))
    return s


# --- Chargeback ---------------------------------------------------------------------------------
def chargeback(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    cols = [
        Col("Month", "text", 9, lambda x: x.month),
        Col("GL account", "text", 14, lambda x: x.gl_account),
        Col("Cost center", "text", 16, lambda x: x.cost_center),
        Col("Amount", "money", 15, lambda x: x.amount),
        Col("Currency", "text", 9, lambda x: x.currency),
        Col("Invoice ids", "text_wrap", 48, lambda x: "; ".join(x.invoice_ids) if x.invoice_ids else None),
    ]
    total = sum((x.amount for x in a.chargeback), Decimal("0.00"))
    sheet, first, last = _list_sheet(book, ctx, "Chargeback", "Chargeback journal", "Chargeback", cols,
                                     list(a.chargeback),
                                     "spend with no cost center is its own 'unallocated' line",
                                     empty_note="no usage to charge back", landscape=False)
    sheet.text(3, 3, "Total", "label")
    sheet.money(3, 4, total, "money_bold")
    sheet.fill_rule(f"C{first}:C{max(last, first)}", f'$C{first}="unallocated"', palette.ORANGE)
    return sheet


# --- Reconciliation -----------------------------------------------------------------------------
def reconciliation_sheet(book: Book, ctx: Context) -> Sheet:
    """Usage -> consumed (eligible) -> invoiced, the accrual for usage not yet invoiced and its
    balanced journal (desktop/domain/reconciliation.py computes every figure)."""
    a = ctx.analysis
    rec = reconciliation(a)
    s = book.sheet("Reconciliation")
    _heading(s, "Reconciliation: usage, consumption, invoices and the accrual", ctx,
             "everything up to the as-of date")
    s.widths([60, 18, 18, 18, 40])
    r = 4
    _section(s, r, "Usage to consumption against commitments", 5)
    bridge1 = [
        ("Usage up to the as-of date (every usage row)", rec.usage, "money"),
        ("less usage not drawing down a commitment", -rec.not_drawing_down, "money"),
        ("= Consumed against commitments (eligible)", rec.consumed, "money_bold"),
    ]
    for lbl, v, style in bridge1:
        r += 1
        s.text(r, 1, lbl, "label_free" if style == "money_bold" else "text_free")
        s.money(r, 2, v, style)
    r += 2
    _section(s, r, "Usage to invoices", 5)
    bridge2 = [
        ("Usage up to the as-of date (every usage row)", rec.usage, "money"),
        ("less usage not yet invoiced (accrual)", -rec.accrual, "money"),
        ("= Usage covered by invoices", rec.covered, "money_bold"),
        ("plus billing difference (invoiced - covered usage; see Invoices)", rec.billing_difference, "money"),
        ("= Invoiced (excl. tax)", rec.invoiced, "money_bold"),
    ]
    for lbl, v, style in bridge2:
        r += 1
        s.text(r, 1, lbl, "label_free" if style == "money_bold" else "text_free")
        s.money(r, 2, v, style)
    r += 1
    months = "; ".join(f"{v} {m}" for v, m in rec.accrued_months) or "none"
    s.text(r, 1, f"Not yet invoiced (vendor and month without an invoice covering it): {months}.", "note")
    s.merge(r, 1, r, 5)
    r += 2
    _section(s, r, "Accrual journal (post at month end; reverse when the invoice is booked)", 5)
    r += 1
    cols = [
        Col("Account", "text", 0, lambda j: j.account),
        Col("Cost center", "text", 0, lambda j: j.cost_center or None),
        Col("Debit", "money", 0, lambda j: j.debit if j.debit else None),
        Col("Credit", "money", 0, lambda j: j.credit if j.credit else None),
        Col("Memo", "text", 0, lambda j: j.memo),
    ]
    first, last = _col_table(s, "AccrualJournal", r, cols, rec.journal, "nothing to accrue")
    r = last + 1
    s.text(r, 1, "Total (debits = credits)", "label")
    s.money(r, 3, sum((j.debit for j in rec.journal), Decimal("0.00")), "money_bold")
    s.money(r, 4, sum((j.credit for j in rec.journal), Decimal("0.00")), "money_bold")
    r += 1
    s.text(r, 1, "Balance (debits - credits)", "label")
    s.money(r, 3, rec.journal_balance, "money_bold")
    s.print_setup((1, 2), landscape=False)
    return s


# --- Burn by month ------------------------------------------------------------------------------
def burn_by_month(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    cols = [
        Col("Contract", "text", 16, lambda m: m.contract_id),
        Col("Month", "text", 9, lambda m: m.month),
        Col("Through", "date", 11, lambda m: m.through),
        Col("Consumed in month", "money", 15, lambda m: m.consumed),
        Col("Consumed to date", "money", 15, lambda m: m.consumed_to_date),
        Col("Expected to date (burn line)", "money", 15, lambda m: m.expected),
        Col("Ahead (+) / behind (-)", "money", 15, lambda m: m.gap),
        Col("Pacing", "pct", 9, lambda m: m.pacing),
        Col("Projected at month end (run rate)", "money", 16, lambda m: m.projected),
        Col("Term commitment", "money", 15, lambda m: m.commitment),
    ]
    sheet, first, last = _list_sheet(book, ctx, "Burn by month", "Commit burn by month, per contract",
                                     "BurnByMonth", cols, burn_table(a),
                                     "months after the as-of date show the burn line and the projection only",
                                     empty_note="no contracts")
    if last >= first:
        g = get_column_letter(_col_of(cols, "Ahead (+) / behind (-)"))
        sheet.fill_rule(f"{g}{first}:{g}{last}", f'AND(ISNUMBER(${g}{first}),${g}{first}<0)', palette.VERMILLION,
                        light=0.75)
    return sheet


# --- Assumptions --------------------------------------------------------------------------------
SETTING_MEANINGS = {
    "reporting_currency": "Currency every amount is converted to",
    "band_shortfall_risk_below": "Pacing ratio below this: shortfall risk",
    "band_shortfall_watch_below": "Pacing ratio below this (and above the risk line): shortfall watch",
    "band_on_pace_max": "Pacing ratio up to this: on pace",
    "band_overage_watch_max": "Pacing ratio up to this: overage watch; above: overage risk",
    "run_rate_days": "Days in the run-rate window (T-13..T)",
    "smoothing_alpha": "Exponential smoothing factor of the smoothed run rate",
    "invoice_tolerance_pct": "Invoice variance within this share of expected is within tolerance",
    "invoice_tolerance_abs": "... or within this amount, whichever is larger",
    "premium_rate_tolerance_pct": "Unit price above contracted price by more than this: premium rate",
    "severity_high": "Budget variance % at or above this: high",
    "severity_medium": "Budget variance % at or above this: medium",
    "severity_under": "Budget variance % at or below this: under (money to reallocate)",
    "tier_hard_cap": "Utilization at or above this: hard cap",
    "tier_hard_stop": "Utilization at or above this: hard stop",
    "tier_critical": "Utilization at or above this: critical",
    "tier_warning": "Utilization at or above this: warning",
    "tier_info": "Utilization at or above this: info",
    "spike_pct": "Forecast this much above the previous month's actual: at least critical",
    "rca_high_hours": "Root-cause analysis due (hours) for high severity / hard stop",
    "rca_medium_hours": "Root-cause analysis due (hours) for medium severity",
    "monitoring_recovery_days": "Days back under budget pace before daily monitoring ends",
    "anomaly_min_history": "Earlier days needed before a day can be flagged",
    "anomaly_window": "Days of history for mean and standard deviation",
    "anomaly_z": "z-score above which a day is flagged",
    "renewal_baseline_days": "Trailing days of usage behind the renewal baseline",
    "renewal_days_per_month": "Days per month when scaling the baseline",
    "renewal_paths": "Simulated growth paths per renewal scenario",
    "renewal_seed": "Seed of the renewal simulation (same inputs, same table)",
    "renewal_max_shortfall_probability": "Largest acceptable probability of shortfall",
    "focus_cost_basis": "FOCUS column used as cost",
    "ai_services": "Which cloud-export rows count as AI spend (rule)",
    "schema_version": "Version of the settings schema",
}


def _setting_rows(settings: Any) -> list[tuple[str, Any, str]]:
    """(label, value, meaning) per setting; a value that is a vocabulary key shows its label."""
    if settings is None:
        settings = Settings()
    rows = []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if isinstance(value, str) and value in LABELS:
            value = LABELS[value]
        rows.append((SETTINGS.label(f.name), value, SETTING_MEANINGS.get(f.name, "")))
    return rows


def assumptions(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    s = book.sheet("Assumptions")
    _heading(s, "Assumptions: settings and imported files", ctx)
    s.widths([30, 16, 20, 30, 10, 10, 10, 10, 10, 10, 9, 40])
    r = HEADER_ROW
    rows = []
    for name, value, meaning in _setting_rows(a.settings):
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            value = str(value)
        rows.append([name, value, meaning])
    # settings table: value column mixes numbers and text, so write cells one by one
    for j, h in enumerate(("Setting", "Value", "Meaning")):
        s.text(r, 1 + j, h, "header")
    for i, (name, value, meaning) in enumerate(rows, 1):
        s.text(r + i, 1, name)
        if isinstance(value, str):
            s.text(r + i, 2, value)
        else:  # General format: the value exactly as set (0.005 stays 0.005)
            s.number(r + i, 2, value, "general")
        s.text(r + i, 3, meaning, "text_free")  # a table cannot hold merged cells: overflow instead
    last = r + len(rows)
    s.add_table("Settings", r, 1, ["Setting", "Value", "Meaning"], last)
    s.freeze(r + 1, 1)
    s.print_setup((r, r))

    r = last + 3
    _section(s, r, "Imported files", 12)
    r += 1
    icols = [
        Col("File", "text", 0, lambda x: x.file),
        Col("Table", "text", 0, lambda x: label(x.kind)),
        Col("Format", "text", 0, lambda x: x.format),
        Col("Why this format", "text_wrap", 0, lambda x: x.format_reason or None),
        Col("Rows read", "int", 0, lambda x: x.rows_read),
        Col("Imported", "int", 0, lambda x: x.rows_imported),
        Col("Rejected", "int", 0, lambda x: x.rows_rejected),
        Col("Totals excluded", "int", 0, lambda x: x.totals_excluded),
        Col("Duplicates flagged", "int", 0, lambda x: x.duplicates_flagged),
        Col("Encoding", "text", 0, lambda x: x.encoding),
        Col("Delimiter", "text", 0, lambda x: _delimiter(x.delimiter)),
        Col("Warnings", "text_wrap", 0, lambda x: "; ".join(x.warnings) if x.warnings else None),
    ]
    first, last = _col_table(s, "Imports", r, icols, a.imports, "no import reports (figures built from in-memory tables)")
    if a.imports:
        s.fill_rule(f"G{first}:G{last}", f"$G{first}>0", palette.ORANGE, bold=True)
    r = last + 3
    _section(s, r, "Import issues (rows rejected or warned about)", 12)
    r += 1
    issues = [(rep, e) for rep in a.imports for e in rep.errors]
    ecols = [
        Col("File", "text", 0, lambda t: t[0].file),
        Col("Row", "int", 0, lambda t: t[1].row),
        Col("Column", "text", 0, lambda t: t[1].column),
        Col("Message", "text_wrap", 0, lambda t: t[1].message),
        Col("Value", "text", 0, lambda t: t[1].value),
    ]
    first, last = _col_table(s, "ImportIssues", r, ecols, issues, "no issues")
    r = last + 3
    _section(s, r, "Warnings of the analysis", 12)
    r += 1
    for w in a.warnings or ("no warnings",):
        s.text(r, 1, w, "text_wrap")
        s.merge(r, 1, r, 12)
        r += 1
    return s


def _delimiter(d: str | None) -> str | None:
    names = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
    return None if d is None else names.get(d, d)


# --- Data ---------------------------------------------------------------------------------------
def data(book: Book, ctx: Context) -> Sheet:
    a = ctx.analysis
    s = book.sheet(ctx.data_title)
    _heading(s, "Data behind the charts: daily burn-up per contract", ctx,
             "consumed up to the as-of date; projection at the run rate after it")
    cols = ["Contract", "Date", "Eligible spend", "Consumed (cumulative)", "Expected (burn line)",
            "Projected (run rate)", "Commitment"]
    kinds = ["text", "date", "money", "money", "money", "money", "money"]
    for j, h in enumerate(cols):
        s.text(HEADER_ROW, 1 + j, h, "header")
    r = HEADER_ROW
    for c in a.contracts:
        rows = ctx.burn.get(c.contract_id) or []
        if not rows:
            continue
        start = r + 1
        for b in rows:
            r += 1
            vals = [b.contract_id, b.day, b.spend, b.consumed, b.expected, b.projected, b.commitment]
            for j, (v, k) in enumerate(zip(vals, kinds, strict=True)):
                s.value(r, 1 + j, v, k)
        if ctx.burn_rows.get(c.contract_id) != (start, r):
            raise AssertionError("Data rows differ from the rows the charts were laid out for")
    if r == HEADER_ROW:
        r += 1
        s.text(r, 1, "no contracts", "note")
    s.add_table("DailyBurnUp", HEADER_ROW, 1, cols, r)
    s.widths([16, 12, 15, 18, 18, 18, 15])
    s.row_height(HEADER_ROW, 30)
    s.freeze(HEADER_ROW + 1, 1)
    s.print_setup((HEADER_ROW, HEADER_ROW))
    # one row per contract and day: dozens of printed pages, so hidden (a hidden sheet does not
    # print); the Pacing sheet says where it is and the Burn by month sheet prints its summary
    s.ws.sheet_state = "hidden"
    return s

