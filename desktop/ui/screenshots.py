"""Screenshots of every page on the demo workspace: ``python -m desktop.ui.screenshots OUTDIR``.

Run it under Xvfb at 1440x900 (``Xvfb :99 -screen 0 1440x900x24 &``, ``DISPLAY=:99
QT_QPA_PLATFORM=xcb``) or offscreen. The demo workspace is built in a temporary
COMMITDESK_HOME so the analyst's own preferences and workspaces are never touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

PAGES = ("overview", "contracts", "usage", "invoices", "budgets", "renewal", "actions", "roi")


def _wait(app, cond, timeout: float = 60.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        app.processEvents()
        if cond():
            return True
        time.sleep(0.02)
    return False


def _settle(app, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def bad_row_file(folder: Path) -> Path:
    """A small usage CSV in the canonical columns with one deliberately bad row (row 4)."""
    p = folder / "october-usage-extra.csv"
    p.write_text(
        "date,vendor,model,team,project,cost,currency\n"
        "2026-11-10,OpenAI,gpt-4o,Support,chatbot,1250.00,USD\n"
        "2026-11-11,OpenAI,gpt-4o,Support,chatbot,1310.50,USD\n"
        "2026-11-12,OpenAI,gpt-4o,Support,chatbot,twelve hundred,USD\n"
        "2026-11-12,Anthropic,claude-sonnet,Research,evals,880.25,USD\n",
        encoding="utf-8")
    return p


def overlapping_commitment_file(folder: Path) -> Path:
    """A commit period of OAI-2026-RAMP that overlaps its first quarter: every recompute fails
    until it is removed (the out-of-date banner, and a workspace opened without figures)."""
    p = folder / "ramp-amendment.csv"
    p.write_text("contract_id,vendor,period_start,period_end,commitment,currency\n"
                 "OAI-2026-RAMP,OpenAI,2026-03-15,2026-05-31,50000.00,USD\n", encoding="utf-8")
    return p


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m desktop.ui.screenshots")
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--size", default="1440x900")
    ap.add_argument("--dark", action="store_true", help="force the dark palette")
    args = ap.parse_args(argv)
    out: Path = args.outdir
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="commitdesk-shots-"))
    os.environ["COMMITDESK_HOME"] = str(home)

    from PySide6.QtCore import QSettings

    from desktop import app as desktop_app
    from desktop.store import Workspace, create_demo_workspace

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(home / "qsettings"))
    app = desktop_app.make_app()
    if args.dark:
        desktop_app.apply_palette(app, dark=True)
    ws = Workspace.open(create_demo_workspace(home / "Demo.commitdesk"))
    win = desktop_app.build_window(ws)
    w, h = (int(x) for x in args.size.split("x"))
    win.resize(w, h)
    win.show()
    if not _wait(app, lambda: win.session.analysis is not None):
        print("the analysis did not finish", file=sys.stderr)
        return 1
    _settle(app, 1.0)
    for i, key in enumerate(PAGES):
        win.show_page(i)
        page = win.pages[i]
        if key == "renewal":  # the workbench builds its Negotiation in its worker
            _wait(app, lambda p=page: p.builds > 0 and not p.runner.busy, 120)
            page.tabs.setCurrentIndex(0)
        if key == "actions":
            acts = win.session.actions()
            low = [a for a in acts if a.severity == "low"]
            med = [a for a in acts if a.severity == "medium"]
            if low:
                win.session.set_action(low[0].key, status="done",
                                       notes="Credit note requested from the vendor's billing team")
            if med:
                win.session.set_action(med[0].key, status="in_progress", notes="Asked Grace to check the batch job")
            page.status.setCurrentIndex(1)  # all
        if key == "budgets":
            from desktop.domain.vocabulary import ALERT_TIERS

            hot = [i for i, b in enumerate(page._lines) if b.alert_tier in ALERT_TIERS[:3]
                   and b.month == page.month.currentText()]
            if hot:
                page.table.select_source_rows(hot[:1])
        if key == "invoices":
            flagged = [i for i in page._invoices if i.flags]
            if flagged:
                win.navigate("invoices", {"invoice_id": flagged[-1].invoice_id})
        _settle(app, 0.6)
        # charts and tables are built off the GUI thread: wait until no task is running
        _wait(app, lambda: not win.progress.isVisible(), 60)
        _settle(app, 0.3)
        win.statusBar().clearMessage()
        win.grab().save(str(out / f"{key}.png"))
        print(out / f"{key}.png")
        if key == "renewal":  # the priced asks and the walk-away too
            for tab, name in ((1, "renewal-asks"), (2, "renewal-batna")):
                page.tabs.setCurrentIndex(tab)
                _settle(app, 0.6)
                _wait(app, lambda: not win.progress.isVisible(), 60)
                win.grab().save(str(out / f"{name}.png"))
                print(out / f"{name}.png")
            page.tabs.setCurrentIndex(0)
    # the import wizard on a file with a bad row
    src = bad_row_file(home)
    win.show_page(0)
    win.import_dialog([str(src)])
    wiz = win.wizard
    _wait(app, lambda: wiz.ready)
    _settle(app, 0.6)
    wiz.grab().save(str(out / "import-wizard.png"))
    print(out / "import-wizard.png")
    wiz.close()
    # figures out of date: an import whose recompute fails (the Contracts page keeps the old
    # figures under the banner)
    report = ws.import_file(overlapping_commitment_file(home))
    win._imported([report])
    _wait(app, lambda: win.session.stale_reason is not None and not win.session.refreshing)
    win.show_page(PAGES.index("contracts"))
    _settle(app, 0.8)
    win.statusBar().clearMessage()
    win.grab().save(str(out / "out-of-date.png"))
    print(out / "out-of-date.png")
    # the same workspace opened again: no figures, its data as imported with the reason
    win.close()
    _settle(app, 0.2)
    ws.close()
    ws = Workspace.open(home / "Demo.commitdesk")
    win = desktop_app.build_window(ws)
    win.resize(w, h)
    win.show()
    _wait(app, lambda: win.session.unanalysed is not None)
    win.show_page(PAGES.index("contracts"))
    _settle(app, 0.8)
    win.grab().save(str(out / "no-figures.png"))
    print(out / "no-figures.png")
    win.close()
    _settle(app, 0.2)
    ws.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
