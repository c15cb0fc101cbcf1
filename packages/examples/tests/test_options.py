"""The shared options build the device stack they describe, and nothing more."""

from __future__ import annotations

import argparse

import pytest

from smoltcp.examples import options
from smoltcp.examples.runtime import Clock, UserError, describe, run
from smoltcp.phy import FaultInjector, Loopback, PcapWriter, Tracer


def parse(*argv: str):
    return options.parser("smoltcp-test", "test", iface=False).parse_args(list(argv))


def test_no_options_means_the_bare_device():
    device = Loopback()
    assert options.wrap_device(device, parse()) is device


def test_every_option_adds_its_layer_in_order(tmp_path):
    pcap = tmp_path / "x.pcap"
    args = parse(
        "--pcap",
        str(pcap),
        "-v",
        "--drop-chance",
        "15",
        "--corrupt-chance",
        "5",
        "--size-limit",
        "1000",
        "--tx-rate-limit",
        "4",
        "--rx-rate-limit",
        "3",
        "--seed",
        "9",
    )
    device = options.wrap_device(Loopback(), args)
    assert isinstance(device, FaultInjector)
    assert (device.drop_chance, device.corrupt_chance, device.size_limit) == (15.0, 5.0, 1000)
    assert (device.tx_rate_limit, device.rx_rate_limit) == (4, 3)
    assert device.shaping_interval == 50, "the seed's default interval when a limit is set"
    assert isinstance(device.inner, Tracer)
    assert isinstance(device.inner.inner, PcapWriter)
    assert isinstance(device.inner.inner.inner, Loopback)
    device.close()
    assert pcap.read_bytes()[:4] == bytes.fromhex("d4c3b2a1")


def test_shaping_interval_is_taken_as_given():
    device = options.wrap_device(
        Loopback(), parse("--tx-rate-limit", "2", "--shaping-interval", "7")
    )
    assert device.shaping_interval == 7


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--drop-chance", "-1"], "bad percentage"),
        (["--corrupt-chance", "x"], "bad percentage"),
        (["--size-limit", "0"], "bad count"),
        (["--tx-rate-limit", "1.5"], "bad count"),
    ],
)
def test_bad_values_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(*argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and err.startswith("smoltcp-test: error:")


def test_argument_types_parse_what_users_type():
    assert str(options.address("192.168.69.1")) == "192.168.69.1"
    assert options.port("6969") == 6969
    assert str(options.endpoint("10.0.0.1:80")) == "10.0.0.1:80"
    for bad in ("1.2.3", "example.org", ""):
        with pytest.raises(Exception, match="bad IP address"):
            options.address(bad)
    for bad in ("0", "65536", "http"):
        with pytest.raises(Exception, match="bad port"):
            options.port(bad)


def test_run_turns_user_errors_into_one_line(capsys):
    def refused():
        raise UserError("cannot connect to 10.0.0.1:1: connection refused")

    def missing():
        raise FileNotFoundError(2, "No such file or directory", "/nonexistent/x.pcap")

    assert run("smoltcp-test", refused) == 1
    assert run("smoltcp-test", missing) == 1
    assert run("smoltcp-test", lambda: 3) == 3
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "smoltcp-test: cannot connect to 10.0.0.1:1: connection refused",
        "smoltcp-test: /nonexistent/x.pcap: no such file or directory",
    ]


def test_run_keeps_the_traceback_of_a_bug():
    def bug():
        raise KeyError("not a user error")

    with pytest.raises(KeyError):
        run("smoltcp-test", bug)


def test_describe_socket_errors_by_their_reason():
    from smoltcp.stack.socket.errors import ConnectError

    assert describe(ConnectError("unaddressable")) == "ConnectError: unaddressable"


def test_clock_is_monotonic_and_near_the_wall_clock():
    import time

    clock = Clock()
    a = clock.now()
    b = clock.now()
    assert b >= a
    assert abs(a.total_micros() / 1e6 - time.time()) < 5


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--address", "224.0.0.1/24"], "an interface address is unicast, not 224.0.0.1"),
        (["--address", "0.0.0.0/0"], "an interface address is unicast, not 0.0.0.0"),
        (["--address", "255.255.255.255/24"], "an interface address is unicast"),
        (["--mac", "01-00-5e-00-00-01"], "a host's address is unicast"),
        (["--mac", "ff-ff-ff-ff-ff-ff"], "a host's address is unicast"),
        # A route through these raised ValueError (a traceback) once the program started.
        (["--gateway", "0.0.0.0"], "bad gateway '0.0.0.0': 0.0.0.0 is no router's address"),
        (["--gateway", "127.0.0.1"], "127.0.0.1 is no router's address"),
        (["--gateway", "224.0.0.1"], "224.0.0.1 is no router's address"),
    ],
)
def test_addresses_an_interface_cannot_have_are_refused_at_parsing(argv, message, capsys):
    # The interface refuses them when the program starts; found there, they were a traceback.
    p = options.parser("smoltcp-test", "test", iface=False)
    options.add_host_options(p, address="192.168.69.1/24", gateway=None, mac="02-00-00-00-00-01")
    with pytest.raises(SystemExit) as exit_info:
        p.parse_args(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and argv[0] in err


@pytest.mark.parametrize("program", ["client", "ping", "httpclient"])
@pytest.mark.parametrize("peer", ["0.0.0.0", "::", "[::]"])
def test_the_unspecified_address_is_no_peer(program, peer, capsys):
    # It parsed, and the client ended in "ConnectError: unaddressable" once the device was open.
    import importlib

    module = importlib.import_module(f"smoltcp.examples.{program}")
    rest = {"client": ["80"], "ping": [], "httpclient": ["http://example.org/"]}[program]
    with pytest.raises(SystemExit) as exit_info:
        module.build_parser().parse_args(["tap0", peer, *rest])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(the unspecified address)" in err


@pytest.mark.parametrize("text", ["::", "::1", "ff02::2", "[::1]", "::ffff:10.0.0.1", "10.0.0.1"])
def test_an_ipv6_gateway_no_router_can_have_is_refused(text: str) -> None:
    from smoltcp.examples.peers import gateway6_address

    with pytest.raises(argparse.ArgumentTypeError, match="bad IPv6 gateway"):
        gateway6_address(text)
    assert str(gateway6_address("fe80::1")) == "fe80::1"
