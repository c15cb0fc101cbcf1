"""The README's recipes work: two examples on two TAPs joined by a bridge, and an example on TUN.

Each runs in a namespace of its own (``netns`` fixture), with the addresses the README gives.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.netns


def test_two_examples_talk_through_a_bridge(netns):
    netns.ip("link", "add", "br0", "type", "bridge")
    netns.ip("link", "set", "br0", "up")
    netns.ip("addr", "add", "192.168.69.100/24", "dev", "br0")
    for tap in ("tap0", "tap1"):
        netns.ip("tuntap", "add", "name", tap, "mode", "tap")
        netns.ip("link", "set", tap, "master", "br0")
        netns.ip("link", "set", tap, "up")
    server = netns.start("server", "tap0")
    for _ in range(100):  # until the server has opened tap0 (its first line)
        if "tap0" in server.stderr:
            break
        time.sleep(0.05)
    # The defaults do not collide: the server is .1, ping .4, the client .2.
    ping = netns.start("ping", "tap1", "192.168.69.1", "-c", "3", "-i", "0.2", "--timeout", "2")
    assert ping.wait(30) == 0, ping.stderr
    assert "3 packets transmitted, 3 received" in ping.stdout
    client = netns.start("client", "tap1", "192.168.69.1", "6969")
    assert client.wait(30) == 0, client.stderr
    assert "connected to 192.168.69.1:6969 from 192.168.69.2:" in client.stderr


def test_an_example_on_tun_with_its_own_addresses(netns):
    netns.ip("tuntap", "add", "name", "tun0", "mode", "tun")
    netns.ip("link", "set", "tun0", "up")
    netns.ip("addr", "add", "10.7.0.100/24", "dev", "tun0")
    ping = netns.start(
        "ping", "tun0", "10.7.0.100", "--tun", "--address", "10.7.0.1/24", "--gateway", "none",
        "-c", "2", "-i", "0.2", "--timeout", "2",
    )  # fmt: skip
    assert ping.wait(30) == 0, ping.stderr
    assert "2 packets transmitted, 2 received" in ping.stdout
