"""Link-layer and IP addresses, CIDR blocks and endpoints.

One address object is built for every address field of every parsed packet, so the classes are
small: ``__slots__`` holding the packed octets, equality and hashing on those octets (a `bytes`
object caches its own hash), ordering on them too (big-endian octets order like the numbers).

The IP classes are version-neutral where the stack sees them (`IpAddress`, `IpCidr`,
`IpEndpoint`); `Ipv4Address` and `Ipv4Cidr` are today's only concrete versions, and IPv6 joins
them beside, not instead.
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

    Abstract: instances are `Ipv4Address` (and, later, ``Ipv6Address``). Addresses of different
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
        """Parse the text form of an address of any supported version; raise ValueError."""
        if ":" in text:
            raise ValueError(f"IPv6 addresses are not supported yet: {text!r}")
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
    def parse(cls, text: str) -> Ipv4Address:  # type: ignore[override]
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


class IpCidr:
    """An address with a prefix length, of any IP version (abstract: see `Ipv4Cidr`)."""

    __slots__ = ()

    address: IpAddress
    prefix_len: int

    @staticmethod
    def parse(text: str) -> IpCidr:
        """Parse ``"192.168.69.1/24"``; raise ValueError otherwise."""
        if ":" in text:
            raise ValueError(f"IPv6 prefixes are not supported yet: {text!r}")
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
    def parse(cls, text: str) -> Ipv4Cidr:  # type: ignore[override]
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


class IpEndpoint(NamedTuple):
    """An address and a port; ``addr`` None means "any address" (a listening endpoint)."""

    addr: IpAddress | None
    port: int

    @classmethod
    def parse(cls, text: str) -> IpEndpoint:
        """Parse ``"1.2.3.4:80"`` or ``"*:80"``; raise ValueError otherwise."""
        host, sep, port = text.rpartition(":")
        if not sep or not port.isascii() or not port.isdigit() or int(port) > 0xFFFF:
            raise ValueError(f"not an endpoint (want 1.2.3.4:80): {text!r}")
        addr = None if host == "*" else IpAddress.parse(host)
        return cls(addr, int(port))

    def is_specified(self) -> bool:
        """Return whether both the address and the port are set."""
        return self.addr is not None and self.port != 0

    def __str__(self) -> str:
        return f"{'*' if self.addr is None else self.addr}:{self.port}"
