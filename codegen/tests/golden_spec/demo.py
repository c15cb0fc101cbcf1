"""Demo header for the codegen golden test (not a real protocol)."""

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

from spec._common import Scaled

PROTOCOL = "demo"
VIEW = "DemoPacket"

#: A copied constant.
DEMO_MAGIC = 42

DemoKind = (
    Enum(
        Int8ub,
        ALPHA=0,  # the first kind
        BETA=7,  # the second kind
    )
    * "Kinds of demo packets"
)

HEADER = Struct(
    "kind" / DemoKind * "Kind of the packet",
    "bits"
    / BitStruct(
        "size" / Scaled(BitsInteger(4), 4) * "Size in 32-bit words",
        "urgent" / Flag * "Urgent flag",
        "level" / BitsInteger(3) * "Level",
    )
    * "Size, urgent flag and level",
    "port" / Int16ub * "A port",
    "wide"
    / BitStruct(
        "high" / Flag * "High flag",
        "span" / BitsInteger(12) * "A field across an octet boundary",
        "low" / BitsInteger(3) * "Low bits",
    )
    * "A 16-bit group",
    "serial" / Int32ub * "A serial number",
    "raw" / Bytes(3) * "Raw octets",
    "tail" / GreedyBytes * "The rest: variable-size, left to hand-written code",
)
