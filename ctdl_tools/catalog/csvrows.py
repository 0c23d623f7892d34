"""CSV rows with their row numbers, refusing a quote that runs across rows.

A stray ``"`` at the start of a cell opens a quoted cell that only ends at the next quote, possibly rows
later, or never: the reader then silently makes one cell of the rest of the row and of whole rows after
it (records vanish, another's fields are lost). Two signs give it away, both an :class:`InputError`
naming the line where the quote opened and its column:

* a quote still open at the end of the file, or one closed rows later and followed by text (the reader's
  strict mode refuses both);
* a row whose cell count differs from the header's and one of whose cells spans lines. A well-formed
  row may hold a multi-line quoted cell (a description with paragraphs): its shape is the header's;
* a cell that spans lines one of which reads like a row of this file (as many delimiters as the header
  has, less one, and at least four): a stray quote closed, rows later, by another one right before a
  delimiter keeps the row's shape, but prose does not hold lines of a row's worth of delimiters.

A cell may hold up to :data:`CELL_LIMIT` characters (the csv module's default, 131,072, is less than a long
description). A longer one on a line without quotes fails its row only (:class:`LongCellRow`, for readers
that ask for it); one in a quoted cell may be a stray quote's run, an input error like the above.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Iterable, Iterator

from ctdl_tools.errors import InputError, Where

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_DOUBLE_IT = "(in CSV, a quote inside a quoted cell is written twice: \"\")"
CELL_LIMIT = 16 * 1024 * 1024  # characters: generous for text, still a bound on one cell's memory

Lines = Callable[[], Iterable[str]]  # the file's lines, read afresh (a second time only to explain an error)


class LongCellRow(list[str]):
    """A row with cells longer than :data:`CELL_LIMIT`, emptied; ``too_long`` holds their 0-based columns."""

    too_long: frozenset[int] = frozenset()


class _LastLine:
    """The lines, remembering the last one handed out (the line a reader's error is on)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.lines, self.last = iter(lines), ""

    def __iter__(self) -> _LastLine:
        return self

    def __next__(self) -> str:
        self.last = next(self.lines)
        return self.last


def csv_rows(lines: Lines, delimiter: str, name: str,
             long_cells: bool = False) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)`` for every row, the header included (1-based, as a spreadsheet counts).

    ``long_cells``: a row with a cell longer than :data:`CELL_LIMIT` comes as a :class:`LongCellRow` (when
    it can be read without the csv module: a line without quotes); otherwise it is an input error.
    """
    csv.field_size_limit(CELL_LIMIT)  # process-wide; nothing else in ctdl_tools sets it
    source = _LastLine(lines())
    reader = csv.reader(source, delimiter=delimiter, strict=True)
    header: list[str] | None = None
    number, start = 0, 1  # start: the line the next row begins on
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if not _too_long(exc):
                raise _malformed(lines, delimiter, name, (number + 1, start, reader.line_num), header, exc) from None
            row = _long_cell_row(name, (number + 1, start, reader.line_num), source.last, delimiter,
                                 long_cells and header is not None)
        number += 1
        if header is None:
            header = row if any(cell.strip() for cell in row) else None
        elif reader.line_num > start:  # the row ran over more than one line: some cell spans lines
            if len(row) != len(header):
                _check_spanning(name, number, start, row, header)
            else:
                _check_swallowed(name, number, start, row, header, delimiter)
        yield number, row
        start = reader.line_num + 1


def _too_long(exc: csv.Error) -> bool:
    return "field larger than field limit" in str(exc)


def _long_cell_row(name: str, place: tuple[int, int, int], line: str, delimiter: str, wanted: bool) -> LongCellRow:
    """The row of a cell past the limit, read by splitting its line, when that is how the csv module would
    read it (one line, no quote) and the reader wants such rows; else an input error saying what is long."""
    number, start, at = place
    limit = f"longer than {CELL_LIMIT:,} characters"
    if at > start:  # a quoted cell ran over lines past the limit: most likely a quote never closed
        raise InputError(Where(name, row=number), f"the cell that opens on line {start} runs on to line {at} and "
                         f"is {limit}: if it should end sooner, a stray or unclosed quote (\") opened it")
    if '"' in line or not wanted:
        raise InputError(Where(name, row=number), f"line {at} has a cell {limit}, more than a catalog cell may "
                         "hold")
    cells = line.rstrip("\r\n").split(delimiter)
    row = LongCellRow("" if len(cell) > CELL_LIMIT else cell for cell in cells)
    row.too_long = frozenset(i for i, cell in enumerate(cells) if len(cell) > CELL_LIMIT)
    return row


def _line_breaks(text: str) -> int:
    return len(_LINE_BREAK.findall(text))


def _column(header: list[str] | None, index: int) -> str:
    if header is not None and index < len(header) and header[index].strip():
        return header[index].strip()
    return f"#{index + 1}"


def _opened_on(start: int, row: list[str], index: int) -> int:
    """The line cell ``index`` of a row that began on line ``start`` begins on."""
    return start + sum(_line_breaks(c) for c in row[:index])


def _check_spanning(name: str, number: int, start: int, row: list[str], header: list[str]) -> None:
    for index, cell in enumerate(row):
        if _line_breaks(cell):
            opened = _opened_on(start, row, index)
            raise _stray_quote(name, number, _column(header, index),
                               f"the quoted cell opened on line {opened} runs on to line "
                               f"{opened + _line_breaks(cell)} and the row has {len(row)} cells, the header "
                               f"{len(header)}")


def _check_swallowed(name: str, number: int, start: int, row: list[str], header: list[str], delimiter: str) -> None:
    enough = max(4, len(header) - 1)
    for index, cell in enumerate(row):
        if not _line_breaks(cell):
            continue
        inner = _LINE_BREAK.split(cell)[1:]
        swallowed = next((i for i, line in enumerate(inner, start=1) if line.count(delimiter) >= enough), None)
        if swallowed is not None:
            opened = _opened_on(start, row, index)
            raise _stray_quote(name, number, _column(header, index),
                               f"the quoted cell opened on line {opened} holds line {opened + swallowed}, which "
                               "reads like a row of its own")


def _stray_quote(name: str, number: int, column: str, what: str) -> InputError:
    return InputError(Where(name, row=number, column=column),
                      f"{what}: a stray or unclosed quote (\") took in the rows after it; remove it or close the "
                      f"quote {_DOUBLE_IT}")


def _malformed(lines: Lines, delimiter: str, name: str, place: tuple[int, int, int], header: list[str] | None,
               exc: csv.Error) -> InputError:
    """What the strict reader refused, said where the bad quote opened when that is before the error's line.

    The row is read again leniently from its first line: its first cell that spans lines is the one a
    stray quote opened (at the end of the file, the quote is never closed and that cell is the last).
    """
    number, start, line = place
    at_end = "unexpected end of data" in str(exc)
    row = _reread_row(lines, delimiter, start)
    index = _opened_cell(row, at_end) if row is not None else None
    if row is None or index is None:  # the quote opened on the line the reader stopped at
        return InputError(Where(name, row=number), f"malformed CSV at line {line}: {exc} {_DOUBLE_IT}")
    opened = _opened_on(start, row, index)
    if at_end:
        why = "is never closed: the rest of the file would be this one cell"
    else:
        why = f"runs on to line {line}, where the reader stopped ({exc})"
    return InputError(Where(name, row=number, column=_column(header, index)),
                      f"the quote (\") opened on line {opened} {why}; remove the stray quote or close it {_DOUBLE_IT}")


def _reread_row(lines: Lines, delimiter: str, start: int) -> list[str] | None:
    try:
        return next(csv.reader(itertools.islice(lines(), start - 1, None), delimiter=delimiter))
    except (csv.Error, StopIteration):  # e.g. a cell past the field size limit: say what the strict reader said
        return None


def _opened_cell(row: list[str], at_end: bool) -> int | None:
    if at_end:
        return len(row) - 1
    return next((i for i, cell in enumerate(row) if _line_breaks(cell)), None)
