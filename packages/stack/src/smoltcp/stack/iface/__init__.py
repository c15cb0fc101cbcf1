"""The interface: Ethernet/ARP, IPv4, ICMPv4 and the dispatch of packets to sockets.

`Interface` is polled with explicit time; `Config` builds it; `Context` is what its sockets
see of it; `Counters` says what it received, sent and dropped; `Routes` and `NeighborCache`
are its route table and ARP cache. `tcp_rst_reply` builds the RFC 9293 reset for a segment
that matches no connection.
"""

from __future__ import annotations

from .arp_filter import ARP_REFUSALS, arp_may_create, arp_refusal
from .config import Config
from .context import Context
from .counters import Counters
from .ingress import tcp_rst_reply
from .interface import Interface
from .neighbor import (
    NeighborCache,
    NeighborCounters,
    NeighborEvent,
    NeighborEventKind,
    NeighborInfo,
    NeighborState,
)
from .route import Route, Routes

__all__ = [
    "ARP_REFUSALS",
    "Config",
    "Context",
    "Counters",
    "Interface",
    "NeighborCache",
    "NeighborCounters",
    "NeighborEvent",
    "NeighborEventKind",
    "NeighborInfo",
    "NeighborState",
    "Route",
    "Routes",
    "arp_may_create",
    "arp_refusal",
    "tcp_rst_reply",
]
