"""Invoice variance: invoiced against expected per invoice, premium leakage highlighted and the
variance % on the right axis. ``invoice_point_rows`` decides which rows stand behind an
invoice's bars."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from desktop.domain import palette, provenance
from desktop.domain.charts.model import ChartData, RefIndex, Series, fmt_money, to_float
from desktop.domain.results import Analysis, SourceRef

# the variance marker's shape per invoice status (results.INVOICE_STATUSES)
STATUS_SYMBOLS = {"within_tolerance": "o", "overbilled": "t1", "underbilled": "t", "no_usage_period": "x"}


def invoice_point_rows(analysis: Analysis, invoices=None) -> tuple[list[list[SourceRef]], list[list[SourceRef]]]:
    """Per invoice of the analysis (or of ``invoices``, some of them): (its invoice lines, the
    lines flagged on it), as the invoices module selects them (provenance.figure_rows)."""
    line_refs: list[list[SourceRef]] = []
    flag_refs: list[list[SourceRef]] = []
    for i in (analysis.invoices if invoices is None else invoices):
        flag_refs.append(sorted({SourceRef(f.file, f.line) for f in i.flags}, key=lambda r: (r.file, r.row)))
        lines = provenance.figure_rows(analysis, "invoice", i.invoice_id, "variance")
        line_refs.append(provenance.refs(analysis, lines)[0] if len(lines) else flag_refs[-1])
    return line_refs, flag_refs


def invoice_variance(analysis: Analysis, invoice_ids=None, scope: str = "") -> ChartData:
    """Invoiced against expected per invoice (bars), premium leakage highlighted as the top part
    of the invoiced bar. ``invoice_ids`` limits the chart to those invoices (the ones a page's
    filters leave), ``scope`` says which in the title."""
    inv = analysis.invoices if invoice_ids is None else tuple(i for i in analysis.invoices
                                                               if i.invoice_id in set(invoice_ids))
    n = len(inv)
    cats = tuple(i.invoice_id for i in inv)
    xs = np.arange(n, dtype=np.float64)
    expected = np.asarray([float(i.expected) for i in inv])
    invoiced = np.asarray([float(i.invoiced) for i in inv])
    leak = np.asarray([float(i.premium_leakage) for i in inv])
    line_refs, flag_refs = invoice_point_rows(analysis, inv)
    notes = tuple(
        f"variance {fmt_money(float(i.variance))}"
        + ("" if i.variance_pct is None else f" ({i.variance_pct:+.1%})")
        + f", {i.status.replace('_', ' ')}"
        + (", period inferred" if i.period_inferred else "")
        for i in inv
    )
    w = np.full(n, 0.38)
    series = (
        Series("expected", "Expected (usage)", xs - 0.2, expected, palette.ROLE_COLORS["expected"], "bar",
               width=w, lo=xs - 0.5, hi=xs + 0.5, refs=RefIndex.from_refs(line_refs)),
        Series("invoiced", "Invoiced (excl. tax)", xs + 0.2, invoiced, palette.ROLE_COLORS["actual"], "bar",
               width=w, lo=xs - 0.5, hi=xs + 0.5, refs=RefIndex.from_refs(line_refs), notes=notes),
        Series("leakage", "Premium leakage", xs + 0.2, invoiced, palette.ROLE_COLORS["leakage"], "bar",
               width=w, lo=xs - 0.5, hi=xs + 0.5, y0=invoiced - leak, refs=RefIndex.from_refs(flag_refs)),
    )
    vpct = np.asarray([to_float(i.variance_pct) for i in inv])
    status = [i.status for i in inv]
    vrefs = RefIndex.from_refs(line_refs)
    # one colour, one meaning: the variance markers are all one colour (none of the bars'), their
    # shape says the status (the readout and the legend spell it out)
    series = series + (
        Series("variance_pct", "Variance %", xs, vpct, palette.BLACK, "scatter", unit="ratio", axis="right",
               refs=vrefs, draw=False),
    )
    for st in dict.fromkeys(status):
        idx = [k for k, v in enumerate(status) if v == st]
        text = st.replace("_", " ")
        series = series + (
            Series(f"vp:{st}", f"Variance % ({text})", xs[idx], vpct[idx], palette.BLACK, "scatter",
                   unit="ratio", axis="right", refs=RefIndex.from_refs([line_refs[k] for k in idx]),
                   symbol=STATUS_SYMBOLS.get(st, "o"), readout=False,
                   legend_label=f"Variance % (right axis), {text}"),
        )
    total_leak = sum((i.premium_leakage for i in inv), Decimal(0))
    return ChartData("invoice_variance", f"Invoice variance · premium leakage {fmt_money(float(total_leak))}"
                     + (f" · {scope}" if scope else ""),
                     series, "category", "Invoice", f"Amount ({analysis.currency})", "Variance % of expected",
                     categories=cats, currency=analysis.currency,
                     extra={"status": tuple(i.status for i in inv)})
