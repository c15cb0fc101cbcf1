"""The generated header layouts, for the code that patches frames in place (GSO, GRO, TSO).

Each name is a module generated from ``spec/``: ``layout.tcp.SEQ_NUMBER_AT``,
``layout.ipv4.HEADER_LEN``, ``layout.ethernet.WORDS``, ``layout.frames.TCP_FRAME_TCP_AT``.
Offsets, lengths, masks and ``struct`` formats outside ``smoltcp.wire`` come from here, never
from literals, so that a layout changed in the spec reaches every path that touches octets.
"""

from ._generated import arp, ethernet, frames, icmpv4, icmpv6, ipv4, ipv6, ipv6frag, tcp, udp

__all__ = [
    "arp",
    "ethernet",
    "frames",
    "icmpv4",
    "icmpv6",
    "ipv4",
    "ipv6",
    "ipv6frag",
    "tcp",
    "udp",
]
