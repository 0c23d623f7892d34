"""Where ``ctdl ler`` writes: every output location is checked before the first byte is written, so a bad
``-o`` is one message (exit 2) instead of a traceback after half the outputs.

Inputs are never overwritten: :func:`jsonio.write_atomic` writes *through* a symlink (by design, for report
files), so an output that is a link to an input file would rewrite that input.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ctdl_tools.errors import InputError, Where
from ctdl_tools.jsonio import write_output as write_output  # re-exported: ler's writers import it from here
from ctdl_tools.textchars import TERMINAL_UNSAFE, character_class


def check_target(path: Path, inputs: Iterable[Path]) -> None:
    """Refuse (InputError) an output that cannot be a file, or that is (or links to) one of ``inputs``."""
    folder = _nearest_existing(path.parent)
    if not folder.is_dir():
        raise InputError(Where(str(path)), f"cannot write: {folder} is not a folder")
    if path.is_dir():
        raise InputError(Where(str(path)), "cannot write: it is a folder")
    real = path.resolve()
    for source in inputs:
        if real == source.resolve():
            how = "is a link to" if path.is_symlink() else "is"
            raise InputError(Where(str(path)), f"cannot write: it {how} the input {source}; inputs are never "
                                               "overwritten (write elsewhere)")


def _nearest_existing(folder: Path) -> Path:
    """``folder`` or the closest ancestor that exists (the one a write would create the rest under)."""
    for candidate in (folder, *folder.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(".")


# C0 and C1 controls, DEL, and the Unicode bidi / line-separator controls: credential text must not move the
# cursor, rewrite a line ("\r…Proof: VERIFIED"), or reorder what a terminal shows.
_CONTROLS = character_class(TERMINAL_UNSAFE)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(line: str) -> str:
    """One terminal line: every control character shown as an escape (``\\r``, ``\\x1b``, ``\\u202e``)."""
    return _CONTROLS.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                               else f"\\u{ord(m.group()):04x}"), line)
