"""The import wizard: several files at once (drag and drop or File > Import), each with its
detected format and why, a preview of the rows as they will be imported, the column mapping
(editable, saved as a profile), the error list with row and column (exportable as CSV), then a
commit in the background with progress and cancel."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain import tables
from desktop.domain.errors import InputError
from desktop.domain.progress import Cancelled, sub
from desktop.ingest import KINDS, MappingProfile, read_file, suggest_mapping
from desktop.store import DuplicateImport, WorkspaceError
from desktop.store.workspace import file_sha256
from desktop.ui.models.table import Col
from desktop.ui.widgets import DataTable, heading, note
from desktop.ui.workers import TaskRunner

PREVIEW_ROWS = 500
UNMAPPED = "(ignore)"


@dataclass
class FileState:
    path: Path
    kind: str | None = None  # None: detect
    profile: MappingProfile | None = None
    result: object | None = None  # ingest ImportResult
    error: str | None = None
    columns: list[str] = field(default_factory=list)  # source header
    replace: bool = False
    imported: bool = False
    import_error: str | None = None

    @property
    def status(self) -> str:
        if self.imported:
            return "imported"
        if self.import_error:
            return "not imported"
        if self.error:
            return "cannot read"
        if self.result is None:
            return "reading…"
        rep = self.result.report
        return f"{rep.rows_imported:,} rows" + (f", {rep.rows_rejected:,} rejected" if rep.rows_rejected else "")


def peek_columns(path: Path) -> list[str]:
    """The header of a CSV/TSV/XLSX as the importer will see it (for the mapping editor)."""
    from desktop.ingest import source_columns  # noqa: PLC0415

    return source_columns(path)


def _read_one(fs_path: Path, kind, profile, settings, profiles, progress):
    return read_file(fs_path, kind, settings=settings, profile=profile, progress=progress, profiles=profiles)


class ImportWizard(QDialog):
    imported = Signal(list)  # ImportReports of the committed files

    def __init__(self, session, files: list[Path], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Import files")
        self.setAcceptDrops(True)
        self.resize(1280, 780)
        self.session = session
        self.ws = session.workspace
        self.files: list[FileState] = []
        self.reader = TaskRunner("import-preview", self)
        self.reader.finished.connect(self._read_done)
        self.reader.failed.connect(self._read_failed)
        self.reader.progress.connect(self._progress)
        self.committer = TaskRunner("import", self)
        self.committer.finished.connect(self._commit_done)
        self.committer.failed.connect(self._commit_failed)
        self.committer.cancelled.connect(self._commit_cancelled)
        self.committer.progress.connect(self._progress)
        session.register_runner(self.reader)
        session.register_runner(self.committer)
        self._queue: list[int] = []
        self._reading: int | None = None

        lay = QVBoxLayout(self)
        lay.addWidget(note("Drop more files here or use Add files. Each file's format is detected; check the "
                           "preview, the column mapping and the rows that will be rejected, then import."))
        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._show)
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
        self.title = heading("")
        rl.addWidget(self.title)
        self.detected = note("")
        rl.addWidget(self.detected)
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
        self.tabs = QTabWidget()
        self.preview = DataTable()
        self.tabs.addTab(self.preview, "Preview")
        mw = QWidget()
        ml = QVBoxLayout(mw)
        ml.setContentsMargins(4, 4, 4, 4)
        ml.addWidget(note("Which column of the file feeds which CommitDesk column. Change a choice, then "
                          "Apply to read the file again with it; save it as a profile and it is used by "
                          "itself the next time a file of the same shape comes."))
        self.mapping = QTableWidget(0, 2)
        self.mapping.setHorizontalHeaderLabels(["Column in the file", "CommitDesk column"])
        self.mapping.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.mapping.verticalHeader().setVisible(False)
        ml.addWidget(self.mapping)
        prow = QHBoxLayout()
        self.apply_map = QPushButton("Apply mapping")
        self.apply_map.clicked.connect(self.apply_mapping)
        prow.addWidget(self.apply_map)
        prow.addWidget(QLabel("Profile name"))
        self.profile_name = QLineEdit()
        prow.addWidget(self.profile_name, 1)
        self.save_profile = QPushButton("Save as profile")
        self.save_profile.clicked.connect(self.save_mapping_profile)
        prow.addWidget(self.save_profile)
        ml.addLayout(prow)
        self.map_msg = note("")
        ml.addWidget(self.map_msg)
        self.tabs.addTab(mw, "Column mapping")
        ew = QWidget()
        el = QVBoxLayout(ew)
        el.setContentsMargins(0, 6, 0, 0)
        self.errors_title = heading("Rejected rows")
        el.addWidget(self.errors_title)
        self.errors = DataTable()
        el.addWidget(self.errors)
        erow = QHBoxLayout()
        self.export_errors_btn = QPushButton("Export errors as CSV…")
        self.export_errors_btn.clicked.connect(lambda: self.export_errors())
        erow.addWidget(self.export_errors_btn)
        erow.addStretch(1)
        el.addLayout(erow)
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(self.tabs)
        vsplit.addWidget(ew)
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
        return bool(self.files) and all(f.result is not None or f.error for f in self.files) \
            and not self.reader.busy

    def add_files(self, paths: list[Path]) -> None:
        for p in paths:
            p = Path(p)
            if any(f.path == p for f in self.files):
                continue
            self.files.append(FileState(p))
            self.list.addItem(QListWidgetItem(p.name))
            self._queue.append(len(self.files) - 1)
        self._refresh_list()
        if self.list.currentRow() < 0 and self.files:
            self.list.setCurrentRow(0)
        self._next_read()

    def _add_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Add files", str(Path.home()),
                                                "Data files (*.csv *.tsv *.txt *.xlsx *.xlsm *.json);;All files (*)")
        if files:
            self.add_files([Path(f) for f in files])

    def _remove_current(self) -> None:
        i = self.list.currentRow()
        if i < 0 or self._reading == i:
            return
        del self.files[i]
        self.list.takeItem(i)
        self._queue = [q - (q > i) for q in self._queue if q != i]
        self._refresh_list()

    def _refresh_list(self) -> None:
        for i, f in enumerate(self.files):
            item = self.list.item(i)
            item.setText(f"{f.path.name}\n   {f.status}")
            item.setToolTip(str(f.path))
        pending = [f for f in self.files if f.result is not None and not f.imported]
        self.commit_btn.setEnabled(bool(pending) and not self.committer.busy)
        self.commit_btn.setText(f"Import {len(pending)} file{'s' if len(pending) != 1 else ''}")

    # --- reading (preview) -------------------------------------------------------------------
    def _next_read(self) -> None:
        if self.reader.busy or not self._queue:
            return
        i = self._queue.pop(0)
        f = self.files[i]
        f.result, f.error = None, None
        self._reading = i
        settings = self.ws.settings()
        try:
            profiles = list(self.ws.profiles().values())
        except WorkspaceError:
            profiles = []
        path, kind, profile = f.path, f.kind, f.profile

        def job(p):
            cols: list[str] = []
            try:
                cols = peek_columns(path)
            except (InputError, OSError, ValueError):
                cols = []
            try:
                res = _read_one(path, kind, profile.to_dict() if profile else None, settings,
                                profiles, sub(p, 0.0, 1.0))
            except InputError as exc:
                return i, cols, None, str(exc)
            return i, cols, res, None

        self.status.setText(f"Reading {f.path.name}…")
        self.cancel_btn.setEnabled(True)
        self.reader.start(job, label=f"Reading {f.path.name}")

    def _read_done(self, payload) -> None:
        i, cols, res, err = payload
        self._reading = None
        if i < len(self.files):
            f = self.files[i]
            f.columns, f.result, f.error = cols, res, err
        self.cancel_btn.setEnabled(self.committer.busy)
        self.status.setText("")
        self.bar.setValue(1000)
        self._refresh_list()
        if self.list.currentRow() == i:
            self._show(i)
        self._next_read()

    def _read_failed(self, exc) -> None:
        i = self._reading
        self._reading = None
        if i is not None and i < len(self.files):
            self.files[i].error = f"{type(exc).__name__}: {exc}"
            self._refresh_list()
            if self.list.currentRow() == i:
                self._show(i)
        self._next_read()

    def _progress(self, fraction: float, text: str) -> None:
        self.bar.setValue(int(fraction * 1000))
        if text:
            self.status.setText(text[:120])

    # --- showing a file ----------------------------------------------------------------------
    def _current(self) -> FileState | None:
        i = self.list.currentRow()
        return self.files[i] if 0 <= i < len(self.files) else None

    def _show(self, i: int) -> None:
        f = self.files[i] if 0 <= i < len(self.files) else None
        if f is None:
            return
        self.title.setText(f.path.name)
        self.kind.setCurrentIndex(max(0, self.kind.findData(f.kind)) if f.kind else 0)
        self.replace.blockSignals(True)
        self.replace.setChecked(f.replace)
        self.replace.blockSignals(False)
        if f.error:
            self.detected.setText(f"<b>This file cannot be read:</b> {f.error}")
        elif f.result is None:
            self.detected.setText("Reading…")
        else:
            rep = f.result.report
            bits = [f"<b>{rep.format}</b> as <b>{f.result.kind.replace('_', ' ')}</b> — {rep.format_reason}"]
            acc = (f"{rep.rows_read:,} rows read: {rep.rows_imported:,} to import, {rep.rows_rejected:,} rejected"
                   + (f", {rep.totals_excluded:,} total rows excluded" if rep.totals_excluded else "")
                   + (f", {rep.duplicates_flagged:,} duplicates flagged" if rep.duplicates_flagged else ""))
            bits.append(acc)
            enc = ", ".join(x for x in (rep.encoding, f"delimiter {rep.delimiter!r}" if rep.delimiter else None) if x)
            if enc:
                bits.append(enc)
            if f.import_error:
                bits.append(f"<b>Not imported:</b> {f.import_error}")
            self.detected.setText("<br>".join(bits + list(rep.warnings)))
        self._fill_preview(f)
        self._fill_mapping(f)
        self._fill_errors(f)

    def _fill_preview(self, f: FileState) -> None:
        m = self.preview.table_model
        if f.result is None:
            m.set_columns([])
            return
        frame = f.result.frame.head(PREVIEW_ROWS)
        spec = tables.SPECS[f.result.kind]
        cols = [Col.ints("Row", frame["_row"].to_numpy(dtype=np.int64))]
        for c in spec.columns:
            s = frame[c.name]
            if c.kind == "money":
                cols.append(Col.micros(c.name, s.to_numpy(dtype=np.int64)))
            elif c.kind == "date":
                cols.append(Col.date(c.name, s.to_numpy(dtype="datetime64[ns]")))
            elif c.kind == "float":
                cols.append(Col.num(c.name, s.to_numpy(dtype=np.float64), digits=4))
            elif c.kind == "bool":
                cols.append(Col.text(c.name, s.map({True: "yes", False: "no"})))
            else:
                if s.isna().all():
                    continue
                cols.append(Col.text(c.name, s))
        m.set_columns(cols)
        self.tabs.setTabText(0, f"Preview ({min(len(f.result.frame), PREVIEW_ROWS):,} of "
                                f"{len(f.result.frame):,} rows)")

    def _target_kind(self, f: FileState) -> str | None:
        if f.result is not None:
            return f.result.kind
        return f.kind

    def _fill_mapping(self, f: FileState) -> None:
        kind = self._target_kind(f) or "usage"
        spec = tables.SPECS[kind]
        if f.profile is not None and f.profile.kind == kind:
            current = dict(f.profile.columns)
        else:
            current = suggest_mapping(f.columns, kind) if f.columns else {}
        self.mapping.setRowCount(len(f.columns))
        for r, col in enumerate(f.columns):
            item = self.mapping.item(r, 0)
            if item is None:
                from PySide6.QtWidgets import QTableWidgetItem  # noqa: PLC0415

                item = QTableWidgetItem()
                self.mapping.setItem(r, 0, item)
            item.setText(col)
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            cb = QComboBox()
            cb.addItem(UNMAPPED)
            for c in spec.columns:
                cb.addItem(c.name + (" *" if c.required else ""), c.name)
            target = current.get(col)
            idx = cb.findData(target) if target else 0
            cb.setCurrentIndex(max(idx, 0))
            self.mapping.setCellWidget(r, 1, cb)
        self.apply_map.setEnabled(bool(f.columns))
        self.save_profile.setEnabled(bool(f.columns))
        if not self.profile_name.text() or self.profile_name.property("auto"):
            self.profile_name.setText(f"{f.path.stem} ({kind})")
            self.profile_name.setProperty("auto", True)
        self.map_msg.setText("" if f.columns else "This format is read by its own importer; no mapping needed.")

    def current_mapping(self) -> dict[str, str]:
        out = {}
        for r in range(self.mapping.rowCount()):
            cb = self.mapping.cellWidget(r, 1)
            target = cb.currentData() if cb is not None else None
            if target:
                out[self.mapping.item(r, 0).text()] = target
        return out

    def set_mapping(self, source_column: str, target: str | None) -> None:
        for r in range(self.mapping.rowCount()):
            if self.mapping.item(r, 0).text() == source_column:
                cb = self.mapping.cellWidget(r, 1)
                cb.setCurrentIndex(max(0, cb.findData(target)) if target else 0)

    def _mapping_profile(self, f: FileState) -> MappingProfile | None:
        kind = self._target_kind(f) or "usage"
        mp = self.current_mapping()
        spec = tables.SPECS[kind]
        targets = list(mp.values())
        dup = {t for t in targets if targets.count(t) > 1}
        if dup:
            self.map_msg.setText(f"Each CommitDesk column can be fed by one column only: {', '.join(sorted(dup))}.")
            return None
        miss = [c for c in spec.required if c not in targets]
        if miss:
            self.map_msg.setText(f"Required for {kind.replace('_', ' ')}: {', '.join(miss)}.")
            return None
        name = self.profile_name.text().strip() or f"{f.path.stem} ({kind})"
        return MappingProfile.from_columns(name, kind, f.columns, mp)

    def apply_mapping(self) -> None:
        f = self._current()
        if f is None:
            return
        prof = self._mapping_profile(f)
        if prof is None:
            return
        f.profile = prof
        f.kind = prof.kind
        self.map_msg.setText("Reading the file again with this mapping…")
        self._queue.insert(0, self.files.index(f))
        self._next_read()

    def save_mapping_profile(self) -> None:
        f = self._current()
        if f is None:
            return
        prof = self._mapping_profile(f)
        if prof is None:
            return
        try:
            self.ws.save_profile(prof.name, prof.to_dict())
        except (WorkspaceError, InputError) as exc:
            self.map_msg.setText(f"Not saved: {exc}")
            return
        self.profile_name.setProperty("auto", False)
        f.profile = prof
        self.map_msg.setText(f"Saved profile {prof.name!r}; files of this shape will use it by themselves.")

    def _fill_errors(self, f: FileState) -> None:
        errs = list(f.result.report.errors) if f.result is not None else []
        m = self.errors.table_model
        m.set_columns([
            Col.ints("Row", [e.row if e.row is not None else 0 for e in errs]),
            Col.text("Column", [e.column or "" for e in errs]),
            Col.text("Value", [e.value or "" for e in errs]),
            Col.text("Problem", [e.message for e in errs]),
        ])
        self.errors_title.setText(f"Rejected rows ({len(errs):,}) — not imported; fix them in the file and "
                                  "import it again" if errs else "Rejected rows (none)")
        self.export_errors_btn.setEnabled(bool(errs))

    def export_errors(self, path: str | None = None) -> str | None:
        f = self._current()
        if f is None or f.result is None:
            return None
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Export errors", str(f.path.with_suffix(".errors.csv")),
                                                  "CSV (*.csv)")
            if not path:
                return None
        with open(path, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "row", "column", "value", "problem"])
            for e in f.result.report.errors:
                w.writerow([f.path.name, e.row if e.row is not None else "", e.column or "", e.value or "", e.message])
        return path

    def _kind_changed(self, *_):
        f = self._current()
        if f is None:
            return
        f.kind = self.kind.currentData()
        f.profile = None
        self._queue.insert(0, self.files.index(f))
        self._next_read()

    def _replace_toggled(self, on: bool) -> None:
        f = self._current()
        if f is not None:
            f.replace = on
            f.import_error = None
            self._refresh_list()

    # --- commit ------------------------------------------------------------------------------
    def commit(self) -> None:
        todo = [(i, f) for i, f in enumerate(self.files) if f.result is not None and not f.imported]
        if not todo or self.committer.busy:
            return
        ws = self.ws
        jobs = [(i, f.path, f.result, f.replace, f.profile) for i, f in todo]

        def job(p):
            done = []
            n = len(jobs)
            for k, (i, path, result, replace, profile) in enumerate(jobs):
                part = sub(p, k / n, (k + 1) / n)
                part.step(0.0, f"Importing {path.name}")
                try:
                    h, size = file_sha256(path)
                    rep = ws.store_result(result, path, content_hash=h, file_size=size, replace=replace,
                                          profile_name=profile.name if profile else None,
                                          profile=profile.to_dict() if profile else None, progress=part)
                    done.append((i, rep, None))
                except Cancelled:
                    raise
                except (DuplicateImport, WorkspaceError, InputError, OSError) as exc:
                    done.append((i, None, str(exc)))
            return done

        self.commit_btn.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.status.setText("Importing…")
        self.committer.start(job, label=f"Importing {len(jobs)} file(s)")

    def _commit_done(self, done) -> None:
        reports = []
        for i, rep, err in done:
            f = self.files[i]
            if rep is not None:
                f.imported = True
                f.import_error = None
                reports.append(rep)
            else:
                f.import_error = err
        self.cancel_btn.setEnabled(False)
        failed = [self.files[i] for i, rep, _ in done if rep is None]
        self.status.setText(f"Imported {len(reports)} file(s)" +
                            (f"; {len(failed)} not imported (see the file)" if failed else "") + ".")
        self._refresh_list()
        cur = self.list.currentRow()
        if cur >= 0:
            self._show(cur)
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
            i = self._reading
            self.reader.cancel()
            self._reading = None
            if i is not None and i < len(self.files):
                self.files[i].error = "reading cancelled"
                self._refresh_list()
        self.cancel_btn.setEnabled(False)

    # --- drag and drop -----------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_files(paths)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.reader.shutdown()
        if self.committer.busy:
            self.committer.wait()  # a commit in flight finishes (it is one transaction)
        self.session.unregister_runner(self.reader)
        self.session.unregister_runner(self.committer)
        super().closeEvent(event)

