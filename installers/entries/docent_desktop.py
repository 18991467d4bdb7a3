"""Frozen entry of the desktop app (`docent-desktop` in the bundle)."""

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the engine process starts from this same binary
    from desktop.app import main

    sys.exit(main())
