"""TCP header and options (RFC 9293 section 3.1; ECN flags RFC 3168, NS RFC 3540).

Options (RFC 9293 3.2): End of Option List, No-Operation and Maximum Segment Size (RFC 9293),
Window Scale and Timestamps (RFC 7323), SACK-Permitted and SACK (RFC 2018); any other kind is
kept as kind, length and data.
"""

from construct import (
    Array,
    BitsInteger,
    BitStruct,
    Bytes,
    Check,
    Const,
    Enum,
    Flag,
    GreedyRange,
    Int8ub,
    Int16ub,
    Int32ub,
    Pass,
    Struct,
    Switch,
    this,
)

from ._common import (
    Checksum,
    FromOption,
    Keep,
    Lookup,
    Payload,
    Representation,
    Scaled,
    TcpSeqNumberField,
    WhenFlag,
)

PROTOCOL = "tcp"
VIEW = "TcpPacket"

#: The header length without options (RFC 9293: Data Offset >= 5).
MIN_HEADER_LEN = 20
#: The largest header: Data Offset is four bits of 32-bit words (RFC 9293 3.1).
MAX_HEADER_LEN = 60
#: At most four SACK blocks fit in the 40 octets of option space (RFC 2018 section 3).
SACK_MAX_BLOCKS = 4

TcpOptionKind = (
    Enum(
        Int8ub,
        EOL=0,  # RFC 9293 3.2 End of Option List
        NOP=1,  # RFC 9293 3.2 No-Operation
        MSS=2,  # RFC 9293 3.2 Maximum Segment Size
        WS=3,  # RFC 7323 2.2 Window Scale
        SACK_PERMITTED=4,  # RFC 2018 2 SACK-Permitted
        SACK=5,  # RFC 2018 3 SACK
        TIMESTAMP=8,  # RFC 7323 3.2 Timestamps
    )
    * "TCP option kind (RFC 9293 3.2, IANA TCP option kind numbers)"
)

HEADER = Struct(
    "src_port" / Int16ub * "Source Port (RFC 9293 3.1)",
    "dst_port" / Int16ub * "Destination Port (RFC 9293 3.1)",
    "seq_number" / TcpSeqNumberField() * "Sequence Number (RFC 9293 3.1)",
    "ack_number" / TcpSeqNumberField() * "Acknowledgment Number, valid if ACK (RFC 9293 3.1)",
    "flags"
    / BitStruct(
        "header_len" / Scaled(BitsInteger(4), 4) * "Data Offset, in 32-bit words (RFC 9293 3.1)",
        "reserved" / BitsInteger(3) * "Reserved, must be zero (RFC 9293 3.1)",
        "ns" / Flag * "NS: ECN-nonce concealment protection (RFC 3540, historic)",
        "cwr" / Flag * "CWR: Congestion Window Reduced (RFC 3168 6.1)",
        "ece" / Flag * "ECE: ECN-Echo (RFC 3168 6.1)",
        "urg" / Flag * "URG: Urgent pointer field is significant (RFC 9293 3.1)",
        "ack" / Flag * "ACK: Acknowledgment field is significant (RFC 9293 3.1)",
        "psh" / Flag * "PSH: Push function (RFC 9293 3.1)",
        "rst" / Flag * "RST: Reset the connection (RFC 9293 3.1)",
        "syn" / Flag * "SYN: Synchronize sequence numbers (RFC 9293 3.1)",
        "fin" / Flag * "FIN: No more data from sender (RFC 9293 3.1)",
    )
    * "Data Offset, Reserved and Control Bits (RFC 9293 3.1)",
    "window_len" / Int16ub * "Window, unscaled (RFC 9293 3.1, RFC 7323 2)",
    "checksum" / Int16ub * "Checksum over pseudo header, header and data (RFC 9293 3.1)",
    "urgent_at" / Int16ub * "Urgent Pointer, offset from the sequence number (RFC 9293 3.1)",
    "options" / Bytes(this.flags.header_len - 20) * "Options, up to Data Offset (RFC 9293 3.2)",
)

SACK_BLOCK = Struct(
    "left" / Int32ub * "Left Edge of Block: first sequence number of the block (RFC 2018 3)",
    "right" / Int32ub * "Right Edge of Block: sequence number after the block (RFC 2018 3)",
)

#: One option; its length octet counts kind and length octets too (RFC 9293 3.2).
OPTION = Struct(
    "kind" / TcpOptionKind * "Option kind (RFC 9293 3.2, IANA TCP option kind numbers)",
    "body"
    / Switch(
        this.kind,
        {
            "EOL": Pass,
            "NOP": Pass,
            "MSS": Struct(
                "length" / Const(4, Int8ub) * "Length, always 4 (RFC 9293 3.2)",
                "max_seg_size" / Int16ub * "Maximum Segment Size, in octets (RFC 9293 3.2)",
            ),
            "WS": Struct(
                "length" / Const(3, Int8ub) * "Length, always 3 (RFC 7323 2.2)",
                "shift_cnt" / Int8ub * "Window scale shift count, at most 14 (RFC 7323 2.3)",
            ),
            "SACK_PERMITTED": Struct(
                "length" / Const(2, Int8ub) * "Length, always 2 (RFC 2018 2)",
            ),
            "SACK": Struct(
                "length" / Int8ub * "Length: 2 + 8 per block, 1 to 4 blocks (RFC 2018 3)",
                Check((this.length - 2) % 8 == 0) * "Whole blocks only (RFC 2018 3)",
                Check(this.length >= 10) * "At least one block (RFC 2018 3)",
                Check(this.length <= 2 + 8 * SACK_MAX_BLOCKS) * "At most four blocks (RFC 2018 3)",
                "blocks" / Array((this.length - 2) // 8, SACK_BLOCK) * "SACK blocks (RFC 2018 3)",
            ),
            "TIMESTAMP": Struct(
                "length" / Const(10, Int8ub) * "Length, always 10 (RFC 7323 3.2)",
                "tsval" / Int32ub * "Timestamp Value (RFC 7323 3.2)",
                "tsecr" / Int32ub * "Timestamp Echo Reply (RFC 7323 3.2)",
            ),
        },
        default=Struct(
            "length" / Int8ub * "Length, including kind and length octets (RFC 9293 3.2)",
            "data" / Bytes(this.length - 2) * "Option data of an unknown kind (RFC 9293 3.2)",
        ),
    )
    * "The option's body, by kind (RFC 9293 3.2)",
)

#: The options area: options until the data offset (EOL padding included).
OPTIONS = GreedyRange(OPTION)

#: Option sequences the Linux kernel writes (tcp_options_write), laid out as words after the
#: fixed header: NOP NOP Timestamps on every segment of an established connection,
#: SACK-Permitted + Timestamps and NOP NOP SACK-Permitted on a SYN (RFC 7323 appendix A).
OPTION_RUNS = {
    "NOP_NOP_TS": ("NOP", "NOP", "TIMESTAMP"),
    "SACKPERM_TS": ("SACK_PERMITTED", "TIMESTAMP"),
    "NOP_NOP_SACKPERM": ("NOP", "NOP", "SACK_PERMITTED"),
}

#: The protocol number in the pseudo header (RFC 9293 3.1, IANA).
PSEUDO_PROTOCOL = 6

REPR = Representation(
    "TcpRepr",
    fields=(
        Keep("src_port"),
        Keep("dst_port"),
        Lookup(("control",), "_CONTROLS", ("psh", "rst", "syn", "fin"), "_CONTROL_FLAGS"),
        Keep("seq_number"),
        WhenFlag("ack_number", "ack_number", "ack"),
        Keep("window_len"),
        FromOption("window_scale", "WS", "None"),
        FromOption("max_seg_size", "MSS", "None"),
        FromOption("sack_permitted", "SACK_PERMITTED", "False"),
        FromOption("sack_ranges", "SACK", "()"),
        FromOption("timestamp", "TIMESTAMP", "None", build="TcpTimestampRepr"),
        Payload("payload"),
        FromOption("unknown_options", "", "()"),
        Lookup(
            ("ece", "cwr", "ns", "psh"),
            "_FLAG_TAILS",
            ("ns", "cwr", "ece", "urg", "ack", "psh", "rst", "syn", "fin"),
        ),
    ),
    checksum=Checksum("checksum", covers="pseudo-header", caps="tcp", protocol=PSEUDO_PROTOCOL),
)
