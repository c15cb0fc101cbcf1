# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 1e256453e89af00663759dedd5ce5138ba337135fec7071018283130d461543e
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
