"""The emulator's options: tc netem's names and units, one-line errors, the injector they build."""

from __future__ import annotations

import pytest

from smoltcp.examples import loopback, options
from smoltcp.examples.netem_options import netem_settings
from smoltcp.examples.runtime import UserError
from smoltcp.phy import FaultInjector, Loopback, NetemSettings
from smoltcp.phy.impair import Bernoulli, GilbertElliott, Listed, Periodic


def parse(*argv: str):
    return options.parser("smoltcp-test", "test", iface=False).parse_args(list(argv))


def test_no_emulator_option_means_no_emulator():
    assert netem_settings(parse()) is None
    assert options.wrap_device(Loopback(), parse("--drop-chance", "5")).rx_emulator is None


def test_the_options_of_the_task_build_the_settings_they_say():
    args = parse(
        *("--delay", "20ms", "--jitter", "5ms", "--loss-model", "gemodel:1,30,90,0.5"),
        *("--reorder", "25%,5", "--duplicate", "1%", "--rate", "10mbit", "--limit", "500"),
        *("--limit-octets", "1000000", "--seed", "3"),
    )
    assert netem_settings(args) == NetemSettings(
        delay=20_000,
        jitter=5_000,
        loss=GilbertElliott(1, 30, 90, 0.5),
        reorder=25,
        gap=5,
        duplicate=1,
        rate=1_250_000,
        limit=500,
        limit_octets=1_000_000,
    )
    device = options.wrap_device(Loopback(), args)
    assert isinstance(device, FaultInjector)
    assert device.rx_emulator.settings == device.tx_emulator.settings == netem_settings(args)


@pytest.mark.parametrize(
    ("argv", "field", "value"),
    [
        (["--delay", "1.5s"], "delay", 1_500_000),
        (["--delay", "250us"], "delay", 250),
        (["--delay", "40"], "delay", 40_000),
        (["--loss", "1%"], "loss", Bernoulli(1)),
        (["--loss", "0.5"], "loss", Bernoulli(0.5)),
        (["--loss-model", "gemodel:5"], "loss", GilbertElliott(5, 95, 100, 0)),
        (["--loss-model", "periodic:100"], "loss", Periodic(100)),
        (["--loss-model", "periodic:10,3"], "loss", Periodic(10, 3)),
        (["--loss-model", "list:3,7,8"], "loss", Listed([3, 7, 8])),
        (["--rate", "125kbps"], "rate", 125_000),
        (["--rate", "1gbit"], "rate", 125_000_000),
        (["--rate", "8bit"], "rate", 1),
        (["--rate", "4000"], "rate", 4000),
        (["--delay", "5ms", "--reorder", "10"], "gap", 1),
        (["--delay", "5ms", "--jitter", "1ms", "--keep-order"], "keep_order", True),
        (
            ["--delay", "5ms", "--jitter", "1ms", "--delay-distribution", "normal"],
            "distribution",
            "normal",
        ),
        (["--limit", "7"], "limit", 7),
    ],
)
def test_values_and_units(argv, field, value):
    assert getattr(netem_settings(parse(*argv)), field) == value


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--delay", "20 parsecs"], "bad time"),
        (["--delay=-5ms"], "bad time"),
        (["--loss", "101%"], "bad percentage"),
        (["--duplicate", "x"], "bad percentage"),
        (["--rate", "10 furlongs"], "bad rate"),
        (["--rate", "7bit"], "bad rate"),
        (["--rate", "0"], "bad rate"),
        (["--reorder", "25%,0"], "bad reorder gap"),
        (["--loss-model", "gemodel:1,2,3,4,5"], "bad loss model"),
        (["--loss-model", "gemodel:1,0"], "bad loss model"),
        (["--loss-model", "markov:1"], "bad loss model"),
        (["--loss-model", "periodic:0"], "bad loss model"),
        (["--loss-model", "list:a"], "bad loss model"),
        (["--limit", "0"], "bad count"),
    ],
)
def test_bad_values_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(*argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--loss", "1", "--loss-model", "gemodel:1,30"], "not both"),
        (["--jitter", "5ms"], "--jitter needs --delay"),
        (["--reorder", "25%"], "--reorder needs --delay"),
    ],
)
def test_contradictions_are_user_errors(argv, message):
    with pytest.raises(UserError, match=message) as info:
        netem_settings(parse(*argv))
    assert info.value.status == 2


def test_the_loopback_example_moves_its_data_intact_through_the_emulator(capsys):
    """A real-time program: held frames must wake it, or it stalls until its timeout."""
    argv = [
        *("--size", "256K", "--timeout", "60", "--seed", "2"),
        *("--delay", "3ms", "--jitter", "1ms", "--loss", "2%", "--reorder", "10%"),
        *("--duplicate", "1%", "--rate", "20mbit"),
    ]
    assert loopback.main(argv) == 0
    out = capsys.readouterr().out
    assert "OK" in out and "MISMATCH" not in out


def test_a_contradiction_is_one_line_from_an_example(capsys):
    assert loopback.main(["--reorder", "10%"]) == 2
    err = capsys.readouterr().err
    assert err == "smoltcp-loopback: --reorder needs --delay (reordered frames skip the delay)\n"
