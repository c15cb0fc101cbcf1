"""An interface holds no reference cycles: dropped, it is freed at once (by reference
counting), with the buffers it owns (the GRO aggregate alone is 64 KiB), even while the
cyclic garbage collector is off. Programs that build many interfaces (the fuzz targets,
simulations) then stay within a bounded memory."""

from __future__ import annotations

import gc
import weakref

from smoltcp.stack.testing import Harness
from smoltcp.wire import Medium


def _freed_without_gc(medium: Medium) -> bool:
    """Build and poll an interface, drop it; return whether nothing was left for the cyclic
    collector (everything went by reference counting)."""
    Harness(medium=medium).poll()  # first use: imports, kernels warmed up, caches filled
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        h = Harness(medium=medium)
        h.poll()
        ref = weakref.ref(h.iface)
        del h
        return ref() is None and gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_an_ethernet_interface_is_freed_when_dropped() -> None:
    assert _freed_without_gc(Medium.ETHERNET)


def test_an_ip_interface_is_freed_when_dropped() -> None:
    assert _freed_without_gc(Medium.IP)
