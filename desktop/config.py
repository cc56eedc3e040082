"""Where CommitDesk keeps its own files, the recent-workspaces list and the preferences.

Locations follow platformdirs (per user, per platform). One environment variable,
``COMMITDESK_HOME``, redirects all of them below one directory (tests and development use it):

    $COMMITDESK_HOME/data     workspaces by default, the demo workspace
    $COMMITDESK_HOME/config   preferences.json, recent.json
    $COMMITDESK_HOME/log      log files
    $COMMITDESK_HOME/cache    caches that can be deleted at any time

The preferences are a JSON object with ``schema_version``; unknown keys are kept (a newer
CommitDesk's additions survive a round-trip through an older one). JSON files are written to a
temporary file, fsynced and renamed over the old one, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "CommitDesk"
APP_AUTHOR = "CommitDesk"
ENV_HOME = "COMMITDESK_HOME"
WORKSPACE_SUFFIX = ".commitdesk"
DEMO_WORKSPACE_NAME = "Demo" + WORKSPACE_SUFFIX
PREFERENCES_SCHEMA_VERSION = 1
MAX_RECENT = 10

DEFAULT_PREFERENCES: dict[str, Any] = {
    "schema_version": PREFERENCES_SCHEMA_VERSION,
    "last_workspace": None,
    "open_last_workspace": True,
    "as_of_mode": "latest_usage",  # or "today" or "fixed"
    "window_geometry": None,
    "appearance": "system",  # or "light" or "dark" (desktop/ui/appearance.py)
}


def _home() -> Path | None:
    value = os.environ.get(ENV_HOME)
    return Path(value).expanduser() if value else None


def _ensure(p: Path) -> Path:
    p.mkdir(parents=True, exist_ok=True)
    return p


def data_dir() -> Path:
    home = _home()
    if home is not None:
        return _ensure(home / "data")
    return _ensure(Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)))


def config_dir() -> Path:
    home = _home()
    if home is not None:
        return _ensure(home / "config")
    return _ensure(Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)))


def log_dir() -> Path:
    home = _home()
    if home is not None:
        return _ensure(home / "log")
    return _ensure(Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)))


def cache_dir() -> Path:
    home = _home()
    if home is not None:
        return _ensure(home / "cache")
    return _ensure(Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)))


def default_workspace_dir() -> Path:
    """Where new workspaces are proposed (the data dir's ``workspaces`` folder)."""
    return _ensure(data_dir() / "workspaces")


def demo_workspace_path() -> Path:
    return data_dir() / DEMO_WORKSPACE_NAME


def templates_dir() -> Path | None:
    """The import templates (resources/templates: next to the package in a source tree and in
    the bundle), or None when this installation has none."""
    p = Path(__file__).resolve().parent.parent / "resources" / "templates"
    return p if p.is_dir() else None


def preferences_path() -> Path:
    return config_dir() / "preferences.json"


def recent_path() -> Path:
    return config_dir() / "recent.json"


# --- atomic JSON ------------------------------------------------------------------------------

def _write_json_atomic(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def _read_json(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        # unreadable or damaged: behave as if absent (defaults), never crash the app
        return None


# --- preferences ------------------------------------------------------------------------------

def load_preferences() -> dict[str, Any]:
    """The saved preferences merged over the defaults (always has ``schema_version``)."""
    prefs = dict(DEFAULT_PREFERENCES)
    data = _read_json(preferences_path())
    if isinstance(data, dict):
        prefs.update(data)
    if not isinstance(prefs.get("schema_version"), int):
        prefs["schema_version"] = PREFERENCES_SCHEMA_VERSION
    return prefs


def save_preferences(prefs: dict[str, Any]) -> None:
    data = dict(prefs)
    data.setdefault("schema_version", PREFERENCES_SCHEMA_VERSION)
    _write_json_atomic(preferences_path(), data)


# --- recent workspaces ------------------------------------------------------------------------

def recent_workspaces(*, existing_only: bool = True) -> list[Path]:
    """Most recent first; workspaces that no longer exist are left out unless asked for."""
    data = _read_json(recent_path())
    items = data.get("recent", []) if isinstance(data, dict) else []
    out: list[Path] = []
    for item in items:
        if not isinstance(item, str):
            continue
        p = Path(item)
        if existing_only and not p.exists():
            continue
        if p not in out:
            out.append(p)
    return out


def add_recent(path: str | os.PathLike[str]) -> list[Path]:
    """Put ``path`` first in the recent list (at most MAX_RECENT kept) and return the list."""
    p = Path(path).expanduser().resolve()
    current = [q for q in recent_workspaces(existing_only=False) if q != p]
    items = [p, *current][:MAX_RECENT]
    _write_json_atomic(recent_path(), {"schema_version": 1, "recent": [str(q) for q in items]})
    return items


def remove_recent(path: str | os.PathLike[str]) -> None:
    p = Path(path).expanduser().resolve()
    items = [q for q in recent_workspaces(existing_only=False) if q != p]
    _write_json_atomic(recent_path(), {"schema_version": 1, "recent": [str(q) for q in items]})
