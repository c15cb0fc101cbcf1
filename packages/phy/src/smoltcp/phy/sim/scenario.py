"""Scenarios: a network, its workloads, a duration and a seed, from a TOML file or a dict.

The format (``version = 1``) is described in the package README. `load` reads a file,
`from_dict` takes the same structure already parsed, and both return a `Scenario`, whose
`Scenario.build` makes a fresh `Network` (optionally with another seed). Any mistake in a
scenario raises `ScenarioError`, whose message names the key ("links[2].rate_bps: ...").
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smoltcp.phy.impair import Bernoulli, GilbertElliott, Listed, LossModel, Periodic
from smoltcp.wire import IpAddress, IpCidr, Ipv4Address, Ipv6Address

from .apps import (
    MAX_BUFFER,
    Bulk,
    ConnectionRate,
    RequestResponse,
    _check_cc,
    _check_ip_version,
    _check_port,
)
from .link import LinkSpec
from .network import Network, _check_gateway, _check_host_address, mac_for
from .queue import QueueSpec

__all__ = [
    "MAX_FILE_OCTETS",
    "MAX_HOSTS",
    "MAX_RATE_BPS",
    "MAX_SECONDS",
    "SCHEMA_VERSION",
    "Scenario",
    "ScenarioError",
    "from_dict",
    "load",
]

SCHEMA_VERSION = 1
MAX_FILE_OCTETS = 16 << 20
"""The largest scenario file `load` reads (a file of ten thousand hosts is about 1 MiB)."""
MAX_HOSTS = 10_000
"""The most hosts a scenario may have: each is a whole stack (about 70 KB, 2 ms to build)."""
MAX_SECONDS = 10_000_000.0
"""The longest time a scenario gives (``duration_s`` and every ``*_ms`` key): about 115 days."""
MAX_RATE_BPS = 10**12
"""The fastest link of a scenario (1 Tbit/s): past it, a run would take all but forever."""


class ScenarioError(ValueError):
    """A scenario that cannot be built; the message starts with the offending key."""


class _Table:
    """A TOML table being read: typed lookups, and an error for any key left unread."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            what = where or "the scenario"
            raise ScenarioError(f"{what}: must be a table, not {type(data).__name__}")
        self.data = data
        self.where = where
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def get(self, name: str, kind: Any, default: Any = None, *, required: bool = False) -> Any:
        self.used.add(name)
        if name not in self.data:
            if required:
                raise ScenarioError(f"{self.key(name)}: missing")
            return default
        value = self.data[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and kind is not bool:
            raise ScenarioError(f"{self.key(name)}: must be {_kind_name(kind)}, not a boolean")
        if isinstance(value, float) and not math.isfinite(value):
            # TOML has inf and nan; no key of a scenario means either.
            raise ScenarioError(f"{self.key(name)}: must be a finite number, not {value!r}")
        if not isinstance(value, kind):
            raise ScenarioError(
                f"{self.key(name)}: must be {_kind_name(kind)}, not {type(value).__name__} "
                f"{value!r}"
            )
        return value

    def positive(self, name: str, kind: Any, default: Any = None, *, zero: bool = False) -> Any:
        value = self.get(name, kind, default)
        if value is not None and (value < 0 or (value == 0 and not zero)):
            bound = ">= 0" if zero else "> 0"
            raise ScenarioError(f"{self.key(name)}: must be {bound}, not {value!r}")
        return value

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ScenarioError(f"{self.key(unknown[0])}: unknown key")


def _kind_name(kind: Any) -> str:
    names = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "a boolean",
        dict: "a table",
        list: "an array",
    }
    if isinstance(kind, tuple):
        return " or ".join(_kind_name(k) for k in kind)
    name: str = names.get(kind, kind.__name__)
    return name


def _micros(table: _Table, name: str, default: float = 0.0) -> int:
    """Read a duration given in milliseconds (``*_ms`` keys) as integer microseconds."""
    value: float = table.positive(name, float, default, zero=True)
    if value > MAX_SECONDS * 1000:
        raise ScenarioError(
            f"{table.key(name)}: must be at most {MAX_SECONDS * 1000:g} ms, not {value!r}"
        )
    return round(value * 1000)


def _loss(data: Any, where: str) -> LossModel | None:
    if data is None:
        return None
    t = _Table(data, where)
    model = t.get("model", str, required=True)
    try:
        loss: LossModel
        if model == "bernoulli":
            loss = Bernoulli(t.get("percent", float, required=True))
        elif model == "gilbert-elliott":
            loss = GilbertElliott(
                t.get("p", float, required=True),
                t.get("r", float),
                t.get("one_minus_h", float, 100.0),
                t.get("one_minus_k", float, 0.0),
            )
        elif model == "periodic":
            loss = Periodic(t.get("every", int, required=True), t.get("offset", int, 0))
        elif model == "listed":
            loss = Listed(t.get("indices", list, required=True))
        else:
            raise ScenarioError(
                f"{t.key('model')}: must be one of bernoulli, gilbert-elliott, periodic, "
                f"listed, not {model!r}"
            )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ScenarioError):
            raise
        raise ScenarioError(f"{where}: {exc}") from None
    t.done()
    return loss


# The keys only one kind of queue reads: given to another kind, they would do nothing.
_QUEUE_KEYS = {
    "min_th": "red",
    "max_th": "red",
    "max_p": "red",
    "target_ms": "codel",
    "interval_ms": "codel",
}


def _queue(data: Any, where: str) -> QueueSpec:
    t = _Table(data if data is not None else {}, where)
    kind = t.get("kind", str, "droptail")
    if kind not in QueueSpec.KINDS:
        # Before the keys of a kind: a misspelt kind is the mistake, not its parameters.
        raise ScenarioError(f"{t.key('kind')}: must be one of {QueueSpec.KINDS}, not {kind!r}")
    for key, owner in _QUEUE_KEYS.items():
        if key in t.data and kind != owner:
            raise ScenarioError(f"{t.key(key)}: only a {owner} queue reads it, not {kind!r}")
    try:
        spec = QueueSpec(
            kind=kind,
            limit=t.positive("limit", int, 1000),
            limit_octets=t.positive("limit_octets", int),
            min_th=t.get("min_th", float),
            max_th=t.get("max_th", float),
            max_p=t.get("max_p", float, 0.1),
            target=_micros(t, "target_ms", 5.0),
            interval=_micros(t, "interval_ms", 100.0),
        )
    except ScenarioError:
        raise
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{where}: {exc}") from None
    t.done()
    return spec


_LINK_KEYS = (
    "rate_bps",
    "delay_ms",
    "mtu",
    "queue",
    "loss",
    "jitter_ms",
    "distribution",
    "keep_order",
    "duplicate",
    "corrupt",
    "reorder",
    "gap",
)


def _link_spec(t: _Table, base: dict[str, Any] | None = None) -> LinkSpec:
    """Read the link keys of ``t`` (over ``base``, the defaults) into a `LinkSpec`."""
    merged = dict(base or {})
    for key in _LINK_KEYS:
        if key in t.data:
            merged[key] = t.data[key]
        t.used.add(key)
    m = _Table(merged, t.where)
    try:
        spec = LinkSpec(
            rate_bps=_rate(m),
            delay_us=_micros(m, "delay_ms"),
            mtu=m.get("mtu", int, 1500),
            queue=_queue(merged.get("queue"), m.key("queue")),
            loss=_loss(merged.get("loss"), m.key("loss")),
            jitter_us=_micros(m, "jitter_ms"),
            distribution=m.get("distribution", str, "uniform"),
            keep_order=m.get("keep_order", bool, False),
            duplicate=m.get("duplicate", float, 0.0),
            corrupt=m.get("corrupt", float, 0.0),
            reorder=m.get("reorder", float, 0.0),
            gap=m.positive("gap", int, 1),
        )
    except ScenarioError:
        raise
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{t.where}: {exc}") from None
    return spec


def _rate(t: _Table) -> int | None:
    """Read ``rate_bps``: positive, at most `MAX_RATE_BPS`, or None (no serialisation)."""
    # Frames take under a microsecond above about 10 Gbit/s: the simulator has that many
    # more events per simulated second, and a typing mistake of a few digits would take
    # years of computing to run.
    rate: int | None = t.positive("rate_bps", int)
    if rate is not None and rate > MAX_RATE_BPS:
        raise ScenarioError(f"{t.key('rate_bps')}: must be at most {MAX_RATE_BPS}, not {rate}")
    return rate


def _address(
    t: _Table,
    name: str,
    offset: int = 0,
    *,
    required: bool = True,
    cidr: bool | None = None,
) -> str | None:
    """Read an address (``cidr``: True for ADDRESS/PREFIX only, False for none) ``offset`` up.

    An address moved up (a member of a ``count`` group) must stay in its block, and not be
    its IPv4 broadcast address.
    """
    text = t.get(name, str, required=required)
    if text is None:
        return None
    if cidr is not None and ("/" in text) != cidr:
        want = "an address with its prefix length" if cidr else "an address without a prefix"
        raise ScenarioError(f"{t.key(name)}: must be {want}, not {text!r}")
    try:
        if "/" in text:
            block = IpCidr.parse(text)
            address = _shift(block.address, offset)
        else:
            return str(_shift(IpAddress.parse(text), offset))
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{t.key(name)}: not a usable IP address: {exc}") from None
    broadcast = getattr(block, "broadcast", lambda: None)()
    if offset and (not block.contains_addr(address) or address == broadcast):
        raise ScenarioError(
            f"{t.key('count')}: member {offset + 1} would be {address}, "
            f"{'the broadcast address' if address == broadcast else 'outside'} of {text}"
        )
    return f"{address}/{block.prefix_len}"


def _shift(addr: IpAddress, offset: int) -> IpAddress:
    """Return the address ``offset`` above ``addr``, of the same IP version."""
    if offset == 0:
        return addr
    if isinstance(addr, Ipv6Address):
        return Ipv6Address((int.from_bytes(addr.packed, "big") + offset).to_bytes(16, "big"))
    return Ipv4Address(int(addr) + offset)


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario: ``data`` (the TOML tables), its ``name``, ``seed`` and ``duration_us``."""

    data: dict[str, Any]
    name: str
    seed: int
    duration_us: int

    def build(self, seed: int | None = None) -> Network:
        """Return a new `Network` of this scenario, seeded with ``seed`` (default its own)."""
        return _build(self, self.seed if seed is None else seed)


def load(path: str | os.PathLike[str]) -> Scenario:
    """Read the scenario file at ``path``; raise `ScenarioError` (or OSError) if unusable."""
    if not isinstance(path, (str, os.PathLike)):
        # open() takes an int as a file descriptor: it would read and close someone's file.
        raise TypeError(f"path must be a str or os.PathLike, not {type(path).__name__}")
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the optional dependency of Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise ScenarioError("reading TOML on Python 3.10 needs the 'tomli' package") from None
    with open(path, "rb") as f:
        # Read a bounded amount: /dev/zero, or a wrong file, would fill the memory.
        raw = f.read(MAX_FILE_OCTETS + 1)
    if len(raw) > MAX_FILE_OCTETS:
        raise ScenarioError(f"larger than {MAX_FILE_OCTETS >> 20} MiB: not a scenario file")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"not valid TOML: not UTF-8 at octet {exc.start}") from None
    except tomllib.TOMLDecodeError as exc:
        # No path in the message: the caller has it (smoltcp-sim puts it first).
        raise ScenarioError(f"not valid TOML: {exc}") from None
    default_name = os.path.splitext(os.path.basename(os.fspath(path)))[0]
    return from_dict(data, default_name=default_name)


def from_dict(data: dict[str, Any], *, default_name: str = "scenario") -> Scenario:
    """Check the top of a scenario and return it; the rest is checked by `Scenario.build`.

    The whole scenario is built once here (and thrown away), so every mistake surfaces now.
    """
    t = _Table(data, "")
    version = t.get("version", int, required=True)
    if version != SCHEMA_VERSION:
        raise ScenarioError(
            f"version: this simulator reads version {SCHEMA_VERSION}, not {version}"
        )
    name = t.get("name", str, default_name)
    t.get("description", str)
    seed = t.get("seed", int, 0)
    duration = t.positive("duration_s", float, 10.0)
    if duration > MAX_SECONDS:
        raise ScenarioError(f"duration_s: must be at most {MAX_SECONDS:g}, not {duration!r}")
    scenario = Scenario(data, name, seed, round(duration * 1_000_000))
    _build(scenario, seed)
    return scenario


def _expand(t: _Table) -> list[tuple[str, int]]:
    """Return the (name, index) of the members of an entry with an optional ``count``."""
    name = t.get("name", str, required=True)
    count = t.get("count", int)
    if count is None:
        return [(name, 0)]
    if count < 1:
        raise ScenarioError(f"{t.key('count')}: must be >= 1, not {count}")
    return [(f"{name}{i + 1}", i) for i in range(count)]


def _takes_time(spec: LinkSpec) -> bool:
    """Return whether a frame takes time in this direction (serialisation or delay)."""
    return spec.rate_bps is not None or spec.delay_us > 0 or spec.jitter_us > 0


class _Groups:
    """Nodes in groups joined by chosen links (union-find, with path halving: each look-up
    takes a few steps however the links were listed)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def root(self, node: str) -> str:
        parent = self.parent
        while (up := parent.get(node, node)) != node:
            # Path halving: point the node at its grandparent on the way up.
            parent[node] = node = parent.get(up, up)
        return node

    def join(self, a: str, b: str) -> None:
        self.parent[self.root(a)] = self.root(b)


def _declared(entry: Any) -> int:
    """Return how many hosts a ``hosts`` entry declares, at least 1 (its mistakes, a count
    that is not a positive int among them, are found later: a negative one must not
    offset another entry's in the total)."""
    count = entry.get("count", 1) if isinstance(entry, dict) else 1
    return count if isinstance(count, int) and not isinstance(count, bool) and count > 1 else 1


class _Build:
    """What the sections of a scenario share while its network is built."""

    def __init__(self, net: Network, defaults: dict[str, Any]) -> None:
        self.net = net
        self.defaults = defaults
        """The link keys of ``[defaults]``, under every link's own."""
        self.owners: dict[IpAddress, str] = {}  # each address, and the key that gave it
        self.instant = _Groups()  # the nodes joined by links on which frames take no time
        self.bridged = _Groups()  # the switches joined by links between switches

    def own(self, key: str, text: str) -> None:
        """Record that ``key`` gives the address of CIDR ``text``; refuse one used twice."""
        address = IpCidr.parse(text).address
        if address in self.owners:
            raise ScenarioError(
                f"{key}: {address} is already the address of {self.owners[address]}"
            )
        self.owners[address] = key

    def link(
        self, key: str, name: str, a: str, b: str, spec: LinkSpec, ba: LinkSpec | None
    ) -> None:
        """Add the link ``name`` given by ``key`` between nodes ``a`` and ``b``."""
        net = self.net
        if a in net.switches and b in net.switches:
            # The switches learn but run no spanning tree: a loop of them would carry every
            # broadcast (the first ARP request) round it for ever, and nothing else.
            if self.bridged.root(a) == self.bridged.root(b):
                raise ScenarioError(
                    f"{key}: closes a loop of switches through {a} and {b} (a switch floods "
                    "broadcasts and runs no spanning tree)"
                )
            self.bridged.join(a, b)
        try:
            net.add_link(name, a, b, spec, ba)
        except ValueError as exc:
            raise ScenarioError(f"{key}: {exc}") from None
        if not (_takes_time(spec) or _takes_time(ba or spec)):
            self.instant.join(a, b)


# A host linked by ``attach``: the host, the key of ``attach``, the node, its ``access`` table.
_Access = tuple[str, str, str, _Table]


def _build(scenario: Scenario, seed: int) -> Network:
    """Build the network of ``scenario`` with ``seed``, section by section."""
    top = _Table(scenario.data, "")
    for key in ("version", "name", "seed", "duration_s", "description"):
        top.used.add(key)
    net = Network(seed, scenario.name)
    # The flows are refused below where frames would take no time (the one way a run's clock
    # stands still for good), while thousands of hosts may take a flood of millions of
    # events at one instant: no stall guard.
    net.sim.stall_events = None
    build = _Build(net, _defaults(top))
    _switches(build, top)
    routers = _routers(build, top)
    groups, accesses = _hosts(build, top)
    _access_links(build, accesses)
    _links(build, top)
    _router_addresses(build, routers)
    _flows(build, top, groups)
    top.done()
    return net


def _defaults(top: _Table) -> dict[str, Any]:
    """Read ``[defaults]``, checked as a link's keys even if no link takes them."""
    defaults_table = _Table(top.get("defaults", dict, {}), "defaults")
    defaults = {k: v for k, v in defaults_table.data.items()}
    for key in defaults:
        if key not in _LINK_KEYS:
            raise ScenarioError(f"defaults.{key}: unknown key")
    _link_spec(_Table(defaults, "defaults"))  # a mistake there, even if no link takes it
    return defaults


def _switches(build: _Build, top: _Table) -> None:
    """Add the ``[[switches]]``."""
    for i, entry in enumerate(top.get("switches", list, [])):
        t = _Table(entry, f"switches[{i}]")
        name = t.get("name", str, required=True)
        try:
            build.net.add_switch(name)
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"{t.key('name')}: {exc}") from None
        t.done()


def _routers(build: _Build, top: _Table) -> list[_Table]:
    """Add the ``[[routers]]``; return their tables, read on once their links exist."""
    routers = []
    for i, entry in enumerate(top.get("routers", list, [])):
        t = _Table(entry, f"routers[{i}]")
        name = t.get("name", str, required=True)
        try:
            build.net.add_router(name)
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"{t.key('name')}: {exc}") from None
        routers.append(t)
    return routers


def _hosts(build: _Build, top: _Table) -> tuple[dict[str, list[str]], list[_Access]]:
    """Add the ``[[hosts]]``; return the members of each entry and the hosts to attach."""
    net = build.net
    groups: dict[str, list[str]] = {}
    accesses: list[_Access] = []
    hosts = top.get("hosts", list, [])
    # Counted before any is built: ten thousand hosts take seconds and most of a gigabyte.
    total = sum(_declared(entry) for entry in hosts)
    if total > MAX_HOSTS:
        raise ScenarioError(f"hosts: {total} hosts in all, more than {MAX_HOSTS}")
    for i, entry in enumerate(hosts):
        t = _Table(entry, f"hosts[{i}]")
        members = _expand(t)
        groups[t.data["name"]] = [m for m, _ in members]
        mtu = t.get("mtu", int, 1500)
        offload = t.get("offload", bool, False)
        attach = t.get("attach", str)
        access = t.get("access", dict)
        if access is not None and attach is None:
            raise ScenarioError(f"{t.key('access')}: needs attach (the node it links to)")
        for member, index in members:
            address = _address(t, "address", index, cidr=True)
            assert address is not None
            gateway = _address(t, "gateway", required=False, cidr=False)
            cidr = IpCidr.parse(address)
            _keyed(t.key("address"), _check_host_address, cidr)
            if gateway is not None:
                gw = IpAddress.parse(gateway)
                if gw.version == cidr.address.version:  # (else add_host names the mismatch)
                    _keyed(t.key("gateway"), _check_gateway, cidr, gw)
            try:
                net.add_host(member, address, gateway=gateway, mtu=mtu, offload=offload)
            except (TypeError, ValueError) as exc:
                raise ScenarioError(f"{t.where}: {exc}") from None
            build.own(t.key("address") if len(members) == 1 else f"{t.where} ({member})", address)
            if attach is not None:
                accesses.append(
                    (member, t.key("attach"), attach, _Table(access or {}, t.key("access")))
                )
        t.done()
    return groups, accesses


def _access_links(build: _Build, accesses: list[_Access]) -> None:
    """Link each host with ``attach`` to its node, with the link keys of its ``access``."""
    for member, key, attach, access in accesses:
        try:
            build.net.node(attach)
        except KeyError:
            raise ScenarioError(f"{key}: no node named {attach!r}") from None
        if attach == member:
            raise ScenarioError(f"{key}: {member} is the host itself")
        spec = _link_spec(access, build.defaults)
        access.done()
        build.link(key, f"{member}-{attach}", member, attach, spec, None)


def _links(build: _Build, top: _Table) -> None:
    """Add the ``[[links]]``, each direction's keys over ``[defaults]``."""
    for i, entry in enumerate(top.get("links", list, [])):
        t = _Table(entry, f"links[{i}]")
        name = t.get("name", str, required=True)
        a = t.get("a", str, required=True)
        b = t.get("b", str, required=True)
        for end, node in (("a", a), ("b", b)):
            try:
                build.net.node(node)
            except KeyError:
                raise ScenarioError(f"{t.key(end)}: no node named {node!r}") from None
        if a == b:
            raise ScenarioError(f"{t.key('b')}: the same node as a ({a!r}): a link joins two nodes")
        spec = _link_spec(t, build.defaults)
        reverse = t.get("reverse", dict)
        spec_ba = None
        if reverse is not None:
            rt = _Table(reverse, t.key("reverse"))
            base = dict(build.defaults)
            base.update({k: v for k, v in entry.items() if k in _LINK_KEYS})
            spec_ba = _link_spec(rt, base)
            rt.done()
        t.done()
        build.link(t.key("name"), name, a, b, spec, spec_ba)


def _router_addresses(build: _Build, routers: list[_Table]) -> None:
    """Give each router its ``interfaces`` (on links that exist now) and its ``routes``."""
    for t in routers:
        router = build.net.routers[t.data["name"]]
        interfaces = _Table(t.get("interfaces", dict, required=True), t.key("interfaces"))
        blocks: list[IpCidr] = []
        for link_name in list(interfaces.data):
            address = _address(interfaces, link_name, cidr=True)
            assert address is not None
            try:
                router.set_interface(link_name, mac_for(f"{router.name}/{link_name}"), address)
            except ValueError as exc:
                raise ScenarioError(f"{interfaces.key(link_name)}: {exc}") from None
            build.own(interfaces.key(link_name), address)
            blocks.append(IpCidr.parse(address))
        routes = _Table(t.get("routes", dict, {}), t.key("routes"))
        for prefix in list(routes.data):
            via = routes.get(prefix, str)
            try:
                router.add_route(prefix, via)
            except ValueError as exc:
                raise ScenarioError(f"{routes.key(prefix)}: {exc}") from None
            hop = IpAddress.parse(via)
            if not hop.is_link_local and not any(block.contains_addr(hop) for block in blocks):
                # The router could never reach it: every packet of the route would be lost.
                raise ScenarioError(
                    f"{routes.key(prefix)}: the next hop {hop} is on none of {router.name}'s "
                    "links (see its interfaces)"
                )
        t.done()


_FLOW_KINDS = {"bulk": Bulk, "rr": RequestResponse, "crr": ConnectionRate}


def _flows(build: _Build, top: _Table, groups: dict[str, list[str]]) -> None:
    """Add the ``[[flows]]`` (``groups``: the members of each ``[[hosts]]`` entry)."""
    for i, entry in enumerate(top.get("flows", list, [])):
        _flow(build.net, groups, build.instant, _Table(entry, f"flows[{i}]"))


def _flow(net: Network, groups: dict[str, list[str]], instant: _Groups, t: _Table) -> None:
    """Add the workloads of one ``[[flows]]`` entry: one per member of a client group."""
    name = t.get("name", str, required=True)
    kind = t.get("kind", str, "bulk")
    if kind not in _FLOW_KINDS:
        raise ScenarioError(f"{t.key('kind')}: must be one of {sorted(_FLOW_KINDS)}, not {kind!r}")
    client = t.get("client", str, required=True)
    server = t.get("server", str, required=True)
    clients = groups.get(client)
    if clients is None and client in net.hosts:
        clients = [client]
    if clients is None:
        raise ScenarioError(f"{t.key('client')}: no host or host group named {client!r}")
    if server not in net.hosts:
        raise ScenarioError(f"{t.key('server')}: no host named {server!r}")
    for member in clients:
        if member == server:
            raise ScenarioError(f"{t.key('server')}: {server} is the client too")
        if instant.root(member) == instant.root(server):
            # The simulator's clock would never move: each round trip takes no time.
            raise ScenarioError(
                f"{t.key('server')}: {member} and {server} are joined by links that take no "
                "time (no rate_bps, delay_ms or jitter_ms): the flow would run forever at one "
                "instant"
            )
    port = t.get("port", int, 5001)
    start_us = _micros(t, "start_ms")
    spread_us = _micros(t, "spread_ms")
    buffer = t.positive("buffer", int, 1 << 18)
    if buffer > MAX_BUFFER:
        raise ScenarioError(f"{t.key('buffer')}: must be at most {MAX_BUFFER}, not {buffer}")
    cc = t.get("cc", str)
    _keyed(t.key("cc"), _check_cc, cc)
    common: dict[str, Any] = {"cc": cc, "buffer": buffer}
    if kind == "bulk":
        common["size"] = t.positive("size", int)
    else:
        common["request"] = t.positive("request", int, 100)
        common["response"] = t.positive("response", int, 1000)
        if kind == "rr":
            common["count"] = t.positive("count", int)
            common["think_us"] = _micros(t, "think_ms")
        else:
            common["count"] = t.positive("count", int, 1)
            common["interval_us"] = _micros(t, "interval_ms")
    t.done()
    rng = net.sim.rng(name, "start")
    for i, member in enumerate(clients):
        flow_name = name if len(clients) == 1 else f"{name}{i + 1}"
        start = start_us + (rng.randrange(spread_us + 1) if spread_us else 0)
        if not 0 < port + i < 65536:
            raise ScenarioError(f"{t.key('port')}: {port + i} is not a port")
        # Checked here, not left to the workload and add_flow, to name the key at fault.
        if flow_name in net.flows:
            raise ScenarioError(f"{t.key('name')}: flow name {flow_name!r} is used twice")
        _keyed(t.key("port"), _check_port, net.hosts[server], port + i)
        _keyed(t.key("server"), _check_ip_version, net.hosts[member], net.hosts[server])
        try:
            flow = _FLOW_KINDS[kind](
                flow_name,
                net.hosts[member],
                net.hosts[server],
                port + i,
                start_us=start,
                **common,
            )
            net.add_flow(flow)
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"{t.where}: {exc}") from None


def _keyed(key: str, check: Callable[..., None], *args: Any) -> None:
    """Run ``check(*args)``; raise its TypeError or ValueError as a `ScenarioError` of ``key``."""
    try:
        check(*args)
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{key}: {exc}") from None
