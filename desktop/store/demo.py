"""The demo workspace, built from desktop/resources/demo on first run."""

from __future__ import annotations

import os
from pathlib import Path

from desktop import config
from desktop.domain.progress import Progress, sub
from desktop.domain.settings import Settings
from desktop.resources import DEMO_KINDS, demo_files
from desktop.store.edits import _store_settings
from desktop.store.errors import WorkspaceError
from desktop.store.workspace import Workspace

SAMPLE_KEY = "sample_data"  # meta key of a workspace built from the bundled demo data


def is_sample_data(ws: Workspace) -> bool:
    """Whether ``ws`` holds the bundled sample data (the demo): marked so when it was built, or,
    built before the mark existed, the demo workspace's own file."""
    try:
        if ws._read(f"SELECT 1 FROM meta WHERE key = '{SAMPLE_KEY}' AND value = '1'"):
            return True
    except Exception:  # a closed or damaged workspace is not called sample data
        return False
    return ws.path.resolve() == config.demo_workspace_path().resolve()


DEMO_EQUIVALENTS = ("gpt-4o=claude-sonnet-4, claude-sonnet-4=gpt-4o, gpt-4.1-mini=claude-3-5-haiku, "
                    "claude-3-5-haiku=gpt-4.1-mini")


def create_demo_workspace(path: str | os.PathLike[str] | None = None, *,
                          progress: Progress | None = None) -> Path:
    """Return the demo workspace path, building it first when it does not exist yet.

    It is built under a temporary name and renamed into place once complete, so an interrupted
    first run never leaves half a demo behind.
    """
    target = Path(path) if path is not None else config.demo_workspace_path()
    if target.exists():
        return target
    files = demo_files()
    if not files:
        raise WorkspaceError("The demo data is missing from this installation.", path=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.building-{os.getpid()}{target.suffix}")
    for extra in ("", "-wal", "-shm", ".lock"):
        Path(str(tmp) + extra).unlink(missing_ok=True)
    try:
        with Workspace.open(tmp, create=True) as ws:
            with ws._write("mark the workspace as sample data") as conn:
                conn.execute(f"INSERT INTO meta(key, value) VALUES ('{SAMPLE_KEY}', '1')")
                # the walk-away's model equivalents an analyst would set (Settings > Renewal), as
                # the demo's own settings, not an undoable edit
                _store_settings(conn, Settings(batna_equivalents=DEMO_EQUIVALENTS).to_dict())
            kinds = [k for k in DEMO_KINDS if k in files]
            for i, kind in enumerate(kinds):
                ws.import_file(files[kind], kind,
                               progress=sub(progress, i / len(kinds), (i + 1) / len(kinds)))
        os.replace(tmp, target)
    finally:
        for extra in ("", "-wal", "-shm", ".lock"):
            Path(str(tmp) + extra).unlink(missing_ok=True)
    return target
