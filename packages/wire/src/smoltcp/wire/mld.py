"""MLDv2 Multicast Listener Reports (RFC 3810 section 5.2): `Mldv2ReportRepr`; queries
(RFC 3810 5.1, MLDv1's RFC 2710 3 too): `MldQueryRepr`.

A report carries multicast address records, each a record type, a group and its sources.
`Mldv2ReportRepr.parse_buffer` reads a whole ICMPv6 message whose checksum `Icmpv6Repr` has
checked; `emit_buffer` writes one with its checksum. Reports go to ff02::16 with hop limit 1
and a Router Alert hop-by-hop option (RFC 3810 5): the stack's business, not this module's.

The report header and each record header are read and written by the generated
``unpack_fields``/``pack_fields``; the bounded walk over the records and their sources stays
here.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated import mldv2 as _report
from ._generated import mldv2record as _record
from ._generated.icmpv6 import Icmpv6Message
from ._generated.mldquery import HEADER as _QUERY
from ._generated.mldquery import HEADER_LEN as _QUERY_LEN
from ._generated.mldquery import MAX_RESP_CODE as _AFTER_COMMON
from ._generated.mldquery import V1_LEN as _QUERY_V1_LEN
from ._generated.mldv2 import HEADER_LEN as _REPORT_LEN
from ._generated.mldv2 import PROTOCOL
from ._generated.mldv2record import AUX_DATA_UNIT, SOURCE_LEN, Mldv2RecordType
from ._generated.mldv2record import HEADER_LEN as _RECORD_LEN
from .address import IpAddress, Ipv6Address, ipv6_from_packed
from .capabilities import COMPUTE_TX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket
from .icmpv6 import Icmpv6Repr, fill_icmpv6_checksum

__all__ = [
    "MldQueryRepr",
    "Mldv2AddressRecord",
    "Mldv2RecordType",
    "Mldv2ReportRepr",
    "mldv1_message",
]

_DEFAULT_CAPS = ChecksumCapabilities()
_MLDV2_REPORT = Icmpv6Message.MLDV2_REPORT
_MLD_QUERY = Icmpv6Message.MLD_QUERY
# RFC 3810 5.1.3: a Maximum Response Code from 32768 on is a floating-point value, 1 | exp (3
# bits) | mant (12 bits), worth (mant | 0x1000) << (exp + 3) milliseconds.
_FLOAT_FROM = 0x8000
_MANT_MASK = 0x0FFF
_EXP_SHIFT = 12
_EXP_MASK = 0x7
_EXP_BIAS = 3


class Mldv2AddressRecord(NamedTuple):
    """One Multicast Address Record (RFC 3810 5.2.4); auxiliary data is not kept."""

    record_type: Mldv2RecordType
    mcast_addr: Ipv6Address
    sources: tuple[Ipv6Address, ...] = ()

    def buffer_len(self) -> int:
        """Return the record's length without auxiliary data."""
        return _RECORD_LEN + SOURCE_LEN * len(self.sources)


class Mldv2ReportRepr(NamedTuple):
    """A Version 2 Multicast Listener Report (ICMPv6 type 143)."""

    records: tuple[Mldv2AddressRecord, ...]

    @staticmethod
    def parse_buffer(buffer: bytes | bytearray | memoryview) -> Mldv2ReportRepr:
        """Return the report in ``buffer`` (a whole ICMPv6 message); raise `MalformedPacket`
        on another type, truncation or a record running past the message."""
        n = len(buffer)
        if n < _REPORT_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than {_REPORT_LEN}")
        report = _report.unpack_fields(buffer)
        if report.msg_type != _MLDV2_REPORT:
            raise MalformedPacket(PROTOCOL, "msg_type", f"{int(report.msg_type)}, not 143")
        count = report.num_records
        at = _REPORT_LEN
        records = []
        for _ in range(count):
            if n - at < _RECORD_LEN:
                raise MalformedPacket(PROTOCOL, "num_records", "record truncated")
            record = _record.unpack_fields(buffer, at)
            nsrc = record.num_sources
            end = at + _RECORD_LEN + SOURCE_LEN * nsrc + AUX_DATA_UNIT * record.aux_data_len
            if end > n:
                raise MalformedPacket(PROTOCOL, "num_sources", "record runs past the message")
            first = at + _RECORD_LEN
            sources = tuple(
                ipv6_from_packed(bytes(buffer[s : s + SOURCE_LEN]))
                for s in range(first, first + SOURCE_LEN * nsrc, SOURCE_LEN)
            )
            records.append(Mldv2AddressRecord(record.record_type, record.mcast_addr, sources))
            at = end
        return Mldv2ReportRepr(tuple(records))

    def buffer_len(self) -> int:
        """Return the whole ICMPv6 message's length in octets."""
        return _REPORT_LEN + sum(r.buffer_len() for r in self.records)

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the report (exactly `buffer_len` octets) with its checksum."""
        _report.pack_fields(buffer, 0, msg_type=_MLDV2_REPORT, num_records=len(self.records))
        at = _REPORT_LEN
        for r in self.records:
            _record.pack_fields(
                buffer,
                at,
                record_type=r.record_type,
                num_sources=len(r.sources),
                mcast_addr=r.mcast_addr,
            )
            at += _RECORD_LEN
            for s in r.sources:
                buffer[at : at + SOURCE_LEN] = s.packed
                at += SOURCE_LEN
        if checksum_caps.icmpv6 in COMPUTE_TX:
            body = buffer if len(buffer) == at else memoryview(buffer)[:at]
            fill_icmpv6_checksum(body, src_addr, dst_addr, csum)

    def __str__(self) -> str:
        groups = ", ".join(f"{r.record_type.name}({r.mcast_addr})" for r in self.records)
        return f"MLDv2 report [{groups}]"


class MldQueryRepr(NamedTuple):
    """A Multicast Listener Query (ICMPv6 type 130): general (``mcast_addr`` ``::``) or for
    one group. ``max_resp_delay`` is in milliseconds (RFC 3810 5.1.3 decoded); ``version`` is
    1 for a 24-octet MLDv1 query, else 2. Sources of an MLDv2 query are counted, not kept."""

    max_resp_delay: int
    mcast_addr: Ipv6Address
    version: int = 2
    num_sources: int = 0

    @staticmethod
    def parse_buffer(buffer: bytes | bytearray | memoryview) -> MldQueryRepr:
        """Return the query in ``buffer`` (a whole ICMPv6 message, checksum checked by
        `Icmpv6Repr`); raise `MalformedPacket` on another type, truncation, a length that is
        neither MLDv1's nor MLDv2's, or sources running past the message."""
        n = len(buffer)
        if n < _QUERY_V1_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"query of {n} octets, fewer than 24")
        if _QUERY_V1_LEN < n < _QUERY_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"query of {n} octets: not MLDv1 or v2")
        version = 1 if n == _QUERY_V1_LEN else 2
        # An MLDv1 query is the MLDv2 form without its last four octets (no sources).
        fixed = bytes(buffer[:_QUERY_LEN]).ljust(_QUERY_LEN, b"\0")
        msg_type, _, _, code, _, group, _, _, nsrc = _QUERY.unpack_from(fixed)
        if msg_type != _MLD_QUERY:
            raise MalformedPacket(PROTOCOL, "msg_type", f"{msg_type}, not 130")
        if _QUERY_LEN + SOURCE_LEN * nsrc > n and version == 2:
            raise MalformedPacket(PROTOCOL, "num_sources", "sources run past the message")
        if version == 2 and code >= _FLOAT_FROM:
            mant = code & _MANT_MASK
            exp = (code >> _EXP_SHIFT) & _EXP_MASK
            code = (mant | (_MANT_MASK + 1)) << (exp + _EXP_BIAS)
        return MldQueryRepr(code, ipv6_from_packed(group), version, nsrc)


def mldv1_message(message: Icmpv6Message, group: Ipv6Address) -> Icmpv6Repr:
    """Return an MLDv1 Report or Done (RFC 2710 3) about ``group``: the 24-octet layout of an
    MLDv1 query with a zero Maximum Response Delay. Raises ValueError for another type."""
    if message not in (Icmpv6Message.MLD_REPORT, Icmpv6Message.MLD_DONE):
        raise ValueError(f"message must be MLD_REPORT or MLD_DONE, not {message!r}")
    buf = bytearray(_QUERY_LEN)
    _QUERY.pack_into(buf, 0, message, 0, 0, 0, 0, group.packed, 0, 0, 0)
    return Icmpv6Repr(message, 0, data=bytes(buf[_AFTER_COMMON.start : _QUERY_V1_LEN]))
