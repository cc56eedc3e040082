"""Giving freed memory back to the OS: the one place that does it.

Arrow's allocator (mimalloc or jemalloc) and the C heap (glibc) keep memory that was freed for
allocations that may never come. After a big read (the CSV fast lane's slices at 1M rows leave
~360 MB in Arrow's pool and ~50 MB in glibc; the workspace's usage rollup ~75 MB and ~30 MB)
that memory still counts in the resident set, and the analysis that follows cannot use it.
``give_back`` returns it; it is cheap (milliseconds) and safe to call at any time.
"""

from __future__ import annotations

import sys

_TRIM: object = False  # glibc's malloc_trim: not looked up yet


def give_back() -> None:
    """Release Arrow's unused pool memory (when pyarrow is loaded: never imports it) and the
    C heap's free pages (glibc's ``malloc_trim``; elsewhere the allocator gives pages back
    itself or has no such call)."""
    pa = sys.modules.get("pyarrow")
    if pa is not None:
        pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _malloc_trim():
    global _TRIM
    if _TRIM is False:
        _TRIM = None
        if sys.platform.startswith("linux"):
            import ctypes

            try:
                _TRIM = ctypes.CDLL("libc.so.6").malloc_trim
            except (OSError, AttributeError):  # not glibc (musl)
                _TRIM = None
    return _TRIM
