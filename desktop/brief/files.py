"""Writing a file the analyst will open: beside its destination first, then moved into place.

Every writer (the brief, the dispute pack, the app's table exports) writes to a temporary file
in the destination folder and replaces the destination only when the file is complete, so a
failed or cancelled write never leaves half a workbook under the analyst's file name. The
temporary file is created private (mkstemp: owner only); ``publish`` gives it the mode any new
file of the user gets (0666 less the umask) before moving it into place, so a brief can be
shared like any other file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from desktop.brief.cells import BriefError

_UMASK = os.umask(0)  # read once, at import (setting it back at once; nothing else runs yet)
os.umask(_UMASK)


def temp_beside(out: Path, prefix: str, suffix: str, what: str = "the file") -> str:
    """A new empty temporary file in ``out``'s folder (BriefError naming ``what`` when the folder
    is not writable)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=out.parent)
    except OSError as exc:
        raise BriefError(f"cannot write {what} into {out.parent}: {exc.strerror or exc}", file=str(out)) from exc
    os.close(fd)
    return tmp


def publish(tmp: str | Path, out: Path) -> Path:
    """Give ``tmp`` the user's normal file mode and move it onto ``out`` (removing ``tmp`` and
    raising BriefError, with what to do, when it cannot)."""
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, out)
    except OSError as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        hint = " (is it open in another program?)" if isinstance(exc, PermissionError) else ""
        raise BriefError(f"cannot write {out.name}: {exc.strerror or exc}{hint}", file=str(out)) from exc
    return out
