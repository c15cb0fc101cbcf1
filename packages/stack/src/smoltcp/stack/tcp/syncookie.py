"""SYN cookies: answer a SYN without keeping state, and rebuild the connection from the ACK.

RFC 4987 section 3.6: once the SYN queue is full, a listener may answer a SYN with a SYN-ACK
whose initial sequence number (the *cookie*) encodes what it would have stored, and forget the
SYN. A client that completes the handshake returns ``cookie + 1`` as its acknowledgement
number; the listener checks the cookie and, if it is genuine and recent, creates the
connection as if it had kept the SYN all along. A spoofed SYN costs the listener nothing.

Bit layout of the cookie (our ISS, 32 bits), before the per-tuple offset is added::

     31     27 26  24 23                                             0
    +---------+------+------------------------------------------------+
    |  t % 32 | mss  |  mac: 24 bits of BLAKE2s(key, tuple, t, isn,    |
    |         | index|       mss index)                               |
    +---------+------+------------------------------------------------+

    cookie = (F(key, tuple) + (t % 32) << 27 | index << 24 | mac) mod 2**32

- ``t`` is a coarse counter, ``now`` in units of `SynCookies.counter_period` (64 s by
  default, like Linux). A cookie is accepted while the counter is at most ``max_age - 1``
  ticks past the one it was made in (by default the current and the previous tick: 64 to
  128 s), which bounds replays; the low five bits carried are enough to tell those ticks apart.
- ``index`` selects the MSS from `MSS_TABLE` (eight common values); the cookie encodes the
  largest entry not above the peer's MSS, so the connection may use a slightly smaller MSS
  than offered, never a larger one.
- ``mac`` authenticates the rest: it covers the four-tuple, the full counter, the peer's ISN
  (so the cookie belongs to that very SYN) and the index. A forged ACK is accepted with
  probability 2**-24 per try (per secret still valid).
- ``F(key, tuple)`` is a keyed hash of the four-tuple alone, added so that the counter and
  index bits do not show in clear and cookies of different peers look unrelated
  (RFC 6528's ISN offset).

Options in the timestamp (the part of a SYN the cookie has no room for). When the SYN carried
the timestamps option (RFC 7323), the SYN-ACK carries our TSval, and the client echoes it in
the TSecr of every segment, the handshake's ACK included. The low six bits of that TSval then
carry the options we agreed to::

     5     4     3         0
    +-----+-----+-----------+
    | ECN | SACK| wscale    |     wscale 0..14 is the peer's shift, 15 means "none"
    +-----+-----+-----------+

`encode_timestamp` rounds the TSval down to make room (so it never runs ahead of the clock),
`decode_timestamp` reads the bits back. Those bits are not authenticated, like Linux's: a
client that tampers with them only damages its own connection. Without timestamps a cookie
connection has no window scaling and no SACK (RFC 4987 section 3.6 names this loss).

Secrets. Every hash is keyed BLAKE2s. The key comes from configuration (this module never
draws randomness): the keys in force are those of the *current* and the *previous*
rotation epoch (``now`` in units of ``rotation_period``). Each epoch's key is derived from
the configured master secret and the epoch number; `SynCookies.rekey` replaces the master
(for instance with fresh octets from the operating system, drawn outside the sans-I/O core),
and the key in force before a rotation or a rekey stays valid until the next one, so no
cookie in flight is lost to it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import IpEndpoint, TcpControl, TcpRepr, TcpSeqNumber, TcpTimestampRepr

__all__ = [
    "MSS_TABLE",
    "CookieOptions",
    "CookieSynAck",
    "SynCookies",
    "decode_timestamp",
    "encode_timestamp",
    "mss_index",
]

_MASK32 = (1 << 32) - 1
_MAC_BITS = 24
_MAC_MASK = (1 << _MAC_BITS) - 1
_T_BITS = 5
_T_MASK = (1 << _T_BITS) - 1

# Eight MSS values a SYN commonly carries (IPv4 over Ethernet, PPPoE, tunnels and VPNs, the
# RFC 9293 default of 536, and a floor for very small links); ascending.
MSS_TABLE: tuple[int, ...] = (216, 536, 1220, 1300, 1380, 1440, 1452, 1460)

# Low six bits of the TSval: window scale (4 bits, 15 = none), SACK permitted, ECN.
_TS_BITS = 6
_TS_MASK = (1 << _TS_BITS) - 1
_WS_NONE = 0xF
_TS_SACK = 1 << 4
_TS_ECN = 1 << 5
_MAX_WSCALE = 14  # RFC 7323 section 2.3

# Linux's counter unit; an hour between key rotations.
_COUNTER_PERIOD = Duration.from_secs(64)
_ROTATION_PERIOD = Duration.from_secs(3600)

_PERSON_EPOCH = b"smolsyne"
_PERSON_OFFSET = b"smolsyno"
_PERSON_MAC = b"smolsynm"


@dataclass(frozen=True, slots=True)
class CookieOptions:
    """What a genuine cookie ACK gives back: the options agreed in the SYN-ACK.

    ``mss`` is an entry of `MSS_TABLE`; ``window_scale`` is the peer's shift (0..14) or None
    when window scaling is off; ``timestamps`` says the ACK carried the timestamps option
    (only then can ``window_scale``, ``sack_permitted`` and ``ecn`` be set).
    """

    mss: int
    window_scale: int | None = None
    sack_permitted: bool = False
    ecn: bool = False
    timestamps: bool = False


@dataclass(frozen=True, slots=True)
class CookieSynAck:
    """What a listener puts in the SYN-ACK that answers a SYN with a cookie.

    ``iss`` is the cookie (our initial sequence number). ``peer_mss`` is the MSS the cookie
    remembers (an entry of `MSS_TABLE`, at most what the peer offered): use no more when
    sending. ``window_scale``: send our own window-scale option (only when the SYN had both
    window scale and timestamps, since only the timestamp can remember the peer's shift).
    ``sack_permitted``: send SACK-permitted (same condition). ``ecn``: answer the SYN's ECN
    setup (ECE set) — only when the caller allowed ECN and the timestamp can remember it.
    ``timestamp`` is the option to send (TSval with the options in its low bits, TSecr the
    peer's TSval), or None when the SYN had no timestamps.
    """

    iss: TcpSeqNumber
    peer_mss: int
    window_scale: bool = False
    sack_permitted: bool = False
    ecn: bool = False
    timestamp: TcpTimestampRepr | None = None


def mss_index(mss: int) -> int:
    """Return the index in `MSS_TABLE` of the largest entry not above ``mss``.

    An MSS below the smallest entry maps to index 0 (the smallest entry). ``mss`` must be an
    int in 0..65535; `ValueError` otherwise.
    """
    if not isinstance(mss, int) or not 0 <= mss <= 0xFFFF:
        raise ValueError(f"mss must be an int in 0..65535, not {mss!r}")
    index = 0
    for i, value in enumerate(MSS_TABLE):
        if value <= mss:
            index = i
    return index


def encode_timestamp(
    tsval: int, window_scale: int | None, sack_permitted: bool, ecn: bool = False
) -> int:
    """Return the TSval to send in a cookie SYN-ACK: ``tsval`` with the options in its low bits.

    ``tsval`` is our current timestamp clock (0..2**32-1); the result is never greater than it
    (modulo 2**32: it is ``tsval`` rounded down to a multiple of 64, then the option bits, one
    step of 64 lower if that would pass ``tsval``). ``window_scale`` is the peer's shift 0..14,
    or None. `ValueError` for values out of range.
    """
    if not isinstance(tsval, int) or not 0 <= tsval <= _MASK32:
        raise ValueError(f"tsval must be an int in 0..2**32-1, not {tsval!r}")
    if window_scale is None:
        bits = _WS_NONE
    elif isinstance(window_scale, int) and 0 <= window_scale <= _MAX_WSCALE:
        bits = window_scale
    else:
        raise ValueError(f"window_scale must be None or 0..14, not {window_scale!r}")
    if sack_permitted:
        bits |= _TS_SACK
    if ecn:
        bits |= _TS_ECN
    value = (tsval & ~_TS_MASK & _MASK32) | bits
    if value > tsval:
        # Keep the echoed value in our past: RFC 7323 PAWS and RTT samples both assume the
        # TSval never runs ahead of the clock.
        value = (value - (1 << _TS_BITS)) & _MASK32
    return value


def decode_timestamp(tsecr: int) -> tuple[int | None, bool, bool]:
    """Return (window scale or None, SACK permitted, ECN) from a cookie ACK's ``tsecr``.

    A window-scale field of 15, or one above 14, decodes as None (no window scaling).
    ``tsecr`` must be an int in 0..2**32-1; `ValueError` otherwise.
    """
    if not isinstance(tsecr, int) or not 0 <= tsecr <= _MASK32:
        raise ValueError(f"tsecr must be an int in 0..2**32-1, not {tsecr!r}")
    ws = tsecr & 0xF
    return (None if ws > _MAX_WSCALE else ws), bool(tsecr & _TS_SACK), bool(tsecr & _TS_ECN)


def _check_secret(secret: object) -> bytes:
    if not isinstance(secret, (bytes, bytearray)):
        raise TypeError(f"secret must be bytes, not {type(secret).__name__}")
    if not 8 <= len(secret) <= 32:
        raise ValueError(f"secret must be 8 to 32 octets long, got {len(secret)}")
    return bytes(secret)


def _tuple_bytes(local: IpEndpoint, remote: IpEndpoint) -> bytes:
    out = bytearray()
    for name, ep in (("local", local), ("remote", remote)):
        if ep.addr is None:
            raise ValueError(f"{name} endpoint needs an address, got {ep}")
        packed = bytes(ep.addr.packed)
        out += len(packed).to_bytes(1, "big") + packed + (ep.port & 0xFFFF).to_bytes(2, "big")
    return bytes(out)


class SynCookies:
    """Make and check SYN cookies with a configured secret and explicit time.

    ``secret`` (8..32 octets) is the master secret; ``counter_period`` the unit of the cookie's
    time counter (default 64 s); ``max_age`` how many counter values a cookie is good for (1 or
    more, at most 31; default 2: the current and the previous one); ``rotation_period`` the
    life of one epoch's key (default 1 hour; must be at least ``counter_period * max_age`` so
    that a cookie can only have been made under the current or the previous key).
    `TypeError`/`ValueError` name the argument that is wrong.

    The object keeps two keys, so it is cheap and has constant size whatever the number of
    SYNs. It is not tied to an interface: a listener owns one.
    """

    __slots__ = (
        "_current",
        "_master",
        "_max_age",
        "_period_us",
        "_previous",
        "_rotation_us",
    )

    def __init__(
        self,
        secret: bytes,
        *,
        counter_period: Duration = _COUNTER_PERIOD,
        max_age: int = 2,
        rotation_period: Duration = _ROTATION_PERIOD,
    ) -> None:
        self._master = _check_secret(secret)
        if not isinstance(counter_period, Duration) or counter_period.total_micros() <= 0:
            raise ValueError(f"counter_period must be a positive Duration, not {counter_period!r}")
        if not isinstance(max_age, int) or not 1 <= max_age <= _T_MASK:
            raise ValueError(f"max_age must be an int in 1..31, not {max_age!r}")
        if not isinstance(rotation_period, Duration):
            raise TypeError(
                f"rotation_period must be a Duration, not {type(rotation_period).__name__}"
            )
        if rotation_period.total_micros() < counter_period.total_micros() * max_age:
            raise ValueError(
                f"rotation_period ({rotation_period}) must be at least counter_period * max_age"
            )
        self._period_us = counter_period.total_micros()
        self._max_age = max_age
        self._rotation_us = rotation_period.total_micros()
        # (epoch, key): the key in force and the one before it. Epoch -1 means "none yet".
        self._current: tuple[int, bytes] = (-1, b"")
        self._previous: tuple[int, bytes] = (-1, b"")

    # -- keys ---------------------------------------------------------------------------------

    def _derive(self, epoch: int) -> bytes:
        h = hashlib.blake2s(key=self._master, digest_size=32, person=_PERSON_EPOCH)
        h.update(epoch.to_bytes(8, "big", signed=True))
        return h.digest()

    def _keys(self, now: Instant) -> tuple[bytes, bytes | None]:
        """Rotate to ``now``'s epoch if it is due; return (current key, previous key or None)."""
        epoch = now.total_micros() // self._rotation_us
        cur_epoch = self._current[0]
        if epoch > cur_epoch:
            if cur_epoch >= 0 and epoch == cur_epoch + 1:
                self._previous = self._current
            elif epoch > 0:
                # First use, or time jumped past a whole epoch: the previous key is that of
                # epoch - 1, as a jar that had run all along would hold.
                self._previous = (epoch - 1, self._derive(epoch - 1))
            self._current = (epoch, self._derive(epoch))
        # A caller whose time runs backwards keeps the keys in force (no silent re-derivation).
        prev = self._previous[1] if self._previous[0] >= 0 else None
        return self._current[1], prev

    def rekey(self, secret: bytes, now: Instant) -> None:
        """Replace the master secret at ``now``; the key in force so far stays valid as previous.

        Cookies made before the call are still accepted (while recent enough) until the next
        rotation. `TypeError`/`ValueError` for a secret that is not 8..32 octets.
        """
        master = _check_secret(secret)
        self._keys(now)
        epoch = now.total_micros() // self._rotation_us
        self._previous = self._current
        self._master = master
        self._current = (epoch, self._derive(epoch))

    # -- cookies ------------------------------------------------------------------------------

    def counter(self, now: Instant) -> int:
        """Return the cookie time counter at ``now`` (``now`` in units of the counter period)."""
        return now.total_micros() // self._period_us

    @staticmethod
    def _offset(key: bytes, tup: bytes) -> int:
        h = hashlib.blake2s(key=key, digest_size=4, person=_PERSON_OFFSET)
        h.update(tup)
        return int.from_bytes(h.digest(), "big")

    @staticmethod
    def _mac(key: bytes, tup: bytes, count: int, peer_isn: int, index: int) -> int:
        h = hashlib.blake2s(key=key, digest_size=3, person=_PERSON_MAC)
        h.update(tup)
        h.update(count.to_bytes(8, "big", signed=True))
        h.update(peer_isn.to_bytes(4, "big"))
        h.update(index.to_bytes(1, "big"))
        return int.from_bytes(h.digest(), "big")

    def make(
        self, local: IpEndpoint, remote: IpEndpoint, peer_isn: int, mss: int, now: Instant
    ) -> TcpSeqNumber:
        """Return the cookie to send as our ISS in the SYN-ACK to a SYN from ``remote``.

        ``local`` is the address and port the SYN was sent to, ``remote`` its source (both
        need an address); ``peer_isn`` the SYN's sequence number; ``mss`` the MSS it offered
        (536 when it had none, RFC 9293 section 3.7.1): the cookie encodes `mss_index` of it,
        so send ``MSS_TABLE[mss_index(mss)]`` or less as our own view of the peer's MSS.
        `ValueError` for an endpoint without an address or values out of range.
        """
        if not isinstance(peer_isn, int) or not 0 <= int(peer_isn) <= _MASK32:
            raise ValueError(f"peer_isn must be an int in 0..2**32-1, not {peer_isn!r}")
        peer_isn = int(peer_isn)
        index = mss_index(mss)
        tup = _tuple_bytes(local, remote)
        key, _ = self._keys(now)
        count = self.counter(now)
        mac = self._mac(key, tup, count, peer_isn, index)
        body = ((count & _T_MASK) << 27) | (index << 24) | mac
        return TcpSeqNumber((self._offset(key, tup) + body) & _MASK32)

    def check(
        self, local: IpEndpoint, remote: IpEndpoint, peer_isn: int, cookie: int, now: Instant
    ) -> int | None:
        """Return the MSS a genuine, recent ``cookie`` encodes, or None.

        ``cookie`` is the ISS we sent (the ACK's acknowledgement number minus one) and
        ``peer_isn`` the peer's ISN (the ACK's sequence number minus one). None when the
        cookie was made for another four-tuple or SYN, under a key no longer in force, or more
        than ``max_age - 1`` counter periods ago. Never raises for values in 0..2**32-1
        (network input); `ValueError` for an endpoint without an address.
        """
        if not (isinstance(peer_isn, int) and isinstance(cookie, int)):
            return None
        # Plain ints: `TcpSeqNumber` compares and subtracts modulo 2**32.
        peer_isn, cookie = int(peer_isn), int(cookie)
        if not (0 <= peer_isn <= _MASK32 and 0 <= cookie <= _MASK32):
            return None
        tup = _tuple_bytes(local, remote)
        now_count = self.counter(now)
        current, previous = self._keys(now)
        for key in (current, previous):
            if key is None:
                continue
            body = (cookie - self._offset(key, tup)) & _MASK32
            t5 = body >> 27
            index = (body >> 24) & 0x7
            # The one counter value within the allowed age whose low five bits match.
            age = (now_count - t5) & _T_MASK
            if age >= self._max_age:
                continue
            count = now_count - age
            if count < 0:
                continue
            if self._mac(key, tup, count, peer_isn, index) == body & _MAC_MASK:
                return MSS_TABLE[index]
        return None

    def check_ack(
        self,
        local: IpEndpoint,
        remote: IpEndpoint,
        seq_number: int,
        ack_number: int,
        tsecr: int | None,
        now: Instant,
    ) -> CookieOptions | None:
        """Check the ACK completing a cookie handshake; return the options it restores, or None.

        ``seq_number``/``ack_number`` are the ACK's fields (the cookie is ``ack_number - 1``,
        the peer's ISN ``seq_number - 1``, modulo 2**32; an ACK that carries data has the
        same fields); ``tsecr`` the ACK's echoed timestamp, or None when it had no timestamps
        option (then no window scaling, no SACK). Never raises for 32-bit inputs.
        """
        mss = self.check(
            local, remote, (int(seq_number) - 1) & _MASK32, (int(ack_number) - 1) & _MASK32, now
        )
        if mss is None:
            return None
        if tsecr is None or not 0 <= int(tsecr) <= _MASK32:
            return CookieOptions(mss=mss)
        ws, sack, ecn = decode_timestamp(int(tsecr))
        return CookieOptions(mss, ws, sack, ecn, timestamps=True)

    def answer(
        self,
        local: IpEndpoint,
        remote: IpEndpoint,
        syn: TcpRepr,
        now: Instant,
        tsval: int,
        ecn: bool = False,
    ) -> CookieSynAck:
        """Return what to send in a stateless SYN-ACK to ``syn`` (see `CookieSynAck`).

        ``local``/``remote`` as for `make`; ``tsval`` our timestamp clock now (0..2**32-1);
        ``ecn`` whether we would agree to ECN (RFC 3168: a SYN with ECE and CWR set). A SYN
        without an MSS option is taken as offering 536 (RFC 9293 section 3.7.1); a window
        scale above 14 counts as 14 (RFC 7323 section 2.3). `ValueError` as `make` raises.
        """
        mss = 536 if syn.max_seg_size is None else syn.max_seg_size
        iss = self.make(local, remote, int(syn.seq_number), mss, now)
        peer_mss = MSS_TABLE[mss_index(mss)]
        if syn.timestamp is None:
            return CookieSynAck(iss, peer_mss)
        ws = None if syn.window_scale is None else min(syn.window_scale, _MAX_WSCALE)
        sack = syn.sack_permitted
        ecn_ok = ecn and syn.ece and syn.cwr
        value = encode_timestamp(tsval, ws, sack, ecn_ok)
        return CookieSynAck(
            iss,
            peer_mss,
            window_scale=ws is not None,
            sack_permitted=sack,
            ecn=ecn_ok,
            timestamp=TcpTimestampRepr(value, int(syn.timestamp.tsval)),
        )

    def restore(
        self, local: IpEndpoint, remote: IpEndpoint, ack: TcpRepr, now: Instant
    ) -> CookieOptions | None:
        """Return the options a segment completing a cookie handshake restores, or None.

        ``ack`` is a segment that reached a listener: it must have the ACK flag and neither
        SYN nor RST, and acknowledge a genuine, recent cookie (see `check_ack`). Never raises
        for a segment from the network.
        """
        if ack.ack_number is None or ack.control in (TcpControl.SYN, TcpControl.RST):
            return None
        tsecr = None if ack.timestamp is None else int(ack.timestamp.tsecr)
        return self.check_ack(local, remote, ack.seq_number, ack.ack_number, tsecr, now)
