"""Which ARP packets the neighbour cache may believe.

ARP has no checksum and no authentication: one corrupted octet in a sender hardware address
creates an entry that sends every reply into the void. A packet at odds with itself or with
our configuration therefore creates no neighbour entry and moves none. `arp_refusal` says
why, as the drop reason the interface counts; `arp_may_create` says whether a believable
packet may add an entry for an unknown sender.
"""

from __future__ import annotations

from collections.abc import Callable, Container

from smoltcp.wire import IpAddress

__all__ = ["ARP_REFUSALS", "arp_may_create", "arp_refusal"]

ARP_REFUSALS = (
    "arp-sender-mismatch",
    "arp-sender-unspecified",
    "arp-sender-ours",
    "arp-sender-broadcast",
    "arp-sender-multicast",
    "arp-sender-off-link",
)
"""Every reason `arp_refusal` returns (each a drop reason of `Counters.dropped`)."""


def arp_refusal(
    sender_hardware_addr: bytes,
    sender_protocol_addr: IpAddress,
    frame_src: bytes | None,
    our_addrs: Container[IpAddress],
    broadcasts: Container[IpAddress],
    on_link: Callable[[IpAddress], bool],
) -> str | None:
    """Return why an ARP packet must not create or move a neighbour entry, or None.

    - ``arp-sender-mismatch``: the sender hardware address is not the frame's source
      (``frame_src``; None when the medium has no source address, which skips the check);
    - ``arp-sender-unspecified``: sender 0.0.0.0 (an RFC 5227 probe: nobody to learn);
    - ``arp-sender-ours``: the sender claims one of ``our_addrs`` (a conflict, or our own
      packet looped back);
    - ``arp-sender-broadcast``: the limited broadcast or one of our subnets' ``broadcasts``;
    - ``arp-sender-multicast``: a multicast (or reserved class E) address;
    - ``arp-sender-off-link``: outside every one of our subnets (``on_link`` false).

    Pure: it reads its arguments only.
    """
    if frame_src is not None and bytes(sender_hardware_addr) != bytes(frame_src):
        return "arp-sender-mismatch"
    spa = sender_protocol_addr
    if spa.is_unspecified:
        return "arp-sender-unspecified"
    if spa in our_addrs:
        return "arp-sender-ours"
    if spa.is_broadcast or spa in broadcasts:
        return "arp-sender-broadcast"
    if spa.is_multicast or (spa.version == 4 and spa.packed[0] >= 240):
        return "arp-sender-multicast"
    if not on_link(spa):
        return "arp-sender-off-link"
    return None


def arp_may_create(
    sender_protocol_addr: IpAddress,
    target_protocol_addr: IpAddress,
    for_us: bool,
    accept_gratuitous: bool,
) -> bool:
    """Return whether a believable ARP packet may create an entry for an unknown sender.

    A request or reply addressed to us may (RFC 826: we are likely to talk back). A
    gratuitous announcement (sender and target protocol addresses equal, RFC 5227 3) may
    only when ``accept_gratuitous`` (Linux's ``arp_accept``): otherwise it only updates an
    entry that exists. Any other packet (a request for someone else) may not.
    """
    if for_us:
        return True
    return accept_gratuitous and sender_protocol_addr == target_protocol_addr
