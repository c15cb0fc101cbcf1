"""IGMPv2 messages (RFC 2236): the `IgmpPacket` view and `IgmpRepr`.

An IGMPv1 query (Max Response Time zero) reads as a query that asks for a report within
10 s (RFC 2236 section 4); messages longer than 8 octets are taken by their first 8, as
RFC 2236 section 2.5 asks (an IGMPv3 query is one).
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated.igmp import (
    ALL_ROUTERS,
    ALL_SYSTEMS,
    CHECKSUM_AT,
    HEADER,
    HEADER_LEN,
    PROTOCOL,
    IgmpMessage,
)
from ._generated.igmp import IgmpPacket as _IgmpPacketView
from .address import Ipv4Address
from .checksum import internet_sum
from .errors import MalformedPacket

__all__ = ["ALL_ROUTERS_GROUP", "ALL_SYSTEMS_GROUP", "IgmpMessage", "IgmpPacket", "IgmpRepr"]

#: 224.0.0.1, which every multicast host belongs to (RFC 1112 section 4).
ALL_SYSTEMS_GROUP = Ipv4Address(ALL_SYSTEMS)
#: 224.0.0.2, the destination of Leave Group messages (RFC 2236 section 3).
ALL_ROUTERS_GROUP = Ipv4Address(ALL_ROUTERS)
_V1_MAX_RESP = 100  # RFC 2236 4: an IGMPv1 query means 10 s


class IgmpPacket(_IgmpPacketView):
    """A view of an IGMP message with its checksum (RFC 2236 2.3)."""

    __slots__ = ()

    def verify_checksum(self) -> bool:
        """Return whether the checksum over the whole message is right."""
        return internet_sum(self.buffer) == 0xFFFF


class IgmpRepr(NamedTuple):
    """An IGMP message: type, Max Response Time in tenths of a second, group address."""

    message: IgmpMessage
    max_resp_time: int
    group_addr: Ipv4Address

    @classmethod
    def parse(cls, buffer: bytes | bytearray | memoryview) -> IgmpRepr:
        """Parse an IGMP message (the IP payload); raise `MalformedPacket`."""
        n = len(buffer)
        if n < HEADER_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than {HEADER_LEN}")
        if internet_sum(buffer) != 0xFFFF:
            raise MalformedPacket(PROTOCOL, "checksum", "does not add up")
        msg_type, max_resp, _checksum, group = HEADER.unpack_from(buffer)
        message = IgmpMessage(msg_type)
        if message == IgmpMessage.MEMBERSHIP_QUERY and max_resp == 0:
            max_resp = _V1_MAX_RESP
        return cls(message, max_resp, Ipv4Address(group))

    def to_bytes(self) -> bytes:
        """Return the 8-octet message with its checksum."""
        out = bytearray(HEADER_LEN)
        HEADER.pack_into(out, 0, int(self.message), self.max_resp_time, 0, self.group_addr.packed)
        checksum = ~internet_sum(out) & 0xFFFF
        out[CHECKSUM_AT : CHECKSUM_AT + 2] = checksum.to_bytes(2, "big")
        return bytes(out)
