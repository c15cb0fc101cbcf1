"""Scenarios: a network, its workloads, a duration and a seed, from a TOML file or a dict.

The format (``version = 1``) is described in the package README. `load` reads a file,
`from_dict` takes the same structure already parsed, and both return a `Scenario`, whose
`Scenario.build` makes a fresh `Network` (optionally with another seed). Any mistake in a
scenario raises `ScenarioError`, whose message names the key ("links[2].rate_bps: ...").
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from smoltcp.phy.impair import Bernoulli, GilbertElliott, Listed, LossModel, Periodic
from smoltcp.wire import IpAddress, IpCidr, Ipv4Address, Ipv6Address

from .apps import Bulk, ConnectionRate, RequestResponse
from .link import LinkSpec
from .network import Network, mac_for
from .queue import QueueSpec

__all__ = ["SCHEMA_VERSION", "Scenario", "ScenarioError", "from_dict", "load"]

SCHEMA_VERSION = 1


class ScenarioError(ValueError):
    """A scenario that cannot be built; the message starts with the offending key."""


class _Table:
    """A TOML table being read: typed lookups, and an error for any key left unread."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(f"{where}: must be a table, not {type(data).__name__}")
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


def _queue(data: Any, where: str) -> QueueSpec:
    t = _Table(data if data is not None else {}, where)
    try:
        spec = QueueSpec(
            kind=t.get("kind", str, "droptail"),
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
            rate_bps=m.positive("rate_bps", int),
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


def _address(t: _Table, name: str, offset: int = 0, *, required: bool = True) -> str | None:
    text = t.get(name, str, required=required)
    if text is None:
        return None
    try:
        if "/" in text:
            cidr = IpCidr.parse(text)
            return f"{_shift(cidr.address, offset)}/{cidr.prefix_len}"
        return str(_shift(IpAddress.parse(text), offset))
    except (TypeError, ValueError) as exc:
        raise ScenarioError(f"{t.key(name)}: not a usable IP address: {exc}") from None


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
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the optional dependency of Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise ScenarioError("reading TOML on Python 3.10 needs the 'tomli' package") from None
    with open(path, "rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{os.fspath(path)}: not valid TOML: {exc}") from None
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
    seed = t.get("seed", int, 0)
    duration = t.positive("duration_s", float, 10.0)
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


def _build(scenario: Scenario, seed: int) -> Network:
    data = scenario.data
    top = _Table(data, "")
    for key in ("version", "name", "seed", "duration_s", "description"):
        top.used.add(key)
    net = Network(seed, scenario.name)
    defaults_table = _Table(top.get("defaults", dict, {}), "defaults")
    defaults = {k: v for k, v in defaults_table.data.items()}
    for key in defaults:
        if key not in _LINK_KEYS:
            raise ScenarioError(f"defaults.{key}: unknown key")
    groups: dict[str, list[str]] = {}
    accesses: list[tuple[str, str, str, _Table]] = []

    for i, entry in enumerate(top.get("switches", list, [])):
        t = _Table(entry, f"switches[{i}]")
        try:
            net.add_switch(t.get("name", str, required=True))
        except ValueError as exc:
            raise ScenarioError(f"{t.key('name')}: {exc}") from None
        t.done()
    routers = []
    for i, entry in enumerate(top.get("routers", list, [])):
        t = _Table(entry, f"routers[{i}]")
        try:
            net.add_router(t.get("name", str, required=True))
        except ValueError as exc:
            raise ScenarioError(f"{t.key('name')}: {exc}") from None
        routers.append(t)
    for i, entry in enumerate(top.get("hosts", list, [])):
        t = _Table(entry, f"hosts[{i}]")
        members = _expand(t)
        groups[t.data["name"]] = [m for m, _ in members]
        mtu = t.get("mtu", int, 1500)
        offload = t.get("offload", bool, False)
        attach = t.get("attach", str)
        access = t.get("access", dict, {})
        for member, index in members:
            address = _address(t, "address", index)
            gateway = _address(t, "gateway", required=False)
            try:
                net.add_host(
                    member,
                    address,  # type: ignore[arg-type]
                    gateway=gateway,
                    mtu=mtu,
                    offload=offload,
                )
            except (TypeError, ValueError) as exc:
                raise ScenarioError(f"{t.where}: {exc}") from None
            if attach is not None:
                accesses.append((member, t.key("attach"), attach, _Table(access, t.key("access"))))
        t.done()
    for member, key, attach, access in accesses:
        try:
            net.node(attach)
        except KeyError:
            raise ScenarioError(f"{key}: no node named {attach!r}") from None
        spec = _link_spec(access, defaults)
        access.done()
        net.add_link(f"{member}-{attach}", member, attach, spec)
    for i, entry in enumerate(top.get("links", list, [])):
        t = _Table(entry, f"links[{i}]")
        name = t.get("name", str, required=True)
        a = t.get("a", str, required=True)
        b = t.get("b", str, required=True)
        for end, node in (("a", a), ("b", b)):
            try:
                net.node(node)
            except KeyError:
                raise ScenarioError(f"{t.key(end)}: no node named {node!r}") from None
        spec = _link_spec(t, defaults)
        reverse = t.get("reverse", dict)
        spec_ba = None
        if reverse is not None:
            rt = _Table(reverse, t.key("reverse"))
            base = dict(defaults)
            base.update({k: v for k, v in entry.items() if k in _LINK_KEYS})
            spec_ba = _link_spec(rt, base)
            rt.done()
        t.done()
        try:
            net.add_link(name, a, b, spec, spec_ba)
        except ValueError as exc:
            raise ScenarioError(f"{t.key('name')}: {exc}") from None
    for t in routers:
        router = net.routers[t.data["name"]]
        interfaces = _Table(t.get("interfaces", dict, required=True), t.key("interfaces"))
        for link in list(interfaces.data):
            address = _address(interfaces, link)
            try:
                router.set_interface(link, mac_for(f"{router.name}/{link}"), address)  # type: ignore[arg-type]
            except ValueError as exc:
                raise ScenarioError(f"{interfaces.key(link)}: {exc}") from None
        routes = _Table(t.get("routes", dict, {}), t.key("routes"))
        for prefix in list(routes.data):
            via = routes.get(prefix, str)
            try:
                router.add_route(prefix, via)
            except ValueError as exc:
                raise ScenarioError(f"{routes.key(prefix)}: {exc}") from None
        t.done()
    for i, entry in enumerate(top.get("flows", list, [])):
        _flow(net, groups, _Table(entry, f"flows[{i}]"))
    top.done()
    return net


_FLOW_KINDS = {"bulk": Bulk, "rr": RequestResponse, "crr": ConnectionRate}


def _flow(net: Network, groups: dict[str, list[str]], t: _Table) -> None:
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
    port = t.get("port", int, 5001)
    start_us = _micros(t, "start_ms")
    spread_us = _micros(t, "spread_ms")
    common: dict[str, Any] = {
        "cc": t.get("cc", str),
        "buffer": t.positive("buffer", int, 1 << 18),
    }
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
        try:
            flow = _FLOW_KINDS[kind](
                flow_name,
                net.hosts[member],
                net.hosts[server],
                port + i,
                start_us=start,
                **common,
            )
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"{t.where}: {exc}") from None
        net.add_flow(flow)
