"""The commit schedule editor's two questions: where to split a period, and a new contract.

Both ask the domain (desktop/domain/schedule.py, checked by the one validation layer) before
they close: a value that breaks a rule keeps the dialog open with the rule's words. The page
sends the accepted answer to the workspace through the session."""

from __future__ import annotations

import datetime as _dt

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLineEdit,
    QVBoxLayout,
)

from desktop.domain import schedule
from desktop.domain.errors import InputError
from desktop.domain.money import from_micros
from desktop.ui import fmt
from desktop.ui.widgets import note


def _qdate(d: _dt.date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _date_edit(d: _dt.date) -> QDateEdit:
    box = QDateEdit(_qdate(d))
    box.setCalendarPopup(True)
    box.setDisplayFormat("yyyy-MM-dd")
    return box


def default_split_day(start: _dt.date, end: _dt.date) -> _dt.date:
    """The first of the month nearest the middle of the period (or the day after its start)."""
    mid = start + (end - start) / 2
    first = _dt.date(mid.year, mid.month, 1)
    return first if start < first <= end else min(end, start + _dt.timedelta(days=1))


class SplitDialog(QDialog):
    """Split one period on a day: shows the two periods and their minimums before it is done."""

    def __init__(self, periods: list[dict], start: _dt.date, parent=None):
        super().__init__(parent)
        self.setObjectName("splitDialog")
        self.periods = periods
        self.start = start
        p = next(x for x in periods if x["period_start"] == start)
        self.setWindowTitle(f"Split the period {start} to {p['period_end']}")
        self.setMinimumWidth(460)
        lay = QVBoxLayout(self)
        lay.addWidget(note("The second period starts on the day you pick. The minimum commitment is "
                           "shared by days (rounded to the cent; the second part takes the rest, so "
                           "the two add up to the original)."))
        form = QFormLayout()
        self.day = _date_edit(default_split_day(start, p["period_end"]))
        self.day.dateChanged.connect(self._preview)
        form.addRow("Second period starts on", self.day)
        lay.addLayout(form)
        self.preview = note("")
        self.preview.setObjectName("splitPreview")
        lay.addWidget(self.preview)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Split")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.result_periods: list[dict] | None = None
        self._preview()

    def at(self) -> _dt.date:
        return self.day.date().toPython()

    def _preview(self, *_) -> None:
        try:
            got = schedule.split(self.periods, self.start, self.at())
        except InputError as exc:
            self.result_periods = None
            self.preview.setText(f"<span style='color:#D55E00'>{exc.message}</span>")
            self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
            return
        self.result_periods = got
        parts = [p for p in got if self.start <= p["period_start"] <= self.at()]
        cur = parts[0].get("currency") or ""
        self.preview.setText("<br>".join(
            f"{p['period_start']} to {p['period_end']} ({(p['period_end'] - p['period_start']).days + 1} days): "
            f"minimum {fmt.money(from_micros(p['commitment']), cur)}" for p in parts))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)


class NewContractDialog(QDialog):
    """A contract from scratch: id, vendor, its first period and minimum, currency, owner."""

    def __init__(self, existing: list[str], vendors: list[str], parent=None, offer: bool = False):
        super().__init__(parent)
        self.setObjectName("newContractDialog")
        self.offer = offer  # an offer: a contract with status proposed (it draws down no usage)
        self.setWindowTitle("New offer" if offer else "New contract")
        self.setMinimumWidth(460)
        self.existing = existing
        lay = QVBoxLayout(self)
        lay.addWidget(note(
            "A vendor's offer is a proposed contract: it draws down no usage until you set it to Active. Its id "
            "names the offer. It starts with one commit period; add or split periods (a ramp) and set its terms "
            "in its schedule afterwards." if offer else
            "The contract starts with one commit period; add, split or edit periods in its "
            "schedule afterwards. Every value is checked as an imported row would be."))
        form = QFormLayout()
        self.contract_id = QLineEdit()
        self.contract_id.setPlaceholderText("e.g. OAI-2027-OFFER-A" if offer else "e.g. OAI-2027")
        self.vendor = QComboBox()
        self.vendor.setEditable(True)
        self.vendor.addItems(vendors)
        self.vendor.setEditText("")
        today = _dt.date.today()
        self.start = _date_edit(_dt.date(today.year, today.month, 1))
        self.end = _date_edit(_dt.date(today.year + 1, today.month, 1) - _dt.timedelta(days=1))
        self.commitment = QLineEdit()
        self.commitment.setPlaceholderText("minimum spend of the period, e.g. 120000.00")
        self.currency = QLineEdit("USD")
        self.currency.setMaxLength(3)
        self.owner = QLineEdit()
        form.addRow("Offer id (its contract id)" if offer else "Contract id", self.contract_id)
        form.addRow("Vendor", self.vendor)
        form.addRow("First period starts", self.start)
        form.addRow("First period ends", self.end)
        form.addRow("Minimum commitment", self.commitment)
        form.addRow("Currency", self.currency)
        form.addRow("Owner", self.owner)
        lay.addLayout(form)
        self.msg = note("")
        self.msg.setObjectName("newContractMessage")
        lay.addWidget(self.msg)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create offer" if offer else "Create")
        buttons.accepted.connect(self.try_accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
        self.values: dict | None = None

    def answer(self) -> dict:
        return {"contract_id": self.contract_id.text(), "vendor": self.vendor.currentText(),
                "period_start": self.start.date().toPython(), "period_end": self.end.date().toPython(),
                "commitment": self.commitment.text(), "currency": self.currency.text(),
                "owner": self.owner.text(), **({"status": "proposed"} if self.offer else {})}

    def try_accept(self) -> None:
        """Close only on an answer the validation layer accepts; else say why."""
        v = self.answer()
        try:
            schedule.new_contract(v["contract_id"], v["vendor"], v["period_start"], v["period_end"],
                                  v["commitment"], existing=self.existing, currency=v["currency"],
                                  owner=v["owner"], status=v.get("status", "active"))
        except InputError as exc:
            where = f"{exc.column}: " if exc.column else ""
            self.msg.setText(f"<span style='color:#D55E00'>Not created: {where}{exc.message}</span>")
            return
        self.values = v
        self.accept()
