"""About CommitDesk."""

from __future__ import annotations

import platform

import pyqtgraph
import PySide6
from PySide6.QtWidgets import QMessageBox

from desktop import config


def show_about(parent) -> None:
    try:
        from importlib.metadata import version

        v = version("commitdesk")
    except Exception:  # running from a source tree without metadata
        v = "development"
    QMessageBox.about(
        parent, "About CommitDesk",
        f"<h3>CommitDesk {v}</h3>"
        "<p>Pacing, shortfall and overage exposure, invoice and budget variance for AI-vendor "
        "commitments. Everything stays on this computer.</p>"
        f"<p>Python {platform.python_version()} · PySide6 {PySide6.__version__} · pyqtgraph "
        f"{pyqtgraph.__version__}</p>"
        f"<p>Logs: {config.log_dir()}</p>")
