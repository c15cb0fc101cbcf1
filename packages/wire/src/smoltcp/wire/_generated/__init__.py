# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 909186797b3e37b8a124922e3ff7728da9fc864628f35a3cbf7a00a37552c638
"""Code generated from ``spec/`` by ``python -m codegen``: offsets, enums and packet views.

Never edit these modules: change the spec or the templates and regenerate. The hand-written
modules of ``smoltcp.wire`` build on them.
"""

__all__ = [
    "arp",
    "arp_fast",
    "dhcpv4",
    "dns",
    "ethernet",
    "ethernet_fast",
    "frames",
    "icmpv4",
    "icmpv4_fast",
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
    "udp_fast",
]
