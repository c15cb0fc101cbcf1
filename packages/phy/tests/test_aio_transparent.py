"""Transparent mode on the event loop, and ICMP errors reaching ``error_received``.

Two runtimes share one loop, joined by an in-memory IP link (as a TUN device would carry):
the client's default route leads to the gateway, which runs in transparent mode
(`Config.any_ip`) and serves every destination the client dials. Every test is bounded in
time.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from smoltcp.phy.aio import Runtime, TransparentDatagramProtocol
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.tcp import TcpState
from smoltcp.stack.testing import LinkDevice
from smoltcp.stack.time import Instant
from smoltcp.wire import IpCidr, Ipv4Address, Medium

CLIENT, GATEWAY = "10.0.0.1", "10.0.0.2"
LIMIT = 30.0


class WakingLink(LinkDevice):
    """One end of an in-memory link that wakes the peer's runtime for every frame."""

    def __init__(self) -> None:
        super().__init__(Medium.IP, 1500)
        self.peer_runtime: Runtime | None = None

    def _send(self, frame: bytes) -> None:
        assert self.peer is not None
        self.peer.rx.append(frame)
        if self.peer_runtime is not None:
            self.peer_runtime.wake()


def runtimes(any_ip: bool = True) -> tuple[Runtime, Runtime]:
    da, db = WakingLink(), WakingLink()
    da.peer, db.peer = db, da
    made = []
    for dev, addr, transparent in ((da, CLIENT, False), (db, GATEWAY, any_ip)):
        iface = Interface(Config(random_seed=len(made) + 1, any_ip=transparent), dev, Instant(0))
        iface.update_ip_addrs(lambda a, addr=addr: a.append(IpCidr.parse(addr + "/24")))
        made.append(Runtime(iface, dev))
    client, gateway = made
    client.iface.routes.add_default_ipv4_route(Ipv4Address(GATEWAY))
    da.peer_runtime, db.peer_runtime = gateway, client
    return client, gateway


def run(body: Callable[[Runtime, Runtime], Awaitable[Any]], any_ip: bool = True) -> Any:
    async def main() -> Any:
        client, gateway = runtimes(any_ip)
        async with client, gateway:
            return await asyncio.wait_for(body(client, gateway), LIMIT)

    return asyncio.run(main())


def test_streams_report_the_dialled_destination_as_sockname() -> None:
    async def body(client: Runtime, gateway: Runtime) -> list[bytes]:
        seen: list[tuple[Any, Any]] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sockname = writer.get_extra_info("sockname")
            seen.append((sockname, writer.get_extra_info("peername")))
            line = await reader.readline()
            writer.write(f"{sockname[0]}:{sockname[1]} ".encode() + line)
            await writer.drain()
            writer.close()

        server = await gateway.start_transparent_server(serve)
        assert server.sockname == ("0.0.0.0", 0)
        answers = []
        for host, port in (("198.51.100.7", 80), ("203.0.113.9", 4433)):
            reader, writer = await client.open_connection(host, port)
            writer.write(b"hello\n")
            answers.append(await reader.read())
            writer.close()
            await writer.wait_closed()
        assert [s for s, _ in seen] == [("198.51.100.7", 80), ("203.0.113.9", 4433)]
        assert all(p[0] == CLIENT for _, p in seen)
        server.close()
        await server.wait_closed()
        return answers

    assert run(body) == [b"198.51.100.7:80 hello\n", b"203.0.113.9:4433 hello\n"]


def test_max_connections_keeps_the_next_ones_waiting() -> None:
    async def body(client: Runtime, gateway: Runtime) -> None:
        active = 0
        most = 0
        release = asyncio.Event()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal active, most
            active += 1
            most = max(most, active)
            await release.wait()
            writer.write(b"ok")
            writer.close()
            active -= 1

        server = await gateway.start_transparent_server(serve, max_connections=2)
        opened = [await client.open_connection("192.0.2.1", 1000 + i) for i in range(4)]
        for _ in range(50):
            await asyncio.sleep(0.01)
        assert most == 2 and server.connections == 2
        release.set()
        got = [await reader.read() for reader, _ in opened]
        assert got == [b"ok"] * 4 and most == 2
        for _, writer in opened:
            writer.close()
        server.close()

    run(body)


def test_closing_a_server_resets_and_frees_the_connections_it_never_accepted() -> None:
    async def body(client: Runtime, gateway: Runtime) -> None:
        release = asyncio.Event()

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await release.wait()
            writer.close()

        own = gateway.sockets.add(gateway.new_tcp_socket())  # not the server's: kept
        server = await gateway.start_transparent_server(serve, max_connections=1)
        opened = [await client.open_connection("192.0.2.1", 1000 + i) for i in range(3)]
        for _ in range(20):
            await asyncio.sleep(0.01)
        assert server.connections == 1 and gateway.open_sockets == 5
        server.close()
        for reader, _ in opened[1:]:  # waiting in the backlog: reset
            with pytest.raises(ConnectionResetError):
                await reader.read()
        release.set()
        assert await opened[0][0].read() == b""  # accepted: goes on to its own end
        for _, writer in opened:
            writer.close()
        # What remains of the server: at most the accepted connection's TIME-WAIT (it closed
        # first); the three children and the listener are gone, the caller's own socket not.
        for _ in range(100):
            left = [s.state for h, s in gateway.sockets if h != own]
            if left in ([], [TcpState.TIME_WAIT]):
                break
            await asyncio.sleep(0.01)
        assert left in ([], [TcpState.TIME_WAIT]) and own in gateway.sockets

    run(body)


def test_a_protocol_factory_that_raises_leaves_no_connection_behind() -> None:
    async def body(client: Runtime, gateway: Runtime) -> None:
        server = await gateway.start_transparent_server(lambda r, w: None)

        def broken() -> asyncio.Protocol:
            raise RuntimeError("no protocol today")

        with pytest.raises(RuntimeError, match="no protocol today"):
            await client.create_connection(broken, "192.0.2.1", 80)
        for _ in range(100):
            if client.open_sockets == 0:
                break
            await asyncio.sleep(0.01)
        assert client.open_sockets == 0
        server.close()

    run(body)


def test_transparent_server_arguments() -> None:
    async def body(client: Runtime, gateway: Runtime) -> None:
        with pytest.raises(ValueError, match="max_connections"):
            await gateway.start_transparent_server(lambda r, w: None, max_connections=0)
        with pytest.raises(TypeError, match="backlog"):
            await gateway.start_transparent_server(lambda r, w: None, backlog="1")
        server = await gateway.start_transparent_server(lambda r, w: None)
        with pytest.raises(OSError, match="catch-all"):
            await gateway.start_transparent_server(lambda r, w: None)
        server.close()

    run(body)


class Echo(TransparentDatagramProtocol):
    def __init__(self) -> None:
        self.seen: list[tuple[bytes, Any, Any]] = []

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any, dst: Any) -> None:
        self.seen.append((data, addr, dst))
        self.transport.sendto(data.upper(), addr, dst)


class Collect(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.got: asyncio.Queue[Any] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.got.put_nowait((data, addr))

    def error_received(self, exc: Exception) -> None:
        self.got.put_nowait(exc)


def test_datagrams_to_any_destination_are_answered_from_it() -> None:
    async def body(client: Runtime, gateway: Runtime) -> None:
        relay, echo = await gateway.create_transparent_datagram_endpoint(Echo)
        assert relay.get_extra_info("sockname") == ("0.0.0.0", 0)
        transport, app = await client.create_datagram_endpoint(Collect, local_addr=(None, 5353))
        transport.sendto(b"one", ("198.51.100.7", 53))
        transport.sendto(b"two", ("203.0.113.9", 123))
        answers = {await app.got.get(), await app.got.get()}
        assert answers == {(b"ONE", ("198.51.100.7", 53)), (b"TWO", ("203.0.113.9", 123))}
        assert {d for _, _, d in echo.seen} == {("198.51.100.7", 53), ("203.0.113.9", 123)}
        assert {a for _, a, _ in echo.seen} == {(CLIENT, 5353)}
        with pytest.raises(OSError, match="catch-all"):
            await gateway.create_transparent_datagram_endpoint(Echo)
        with pytest.raises(ValueError, match="src"):
            relay.sendto(b"x", (CLIENT, 5353), "nowhere")
        relay.close()
        transport.close()

    run(body)


def test_port_unreachable_reaches_error_received() -> None:
    async def body(client: Runtime, gateway: Runtime) -> None:
        # Nothing on the gateway listens on UDP port 9: it answers with port unreachable.
        connected, app = await client.create_datagram_endpoint(Collect, remote_addr=(GATEWAY, 9))
        connected.sendto(b"anyone?")
        exc = await app.got.get()
        assert isinstance(exc, ConnectionRefusedError) and exc.errno == errno.ECONNREFUSED
        assert "10.0.0.2" in str(exc)
        # An unconnected endpoint hears of it too; a connected one only about its remote.
        other, other_app = await client.create_datagram_endpoint(Collect, remote_addr=(GATEWAY, 10))
        loose, loose_app = await client.create_datagram_endpoint(Collect)
        loose.sendto(b"and you?", (GATEWAY, 11))
        exc = await loose_app.got.get()
        assert isinstance(exc, ConnectionRefusedError)
        assert other_app.got.empty() and app.got.empty()
        for t in (connected, other, loose):
            t.close()
        for _ in range(20):
            await asyncio.sleep(0.01)
        # The error sockets went with their endpoints.
        assert len(client.sockets) == 0

    run(body, any_ip=False)
