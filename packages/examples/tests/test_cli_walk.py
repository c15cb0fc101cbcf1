"""Walk every option of every example, from its own parser, with values a user might type.

For each option the walk tries the bounds its help documents ("1 to 65535"), just outside them,
and values no help promises anything for: empty, negative, huge, not a number, inf and nan, and
for file options missing, special and unwritable paths. Each try must either work or end in
exactly one line on stderr that names the program (and, for a bad command line, the option),
with status 2 for the command line and 1 for what happens after it, and never a traceback.

The hosted examples get an interface name that does not exist, so a command line that parses
ends at opening the device, with one line naming it. The loopback gets a short ``--timeout``,
so that the largest sizes end in a one-line timeout, not in an hour of transfer.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PROGRAMS = [
    "loopback", "server", "client", "httpclient", "ping", "tcpdump", "benchmark", "httpserver",
    "aioclient", "relay",
]  # fmt: skip
NO_SUCH_IFACE = "smoltcpnone0"
# What every hosted program needs besides the option tried (an interface that does not exist).
POSITIONALS = {
    "loopback": [],
    "server": [NO_SUCH_IFACE],
    "client": [NO_SUCH_IFACE, "192.168.69.100", "1234"],
    "httpclient": [NO_SUCH_IFACE, "192.168.69.100", "http://192.168.69.100/"],
    "ping": [NO_SUCH_IFACE, "192.168.69.100"],
    "tcpdump": [NO_SUCH_IFACE],
    "benchmark": [NO_SUCH_IFACE, "reader"],
    "httpserver": [NO_SUCH_IFACE],
    "aioclient": [NO_SUCH_IFACE, "192.168.69.100", "1234"],
    "relay": [NO_SUCH_IFACE],
}
# Enough for a 1 MiB transfer; the largest sizes end in a one-line timeout.
PREFIX = {"loopback": ["--size", "64K", "--timeout", "1"], "tcpdump": ["--timeout", "0.5"]}

ODD_VALUES = ["", "0", "-1", "1.5", "nan", "1e400", "9" * 40, "x", "2T"]
ODD_PATHS = ["/", "/proc/version", "/nonexistent-dir/x.pcap", "/dev/null", "/etc/passwd/x"]
_SUFFIX = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_BOUNDS = re.compile(r"(-?\d+(?:\.\d+)?)([KMGT]?) to (-?\d+(?:\.\d+)?(?:e\+?\d+)?)([KMGT]?)")


def documented_bounds(help_text: str) -> list[str]:
    """Return the bounds a help text states ("8 to 65000"), and the values just outside."""
    values = []
    for low, low_suffix, high, high_suffix in _BOUNDS.findall(help_text or ""):
        for number, suffix in ((low, low_suffix), (high, high_suffix)):
            value = float(number) * _SUFFIX[suffix]
            if value != int(value):
                values += [number, str(value - 0.01), str(value + 0.01)]
                continue
            value = int(value)
            values += [str(value - 1), str(value), str(value + 1)]
    return values


def option_cases(name: str) -> list[tuple[str, list[str]]]:
    """Return (label, argv) for every option of example ``name`` and every value to try."""
    parser = importlib.import_module(f"smoltcp.examples.{name}").build_parser()
    base = PREFIX.get(name, [])
    positionals = POSITIONALS[name]
    cases: list[tuple[str, list[str]]] = []
    position = 0
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:  # a positional: vary it in its place
            values = ODD_VALUES + documented_bounds(action.help or "")
            if action.choices:
                values += [*action.choices, "sideways"]
            if action.metavar == "IFACE":
                values += ["x" * 40, "a/b", "lo", "eth0"]
            for value in values:
                argv = [*positionals]
                argv[position] = value
                cases.append((f"{action.metavar or action.dest}={value!r}", base + argv))
            position += 1
            continue
        option = action.option_strings[-1]
        if action.nargs == 0:  # a flag
            cases.append((option, [*base, *positionals, option]))
            if isinstance(action, argparse._CountAction):
                cases.append((option * 5, [*base, *positionals, "-vvvvv"]))
            continue
        values = ODD_VALUES + documented_bounds(action.help or "")
        if action.metavar in ("FILE",):
            values += ODD_PATHS
        if action.choices:
            values += [str(c) for c in action.choices]
        cases.extend(
            (f"{option}={value!r}", [*base, *positionals, option, value]) for value in values
        )
        # The option as the last word, with its value missing.
        cases.append((f"{option} (no value)", [*base, *positionals, option]))
    return cases


CASES = [
    pytest.param(name, argv, id=f"{name}:{label}")
    for name in PROGRAMS
    for label, argv in option_cases(name)
]


@pytest.fixture(autouse=True)
def _fresh_logging():
    # Each main() in this process adds a handler on the stderr of its own test; drop them.
    yield
    logger = logging.getLogger("smoltcp")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)


@pytest.mark.parametrize(("name", "argv"), CASES)
def test_every_option_works_or_says_what_is_wrong_in_one_line(name, argv, capsys, tmp_path):
    if not os.path.exists("/dev/net/tun") and name not in ("loopback", "tcpdump"):
        pytest.skip("no /dev/net/tun: the programs would stop earlier than the device")
    assert not os.path.exists(f"/sys/class/net/{NO_SUCH_IFACE}")
    # Relative capture paths land in the test's directory, not in the checkout.
    os.chdir(tmp_path)
    module = importlib.import_module(f"smoltcp.examples.{name}")
    try:
        status = module.main(argv)
    except SystemExit as exit_info:
        status = exit_info.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err, captured.err
    if status == 0:
        return  # it worked
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, (status, captured.err)
    assert lines[0].startswith(f"smoltcp-{name}: "), lines[0]
    assert status in (1, 2), (status, lines[0])
    if status == 2:
        # A bad command line: the message names what was wrong with it (an option, or the
        # argument argparse names).
        words = ("argument", "required", "unrecognized")
        assert any(w in lines[0] for w in words) or re.search(r"--[a-z]", lines[0]), lines[0]
    elif name not in ("loopback",):
        # The command line was good: the run stopped at the interface that does not exist,
        # or at the name it was given for one.
        assert any(word in lines[0] for word in argv if word), lines[0]


def test_the_walk_reaches_every_documented_option():
    # The walk is only as good as its coverage: every option of every parser has cases.
    for name in PROGRAMS:
        parser = importlib.import_module(f"smoltcp.examples.{name}").build_parser()
        labels = {label.split("=")[0].split(" ")[0] for label, _ in option_cases(name)}
        for action in parser._actions:
            if action.option_strings and not isinstance(action, argparse._HelpAction):
                assert action.option_strings[-1] in labels, (name, action.option_strings)


def peak_kib_of_a_loopback_run(size: str) -> int:
    script = (
        "import resource, sys\n"
        "from smoltcp.examples import loopback\n"
        f"status = loopback.main(['--size', '{size}', '--timeout', '2', '--frames', '0'])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, status)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    peak_kib, status = proc.stdout.split()[-2:]
    assert status in ("0", "1"), proc.stderr  # done, or a one-line timeout
    return int(peak_kib)


def test_a_quarter_gibibyte_loopback_transfer_stays_small_in_memory():
    # 256M used to be held in memory (and larger sizes overflowed); the data is generated as
    # it is sent now, so the process stays near the peak of a tiny run whatever the size. The
    # run is cut short by --timeout: memory, not speed, is what is checked.
    baseline = peak_kib_of_a_loopback_run("64K")
    peak = peak_kib_of_a_loopback_run("256M")
    assert peak < baseline + 64 * 1024, f"peak resident set {peak} KiB, {baseline} KiB for 64K"


def test_an_unwritable_capture_path_says_permission_denied():
    # As root every path is writable: run as nobody, where setpriv can switch to it.
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run as another user")
    with tempfile.TemporaryDirectory(dir="/tmp") as top:  # a directory nobody can reach
        root = Path(top)
        root.chmod(0o755)
        locked = root / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        numba_cache = root / "numba"
        numba_cache.mkdir()
        numba_cache.chmod(0o777)
        for path, words in [
            (locked / "x.pcap", "permission denied (cannot create in"),
            ("/proc/version", "/proc/version: "),
        ]:
            proc = subprocess.run(
                [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                 "-m", "smoltcp.examples.loopback", "--pcap", str(path), "--size", "1K"],
                capture_output=True, text=True, timeout=60, cwd="/",
                env={**os.environ, "NUMBA_CACHE_DIR": str(numba_cache)},
            )  # fmt: skip
            lines = proc.stderr.strip().splitlines()
            assert proc.returncode == 2, proc.stderr
            assert len(lines) == 1 and "argument --pcap" in lines[0] and words in lines[0], lines
            assert "CAP_NET_ADMIN" not in proc.stderr
