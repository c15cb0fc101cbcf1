"""TCP (RFC 9293) for the stack: `TcpSocket` and what it is built from.

`TcpSocket` is the public API; `TcpState` names the RFC states; `TcpStats` is a snapshot of a
connection's counters and estimates (like Linux's tcp_info), `ListenerStats` those of a
listening socket; `trace` is the opt-in event trace. The urgent pointer is ignored: urgent
data is delivered in line.
INTERFACES.md in this package describes how a connection is put together (the transmission
control block in tcb.py and the parts that act on it).
"""

from __future__ import annotations

from smoltcp.stack.tcp.listener import ListenerStats
from smoltcp.stack.tcp.socket import TcpSocket, TcpStats
from smoltcp.stack.tcp.state import TcpState
from smoltcp.stack.tcp.stats import CongestionPhase

__all__ = ["CongestionPhase", "ListenerStats", "TcpSocket", "TcpState", "TcpStats"]
