# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 592662bf820065a5cf82139524aaecdd168f452e774f2b8f7f7fc8974a4a2dbe
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
