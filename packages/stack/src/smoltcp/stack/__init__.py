"""smoltcp.stack: the sans-I/O TCP/IP core.

No I/O, no clock, no hidden randomness: the caller passes ``now`` (an `Instant`) and a device
to `Interface.poll`. The pieces: `time`, `phy` (the device protocol), `storage`, `kernels`
(the numba checksum), `iface` (the interface), `socket` (the socket set, raw, ICMP and UDP
sockets) and `tcp` (TCP sockets, imported on first use).
"""

from __future__ import annotations

from typing import Any

from .iface import Config, Context, Counters, Interface, Route, Routes
from .log import TRACE
from .phy import Device, DeviceCapabilities, RxToken, TxToken
from .socket import (
    BindError,
    ConnectError,
    IcmpEndpoint,
    IcmpSocket,
    ListenError,
    RawSocket,
    RecvError,
    SendError,
    Socket,
    SocketError,
    SocketHandle,
    SocketSet,
    UdpSocket,
)
from .storage import PacketBuffer, RingBuffer
from .time import Duration, Instant

__all__ = [
    "TRACE",
    "BindError",
    "Config",
    "ConnectError",
    "Context",
    "Counters",
    "Device",
    "DeviceCapabilities",
    "Duration",
    "IcmpEndpoint",
    "IcmpSocket",
    "Instant",
    "Interface",
    "ListenError",
    "PacketBuffer",
    "RawSocket",
    "RecvError",
    "RingBuffer",
    "Route",
    "Routes",
    "RxToken",
    "SendError",
    "Socket",
    "SocketError",
    "SocketHandle",
    "SocketSet",
    "TcpSocket",
    "TxToken",
    "UdpSocket",
]


def __getattr__(name: str) -> Any:
    # TCP is imported on first use: the rest of the stack does not need it.
    if name == "TcpSocket":
        from .tcp import TcpSocket

        return TcpSocket
    raise AttributeError(f"module 'smoltcp.stack' has no attribute {name!r}")
