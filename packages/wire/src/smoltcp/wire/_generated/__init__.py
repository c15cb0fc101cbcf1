# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: a9681a0a2d06dbac7707ff5660bf743f923ce579f2ef16095e24f6b1be1f7cf3
"""Code generated from ``spec/`` by ``python -m codegen``: offsets, enums and packet views.

Never edit these modules: change the spec or the templates and regenerate. The hand-written
modules of ``smoltcp.wire`` build on them.
"""

__all__ = [
    "arp",
    "ethernet",
    "frames",
    "icmpv4",
    "icmpv6",
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
