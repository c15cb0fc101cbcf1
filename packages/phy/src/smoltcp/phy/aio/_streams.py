"""asyncio's stream API over the stack: `open_connection` and `start_server`.

They are asyncio's own `StreamReader`, `StreamReaderProtocol` and `StreamWriter` over a
`TcpTransport`, so they behave as asyncio's do: ``readexactly`` raises
`asyncio.IncompleteReadError` at an early EOF, a reset surfaces as `ConnectionResetError`,
``drain`` waits while the transport's write buffer is above its high-water mark. The reader
holds at most about twice ``limit`` octets before it pauses the transport; the rest waits in
the socket's receive buffer, and the peer then sees a closed window.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from ._runtime import Runtime
from ._tcp import Server, create_connection, create_server

__all__ = ["open_connection", "start_server"]

DEFAULT_LIMIT = 2**16
"""asyncio's default buffer limit of a `StreamReader`, in octets."""

ClientConnected = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None] | None]


async def open_connection(
    runtime: Runtime,
    host: Any,
    port: int,
    *,
    limit: int = DEFAULT_LIMIT,
    local_addr: tuple[Any, int] | None = None,
    buffer: int | None = None,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to ``(host, port)`` over the stack; return a reader and a writer.

    As `asyncio.open_connection`. Raises `ConnectionRefusedError`, `TimeoutError`, OSError;
    cancelling the caller aborts the attempt and frees its socket.
    """
    loop = runtime.loop
    reader = asyncio.StreamReader(limit=limit, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await create_connection(
        runtime, lambda: protocol, host, port, local_addr=local_addr, buffer=buffer
    )
    writer = asyncio.StreamWriter(transport, protocol, reader, loop)
    return reader, writer


async def start_server(
    runtime: Runtime,
    client_connected_cb: ClientConnected,
    host: Any = None,
    port: int = 0,
    *,
    limit: int = DEFAULT_LIMIT,
    backlog: int = 100,
    buffer: int | None = None,
) -> Server:
    """Listen on ``(host, port)`` of the stack; call ``client_connected_cb(reader, writer)``.

    As `asyncio.start_server`: a coroutine callback runs as a task per connection. Returns the
    `Server` (``close``, ``wait_closed``, ``serve_forever``, ``async with``).
    """
    loop = runtime.loop

    def factory() -> asyncio.BaseProtocol:
        reader = asyncio.StreamReader(limit=limit, loop=loop)
        return asyncio.StreamReaderProtocol(reader, client_connected_cb, loop=loop)

    return await create_server(runtime, factory, host, port, backlog=backlog, buffer=buffer)
