# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: b49d95d1c24b930932b497535c72e63cb9cb24cd78964dccd256415a5d1d71fa
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
