"""``ctdl ler link``: give issued LERs typed Credential Registry alignments, never breaking a signature.

Per credential (ler.md §6.6):

1. Verify every proof offline (outer and embedded). A proof that fails is a refusal: re-signing would launder
   whatever made it fail. One that cannot be checked here (key not offline, suite not implemented) is never
   re-signed nor passed on either, but ``--unsigned-copy`` may make a display copy of it.
2. Match each achievement to a registry record (:mod:`.match`) and plan the alignments: a typed OB 3.0
   ``Alignment`` (ler.md §5.5) or an OB 2.0 AlignmentObject on the BadgeClass. An alignment that already
   names the CTID is kept, or brought up to date (a Credential Finder URL becomes the registry URI, a
   missing ``type``/``targetType`` is added); none is ever added twice, so a second run changes nothing.
3. Unsigned input: write the edit. Signed input: only with the issuer's key (``--issuer-key``): the key
   must be the one the existing proof verifies with, and its verification method must belong to
   ``issuer``. Then ``validFrom`` (VC 2.0) or ``issuanceDate`` (VC 1.1) moves forward (OB 3.0's
   replacement rule), ``awardedDate`` keeps the award date, every old proof is replaced by a new one of the
   same suite and verification method, and the result must verify before it is written. CLR: a nested
   credential is re-signed only with its own issuer's key; otherwise its links go into the CLR's own
   ``achievement[]`` and only the CLR is re-signed.
4. No key: refused, or with ``--unsigned-copy`` a display copy without proof, named ``*.unsigned-copy.*``
   and carrying an ``Evidence`` note that says so (a defined term, so the note survives JSON-LD expansion).

Every output must survive JSON-LD expansion with all its terms (undefined terms are silently dropped, and
so unsigned): otherwise the credential is refused with the JSON paths of the offending members. What
`ctdl ler check` with the same index would fail or warn about in an output (an issuer's link to a record
outside the index, kept as the issuer wrote it) is reported as a warning with its JSON path. An OB 2.0
assertion with a BadgeClass URL, or hosted, is left alone: its issuer's hosted BadgeClass is the one to link.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from ctdl_tools.errors import InputError, Where
from ctdl_tools.ler import canon
from ctdl_tools.ler.canon import ContextNotBundled, is_context_not_bundled
from ctdl_tools.ler.formats import (
    DISPLAY_COPY,
    JWT_CLAIMS,
    OB2_ASSERTION,
    OTHER_VC,
    VC_V2,
    Credential,
    LerFile,
    Skipped,
    Style,
    as_list,
    read_each,
    render_file,
    rewrite_text,
    serialise,
    types_of,
)
from ctdl_tools.ler.index import Entry, Index, IndexUnavailable
from ctdl_tools.ler.jws import ALGORITHMS, signature_valid
from ctdl_tools.ler.jws import _sign as _jws_sign  # the primitive; sign_jws cannot keep a `jwk` header
from ctdl_tools.ler.keys import IssuerKey, key_owner, resolve_verification_method, verification_method_belongs_to
from ctdl_tools.ler.match import (
    MAP_REFUSED,
    MATCHED,
    Mapping,
    Match,
    Subject,
    alignment_conflict,
    alignment_ctid,
    ce_url,
    ce_url_ctid,
    is_registry_link,
    json_type,
    match_subject,
    misleading,
    not_objects,
    subjects,
    web_url,
)
from ctdl_tools.ler.multibase import b64url_encode
from ctdl_tools.ler.outputs import check_target, write_output
from ctdl_tools.ler.proofs import (
    ECDSA_SD_2023,
    SIGNING_SUITES,
    UNDECIDED,
    UNSUPPORTED,
    VerifyResult,
    has_proof,
    reissue_options,
    sign,
    verify,
)
from ctdl_tools.vocab import vocabulary

CE_FRAMEWORK = "Credential Transparency Description Language"
LINKED, ALREADY, UNMATCHED, REFUSED, UNSIGNED_COPY = "linked", "already linked", "unmatched", "refused", "unsigned copy"
STATUSES = (LINKED, ALREADY, UNMATCHED, UNSIGNED_COPY, REFUSED)
COPY_SUFFIX = ".unsigned-copy"
_DROP_WARNING = "not covered by the signature (dropped by JSON-LD expansion)"

JsonPath = tuple[str | int, ...]


class Refusal(Exception):
    """This credential is not written (exit 1); the message says why and what would fix it."""


class NoKey(Refusal):
    """Refused for want of the issuer's key: ``--unsigned-copy`` may still make a display copy."""


@dataclass
class LinkOptions:
    index: Index
    outdir: Path
    mapping: Mapping | None = None
    keys: tuple[IssuerKey, ...] = ()
    unsigned_copy: bool = False
    issued_at: datetime | None = None  # default: now (UTC, whole seconds)


@dataclass
class LinkReport:
    path: str
    subject: str
    ctid: str
    name: str
    type: str
    source: str  # how the match was found
    action: str  # "added" | "updated" | "present" | "added to the CLR achievement …"


@dataclass
class Unmatched:
    path: str
    subject: str
    status: str
    message: str
    candidates: list[str] = field(default_factory=list)


@dataclass
class Result:
    input: str
    format: str
    status: str = UNMATCHED
    output: str | None = None
    links: list[LinkReport] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    proofs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reason: str = ""
    warnings: list[str] = field(default_factory=list)  # what `ctdl ler check` with the same index would say

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Summary:
    results: list[Result] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    unreadable: list[InputError] = field(default_factory=list)  # reported one by one; the others still linked

    def counts(self) -> dict[str, int]:
        return {status: sum(r.status == status for r in self.results) for status in STATUSES}

    @property
    def unmatched_achievements(self) -> int:
        """Achievements left without a link, in every credential: a "linked" credential may hold some (e.g.
        a --map row naming a CTID the index lacks), which the per-credential counts do not show."""
        return sum(len(r.unmatched) for r in self.results)

    @property
    def refused_map_rows(self) -> int:
        """--map rows that could not be carried out (a CTID not in the index, a record of the wrong class): each
        once, however many achievements it names."""
        return len({u.message for r in self.results for u in r.unmatched if u.status == MAP_REFUSED})

    @property
    def exit_code(self) -> int:
        if self.unreadable and not self.results:
            return 2  # nothing could be read at all
        failed = self.unreadable or self.refused_map_rows or any(r.status == REFUSED for r in self.results)
        return 1 if failed else 0

    def to_json(self) -> dict[str, Any]:
        counts = {**self.counts(), "unmatched achievements": self.unmatched_achievements,
                  "refused map rows": self.refused_map_rows}
        return {"results": [r.to_json() for r in self.results], "counts": counts,
                "skipped": [{"input": str(s.path), "reason": s.reason} for s in self.skipped],
                "unreadable": [{"input": str(e.where), "error": e.message} for e in self.unreadable]}


# ============================================================================================ run


def link(inputs: list[Path], options: LinkOptions) -> Summary:
    """Link every credential under ``inputs``; write the results to ``options.outdir``. A file (or JSON Lines
    line) that cannot be read is reported in ``Summary.unreadable`` and the others are linked; an output that
    cannot be written, or a registry that cannot be asked, raises :class:`InputError` before any write."""
    found = read_each(inputs)
    files = found.files
    _check_outputs(files, [*found.skipped, *_unread(found.unreadable)], options.outdir)
    summary, writes = Summary(skipped=found.skipped, unreadable=found.unreadable), []
    try:
        for file in files:
            writes += _link_file(file, options, summary)
    except IndexUnavailable as exc:  # before any write: a registry that cannot answer is unreadable input
        raise InputError(Where(options.index.description), f"the registry could not be asked: {exc}") from None
    for path, data in writes:
        write_output(path, data)
    return summary


def _unread(errors: list[InputError]) -> list[Skipped]:
    """Unreadable files as paths no output may overwrite."""
    return [Skipped(Path(e.where.file), e.message) for e in errors if isinstance(e.where, Where)]


def _check_outputs(files: list[LerFile], skipped: list[Skipped], outdir: Path) -> None:
    seen: dict[str, Path] = {}
    target = outdir.resolve()
    read = [file.path for file in files] + [item.path for item in skipped]  # key files too
    for file in files:
        if file.path.resolve().parent == target:
            raise InputError(Where(str(file.path)), f"is in the output folder {outdir}; write elsewhere "
                                                    "(inputs are never overwritten)")
        if file.name in seen:
            raise InputError(Where(str(file.path)), f"has the same name as {seen[file.name]}; the output folder "
                                                    "holds one file per input name")
        seen[file.name] = file.path
        for output in (outdir / file.name, outdir / _copy_name(file)):
            check_target(output, read)


def _link_file(file: LerFile, options: LinkOptions, summary: Summary) -> list[tuple[Path, bytes]]:
    texts: list[str | None] = []
    copies: list[str | None] = []
    results: list[Result] = []
    output = options.outdir / file.name
    copy_path = options.outdir / _copy_name(file)
    for item in file.items:
        result, text, copy_text = link_credential(item, options, compact=file.container == "jsonl")
        result.output = str(output) if text is not None else str(copy_path) if copy_text is not None else None
        results.append(result)
        texts.append(text)
        copies.append(copy_text)
    summary.results += results
    if file.container == "jsonl" and any(t is not None for t in texts):
        texts = _keep_refused_lines(file, texts, results)
    writes = []
    if all(t == _as_found(item) for t, item in zip(texts, file.items, strict=True)):
        writes.append((output, file.raw))  # nothing changed: the very same bytes
    else:
        data = render_file(file, texts)
        if data is not None:
            writes.append((output, data))
    if any(c is not None for c in copies):
        data = render_file(file, copies, keep_unreadable=False)  # the copies file holds copies only
        if data is not None:
            writes.append((copy_path, data))
    return writes


def _keep_refused_lines(file: LerFile, texts: list[str | None], results: list[Result]) -> list[str | None]:
    """A refused line of JSON Lines stays in its place as it was (like a refused file, it is left alone), so
    the output keeps every line and its order; nothing in it is edited or re-signed."""
    kept: list[str | None] = []
    for text, item, result in zip(texts, file.items, results, strict=True):
        if text is None:
            result.notes.append("left unchanged in its line of the output (line count and order are kept)")
        kept.append(text if text is not None else _as_found(item))
    return kept


def _copy_name(file: LerFile) -> str:
    suffix = ".json" if file.container == "jws" else file.path.suffix
    return file.path.name[: len(file.path.name) - len(file.path.suffix)] + COPY_SUFFIX + suffix


# ===================================================================================== one credential


def link_credential(cred: Credential, options: LinkOptions, *, compact: bool = False
                    ) -> tuple[Result, str | None, str | None]:
    """(result, text to write in place of the credential or None, unsigned-copy text or None)."""
    result = Result(cred.label, cred.format)
    try:
        return _link(cred, options, result, compact)
    except Refusal as exc:
        result.status, result.reason = REFUSED, str(exc)
        result.proofs.clear()  # nothing is written: no date moved, nothing re-signed
        result.warnings.clear()  # they were about what would have been written
        return result, None, None


def _link(cred: Credential, options: LinkOptions, result: Result, compact: bool
          ) -> tuple[Result, str | None, str | None]:
    if cred.kind == OTHER_VC:
        raise Refusal(f"a {'/'.join(types_of(cred.document))} is not an Open Badge or CLR: nothing to link")
    verified = _verify_input(cred, options.keys)
    status, reason = verified.verdict()
    if status == "unverified":  # re-signing still needs the supplied key that made the proof (_key_for)
        result.notes.append(f"not verified as the issuer's: {reason.replace('--key', '--issuer-key')}")
    jwt_payload = cred.carrier == "jws" and not cred.doc_path
    plan = _Plan(cred, options, result)
    plan.run()
    problems = [] if plan.hands_off else _output_problems(plan.document, cred.kind)
    if problems:
        raise Refusal("; ".join(problems))
    result.warnings = _check_warnings(cred.label, plan.document, options.index)
    undecided = status in UNDECIDED  # a proof not checkable here: never passed on, nor re-signed
    if not plan.changed:
        if undecided:
            raise Refusal(f"{_undecided_reason(verified)}; nothing to link in it either")
        # verify() expanded a Data Integrity document already: only its warnings need reading.
        _check_terms(cred.document, verified if cred.carrier == "json" else None, is_jwt_payload=jwt_payload)
        result.status = ALREADY if result.links else UNMATCHED
        return result, _as_found(cred), None
    result.status = LINKED
    when = _now(options)
    document = _resign_nested(plan, when, result)
    try:
        if undecided:  # only a display copy (--unsigned-copy), clearly marked, may show its links
            raise NoKey(_undecided_reason(verified))
        if not _is_signed(cred):
            _check_terms(document, None, is_jwt_payload=jwt_payload)
            if plan.resigned_nested:
                _check_output(document, options.keys)
            return result, _text(cred, document), None
        return result, _resign(cred, document, options, when, result), None
    except NoKey as exc:
        if not options.unsigned_copy:
            raise
        result.status = UNSIGNED_COPY
        result.notes.append(f"not re-signed: {exc}")
        return result, None, _unsigned_copy(cred, document, compact, result, options.keys)


def _as_found(cred: Credential) -> str:
    return cred.token if cred.carrier == "jws" else cred.text  # type: ignore[return-value]


def _is_signed(cred: Credential) -> bool:
    # "proof": [] signs nothing: verify() calls it unsigned, and so does link
    return cred.carrier == "jws" or has_proof(cred.document)


def _text(cred: Credential, document: dict[str, Any]) -> str:
    return rewrite_text(cred.text, cred.data, _with_document(cred, document))


def _with_document(cred: Credential, document: dict[str, Any]) -> dict[str, Any]:
    if not cred.doc_path:
        return document
    data = dict(cred.data)
    data[cred.doc_path[0]] = document
    return data


# ============================================================================================ verify


def _verify_input(cred: Credential, keys: tuple[IssuerKey, ...]) -> VerifyResult:
    public = [k.public_only() for k in keys]
    if cred.kind == OB2_ASSERTION and cred.carrier == "jws":
        public += _creator_keys(cred, public)
    result = verify(cred.token if cred.carrier == "jws" else cred.document, keys=public)
    if result.status == "failed":
        where = next((p.path for p in result.proofs if p.failed), "$")
        raise Refusal(f"its proof does not verify ({where}: {result.reason}); a credential whose proof fails is "
                      "never rewritten or re-signed")
    failed = [n for n in result.nested if n.failed]
    if failed:
        raise Refusal(f"the embedded credential proof at {failed[0].path} does not verify ({failed[0].reason}); "
                      "refusing to re-issue a credential that carries it")
    return result


def _creator_keys(cred: Credential, keys: list[IssuerKey]) -> list[IssuerKey]:
    """An OB 2.0 signed assertion names its key by URL (``verification.creator``); a key file need not carry
    that URL, so each supplied key of the right kind is also offered under it (the signature decides)."""
    creator = (cred.document.get("verification") or {}).get("creator")
    wanted = ALGORITHMS.get(cred.jws.alg) if cred.jws else None
    # the owner the key file names is kept: verify checks it against the issuer
    return [k.with_id(creator, key_owner(k)) for k in keys if isinstance(creator, str) and k.kind == wanted]


def _undecided_reason(verified: VerifyResult) -> str:
    """Why a proof that could not be checked stops link (without naming options link does not have)."""
    proof = next(p for p in (*verified.proofs, *verified.nested) if p.undecided)
    if proof.undecided == UNSUPPORTED:
        return (f"its proof at {proof.path} ({proof.reason}) cannot be verified here, and link re-signs only what "
                "it has verified; --unsigned-copy writes a display-only copy")
    if is_context_not_bundled(proof.reason):
        return (f"its proof at {proof.path} cannot be verified offline ({proof.reason}: JSON-LD contexts are "
                "never fetched), and link re-signs only what it has verified; --unsigned-copy writes a "
                "display-only copy")
    return (f"its proof at {proof.path} cannot be verified offline ({proof.reason.split(' (')[0]}), and link "
            "re-signs only what it has verified: pass the issuer's private key with --issuer-key, or "
            "--unsigned-copy for a display-only copy (to check a public key alone: ctdl ler verify --key FILE)")


def _check_warnings(label: str, document: dict[str, Any], index: Index) -> list[str]:
    """What `ctdl ler check` against the same index says about the registry links of what is written: link
    never writes a link whose form check fails, but an issuer's alignment naming a record outside the index
    (or a Finder page) is theirs, and is kept; it is reported here, with its JSON path."""
    from ctdl_tools.ler.check import Resolver, check_link, registry_links

    resolver, found = Resolver(index), []
    for link_found in registry_links(document):
        checked = check_link(label, link_found, resolver)
        found += [f"{link_found.path}: {message} (`ctdl ler check` with this index fails it)"
                  for message in checked.problems]
        found += [f"{link_found.path}: {message} (a `ctdl ler check` warning)" for message in checked.warnings]
    return found


def _check_terms(document: dict[str, Any], verified: VerifyResult | None, *, is_jwt_payload: bool) -> None:
    """Refuse when JSON-LD expansion would drop a member (undefined term, relative IRI)."""
    if verified is not None and verified.ok \
            and not any(w.startswith(_DROP_WARNING) for w in verified.warnings):
        return  # verify() already expanded it and nothing was dropped
    check = {k: v for k, v in document.items() if k != "proof" and not (is_jwt_payload and k in JWT_CLAIMS)}
    found = _dropped(check)
    if found:
        raise Refusal("these members would not survive JSON-LD expansion under the bundled contexts (an "
                      "undefined term is silently dropped, so it is neither understood nor signed): "
                      + _dropped_text(check, found))


def dropped_paths(document: dict[str, Any]) -> list[str]:
    """JSON paths of the members that JSON-LD expansion drops; raises :class:`Refusal` when the document
    cannot be expanded at all (a context that is not bundled)."""
    return [_jsonpath(found) if isinstance(found, tuple) else found for found in _dropped(document)]


_PROBE = "urn:x-ctdl-probe:"
_NOT_PROBED = ("id", "@id", "type", "@type")  # changing these changes the node's context: named as found
_PROBE_ROUNDS = 8


def _expand(document: dict[str, Any]) -> canon.Expanded:
    try:
        return canon.expand_to_quads(document)
    except ContextNotBundled as exc:
        raise Refusal(f"it uses the JSON-LD context {exc.url}, which is not bundled (contexts are never "
                      "fetched): its terms cannot be checked, nor a proof made over them") from None
    except ValueError as exc:
        raise Refusal(f"JSON-LD expansion fails: {exc}") from None


def _dropped(document: dict[str, Any]) -> list[JsonPath | str]:
    """The members expansion drops, as paths. Expansion reports only the *names* of the dropped terms, and a
    name dropped in one place (an untyped alignment's ``targetUrl``) may be defined in another (a typed
    Alignment's): each member so named is probed, its value swapped for a marker, and is dropped only if
    the marker is missing from the expanded RDF."""
    expanded = _expand(document)
    undefined, relative = set(expanded.undefined_terms), set(expanded.relative_iris)
    if not undefined and not relative:
        return []
    fixed: list[JsonPath | str] = []
    probe: list[JsonPath] = []
    _candidates(document, (), undefined, relative, fixed, probe)
    fixed += _probe_drops(document, probe, undefined, relative)
    return fixed or [f"(terms {', '.join(sorted(undefined | relative))})"]


def _candidates(node: Any, path: JsonPath, undefined: set[str], relative: set[str],
                fixed: list[JsonPath | str], probe: list[JsonPath]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, key)
            if _relative_value(key, value, relative) or (key in undefined and key in _NOT_PROBED):
                fixed.append(here)
            elif key in undefined:
                probe.append(here)
            elif key != "@context":
                _candidates(value, here, undefined, relative, fixed, probe)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            _candidates(value, (*path, index), undefined, relative, fixed, probe)


def _probe_drops(document: dict[str, Any], pending: list[JsonPath], undefined: set[str],
                 relative: set[str]) -> list[JsonPath | str]:
    dropped: list[JsonPath | str] = []
    for _ in range(_PROBE_ROUNDS):
        if not pending:
            break
        kept = _probe(document, pending)
        if kept is None:  # the probe cannot be expanded: name every candidate, as before probing
            break
        following: list[JsonPath] = []
        for path, survives in zip(pending, kept, strict=True):
            if survives:  # defined here: look inside it
                _candidates(_get(document, path), path, undefined, relative, dropped, following)
            else:
                dropped.append(path)
        pending = following
    return dropped + list(pending)


def _probe(document: dict[str, Any], paths: list[JsonPath]) -> list[bool] | None:
    """For each path, does its member reach the RDF? (None: the probed document cannot be expanded.)"""
    trial = _clone(document)
    for number, path in enumerate(paths):
        _get(trial, path[:-1])[path[-1]] = f"{_PROBE}{number}."
    try:
        quads = canon.expand_to_quads(trial).quads
    except ValueError:
        return None
    seen = "\n".join(term[1] for quad in quads for term in quad if term is not None)
    return [f"{_PROBE}{number}." in seen for number in range(len(paths))]


def _dropped_text(document: dict[str, Any], found: list[JsonPath | str]) -> str:
    """The dropped paths, and how to fix the usual cause: an object without a ``type`` has none of its
    type's terms (OB 3.0 defines targetName, targetUrl… only inside an ``Alignment``)."""
    text = ", ".join(_jsonpath(f) if isinstance(f, tuple) else f for f in found)
    untyped: dict[JsonPath, None] = {}
    for path in found:
        if isinstance(path, tuple) and len(path) > 1:
            parent = _get(document, path[:-1])
            if isinstance(parent, dict) and "type" not in parent and "@type" not in parent:
                untyped[path[:-1]] = None
    hints = []
    for path in untyped:
        in_alignment = "alignment" in path[-2:]
        kind = '"type": ["Alignment"]' if in_alignment else 'its "type"'
        hints.append(f"{_jsonpath(path)} has no \"type\": add {kind} so its members are defined")
    return text + (" (" + "; ".join(hints) + ")" if hints else "")


def _relative_value(key: str, value: Any, relative: set[str]) -> bool:
    return key in ("id", "@id", "type", "@type") and any(isinstance(v, str) and v in relative for v in as_list(value))


# ============================================================================================== plan


class _Plan:
    """Matches, then the edited copy of the credential (links added, CLR routing decided)."""

    def __init__(self, cred: Credential, options: LinkOptions, result: Result) -> None:
        self.cred, self.options, self.result = cred, options, result
        self.document = _clone(cred.document)
        # per nested credential (by its path in the CLR):
        self.nested_keys: dict[JsonPath, list[IssuerKey] | None] = {}
        self.nested_why: dict[JsonPath, str] = {}  # why a nested credential is not edited in place
        self.edited_nested: set[JsonPath] = set()
        self.resigned_nested: list[JsonPath] = []
        self.moved: dict[JsonPath, JsonPath] = {}  # a single CLR achievement object turned into a list
        self.hands_off = False  # an OB 2.0 assertion whose BadgeClass only its issuer can change

    @property
    def changed(self) -> bool:
        return self.document != self.cred.document

    def run(self) -> None:
        hosted = _issuer_hosted(self.cred)
        if hosted:  # ler.md §3, §6.6 item 6: the issuer's copy is the source of truth, not this one
            self.result.notes.append(f"{hosted}; the BadgeClass, where OB 2.0 alignments live, is the issuer's: link "
                                     "that BadgeClass at the issuer (ler.md §3), the assertion is left as it is")
            self.hands_off = True
            return
        found = subjects(self.cred.document, self.cred.kind)
        problems = _alignment_problems(found, self.options.index)
        if problems:
            raise Refusal("; ".join(problems))
        for path, value, why in not_objects(self.cred.document, self.cred.kind):
            label = value if isinstance(value, str) else json_type(value)
            self.result.unmatched.append(Unmatched(_jsonpath(path), label[:80], "invalid", why))
        for match in (match_subject(s, self.options.index, self.options.mapping) for s in found):
            self.result.notes += [f"{_jsonpath(match.subject.path)}: {note}" for note in match.notes]
            if match.status != MATCHED or not match.links:
                self._unmatched(match)
                continue
            pending = []
            for link in match.links:
                placed = self._placed(match.subject, link.entry)
                if placed is None:
                    pending.append(link)
                else:  # already there, up to date: nothing to edit, so no key and no routing needed
                    self._report(placed[0], link.entry, match, placed[1])
            if pending:
                home, action = self._home(match.subject)
                for link in pending:
                    self._ensure(home, link.entry, match, action)

    def _unmatched(self, match: Match) -> None:
        self.result.unmatched.append(Unmatched(_jsonpath(match.subject.path), match.subject.label, match.status,
                                               match.message, [f"{e.ctid} {e.name}" for e in match.candidates]))

    # ------------------------------------------------------------------------ where links are
    def _resolve(self, path: JsonPath) -> JsonPath:
        for old, new in self.moved.items():
            if path[:len(old)] == old:
                return (*new, *path[len(old):])
        return path

    def _placed(self, subject: Subject, entry: Entry) -> tuple[JsonPath, str] | None:
        """Where an up-to-date alignment for ``entry`` already is, for this subject: on the subject itself,
        or (a nested credential's achievement) on the CLR's own copy of it. None: something must be edited."""
        path = self._resolve(subject.path)
        here = _get(self.document, path) if subject.editable else subject.node  # a nested JWT is never edited
        if _up_to_date(here, entry, subject.ob2):
            return path, "present"
        if subject.nested is None or subject.achievement is None:
            return None
        found = self._clr_entry(subject, create=False)
        if found is not None and _up_to_date(_get(self.document, found[0]), entry, subject.ob2):
            return found[0], f"present in the CLR's achievement[{found[1]}]"
        return None

    def _home(self, subject: Subject) -> tuple[JsonPath, str]:
        if subject.nested is None or self._nested_editable(subject):
            if subject.nested is not None:
                self.edited_nested.add(_nested_path(subject))
            return self._resolve(subject.path), ""
        return self._clr_achievement(subject)

    def _nested_editable(self, subject: Subject) -> bool:
        """A nested credential is edited in place only if it is JSON and unsigned, or signed by a key we hold."""
        assert subject.nested is not None
        where = _nested_path(subject)
        if not subject.editable:
            self.nested_why[where] = "the nested credential is a JWT, signed byte for byte"
            return False
        nested = _get(self.cred.document, where)
        if not has_proof(nested):
            return True
        if where not in self.nested_keys:
            try:
                self.nested_keys[where] = _proof_keys(nested, self.options.keys)
            except Refusal as exc:
                self.nested_keys[where] = None
                self.nested_why[where] = _nested_reason(exc, bool(self.options.keys))
        return self.nested_keys[where] is not None

    def _clr_entry(self, subject: Subject, *, create: bool) -> tuple[JsonPath, int] | None:
        """(path, position) of the CLR's own ``achievement[]`` entry for a nested subject's achievement; with
        ``create``, added (a copy of the nested one) when there is none."""
        achievement = _achievement_of(subject)
        clr_path = self._resolve(subject.path[:subject.path.index("verifiableCredential")])  # the ClrSubject
        clr_subject = _get(self.document, clr_path)
        entries = clr_subject.get("achievement")
        if isinstance(entries, dict):
            if same_achievement(entries, achievement):
                return (*clr_path, "achievement"), 0
            if not create:
                return None
            entries = clr_subject["achievement"] = [entries]
            self.moved[(*clr_path, "achievement")] = (*clr_path, "achievement", 0)
        elif not isinstance(entries, list):
            if not create:
                return None
            entries = clr_subject["achievement"] = []
        position = next((i for i, a in enumerate(entries) if same_achievement(a, achievement)), None)
        if position is None:
            if not create:
                return None
            entries.append(copy.deepcopy(achievement))
            position = len(entries) - 1
        return (*clr_path, "achievement", position), position  # already a path in the edited document

    def _clr_achievement(self, subject: Subject) -> tuple[JsonPath, str]:
        """The CLR's own ``achievement[]`` entry for a nested credential's achievement (added if absent)."""
        found = self._clr_entry(subject, create=True)
        assert found is not None
        why = self.nested_why.get(_nested_path(subject), "")
        return found[0], f"in the CLR's achievement[{found[1]}] ({why})"

    # ------------------------------------------------------------------------ alignments
    def _ensure(self, home: JsonPath, entry: Entry, match: Match, routed: str) -> None:
        node = _get(self.document, home)
        ob2 = match.subject.ob2
        alignments = node.get("alignment")
        existing = [a for a in as_list(alignments)]
        action = ""
        for position, alignment in enumerate(existing):
            if alignment_ctid(alignment) == entry.ctid:
                updated = modernise(alignment, entry, ob2)
                if updated != alignment:
                    existing[position] = updated
                    action = "updated"
                action = action or "present"
        if not action:
            existing.append(ob2_alignment(entry) if ob2 else ob3_alignment(entry))
            action = "added"
        if action != "present":  # keep a single-object alignment an object if it stays single
            single = isinstance(alignments, dict) and len(existing) == 1
            node["alignment"] = existing[0] if single else existing
        self._report(home, entry, match, f"{action} {routed}".strip())

    def _report(self, home: JsonPath, entry: Entry, match: Match, action: str) -> None:
        """One line per alignment: a CLR achievement reached both from a nested credential and as itself
        is reported once (the first, which says how the link got there)."""
        path = _jsonpath(home) + ".alignment"
        if any(r.path == path and r.ctid == entry.ctid for r in self.result.links):
            return
        source = next(link.source for link in match.links if link.entry is entry)
        self.result.links.append(LinkReport(path, match.subject.label, entry.ctid, entry.name, entry.type, source,
                                            action))


def _issuer_hosted(cred: Credential) -> str:
    """Why an OB 2.0 assertion's BadgeClass is not this copy's to link ("" when it is): a badge given by URL,
    or any badge of a hosted assertion, whose hosted copy is the one verifiers load (ler.md §3)."""
    if cred.kind != OB2_ASSERTION:
        return ""
    if isinstance(cred.document.get("badge"), str):
        return "$.badge is a URL"
    verification = cred.document.get("verification")
    if isinstance(verification, dict) and verification.get("type") in ("hosted", "HostedBadge"):
        return ("$.badge is embedded in a hosted assertion ($.verification.type hosted): the issuer's hosted copy "
                "is the source of truth")
    return ""


def _up_to_date(node: Any, entry: Entry, ob2: bool) -> bool:
    """Does ``node`` carry an alignment for ``entry`` that `link` would leave as it is?"""
    if not isinstance(node, dict):
        return False
    return any(alignment_ctid(a) == entry.ctid and modernise(a, entry, ob2) == a
               for a in as_list(node.get("alignment")))


def same_achievement(candidate: Any, achievement: dict[str, Any]) -> bool:
    """The CLR's copy of a nested achievement: the same ``id``; without an id, the same achievement but for
    its alignments (so a second run finds the copy the first one made instead of adding another)."""
    if not isinstance(candidate, dict):
        return False
    ident = achievement.get("id")
    if ident:
        return candidate.get("id") == ident
    return ({k: v for k, v in candidate.items() if k != "alignment"}
            == {k: v for k, v in achievement.items() if k != "alignment"})


def _nested_path(subject: Subject) -> JsonPath:
    """The path of the nested credential ``subject`` is in (``…verifiableCredential[n]``)."""
    position = subject.path.index("verifiableCredential")
    indexed = len(subject.path) > position + 1 and isinstance(subject.path[position + 1], int)
    return subject.path[:position + (2 if indexed else 1)]


def _alignment_problems(found: list[Subject], index: Index) -> list[str]:
    """Alignments that make the credential unfit to link (a malformed credential is refused, its paths named):
    a ``targetUrl``/``targetCode`` that is not a string; a registry link whose ``targetCode`` and
    ``targetUrl`` name two different records, or that names none (`check` fails both, and which record the
    issuer meant is theirs to say)."""
    problems: list[str] = []
    for where, alignment in _alignments(found):
        for member in ("targetUrl", "targetCode"):
            value = alignment.get(member)
            if member in alignment and not isinstance(value, str):
                what = "a URL" if member == "targetUrl" else "a code"
                problems.append(f"{where}.{member} is a {json_type(value)} ({_short(value)}), not {what}: an "
                                f"alignment's {member} must be a string; correct or remove it")
        if not is_registry_link(alignment):
            continue
        conflict = alignment_conflict(alignment)
        if conflict:
            code, url = (f"{c}{_named(index, c)}" for c in conflict)
            problems.append(f"{where}: its targetCode {code} and the CTID in its targetUrl, {url}, name "
                            "different registry records (`ctdl ler check` fails such a link); correct or remove "
                            "that alignment: nothing is linked or re-signed while it names two records")
        elif alignment_ctid(alignment) is None and all(isinstance(alignment.get(m), str | None)
                                                       for m in ("targetUrl", "targetCode")):
            finder = " (a Credential Finder URL with a Finder-internal number names none)" \
                if ce_url(alignment.get("targetUrl")) else ""
            problems.append(f"{where}: a Credential Registry link that names no CTID in targetCode or targetUrl"
                            f"{finder}, so `ctdl ler check` fails it; add its CTID as targetCode, or remove it")
    return problems


def _output_problems(document: dict[str, Any], kind: str) -> list[str]:
    """Registry links `check` would fail in what is about to be written, and `link` could not repair: a
    targetUrl that misleads whoever follows it, on a link whose CTID is not one `link` matched."""
    problems = []
    for where, alignment in _alignments(subjects(document, kind)):
        url = alignment.get("targetUrl")
        why = misleading(url) if is_registry_link(alignment) and alignment_ctid(alignment) else None
        if why:
            problems.append(f"{where}.targetUrl {url!r} {why} (`ctdl ler check` fails such a link); correct or "
                            "remove it")
    return problems


def _alignments(found: list[Subject]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(JSON path, alignment) for every alignment object of ``found``, each once."""
    seen: set[str] = set()
    for subject in found:
        alignments = subject.node.get("alignment")
        for position, alignment in enumerate(as_list(alignments)):
            where = _jsonpath(subject.path) + (f".alignment[{position}]" if isinstance(alignments, list)
                                               else ".alignment")
            if isinstance(alignment, dict) and where not in seen:
                seen.add(where)
                yield where, alignment


def _named(index: Index, ctid: str) -> str:
    entry = index.get(ctid)
    return f" ({entry.name!r})" if entry is not None and entry.name else ""


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _nested_reason(exc: Refusal, keys_given: bool) -> str:
    """Why a signed nested credential stays as it is, in a few words (the routing note, not a refusal)."""
    if isinstance(exc, NoKey):
        why = "none of the --issuer-key keys made the nested credential's proof"
        return f"{why}: no --issuer-key was given" if not keys_given else why
    return f"the nested credential cannot be re-signed: {exc}"


def _clone(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of parsed JSON; orjson's round trip is ten times faster than copy.deepcopy."""
    try:
        return orjson.loads(orjson.dumps(value))  # type: ignore[no-any-return]
    except (orjson.JSONEncodeError, TypeError):  # integers beyond 64 bits
        return copy.deepcopy(value)


def _achievement_of(subject: Subject) -> dict[str, Any]:
    """The achievement a nested subject belongs to (itself, or the one holding its result description)."""
    if subject.achievement is None:
        raise Refusal(f"{_jsonpath(subject.path)} belongs to no achievement the CLR could carry its link on")
    return subject.achievement


def _get(document: Any, path: JsonPath) -> Any:
    node = document
    for step in path:
        node = node[step]
    return node


def _jsonpath(path: JsonPath) -> str:
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


def target_type(ctdl_type: str) -> str:
    """ler.md §5.5: ``ceterms:Credential`` for every credential class, ``ceasn:Competency``, else ``CTDL``."""
    vocab = vocabulary()
    if ctdl_type == "ceasn:Competency":
        return "ceasn:Competency"
    if ctdl_type in vocab.classes and vocab.is_a(ctdl_type, "ceterms:Credential"):
        return "ceterms:Credential"
    return "CTDL"


def _framework(entry: Entry) -> str:
    return entry.framework_name if entry.type == "ceasn:Competency" and entry.framework_name else CE_FRAMEWORK


def ob3_alignment(entry: Entry) -> dict[str, Any]:
    return {"type": ["Alignment"], "targetCode": entry.ctid, "targetFramework": _framework(entry),
            "targetName": entry.name or entry.ctid, "targetType": target_type(entry.type), "targetUrl": entry.uri}


def ob2_alignment(entry: Entry) -> dict[str, Any]:
    # OB 2.0 has no targetType; targetName and targetUrl are required (ob_v2p0 AlignmentObject).
    return {"targetName": entry.name or entry.ctid, "targetUrl": entry.uri, "targetFramework": _framework(entry),
            "targetCode": entry.ctid}


def modernise(alignment: Any, entry: Entry, ob2: bool) -> Any:
    """An existing alignment naming ``entry``'s CTID, brought to the canonical form without discarding
    what the issuer wrote: a registry / Finder URL becomes the registry URI, missing members are added;
    the issuer's own targetUrl (another host), targetName, targetFramework and a non-CTID targetCode stay."""
    if not isinstance(alignment, dict):
        return alignment
    updated = dict(alignment)
    if not ob2:
        kinds = as_list(updated.get("type"))
        if "Alignment" not in kinds:
            updated["type"] = [*kinds, "Alignment"] if kinds else ["Alignment"]
        if updated.get("targetType") not in (target_type(entry.type), "CTDL"):
            updated["targetType"] = target_type(entry.type)
    if not updated.get("targetCode"):
        updated["targetCode"] = entry.ctid
    url = updated.get("targetUrl")
    if url != entry.uri and (not url or _misleading(url) or (ce_url(url) and ce_url_ctid(url) in (None, entry.ctid))):
        updated["targetUrl"] = entry.uri  # a Finder page (by CTID or Finder-internal number) for this CTID
    if not updated.get("targetName"):
        updated["targetName"] = entry.name or entry.ctid
    return updated


def _misleading(url: Any) -> bool:
    """No clickable web address, or one `check` fails (:func:`match.misleading`)."""
    return not web_url(url) or misleading(url) is not None


# =========================================================================================== re-sign


def _proof_keys(document: dict[str, Any], keys: tuple[IssuerKey, ...]) -> list[IssuerKey]:
    """For each proof of ``document``, the supplied private key that made it — or a refusal saying why not."""
    issuer = _issuer_id(document)
    found = []
    for proof in as_list(document.get("proof")):
        if not isinstance(proof, dict):
            raise Refusal("a proof is not a JSON object")
        if "previousProof" in proof:
            raise Refusal("it carries a proof chain (previousProof); re-signing chains is not supported")
        suite = proof.get("cryptosuite") if proof.get("type") == "DataIntegrityProof" else proof.get("type")
        if suite == ECDSA_SD_2023:  # verified, but a holder's selective disclosure: only the issuer can sign anew
            raise NoKey("its ecdsa-sd-2023 proof was derived by the holder from the issuer's base proof: a linked "
                        "credential needs a new base proof from the issuer; --unsigned-copy writes a display-only copy")
        if suite not in SIGNING_SUITES:
            raise Refusal(f"its proof suite {suite!r} cannot be re-signed (supported: {', '.join(SIGNING_SUITES)})")
        vm = _vm(proof)
        if not verification_method_belongs_to(vm or "", issuer):
            raise Refusal(f"the proof's verification method {vm} is not the issuer's ({issuer}); a key that is not "
                          "the issuer's must never re-sign its credential (ler.md §6.1)")
        found.append(_key_for(vm or "", document, keys))
    return found


def _vm(proof: dict[str, Any]) -> str | None:
    vm = proof.get("verificationMethod")
    vm = vm.get("id") if isinstance(vm, dict) else vm
    return vm if isinstance(vm, str) else None


def _issuer_id(document: dict[str, Any]) -> str | None:
    issuer = document.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    return issuer if isinstance(issuer, str) else None


def _key_for(vm: str, document: dict[str, Any], keys: tuple[IssuerKey, ...]) -> IssuerKey:
    if not keys:
        raise NoKey(f"it is signed (verification method {vm}) and re-signing needs the issuer's private key: pass "
                    "--issuer-key FILE, or --unsigned-copy for a display-only copy without proof")
    try:
        named = resolve_verification_method(vm, document).key
    except ValueError:
        named = None  # e.g. an https key URL: then the key file must carry that id (and verified the proof)
    for key in keys:
        if (named is not None and key.same_public_key(named)) or (named is None and key.id == vm):
            return key
    raise NoKey(f"none of the --issuer-key keys is the key of the proof's verification method {vm}")


def _resign(cred: Credential, document: dict[str, Any], options: LinkOptions, when: datetime,
            result: Result) -> str:
    if cred.carrier == "jws":
        return _resign_token(cred, document, options, when, result)
    keys = _proof_keys(cred.document, options.keys)
    signed = _reissue(cred.document, document, keys, when, cred.vc_version, result, "$")
    _check_output(signed, options.keys)
    return _text(cred, signed)


def _resign_nested(plan: _Plan, when: datetime, result: Result) -> dict[str, Any]:
    """Re-sign the nested credentials that were edited in place (we hold their issuers' keys)."""
    document = plan.document
    for where in sorted(plan.edited_nested, key=lambda p: [(1, "", s) if isinstance(s, int) else (0, s, 0) for s in p]):
        old = _get(plan.cred.document, where)
        keys = plan.nested_keys.get(where)
        if not has_proof(old) or keys is None:
            continue
        holder = _get(document, where[:-1])
        version = "2.0" if as_list(old.get("@context"))[:1] == [VC_V2] else "1.1"
        holder[where[-1]] = _reissue(old, holder[where[-1]], keys, when, version, result, _jsonpath(where))
        plan.resigned_nested.append(where)
    return document


def _reissue(old: dict[str, Any], new: dict[str, Any], keys: list[IssuerKey], when: datetime,
             vc_version: str | None, result: Result, where: str) -> dict[str, Any]:
    """``new`` with moved-forward dates and fresh proofs in place of ``old``'s (same suites and methods)."""
    dated = _bump_dates(old, new, when, vc_version, result, where)
    unsigned = {k: v for k, v in dated.items() if k != "proof"}
    proofs = []
    for proof, key in zip(as_list(old["proof"]), keys, strict=True):
        suite = proof.get("cryptosuite") if proof.get("type") == "DataIntegrityProof" else proof["type"]
        try:
            options, not_kept = reissue_options(proof)  # domain, challenge, expires…: the new proof keeps them
            proofs.append(sign(unsigned, key, suite, _vm(proof) or "", created=_stamp(when),
                               options=options)["proof"])
        except ValueError as exc:
            raise Refusal(_sign_refusal(unsigned, exc)) from None
        kept = f" (kept {', '.join(options)})" if options else ""
        result.proofs.append(f"{where}: re-signed {suite} with {_vm(proof)}{kept}")
        result.proofs += [f"{where}: {note}" for note in not_kept]
    dated["proof"] = proofs if isinstance(old["proof"], list) else proofs[0]
    return dated


def _sign_refusal(document: dict[str, Any], exc: ValueError) -> str:
    if "drops data" in str(exc):
        return ("these members would not survive JSON-LD expansion (they would be silently unsigned): "
                + _dropped_text(document, _dropped(document)))
    return f"cannot re-sign: {exc}"


def _bump_dates(old: dict[str, Any], new: dict[str, Any], when: datetime, vc_version: str | None,
                result: Result, where: str) -> dict[str, Any]:
    """OB 3.0 replacement: a newer ``validFrom`` (``issuanceDate`` on VC 1.1, whose context has no
    ``awardedDate``); the award date kept in ``awardedDate`` (VC 2.0)."""
    field_name = "validFrom" if vc_version == "2.0" else "issuanceDate"
    before = old.get(field_name)
    previous = _parse_time(before, f"{where}.{field_name}")
    try:
        moved = max(when, previous + timedelta(seconds=1))
    except OverflowError:  # e.g. 9999-12-31T23:59:59Z: no later date-time exists for the replacement
        raise Refusal(f"{where}.{field_name} {before!r} is the last date-time there is: a re-issue needs a later "
                      "one") from None
    until = old.get("validUntil") or old.get("expirationDate")
    if until is not None and moved > _parse_time(until, f"{where}.validUntil"):
        raise Refusal(f"it expired ({until}): a re-issue would begin after its own end")
    dated = dict(new)
    dated[field_name] = _stamp(moved)
    later = "" if moved == when else f" (the re-issue time {_stamp(when)} is not after it: one second after it)"
    result.proofs.append(f"{where}.{field_name}: {before} -> {dated[field_name]}{later}")
    if vc_version == "2.0" and "awardedDate" not in dated:
        dated["awardedDate"] = before  # so the award date survives the re-issue
        result.proofs.append(f"{where}.awardedDate: set to the original {field_name} {before}")
    return dated


def _parse_time(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise Refusal(f"{where} is missing: a re-issue needs the original issuance date")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)  # comparing and stamping need it in UTC; year 1 at +14:00 is not
    except ValueError:
        raise Refusal(f"{where} {value!r} is not an ISO 8601 date-time") from None
    except OverflowError:
        raise Refusal(f"{where} {value!r} is outside the years 1 to 9999 in UTC") from None


def _now(options: LinkOptions) -> datetime:
    return (options.issued_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _check_output(document: dict[str, Any] | str, keys: tuple[IssuerKey, ...]) -> None:
    """Never write what does not verify: re-verify the re-signed credential, embedded ones included."""
    outcome = verify(document, keys=[k.public_only() for k in keys])
    problems = [p for p in (*outcome.proofs, *outcome.nested) if not p.ok]
    if not outcome.ok or problems:
        reason = problems[0].reason if problems else outcome.reason
        raise Refusal(f"the re-signed credential does not verify ({reason}); nothing written")


# ----------------------------------------------------------------------------------------- JWS forms


def _token_key(cred: Credential, keys: tuple[IssuerKey, ...]) -> IssuerKey:
    assert cred.jws is not None
    if not keys:
        raise NoKey("it is a signed JWS and re-signing needs the issuer's private key: pass --issuer-key FILE, "
                    "or --unsigned-copy for a display-only copy without signature")
    for key in keys:
        try:
            if signature_valid(cred.jws, key):
                break
        except ValueError:
            continue
    else:
        raise NoKey("none of the --issuer-key keys made this JWS signature")
    kid = cred.jws.header.get("kid")
    issuer = _issuer_id(cred.document) or cred.data.get("iss")
    if cred.kind != OB2_ASSERTION and isinstance(kid, str):
        if not verification_method_belongs_to(kid, issuer):
            raise Refusal(f"the JWS key {kid} is not the issuer's ({issuer}); refusing to re-sign")
        # As for a Data Integrity proof (_key_for): a kid that cannot be resolved offline (an https key URL)
        # is vouched for only by a key file that carries that id, not by a header jwk the token chose.
        try:
            resolve_verification_method(kid, cred.document)
        except ValueError:
            if key.id != kid:
                raise NoKey(f"the JWS key {kid} cannot be resolved offline: the --issuer-key file that made the "
                            f"signature must carry that id (its id is {key.id or 'not given'})") from None
    return key


def _resign_token(cred: Credential, document: dict[str, Any], options: LinkOptions, when: datetime,
                  result: Result) -> str:
    assert cred.jws is not None and cred.token is not None
    key = _token_key(cred, options.keys)
    if cred.kind != OB2_ASSERTION:  # OB 2.0 has no replacement rule: issuedOn is the award date, kept
        document = _bump_jwt_dates(cred, document, when, result)
    _check_terms(document, None, is_jwt_payload=not cred.doc_path)
    payload = _with_document(cred, document)
    _update_claims(payload, cred.data, document, when)
    payload_text = rewrite_text(cred.text, cred.data, payload)
    header = cred.token.split(".", 1)[0]  # the header is kept byte for byte (kid / jwk / typ as issued)
    signing_input = f"{header}.{b64url_encode(payload_text.encode('utf-8'))}"
    signature = _jws_sign(key, cred.jws.alg, signing_input.encode("ascii"))
    token = f"{signing_input}.{b64url_encode(signature)}"
    keys = options.keys
    if cred.kind == OB2_ASSERTION:
        keys = (*keys, *_creator_keys(cred, list(keys)))
    _check_output(token, keys)
    result.proofs.append(f"$: re-signed JWS {cred.jws.alg} with the original header")
    return token


def _bump_jwt_dates(cred: Credential, document: dict[str, Any], when: datetime, result: Result) -> dict[str, Any]:
    field_name = "validFrom" if cred.vc_version == "2.0" else "issuanceDate"
    if field_name not in cred.document:
        return document
    return _bump_dates(cred.document, document, when, cred.vc_version, result, "$")


def _update_claims(payload: dict[str, Any], old: dict[str, Any], document: dict[str, Any], when: datetime) -> None:
    """``nbf`` follows the new validFrom/issuanceDate and ``iat`` the re-issue time (OB 3.0 §8.2)."""
    start = document.get("validFrom") or document.get("issuanceDate")
    if "nbf" in old and isinstance(start, str):
        payload["nbf"] = int(_parse_time(start, "$.validFrom").timestamp())
    if "iat" in old:
        payload["iat"] = int(when.timestamp())


# ======================================================================================== unsigned copy


def unsigned_note(document: dict[str, Any]) -> dict[str, Any]:
    ident = document.get("id") or "(no id)"
    return {"type": ["Evidence"] if "ob/v3p0" in str(document.get("@context")) else "Evidence",
            "name": DISPLAY_COPY,
            "description": (f"Made by ctdl_tools (ctdl ler link) from credential {ident} to show its Credential "
                            "Registry links without the issuer's key. Its proof was removed: this is NOT a "
                            "verifiable credential and must not be presented as one. The issuer's signed original "
                            "is the authoritative record.")}


def _unsigned_copy(cred: Credential, document: dict[str, Any], compact: bool, result: Result,
                   keys: tuple[IssuerKey, ...]) -> str:
    display = {k: v for k, v in document.items() if k != "proof"}
    display["evidence"] = [*as_list(display.get("evidence")), unsigned_note(document)]
    jwt_payload = cred.carrier == "jws" and not cred.doc_path
    _check_terms(display, None, is_jwt_payload=jwt_payload)
    nested = verify(display, keys=[k.public_only() for k in keys]).nested
    if any(n.failed for n in nested):  # one not checkable here stays as the issuer signed it
        raise Refusal("an embedded credential of the display copy does not verify; nothing written")
    result.notes.append("unsigned display copy written: proof removed, Evidence note added; for display only")
    if cred.carrier == "jws":
        plain = {k: v for k, v in display.items() if not (jwt_payload and k in JWT_CLAIMS)}
        return serialise(plain, Style(None, ":", ",", False, "\n") if compact else None)
    return rewrite_text(cred.text, cred.data, display)
