# Generated from codegen by codegen/templates/__init__.py.j2 - DO NOT EDIT. inputs-sha256: 468bce57c6ab45c4f5dd8d7207ff1c951dadf08e3ba9cb2fd1e0baf54bf60881
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
