"""Where things are in the user's input, and the two kinds of failure every stage reports.

* :class:`InputError` — the input cannot be read at all (missing file, bad encoding, missing required
  column, malformed JSON). The command prints one message and exits 2.
* :class:`Problem` — one record (or cell) is wrong or doubtful. Errors make that record unconvertible
  (exit 1, the others are still written); warnings are reported and the record is kept.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

EXIT_OK, EXIT_RECORD_ERRORS, EXIT_INPUT_ERROR = 0, 1, 2
EXIT_INTERNAL_ERROR = 3  # an unexpected exception: a bug, told apart from 1 (records failed) and 2 (input)
EXIT_INTERRUPTED = 130  # Ctrl-C: the shell's 128 + SIGINT

# The shell's folder was removed while it stood in it (`mkdir d && cd d && rmdir ../d`): the OS then gives no
# current directory, and every relative path (and os.getcwd) fails with a bare "No such file or directory".
CWD_GONE = "the current directory no longer exists (it was removed)"
CWD_GONE_HINT = "cd to a folder that exists, or give absolute paths"


def cwd_gone() -> bool:
    """Whether the current directory has been removed (relative paths lead nowhere)."""
    try:
        os.getcwd()
    except FileNotFoundError:
        return True
    return False


@dataclass(frozen=True)
class Where:
    """A place in an input file: a row and column of a table, or a JSON path."""

    file: str
    row: int | None = None
    column: str | None = None
    path: str | None = None

    def at(self, *, row: int | None = None, column: str | None = None, path: str | None = None) -> Where:
        return Where(self.file, row if row is not None else self.row,
                     column if column is not None else self.column, path if path is not None else self.path)

    def __str__(self) -> str:
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.path:
            parts.append(self.path)
        return ", ".join(parts)


class InputError(Exception):
    """Unreadable input: one clear message naming the place; exit code 2."""

    def __init__(self, where: Where | str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


class RecordError(Exception):
    """Raised inside a builder when one record cannot be converted."""

    def __init__(self, where: Where, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where, self.message = where, message


@dataclass
class Problem:
    severity: str  # "error" | "warning"
    where: Where
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


@dataclass
class Problems:
    """Collects problems for one run; builders call ``warn``/``error`` and keep going."""

    items: list[Problem] = field(default_factory=list)
    _seen: set[tuple[str, Where, str]] = field(default_factory=set, repr=False)

    def add(self, severity: str, where: Where, message: str) -> None:
        # Inputs are streamed more than once (index, then build): say each thing once.
        key = (severity, where, message)
        if key not in self._seen:
            self._seen.add(key)
            self.items.append(Problem(severity, where, message))

    def warn(self, where: Where, message: str) -> None:
        self.add("warning", where, message)

    def error(self, where: Where, message: str) -> None:
        self.add("error", where, message)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.severity == "warning"]
