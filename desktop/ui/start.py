"""The start page: what CommitDesk shows when there is no workspace to open yet (the first run,
or the last workspace is gone). It offers the demo (sample data), a new workspace, importing
files into a new workspace (with the templates), and opening a workspace. It only asks; the
application (desktop/app.py) opens what was chosen through ``chosen``."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop import config
from desktop.ui.widgets import heading, note

TEMPLATE_SUFFIXES = (".csv", ".xlsx", ".md")


def _choice(title: str, text: str, button: QPushButton) -> QFrame:
    box = QFrame()
    box.setObjectName("startChoice")
    box.setFrameShape(QFrame.Shape.StyledPanel)
    lay = QVBoxLayout(box)
    lay.setContentsMargins(16, 14, 16, 14)
    lay.addWidget(heading(title))
    lab = note(text)
    lay.addWidget(lab, 1)
    row = QHBoxLayout()
    row.addStretch(1)
    row.addWidget(button)
    lay.addLayout(row)
    box.setMinimumWidth(280)
    return box


def save_templates(folder: Path) -> list[Path]:
    """Copy the import templates (CSV, Excel, README) into ``folder``; returns the files written.
    An existing file of the same name is left as it is (it may hold the analyst's rows)."""
    src = config.templates_dir()
    if src is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for f in sorted(src.iterdir()):
        if f.suffix in TEMPLATE_SUFFIXES:
            dst = folder / f.name
            if not dst.exists():
                shutil.copyfile(f, dst)
            out.append(dst)
    return out


class StartWindow(QWidget):
    """``chosen`` carries what to open: "demo", a workspace path, "new:<path>" (create it) or
    "import:<path>" (create it, then import files)."""

    chosen = Signal(str)

    def __init__(self, reason: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("startWindow")
        self.setWindowTitle("Welcome")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(32, 28, 32, 24)
        title = QLabel("Welcome to CommitDesk")
        f = title.font()
        f.setPointSizeF(f.pointSizeF() * 1.8)
        f.setBold(True)
        title.setFont(f)
        lay.addWidget(title)
        lay.addWidget(note("Track your AI-vendor commitments, invoices and budgets on your own data, "
                           "on this computer. Everything you import stays in a workspace file."))
        self.reason = note(reason)
        self.reason.setObjectName("startReason")
        self.reason.setVisible(bool(reason))
        lay.addWidget(self.reason)
        lay.addSpacing(12)

        self.demo_button = QPushButton("Open the demo")
        self.demo_button.clicked.connect(self.open_demo)
        self.new_button = QPushButton("Create a workspace…")
        self.new_button.clicked.connect(lambda: self.create_workspace())
        self.import_button = QPushButton("Import files…")
        self.import_button.clicked.connect(lambda: self.import_files())
        self.import_button.setDefault(True)
        row = QHBoxLayout()
        row.setSpacing(14)
        row.addWidget(_choice("Explore the demo",
                              "Sample data: a made-up company's contracts, usage, invoices and budgets. "
                              "Every page works on it; the window says \"Sample data\" while it is open.",
                              self.demo_button), 1)
        row.addWidget(_choice("Start a workspace",
                              "An empty workspace file for your data. Import files into it whenever you "
                              "are ready (File > Import files).", self.new_button), 1)
        row.addWidget(_choice("Import your files",
                              "A new workspace with your files in it: cost exports from OpenAI, Anthropic, "
                              "Azure or any FOCUS file, invoices and budgets as spreadsheets, or the "
                              "templates below.", self.import_button), 1)
        lay.addLayout(row)
        lay.addSpacing(10)

        tpl = QHBoxLayout()
        has_templates = config.templates_dir() is not None
        tpl.addWidget(note("<b>Templates</b> for commitments, usage, invoices, budgets, rate card, org map and "
                           "FX rates, as CSV and Excel: two example rows each to replace, and a README "
                           "sheet in each workbook explaining every column."
                           if has_templates else "The import templates are not part of this installation."), 1)
        self.templates_button = QPushButton("Save the templates to a folder…")
        self.templates_button.setEnabled(has_templates)
        self.templates_button.clicked.connect(lambda: self.export_templates())
        tpl.addWidget(self.templates_button)
        lay.addLayout(tpl)
        lay.addSpacing(10)

        lay.addWidget(heading("Open a workspace"))
        self.recent = QListWidget()
        self.recent.setObjectName("startRecent")
        for p in config.recent_workspaces():
            self.recent.addItem(str(p))
        self.recent.itemActivated.connect(lambda item: self.chosen.emit(item.text()))
        self.recent.setVisible(self.recent.count() > 0)
        self.recent.setMaximumHeight(140)
        lay.addWidget(self.recent)
        orow = QHBoxLayout()
        self.open_button = QPushButton("Open a workspace file…")
        self.open_button.clicked.connect(lambda: self.open_workspace())
        orow.addWidget(self.open_button)
        orow.addStretch(1)
        lay.addLayout(orow)
        lay.addStretch(1)
        self.resize(980, 620)

    # --- the choices (tests call them with their answers) ------------------------------------
    def open_demo(self) -> None:
        self.chosen.emit("demo")

    def _ask_new_path(self, caption: str) -> str | None:
        default = config.default_workspace_dir() / f"My workspace{config.WORKSPACE_SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(self, caption, str(default),
                                              f"CommitDesk workspace (*{config.WORKSPACE_SUFFIX})")
        if not path:
            return None
        return path if path.endswith(config.WORKSPACE_SUFFIX) else path + config.WORKSPACE_SUFFIX

    def create_workspace(self, path: str | Path | None = None) -> None:
        path = str(path) if path is not None else self._ask_new_path("Create a workspace")
        if path:
            self.chosen.emit("new:" + path)

    def import_files(self, path: str | Path | None = None) -> None:
        path = str(path) if path is not None else self._ask_new_path("Create a workspace for your files")
        if path:
            self.chosen.emit("import:" + path)

    def open_workspace(self, path: str | Path | None = None) -> None:
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self, "Open workspace", str(config.default_workspace_dir()),
                                                  f"CommitDesk workspace (*{config.WORKSPACE_SUFFIX})")
        if path:
            self.chosen.emit(str(path))

    def export_templates(self) -> list[Path]:
        """Ask for a folder, copy the templates there and show it in the file manager."""
        folder = QFileDialog.getExistingDirectory(self, "Save the templates to", str(Path.home()))
        if not folder:
            return []
        written = save_templates(Path(folder))
        if written:
            QDesktopServices.openUrl(QUrl.fromLocalFile(folder))
        return written
