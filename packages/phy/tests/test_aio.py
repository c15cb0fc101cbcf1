"""The asyncio runtime over the in-memory loopback: streams, protocols, datagrams, ping, errors.

One interface holds two addresses (192.168.69.1 and .2) on a `Loopback`, so that a client and
a server of the same stack talk through real TCP segments. Every test is bounded in time.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from smoltcp.phy import Loopback
from smoltcp.phy.aio import Runtime, TcpTransport
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, IpCidr

SERVER = "192.168.69.1"
NOBODY = "192.168.69.77"  # in the subnet, never answers ARP
LIMIT = 30.0


def make_runtime(**kwargs: Any) -> Runtime:
    device = Loopback()
    config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"), random_seed=7)
    iface = Interface(config, device, Instant(0))
    iface.update_ip_addrs(
        lambda a: a.extend([IpCidr.parse("192.168.69.1/24"), IpCidr.parse("192.168.69.2/24")])
    )
    return Runtime(iface, device, **kwargs)


def run(body: Callable[[Runtime], Awaitable[Any]], **kwargs: Any) -> Any:
    """Run ``body(runtime)`` in a new loop with a started runtime, bounded in time."""

    async def main() -> Any:
        async with make_runtime(**kwargs) as rt:
            return await asyncio.wait_for(body(rt), LIMIT)

    return asyncio.run(main())


async def settle(rt: Runtime, rounds: int = 50) -> None:
    """Let the stack finish what it is doing (bounded)."""
    for _ in range(rounds):
        await asyncio.sleep(0.01)


async def until_empty(rt: Runtime, rounds: int = 300) -> None:
    """Wait (bounded) until the socket set holds nothing but TIME-WAIT connections."""
    for _ in range(rounds):
        if all(getattr(s, "state", None) is TcpState.TIME_WAIT for _, s in rt.sockets):
            return
        await asyncio.sleep(0.01)


def live_sockets(rt: Runtime) -> list[Any]:
    return [s for _, s in rt.sockets if getattr(s, "state", None) is not TcpState.TIME_WAIT]


# -- streams ------------------------------------------------------------------------------------


async def digest_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    h = hashlib.sha256()
    n = 0
    while data := await reader.read(65536):
        h.update(data)
        n += len(data)
    writer.write(f"{n} {h.hexdigest()}\n".encode())
    await writer.drain()
    writer.close()
    await writer.wait_closed()


@pytest.mark.parametrize("size", [0, 1, 1000, 200_000, 3_000_000])
def test_stream_transfer_with_half_close(size: int) -> None:
    data = bytes((i * 7 + i // 256) & 0xFF for i in range(size))

    async def body(rt: Runtime) -> bytes:
        server = await rt.start_server(digest_server, SERVER, 8000)
        reader, writer = await rt.open_connection(SERVER, 8000)
        writer.write(data)
        await writer.drain()
        writer.write_eof()  # half-close: the answer still comes back
        line = await reader.readline()
        assert await reader.read() == b""
        writer.close()
        await writer.wait_closed()
        server.close()
        await server.wait_closed()
        return line

    line = run(body)
    assert line == f"{size} {hashlib.sha256(data).hexdigest()}\n".encode()


def test_names_of_both_ends() -> None:
    async def body(rt: Runtime) -> None:
        seen: list[Any] = []

        async def cb(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            seen.append((w.get_extra_info("sockname"), w.get_extra_info("peername")))
            w.close()

        async with await rt.start_server(cb, SERVER, 8001):
            reader, writer = await rt.open_connection(SERVER, 8001, local_addr=("192.168.69.2", 0))
            assert await reader.read() == b""
            sockname = writer.get_extra_info("sockname")
            assert writer.get_extra_info("peername") == (SERVER, 8001)
            assert sockname[0] == "192.168.69.2"
            assert isinstance(writer.get_extra_info("smoltcp_socket"), TcpSocket)
            writer.close()
            await writer.wait_closed()
            assert seen == [((SERVER, 8001), sockname)]

    run(body)


def test_incomplete_read() -> None:
    async def body(rt: Runtime) -> None:
        async def cb(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.write(b"12345")
            w.close()

        async with await rt.start_server(cb, SERVER, 8002):
            reader, writer = await rt.open_connection(SERVER, 8002)
            with pytest.raises(asyncio.IncompleteReadError) as info:
                await reader.readexactly(10)
            assert info.value.partial == b"12345"
            writer.close()

    run(body)


def test_refused() -> None:
    async def body(rt: Runtime) -> None:
        with pytest.raises(ConnectionRefusedError):
            await rt.open_connection(SERVER, 9)
        await until_empty(rt)
        assert live_sockets(rt) == []

    run(body)


def test_reset_by_peer() -> None:
    async def body(rt: Runtime) -> None:
        async def cb(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await r.readexactly(3)
            w.transport.abort()

        async with await rt.start_server(cb, SERVER, 8003):
            reader, writer = await rt.open_connection(SERVER, 8003)
            writer.write(b"abc")
            with pytest.raises(ConnectionResetError):
                await reader.read(10)
            writer.close()
        await until_empty(rt)
        assert live_sockets(rt) == []

    run(body)


def test_write_after_write_eof_raises() -> None:
    async def body(rt: Runtime) -> None:
        async with await rt.start_server(digest_server, SERVER, 8004):
            _, writer = await rt.open_connection(SERVER, 8004)
            writer.write_eof()
            with pytest.raises(RuntimeError):
                writer.write(b"x")
            writer.close()

    run(body)


def test_connect_timeout_and_cancellation_free_the_socket() -> None:
    async def body(rt: Runtime) -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(rt.open_connection(NOBODY, 80), 0.2)
        task = asyncio.ensure_future(rt.open_connection(NOBODY, 81))
        await asyncio.sleep(0.05)
        assert len(rt.sockets) == 1  # the attempt is in progress
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await settle(rt, 5)
        assert len(rt.sockets) == 0

    run(body)


def test_cancelled_reader_then_abort_frees_everything() -> None:
    async def body(rt: Runtime) -> None:
        async def cb(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            await r.read()  # waits for ever: the client is cancelled, then aborts

        server = await rt.start_server(cb, SERVER, 8005)
        reader, writer = await rt.open_connection(SERVER, 8005)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(reader.read(1), 0.1)
        writer.transport.abort()
        server.close()
        await server.wait_closed()
        await until_empty(rt)
        assert len(rt.sockets) == 0

    run(body)


def test_aclose_ends_pending_operations_and_frees_every_socket() -> None:
    async def main() -> None:
        rt = make_runtime()
        rt.start()
        server = await rt.start_server(digest_server, SERVER, 8016)
        _, writer = await rt.open_connection(SERVER, 8016)
        writer.write(b"unfinished")
        connecting = asyncio.ensure_future(rt.open_connection(NOBODY, 80))
        pinging = asyncio.ensure_future(rt.ping(NOBODY, timeout=LIMIT))
        await asyncio.sleep(0.05)
        await rt.aclose()
        with pytest.raises(ConnectionAbortedError):
            await connecting
        with pytest.raises(ConnectionAbortedError):
            await pinging
        assert not server.is_serving()
        assert writer.is_closing()
        assert len(rt.sockets) == 0
        before = rt.polls
        rt.wake()  # a closed runtime ignores wake-ups
        await asyncio.sleep(0.02)
        assert rt.polls == before

    asyncio.run(asyncio.wait_for(main(), LIMIT))


class Cuttable:
    """A loopback whose cable can be cut: then every frame sent is lost."""

    def __init__(self) -> None:
        self.inner = Loopback()
        self.cut = False

    def receive(self, now: Instant) -> Any:
        while self.cut and self.inner.receive(now) is not None:
            pass  # received, and dropped
        return self.inner.receive(now)

    def transmit(self, now: Instant) -> Any:
        return self.inner.transmit(now)

    def capabilities(self) -> Any:
        return self.inner.capabilities()


def test_user_timeout_is_timeout_error_driven_by_the_timer_alone() -> None:
    from smoltcp.stack.time import Duration

    async def main() -> None:
        device = Cuttable()
        config = Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"))
        iface = Interface(config, device, Instant(0))
        iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("192.168.69.1/24")))
        async with Runtime(iface, device) as rt:
            server = await rt.start_server(digest_server, SERVER, 8017)
            reader, writer = await rt.open_connection(SERVER, 8017)
            sock = writer.get_extra_info("smoltcp_socket")
            sock.set_timeout(Duration.from_millis(300))
            device.cut = True
            writer.write(b"lost on the way")
            polls = rt.polls
            with pytest.raises(TimeoutError):
                await reader.read(100)
            # Only the timer woke the stack (retransmissions), and not in a busy loop.
            assert 1 < rt.polls - polls < 200
            writer.close()
            server.abort_clients()
            server.close()
            await until_empty(rt)
            assert live_sockets(rt) == []

    asyncio.run(asyncio.wait_for(main(), LIMIT))


def test_resolver_hook() -> None:
    asked: list[str] = []

    async def resolver(name: str) -> list[str]:
        asked.append(name)
        return [SERVER] if name == "server.test" else []

    async def body(rt: Runtime) -> None:
        async with await rt.start_server(digest_server, SERVER, 8006):
            reader, writer = await rt.open_connection("server.test", 8006)
            writer.write_eof()
            assert (await reader.readline()).startswith(b"0 ")
            writer.close()
            with pytest.raises(socket.gaierror):
                await rt.open_connection("nowhere.test", 8006)

    run(body, resolver=resolver)
    assert asked == ["server.test", "nowhere.test"]


def test_no_resolver_means_addresses_only() -> None:
    async def body(rt: Runtime) -> None:
        with pytest.raises(socket.gaierror):
            await rt.open_connection("server.test", 80)

    run(body)


def test_many_concurrent_clients() -> None:
    async def body(rt: Runtime) -> None:
        async def echo(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            while line := await r.readline():
                w.write(line.upper())
                await w.drain()
            w.close()

        async def client(i: int) -> bytes:
            reader, writer = await rt.open_connection(SERVER, 8007)
            writer.write(f"client {i}\n".encode() * 3)
            writer.write_eof()
            data = await reader.read()
            writer.close()
            await writer.wait_closed()
            return data

        async with await rt.start_server(echo, SERVER, 8007, backlog=64) as server:
            answers = await asyncio.gather(*(client(i) for i in range(50)))
            assert answers == [f"CLIENT {i}\n".encode() * 3 for i in range(50)]
            server.close()
        await until_empty(rt)
        assert live_sockets(rt) == []

    run(body)


# -- flow control -------------------------------------------------------------------------------


def test_back_pressure_bounds_memory_and_loses_nothing() -> None:
    total = 4 * 1024 * 1024
    block = bytes(range(256)) * 256  # 64 KiB

    async def body(rt: Runtime) -> None:
        readers: list[asyncio.StreamReader] = []
        writers: list[asyncio.StreamWriter] = []
        ready = asyncio.Event()

        async def cb(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            readers.append(r)
            writers.append(w)
            ready.set()

        server = await rt.start_server(cb, SERVER, 8008, limit=16 * 1024)
        _reader, writer = await rt.open_connection(SERVER, 8008)
        await ready.wait()

        sent = 0

        async def produce() -> None:
            nonlocal sent
            while sent < total:
                writer.write(block)
                sent += len(block)
                await writer.drain()
            writer.write_eof()

        producer = asyncio.ensure_future(produce())
        await settle(rt, 30)
        # Nobody reads: the producer is blocked in drain, far from done.
        assert not producer.done()
        assert sent < total // 2
        transport = writer.transport
        assert transport.get_write_buffer_size() <= 64 * 1024 + len(block)
        peer = writers[0].transport
        assert isinstance(peer, TcpTransport)
        assert not peer.is_reading()  # the StreamReader paused it
        child = peer.get_extra_info("smoltcp_socket")
        assert child.recv_queue == child.recv_capacity  # the window is closed
        assert len(readers[0]._buffer) <= 2 * 16 * 1024 + 65536  # type: ignore[attr-defined]
        # Now read everything: it all arrives, in order.
        h = hashlib.sha256()
        got = 0
        while data := await readers[0].read(65536):
            h.update(data)
            got += len(data)
        await producer
        assert got == total
        assert h.hexdigest() == hashlib.sha256(block * (total // len(block))).hexdigest()
        writers[0].close()
        writer.close()
        server.close()
        await server.wait_closed()

    run(body)


# -- protocols ----------------------------------------------------------------------------------


class Collect(asyncio.Protocol):
    def __init__(self) -> None:
        self.data = bytearray()
        self.events: list[str] = []
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.events.append("made")

    def data_received(self, data: bytes) -> None:
        self.data += data

    def eof_received(self) -> bool:
        self.events.append("eof")
        return True  # keep the transport open to answer

    def connection_lost(self, exc: BaseException | None) -> None:
        self.events.append("lost")
        self.lost.set_result(exc)


class Answer(Collect):
    def eof_received(self) -> bool:
        self.events.append("eof")
        self.transport.write(bytes(self.data[::-1]))  # type: ignore[attr-defined]
        return False  # close after the answer


class Buffered(asyncio.BufferedProtocol):
    def __init__(self) -> None:
        self.buf = bytearray(1000)
        self.data = bytearray()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def get_buffer(self, sizehint: int) -> bytearray:
        return self.buf

    def buffer_updated(self, nbytes: int) -> None:
        self.data += self.buf[:nbytes]

    def eof_received(self) -> bool:
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        self.done.set_result(None)


def test_protocol_api() -> None:
    async def body(rt: Runtime) -> None:
        servers: list[Answer] = []

        def factory() -> Answer:
            servers.append(Answer())
            return servers[-1]

        server = await rt.create_server(factory, SERVER, 8010)
        transport, client = await rt.create_connection(Collect, SERVER, 8010)
        assert isinstance(transport, TcpTransport)
        transport.write(b"hello ")
        transport.writelines([b"world"])
        transport.write_eof()
        assert transport.can_write_eof()
        assert await asyncio.wait_for(client.lost, 10) is None
        assert bytes(client.data) == b"dlrow olleh"
        assert client.events == ["made", "eof", "lost"]
        await asyncio.wait_for(servers[0].lost, 10)
        assert servers[0].events == ["made", "eof", "lost"]
        server.close()
        await server.wait_closed()
        await until_empty(rt)
        assert live_sockets(rt) == []

    run(body)


def test_buffered_protocol() -> None:
    payload = bytes(range(256)) * 40

    async def body(rt: Runtime) -> None:
        async def cb(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.write(payload)
            w.close()

        async with await rt.start_server(cb, SERVER, 8011):
            _, proto = await rt.create_connection(Buffered, SERVER, 8011)
            await asyncio.wait_for(proto.done, 10)
            assert bytes(proto.data) == payload

    run(body)


def test_a_failing_protocol_factory_spares_the_listener() -> None:
    async def body(rt: Runtime) -> None:
        calls = 0
        errors: list[Any] = []
        rt.loop.set_exception_handler(lambda loop, context: errors.append(context))

        def factory() -> asyncio.Protocol:
            nonlocal calls
            calls += 1
            if calls == 1:
                raise RuntimeError("bad factory")
            return Answer()

        server = await rt.create_server(factory, SERVER, 8015)
        _, first = await rt.create_connection(Collect, SERVER, 8015)
        assert isinstance(await asyncio.wait_for(first.lost, 10), ConnectionResetError)
        transport, second = await rt.create_connection(Collect, SERVER, 8015)
        transport.write(b"ok")
        transport.write_eof()
        await asyncio.wait_for(second.lost, 10)
        assert bytes(second.data) == b"ko"
        assert [str(c["exception"]) for c in errors] == ["bad factory"]
        server.close()
        await server.wait_closed()
        await until_empty(rt)
        assert live_sockets(rt) == []

    run(body)


def test_serve_forever_until_cancelled() -> None:
    async def body(rt: Runtime) -> None:
        server = await rt.start_server(digest_server, SERVER, 8012)
        task = asyncio.ensure_future(server.serve_forever())
        reader, writer = await rt.open_connection(SERVER, 8012)
        writer.write(b"x")
        writer.write_eof()
        assert (await reader.readline()).startswith(b"1 ")
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not server.is_serving()
        with pytest.raises(ConnectionRefusedError):
            await rt.open_connection(SERVER, 8012)

    run(body)


def test_server_close_resets_unaccepted_and_port_reuse() -> None:
    async def body(rt: Runtime) -> None:
        server = await rt.start_server(digest_server, SERVER, 8013)
        with pytest.raises(OSError):
            await rt.start_server(digest_server, SERVER, 8013)
        server.close()
        await server.wait_closed()
        await until_empty(rt)
        assert live_sockets(rt) == []
        again = await rt.start_server(digest_server, SERVER, 8013)
        again.close()

    run(body)


def test_port_zero_picks_a_free_port() -> None:
    async def body(rt: Runtime) -> None:
        first = await rt.start_server(digest_server, SERVER, 0)
        second = await rt.start_server(digest_server, None, 0)
        port = first.sockets[0].getsockname()[1]
        assert first.sockname == (SERVER, port)
        assert second.sockname[0] == "0.0.0.0"
        assert port >= 49152 and port != second.sockname[1]
        reader, writer = await rt.open_connection(SERVER, port)
        writer.write_eof()
        assert (await reader.readline()).startswith(b"0 ")
        writer.close()
        first.close()
        second.close()
        assert first.sockets == ()

    run(body)


def test_api_misuse() -> None:
    with pytest.raises(TypeError):
        make_runtime(tcp_buffer="big")
    with pytest.raises(ValueError):
        make_runtime(tcp_buffer=0)

    async def body(rt: Runtime) -> None:
        with pytest.raises(ValueError):
            await rt.open_connection(SERVER, 0)
        with pytest.raises(ValueError):
            await rt.start_server(digest_server, SERVER, 70000)
        with pytest.raises(ValueError):
            await rt.start_server(digest_server, SERVER, -1)
        with pytest.raises(TypeError):
            await rt.open_connection(12, 80)
        with pytest.raises(RuntimeError):
            rt.start()

    run(body)


def test_idle_runtime_does_not_poll() -> None:
    async def body(rt: Runtime) -> None:
        server = await rt.start_server(digest_server, SERVER, 8014)
        await settle(rt, 5)
        before = rt.polls
        await settle(rt, 20)
        assert rt.polls == before  # nothing to do: no timer, no wake-up
        server.close()

    run(body)


# -- datagrams and ping -------------------------------------------------------------------------


class Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[bytes, Any]] = asyncio.Queue()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait((data, addr))


def test_udp_endpoints() -> None:
    async def body(rt: Runtime) -> None:
        server_t, server = await rt.create_datagram_endpoint(Datagrams, local_addr=(SERVER, 5353))
        client_t, client = await rt.create_datagram_endpoint(Datagrams, remote_addr=(SERVER, 5353))
        for i in range(100):  # more than the socket buffers hold: the transport queues
            client_t.sendto(f"datagram {i}".encode())
        got = [await server.queue.get() for _ in range(100)]
        assert [d for d, _ in got] == [f"datagram {i}".encode() for i in range(100)]
        source = got[0][1]
        assert source[1] == client_t.get_extra_info("sockname")[1]
        server_t.sendto(b"answer", source)
        assert await client.queue.get() == (b"answer", (SERVER, 5353))
        with pytest.raises(ValueError):
            server_t.sendto(b"no address")
        client_t.close()
        server_t.close()
        await settle(rt, 5)
        assert len(rt.sockets) == 0

    run(body)


def test_ping_own_address_and_timeout() -> None:
    async def body(rt: Runtime) -> None:
        rtt = await rt.ping(SERVER, seq=3)
        assert 0 <= rtt < LIMIT
        with pytest.raises(TimeoutError):
            await rt.ping(NOBODY, timeout=0.2)
        assert len(rt.sockets) == 0

    run(body)


@pytest.mark.parametrize("host", ["224.0.0.251", "255.255.255.255"])
def test_a_server_on_an_address_no_connection_comes_to_is_refused_as_bind_is(host: str) -> None:
    # The stack's listen refuses such an address; asyncio reported it as a route's error
    # (ENETUNREACH), where a bind's (EADDRNOTAVAIL) is what a server's caller looks for.
    import errno

    async def body(rt: Runtime) -> None:
        async def cb(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            w.close()

        with pytest.raises(OSError) as info:
            await rt.start_server(cb, host, 8020)
        assert info.value.errno == errno.EADDRNOTAVAIL
        assert not live_sockets(rt)

    run(body)
