"""The validation gate in front of publishing: which documents have Violations, and why.

One function, :func:`violations`, over :func:`ctdl_tools.validate.validate` (SHACL Minimum Data Policy
and structure shapes, JSON checks, cross-record checks). Documents are passed as parsed objects; the
validator names them ``<document N>`` in input order, which is how a finding is traced back to its
document — a Violation on a competency inside a framework's graph refuses the framework document.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Sequence
from typing import Any

AVAILABLE: bool | None = None  # False when ctdl_tools.validate cannot be imported (set by violations)
_DOCUMENT = re.compile(r"^<document (\d+)>$")


def _validate() -> Any:
    try:
        from ctdl_tools.validate import validate
    except ImportError:
        return None
    return validate


def violations(documents: Sequence[dict]) -> dict[str, list[str]]:
    """``{main CTID: ["rule-id: message (where)", ...]}`` for every document with Violation findings."""
    global AVAILABLE
    validate = _validate()
    AVAILABLE = validate is not None
    if validate is None or not documents:
        return {}
    report = validate(list(documents))
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        if finding.severity != "Violation":
            continue
        owner = _owner(finding, documents)
        if owner:
            found.setdefault(owner, []).append(_describe(finding, owner))
    return found


def violations_with_availability(documents: Sequence[dict]) -> tuple[dict[str, list[str]], bool | None]:
    """:func:`violations` plus :data:`AVAILABLE`, for calling in a worker process."""
    found = violations(documents)
    return found, AVAILABLE


def exit_with_parent(parent: int) -> None:
    """Worker-process initializer: leave when the publisher dies (even by kill -9), instead of lingering
    blocked on a queue nobody will ever write to again."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="ctdl-parent-watch", daemon=True).start()


def _owner(finding: Any, documents: Sequence[dict]) -> str | None:
    """The main CTID of the document the finding is in."""
    match = _DOCUMENT.match(str(finding.file))
    if match and 0 < int(match.group(1)) <= len(documents):
        return _main_ctid(documents[int(match.group(1)) - 1]) or finding.ctid
    return finding.ctid


def _main_ctid(document: dict) -> str | None:
    try:
        return str(document["@graph"][0]["ceterms:ctid"]).strip().lower()
    except (KeyError, IndexError, TypeError):
        return None


def _describe(finding: Any, owner: str) -> str:
    where = [p for p in (finding.ctid if finding.ctid and finding.ctid != owner else None,
                         finding.pointer or None) if p]
    return f"{finding.rule_id}: {finding.message}" + (f" (at {', '.join(where)})" if where else "")
