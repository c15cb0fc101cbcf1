"""Drive one `TcpSocket` with explicit times and crafted segments; collect what it emits.

The harness plays the interface: it hands the socket `TcpRepr`s through `process` (as if
they came from ``REMOTE``) and drains `dispatch` into a list, at a time the test sets with
`advance`. Each `TcpHarness` fixes the socket's ISS (1000 unless given, `TcpSocket`'s
``initial_seq``) so tests can spell out exact sequence numbers. After every drain it checks the
egress contract: once `dispatch` returns False, `poll_at` must not ask for "now" (that would
spin the interface). Every change of state of the socket and its backlog children
(``on_state_change``) is checked against the RFC 9293 diagram (`state.TRANSITIONS`) and
recorded in `TcpHarness.transitions`.
"""

from __future__ import annotations

import random
from typing import Any

from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.tcp.demux import connection_key, listen_key
from smoltcp.stack.tcp.state import TRANSITIONS
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    IpEndpoint,
    IpProtocol,
    Ipv4Address,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
    ip_repr,
)

__all__ = [
    "LOCAL",
    "REMOTE",
    "FakeContext",
    "FakeSet",
    "TcpHarness",
    "TcpControl",
    "TcpRepr",
    "TcpSeqNumber",
    "TcpSocket",
    "TcpState",
    "TcpTimestampRepr",
    "Duration",
    "Instant",
]

LOCAL = IpEndpoint(Ipv4Address("192.168.69.1"), 80)
REMOTE = IpEndpoint(Ipv4Address("192.168.69.2"), 49500)


class FakeContext:
    """What a socket may see of the interface (DESIGN.md `Context`), for one address."""

    def __init__(self, mtu: int = 1500, seed: int = 0) -> None:
        self.ip_mtu = mtu
        self.rand = random.Random(seed)
        self.now = Instant.ZERO
        self.ip_addrs = [LOCAL.addr]
        self.checksum_caps = None
        self.csum = None

    def has_ip_addr(self, addr: Any) -> bool:
        return addr == LOCAL.addr

    def get_source_address(self, dst_addr: Any) -> Any:
        return LOCAL.addr


class FakeSet:
    """The part of `SocketSet` a socket uses (`SocketOwner`): add/get/remove, rebind, wake."""

    def __init__(self) -> None:
        self.sockets: dict[int, Any] = {}
        self.woken: set[int] = set()
        self._next = 0

    def add(self, sock: Any) -> int:
        handle = self._next
        self._next += 1
        self.sockets[handle] = sock
        sock.attach(self, handle)
        return handle

    def get(self, handle: int) -> Any:
        return self.sockets.get(handle)

    def remove(self, handle: int) -> Any:
        sock = self.sockets.pop(handle)
        sock.detach()
        return sock

    def rebind(self, handle: int | None, sock: Any) -> None:
        pass

    def wake(self, handle: int | None) -> None:
        if handle is not None:
            self.woken.add(handle)

    def lookup(self, key: Any) -> list[Any]:
        return [s for s in self.sockets.values() if key in s.demux_keys()]

    def find(self, src: IpEndpoint, dst: IpEndpoint) -> Any:
        """Find the socket for a segment from ``src`` to ``dst`` as ingress would."""
        assert dst.addr is not None and src.addr is not None
        full = connection_key(dst.addr, dst.port, src.addr, src.port)
        for key in (full, listen_key(dst.addr, dst.port), listen_key(None, dst.port)):
            for sock in self.sockets.values():
                if key in sock.demux_keys():
                    return sock
        return None


class TcpHarness:
    """One socket, a fake interface, an explicit clock."""

    def __init__(
        self,
        rx: int = 64,
        tx: int = 64,
        mtu: int = 1500,
        iss: int = 1000,
        ack_delay: Duration | None = None,
    ) -> None:
        self.transitions: list[tuple[TcpState, TcpState]] = []
        self.cx = FakeContext(mtu)
        self.set = FakeSet()
        self.sock = TcpSocket(rx, tx, initial_seq=iss, on_state_change=self.check_transition)
        self.sock.set_ack_delay(ack_delay)
        self.handle = self.set.add(self.sock)
        self.iss = TcpSeqNumber(iss)

    def new_socket(self, rx: int = 64, tx: int = 64) -> TcpSocket:
        """Return another socket with this harness's ISS and transition check."""
        return TcpSocket(rx, tx, initial_seq=int(self.iss), on_state_change=self.check_transition)

    def check_transition(self, old: TcpState, new: TcpState) -> None:
        """Refuse a change of state outside the RFC 9293 diagram; record the others."""
        assert (old, new) in TRANSITIONS, f"{old} -> {new} is not an RFC transition"
        self.transitions.append((old, new))

    # -- time ------------------------------------------------------------------------------

    @property
    def now(self) -> Instant:
        return self.cx.now

    def advance(self, millis: float) -> None:
        self.cx.now = Instant(self.cx.now.micros + round(millis * 1000))

    def at(self, millis: float) -> None:
        self.cx.now = Instant(round(millis * 1000))

    # -- segments --------------------------------------------------------------------------

    def seg(
        self,
        control: Any = TcpControl.NONE,
        seq: int = 0,
        ack: int | None = None,
        window: int = 64240,
        **kw: Any,
    ) -> TcpRepr:
        """Build a segment from REMOTE to LOCAL (``seq``/``ack`` as plain ints)."""
        return TcpRepr(
            src_port=kw.pop("src_port", REMOTE.port),
            dst_port=kw.pop("dst_port", LOCAL.port),
            control=control,
            seq_number=TcpSeqNumber(seq),
            ack_number=None if ack is None else TcpSeqNumber(ack),
            window_len=window,
            **kw,
        )

    def deliver(self, seg: TcpRepr, sock: Any = None, src: IpEndpoint = REMOTE) -> Any:
        """Hand ``seg`` to ``sock`` (default: the one ingress would pick); return its reply."""
        dst = LOCAL
        if sock is None:
            sock = self.set.find(
                IpEndpoint(src.addr, seg.src_port), IpEndpoint(dst.addr, seg.dst_port)
            )
            assert sock is not None, "no socket would take this segment"
        ipr = ip_repr(src.addr, dst.addr, IpProtocol.TCP, seg.buffer_len(), 64)
        reply = sock.process(self.cx, self.now, ipr, seg)
        return None if reply is None else reply[1]

    def send(
        self,
        control: Any = TcpControl.NONE,
        seq: int = 0,
        ack: int | None = None,
        window: int = 64240,
        **kw: Any,
    ) -> Any:
        """Build a segment (see `seg`), deliver it to the harness socket, return the reply."""
        return self.deliver(self.seg(control, seq, ack, window, **kw), self.sock)

    def recv(self, sock: Any = None, limit: int = 100) -> list[TcpRepr]:
        """Drain `dispatch` at the current time; return the segments emitted, in order."""
        sock = self.sock if sock is None else sock
        out: list[TcpRepr] = []

        def emit(ipr: Any, seg: TcpRepr) -> None:
            assert ipr.payload_len == seg.buffer_len()
            assert ipr.payload_len + 20 <= self.cx.ip_mtu, "segment larger than the IP MTU"
            # Copy the payload: it may be a view into the socket's ring.
            out.append(seg._replace(payload=bytes(seg.payload)))

        for _ in range(limit):
            if not sock.dispatch(self.cx, self.now, emit):
                break
        else:
            raise AssertionError(f"dispatch still emitting after {limit} segments")
        at = sock.poll_at(self.cx)
        assert at is None or at > self.now, f"poll_at {at} <= now {self.now} after a drain"
        return out

    def recv_one(self, sock: Any = None) -> TcpRepr:
        out = self.recv(sock)
        assert len(out) == 1, f"expected one segment, got {out}"
        return out[0]

    def recv_none(self, sock: Any = None) -> None:
        out = self.recv(sock)
        assert out == [], f"expected no segment, got {out}"

    # -- common set-ups --------------------------------------------------------------------

    def listen(self, backlog: int = 0) -> None:
        self.sock.listen(LOCAL.port, backlog)

    def establish_passive(self, peer_iss: int = 5000, window: int = 64240, **syn_opts: Any) -> None:
        """Complete a passive open from REMOTE (peer ISS ``peer_iss``), draining the SYN-ACK."""
        self.listen()
        syn_opts.setdefault("max_seg_size", 1460)
        self.send(TcpControl.SYN, seq=peer_iss, window=window, **syn_opts)
        synack = self.recv_one()
        assert synack.control == TcpControl.SYN
        self.send(seq=peer_iss + 1, ack=int(self.iss) + 1, window=window)
        assert self.sock.state is TcpState.ESTABLISHED

    def establish_active(
        self, peer_iss: int = 5000, window: int = 64240, **synack_opts: Any
    ) -> None:
        """Complete an active open to REMOTE, draining our SYN and the final ACK."""
        self.sock.connect(self.cx, REMOTE, LOCAL)
        syn = self.recv_one()
        assert syn.control == TcpControl.SYN
        synack_opts.setdefault("max_seg_size", 1460)
        self.send(TcpControl.SYN, seq=peer_iss, ack=int(self.iss) + 1, window=window, **synack_opts)
        assert self.sock.state is TcpState.ESTABLISHED
        ack = self.recv_one()
        assert ack.control == TcpControl.NONE and ack.ack_number == peer_iss + 1


def fields(seg: TcpRepr) -> dict[str, Any]:
    """Return the fields a test usually checks, seq/ack as plain ints (for readable diffs)."""
    return {
        "control": seg.control,
        "seq": int(seg.seq_number),
        "ack": None if seg.ack_number is None else int(seg.ack_number),
        "window": seg.window_len,
        "payload": bytes(seg.payload),
    }
