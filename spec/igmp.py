"""IGMPv2 message (RFC 2236 section 2)."""

from construct import Enum, Int8ub, Int16ub, Struct

from ._common import Checksum, Ipv4AddressField, Keep, Representation

PROTOCOL = "igmp"
VIEW = "IgmpPacket"

#: The all-systems group every host belongs to, 224.0.0.1 (RFC 1112 4).
ALL_SYSTEMS = 0xE0000001
#: The all-routers group that Leave Group messages go to, 224.0.0.2 (RFC 2236 3).
ALL_ROUTERS = 0xE0000002

IgmpMessage = (
    Enum(
        Int8ub,
        MEMBERSHIP_QUERY=0x11,  # RFC 2236 2.1 Membership Query
        V1_MEMBERSHIP_REPORT=0x12,  # RFC 1112 Version 1 Membership Report
        V2_MEMBERSHIP_REPORT=0x16,  # RFC 2236 2.1 Version 2 Membership Report
        LEAVE_GROUP=0x17,  # RFC 2236 2.1 Leave Group
        V3_MEMBERSHIP_REPORT=0x22,  # RFC 3376 4.2 Version 3 Membership Report
    )
    * "IGMP message type (RFC 2236 2.1, RFC 3376)"
)

HEADER = Struct(
    "msg_type" / IgmpMessage * "Type of the message (RFC 2236 2.1)",
    "max_resp_time" / Int8ub * "Max Response Time of a query, in 1/10 s (RFC 2236 2.2)",
    "checksum" / Int16ub * "Checksum of the whole IGMP message (RFC 2236 2.3)",
    "group_addr" / Ipv4AddressField() * "Group Address; zero in a General Query (RFC 2236 2.4)",
)

# IGMP has no checksum offload: the checksum is always verified and computed.
REPR = Representation(
    "IgmpRepr",
    fields=(Keep("message", "msg_type"), Keep("max_resp_time"), Keep("group_addr")),
    checksum=Checksum("checksum", covers="message", caps=""),
)
