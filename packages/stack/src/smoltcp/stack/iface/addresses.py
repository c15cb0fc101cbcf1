"""The interface's IPv6 addresses: which it has, which groups it listens to, which it sends from.

The IPv6 unicast addresses are the configured `Ipv6Cidr` ones plus, on Ethernet, the
link-local address formed from the MAC (RFC 4862 5.3). Pure functions of the hardware address
and the configured addresses, shared by ingress, neighbour solicitation and ICMPv6 errors.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv6Address

__all__ = ["ipv6_groups", "ipv6_unicast_addrs", "source_for"]

_ALL_NODES = Ipv6Address.LINK_LOCAL_ALL_NODES


def ipv6_unicast_addrs(
    hardware_addr: EthernetAddress | None,
    ip_addrs: tuple[IpCidr, ...],
    unusable: Container[IpAddress] = (),
) -> tuple[Ipv6Address, ...]:
    """Return the IPv6 unicast addresses: the link-local one first (with a hardware address,
    unless it is in ``unusable``: under duplicate address detection or found duplicated)."""
    out: list[Ipv6Address] = []
    if hardware_addr is not None:
        ll = Ipv6Address.link_local_from_ethernet(hardware_addr)
        if ll not in unusable:
            out.append(ll)
    out.extend(c.address for c in ip_addrs if type(c.address) is Ipv6Address)
    return tuple(dict.fromkeys(out))


def ipv6_groups(
    addrs: Iterable[Ipv6Address], joined: Iterable[Ipv6Address] = ()
) -> set[Ipv6Address]:
    """Return the multicast groups a host with ``addrs`` listens to (RFC 4861 7.2.1, RFC 4291
    2.8): all-nodes, the solicited-node group of each address (pass the tentative ones too,
    RFC 4862 5.4.2) and the groups ``joined``."""
    groups = {_ALL_NODES, *joined}
    groups.update(Ipv6Address.solicited_node(a) for a in addrs)
    return groups


def source_for(
    dst: Ipv6Address, addrs: tuple[Ipv6Address, ...], deprecated: Container[IpAddress] = ()
) -> Ipv6Address:
    """Pick the source for ``dst`` from ``addrs`` (not empty): link-local for link-local
    peers, else the first global one not ``deprecated`` (RFC 6724 5 rule 3), else the first
    global one."""
    if not dst.is_link_local:
        fallback = None
        for a in addrs:
            if not a.is_link_local:
                if a not in deprecated:
                    return a
                fallback = fallback or a
        if fallback is not None:
            return fallback
    return addrs[0]
