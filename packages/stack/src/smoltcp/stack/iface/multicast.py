"""IPv4 multicast group membership and the IGMPv2 host side (RFC 2236, RFC 1112).

`MulticastGroups` is what `Interface` keeps: the groups joined, the Ethernet addresses that
ingress accepts for them (RFC 1112 6.4: 01-00-5E and the low 23 bits of the group), and the
IGMP messages due. Joining sends an unsolicited report at once and repeats it once after a
random delay up to the Unsolicited Report Interval (RFC 2236 section 3); a query sets, for
each group it asks about, a report delay drawn uniformly in (0, Max Response Time], keeping
an earlier one already set; a report from another member cancels ours (section 3: one report
per group is enough); leaving sends a Leave Group to all-routers. 224.0.0.1 is always a
member while any other group is joined (with none there is nothing to report, and the
interface takes no multicast at all), and is never reported (section 6).
"""

from __future__ import annotations

import random as _random
from collections.abc import Iterator

from smoltcp.wire import Ipv4Address
from smoltcp.wire.igmp import ALL_ROUTERS_GROUP, ALL_SYSTEMS_GROUP, IgmpMessage, IgmpRepr

from .deadlines import Deadlines

__all__ = ["MulticastGroups", "multicast_mac"]

#: Unsolicited Report Interval, microseconds (RFC 2236 section 8.10: 10 s).
UNSOLICITED_REPORT_INTERVAL_US = 10_000_000
_TENTH_US = 100_000
#: Groups an interface may join at most (a bounded table like the others).
MAX_GROUPS = 256


def multicast_mac(group: Ipv4Address) -> bytes:
    """Return the Ethernet address of ``group`` (RFC 1112 section 6.4)."""
    return bytes((1, 0, 0x5E)) + (int(group) & 0x7FFFFF).to_bytes(3, "big")


class MulticastGroups:
    """The groups an interface has joined, and the IGMPv2 reports and leaves it owes.

    ``rand`` draws the report delays. Times are integer microseconds.
    """

    __slots__ = (
        "_due",
        "_groups",
        "_leaves",
        "_rand",
        "_repeat",
        "deadlines",
        "macs",
        "next_due_us",
    )

    def __init__(self, rand: _random.Random) -> None:
        self._rand = rand
        self._groups: set[Ipv4Address] = set()
        # group -> when its report is due (microseconds).
        self._due: dict[Ipv4Address, int] = {}
        self._leaves: list[Ipv4Address] = []
        # group -> unsolicited reports of its join still to repeat.
        self._repeat: dict[Ipv4Address, int] = {}
        self.macs: frozenset[bytes] = frozenset()
        self.next_due_us: int | None = None
        self.deadlines = Deadlines()
        """Raised whenever ``next_due_us`` moves (the interface gives its own)."""

    def __contains__(self, group: object) -> bool:
        return group in self._groups or (group == ALL_SYSTEMS_GROUP and bool(self._groups))

    def __iter__(self) -> Iterator[Ipv4Address]:
        return iter(sorted(self._groups))

    def join(self, group: Ipv4Address, now_us: int) -> bool:
        """Join ``group``; return False if joined already.

        Raise ValueError for an address that is not multicast or for 224.0.0.1 (always
        joined), or when `MAX_GROUPS` are joined.
        """
        if type(group) is not Ipv4Address:
            raise TypeError(f"group must be an Ipv4Address, not {type(group).__name__}")
        if not group.is_multicast or group == ALL_SYSTEMS_GROUP:
            raise ValueError(f"group: {group} is not a multicast group one can join")
        if group in self._groups:
            return False
        if len(self._groups) >= MAX_GROUPS:
            raise ValueError(f"group: {MAX_GROUPS} groups joined already")
        self._groups.add(group)
        if group in self._leaves:
            self._leaves.remove(group)
        self._refresh_macs()
        # RFC 2236 3: report at once; the repeat goes out after a random delay (see `take`).
        self._due[group] = now_us
        self._repeat[group] = 1
        self._update_next()
        return True

    def leave(self, group: Ipv4Address) -> bool:
        """Leave ``group``; return False if it was not joined."""
        if group not in self._groups:
            return False
        self._groups.discard(group)
        self._due.pop(group, None)
        self._repeat.pop(group, None)
        self._leaves.append(group)
        self._refresh_macs()
        self.next_due_us = 0
        self.deadlines.moved = True
        return True

    def on_message(self, msg: IgmpRepr, dst: Ipv4Address, now_us: int) -> None:
        """Take a received IGMP message sent to ``dst`` (RFC 2236 section 3)."""
        if msg.message == IgmpMessage.MEMBERSHIP_QUERY:
            general = msg.group_addr.is_unspecified
            if not general and msg.group_addr not in self._groups:
                return
            limit = max(msg.max_resp_time, 1) * _TENTH_US
            # In address order: each group draws its delay, and set order follows the hash seed.
            for group in sorted(self._groups) if general else [msg.group_addr]:
                due = now_us + self._rand.randint(1, limit)
                # "If a timer for the group is already running, it is reset to the random
                # value only if the requested Max Response Time is less than the remaining
                # value of the running timer."
                if group not in self._due or due < self._due[group]:
                    self._due[group] = due
            self._update_next()
        elif (
            msg.message in (IgmpMessage.V1_MEMBERSHIP_REPORT, IgmpMessage.V2_MEMBERSHIP_REPORT)
            and msg.group_addr in self._due
            and dst == msg.group_addr
            and msg.group_addr not in self._repeat
        ):
            # Another member answered the query for the group: ours is not needed (RFC 2236
            # 3). The reports of our own join are sent whatever others do.
            del self._due[msg.group_addr]
            self._update_next()

    def take(self, now_us: int) -> list[tuple[Ipv4Address, IgmpRepr]]:
        """Return the messages due at ``now_us`` as ``(destination, message)`` pairs."""
        out = [
            (ALL_ROUTERS_GROUP, IgmpRepr(IgmpMessage.LEAVE_GROUP, 0, group))
            for group in self._leaves
        ]
        self._leaves.clear()
        for group, due in list(self._due.items()):
            if due <= now_us:
                del self._due[group]
                out.append((group, IgmpRepr(IgmpMessage.V2_MEMBERSHIP_REPORT, 0, group)))
                if self._repeat.get(group, 0) > 0:
                    # RFC 2236 3: repeat the unsolicited report once or twice after a
                    # random delay up to the Unsolicited Report Interval.
                    self._repeat[group] -= 1
                    delay = self._rand.randint(1, UNSOLICITED_REPORT_INTERVAL_US)
                    self._due[group] = now_us + delay
                else:
                    self._repeat.pop(group, None)
        self._update_next()
        return out

    def _refresh_macs(self) -> None:
        groups = [ALL_SYSTEMS_GROUP, *self._groups] if self._groups else []
        self.macs = frozenset(multicast_mac(g) for g in groups)

    def _update_next(self) -> None:
        if self._leaves:
            self.next_due_us = 0
        else:
            self.next_due_us = min(self._due.values()) if self._due else None
        self.deadlines.moved = True
