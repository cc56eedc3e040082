"""The last figures kept in a workspace (desktop.store.figures): a cache of what was on screen,
written in the meta table, read back with or without opening the workspace."""

from __future__ import annotations

import sqlite3

from desktop.store import Workspace
from desktop.store.figures import KEY, MAX_BYTES, load_figures, peek_figures, save_figures


def test_saved_figures_read_back_opened_or_not(tmp_path):
    path = tmp_path / "w.commitdesk"
    with Workspace.open(path, create=True) as ws:
        assert load_figures(ws) is None and peek_figures(path) is None
        assert save_figures(ws, {"headline": "As of 2026-11-15", "tiles": {"commit": ["1.25M", "", None, ""]}})
        assert save_figures(ws, {"headline": "As of 2026-11-16"})  # replaced, not added
        assert load_figures(ws) == {"headline": "As of 2026-11-16"}
        # read while another holds the workspace: no lock needed
        assert peek_figures(path) == {"headline": "As of 2026-11-16"}
    assert peek_figures(path) == {"headline": "As of 2026-11-16"}
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM meta WHERE key = ?", (KEY,)).fetchone() == (1,)


def test_a_read_only_workspace_gets_nothing_written(tmp_path):
    path = tmp_path / "w.commitdesk"
    Workspace.open(path, create=True).close()
    with Workspace.open(path, readonly=True) as ws:
        assert not save_figures(ws, {"headline": "x"})
    assert peek_figures(path) is None


def test_what_cannot_be_read_is_no_figures(tmp_path):
    junk = tmp_path / "junk.commitdesk"
    junk.write_bytes(b"not a workspace at all" * 10)
    assert peek_figures(junk) is None
    assert peek_figures(tmp_path / "missing.commitdesk") is None
    path = tmp_path / "w.commitdesk"
    with Workspace.open(path, create=True) as ws:
        assert not save_figures(ws, {"big": "x" * (MAX_BYTES + 1)})  # a cache, never a large one
        with ws._write("test") as conn:
            conn.execute("INSERT INTO meta(key, value) VALUES (?, ?)", (KEY, "{not json"))
        assert load_figures(ws) is None
    assert peek_figures(path) is None


def test_reading_the_figures_loads_no_pandas(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "w.commitdesk"
    with Workspace.open(path, create=True) as ws:
        save_figures(ws, {"headline": "h"})
    code = ("import sys\nfrom desktop.store.figures import peek_figures\n"
            f"print(peek_figures({str(path)!r}), 'pandas' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "{'headline': 'h'} False", out.stderr[-500:]
