"""A text progress bar for the metrics commands (stderr, redrawn in place on a terminal)."""

from __future__ import annotations

import sys
import time


class Bar:
    def __init__(self, label: str, *, stream=None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.started = time.monotonic()
        self.tty = self.stream.isatty()
        self._last = -1

    def __call__(self, done: int, total: int, where: str) -> None:
        filled = int(self.width * done / max(total, 1))
        percent = 100 * done // max(total, 1)
        if not self.tty and percent // 10 == self._last // 10 and done != total:
            return  # a log, not a terminal: one line per 10 %
        self._last = percent
        line = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {percent:3d}% "
            f"{where} {time.monotonic() - self.started:.0f}s"
        )
        self.stream.write(("\r" if self.tty else "") + line + ("" if self.tty else "\n"))
        if self.tty and done == total:
            self.stream.write("\n")
        self.stream.flush()
