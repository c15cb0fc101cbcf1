"""Neighbor Discovery for IPv6 (RFC 4861): message views, options and `NdpRepr`.

`NdpRepr.parse_buffer` reads the body of an ICMPv6 message that `Icmpv6Repr` has already
checked (checksum included); `NdpRepr.emit_buffer` writes a whole ICMPv6 message with its
checksum. A hop limit other than 255 makes a message invalid (RFC 4861 6.1.1, 7.1.1), but the
hop limit is in the IP header: the stack checks it, not this module.

Every fixed part (the five message bodies, the link-layer address, MTU, prefix and nonce
options) is
read and written by the generated ``unpack_fields``/``pack_fields`` of its spec module; what
stays here is semantics: which message has which part, the bounded option walk and its
policy (RFC 4861 4.6: skip unknown options and known ones of another size), and ``__str__``.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated import ndplladdr as _lladdr
from ._generated import ndpmtu as _mtu
from ._generated import ndpnbr as _nbr
from ._generated import ndpnonce as _nonce
from ._generated import ndpprefix as _prefix
from ._generated import ndpra as _ra
from ._generated import ndpredirect as _redirect
from ._generated import ndprs as _rs
from ._generated.icmpv6 import Icmpv6Message
from ._generated.ndplladdr import HEADER_LEN as _LLADDR_LEN
from ._generated.ndplladdr import NdpLinkLayerAddrOption
from ._generated.ndpmtu import HEADER_LEN as _MTU_LEN
from ._generated.ndpmtu import NdpMtuOption
from ._generated.ndpnbr import HEADER_LEN as _NBR_LEN
from ._generated.ndpnbr import NdpNeighbor
from ._generated.ndpnonce import HEADER_LEN as _NONCE_LEN
from ._generated.ndpnonce import NONCE_LEN, NdpNonceOption
from ._generated.ndpopt import HEADER_LEN as _OPT_LEN
from ._generated.ndpopt import (
    LENGTH_AT,
    OPTION_TYPE_AT,
    OPTION_UNIT,
    PROTOCOL,
    NdpOption,
    NdpOptionType,
)
from ._generated.ndpprefix import HEADER_LEN as _PREFIX_LEN
from ._generated.ndpprefix import NdpPrefixInfoOption
from ._generated.ndpra import HEADER_LEN as _RA_LEN
from ._generated.ndpra import MSG_CODE_AT, MSG_TYPE_AT, NdpRouterAdvert
from ._generated.ndpredirect import HEADER_LEN as _REDIRECT_LEN
from ._generated.ndpredirect import NdpRedirect
from ._generated.ndprs import HEADER_LEN as _RS_LEN
from ._generated.ndprs import NdpRouterSolicit
from .address import EthernetAddress, IpAddress, Ipv6Address
from .capabilities import COMPUTE_TX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket
from .icmpv6 import fill_icmpv6_checksum

__all__ = [
    "NdpLinkLayerAddrOption",
    "NdpMtuOption",
    "NdpNeighbor",
    "NdpNonceOption",
    "NdpOption",
    "NdpOptionType",
    "NdpPrefixInfo",
    "NdpPrefixInfoOption",
    "NdpRedirect",
    "NdpRepr",
    "NdpRouterAdvert",
    "NdpRouterSolicit",
]

_DEFAULT_CAPS = ChecksumCapabilities()
# The longest option: its Length octet counts 8-octet units (RFC 4861 4.6).
_MAX_OPTION = 255 * OPTION_UNIT
_RS_T = Icmpv6Message.ROUTER_SOLICIT
_RA_T = Icmpv6Message.ROUTER_ADVERT
_NS_T = Icmpv6Message.NEIGHBOR_SOLICIT
_NA_T = Icmpv6Message.NEIGHBOR_ADVERT
_REDIRECT_T = Icmpv6Message.REDIRECT
_SRC_LL = NdpOptionType.SOURCE_LL_ADDR
_TGT_LL = NdpOptionType.TARGET_LL_ADDR
_PREFIX_T = NdpOptionType.PREFIX_INFO
_MTU_T = NdpOptionType.MTU
_NONCE_T = NdpOptionType.NONCE
_FIXED = {_RS_T: _RS_LEN, _RA_T: _RA_LEN, _NS_T: _NBR_LEN, _NA_T: _NBR_LEN}
_FIXED[_REDIRECT_T] = _REDIRECT_LEN
_UNUSED = Ipv6Address.UNSPECIFIED


class NdpPrefixInfo(NamedTuple):
    """A Prefix Information option (RFC 4861 4.6.2); lifetimes in seconds, 0xffffffff infinite."""

    prefix: Ipv6Address
    prefix_len: int
    on_link: bool
    autonomous: bool
    valid_lifetime: int
    preferred_lifetime: int


class NdpRepr(NamedTuple):
    """An NDP message: router solicitation/advertisement, neighbour solicitation/advertisement,
    or redirect (parsed only: a host does not send one).

    Fields a type does not have keep their defaults. Link-layer addresses are Ethernet ones
    (RFC 2464 6); an option of another size or an unknown option is skipped (RFC 4861 4.6).
    ``nonce`` is the Nonce option of a solicitation (RFC 3971 5.3.2, RFC 7527): at least 6
    octets, as many as make the option a multiple of 8 octets (6, 14, 22, ...); what is parsed
    is emitted unchanged. The interface sends `NONCE_LEN` (6).
    """

    message: Icmpv6Message
    target_addr: Ipv6Address = _UNUSED
    source_ll_addr: EthernetAddress | None = None
    target_ll_addr: EthernetAddress | None = None
    router: bool = False
    solicited: bool = False
    override: bool = False
    cur_hop_limit: int = 0
    managed: bool = False
    other: bool = False
    router_lifetime: int = 0
    reachable_time: int = 0
    retrans_time: int = 0
    mtu: int | None = None
    prefixes: tuple[NdpPrefixInfo, ...] = ()
    dst_addr: Ipv6Address = _UNUSED
    nonce: bytes | None = None

    @staticmethod
    def parse_buffer(buffer: bytes | bytearray | memoryview) -> NdpRepr:
        """Return the NDP message in ``buffer`` (a whole ICMPv6 message); raise `MalformedPacket`.

        The checksum is not verified here (`Icmpv6Repr.parse_buffer` does). Raises on a
        non-zero code, truncation, an option of length 0 or past the message (RFC 4861 6.1).
        """
        n = len(buffer)
        if n < 1:
            raise MalformedPacket(PROTOCOL, "msg_type", "empty")
        message = Icmpv6Message(buffer[MSG_TYPE_AT])
        fixed = _FIXED.get(message)
        if fixed is None:
            raise MalformedPacket(PROTOCOL, "msg_type", f"{message!r} is not an NDP message")
        if n < fixed:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than {fixed}")
        code = buffer[MSG_CODE_AT]
        if code != 0:
            raise MalformedPacket(PROTOCOL, "msg_code", f"{code}, not 0 (RFC 4861)")
        fields: dict[str, object] = {}
        if message == _RA_T:
            ra = _ra.unpack_fields(buffer)
            fields.update(
                cur_hop_limit=ra.cur_hop_limit,
                managed=ra.managed,
                other=ra.other,
                router_lifetime=ra.router_lifetime,
                reachable_time=ra.reachable_time,
                retrans_time=ra.retrans_time,
            )
        elif message in (_NS_T, _NA_T):
            nbr = _nbr.unpack_fields(buffer)
            fields["target_addr"] = nbr.target_addr
            if message == _NA_T:
                fields.update(router=nbr.router, solicited=nbr.solicited, override=nbr.override)
        elif message == _REDIRECT_T:
            redirect = _redirect.unpack_fields(buffer)
            fields["target_addr"] = redirect.target_addr
            fields["dst_addr"] = redirect.dst_addr
        prefixes: list[NdpPrefixInfo] = []
        at = fixed
        while at < n:
            if n - at < _OPT_LEN:
                raise MalformedPacket(PROTOCOL, "options", "option truncated")
            length = buffer[at + LENGTH_AT] * OPTION_UNIT
            if length == 0:
                raise MalformedPacket(PROTOCOL, "length", "option of length 0 (RFC 4861 4.6)")
            if at + length > n:
                raise MalformedPacket(PROTOCOL, "length", "option runs past the message")
            kind = buffer[at + OPTION_TYPE_AT]
            if kind in (_SRC_LL, _TGT_LL) and length == _LLADDR_LEN:
                name = "source_ll_addr" if kind == _SRC_LL else "target_ll_addr"
                fields[name] = _lladdr.unpack_fields(buffer, at).ll_addr
            elif kind == _MTU_T and length == _MTU_LEN:
                fields["mtu"] = _mtu.unpack_fields(buffer, at).mtu
            elif kind == _NONCE_T and length == _NONCE_LEN:
                fields["nonce"] = _nonce.unpack_fields(buffer, at).nonce
            elif kind == _NONCE_T:
                # RFC 3971 5.3.2: the nonce fills the option, whatever its length; only the
                # 6-octet form has a fixed layout.
                fields["nonce"] = bytes(buffer[at + _OPT_LEN : at + length])
            elif kind == _PREFIX_T and length == _PREFIX_LEN:
                p = _prefix.unpack_fields(buffer, at)
                prefixes.append(
                    NdpPrefixInfo(
                        p.prefix,
                        p.prefix_len,
                        p.on_link,
                        p.autonomous,
                        p.valid_lifetime,
                        p.preferred_lifetime,
                    )
                )
            at += length
        return NdpRepr(message, prefixes=tuple(prefixes), **fields)  # type: ignore[arg-type]

    def buffer_len(self) -> int:
        """Return the whole ICMPv6 message's length in octets."""
        n = _FIXED[self.message]
        n += _LLADDR_LEN * ((self.source_ll_addr is not None) + (self.target_ll_addr is not None))
        if self.mtu is not None:
            n += _MTU_LEN
        if self.nonce is not None:
            n += _OPT_LEN + len(self.nonce)
        return n + _PREFIX_LEN * len(self.prefixes)

    def emit_buffer(
        self,
        buffer: WritableBuffer,
        src_addr: IpAddress,
        dst_addr: IpAddress,
        checksum_caps: ChecksumCapabilities = _DEFAULT_CAPS,
        csum: InternetSum = internet_sum,
    ) -> None:
        """Write the whole ICMPv6 message (exactly `buffer_len` octets) with its checksum.

        Raise ValueError for a Redirect: a host only receives them (RFC 4861 8), and for a
        nonce that does not fill a whole option (fewer than 6 octets, or not 6 plus a multiple
        of 8, or an option longer than 255 units).
        """
        message = self.message
        out = buffer
        if message == _RS_T:
            _rs.pack_fields(out, 0, msg_type=message)
        elif message == _RA_T:
            _ra.pack_fields(
                out,
                0,
                msg_type=message,
                cur_hop_limit=self.cur_hop_limit,
                managed=self.managed,
                other=self.other,
                router_lifetime=self.router_lifetime,
                reachable_time=self.reachable_time,
                retrans_time=self.retrans_time,
            )
        elif message in (_NS_T, _NA_T):
            na = message == _NA_T
            _nbr.pack_fields(
                out,
                0,
                msg_type=message,
                router=na and self.router,
                solicited=na and self.solicited,
                override=na and self.override,
                target_addr=self.target_addr,
            )
        else:
            raise ValueError(f"message must be RS, RA, NS or NA to emit, not {message!r}")
        at = _FIXED[message]
        for kind, ll in ((_SRC_LL, self.source_ll_addr), (_TGT_LL, self.target_ll_addr)):
            if ll is not None:
                _lladdr.pack_fields(
                    out, at, option_type=kind, length=_LLADDR_LEN // OPTION_UNIT, ll_addr=ll
                )
                at += _LLADDR_LEN
        if self.mtu is not None:
            _mtu.pack_fields(
                out, at, option_type=_MTU_T, length=_MTU_LEN // OPTION_UNIT, mtu=self.mtu
            )
            at += _MTU_LEN
        for p in self.prefixes:
            _prefix.pack_fields(
                out,
                at,
                option_type=_PREFIX_T,
                length=_PREFIX_LEN // OPTION_UNIT,
                prefix_len=p.prefix_len,
                on_link=p.on_link,
                autonomous=p.autonomous,
                valid_lifetime=p.valid_lifetime,
                preferred_lifetime=p.preferred_lifetime,
                prefix=p.prefix,
            )
            at += _PREFIX_LEN
        nonce = self.nonce
        if nonce is not None:
            size = _OPT_LEN + len(nonce)
            if len(nonce) < NONCE_LEN or size % OPTION_UNIT or size > _MAX_OPTION:
                raise ValueError(
                    f"nonce must be {NONCE_LEN} octets plus a multiple of {OPTION_UNIT}, "
                    f"at most {_MAX_OPTION - _OPT_LEN}, not {len(nonce)}"
                )
            if len(nonce) == NONCE_LEN:
                _nonce.pack_fields(
                    out, at, option_type=_NONCE_T, length=_NONCE_LEN // OPTION_UNIT, nonce=nonce
                )
            else:
                # RFC 3971 5.3.2: a longer nonce fills its option (only 6 octets have a layout).
                out[at] = _NONCE_T
                out[at + 1] = size // OPTION_UNIT
                out[at + _OPT_LEN : at + size] = nonce
            at += size
        if checksum_caps.icmpv6 in COMPUTE_TX:
            body = buffer if len(buffer) == at else memoryview(buffer)[:at]
            fill_icmpv6_checksum(body, src_addr, dst_addr, csum)

    def __str__(self) -> str:
        name = {_RS_T: "RS", _RA_T: "RA", _NS_T: "NS", _NA_T: "NA", _REDIRECT_T: "redirect"}
        parts = [f"NDP {name[self.message]}"]
        if self.message in (_NS_T, _NA_T, _REDIRECT_T):
            parts.append(f"target={self.target_addr}")
        if self.message == _NA_T:
            flags = "R" * self.router + "S" * self.solicited + "O" * self.override
            parts.append(f"flags={flags or '-'}")
        if self.source_ll_addr is not None:
            parts.append(f"sll={self.source_ll_addr}")
        if self.target_ll_addr is not None:
            parts.append(f"tll={self.target_ll_addr}")
        if self.message == _RA_T:
            parts.append(f"lifetime={self.router_lifetime}")
        if self.mtu is not None:
            parts.append(f"mtu={self.mtu}")
        parts.extend(f"prefix={p.prefix}/{p.prefix_len}" for p in self.prefixes)
        if self.nonce is not None:
            parts.append(f"nonce={self.nonce.hex()}")
        return " ".join(parts)
