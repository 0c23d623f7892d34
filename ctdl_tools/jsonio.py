"""Reading JSON with located errors, and writing bytes atomically and deterministically."""

from __future__ import annotations

import contextlib
import decimal
import functools
import json
import numbers
import os
import re
import signal
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ctdl_tools.errors import InputError, Where
from ctdl_tools.jsonscan import escape_pointer, pointer_tokens, repeated_members


def read_bytes(path: Path | str, max_bytes: int | None = None) -> bytes:
    """A file's bytes; a missing, unreadable or (with ``max_bytes``) oversized file is an :class:`InputError`."""
    path = Path(path)
    try:
        if max_bytes is not None and (size := path.stat().st_size) > max_bytes:
            raise InputError(Where(str(path)), f"file is {size} bytes; the limit is {max_bytes} "
                                               f"({max_bytes // (1024 * 1024)} MiB)")
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(Where(str(path)), "file not found") from None
    except IsADirectoryError:
        raise InputError(Where(str(path)), "is a directory, expected a file") from None
    except OSError as exc:
        raise InputError(Where(str(path)), f"cannot read: {exc.strerror or exc}") from None


_LONE_CR = re.compile("\r(?!\n)")


def has_lone_cr(text: str) -> bool:
    return _LONE_CR.search(text) is not None


def line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``, counting lines as editors do: LF, CR LF and a lone CR (a
    classic Mac file) each end one."""
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    if "\r" in text and has_lone_cr(text):
        for cr in _LONE_CR.finditer(text, 0, offset):
            if text[cr.end():cr.end() + 1] != "\n":  # not a CR LF cut in two by ``offset``
                line += 1
                start = max(start, cr.end())
    return line, offset - start + 1


def read_text(path: Path | str) -> str:
    """A UTF-8 text file (a UTF-8 BOM is fine); anything else is an :class:`InputError`."""
    return decode_utf8(read_bytes(path), str(path))


def decode_utf8(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = line_column(data[: exc.start].decode("latin-1"), exc.start)[0]
        utf16 = " (it is UTF-16)" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ""
        raise InputError(Where(name), f"not UTF-8{utf16}: line {line} (byte 0x{data[exc.start]:02x} at offset "
                         f"{exc.start}); save the file as UTF-8") from None


_STRING = r'"(?:[^"\\]|\\.)*"'  # a JSON string, so what looks like a token inside one is passed over


class JsonProblem(ValueError):
    """Why json.loads would not take a text (or took what is not JSON), and where: :func:`loads`."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None,
                 syntax: bool = True) -> None:
        super().__init__(message)
        self.message, self.line, self.column = message, line, column
        self.syntax = syntax  # not JSON at all (False: JSON, but more than can be read)

    @property
    def located(self) -> str:
        """The message with its place, e.g. "invalid JSON at line 3, column 7: Expecting ',' delimiter"."""
        return self.message if self.line is None else self.message.replace(
            "{where}", f"at line {self.line}, column {self.column}")


def loads(text: str, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None, *,
          exact_range: bool = False) -> Any:
    """json.loads with each way it refuses a text, or accepts what is not JSON, as one :class:`JsonProblem`
    with a line and column: a syntax error; NaN and Infinity (json.loads takes them; RFC 8259 §6 has no such
    numbers); an integer longer than Python converts (4300 digits, a ValueError); nesting deeper than the
    parser goes (a RecursionError).

    ``exact_range``: a number beyond a double's range (``1e400``) is an :class:`OutOfRange` (an infinity that
    keeps the number as written), for callers that report it; by default it is json.loads's plain infinity
    (orjson, which writes the other commands' output, takes no float subclass)."""
    try:
        if object_pairs_hook is None:
            # json.loads would build a decoder per call: 10k files, 0.05 s
            return (_RANGED_DECODER if exact_range else _DECODER).decode(text)
        return json.JSONDecoder(object_pairs_hook=object_pairs_hook, parse_constant=_not_a_number,
                                parse_float=_parse_float if exact_range else None).decode(text)
    except json.JSONDecodeError as exc:
        # "Unterminated string starting at" expects its place after it; ours is said first.
        what = exc.msg.removesuffix(" at").removesuffix(" starting")
        raise JsonProblem(f"invalid JSON {{where}}: {what}", *line_column(text, exc.pos)) from None
    except _NotANumber as exc:
        raise _problem(text, _CONSTANT, f"{exc.args[0]} {{where}} is not a JSON number (RFC 8259 §6)") from None
    except RecursionError:
        place = nesting_position(text)
        raise JsonProblem(too_deep_message() + (" ({where})" if place else ""), *(place or (None, None)),
                          syntax=False) from None
    except ValueError as exc:  # "Exceeds the limit (4300 digits) for integer string conversion"
        if "digits" not in str(exc):
            raise
        limit = sys.get_int_max_str_digits()
        too_long = re.compile(_STRING + rf"|-?[0-9]{{{limit + 1},}}(?![.eE0-9])")  # an integer, not a float's
        problem = _problem(text, too_long, f"a number {{where}} has more digits than can be read ({limit})")
        problem.syntax = False
        raise problem from None


class _NotANumber(ValueError):
    pass


def _not_a_number(name: str) -> Any:
    raise _NotANumber(name)


class OutOfRange(float):
    """A JSON number beyond a double's range (``1e400``): json.loads reads it as infinity, a value that is not
    in the file; this infinity keeps the number as written, so that a finding can quote it."""

    literal: str

    def __new__(cls, literal: str) -> OutOfRange:
        number = super().__new__(cls, float(literal))
        number.literal = str(literal)
        return number


def _parse_float(text: str) -> float:
    number = float(text)
    return number if number - number == 0 else OutOfRange(text)  # inf - inf is nan


_DECODER = json.JSONDecoder(parse_constant=_not_a_number)
_RANGED_DECODER = json.JSONDecoder(parse_constant=_not_a_number, parse_float=_parse_float)
_REPEATS = threading.local()  # set by _noting_repeats while one text is decoded in this thread


def _noting_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)  # the last of a repeated name wins, as in json.loads
    if len(value) < len(pairs):
        _REPEATS.seen = True
    return value


_NOTING_DECODER = json.JSONDecoder(object_pairs_hook=_noting_repeats, parse_constant=_not_a_number)
_RANGED_NOTING_DECODER = json.JSONDecoder(object_pairs_hook=_noting_repeats, parse_constant=_not_a_number,
                                          parse_float=_parse_float)


def loads_noting_repeats(text: str, *, exact_range: bool = False) -> tuple[Any, bool]:
    """:func:`loads`, and whether any object in the text gives a member name twice (RFC 8259 §4: names
    SHOULD be unique; parsers keep one value, which one differs, so the other is silently lost). Costs
    ~5 µs per document more than :func:`loads`; where the repeats are is for the caller to find, when
    there are any. ``exact_range``: as for :func:`loads`."""
    _REPEATS.seen = False
    try:
        value = (_RANGED_NOTING_DECODER if exact_range else _NOTING_DECODER).decode(text)
    except (ValueError, RecursionError):
        return loads(text, exact_range=exact_range), False  # raises the JsonProblem for it (same text, same failure)
    return value, _REPEATS.seen


_CONSTANT = re.compile(_STRING + "|NaN|-?Infinity")


def _problem(text: str, pattern: re.Pattern[str], message: str) -> JsonProblem:
    """A JsonProblem at the first match of ``pattern`` outside strings (its first branch matches strings)."""
    for match in pattern.finditer(text):
        if not match.group().startswith('"'):
            offset = match.start()
            return JsonProblem(message, *line_column(text, offset))
    return JsonProblem(message.replace(" {where}", ""))


def parse_json(text: str, name: str, *, repeats: bool = False) -> Any:
    """The JSON value of an input file, or one InputError naming the place of what is wrong with it.

    A member name an object gives twice is refused (``repeats=True`` keeps the last value, as json.loads
    does, for callers that report repeats themselves): the earlier value would be lost without a word,
    and which one a JSON reader keeps differs between readers (RFC 8259 §4)."""
    try:
        data, repeated = (loads(text), False) if repeats else loads_noting_repeats(text)
    except JsonProblem as problem:
        raise InputError(Where(name), problem.located) from None
    if repeated:
        raise _repeat_error(text, name, data)
    lone = unpaired_surrogate(text)
    if lone is not None:
        raise InputError(Where(name), lone.message)
    deep = too_deep(data)
    if deep is not None:
        place = nesting_position(text)
        raise InputError(Where(name, path=json_path(deep)), too_deep_message()
                         + (f" (at line {place[0]}, column {place[1]})" if place else ""))
    return data


def _repeat_error(text: str, name: str, data: Any) -> InputError:
    found = first_repeat(text, data)
    assert found is not None, "loads_noting_repeats saw a repeat that the scanner does not"
    path, key, line, _ = found
    return InputError(Where(name, path=path), f"{key!r} is given twice in one object (line {line}): only the last "
                      "value would be read and the first lost; give the name once (a list for several values)")


def first_repeat(text: str, data: Any) -> tuple[str, str, int, int] | None:
    """(JSON path, name, line, column) of the first member name an object of ``text`` gives twice, or None;
    ``data`` is the text's value as json.loads reads it (it tells an array index from a member name)."""
    found = repeated_members(text)
    if not found:
        return None
    pointer, key, line, offset = found[0]
    steps: list[str | int] = []
    node = data
    for token in pointer_tokens(pointer):  # a pointer token is an index where the value is an array
        if isinstance(node, list) and token.isdigit():
            steps.append(int(token))
            node = node[int(token)] if int(token) < len(node) else None
        else:
            steps.append(token)
            node = node.get(token) if isinstance(node, dict) else None
    return json_path(steps), key, line, line_column(text, offset)[1]


# How deep JSON may nest where ctdl_tools reads it. CTDL documents, catalogs and credentials nest about a dozen
# levels (the deepest file in the corpus: 12); the walks over them are recursive, and Python's stack is not
# for arbitrary input: deeper input is refused with its place named, not met with a RecursionError.
MAX_DEPTH = 100


class TooDeep(ValueError):
    """JSON nested more than MAX_DEPTH levels (raised by walks that count levels as they go)."""


def too_deep(value: Any, limit: int = MAX_DEPTH) -> list[str | int] | None:
    """The keys and indexes down to the first array or object nested more than ``limit`` deep, or None.

    Iterative, so any depth the parser accepted can be measured."""
    if not isinstance(value, (dict, list)):
        return None
    # (container, depth, index of its parent entry, key or index in the parent)
    seen: list[tuple[Any, int, int, str | int | None]] = [(value, 1, -1, None)]
    todo = [0]
    while todo:
        at = todo.pop()
        item, depth, _, _ = seen[at]
        if depth > limit:
            path: list[str | int] = []
            while at > 0:
                _, _, at, key = seen[at]  # type: ignore[assignment]
                path.append(key)  # type: ignore[arg-type]
            return path[::-1]
        pairs = item.items() if isinstance(item, dict) else enumerate(item)
        for key, child in pairs:
            if isinstance(child, (dict, list)):
                seen.append((child, depth + 1, at, key))
                todo.append(len(seen) - 1)
    return None


def json_path(path: list[str | int], head: int = 8) -> str:
    """``$.a[0].b`` for ["a", 0, "b"] (the form bad-input messages use); past ``head`` steps, the rest is
    counted, not spelled out (a path 100 levels deep is no help to read)."""
    steps = [f"[{key}]" if isinstance(key, int) else f".{key}" for key in path]
    if len(steps) > head + 1:
        return "$" + "".join(steps[:head]) + f"… ({len(steps) - head} more levels)"
    return "$" + "".join(steps)


_NESTING_TOKEN = re.compile(_STRING + r"|[\[\]{}]")


def nesting_position(text: str, limit: int = MAX_DEPTH) -> tuple[int, int] | None:
    """(line, column) of the bracket that opens level ``limit + 1`` in a JSON text, or None: where to point
    when the parser itself gave up (a RecursionError) and there is no parsed value to walk."""
    depth = 0
    for match in _NESTING_TOKEN.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                offset = match.start()
                return line_column(text, offset)
        elif token in "]}":
            depth -= 1
    return None


def too_deep_message(what: str = "JSON", limit: int = MAX_DEPTH) -> str:
    return f"{what} nested more than {limit} levels deep (real catalogs, CTDL and credentials nest under 15)"


def parse_yaml(text: str, name: str) -> Any:
    """YAML (catalogs, mapping files) with the same guarantees as :func:`parse_json`: every way the parser or
    the data fails is one :class:`InputError` naming the place (PyYAML composes nested collections
    recursively, and its int constructor raises a bare ValueError past 4300 digits)."""
    import yaml

    loader = None
    try:
        loader = _yaml_loader()(text)  # a SafeLoader with YAML 1.2 booleans and numbers (reads the text: may raise)
        node = loader.get_single_node()
        expanded, distinct = _expanded_size(node) if node is not None else (0, 0)
        if expanded - distinct > YAML_EXPANSION_LIMIT + 10 * distinct:
            raise InputError(Where(name), f"its aliases (*name) would repeat their anchors' values into more than "
                             f"{YAML_EXPANSION_LIMIT:,} values that are not in the file (a YAML \"billion laughs\"): "
                             "write the values out, or use fewer levels of aliases")
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(Where(name, row=mark.line + 1 if mark else None),
                         f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise InputError(Where(name), too_deep_message("YAML")) from None
    except ValueError as exc:  # a constructor's own refusal (an explicit !!timestamp 2024-13-45, !!int 1e9999)
        if "digits" in str(exc):
            raise InputError(Where(name), f"a number has more digits than can be read "
                             f"({sys.get_int_max_str_digits()})") from None
        raise InputError(Where(name), f"invalid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    deep = too_deep(data)
    if deep is not None:
        raise InputError(Where(name, path=json_path(deep)), too_deep_message("YAML"))
    lone = surrogate_path(data)
    if lone is not None:  # an escape such as "\ud800": no UTF-8 writer could write the CTDL out
        raise InputError(Where(name, path=lone), f"{HALF_PAIR}: remove it or give the whole pair")
    return data


HALF_PAIR = "half of a UTF-16 surrogate pair, not a character"
# Values a YAML document's aliases may add (besides ten per value written): an alias is the node of its
# anchor, so nine levels of nine aliases in 300 bytes ("billion laughs") would build 387 million values
# (minutes and gigabytes before any other check could speak). A catalog repeating a block of defaults in
# every one of its credentials stays far below; a large catalog without aliases adds nothing.
YAML_EXPANSION_LIMIT = 1_000_000
_FAR_TOO_MANY = 10**15  # sizes are capped here: a bomb's would be a number of hundreds of digits


def _expanded_size(root: Any) -> tuple[int, int]:
    """(the number of values a composed YAML node makes with every alias expanded, the number of distinct
    nodes): memoised by node, linear in the distinct nodes however large the first number."""
    sizes: dict[int, int] = {}
    todo: list[tuple[Any, bool]] = [(root, False)]
    while todo:
        node, children_done = todo.pop()
        if id(node) in sizes:
            continue
        value = node.value
        if isinstance(value, str):  # a scalar
            sizes[id(node)] = 1
            continue
        # A mapping's value is a list of (key node, value node), a sequence's a list of nodes.
        children = [part for item in value for part in (item if isinstance(item, tuple) else (item,))]
        if children_done:
            sizes[id(node)] = min(1 + sum(sizes[id(c)] for c in children), _FAR_TOO_MANY)
            continue
        todo.append((node, True))
        todo.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)], len(sizes)


@functools.cache
def _yaml_loader() -> type:
    """PyYAML's safe loader with YAML 1.2's plain scalars for booleans and numbers. YAML 1.1 also reads
    yes/no/on/off as booleans (a Norwegian catalog's `Language: no` became False), `0123` as octal 83,
    `1:30` as 90 (base 60), `0x1F` and `1_000` as numbers: an External Identifier, a duration or a code
    silently changed. Here only true/false are booleans, and only plain decimal numbers without a leading
    zero are numbers; everything else stays the text it was written as."""
    import yaml

    class Yaml12Loader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict:
            # PyYAML keeps the last value of a repeated key without a word (YAML 1.2 says keys are unique).
            seen: set = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *base`: keys given here override the merged ones, as YAML means
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, (str, int, float, bool)):
                    continue  # unhashable: PyYAML refuses it itself
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"{key!r} is given twice in one mapping: only the last value would be read",
                        key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    # YAML 1.2's core schema has no timestamps either: 2024-01-05 stays the text the builders read as a date,
    # and 2024-13-45 is their error at its row, not datetime's ValueError.
    replaced = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                "tag:yaml.org,2002:timestamp"}
    Yaml12Loader.yaml_implicit_resolvers = {
        first: [(tag, regex) for tag, regex in resolvers if tag not in replaced]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                       list("tTfF"))
    Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"),
                                       list("-+0123456789"))
    Yaml12Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"), list("-+0123456789."))
    return Yaml12Loader


@dataclass(frozen=True)
class Surrogate:
    """Where a JSON text escapes half of a UTF-16 surrogate pair, and what to tell the user."""

    offset: int
    line: int
    column: int
    escape: str

    @property
    def message(self) -> str:
        return (f"{self.escape} at line {self.line}, column {self.column} is {HALF_PAIR}: remove it or give the "
                "whole pair")


def unpaired_surrogate(text: str) -> Surrogate | None:
    """The first ``\\ud800``-style escape of an unpaired surrogate in a JSON text, or None.

    RFC 8259 allows the escape (§8.2: "unpredictable" behaviour); json.loads keeps it as a str that no
    UTF-8 writer can write out, so every report, CTDL document or registry page made from it would fail
    late. Callers treat the text as unreadable instead, naming the place.
    """
    # "\\" first: a text with no escape at all is passed over at memchr speed (10k records: 0.03 s → 0.002 s).
    if "\\" not in text or not _SURROGATE_START.search(text):
        return None
    offset = _first_unpaired(text)
    if offset is None:
        return None
    line, column = line_column(text, offset)
    return Surrogate(offset, line, column, text[offset:offset + 6])


def surrogate_path(value: Any) -> str | None:
    """The JSON path of the first key or string holding a lone surrogate, or None: for data from parsers
    whose text :func:`unpaired_surrogate` cannot scan (YAML has ``\\ud800`` and ``\\U0000d800`` escapes)."""
    try:
        orjson.dumps(value)  # in C, and it refuses surrogates: nearly always the whole answer
        return None
    except (orjson.JSONEncodeError, TypeError):
        pass  # a surrogate, or something else orjson does not write (walked below all the same)
    # A container met again on the way down (a Python object that holds itself) is not walked twice: the
    # walk would never end. ``on_path`` holds the containers above the item; an int on ``todo`` leaves one.
    on_path: set[int] = set()
    todo: list[Any] = [(value, "$")]
    while todo:
        task = todo.pop()
        if type(task) is int:
            on_path.discard(task)
            continue
        item, path = task
        if isinstance(item, str):
            if not item.isascii() and not _encodes(item):
                return path
            continue
        if not isinstance(item, (dict, list)) or id(item) in on_path:
            continue
        on_path.add(id(item))
        todo.append(id(item))
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                where = f"{path}.{key}"
                if isinstance(key, str) and not key.isascii() and not _encodes(key):
                    return where
                todo.append((child, where))
        else:
            todo.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(item))))
    return None


@dataclass(frozen=True)
class NotJson:
    """A part of a Python object that no JSON text could hold (:func:`plain_json`): where, and what it is."""

    path: tuple[str | int, ...]  # keys and indexes down to it (for a key that is not a string: its object)
    message: str

    @property
    def pointer(self) -> str:
        return "".join(f"/{escape_pointer(step) if isinstance(step, str) else step}" for step in self.path)


def plain_json(value: Any) -> tuple[Any, list[NotJson]]:
    """A copy of a Python object as its JSON text would read back, and what in it no JSON text could hold.

    Read as json.dumps writes: a tuple is an array, subclasses of dict, list, str, int and float are the
    plain types; and a :class:`~decimal.Decimal` (a price from a database) is the number its text is in a
    file (``Decimal("8900.50")`` reads as 8900.5, ``Decimal("1E+400")`` as :class:`OutOfRange`).
    Left out and reported (a :class:`NotJson` each): a member whose key is not a string, a value of another
    type (a set, bytes, a date…), NaN and infinities, an integer of more digits than Python converts to
    text, and a container inside itself (a cycle: json.dumps refuses it, a walk would never end). An array
    keeps its length (what was left out is null, which JSON-LD drops), so later pointers still hold.
    Iterative: any depth (nesting deeper than MAX_DEPTH is reported where documents are walked)."""
    problems: list[NotJson] = []
    root: list[Any] = [None]
    on_path: set[int] = set()  # the containers above the one being copied (an int on ``todo`` leaves one)
    todo: list[Any] = []
    _copy_into(root, 0, value, (), todo, problems)
    while todo:
        task = todo.pop()
        if type(task) is int:
            on_path.discard(task)
            continue
        item, into, key, path = task
        if id(item) in on_path:
            problems.append(NotJson(path, "the object contains itself (a cycle), which no JSON text can: left out"))
            _leave_out(into, key)
            continue
        on_path.add(id(item))
        todo.append(id(item))
        if isinstance(item, dict):
            into[key] = copy = {}
            for name, child in item.items():
                if not isinstance(name, str):
                    problems.append(NotJson(path, f"a key that is not a string ({_shown(name)}): JSON object "
                                                  "keys are strings; the member is left out"))
                    continue
                _copy_into(copy, str(name), child, (*path, str(name)), todo, problems)
        else:
            into[key] = copy = [None] * len(item)
            for index, child in enumerate(item):
                _copy_into(copy, index, child, (*path, index), todo, problems)
    return root[0], problems


_PLAIN = (str, int, float, bool, type(None))


def _copy_into(into: Any, key: str | int, child: Any, path: tuple[str | int, ...], todo: list[Any],
               problems: list[NotJson]) -> None:
    """Put ``child`` (its plain value) at ``into[key]``, or leave a container for later, or report it."""
    kind = type(child)
    if kind is dict or kind is list or isinstance(child, (dict, list, tuple)):
        into[key] = None  # the place, in order; the copy comes when the task is done
        todo.append((child, into, key, path))
        return
    if kind in _PLAIN and not (kind is float and child - child != 0) and not (kind is int and _too_long(child)):
        into[key] = child
        return
    plain, problem = _plain_scalar(child)
    if problem is None:
        into[key] = plain
    else:
        problems.append(NotJson(path, problem))
        _leave_out(into, key)


def _leave_out(into: Any, key: str | int) -> None:
    if isinstance(into, dict):
        into.pop(key, None)
    else:
        into[key] = None


def _plain_scalar(value: Any) -> tuple[Any, str | None]:
    """(the JSON value json.dumps would write for ``value``, None) or (None, why it writes none)."""
    if isinstance(value, bool):
        return bool(value), None
    if isinstance(value, str):
        return str(value), None
    if isinstance(value, float) and not isinstance(value, OutOfRange):
        if value - value != 0:
            return None, f"{_shown(value)} is not a JSON number (RFC 8259 §6): left out"
        return float(value), None
    if isinstance(value, OutOfRange):
        return value, None  # the converter reports it, quoting it as written
    if isinstance(value, numbers.Integral):
        number = int(value)
        if _too_long(number):
            return None, _TOO_LONG.format(sys.get_int_max_str_digits())
        return number, None
    if isinstance(value, decimal.Decimal):
        if not value.is_finite():
            return None, f"{_shown(value)} is not a JSON number (RFC 8259 §6): left out"
        try:
            return loads(str(value), exact_range=True), None  # what a file with the number in it reads as
        except JsonProblem:
            return None, _TOO_LONG.format(sys.get_int_max_str_digits())
    return None, f"{_a(value)} is not a JSON value: left out{_instead(value)}"


_TOO_LONG = "an integer of more than {} digits, more than can be read (a file holding it is refused too): left out"


def _too_long(number: int) -> bool:
    """More decimal digits than Python converts to text (str() raises a ValueError; 4300 by default)."""
    limit = sys.get_int_max_str_digits()
    if limit == 0 or number.bit_length() <= 3 * limit:  # below 2**(3n) < 10**n: at most n digits
        return False
    try:
        str(number)
    except ValueError:
        return True
    return False


def _a(value: Any) -> str:
    """"a set", "an OrderedDict", "bytes" (a plural already)."""
    name = type(value).__name__
    if name == "bytes":
        return name
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _instead(value: Any) -> str:
    """What to give instead of a value JSON cannot hold, where there is a plain answer."""
    if isinstance(value, (bytes, bytearray)):
        return " (decode it to a string)"
    if isinstance(value, (set, frozenset)):
        return " (give a list)"
    iso = getattr(value, "isoformat", None)
    if callable(iso):
        return f" (write it as a string: {iso()!r})"
    return ""


def _shown(value: Any) -> str:
    """A short rendering of a key or number for a message (the repr of a huge integer would raise)."""
    if isinstance(value, int) and not isinstance(value, bool) and _too_long(int(value)):
        return f"an integer of more than {sys.get_int_max_str_digits()} digits"
    if isinstance(value, float) and value - value != 0:
        return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _encodes(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_SURROGATE_START = re.compile(r"\\u[dD]")  # what every escape of a surrogate begins with
# A \u escape of a UTF-16 surrogate, with the backslashes before it (an even run is escaped backslashes).
_SURROGATE_ESCAPE = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")


def _first_unpaired(text: str) -> int | None:
    """Where the first escape of an unpaired surrogate (e.g. ``\\ud800`` alone) starts, or None."""
    high: tuple[int, int] | None = None  # (start, end) of a high surrogate escape waiting for its low half
    for match in _SURROGATE_ESCAPE.finditer(text):
        if len(match.group(1)) % 2 == 0:
            continue  # "\\ud800" in the text: an escaped backslash, then the letters "ud800"
        start = match.end(1) - 1
        is_high = match.group(2)[1] in "89abAB"
        if high is not None:
            if not is_high and start == high[1]:
                high = None  # the pair's low half
                continue
            return high[0]
        if not is_high:
            return start
        high = (start, match.end())
    return high[0] if high is not None else None


def read_json(path: Path | str) -> Any:
    return parse_json(read_text(path), str(path))


def dumps(document: Any) -> bytes:
    """Pretty, deterministic JSON: two-space indent, keys sorted (so ``@id``, ``@type`` lead), UTF-8,
    final newline. orjson does this in C; the standard library's indenting encoder is pure Python and
    was most of a 10k-record conversion's time."""
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"


_DESCRIPTOR_PATH = re.compile(r"/dev/std(?P<std>out|err)|/dev/fd/(?P<fd>[0-9]+)|/proc/self/fd/(?P<self>[0-9]+)")


def descriptor_of(path: Path | str) -> int | None:
    """The file descriptor ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` or ``/proc/self/fd/N`` names."""
    match = _DESCRIPTOR_PATH.fullmatch(os.path.abspath(path))
    if match is None:
        return None
    std = match.group("std")
    return (1 if std == "out" else 2) if std else int(match.group("fd") or match.group("self"))


def _write_to_descriptor(descriptor: int, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write at the descriptor's own position: opening ``/dev/stdout`` anew would truncate a file the shell
    opened for appending (``>> log``), and renaming over its target would drop what the shell wrote
    around the command."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # None: closed by the shell (`>&-`)
            stream.flush()  # what this process already printed comes first
    with os.fdopen(os.dup(descriptor), "wb") as handle:
        _write_into(handle, data)


def _write_into(handle: BinaryIO, data: bytes | Callable[[BinaryIO], None]) -> None:
    if callable(data):
        data(handle)
    else:
        handle.write(data)


def write_atomic(path: Path | str, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file beside ``path`` and rename it: readers never see half a file.

    ``data`` is the bytes, or a function that writes them to the open file (a report larger than memory
    should hold is streamed). A symlink is written through (its target is replaced, the link stays); a
    FIFO, device or other non-regular file (a named pipe, ``/dev/null``) is written to as it is: renaming
    over it would replace the device node or pipe with a plain file. ``/dev/stdout``, ``/dev/stderr`` and
    ``/dev/fd/N`` are written through the descriptor the process already has.
    """
    descriptor = descriptor_of(path)
    if descriptor is not None:
        _write_to_descriptor(descriptor, data)
        return
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        mode = path.stat().st_mode
    except OSError:
        mode = stat.S_IFREG  # not there yet (or not reachable): the rename below makes it or says why
    if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        with open(path, "wb") as handle:
            _write_into(handle, data)
        return
    # One temporary name per process and target: cheaper than mkstemp's random probing, and still
    # private to this process (the pid) and never confused with a finished file (the leading dot).
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with _terminate_as_exit(), open(tmp, "wb") as handle:
            _write_into(handle, data)
        os.replace(tmp, path)
    except FileNotFoundError:
        if path.parent.exists():
            raise
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise



def write_output(path: Path, data: bytes) -> None:
    """:func:`write_atomic`, with an OS refusal (permissions, a full disk…) as one located message."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise InputError(Where(str(path)), f"cannot write: {exc.strerror or exc}") from None

@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """While a temporary file exists, SIGTERM (a CI job cancelled, `timeout`) raises SystemExit, so the file
    is removed on the way out instead of left beside the target."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
