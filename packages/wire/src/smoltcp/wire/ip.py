"""The IP-version-neutral representation that the stack uses everywhere.

`IpRepr` is the union of the per-version representations, `Ipv4Repr` and `Ipv6Repr`. Every
member has ``src_addr``, ``dst_addr``, ``next_header``, ``payload_len``, ``hop_limit``,
``version``, ``buffer_len()`` and ``emit(packet, checksum_caps, csum=...)``.
"""

from __future__ import annotations

from typing import Union

from ._generated.ipv4 import IpProtocol
from .address import IpAddress, Ipv4Address, Ipv6Address
from .ipv4 import Ipv4Repr
from .ipv6 import Ipv6Repr

__all__ = ["IpRepr", "ip_repr"]

IpRepr = Union[Ipv4Repr, Ipv6Repr]  # noqa: UP007 (a runtime alias)


def ip_repr(
    src_addr: IpAddress,
    dst_addr: IpAddress,
    next_header: IpProtocol,
    payload_len: int,
    hop_limit: int,
) -> IpRepr:
    """Return the representation of the IP version of the addresses; raise ValueError on a mix.

    An IPv4 header is built with Don't Fragment set, like the packets the stack sends.
    """
    if type(src_addr) is Ipv4Address and type(dst_addr) is Ipv4Address:
        return Ipv4Repr(src_addr, dst_addr, next_header, payload_len, hop_limit)
    if type(src_addr) is Ipv6Address and type(dst_addr) is Ipv6Address:
        return Ipv6Repr(src_addr, dst_addr, next_header, payload_len, hop_limit)
    raise ValueError(
        f"no IP representation for addresses {src_addr!r} and {dst_addr!r} (mixed versions?)"
    )
