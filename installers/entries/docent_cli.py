"""Frozen entry of the command line (`docent` in the bundle)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the parsing worker starts from this same binary
    from engine.cli.main import main

    sys.exit(main())
