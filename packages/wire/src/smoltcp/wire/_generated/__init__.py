# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 5e7f9522ca872d12fd9cfa58dded1b00bff08904151bb00884d28e9bbdd3c772
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
    "tcp",
    "udp",
]
