"""A backlog child's congestion controller: a full, independent copy of the listener's."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from tcp_harness import TcpControl, TcpHarness

from smoltcp.stack.tcp.congestion import Cubic, NoControl, Reno


def _child_controller(cc: object) -> object:
    hh = TcpHarness()
    hh.sock.set_congestion_control(cc)  # type: ignore[arg-type]
    hh.listen(backlog=2)
    hh.send(TcpControl.SYN, seq=100, src_port=1001)
    child = next(s for s in hh.set.sockets.values() if s is not hh.sock)
    return child.congestion_control


def _fields(cc: object) -> dict[str, object]:
    names = {n for k in type(cc).__mro__ for n in getattr(k, "__slots__", ())}
    return {n: getattr(cc, n) for n in names if hasattr(cc, n)}


def test_a_built_in_controller_is_copied_field_by_field() -> None:
    for cc in (Cubic(hystart=False), Reno(), NoControl(), Cubic(1448)):
        # State as well as configuration: the child starts from what the listener holds.
        cc.set_mss(1000)
        copy = _child_controller(cc)
        assert type(copy) is type(cc)
        assert copy is not cc
        assert _fields(copy) == _fields(cc)


def test_a_users_controller_is_deep_copied() -> None:
    class Weighted(Cubic):
        __slots__ = ("weights",)
        name = "weighted"

        def __init__(self) -> None:
            # Configuration that no reset touches, in a mutable container.
            self.weights = [1, 2]
            super().__init__()

    mine = Weighted()
    copy = _child_controller(mine)
    assert type(copy) is Weighted
    assert copy.weights == [1, 2]  # type: ignore[attr-defined]
    assert copy.weights is not mine.weights  # type: ignore[attr-defined]


def test_the_copy_takes_every_slot() -> None:
    # Each slot its own value, so that a slot the copy missed or mixed up shows.
    from smoltcp.stack.tcp.socket import _copy_controller

    for cc in (Cubic(), Reno(), NoControl()):
        names = sorted({n for k in type(cc).__mro__ for n in getattr(k, "__slots__", ())})
        for i, name in enumerate(names):
            setattr(cc, name, 1000 + i)
        copy = _copy_controller(cc)
        assert type(copy) is type(cc)
        assert {n: getattr(copy, n) for n in names} == {n: 1000 + i for i, n in enumerate(names)}
        setattr(copy, names[0], -1)
        assert getattr(cc, names[0]) == 1000
