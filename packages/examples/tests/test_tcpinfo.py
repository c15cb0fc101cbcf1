"""The examples' TCP statistics lines and trace files, from a real in-memory connection, and
smoltcp-server's SIGUSR1 report."""

from __future__ import annotations

import io
import os
import re
import signal
from pathlib import Path

import pytest

from smoltcp.examples import tcpinfo
from smoltcp.examples.server import ConnectionsReport
from smoltcp.phy import Loopback
from smoltcp.stack.iface import Config, Interface
from smoltcp.stack.socket import SocketSet
from smoltcp.stack.tcp import TcpSocket, TcpState
from smoltcp.stack.tcp.trace import load_csv, load_jsonl
from smoltcp.stack.time import Duration, Instant
from smoltcp.wire import EthernetAddress, IpCidr, IpEndpoint, Ipv4Address
from smoltcp.wire.capabilities import Medium

SERVER = IpEndpoint(Ipv4Address("192.168.69.1"), 1234)
CLIENT = IpEndpoint(Ipv4Address("192.168.69.2"), 49152)


def connected_pair(
    trace: tcpinfo.TraceFile | None = None,
) -> tuple[Interface, Loopback, SocketSet, TcpSocket, TcpSocket, Instant]:
    device = Loopback(Medium.ETHERNET)
    now = Instant.ZERO
    iface = Interface(
        Config(hardware_addr=EthernetAddress.parse("02-00-00-00-00-01"), random_seed=1),
        device,
        now,
    )
    iface.update_ip_addrs(
        lambda addrs: addrs.extend(IpCidr.parse(a) for a in ("192.168.69.1/24", "192.168.69.2/24"))
    )
    sockets = SocketSet()
    if trace is not None:
        sockets.set_tcp_trace(trace.recorder)
    server = TcpSocket(16384, 16384)
    client = TcpSocket(16384, 16384)
    sockets.add(server)
    sockets.add(client)
    server.listen(SERVER)
    client.connect(iface.context, SERVER, CLIENT)
    data = bytes(range(256)) * 40
    sent = received = 0
    for _ in range(2000):
        now += Duration.from_micros(100)
        iface.poll(now, device, sockets)
        if client.can_send() and sent < len(data):
            sent += client.send(data[sent:])
        while server.can_recv():
            received += len(server.recv(65536))
        if received == len(data) and client.send_queue == 0:
            break
    assert received == len(data) and client.send_queue == 0
    return iface, device, sockets, server, client, now


def test_ss_lines_show_each_connection_on_one_line() -> None:
    _, _, sockets, _, _, now = connected_pair()
    lines = tcpinfo.ss_lines(sockets, now + Duration.from_millis(3))
    assert len(lines) == 2
    by_local = {line.split()[3]: line for line in lines}
    line = by_local[str(CLIENT)]
    assert re.match(
        rf"ESTABLISHED 0 0 {re.escape(str(CLIENT))} {re.escape(str(SERVER))} cubic wscale:\d+,\d+ ",
        line,
    )
    assert "bytes_acked:10240" in line and "retrans:0(" in line
    assert re.search(r"lastsnd:[0-9.]+ lastrcv:[0-9.]+$", line)
    # A listener is not a connection: it has no line.
    listener = TcpSocket(1024, 1024)
    listener.listen(80)
    assert tcpinfo.ss_lines([(9, listener)], now) == []


def test_summary_line_names_the_retransmissions_srtt_cwnd_and_limits() -> None:
    _, _, _, _, client, _ = connected_pair()
    line = tcpinfo.summary_line("client", client.stats)
    assert line.startswith("client: 10240 octets sent, 0 received; retransmissions 0 (rto 0,")
    for part in ("srtt ", "cwnd ", "limited by the peer's window", "by the send buffer", "by cwnd"):
        assert part in line
    assert "\n" not in line


def test_sigusr1_calls_the_handler_in_process() -> None:
    _, _, sockets, _, _, now = connected_pair()
    printed: list[str] = []
    previous = signal.getsignal(signal.SIGUSR1)
    try:
        tcpinfo.install_sigusr1(lambda: printed.extend(tcpinfo.ss_lines(sockets, now)))
        os.kill(os.getpid(), signal.SIGUSR1)
        for _ in range(1000):  # the handler runs between two bytecodes of the main thread
            if printed:
                break
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert len(printed) == 2


@pytest.mark.parametrize("name", ["trace.jsonl", "trace.csv", "trace.TXT"])
def test_trace_file_writes_the_format_its_name_says(tmp_path: Path, name: str) -> None:
    trace = tcpinfo.TraceFile(tmp_path / name)
    _, _, _, server, client, _ = connected_pair(trace)
    assert client.trace_recorder is trace.recorder and server.trace_recorder is trace.recorder
    message = trace.close()
    text = (tmp_path / name).read_text()
    records = load_csv(text) if name.endswith(".csv") else load_jsonl(text)
    assert records and len(records) == len(trace.recorder)
    assert str(len(records)) in message and ("CSV" in message) == name.endswith(".csv")
    assert {r.new for r in records if hasattr(r, "new")} >= {"SYN-SENT", "ESTABLISHED"}
    assert client.state is TcpState.ESTABLISHED


def test_print_connections_writes_a_header_and_a_line_each() -> None:
    _, _, sockets, _, _, now = connected_pair()
    out = io.StringIO()
    assert tcpinfo.print_connections(sockets, now, out) == 2
    lines = out.getvalue().splitlines()
    assert lines[0] == f"2 TCP connection(s) at {now}:"
    assert len(lines) == 3 and all(line.startswith("ESTABLISHED ") for line in lines[1:])


def test_the_report_prints_once_per_request_between_polls(capsys) -> None:
    _, _, sockets, _, _, now = connected_pair()
    report = ConnectionsReport(sockets)
    report.step(now)
    assert capsys.readouterr().out == ""
    report.request()  # what the SIGUSR1 handler calls
    report.step(now + Duration.from_millis(1))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2 TCP connection(s) at ")
    client = next(line for line in out if line.split()[3] == str(CLIENT))
    assert client.startswith(f"ESTABLISHED 0 0 {CLIENT} {SERVER} cubic wscale:")
    report.step(now + Duration.from_millis(2))
    assert capsys.readouterr().out == ""
