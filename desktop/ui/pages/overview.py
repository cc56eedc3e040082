"""Overview: KPI tiles and the alerts list; a click opens the page and rows behind it.

What the page shows is computed as display text by ``overview_figures`` (pure; the session runs
it in the recompute's worker) and painted by ``show_figures``. The same text is kept in the
workspace (desktop.store.figures), so the next start paints the last figures at once, under the
"Refreshing figures" banner, until the new analysis replaces them."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QSplitter, QVBoxLayout, QWidget

from desktop.domain import calendar, palette
from desktop.domain.calendar import NOTICE_HIGH_DAYS, NOTICE_LEAD_DAYS
from desktop.domain.portfolio import portfolio
from desktop.domain.vocabulary import ACTION_SEVERITIES
from desktop.ui import fmt
from desktop.ui.models.table import Col
from desktop.ui.pages.base import Page
from desktop.ui.widgets import DataTable, Tile, heading, is_dark, note, readable, tint

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
# finding kind -> page key
KIND_PAGE = {
    "contract": "contracts",
    "budget": "budgets",
    "invoice_flag": "invoices",
    "invoice_variance": "invoices",
    "anomaly": "usage",
    "notice": "contracts",
}
FIGURES_VERSION = 2  # of the dict overview_figures returns (a saved one of another version is not shown)


def sorted_findings(a) -> list:
    """The alerts in the order the page lists them: severity, due date, title."""
    return sorted(a.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.due or a.as_of, f.title))


def overview_figures(a) -> dict[str, Any]:
    """What the Overview shows for analysis ``a``, as display text (JSON-able): the headline,
    the KPI tiles, one tile per contract, the alerts and the notes on the data. Pure (the
    recompute's worker runs it); ``OverviewPage.show_figures`` paints it."""
    cur = a.currency
    k = portfolio(a)
    tiles = {
        "commit": (fmt.money_short(k.commitment), f"{fmt.money(k.commitment, cur)} over {k.contracts} contracts",
                   None, "Sum of every commit period of every contract"),
        "consumed": (fmt.money_short(k.consumed), f"{fmt.pct(k.pacing)} of the expected {fmt.money_short(k.expected)}",
                     None, "Eligible usage drawn down to the as-of date"),
        "shortfall": (fmt.money_short(k.shortfall_exposure), f"{k.contracts_with_penalty} contracts would pay a penalty",
                      palette.VERMILLION if k.shortfall_exposure > 0 else palette.BLUISH_GREEN,
                      "Sum of shortfall penalties at the current run rate"),
        "premium": (fmt.money_short(k.overage_premium), f"on {fmt.money_short(k.overage)} projected overage",
                    palette.BLUE if k.overage_premium > 0 else palette.BLUISH_GREEN,
                    "Premium above the committed rate on projected overage"),
        "leakage": (fmt.money_short(k.premium_leakage), f"{k.flagged_lines} flagged invoice lines",
                    palette.VERMILLION if k.premium_leakage > 0 else palette.BLUISH_GREEN,
                    "Duplicate lines, premium rates and lines without usage"),
    }
    bands = [{
        "contract_id": c.contract_id,
        "caption": f"{c.contract_id} · {c.vendor}",
        "value": fmt.pace(c),
        "detail": f"pacing {fmt.pct(c.pacing_ratio)} · projected {fmt.money_short(c.projected_consumption)}"
                  f" of {fmt.money_short(c.commitment)}",
        "accent": palette.pace_color(c),
        "tooltip": f"Consumed {fmt.money(c.consumed_to_date, a.currency)} against an expected "
                   f"{fmt.money(c.expected_to_date, a.currency)}",
    } for c in a.contracts]
    alerts = [{
        "severity": fmt.label(f.severity), "title": f.title, "kind": fmt.label(f.kind), "owner": f.owner or "",
        "due": f.due.isoformat() if f.due is not None else None, "detail": f.detail,
        "rank": SEVERITY_ORDER.get(f.severity, -1), "tooltip": f.detail or f.title,
    } for f in sorted_findings(a)]
    # the renewal calendar (desktop/domain/calendar.py): passed 0, within NOTICE_HIGH_DAYS 1, within the
    # checklist's lead 2, later -1
    notices = [{
        "contract_id": d.contract_id, "vendor": d.vendor, "deadline": d.deadline.isoformat(),
        "days_left": d.days_left, "term_end": d.term_end.isoformat(), "notice_days": d.notice_days,
        "level": 0 if d.passed else 1 if d.days_left <= NOTICE_HIGH_DAYS else 2 if d.days_left <= NOTICE_LEAD_DAYS
        else -1,
        "tooltip": f"Give notice or renew {d.contract_id} by {d.deadline:%Y-%m-%d} ({calendar.describe(d)}): the "
                   f"term ends on {d.term_end:%Y-%m-%d} with {d.notice_days} days' notice",
    } for d in getattr(a, "notice_deadlines", ()) or ()]
    warn = list(a.warnings)
    return {
        "version": FIGURES_VERSION,
        "as_of": a.as_of.isoformat(),
        "headline": f"As of {a.as_of.isoformat()} · {k.contracts} contracts · {k.invoices} invoices · "
                    f"{k.budget_lines} budget lines · all figures in {cur}",
        "tiles": {key: list(v) for key, v in tiles.items()},
        "bands": bands,
        "alerts": alerts,
        "notices": notices,
        "warnings": ("Notes on the data: " + " · ".join(warn)) if warn else "",
    }


class OverviewPage(Page):
    title = "Overview"
    key = "overview"
    preparer = staticmethod(overview_figures)

    def __init__(self, session, parent=None):
        super().__init__(session, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 12, 12, 12)
        self.headline = heading("")
        lay.addWidget(self.headline)

        grid = QGridLayout()
        grid.setSpacing(10)
        self.t_commit = Tile("Total commitment")
        self.t_consumed = Tile("Consumed to date")
        self.t_shortfall = Tile("Projected shortfall exposure")
        self.t_premium = Tile("Overage premium")
        self.t_leakage = Tile("Invoice leakage found")
        self.t_actions = Tile("Open actions")
        tiles = [self.t_commit, self.t_consumed, self.t_shortfall, self.t_premium, self.t_leakage, self.t_actions]
        for i, t in enumerate(tiles):
            grid.addWidget(t, 0, i)
        self.t_commit.clicked.connect(lambda: session.navigate("contracts", {}))
        self.t_consumed.clicked.connect(lambda: session.navigate("contracts", {}))
        self.t_shortfall.clicked.connect(lambda: session.navigate("contracts", {"band": "shortfall"}))
        self.t_premium.clicked.connect(lambda: session.navigate("contracts", {"band": "overage"}))
        self.t_leakage.clicked.connect(lambda: session.navigate("invoices", {"flagged": True}))
        self.t_actions.clicked.connect(lambda: session.navigate("actions", {"status": "open"}))
        lay.addLayout(grid)

        lay.addWidget(heading("Contracts by pacing band (an ended term: its outcome)"))
        self.band_row = QHBoxLayout()
        self.band_row.setSpacing(10)
        lay.addLayout(self.band_row)
        self.band_tiles: list[Tile] = []

        split = QSplitter(Qt.Orientation.Vertical)
        upper = QSplitter(Qt.Orientation.Horizontal)
        alerts_box = QWidget()
        al = QVBoxLayout(alerts_box)
        al.setContentsMargins(0, 8, 0, 0)
        al.addWidget(heading("Alerts — double-click to open the rows behind one"))
        self.alerts = DataTable()
        self.alerts.doubleClicked.connect(self._open_alert)
        self.alerts.activated.connect(self._open_alert)
        al.addWidget(self.alerts)
        upper.addWidget(alerts_box)
        # the renewal calendar (desktop/domain/calendar.py): each running contract's notice deadline
        notice_box = QWidget()
        nl = QVBoxLayout(notice_box)
        nl.setContentsMargins(0, 8, 0, 0)
        nl.addWidget(heading("Notice deadlines"))
        self.notices = DataTable()
        self.notices.doubleClicked.connect(self._open_notice)
        self.notices.activated.connect(self._open_notice)
        nl.addWidget(self.notices)
        self.notice_note = note("")
        nl.addWidget(self.notice_note)
        upper.addWidget(notice_box)
        upper.setStretchFactor(0, 2)
        upper.setStretchFactor(1, 1)
        self.notice_split = upper
        split.addWidget(upper)
        warn_box = QWidget()
        wl = QVBoxLayout(warn_box)
        wl.setContentsMargins(0, 0, 0, 0)
        self.warnings = note("")
        wl.addWidget(self.warnings)
        split.addWidget(warn_box)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 1)
        lay.addWidget(split, 1)
        self._findings: list = []
        self.shown_figures: dict[str, Any] | None = None  # what the page paints (overview_figures)
        self.showing_saved = False  # the figures on screen are the workspace's last ones, not fresh
        self._deadlines: list[dict[str, Any]] = []
        session.actionsChanged.connect(self._refresh_actions)

    # ------------------------------------------------------------------------------------------
    def catch_up(self) -> None:
        """Built before any figures of this run: the workspace's last figures, painted at once
        (the window says they are being refreshed); the checklist's tile as it is."""
        super().catch_up()
        saved = getattr(self.session, "saved_figures", None)
        if self.session.analysis is None and saved and saved.get("version") == FIGURES_VERSION:
            self.show_figures(saved)
            self.showing_saved = True
        self._refresh_actions()

    def refresh(self, a) -> None:
        figures = self.prepared(a)
        if figures is None:
            figures = overview_figures(a)
        self._findings = sorted_findings(a)
        self.show_figures(figures)
        self.showing_saved = False
        self._refresh_actions()

    def show_figures(self, figures: dict[str, Any]) -> None:
        """Paint ``figures`` (``overview_figures``): text only, nothing computed here."""
        self.shown_figures = figures
        self.headline.setText(figures["headline"])
        tiles = figures["tiles"]
        for key, tile in (("commit", self.t_commit), ("consumed", self.t_consumed), ("shortfall", self.t_shortfall),
                          ("premium", self.t_premium), ("leakage", self.t_leakage)):
            value, detail, accent, tooltip = tiles[key]
            tile.set(value, detail, accent=accent, tooltip=tooltip)
        self._bands(figures["bands"])
        self._alerts(figures["alerts"])
        self._notices(figures.get("notices", []))
        self.warnings.setText(figures["warnings"])

    def _bands(self, bands: list[dict[str, Any]]) -> None:
        for t in self.band_tiles:
            self.band_row.removeWidget(t)
            t.deleteLater()
        self.band_tiles = []
        for b in bands:
            t = Tile(b["caption"])
            color = b["accent"]
            t.set(b["value"], b["detail"], accent=color, tooltip=b["tooltip"])
            t.value.setStyleSheet(f"color: {readable(palette.line_color(color, is_dark(self)), self)};")
            cid = b["contract_id"]
            t.clicked.connect(lambda cid=cid: self.session.navigate("contracts", {"contract_id": cid}))
            t.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            for label_, fld in (("Explain consumed to date…", "consumed_to_date"),
                                ("Explain projected consumption…", "projected_consumption"),
                                ("Explain shortfall exposure…", "shortfall_exposure")):
                act = QAction(label_, t)
                act.triggered.connect(lambda _=False, cid=cid, fld=fld: self.explain("contract", cid, fld))
                t.addAction(act)
            self.band_row.addWidget(t)
            self.band_tiles.append(t)
        if not bands:
            t = Tile("No contracts")
            t.set("—", "Import a commit schedule (Ctrl+I)")
            self.band_row.addWidget(t)
            self.band_tiles.append(t)

    def _alerts(self, alerts: list[dict[str, Any]]) -> None:
        m = self.alerts.table_model
        m.set_columns([
            Col.text("Severity", [x["severity"] for x in alerts]),
            Col.text("Alert", [x["title"] for x in alerts]),
            Col.text("Kind", [x["kind"] for x in alerts]),
            Col.text("Owner", [x["owner"] for x in alerts]),
            Col.date("Due", np.array([x["due"] or "NaT" for x in alerts], dtype="datetime64[ns]")),
            Col.text("Detail", [x["detail"] for x in alerts]),
        ])
        sev = np.array([x["rank"] for x in alerts], dtype=np.int64)
        m.palette = [tint(palette.VERMILLION, 70), tint(palette.ORANGE, 60), tint(palette.YELLOW, 60)]
        m.row_colors = np.where(sev <= 2, sev, -1) if len(sev) else None
        tips = [x["tooltip"] for x in alerts]
        m.row_tooltips = lambda r: tips[r]
        self.alerts.setColumnWidth(1, 460)

    def _notices(self, notices: list[dict[str, Any]]) -> None:
        self._deadlines = notices
        m = self.notices.table_model
        m.set_columns([
            Col.text("Contract", [x["contract_id"] for x in notices]),
            Col.date("Deadline", np.array([x["deadline"] for x in notices], dtype="datetime64[ns]")),
            Col.ints("Days left", [x["days_left"] for x in notices]),
            Col.text("Vendor", [x["vendor"] for x in notices]),
            Col.date("Term end", np.array([x["term_end"] for x in notices], dtype="datetime64[ns]")),
            Col.ints("Notice days", [x["notice_days"] for x in notices]),
        ])
        for j, w in enumerate((130, 88, 66, 110, 88, 80)):  # the deadline and its days left in view
            self.notices.setColumnWidth(j, w)
        level = np.array([x["level"] for x in notices], dtype=np.int64)
        m.palette = [tint(palette.VERMILLION, 70), tint(palette.ORANGE, 60), tint(palette.YELLOW, 60)]
        m.row_colors = level if len(level) else None
        tips = [x["tooltip"] for x in notices]
        m.row_tooltips = lambda r: tips[r]
        self.notice_note.setText(
            "No running contract gives notice_days: set it on the Contracts page (Commit schedule) to see "
            "its notice deadline here." if not notices else
            f"Term end minus notice days; the actions checklist lists a deadline {NOTICE_LEAD_DAYS} days ahead.")

    def _open_notice(self, index) -> None:
        if not index.isValid():
            return
        d = self._deadlines[self.notices.table_model.source_row(index.row())]
        self.session.navigate("contracts", {"contract_id": d["contract_id"]})

    def _refresh_actions(self) -> None:
        if getattr(self.session, "opening", False):
            self.t_actions.set("—", "reading the checklist…", tooltip="Open and in-progress actions by severity")
            return
        acts = self.session.actions()
        open_ = [x for x in acts if x.is_open]
        counts = {s: sum(1 for x in open_ if x.severity == s) for s in ACTION_SEVERITIES}
        as_of = self.analysis.as_of if self.analysis is not None else None
        if as_of is None and self.showing_saved and self.shown_figures is not None:
            from datetime import date

            as_of = date.fromisoformat(self.shown_figures["as_of"])  # the date of the figures shown
        overdue = sum(1 for x in open_ if as_of is not None and x.overdue(as_of))
        self.t_actions.set(f"{len(open_)}", f"high {counts['high']} · medium {counts['medium']} · "
                           f"low {counts['low']} · overdue {overdue}",
                           accent=palette.VERMILLION if counts["high"] else palette.ORANGE if open_ else
                           palette.BLUISH_GREEN,
                           tooltip="Open and in-progress actions by severity")

    def _open_alert(self, index) -> None:
        if not index.isValid() or self.showing_saved:  # the last figures: their rows come with the new ones
            return
        f = self._findings[self.alerts.table_model.source_row(index.row())]
        page = KIND_PAGE.get(f.kind, "actions")
        ref = dict(f.ref)
        ref.setdefault("finding", f.key)
        self.session.navigate(page, ref)

    def _apply_text(self, text: str) -> None:
        self.alerts.table_model.set_text_filter(text)

