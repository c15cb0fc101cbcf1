"""``python -m smoltcp.examples.tcpplot``: the same as the smoltcp-tcpplot command."""

import sys

from . import main

sys.exit(main())
