"""The interface: Ethernet/ARP, IPv4, ICMPv4 and the dispatch of packets to sockets.

`Interface` is polled with explicit time; `Config` builds it; `Context` is what its sockets
see of it; `Counters` says what it received, sent and dropped; `Routes` and `NeighborCache`
are its route table and ARP cache. `tcp_rst_reply` builds the RFC 9293 reset for a segment
that matches no connection.
"""

from __future__ import annotations

from .config import Config
from .context import Context
from .counters import Counters
from .ingress import tcp_rst_reply
from .interface import Interface
from .neighbor import NeighborCache
from .route import Route, Routes

__all__ = [
    "Config",
    "Context",
    "Counters",
    "Interface",
    "NeighborCache",
    "Route",
    "Routes",
    "tcp_rst_reply",
]
