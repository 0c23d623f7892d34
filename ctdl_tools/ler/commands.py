"""The ``ctdl ler`` click group: ``link``, ``verify``, ``check``, ``show``. Thin: parse, call, print.

Exit codes: 0 all good; 1 a credential was refused or a --map row could not be carried out (link), failed
to verify, is unverified — a valid signature by a key named only in the credential — or could not be checked
here (verify), or has a broken link (check); 2 no credential found, an output that cannot be written, a bad
key file, or bad usage — one message, nothing written. Each file (and each JSON Lines line) is read on its
own: one that cannot be read is an error message naming it, and the others are still processed — ``link`` and
``check`` then exit 1 (2 when nothing could be read), ``verify`` exits 2 as before. A token that is no
acceptable JWS (alg none…) is FAILED. ``verify`` exits 0 on an unsigned credential unless ``--require-proof``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ctdl_tools.errors import EXIT_INPUT_ERROR, EXIT_OK, EXIT_RECORD_ERRORS, InputError, Where


def _fail(exc: Exception) -> None:
    # The message may quote the credential (a JSON path, a member name): never raw control characters.
    click.echo(_printable([f"error: {exc}"]), err=True)
    sys.exit(EXIT_INPUT_ERROR)


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Unreadable input anywhere in a command: one message on stderr, exit 2."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            _fail(exc)

    return wrapper


def _load_keys(paths: tuple[Path, ...], *, private: bool) -> tuple[Any, ...]:
    from ctdl_tools.ler.keys import load_key_file

    keys = []
    for path in paths:
        try:
            key = load_key_file(path)
        except ValueError as exc:
            raise InputError(Where(str(path)), str(exc).removeprefix(f"{path}: ")) from None
        if private and not key.has_private:
            raise InputError(Where(str(path)), "holds a public key only; re-signing needs the issuer's private key")
        keys.append(key)
    return tuple(keys)


def _resolver(registry: str | None, index: str | None, *, online: bool) -> Any:
    from ctdl_tools.ler.check import Resolver
    from ctdl_tools.ler.index import open_index

    if registry and index:
        raise click.UsageError("give --registry or --index, not both")
    return Resolver(open_index(index) if index else None, registry, online=online)


def _issued_at(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        # Re-issued credentials carry it in UTC, one second later at least: both must exist.
        (parsed.astimezone(UTC) + timedelta(seconds=1)).astimezone(UTC)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 date-time", param_hint="--issued-at") from None
    except OverflowError:
        raise click.BadParameter(f"{value!r} is at or past the end of the calendar (years 1 to 9999 in UTC)",
                                 param_hint="--issued-at") from None
    if parsed.astimezone(UTC).year < 1000:  # XML Schema dateTime and RFC 3339 want four-digit years, and
        # Python writes year 1 as "1-01-01": every credential would be refused for it
        raise click.BadParameter(f"{value!r} is before the year 1000: not a date a credential is issued on",
                                 param_hint="--issued-at")
    return parsed


_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
                       help="Report format on stdout.")
_INPUTS = click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))


@click.group("ler")
def ler() -> None:
    """Link issued LERs (Open Badges 2.0/3.0, CLR 2.0) to the Credential Registry, and check them."""


# =============================================================================================== link


@ler.command("link")
@_INPUTS
@click.option("--index", "index_spec", required=True, metavar="DIR|JOURNAL|URL",
              help="Registry records: `ctdl convert` output, the publish journal, or a registry URL.")
@click.option("-o", "--output", "outdir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder for the linked credentials (one file per input, same name).")
@click.option("--map", "map_file", type=click.Path(path_type=Path, dir_okay=False),
              help="CSV with columns achievement (id or exact name) and ctid: explicit matches.")
@click.option("--issuer-key", "key_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="The issuer's private key (JWK or Multikey JSON) to re-sign with; repeat for CLR issuers.")
@click.option("--unsigned-copy", is_flag=True,
              help="Without the issuer's key, write a proof-less display copy (*.unsigned-copy.*) instead.")
@click.option("--issued-at", metavar="DATETIME", help="validFrom / proof time of re-signed credentials (default now).")
@_FORMAT
@_guard
def link_command(inputs: tuple[Path, ...], index_spec: str, outdir: Path, map_file: Path | None,
                 key_files: tuple[Path, ...], unsigned_copy: bool, issued_at: str | None, fmt: str) -> None:
    """Add typed Credential Registry alignments to credentials; re-sign only with the issuer's key."""
    from ctdl_tools.ler.index import open_index
    from ctdl_tools.ler.link import LinkOptions, link
    from ctdl_tools.ler.match import load_mapping

    options = LinkOptions(open_index(index_spec), outdir, load_mapping(map_file) if map_file else None,
                          _load_keys(key_files, private=True), unsigned_copy, _issued_at(issued_at))
    summary = link(list(inputs), options)
    _report_unreadable(summary.unreadable)
    if summary.results:
        click.echo(json.dumps(summary.to_json(), indent=2, ensure_ascii=False) if fmt == "json"
                   else _link_text(summary))
    sys.exit(summary.exit_code)


def _report_unreadable(errors: list[InputError]) -> None:
    """One message per file (or JSON Lines line) that could not be read, naming it and where."""
    for error in errors:
        click.echo(_printable([f"error: {error}"]), err=True)


def _link_text(summary: Any) -> str:
    lines = []
    for result in summary.results:
        lines.append(f"{result.input}: {result.status} ({result.format})" + (f" -> {result.output}"
                                                                                if result.output else ""))
        if result.reason:
            lines.append(f"  refused: {result.reason}")
        mark = "  (not written) " if result.status == "refused" else "  + "
        lines += [f"{mark}{link.path}: {link.ctid} {link.name!r} [{link.type}] by {link.source}: {link.action}"
                  for link in result.links]
        for item in result.unmatched:
            candidates = f" (candidates: {'; '.join(item.candidates)})" if item.candidates else ""
            lines.append(f"  ! {item.path} {item.subject!r}: {item.status}: {item.message}{candidates}")
        lines += [f"  proof: {p}" for p in result.proofs] + [f"  note: {n}" for n in result.notes]
        lines += [f"  warning: {w}" for w in result.warnings]
    lines += [f"skipped {s.path}: {s.reason}" for s in summary.skipped]
    counts = summary.counts()
    achievements, rows = summary.unmatched_achievements, summary.refused_map_rows
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items())
                 + (f"; {achievements} achievement{'s' if achievements > 1 else ''} unmatched" if achievements else "")
                 + (f"; {rows} --map row{'s' if rows > 1 else ''} refused" if rows else "")
                 + (f"; {len(summary.unreadable)} unreadable" if summary.unreadable else ""))
    return _printable(lines)


def _printable(lines: list[str]) -> str:
    """Credential text (names, paths, reasons quoting it) must not steer the terminal: controls escaped."""
    from ctdl_tools.ler.outputs import printable

    return "\n".join(printable(line) for line in lines)


# ============================================================================================= verify


@ler.command("verify")
@_INPUTS
@click.option("--key", "key_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A public key to trust (JWK, Multikey, OB 2.0 CryptographicKey), e.g. for https key URLs.")
@click.option("--require-proof", is_flag=True,
              help="Exit 1 when a credential carries no proof (unsigned, or a display copy made by "
                   "`ctdl ler link --unsigned-copy`).")
@_FORMAT
@_guard
def verify_command(inputs: tuple[Path, ...], key_files: tuple[Path, ...], require_proof: bool, fmt: str) -> None:
    """Verify every proof offline (Data Integrity, VC-JWT, OB 2.0 JWS; embedded credentials too).

    VERIFIED needs a trusted key: the issuer's own did:key, or a key given with --key (if its file names a
    controller — kid before '#', controller, owner — that must be the credential's issuer, or it FAILS). A
    valid signature by a key the credential names itself (an https URL fragment, an embedded key, a JWS jwk
    header) is UNVERIFIED: anyone can make one. A proof whose key is not available offline (did:web, a key
    URL) is UNCHECKED, one of a suite not implemented here UNSUPPORTED (both exit 1, neither counted as
    failed). UNSIGNED exits 0 unless --require-proof. Each file is reported on its own: a token that is no
    acceptable JWS (e.g. alg none) is FAILED, a file that cannot be read is an error on stderr (exit 2), and
    the other files are still verified."""
    from ctdl_tools.ler.formats import is_display_copy
    from ctdl_tools.ler.proofs import verify

    keys = [k.public_only() for k in _load_keys(key_files, private=False)]
    reports, unreadable = [], []
    for entry in _read_each(inputs):
        if isinstance(entry, InputError):
            unreadable.append(entry)
            click.echo(_printable([f"error: {entry}"]), err=True)
        elif isinstance(entry, tuple):  # (file, result): a JWS that could not even be parsed
            reports.append(_verify_report(entry[0].name, "JWS", entry[1]))
        else:
            result = verify(entry.token if entry.carrier == "jws" else entry.document, keys=keys)
            reports.append(_verify_report(entry.label, entry.format, result, is_display_copy(entry.document)))
    counts = {status: sum(r["status"] == status for r in reports) for status in _NOT_VERIFIED}
    if fmt == "json":
        click.echo(json.dumps({"results": reports, **counts,
                               "unreadable": [{"input": str(e.where), "error": e.message} for e in unreadable]},
                              indent=2))
    elif reports:
        click.echo("\n".join(_verify_line(r) for r in reports))
    # A valid signature by a key named only in the credential proves nothing about who issued it.
    not_verified = any(counts[s] for s in _NOT_VERIFIED if s != "unsigned") or (require_proof and counts["unsigned"])
    sys.exit(EXIT_INPUT_ERROR if unreadable else EXIT_RECORD_ERRORS if not_verified else EXIT_OK)


_NOT_VERIFIED = ("failed", "unverified", "unchecked", "unsupported", "unsigned")


def _read_each(inputs: tuple[Path, ...]) -> list[Any]:
    """Every credential under ``inputs`` in order, each file read on its own so one bad file does not hide
    the others' results: a Credential, a (path, failed VerifyResult) for a token that is no acceptable
    JWS, or the InputError of a file that cannot be read. Finding no credential at all stays one InputError."""
    from ctdl_tools.jsonio import read_bytes
    from ctdl_tools.ler.formats import MAX_BYTES, LerFile, _walk, read_file, read_inputs
    from ctdl_tools.ler.jws import looks_like_jws
    from ctdl_tools.ler.proofs import verify

    entries: list[Any] = []
    for path in inputs:
        for member, explicit in ([(m, False) for m in _walk(path)] if path.is_dir() else [(path, True)]):
            try:
                found = read_file(member, explicit=explicit, lenient=True)
            except InputError as exc:
                try:
                    text = read_bytes(member, MAX_BYTES).decode("utf-8-sig").strip()
                except (InputError, UnicodeDecodeError):
                    text = ""
                result = verify(text) if looks_like_jws(text) else None
                entries.append((member, result) if result is not None and result.status == "failed" else exc)
                continue
            if isinstance(found, LerFile):
                entries += [*found.items, *found.errors]  # a bad JSON Lines line is reported, not the file
    if not entries:
        read_inputs(list(inputs))  # raises its InputError: no credential files found
    return entries


def _verify_report(label: str, format: str, result: Any, display_copy: bool = False) -> dict[str, Any]:
    status, reason = result.verdict()
    if display_copy and status == "unsigned":
        reason = _DISPLAY_COPY
    return {"input": label, "format": format, "status": status, "reason": reason, "displayCopy": display_copy,
            "proofs": [{"path": p.path, "ok": p.ok, "trusted": p.trusted, "suite": p.suite,
                        "verificationMethod": p.verification_method, "keySource": p.key_source,
                        "issuerMatch": p.issuer_match, "reason": p.reason, "undecided": p.undecided}
                       for p in (*result.proofs, *result.nested)],
            "warnings": list(result.warnings)}


_DISPLAY_COPY = "display copy made by ctdl ler link --unsigned-copy: not a verifiable credential"


def _verify_line(report: dict[str, Any]) -> str:
    lines = [_verify_head(report)]
    for proof in report["proofs"]:
        mark = proof["undecided"].upper() or ("FAILED" if not proof["ok"] else
                                              "ok" if proof["trusted"] else "UNVERIFIED")
        issuer = "" if proof["issuerMatch"] or not proof["trusted"] else " (key not named under the issuer's id)"
        lines.append(f"  {proof['path']}: {mark} {proof['suite']} {proof['verificationMethod'] or ''}{issuer}"
                     + (f": {proof['reason']}" if proof["reason"] else ""))
    lines += [f"  warning: {w}" for w in report["warnings"]]
    return _printable(lines)


def _verify_head(report: dict[str, Any]) -> str:
    if report["displayCopy"] and report["status"] == "unsigned":  # the tool's own copy: never a credential
        return f"{report['input']}: UNSIGNED {_DISPLAY_COPY} ({report['format']})"
    head = f"{report['input']}: {report['status'].upper()} ({report['format']})"
    reason = _undecided_text(report) or report["reason"]
    return head + (f": {reason}" if reason else "")


def _undecided_text(report: dict[str, Any]) -> str:
    """Why a proof could not be checked, and what to do: not a failure (the proof may well be good)."""
    from ctdl_tools.ler.canon import is_context_not_bundled  # here: verify has imported it already

    proof = next((p for p in report["proofs"] if p["undecided"] == report["status"]), None)
    if proof is None:
        return ""
    own = proof["path"] == "$" or proof["path"].startswith("$.proof")
    embedded = "" if own else f" (embedded credential {proof['path']})"
    if proof["undecided"] == "unsupported":
        return f"{proof['reason'].removeprefix('unsupported ')} is not implemented{embedded}"
    if is_context_not_bundled(proof["reason"]):
        return (f"cannot be verified offline ({proof['reason']}: JSON-LD contexts are never fetched, and a "
                f"key does not help){embedded}")
    vm = proof["verificationMethod"] or ""
    hint = ("did:web: give the key with --key" if vm.startswith("did:web:") else
            "OB 2.0: give the issuer's CryptographicKey file with --key" if proof["suite"].startswith("OB2-") else
            "give the key with --key")
    return f"cannot be verified offline ({hint}){embedded}"


# ============================================================================================== check


@ler.command("check")
@_INPUTS
@click.option("--registry", metavar="URL", help="Resolve every link at this registry (e.g. a local one).")
@click.option("--index", "index_spec", metavar="DIR|JOURNAL|URL", help="Resolve links offline in this index.")
@_FORMAT
@_guard
def check_command(inputs: tuple[Path, ...], registry: str | None, index_spec: str | None, fmt: str) -> None:
    """Check that every registry link resolves, to the class its targetType claims, with a matching CTID."""
    from ctdl_tools.ler.check import FAILED, check_credential, summarise
    from ctdl_tools.ler.formats import read_each

    resolver = _resolver(registry, index_spec, online=True)
    found = read_each(list(inputs))
    _report_unreadable(found.unreadable)
    if not found.files:  # nothing could be read at all
        sys.exit(EXIT_INPUT_ERROR)
    checks = [c for file in found.files for item in file.items for c in check_credential(item, resolver)]
    counts = summarise(checks)
    if fmt == "json":
        unreadable = [{"input": str(e.where), "error": e.message} for e in found.unreadable]
        click.echo(json.dumps({"links": [c.to_json() for c in checks], "counts": counts, "unreadable": unreadable},
                              indent=2))
    else:
        click.echo(_check_text(found.files, checks, counts, len(found.unreadable)))
    sys.exit(EXIT_RECORD_ERRORS if counts[FAILED] or found.unreadable else EXIT_OK)


def _check_text(files: list[Any], checks: list[Any], counts: dict[str, int], unreadable: int = 0) -> str:
    lines = []
    for item in (item for file in files for item in file.items):
        mine = [c for c in checks if c.credential == item.label]
        lines.append(f"{item.label}: {len(mine)} registry link(s)")
        for check in mine:
            found = f" -> {check.record_type} {check.record_name!r}" if check.record_type else ""
            lines.append(f"  {check.status.upper():<7} {check.path} {check.ctid or ''} [{check.target_type or '-'}]"
                         f"{found}")
            lines += [f"          {message}" for message in (*check.problems, *check.warnings)]
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items())
                 + (f"; {unreadable} unreadable file(s) or line(s) not checked" if unreadable else ""))
    return _printable(lines)


# =============================================================================================== show


@ler.command("show")
@click.argument("credential", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--html", "as_html", is_flag=True, help="A self-contained HTML page instead of a terminal summary.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write to FILE.")
@click.option("--registry", metavar="URL", help="Resolve links at this registry.")
@click.option("--index", "index_spec", metavar="DIR|JOURNAL|URL", help="Resolve links offline in this index.")
@click.option("--key", "key_files", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="A public key to trust when checking the signature.")
@_guard
def show_command(credential: Path, as_html: bool, output: Path | None, registry: str | None,
                 index_spec: str | None, key_files: tuple[Path, ...]) -> None:
    """A readable view of a credential and what its registry links describe (works offline)."""
    from ctdl_tools.ler import show
    from ctdl_tools.ler.formats import read_file
    from ctdl_tools.ler.outputs import check_target, write_output

    resolver = _resolver(registry, index_spec, online=False)
    found = read_file(credential)
    if output is not None:
        check_target(output, [credential])  # e.g. `-o` naming the credential itself
    keys = tuple(k.public_only() for k in _load_keys(key_files, private=False))
    pages = [show.build_view(item, resolver, keys) for item in found.items]  # type: ignore[union-attr]
    # One page per file: a JSON Lines file shows its first credential as HTML, all of them in the terminal.
    text = show.html(pages[0]) if as_html else "\n".join(show.terminal(p) for p in pages)
    if output is not None:
        write_output(output, text.encode("utf-8"))
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)
    sys.exit(EXIT_OK)
