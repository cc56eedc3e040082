"""Parts of the renewal workbench (desktop/ui/pages/renewal.py): the dialog that adds a forecast
overlay, and the offers side by side. They show what they are given; nothing is computed here."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from desktop.domain import overlays as overlay_records
from desktop.domain.errors import InputError
from desktop.ui import fmt
from desktop.ui.widgets import note

OVERLAY_TITLES = {"workload_launch": "Workload launch", "model_migration": "Model migration",
                  "price_change": "Vendor price change"}
_HELP = {
    "workload_launch": "A new workload adds this much list-price spend each month from its start "
                       "(a negative amount takes a workload away).",
    "model_migration": "A share of one model's volume moves to another model from a date: give the model it "
                       "moves to (priced from the rate card) or what the moved tokens will cost, as a percent "
                       "of today's price.",
    "price_change": "The vendor's list prices change by this percent from a date (-10 = 10 % cheaper).",
}


class OverlayDialog(QDialog):
    """Asks for one overlay of ``kind`` for ``vendor``; ``add(record)`` stores it (the page passes
    the workspace's add_overlay) and an InputError is shown under the form, the dialog staying
    open."""

    def __init__(self, kind: str, vendor: str, start: _dt.date, add, models: list[str] | None = None,
                 parent=None):
        super().__init__(parent)
        self.setObjectName("overlayDialog")
        self.kind, self.vendor, self._add = kind, vendor, add
        self.setWindowTitle(f"{OVERLAY_TITLES[kind]} · {vendor}")
        self.setMinimumWidth(460)
        self.record: dict | None = None
        lay = QVBoxLayout(self)
        lay.addWidget(note(_HELP[kind]))
        form = QFormLayout()
        self.start = QDateEdit(QDate(start.year, start.month, start.day))
        self.start.setCalendarPopup(True)
        self.start.setDisplayFormat("yyyy-MM-dd")
        form.addRow("From", self.start)
        self.fields: dict[str, QLineEdit] = {}

        def field(name: str, label: str, hint: str) -> None:
            e = QLineEdit()
            e.setPlaceholderText(hint)
            self.fields[name] = e
            form.addRow(label, e)

        if kind == "workload_launch":
            field("monthly_amount", "List-price spend / month", "e.g. 12000.00")
        elif kind == "model_migration":
            field("model", "Model that moves", ", ".join((models or [])[:3]) or "its name as in the usage rows")
            field("share_pct", "Share of its volume, %", "e.g. 30")
            field("to_model", "Moves to model", "priced from the rate card")
            field("price_pct", "or: new price, % of today's", "e.g. 40")
        else:
            field("change_pct", "Price change, %", "e.g. -10")
        lay.addLayout(form)
        self.msg = note("")
        self.msg.setObjectName("overlayMessage")
        lay.addWidget(self.msg)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Add")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        d = self.start.date()
        out: dict[str, Any] = {"kind": self.kind, "vendor": self.vendor,
                               "start": _dt.date(d.year(), d.month(), d.day()).isoformat()}
        for name, e in self.fields.items():
            if e.text().strip():
                out[name] = e.text().strip()
        return out

    def try_accept(self) -> bool:
        try:
            self.record = self._add(self.values())
        except InputError as exc:
            self.msg.setText(f"Not added: {exc.message}")
            return False
        self.accept()
        return True


def describe(record: dict) -> str:
    text = overlay_records.describe(record)
    return text[:1].upper() + text[1:]


# --- offers side by side -----------------------------------------------------------------------

ROWS = (  # (key, row label, what it is)
    ("expected_cost", "Expected cost", "Expected total cost over the term, on the simulated futures"),
    ("savings", "Savings vs list", "Expected list-price spend minus expected cost"),
    ("p_shortfall", "P(shortfall)", "Share of the futures with a charged shortfall in any period"),
    ("penalty", "Exp. shortfall penalty", "Expected shortfall penalty (or credit paid) over the term"),
    ("premium", "Exp. overage premium", "Expected overage premium over the term"),
    ("cvar", "CVaR-95 of cost", "Mean cost of the worst 5 % of the futures"),
    ("break_even", "Break-even growth", "The monthly growth below which the offer stops beating list price"),
    ("list", "Expected list spend", "Expected spend at list price over the term"),
    ("commitment", "Commitment offered", "The offer's total commitment over the term"),
    ("recommended", "Recommended (★ best)",
     "The commitment of least expected cost with P(shortfall) within the limit; ★: the best over the offers"),
    ("notice", "Notice deadline", "Term end minus the notice days"),
)

def break_even_text(b) -> str:
    if b is None:
        return "—"
    if b.status == "found" and b.growth is not None:
        return fmt.pct(b.growth, 2)
    if b.status == "always":
        return "always beats list"
    return "never beats list"


def header_text(name: str) -> str:
    """An offer's name on at most two short lines: 'OAI-2026-RAMP (current terms)' ->
    'OAI-2026-RAMP' / '(current terms)', 'OAI-2027-ANNUAL' -> 'OAI-2027-' / 'ANNUAL'."""
    if " (" in name:
        return name.replace(" (", "\n(", 1)
    if len(name) > 12 and "-" in name[1:-1]:
        cut = name.rindex("-", 1, len(name) - 1) + 1
        return name[:cut] + "\n" + name[cut:]
    return name


class OffersGrid(QTableWidget):
    """Offers as columns (the current contract first), figures as rows; a click on a column
    selects that offer (``offerSelected``)."""

    offerSelected = Signal(str)

    def __init__(self, parent=None):
        super().__init__(len(ROWS), 0, parent)
        self.setObjectName("offersGrid")
        self.setVerticalHeaderLabels([label for _, label, _ in ROWS])
        for i, (_, _, tip) in enumerate(ROWS):
            self.verticalHeaderItem(i).setToolTip(tip)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectColumns)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setWordWrap(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.names: list[str] = []
        self.horizontalHeader().sectionClicked.connect(self._clicked)
        self.cellClicked.connect(lambda _r, c: self._clicked(c))

    def _clicked(self, col: int) -> None:
        if 0 <= col < len(self.names):
            self.offerSelected.emit(self.names[col])

    def show_negotiation(self, neg, current: str | None, selected: str | None) -> None:
        """Fill the grid from ``neg`` (a Negotiation): one column per offer, as it holds them."""
        results = list(neg.offers.offers)
        self.names = [r.offer for r in results]
        be = {b.offer: b for b in neg.break_even}
        rec = {r.offer: r for r in neg.recommended}
        offered = {p.offer: p.commitment for p in neg.frontier if p.offered}
        self.setColumnCount(len(results))
        heads = []
        for c, r in enumerate(results):
            heads.append(header_text(r.offer) + ("\n(current)" if r.offer == current and "current" not in r.offer else ""))
            rc = rec.get(r.offer)
            rec_text = "none within the limit" if rc is None or rc.commitment is None else \
                fmt.money(rc.commitment) + (" ★" if rc.best else "")
            values = {
                "expected_cost": fmt.money(r.expected_cost), "savings": fmt.money(r.savings_vs_list),
                "p_shortfall": fmt.pct(r.p_shortfall), "penalty": fmt.money(r.expected_shortfall_penalty),
                "premium": fmt.money(r.expected_overage_premium), "cvar": fmt.money(r.cvar95_cost),
                "break_even": break_even_text(be.get(r.offer)), "list": fmt.money(r.expected_list_spend),
                "commitment": fmt.money(offered.get(r.offer)), "recommended": rec_text,
                "notice": fmt.day(r.notice_deadline) or "—",
            }
            for i, (key, _label, _tip) in enumerate(ROWS):
                item = QTableWidgetItem(values[key])
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if r.offer == selected:
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                self.setItem(i, c, item)
        self.setHorizontalHeaderLabels(heads)
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)  # the offers share the width
        hf = hh.font()
        hf.setBold(True)
        hfm = QFontMetrics(hf)
        col = max([self.fontMetrics().horizontalAdvance("9,999,999.99 ★")]
                  + [hfm.horizontalAdvance(line) for h in heads for line in h.split("\n")]) + 22
        self.setMinimumWidth(self.verticalHeader().sizeHint().width() + max(1, len(results)) * col + 4)
        self.setFixedHeight(self.verticalHeader().length() + hh.sizeHint().height() + 2 * self.frameWidth() + 2)
        if selected in self.names:
            self.blockSignals(True)
            self.selectColumn(self.names.index(selected))
            self.blockSignals(False)
            self.horizontalScrollBar().setValue(0)

    def value(self, label: str, offer: str) -> str:
        """The text shown for figure ``label`` of ``offer`` (tests read the grid as a person would)."""
        r = [lab for _, lab, _ in ROWS].index(label)
        return self.item(r, self.names.index(offer)).text()

    def clear_offers(self) -> None:
        self.names = []
        self.setColumnCount(0)
