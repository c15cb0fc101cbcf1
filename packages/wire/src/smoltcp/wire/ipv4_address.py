"""IPv4 addresses and CIDR blocks: `Ipv4Address`, `Ipv4Cidr` and the parsers' caches."""

from __future__ import annotations

from .ethernet_address import CACHE_MAX
from .ip_address import IpAddress, IpCidr

__all__ = [
    "Ipv4Address",
    "Ipv4Cidr",
    "ipv4_cache_get",
    "ipv4_from_int",
    "ipv4_from_packed",
    "ipv4_int_cache_get",
]

# Slot assignment that bypasses the immutability guard of ``__setattr__``.
_set = object.__setattr__


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
        self._init_from(value, 4, _parse_ipv4)

    @classmethod
    def parse(cls, text: str) -> Ipv4Address:
        """Parse dotted-decimal text such as ``"192.168.69.1"``; raise ValueError otherwise."""
        if type(text) is not str:
            raise TypeError(f"parse takes text, not {type(text).__name__}")
        return cls(text)

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

    def __str__(self) -> str:
        p = self._packed
        return f"{p[0]}.{p[1]}.{p[2]}.{p[3]}"

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


Ipv4Address.UNSPECIFIED = Ipv4Address(b"\x00\x00\x00\x00")
Ipv4Address.BROADCAST = Ipv4Address(b"\xff\xff\xff\xff")


# The parsers' caches (see ``ethernet_address``), by octets and by 32-bit value (for parsers
# that unpack addresses as ints: an int key needs no bytes object and hashes to itself).
_ipv4_cache: dict[bytes, Ipv4Address] = {}
_ipv4_int_cache: dict[int, Ipv4Address] = {}
ipv4_cache_get = _ipv4_cache.get
ipv4_int_cache_get = _ipv4_int_cache.get


def ipv4_from_packed(packed: bytes) -> Ipv4Address:
    """Return the (cached) `Ipv4Address` of exactly 4 ``packed`` octets: the parsers' fast path.

    Callers first try ``ipv4_cache_get(packed)`` inline and call this on a miss.
    """
    addr = _ipv4_cache.get(packed)
    if addr is None:
        addr = Ipv4Address(packed)
        if len(_ipv4_cache) >= CACHE_MAX:
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
        if len(_ipv4_int_cache) >= CACHE_MAX:
            _ipv4_int_cache.clear()
        _ipv4_int_cache[value] = addr
    return addr


class Ipv4Cidr(IpCidr):
    """An IPv4 address and a prefix length in [0, 32]: an interface address or a network.

    The host bits are kept (``192.168.69.1/24`` is an interface address); `network` clears them.
    """

    __slots__ = ()
    _address: Ipv4Address
    _BITS = 32
    _ADDRESS = Ipv4Address

    @classmethod
    def parse(cls, text: str) -> Ipv4Cidr:
        """Parse ``"192.168.69.1/24"``; raise ValueError otherwise."""
        addr, sep, plen = text.partition("/")
        if not sep or not plen.isascii() or not plen.isdigit() or len(plen) > 2:
            raise ValueError(f"not an IPv4 CIDR (want 192.168.69.1/24): {text!r}")
        return cls(Ipv4Address(addr), int(plen))

    @property
    def address(self) -> Ipv4Address:
        """The address, host bits included."""
        return self._address

    def netmask(self) -> Ipv4Address:
        """Return the netmask, e.g. 255.255.255.0 for /24."""
        return Ipv4Address(self._mask_int)

    def network(self) -> Ipv4Cidr:
        """Return this block with its host bits cleared (192.168.69.0/24 for 192.168.69.1/24)."""
        return Ipv4Cidr(Ipv4Address(self._address._int & self._mask_int), self._prefix_len)

    def broadcast(self) -> Ipv4Address | None:
        """Return the directed broadcast address, or None for /31 and /32 (RFC 3021)."""
        if self._prefix_len >= 31:
            return None
        return Ipv4Address(self._address._int | (~self._mask_int & 0xFFFFFFFF))
