"""Fast-path frame profiles: the frame shapes most packets of a TCP stream have.

Each `Profile` gets a one-call parse and emit (``parse_<name>``/``emit_<name>``) and a frame
template (the offsets software GSO and TSO patch), generated into
``smoltcp.wire._generated.frames``. The shape is the one Linux (and this stack) sends on an
established connection: IPv4 without options, not a fragment, TCP with NOP NOP Timestamps alone
(RFC 7323 appendix A layout).
"""

from ._common import Layer, OneOf, Profile

_IPV4 = Layer(
    "ipv4",
    fixed={
        "version": 4,
        "header_len": 20,
        "next_header": "TCP",
        "more_frags": False,
        "frag_offset": 0,
    },
)
_TCP_TS = Layer("tcp", fixed={"header_len": 32}, options=("NOP", "NOP", "TIMESTAMP"))

PROFILES = (
    Profile(
        "tcp_frame",
        "Ethernet II + IPv4 without options + TCP with NOP NOP Timestamps",
        (Layer("ethernet", fixed={"ethertype": "IPV4"}), _IPV4, _TCP_TS),
    ),
    Profile(
        "tcp_packet",
        "IPv4 without options + TCP with NOP NOP Timestamps, on the IP medium (no link header)",
        (_IPV4, _TCP_TS),
    ),
)

# One header each: the per-layer ``parse_buffer``/``emit_buffer`` of its representation, for the
# same common shapes, generated into ``smoltcp.wire._generated.<spec>_fast``. Any other input
# goes to the hand-written module's ``_parse_general``/``_emit_general``.
LAYER_PROFILES = (
    Profile(
        "ipv4",
        "An IPv4 header without options",
        (Layer("ipv4", fixed={"version": 4, "header_len": 20}),),
    ),
    Profile("tcp", "A TCP header with NOP NOP Timestamps alone", (_TCP_TS,)),
    Profile("udp", "A UDP datagram", (Layer("udp"),)),
    Profile(
        "arp",
        "An ARP packet for IPv4 over Ethernet",
        (
            Layer(
                "arp",
                fixed={
                    "hardware_type": "ETHERNET",
                    "protocol_type": "IPV4",
                    "hardware_len": 6,
                    "protocol_len": 4,
                },
            ),
        ),
    ),
    Profile("ethernet", "An Ethernet II header seen before", (Layer("ethernet"),)),
    Profile(
        "ipv6",
        "An IPv6 fixed header (extension headers are its payload)",
        (Layer("ipv6", fixed={"version": 6}),),
    ),
    Profile(
        "icmpv6",
        "An ICMPv6 echo request or reply",
        (
            Layer(
                "icmpv6",
                fixed={"msg_type": OneOf("ECHO_REQUEST", "ECHO_REPLY"), "msg_code": 0},
            ),
        ),
    ),
    Profile("igmp", "An IGMP message (its first 8 octets)", (Layer("igmp"),)),
    Profile(
        "icmpv4",
        "An ICMPv4 echo request or reply",
        (
            Layer(
                "icmpv4",
                fixed={"msg_type": OneOf("ECHO_REQUEST", "ECHO_REPLY"), "msg_code": 0},
            ),
        ),
    ),
)
