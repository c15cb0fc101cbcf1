# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: cd0172e1bf5e57a95639f49d6bd62ee5b9102817f9bb490e837feaef62afd239
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
