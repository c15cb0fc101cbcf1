# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 322b7e14061eb2b2f9ade13cafec1224e4124e25dfe3c1a3b40d42726acf0f34
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
