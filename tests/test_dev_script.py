""".ci/dev.py, the README's commands: ``test`` runs the suite with pytest-xdist (-n auto) unless
the caller chose the workers."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_dev():
    spec = importlib.util.spec_from_file_location("commitdesk_dev", ROOT / ".ci" / "dev.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_suite_runs_on_every_core_unless_told_otherwise():
    dev = load_dev()
    assert dev.test_args([]) == ["-n", "auto"]
    assert dev.test_args(["-q", "tests/domain"]) == ["-n", "auto", "-q", "tests/domain"]
    assert dev.test_args(["-n", "0"]) == ["-n", "0"]
    assert dev.test_args(["-n2", "-q"]) == ["-n2", "-q"]
    assert dev.test_args(["--numprocesses=4"]) == ["--numprocesses=4"]
    assert dev.test_args(["-p", "no:xdist"]) == ["-p", "no:xdist"]
