"""IEEE 802 MAC addresses: `EthernetAddress` and the parsers' cache of them."""

from __future__ import annotations

from typing import Any

__all__ = ["EthernetAddress", "ethernet_cache_get", "ethernet_from_octets"]

# Slot assignment that bypasses the immutability guard of ``__setattr__``.
_set = object.__setattr__

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


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


# Parsing builds an address object for every address field of every packet, but a host sees
# few distinct addresses: caching the immutable objects by their octets turns most
# constructions into one dict lookup. The caches are bounded (cleared when full) so that a
# flood of spoofed addresses costs memory only up to the bound.
CACHE_MAX = 4096
_ethernet_cache: dict[bytes, EthernetAddress] = {}
ethernet_cache_get = _ethernet_cache.get


def ethernet_from_octets(octets: bytes) -> EthernetAddress:
    """Return the (cached) `EthernetAddress` of exactly 6 ``octets``: the parsers' fast path.

    Callers first try ``ethernet_cache_get(octets)`` inline and call this on a miss.
    """
    addr = _ethernet_cache.get(octets)
    if addr is None:
        addr = EthernetAddress(octets)
        if len(_ethernet_cache) >= CACHE_MAX:
            _ethernet_cache.clear()
        _ethernet_cache[octets] = addr
    return addr
