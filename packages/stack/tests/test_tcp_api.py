"""The public boundary of `TcpSocket`: argument checks, and the seams tests build on."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tcp_harness import LOCAL, REMOTE, FakeContext, FakeSet

from smoltcp.stack.socket.errors import ConnectError, ListenError
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.wire import IpEndpoint, Ipv4Address, TcpControl


@pytest.mark.parametrize("port", [70000, -1, 65536])
def test_listen_refuses_a_port_out_of_range(port: int) -> None:
    sock = TcpSocket(64, 64)
    with pytest.raises(ValueError, match="endpoint port"):
        sock.listen(port)
    with pytest.raises(ValueError, match="endpoint port"):
        sock.listen((None, port))
    assert sock.state is TcpState.CLOSED


@pytest.mark.parametrize("endpoint", ["80", 8.0, True, None, [None, 80], (None, "80")])
def test_listen_refuses_an_endpoint_of_the_wrong_kind(endpoint: object) -> None:
    sock = TcpSocket(64, 64)
    with pytest.raises(TypeError, match="endpoint"):
        sock.listen(endpoint)  # type: ignore[arg-type]
    assert sock.state is TcpState.CLOSED


def test_listen_port_zero_is_still_unaddressable() -> None:
    with pytest.raises(ListenError, match="unaddressable"):
        TcpSocket(64, 64).listen(0)


def test_listen_takes_an_address_as_text_and_checks_the_backlog() -> None:
    sock = TcpSocket(64, 64)
    with pytest.raises(ValueError, match="endpoint address"):
        sock.listen(("192.168.69", 80))
    with pytest.raises(TypeError, match="backlog"):
        sock.listen(80, backlog="2")  # type: ignore[arg-type]
    sock.listen(("192.168.69.1", 80))
    assert sock.local_endpoint == IpEndpoint(Ipv4Address("192.168.69.1"), 80)
    assert sock.state is TcpState.LISTEN


@pytest.mark.parametrize(
    "addr", ["224.0.0.251", "239.1.2.3", "255.255.255.255", "ff02::1", "::ffff:192.168.69.1"]
)
def test_listen_refuses_an_address_no_connection_comes_to(addr: str) -> None:
    # RFC 1122 4.2.3.10: no TCP segment to a group or broadcast address is for a connection,
    # and ::ffff:0:0/96 never appears on the wire (RFC 4291 2.5.5.2). Such a listener waited
    # for ever, silently; now the mistake is named.
    sock = TcpSocket(64, 64)
    with pytest.raises(ListenError, match="unaddressable"):
        sock.listen((addr, 80))
    with pytest.raises(ListenError, match="unaddressable"):
        sock.listen(IpEndpoint.parse(f"[{addr}]:80" if ":" in addr else f"{addr}:80"), 4)
    assert sock.state is TcpState.CLOSED
    sock.listen(("::1:ffff:c0a8:4501", 80))  # not in ::ffff:0:0/96
    assert sock.state is TcpState.LISTEN


def connected_socket(remote: object, local: object) -> TcpSocket:
    sock = TcpSocket(64, 64)
    FakeSet().add(sock)
    sock.connect(FakeContext(), remote, local)  # type: ignore[arg-type]
    return sock


def test_connect_takes_tuples_with_text_addresses() -> None:
    sock = connected_socket(("192.168.69.2", 49500), ("192.168.69.1", 80))
    assert sock.state is TcpState.SYN_SENT
    assert sock.remote_endpoint == REMOTE and sock.local_endpoint == LOCAL
    sock = connected_socket((REMOTE.addr, REMOTE.port), 80)
    assert sock.remote_endpoint == REMOTE and sock.local_endpoint == LOCAL


@pytest.mark.parametrize(
    ("remote", "local", "error", "name"),
    [
        ("192.168.69.2:80", 80, TypeError, "remote_endpoint"),
        (49500, 80, TypeError, "remote_endpoint"),
        (("192.168.69.2", 70000), 80, ValueError, "remote_endpoint"),
        (("192.168.69.x", 80), 80, ValueError, "remote_endpoint"),
        ((REMOTE.addr, 80, 1), 80, TypeError, "remote_endpoint"),
        (REMOTE, -1, ValueError, "local_endpoint"),
        (REMOTE, "80", TypeError, "local_endpoint"),
        (REMOTE, (object(), 80), TypeError, "local_endpoint"),
    ],
)
def test_connect_names_the_bad_argument(
    remote: object, local: object, error: type[Exception], name: str
) -> None:
    sock = TcpSocket(64, 64)
    with pytest.raises(error, match=name):
        sock.connect(FakeContext(), remote, local)  # type: ignore[arg-type]
    assert sock.state is TcpState.CLOSED


def test_connect_without_a_remote_port_is_unaddressable() -> None:
    with pytest.raises(ConnectError, match="unaddressable"):
        TcpSocket(64, 64).connect(FakeContext(), (REMOTE.addr, 0), 80)


def test_a_fixed_initial_sequence_number_is_used_for_the_syn() -> None:
    sock = TcpSocket(64, 64, initial_seq=2**32 - 1)
    FakeSet().add(sock)
    cx = FakeContext()
    sock.connect(cx, REMOTE, LOCAL)
    out: list = []
    assert sock.dispatch(cx, cx.now, lambda ip, seg: out.append(seg))
    assert out[0].control is TcpControl.SYN and out[0].seq_number == 2**32 - 1
    assert sock.tcb.iss == 2**32 - 1 and sock.tcb.snd_nxt == 0


@pytest.mark.parametrize(
    ("bad", "error"), [(-1, ValueError), (2**32, ValueError), ("1", TypeError)]
)
def test_initial_sequence_number_is_checked(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="initial_seq"):
        TcpSocket(64, 64, initial_seq=bad)  # type: ignore[arg-type]


def test_the_state_observer_sees_each_change_and_may_refuse_one() -> None:
    seen: list[tuple[TcpState, TcpState]] = []

    def observe(old: TcpState, new: TcpState) -> None:
        if new is TcpState.LISTEN:
            raise RuntimeError("no listening here")
        seen.append((old, new))

    sock = TcpSocket(64, 64, on_state_change=observe)
    FakeSet().add(sock)
    sock.connect(FakeContext(), REMOTE, LOCAL)
    sock.close()
    assert seen == [
        (TcpState.CLOSED, TcpState.SYN_SENT),
        (TcpState.SYN_SENT, TcpState.CLOSED),
    ]
    with pytest.raises(RuntimeError):
        sock.listen(80)
    with pytest.raises(TypeError, match="on_state_change"):
        TcpSocket(64, 64, on_state_change=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("remote", "local"),
    [
        ("255.255.255.255", 0),
        ("192.168.69.255", 0),
        ("224.0.0.251", 0),
        ("239.1.2.3", 0),
        ("ff02::1", 0),
        # From such a local address (the SYN left, and the peer dropped it as a bad source).
        ("192.168.69.2", ("224.0.0.1", 4000)),
        ("192.168.69.2", ("255.255.255.255", 4000)),
        ("192.168.69.2", ("192.168.69.255", 4000)),
        ("fd00::2", ("ff02::1", 4000)),
        # IPv4-mapped IPv6 addresses never appear on the wire (RFC 4291 2.5.5.2): an IPv6
        # SYN to ::ffff:192.168.69.2 left (the stack has no dual-stack sockets).
        ("::ffff:192.168.69.2", ("fd00::1", 4000)),
        ("::ffff:192.168.69.2", 0),
        ("fd00::2", ("::ffff:192.168.69.1", 4000)),
    ],
)
def test_connect_to_a_broadcast_or_multicast_address_is_refused(remote: str, local: object) -> None:
    # RFC 1122 4.2.3.10: an OPEN naming a broadcast or multicast remote address is an error
    # (Linux: ENETUNREACH); no SYN may leave for it. Found by fuzz/targets.py's app target.
    from smoltcp.stack.iface import Config, Interface
    from smoltcp.stack.socket import SocketSet
    from smoltcp.stack.testing import TestingDevice
    from smoltcp.stack.time import Instant
    from smoltcp.wire import IpCidr, Medium

    dev = TestingDevice(Medium.IP, 1500)
    iface = Interface(Config(random_seed=1), dev, Instant.ZERO)
    iface.update_ip_addrs(lambda a: a.extend([IpCidr.parse("192.168.69.1/24")]))
    iface.update_ip_addrs(lambda a: a.extend([IpCidr.parse("fd00::1/64")]))
    sockets = SocketSet()
    sock = TcpSocket(64, 64)
    sockets.add(sock)
    with pytest.raises(ConnectError, match="unaddressable"):
        sock.connect(iface.context, (remote, 80), local)
    assert sock.state is TcpState.CLOSED
    iface.poll(Instant.ZERO, dev, sockets)
    # Nothing but the interface's own reports (IGMP, MLD) leaves: no TCP segment.
    protocols = [f[9] if f[0] >> 4 == 4 else f[6] for f in dev.take()]
    assert 6 not in protocols
