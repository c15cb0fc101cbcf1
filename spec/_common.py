"""The vocabulary shared by the spec modules: field types that carry meaning beyond their bytes.

Codegen recognises these by class name, so a spec may come from any directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from construct import Adapter, Bytes, Construct, FormatField

__all__ = [
    "Absent",
    "Checksum",
    "Derived",
    "EthernetAddressField",
    "FromOption",
    "Ipv4AddressField",
    "Ipv6AddressField",
    "Keep",
    "Layer",
    "Lookup",
    "OneOf",
    "Payload",
    "Profile",
    "Representation",
    "Scaled",
    "TcpSeqNumberField",
    "WhenFlag",
]


class EthernetAddressField(Bytes):
    """Declare a 48-bit IEEE 802 MAC address (read as ``smoltcp.wire.EthernetAddress``)."""

    def __init__(self) -> None:
        super().__init__(6)


class Ipv4AddressField(Bytes):
    """Declare a 32-bit IPv4 address, RFC 791 section 3.1 (read as ``Ipv4Address``)."""

    def __init__(self) -> None:
        super().__init__(4)


class Ipv6AddressField(Bytes):
    """Declare a 128-bit IPv6 address, RFC 8200 section 3 (read as ``Ipv6Address``)."""

    def __init__(self) -> None:
        super().__init__(16)


class TcpSeqNumberField(FormatField):
    """Declare a 32-bit TCP sequence number, RFC 9293 section 3.1 (read as ``TcpSeqNumber``)."""

    def __init__(self) -> None:
        super().__init__(">", "L")


class Scaled(Adapter):  # type: ignore[misc]
    """Declare an integer field counted in units of ``unit`` octets, exposed in octets.

    IPv4's IHL counts 32-bit words and its fragment offset 8-octet blocks (RFC 791 section 3.1);
    the views and this schema both read and write octets so that callers never scale by hand.
    """

    def __init__(self, subcon: Construct, unit: int) -> None:
        super().__init__(subcon)
        self.unit = unit

    def _decode(self, obj: int, context: Any, path: Any) -> int:
        return obj * self.unit

    def _encode(self, obj: int, context: Any, path: Any) -> int:
        if obj % self.unit:
            raise ValueError(f"{obj} is not a multiple of {self.unit}")
        return obj // self.unit


# What a representation keeps. These are declarations, like the schemas: codegen reads them to
# write every generated parse and emit, and nothing here runs.


@dataclass(frozen=True)
class Keep:
    """Declare a representation field that is the header field ``field`` (default: same name).

    It reads as the field's type (an enum, an address, a sequence number, a bool for a flag,
    octets for a scaled field) and is written back unchanged.
    """

    name: str
    field: str = ""


@dataclass(frozen=True)
class Derived:
    """Declare a representation field computed from header fields, such as a payload length.

    ``parse`` is a Python expression over header field names; ``emit`` maps each header field
    it stands for to an expression over representation field names (and fixed header fields).
    """

    name: str
    parse: str
    emit: dict[str, str]


@dataclass(frozen=True)
class WhenFlag:
    """Declare a field that is the header field ``field`` when ``flag`` is set, else None.

    Emit sets ``flag`` when the value is not None and writes zero in the field otherwise.
    """

    name: str
    field: str
    flag: str


@dataclass(frozen=True)
class Lookup:
    """Declare fields read through a table of the hand-written module indexed by flag bits.

    ``bits`` name adjacent flags of one bit group; their value indexes ``table``. With one
    name the entry is the field's value, and None marks a combination the one-call path leaves
    to the layer's own parse (which raises the precise error). With several names each entry is
    a tuple of their values, appended in order. On emit, ``emit_table[value]`` holds the flag
    bits of one name's value; without ``emit_table`` each name is the flag of the same name.
    """

    names: tuple[str, ...]
    table: str
    bits: tuple[str, ...]
    emit_table: str = ""


@dataclass(frozen=True)
class FromOption:
    """Declare a field carried by the option ``kind`` (a member of the option-kind enum).

    ``absent`` is its value (a Python literal) when the option is not there. ``build`` names
    the hand-written NamedTuple built from the option's fields, in the schema's order.
    """

    name: str
    kind: str
    absent: str
    build: str = ""


@dataclass(frozen=True)
class Absent:
    """Declare a field that the layer profiles never carry: parse gives ``value`` (a literal).

    The hand-written semantics fill it for other shapes (the IP header an ICMP error quotes);
    emit leaves a representation whose field is not ``value`` to the hand-written path.
    """

    name: str
    value: str = "None"


@dataclass(frozen=True)
class Payload:
    """Declare the field holding the octets after the header (a memoryview on parse)."""

    name: str = "payload"


@dataclass(frozen=True)
class Checksum:
    """Declare the checksum field and what it covers (RFC 1071 sums).

    ``covers`` is ``"header"`` (IPv4), ``"message"`` (ICMPv4, IGMP: the whole message, no
    pseudo header) or ``"pseudo-header"`` (TCP, UDP, ICMPv6: the IP addresses, the protocol
    ``protocol`` and the length, then the whole segment). ``caps`` names the
    `ChecksumCapabilities` attribute that says whether to verify and compute it; ``""``: always.
    ``zero_is_none``: a zero field means the sender computed none (parse skips the check) and a
    computed zero is sent as 0xffff (UDP, RFC 768).
    """

    field: str
    covers: str
    caps: str
    protocol: int = 0
    zero_is_none: bool = False


@dataclass(frozen=True)
class Representation:
    """Declare what a header's hand-written representation keeps, in the NamedTuple's order.

    ``length`` names the header field that counts the octets of the header and everything it
    carries (IPv4 total length, UDP length), or with ``length_after`` only those after the
    fixed header (IPv6 payload length); ``cache`` the hand-written ``header octets ->
    representation`` lookup of a header that repeats (Ethernet), used instead of a parse.
    ``checksum_args``: the generated functions take ``checksum_caps`` and ``csum`` without a
    checksum to use them on (the signature IPv6 shares with IPv4).
    """

    name: str
    fields: tuple[Keep | Derived | WhenFlag | Lookup | FromOption | Payload | Absent, ...]
    checksum: Checksum | None = None
    length: str = ""
    cache: str = ""
    length_after: bool = False
    checksum_args: bool = False


# Fast-path frame profiles: the frame shapes that most packets of a stream have, parsed and
# emitted in one call.


@dataclass(frozen=True)
class OneOf:
    """Declare the values a profile accepts in one field (enum members by name, or ints).

    A ``Layer.fixed`` value: parse checks the field is one of them, emit that the
    representation's value is; the value itself is read and written like any other.
    """

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class Layer:
    """Declare one header of a profile: its spec module and what the profile fixes in it.

    ``fixed`` maps header fields to the only value (for enums, a member by name) the profile
    accepts, or to a `OneOf` the values it accepts: parse checks them, emit writes a fixed
    value and checks a `OneOf`. ``options`` lists the option kinds,
    in order, that fill the options area exactly (the option area's length follows).
    """

    spec: str
    fixed: dict[str, Any] = field(default_factory=dict)
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """Declare a frame shape with a one-call parse and emit, ``parse_<name>``/``emit_<name>``.

    The layers follow each other without gaps; the last one's payload ends where the first
    layer with a ``length`` says. A frame of any other shape takes the layer-by-layer path,
    so both give the same answer for every input.
    """

    name: str
    doc: str
    layers: tuple[Layer, ...]
