"""Sockets and the socket set.

`SocketSet` holds sockets by handle and demultiplexes received packets to them by dictionary
look-up. `RawSocket`, `IcmpSocket`, `UdpSocket` and `TransparentUdpSocket` live here;
`TcpSocket` lives in `smoltcp.stack.tcp`. Socket operations raise the named errors of
`smoltcp.stack.socket.errors`.
"""

from __future__ import annotations

from .base import Socket
from .errors import BindError, ConnectError, ListenError, RecvError, SendError, SocketError
from .icmp import IcmpEndpoint, IcmpSocket
from .raw import RawSocket
from .set import SocketHandle, SocketSet
from .transparent_udp import TransparentUdpSocket
from .udp import UdpSocket

__all__ = [
    "BindError",
    "ConnectError",
    "IcmpEndpoint",
    "IcmpSocket",
    "ListenError",
    "RawSocket",
    "RecvError",
    "SendError",
    "Socket",
    "SocketError",
    "SocketHandle",
    "SocketSet",
    "TransparentUdpSocket",
    "UdpSocket",
]
