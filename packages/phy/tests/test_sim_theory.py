"""The simulator against TCP theory: deterministic runs compared with the textbook models.

Each test runs real stacks over a simulated path with a fixed seed, so a result is the same
on every run; the tolerances are those of the models, stated in each test. The topology is
a sender on a fast access link (1 Gbit/s) to a switch, whose port towards the receiver is
the bottleneck (rate, one-way delay, drop-tail queue); ACKs come back the same way.
"""

from __future__ import annotations

import math

import pytest

from smoltcp.phy.impair import Listed, LossModel, Periodic
from smoltcp.phy.sim import Bulk, LinkSpec, QueueSpec
from smoltcp.phy.sim.network import Network, jain_index
from smoltcp.stack.tcp.congestion import initial_window

MSS = 1448  # a 1500-octet MTU less the IP, TCP and timestamp option headers
FRAME = 1514


def _path(
    rate_bps: int,
    one_way_us: int,
    queue_frames: int,
    *,
    loss: LossModel | None = None,
    cc: str = "reno",
    buffer: int = 1 << 22,
    flows: int = 1,
    jitter_us: int = 0,
    seed: int = 1,
) -> tuple[Network, list[Bulk]]:
    net = Network(seed)
    net.add_switch("sw")
    b = net.add_host("b", "10.0.0.100/24")
    bulks = []
    for i in range(flows):
        a = net.add_host(f"a{i}", f"10.0.0.{i + 1}/24")
        net.add_link(
            f"access{i}",
            f"a{i}",
            "sw",
            LinkSpec(rate_bps=1_000_000_000, queue=QueueSpec(limit=10_000), jitter_us=jitter_us),
        )
        bulks.append(Bulk(f"f{i}", a, b, 5001 + i, cc=cc, buffer=buffer))
        net.add_flow(bulks[-1])
    forward = LinkSpec(
        rate_bps=rate_bps, delay_us=one_way_us, queue=QueueSpec(limit=queue_frames), loss=loss
    )
    back = LinkSpec(rate_bps=rate_bps, delay_us=one_way_us, queue=QueueSpec(limit=10_000))
    net.add_link("bottleneck", "sw", "b", forward, back)
    return net, bulks


def _goodput(net: Network, flow: Bulk, t1: int, t2: int) -> float:
    """Return the flow's goodput (bit/s) between simulated times ``t1`` and ``t2`` (µs)."""
    marks: dict[int, int] = {}
    net.sim.call_at(t1, lambda: marks.__setitem__(1, flow.stats.octets))
    net.sim.call_at(t2, lambda: marks.__setitem__(2, flow.stats.octets))
    net.run(t2, finish=False)
    return (marks[2] - marks[1]) * 8 / ((t2 - t1) / 1e6)


# -- receive window --------------------------------------------------------------------------


@pytest.mark.parametrize("buffer", [65_535, 131_072, 262_144])
def test_receive_window_limited_goodput_is_w_over_r(buffer: int) -> None:
    """A 1 Gbit/s path with a 100 ms round trip: the window, not the link, limits the flow.

    Model: goodput = W / R, where W is the window the receiver offers, which is not its
    buffer. The receiver acknowledges every second full segment at once, in the poll that
    delivered it, before its application has read that segment; the window in that ACK is
    the buffer less the one segment still unread (the one before it was read already), so
    W = buffer - MSS (for these buffers a multiple of the window scale's unit, so the
    advertised field expresses it exactly). When the application then reads, the stack
    does not send a window update for one more MSS: like Linux it offers an update only
    when it would double the window, which RFC 9293 3.8.6.2.2 allows. The sender (Nagle,
    sender SWS avoidance, RFC 9293 3.8.6.2.1) holds back the sub-MSS remainder of W most
    of the time, and a lone segment waits up to the ACK delay: both lower the goodput a
    little below W / R (measured: 1.5 % with the 64 KiB buffer, whose W is not a whole
    number of segments; 0.1 % and 0.5 % with the others). Tolerance 2 %.
    """
    net, (flow,) = _path(1_000_000_000, 50_000, 10_000, buffer=buffer)
    rtt = 0.1
    goodput = _goodput(net, flow, 2_000_000, 6_000_000)
    offered = buffer - MSS
    # The sender sees the window the model assumes.
    (sock,) = flow.client_sockets()
    assert sock.tcb.snd_wnd == offered
    assert goodput == pytest.approx(offered * 8 / rtt, rel=0.02)


# -- slow start ------------------------------------------------------------------------------


@pytest.mark.parametrize("cc", ["reno", "cubic"])
def test_slow_start_doubles_the_window_every_round_trip(cc: str) -> None:
    # Model: the initial window (RFC 6928: 10 segments of 1448), and the window grows by the
    # octets each ACK acknowledges (RFC 5681 3.1, with byte counting): with delayed ACKs of
    # two segments each, every round trip sends twice the segments of the last, so reaching a
    # window of N segments takes ceil(log2(N / IW)) round trips, exactly.
    net, _ = _path(1_000_000_000, 50_000, 10_000, cc=cc, buffer=1 << 23)
    sent: list[int] = []
    port = net.links["access0"].ab
    port.tap = lambda now, frame: sent.append(now) if len(frame) > 1000 else None
    net.run(800_000, finish=False)
    first = sent[0]
    rounds: dict[int, int] = {}
    for t in sent:
        # Each round's burst leaves within a few ms; rounds are 100 ms apart.
        rounds[(t - first) // 50_000] = rounds.get((t - first) // 50_000, 0) + 1
    iw = initial_window(MSS) // MSS
    assert iw == 10
    bursts = [rounds[k] for k in sorted(rounds)]
    assert bursts == [iw * 2**k for k in range(len(bursts))]
    assert len(bursts) == 6
    assert math.ceil(math.log2(300 / iw)) == 5  # the 6th round (index 5) carries >= 300


# -- the sawtooth ----------------------------------------------------------------------------

BDP_FRAMES = 10_000_000 * 0.040 / 8 / FRAME  # 10 Mbit/s x 40 ms: 33 frames


def _sawtooth(b: float) -> float:
    """Reno's utilization with a buffer of b x BDP (b <= 1): 3 (1+b)^2 / (4 (1+b+b^2))."""
    return 3 * (1 + b) ** 2 / (4 * (1 + b + b * b))


@pytest.mark.parametrize("b", [0.0, 0.5, 1.0])
def test_reno_utilization_follows_the_sawtooth_model(b: float) -> None:
    # Model: Reno's window saws between W/2 and W = (1+b) BDP; the link idles while the
    # window is below one BDP. Tolerance: 5 points of utilization, and at least 95 % with a
    # full BDP. The buffer is b x BDP plus two frames: the model's fluid has no bursts, while
    # an ACK of two segments that also grows the window releases three segments back to back
    # at the access link's 1 Gbit/s, and a queue that cannot hold them loses at every growth
    # (measured: with b = 0 and a one-frame queue the flow never leaves a window of 3 to 6
    # segments, 7 % utilization).
    queue = round(b * BDP_FRAMES) + 2
    net, _ = _path(10_000_000, 20_000, queue)
    net.run(3_000_000, finish=False)
    port = net.links["bottleneck"].ab
    busy = port.counters.busy_us
    net.run(13_000_000, finish=False)
    utilization = (port.counters.busy_us - busy) / 10_000_000
    assert utilization == pytest.approx(_sawtooth(b), abs=0.05)
    if b == 1.0:
        assert utilization >= 0.95


# -- Mathis ----------------------------------------------------------------------------------


def _mathis(p: float, rtt: float) -> float:
    # Mathis et al. 1997: MSS/RTT x C/sqrt(p). C = sqrt(3/2): the stack's Reno grows by one
    # MSS per window of octets acknowledged (byte counting), whatever the ACK frequency, so
    # the delayed-ACK constant (0.87) does not apply.
    return MSS * 8 / rtt * math.sqrt(1.5) / math.sqrt(p)


@pytest.mark.parametrize(
    ("every", "seconds"),
    [(100, 15), (1000, 30), pytest.param(10_000, 200, marks=pytest.mark.slow)],
)
def test_newreno_under_periodic_loss_follows_mathis(every: int, seconds: int) -> None:
    # 100 Mbit/s, 100 ms round trip, a large buffer: loss, not the link, limits the window.
    # Every `every`-th frame on the forward path is lost (p = 1/every).
    net, (flow,) = _path(100_000_000, 50_000, 10_000, loss=Periodic(every))
    goodput = _goodput(net, flow, 5_000_000, 5_000_000 + seconds * 1_000_000)
    assert flow.stats.timeouts == 0
    assert goodput == pytest.approx(_mathis(1 / every, 0.1), rel=0.20)


# -- CUBIC -----------------------------------------------------------------------------------


def test_cubic_window_after_one_loss_follows_rfc_9438() -> None:
    # One loss in slow start; afterwards W(t) = C (t - K)^3 + W_max with
    # K = cbrt(W_max (1 - beta) / C), C = 0.4, beta = 0.7 (RFC 9438 4.2), t from the loss.
    # Tolerance 10 %. (For W_max = 100 segments, K = 4.22 s.)
    assert round((100 * 0.3 / 0.4) ** (1 / 3), 3) == 4.217
    net, (flow,) = _path(100_000_000, 50_000, 10_000, loss=Listed([120]), cc="cubic")
    samples: list[tuple[int, int, int]] = []

    def sample() -> None:
        now = net.sim.now_us
        samples.extend(
            (now, sock.stats.cwnd, sock.congestion_control.w_max)  # type: ignore[attr-defined]
            for sock in flow.client_sockets()
        )
        net.sim.call_later(10_000, sample)

    net.sim.call_at(0, sample)
    net.run(10_500_000, finish=False)
    # The window grows and is cut within one burst of ACKs (a few ms): the loss shows as
    # the first sample with a W_max.
    drop = next(i for i in range(len(samples)) if samples[i][2] > 0)
    t0, _, w_max_octets = samples[drop]
    w_max = w_max_octets / MSS
    assert 80 <= w_max <= 130
    k = (w_max * (1 - 0.7) / 0.4) ** (1 / 3)
    checked = 0
    for t, cwnd, _ in samples[drop:]:
        elapsed = (t - t0) / 1e6
        if elapsed > 2 * k:
            break
        model = 0.4 * (elapsed - k) ** 3 + w_max
        assert cwnd / MSS == pytest.approx(model, rel=0.10), f"at {elapsed:.2f} s after the loss"
        checked += 1
    assert checked > 500
    assert [sock.stats.retransmissions for sock in flow.client_sockets()] == [1]


def _window_octets(net: Network, flows: list[Bulk], t1: int, t2: int) -> list[float]:
    """Return the octets each flow delivered between ``t1`` and ``t2`` (µs)."""
    marks: dict[int, list[int]] = {}
    for key, at in ((1, t1), (2, t2)):
        net.sim.call_at(at, lambda k=key: marks.__setitem__(k, [f.stats.octets for f in flows]))
    net.run(t2, finish=False)
    return [float(b - a) for a, b in zip(marks[1], marks[2], strict=True)]


# -- fairness --------------------------------------------------------------------------------


def test_two_flows_share_a_bottleneck_fairly() -> None:
    # Two CUBIC flows, the same round trip, seeded jitter on the access links, a one-BDP
    # drop-tail queue: over 5 seeds the slower gets at least 80 % of the faster's goodput on
    # average, and Jain's index is at least 0.9 on average.
    ratios = []
    indices = []
    for seed in range(1, 6):
        net, flows = _path(10_000_000, 20_000, 35, cc="cubic", flows=2, jitter_us=500, seed=seed)
        rates = _window_octets(net, flows, 2_000_000, 10_000_000)
        ratios.append(min(rates) / max(rates))
        indices.append(jain_index(rates))
    assert sum(ratios) / len(ratios) >= 0.8, ratios
    assert sum(indices) / len(indices) >= 0.9  # type: ignore[operator]


def _cubic_table_window(p: float, rtt: float) -> float:
    """RFC 9438 section 5.1's average window (segments) under loss rate ``p``: the larger of
    CUBIC's response function (C (3 + beta) / (4 (1 - beta)))^(1/4) (RTT / p)^(3/4) and the
    Reno-friendly region's 1.2 / sqrt(p) (its alpha makes it Reno's; the table rounds
    sqrt(3/2) to 1.2)."""
    cubic = (0.4 * 3.7 / (4 * 0.3)) ** 0.25 * (rtt / p) ** 0.75
    return max(cubic, 1.2 / math.sqrt(p))


@pytest.mark.parametrize(
    ("every", "warmup", "seconds", "table"),
    [
        (100, 5, 15, 12),
        (1000, 15, 30, 38),
        pytest.param(10_000, 5, 200, 187, marks=pytest.mark.slow),
    ],
)
def test_cubic_average_window_against_the_rfc_9438_table(
    every: int, warmup: int, seconds: int, table: int
) -> None:
    """RFC 9438 section 5.1, RTT 100 ms, deterministic loss of one frame in ``every``: the
    average window (goodput x RTT / MSS) within 15 % of the table (which the formula
    reproduces), measured over ``seconds`` after ``warmup`` seconds.

    The table is an average of the steady state, so the measurement must start there. Slow
    start overshoots to about 110 segments; at p = 1e-3 each loss then lowers the window by
    only 30 % and fast convergence (RFC 9438 4.7) lowers W_max a cycle at a time, so the
    sawtooth settles (36 to 51 segments, a loss every 2.3 s) only after about 12 s: a
    measurement from 5 s counted that descent and read 18 % high. In steady state the
    window is 11 % above the table's 38: the table takes the larger of two averages (the
    cubic region's 33 and the Reno-friendly region's 38, which cross near p = 1e-3), while
    the algorithm follows the larger of the two windows at every instant, plus fast
    convergence, whose average is above both near the crossing.
    """
    rtt = 0.1
    assert round(_cubic_table_window(1 / every, rtt)) == table
    net, (flow,) = _path(100_000_000, 50_000, 10_000, loss=Periodic(every), cc="cubic")
    start = warmup * 1_000_000
    goodput = _goodput(net, flow, start, start + seconds * 1_000_000)
    window = goodput * rtt / 8 / MSS
    assert window == pytest.approx(table, rel=0.15)
