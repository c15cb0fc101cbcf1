"""The socket set: handles, demultiplexing dictionaries and the set of active sockets.

Ingress never scans the sockets: the set files every socket under the keys its `demux_keys`
returns (DESIGN.md section 2) and the interface looks a received packet's keys up in one
dictionary, so a packet costs the same with one socket or ten thousand. Egress visits only the
*active* sockets, those that said (through `Socket._wake`) that they may have something to send;
the interface drops a socket from the active set once its `poll_at` returns None.

A socket whose `poll_at` is in the future (a retransmission or keep-alive timer) *sleeps* in a
timer heap instead: it costs nothing per poll until its time comes or it is woken (by
`Socket._wake`, or by the interface when a packet arrives for it). So a poll costs in
proportion to the sockets with something to do, not to the sockets with a timer.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from heapq import heapify as _heapify
from heapq import heappop as _heappop
from heapq import heappush as _heappush
from heapq import heapreplace as _heapreplace
from typing import TYPE_CHECKING, Any

from smoltcp.wire.ipv4 import IpProtocol

from .base import Socket

if TYPE_CHECKING:
    from smoltcp.stack.iface.context import Context
    from smoltcp.stack.tcp.trace import TraceRecorder

__all__ = ["ANY_TCP_KEY", "ANY_UDP_KEY", "SocketHandle", "SocketSet"]

SocketHandle = int
"""The handle `SocketSet.add` returns: a small int, never reused by the same set."""

# Any: an empty look-up result, of the sockets' type below.
_EMPTY: tuple[Any, ...] = ()

ANY_TCP_KEY: Hashable = (IpProtocol.TCP, "any")
"""The key of a catch-all TCP listener (`TcpSocket.listen_any`): ingress looks it up after
the exact keys (connection, then listener on the address, then on every address) found
nothing, so a segment to any address and port reaches it, and only then."""
ANY_UDP_KEY: Hashable = (IpProtocol.UDP, "any")
"""The key of a catch-all UDP socket (`TransparentUdpSocket`): looked up, as `ANY_TCP_KEY`,
after the exact keys of a unicast datagram found no socket (never for a broadcast)."""

# The look-ups below return Any, not Socket: a set holds sockets of every kind and the caller
# knows which kind it filed under a handle; typed as Socket, every ``sockets[h].recv()`` in a
# program would need a cast.


class SocketSet:
    """A collection of sockets addressed by integer handles.

    `add` files a socket under its demux keys and marks it active; `remove` takes it out again.
    A socket belongs to at most one set. Handles are never reused, so a stale handle never
    reaches another socket.
    """

    __slots__ = (
        "_active",
        "_demux",
        "_heap",
        "_keys",
        "_next",
        "_raw",
        "_sleep_at",
        "_sockets",
        "_tcp_trace",
    )

    def __init__(self) -> None:
        self._sockets: dict[int, Socket] = {}
        # key -> list of sockets filed under it, in the order they were filed.
        self._demux: dict[Hashable, list[Socket]] = {}
        # handle -> the keys the socket is filed under now (to unfile it on a rebind).
        self._keys: dict[int, tuple[Hashable, ...]] = {}
        # The active handles, as an insertion-ordered dict used as a set (fair egress order).
        self._active: dict[int, None] = {}
        self._next = 0
        # How many raw-socket keys are filed: ingress skips the raw look-up when none is.
        self._raw = 0
        # Sleeping sockets: handle -> when (micros) they want a poll, and a heap of
        # (when, handle) over it. Heap entries that disagree with _sleep_at are stale
        # (the socket was woken or slept again) and are skipped.
        self._sleep_at: dict[int, int] = {}
        self._heap: list[tuple[int, int]] = []
        # The recorder every TCP socket added gets (`set_tcp_trace`), or None.
        self._tcp_trace: TraceRecorder | None = None

    def add(self, socket: Socket) -> SocketHandle:
        """Add ``socket``; return its handle. It starts active (it may have something to send).

        Raises TypeError for a non-socket and ValueError if it already belongs to a set.
        """
        if not isinstance(socket, Socket):
            raise TypeError(f"expected a Socket, not {type(socket).__name__}")
        if socket.socket_set is not None:
            raise ValueError("the socket already belongs to a socket set")
        handle = self._next
        self._next = handle + 1
        self._sockets[handle] = socket
        socket.attach(self, handle)
        if self._tcp_trace is not None and getattr(socket, "trace_recorder", 0) is None:
            socket.set_trace(self._tcp_trace)  # type: ignore[attr-defined]
        self._file(handle, socket)
        self._active[handle] = None
        return handle

    @property
    def tcp_trace(self) -> TraceRecorder | None:
        """The recorder `set_tcp_trace` gave every TCP socket, or None."""
        return self._tcp_trace

    def set_tcp_trace(self, recorder: TraceRecorder | None) -> None:
        """Trace every TCP socket of the set in ``recorder`` (a TCP `TraceRecorder`); None
        stops.

        Each TCP socket in the set now gets ``set_trace(recorder)``, and so does each one
        added later that has no recorder of its own (a listener's children inherit theirs).
        With None, every TCP socket in the set stops tracing. Raises TypeError for an object
        that is not a recorder.
        """
        from smoltcp.stack.tcp.trace import TraceRecorder  # TCP imports this module

        if recorder is not None and not isinstance(recorder, TraceRecorder):
            raise TypeError(
                f"recorder must be a TraceRecorder or None, not {type(recorder).__name__}"
            )
        self._tcp_trace = recorder
        for socket in self._sockets.values():
            set_trace = getattr(socket, "set_trace", None)
            if set_trace is not None:
                set_trace(recorder)

    # Any: the socket's kind is the caller's to know (see above).
    def get(self, handle: SocketHandle) -> Any:
        """Return the socket of ``handle``, or None if there is none (removed or never added)."""
        return self._sockets.get(handle)

    # Any: the socket's kind is the caller's to know (see above).
    def __getitem__(self, handle: SocketHandle) -> Any:
        """Return the socket of ``handle``; raise KeyError if there is none."""
        return self._sockets[handle]

    # Any: the socket's kind is the caller's to know (see above).
    def remove(self, handle: SocketHandle) -> Any:
        """Remove and return the socket of ``handle``; raise KeyError if there is none."""
        socket = self._sockets.pop(handle)
        self._unfile(handle, socket)
        self._active.pop(handle, None)
        self._sleep_at.pop(handle, None)
        socket.detach()
        return socket

    # Any: sockets of every kind (see above).
    def __iter__(self) -> Iterator[tuple[SocketHandle, Any]]:
        """Iterate over ``(handle, socket)`` pairs (a snapshot: adding or removing is safe)."""
        return iter(list(self._sockets.items()))

    def __len__(self) -> int:
        return len(self._sockets)

    def __contains__(self, handle: object) -> bool:
        return handle in self._sockets

    def __repr__(self) -> str:
        return f"SocketSet(sockets={len(self._sockets)}, active={len(self._active)})"

    # Any: sockets of every kind (see above).
    def lookup(self, key: Hashable) -> Sequence[Any]:
        """Return the sockets filed under ``key`` (an empty sequence if none); do not modify it."""
        return self._demux.get(key, _EMPTY)

    @property
    # Any: sockets of every kind (see above).
    def demux(self) -> Mapping[Hashable, Sequence[Any]]:
        """The demultiplexing table: key -> the sockets filed under it, in filing order.

        Read-only for the caller. Ingress keeps it for the length of one poll and looks each
        packet up with ``demux.get(key)``: `add`, `remove` and a socket's rebind replace a
        key's list rather than mutate it, so a list being walked never changes under ingress.
        """
        return self._demux

    @property
    def has_raw(self) -> bool:
        """Whether any raw-socket key is filed (ingress skips the raw look-up otherwise)."""
        return self._raw > 0

    # -- called by sockets (through Socket._rebind / Socket._wake) -------------------------

    def rebind(self, handle: SocketHandle | None, socket: Socket) -> None:
        """Refile ``socket`` (held under ``handle``) under its current `demux_keys`.

        Sockets call this (through `Socket._rebind`) whenever their keys change.
        """
        if handle is None or self._sockets.get(handle) is not socket:
            return
        self._unfile(handle, socket)
        self._file(handle, socket)

    def wake(self, handle: SocketHandle | None) -> None:
        """Mark ``handle`` active: the interface's egress loop will visit it at the next poll.

        A sleeping socket leaves the timer heap. An unknown handle (or None) is ignored.
        """
        # None is never a handle: the membership test refuses it too. The active set and the
        # sleepers never share a handle, so only a sleeper has an entry to drop.
        if handle in self._sockets:
            self._active[handle] = None
            sleep_at = self._sleep_at
            if handle in sleep_at:
                del sleep_at[handle]

    # -- scheduling, for the interface ------------------------------------------------------
    #
    # A poll does: `wake_due(now)`; for each handle of `active_handles()`, dispatch, then by the
    # socket's `poll_at`: `deactivate` (nothing to do), `sleep` (a timer), or leave it active
    # (work now); then `compact_active(visited)`. `next_wake()` says when a timer is due;
    # `schedule` does the same sorting without the dispatch, for the interface's `poll_at`.

    def has_active(self) -> bool:
        """Return True when some socket is active (egress has something to visit)."""
        return bool(self._active)

    def is_active(self, handle: SocketHandle) -> bool:
        """Return True when ``handle`` is active (awake, to be visited by egress)."""
        return handle in self._active

    def active_handles(self) -> list[SocketHandle]:
        """Return the active handles in fair (insertion) order, as a snapshot list.

        The caller may `sleep`, `deactivate` or `wake` handles while walking it.
        """
        return list(self._active)

    def deactivate(self, handle: SocketHandle) -> None:
        """Take ``handle`` out of the active set (its `poll_at` returned None); no-op if absent.

        Only `wake` (a socket's, or ingress for a packet to it) brings it back.
        """
        self._active.pop(handle, None)

    def sleep(self, handle: SocketHandle, at_us: int) -> None:
        """Move ``handle`` from the active set to the timer heap until ``at_us`` (micros).

        `wake_due` makes it active again once ``at_us`` has come, `wake` earlier.
        """
        self._active.pop(handle, None)
        sleep_at = self._sleep_at
        if sleep_at.get(handle) == at_us:
            return
        sleep_at[handle] = at_us
        heap = self._heap
        if heap and heap[0][1] == handle:
            # The first entry is this socket's last sleep, stale now (it was woken, as a
            # connection is by every segment, or it sleeps until another time from now on):
            # the new entry takes its place rather than leave it for `next_wake` to pop.
            _heapreplace(heap, (at_us, handle))
            return
        _heappush(heap, (at_us, handle))
        n = len(heap)
        if n > 64 and n > 2 * len(sleep_at) + 64:
            # Too many stale entries (sockets woken before their time): rebuild.
            self._heap = heap = [(t, h) for h, t in sleep_at.items()]
            _heapify(heap)

    def compact_active(self, before: int) -> None:
        """Shrink the active set after many sockets left it (``before``: its size then).

        A dict never shrinks when keys are deleted, and iterating it costs in proportion to
        the most keys it ever held: without this, an empty active set that once held 10,000
        sockets would cost microseconds per poll.
        """
        if before > 64 and len(self._active) * 4 < before:
            self._active = dict(self._active)

    def wake_due(self, now_us: int) -> bool:
        """Make every sleeping socket whose time (micros) is at or before ``now_us`` active;
        return whether any socket is active then (see `has_active`)."""
        heap = self._heap
        if heap and heap[0][0] <= now_us:
            sleep_at = self._sleep_at
            active = self._active
            while heap and heap[0][0] <= now_us:
                at_us, handle = _heappop(heap)
                if sleep_at.get(handle) == at_us:
                    del sleep_at[handle]
                    active[handle] = None
        return bool(self._active)

    def next_wake(self) -> int | None:
        """Return when (micros) the first sleeping socket wants a poll, or None if none sleeps."""
        heap = self._heap
        sleep_at = self._sleep_at
        while heap:
            at_us, handle = heap[0]
            if sleep_at.get(handle) == at_us:
                return at_us
            _heappop(heap)
        return None

    def schedule(self, cx: Context, now_us: int) -> int | None:
        """Sort the sockets by when they next want a poll; return the earliest (micros).

        At ``now_us`` (micros): sleeping sockets whose time has come become active
        (`wake_due`); each active socket is asked for its ``poll_at(cx)`` and leaves the
        active set when that is None (`deactivate`) or sleeps when it is after ``now_us``
        (`sleep`). The answer is the earliest of those times and of the sleepers' (a time at
        or before ``now_us`` when some socket has work now), or None when no socket wants a
        poll at all.
        """
        # `wake_due` and `compact_active` called only when they have work: the interface's
        # `poll_at` runs this after every poll, most often with no socket active and one
        # sleeper.
        best = None
        heap = self._heap
        if heap and heap[0][0] <= now_us:
            self.wake_due(now_us)
        active = self._active
        if active:
            sockets = self._sockets
            visit = list(active)
            for handle in visit:
                sock = sockets.get(handle)
                at = None if sock is None else sock.poll_at(cx)
                if at is None:
                    active.pop(handle, None)
                    continue
                at_us = at.micros
                if at_us > now_us:
                    self.sleep(handle, at_us)
                if best is None or at_us < best:
                    best = at_us
            if len(visit) > 64:
                self.compact_active(len(visit))
        wake_us = self.next_wake()
        if wake_us is not None and (best is None or wake_us < best):
            return wake_us
        return best

    @property
    def timer_entries(self) -> int:
        """Entries in the timer heap, stale ones included (bounded by 2 * sleeping + 64)."""
        return len(self._heap)

    # -- internals --------------------------------------------------------------------------

    def _file(self, handle: int, socket: Socket) -> None:
        keys = tuple(socket.demux_keys())
        if not keys:
            return
        self._keys[handle] = keys
        demux = self._demux
        for key in keys:
            if _is_raw(key):
                self._raw += 1
            sockets = demux.get(key)
            if sockets is None:
                demux[key] = [socket]
            else:
                sockets.append(socket)

    def _unfile(self, handle: int, socket: Socket) -> None:
        keys = self._keys.pop(handle, _EMPTY)
        if not keys:
            return
        demux = self._demux
        for key in keys:
            if _is_raw(key):
                self._raw -= 1
            sockets = demux.get(key)
            if sockets is None:
                continue
            if len(sockets) == 1 and sockets[0] is socket:
                # The usual case of a connection's key: it leaves with its only socket.
                del demux[key]
                continue
            # Replace rather than mutate: ingress may be walking the old list right now.
            remaining = [s for s in sockets if s is not socket]
            if remaining:
                demux[key] = remaining
            else:
                del demux[key]


def _is_raw(key: Hashable) -> bool:
    return type(key) is tuple and len(key) > 0 and key[0] == "raw"
