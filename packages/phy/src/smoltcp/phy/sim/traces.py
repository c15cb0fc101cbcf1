"""Per-connection TCP traces and statistics of a simulated run, written to a directory.

`ConnectionLog` is the TCP trace recorder of one host (`smoltcp.stack.tcp.trace`): each
connection the host's sockets open gets its own JSON Lines trace, ``HOST.N.jsonl`` (N counts
the host's connections from 0 in the order they open), written as the run goes in batches of
`ConnectionLog.batch` records so that memory stays bounded however long the run. When a
socket is done with (the applications call `SimHost.retire`) and at the end of the run, the
socket's `TcpStats` snapshot goes to ``HOST.N.stats.json`` with the connection's endpoints.
`Network.trace` gives every host a log; ``index.json`` lists every connection traced.

Everything written comes from simulated time and the stack's state only, in an order fixed by
the run, so the same scenario and seed give byte-identical files.
"""

from __future__ import annotations

import enum
import itertools
import json
import os
from collections.abc import Iterable
from typing import Any

from smoltcp.stack.tcp import TcpSocket
from smoltcp.stack.tcp.stats import TcpStats
from smoltcp.stack.tcp.trace import ConnectionOpened, TraceRecord, dump_jsonl
from smoltcp.stack.time import Duration

__all__ = ["ConnectionLog", "stats_as_dict"]


def _plain(value: Any) -> Any:
    if isinstance(value, Duration):
        return value.total_micros()
    if isinstance(value, enum.Enum):
        return str(value.value)
    return value


def stats_as_dict(stats: TcpStats) -> dict[str, Any]:
    """Return ``stats`` as a dict that ``json.dumps`` takes.

    Durations become integer microseconds (``rtt`` and ``rto`` keep their names), states and
    phases their names; every other field is kept as it is.
    """
    return {name: _plain(value) for name, value in stats._asdict().items()}


class ConnectionLog:
    """The TCP trace recorder of host ``host``, writing into ``directory`` (which must exist).

    ``batch`` (a positive int, ValueError otherwise) is how many records of one connection are
    kept before they are appended to its file. Call `close` at the end of the run.
    """

    def __init__(self, directory: str | os.PathLike[str], host: str, batch: int = 4096) -> None:
        if not isinstance(batch, int) or isinstance(batch, bool) or batch <= 0:
            raise ValueError(f"batch must be a positive int, not {batch!r}")
        self.directory = os.fspath(directory)
        self.host = host
        self.batch = batch
        self.connections: list[dict[str, Any]] = []
        """One entry per connection: host, conn, local, remote, opened_us, trace, stats."""
        self._pending: dict[int, list[TraceRecord]] = {}
        self._by_endpoints: dict[tuple[str, str], int] = {}
        self._stats: dict[int, TcpStats] = {}
        self._closed = False

    def _path(self, conn: int, suffix: str) -> str:
        return os.path.join(self.directory, f"{self.host}.{conn}{suffix}")

    # -- the TraceRecorder protocol ------------------------------------------------------------

    def connection(self, time_us: int, local: str, remote: str) -> int:
        """Start the trace file of a new connection; return its number."""
        conn = len(self.connections)
        trace = self._path(conn, ".jsonl")
        self.connections.append(
            {
                "host": self.host,
                "conn": conn,
                "local": local,
                "remote": remote,
                "opened_us": time_us,
                "trace": os.path.basename(trace),
                "stats": None,
            }
        )
        self._by_endpoints[(local, remote)] = conn
        with open(trace, "w") as f:
            f.writelines(dump_jsonl(()))
        # The connection's own record opens its trace, as in any recorder's output.
        self._pending[conn] = [ConnectionOpened(time_us, conn, local, remote)]
        return conn

    def record(self, record: TraceRecord) -> None:
        """Keep ``record``; append its connection's batch to the file when full."""
        pending = self._pending.get(record.conn)
        if pending is None:
            return  # not a connection of this log
        pending.append(record)
        if len(pending) >= self.batch:
            self._flush(record.conn)

    def _flush(self, conn: int) -> None:
        pending = self._pending[conn]
        if not pending:
            return
        with open(self._path(conn, ".jsonl"), "a") as f:
            f.writelines(itertools.islice(dump_jsonl(pending), 1, None))
        pending.clear()

    # -- statistics ---------------------------------------------------------------------------

    def snapshot(self, sock: object) -> None:
        """Keep the statistics of ``sock`` for its latest connection (other sockets: ignored)."""
        if not isinstance(sock, TcpSocket):
            return
        local, remote = sock.local_endpoint, sock.remote_endpoint
        if local is None or remote is None:
            return
        conn = self._by_endpoints.get((str(local), str(remote)))
        if conn is not None:
            self._stats[conn] = sock.stats

    def close(self, sockets: Iterable[object] = ()) -> list[dict[str, Any]]:
        """Snapshot the sockets still open (``sockets``), write every file; return
        `connections`. Later calls do nothing more."""
        if self._closed:
            return self.connections
        self._closed = True
        for sock in sockets:
            self.snapshot(sock)
        for entry in self.connections:
            conn = entry["conn"]
            self._flush(conn)
            stats = self._stats.get(conn)
            if stats is None:
                continue
            path = self._path(conn, ".stats.json")
            entry["stats"] = os.path.basename(path)
            document = {k: entry[k] for k in ("host", "conn", "local", "remote", "opened_us")}
            document["stats"] = stats_as_dict(stats)
            with open(path, "w") as f:
                json.dump(document, f, indent=2, sort_keys=True)
                f.write("\n")
        return self.connections
