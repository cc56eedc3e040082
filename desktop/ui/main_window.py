"""The main window: composes the pages, menus, toolbar and status bar. No figures here."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QDate, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from desktop import config
from desktop.ui.pages.actions import ActionsPage
from desktop.ui.pages.budgets import BudgetsPage
from desktop.ui.pages.contracts import ContractsPage
from desktop.ui.pages.invoices import InvoicesPage
from desktop.ui.pages.overview import OverviewPage
from desktop.ui.pages.renewal import RenewalPage
from desktop.ui.pages.roi import RoiPage
from desktop.ui.pages.usage import UsagePage
from desktop.ui.session import Session
from desktop.ui.workers import TaskRunner

PAGE_CLASSES = (OverviewPage, ContractsPage, UsagePage, InvoicesPage, BudgetsPage, RenewalPage, ActionsPage,
                RoiPage)


class MainWindow(QMainWindow):
    openWorkspaceRequested = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setAcceptDrops(True)
        self.setWindowTitle(f"CommitDesk — {session.workspace.path.name}")
        self.pages = [cls(session) for cls in PAGE_CLASSES]
        self.page_by_key = {p.key: p for p in self.pages}

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        for i, p in enumerate(self.pages):
            self.nav.addItem(f"{p.title}")
            self.nav.item(i).setToolTip(f"{p.title} (Ctrl+{i + 1})")
        self.nav.setFixedWidth(150)
        self.stack = QStackedWidget()
        for p in self.pages:
            self.stack.addWidget(p)
        self.nav.currentRowChanged.connect(self._page_changed)
        central = QWidget()
        row = QHBoxLayout(central)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        self.setCentralWidget(central)

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
        for r in session.runners:
            self._watch(r)
        session.runnerAdded.connect(self._watch)
        self._restore()
        self.last_brief: Path | None = None
        self.wizard = None

    # --- building ----------------------------------------------------------------------------
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
        self.a_export = self._act("&Export brief…", self.export_brief_dialog, "Ctrl+E",
                                  "Write the Excel working brief")
        self.a_settings = self._act("&Settings…", self.settings_dialog, "Ctrl+,")
        self.a_batches = self._act("Imported &files…", self.batches_dialog, "Ctrl+Shift+I",
                                   "Every imported file; remove one")
        self.a_quit = self._act("&Quit", self.close, QKeySequence.StandardKey.Quit)
        f.addAction(self.a_open)
        f.addAction(self.a_new)
        self.recent_menu = f.addMenu("Recent workspaces")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        f.addSeparator()
        f.addAction(self.a_import)
        f.addAction(self.a_export)
        f.addAction(self.a_batches)
        f.addSeparator()
        f.addAction(self.a_settings)
        f.addSeparator()
        f.addAction(self.a_quit)
        e = mb.addMenu("&Edit")
        self.a_undo = self._act("&Undo", self.session.undo, QKeySequence.StandardKey.Undo)
        self.a_redo = self._act("&Redo", self.session.redo, "Ctrl+Y")
        self.a_redo.setShortcuts([QKeySequence("Ctrl+Y"), QKeySequence("Ctrl+Shift+Z")])
        self.a_find = self._act("&Filter…", lambda: self.filter.setFocus(), QKeySequence.StandardKey.Find)
        e.addAction(self.a_undo)
        e.addAction(self.a_redo)
        e.addSeparator()
        e.addAction(self.a_find)
        v = mb.addMenu("&View")
        self.page_actions = []
        for i, p in enumerate(self.pages):
            a = self._act(p.title, lambda _=False, i=i: self.show_page(i), f"Ctrl+{i + 1}")
            v.addAction(a)
            self.page_actions.append(a)
        h = mb.addMenu("&Help")
        h.addAction(self._act("&About CommitDesk", self._about))
        h.addAction(self._act("Open &log folder", self._open_logs))

    def _build_toolbar(self) -> None:
        tb = QToolBar("Main")
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
        self.as_of = QDateEdit()
        self.as_of.setCalendarPopup(True)
        self.as_of.setDisplayFormat("yyyy-MM-dd")
        self.as_of.setEnabled(self.session.as_of is not None)
        if self.session.as_of is not None:
            d = self.session.as_of
            self.as_of.setDate(QDate(d.year, d.month, d.day))
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

    def _build_status(self) -> None:
        sb = self.statusBar()
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
        return self.pages[self.stack.currentIndex()]

    def _page_changed(self, index: int) -> None:
        if index < 0:
            return
        self.stack.setCurrentIndex(index)
        page = self.pages[index]
        if self.filter.text():
            page.apply_filter(self.filter.text())

    def navigate(self, key: str, ref: dict) -> None:
        page = self.page_by_key.get(key)
        if page is None:
            return
        self.show_page(self.pages.index(page))
        page.ensure_fresh()
        if ref:
            page.show_ref(ref)

    def _filter_changed(self, text: str) -> None:
        self.current_page().apply_filter(text)

    # --- as-of -------------------------------------------------------------------------------
    def _as_of_mode(self, latest: bool) -> None:
        self.as_of.setEnabled(not latest)
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
        self.s_as_of.setText(f"As of {a.as_of.isoformat()}")
        if self.latest.isChecked():
            self.as_of.blockSignals(True)
            self.as_of.setDate(QDate(a.as_of.year, a.as_of.month, a.as_of.day))
            self.as_of.blockSignals(False)
        self._update_last_import()

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
                "Data files (*.csv *.tsv *.txt *.xlsx *.xlsm *.json);;All files (*)")
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

    def _imported(self, reports) -> None:
        n = sum(r.rows_imported for r in reports)
        self.statusBar().showMessage(f"Imported {n:,} rows from {len(reports)} file(s); recomputing", 8000)
        self._update_last_import()
        self.session.recompute()

    def export_brief_dialog(self, out: str | None = None) -> None:
        a = self.session.analysis
        if a is None:
            return
        if not out:
            default = config.default_workspace_dir() / f"CommitDesk brief {a.as_of.isoformat()}.xlsx"
            out, _ = QFileDialog.getSaveFileName(self, "Export brief", str(default), "Excel workbook (*.xlsx)")
            if not out:
                return
        self.export_brief(Path(out))

    def export_brief(self, out: Path) -> None:
        from desktop.brief import write_brief

        a = self.session.analysis
        actions = self.session.actions()
        self.brief_runner.start(lambda p: (write_brief(a, out, actions=actions, progress=p), out)[1],
                                label=f"Writing {out.name}")

    def _brief_done(self, out) -> None:
        self.last_brief = Path(out)
        self.statusBar().showMessage(f"Brief written: {out}", 10000)

    def batches_dialog(self) -> None:
        from desktop.ui.dialogs.batches import BatchesDialog

        BatchesDialog(self.session, self).exec()
        self._update_last_import()

    def settings_dialog(self) -> None:
        from desktop.ui.dialogs.settings import SettingsDialog

        dlg = SettingsDialog(self.session.workspace.settings(), self)
        if dlg.exec() and dlg.result_settings is not None:
            self.session.set_settings(dlg.result_settings)

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
        self.show_page(page if 0 <= page < len(self.pages) else 0)

    def save_state(self) -> None:
        s = QSettings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/page", self.stack.currentIndex())

    def closeEvent(self, event) -> None:
        self.save_state()
        if self.wizard is not None:
            self.wizard.close()
        self.session.shutdown()
        self.session.workspace.close()  # releases the lock; every change is already committed
        super().closeEvent(event)

