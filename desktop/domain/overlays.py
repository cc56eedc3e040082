"""The forecast overlays an analyst adds on the renewal workbench, as records: what the workspace
stores (desktop.store.overlays) and the page lists. Pure; the forecast applies them
(desktop.domain.forecast, through ``to_forecast``).

A record is a dict of text values (JSON as stored):

* ``workload_launch``: ``vendor``, ``start`` (ISO date), ``monthly_amount`` (list-price spend
  added each month from ``start``, money text);
* ``model_migration``: ``vendor``, ``start``, ``model`` (the model whose volume moves),
  ``share_pct`` (the share of its volume that moves, 0-100) and ``to_model`` (the model it moves
  to, priced from the rate card) or ``price_pct`` (what the moved tokens cost at the new model,
  as a percent of today's), or both (``price_pct`` is then used);
* ``price_change``: ``vendor``, ``start``, ``change_pct`` (the vendor's list prices change by
  this percent from ``start``, > -100).

``clean`` checks a record and returns it normalised (InputError naming the field otherwise);
``describe`` is its one-line text; ``to_forecast`` turns records into the overlays of
desktop.domain.forecast (WorkloadLaunch, ModelMigration, PriceChange).
"""

from __future__ import annotations

import datetime as _dt
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.domain.errors import InputError
from desktop.domain.money import cents
from desktop.domain.usage_index import match_key

KINDS = ("workload_launch", "model_migration", "price_change")


def same_vendor(a: Any, b: Any) -> bool:
    return isinstance(a, str) and isinstance(b, str) and match_key("vendor", a) == match_key("vendor", b)


def _number(record: dict, name: str) -> Decimal:
    raw = record.get(name)
    try:
        v = Decimal(str(raw).strip().replace(",", "")) if raw not in (None, "") else None
    except InvalidOperation:
        v = None
    if v is None or not v.is_finite():
        raise InputError(f"{name.replace('_', ' ')}: {raw!r} is not a number", column=name)
    return v


def _plain(v: Decimal) -> str:
    return format(v.normalize(), "f")


def _text(record: dict, name: str) -> str:
    return str(record.get(name) or "").strip()


def clean(record: dict) -> dict:
    """The record checked and normalised (dates ISO, numbers as plain decimal text)."""
    kind = record.get("kind")
    if kind not in KINDS:
        raise InputError(f"unknown overlay {kind!r}; one of {', '.join(KINDS)}", column="kind")
    vendor = _text(record, "vendor")
    if not vendor:
        raise InputError("an overlay needs a vendor", column="vendor")
    start = record.get("start")
    try:
        day = start if isinstance(start, _dt.date) else _dt.date.fromisoformat(str(start)[:10])
    except ValueError:
        raise InputError(f"start: {start!r} is not a date (YYYY-MM-DD)", column="start") from None
    out: dict[str, Any] = {"kind": kind, "vendor": vendor, "start": day.isoformat()}
    if kind == "workload_launch":
        v = _number(record, "monthly_amount")
        if v == 0:
            raise InputError("the monthly amount of a launch must not be 0", column="monthly_amount")
        out["monthly_amount"] = format(cents(v), "f")
    elif kind == "price_change":
        v = _number(record, "change_pct")
        if v <= -100 or v == 0:
            raise InputError("a price change must be above -100 % and not 0", column="change_pct")
        out["change_pct"] = _plain(v)
    else:
        model = _text(record, "model")
        if not model:
            raise InputError("a model migration needs the model whose volume moves", column="model")
        out["model"] = model
        share = _number(record, "share_pct")
        if not 0 < share <= 100:
            raise InputError("the share that moves must be above 0 and at most 100 %", column="share_pct")
        out["share_pct"] = _plain(share)
        to_model = _text(record, "to_model")
        if to_model:
            out["to_model"] = to_model
        if record.get("price_pct") not in (None, ""):
            price = _number(record, "price_pct")
            if price <= 0:
                raise InputError("the new model's price must be above 0 % of today's", column="price_pct")
            out["price_pct"] = _plain(price)
        if not to_model and "price_pct" not in out:
            raise InputError("a model migration needs the model it moves to, or its price as a percent of "
                             "today's", column="to_model")
    if record.get("id"):
        out["id"] = str(record["id"])
    return out


def _pct(text: str) -> str:
    return f"{_plain(Decimal(text))} %"


def describe(record: dict) -> str:
    """'workload launch +12,000.00 / month from 2027-01-01' and the like."""
    kind, start = record.get("kind"), record.get("start")
    if kind == "workload_launch":
        amount = Decimal(record["monthly_amount"])
        sign = "+" if amount > 0 else "-"
        return f"workload launch {sign}{cents(abs(amount)):,.2f} / month from {start}"
    if kind == "model_migration":
        to = f" to {record['to_model']}" if record.get("to_model") else ""
        price = f" at {_pct(record['price_pct'])} of today's price" if record.get("price_pct") else ""
        return f"model migration: {_pct(record['share_pct'])} of {record['model']}{to}{price} from {start}"
    if kind == "price_change":
        v = Decimal(record["change_pct"])
        return f"price change {'+' if v > 0 else ''}{_pct(record['change_pct'])} from {start}"
    return str(kind)


def to_forecast(records: list[dict]) -> tuple:
    """The records as desktop.domain.forecast overlays, in their order."""
    from desktop.domain import forecast as fc

    out = []
    for r in records:
        start = _dt.date.fromisoformat(r["start"])
        if r["kind"] == "workload_launch":
            out.append(fc.WorkloadLaunch(start, Decimal(r["monthly_amount"])))
        elif r["kind"] == "model_migration":
            ratio = float(Decimal(r["price_pct"]) / 100) if r.get("price_pct") else None
            out.append(fc.ModelMigration(start, r["model"], float(Decimal(r["share_pct"])), r.get("to_model", ""),
                                         ratio))
        else:
            out.append(fc.PriceChange(start, float(Decimal(r["change_pct"]))))
    return tuple(out)
