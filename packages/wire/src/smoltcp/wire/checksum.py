"""The Internet checksum (RFC 1071) and the seam through which a faster kernel is passed in.

Every function of `smoltcp.wire` that computes or verifies a checksum takes a keyword
``csum: InternetSum = internet_sum``. The reference below is pure Python; the stack passes its
compiled kernel there (never by patching this module).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from .address import IpAddress

__all__ = ["Buffer", "InternetSum", "WritableBuffer", "internet_sum", "pseudo_header_sum"]

# A runtime alias, so the Union spelling (the | form needs Python 3.10 at run time anyway).
Buffer = Union[bytes, bytearray, memoryview]  # noqa: UP007
"""Any contiguous octets."""

WritableBuffer = Union[bytearray, memoryview]  # noqa: UP007
"""Octets that emit and fill_checksum write into (a bytearray or a writable memoryview)."""

InternetSum = Callable[[Buffer, int], int]
"""``csum(data, initial) -> int``: the contract of `internet_sum`."""

_from_bytes = int.from_bytes


def internet_sum(data: Buffer, initial: int = 0) -> int:
    """Return the 16-bit one's complement sum of ``data`` plus ``initial``, folded, not inverted.

    ``data`` is read as big-endian 16-bit words, an odd length padded with one zero octet
    (RFC 1071 section 4.1); ``initial`` is a non-negative int (a partial sum, such as a
    pseudo-header sum). The result is in [0, 0xffff]; it is 0 only when every word and
    ``initial`` are zero. Callers complement it to fill a checksum field and compare it with
    0xffff to verify one.
    """
    # Read the whole buffer as one big integer: since 2**16 == 1 (mod 0xffff), the integer is
    # congruent to the sum of its 16-bit words modulo 0xffff, which is exactly what the
    # end-around carry of one's complement addition computes. The one difference: a non-zero
    # sum that is a multiple of 0xffff folds to 0xffff (one's complement "negative zero"), not 0.
    n = _from_bytes(data, "big")
    if len(data) & 1:
        n <<= 8
    n += initial
    r = n % 0xFFFF
    if r == 0 and n != 0:
        return 0xFFFF
    return r


def pseudo_header_sum(
    src_addr: IpAddress,
    dst_addr: IpAddress,
    protocol: int,
    length: int,
    csum: InternetSum = internet_sum,
) -> int:
    """Return the folded sum of the TCP/UDP pseudo header (RFC 9293 3.1, RFC 768).

    For IPv4 the pseudo header is source address, destination address, a zero octet, the
    protocol number and the 16-bit TCP/UDP length. The result feeds ``initial`` of the sum over
    the segment. ``csum`` is accepted for a uniform signature, but these 12 octets are summed
    with integer arithmetic, which is cheaper than any call into a kernel.
    """
    # An address's big-endian value (the ``_int`` slot every IpAddress keeps) is congruent to
    # the sum of its 16-bit words modulo 0xffff (see internet_sum).
    n = src_addr._int + dst_addr._int + protocol + length
    r = n % 0xFFFF
    if r == 0 and n != 0:
        return 0xFFFF
    return r
