"""Serialise TCP trace records (see `trace`) as JSON Lines and CSV, and read them back.

Text in memory only (no file is written here). Both formats start with a header naming the
format and its version (`FORMAT_NAME`, `FORMAT_VERSION`); a reader refuses a newer version with
a `TraceFormatError` that says so, and any malformed line with one that names the line.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from smoltcp.stack.tcp.trace_records import (
    FORMAT_NAME,
    FORMAT_VERSION,
    RECORD_FIELDS,
    RECORD_KINDS,
    RECORD_TYPES,
    LossAction,
    LossReason,
    SegmentSent,
    TraceFormatError,
    TraceRecord,
)

__all__ = [
    "dump_csv",
    "dump_jsonl",
    "load_csv",
    "load_jsonl",
]


# Any: a JSON object, whose values are JSON values.
def _header() -> dict[str, Any]:
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION}


def _check_header(name: object, version: object, where: str) -> None:
    if name != FORMAT_NAME:
        raise TraceFormatError(f"{where}: not a {FORMAT_NAME} file (no format header)")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise TraceFormatError(f"{where}: bad {FORMAT_NAME} version {version!r}")
    if version > FORMAT_VERSION:
        raise TraceFormatError(
            f"{where}: {FORMAT_NAME} version {version} is newer than this reader "
            f"(version {FORMAT_VERSION}); upgrade smoltcp-stack to read it"
        )


# Any: a record field in, a JSON value out.
def _to_plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [list(block) for block in value]
    return value


def _kind(record: TraceRecord) -> str:
    kind = RECORD_KINDS.get(type(record))
    if kind is None:
        raise TypeError(f"record must be a trace record, not {type(record).__name__}")
    return kind


# Any: a JSON object, whose values are JSON values.
def _as_dict(record: TraceRecord) -> dict[str, Any]:
    # Any: a JSON object, whose values are JSON values.
    out: dict[str, Any] = {"kind": _kind(record)}
    for name in RECORD_FIELDS[type(record)]:
        out[name] = _to_plain(getattr(record, name))
    return out


# Any: a JSON value, checked here.
def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    return value


# Any: a JSON value, checked here.
def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string, not {value!r}")
    return value


# Any: a JSON value, checked here.
def _sack(value: Any, name: str) -> tuple[tuple[int, int], ...]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name} must be a list of [left, right] pairs, not {value!r}")
    blocks = []
    for block in value:
        if not isinstance(block, list | tuple) or len(block) != 2:
            raise ValueError(f"{name} must be a list of [left, right] pairs, not {value!r}")
        blocks.append((_int(block[0], name), _int(block[1], name)))
    return tuple(blocks)


# Any: a converter takes a JSON value and returns a record field of its own type.
def _optional(convert: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    return lambda value, name: None if value is None else convert(value, name)


# Any: a converter takes a JSON value and returns a record field of its own type.
def _enum(cls: type[enum.Enum]) -> Callable[[Any, str], Any]:
    # Any: a JSON value, checked here.
    def convert(value: Any, name: str) -> Any:
        try:
            return cls(value)
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ValueError(f"{name} must be one of {choices}, not {value!r}") from None

    return convert


# How to read each field back (field names mean the same thing in every record type).
# Any: a converter takes a JSON value and returns a record field of its own type.
_CONVERT: dict[str, Callable[[Any, str], Any]] = {
    "local": _str,
    "remote": _str,
    "flags": _str,
    "old": _str,
    "new": _str,
    "ack": _int,
    "sack": _sack,
    "sample_us": _optional(_int),
    "srtt_us": _optional(_int),
    "retransmit": _optional(_enum(LossReason)),
    "reason": _optional(_enum(LossReason)),
    "action": _enum(LossAction),
}
_OPTIONAL_ACK = _optional(_int)


# Any: a JSON object, whose values are JSON values.
def _from_dict(data: dict[str, Any]) -> TraceRecord:
    kind = data.get("kind")
    cls = RECORD_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise ValueError(f"unknown record kind {kind!r}")
    values = []
    for name in RECORD_FIELDS[cls]:
        if name not in data:
            raise ValueError(f"{kind} record without {name!r}")
        # Any: a converter takes a JSON value and returns a record field of its own type.
        convert: Callable[[Any, str], Any] = _CONVERT.get(name, _int)
        if cls is SegmentSent and name == "ack":
            convert = _OPTIONAL_ACK
        values.append(convert(data[name], name))
    return cls(*values)


def dump_jsonl(records: Iterable[TraceRecord]) -> Iterator[str]:
    """Yield the trace as JSON Lines: the header line, then one line per record (with ``\\n``).

    Raise TypeError for an object that is not a trace record.
    """
    yield json.dumps(_header(), separators=(",", ":")) + "\n"
    for record in records:
        yield json.dumps(_as_dict(record), separators=(",", ":")) + "\n"


def load_jsonl(lines: Iterable[str] | str) -> list[TraceRecord]:
    """Return the records of a JSON Lines trace (the lines, or the whole text).

    Blank lines are ignored. Raise `TraceFormatError` naming the line when the header is
    missing or from a newer version, or a line is not a valid record.
    """
    if isinstance(lines, str):
        lines = lines.splitlines()
    records: list[TraceRecord] = []
    header_seen = False
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            raise TraceFormatError(f"line {number}: not JSON") from None
        if not isinstance(data, dict):
            raise TraceFormatError(f"line {number}: not a JSON object")
        if not header_seen:
            _check_header(data.get("format"), data.get("version"), f"line {number}")
            header_seen = True
            continue
        try:
            records.append(_from_dict(data))
        except ValueError as exc:
            raise TraceFormatError(f"line {number}: {exc}") from None
    if not header_seen:
        raise TraceFormatError(f"empty input: not a {FORMAT_NAME} file")
    return records


# The CSV columns: the union of every record type's fields. Part of the format: a new field
# is a new format version.
_CSV_COLUMNS = (
    "kind",
    "time_us",
    "conn",
    "local",
    "remote",
    "seq",
    "length",
    "flags",
    "ack",
    "window",
    "retransmit",
    "sack",
    "cwnd",
    "ssthresh",
    "in_flight",
    "sample_us",
    "srtt_us",
    "rttvar_us",
    "rto_us",
    "old",
    "new",
    "action",
    "reason",
)


# Any: a record field, of any of the record types' field types.
def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, tuple):
        return " ".join(f"{left}-{right}" for left, right in value)
    return str(value)


def dump_csv(records: Iterable[TraceRecord]) -> str:
    """Return the trace as CSV text.

    The first row is the header record (``smoltcp-tcp-trace,<version>``), the second the
    column names (every field of every record type), then one row per record with the columns
    it lacks left empty; rows end in CRLF (RFC 4180). SACK blocks are ``left-right`` pairs
    separated by spaces; None is empty. Raise TypeError for an object that is not a trace
    record.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow((FORMAT_NAME, FORMAT_VERSION))
    writer.writerow(_CSV_COLUMNS)
    for record in records:
        kind = _kind(record)
        writer.writerow(
            kind if name == "kind" else _csv_cell(getattr(record, name, None))
            for name in _CSV_COLUMNS
        )
    return out.getvalue()


# Any: a record field, of any of the record types' field types.
def _csv_value(cls: type, name: str, text: str) -> Any:
    if name in ("local", "remote", "flags", "old", "new"):
        return text
    if name == "sack":
        if not text:
            return []
        pairs = []
        for item in text.split(" "):
            left, sep, right = item.partition("-")
            if not sep:
                raise ValueError(f"sack must be left-right pairs, not {text!r}")
            pairs.append([_parse_int(left, name), _parse_int(right, name)])
        return pairs
    if text == "":
        return None
    if name in ("retransmit", "reason", "action"):
        return text
    return _parse_int(text, name)


def _parse_int(text: str, name: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {text!r}") from None


def load_csv(text: str) -> list[TraceRecord]:
    """Return the records of a CSV trace written by `dump_csv`.

    Raise `TraceFormatError` naming the row when the header is missing or from a newer
    version, the columns are not the expected ones, or a row is not a valid record.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader)
    except StopIteration:
        raise TraceFormatError(f"empty input: not a {FORMAT_NAME} file") from None
    except csv.Error as exc:
        raise TraceFormatError(f"row 1: {exc}") from None
    version: object = None
    if len(first) == 2:
        try:
            version = int(first[1])
        except ValueError:
            version = first[1]
    _check_header(first[0] if first else None, version, "row 1")
    try:
        columns = next(reader, None)
        if columns is None or tuple(columns) != _CSV_COLUMNS:
            raise TraceFormatError("row 2: not the column names of this trace version")
        records: list[TraceRecord] = []
        for number, row in enumerate(reader, 3):
            if len(row) != len(_CSV_COLUMNS):
                raise TraceFormatError(f"row {number}: {len(row)} cells, not {len(_CSV_COLUMNS)}")
            cls = RECORD_TYPES.get(row[0])
            if cls is None:
                raise TraceFormatError(f"row {number}: unknown record kind {row[0]!r}")
            # Any: a JSON object, whose values are JSON values.
            data: dict[str, Any] = {"kind": row[0]}
            try:
                for name, cell in zip(_CSV_COLUMNS[1:], row[1:], strict=True):
                    if name in RECORD_FIELDS[cls]:
                        data[name] = _csv_value(cls, name, cell)
                records.append(_from_dict(data))
            except ValueError as exc:
                raise TraceFormatError(f"row {number}: {exc}") from None
    except csv.Error as exc:
        raise TraceFormatError(f"row {reader.line_num}: {exc}") from None
    return records
