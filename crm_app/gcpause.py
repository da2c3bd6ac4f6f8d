"""Pausing CPython's cyclic garbage collector around a burst of allocations.

The collector runs whenever enough container objects have been allocated, and each older
generation's run walks every live object of the process. A bulk import allocates millions of
short-lived tuples and lists (rows, bound parameters), none of them part of a reference cycle,
so those runs free nothing and cost ~15 % of a 100,000-row import; a PDF render allocates about
a million objects, enough for a full collection over the whole process (~10 % of a render).
Reference counting still frees everything as usual; what is left in cycles goes at the next
collection after the pause. Pauses nest and may overlap across threads: the collector is
enabled again when the last one ends, and only if it was enabled before the first.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


__all__ = ["collector_paused"]
