# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: b9a90ec2715b65efc9e7c8ca17eee48d301002483838c4b619205a3f739eadfa
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
