"""The validation gate in front of publishing: which files have Violations, and why.

:func:`violations` makes the call ``ctdl validate FILE...`` makes, once, over every file given to publish,
with only the rules that can refuse (Violations) turned on, so the gate's verdict is the command's: the
JSON-level checks run on the files' own text (a key given twice), and the cross-record checks see the whole
submission, files unchanged since they were published included (a new competency is checked against the
framework that is already out).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ctdl_tools.ctdl_files import display_name


class ValidatorUnavailable(RuntimeError):
    """``ctdl_tools.validate`` cannot be imported (a broken install): nothing can be checked."""


def violations(paths: Sequence[str], contents: Mapping[str, bytes] | None = None) -> dict[str, list[Any]]:
    """``{absolute path: [Finding, ...]}`` for every file with Violation findings. ``contents``: the bytes
    already read of given paths that cannot be read again (a named pipe, ``<(…)``: a second open would wait
    for a writer that is gone); they are validated as given, under their own path."""
    try:
        from ctdl_tools.validate import PYTHON_RULES, NamedContent, load_shapes, validate
    except ImportError as exc:
        raise ValidatorUnavailable(f"{type(exc).__name__}: {exc}") from exc
    contents = contents or {}
    # Only Violations refuse a record: the rules that can only warn or inform are not run at all (a catalog's
    # recommended-benchmark Warnings are most of what validation finds, and of what it costs).
    rules = [*load_shapes().rules.values(), *PYTHON_RULES.values()]
    quiet = sorted({r.id for r in rules if r.severity != "Violation"})
    inputs = [NamedContent(path, contents[path]) if path in contents else path for path in paths]
    # Worker processes are forked: only from a process that runs no other thread yet.
    report = validate(inputs, disabled_rules=quiet, jobs=0 if threading.active_count() == 1 else 1)
    # Reports name files as display_name shows them; map back to the paths given.
    shown = {display_name(path): path for path in paths}
    found: dict[str, list[Any]] = {}
    for finding in report.findings:
        if finding.severity == "Violation":
            found.setdefault(os.path.abspath(shown.get(finding.file, finding.file)), []).append(finding)
    return found


def describe(finding: Any, main_ctid: str) -> str:
    """``rule-id: message (at <other record>, <pointer>)`` for publish's list of problems."""
    where = [p for p in (finding.ctid if finding.ctid and finding.ctid != main_ctid else None,
                         finding.pointer or None) if p]
    return f"{finding.rule_id}: {finding.message}" + (f" (at {', '.join(where)})" if where else "")
