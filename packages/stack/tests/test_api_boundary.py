"""The public API checks its arguments where they enter.

Wrong types and out-of-range values given to the datagram sockets, the interface and its
configuration end in TypeError or ValueError (or a socket operation's named error, for a
well-typed request the socket refuses), never in an AttributeError or OverflowError from deep
inside. A property test throws arbitrary values at every entry point; the examples below pin
the messages that name the argument.
"""

from __future__ import annotations

import contextlib
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import IcmpSocket, RawIpSocket, SocketError, SocketSet, UdpSocket
from smoltcp.stack.storage import PacketBuffer
from smoltcp.stack.testing import TestingDevice
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address

ALLOWED = (TypeError, ValueError, SocketError)
MAC = EthernetAddress.parse("02-00-00-00-00-01")

# Values of every kind a caller might pass by mistake, and some right ones.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.integers(min_value=-2, max_value=70000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["127.0.0.1:1234", "10.0.0.1", "::1", "1.2.3.4:99999", ":80", "x:y"]),
    st.binary(max_size=40),
    st.just(bytearray(16)),
    st.just(memoryview(b"read-only")),
    st.tuples(st.sampled_from(["127.0.0.1", None, 5, Ipv4Address("10.0.0.2")]), st.integers()),
    st.lists(st.integers(), max_size=3),
    st.sampled_from(
        [
            Instant(0),
            Duration.from_secs(1),
            Ipv4Address("10.0.0.1"),
            IpEndpoint(Ipv4Address("10.0.0.1"), 7),
            IpEndpoint(None, 0),
            MAC,
            PacketBuffer(1, 64),
            object(),
        ]
    ),
)


def call(f, *args, **kwargs) -> None:
    with contextlib.suppress(*ALLOWED):
        f(*args, **kwargs)


def fresh_interface() -> tuple[Interface, TestingDevice, SocketSet]:
    device = TestingDevice()
    iface = Interface(Config(hardware_addr=MAC), device, Instant(0))
    iface.update_ip_addrs(lambda a: a.append(IpCidr.parse("10.0.0.1/24")))
    return iface, device, SocketSet()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=junk, b=junk, c=junk, d=junk)
def test_datagram_sockets_raise_only_type_and_value_errors(a, b, c, d):
    call(UdpSocket, a, b)
    call(IcmpSocket, a, b)
    call(RawIpSocket, a, b, c, d)
    call(RawIpSocket, 4, 17, a, b)
    udp = UdpSocket(4096, 4096)
    call(udp.bind, a)
    call(udp.bind, 7)
    call(udp.send, a, b)
    call(udp.send_to, a, b)
    call(udp.send_to, b"x", a)
    call(udp.recv_into, a)
    call(setattr, udp, "hop_limit", a)
    icmp = IcmpSocket(4096, 4096)
    call(icmp.bind, a)
    call(icmp.send, a, b)
    call(icmp.send_to, a, b)
    call(icmp.send_to, bytes(8), a)
    call(setattr, icmp, "hop_limit", a)
    raw = RawIpSocket(4, 17, 4096, 4096)
    call(raw.send, a)
    call(raw.send_slice, a)
    call(raw.recv_into, a)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=junk, b=junk, c=junk)
def test_the_interface_raises_only_type_and_value_errors(a, b, c):
    call(Interface, a, b, c)
    call(Interface, Config(hardware_addr=MAC), TestingDevice(), a)
    call(Interface, Config(hardware_addr=MAC), a, Instant(0))
    iface, device, sockets = fresh_interface()
    call(iface.poll, a, device, sockets)
    call(iface.poll, Instant(1), device, a)
    call(iface.poll_at, a, sockets)
    call(iface.poll_delay, a, sockets)
    call(iface.set_hardware_addr, a)
    call(iface.update_ip_addrs, a)
    call(iface.update_ip_addrs, lambda addrs: addrs.append(b))
    call(iface.has_ip_addr, a)


CONFIG_FIELDS = [f.name for f in dataclasses.fields(Config)]


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(CONFIG_FIELDS), value=junk)
def test_config_fields_raise_only_type_and_value_errors(name, value):
    try:
        config = Config(**{name: value})
    except ALLOWED:
        return
    # Accepted: then it builds an interface that polls.
    if config.hardware_addr is None:
        config = dataclasses.replace(config, hardware_addr=MAC)
    iface = Interface(config, TestingDevice(), Instant(0))
    iface.poll(Instant(1), TestingDevice(), SocketSet())


@pytest.mark.parametrize(
    ("call_it", "error", "name"),
    [
        (lambda: fresh_interface()[0].poll(0, TestingDevice(), SocketSet()), TypeError, "now"),
        (lambda: fresh_interface()[0].poll_delay(1.5, SocketSet()), TypeError, "now"),
        (lambda: fresh_interface()[0].poll(Instant(0), TestingDevice(), []), TypeError, "sockets"),
        (lambda: Interface(Config(hardware_addr=MAC), TestingDevice(), 0), TypeError, "now"),
        (lambda: Interface(Config(hardware_addr=MAC), "eth0", Instant(0)), TypeError, "device"),
        (lambda: UdpSocket("1024", 1024), TypeError, "rx_buffer"),
        (lambda: UdpSocket(1024, 0), ValueError, "tx_buffer"),
        (lambda: UdpSocket(1024, 1024).bind(70000), ValueError, "port"),
        (lambda: UdpSocket(1024, 1024).bind(("127.0.0.1", "80")), TypeError, "port"),
        (lambda: UdpSocket(1024, 1024).bind(("not-an-ip", 80)), ValueError, "address"),
        (lambda: UdpSocket(1024, 1024).bind(1.5), TypeError, "endpoint"),
        (lambda: IcmpSocket(1024, 1024).bind(-1), ValueError, "ident"),
        (lambda: IcmpSocket(1024, 1024).send(8, 12345), TypeError, "addr"),
        (lambda: IcmpSocket(1024, 1024).send(-1, IpAddress.parse("10.0.0.2")), ValueError, "size"),
        (lambda: RawIpSocket("4", 17, 64, 64), TypeError, "ip_version"),
        (lambda: RawIpSocket(4, 300, 64, 64), ValueError, "ip_protocol"),
        (lambda: RawIpSocket(4, 17, 64, 64).recv_into(b"ro"), TypeError, "buffer"),
        (lambda: Config(random_seed="x"), TypeError, "random_seed"),
        (lambda: Config(hop_limit=1.0), TypeError, "hop_limit"),
        (lambda: Config(gro=1), TypeError, "gro"),
        (lambda: Config(icmp_error_interval=100), TypeError, "icmp_error_interval"),
        (lambda: Config(neighbor_expiry=Duration(-1)), ValueError, "neighbor_expiry"),
    ],
)
def test_misuse_names_the_argument(call_it, error, name):
    with pytest.raises(error, match=name):
        call_it()


def test_every_socket_kind_takes_int_buffer_sizes():
    udp = UdpSocket(1024, 2048)
    udp.bind(7)
    for size in (1, 1000):
        udp.send_to(bytes(size), ("10.0.0.2", 9))
    assert udp.send_queue == 2
    icmp = IcmpSocket(1024, 1024)
    icmp.bind(0x1234)
    icmp.send_to(bytes(8), IpAddress.parse("10.0.0.2"))
    raw = RawIpSocket(4, 17, 1024, 1024)
    raw.send_slice(bytes(20))
    # An int N holds N // 64 small packets: 1024 octets take 16 datagrams, then no more.
    small = UdpSocket(1024, 1024)
    small.bind(8)
    for _ in range(16):
        small.send_to(b"x", ("10.0.0.2", 9))
    assert not small.can_send()
