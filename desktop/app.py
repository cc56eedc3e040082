"""The desktop application: QApplication, palette, excepthook, workspace, MainWindow. No logic.

``python -m desktop`` (no subcommand) calls ``main``. Options: ``--workspace PATH``, ``--demo``
(the demo workspace, sample data, built on first use), ``--as-of YYYY-MM-DD``,
``--quit-after-ms N`` (start, paint, quit cleanly: smoke tests). Without ``--workspace`` or
``--demo`` it reopens the last workspace opened (the preference ``open_last_workspace``; the
workspace is remembered the moment it is opened, so a killed app reopens it too), else it shows
the start page (desktop/ui/start.py).

Start-up to figures (``main``): a workspace whose last figures were saved (desktop.store.figures)
is not opened before the window shows. The window is built on the figures read from the file
(no lock, no pandas), paints them under a "Refreshing figures" banner, and the workspace opens in
the background (``Session.open_workspace``: the store, pandas and the analysis load in the
worker); then it recomputes as usual. Anything else (no saved figures, the demo still to build,
another page in front) starts as before.
"""

from __future__ import annotations

import argparse
import logging
import logging.handlers
import sys
import traceback
from datetime import date
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from desktop import config

log = logging.getLogger("desktop.app")

_windows: list = []  # keeps the current window alive
_dialogs: list = []  # error dialogs without a parent window stay alive until closed


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m desktop", description="CommitDesk desktop app")
    p.add_argument("--workspace", type=Path, help="workspace to open (default: the last one opened)")
    p.add_argument("--demo", action="store_true", help="open the demo workspace (sample data)")
    p.add_argument("--as-of", type=_date, help="as-of date (default: the latest usage date)")
    p.add_argument("--quit-after-ms", type=int, default=None, help="quit after N ms (smoke tests)")
    p.add_argument("--readonly", action="store_true", help="open the workspace read-only")
    return p.parse_args(argv)


def setup_logging() -> Path:
    path = config.log_dir() / "commitdesk.log"
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_commitdesk", False):
            if Path(h.baseFilename) == path.absolute():
                return path
            root.removeHandler(h)
            h.close()
    h = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    h._commitdesk = True  # type: ignore[attr-defined]
    root.addHandler(h)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    return path


def excepthook(exc_type, exc, tb) -> None:
    """Log any uncaught exception and show it with copyable details; the app keeps running and
    the workspace (SQLite, one transaction per change) stays intact."""
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    details = "".join(traceback.format_exception(exc_type, exc, tb))
    log.error("uncaught exception\n%s", details)
    app = QApplication.instance()
    if app is None:
        sys.__excepthook__(exc_type, exc, tb)
        return
    from desktop.ui.dialogs.error import ErrorDialog

    parent = _windows[-1] if _windows else None
    logfile = config.log_dir() / "commitdesk.log"
    dlg = ErrorDialog("Something went wrong",
                      f"{exc_type.__name__}: {exc}\n\nYour workspace is unchanged. The details below were "
                      f"written to {logfile}.", details, parent)
    dlg.setObjectName("uncaughtErrorDialog")
    _dialogs.append(dlg)
    dlg.finished.connect(lambda *_: _dialogs.remove(dlg) if dlg in _dialogs else None)
    dlg.open()


def apply_palette(app: QApplication, dark: bool | None = None) -> bool:
    """Fusion with the system's light or dark colour scheme (or the one asked for); returns
    True for dark."""
    app.setStyle("Fusion")
    if dark is None:
        dark = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    if dark:
        pal = QPalette()
        base, window, text = QColor("#1E1E1E"), QColor("#2B2B2B"), QColor("#E6E6E6")
        pal.setColor(QPalette.ColorRole.Window, window)
        pal.setColor(QPalette.ColorRole.WindowText, text)
        pal.setColor(QPalette.ColorRole.Base, base)
        pal.setColor(QPalette.ColorRole.AlternateBase, QColor("#262626"))
        pal.setColor(QPalette.ColorRole.Text, text)
        pal.setColor(QPalette.ColorRole.Button, window)
        pal.setColor(QPalette.ColorRole.ButtonText, text)
        pal.setColor(QPalette.ColorRole.ToolTipBase, window)
        pal.setColor(QPalette.ColorRole.ToolTipText, text)
        pal.setColor(QPalette.ColorRole.Highlight, QColor("#0072B2"))
        pal.setColor(QPalette.ColorRole.HighlightedText, QColor("#FFFFFF"))
        pal.setColor(QPalette.ColorRole.PlaceholderText, QColor("#8A8A8A"))
        pal.setColor(QPalette.ColorRole.Link, QColor("#56B4E9"))
        for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
            pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7A7A7A"))  # disabled reads as disabled
        app.setPalette(pal)
    else:
        app.setPalette(app.style().standardPalette())
    style = Path(__file__).parent / "resources" / "styles" / "app.qss"
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return dark


def make_app(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if app is None:
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        QCoreApplication.setOrganizationName("CommitDesk")
        QCoreApplication.setApplicationName("CommitDesk")
        app = QApplication(["commitdesk", *(argv or [])])
    else:
        QCoreApplication.setOrganizationName("CommitDesk")
        QCoreApplication.setApplicationName("CommitDesk")
    app.setApplicationDisplayName("CommitDesk")
    icons = Path(__file__).parent / "resources" / "icons"
    if icons.is_dir():
        icon = QIcon()
        for png in sorted(icons.glob("commitdesk-*.png")):
            icon.addFile(str(png))
        app.setWindowIcon(icon)
    from desktop.ui import appearance  # light / dark / system, as the analyst chose (Settings)

    appearance.apply(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda *_: appearance.follow_system(app))
    return app


def open_workspace(path: Path | str | None, readonly: bool = False):
    """The workspace to show: ``path``, "new:<path>" (created), else the demo workspace (built on
    first use). A workspace another CommitDesk holds is opened read-only after asking. The
    workspace is remembered as the last one at once (recent list and preferences), so a start
    after a crash reopens it."""
    from desktop.store import Workspace, WorkspaceLocked, create_demo_workspace

    if path is None:  # the demo
        path = create_demo_workspace()
    if str(path).startswith("new:"):
        ws = Workspace.open(Path(str(path)[4:]), create=True)
    else:
        try:
            ws = Workspace.open(Path(path), readonly=readonly)
        except WorkspaceLocked as exc:
            answer = QMessageBox.question(None, "Workspace in use", f"{exc}\n\nOpen it read-only?")
            if answer != QMessageBox.StandardButton.Yes:
                raise
            ws = Workspace.open(Path(path), readonly=True)
    remember(ws.path)
    return ws


def remember(path: Path) -> None:
    """Make ``path`` the last workspace (preferences) and the first recent one."""
    config.add_recent(path)
    prefs = config.load_preferences()
    prefs["last_workspace"] = str(path)
    config.save_preferences(prefs)


def last_workspace() -> Path | None:
    """The workspace to reopen at start-up: the last one opened, when the preference says to
    reopen it and it still exists."""
    prefs = config.load_preferences()
    last = prefs.get("last_workspace")
    if not prefs.get("open_last_workspace", True) or not isinstance(last, str) or not last:
        return None
    p = Path(last)
    return p if p.exists() else None


def build_window(ws, as_of: date | None = None):
    from desktop.ui.main_window import MainWindow
    from desktop.ui.session import Session

    session = Session(ws, as_of=as_of)
    win = MainWindow(session)
    win.openWorkspaceRequested.connect(lambda p, w=win: _switch(w, p))
    _windows.append(win)
    session.recompute()
    return win


def show_start(reason: str = ""):
    """The start page (no workspace yet); what the analyst picks there is opened in its place."""
    from desktop.ui.start import StartWindow

    start = StartWindow(reason)
    start.chosen.connect(lambda what, w=start: _start_chosen(w, what))
    _windows.append(start)
    return start


def _start_chosen(start, what: str):
    """Open what was picked on the start page; the start page closes once a window shows."""
    from desktop.store import WorkspaceError

    importing = what.startswith("import:")
    target = None if what == "demo" else ("new:" + what[7:] if importing else what)
    try:
        ws = open_workspace(target)  # type: ignore[arg-type]
    except WorkspaceError as exc:
        QMessageBox.warning(start, "Cannot open workspace", str(exc))
        return None
    win = build_window(ws)
    win.show()
    start.close()
    if start in _windows:
        _windows.remove(start)
    if importing:
        QTimer.singleShot(0, win.import_dialog)
    return win


def _switch(win, path: str) -> None:
    from desktop.store import WorkspaceError

    if path == "demo":
        target: Path | str | None = None if not config.demo_workspace_path().exists() else config.demo_workspace_path()
    else:
        target = path if path.startswith("new:") else Path(path)
    if isinstance(target, Path) and target.absolute() == win.session.workspace.path:
        return  # already open here
    try:
        ws = open_workspace(target)
    except WorkspaceError as exc:
        QMessageBox.warning(win, "Cannot open workspace", str(exc))
        return
    new = build_window(ws, win.session.as_of)
    new.show()
    win.close()


def start_window(args: argparse.Namespace, fast: bool = False):
    """The first window: the workspace asked for, else the last one, else the start page.
    ``fast`` (``main``): paint the workspace's last figures before it is opened (``_start_fast``)."""
    from desktop.store import WorkspaceError

    if fast:
        win = _start_fast(args)
        if win is not None:
            return win
    if args.workspace is not None or args.demo:
        ws = open_workspace(None if args.demo else args.workspace, readonly=args.readonly)
        return build_window(ws, args.as_of)
    last = last_workspace()
    if last is None:
        return show_start()
    try:
        ws = open_workspace(last, readonly=args.readonly)
    except WorkspaceError as exc:
        log.warning("cannot reopen the last workspace %s: %s", last, exc)
        return show_start(f"The last workspace, {last.name}, could not be opened: {exc}")
    return build_window(ws, args.as_of)


def _start_fast(args: argparse.Namespace):
    """The main window on the workspace's last figures, the workspace opening in the background;
    None when this start cannot paint figures before opening it (none saved, the demo not built
    yet, a page other than Overview in front)."""
    from PySide6.QtCore import QSettings

    if args.demo:
        path = config.demo_workspace_path()
    elif args.workspace is not None:
        path = Path(args.workspace)
    else:
        path = last_workspace()
    if path is None or not path.exists() or QSettings().value("window/page", 0, type=int) != 0:
        return None
    from desktop.store.figures import peek_figures

    saved = peek_figures(path)
    if saved is None:
        return None
    from desktop.ui.main_window import MainWindow
    from desktop.ui.session import Opening, Session

    session = Session(Opening(path, args.readonly, saved), as_of=args.as_of)
    win = MainWindow(session)
    win.openWorkspaceRequested.connect(lambda p, w=win: _switch(w, p))
    _windows.append(win)
    explicit = args.workspace is not None or args.demo
    remember(session.workspace.path)  # read already (its figures): a start killed from here reopens it
    session.openFailed.connect(lambda exc, w=win: _open_failed(w, exc, explicit))
    # after the first paint: the worker's imports then never hold up the window
    _after_first_paint(win, lambda: None if win.closed else session.open_workspace(_opener(path, args.readonly)))
    return win


class _FirstPaint(QObject):
    """Calls ``fn`` once, just after ``win`` first painted (or after ``fallback_ms``, for a
    window that is not shown)."""

    def __init__(self, win, fn, fallback_ms: int):
        super().__init__(win)
        self._win, self._fn, self._done = win, fn, False
        QApplication.instance().installEventFilter(self)
        QTimer.singleShot(fallback_ms, self._fire)

    def eventFilter(self, obj, event) -> bool:  # Qt naming
        if not self._done and event.type() == QEvent.Type.Paint and isinstance(obj, QWidget) \
                and obj.window() is self._win:
            QTimer.singleShot(0, self._fire)  # once this paint has gone to the screen
        return False

    def _fire(self) -> None:
        if self._done:
            return
        self._done = True
        QApplication.instance().removeEventFilter(self)
        self._fn()


def _after_first_paint(win, fn, fallback_ms: int = 1000) -> None:
    win._first_paint_hook = _FirstPaint(win, fn, fallback_ms)


def _opener(path: Path, readonly: bool):
    """The background half of a fast start: open the workspace (in the worker)."""

    def job(progress):
        from desktop.domain.progress import Cancelled
        from desktop.store import Workspace

        ws = Workspace.open(path, readonly=readonly)
        if progress.cancelled:  # the window closed meanwhile: nothing may keep the lock
            ws.close()
            raise Cancelled()
        return ws

    return job


def _open_failed(win, exc: BaseException, explicit: bool) -> None:
    """The workspace of a fast start could not be opened: as a start that opens it first does,
    ask about a workspace in use, else say why (asked for by name) or show the start page
    saying why (the last workspace)."""
    from desktop.store import WorkspaceError, WorkspaceLocked
    from desktop.ui.session import Opening

    session = win.session
    path = session.workspace.path
    if isinstance(exc, WorkspaceLocked) and not session.workspace.readonly:
        answer = QMessageBox.question(win, "Workspace in use", f"{exc}\n\nOpen it read-only?")
        if answer == QMessageBox.StandardButton.Yes:
            session.workspace = Opening(path, True, session.saved_figures)
            session.open_workspace(_opener(path, True))
            return
    if not isinstance(exc, WorkspaceError):
        log.error("cannot open %s", path, exc_info=exc)
    win.close()
    if win in _windows:
        _windows.remove(win)
    if explicit:
        QMessageBox.critical(None, "CommitDesk", str(exc))
        QCoreApplication.exit(2)
        return
    show_start(f"The last workspace, {path.name}, could not be opened: {exc}").show()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    setup_logging()
    app = make_app()
    sys.excepthook = excepthook
    from desktop.store import WorkspaceError

    try:
        win = start_window(args, fast=True)
    except WorkspaceError as exc:
        QMessageBox.critical(None, "CommitDesk", str(exc))
        return 2
    win.show()
    if args.quit_after_ms is not None:
        # a local event loop, so a smoke run (or a test) never puts the application itself into
        # its quitting state
        loop = QEventLoop()

        def _quit() -> None:
            for w in list(_windows):
                w.close()
            loop.quit()

        QTimer.singleShot(max(0, args.quit_after_ms), _quit)
        loop.exec()
        rc = 0
    else:
        rc = app.exec()
    for w in list(_windows):
        session = getattr(w, "session", None)
        if session is not None:
            session.shutdown()
            session.workspace.close()
    _windows.clear()
    return int(rc)
