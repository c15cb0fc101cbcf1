"""What an interface received, sent and dropped, and why."""

from __future__ import annotations

from collections import Counter

__all__ = ["Counters"]


class Counters:
    """Counts of an interface's traffic.

    ``received`` and ``sent`` count frames (IP packets on an IP medium). ``dropped`` maps a
    reason to the number of frames or packets dropped for it:

    - ``malformed-<protocol>`` (ethernet, arp, ipv4, icmpv4, udp, tcp): the layer failed its
      checks; ``checksum-<protocol>``: a bad checksum; ``unsupported-<protocol>``: well formed
      but not handled (802.3 or VLAN frames, other ARP hardware, ...);
      ``unsupported-ethertype``, ``unsupported-arp-operation``;
    - ``multicast``: multicast frames and packets for groups the interface has not joined
      (see `Interface.join_multicast_group`);
    - ``not-for-us-ethernet``, ``not-for-us-ipv4``, ``not-for-us-arp``: addressed elsewhere;
    - ``bad-source``: a broadcast, multicast or IPv4-mapped IPv6 source address, or a
      loopback one on an interface that is no loopback itself;
    - ``arp-conflict``: an ARP packet that would move a live neighbour to another hardware
      address while the neighbour cache keeps it (heard from within the lock time: see
      `NeighborCache`);
    - ``arp-sender-mismatch``, ``arp-sender-unspecified``, ``arp-sender-broadcast``,
      ``arp-sender-multicast``, ``arp-sender-off-link``: ARP packets not believed (see
      `arp_refusal`) and not answered;
    - ``fragment-malformed``, ``fragment-tiny``, ``fragment-too-big``, ``fragment-overlap``,
      ``fragment-duplicate``, ``fragment-inconsistent``, ``fragment-too-many``,
      ``fragment-evicted``, ``fragment-timeout``: fragments dropped by reassembly (see
      `smoltcp.stack.iface.fragment`);
    - ``icmp-tcp-out-of-window``, ``icmp-tcp-no-connection``: ICMP errors about TCP that
      quote no segment in flight (RFC 5927), ignored; ``icmp-pmtu-ignored``: a "too big"
      that would not lower the path MTU (see `smoltcp.stack.iface.pmtu`);
    - ``unknown-protocol``, ``no-socket-udp``, ``no-socket-tcp``, ``no-socket-icmp``,
      ``broadcast-tcp``, ``broadcast-echo``: nothing to deliver to (an ICMP error or RST may
      have been sent, see below);
    - ``no-route``, ``too-big``, ``device-busy``, ``no-source-address``: outgoing packets that
      could not be sent;
    - ``arp-queue-full``, ``arp-timeout``: packets that waited for ARP in vain;
    - IPv6 (``malformed-ipv6``, ``malformed-ipv6ext``, ``malformed-icmpv6``, ``malformed-ndp``
      and ``checksum-icmpv6`` as above): ``not-for-us-ipv6``, ``no-ipv6-address``,
      ``no-next-header``, ``unknown-ipv6-option``, ``routing-header``, ``no-socket-icmpv6``;
      NDP messages not believed: ``ndp-hop-limit`` (not 255), ``ndp-invalid``,
      ``ndp-not-our-target``, ``ndp-no-link-layer-address``; ``ndp-ignored`` (router messages
      without SLAAC); ``ndp-tentative-target`` (a solicitation for an address under duplicate
      detection: never answered); ``mld-invalid`` (an MLD query not from a link-local source
      with hop limit 1); ``slaac-table-full`` (a prefix beyond SLAAC's address bound);
      ``ipv6-disabled`` (an IPv6 frame received, or packet to send, while IPv6 is disabled:
      the link-local address formed from the MAC was found duplicated, RFC 4862 5.4.5);
    - ``internal-error``: an unexpected exception while handling one frame (logged).

    The remaining fields count what the interface answered by itself.
    """

    __slots__ = (
        "arp_replies_sent",
        "arp_requests_sent",
        "dropped",
        "icmp_echo_replies_sent",
        "icmp_errors_rate_limited",
        "icmp_errors_sent",
        "queued_for_arp",
        "received",
        "rst_sent",
        "sent",
    )

    def __init__(self) -> None:
        self.received = 0
        self.sent = 0
        self.dropped: Counter[str] = Counter()
        self.arp_requests_sent = 0
        self.arp_replies_sent = 0
        self.icmp_echo_replies_sent = 0
        self.icmp_errors_sent = 0
        self.icmp_errors_rate_limited = 0
        self.rst_sent = 0
        self.queued_for_arp = 0

    def total_dropped(self) -> int:
        """Return the number of drops for every reason."""
        return sum(self.dropped.values())

    def as_dict(self) -> dict[str, object]:
        """Return every counter by name (``dropped`` as a plain dict)."""
        out: dict[str, object] = {name: getattr(self, name) for name in self.__slots__}
        out["dropped"] = dict(self.dropped)
        return out

    def __repr__(self) -> str:
        return f"Counters(received={self.received}, sent={self.sent}, dropped={dict(self.dropped)})"
