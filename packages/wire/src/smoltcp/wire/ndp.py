"""Neighbor Discovery for IPv6 (RFC 4861): message views, options and `NdpRepr`.

`NdpRepr.parse_buffer` reads the body of an ICMPv6 message that `Icmpv6Repr` has already
checked (checksum included); `NdpRepr.emit_buffer` writes a whole ICMPv6 message with its
checksum. A hop limit other than 255 makes a message invalid (RFC 4861 6.1.1, 7.1.1), but the
hop limit is in the IP header: the stack checks it, not this module.
"""

from __future__ import annotations

from typing import NamedTuple

from ._generated.icmpv6 import Icmpv6Message
from ._generated.ndplladdr import HEADER as _LLADDR
from ._generated.ndplladdr import HEADER_LEN as _LLADDR_LEN
from ._generated.ndplladdr import NdpLinkLayerAddrOption
from ._generated.ndpmtu import HEADER as _MTU
from ._generated.ndpmtu import HEADER_LEN as _MTU_LEN
from ._generated.ndpmtu import NdpMtuOption
from ._generated.ndpnbr import HEADER as _NBR
from ._generated.ndpnbr import HEADER_LEN as _NBR_LEN
from ._generated.ndpnbr import OVERRIDE_MASK, ROUTER_MASK, SOLICITED_MASK, NdpNeighbor
from ._generated.ndpopt import HEADER_LEN as _OPT_LEN
from ._generated.ndpopt import OPTION_UNIT, PROTOCOL, NdpOption, NdpOptionType
from ._generated.ndpprefix import AUTONOMOUS_MASK, ON_LINK_MASK, NdpPrefixInfoOption
from ._generated.ndpprefix import HEADER as _PREFIX
from ._generated.ndpprefix import HEADER_LEN as _PREFIX_LEN
from ._generated.ndpra import HEADER as _RA
from ._generated.ndpra import HEADER_LEN as _RA_LEN
from ._generated.ndpra import MANAGED_MASK, OTHER_MASK, NdpRouterAdvert
from ._generated.ndpredirect import HEADER as _REDIRECT
from ._generated.ndpredirect import HEADER_LEN as _REDIRECT_LEN
from ._generated.ndpredirect import NdpRedirect
from ._generated.ndprs import HEADER as _RS
from ._generated.ndprs import HEADER_LEN as _RS_LEN
from ._generated.ndprs import NdpRouterSolicit
from .address import EthernetAddress, IpAddress, Ipv6Address, ethernet_from_octets, ipv6_from_packed
from .capabilities import COMPUTE_TX, ChecksumCapabilities
from .checksum import InternetSum, WritableBuffer, internet_sum
from .errors import MalformedPacket
from .icmpv6 import fill_icmpv6_checksum

__all__ = [
    "NdpLinkLayerAddrOption",
    "NdpMtuOption",
    "NdpNeighbor",
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
_RS_T = Icmpv6Message.ROUTER_SOLICIT
_RA_T = Icmpv6Message.ROUTER_ADVERT
_NS_T = Icmpv6Message.NEIGHBOR_SOLICIT
_NA_T = Icmpv6Message.NEIGHBOR_ADVERT
_REDIRECT_T = Icmpv6Message.REDIRECT
_SRC_LL = NdpOptionType.SOURCE_LL_ADDR
_TGT_LL = NdpOptionType.TARGET_LL_ADDR
_PREFIX_T = NdpOptionType.PREFIX_INFO
_MTU_T = NdpOptionType.MTU
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

    @staticmethod
    def parse_buffer(buffer: bytes | bytearray | memoryview) -> NdpRepr:
        """Return the NDP message in ``buffer`` (a whole ICMPv6 message); raise `MalformedPacket`.

        The checksum is not verified here (`Icmpv6Repr.parse_buffer` does). Raises on a
        non-zero code, truncation, an option of length 0 or past the message (RFC 4861 6.1).
        """
        n = len(buffer)
        if n < 1:
            raise MalformedPacket(PROTOCOL, "msg_type", "empty")
        message = Icmpv6Message(buffer[0])
        fixed = _FIXED.get(message)
        if fixed is None:
            raise MalformedPacket(PROTOCOL, "msg_type", f"{message!r} is not an NDP message")
        if n < fixed:
            raise MalformedPacket(PROTOCOL, "header", f"{n} octets, fewer than {fixed}")
        if buffer[1] != 0:
            raise MalformedPacket(PROTOCOL, "msg_code", f"{buffer[1]}, not 0 (RFC 4861)")
        fields: dict[str, object] = {}
        if message == _RA_T:
            _, _, _, hop, flags, lifetime, reachable, retrans = _RA.unpack_from(buffer)
            fields.update(
                cur_hop_limit=hop,
                managed=bool(flags & MANAGED_MASK),
                other=bool(flags & OTHER_MASK),
                router_lifetime=lifetime,
                reachable_time=reachable,
                retrans_time=retrans,
            )
        elif message in (_NS_T, _NA_T):
            _, _, _, flags, target = _NBR.unpack_from(buffer)
            fields["target_addr"] = ipv6_from_packed(target)
            if message == _NA_T:
                fields.update(
                    router=bool(flags & ROUTER_MASK),
                    solicited=bool(flags & SOLICITED_MASK),
                    override=bool(flags & OVERRIDE_MASK),
                )
        elif message == _REDIRECT_T:
            _, _, _, _, target, dst = _REDIRECT.unpack_from(buffer)
            fields["target_addr"] = ipv6_from_packed(target)
            fields["dst_addr"] = ipv6_from_packed(dst)
        prefixes: list[NdpPrefixInfo] = []
        at = fixed
        while at < n:
            if n - at < _OPT_LEN:
                raise MalformedPacket(PROTOCOL, "options", "option truncated")
            length = buffer[at + 1] * OPTION_UNIT
            if length == 0:
                raise MalformedPacket(PROTOCOL, "length", "option of length 0 (RFC 4861 4.6)")
            if at + length > n:
                raise MalformedPacket(PROTOCOL, "length", "option runs past the message")
            kind = buffer[at]
            if kind in (_SRC_LL, _TGT_LL) and length == _LLADDR_LEN:
                _, _, ll = _LLADDR.unpack_from(buffer, at)
                name = "source_ll_addr" if kind == _SRC_LL else "target_ll_addr"
                fields[name] = ethernet_from_octets(ll)
            elif kind == _MTU_T and length == _MTU_LEN:
                fields["mtu"] = _MTU.unpack_from(buffer, at)[3]
            elif kind == _PREFIX_T and length == _PREFIX_LEN:
                _, _, plen, flags, valid, preferred, _, prefix = _PREFIX.unpack_from(buffer, at)
                prefixes.append(
                    NdpPrefixInfo(
                        ipv6_from_packed(prefix),
                        plen,
                        bool(flags & ON_LINK_MASK),
                        bool(flags & AUTONOMOUS_MASK),
                        valid,
                        preferred,
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

        Raise ValueError for a Redirect: a host only receives them (RFC 4861 8).
        """
        message = self.message
        if message == _RS_T:
            _RS.pack_into(buffer, 0, message, 0, 0, 0)
        elif message == _RA_T:
            flags = (MANAGED_MASK if self.managed else 0) | (OTHER_MASK if self.other else 0)
            _RA.pack_into(
                buffer,
                0,
                message,
                0,
                0,
                self.cur_hop_limit,
                flags,
                self.router_lifetime,
                self.reachable_time,
                self.retrans_time,
            )
        elif message in (_NS_T, _NA_T):
            flags = 0
            if message == _NA_T:
                flags = (
                    (ROUTER_MASK if self.router else 0)
                    | (SOLICITED_MASK if self.solicited else 0)
                    | (OVERRIDE_MASK if self.override else 0)
                )
            _NBR.pack_into(buffer, 0, message, 0, 0, flags, self.target_addr.packed)
        else:
            raise ValueError(f"message must be RS, RA, NS or NA to emit, not {message!r}")
        at = _FIXED[message]
        for kind, ll in ((_SRC_LL, self.source_ll_addr), (_TGT_LL, self.target_ll_addr)):
            if ll is not None:
                _LLADDR.pack_into(buffer, at, kind, _LLADDR_LEN // OPTION_UNIT, ll.octets)
                at += _LLADDR_LEN
        if self.mtu is not None:
            _MTU.pack_into(buffer, at, _MTU_T, _MTU_LEN // OPTION_UNIT, 0, self.mtu)
            at += _MTU_LEN
        for p in self.prefixes:
            flags = (ON_LINK_MASK if p.on_link else 0) | (AUTONOMOUS_MASK if p.autonomous else 0)
            _PREFIX.pack_into(
                buffer,
                at,
                _PREFIX_T,
                _PREFIX_LEN // OPTION_UNIT,
                p.prefix_len,
                flags,
                p.valid_lifetime,
                p.preferred_lifetime,
                0,
                p.prefix.packed,
            )
            at += _PREFIX_LEN
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
        return " ".join(parts)
