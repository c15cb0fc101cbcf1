"""The asyncio runtime on a simulated host: one application coroutine, real time or virtual.

`SimRuntime(host)` is the `smoltcp.phy.aio.Runtime` of a `SimHost`: its interface, card and
socket set. Run on a `VirtualTimeEventLoop` of the same simulator, the streams
(`open_connection`, `start_server`), protocols and datagrams of `smoltcp.phy.aio` work on the
simulated network unchanged: an application written as ``async def app(runtime)`` runs over a
TAP device in real time with a `Runtime`, and inside the simulator with a `SimRuntime`,
deterministically.

Two things differ from a runtime on a real device, and only these:

- time: the runtime's clock (`Runtime`'s ``clock``) is the simulator's: the stack's instants
  are the simulator's microseconds (not wall-clock ones), so the runtime and the host's own
  polls agree on "now" exactly, and the loop's ``time()`` is the same clock in seconds;
- wake-ups: the card has no descriptor; the host polls itself when a frame arrives, and after
  each of its polls the runtime is woken (`Runtime.wake`) to move data between the sockets and
  the asyncio protocols.
"""

from __future__ import annotations

from typing import Any

from smoltcp.phy.aio import Runtime
from smoltcp.stack.time import Instant

from .host import SimHost

__all__ = ["SimRuntime"]


class _Waker:
    """A host application that wakes the runtime after each of the host's polls."""

    __slots__ = ("runtime",)

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def step(self, now: Instant) -> bool:
        self.runtime.wake()
        return False


class SimRuntime(Runtime):
    """The asyncio `Runtime` of ``host`` (keyword arguments as `Runtime`'s).

    Start it inside a `VirtualTimeEventLoop` running on ``host``'s simulator (``async with
    SimRuntime(host) as rt:``); RuntimeError if the running loop is another one.
    """

    def __init__(self, host: SimHost, **kw: Any) -> None:
        if not isinstance(host, SimHost):
            raise TypeError(f"host must be a SimHost, not {type(host).__name__}")
        if "clock" in kw:
            raise TypeError("a SimRuntime's clock is its simulator's: do not pass clock")
        sim = host.sim
        super().__init__(
            host.iface, host.card, host.sockets, clock=lambda: Instant(sim.now_us), **kw
        )
        self.host = host
        self._waker: _Waker | None = None

    def start(self) -> None:
        """Attach to the running loop (a `VirtualTimeEventLoop` of the host's simulator)."""
        import asyncio

        loop = asyncio.get_running_loop()
        if getattr(loop, "sim", None) is not self.host.sim:
            raise RuntimeError(
                f"host {self.host.name}'s runtime must run on a VirtualTimeEventLoop of its "
                "simulator"
            )
        super().start()
        if self._waker is None:
            self._waker = _Waker(self)
            self.host.add_app(self._waker)
