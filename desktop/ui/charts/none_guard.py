"""Guard against a reference-count bug seen with PySide6 6.12 on Python 3.11.

Python overrides of Qt virtuals called by Qt (QGraphicsItem.paint, QWidget.paintEvent, event
handlers returning a bool, ...) release a reference to their result too many: a bare
QGraphicsItem subclass costs ``None`` 3 references per paint, a pyqtgraph chart about 30
references to ``None`` and 4 to ``True`` per repaint (measured). On Python 3.11 these start
with a few thousand references, so after some hundreds of repaints the interpreter aborts with
"Fatal Python error: none_dealloc" (or bool_dealloc). From Python 3.12 on they are immortal and
the bug is harmless.

pyproject.toml keeps PySide6 below 6.12 (6.10 and 6.11 only ever add references, measured; see
docs/architecture.md), so this guard is a second line of defence for an environment that got
6.12 anyway: ``protect_none()`` gives ``None``, ``True`` and ``False`` an extra 2**40 references
once (they are static objects that are never freed, so their counts only have to stay
positive). It does nothing on Python >= 3.12 or with a PySide6 other than 6.12.x.
"""

from __future__ import annotations

import sys

_EXTRA = 1 << 40


def affected() -> bool:
    """True for the combination known to over-release: Python 3.11 with PySide6 6.12.x."""
    if sys.version_info >= (3, 12):
        return False
    import PySide6

    return PySide6.__version__.startswith("6.12.")


def protect_none() -> bool:
    """Make ``None``'s reference count unreachable by the leak; True when applied."""
    if not affected():
        return False
    import ctypes

    for obj in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt, the first field
        if count.value < _EXTRA:
            count.value += _EXTRA
    return True
