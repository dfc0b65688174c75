"""Pausing Python's cyclic garbage collector while a problem is built.

Building a problem creates hundreds of thousands of objects (labels, connections, arcs) and keeps
nearly all of them until the solve ends. With the default thresholds the collector starts a young
collection every 700 allocations and, as survivors pile up, full collections that walk every one of
them again, finding no garbage: a third of a flagship replan's time. Paused for the build, the
garbage that does form (a few reference cycles) is collected at the next collection after it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector's state is restored after it, so
    blocks nest and a caller that had disabled it keeps it disabled."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
