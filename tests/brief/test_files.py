"""Written files get the user's normal mode and never a half-written destination
(desktop/brief/files.py)."""

from __future__ import annotations

import os
import stat

import pytest

from desktop.brief import BriefError, write_brief
from desktop.brief.files import publish, temp_beside


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def test_the_brief_is_readable_like_any_new_file(tmp_path, demo_analysis):
    old = os.umask(0o022)
    os.umask(old)
    expected = 0o666 & ~old
    out = tmp_path / "brief.xlsx"
    write_brief(demo_analysis, out, sections=["summary"])
    # was 0o600: mkstemp's private mode kept after the move into place
    assert _mode(out) == expected
    assert [p.name for p in tmp_path.iterdir()] == ["brief.xlsx"]  # no temporary left


def test_publish_replaces_and_a_failure_leaves_nothing(tmp_path):
    out = tmp_path / "x.csv"
    out.write_text("old")
    tmp = temp_beside(out, ".export-", ".csv")
    with open(tmp, "w") as f:
        f.write("new")
    assert _mode(tmp) == 0o600
    publish(tmp, out)
    assert out.read_text() == "new" and not os.path.exists(tmp)
    # a destination that cannot be replaced (a directory in its place): BriefError, tmp removed
    blocked = tmp_path / "blocked"
    (blocked / "inner").mkdir(parents=True)
    tmp2 = temp_beside(blocked, ".export-", ".csv")
    with pytest.raises(BriefError, match="cannot write blocked"):
        publish(tmp2, blocked)
    assert not os.path.exists(tmp2)
