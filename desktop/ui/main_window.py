"""The main window: composes the pages, menus, toolbar and status bar. No figures here.

Each page sits under a banner that shows the session's figures state (out of date, refreshing);
a page whose figures could not be computed at all is replaced by the imported rows it is built
from (``InputsPanel``) until a recompute succeeds.

Pages are built when first shown or first asked for (``page(key)``, ``pages``, ``page_by_key``):
a start-up builds the page in front only, so neither the other pages' modules nor pyqtgraph
(loaded with the first chart) stand between the process start and the first paint."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QDate, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop import config
from desktop.domain import palette
from desktop.ui.date_edit import DateEdit
from desktop.ui.session import SAVED_FIGURES as SAVED_PAGE
from desktop.ui.session import Session
from desktop.ui.widgets import Banner, FilterChips, InputsPanel
from desktop.ui.workers import TaskRunner

# the pages in navigation order: (key, title, module, class). A page's module is imported and the
# page built when it is first shown or asked for; key and title are the class's own (a test holds
# them equal), here so the navigation can list every page before any is built.
PAGES = (
    ("overview", "Overview", "desktop.ui.pages.overview", "OverviewPage"),
    ("contracts", "Contracts", "desktop.ui.pages.contracts", "ContractsPage"),
    ("usage", "Usage", "desktop.ui.pages.usage", "UsagePage"),
    ("invoices", "Invoices", "desktop.ui.pages.invoices", "InvoicesPage"),
    ("budgets", "Budgets", "desktop.ui.pages.budgets", "BudgetsPage"),
    ("renewal", "Renewal", "desktop.ui.pages.renewal", "RenewalPage"),
    ("actions", "Actions", "desktop.ui.pages.actions", "ActionsPage"),
    ("roi", "ROI", "desktop.ui.pages.roi", "RoiPage"),
)
PAGE_KEYS = tuple(k for k, *_ in PAGES)


def page_class(key: str) -> type:
    """The page class of ``key`` (its module imported on first use)."""
    _key, _title, module, name = PAGES[PAGE_KEYS.index(key)]
    return getattr(importlib.import_module(module), name)


class _Pages(Sequence):
    """``MainWindow.pages``: every page in navigation order, each built when first read."""

    def __init__(self, win: MainWindow):
        self._win = win

    def __len__(self) -> int:
        return len(PAGES)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(len(PAGES))[i]]
        return self._win.page(PAGE_KEYS[i])

    def index(self, page, *args) -> int:  # type: ignore[override]
        return PAGE_KEYS.index(page.key)


class _PageMap(Mapping):
    """``MainWindow.page_by_key``: key -> page, each built when first read."""

    def __init__(self, win: MainWindow):
        self._win = win

    def __getitem__(self, key: str):
        if key not in PAGE_KEYS:
            raise KeyError(key)
        return self._win.page(key)

    def __iter__(self) -> Iterator[str]:
        return iter(PAGE_KEYS)

    def __len__(self) -> int:
        return len(PAGES)

# what a page shows when no figures could be computed: page key -> (heading, input table or
# "batches" or None for a line only). Pages not listed (actions, ROI) need no figures.
UNANALYSED_VIEWS = {
    "overview": ("Imported files", "batches"),
    "contracts": ("Commit schedule as imported", "commitments"),
    "usage": ("Usage rows as imported", "usage"),
    "invoices": ("Invoice lines as imported", "invoices"),
    "budgets": ("Budget lines as imported", "budgets"),
    "renewal": ("Renewal scenarios", None),
}
REFRESHING_DELAY_MS = 250  # a recompute quicker than this does not flash a banner


class MainWindow(QMainWindow):
    openWorkspaceRequested = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setAcceptDrops(True)
        if session.opening:  # start-up: the workspace opens in the background (desktop/app.py)
            self.sample_data = bool((session.saved_figures or {}).get("sample_data"))
        else:
            from desktop.store import is_sample_data

            self.sample_data = is_sample_data(session.workspace)
        # the platform adds " — CommitDesk" (the application display name) to the title
        self._title = session.workspace.path.name + (" — Sample data" if self.sample_data else "")
        self.setWindowTitle(self._title)
        self._built: dict[str, object] = {}  # page key -> page, for the pages built so far
        # the Overview's figures are prepared (and kept for the next start) whichever page is shown
        session.preparers.setdefault(SAVED_PAGE, page_class(SAVED_PAGE).preparer)
        self.pages = _Pages(self)
        self.page_by_key = _PageMap(self)
        self.banners: dict[str, Banner] = {}
        self.unanalysed_views: dict[str, InputsPanel] = {}
        self._faces: dict[str, QStackedWidget] = {}  # page key -> [page, its unanalysed view]

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        for i, (_key, title, *_rest) in enumerate(PAGES):
            self.nav.addItem(title)
            self.nav.item(i).setToolTip(f"{title} (Ctrl+{i + 1})")
        self.nav.setFixedWidth(150)
        self.chip_stack = QStackedWidget()
        self.stack = QStackedWidget()
        for _ in PAGES:  # a page takes its place here when it is built
            self.stack.addWidget(QWidget())
            self.chip_stack.addWidget(QWidget())
        self.nav.currentRowChanged.connect(self._page_changed)
        central = QWidget()
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.sample_banner = self._sample_banner()
        outer.addWidget(self.sample_banner)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        outer.addLayout(row, 1)
        self.setCentralWidget(central)

        self._pending_export: Path | None = None
        self._summary_outputs = None
        self.stale_export_box: QMessageBox | None = None
        self._refreshing_timer = QTimer(self)
        self._refreshing_timer.setSingleShot(True)
        self._refreshing_timer.setInterval(REFRESHING_DELAY_MS)
        self._refreshing_timer.timeout.connect(self._show_state)

        self.brief_runner = TaskRunner("brief", self)
        self.brief_runner.finished.connect(self._brief_done)
        self.brief_runner.failed.connect(self._show_failure)
        session.register_runner(self.brief_runner)

        self._build_actions()
        self._build_toolbar()
        self._build_status()
        session.analysisChanged.connect(self._analysis_changed)
        session.navigateRequested.connect(self.navigate)
        session.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        session.failed.connect(self._show_failure)
        session.undoChanged.connect(self._undo_state)
        session.stateChanged.connect(self._state_changed)
        for r in session.runners:
            self._watch(r)
        session.runnerAdded.connect(self._watch)
        session.workspaceOpened.connect(self._workspace_opened)
        self._restore()
        if session.opening:
            self._set_opening(True)
            self._show_state()  # the last figures are on screen: said so from the first paint
        self.last_brief: Path | None = None
        self.wizard = None
        self.guide = None  # Help > User guide, created when first opened

    # --- a workspace opening in the background (start-up) --------------------------------------
    def _set_opening(self, opening: bool) -> None:
        """While the workspace opens nothing can act on it: menus' actions, the toolbar and the
        page list wait (the last figures show, marked as refreshing); then everything is as usual."""
        if opening:
            self._held = [a for a in self.actions() if a.isEnabled() and a is not self.a_quit]
            for a in self._held:
                a.setEnabled(False)
        else:
            for a in getattr(self, "_held", []):
                a.setEnabled(True)
            self._held = []
        self.toolbar.setEnabled(not opening)
        self.nav.setEnabled(not opening)
        self.setAcceptDrops(not opening)

    def _workspace_opened(self) -> None:
        from desktop.store import is_sample_data

        self._set_opening(False)
        self.sample_data = is_sample_data(self.session.workspace)
        self.sample_banner.setVisible(self.sample_data)
        self._title = self.session.workspace.path.name + (" — Sample data" if self.sample_data else "")
        self._show_state()
        ws = self.session.workspace
        self.s_workspace.setText(f"Workspace: {ws.path.name}" + (" (read-only)" if ws.readonly else ""))
        self._update_last_import()
        self._undo_state()

    # --- building ----------------------------------------------------------------------------
    def page(self, key: str):
        """The page ``key``, built now if it was not yet: put in its place in the stack, its
        banner and imported-rows face showing the session's state, and handed the figures the
        session already has."""
        page = self._built.get(key)
        if page is not None:
            return page
        page = page_class(key)(self.session)
        self._built[key] = page
        i = PAGE_KEYS.index(key)
        for stack, widget in ((self.stack, self._frame(page)), (self.chip_stack, page.chips)):
            current = stack.currentIndex()
            old = stack.widget(i)
            stack.insertWidget(i, widget)
            stack.removeWidget(old)
            old.deleteLater()
            stack.setCurrentIndex(current)
        kind, headline, text, buttons, detail = self._banner_content()
        self.banners[key].show_state(kind, headline, text, buttons, detail)
        self._show_faces()
        page.catch_up()
        return page

    def built_pages(self) -> list:
        """The pages built so far, in navigation order."""
        return [self._built[k] for k in PAGE_KEYS if k in self._built]

    def _frame(self, page) -> QWidget:
        """The page under its banner; for a page that needs figures, a second face that shows
        the imported rows when there are none."""
        frame = QWidget()
        lay = QVBoxLayout(frame)
        lay.setContentsMargins(12, 8, 12, 0)
        lay.setSpacing(0)
        banner = Banner(frame)
        self.banners[page.key] = banner
        page.banner = banner  # the page's own banner (tests and screenshots look at it)
        lay.addWidget(banner)
        # the page's filters, always visible and removable, in the toolbar beside the filter box
        # (one chip bar per page, the current page's shown; no extra line above the pages)
        page.chips = FilterChips(page)
        page.filtersChanged.connect(lambda p=page: self._sync_filter_box(p))
        faces = QStackedWidget()
        faces.addWidget(page)
        view = UNANALYSED_VIEWS.get(page.key)
        if view is not None:
            panel = InputsPanel(view[0], with_table=view[1] is not None)
            self.unanalysed_views[page.key] = panel
            faces.addWidget(panel)
        self._faces[page.key] = faces
        lay.addWidget(faces, 1)
        return frame

    def _sample_banner(self) -> QWidget:
        """A band above every page while the demo's sample data is open (never exported by mistake
        as the analyst's own numbers): what it is and the way to one's own workspace. One line, so
        it costs the pages no room (a 1280x720 screen)."""
        band = QLabel()
        band.setObjectName("sampleBanner")
        band.setStyleSheet(f"QLabel#sampleBanner {{ background: {palette.ORANGE}; color: black; padding: 2px 12px; }}")
        band.setText("<b>Sample data</b> — the demo workspace: every figure is made up. "
                     "<a href='new' style='color: black'>Create a workspace</a> or "
                     "<a href='open' style='color: black'>open one</a> for your own data.")
        band.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        band.linkActivated.connect(lambda link: self.new_workspace_dialog() if link == "new"
                                   else self.open_workspace_dialog())
        self.sample_label = band
        band.setVisible(self.sample_data)
        return band

    def _act(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
        a.triggered.connect(slot)
        self.addAction(a)
        return a

    def _build_actions(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self.a_open = self._act("&Open workspace…", self.open_workspace_dialog, QKeySequence.StandardKey.Open)
        self.a_new = self._act("&New workspace…", self.new_workspace_dialog, QKeySequence.StandardKey.New)
        self.a_import = self._act("&Import files…", self.import_dialog, "Ctrl+I",
                                  "Import usage, invoices, commitments, budgets…")
        self.a_connect = self._act("Connect to &warehouse…", self.connection_dialog, None,
                                   "Import usage rolled up where it lives (DuckDB, PostgreSQL, Spark, Snowflake ...)")
        self.a_export = self._act("&Export brief…", self.export_brief_dialog, "Ctrl+E",
                                  "Write the Excel working brief")
        self.a_summary_pdf = self._act("Export summary &PDF…", self.export_summary_pdf, "Ctrl+Shift+E",
                                       "Page 1 of the brief and the charts as a PDF")
        self.a_print = self._act("&Print…", self.print_summary, QKeySequence.StandardKey.Print,
                                 "Print page 1 of the brief and the charts")
        self.a_table_xlsx = self._act("Export table to E&xcel…", lambda: self.export_table("xlsx"), None,
                                      "The table shown (or the one with the focus) as an Excel workbook")
        self.a_table_csv = self._act("Export table as &CSV…", lambda: self.export_table("csv"), None,
                                     "The table shown (or the one with the focus) as CSV: raw numbers, ISO dates")
        self.a_settings = self._act("&Settings…", self.settings_dialog, "Ctrl+,")
        self.a_batches = self._act("Imported &files…", self.batches_dialog, "Ctrl+Shift+I",
                                   "Every imported file; remove one")
        self.a_quit = self._act("&Quit", self.close, QKeySequence.StandardKey.Quit)
        f.addAction(self.a_open)
        f.addAction(self.a_new)
        self.recent_menu = f.addMenu("Recent workspaces")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.a_demo = self._act("Open the &demo (sample data)", lambda: self.openWorkspaceRequested.emit("demo"))
        f.addAction(self.a_demo)
        f.addSeparator()
        f.addAction(self.a_import)
        f.addAction(self.a_connect)
        f.addAction(self.a_export)
        f.addAction(self.a_summary_pdf)
        f.addAction(self.a_table_xlsx)
        f.addAction(self.a_table_csv)
        f.addAction(self.a_batches)
        f.addSeparator()
        f.addAction(self.a_print)
        f.addSeparator()
        f.addAction(self.a_settings)
        f.addSeparator()
        f.addAction(self.a_quit)
        e = mb.addMenu("&Edit")
        self.a_undo = self._act("&Undo", self.session.undo, QKeySequence.StandardKey.Undo)
        self.a_redo = self._act("&Redo", self.session.redo, "Ctrl+Y")
        self.a_redo.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        self.a_find = self._act("&Filter…", lambda: self.filter.setFocus(), QKeySequence.StandardKey.Find)
        self.a_recompute = self._act("&Recompute figures", lambda: self.session.recompute(), "F5",
                                     "Compute every figure again from the workspace")
        e.addAction(self.a_undo)
        e.addAction(self.a_redo)
        e.addSeparator()
        e.addAction(self.a_find)
        self.a_clear_filters = self._act("&Clear filters on every page", self.session.clear_all_filters,
                                         "Ctrl+Shift+F", "Remove the filters of every page")
        e.addAction(self.a_clear_filters)
        v = mb.addMenu("&View")
        v.addAction(self.a_recompute)
        v.addSeparator()
        self.page_actions = []
        for i, (_key, title, *_rest) in enumerate(PAGES):
            a = self._act(title, lambda _=False, i=i: self.show_page(i), f"Ctrl+{i + 1}")
            v.addAction(a)
            self.page_actions.append(a)
        h = mb.addMenu("&Help")
        self.a_guide = self._act("&User guide", self.show_guide, QKeySequence.StandardKey.HelpContents,
                                 "How to read and use each screen (opens at the page in front)")
        self.a_shortcuts = self._act("&Keyboard shortcuts", self.show_shortcuts, "Ctrl+/")
        h.addAction(self.a_guide)
        h.addAction(self.a_shortcuts)
        h.addSeparator()
        h.addAction(self._act("&About CommitDesk", self._about))
        h.addAction(self._act("Open &log folder", self._open_logs))

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
        self.toolbar = tb
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(tb)
        tb.addAction(self.a_import)
        tb.addAction(self.a_export)
        tb.addSeparator()
        tb.addWidget(QLabel(" As of "))
        self.latest = QCheckBox("latest usage")
        self.latest.setChecked(self.session.as_of is None)
        self.latest.setToolTip("Use the latest usage date as the as-of date")
        self.as_of = DateEdit()
        self.as_of.setEnabled(self.session.as_of is not None)
        if self.session.as_of is not None:
            d = self.session.as_of
            self.as_of.setDate(QDate(d.year, d.month, d.day))
        else:  # no date until the figures give one ("2000-01-01" would be a made-up as-of)
            self.as_of.setMinimumDate(QDate(1900, 1, 1))
            self.as_of.setSpecialValueText(" ")
            self.as_of.setDate(self.as_of.minimumDate())
        tb.addWidget(self.as_of)
        tb.addWidget(self.latest)
        self.latest.toggled.connect(self._as_of_mode)
        self.as_of.editingFinished.connect(self._as_of_changed)
        self.as_of.dateChanged.connect(lambda *_: self._as_of_timer.start())
        self._as_of_timer = QTimer(self)
        self._as_of_timer.setSingleShot(True)
        self._as_of_timer.setInterval(600)
        self._as_of_timer.timeout.connect(self._as_of_changed)
        tb.addSeparator()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter this page (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMaximumWidth(320)
        self.filter.textChanged.connect(self._filter_changed)
        tb.addWidget(self.filter)
        tb.addWidget(self.chip_stack)

    def _build_status(self) -> None:
        sb = self.statusBar()
        self.s_state = QLabel("")
        self.s_state.setObjectName("figuresState")
        self.s_state.setVisible(False)
        sb.addPermanentWidget(self.s_state)
        self.s_workspace = QLabel("")
        self.s_as_of = QLabel("")
        self.s_import = QLabel("")
        self.s_task = QLabel("")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(180)
        self.progress.setVisible(False)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setVisible(False)
        self.cancel_btn.clicked.connect(self._cancel_tasks)
        for w in (self.s_workspace, self.s_as_of, self.s_import):
            sb.addPermanentWidget(w)
        sb.addPermanentWidget(self.s_task)
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.cancel_btn)
        self.s_workspace.setText(f"Workspace: {self.session.workspace.path.name}"
                                 + (" (read-only)" if self.session.workspace.readonly else ""))
        self.s_workspace.setToolTip(str(self.session.workspace.path))
        self._update_last_import()

    # --- background tasks in the status bar ---------------------------------------------------
    def _watch(self, runner: TaskRunner) -> None:
        runner.started.connect(lambda label, r=runner: self._task_started(r, label))
        runner.progress.connect(self._task_progress)
        runner.busyChanged.connect(lambda _b: self._task_idle())

    def _task_started(self, runner: TaskRunner, label: str) -> None:
        self.s_task.setText(label)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.cancel_btn.setVisible(True)

    def _task_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        if text:
            self.s_task.setText(text[:80])

    def _task_idle(self) -> None:
        if not any(r.busy for r in self.session.runners):
            self.progress.setVisible(False)
            self.cancel_btn.setVisible(False)
            self.s_task.setText("")

    def _cancel_tasks(self) -> None:
        for r in self.session.runners:
            if r.busy:
                r.cancel()
        self.statusBar().showMessage("Cancelled", 4000)

    # --- pages -------------------------------------------------------------------------------
    def show_page(self, index: int) -> None:
        self.nav.setCurrentRow(index)

    def current_page(self):
        return self.page(PAGE_KEYS[max(0, self.stack.currentIndex())])

    def current_view(self):
        """What the current page shows: the page, or its imported rows when there are no figures."""
        page = self.current_page()
        faces = self._faces[page.key]
        return faces.currentWidget()

    def _page_changed(self, index: int) -> None:
        if index < 0:
            return
        self.page(PAGE_KEYS[index])  # built when first shown
        self.stack.setCurrentIndex(index)
        self.chip_stack.setCurrentIndex(index)
        # each page keeps its own filter: the box shows the new page's text (never a hidden one)
        self._sync_filter_box(self.current_page())

    def _sync_filter_box(self, page) -> None:
        if page is self.current_page() and self.filter.text() != page.text_filter:
            self.filter.blockSignals(True)
            self.filter.setText(page.text_filter)
            self.filter.blockSignals(False)

    def navigate(self, key: str, ref: dict) -> None:
        if key not in PAGE_KEYS:
            return
        page = self.page(key)
        self.show_page(PAGE_KEYS.index(key))
        page.ensure_fresh()
        if ref:
            page.show_ref(ref)

    def _filter_changed(self, text: str) -> None:
        self.current_view().apply_filter(text)

    # --- as-of -------------------------------------------------------------------------------
    def _as_of_mode(self, latest: bool) -> None:
        self.as_of.setEnabled(not latest)
        if not latest and self.as_of.date() == self.as_of.minimumDate() and self.as_of.specialValueText():
            self.as_of.blockSignals(True)
            self.as_of.setDate(QDate.currentDate())  # never the blank placeholder as a date
            self.as_of.blockSignals(False)
        if latest:
            self.session.set_as_of(None)
        else:
            self._as_of_changed()

    def _as_of_changed(self) -> None:
        self._as_of_timer.stop()
        if self.latest.isChecked():
            return
        self.session.set_as_of(self.as_of.date().toPython())

    def _analysis_changed(self, a) -> None:
        if self._warm is None:
            self._warm_up()
        self.s_as_of.setText(f"As of {a.as_of.isoformat()}")
        if self.latest.isChecked():
            self.as_of.blockSignals(True)
            self.as_of.setDate(QDate(a.as_of.year, a.as_of.month, a.as_of.day))
            self.as_of.blockSignals(False)
        self._update_last_import()

    # --- figures state (the session decides; this only shows it) -----------------------------
    def _state_changed(self) -> None:
        if self.session.refreshing and self.session.saved_figures and self.session.analysis is None:
            self._refreshing_timer.stop()  # last figures on screen: said at once, from the first paint
            self._show_state()
            return
        if self.session.refreshing and self.session.stale_reason is None:
            # a quick recompute does not flash a band across every page: the status bar shows
            # its progress at once, the banner after REFRESHING_DELAY_MS
            if not self._refreshing_timer.isActive() and not self._any_banner("busy"):
                self._refreshing_timer.start()
            return
        self._refreshing_timer.stop()
        self._show_state()
        if not self.session.refreshing and self._pending_export is not None:
            out, self._pending_export = self._pending_export, None
            self.request_export(out)

    def _any_banner(self, kind: str) -> bool:
        return any(b.kind == kind for b in self.banners.values())

    def _show_state(self) -> None:
        s = self.session
        state = s.figures_state
        if state == "stale":
            words = "figures out of date" if s.analysis is not None else "figures could not be computed"
            self.setWindowTitle(f"{self._title} — {words}")
            self.s_state.setText(words[:1].upper() + words[1:])
            self.s_state.setStyleSheet(f"QLabel {{ color: {palette.VERMILLION}; font-weight: bold; }}")
            self.s_state.setToolTip(s.stale_reason or "")
            self.s_state.setVisible(True)
        elif state == "refreshing":
            self.setWindowTitle(f"{self._title} — refreshing figures")
            self.s_state.setText("Refreshing figures…")
            self.s_state.setStyleSheet("")
            self.s_state.setToolTip("")
            self.s_state.setVisible(True)
        else:
            self.setWindowTitle(self._title)
            self.s_state.setVisible(False)
        kind, headline, text, buttons, detail = self._banner_content()
        for banner in self.banners.values():
            banner.show_state(kind, headline, text, buttons, detail)
        self._show_faces()
        self.a_export.setEnabled((s.analysis is not None or s.refreshing) and not s.opening)
        self.a_summary_pdf.setEnabled(s.analysis is not None)
        self.a_print.setEnabled(s.analysis is not None)

    def _banner_content(self):
        """(kind, headline, text, buttons, detail) of the banner every page shows."""
        s = self.session
        state = s.figures_state
        if state == "refreshing":
            saved = s.saved_figures if s.analysis is None else None
            if saved:
                when = str(saved.get("computed_at", ""))[:16].replace("T", " at ")
                return ("busy", "Refreshing figures…",
                        f"The figures shown are the last ones computed{' on ' + when if when else ''}, "
                        "before this start; they are replaced when the workspace has been analysed again.",
                        [], "")
            if s.analysis is None:
                return "busy", "Computing figures…", "", [], ""
            after = f" after {s.refreshing_after}" if s.refreshing_after else ""
            shown = f"computed at {s.computed_at:%H:%M}" if s.computed_at is not None else "older"
            return ("busy", f"Refreshing figures{after}…",
                    f"The figures shown are the ones {shown}, from before the change.", [], "")
        if state != "stale":
            return None, "", "", [], ""
        headline = "Figures out of date:"
        detail = s.stale_hint
        if s.analysis is None:
            headline = "Figures could not be computed:"
            detail += " Meanwhile the pages show the imported data as it is."
        elif s.computed_at is not None:
            before = f", before {s.stale_after}" if s.stale_after else ""
            detail += f" The figures shown were computed at {s.computed_at:%H:%M}{before}."
        buttons = []
        ws = s.workspace
        if s.stale_undoable and ws.can_undo and not ws.readonly:
            buttons.append(("Undo the last edit", s.undo))
        buttons.append(("Imported files…", self.batches_dialog))
        buttons.append(("Recompute", s.recompute))
        return "stale", headline, f"{s.stale_reason}.", buttons, detail

    def _show_faces(self) -> None:
        """With no figures at all, the pages that need them show the imported rows instead."""
        s = self.session
        data = s.unanalysed if s.analysis is None else None
        for key, faces in self._faces.items():
            panel = self.unanalysed_views.get(key)
            if panel is None:
                continue
            if data is None:
                faces.setCurrentIndex(0)
                continue
            table = UNANALYSED_VIEWS[key][1]
            if table == "batches":
                panel.set_rows(_batch_columns(data.batches), _batches_line(data.batches))
            elif table is not None:
                n = data.rows.get(table, 0)
                files = {b.file_name for b in data.batches if b.kind == table}
                edits = " (with any edits of the schedule)" if table == "commitments" else ""
                panel.set_rows(data.tables.get(table, []),
                               f"{n:,} rows from {len(files)} file(s), as imported{edits}: not analysed, "
                               "because the figures could not be computed."
                               if n else f"No {table.replace('_', ' ')} imported.")
                if s.stale_source is not None and panel.mark_row(*s.stale_source):
                    panel.note.setText(panel.note.text() + f" Highlighted: {s.stale_source[0]} row "
                                                           f"{s.stale_source[1]}, the row named above.")
            else:
                panel.set_rows([], "Renewal scenarios are computed from the contracts' figures; they show "
                                   "again once the figures compute.")
            faces.setCurrentIndex(1)

    def _update_last_import(self) -> None:
        try:
            batches = self.session.workspace.batches()
        except Exception:  # the status bar never fails the window
            batches = []
        if batches:
            b = max(batches, key=lambda b: b.imported_at)
            self.s_import.setText(f"Last import: {b.file_name} ({b.imported_at[:16].replace('T', ' ')} UTC)")
        else:
            self.s_import.setText("No imports yet")

    def _undo_state(self) -> None:
        ws = self.session.workspace
        self.a_undo.setEnabled(ws.can_undo)
        self.a_redo.setEnabled(ws.can_redo)
        self.a_undo.setText(f"&Undo {ws.undo_label}" if ws.undo_label else "&Undo")
        self.a_redo.setText(f"&Redo {ws.redo_label}" if ws.redo_label else "&Redo")

    # --- dialogs -----------------------------------------------------------------------------
    def import_dialog(self, files: list[str] | None = None) -> None:
        from desktop.ui.dialogs.import_wizard import ImportWizard

        if not files:
            files, _ = QFileDialog.getOpenFileNames(
                self, "Import files", str(Path.home()),
                "Data files (*.csv *.tsv *.txt *.xlsx *.xlsm *.json *.parquet);;All files (*)")
            if not files:
                return
        if self.wizard is not None and self.wizard.isVisible():
            self.wizard.add_files([Path(f) for f in files])  # more files for the open wizard
            self.wizard.raise_()
            return
        if self.wizard is not None:
            self.wizard.deleteLater()
        self.wizard = ImportWizard(self.session, [Path(f) for f in files], self)
        self.wizard.imported.connect(self._imported)
        self.wizard.show()

    def connection_dialog(self) -> None:
        """File > Connect to warehouse... (desktop/ui/dialogs/connection.py)."""
        from desktop.ui.dialogs.connection import ConnectionDialog

        dlg = ConnectionDialog(self.session, self)
        dlg.imported.connect(self._imported)
        dlg.show()
        self.connection = dlg  # kept open (and alive) until closed

    def _imported(self, reports) -> None:
        n = sum(r.rows_imported for r in reports)
        self.statusBar().showMessage(f"Imported {n:,} rows from {len(reports)} file(s); recomputing", 8000)
        self._update_last_import()
        names = ", ".join(r.file for r in reports[:3]) + (f" and {len(reports) - 3} more" if len(reports) > 3 else "")
        self.session.recompute(f"importing {names}" if names else None)

    def export_brief_dialog(self, out: str | None = None) -> None:
        a = self.session.analysis
        if a is None and not self.session.refreshing:
            self._no_figures_box()
            return
        if not out:
            day = a.as_of.isoformat() if a is not None else "latest"
            default = config.default_workspace_dir() / f"CommitDesk brief {day}.xlsx"
            out, _ = QFileDialog.getSaveFileName(self, "Export brief", str(default), "Excel workbook (*.xlsx)")
            if not out:
                return
        self.request_export(Path(out))

    def request_export(self, out: Path) -> None:
        """Write the brief if the figures are current; wait for a running recompute; ask before
        writing figures that are out of date (and then mark them so on the first page)."""
        s = self.session
        if s.refreshing:
            self._pending_export = out
            self.statusBar().showMessage(f"{out.name} will be written when the figures are recomputed", 8000)
            return
        if s.analysis is None:
            self._no_figures_box()
            return
        if s.stale_reason is not None:
            self._ask_stale_export(out)
            return
        self.export_brief(out)

    def _no_figures_box(self) -> None:
        s = self.session
        why = f" {s.stale_reason}. {s.stale_hint}" if s.stale_reason else ""
        box = QMessageBox(QMessageBox.Icon.Information, "No figures to export",
                          "There are no figures to put in a brief: they could not be computed." + why,
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("noFiguresBox")
        box.open()

    def _ask_stale_export(self, out: Path) -> None:
        s = self.session
        box = QMessageBox(QMessageBox.Icon.Warning, "Figures out of date",
                          "The figures are out of date: a brief written now would show numbers that no "
                          "longer match the workspace.", parent=self)
        box.setObjectName("staleExportBox")
        when = f"They were computed at {s.computed_at:%Y-%m-%d %H:%M}" if s.computed_at else "They were computed"
        since = f", before {s.stale_after}" if s.stale_after else ""
        box.setInformativeText(f"{when}{since}, which failed: {s.stale_reason}.\n\n{s.stale_hint}")
        anyway = box.addButton("Export anyway, marked out of date", QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.export_anyway = anyway  # type: ignore[attr-defined]

        def answered(_result: int) -> None:
            if box.clickedButton() is anyway:
                self.export_brief(out)
            else:
                self.statusBar().showMessage("Brief not written: the figures are out of date", 8000)
            self.stale_export_box = None
            box.deleteLater()

        box.finished.connect(answered)
        self.stale_export_box = box
        box.open()

    def export_brief(self, out: Path) -> None:
        """Write the brief from the figures on screen; when they are out of date it says so on
        its first page (request_export asks first)."""
        from desktop.brief import write_brief

        a = self.session.analysis
        if a is None:
            return
        actions = self.session.actions()
        stale = self.session.stale_note()
        # the Sources block: each import batch's content hash (SHA-256), read here on the GUI thread
        hashes = {b.file_name: b.content_hash for b in self.session.workspace.batches()}
        # the Negotiation sheet: the renewal workbench's result when it is up to date, the other
        # vendors' built in the brief's worker with the stored forecast overlays
        neg = getattr(self._built.get("renewal"), "current_negotiation", None)  # a page never shown: none
        overlays = self.session.workspace.overlays()
        self.brief_runner.start(lambda p: (write_brief(a, out, actions=actions, progress=p, stale=stale,
                                                       file_hashes=hashes, negotiations=[neg] if neg else None,
                                                       overlays=overlays), out)[1],
                                label=f"Writing {out.name}" + (" (marked out of date)" if stale else ""))

    def _brief_done(self, out) -> None:
        self.last_brief = Path(out)
        marked = " (marked out of date)" if self.session.stale_reason is not None else ""
        self.statusBar().showMessage(f"Brief written: {out}{marked}", 10000)

    # --- summary PDF, print, table exports (desktop.ui.exports) -------------------------------
    @property
    def summary_outputs(self):
        if self._summary_outputs is None:
            from desktop.ui.exports import SummaryOutputs

            self._summary_outputs = SummaryOutputs(self)
        return self._summary_outputs

    def export_summary_pdf(self, out: str | Path | None = None) -> bool:
        return self.summary_outputs.export_pdf(out or None)  # a menu's triggered passes False

    def print_summary(self, printer=None) -> bool:
        return self.summary_outputs.print(printer or None)

    def export_table(self, fmt: str, path: str | Path | None = None) -> bool:
        from desktop.ui.exports import exports_of

        table = self.current_page().current_table()
        if table is None:
            self.statusBar().showMessage(f"{self.current_page().title} has no table to export", 6000)
            return False
        return exports_of(table).export(fmt, path)

    def batches_dialog(self) -> None:
        from desktop.ui.dialogs.batches import BatchesDialog

        BatchesDialog(self.session, self).exec()
        self._update_last_import()

    def settings_dialog(self) -> None:
        from desktop.ui import appearance
        from desktop.ui.dialogs.settings import SettingsDialog

        current = self.session.workspace.settings()
        dlg = SettingsDialog(current, self, appearance=appearance.current_mode())
        if dlg.exec() and dlg.result_settings is not None:
            if dlg.appearance != appearance.current_mode():
                self.set_appearance(dlg.appearance)
            if dlg.result_settings != current:
                self.session.set_settings(dlg.result_settings)

    def set_appearance(self, mode: str) -> None:
        """Light / dark / system: the palette now (charts follow it), saved for the next start;
        the pages redraw their tints and tiles for the new background."""
        from desktop.ui import appearance

        appearance.set_mode(QApplication.instance(), mode)
        self.session.redraw()

    def open_workspace_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open workspace", str(config.default_workspace_dir()),
                                              f"CommitDesk workspace (*{config.WORKSPACE_SUFFIX})")
        if path:
            self.openWorkspaceRequested.emit(path)

    def new_workspace_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "New workspace", str(config.default_workspace_dir()),
                                              f"CommitDesk workspace (*{config.WORKSPACE_SUFFIX})")
        if path:
            if not path.endswith(config.WORKSPACE_SUFFIX):
                path += config.WORKSPACE_SUFFIX
            self.openWorkspaceRequested.emit("new:" + path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = config.recent_workspaces()
        if not recent:
            a = self.recent_menu.addAction("(none)")
            a.setEnabled(False)
        for p in recent:
            a = self.recent_menu.addAction(p.name)
            a.setToolTip(str(p))
            a.triggered.connect(lambda _=False, p=p: self.openWorkspaceRequested.emit(str(p)))

    def show_guide(self, key: str | None = None) -> None:
        """Help > User guide at ``key``'s chapter (default: the page in front)."""
        from desktop.ui.dialogs.help import GuideDialog

        if self.guide is None:
            self.guide = GuideDialog(self, key or self.current_page().key)
        else:
            self.guide.show_chapter(key or self.current_page().key)
        self.guide.show()
        self.guide.raise_()

    def show_shortcuts(self) -> None:
        from desktop.ui.dialogs.help import ShortcutsDialog

        ShortcutsDialog(self).exec()

    def _about(self) -> None:
        from desktop.ui.dialogs.about import show_about

        show_about(self)

    def _open_logs(self) -> None:
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(config.log_dir())))

    def _show_failure(self, exc) -> None:
        from desktop.domain.errors import InputError
        from desktop.store import WorkspaceError
        from desktop.ui.dialogs.error import ErrorDialog

        if isinstance(exc, InputError | WorkspaceError):
            ErrorDialog("CommitDesk", str(exc), parent=self).open()
            return
        import traceback

        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        ErrorDialog("Something went wrong", f"{type(exc).__name__}: {exc}\n\nThe workspace is unchanged.",
                    details, parent=self).open()

    # --- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        files = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.import_dialog(files)

    # --- state -------------------------------------------------------------------------------
    def _restore(self) -> None:
        s = QSettings()
        geo = s.value("window/geometry", b"", type=bytes)
        if geo:
            self.restoreGeometry(geo)
        else:
            self.resize(1440, 900)
        page = s.value("window/page", 0, type=int)
        self.show_page(page if 0 <= page < len(PAGES) else 0)

    def save_state(self) -> None:
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/page", self.stack.currentIndex())

    closed = False  # closeEvent ran (a fast start's background open then never starts)
    _warm: TaskRunner | None = None

    def _warm_up(self) -> None:
        """Once the first figures are on screen, the pages' modules and pyqtgraph are imported in
        a worker (a second or more of imports), so the first visit of a page with a chart does not
        hold up the GUI thread with them. Nothing is built; only modules load."""
        self._warm = TaskRunner("warm-up", self)

        def job(_p):
            for _key, _title, module, _cls in PAGES:
                importlib.import_module(module)
            importlib.import_module("desktop.ui.charts")

        self._warm.start(job, label="")

    def closeEvent(self, event) -> None:
        self.closed = True
        if self._warm is not None:
            self._warm.shutdown()
        self.save_state()
        if self.wizard is not None:
            self.wizard.close()
        self.session.shutdown()
        self.session.workspace.close()  # releases the lock; every change is already committed
        super().closeEvent(event)



def _batch_columns(batches) -> list:
    from desktop.ui.models.table import Col

    return [
        Col.text("File", [b.file_name for b in batches]),
        Col.text("Kind", [b.kind.replace("_", " ") for b in batches]),
        Col.ints("Rows imported", [b.report.rows_imported for b in batches]),
        Col.ints("Rows rejected", [b.report.rows_rejected for b in batches]),
        Col.text("Format", [b.format for b in batches]),
        Col.text("Imported (UTC)", [b.imported_at[:16].replace("T", " ") for b in batches]),
        Col.text("Source", [b.source_path or "" for b in batches]),
    ]


def _batches_line(batches) -> str:
    if not batches:
        return "Nothing imported yet: import files with File > Import files (Ctrl+I)."
    rows = sum(b.report.rows_imported for b in batches)
    return (f"{len(batches)} imported file(s), {rows:,} rows in all. The other pages show the rows as "
            "imported; the figures will show once they compute.")
