"""The interface's IPv6 addresses: which it has, which groups it listens to, which it sends from.

The IPv6 unicast addresses are the configured `Ipv6Cidr` ones plus, on Ethernet, the
link-local address formed from the MAC (RFC 4862 5.3). Pure functions of the hardware address
and the configured addresses, shared by ingress, neighbour solicitation and ICMPv6 errors.
"""

from __future__ import annotations

from smoltcp.wire import EthernetAddress, IpCidr, Ipv6Address

__all__ = ["ipv6_groups", "ipv6_unicast_addrs", "source_for"]

_ALL_NODES = Ipv6Address.LINK_LOCAL_ALL_NODES


def ipv6_unicast_addrs(
    hardware_addr: EthernetAddress | None, ip_addrs: tuple[IpCidr, ...]
) -> tuple[Ipv6Address, ...]:
    """Return the IPv6 unicast addresses: the link-local one first (with a hardware address)."""
    out: list[Ipv6Address] = []
    if hardware_addr is not None:
        out.append(Ipv6Address.link_local_from_ethernet(hardware_addr))
    out.extend(c.address for c in ip_addrs if type(c.address) is Ipv6Address)
    return tuple(dict.fromkeys(out))


def ipv6_groups(addrs: tuple[Ipv6Address, ...]) -> set[Ipv6Address]:
    """Return the multicast groups a host with ``addrs`` listens to (RFC 4861 7.2.1, RFC 4291
    2.8): all-nodes and the solicited-node group of each address."""
    groups = {_ALL_NODES}
    groups.update(Ipv6Address.solicited_node(a) for a in addrs)
    return groups


def source_for(dst: Ipv6Address, addrs: tuple[Ipv6Address, ...]) -> Ipv6Address:
    """Pick the source for ``dst`` from ``addrs`` (not empty): link-local for link-local
    peers, else the first global one."""
    if not dst.is_link_local:
        for a in addrs:
            if not a.is_link_local:
                return a
    return addrs[0]
