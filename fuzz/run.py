"""Run the fuzz targets for a bounded time: ``python fuzz/run.py --seconds 60 [--target T]``.

With atheris installed (``pip install atheris``) each target runs under libFuzzer,
coverage-guided, in a child process of its own, seeded from ``fuzz/corpus/<target>/``; new
interesting inputs go to a scratch folder (``--work``, default a temporary one), crashes to
``fuzz/crashes/``. Without atheris (or with ``--engine hypothesis``) each target runs under
hypothesis with a large example budget, mutating the corpus seeds, until the time is up. The
time is split evenly between the targets. Exit status 0 when no target failed, 1 otherwise;
the failing input is printed (hypothesis) or saved (atheris) so it can become a regression
test.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = ("wire", "poll", "tcp", "app")
MAX_LEN = {"wire": 2048, "poll": 4096, "tcp": 4096, "app": 4096}


def _child(target: str, seconds: int, work: Path) -> int:
    """Run one target under atheris in this process (libFuzzer exits the process)."""
    import atheris

    sys.path.insert(0, str(HERE))
    # The numba kernels stay as written: numba cannot compile instrumented bytecode.
    exclude = ["smoltcp.stack.kernels", "smoltcp.stack._kernels_jit"]
    with atheris.instrument_imports(include=["smoltcp", "targets"], exclude=exclude):
        import targets
    function = getattr(targets, f"fuzz_{target}")

    def one_input(data: bytes) -> None:
        function(data)

    work.mkdir(parents=True, exist_ok=True)
    crashes = HERE / "crashes"
    crashes.mkdir(exist_ok=True)
    args = [
        sys.argv[0],
        str(work),
        str(HERE / "corpus" / target),
        f"-max_total_time={seconds}",
        f"-max_len={MAX_LEN[target]}",
        "-rss_limit_mb=2048",
        "-timeout=20",
        f"-artifact_prefix={crashes}/{target}-",
        "-print_final_stats=1",
    ]
    atheris.Setup(args, one_input)
    atheris.Fuzz()
    return 0


def _atheris(targets: list[str], seconds: int, work: Path | None) -> int:
    failed = 0
    scratch = Path(tempfile.mkdtemp(prefix="smoltcp-fuzz-")) if work is None else work
    for target in targets:
        print(f"== atheris: {target} for {seconds} s", flush=True)
        cmd = [sys.executable, __file__, "--child", target, "--seconds", str(seconds)]
        cmd += ["--work", str(scratch / target)]
        rc = subprocess.call(cmd, timeout=seconds + 120)
        if rc != 0:
            print(f"!! {target}: failed (exit {rc}); see fuzz/crashes/", flush=True)
            failed += 1
    return 1 if failed else 0


def _hypothesis(targets: list[str], seconds: int) -> int:
    sys.path.insert(0, str(HERE))
    import strategies

    failed = 0
    for target in targets:
        print(f"== hypothesis: {target} for {seconds} s", flush=True)
        deadline = time.monotonic() + seconds
        rounds = examples = 0
        while time.monotonic() < deadline:
            test = strategies.property_test(target, max_examples=500, seed=rounds)
            try:
                test()
            except Exception as exc:  # the falsifying input was printed by hypothesis
                print(f"!! {target}: {type(exc).__name__}: {exc}", flush=True)
                failed += 1
                break
            rounds += 1
            examples += 500
        print(f"   {examples} examples", flush=True)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Parse the options and fuzz; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="total time (default 60)")
    parser.add_argument("--target", choices=(*TARGETS, "all"), default="all")
    parser.add_argument("--engine", choices=("auto", "atheris", "hypothesis"), default="auto")
    parser.add_argument("--work", type=Path, default=None, help="folder for new inputs")
    parser.add_argument("--child", choices=TARGETS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seconds < 1:
        parser.error("--seconds must be at least 1")
    if args.child:
        return _child(args.child, args.seconds, args.work)
    targets = list(TARGETS) if args.target == "all" else [args.target]
    share = max(1, args.seconds // len(targets))
    engine = args.engine
    if engine == "auto":
        engine = "atheris" if importlib.util.find_spec("atheris") else "hypothesis"
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if engine == "atheris":
        return _atheris(targets, share, args.work)
    return _hypothesis(targets, share)


if __name__ == "__main__":
    raise SystemExit(main())
