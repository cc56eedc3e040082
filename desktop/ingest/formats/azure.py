"""Azure cost details exports: MCA (camelCase) and EA (PascalCase) columns.

date = Date/date (Azure writes MM/DD/YYYY or ISO; month-first unless the file proves
otherwise); cost = CostInBillingCurrency / costInBillingCurrency, else Cost (older EA);
currency = BillingCurrency / BillingCurrencyCode; meter = MeterName; quantity/unit =
Quantity/UnitOfMeasure; cost_center = CostCenter (else the tag); Tags (JSON, with or without
the outer braces, as EA writes them) -> team/project/cost_center/environment/workload through
the tag-key mapping; service = "MeterCategory / MeterSubCategory" (the category alone when the
subcategory is empty), which the AI-service rule (desktop/domain/ai_services.py) judges. vendor: "Azure OpenAI" for rows whose meter category, subcategory, meter
or product names OpenAI; the publisher for Marketplace rows; "Microsoft" otherwise. Only
ChargeType "Usage" rows are commit-eligible (Purchase, Refund, UnusedReservation ... are spend,
not consumption).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from desktop.ingest import build, parse
from desktop.ingest.formats.base import Context, Match, matched_reason
from desktop.ingest.formats.util import lookup, tag_columns

EA_COLUMNS = (
    "BillingAccountId", "BillingAccountName", "BillingPeriodStartDate", "BillingPeriodEndDate",
    "BillingProfileId", "BillingProfileName", "AccountOwnerId", "AccountName", "SubscriptionId",
    "SubscriptionName", "Date", "Product", "PartNumber", "MeterId", "ServiceFamily", "MeterCategory",
    "MeterSubCategory", "MeterRegion", "MeterName", "Quantity", "EffectivePrice", "Cost", "UnitPrice",
    "BillingCurrency", "ResourceLocation", "AvailabilityZone", "ConsumedService", "ResourceId",
    "ResourceName", "ServiceInfo1", "ServiceInfo2", "AdditionalInfo", "Tags", "InvoiceSectionId",
    "InvoiceSection", "CostCenter", "UnitOfMeasure", "ResourceGroup", "ReservationId",
    "ReservationName", "ProductOrderId", "ProductOrderName", "OfferId", "IsAzureCreditEligible",
    "Term", "PublisherName", "PlanName", "ChargeType", "Frequency", "PublisherType", "PayGPrice",
    "PricingModel", "CostAllocationRuleName", "benefitId", "benefitName", "CostInBillingCurrency",
    "BillingCurrencyCode", "ProductName", "InvoiceId", "ResourceGroupName", "ServiceName",
    "CostInPricingCurrency", "CostInUsd", "PaygCostInBillingCurrency", "ExchangeRatePricingToBilling",
    "PricingCurrency", "InvoiceSectionName", "ProductId", "CustomerName", "Provider",
)
_KEYS = {c.casefold() for c in EA_COLUMNS}


class AzureCostDetails:
    id = "azure"
    signature_columns = EA_COLUMNS

    def identify(self, table, kind: str | None) -> list[Match]:
        if kind not in (None, "usage"):
            return []
        look = lookup(table.columns)
        has_cost = any(k in look for k in ("costinbillingcurrency", "cost"))
        if not (has_cost and "date" in look and "metercategory" in look and "metername" in look):
            return []
        names = [c for c in table.columns if c.strip()]
        camel = sum(1 for c in names if c[:1].islower())
        flavor = "mca" if camel > len(names) / 2 else "ea"
        matched = len({c.casefold() for c in names} & _KEYS)
        label = ("Azure MCA cost details (camelCase)" if flavor == "mca"
                 else "Azure EA cost details (PascalCase)")
        return [Match(f"azure-{flavor}", "usage", matched, len(names),
                      matched_reason(label, matched, len(names)), self, score=2.0 + matched / 1000.0)]

    def source(self, table, match: Match, ctx: Context) -> build.Source:
        look = lookup(table.columns)

        def col(*names):
            for nm in names:
                c = look.get(nm.casefold())
                if c is not None:
                    return table.data[c], c
            return None, None

        n = len(table.data)
        date, date_name = col("date", "usagedate")
        cost, cost_name = col("costinbillingcurrency", "cost", "pretaxcost")
        cur, cur_name = col("billingcurrency", "billingcurrencycode", "currency")
        meter, meter_name = col("metername")
        qty, _ = col("quantity")
        unit, _ = col("unitofmeasure")
        cc, cc_name = col("costcenter")
        tags, tags_name = col("tags")
        charge, _ = col("chargetype")
        model, _ = col("model")
        # vendor from meter/product names
        texts = [s for s in (col("metercategory")[0], col("metersubcategory")[0], meter,
                             col("product")[0], col("productname")[0], col("servicename")[0]) if s is not None]
        openai = np.zeros(n, dtype=bool)
        for s in texts:
            openai |= s.astype("string").str.contains("openai", case=False, regex=False).fillna(False).to_numpy()
        ptype, _ = col("publishertype")
        pub, _ = col("publishername")
        vendor = pd.Series(["Microsoft"] * n, dtype=object)
        if ptype is not None and pub is not None:
            market = ptype.astype("string").str.casefold().eq("marketplace").fillna(False).to_numpy()
            market &= ~parse.blank_mask(pub)
            vendor[market] = pub[market].astype(object).to_numpy()
        vendor[openai] = "Azure OpenAI"
        tagcols = {}
        if tags is not None:
            wrapped = tags.astype(object).map(
                lambda v: v if v is None or parse.is_blank(v) or str(v).strip().startswith("{")
                else "{" + str(v) + "}")
            tagcols = tag_columns(wrapped, ctx.profile.tag_keys if ctx.profile else None)
        if cc is not None:
            ccv = cc.astype(object).where(~parse.blank_mask(cc), None)
            if "cost_center" in tagcols:
                ccv = ccv.where(ccv.notna(), tagcols["cost_center"])
            tagcols["cost_center"] = ccv
        eligible = None
        warnings = list(table.warnings)
        if charge is not None:
            ct = charge.astype("string").str.strip().str.casefold()
            eligible = (ct == "usage").fillna(True).to_numpy()
            other = charge[~eligible].value_counts()
            if len(other):
                warnings.append("imported as not commit-eligible (spend, not consumption): " +
                                ", ".join(f"{int(v)} {k}" for k, v in other.items()))
            eligible = pd.Series(eligible, dtype=object)
        service, service_name = _service(col("metercategory"), col("metersubcategory"))
        columns = {"date": date, "vendor": vendor, "cost": cost, "currency": cur, "meter": meter,
                   "quantity": qty, "unit": unit, "model": model, "commit_eligible": eligible,
                   "service": service}
        columns.update(tagcols)
        columns = {k: v for k, v in columns.items() if v is not None}
        names = {"date": date_name, "cost": cost_name, "currency": cur_name, "meter": meter_name,
                 "cost_center": cc_name or tags_name, "service": service_name}
        for c in tagcols:
            names.setdefault(c, tags_name)
        names = {k: v for k, v in names.items() if v}
        src = build.Source(kind="usage", columns=columns, names=names, rows=table.rows, raw=table.data,
                           totals=np.zeros(n, bool), warnings=warnings, date_order="MDY",
                           date1904=table.date1904, max_cell_chars=ctx.max_cell_chars)
        # what the other columns read here are used for (the wizard's mapping view)
        for key, canon in (("quantity", "quantity"), ("unitofmeasure", "unit"), ("model", "model")):
            if key in look:
                names_ = src.names.setdefault(canon, look[key])
                src.role(names_, canon)
        if tags_name:
            found = [c for c in tagcols if c != "cost_center" or not cc_name]
            src.role(tags_name, "team, project, cost_center, environment, workload by tag key" +
                     (f" (in this file: {', '.join(found)})" if found else " (none in this file)"))
        for key in ("metercategory", "metersubcategory"):
            if key in look:
                src.role(look[key], "service (judged by the AI-service rule)")
        for key in ("metercategory", "metersubcategory", "metername", "product", "productname", "servicename"):
            if key in look:
                src.role(look[key], "vendor: Azure OpenAI when it names OpenAI")
        for key in ("publishertype", "publishername"):
            if key in look:
                src.role(look[key], "vendor: the publisher of Marketplace rows")
        if "chargetype" in look:
            src.role(look["chargetype"], "commit_eligible: only Usage rows draw down a commitment")
        return src


def _service(category: tuple, subcategory: tuple) -> tuple[pd.Series | None, str | None]:
    """The usage column ``service``: "MeterCategory / MeterSubCategory" ("Cognitive Services /
    Azure OpenAI", "Virtual Machines / Dv3/DSv3 Series"), the category alone without a
    subcategory; None without a MeterCategory column."""
    cat, cat_name = category
    if cat is None:
        return None, None
    c = cat.astype("string").str.strip().fillna("")
    if subcategory[0] is not None:
        s = subcategory[0].astype("string").str.strip().fillna("")
        c = c.where(s.eq("") | c.eq(""), c + " / " + s)
    return c.astype(object).where(c.ne(""), None), cat_name
