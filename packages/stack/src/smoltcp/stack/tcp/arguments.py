"""Check and convert the arguments of `TcpSocket`'s public calls.

Buffers are a `RingBuffer` or a size; durations a `Duration`. Endpoints (`TcpSocket.listen`,
`connect`) are an `IpEndpoint`, an ``(address, port)`` tuple whose address is an `IpAddress`,
its text form (``"192.168.69.1"``) or None, or (where the call says so) a bare port. Anything
else is API misuse: `TypeError` for a value of the wrong kind, `ValueError`
for a port outside 0..65535 or an address that does not parse, each naming the argument.
"""

from __future__ import annotations

from smoltcp.stack.storage import RingBuffer
from smoltcp.stack.time import Duration
from smoltcp.wire import IpAddress, IpEndpoint

__all__ = ["EndpointLike", "check_port", "micros", "ring_buffer", "to_endpoint"]

EndpointLike = IpEndpoint | tuple[IpAddress | str | None, int] | int
"""What `to_endpoint` accepts (a bare int only where the caller allows a port alone)."""


def check_port(port: object, what: str) -> int:
    """Return ``port`` if it is an int in 0..65535; else raise TypeError or ValueError."""
    if not isinstance(port, int) or isinstance(port, bool):
        raise TypeError(f"{what} port must be an int, not {type(port).__name__}")
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"{what} port must be in 0..65535, not {port}")
    return port


def _address(addr: object, what: str) -> IpAddress | None:
    if addr is None or isinstance(addr, IpAddress):
        return addr
    if isinstance(addr, str):
        try:
            return IpAddress.parse(addr)
        except ValueError as exc:
            raise ValueError(f"{what} address {addr!r} does not parse: {exc}") from None
    raise TypeError(
        f"{what} address must be an IpAddress, a str or None, not {type(addr).__name__}"
    )


def to_endpoint(value: object, what: str, *, port_alone: bool) -> IpEndpoint:
    """Return ``value`` as an `IpEndpoint` (see the module docstring).

    ``port_alone`` allows a bare int port (the address is then None: any, or chosen later).
    Raises TypeError or ValueError naming ``what``.
    """
    if isinstance(value, IpEndpoint):
        return IpEndpoint(_address(value.addr, what), check_port(value.port, what))
    if isinstance(value, int) and not isinstance(value, bool):
        if not port_alone:
            raise TypeError(f"{what} must be an IpEndpoint or an (address, port) tuple, not int")
        return IpEndpoint(None, check_port(value, what))
    if isinstance(value, tuple):
        if len(value) != 2:
            raise TypeError(f"{what} must be an (address, port) pair, not {len(value)} items")
        return IpEndpoint(_address(value[0], what), check_port(value[1], what))
    kinds = "an IpEndpoint, an (address, port) tuple" + (" or a port" if port_alone else "")
    raise TypeError(f"{what} must be {kinds}, not {type(value).__name__}")


def ring_buffer(buffer: RingBuffer | int, what: str) -> RingBuffer:
    """Return ``buffer``, or a new `RingBuffer` of that many octets; raise naming ``what``."""
    if isinstance(buffer, RingBuffer):
        return buffer
    if isinstance(buffer, int) and not isinstance(buffer, bool):
        if buffer <= 0:
            raise ValueError(f"{what} size must be > 0, not {buffer}")
        return RingBuffer(buffer)
    raise TypeError(f"{what} must be a RingBuffer or an int size, not {type(buffer).__name__}")


def micros(value: Duration, what: str) -> int:
    """Return ``value`` in microseconds; TypeError/ValueError naming ``what`` if not >= 0."""
    if not isinstance(value, Duration):
        raise TypeError(f"{what} must be a Duration or None, not {type(value).__name__}")
    if value.micros < 0:
        raise ValueError(f"{what} must not be negative")
    return value.micros
