"""Entry script of the bundled executable: the same dispatch as ``python -m desktop``."""

import multiprocessing
import sys

from desktop.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
