"""DNS messages (RFC 1035 section 4): queries built, responses read with bounded walks.

The 12-octet header is the generated `DnsPacket` view. Names are read with compression
(RFC 1035 4.1.4) under three bounds: a pointer must point strictly before the pointer itself
(so no loop and no forward jump past the message), at most `MAX_POINTERS` are followed in one
name, and a name is at most 255 octets (RFC 1035 3.1). The section counts are checked against
the message length before any record is read, so a huge count costs nothing. Everything a
response does wrong raises `MalformedPacket`.

The fixed parts (the header, a question's QTYPE/QCLASS after its name, a record's TYPE to
RDLENGTH after its name) are read and written by the generated ``unpack_fields``/
``pack_fields`` of ``spec/dns.py``, ``spec/dnsquestion.py`` and ``spec/dnsrecord.py``; the
names, their compression and the bounds stay here.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated import dns as _header
from ._generated import dnsquestion as _question
from ._generated import dnsrecord as _record
from ._generated.dns import HEADER_LEN, MAX_UDP_LEN, PORT, PROTOCOL, DnsRcode, DnsType
from ._generated.dns import DnsPacket as _DnsPacketView
from ._generated.dnsquestion import CLASS_IN as _CLASS_IN
from ._generated.dnsquestion import HEADER_LEN as _QUESTION_LEN
from ._generated.dnsrecord import HEADER_LEN as _RECORD_LEN
from .address import IpAddress, Ipv4Address, Ipv6Address
from .errors import MalformedPacket

__all__ = [
    "MAX_POINTERS",
    "MAX_UDP_LEN",
    "PORT",
    "DnsMessage",
    "DnsPacket",
    "DnsQuestion",
    "DnsRcode",
    "DnsRecord",
    "DnsType",
    "encode_name",
    "query",
    "read_name",
]

#: Compression pointers followed in one name at most.
MAX_POINTERS = 32
#: Octets of a name on the wire at most, length octets included (RFC 1035 3.1).
MAX_NAME_LEN = 255
_MAX_LABEL = 63
_POINTER = 0xC0  # RFC 1035 4.1.4: the two high bits of a length octet mark a pointer
_OPT_EXTENDED_RCODE_DO = 0
_ROOT_NAME_LEN = 1  # the root name: one zero length octet (RFC 1035 3.1)
# The least a question or a record can take: a root name and the fixed part.
_QUESTION_MIN = _ROOT_NAME_LEN + _QUESTION_LEN
_RECORD_MIN = _ROOT_NAME_LEN + _RECORD_LEN


class DnsPacket(_DnsPacketView):
    """A view of a DNS message: the generated header accessors and the octets after them."""

    __slots__ = ()


def encode_name(name: str) -> bytes:
    """Return ``name`` (dotted text, a trailing dot optional) as labels on the wire.

    Raise ValueError for an empty label, a label over 63 octets, a name over 255 octets or
    text that is not ASCII (RFC 1035 2.3.4; internationalised names must be A-labels).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    text = name[:-1] if name.endswith(".") else name
    out = bytearray()
    if text:
        for label in text.split("."):
            try:
                octets = label.encode("ascii")
            except UnicodeEncodeError:
                raise ValueError(f"name: {name!r} is not ASCII") from None
            if not octets or len(octets) > _MAX_LABEL:
                raise ValueError(f"name: label {label!r} must have 1 to 63 octets")
            out.append(len(octets))
            out += octets
    out.append(0)
    if len(out) > MAX_NAME_LEN:
        raise ValueError(f"name: {name!r} has more than 255 octets")
    return bytes(out)


def read_name(message: bytes, at: int) -> tuple[str, int]:
    """Read the name at ``at`` in ``message``; return it (lower case, no trailing dot; "" is
    the root) and the offset after it where it is stored. Raise `MalformedPacket`."""
    n = len(message)
    labels: list[str] = []
    size = 1
    end = -1
    pointers = 0
    while True:
        if at >= n:
            raise MalformedPacket(PROTOCOL, "name", "runs past the message")
        length = message[at]
        if length & _POINTER == _POINTER:
            if at + 1 >= n:
                raise MalformedPacket(PROTOCOL, "name", "truncated compression pointer")
            target = ((length & ~_POINTER) << 8) | message[at + 1]
            if target >= at:
                raise MalformedPacket(PROTOCOL, "name", f"pointer to {target} is not backward")
            pointers += 1
            if pointers > MAX_POINTERS:
                raise MalformedPacket(PROTOCOL, "name", "too many compression pointers")
            if end < 0:
                end = at + 2
            at = target
            continue
        if length & _POINTER:
            raise MalformedPacket(PROTOCOL, "name", f"label type {length >> 6} is unknown")
        if length == 0:
            return ".".join(labels), (at + 1 if end < 0 else end)
        size += length + 1
        if size > MAX_NAME_LEN:
            raise MalformedPacket(PROTOCOL, "name", "longer than 255 octets")
        if at + 1 + length > n:
            raise MalformedPacket(PROTOCOL, "name", "label runs past the message")
        labels.append(message[at + 1 : at + 1 + length].decode("latin-1").lower())
        at += 1 + length


class DnsQuestion(NamedTuple):
    """A question: name (lower case), QTYPE and QCLASS (RFC 1035 4.1.2)."""

    name: str
    qtype: DnsType
    qclass: int = _CLASS_IN


class DnsRecord(NamedTuple):
    """A resource record (RFC 1035 4.1.3): ``data`` is an `IpAddress` for A and AAAA, the
    target name for CNAME, else the raw RDATA octets."""

    name: str
    rtype: DnsType
    rclass: int
    ttl: int
    data: IpAddress | str | bytes


def _need(message: bytes, at: int, count: int, what: str) -> None:
    if at + count > len(message):
        raise MalformedPacket(PROTOCOL, what, "runs past the message")


class DnsMessage(NamedTuple):
    """A parsed DNS message: header fields, questions and answer records.

    The authority and additional sections are counted in the bounds check but not kept.
    """

    ident: int
    response: bool
    opcode: int
    truncated: bool
    rcode: DnsRcode
    questions: tuple[DnsQuestion, ...]
    answers: tuple[DnsRecord, ...]

    @classmethod
    def parse(cls, buffer: bytes | bytearray | memoryview) -> DnsMessage:
        """Parse ``buffer`` (one whole message); raise `MalformedPacket`."""
        message = bytes(buffer)
        n = len(message)
        if n < HEADER_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than {HEADER_LEN}")
        header = _header.unpack_fields(message)
        # Every question and record has a minimum size: counts the message cannot hold are
        # refused before any walk.
        least = (
            header.qdcount * _QUESTION_MIN
            + (header.ancount + header.nscount + header.arcount) * _RECORD_MIN
        )
        if HEADER_LEN + least > n:
            raise MalformedPacket(PROTOCOL, "counts", f"section counts need {least} octets")
        at = HEADER_LEN
        questions = []
        for _ in range(header.qdcount):
            name, at = read_name(message, at)
            _need(message, at, _QUESTION_LEN, "question")
            question = _question.unpack_fields(message, at)
            questions.append(DnsQuestion(name, question.qtype, question.qclass))
            at += _QUESTION_LEN
        answers = []
        for _ in range(header.ancount):
            name, at = read_name(message, at)
            _need(message, at, _RECORD_LEN, "record")
            rtype, rclass, ttl, rdlength = _record.unpack_fields(message, at)
            at += _RECORD_LEN
            _need(message, at, rdlength, "rdata")
            rdata = message[at : at + rdlength]
            data: IpAddress | str | bytes = rdata
            if rclass == _CLASS_IN and rtype == DnsType.A:
                if rdlength != 4:
                    raise MalformedPacket(PROTOCOL, "rdata", f"A record of {rdlength} octets")
                data = Ipv4Address(rdata)
            elif rclass == _CLASS_IN and rtype == DnsType.AAAA:
                if rdlength != 16:
                    raise MalformedPacket(PROTOCOL, "rdata", f"AAAA record of {rdlength} octets")
                data = Ipv6Address(rdata)
            elif rtype == DnsType.CNAME:
                target, after = read_name(message, at)
                if after != at + rdlength:
                    raise MalformedPacket(PROTOCOL, "rdata", "CNAME name does not fill RDATA")
                data = target
            answers.append(DnsRecord(name, rtype, rclass, ttl, data))
            at += rdlength
        return cls(
            ident=header.ident,
            response=header.qr,
            opcode=header.opcode,
            truncated=header.tc,
            rcode=DnsRcode(header.rcode),
            questions=tuple(questions),
            answers=tuple(answers),
        )


def query(ident: int, name: str, qtype: DnsType, edns_udp_size: int | None = None) -> bytes:
    """Return a standard query for ``name``/``qtype`` with recursion desired (RFC 1035 4.1.1).

    ``edns_udp_size`` adds an EDNS0 OPT record advertising that UDP payload size (RFC 6891
    6.1.2); None sends none. Raise ValueError for a bad name or ident.
    """
    if not 0 <= ident <= 0xFFFF:
        raise ValueError(f"ident must be in [0, 65535], not {ident!r}")
    if edns_udp_size is not None and not 512 <= edns_udp_size <= 0xFFFF:
        raise ValueError(f"edns_udp_size must be in [512, 65535], not {edns_udp_size!r}")
    qname = encode_name(name)
    opt = _ROOT_NAME_LEN + _RECORD_LEN if edns_udp_size is not None else 0
    out = bytearray(HEADER_LEN + len(qname) + _QUESTION_LEN + opt)
    _header.pack_fields(
        out, 0, ident=ident, rd=True, qdcount=1, arcount=0 if edns_udp_size is None else 1
    )
    at = HEADER_LEN + len(qname)
    out[HEADER_LEN:at] = qname
    _question.pack_fields(out, at, qtype=qtype, qclass=_CLASS_IN)
    if edns_udp_size is not None:
        # Root owner (one zero octet, already there), TYPE OPT, CLASS = payload size, TTL =
        # extended RCODE/version/flags 0, no options (RFC 6891 6.1.2, 6.1.3).
        _record.pack_fields(
            out,
            at + _QUESTION_LEN + _ROOT_NAME_LEN,
            rtype=DnsType.OPT,
            rclass=edns_udp_size,
            ttl=_OPT_EXTENDED_RCODE_DO,
        )
    return bytes(out)
