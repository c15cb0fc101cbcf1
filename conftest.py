"""Test-session settings shared by every package's tests.

The checksum kernel is loaded when the first interface is made (``SMOLTCP_JIT=eager``), not
lazily in a background thread in the middle of a test: a background import of numba and numpy
can race with code that inspects ``sys.modules`` (hypothesis does), and would be timed with
whatever the test measures. Tests of the lazy policy set the variable for their own
subprocesses.

A shell without job control starts a background command (``pytest ... &``) with SIGINT
ignored, and every process the tests start would inherit that: an example program stopped
with SIGINT, as a user's Ctrl-C, would then ignore it, and its test would fail. The default
handler is restored here so that the suite behaves the same in the foreground and the
background; it is a handler, not ``SIG_IGN``, so exec gives children the default disposition.
"""

import os
import signal

os.environ.setdefault("SMOLTCP_JIT", "eager")

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
