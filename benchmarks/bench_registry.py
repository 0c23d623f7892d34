"""Requests per second of the local registry's ``GET /resources/{ctid}`` under a load generator.

    python benchmarks/bench_registry.py                 # default configuration, 10 s with wrk
    python benchmarks/bench_registry.py --compare       # also asyncio+h11 and no response cache
    python benchmarks/bench_registry.py --duration 5 --connections 64 --json out.json

It starts the registry in a child process (``create_app`` on uvicorn, a fresh SQLite database, access
log off), publishes ``--records`` real-sized graph documents (the Registry Assistant's driving-academy
learning opportunity, ~5 KB, each with its own CTID), then drives ``GET /resources/{ctid}`` over
keep-alive connections, rotating through every CTID, with ``wrk`` (Debian's ``wrk``; a Lua script picks
the CTIDs) or — when wrk is not installed — a multi-process Python client on ``http.client``.
Every response is checked to be 200 (wrk: non-2xx counts are reported; Python client: status checked).

Target: ≥ 1,000 requests/s on a 2-core machine, with the load generator on the same machine. Output: a
Markdown table of configuration, tool, connections, requests, req/s and latency. Exit status 0 when the
default configuration meets the target, 1 when it does not (``--no-strict`` to report only).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "catalogs" / "ra_learningopportunity_160-driving-academy_published.json"
TARGET = 1000.0
ORG = "ce-0a000000-0000-4000-8000-000000000001"
KEY = "bench-key"

# The child: the app exactly as ``serve`` builds it, with the loop, HTTP parser and cache chosen here.
SERVER = """
import sys, uvicorn
from ctdl_tools.registry.server.app import create_app
from ctdl_tools.registry.server.runner import bind_socket, url_for
from ctdl_tools.registry.server.web import LRU
db, loop, http, cache = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "on"
sock = bind_socket("127.0.0.1", 0)
url = url_for("127.0.0.1", sock.getsockname()[1])
app = create_app(db, url, [sys.argv[5]], [sys.argv[6]])
if not cache:
    app.state.ctx.cache = LRU(max_bytes=0)
print(url, flush=True)
uvicorn.Server(uvicorn.Config(app, loop=loop, http=http, lifespan="on", log_level="warning",
                              access_log=False, server_header=False)).run(sockets=[sock])
"""

LUA = """
local ctids = {}
for line in io.lines("%s") do ctids[#ctids + 1] = line end
local i = 0
request = function()
  i = i %% #ctids + 1
  return wrk.format("GET", "/resources/" .. ctids[i], {["Accept"] = "application/json"})
end
"""


@dataclass
class Config:
    name: str
    loop: str
    http: str
    cache: bool


@dataclass
class Result:
    config: str
    tool: str
    connections: int
    seconds: float
    requests: int
    errors: int
    rps: float
    p50_ms: float | None
    p99_ms: float | None


CONFIGS = {
    "default": Config("uvloop + httptools, response LRU (default)", "uvloop", "httptools", True),
    "no-cache": Config("uvloop + httptools, no response LRU", "uvloop", "httptools", False),
    "pure-python": Config("asyncio + h11, response LRU", "asyncio", "h11", True),
}


def documents(count: int) -> list[dict]:
    """``count`` copies of a real Assistant-published graph, each with a fresh CTID."""
    template = SAMPLE.read_text("utf-8-sig")
    old = json.loads(template)["@graph"][0]["ceterms:ctid"]
    return [json.loads(template.replace(old, f"ce-{uuid.uuid4()}")) for _ in range(count)]


def start(config: Config, db: Path) -> tuple[subprocess.Popen, str]:
    child = subprocess.Popen([sys.executable, "-c", SERVER, str(db), config.loop, config.http,
                              "on" if config.cache else "off", KEY, ORG], stdout=subprocess.PIPE, text=True)
    url = child.stdout.readline().strip()  # type: ignore[union-attr]
    if not url.startswith("http://"):
        child.kill()
        raise SystemExit(f"the registry did not start (config {config.name})")
    return child, url


def publish(url: str, docs: list[dict]) -> list[str]:
    ctids = []
    for document in docs:
        request = urllib.request.Request(f"{url}/resources/organizations/{ORG}/documents",
                                         data=json.dumps(document).encode(), method="POST",
                                         headers={"Authorization": f"Token {KEY}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            ctids.append(json.load(response)["envelope_ceterms_ctid"])
    return ctids


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, ctids: list[str], connections: int, seconds: float, name: str) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "ctids.txt"
        listing.write_text("\n".join(ctids) + "\n")
        script = Path(tmp) / "rotate.lua"
        script.write_text(LUA % listing)
        duration = f"-d{max(1, round(seconds))}s"
        command = ["wrk", "-t1", f"-c{connections}", duration, "--latency", "-s", str(script), url]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    elapsed = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors += sum(int(n) for n in re.findall(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                                             out)[0]) if "Socket errors" in out else 0
    p50, p99 = (re.search(rf"^\s+{q}%\s+(\S+)$", out, re.MULTILINE) for q in (50, 99))
    return Result(name, "wrk -t1", connections, elapsed, requests, errors, requests / elapsed,
                  _ms(p50.group(1)) if p50 else None, _ms(p99.group(1)) if p99 else None)


def _client(args: tuple[str, int, list[str], float]) -> tuple[int, int, list[float]]:
    host_port, offset, ctids, deadline = args
    host, port = host_port.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    done = errors = 0
    latencies: list[float] = []
    i = offset
    while time.monotonic() < deadline:
        started = time.perf_counter()
        connection.request("GET", f"/resources/{ctids[i % len(ctids)]}", headers={"Accept": "application/json"})
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        errors += response.status != 200
        done += 1
        i += 1
    connection.close()
    return done, errors, latencies


def run_python(url: str, ctids: list[str], connections: int, seconds: float, name: str) -> Result:
    """Fallback without wrk: ``connections`` processes, one keep-alive connection each."""
    host_port = url.removeprefix("http://")
    started = time.monotonic()
    deadline = started + seconds
    with multiprocessing.get_context("spawn").Pool(connections) as pool:
        parts = pool.map(_client, [(host_port, i * 7, ctids, deadline) for i in range(connections)])
    elapsed = time.monotonic() - started
    latencies = sorted(v for _, _, values in parts for v in values)
    requests = sum(p[0] for p in parts)
    return Result(name, f"python http.client x{connections}", connections, elapsed, requests, sum(p[1] for p in parts),
                  requests / elapsed, latencies[len(latencies) // 2] if latencies else None,
                  latencies[int(len(latencies) * 0.99)] if latencies else None)


def measure(config: Config, records: int, connections: int, seconds: float, tool: str) -> Result:
    with tempfile.TemporaryDirectory() as tmp:
        child, url = start(config, Path(tmp) / "bench.sqlite")
        try:
            ctids = publish(url, documents(records))
            warm = run_wrk if tool == "wrk" else run_python
            warm(url, ctids, min(connections, 4), 1, config.name)  # fill caches, start connections
            return warm(url, ctids, connections, seconds, config.name)
        finally:
            child.terminate()
            child.wait(timeout=10)


def table(results: list[Result]) -> str:
    lines = ["| configuration | load generator | connections | requests | errors | req/s | p50 ms | p99 ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        p50 = f"{r.p50_ms:.2f}" if r.p50_ms is not None else "–"
        p99 = f"{r.p99_ms:.2f}" if r.p99_ms is not None else "–"
        lines.append(f"| {r.config} | {r.tool} | {r.connections} | {r.requests:,} | {r.errors} | {r.rps:,.0f} | "
                     f"{p50} | {p99} |")
    return "\n".join(lines)


def main() -> int:
    # Children must import the installed ctdl_tools: with `-m`/`-c`, Python would put the working directory
    # first on sys.path, and run from a checkout that is the checkout's code, not the copy being timed.
    os.environ["PYTHONSAFEPATH"] = "1"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per configuration")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--records", type=int, default=500, help="documents published before the load")
    parser.add_argument("--compare", action="store_true", help="also measure the slower configurations")
    parser.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    parser.add_argument("--no-strict", dest="strict", action="store_false", help="exit 0 even below the target")
    args = parser.parse_args()
    tool = ("wrk" if shutil.which("wrk") else "python") if args.tool == "auto" else args.tool
    if tool == "python":
        args.connections = min(args.connections, 2 * (os.cpu_count() or 2))  # one process per connection
    names = list(CONFIGS) if args.compare else ["default"]
    results = [measure(CONFIGS[n], args.records, args.connections, args.duration, tool) for n in names]
    print(f"GET /resources/{{ctid}} on {platform.node()} ({os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}); {args.records} documents; server and load generator on this machine.\n")
    print(table(results))
    best = results[0].rps
    print(f"\nTarget ≥ {TARGET:,.0f} req/s (default configuration): {'met' if best >= TARGET else 'NOT met'} "
          f"({best:,.0f} req/s).")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    return 0 if best >= TARGET or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
