"""Users' shape files checked when they are read: SHACL's syntax rules for the parameters our engines use,
and rule ids (unique, one severity each).

Ours are tested and cached; a user's shape with a parameter no engine can use would otherwise be a
traceback (the native engine's int("one")) or a constraint that silently never fires, whichever engine runs.
Each problem is one message naming the file, the shape and the value.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

from ctdl_tools.errors import InputError
from ctdl_tools.validate.rdf import XSD
from ctdl_tools.validate.result import Rule
from ctdl_tools.validate.shapes import CTSHAPES, RDF, RULE_ID, SH, plain_text

Triple = tuple[str, str, str]

RDF_FIRST, RDF_REST, RDF_NIL = (f"<{RDF}{n}>" for n in ("first", "rest", "nil"))
_KNOWN_PREFIXES = {"sh": SH, "xsd": XSD, "rdf": RDF, "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                   "ctshapes": CTSHAPES}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_BOOLEAN = ("true", "false", "1", "0")
_BARE = {f"{XSD}integer": _INTEGER, f"{XSD}decimal": re.compile(r"[+-]?[0-9]*\.[0-9]+"),
         f"{XSD}boolean": re.compile("true|false")}
XPATH_FLAGS = "smixq"  # XPath fn:matches flags, which is what sh:flags holds


def _sh(*names: str) -> frozenset[str]:
    return frozenset(f"<{SH}{n}>" for n in names)


INTEGER_PARAMETERS = _sh("minCount", "maxCount", "minLength", "maxLength", "qualifiedMinCount", "qualifiedMaxCount")
BOOLEAN_PARAMETERS = _sh("closed", "uniqueLang", "deactivated", "qualifiedValueShapesDisjoint")
STRING_PARAMETERS = _sh("pattern", "flags")
LITERAL_PARAMETERS = _sh("minInclusive", "maxInclusive", "minExclusive", "maxExclusive")
IRI_PARAMETERS = _sh("class", "datatype", "nodeKind", "severity", "targetClass", "targetSubjectsOf", "targetObjectsOf",
                     "equals", "disjoint", "lessThan", "lessThanOrEquals")
SHAPE_PARAMETERS = _sh("property", "node", "not", "qualifiedValueShape")
LIST_PARAMETERS = _sh("in", "languageIn", "and", "or", "xone", "ignoredProperties")
# SHACL allows one value of these per shape (SHACL-SHACL's "multiple-parameters" and "-maxCount" rules).
ONE_VALUE = (INTEGER_PARAMETERS | BOOLEAN_PARAMETERS | STRING_PARAMETERS | LITERAL_PARAMETERS
             | _sh("datatype", "nodeKind", "severity", "path", "in", "languageIn", "ignoredProperties",
                   "qualifiedValueShape"))
SEVERITIES = _sh("Violation", "Warning", "Info")
NODE_KINDS = _sh("IRI", "BlankNode", "Literal", "BlankNodeOrIRI", "BlankNodeOrLiteral", "IRIOrLiteral")
PATH_STEPS = _sh("inversePath", "zeroOrMorePath", "oneOrMorePath", "zeroOrOnePath")
# A shape with one of these reports results (under its own severity); sh:property shapes report their own.
CONSTRAINT_PARAMETERS = _sh(
    "class", "datatype", "nodeKind", "minCount", "maxCount", "minExclusive", "minInclusive", "maxExclusive",
    "maxInclusive", "minLength", "maxLength", "pattern", "languageIn", "uniqueLang", "equals", "disjoint", "lessThan",
    "lessThanOrEquals", "not", "and", "or", "xone", "node", "qualifiedValueShape", "closed", "hasValue", "in", "sparql")
PATH, PROPERTY, MESSAGE, SEVERITY = (f"<{SH}{n}>" for n in ("path", "property", "message", "severity"))


def checked_user_rules(files: dict[str, list[Triple]], rules: dict[str, Rule]) -> dict[str, Rule]:
    """The rules, with each user rule's severity that of its findings; InputError (file, shape, value) when a
    parameter of the user's shapes breaks SHACL's syntax rules, or a rule id is one of ours or would come
    with several severities."""
    graph = _UserShapes(files)
    problems = [*graph.parameter_problems(), *graph.rule_problems(rules)]
    if problems:
        where, message = problems[0]
        more = len(problems) - 1
        raise InputError(where, message + (f" ({more} more problem{'s' * (more > 1)} in your shapes)" if more else ""))
    severities = graph.finding_severities(rules)
    return {shape: replace(rule, severity=severities[shape]) if severities.get(shape, rule.severity) != rule.severity
            else rule for shape, rule in rules.items()}


def _datatype(term: str) -> str | None:
    """A literal's datatype IRI (rdf:langString when it has a language); None for an IRI or blank node."""
    if not term.startswith('"'):
        return None
    rest = term[term.rfind('"') + 1:]
    return rest[3:-1] if rest.startswith("^^<") else f"{RDF}langString" if rest.startswith("@") else f"{XSD}string"


def _compact(iri: str) -> str:
    for prefix, namespace in _KNOWN_PREFIXES.items():
        if iri.startswith(namespace):
            return f"{prefix}:{iri[len(namespace):]}"
    from ctdl_tools.vocab import vocabulary  # error messages only: not loaded on a run whose shapes are fine

    short = vocabulary().compact(iri)
    return short if short != iri else f"<{iri}>"


def _show(term: str) -> str:
    """A term as a Turtle author wrote it: prefixed names, a literal's lexical form quoted (cut short)."""
    if term.startswith("<"):
        return _compact(term[1:-1])
    if term.startswith("_:"):
        return "[ … ]"
    lexical, datatype = plain_text(term), _datatype(term)
    if datatype in _BARE and _BARE[datatype].fullmatch(lexical):  # 1, 1.5, true: as Turtle writes them
        return lexical
    text = '"' + (lexical if len(lexical) <= 60 else lexical[:60] + "…") + '"'
    if datatype == f"{RDF}langString":
        return text + term[term.rfind('"') + 1:]
    return text if datatype == f"{XSD}string" else f"{text}^^{_compact(datatype or '')}"


class _UserShapes:
    """The user's shape files' triples, indexed for the syntax checks and for naming shapes in messages."""

    def __init__(self, files: dict[str, list[Triple]]) -> None:
        self.triples: list[Triple] = []  # in the files' order, each once
        self.file_of: dict[Triple, str] = {}
        self.position: dict[Triple, int] = {}
        self.out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        self.into: dict[str, list[tuple[str, str]]] = defaultdict(list)  # object → (predicate, subject)
        for name, triples in files.items():
            for triple in triples:
                if triple in self.file_of:
                    continue
                s, p, o = triple
                self.file_of[triple], self.position[triple] = name, len(self.triples)
                self.triples.append(triple)
                self.out[s][p].append(o)
                self.into[o].append((p, s))

    def objects(self, s: str, p: str) -> list[str]:
        preds = self.out.get(s)
        return preds.get(p, []) if preds else []

    # --- parameters ---------------------------------------------------------------------------------------
    def parameter_problems(self) -> Iterator[tuple[str, str]]:
        """(file, message) for each parameter SHACL cannot use, in the files' order."""
        for s, p, o in self.triples:
            if not p.startswith(f"<{SH}"):
                continue
            problem = self._one_value_problem(s, p, o) or self._value_problem(s, p, o)
            if problem:
                yield self.file_of[(s, p, o)], f"{self.describe(s)}: {problem}"

    def _one_value_problem(self, s: str, p: str, o: str) -> str | None:
        values = self.objects(s, p)
        if p not in ONE_VALUE or len(values) < 2 or o != values[1]:  # said once, at the second value
            return None
        return f"{_show(p)} is given {len(values)} values ({', '.join(map(_show, values))}); SHACL allows one"

    def _value_problem(self, s: str, p: str, o: str) -> str | None:
        name, value, datatype = _show(p), _show(o), _datatype(o)
        if p in INTEGER_PARAMETERS and not (datatype == f"{XSD}integer" and _INTEGER.fullmatch(plain_text(o))):
            return f"{name} {value}: SHACL takes an integer here (e.g. {name} 1)"
        if p in BOOLEAN_PARAMETERS and not (datatype == f"{XSD}boolean" and plain_text(o) in _BOOLEAN):
            return f"{name} {value}: SHACL takes true or false here"
        if p in STRING_PARAMETERS:
            return self._regex_problem(s, p, o)
        if p in LITERAL_PARAMETERS and datatype is None:
            return f"{name} {value}: SHACL takes a literal here (the number or date to compare with)"
        if p in IRI_PARAMETERS:
            return self._iri_problem(p, o)
        if p in SHAPE_PARAMETERS:
            return self._shape_problem(p, o)
        if p in LIST_PARAMETERS:
            return self._list_problem(p, o)
        if p == PATH:
            return self._path_problem(o, set())
        if p == MESSAGE and datatype not in (f"{XSD}string", f"{RDF}langString"):
            return f"{name} {value}: SHACL takes a string here"
        return None

    def _regex_problem(self, s: str, p: str, o: str) -> str | None:
        name, value = _show(p), _show(o)
        if _datatype(o) != f"{XSD}string":
            return f"{name} {value}: SHACL takes a string here"
        if p == f"<{SH}flags>":
            wrong = sorted(set(plain_text(o)) - set(XPATH_FLAGS))
            return f"{name} {value}: {', '.join(wrong)} is not a flag (the flags are {', '.join(XPATH_FLAGS)})" \
                if wrong else None
        from ctdl_tools.validate.native import compile_pattern  # the engine that compiles it by default

        flags = "".join(plain_text(f) for f in self.objects(s, f"<{SH}flags>")[:1])
        try:
            compile_pattern(plain_text(o), flags)
        except re.error as exc:
            return f"{name} {value} is not a regular expression ({exc})"
        return None

    def _iri_problem(self, p: str, o: str) -> str | None:
        name, value = _show(p), _show(o)
        if not o.startswith("<"):
            example = {"class": " (a class, e.g. ceterms:Course)", "datatype": " (e.g. xsd:string)"}
            return f"{name} {value}: SHACL takes an IRI here{example.get(p[len(SH) + 1:-1], '')}"
        if p == f"<{SH}severity>" and o not in SEVERITIES:
            return f"{name} {value}: the severities are sh:Violation, sh:Warning and sh:Info"
        if p == f"<{SH}nodeKind>" and o not in NODE_KINDS:
            return f"{name} {value}: the node kinds are {', '.join(sorted(map(_show, NODE_KINDS)))}"
        return None

    def _shape_problem(self, p: str, o: str) -> str | None:
        if o.startswith('"'):
            return f"{_show(p)} {_show(o)}: SHACL takes a shape here (an IRI or [ … ]), not a literal"
        if p == PROPERTY and not self.objects(o, PATH) and o.startswith("_:"):
            return f"{_show(p)} [ … ] has no sh:path: a property shape needs one"
        return None

    def _list_problem(self, p: str, o: str) -> str | None:
        members = self.rdf_list(o)
        if members is None:
            return f"{_show(p)} {_show(o)}: SHACL takes a list here, written ( … )"
        local = p[len(SH) + 1:-1]
        for member in members:
            if local == "languageIn" and _datatype(member) != f"{XSD}string":
                return f'{_show(p)} lists {_show(member)}: SHACL takes language tags as strings, e.g. ( "en" "es" )'
            if local == "ignoredProperties" and not member.startswith("<"):
                return f"{_show(p)} lists {_show(member)}: SHACL takes property IRIs here"
            if local in ("and", "or", "xone") and member.startswith('"'):
                return f"{_show(p)} lists {_show(member)}: SHACL takes shapes here (IRIs or [ … ]), not literals"
        return None

    def rdf_list(self, head: str) -> list[str] | None:
        """The members of a well-formed RDF list (one rdf:first and one rdf:rest a node, no cycle), else None."""
        members, node, seen = [], head, set()
        while node != RDF_NIL:
            first, rest = self.objects(node, RDF_FIRST), self.objects(node, RDF_REST)
            if node in seen or len(first) != 1 or len(rest) != 1:
                return None
            seen.add(node)
            members.append(first[0])
            node = rest[0]
        return members

    def _path_problem(self, path: str, seen: set[str]) -> str | None:
        """Why ``path`` is not a SHACL property path (an IRI, or a sequence, alternative, inverse or repeated
        path of paths); None when it is one."""
        if path.startswith("<"):
            return None
        wrong = f"sh:path {_show(path)}: SHACL takes a property IRI (e.g. ceterms:keyword) or a path here"
        if path.startswith('"') or path in seen:
            return wrong + ("" if path in seen else ", not a literal")
        seen.add(path)
        steps = [p for p in self.out.get(path, {}) if p in PATH_STEPS or p == f"<{SH}alternativePath>"]
        if self.objects(path, RDF_FIRST):
            parts = self.rdf_list(path)
        elif len(steps) == 1 and len(self.objects(path, steps[0])) == 1:
            inner = self.objects(path, steps[0])[0]
            parts = self.rdf_list(inner) if steps[0] == f"<{SH}alternativePath>" else [inner]
        else:
            parts = None
        if parts is None:
            return wrong
        return next((problem for part in parts if (problem := self._path_problem(part, seen))), None)

    # --- rule ids -----------------------------------------------------------------------------------------
    def rule_problems(self, rules: dict[str, Rule]) -> Iterator[tuple[str, str]]:
        """(file, message) for each user rule id that is one of ours (findings, the rules table and --disable
        would mix the two rules), and each whose findings would come with different severities (the rules
        table shows one)."""
        from ctdl_tools.validate.rules import PYTHON_RULES

        ours = set(PYTHON_RULES) | {rule.id for rule in rules.values() if rule.origin != "user"}
        for rule_id, shapes in self._user_rules(rules).items():
            where = self.file_of[self._rule_id_triple(shapes[0])]
            if rule_id in ours:
                yield where, (f'{self.describe(shapes[0])}: ctshapes:ruleId "{rule_id}" is a rule of ctdl_tools; '
                              "rule ids must be unique (findings, the rules table and --disable go by id): give your "
                              'rules a prefix of your own, e.g. "AGENCY-…"')
                continue
            # The shapes with the id say what they declare; those that report findings, what they report.
            severities = {s: self._severity(s) for s in shapes if self.objects(s, SEVERITY)}
            severities.update((s, self._severity(s)) for shape in shapes for s in self.reporting_shapes(shape))
            if len(set(severities.values())) > 1:
                listing = "; ".join(f"{self.describe(s)}: {self._severity_text(s)}" for s in severities)
                files = sorted({self.file_of[self._rule_id_triple(s)] for s in shapes})
                yield where, (f'ctshapes:ruleId "{rule_id}"' + (f" (in {', '.join(files)})" if len(files) > 1 else "")
                              + f" is on shapes whose findings have different severities ({listing}); a rule has "
                              "one severity (the rules table shows one): give them one sh:severity, or give each "
                              f'severity its own rule id, e.g. "{rule_id}-WARNING"')

    def finding_severities(self, rules: dict[str, Rule]) -> dict[str, str]:
        """User rule shape → the severity its findings have, where its shapes report one: a node shape with a
        rule id and no sh:severity reports under its property shapes' (SHACL's severity is per shape)."""
        out = {}
        for shapes in self._user_rules(rules).values():
            reported = {self._severity(s) for shape in shapes for s in self.reporting_shapes(shape)}
            if len(reported) == 1:
                out.update(dict.fromkeys(shapes, reported.pop()))
        return out

    def reporting_shapes(self, shape: str) -> list[str]:
        """The shapes whose results carry this shape's rule id: itself and the blank-node property shapes
        in it without an id of their own, those with a constraint (what sh:node, sh:or… hold is reported as
        the shape that holds it)."""
        out, todo, seen = [], [shape], set()
        while todo:
            term = todo.pop()
            if term in seen:
                continue
            seen.add(term)
            if any(p in CONSTRAINT_PARAMETERS for p in self.out.get(term, ())):
                out.append(term)
            todo.extend(o for o in self.objects(term, PROPERTY) if o.startswith("_:") and not self.objects(o, RULE_ID))
        return out

    def _severity(self, shape: str) -> str:
        declared = self.objects(shape, SEVERITY)
        return declared[0][1:-1].rpartition("#")[2] if declared else "Violation"

    def _severity_text(self, shape: str) -> str:
        return f"sh:{self._severity(shape)}" + ("" if self.objects(shape, SEVERITY) else " (the default)")

    def _user_rules(self, rules: dict[str, Rule]) -> dict[str, list[str]]:
        """Rule id → the user's shapes with it, in the files' order (not ours, which a user file may add to)."""
        shapes_of: dict[str, list[str]] = defaultdict(list)
        for shape, rule in rules.items():
            if rule.origin == "user" and shape in self.out:
                shapes_of[rule.id].append(shape)
        for shapes in shapes_of.values():
            shapes.sort(key=lambda shape: self.position[self._rule_id_triple(shape)])
        return dict(sorted(shapes_of.items(), key=lambda item: self.position[self._rule_id_triple(item[1][0])]))

    def _rule_id_triple(self, shape: str) -> Triple:
        """The triple that gives the shape its rule id (its one sh:sparql constraint's, when lifted from it)."""
        for holder in (shape, *self.objects(shape, f"<{SH}sparql>")):
            ids = self.objects(holder, RULE_ID)
            if ids:
                return holder, RULE_ID, ids[0]
        return next(t for t in self.triples if t[0] == shape)

    # --- naming shapes ------------------------------------------------------------------------------------
    def describe(self, shape: str, seen: frozenset[str] = frozenset()) -> str:
        """The shape's IRI; for a blank node, what it is and where: "the property shape on ceterms:keyword in
        <https://agency.example.gov/shapes/C>"."""
        if not shape.startswith("_:"):
            return shape
        path = next(iter(self.objects(shape, PATH)), None)
        what = f"the property shape on {self._path_text(path)}" if path else "a shape"
        owner = self._owner(shape)
        if owner is not None and owner not in seen:
            return f"{what} in {self.describe(owner, seen | {shape})}"
        target = next(iter(self.objects(shape, f"<{SH}targetClass>")), None)
        return f"{what} with sh:targetClass {_show(target)}" if target else f"{what} (a blank node)"

    def _path_text(self, path: str) -> str:
        if path.startswith("_:"):
            inverse = self.objects(path, f"<{SH}inversePath>")
            return f"^{_show(inverse[0])}" if inverse and inverse[0].startswith("<") else "a complex path"
        return _show(path)

    def _owner(self, shape: str) -> str | None:
        """The shape that holds this one (sh:property, sh:node…, or a member of its sh:or… list)."""
        for p, s in self.into.get(shape, ()):
            if p in SHAPE_PARAMETERS:
                return s
            if p == RDF_FIRST:
                head, seen = s, {s}
                while (previous := next((s2 for p2, s2 in self.into.get(head, ()) if p2 == RDF_REST), None)) \
                        and previous not in seen:
                    head = previous
                    seen.add(head)
                return next((s2 for p2, s2 in self.into.get(head, ()) if p2 in LIST_PARAMETERS), None)
        return None
