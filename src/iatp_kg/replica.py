"""A read replica: a read-only server over its own copy of the store, catching up with the
primary from the primary's backups (``iatp-kg replica --from DIR``; docs/deployment.md).

The primary takes every write. Its operator writes backups into one directory, one
subdirectory per backup, named so that names sort by time
(``iatp-kg backup DIR/$(date -u +%Y%m%dT%H%M%SZ)``): a backup is a RocksDB checkpoint,
consistent and safe while the primary serves, and it appears under its name only when it is
complete (RocksDB writes ``NAME.tmp`` and renames it). Names that start with a dot or end in
``.tmp`` are ignored, so a copy in progress (rsync) is never read.

The replica:

- on first start over a missing or empty store, copies the newest backup into it (as
  ``iatp-kg restore`` does);
- every ``interval`` seconds looks for a backup newer than the one it applied; reads a digest
  of each graph of it (a count and an order-independent sum of the quads' hashes); compares
  them with the digests of the backup it applied last, kept beside its store in
  ``STORE.replica.json``; and brings only the graphs that changed (or appeared, or went) up to
  date, writing only their differences, all in one transaction, through the store's ordinary
  write path. So the store version, the ETags and the query workers' in-memory copies follow
  as after any write, and only those graphs are copied again;
- answers reads all the while: the backup is read in a thread, queries run in the worker
  processes, and the replacement is one transaction, so a query sees the replica wholly before
  or wholly after a catch-up;
- refuses every write with 403 (``read_only_replica``), naming the primary when it is known.

Digests of backups, not the replica's own content, say which graphs changed, because a blank
node written again gets a fresh label: comparing with the replica's content would rewrite every
graph with blank nodes on every catch-up. For the same reason a changed graph with blank nodes
is replaced whole; any other changed graph gets a DELETE DATA and an INSERT DATA of just the
triples that differ (measured: rewriting a graph of 650k triples whole took 82 s and 3 GiB).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from pyoxigraph import Triple

from iatp_kg.errors import BadRequest, StoreError
from iatp_kg.settings import Settings
from iatp_kg.store import BlankNode, DefaultGraph, NamedNode, Store

log = logging.getLogger("iatp_kg.replica")

STATE_SUFFIX = ".replica.json"
_MOD = 1 << 128
# How often (in quads) a digest scan checks that the server is not stopping.
_STOP_CHECK = 20_000


class Stopping(Exception):
    """The server is stopping: a scan in progress gives up."""


# ---- backups and digests --------------------------------------------------------------------
def backups(source: Path) -> list[Path]:
    """The backups in ``source``, oldest first: subdirectories whose name starts with no dot
    and does not end in ``.tmp`` (a checkpoint or a copy still being written)."""
    try:
        entries = list(os.scandir(source))
    except OSError as exc:
        raise StoreError(f"cannot read the backups directory {source}: {exc}") from exc
    names = sorted(
        e.name
        for e in entries
        if e.is_dir() and not e.name.startswith(".") and not e.name.endswith(".tmp")
    )
    return [source / n for n in names]


def newest_backup(source: Path) -> Path | None:
    found = backups(source)
    return found[-1] if found else None


def graph_key(graph: NamedNode | DefaultGraph) -> str:
    """A graph as the digests name it: its IRI, ``""`` for the default graph."""
    return graph.value if isinstance(graph, NamedNode) else ""


def graph_digests(store: Store, stop: threading.Event | None = None) -> dict[str, str]:
    """``{graph: "count:sum"}`` over every graph of ``store``, private ones included: the count
    of its quads and the sum, modulo 2**128, of a hash of each quad, so that the order in which
    the store lists them does not matter.

    >>> s = Store.in_memory()
    >>> from iatp_kg.store import Literal, Quad
    >>> g, p = NamedNode("https://example.org/g"), NamedNode("https://example.org/p")
    >>> s.add_quads([Quad(g, p, Literal("a"), g), Quad(g, p, Literal("b"), g)])
    >>> graph_digests(s)["https://example.org/g"].startswith("2:")
    True
    """
    counts: dict[str, int] = {}
    sums: dict[str, int] = {}
    for n, quad in enumerate(store.quads()):
        if stop is not None and n % _STOP_CHECK == 0 and stop.is_set():
            raise Stopping
        key = graph_key(quad.graph_name)
        h = int.from_bytes(hashlib.blake2b(str(quad).encode(), digest_size=16).digest(), "big")
        counts[key] = counts.get(key, 0) + 1
        sums[key] = (sums.get(key, 0) + h) % _MOD
    return {k: f"{counts[k]}:{sums[k]:032x}" for k in counts}


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The graphs whose digest differs, that appeared, or that went, sorted.

    >>> changed({"a": "1:x", "b": "1:y", "c": "2:z"}, {"a": "1:x", "b": "1:w", "d": "1:v"})
    ['b', 'c', 'd']
    """
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _graph_lines(store: Store, node: NamedNode | DefaultGraph) -> tuple[set[str], bool]:
    """The triples of one graph as N-Triples lines, and whether any has a blank node (or a
    triple term, which may hold one)."""
    lines: set[str] = set()
    blank = False
    for q in store.quads(graph=node):
        if not blank and (
            isinstance(q.subject, BlankNode | Triple) or isinstance(q.object, BlankNode | Triple)
        ):
            blank = True
        lines.add(f"{q.subject} {q.predicate} {q.object} .")
    return lines, blank


@dataclass
class Replacement:
    """A SPARQL Update that brings some graphs of a store to what they hold in a backup."""

    text: str
    inserted: int = 0
    deleted: int = 0


def replacement(source: Store, target: Store, graphs: Iterable[str]) -> Replacement:
    """The update that makes each of ``graphs`` in ``target`` hold what it holds in ``source``.

    A graph without blank nodes gets only its differences (DELETE DATA, INSERT DATA), so one
    triple added to a large graph writes one triple. A graph with blank nodes on either side is
    replaced whole, since a blank node cannot be named from outside its store.

    >>> from iatp_kg.store import Literal, Quad
    >>> g, p = NamedNode("https://example.org/g"), NamedNode("https://example.org/p")
    >>> old, new = Store.in_memory(), Store.in_memory()
    >>> old.add_quads([Quad(g, p, Literal("a"), g), Quad(g, p, Literal("b"), g)])
    >>> new.add_quads([Quad(g, p, Literal("b"), g), Quad(g, p, Literal("c"), g)])
    >>> r = replacement(new, old, ["https://example.org/g"])
    >>> (r.inserted, r.deleted)
    (1, 1)
    >>> old.update(r.text); sorted(str(q.object) for q in old.quads())
    ['"b"', '"c"']
    """
    parts: list[str] = []
    out = Replacement("")
    for key in graphs:
        node = NamedNode(key) if key else DefaultGraph()
        wanted, blank_in_source = _graph_lines(source, node)
        held, blank_held = _graph_lines(target, node)

        def data(lines: Iterable[str], key: str = key) -> str:
            body = "\n".join(sorted(lines))
            return f"{{ GRAPH <{key}> {{\n{body}\n}} }}" if key else f"{{\n{body}\n}}"

        if blank_in_source or blank_held:
            parts.append(f"DROP SILENT GRAPH <{key}>" if key else "DROP SILENT DEFAULT")
            removed, added = held, wanted
            if wanted:
                parts.append(f"INSERT DATA {data(wanted)}")
        else:
            removed, added = held - wanted, wanted - held
            if removed:
                parts.append(f"DELETE DATA {data(removed)}")
            if added:
                parts.append(f"INSERT DATA {data(added)}")
        out.inserted += len(added)
        out.deleted += len(removed)
    out.text = " ;\n".join(parts)
    return out


# ---- what the replica applied ---------------------------------------------------------------
def state_path(store_dir: Path) -> Path:
    return store_dir.with_name(store_dir.name + STATE_SUFFIX)


@dataclass
class State:
    """The backup last applied and the digests of its graphs (``backup`` None: not known)."""

    backup: str | None
    digests: dict[str, str]

    @classmethod
    def load(cls, store_dir: Path) -> State | None:
        try:
            data = orjson.loads(state_path(store_dir).read_bytes())
            return cls(data["backup"], dict(data["digests"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, store_dir: Path) -> None:
        """Written after the transaction it describes: a crash in between leaves the previous
        state, and the next catch-up applies the same graphs again, which changes nothing."""
        path = state_path(store_dir)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(orjson.dumps({"backup": self.backup, "digests": self.digests}))
        tmp.replace(path)


def prepare(store_dir: Path, source: Path) -> str | None:
    """Before the server starts: over a missing or empty store, copy the newest backup in and
    record its digests. Returns the backup copied, or None when the store was already there."""
    if not source.is_dir():
        raise BadRequest(f"--from {source}: not a directory")
    if store_dir.exists() and any(store_dir.iterdir()):
        return None
    newest = newest_backup(source)
    if newest is None:
        raise BadRequest(
            f"the store {store_dir} is empty and {source} holds no backup yet; write one on the "
            f"primary first: iatp-kg backup {source}/$(date -u +%Y%m%dT%H%M%SZ)"
        )
    from iatp_kg.commands import run_restore

    if store_dir.exists():
        store_dir.rmdir()
    run_restore(Settings(store_dir=store_dir), newest)
    copy = Store.open(store_dir, read_only=True)
    State(newest.name, graph_digests(copy)).save(store_dir)
    del copy
    return newest.name


# ---- catching up ----------------------------------------------------------------------------
def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass
class Replicator:
    source: Path
    store_dir: Path
    interval: float = 60.0
    primary: str | None = None
    state: State | None = None
    status: dict = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.state = State.load(self.store_dir)
        self.status = {
            "role": "replica",
            "source": str(self.source),
            "primary": self.primary,
            "backup": self.state.backup if self.state else None,
            "applied_at": None,
            "checked_at": None,
            "catching_up": False,
            "catch_ups": 0,
            "graphs_replaced": 0,
            "quads_inserted": 0,
            "quads_deleted": 0,
            "last_error": None,
        }

    async def run(self, ctx) -> None:
        """Catch up now, then every ``interval`` seconds, until cancelled."""
        while not self._stop.is_set():
            try:
                await self.catch_up(ctx)
                self.status["last_error"] = None
            except Stopping:
                return
            except Exception as exc:  # a broken or half-copied backup: try again next time
                self.status["last_error"] = f"{type(exc).__name__}: {exc}"
                log.warning({"event": "replica_catch_up_failed", "error": str(exc)})
            finally:
                self.status["catching_up"] = False
                self.status["checked_at"] = _now()
            await asyncio.sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()

    async def catch_up(self, ctx) -> bool:
        """Apply the newest backup if it is newer than the one applied; True if it was."""
        store: Store = ctx.store
        newest = newest_backup(self.source)
        if self.state is None:  # a store made by hand: what it holds now is the baseline
            self.status["catching_up"] = True
            self.state = State(None, await asyncio.to_thread(graph_digests, store, self._stop))
        if newest is None or newest.name == self.state.backup:
            return False
        if self.state.backup is not None and newest.name < self.state.backup:
            return False
        self.status["catching_up"] = True
        backup = await asyncio.to_thread(Store.open, newest, read_only=True)
        digests = await asyncio.to_thread(graph_digests, backup, self._stop)
        graphs = changed(self.state.digests, digests)
        change = Replacement("")
        if graphs:
            nodes = [NamedNode(g) if g else DefaultGraph() for g in graphs]
            async with ctx.write_lock:  # nothing else writes here, but say so
                change = await asyncio.to_thread(replacement, backup, store, graphs)
                if change.text:
                    await asyncio.to_thread(store.update, change.text, graphs=nodes)
        del backup
        self.state = State(newest.name, digests)
        await asyncio.to_thread(self.state.save, self.store_dir)
        self.status.update(
            backup=newest.name,
            applied_at=_now(),
            catch_ups=self.status["catch_ups"] + 1,
            graphs_replaced=len(graphs),
            quads_inserted=change.inserted,
            quads_deleted=change.deleted,
            last_error=None,
        )
        log.info(
            {
                "event": "replica_caught_up",
                "backup": newest.name,
                "graphs_replaced": len(graphs),
                "quads_inserted": change.inserted,
                "quads_deleted": change.deleted,
            }
        )
        return True


# ---- refusing writes ------------------------------------------------------------------------
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
QUERY_POSTS = frozenset({"/sparql", "/sparql/"})  # a query sent by POST is a read
ALWAYS_WRITES = ("/update", "/api/v1/interest/unsubscribe")  # these write (or refuse) on GET


def refuses(method: str, path: str) -> bool:
    """True for a request that would write.

    >>> [refuses(m, p) for m, p in [("GET", "/sparql"), ("POST", "/sparql"), ("GET", "/store"),
    ...     ("PUT", "/store"), ("POST", "/api/v1/registrations"), ("GET", "/update"),
    ...     ("GET", "/api/v1/interest/unsubscribe"), ("OPTIONS", "/update")]]
    [False, False, False, True, True, True, True, False]
    """
    if method == "OPTIONS":
        return False
    if path.rstrip("/") in ALWAYS_WRITES:
        return True
    return method not in READ_METHODS and path not in QUERY_POSTS


class ReadOnlyReplica:
    """Pure ASGI: a write gets 403 with the project's error body; reads pass through."""

    def __init__(self, app, primary: str | None = None) -> None:
        self.app = app
        where = f" at {primary}" if primary else ""
        self.message = (
            f"this server is a read-only replica: it does not take writes; send them to the "
            f"primary{where}"
        )

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not refuses(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        request_id = (scope.get("state") or {}).get("request_id")
        body = orjson.dumps(
            {
                "error": {
                    "code": "read_only_replica",
                    "message": self.message,
                    "request_id": request_id,
                }
            }
        )
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


# ---- the server -----------------------------------------------------------------------------
def create_replica_app(settings: Settings, replicator: Replicator):
    """The ordinary app over the replica's store, with writes refused, a ``GET /replica``
    status, and the catch-up loop running beside it."""
    from fastapi import APIRouter
    from starlette.middleware import Middleware

    from iatp_kg.app import create_app
    from iatp_kg.responses import JSONBytesResponse

    app = create_app(settings)
    # Innermost of the user middleware: a refusal still gets its request id, the security
    # headers, CORS and an access-log line from the middleware outside it.
    app.user_middleware.append(Middleware(ReadOnlyReplica, primary=replicator.primary))

    router = APIRouter(tags=["health"])

    @router.get("/replica", summary="Replica: the backup applied and the last catch-up")
    async def replica_status() -> JSONBytesResponse:
        return JSONBytesResponse(replicator.status)

    app.include_router(router)

    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_):
        async with inner(app_) as state:
            ctx = app_.state.ctx
            if not isinstance(ctx.store, Store) or ctx.store.path is None:
                raise StoreError("a replica needs the embedded on-disk store")
            task = asyncio.create_task(replicator.run(ctx))
            try:
                yield state
            finally:
                replicator.stop()
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Stopping):
                    await task

    app.router.lifespan_context = lifespan
    return app


def serve_replica(
    settings: Settings,
    source: Path,
    *,
    host: str,
    port: int,
    interval: float,
    primary: str | None,
) -> None:
    """``iatp-kg replica``: prepare the store, then serve it read-only while catching up."""
    import uvicorn

    if getattr(settings, "remote_store", None):
        raise BadRequest(
            "a replica keeps its own embedded store (--store DIR); a remote SPARQL engine "
            "replicates by its own means"
        )
    settings = settings.model_copy(update={"admin_token": None, "seed_on_start": False})
    copied = prepare(settings.store_dir, source)
    if copied is not None:
        log.info({"event": "replica_initial_copy", "backup": copied})
    replicator = Replicator(source, settings.store_dir, interval=interval, primary=primary)
    uvicorn.run(
        create_replica_app(settings, replicator),
        host=host,
        port=port,
        server_header=False,
        log_level="warning",
        access_log=False,
    )
