"""IGMPv2 messages (RFC 2236): the `IgmpPacket` view and `IgmpRepr`.

An IGMPv1 query (Max Response Time zero) reads as a query that asks for a report within
10 s (RFC 2236 section 4); messages longer than 8 octets are taken by their first 8, as
RFC 2236 section 2.5 asks (an IGMPv3 query is one).

`IgmpRepr.parse_buffer`/`emit_buffer` are generated from the spec
(``smoltcp.wire._generated.igmp_fast``: ``REPR`` in ``spec/igmp.py``, with its checksum over
the whole message, always verified and computed); the IGMPv1 reading of a query is semantics
and stays in `IgmpRepr.parse`.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated.igmp import ALL_ROUTERS, ALL_SYSTEMS, HEADER_LEN, PROTOCOL, IgmpMessage
from ._generated.igmp import IgmpPacket as _IgmpPacketView
from .address import Ipv4Address
from .capabilities import ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket

__all__ = ["ALL_ROUTERS_GROUP", "ALL_SYSTEMS_GROUP", "IgmpMessage", "IgmpPacket", "IgmpRepr"]

#: 224.0.0.1, which every multicast host belongs to (RFC 1112 section 4).
ALL_SYSTEMS_GROUP = Ipv4Address(ALL_SYSTEMS)
#: 224.0.0.2, the destination of Leave Group messages (RFC 2236 section 3).
ALL_ROUTERS_GROUP = Ipv4Address(ALL_ROUTERS)
_V1_MAX_RESP = 100  # RFC 2236 4: an IGMPv1 query means 10 s
_QUERY = IgmpMessage.MEMBERSHIP_QUERY
_DEFAULT_CAPS = ChecksumCapabilities()
_tuple_new = tuple.__new__


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
        """Parse an IGMP message (the IP payload); raise `MalformedPacket`.

        A query with a Max Response Time of zero is an IGMPv1 one and reads as 10 s.
        """
        r = _parse_buffer(buffer)
        if r.max_resp_time == 0 and r.message is _QUERY:
            return r._replace(max_resp_time=_V1_MAX_RESP)
        return r

    @staticmethod
    def parse_buffer(
        buffer: bytes | bytearray | memoryview,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> IgmpRepr:
        """Return the message in ``buffer`` as sent (no IGMPv1 reading); raise `MalformedPacket`.

        The checksum over the whole buffer is always verified (``checksum_caps`` has no IGMP
        entry). Generated from the spec (``smoltcp.wire._generated.igmp_fast``), which replaces
        this method below; this body is the general path with the precise errors.
        """
        n = len(buffer)
        if n < HEADER_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than {HEADER_LEN}")
        if csum(buffer, 0) != 0xFFFF:
            raise MalformedPacket(PROTOCOL, "checksum", "does not add up")
        packet = _IgmpPacketView.new_unchecked(buffer)
        return _tuple_new(IgmpRepr, (packet.msg_type, packet.max_resp_time, packet.group_addr))

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the 8-octet message with its checksum into ``buffer``.

        Generated from the spec (``smoltcp.wire._generated.igmp_fast``), which replaces this
        method below.
        """
        _emit_fast(self, buffer, checksum_caps, csum)

    def buffer_len(self) -> int:
        """Return the message length, 8 octets."""
        return HEADER_LEN

    def to_bytes(self) -> bytes:
        """Return the 8-octet message with its checksum."""
        out = bytearray(HEADER_LEN)
        _emit_buffer(self, out)
        return bytes(out)


# The general parse: the precise error of every malformed message.
_parse_general = IgmpRepr.parse_buffer

# The per-packet path, generated from the spec (spec/profiles.py LAYER_PROFILES). Imported
# last: the generated module builds this module's IgmpRepr.
from ._generated.igmp_fast import emit_buffer as _emit_fast  # noqa: E402
from ._generated.igmp_fast import parse_buffer as _parse_fast  # noqa: E402

IgmpRepr.parse_buffer = staticmethod(_parse_fast)  # type: ignore[method-assign,assignment]
IgmpRepr.emit_buffer = _emit_fast  # type: ignore[method-assign,assignment]
_parse_buffer = _parse_fast
_emit_buffer = _emit_fast
