"""SYN cookies: round trips, rejections, rotation and a statistical look at collisions."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smoltcp.stack.tcp.syncookie import (
    MSS_TABLE,
    CookieOptions,
    CookieSynAck,
    SynCookies,
    decode_timestamp,
    encode_timestamp,
    mss_index,
)
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import (
    IpAddress,
    IpEndpoint,
    TcpControl,
    TcpRepr,
    TcpSeqNumber,
    TcpTimestampRepr,
)

SECRET = bytes(range(16))
LOCAL = IpEndpoint(IpAddress.parse("192.168.69.1"), 80)
REMOTE = IpEndpoint(IpAddress.parse("192.168.69.2"), 49152)
NOW = Instant.from_secs(10_000)
MASK = (1 << 32) - 1

u32 = st.integers(0, MASK)
window_scales = st.one_of(st.none(), st.integers(0, 14))


def endpoint(a: int, port: int) -> IpEndpoint:
    return IpEndpoint(IpAddress.parse(f"10.{a >> 16 & 255}.{a >> 8 & 255}.{a & 255}"), port)


@settings(max_examples=400)
@given(
    index=st.integers(0, len(MSS_TABLE) - 1),
    ws=window_scales,
    sack=st.booleans(),
    ecn=st.booleans(),
    peer_isn=u32,
    tsval=u32,
    secs=st.integers(0, 10**7),
    later=st.integers(0, 63),
)
def test_round_trip_every_mss_index_window_scale_and_sack(
    index: int,
    ws: int | None,
    sack: bool,
    ecn: bool,
    peer_isn: int,
    tsval: int,
    secs: int,
    later: int,
) -> None:
    jar = SynCookies(SECRET)
    now = Instant.from_secs(secs)
    cookie = jar.make(LOCAL, REMOTE, peer_isn, MSS_TABLE[index], now)
    ts = encode_timestamp(tsval, ws, sack, ecn)
    # The client's ACK: seq = its ISN + 1, ack = our ISS + 1, TSecr = our TSval.
    got = jar.check_ack(
        LOCAL,
        REMOTE,
        (peer_isn + 1) & MASK,
        (cookie + 1) & MASK,
        ts,
        now + Duration.from_secs(later),
    )
    assert got == CookieOptions(MSS_TABLE[index], ws, sack, ecn, timestamps=True)
    # Without the timestamps option the MSS still comes back, and nothing else.
    plain = jar.check_ack(LOCAL, REMOTE, (peer_isn + 1) & MASK, (cookie + 1) & MASK, None, now)
    assert plain == CookieOptions(MSS_TABLE[index])


@given(mss=st.integers(0, 0xFFFF))
def test_mss_index_never_exceeds_the_offer(mss: int) -> None:
    chosen = MSS_TABLE[mss_index(mss)]
    if mss >= MSS_TABLE[0]:
        assert chosen <= mss
        # ...and is the largest entry that fits.
        assert all(v <= chosen or v > mss for v in MSS_TABLE)
    else:
        assert mss_index(mss) == 0


@given(tsval=u32, ws=window_scales, sack=st.booleans(), ecn=st.booleans())
def test_timestamp_never_runs_ahead_and_decodes(
    tsval: int, ws: int | None, sack: bool, ecn: bool
) -> None:
    ts = encode_timestamp(tsval, ws, sack, ecn)
    # At most 127 behind the clock (modulo 2**32), never ahead of it.
    assert (tsval - ts) & MASK < 128
    assert decode_timestamp(ts) == (ws, sack, ecn)


def test_wrong_tuple_secret_isn_and_off_by_one_are_rejected() -> None:
    jar = SynCookies(SECRET)
    cookie = jar.make(LOCAL, REMOTE, 1000, 1460, NOW)
    assert jar.check(LOCAL, REMOTE, 1000, cookie, NOW) == 1460
    other_port = IpEndpoint(REMOTE.addr, REMOTE.port + 1)
    other_addr = IpEndpoint(IpAddress.parse("192.168.69.3"), REMOTE.port)
    assert jar.check(LOCAL, other_port, 1000, cookie, NOW) is None
    assert jar.check(LOCAL, other_addr, 1000, cookie, NOW) is None
    assert jar.check(IpEndpoint(LOCAL.addr, 81), REMOTE, 1000, cookie, NOW) is None
    # Swapped direction is another tuple.
    assert jar.check(REMOTE, LOCAL, 1000, cookie, NOW) is None
    # Another SYN from the same tuple (another ISN).
    assert jar.check(LOCAL, REMOTE, 1001, cookie, NOW) is None
    # Another secret.
    assert SynCookies(bytes(16)).check(LOCAL, REMOTE, 1000, cookie, NOW) is None
    # The ACK must acknowledge exactly cookie + 1.
    for delta in (-1, 1, 2, 1 << 24, 1 << 27):
        assert jar.check(LOCAL, REMOTE, 1000, (cookie + delta) & MASK, NOW) is None
    assert jar.check_ack(LOCAL, REMOTE, 1001, (cookie + 1) & MASK, None, NOW) is not None
    assert jar.check_ack(LOCAL, REMOTE, 1001, cookie, None, NOW) is None
    assert jar.check_ack(LOCAL, REMOTE, 1001, (cookie + 2) & MASK, None, NOW) is None
    assert jar.check_ack(LOCAL, REMOTE, 1002, (cookie + 1) & MASK, None, NOW) is None


def test_a_cookie_expires_after_max_age_counter_periods() -> None:
    jar = SynCookies(SECRET)  # 64 s counter, current and previous counter values
    start = Instant.from_secs(64 * 1000)  # the start of a counter period
    cookie = jar.make(LOCAL, REMOTE, 7, 536, start)
    assert jar.check(LOCAL, REMOTE, 7, cookie, start + Duration.from_secs(127)) == 536
    assert jar.check(LOCAL, REMOTE, 7, cookie, start + Duration.from_secs(128)) is None
    # Made at the end of a period, it lives into the next one only.
    late = start + Duration.from_secs(63)
    cookie = jar.make(LOCAL, REMOTE, 7, 536, late)
    assert jar.check(LOCAL, REMOTE, 7, cookie, late + Duration.from_secs(1)) == 536
    assert jar.check(LOCAL, REMOTE, 7, cookie, late + Duration.from_secs(65)) is None
    # 32 periods later the five counter bits match again: the full counter in the MAC says no.
    assert jar.check(LOCAL, REMOTE, 7, cookie, late + Duration.from_secs(64 * 32)) is None
    # A longer max_age keeps it longer.
    longer = SynCookies(SECRET, max_age=4)
    cookie = longer.make(LOCAL, REMOTE, 7, 536, start)
    assert longer.check(LOCAL, REMOTE, 7, cookie, start + Duration.from_secs(64 * 3)) == 536
    assert longer.check(LOCAL, REMOTE, 7, cookie, start + Duration.from_secs(64 * 4)) is None


def test_rotation_keeps_the_previous_key_for_one_period() -> None:
    rotation = Duration.from_secs(600)
    # A long counter age so that only the key decides.
    jar = SynCookies(
        SECRET, rotation_period=rotation, counter_period=Duration.from_secs(60), max_age=10
    )
    epoch_end = Instant.from_secs(6000) - Duration.from_secs(1)  # last second of epoch 9
    cookie = jar.make(LOCAL, REMOTE, 5, 1300, epoch_end)
    # After the rotation to epoch 10 it is still good (previous key)...
    assert jar.check(LOCAL, REMOTE, 5, cookie, Instant.from_secs(6000)) == 1300
    assert jar.check(LOCAL, REMOTE, 5, cookie, Instant.from_secs(6000 + 60 * 8)) == 1300
    # ...and a fresh jar that first sees time in epoch 10 agrees (keys derive from the epoch).
    fresh = SynCookies(
        SECRET, rotation_period=rotation, counter_period=Duration.from_secs(60), max_age=10
    )
    assert fresh.check(LOCAL, REMOTE, 5, cookie, Instant.from_secs(6000 + 1)) == 1300
    # Cookies made in epoch 10 differ from epoch 9's for the same SYN at the same counter bits.
    assert jar.make(LOCAL, REMOTE, 5, 1300, Instant.from_secs(6000)) != cookie


def test_a_key_two_rotations_old_is_no_longer_accepted() -> None:
    # max_age as long as the rotation period: the key, not the age, rejects.
    jar = SynCookies(
        SECRET,
        rotation_period=Duration.from_secs(64 * 31),
        counter_period=Duration.from_secs(64),
        max_age=31,
    )
    period = 64 * 31
    made = Instant.from_secs(period * 5 + period - 64)  # late in epoch 5
    cookie = jar.make(LOCAL, REMOTE, 9, 1440, made)
    assert jar.check(LOCAL, REMOTE, 9, cookie, made + Duration.from_secs(64 * 30)) == 1440
    # Two epochs on (epoch 7), within 31 counter periods? No: 31 periods have passed, the
    # age check and the key both reject; a key two rotations old is gone from the jar.
    assert jar.check(LOCAL, REMOTE, 9, cookie, Instant.from_secs(period * 7)) is None


def test_rekey_keeps_cookies_in_flight_and_uses_the_new_secret() -> None:
    jar = SynCookies(SECRET)
    cookie = jar.make(LOCAL, REMOTE, 3, 1460, NOW)
    jar.rekey(b"a fresh secret!!", NOW)
    assert jar.check(LOCAL, REMOTE, 3, cookie, NOW) == 1460
    newer = jar.make(LOCAL, REMOTE, 3, 1460, NOW)
    assert newer != cookie
    assert SynCookies(SECRET).check(LOCAL, REMOTE, 3, newer, NOW) is None
    jar.rekey(b"yet another one!", NOW)
    # Two rekeys later the original secret is gone.
    assert jar.check(LOCAL, REMOTE, 3, cookie, NOW) is None
    assert jar.check(LOCAL, REMOTE, 3, newer, NOW) == 1460


def test_random_acks_are_rarely_accepted() -> None:
    jar = SynCookies(SECRET)
    rng = random.Random(1)
    accepted = sum(
        jar.check(LOCAL, REMOTE, rng.getrandbits(32), rng.getrandbits(32), NOW) is not None
        for _ in range(20_000)
    )
    # Expected about 20000 * 2 / 2**24 ~ 0.002 (two keys at most, one counter each).
    assert accepted == 0


def test_no_two_tuples_collide_in_a_sample() -> None:
    jar = SynCookies(SECRET)
    rng = random.Random(2)
    seen: dict[int, tuple[int, int]] = {}
    n = 20_000
    collisions = 0
    for _ in range(n):
        a, port = rng.getrandbits(24), rng.randrange(1024, 65536)
        cookie = jar.make(LOCAL, endpoint(a, port), 12345, 1460, NOW)
        if cookie in seen and seen[cookie] != (a, port):
            collisions += 1
        seen[cookie] = (a, port)
    # Birthday bound for 20,000 values in 2**32: about 0.05 expected collisions.
    assert collisions <= 1
    # The cookie of a tuple is also not correlated with a one-bit change of the port: compare
    # the upper eight bits (the part that would carry the counter in clear) across neighbours.
    tops = {jar.make(LOCAL, endpoint(1, port), 1, 1460, NOW) >> 24 for port in range(1024, 1536)}
    assert len(tops) > 200  # 512 draws from 256 values: about 221 distinct expected


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"secret": b"short"}, "secret"),
        ({"secret": "text" * 4}, "secret"),
        ({"secret": SECRET, "max_age": 0}, "max_age"),
        ({"secret": SECRET, "max_age": 32}, "max_age"),
        ({"secret": SECRET, "counter_period": Duration.from_micros(0)}, "counter_period"),
        ({"secret": SECRET, "rotation_period": Duration.from_secs(100)}, "rotation_period"),
    ],
)
def test_bad_configuration_names_the_argument(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises((ValueError, TypeError), match=name):
        SynCookies(**kwargs)  # type: ignore[arg-type]


def test_bad_arguments_name_themselves() -> None:
    jar = SynCookies(SECRET)
    with pytest.raises(ValueError, match="mss"):
        jar.make(LOCAL, REMOTE, 1, 70000, NOW)
    with pytest.raises(ValueError, match="peer_isn"):
        jar.make(LOCAL, REMOTE, -1, 1460, NOW)
    with pytest.raises(ValueError, match="local"):
        jar.make(IpEndpoint(None, 80), REMOTE, 1, 1460, NOW)
    with pytest.raises(ValueError, match="window_scale"):
        encode_timestamp(0, 15, False)
    with pytest.raises(ValueError, match="tsecr"):
        decode_timestamp(-1)
    # Out-of-range numbers from the network are simply not cookies.
    assert jar.check(LOCAL, REMOTE, 1 << 32, 0, NOW) is None


def _syn(**options: object) -> TcpRepr:
    return TcpRepr(49152, 80, TcpControl.SYN, TcpSeqNumber(777), None, 65535, **options)  # type: ignore[arg-type]


def _ack_for(answer: CookieSynAck, tsecr: int | None, seq: int = 778) -> TcpRepr:
    ts = None if tsecr is None else TcpTimestampRepr(1234, tsecr)
    return TcpRepr(49152, 80, TcpControl.NONE, TcpSeqNumber(seq), answer.iss + 1, 512, timestamp=ts)


@given(
    mss=st.one_of(st.none(), st.integers(0, 0xFFFF)),
    ws=st.one_of(st.none(), st.integers(0, 255)),
    sack=st.booleans(),
    ts=st.booleans(),
    ecn_syn=st.booleans(),
    ecn_ok=st.booleans(),
)
def test_answer_then_restore_gives_back_what_the_syn_ack_agreed(
    mss: int | None, ws: int | None, sack: bool, ts: bool, ecn_syn: bool, ecn_ok: bool
) -> None:
    jar = SynCookies(SECRET)
    syn = _syn(
        max_seg_size=mss,
        window_scale=ws,
        sack_permitted=sack,
        timestamp=TcpTimestampRepr(99, 0) if ts else None,
        ece=ecn_syn,
        cwr=ecn_syn,
    )
    answer = jar.answer(LOCAL, REMOTE, syn, NOW, tsval=5_000_000, ecn=ecn_ok)
    offered = 536 if mss is None else mss
    assert answer.peer_mss <= max(offered, MSS_TABLE[0])
    if ts:
        assert answer.timestamp is not None and answer.timestamp.tsecr == 99
        assert answer.window_scale is (ws is not None)
        assert answer.sack_permitted is sack
        assert answer.ecn is (ecn_syn and ecn_ok)
        restored = jar.restore(LOCAL, REMOTE, _ack_for(answer, answer.timestamp.tsval), NOW)
        assert restored == CookieOptions(
            answer.peer_mss,
            None if ws is None else min(ws, 14),
            sack,
            ecn_syn and ecn_ok,
            timestamps=True,
        )
    else:
        # Nothing but the MSS can be remembered: the SYN-ACK offers nothing else.
        assert answer == CookieSynAck(answer.iss, answer.peer_mss)
        restored = jar.restore(LOCAL, REMOTE, _ack_for(answer, None), NOW)
        assert restored == CookieOptions(answer.peer_mss)


def test_restore_refuses_segments_that_do_not_complete_a_handshake() -> None:
    jar = SynCookies(SECRET)
    answer = jar.answer(LOCAL, REMOTE, _syn(max_seg_size=1460), NOW, tsval=0)
    good = _ack_for(answer, None)
    assert jar.restore(LOCAL, REMOTE, good, NOW) is not None
    assert jar.restore(LOCAL, REMOTE, good._replace(ack_number=None), NOW) is None
    assert jar.restore(LOCAL, REMOTE, good._replace(control=TcpControl.RST), NOW) is None
    assert jar.restore(LOCAL, REMOTE, good._replace(control=TcpControl.SYN), NOW) is None
    assert jar.restore(LOCAL, REMOTE, _ack_for(answer, None, seq=779), NOW) is None
    # FIN or PSH on the completing ACK is fine (data may ride on it).
    assert jar.restore(LOCAL, REMOTE, good._replace(control=TcpControl.FIN), NOW) is not None
