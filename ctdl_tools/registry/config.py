"""Where to publish, how, and as whom: ``[tool.ctdl]`` / ``ctdl.toml`` settings, CLI overrides, targets.

Settings are looked up in the nearest ``ctdl.toml`` (top-level keys) or ``pyproject.toml`` (the
``[tool.ctdl]`` table), walking up from the current directory (none when the current directory has been
removed: :func:`find_config`); command-line options win. Relative paths in a config file are relative to
that file.

Targets (registry.md §4):

* ``local`` — the ``local_url`` from config if set, else the embedded registry
  (``ctdl_tools.registry.server.start_embedded``) on a free loopback port for the duration of the
  command, database ``--db`` (default ``.ctdl/registry.sqlite`` beside the journal). Direct API.
* ``sandbox`` / ``production`` — Credential Engine's Registry Assistant (the only publish path CE gives
  ordinary publishers). Production is ``https://apps.credentialengine.org/assistant/``, the host CE's
  own handbook and samples use for the Assistant; CE's GitHub Action names
  ``https://credentialengine.org/assistant`` instead — use ``--registry URL --api assistant`` for that.
  Reads (``fetch``, ``registry status``) go to the matching registry host
  (``sandbox.``)``credentialengineregistry.org``, where ``/graph/{ctid}`` needs no key.
* any ``http(s)://`` URL — a registry speaking the direct API (default) or the Assistant API.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ctdl_tools.ctdl_files import display_name
from ctdl_tools.ctid import REGISTRY_BASE, SANDBOX_BASE, normalize_ctid
from ctdl_tools.errors import CWD_GONE, CWD_GONE_HINT, InputError, Where, cwd_gone

SANDBOX_ASSISTANT = "https://sandbox.credentialengine.org/assistant/"
PRODUCTION_ASSISTANT = "https://apps.credentialengine.org/assistant/"
NAMED_TARGETS = {"sandbox": (SANDBOX_ASSISTANT, SANDBOX_BASE), "production": (PRODUCTION_ASSISTANT, REGISTRY_BASE)}
APIS = ("direct", "assistant")
DEFAULT_KEY_ENV = "CTDL_API_KEY"
STATE_DIR = ".ctdl"

_KEYS: dict[str, type | tuple[type, ...]] = {
    "registry": str, "api": str, "org": str, "journal": str, "db": str, "local_url": str,
    "concurrency": int, "api_key_env": str, "api_key": str, "timeout": (int, float),
}
_PATH_KEYS = ("journal", "db")
# The ranges of --concurrency and --timeout, and of the same settings in a config file.
CONCURRENCY_RANGE = (1, 64)
TIMEOUT_RANGE = (0.1, 600)


@dataclass(frozen=True)
class Settings:
    """Everything a command may take from config; ``None`` means "use the default"."""

    registry: str = "local"
    api: str | None = None
    org: str | None = None
    journal: Path | None = None
    db: Path | None = None
    local_url: str | None = None
    concurrency: int = 8
    api_key_env: str = DEFAULT_KEY_ENV
    api_key: str | None = field(default=None, repr=False)  # repr=False: never echo a key from config
    timeout: float = 30.0
    source: Path | None = None  # the config file these came from

    def override(self, **values: Any) -> Settings:
        """These settings with every non-``None`` command-line value applied."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})


@dataclass(frozen=True)
class Target:
    """A registry to talk to. ``identity`` names it in the journal, so it must be stable across runs."""

    name: str  # local | sandbox | production | URL
    api: str  # direct | assistant
    url: str | None  # publish base URL; None = start the embedded registry
    read_url: str | None  # where GET /graph/{ctid} lives; None = same as url
    identity: str

    @property
    def embedded(self) -> bool:
        return self.url is None


def find_config(start: Path | None = None) -> Path | None:
    """The nearest ``ctdl.toml``, or ``pyproject.toml`` that has a ``[tool.ctdl]`` table; None, too, when there
    is no current directory to look from (it was removed: ``Path.cwd()`` fails)."""
    if start is None:
        if cwd_gone():
            return None
        start = Path.cwd()
    here = start.resolve()
    for folder in (here, *here.parents):
        if (folder / "ctdl.toml").is_file():
            return folder / "ctdl.toml"
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "ctdl" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def load_settings(start: Path | None = None) -> Settings:
    path = find_config(start)
    if path is None:
        return Settings()
    data = _read_toml(path)
    table = data.get("tool", {}).get("ctdl", {}) if path.name == "pyproject.toml" else data
    return _settings_from(table, path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(str(path), f"cannot read config: {exc}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise InputError(str(path), f"cannot read config: not UTF-8 text (line {line})") from None


def _settings_from(table: dict[str, Any], path: Path) -> Settings:
    values: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in _KEYS:
            raise InputError(str(path), f"unknown ctdl setting {key!r} (known: {', '.join(sorted(_KEYS))})")
        if not isinstance(value, _KEYS[name]) or isinstance(value, bool):
            raise InputError(str(path), f"ctdl setting {key!r} has the wrong type ({type(value).__name__})")
        problem = _setting_problem(name, value)
        if problem:
            raise InputError(str(path), f"{key}: {problem}")
        values[name] = (path.parent / value) if name in _PATH_KEYS else value
    return Settings(source=path, **values)


def _setting_problem(name: str, value: Any) -> str | None:
    """What is wrong with one config value, checked as the matching command-line option checks it."""
    if name == "concurrency":
        return _out_of_range(value, CONCURRENCY_RANGE, "")
    if name == "timeout":
        return _out_of_range(value, TIMEOUT_RANGE, " seconds")
    if name == "api" and value not in APIS:
        return f"must be one of {', '.join(APIS)}, not {value!r}"
    if name == "registry":
        return registry_problem(value)
    if name == "local_url":
        return url_problem(value)
    if name == "org":
        try:
            normalize_ctid(value)
        except ValueError as exc:
            return str(exc)
    return None


def _out_of_range(value: float, bounds: tuple[float, float], unit: str) -> str | None:
    low, high = bounds
    if low <= value <= high:  # False for NaN too
        return None
    return f"must be from {low:g} to {high:g}{unit}, not {value!r}"


def resolve_target(settings: Settings, db_path: Path) -> Target:
    """The target named by ``settings.registry`` with its API; raises InputError for nonsense."""
    name, api = settings.registry.strip(), settings.api
    if api is not None and api not in APIS:
        raise InputError("--api", f"must be one of {', '.join(APIS)}, not {api!r}")
    if name in NAMED_TARGETS:
        assistant, read = NAMED_TARGETS[name]
        if api == "direct":
            # CE's direct-API tokens are for its own services (registry.md §0.1); allow it for those.
            return Target(name, "direct", read + "/", read, f"direct:{read}")
        return Target(name, "assistant", assistant, read, name)
    if name == "local":
        if settings.local_url:
            return _url_target("local", settings.local_url, api or "direct")
        return Target("local", api or "direct", None, None, f"local:{display_name(str(db_path.resolve()))}")
    if name.startswith(("http://", "https://")):
        return _url_target(name, name, api or "direct")
    raise InputError("--registry", _not_a_target(name))


def registry_problem(value: str) -> str | None:
    """Why ``value`` names no target (``local``, ``sandbox``, ``production`` or a usable http(s) URL)."""
    name = value.strip()
    if name in NAMED_TARGETS or name == "local":
        return None
    if name.startswith(("http://", "https://")):
        return url_problem(name)
    return _not_a_target(name)


def _not_a_target(name: str) -> str:
    return f"expected local, sandbox, production or an http(s) URL, not {name!r}"


def _url_target(name: str, url: str, api: str) -> Target:
    problem = url_problem(url)
    if problem:
        raise InputError("--registry", problem)
    base = url.rstrip("/") + "/"
    # An Assistant at <host>/assistant/ (as the local registry serves it): read /graph from <host>/.
    read = base[: -len("assistant/")] if api == "assistant" and base.endswith("/assistant/") else None
    return Target(name, api, base, read, f"{api}:{base}")


# A URL's user name and password: from the scheme to the last "@" before white space, a quote, "?" or "#" (a password
# holding "@" or "/" is covered whole).
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^\s?#'\"<>]*@")


def redact_userinfo(text: str | None) -> str | None:
    """``text`` with the user name and password of every URL in it replaced by ``***`` (a registry URL, and the
    targets and errors an older version stored with one in the publish journal)."""
    return _USERINFO.sub(r"\1***@", text) if text and "@" in text else text


def url_problem(url: str) -> str | None:
    """Why the HTTP client cannot use ``url`` (a bad port or bracket was a traceback), or None.

    A user name or password in it (``http://user:secret@host``) is refused, shown as ``***``: it would be printed
    in every summary and stored in the journal (which names targets by URL), and the registry takes the API key
    in a header anyway. So are a query string and a fragment (``?api_key=…``): the client adds paths to the base
    URL, which would land in the query (``…?api_key=X/resources/…``); they are not shown either."""
    from urllib.parse import urlsplit

    shown = redact_userinfo(url)
    if shown != url:
        return (f"{shown!r}: a user name or password in the registry URL is not used, and would be shown and "
                f"stored with the URL; remove it, and give the API key in ${DEFAULT_KEY_ENV} (or the variable "
                "--api-key-env names, or api_key in config)")
    cut = re.search(r"[?#]", url)
    if cut:
        shown = url[:cut.end()] + "…"
        return (f"{shown!r}: a registry URL takes no query string (?…) or fragment (#…): give its base "
                f"URL only (an API key goes in ${DEFAULT_KEY_ENV}, --api-key-env or api_key in config)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (parses the port: ValueError when it is not a number in range)
    except ValueError as exc:
        return f"{url!r} is not a usable URL ({exc})"
    if not parts.hostname or any(ch.isspace() for ch in url):
        return f"{url!r} is not a usable URL (no host, or white space in it)"
    return None


def api_key(settings: Settings) -> str | None:
    """The key from the environment variable named by ``api_key_env``, else from config.

    White space around it is dropped (a secret read with ``$(cat key)``, a file ending in a newline); a key
    that still holds a character an HTTP header cannot carry is an InputError naming where it came from,
    raised before any request (requests' own error was a traceback that printed the key)."""
    key = _env_key(settings) or (settings.api_key or "").strip()
    if not key:
        return None
    problem = key_problem(key)
    if problem:
        raise InputError(api_key_source(settings), f"the API key {problem}; an HTTP header cannot carry it "
                         "(the key is not shown)")
    return key


def _env_key(settings: Settings) -> str:
    return os.environ.get(settings.api_key_env, "").strip()


def key_problem(key: str) -> str | None:
    """What in ``key`` an HTTP header cannot carry (never the key itself), or None.

    Header values are ASCII in practice (``http.client`` encodes Latin-1 and refuses line breaks, requests
    refuses control characters); API keys are ASCII, so anything else was pasted in by mistake."""
    for position, char in enumerate(key, 1):
        if char in "\r\n":
            return f"contains a line break (character {position} of {len(key)})"
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return f"contains a control character (character {position} of {len(key)})"
        if ord(char) > 0x7E:
            return f"contains a character that is not ASCII (character {position} of {len(key)})"
    return None


def api_key_source(settings: Settings) -> str:
    """Where ``api_key`` found the key, for messages (never the key): ``$NAME`` or the config file."""
    if _env_key(settings) or not (settings.api_key or "").strip():
        return f"${settings.api_key_env}"
    return f"api_key in {settings.source}" if settings.source else "api_key in config"


def org_option(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_ctid(value)
    except ValueError as exc:
        raise InputError("--org", str(exc)) from None


def state_dir_for(first_input: Path | None) -> Path:
    """``.ctdl/`` inside an input directory, beside an input file, or in the current directory."""
    if first_input is None:
        return Path(STATE_DIR)
    return (first_input if first_input.is_dir() else first_input.parent) / STATE_DIR


def journal_path(settings: Settings, first_input: Path | None) -> Path:
    return settings.journal or state_dir_for(first_input) / "journal.sqlite"


def db_path(settings: Settings, journal: Path) -> Path:
    return settings.db or journal.parent / "registry.sqlite"


def require_cwd(paths: list[Path | None]) -> None:
    """In a current directory that has been removed, a relative path among ``paths`` leads nowhere: an
    InputError naming it (a command given absolute paths goes on)."""
    if any(p is not None and not p.is_absolute() for p in paths) and cwd_gone():
        relative = next(p for p in paths if p is not None and not p.is_absolute())
        raise InputError(Where(str(relative)), f"{CWD_GONE}, and this path is relative to it: {CWD_GONE_HINT}")
