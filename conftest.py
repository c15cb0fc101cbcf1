"""Test-session settings shared by every package's tests.

The checksum kernel is loaded when the first interface is made (``SMOLTCP_JIT=eager``), not
lazily in a background thread in the middle of a test: a background import of numba and numpy
can race with code that inspects ``sys.modules`` (hypothesis does), and would be timed with
whatever the test measures. Tests of the lazy policy set the variable for their own
subprocesses.
"""

import os

os.environ.setdefault("SMOLTCP_JIT", "eager")
