"""Fixtures for the GUI tests: a private CommitDesk home and QSettings per test, the demo
workspace (built once, copied per test), and the main window on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

_DEMO: dict[str, Path] = {}


@pytest.fixture
def home(tmp_path, monkeypatch):
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("COMMITDESK_HOME", str(h))
    QCoreApplication.setOrganizationName("CommitDesk-tests")
    QCoreApplication.setApplicationName("CommitDesk-tests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(h / "qsettings"))
    return h


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory) -> Path:
    from desktop.store import create_demo_workspace

    if "path" not in _DEMO:
        d = tmp_path_factory.mktemp("demo")
        _DEMO["path"] = create_demo_workspace(d / "Demo.commitdesk")
    return _DEMO["path"]


@pytest.fixture
def demo_path(home, demo_master) -> Path:
    dst = home / "Demo.commitdesk"
    shutil.copy(demo_master, dst)
    return dst


def open_window(qtbot, path: Path, as_of=None):
    from desktop import app as desktop_app
    from desktop.store import Workspace

    ws = Workspace.open(path)
    win = desktop_app.build_window(ws, as_of)
    qtbot.addWidget(win)
    win.resize(1440, 900)
    win.show()
    qtbot.waitUntil(lambda: win.session.analysis is not None, timeout=60000)
    return win


def close_window(win) -> None:
    from desktop import app as desktop_app

    if win.wizard is not None:
        win.wizard.close()
    win.close()
    win.session.shutdown()
    win.session.workspace.close()
    if win in desktop_app._windows:
        desktop_app._windows.remove(win)


@pytest.fixture
def window(qtbot, demo_path):
    win = open_window(qtbot, demo_path)
    yield win
    close_window(win)


@pytest.fixture(scope="module")
def shared_window(qapp, demo_master, tmp_path_factory):
    """One window for the tests of a module that only look (they must not change anything)."""
    import os

    from pytestqt.qtbot import QtBot

    h = tmp_path_factory.mktemp("shared-home")
    old = os.environ.get("COMMITDESK_HOME")
    os.environ["COMMITDESK_HOME"] = str(h)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(h / "qsettings"))
    dst = h / "Demo.commitdesk"
    shutil.copy(demo_master, dst)

    class _Req:  # QtBot wants a request only for its finalizers
        def addfinalizer(self, fn):
            pass

    bot = QtBot(_Req())
    from desktop import app as desktop_app
    from desktop.store import Workspace

    ws = Workspace.open(dst)
    win = desktop_app.build_window(ws)
    win.resize(1440, 900)
    win.show()
    bot.waitUntil(lambda: win.session.analysis is not None, timeout=60000)
    yield win
    close_window(win)
    if old is None:
        os.environ.pop("COMMITDESK_HOME", None)
    else:
        os.environ["COMMITDESK_HOME"] = old


@pytest.fixture
def app_module():
    """desktop.app, and every window it opened closed (sessions shut down) after the test."""
    from desktop import app as desktop_app

    yield desktop_app
    for w in list(desktop_app._windows):
        session = getattr(w, "session", None)
        w.close()
        if session is not None:
            session.shutdown()
            session.workspace.close()
    desktop_app._windows.clear()
