"""FOCUS (FinOps Open Cost and Usage Specification) 1.0 - 1.3.

Cost and Usage -> usage (and -> invoices when asked for and InvoiceId is present):

* cost = ``Settings.focus_cost_basis`` (EffectiveCost by default, or BilledCost); currency =
  BillingCurrency; date = UTC day of ChargePeriodStart. ChargePeriodEnd is exclusive: a row must
  end after it starts (a charge 22:00-23:00 belongs to its start day; a monthly charge ending
  2025-06-01T00:00Z covers May), rows ending at or before their start are rejected.
* vendor = ServiceProviderName (1.3; ProviderName is deprecated there), else ProviderName,
  PublisherName, InvoiceIssuerName.
* model = SkuPriceDetails.ModelId (AI billing), meter = SkuMeter, else ServiceName;
  quantity/unit = ConsumedQuantity/ConsumedUnit.
* Tags JSON -> team / project / cost_center / environment / workload through the tag-key
  mapping (formats/util.DEFAULT_TAG_KEYS, overridden by the profile's ``tag_keys``).
* ChargeCategory: Usage rows draw down commitments; Purchase, Tax, Credit and Adjustment rows
  are imported with commit_eligible = false (they are spend, not consumption); any other value
  rejects the row.
* ContractApplied (1.3): the ContractCommitmentId of the element with the largest applied cost
  becomes contract_id.
* CommitmentDiscountId / Status / Category / Type / Quantity / Unit -> the usage columns
  commitment_discount_* (utilization of reserved instances and savings plans:
  desktop/domain/commitment_discounts.py).

Contract Commitment (1.3 dataset) -> commitments: contract_id = ContractCommitmentId,
commitment = ContractCommitmentCost in BillingCurrency, period = ContractCommitmentPeriodStart ..
ContractCommitmentPeriodEnd (exclusive, so the inclusive end is the day before),
discount_pct = ContractCommitmentDiscountPercentage x 100, commitment_category = ContractCommitmentCategory
(spend / usage), committed_quantity / unit = ContractCommitmentQuantity / ContractCommitmentUnit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desktop.domain.results import ImportIssue
from desktop.domain.vocabulary import token_kind_of
from desktop.ingest import build, parse
from desktop.ingest.formats.base import Context, Match, matched_reason
from desktop.ingest.formats.util import loads, lookup, per_unique, tag_columns
from desktop.ingest.reader import RawTable

FOCUS_COLUMNS = (
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId",
    "CapacityReservationStatus", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountQuantity",
    "CommitmentDiscountStatus", "CommitmentDiscountType", "CommitmentDiscountUnit",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost",
    "InvoiceIssuerName", "InvoiceId", "ListCost", "ListUnitPrice", "PricingCategory",
    "PricingCurrency", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit", "ProviderName",
    "PublisherName", "RegionId", "RegionName", "ResourceId", "ResourceName", "ResourceType",
    "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails",
    "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType", "Tags", "HostProviderName",
    "ServiceProviderName", "ContractApplied", "AllocatedMethodId", "AllocatedMethodDetails",
    "AllocatedResourceId", "AllocatedResourceName", "AllocatedTags", "PrincipalId",
)
_FOCUS_KEYS = {c.casefold() for c in FOCUS_COLUMNS}
_CORE = ("BilledCost", "ChargePeriodStart", "ChargeCategory", "BillingCurrency")

CONTRACT_COLUMNS = (
    "BillingCurrency", "ContractCommitmentBenefitCategory", "ContractCommitmentCategory",
    "ContractCommitmentCost", "ContractCommitmentCreated", "ContractCommitmentDescription",
    "ContractCommitmentDiscountPercentage", "ContractCommitmentDurationType",
    "ContractCommitmentApplicability", "ContractCommitmentFulfillmentInterval", "ContractCommitmentId",
    "ContractCommitmentLastUpdated", "ContractCommitmentModel", "ContractCommitmentOfferCategory",
    "ContractCommitmentPaymentInterval", "ContractCommitmentPaymentModel",
    "ContractCommitmentPaymentUpfrontPercentage", "ContractCommitmentPeriodEnd",
    "ContractCommitmentPeriodStart", "ContractCommitmentQuantity",
    "ContractCommitmentLifecycleStatus", "ContractCommitmentType", "ContractCommitmentUnit",
    "ContractId", "ContractPeriodEnd", "ContractPeriodStart", "InvoiceIssuerName", "PricingCurrency",
    "PricingCurrencyContractCommitmentCost", "ServiceProviderName",
)
_CONTRACT_KEYS = {c.casefold() for c in CONTRACT_COLUMNS}

# commitment discounts (reserved instances, savings plans): the usage columns they are read into
_DISCOUNT_COLUMNS = (
    ("commitment_discount_id", "CommitmentDiscountId"),
    ("commitment_discount_status", "CommitmentDiscountStatus"),
    ("commitment_discount_category", "CommitmentDiscountCategory"),
    ("commitment_discount_type", "CommitmentDiscountType"),
    ("commitment_discount_quantity", "CommitmentDiscountQuantity"),
    ("commitment_discount_unit", "CommitmentDiscountUnit"),
)

CATEGORIES = {"usage": "usage", "purchase": "commitment", "tax": "tax", "credit": "credit",
              "adjustment": "adjustment"}


def focus_version(cols: set[str]) -> str:
    if "contractapplied" in cols or "allocatedmethodid" in cols:
        return "1.3"
    if cols & {"invoiceid", "serviceprovidername", "hostprovidername", "pricingcurrency"}:
        return "1.2"
    if cols & {"skumeter", "skupricedetails", "commitmentdiscountquantity", "servicesubcategory",
               "capacityreservationid"}:
        return "1.1"
    return "1.0"


def _col(table: RawTable, name: str) -> pd.Series | None:
    c = lookup(table.columns).get(name.casefold())
    return table.data[c] if c is not None else None


_DATE_COLUMNS = ("ChargePeriodStart", "ChargePeriodEnd", "BillingPeriodStart", "BillingPeriodEnd",
                 "ContractCommitmentPeriodStart", "ContractCommitmentPeriodEnd")


def file_date_order(table: RawTable) -> str | None:
    """The day/month order the file's own FOCUS date columns prove (FOCUS writes ISO 8601; a
    file re-saved by a German Excel writes 01.05.2025 00:00): 'DMY', 'MDY', or None when they
    leave it open (ISO, or only ambiguous values: the builder then reads dotted dates day-first,
    the others month-first, and warns)."""
    cols = [c for c in (_col(table, n) for n in _DATE_COLUMNS) if c is not None]
    order, _, _, _ = parse.decide_date_order(cols)
    return order


def _timestamp(v, order: str | None):
    """One FOCUS date-time as a UTC-naive Timestamp, or None: ISO as written; a d/m/y or m/d/y
    spelling in the file's order (dotted: day-first when the file does not say)."""
    text = str(v).strip()
    try:
        if text[:4].isdigit():
            ts = pd.Timestamp(text)
        else:
            dayfirst = order == "DMY" or (order is None and "." in text[:6])
            ts = pd.to_datetime(text, dayfirst=dayfirst)
    except (ValueError, TypeError, OverflowError):
        return None
    if ts is pd.NaT:
        return None
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts


def exclusive_end_days(values: pd.Series, order: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """An exclusive end instant -> the last day it covers (datetime64[ns], ok)."""

    def one(v):
        if v is None or parse.is_blank(v):
            return None
        ts = _timestamp(v, order)
        if ts is None:
            return None
        return (ts - pd.Timedelta(microseconds=1)).floor("D").to_datetime64()

    res = per_unique(values, one)
    ok = np.array([r is not None for r in res], dtype=bool)
    out = np.array([r if r is not None else np.datetime64("NaT") for r in res], dtype="datetime64[ns]")
    return out, ok


def _instants(values: pd.Series, order: str | None = None) -> np.ndarray:
    def one(v):
        if v is None or parse.is_blank(v):
            return np.datetime64("NaT")
        ts = _timestamp(v, order)
        return np.datetime64("NaT") if ts is None else ts.to_datetime64()

    return per_unique(values, one).astype("datetime64[ns]")


class FocusCostUsage:
    id = "focus"
    signature_columns = FOCUS_COLUMNS

    def identify(self, table: RawTable, kind: str | None) -> list[Match]:
        cols = {c.casefold() for c in table.columns}
        if not all(c.casefold() in cols for c in _CORE):
            return []
        if not cols & {"providername", "serviceprovidername", "invoiceissuername"}:
            return []
        v = focus_version(cols)
        matched = len(cols & _FOCUS_KEYS)
        out = []
        if kind in (None, "usage"):
            out.append(Match(f"focus-{v}", "usage", matched, len(table.columns),
                             matched_reason(f"FOCUS {v} cost and usage", matched, len(table.columns)),
                             self, score=2.0 + matched / 1000.0, extra={"version": v}))
        if kind == "invoices" and "invoiceid" in cols:
            out.append(Match(f"focus-{v}", "invoices", matched, len(table.columns),
                             matched_reason(f"FOCUS {v} cost and usage (invoice lines)", matched,
                                            len(table.columns)),
                             self, score=2.0 + matched / 1000.0, extra={"version": v}))
        return out

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        n = len(table.data)
        order = file_date_order(table)
        warnings = list(table.warnings)
        reject: dict[int, list[ImportIssue]] = {}
        rows = table.rows
        look = lookup(table.columns)

        def name(c):
            return look.get(c.casefold(), c)

        cat_raw = _col(table, "ChargeCategory")
        cat = per_unique(cat_raw, lambda v: CATEGORIES.get(str(v).strip().casefold()) if v is not None
                         and not parse.is_blank(v) else None)
        bad_cat = np.flatnonzero(pd.isna(pd.Series(cat)).to_numpy())
        for i in bad_cat:
            v = cat_raw.iloc[i]
            reject.setdefault(int(i), []).append(ImportIssue(
                int(rows[i]), name("ChargeCategory"),
                "ChargeCategory must be Usage, Purchase, Tax, Credit or Adjustment",
                None if parse.is_blank(v) else str(v)))
        start_raw = _col(table, "ChargePeriodStart")
        end_raw = _col(table, "ChargePeriodEnd")
        if end_raw is not None:
            s_i, e_i = _instants(start_raw, order), _instants(end_raw, order)
            wrong = ~np.isnat(s_i) & ~np.isnat(e_i) & (e_i <= s_i)
            for i in np.flatnonzero(wrong):
                reject.setdefault(int(i), []).append(ImportIssue(
                    int(rows[i]), name("ChargePeriodEnd"),
                    "ChargePeriodEnd is exclusive and must be after ChargePeriodStart",
                    str(end_raw.iloc[i])))
        vendor = None
        for c in ("ServiceProviderName", "ProviderName", "PublisherName", "InvoiceIssuerName"):
            s = _col(table, c)
            if s is None:
                continue
            s = s.astype(object).where(~parse.blank_mask(s), None)
            vendor = s if vendor is None else vendor.where(vendor.notna(), s)
        vendor_name = next((name(c) for c in ("ServiceProviderName", "ProviderName")
                            if c.casefold() in look), "ProviderName")
        details = _col(table, "SkuPriceDetails")
        model = None
        if details is not None:
            model = pd.Series(per_unique(details, lambda v: _model_from_details(loads(v))), dtype=object)
        meter = _col(table, "SkuMeter")
        if meter is None or parse.blank_mask(meter).all():
            meter = _col(table, "ServiceName")
        token_kind = _token_kinds(details, meter)  # rate audit: SkuPriceDetails, else SkuMeter words
        extra_tags = ctx.profile.tag_keys if ctx.profile else None
        tags = _col(table, "Tags")
        tagcols = tag_columns(tags, extra_tags) if tags is not None else {}
        contract = None
        applied = _col(table, "ContractApplied")
        if applied is not None:
            contract = pd.Series(per_unique(applied, lambda v: _contract_from_applied(loads(v))),
                                 dtype=object)
            multi = per_unique(applied, lambda v: _n_elements(loads(v)) > 1)
            if multi.any():
                warnings.append(f"{int(multi.sum())} row(s) apply to several contract commitments; "
                                "each is assigned to the commitment with the largest applied cost")
        eligible = pd.Series(cat == "usage", dtype=object).where(pd.notna(pd.Series(cat)), None)
        if contract is not None and contract.notna().any():
            # FOCUS 1.3: the provider applies contract commitments through ContractApplied; a row
            # without it applied to none (never matched to a commitment by vendor and date)
            none = (cat == "usage") & contract.isna().to_numpy()
            if none.any():
                eligible = eligible.where(~none, False)
                warnings.append(f"{int(none.sum())} Usage row(s) carry no ContractApplied: no contract "
                                "commitment applied to them (FOCUS 1.3), so they are imported as spend "
                                "that draws down no commitment")
        others = pd.Series(cat).value_counts()
        side = {k: int(v) for k, v in others.items() if k != "usage"}
        if side:
            label = {"commitment": "Purchase", "tax": "Tax", "credit": "Credit", "adjustment": "Adjustment"}
            warnings.append("imported as not commit-eligible (spend, not consumption): " +
                            ", ".join(f"{v} {label[k]}" for k, v in sorted(side.items())))
        basis = ctx.settings.focus_cost_basis
        cost = _col(table, basis)
        if cost is None:
            other = "BilledCost" if basis == "EffectiveCost" else "EffectiveCost"
            cost = _col(table, other)
            warnings.append(f"cost basis {basis} is not in the file; {other} used instead")
            basis = other
        if match.kind == "invoices":
            return self._invoices(table, match, ctx, cat, reject, warnings, vendor, model, meter, look)
        columns = {
            "date": start_raw, "vendor": vendor, "cost": cost, "currency": _col(table, "BillingCurrency"),
            "model": model, "meter": meter, "quantity": _col(table, "ConsumedQuantity"),
            "unit": _col(table, "ConsumedUnit"), "contract_id": contract, "commit_eligible": eligible,
            "token_kind": token_kind,
            "service": _service(table),  # judged by the AI-service rule (domain/ai_services.py)
        }
        columns.update(tagcols)
        columns.update(_billing_columns(table, order, warnings))
        for canon, focus_name in _DISCOUNT_COLUMNS:
            s = _col(table, focus_name)
            if s is not None:
                columns[canon] = s
        names = {"date": name("ChargePeriodStart"), "vendor": vendor_name, "cost": name(basis),
                 "currency": name("BillingCurrency"), "model": name("SkuPriceDetails"),
                 "meter": name("SkuMeter"), "quantity": name("ConsumedQuantity"),
                 "unit": name("ConsumedUnit"), "contract_id": name("ContractApplied"),
                 "invoice_id": name("InvoiceId"), "billed_cost": name("BilledCost"),
                 "billing_account": name("BillingAccountId"), "billing_period": name("BillingPeriodStart"),
                 "service": name("ServiceName")}
        export_col = _export_time_column(table)
        if export_col is not None:
            names["exported_at"] = export_col
        for c in tagcols:
            names[c] = name("Tags")
        names.update({canon: name(focus_name) for canon, focus_name in _DISCOUNT_COLUMNS})
        columns = {k: v for k, v in columns.items() if v is not None}
        src = build.Source(
            kind="usage", columns=columns, names=names, rows=rows, raw=table.data, reject=reject,
            totals=np.zeros(n, bool), warnings=warnings, date1904=table.date1904,
            max_cell_chars=ctx.max_cell_chars, date_order=order)
        _usage_roles(src, look)  # the wizard's mapping view
        return src

    def _invoices(self, table, match, ctx, cat, reject, warnings, vendor, model, meter, look):
        n = len(table.data)
        order = file_date_order(table)
        bstart = _col(table, "BillingPeriodStart")
        bend = _col(table, "BillingPeriodEnd")
        end_days, end_ok = exclusive_end_days(bend, order) if bend is not None else (None, None)
        issuer = _col(table, "InvoiceIssuerName")
        inv_vendor = vendor if issuer is None else issuer.astype(object).where(
            ~parse.blank_mask(issuer), None).where(lambda s: s.notna(), vendor)
        qty = _col(table, "PricingQuantity")
        columns = {
            "invoice_id": _col(table, "InvoiceId"), "vendor": inv_vendor,
            "invoice_date": _col(table, "BillingPeriodEnd"), "amount": _col(table, "BilledCost"),
            "period_start": bstart, "description": _col(table, "ChargeDescription"), "model": model,
            "meter": meter, "quantity": qty, "unit_price": _col(table, "ContractedUnitPrice"),
            "line_type": pd.Series(cat, dtype=object), "currency": _col(table, "BillingCurrency"),
        }
        if end_days is not None:
            columns["period_end"] = build.Parsed(end_days, end_ok | parse.blank_mask(bend),
                                                 parse.blank_mask(bend), bend, "cannot read as a date")
        columns = {k: v for k, v in columns.items() if v is not None}
        names = {k: look.get(c.casefold(), c) for k, c in (
            ("invoice_id", "InvoiceId"), ("vendor", "InvoiceIssuerName"), ("amount", "BilledCost"),
            ("invoice_date", "BillingPeriodEnd"), ("period_start", "BillingPeriodStart"),
            ("period_end", "BillingPeriodEnd"), ("line_type", "ChargeCategory"))}
        return build.Source(kind="invoices", columns=columns, names=names, rows=table.rows,
                            raw=table.data, reject=reject, totals=np.zeros(n, bool), warnings=warnings,
                            max_cell_chars=ctx.max_cell_chars, date_order=order)


def _token_kinds(details, meter) -> pd.Series | None:
    """The token kind of each row (docs/formats.md, FOCUS): SkuPriceDetails TokenCacheAction
    (Read -> cached_input, Write -> cache_write) and TokenDirection (Input/Output), or the older
    TokenType ("Input", "CacheRead" ...); else the SkuMeter words ("Cache Read Input Tokens")."""
    def of_details(obj) -> str | None:
        if not isinstance(obj, dict):
            return None
        action = str(obj.get("TokenCacheAction") or "").casefold()
        direction = str(obj.get("TokenDirection") or "").casefold()
        if action in ("read", "write"):
            return "cached_input" if action == "read" else "cache_write"
        if direction in ("input", "output"):
            return direction
        old = {"input": "input", "output": "output", "cacheread": "cached_input", "cachewrite": "cache_write"}
        return old.get(str(obj.get("TokenType") or "").casefold())
    kinds = per_unique(details, lambda v: of_details(loads(v))) if details is not None else None
    if meter is not None:
        words = per_unique(meter, lambda v: token_kind_of(v) if isinstance(v, str) else None)
        kinds = words if kinds is None else np.where(pd.isna(kinds), words, kinds)
    return None if kinds is None else pd.Series(kinds, dtype=object)


# columns a provider adds to say when it wrote the export (FOCUS has none of its own; x_ is the
# spec's prefix for provider columns), compared casefolded without punctuation
EXPORT_TIME_COLUMNS = ("x_ExportTime", "x_ExportedAt", "x_ExportTimestamp", "x_ExportDate",
                       "x_SnapshotTime", "x_SnapshotDate", "x_DeliveryTime", "x_DeliveredAt")


def _squash(name: str) -> str:
    return "".join(ch for ch in str(name).casefold() if ch.isalnum())


def _export_time_column(table: RawTable) -> str | None:
    """The file's own column saying when the export was written, if it has one."""
    wanted = {_squash(c) for c in EXPORT_TIME_COLUMNS}
    return next((c for c in table.columns if _squash(c) in wanted), None)


def _billing_columns(table: RawTable, order: str | None, warnings: list[str]) -> dict[str, object]:
    """What the usage rows keep of the export's billing (docs/formats.md, FOCUS): InvoiceId
    (1.2+), BilledCost (whatever the cost basis), BillingAccountId, BillingPeriodStart and the
    export time of an x_ export-time column, as ISO 8601 UTC text that sorts in time order."""
    out: dict[str, object] = {"invoice_id": _col(table, "InvoiceId"), "billed_cost": _col(table, "BilledCost"),
                              "billing_account": _col(table, "BillingAccountId")}
    bp = _col(table, "BillingPeriodStart")
    if bp is not None:  # an instant in the file's date order, as the charge periods; unreadable: not given
        inst = _instants(bp, order)
        blank = parse.blank_mask(bp)
        out["billing_period"] = build.Parsed(inst.astype("datetime64[D]").astype("datetime64[ns]"),
                                             np.ones(len(inst), dtype=bool), blank | np.isnat(inst), bp, "")
        bad = int((np.isnat(inst) & ~blank).sum())
        if bad:
            warnings.append(f"{bad} row(s) have a BillingPeriodStart that cannot be read as a date: they are "
                            "not compared with other deliveries of the export (snapshots)")
    export_col = _export_time_column(table)
    if export_col is not None:
        stamps = _instants(table.data[export_col], order)
        text = pd.Series(np.char.add(np.datetime_as_string(stamps, unit="s"), "Z"), dtype=object)
        out["exported_at"] = text.where(~np.isnat(stamps), None)
    return {k: v for k, v in out.items() if v is not None}


def _model_from_details(obj) -> str | None:
    if not isinstance(obj, dict):
        return None
    for k in ("ModelId", "ModelID", "Model", "ModelName", "x_ModelId"):
        if obj.get(k):
            return str(obj[k])
    return None


def _elements(obj) -> list[dict]:
    if not isinstance(obj, dict):
        return []
    els = obj.get("Elements") or obj.get("elements") or []
    return [e for e in els if isinstance(e, dict)]


def _n_elements(obj) -> int:
    return len({_get(e, "contractcommitmentid") for e in _elements(obj)})


def _get(e: dict, key: str):
    for k, v in e.items():
        if k.casefold() == key:
            return v
    return None


def _contract_from_applied(obj) -> str | None:
    best, best_cost = None, None
    for e in _elements(obj):
        cid = _get(e, "contractcommitmentid")
        if cid is None:
            continue
        try:
            cost = abs(float(_get(e, "contractcommitmentappliedcost") or 0))
        except (TypeError, ValueError):
            cost = 0.0
        if best is None or cost > best_cost:
            best, best_cost = str(cid), cost
    return best


def _commitment_vendors(table: RawTable, ctx: Context) -> pd.Series:
    """The vendor of each commitment when the file names none (the FOCUS 1.3 Contract Commitment
    dataset as published has no ServiceProviderName/InvoiceIssuerName): the caller's
    ``ctx.vendors`` (one name, or {ContractCommitmentId: vendor} from the usage whose
    ContractApplied names the commitment), else the profile's vendor; else VendorNeeded."""
    from desktop.ingest.errors import VendorNeeded

    ids = _col(table, "ContractCommitmentId")
    keys = [None if parse.is_blank(x) else str(x).strip() for x in ids]
    given = ctx.vendors
    if given is None and ctx.profile is not None and ctx.profile.vendor:
        given = ctx.profile.vendor
    if isinstance(given, str) and given.strip():
        return pd.Series([given.strip()] * len(keys), dtype=object)
    found = dict(given or {})
    missing = tuple(dict.fromkeys(k for k in keys if k is not None and k not in found))
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise VendorNeeded(
            "this FOCUS contract commitment file names no provider (it has no ServiceProviderName or "
            f"InvoiceIssuerName column), and no usage row's ContractApplied names {shown}: give the "
            "vendor (CLI: --vendor NAME)", file=table.file, contract_ids=missing)
    return pd.Series([found.get(k) if k is not None else None for k in keys], dtype=object)


class FocusContractCommitment:
    id = "focus-contract-commitment"
    signature_columns = CONTRACT_COLUMNS

    def identify(self, table: RawTable, kind: str | None) -> list[Match]:
        if kind not in (None, "commitments"):
            return []
        cols = {c.casefold() for c in table.columns}
        need = {"contractcommitmentid", "contractcommitmentcost", "contractcommitmentperiodstart",
                "contractcommitmentperiodend"}
        if not need <= cols:
            return []
        matched = len(cols & _CONTRACT_KEYS)
        return [Match("focus-1.3-contract-commitment", "commitments", matched, len(table.columns),
                      matched_reason("FOCUS 1.3 contract commitment", matched, len(table.columns)),
                      self, score=2.0 + matched / 1000.0)]

    def source(self, table: RawTable, match: Match, ctx: Context) -> build.Source:
        look = lookup(table.columns)
        order = file_date_order(table)

        def name(c):
            return look.get(c.casefold(), c)

        n = len(table.data)
        end_raw = _col(table, "ContractCommitmentPeriodEnd")
        end_days, end_ok = exclusive_end_days(end_raw, order)
        vendor = None
        for c in ("ServiceProviderName", "InvoiceIssuerName"):
            s = _col(table, c)
            if s is not None:
                s = s.astype(object).where(~parse.blank_mask(s), None)
                vendor = s if vendor is None else vendor.where(vendor.notna(), s)
        if vendor is None:
            vendor = _commitment_vendors(table, ctx)
        disc = _col(table, "ContractCommitmentDiscountPercentage")
        disc_vals = None
        if disc is not None:
            v, ok, blank = parse.parse_number(disc)
            disc_vals = build.Parsed(np.where(blank, 0.0, v * 100.0), ok | blank, blank, disc,
                                     "cannot read as a number")
        parts = []
        for c in ("ContractCommitmentCategory", "ContractCommitmentType", "ContractCommitmentDescription"):
            s = _col(table, c)
            if s is not None:
                parts.append(s.astype(object).where(~parse.blank_mask(s), ""))
        clause = None
        if parts:
            clause = pd.Series([" / ".join(str(x) for x in t if x) or None for t in zip(*parts, strict=True)],
                               dtype=object)
        status = _col(table, "ContractCommitmentLifecycleStatus")
        contract = _col(table, "ContractId")
        notes = None
        if status is not None or contract is not None:
            st = status if status is not None else pd.Series([None] * n, dtype=object)
            ct = contract if contract is not None else pd.Series([None] * n, dtype=object)
            notes = pd.Series([
                "; ".join(x for x in (f"status {a}" if a and not parse.is_blank(a) else "",
                                      f"contract {b}" if b and not parse.is_blank(b) else "") if x) or None
                for a, b in zip(st, ct, strict=True)], dtype=object)
        category = _col(table, "ContractCommitmentCategory")
        if category is not None:  # Spend / Usage -> spend / usage (other words are rejected by the rule)
            category = pd.Series(per_unique(category, lambda v: None if v is None or parse.is_blank(v)
                                            else str(v).strip().casefold()), dtype=object)
        columns = {
            "commitment_category": category,
            "committed_quantity": _col(table, "ContractCommitmentQuantity"),
            "unit": _col(table, "ContractCommitmentUnit"),
            "contract_id": _col(table, "ContractCommitmentId"), "vendor": vendor,
            "period_start": _col(table, "ContractCommitmentPeriodStart"),
            "period_end": build.Parsed(end_days, end_ok | parse.blank_mask(end_raw), parse.blank_mask(end_raw),
                                       end_raw, "cannot read as a date"),
            "commitment": _col(table, "ContractCommitmentCost"),
            "currency": _col(table, "BillingCurrency"), "discount_pct": disc_vals, "clause": clause,
            "notes": notes,
        }
        columns = {k: v for k, v in columns.items() if v is not None}
        names = {"contract_id": name("ContractCommitmentId"), "vendor": name("ServiceProviderName"),
                 "period_start": name("ContractCommitmentPeriodStart"),
                 "period_end": name("ContractCommitmentPeriodEnd"),
                 "commitment": name("ContractCommitmentCost"), "currency": name("BillingCurrency"),
                 "discount_pct": name("ContractCommitmentDiscountPercentage"),
                 "commitment_category": name("ContractCommitmentCategory"),
                 "committed_quantity": name("ContractCommitmentQuantity"), "unit": name("ContractCommitmentUnit")}
        warnings = list(table.warnings)
        if category is not None:
            n_usage = int((category == "usage").sum())
            if n_usage:
                warnings.append(f"{n_usage} commitment(s) are usage commitments: measured in their unit "
                                "(ContractCommitmentQuantity of ContractCommitmentUnit: the quantity "
                                "consumed against the quantity committed), valued at ContractCommitmentCost")
        return build.Source(kind="commitments", columns=columns, names=names, rows=table.rows,
                            raw=table.data, totals=np.zeros(n, bool), warnings=warnings,
                            max_cell_chars=ctx.max_cell_chars, date_order=order)



def _service(table: RawTable) -> pd.Series | None:
    """The usage column ``service``: "ServiceCategory / ServiceName" ("AI and Machine Learning /
    Amazon Bedrock", "Compute / Amazon Elastic Compute Cloud"); either alone when the other is
    missing or empty. The AI-service rule (desktop/domain/ai_services.py) judges it."""
    cat, name = _col(table, "ServiceCategory"), _col(table, "ServiceName")
    if cat is None:  # not a cloud's cost export (FOCUS 1.0+ requires ServiceCategory): an AI vendor's own
        return None
    n = len(table.data)
    blank = pd.Series([""] * n, dtype="string")
    c = cat.astype("string").str.strip().fillna("").reset_index(drop=True) if cat is not None else blank
    s = name.astype("string").str.strip().fillna("").reset_index(drop=True) if name is not None else blank
    both = c.ne("") & s.ne("")
    out = c.where(c.ne(""), s).where(~both, c + " / " + s)
    return out.astype(object).where(out.ne(""), None)


def _usage_roles(src: build.Source, look: dict[str, str]) -> None:
    """What the FOCUS columns read beside ``names`` are used for (build.roles)."""
    for key, text in (("servicecategory", "service (judged by the AI-service rule)"),
                      ("servicename", "service (judged by the AI-service rule)"),
                      ("chargecategory", "commit_eligible: only Usage rows draw down a commitment"),
                      ("chargeperiodend", "checked: must be after ChargePeriodStart"),
                      ("tags", "team, project, cost_center, environment, workload by tag key"),
                      ("servicename", "meter when SkuMeter is empty")):
        if key in look:
            src.role(look[key], text)
