"""The configuration of an `Interface`: addresses, seeds and the bounds of its tables."""

from __future__ import annotations

from dataclasses import dataclass, field

from smoltcp.stack.time import Duration
from smoltcp.wire import EthernetAddress

from .acd import AcdConfig
from .dad import DadConfig
from .mld import MldConfig

__all__ = ["Config"]


@dataclass
class Config:
    """How to build an `Interface`.

    ``hardware_addr`` is required on an Ethernet device and ignored on an IP (TUN) device.
    ``random_seed`` seeds ``Context.rand`` (ephemeral ports, TCP initial sequence numbers) and
    streams of its own for the rest: IPv4 identification, neighbour and conflict-detection
    timers, IGMP and MLD report delays, SYN cookie secrets, and duplicate address detection's
    delays and nonces (those also mix in the hardware address, so that hosts left at the
    default seed differ; two hosts with the same MAC need different seeds for their nonces to
    tell them apart, RFC 7527). The
    stack has no other source of randomness, and the default, 0, makes every run the same. That
    is what tests want; an interface facing a real network should get a secret drawn from the
    operating system, ``Config(random_seed=secrets.randbits(64))``, or anyone could predict its
    initial sequence numbers (RFC 6528). The sans-I/O core takes the seed as configuration and
    never draws one itself. The other fields bound the interface's tables and
    rates; the defaults follow the original smoltcp and Linux where they apply.
    """

    hardware_addr: EthernetAddress | None = None
    random_seed: int = 0
    hop_limit: int = 64
    """Time to live of the packets the interface itself originates (ICMP replies, RSTs)."""
    neighbor_cache_capacity: int = 1024
    """Most ARP cache entries; the one filled (from ARP) longest ago is evicted to make room."""
    neighbor_expiry: Duration = field(default_factory=lambda: Duration.from_secs(60))
    """How long an ARP entry lives after the neighbour was last heard from."""
    neighbor_lock_time: Duration = field(default_factory=lambda: Duration.from_secs(1))
    """An ARP packet cannot move a neighbour heard from within this to another hardware address
    (Linux's ``locktime``): a stray or corrupted ARP packet does not divert a live exchange."""
    neighbor_refresh_before: Duration = field(default_factory=lambda: Duration.from_secs(5))
    """Sending to a neighbour whose entry lapses within this asks it again (unicast ARP)."""
    arp_request_interval: Duration = field(default_factory=lambda: Duration.from_secs(1))
    """At most one ARP request per destination per interval."""
    arp_resolve_timeout: Duration = field(default_factory=lambda: Duration.from_secs(3))
    """Packets still waiting for ARP this long after the first request are dropped."""
    arp_queue_per_destination: int = 16
    """Most packets queued for one unresolved next hop."""
    arp_queue_total: int = 256
    """Most packets queued for all unresolved next hops together."""
    neighbor_reachable_time: Duration = field(default_factory=lambda: Duration.from_secs(30))
    """BaseReachableTime (RFC 4861 10): a confirmed neighbour is REACHABLE for this times a
    random factor in [0.5, 1.5) drawn from ``random_seed``, then STALE."""
    neighbor_delay_first_probe_time: Duration = field(default_factory=lambda: Duration.from_secs(5))
    """DELAY_FIRST_PROBE_TIME (RFC 4861 10): how long a STALE neighbour in use waits for a
    confirmation before it is probed by unicast (every ``arp_request_interval``)."""
    neighbor_max_unicast_solicit: int = 3
    """MAX_UNICAST_SOLICIT (RFC 4861 10): unanswered unicast probes before a neighbour is
    unreachable (its entry deleted; the next packet starts a broadcast query)."""
    neighbor_max_multicast_solicit: int = 3
    """MAX_MULTICAST_SOLICIT (RFC 4861 10): most broadcast/multicast queries per resolution."""
    neighbor_receipt_confirms: bool = True
    """Whether a packet from a neighbour's cached hardware address confirms its reachability
    (RFC 4861 and Linux count only forward progress and solicited replies; see
    `NeighborCache`). An entry with a wrong hardware address is repaired either way."""
    arp_accept: bool = False
    """Whether a gratuitous ARP announcement may create an entry (Linux's ``arp_accept``);
    it always updates an entry that exists."""
    acd: AcdConfig = field(default_factory=AcdConfig)
    """IPv4 address conflict detection (RFC 5227): probing, announcing and defending the
    addresses added with `Interface.add_ip_addr` (and defending every address in use)."""
    icmp_error_burst: int = 10
    """Most ICMP errors sent back to back (token bucket size)."""
    icmp_error_interval: Duration = field(default_factory=lambda: Duration.from_millis(100))
    """One ICMP error token is added per interval (10 per second by default)."""
    reply_to_broadcast_echo: bool = False
    """Whether to answer echo requests sent to a broadcast address (Linux does not)."""
    ingress_burst: int = 256
    """Most frames received per `Interface.poll` when the device sets no burst size."""
    gso_size: int = 65535
    """The largest TCP/IP packet a socket may hand over when the device cannot segment TCP
    itself (no TSO): the interface cuts it into segments that fit the MTU (generic
    segmentation offload, in software). The wire sees the same segments either way; 0 (or
    anything up to the IP MTU) turns it off. At most 65535, the IPv4 total length's limit."""

    syncookies: bool = True
    """Whether a TCP listener whose SYN queue is full answers further SYNs with SYN cookies
    (RFC 4987 3.6) instead of dropping them."""
    syncookie_secret: bytes | None = None
    """The SYN cookies' master secret, 8 to 32 octets; None: drawn from ``random_seed``
    (reproducible, so predictable: give fresh octets from the operating system for real use)."""
    syncookie_rotation: Duration = field(default_factory=lambda: Duration.from_secs(3600))
    """How long one key derived from the cookie secret is used before the next (the one
    before stays valid for cookies in flight); at least 128 s (two cookie counter periods)."""

    challenge_ack_limit: int = 1000
    """Most RFC 5961 challenge ACKs all TCP sockets together send per second (besides each
    socket's own 10 a second): a peer spraying forged segments over many connections gets
    no more answers than this (Linux's ``tcp_challenge_ack_limit``)."""

    gro: bool = True
    """Whether consecutive in-order TCP segments of one connection, received in one poll,
    reach their socket as one segment (generic receive offload, in software, with Linux's
    rules): the socket's work, and its ACK, once per aggregate. Each frame is still checked."""

    reassembly_max_packets: int = 32
    """Most IP packets being reassembled from fragments at once (RFC 791, RFC 8200 4.5); a
    new one evicts the one that started longest ago. 0 turns reassembly off."""
    reassembly_max_octets: int = 262144
    """Most octets the fragments waiting for reassembly hold together, each fragment charged
    its length plus 64 octets of bookkeeping (so 256 KiB holds four 64 KiB datagrams)."""
    reassembly_timeout: Duration = field(default_factory=lambda: Duration.from_secs(30))
    """How long a packet may take to reassemble from its first fragment (Linux's 30 s; RFC 791
    suggests 15 s, RFC 8200 60 s); then it is dropped, with ICMP time exceeded (code 1) to
    its source if its first fragment had come."""
    pmtu_cache_capacity: int = 256
    """Most destinations whose path MTU is remembered below the link's (RFC 1191, RFC 8201);
    the entry learnt longest ago makes room."""
    pmtu_expiry: Duration = field(default_factory=lambda: Duration.from_secs(600))
    """How long a learnt path MTU holds before the link's MTU is tried again (Linux's 10
    minutes, RFC 1191 6.3, RFC 8201 4)."""
    pmtu_min_ipv4: int = 552
    """The lowest IPv4 path MTU a "fragmentation needed" can set (Linux's ``min_pmtu``): a
    forged message cannot shrink segments to runts (RFC 1191 says 68). IPv6's floor is its
    minimum MTU, 1280 (RFC 8201 4)."""

    slaac: bool = False
    """Whether router advertisements configure IPv6 addresses and the default IPv6 route
    (stateless address autoconfiguration, RFC 4862); off, the interface ignores them."""

    dad: DadConfig = field(default_factory=DadConfig)
    """IPv6 duplicate address detection (RFC 4862 5.4): which addresses are probed, how often
    (see `DadConfig` for the defaults and why)."""

    mld: MldConfig = field(default_factory=MldConfig)
    """MLDv2 listener reports (RFC 3810): robustness, report interval, whether the
    solicited-node groups are reported."""
    any_ip: bool = False
    """Transparent mode: whether unicast IPv4 and IPv6 packets routed to the device for
    addresses that are not the interface's own are delivered to its sockets (see
    `smoltcp.stack.iface.transparent`). They reach a socket bound to that address, or to
    that port on every address (as a Linux socket on 0.0.0.0 under TPROXY), else the
    catch-all sockets (`TcpSocket.listen_any`, `TransparentUdpSocket`); no ARP or NDP answer
    is given for them. The interface answers for them as for its own addresses, from the
    destination's address: echo requests (ping) are answered, and a port nobody takes gets a
    TCP reset or an ICMP port unreachable. Off, they are dropped as not for us."""

    def __post_init__(self) -> None:
        """Check every field: TypeError or ValueError naming the field."""
        if self.hardware_addr is not None and not isinstance(self.hardware_addr, EthernetAddress):
            raise TypeError("hardware_addr must be an EthernetAddress or None")
        for name in (
            "random_seed",
            "hop_limit",
            "neighbor_cache_capacity",
            "arp_queue_per_destination",
            "arp_queue_total",
            "neighbor_max_unicast_solicit",
            "neighbor_max_multicast_solicit",
            "icmp_error_burst",
            "ingress_burst",
            "gso_size",
            "reassembly_max_packets",
            "reassembly_max_octets",
            "pmtu_cache_capacity",
            "pmtu_min_ipv4",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
        for name in (
            "reply_to_broadcast_echo",
            "gro",
            "neighbor_receipt_confirms",
            "arp_accept",
            "any_ip",
        ):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool, not {type(getattr(self, name)).__name__}")
        if not 1 <= self.hop_limit <= 255:
            raise ValueError(f"hop_limit must be in [1, 255], not {self.hop_limit}")
        for name in (
            "neighbor_cache_capacity",
            "arp_queue_per_destination",
            "arp_queue_total",
            "neighbor_max_unicast_solicit",
            "neighbor_max_multicast_solicit",
            "icmp_error_burst",
            "ingress_burst",
            "reassembly_max_packets",
            "reassembly_max_octets",
            "pmtu_cache_capacity",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int, not {value!r}")
        for name in (
            "neighbor_expiry",
            "neighbor_lock_time",
            "neighbor_refresh_before",
            "arp_request_interval",
            "arp_resolve_timeout",
            "icmp_error_interval",
            "neighbor_reachable_time",
            "neighbor_delay_first_probe_time",
            "reassembly_timeout",
            "pmtu_expiry",
        ):
            value = getattr(self, name)
            if not isinstance(value, Duration):
                raise TypeError(f"{name} must be a Duration, not {type(value).__name__}")
            if value.micros < 0:
                raise ValueError(f"{name} must not be negative, not {value}")
        if not isinstance(self.gso_size, int) or not 0 <= self.gso_size <= 0xFFFF:
            raise ValueError(f"gso_size must be an int in [0, 65535], not {self.gso_size!r}")
        if not 68 <= self.pmtu_min_ipv4 <= 0xFFFF:
            # RFC 791: every IPv4 module must forward a 68-octet datagram unfragmented.
            raise ValueError(f"pmtu_min_ipv4 must be in [68, 65535], not {self.pmtu_min_ipv4}")
        if not isinstance(self.acd, AcdConfig):
            raise TypeError("acd must be an AcdConfig")
        if not isinstance(self.dad, DadConfig):
            raise TypeError("dad must be a DadConfig")
        if not isinstance(self.mld, MldConfig):
            raise TypeError("mld must be an MldConfig")
        if not isinstance(self.slaac, bool):
            raise TypeError("slaac must be a bool")
        if self.icmp_error_interval.micros <= 0:
            raise ValueError("icmp_error_interval must be positive")
        self._check_tcp_fields()

    def _check_tcp_fields(self) -> None:
        if not isinstance(self.syncookies, bool):
            raise TypeError(f"syncookies must be a bool, not {type(self.syncookies).__name__}")
        limit = self.challenge_ack_limit
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise TypeError(f"challenge_ack_limit must be an int, not {type(limit).__name__}")
        if limit < 0:
            raise ValueError(f"challenge_ack_limit must be >= 0, not {limit}")
        secret = self.syncookie_secret
        if secret is not None:
            if not isinstance(secret, (bytes, bytearray)):
                raise TypeError(
                    f"syncookie_secret must be bytes or None, not {type(secret).__name__}"
                )
            if not 8 <= len(secret) <= 32:
                raise ValueError(f"syncookie_secret must be 8 to 32 octets, not {len(secret)}")
        rotation = self.syncookie_rotation
        if not isinstance(rotation, Duration):
            raise TypeError(f"syncookie_rotation must be a Duration, not {type(rotation).__name__}")
        if rotation.micros < 128_000_000:
            # Two cookie counter periods: a cookie must outlive at most one rotation.
            raise ValueError(f"syncookie_rotation must be at least 128 s, not {rotation}")
