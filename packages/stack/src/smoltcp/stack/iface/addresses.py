"""The interface's IPv6 addresses: which it has, which groups it listens to, which it sends from.

The IPv6 unicast addresses are the configured `Ipv6Cidr` ones plus, on Ethernet, the
link-local address formed from the MAC (RFC 4862 5.3). Pure functions of the hardware address
and the configured addresses, shared by ingress, neighbour solicitation and ICMPv6 errors.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv6Address

__all__ = ["ipv6_groups", "ipv6_unicast_addrs", "scope", "select_source", "source_for"]

_ALL_NODES = Ipv6Address.LINK_LOCAL_ALL_NODES
_SCOPE_LINK_LOCAL = 2
_SCOPE_SITE_LOCAL = 5
_SCOPE_GLOBAL = 14
_SITE_LOCAL_PREFIX = 0x3FB  # fec0::/10, the first 10 bits


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


def scope(addr: Ipv6Address) -> int:
    """Return the scope of ``addr`` (RFC 6724 3.1), as the multicast scope values of RFC 4291
    2.7: a multicast address's own field; 2 (link-local) for link-local unicast and the
    loopback address; 5 (site-local) for the deprecated fec0::/10; 14 (global) for the rest,
    unique-local addresses included (RFC 4193 3.3)."""
    mc = addr.multicast_scope
    if mc is not None:
        return int(mc)
    if addr.is_link_local or addr.is_loopback:
        return _SCOPE_LINK_LOCAL
    if int(addr) >> 118 == _SITE_LOCAL_PREFIX:
        return _SCOPE_SITE_LOCAL
    return _SCOPE_GLOBAL


def select_source(
    dst: Ipv6Address,
    candidates: Iterable[tuple[Ipv6Address, int]],
    deprecated: Container[IpAddress] = (),
) -> Ipv6Address | None:
    """Pick the source address for ``dst`` among ``candidates`` (address, prefix length in
    bits) by RFC 6724 5: rule 1 (``dst`` itself), rule 2 (the smallest scope that reaches
    ``dst``'s, else the largest), rule 3 (avoid ``deprecated``), rule 8 (the longest prefix in
    common with ``dst``, counted up to the candidate's prefix length); earlier candidates win
    ties. Rules 4 to 7 do not apply (no home, mobile or temporary addresses, one interface,
    no labels). Return None for no candidates."""
    dst_scope = scope(dst)
    dst_int = int(dst)
    best = None
    best_key: tuple[int, bool, int] | None = None
    for addr, prefix_len in candidates:
        if addr == dst:
            return addr  # rule 1
        s = scope(addr)
        # Rule 2 as one key: scopes that reach dst's first, the smallest of them; then the
        # others, the largest first.
        scope_key = s if s >= dst_scope else 16 + (16 - s)
        common = 128 - (int(addr) ^ dst_int).bit_length()
        key = (scope_key, addr in deprecated, -min(common, prefix_len))
        if best_key is None or key < best_key:
            best, best_key = addr, key
    return best


def source_for(
    dst: Ipv6Address, addrs: tuple[Ipv6Address, ...], deprecated: Container[IpAddress] = ()
) -> Ipv6Address:
    """Pick the source for ``dst`` from ``addrs`` (not empty) by `select_source`, every
    address taken with a 64-bit interface identifier (RFC 4291 2.5.1)."""
    found = select_source(dst, ((a, 64) for a in addrs), deprecated)
    assert found is not None  # addrs is not empty
    return found
