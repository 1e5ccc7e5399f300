"""Give memory freed by large intermediate arrays back to the operating system.

glibc keeps freed blocks for reuse, so a process that built and dropped a
few gigabytes of geometry keeps them resident. :func:`release` asks it to
return them (``malloc_trim``) after the heavy steps; elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys

__all__ = ["release"]

_LIBC = None
if sys.platform.startswith("linux"):
    try:
        _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):  # not glibc (musl, …)
        _LIBC = None


def release() -> bool:
    """Collect garbage and return freed heap memory to the OS; True if it could.

    Examples
    --------
    >>> isinstance(release(), bool)
    True
    """
    gc.collect()
    if _LIBC is None:
        return False
    _LIBC.malloc_trim(0)
    return True
