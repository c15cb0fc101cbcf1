"""The wall clock, as the stack's `Instant`: what a program passes as ``now``."""

from __future__ import annotations

import time

from smoltcp.stack.time import Instant

__all__ = ["now"]


def now() -> Instant:
    """Return the current time as microseconds since the Unix epoch.

    The epoch matters to pcap files, whose timestamps are Unix times. (The stack only ever
    subtracts instants, so any epoch works for it.)
    """
    return Instant(time.time_ns() // 1000)
