"""What an ICMP error about a connection may do to it (RFC 5927, RFC 1122 4.2.3.9, RFC 1191).

The interface finds the connection an error quotes and calls these through `TcpSocket`:

- `quote_acceptable`: RFC 5927 4.1: the sequence number the error quotes must be one we have
  sent and not had acknowledged, SND.UNA =< SEG.SEQ < SND.MAX (SND.MAX rather than SND.NXT,
  which goes back after a timeout); anything else is ignored, so that an attacker who does
  not see the connection cannot forge an error into it.
- `take_error`: RFC 5927 5.2 and RFC 1122 4.2.3.9: no ICMP error aborts a synchronized
  connection (a soft error: the connection goes on, and its retransmission timer decides).
  A hard error (protocol or port unreachable, administratively prohibited) aborts a
  connection still opening in SYN-SENT, which reports it as "unreachable".
- `lower_path_mtu`: RFC 1191 6.4-6.5 and RFC 8201 5.4: the send MSS shrinks to what the new
  path MTU carries, and the segments in flight longer than that go again at once, cut to the
  new size (`Recovery.on_path_mtu_drop`). They were lost to the path, not to congestion: no
  window is cut, no recovery starts, and they are counted as ``pmtu`` retransmissions, apart
  from the loss recovery's (as Linux's "simple retransmit").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smoltcp.stack.tcp.state import TcpState

if TYPE_CHECKING:
    from smoltcp.stack.tcp.socket import TcpSocket
    from smoltcp.stack.tcp.tcb import Context, Tcb
    from smoltcp.wire import IpAddress

__all__ = ["lower_path_mtu", "path_mtu", "quote_acceptable", "take_error"]

_CLOSED = TcpState.CLOSED
_LISTEN = TcpState.LISTEN
_SYN_SENT = TcpState.SYN_SENT
_SYN_RECEIVED = TcpState.SYN_RECEIVED
_TIME_WAIT = TcpState.TIME_WAIT
_IDLE = (_CLOSED, _LISTEN, _TIME_WAIT)
_MIN_MSS = 88  # the smallest send MSS the path MTU can force (a 128-octet IPv6 packet)
_TIMESTAMPS_LEN = 12  # the timestamps option as sent on every segment (RFC 7323)


def path_mtu(cx: Context, remote: IpAddress) -> int:
    """Return the path MTU towards ``remote``: ``cx.path_mtu(remote)`` when the context has
    one (the interface's, which knows what "too big" errors taught), else ``cx.ip_mtu``."""
    lookup = getattr(cx, "path_mtu", None)
    return cx.ip_mtu if lookup is None else int(lookup(remote))


def quote_acceptable(tcb: Tcb, seq: int) -> bool:
    """Return whether ``seq`` (a quoted TCP sequence number) lies in SND.UNA..SND.MAX."""
    if tcb.state in _IDLE:
        return False
    una = int(tcb.snd_una)
    return ((seq - una) & 0xFFFFFFFF) < ((int(tcb.snd_max) - una) & 0xFFFFFFFF)


def take_error(sock: TcpSocket, hard: bool) -> bool:
    """Apply an accepted ICMP error; return whether it aborted the connection."""
    tcb = sock._tcb
    if hard and tcb.state is _SYN_SENT:
        tcb.error = "unreachable"
        sock._to_closed()
        sock._wake()
        return True
    return False


def lower_path_mtu(sock: TcpSocket, mtu: int) -> bool:
    """Size segments for a path MTU of ``mtu`` octets; return whether the send MSS shrank."""
    tcb = sock._tcb
    if tcb.state in _IDLE or tcb.remote is None or tcb.remote.addr is None:
        return False
    headers = 60 if tcb.remote.addr.version == 6 else 40  # IP + TCP (RFC 8200 8.3, RFC 879)
    peer_mss = max(_MIN_MSS, mtu - headers)
    if peer_mss >= tcb.peer_mss:
        return False
    old_mss = tcb.snd_mss
    tcb.peer_mss = peer_mss
    tcb.snd_mss = max(1, peer_mss - (_TIMESTAMPS_LEN if tcb.ts_ok else 0))
    rec = sock._rec
    # In octets, the window stays what it was (before any ACK, the initial window is
    # counted anew in segments of the new size).
    rec.cc.set_mss(tcb.snd_mss)
    if tcb.state is not _SYN_SENT and tcb.state is not _SYN_RECEIVED:
        # What is in flight and longer than the new MSS was dropped: send it again now,
        # cut to size, with no congestion response.
        rec.on_path_mtu_drop(old_mss)
    sock._wake()
    return True
