"""The writer lock: a file ``<workspace>.lock`` next to the workspace that names who holds it.

Where ``fcntl`` exists (Linux, macOS) the holder keeps the lock file open with an exclusive
``flock``; the kernel drops that lock when the holder dies in any way (even SIGKILL), so a lock
left behind by a dead process is recognised and taken over (recovered) by the next opener.
Elsewhere the file is created exclusively and a lock naming this host with a dead pid is stale.

The file's JSON content (user, host, pid, time, app) is only informative: it builds the message
"W is open by alice on host-1 (process 4242) since ...".
"""

from __future__ import annotations

import datetime as _dt
import getpass
import json
import os
import socket
from pathlib import Path

from desktop.store.errors import WorkspaceLocked, WorkspaceReadOnly

try:  # pragma: no cover - platform dependent
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]


def lock_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def holder_info() -> dict:
    return {
        "app": "CommitDesk",
        "user": _user(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "time": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def read_holder(lock_path: Path) -> dict:
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def describe_holder(holder: dict) -> str:
    if not holder:
        return "another CommitDesk process"
    parts = [f"{holder.get('user', 'someone')} on {holder.get('host', 'an unknown host')}"]
    if holder.get("pid"):
        parts.append(f"(process {holder['pid']})")
    if holder.get("time"):
        parts.append(f"since {str(holder['time']).replace('T', ' ').replace('Z', ' UTC')}")
    return " ".join(parts)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class WorkspaceLock:
    """Exclusive writer lock for one workspace path. ``acquire()`` raises WorkspaceLocked."""

    def __init__(self, workspace_path: Path):
        self.workspace_path = Path(workspace_path)
        self.path = lock_path_for(self.workspace_path)
        self._fd: int | None = None
        self.recovered_stale: dict | None = None  # holder info of a stale lock we took over

    def _locked_error(self, holder: dict) -> WorkspaceLocked:
        return WorkspaceLocked(
            f"{self.workspace_path.name} is already open for editing by {describe_holder(holder)}. "
            "Open it read-only, or close it there first. "
            f"(Lock file: {self.path})",
            path=str(self.workspace_path), holder=holder)

    def _permission_error(self, exc: OSError) -> WorkspaceReadOnly:
        return WorkspaceReadOnly(
            f"Cannot open {self.workspace_path.name} for editing: no permission to create the lock "
            f"file in {self.path.parent} ({exc.strerror}). Open it read-only, or copy the "
            "workspace to a folder you can write to.", path=str(self.workspace_path))

    def acquire(self) -> None:
        if self._fd is not None:
            return
        if fcntl is not None:
            self._acquire_flock()
        else:  # pragma: no cover - non-POSIX
            self._acquire_exclusive()

    def _acquire_flock(self) -> None:
        for _ in range(20):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except PermissionError as exc:
                raise self._permission_error(exc) from exc
            except OSError as exc:
                raise WorkspaceReadOnly(
                    f"Cannot create the lock file {self.path}: {exc.strerror}.",
                    path=str(self.workspace_path)) from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise self._locked_error(read_holder(self.path)) from None
            except OSError:
                # flock unsupported on this file system: fall back to pid liveness
                os.close(fd)
                self._acquire_exclusive()
                return
            # we hold the flock; make sure the path still names the file we locked
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            previous = read_holder(self.path)
            if previous:
                self.recovered_stale = previous  # its holder died without unlocking
            self._write_info(fd)
            self._fd = fd
            return
        raise self._locked_error(read_holder(self.path))

    def _write_info(self, fd: int) -> None:
        data = json.dumps(holder_info()).encode("utf-8")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, data)
        os.fsync(fd)

    def _acquire_exclusive(self) -> None:
        for _ in range(5):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = read_holder(self.path)
                same_host = holder.get("host") == socket.gethostname()
                if same_host and not _pid_alive(int(holder.get("pid") or 0)):
                    self.recovered_stale = holder
                    try:
                        os.unlink(self.path)
                    except FileNotFoundError:
                        pass
                    continue
                raise self._locked_error(holder) from None
            except PermissionError as exc:
                raise self._permission_error(exc) from exc
            self._write_info(fd)
            self._fd = fd
            return
        raise self._locked_error(read_holder(self.path))

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            # unlink while still holding the lock, so nobody can lock the old inode meanwhile
            os.unlink(self.path)
        except OSError:
            pass
        finally:
            os.close(fd)
