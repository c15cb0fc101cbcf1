"""Sockets and the socket set.

`SocketSet` holds sockets by handle and demultiplexes received packets to them by dictionary
look-up. `RawIpSocket`, `IcmpSocket`, `UdpSocket` and `TransparentUdpSocket` live here;
`TcpSocket` lives in `smoltcp.stack.tcp`. Socket operations raise the named errors of
`smoltcp.stack.socket.errors`.
"""

from __future__ import annotations

from smoltcp.stack._deprecated import deprecated_alias

from .base import Socket
from .datagram import DEFAULT_MULTICAST_HOP_LIMIT
from .errors import BindError, ConnectError, ListenError, RecvError, SendError, SocketError
from .icmp import IcmpEndpoint, IcmpSocket
from .raw import RawIpSocket
from .set import SocketHandle, SocketSet
from .transparent_udp import TransparentUdpSocket
from .udp import UdpSocket

__all__ = [
    "DEFAULT_MULTICAST_HOP_LIMIT",
    "BindError",
    "ConnectError",
    "IcmpEndpoint",
    "IcmpSocket",
    "ListenError",
    "RawIpSocket",
    "RecvError",
    "SendError",
    "Socket",
    "SocketError",
    "SocketHandle",
    "SocketSet",
    "TransparentUdpSocket",
    "UdpSocket",
]


def __getattr__(name: str) -> type[RawIpSocket]:
    # ``RawSocket``, the old name of `RawIpSocket`: warn once, then bind it.
    if name == "RawSocket":
        return deprecated_alias(globals(), name, RawIpSocket, __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
