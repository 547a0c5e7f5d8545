"""Pausing Python's cyclic garbage collector while a page of results is built.

Decoding a page of JSON and converting it into rows allocate tens of thousands of containers
(one list or dict per record, one tuple per row). Every 700 of them start a collection, and
every tenth of those a collection of the middle generation; once enough survive, CPython runs a
full collection, which walks every object the process holds (the connection's catalog, the
scan's earlier pages). Profiled (issue 17, benchmarks 1 and 9), two full collections during a
50,000-row answer cost more than the decoding itself. What these builders allocate cannot form
a reference cycle (JSON is a tree; rows are tuples of values), so the collector would find
nothing to free in it: pausing it while they run loses nothing, and once it is back on, one
young collection takes in what the block allocated.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, and turn it back on after, unless it was
    already off (the caller's choice, or another thread's pause, which turns it back on)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
