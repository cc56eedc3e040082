"""The Invoices page shows the three-way rate audit and the price per million tokens as the
domain computed them (desktop/domain/rate_audit.py), with explain on their money cells."""

from __future__ import annotations

from pathlib import Path

from tests.ui.conftest import close_window, open_window

DATA = Path(__file__).resolve().parents[1] / "data" / "rate-audit"


def _workspace(home) -> Path:
    from desktop.store import Workspace

    path = home / "Tokens.commitdesk"
    ws = Workspace.open(path, create=True)
    for name, kind in (("commitments.csv", "commitments"), ("openai_cost_export_cached_june.csv", "usage"),
                       ("anthropic_cost_report_june.json", "usage"), ("anthropic_usage_report_june.json", "usage"),
                       ("invoices_june.csv", "invoices"), ("rates_tokens.csv", "rate_card")):
        ws.import_file(DATA / name, kind)
    ws.close()
    return path


def test_invoices_page_shows_the_rate_audit_and_the_price_per_million(qtbot, home):
    win = open_window(qtbot, _workspace(home))
    try:
        page = win.page_by_key["invoices"]
        win.navigate("invoices", {})
        a = win.session.analysis
        am, um = page.audit.table_model, page.unit.table_model
        assert am.rowCount() == len(a.rate_audit) == 7 and um.rowCount() == len(a.unit_prices) == 7
        col = {am.columns[c].title: c for c in range(len(am.columns))}
        shown = {(am.columns[col["Vendor"]].display(r), am.columns[col["Token kind"]].display(r)):
                 (am.columns[col["Flag"]].display(r), am.columns[col["Leakage"]].display(r),
                  am.columns[col["Per 1M charged"]].display(r), am.columns[col["Per 1M contract"]].display(r))
                 for r in range(am.rowCount())}
        assert shown[("OpenAI", "Cached input")] == ("Cache discount missing", "5.00", "2.5000", "1.2500")
        assert shown[("Anthropic", "Cached input")] == ("Cache discount missing", "5.40", "3.0000", "0.3000")
        assert shown[("Anthropic", "Output")][0] == ""
        # the flag also stands on the invoice, in the flagged lines
        fm = page.flags.table_model
        assert sorted(fm.columns[2].display(r) for r in range(fm.rowCount())) == ["Cache discount missing"] * 2
        # the money cells of the audit explain to their rows
        from desktop.domain.explain import explain
        from desktop.domain.rate_audit import audit_key
        line = next(x for x in a.rate_audit if x.vendor == "OpenAI" and x.flag)
        e = explain(a, "rate_audit", audit_key(line), "vendor_cost")
        assert (e.value, e.source_count, e.sources_total) == ("10.00 USD", 2, line.vendor_cost)
        # selecting an invoice selects the audit lines of its vendor-period
        win.navigate("invoices", {"invoice_id": "AN-2026-06"})
        chosen = page.audit.selected_source_rows()
        assert sorted(a.rate_audit[k].vendor for k in chosen) == ["Anthropic"] * 4
        assert page.audit.table_model.explain_columns(col["Leakage"])
        assert not page.audit.table_model.explain_columns(col["Model"])
    finally:
        close_window(win)
