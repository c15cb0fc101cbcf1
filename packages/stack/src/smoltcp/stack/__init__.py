"""smoltcp.stack: the sans-I/O TCP/IP core.

No I/O, no clock, no hidden randomness: the caller passes ``now`` (an `Instant`) and a device
to `Interface.poll`. The pieces: `time`, `device` (the device protocol), `storage`, `kernels`
(the numba checksum), `iface` (the interface), `socket` (the socket set, raw IP, ICMP and UDP
sockets) and `tcp` (TCP sockets, imported on first use).

A UDP echo host, driven by its owner::

    iface = Interface(Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01")),
                      device, now)
    iface.update_ip_addrs(lambda addrs: addrs.append(IpCidr.parse("192.168.69.1/24")))
    iface.routes.add_default_ipv4_route(Ipv4Address("192.168.69.100"))
    sockets = SocketSet()
    handle = sockets.add(UdpSocket(PacketBuffer(16, 65536), PacketBuffer(16, 65536)))
    sockets.get(handle).bind(6969)
    while True:
        iface.poll(now, device, sockets)
        udp = sockets.get(handle)
        while udp.can_recv():
            data, source = udp.recv_from()
            udp.send_to(data, source)
        delay = iface.poll_delay(now, sockets)   # None: nothing scheduled
        ...  # wait for the device or the delay, then read the clock into `now`

`smoltcp.stack.testing` has an in-memory device and frame builders for tests.

Renamed, the old names kept for one release (each warns once, `DeprecationWarning`): the module
``smoltcp.stack.phy`` is `smoltcp.stack.device`, and ``RawSocket`` is `RawIpSocket`.
"""

from __future__ import annotations

from typing import Any

from ._deprecated import deprecated_alias
from .device import Device, DeviceCapabilities, RxToken, TxToken
from .iface import Config, Context, Counters, Interface, Route, Routes
from .log import TRACE
from .socket import (
    BindError,
    ConnectError,
    IcmpEndpoint,
    IcmpSocket,
    ListenError,
    RawIpSocket,
    RecvError,
    SendError,
    Socket,
    SocketError,
    SocketHandle,
    SocketSet,
    TransparentUdpSocket,
    UdpSocket,
)
from .storage import PacketBuffer, RingBuffer
from .time import Duration, Instant

__version__ = "0.5.0"  # kept equal to pyproject.toml (a test checks)

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
    "RawIpSocket",
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
    "TransparentUdpSocket",
    "TxToken",
    "UdpSocket",
]


# Any: the lazily imported names differ in type.
def __getattr__(name: str) -> Any:
    # TCP is imported on first use: the rest of the stack does not need it.
    if name == "TcpSocket":
        from .tcp import TcpSocket

        return TcpSocket
    if name == "RawSocket":  # the old name of `RawIpSocket`: warn once, then bind it
        return deprecated_alias(globals(), name, RawIpSocket, __name__)
    raise AttributeError(f"module 'smoltcp.stack' has no attribute {name!r}")
