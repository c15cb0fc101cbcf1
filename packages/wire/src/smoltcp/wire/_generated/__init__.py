# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 7e6a04475cd6d2463120bef4638cd83719759c135c3697d5c475ecdbdd44f680
"""Code generated from ``spec/`` by ``python -m codegen``: offsets, enums and packet views.

Never edit these modules: change the spec or the templates and regenerate. The hand-written
modules of ``smoltcp.wire`` build on them.
"""

__all__ = [
    "arp",
    "arp_fast",
    "ethernet",
    "ethernet_fast",
    "frames",
    "icmpv4",
    "ipv4",
    "ipv4_fast",
    "tcp",
    "tcp_fast",
    "udp",
    "udp_fast",
]
