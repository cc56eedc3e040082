"""The import wizard: several files at once (drag and drop or File > Import), each with its
detected format and why, a preview of the rows as they will be imported, the column mapping
(editable, saved as a profile), the error list with row and column (exportable as CSV), then a
commit in the background with progress and cancel.

This module is the controller: it lays out the file list, the preview pane and the mapping
editor, reads each file in the background for its preview and stores the files on Import. Every
background result names the file by its id (files.FileList), never by its place in the list."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import ai_services
from desktop.domain.errors import InputError
from desktop.domain.progress import Cancelled, sub
from desktop.ingest import KINDS, MappingProfile
from desktop.ingest.errors import VendorNeeded
from desktop.store import DuplicateImport, WorkspaceError
from desktop.store.batches import file_sha256
from desktop.ui.dialogs.import_wizard import files as file_model
from desktop.ui.dialogs.import_wizard.files import FileList, FileState
from desktop.ui.dialogs.import_wizard.mapping import MappingEditor
from desktop.ui.dialogs.import_wizard.overlap import OverlapQuestion
from desktop.ui.dialogs.import_wizard.preview import PreviewPane, write_errors_csv
from desktop.ui.widgets import note
from desktop.ui.workers import TaskRunner

_ID = Qt.ItemDataRole.UserRole


class ImportWizard(QDialog):
    imported = Signal(list)  # ImportReports of the committed files

    def __init__(self, session, files: list[Path], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Import files")
        self.setAcceptDrops(True)
        self.resize(1280, 780)
        self.session = session
        self.ws = session.workspace
        self.files = FileList()
        self.reader = TaskRunner("import-preview", self)
        self.reader.finished.connect(self._read_done)
        self.reader.failed.connect(self._read_failed)
        self.reader.progress.connect(self._progress)
        self.committer = TaskRunner("import", self)
        self.committer.finished.connect(self._commit_done)
        self.committer.failed.connect(self._commit_failed)
        self.committer.cancelled.connect(self._commit_cancelled)
        self.committer.progress.connect(self._progress)
        self.splitter = TaskRunner("import-ai-split", self)  # AI spend under a changed rule
        self.splitter.finished.connect(self._recounted)
        session.register_runner(self.reader)
        session.register_runner(self.committer)
        session.register_runner(self.splitter)
        self._reading: int | None = None  # id of the file being read

        lay = QVBoxLayout(self)
        lay.addWidget(note("Drop more files here or use Add files. Each file's format is detected; check the "
                           "preview, the column mapping and the rows that will be rejected, then import."))
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(lambda _row: self._show_current())
        ll.addWidget(self.list)
        row = QHBoxLayout()
        add = QPushButton("Add files…")
        add.clicked.connect(self._add_dialog)
        rem = QPushButton("Remove")
        rem.clicked.connect(self._remove_current)
        row.addWidget(add)
        row.addWidget(rem)
        ll.addLayout(row)
        split.addWidget(left)

        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(6, 0, 0, 0)
        self.pane = PreviewPane()
        self.preview = self.pane.table
        self.errors = self.pane.errors
        self.pane.export_btn.clicked.connect(lambda: self.export_errors())
        self._rule = self.ws.settings().ai_services  # the workspace's AI-service rule
        self.pane.ai_apply.clicked.connect(lambda: self.set_ai_rule(self.pane.ai_rule.text()))
        self.pane.ai_rule.returnPressed.connect(lambda: self.set_ai_rule(self.pane.ai_rule.text()))
        self.pane.ai_default.clicked.connect(lambda: self.set_ai_rule(ai_services.DEFAULT_RULE))
        rl.addWidget(self.pane.header)
        self.overlap = OverlapQuestion()
        self.overlap.answered.connect(lambda _c: self._overlap_answered())
        rl.addWidget(self.overlap)
        krow = QHBoxLayout()
        krow.addWidget(QLabel("Import as"))
        self.kind = QComboBox()
        self.kind.addItem("Detect automatically", None)
        for k in KINDS:
            self.kind.addItem(k.replace("_", " ").capitalize(), k)
        self.kind.activated.connect(self._kind_changed)
        krow.addWidget(self.kind)
        self.replace = QCheckBox("Replace an earlier import of the same file")
        self.replace.toggled.connect(self._replace_toggled)
        krow.addWidget(self.replace)
        krow.addStretch(1)
        rl.addLayout(krow)
        # a FOCUS commitments file that names no provider (and no imported usage names its
        # commitments): ask the vendor, then read it again with it
        self.vendor_row = QWidget()
        vrow = QHBoxLayout(self.vendor_row)
        vrow.setContentsMargins(0, 0, 0, 0)
        self.vendor_label = QLabel("")
        self.vendor_label.setWordWrap(True)
        vrow.addWidget(self.vendor_label, 1)
        self.vendor_edit = QLineEdit()
        self.vendor_edit.setPlaceholderText("Vendor, e.g. Microsoft")
        self.vendor_edit.returnPressed.connect(self.use_vendor)
        vrow.addWidget(self.vendor_edit)
        self.vendor_btn = QPushButton("Use this vendor")
        self.vendor_btn.clicked.connect(self.use_vendor)
        vrow.addWidget(self.vendor_btn)
        self.vendor_row.hide()
        rl.addWidget(self.vendor_row)
        self.editor = MappingEditor()
        self.editor.applyRequested.connect(self.apply_mapping)
        self.editor.saveRequested.connect(self.save_mapping_profile)
        self.profile_name = self.editor.profile_name
        self.tabs = QTabWidget()
        self.tabs.addTab(self.preview, "Preview")
        self.tabs.addTab(self.editor, "Column mapping")
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(self.tabs)
        vsplit.addWidget(self.pane.rejected)
        vsplit.setSizes([430, 220])
        rl.addWidget(vsplit, 1)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        lay.addWidget(split, 1)

        bottom = QHBoxLayout()
        self.status = QLabel("")
        bottom.addWidget(self.status, 1)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setMaximumWidth(260)
        bottom.addWidget(self.bar)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel)
        bottom.addWidget(self.cancel_btn)
        self.commit_btn = QPushButton("Import")
        self.commit_btn.setDefault(True)
        self.commit_btn.clicked.connect(self.commit)
        bottom.addWidget(self.commit_btn)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        bottom.addWidget(close)
        lay.addLayout(bottom)
        self.add_files(files)

    # --- files -------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        """Every file read (or failed to read)."""
        return self.files.ready and not self.reader.busy

    def add_files(self, paths: list[Path]) -> None:
        for file_id in self.files.add(paths):
            item = QListWidgetItem(self.files.get(file_id).path.name)
            item.setData(_ID, file_id)
            self.list.addItem(item)
        self._refresh_list()
        if self.list.currentRow() < 0 and len(self.files):
            self.list.setCurrentRow(0)
        self._next_read()

    def remove_file(self, file_id: int) -> None:
        """Take a file out of the wizard (a read of it still running is discarded)."""
        if not self.files.remove(file_id):
            return
        for r in range(self.list.count()):
            if self.list.item(r).data(_ID) == file_id:
                self.list.takeItem(r)
                break
        self._refresh_list()

    def _add_dialog(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Add files", str(Path.home()),
                                                "Data files (*.csv *.tsv *.txt *.xlsx *.xlsm *.json *.parquet);;All files (*)")
        if paths:
            self.add_files([Path(f) for f in paths])

    def _remove_current(self) -> None:
        f = self._current()
        if f is not None:
            self.remove_file(f.id)

    def _refresh_list(self) -> None:
        for r in range(self.list.count()):
            item = self.list.item(r)
            f = self.files.get(item.data(_ID))
            if f is not None:
                item.setText(f"{f.path.name}\n   {f.status}")
                item.setToolTip(str(f.path))
        pending = self.files.pending()
        self.commit_btn.setEnabled(bool(pending) and not self.committer.busy)
        self.commit_btn.setText(f"Import {len(pending)} file{'s' if len(pending) != 1 else ''}")

    def _current(self) -> FileState | None:
        item = self.list.currentItem()
        return self.files.get(item.data(_ID)) if item is not None else None

    def _show_if_current(self, file_id: int) -> None:
        f = self._current()
        if f is not None and f.id == file_id:
            self._show(f)

    # --- reading (preview) -------------------------------------------------------------------
    def _next_read(self) -> None:
        if self.reader.busy:
            return
        f = self.files.next_to_read()
        if f is None:
            return
        self._reading = f.id
        settings = self.ws.settings()
        try:
            profiles = list(self.ws.profiles().values())
        except WorkspaceError:
            profiles = []
        file_id, path, kind, profile, ws = f.id, f.path, f.kind, f.profile, self.ws
        vendor, rule = f.vendor, self._rule

        def job(p):
            try:
                cols = file_model.peek_columns(path)
            except (InputError, OSError, ValueError):
                cols = []
            try:
                res = file_model.read_preview(path, kind, profile.to_dict() if profile else None,
                                              settings, profiles, sub(p, 0.0, 0.95), vendor,
                                              lambda: ws.inputs().usage)
                res = ws.with_import_notes(res)  # e.g. rows in a currency without an FX rate
            except VendorNeeded as exc:
                return file_id, cols, None, str(exc), None, None, [], exc.contract_ids, (rule, None)
            except (InputError, WorkspaceError) as exc:
                # what the file holds, as text, so the analyst can map it
                return (file_id, cols, None, file_model.in_app_message(exc), None, file_model.raw_preview(path), [],
                        (), (rule, None))
            try:
                h = file_sha256(path)[0]
                # the same content imported before: said now, not only when Import is pressed
                dup = file_model.duplicate_of(ws.batches(), h)
                overlaps = ws.overlaps(res, except_hash=h)  # asked before Import
            except (OSError, WorkspaceError) as exc:
                return file_id, cols, None, str(exc), None, None, [], (), (rule, None)
            return file_id, cols, res, None, dup, None, overlaps, (), (rule, file_model.ai_split(res, rule))

        self.status.setText(f"Reading {path.name}…")
        self.cancel_btn.setEnabled(True)
        self.reader.start(job, label=f"Reading {path.name}")

    def _read_done(self, payload) -> None:
        file_id, cols, res, err, dup, raw, overlaps, needed, (rule, split) = payload
        self._reading = None
        f = self.files.get(file_id)
        if f is not None:
            f.columns, f.result, f.error, f.duplicate, f.raw = cols, res, err, dup, raw
            f.overlaps = overlaps
            f.vendor_needed = needed
            f.ai_split_rule, f.ai_split = rule, split
            if split is not None and rule != self._rule:  # the rule changed while it was read
                self._recount()
        self.cancel_btn.setEnabled(self.committer.busy)
        self.status.setText("")
        self.bar.setValue(1000)
        self._refresh_list()
        self._show_if_current(file_id)
        self._next_read()

    def _read_failed(self, exc) -> None:
        file_id, self._reading = self._reading, None
        f = self.files.get(file_id)
        if f is not None:
            f.error = f"{type(exc).__name__}: {exc}"
            self._refresh_list()
            self._show_if_current(file_id)
        self._next_read()

    def _progress(self, fraction: float, text: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        if text:
            self.status.setText(text[:120])

    # --- showing a file ----------------------------------------------------------------------
    def _show_current(self) -> None:
        f = self._current()
        if f is not None:
            self._show(f)

    def _show(self, f: FileState) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(f.kind)) if f.kind else 0)
        self.replace.blockSignals(True)
        self.replace.setChecked(f.replace)
        self.replace.blockSignals(False)
        self.tabs.setTabText(0, self.pane.show_file(f, self._rule))
        self.overlap.show_file(f)
        self.editor.show_file(f)
        self.vendor_row.setVisible(bool(f.vendor_needed))
        if f.vendor_needed:
            ids = ", ".join(f.vendor_needed[:5]) + (" …" if len(f.vendor_needed) > 5 else "")
            self.vendor_label.setText(f"{f.path.name} names no provider for its commitments ({ids}), and no "
                                      "imported usage names them. Which vendor are they with?")

    def use_vendor(self) -> None:
        """Read the file shown again with the vendor typed in the vendor row."""
        f = self._current()
        name = " ".join(self.vendor_edit.text().split())
        if f is None or not name:
            return
        f.vendor, f.vendor_needed = name, ()
        self.files.queue_read(f.id)
        self._refresh_list()
        self._show(f)
        self._next_read()

    # --- the AI-service rule -----------------------------------------------------------------
    @property
    def ai_rule(self) -> str:
        return self._rule

    def set_ai_rule(self, text: str) -> bool:
        """Save the AI-service rule in the workspace (undoable; the figures are recomputed from
        the stored rows) and show what it makes of the current file."""
        text = ai_services.rule_text(ai_services.parse_rule(text))
        if text == ai_services.rule_text(ai_services.parse_rule(self._rule)):
            self.pane.ai_rule.setText(text)
            return True
        if not self.session.set_settings(self.ws.settings().replace(ai_services=text)):
            return False
        self._rule = text
        self.pane.ai_rule.setText(text)
        self.status.setText("AI-service rule saved in the workspace; figures are being recomputed (Undo reverts it).")
        self._recount()
        self._show_current()
        return True

    def _recount(self) -> None:
        """Count every cloud export's rows under the current rule again, in the background."""
        todo = [(f.id, f.result) for f in self.files if f.ai_split is not None and f.ai_split_rule != self._rule]
        if not todo:
            return
        rule = self._rule

        def job(p):
            out = []
            for k, (file_id, result) in enumerate(todo):
                p.step(k / len(todo), "counting AI spend under the rule")
                out.append((file_id, file_model.ai_split(result, rule)))
            return rule, out

        self.splitter.start(job, label="Counting AI spend under the rule")

    def _recounted(self, payload) -> None:
        rule, out = payload
        for file_id, split in out:
            f = self.files.get(file_id)
            if f is not None and f.ai_split is not None:
                f.ai_split_rule, f.ai_split = rule, split
        if rule != self._rule:
            self._recount()
        self._show_current()

    # --- mapping -----------------------------------------------------------------------------
    def current_mapping(self) -> dict[str, str]:
        return self.editor.current_mapping()

    def set_mapping(self, source_column: str, target: str | None) -> None:
        self.editor.set_mapping(source_column, target)

    def _current_profile(self) -> tuple[FileState, MappingProfile] | None:
        """The file shown and the editor's mapping as its profile (None: no file, or the
        mapping cannot be used; the editor says why)."""
        f = self._current()
        prof = self.editor.profile_for(f) if f is not None else None
        return (f, prof) if prof is not None else None

    def apply_mapping(self) -> None:
        chosen = self._current_profile()
        if chosen is None:
            return
        f, prof = chosen
        f.profile = prof
        f.kind = prof.kind
        self.editor.message.setText("Reading the file again with this mapping…")
        self.files.queue_read(f.id)
        self._next_read()

    def save_mapping_profile(self) -> None:
        chosen = self._current_profile()
        if chosen is None:
            return
        f, prof = chosen
        try:
            self.ws.save_profile(prof.name, prof.to_dict())
        except (WorkspaceError, InputError) as exc:
            self.editor.message.setText(f"Not saved: {exc}")
            return
        f.profile = prof
        self.editor.saved_as(prof.name)

    def export_errors(self, path: str | None = None) -> str | None:
        f = self._current()
        if f is None or f.result is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export errors", str(f.path.with_suffix(".errors.csv")),
                                                  "CSV (*.csv)")
            if not path:
                return None
        write_errors_csv(f, path)
        return path

    def _kind_changed(self, *_):
        f = self._current()
        if f is None:
            return
        f.kind = self.kind.currentData()
        f.profile = None
        self.files.queue_read(f.id)
        self._next_read()

    def _replace_toggled(self, on: bool) -> None:
        f = self._current()
        if f is not None:
            f.replace = on
            f.import_error = None
            self._refresh_list()
            self._show(f)

    def _overlap_answered(self) -> None:
        self.status.setText("")
        self._refresh_list()

    # --- commit ------------------------------------------------------------------------------
    def commit(self) -> None:
        todo = self.files.pending()
        if not todo or self.committer.busy:
            return
        ask = next((f for f in todo if f.undecided), None)
        if ask is not None:  # never double count by default: the question is answered first
            for r in range(self.list.count()):
                if self.list.item(r).data(_ID) == ask.id:
                    self.list.setCurrentRow(r)
            self._show(ask)
            self.status.setText(f"{ask.path.name} overlaps an earlier import: choose what to do with it, "
                                "then Import.")
            return
        ws = self.ws
        jobs = [(f.id, f.path, f.result, f.replace, f.profile, f.overlap_choice == "replace") for f in todo]

        def job(p):
            done = []
            n = len(jobs)
            for k, (file_id, path, result, replace, profile, supersede) in enumerate(jobs):
                part = sub(p, k / n, (k + 1) / n)
                part.step(0.0, f"Importing {path.name}")
                try:
                    h, size = file_sha256(path)
                    # the earlier batches it overlaps now (the query again: files stored meanwhile count)
                    gone = tuple(dict.fromkeys(o.batch_id for o in ws.overlaps(result, except_hash=h))) \
                        if supersede else ()
                    rep = ws.store_result(result, path, content_hash=h, file_size=size, replace=replace,
                                          profile_name=profile.name if profile else None,
                                          profile=profile.to_dict() if profile else None, progress=part,
                                          supersede=gone)
                    done.append((file_id, rep, None))
                except Cancelled:
                    raise
                except (DuplicateImport, WorkspaceError, InputError, OSError) as exc:
                    done.append((file_id, None, str(exc)))
            return done

        self.commit_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.status.setText("Importing…")
        self.committer.start(job, label=f"Importing {len(jobs)} file(s)")

    def _commit_done(self, done) -> None:
        reports = [rep for _, rep, _ in done if rep is not None]
        for file_id, rep, err in done:
            f = self.files.get(file_id)  # None: removed from the wizard while it was stored
            if f is None:
                continue
            f.imported = rep is not None
            f.import_error = err
        self.cancel_btn.setEnabled(False)
        failed = sum(1 for _, rep, _ in done if rep is None)
        self.status.setText(f"Imported {len(reports)} file(s)" +
                            (f"; {failed} not imported (see the file)" if failed else "") + ".")
        self._refresh_list()
        self._show_current()
        if reports:
            self.imported.emit(reports)

    def _commit_failed(self, exc) -> None:
        self.cancel_btn.setEnabled(False)
        self.status.setText(f"Import failed, nothing half-imported: {exc}")
        self._refresh_list()

    def _commit_cancelled(self) -> None:
        self.cancel_btn.setEnabled(False)
        self.status.setText("Import cancelled; files not yet stored were left out entirely.")
        self._refresh_list()

    def cancel(self) -> None:
        if self.committer.busy:
            self.committer.cancel()
        if self.reader.busy:
            file_id, self._reading = self._reading, None
            self.reader.cancel()
            f = self.files.get(file_id)
            if f is not None:
                f.error = "reading cancelled"
                self._refresh_list()
        self.cancel_btn.setEnabled(False)

    # --- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    def closeEvent(self, event) -> None:
        self.reader.shutdown()
        self.splitter.shutdown()
        if self.committer.busy:
            self.committer.wait()  # a commit in flight finishes (it is one transaction)
        self.session.unregister_runner(self.reader)
        self.session.unregister_runner(self.committer)
        self.session.unregister_runner(self.splitter)
        super().closeEvent(event)
