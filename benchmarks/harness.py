"""The benchmark harness: builds the data, runs every measurement, writes RESULTS.md.

Every comparison is made in one run, as a ratio, because the machine is shared and noisy.
The load client is the same for every server: ``wrk`` (Debian's package) when it is installed,
else a small Python client (httpx, one thread per connection), named in the results.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from benchmarks.engine import bench_named_engine
from benchmarks.mix import ROOT, Query, lookup_text, mix

BIN = Path(sys.executable).parent
IATP = str(BIN / "iatp-kg")
OXIGRAPH = str(BIN / "oxigraph")
RDFLIB_ENDPOINT = str(BIN / "rdflib-endpoint")
JSON = "application/sparql-results+json"


# ---- processes -----------------------------------------------------------------------------
@dataclass
class Measured:
    seconds: float
    peak_rss: int  # bytes
    returncode: int
    stderr: str


def measured(cmd: list[str], env: dict | None = None, stdout=None) -> Measured:
    """Run ``cmd``; its wall time and peak RSS (from the kernel's rusage of the child)."""
    err = io.BytesIO()
    with open(os.devnull, "wb") as devnull:
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, env=env, stdout=stdout or devnull, stderr=subprocess.PIPE, close_fds=True
        )
        reader = threading.Thread(target=lambda: err.write(proc.stderr.read()), daemon=True)
        reader.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        reader.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(seconds, usage.ru_maxrss * 1024, proc.returncode, err.getvalue().decode())


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_rss(pid: int) -> int:
    try:
        p = psutil.Process(pid)
        return sum(q.memory_info().rss for q in [p, *p.children(recursive=True)])
    except psutil.Error:
        return 0


@dataclass
class Server:
    name: str
    cmd: list[str]
    path: str  # the SPARQL query path
    ready_path: str
    env: dict | None = None
    port: int = 0
    proc: subprocess.Popen | None = None
    cold_start: float = 0.0  # with a backend: from the backend's start until this one answers
    started_at: float = 0.0
    copy_ready: float | None = None  # iatp-kg: seconds from start until queries ran from memory
    idle_rss: int = 0
    peak_rss: int = 0
    # The store this server queries over HTTP (iatp-kg over a remote store): started first,
    # stopped last, and counted in this server's memory.
    backend: Server | None = None
    _log: object = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + self.path

    @property
    def pids(self) -> list[int]:
        """This server's process and its backend's (each with its children in ``tree_rss``)."""
        own = [self.proc.pid] if self.proc is not None else []
        return own + (self.backend.pids if self.backend is not None else [])

    def rss(self) -> int:
        return sum(tree_rss(pid) for pid in self.pids)

    def start(self, log_dir: Path) -> None:
        """Start the backend, then this server; on any failure both are stopped again."""
        started = time.perf_counter()
        try:
            if self.backend is not None:
                self.backend.start(log_dir)
            self._start(log_dir)
        except BaseException:
            self.stop()
            raise
        self.cold_start = time.perf_counter() - started
        self.started_at = started

    def _start(self, log_dir: Path) -> None:
        cmd = [c.replace("{port}", str(self.port)) for c in self.cmd]
        log_path = log_dir / f"{self.name}.log"
        self._log = open(log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + 600
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {log_path}")
            try:
                if httpx.get(self.base + self.ready_path, timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not become ready")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop this server, then its backend (even if stopping this one failed)."""
        try:
            if self.proc is not None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            if self._log is not None:
                self._log.close()
        finally:
            if self.backend is not None:
                self.backend.stop()


class RssSampler:
    """Samples the RSS of process trees (summed) in a thread; keeps the highest."""

    def __init__(self, pids: list[int]) -> None:
        self.pids, self.peak, self._stop = pids, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, sum(tree_rss(pid) for pid in self.pids))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


# ---- the load client -----------------------------------------------------------------------
@dataclass
class LoadResult:
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    rps: float = float("nan")
    errors: int = 0
    requests: int = 0
    note: str = ""


def _lua(query: Query, size: int) -> str:
    text = query.text.replace("]]", "] ]")
    if query.varying:
        return f"""
local tmpl = [[{text}]]
init = function(args) math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6)) end
request = function()
  local body = string.gsub(tmpl, "{{n}}", tostring(math.random(0, {size - 1})))
  return wrk.format("POST", nil, nil, body)
end
wrk.headers["Content-Type"] = "application/sparql-query"
wrk.headers["Accept"] = "{JSON}"
"""
    if query.repeat:
        return f"""
wrk.method = "POST"
wrk.body = [[{text}]]
wrk.headers["Content-Type"] = "application/sparql-query"
wrk.headers["Accept"] = "{JSON}"
"""
    # a unique comment on every request (per thread: a random id and a counter)
    return f"""
local body = [[{text}]]
local id, counter = 0, 0
init = function(args)
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6))
  id = math.random(1, 1000000000)
end
request = function()
  counter = counter + 1
  return wrk.format("POST", nil, nil, body .. "\\n# " .. id .. "-" .. counter)
end
wrk.headers["Content-Type"] = "application/sparql-query"
wrk.headers["Accept"] = "{JSON}"
"""


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def wrk(url: str, query: Query, size: int, clients: int, seconds: float, work: Path) -> LoadResult:
    script = work / "mix.lua"
    script.write_text(_lua(query, size), encoding="utf-8")
    threads = min(clients, 2)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "60s", "--latency",
         "-s", str(script), url],
        capture_output=True, text=True, timeout=seconds + 120,
    )  # fmt: skip
    if ".lua:" in out.stderr:  # a broken script: wrk would send its default request instead
        raise RuntimeError(f"wrk script error: {out.stderr.strip()}")
    out = out.stdout
    r = LoadResult()
    for pct, attr in (("50%", "p50_ms"), ("99%", "p99_ms")):
        m = re.search(rf"^\s+{re.escape(pct)}\s+(\S+)", out, re.M)
        if m:
            setattr(r, attr, _ms(m.group(1)))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r.rps = float(m.group(1)) if m else float("nan")
    m = re.search(r"(\d+) requests in", out)
    r.requests = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r.errors = int(m.group(1)) if m else 0
    m = re.search(r"timeout (\d+)", out)
    r.errors += int(m.group(1)) if m else 0
    return r


def combined(reps: list[LoadResult]) -> LoadResult:
    """Timed runs of one query, server and concurrency as one figure: the medians."""
    return LoadResult(
        median([r.p50_ms for r in reps]), median([r.p99_ms for r in reps]),
        median([r.rps for r in reps]), sum(r.errors for r in reps), sum(r.requests for r in reps),
    )  # fmt: skip


def wait_for_memory_copy(server: Server, timeout: float) -> float | None:
    """Query iatp-kg until its workers answer from their in-memory copies (``/health``
    counts the answers); the seconds from the server's start, or None if never."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ask = f"ASK {{ ?s ?p ?o }} # {random.randrange(10**12)}"  # past the result cache
        httpx.post(server.base + "/sparql", data={"query": ask}, timeout=60)
        answered = httpx.get(server.base + "/health", timeout=60).json().get("queries_answered")
        if not answered or "memory" not in answered:  # no in-memory copies (a remote store)
            return None
        if answered["memory"] > 0:
            return time.perf_counter() - server.started_at
        time.sleep(0.5)
    return None


def python_client(url: str, query: Query, size: int, clients: int, seconds: float) -> LoadResult:
    """The fallback load client: ``clients`` threads, each one keep-alive connection."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def one() -> None:
        rng = random.Random()
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < stop:
                if query.varying:
                    body = query.text.replace("{n}", str(rng.randrange(size)))
                elif query.repeat:
                    body = query.text
                else:  # no cache can help
                    body = f"{query.text}\n# {rng.randrange(10**12)}"
                t = time.perf_counter()
                resp = client.post(
                    url,
                    content=body.encode(),
                    headers={"Content-Type": "application/sparql-query", "Accept": JSON},
                )
                dt = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(dt)
                    errors[0] += resp.status_code >= 400

    started = time.monotonic()
    threads = [threading.Thread(target=one) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    r = LoadResult(requests=len(latencies), errors=errors[0])
    if latencies:
        r.p50_ms = latencies[len(latencies) // 2]
        r.p99_ms = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        r.rps = len(latencies) / elapsed
    return r


def probe(
    url: str, query: Query, size: int, timeout: float, salt: int = 0
) -> tuple[float, int | None, str]:
    """One request: seconds, result rows, and an error text if it failed.

    ``salt`` makes the request differ from the others as the timed runs do (another IRI, or a
    comment), so that a server's result cache cannot answer it; queries of the "repeated" group
    stay identical, since the cache is what they measure.
    """
    if query.varying:
        body = query.text.replace("{n}", str((size // 2 + salt) % size))
    elif query.repeat or not salt:
        body = query.text
    else:
        body = f"{query.text}\n# probe {salt}"
    t = time.perf_counter()
    try:
        resp = httpx.post(
            url,
            content=body.encode(),
            headers={"Content-Type": "application/sparql-query", "Accept": JSON},
            timeout=timeout,
        )
    except httpx.TimeoutException:
        return timeout, None, f"over {timeout:g} s"
    dt = time.perf_counter() - t
    if resp.status_code != 200:
        return dt, None, f"HTTP {resp.status_code}"
    try:
        data = resp.json()
        rows = len(data["results"]["bindings"]) if "results" in data else 1
    except ValueError:
        return dt, None, "not JSON"
    return dt, rows, ""


# ---- the run -------------------------------------------------------------------------------
@dataclass
class Run:
    args: argparse.Namespace
    work: Path
    sections: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    client: str = "wrk"

    def log(self, text: str) -> None:
        print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def build_data(run: Run) -> dict:
    a, w = run.args, run.work
    store = w / "iatp"
    data = w / "data.nq"
    if store.exists() and data.exists() and (w / f"size-{a.size}").exists():
        run.log("reusing the data of a previous run")
    else:
        shutil.rmtree(w, ignore_errors=True)
        w.mkdir(parents=True)
        run.log("seeding the store")
        r = measured([IATP, "ingest", "--seed", "--store", str(store)])
        assert r.returncode == 0, r.stderr
        run.log(f"generating and bulk-loading {a.size:,} synthetic initiatives")
        r = measured([IATP, "ingest", "synthetic", "--size", str(a.size), "--random-seed",
                      str(a.seed), "--no-validate", "--store", str(store)])  # fmt: skip
        assert r.returncode == 0, r.stderr
        (w / "ingest-synthetic.txt").write_text(f"{r.seconds} {r.peak_rss}\n")
        r = measured([IATP, "export", "--format", "nq", "-o", str(data), "--store", str(store)])
        assert r.returncode == 0, r.stderr
        (w / f"size-{a.size}").touch()
    triples = sum(1 for _ in data.open("rb"))
    seconds, rss = (float(x) for x in (w / "ingest-synthetic.txt").read_text().split())
    return {"store": store, "data": data, "triples": triples, "ingest": (seconds, rss)}


def bench_loading(run: Run, d: dict) -> None:
    a, w = run.args, run.work
    rows = {"iatp-kg load --no-validate": [], "pyoxigraph bulk_load (direct)": [],
            "oxigraph load (CLI)": []}  # fmt: skip
    rss = {k: [] for k in rows}
    for i in range(a.repeats):
        run.log(f"loading, repeat {i + 1}")
        for name in rows:
            target = w / "load-target"
            shutil.rmtree(target, ignore_errors=True)
            if name.startswith("iatp-kg"):
                cmd = [IATP, "load", "--no-validate", str(d["data"]), "--store", str(target)]
            elif name.startswith("pyoxigraph"):
                cmd = [sys.executable, "-c", "import pyoxigraph as ox, sys; "
                       "ox.Store(sys.argv[1]).bulk_load(path=sys.argv[2], format=ox.RdfFormat.N_QUADS)",
                       str(target), str(d["data"])]  # fmt: skip
            else:
                cmd = [OXIGRAPH, "load", "--location", str(target), "--file", str(d["data"])]
            r = measured(cmd)
            assert r.returncode == 0, r.stderr
            rows[name].append(r.seconds)
            rss[name].append(r.peak_rss)
    raw = d["triples"] / median(rows["pyoxigraph bulk_load (direct)"])
    lines = [
        "| loader | median s | triples/s | vs bulk_load | peak RSS |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, secs in rows.items():
        rate = d["triples"] / median(secs)
        lines.append(
            f"| {name} | {median(secs):.2f} | {rate:,.0f} | {rate / raw:.2f}× | {_mib(median(rss[name]))} |"
        )
    s, r = d["ingest"]
    lines.append(
        f"| iatp-kg ingest synthetic (generate + bulk load, once) | {s:.2f} | {d['triples'] / s:,.0f} | {d['triples'] / s / raw:.2f}× | {_mib(r)} |"
    )
    run.sections["Loading"] = lines


def bench_validation(run: Run, d: dict) -> None:
    a = run.args
    lines = [
        "| engine | runs | median s | peak RSS | violations found | vs pyshacl |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    results = {}
    for engine, repeats in (("pyshacl", 1 if a.size >= 5000 else a.repeats), ("sparql", a.repeats)):
        if engine == "pyshacl" and a.skip_pyshacl:
            continue
        secs, rss = [], []
        for i in range(repeats):
            run.log(f"validation with {engine}, run {i + 1}")
            r = measured(
                [
                    IATP,
                    "validate",
                    "--engine",
                    engine,
                    "--report-format",
                    "json",
                    "--store",
                    str(d["store"]),
                ]
            )
            assert r.returncode in (0, 1), r.stderr
            secs.append(r.seconds)
            rss.append(r.peak_rss)
        count = len(violations(engine, d["store"])) if engine == "sparql" else None
        results[engine] = (median(secs), median(rss), repeats, count)
    base = results.get("pyshacl", (float("nan"),))[0]
    for engine, (s, r, n, count) in results.items():
        lines.append(
            f"| {engine} | {n} | {s:.1f} | {_mib(r)} | {'' if count is None else count} | "
            + (f"{base / s:.1f}× faster |" if base == base else "— (pyshacl not run) |")
            if engine != "pyshacl"
            else f"| {engine} | {n} | {s:.1f} | {_mib(r)} | | 1× |"
        )
    if "pyshacl" in results:
        lines += ["", *validation_parity(run)]
    run.sections["Validation of the whole store"] = lines


DEFECTS = 0.05  # the share of synthetic blocks given a known defect for the parity check


def violations(engine: str, store: Path) -> list[tuple[str, str, str]]:
    """``iatp-kg validate --engine ENGINE``'s violations, as sorted (focus, path, component)."""
    out = subprocess.run(
        [IATP, "validate", "--engine", engine, "--report-format", "json", "--store", str(store)],
        capture_output=True,
        text=True,
    )
    assert out.returncode in (0, 1), out.stderr
    found = json.loads(out.stdout)["violations"]

    def path(v: dict) -> str:  # a sequence path is a blank node (a label with no scheme)
        p = v.get("resultPath") or ""
        return "_:blank" if (p and ":" not in p) or p.startswith("_:") else p

    return sorted((v["focusNode"], path(v), v["sourceConstraintComponent"]) for v in found)


def validation_parity(run: Run) -> list[str]:
    """Both engines over a store of the run's size with known defects: the same violations?"""
    a = run.args
    store = run.work / "defective"
    if not store.exists():
        run.log(f"building a store with {DEFECTS:.0%} defective blocks for the parity check")
        for args in (["--seed"], ["synthetic", "--size", str(a.size), "--random-seed", str(a.seed),
                                  "--defects", str(DEFECTS), "--no-validate"]):  # fmt: skip
            r = measured([IATP, "ingest", *args, "--store", str(store)])
            assert r.returncode == 0, r.stderr
    found = {}
    for engine in ("pyshacl", "sparql"):
        run.log(f"parity: validation with {engine} over the defective store")
        found[engine] = violations(engine, store)
    same = found["pyshacl"] == found["sparql"]
    return [
        f"Agreement, over a second store of the same size with {DEFECTS:.0%} of the synthetic "
        f"blocks given a known defect (`ingest synthetic --defects {DEFECTS}`): pyshacl found "
        f"{len(found['pyshacl']):,} violations, the SPARQL engine {len(found['sparql']):,}; "
        + (
            "the same ones (focus node, path and constraint component of each)."
            if same
            else "**not the same ones** ("
            + f"{len(set(found['pyshacl']) - set(found['sparql']))} only from pyshacl, "
            + f"{len(set(found['sparql']) - set(found['pyshacl']))} only from the SPARQL engine)."
        )
    ]


def bench_exports(run: Run, d: dict) -> None:
    lines = ["| format | median s | triples/s | peak RSS |", "|---|---:|---:|---:|"]
    for fmt in ("nq", "jsonld"):
        secs, rss = [], []
        for _ in range(run.args.repeats):
            out = run.work / f"export.{fmt}"
            r = measured(
                [IATP, "export", "--format", fmt, "-o", str(out), "--store", str(d["store"])]
            )
            assert r.returncode == 0, r.stderr
            secs.append(r.seconds)
            rss.append(r.peak_rss)
        lines.append(
            f"| {fmt} (`iatp-kg export`) | {median(secs):.2f} | {d['triples'] / median(secs):,.0f} | {_mib(median(rss))} |"
        )
    run.sections["Exports (command line)"] = lines


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


EMBEDDED = "iatp-kg"
REMOTE = "iatp-kg (remote: oxigraph serve)"


def servers(run: Run, d: dict) -> list[Server]:
    w = run.work
    disk = w / "oxigraph-disk"
    if not disk.exists():
        r = measured([OXIGRAPH, "load", "--location", str(disk), "--file", str(d["data"])])
        assert r.returncode == 0, r.stderr
    timeout = 120
    env = {**os.environ, "IATP_KG_QUERY_TIMEOUT": str(timeout), "IATP_KG_MAX_RESULT_ROWS": "0"}
    # iatp-kg over a remote store: `oxigraph serve` (no union default graph: iatp-kg names the
    # public graphs itself) over a fresh copy of the benchmark store, so that the embedded one
    # is not touched; its own time limit a little above iatp-kg's (README, "A remote SPARQL store")
    copy = w / "iatp-remote"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(d["store"], copy)
    remote = Server("oxigraph serve (the remote store)", [OXIGRAPH, "serve", "--location", str(copy), "--bind", "127.0.0.1:{port}", "--timeout-s", str(timeout + 5)], "/query", "/query?query=ASK%7B%7D", port=free_port())  # fmt: skip
    out = [
        Server(EMBEDDED, [IATP, "serve", "--store", str(d["store"]), "--port", "{port}"], "/sparql", "/health", env),
        Server(REMOTE, [IATP, "serve", "--port", "{port}"], "/sparql", "/health", {**env, "IATP_KG_STORE": f"sparql:{remote.base}"}, backend=remote),
        Server("oxigraph serve (memory)", [OXIGRAPH, "serve", "--bind", "127.0.0.1:{port}", "--union-default-graph"], "/query", "/query?query=ASK%7B%7D"),
        Server("oxigraph serve-read-only (disk)", [OXIGRAPH, "serve-read-only", "--location", str(disk), "--bind", "127.0.0.1:{port}", "--union-default-graph"], "/query", "/query?query=ASK%7B%7D"),
    ]  # fmt: skip
    if run.args.size <= run.args.rdflib_max_size:
        out.append(Server("rdflib-endpoint", [RDFLIB_ENDPOINT, "serve", str(d["data"]), "--host", "127.0.0.1", "--port", "{port}"], "/", "/?query=ASK%7B%7D"))  # fmt: skip
    for s in out:
        s.port = free_port()
    return out


CEILING = [
    # (name, the ASGI app in benchmarks/ceiling.py, a path that answers when it is ready)
    ("a bare ASGI app, a fixed answer (no framework, no query)", "raw_app", "/"),
    ("a FastAPI route, a fixed answer (no query)", "fastapi_app", "/"),
    ("FastAPI + pyoxigraph in memory in the server process (no time limit)", "engine_app", "/health"),
]  # fmt: skip


def bench_ceiling(run: Run, d: dict, h: dict | None) -> None:
    """The lookup target against what a Python server can do here at all (ceiling.py)."""
    if run.client != "wrk":
        return
    a = run.args
    lookup = next(q for q in mix() if q.name == "lookup-by-iri")
    env = {**os.environ, "IATP_BENCH_DATA": str(d["data"]), "PYTHONPATH": str(ROOT)}
    figures: dict[tuple[str, int], LoadResult] = {}
    for name, app, ready in CEILING:
        run.log(f"ceiling: {name}")
        cmd = [sys.executable, "-m", "uvicorn", f"benchmarks.ceiling:{app}", "--host", "127.0.0.1", "--port", "{port}", "--no-access-log", "--no-server-header", "--log-level", "warning"]  # fmt: skip
        server = Server(name, cmd, "/sparql", ready, env, port=free_port())
        server.start(run.work)
        try:
            for clients in (1, 4):
                reps = [
                    wrk(server.url, lookup, a.size, clients, a.duration, run.work)
                    for _ in range(a.load_repeats)
                ]
                figures[(name, clients)] = combined(reps)
        finally:
            server.stop()
    order = ["oxigraph serve (memory)"] + [name for name, _, _ in CEILING] + [EMBEDDED]
    if h:
        for name in (order[0], order[-1]):
            for clients in (1, 4):
                r = h["results"].get((name, "lookup-by-iri", clients))
                if r:
                    figures[(name, clients)] = r
    ref = figures.get(("oxigraph serve (memory)", 4))
    lines = [
        "| server | p50 ms (1 client) | req/s (1) | req/s (4) | × oxigraph serve (memory), 4 clients | non-2xx |",
        "|---|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for name in order:
        one, four = figures.get((name, 1)), figures.get((name, 4))
        if not one or not four:
            continue
        ratio = f"{four.rps / ref.rps:.2f}×" if ref and ref.rps else "—"
        lines.append(
            f"| {name} | {one.p50_ms:.2f} | {one.rps:,.0f} | {four.rps:,.0f} | {ratio} | "
            f"{one.errors + four.errors} |"
        )
    lines += [
        "",
        "The same client (wrk) and the same lookups (a different IRI on every request) for every "
        "row; the three middle rows are the small apps of `benchmarks/ceiling.py` under uvicorn "
        "with uvloop and httptools, as `iatp-kg serve` runs. The first bare row is the most any "
        "Python ASGI server answers on these two cores, shared with the client.",
    ]
    run.sections["Lookups: the ceiling of a Python server on this machine"] = lines


def bench_http(run: Run, d: dict) -> dict:
    a, w = run.args, run.work
    queries = mix()
    results: dict[tuple[str, str, int], LoadResult] = {}
    rows: dict[tuple[str, str], tuple[float, int | None, str]] = {}
    info = {}
    for server in servers(run, d):
        run.log(f"starting {server.name}")
        server.start(w)
        try:
            if server.name == "oxigraph serve (memory)":
                started = time.perf_counter()
                with d["data"].open("rb") as fh:
                    resp = httpx.post(
                        server.base + "/store",
                        content=fh.read(),
                        headers={"Content-Type": "application/n-quads"},
                        timeout=600,
                    )
                resp.raise_for_status()
                server.cold_start += time.perf_counter() - started
            if server.name == EMBEDDED:
                started = time.perf_counter()
                server.copy_ready = wait_for_memory_copy(server, timeout=1800)
                run.log(
                    f"  in-memory copies ready after {time.perf_counter() - started:.1f} s more"
                )
            time.sleep(1)
            server.idle_rss = server.rss()
            with RssSampler(server.pids) as sampler:
                for q in queries:
                    dt, nrows, error = probe(server.url, q, a.size, a.probe_timeout)
                    rows[(server.name, q.name)] = (dt, nrows, error)
                    if error:
                        run.log(f"  {q.name}: {error}")
                        continue
                    for clients in (1, 4):
                        if dt > a.duration / 3:  # too slow for a timed run: sequential samples
                            if clients == 4:
                                continue
                            samples = [dt] + [
                                probe(server.url, q, a.size, a.probe_timeout, salt)[0]
                                for salt in (1, 2)
                            ]
                            results[(server.name, q.name, 1)] = LoadResult(
                                median(samples) * 1000,
                                max(samples) * 1000,
                                1 / median(samples),
                                0,
                                3,
                                "3 sequential requests",
                            )
                            continue
                        reps = []
                        for _ in range(a.load_repeats):
                            if run.client == "wrk":
                                reps.append(wrk(server.url, q, a.size, clients, a.duration, w))
                            else:
                                reps.append(
                                    python_client(server.url, q, a.size, clients, a.duration)
                                )
                        results[(server.name, q.name, clients)] = combined(reps)
                    run.log(
                        f"  {q.name}: p50 {results.get((server.name, q.name, 1), LoadResult()).p50_ms:.2f} ms"
                    )
            server.peak_rss = sampler.peak
        finally:
            server.stop()
        info[server.name] = server
    return {"results": results, "rows": rows, "servers": info, "queries": queries}


REGISTRATIONS = 40  # one after another, on each iatp-kg server
REST_ROUTES = [
    # (name, path template; {n} is a different initiative on every request)
    ("detail (JSON-LD, framed)", "/api/v1/initiatives/synthetic-{n}", True),
    ("detail (GeoJSON)", "/api/v1/initiatives/synthetic-{n}.geojson", True),
    ("list, first page", "/api/v1/initiatives?limit=20", False),
    (
        "list, filtered (country, kind)",
        "/api/v1/initiatives?country=CO&kind=cluster&limit=20",
        False,
    ),
    ("list, free text", "/api/v1/initiatives?q=cafe&limit=20", False),
    ("list, GeoJSON 500", "/api/v1/initiatives.geojson?limit=500", False),
    ("list, CSV 500", "/api/v1/initiatives.csv?limit=500", False),
]


def _rest_lua(path: str, varying: bool, size: int) -> str:
    if varying:
        return f"""
init = function(args) math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6)) end
request = function()
  local path = string.gsub("{path}", "{{n}}", tostring(math.random(0, {size - 1})))
  return wrk.format("GET", path)
end
"""
    return f'wrk.method = "GET"\nwrk.path = "{path}"\n'


def bench_rest(run: Run, d: dict) -> None:
    """The REST facade on this project's server, over the embedded store and over the remote
    one: lists and details, 1 and 4 clients, then one registration at a time."""
    w = run.work
    rows: dict[tuple[str, str], str] = {}  # (route, server): the row
    registrations: list[str] = []
    memory: list[str] = []
    for server in [s for s in servers(run, d) if s.name in (EMBEDDED, REMOTE)]:
        run.log(f"starting {server.name} for the REST facade")
        server.start(w)
        try:
            ready = "—"
            if server.name == EMBEDDED:  # as for /sparql: measure the server settled
                copy = wait_for_memory_copy(server, timeout=1800)
                ready = "—" if copy is None else f"{copy:.1f}"
            time.sleep(1)
            idle = server.rss()
            with RssSampler(server.pids) as sampler:
                for name, path, varying in REST_ROUTES:
                    rows[(name, server.name)] = f"| {name} | {server.name} | " + rest_route(
                        run, server, path, varying
                    )
                    run.log(f"  REST {name}: {rows[(name, server.name)]}")
                registrations.append(bench_registration(run, server))
            memory.append(
                f"| {server.name} | {server.cold_start:.2f} | {ready} | {_mib(idle)} "
                f"| {_mib(sampler.peak)} |"
            )
        finally:
            server.stop()
    lines = [
        "Every figure is a median of the timed runs; `{n}` varies on every request (no cache "
        "can help). The first request of each list builds the index for the store version "
        "(one pass over the data); its time is given apart.",
        "",
        "| route | server | first request ms | p50 ms (1 client) | req/s (1) | p50 ms (4 clients) | req/s (4) | non-2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    for name, _, _ in REST_ROUTES:
        lines += [row for (route, _), row in rows.items() if route == name]
    run.sections["REST facade (this project's server)"] = lines
    count = REGISTRATIONS
    run.sections["One registration (validate and write)"] = [
        f"{count} registrations one after another (POST /api/v1/registrations, each a new "
        "initiative, validated against the shapes with the store's content, written to its "
        "private graph).",
        "",
        "| server | initiatives in the store | p50 ms | p99 ms | accepted (202) |",
        "|---|---:|---:|---:|---:|",
        *registrations,
    ]
    run.sections["Servers during the REST runs: cold start and memory"] = [
        "The same figures as for the SPARQL mix, taken around the REST runs and the "
        "registrations (a run that skips the SPARQL mix still has them). Memory: the server "
        "with its query workers, and with its backend for the remote store.",
        "",
        "| server | cold start s | in-memory copies ready s | RSS idle | RSS peak under load |",
        "|---|---:|---:|---:|---:|",
        *memory,
    ]


def rest_route(run: Run, server: Server, path: str, varying: bool) -> str:
    """One route's cells: its first request, then wrk at 1 and 4 clients."""
    a, w = run.args, run.work
    started = time.perf_counter()
    try:  # the first request of a route may build the index: give it time
        resp = httpx.get(server.base + path.replace("{n}", "0"), timeout=max(a.probe_timeout, 600))
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__} | | | | | |"
    first_ms = (time.perf_counter() - started) * 1000
    if resp.status_code != 200:
        return f"HTTP {resp.status_code} | | | | | |"
    figures = {}
    for clients in (1, 4):
        script = w / "rest.lua"
        script.write_text(_rest_lua(path, varying, a.size), encoding="utf-8")
        reps = []
        for _ in range(a.load_repeats):
            out = subprocess.run(
                ["wrk", f"-t{min(clients, 2)}", f"-c{clients}", f"-d{max(1, round(a.duration))}s",
                 "--timeout", "60s", "--latency", "-s", str(script), server.base],
                capture_output=True, text=True, timeout=a.duration + 120,
            ).stdout  # fmt: skip
            r = LoadResult()
            m = re.search(r"^\s+50%\s+(\S+)", out, re.M)
            r.p50_ms = _ms(m.group(1)) if m else float("nan")
            m = re.search(r"Requests/sec:\s+([\d.]+)", out)
            r.rps = float(m.group(1)) if m else float("nan")
            m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            r.errors = int(m.group(1)) if m else 0
            reps.append(r)
        figures[clients] = LoadResult(
            median([r.p50_ms for r in reps]), float("nan"), median([r.rps for r in reps]),
            sum(r.errors for r in reps),
        )  # fmt: skip
    return (
        f"{first_ms:.0f} | {figures[1].p50_ms:.2f} | {figures[1].rps:.0f} | "
        f"{figures[4].p50_ms:.2f} | {figures[4].rps:.0f} | {figures[1].errors + figures[4].errors} |"
    )


def bench_registration(run: Run, server: Server, count: int = REGISTRATIONS) -> str:
    """One registration at a time (validated against the shapes and the store, then written
    to its private graph): latency of ``count`` sequential POSTs, each a new initiative; the
    table row."""
    box = httpx.post(
        server.base + "/sparql",
        data={
            "query": "SELECT ?s ?n ?w ?e WHERE { <https://w3id.org/iatp/id/country/co> "
            "geo:hasBoundingBox ?b . ?b iatp:minLatitude ?s ; iatp:maxLatitude ?n ; "
            "iatp:minLongitude ?w ; iatp:maxLongitude ?e }"
        },
        headers={"Accept": JSON},
        timeout=120,
    ).json()["results"]["bindings"][0]
    lat = (float(box["s"]["value"]) + float(box["n"]["value"])) / 2
    lon = (float(box["w"]["value"]) + float(box["e"]["value"])) / 2
    samples, statuses = [], []
    with httpx.Client(base_url=server.base, timeout=120) as client:
        for i in range(count):
            body = {
                "name": f"Clúster de Medición {run.args.seed}-{i}-{random.randrange(10**9)}",
                "kind": "cluster", "country": "CO", "subdivision": "CO-ANT", "city": "Medellín",
                "latitude": lat, "longitude": lon, "sectors": ["62"],
                "description": "Una inscripción de la medición.", "founded": 2015,
                "coordinator": "Cámara de Medición", "coordinator_sector": "private",
                "members": [{"name": "Universidad de Medición", "sector": "academic"}],
                "lines_of_action": ["training"], "contact_name": "Persona de Medición",
                "contact_email": "medicion@example.org",
            }  # fmt: skip
            t = time.perf_counter()
            r = client.post("/api/v1/registrations", json=body)
            samples.append((time.perf_counter() - t) * 1000)
            statuses.append(r.status_code)
    samples.sort()
    ok = sum(1 for c in statuses if c == 202)
    run.log(f"  registration: p50 {samples[len(samples) // 2]:.1f} ms, {ok}/{count} accepted")
    return (
        f"| {server.name} | {run.args.size:,} | {samples[len(samples) // 2]:.1f} | "
        f"{samples[min(len(samples) - 1, int(len(samples) * 0.99))]:.1f} | {ok} of {count} |"
    )


def http_tables(run: Run, h: dict) -> None:
    ref = "oxigraph serve (memory)"
    names = list(h["servers"])
    queries: list[Query] = h["queries"]
    res = h["results"]
    lines = []
    header = "| query | group | " + " | ".join(f"{n} p50 / p99 ms" for n in names) + " |"
    lines += [header, "|---|---|" + "---:|" * len(names)]
    for q in queries:
        cells = []
        for n in names:
            r = res.get((n, q.name, 1))
            err = h["rows"].get((n, q.name), (0, None, ""))[2]
            cells.append(err or ("—" if r is None else f"{r.p50_ms:.2f} / {r.p99_ms:.2f}"))
        lines.append(f"| {q.name} | {q.group} | " + " | ".join(cells) + " |")
    run.sections["SPARQL over HTTP: latency at 1 client"] = lines

    for clients in (1, 4):
        lines = [
            "| query | " + " | ".join(f"{n} req/s (×)" for n in names) + " |",
            "|---|" + "---:|" * len(names),
        ]
        for q in queries:
            base = res.get((ref, q.name, clients))
            cells = []
            for n in names:
                r = res.get((n, q.name, clients))
                if r is None:
                    cells.append(h["rows"].get((n, q.name), (0, None, ""))[2] or "—")
                    continue
                ratio = (
                    f" ({r.rps / base.rps:.2f}×)"
                    if base and base.rps == base.rps and base.rps > 0
                    else ""
                )
                cells.append(f"{r.rps:,.1f}{ratio}" + (f" ⚠ {r.errors} errors" if r.errors else ""))
            lines.append(f"| {q.name} | " + " | ".join(cells) + " |")
        run.sections[
            f"SPARQL over HTTP: throughput at {clients} client{'s' if clients > 1 else ''} (ratio to {ref})"
        ] = lines

    # geometric means of the ratios per group, at 4 clients (1 client when 4 was not run)
    lines = [
        "| server | lookups by IRI | scans and aggregates (geomean) | scans vs serve-read-only (geomean) | repeated identical queries (geomean) | vs rdflib-endpoint (geomean) |",
        "|---|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for n in names:

        def ratio(q, other, n=n):
            for c in (4, 1):
                a, b = res.get((n, q.name, c)), res.get((other, q.name, c))
                if a and b and a.rps > 0 and b.rps > 0 and a.rps == a.rps and b.rps == b.rps:
                    return a.rps / b.rps
            return None

        look = [ratio(q, ref) for q in queries if q.group == "lookup"]
        scans = [
            x
            for x in (ratio(q, ref) for q in queries if q.group not in ("lookup", "repeated"))
            if x
        ]
        repeated = [x for x in (ratio(q, ref) for q in queries if q.group == "repeated") if x]
        disk = [
            x
            for x in (
                ratio(q, "oxigraph serve-read-only (disk)")
                for q in queries
                if q.group not in ("lookup", "repeated")
            )
            if x
        ]
        rdf = (
            [x for x in (ratio(q, "rdflib-endpoint") for q in queries) if x]
            if "rdflib-endpoint" in names
            else []
        )
        lines.append(
            f"| {n} | {_fmt(look[0] if look else None)} | {_fmt(_geo(scans))} | {_fmt(_geo(disk))} "
            f"| {_fmt(_geo(repeated))} | {_fmt(_geo(rdf)) if rdf else '—'} |"
        )
    run.sections["Summary: ratios to oxigraph serve (memory), 4 clients"] = lines

    lines = [
        "| server | cold start s | in-memory copies ready s | RSS idle | RSS peak under load |",
        "|---|---:|---:|---:|---:|",
    ]
    for n, s in h["servers"].items():
        ready = "—" if s.copy_ready is None else f"{s.copy_ready:.1f}"
        lines.append(
            f"| {n} | {s.cold_start:.2f} | {ready} | {_mib(s.idle_rss)} | {_mib(s.peak_rss)} |"
        )
    lines += [
        "",
        f"{REMOTE}: both processes, iatp-kg and the `oxigraph serve` it queries (cold start "
        "from the start of `oxigraph serve` until iatp-kg answers; memory summed).",
    ]
    run.sections["Servers: cold start and memory (process and its workers)"] = lines

    rows = h["rows"]
    mismatches = []
    for q in queries:
        counts = {n: rows.get((n, q.name), (0, None, ""))[1] for n in names}
        known = {c for c in counts.values() if c is not None}
        if len(known) > 1:
            mismatches.append(f"{q.name}: " + ", ".join(f"{n} {c}" for n, c in counts.items()))
    if mismatches:
        run.notes.append(
            "Result sizes that differ between servers (one probe each): " + "; ".join(mismatches)
        )


def _geo(values: list[float]) -> float | None:
    values = [v for v in values if v]
    if not values:
        return None
    return float(statistics.geometric_mean(values))


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×"


def bench_breakdown(run: Run, d: dict, h: dict | None) -> None:
    """Where a lookup's time goes: the engine alone, the executor's round trip, then HTTP."""
    import pyoxigraph as ox

    from iatp_kg.executor import Executor, QueryJob

    a = run.args
    rng = random.Random(0)
    n = 2000

    def timed(fn) -> float:
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn(lookup_text(rng.randrange(a.size)))
            samples.append((time.perf_counter() - t) * 1000)
        return median(samples)

    disk = ox.Store.read_only(str(d["store"]))
    graphs = [g for g in disk.named_graphs()]

    def raw(store, listed):
        def go(text):
            buf = io.BytesIO()
            result = store.query(
                text,
                default_graph=graphs if listed else None,
                use_default_graph_as_union=not listed,
            )
            result.serialize(buf, ox.QueryResultsFormat.JSON)

        return go

    mem = ox.Store()
    mem.bulk_load(path=str(d["data"]), format=ox.RdfFormat.N_QUADS)
    rows = [
        ("pyoxigraph, in memory, union default graph, JSON serialised", timed(raw(mem, False))),
        ("pyoxigraph, on disk (read-only), union default graph", timed(raw(disk, False))),
        (
            "pyoxigraph, on disk, the public graphs listed as default graph (as a worker does "
            "until its in-memory copy is ready)",
            timed(raw(disk, True)),
        ),
    ]

    async def executor_p50() -> float:
        ex = Executor(d["store"], workers=2, timeout=60)  # no in-memory copy: the disk
        await ex.start()
        try:
            samples = []
            for _ in range(n):
                text = lookup_text(rng.randrange(a.size))
                t = time.perf_counter()
                await ex.collect(QueryJob(query=text, media_type=JSON), "v")
                samples.append((time.perf_counter() - t) * 1000)
            return median(samples)
        finally:
            await ex.stop()

    rows.append(
        (
            "executor round trip (worker process reading the disk, pipe, asyncio)",
            asyncio.run(executor_p50()),
        )
    )
    if h:
        for name in (EMBEDDED, REMOTE, "oxigraph serve (memory)"):
            r = h["results"].get((name, "lookup-by-iri", 1))
            if r:
                rows.append((f"HTTP, {name}, 1 client (wrk p50)", r.p50_ms))
    lines = ["| layer | p50 ms |", "|---|---:|"] + [f"| {k} | {v:.3f} |" for k, v in rows]
    run.sections["Where a lookup's time goes (p50 over 2,000 random IRIs)"] = lines


def write_results(run: Run, d: dict) -> None:
    a = run.args
    import pyoxigraph

    versions = {
        "python": platform.python_version(),
        "pyoxigraph": pyoxigraph.__version__ if hasattr(pyoxigraph, "__version__") else "?",
        "oxigraph (CLI)": subprocess.run(
            [OXIGRAPH, "--version"], capture_output=True, text=True
        ).stdout.strip(),
    }
    for pkg in ("pyshacl", "rdflib", "fastapi", "uvicorn", "rdflib-endpoint"):
        try:
            from importlib.metadata import version

            versions[pkg] = version(pkg)
        except Exception:
            versions[pkg] = "not installed"
    wrk_version = (
        subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.splitlines()[:1]
        if shutil.which("wrk")
        else ["-"]
    )
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    out = [
        "# Benchmark results",
        "",
        f"Written by `scripts/bench {' '.join(sys.argv[1:])}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.",
        "",
        f"- Machine: {os.cpu_count()} cores ({cpu}), {psutil.virtual_memory().total / 2**30:.0f} GiB; "
        f"{platform.platform()}. **Shared and busy**: other work ran on the same two cores during "
        "this run, so absolute figures are noisy; ratios measured in the same run are what to read.",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"- Load client: {run.client} ({(wrk_version or [''])[0].strip()}) for every server, on the same machine as the servers.",
        f"- Data: `iatp-kg ingest --seed` plus `iatp-kg ingest synthetic --size {a.size} --random-seed {a.seed}`: "
        f"{d['triples']:,} triples. Every server serves the same N-Quads (`iatp-kg export`), the default graph "
        "being the union of the named graphs; iatp-kg serves its store (the remote variant: `oxigraph serve "
        "--timeout-s 125` over a copy of it, without a union default graph, iatp-kg naming the public graphs "
        "with each query).",
        f"- Repeats: {a.repeats} for loading, validation (pyshacl once at this size) and exports; each HTTP figure is from "
        f"{a.load_repeats} timed run(s) of {a.duration:g} s per query, server and concurrency (the median of "
        "the runs' figures). Queries slower than a third of that run three sequential requests instead.",
        "",
    ]
    sections = dict(run.sections)
    if a.merge and Path(a.output).exists():
        kept = kept_sections(Path(a.output).read_text(encoding="utf-8"), run.sections)
        sections = {**kept, **run.sections}
    for title, lines in sections.items():
        out += [f"## {title}", "", *lines, ""]
    if run.notes:
        out += ["## Notes", "", *[f"- {n}" for n in run.notes], ""]
    Path(a.output).write_text("\n".join(out), encoding="utf-8")
    run.log(f"wrote {a.output}")


def kept_sections(text: str, measured: dict) -> dict[str, list[str]]:
    """``--merge``: the sections of an earlier results file that this run did not measure,
    each opening with the line that names the run that measured it."""
    origin = next((ln for ln in text.splitlines() if ln.startswith("Written by ")), "")
    mark = "_" + origin.replace("Written by", "Kept from the run of", 1).rstrip(".") + "._"
    kept: dict[str, list[str]] = {}
    title = None
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            if title not in measured and not title.startswith("Notes"):  # notes: per run
                kept[title] = []
            continue
        if title in kept:
            kept[title].append(line)
    for lines in kept.values():
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if not (lines and lines[0].startswith("_Kept from the run of")):
            lines[:0] = [mark, ""]
    return kept


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument(
        "--size", type=int, default=10_000, help="synthetic initiatives (10000 ≈ 0.65 M triples)"
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    p.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "RESULTS.md")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--duration", type=float, default=5.0, help="seconds per timed HTTP run")
    p.add_argument("--load-repeats", type=int, default=1, help="timed HTTP runs per figure")
    p.add_argument("--probe-timeout", type=float, default=120.0)
    p.add_argument("--rdflib-max-size", type=int, default=10_000)
    p.add_argument(
        "--skip",
        default="",
        help="comma-separated: loading,validation,exports,http,rest,breakdown,ceiling,named",
    )
    p.add_argument("--skip-pyshacl", action="store_true")
    p.add_argument(
        "--merge",
        action="store_true",
        help="keep the sections of --output that this run does not measure (named as kept)",
    )
    p.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    a = p.parse_args(argv)
    work = a.work / f"size-{a.size}-seed-{a.seed}"
    run = Run(a, work)
    run.client = (
        "wrk"
        if a.client == "wrk" or (a.client == "auto" and shutil.which("wrk"))
        else "python (httpx threads)"
    )
    skip = set(filter(None, a.skip.split(",")))
    d = build_data(run)
    if "loading" not in skip:
        bench_loading(run, d)
    if "validation" not in skip:
        bench_validation(run, d)
    if "exports" not in skip:
        bench_exports(run, d)
    h = None
    if "http" not in skip:
        h = bench_http(run, d)
        http_tables(run, h)
    if "rest" not in skip and run.client == "wrk":
        bench_rest(run, d)
    if "breakdown" not in skip:
        bench_breakdown(run, d, h)
    if "ceiling" not in skip:
        bench_ceiling(run, d, h)
    if "named" not in skip:
        bench_named_engine(run, d)
    write_results(run, d)
