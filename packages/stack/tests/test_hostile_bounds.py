"""State a hostile peer can make the stack keep, where no bound exists yet.

Each test states the bound the stack should have and fails today: it is marked
``xfail(strict=True)`` with the reason, so that the fix turns it into a plain pass (and the
strict marker then fails until the marker is removed).
"""

from __future__ import annotations

import pytest

from smoltcp.stack.tcp.sack import SackScoreboard

# A generous cap: one block per full-sized segment of a 64 KiB window is about 45; Linux's
# scoreboard is per segment, so it can never hold more blocks than segments in flight.
MAX_BLOCKS = 256


@pytest.mark.xfail(
    strict=True,
    reason="SackScoreboard keeps every disjoint block a peer reports: one-octet SACK blocks "
    "over a 64 KiB send window make it hold thousands, each ACK scanning the whole list",
)
def test_sack_scoreboard_holds_a_bounded_number_of_blocks() -> None:
    board = SackScoreboard()
    una = 1000
    nxt = una + 65536
    # Every ACK SACKs two one-octet ranges with gaps between them, never advancing SND.UNA.
    for k in range(0, 2400, 8):
        board.update([(una + k + 1, una + k + 2), (una + k + 5, una + k + 6)], una, nxt)
    assert len(board.holes) <= MAX_BLOCKS
