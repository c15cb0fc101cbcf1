"""UDP header (RFC 768)."""

from construct import Int16ub, Struct

from ._common import Checksum, Keep, Representation

PROTOCOL = "udp"
VIEW = "UdpPacket"

HEADER = Struct(
    "src_port" / Int16ub * "Source Port (RFC 768)",
    "dst_port" / Int16ub * "Destination Port (RFC 768)",
    "len" / Int16ub * "Length of header and data, in octets (RFC 768)",
    "checksum" / Int16ub * "Checksum over pseudo header, header and data; 0 is none (RFC 768)",
)

#: The protocol number in the pseudo header (RFC 768, IANA).
PSEUDO_PROTOCOL = 17

REPR = Representation(
    "UdpRepr",
    fields=(
        Keep("src_port"),
        Keep("dst_port"),
    ),
    checksum=Checksum("checksum", covers="pseudo-header", caps="udp", protocol=PSEUDO_PROTOCOL),
    length="len",
)
