# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 5510cc01ba41cbe140ffe07e597cd248b1a4af3cb573a597312ab9748a0e3c2b
"""Code generated from ``spec/`` by ``python -m codegen``: offsets, enums and packet views.

Never edit these modules: change the spec or the templates and regenerate. The hand-written
modules of ``smoltcp.wire`` build on them.
"""

__all__ = [
    "arp",
    "ethernet",
    "frames",
    "icmpv4",
    "ipv4",
    "ipv4_fast",
    "tcp",
    "tcp_fast",
    "udp",
]
