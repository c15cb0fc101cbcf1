"""ABORT in CLOSING and LAST-ACK deletes the TCB without a RST (RFC 9293 3.10.5).

Our FIN is out in both states; a RST there could cut short the peer's TIME-WAIT (RFC 1337).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import TcpHarness, TcpState
from test_tcp_states import _to_state


@pytest.fixture
def h() -> TcpHarness:
    return TcpHarness()


@pytest.mark.parametrize("state", [TcpState.CLOSING, TcpState.LAST_ACK], ids=str)
def test_abort_after_our_fin_sends_no_rst(h: TcpHarness, state: TcpState) -> None:
    _to_state(h, state)
    h.sock.abort()
    assert h.sock.state is TcpState.CLOSED and h.sock.demux_keys() == ()
    h.recv_none()
    h.advance(60_000)
    h.recv_none()
