"""Multicast reports do not depend on the hash seed: the same run gives the same frames.

Sets of addresses iterate in an order that follows ``PYTHONHASHSEED``; where a report's records
or a group's random delay came from such an iteration, two runs of the same seeded simulation
could differ on the wire. Each probe runs in a fresh interpreter under several hash seeds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

# IPv6: four groups joined, then the link comes back up (every group reported again, RFC 3810
# 6.1), then two addresses (two solicited-node groups) arrive at once.
MLD = """
from smoltcp.stack.iface.mld import MldConfig
from smoltcp.stack.testing import Harness
from smoltcp.stack.time import Instant
from smoltcp.wire import IpCidr, Ipv6Address
h = Harness(mld=MldConfig(report_solicited_nodes=True))
for g in ("ff05::9", "ff02::1:2", "ff05::7", "ff0e::1", "ff05::1:3"):
    h.iface.join_multicast_group(Ipv6Address.parse(g), Instant(0))
out = []
for t in range(0, 5_000_000, 100_000):
    out += h.poll(Instant(t))
h.iface.link_up(Instant(5_000_000))
out += h.poll(Instant(5_000_000))
h.iface.update_ip_addrs(lambda a: a.extend(
    [IpCidr.parse("2001:db8::1234:5678/64"), IpCidr.parse("2001:db8::9abc:def0/64")]))
for t in range(5_000_000, 10_000_000, 100_000):
    out += h.poll(Instant(t))
print([f.hex() for f in out if f[12:14] == bytes.fromhex("86dd")])
"""

# IPv4: five groups joined, then a general query: each group draws its own random delay (IPv4
# addresses hash as their integer today, so their sets' order holds; this keeps it so).
IGMP = """
from smoltcp.stack.testing import Harness, ethernet, ipv4
from smoltcp.stack.time import Instant
from smoltcp.wire import Ipv4Address
from smoltcp.wire.igmp import IgmpMessage, IgmpRepr
h = Harness()
for i in range(5):
    h.iface.join_multicast_group(Ipv4Address(f"239.1.{i * 37 % 11}.{i * 53 % 17}"), Instant(0))
for t in range(0, 12_000_000, 500_000):
    h.poll(Instant(t))
body = IgmpRepr(IgmpMessage.MEMBERSHIP_QUERY, 100, Ipv4Address("0.0.0.0")).to_bytes()
query = ipv4("192.168.69.100", "224.0.0.1", 2, body, ttl=1)
out = h.feed(ethernet("01-00-5e-00-00-01", "02-00-00-00-00-64", 0x0800, query),
             at=Instant(20_000_000))
for t in range(20_000_000, 31_000_000, 10_000):
    out += [(t, f.hex()) for f in h.poll(Instant(t))]
print(out)
"""


@pytest.mark.parametrize("probe", [MLD, IGMP], ids=["mld", "igmp"])
def test_reports_are_the_same_under_every_hash_seed(probe: str) -> None:
    outputs = set()
    for seed in ("0", "1", "2", "3", "4"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        result = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(probe)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert len(result.stdout) > 100  # frames were sent
        outputs.add(result.stdout)
    assert len(outputs) == 1
