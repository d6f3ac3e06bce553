"""``python -m ionsweep``: the ionsweep command line (see :mod:`ionsweep.cli`)."""

import sys

from ionsweep.cli import main

if __name__ == "__main__":
    sys.exit(main())
