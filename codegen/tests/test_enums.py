"""The generated enums keep unknown values, as the wire layer's contract requires."""

from __future__ import annotations

import pickle

import pytest

from smoltcp.wire._generated._base import UnknownKeepingIntEnum
from smoltcp.wire._generated.ethernet import EthernetProtocol
from smoltcp.wire._generated.icmpv4 import (
    Icmpv4DstUnreachable,
    Icmpv4Message,
    Icmpv4ParamProblem,
    Icmpv4TimeExceeded,
)
from smoltcp.wire._generated.ipv4 import IpProtocol
from smoltcp.wire._generated.tcp import OPTION_LEN, TcpOptionKind


def test_known_values_are_the_rfc_numbers() -> None:
    assert EthernetProtocol.IPV4 == 0x0800
    assert EthernetProtocol.ARP == 0x0806
    assert EthernetProtocol.IPV6 == 0x86DD
    assert [int(p) for p in IpProtocol] == [0, 1, 2, 6, 17, 43, 44, 58, 59, 60]
    assert Icmpv4Message.ECHO_REQUEST == 8 and Icmpv4Message.DST_UNREACHABLE == 3
    assert [int(c) for c in Icmpv4DstUnreachable] == list(range(16))
    assert [int(c) for c in Icmpv4TimeExceeded] == [0, 1]
    assert [int(c) for c in Icmpv4ParamProblem] == [0, 1, 2]
    assert TcpOptionKind.TIMESTAMP == 8


def test_unknown_value_is_a_cached_pseudo_member() -> None:
    unknown = IpProtocol(200)
    assert isinstance(unknown, IpProtocol)
    assert isinstance(unknown, UnknownKeepingIntEnum)
    assert unknown == 200
    assert unknown.name == "Unknown(200)"
    assert unknown.value == 200
    assert IpProtocol(200) is unknown
    assert repr(unknown) == "<IpProtocol.Unknown(200): 200>"
    # Unknown values never become named members.
    assert 200 not in [int(p) for p in IpProtocol]
    assert "Unknown(200)" not in IpProtocol.__members__


def test_unknown_members_pickle_to_themselves() -> None:
    unknown = EthernetProtocol(0x88CC)
    assert pickle.loads(pickle.dumps(unknown)) is unknown
    assert pickle.loads(pickle.dumps(EthernetProtocol.ARP)) is EthernetProtocol.ARP


@pytest.mark.parametrize(
    ("enum", "bad"),
    [(IpProtocol, 256), (IpProtocol, -1), (EthernetProtocol, 0x10000), (TcpOptionKind, 300)],
)
def test_values_outside_the_field_raise(enum: type, bad: int) -> None:
    with pytest.raises(ValueError):
        enum(bad)


@pytest.mark.parametrize("bad", ["6", 2.5, None, b"\x06"])
def test_non_integers_raise(bad: object) -> None:
    with pytest.raises(ValueError):
        IpProtocol(bad)


def test_top_of_range_is_kept() -> None:
    assert EthernetProtocol(0xFFFF).name == "Unknown(65535)"
    assert TcpOptionKind(255).name == "Unknown(255)"


def test_option_lengths_are_the_rfc_lengths() -> None:
    assert OPTION_LEN == {
        TcpOptionKind.EOL: 1,
        TcpOptionKind.NOP: 1,
        TcpOptionKind.MSS: 4,
        TcpOptionKind.WS: 3,
        TcpOptionKind.SACK_PERMITTED: 2,
        TcpOptionKind.TIMESTAMP: 10,
    }
