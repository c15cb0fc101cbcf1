"""The construct schemas of spec/ and the generated views read and write the same octets.

construct is the independent oracle here: for random header octets, every generated getter
must equal construct's parse, and writing construct's values through the generated setters
must rebuild the same octets.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import construct
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("smoltcp.wire.address", reason="smoltcp.wire.address is not written yet")
pytest.importorskip("smoltcp.wire.tcp_seq", reason="smoltcp.wire.tcp_seq is not written yet")

from smoltcp.wire.errors import MalformedPacket

PROTOCOLS = ["ethernet", "arp", "ipv4", "icmpv4", "udp", "tcp"]


def fixed_part(header: construct.Struct) -> tuple[construct.Struct, list[Any]]:
    """Return a Struct of the header's fixed-size fields, and those fields."""
    subcons = []
    for sub in header.subcons:
        try:
            sub.sizeof()
        except construct.SizeofError:
            break
        subcons.append(sub)
    return construct.Struct(*subcons), subcons


def flatten(parsed: construct.Container, subcons: list[Any]) -> dict[str, Any]:
    """Flatten the containers of bit groups so that keys are the views' property names."""
    out: dict[str, Any] = {}
    for sub in subcons:
        value = parsed[sub.name]
        if isinstance(value, construct.Container):
            out.update((k, v) for k, v in value.items() if not k.startswith("_"))
        else:
            out[sub.name] = value
    return out


def plain(value: Any) -> Any:
    """Return the int, bool or bytes behind a construct or smoltcp.wire value."""
    if isinstance(value, construct.EnumIntegerString):
        return value.intvalue
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return bytes(value)  # EthernetAddress, Ipv4Address


class Proto:
    def __init__(self, name: str) -> None:
        self.spec = importlib.import_module(f"spec.{name}")
        self.gen = importlib.import_module(f"smoltcp.wire._generated.{name}")
        self.fixed, self.subcons = fixed_part(self.spec.HEADER)
        self.view = getattr(self.gen, self.spec.VIEW)


PROTOS = {name: Proto(name) for name in PROTOCOLS}


@pytest.mark.parametrize("name", PROTOCOLS)
def test_header_len_is_the_construct_size(name: str) -> None:
    proto = PROTOS[name]
    assert proto.gen.HEADER_LEN == proto.fixed.sizeof() == proto.gen.HEADER.size
    assert len(proto.gen.HEADER_FIELDS) == len(proto.subcons)


@pytest.mark.parametrize("name", PROTOCOLS)
def test_checked_constructor_rejects_short_buffers(name: str) -> None:
    proto = PROTOS[name]
    for length in (0, proto.gen.HEADER_LEN - 1):
        with pytest.raises(MalformedPacket) as info:
            proto.view(bytearray(length))
        assert info.value.protocol == proto.gen.PROTOCOL
    proto.view(bytes(proto.gen.HEADER_LEN))  # long enough: no error
    proto.view.new_unchecked(b"")  # unchecked: no error


@pytest.mark.parametrize("name", PROTOCOLS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_views_read_what_construct_parses(name: str, data: st.DataObject) -> None:
    proto = PROTOS[name]
    octets = data.draw(st.binary(min_size=proto.gen.HEADER_LEN, max_size=proto.gen.HEADER_LEN))
    expected = flatten(proto.fixed.parse(octets), proto.subcons)
    for buffer in (octets, bytearray(octets), memoryview(octets)):
        view = proto.view(buffer)
        for field, value in expected.items():
            got = getattr(view, field)
            assert plain(got) == plain(value), field
            if isinstance(value, construct.EnumIntegerString):
                assert got.name == str(value), field
            elif isinstance(value, construct.EnumInteger):
                assert got.name == f"Unknown({int(value)})", field


@pytest.mark.parametrize("name", PROTOCOLS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_header_struct_and_bit_constants_agree_with_construct(
    name: str, data: st.DataObject
) -> None:
    proto = PROTOS[name]
    gen = proto.gen
    octets = data.draw(st.binary(min_size=gen.HEADER_LEN, max_size=gen.HEADER_LEN))
    parsed = proto.fixed.parse(octets)
    words = dict(zip(gen.HEADER_FIELDS, gen.HEADER.unpack_from(octets), strict=True))
    for sub in proto.subcons:
        value = parsed[sub.name]
        word = words[sub.name]
        # The offset constant selects exactly the octets construct encodes the field in.
        assert octets[getattr(gen, sub.name.upper())] == sub.build(value), sub.name
        if isinstance(value, construct.Container):
            for field, sub_value in value.items():
                if field.startswith("_"):
                    continue
                const = field.upper()
                raw = (word & getattr(gen, f"{const}_MASK")) >> getattr(gen, f"{const}_SHIFT")
                raw *= getattr(gen, f"{const}_UNIT", 1)
                assert raw == plain(sub_value), field
        else:
            assert plain(word) == plain(value), sub.name


@pytest.mark.parametrize("name", PROTOCOLS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_views_write_what_construct_builds(name: str, data: st.DataObject) -> None:
    proto = PROTOS[name]
    octets = data.draw(st.binary(min_size=proto.gen.HEADER_LEN, max_size=proto.gen.HEADER_LEN))
    values = flatten(proto.fixed.parse(octets), proto.subcons)
    reader = proto.view(octets)
    for buffer in (bytearray(proto.gen.HEADER_LEN), memoryview(bytearray(proto.gen.HEADER_LEN))):
        view = proto.view(buffer)
        for field, value in values.items():
            current = getattr(reader, field)
            if isinstance(value, (bytes, bytearray)):
                value = type(current)(bytes(value))  # EthernetAddress, Ipv4Address
            elif isinstance(value, construct.EnumIntegerString):
                value = value.intvalue
            setattr(view, field, value)
        assert bytes(buffer) == octets
        assert proto.fixed.build(proto.fixed.parse(bytes(buffer))) == octets


def test_typed_fields_read_as_wire_types() -> None:
    from smoltcp.wire.address import EthernetAddress, Ipv4Address
    from smoltcp.wire.tcp_seq import TcpSeqNumber

    tcp = PROTOS["tcp"].view(bytes(range(20)))
    for value in (tcp.seq_number, tcp.ack_number):
        assert type(value) is TcpSeqNumber
        assert value + 2**32 == value  # modular arithmetic works on the fast-built numbers
    assert tcp.seq_number == 0x04050607
    ipv4 = PROTOS["ipv4"].view(bytes(range(20)))
    assert ipv4.src_addr == Ipv4Address(bytes([12, 13, 14, 15]))
    arp = PROTOS["arp"].view(bytes(range(28)))
    assert arp.source_hardware_addr == EthernetAddress(bytes(range(8, 14)))
    assert arp.target_protocol_addr == Ipv4Address(bytes(range(24, 28)))


# unpack_fields/pack_fields of every header (NDP, MLD, DHCP and DNS fixed parts included).
SPEC_DIR = Path(__file__).resolve().parents[2] / "spec"
ALL = sorted(
    path.stem
    for path in SPEC_DIR.glob("*.py")
    if not path.stem.startswith("_")
    and hasattr(importlib.import_module(f"spec.{path.stem}"), "HEADER")
)


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_unpack_fields_reads_what_construct_parses_and_pack_fields_rebuilds_it(
    name: str, data: st.DataObject
) -> None:
    proto = Proto(name)
    gen = proto.gen
    octets = data.draw(st.binary(min_size=gen.HEADER_LEN, max_size=gen.HEADER_LEN))
    expected = flatten(proto.fixed.parse(octets), proto.subcons)
    fields = gen.unpack_fields(b"\0\0" + octets, 2)
    assert {k: plain(v) for k, v in fields._asdict().items()} == {
        k: plain(v) for k, v in expected.items()
    }
    out = bytearray(gen.HEADER_LEN + 1)
    gen.pack_fields(out, 1, **fields._asdict())
    assert bytes(out[1:]) == octets
