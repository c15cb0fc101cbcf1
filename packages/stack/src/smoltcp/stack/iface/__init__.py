"""The interface: Ethernet/ARP, IPv4, ICMPv4 and the dispatch of packets to sockets.

`Interface` is polled with explicit time; `Config` builds it; `Context` is what its sockets
see of it; `Counters` says what it received, sent and dropped; `Routes` and `NeighborCache`
are its route table and ARP cache; `AddressConflictDetector` (``Interface.acd``) probes,
announces and defends its IPv4 addresses (RFC 5227); `DuplicateAddressDetector`
(``Interface.dad``) probes its IPv6 ones (RFC 4862 5.4), `MldListener` (``Interface.mld``)
reports its IPv6 groups (RFC 3810) and `SlaacAddresses` (``Interface.slaac``) keeps the
lifetimes of the addresses SLAAC formed. `tcp_rst_reply` builds the RFC 9293
reset for a segment that matches no connection.
"""

from __future__ import annotations

from .acd import (
    AcdConfig,
    AcdCounters,
    AcdEvent,
    AcdEventKind,
    AcdState,
    AddressConflictDetector,
    DefendPolicy,
)
from .arp_filter import ARP_REFUSALS, arp_may_create, arp_refusal
from .config import Config
from .context import Context
from .counters import Counters
from .dad import DadConfig, DadCounters, DuplicateAddressDetector
from .ingress import tcp_rst_reply
from .interface import Interface
from .mld import MldConfig, MldListener
from .neighbor import (
    NeighborCache,
    NeighborCounters,
    NeighborEvent,
    NeighborEventKind,
    NeighborInfo,
    NeighborState,
)
from .route import Route, Routes
from .slaac import SlaacAddresses

__all__ = [
    "ARP_REFUSALS",
    "AcdConfig",
    "AcdCounters",
    "AcdEvent",
    "AcdEventKind",
    "AcdState",
    "AddressConflictDetector",
    "Config",
    "Context",
    "Counters",
    "DadConfig",
    "DadCounters",
    "DuplicateAddressDetector",
    "DefendPolicy",
    "Interface",
    "MldConfig",
    "MldListener",
    "NeighborCache",
    "NeighborCounters",
    "NeighborEvent",
    "NeighborEventKind",
    "NeighborInfo",
    "NeighborState",
    "Route",
    "Routes",
    "SlaacAddresses",
    "arp_may_create",
    "arp_refusal",
    "tcp_rst_reply",
]
