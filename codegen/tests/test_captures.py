"""The spec's schemas and the generated views agree on every frame the Linux kernel wrote.

The captures in ``tests/data`` hold ARP, ICMP, IPv4 with options and fragments, UDP and
TCP with every option the stack speaks; random octets (test_oracle.py) rarely form such valid,
nested headers, so these check the spec against real traffic.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import construct
import pytest

from smoltcp.wire._generated import arp as gen_arp
from smoltcp.wire._generated import ethernet as gen_ethernet
from smoltcp.wire._generated import icmpv4 as gen_icmpv4
from smoltcp.wire._generated import ipv4 as gen_ipv4
from smoltcp.wire._generated import tcp as gen_tcp
from smoltcp.wire._generated import udp as gen_udp
from spec import arp, ethernet, icmpv4, ipv4, tcp, udp

CAPTURES = Path(__file__).resolve().parents[2] / "tests" / "data"
PCAPS = sorted(CAPTURES.glob("*.pcap"))


def read_pcap(path: Path) -> Iterator[bytes]:
    """Yield the frames of a classic little- or big-endian pcap file of link type Ethernet."""
    data = path.read_bytes()
    magic = data[:4]
    order = {b"\xd4\xc3\xb2\xa1": "<", b"\xa1\xb2\xc3\xd4": ">"}.get(magic)
    if order is None:  # nanosecond pcap
        order = {b"\x4d\x3c\xb2\xa1": "<", b"\xa1\xb2\x3c\x4d": ">"}[magic]
    (linktype,) = struct.unpack_from(order + "I", data, 20)
    assert linktype == 1, "Ethernet link type expected"
    offset = 24
    while offset + 16 <= len(data):
        _, _, caplen, _ = struct.unpack_from(order + "IIII", data, offset)
        offset += 16
        yield data[offset : offset + caplen]
        offset += caplen


def flat(parsed: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in parsed.items():
        if key.startswith("_"):
            continue
        if isinstance(value, construct.Container):
            out.update(flat(value))
        else:
            out[key] = value
    return out


def plain(value: Any) -> Any:
    if isinstance(value, construct.EnumIntegerString):
        return value.intvalue
    if isinstance(value, (bool, int)):
        return int(value) if not isinstance(value, bool) else value
    return bytes(value)


def agree(schema: construct.Struct, view: Any, octets: bytes) -> dict[str, Any]:
    """Assert every field construct parses from ``octets`` reads the same through ``view``."""
    fields = flat(schema.parse(octets))
    for name, value in fields.items():
        if hasattr(type(view), name):
            assert plain(getattr(view, name)) == plain(value), name
    return fields


@pytest.mark.skipif(not PCAPS, reason=f"no captures in {CAPTURES}")
@pytest.mark.parametrize("path", PCAPS, ids=lambda p: p.name)
def test_spec_and_views_agree_on_captured_frames(path: Path) -> None:
    seen: Counter[str] = Counter()
    for frame in read_pcap(path):
        eth = agree(ethernet.HEADER, gen_ethernet.EthernetFrame(frame), frame)
        payload = frame[gen_ethernet.HEADER_LEN :]
        seen["ethernet"] += 1
        if eth["ethertype"] == "ARP":
            agree(arp.HEADER, gen_arp.ArpPacket(payload), payload[: gen_arp.HEADER_LEN])
            seen["arp"] += 1
            continue
        if eth["ethertype"] != "IPV4":
            continue
        ip = agree(ipv4.HEADER, gen_ipv4.Ipv4Packet(payload), payload)
        seen["ipv4"] += 1
        seen["ipv4 options"] += bool(ip["options"])
        body = payload[ip["header_len"] : ip["total_len"]]
        if ip["frag_offset"] or ip["more_frags"]:
            seen["fragment"] += 1
            if ip["frag_offset"]:
                continue  # a later fragment has no transport header
        if ip["next_header"] == "TCP":
            segment = agree(tcp.HEADER, gen_tcp.TcpPacket(body), body)
            options = segment["options"]
            parsed = tcp.OPTIONS.parse(options)
            # The options area parses whole: nothing is left that the schema did not explain.
            assert tcp.OPTIONS.build(parsed) == options
            for option in parsed:
                kind = gen_tcp.TcpOptionKind(plain(option.kind))
                if kind in gen_tcp.OPTION_LEN:
                    length = option.body.length if option.body is not None else 1
                    assert gen_tcp.OPTION_LEN[kind] == length
                seen[f"tcp option {kind.name}"] += 1
            seen["tcp"] += 1
        elif ip["next_header"] == "UDP":
            agree(udp.HEADER, gen_udp.UdpPacket(body), body)
            seen["udp"] += 1
        elif ip["next_header"] == "ICMP":
            message = agree(icmpv4.HEADER, gen_icmpv4.Icmpv4Packet(body), body)
            if message["msg_type"] in ("DST_UNREACHABLE", "TIME_EXCEEDED", "PARAM_PROBLEM"):
                error = flat(icmpv4.ERROR.parse(body))
                quoted = ipv4.HEADER.parse(error["data"])
                assert quoted.ver_ihl.version == 4
                seen["icmp error"] += 1
            seen["icmp"] += 1
    assert seen["ethernet"] > 0
    print(path.name, dict(sorted(seen.items())))
