# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 3358f88e4cf8a5f980bf64f8841e491e8226797189ed9f369797b165e9d6d68c
"""Code generated from ``spec/`` by ``python -m codegen``: offsets, enums and packet views.

Never edit these modules: change the spec or the templates and regenerate. The hand-written
modules of ``smoltcp.wire`` build on them.
"""

__all__ = [
    "arp",
    "ethernet",
    "icmpv4",
    "ipv4",
    "tcp",
    "udp",
]
