# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 396c04589716113cf60bee76e8613186bed1e5c65dec14f66a94ce75664aeb37
"""Code generated from ``spec/`` by ``python -m codegen``: offsets, enums and packet views.

Never edit these modules: change the spec or the templates and regenerate. The hand-written
modules of ``smoltcp.wire`` build on them.
"""

__all__ = [
    "arp",
    "dhcpv4",
    "dns",
    "ethernet",
    "frames",
    "icmpv4",
    "icmpv6",
    "igmp",
    "ipv4",
    "ipv4_fast",
    "ipv6",
    "ipv6ext",
    "ipv6frag",
    "ipv6option",
    "ipv6routing",
    "mldv2",
    "mldv2record",
    "ndplladdr",
    "ndpmtu",
    "ndpnbr",
    "ndpopt",
    "ndpprefix",
    "ndpra",
    "ndpredirect",
    "ndprs",
    "tcp",
    "tcp_fast",
    "udp",
]
