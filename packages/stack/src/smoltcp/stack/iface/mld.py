"""IPv6 multicast listening and the MLDv2 listener side (RFC 3810): `MldListener`.

The interface keeps one as ``mld``. It knows two kinds of groups: those the application joins
(`Interface.join_multicast_group` with an `Ipv6Address`) and the solicited-node groups of the
interface's addresses, tentative ones included (RFC 4861 7.2.1, RFC 4862 5.4.2), which the
interface sets with `set_solicited_nodes`. The interface accepts the packets and the Ethernet
frames (33-33 and the group's low 32 bits, RFC 2464 7) of every group in `groups`, and of
ff02::1, which it always listens to and never reports (RFC 3810 6).

Reports (RFC 3810 6.1): a change of state (a join: CHANGE_TO_EXCLUDE_MODE with no sources;
a leave: CHANGE_TO_INCLUDE_MODE with no sources, i.e. INCLUDE {}) is reported at once and
repeated Robustness Variable - 1 times, each after a delay in [0, Unsolicited Report Interval].
A query (RFC 3810 6.2) is answered with the current state (MODE_IS_EXCLUDE) of the groups it
asks about, after a delay in [0, Maximum Response Delay]; a general query's answer pending
earlier makes a later one moot. An MLDv1 query puts the listener in MLDv1 compatibility mode
(RFC 3810 8.2) for the Older Version Querier Present Timeout: it then sends MLDv1 Reports to
each group and a Done to ff02::2 on leaving (RFC 2710 3, 4). Every delay is drawn from a
`random.Random` seeded from ``Config.random_seed``: runs repeat exactly. The solicited-node
groups are reported only with ``MldConfig.report_solicited_nodes`` (default: when
``Config.slaac`` is on), so a host with a static configuration stays quiet until its
application joins a group.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field

from smoltcp.stack.time import Duration
from smoltcp.wire import Ipv6Address
from smoltcp.wire.icmpv6 import Icmpv6Message, Icmpv6Repr
from smoltcp.wire.mld import (
    MldQueryRepr,
    Mldv2AddressRecord,
    Mldv2RecordType,
    Mldv2ReportRepr,
    mldv1_message,
)

from .deadlines import Deadlines

__all__ = ["MAX_GROUPS", "MldConfig", "MldListener"]

#: Groups an application may join at most (a bounded table like the others).
MAX_GROUPS = 256
#: Records per report: one report of at most this many fits any IPv6 MTU (1280).
_RECORDS_PER_REPORT = 48
_MS = 1000
_ALL_NODES = Ipv6Address.LINK_LOCAL_ALL_NODES
_CHANGE_TO_EXCLUDE = Mldv2RecordType(4)
_CHANGE_TO_INCLUDE = Mldv2RecordType(3)
_MODE_IS_EXCLUDE = Mldv2RecordType(2)
_ALL_MLDV2_ROUTERS = Ipv6Address("ff02::16")
_ALL_ROUTERS = Ipv6Address("ff02::2")
# RFC 3810 9.2, 9.3: Query Interval 125 s and Query Response Interval 10 s (defaults).
_QUERY_INTERVAL_US = 125_000_000
_QUERY_RESPONSE_INTERVAL_US = 10_000_000


@dataclass
class MldConfig:
    """The parameters of MLDv2 (`Config.mld`); defaults: RFC 3810 9.

    ValueError or TypeError names a bad field.
    """

    robustness: int = 2
    """Robustness Variable: how many times a change of state is reported (1 to 7)."""
    unsolicited_report_interval: Duration = field(default_factory=lambda: Duration.from_secs(1))
    """Unsolicited Report Interval: the longest delay before a repeated report."""
    report_solicited_nodes: bool | None = None
    """Whether the solicited-node groups of our addresses are reported as other groups are
    (None: when ``Config.slaac`` is on). They are listened to either way; an MLD-snooping
    switch forwards them only when reported."""

    def __post_init__(self) -> None:
        r = self.robustness
        if not isinstance(r, int) or isinstance(r, bool) or not 1 <= r <= 7:
            raise ValueError(f"robustness must be an int in [1, 7], not {r!r}")
        if not isinstance(self.unsolicited_report_interval, Duration):
            raise TypeError("unsolicited_report_interval must be a Duration")
        if self.unsolicited_report_interval.micros < 0:
            raise ValueError("unsolicited_report_interval must not be negative")
        if self.report_solicited_nodes is not None and not isinstance(
            self.report_solicited_nodes, bool
        ):
            raise TypeError("report_solicited_nodes must be a bool or None")


class _Change:
    """A change of state being reported: its record type, reports left, next one due."""

    __slots__ = ("due", "kind", "left")

    def __init__(self, kind: Mldv2RecordType, left: int, due: int) -> None:
        self.kind = kind
        self.left = left
        self.due = due


class MldListener:
    """The IPv6 groups an interface listens to and the MLDv2 reports it owes.

    Times are integer microseconds. ``rand`` draws the report delays (seeded by the caller).
    ``report_solicited_nodes`` is the resolved `MldConfig` setting.
    """

    __slots__ = (
        "_changes",
        "_config",
        "_current",
        "_general_due",
        "_joined",
        "_rand",
        "_report_solicited_nodes",
        "_solicited",
        "_v1_until",
        "deadlines",
        "groups",
        "macs",
        "next_due_us",
        "queries_received",
        "reports_sent",
        "synced",
    )

    def __init__(
        self, config: MldConfig, rand: random.Random, report_solicited_nodes: bool
    ) -> None:
        self._config = config
        self._rand = rand
        # Fixed for the listener's life: the interface's deadline cache reads it once.
        self._report_solicited_nodes = report_solicited_nodes
        self.synced: tuple[object, tuple[Ipv6Address, ...]] = (None, ())
        """What the solicited-node groups were last computed from (the interface's)."""
        self._joined: set[Ipv6Address] = set()
        self._solicited: set[Ipv6Address] = set()
        self._changes: dict[Ipv6Address, _Change] = {}
        # group -> when its current-state record is due (group-specific queries).
        self._current: dict[Ipv6Address, int] = {}
        self._general_due: int | None = None
        # Until when an MLDv1 querier was heard (RFC 3810 8.2.1), or None.
        self._v1_until: int | None = None
        self.groups: frozenset[Ipv6Address] = frozenset({_ALL_NODES})
        """Every group listened to: ff02::1, the solicited-node and the joined groups."""
        self.macs: frozenset[bytes] = frozenset({_ALL_NODES.multicast_mac})
        """Their Ethernet addresses."""
        self.next_due_us: int | None = None
        """When `take` has something to send (microseconds), or None."""
        self.deadlines = Deadlines()
        """Raised whenever ``next_due_us`` moves (the interface gives its own)."""
        self.reports_sent = 0
        self.queries_received = 0

    @property
    def report_solicited_nodes(self) -> bool:
        """Whether the solicited-node groups are reported (the resolved `MldConfig` knob)."""
        return self._report_solicited_nodes

    @property
    def joined(self) -> frozenset[Ipv6Address]:
        """The groups the application joined."""
        return frozenset(self._joined)

    def _reported(self, group: Ipv6Address) -> bool:
        if group == _ALL_NODES:
            return False  # RFC 3810 6: never reported
        return group in self._joined or (self.report_solicited_nodes and group in self._solicited)

    def join(self, group: Ipv6Address, now_us: int) -> bool:
        """Join ``group`` for the application; return False if joined already.

        Raises TypeError for a non-`Ipv6Address`; ValueError for a non-multicast group,
        ff02::1 (always listened to), or when `MAX_GROUPS` are joined.
        """
        if type(group) is not Ipv6Address:
            raise TypeError(f"group must be an Ipv6Address, not {type(group).__name__}")
        if not group.is_multicast or group == _ALL_NODES:
            raise ValueError(f"group: {group} is not a multicast group one can join")
        if group in self._joined:
            return False
        if len(self._joined) >= MAX_GROUPS:
            raise ValueError(f"group: {MAX_GROUPS} groups joined already")
        was = self._reported(group)
        self._joined.add(group)
        if not was:
            self._change(group, _CHANGE_TO_EXCLUDE, now_us)
        self._refresh()
        return True

    def leave(self, group: Ipv6Address, now_us: int) -> bool:
        """Leave ``group``; return False if the application had not joined it."""
        if group not in self._joined:
            return False
        self._joined.discard(group)
        if not self._reported(group):
            self._change(group, _CHANGE_TO_INCLUDE, now_us)
        self._refresh()
        return True

    def set_solicited_nodes(self, groups: set[Ipv6Address], now_us: int) -> None:
        """Make ``groups`` the solicited-node groups listened to (reporting the changes when
        they are reported)."""
        if groups == self._solicited:
            return
        old = self._solicited
        if self.report_solicited_nodes:
            # In address order: set order follows the hash seed, and the reports must not.
            for g in sorted(groups - old):
                if g not in self._joined:
                    self._change(g, _CHANGE_TO_EXCLUDE, now_us)
            for g in sorted(old - groups):
                if g not in self._joined:
                    self._change(g, _CHANGE_TO_INCLUDE, now_us)
        self._solicited = set(groups)
        self._refresh()

    def on_query(self, query: MldQueryRepr, now_us: int) -> None:
        """Take a query (RFC 3810 6.2): schedule the current-state records it asks for."""
        self.queries_received += 1
        if query.version == 1:
            # RFC 3810 8.2.1, 9.12: Older Version Querier Present Timeout.
            r = self._config.robustness
            self._v1_until = now_us + r * _QUERY_INTERVAL_US + _QUERY_RESPONSE_INTERVAL_US
        delay = query.max_resp_delay * _MS
        due = now_us + (self._rand.randint(0, delay) if delay > 0 else 0)
        group = query.mcast_addr
        if group.is_unspecified:
            if self._general_due is None or due < self._general_due:
                self._general_due = due
        elif self._reported(group):
            if self._general_due is not None and self._general_due <= due:
                return  # the general answer, earlier, covers it
            if group not in self._current or due < self._current[group]:
                self._current[group] = due
        else:
            return
        self._update_next()

    @property
    def compatibility_v1(self) -> bool:
        """Whether an MLDv1 querier was heard recently (MLDv1 messages are sent)."""
        return self._v1_until is not None

    def resend(self, now_us: int, later: Mapping[Ipv6Address, int] | None = None) -> None:
        """Report every reported group again as if just joined (the link came back up): at
        ``now_us``, or for a group in ``later`` at the time it gives (the solicited-node
        group of an address waiting out its random delay, RFC 4862 5.4.2)."""
        for g in sorted(self.groups):
            if self._reported(g):
                due = now_us if later is None else max(now_us, later.get(g, now_us))
                self._change(g, _CHANGE_TO_EXCLUDE, due)

    def take(self, now_us: int) -> list[tuple[Ipv6Address, Mldv2ReportRepr | Icmpv6Repr]]:
        """Return the messages due at ``now_us`` as ``(destination, message)`` pairs: MLDv2
        reports (each at most `_RECORDS_PER_REPORT` records) to ff02::16, or in MLDv1
        compatibility mode one MLDv1 Report per group (to the group) or Done (to ff02::2)."""
        records: list[Mldv2AddressRecord] = []
        if self._general_due is not None and self._general_due <= now_us:
            self._general_due = None
            for g in sorted(self.groups):
                if self._reported(g):
                    records.append(Mldv2AddressRecord(_MODE_IS_EXCLUDE, g))
                    self._current.pop(g, None)
        for g, due in list(self._current.items()):
            if due <= now_us:
                del self._current[g]
                if self._reported(g):
                    records.append(Mldv2AddressRecord(_MODE_IS_EXCLUDE, g))
        for g, change in list(self._changes.items()):
            if change.due <= now_us:
                records.append(Mldv2AddressRecord(change.kind, g))
                change.left -= 1
                if change.left <= 0:
                    del self._changes[g]
                else:
                    # RFC 3810 6.1: the repeats go after a delay in [0, Unsolicited Report
                    # Interval].
                    limit = self._config.unsolicited_report_interval.micros
                    change.due = now_us + self._rand.randint(0, limit)
        self._update_next()
        if self._v1_until is not None and now_us >= self._v1_until:
            self._v1_until = None
        out: list[tuple[Ipv6Address, Mldv2ReportRepr | Icmpv6Repr]]
        if self._v1_until is not None:
            out = [
                (_ALL_ROUTERS, mldv1_message(Icmpv6Message.MLD_DONE, r.mcast_addr))
                if r.record_type == _CHANGE_TO_INCLUDE
                else (r.mcast_addr, mldv1_message(Icmpv6Message.MLD_REPORT, r.mcast_addr))
                for r in records
            ]
        else:
            out = [
                (_ALL_MLDV2_ROUTERS, Mldv2ReportRepr(tuple(records[i : i + _RECORDS_PER_REPORT])))
                for i in range(0, len(records), _RECORDS_PER_REPORT)
            ]
        self.reports_sent += len(out)
        return out

    def _change(self, group: Ipv6Address, kind: Mldv2RecordType, due_us: int) -> None:
        # A new change replaces one still being repeated (RFC 3810 6.1: the new state is what
        # the retransmissions carry); its first report goes at ``due_us`` (at once, but for
        # a delayed join).
        self._changes[group] = _Change(kind, self._config.robustness, due_us)
        self._current.pop(group, None)
        self._update_next()

    def _refresh(self) -> None:
        groups = frozenset({_ALL_NODES, *self._solicited, *self._joined})
        self.groups = groups
        self.macs = frozenset(g.multicast_mac for g in groups)

    def _update_next(self) -> None:
        dues = [c.due for c in self._changes.values()]
        dues.extend(self._current.values())
        if self._general_due is not None:
            dues.append(self._general_due)
        self.next_due_us = min(dues) if dues else None
        self.deadlines.moved = True
