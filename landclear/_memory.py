"""Memory housekeeping for the heavy steps.

glibc keeps freed blocks for reuse, so a process that built and dropped a
few gigabytes of geometry keeps them resident. :func:`release` asks it to
return them (``malloc_trim``) after the heavy steps; elsewhere it does nothing.

:func:`gc_paused` keeps Python's cyclic garbage collector out of the steps
that create millions of objects at once (geometries, spreadsheet rows).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused", "release"]

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


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause automatic garbage collection for the block (nesting is safe).

    Creating a million geometries or spreadsheet rows sets off full
    collections every few hundred thousand objects, and each one visits
    every tracked object in the process: at 1M parcels these took about
    2 s in the main process and 1.8 s in the ledger worker, and freed
    nothing, since new geometries and rows hold no reference cycles. The
    collector is switched back on (if it was on) when the block ends;
    explicit ``gc.collect()`` calls still work inside.

    Examples
    --------
    >>> with gc_paused():
    ...     gc.isenabled()
    False
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
