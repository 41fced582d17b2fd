"""Shared fixtures: a seeded on-disk store made once per session and copied per test."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from iatp_kg.store import Store

BIN = Path(sys.executable).with_name("iatp-kg")


def iatp_kg(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run the real ``iatp-kg`` command; output captured as text."""
    return subprocess.run(
        [str(BIN), *map(str, args)], capture_output=True, text=True, timeout=300, **kwargs
    )


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory) -> Path:
    """A store seeded with the bundled pipelines by the real command (then closed)."""
    path = tmp_path_factory.mktemp("seeded") / "store"
    result = iatp_kg("ingest", "--seed", "--store", path)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def seeded_dir(seeded_template, tmp_path) -> Path:
    """A private copy of the seeded store for one test."""
    target = tmp_path / "store"
    shutil.copytree(seeded_template, target)
    return target


def digest(path: Path) -> str:
    return Store.open(path, read_only=True).digest()


# ---- a real server -------------------------------------------------------------------------
import contextlib  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import httpx  # noqa: E402

ADMIN_TOKEN = "test-admin-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# IATP_KG_TEST_BACKEND=remote runs every server of these fixtures over a real `oxigraph serve`
# (the PyPI package's binary) that holds the store directory, reached as IATP_KG_STORE=sparql:…;
# the default, oxigraph, is the embedded store. Tests of what only the embedded store has are
# marked ``embedded_only`` and skipped over the remote.
# IATP_KG_TEST_BACKEND=virtuoso (opt-in, `scripts/test-virtuoso`): each server's store is held
# by its own Virtuoso (Debian's virtuoso-t, its own virtuoso.ini and ports in a temp directory),
# seeded with a copy of the store directory; tests Virtuoso cannot pass are marked
# ``not_virtuoso("why")`` and skipped there, and only there.
BACKEND = os.environ.get("IATP_KG_TEST_BACKEND", "oxigraph")
if BACKEND not in ("oxigraph", "remote", "virtuoso"):
    raise RuntimeError(f"IATP_KG_TEST_BACKEND={BACKEND!r} is not oxigraph, remote or virtuoso")
VIRTUOSO = BACKEND == "virtuoso"
REMOTE = BACKEND in ("remote", "virtuoso")
OXIGRAPH = Path(sys.executable).with_name("oxigraph")


def pytest_collection_modifyitems(config, items):
    if REMOTE:
        skip = pytest.mark.skip(reason=f"the embedded store only (IATP_KG_TEST_BACKEND={BACKEND})")
        for item in items:
            if "embedded_only" in item.keywords:
                item.add_marker(skip)
    if VIRTUOSO:
        for item in items:
            for mark in item.iter_markers("not_virtuoso"):
                item.add_marker(pytest.mark.skip(reason=f"Virtuoso: {mark.args[0]}"))


# A cause shared by tests in several files (see pyproject's not_virtuoso marker).
WKT_REWRITTEN = (
    "it stores a geo:wktLiteral as its own virtrdf#Geometry, the coordinates rewritten in "
    "float precision ('POINT(-75.571510314941 6.2449998855591)' for 'POINT(-75.57151 6.245)'), "
    "so a point read back fails the shapes and differs from what was written"
)


def cases(values, ids, not_virtuoso: dict[str, str], *, spread: bool = False) -> list:
    """Parameters for ``parametrize``: each value with its id, marked
    ``not_virtuoso(reason)`` where ``not_virtuoso`` names its id (``spread``: each value is
    a tuple of several arguments)."""
    out = []
    for value, id_ in zip(values, ids, strict=True):
        marks = [pytest.mark.not_virtuoso(not_virtuoso[id_])] if id_ in not_virtuoso else []
        out.append(pytest.param(*(value if spread else (value,)), id=id_, marks=marks))
    assert set(not_virtuoso) <= set(ids), set(not_virtuoso) - set(ids)
    return out


def _wait_until_ready(proc: subprocess.Popen, url: str, log_path: Path, what: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited: {log_path.read_text()}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not become ready")
        time.sleep(0.2)


@contextmanager
def running_process(args: list[str], log_path: Path, ready_url: str, what: str, env=None):
    """Run ``args`` until the block ends, once ``ready_url`` answers 200."""
    log = open(log_path, "wb")  # noqa: SIM115
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(proc, ready_url, log_path, what)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@contextmanager
def oxigraph_server(store_dir: Path, timeout: float = 30.0):
    """``oxigraph serve`` over ``store_dir`` on a free port; yields its root URL. Its own query
    time limit is a second above iatp-kg's, which stops waiting first."""
    port = free_port()
    root = f"http://127.0.0.1:{port}"
    args = [str(OXIGRAPH), "serve", "--location", str(store_dir), "--bind", f"127.0.0.1:{port}"]
    args += ["--timeout-s", str(int(timeout) + 1)]
    log_path = store_dir.parent / f"oxigraph-{port}.log"
    with running_process(args, log_path, f"{root}/query?query=ASK%7B%7D", "oxigraph serve"):
        yield root


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {home}/virtuoso.db
ErrorLogFile = {home}/virtuoso.log
LockFile = {home}/virtuoso.lck
TransactionFile = {home}/virtuoso.trx
xa_persistent_file = {home}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {home}/virtuoso-temp.db
TransactionFile = {home}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
ThreadsPerQuery = 2
DirsAllowed = {home}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = /var/lib/virtuoso-opensource-7/vsp
ServerThreads = 10
MaxClientConnections = 10
Charset = UTF-8
EnabledGzipContent = 0
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = {timeout}
"""


# The Virtuoso that holds each store directory's data while its server runs (the directory is
# only the seed copy there), for tests that read the store beside the server.
VIRTUOSO_HELD: dict[Path, object] = {}


def open_store(store_dir: Path):
    """The store a running server over ``store_dir`` writes, opened read-only: the directory
    itself, or over Virtuoso the instance that holds it (through the store layer)."""
    if Path(store_dir) in VIRTUOSO_HELD:
        from iatp_kg.dialects import VIRTUOSO as DIALECT
        from iatp_kg.remote import RemoteStore

        return RemoteStore(VIRTUOSO_HELD[Path(store_dir)], read_only=True, dialect=DIALECT)
    return Store.open(store_dir, read_only=True)


@contextmanager
def virtuoso_server(store_dir: Path, timeout: float = 30.0):
    """A Virtuoso of its own (``virtuoso-t +foreground``, a fresh database in a temp
    directory, loopback ports) holding a copy of ``store_dir`` (if it exists), with SPARQL
    Update granted to its anonymous SPARQL user; yields the environment that points iatp-kg
    at it. Its query limit is a second above iatp-kg's."""
    from iatp_kg.dialects import VIRTUOSO as DIALECT
    from iatp_kg.remote import Endpoints, RemoteStore

    sql_port, http_port = free_port(), free_port()
    home = store_dir.parent / f"virtuoso-{http_port}"
    home.mkdir()
    ini = home / "virtuoso.ini"
    ini.write_text(
        VIRTUOSO_INI.format(
            home=home, sql_port=sql_port, http_port=http_port, timeout=int(timeout) + 1
        )
    )
    root = f"http://127.0.0.1:{http_port}"
    args = ["virtuoso-t", "+foreground", "+configfile", str(ini)]
    ready = f"{root}/sparql?query=ASK%7B%7D"
    with running_process(args, home / "out.log", ready, "virtuoso-t"):
        grant = subprocess.run(
            [
                "isql-vt",
                f"127.0.0.1:{sql_port}",
                "dba",
                "dba",
                'exec=GRANT SPARQL_UPDATE TO "SPARQL";',
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert grant.returncode == 0, grant.stdout + grant.stderr
        endpoints = Endpoints(f"{root}/sparql", f"{root}/sparql", f"{root}/sparql-graph-crud")
        if store_dir.exists():
            copy_store(
                Store.open(store_dir, read_only=True), RemoteStore(endpoints, dialect=DIALECT)
            )
        VIRTUOSO_HELD[Path(store_dir)] = endpoints
        try:
            yield {
                "IATP_KG_STORE": f"sparql:{root}",
                "IATP_KG_STORE_QUERY_URL": endpoints.query,
                "IATP_KG_STORE_UPDATE_URL": endpoints.update,
                "IATP_KG_STORE_GRAPH_STORE_URL": endpoints.graph_store,
                "IATP_KG_STORE_DIALECT": "virtuoso",
            }
        finally:
            VIRTUOSO_HELD.pop(Path(store_dir), None)


def copy_store(source: Store, target) -> None:
    """Every named graph of ``source`` written into ``target`` through the store layer, one
    graph per request."""
    for graph in source.named_graphs():
        target.replace_graphs({graph: list(source.quads(None, None, None, graph))})


@contextmanager
def running_server(store_dir: Path, **settings: str):
    """Start ``iatp-kg serve`` on a free port over ``store_dir``; yield its base URL.

    ``settings`` become ``IATP_KG_*`` environment variables (``query_timeout="2"``). With the
    remote backend, ``oxigraph serve`` holds ``store_dir`` and iatp-kg reaches it over HTTP.
    """
    port = free_port()
    env = {**os.environ, **{f"IATP_KG_{k.upper()}": str(v) for k, v in settings.items()}}
    base = f"http://127.0.0.1:{port}"
    log_path = store_dir.parent / f"server-{port}.log"
    with contextlib.ExitStack() as stack:
        if VIRTUOSO:
            timeout = float(settings.get("query_timeout", 30))
            env.update(stack.enter_context(virtuoso_server(store_dir, timeout)))
            args = [str(BIN), "serve", "--port", str(port)]
        elif REMOTE:
            root = stack.enter_context(
                oxigraph_server(store_dir, float(settings.get("query_timeout", 30)))
            )
            env["IATP_KG_STORE"] = f"sparql:{root}"
            args = [str(BIN), "serve", "--port", str(port)]
        else:
            args = [str(BIN), "serve", "--store", str(store_dir), "--port", str(port)]
        stack.enter_context(running_process(args, log_path, f"{base}/health", "server", env=env))
        yield base


@pytest.fixture(scope="session")
def server(seeded_template, tmp_path_factory) -> str:
    """A read-only public server over a copy of the seeded store (no admin token)."""
    path = tmp_path_factory.mktemp("server") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(path) as base:
        yield base


@pytest.fixture(scope="session")
def admin_server(seeded_template, tmp_path_factory) -> str:
    """A server with an admin token over a copy of the seeded store, for write tests."""
    path = tmp_path_factory.mktemp("admin") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(path, admin_token=ADMIN_TOKEN, query_timeout="20") as base:
        yield base


@pytest.fixture(scope="session")
def scratch_server(tmp_path_factory) -> str:
    """An admin server over an empty store that is not seeded: the W3C suites clear it."""
    path = tmp_path_factory.mktemp("scratch") / "store"
    with running_server(path, admin_token=ADMIN_TOKEN, seed_on_start="false") as base:
        yield base


@pytest.fixture(scope="session")
def limited_server(seeded_template, tmp_path_factory) -> str:
    """A server with a 2 s time limit, a 50 kB and 100-row result limit, a 20 kB body limit."""
    path = tmp_path_factory.mktemp("limited") / "store"
    shutil.copytree(seeded_template, path)
    with running_server(
        path,
        query_timeout="2",
        max_result_bytes="50000",
        max_result_rows="100",
        max_body_bytes="20000",
    ) as base:
        yield base


class Canary:
    """A TCP listener on localhost that records every connection made to it."""

    def __init__(self) -> None:
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.hits = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
                self.hits += 1
                conn.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def canary():
    c = Canary()
    yield c
    c.close()
