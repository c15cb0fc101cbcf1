# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 698adf6b767edf8615101558b5f1dd365d8ecf9e86727a935bd8ee92dbb73f8f
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
