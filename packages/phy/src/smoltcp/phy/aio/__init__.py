"""Run asyncio programs on the stack: a runtime on the event loop, and asyncio's own APIs.

`Runtime` owns an `Interface`, its device and its socket set, and drives them from the running
event loop (the device's descriptor, one timer for the stack's next deadline, and a poll
whenever the application acts: no thread, no busy polling). Over it, asyncio's interfaces:

- streams: `open_connection` and `start_server` (asyncio's `StreamReader`/`StreamWriter`);
- protocols: `create_connection` and `create_server` give a `TcpTransport` to any
  `asyncio.Protocol` (or `BufferedProtocol`);
- datagrams: `create_datagram_endpoint` gives a `UdpTransport`; `ping` sends one ICMP echo;
- names: hosts are IP addresses, or names for the runtime's ``resolver`` (an async callable).

Each function takes the runtime first; the runtime has the same ones as methods::

    async with Runtime(iface, device) as rt:
        reader, writer = await rt.open_connection("192.168.69.100", 80)

Errors are asyncio's: `ConnectionRefusedError`, `ConnectionResetError`, `TimeoutError`,
`asyncio.IncompleteReadError`. Cancelling a task that waits on a connection aborts it and
frees its socket.
"""

from __future__ import annotations

from ._datagram import UdpTransport, create_datagram_endpoint, ping
from ._runtime import Resolver, Runtime
from ._streams import open_connection, start_server
from ._tcp import ListeningName, Server, TcpTransport, create_connection, create_server

__all__ = [
    "ListeningName",
    "Resolver",
    "Runtime",
    "Server",
    "TcpTransport",
    "UdpTransport",
    "create_connection",
    "create_datagram_endpoint",
    "create_server",
    "open_connection",
    "ping",
    "start_server",
]
