"""Overview: KPI tiles and the alerts list; a click opens the page and rows behind it."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QSplitter, QVBoxLayout, QWidget

from desktop.domain import palette
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
}


class OverviewPage(Page):
    title = "Overview"
    key = "overview"

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
        alerts_box = QWidget()
        al = QVBoxLayout(alerts_box)
        al.setContentsMargins(0, 8, 0, 0)
        al.addWidget(heading("Alerts — double-click to open the rows behind one"))
        self.alerts = DataTable()
        self.alerts.doubleClicked.connect(self._open_alert)
        self.alerts.activated.connect(self._open_alert)
        al.addWidget(self.alerts)
        split.addWidget(alerts_box)
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
        session.actionsChanged.connect(self._refresh_actions)

    # ------------------------------------------------------------------------------------------
    def refresh(self, a) -> None:
        cur = a.currency
        k = portfolio(a)
        self.headline.setText(f"As of {a.as_of.isoformat()} · {k.contracts} contracts · "
                              f"{k.invoices} invoices · {k.budget_lines} budget lines · all figures in {cur}")
        self.t_commit.set(fmt.money_short(k.commitment), f"{fmt.money(k.commitment, cur)} over {k.contracts} contracts",
                          tooltip="Sum of every commit period of every contract")
        self.t_consumed.set(fmt.money_short(k.consumed),
                            f"{fmt.pct(k.pacing)} of the expected {fmt.money_short(k.expected)}",
                            tooltip="Eligible usage drawn down to the as-of date")
        self.t_shortfall.set(fmt.money_short(k.shortfall_exposure),
                             f"{k.contracts_with_penalty} contracts would pay a penalty",
                             accent=palette.VERMILLION if k.shortfall_exposure > 0 else palette.BLUISH_GREEN,
                             tooltip="Sum of shortfall penalties at the current run rate")
        self.t_premium.set(fmt.money_short(k.overage_premium), f"on {fmt.money_short(k.overage)} projected overage",
                           accent=palette.BLUE if k.overage_premium > 0 else palette.BLUISH_GREEN,
                           tooltip="Premium above the committed rate on projected overage")
        self.t_leakage.set(fmt.money_short(k.premium_leakage), f"{k.flagged_lines} flagged invoice lines",
                           accent=palette.VERMILLION if k.premium_leakage > 0 else palette.BLUISH_GREEN,
                           tooltip="Duplicate lines, premium rates and lines without usage")
        self._bands(a)
        self._alerts(a)
        self._refresh_actions()
        warn = list(a.warnings)
        self.warnings.setText(("Notes on the data: " + " · ".join(warn)) if warn else "")

    def _bands(self, a) -> None:
        for t in self.band_tiles:
            self.band_row.removeWidget(t)
            t.deleteLater()
        self.band_tiles = []
        for c in a.contracts:
            t = Tile(f"{c.contract_id} · {c.vendor}")
            color = palette.pace_color(c)
            t.set(fmt.pace(c),
                  f"pacing {fmt.pct(c.pacing_ratio)} · projected {fmt.money_short(c.projected_consumption)}"
                  f" of {fmt.money_short(c.commitment)}",
                  accent=color,
                  tooltip=f"Consumed {fmt.money(c.consumed_to_date, a.currency)} against an expected "
                          f"{fmt.money(c.expected_to_date, a.currency)}")
            t.value.setStyleSheet(f"color: {readable(palette.line_color(color, is_dark(self)), self)};")
            cid = c.contract_id
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
        if not a.contracts:
            t = Tile("No contracts")
            t.set("—", "Import a commit schedule (Ctrl+I)")
            self.band_row.addWidget(t)
            self.band_tiles.append(t)

    def _alerts(self, a) -> None:
        findings = sorted(a.findings, key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.due or a.as_of, f.title))
        self._findings = findings
        m = self.alerts.table_model
        m.set_columns([
            Col.text("Severity", [fmt.label(f.severity) for f in findings]),
            Col.text("Alert", [f.title for f in findings]),
            Col.text("Kind", [fmt.label(f.kind) for f in findings]),
            Col.text("Owner", [f.owner or "" for f in findings]),
            Col.date("Due", [f.due for f in findings]),
            Col.text("Detail", [f.detail for f in findings]),
        ])
        sev = np.array([SEVERITY_ORDER.get(f.severity, -1) for f in findings], dtype=np.int64)
        m.palette = [tint(palette.VERMILLION, 70), tint(palette.ORANGE, 60), tint(palette.YELLOW, 60)]
        m.row_colors = np.where(sev <= 2, sev, -1) if len(sev) else None
        m.row_tooltips = lambda r: findings[r].detail or findings[r].title
        self.alerts.setColumnWidth(1, 460)

    def _refresh_actions(self) -> None:
        acts = self.session.actions()
        open_ = [x for x in acts if x.is_open]
        counts = {s: sum(1 for x in open_ if x.severity == s) for s in ACTION_SEVERITIES}
        overdue = sum(1 for x in open_ if self.analysis is not None and x.overdue(self.analysis.as_of))
        self.t_actions.set(f"{len(open_)}", f"high {counts['high']} · medium {counts['medium']} · "
                           f"low {counts['low']} · overdue {overdue}",
                           accent=palette.VERMILLION if counts["high"] else palette.ORANGE if open_ else
                           palette.BLUISH_GREEN,
                           tooltip="Open and in-progress actions by severity")

    def _open_alert(self, index) -> None:
        if not index.isValid():
            return
        f = self._findings[self.alerts.table_model.source_row(index.row())]
        page = KIND_PAGE.get(f.kind, "actions")
        ref = dict(f.ref)
        ref.setdefault("finding", f.key)
        self.session.navigate(page, ref)

    def _apply_text(self, text: str) -> None:
        self.alerts.table_model.set_text_filter(text)

