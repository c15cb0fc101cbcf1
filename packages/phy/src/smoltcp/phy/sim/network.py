"""A simulated network as a whole: its elements by name, its workloads, captures and summary.

`Network` is what a scenario builds (from a TOML file or from Python): a `Simulator` plus
named hosts, switches, routers, links and workloads. `Network.run` runs it for a duration;
`Network.summary` returns the figures of the run (a dict that ``json.dumps`` takes, the same
for the same scenario and seed): per flow octets, goodput, retransmissions and RTT
percentiles, per link utilization and drops, and Jain's fairness index across the flows.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from typing import Any

from smoltcp.phy.direction import Direction
from smoltcp.phy.pcap import PcapWriter
from smoltcp.stack.device import DeviceCapabilities
from smoltcp.stack.time import Instant
from smoltcp.wire import EthernetAddress, IpAddress, IpCidr, Ipv4Cidr, Ipv6Address, Medium

from .apps import Workload
from .host import SimHost
from .link import Link, LinkSpec
from .router import Router
from .runner import Simulator
from .switch import Switch
from .traces import ConnectionLog

__all__ = ["Network", "jain_index", "mac_for", "percentile"]


def mac_for(name: str) -> EthernetAddress:
    """Return a locally administered unicast address derived from ``name`` alone."""
    digest = hashlib.sha256(name.encode()).digest()
    return EthernetAddress(b"\x02" + digest[:5])


def _check_file_name(what: str, name: object) -> None:
    # Names become file names of the outputs (LINK.pcap, HOST.N.jsonl): one that is not a
    # plain file name would write somewhere else, outside the output directory.
    if not isinstance(name, str):
        raise TypeError(f"{what} must be a str, not {type(name).__name__}")
    if name in ("", ".", "..") or "/" in name or "\0" in name:
        raise ValueError(f"{what} {name!r} is not a file name (empty, '.', '..', or has '/')")


def _parse(kind: Any, what: str, value: object) -> Any:
    # An address given as text or as the `smoltcp.wire` value.
    if isinstance(value, kind):
        return value
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str or {kind.__name__}, not {type(value).__name__}")
    try:
        return kind.parse(value)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


def _check_host_address(cidr: IpCidr) -> None:
    """Raise ValueError naming ``cidr`` unless its address may be a host's own."""
    address = cidr.address
    if not address.is_unicast:
        raise ValueError(f"address {cidr} is not a unicast address")
    if address.is_loopback or getattr(address, "is_ipv4_mapped", False):
        # Neither appears on a wire (RFC 1122 3.2.1.3, RFC 4291 2.5.3 and 2.5.5.2): the
        # host's stack would send nothing from it.
        raise ValueError(f"address {cidr} is a loopback or IPv4-mapped address")
    if isinstance(cidr, Ipv4Cidr) and cidr.prefix_len < 31:
        # RFC 1122, 3.2.1.3: a host number is never all zeros nor all ones (that one is the
        # subnet's directed broadcast), so neither names one host. A /31 or /32 has no host
        # number to spare for them (RFC 3021).
        if address == cidr.broadcast():
            raise ValueError(f"address {cidr} is the broadcast address of {cidr.network()}")
        if address == cidr.network().address:
            raise ValueError(
                f"address {cidr} is the network address of {cidr.network()} (host part 0)"
            )


def _check_gateway(cidr: IpCidr, gateway: IpAddress) -> None:
    """Raise ValueError naming ``gateway`` if it is the host's own address (``cidr``), or its
    IPv4 subnet's broadcast or network address (below /31): the host would ask its link
    for that address as a router's, and reach none."""
    if gateway == cidr.address or (
        isinstance(cidr, Ipv4Cidr)
        and cidr.prefix_len < 31
        and gateway in (cidr.broadcast(), cidr.network().address)
    ):
        raise ValueError(f"gateway {gateway} is the host's own, broadcast or network address")


def jain_index(values: Sequence[float]) -> float | None:
    """Return Jain's fairness index (sum x)^2 / (n sum x^2), in (0, 1]; None for no values."""
    if not values:
        return None
    square_sum = sum(x * x for x in values)
    if square_sum == 0:
        return 1.0
    return sum(values) ** 2 / (len(values) * square_sum)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the ``q``-th percentile (0 to 100) by the nearest-rank method, or None."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[min(int(rank), len(ordered)) - 1]


class _CaptureDevice:
    """What `PcapWriter` wraps for a link capture: a medium, no frames, nothing to close.

    The link's ports hand the writer their frames directly (see `_tap`).
    """

    def receive(self, now: Instant) -> None:
        return None

    def transmit(self, now: Instant) -> None:
        return None

    def capabilities(self) -> DeviceCapabilities:
        return DeviceCapabilities(medium=Medium.ETHERNET, max_transmission_unit=65535)

    def close(self) -> None:
        return None


class Network:
    """A `Simulator` and the named elements and workloads of one network."""

    def __init__(self, seed: int = 0, name: str = "network") -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, not {type(name).__name__}")
        self.name = name
        self.sim = Simulator(seed)
        self.hosts: dict[str, SimHost] = {}
        self.switches: dict[str, Switch] = {}
        self.routers: dict[str, Router] = {}
        self.links: dict[str, Link] = {}
        self.flows: dict[str, Workload] = {}
        self._captures: list[PcapWriter] = []
        self._finished = False
        self._trace_dir: str | None = None

    # -- building -----------------------------------------------------------------------------

    def _check_name(self, name: str) -> None:
        _check_file_name("name", name)
        if name in self.hosts or name in self.switches or name in self.routers:
            raise ValueError(f"name {name!r} is used twice")

    def node(self, name: str) -> Any:
        """Return the host, switch or router named ``name`` (KeyError if none)."""
        for table in (self.hosts, self.switches, self.routers):
            if name in table:
                return table[name]
        raise KeyError(name)

    def add_host(
        self,
        name: str,
        address: IpCidr | str,
        *,
        gateway: IpAddress | str | None = None,
        mtu: int = 1500,
        **kw: Any,
    ) -> SimHost:
        """Add a host (see `SimHost`); its hardware address is `mac_for` its name.

        ``address`` is a CIDR of a unicast address, not loopback nor IPv4-mapped, nor the
        network or broadcast address of its IPv4 subnet (below /31), ``gateway`` an address
        of the same IP version and none of those three, ``mtu`` from 68 (1280 for an IPv6
        host, RFC 8200) to 65535; TypeError or ValueError naming the argument otherwise.
        """
        self._check_name(name)
        cidr = _parse(IpCidr, "address", address)
        _check_host_address(cidr)
        if gateway is not None:
            gw = _parse(IpAddress, "gateway", gateway)
            if isinstance(gw, Ipv6Address) != isinstance(cidr.address, Ipv6Address):
                raise ValueError(f"gateway {gw} is not of the IP version of address {cidr}")
            _check_gateway(cidr, gw)
        low = 1280 if isinstance(cidr.address, Ipv6Address) else 68
        if isinstance(mtu, bool) or not isinstance(mtu, int):
            raise TypeError(f"mtu must be an int, not {type(mtu).__name__}")
        if not low <= mtu <= 65535:
            raise ValueError(f"mtu must be in [{low}, 65535] for address {cidr}, not {mtu}")
        host = SimHost(self.sim, name, mac_for(name), cidr, gateway=gateway, mtu=mtu, **kw)
        self.hosts[name] = host
        return host

    def add_switch(self, name: str) -> Switch:
        """Add a learning switch."""
        self._check_name(name)
        switch = Switch(self.sim, name)
        self.switches[name] = switch
        return switch

    def add_router(self, name: str) -> Router:
        """Add a router; give it addresses with `Router.set_interface` once linked."""
        self._check_name(name)
        router = Router(self.sim, name)
        self.routers[name] = router
        return router

    def add_link(
        self,
        name: str,
        a: str,
        b: str,
        spec: LinkSpec | None = None,
        spec_ba: LinkSpec | None = None,
    ) -> Link:
        """Link the nodes named ``a`` and ``b`` (ValueError if there is no such node).

        ``spec`` is the a-to-b direction, ``spec_ba`` the other (default: ``spec``); the link
        is captured to ``NAME.pcap`` (see `capture`), so ``name`` must be a file name.
        """
        _check_file_name("name", name)
        if name in self.links:
            raise ValueError(f"link name {name!r} is used twice")
        for what, value in (("spec", spec), ("spec_ba", spec_ba)):
            if value is not None and not isinstance(value, LinkSpec):
                raise TypeError(f"{what} must be a LinkSpec or None, not {type(value).__name__}")
        if a == b:
            raise ValueError(f"a and b are both {a!r}: a link joins two nodes")
        ends = []
        for what, node in (("a", a), ("b", b)):
            try:
                ends.append(self.node(node))
            except KeyError:
                raise ValueError(f"{what}: no host, switch or router named {node!r}") from None
        link = Link(self.sim, name, ends[0], ends[1], spec, spec_ba)
        self.links[name] = link
        return link

    def add_flow(self, flow: Workload) -> Workload:
        """Start a workload built on hosts of this network (`Workload.install`); return it.

        Its figures go in the summary. ValueError, with nothing changed (no listener, no
        start scheduled), for a workload on hosts of another network, a name another flow
        has, a workload installed already, or a server port another workload has taken.
        """
        if not isinstance(flow, Workload):
            raise TypeError(f"flow must be a Workload, not {type(flow).__name__}")
        for host in (flow.client, flow.server_host):
            if self.hosts.get(host.name) is not host:
                raise ValueError(f"flow {flow.name!r}: host {host.name!r} is not of this network")
        if flow.name in self.flows:
            raise ValueError(f"flow name {flow.name!r} is used twice")
        flow.install()
        self.flows[flow.name] = flow
        return flow

    def capture(self, directory: str | os.PathLike[str]) -> list[str]:
        """Write every frame each link carries to ``directory``/LINK.pcap; return the paths.

        A frame is recorded when it starts on the wire, both directions in one file.
        """
        os.makedirs(directory, exist_ok=True)
        paths = []
        for name, link in self.links.items():
            path = os.path.join(directory, f"{name}.pcap")
            writer = PcapWriter(_CaptureDevice(), path)
            self._captures.append(writer)
            tap = _tap(writer)
            for port in link.ports:
                port.tap = tap
            paths.append(path)
        return paths

    def trace(self, directory: str | os.PathLike[str]) -> None:
        """Trace every TCP connection of every host into ``directory`` (created if needed).

        Each connection gets its trace as JSON Lines (``HOST.N.jsonl``) and its statistics
        (``HOST.N.stats.json``); ``index.json`` lists them (see `ConnectionLog`), written by
        `finish`. Call before `run`.
        """
        os.makedirs(directory, exist_ok=True)
        self._trace_dir = os.fspath(directory)
        for name, host in self.hosts.items():
            host.trace(ConnectionLog(directory, name))

    # -- running ------------------------------------------------------------------------------

    def run(
        self,
        duration_us: int,
        *,
        progress: Callable[[int], Any] | None = None,
        progress_every: int = 100_000,
        finish: bool = True,
    ) -> int:
        """Run until simulated time ``duration_us``; return the number of events run.

        With ``finish`` (the default) the run ends there (`finish`); without, it can go on
        with another call.
        """
        if isinstance(duration_us, bool) or not isinstance(duration_us, int):
            raise TypeError(f"duration_us must be an int, not {type(duration_us).__name__}")
        if duration_us < 0:
            raise ValueError(f"duration_us must be >= 0, not {duration_us}")
        ran = self.sim.run(duration_us, progress=progress, progress_every=progress_every)
        if finish:
            self.finish()
        return ran

    def finish(self) -> None:
        """Collect the counters of open connections and close the captures."""
        if self._finished:
            return
        self._finished = True
        for flow in self.flows.values():
            flow.finish()
        for writer in self._captures:
            writer.close()
        if self._trace_dir is not None:
            index = []
            for host in self.hosts.values():
                host.close_log()
                if host.log is not None:
                    index.extend(host.log.connections)
            with open(os.path.join(self._trace_dir, "index.json"), "w") as f:
                json.dump({"connections": index}, f, indent=2, sort_keys=True)
                f.write("\n")

    # -- results ------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """Return the figures of the run (see the module docstring); call after `run`."""
        end = self.sim.now_us
        flows = []
        for flow in self.flows.values():
            s = flow.stats
            rtt = s.rtt_samples_us
            tx = s.transaction_us
            flows.append(
                {
                    "name": s.name,
                    "kind": type(flow).__name__,
                    "octets": s.octets,
                    "goodput_bps": round(s.goodput_bps(end), 3),
                    "retransmitted_segments": s.retransmissions,
                    "timeouts": s.timeouts,
                    "segments_sent": s.segments_sent,
                    "connections": s.connections,
                    "failures": s.failures,
                    "transactions": s.transactions,
                    "rtt_ms": {f"p{q}": _ms(percentile(rtt, q)) for q in (50, 90, 99)},
                    "transaction_ms": {f"p{q}": _ms(percentile(tx, q)) for q in (50, 90, 99)},
                }
            )
        links = []
        for link in self.links.values():
            for port in link.ports:
                # A train being sent: its pieces count up to now, as frames would.
                port.catch_up(end)
            directions = [
                {
                    "name": port.name,
                    "utilization": round(port.utilization(end), 6),
                    "drops": port.drops(),
                    "queue": port.queue.counters.as_dict(),
                    "wire": port.wire.counters.as_dict(),
                    "port": port.counters.as_dict(),
                }
                for port in link.ports
            ]
            links.append(
                {
                    "name": link.name,
                    "utilization": round(link.utilization(end), 6),
                    "drops": link.drops(),
                    "directions": directions,
                }
            )
        goodputs = [flow.stats.goodput_bps(end) for flow in self.flows.values()]
        fairness = jain_index(goodputs)
        return {
            "scenario": self.name,
            "seed": self.sim.seed,
            "duration_s": end / 1_000_000,
            "events": self.sim.events,
            "flows": flows,
            "links": links,
            "routers": {n: r.counters.as_dict() for n, r in self.routers.items()},
            "jain_fairness": None if fairness is None else round(fairness, 6),
        }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value / 1000, 3)


def _tap(writer: PcapWriter) -> Callable[[int, bytearray], None]:
    observe = writer._observe
    tx = Direction.TX

    def tap(now: int, frame: bytearray) -> None:
        observe(tx, Instant(now), memoryview(frame))

    return tap
