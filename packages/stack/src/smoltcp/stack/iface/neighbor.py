"""The neighbour (ARP) cache: IP address to hardware address, bounded, with expiry."""

from __future__ import annotations

from collections.abc import Iterator

from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpAddress

__all__ = ["NeighborCache"]

_MINUTE = Duration.from_secs(60)
_SECOND = Duration.from_secs(1)


class NeighborCache:
    """A bounded map from a neighbour's IP address to its hardware address.

    An entry lives ``expiry`` after it was filled or last refreshed (the original smoltcp and
    the issue: one minute). When the cache is full, the least recently refreshed entry is
    evicted: entries are kept in the order they were last filled (from ARP), so eviction is
    O(1). Times are integer microseconds inside.

    What ARP says is taken with one reservation (`_learn`): a live entry that was confirmed
    less than ``lock_time`` ago keeps its hardware address against an ARP packet that names
    another one (Linux's ``locktime``, one second by default). A neighbour that keeps talking
    from its known address is not moved by a stray or corrupted ARP packet (ARP has no
    checksum), while one that really moved is followed once it has been quiet that long. An
    ARP packet whose sender hardware address is not the source of its frame never moves a live
    entry.
    """

    __slots__ = ("_capacity", "_entries", "_expiry", "_lock")

    def __init__(
        self, capacity: int = 1024, expiry: Duration = _MINUTE, lock_time: Duration = _SECOND
    ) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must be >= 0, not {capacity}")
        if lock_time.micros < 0 or lock_time.micros > expiry.micros:
            raise ValueError(f"lock_time must be in [0, expiry], not {lock_time}")
        self._capacity = capacity
        self._expiry = expiry.micros
        self._lock = lock_time.micros
        # addr -> (hardware octets, expires_at in micros), oldest refresh first.
        self._entries: dict[IpAddress, tuple[bytes, int]] = {}

    def fill(self, addr: IpAddress, hardware_addr: EthernetAddress | bytes, now: Instant) -> None:
        """Record that ``addr`` is at ``hardware_addr`` as of ``now`` (insert or refresh)."""
        octets = hardware_addr if isinstance(hardware_addr, bytes) else bytes(hardware_addr)
        self._fill(addr, octets, now.micros)

    def _fill(self, addr: IpAddress, octets: bytes, now_us: int) -> None:
        entries = self._entries
        if entries.pop(addr, None) is None and len(entries) >= self._capacity:
            if self._capacity == 0:
                return
            del entries[next(iter(entries))]
        entries[addr] = (octets, now_us + self._expiry)

    def _learn(self, addr: IpAddress, octets: bytes, now_us: int, consistent: bool = True) -> bool:
        """Fill from ARP unless a live entry is to be kept; return whether the entry now maps
        ``addr`` to ``octets``.

        A live entry with another address is kept when it was confirmed within the lock time
        (its last confirmation is its expiry less the lifetime: `_fill` and `_refresh` both
        set it from ``now``), and always when the packet is not ``consistent`` (its sender
        hardware address is not its frame's source: a corrupted or forged packet).
        """
        entry = self._entries.get(addr)
        if (
            entry is not None
            and entry[0] != octets
            and entry[1] > now_us
            and (not consistent or now_us < entry[1] - self._expiry + self._lock)
        ):
            return False
        self._fill(addr, octets, now_us)
        return True

    def _refresh(self, addr: IpAddress, octets: bytes, now_us: int) -> None:
        """Extend a live entry that still maps to ``octets`` (the neighbour was heard from).

        The entry keeps its place in the eviction order (an in-place update is cheaper than a
        re-insertion, and this runs for every received packet).
        """
        entries = self._entries
        entry = entries.get(addr)
        if entry is not None and entry[1] > now_us and entry[0] == octets:
            entries[addr] = (octets, now_us + self._expiry)

    def lookup(self, addr: IpAddress, now: Instant) -> EthernetAddress | None:
        """Return the hardware address of ``addr``, or None if unknown or expired."""
        octets = self._lookup(addr, now.micros)
        return None if octets is None else EthernetAddress(octets)

    def _lookup(self, addr: IpAddress, now_us: int) -> bytes | None:
        entry = self._entries.get(addr)
        if entry is None:
            return None
        if entry[1] <= now_us:
            del self._entries[addr]
            return None
        return entry[0]

    def remove(self, addr: IpAddress) -> None:
        """Forget ``addr``."""
        self._entries.pop(addr, None)

    def flush(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, addr: object) -> bool:
        return addr in self._entries

    def __iter__(self) -> Iterator[tuple[IpAddress, EthernetAddress, Instant]]:
        """Iterate over ``(addr, hardware_addr, expires_at)``, expired entries included."""
        for addr, (octets, expires) in list(self._entries.items()):
            yield addr, EthernetAddress(octets), Instant(expires)
