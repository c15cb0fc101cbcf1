"""Link-layer and IP addresses, CIDR blocks and endpoints.

One address object is built for every address field of every parsed packet, so the classes are
small: ``__slots__`` holding the packed octets, equality and hashing on those octets (a `bytes`
object caches its own hash), ordering on them too (big-endian octets order like the numbers).

The IP classes are version-neutral where the stack sees them (`IpAddress`, `IpCidr`,
`IpEndpoint`); `Ipv4Address`/`Ipv4Cidr` and `Ipv6Address`/`Ipv6Cidr` are the concrete versions,
with the same shape. IPv6 text is written as RFC 5952 recommends and read in every form of
RFC 4291 section 2.2 (zone identifiers, RFC 4007's ``%eth0``, are not addresses and are refused).
"""

from __future__ import annotations

import enum
from typing import Any, NamedTuple

__all__ = [
    "EthernetAddress",
    "IpAddress",
    "IpCidr",
    "IpEndpoint",
    "IpVersion",
    "Ipv4Address",
    "Ipv4Cidr",
    "Ipv6Address",
    "Ipv6Cidr",
    "Ipv6MulticastScope",
    "modified_eui64",
]

# Slot assignment that bypasses the immutability guard of ``__setattr__``.
_set = object.__setattr__
_new = object.__new__
_from_bytes = int.from_bytes

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class IpVersion(enum.IntEnum):
    """The IP version of an address or a packet (the 4-bit Version field)."""

    V4 = 4
    V6 = 6


class EthernetAddress:
    """A 48-bit IEEE 802 MAC address; immutable, hashable and ordered by its octets.

    Construct from exactly 6 octets (any bytes-like), or from text with `EthernetAddress.parse`.
    """

    __slots__ = ("_octets",)
    _octets: bytes

    BROADCAST: EthernetAddress

    def __init__(self, octets: bytes | bytearray | memoryview) -> None:
        if type(octets) is not bytes:
            octets = bytes(octets)
        if len(octets) != 6:
            raise ValueError(f"an Ethernet address has 6 octets, not {len(octets)}")
        _set(self, "_octets", octets)

    @classmethod
    def parse(cls, text: str) -> EthernetAddress:
        """Parse ``"02-00-00-00-00-01"`` or ``"02:00:00:00:00:01"``; raise ValueError otherwise."""
        sep = "-" if "-" in text else ":"
        parts = text.split(sep)
        if len(parts) != 6 or any(len(p) != 2 or not _HEX_DIGITS.issuperset(p) for p in parts):
            raise ValueError(f"not an Ethernet address (want 02-00-00-00-00-01): {text!r}")
        return cls(bytes(int(p, 16) for p in parts))

    @property
    def octets(self) -> bytes:
        """The 6 octets, in transmission order."""
        return self._octets

    @property
    def is_broadcast(self) -> bool:
        """Whether this is ff-ff-ff-ff-ff-ff."""
        return self._octets == b"\xff\xff\xff\xff\xff\xff"

    @property
    def is_multicast(self) -> bool:
        """Whether the group bit (I/G, least significant bit of the first octet) is set.

        The broadcast address is a multicast address too, as IEEE 802 defines it.
        """
        return bool(self._octets[0] & 0x01)

    @property
    def is_unicast(self) -> bool:
        """Whether this addresses a single station (group bit clear)."""
        return not self._octets[0] & 0x01

    @property
    def is_local(self) -> bool:
        """Whether the locally-administered bit (U/L, second bit of the first octet) is set."""
        return bool(self._octets[0] & 0x02)

    def __bytes__(self) -> bytes:
        return self._octets

    def __str__(self) -> str:
        return self._octets.hex("-")

    def __repr__(self) -> str:
        return f"EthernetAddress('{self._octets.hex('-')}')"

    def __hash__(self) -> int:
        return hash(self._octets)

    def __eq__(self, other: object) -> bool:
        if type(other) is EthernetAddress:
            return self._octets == other._octets
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if type(other) is EthernetAddress:
            return self._octets != other._octets
        return NotImplemented

    def __lt__(self, other: EthernetAddress) -> bool:
        if type(other) is EthernetAddress:
            return self._octets < other._octets
        return NotImplemented

    def __le__(self, other: EthernetAddress) -> bool:
        if type(other) is EthernetAddress:
            return self._octets <= other._octets
        return NotImplemented

    def __gt__(self, other: EthernetAddress) -> bool:
        if type(other) is EthernetAddress:
            return self._octets > other._octets
        return NotImplemented

    def __ge__(self, other: EthernetAddress) -> bool:
        if type(other) is EthernetAddress:
            return self._octets >= other._octets
        return NotImplemented

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"EthernetAddress is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"EthernetAddress is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple[type, tuple[bytes]]:
        return (EthernetAddress, (self._octets,))


EthernetAddress.BROADCAST = EthernetAddress(b"\xff" * 6)


class IpAddress:
    """An IP address of any version: the type the stack uses everywhere.

    Abstract: instances are `Ipv4Address` or `Ipv6Address`. Addresses of different
    versions are never equal and order by version first.
    """

    __slots__ = ()

    # Every concrete version keeps its octets in a slot ``_packed`` and their big-endian value
    # in a slot ``_int``: the checksum fast paths of smoltcp.wire read them directly (the
    # value is congruent to the sum of its 16-bit words modulo 0xffff, so a pseudo-header sum
    # is two slot reads and an addition).
    _packed: bytes
    _int: int

    version: int
    """The IP version, 4 or 6."""

    @staticmethod
    def parse(text: str) -> IpAddress:
        """Parse the text form of an IPv4 or IPv6 address; raise ValueError otherwise.

        Text with a colon is IPv6 (`Ipv6Address`), any other text IPv4 (`Ipv4Address`).
        """
        if type(text) is not str:
            raise TypeError(f"parse takes text, not {type(text).__name__}")
        if ":" in text:
            return Ipv6Address(text)
        return Ipv4Address(text)

    @property
    def packed(self) -> bytes:
        """The address in network byte order."""
        raise NotImplementedError

    @property
    def is_unspecified(self) -> bool:
        """Whether this is the unspecified (all-zero) address."""
        raise NotImplementedError

    @property
    def is_broadcast(self) -> bool:
        """Whether this is the limited broadcast address."""
        raise NotImplementedError

    @property
    def is_multicast(self) -> bool:
        """Whether this is a multicast group address."""
        raise NotImplementedError

    @property
    def is_loopback(self) -> bool:
        """Whether this is a loopback address."""
        raise NotImplementedError

    @property
    def is_link_local(self) -> bool:
        """Whether this is a link-local address."""
        raise NotImplementedError

    @property
    def is_unicast(self) -> bool:
        """Whether this may address a single interface (not unspecified, broadcast, multicast)."""
        return not (self.is_unspecified or self.is_broadcast or self.is_multicast)


def _parse_ipv4(text: str) -> bytes:
    parts = text.split(".")
    if len(parts) != 4:
        raise ValueError(f"not an IPv4 address (want four dotted decimal octets): {text!r}")
    out = bytearray(4)
    for i, part in enumerate(parts):
        # Digits only (no sign, no spaces), and no leading zero: "010" is octal to some parsers.
        if (
            not part.isascii()
            or not part.isdigit()
            or len(part) > 3
            or (len(part) > 1 and part[0] == "0")
        ):
            raise ValueError(f"not an IPv4 address (bad octet {part!r}): {text!r}")
        value = int(part)
        if value > 255:
            raise ValueError(f"not an IPv4 address (octet {value} > 255): {text!r}")
        out[i] = value
    return bytes(out)


class Ipv4Address(IpAddress):
    """An IPv4 address; immutable, hashable, ordered like its 32-bit value.

    Construct from 4 octets (any bytes-like), a 32-bit int or dotted-decimal text; anything else
    raises ValueError (TypeError for other types).
    """

    __slots__ = ("_int", "_packed")

    version = 4
    UNSPECIFIED: Ipv4Address
    BROADCAST: Ipv4Address

    def __init__(self, value: bytes | bytearray | memoryview | int | str) -> None:
        tp = type(value)
        if tp is bytes:
            if len(value) != 4:  # type: ignore[arg-type]
                raise ValueError(f"an IPv4 address has 4 octets, not {len(value)}")  # type: ignore[arg-type]
            packed: bytes = value  # type: ignore[assignment]
        elif tp is str:
            packed = _parse_ipv4(value)  # type: ignore[arg-type]
        elif isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= 0xFFFFFFFF:
                raise ValueError(f"an IPv4 address is a 32-bit unsigned int, not {value}")
            packed = value.to_bytes(4, "big")
        elif isinstance(value, (bytearray, memoryview)):
            packed = bytes(value)
            if len(packed) != 4:
                raise ValueError(f"an IPv4 address has 4 octets, not {len(packed)}")
        elif isinstance(value, Ipv4Address):
            packed = value._packed
        else:
            raise TypeError(f"cannot make an IPv4 address from {tp.__name__}")
        _set(self, "_packed", packed)
        _set(self, "_int", _from_bytes(packed, "big"))

    @classmethod
    def parse(cls, text: str) -> Ipv4Address:
        """Parse dotted-decimal text such as ``"192.168.69.1"``; raise ValueError otherwise."""
        if type(text) is not str:
            raise TypeError(f"parse takes text, not {type(text).__name__}")
        return cls(text)

    @property
    def packed(self) -> bytes:
        """The 4 octets in network byte order."""
        return self._packed

    @property
    def is_unspecified(self) -> bool:
        """Whether this is 0.0.0.0."""
        return self._packed == b"\x00\x00\x00\x00"

    @property
    def is_broadcast(self) -> bool:
        """Whether this is the limited broadcast address 255.255.255.255."""
        return self._packed == b"\xff\xff\xff\xff"

    @property
    def is_multicast(self) -> bool:
        """Whether this is in 224.0.0.0/4 (RFC 5771)."""
        return self._packed[0] & 0xF0 == 0xE0

    @property
    def is_loopback(self) -> bool:
        """Whether this is in 127.0.0.0/8 (RFC 1122 3.2.1.3)."""
        return self._packed[0] == 127

    @property
    def is_link_local(self) -> bool:
        """Whether this is in 169.254.0.0/16 (RFC 3927)."""
        return self._packed[0] == 169 and self._packed[1] == 254

    def __int__(self) -> int:
        return self._int

    def __index__(self) -> int:
        return self._int

    def __bytes__(self) -> bytes:
        return self._packed

    def __str__(self) -> str:
        p = self._packed
        return f"{p[0]}.{p[1]}.{p[2]}.{p[3]}"

    def __repr__(self) -> str:
        return f"Ipv4Address('{self}')"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __hash__(self) -> int:
        # The 32-bit value is its own hash (a small int hashes to itself): no call per lookup,
        # and equal addresses (equal octets) have equal values.
        return self._int

    def __eq__(self, other: object) -> bool:
        if type(other) is Ipv4Address:
            return self._packed == other._packed
        if isinstance(other, IpAddress):
            return False
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if type(other) is Ipv4Address:
            return self._packed != other._packed
        if isinstance(other, IpAddress):
            return True
        return NotImplemented

    def _key(self, other: object) -> tuple[tuple[int, bytes], tuple[int, bytes]] | None:
        if isinstance(other, IpAddress):
            return (4, self._packed), (other.version, other.packed)
        return None

    def __lt__(self, other: IpAddress) -> bool:
        if type(other) is Ipv4Address:
            return self._packed < other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] < k[1]

    def __le__(self, other: IpAddress) -> bool:
        if type(other) is Ipv4Address:
            return self._packed <= other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] <= k[1]

    def __gt__(self, other: IpAddress) -> bool:
        if type(other) is Ipv4Address:
            return self._packed > other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] > k[1]

    def __ge__(self, other: IpAddress) -> bool:
        if type(other) is Ipv4Address:
            return self._packed >= other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] >= k[1]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Ipv4Address is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Ipv4Address is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple[type, tuple[bytes]]:
        return (Ipv4Address, (self._packed,))


Ipv4Address.UNSPECIFIED = Ipv4Address(b"\x00\x00\x00\x00")
Ipv4Address.BROADCAST = Ipv4Address(b"\xff\xff\xff\xff")


class Ipv6MulticastScope(enum.IntEnum):
    """The 4-bit scope of an IPv6 multicast address (RFC 4291 2.7, RFC 7346 2).

    Every 4-bit value has a member: the unassigned ones are named ``UNASSIGNED_<hex>``.
    """

    RESERVED_0 = 0x0
    INTERFACE_LOCAL = 0x1
    LINK_LOCAL = 0x2
    REALM_LOCAL = 0x3
    ADMIN_LOCAL = 0x4
    SITE_LOCAL = 0x5
    UNASSIGNED_6 = 0x6
    UNASSIGNED_7 = 0x7
    ORGANIZATION_LOCAL = 0x8
    UNASSIGNED_9 = 0x9
    UNASSIGNED_A = 0xA
    UNASSIGNED_B = 0xB
    UNASSIGNED_C = 0xC
    UNASSIGNED_D = 0xD
    GLOBAL = 0xE
    RESERVED_F = 0xF


def _parse_ipv6(text: str) -> bytes:
    """Return the 16 octets of IPv6 text in any RFC 4291 2.2 form; raise ValueError otherwise."""

    def bad(why: str) -> ValueError:
        return ValueError(f"not an IPv6 address ({why}): {text!r}")

    if not text.isascii():
        raise bad("non-ASCII character")
    head, sep, tail = text.partition("::")
    if sep and "::" in tail:
        raise bad("more than one '::'")
    sides = [head.split(":") if head else [], tail.split(":") if tail else []]
    # The text's last group (only there) may be a dotted quad standing for two groups
    # (RFC 4291 2.2, form 3).
    last_side = sides[1] if sep else sides[0]
    v4: bytes | None = None
    if last_side and "." in last_side[-1]:
        try:
            v4 = _parse_ipv4(last_side.pop())
        except ValueError:
            raise bad("bad dotted quad") from None
    values: list[list[int]] = [[], []]
    for side, out in zip(sides, values, strict=True):
        for group in side:
            if not group:
                raise bad("empty group (a lone ':')")
            if len(group) > 4 or not _HEX_DIGITS.issuperset(group):
                raise bad(f"bad group {group!r}: 1 to 4 hex digits")
            out.append(int(group, 16))
    if v4 is not None:
        values[1 if sep else 0] += [v4[0] << 8 | v4[1], v4[2] << 8 | v4[3]]
    count = len(values[0]) + len(values[1])
    if sep:
        # "::" stands for one or more zero groups (RFC 4291 2.2, form 2).
        if count > 7:
            raise bad("too many groups beside '::'")
        groups = values[0] + [0] * (8 - count) + values[1]
    elif count != 8:
        raise bad(f"{count} groups where 8 are needed without '::'")
    else:
        groups = values[0]
    return b"".join(g.to_bytes(2, "big") for g in groups)


def _format_ipv6(packed: bytes) -> str:
    """Return the RFC 5952 text of 16 octets (section 4, and section 5 for IPv4-mapped)."""
    if packed[:12] == _V4_MAPPED_PREFIX:
        return f"::ffff:{packed[12]}.{packed[13]}.{packed[14]}.{packed[15]}"
    groups = [packed[i] << 8 | packed[i + 1] for i in range(0, 16, 2)]
    # The longest run of zero groups, the first one on ties, and never a single group
    # (RFC 5952 4.2.1 to 4.2.3).
    best_start, best_len = -1, 1
    i = 0
    while i < 8:
        if groups[i]:
            i += 1
            continue
        j = i
        while j < 8 and not groups[j]:
            j += 1
        if j - i > best_len:
            best_start, best_len = i, j - i
        i = j
    hexes = [format(g, "x") for g in groups]  # lowercase, no leading zeros (4.2.1, 4.3)
    if best_start < 0:
        return ":".join(hexes)
    return ":".join(hexes[:best_start]) + "::" + ":".join(hexes[best_start + best_len :])


_V4_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"
_SOLICITED_NODE_PREFIX = b"\xff\x02" + b"\x00" * 9 + b"\x01\xff"


def modified_eui64(mac: EthernetAddress) -> bytes:
    """Return the 8-octet modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A).

    The octets ff-fe go between the MAC's third and fourth octets and the universal/local bit
    is inverted: 02-00-00-00-00-01 gives 00-00-00-ff-fe-00-00-01.
    """
    if type(mac) is not EthernetAddress:
        raise TypeError(f"mac must be an EthernetAddress, not {type(mac).__name__}")
    o = mac.octets
    return bytes((o[0] ^ 0x02, o[1], o[2], 0xFF, 0xFE, o[3], o[4], o[5]))


class Ipv6Address(IpAddress):
    """An IPv6 address; immutable, hashable, ordered like its 128-bit value.

    Construct from 16 octets (any bytes-like), a 128-bit int or text in any RFC 4291 2.2 form
    (``"fdaa::1"``, ``"::ffff:10.0.0.1"``); anything else raises ValueError (TypeError for
    other types). ``str()`` gives the RFC 5952 form.
    """

    __slots__ = ("_int", "_packed")

    version = 6
    UNSPECIFIED: Ipv6Address
    LOOPBACK: Ipv6Address
    LINK_LOCAL_ALL_NODES: Ipv6Address
    """ff02::1, every node on the link (RFC 4291 2.7.1)."""
    LINK_LOCAL_ALL_ROUTERS: Ipv6Address
    """ff02::2, every router on the link (RFC 4291 2.7.1)."""
    LINK_LOCAL_ALL_MLDV2_ROUTERS: Ipv6Address
    """ff02::16, where MLDv2 reports go (RFC 3810 5.2.14)."""

    def __init__(self, value: bytes | bytearray | memoryview | int | str) -> None:
        tp = type(value)
        if tp is bytes:
            if len(value) != 16:  # type: ignore[arg-type]
                raise ValueError(f"an IPv6 address has 16 octets, not {len(value)}")  # type: ignore[arg-type]
            packed: bytes = value  # type: ignore[assignment]
        elif tp is str:
            packed = _parse_ipv6(value)  # type: ignore[arg-type]
        elif isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < 1 << 128:
                raise ValueError(f"an IPv6 address is a 128-bit unsigned int, not {value}")
            packed = value.to_bytes(16, "big")
        elif isinstance(value, (bytearray, memoryview)):
            packed = bytes(value)
            if len(packed) != 16:
                raise ValueError(f"an IPv6 address has 16 octets, not {len(packed)}")
        elif isinstance(value, Ipv6Address):
            packed = value._packed
        else:
            raise TypeError(f"cannot make an IPv6 address from {tp.__name__}")
        _set(self, "_packed", packed)
        _set(self, "_int", _from_bytes(packed, "big"))

    @classmethod
    def parse(cls, text: str) -> Ipv6Address:
        """Parse IPv6 text in any RFC 4291 2.2 form; raise ValueError otherwise."""
        if type(text) is not str:
            raise TypeError(f"parse takes text, not {type(text).__name__}")
        return cls(text)

    @classmethod
    def solicited_node(cls, addr: Ipv6Address) -> Ipv6Address:
        """Return the solicited-node multicast address of ``addr``: ff02::1:ff00:0/104 plus
        its low 24 bits (RFC 4291 2.7.1), where neighbour solicitations for it are sent."""
        if type(addr) is not Ipv6Address:
            raise TypeError(f"addr must be an Ipv6Address, not {type(addr).__name__}")
        return cls(_SOLICITED_NODE_PREFIX + addr._packed[13:])

    @classmethod
    def from_ipv4_mapped(cls, addr: Ipv4Address) -> Ipv6Address:
        """Return the IPv4-mapped address ``::ffff:a.b.c.d`` of ``addr`` (RFC 4291 2.5.5.2)."""
        if type(addr) is not Ipv4Address:
            raise TypeError(f"addr must be an Ipv4Address, not {type(addr).__name__}")
        return cls(_V4_MAPPED_PREFIX + addr.packed)

    @classmethod
    def link_local_from_ethernet(cls, mac: EthernetAddress) -> Ipv6Address:
        """Return fe80::/64 with the modified EUI-64 identifier of ``mac`` (RFC 4862 5.3)."""
        return cls(b"\xfe\x80" + b"\x00" * 6 + modified_eui64(mac))

    @property
    def packed(self) -> bytes:
        """The 16 octets in network byte order."""
        return self._packed

    @property
    def multicast_mac(self) -> bytes:
        """The Ethernet address a multicast group maps to: 33-33 and the group's low 32 bits
        (RFC 2464 section 7); raise ValueError for a unicast address."""
        if self._packed[0] != 0xFF:
            raise ValueError(f"{self} is not a multicast address")
        return b"\x33\x33" + self._packed[12:]

    @property
    def is_unspecified(self) -> bool:
        """Whether this is ``::`` (RFC 4291 2.5.2)."""
        return self._int == 0

    @property
    def is_broadcast(self) -> bool:
        """Always False: IPv6 has no broadcast addresses (RFC 4291 2)."""
        return False

    @property
    def is_loopback(self) -> bool:
        """Whether this is ``::1`` (RFC 4291 2.5.3)."""
        return self._int == 1

    @property
    def is_multicast(self) -> bool:
        """Whether this is in ff00::/8 (RFC 4291 2.7)."""
        return self._packed[0] == 0xFF

    @property
    def is_link_local(self) -> bool:
        """Whether this is a link-local unicast address, in fe80::/10 (RFC 4291 2.5.6)."""
        return self._packed[0] == 0xFE and self._packed[1] & 0xC0 == 0x80

    @property
    def is_unique_local(self) -> bool:
        """Whether this is a unique local address, in fc00::/7 (RFC 4193)."""
        return self._packed[0] & 0xFE == 0xFC

    @property
    def is_solicited_node_multicast(self) -> bool:
        """Whether this is in ff02::1:ff00:0/104 (RFC 4291 2.7.1)."""
        return self._packed[:13] == _SOLICITED_NODE_PREFIX

    @property
    def is_ipv4_mapped(self) -> bool:
        """Whether this is in ::ffff:0:0/96 (RFC 4291 2.5.5.2)."""
        return self._packed[:12] == _V4_MAPPED_PREFIX

    @property
    def multicast_scope(self) -> Ipv6MulticastScope | None:
        """The scope of a multicast address (RFC 4291 2.7, RFC 7346), None for any other."""
        if self._packed[0] != 0xFF:
            return None
        return Ipv6MulticastScope(self._packed[1] & 0x0F)

    def ipv4_mapped(self) -> Ipv4Address | None:
        """Return the IPv4 address of an IPv4-mapped address, None for any other."""
        if self._packed[:12] != _V4_MAPPED_PREFIX:
            return None
        return Ipv4Address(self._packed[12:])

    def __int__(self) -> int:
        return self._int

    def __index__(self) -> int:
        return self._int

    def __bytes__(self) -> bytes:
        return self._packed

    def __str__(self) -> str:
        return _format_ipv6(self._packed)

    def __repr__(self) -> str:
        return f"Ipv6Address('{self}')"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def __hash__(self) -> int:
        # A bytes object caches its hash; a 128-bit int would be rehashed on every lookup.
        return hash(self._packed)

    def __eq__(self, other: object) -> bool:
        if type(other) is Ipv6Address:
            return self._packed == other._packed
        if isinstance(other, IpAddress):
            return False
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if type(other) is Ipv6Address:
            return self._packed != other._packed
        if isinstance(other, IpAddress):
            return True
        return NotImplemented

    def _key(self, other: object) -> tuple[tuple[int, bytes], tuple[int, bytes]] | None:
        if isinstance(other, IpAddress):
            return (6, self._packed), (other.version, other.packed)
        return None

    def __lt__(self, other: IpAddress) -> bool:
        if type(other) is Ipv6Address:
            return self._packed < other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] < k[1]

    def __le__(self, other: IpAddress) -> bool:
        if type(other) is Ipv6Address:
            return self._packed <= other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] <= k[1]

    def __gt__(self, other: IpAddress) -> bool:
        if type(other) is Ipv6Address:
            return self._packed > other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] > k[1]

    def __ge__(self, other: IpAddress) -> bool:
        if type(other) is Ipv6Address:
            return self._packed >= other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] >= k[1]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Ipv6Address is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Ipv6Address is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple[type, tuple[bytes]]:
        return (Ipv6Address, (self._packed,))


Ipv6Address.UNSPECIFIED = Ipv6Address(b"\x00" * 16)
Ipv6Address.LOOPBACK = Ipv6Address(1)
Ipv6Address.LINK_LOCAL_ALL_NODES = Ipv6Address(b"\xff\x02" + b"\x00" * 13 + b"\x01")
Ipv6Address.LINK_LOCAL_ALL_ROUTERS = Ipv6Address(b"\xff\x02" + b"\x00" * 13 + b"\x02")
Ipv6Address.LINK_LOCAL_ALL_MLDV2_ROUTERS = Ipv6Address(b"\xff\x02" + b"\x00" * 13 + b"\x16")


# Parsing builds an address object for every address field of every packet, but a host sees
# few distinct addresses: caching the immutable objects by their octets turns most
# constructions into one dict lookup. The caches are bounded (cleared when full) so that a
# flood of spoofed addresses costs memory only up to the bound.
_CACHE_MAX = 4096
_ethernet_cache: dict[bytes, EthernetAddress] = {}
_ipv4_cache: dict[bytes, Ipv4Address] = {}
# The same addresses keyed by their 32-bit value, for parsers that unpack addresses as ints
# (an int key needs no bytes object and hashes to itself).
_ipv4_int_cache: dict[int, Ipv4Address] = {}
ethernet_cache_get = _ethernet_cache.get
ipv4_cache_get = _ipv4_cache.get
ipv4_int_cache_get = _ipv4_int_cache.get
_ipv6_cache: dict[bytes, Ipv6Address] = {}
ipv6_cache_get = _ipv6_cache.get


def ethernet_from_octets(octets: bytes) -> EthernetAddress:
    """Return the (cached) `EthernetAddress` of exactly 6 ``octets``: the parsers' fast path.

    Callers first try ``ethernet_cache_get(octets)`` inline and call this on a miss.
    """
    addr = _ethernet_cache.get(octets)
    if addr is None:
        addr = EthernetAddress(octets)
        if len(_ethernet_cache) >= _CACHE_MAX:
            _ethernet_cache.clear()
        _ethernet_cache[octets] = addr
    return addr


def ipv4_from_packed(packed: bytes) -> Ipv4Address:
    """Return the (cached) `Ipv4Address` of exactly 4 ``packed`` octets: the parsers' fast path.

    Callers first try ``ipv4_cache_get(packed)`` inline and call this on a miss.
    """
    addr = _ipv4_cache.get(packed)
    if addr is None:
        addr = Ipv4Address(packed)
        if len(_ipv4_cache) >= _CACHE_MAX:
            _ipv4_cache.clear()
        _ipv4_cache[packed] = addr
    return addr


def ipv4_from_int(value: int) -> Ipv4Address:
    """Return the (cached) `Ipv4Address` of a 32-bit ``value``: the parsers' fast path.

    Callers first try ``ipv4_int_cache_get(value)`` inline and call this on a miss.
    """
    addr = _ipv4_int_cache.get(value)
    if addr is None:
        addr = Ipv4Address(value)
        if len(_ipv4_int_cache) >= _CACHE_MAX:
            _ipv4_int_cache.clear()
        _ipv4_int_cache[value] = addr
    return addr


def ipv6_from_packed(packed: bytes) -> Ipv6Address:
    """Return the (cached) `Ipv6Address` of exactly 16 ``packed`` octets: the parsers' fast path.

    Callers first try ``ipv6_cache_get(packed)`` inline and call this on a miss.
    """
    addr = _ipv6_cache.get(packed)
    if addr is None:
        addr = Ipv6Address(packed)
        if len(_ipv6_cache) >= _CACHE_MAX:
            _ipv6_cache.clear()
        _ipv6_cache[packed] = addr
    return addr


class IpCidr:
    """An address with a prefix length, of any IP version (`Ipv4Cidr` or `Ipv6Cidr`)."""

    __slots__ = ()

    address: IpAddress
    prefix_len: int

    @staticmethod
    def parse(text: str) -> IpCidr:
        """Parse ``"192.168.69.1/24"`` or ``"fdaa::1/64"``; raise ValueError otherwise."""
        if type(text) is not str:
            raise TypeError(f"parse takes text, not {type(text).__name__}")
        if ":" in text:
            return Ipv6Cidr.parse(text)
        return Ipv4Cidr.parse(text)

    def contains_addr(self, addr: IpAddress) -> bool:
        """Return whether ``addr`` lies in this block."""
        raise NotImplementedError


class Ipv4Cidr(IpCidr):
    """An IPv4 address and a prefix length in [0, 32]: an interface address or a network.

    The host bits are kept (``192.168.69.1/24`` is an interface address); `network` clears them.
    """

    __slots__ = ("_address", "_prefix_len")
    _address: Ipv4Address
    _prefix_len: int

    def __init__(self, address: Ipv4Address, prefix_len: int) -> None:
        if type(address) is not Ipv4Address:
            raise TypeError(f"Ipv4Cidr takes an Ipv4Address, not {type(address).__name__}")
        if not isinstance(prefix_len, int) or not 0 <= prefix_len <= 32:
            raise ValueError(f"an IPv4 prefix length is in [0, 32], not {prefix_len!r}")
        _set(self, "_address", address)
        _set(self, "_prefix_len", int(prefix_len))

    @classmethod
    def parse(cls, text: str) -> Ipv4Cidr:
        """Parse ``"192.168.69.1/24"``; raise ValueError otherwise."""
        addr, sep, plen = text.partition("/")
        if not sep or not plen.isascii() or not plen.isdigit() or len(plen) > 2:
            raise ValueError(f"not an IPv4 CIDR (want 192.168.69.1/24): {text!r}")
        return cls(Ipv4Address(addr), int(plen))

    @property
    def address(self) -> Ipv4Address:  # type: ignore[override]
        """The address, host bits included."""
        return self._address

    @property
    def prefix_len(self) -> int:  # type: ignore[override]
        """The number of leading network bits, in [0, 32]."""
        return self._prefix_len

    def _mask(self) -> int:
        return (0xFFFFFFFF << (32 - self._prefix_len)) & 0xFFFFFFFF

    def netmask(self) -> Ipv4Address:
        """Return the netmask, e.g. 255.255.255.0 for /24."""
        return Ipv4Address(self._mask())

    def network(self) -> Ipv4Cidr:
        """Return this block with its host bits cleared (192.168.69.0/24 for 192.168.69.1/24)."""
        return Ipv4Cidr(Ipv4Address(int(self._address) & self._mask()), self._prefix_len)

    def broadcast(self) -> Ipv4Address | None:
        """Return the directed broadcast address, or None for /31 and /32 (RFC 3021)."""
        if self._prefix_len >= 31:
            return None
        return Ipv4Address(int(self._address) | (~self._mask() & 0xFFFFFFFF))

    def contains_addr(self, addr: IpAddress) -> bool:
        """Return whether ``addr`` (of any version) lies in this block."""
        if type(addr) is not Ipv4Address:
            return False
        mask = self._mask()
        return int(addr) & mask == int(self._address) & mask

    def contains_subnet(self, cidr: IpCidr) -> bool:
        """Return whether the whole block ``cidr`` lies in this block."""
        if type(cidr) is not Ipv4Cidr:
            return False
        return cidr.prefix_len >= self._prefix_len and self.contains_addr(cidr.address)

    def __str__(self) -> str:
        return f"{self._address}/{self._prefix_len}"

    def __repr__(self) -> str:
        return f"Ipv4Cidr('{self}')"

    def __hash__(self) -> int:
        return hash((self._address, self._prefix_len))

    def __eq__(self, other: object) -> bool:
        if type(other) is Ipv4Cidr:
            return self._address == other._address and self._prefix_len == other._prefix_len
        if isinstance(other, IpCidr):
            return False
        return NotImplemented

    def __lt__(self, other: Ipv4Cidr) -> bool:
        if type(other) is Ipv4Cidr:
            return (self._address, self._prefix_len) < (other._address, other._prefix_len)
        return NotImplemented

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Ipv4Cidr is immutable (cannot set {name!r})")

    def __reduce__(self) -> tuple[type, tuple[Ipv4Address, int]]:
        return (Ipv4Cidr, (self._address, self._prefix_len))


class Ipv6Cidr(IpCidr):
    """An IPv6 address and a prefix length in [0, 128]: an interface address or a prefix.

    The host bits are kept (``fdaa::1/64`` is an interface address); `network` clears them.
    """

    __slots__ = ("_address", "_prefix_len")
    _address: Ipv6Address
    _prefix_len: int

    def __init__(self, address: Ipv6Address, prefix_len: int) -> None:
        if type(address) is not Ipv6Address:
            raise TypeError(f"Ipv6Cidr takes an Ipv6Address, not {type(address).__name__}")
        if (
            not isinstance(prefix_len, int)
            or isinstance(prefix_len, bool)
            or not 0 <= prefix_len <= 128
        ):
            raise ValueError(f"an IPv6 prefix length is in [0, 128], not {prefix_len!r}")
        _set(self, "_address", address)
        _set(self, "_prefix_len", int(prefix_len))

    @classmethod
    def parse(cls, text: str) -> Ipv6Cidr:
        """Parse ``"fdaa::1/64"``; raise ValueError otherwise."""
        addr, sep, plen = text.partition("/")
        if not sep or not plen.isascii() or not plen.isdigit() or len(plen) > 3:
            raise ValueError(f"not an IPv6 CIDR (want fdaa::1/64): {text!r}")
        if len(plen) > 1 and plen[0] == "0":
            raise ValueError(f"not an IPv6 CIDR (leading zero in the length): {text!r}")
        return cls(Ipv6Address(addr), int(plen))

    @classmethod
    def prefix_of(cls, addr: Ipv6Address, prefix_len: int) -> Ipv6Cidr:
        """Return the prefix of length ``prefix_len`` that ``addr`` lies in (host bits clear)."""
        return cls(addr, prefix_len).network()

    @property
    def address(self) -> Ipv6Address:  # type: ignore[override]
        """The address, host bits included."""
        return self._address

    @property
    def prefix_len(self) -> int:  # type: ignore[override]
        """The number of leading network bits, in [0, 128]."""
        return self._prefix_len

    def _mask(self) -> int:
        return ((1 << 128) - 1) ^ ((1 << (128 - self._prefix_len)) - 1)

    def netmask(self) -> Ipv6Address:
        """Return the mask as an address, e.g. ffff:ffff:ffff:ffff:: for /64."""
        return Ipv6Address(self._mask())

    def network(self) -> Ipv6Cidr:
        """Return this prefix with its host bits cleared (fdaa::/64 for fdaa::1/64)."""
        return Ipv6Cidr(Ipv6Address(int(self._address) & self._mask()), self._prefix_len)

    def broadcast(self) -> None:
        """Return None: IPv6 has no broadcast address (RFC 4291 2)."""
        return None

    def contains_addr(self, addr: IpAddress) -> bool:
        """Return whether ``addr`` (of any version) lies in this prefix."""
        if type(addr) is not Ipv6Address:
            return False
        mask = self._mask()
        return int(addr) & mask == int(self._address) & mask

    def contains_subnet(self, cidr: IpCidr) -> bool:
        """Return whether the whole prefix ``cidr`` lies in this prefix."""
        if type(cidr) is not Ipv6Cidr:
            return False
        return cidr.prefix_len >= self._prefix_len and self.contains_addr(cidr.address)

    def address_with_interface_id(self, interface_id: bytes) -> Ipv6Address:
        """Return this prefix followed by ``interface_id`` (RFC 4862 5.5.3 d).

        ``interface_id`` must be exactly ``128 - prefix_len`` bits long in whole octets
        (8 octets for the usual /64, see `modified_eui64`); raise ValueError otherwise.
        """
        iid = bytes(interface_id)
        if len(iid) * 8 != 128 - self._prefix_len:
            raise ValueError(
                f"interface_id must be {128 - self._prefix_len} bits for a "
                f"/{self._prefix_len} prefix, not {len(iid) * 8}"
            )
        host = _from_bytes(iid, "big") if iid else 0
        return Ipv6Address(int(self._address) & self._mask() | host)

    def __str__(self) -> str:
        return f"{self._address}/{self._prefix_len}"

    def __repr__(self) -> str:
        return f"Ipv6Cidr('{self}')"

    def __hash__(self) -> int:
        return hash((self._address, self._prefix_len))

    def __eq__(self, other: object) -> bool:
        if type(other) is Ipv6Cidr:
            return self._address == other._address and self._prefix_len == other._prefix_len
        if isinstance(other, IpCidr):
            return False
        return NotImplemented

    def __lt__(self, other: Ipv6Cidr) -> bool:
        if type(other) is Ipv6Cidr:
            return (self._address, self._prefix_len) < (other._address, other._prefix_len)
        return NotImplemented

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Ipv6Cidr is immutable (cannot set {name!r})")

    def __reduce__(self) -> tuple[type, tuple[Ipv6Address, int]]:
        return (Ipv6Cidr, (self._address, self._prefix_len))


class IpEndpoint(NamedTuple):
    """An address and a port; ``addr`` None means "any address" (a listening endpoint)."""

    addr: IpAddress | None
    port: int

    @classmethod
    def parse(cls, text: str) -> IpEndpoint:
        """Parse ``"1.2.3.4:80"``, ``"[fdaa::1]:80"`` or ``"*:80"``; raise ValueError otherwise.

        An IPv6 address is always in brackets (RFC 3986 3.2.2): unbracketed, its last group
        would be indistinguishable from the port.
        """
        host, sep, port = text.rpartition(":")
        if not sep or not port.isascii() or not port.isdigit() or int(port) > 0xFFFF:
            raise ValueError(f"not an endpoint (want 1.2.3.4:80 or [fdaa::1]:80): {text!r}")
        addr: IpAddress | None
        if host == "*":
            addr = None
        elif host.startswith("[") and host.endswith("]"):
            addr = Ipv6Address(host[1:-1])
        elif ":" in host or "[" in host or "]" in host:
            raise ValueError(f"not an endpoint (an IPv6 address goes in brackets): {text!r}")
        else:
            addr = Ipv4Address(host)
        return cls(addr, int(port))

    def is_specified(self) -> bool:
        """Return whether both the address and the port are set."""
        return self.addr is not None and self.port != 0

    def __str__(self) -> str:
        if self.addr is None:
            return f"*:{self.port}"
        if self.addr.version == 6:
            return f"[{self.addr}]:{self.port}"
        return f"{self.addr}:{self.port}"
