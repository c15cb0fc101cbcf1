"""A connection that is over, once its socket is dropped, is freed by reference counting alone.

The parts of a connection point at each other; they point at their socket only weakly, and the
socket unlinks them when it goes. These tests run with the cycle collector off: what is freed
here is freed at once in a program that never collects.
"""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_link import Link
from tcp_sim import Bulk, Sim, connect_pair, make_pair
from test_tcp_pair import check_intact, transfer

from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.tcp.receive import Receiver
from smoltcp.stack.time import Duration, Instant


@pytest.fixture
def no_collector() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def receivers() -> int:
    """Return how many connection parts (one `Receiver` per socket) are alive."""
    return sum(1 for o in gc.get_objects() if type(o) is Receiver)


def closed_pair() -> tuple[Sim, list[weakref.ref[TcpSocket]]]:
    """Transfer both ways, close, wait out TIME-WAIT, remove both sockets from their sets."""
    sim, a, b = make_pair(Link(seed=3, latency=Duration.from_millis(1)))
    client, server = connect_pair(sim, a, b)
    up, down, data_ab, data_ba = transfer(sim, client, server, 200_000, 50_000, seed=2)
    check_intact(up, down, data_ab, data_ba)
    sim.run_for(Duration.from_secs(300))  # past TIME-WAIT
    assert client.state is TcpState.CLOSED and server.state is TcpState.CLOSED
    a.sockets.remove(client.handle)
    b.sockets.remove(server.handle)
    return sim, [weakref.ref(client), weakref.ref(server)]


def closed_listener() -> tuple[Sim, list[weakref.ref[TcpSocket]]]:
    """Accept three connections on a backlog listener, transfer, close all, remove all."""
    sim, a, b = make_pair(Link(seed=4, latency=Duration.from_millis(1)))
    listener = TcpSocket(65536, 65536)
    listener.listen(80, backlog=4)
    b.add(listener)
    clients = [TcpSocket(65536, 65536) for _ in range(3)]
    for sock in clients:
        sock.connect(a.cx, (b.addr, 80), 0)
        a.add(sock)
    accepted: list[int] = []

    def all_accepted(now: Instant) -> bool:
        while (handle := listener.accept()) is not None:
            accepted.append(handle)
        return len(accepted) == len(clients)

    sim.run(all_accepted)
    children = [b.get(handle) for handle in accepted]
    bulks = [Bulk(sock, b"x" * 10_000) for sock in clients] + [Bulk(c, b"") for c in children]
    sim.run(lambda now: all([bulk.step() for bulk in bulks]))
    sim.run_for(Duration.from_secs(300))
    listener.close()
    everything = [*clients, *children, listener]
    assert all(not sock.is_open() for sock in everything)
    for sock in clients:
        a.sockets.remove(sock.handle)
    for sock in [*children, listener]:
        b.sockets.remove(sock.handle)
    return sim, [weakref.ref(sock) for sock in everything]


@pytest.mark.parametrize("scenario", [closed_pair, closed_listener])
def test_a_closed_connection_is_freed_without_the_cycle_collector(
    no_collector: None, scenario: Callable[[], tuple[Sim, list[weakref.ref[TcpSocket]]]]
) -> None:
    alive = receivers()
    sim, gone = scenario()  # the hosts stay; every socket has left its set
    assert [ref() for ref in gone] == [None] * len(gone)
    assert receivers() == alive
    assert sim.hosts  # (kept alive until here)
