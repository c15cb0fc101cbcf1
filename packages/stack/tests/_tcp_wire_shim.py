"""Stand-ins for `smoltcp.wire` TCP names not landed yet (temporary, test-only).

The TCP socket is written against DESIGN.md's wire contract. Until `TcpRepr`, `TcpControl`,
`TcpTimestampRepr`, `IpProtocol` and `ip_repr` exist in `smoltcp.wire`, the harness installs
minimal stand-ins with exactly the DESIGN.md shapes. Each is installed only if missing, so the
real ones win as soon as they land.
"""

from __future__ import annotations

import enum
import sys
import types
from typing import Any, NamedTuple

import smoltcp.wire as wire


def install() -> None:
    if not hasattr(wire, "TcpControl"):

        class TcpControl(enum.IntEnum):
            NONE = 0
            PSH = 1
            SYN = 2
            FIN = 3
            RST = 4

        wire.TcpControl = TcpControl
    if not hasattr(wire, "IpProtocol"):

        class IpProtocol(enum.IntEnum):
            ICMP = 1
            TCP = 6
            UDP = 17

        wire.IpProtocol = IpProtocol
    if not hasattr(wire, "TcpTimestampRepr"):

        class TcpTimestampRepr(NamedTuple):
            tsval: int
            tsecr: int

        wire.TcpTimestampRepr = TcpTimestampRepr
    if not hasattr(wire, "TcpRepr"):
        ctl = wire.TcpControl

        class TcpRepr(NamedTuple):
            src_port: int
            dst_port: int
            control: Any
            seq_number: Any
            ack_number: Any
            window_len: int
            window_scale: int | None = None
            max_seg_size: int | None = None
            sack_permitted: bool = False
            sack_ranges: tuple = ()
            timestamp: Any = None
            payload: Any = b""
            unknown_options: tuple = ()
            ece: bool = False
            cwr: bool = False
            ns: bool = False

            def header_len(self) -> int:
                n = 20
                if self.max_seg_size is not None:
                    n += 4
                if self.window_scale is not None:
                    n += 3
                if self.sack_permitted:
                    n += 2
                if self.timestamp is not None:
                    n += 10
                if self.sack_ranges:
                    n += 2 + 8 * len(self.sack_ranges)
                return (n + 3) // 4 * 4

            def buffer_len(self) -> int:
                return self.header_len() + len(self.payload)

            def segment_len(self) -> int:
                return len(self.payload) + (self.control in (ctl.SYN, ctl.FIN))

            def is_empty(self) -> bool:
                return self.segment_len() == 0

        wire.TcpRepr = TcpRepr
    if not hasattr(wire, "ip_repr"):

        class Ipv4Repr(NamedTuple):
            src_addr: Any
            dst_addr: Any
            next_header: Any
            payload_len: int
            hop_limit: int

        def ip_repr(src_addr, dst_addr, next_header, payload_len, hop_limit):  # type: ignore[no-untyped-def]
            return Ipv4Repr(src_addr, dst_addr, next_header, payload_len, hop_limit)

        wire.ip_repr = ip_repr
    if "smoltcp.stack.tcp.isn" not in sys.modules:
        try:
            import smoltcp.stack.tcp.isn  # noqa: F401
        except ImportError:
            mod = types.ModuleType("smoltcp.stack.tcp.isn")

            class IsnGenerator:
                def __init__(self, secret: bytes) -> None:
                    self.secret = secret

                def isn(self, local: Any, remote: Any, now: Any) -> Any:
                    h = hash((self.secret, local, remote)) & 0xFFFFFFFF
                    return wire.TcpSeqNumber(h + now.micros // 4)

                @classmethod
                def for_context(cls, cx: Any) -> IsnGenerator:
                    return cls(b"x")

            mod.IsnGenerator = IsnGenerator
            sys.modules["smoltcp.stack.tcp.isn"] = mod
