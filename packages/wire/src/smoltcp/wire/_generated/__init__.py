# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 9b6869d7fb94dc517297bb96900dda49329c207c75bdb36a1b305df9d3dadd3c
"""Code generated from ``spec/`` by ``python -m codegen``: offsets, enums and packet views.

Never edit these modules: change the spec or the templates and regenerate. The hand-written
modules of ``smoltcp.wire`` build on them.
"""

__all__ = [
    "arp",
    "arp_fast",
    "dhcpv4",
    "dns",
    "dnsquestion",
    "dnsrecord",
    "ethernet",
    "ethernet_fast",
    "frames",
    "icmpv4",
    "icmpv4_fast",
    "icmpv6",
    "icmpv6_fast",
    "igmp",
    "igmp_fast",
    "ipv4",
    "ipv4_fast",
    "ipv6",
    "ipv6_fast",
    "ipv6ext",
    "ipv6frag",
    "ipv6option",
    "ipv6routing",
    "mldquery",
    "mldv2",
    "mldv2record",
    "ndplladdr",
    "ndpmtu",
    "ndpnbr",
    "ndpnonce",
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
