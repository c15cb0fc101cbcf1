"""MLD queries (RFC 3810 5.1, RFC 2710 3): scapy builds them, `MldQueryRepr` reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scapy.layers.inet6 import ICMPv6MLQuery, ICMPv6MLQuery2

from smoltcp.wire import MalformedPacket
from smoltcp.wire.mld import MldQueryRepr


def test_mldv1_query_reads_its_delay_in_milliseconds() -> None:
    q = MldQueryRepr.parse_buffer(bytes(ICMPv6MLQuery(mrd=2500, mladdr="ff12::1")))
    assert (q.version, q.max_resp_delay, str(q.mcast_addr), q.num_sources) == (
        1,
        2500,
        "ff12::1",
        0,
    )


@given(st.integers(0, 0xFFFF), st.integers(0, 3))
def test_mldv2_query_decodes_the_maximum_response_code(code: int, nsrc: int) -> None:
    sources = [f"fe80::{i + 1}" for i in range(nsrc)]
    raw = bytes(ICMPv6MLQuery2(mrd=code, mladdr="::", sources=sources))
    q = MldQueryRepr.parse_buffer(raw)
    # RFC 3810 5.1.3, computed independently: below 32768 the value itself, else a float.
    expected = code if code < 0x8000 else ((code & 0xFFF) | 0x1000) << (((code >> 12) & 7) + 3)
    assert (q.version, q.max_resp_delay, q.num_sources) == (2, expected, nsrc)
    assert q.mcast_addr.is_unspecified


@pytest.mark.parametrize(
    ("why", "raw"),
    [
        ("truncated", bytes(ICMPv6MLQuery())[:23]),
        ("between v1 and v2", bytes(ICMPv6MLQuery2())[:26]),
        ("sources past the end", bytes(ICMPv6MLQuery2(sources=["fe80::1"]))[:40]),
        ("another type", b"\x83" + bytes(ICMPv6MLQuery())[1:]),
    ],
)
def test_malformed_queries_are_refused(why: str, raw: bytes) -> None:
    with pytest.raises(MalformedPacket):
        MldQueryRepr.parse_buffer(raw)
