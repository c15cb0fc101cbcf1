"""IPv6 extension headers (RFC 8200 section 4): their views and a bounded walk over the chain.

`walk_ext_headers` reads the headers after the fixed one up to the upper-layer header and
returns what they say. It stops with `MalformedPacket` on truncation, an option running past its
header, a hop-by-hop header anywhere but first (RFC 8200 4.3), a header repeated where RFC 8200
4.1 allows it once (a loop), a second Fragment header, or more than ``max_headers`` headers.
It does not decide what a node does with an unknown option: each option's ``action`` (its type's
two high bits) says, and the stack acts on it.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated import ipv6frag as _frag
from ._generated import ipv6routing as _routing
from ._generated.ipv4 import IpProtocol
from ._generated.ipv6ext import EXT_LEN_UNIT
from ._generated.ipv6ext import HEADER_LEN as _EXT_FIXED_LEN
from ._generated.ipv6ext import Ipv6ExtHeader as _Ipv6ExtHeaderView
from ._generated.ipv6frag import HEADER_LEN as FRAG_HEADER_LEN
from ._generated.ipv6frag import Ipv6FragHeader as _Ipv6FragHeaderView
from ._generated.ipv6option import ACTION_SHIFT, Ipv6OptionAction, Ipv6OptionType
from ._generated.ipv6option import HEADER_LEN as _OPTION_HEADER_LEN
from ._generated.ipv6routing import Ipv6RoutingHeader
from .checksum import WritableBuffer
from .errors import MalformedPacket

__all__ = [
    "FRAG_HEADER_LEN",
    "Ipv6ExtChain",
    "Ipv6ExtHeader",
    "Ipv6ExtHeaderRepr",
    "Ipv6FragHeader",
    "Ipv6FragRepr",
    "Ipv6OptionAction",
    "Ipv6OptionRepr",
    "Ipv6OptionType",
    "Ipv6RoutingHeader",
    "emit_options_header",
    "options_header_len",
    "walk_ext_headers",
]

PROTOCOL = "ipv6ext"
#: The default bound on the number of extension headers a walk reads.
MAX_EXT_HEADERS = 8

_HOPOPTS = IpProtocol.HOPOPTS
_ROUTE = IpProtocol.IPV6_ROUTE
_FRAG = IpProtocol.IPV6_FRAG
_DSTOPTS = IpProtocol.IPV6_OPTS
_NONXT = IpProtocol.IPV6_NONXT
_EXT = (_HOPOPTS, _ROUTE, _FRAG, _DSTOPTS)
_PAD1 = Ipv6OptionType.PAD1
_PADN = Ipv6OptionType.PADN
_PROTOCOLS = IpProtocol._value2member_map_
# RFC 8200 4.1: each header at most once, except Destination Options (at most twice: before a
# Routing header and before the upper-layer header).
_MAX_SEEN = {_HOPOPTS: 1, _ROUTE: 1, _FRAG: 1, _DSTOPTS: 2}


class Ipv6ExtHeader(_Ipv6ExtHeaderView):
    """A view of a Hop-by-Hop or Destination Options header (also the start of any other).

    ``Ipv6ExtHeader(buffer)`` raises `MalformedPacket` unless the buffer holds the whole header
    that hdr_ext_len declares.
    """

    __slots__ = ()

    def check_len(self) -> None:
        """Raise `MalformedPacket` unless the header's declared length fits the buffer."""
        n = len(self.buffer)
        if n < _EXT_FIXED_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than 2")
        need = (self.buffer[1] + 1) * EXT_LEN_UNIT
        if need > n:
            raise MalformedPacket(PROTOCOL, "hdr_ext_len", f"{need} octets, only {n} received")

    @property
    def header_len(self) -> int:
        """The header's length in octets: (hdr_ext_len + 1) * 8."""
        return (self.hdr_ext_len + 1) * EXT_LEN_UNIT

    @property
    def options(self) -> memoryview:
        """The options area: the header after its two leading octets."""
        return memoryview(self.buffer)[_EXT_FIXED_LEN : self.header_len]


class Ipv6FragHeader(_Ipv6FragHeaderView):
    """A view of the 8-octet Fragment header (RFC 8200 4.5)."""

    __slots__ = ()


class Ipv6OptionRepr(NamedTuple):
    """One option of a Hop-by-Hop or Destination Options header (RFC 8200 4.2).

    Pad1 and PadN are kept too, so a header re-emits octet for octet. An unknown type is kept
    with its data; ``action`` says what RFC 8200 4.2 asks a node that does not know it to do.
    """

    option_type: Ipv6OptionType
    data: bytes | memoryview = b""

    @property
    def action(self) -> Ipv6OptionAction:
        """The action for an unrecognised type: its two high-order bits (RFC 8200 4.2)."""
        return Ipv6OptionAction(int(self.option_type) >> ACTION_SHIFT)

    def buffer_len(self) -> int:
        """Return the option's length in octets (1 for Pad1)."""
        if self.option_type == _PAD1:
            return 1
        return _OPTION_HEADER_LEN + len(self.data)


class Ipv6FragRepr(NamedTuple):
    """The Fragment header's fields: offset in octets (a multiple of 8), M flag, ident."""

    frag_offset: int
    more_frags: bool
    ident: int


class Ipv6ExtHeaderRepr(NamedTuple):
    """One extension header of a chain.

    ``kind`` is its own protocol number; ``offset`` and ``length`` its place in the walked
    octets. ``options`` are those of a Hop-by-Hop or Destination Options header; ``fragment``
    the fields of a Fragment header; ``segments_left`` and ``routing_type`` those of a Routing
    header (else -1).
    """

    kind: IpProtocol
    offset: int
    length: int
    options: tuple[Ipv6OptionRepr, ...] = ()
    fragment: Ipv6FragRepr | None = None
    routing_type: int = -1
    segments_left: int = -1


class Ipv6ExtChain(NamedTuple):
    """The walk's result: the extension headers and where the upper-layer header starts.

    ``next_header`` is the upper-layer protocol (or IPV6_NONXT); ``offset`` the octet where its
    header starts in the walked buffer.
    """

    headers: tuple[Ipv6ExtHeaderRepr, ...]
    next_header: IpProtocol
    offset: int

    @property
    def fragment(self) -> Ipv6FragRepr | None:
        """The Fragment header's fields, if the chain has one."""
        for h in self.headers:
            if h.fragment is not None:
                return h.fragment
        return None


def _options(buffer: memoryview, start: int, end: int) -> tuple[Ipv6OptionRepr, ...]:
    """Parse the TLV options in ``buffer[start:end]``; raise on an option past ``end``."""
    out: list[Ipv6OptionRepr] = []
    at = start
    while at < end:
        kind = buffer[at]
        if kind == _PAD1:
            out.append(Ipv6OptionRepr(_PAD1))
            at += 1
            continue
        if at + _OPTION_HEADER_LEN > end:
            raise MalformedPacket(PROTOCOL, "options", f"option type {kind} without a length")
        data_end = at + _OPTION_HEADER_LEN + buffer[at + 1]
        if data_end > end:
            raise MalformedPacket(
                PROTOCOL, "options", f"option type {kind} runs {data_end - end} octets past"
            )
        out.append(Ipv6OptionRepr(Ipv6OptionType(kind), buffer[at + _OPTION_HEADER_LEN : data_end]))
        at = data_end
    return tuple(out)


def walk_ext_headers(
    buffer: bytes | bytearray | memoryview,
    next_header: IpProtocol | int,
    max_headers: int = MAX_EXT_HEADERS,
) -> Ipv6ExtChain:
    """Walk the extension headers at the start of ``buffer`` (an IPv6 payload).

    ``next_header`` is the fixed header's Next Header. Returns the headers read and the
    upper-layer protocol with its offset; raises `MalformedPacket` on truncation, an option
    past its header, a misplaced hop-by-hop header, a repeated header, or more than
    ``max_headers`` headers. After a Fragment header with a non-zero offset the walk stops: the
    rest is a fragment of the payload, not headers (RFC 8200 4.5).
    """
    if max_headers < 0:
        raise ValueError(f"max_headers must be >= 0, not {max_headers}")
    view = memoryview(buffer)
    n = len(view)
    at = 0
    headers: list[Ipv6ExtHeaderRepr] = []
    seen: dict[IpProtocol, int] = {}
    kind = _PROTOCOLS.get(int(next_header)) or IpProtocol(int(next_header))
    while kind in _EXT:
        if len(headers) >= max_headers:
            raise MalformedPacket(PROTOCOL, "next_header", f"more than {max_headers} headers")
        count = seen.get(kind, 0) + 1
        if count > _MAX_SEEN[kind]:
            raise MalformedPacket(PROTOCOL, "next_header", f"{kind.name} repeated")
        seen[kind] = count
        if kind == _HOPOPTS and headers:
            # RFC 8200 4.3: only immediately after the fixed header.
            raise MalformedPacket(PROTOCOL, "next_header", "hop-by-hop header not first")
        if n - at < FRAG_HEADER_LEN:
            raise MalformedPacket(PROTOCOL, "header", f"{kind.name} header truncated")
        nxt = view[at]
        if kind == _FRAG:
            fixed = _frag.unpack_fields(view, at)
            offset = fixed.frag_offset
            # Res is reserved and ignored on receipt (RFC 8200 4.5).
            frag = Ipv6FragRepr(offset, fixed.more_frags, fixed.ident)
            headers.append(Ipv6ExtHeaderRepr(kind, at, FRAG_HEADER_LEN, fragment=frag))
            at += FRAG_HEADER_LEN
            kind = _PROTOCOLS.get(nxt) or IpProtocol(nxt)
            if offset:
                break
            continue
        length = (view[at + 1] + 1) * EXT_LEN_UNIT
        if at + length > n:
            raise MalformedPacket(
                PROTOCOL, "hdr_ext_len", f"{kind.name} header of {length} octets truncated"
            )
        if kind == _ROUTE:
            routing = _routing.unpack_fields(view, at)
            headers.append(
                Ipv6ExtHeaderRepr(
                    kind,
                    at,
                    length,
                    routing_type=routing.routing_type,
                    segments_left=routing.segments_left,
                )
            )
        else:
            options = _options(view, at + _EXT_FIXED_LEN, at + length)
            headers.append(Ipv6ExtHeaderRepr(kind, at, length, options=options))
        at += length
        kind = _PROTOCOLS.get(nxt) or IpProtocol(nxt)
    return Ipv6ExtChain(tuple(headers), kind, at)  # type: ignore[arg-type]


def options_header_len(options: tuple[Ipv6OptionRepr, ...]) -> int:
    """Return the length of an options header carrying ``options``, padded to 8 octets."""
    body = _EXT_FIXED_LEN + sum(o.buffer_len() for o in options)
    return -(-body // EXT_LEN_UNIT) * EXT_LEN_UNIT


def emit_options_header(
    buffer: WritableBuffer, next_header: IpProtocol | int, options: tuple[Ipv6OptionRepr, ...]
) -> int:
    """Write a Hop-by-Hop or Destination Options header; return its length in octets.

    The options are written in order and padded to a multiple of 8 octets with Pad1 or PadN
    (RFC 8200 4.2). ``buffer`` must hold `options_header_len` octets.
    """
    length = options_header_len(options)
    header = Ipv6ExtHeader.new_unchecked(buffer)
    header.next_header = int(next_header)
    header.hdr_ext_len = length // EXT_LEN_UNIT - 1
    at = _EXT_FIXED_LEN
    for o in options:
        buffer[at] = o.option_type
        if o.option_type == _PAD1:
            at += 1
            continue
        buffer[at + 1] = len(o.data)
        start = at + _OPTION_HEADER_LEN
        buffer[start : start + len(o.data)] = o.data
        at = start + len(o.data)
    pad = length - at
    if pad == 1:
        buffer[at] = _PAD1
    elif pad > 1:
        buffer[at] = _PADN
        buffer[at + 1] = pad - _OPTION_HEADER_LEN
        buffer[at + _OPTION_HEADER_LEN : length] = bytes(pad - _OPTION_HEADER_LEN)
    return length
