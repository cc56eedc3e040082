import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from desktop.store import Workspace


@pytest.fixture
def ws_path(tmp_path):
    return tmp_path / "work.commitdesk"


@pytest.fixture
def ws(ws_path):
    w = Workspace.open(ws_path, create=True)
    yield w
    w.close()
