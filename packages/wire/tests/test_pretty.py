"""The pretty printer: one line per layer, and it never raises, whatever the octets."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_golden import ARP_REQUEST, ICMP_PORT_UNREACHABLE, TCP_SACK, TCP_SYN, UDP_FRAME

from smoltcp.wire import Medium, PrettyPrinter, pretty_print


def test_layers() -> None:
    assert pretty_print(TCP_SYN).splitlines() == [
        "EthernetII src=da-8f-3d-04-dc-63 dst=ba-67-19-e1-70-a6 type=IPv4",
        "IPv4 src=192.168.69.100 dst=192.168.69.1 proto=TCP len=40 ttl=64",
        "TCP src=57992 dst=9 syn seq=2980174494 win=64240 mss=1460 ws=10 sackOK ts=3732433675/0",
    ]
    assert pretty_print(ARP_REQUEST).splitlines()[1] == (
        "ARP request who-has 192.168.69.1 tell 192.168.69.100"
    )
    assert pretty_print(UDP_FRAME).splitlines()[2] == "UDP src=43265 dst=9999 len=5"
    assert (
        pretty_print(ICMP_PORT_UNREACHABLE)
        .splitlines()[2]
        .startswith("ICMPv4 dst_unreachable code=PORT_UNREACHABLE")
    )
    sack = pretty_print(TCP_SACK).splitlines()[2]
    assert "sack=4070653171-4070654619" in sack and sack.endswith("cksum-partial")
    assert PrettyPrinter(Medium.IP).format(TCP_SYN[14:]) == "\n".join(
        pretty_print(TCP_SYN).splitlines()[1:]
    )


def test_malformed_layers_are_named() -> None:
    assert pretty_print(b"") == (
        "EthernetII (malformed: header: 0 octets, fewer than the 14-octet header)"
    )
    lines = pretty_print(TCP_SYN[:40]).splitlines()
    assert lines[1].startswith("IPv4 (malformed: total_len:")
    bad = bytearray(TCP_SYN)
    bad[47] |= 0x01  # SYN+FIN
    assert pretty_print(bytes(bad)).splitlines()[2].startswith("TCP (malformed: flags:")
    bad = bytearray(UDP_FRAME)
    bad[-1] ^= 0xFF
    assert pretty_print(bytes(bad)).splitlines()[2].endswith("bad-cksum")
    vlan = bytes(12) + b"\x81\x00" + bytes(50)
    assert "unsupported" in pretty_print(vlan)


@settings(max_examples=500)
@given(st.binary(max_size=120), st.sampled_from(list(Medium)))
def test_never_raises_on_random_bytes(data: bytes, medium: Medium) -> None:
    text = pretty_print(data, medium)
    assert "Error" not in text and "struct" not in text  # only MalformedPacket reasons


@settings(max_examples=300)
@given(st.sampled_from([TCP_SYN, UDP_FRAME, ICMP_PORT_UNREACHABLE, ARP_REQUEST]), st.data())
def test_never_raises_on_mutated_frames(frame: bytes, data: st.DataObject) -> None:
    mutated = bytearray(frame)
    for _ in range(data.draw(st.integers(1, 3))):
        mutated[data.draw(st.integers(0, len(frame) - 1))] = data.draw(st.integers(0, 255))
    text = pretty_print(bytes(mutated[: data.draw(st.integers(0, len(frame)))]))
    assert text.splitlines()[0].startswith("EthernetII")
    assert "Error" not in text and "struct" not in text
