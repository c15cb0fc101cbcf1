"""IPv6 addresses and prefixes: `Ipv6Address`, `Ipv6Cidr`, scopes and the parsers' cache.

IPv6 text is written as RFC 5952 recommends and read in every form of RFC 4291 section 2.2
(zone identifiers, RFC 4007's ``%eth0``, are not addresses and are refused).
"""

from __future__ import annotations

import enum

from .ethernet_address import CACHE_MAX, EthernetAddress
from .ip_address import IpAddress, IpCidr
from .ipv4_address import Ipv4Address, _parse_ipv4

__all__ = [
    "Ipv6Address",
    "Ipv6Cidr",
    "Ipv6MulticastScope",
    "ipv6_cache_get",
    "ipv6_from_packed",
    "modified_eui64",
]

# Slot assignment that bypasses the immutability guard of ``__setattr__``.
_set = object.__setattr__
_from_bytes = int.from_bytes

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


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
        self._init_from(value, 16, _parse_ipv6)

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

    def __str__(self) -> str:
        return _format_ipv6(self._packed)

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


Ipv6Address.UNSPECIFIED = Ipv6Address(b"\x00" * 16)
Ipv6Address.LOOPBACK = Ipv6Address(1)
Ipv6Address.LINK_LOCAL_ALL_NODES = Ipv6Address(b"\xff\x02" + b"\x00" * 13 + b"\x01")
Ipv6Address.LINK_LOCAL_ALL_ROUTERS = Ipv6Address(b"\xff\x02" + b"\x00" * 13 + b"\x02")
Ipv6Address.LINK_LOCAL_ALL_MLDV2_ROUTERS = Ipv6Address(b"\xff\x02" + b"\x00" * 13 + b"\x16")


# The parsers' cache (see ``ethernet_address``).
_ipv6_cache: dict[bytes, Ipv6Address] = {}
ipv6_cache_get = _ipv6_cache.get


def ipv6_from_packed(packed: bytes) -> Ipv6Address:
    """Return the (cached) `Ipv6Address` of exactly 16 ``packed`` octets: the parsers' fast path.

    Callers first try ``ipv6_cache_get(packed)`` inline and call this on a miss.
    """
    addr = _ipv6_cache.get(packed)
    if addr is None:
        addr = Ipv6Address(packed)
        if len(_ipv6_cache) >= CACHE_MAX:
            _ipv6_cache.clear()
        _ipv6_cache[packed] = addr
    return addr


class Ipv6Cidr(IpCidr):
    """An IPv6 address and a prefix length in [0, 128]: an interface address or a prefix.

    The host bits are kept (``fdaa::1/64`` is an interface address); `network` clears them.
    """

    __slots__ = ()
    _address: Ipv6Address
    _BITS = 128
    _ADDRESS = Ipv6Address

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
    def address(self) -> Ipv6Address:
        """The address, host bits included."""
        return self._address

    def netmask(self) -> Ipv6Address:
        """Return the mask as an address, e.g. ffff:ffff:ffff:ffff:: for /64."""
        return Ipv6Address(self._mask_int)

    def network(self) -> Ipv6Cidr:
        """Return this prefix with its host bits cleared (fdaa::/64 for fdaa::1/64)."""
        return Ipv6Cidr(Ipv6Address(self._address._int & self._mask_int), self._prefix_len)

    def broadcast(self) -> None:
        """Return None: IPv6 has no broadcast address (RFC 4291 2)."""
        return None

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
        return Ipv6Address(self._address._int & self._mask_int | host)
