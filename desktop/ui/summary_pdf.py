"""The summary of the brief's page 1 and the charts, as a PDF (Qt's QPdfWriter) or on paper
(QPrinter): File > Export summary PDF…, File > Print… and ``python -m desktop brief --pdf``.

Three steps, so the app never blocks for long:

1. ``summary(analysis, actions, today=, stale=)`` gathers what is shown: the page-1 figures
   (``desktop.domain.page_one``, which the brief's Summary sheet reads too), the narrative
   (``desktop.brief.narrative``) and the ChartData of the charts (``desktop.domain.charts``).
   Pure, no widgets: runs in a worker.
2. ``chart_images(s)`` draws each ChartData with the app's own chart widgets (pyqtgraph) into an
   image, one chart at a time (``SummaryJob`` hands the GUI thread back between charts).
3. ``paint(s, images, device)`` lays page 1 out as a QTextDocument (paginated, table headers
   repeated) and the charts two per page, with "page x of y" in every footer, on any
   QPagedPaintDevice: ``write_pdf`` on a QPdfWriter (a temporary file, then renamed),
   ``print_summary`` on a QPrinter.

Nothing here computes a figure: every number is read from its owner and only formatted.
"""

from __future__ import annotations

import html
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import (
    QEvent,
    QMarginsF,
    QObject,
    QRectF,
    QSizeF,
    Qt,
    QTimer,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageSize,
    QPainter,
    QPdfWriter,
    QTextDocument,
)
from PySide6.QtWidgets import QApplication

from desktop.brief import STALE_PREFIX, narrative
from desktop.brief.actions import normalize as normalize_actions
from desktop.brief.cells import BriefError
from desktop.brief.labels import label
from desktop.brief.labels import pace as pace_label
from desktop.domain import charts, palette
from desktop.domain.charts import ChartData
from desktop.domain.page_one import PageOne, page_one
from desktop.domain.progress import Progress, ensure
from desktop.domain.results import Analysis

MAX_BURN_UPS = 8  # burn-up charts (one per contract, in the analysis' order)
CHARTS_PER_PAGE = 2
CHART_SIZE = (1000, 330)  # logical pixels a chart is drawn at (then scaled onto the page)
CHART_SCALE = 2  # device pixels per logical pixel of a chart image (about 190 dpi on the page)
STEP_PAUSE_MS = 20  # the event loop's turn between two charts drawn on the GUI thread
FONT_FAMILIES = ["Arial", "Helvetica", "Liberation Sans", "DejaVu Sans"]


@dataclass(frozen=True)
class Summary:
    """What the summary shows, gathered from the owners of each figure."""

    analysis: Analysis
    page: PageOne
    sentences: list[str]
    charts: list[ChartData] = field(default_factory=list)
    generated: datetime = field(default_factory=datetime.now)
    stale: str | None = None  # "OUT OF DATE: ..." when the figures no longer match the workspace

    @property
    def charts_left_out(self) -> int:
        """Contracts whose burn-up is not drawn (beyond MAX_BURN_UPS)."""
        return max(0, len(self.analysis.contracts) - MAX_BURN_UPS)

    @property
    def title(self) -> str:
        return f"CommitDesk summary as of {self.analysis.as_of:%Y-%m-%d}"


def summary(analysis: Analysis, actions: list | None = None, *, today: date | None = None,
            stale: str | None = None, progress: Progress | None = None) -> Summary:
    """Gather the summary (pure; runs in a worker). ``actions``: the checklist (None: one open
    action per finding, as the brief does without a workspace); ``today``: the day overdue is
    judged against (the day written)."""
    prog = ensure(progress)
    prog.step(0.0, "Gathering page 1")
    today = today or date.today()
    acts = normalize_actions(actions, analysis)
    p1 = page_one(analysis, acts, today)
    sentences = narrative.sentences(analysis, acts, today)
    data = chart_data(analysis, prog)
    if stale is not None and str(stale).strip():
        text = " ".join(str(stale).split())
        stale = text if text.upper().startswith(STALE_PREFIX.strip()) else STALE_PREFIX + text
    else:
        stale = None
    return Summary(analysis, p1, sentences, data, datetime.now().replace(microsecond=0), stale)


def chart_data(analysis: Analysis, progress: Progress | None = None) -> list[ChartData]:
    """The charts of the summary: each contract's burn-up (at most MAX_BURN_UPS), invoice
    variance, budget utilization and daily spend by vendor, those with something to draw."""
    prog = ensure(progress)
    builders = [(charts.burn_up, (analysis, c.contract_id)) for c in analysis.contracts[:MAX_BURN_UPS]]
    if analysis.invoices:
        builders.append((charts.invoice_variance, (analysis,)))
    if analysis.budgets:
        builders.append((charts.budget_utilization, (analysis,)))
    builders.append((charts.daily_spend, (analysis, "vendor", True)))
    out = []
    for i, (fn, args) in enumerate(builders):
        prog.step(0.1 + 0.8 * i / len(builders), "Building the charts")
        d = fn(*args)
        if any(s.n for s in d.series):
            out.append(d)
    return out


# --- the charts as images (GUI thread) ---------------------------------------------------------
def _widget_class(kind: str):
    from desktop.ui import charts as widgets

    return {"burn_up": widgets.BurnUpChart, "period_exposure": widgets.ExposureChart,
            "daily_spend": widgets.DailySpendChart, "invoice_variance": widgets.InvoiceVarianceChart,
            "budget_utilization": widgets.BudgetUtilizationChart, "renewal": widgets.RenewalChart}[kind]


def _quiet_handler(_mode, _context, message: str) -> None:
    """While the chart widgets live, the offscreen platform's note that it "does not support
    propagateSizeHints()" (once per hidden window shown) is dropped; anything else is printed."""
    import sys

    if "propagateSizeHints" not in message:
        print(message, file=sys.stderr)


class ChartPainter:
    """Draws ChartData with the app's chart widgets (light theme, never shown on screen) into
    images; one widget per chart kind, reused. GUI thread only."""

    def __init__(self, size: tuple[int, int] = CHART_SIZE, scale: int = CHART_SCALE):
        self.size = size
        self.scale = scale
        self._widgets: dict[str, object] = {}
        self._previous_handler = qInstallMessageHandler(_quiet_handler)

    def _widget(self, kind: str):
        w = self._widgets.get(kind)
        if w is None:
            w = _widget_class(kind)()
            w.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
            w.apply_theme(False)  # paper is white whatever the app's appearance
            w.resize(self.size[0], self.size[1] + 60)
            w.show()  # a widget is laid out (and its plot sized) when shown
            self._widgets[kind] = w
        return w

    def image(self, data: ChartData) -> QImage:
        w = self._widget(data.kind)
        w.set_data(data)
        for _ in range(3):  # the plot's layouts (legend rows, axes) settle on posted layout requests
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        src = w.plot.sceneRect()
        img = QImage(int(src.width() * self.scale), int(src.height() * self.scale), QImage.Format.Format_RGB32)
        img.setDevicePixelRatio(self.scale)
        img.fill(QColor("#FFFFFF"))
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        w.plot.scene().render(p, QRectF(0, 0, src.width(), src.height()), src)
        p.end()
        return img

    def close(self) -> None:
        for w in self._widgets.values():
            w.runner.shutdown()
            w.close()
            w.deleteLater()
        self._widgets.clear()
        if self._previous_handler is not False:
            qInstallMessageHandler(self._previous_handler)
            self._previous_handler = False


def chart_images(s: Summary) -> list[QImage]:
    cp = ChartPainter()
    try:
        return [cp.image(d) for d in s.charts]
    finally:
        cp.close()


# --- page 1 as HTML ----------------------------------------------------------------------------
def _m(v: Decimal | None) -> str:
    return "" if v is None else f"{v:,.2f}"


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text))


def _table(headers: list[tuple[str, str]], rows: list[list[str]], widths: list[int] | None = None) -> str:
    """headers: (title, align); rows of already escaped cell HTML."""
    head_bg = palette.BLUE
    out = ['<table width="100%" cellspacing="0" cellpadding="3" border="0">', "<tr>"]
    for i, (h, align) in enumerate(headers):
        w = f' width="{widths[i]}%"' if widths else ""
        out.append(f'<th align="{align}" bgcolor="{head_bg}"{w}><font color="#FFFFFF">{_e(h)}</font></th>')
    out.append("</tr>")
    for n, r in enumerate(rows):
        bg = ' bgcolor="#F2F5F8"' if n % 2 else ""
        out.append(f"<tr{bg}>" + "".join(f'<td align="{headers[i][1]}">{c}</td>' for i, c in enumerate(r))
                   + "</tr>")
    out.append("</table>")
    return "".join(out)


def _section(title: str, new_page: bool = False) -> str:
    brk = " page-break-before:always;" if new_page else ""
    return (f'<h2 style="color:{palette.BLUE}; font-size:12pt; margin-top:10px; margin-bottom:4px;{brk}">'
            f"{_e(title)}</h2>")


def summary_html(s: Summary) -> str:
    """Page 1 as HTML for QTextDocument: the brief's Summary in reading order."""
    a, p1 = s.analysis, s.page
    k = p1.portfolio
    cur = a.currency
    parts = [f'<h1 style="color:{palette.BLUE}; font-size:17pt; margin-bottom:0">CommitDesk summary</h1>',
             f'<p style="color:{palette.DARK_GREY}"><i>As of {a.as_of:%Y-%m-%d} · amounts in {_e(cur)} · '
             f"generated {s.generated:%Y-%m-%d %H:%M} · overdue judged on {p1.today:%Y-%m-%d}</i></p>"]
    if s.stale:
        parts.append(f'<table width="100%" cellpadding="6" bgcolor="{palette.VERMILLION}"><tr><td>'
                     f'<font color="#FFFFFF"><b>{_e(s.stale)}</b></font></td></tr></table>')

    parts.append(_section("Money at stake"))
    total = f'<b><font size="+1">{_m(p1.total_at_stake)}</font></b>'
    left_rows = [("<b>Total money at stake (open actions)</b>", total)]
    left_rows += [(f"of which {_e((label(kind) or '').lower())}", _m(v)) for kind, v in p1.by_kind.items()]
    right_rows = [
        ("Still avoidable: shortfall penalties", _m(k.shortfall_avoidable)),
        ("Still avoidable: overage premium", _m(k.premium_avoidable)),
        ("Incurred: shortfall penalties owed (ended terms)", _m(k.shortfall_incurred)),
        ("Incurred: overage premium billed (ended terms)", _m(k.premium_incurred)),
        ("Open actions", f"{len(p1.open_actions):,}"),
        (f"Overdue actions (due before {p1.today:%Y-%m-%d})", f"{len(p1.overdue):,}"),
    ]
    rows_m = []
    for i in range(max(len(left_rows), len(right_rows))):
        lk = left_rows[i] if i < len(left_rows) else ("", "")
        rk = (_e(right_rows[i][0]), f"<b>{right_rows[i][1]}</b>") if i < len(right_rows) else ("", "")
        rows_m.append(f"<tr><td>{lk[0]}</td><td align='right'>{lk[1]}</td><td width='6%'></td>"
                      f"<td>{rk[0]}</td><td align='right'>{rk[1]}</td></tr>")
    parts.append(f'<table width="100%" cellpadding="2">{"".join(rows_m)}</table>')

    parts.append(_section("Largest money at stake first"))
    if p1.top:
        rows = []
        for x in p1.top:
            act = x.action
            due = f"{act.due:%Y-%m-%d}" if act.due else ""
            if act.overdue(p1.today):
                due = f'<font color="{palette.VERMILLION}"><b>{due}&nbsp;overdue</b></font>'
            sev = act.severity
            sev_cell = (f'<font color="{palette.mix(palette.severity_color(sev), palette.BLACK, 0.25)}">'
                        f"<b>{_e(label(sev))}</b></font>")
            rows.append([_m(x.at_stake), _e(label(x.stake_kind) if x.stake_kind else "none"), _e(act.owner or ""),
                         due, sev_cell, _e(act.title)])
        parts.append(_table([("At stake", "right"), ("What is at stake", "left"), ("Owner", "left"),
                             ("Due", "left"), ("Severity", "left"), ("Action", "left")], rows,
                            [9, 15, 15, 13, 7, 41]))
        if p1.rest_count:
            parts.append(f"<p><i>{p1.rest_count} more open actions carry {_m(p1.rest_at_stake)} {_e(cur)}; "
                         "the brief's Actions sheet lists every one.</i></p>")
    else:
        parts.append("<p><i>No open actions.</i></p>")

    parts.append(_section("Pacing per contract", new_page=True))  # page 1 is the money at stake
    if p1.contracts:
        rows = []
        for c, st in p1.contracts:
            pacing = "—" if c.pacing_ratio is None else f"{c.pacing_ratio * 100:.1f} %"
            band_col = palette.pace_color(c)
            rows.append([_e(c.contract_id), _e(c.vendor),
                         f'<font color="{palette.mix(band_col, palette.BLACK, 0.3)}"><b>{_e(pace_label(c))}</b></font>',
                         pacing, f"{c.term_end:%Y-%m-%d}", _m(c.commitment), _m(c.consumed_to_date),
                         _m(c.projected_consumption), _m(st.shortfall_avoidable), _m(st.shortfall_incurred),
                         _e(c.escalation_to or "")])
        parts.append(_table([("Contract", "left"), ("Vendor", "left"), ("Pace", "left"), ("Pacing", "right"),
                             ("Term end", "left"), ("Commitment", "right"), ("Consumed", "right"),
                             ("Projected", "right"), ("Avoidable shortfall", "right"),
                             ("Incurred shortfall", "right"), ("Escalate to", "left")], rows))
        if k.pacing is not None:
            parts.append(f"<p><i>All contracts together: {_m(k.consumed)} consumed of {_m(k.expected)} expected "
                         f"to date ({k.pacing * 100:.1f} %); read each contract's pacing above, a blend hides "
                         "contracts far off their line.</i></p>")
    else:
        parts.append("<p><i>No contracts.</i></p>")

    parts.append(_section("What needs attention"))
    parts.append("<ul>" + "".join(f"<li>{_e(t)}</li>" for t in s.sentences) + "</ul>")

    parts.append(_section("Key figures"))
    left_k = [("Total commitment", _m(k.commitment)), ("Consumed to date", _m(k.consumed)),
              ("Expected to date (burn line)", _m(k.expected)), ("Projected consumption", _m(k.projected)),
              ("Shortfall exposure", _m(k.shortfall_exposure)), ("Overage", _m(k.overage)),
              ("Overage premium", _m(k.overage_premium))]
    right_k = [("Contracts", f"{k.contracts:,}"), ("Invoiced (excl. tax)", _m(k.invoiced)),
               ("Invoice variance (net)", _m(k.invoice_variance)), ("Premium leakage", _m(k.premium_leakage)),
               ("Open budget months over (high/medium)", f"{p1.open_budget_over:,}"),
               ("Open budget months at hard stop/cap", f"{p1.open_budget_capped:,}"),
               ("Anomalies", f"{len(a.anomalies):,}")]
    rows_k = []
    for i in range(max(len(left_k), len(right_k))):
        lk = left_k[i] if i < len(left_k) else ("", "")
        rk = right_k[i] if i < len(right_k) else ("", "")
        rows_k.append(f"<tr><td>{_e(lk[0])}</td><td align='right'><b>{lk[1]}</b></td><td width='6%'></td>"
                      f"<td>{_e(rk[0])}</td><td align='right'><b>{rk[1]}</b></td></tr>")
    parts.append(f'<table width="100%" cellpadding="2">{"".join(rows_k)}</table>')

    parts.append(_section("Sign-off"))
    line = "_" * 34
    parts.append('<table width="100%" cellpadding="6">' + "".join(
        f"<tr><td width='14%'>{who}</td><td>{line}</td><td width='8%'>Date</td><td>{'_' * 16}</td></tr>"
        for who in ("Prepared by", "Reviewed by", "Approved by")) + "</table>")
    return "".join(parts)


# --- laying the pages out ----------------------------------------------------------------------
def _font(pt: float, bold: bool = False) -> QFont:
    f = QFont()
    f.setFamilies(FONT_FAMILIES)
    f.setStyleHint(QFont.StyleHint.SansSerif)
    f.setPointSizeF(pt)
    f.setBold(bold)
    return f


def page_layout() -> QPageLayout:
    """Landscape, A4 (Letter where the locale measures in US units), 12 mm margins."""
    from PySide6.QtCore import QLocale

    letter = QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
    size = QPageSize(QPageSize.PageSizeId.Letter if letter else QPageSize.PageSizeId.A4)
    return QPageLayout(size, QPageLayout.Orientation.Landscape, QMarginsF(12, 12, 12, 12),
                       QPageLayout.Unit.Millimeter)


def paint(s: Summary, images: list[QImage], device: QPagedPaintDevice) -> int:
    """Lay the summary out on ``device`` (a QPdfWriter or QPrinter): page 1 (and what it runs
    over to), then the charts two per page. Returns the number of pages."""
    res = device.resolution()
    paint_rect = device.pageLayout().paintRectPixels(res)
    w, h = float(paint_rect.width()), float(paint_rect.height())
    mm = res / 25.4
    footer_h = 7 * mm
    body_h = h - footer_h

    doc = QTextDocument()
    doc.documentLayout().setPaintDevice(device)
    doc.setDefaultFont(_font(8.5))
    doc.setDocumentMargin(0)
    doc.setHtml(summary_html(s))
    doc.setPageSize(QSizeF(w, body_h))
    text_pages = doc.pageCount()
    chart_pages = -(-len(images) // CHARTS_PER_PAGE)
    total = text_pages + chart_pages

    painter = QPainter()
    if not painter.begin(device):
        raise BriefError("the summary cannot be written: the PDF or printer could not be opened")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        page = 0
        for i in range(text_pages):
            if page:
                device.newPage()
            painter.save()
            painter.translate(0, -i * body_h)
            ctx = QAbstractTextDocumentLayout.PaintContext()
            ctx.clip = QRectF(0, i * body_h, w, body_h)
            painter.setClipRect(ctx.clip)  # the context's clip only picks the blocks to draw
            doc.documentLayout().draw(painter, ctx)
            painter.restore()
            page += 1
            _footer(painter, s, page, total, w, h, footer_h)
        title_h = 7 * mm
        slot_h = (body_h - 6 * mm) / CHARTS_PER_PAGE
        for n, img in enumerate(images):
            slot = n % CHARTS_PER_PAGE
            if slot == 0:
                device.newPage()
                page += 1
                painter.setFont(_font(12, True))
                painter.setPen(QColor(palette.BLUE))
                painter.drawText(QRectF(0, 0, w, 6 * mm), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 "Charts" if n == 0 else "Charts (continued)")
                _footer(painter, s, page, total, w, h, footer_h)
            if n == len(images) - 1 and s.charts_left_out:
                painter.setFont(_font(8))
                painter.setPen(QColor(palette.DARK_GREY))
                painter.drawText(QRectF(0, body_h - 5 * mm, w, 5 * mm),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 f"{s.charts_left_out} more contracts' burn-ups are on the brief's Pacing sheet.")
            top = 6 * mm + slot * slot_h
            painter.setFont(_font(10, True))
            painter.setPen(QColor(palette.BLACK))
            painter.drawText(QRectF(0, top, w, title_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             s.charts[n].title)
            avail = QRectF(0, top + title_h, w, slot_h - title_h - 2 * mm)
            iw, ih = img.width() / img.devicePixelRatio(), img.height() / img.devicePixelRatio()
            scale = min(avail.width() / iw, avail.height() / ih)
            target = QRectF(avail.left(), avail.top(), iw * scale, ih * scale)
            painter.drawImage(target, img)
    finally:
        painter.end()
    return total


def _footer(painter: QPainter, s: Summary, page: int, total: int, w: float, h: float, footer_h: float) -> None:
    painter.save()
    painter.setFont(_font(7.5))
    painter.setPen(QColor(palette.DARK_GREY))
    a = s.analysis
    left = f"CommitDesk summary · as of {a.as_of:%Y-%m-%d} · amounts in {a.currency}"
    if s.stale:
        left += " · OUT OF DATE"
    r = QRectF(0, h - footer_h * 0.7, w, footer_h * 0.7)
    painter.drawText(r, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, left)
    painter.drawText(r, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"page {page} of {total}")
    painter.restore()


def write_pdf(s: Summary, out: Path | str, images: list[QImage] | None = None) -> Path:
    """Write the summary to ``out`` (a temporary file in the same folder, then renamed)."""
    out = Path(out)
    if images is None:
        images = chart_images(s)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".summary-", suffix=".pdf", dir=out.parent)
    except OSError as exc:
        raise BriefError(f"cannot write the summary into {out.parent}: {exc.strerror or exc}",
                         file=str(out)) from exc
    os.close(fd)
    try:
        writer = QPdfWriter(tmp)
        writer.setResolution(300)
        writer.setPageLayout(page_layout())
        writer.setTitle(s.title)
        writer.setCreator("CommitDesk")
        paint(s, images, writer)
        del writer  # closes the file
        _readable(tmp)
        try:
            os.replace(tmp, out)
        except OSError as exc:
            raise BriefError(f"cannot write {out.name}: {exc.strerror or exc} (is it open in a viewer?)",
                             file=str(out)) from exc
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return out


def _readable(path: str) -> None:
    """mkstemp makes a file only its owner can read; a PDF gets the usual mode (umask applied)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


def print_summary(s: Summary, printer, images: list[QImage] | None = None) -> int:
    """Print the summary on ``printer`` (a QPrinter set up by QPrintDialog, or to a PDF file),
    on the page layout the printer has (``page_layout()`` is offered before the dialog)."""
    printer.setDocName(s.title)
    return paint(s, chart_images(s) if images is None else images, printer)


def write_summary_pdf(analysis: Analysis, out: Path | str, actions: list | None = None, *,
                      today: date | None = None, stale: str | None = None) -> Path:
    """All three steps at once (the CLI, tests); starts a QApplication when there is none."""
    import sys

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - alive while drawing
    return write_pdf(summary(analysis, actions, today=today, stale=stale), out)


# --- in the app: the steps on a worker and the GUI thread --------------------------------------
class SummaryJob(QObject):
    """Gather (worker), draw the charts one per turn of the event loop (GUI thread), then lay
    out and write the PDF or print (worker). ``done(result)`` or ``failed(exc)``;
    ``progress(fraction, text)``."""

    done = Signal(object)
    failed = Signal(object)
    progress = Signal(float, str)

    def __init__(self, runner, analysis: Analysis, actions: list | None, finish, *, stale: str | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self._finish = finish  # (Summary, images) -> result, on the GUI thread
        self._images: list[QImage] = []
        self._painter: ChartPainter | None = None
        self._summary: Summary | None = None
        self._cancelled = False
        self._analysis, self._actions, self._stale = analysis, actions, stale
        self._connected: list = []

    def start(self) -> None:
        self._connect(self._gathered)
        a, acts, stale = self._analysis, self._actions, self._stale
        self.runner.start(lambda p: summary(a, acts, stale=stale, progress=p), label="Preparing the summary")

    def cancel(self) -> None:
        self._cancelled = True
        self._disconnect()
        if self._painter is not None:
            self._painter.close()
            self._painter = None

    def _connect(self, landed) -> None:
        self._connected = [(self.runner.finished, landed), (self.runner.failed, self._fail),
                           (self.runner.cancelled, self.cancel)]
        for sig, slot in self._connected:
            sig.connect(slot)

    def _disconnect(self) -> None:
        for sig, slot in self._connected:
            sig.disconnect(slot)
        self._connected = []

    def _fail(self, exc) -> None:
        self.cancel()
        self.failed.emit(exc)

    def _gathered(self, s: Summary) -> None:
        self._disconnect()
        self._summary = s
        self._painter = ChartPainter()
        QTimer.singleShot(STEP_PAUSE_MS, self._next_chart)

    def _next_chart(self) -> None:
        if self._cancelled or self._summary is None:
            return
        s = self._summary
        i = len(self._images)
        try:
            if i < len(s.charts):
                self.progress.emit(i / max(1, len(s.charts)), f"Drawing chart {i + 1} of {len(s.charts)}")
                self._images.append(self._painter.image(s.charts[i]))
                QTimer.singleShot(STEP_PAUSE_MS, self._next_chart)  # input, paints and timers run between charts
                return
            self._painter.close()
            self._painter = None
        except Exception as exc:  # delivered like a worker failure
            self._fail(exc)
            return
        # the pages are laid out and written in the worker (QPainter on a QPdfWriter / QPrinter
        # and QTextDocument are usable off the GUI thread; the images are plain QImages)
        self.progress.emit(1.0, "Writing the pages")
        self._connect(self._written)
        finish, images = self._finish, list(self._images)
        self.runner.start(lambda _p: finish(s, images), label="Writing the summary")

    def _written(self, result) -> None:
        self._disconnect()
        self.done.emit(result)
