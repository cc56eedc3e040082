import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# a fresh, empty CommitDesk home (preferences, recent list, demo workspace) per test session
if not os.environ.get("COMMITDESK_HOME"):
    os.environ["COMMITDESK_HOME"] = tempfile.mkdtemp(prefix="commitdesk-test-home-")

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DATA = Path(__file__).parent / "data"
