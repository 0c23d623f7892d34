"""The Registry Assistant's refusal gate: ``gate(document) -> list[str]`` of Violation messages.

Credential Engine's Assistant refuses what breaks its Minimum Data Policy; this stand-in refuses what
fails ctdl_tools' own Violation-level validation. ``default_gate()`` uses ``ctdl_tools.validate``'s
``validate(document) -> Report`` (findings with ``severity`` "Violation", ``rule_id`` and ``message``)
when that package is importable, and falls back to :func:`minimal_gate` when it is not — or, for one
document, when the validator raises (logged with its traceback: a validator bug must not take the
registry down, and the minimal checks still apply).

MINIMAL GATE — a clearly-marked stopgap, not the policy: CTID grammar, a name, a description of at least
15 characters, and no bare abstract ``ceterms:Credential`` / ``ceterms:Degree`` type. Swap in the real
validator by passing ``gate=`` to ``create_app`` or by ``ctdl_tools.validate`` growing the function.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

from ctdl_tools.registry.server.graphdoc import CTID_ANY_CASE, DESCRIPTION_KEYS, NAME_KEYS, first_text

Gate = Callable[[dict], list[str]]

MIN_DESCRIPTION = 15
ABSTRACT_TYPES = {"ceterms:Credential": "Credential", "ceterms:Degree": "Degree"}
# ctdl_tools.validate's entry point (``validate``), and names a document-only variant may get.
_VALIDATOR_NAMES = ("validate", "validate_document")
log = logging.getLogger("ctdl_tools.registry.server")


def minimal_gate(document: dict) -> list[str]:
    """MINIMAL GATE (stopgap until ctdl_tools.validate exists): messages as ``rule-id: message``."""
    graph = document.get("@graph")
    if not isinstance(graph, list) or not graph or not isinstance(graph[0], dict):
        return ["graph-shape: the document has no main resource (@graph[0])"]
    main = graph[0]
    problems = _main_problems(main)
    for node in graph[1:]:
        if isinstance(node, dict) and "ceterms:ctid" in node:
            problems += _ctid_problems(node)
    return problems


def _main_problems(main: dict) -> list[str]:
    problems = _ctid_problems(main)
    type_ = str(main.get("@type", ""))
    if type_ in ABSTRACT_TYPES:
        problems.append(f"abstract-type: {type_} is abstract; use a specific {ABSTRACT_TYPES[type_].lower()} type "
                        "(e.g. ceterms:Certificate, ceterms:BachelorDegree)")
    if not first_text(main, NAME_KEYS):
        problems.append(f"name-required: {type_ or 'the resource'} needs a name")
    description = first_text(main, DESCRIPTION_KEYS)
    if not description:
        problems.append(f"description-required: {type_ or 'the resource'} needs a description")
    elif len(description.strip()) < MIN_DESCRIPTION:
        problems.append(f"description-length: the description must be at least {MIN_DESCRIPTION} characters "
                        f"(it has {len(description.strip())})")
    return problems


def _ctid_problems(node: dict) -> list[str]:
    ctid = node.get("ceterms:ctid")
    if not isinstance(ctid, str) or not CTID_ANY_CASE.match(ctid.strip()):
        return [f"ctid-grammar: {ctid!r} is not a CTID (ce- followed by a UUID) on {node.get('@id')}"]
    return []


def _finding_field(finding: Any, *names: str) -> str:
    for name in names:
        value = finding.get(name) if isinstance(finding, dict) else getattr(finding, name, None)
        if value:
            return str(value)
    return ""


def violations(findings: Iterable[Any]) -> list[str]:
    """``rule: message`` for each finding whose severity is Violation (objects or dicts)."""
    messages = []
    for finding in findings:
        severity = _finding_field(finding, "severity", "level")
        if severity.rsplit("#", 1)[-1].rsplit(":", 1)[-1].lower() != "violation":
            continue
        rule = _finding_field(finding, "rule", "rule_id", "id", "source_shape", "shape")
        message = _finding_field(finding, "message", "text") or str(finding)
        messages.append(f"{rule}: {message}" if rule else message)
    return messages


def _validator() -> Callable[[dict], Iterable[Any]] | None:
    try:
        module = importlib.import_module("ctdl_tools.validate")
    except Exception:  # absent, or broken while being written: the minimal gate stands in
        log.warning("ctdl_tools.validate cannot be imported; the Assistant uses the minimal gate", exc_info=True)
        return None
    for name in _VALIDATOR_NAMES:
        function = getattr(module, name, None)
        if callable(function):
            return function
    return None


def default_gate() -> Gate:
    """The project validator's Violations when ``ctdl_tools.validate`` has one, else the minimal gate."""
    validator = _validator()
    if validator is None:
        return minimal_gate

    def gate(document: dict) -> list[str]:
        try:
            result = validator(document)
        except Exception:
            log.exception("ctdl_tools.validate failed on a document; the minimal gate decides instead")
            return minimal_gate(document)
        return violations(getattr(result, "findings", result))  # a Report, or the findings themselves

    return gate
