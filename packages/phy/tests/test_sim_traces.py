"""ConnectionLog: one trace per connection, written in batches, equal to an in-memory trace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smoltcp.phy.sim import Bulk, LinkSpec
from smoltcp.phy.sim.network import Network
from smoltcp.phy.sim.traces import ConnectionLog
from smoltcp.stack.tcp.trace import RingRecorder, dump_jsonl


def _pair(seed: int = 3) -> tuple[Network, Bulk]:
    net = Network(seed)
    net.add_host("a", "10.0.0.1/24")
    net.add_host("b", "10.0.0.2/24")
    net.add_link("ab", "a", "b", LinkSpec(rate_bps=10_000_000, delay_us=2_000))
    flow = net.add_flow(Bulk("bulk", net.hosts["a"], net.hosts["b"], 5001, size=200_000))
    return net, flow


def test_batched_files_equal_the_whole_trace(tmp_path: Path) -> None:
    net, _ = _pair()
    log = ConnectionLog(tmp_path, "a", batch=7)
    net.hosts["a"].trace(log)
    net.run(1_000_000)
    net.hosts["a"].close_log()
    [entry] = log.connections
    assert entry["host"] == "a" and entry["local"].startswith("10.0.0.1:")
    text = (tmp_path / entry["trace"]).read_text()
    assert len(text.splitlines()) > 7 * 3  # several batches
    # The file is what an in-memory recorder of the same run serialises: the header, then
    # every record of the connection in order.
    ring_a = RingRecorder()
    net2, _ = _pair()
    net2.hosts["a"].sockets.set_tcp_trace(ring_a)
    net2.run(1_000_000)
    assert text == "".join(dump_jsonl(ring_a.records()))
    stats = json.loads((tmp_path / entry["stats"]).read_text())
    assert stats["stats"]["bytes_sent"] == 200_000
    assert stats["stats"]["state"] in ("CLOSED", "TIME-WAIT", "FIN-WAIT-2", "FIN-WAIT-1")


def test_batch_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch"):
        ConnectionLog(tmp_path, "a", batch=0)
