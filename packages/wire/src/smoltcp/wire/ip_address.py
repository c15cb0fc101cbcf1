"""The version-neutral IP address and CIDR bases: `IpVersion`, `IpAddress`, `IpCidr`.

`Ipv4Address`/`Ipv6Address` and `Ipv4Cidr`/`Ipv6Cidr` (in ``ipv4_address`` and
``ipv6_address``) share here what costs nothing per packet: ordering, conversions, pickling,
immutability, and the CIDR arithmetic over the address's 128- or 32-bit value. Equality and
hashing stay in each concrete class, behind an exact ``type(other) is`` test: they run on every
socket and neighbour look-up, where one extra call or attribute look-up shows.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any, ClassVar

__all__ = ["IpAddress", "IpCidr", "IpVersion"]

# Slot assignment that bypasses the immutability guard of ``__setattr__``.
_set = object.__setattr__


class IpVersion(enum.IntEnum):
    """The IP version of an address or a packet (the 4-bit Version field)."""

    V4 = 4
    V6 = 6


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

    def _init_from(
        self,
        value: bytes | bytearray | memoryview | int | str,
        octets: int,
        parse_text: Callable[[str], bytes],
    ) -> None:
        # The constructor of both versions: ``octets`` long, text read by ``parse_text``.
        # Per-packet code takes addresses from the caches (``ipv4_from_packed`` and kin),
        # not from here.
        tp = type(value)
        if tp is bytes:
            packed: bytes = value  # type: ignore[assignment]
        elif tp is str:
            packed = parse_text(value)  # type: ignore[arg-type]
        elif isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < 1 << (8 * octets):
                raise ValueError(
                    f"an IPv{self.version} address is a {8 * octets}-bit unsigned int, not {value}"
                )
            packed = value.to_bytes(octets, "big")
        elif isinstance(value, (bytearray, memoryview)):
            packed = bytes(value)
        elif isinstance(value, type(self)):
            packed = value._packed
        else:
            raise TypeError(f"cannot make an IPv{self.version} address from {tp.__name__}")
        if len(packed) != octets:
            raise ValueError(f"an IPv{self.version} address has {octets} octets, not {len(packed)}")
        _set(self, "_packed", packed)
        _set(self, "_int", int.from_bytes(packed, "big"))

    @staticmethod
    def parse(text: str) -> IpAddress:
        """Parse the text form of an IPv4 or IPv6 address; raise ValueError otherwise.

        Text with a colon is IPv6 (`Ipv6Address`), any other text IPv4 (`Ipv4Address`).
        """
        if type(text) is not str:
            raise TypeError(f"parse takes text, not {type(text).__name__}")
        if ":" in text:
            from .ipv6_address import Ipv6Address

            return Ipv6Address(text)
        from .ipv4_address import Ipv4Address

        return Ipv4Address(text)

    @property
    def packed(self) -> bytes:
        """The address in network byte order (4 or 16 octets)."""
        return self._packed

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

    def __int__(self) -> int:
        return self._int

    def __index__(self) -> int:
        return self._int

    def __bytes__(self) -> bytes:
        return self._packed

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self}')"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    # Ordering: by version first, then by value (big-endian octets order like the numbers).
    def _key(self, other: object) -> tuple[tuple[int, bytes], tuple[int, bytes]] | None:
        if isinstance(other, IpAddress):
            return (self.version, self._packed), (other.version, other._packed)
        return None

    def __lt__(self, other: IpAddress) -> bool:
        if type(other) is type(self):
            return self._packed < other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] < k[1]

    def __le__(self, other: IpAddress) -> bool:
        if type(other) is type(self):
            return self._packed <= other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] <= k[1]

    def __gt__(self, other: IpAddress) -> bool:
        if type(other) is type(self):
            return self._packed > other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] > k[1]

    def __ge__(self, other: IpAddress) -> bool:
        if type(other) is type(self):
            return self._packed >= other._packed
        k = self._key(other)
        return NotImplemented if k is None else k[0] >= k[1]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name!r})")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot delete {name!r})")

    def __reduce__(self) -> tuple[type, tuple[bytes]]:
        return (type(self), (self._packed,))


class IpCidr:
    """An address with a prefix length, of any IP version (`Ipv4Cidr` or `Ipv6Cidr`).

    The host bits are kept (``192.168.69.1/24`` is an interface address); ``network`` clears
    them. Immutable, hashable, ordered by address then prefix length within a version.
    """

    __slots__ = ("_address", "_mask_int", "_prefix_len")
    _address: IpAddress
    _prefix_len: int
    _mask_int: int  # the prefix's bits set, over the address's whole width

    # Set by each version: its width in bits and its address class.
    _BITS: ClassVar[int]
    _ADDRESS: ClassVar[type[IpAddress]]

    def __init__(self, address: IpAddress, prefix_len: int) -> None:
        cls = type(self)
        if type(address) is not cls._ADDRESS:
            raise TypeError(
                f"{cls.__name__} takes an {cls._ADDRESS.__name__}, not {type(address).__name__}"
            )
        bits = cls._BITS
        if (
            not isinstance(prefix_len, int)
            or isinstance(prefix_len, bool)
            or not 0 <= prefix_len <= bits
        ):
            raise ValueError(
                f"an IPv{address.version} prefix length is in [0, {bits}], not {prefix_len!r}"
            )
        _set(self, "_address", address)
        _set(self, "_prefix_len", int(prefix_len))
        _set(self, "_mask_int", ((1 << bits) - 1) ^ ((1 << (bits - prefix_len)) - 1))

    @staticmethod
    def parse(text: str) -> IpCidr:
        """Parse ``"192.168.69.1/24"`` or ``"fdaa::1/64"``; raise ValueError otherwise."""
        if type(text) is not str:
            raise TypeError(f"parse takes text, not {type(text).__name__}")
        if ":" in text:
            from .ipv6_address import Ipv6Cidr

            return Ipv6Cidr.parse(text)
        from .ipv4_address import Ipv4Cidr

        return Ipv4Cidr.parse(text)

    @property
    def address(self) -> IpAddress:
        """The address, host bits included."""
        return self._address

    @property
    def prefix_len(self) -> int:
        """The number of leading network bits, in [0, 32] or [0, 128]."""
        return self._prefix_len

    def contains_addr(self, addr: IpAddress) -> bool:
        """Return whether ``addr`` (of any version) lies in this block."""
        if type(addr) is not self._ADDRESS:
            return False
        mask = self._mask_int
        return addr._int & mask == self._address._int & mask

    def contains_subnet(self, cidr: IpCidr) -> bool:
        """Return whether the whole block ``cidr`` lies in this block."""
        if type(cidr) is not type(self):
            return False
        return cidr._prefix_len >= self._prefix_len and self.contains_addr(cidr._address)

    def __str__(self) -> str:
        return f"{self._address}/{self._prefix_len}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}('{self}')"

    def __hash__(self) -> int:
        return hash((self._address, self._prefix_len))

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            assert isinstance(other, IpCidr)
            return self._address == other._address and self._prefix_len == other._prefix_len
        if isinstance(other, IpCidr):
            return False
        return NotImplemented

    def __lt__(self, other: IpCidr) -> bool:
        if type(other) is type(self):
            return (self._address, self._prefix_len) < (other._address, other._prefix_len)
        return NotImplemented

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable (cannot set {name!r})")

    def __reduce__(self) -> tuple[type, tuple[IpAddress, int]]:
        return (type(self), (self._address, self._prefix_len))
