"""Writes the blank, documented import templates: one CSV and one xlsx per canonical table,
plus README.md. Run from the repository root:

    .venv/bin/python resources/templates/build_templates.py

The CSV holds the header row and two example rows (replace them with your own). The xlsx holds
the same on its first sheet (header bold and frozen, required columns highlighted and marked in
the cell comment) and a "README" sheet that explains every column: required or optional, type,
default, meaning and the example. Both import as their two example rows; the README sheet is
not read (tests/ingest/test_templates.py).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from desktop.domain import tables  # noqa: E402

KIND_TEXT = {
    "str": "text", "date": "date (YYYY-MM-DD; other spellings are read too)",
    "money": "amount (e.g. 1234.56; $1,234.56 and 1.234,56 are read too)",
    "float": "number", "bool": "yes/no (true/false, yes/no, 1/0)", "int": "whole number",
}

MEANING = {
    "commitments": {
        "contract_id": "Contract identifier; all periods of one contract share it.",
        "vendor": "Vendor name (OpenAI, Anthropic, Azure OpenAI ...).",
        "period_start": "First day of this commit period.",
        "period_end": "Last day of this commit period (inclusive).",
        "commitment": "Committed spend for this period.",
        "currency": "Currency of the commitment (three letters).",
        "discount_pct": "Contracted discount in percent (15 = 15 %).",
        "overage_multiplier": "Price multiplier for spend above the commitment (1.0 = no premium).",
        "shortfall_penalty_pct": "Share of an unused commitment that is still billed, in percent.",
        "rollover_pct": "Share of an unused commitment that carries into the next period, in percent.",
        "clause": "Contract clause reference.", "owner": "Who owns the contract.",
        "escalation_owner": "Who is escalated to when pacing is off.", "notes": "Free text.",
        "commitment_category": "spend (money, the default) or usage (a quantity of a unit).",
        "committed_quantity": "For a usage commitment: the quantity committed (e.g. 5000).",
        "unit": "For a usage commitment: its unit (GPU-Hours, Seats, tokens ...).",
    },
    "usage": {
        "date": "Day of the spend (a timestamp is cut to its UTC day).",
        "vendor": "Vendor name.", "cost": "Spend of this line.", "currency": "Three-letter currency.",
        "model": "Model name.", "meter": "Meter / SKU / line item.", "quantity": "Units consumed.",
        "unit": "Unit of quantity (tokens, 1K tokens, requests ...).", "team": "Team.",
        "project": "Project.", "cost_center": "Cost center.", "environment": "prod, staging, dev ...",
        "api_key": "API key id or name.", "workload": "Workload / use case.",
        "contract_id": "Contract this row draws down (empty: matched by vendor and date).",
        "commit_eligible": "Whether the row counts toward a commitment.",
        "token_kind": "What the quantity counts: input, cached_input, cache_write, cache_write_1h or output "
                      "(empty: read from the meter, e.g. 'cached input').",
        "service_tier": "standard, batch, flex, priority or provisioned (empty: standard).",
        "invoice_id": "Invoice the row is billed on (FOCUS InvoiceId); tied out to that invoice.",
        "billed_cost": "What the provider bills for the row (FOCUS BilledCost; empty: the cost).",
        "billing_account": "Billing account (FOCUS BillingAccountId).",
        "billing_period": "First day of the provider's billing period (FOCUS BillingPeriodStart).",
        "exported_at": "When the provider wrote the export (tells re-delivered snapshots apart).",
        "commitment_discount_id": "Reserved instance / savings plan that covered the row (FOCUS CommitmentDiscountId).",
        "commitment_discount_status": "Used (usage it covered) or Unused (the part no usage took).",
        "commitment_discount_category": "Spend or Usage (FOCUS CommitmentDiscountCategory).",
        "commitment_discount_type": "e.g. Reservation, Savings Plan.",
        "commitment_discount_quantity": "Quantity of the discount used or unused, in its unit.",
        "commitment_discount_unit": "Unit of that quantity (Hours, USD ...).",
        "source_rows": "How many source rows the row stands for (a pre-aggregated export; empty = 1).",
        "service": ("Cloud service of the row (e.g. Virtual Machines, Azure OpenAI); empty: the vendor's own "
                    "AI spend. Judged by the AI-service rule: a service it does not name is kept, not "
                    "counted as AI spend."),
    },
    "invoices": {
        "invoice_id": "Invoice number.", "vendor": "Vendor name.", "invoice_date": "Invoice date.",
        "amount": "Line amount (credits negative).", "period_start": "First day billed.",
        "period_end": "Last day billed (inclusive).", "description": "Line text.", "model": "Model.",
        "meter": "Meter / SKU.", "quantity": "Units billed.", "unit_price": "Price per unit billed.",
        "line_type": "usage, credit, tax, adjustment, commitment or true_up.",
        "currency": "Three-letter currency.", "contract_id": "Contract the line belongs to.",
        "token_kind": "Token kind a per-token line bills (input, cached_input, cache_write, cache_write_1h, "
                      "output; empty: read from the meter).",
        "service_tier": "Tier the line charges: standard, batch, flex, priority or provisioned (empty: standard).",
    },
    "budgets": {
        "allocation": "Budget line name.", "month": "Month, YYYY-MM.", "budget": "Budget amount.",
        "dimension": "team, project, cost_center, environment, vendor, model or workload.",
        "value": "Value of that dimension this line covers (e.g. the team name).",
        "vendor": "Limit the line to one vendor.", "owner": "Budget owner.",
        "containment_owner": "Who contains an overrun.", "escalation_owner": "Who is escalated to.",
        "category": "Category.", "cost_center": "Cost center.", "gl_account": "GL account.",
    },
    "rate_card": {
        "vendor": "Vendor name.", "model": "Model (model or meter is required).",
        "meter": "Meter / SKU (model or meter is required).",
        "contracted_price": "Contracted price per unit.", "unit": "Unit the price is per.",
        "list_price": "List price per unit.", "effective_from": "First day the price applies.",
        "effective_to": "Last day the price applies (inclusive).", "owner": "Who owns the rate card.",
        "currency": "Currency of the prices (empty: the reporting currency).",
        "token_kind": "A token price: input, cached_input, cache_write, cache_write_1h or output; the price is "
                      "per unit tokens (empty unit: 1M tokens).",
        "service_tier": "Tier the token price is for: standard, batch, flex, priority or provisioned "
                        "(empty: standard).",
    },
    "org_map": {
        "team": "Team name as it appears in usage.", "cost_center": "Cost center of the team.",
        "gl_account": "GL account for chargeback.", "owner": "Team owner.",
    },
    "fx_rates": {
        "currency": "Currency converted from (three letters).",
        "rate": "Units of the reporting currency per one unit of that currency.",
        "valid_from": "First day the rate applies (empty: always).",
        "valid_to": "Last day the rate applies, inclusive (empty: always).",
    },
}


# two example rows per table (columns left out stay empty); they import as they are
EXAMPLES = {
    "commitments": [
        {"contract_id": "OAI-2026", "vendor": "OpenAI", "period_start": "2026-01-01", "period_end": "2026-06-30",
         "commitment": "60000.00", "currency": "USD", "discount_pct": "10", "overage_multiplier": "1.25",
         "shortfall_penalty_pct": "100", "rollover_pct": "50", "clause": "Order form 2, section 4.2",
         "owner": "Priya Raman", "escalation_owner": "Leo Chen", "notes": "example row: replace it"},
        {"contract_id": "OAI-2026", "vendor": "OpenAI", "period_start": "2026-07-01", "period_end": "2026-12-31",
         "commitment": "60000.00", "currency": "USD", "discount_pct": "10", "overage_multiplier": "1.25",
         "shortfall_penalty_pct": "100", "rollover_pct": "0", "clause": "Order form 2, section 4.2",
         "owner": "Priya Raman", "escalation_owner": "Leo Chen", "notes": "example row: replace it"},
    ],
    "usage": [
        {"date": "2026-03-01", "vendor": "OpenAI", "cost": "412.50", "currency": "USD", "model": "gpt-4.1",
         "meter": "input_tokens", "quantity": "206250", "unit": "1K tokens", "team": "Search",
         "project": "ranking", "cost_center": "CC-4100", "environment": "prod", "api_key": "key-search-01",
         "workload": "query rewrite", "contract_id": "OAI-2026", "commit_eligible": "true"},
        {"date": "2026-03-01", "vendor": "Anthropic", "cost": "128.40", "currency": "USD",
         "model": "claude-sonnet-4", "meter": "output_tokens", "quantity": "8560", "unit": "1K tokens",
         "team": "Support", "project": "assist", "cost_center": "CC-4200", "environment": "prod",
         "api_key": "key-support-02", "workload": "ticket summaries", "commit_eligible": "true"},
    ],
    "invoices": [
        {"invoice_id": "INV-2026-03", "vendor": "OpenAI", "invoice_date": "2026-04-03", "amount": "11840.00",
         "period_start": "2026-03-01", "period_end": "2026-03-31", "description": "gpt-4.1 input tokens",
         "model": "gpt-4.1", "meter": "input_tokens", "quantity": "5920000", "unit_price": "0.002",
         "line_type": "usage", "currency": "USD", "contract_id": "OAI-2026"},
        {"invoice_id": "INV-2026-03", "vendor": "OpenAI", "invoice_date": "2026-04-03", "amount": "-500.00",
         "period_start": "2026-03-01", "period_end": "2026-03-31", "description": "service credit",
         "line_type": "credit", "currency": "USD", "contract_id": "OAI-2026"},
    ],
    "budgets": [
        {"allocation": "Search AI", "month": "2026-03", "budget": "33000.00", "dimension": "team",
         "value": "Search", "owner": "Elena Park", "containment_owner": "Jon Okafor",
         "escalation_owner": "Ravi Menon", "category": "AI APIs", "cost_center": "CC-4100", "gl_account": "6420"},
        {"allocation": "Support AI", "month": "2026-03", "budget": "12000.00", "dimension": "team",
         "value": "Support", "vendor": "Anthropic", "owner": "Grace Liu", "containment_owner": "Grace Liu",
         "escalation_owner": "Ravi Menon", "category": "AI APIs", "cost_center": "CC-4200", "gl_account": "5120"},
    ],
    "rate_card": [
        {"vendor": "OpenAI", "model": "gpt-4.1", "meter": "input_tokens", "contracted_price": "0.0018",
         "unit": "1K tokens", "list_price": "0.002", "effective_from": "2026-01-01", "effective_to": "2026-12-31",
         "owner": "Marcus Oyelaran", "currency": "USD"},
        {"vendor": "Anthropic", "model": "claude-sonnet-4", "meter": "output_tokens", "contracted_price": "0.0135",
         "unit": "1K tokens", "list_price": "0.015", "owner": "Marcus Oyelaran", "currency": "USD"},
    ],
    "org_map": [
        {"team": "Search", "cost_center": "CC-4100", "gl_account": "6420", "owner": "Elena Park"},
        {"team": "Support", "cost_center": "CC-4200", "gl_account": "5120", "owner": "Grace Liu"},
    ],
    "fx_rates": [
        {"currency": "EUR", "rate": "1.08", "valid_from": "2026-01-01", "valid_to": "2026-06-30"},
        {"currency": "GBP", "rate": "1.27"},
    ],
}


def examples(spec: tables.TableSpec) -> list[list[str]]:
    """The example rows of ``spec`` in its column order (empty text for a column left out)."""
    return [[row.get(c, "") for c in spec.names] for row in EXAMPLES.get(spec.name, [])]


def _typed(spec: tables.TableSpec, name: str, text: str):
    """An example value as a spreadsheet cell holds it: numbers as numbers, dates as dates."""
    import datetime as dt

    if text == "":
        return None
    kind = spec.column(name).kind
    if kind in ("money", "float"):
        return float(text)
    if kind == "date":
        return dt.date.fromisoformat(text)
    if kind == "bool":
        return text == "true"
    return text


def describe(spec: tables.TableSpec, col: tables.Column) -> tuple[str, str, str, str, str]:
    one_of = next((g for g in spec.one_of if col.name in g), None)
    req = "required" if col.required else ("one of " + " / ".join(one_of) if one_of else "optional")
    default = "" if col.default is None else str(col.default).lower() if isinstance(col.default, bool) \
        else str(col.default)
    meaning = MEANING.get(spec.name, {}).get(col.name, col.doc)
    return col.name, req, KIND_TEXT[col.kind], default, meaning


def write_csv(spec: tables.TableSpec, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(spec.names)
        w.writerows(examples(spec))


def write_xlsx(spec: tables.TableSpec, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = spec.name
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j, col in enumerate(spec.columns, start=1):
        cell = ws.cell(row=1, column=j, value=col.name)
        cell.data_type = "s"
        cell.font = bold
        if col.required:
            cell.fill = fill
        name, req, kind, default, meaning = describe(spec, col)
        cell.comment = Comment(f"{req}; {kind}" + (f"; default {default}" if default else "") + f"\n{meaning}",
                               "CommitDesk")
        ws.column_dimensions[get_column_letter(j)].width = max(12, len(col.name) + 4)
    for i, row in enumerate(examples(spec), start=2):
        for j, (name, text) in enumerate(zip(spec.names, row, strict=True), start=1):
            cell = ws.cell(row=i, column=j, value=_typed(spec, name, text))
            if spec.column(name).kind == "date" and cell.value is not None:
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str):
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    readme = wb.create_sheet("README")
    readme.append([f"CommitDesk import template: {spec.name}"])
    readme["A1"].font = Font(bold=True, size=13)
    readme.append([f"Fill the first sheet ({spec.name}), one row per line, and keep its header row. Rows 2 "
                   "and 3 are examples: replace them with your own (imported as they are, they become data). "
                   "Highlighted columns are required. Column names are matched ignoring case, spaces and "
                   "punctuation. CommitDesk reads the first sheet; this README sheet is not imported."])
    readme.append([])
    readme.append(["column", "required", "type", "default", "meaning", "example"])
    for c in readme[4]:
        c.font = bold
    first = examples(spec)[0] if examples(spec) else [""] * len(spec.columns)
    for col, example in zip(spec.columns, first, strict=True):
        readme.append([*describe(spec, col), example])
    for row in readme.iter_rows(min_row=5):
        for c in row:
            c.data_type = "s"
    for letter, width in zip("ABCDEF", (22, 14, 40, 10, 70, 26), strict=True):
        readme.column_dimensions[letter].width = width
    wb.save(path)


def write_readme(path: Path) -> None:
    lines = ["# Import templates", "",
             "Templates for each table CommitDesk reads (docs/domain.md, docs/formats.md), each with two",
             "example rows to replace with your own. Generated by `build_templates.py`; each `.xlsx` has a",
             "README sheet with the same table (CommitDesk reads the first sheet only).", ""]
    for spec in tables.SPECS.values():
        lines += [f"## {spec.name} (`{spec.name}.csv`, `{spec.name}.xlsx`)", "",
                  "| column | required | type | default | meaning |", "|---|---|---|---|---|"]
        for col in spec.columns:
            lines.append("| " + " | ".join(describe(spec, col)) + " |")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    for spec in tables.SPECS.values():
        write_csv(spec, HERE / f"{spec.name}.csv")
        write_xlsx(spec, HERE / f"{spec.name}.xlsx")
    write_readme(HERE / "README.md")


if __name__ == "__main__":
    main()
