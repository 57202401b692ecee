"""Start roomctl's window: ``python main.py [--demo] [--headless] [--speed N] [--minutes M]``."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(["app", *sys.argv[1:]]))
