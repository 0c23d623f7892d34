"""A local Credential Registry: the direct Registry API and the Registry Assistant's graph API.

Credential Engine's registry server (Ruby, PostgreSQL, Redis, Sidekiq) cannot run here, so ctdl_tools
ships a stand-in that honours the same HTTP contract (registry.md §4, §5.3): the default target of
``ctdl publish``, the peer of the client's tests, and a registry a state can run for itself.

Stack: Starlette on uvicorn. Starlette is a small, well-kept ASGI toolkit (routing, requests,
responses, nothing else to configure or learn); uvicorn with uvloop and httptools serves well over a
thousand JSON reads a second on one core of this 2-core machine (see benchmarks/bench_registry.py), in
one process, which keeps one SQLite writer per process and no cross-process cache to invalidate.
Storage: SQLite (``--db FILE``) in WAL mode with numbered migrations; see ``store``.

Public API:

* :func:`create_app` ``(db_path, base_url, api_keys=(), orgs=(), gate=None) -> Starlette``
* :func:`serve` ``(host="127.0.0.1", port=0, *, db_path, base_url, api_keys, orgs, gate)`` — foreground
* :func:`start_embedded` ``(db_path, api_key, orgs=(), base_url=None) -> EmbeddedRegistry`` (``.url``,
  ``.stop()``, a context manager) — a background thread on a free loopback port
* ``commands.registry`` — the ``registry`` click group (``registry serve``, ``registry add-key``)
"""

from ctdl_tools.registry.server.app import create_app, parse_org
from ctdl_tools.registry.server.runner import EmbeddedRegistry, serve, start_embedded

__all__ = ["EmbeddedRegistry", "create_app", "parse_org", "serve", "start_embedded"]
