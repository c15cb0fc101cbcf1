# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: c036f41073d1ee7c19928d4108bb8237c017eec0ad5040e18b43519b14f16fbf
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
    "icmpv6",
    "igmp",
    "ipv4",
    "ipv4_fast",
    "ipv6",
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
