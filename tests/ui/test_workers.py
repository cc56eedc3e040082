"""The background-task wrapper: results on the GUI thread, stale runs never land, cancel."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from desktop.ui.workers import TaskRunner


@pytest.fixture
def runner(qtbot):
    r = TaskRunner("t")
    yield r
    r.shutdown()


def test_result_arrives_on_the_gui_thread(qtbot, runner):
    seen = {}

    def work(p):
        seen["worker"] = QThread.currentThread()
        p.step(0.5, "half")
        return 42

    got = []
    runner.finished.connect(lambda v: got.append((v, QThread.currentThread())))
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.start(work)
    assert got[0][0] == 42
    assert got[0][1] is qtbot_main_thread()
    assert seen["worker"] is not got[0][1]
    assert not runner.busy


def qtbot_main_thread():
    from PySide6.QtWidgets import QApplication

    return QApplication.instance().thread()


def test_a_new_start_cancels_the_previous_and_its_result_never_lands(qtbot, runner):
    gate = threading.Event()
    first_saw_cancel = threading.Event()

    def slow(p):
        gate.wait(10)
        if p.cancelled:
            first_saw_cancel.set()
        return "stale"

    results = []
    runner.finished.connect(results.append)
    runner.start(slow)
    with qtbot.waitSignal(runner.finished, timeout=10000):
        runner.start(lambda p: "fresh")
    gate.set()
    qtbot.waitUntil(lambda: not runner._runs, timeout=10000)
    assert results == ["fresh"]
    assert first_saw_cancel.is_set()


def test_cancel_and_failure(qtbot, runner):
    started = threading.Event()

    def loop(p):
        started.set()
        while True:
            p.step(0.1, "working")
            QThread.msleep(5)

    with qtbot.waitSignal(runner.cancelled, timeout=10000):
        runner.start(loop)
        assert started.wait(10)
        runner.cancel()
    qtbot.waitUntil(lambda: not runner._runs, timeout=10000)

    with qtbot.waitSignal(runner.failed, timeout=10000) as blocker:
        runner.start(lambda p: 1 / 0)
    assert isinstance(blocker.args[0], ZeroDivisionError)
