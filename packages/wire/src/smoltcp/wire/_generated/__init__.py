# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 00606318fb06c08cf099852cd63577a4f676028d5d98b0e1f21a34834847a41f
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
    "igmp",
    "ipv4",
    "ipv4_fast",
    "tcp",
    "tcp_fast",
    "udp",
]
