"""Every example has --help, and a user's mistake ends in one line and a non-zero status."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys

import pytest

PROGRAMS = ["loopback", "server", "client", "httpclient", "ping", "tcpdump", "benchmark"]
SHARED_OPTIONS = [
    "--pcap",
    "--drop-chance",
    "--corrupt-chance",
    "--size-limit",
    "--tx-rate-limit",
    "--rx-rate-limit",
    "--shaping-interval",
    "--seed",
    "--verbose",
    "--tun",
]


def run_example(name: str, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", f"smoltcp.examples.{name}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode != 0, proc
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    program = next(a for a in proc.args if a.startswith("smoltcp.examples."))
    assert lines[0].startswith(f"smoltcp-{program.rsplit('.', 1)[1]}: ")
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("name", PROGRAMS)
def test_help_describes_the_program_and_its_options(name, capsys):
    module = importlib.import_module(f"smoltcp.examples.{name}")
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert f"usage: smoltcp-{name}" in text
    if name != "tcpdump":
        for option in SHARED_OPTIONS:
            assert option in text, (name, option)


def test_help_runs_as_a_module_and_as_a_console_script():
    proc = run_example("tcpdump", "--help")
    assert proc.returncode == 0 and "usage: smoltcp-tcpdump" in proc.stdout
    script = os.path.join(os.path.dirname(sys.executable), "smoltcp-tcpdump")
    if not os.path.exists(script):
        pytest.skip("console scripts are not installed next to this interpreter")
    proc = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "usage: smoltcp-tcpdump" in proc.stdout


@pytest.mark.parametrize(
    ("name", "args", "words"),
    [
        ("client", ["tap0", "192.168.69.300", "80"], ["bad IP address"]),
        ("client", ["tap0", "192.168.69.100", "99999"], ["bad port"]),
        ("client", ["tap0"], ["required"]),
        ("httpclient", ["tap0", "192.168.69.100", "ftp://x/"], ["bad URL"]),
        ("httpclient", ["tap0", "10.0.0.1", "http://x:notaport/"], ["bad URL"]),
        ("ping", ["tap0", "192.168.69.300"], ["bad IP address"]),
        ("ping", ["tap0", "no such host"], ["bad host name"]),
        ("server", ["tap0", "--drop-chance", "150"], ["bad percentage"]),
        ("benchmark", ["tap0", "sideways"], ["invalid choice"]),
        ("loopback", ["--size", "lots"], ["bad size"]),
    ],
)
def test_bad_command_line_is_one_line_and_status_2(name, args, words):
    proc = run_example(name, *args)
    assert_one_line_error(proc, *words)
    assert proc.returncode == 2


def no_such_interface() -> str:
    name = "smoltcpnone0"
    assert not os.path.exists(f"/sys/class/net/{name}")
    return name


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("server", []),
        ("client", ["192.168.69.100", "1234"]),
        ("httpclient", ["192.168.69.100", "http://192.168.69.100/"]),
        ("ping", ["192.168.69.100"]),
        ("tcpdump", []),
        ("benchmark", ["reader"]),
    ],
)
def test_missing_interface_is_one_line(name, args):
    proc = run_example(name, no_such_interface(), *args)
    assert_one_line_error(proc, "smoltcpnone0")
    assert proc.returncode == 1


def test_missing_privileges_is_one_line():
    # Root without CAP_NET_RAW/CAP_NET_ADMIN in its bounding set is as powerless as a user.
    setpriv = shutil.which("setpriv")
    if os.geteuid() == 0 and setpriv is None:
        pytest.skip("running as root and setpriv is missing: cannot drop the capabilities")
    prefix = [setpriv, "--bounding-set", "-net_raw,-net_admin"] if os.geteuid() == 0 else []
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "smoltcp.examples.tcpdump", "lo"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert_one_line_error(proc, "permission denied")
