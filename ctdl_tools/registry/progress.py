"""A one-line progress bar on stderr with counts and rate — only when stderr is a terminal.

Standard error may be missing (``2>&-`` leaves ``sys.stderr`` None) or stop taking bytes (a terminal that
hung up): the bar is then not drawn, and the run goes on — it is a courtesy, never a reason to fail."""

from __future__ import annotations

import shutil
import sys
import time
from collections import Counter
from typing import TextIO

from ctdl_tools.registry.publish import Outcome

# "unchanged" among the outcomes is a record sent and found as it is (the skipped ones, not sent, have their own
# label), so it is shown as "same", not a second "unchanged".
_SHORT = {"published": "pub", "updated": "upd", "unchanged": "same", "refused": "ref", "failed": "fail",
          "deleted": "del", "current": "ok", "stale": "stale", "missing": "miss", "unconfirmed": "unconf",
          "fetched": "got"}


class TerminalProgress:
    """``label [####----] done/total  512/s  ETA 4s  unchanged 30  pub 12  upd 3  fail 1``, at most 10×/s."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream: TextIO | None = stream or sys.stderr  # None: the shell closed stderr (`2>&-`)
        self.enabled = _is_terminal(self.stream)
        self.total = self.done = self.skipped = 0
        self.counts: Counter[str] = Counter()
        self.started = self.drawn = 0.0

    def start(self, total: int, done: int = 0) -> None:
        self.total, self.done, self.skipped = total, done, done
        self.started = time.monotonic()
        self._draw(force=True)

    def advance(self, outcome: Outcome) -> None:
        self.done += 1
        self.counts[outcome.action] += 1
        self._draw(force=self.done == self.total)

    def close(self) -> None:
        if self.enabled and self.started:
            self._write("\n")
            self.started = 0.0

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (not force and now - self.drawn < 0.1):
            return
        self.drawn = now
        self._write("\r" + self._line(now)[: shutil.get_terminal_size().columns - 1] + "\x1b[K")

    def _write(self, text: str) -> None:
        """Draw; a stream that refuses (closed, hung up) ends the drawing, not the run."""
        assert self.stream is not None  # enabled: a terminal
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def _line(self, now: float) -> str:
        width = 20
        filled = int(width * self.done / self.total) if self.total else width
        sent, elapsed = self.done - self.skipped, max(now - self.started, 1e-6)
        rate = sent / elapsed
        eta = f"  ETA {int((self.total - self.done) / rate)}s" if rate > 0 and self.done < self.total else ""
        counts = "  ".join(f"{_SHORT.get(k, k)} {v}" for k, v in sorted(self.counts.items()))
        skipped = f"  unchanged {self.skipped}" if self.skipped else ""
        return (f"{self.label} [{'#' * filled}{'-' * (width - filled)}] {self.done}/{self.total}  {rate:.0f}/s"
                f"{eta}{skipped}  {counts}")


def _is_terminal(stream: TextIO | None) -> bool:
    """Whether ``stream`` is a terminal: not when it is None (closed by the shell) or closed already."""
    if stream is None:
        return False
    try:
        return stream.isatty()
    except (OSError, ValueError):  # ValueError: I/O operation on closed file
        return False
