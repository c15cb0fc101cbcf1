"""DHCPv4 message, fixed part (RFC 2131 section 2, BOOTP of RFC 951), and the magic cookie.

The options that follow the cookie are a TLV sequence (RFC 2132) walked by hand in
``smoltcp.wire.dhcpv4``: only the fixed-size part is a layout.
"""

from construct import (
    BitsInteger,
    BitStruct,
    Bytes,
    Enum,
    Flag,
    GreedyBytes,
    Int8ub,
    Int16ub,
    Int32ub,
    Struct,
)

from ._common import EthernetAddressField, Ipv4AddressField

PROTOCOL = "dhcpv4"
VIEW = "DhcpPacket"

#: The magic cookie that starts the options field, 99.130.83.99 (RFC 2131 section 3).
MAGIC_COOKIE = 0x63825363
#: UDP port of DHCP servers (RFC 2131 section 4.1).
SERVER_PORT = 67
#: UDP port of DHCP clients (RFC 2131 section 4.1).
CLIENT_PORT = 68
#: Octets of a message a client must be able to receive: 576-octet IP datagram (RFC 2131 2).
MIN_MESSAGE_LEN = 548

DhcpOpCode = (
    Enum(
        Int8ub,
        BOOTREQUEST=1,  # RFC 951, RFC 2131 section 2
        BOOTREPLY=2,  # RFC 951, RFC 2131 section 2
    )
    * "Message op code (RFC 2131 section 2)"
)

DhcpMessageType = (
    Enum(
        Int8ub,
        DISCOVER=1,  # RFC 2132 9.6 DHCPDISCOVER
        OFFER=2,  # RFC 2132 9.6 DHCPOFFER
        REQUEST=3,  # RFC 2132 9.6 DHCPREQUEST
        DECLINE=4,  # RFC 2132 9.6 DHCPDECLINE
        ACK=5,  # RFC 2132 9.6 DHCPACK
        NAK=6,  # RFC 2132 9.6 DHCPNAK
        RELEASE=7,  # RFC 2132 9.6 DHCPRELEASE
        INFORM=8,  # RFC 2132 9.6 DHCPINFORM
    )
    * "DHCP Message Type, option 53 (RFC 2132 section 9.6)"
)

DhcpOption = (
    Enum(
        Int8ub,
        PAD=0,  # RFC 2132 3.1
        SUBNET_MASK=1,  # RFC 2132 3.3
        ROUTER=3,  # RFC 2132 3.5
        DOMAIN_NAME_SERVER=6,  # RFC 2132 3.8
        HOST_NAME=12,  # RFC 2132 3.14
        DOMAIN_NAME=15,  # RFC 2132 3.17
        INTERFACE_MTU=26,  # RFC 2132 5.1
        BROADCAST_ADDRESS=28,  # RFC 2132 5.3
        REQUESTED_IP=50,  # RFC 2132 9.1
        LEASE_TIME=51,  # RFC 2132 9.2
        OVERLOAD=52,  # RFC 2132 9.3
        MESSAGE_TYPE=53,  # RFC 2132 9.6
        SERVER_IDENTIFIER=54,  # RFC 2132 9.7
        PARAMETER_REQUEST_LIST=55,  # RFC 2132 9.8
        MESSAGE=56,  # RFC 2132 9.9
        MAX_MESSAGE_SIZE=57,  # RFC 2132 9.10
        RENEWAL_TIME=58,  # RFC 2132 9.11 T1
        REBINDING_TIME=59,  # RFC 2132 9.12 T2
        CLIENT_IDENTIFIER=61,  # RFC 2132 9.14
        END=255,  # RFC 2132 3.2
    )
    * "DHCP option codes (RFC 2132)"
)

HEADER = Struct(
    "op" / DhcpOpCode * "Message op code: BOOTREQUEST or BOOTREPLY (RFC 2131 section 2)",
    "htype" / Int8ub * "Hardware address type, 1 for Ethernet (RFC 2131 section 2)",
    "hlen" / Int8ub * "Hardware address length, 6 for Ethernet (RFC 2131 section 2)",
    "hops" / Int8ub * "Relay agent hops, zero from a client (RFC 2131 section 2)",
    "xid" / Int32ub * "Transaction ID chosen by the client (RFC 2131 section 2)",
    "secs" / Int16ub * "Seconds since the client began acquisition or renewal (RFC 2131 2)",
    "flags"
    / BitStruct(
        "broadcast" / Flag * "BROADCAST: the client cannot take unicast yet (RFC 2131 2)",
        "reserved" / BitsInteger(15) * "Reserved, must be zero (RFC 2131 section 2)",
    )
    * "Flags (RFC 2131 section 2, figure 2)",
    "ciaddr" / Ipv4AddressField() * "Client IP address when bound or renewing (RFC 2131 2)",
    "yiaddr" / Ipv4AddressField() * "'your' (client) IP address offered (RFC 2131 section 2)",
    "siaddr" / Ipv4AddressField() * "Next server for bootstrap (RFC 2131 section 2)",
    "giaddr" / Ipv4AddressField() * "Relay agent IP address (RFC 2131 section 2)",
    "chaddr" / EthernetAddressField() * "Client hardware address (RFC 2131 section 2)",
    "chaddr_pad" / Bytes(10) * "Rest of the 16-octet chaddr field (RFC 2131 section 2)",
    "sname" / Bytes(64) * "Optional server host name, or options (RFC 2131 2, RFC 2132 9.3)",
    "file" / Bytes(128) * "Boot file name, or options (RFC 2131 2, RFC 2132 9.3)",
    "magic" / Int32ub * "Magic cookie 99.130.83.99 that starts the options (RFC 2131 3)",
    "options" / GreedyBytes * "Options, a TLV sequence up to END (RFC 2131 2, RFC 2132)",
)
