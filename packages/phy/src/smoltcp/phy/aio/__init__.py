"""Run asyncio programs on the stack: a runtime on the event loop, and asyncio's own APIs.

`Runtime` owns an `Interface`, its device and its socket set, and drives them from the running
event loop (the device's descriptor, one timer for the stack's next deadline, and a poll
whenever the application acts: no thread, no busy polling). Over it, asyncio's interfaces:

- streams: `open_connection` and `start_server` (asyncio's `StreamReader`/`StreamWriter`);
- protocols: `create_connection` and `create_server` give a `TcpTransport` to any
  `asyncio.Protocol` (or `BufferedProtocol`);
- datagrams: `create_datagram_endpoint` gives a `UdpTransport`; `ping` sends one ICMP echo;
- names: hosts are IP addresses, or names for the runtime's ``resolver`` (an async callable);
- time: the runtime's ``clock`` (a `Clock`) gives the stack its instants; by default the wall
  clock, advancing with the loop's;
- transparent mode (with `Config.any_ip`): `start_transparent_server` and
  `create_transparent_server` accept connections to any destination, each reporting the
  address the client dialled as ``sockname``; `create_transparent_datagram_endpoint` takes
  datagrams to any destination and answers from it.

Each function takes the runtime first; the runtime has the same ones as methods::

    async with Runtime(iface, device) as rt:
        reader, writer = await rt.open_connection("192.168.69.100", 80)

Errors are asyncio's: `ConnectionRefusedError`, `ConnectionResetError`, `TimeoutError`,
`asyncio.IncompleteReadError`. Cancelling a task that waits on a connection aborts it and
frees its socket.
"""

from __future__ import annotations

from ._datagram import UdpTransport, create_datagram_endpoint, ping
from ._runtime import Clock, Resolver, Runtime
from ._streams import open_connection, start_server
from ._tcp import ListeningName, Server, TcpTransport, create_connection, create_server
from ._transparent import (
    TransparentDatagramProtocol,
    TransparentUdpTransport,
    create_transparent_datagram_endpoint,
    create_transparent_server,
    start_transparent_server,
)

__all__ = [
    "Clock",
    "ListeningName",
    "Resolver",
    "Runtime",
    "Server",
    "TcpTransport",
    "TransparentDatagramProtocol",
    "TransparentUdpTransport",
    "UdpTransport",
    "create_connection",
    "create_datagram_endpoint",
    "create_server",
    "create_transparent_datagram_endpoint",
    "create_transparent_server",
    "open_connection",
    "ping",
    "start_server",
    "start_transparent_server",
]
