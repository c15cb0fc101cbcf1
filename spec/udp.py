"""UDP header (RFC 768)."""

from construct import Int16ub, Struct

PROTOCOL = "udp"
VIEW = "UdpPacket"

HEADER = Struct(
    "src_port" / Int16ub * "Source Port (RFC 768)",
    "dst_port" / Int16ub * "Destination Port (RFC 768)",
    "len" / Int16ub * "Length of header and data, in octets (RFC 768)",
    "checksum" / Int16ub * "Checksum over pseudo header, header and data; 0 is none (RFC 768)",
)
