"""Validate CTDL / CTDL-ASN JSON-LD against the Minimum Data Policy and the vocabulary, offline.

    from ctdl_tools.validate import validate
    report = validate(["out/ctdl"], disabled_rules=["MDP-*-BENCHMARK-*"])
    report.conforms, report.counts, report.findings[0].rule_id, report.findings[0].line

Pipeline (one module each): :mod:`~ctdl_tools.validate.loader` reads files, directories, globs, "-",
Python objects and bytes into documents; :mod:`~ctdl_tools.validate.prepass` checks the JSON itself;
:mod:`~ctdl_tools.validate.rdf` converts to N-Triples terms without pyld; :mod:`~ctdl_tools.validate.engine`
runs the SHACL shapes (``shapes/policy``, ``shapes/structure``, plus the user's) on the compiled
:mod:`~ctdl_tools.validate.native` engine, ``shacl`` (Rust) or ``pyshacl`` (the reference);
:mod:`~ctdl_tools.validate.crossref` checks across records;
:mod:`~ctdl_tools.validate.checker` maps everything back to file, JSON pointer, line and CTID; and
:mod:`~ctdl_tools.validate.result` holds the :class:`Finding` / :class:`Report` that reporters consume.
"""

from ctdl_tools.validate.checker import validate
from ctdl_tools.validate.engine import RawResult, compile_engine
from ctdl_tools.validate.loader import Document, Loaded, NamedContent, load_documents
from ctdl_tools.validate.result import INFO, SEVERITIES, VIOLATION, WARNING, Finding, Report, Rule
from ctdl_tools.validate.rules import PYTHON_RULES
from ctdl_tools.validate.shapes import ShapeSet, bundled_shapes_dir, load_shapes

__all__ = [
    "INFO",
    "PYTHON_RULES",
    "SEVERITIES",
    "VIOLATION",
    "WARNING",
    "Document",
    "Finding",
    "Loaded",
    "NamedContent",
    "RawResult",
    "Report",
    "Rule",
    "ShapeSet",
    "bundled_shapes_dir",
    "compile_engine",
    "load_documents",
    "load_shapes",
    "validate",
]
