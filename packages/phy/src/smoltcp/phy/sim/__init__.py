"""A deterministic network simulator in virtual time: real stacks on many hosts.

Every host is a full `smoltcp.stack.iface.Interface` with its sockets; links, switches and
routers carry real frames between them; a discrete-event `Simulator` owns the clock (integer
microseconds) and jumps it from event to event, never sleeping and never reading a wall clock.
Every element draws from its own random stream, derived from the scenario seed and its name,
so the same scenario and seed give the same run, frame for frame.
"""

from .aio_loop import VirtualTimeEventLoop
from .apps import Bulk, ConnectionRate, FlowStats, RequestResponse, Server, Workload
from .host import SimHost
from .link import Link, LinkSpec, Port
from .queue import CoDel, DropTail, QueueSpec, Red
from .router import Router
from .runner import ClockStalled, Simulator, TimerHandle, element_rng
from .switch import Switch

__all__ = [
    "Bulk",
    "ClockStalled",
    "CoDel",
    "ConnectionRate",
    "DropTail",
    "FlowStats",
    "Link",
    "LinkSpec",
    "Port",
    "QueueSpec",
    "Red",
    "Router",
    "RequestResponse",
    "Server",
    "SimHost",
    "Switch",
    "Simulator",
    "TimerHandle",
    "VirtualTimeEventLoop",
    "Workload",
    "element_rng",
]
