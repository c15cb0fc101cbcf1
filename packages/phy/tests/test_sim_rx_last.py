"""The simulator's card tells the stack when a received frame is the last one waiting
(``last`` on its receive token, see `smoltcp.stack.device.RxToken`): exact, so the
simulation is the same, frame for frame, with the hint as without it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smoltcp.phy.impair import Bernoulli
from smoltcp.phy.sim import Bulk, LinkSpec, QueueSpec, RequestResponse
from smoltcp.phy.sim import host as sim_host
from smoltcp.phy.sim.network import Network
from smoltcp.stack.time import Instant


def _network(seed: int) -> Network:
    net = Network(seed)
    net.add_switch("sw")
    a = net.add_host("a", "10.0.0.1/24")
    b = net.add_host("b", "10.0.0.2/24")
    c = net.add_host("c", "10.0.0.3/24")
    fast = LinkSpec(rate_bps=100_000_000, delay_us=50, queue=QueueSpec(limit=1000))
    net.add_link("a-sw", "a", "sw", fast)
    net.add_link("c-sw", "c", "sw", fast)
    slow = LinkSpec(
        rate_bps=10_000_000,
        delay_us=5_000,
        queue=QueueSpec(limit=30),
        loss=Bernoulli(0.01),
        reorder=0.02,
        duplicate=0.01,
    )
    net.add_link("sw-b", "sw", "b", slow)
    net.add_flow(Bulk("bulk", a, b, 5001, size=400_000))
    net.add_flow(RequestResponse("rr", c, b, 5002, request=300, response=3000, count=50))
    net.add_flow(Bulk("back", b, c, 5003, size=200_000))
    # IPv6 takes its own way to the same TCP ingress.
    d = net.add_host("d", "fd00::4/64")
    e = net.add_host("e", "fd00::5/64")
    net.add_link("d-sw", "d", "sw", fast)
    net.add_link("sw-e", "sw", "e", slow)
    net.add_flow(Bulk("v6", d, e, 5004, size=300_000))
    return net


def _run(seed: int, tmp: Path) -> tuple[Any, ...]:
    net = _network(seed)
    tmp.mkdir()
    net.capture(tmp / "pcap")
    net.trace(tmp / "trace")
    net.run(3_000_000)
    files = {
        p.relative_to(tmp).as_posix(): p.read_bytes() for p in sorted(tmp.rglob("*")) if p.is_file()
    }
    hosts = {
        name: (repr(h.iface.counters), h.polls, h.interface_polls, h.retries)
        for name, h in net.hosts.items()
    }
    return net.summary(), net.sim.events, hosts, files


def _receive_without_hint(self: Any, now: Instant) -> Any:
    if not self.inbox:
        return None
    self._rx.frame = self.inbox.popleft()
    self._rx.last = False
    return self._tokens


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_hint_changes_nothing_in_a_simulation(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_hint = _run(seed, tmp_path / "with")
    monkeypatch.setattr(sim_host._Card, "receive", _receive_without_hint)
    without = _run(seed, tmp_path / "without")
    assert with_hint[3]  # pcaps and traces were written
    assert with_hint == without


def test_the_card_says_last_only_when_its_inbox_is_empty() -> None:
    net = Network(1)
    host = net.add_host("a", "10.0.0.1/24")
    card = host.card
    now = Instant(0)
    assert card.receive(now) is None
    card.inbox.extend((bytearray(b"one"), bytearray(b"two")))
    got = card.receive(now)
    assert got is not None
    assert bytes(got[0].frame) == b"one" and got[0].last is False
    got = card.receive(now)
    assert got is not None
    assert bytes(got[0].frame) == b"two" and got[0].last is True
    assert card.receive(now) is None
