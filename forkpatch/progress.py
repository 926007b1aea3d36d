"""Saying what a long step is doing, so nobody waits at a silent prompt.

Messages go through the standard logging module (logger "forkpatch"); the command
line prints them as ``forkpatch: ...`` on stderr. A Status is a line that changes
as a step goes on (bytes downloaded, the package being installed, tests run so
far): rewritten in place on a terminal, otherwise logged at most every few
seconds.
"""

import logging
import sys
import time

log = logging.getLogger("forkpatch")


class Status:
    """The state of one long step: ``with Status("downloading x") as status: ...``."""

    def __init__(self, what, every=10.0):
        self.what = what
        self.every = every
        self.last = None
        self.shown = 0.0
        self.tty = sys.stderr.isatty()
        self.width = 0

    def __enter__(self):
        log.info(self.what)
        self.shown = time.monotonic()
        return self

    def update(self, text):
        now = time.monotonic()
        self.last = text
        if self.tty:
            line = f"forkpatch: {self.what}: {text}"[:118]
            sys.stderr.write("\r" + line.ljust(self.width))
            sys.stderr.flush()
            self.width = len(line)
        elif now - self.shown >= self.every:
            log.info(f"{self.what}: {text}")
            self.shown = now

    def __exit__(self, *exc):
        if self.tty and self.width:
            sys.stderr.write("\r" + " " * self.width + "\r")
            sys.stderr.flush()
        return False


def megabytes(count):
    return f"{count / 1e6:.1f} MB"
