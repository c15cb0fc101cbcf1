"""The TCP event trace: recorders, and JSON Lines / CSV serialisation with a versioned header."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smoltcp.stack.tcp import trace
from smoltcp.stack.tcp.trace import (
    FORMAT_NAME,
    FORMAT_VERSION,
    AckProcessed,
    CallbackRecorder,
    CongestionChanged,
    ConnectionOpened,
    ConnectionTrace,
    LossAction,
    LossDecision,
    LossReason,
    RingRecorder,
    RttChanged,
    SegmentSent,
    StateChanged,
    TraceFormatError,
    TraceRecorder,
    dump_csv,
    dump_jsonl,
    load_csv,
    load_jsonl,
)

u32 = st.integers(0, 2**32 - 1)
micros = st.integers(0, 2**62)
conn = st.integers(0, 10_000)
# Text as a user could put it in an endpoint or state name, including CSV's special characters.
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
reasons = st.sampled_from(LossReason)

records = st.one_of(
    st.builds(ConnectionOpened, micros, conn, text, text),
    st.builds(
        SegmentSent,
        micros,
        conn,
        u32,
        st.integers(0, 65535),
        st.text("SFRPAEC", max_size=4),
        st.none() | u32,
        st.integers(0, 2**30),
        st.none() | reasons,
    ),
    st.builds(
        AckProcessed,
        micros,
        conn,
        u32,
        st.integers(0, 2**30),
        st.lists(st.tuples(u32, u32), max_size=4).map(tuple),
    ),
    st.builds(CongestionChanged, micros, conn, u32, u32, u32),
    st.builds(RttChanged, micros, conn, st.none() | micros, st.none() | micros, micros, micros),
    st.builds(StateChanged, micros, conn, text, text),
    st.builds(
        LossDecision, micros, conn, st.sampled_from(LossAction), st.none() | reasons, u32, u32
    ),
)


def sample_records() -> list[trace.TraceRecord]:
    return [
        ConnectionOpened(10, 0, "10.0.0.1:49152", "10.0.0.2:80"),
        StateChanged(10, 0, "CLOSED", "SYN-SENT"),
        SegmentSent(10, 0, 1000, 0, "S", None, 65535),
        AckProcessed(2010, 0, 1001, 29200, ((3000, 4448),)),
        RttChanged(2010, 0, 2000, 2000, 1000, 200_000),
        CongestionChanged(2010, 0, 14480, 2**31 - 1, 0),
        SegmentSent(2500, 0, 1001, 1448, "PA", 5000, 65535, LossReason.RACK),
        LossDecision(2500, 0, LossAction.ENTER_RECOVERY, LossReason.FAST_RETRANSMIT, 1001, 1448),
    ]


@given(st.lists(records, max_size=20))
def test_jsonl_round_trip(recs: list[trace.TraceRecord]) -> None:
    assert load_jsonl(list(dump_jsonl(recs))) == recs
    assert load_jsonl("".join(dump_jsonl(recs))) == recs


@given(st.lists(records, max_size=20))
def test_csv_round_trip(recs: list[trace.TraceRecord]) -> None:
    assert load_csv(dump_csv(recs)) == recs


def test_jsonl_lines_are_the_documented_objects() -> None:
    lines = list(dump_jsonl(sample_records()))
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert json.loads(lines[0]) == {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    assert json.loads(lines[4]) == {
        "kind": "ack_processed",
        "time_us": 2010,
        "conn": 0,
        "ack": 1001,
        "window": 29200,
        "sack": [[3000, 4448]],
    }
    assert json.loads(lines[7])["retransmit"] == "rack"


def test_csv_header_and_columns() -> None:
    text = dump_csv(sample_records())
    rows = text.splitlines()
    assert rows[0] == f"{FORMAT_NAME},{FORMAT_VERSION}"
    columns = rows[1].split(",")
    # every field of every record type has a column, once
    every = {f.name for cls in trace._KINDS for f in dataclasses.fields(cls)}
    assert set(columns) == every | {"kind"}
    assert len(columns) == len(set(columns))
    assert rows[5].split(",")[columns.index("sack")] == "3000-4448"


def test_a_newer_version_is_refused_with_a_clear_message() -> None:
    lines = list(dump_jsonl(sample_records()))
    lines[0] = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION + 1}) + "\n"
    with pytest.raises(TraceFormatError, match=r"version 2 is newer than this reader"):
        load_jsonl(lines)
    csv_text = dump_csv(sample_records()).replace(
        f"{FORMAT_NAME},{FORMAT_VERSION}", f"{FORMAT_NAME},{FORMAT_VERSION + 1}", 1
    )
    with pytest.raises(TraceFormatError, match=r"newer than this reader"):
        load_csv(csv_text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty input"),
        ('{"kind": "segment_sent"}\n', "line 1: not a smoltcp-tcp-trace file"),
        ("hello\n", "line 1: not JSON"),
        ("[1, 2]\n", "line 1: not a JSON object"),
        ('{"format": "smoltcp-tcp-trace", "version": "1"}\n', "line 1: bad .* version"),
        ('{"format": "smoltcp-tcp-trace", "version": 1}\n{"kind": "nope"}\n', "line 2: unknown"),
        (
            '{"format": "smoltcp-tcp-trace", "version": 1}\n'
            '{"kind": "state", "time_us": 1, "conn": 0, "old": "CLOSED"}\n',
            "line 2: state record without 'new'",
        ),
        (
            '{"format": "smoltcp-tcp-trace", "version": 1}\n\n'
            '{"kind": "congestion", "time_us": 1, "conn": 0, "cwnd": "x", "ssthresh": 1,'
            ' "in_flight": 0}\n',
            "line 3: cwnd must be an integer",
        ),
        (
            '{"format": "smoltcp-tcp-trace", "version": 1}\n'
            '{"kind": "loss", "time_us": 1, "conn": 0, "action": "panic", "reason": null,'
            ' "seq": 0, "length": 0}\n',
            "line 2: action must be one of",
        ),
    ],
)
def test_malformed_jsonl_names_the_line(text: str, message: str) -> None:
    with pytest.raises(TraceFormatError, match=message):
        load_jsonl(text)


def test_malformed_csv_names_the_row() -> None:
    good = dump_csv(sample_records()).splitlines()
    with pytest.raises(TraceFormatError, match="empty input"):
        load_csv("")
    with pytest.raises(TraceFormatError, match="row 1: not a smoltcp-tcp-trace"):
        load_csv("kind,time_us\n")
    with pytest.raises(TraceFormatError, match="row 2: not the column names"):
        load_csv(good[0] + "\nkind,time_us\n")
    bad = [*good[:4], good[4].replace(",1000,", ",x,", 1)]
    with pytest.raises(TraceFormatError, match="row 5: seq must be an integer"):
        load_csv("\n".join(bad))
    with pytest.raises(TraceFormatError, match="row 3: 2 cells"):
        load_csv("\n".join([*good[:2], "a,b"]))


def test_dumping_something_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="trace record"):
        list(dump_jsonl([object()]))  # type: ignore[list-item]
    with pytest.raises(TypeError, match="trace record"):
        dump_csv([("segment_sent", 1)])  # type: ignore[list-item]


def test_records_are_immutable() -> None:
    rec = SegmentSent(1, 0, 1, 1, "A", 1, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.seq = 2  # type: ignore[misc]


def test_ring_recorder_keeps_the_newest_and_counts_the_dropped() -> None:
    ring = RingRecorder(3)
    assert isinstance(ring, TraceRecorder)
    assert ring.capacity == 3
    first = ring.connection(5, "a:1", "b:2")
    second = ring.connection(6, "a:3", "b:4")
    assert (first, second) == (0, 1)
    for t in range(4):
        ring.record(StateChanged(t, first, "X", "Y"))
    assert len(ring) == 3
    assert ring.dropped == 3
    assert [r.time_us for r in ring.records()] == [1, 2, 3]
    ring.clear()
    assert ring.records() == ()
    assert ring.connection(7, "a:5", "b:6") == 2  # numbers are never reused


@pytest.mark.parametrize(
    ("capacity", "error"), [(0, ValueError), (-1, ValueError), (2.0, TypeError), (True, TypeError)]
)
def test_ring_recorder_rejects_a_bad_capacity(capacity: object, error: type) -> None:
    with pytest.raises(error, match="capacity"):
        RingRecorder(capacity)  # type: ignore[arg-type]


def test_callback_recorder_streams_every_record() -> None:
    seen: list[trace.TraceRecord] = []
    rec = CallbackRecorder(seen.append)
    assert isinstance(rec, TraceRecorder)
    conn_id = rec.connection(1, "10.0.0.1:1", "10.0.0.2:2")
    rec.record(CongestionChanged(2, conn_id, 2896, 65535, 1448))
    assert seen == [
        ConnectionOpened(1, 0, "10.0.0.1:1", "10.0.0.2:2"),
        CongestionChanged(2, 0, 2896, 65535, 1448),
    ]
    with pytest.raises(TypeError, match="callback"):
        CallbackRecorder(42)  # type: ignore[arg-type]


def test_connection_trace_turns_socket_values_into_records() -> None:
    from smoltcp.stack.tcp import TcpState
    from smoltcp.wire import IpEndpoint, TcpSeqNumber

    ring = RingRecorder()
    ring.connection(0, "x:1", "y:2")  # another connection first: numbers are the recorder's
    local = IpEndpoint.parse("10.0.0.1:49152")
    tr = ConnectionTrace.open(ring, 5, local, "10.0.0.2:80")
    assert tr.conn == 1
    tr.state(5, TcpState.CLOSED, TcpState.SYN_SENT)
    tr.segment(5, TcpSeqNumber(2**32 - 1), 0, "S", None, 65535)
    tr.ack(9, TcpSeqNumber(0), 29200, [(TcpSeqNumber(10), TcpSeqNumber(20))], 14480, 2**31, 0)
    tr.ack(10, TcpSeqNumber(0), 29200, (), 14480, 2**31, 0)  # congestion unchanged: one record
    tr.congestion(11, 7240, 7240, 1448)
    tr.rtt(9, 4000, 4000, 2000, 200_000)
    tr.rtt(12, None, 4000, 2000, 200_000)  # no sample, nothing changed: nothing recorded
    tr.rtt(13, None, 4000, 2000, 400_000)  # the RTO backed off
    tr.loss(13, LossAction.TIMEOUT, LossReason.RTO, TcpSeqNumber(0), 1448)
    records = ring.records()
    assert records[1] == ConnectionOpened(5, 1, str(local), "10.0.0.2:80")
    assert records[2:] == (
        StateChanged(5, 1, "CLOSED", "SYN-SENT"),
        SegmentSent(5, 1, 2**32 - 1, 0, "S", None, 65535),
        AckProcessed(9, 1, 0, 29200, ((10, 20),)),
        CongestionChanged(9, 1, 14480, 2**31, 0),
        AckProcessed(10, 1, 0, 29200, ()),
        CongestionChanged(11, 1, 7240, 7240, 1448),
        RttChanged(9, 1, 4000, 4000, 2000, 200_000),
        RttChanged(13, 1, None, 4000, 2000, 400_000),
        LossDecision(13, 1, LossAction.TIMEOUT, LossReason.RTO, 0, 1448),
    )
    # plain ints in the records, so that they serialise
    assert type(records[3].seq) is int and type(records[4].sack[0][0]) is int
    assert load_jsonl(list(dump_jsonl(records))) == list(records)


def test_connection_trace_needs_a_recorder() -> None:
    with pytest.raises(TypeError, match="recorder must be a TraceRecorder"):
        ConnectionTrace.open(print, 0, "a", "b")  # type: ignore[arg-type]
