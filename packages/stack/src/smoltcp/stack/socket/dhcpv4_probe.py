"""Apply DHCPv4 leases only after probing their address (RFC 2131 2.2, RFC 5227 2.1).

A DHCP client "SHOULD probe the newly received address" before using it (RFC 2131 2.2), and
declines it with DHCPDECLINE when another host answers (RFC 2131 3.1 step 5). `DhcpLeaseApplier`
does this with the interface's address conflict detection: a new lease's address is added
with ``probe=True`` (tentative: never used as a source); when probing reports it ready the
default route is set; when probing reports it taken the socket declines the lease, which sends
a DHCPDECLINE and starts discovery over.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from smoltcp.stack.iface.acd import AcdEvent, AcdEventKind
from smoltcp.stack.time import Instant

from .dhcpv4 import Dhcpv4Event, Dhcpv4Lease, Dhcpv4Socket, apply_lease

__all__ = ["DhcpLeaseApplier"]

_OTHER_EVENTS_MAX = 16


class DhcpLeaseApplier:
    """Put the leases of a `Dhcpv4Socket` on an interface, probing each new address first.

    Call `poll` after each interface poll. It returns what happened, as `Dhcpv4Event`s:
    "configured" (the lease is in use: address, default route), "deconfigured" (it is not any
    more) and "declined" (another host holds the offered address; ``lease`` is the declined
    one). A renewal that keeps the address is applied at once, without probing.

    While probing (4 to 7 s with the RFC 5227 defaults) the address is not usable as a
    source, so the socket cannot renew from it: a lease shorter than that (T1 sooner) expires
    before it is used, and is leased again.

    ``probe`` False applies leases at once, as `apply_lease` does. Conflict detection events
    about other addresses are kept, at most 16 (the oldest dropped), in ``other_events``
    for the application.
    """

    # Any: the interface (or a test's stand-in), read duck-typed: sockets do not import it.
    def __init__(self, iface: Any, socket: Dhcpv4Socket, *, probe: bool = True) -> None:
        if not isinstance(socket, Dhcpv4Socket):
            raise TypeError(f"socket must be a Dhcpv4Socket, not {type(socket).__name__}")
        if not isinstance(probe, bool):
            raise TypeError(f"probe must be a bool, not {type(probe).__name__}")
        self.iface = iface
        self.socket = socket
        self.probe = probe
        self.lease: Dhcpv4Lease | None = None
        """The lease in use (its address is on the interface), or None."""
        self.pending: Dhcpv4Lease | None = None
        """The lease whose address is being probed, or None."""
        self.other_events: deque[AcdEvent] = deque(maxlen=_OTHER_EVENTS_MAX)

    def poll(self, now: Instant) -> list[Dhcpv4Event]:
        """Handle the socket's lease events and the probing outcomes; return what happened.

        ``now`` is the interface's current time. Never raises for network input.
        """
        if not isinstance(now, Instant):
            raise TypeError(f"now must be an Instant, not {type(now).__name__}")
        out: list[Dhcpv4Event] = []
        while (event := self.socket.poll_event()) is not None:
            if event.kind == "configured" and event.lease is not None:
                self._configured(event.lease, now, out)
            else:
                self._deconfigured(out)
        for acd in self.iface.acd.events():
            self._acd(acd, out)
        return out

    def _configured(self, lease: Dhcpv4Lease, now: Instant, out: list[Dhcpv4Event]) -> None:
        if self.lease is not None and self.lease.address == lease.address:
            # A renewal of the address in use: nothing to probe.
            apply_lease(self.iface, lease, self.lease)
            self.lease = lease
            out.append(Dhcpv4Event("configured", lease))
            return
        if self.pending is not None and self.pending.address == lease.address:
            # Renewed while still probing: keep probing, with the newer lease.
            self.pending = lease
            return
        self._drop_pending()
        if self.lease is not None:
            apply_lease(self.iface, None, self.lease)
            self.iface.acd.forget(self.lease.address.address)
            self.lease = None
            out.append(Dhcpv4Event("deconfigured"))
        if not self.probe:
            apply_lease(self.iface, lease, None)
            self.lease = lease
            out.append(Dhcpv4Event("configured", lease))
            return
        self.pending = lease
        # Tentative until probing ends: READY or TAKEN comes through the interface's events.
        self.iface.add_ip_addr(lease.address, now, probe=True)

    def _deconfigured(self, out: list[Dhcpv4Event]) -> None:
        self._drop_pending()
        if self.lease is not None:
            apply_lease(self.iface, None, self.lease)
            self.iface.acd.forget(self.lease.address.address)
            self.lease = None
            out.append(Dhcpv4Event("deconfigured"))

    def _drop_pending(self) -> None:
        if self.pending is not None:
            self.iface.acd.forget(self.pending.address.address)
            self.pending = None

    def _acd(self, event: AcdEvent, out: list[Dhcpv4Event]) -> None:
        pending, lease = self.pending, self.lease
        if pending is not None and event.addr == pending.address.address:
            if event.kind is AcdEventKind.READY:
                self.pending = None
                apply_lease(self.iface, pending, None)
                self.lease = pending
                out.append(Dhcpv4Event("configured", pending))
                return
            if event.kind is AcdEventKind.TAKEN:
                self.pending = None
                # RFC 2131 3.1 step 5: DHCPDECLINE, then start over. The socket's own
                # "deconfigured" event is for a lease never applied and is swallowed.
                if self.socket.lease is not None:
                    self.socket.decline()
                out.append(Dhcpv4Event("declined", pending))
                return
        if (
            lease is not None
            and event.addr == lease.address.address
            and event.kind is AcdEventKind.LOST
        ):
            # RFC 5227 2.4: the address is gone (the interface stopped using it); lease a
            # new one.
            apply_lease(self.iface, None, lease)
            self.lease = None
            self.socket.reset()
            out.append(Dhcpv4Event("deconfigured"))
            return
        self.other_events.append(event)
