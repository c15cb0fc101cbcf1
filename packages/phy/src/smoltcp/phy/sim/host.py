"""A simulated host: a full stack `Interface` with its sockets, on one port of a link.

The host's network card is a device of the stack's device protocol (`smoltcp.stack.device`): a
received frame waits in its inbox until the next poll; a transmitted frame goes to the port's
queue. When that queue is full the card refuses to transmit (back-pressure, as the protocol
allows) instead of dropping, as a real host's queue pushes back on its sockets; the port wakes
the host when a frame has left.

The host schedules its own polls: when a frame arrives, when an application did something, and
at the interface's `Interface.poll_at`.

With ``offload=True`` the card offloads TCP segmentation and receive coalescing, as a TAP
with the virtio-net header does: it reports ``max_tso_size`` (65535 + 14, the largest IPv4
packet and its Ethernet header), so the stack hands it TCP super-segments, which it sends
as trains (`smoltcp.phy.sim.train`), cut at its IP MTU less the headers; and it takes trains
whole from the link (the interface takes received frames above the MTU). Its back-pressure
then asks the port for room for a whole train: as many frames of the largest size as the
largest super-segment is cut into (no more than the queue's bounds), so that the host never
drops at its own queue unless that queue is smaller than a train.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.iface.gso import ip_header_len
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv6Address, Medium

from .link import ETHERNET_HEADER_LEN, Port
from .runner import Simulator
from .traces import ConnectionLog
from .train import MAX_IP_PACKET, Train, make_train

__all__ = ["App", "SimHost"]

# A poll that leaves the interface asking to be polled at once, having done nothing, is retried
# this much later rather than at the same instant (which would never let the clock move).
_RETRY_US = 1
# An offload card's largest frame for TSO: the largest IP packet and its Ethernet header.
_TSO_FRAME = MAX_IP_PACKET + ETHERNET_HEADER_LEN
# The most header octets a super-segment's pieces carry: the IP header (IPv4, IPv6) and the
# largest TCP header (60 octets, options included).
_MAX_TCP_HEADER = 60
_MAX_HEADERS = tuple(ip_header_len(v6) + _MAX_TCP_HEADER for v6 in (False, True))


class App(Protocol):
    """An application on a host: `step` runs after each poll of its host."""

    def step(self, now: Instant) -> bool:
        """Do what the sockets allow now; return True if a socket was changed (send, close,
        connect), so the host polls again at once if that left something due now."""
        ...


class _RxToken:
    __slots__ = ("frame", "last")

    def __init__(self) -> None:
        self.frame: bytearray = bytearray()
        # No other frame waits in the inbox (the device hint of `smoltcp.stack.device.RxToken`):
        # exact, as frames reach the inbox only through simulator events, never during a poll.
        self.last = False

    def consume(self, f: Callable[[memoryview], Any]) -> Any:
        return f(memoryview(self.frame))


class _TxToken:
    __slots__ = ("_card",)

    def __init__(self, card: _Card) -> None:
        self._card = card

    def consume(self, length: int, f: Callable[[memoryview], Any]) -> Any:
        card = self._card
        if length > card.max_frame:
            return self._consume_train(length, f)
        buf = bytearray(length)
        result = f(memoryview(buf))
        port = card.port
        assert port is not None
        port.send(card.sim.now_us, buf)
        return result

    def _consume_train(self, length: int, f: Callable[[memoryview], Any]) -> Any:
        # Longer than the card's largest frame: a super-segment (the stack hands one only to
        # an offload card, which reports `max_tso_size`). It goes out as a train; one the card
        # cannot segment goes out as the oversized frame it is (the port drops it).
        card = self._card
        train = Train(length)
        result = f(memoryview(train))
        port = card.port
        assert port is not None
        ip_mtu = card.max_frame - ETHERNET_HEADER_LEN
        frame = train if make_train(train, ip_mtu) else bytearray(train)
        port.send(card.sim.now_us, frame)
        return result


class _Card:
    """The host's network card: the device the interface polls."""

    __slots__ = (
        "_caps",
        "_room_frames",
        "_rx",
        "_tokens",
        "_tx",
        "blocked",
        "host",
        "inbox",
        "max_frame",
        "port",
        "sim",
    )

    def __init__(self, host: SimHost, mtu: int, offload: bool = False) -> None:
        self.host = host
        self.sim = host.sim
        self.port: Port | None = None
        self.inbox: deque[bytearray] = deque()
        self.blocked = False
        self.max_frame = mtu + ETHERNET_HEADER_LEN
        self._caps = DeviceCapabilities(
            medium=Medium.ETHERNET,
            max_transmission_unit=mtu + ETHERNET_HEADER_LEN,
            max_tso_size=_TSO_FRAME if offload else 0,
        )
        # The frames the largest super-segment may be cut into (0: no offload): the stack's
        # largest TSO payload (the largest IP packet less the headers) over the smallest
        # piece (the MTU less the same), over IPv4 or IPv6.
        self._room_frames = (
            max(-(-(MAX_IP_PACKET - h) // max(mtu - h, 1)) for h in _MAX_HEADERS) if offload else 0
        )
        # The tokens are made once and handed out again for every frame: the interface
        # consumes a token before it asks for the next one.
        self._rx = _RxToken()
        self._tx = _TxToken(self)
        self._tokens = (self._rx, self._tx)

    def receive(self, now: Instant) -> tuple[_RxToken, _TxToken] | None:
        if not self.inbox:
            return None
        inbox = self.inbox
        rx = self._rx
        rx.frame = inbox.popleft()
        rx.last = not inbox
        return self._tokens

    def transmit(self, now: Instant) -> _TxToken | None:
        port = self.port
        if port is None:
            return None
        frames = self._room_frames
        if frames:
            queue = port.queue
            # A train needs room for all its pieces, within what the queue can ever hold.
            limit, limit_octets = queue.bounds
            frames = min(frames, limit)
            octets = frames * self.max_frame
            if limit_octets is not None and octets > limit_octets:
                octets = limit_octets
            if not queue.room_for(self.sim.now_us, frames, octets):
                self.blocked = True
                # Room may come as the pieces of the train being sent leave, before all
                # have: be told then, as a card sending frames one by one would be.
                port.wake_at_room(frames, octets)
                return None
        elif not port.queue.has_room(self.max_frame):
            self.blocked = True
            return None
        return self._tx

    def capabilities(self) -> DeviceCapabilities:
        return self._caps


class SimHost:
    """A host named ``name`` with one Ethernet interface of IP MTU ``mtu``.

    ``mac`` is its hardware address, ``address`` a CIDR ("10.0.0.1/24" or "fd00::1/64"),
    ``gateway`` an optional default router of the same IP version. ``offload`` gives the card
    segmentation and receive offloads (see the module docstring; TypeError if not a bool).
    The interface's random seed comes from the scenario seed and the name. `apps` run after
    each poll; add sockets to `sockets`.
    """

    def __init__(
        self,
        sim: Simulator,
        name: str,
        mac: EthernetAddress | str,
        address: IpCidr | str,
        *,
        gateway: IpAddress | str | None = None,
        mtu: int = 1500,
        offload: bool = False,
        **config: Any,
    ) -> None:
        if not isinstance(offload, bool):
            raise TypeError(f"offload must be a bool, not {type(offload).__name__}")
        self.sim = sim
        self.name = name
        hw = mac if isinstance(mac, EthernetAddress) else EthernetAddress.parse(mac)
        cidr = address if isinstance(address, IpCidr) else IpCidr.parse(address)
        self.card = _Card(self, mtu, offload)
        self.offload = offload
        """Whether the card offloads segmentation and coalescing (see the module docstring)."""
        seed = sim.rng(name, "interface").getrandbits(63)
        self.iface = Interface(
            Config(hardware_addr=hw, random_seed=seed, **config), self.card, Instant(sim.now_us)
        )
        self.iface.update_ip_addrs(lambda addrs: addrs.append(cidr))
        if gateway is not None:
            gw = gateway if isinstance(gateway, IpAddress) else IpAddress.parse(gateway)
            if isinstance(gw, Ipv6Address):
                self.iface.routes.add_default_ipv6_route(gw)
            else:
                self.iface.routes.add_default_ipv4_route(gw)  # type: ignore[arg-type]
        self.mac = hw
        self.address: IpAddress = cidr.address
        self.cidr = cidr
        self.sockets = SocketSet()
        self.apps: list[App] = []
        self.server_ports: set[int] = set()
        """The ports workload servers (`apps.Server`) listen on here."""
        self.polls = 0
        """The polls the host ran (each one or two `Interface.poll` calls)."""
        self.interface_polls = 0
        """The `Interface.poll` calls the host made."""
        self.retries = 0
        self.log: ConnectionLog | None = None
        """Where the host's TCP connections are traced (`Network.trace`), or None."""
        self._armed: int | None = None
        self._poll_event = self._poll
        # The simulator's `_schedule`, bound once (a host schedules a poll or two per frame).
        self._schedule = sim._schedule

    @property
    def cx(self) -> Any:
        """The interface's context (what `TcpSocket.connect` takes)."""
        return self.iface.context

    @property
    def takes_trains(self) -> bool:
        """Trains are delivered to the host whole when it offloads (`smoltcp.phy.sim.link`)."""
        return self.offload

    @property
    def coalesces(self) -> bool:
        """Its card joins back-to-back segments of a connection when it offloads (GRO)."""
        return self.offload

    def attach(self, port: Port) -> None:
        """Connect the card to ``port`` (a host has one)."""
        if self.card.port is not None:
            raise ValueError(f"host {self.name} already has a link")
        self.card.port = port

    def trace(self, log: ConnectionLog) -> None:
        """Trace every TCP connection of the host's sockets in ``log``, from now on."""
        self.log = log
        self.sockets.set_tcp_trace(log)

    def retire(self, handle: Any) -> None:
        """Remove the socket of ``handle`` from `sockets`, its statistics kept when traced."""
        sock = self.sockets.remove(handle)
        if self.log is not None:
            self.log.snapshot(sock)

    def close_log(self) -> None:
        """Write the traces and statistics of the host's connections (when traced)."""
        if self.log is not None:
            self.log.close(sock for _, sock in self.sockets)

    def add_app(self, app: App) -> None:
        """Run ``app`` after each poll, starting now."""
        self.apps.append(app)
        self.kick()

    # -- events -------------------------------------------------------------------------------

    def receive(self, port: Port, frame: bytearray, now: int) -> None:
        """Take a frame from the link: it waits in the card until the poll, scheduled now."""
        self.card.inbox.append(frame)
        self._arm(now)

    def on_room(self, port: Port, now: int) -> None:
        """The port's queue has room: poll again if the card refused to transmit."""
        if self.card.blocked:
            self.card.blocked = False
            self.kick(now)

    def kick(self, now: int | None = None) -> None:
        """Poll the host at ``now`` (default: the current time), after what is due now."""
        at = self.sim.now_us if now is None else now
        self._arm(at)

    def _arm(self, at: int) -> None:
        armed = self._armed
        if armed is None or at < armed:
            self._armed = at
            self._schedule(at, self._poll_event)

    def _poll(self, t: int) -> None:
        if t != self._armed:
            return  # an earlier poll was scheduled since and has run
        self._armed = None
        now = Instant(t)
        iface = self.iface
        card = self.card
        sockets = self.sockets
        self.polls += 1
        self.interface_polls += 1
        did = iface.poll(now, card, sockets)
        changed = False
        for app in self.apps:
            changed = app.step(now) or changed
        at_us = iface.poll_at_us(now, sockets)
        # An application that changed a socket (sent, read, closed) may have given it
        # something to send now: poll again, but only if the interface says something is due
        # (a poll with nothing due and nothing received does nothing).
        if changed and (card.inbox or (at_us is not None and at_us <= t)):
            self.interface_polls += 1
            did = iface.poll(now, card, sockets) or did
            for app in self.apps:
                app.step(now)
            at_us = iface.poll_at_us(now, sockets)
        if card.inbox:
            self._arm(t)  # more frames than one burst
            return
        if at_us is None:
            return
        if at_us <= t:
            if card.blocked:
                return  # the port wakes us when a frame has left
            if not did:
                self.retries += 1
                at_us = t + _RETRY_US
        self._arm(at_us)

    def __repr__(self) -> str:
        return f"SimHost({self.name} {self.cidr})"
