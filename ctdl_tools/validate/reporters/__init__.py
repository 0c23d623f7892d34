"""Reporters: one module per output format, each ``render(report, options) -> str`` (or UTF-8 bytes).

    from ctdl_tools.validate.reporters import Options, render
    data = render("sarif", report, Options(fail_on="warning"))  # bytes, UTF-8

Every reporter is deterministic: the same report gives the same bytes in any process (no timestamps,
no host names, no set or hash order), so a report committed or uploaded by CI only changes when the
findings do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from ctdl_tools.validate.reporters import html, json_report, junit, sarif, text
from ctdl_tools.validate.reporters.common import (
    FAIL_ON,
    Options,
    Record,
    failed,
    index_records,
    skipped_note,
    verdict,
)
from ctdl_tools.validate.result import Report

RENDERERS: dict[str, Callable[[Report, Options], str | bytes]] = {
    "text": text.render,
    "json": json_report.render,
    "junit": junit.render,
    "sarif": sarif.render,
    "html": html.render,
}
FORMATS = tuple(RENDERERS)


def write(fmt: str, report: Report, options: Options | None, handle: BinaryIO) -> None:
    """The report in ``fmt`` written to a binary file; streamed where the format allows (JSON)."""
    if fmt == "json":
        json_report.write(report, options or Options(), handle)
    else:
        handle.write(render(fmt, report, options))


def render(fmt: str, report: Report, options: Options | None = None) -> bytes:
    """The report in ``fmt`` as UTF-8 bytes (what is written to a file or stdout)."""
    if fmt not in RENDERERS:
        raise ValueError(f"unknown report format {fmt!r}; choose from {', '.join(FORMATS)}")
    data = RENDERERS[fmt](report, options or Options())
    return data if isinstance(data, bytes) else data.encode("utf-8")


__all__ = ["FAIL_ON", "FORMATS", "RENDERERS", "Options", "Record", "failed", "index_records", "render",
           "skipped_note", "verdict", "write"]
